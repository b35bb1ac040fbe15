"""redteam15: held-out Xen scenarios (tests/heldout/xen15/*.yaml), each predicted from the upstream source at
its releases before msidbg ran it; the file's ``about:`` names the reading and its ``expect:`` the outcome.

Version pairs the shipped scenarios do not use: the seed 000 mechanism at Linux 5.10.90 / 5.10.114 / 5.15.30 /
5.16 on Xen 4.3.0 / 4.3.1 / 4.4 / 4.5 / 4.19; a guest's Vector Control writes through Xen's vMSI-X intercept
(unchecked 4.1, ignored 4.3.0, direct 4.5, combined 4.6); the guest's Memory Space toggle (QEMU's table remap
unbinds and re-binds every entry: Xen 4.5 / 4.6 / 4.10); the inverted msixtbl refcount (4.21); an emulated
MSI-X device across qemu-xen 4.5.0 / 4.5.3 / 4.6.0 / 4.7 (428c3ece97); native MSIs with per-vector masking
(4.5 / 4.8 / 4.10); qemu-traditional re-probe (4.2); SR-IOV VFs with qemu-xen-4.5 on Xen 4.4; guest CPU hotplug on
FIFO and 2-level; PV on 4.1.2 and 4.22; HVM INTx (4.16); 4.19's dm_msix_all_writes and QEMU's latch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end

HELD = sorted((Path(__file__).resolve().parent / "heldout" / "xen15").glob("*.yaml"))


def _held(name: str) -> object:
    return load_scenario(str(HELD[0].parent / f"{name}.yaml"))


def test_there_are_held_out_scenarios() -> None:
    assert len(HELD) >= 25


@pytest.mark.parametrize("path", HELD, ids=[p.stem for p in HELD])
def test_held_out_scenario_matches_its_source_reading(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def _handled_at(name: str, index: int) -> list[int]:
    eng = run_to_end(_held(name))
    return [e.time_ns for e in events_of(eng, "irq.handler") if e.fields["index"] == index]


@pytest.mark.parametrize(("name", "held"), [("guestmask-x41-k32", True), ("guestmask-x430-k44", False),
                                            ("guestmask-x45-k44", True), ("guestmask-x46-k44", True)])
def test_a_guest_mask_through_the_intercept_holds_the_burst_until_the_unmask(name: str, held: bool) -> None:
    """The burst on entry 1 (2 ms) is handled after the guest's unmask (3 ms) where the guest's mask reaches
    the physical entry (4.1 unchecked, 4.5 direct, 4.6 host OR guest), at once where Xen 4.3.0 discards it."""
    times = _handled_at(name, 1)
    assert times
    if held:
        assert min(times) >= 3_000_000
    else:
        assert max(times) < 3_000_000


@pytest.mark.parametrize(("name", "latched"), [("latch-remap-x418-k51060", 1), ("latch-remap-x419-k51060", 0)])
def test_qemus_latch_sees_the_unmask_xen_handled_only_from_419(name: str, latched: int) -> None:
    eng = run_to_end(_held(name))
    entries = eng.w["qemu"]["devs"]["d0"]["msix"]["entries"]
    assert entries[0]["latch"][3] == latched      # entry 0's Vector Control as QEMU latched it
    assert entries[1]["latch"][3] == 1            # entry 1: msix_mask_all's mask, never unmasked
