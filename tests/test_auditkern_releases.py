"""Release boundaries of the kernel behaviour rows that auditkern confirmed (or moved) against the
stable-queue patches and series files, the stable announcements and the tip pull / pr-tracker mails
(see the notes in msidbg/behaviour/kernel.py).

Each case is a version on either side of a boundary read this session: a stable backport newly listed
(the series' release before it keeps the old value), or a release marked confirmed."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, shipped, with_kernel


def _value(name: str, version: str) -> object:
    row = bh.by_name()[name]
    return bh.at(row, bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "version", "value"), [
    # c74fd80f2f41: stable-queue releases/4.10.7/series
    ("xen_reuse_cached_pirq", "4.10", True), ("xen_reuse_cached_pirq", "4.10.6", True),
    ("xen_reuse_cached_pirq", "4.10.7", False), ("xen_reuse_cached_pirq", "4.11", False),
    # 12f47073a40f + a33a5d2d16cb: releases/4.17.3
    ("affinity_busy_pending", "4.17.2", False), ("affinity_busy_pending", "4.17.3", True),
    ("move_busy_rearm", "4.17.2", False), ("move_busy_rearm", "4.17.3", True),
    # 33de0aa4bae9: releases/5.15.81
    ("affinity_online_filter", "5.15.80", False), ("affinity_online_filter", "5.15.81", True),
    # 4001d8e8762f, f8a8fe61fec8: Linux 4.19.60 / 5.1.19 / 5.2.2
    ("free_irq_deactivate", "4.19.59", "shutdown"), ("free_irq_deactivate", "4.19.60", "delayed"),
    ("free_irq_deactivate", "5.1.18", "shutdown"), ("free_irq_deactivate", "5.1.19", "delayed"),
    ("free_irq_deactivate", "5.2.1", "shutdown"), ("free_irq_deactivate", "5.2.2", "delayed"),
    ("spurious_vector_eoi", "4.19.59", True), ("spurious_vector_eoi", "4.19.60", False),
    ("spurious_vector_eoi", "5.1.19", False),
    # the PCI/MSI part of the 2021 series: Linux 4.4.282 / 4.9.281 / 4.14.245 / 4.19.205
    ("msix_enable_first", "4.4.281", False), ("msix_enable_first", "4.4.282", True),
    ("msix_enable_first", "4.9.281", True), ("msix_enable_first", "4.14.245", True),
    ("msix_enable_first", "4.19.204", False), ("msix_enable_first", "4.19.205", True),
    ("msix_masked_update", "4.14.244", False), ("msix_masked_update", "4.14.245", True),
    ("affinity_before_startup", "4.19.205", True), ("affinity_before_startup", "4.14.245", False),
    # 83dbf898a2d4 (late) and 94185adbfad5: Linux 5.10.88 / 5.4.168 / 4.19.222 / 4.14.259, 4.9.294
    ("msix_mask_all", "4.19.205", "early"), ("msix_mask_all", "4.19.221", "early"),
    ("msix_mask_all", "4.19.222", "late"), ("msix_mask_all", "5.10.87", "early"),
    ("msix_mask_all", "5.10.88", "late"), ("msix_mask_all", "5.4.168", "late"),
    ("msix_mask_all", "4.14.259", "late"), ("msix_mask_all", "4.9.294", "early"),
    ("msix_error_clears_maskall", "4.9.293", False), ("msix_error_clears_maskall", "4.9.294", True),
    ("msix_error_clears_maskall", "5.10.88", True),
    # 7e0815b3e099: Linux 5.10.114, 4.19.246
    ("xen_hvm_msi_ignore_mask", "5.10.113", False), ("xen_hvm_msi_ignore_mask", "5.10.114", True),
    ("xen_hvm_msi_ignore_mask", "4.19.246", True),
])
def test_the_release_boundaries_read_in_stable_sources(name: str, version: str, value: object) -> None:
    assert _value(name, version) == value


@pytest.mark.parametrize(("name", "release", "commit"), [
    ("xen_reuse_cached_pirq", "4.11", "c74fd80f2f41"),
    ("startup_reactivates", "4.10", "08d85f3ea99f"),
    ("affinity_busy_pending", "4.18", "12f47073a40f"),
    ("free_irq_deactivate", "5.3", "4001d8e8762f"),
    ("xen_affinity_target", "5.11", "88f0a9d06644"),
    ("xen_affinity_immediate", "5.11", "1ca1b4e2c0cb"),
    ("affinity_usr_errno", "6.12", "eb29369fa543"),
    ("spurious_vector_eoi", "5.3", "f8a8fe61fec8"),
])
def test_the_mainline_releases_read_are_confirmed_and_name_their_commit(name: str, release: str,
                                                                       commit: str) -> None:
    change = next(c for c in bh.by_name()[name].history if c.release == release)
    assert change.confirmed, (name, change.unconfirmed)
    assert change.commit.startswith(commit)


def test_a_4_10_7_guest_asks_xen_for_a_fresh_pirq_as_4_11_does() -> None:
    """The seed-002 NVMe scenario (af42b8d12f8a's re-use on 4.9) on 4.10.6 still re-uses the cached
    pirq and hits the conflict; 4.10.7 carries the revert (stable-queue releases/4.10.7/series) and
    probes all three controllers, as the shipped 4.11 fix does."""
    scn = shipped("xen-pirq-reuse-nvme")
    assert "pirq-conflict" in hit_names(run_to_end(with_kernel(scn, version="4.10.6")))
    fixed = run_to_end(with_kernel(scn, version="4.10.7"))
    assert "pirq-conflict" not in hit_names(fixed)
    assert "probe-failed" not in hit_names(fixed)


# auditkern2 (2026-12-01): the releases read in cgit's mirror of Linus' tree (commit and committer
# dates, Linus' merge commits and their shortlogs) and in stable-queue (see msidbg/behaviour/kernel.py)

@pytest.mark.parametrize(("name", "before", "after", "old", "new"), [
    # e2e64a932556 was committed on top of v3.19-rc5 into irq/core and merged after 3.19 (3c6847eaa3da)
    ("hint_sets_affinity", "3.19", "4.0", False, True),
    # f3b0946d629c was committed after v4.8-rc1 (4.8-rc4), and backported to 4.7.3
    ("msi_activate_early", "4.7", "4.8", "none", "first"),
    ("msi_activate_early", "4.7.2", "4.7.3", "none", "first"),
    # cba6437a1854: releases/4.19.107
    ("proc_offline_mask", "4.19.106", "4.19.107", "select", "einval"),
])
def test_the_release_boundaries_moved_or_added_by_auditkern2(name: str, before: str, after: str,
                                                              old: object, new: object) -> None:
    assert (_value(name, before), _value(name, after)) == (old, new)


@pytest.mark.parametrize(("name", "release", "commit", "backports"), [
    ("hint_sets_affinity", "4.0", "e2e64a932556", ()),
    ("msi_activate_early", "4.8", "f3b0946d629c", ("4.7.3", "4.4.20")),   # audit20: 4.4.20
    ("setup_affinity_result", "4.13", "cba4235e6031", ()),
    ("hotplug_migration", "4.13", "x86/irq: Use irq_migrate_all_off_this_cpu()", ()),
    ("managed_spread", "4.20", "irq/matrix: Spread managed interrupts on allocation", ("4.19.37",)),   # audit20
    ("msix_avail_retry", "5.17", "60bf9b33c82c", ()),
    ("proc_offline_mask", "5.6", "cba6437a1854", ("4.14.172", "4.19.107", "5.4.23", "5.5.7")),
])
def test_the_releases_auditkern2_read_are_confirmed(name: str, release: str, commit: str,
                                                    backports: tuple[str, ...]) -> None:
    change = next(c for c in bh.by_name()[name].history if c.release == release)
    # audit20: managed_spread's 4.19.y backport is an unconfirmed boundary; the mainline releases stay confirmed
    assert release not in change.unconfirmed, (name, change.unconfirmed)
    assert change.commit.startswith(commit)
    assert change.backports == backports


OFFLINE_MASK = """
name: offline-mask-4-19
cpus: 12
kernel: {version: "VERSION"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 50us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 4}
  - {at: 60us, do: fire, dev: xhci, vector: 0}
  - {at: 100us, on: 0, do: cpu_offline, cpu: 7}
  - {at: 3100us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 7}
"""


def test_a_4_19_107_smp_affinity_write_without_an_online_cpu_is_rejected_as_5_6_does() -> None:
    """echo <offline CPU7> > smp_affinity on the matrix allocator: 4.19.106 still re-runs
    irq_setup_affinity() (the irq is already on CPU4: the write succeeds), 4.19.107 carries
    cba6437a1854 (stable-queue releases/4.19.107) and returns -EINVAL without touching the irq."""
    results = []
    for version in ("4.19.106", "4.19.107"):
        eng = run_to_end(scenario(OFFLINE_MASK.replace("VERSION", version)))
        done = [e for e in events_of(eng, "action.done") if e.fields.get("action") == 4]
        assert len(done) == 1
        results.append(done[0].fields["result"])
    assert results == [0, -22]


def test_the_message_written_at_arch_setup_before_the_msi_domain_is_a_confirmed_reading() -> None:
    """Before 52f518a3a7c2 setup_msi_irq() composed and wrote every message at setup (a 3.1x
    io_apic.c read by auditkern2): a version before it resolves msi_activate_early to 'all' as a
    confirmed value, no longer flagged in docs/fidelity.md and the README matrix."""
    row = bh.by_name()["msi_activate_early"]
    assert row.initial_confirmed
    resolved = next(r for r in bh.resolve("bare-metal", kernel="3.18").rows if r.name == "msi_activate_early")
    assert (resolved.value, resolved.confirmed) == ("all", True)
