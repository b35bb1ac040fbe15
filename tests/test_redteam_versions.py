"""Red team: version boundaries that scenarios nobody had written resolved, checked end to end.

Each scenario runs to the end; the outcome (raised / delivered / lost, hits) has to follow from the
mechanism for the behaviour the named releases really have.
"""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

EMULATED_NIC = """
name: emulated-nic
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0, count: 4, every: 10us}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 1, count: 4, every: 10us}}
"""


def test_a_xen_point_release_implies_the_qemu_xen_point_release_its_config_pins() -> None:
    """RELEASE-4.5.3's Config.mk builds qemu-xen-4.5.3 (QEMU_UPSTREAM_REVISION), which carries
    df8471f739, the stable-4.5 backport of 428c3ece97; the implied device model used to drop the
    point release and resolve Xen 4.5.3 to qemu-xen-4.5.0's behaviour. Late point releases pin an
    older qemu-xen point release (RELEASE-4.16.7: qemu-xen-4.16.5)."""
    assert bh.implied_qemu(bh.parse_xen("4.5.3")).text == "qemu-xen-4.5.3"
    assert bh.implied_qemu(bh.parse_xen("4.5")).text == "qemu-xen-4.5"
    assert bh.implied_qemu(bh.parse_xen("4.5.0")).text == "qemu-xen-4.5"
    assert bh.implied_qemu(bh.parse_xen("4.16.7")).text == "qemu-xen-4.16.5"
    assert bh.implied_qemu(bh.parse_xen("4.2.5")).text == "qemu-traditional"
    rows = {r.name: r for r in bh.resolve("xen-hvm", xen="4.5.3").rows}
    assert rows["qemu_msix_pirq_ignore_mask"].value is True
    assert rows["qemu_msix_pirq_ignore_mask"].origin == "qemu-xen-4.5.3 (xen 4.5.3)"
    assert bh.resolve("xen-hvm", xen="4.5.2").plain()["qemu_msix_pirq_ignore_mask"] is False


@pytest.mark.parametrize(("kernel", "xen", "delivered"), [
    # 7e0815b3e099 kernels never touch mask bits; QEMU's emulated table resets every entry masked
    # (hw/pci/msix.c), so only a QEMU that ignores mask bits for pirq messages (428c3ece97) delivers
    ("5.18", "4.6", 0),
    ("5.18", "4.5.2", 0),
    ("5.18", "4.5.3", 8),     # qemu-xen-4.5.3: the backport
    ("5.18", "4.7", 8),
    # older kernels mask and never unmask either (the xen-pirq chip only unmasks event channels)
    ("5.13", "4.6", 0),
    ("5.16", "4.7", 8),
])
def test_an_emulated_msix_device_on_a_pirq_guest_follows_the_device_model(kernel: str, xen: str,
                                                                          delivered: int) -> None:
    eng = run_to_end(scenario(EMULATED_NIC.format(kernel=kernel, xen=xen)))
    t = totals(eng, "eth0")
    assert (t["raised"], t["delivered"], t["lost"], t["spurious"]) == (8, delivered, 8 - delivered, 0)
    assert ("irq-lost" in hit_names(eng)) == (delivered == 0)


def test_apic_virtualization_keeps_pci_msi_masking_on_a_7e0815b3e099_kernel() -> None:
    """7e0815b3e099 sets pci_msi_ignore_mask at the end of xen_setup_pci_msi() (xen_msi_init() in
    its 4.14 backport), after xen_hvm_msi_init()'s early return for (x2)APIC virtualization: such a
    guest keeps the x86 MSI domain and its mask/unmask writes. It was applied to every HVM guest,
    so an emulated NIC (QEMU resets its entries masked) was never unmasked: all 8 signals lost."""
    text = EMULATED_NIC.format(kernel="5.18", xen="4.6").replace(
        'xen: "4.6"}', 'xen: "4.6", apic_virtualization: true}')
    eng = run_to_end(scenario(text))
    assert eng.w["kernel"]["ignore_mask"] is False
    assert totals(eng, "eth0") == {"raised": 8, "delivered": 8, "lost": 0, "spurious": 0}
    unmasks = [e for e in events_of(eng, "msix.write") if e.fields["reg"] == "ctrl" and e.fields["value"] == 0]
    assert sorted({e.fields["entry"] for e in unmasks}) == [0, 1]
    # the pirq guest of the same release still ignores mask bits
    assert run_to_end(scenario(EMULATED_NIC.format(kernel="5.18", xen="4.6"))).w["kernel"]["ignore_mask"] is True


@pytest.mark.parametrize(("xen", "value"), [
    ("4.19.3", "inverted"), ("4.19.4", "fixed"), ("4.20.2", "inverted"), ("4.20.3", "fixed"),
    ("4.21.0", "inverted"), ("4.21.1", "fixed"), ("4.18.6", "inverted"), ("4.22", "fixed"),
])
def test_the_msixtbl_refcount_fix_is_in_the_stable_releases_that_carry_it(xen: str, value: str) -> None:
    """ea87662c77 (4.22.0) was cherry-picked to stable-4.19/4.20/4.21 (3d932ff970, 9fb2b66c60,
    747d10b76f: first tagged in RELEASE-4.19.4, 4.20.3, 4.21.1); the table named 4.22 only."""
    assert bh.resolve("xen-hvm", xen=xen).plain()["xen_msixtbl_refcount"] == value
