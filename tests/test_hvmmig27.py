"""hvmmig27: Xen runs ``hvm_migrate_pirqs`` in ``vmx_do_resume`` / ``svm_do_resume`` (the context-switch tail) when the
vCPU's VMCS was last active on another pCPU, and ``vcpu_migrate``'s ``vcpu_wake`` leaves a halted (blocked) vCPU
blocked: a halted vCPU's pirqs follow it at its next wake-up, not at the migration (reading
``xen.sched.migrate-blocked``; RELEASE-4.0.0 .. RELEASE-4.19.2 vmx/vmcs.c, RELEASE-4.5.0 schedule.c). Each file in
tests/hvmmig27/ was predicted from source before it ran (PREDICTIONS.md); every test below fails on main, which ran
hvm_migrate_pirqs at the migration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import run_past_breakpoints
from tests.conftest import session_events as _events
from tests.conftest import xen_host_irq as _host_irq

DIR = Path(__file__).resolve().parent / "hvmmig27"
FILES = sorted(DIR.glob("*.yaml"))


def _run(prefix: str) -> Session:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_past_breakpoints(path)




def test_there_are_three_files() -> None:
    assert len(FILES) == 3


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_source_prediction(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_the_wake_up_signal_asks_the_move_and_the_next_interrupt_would_apply_it() -> None:
    s = _run("m01")
    ev = _events(s)
    mig = [i for i, e in enumerate(ev) if e[0] == "xen.migrate"]
    assert len(mig) == 2 and ev[mig[0]][4] == 5_000_000 and 6_000_000 < ev[mig[1]][4] < 6_010_000
    assert "hvm_migrate_pirqs: pending moves of pirq 101 to pCPU6" in ev[mig[1]][3]["how"]
    # the schedule-in comes before vCPU 1 takes the 6 ms signal's vector
    taken = [i for i, e in enumerate(ev) if e[0] == "apic.accept" and e[1] == 1]
    assert mig[1] < taken[-1] and ev[taken[-1]][4] >= 6_000_000
    hirq = _host_irq(s, 101)
    assert (hirq["cpu"], hirq["move"]) == (1, 6)   # main: (6, -1), moved by the wake-up signal's own ack
    assert "migrate_later" not in s.world["xen"]


def test_the_tick_is_the_schedule_in_of_a_halted_vcpu_moved_while_idle() -> None:
    s = _run("m02")
    ev = _events(s)
    assert [e[4] for e in ev if e[0] == "xen.migrate"] == [5_000_000, 8_000_000]
    hirq = _host_irq(s, 101)
    assert (hirq["cpu"], hirq["move"]) == (6, -1)  # applied by the 9 ms signal's ack


def test_moved_back_before_it_wakes_runs_no_hvm_migrate_pirqs() -> None:
    s = _run("m03")
    ev = _events(s)
    assert [e[4] for e in ev if e[0] == "xen.migrate"] == [5_000_000, 5_500_000]
    # no live rewrite of m0's message after the migrations (main: the 6 ms ack rewrote it, xen.msi)
    assert [e[4] for e in ev if e[0] == "xen.msi" and e[4] >= 5_000_000] == []
    assert _host_irq(s, 101)["move"] == -1 and "migrate_later" not in s.world["xen"]


def test_a_snapshot_with_the_migration_pending_goes_on_as_the_run_did(tmp_path: Path) -> None:
    whole = _run("m01")
    part = Session.from_scenario(str(next(DIR.glob("m01-*.yaml"))))
    mig = next(i for i, e in enumerate(_events(whole)) if e[0] == "xen.migrate")
    part.run(mig + 2)
    assert part.world["xen"]["migrate_later"] == {1: [1, 3]}     # (pCPU it last ran on, the vcpu_migrate action)
    path = tmp_path / "m01.msgpack"
    part.save(str(path))
    again = Session.open(str(path))
    while again.cursor < again.total or again.continue_().reason == "breakpoint":
        again.continue_()
    assert _events(again) == _events(whole)
    assert state_hash(again.world) == state_hash(whole.world)


def test_a_malformed_pending_migration_is_one_note() -> None:
    from msidbg.model import new_engine
    from tests.mech_helpers import evs, finish
    eng = new_engine(load_scenario(str(next(DIR.glob("m01-*.yaml")))))
    eng.w.xen["migrate_later"] = {1: "x"}
    eng.schedule(1000, "xen", "resume", 1)
    finish(eng)
    hows = [e.fields["how"] for e in evs(eng, "xen.migrate")]
    assert hows[0] == "schedule-in: a malformed pending migration (xen.migrate_later), dropped"
