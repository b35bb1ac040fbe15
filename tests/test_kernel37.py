"""kernel37: pci_dev->irq and pci_irq_vector() by release; MSI's Message Control read before the -EBUSY; enable_irq
after free_irq before 5.8; a function whose second MSI enable failed.

Readings kernel.msi.dev-irq, kernel.msi.irq-vector, kernel.msi.shutdown-empty-bug (msidbg/model/kernel/sources.py),
kernel.irq.enable-after-free-shutdown-vector (msidbg/model/kernel/irq.py); behaviour row kernel.pci_irq_vector_msi.
Read in kinmax/linux-4.13.19 (4.13.9), 0x88888888/Linux-4.19 (4.19.0 vector.c), yhuan416/linux-5.15.24,
dunli/linux-5.17 (5.17-rc5) and wishday/linux-6.12.y (6.12.19).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import kernel as kernel_rows
from msidbg.model import new_engine
from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end, totals, with_kernel

HERE = Path(__file__).parent / "kernel37"


@cache
def _run(name: str, **switches: Any) -> Any:
    scn = load_scenario(str(HERE / f"{name}.yaml"))
    return run_to_end(with_kernel(scn, **switches) if switches else scn)


def _notes(eng: Any, since: int = 0) -> list[tuple[int, str]]:
    return [(e.time_ns, str(e.fields["what"])) for e in events_of(eng, "kernel") if e.time_ns >= since]


def _results(eng: Any) -> list[tuple[str, int]]:
    return [(e.fields["do"], e.fields["result"]) for e in events_of(eng, "action.done")]


def test_vector_0_after_pci_free_irq_vectors_is_the_intx_irq() -> None:
    """4.19: pci_msi_shutdown restores dev->irq to default_irq (16); with neither MSI nor MSI-X enabled
    pci_irq_vector(dev, 0) is dev->irq, so the driver's second request_irq joins GSI 16 and the signal -- an INTx
    assertion now -- is handled there (msidbg used to answer -EINVAL: no descriptor)."""
    eng = _run("v01-intx-after-free-k419")
    assert [(e.time_ns, e.fields["irq"]) for e in events_of(eng, "irq.request")] == [(20_000, 24), (80_000, 16)]
    assert _results(eng)[-1] == ("request_irq", 0)
    assert [(e.fields["irq"], e.fields["signals"]) for e in events_of(eng, "irq.handler")] == [(16, 1)]
    assert eng.w.kernel["pci"]["d0"]["irq"] == 16
    assert totals(eng, "d0")["delivered"] == 1


def test_dev_irq_is_the_msi_irq_while_msi_is_enabled() -> None:
    """msi_capability_init's 'dev->irq = entry->irq' after the Enable write; the descriptor saved the INTx irq."""
    eng = new_engine(load_scenario(str(HERE / "v01-intx-after-free-k419.yaml")))
    while eng.w.now < 30_000 and eng.step():
        pass
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msi_enabled"], p["irq"], p["descs"][0]["default_irq"]) == (True, 24, 16)


def test_free_irq_after_free_vectors_warns_on_the_intx_irq() -> None:
    """6.6: free_irq(pci_irq_vector(dev, 0)) after pci_free_irq_vectors is __free_irq on irq 16, whose actions do
    not hold this dev_id: 'Trying to free already-free IRQ 16' (the MSI irq went with its action, 9fb9eb4b59ac)."""
    eng = _run("v02-free-after-free-k66")
    assert _notes(eng, since=60_000) == [(60_000, "WARN: Trying to free already-free IRQ 16")]
    assert events_of(eng, "irq.free") == []


def test_pre_5_17_msi_vector_is_dev_irq_plus_nr() -> None:
    """4.14, CPU1's free_irq in the window after the second set-up gave descriptor 0 irq 25: 'dev->irq + nr' is still
    24, the irq the driver requested, whose action free_irq removes; with msi_get_virq (the 5.17 row value) the
    lookup is the descriptor's irq 25, which has no action: the WARN."""
    eng = _run("v03-free-in-window-k414")
    assert [(e.time_ns, e.cpu, e.fields["irq"]) for e in events_of(eng, "irq.free")] == [(45_000, 1, 24)]
    assert eng.w.irqs[24]["action"] is None
    virq = _run("v03-free-in-window-k414", pci_irq_vector_msi="virq")
    assert events_of(virq, "irq.free") == []
    assert (45_000, "WARN: Trying to free already-free IRQ 25") in _notes(virq)
    assert virq.w.irqs[24]["action"] is not None      # the leaked irq keeps the driver's action


def test_msi_setup_desc_reads_message_control_before_the_ebusy() -> None:
    """5.17+ on xen-hvm: CPU1's msi_setup_msi_desc reads Message Control (a trapped read QEMU serves) before its
    msi_add_msi_desc's -EBUSY (kernel31's m01; the MSI-X read was split the same way by reconcile). intx36: CPU0's
    pci_intx_for_msi (a trapped Command read and write before its Enable write) holds QEMU 25 us longer, so CPU1's
    read is issued at 234.3 us and the -EBUSY is at 263.3 us (were 209.3 / 238.3 us)."""
    eng = run_to_end(load_scenario(str(Path(__file__).parent / "kernel31" / "m01-double-msi-enable-hvm-k66.yaml")))
    busy = next(e for e in events_of(eng, "kernel") if "-EBUSY" in str(e.fields["what"]))
    reads = [e for e in events_of(eng, "ioreq.cfg_read") if e.cpu == 1 and e.time_ns <= busy.time_ns]
    assert [(e.time_ns, e.fields["reg"]) for e in reads][-1] == (234_300, "msi_ctrl")
    assert busy.time_ns == 263_300


def test_enable_irq_after_free_irq_before_5_8_points_at_the_shutdown_vector() -> None:
    """5.4.0: free_irq deactivated the irq (zero message; x86_vector_deactivate: the vector freed, a reservation,
    vector_assign_managed_shutdown's cfg: 0xef on the first online CPU). enable_irq's irq_startup unmasks the zeroed
    entry, then irq_setup_affinity: apic_set_affinity leaves an inactive reservation-mode irq alone (IRQ_SET_MASK_OK)
    and msi_domain_set_affinity composes that cfg: the device's next signal hits CPU0's vector 0xef, a system vector
    (lost, spurious). From baedb87d1b53 (5.8, 5.4.53) apic_set_affinity refuses instead (-EIO, test_irq_disable)."""
    eng = _run("e01-enable-after-free-k54")
    late = [(e.fields["reg"], e.fields["value"]) for e in events_of(eng, "msix.write") if e.time_ns >= 60_000]
    assert late == [("ctrl", 0), ("addr_lo", 0xFEE01004), ("addr_hi", 0), ("data", 0xEF)]
    assert [(e.fields["vector"], e.fields["irq"]) for e in events_of(eng, "apic.accept")] == [(0xEF, -1)]
    t = totals(eng, "d0")
    assert (t["delivered"], t["lost"], t["spurious"]) == (0, 1, 1)
    fixed = _run("e01-enable-after-free-k54", affinity_on_activate=True)
    assert any("WARN_ON_ONCE(!irqd_is_activated" in w for _, w in _notes(fixed))


def test_failed_second_msi_enable_leaves_the_function_silent_pre_4_20() -> None:
    """Held out, predicted from 4.19's source before running: the second msi_capability_init cleared Enable first
    and its -EEXIST path never sets it; Interrupt Disable stays set from the first enable; the list is empty with
    msi_enabled set. Both signals are lost at the function (INTx never signalled), and pci_free_irq_vectors is
    pci_msi_shutdown's BUG_ON(list_empty) before Enable or INTx are touched."""
    eng = _run("h01-msi-twice-silent-k419")
    assert _results(eng) == [("alloc_vectors", 1), ("request_irq", 0), ("alloc_vectors", -17),
                             ("free_vectors", -14)]
    assert [w.split(" -- ")[0] for _, w in _notes(eng, since=100_000)] == [
        "kernel BUG at drivers/pci/msi.c: pci_msi_shutdown: BUG_ON(list_empty(dev_to_msi_list(&dev->dev)))"]
    assert [e.fields["asserted"] for e in events_of(eng, "intx.assert")] == [0, 0]
    d = eng.w.devices["d0"]
    assert not d["msi"]["ctrl"] & 0x1 and d["cmd"] & 0x400
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msi_enabled"], p["descs"], p["irq"]) == (True, [], 24)
    assert eng.w.irqs[24]["action"] is not None     # the leaked, still requested irq
    t = totals(eng, "d0")
    assert (t["delivered"], t["lost"]) == (0, 2)


def test_failed_second_msi_enable_is_harmless_from_4_20() -> None:
    """Held out, 5.4: -EINVAL before msi_capability_init; the first signal reaches irq 24, the teardown is normal
    (dev->irq back to 16, Interrupt Disable clear) and the last signal asserts GSI 16, which has no action."""
    eng = _run("h02-msi-twice-einval-k54")
    assert _results(eng) == [("alloc_vectors", 1), ("request_irq", 0), ("alloc_vectors", -22),
                             ("free_irq", 0), ("free_vectors", 0)]
    assert [e.fields["irq"] for e in events_of(eng, "irq.handler")] == [24]
    assert [e.fields["asserted"] for e in events_of(eng, "intx.assert")] == [1]
    p = eng.w.kernel["pci"]["d0"]
    assert (p["msi_enabled"], p["irq"]) == (False, 16)


@pytest.mark.parametrize("version, want", [("4.14", "dev_irq"), ("5.15", "dev_irq"), ("5.16", "dev_irq"),
                                           ("5.17", "virq"), ("6.6", "virq")])
def test_the_row_follows_82ff8e6b78fc(version: str, want: str) -> None:
    row = next(r for r in kernel_rows.ROWS if r.name == "pci_irq_vector_msi")
    assert (row.initial, row.default, [c.commit[:12] for c in row.history]) == ("dev_irq", "virq", ["82ff8e6b78fc"])
    scn = with_kernel(load_scenario(str(HERE / "v03-free-in-window-k414.yaml")), version=version)
    assert scn.behaviour.plain()["pci_irq_vector_msi"] == want
