"""redteam12: held-out bare-metal scenarios (kernel versions at each behaviour row's boundary,
stable point releases, odd CPU counts, remapping, multi-MSI, hotplug) against the upstream source
and the stable releases; each test failed on the code before its fix."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, shipped, totals, with_kernel


def _value(name: str, version: str) -> object:
    return bh.at(bh.by_name()[name], bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "version", "value"), [
    # 6f1a4891a592: stable-queue releases/5.5.3/x86-apic-msi-plug-non-maskable-msi-affinity-race.patch
    # ('commit 6f1a4891a592... upstream'); releases/5.5.2 has no such file
    ("msi_affinity_update", "5.5.2", "plain"), ("msi_affinity_update", "5.5.3", "plug-race"),
    ("msi_affinity_update", "5.5.19", "plug-race"),
    ("msi_set_affinity_name", "5.5.2", "generic"), ("msi_set_affinity_name", "5.5.3", "x86"),
    # a33a5d2d16cb: stable-queue releases/4.9.226/genirq-generic_pending-do-not-lose-pending-affinity-update.patch
    ("move_busy_rearm", "4.9.225", False), ("move_busy_rearm", "4.9.226", True),
    # 9c8e9c9681a0: stable-queue releases/5.15.3/pci-msi-move-non-mask-check-back-into-low-level-accessors.patch
    ("msix_ctrl_read_can_mask", "5.15.2", False), ("msix_ctrl_read_can_mask", "5.15.3", True),
    # 838ba7733e4e: stable-queue releases/6.10.14/x86-apic-remove-logical-destination-mode-for-64-bit.patch
    ("apic_flat_logical", "6.10.13", True), ("apic_flat_logical", "6.10.14", False),
])
def test_stable_backports_found_by_redteam12(name: str, version: str, value: object) -> None:
    assert _value(name, version) == value


def test_a_5_5_3_kernel_no_longer_tears_the_2020_update() -> None:
    """The shipped 2020 xHCI scenario (5.5) tears; 5.5.2 still does; 5.5.3 carries 6f1a4891a592."""
    scn = shipped("msi-torn-affinity-update")
    assert "msi-torn-message" in hit_names(run_to_end(with_kernel(scn, version="5.5.2")))
    fixed = run_to_end(with_kernel(scn, version="5.5.3"))
    assert "msi-torn-message" not in hit_names(fixed)
    assert "irq-lost" not in hit_names(fixed)


REARM = """
name: rearm
cpus: 12
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
  eth1: {bdf: "00:04.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth1, mode: msix, vectors: 1}
  - {at: 114800ns, do: fire, dev: eth1, vector: 0}
  - {at: 20us, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: eth0, vector: 0, count: 60, every: 5us}
  - {at: 110us, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
  - {at: 112us, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 7}
"""


@pytest.mark.parametrize(("version", "moved"), [("4.9.225", False), ("4.9.226", True), ("4.9.300", True),
                                                ("4.14", False)])
def test_a_4_9_226_kernel_rearms_a_deferred_move_refused_busy(version: str, moved: bool) -> None:
    """Legacy vector allocator: the irq moves CPU0 -> CPU5; a second request (CPU7) is applied by the
    first interrupt on CPU5, whose irq_complete_move has just sent the cleanup IPI to CPU0 -- busy in
    eth1's handler -- so __assign_irq_vector answers -EBUSY (old_domain still online). Before
    a33a5d2d16cb irq_move_masked_irq cleared pending_mask anyway (the move is lost, the irq stays on
    CPU5); with it (4.18, 4.17.3 and -- stable-queue releases/4.9.226 -- 4.9.226) it is re-armed and the
    next interrupt moves the irq to CPU7."""
    eng = run_to_end(scenario(REARM.replace("VERSION", version)))
    targets = [e.fields["target"] for e in events_of(eng, "vector.assign") if e.dev == "eth0"]
    assert targets[:2] == [0, 5]
    assert (targets[-1] == 7) is moved


@pytest.mark.parametrize(("version", "fixed"), [("5.13", False), ("5.13.11", False), ("5.13.12", True),
                                                ("5.13.19", True)])
def test_the_5_13_12_stable_release_carries_the_2021_series(version: str, fixed: bool) -> None:
    """stable-queue releases/5.13.12/series lists the 2021 series (826da771291f, ff363f480e59,
    438553958ba1, 7d5ec3d36123, da181dc974ad, ...): the shipped 2021 scenario (5.13: a live MSI-X entry
    rewritten at startup) is fixed there, as in 5.4.142 / 5.10.60 / 5.14."""
    eng = run_to_end(with_kernel(shipped("msix-write-while-unmasked"), version=version))
    assert ("msix-write-unmasked" not in hit_names(eng)) is fixed
    for name in ("affinity_before_startup", "msix_masked_update", "msix_enable_first"):
        assert _value(name, version) is fixed


MULTI = """
name: multi
cpus: 4
platform: {interrupt_remapping: true}
kernel: {version: "VERSION"}
devices:
  ahci: {bdf: "00:1f.2", kind: generic, msi: {vectors: 4, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: alloc_vectors, dev: ahci, mode: msi, vectors: 4}
  - {at: 100us, do: fire, dev: ahci, vector: 1, count: 1}
  - {at: 200us, on: 0, do: request_irq, dev: ahci, vector: 1}
"""


@pytest.mark.parametrize(("version", "early"), [("4.19.174", False), ("4.19.175", True), ("5.10", False),
                                                ("5.11", True)])
def test_4_19_175_activates_every_multi_msi_vector_early(version: str, early: bool) -> None:
    """A Multi-MSI block under VT-d: before 4c457e8cb75e only the first irq is activated at allocation,
    so message 1 meets a non-present IRTE (a fault: lost) until request_irq activates it; with it
    (5.11, and -- stable-queue releases/4.19.175 -- 4.19.175) its IRTE is programmed at allocation and
    the early signal waits on the unstarted irq (IRQS_PENDING) for request_irq's resend."""
    eng = run_to_end(scenario(MULTI.replace("VERSION", version)))
    assert _value("msi_activate_early", version) == ("all" if early else "first")
    t = totals(eng, "ahci")
    assert t["raised"] == 1 and t["delivered"] == (1 if early else 0) and t["lost"] == (0 if early else 1)


INTX_OVER_MSIX = """
name: intx-over-msix
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: alloc_vectors, dev: eth0, mode: MODE, vectors: 1}
  - {at: 110us, on: 0, do: request_irq, dev: eth0, vector: 0}
  - {at: 200us, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
  - {at: 300us, on: 1, do: remove, dev: eth0}
"""


@pytest.mark.parametrize("mode", ["intx", "all"])
def test_the_intx_fallback_with_msix_still_enabled_keeps_the_msix_irq(mode: str) -> None:
    """pci_alloc_irq_vectors(PCI_IRQ_INTX) while an earlier MSI-X setup is still enabled returns 1 (the
    fallback checks only min_vecs and dev->irq; with PCI_IRQ_ALL_TYPES the MSI-X and MSI tries refuse
    first), and pci_irq_vector(dev, 0) is then MSI-X entry 0's irq: the driver requests that irq and the
    device's MSI-X messages are delivered. The model made vector 0 the GSI's irq, left the MSI-X
    descriptors behind, and its remove crashed (KeyError) on the IO-APIC irq as an MSI-X one. (The second
    allocation is the same driver's -- an ``alloc_vectors``, not a ``probe``: the driver that allocated the
    MSI-X vector has the device, and a probe of a bound device is -EBUSY from 5.14, devremove.)"""
    eng = run_to_end(scenario(INTX_OVER_MSIX.replace("MODE", mode)))
    req = [e for e in events_of(eng, "irq.request") if e.dev == "eth0"]
    assert req and all(e.fields["irq"] >= 24 for e in req)
    assert totals(eng, "eth0")["delivered"] == 2
