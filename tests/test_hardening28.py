"""hardening28: export's trace bound (5,000,000 records held in memory) cut a run past it with an
error after minutes of work, while run/why/report/diff stopped at 20,000,000 events and went on;
arithmetic in a breakpoint condition said 'unexpected character'; fuzz findings; --help drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"msidbg: {path}: ") and "Traceback" not in err, err
    assert "(expected " in lines[0], err
    return lines[0]


# --- (1) export past its record bound ------------------------------------------------------------------------
def _trace(path: Path) -> list[tuple[int, int, str, tuple[int, ...], tuple[int, ...]]]:
    """The trace's track events: (timestamp, type, name, flows out, flows in)."""
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

    t = pb.Trace()
    t.ParseFromString(path.read_bytes())
    return [(p.timestamp, p.track_event.type, p.track_event.name, tuple(p.track_event.flow_ids),
             tuple(p.track_event.terminating_flow_ids)) for p in t.packet if p.HasField("track_event")]


def test_export_past_the_record_bound_writes_the_trace_up_to_it_and_says_so(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """It raised 'the trace would exceed 5000000 events (expected a shorter run; use --max-events)' after
    replaying those records (minutes), with no file named and no N to give, and wrote nothing -- while
    the run before it went on to 20,000,000 events, the cap the other commands stop at and work on. A
    trace that reaches the bound now ends at that event, exactly the trace '--max-events N' writes, and
    the one stderr line names N."""
    from msidbg.bugio import perfetto

    monkeypatch.setattr(perfetto, "MAX_RECORDS", 100)
    out = tmp_path / "cut.pftrace"
    code, stdout, err = cli("export", SCN, "--perfetto", str(out))
    assert (code, stdout) == (0, "")
    lines = err.splitlines()
    assert len(lines) == 2, err
    cut = lines[0]
    assert cut.startswith(f"msidbg: {SCN}: the trace reached 100 records, the most export holds in memory, at event "), cut
    assert cut.endswith(" or fewer)") and " of 122 (virtual time " in cut, cut
    n = int(cut.split("--max-events ")[1].split()[0])
    assert 30 < n < 122 and lines[1].startswith(f"wrote {out}: {n} events, "), err
    monkeypatch.setattr(perfetto, "MAX_RECORDS", 5_000_000)
    ref = tmp_path / "ref.pftrace"
    code, _, err2 = cli("export", SCN, "--perfetto", str(ref), "--max-events", str(n))
    assert code == 0 and err2.splitlines() == [lines[1].replace("cut.pftrace", "ref.pftrace")], err2
    assert _trace(out) == _trace(ref) and len(_trace(out)) >= 100


def test_export_within_the_bound_says_nothing_of_it(tmp_path: Path) -> None:
    out = tmp_path / "whole.pftrace"
    code, _, err = cli("export", SCN, "--perfetto", str(out))
    assert code == 0 and err.startswith(f"wrote {out}: 122 events, ") and len(err.splitlines()) == 1, err


# --- (1) arithmetic in a condition -----------------------------------------------------------------------------
ARITH = "is arithmetic, which conditions do not have (expected a comparison of the value itself, e.g. 'x > 2' for 'x + 1 > 3'"


@pytest.mark.parametrize(("spec", "col", "op"), [
    ("if cpu[0].irr_count + 1 > 2", 21, "+"), ("if +1 == 1", 4, "+"), ("if 1+2 == 3", 5, "+"),
    ("if cpu[0].irr_count * 2 > 1", 21, "*"), ("if cpu[0].irr_count ** 2 > 1", 21, "**"),
    ("if cpu[0].irr_count / 2 > 1", 21, "/"), ("if cpu[0].irr_count // 2 > 1", 21, "//"),
    ("if cpu[0].irr_count % 2 == 1", 21, "%"), ("if cpu[0].irr_count - 1 > 1", 21, "-"),
    ("if (cpu[0].irr_count -1) > 1", 22, "-"), ("if cpu[0].irr[0x31] - cpu[0].isr[0x31] == 0", 21, "-"),
])
def test_arithmetic_is_refused_by_name(spec: str, col: int, op: str) -> None:
    """'+' said 'unexpected character '+' (expected a name, a number, a quoted string, an operator or a
    bracket)' -- '+' is an operator to whoever typed it -- and 'x - 1' said 'found '-' (expected an operator
    (==, and, or, ...) or the end)'. The language has no arithmetic (docs/debugger.md): the message says so."""
    code, out, err = cli("run", SCN, "--headless", "--break", spec)
    assert (code, out) == (2, "")
    line = _one_line(err, "run: argument --break")
    assert line.startswith(f"msidbg: run: argument --break: column {col} of '{spec}': '{op}' {ARITH}"), line


@pytest.mark.parametrize("spec", ["if -1 == -1", "if event.dev == none and -(1) == -1", "watch devices.eth0.msix",
                                  "if [1, -2] == [1, -2]", "if ~0 != 0"])
def test_unary_minus_and_names_still_parse(spec: str) -> None:
    code, _, err = cli("run", SCN, "--headless", "--break", spec)
    assert code in (0, 1) and err == "", err


# --- (2) the command-line fuzzer's findings ---------------------------------------------------------------------
SNAP = str(Path(__file__).resolve().parent.parent / "snapshots" / "msix-write-while-unmasked.msgpack")


def _sealed(tmp_path: Path, change: dict[str, object], sub: str | None = None) -> str:
    import msgpack

    from msidbg.debugger import snapshot as snap

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False, strict_map_key=False)
    (doc[sub] if sub else doc).update(change)
    path = tmp_path / "bad.msgpack"
    path.write_bytes(snap.seal(doc))
    return str(path)


@pytest.mark.parametrize(("change", "sub", "says"), [
    ({"bookmarks": [7]}, None, "bookmarks[0]: an integer (expected a map with name, event and note)"),
    ({"bookmarks": [{"name": "a\nb", "event": 1, "note": ""}]}, None,
     "bookmarks[0].name: more than one line (expected a name on one line)"),
    ({"bookmarks": [{"name": " ", "event": 1, "note": ""}]}, None, "bookmarks[0].name: blank (expected a name on one line)"),
    ({"detail": 5}, "stopped", "stopped.detail: an integer (expected a string of at most 4000 characters, or null)"),
    ({"kinds": ["irq.entry", 1]}, "log", "log.kinds: [1] is an integer (expected a list of at most 4096 event kind "
                                         "names, each a string of at most 64 characters)"),
    ({"names": ["x" * 65]}, "hits", "hits.names: [0] is a string of 65 characters (expected at most 256 breakpoint names, each a "
                                   "string of at most 64 characters)"),
    ({"digests": b"x"}, "log", "log.digests: 1 bytes (expected 26 digests of 8 bytes for 26 events in blocks of 1)"),
    ({"msidbg": "x" * 5000}, None, "msidbg: too long: 5000 characters (expected at most 64)"),
    ({"columns": b"nope"}, "hits", "hits.columns: not zlib data: Error -3 while decompressing data: incorrect header "
                                   "check (expected zlib-compressed data)"),
])
def test_a_damaged_snapshot_field_says_what_is_wrong_then_what_was_expected(tmp_path: Path, change: dict[str, object],
                                                                             sub: str | None, says: str) -> None:
    """tests/fuzz_cli.py: a field of another type said only 'bookmarks[0]: expected a map with name, event
    and note', no what-is-wrong part and no '(expected ...)' (the contract's 'FILE: what is wrong
    (expected ...)'); 'too long (5000 characters, expected at most 64)' had its expectation inside the
    what; 'not zlib data (Error -3 ...)' none."""
    path = _sealed(tmp_path, change, sub)
    for argv in (("replay", path), ("report", path, "-o", str(tmp_path / "r.txt")),
                 ("export", path, "--perfetto", str(tmp_path / "t.pftrace"))):
        code, out, err = cli(*argv)
        assert (code, out) == (2, "")
        assert _one_line(err, path) == f"msidbg: {path}: {says}", err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.msgpack"]


def test_the_command_line_fuzzer_finds_nothing_in_a_few_dozen_cases() -> None:
    """A bounded run of tests/fuzz_cli.py (seeded: the same cases every time)."""
    from tests import fuzz_cli

    tally = fuzz_cli.fuzz(28, 40, hang=60)
    assert tally.cases == 40 and not tally.findings, [(f.case, f.argv, f.what) for f in tally.findings]
    assert sum(tally.codes.values()) == 40 and tally.codes.get("2", 0) >= 10, tally.codes


def test_a_stored_device_of_a_scenario_with_none_names_what_was_expected(tmp_path: Path) -> None:
    """A resealed snapshot whose scenario has no devices, its world one: 'world: devices.eth0 is not a device
    of the scenario (expected: ): does not have the shape ...' -- an empty expectation, then a second
    message after it."""
    import hashlib

    import msgpack

    from msidbg.debugger import snapshot as snap

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False, strict_map_key=False)
    text = "name: none\ncpus: 2\n"
    doc["scenario"].update(text=text, sha256=hashlib.sha256(text.encode()).hexdigest())
    doc["breakpoints"] = []
    path = tmp_path / "nodev.msgpack"
    path.write_bytes(snap.seal(doc))
    for cmd in ("replay", "report", "why"):
        code, out, err = cli(cmd, str(path), "--no-verify")
        assert (code, out) == (2, ""), err
        assert _one_line(err, str(path)) == (
            f"msidbg: {path}: world: devices.eth0 is not a device of the scenario (expected none: the scenario has no "
            "devices; the file was modified or written by another version: try without --no-verify)"), err


# --- (3) --help as the code does it -----------------------------------------------------------------------------
def test_what_if_budget_given_replaces_both_defaults_as_help_says() -> None:
    """why --help read 'at most N flipped runs (1..10000), or N seconds ...; default 120 runs and 300 s' and
    parse_budget's docstring 'the other bound keeps its default'; the code lifts the other bound to its
    maximum. The help now says so, and this pins it."""
    from msidbg.debugger.whatif import (
        DEFAULT_RUNS,
        DEFAULT_SECONDS,
        MAX_RUNS,
        MAX_SECONDS,
        Budget,
        parse_budget,
    )

    assert (Budget().runs, Budget().seconds) == (DEFAULT_RUNS, DEFAULT_SECONDS) == (120, 300.0)
    assert (parse_budget("40").runs, parse_budget("40").seconds) == (40, MAX_SECONDS)
    assert (parse_budget("90s").runs, parse_budget("90s").seconds) == (MAX_RUNS, 90.0)
    code, out, _ = cli("why", "--help")
    said = " ".join(out.split())
    assert code == 0 and "at most N flipped runs (1..10000) however long they take (up to a day), or N seconds " \
        '("90s", 1s..86400s) of up to 10000 runs' in said and "Default: 120 runs or 300 s, whichever comes first" in said


@pytest.mark.parametrize(("spec", "says"), [
    ("if x # y", "column 6 of 'if x # y': unexpected character '#' (expected a name, a number, a quoted string, "
                 "an operator or a bracket)"),
    ("watch cpus[0].irrr", "column 15 of 'watch cpus[0].irrr': cpus[0] has no field 'irrr' (expected one of: alloc, "),
])
def test_a_snapshots_bad_breakpoint_names_its_column_as_a_scenarios_does(tmp_path: Path, spec: str, says: str) -> None:
    """fuzz_cli: a snapshot's breakpoints[0] said 'breakpoints[0]: unexpected character '#' (...)', no column
    and no spec -- a scenario's breakpoints[i] and --break say 'column N of 'SPEC': ...' (hardening27)."""
    import msgpack

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False, strict_map_key=False)
    path = _sealed(tmp_path, {"breakpoints": [{"spec": spec, "enabled": True}, *doc["breakpoints"][1:]]})
    for argv in (("replay", path), ("report", path), ("diff", path, SCN), ("why", path, "--no-verify")):
        code, out, err = cli(*argv)
        assert (code, out) == (2, "")
        lines = err.splitlines()   # (the contract's form: '(expected one of: ...; did you mean 'irr'?)')
        assert len(lines) == 1 and lines[0].startswith(f"msidbg: {path}: breakpoints[0]: {says}"), err


# --- (1) every number an option takes, given a huge one --------------------------------------------------------
def _numeric_options() -> list[tuple[str, str]]:
    from msidbg import cli as cli_module

    parser = cli_module._parser(None)
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    out = []
    for name, sp in sub.choices.items():
        for a in sp._actions:
            numeric = getattr(a.type, "__name__", "") == "integer" or a.metavar in ("TIME", "BUDGET", "N|Ns")
            if a.option_strings and numeric:
                out.append((name, a.option_strings[-1]))
    return out


HUGE = ["999999999999999999999", "9" * 5000, "1e400", "-99999999999999999999", "0x" + "f" * 40]
#: what each command needs besides the option (a file, and what makes the option meaningful)
BASE = {"run": ["{scn}", "--headless"], "explore": ["{scn}", "--strategy", "pct"], "check": ["{scn}"],
        "report": ["{scn}"], "export": ["{scn}", "--perfetto", "{out}"], "serve": ["{scn}"], "why": ["{scn}"],
        "diff": ["{scn}", "{scn}"]}
EXTRA = {("run", "--depth"): ["--schedule", "pct"], ("run", "--window"): ["--schedule", "pct"],
         ("why", "--at"): ["--path", "cpu[0].online"], ("why", "--what-if-budget"): ["--what-if"]}


def test_every_numeric_option_is_found() -> None:
    assert len(_numeric_options()) == 26


@pytest.mark.parametrize(("cmd", "option"), _numeric_options())
def test_a_huge_number_for_any_numeric_option_is_one_line_naming_it(tmp_path: Path, cmd: str, option: str) -> None:
    """Every option taking a number or a duration, given 21 to 5,000 digits, a float overflow, a
    negative or a 160-bit hex: exit 2, one line naming the option and what it expected, nothing
    written, and at once (a number is refused by its length before it is converted)."""
    import time

    out = tmp_path / "t.pftrace"
    for value in HUGE:
        argv = [a.format(scn=SCN, out=out) for a in BASE[cmd]] + EXTRA.get((cmd, option), []) + [option, value]
        t0 = time.monotonic()
        code, stdout, err = cli(cmd, *argv)
        assert time.monotonic() - t0 < 2 and (code, stdout) == (2, ""), (argv, err)
        lines = err.splitlines()
        assert len(lines) == 1 and option in lines[0] and "expected" in lines[0] and len(lines[0]) < 400, (argv, err)
        assert lines[0].startswith("msidbg: ") and "Traceback" not in err
        assert not out.exists()


def test_replay_and_open_help_say_a_mail_is_read_as_it_is(tmp_path: Path) -> None:
    """open and replay read a mail holding a snapshot (report --inline), as report, export, why, diff and
    serve, whose --help say so; theirs said 'FILE.msgpack' and 'Open a snapshot (.msgpack)' only."""
    mail = tmp_path / "mail.txt"
    assert cli("report", SNAP, "--inline", "-o", str(mail))[0] == 0
    code, out, err = cli("replay", str(mail))
    assert code == 0 and out.startswith("scenario msix-write-while-unmasked: 26 events"), err
    for cmd in ("open", "replay"):
        code, out, _ = cli(cmd, "--help")
        assert code == 0 and "FILE.msgpack  a snapshot (.msgpack) or a mail holding one" in " ".join(out.split()) \
            or "a snapshot (.msgpack) or a mail holding one" in " ".join(out.split()), out
