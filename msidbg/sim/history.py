"""What a run records besides its event log, kept compact: the model's hits and the random
policy's choices.

Both grow with the run (a storm that loses every signal notes a hit per signal; a ``random``
schedule records a choice at most events), so they are stored in typed arrays rather than
as Python objects: a hit costs 22 bytes plus its detail text once per distinct text (the same
loss repeats the same words), a choice 12 bytes. Both are appended in event order.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

#: what a distinct detail text costs beyond its characters (the str object and its table slots)
TEXT_OVERHEAD = 96


@dataclass(frozen=True, slots=True)
class Hit:
    """A semantic condition the model detected (a built-in breakpoint name) at an event."""

    event: int
    time_ns: int
    name: str
    detail: str
    #: its position in the run's hit list (``HitLog``), -1 when not read from one; not part of its value: two hits
    #: of the same event, name and detail are equal, yet ``why`` explains each (whyheld12)
    seq: int = field(default=-1, compare=False, repr=False)


class HitLog(Sequence[Hit]):
    """The hits of a run, in event order; reads give ``Hit`` records."""

    def __init__(self) -> None:
        self.events = array("q")
        self.times = array("q")
        self.names = array("H")
        self.details = array("I")
        self._name_ids: dict[str, int] = {}
        self._name_list: list[str] = []
        self._text_ids: dict[str, int] = {}
        self._texts: list[str] = []
        self._text_bytes = 0

    def append(self, h: Hit) -> None:
        self.add(h.event, h.time_ns, h.name, h.detail)

    def add(self, event: int, time_ns: int, name: str, detail: str) -> None:
        n = self._name_ids.get(name)
        if n is None:
            n = self._name_ids[name] = len(self._name_list)
            self._name_list.append(name)
        d = self._text_ids.get(detail)
        if d is None:
            d = self._text_ids[detail] = len(self._texts)
            self._texts.append(detail)
            self._text_bytes += len(detail) + TEXT_OVERHEAD
        self.events.append(event)
        self.times.append(time_ns)
        self.names.append(n)
        self.details.append(d)

    def __len__(self) -> int:
        return len(self.events)

    @overload
    def __getitem__(self, i: int) -> Hit: ...

    @overload
    def __getitem__(self, i: slice) -> list[Hit]: ...

    def __getitem__(self, i: int | slice) -> Hit | list[Hit]:
        if isinstance(i, slice):
            return [self._hit(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("hit index out of range")
        return self._hit(i)

    def _hit(self, i: int) -> Hit:
        return Hit(self.events[i], self.times[i], self._name_list[self.names[i]], self._texts[self.details[i]], i)

    def __iter__(self) -> Iterator[Hit]:
        return (self._hit(i) for i in range(len(self)))

    def __reversed__(self) -> Iterator[Hit]:
        return (self._hit(i) for i in range(len(self) - 1, -1, -1))

    def __add__(self, other: Sequence[Hit]) -> list[Hit]:
        return [*self, *other]

    def __radd__(self, other: Sequence[Hit]) -> list[Hit]:
        return [*other, *self]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (HitLog, list)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def upto(self, event: int) -> list[Hit]:
        """The hits at events <= ``event``."""
        return self[: bisect.bisect_right(self.events, event)]

    def after(self, event: int) -> Iterator[Hit]:
        """The hits at events > ``event``, in order."""
        return (self._hit(i) for i in range(bisect.bisect_right(self.events, event), len(self)))

    def names_seen(self) -> set[str]:
        return set(self._name_list[n] for n in set(self.names))

    def memory_bytes(self) -> int:
        arrays = (self.events, self.times, self.names, self.details)
        return sum(a.buffer_info()[1] * a.itemsize for a in arrays) + self._text_bytes


class ChoiceLog(Mapping[int, int]):
    """The random policy's choices, event -> index of the enabled item taken (a read-only
    mapping to readers; the engine appends in event order)."""

    def __init__(self) -> None:
        self.events = array("q")
        self.picks = array("I")

    def __setitem__(self, event: int, choice: int) -> None:
        if self.events and event == self.events[-1]:
            # the step picked a spin's silent poll first (``Engine._polled``): the event is the
            # item picked last, and so is its choice
            self.picks[-1] = choice
            return
        if self.events and event <= self.events[-1]:
            raise ValueError(f"choices are recorded in event order ({event} after {self.events[-1]})")
        self.events.append(event)
        self.picks.append(choice)

    def _find(self, event: int) -> int:
        i = bisect.bisect_left(self.events, event)
        return i if i < len(self.events) and self.events[i] == event else -1

    def __getitem__(self, event: int) -> int:
        i = self._find(event)
        if i < 0:
            raise KeyError(event)
        return self.picks[i]

    def get(self, event: int, default: Any = None) -> Any:
        i = self._find(event)
        return default if i < 0 else self.picks[i]

    def __contains__(self, event: object) -> bool:
        return isinstance(event, int) and self._find(event) >= 0

    def __iter__(self) -> Iterator[int]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ChoiceLog):
            return self.events == other.events and self.picks == other.picks
        if isinstance(other, Mapping):
            return dict(zip(self.events, self.picks, strict=True)) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ChoiceLog({dict(zip(self.events, self.picks, strict=True))!r})"

    def memory_bytes(self) -> int:
        return sum(a.buffer_info()[1] * a.itemsize for a in (self.events, self.picks))
