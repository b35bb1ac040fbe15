"""Red-team round 4: load-time checks of the pre-4.15 vector allocator fields."""

from __future__ import annotations

import pytest

from msidbg.errors import ScenarioError
from tests.conftest import scenario

NO_VERSION = """
name: legacy-no-version
cpus: 16
kernel: {vector_allocator: legacy}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
"""


def test_explicit_legacy_without_a_version_is_refused() -> None:
    """No kernel.version is current upstream (the matrix era, 6.6's timer cleanup): an explicit
    legacy allocator there clashes as it does with kernel.version 5.10 -- a one-line error naming
    the field, not a run of the 4.14 allocator under 6.x activation and cleanup."""
    with pytest.raises(ScenarioError) as err:
        scenario(NO_VERSION)
    msg = str(err.value)
    assert "kernel.vector_allocator" in msg and "\n" not in msg
    assert "expected a kernel.version 4.5 to 4.14" in msg


def test_legacy_with_a_pre_4_15_version_still_loads() -> None:
    scn = scenario(NO_VERSION.replace("{vector_allocator: legacy}", '{version: "4.14", vector_allocator: legacy}'))
    assert scn.behaviour.plain(scn.platform.kind)["vector_allocator"] == "legacy"
