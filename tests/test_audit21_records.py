"""audit21: the behaviour table's Change records audit17-20 left unchecked, read against upstream; a seeded sample
of 25 readings of the registry; and every reading source that names a table commit cross-checked against that
row's stable releases.

Records (a): the ten history / traditional Changes no earlier audit test names with its commit (every other of the
114 was checked by audit17-20). Kernel ones in linux-stable-rc post-receive revlists, tip / pull mails and patch
postings (torvalds/linux cannot be fetched here); qemu-traditional ones at the xen-X.Y.Z tags of the fork
reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0). All ten hold:
* msi_update_mask_can_mask 446a98b19fd6 (5.15: pci_msi_update_mask without a mask check): tglx's irq/core pull for
  v5.15-rc1 lists 'PCI/MSI: Use new mask/unmask functions'; Rui Salvaterra bisected his 5.15-rc4 boot failure to
  it. 5.14.y has neither it nor the fix (its __pci_msi_desc_mask_irq tests msi_attrib.maskbit itself).
* msi_update_mask_can_mask 9c8e9c9681a0 (5.16; 5.15.3): the patch adds 'if (!desc->msi_attrib.can_mask) return;'
  to pci_msi_update_mask; the linux-5.15.y push of 2021-11-18 ending 'Linux 5.15.3-rc4' carries its copy
  8e0dd14b348f; the 5.16 merge-window revlists list 9c8e9c9681a0 itself.
* posted_msi_vector f5a3562ec9dd (6.10): '[GIT pull] x86/irq for v6.10-rc1' (2024-05-13) carries it, its
  irq_vectors.h hunk '#define FIRST_SYSTEM_VECTOR POSTED_MSI_NOTIFICATION_VECTOR' (0xeb) under
  CONFIG_X86_LOCAL_APIC. A feature series: no stable copy.
* nvme_queue_cpus 4.13 'present': no new source (no stored tree or patch has 'nr_io_queues = num_present_cpus()');
  it stays unconfirmed, as redteam19 left it.
* qemu-traditional (read at xen-4.0.0, 4.1.x, 4.2.0, 4.8.0): qemu_bind_unmask (pt_msi_update / pt_msix_update_one
  pass __get_msi_gflags only: no unmask bit), qemu_msix_latch (pci_msix_writel: 'Can't update entry %d since MSI-X
  is already enabled' when msix->enabled and the physical Vector Control is unmasked), qemu_writes_phys_mask
  (mask_physical_msix_entry and a PROT_WRITE mapping up to xen-4.1.6.1, PROT_READ from xen-4.2.0), xen_pt_bind
  (pt_msixctrl_reg_write binds on Enable with Function Mask clear; pci_msix_writel binds on an unmasking Vector
  Control write), qemu_ioreq_server (hw/xen_machine_fv.c maps HVM_PARAM_IOREQ_PFN: the default server),
  qemu_msix_pirq_ignore_mask (the tree has no hw/msix.c: its emulated NICs have no MSI-X). Whether a
  qemu-traditional after xen-4.8.0 changed any of them is not stored (Xen's QEMU_TAG updates name no commits).

Readings (b): random.Random(21).sample(pool, 25), pool = the confirmed readings no audit test before audit21 names
(tests/test_audit1*.py, tests/test_audit20_records.py; sorted; 154 of 230). Xen / qemu-xen / qemu-traditional on
the fetched mirrors (git show at the tags, git tag --contains, every copy by git log --all -F --grep), Linux in the
stored copies and mails. Wrong (7; no run changes -- the model follows the behaviour rows, which were right):
* xen.hvmloader-cmd: a8e0c228c7 (4.14.0) has stable copies 6bf8bdd5c6 (first in RELEASE-4.12.3) and a060e72626
  (RELEASE-4.13.1): their pci.c has pci_devfn_decode_type, 4.12.2's and 4.13.0's not. The sources said 3.4..4.13
  and 4.14.. only.
* qemu.traditional-like-44: 'up to Xen 4.4's tree it only records Enable'; the xen-4.3.3 / 4.3.4 and 4.4.1 .. 4.4.4
  trees' pt_msixctrl_reg_write calls pt_msix_disable (d0395cc4's copies 8a7abb16 / 6ae4e588, which audit18 put in
  the row qemu_unmap_pirq_on_msi_disable without correcting the reading).
* kernel.lock.try-one-irq: its quote ('irqreturn_t ret = IRQ_NONE; ... raw_spin_lock(&desc->lock);') is the
  2.6.39-era copy 009b4c3b8ad5's; the cited 08c51f5bddc8 has 'bool ret = false; guard(raw_spinlock)(&desc->lock);'
  (the same lock over the same span).
* kernel.affinity.startup-order: IRQCHIP_AFFINITY_PRE_STARTUP '(5.14)' only; 826da771291f's stable copies are in
  5.13.12, 5.10.60, 5.4.142 (eda32c21882c before 'Linux 5.4.142' in the August 2021 linux-stable-rc push) and
  4.19.205, as row affinity_before_startup has them; that push's 4.4 / 4.9 / 4.14 blocks carry the MSI-X series
  without it (and GKH's 'failed to apply to 4.9-stable tree').
* qemu.emulated-pirq-ignores-mask: named qemu-xen 4.7 and 4.5.3, not the 4.6.3 the row carries by Xen's pins.
* kernel.intx.offline (MIGRATE: a6c11c0a5235 '6.10..', not its 4.19.316 .. 6.9.4 copies) and xen.intx.dpci-timer
  (XEN_INTX_EOI_MASKED: eb298f32fa '4.15..', not 4.13.3 / 4.14.2, which its own text names): release ranges.
The other 18 say what their sources say (xen.domain-pirqs-102: extra_domU_irqs 32 at RELEASE-4.2.0 / 4.8.0 /
4.16.0 / 4.21.0, get_free_pirq from nr_pirqs - 1 down; xen.dm-unmap-needs-emuirq: RELEASE-4.1.0 / 4.1.2
physdev_unmap_pirq, 3237652624 first in 4.1.3; xen.intx.dpci-timer: RELEASE-4.13.0 io.c, 730d0f6082 first in
4.16.0, eb298f32fa with dc36f72d2a / a3509dcd0f; xen.msixtbl.whole-table: !!virt up to RELEASE-4.5.5, !!desc
from 4.6.0; xen.vlapic.soft-disabled: f1d7aac1e3c3 with 07bbac08b5 / 54bb56e128, f5d0279839 with 4ad5975d4e /
26f39b3d70, xen_hvm_smp_init sets no cpu_disable; kernel.hotplug.lock: 5e33bc4165f3 of 2013-08-28, 3.12;
kernel.intx.poll-waits-irqs-on: run_local_timers static from cc947f2b9c04 (5.11); ...).
Not settled, left as leads: kernel.intx.offline's 'IRQ_MOVE_PCNTXT only with remapping' -- f94a18249b7f (6.14
merge window) removed the flag for IRQCHIP_MOVE_DEFERRED (7d04319a05ab converts x86), not read in a tree.

Cross-check (c): every Source of the registry whose ref is a table commit now lists that row's stable releases
(and the ranges that end at such a commit say where). Nineteen registered sources did not (SET_AFFINITY,
ONLINE_FILTER, MSI_SET_AFFINITY, MSI_SET_AFFINITY_NOW, MSIX_INIT, IOAPIC_MOVE_MASKED, UNPLUG_EXCLUDES_MANAGED,
SPURIOUS_NO_EOI, LINUX_83DBF, LINUX_NO_FLAT with LINUX_APIC_FLAT / LINUX_FLAT_CALC, LINUX_SOFT_LOST, the AMD
IRTE sources, XEN_BUSY, XEN_INTX_EOI_MASKED, LINUX_F3B0946); rows corrected by audit18-20 (affinity_on_activate,
affinity_online_filter, unplug_excludes_managed) had left their sources behind. With the sample's fixes 24
registered sources changed their release ranges and one its text (SPURIOUS_POLL); no behaviour row changed.
Five more readings dated a table commit by its mainline release alone in their text (xen.msixtbl.refcount-inverted
'until ea87662c77 (4.22)' -- its copies 3d932ff970 / 9fb2b66c60 / 747d10b76f are first in RELEASE-4.19.4 / 4.20.3
/ 4.21.1 --, kernel.affinity.mask-as-given, kernel.entry.spurious-no-eoi, bus.x2apic-cluster-default,
kernel.affinity.stored-before-request): now with the row's stable releases. Readings that name such a commit
without dating it were left.
And a settled suspicion: the 2022 '[PATCH 0/6] IRQ handling patches backport to 4.14 stable' (62e0468650c3,
dfe0cf8b51b0, 4001d8e8762f ...) was dropped by GKH ('A simple build test breaks ... I'm dropping all of these'):
sync_irq_chip_state rightly has no 4.14.y release.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import resolve
from tests.conftest import run_to_end, scenario

SRC = "linux-stable-rc revlists / pull and patch mails"
TRAD = "qemu-traditional xen-X.Y.Z tags (reinis-martinsons/frp-qemu-xen-traditional)"

#: (row, commit prefix or text, release, backports, confirmed, how verified)
RECORDS = [
    ("msi_update_mask_can_mask", "446a98b19fd6", "5.15", (), True, SRC + ": irq/core pull for v5.15-rc1"),
    ("msi_update_mask_can_mask", "9c8e9c9681a0", "5.16", ("5.15.3",), True,
     SRC + ": 8e0dd14b348f in the linux-5.15.y push ending 'Linux 5.15.3-rc4'"),
    ("posted_msi_vector", "f5a3562ec9dd", "6.10", (), True, SRC + ": '[GIT pull] x86/irq for v6.10-rc1'"),
    ("nvme_queue_cpus", "num_present_cpus", "4.13", (), True, "audit26: the 4.13.0 tree (was unconfirmed here)"),
]

TRADITIONAL = [
    ("qemu_bind_unmask", "__get_msi_gflags only", False),
    ("qemu_msix_latch", "Can't update entry", False),
    ("qemu_writes_phys_mask", "PROT_READ", False),
    ("xen_pt_bind", "unmasks with MSI-X enabled", "on-unmask"),
    ("qemu_ioreq_server", "default ioreq server", False),
    ("qemu_msix_pirq_ignore_mask", "no MSI-X", False),
]


def _find(name: str, commit: str) -> bh.Change:
    got = [c for c in bh.by_name()[name].history if commit in c.commit]
    assert len(got) == 1, (name, commit)
    return got[0]


@pytest.mark.parametrize(("name", "commit", "release", "backports", "confirmed", "how"), RECORDS)
def test_the_records_audit17_to_20_left(name: str, commit: str, release: str, backports: tuple[str, ...],
                                        confirmed: bool, how: str) -> None:
    c = _find(name, commit)
    assert (c.release, c.backports, c.confirmed) == (release, backports, confirmed), how


@pytest.mark.parametrize(("name", "what", "value"), TRADITIONAL)
def test_the_qemu_traditional_records(name: str, what: str, value: object) -> None:
    trad = bh.by_name()[name].traditional
    assert trad is not None and what in trad.commit and trad.value == value, TRAD


@pytest.mark.parametrize(("version", "checks"), [("5.14.21", True), ("5.15", False), ("5.15.2", False),
                                                 ("5.15.3", True), ("5.15.180", True), ("5.16", True)])
def test_pci_msi_update_mask_checks_can_mask_outside_5_15_0_to_5_15_2(version: str, checks: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["msi_update_mask_can_mask"] is checks


@pytest.mark.parametrize(("version", "posted"), [("6.9", False), ("6.9.12", False), ("6.10", True), ("6.12", True)])
def test_the_posted_msi_vector_is_reserved_from_6_10(version: str, posted: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["posted_msi_vector"] is posted


@pytest.mark.parametrize(("xen", "value"), [("4.0.0", True), ("4.1.6", True), ("4.2.0", False), ("4.8.0", False)])
def test_qemu_traditional_writes_the_physical_mask_up_to_xen_4_1(xen: str, value: bool) -> None:
    """mask_physical_msix_entry (PROT_WRITE mapping) in xen-4.0.0 .. xen-4.1.6.1; 56d7747a from xen-4.2.0."""
    table = resolve("xen-hvm", xen=xen, qemu="qemu-traditional").plain()
    assert (table["qemu_writes_phys_mask"], table["qemu_msix_latch"], table["qemu_bind_unmask"]) == (value, False,
                                                                                                    False)


@pytest.mark.parametrize(("version", "writes"), [("5.15.2", [1, 0]), ("5.15.3", [])])
def test_5_15_3_stops_writing_mask_bits_a_capability_lacks(version: str, writes: list[int]) -> None:
    """tests/kernel26 r02 (an MSI capability without Per-vector Masking): 5.15 .. 5.15.2's unchecked
    pci_msi_update_mask writes the mask at cap + 0x10 at the probe and the remove; 5.15.3's copy of 9c8e9c9681a0
    writes nothing there (the boundary test_kernel26 does not pin: it runs 5.15 and 5.15.3)."""
    text = (Path(__file__).parent / "kernel26" / "r02-msi-nomask-update-k515.yaml").read_text()
    assert 'version: "5.15"' in text
    eng = run_to_end(scenario(text.replace('version: "5.15"', f'version: "{version}"')))
    got = [e.fields["value"] for e in eng.log.events(1, len(eng.log) + 1)
           if e.kind == "cfg.write" and e.dev == "x" and e.fields["offset"] == 0x60]
    assert got == writes
    assert eng.w.acct["x"]["delivered"] == [1]


# --- the readings sample --------------------------------------------------------------------------------------
MIRROR, STORED = "git show on the mirror", "stored copy found by its text"
READINGS = {
    "kernel.entry.unhandled-level-eoi": STORED + ": v6.6 common_interrupt (apic_eoi, then VECTOR_UNUSED's message or "
                                        "the slot reset); SDM 10.9.x; RELEASE-4.16.0 vlapic_handle_EOI",
    "qemu.latched-table": MIRROR + ": qemu-xen-4.7.0-rc1 pci_msix_write; b324ef9654 first in qemu-xen-4.7.0-rc1",
    "xen.vlapic.soft-disabled": MIRROR + ": f1d7aac1e3c3 (4.18.0) with 07bbac08b5 (4.16.3) / 54bb56e128 (4.17.1), "
                                "f5d0279839 with 4ad5975d4e / 26f39b3d70; xen_hvm_smp_init in stored copies",
    "kernel.lock.try-one-irq": STORED + ": 08c51f5bddc8 spurious.c (guard) and 009b4c3b8ad5; WRONG quote fixed",
    "xen.domain-pirqs-102": MIRROR + ": extra_domU_irqs at RELEASE-4.2.0 / 4.8.0 / 4.16.0 / 4.21.0, get_free_pirq",
    "kernel.intx.free-sync": STORED + ": tip-bot2 mails of 62e0468650c3 / dfe0cf8b51b0, the 5.1 stable posting",
    "xen.dm-unmap-needs-emuirq": MIRROR + ": RELEASE-4.1.0 / 4.1.1 / 4.1.2 / 4.1.3 physdev.c, irq.c",
    "xen.intx.dpci-timer": MIRROR + ": RELEASE-4.13.0 io.c; tag --contains of 730d0f6082, eb298f32fa, 359cf6f8a0",
    "kernel.hotplug.lock": STORED + ": lock_device_hotplug_sysfs; blame lines of 5e33bc4165f3 (2013-08-28)",
    "xen.hvmloader-cmd": MIRROR + ": a8e0c228c7's copies 6bf8bdd5c6 / a060e72626; WRONG versions fixed",
    "xen.intx.pv-resend": STORED + ": v6.6 xen_pirq_chip (.irq_retrigger = retrigger_dynirq), xen_register_pirq",
    "kernel.intx.poll-waits-irqs-on": STORED + ": run_local_timers (static from cc947f2b9c04, 5.11), __irq_exit_rcu",
    "acct.delivered": "/work/shared/docs/contract.md: the sentence quoted",
    "amdvi.multi-msi-align": STORED + ": alloc_irq_index's 'if (align) alignment = roundup_pow_of_two(count);'",
    "kernel.xen.enable-pirq-startup": "audit20's trees (4.10.0 startup_pirq; 4.13.9 / 4.14.177 enable_dynirq)",
    "qemu.msi-update-own-pirq": MIRROR + ": qemu-xen-4.5.0 xen_pt_msi_update, qemu-xen-4.4.0 config writes",
    "device.cmd.reset": "PCIe Command register text (Bus Master Enable 'Default value of this bit is 0b')",
    "kernel.affinity.startup-order": STORED + ": the August 2021 linux-stable-rc push; WRONG (5.14 only) fixed",
    "kernel.intx.offline": STORED + ": migrate_one_irq copies, fixup_irqs; MIGRATE's stable releases added",
    "xen.msixtbl.whole-table": MIRROR + ": msixtbl_range at RELEASE-4.2.0 .. 4.5.5 (!!virt) and 4.6.0 (!!desc)",
    "bus.msi-address": MIRROR + ": RELEASE-4.16.0 asm-x86/msi.h MSI_ADDR_BASE_LO / MSI_ADDR_DEST_ID_SHIFT 12",
    "qemu.reads-queued": MIRROR + ": qemu-xen-4.5.0 cpu_handle_ioreq / pci_msix_read; RELEASE-4.14.0 / 4.0.0 emulate.c",
    "qemu.emulated-pirq-ignores-mask": MIRROR + ": df8471f739 (4.5.3), 5d63cbb957 (4.7.0-rc1); 4.6.3 added",
    "qemu.traditional-like-44": MIRROR + " (fork): xen-4.3.2 / 4.3.3 / 4.4.0 / 4.4.1 pt_msixctrl_reg_write; WRONG",
    "bus.logical-match": MIRROR + ": RELEASE-4.9.0 vlapic_match_logical_addr (APIC_DFR_FLAT: logical_id & mda)",
}


def _registry():  # type: ignore[no-untyped-def]
    import msidbg.model.fidelity  # noqa: F401  (registers every reading)
    from msidbg.model import cite

    return cite


def test_the_readings_sample_is_the_seeded_draw_of_audit21s_pool() -> None:
    import random

    cite = _registry()
    here = Path(__file__).parent
    earlier = "".join(p.read_text() for p in sorted(here.glob("test_audit1*.py")))
    earlier += (here / "test_audit20_records.py").read_text()
    for key in READINGS:
        r = cite.READINGS[key]
        assert r.status == "confirmed" and r.sources and r.quote, key
        assert f'"{key}"' not in earlier, key
    pool = sorted(k for k, r in cite.READINGS.items() if r.status == "confirmed" and f'"{k}"' not in earlier)
    if len(pool) == 154:      # the registry audit21 drew from (later sessions add readings)
        assert set(random.Random(21).sample(pool, 25)) == set(READINGS)


def test_hvmloader_cmd_names_the_stable_copies_of_a8e0c228c7() -> None:
    r = _registry().READINGS["xen.hvmloader-cmd"]
    old, new = r.sources[0], r.sources[1]
    assert "4.12.2, 4.13.0" in old.versions and "4.13 (" not in old.versions
    assert "4.12.3.." in new.versions and "4.13.1.." in new.versions
    assert "a8e0c228c7 (4.14; 4.12.3, 4.13.1)" in r.text


def test_traditional_like_44_names_the_4_3_3_and_4_4_1_copies() -> None:
    """The reading said 'up to Xen 4.4's tree' qemu-traditional only records Enable (on main)."""
    r = _registry().READINGS["qemu.traditional-like-44"]
    assert "up to Xen 4.4's tree it" not in r.text and "xen-4.3.3" in r.text and "xen-4.4.1" in r.text


@pytest.mark.parametrize(("xen", "unmaps"), [("4.3.2", False), ("4.3.3", True), ("4.3.4", True), ("4.4.0", False),
                                             ("4.4.1", True), ("4.4.4", True), ("4.5.0", True)])
def test_qemu_traditional_unmaps_on_disable_from_4_3_3_and_4_4_1(xen: str, unmaps: bool) -> None:
    """What the model follows: the row (audit18), read here in the fork's trees (pt_msixctrl_reg_write's
    pt_msix_disable at xen-4.3.3, 4.3.4, 4.4.1, 4.4.4, 4.5.0; none at xen-4.3.2, 4.4.0)."""
    table = resolve("xen-hvm", xen=xen, qemu="qemu-traditional").plain()
    assert table["qemu_unmap_pirq_on_msi_disable"] is unmaps


def test_try_one_irq_quotes_the_cited_tree() -> None:
    r = _registry().READINGS["kernel.lock.try-one-irq"]
    assert r.sources[0].ref == "08c51f5bddc8"
    assert "guard(raw_spinlock)(&desc->lock);" in r.quote and "irqreturn_t ret = IRQ_NONE" not in r.quote
    assert "009b4c3b8ad5" in r.sources[0].function


def test_startup_order_names_the_stable_releases_of_826da771291f() -> None:
    r = _registry().READINGS["kernel.affinity.startup-order"]
    backports = _find("affinity_before_startup", "826da771291f").backports
    assert set(backports) == {"5.4.142", "5.10.60", "5.13.12", "4.19.205"}
    assert all(b in r.text and b in r.sources[0].versions for b in backports)


def test_emulated_pirq_reading_names_qemu_xen_4_6_3() -> None:
    r = _registry().READINGS["qemu.emulated-pirq-ignores-mask"]
    assert "4.6.3" in r.text and "4.6.3" in r.sources[0].versions
    assert "qemu-xen-4.6.3" in _find("qemu_msix_pirq_ignore_mask", "428c3ece97").backports


# --- the cross-check: a source that cites a table commit lists the row's stable releases -----------------------
def _sources():  # type: ignore[no-untyped-def]
    cite = _registry()
    seen = {}
    for key, r in cite.READINGS.items():
        for s in r.sources:
            seen.setdefault(s, key)
    for module, sources in cite.MODULES.items():
        for s in sources:
            seen.setdefault(s, module)
    return seen


def test_every_source_citing_a_table_commit_lists_its_stable_releases() -> None:
    """A Source whose ref is the commit of a Change (or names it in its function) and whose versions give a range
    from the mainline release on ('5.8..'), not 'all' or the releases before it ('..4.17.0'), names every stable
    release the Change carries ('qemu-xen-' dropped). On main 15 did not (see the docstring)."""
    changes = []
    for name, row in bh.by_name().items():
        for c in row.history:
            head = c.commit.split()[0]
            if re.fullmatch(r"[0-9a-f]{7,40}", head) and c.backports:
                changes.append((name, head[:8], c))
    missing = []
    for s, where in _sources().items():
        v = s.versions or ""
        if v.startswith(("all", "..")):
            continue
        for name, head, c in changes:
            if s.ref[:8] != head and head not in (s.function or ""):
                continue
            lost = [b for b in c.backports if b.replace("qemu-xen-", "") not in v]
            if lost:
                missing.append((where, s.ref, name, lost))
    assert missing == []


@pytest.mark.parametrize(("ref", "releases"), [
    ("baedb87d1b53", ("5.7.10", "5.4.53", "4.19.134")), ("33de0aa4bae9", ("5.10.157",)),
    ("6f1a4891a592", ("5.5.3", "5.4.19", "4.19.103")), ("b56ebe7c896d", ("6.6.3", "6.5.13", "6.1.66")),
    ("df4393424af3", ("5.4.7", "4.19.92", "4.14.161", "4.9.208", "4.4.208")),
    ("a0b0bad10587", ("5.10.201", "5.15.139", "6.5.12")), ("f8a8fe61fec8", ("5.2.2", "5.1.19", "4.19.60")),
    ("83dbf898a2d4", ("5.15.11", "5.10.88", "5.4.168", "4.19.222", "4.14.259")),
    ("838ba7733e4e", ("6.11.3", "6.10.14")), ("52d6b926aabc", ("5.4.62", "5.8.6")),
    ("e52d58d54a32", ("5.8.8", "5.4.68")), ("eb298f32fa", ("4.14.2", "4.13.3")),
    ("a6c11c0a5235", ("6.9.4", "6.6.33", "6.1.93", "5.15.161", "5.10.219", "5.4.278", "4.19.316"))])
def test_the_fifteen_sources_name_their_stable_releases(ref: str, releases: tuple[str, ...]) -> None:
    cited = [s for s in _sources() if s.ref == ref and not (s.versions or "").startswith("all")]
    assert cited and all(all(r in s.versions for r in releases) for s in cited), ref


def test_msix_init_names_the_2021_series_stable_releases() -> None:
    cited = [s for s in _sources() if s.function.startswith("msix_capability_init / msix_prepare_msi_desc")]
    backports = _find("msix_enable_first", "438553958ba1").backports
    assert len(cited) == 1 and all(b in cited[0].versions for b in backports)


@pytest.mark.parametrize(("key", "releases"), [
    ("xen.msixtbl.refcount-inverted", ("4.19.4", "4.20.3", "4.21.1")),
    ("kernel.affinity.mask-as-given", ("5.15.81", "5.10.157")),
    ("kernel.entry.spurious-no-eoi", ("5.2.2", "5.1.19", "4.19.60")),
    ("bus.x2apic-cluster-default", ("6.11.3", "6.10.14")),
    ("kernel.affinity.stored-before-request", ("5.7.10", "5.4.53", "4.19.134", "4.14.194"))])
def test_readings_that_date_a_table_commit_name_its_stable_releases(key: str, releases: tuple[str, ...]) -> None:
    """Their text gave the mainline release alone ('until ea87662c77 (4.22)', 'from 33de0aa4bae9 (5.18)', ...)
    where the row carries stable copies (ea87662c77's 3d932ff970 / 9fb2b66c60 / 747d10b76f: git tag --contains)."""
    text = _registry().READINGS[key].text
    assert all(r in text for r in releases)
