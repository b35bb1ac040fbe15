"""Release boundaries audit13 read in stable sources (the stable announcements' shortlogs and
diffstats, stable-queue, linux-stable-rc pushes; see the notes in msidbg/behaviour/kernel.py).

Each case is a version on either side of a boundary read this session."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, run_to_end, scenario, shipped, with_kernel


def _value(name: str, version: str) -> object:
    row = bh.by_name()[name]
    return bh.at(row, bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "before", "after", "old", "new"), [
    # cba6437a1854: 'Linux 5.4.23', 'Linux 5.5.7' (2020-03-01), the 4.14.172 shortlog
    ("proc_offline_mask", "5.4.22", "5.4.23", "select", "einval"),
    ("proc_offline_mask", "5.5.6", "5.5.7", "select", "einval"),
    ("proc_offline_mask", "4.14.171", "4.14.172", "select", "einval"),
    # 52f518a3a7c2: a 4.1.18 arch/x86/kernel/apic/msi.c still writes every message at arch setup
    ("msi_activate_early", "4.1.18", "4.2", "all", "none"),
    ("startup_reactivates", "4.1.18", "4.2", False, True),
])
def test_the_release_boundaries_read_by_audit13(name: str, before: str, after: str, old: object,
                                                new: object) -> None:
    assert (_value(name, before), _value(name, after)) == (old, new)


OFFLINE_MASK = """
name: offline-mask-5-4
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


def test_a_5_4_23_smp_affinity_write_without_an_online_cpu_is_rejected_as_5_6_does() -> None:
    """echo <offline CPU7> > smp_affinity: 5.4.22 re-runs irq_setup_affinity() (the irq is already on
    CPU4: the write succeeds); 5.4.23 carries cba6437a1854 ('Linux 5.4.23') and returns -EINVAL."""
    results = []
    for version in ("5.4.22", "5.4.23"):
        eng = run_to_end(scenario(OFFLINE_MASK.replace("VERSION", version)))
        done = [e for e in events_of(eng, "action.done") if e.fields.get("action") == 4]
        assert len(done) == 1
        results.append(done[0].fields["result"])
    assert results == [0, -22]


def test_xen_4_6_3_builds_a_qemu_xen_that_ignores_emulated_mask_bits_for_pirq_messages() -> None:
    """RELEASE-4.6.3's stable-4.6 history pinned qemu-xen 14a60f98e0 (which contains 02879be230, the
    stable-4.6 copy of 428c3ece97) before the qemu-xen-4.6.3 tag: Xen 4.6.3 resolves the row to True,
    flagged unconfirmed (the tag's tree is not mirrored); Xen 4.6.1 (qemu-xen-4.6.1) keeps False."""
    rows = {r.name: r for r in bh.resolve("xen-hvm", xen="4.6.3").rows}
    assert rows["qemu_msix_pirq_ignore_mask"].value is True
    assert "qemu-xen-4.6.3" in rows["qemu_msix_pirq_ignore_mask"].unconfirmed
    assert bh.resolve("xen-hvm", xen="4.6.1").plain()["qemu_msix_pirq_ignore_mask"] is False
    assert bh.resolve("xen-hvm", xen="4.5.3").plain()["qemu_msix_pirq_ignore_mask"] is True


def _nobody_cared(version: str) -> list[int]:
    eng = run_to_end(with_kernel(shipped("intx-nobody-cared"), version=version))
    return [e.fields["unhandled"] for e in events_of(eng, "irq.nobody_cared")]


def test_before_5_13_every_interrupt_counts_so_the_window_ends_three_early() -> None:
    """intx-nobody-cared: eth0's three handled interrupts come before usb0's line starts screaming.
    5.13 has 7c07012eb1be (the torvalds/linux push of 2021-04-26): irq_count starts at the first
    unhandled interrupt and the window closes at 100,000 unhandled; 5.12's note_interrupt counted the
    three handled ones too, so the window closes after 99,997 unhandled (> 99,900: disabled there)."""
    assert _nobody_cared("5.13") == [100_000]
    assert _nobody_cared("5.12") == [99_997]


@pytest.mark.parametrize(("name", "release", "commit"), [
    ("xen_eoi_clear_first", "4.6", "ff1e22e7a638"),
    ("nvme_irq_layout", "4.9", "dca51e7892fa"),
    ("note_interrupt_counts", "5.13", "7c07012eb1be"),
])
def test_the_mainline_releases_audit13_read_are_confirmed(name: str, release: str, commit: str) -> None:
    change = next(c for c in bh.by_name()[name].history if c.release == release)
    # audit20: xen_eoi_clear_first's 4.1.y / 3.18.y backports are unconfirmed boundaries; the mainline one is not
    assert release not in change.unconfirmed, (name, change.unconfirmed)
    assert change.commit.startswith(commit)
