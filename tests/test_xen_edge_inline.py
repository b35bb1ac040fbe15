"""The upcall hands a port to its irq (``handle_irq_for_port`` -> ``xen_handle_edge_irq``) with the
edge's first step (the ack) run inline in the handle_events step (perf4, issue 14). It must be the
interpreter's call step for step: the call's entry (function breakpoints, fault injection) and the
ack. With probes armed the model takes the interpreter's general path (``call_then``, then the ack
as a step of its own), so a run with an inert probe is the reference: same events, hits, calls seen
and final world (but for the probe table itself), on both ABIs, with a fault injected into the
edge handler's entry.
"""

from __future__ import annotations

import random
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


def _run(fifo: bool, probe: bool, watch: bool = True) -> tuple[list[Any], list[tuple[int, list[str]]], str, int]:
    eng = new_engine(load_scenario_text(_yaml(fifo, probe), "edge.yaml"))
    if watch:
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


@pytest.mark.parametrize("fifo", [True, False], ids=["fifo", "2l"])
def test_inline_edge_call_without_call_breakpoints_still_injects_the_fault(fifo: bool) -> None:
    """With no function breakpoint armed the inline call skips ``Model.on_push`` unless a fault is
    armed (round 13): the faults above must still fire, as on the interpreter's path."""
    inline, general = _run(fifo, probe=False, watch=False), _run(fifo, probe=True, watch=False)
    assert inline[0] == general[0]
    assert inline[2:] == general[2:]
    notes = [e for e in inline[0] if e[2] == "kernel" and "fault injected: xen_handle_edge_irq" in e[5]["what"]]
    assert inline[1] == [] and len(notes) == 2, notes


def test_upcall_eoi_clears_the_highest_vector_in_service_as_apic_eoi_does() -> None:
    """``ack_upcall`` clears the ISR itself when the upcall vector is the only one in service (round
    13, as ``entry.ack`` does) and calls ``apic.eoi`` otherwise: the same ISR either way."""
    from msidbg.model import apic, evtchn
    from msidbg.model.kernel import xen_events

    # the per-vCPU upcall vector (Xen 4.17's XEN_HVM_CPUID_UPCALL_VECTOR, kernel 6.0+), which the guest EOIs
    text = _yaml(True, False).replace('xen: "4.16"', 'xen: "4.17"').replace('version: "5.10"', 'version: "6.1"')
    eng = new_engine(load_scenario_text(text, "edge.yaml"))
    while eng.advance(4096):
        pass
    assert not evtchn.global_callback(eng.w)
    k = eng.model.k  # type: ignore[attr-defined]
    c = eng.w.cpus[0]
    v = 0xF3
    alone = [0] * 8
    alone[v >> 5] = 1 << (v & 31)
    rnd = random.Random(13)
    cases = [alone, [0xFFFFFFFF] * 8]
    for other in (0xFF, v + 1, v - 1, 0xEC, 0x21):
        isr = list(alone)
        isr[other >> 5] |= 1 << (other & 31)
        cases.append(isr)
    cases += [[rnd.getrandbits(32) if rnd.random() < 0.3 else 0 for _ in range(8)] for _ in range(200)]
    for isr in cases:
        want = list(isr)
        apic.eoi(type("C", (), {"isr": want})())
        c.isr = list(isr)
        k.cpu, k.cpu_id, k.emitted, k.ctx = c, 0, False, c.irq
        xen_events.ack_upcall(k, {"vector": v})
        assert k.emitted and c.isr == want, [hex(x) for x in isr]
