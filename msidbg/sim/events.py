"""Event kinds, the columnar event log and the readable Event record.

One engine step produces exactly one event. Events are stored column-wise in
typed arrays (about 60 bytes each) so a million-event run stays small; an
``Event`` object is materialised only when somebody looks at it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

# Field formats: how an int column is shown and compared.
INT, HEX, STR = "int", "hex", "str"
U64 = 1 << 64


def column(value: int) -> int:
    """A register value of up to 64 bits (unsigned) as the log's signed 64-bit column holds it;
    HEX fields read back unsigned (a 64-bit MSI address with bit 63 set is a valid value)."""
    return value - U64 if value >= 1 << 63 else value


@dataclass(frozen=True, slots=True)
class EventKind:
    """The schema of one event kind: up to three named fields stored in columns a, b, c."""

    code: int
    name: str
    fields: tuple[tuple[str, str], ...]
    doc: str = ""


_KINDS: list[EventKind] = []
_BY_NAME: dict[str, EventKind] = {}


def kind(name: str, *fields: tuple[str, str], doc: str = "") -> int:
    """Register an event kind (idempotent by name) and return its code."""
    if name in _BY_NAME:
        return _BY_NAME[name].code
    if len(fields) > 3:
        raise ValueError(f"event kind {name}: at most 3 fields")
    k = EventKind(len(_KINDS), name, tuple(fields), doc)
    _KINDS.append(k)
    _BY_NAME[name] = k
    return k.code


def kind_by_name(name: str) -> EventKind | None:
    return _BY_NAME.get(name)


def kind_by_code(code: int) -> EventKind:
    return _KINDS[code]


def all_kinds() -> list[EventKind]:
    return list(_KINDS)


class StringTable:
    """Interns strings (device names, program names, register names) as small ints."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self.strings: list[str] = []

    def intern(self, s: str) -> int:
        i = self._ids.get(s)
        if i is None:
            i = len(self.strings)
            self._ids[s] = i
            self.strings.append(s)
        return i

    def lookup(self, s: str) -> int | None:
        return self._ids.get(s)


@dataclass(frozen=True, slots=True)
class Event:
    """One event as a readable record: index (1-based position in the run), time, kind, fields."""

    index: int
    time_ns: int
    kind: str
    cpu: int | None
    dev: str | None
    fields: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        if name in ("index", "time_ns", "kind", "cpu", "dev"):
            return getattr(self, name)
        if name == "time":
            return self.time_ns
        return self.fields.get(name)

    def describe(self) -> str:
        parts = []
        for k in self.fields:
            v = self.fields[k]
            parts.append(f"{k}={v:#x}" if isinstance(v, int) and k in _hex_fields(self.kind) else f"{k}={v}")
        return " ".join(parts)

    def __str__(self) -> str:
        where = " ".join(x for x in (f"cpu{self.cpu}" if self.cpu is not None else "", self.dev or "") if x)
        return f"#{self.index} {format_ns(self.time_ns)} {where} {self.kind} {self.describe()}".replace("  ", " ")


def _hex_fields(kind_name: str) -> set[str]:
    k = _BY_NAME.get(kind_name)
    return {n for n, f in k.fields if f == HEX} if k else set()


def format_ns(ns: int) -> str:
    """Virtual time as seconds.microseconds with ns precision, e.g. 0.001000250s."""
    s, rem = divmod(ns, 1_000_000_000)
    return f"{s}.{rem:09d}s"


class EventLog:
    """Append-only log, seven int64 columns interleaved in one array (56 bytes an event).

    Event i (1-based) is the record at position i-1: time, kind, cpu, dev, a, b, c.
    """

    __slots__ = ("data", "strings")

    WIDTH = 7

    def __init__(self) -> None:
        self.data = array("q")
        self.strings = StringTable()

    def __len__(self) -> int:
        return len(self.data) // 7

    def append(self, time: int, kind: int, cpu: int, dev: int, a: int, b: int, c: int) -> None:
        self.data.extend((time, kind, cpu, dev, a, b, c))

    def truncate(self, n: int) -> None:
        """Forget events after the first n."""
        del self.data[n * 7:]

    def raw(self, index: int) -> tuple[int, ...]:
        i = (index - 1) * 7
        return tuple(self.data[i:i + 7])

    def kind_at(self, index: int) -> int:
        return self.data[(index - 1) * 7 + 1]

    def time_at(self, index: int) -> int:
        return self.data[(index - 1) * 7]

    def event(self, index: int) -> Event:
        """Materialise event ``index`` (1-based)."""
        t, k, cpu, dev, a, b, c = self.raw(index)
        ek = _KINDS[k]
        strings = self.strings.strings
        fields: dict[str, Any] = {}
        for (name, fmt), v in zip(ek.fields, (a, b, c), strict=False):
            fields[name] = strings[v] if fmt == STR else v + U64 if v < 0 and fmt == HEX else v
        return Event(index, t, ek.name, None if cpu < 0 else cpu, None if dev < 0 else strings[dev], fields)

    def events(self, start: int, stop: int) -> list[Event]:
        """Events with index in [start, stop) (1-based, clipped to the log)."""
        start = max(start, 1)
        stop = min(stop, len(self) + 1)
        return [self.event(i) for i in range(start, stop)]

    def memory_bytes(self) -> int:
        return self.data.buffer_info()[1] * self.data.itemsize
