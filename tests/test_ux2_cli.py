"""ux2: the command line at a terminal -- progress of long work, bad input told before the work."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from msidbg.cli import main
from msidbg.debugger import Session, progress
from tests.conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
STORM_TEXT = (ROOT / "tests" / "tui" / "fixtures" / "long-storm.yaml").read_text().replace("count: 400000",
                                                                                         "count: 1500")


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A storm of a few thousand events: several chunks of a Session command."""
    path = tmp_path_factory.mktemp("storm") / "storm.yaml"
    path.write_text(STORM_TEXT)
    return str(path)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def at_terminal(*args: str) -> tuple[int, str, str]:
    """``msidbg ARGS`` in this process with stderr a terminal: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), Terminal()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def every_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress line at every chance (no clock in the assertions)."""
    monkeypatch.setattr(progress, "EVERY_S", 0.0)


def test_a_session_command_reports_progress_inside_reporting_and_clears_it(every_tick: None, storm: str) -> None:
    stream = io.StringIO()
    with progress.reporting(stream):
        s = Session.from_scenario(storm)
        s.run()
        assert s.cursor > 2048
    text = stream.getvalue()
    assert "storm.yaml: 2,048 events, virtual time " in text, text
    assert text.endswith("\r\033[K")          # the line is gone before anything else is printed
    assert progress.active is None             # outside the block: nothing reports


@pytest.mark.parametrize("command", [["why", "S", "--path", "cpus[0].irr"], ["report", "S"], ["diff", "S", "S"]])
def test_long_commands_tell_a_terminal_how_far_they_have_got(every_tick: None, storm: str, command: list[str]) -> None:
    """why / diff / report ran whole scenarios (a diff of two 700k-event runs: 33 s) with nothing
    on the terminal; run --headless and explore already said how far they had got."""
    code, out, err = at_terminal(*[storm if a == "S" else a for a in command])
    assert code in (0, 1), err
    assert "events, virtual time" in err, err
    assert err.count("\r\033[K") >= 1 and not err.rstrip("\n").endswith("virtual time")


@pytest.mark.parametrize("command", [["why", "S", "--path", "cpus[0].irr", "--json"], ["diff", "S", "S", "--json"]])
def test_json_output_gets_no_progress(every_tick: None, storm: str, command: list[str]) -> None:
    code, out, err = at_terminal(*[storm if a == "S" else a for a in command])
    assert code in (0, 1)
    assert err == ""
    json.loads(out)


def test_export_says_what_it_wrote_on_its_own_line(every_tick: None, storm: str, tmp_path: Path) -> None:
    """The run before the trace tells its progress; the 'wrote' line comes after it is cleared."""
    out_file = tmp_path / "t.pftrace"
    code, _, err = at_terminal("export", "--perfetto", str(out_file), storm)
    assert "events, virtual time" in err
    assert code == 0 and out_file.stat().st_size > 0
    last = err.split("\r\033[K")[-1]
    assert last.startswith(f"wrote {out_file}: "), repr(err[-300:])


def test_diff_tui_without_a_terminal_fails_before_running_either_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """diff --tui ran both scenarios to the end, then said the TUI needs a terminal."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    missing = str(tmp_path / "missing.yaml")
    code, _, err = at_terminal("diff", "--tui", BUG, missing)
    assert code == 2
    # a bad file is told first, as run and open tell it (hardening20): still before either run
    assert err.startswith(f"msidbg: {missing}: cannot read: ") and "the TUI needs a terminal" not in err, err
    code, _, err = at_terminal("diff", "--tui", BUG, BUG)
    assert code == 2 and "the TUI needs a terminal" in err, err


@pytest.mark.parametrize("option", [["--depth", "5"], ["--window", "500us"]])
def test_run_refuses_schedule_options_the_ordered_schedule_ignores(option: list[str]) -> None:
    """run FILE --window 500us on a file without schedule: ran the ordered schedule, to the same
    state hash as without it, and said nothing."""
    code, out, err = at_terminal("run", BUG, "--headless", *option)
    assert code == 2 and out == ""
    assert err.strip() == (f"msidbg: {BUG}: run: argument {option[0]}: the run's schedule is ordered (expected --schedule "
                           "random, pct or delay, or a file whose schedule: is one)")
    code, out, _ = at_terminal("run", BUG, "--headless", "--schedule", "pct", *option)
    assert code == 0 and "state hash" in out


def test_why_errors_speak_as_the_user_typed() -> None:
    """'cpu[99]' was answered 'no [0x63]' (an index shown as a vector), and one hit was 'hits'."""
    snap = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")
    code, _, err = at_terminal("why", snap, "--path", "cpu[99].irr")
    assert code == 2 and "cpu has 2 entries, no [99] (expected an index 0..1)" in err, err
    code, _, err = at_terminal("why", snap, "--hit", "5")
    assert code == 2 and err.strip() == f"msidbg: {snap}: why: argument --hit: no hit 5: the run has 1 armed breakpoint hit (expected 0..0)"


def test_an_option_value_starting_with_a_dash_is_told_how_to_write_it() -> None:
    """'--window -1us' said only 'expected one argument': the user had given one."""
    code, _, err = at_terminal("explore", BUG, "--window", "-1us")
    assert code == 2
    assert err.strip() == ("msidbg: explore: argument --window: no value given (expected a time >= 0 and <= 1s: integer "
                           "ns, or like '10us', '1.5ms'; one starting with '-' as --window=VALUE) (see 'msidbg explore "
                           "--help')")
