"""The timeline's index: per lane, where its events are, so a redraw never scans the log.

Lanes: one per device vector that signalled (what happened to its signals: sent, held in the
PBA or a pending bit, delivered to its handler, lost, spurious), then one per CPU (interrupt
handling, other kernel activity, spurious vectors). ``LaneIndex`` is fed the event log a
chunk at a time (and the model's hits, for losses found later, e.g. at the end of a run);
for every lane and category it keeps the sorted event indexes -- the precomputed summary.
A column of the timeline is a range of virtual time; its event-index range is one binary
search in the times, and a lane's count there two binary searches per category. A redraw
costs columns x lanes x log(events), whatever the run's length. No Textual here.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from msidbg.sim.events import Event
from msidbg.sim.scheduler import Hit

#: categories of a device-vector lane and of a CPU lane, most important first (a cell shows
#: the first one present)
DEVICE_CATEGORIES = ("lost", "spurious", "held", "delivered", "sent")
CPU_CATEGORIES = ("spurious", "irq", "kernel")
GLYPHS = {"lost": "✕", "spurious": "!", "held": "▒", "delivered": "█", "sent": "╵", "irq": "█", "kernel": "▄"}
_DEVICE_KIND = {"msi.msg": "sent", "msi.held": "held", "msi.dropped": "lost", "irq.handler": "delivered"}
_IRQ_KINDS = frozenset({"apic.accept", "irq.handler", "apic.eoi"})
_SIGNAL_KINDS = frozenset({"msi.msg", "msi.held", "msi.dropped"})
#: hits that name a device vector ("eth0 vector 2: ..."), as the accounting words them
_HIT_LANE = re.compile(r"(\S+) vector (\d+):")
_HIT_CATEGORY = {"irq-lost": "lost", "irq-spurious": "spurious"}


@dataclass(frozen=True, order=True, slots=True)
class Lane:
    """A device vector (``kind`` "dev": ``dev``, ``index``) or a CPU (``kind`` "cpu": ``index``)."""

    kind: str
    dev: str
    index: int

    @property
    def title(self) -> str:
        return f"CPU{self.index}" if self.kind == "cpu" else f"{self.dev} #{self.index}"

    @property
    def categories(self) -> tuple[str, ...]:
        return CPU_CATEGORIES if self.kind == "cpu" else DEVICE_CATEGORIES


class LaneIndex:
    """Event positions per lane and category, and every event's time, grown as the log grows."""

    def __init__(self) -> None:
        #: time_ns of event i at [i - 1]
        self.times = array("q")
        self._lanes: dict[Lane, dict[str, array[int]]] = {}
        self._hits_seen = 0
        self._sorted: tuple[int, list[Lane]] = (-1, [])
        #: bumped whenever something was added (cached rows compare it)
        self.version = 0

    @property
    def indexed(self) -> int:
        """Events indexed so far (1 .. indexed)."""
        return len(self.times)

    def add_events(self, events: Iterable[Event]) -> None:
        """Index the next events of the log (they must follow on from ``indexed``)."""
        for e in events:
            if e.index != len(self.times) + 1:
                raise ValueError(f"event {e.index} out of order (expected {len(self.times) + 1})")
            self.times.append(e.time_ns)
            cat = _DEVICE_KIND.get(e.kind)
            index = e.fields.get("index")
            if cat is not None and e.dev is not None and isinstance(index, int):
                self._add(Lane("dev", e.dev, index), cat, e.index)
            if e.cpu is not None and e.kind not in _SIGNAL_KINDS:
                cpu_cat = "spurious" if e.kind == "irq.unhandled" else "irq" if e.kind in _IRQ_KINDS else "kernel"
                self._add(Lane("cpu", "", e.cpu), cpu_cat, e.index)
        self.version += 1

    def add_hits(self, hits: list[Hit]) -> None:
        """Losses and spurious arrivals the model found (hits in event order; only new ones are read)."""
        for h in hits[self._hits_seen:]:
            cat = _HIT_CATEGORY.get(h.name)
            m = _HIT_LANE.match(h.detail) if cat is not None else None
            if cat is not None and m is not None and h.event >= 1:
                self._add(Lane("dev", m.group(1), int(m.group(2))), cat, h.event)
        if len(hits) > self._hits_seen:
            self._hits_seen = len(hits)
            self.version += 1

    def _add(self, lane: Lane, cat: str, event: int) -> None:
        cats = self._lanes.get(lane)
        if cats is None:
            cats = self._lanes[lane] = {}
        positions = cats.get(cat)
        if positions is None:
            positions = cats[cat] = array("q")
        if positions and positions[-1] > event:      # a hit at an earlier event than the last one
            bisect.insort(positions, event)
        else:
            positions.append(event)

    def lanes(self) -> list[Lane]:
        """Device vectors by name and index, then CPUs (cached until something is added)."""
        if self._sorted[0] != self.version:
            self._sorted = (self.version, sorted(self._lanes, key=lambda lane: (lane.kind != "dev", lane)))
        return self._sorted[1]

    def span(self) -> tuple[int, int]:
        """The virtual time of the first and last indexed events."""
        return (self.times[0], self.times[-1]) if self.times else (0, 0)

    def bounds(self, t0: int, t1: int, columns: int) -> list[int]:
        """Event-index boundaries of ``columns`` equal slices of [t0, t1): column k holds events
        ``bounds[k] <= i < bounds[k + 1]`` (1-based)."""
        width = max(t1 - t0, 1)
        return [bisect.bisect_left(self.times, t0 + width * k // columns) + 1 for k in range(columns + 1)]

    def cells(self, lane: Lane, bounds: list[int]) -> list[str]:
        """Per column, the most important category with an event there ("" for none)."""
        out = [""] * (len(bounds) - 1)
        cats = self._lanes.get(lane, {})
        for cat in reversed(lane.categories):     # least important first: later ones overwrite
            positions = cats.get(cat)
            if not positions:
                continue
            for k, n in enumerate(counts(positions, bounds)):
                if n:
                    out[k] = cat
        return out

    def first_in(self, lane: Lane, lo: int, hi: int) -> int | None:
        """The first event of the lane's most important category with one in [lo, hi)."""
        cats = self._lanes.get(lane, {})
        for cat in lane.categories:
            positions = cats.get(cat)
            if positions:
                i = bisect.bisect_left(positions, lo)
                if i < len(positions) and positions[i] < hi:
                    return positions[i]
        return None

    def column_of(self, event: int, bounds: list[int]) -> int | None:
        """The column holding ``event``, or None when it is outside the window."""
        if not bounds or not bounds[0] <= event < bounds[-1]:
            return None
        return bisect.bisect_right(bounds, event) - 1

    def nearest(self, t: int) -> int:
        """The event whose time is nearest ``t`` (the later one of a tie; 0 when none)."""
        if not self.times:
            return 0
        i = bisect.bisect_left(self.times, t)
        if i == len(self.times):
            return i
        if i > 0 and t - self.times[i - 1] < self.times[i] - t:
            return i
        return i + 1

    def time_of(self, event: int) -> int | None:
        return self.times[event - 1] if 1 <= event <= len(self.times) else None


def counts(positions: array[int], bounds: list[int]) -> list[int]:
    """How many of the sorted ``positions`` fall in each [bounds[k], bounds[k + 1])."""
    out = []
    lo = bisect.bisect_left(positions, bounds[0])
    for b in bounds[1:]:
        hi = bisect.bisect_left(positions, b, lo)
        out.append(hi - lo)
        lo = hi
    return out
