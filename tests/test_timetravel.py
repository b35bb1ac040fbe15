"""Time travel agrees with a straight run: a Hypothesis state machine over the Session API.

Every state reached by any interleaving of step, step_back, seek, continue, reverse-continue,
breakpoint changes, save and open must be the world a fresh straight run has at that event
(same state_hash), and every stop must be the one an oracle computed from the straight run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from msidbg.debugger import Session
from msidbg.model import new_engine
from msidbg.scenario import Scenario
from msidbg.sim.program import PROGRAMS
from msidbg.sim.world import copy_world, state_hash
from tests.conftest import scenario, shipped

RANDOM_SCENARIO = """
name: tt-small
seed: 7
schedule: random
cpus: 2
kernel: {msi_affinity_update: plain}
devices:
  eth0: {bdf: "00:03.0", msix: {table_size: 2}, quirks: [latch-on-unmask]}
  nvme0: {bdf: "00:04.0", msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 0, on: 1, do: probe, dev: nvme0, mode: msi, vectors: 1}
  - {at: 20us, do: fire, dev: eth0, vector: 0, count: 20, every: 3us}
  - {at: 21us, do: fire, dev: nvme0, vector: 0, count: 30, every: 1us}
  - {at: 22us, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 23us, do: set_affinity, dev: nvme0, vector: 0, cpu: 1}
  - {at: 35us, do: set_affinity, dev: nvme0, vector: 0, cpu: 0}
  - {at: 30us, do: fire, dev: eth0, vector: 1, count: 10, every: 2us}
"""


@dataclass
class Straight:
    """A fresh straight run: the world, event and entered programs at every event."""

    hashes: list[str]
    worlds: list[dict[str, Any]]
    kinds: list[str | None]
    cpus: list[int | None]
    hits: dict[int, set[str]] = field(default_factory=dict)
    calls: dict[int, set[str]] = field(default_factory=dict)

    @property
    def last(self) -> int:
        return len(self.hashes) - 1


def straight(scn: Scenario) -> Straight:
    eng = new_engine(scn)
    eng.call_watch = set(PROGRAMS)
    ref = Straight([state_hash(eng.w)], [copy_world(eng.w)], [None], [None])
    while eng.step():
        ref.hashes.append(state_hash(eng.w))
        ref.worlds.append(copy_world(eng.w))
        ev = eng.log.event(eng.cur)
        ref.kinds.append(ev.kind)
        ref.cpus.append(ev.cpu)
        ref.calls[eng.cur] = set(eng.step_calls)
    for h in eng.hits:
        ref.hits.setdefault(h.event, set()).add(h.name)
    return ref


# Breakpoints with an independent oracle: does it fire at event e of the straight run?
def _changed(get: Any) -> Any:
    return lambda r, e: e >= 1 and get(r.worlds[e]) != get(r.worlds[e - 1])


ORACLES: dict[str, Any] = {
    "irq-lost": lambda r, e: "irq-lost" in r.hits.get(e, ()),
    "msix-write-unmasked": lambda r, e: "msix-write-unmasked" in r.hits.get(e, ()),
    "watch cpu[1].irr": _changed(lambda w: w["cpus"][1]["irr"]),
    "watch cpu[0].isr[0x21]": _changed(lambda w: (w["cpus"][0]["isr"][1] >> 1) & 1),
    'if event.kind == "apic.eoi" and event.cpu == 1': lambda r, e: r.kinds[e] == "apic.eoi" and r.cpus[e] == 1,
    "call msi_set_affinity": lambda r, e: "msi_set_affinity" in r.calls.get(e, ()),
}


class TimeTravel(RuleBasedStateMachine):
    """Subclasses set ``scn`` and ``ref``."""

    scn: Scenario
    ref: Straight
    tmp: Path

    @initialize(spacing=st.sampled_from([3, 8, 32, None]), budget=st.sampled_from([4_000, 10**9]))
    def start(self, spacing: int | None, budget: int) -> None:
        self.s = Session(self.scn, spacing=spacing, budget=budget)
        for b in list(self.s.breakpoints):
            self.s.remove_breakpoint(b.id)
        self.armed: dict[int, str] = {}
        self.saves = 0

    def fires(self, e: int) -> bool:
        return any(ORACLES[spec](self.ref, e) for spec in self.armed.values())

    @invariant()
    def matches_straight_run(self) -> None:
        s = self.s
        assert 0 <= s.cursor <= self.ref.last
        assert state_hash(s.world) == self.ref.hashes[s.cursor], f"world differs at event {s.cursor}"
        assert s.total >= s.cursor

    @rule(n=st.integers(1, 25))
    def step(self, n: int) -> None:
        before = self.s.cursor
        stop = self.s.step(n)
        hit = next((e for e in range(before + 1, min(before + n, self.ref.last) + 1) if self.fires(e)), None)
        want = hit if hit is not None else min(before + n, self.ref.last)
        assert stop.event == self.s.cursor == want
        assert stop.reason == ("breakpoint" if hit is not None else "end" if want == self.ref.last else "limit")

    @rule(n=st.integers(1, 40))
    def step_back(self, n: int) -> None:
        before = self.s.cursor
        stop = self.s.step_back(n)
        assert stop.event == self.s.cursor == max(before - n, 0)

    @rule(data=st.data())
    def seek(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, self.ref.last + 3), label="seek to")
        stop = self.s.seek(i)
        assert stop.event == self.s.cursor == min(i, self.ref.last)

    @rule(limit=st.one_of(st.none(), st.integers(1, 300)))
    def continue_(self, limit: int | None) -> None:
        before = self.s.cursor
        stop = self.s.continue_(limit)
        end = self.ref.last if limit is None else min(before + limit, self.ref.last)
        hit = next((e for e in range(before + 1, end + 1) if self.fires(e)), None)
        assert self.s.cursor == (hit if hit is not None else end)
        assert stop.reason == ("breakpoint" if hit is not None else "end" if end == self.ref.last else "limit")
        if hit is not None:
            assert stop.breakpoint in self.armed.values() or stop.breakpoint in {
                s.split(" if ")[0] for s in self.armed.values()}

    @rule()
    def reverse_continue(self) -> None:
        before = self.s.cursor
        stop = self.s.reverse_continue()
        want = next((e for e in range(before - 1, 0, -1) if self.fires(e)), 0)
        assert self.s.cursor == stop.event == want
        assert stop.reason == ("breakpoint" if want else "start")

    @rule(spec=st.sampled_from(sorted(ORACLES)))
    def add_breakpoint(self, spec: str) -> None:
        if spec in self.armed.values():
            return
        self.armed[self.s.add_breakpoint(spec)] = spec

    @precondition(lambda self: self.armed)
    @rule(data=st.data())
    def remove_breakpoint(self, data: st.DataObject) -> None:
        bp_id = data.draw(st.sampled_from(sorted(self.armed)))
        self.s.remove_breakpoint(bp_id)
        del self.armed[bp_id]

    @rule(verify=st.booleans())
    def save_and_open(self, verify: bool) -> None:
        self.saves += 1
        path = str(self.tmp / f"s{self.saves}.msgpack")
        cursor = self.s.cursor
        self.s.bookmark(f"b{self.saves}", "a note")
        self.s.save(path)
        self.s = Session.open(path, verify=verify)
        assert self.s.cursor == cursor
        self.armed = {b.id: b.spec for b in self.s.breakpoints}
        assert f"b{self.saves}" in {b.name for b in self.s.bookmarks}


SETTINGS = settings(max_examples=40, stateful_step_count=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def ordered_case() -> tuple[Scenario, Straight]:
    scn = shipped("msix-write-while-unmasked")
    return scn, straight(scn)


@pytest.fixture(scope="module")
def random_case() -> tuple[Scenario, Straight]:
    scn = scenario(RANDOM_SCENARIO)
    return scn, straight(scn)


def _run(case: tuple[Scenario, Straight], tmp_path: Path) -> None:
    class Machine(TimeTravel):
        pass

    Machine.scn, Machine.ref = case
    Machine.tmp = tmp_path
    Machine.TestCase.settings = SETTINGS
    Machine.TestCase().runTest()


def test_time_travel_on_the_2021_bug(ordered_case: tuple[Scenario, Straight], tmp_path: Path) -> None:
    _run(ordered_case, tmp_path)


def test_time_travel_on_a_random_schedule(random_case: tuple[Scenario, Straight], tmp_path: Path) -> None:
    assert random_case[1].last > 150
    _run(random_case, tmp_path)


def test_time_travel_with_split_fine_checkpoints(random_case: tuple[Scenario, Straight], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The same machine with every fine checkpoint split (as for big worlds), so restores patch."""
    from msidbg.debugger import timeline

    monkeypatch.setattr(timeline, "SPLIT_MIN_BYTES", 0)
    _run(random_case, tmp_path)
