"""why31: the provenance gaps round 30's lanes left (docs/why.md, "Round 31"). A restore whose table writes the function
did not decode (Memory Space off in the Command pci_save_state saved) links the dropped unmask and through it the saved
Command; the restore's Vector Control write links the descriptor's cached word when bits beside the Mask bit decide it;
an accept of a vector a Xen vCPU's IRR held while the vCPU waited on its pCPU's runqueue links the schedule-in.
Recording only: every file runs to the same events, hits and state hash with provenance on and off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.why_helpers import cli, ran

TESTS = Path(__file__).resolve().parent
RESUME30 = TESTS / "resume30"
KERNEL28 = TESTS / "kernel28"
XENSCHED30 = TESTS / "xensched30"


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _loss(s: Any, dev: str) -> Any:
    return s.why(next(h for h in s.hits() if h.name == "irq-lost" and h.detail.startswith(dev)))


@pytest.mark.parametrize("name, chain", [
    # 6.6 (ae72f3156729's per-entry restore): entry 0's masked-update mask (51), message (52-54), its unmask (55), then
    # pci_msix_write_vector_ctrl's cached 0 (56): the last dropped write of the entry's Vector Control
    ("r01-memoff-at-save-k66", [
        (70, "lost", "acct.eth0.lost[0]"), (65, "pba.set", "devices.eth0.msix.pba[0]"),
        (56, "mmio.unclaimed", "devices.eth0.msix.table[0].ctrl"), (49, "pci.cmd", "devices.eth0.cmd"),
        (43, "kernel", "kernel.pci.eth0.pm.saved_cmd"), (40, "pci.cmd", "devices.eth0.cmd"),
        (39, "action.start", "actions[1]")]),
    # 5.10: every message first, then every Vector Control (56: entry 0's)
    ("r01-memoff-at-save-k510", [
        (65, "lost", "acct.eth0.lost[0]"), (60, "pba.set", "devices.eth0.msix.pba[0]"),
        (56, "mmio.unclaimed", "devices.eth0.msix.table[0].ctrl"), (48, "pci.cmd", "devices.eth0.cmd"),
        (42, "kernel", "kernel.pci.eth0.pm.saved_cmd"), (39, "pci.cmd", "devices.eth0.cmd"),
        (38, "action.start", "actions[1]")]),
])
@pytest.mark.xfail(strict=True, reason=(
    "intx36: after the restore, __pci_restore_msi[x]_state's pci_intx_for_msi reads the restored Command 0x4 and "
    "writes 0x404; that read-modify-write is now Command's last writer, and the dropped unmask's 'Memory Space clear' "
    "link stops there (-> pm_resume) instead of going on through the restored and saved Command to the 0x4 write. "
    "Lead: pci_intx's write should link the bits it kept to the value it read (D_READ_RMW) on every platform"))
def test_a_restore_memory_space_off_links_the_dropped_unmask_and_the_saved_command(
        name: str, chain: list[tuple[int, str, str]]) -> None:
    """resume30 r01: Command 0x4 (Memory Space off) is what pci_save_state saved at pm_suspend and what
    pci_restore_config_space writes back after the D3hot -> D0 reset; __pci_restore_msix_state's table writes are then
    memory requests the function does not claim. The chain named the reset (dev.reset) as the mask's writer and ended
    at pm_resume: it now goes loss <- PBA <- the dropped unmask <- the restored Command <- the saved Command <- the
    write that cleared Memory Space -- what a fix changes. The reset stays the PBA bit's branch."""
    s = ran(name, RESUME30)
    why = _loss(s, "eth0 vector 0")
    assert _chain(why) == chain
    drop, restore, saved = why.chain[2], why.chain[3], why.chain[4]
    assert drop.relation == "the unmask that would have cleared the mask, not decoded"
    assert drop.stack[:2] == ["pci_restore_msix+msix_entries", "pci_pm_resume+resumed"]
    assert s.event(drop.event).fields == {"entry": 0, "reg": "ctrl", "value": 0}
    assert restore.relation == "not decoded: Memory Space Enable clear in" and restore.stack == [
        "pci_pm_resume+restore_config"]
    assert saved.relation == "the Command pci_save_state saved, in" and saved.value == 4
    assert saved.stack == ["pci_pm_suspend+save_state"]
    assert why.chain[5].relation == "saved from" and s.event(why.chain[5].event).fields["value"] == 4
    assert [(b[0].event, b[0].link) for b in why.chain[1].branches] == [(chain[3][0] - 1, "table.write")]
    assert s.event(chain[3][0] - 1).kind == "dev.reset"
    # vector 1: its own entry's last dropped Vector Control write, the same Command
    why1 = _loss(s, "eth0 vector 1")
    assert why1.chain[2].path == "devices.eth0.msix.table[1].ctrl" and why1.chain[2].link == "mmio.unclaimed"
    assert _chain(why1)[3:] == chain[3:]


_DROPS = """name: why31-drops
cpus: 2
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:05.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 100us, on: 0, do: write, dev: eth0, target: msix-table, offset: 12, value: 1}}
  - {{at: 200us, on: 0, do: write, dev: eth0, target: config, offset: 4, value: 0x4, size: 2}}
{drops}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("drops, dropped", [
    (["0", "1"], False),    # the unmask, then a mask: both dropped -- the mask would have masked again
    (["1", "0"], True),     # the mask, then the unmask: the unmask is what would have released the signal
])
def test_only_a_last_dropped_unmask_is_what_kept_the_mask(tmp_path: Path, drops: list[str], dropped: bool) -> None:
    """The link follows the entry's last dropped Vector Control write: an unmask, not one a later dropped mask
    would have undone. The mask the driver's own write (landed, at 100 us) set stays the PBA bit's other link."""
    rows = "\n".join(f"  - {{at: {300 + 100 * i}us, on: 0, do: write, dev: eth0, target: msix-table, offset: 12, "
                      f"value: {v}}}" for i, v in enumerate(drops))
    f = tmp_path / "drops.yaml"
    f.write_text(_DROPS.format(drops=rows))
    from msidbg.debugger import Session
    s = Session.from_scenario(str(f))
    s.run()
    unclaimed = [e.index for e in s.events(1, s.total + 1) if e.kind == "msix.unclaimed"]
    assert len(unclaimed) == 2
    why = _loss(s, "eth0 vector 0")
    landed = next(e.index for e in s.events(1, s.total + 1) if e.kind == "msix.write"
                  and e.fields == {"entry": 0, "reg": "ctrl", "value": 1} and e.time_ns == 100_000)
    if dropped:
        assert _chain(why)[2] == (unclaimed[1], "mmio.unclaimed", "devices.eth0.msix.table[0].ctrl")
        assert [(b[0].event, b[0].link) for b in why.chain[1].branches] == [(landed, "table.write")]
    else:
        assert _chain(why)[2] == (landed, "table.write", "devices.eth0.msix.table[0].ctrl")
        assert "mmio.unclaimed" not in [lk.link for lk in why.links()]


@pytest.mark.parametrize("name", ["v06-pm-resume-ctrl-bits-k545", "v06-pm-resume-ctrl-bits-k546"])
def test_the_restores_vector_control_write_links_the_cached_words_reserved_bit(name: str) -> None:
    """kernel28 v06 (msix-ctrl-reserved-bits): msix_program_entries reads Vector Control 0x3 (the reset's Mask bit and
    the quirk's reserved bit 1) into the descriptor (event 10); __pci_restore_msix_state writes the cached word back.
    5.4.5 (before e045fa29e893) turns any set bit into the Mask bit (0x3: the signal is held for good); 5.4.6 writes
    0x2. Either way the write links the read that put bit 1 in the cache, not pm_resume's action (why30's lead). Events after
    the probe's Interrupt Disable write (12, intx36) are +1; the restore's pci_intx_for_msi finds 0x406 and writes none."""
    s = ran(name, KERNEL28)
    ctrl = [e for e in s.events(1, s.total + 1) if e.kind == "msix.write" and e.fields["reg"] == "ctrl"][-1]
    assert (ctrl.index, ctrl.fields["value"]) == (31, 3 if name.endswith("k545") else 2)
    rc, out, err = cli("why", str(KERNEL28 / f"{name}.yaml"), "--event", "31", "--json")
    assert rc == 0, err
    import json
    chain = json.loads(out)["chain"]
    assert [(lk["event"], lk["link"], lk["path"]) for lk in chain] == [
        (31, "table.write", "devices.nvme0.msix.table[0].ctrl"), (10, "kernel", "kernel.pci.nvme0.descs[0].msix_ctrl"),
        (1, "action.start", "actions[0]")]
    assert s.event(10).kind == "msix.read" and s.event(10).fields == {"entry": 0, "reg": "ctrl", "value": 3}
    if name.endswith("k545"):
        assert _chain(_loss(s, "nvme0 vector 0"))[2:4] == [
            (31, "table.write", "devices.nvme0.msix.table[0].ctrl"), (10, "kernel", "kernel.pci.nvme0.descs[0].msix_ctrl")]


def test_the_cached_word_after_an_unmask_links_the_read_its_other_bits_came_from() -> None:
    """``why --path kernel.pci.D.descs[i].msix_ctrl``: request_irq's pci_msi_unmask (19) clears the Mask bit of the cached
    0x3 and keeps the reserved bit 1 (0x2): it links msix_program_entries' read (10), then the probe (19: 18 before intx36's
    Interrupt Disable write at 12)."""
    rc, out, err = cli("why", str(KERNEL28 / "v06-pm-resume-ctrl-bits-k545.yaml"), "--path",
                       "kernel.pci.nvme0.descs[0].msix_ctrl", "--at", "21", "--json")
    assert rc == 0, err
    import json
    chain = json.loads(out)["chain"]
    assert [(lk["event"], lk["link"], lk["path"]) for lk in chain] == [
        (19, "kernel", "kernel.pci.nvme0.descs[0].msix_ctrl"), (10, "kernel", "kernel.pci.nvme0.descs[0].msix_ctrl"),
        (1, "action.start", "actions[0]")]
    assert chain[0]["stack"][:2] == ["__irq_startup+enable", "irq_startup+startup_last"]
    assert chain[1]["relation"] == "the descriptor's cached Vector Control, its other bits from"


def test_a_restore_of_a_cached_mask_bit_alone_links_no_cache() -> None:
    """A cached word with the Mask bit alone (or 0) says nothing the action's own restore does not: no cache link
    (resume30 r02's restore writes land; their chains are unchanged)."""
    rc, out, err = cli("why", str(RESUME30 / "r02-memoff-after-save-k66.yaml"), "--path",
                       "devices.eth0.msix.table[0].ctrl", "--json")
    assert rc == 0, err
    assert "kernel.pci.eth0.descs" not in out


def test_an_accept_held_while_the_vcpu_waited_on_the_runqueue_links_its_schedule_in() -> None:
    """xensched30 s07 (Xen 4.19.2 credit2): vCPU1's IRR holds 0x21 (set at 10602) behind the same vector in service
    while vCPU1 spins in the handler and, with vCPU0 on the same pCPU, waits on the runqueue after each PAUSE-loop
    yield. vCPU0's yield at 7.157448 ms (10843) schedules vCPU1 in; it finishes the handler, EOIs and accepts 0x21 at
    7.1577 ms (10847). The accept had no node for the wait: it now branches to that schedule-in (an annotation: the
    default stays the vector_irq slot free_irq cleared, which makes the interrupt unhandled). Indices +10 since intx36: each
    probe's pci_intx_for_msi is a trapped Command read and write through QEMU (5 events, e.g. 33-37); times unchanged."""
    s = ran("s07-x4192-ple-yield-lock-holder", XENSCHED30)
    assert s.event(10847).kind == "apic.accept" and s.event(10847).time_ns == 7_157_700
    assert s.event(10843).kind == "xen.sched" and s.event(10843).fields["vcpu"] == 1
    why = s.why(10847)
    assert _chain(why) == [(10847, "accept", "cpus[1].isr[0x21]"), (10833, "vector_irq", "cpus[1].vector_irq[0x21]"),
                           (10579, "action.start", "actions[4]")]
    branches = [(b[0].event, b[0].link, b[0].path) for b in why.chain[0].branches]
    assert branches == [(10602, "irr.vmsi", "cpus[1].irr[0x21]"), (10843, "xen.sched_in", "xen.sched.since[1]")]
    sched = why.chain[0].branches[1][0]
    assert sched.relation == "the vCPU waited on its pCPU's runqueue (IRR set) until"
    assert sched.value == 7_157_448


def test_an_accept_on_a_vcpu_scheduled_in_before_its_irr_bit_links_no_wait() -> None:
    """The link needs the schedule-in after the IRR bit was set: s07's earlier accept on vCPU1 (before any wait) has
    none."""
    s = ran("s07-x4192-ple-yield-lock-holder", XENSCHED30)
    first = next(e for e in s.events(1, s.total + 1) if e.kind == "apic.accept" and e.cpu == 1)
    assert first.index < 10657
    why = s.why(first.index)
    assert "xen.sched_in" not in [lk.link for lk in why.links()]


@pytest.mark.parametrize("folder", [RESUME30, KERNEL28, XENSCHED30], ids=lambda p: p.name)
def test_provenance_records_never_decides(folder: Path) -> None:
    from tests.conftest import assert_prov_neutral

    assert_prov_neutral(sorted(folder.glob("*.yaml")))
