"""redteam16: held-out scenarios on this session's mechanisms (tests/heldout/rt16/*.yaml), each predicted from
the upstream source at its releases before msidbg ran it; the file's ``about:`` names the reading and its
``expect:`` the outcome: pcifront INTx over a shared GSI pirq (PV), HVM passthrough INTx on Xen 4.13, INTx
behind VT-d remapping, free_irq and Remote IRR before / from 5.3, non-maskable MSI host vectors on Xen 4.19,
queued QEMU reads from two vCPUs, eoi_pirq's masked move (5.4), and the device_lock between probe and remove.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario

HELD = sorted((Path(__file__).resolve().parent / "heldout" / "rt16").glob("*.yaml"))


def test_there_are_held_out_scenarios() -> None:
    assert len(HELD) >= 9


@pytest.mark.parametrize("path", HELD, ids=[p.stem for p in HELD])
def test_held_out_scenario_matches_its_source_reading(path: Path) -> None:
    assert check(load_scenario(str(path))) == []
