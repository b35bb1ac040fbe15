"""leads20: small leads closed from source (docs/why.md, docs/model-baremetal.md "INTx").

synchronize_irq's wait on an IO-APIC level entry's Remote IRR (62e0468650c3's sync_irq_chip_state) names the
CPU the interrupt in flight was sent to. The entry keeps Remote IRR across a rewrite (ioapic_configure_entry
writes vector and destination, Remote IRR is read-only), so after a move the entry's destination is no longer
where the message went: the note named the new destination.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files, render
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from tests.test_leads19 import SOFT
from tests.why_helpers import links


def _run(text: str) -> Any:
    eng = new_engine(load_scenario_text(text, "s.yaml"))
    while eng.step():
        pass
    return eng


def _notes(eng: Any, start: str) -> list[str]:
    return [str(e.fields["what"]) for e in (eng.log.event(i) for i in range(1, eng.cur + 1))
            if e.kind == "kernel" and str(e.fields.get("what", "")).startswith(start)]


def test_synchronize_irq_names_the_cpu_the_level_message_went_to_after_a_move() -> None:
    """leads19's run (5.6, soft-first): eth0's level message goes to CPU1 after its APIC was soft-disabled and is
    refused, fixup_irqs moves the entry to CPU0 with Remote IRR still set; the remove's free_irq then waits on
    that Remote IRR for ever. The message went to CPU1 (on main the note said CPU0, the entry's new destination)."""
    eng = _run(SOFT.format(kernel="5.6") + "  - {at: 4ms, on: 0, do: remove, dev: eth0}\n")
    pin = eng.w["ioapic"][16]
    assert (pin["cpu"], pin["remote_irr"], pin["sent"]) == (0, True, [1, 0x21])
    notes = _notes(eng, "synchronize_irq: irq 16 in flight")
    assert notes and all(n.startswith("synchronize_irq: irq 16 in flight: Remote IRR set (irq_get_irqchip_state "
                                      "IRQCHIP_STATE_ACTIVE), sent to CPU1") for n in notes)


def test_an_eoi_that_clears_remote_irr_forgets_the_earlier_destination() -> None:
    """After 52d6b926aabc (5.4.62) the same line's interrupts are moved and EOId: no record is left behind."""
    eng = _run(SOFT.format(kernel="5.4.62"))
    pin = eng.w["ioapic"][16]
    assert pin["remote_irr"] is False and "sent" not in pin


# --- diff: a run: action's arguments under "differs between the files" ----------------------------------------

ARGS = """name: argdiff
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: {vector}, cpu: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
{extra}"""


def test_diff_lists_an_action_argument_that_differs_between_the_files(tmp_path: Path) -> None:
    """Both runs deliver the one interrupt and every action succeeds (the same outcome, no action result differs):
    on main nothing named the set_affinity's ``vector`` argument the files differ in."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(ARGS.format(vector=0, extra=""))
    b.write_text(ARGS.format(vector=1, extra="  - {at: 3ms, do: fire, dev: eth0, vector: 1}\n"))
    r = diff_files(str(a), str(b))
    assert r.outcome_a["actions"][:3] == r.outcome_b["actions"][:3]
    assert r.switches == {"run[1].args.vector": {"a": 0, "b": 1}, "run[3]": {"a": "absent", "b": "present"}}
    text = render(r)
    assert "  differs between the files:\n    run[1].args.vector: A 0, B 1\n    run[3]: A absent, B present" in text


# --- an HVM guest's native_cpu_disable on Xen's vLAPIC ----------------------------------------------------------
#
# xen_hvm_smp_init replaces no smp_ops.cpu_disable: a 5.6 HVM guest's offline soft-disables CPU1's vLAPIC before
# fixup_irqs (kernel.cpu_disable_apic soft-first). eth0 is an emulated MSI-X device of a guest without Xen pirqs
# (xen_hvm_pirqs false): its message goes through QEMU's xen_hvm_inject_msi to Xen's vmsi_deliver, 10 ns after the
# disable. From f1d7aac1e3c3 (4.17.1) vmsi_deliver skips the disabled vLAPIC: lost. Before (4.17.0) vlapic_set_irq
# set its IRR and fixup_irqs' IRR scan retriggered it on CPU0: delivered. On main neither vLAPIC was disabled.

HVM = """name: hvm-soft
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}", xen_hvm_pirqs: {pirqs}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3ms, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 3000010ns, do: fire, dev: eth0, vector: 0}}
  - {{at: 4ms, do: fire, dev: eth0, vector: 0}}
"""


def _counts(eng: Any) -> tuple[int, int, int]:
    a = eng.w["acct"]["eth0"]
    return a["raised"][0], a["delivered"][0], a["lost"][0]


def test_an_hvm_guests_offline_soft_disables_its_vlapic_and_xen_4_17_1_refuses_the_msi() -> None:
    eng = _run(HVM.format(xen="4.17.1", pirqs="false", kernel="5.6"))
    assert _notes(eng, "take_cpu_down: CPU1 enters stop_machine; native_cpu_disable: apic_soft_disable() before")
    assert _counts(eng) == (3, 2, 1)
    lost = [e for e in (eng.log.event(i) for i in range(1, eng.cur + 1)) if e.kind == "msi.msg"]
    assert lost[1].time_ns == 3_000_010 and lost[1].cpu == 1


def test_before_f1d7aac1e3c3_the_disabled_vlapic_takes_it_and_fixup_irqs_forwards_it() -> None:
    eng = _run(HVM.format(xen="4.17.0", pirqs="false", kernel="5.6"))
    assert _notes(eng, "take_cpu_down: CPU1 enters stop_machine; native_cpu_disable: apic_soft_disable() before")
    assert _counts(eng) == (3, 3, 0)


def test_an_event_channel_msi_never_meets_the_vlapic() -> None:
    """With Xen pirqs the message is a pirq's event channel (the upcall): Xen's refusal does not apply."""
    assert _counts(_run(HVM.format(xen="4.17.1", pirqs="true", kernel="5.6"))) == (3, 3, 0)


@pytest.mark.parametrize(("xen", "refuses"), [("4.16.2", False), ("4.16.3", True), ("4.17.0", False),
                                              ("4.17.1", True), ("4.18", True), ("4.15", False)])
def test_the_vlapic_row_follows_f1d7aac1e3c3_and_its_backports(xen: str, refuses: bool) -> None:
    eng = new_engine(load_scenario_text(HVM.format(xen=xen, pirqs="false", kernel="5.6"), "s.yaml"))
    assert eng.w.behaviour["xen_vlapic_disabled_refuses"] is refuses
    assert eng.w.behaviour["cpu_disable_apic"] == "soft-first"


# --- why: a hotplug move onto a vector another step freed -------------------------------------------------------
#
# irq 25 (eth1) moved to CPU1 at its 2 ms interrupt (vector 0x22), leaving vector 0x21 on CPU0. CPU1's offline (4 ms)
# frees 0x21 on CPU0 in one take_cpu_down step (vector.free) and migrate_one_irq's move assigns irq 25 vector 0x21 on
# CPU0 in a later one. ``irqs[25].vector`` linked only the cpu_offline action; it now links the free.

REUSE = """name: reuse
cpus: 2
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
  eth1: {bdf: "00:04.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 0, on: 0, do: probe, dev: eth1, mode: msix, vectors: 1}
  - {at: 1ms, on: 0, do: set_affinity, dev: eth1, vector: 0, cpu: 1}
  - {at: 2ms, do: fire, dev: eth1, vector: 0}
  - {at: 3ms, on: 0, do: remove, dev: eth0}
  - {at: 4ms, on: 0, do: cpu_offline, cpu: 1}
"""


def test_why_an_irqs_vector_after_a_hotplug_move_links_the_free_it_reuses(tmp_path: Path) -> None:
    p = tmp_path / "reuse.yaml"
    p.write_text(REUSE)
    s = Session.from_scenario(str(p))
    s.run()
    assert (s.eng.w.irqs[25].cpu, s.eng.w.irqs[25].vector) == (0, 0x21)
    why = s.why("irqs[25].vector")
    assert links(why) == [("irq.vector", "irqs[25].vector"), ("vector_irq", "cpus[0].vector_irq[0x21]"),
                          ("action.start", "actions[5]")]
    move, free = why.chain[0], why.chain[1]
    assert "migrate_one_irq+migrate_unmask" in move.stack and free.event < move.event
    assert free.relation == "the vector's slot, free since" and free.value == "UNUSED"


# --- why: a doorbell refused after a failed probe ---------------------------------------------------------------

FAILED = """name: doorbell-after-failed-probe
cpus: 2
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
faults: [{call: request_irq, dev: eth0, errno: EBUSY}]
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 1ms}
"""


def test_why_a_doorbell_refused_with_enxio_links_the_failed_probe(tmp_path: Path) -> None:
    """The probe's first request_irq fails (EBUSY): really_probe releases the vectors and clears dev->driver. The
    doorbell then finds no queue (-ENXIO); its error linked only its own action (the vector count is no tracked
    key), and now links the failed probe's unwind, then the probe action."""
    p = tmp_path / "failed.yaml"
    p.write_text(FAILED)
    s = Session.from_scenario(str(p))
    s.run()
    assert s.eng.w["actions"][1]["result"] == -6
    why = s.why("actions[1].result")
    assert links(why) == [("action.done", "actions[1].result"), ("kernel", "actions[1].error"),
                          ("driver", "kernel.pci.eth0.bound"), ("action.start", "actions[0]")]
    unwind = why.chain[2]
    assert unwind.relation == "the vectors its driver set up, as left by"
    assert unwind.stack[0] == "driver_probe+unwound" and "probe failed (EBUSY)" in unwind.reason
