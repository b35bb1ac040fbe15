"""Reading a snapshot file from a stranger: digest, bounds, types and tamper checks, one line per error.

Opening checks the file's ``sha256`` before decoding anything, then decodes each field through
``bounded`` (structure, depth and memory checked before the C unpacker runs; one memory budget
for the whole file), never pickle, never eval; ``verify.py`` then re-runs the scenario to the
cursor. Older formats are read through the same bounds: version 1 (msidbg 0.1.0: no digest,
choices, hits and plans as zlib'd nested msgpack, ``_v1_payload``), versions 1 and 2 (no
``schedule``), versions 1 to 3 (the world's old agenda layout, converted on load by
``sim.scheduler.upgrade_world``) and versions 1 to 4 (no ``model``).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from typing import TYPE_CHECKING, Any

from msidbg import __version__
from msidbg.debugger import armour
from msidbg.debugger.bounded import Bad, Budget, decode, inflate, no_gc
from msidbg.debugger.session import Bookmark, Stop
from msidbg.debugger.snapformat import (
    CHOICE_COST,
    DIGEST_AT,
    FORMAT,
    HIT_COST,
    MAX_BOOKMARKS,
    MAX_BREAKPOINTS,
    MAX_DETAIL,
    MAX_EVENT,
    MAX_FILE_BYTES,
    MAX_HASH_POINTS,
    MAX_HIT_NAMES,
    MAX_LOG_BLOCKS,
    MAX_MODEL,
    MAX_SEED,
    MAX_WORLD_BYTES,
    STOP_REASONS,
    TRAILER,
    VERSION,
    Recording,
    from_le,
)
from msidbg.errors import MsidbgError, SnapshotError
from msidbg.files import FileProblem, check_size, read_regular, sniff
from msidbg.sim.rec import as_world
from msidbg.sim.scheduler import Hit, check_agenda, upgrade_world
from msidbg.sim.strategy import STRATEGIES, Plan, Schedule
from msidbg.sim.world import state_hash

if TYPE_CHECKING:
    from msidbg.scenario import Scenario

_VERSION_TEXT = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}", re.ASCII)


def read(path: str) -> Recording:
    """Read and validate ``path``: digest, bounds, types, tamper checks. Raises SnapshotError (one line)."""
    data = snapshot_bytes(path)
    try:
        budget = Budget()
        try:
            if not _is_map(data[0]):  # a snapshot is one msgpack map: do not decode what is not one
                raise Bad(f"not a msidbg snapshot (expected a msgpack map with format {FORMAT!r})")
            top = decode(data, "the file", budget, bins=True, max_len=MAX_HASH_POINTS)  # fields as bytes
        except Bad:
            _check_seal(data)  # damage under the digest: say so, rather than what it broke
            raise
        version, writer = _version(top)
        sealed = _check_seal(data)  # before any field is decoded or trusted
        if version >= 2 and not sealed:
            raise Bad("the file was modified, damaged or truncated: its sha256 entry is missing "
                      "(expected the file as msidbg wrote it)")
        return _recording(path, top, version, writer, budget)
    except Bad as e:
        raise SnapshotError(str(e), path) from None


def _is_map(first: int) -> bool:
    """True if ``first`` starts a msgpack map (fixmap, map 16, map 32)."""
    return 0x80 <= first <= 0x8F or first in (0xDE, 0xDF)


def recorded_scenario(rec: Recording) -> Scenario:
    """The snapshot's scenario text loaded as a scenario (bounded and checked like a file from a
    stranger: ``msidbg.yamlsafe``). Raises SnapshotError naming the line of the stored text."""
    from msidbg.scenario import load_scenario_text

    try:
        return load_scenario_text(rec.scenario_text, rec.scenario_file, recorded=True)
    except MsidbgError as e:
        at = f" (line {e.line} of {rec.scenario_file})" if e.line else ""
        raise SnapshotError(f"scenario{at}: {e.message}", rec.path) from None


def precheck(path: str) -> None:
    """What ``read`` would refuse that shows at once: a missing, special, empty or too large
    file, and a small text file holding no snapshot (a scenario). Raises SnapshotError (``read``
    checks the rest)."""
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("cannot read: not a regular file (expected a msidbg snapshot file)")
        check_size(info.st_size, MAX_FILE_BYTES)
    except FileProblem as e:
        raise SnapshotError(e.message, path) from None
    except OSError as e:
        raise SnapshotError(f"cannot read: {e.strerror or e} (expected a msidbg snapshot file)", path) from None
    if not info.st_size:
        raise SnapshotError("the file is empty (expected a msidbg snapshot)", path)
    if info.st_size <= PRECHECK_READ:
        snapshot_bytes(path)   # a small file (a scenario given to 'open'): read it now, it is quick


#: ``precheck`` reads files up to this size (a scenario YAML is far smaller; a snapshot that
#: small reads in milliseconds)
PRECHECK_READ = 1 << 20


def snapshot_bytes(path: str) -> bytes:
    """The file's snapshot bytes, not yet checked (unarmoured from a mail or text file); refuses an empty file or
    a text file that holds none (a scenario)."""
    data = _unarmour(_read_bytes(path), path)
    if not data:
        raise SnapshotError("the file is empty (expected a msidbg snapshot)", path)
    if sniff(data) == "text":
        if len(data) > PRECHECK_READ:   # too large to be a scenario (1 MiB): 'msidbg run' would refuse it too
            raise SnapshotError(f"a text file of {len(data)} bytes with no msidbg snapshot block in it (expected a "
                                "snapshot, or a mail holding the block 'msidbg report --inline' writes)", path)
        raise SnapshotError("this is a text file, not a msidbg snapshot (expected a .msgpack snapshot; "
                            "run a scenario file with 'msidbg run FILE')", path)
    return data


def _read_bytes(path: str) -> bytes:
    try:
        return read_regular(path, MAX_FILE_BYTES, "a msidbg snapshot file")
    except FileProblem as e:
        raise SnapshotError(e.message, path) from None


def _unarmour(data: bytes, path: str) -> bytes:
    """A mail, mbox or text file holding an armoured snapshot (``msidbg report --inline``): its bytes."""
    if data[:1] and _is_map(data[0]) or not armour.has_block(data):
        return data  # a msgpack map (a snapshot file) or no block: the msgpack reader says what is wrong
    try:
        return armour.extract(data, MAX_FILE_BYTES)
    except armour.ArmourError as e:
        raise SnapshotError(str(e), path) from None


def _check_seal(data: bytes) -> bool:
    """True if ``data`` ends with a ``sha256`` entry, which must then match every byte before it."""
    if len(data) <= DIGEST_AT or data[-DIGEST_AT:-32] != TRAILER:
        return False
    if hashlib.sha256(data[:-DIGEST_AT]).digest() != data[-32:]:
        raise Bad("the file was modified or damaged: its sha256 does not match its contents "
                  "(expected the file as msidbg wrote it)")
    return True


def _get(doc: dict[str, Any], key: str, typ: type | tuple[type, ...], what: str, where: str = "") -> Any:
    name = f"{where}{key}"
    if key not in doc:
        raise Bad(f"missing field {name!r} (expected {what})")
    v = doc[key]
    if not isinstance(v, typ) or (isinstance(v, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,))):
        raise Bad(f"{name}: {_kind(v)} (expected {what})")   # was "{name}: expected ...": no what-is-wrong part
    return v


def _kind(v: Any) -> str:
    """What a value from the file is, for an error (never the value itself: it may be huge)."""
    for typ, said in ((bool, "a boolean"), (int, "an integer"), (str, "a string"), (bytes, "bytes"),
                      (list, "a list"), (tuple, "a list"), (dict, "a map"), (float, "a floating-point value")):
        if isinstance(v, typ):
            return said
    return "null" if v is None else "a value of another type"


def _short_kind(v: Any) -> str:
    """``_kind``, a string with its length (it is wrong by being too long)."""
    return f"a string of {len(v)} characters" if isinstance(v, str) else _kind(v)


def _world_at(world: Any) -> str:
    """What a decoded world is, when it is not the world at the cursor."""
    if not isinstance(world, dict):
        return _kind(world)
    events = world.get("events")
    return f"the world at event {events}" if type(events) is int else "a map without its event count"


def _int(doc: dict[str, Any], key: str, lo: int, hi: int, where: str = "") -> int:
    v = _get(doc, key, int, f"an integer in {lo}..{hi}", where)
    if not lo <= v <= hi:
        raise Bad(f"{where}{key}: {v} is out of range (expected {lo}..{hi})")
    return int(v)


def _str(doc: dict[str, Any], key: str, limit: int, where: str = "") -> str:
    v = _get(doc, key, str, f"a string of at most {limit} characters", where)
    if len(v) > limit:
        raise Bad(f"{where}{key}: too long: {len(v)} characters (expected at most {limit})")
    return str(v)


def _version(top: Any) -> tuple[int, str]:
    """The format version and the writer's msidbg version; refuses what this msidbg cannot read."""
    if not isinstance(top, dict) or top.get("format") != FORMAT:
        raise Bad(f"not a msidbg snapshot (expected a msgpack map with format {FORMAT!r})")
    version = _int(top, "version", 0, 1 << 31)
    writer = _str(top, "msidbg", 64)
    if not _VERSION_TEXT.fullmatch(writer):
        raise Bad(f"msidbg: {writer!r} is not a version (expected a version like {__version__})")
    if version > VERSION:
        # (the writer's version is the file's word: 'open it with msidbg 0.1.0 or later' was told by
        # msidbg 0.1.0 itself of a forged or development file)
        raise Bad(f"snapshot format version {version} is newer than this msidbg {__version__} reads (expected "
                  f"format 1..{VERSION}; the file says msidbg {writer} wrote it: open it with that msidbg or a later one)")
    if version < 1:
        raise Bad(f"snapshot format version {version} is not supported (expected 1..{VERSION})")
    return version, writer


def _recording(path: str, top: dict[str, Any], version: int, writer: str, budget: Budget) -> Recording:
    scn = _get(top, "scenario", dict, "a map with file, text and sha256")
    text = _str(scn, "text", 1 << 20, "scenario.")
    sha = _str(scn, "sha256", 64, "scenario.")
    if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() != sha:
        raise Bad("scenario.text does not match scenario.sha256 (expected the text the digest was taken of; the file was "
                  "modified or damaged)")
    file = os.path.basename(_str(scn, "file", 255, "scenario.")) or "scenario.yaml"
    cursor = _int(top, "cursor", 0, MAX_EVENT)
    world, digest = _world(top, cursor, budget)
    stopped = _stopped(top, cursor)
    if stopped.time_ns != world.get("now"):
        raise Bad(f"time_ns: {stopped.time_ns} is not the world's time at the cursor (expected {world.get('now')}; "
                  "the file was modified or damaged)")
    rec = Recording(path, text, file, _int(top, "seed", 0, MAX_SEED), cursor, world, digest, writer,
                    stopped, version=version, model=_int(top, "model", 1, MAX_MODEL) if version >= 5 else None)
    rec.breakpoints = _breakpoints(top)
    rec.bookmarks = _bookmarks(top, cursor, bool(world.get("ended")))
    rec.choices = _choices(top, cursor, budget, version)
    rec.hits = _hits(top, cursor, budget, version)
    rec.hash_events, rec.fingerprints = _hashes(top, cursor)
    rec.log_block, rec.log_digests, rec.kinds = _log(top, cursor)
    if version >= 3:
        rec.schedule = _schedule(top, budget)
    return rec


def _world(top: dict[str, Any], cursor: int, budget: Budget) -> tuple[dict[str, Any], str]:
    blob = _get(top, "world", bytes, "the packed world at the cursor")
    if len(blob) > MAX_WORLD_BYTES:
        raise Bad(f"world: {len(blob)} bytes (expected at most {MAX_WORLD_BYTES})")
    world = decode(blob, "world", budget, int_keys=True)
    digest = _str(top, "state_hash", 64)
    if not isinstance(world, dict) or world.get("events") != cursor:
        raise Bad(f"world: {_world_at(world)} (expected the world at the cursor, event {cursor})")
    with no_gc():
        same = state_hash(world) == digest
    if not same:
        raise Bad("world does not match its recorded state_hash (expected the world the digest was taken of; the file was "
                  "modified or damaged)")
    try:
        if upgrade_world(world):    # an older world format (a snapshot before version 4)
            with no_gc():
                digest = state_hash(world)
        check_agenda(world)
    except ValueError as e:
        said = str(e)    # 'agenda: what is wrong (expected ...)': the damage said inside its parenthesis
        raise Bad(f"world.{said[:-1]}; the file was modified or damaged)" if said.endswith(")")
                  else f"world.{said} (the file was modified or damaged)") from None
    # its top level, CPUs, contexts and irq descriptors as records (sim/rec.py), as a world the
    # engine runs has them: code that reads the stored world before (or without) an install
    # (``--no-verify``, the summary) reads it as the model does
    return as_world(world), digest


def _stopped(top: dict[str, Any], cursor: int) -> Stop:
    st = _get(top, "stopped", dict, "a map with reason, event and breakpoint")
    reason = _str(st, "reason", 16, "stopped.")
    if reason not in STOP_REASONS:
        raise Bad(f"stopped.reason: {reason!r} (expected one of: {', '.join(STOP_REASONS)})")
    bp = st.get("breakpoint")
    detail = st.get("detail")
    for key, value in (("breakpoint", bp), ("detail", detail)):
        # a string too long was 'expected a string or null'
        if isinstance(value, str) and len(value) > 4000:
            raise Bad(f"stopped.{key}: too long: {len(value)} characters (expected at most 4000)")
        if not (value is None or isinstance(value, str)):
            raise Bad(f"stopped.{key}: {_kind(value)} (expected a string of at most 4000 characters, or null)")
    if (bp is None) != (reason != "breakpoint"):
        raise Bad(f"stopped.breakpoint: {'missing for' if bp is None else 'given with'} reason {reason!r} "
                  "(expected a breakpoint exactly when the reason is 'breakpoint')")
    return Stop(reason, _int(st, "event", 0, cursor, "stopped."), _int(top, "time_ns", 0, 2**63 - 1), bp,
                None, detail)


def _maps(top: dict[str, Any], field: str, limit: int, keys: str) -> list[tuple[str, dict[str, Any]]]:
    """The list ``field`` of maps (at most ``limit``), each with its path prefix for errors."""
    items = _get(top, field, list, f"a list of {field}")
    if len(items) > limit:
        raise Bad(f"{field}: {len(items)} entries (expected at most {limit})")
    for i, b in enumerate(items):
        if not isinstance(b, dict):
            raise Bad(f"{field}[{i}]: {_kind(b)} (expected a map with {keys})")
    return [(f"{field}[{i}].", b) for i, b in enumerate(items)]


def _breakpoints(top: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(_str(b, "spec", 4000, where), bool(_get(b, "enabled", bool, "true or false", where)))
            for where, b in _maps(top, "breakpoints", MAX_BREAKPOINTS, "spec and enabled")]


def _bookmarks(top: dict[str, Any], cursor: int, ended: bool) -> list[Bookmark]:
    """A bookmark may be ahead of the cursor (made before the user stepped back and saved: the
    replay reaches it by running on); not when the run ended at the cursor -- an event past the
    run's end (a hand-edited 10**9) was accepted by open, replay and report, which verify only
    up to the cursor, and going to it landed at the end with nothing said."""
    out = []
    for where, b in _maps(top, "bookmarks", MAX_BOOKMARKS, "name, event and note"):
        name = _str(b, "name", 64, where)
        if not name.strip() or "\n" in name:
            raise Bad(f"{where}name: {'more than one line' if chr(10) in name else 'blank'} (expected a name on one line)")
        event = _int(b, "event", 0, MAX_EVENT, where)
        if ended and event > cursor:
            raise Bad(f"{where}event: {event} is past the run's end (the run ended at the cursor, "
                      f"event {cursor}; expected 0..{cursor})")
        out.append(Bookmark(name.strip(), event, _str(b, "note", 4000, where)))
    return out


def _choices(top: dict[str, Any], cursor: int, budget: Budget, version: int) -> dict[int, int]:
    if version == 1:
        rows = _v1_payload(top, "choices", budget)
        if not (isinstance(rows, list) and len(rows) == 2 and all(isinstance(r, list) for r in rows)
                and len(rows[0]) == len(rows[1]) and all(type(x) is int and x >= 0 for r in rows for x in r)):
            raise Bad("choices: not two lists of one length holding non-negative integers only (expected two "
                      "equal-length lists of non-negative integers)")
        deltas, values = rows
    else:
        raw = inflate(_get(top, "choices", bytes, "zlib-compressed int64 columns"), "choices", 16 * cursor)
        if len(raw) % 16:
            raise Bad(f"choices: {len(raw)} bytes (expected 16 per recorded choice)")
        budget.charge(CHOICE_COST * (len(raw) // 16), "choices")
        col = from_le("q", raw)
        n = len(col) // 2
        deltas, values = col[:n], col[n:]
    out: dict[int, int] = {}
    ev = 0
    for delta, choice in zip(deltas, values, strict=True):
        ev += delta
        if delta < 0 or choice < 0 or ev > cursor or (out and delta == 0):
            raise Bad(f"choices: a choice at event {ev} (expected ascending events up to the cursor {cursor})")
        out[ev] = choice
    return out


def _hits(top: dict[str, Any], cursor: int, budget: Budget, version: int) -> list[Hit]:
    rows = _v1_hits(top, budget) if version == 1 else _hit_rows(top, cursor, budget)
    out = []
    for i, (event, time_ns, name, detail) in enumerate(rows):
        if not (type(event) is int and 1 <= event <= cursor and type(time_ns) is int and 0 <= time_ns < 2**63
                and isinstance(name, str) and len(name) <= 64 and isinstance(detail, str)
                and len(detail) <= MAX_DETAIL):
            raise Bad(f"hits[{i}]: a field out of range or of another type (expected [event 1..{cursor}, time_ns, "
                      f"name of at most 64 characters, detail of at most {MAX_DETAIL}])")
        out.append(Hit(event, time_ns, name, detail, i))    # (seq: its place in the run's hit list, as HitLog's)
    return out


def _hit_rows(top: dict[str, Any], cursor: int, budget: Budget) -> list[tuple[int, int, str, str]]:
    h = _get(top, "hits", dict, "a map with names, count and columns")
    names = _get(h, "names", list, "a list of breakpoint names", "hits.")
    count = _int(h, "count", 0, cursor * 64, "hits.")
    if len(names) > MAX_HIT_NAMES or not all(isinstance(n, str) and len(n) <= 64 for n in names):
        bad = next((i for i, n in enumerate(names) if not (isinstance(n, str) and len(n) <= 64)), None)
        what = f"{len(names)} names" if bad is None else f"[{bad}] is {_short_kind(names[bad])}"
        raise Bad(f"hits.names: {what} (expected at most {MAX_HIT_NAMES} breakpoint names, each a string of at most "
                  "64 characters)")
    budget.charge(HIT_COST * count, "hits")
    fixed = 22 * count
    raw = inflate(_get(h, "columns", bytes, "zlib-compressed hit columns", "hits."), "hits.columns",
                  fixed + 4 * MAX_DETAIL * count)
    if len(raw) < fixed:
        raise Bad(f"hits.columns: {len(raw)} bytes (expected at least {fixed} for {count} hits)")
    events, times = from_le("q", raw[:8 * count]), from_le("q", raw[8 * count:16 * count])
    which, sizes = from_le("H", raw[16 * count:18 * count]), from_le("I", raw[18 * count:fixed])
    if fixed + sum(sizes) != len(raw) or any(i >= len(names) for i in which):
        raise Bad(f"hits.columns: {len(raw)} bytes that do not match {count} hits with {len(names)} names (expected "
                  "the hit columns as msidbg writes them)")
    try:
        text = raw[fixed:].decode("utf-8")
    except UnicodeDecodeError:
        raise Bad("hits.columns: the details are not valid UTF-8 (expected UTF-8 text)") from None
    budget.charge(len(text), "hits")
    rows = []
    at = 0
    data = raw[fixed:]
    for event, time_ns, i, size in zip(events, times, which, sizes, strict=True):
        rows.append((event, time_ns, names[i], data[at:at + size].decode("utf-8")))
        at += size
    return rows


def _v1_payload(top: dict[str, Any], key: str, budget: Budget) -> Any:
    """A version-1 field: zlib of nested msgpack, bounded like every other field."""
    raw = inflate(_get(top, key, bytes, "zlib-compressed msgpack"), key, MAX_WORLD_BYTES)
    return decode(raw, key, budget)


def _v1_hits(top: dict[str, Any], budget: Budget) -> list[tuple[int, int, str, str]]:
    rows = _v1_payload(top, "hits", budget)
    if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 4 for r in rows):
        raise Bad("hits: not a list of 4-field rows (expected a list of [event, time_ns, name, detail])")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _hashes(top: dict[str, Any], cursor: int) -> tuple[list[int], list[bytes]]:
    h = _get(top, "hashes", dict, "a map with events and fingerprints")
    evs = _get(h, "events", list, "a list of event indexes", "hashes.")
    fps = _get(h, "fingerprints", bytes, "16 bytes per event", "hashes.")
    if (len(evs) > MAX_HASH_POINTS or len(fps) != 16 * len(evs)
            or not all(type(e) is int and 0 <= e <= cursor for e in evs) or evs != sorted(set(evs))):
        raise Bad(f"hashes: {len(evs)} events with {len(fps)} bytes of fingerprints, or events not ascending in 0..{cursor} "
                  f"(expected at most {MAX_HASH_POINTS} ascending events <= the cursor, 16 bytes each)")
    return evs, [fps[i * 16:(i + 1) * 16] for i in range(len(evs))]


def _log(top: dict[str, Any], cursor: int) -> tuple[int, list[bytes], list[str]]:
    lg = _get(top, "log", dict, "a map with block, digests and kinds")
    block = _int(lg, "block", 1, MAX_EVENT, "log.")
    digests = _get(lg, "digests", bytes, "8 bytes per block", "log.")
    kinds = _get(lg, "kinds", list, "a list of event kind names", "log.")
    want = -(-cursor // block)
    if len(digests) != 8 * want or want > MAX_LOG_BLOCKS:
        raise Bad(f"log.digests: {len(digests)} bytes (expected {want} digests of 8 bytes for {cursor} events in blocks "
                  f"of {block})")
    if len(kinds) > 4096 or not all(isinstance(k, str) and len(k) <= 64 for k in kinds):
        bad = next((i for i, k in enumerate(kinds) if not (isinstance(k, str) and len(k) <= 64)), None)
        what = f"{len(kinds)} entries" if bad is None else f"[{bad}] is {_short_kind(kinds[bad])}"
        raise Bad(f"log.kinds: {what} (expected a list of at most 4096 event kind names, each a string of at most "
                  "64 characters)")
    return block, [digests[i * 8:(i + 1) * 8] for i in range(want)], kinds


def _schedule(top: dict[str, Any], budget: Budget) -> Schedule:
    sch = _get(top, "schedule", dict, "a map with strategy, depth, window, horizon and plan")
    strategy = _str(sch, "strategy", 16, "schedule.")
    if strategy not in STRATEGIES:
        raise Bad(f"schedule.strategy: {strategy!r} (expected one of: {', '.join(STRATEGIES)})")
    plan = None
    if sch.get("plan") is not None:
        plan = _plan(_v1_payload(sch, "plan", budget))
    return Schedule(strategy, _int(sch, "depth", 0, 64, "schedule."), _int(sch, "window", 0, 10**9, "schedule."),
                    _int(sch, "horizon", 0, MAX_EVENT, "schedule."), plan)


def _plan(rows: Any) -> Plan:
    what = ("schedule.plan: not a list of plan steps, or a step of another form (expected a list of [at, action, "
            "ns], [jit, context, n, ns] or [sched, context, n, j, context, rank])")
    if not (isinstance(rows, list) and len(rows) <= 1 << 22):
        raise Bad(what)
    plan = Plan()
    for r in rows:
        kind = r[0] if isinstance(r, list) and r else None
        if kind == "at" and len(r) == 3 and _ints(r[1:], 0, MAX_EVENT):
            plan.add("at", r[1], r[2])
        elif kind == "jit" and len(r) == 4 and _ctx(r[1]) and _ints(r[2:3], 1, MAX_EVENT) \
                and _ints(r[3:], -(10**9), 10**9):
            plan.add("jit", (r[1], r[2]), r[3])
        elif kind == "sched" and len(r) == 6 and _ctx(r[1]) and _ints(r[2:4], 0, MAX_EVENT) and _ctx(r[4]) \
                and _ints(r[5:], 0, 1 << 16):
            plan.add("sched", (r[1], r[2], r[3]), (r[4], r[5]))
        else:
            raise Bad(what)
    return plan


def _ctx(v: Any) -> bool:
    return isinstance(v, str) and 0 < len(v) <= 64


def _ints(values: list[Any], lo: int, hi: int) -> bool:
    return all(type(v) is int and lo <= v <= hi for v in values)
