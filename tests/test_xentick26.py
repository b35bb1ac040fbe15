"""xentick26: a halted HVM vCPU's wake-ups are schedule-ins (``vcpu_kick`` -> ``vcpu_unblock`` -> ``vcpu_wake`` ->
``hvm_do_resume``): an interrupt injected to it and, with ``kernel.guest_tick: hzN`` (HZ_PERIODIC / nohz=off), its
periodic tick apply, from f7039ee41b, an unmask a failed ``msix_write_completion`` left armed (reading
``xen.sched.wake-schedules-in``). A halted vCPU's ``vcpu_migrate`` is no schedule-in (``sched_unit_migrate_finish``'s
``vcpu_wake`` leaves a blocked vCPU blocked; reading ``xen.sched.migrate-blocked``). tests/xentick26/*.yaml were
predicted from source before they ran (PREDICTIONS.md); t01 / t07 / t08 lose 3 on main, t04 / t06 apply the unmask
at the migration there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "xentick26"
FILES = sorted(DIR.glob("*.yaml"))
UNMASK = ("msix.write", 1, "n0", {"entry": 0, "reg": "ctrl", "value": 0})


def _run(prefix: str) -> Session:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_past_breakpoints(path)


def _events(s: Session) -> list[tuple[str, int, str | None, dict[str, Any], int]]:
    return [(e.kind, e.cpu, e.dev, dict(e.fields), e.time_ns) for e in s.events(0, s.total)]


def test_there_are_eleven_files() -> None:
    assert len(FILES) == 11


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_source_prediction(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_the_default_tick_is_nohz_idle_and_only_hvm_worlds_carry_it() -> None:
    assert resolve("xen-hvm", kernel="4.19", xen="4.19.2").plain("xen-hvm")["guest_tick"] == "nohz_idle"
    assert "guest_tick" not in resolve("bare-metal", kernel="4.19").plain("bare-metal")


def test_the_tick_wakes_the_halted_vcpu_at_the_next_period() -> None:
    ev = _events(_run("t01"))
    unmask = [e for e in ev if e[:4] == UNMASK]
    assert [e[4] for e in unmask] == [8_000_000]     # the 250 Hz tick after the 5 ms failure: 8 ms
    assert [e[3]["signals"] for e in ev if e[0] == "irq.handler" and e[2] == "n0"] == [3]


def test_a_halted_vcpus_migration_waits_for_its_tick() -> None:
    ev = _events(_run("t04"))
    mig = next(i for i, e in enumerate(ev) if e[0] == "xen.migrate")
    assert ev[mig][4] == 7_000_000
    assert [e[4] for e in ev if e[:4] == UNMASK] == [8_000_000]


def test_an_injection_to_the_halted_vcpu_schedules_it_in_before_it_takes_the_interrupt() -> None:
    ev = _events(_run("t08"))
    inject = next(i for i, e in enumerate(ev) if e[0] == "xen.pirq" and e[2] == "n1")
    assert ev[inject + 1][:4] == UNMASK
    accept = next(i for i, e in enumerate(ev) if e[0] == "apic.accept" and i > inject)
    assert inject + 1 < accept and ev[accept][3]["vector"] == 0x22    # n1's vector, after the schedule-in


def test_a_tick_item_with_nothing_armed_or_a_bad_vcpu_is_one_note() -> None:
    # a snapshot's agenda is untrusted: a "tick" item for no vCPU, a bad one, or one with nothing armed is one
    # xen.msixtbl note each (no traceback)
    from msidbg.model import new_engine
    from tests.mech_helpers import evs, finish
    eng = new_engine(load_scenario(str(next(DIR.glob("t03-*.yaml")))))
    eng.schedule(1000, "xen", "tick")
    eng.schedule(1000, "xen", "tick", "x")
    eng.schedule(1000, "xen", "tick", 9)
    eng.schedule(1000, "xen", "tick", 1)
    finish(eng)
    notes = [e.fields["how"] for e in evs(eng, "xen.msixtbl")]
    assert notes[:4] == ["guest tick: no msix_unmask_address armed"] * 4


def test_a_tick_goes_with_the_unmask_another_schedule_in_applied() -> None:
    # t09: the action starting on the halted vCPU at 5.999 ms applies the unmask (xenunmask25's schedule-in); the
    # 1000 Hz tick it was waiting for (6 ms) leaves the agenda with it: no tick event, no note
    ev = _events(_run("t09"))
    assert [e[4] for e in ev if e[:4] == UNMASK] == [5_999_000]
    assert not [e for e in ev if e[0] == "xen.msixtbl" and "tick" in e[3]["how"]]


def test_an_action_queued_behind_another_is_no_wake_up() -> None:
    # t10: the second write starts as the first ends (the vCPU never idles): no schedule-in before its
    # action.start (main applied the unmask there); its round trip's end applies it instead
    ev = _events(_run("t10"))
    starts = [i for i, e in enumerate(ev) if e[0] == "action.start" and e[3]["action"] == 5]
    unmask = [i for i, e in enumerate(ev) if e[:4] == UNMASK]
    qemu = next(i for i, e in enumerate(ev) if e[0] == "qemu.msix_write" and e[3]["entry"] == 1)
    assert len(starts) == 1 and len(unmask) == 1 and starts[0] < qemu < unmask[0]
    assert ev[unmask[0]][4] == 5_028_100


def test_a_tick_that_finds_the_vcpu_running_is_no_schedule_in_and_the_next_one_follows() -> None:
    # t12: n1's storm keeps vCPU 1 in hardirq from inside the unmask's round trip to 9.5 ms (each handler ends with
    # the vector pending: no hlt, no wake-up): the 8 ms tick notes it running, the 12 ms tick applies the unmask
    ev = _events(_run("t12"))
    ticks = [(e[1], e[4], e[3]["how"]) for e in ev if e[0] == "xen.msixtbl"]
    assert ticks == [(1, 8_000_000, "guest tick: the vCPU is running (the tick is taken in guest mode): no schedule-in")]
    assert [e[4] for e in ev if e[:4] == UNMASK] == [12_000_000]
    # t11: the storm from 4.5 ms starves the 5 ms task instead: armed only at its late round trip, then the 12 ms tick
    ev11 = _events(_run("t11"))
    assert not [e for e in ev11 if e[0] == "xen.msixtbl"]
    assert [e[4] for e in ev11 if e[:4] == UNMASK] == [12_000_000]


def test_a_snapshot_with_a_tick_on_the_agenda_goes_on_as_the_run_did(tmp_path: Path) -> None:
    # t12 saved at event 20000 (7 ms: its 8 ms tick is on the agenda), opened and run on: the same events and world
    whole = _run("t12")
    part = Session.from_scenario(str(next(DIR.glob("t12-*.yaml"))))
    part.run(20000)
    assert any(it[2] == "xen" and it[3] == "tick" for it in part.eng.agenda.values())
    path = tmp_path / "t12.msgpack"
    part.save(str(path))
    again = Session.open(str(path))
    again.continue_()
    while again.cursor < again.total:
        again.continue_()
    assert again.total == whole.total
    assert _events(again) == _events(whole)
    assert state_hash(again.world) == state_hash(whole.world)
