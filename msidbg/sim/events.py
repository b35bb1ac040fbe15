"""Event kinds, the compact event log and the readable Event record.

One engine step produces exactly one event. Events are stored in typed arrays as a
time and a record id (12 bytes each; the records, mostly repeated, are stored once), so
a ten-million-event run stays small; an ``Event`` object is materialised only when
somebody looks at it.
"""

from __future__ import annotations

import struct
import sys
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


_KINDS: list[EventKind | None] = []
_BY_NAME: dict[str, EventKind] = {}
#: the longest registered (or reserved) kind name (the event log's kind column is this wide)
_NAME_WIDTH = [0]
#: kind name -> the code ``reserve`` fixed for it (the numbering does not depend on import order)
_RESERVED: dict[str, int] = {}
#: callables that declare the kinds still missing (a platform's modules, imported on first use);
#: each is called once, the first time a reserved kind is looked up before it was declared
_LOADERS: list[Any] = []


def reserve(names: tuple[str, ...] | list[str]) -> None:
    """Fix the codes of ``names`` (in that order, from the first free code), before they are
    declared: ``kind(name)`` then returns the reserved code whenever its module is imported."""
    if _KINDS:
        raise RuntimeError(f"event kinds reserved after {len(_KINDS)} were declared: codes would depend on import order")
    for name in names:
        if name in _RESERVED:
            raise ValueError(f"event kind {name} reserved twice")
        _RESERVED[name] = len(_KINDS)
        _KINDS.append(None)
        _NAME_WIDTH[0] = max(_NAME_WIDTH[0], len(name))


def on_missing(loader: Any) -> None:
    """Register ``loader()``: it declares reserved kinds not declared yet (see ``_complete``)."""
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def _complete() -> None:
    """Declare every reserved kind: run the loaders (each once)."""
    while _LOADERS:
        _LOADERS.pop(0)()


def kind(name: str, *fields: tuple[str, str], doc: str = "") -> int:
    """Register an event kind (idempotent by name) and return its code: the one ``reserve``
    fixed for the name, else the next free one."""
    if name in _BY_NAME:
        return _BY_NAME[name].code
    if len(fields) > 3:
        raise ValueError(f"event kind {name}: at most 3 fields")
    code = _RESERVED.get(name, len(_KINDS))
    k = EventKind(code, name, tuple(fields), doc)
    if code == len(_KINDS):
        _KINDS.append(k)
    else:
        _KINDS[code] = k
    _BY_NAME[name] = k
    _NAME_WIDTH[0] = max(_NAME_WIDTH[0], len(name))
    return k.code


def kind_by_name(name: str) -> EventKind | None:
    k = _BY_NAME.get(name)
    if k is None and _LOADERS:
        _complete()
        k = _BY_NAME.get(name)
    return k


def kind_by_code(code: int) -> EventKind:
    k = _KINDS[code]
    if k is None:
        _complete()
        k = _KINDS[code]
        if k is None:
            raise KeyError(f"event kind {code} was reserved and never declared")
    return k


def all_kinds() -> list[EventKind]:
    """Every kind, in code order (the kinds of modules not imported yet are declared first)."""
    if _LOADERS and None in _KINDS:
        _complete()
    return [k for k in _KINDS if k is not None]


def kind_width() -> int:
    """The length of the longest registered kind name: a log's kind column fits every kind
    (``ioreq.cfg_write`` is 15, where the column was 14)."""
    return _NAME_WIDTH[0]


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
    """Virtual time as seconds.microseconds with ns precision, e.g. 0.001000250s; a negative
    time (a difference of two times, a stranger's hit time) is ``-`` and the same digits as its
    magnitude: ``divmod`` floors, so -1 ns was '-1.999999999s'."""
    s, rem = divmod(abs(ns), 1_000_000_000)
    return f"{'-' if ns < 0 else ''}{s}.{rem:09d}s"


#: distinct records the log remembers for re-use; past this the lookup table starts afresh
#: (records are still shared within each generation, so memory stays bounded either way)
RECORD_CACHE = 1 << 16
#: a windowed log keeps at least this many of the latest events (a full log keeps them all)
WINDOW = 4096
_ROW = struct.Struct("<6q")


class EventLog:
    """Append-only log: per event its time (uint64, never negative) and the id (uint32) of its record.

    A record is everything but the time -- (kind, cpu, dev, a, b, c) -- and most events of a
    run repeat one seen before (the same vector accepted on the same CPU), so records are
    stored once, column-wise, and events point at them: 12 bytes an event, plus 48 bytes per
    distinct record. Event i (1-based) is at position i-1.

    ``window`` (headless runs that will never look back) keeps only the latest events:
    ``len`` still counts every event appended, reading an event that was dropped is an
    IndexError.
    """

    __slots__ = ("times", "ids", "cols", "strings", "cache", "base", "window", "_rows")

    WIDTH = 7

    def __init__(self, window: bool = False) -> None:
        # unsigned: times are never negative, and an 'I'/'Q' append converts its int directly where
        # 'q' goes through PyArg_Parse (~400 instructions an event); the bytes of a time are the
        # same either way (rows_bytes digests them as int64)
        self.times = array("Q")
        self.ids = array("I")
        #: the records, one int64 column per field: kind, cpu, dev, a, b, c
        self.cols = tuple(array("q") for _ in range(6))
        self.strings = StringTable()
        #: (kind, cpu, dev name or None, a, b, c) -> record id (the engine's hot path reads it)
        self.cache: dict[tuple[Any, ...], int] = {}
        #: events dropped from the front (windowed logs only)
        self.base = 0
        self.window = window
        self._rows: list[bytes] = []

    def __len__(self) -> int:
        return self.base + len(self.ids)

    def record(self, key: tuple[Any, ...]) -> int:
        """The id of a new record ``(kind, cpu, dev, a, b, c)`` (``dev`` a name or None)."""
        cache = self.cache
        if len(cache) >= RECORD_CACHE:
            cache.clear()
        kind_, cpu, dev, a, b, c = key
        d = -1 if dev is None else self.strings.intern(dev)
        cols = self.cols
        rid = len(cols[0])
        if rid > 0xFFFFFFFF:
            raise OverflowError("event log: more than 2**32 distinct event records")
        for col, v in zip(cols, (kind_, cpu, d, a, b, c), strict=True):
            col.append(v)
        cache[key] = rid
        return rid

    def append(self, time: int, kind: int, cpu: int, dev: str | None, a: int = 0, b: int = 0, c: int = 0) -> None:
        key = (kind, cpu, dev, a, b, c)
        rid = self.cache.get(key)
        if rid is None:
            rid = self.record(key)
        self.ids.append(rid)
        self.times.append(time)

    def trim(self) -> None:
        """A windowed log forgets all but its latest ``WINDOW`` events (a full log: nothing)."""
        n = len(self.ids)
        if self.window and n > 2 * WINDOW:
            cut = n - WINDOW
            del self.ids[:cut]
            del self.times[:cut]
            self.base += cut

    def truncate(self, n: int) -> None:
        """Forget events after the first n."""
        n = max(n - self.base, 0)
        del self.ids[n:]
        del self.times[n:]

    def _pos(self, index: int) -> int:
        i = index - 1 - self.base
        if i < 0 or index < 1:
            raise IndexError(f"event {index} is not in the log")
        return i

    def raw(self, index: int) -> tuple[int, ...]:
        """(time, kind, cpu, dev id, a, b, c) of event ``index``."""
        i = self._pos(index)
        r = self.ids[i]
        return (self.times[i], *(col[r] for col in self.cols))

    def field(self, index: int, col: int) -> int:
        """Column ``col`` of event ``index``: 0 time, 1 kind, 2 cpu, 3 dev id, 4..6 a, b, c."""
        i = self._pos(index)
        if col == 0:
            return self.times[i]
        return self.cols[col - 1][self.ids[i]]

    def kind_at(self, index: int) -> int:
        return self.cols[0][self.ids[self._pos(index)]]

    def time_at(self, index: int) -> int:
        return self.times[self._pos(index)]

    def event(self, index: int) -> Event:
        """Materialise event ``index`` (1-based)."""
        t, k, cpu, dev, a, b, c = self.raw(index)
        ek = _KINDS[k] or kind_by_code(k)
        strings = self.strings.strings
        fields: dict[str, Any] = {}
        for (name, fmt), v in zip(ek.fields, (a, b, c), strict=False):
            fields[name] = strings[v] if fmt == STR else v + U64 if v < 0 and fmt == HEX else v
        return Event(index, t, ek.name, None if cpu < 0 else cpu, None if dev < 0 else strings[dev], fields)

    def events(self, start: int, stop: int) -> list[Event]:
        """Events with index in [start, stop) (1-based, clipped to the log)."""
        start = max(start, 1, self.base + 1)
        stop = min(stop, len(self) + 1)
        return [self.event(i) for i in range(start, stop)]

    def rows_bytes(self, start: int, stop: int) -> bytes:
        """Events [start, stop) (0-based positions in the run) as little-endian int64 rows of 7
        columns: time, kind, cpu, dev, a, b, c -- the canonical form that snapshot digests cover."""
        lo, hi = start - self.base, stop - self.base
        if lo < 0 or hi > len(self.ids) or lo > hi:
            raise IndexError(f"events {start + 1}..{stop} are not in the log")
        rows = self._rows
        cols = self.cols
        for r in range(len(rows), len(cols[0])):
            rows.append(_ROW.pack(*(col[r] for col in cols)))
        n = hi - lo
        times = self.times[lo:hi]
        if sys.byteorder == "big":
            times.byteswap()
        tb = times.tobytes()
        pb = b"".join(map(rows.__getitem__, self.ids[lo:hi]))
        if n == 1:
            return tb + pb
        out = bytearray(56 * n)
        for k in range(8):
            out[k::56] = tb[k::8]
        for k in range(48):
            out[8 + k::56] = pb[k::48]
        return bytes(out)

    def memory_bytes(self) -> int:
        """Bytes held by the event columns and the distinct records."""
        n = self.ids.buffer_info()[1] * self.ids.itemsize + self.times.buffer_info()[1] * self.times.itemsize
        return n + sum(c.buffer_info()[1] * c.itemsize for c in self.cols)
