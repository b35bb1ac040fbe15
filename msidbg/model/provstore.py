"""Provenance's per-record extras, packed: nodes' notes and hot records' further dependencies.

A long Xen run makes two notes and one extra dependency an interrupt (the route's queued message,
the pending port, the upcall IPI's cause). Kept as dict entries of Python tuples they cost ~650
bytes an interrupt for as long as the run lives (~460 MB at 5M Xen events); packed here they
cost 16 bytes a note and 32 a dependency:

* ``NoteStore``: (record, note id) pairs in one int64 array, the notes themselves interned (a
  storm repeats the same few ``(template, args)`` pairs); a lazy note is formatted when first
  read and its text kept in place of the pair;
* ``DepStore``: (record, code, key, writer) quadruples in one int64 array.

Records are numbered in the order they are made, and each extra is added right after its record,
so both arrays are sorted by record: a lookup is a binary search. Both read as mappings
(record -> note text, record -> ``[(code, key, writer), ...]``), in record order, which is what
``why``, the goldens and the replay comparisons read.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

#: a node's note: a text, or a ``(template, args)`` pair formatted by ``str.format`` when read. The
#: args are ints and strings (interning compares them by value: ``True`` would stand for ``1``)
Note = str | tuple[str, tuple[Any, ...]]

#: the struct format of ``n`` int64s, native byte order as ``=nq``: where C's long is 64 bits, as ``@nl``,
#: the same bytes (no padding: every item is 8 bytes), which struct converts from a multi-digit int
#: without ``_PyLong_AsByteArray`` (``q``'s path: ~100 instructions more an int; provenance packs
#: ~16 such ints a Xen interrupt)
I64 = "@{}l" if struct.calcsize("@l") == 8 else "={}q"


def i64(n: int) -> struct.Struct:
    """A struct of ``n`` int64s in native byte order (``I64``)."""
    return struct.Struct(I64.format(n))


PAIR = i64(2).pack
QUAD = i64(4).pack


def _first(arr: array[int], width: int, r: int) -> int:
    """The first row (of ``width`` ints) whose leading int is >= ``r``."""
    lo, hi = 0, len(arr) // width
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[mid * width] < r:
            lo = mid + 1
        else:
            hi = mid
    return lo


class NoteStore(Mapping[int, str]):
    """Node record -> its note (``Prov.notes``)."""

    def __init__(self) -> None:
        #: (record, note id) rows, records ascending
        self.rows = array("q")
        #: note id -> the note (a lazy pair until first read, then its text)
        self.vals: list[Note] = []
        #: note -> its id (the pair or text as recorded)
        self.ids: dict[Note, int] = {}

    def intern(self, note: Note) -> int:
        """The id of ``note`` (a new one the first time it is seen)."""
        nid = self.ids.get(note)
        if nid is None:
            nid = self.ids[note] = len(self.vals)
            self.vals.append(note)
        return nid

    def add(self, r: int, note: Note) -> None:
        """Record ``r`` (newer than every record noted so far) has ``note``."""
        nid = self.ids.get(note)
        if nid is None:
            nid = self.intern(note)
        self.rows.frombytes(PAIR(r, nid))

    def get_note(self, r: int) -> str | None:
        i = _first(self.rows, 2, r) * 2
        rows = self.rows
        if i >= len(rows) or rows[i] != r:
            return None
        nid = rows[i + 1]
        n = self.vals[nid]
        if isinstance(n, tuple):
            n = self.vals[nid] = n[0].format(*n[1])
        return n

    def __getitem__(self, r: int) -> str:
        n = self.get_note(r)
        if n is None:
            raise KeyError(r)
        return n

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows[::2])

    def __len__(self) -> int:
        return len(self.rows) // 2

    def memory_bytes(self) -> int:
        return len(self.rows) * 8 + len(self.vals) * 200


class DepStore(Mapping[int, list[tuple[int, int, int]]]):
    """Hot record -> its further dependencies, ``[(code, key, writer), ...]`` (``Prov.hot_deps``)."""

    def __init__(self) -> None:
        #: (record, code, key, writer) rows, records ascending, a record's rows together
        self.rows = array("q")

    def add(self, r: int, deps: list[tuple[int, int, int]]) -> None:
        """Record ``r`` (newer than every record here) depends on ``deps`` too."""
        if len(deps) == 1:
            code, key, w = deps[0]
            self.rows.frombytes(QUAD(r, code, key, w))
        else:
            self.rows.frombytes(struct.pack(I64.format(4 * len(deps)), *[x for d in deps for x in (r, *d)]))

    def get(self, r: int, default: Any = None) -> Any:
        rows = self.rows
        i = _first(rows, 4, r) * 4
        if i >= len(rows) or rows[i] != r:
            return default
        out = []
        n = len(rows)
        while i < n and rows[i] == r:
            out.append((rows[i + 1], rows[i + 2], rows[i + 3]))
            i += 4
        return out

    def __getitem__(self, r: int) -> list[tuple[int, int, int]]:
        got: list[tuple[int, int, int]] | None = self.get(r)
        if got is None:
            raise KeyError(r)
        return got

    def __iter__(self) -> Iterator[int]:
        last = None
        for r in self.rows[::4]:
            if r != last:
                yield r
                last = r

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def memory_bytes(self) -> int:
        return len(self.rows) * 8
