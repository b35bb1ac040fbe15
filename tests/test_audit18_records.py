"""audit18: the behaviour table's Change records read against upstream again (audit17's ten skipped).

Checked: (a) the commit exists and does what the record says, (b) the boundary is the first release carrying
it (mainline tag and every stable backport the record names -- and none it leaves out), (c) the value the
record assigns is what that release's code does. Xen on the fetched xen-project/xen mirror (git tag --contains,
git log --all -F --grep=<subject> for every copy of the commit, git grep at the tags either side of each
boundary), qemu-xen on xen-project/qemu-xen (its snapshot ends at qemu-xen-4.7.0-rc4) and qemu-traditional on
the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0).

One record was wrong: qemu_unmap_pirq_on_msi_disable's qemu-traditional history had d0395cc4 in xen-4.5.0
only and said xen-4.4.4 lacked it, but the stable branches cherry-picked it with the same diff: 8a7abb16
(first in xen-4.3.3-rc2, so xen-4.3.3) and 6ae4e588 (xen-4.4.1-rc2, so xen-4.4.1); xen-4.4.4's
pt_msixctrl_reg_write calls pt_msix_disable. Xen 4.3.3 / 4.3.4 / 4.4.1 .. 4.4.4 with qemu-traditional now
unmap on Enable cleared (revision 14, audit18). Record xen_dm_unmap_needs_emuirq names 0596edb27f, the
stable-4.1 copy; the mainline commit is 79858fee30 (RELEASE-4.2.0, which also carries 49f9d2493c: the value
there is unchanged).

A second was wrong: affinity_on_activate (baedb87d1b53 with its x86 opt-in) named 5.4.60, 4.19.141 and 5.7.17
but not 4.14.194, whose -rc1 review carries '[PATCH 4.14 222/228]' and whose 4.14.y log has both commits
(da54edbe5638, 6a7a29935d98) before 'Linux 4.14.194'. Frank van der Linden's 4.14 backport skipped the x86
part ('4.14 never had the x86 workaround'): the legacy apic_set_affinity has no WARN / -EIO for a deactivated
irq, which the model tied to the switch; it now needs the matrix allocator (revision 14, audit18).
A third: msi_activate_early 'all' (4c457e8cb75e) named 4.19.175 only and said 5.10.13..5.10.18 had no such
patch file, but the stable queue's releases/5.10.15/series and releases/5.4.97/series list it (the index
stores only part of those directories' patch files); 4.14.221's series does not.
Kernel records were read in stable review mails and shortlogs only (torvalds/linux cannot be fetched here).
"""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import resolve
from tests.conftest import hit_names, run_to_end, shipped, with_platform

#: (row, commit prefix, mainline boundary, backports, how verified)
XEN = "xen-project/xen: git tag --contains; every copy by git log --all -F --grep; git grep either side"
VERIFIED = [
    ("xen_bind_affinity_first", "1aeb1156fa", "4.6", ("4.4.3", "4.5.1"), XEN),
    ("xen_bind_unmask", "69d99d1b22", "4.10", (), XEN + " (VMSI_UNMASKED: 4.9.0 no, 4.10.0 yes)"),
    ("xen_pt_emuirq_at_map", "79858fee30", "4.2", ("4.1.2",), XEN + " (0596edb27f is its stable-4.1 copy, 4.1.2-rc2;"
     " xenleads22 moved the record here from xen_dm_unmap_needs_emuirq)"),
    ("xen_dm_unmap_needs_emuirq", "49f9d2493c", "4.2", ("4.1.3",), XEN),
    ("xen_dpci_eoi_timer", "730d0f6082", "4.16", (), XEN + " (PT_IRQ_TIME_OUT: 4.15.0 yes, 4.16.0 no)"),
    ("xen_evtchn_fifo", "88910061ec", "4.4", (), XEN + " (EVTCHNOP_init_control: 4.3.4 no, 4.4.0 yes)"),
    ("xen_evtchn_skip_busy", "78e24c269b", "4.7", ("4.4.4", "4.5.3", "4.6.1"), XEN + " (evtchn_port_is_busy)"),
    ("xen_hvm_inject_msi", "080bc64070", "4.2", (), XEN + " (HVMOP_inject_msi: 4.1.6.1 no, 4.2.0 yes)"),
    ("xen_hvm_pirqs", "0b469cd68708", "4.1", (), XEN + " (XENFEAT_hvm_pirqs: 4.0.4 no, 4.1.0 yes)"),
    ("xen_hvm_pirqs", "024e7131be5c", "4.19", (), XEN + " (tools hvm_pirq: 4.18.0 no, 4.19.0 yes)"),
    ("xen_msi_mask", "74c213c506af", "4.2", ("4.0.4", "4.1.3"), XEN + " ('Do not allow the mask bit')"),
    ("xen_msi_mask", "a35137373aa9", "4.4", ("4.2.4", "4.3.1"), XEN),
    ("xen_msi_mask", "ad28e42bd1d2", "4.6", (), XEN + " (all four commits; guest_masked: 4.5.0 no, 4.6.0 yes)"),
    ("xen_msix_snoop_unmask", "3a6222bd57", "4.7", ("4.6.3",), XEN + " (snoop: 4.6.1 no, 4.6.3 yes)"),
    ("xen_msix_unmask_completion", "74fd0036deb5", "4.4", ("4.2.4", "4.3.2"), XEN + " (msix_write_completion)"),
    ("xen_msixtbl_refcount", "ea87662c77", "4.22", ("4.19.4", "4.20.3", "4.21.1"), XEN),
    ("xen_pirq_eoi_v2", "0057a949de", "4.2", ("4.1.3",), XEN + " (PHYSDEVOP_pirq_eoi_gmfn_v2: 4.1.2 no)"),
    ("xen_pirq_follows_vcpu", "38b998cfb6", "4.1", (), XEN + " (evtchn_move_pirqs: 4.0.4 no, 4.1.0 yes)"),
    ("xen_vlapic_disabled_refuses", "f1d7aac1e3c3", "4.18", ("4.16.3", "4.17.1"), XEN + " (vlapic_enabled)"),
    ("qemu_ioreq_server", "3996e85c18", "qemu-xen-4.6", (), "qemu-xen 7665d6ba98: first qemu-xen-4.6.0-rc1"),
    ("qemu_msi_mask_emulated", "7611dae8a6", "qemu-xen-4.6", ("qemu-xen-4.4.3", "qemu-xen-4.5.1"),
     "qemu-xen 5ee7a3e24a, 392fa0de86, 1ad0eaf917 (and d1d35cf4ff's copies in the same three)"),
    ("qemu_msix_pirq_ignore_mask", "428c3ece97", "qemu-xen-4.7", ("qemu-xen-4.5.3", "qemu-xen-4.6.3"),
     "qemu-xen 5d63cbb957 (4.7.0-rc1), df8471f739 (4.5.3); 4.6.3 stays unconfirmed (not in the mirror)"),
    ("qemu_unmap_pirq_on_msi_disable", "c976437c7dba", "qemu-xen-4.5", (),
     "qemu-xen 5ecf46031c (4.5.0-rc1); no copy on stable-4.3 / 4.4"),
    ("qemu_bind_unmask", "xen/pt: allow QEMU", "qemu-xen-4.10", (),
     "Xen 20ed7c8177 moves QEMU_UPSTREAM_REVISION to b79708a8ed naming it; 4.8.x / 4.9.x pin their own tags"),
]
#: qemu-traditional (traditional_history: Xen releases of the xen-X.Y.Z tags)
TRAD = "the qemu-traditional fork: git tag --contains, every cherry-pick by subject, same diff"
VERIFIED_TRADITIONAL = [
    ("qemu_msi_mask_emulated", "df0abbff", "4.6", ("4.4.3", "4.5.1"), TRAD),
    ("qemu_unmap_pirq_on_msi_disable", "d0395cc4", "4.5", ("4.3.3", "4.4.1"), TRAD + " (audit18: backports added)"),
    ("qemu_writes_phys_mask", "56d7747a", "4.2", (), TRAD),
]
#: kernel records whose mainline commit and stable series were read in stable review mails (the exact point
#: release inferred from the review date, not read in a tag)
VERIFIED_KERNEL_PARTLY = [
    ("affinity_before_startup", "826da771291f", "5.14", "'[PATCH 5.4 43/62]', '[PATCH 5.13 121/151]', 4.19.205-rc1"),
    ("affinity_broken_warning", "743dac494d61", "5.4", "tip x86/apic pull for 5.4; '[PATCH 4.19 108/211]', "
     "'[PATCH AUTOSEL 5.2 125/185]'"),
    ("affinity_online_filter", "33de0aa4bae9", "5.18", "next-20220413 report; Luiz Capitulino's 5.15 backport"),
    ("amd_irte_cmpxchg", "e52d58d54a32", "5.9", "'[PATCH 5.8 114/186]', '[PATCH 5.4 43/43]' (its own 5.4 backport)"),
    ("apic_flat_logical", "838ba7733e4e", "6.12", "AUTOSEL 6.10 / 6.11 with X-stable-base 6.10.11 / 6.11"),
    ("cpu_disable_apic", "52d6b926aabc", "5.9", "'[PATCH 5.4 181/214]' of 2020-09-01"),
    ("move_busy_rearm", "a33a5d2d16cb", "4.18", "'[PATCH 4.9 57/61]'; 4.4.226-rc1 '[PATCH 4.4 41/48]' too (left out)"),
    ("affinity_on_activate", "baedb87d1b53", "5.8", "audit18: 4.14.194 added ('[PATCH 4.14 222/228]', the 4.14.y log)"),
    ("msi_activate_early", "4c457e8cb75e", "5.11", "audit18: 5.4.97, 5.10.15 added (stable-queue series files)"),
    ("dying_irqs_off", "e78a7614f387", "5.4", "'[PATCH 5.3 101/344]' (AUTOSEL) of 2019-10-03: 5.3.4"),
    ("xen_hvm_msi_ignore_mask", "7e0815b3e099", "5.18", "reviews of 2022-05-04 / 2022-06-03; 5.4 / 4.14 backports "
     "posted by Amazon, releases not matched (left as the record says)"),
    ("msi_affinity_update", "6f1a4891a592", "5.6", "Greg KH, 2021-02-24: 'already in the 4.19.103 kernel release'"),
    ("msi_set_affinity_name", "6f1a4891a592", "5.6", "the same commit and releases as msi_affinity_update"),
    ("proc_offline_mask", "cba6437a1854", "5.6", "stable review of 2020-02-27 ('commit cba6437a1854 upstream')"),
]

#: tried and found in no stored source (the hash, 'commit <hash> upstream', the stable-queue file): unverifiable here
UNVERIFIABLE = [("affinity_busy_pending", "12f47073a40f"), ("startup_reactivates", "08d85f3ea99f"),
                ("xen_reuse_cached_pirq", "c74fd80f2f41")]


def _records(traditional: bool = False) -> dict[tuple[str, str], bh.Change]:
    out = {}
    for row in bh.rows():
        for c in (row.traditional_history if traditional else row.history):
            out[(row.name, c.commit)] = c
    return out


def _find(name: str, commit: str, traditional: bool = False) -> bh.Change:
    got = [c for (n, text), c in _records(traditional).items() if n == name and commit in text]
    assert len(got) == 1, (name, commit)
    return got[0]


@pytest.mark.parametrize(("name", "commit", "release", "backports", "how"), VERIFIED)
def test_the_verified_records_say_what_upstream_does(name: str, commit: str, release: str,
                                                     backports: tuple[str, ...], how: str) -> None:
    c = _find(name, commit)
    assert (c.release, c.backports) == (release, backports), how
    assert set(c.unconfirmed) <= {"qemu-xen-4.6.3"}


@pytest.mark.parametrize(("name", "commit", "release", "backports", "how"), VERIFIED_TRADITIONAL)
def test_the_verified_traditional_records(name: str, commit: str, release: str, backports: tuple[str, ...],
                                          how: str) -> None:
    c = _find(name, commit, traditional=True)
    assert (c.release, c.backports, c.confirmed) == (release, backports, True), how


@pytest.mark.parametrize(("name", "commit", "release", "how"), VERIFIED_KERNEL_PARTLY)
def test_the_kernel_records_read(name: str, commit: str, release: str, how: str) -> None:
    assert _find(name, commit).release == release, how


@pytest.mark.parametrize(("xen", "unmap"), [("4.3.2", False), ("4.3.3", True), ("4.4", False), ("4.4.1", True),
                                            ("4.4.4", True), ("4.5", True)])
def test_qemu_traditional_unmaps_from_the_stable_cherry_picks(xen: str, unmap: bool) -> None:
    """6ae4e588 (xen-4.4.1) and 8a7abb16 (xen-4.3.3) carry d0395cc4: on main 4.3.3 .. 4.4.4 said no unmap."""
    b = resolve("xen-hvm", xen=xen, qemu="qemu-traditional").plain()
    assert b["qemu_unmap_pirq_on_msi_disable"] is unmap


def test_the_2017_reuse_bug_on_xen_441_with_qemu_traditional_frees_pirqs() -> None:
    """The seed's re-use bug needs QEMU's unmap: with Xen 4.4.1's qemu-traditional a controller's pirq changes
    hands (nvme1 probes, pirq-conflict), where 4.4.0's keeps every pirq mapped and every re-enable times out."""
    def run(xen: str) -> dict[str, str]:
        eng = run_to_end(with_platform(shipped("xen-pirq-reuse-nvme"), xen=xen, qemu="qemu-traditional"))
        assert "pirq-conflict" in hit_names(eng)
        return {d: eng.w["kernel"]["pci"][d]["status"] for d in eng.w["devices"]}

    assert set(run("4.4").values()) == {"failed: ETIMEDOUT"}
    assert run("4.4.1") == {"nvme0": "failed: ETIMEDOUT", "nvme1": "ok", "nvme2": "failed: ETIMEDOUT"}


def test_the_unverifiable_records_are_left_as_they_were() -> None:
    for name, commit in UNVERIFIABLE:
        assert _find(name, commit).confirmed, (name, commit)


def test_every_record_has_a_release_its_layer_knows() -> None:
    assert len(VERIFIED) + len(VERIFIED_TRADITIONAL) + len(VERIFIED_KERNEL_PARTLY) == 41
    for name, commit, *_ in VERIFIED:
        assert bh.by_name()[name].history, (name, commit)


# --- affinity_on_activate: 4.14.194 carries baedb87d1b53 and its x86 opt-in, without the x86 -EIO ----------
REBIND = """
name: rebind-4-14
cpus: 12
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 10us, do: request_irq, dev: eth0, vector: 0}
  - {at: 50us, do: fire, dev: eth0, vector: 0}
  - {at: 100us, do: free_irq, dev: eth0, vector: 0}
  - {at: 150us, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 200us, do: request_irq, dev: eth0, vector: 0}
  - {at: 250us, do: fire, dev: eth0, vector: 0}
"""

ENABLE_AFTER_FREE = """
name: enable-after-free
seed: 1
cpus: 12
kernel: {version: "4.14.193", affinity_on_activate: true}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0}
  - {at: 200us, do: free_irq, dev: eth0, vector: 0}
  - {at: 300us, do: enable_irq, dev: eth0, vector: 0}
  - {at: 400us, do: fire, dev: eth0, vector: 0}
"""


@pytest.mark.parametrize(("version", "value"), [("4.14.193", False), ("4.14.194", True), ("4.14.336", True)])
def test_affinity_on_activate_reached_4_14_194(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["affinity_on_activate"] is value


def test_a_4_14_194_set_affinity_on_a_freed_irq_only_stores_the_mask() -> None:
    """After free_irq deactivated the irq, irq_set_affinity_deactivated (in 4.14.194) stores the mask; 4.14.193
    hands it to the chip, which records a pending move."""
    from tests.conftest import events_of, scenario

    how = {v: [e.fields["how"] for e in events_of(run_to_end(scenario(REBIND.replace("VERSION", v))), "irq.affinity")]
           for v in ("4.14.193", "4.14.194")}
    assert how == {"4.14.193": ["pending"], "4.14.194": ["stored"]}


def test_the_legacy_allocator_has_no_apic_set_affinity_activation_warn() -> None:
    """The 4.14 backport of baedb87d1b53 skipped the x86 part ('4.14 never had the x86 workaround'): the legacy
    apic_set_affinity has no WARN_ON_ONCE(!irqd_is_activated) -> -EIO, so enable_irq after free_irq does not
    meet it there (5.4.60+ do: tests/test_irq_disable.py)."""
    from tests.conftest import events_of, scenario

    eng = run_to_end(scenario(ENABLE_AFTER_FREE))
    assert eng.w["behaviour"]["affinity_on_activate"] is True
    assert not any("irqd_is_activated" in str(e.fields["what"]) for e in events_of(eng, "kernel"))


# --- msi_activate_early: 4c457e8cb75e also reached 5.4.97 and 5.10.15 ------------------------------------
@pytest.mark.parametrize(("version", "early"), [("5.4.96", False), ("5.4.97", True), ("5.10.14", False),
                                                ("5.10.15", True)])
def test_5_4_97_and_5_10_15_activate_every_multi_msi_vector_early(version: str, early: bool) -> None:
    """releases/5.4.97/series and releases/5.10.15/series of the stable queue list the Multi-MSI early activation;
    main had it in 4.19.175 only: message 1 of a Multi-MSI block under VT-d met a non-present IRTE there."""
    from tests.conftest import scenario, totals
    from tests.test_redteam12 import MULTI

    eng = run_to_end(scenario(MULTI.replace("VERSION", version)))
    assert eng.w["behaviour"]["msi_activate_early"] == ("all" if early else "first")
    t = totals(eng, "ahci")
    assert (t["delivered"], t["lost"]) == ((1, 0) if early else (0, 1))
