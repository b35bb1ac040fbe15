"""resume30: the suspend half of a PCI PM cycle (``pm_suspend``) and what it changes in ``pm_resume``
(tests/resume30/*.yaml, predictions in each file's about).

r01: Memory Space Enable cleared before pci_pm_suspend_noirq's pci_save_state: pci_restore_state writes the
saved Command (0x4) back before pci_restore_msi_state (4.13.9 / 4.18 / 5.17 / current, reading
kernel.pm.save-at-suspend), so every MSI-X table write of the restore is unclaimed and the entries stay masked.
r02: the same clear after the save: the saved 0x6 wins. r03: No_Soft_Reset (quirk pm-no-soft-reset) keeps the
context across D3hot, not across D3cold. r04: an irq moved while the function is out of D0 is only cached by
__pci_write_msi_msg and reaches the function at the restore (reading kernel.pm.msg-cached-out-of-d0).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario, load_scenario_text
from tests.conftest import run_to_end
from tests.test_redteam21 import _events

HERE = Path(__file__).parent / "resume30"

#: the entries' addresses after the probe (entry 0 on CPU1, entry 1 on CPU0), as in tests/kernel28
_A1, _A0 = 4276101124, 4276097028


@cache
def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_resume30_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def _pm_events(eng: Any, t: int) -> list[tuple[Any, ...]]:
    """What the cycle does to the function from ``t``: power changes, resets, config and table accesses."""
    got: list[tuple[Any, ...]] = []
    for e in _events(eng, "dev.power", "dev.reset", "cfg.write", "msix.write", "msix.unclaimed"):
        if e.time_ns < t:
            continue
        f = e.fields
        if e.kind == "dev.power":
            got.append(("power", f["state"]))
        elif e.kind == "dev.reset":
            got.append(("reset", f["cmd"]))
        elif e.kind == "cfg.write":
            got.append(("cfg", f["offset"], f["value"]))
        else:
            got.append(("msix" if e.kind == "msix.write" else "unclaimed", f["entry"], f["reg"], f["value"]))
    return got


def _entry(kind: str, i: int, addr: int, vec: int) -> list[tuple[Any, ...]]:
    """6.6's per-entry restore of one unmasked entry: da181dc974ad's mask, the message, the unmask, then
    pci_msix_write_vector_ctrl."""
    return [(kind, i, "ctrl", 1), (kind, i, "addr_lo", addr), (kind, i, "addr_hi", 0), (kind, i, "data", vec),
            (kind, i, "ctrl", 0), (kind, i, "ctrl", 0)]


def test_memory_off_at_save_leaves_the_table_unrestored_66() -> None:
    """r01 6.6: Command 0x4 saved and written back after the reset; Enable | Function Mask (0xc003) and its clear
    (0x8003) land, the 12 table writes between are unclaimed; both later signals wait in the PBA (entries at their
    reset value, masked) -- the second one after decoding is back on -- and are lost."""
    eng = _run("r01-memoff-at-save-k66")
    assert _pm_events(eng, 1_000_000) == [
        # (intx36: the raw 0x4 cleared Interrupt Disable too: __pci_restore_msix_state's pci_intx_for_msi sets it)
        ("power", "D3hot"), ("power", "D0"), ("reset", 4), ("cfg", 4, 4), ("cfg", 4, 0x404), ("cfg", 0x72, 0xC003),
        *_entry("unclaimed", 0, _A1, 0x20), *_entry("unclaimed", 1, _A0, 0x20), ("cfg", 0x72, 0x8003),
        ("cfg", 4, 6)]
    assert [(e.fields["index"], e.fields["why"]) for e in _events(eng, "msi.held")] == [
        (0, "PBA: entry masked"), (1, "PBA: entry masked")]
    assert not _events(eng, "irq.handler") or all(e.time_ns < 1_000_000 for e in _events(eng, "irq.handler"))
    assert eng.w.devices["eth0"]["msix"]["table"][0] == {"addr_lo": 0, "addr_hi": 0, "data": 0, "ctrl": 1}


def test_memory_off_at_save_510_order() -> None:
    """r01 5.10: the same loss in the release's order -- every message, then every Vector Control (before
    ae72f3156729; 5.10 has no da181dc974ad mask around the message) -- all eight unclaimed."""
    eng = _run("r01-memoff-at-save-k510")
    msgs = [("unclaimed", i, r, v) for i, a in ((0, _A1), (1, _A0))
            for r, v in (("addr_lo", a), ("addr_hi", 0), ("data", 0x21))]
    assert _pm_events(eng, 2_000_000) == [
        ("power", "D0"), ("reset", 4), ("cfg", 4, 4), ("cfg", 4, 0x404), ("cfg", 0x72, 0xC003), *msgs,
        ("unclaimed", 0, "ctrl", 0), ("unclaimed", 1, "ctrl", 0), ("cfg", 0x72, 0x8003), ("cfg", 4, 6)]
    assert [h.name for h in eng.hits if h.time_ns >= 2_000_000] == ["irq-lost", "irq-lost"]


def test_memory_cleared_after_the_save_is_undone_by_the_restore() -> None:
    """r02: the clear reaches the function in D3hot (a config request); the reset leaves 0, the restore writes
    the saved 0x6, the table writes land and both signals are handled."""
    eng = _run("r02-memoff-after-save-k66")
    assert _pm_events(eng, 1_000_000) == [
        ("power", "D3hot"), ("cfg", 4, 4), ("power", "D0"), ("reset", 0x406), ("cfg", 4, 0x406), ("cfg", 0x72, 0xC003),
        *_entry("msix", 0, _A1, 0x20), *_entry("msix", 1, _A0, 0x20), ("cfg", 0x72, 0x8003)]
    assert [(e.cpu, e.fields["index"]) for e in _events(eng, "irq.handler") if e.time_ns >= 1_000_000] == [
        (1, 0), (0, 1)]


@pytest.mark.parametrize(("name", "state", "reset"), [("r03-no-soft-reset-k66", "D3hot", []),
                                                      ("r03-no-soft-reset-d3cold-k66", "D3cold",
                                                       [("reset", 0x406), ("cfg", 4, 0x406)])])
def test_no_soft_reset_keeps_the_context_from_d3hot_only(name: str, state: str, reset: list[Any]) -> None:
    """r03: with No_Soft_Reset, D3hot -> D0 resets nothing and the Command reads the saved value (no write);
    from D3cold the function is reset and Command written back. The MSI-X restore runs in both. The signal in
    D3hot / D3cold is dropped ('function in D3...') and lost; the one after the resume is handled."""
    eng = _run(name)
    assert _pm_events(eng, 1_000_000) == [
        ("power", state), ("power", "D0"), *reset, ("cfg", 0x72, 0xC003),
        *_entry("msix", 0, _A1, 0x20), *_entry("msix", 1, _A0, 0x20), ("cfg", 0x72, 0x8003)]
    assert [(e.fields["index"], e.fields["why"]) for e in _events(eng, "msi.dropped")] == [(1, f"function in {state}")]
    assert [h.detail for h in eng.hits if h.name == "irq-lost"] == [
        f"eth0 vector 1: 1 signal(s) raised while the function was in {state} (no interrupt message: PME, not "
        "modelled, is all it may send)"]


def test_an_irq_moved_while_suspended_reaches_the_function_at_the_restore() -> None:
    """r04: CPU1 goes offline while eth0 is in D3hot; the migration's mask / unmask are unclaimed memory requests,
    __pci_write_msi_msg caches CPU2's message and writes nothing; the restore writes that message and the signal
    is handled on CPU2."""
    eng = _run("r04-offline-while-suspended-k66")
    a2 = 0xFEE04004   # CPU2's destination (the handler runs there)
    assert _pm_events(eng, 1_000_000) == [
        ("power", "D3hot"), ("unclaimed", 0, "ctrl", 1), ("unclaimed", 0, "ctrl", 0), ("power", "D0"), ("reset", 0x406),
        ("cfg", 4, 0x406), ("cfg", 0x72, 0xC003), *_entry("msix", 0, a2, 0x20), ("cfg", 0x72, 0x8003)]
    notes = [e.fields["what"] for e in _events(eng, "kernel") if e.fields["prog"] == "pci_write_msi_msg"]
    assert notes == ["__pci_write_msi_msg: eth0 is in D3hot: the message is cached, not written"]
    assert [(e.cpu, e.fields["index"]) for e in _events(eng, "irq.handler") if e.time_ns >= 1_000_000] == [(2, 0)]


_XEN = ("name: x\ncpus: 2\nplatform: {{kind: {kind}}}\ndevices:\n  eth0: {{bdf: \"00:05.0\", kind: nic, passthrough: "
        "{pt}, msix: {{table_size: 4}}}}\nrun:\n  - {{at: 0, on: 0, do: {do}, dev: eth0}}\n")


@pytest.mark.parametrize("kind", ["xen-pv", "xen-hvm"])
def test_d3cold_is_refused_on_xen(kind: str) -> None:
    """A guest has no platform power control (ACPI _PR3) over a passed-through function."""
    text = _XEN.format(kind=kind, pt="true", do="pm_suspend").replace("dev: eth0}", "dev: eth0, state: d3cold}")
    with pytest.raises(ScenarioError, match=f"which a {kind} guest has no say in"):
        load_scenario_text(text, "x.yaml")


def test_pm_actions_on_xen_hvm_need_a_passthrough_function() -> None:
    with pytest.raises(ScenarioError, match="modelled for a passthrough function"):
        load_scenario_text(_XEN.format(kind="xen-hvm", pt="false", do="pm_suspend"), "x.yaml")


def _hvm_guest_writes(eng: Any, t: int) -> list[tuple[Any, ...]]:
    """The guest's restore as the platform sees it: ioreqs to QEMU, and what reaches the function."""
    got: list[tuple[Any, ...]] = []
    for e in _events(eng, "dev.power", "dev.reset", "ioreq.cfg_write", "ioreq.msix_write", "msix.write", "cfg.write"):
        if e.time_ns >= t:
            f = e.fields
            got.append((e.kind, *(f[k] for k in ("offset", "entry", "reg", "value", "state", "cmd") if k in f)))
    return got


@pytest.mark.parametrize(("version", "ctrl", "delivered"), [("k66", [], [1, 0]), ("k510", [1], [1])])
def test_hvm_resume_keeps_the_function_in_d0(version: str, ctrl: list[int], delivered: list[int]) -> None:
    """h01 (reading kernel.pm.hvm-pmcsr-emulated): QEMU xen-pt's emulated PMCSR keeps the function in D0 -- no
    dev.power, no dev.reset, the signal during the guest's suspend is delivered. The restore: Enable | Function
    Mask to QEMU, the unchanged messages to QEMU, no Command write. 6.6 (pci_msi_ignore_mask) writes no Vector
    Control; 5.10 writes its cached masked one (desc->masked = 1 from msix_program_entries), which Xen's
    msixtbl_write applies to the physical entry (guest_mask_msi_irq): the signal after the resume is held, lost."""
    eng = _run(f"h01-hvm-resume-{version}")
    msgs = [("ioreq.msix_write", i, r, v) for i, lo in ((0, 4276506624), (1, 4276502528))
            for r, v in (("addr_lo", lo), ("addr_hi", 0), ("data", 0x0700 if version == "k66" else 0x4300))]  # xen35: ExtINT from 5.11
    if ctrl:
        msgs = [*msgs[:3], ("msix.write", 0, "ctrl", 1), *msgs[3:], ("msix.write", 1, "ctrl", 1)]
    assert _hvm_guest_writes(eng, 2_000_000) == [
        ("ioreq.cfg_write", 0x72, 0xC003), ("cfg.write", 0x72, 0xC003), *msgs,
        ("ioreq.cfg_write", 0x72, 0x8003), ("cfg.write", 0x72, 0x8003)]
    assert [e.fields["index"] for e in _events(eng, "irq.handler") if e.time_ns >= 2_000_000] == delivered
    assert [h.name for h in eng.hits if h.name == "irq-lost"] == ([] if version == "k66" else ["irq-lost"])


def test_pm_suspend_state_is_checked() -> None:
    text = ("name: x\ncpus: 2\ndevices:\n  eth0: {bdf: \"00:05.0\", kind: nic, msix: {table_size: 4}}\nrun:\n"
            "  - {at: 0, on: 0, do: pm_suspend, dev: eth0, state: d2}\n")
    with pytest.raises(ScenarioError, match="d3hot"):
        load_scenario_text(text, "x.yaml")


def test_memory_off_at_save_spares_msi() -> None:
    """r05: the same saved Command 0x4 with MSI: __pci_restore_msi_state's writes are configuration requests --
    Enable cleared (twice: pci_msi_set_enable, then __pci_write_msi_msg's Multiple Message Enable), the message,
    the Mask Bits, Enable (0x181) -- and land; the signal is handled."""
    eng = _run("r05-memoff-at-save-msi-k66")
    assert _pm_events(eng, 1_000_000) == [
        ("power", "D3hot"), ("power", "D0"), ("reset", 4), ("cfg", 4, 4), ("cfg", 4, 0x404), ("cfg", 0x52, 0x180), ("cfg", 0x52, 0x180),
        ("cfg", 0x54, _A1), ("cfg", 0x58, 0), ("cfg", 0x5C, 0x20), ("cfg", 0x60, 0), ("cfg", 0x52, 0x181)]
    assert [e.fields["index"] for e in _events(eng, "irq.handler") if e.time_ns >= 1_000_000] == [0]


@pytest.mark.parametrize(("version", "value"), [("4.12", False), ("4.13", True), ("5.10", True), (None, True)])
def test_thaw_restores_by_release(version: str | None, value: bool) -> None:
    from msidbg.behaviour import resolve

    assert resolve("bare-metal", kernel=version).plain("bare-metal")["pm_thaw_restores"] is value


def test_thaw_row_is_not_in_xen_worlds() -> None:
    from msidbg.behaviour import resolve

    assert "pm_thaw_restores" not in resolve("xen-hvm", kernel="5.10").plain("xen-hvm")


@pytest.mark.parametrize("version", ["k412", "k413"])
def test_thaw_after_an_offline_by_release(version: str) -> None:
    """t01 (reading kernel.pm.freeze-thaw): CPU1's offline while frozen moves the irq to CPU0's vector 97 and
    __pci_write_msi_msg caches that message (current_state PCI_UNKNOWN), while the mask / unmask around it reach the
    function (it stays in D0). 4.12's thaw restores nothing: the function still sends CPU1's vector 81, unused
    on the onlined CPU1 -- 'No irq handler for vector', lost. 4.13's pci_restore_state writes CPU0's message
    under Function Mask (messages, then Vector Control: before ae72f3156729) and the signal is handled on CPU0."""
    eng = _run(f"t01-thaw-after-offline-{version}")
    frozen = _pm_events(eng, 1_000_000)
    assert frozen[:2] == [("msix", 0, "ctrl", 1), ("msix", 0, "ctrl", 0)]
    notes = [e.fields["what"] for e in _events(eng, "kernel") if e.fields["prog"] in ("pci_write_msi_msg", "pci_pm_thaw")]
    assert notes[0] == "__pci_write_msi_msg: eth0 is in PCI_UNKNOWN: the message is cached, not written"
    if version == "k412":
        assert frozen[2:] == []
        assert notes[1:] == ["pci_pm_thaw_noirq: pci_update_current_state(D0), no pci_restore_state (before "
                             "e60514bd4485): the function keeps its messages"]
        late = [e for e in _events(eng, "irq.unhandled", "irq.handler") if e.time_ns >= 9_000_000]
        assert [(e.kind, e.cpu, e.fields.get("vector")) for e in late] == [("irq.unhandled", 1, 81)]
        assert late[0].fields["slot"] == "UNUSED"
    else:
        assert frozen[2:] == [("cfg", 0x72, 0xC003), ("msix", 0, "addr_lo", 0xFEE00000), ("msix", 0, "addr_hi", 0),
                              ("msix", 0, "data", 97), ("msix", 0, "ctrl", 0), ("cfg", 0x72, 0x8003)]
        assert [(e.cpu, e.fields["irq"]) for e in _events(eng, "irq.handler") if e.time_ns >= 9_000_000] == [(0, 24)]


def test_pm_freeze_is_bare_metal_only() -> None:
    with pytest.raises(ScenarioError, match="pm_freeze .* is modelled on bare metal only"):
        load_scenario_text(_XEN.format(kind="xen-hvm", pt="true", do="pm_freeze"), "x.yaml")


def test_provenance_records_never_decides() -> None:
    from tests.conftest import assert_prov_neutral

    assert_prov_neutral(sorted(HERE.glob("*.yaml")))


@pytest.mark.parametrize("name", ["r04-offline-while-suspended-k66", "t01-thaw-after-offline-k412"])
def test_a_world_copied_while_suspended_runs_to_the_same_end(name: str) -> None:
    """A snapshot taken while the function is out of D0 (the device's ``power`` / the kernel's ``pm`` keys in the
    world) resumes to the same events and state hash as the run that never stopped."""
    from msidbg.model import new_engine
    from msidbg.sim.world import state_hash
    from tests.conftest import finish_copy, totals

    whole = _run(name)
    part = new_engine(load_scenario(str(HERE / f"{name}.yaml")))
    while part.step() and part.w.now < 2_500_000:
        pass
    assert part.w.kernel["pci"]["eth0"].get("pm") is not None
    twin = finish_copy(part)
    assert state_hash(twin.w) == state_hash(whole.w)
    assert totals(twin, "eth0") == totals(whole, "eth0")


def _pv_writes(eng: Any, t: int) -> list[tuple[Any, ...]]:
    got: list[tuple[Any, ...]] = []
    for e in _events(eng, "dev.power", "dev.reset", "cfg.write", "pcifront.dropped", "msix.write", "action.done"):
        if e.time_ns >= t:
            f = e.fields
            if e.kind == "action.done":
                got.append(("done", f["do"], f["result"]))
            else:
                got.append((e.kind, *(f[k] for k in ("state", "cmd", "offset", "entry", "value") if k in f)))
    return got


_OOPS = ("BUG: unable to handle page fault (#PF: supervisor write access in kernel mode, permissions violation) in "
         "__pci_restore_msix_state: __pci_write_msi_msg stores into the MSI-X table, which a Xen PV domU maps "
         "read-only; the task oopses (msidbg ends pci_restore_state here)")


def test_pv_resume_reset_leaves_the_function_dead() -> None:
    """p01 (reading kernel.pm.pv-pciback-resume): dom0's pci_set_power_state moves the function (dev.power both
    ways, dev.reset); the guest's Command write 0x6 finds dom0's pci_is_enabled / is_busmaster set and makes no call
    (dropped, the Command stays 0); Enable | Function Mask is dropped; the first message store oopses (-EFAULT);
    the signal is dropped with MSI-X disabled."""
    eng = _run("p01-pv-resume-k66")
    assert _pv_writes(eng, 2_000_000) == [
        ("dev.power", "D3hot"), ("done", "pm_suspend", 0), ("dev.power", "D0"), ("dev.reset", 0x406),
        ("pcifront.dropped", 4, 0), ("pcifront.dropped", 0x72, 0xC003), ("done", "pm_resume", -14)]
    assert [e.fields["what"] for e in _events(eng, "kernel") if e.fields["prog"] == "pci_restore_msix"] == [_OOPS]
    assert eng.w.devices["eth0"]["cmd"] == 0 and eng.w.devices["eth0"]["pciback"] == {"enabled": True, "master": True}
    assert [(e.fields["index"], e.fields["why"]) for e in _events(eng, "msi.dropped")] == [(0, "MSI and MSI-X disabled")]


def test_pv_resume_of_msi_drops_everything_without_an_oops() -> None:
    """p02: 5.10's __pci_restore_msi_state through pciback: every write dropped (Enable clear, Multiple Message
    Enable, the message, Enable; no Mask Bits write under pci_msi_ignore_mask), pm_resume returns 0, MSI stays
    disabled and the signal is lost."""
    eng = _run("p02-pv-resume-msi-k510")
    assert _pv_writes(eng, 3_000_000) == [
        ("dev.power", "D0"), ("dev.reset", 0x406), ("pcifront.dropped", 4, 0), ("pcifront.dropped", 0x52, 0x180),
        ("pcifront.dropped", 0x52, 0x180), ("pcifront.dropped", 0x54, 0), ("pcifront.dropped", 0x58, 0),
        ("pcifront.dropped", 0x5C, 0), ("pcifront.dropped", 0x52, 0x181), ("done", "pm_resume", 0)]
    assert eng.w.devices["eth0"]["pciback"] == {"enabled": True, "master": True}
    assert not [e for e in _events(eng, "irq.handler") if e.time_ns >= 3_000_000]


def test_pv_resume_without_a_reset_oopses_but_the_function_keeps_working() -> None:
    """p03: No_Soft_Reset -- no dev.reset, no Command write, Enable | Function Mask dropped, the message store
    oopses all the same; the function kept its MSI-X state and the signal is delivered through its pirq."""
    eng = _run("p03-pv-resume-no-soft-reset-k66")
    assert _pv_writes(eng, 3_000_000) == [
        ("dev.power", "D0"), ("pcifront.dropped", 0x72, 0xC003), ("done", "pm_resume", -14)]
    assert "pciback" not in eng.w.devices["eth0"]
    assert [e.fields["index"] for e in _events(eng, "irq.handler") if e.time_ns >= 3_000_000] == [0]
