"""The upcall hands a port to its irq (``handle_irq_for_port`` -> ``xen_handle_edge_irq``) with the
edge's first step (the ack) run inline in the handle_events step (perf4, issue 14). It must be the
interpreter's call step for step: the call's entry (function breakpoints, fault injection) and the
ack. With probes armed the model takes the interpreter's general path (``call_then``, then the ack
as a step of its own), so a run with an inert probe is the reference: same events, hits, calls seen
and final world (but for the probe table itself), on both ABIs, with a fault injected into the
edge handler's entry.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from msidbg.sim.world import state_hash

_EDGE, _UPCALL = "xen_handle_edge_irq", "xen_evtchn_do_upcall"


def _yaml(fifo: bool, probe: bool) -> str:
    return f"""
name: edge-inline
seed: 3
cpus: 2
platform: {{kind: xen-hvm, xen: "4.16"}}
kernel: {{version: "5.10", xen_fifo_events: {str(fifo).lower()}, xen_affinity_target: least-loaded}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 4}}}}
  eth1: {{bdf: "00:04.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 4}}
  - {{at: 0, on: 1, do: probe, dev: eth1, mode: msix, vectors: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 6, every: 3us}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 2, count: 6, every: 5us}}
  - {{at: 2ms, do: fire, dev: eth1, vector: 1, count: 6, every: 2us}}
faults: [{{call: {_EDGE}, errno: EIO, times: 2}}]
""" + ("probes:\n  - {at: shutdown_pirq.close, when: before, do: hypercall, op: PHYSDEVOP_get_free_pirq}\n"
       if probe else "")


def _run(fifo: bool, probe: bool) -> tuple[list[Any], list[tuple[int, list[str]]], str, int]:
    eng = new_engine(load_scenario_text(_yaml(fifo, probe), "edge.yaml"))
    eng.call_watch = {_EDGE, _UPCALL}
    calls = []
    while eng.step():
        if eng.step_calls:
            calls.append((eng.cur, list(eng.step_calls)))
    events = [(e.index, e.time_ns, e.kind, e.cpu, e.dev, e.fields) for e in eng.log.events(1, len(eng.log) + 1)]
    w = dict(eng.w)
    w.pop("probes", None)
    return events, calls, state_hash(w), len(eng.prov.rec)


@pytest.mark.parametrize("fifo", [True, False], ids=["fifo", "2l"])
def test_inline_edge_call_is_the_interpreters_call(fifo: bool) -> None:
    inline, general = _run(fifo, probe=False), _run(fifo, probe=True)
    assert inline[0] == general[0]
    assert inline[1] == general[1]
    assert inline[2:] == general[2:]
    kinds = [e[2] for e in inline[0]]
    assert kinds.count("evtchn.clear") >= 10        # the inline path ran, many times
    edge_calls = [c for _, calls in inline[1] for c in calls if c == _EDGE]
    assert len(edge_calls) == kinds.count("evtchn.clear") + 2     # two entries faulted (no ack follows)
    # the upcall's entry (pushed by the accept of its vector) is seen once for each accept of it
    upcall_calls = [i for i, calls in inline[1] if _UPCALL in calls]
    assert upcall_calls == [e[0] for e in inline[0] if e[2] == "apic.accept" and e[5]["vector"] == 0xF3]
