"""Big worlds go back without packing the world they leave: it is kept whole and reused.

Packing a 2,048-entry world (``benchmarks/big-table.yaml``) costs ~10 ms, and nothing short of
packing it tells which of its pieces the events since the last restore wrote: the model mutates
plain dicts and lists in place. So a backward move on a big world (``Keeper.back``) does not pack
the world the cursor leaves. It sets it aside whole, as an object (``Kept``): nothing runs on it
any more, so it stays exactly the world at its event.

* The next move starts from it as it is when it lies on the way -- at or before a backward
  target, or between the cursor and a forward ``goto`` target (``Keeper.ahead``) -- and no saved
  world is nearer the target. Stepping back and forth over one event (the TUI's step, step back,
  step) swaps two worlds and packs neither.
* Otherwise it is packed then (``Keeper.pack``: its split becomes a fine checkpoint and its
  fingerprint a ``seen`` check, as ``Motion.leave`` does for the worlds it packs at once) and
  patched into the nearest saved world: only its pieces whose bytes differ are unpacked.
* A move that comes back to its event by re-execution compares the re-executed world with it,
  value for value (``Keeper.same``).

What makes this exact: the kept world is the very object that was the engine's world at its
event, and no container of it is reachable from the engine's world after the swap (installing a
world rebinds the model and rebuilds the engine's derived agenda heap); ``tests/test_kept_worlds.py``
checks both worlds against a straight run, byte for byte, along random walks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msidbg.sim import chunks


@dataclass(slots=True)
class Kept:
    """A world the cursor left, no longer the engine's: nothing runs on it, so it stays exactly
    the world at ``ev``. ``split`` is its split once packed (None until then)."""

    ev: int
    world: dict[str, Any]
    split: Any = None


class Keeper:
    """The world kept by the last move on ``eng``'s big world; ``remember(ev, split)`` is told
    about each kept world that gets packed."""

    def __init__(self, eng: Any, timeline: Any, remember: Callable[[int, Any], None]) -> None:
        self.eng = eng
        self.timeline = timeline
        self.remember = remember
        self.kept: Kept | None = None
        #: how moves started: from the kept world as it is ("kept"), by patching it into a saved
        #: world ("patched"), or by unpacking a saved world whole ("unpacked")
        self.starts = {"kept": 0, "patched": 0, "unpacked": 0}

    def pack(self, k: Kept) -> None:
        """Pack a kept world (once), so that it can be patched into a saved world."""
        if k.split is None:
            k.split = chunks.split(k.world)
            self.remember(k.ev, k.split)

    def back(self, target: int) -> int:
        """Bring the engine's world back to ``target`` or before, keeping the world it leaves;
        returns the event of the world installed (re-execution takes it on to ``target``)."""
        eng, tl = self.eng, self.timeline
        left = Kept(int(eng.w["events"]), eng.w)
        k = self.kept
        ev, saved = tl.nearest(target)
        if k is not None and ev <= k.ev <= target:
            tl.install(k.world)
            ev = k.ev
            self.starts["kept"] += 1
        elif k is not None and isinstance(saved, tuple):
            self.pack(k)
            tl.install(chunks.patch(k.world, k.split, saved))
            self.starts["patched"] += 1
        else:
            if k is not None:
                self.pack(k)            # not used: its event is still checked when the cursor returns
            tl.restore(ev, saved)       # unpacked whole
            self.starts["unpacked"] += 1
        self.kept = left
        return ev

    def ahead(self, target: int) -> bool:
        """For a forward goto: start from the kept world when it lies between the cursor and
        ``target`` and no saved world is nearer the target (going back far, then to where the
        cursor was, re-executes nothing); the world the cursor was at is kept instead."""
        eng, k = self.eng, self.kept
        cur = eng.w["events"]
        if k is None or not cur < k.ev <= target or self.timeline.nearest(target)[0] > k.ev:
            return False
        self.kept = Kept(int(cur), eng.w)
        self.timeline.install(k.world)
        self.starts["kept"] += 1
        return True

    def same(self, w: dict[str, Any]) -> bool | None:
        """Whether ``w`` (the engine's world, reached by re-execution) equals the world kept at its
        event, or None when none is kept there. Compared value for value at C speed instead of
        packing ``w``: every difference of a value is caught; one that only turns a bool into the
        equal int, or only reorders a dict's keys, is not (the coarse checkpoints' fingerprints,
        compared byte for byte, still catch it where re-execution passes one)."""
        k = self.kept
        if k is None or k.ev != w["events"] or k.world is w:
            return None
        return bool(k.world == w)
