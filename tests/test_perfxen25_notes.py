"""Round 17 (docs/perf.md): ``Prov.message_write`` / ``cause_write`` (Xen's route and send, every
interrupt) take their lazy note's id from a per-key cache instead of building, hashing and comparing
the ``(template, args)`` pair each time. The note rows and note values must be exactly those the
uncached interning (``NoteStore.add`` of the pair) gives, in the same order, for any sequence of writes
-- keys rewritten with other args, other templates, steps re-executed (not fresh) or with provenance off
in between."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

from msidbg.model.prov import Prov
from msidbg.model.provstore import NoteStore

T1 = "{} vector {}'s message reaches Xen on host vector {:#x} (host irq {})"
T2 = "send_guest_pirq: {} vector {} sets event channel {} pending"
T3 = "another template {} {} {} {}"
DEVS = ("nic0", "nic1", "nvme0")


class _Eng(SimpleNamespace):
    def hit(self, name: str, detail: str) -> None:     # (Prov hooks the engine's hits)
        raise AssertionError("no hits here")


def _run(seed: int) -> tuple[Prov, NoteStore]:
    rnd = random.Random(seed)
    eng = _Eng(fresh=True, cur=0)
    P = Prov(eng)
    ref = NoteStore()      # what NoteStore.add of each write's pair gives
    for step in range(1, 600):
        eng.cur = step
        eng.fresh = rnd.random() < 0.85
        P.on = rnd.random() < 0.95
        dev = rnd.choice(DEVS)
        idx = rnd.randrange(3)
        d = DEVS.index(dev)
        before = len(P.rec)
        if rnd.random() < 0.5:
            key = 1 << 40 | d << 16 | idx       # a and b are the key's own
            t = T1 if rnd.random() < 0.9 else T3
            vector, irq = rnd.choice((0x30, 0x31)), rnd.choice((24, 25, 300))
            P.message_write(7, key, irq, t, dev, idx, vector, irq)
            note: Any = (t, (dev, idx, vector, irq))
        else:
            port = rnd.randrange(1, 5)
            key = 2 << 40 | port                # c is the key's own
            if rnd.random() < 0.5:
                P.cause_write(7, key, 1, T2, dev, idx, port, 3, 5 << 40 | port)
            else:
                P.cause_write(7, key, 1, T2, dev, idx, port, 3, 5 << 40 | port, 4, 6 << 40 | port)
            note = (T2, (dev, idx, port))
        if eng.fresh and P.on:
            assert len(P.rec) > before
            ref.add(P.last_node, note)
        else:
            assert len(P.rec) == before
    return P, ref


@pytest.mark.parametrize("seed", range(8))
def test_cached_note_ids_are_the_interned_ones(seed: int) -> None:
    P, ref = _run(seed)
    assert P.notes.rows.tolist() == ref.rows.tolist()
    assert P.notes.vals == ref.vals
    assert P.notes.ids == ref.ids
    assert len(P.notes.vals) >= 12      # the keys were written with several notes each
    r = P.notes.rows[-2]
    assert P.notes.get_note(r) == ref.get_note(r)


def test_a_storm_notes_each_route_and_send_once() -> None:
    """Over many writes of a few keys the store holds each distinct note once (the cache interns through
    ``NoteStore``'s map, not around it)."""
    P, _ = _run(99)
    assert len(P.notes.vals) == len(set(P.notes.vals))
    assert len(P.notes.vals) < 3 * 3 * 2 * 3 * 2 + 3 * 3 * 4 + 40


def test_a_key_rewritten_alike_takes_its_note_id_from_the_cache() -> None:
    """The lever itself: a key written again with the same note interns nothing (no ``_nid``); a key
    written with another note is re-cached, and the write after it with that note hits again."""
    eng = _Eng(fresh=True, cur=1)
    P = Prov(eng)
    calls: list[int] = []
    plain = P._nid

    def spy(key: int, note: Any, check: tuple[Any, ...]) -> int:
        calls.append(key)
        return plain(key, note, check)

    P._nid = spy  # type: ignore[method-assign]
    key = 1 << 40 | 2 << 16 | 5
    for step, irq, want in ((1, 24, 1), (2, 24, 1), (3, 25, 2), (4, 25, 2), (5, 24, 3), (6, 24, 3)):
        eng.cur = step
        P.message_write(7, key, irq, T1, "nic1", 5, 0x30, irq)
        assert len(calls) == want
    eng.cur = 7
    P.cause_write(7, 2 << 40 | 3, 1, T2, "nic1", 5, 3, 3, 9)
    eng.cur = 8
    P.cause_write(7, 2 << 40 | 3, 1, T2, "nic1", 5, 3, 3, 9)
    assert len(calls) == 4
    assert [P.notes.get_note(r) for r in P.notes] == [
        T1.format("nic1", 5, 0x30, 24)] * 2 + [T1.format("nic1", 5, 0x30, 25)] * 2 + [
        T1.format("nic1", 5, 0x30, 24)] * 2 + [T2.format("nic1", 5, 3)] * 2
