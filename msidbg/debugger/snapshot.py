"""Snapshot files: a bug report you can step through. Pack, seal and write atomically; read with bounds.

The format (every field: docs/debugger.md) and ``Recording`` live in ``snapformat.py``, reading
and validating a stranger's file in ``snapread.py``, opening and verifying by replay in
``verify.py``; this module writes files and is the public face of all three: ``read``,
``precheck``, ``Recording``, ``VERSION`` and the limits are importable from here.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from array import array
from collections.abc import Mapping
from typing import Any

import msgpack

from msidbg import __version__
from msidbg.debugger.session import Session
from msidbg.debugger.snapformat import (  # noqa: F401 - the public names of the format
    DIGEST_AT,
    FORMAT,
    MAX_BOOKMARKS,
    MAX_BREAKPOINTS,
    MAX_DETAIL,
    MAX_EVENT,
    MAX_FILE_BYTES,
    MAX_HASH_POINTS,
    MAX_HIT_NAMES,
    MAX_LOG_BLOCKS,
    MAX_MODEL,
    MAX_WORLD_BYTES,
    STOP_REASONS,
    TRAILER,
    VERSION,
    Recording,
    from_le,
    le_bytes,
)
from msidbg.debugger.snapread import PRECHECK_READ, precheck, read  # noqa: F401 - re-exported
from msidbg.errors import SnapshotError
from msidbg.files import FileProblem, check_not_input, write_atomic
from msidbg.model.revision import MODEL
from msidbg.sim.events import all_kinds
from msidbg.sim.scheduler import Hit
from msidbg.sim.strategy import Schedule
from msidbg.sim.world import pack_world, state_hash


def save(s: Session, path: str, replace: bool = True) -> None:
    """Write ``s`` at its cursor to ``path`` atomically (``msidbg.files.write_atomic``); ``replace``
    False: a file that is not empty is never replaced (``run --save --no-clobber``).

    Raises SnapshotError (one line) when the file cannot be written.
    """
    try:
        if s.origin is None:   # a session of a scenario file: never replaced by its snapshot
            check_not_input(path, s.scenario.path)
        data = pack_session(s)
        write_atomic(path, data, replace)
    except FileProblem as e:
        raise SnapshotError(e.message, path) from None


def pack_session(s: Session) -> bytes:
    eng, cursor = s.eng, s.cursor
    w = s.world
    fp_events = [ev for ev in s.timeline.fp_events if ev <= cursor]
    if len(fp_events) > MAX_HASH_POINTS:
        stride = -(-len(fp_events) // MAX_HASH_POINTS)
        fp_events = fp_events[::stride]
    block, digests = log_digests(eng.log, cursor)
    doc = {
        "format": FORMAT, "version": VERSION, "msidbg": __version__, "model": MODEL,
        "scenario": {"file": _file_name(s.scenario.path),
                     "text": s.scenario.text, "sha256": s.scenario.sha256},
        "seed": s.seed,
        "cursor": cursor,
        "time_ns": w["now"],
        "stopped": {**s.last_stop.as_dict(), "detail": s.last_stop.detail},
        "breakpoints": [{"spec": b.spec, "enabled": b.enabled} for b in s.breakpoints],
        "bookmarks": [{"name": b.name, "event": b.event, "note": b.note} for b in s.bookmarks],
        "choices": pack_choices(eng.choices, cursor),
        "hits": pack_hits([h for h in eng.hits if h.event <= cursor]),
        "hashes": {"events": fp_events, "fingerprints": b"".join(s.timeline.fps[ev] for ev in fp_events)},
        "log": {"block": block, "digests": b"".join(digests), "kinds": [k.name for k in all_kinds()]},
        "state_hash": state_hash(w),
        "world": pack_world(w),
        "schedule": _schedule_doc(s.schedule),
    }
    return seal(doc)


def seal(doc: dict[str, Any]) -> bytes:
    """``doc`` as a snapshot file: its fields in order, then ``sha256`` over every byte before it
    (any ``sha256`` already in ``doc`` is replaced)."""
    items = [(k, v) for k, v in doc.items() if k != "sha256"]
    count = len(items) + 1
    head = bytes([0x80 | count]) if count < 16 else b"\xde" + struct.pack(">H", count)
    body = head + b"".join(msgpack.packb(k) + msgpack.packb(v, use_bin_type=True) for k, v in items)
    return body + TRAILER + hashlib.sha256(body).digest()


def _schedule_doc(sch: Schedule) -> dict[str, Any]:
    plan = None if sch.plan is None else zlib.compress(msgpack.packb(sch.plan.to_rows(), use_bin_type=True), 6)
    return {"strategy": sch.strategy, "depth": sch.depth, "window": sch.window, "horizon": sch.horizon,
            "plan": plan}


def _file_name(path: str) -> str:
    """The scenario's base name as text (a non-UTF-8 byte of the path becomes U+FFFD)."""
    name = os.path.basename(path) or "scenario.yaml"
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def pack_choices(choices: Mapping[int, int], cursor: int) -> bytes:
    """zlib of little-endian int64s: the n event deltas, then the n choices."""
    evs = sorted(ev for ev in choices if ev <= cursor)
    col = array("q", [b - a for a, b in zip([0, *evs], evs, strict=False)])
    col.extend(choices[ev] for ev in evs)
    return zlib.compress(le_bytes(col), 6)


def pack_hits(hits: list[Hit]) -> dict[str, Any]:
    """``names`` (distinct, in order of first use), ``count`` and ``columns``: zlib of the events
    and times (int64), each hit's name index (uint16) and detail length in bytes (uint32), then
    the details' UTF-8 text, all little-endian."""
    names: dict[str, int] = {}
    details = [h.detail.encode("utf-8", "replace") for h in hits]
    cols = [array("q", [h.event for h in hits]), array("q", [h.time_ns for h in hits]),
            array("H", [names.setdefault(h.name, len(names)) for h in hits]), array("I", map(len, details))]
    blob = b"".join(le_bytes(c) for c in cols) + b"".join(details)
    return {"names": list(names), "count": len(hits), "columns": zlib.compress(blob, 6)}


def log_digests(log: Any, upto: int) -> tuple[int, list[bytes]]:
    """8-byte digests of consecutive blocks of the event log (little-endian int64 rows of 7 columns)."""
    block = max(1, -(-upto // MAX_LOG_BLOCKS))
    out = []
    for a in range(0, upto, block):
        b = min(a + block, upto)
        out.append(hashlib.sha256(log.rows_bytes(a, b)).digest()[:8])
    return block, out

