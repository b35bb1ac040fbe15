"""redteam12: held-out bare-metal scenarios (kernel versions at each behaviour row's boundary,
stable point releases, odd CPU counts, remapping, multi-MSI, hotplug) against the upstream source
and the stable releases; each test failed on the code before its fix."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import hit_names, run_to_end, shipped, with_kernel


def _value(name: str, version: str) -> object:
    return bh.at(bh.by_name()[name], bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "version", "value"), [
    # 6f1a4891a592: stable-queue releases/5.5.3/x86-apic-msi-plug-non-maskable-msi-affinity-race.patch
    # ('commit 6f1a4891a592... upstream'); releases/5.5.2 has no such file
    ("msi_affinity_update", "5.5.2", "plain"), ("msi_affinity_update", "5.5.3", "plug-race"),
    ("msi_affinity_update", "5.5.19", "plug-race"),
    ("msi_set_affinity_name", "5.5.2", "generic"), ("msi_set_affinity_name", "5.5.3", "x86"),
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
