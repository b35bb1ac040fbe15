"""Bounded history (issue 11 item 14, issue 14): a headless session keeps no history it will
never use, every session's recorded history has a memory bound it enforces with a message, and
the backward searches (which scan a few segments one by one, then the rest in one straight run)
answer exactly what a plain forward replay finds."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.model import new_engine
from msidbg.sim import events as ev
from msidbg.sim.world import state_hash
from tests.conftest import run_to_end, scenario

#: 2 NICs x 2 vectors on 2 CPUs, each vector every 20 us for 12 ms (~9,600 events; more than
#: two windows of a headless event log), with affinity moves that rewrite entry 0 of nic0 twice
STORM = """
name: storm
cpus: 2
schedule: %s
devices:
  nic0: {bdf: "00:03.0", msix: {table_size: 2}}
  nic1: {bdf: "00:04.0", msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 2}
  - {at: 0, on: 1, do: probe, dev: nic1, mode: msix, vectors: 2}
  - {at: 1ms, do: fire, dev: nic0, vector: 0, count: 600, every: 20us}
  - {at: 1ms, do: fire, dev: nic0, vector: 1, count: 600, every: 20us}
  - {at: 1ms, do: fire, dev: nic1, vector: 0, count: 600, every: 20us}
  - {at: 1ms, do: fire, dev: nic1, vector: 1, count: 600, every: 20us}
  - {at: 4ms, on: 0, do: set_affinity, dev: nic0, vector: 0, cpu: 1}
  - {at: 9ms, on: 1, do: set_affinity, dev: nic0, vector: 0, cpu: 0}
"""


def storm(policy: str = "ordered") -> str:
    return STORM % policy


@pytest.mark.parametrize("policy", ["ordered", "random"])
def test_a_session_without_history_keeps_only_the_latest_events_and_one_checkpoint(policy: str) -> None:
    scn = scenario(storm(policy))
    full = Session(scn, seed=3, spacing=500)
    bare = Session(scn, seed=3, history=False)
    assert full.run().reason == "end" and bare.run().reason == "end"
    total = full.cursor
    assert total > 2 * ev.WINDOW
    # the same run, event for event
    assert bare.cursor == total and len(bare.eng.log) == total
    assert state_hash(bare.world) == state_hash(full.world)
    assert bare.summary() == full.summary()
    assert [(h.event, h.name) for h in bare.eng.hits] == [(h.event, h.name) for h in full.eng.hits]
    assert bare.eng.log.raw(total) == full.eng.log.raw(total)
    # what it kept: the latest events only, the world at event 0, no choices
    assert len(bare.eng.log.ids) <= 2 * ev.WINDOW and bare.eng.log.base == total - len(bare.eng.log.ids)
    assert sorted(bare.timeline.coarse) == [0]
    assert len(bare.eng.choices) == 0
    assert len(full.eng.log.ids) == total and len(full.timeline.coarse) > 1
    if policy == "random":
        assert len(full.eng.choices) > 0
    with pytest.raises(IndexError):
        bare.eng.log.raw(1)


def test_a_session_without_history_refuses_to_save(tmp_path: Path) -> None:
    s = Session(scenario(storm()), history=False)
    s.run(100)
    with pytest.raises(MsidbgError, match="keeps no history"):
        s.save(str(tmp_path / "x.msgpack"))
    assert not (tmp_path / "x.msgpack").exists()


def test_the_memory_bound_stops_a_forward_run_with_a_message() -> None:
    scn = scenario(storm())
    total = run_to_end(scn).w["events"]
    s = Session(scn, memory=48 << 10)
    stop = s.run()
    assert stop.reason == "limit" and stop.event < total
    assert s.history_full is not None and stop.detail == s.history_full
    assert "memory bound of 48 KB" in stop.detail and f"at event {stop.event:,}" in stop.detail
    # it stopped at the first chunk boundary past the bound: history is bounded, not unbounded
    assert s.motion.history_bytes() > 48 << 10
    assert len(s.eng.log) == stop.event
    # the provenance store is part of what the bound counts
    assert s.eng.prov.memory_bytes() > 0 and "provenance records" in stop.detail
    assert s.motion.history_bytes() > s.eng.log.memory_bytes() + s.eng.prov.memory_bytes() - 1
    # going on stops again at once; time travel inside the recorded history still works
    again = s.run()
    assert (again.reason, again.event) == ("limit", stop.event)
    assert s.seek(stop.event // 2).event == stop.event // 2
    ref = new_engine(scn)
    ref.advance(stop.event // 2)
    assert state_hash(s.world) == state_hash(ref.w)
    # a forward move that stays inside what is recorded is not refused
    back = s.seek(stop.event)
    assert (back.reason, back.event, back.detail) == ("limit", stop.event, None)


def test_a_headless_session_under_a_small_bound_runs_to_the_end() -> None:
    """Without history only the event log's window counts: the bound is never reached."""
    s = Session(scenario(storm()), history=False, memory=256 << 10)
    assert s.run().reason == "end" and s.history_full is None


def _forward_last_changes(scn_text: str, path: str, seed: int) -> list[int | None]:
    """For every event c: the last event <= c that changed ``path``, by one plain forward replay."""
    s = Session(scenario(scn_text), seed=seed)
    fn = s._compile(path).fn
    eng = new_engine(scenario(scn_text), seed)
    answers: list[int | None] = [None]
    last: int | None = None
    value = copy.deepcopy(fn(eng))  # a register may be a list the model updates in place
    while eng.step():
        now = copy.deepcopy(fn(eng))
        if now != value:
            last = eng.w["events"]
            value = now
        answers.append(last)
    return answers


@pytest.mark.parametrize("path", ["devices.nic0.msix.table[0].data", "cpus[1].isr", "acct.nic1.delivered[0]"])
def test_last_change_equals_a_forward_replay_from_any_cursor(path: str) -> None:
    text = storm()
    want = _forward_last_changes(text, path, 1)
    total = len(want) - 1
    # small spacing: many segments, so the search goes one by one and then in one straight run
    s = Session(scenario(text), seed=1, spacing=97)
    s.run()
    assert s.cursor == total
    cursors = sorted({total, total - 1, 5, 1, 0, *range(37, total, total // 11)})
    for c in reversed(cursors):
        s.seek(c)
        assert s.last_change(path) == want[c], (path, c)
    # answers remembered from a later cursor stay right when queried again from earlier ones
    for c in cursors:
        fresh = Session(scenario(text), seed=1, spacing=97)
        fresh.seek(c)
        assert fresh.last_change(path) == want[c], (path, c)
        if c > 400:
            assert fresh.last_change(path, limit=400) == (want[c] if want[c] is not None and want[c] > c - 400
                                                          else None)
        break  # one fresh session is enough for the cold path; the loop above covers the rest


def test_reverse_continue_lands_where_a_forward_replay_saw_the_hit() -> None:
    text = storm()
    s = Session(scenario(text), spacing=97)
    for b in list(s.breakpoints):
        s.remove_breakpoint(b.id)
    s.add_breakpoint("call msi_set_affinity")
    eng = new_engine(scenario(text))
    eng.call_watch.add("msi_set_affinity")
    entered = []
    while eng.step():
        if "msi_set_affinity" in eng.step_calls:
            entered.append(eng.w["events"])
    assert len(entered) == 6  # 4 at probe (request_irq), one per set_affinity action
    s.run()
    landed = []
    while (stop := s.reverse_continue()).reason == "breakpoint":
        landed.append(stop.event)
    assert stop.event == 0
    assert landed == entered[::-1]


def test_grid_points_outlive_the_worlds_a_run_of_step_backs_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fine cache is bounded; each step back leaves a world in it. The grid points saved
    on the way to the seek target must not be the ones evicted, or every few step backs
    re-execute from a coarse checkpoint (thousands of events on a big world)."""
    from msidbg.debugger import timeline as tlmod

    monkeypatch.setattr(tlmod, "FINE_MAX_ENTRIES", 4)
    s = Session(scenario(storm()), spacing=2000)
    s.run()
    s.seek(5000)
    tl = s.timeline
    grid = sorted(e for e in tl.fine if e < 5000)
    assert len(grid) == tlmod.FINE_AHEAD and grid[-1] < 5000
    for n in range(1, 9):
        s.step_back()
        assert s.cursor == 5000 - n
        assert len(tl.fine) <= 4
        assert [e for e in grid if e in tl.fine] == grid, n
