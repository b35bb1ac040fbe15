"""Opening a snapshot: restore its session and verify it by replay against what it recorded.

Verification re-runs the scenario from event 0 to the cursor and compares, in order of
precision: the event log (8-byte digests per block of events, block = 1 event for runs up to
16,384 events), the recorded choices and hits, the world fingerprints at the recorded
checkpoints (same msidbg version and snapshot format only: they depend on dict order), and the world at the cursor
(its canonical ``state_hash``, then a field-by-field diff). A difference is a DivergenceError
naming the first diverging event and the first differing world path; when another model revision
wrote the file (``msidbg.model.revision``; none recorded before snapshot format 5) it says so, and
what to do: that is an expected outcome of a model change, not damage.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from msidbg import __version__
from msidbg.debugger import breakpoints as bpmod
from msidbg.debugger.breakpoints import BreakpointError, Checker
from msidbg.debugger.motion import CHUNK, Stop
from msidbg.debugger.session import Session
from msidbg.debugger.snapread import recorded_scenario
from msidbg.debugger.snapshot import VERSION, Recording, from_le, le_bytes, read
from msidbg.errors import DivergenceError, SnapshotError
from msidbg.model.revision import MODEL
from msidbg.sim.events import all_kinds
from msidbg.sim.rec import MAPS, plain
from msidbg.sim.world import diff_paths, state_hash


def open_session(path: str, verify: bool = True, **opts: Any) -> Session:
    """A Session at the snapshot's cursor; see ``Session.open``."""
    rec = read(path)
    scn = recorded_scenario(rec)
    s = Session(scn, rec.seed, arm=False, schedule=rec.schedule, **opts)
    if s.eng.w["seed"] != rec.seed:
        raise SnapshotError("seed: does not match the world", path)
    for i, (spec, enabled) in enumerate(rec.breakpoints):
        try:
            s.enable_breakpoint(s.add_breakpoint(spec), enabled)
        except BreakpointError as e:
            # the column and the spec, as a scenario's breakpoints[i] and --break say it (hardening28)
            raise SnapshotError(e.message, path, caret=e.caret, field=f"breakpoints[{i}]") from None
    s._bookmarks = {b.name: b for b in rec.bookmarks}
    s.origin = rec.origin
    if verify:
        s._drive(g_replay(s, rec))
    else:
        _check_shape(s, rec)
        s._pending = rec
    st = rec.stopped
    bp_id = next((b.id for b in s.breakpoints if b.label == st.breakpoint), None)
    s.last_stop = Stop(st.reason, st.event, st.time_ns, st.breakpoint, bp_id, st.detail)
    return s


def _check_shape(s: Session, rec: Recording) -> None:
    """Without verification the stored world is shown as is: it must at least summarise, its text be
    printable (``unprintable``), and its INTx pins be pins (a hand-edited ``intx.pin: 0`` showed as pin
    D: ``"ABCD"[pin - 1]``)."""
    s._pending = rec
    names = set(s.scenario.devices)
    w = rec.world
    try:
        with recorded_world(rec.path, s):
            for where, part in (("devices", w["devices"]), ("acct", w["acct"]), ("kernel.pci", w["kernel"]["pci"])):
                # the world is built from the scenario: the same devices, no others (a missing one is
                # named by shape_error; one more was named by nothing, report's line or open's)
                extra = sorted(map(str, set(part) - names))
                if extra:
                    devices = f"its devices: {', '.join(sorted(names))}" if names else "none: the scenario has no devices"
                    raise shape_error(rec.path, s, what=f"{where}.{extra[0][:40]} is not a device of the scenario",
                                      expected=devices)
                if set(part) != names:
                    raise KeyError(where)
            # (not ``behaviour``: another model's switch values, shown escaped and clipped by design --
            # tests/test_snapshot_behaviour.py)
            odd = unprintable({k: v for k, v in w.items() if k != "behaviour"})
            if odd is not None:
                at, text = odd
                raise SnapshotError(f"world: {at}: {text[:40]!r}{'...' if len(text) > 40 else ''} holds a control "
                                    "or format character (expected printable text, as every world this msidbg "
                                    "builds has; the file was modified: try without --no-verify)", rec.path)
            for name, dev in w["devices"].items():
                pin = dev["intx"]["pin"] if dev.get("intx") is not None else 1
                if type(pin) is not int or not 1 <= pin <= 4:
                    raise SnapshotError(f"world: devices.{name}.intx.pin: {pin!r} is not an INTx pin "
                                        "(expected 1..4: INT A..D; the file was modified: try without --no-verify)",
                                        rec.path)
            s.summary()
    finally:
        s._pending = None


def unprintable(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first path (``devices.eth0.kind``) whose text -- a map key or a value -- holds a character
    a terminal acts on (ESC, a bidi override...), and that text; None when none does. A world this
    msidbg builds has names and words only; a stored world shown without verification went to the
    TUI's panes as it was: an ESC in a device's ``kind`` or a call stack's program was painted raw."""
    if isinstance(value, str):
        return None if value.isprintable() else (path or "world", value)
    if isinstance(value, MAPS):
        for k, v in value.items():
            sub = f"{path}[{k}]" if not isinstance(k, str) else (f"{path}.{k}" if path else k)
            if isinstance(k, str) and not k.isprintable():
                return (path or "world"), k
            found = unprintable(v, sub)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = unprintable(v, f"{path}[{i}]")
            if found is not None:
                return found
    return None


@contextmanager
def recorded_world(path: str, s: Session | None = None) -> Iterator[None]:
    """Around code that reads a world from a file not verified by replay (``--no-verify``): a
    world of another shape (a field missing, of another type) is a SnapshotError, one line, naming
    the first path where it differs from the world this msidbg builds (``s``: the session)."""
    try:
        yield
    except SHAPE_ERRORS:
        raise shape_error(path, s) from None


#: what reading a world of another shape raises
SHAPE_ERRORS = (KeyError, TypeError, IndexError, AttributeError, ValueError)


def shape_error(path: str, s: Session | None = None, stored: Any = None, what: str = "",
                expected: str = "") -> SnapshotError:
    """The one-line error for an unverified world this msidbg cannot read; with the session, it
    names the first path where the stored world differs in shape from the scenario's world at
    event 0 (a field missing, a list or a text where a number is...): it named none before.
    ``stored``: the stored world the reader failed on, when the session may have moved on (the
    TUI replays the history in the background: by the time a pane's error arrives the session's
    world can be the replayed one, and the path was left out of the line at random). ``what``: the
    path and what is wrong there, when the caller knows it (a device the scenario does not have),
    and ``expected`` what should be there instead."""
    if what:   # (it was 'world: PATH WHAT (expected: a, b): does not have the shape ...')
        return SnapshotError(f"world: {what} (expected {expected}; the file was modified or written by another "
                             "version: try without --no-verify)", path)
    where = ""
    if s is not None and not what:
        try:
            found = misshape(plain(s.eng.w), plain(s.world if stored is None else stored))
        except RecursionError:
            found = None
        if found is not None:
            where = f" {found[0]} {found[1]}:"
    return SnapshotError(f"world:{where} does not have the shape this msidbg expects (expected the world it builds "
                         "for the scenario; the file was modified or written by another version: try without "
                         "--no-verify)", path)


def misshape(ref: Any, got: Any, path: str = "") -> tuple[str, str] | None:
    """The first path (``devices.eth0.msix.latched``, ``cpus[1].irr[4]``) where ``got`` does not have
    the shape of ``ref`` -- a key of ``ref`` missing, a mapping, a list, a text or a number where
    ``ref`` has another kind -- and what is wrong there; None when nothing is. Values are not
    compared, nor ``None`` (optional fields) or lists past the shorter one (they grow)."""
    if ref is None or got is None:
        return None
    if _kind(ref) != _kind(got):
        return (path or "world"), f"is {_kind(got)}, not {_kind(ref)}"
    if isinstance(ref, dict):
        for k, v in ref.items():
            sub = f"{path}[{k}]" if not isinstance(k, str) else (f"{path}.{k}" if path else k)
            if k not in got:
                if isinstance(k, str):  # a field; a number key is an entry of a table, which may go
                    return sub, "is missing"
                continue
            found = misshape(v, got[k], sub)
            if found is not None:
                return found
    elif isinstance(ref, list):
        for i, (a, b) in enumerate(zip(ref, got, strict=False)):
            found = misshape(a, b, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, str):
        return "a text"
    if isinstance(v, (int, float)):
        return "a number"
    return f"a {type(v).__name__}"


def g_replay(s: Session, rec: Recording, unverified: bool = False) -> Generator[None, None, None]:
    """Re-run the scenario from event 0 to the cursor, checking it against the recording.

    ``unverified``: the history of a session opened without verification (``--no-verify``), replayed
    because a command needs it; a divergence then says what cannot be done rather than advising
    ``--no-verify``.

    The session's coarse checkpoints are taken at the recorded hash points, so each costs one
    pack that serves both as the checkpoint and as the fingerprint to compare. The recorded
    stop is recomputed at its event: the breakpoint it names must fire there with the same
    detail (a file's ``stopped`` is printed, so it must be what the replay says, not just text).
    """
    eng, tl = s.eng, s.timeline
    # fingerprints pack the world: another msidbg, or an older snapshot format (its world converted
    # on load, see snapread._world), packs differently
    same_version = rec.msidbg == __version__ and rec.version == VERSION
    points = dict(zip(rec.hash_events, rec.fingerprints, strict=True)) if same_version else {}
    tl.plan = sorted(points)
    tl.retarget()
    first_bad: list[tuple[int, int]] = []
    if 0 in points and tl.fps.get(0) != points[0]:
        first_bad.append((0, 0))
    st = rec.stopped
    stop_at = st.event if st.reason == "breakpoint" and st.event >= 1 else 0
    stop_problem: str | None = None
    try:
        if stop_at:
            yield from _advance(s, stop_at - 1, points, first_bad)
            if eng.cur == stop_at - 1 and not eng.w["ended"]:
                stop_problem = _replay_stop(s, st)
                _checkpoint(s, points, first_bad)
        yield from _advance(s, rec.cursor, points, first_bad)
    except DivergenceError:
        raise
    except Exception as e:  # noqa: BLE001 - a replay of a modified recording can break the model anywhere
        raise DivergenceError(f"replay failed at event {eng.cur}: {type(e).__name__}: {e}", rec.path) from None
    finally:
        tl.plan = []
        tl.retarget()
    if st.reason == "end" and st.event == rec.cursor and not eng.w["ended"]:
        stop_problem = "the recording says the run ended there; the replay has not"
    _judge(s, rec, first_bad, stop_problem, unverified)


def _advance(s: Session, upto: int, points: dict[int, bytes], first_bad: list[tuple[int, int]]
             ) -> Generator[None, None, None]:
    """Run straight to event ``upto`` (or the end), taking the planned checkpoints; yields per chunk."""
    eng, tl = s.eng, s.timeline
    while eng.cur < upto and not eng.w["ended"]:
        done = 0
        while done < CHUNK and eng.cur < upto:
            # run straight to the next checkpoint (or the chunk's end): no per-event test
            n = max(1, min(CHUNK - done, upto - eng.cur, tl.next_at - eng.cur))
            eng.advance(n)
            done += n
            if eng.w["ended"]:
                break
            _checkpoint(s, points, first_bad)
        yield


def _checkpoint(s: Session, points: dict[int, bytes], first_bad: list[tuple[int, int]]) -> None:
    eng, tl = s.eng, s.timeline
    if eng.cur >= tl.next_at:
        tl.on_event()
        cur = eng.cur
        if cur in points and not first_bad and tl.fps.get(cur) != points[cur]:
            prev = max((e for e in points if e < cur), default=0)
            first_bad.append((prev + 1, cur))


def _replay_stop(s: Session, st: Stop) -> str | None:
    """Execute the recorded stop's event with only its breakpoint armed; None if it fires there
    with the recorded detail, else what differs."""
    eng = s.eng
    label = st.breakpoint or ""
    try:
        bp = bpmod.parse(label, 0, set(eng.w))
    except BreakpointError:
        bp = None
    checker = Checker([bp], eng) if bp is not None else None
    watch = eng.call_watch
    if bp is not None:
        eng.call_watch = watch | bpmod.call_programs([bp])
    try:
        if checker is not None:
            checker.prime()
        eng.step()
        fired = checker is not None and checker.check() is not None
    finally:
        eng.call_watch = watch
    if not fired:
        return f"breakpoint {label!r} does not fire there"
    if checker is not None and checker.detail != st.detail:
        return f"its detail is {checker.detail!r}, not {st.detail!r}"
    return None


def _judge(s: Session, rec: Recording, first_bad: list[tuple[int, int]], stop_problem: str | None = None,
           unverified: bool = False) -> None:
    """Compare the replay with the recording; raise DivergenceError naming where it first differs."""
    eng = s.eng
    where: list[tuple[int, int]] = list(first_bad)
    if stop_problem is not None:
        where.append((rec.stopped.event, rec.stopped.event))
    reached = eng.w["events"]
    if reached < rec.cursor:
        where.append((reached + 1, reached + 1))
    where += _log_mismatch(eng.log, rec, reached)
    where += _first_diff(eng.choices, rec.choices, rec.cursor)
    mine = [(h.event, h.name, h.detail) for h in eng.hits if h.event <= rec.cursor]
    theirs = [(h.event, h.name, h.detail) for h in rec.hits]
    if mine != theirs:
        i = next((i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b), min(len(mine), len(theirs)))
        ev = min(x[0] for x in (mine[i:i + 1] + theirs[i:i + 1]))
        where.append((ev, ev))
    digest = state_hash(eng.w)
    if digest != rec.state_hash:
        where.append((reached, reached))
    if not where:
        return
    lo, hi = min(where)
    at = f"event {lo}" if lo == hi else f"an event in {lo}..{hi}"
    paths = diff_paths(rec.world, eng.w, limit=1)
    world = (f"first differing world path at the cursor (event {rec.cursor}): {paths[0]}" if paths
             else f"the world at the cursor (event {rec.cursor}) is the same")
    stop = (f"; the recorded stop at event {rec.stopped.event} does not replay: {stop_problem}"
            if stop_problem is not None else "")
    err = DivergenceError(f"replay diverged from the recording at {at}; {world}{stop}{other_model(rec, unverified)}",
                          rec.path)
    err.event, err.path = lo, paths[0] if paths else None  # type: ignore[attr-defined]
    err.model, err.other_model = rec.model, rec.model != MODEL  # type: ignore[attr-defined]
    raise err


def other_model(rec: Recording, unverified: bool = False) -> str:
    """The end of a divergence message when another model revision wrote the file: which, and
    what to do; empty for a file of this msidbg's model (a divergence there is damage or
    nondeterminism). ``unverified``: the file was opened with ``--no-verify`` already, and a
    command needed its history (the cause chain, a step back): that cannot be shown here."""
    if rec.model == MODEL:
        return ""
    here = f"this msidbg has model revision {MODEL}"
    show = ("opened without verification it shows only the recorded world at its cursor, not the history a "
            "cause chain or a step back needs" if unverified else "--no-verify shows the recorded world")
    rerun = (f"re-run its scenario with this msidbg to debug it here ('msidbg replay --scenario "
             f"{_quoted(rec.path)} -o BUG.yaml')" if unverified else "re-run its scenario with this msidbg to debug it here")
    if rec.model is None:
        return (f"; the file was written by an older model (msidbg {rec.msidbg}, snapshot format {rec.version}, "
                f"before model revisions were recorded; {here}) that behaves differently: {show}; {rerun}")
    if rec.model < MODEL:
        return (f"; the file was written by an older model (msidbg {rec.msidbg}, model revision {rec.model}; "
                f"{here}) that behaves differently: {show}; {rerun}")
    return (f"; the file was written by a newer model (msidbg {rec.msidbg}, model revision {rec.model}; {here}) "
            f"that behaves differently: open it with the msidbg that wrote it; {show}")


def _quoted(path: str) -> str:
    """``path`` as a shell word (a file name from the command line, escaped when printed)."""
    import shlex

    return shlex.quote(path)


def _log_mismatch(log: Any, rec: Recording, reached: int) -> list[tuple[int, int]]:
    names = [k.name for k in all_kinds()]
    recode = None
    if names[:len(rec.kinds)] != rec.kinds:
        # event kinds were renumbered since the file was written: compare each event under the
        # code its kind had then (a kind the file does not know cannot match)
        then = {name: i for i, name in enumerate(rec.kinds)}
        recode = [then.get(name, -1) for name in names]
    upto = min(reached, rec.cursor)
    block = rec.log_block
    for i, want in enumerate(rec.log_digests):
        a, b = i * block, min((i + 1) * block, rec.cursor)
        if b > upto:
            return [(a + 1, b)]
        rows = log.rows_bytes(a, b)
        if recode is not None:
            rows = _recode_kinds(rows, recode)
        if hashlib.sha256(rows).digest()[:8] != want:
            return [(a + 1, b)]
    return []


def _recode_kinds(rows: bytes, recode: list[int]) -> bytes:
    """``rows`` (``EventLog.rows_bytes``: little-endian int64 rows of time, kind, cpu, dev, a, b,
    c) with each event's kind code replaced by ``recode[code]``."""
    col = from_le("q", rows)
    n = len(recode)
    col[1::7] = array("q", [recode[k] if 0 <= k < n else -1 for k in col[1::7]])
    return le_bytes(col)


def _first_diff(mine: Mapping[int, int], theirs: Mapping[int, int], cursor: int) -> list[tuple[int, int]]:
    keys = sorted({k for k in mine if k <= cursor} | set(theirs))
    for k in keys:
        if mine.get(k) != theirs.get(k):
            return [(k, k)]
    return []
