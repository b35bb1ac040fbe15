"""xenunmask25: from f7039ee41b (Xen 4.14; 4.12.4, 4.13.2) ``msix_write_completion`` runs at every
``hvm_do_resume`` -- each schedule-in of the vCPU -- so an unmask a failed completion armed again (xenred25's
stale ``table_flags`` bit) is applied at the vCPU's next schedule-in, not only at its next device-model round trip
(reading ``xen.msixtbl.completion-at-resume``, row ``platform.xen_msix_completion_at_resume``). msidbg's
schedule-ins: the end of a round trip, an action starting on a halted vCPU, a ``vcpu_migrate`` of a running vCPU
to another pCPU, an interrupt for a halted vCPU and its periodic tick (xentick26).
tests/xenunmask25/*.yaml were predicted from source before they ran (PREDICTIONS.md); u01 / u03 / u04 lose
3 on main (u06 loses 3 again since xentick26: its vCPU is halted) (the hypercall or the migration applied nothing). n01 .. n03: an unmask Xen passed on that the null
handler dropped (QEMU's table unmapped) waits the same way -- main applied it at once (n01 / n03 delivered 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "xenunmask25"
FILES = sorted(DIR.glob("*.yaml"))


def _run(prefix: str) -> Session:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_past_breakpoints(path)


def _events(s: Session) -> list[tuple[str, int, str | None, dict[str, Any]]]:
    return [(e.kind, e.cpu, e.dev, dict(e.fields)) for e in s.events(0, s.total)]


def test_there_are_eleven_files() -> None:
    assert len(FILES) == 11


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_source_prediction(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


@pytest.mark.parametrize(("xen", "value"), [
    ("4.12.3", False), ("4.12.4", True), ("4.13.1", False), ("4.13.2", True), ("4.14", True), ("4.19.2", True),
    ("4.7", False), ("4.11", False),
])
def test_row_follows_f7039ee41b_and_its_backports(xen: str, value: bool) -> None:
    assert resolve("xen-hvm", kernel="4.19", xen=xen).plain("xen-hvm")["xen_msix_completion_at_resume"] is value


def test_the_halted_vcpus_wake_up_applies_the_unmask_before_its_hypercall() -> None:
    # the re-armed unmask is applied by Xen (msixtbl_write -> guest_mask_msi_irq) as vCPU 1 is scheduled in: the
    # physical entry is unmasked and the pending message sent before the action starts, with no ioreq in between
    ev = _events(_run("u01"))
    unmask = ev.index(("msix.write", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0}))
    start = next(i for i, e in enumerate(ev) if e[0] == "action.start" and e[3]["do"] == "hypercall")
    assert start == unmask + 2 and ev[unmask + 1][0] == "msi.msg"
    assert not any(k.startswith("ioreq.") or k.startswith("qemu.") for k, *_ in ev[unmask - 4:start])
    handled = [e for e in ev if e[0] == "irq.handler"]
    assert [h[3]["signals"] for h in handled] == [3]


def test_before_the_backport_the_hypercall_applies_nothing() -> None:
    ev = _events(_run("u02"))
    assert ("msix.write", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0}) not in ev[-6:]
    assert not any(e[0] == "irq.handler" and e[2] == "n0" for e in ev[-6:])


def test_a_halted_vcpus_migration_is_no_schedule_in() -> None:
    # xentick26: vCPU 1 is halted (blocked) at 8 ms; sched_unit_migrate_finish's vcpu_wake leaves it blocked, so
    # nothing is applied after xen.migrate (xenunmask25 took the migration as a schedule-in: the unmask followed)
    ev = _events(_run("u06"))
    mig = next(i for i, e in enumerate(ev) if e[0] == "xen.migrate")
    assert ("msix.write", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0}) not in ev[mig:]
    # u08: the same pCPU, no schedule-in represented -- nothing after the migrate event
    ev8 = _events(_run("u08"))
    assert ev8[-1][0] == "xen.migrate"


def test_an_unmask_the_null_handler_dropped_waits_for_the_schedule_in() -> None:
    # 4.14: the unmask at 4 ms goes to the null handler (xen.null_io) and leaves the entry masked; the three
    # signals are held in the PBA; the hypercall's schedule-in at 6 ms applies it and the pending message goes
    ev = _events(_run("n02"))
    dropped = ev.index(("xen.null_io", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0}))
    held = [i for i, e in enumerate(ev) if e[0] == "msi.held"]
    unmask = ev.index(("msix.write", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0}))
    assert dropped < held[0] and len(held) == 3 and held[-1] < unmask
    assert ev[unmask + 2][0] == "action.start" and ev[unmask + 2][3]["do"] == "hypercall"


def test_a_resume_item_with_nothing_armed_or_a_bad_vcpu_is_one_note() -> None:
    # a snapshot's agenda is untrusted: a "resume" item whose vCPU is not an int, is missing, or has nothing armed
    # is one xen.msixtbl note each (no traceback); the u07 run's armed unmask (4.19.2) is applied by the last
    from msidbg.model import new_engine
    from tests.mech_helpers import evs, finish
    eng = new_engine(load_scenario(str(next(DIR.glob("u07-*.yaml")))))
    eng.schedule(1000, "xen", "resume", [1])
    eng.schedule(1000, "xen", "resume")
    eng.schedule(7_000_000, "xen", "resume", 1)
    finish(eng)
    notes = [e.fields["how"] for e in evs(eng, "xen.msixtbl")]
    assert notes == ["schedule-in: no msix_unmask_address armed"] * 2
    assert [e.fields["value"] for e in evs(eng, "msix.write", "n0") if e.fields["reg"] == "ctrl"][-1] == 0
    assert [e.fields["signals"] for e in evs(eng, "irq.handler", "n0")][-1] == 3
