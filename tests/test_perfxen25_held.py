"""Round 17 (docs/perf.md): ``on_cpu``'s end holds its CPU's next item off the agenda and the heap when
it is due before every item on the heap (``Engine.held_item``): ``Engine._ordered`` runs it next without
the agenda's insert and pop and the heap's push and pop; otherwise its key is held for ``heappushpop``
as before. Invisible: outside the loop every item is on the agenda and the heap, whatever ends the loop,
and the runs are those of the agenda round trip."""

from __future__ import annotations

import random
from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.sim.scheduler import NOT_HOLDING, SEQ_BITS, Engine
from tests.conftest import scenario, shipped
from tests.test_engine_held import STORM


def _consistent(eng: Engine) -> None:
    assert eng.held == NOT_HOLDING and eng.held_item is None
    assert sorted(eng.heap) == sorted(item[0] << SEQ_BITS | seq for seq, item in eng.agenda.items())
    assert eng.agenda is eng.w["agenda"]


def _whole(scn: Any) -> Engine:
    eng = new_engine(scn)
    while eng.advance(1 << 20):
        pass
    return eng


@pytest.mark.parametrize("name", ["storm", "xen-hvm-msix-mask-late"])
def test_any_batch_leaves_the_held_item_on_the_agenda(name: str) -> None:
    scn = scenario(STORM) if name == "storm" else shipped(name)
    whole = _whole(scn)
    rng = random.Random(17)
    eng = new_engine(scn)
    held = later = 0
    plain = eng.handlers["cpu"]

    def spy(e: Any, item: list[Any]) -> Any:
        nonlocal held, later
        r = plain(e, item)
        key = item[0] << SEQ_BITS | item[1]
        if e.held_item is not None:     # due first: off the agenda and the heap until the loop runs it
            held += 1
            assert e.held_item is item and item[1] not in e.agenda and key not in e.heap and e.held == -1
            assert not e.heap or key < e.heap[0]
        elif e.held == key:             # not due first: on the agenda, its key held for heappushpop
            later += 1
            assert e.agenda[item[1]] is item and e.heap and e.heap[0] < key
        return r

    eng.handlers["cpu"] = spy
    while eng.advance(rng.choice([1, 2, 3, 7, 40])):
        _consistent(eng)
    assert eng.log.rows_bytes(0, len(eng.log)) == whole.log.rows_bytes(0, len(whole.log)) and eng.w == whole.w
    assert held > 20 and later >= (20 if name == "storm" else 0)


def test_a_heap_rebuilt_while_an_item_is_held_off_the_agenda_keeps_it() -> None:
    """``sync_agenda`` with an item held off the agenda puts it back first (a rebuilt heap takes it)."""
    scn = scenario(STORM)
    whole = _whole(scn)
    eng = new_engine(scn)
    plain = eng.handlers["cpu"]
    rebuilt = 0

    def cpu_then_rebuild(e: Any, item: list[Any]) -> Any:
        nonlocal rebuilt
        r = plain(e, item)
        if e.held_item is not None:
            rebuilt += 1
            e.sync_agenda()
            assert e.held == -1 and e.held_item is None and e.agenda[item[1]] is item
            assert item[0] << SEQ_BITS | item[1] in e.heap
        return r

    eng.handlers["cpu"] = cpu_then_rebuild
    while eng.advance(1 << 20):
        _consistent(eng)
    assert rebuilt > 100
    assert eng.log.rows_bytes(0, len(eng.log)) == whole.log.rows_bytes(0, len(whole.log)) and eng.w == whole.w


def test_a_step_raising_after_another_held_its_item_leaves_it_on_the_agenda() -> None:
    """The loop's exit on an exception (the next item's step raised, the held item ran first or not)."""
    eng = new_engine(scenario(STORM))
    eng.advance(300)
    plain = eng.handlers["cpu"]
    n = 0

    def raise_next(e: Any, item: list[Any]) -> Any:
        nonlocal n
        n += 1
        if n == 5:
            raise RuntimeError("boom")
        return plain(e, item)

    eng.handlers["cpu"] = raise_next
    with pytest.raises(RuntimeError):
        eng.advance(1000)
    assert sorted(eng.heap) == sorted(item[0] << SEQ_BITS | seq for seq, item in eng.agenda.items())
    assert eng.held == NOT_HOLDING and eng.held_item is None
