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
