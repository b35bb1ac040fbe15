"""scenarios/README.md carries the version matrix the model computes (stale = fail)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ROOT, load_script, shipped


def matrix() -> Any:
    return load_script(ROOT / "scenarios" / "matrix.py", "scenarios_matrix")


def test_the_readme_matrix_is_current() -> None:
    m = matrix()
    assert m.current() == m.render(), "scenarios/README.md: the version matrix is stale (run python scenarios/matrix.py)"


def test_a_cell_is_the_workload_with_only_versions_deciding() -> None:
    m = matrix()
    bug = shipped("xen-pirq-reuse-nvme")
    v = m.variant(bug, "4.9", "4.6", None)
    assert v.kernel.version == "4.9" and v.kernel.switches == {} and v.platform.switches == {}
    assert v.platform.xen == "4.6" and v.devices == bug.devices and v.run == bug.run and v.expect is None
    assert v.behaviour.plain()["xen_reuse_cached_pirq"] is True          # af42b8d12f8a, before the 2017 revert
    assert m.outcome(v).startswith("conflict, probe failed, lost ")
    assert m.outcome(m.variant(bug, "4.14", "4.6", None)).startswith("delivered ")
    torn = shipped("msi-torn-affinity-update")
    assert m.variant(torn, "5.4", "4.6", None).platform.xen is None      # no Xen on bare metal


def test_every_seed_bug_is_in_the_matrix() -> None:
    names = {f.scenario for f in matrix().FAMILIES}
    assert names == {"msi-torn-affinity-update", "msix-write-while-unmasked", "marvell-nvme-msi-blocked",
                     "xen-hvm-msix-mask-late", "xen-pirq-reuse-nvme"}
