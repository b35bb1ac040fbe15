"""audit19: the behaviour table's Change records that audit17 and audit18 left, read against upstream.

Checked: (a) the commit exists and does what the record says, (b) the boundary is the first release carrying it
(mainline tag and every stable backport the record names -- and none it leaves out), (c) the value the record
assigns is what that release's code does. Xen on the fetched xen-project/xen mirror (git tag --contains, every
copy of the commit by git log --all -F --grep, git show of the code at the tags either side). Kernel records in
the stored stable queue (AnggaR96s/stable-queue: releases/X.Y.Z/series and the patch files' 'commit <hash>
upstream'), linux-stable-rc post-receive revlists (each ending in 'Linux X.Y.Z-rc1'), stable review covers and
release announcements (torvalds/linux cannot be fetched here: mainline boundaries rest on the stable copy's
'upstream' line and its date, as in audit18).

Three records were wrong, each missing stable releases that carry the commit:
* ioapic_move_keeps_masked (df4393424af3) left out 4.9.208: 'Linux 4.9.208' lists it (io_apic.c | 9 +) and
  releases/4.9.208/series has x86-ioapic-prevent-inconsistent-state-when-moving-an.patch; 4.9.207's has not.
  (INTx is modelled from 4.15 on, so a 4.9.208 world only carries the value: its state hash changes.)
* msix_error_clears_maskall (94185adbfad5) left out 4.4.296: the linux-4.4.y push ending in 'Linux 4.4.296-rc1'
  carries it. A failed MSI-X setup on a 4.4.296 .. 4.4.302 Xen HVM guest now clears Function Mask.
* unplug_excludes_managed (a0b0bad10587) left out 5.10.201, 5.15.139 and 6.5.12 (the note said 'not matched'):
  the 5.10.201-rc1 review shortlog names it, and linux-stable-rc's 5.15.y and 6.5.y pushes of 2023-11-15 carry
  it before 'Linux 5.15.139-rc1' / 'Linux 6.5.12-rc1'. Their CPU-offline check counts non-managed vectors only.
The three records audit18 could not verify are now confirmed in the stable queue (UNVERIFIABLE_BEFORE).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import resolve
from tests.conftest import run_to_end, scenario

XEN = "xen-project/xen: git tag --contains; every copy by git log --all -F --grep; git show either side"
SQ = "stable-queue"

#: (row, commit prefix, mainline boundary, backports, how verified)
VERIFIED = [
    ("xen_dm_unmap_needs_emuirq", "0b469cd687", "4.1", (), XEN + " (first RELEASE-4.1.0; RELEASE-4.1.0 "
     "physdev_unmap_pirq: unmap_domain_pirq_emuirq unconditionally, -EINVAL without an emuirq; 4.0.4: no emuirq)"),
    ("xen_pt_emuirq_at_map", "0b469cd687", "4.1", (), XEN + " (RELEASE-4.1.0 physdev_map_pirq: "
     "map_domain_emuirq_pirq(d, pirq, IRQ_PT) after a successful map)"),
    ("xen_irq_status_query_einval", "b96a29f785", "4.2", ("4.1.3",), XEN + " (94b5cd3155 in RELEASE-4.1.3; its "
     "first stable-4.1 copy 29907d89a8 was reverted by 8575a5c823 before 4.1.3; 4.1.2 answers 0, 4.1.3 -EINVAL)"),
    ("affinity_busy_pending", "12f47073a40f", "4.18", ("4.17.3",), SQ + " releases/4.17.3/series and the patch "
     "('commit 12f47073a40f6aa75119d8f5df4077b7f334cced upstream', Fixes: dccfe3147b42, irq_try_set_affinity)"),
    ("startup_reactivates", "08d85f3ea99f", "4.10", ("4.9.9",), SQ + " releases/4.9.9/series and the patch "
     "('commit 08d85f3ea99f1eeafc4e8507936190e86a16ee8c upstream', IRQD_ACTIVATED in irq_domain_activate_irq); "
     "upstream before 4.9.9 (2017-02-09), so in v4.10-rc"),
    ("xen_reuse_cached_pirq", "c74fd80f2f41", "4.11", ("3.10.106", "4.10.7"), SQ + " releases/4.10.7/series "
     "lists xen-do-not-re-use-pirq-number-cached-in-pci-device-msi-msg-data.patch (the patch file is not stored)"),
    ("ioapic_move_keeps_masked", "df4393424af3", "5.5", ("5.4.7", "4.19.92", "4.14.161", "4.9.208", "4.4.208"),
     "audit19 added 4.9.208: 'Linux 4.9.208' shortlog; " + SQ + " releases/4.9.208/series (not 4.9.207's)"),
    ("msix_error_clears_maskall", "94185adbfad5", "5.16",
     ("5.15.11", "5.10.88", "5.4.168", "4.19.222", "4.14.259", "4.9.294", "4.4.296"),
     "audit19 added 4.4.296: linux-stable-rc linux-4.4.y push ending in 'Linux 4.4.296-rc1' (d4cfc67c9fcd); "
     "4.9.294-rc1 (ee79a5027cd5) and releases/4.9.294/series too"),
    ("msix_mask_all", "83dbf898a2d4", "5.16", ("5.15.11", "5.10.88", "5.4.168", "4.19.222", "4.14.259"),
     "'[PATCH 4.19 33/56]'; the 4.9.294-rc1 and 4.4.296-rc1 pushes and releases/4.9.294/series carry 94185adbfad5 "
     "without it (none left out)"),
    ("unplug_excludes_managed", "a0b0bad10587", "6.7",
     ("4.19.299", "5.4.261", "5.10.201", "5.15.139", "6.1.63", "6.5.12", "6.6.2"),
     "audit19 added 5.10.201 ('5.10.201-rc1 review' shortlog), 5.15.139 and 6.5.12 (linux-stable-rc pushes of "
     "2023-11-15); 5.4.261-rc1's push (0fae4c196477) confirms 5.4.261"),
    ("msix_ctrl_read_can_mask", "9c8e9c9681a0", "5.16", ("5.15.3",), SQ + " releases/5.15.3 patch ('commit "
     "9c8e9c9681a0... upstream', Fixes: fcacdfbef5a1 of 5.15): msix_setup_entries reads Vector Control 'if "
     "(entry->msi_attrib.can_mask)'"),
    ("msix_vector_ctrl_ignore_mask", "9c8e9c9681a0", "5.16", ("5.15.3",), SQ + " the same patch: "
     "pci_msix_write_vector_ctrl writes only 'if (desc->msi_attrib.can_mask)'"),
]

#: kernel records whose commit and boundary were read in mails and revlists, without a release tag to read:
#: (row, commit prefix, mainline release, backports, what was read)
READ_IN_MAILS = [
    ("msi_activate_early", "f3b0946d629c", "4.8", ("4.7.3", "4.4.20"), SQ + " releases/4.7.3 patch: 'commit "
     "f3b0946d629c... upstream', activating irq_domain_get_irq_data(domain, desc->irq) only (audit20 added 4.4.20: "
     "releases/4.4.20/series lists it)"),
    ("free_irq_deactivate", "4001d8e8762f", "5.3", ("4.19.60", "5.1.19", "5.2.2"), "'[PATCH 4.19 30/47]', "
     "'[PATCH 5.1 41/54]' (2019-07-18); tglx: 'These should go back to 4.19, but not farther'; the 2022 4.14 "
     "backport series was dropped by Greg ('A simple build test breaks', 2022-10-27)"),
    ("sync_irq_chip_state", "62e0468650c3", "5.3", ("4.19.60", "5.1.19", "5.2.2"), "'[PATCH 5.1 43/54]'; 5.2.1 "
     "lacks it (f4999a2a3a48 is its 5.2.y copy, named in the 5.2.1 regression thread)"),
    ("cpu_disable_apic", "60dcaad5736f", "5.4", (), "tip-bot mail; 52d6b926aabc (Fixes: 60dcaad5736f) went to "
     "5.4.62, so 5.4 has it"),
    ("vector_cleanup", "bdc1dad299bb", "6.6", (), "tip x86/apic merge; in revlists on top of 'Linux 6.5-rc4'"),
    ("affinity_usr_errno", "eb29369fa543", "6.12", (), "tip irq/core mail; revlists with the 6.12 irq/core"),
    ("bound_probe", "204db60c8357", "5.14", (), "revlists; a 'FAILED: patch' mail naming it as a missing "
     "dependency"),
    ("free_msi_busy", "9fb9eb4b59ac", "5.17", (), "tip irq/msi mail; Imran Khan's 2024 stable backport "
     "('[ Upstream commit 9fb9eb4b59ac ]') refused by Greg ('No it is not.')"),
    ("xen_affinity_immediate", "1ca1b4e2c0cb", "5.11", (), "revlists with tglx's Dec 2020 xen/events series"),
    ("xen_affinity_target", "88f0a9d06644", "5.11", (), "the same revlists; a stable 'FAILED' mail names it"),
    ("xen_percpu_upcall", "b1c3497e604d", "6.0", (), "David Woodhouse, 2023-12: 'Linux guests since commit "
     "b1c3497e604d ... in v6.0 onwards'"),
    ("nvme_irq_layout", "22b5560195bd", "4.17", (), "named by a later Fixes: tag; the 4.16.13 tree lacks it"),
    ("msi_affinity_update", "ef8dd01538ea", "5.17", (), "the irq/msi revlists of the 5.17 merge window; "
     "b56ebe7c896d's log: 'Since commit ef8dd01538ea ... not been activated as intended'"),
    ("msi_affinity_update", "b56ebe7c896d", "6.7", ("6.1.66", "6.5.13", "6.6.3"), "linux-stable-rc revlist ending "
     "'Linux 6.1.66-rc1' (7920b86a1b7c); '[PATCH 6.5 240/491]' ('commit b56ebe7c896d... upstream'); linux-6.6.y "
     "e06748a067e2; no other live series had ef8dd01538ea (5.17)"),
    ("msix_avail_retry", "60bf9b33c82c", "5.17", (), "tip irq/msi mail and BUILD SUCCESS; the irq/msi revlists"),
]

#: kernel records whose value was read in a stored release tree: (row, release, value, what the tree has).
#: kinmax/linux-4.13.19 is a 4.13.9 tree (its Makefile), lizuobin/linux-4.16.13_tiny4412 a 4.16.13 one
T413, T416 = "4.13.9 tree: ", "4.16.13 tree: "
READ_IN_TREES = [
    ("hotplug_migration", "4.13.9", "generic", T413 + "fixup_irqs() calls irq_migrate_all_off_this_cpu()"),
    ("setup_affinity_result", "4.13.9", True, T413 + "irq_setup_affinity returns irq_do_set_affinity's ret"),
    ("nvme_queue_cpus", "4.13.9", "present", T413 + "nvme_setup_io_queues: nr_io_queues = num_present_cpus()"),
    ("xen_enable_pirq_startup", "4.13.9", False, T413 + "enable_pirq() is enable_dynirq(data)"),
    ("startup_reactivates", "4.13.9", False, T413 + "irq_domain_activate_irq tests irqd_is_activated"),
    ("affinity_spread_cpus", "4.13.9", "present", T413 + "irq_create_affinity_masks over cpu_present_mask, "
     "irq_calc_affinity_vectors weighs cpu_present_mask (the hash 9a0ef98e186d found in no stored source)"),
    ("proc_affinity_result", "4.13.9", False, T413 + "write_irq_affinity: 'irq_set_affinity(irq, new_value); "
     "err = count;'"),
    ("proc_affinity_result", "4.16.13", True, T416 + "'err = irq_set_affinity(irq, new_value); if (!err) err = "
     "count;' (Oracle's UEK5, 4.14.35-based, backported it: not in v4.14)"),
    ("vector_allocator", "4.13.9", "legacy", T413 + "arch/x86/kernel/apic/vector.c has no irq_matrix"),
    ("vector_allocator", "4.16.13", "matrix", T416 + "irq_matrix_alloc / irq_matrix_alloc_managed"),
    ("managed_spread", "4.16.13", False, T416 + "assign_managed_vector: cpumask_first then "
     "irq_matrix_alloc_managed(vector_matrix, cpu)"),
    ("msi_activate_early", "4.13.9", "first", T413 + "msi_domain_alloc_irqs activates desc->irq only"),
    ("nvme_irq_layout", "4.16.13", "shared-admin", T416 + "pci_alloc_irq_vectors(pdev, 1, nr_io_queues, "
     "PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY), no pre_vectors"),
    ("hint_sets_affinity", "4.16.13", True, T416 + "irq_set_affinity_hint calls __irq_set_affinity(irq, m, false)"),
    ("xen_fifo_dead_cpu_drain", "4.16.13", True, T416 + "__evtchn_fifo_handle_events(cpu, true) on CPU_DEAD"),
    ("xen_eoi_clear_first", "4.16.13", True, T416 + "eoi_pirq: a pending move masks the channel first "
     "(ff1e22e7a638 is in the 4.6-rc bisect range of a syzbot report)"),
    ("xen_affinity_immediate", "4.16.13", False, T416 + "no IRQ_MOVE_PCNTXT on the Xen chips"),
    ("xen_affinity_target", "4.16.13", "first", T416 + "set_affinity_irq: cpumask_first_and(dest, "
     "cpu_online_mask)"),
]

#: tried before (audit18) and found in no stored source; audit19 found all three in the stable queue
UNVERIFIABLE_BEFORE = [("affinity_busy_pending", "12f47073a40f"), ("startup_reactivates", "08d85f3ea99f"),
                       ("xen_reuse_cached_pirq", "c74fd80f2f41")]


def _find(name: str, commit: str) -> bh.Change:
    got = [c for c in bh.by_name()[name].history if commit in c.commit]
    assert len(got) == 1, (name, commit)
    return got[0]


@pytest.mark.parametrize(("name", "commit", "release", "backports", "how"), VERIFIED)
def test_the_verified_records_say_what_upstream_does(name: str, commit: str, release: str,
                                                     backports: tuple[str, ...], how: str) -> None:
    c = _find(name, commit)
    assert (c.release, set(c.backports), c.confirmed) == (release, set(backports), True), how


@pytest.mark.parametrize(("name", "commit", "release", "backports", "how"), READ_IN_MAILS)
def test_the_kernel_records_read_in_mails(name: str, commit: str, release: str, backports: tuple[str, ...],
                                          how: str) -> None:
    c = _find(name, commit)
    assert (c.release, set(c.backports)) == (release, set(backports)), how


@pytest.mark.parametrize(("name", "release", "value", "how"), READ_IN_TREES)
def test_the_values_read_in_the_stored_trees(name: str, release: str, value: object, how: str) -> None:
    kind = "xen-hvm" if name.startswith("xen_") else "bare-metal"
    assert resolve(kind, kernel=release).plain()[name] == value, how


def test_audit18s_unverifiable_three_are_verified_now() -> None:
    names = {(n, c) for n, c, *_ in VERIFIED}
    assert set(UNVERIFIABLE_BEFORE) <= names


# --- ioapic_move_keeps_masked: df4393424af3 reached 4.9.208 --------------------------------------------------
@pytest.mark.parametrize(("version", "value"), [("4.9.207", False), ("4.9.208", True), ("4.9.337", True),
                                                ("4.14.160", False), ("4.14.161", True)])
def test_4_9_208_carries_df4393424af3(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["ioapic_move_keeps_masked"] is value


def test_a_4_9_208_world_carries_the_fixed_ioapic_move() -> None:
    """INTx is modelled from 4.15 on; a 4.9.208 bare-metal world still carries the row (its state hash)."""
    text = """
name: a19-ioapic
cpus: 12
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
"""
    got = {v: run_to_end(scenario(text.replace("VERSION", v))).w["behaviour"]["ioapic_move_keeps_masked"]
           for v in ("4.9.207", "4.9.208")}
    assert got == {"4.9.207": False, "4.9.208": True}


# --- msix_error_clears_maskall: 94185adbfad5 reached 4.4.296 -------------------------------------------------
FAIL_HVM = """
name: a19-maskall
cpus: 2
platform: {kind: xen-hvm, xen: "4.6"}
kernel: {version: "VERSION"}
devices:
  n0: {bdf: "02:00.0", kind: generic, passthrough: true, msix: {table_size: 4}, msi: {vectors: 1}}
faults: [{call: pci_msi_setup_msi_irqs, dev: n0, errno: ENOSPC, times: 1}]
run:
  - {at: 0, do: alloc_vectors, dev: n0, mode: msix, vectors: 2}
"""


def test_a_failed_msix_setup_on_4_4_296_clears_function_mask() -> None:
    """msix_capability_init's out_disable on a 4.4 Xen HVM guest: 4.4.295 leaves Function Mask set, 4.4.296
    (d4cfc67c9fcd) clears it with Enable. On main 4.4.296 .. 4.4.302 left it set."""
    from msidbg.model.hw import MSIX_ENABLE, MSIX_MASKALL

    ctrl = {v: run_to_end(scenario(FAIL_HVM.replace("VERSION", v))).w["devices"]["n0"]["msix"]["ctrl"]
            for v in ("4.4.295", "4.4.296")}
    assert ctrl["4.4.295"] & MSIX_MASKALL and not ctrl["4.4.295"] & MSIX_ENABLE
    assert not ctrl["4.4.296"] & (MSIX_MASKALL | MSIX_ENABLE)


# --- unplug_excludes_managed: a0b0bad10587 reached 5.10.201, 5.15.139 and 6.5.12 ------------------------------
HELD = Path(__file__).parent / "heldout"


@pytest.mark.parametrize(("before", "after"), [("5.10.200", "5.10.201"), ("5.15.138", "5.15.139"),
                                               ("6.5.11", "6.5.12")])
def test_the_offline_check_counts_only_unmanaged_vectors_from_the_2023_11_backports(before: str, after: str) -> None:
    """h28: CPU1 holds three admin and three managed vectors. lapic_can_unplug_cpu counts all six before the
    backport and three after (these series have fewer free vectors on CPU0 than 6.6, so both refuse). On main
    5.10.201, 5.15.139 and 6.5.12 still counted six."""
    def note(version: str) -> list[str]:
        text = (HELD / "h28-unplug-managed.yaml").read_text().replace('version: "6.6"', f'version: "{version}"')
        eng = run_to_end(scenario(text))
        return [str(e.fields["what"]) for e in eng.log.events(1, len(eng.log) + 1)
                if e.kind == "kernel" and "Cannot disable CPU" in str(e.fields.get("what"))]

    assert [s.split(",")[0] for s in note(before)] == ["lapic_can_unplug_cpu: CPU 1 has 6 vectors"]
    assert [s.split(",")[0] for s in note(after)] == ["lapic_can_unplug_cpu: CPU 1 has 3 vectors"]
