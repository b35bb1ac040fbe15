"""Snapshot files: a bug report you can step through. Pack, unpack with bounds, verify, write atomically.

A snapshot is one msgpack map (``FORMAT``, ``VERSION``; see docs/debugger.md for every field):
the scenario's full text and hash, the seed, the recorded choices, the cursor, the armed
breakpoints, named bookmarks with notes, world fingerprints at checkpoints, digests of the event
log, the model's hits, and the full world at the cursor with its ``state_hash``. Opening
validates structure and bounds (never pickle, never eval); ``verify.py`` then re-runs the
scenario to the cursor; without verification the stored world is shown at once and the history
is replayed (and verified) the first time something needs it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import zlib
from array import array
from dataclasses import dataclass, field
from typing import Any

import msgpack

from msidbg import __version__
from msidbg.debugger.session import Bookmark, Session, Stop
from msidbg.errors import SnapshotError
from msidbg.sim.events import all_kinds
from msidbg.sim.scheduler import Hit
from msidbg.sim.world import pack_world, state_hash

FORMAT = "msidbg-snapshot"
VERSION = 1
MAX_FILE_BYTES = 256 << 20
MAX_WORLD_BYTES = 128 << 20
MAX_UNZIPPED = 256 << 20
MAX_DEPTH = 48
MAX_NODES = 20_000_000
MAX_BREAKPOINTS, MAX_BOOKMARKS, MAX_HASH_POINTS, MAX_LOG_BLOCKS = 256, 1024, 8192, 16384
MAX_EVENT = 1 << 48
STOP_REASONS = ("end", "breakpoint", "limit", "start")


@dataclass
class Recording:
    """A validated snapshot, before (or while) it is replayed."""

    path: str
    scenario_text: str
    scenario_file: str
    seed: int
    cursor: int
    world: dict[str, Any]
    state_hash: str
    msidbg: str
    stopped: Stop
    breakpoints: list[tuple[str, bool]] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)
    choices: dict[int, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    hash_events: list[int] = field(default_factory=list)
    fingerprints: list[bytes] = field(default_factory=list)
    log_block: int = 1
    log_digests: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


# --- saving ---------------------------------------------------------------------------------------
def save(s: Session, path: str) -> None:
    """Write ``s`` at its cursor to ``path``: temporary file in the same directory, fsync, rename.

    Raises SnapshotError (one line) when the file cannot be written.
    """
    data = pack_session(s)
    try:
        write_atomic(path, data)
    except OSError as e:
        raise SnapshotError(f"cannot write: {e.strerror or e}", path) from None


def pack_session(s: Session) -> bytes:
    eng, cursor = s.eng, s.cursor
    w = s.world
    fp_events = [ev for ev in s.timeline.fp_events if ev <= cursor]
    if len(fp_events) > MAX_HASH_POINTS:
        stride = -(-len(fp_events) // MAX_HASH_POINTS)
        fp_events = fp_events[::stride]
    block, digests = log_digests(eng.log, cursor)
    doc = {
        "format": FORMAT, "version": VERSION, "msidbg": __version__,
        "scenario": {"file": os.path.basename(s.scenario.path) or "scenario.yaml",
                     "text": s.scenario.text, "sha256": s.scenario.sha256},
        "seed": s.seed,
        "cursor": cursor,
        "time_ns": w["now"],
        "stopped": {**s.last_stop.as_dict(), "detail": s.last_stop.detail},
        "breakpoints": [{"spec": b.spec, "enabled": b.enabled} for b in s.breakpoints],
        "bookmarks": [{"name": b.name, "event": b.event, "note": b.note} for b in s.bookmarks],
        "choices": _zpack(_choices_rows(eng.choices, cursor)),
        "hits": _zpack([[h.event, h.time_ns, h.name, h.detail] for h in eng.hits if h.event <= cursor]),
        "hashes": {"events": fp_events, "fingerprints": b"".join(s.timeline.fps[ev] for ev in fp_events)},
        "log": {"block": block, "digests": b"".join(digests), "kinds": [k.name for k in all_kinds()]},
        "state_hash": state_hash(w),
        "world": pack_world(w),
    }
    return msgpack.packb(doc, use_bin_type=True)


def _choices_rows(choices: dict[int, int], cursor: int) -> list[list[int]]:
    evs = sorted(ev for ev in choices if ev <= cursor)
    deltas = [b - a for a, b in zip([0, *evs], evs, strict=False)]
    return [deltas, [choices[ev] for ev in evs]]


def _zpack(obj: Any) -> bytes:
    return zlib.compress(msgpack.packb(obj, use_bin_type=True), 6)


def log_digests(log: Any, upto: int) -> tuple[int, list[bytes]]:
    """8-byte digests of consecutive blocks of the event log (little-endian int64 rows of 7 columns)."""
    block = max(1, -(-upto // MAX_LOG_BLOCKS))
    out = []
    for a in range(0, upto, block):
        b = min(a + block, upto)
        out.append(hashlib.sha256(log.rows_bytes(a, b)).digest()[:8])
    return block, out


def le_bytes(col: array[int]) -> bytes:
    if sys.byteorder == "big":
        col = array("q", col)
        col.byteswap()
    return col.tobytes()


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old file or the new one, never half."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved snapshot is an ordinary file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename is still atomic


# --- reading ----------------------------------------------------------------------------------------
class _Bad(Exception):
    """A structural problem at a field (turned into a one-line SnapshotError by ``read``)."""


def read(path: str) -> Recording:
    """Read and validate ``path``: bounds, types, tamper checks. Raises SnapshotError (one line)."""
    data = _read_bytes(path)
    try:
        return _recording(path, _unpack(data, strict=True, what="the file"))
    except _Bad as e:
        raise SnapshotError(str(e), path) from None


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise SnapshotError(f"file too large: {size} bytes (expected at most {MAX_FILE_BYTES})", path)
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise SnapshotError(f"cannot read: {e.strerror or e}", path) from None
    if len(data) > MAX_FILE_BYTES:
        raise SnapshotError(f"file too large (expected at most {MAX_FILE_BYTES} bytes)", path)
    return data


def _unpack(data: bytes, strict: bool, what: str) -> Any:
    limit = len(data)
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=strict, use_list=True,
                              max_str_len=min(limit, 8 << 20), max_bin_len=min(limit, MAX_WORLD_BYTES),
                              max_array_len=min(limit, 1 << 22), max_map_len=min(limit, 1 << 22), max_ext_len=0)
    except Exception as e:  # noqa: BLE001 - msgpack raises several types on hostile bytes; all mean "bad file"
        reason = str(e).split("\n")[0][:120] or type(e).__name__
        raise _Bad(f"{what} is not a valid msgpack document: {reason} (expected a msidbg snapshot)") from None
    _check_tree(obj, what)
    return obj


def _check_tree(obj: Any, what: str) -> None:
    """Plain data only (no floats, bytes only at the top), at most MAX_DEPTH deep: iterative, bounded."""
    todo: list[tuple[Any, int]] = [(obj, 0)]
    nodes = 0
    while todo:
        o, depth = todo.pop()
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise _Bad(f"{what} is nested too deeply or too large (expected at most {MAX_DEPTH} levels)")
        if type(o) is dict:
            for k, v in o.items():
                if type(k) not in (str, int):
                    raise _Bad(f"{what}: a map key of type {type(k).__name__} (expected str or int)")
                todo.append((v, depth + 1))
        elif type(o) is list:
            todo.extend((v, depth + 1) for v in o)
        elif type(o) is float:
            raise _Bad(f"{what}: a floating-point value (expected ints, strings, bools and null only)")
        elif type(o) is int and not -(2**63) <= o < 2**64:
            raise _Bad(f"{what}: an integer that does not fit in 64 bits")


def _get(doc: dict[str, Any], key: str, typ: type | tuple[type, ...], what: str, where: str = "") -> Any:
    name = f"{where}{key}"
    if key not in doc:
        raise _Bad(f"missing field {name!r} (expected {what})")
    v = doc[key]
    if not isinstance(v, typ) or (isinstance(v, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,))):
        raise _Bad(f"{name}: expected {what}")
    return v


def _int(doc: dict[str, Any], key: str, lo: int, hi: int, where: str = "") -> int:
    v = _get(doc, key, int, f"an integer in {lo}..{hi}", where)
    if not lo <= v <= hi:
        raise _Bad(f"{where}{key}: {v} is out of range (expected {lo}..{hi})")
    return int(v)


def _str(doc: dict[str, Any], key: str, limit: int, where: str = "") -> str:
    v = _get(doc, key, str, f"a string of at most {limit} characters", where)
    if len(v) > limit:
        raise _Bad(f"{where}{key}: too long ({len(v)} characters, expected at most {limit})")
    return str(v)


def _recording(path: str, top: Any) -> Recording:
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        raise _Bad(f"not a msidbg snapshot (expected a msgpack map with format {FORMAT!r})")
    version = _int(top, "version", 0, 1 << 31)
    writer = _str(top, "msidbg", 64)
    if version > VERSION:
        raise _Bad(f"snapshot format version {version} is newer than this msidbg reads ({VERSION}); "
                   f"it was written by msidbg {writer}: open it with msidbg {writer} or later")
    if version < 1:
        raise _Bad(f"snapshot format version {version} is not supported (expected {VERSION})")
    scn = _get(top, "scenario", dict, "a map with file, text and sha256")
    text = _str(scn, "text", 1 << 20, "scenario.")
    sha = _str(scn, "sha256", 64, "scenario.")
    if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != sha:
        raise _Bad("scenario.text does not match scenario.sha256 (the file was modified or damaged)")
    file = os.path.basename(_str(scn, "file", 255, "scenario.")) or "scenario.yaml"
    cursor = _int(top, "cursor", 0, MAX_EVENT)
    world, digest = _world(top, cursor)
    rec = Recording(path, text, file, _int(top, "seed", -(2**63), 2**64 - 1), cursor, world, digest, writer,
                    _stopped(top, cursor))
    rec.breakpoints = _breakpoints(top)
    rec.bookmarks = _bookmarks(top)
    rec.choices = _choices(top, cursor)
    rec.hits = _hits(top, cursor)
    rec.hash_events, rec.fingerprints = _hashes(top, cursor)
    rec.log_block, rec.log_digests, rec.kinds = _log(top, cursor)
    return rec


def _world(top: dict[str, Any], cursor: int) -> tuple[dict[str, Any], str]:
    blob = _get(top, "world", bytes, "the packed world at the cursor")
    world = _unpack(blob, strict=False, what="world")
    digest = _str(top, "state_hash", 64)
    if not isinstance(world, dict) or world.get("events") != cursor:
        raise _Bad(f"world: expected the world at the cursor (event {cursor})")
    if state_hash(world) != digest:
        raise _Bad("world does not match its recorded state_hash (the file was modified or damaged)")
    return world, digest


def _stopped(top: dict[str, Any], cursor: int) -> Stop:
    st = _get(top, "stopped", dict, "a map with reason, event and breakpoint")
    reason = _str(st, "reason", 16, "stopped.")
    if reason not in STOP_REASONS:
        raise _Bad(f"stopped.reason: {reason!r} (expected one of: {', '.join(STOP_REASONS)})")
    bp = st.get("breakpoint")
    detail = st.get("detail")
    if not (bp is None or (isinstance(bp, str) and len(bp) <= 4000)):
        raise _Bad("stopped.breakpoint: expected a string or null")
    if not (detail is None or (isinstance(detail, str) and len(detail) <= 4000)):
        raise _Bad("stopped.detail: expected a string or null")
    return Stop(reason, _int(st, "event", 0, cursor, "stopped."), _int(top, "time_ns", 0, 2**63 - 1), bp,
                None, detail)


def _maps(top: dict[str, Any], field: str, limit: int, keys: str) -> list[tuple[str, dict[str, Any]]]:
    """The list ``field`` of maps (at most ``limit``), each with its path prefix for errors."""
    items = _get(top, field, list, f"a list of {field}")
    if len(items) > limit:
        raise _Bad(f"{field}: {len(items)} entries (expected at most {limit})")
    for i, b in enumerate(items):
        if not isinstance(b, dict):
            raise _Bad(f"{field}[{i}]: expected a map with {keys}")
    return [(f"{field}[{i}].", b) for i, b in enumerate(items)]


def _breakpoints(top: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(_str(b, "spec", 4000, where), bool(_get(b, "enabled", bool, "true or false", where)))
            for where, b in _maps(top, "breakpoints", MAX_BREAKPOINTS, "spec and enabled")]


def _bookmarks(top: dict[str, Any]) -> list[Bookmark]:
    out = []
    for where, b in _maps(top, "bookmarks", MAX_BOOKMARKS, "name, event and note"):
        name = _str(b, "name", 64, where)
        if not name.strip() or "\n" in name:
            raise _Bad(f"{where}name: expected a name on one line")
        out.append(Bookmark(name.strip(), _int(b, "event", 0, MAX_EVENT, where), _str(b, "note", 4000, where)))
    return out


def _unzip(top: dict[str, Any], key: str, what: str) -> Any:
    blob = _get(top, key, bytes, f"zlib-compressed msgpack ({what})")
    try:
        d = zlib.decompressobj()
        raw = d.decompress(blob, MAX_UNZIPPED)
        if d.unconsumed_tail or not d.eof:
            raise _Bad(f"{key}: truncated or larger than {MAX_UNZIPPED} bytes uncompressed")
    except zlib.error as e:
        raise _Bad(f"{key}: not zlib data ({e})") from None
    return _unpack(raw, strict=True, what=key)


def _choices(top: dict[str, Any], cursor: int) -> dict[int, int]:
    rows = _unzip(top, "choices", "event deltas and choices")
    if not (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, list) for r in rows)
            and len(rows[0]) == len(rows[1]) and all(type(x) is int and x >= 0 for r in rows for x in r)):
        raise _Bad("choices: expected two equal-length lists of non-negative integers")
    out: dict[int, int] = {}
    ev = 0
    for delta, choice in zip(rows[0], rows[1], strict=True):
        ev += delta
        if ev > cursor:
            raise _Bad(f"choices: a choice at event {ev}, after the cursor {cursor}")
        out[ev] = choice
    return out


def _hits(top: dict[str, Any], cursor: int) -> list[Hit]:
    rows = _unzip(top, "hits", "event, time, name, detail rows")
    if not isinstance(rows, list):
        raise _Bad("hits: expected a list of [event, time_ns, name, detail]")
    out = []
    for i, r in enumerate(rows):
        if not (isinstance(r, list) and len(r) == 4 and type(r[0]) is int and 1 <= r[0] <= cursor
                and type(r[1]) is int and isinstance(r[2], str) and isinstance(r[3], str)):
            raise _Bad(f"hits[{i}]: expected [event 1..{cursor}, time_ns, name, detail]")
        out.append(Hit(r[0], r[1], r[2], r[3]))
    return out


def _hashes(top: dict[str, Any], cursor: int) -> tuple[list[int], list[bytes]]:
    h = _get(top, "hashes", dict, "a map with events and fingerprints")
    evs = _get(h, "events", list, "a list of event indexes", "hashes.")
    fps = _get(h, "fingerprints", bytes, "16 bytes per event", "hashes.")
    if (len(evs) > MAX_HASH_POINTS or len(fps) != 16 * len(evs)
            or not all(type(e) is int and 0 <= e <= cursor for e in evs) or evs != sorted(set(evs))):
        raise _Bad(f"hashes: expected at most {MAX_HASH_POINTS} ascending events <= the cursor, 16 bytes each")
    return evs, [fps[i * 16:(i + 1) * 16] for i in range(len(evs))]


def _log(top: dict[str, Any], cursor: int) -> tuple[int, list[bytes], list[str]]:
    lg = _get(top, "log", dict, "a map with block, digests and kinds")
    block = _int(lg, "block", 1, MAX_EVENT, "log.")
    digests = _get(lg, "digests", bytes, "8 bytes per block", "log.")
    kinds = _get(lg, "kinds", list, "a list of event kind names", "log.")
    want = -(-cursor // block)
    if len(digests) != 8 * want or want > MAX_LOG_BLOCKS:
        raise _Bad(f"log.digests: expected {want} digests of 8 bytes for {cursor} events in blocks of {block}")
    if len(kinds) > 4096 or not all(isinstance(k, str) and len(k) <= 64 for k in kinds):
        raise _Bad("log.kinds: expected a list of event kind names")
    return block, [digests[i * 8:(i + 1) * 8] for i in range(want)], kinds
