"""The 2022 late-mask bug on Xen HVM emerges from QEMU's binding, Xen's intercept and the guest's masks."""

import dataclasses

from msidbg.model import hits
from msidbg.model.hw import ENTRY_MASKBIT
from tests.conftest import (
    comparable,
    events_of,
    hit_names,
    run_to_end,
    scenario,
    shipped,
    totals,
    with_kernel,
    with_platform,
)

BUG = "xen-hvm-msix-mask-late"




def test_late_mask_on_old_xen_loses_every_interrupt() -> None:
    eng = run_to_end(shipped(BUG))
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 0, "lost": 30, "spurious": 0}
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"     # the probe itself succeeds
    table = eng.w["devices"]["eth0"]["msix"]["table"]
    assert all(e["ctrl"] & ENTRY_MASKBIT for e in table)       # the physical entries stay masked
    assert eng.w["devices"]["eth0"]["msix"]["pba"] == [1, 1, 1]  # every signal sits in the PBA


def test_the_late_mask_reaches_the_device_through_xens_intercept() -> None:
    """The mask writes after the binding are physical msix.write events made by the guest CPU."""
    eng = run_to_end(shipped(BUG))
    binds = [e.index for e in events_of(eng, "qemu.bind_pirq")]
    phys_masks = [e for e in events_of(eng, "msix.write") if e.cpu is not None and e.fields["value"] == 1]
    assert len(binds) == 3 and len(phys_masks) == 3
    assert all(m.index > max(binds) for m in phys_masks)
    # request_irq only unmasks event channels: no later write clears a physical mask bit
    assert not [e for e in events_of(eng, "msix.write") if e.fields["value"] == 0 and e.index > phys_masks[0].index]


def test_fixed_twins_deliver_everything() -> None:
    for name in (f"{BUG}-early", f"{BUG}-ignore-mask"):
        eng = run_to_end(shipped(name))
        assert totals(eng, "eth0") == {"raised": 30, "delivered": 30, "lost": 0, "spurious": 0}, name
        assert not hit_names(eng) & {hits.IRQ_LOST, hits.PIRQ_CONFLICT}, name


def test_twins_differ_only_in_the_switch_the_fix_changed() -> None:
    bug = shipped(BUG)
    early, ignore = shipped(f"{BUG}-early"), shipped(f"{BUG}-ignore-mask")
    assert comparable(with_kernel(early, msix_mask_all="late")) == comparable(bug)
    assert comparable(with_kernel(ignore, xen_hvm_msi_ignore_mask=False)) == comparable(bug)
    assert early.kernel != bug.kernel and ignore.kernel != bug.kernel


def test_each_fix_alone_is_enough_and_the_bug_needs_both_conditions() -> None:
    bug = shipped(BUG)
    for switches in ({"msix_mask_all": "early"}, {"xen_hvm_msi_ignore_mask": True}):
        assert totals(run_to_end(with_kernel(bug, **switches)), "eth0")["lost"] == 0, switches


def test_the_same_device_on_bare_metal_delivers_every_interrupt() -> None:
    bug = shipped(BUG)
    dev = dataclasses.replace(bug.devices["eth0"], passthrough=False)
    bare = dataclasses.replace(bug, platform=type(bug.platform)(), devices={"eth0": dev})
    eng = run_to_end(bare)
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 30, "lost": 0, "spurious": 0}


def test_binding_on_unmask_does_not_avoid_it() -> None:
    """QEMU's real rule (bind when an updated entry is unmasked) binds on the restore write of
    da181dc974ad's masked update, because QEMU's emulated table starts unmasked (finding 1)."""
    eng = run_to_end(with_platform(shipped(BUG), xen_pt_bind="on-unmask"))
    assert totals(eng, "eth0")["lost"] == 30


def test_xen_46_unmasks_when_the_event_channel_is_bound() -> None:
    """Xen 4.6+ keeps the guest's mask apart and clears it in arch_evtchn_bind_pirq."""
    eng = run_to_end(with_platform(shipped(BUG), xen="4.6", xen_pt_bind="on-write"))
    assert eng.w["behaviour"]["xen_pt_bind"] == "on-write"        # the explicit switch wins
    assert eng.w["behaviour"]["xen_msi_mask"] == "combined"
    assert totals(eng, "eth0")["lost"] == 0


def test_xen_pv_ignores_masking() -> None:
    bug = shipped(BUG)
    eng = run_to_end(dataclasses.replace(bug, platform=type(bug.platform)(kind="xen-pv")))
    assert eng.w["kernel"]["ignore_mask"]
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 30, "lost": 0, "spurious": 0}


def test_each_guest_access_traps_and_costs_virtual_time() -> None:
    eng = run_to_end(shipped(f"{BUG}-early"))
    reads = events_of(eng, "ioreq.msix_read")
    assert len(reads) == 3
    assert reads[1].time_ns - reads[0].time_ns >= eng.w["costs"]["trap"]
    assert len(events_of(eng, "qemu.ioreq_done")) >= 6   # the message writes wait for QEMU


def test_late_mask_with_a_device_that_latches_nothing_new() -> None:
    """The guest-visible emulated entries keep the pirq messages; the device holds Xen's."""
    eng = run_to_end(shipped(BUG))
    emu = eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"]
    assert [e["latch"][2] for e in emu] == [0x0700] * 3     # 5.15.30's xen_msi_compose_msg: ExtINT (41bb2115beec)
    phys = eng.w["devices"]["eth0"]["msix"]["table"]
    assert all(e["data"] != 0x0700 and 0x30 < e["data"] < 0xEC for e in phys)


def test_inline_nic_on_hvm_with_the_defaults_works() -> None:
    scn = scenario("""
        name: t
        cpus: 2
        platform: {kind: xen-hvm}
        devices:
          eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
        run:
          - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
          - {at: 1ms, do: fire, dev: eth0, vector: 1, count: 4, every: 5us}
    """)
    eng = run_to_end(scn)
    assert totals(eng, "eth0") == {"raised": 4, "delivered": 4, "lost": 0, "spurious": 0}


def test_the_bug_needs_a_xen_from_a35137373a_before_46_whatever_the_device_model() -> None:
    """xen_pt_bind unset everywhere: every Xen that lets the guest write the mask bit through the
    intercept and before 4.6 loses all 30 (qemu-traditional, qemu-xen before and after the latched
    table); 4.2.0 .. 4.2.3 and 4.3.0 discard the guest's mask writes (74c213c506, before a35137373a:
    auditxen) and every Xen from 4.6 keeps the guest's bit apart: both deliver all 30."""
    bug = shipped(BUG)
    for xen, qemu in (("4.2.4", None), ("4.3.1", None), ("4.4", None), ("4.5", None), ("4.5", "qemu-xen-4.7"),
                      ("4.4", "qemu-traditional")):
        eng = run_to_end(with_platform(bug, xen=xen, qemu=qemu))
        assert eng.w["behaviour"]["xen_pt_bind"] == "on-unmask"
        assert totals(eng, "eth0")["lost"] == 30, (xen, qemu)
    for xen in ("4.2", "4.3", "4.6", "4.8", "4.16", "4.22"):
        assert totals(run_to_end(with_platform(bug, xen=xen)), "eth0")["lost"] == 0, xen


def test_the_xen46_twin_differs_only_in_the_xen_release() -> None:
    bug, fix = shipped(BUG), shipped(f"{BUG}-xen46")
    assert comparable(with_platform(fix, xen="4.4")) == comparable(bug)
