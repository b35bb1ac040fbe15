"""Valid scenarios that crashed the model (issue 11 item 2): a fault on an action's own program
as the first thing a CPU does, and two CPUs tearing down one device at once."""

from __future__ import annotations

import pytest

from msidbg.model.cpu import DRIVER_ACTIONS
from msidbg.model.kernel.driver import ACTION_PROGRAMS
from tests.conftest import events_of, hit_names, run_to_end, scenario

FIRST_ACTION = {
    "probe": "dev: eth0, mode: msix, vectors: 1", "remove": "dev: eth0", "free_vectors": "dev: eth0",
    "alloc_vectors": "dev: eth0, vectors: 1", "request_irq": "dev: eth0, vector: 0", "doorbell": "dev: eth0, vector: 0",
    "set_affinity": "dev: eth0, vector: 0, cpu: 0", "write": "dev: eth0, target: config, offset: 0, value: 1",
    "free_irq": "dev: eth0, vector: 0", "cpu_online": "cpu: 0",
}


@pytest.mark.parametrize("do", sorted(FIRST_ACTION))
def test_a_fault_on_the_action_program_returns_the_errno_without_running_it(do: str) -> None:
    prog = ACTION_PROGRAMS[do]
    eng = run_to_end(scenario(f"""
        name: f
        cpus: 2
        devices:
          eth0: {{bdf: "00:03.0", msix: {{table_size: 4}}}}
        run:
          - {{at: 0, on: 1, do: {do}, {FIRST_ACTION[do]}}}
        faults: [{{call: {prog}, errno: EIO}}]
        """))
    got = [(e.index, e.kind, e.cpu, e.fields.get("result")) for e in eng.log.events(1, len(eng.log) + 1)]
    assert got == [(1, "action.start", 1, None), (2, "action.done", 1, -5), (3, "run.end", None, None)]
    assert eng.w["kernel"]["faults"][0][3] == 0  # the fault was used once, on the action itself
    if "dev" in FIRST_ACTION[do] and do in DRIVER_ACTIONS:
        assert eng.w["kernel"]["pci"]["eth0"]["status"] == "failed: EIO" and "probe-failed" in hit_names(eng)
    elif "dev" in FIRST_ACTION[do]:     # an administrator's /proc write (set_affinity), a raw write
        assert eng.w["kernel"]["pci"]["eth0"]["status"] == "not-probed" and "probe-failed" not in hit_names(eng)


def test_a_fault_on_the_first_action_leaves_the_other_cpus_call_stack_alone() -> None:
    """The fault used to write its errno into whatever frame the last step left in the model's context."""
    eng = run_to_end(scenario("""
        name: f
        cpus: 2
        devices:
          eth0: {bdf: "00:03.0", msix: {table_size: 4}}
          nvme0: {bdf: "00:04.0", msix: {table_size: 4}}
        run:
          - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 2}
          - {at: 2us, on: 1, do: probe, dev: eth0, mode: msix, vectors: 1}
        faults: [{call: driver_probe, dev: eth0, errno: ENODEV}]
        """))
    pci = eng.w["kernel"]["pci"]
    assert (pci["nvme0"]["status"], pci["eth0"]["status"]) == ("ok", "failed: ENODEV")
    assert [e.fields["result"] for e in events_of(eng, "action.done")] == [-19, 0]


@pytest.mark.parametrize("mode", ["msi", "msix"])
def test_two_cpus_removing_one_device_at_once(mode: str) -> None:
    cap = "msi: {vectors: 1}" if mode == "msi" else "msix: {table_size: 2}"
    eng = run_to_end(scenario(f"""
        name: f
        cpus: 2
        devices:
          eth0: {{bdf: "00:03.0", {cap}}}
        run:
          - {{at: 0, on: 0, do: probe, dev: eth0, mode: {mode}, vectors: 1}}
          - {{at: 1ms, on: 0, do: remove, dev: eth0}}
          - {{at: 1ms, on: 1, do: remove, dev: eth0}}
        """))
    done = {e.fields["action"]: e.fields["result"] for e in events_of(eng, "action.done")}
    # the removes run under the device_lock (devlock): CPU1's takes it, CPU0's sleeps until it returned and
    # then finds nothing left to free (before, the two interleaved and CPU0's free_irq got -EBUSY)
    assert done == {0: 0, 1: 0, 2: 0}
    notes = [(e.cpu, e.fields["what"]) for e in events_of(eng, "kernel")]
    assert (0, "device_lock(eth0): held by action 2 (remove); this task sleeps on the mutex (waiter 1 of 1)") in notes
    assert not any("in use by CPU1 in free_irq" in str(what) for _, what in notes)
    p = eng.w["kernel"]["pci"]["eth0"]
    assert (p["descs"], p["mode"], p["msi_enabled"], p["msix_enabled"], p["lock"]) == ([], None, False, False, -1)
    assert [e.fields["irq"] for e in events_of(eng, "irq.release")] == [24] and 24 not in eng.w["irqs"]


def test_a_64_bit_message_address_with_bit_63_set_is_logged_unsigned() -> None:
    eng = run_to_end(scenario("""
        name: f
        devices:
          eth0: {bdf: "00:03.0", msix: {table_size: 1}}
        run:
          - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
          - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 4, value: 0x80000000}
          - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 12, value: 0}
          - {at: 2ms, do: fire, dev: eth0, vector: 0}
        """))
    msg = events_of(eng, "msi.msg")[-1]
    assert msg.fields["addr"] >> 32 == 0x80000000 and msg.fields["addr"] > 0
