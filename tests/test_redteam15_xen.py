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


PV_UNBIND = """
name: rt15-pv-unbind
seed: 1
cpus: 2
platform: {kind: xen-pv, xen: "4.16"}
kernel: {version: "5.10"}
devices:
  d0: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 2}}
  d1: {bdf: "00:06.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
breakpoints: [irq-lost]
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}
  - {on: 0, do: probe, dev: d1, mode: msi, vectors: 1}
  - {at: 1ms, on: 0, do: free_irq, dev: d1, vector: 0}
  - {at: 2ms, do: fire, dev: d1, vector: 0, count: 2, every: 10us}
"""


def test_a_pv_guests_binding_has_no_vmsix_intercept_and_its_unbind_is_evtchnop_close() -> None:
    """Xen's vMSI-X intercept is the HVM dpci's: msixtbl_pt_register / _unregister are called from
    pt_irq_create_bind / pt_irq_destroy_bind only (RELEASE-4.5.0 drivers/passthrough/io.c, RELEASE-4.22.0
    drivers/passthrough/x86/hvm.c); a PV guest binds with EVTCHNOP_bind_pirq (evtchn_bind_pirq ->
    pirq_guest_bind) and unbinds with EVTCHNOP_close (pirq_guest_unbind, common/event_channel.c). A plain MSI
    Xen cannot mask keeps signalling after the unbind: do_IRQ drops it (IRQ_DISABLED)."""
    from tests.conftest import scenario
    eng = run_to_end(scenario(PV_UNBIND))
    assert eng.w["xen"]["msixtbl"] == {}
    a = eng.w["acct"]["d1"]
    assert sum(a["lost"]) == 2 and sum(a["delivered"]) == 0
    lost = [str(h.detail) for h in eng.hits if h.name == "irq-lost"]
    assert len(lost) == 2
    assert all("EVTCHNOP_close" in d and "pt_irq_create_bind" not in d for d in lost)
    notes = [n for n in _notes(eng) if "pirq 99" in n]
    assert any(n.startswith("EVTCHNOP_close: pirq_guest_unbind") for n in notes)
    assert not any("pt_irq" in n for n in notes)


def _notes(eng: object) -> list[str]:
    """Every provenance note the run wrote (its text)."""
    store = eng.prov.notes  # type: ignore[attr-defined]
    out = []
    for n in store.vals:
        out.append(n[0].format(*n[1]) if isinstance(n, tuple) else str(n))
    return out
