"""Probes and the hypercall action (docs/scenario.md): instrumentation run by the context that
reaches a kernel program's step, and seed 003's instrumented log as the oracle."""

from __future__ import annotations

import pytest

from msidbg.errors import ScenarioError
from msidbg.model import new_engine
from tests.conftest import events_of, finish_copy, run_to_end, scenario, shipped


def free_pirq_calls(eng) -> list[int]:
    return [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]


# the numbers in seed 003's log, in order
LOG_PROBE = [101, 100, 99, 98, 97, 96]          # "creating evtchn using pirq ..."
LOG_SHUTDOWN = [93, 92, 91, 90, 89, 88, 98, 97, 96, 87, 86, 85]      # "get_free_pirq returned pirq ..."


def test_the_sriov_log_is_reproduced_number_by_number() -> None:
    """Seed 003: get_free_pirq before and after each EVTCHNOP_close in shutdown_pirq; the two
    calls the log implies before its first line take 95 and 94."""
    eng = run_to_end(shipped("xen-sriov-pirq-log"))
    calls = free_pirq_calls(eng)
    assert calls[:6] == LOG_PROBE
    assert calls[6:8] == [95, 94]
    assert calls[8:] == LOG_SHUTDOWN
    # the guest's irqs took the pirqs in the log's order: nic 3 gets 101..99, nic 4 98..96
    binds = [(e.dev, e.fields["pirq"]) for e in events_of(eng, "xen.irq") if e.fields["how"] == "fresh pirq"]
    assert binds == [("nic3", 101), ("nic3", 100), ("nic3", 99), ("nic4", 98), ("nic4", 97), ("nic4", 96)]
    # each pair brackets one close, in the log's order: nic 4's 96, 97, 98, then nic 3's 99, 100, 101
    seq = [(e.fields["op"], e.fields["ret"] if e.fields["op"] != "EVTCHNOP_close" else e.dev)
           for e in events_of(eng, "xen.hypercall") if e.time_ns >= 10_000_000]
    closes = [i for i, (op, _) in enumerate(seq) if op == "EVTCHNOP_close"]
    assert [seq[i - 1][1] for i in closes] == [93, 91, 89, 98, 96, 86]
    assert [seq[i + 1][1] for i in closes] == [92, 90, 88, 97, 87, 85]
    ports = [e.fields["arg"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "EVTCHNOP_close"]
    pirq_of_port = {e.fields["ret"]: e.fields["arg"] for e in events_of(eng, "xen.hypercall")
                    if e.fields["op"] == "EVTCHNOP_bind_pirq"}
    assert [pirq_of_port[p] for p in ports] == [96, 97, 98, 99, 100, 101]


def test_closing_an_event_channel_frees_nothing_disabling_msix_does() -> None:
    """The thread's conclusion: the pirqs come back when QEMU unmaps them at MSI-X disable
    (c976437c7dba), not when the event channel closes. Without c976437c7dba they never do."""
    eng = run_to_end(shipped("xen-sriov-pirq-log"))
    unmaps = [e.index for e in events_of(eng, "qemu.unmap_pirq") if e.dev == "nic4"]
    back = next(e.index for e in events_of(eng, "xen.hypercall")
                if e.fields["op"] == "PHYSDEVOP_get_free_pirq" and e.fields["ret"] == 98 and e.index > 200)
    assert len(unmaps) == 3 and max(unmaps) < back
    from tests.conftest import with_platform

    old = run_to_end(with_platform(shipped("xen-sriov-pirq-log"), qemu_unmap_pirq_on_msi_disable=False))
    assert free_pirq_calls(old)[8:] == [93, 92, 91, 90, 89, 88, 87, 86, 85, 84, 83, 82]


PROBED = """
name: t
cpus: 1
platform: {kind: %s}
devices:
  eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
  eth1: {bdf: "00:04.0", passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {do: probe, dev: eth1, mode: msix, vectors: 2}
probes:
%s
"""


def test_before_and_after_a_step_run_in_the_probed_context() -> None:
    text = PROBED % ("xen-hvm, xen_hvm_pirqs: true", "  - {at: startup_pirq.unmask, when: before, do: hypercall, op: PHYSDEVOP_get_free_pirq}\n"
                                "  - {at: startup_pirq.unmask, when: after, do: hypercall, op: PHYSDEVOP_get_free_pirq,"
                                " if_dev: eth1, times: 1}")
    eng = run_to_end(scenario(text))
    seq = [(e.dev, e.fields["op"], e.fields["ret"]) if e.kind == "xen.hypercall" else
           (e.dev, "mask" if e.fields["masked"] else "unmask", e.fields["port"])
           for e in eng.log.events(1, len(eng.log) + 1)
           if e.kind == "evtchn.mask" or e.kind == "xen.hypercall" and e.fields["op"] != "EVTCHNOP_bind_vcpu"]
    tail = seq[seq.index(("eth0", "EVTCHNOP_bind_pirq", 1)):]
    # startup_pirq: bind, status query, [before-probe], unmask, eoi (then set_affinity's rebind masks and unmasks again)
    q, e = "PHYSDEVOP_irq_status_query", "PHYSDEVOP_eoi"
    assert tail == [
        ("eth0", "EVTCHNOP_bind_pirq", 1), ("eth0", q, 1), ("eth0", "PHYSDEVOP_get_free_pirq", 99), ("eth0", "unmask", 1),
        ("eth0", e, 0), ("eth0", "mask", 1), ("eth0", "unmask", 1),
        ("eth0", "EVTCHNOP_bind_pirq", 2), ("eth0", q, 1), ("eth0", "PHYSDEVOP_get_free_pirq", 98), ("eth0", "unmask", 2),
        ("eth0", e, 0), ("eth0", "mask", 2), ("eth0", "unmask", 2),
        ("eth1", "PHYSDEVOP_get_free_pirq", 97), ("eth1", "PHYSDEVOP_get_free_pirq", 96),
        ("eth1", "EVTCHNOP_bind_pirq", 3), ("eth1", q, 1), ("eth1", "PHYSDEVOP_get_free_pirq", 95), ("eth1", "unmask", 3),
        ("eth1", "PHYSDEVOP_get_free_pirq", 94),      # the after-probe: eth1 only, once
        ("eth1", e, 0), ("eth1", "mask", 3), ("eth1", "unmask", 3),
        ("eth1", "EVTCHNOP_bind_pirq", 4), ("eth1", q, 1), ("eth1", "PHYSDEVOP_get_free_pirq", 93), ("eth1", "unmask", 4),
        ("eth1", e, 0), ("eth1", "mask", 4), ("eth1", "unmask", 4)]


def test_a_probe_frame_shows_on_the_call_stack_and_replays() -> None:
    from msidbg.sim.world import state_hash

    text = PROBED % ("xen-hvm, xen_hvm_pirqs: true", "  - {at: shutdown_pirq.mask, when: after, do: hypercall, op: PHYSDEVOP_get_free_pirq}")
    text = text.replace("  - {do: probe, dev: eth1, mode: msix, vectors: 2}",
                        "  - {do: probe, dev: eth1, mode: msix, vectors: 2}\n  - {do: remove, dev: eth0}")
    scn = scenario(text)
    ref = run_to_end(scn)
    eng = new_engine(scn)
    while eng.step():
        stack = [f["prog"] for f in eng.w["cpus"][0]["proc"]["stack"]]
        if stack and stack[-1] == "scenario_probe":
            break
    assert stack[-2] == "shutdown_pirq"
    assert state_hash(finish_copy(eng).w) == state_hash(ref.w)


def test_a_probe_can_fire_a_device_inside_a_window_on_bare_metal() -> None:
    text = """
name: t
cpus: 2
devices:
  eth0: {bdf: "00:03.0", msix: {table_size: 1}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
probes:
  - {at: pci_write_msi_msg.data, when: before, do: fire, dev: eth0, vector: 0, times: 1}
"""
    eng = run_to_end(scenario(text))
    notes = [e for e in events_of(eng, "kernel") if "probe at" in str(e.fields)]
    assert len(notes) == 1
    assert eng.w["acct"]["eth0"]["raised"] == [1]


@pytest.mark.parametrize("probe, words", [
    ("{at: no_such_program, do: hypercall, op: PHYSDEVOP_get_free_pirq}", "unknown kernel program 'no_such_program'"),
    ("{at: shutdown_pirq.nope, do: hypercall, op: PHYSDEVOP_get_free_pirq}", "shutdown_pirq has no step 'nope'"),
    ("{at: pci_msix_write, do: hypercall, op: PHYSDEVOP_get_free_pirq}", "runs in QEMU's context"),
])
def test_a_bad_probe_is_a_one_line_error_at_its_line(probe: str, words: str) -> None:
    scn = scenario(PROBED % ("xen-hvm, xen_hvm_pirqs: true", f"  - {probe}"))
    with pytest.raises(ScenarioError) as e:
        new_engine(scn)
    line = e.value.oneline()
    assert words in line and "probes[0].at" in line and "inline.yaml:12:" in line, line


def test_hypercall_needs_xen() -> None:
    with pytest.raises(ScenarioError) as e:
        scenario((PROBED % ("bare-metal", "  - {at: shutdown_pirq, do: hypercall, op: PHYSDEVOP_get_free_pirq}")
                  ).replace("passthrough: true, ", ""))
    assert "needs a Xen guest" in e.value.oneline()


def test_a_probe_in_an_interrupt_handler_fires_at_its_step() -> None:
    """The CPU's step runs handler steps on a fast path; with probes armed every step goes
    through the probe checks (a probe at a handler's step fires there, once)."""
    text = """
name: t
cpus: 1
devices:
  eth0: {bdf: "00:03.0", msix: {table_size: 1}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
probes:
  - {at: handle_edge_irq.handle, when: after, do: fire, dev: eth0, vector: 0, times: 1}
"""
    eng = run_to_end(scenario(text))
    notes = [e.index for e in events_of(eng, "kernel") if "probe at handle_edge_irq.handle" in str(e.fields)]
    assert len(notes) == 1
    assert eng.w["acct"]["eth0"]["raised"] == [2]
