"""Red team: version boundaries that scenarios nobody had written resolved, checked end to end.

Each scenario runs to the end; the outcome (raised / delivered / lost, hits) has to follow from the
mechanism for the behaviour the named releases really have.
"""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import hit_names, run_to_end, scenario, totals

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
