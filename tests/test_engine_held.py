"""A CPU's requeued step skips the heap inside the ordered loop (``Engine.held``), invisibly.

``on_cpu`` hands its item's next heap key to ``Engine._ordered``, which pushes and pops it in
one ``heappushpop`` at the next step. Outside that loop every item of the agenda is on the heap:
after any batch size, a stop on a hit, or a step that raised.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from msidbg.model import cpu, new_engine
from msidbg.sim.scheduler import NOT_HOLDING, SEQ_BITS, Engine
from tests.conftest import scenario, shipped

STORM = """
name: held
cpus: 2
devices:
  a: {bdf: "00:01.0", msix: {table_size: 2}}
  b: {bdf: "00:02.0", msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: a, mode: msix, vectors: 2}
  - {at: 0, on: 1, do: probe, dev: b, mode: msix, vectors: 2}
  - {at: 50us, do: fire, dev: a, vector: 0, count: 40, every: 3us}
  - {at: 50us, do: fire, dev: b, vector: 1, count: 40, every: 2us}
  - {at: 51us, on: 1, do: set_affinity, dev: a, vector: 0, cpu: 1}
breakpoints: [irq-lost, irq-spurious, msix-write-unmasked]
"""


def _consistent(eng: Engine) -> None:
    assert eng.held == NOT_HOLDING
    assert sorted(eng.heap) == sorted(item[0] << SEQ_BITS | seq for seq, item in eng.agenda.items())
    assert eng.agenda is eng.w["agenda"]


def _rows(eng: Engine) -> bytes:
    return eng.log.rows_bytes(0, len(eng.log))


@pytest.mark.parametrize("name", ["storm", "msix-write-while-unmasked", "xen-hvm-msix-mask-late"])
def test_every_batch_size_leaves_every_item_on_the_heap_and_runs_as_one_batch(name: str) -> None:
    scn = scenario(STORM) if name == "storm" else shipped(name)
    whole = new_engine(scn)
    while whole.advance(1 << 20):
        pass
    rng = random.Random(5)
    eng = new_engine(scn)
    held_steps = 0
    while True:
        before = eng.w["events"]
        if not eng.advance(rng.choice([1, 2, 3, 7, 40])):
            break
        _consistent(eng)
        held_steps += eng.w["events"] - before
    assert _rows(eng) == _rows(whole) and eng.w == whole.w
    assert held_steps > 100


def test_a_stop_on_a_hit_leaves_every_item_on_the_heap() -> None:
    eng = new_engine(shipped("msix-write-while-unmasked"))
    stops = 0
    while eng.advance(1 << 20, stop_on_notes=True):
        _consistent(eng)
        stops += bool(eng.step_hits)
    assert stops >= 10


def test_a_step_that_raises_after_the_requeue_leaves_every_item_on_the_heap() -> None:
    eng = new_engine(scenario(STORM))
    eng.advance(300)
    plain = eng.handlers["cpu"]
    calls = 0

    def failing(e: Any, item: list[Any]) -> None:
        nonlocal calls
        plain(e, item)
        calls += 1
        if e.held >= 0:     # requeued: its key is held by the loop now
            raise RuntimeError("boom")

    eng.handlers["cpu"] = failing
    with pytest.raises(RuntimeError):
        eng.advance(1000)
    _consistent(eng)
    assert calls >= 1


def test_outside_the_ordered_loop_on_cpu_pushes_its_item() -> None:
    eng = new_engine(scenario(STORM))
    eng.advance(300)
    # (fidvec2) the first point from event 300 with a CPU item on the agenda (the 4.15+ CPU0 layout moved it)
    while not any(item[2] == "cpu" for item in eng.agenda.values()):
        assert eng.step()
    seq = next(s for s, item in eng.agenda.items() if item[2] == "cpu")
    item = eng.agenda.pop(seq)
    eng.heap.remove(item[0] << SEQ_BITS | seq)
    eng.w["now"] = max(eng.w["now"], item[0])
    eng.fresh = True
    cpu.on_cpu(eng, item)
    _consistent(eng)


def test_a_heap_rebuilt_inside_a_step_takes_the_held_key_with_it() -> None:
    """A step that wakes a CPU (its key held) and then rebuilds the heap (``unschedule`` does, on a
    park) must not push the key twice: the rebuilt heap has it already."""
    scn = scenario(STORM)
    plain_run = new_engine(scn)
    while plain_run.advance(1 << 20):
        pass
    eng = new_engine(scn)
    fire = eng.handlers["fire"]
    rebuilt = 0

    def fire_then_rebuild(e: Any, item: list[Any]) -> None:
        nonlocal rebuilt
        fire(e, item)
        if e.held >= 0:
            rebuilt += 1
            e.sync_agenda()
            assert e.held == -1

    eng.handlers["fire"] = fire_then_rebuild
    while eng.advance(1 << 20):
        _consistent(eng)
    assert rebuilt > 10
    assert _rows(eng) == _rows(plain_run) and eng.w == plain_run.w
