"""hardening26: the leads hardening25 left (no default event cap for run and check, --time and --seed
accepting what they should not, tracker references in report --markdown, -o /dev/stdout, the TUI at
80 columns) and a fresh red team of the commands that read files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")


def _one_line(err: str, path: str | None = None, usage: bool = False) -> str:
    """The one line of an error: ``msidbg: FILE: ... (expected ...)``, or an argument's ``msidbg: CMD:
    argument ...`` (``usage``)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: " if path else "msidbg: "), err
    assert ("(see 'msidbg " if usage else "(expected ") in lines[0], err
    assert "Traceback" not in err
    return lines[0]


# --- numbers on the command line -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["1_0", "1__0", "_1", "0x10", "1e3", "١"])
def test_a_seed_is_plain_decimal_digits(seed: str) -> None:
    """``--seed 1_0`` ran seed 10: Python's int() reads '_' as a digit separator. The snapshot and
    every re-run command then said 10, not what was typed."""
    code, out, err = cli("run", SCN, "--headless", "--seed", seed)
    assert code == 2 and out == "", err
    line = _one_line(err, usage=True)
    assert "argument --seed" in line and "is not an integer in 0..2^63-1" in line, line


@pytest.mark.parametrize("option", ["--max-events", "--seed"])
def test_underscores_are_refused_by_every_integer_option(option: str) -> None:
    code, _, err = cli("run", SCN, "--headless", option, "10_000")
    assert code == 2 and f"argument {option}: '10_000' is not an integer" in _one_line(err, usage=True), err


@pytest.mark.parametrize("budget", ["999999999999999999999", "8d", "169h", "10081m", "604801",
                                    "1" + "0" * 400, "0." + "1" * 30])
def test_explore_time_is_bounded(budget: str) -> None:
    """``explore --time 999999999999999999999`` (3e13 years) was accepted."""
    for option in ("--time", "--shrink-time"):
        code, out, err = cli("explore", SCN, option, budget, "--runs", "1")
        assert code == 2 and out == "", err
        line = _one_line(err)
        assert f"{option}: " in line and "at most 7 days" in line and len(line) < 300, line


@pytest.mark.parametrize(("budget", "seconds"), [("604800", 604800.0), ("168h", 604800.0), ("1.5h", 5400.0),
                                                  ("500ms", 0.5)])
def test_explore_time_up_to_a_week_is_accepted(budget: str, seconds: float) -> None:
    from msidbg.scenario_timing import duration_s

    assert duration_s(budget, "--time") == seconds


# --- report --markdown: no pings, no issue references ----------------------------------------------------
REFS_ABOUT = ("cc @torvalds and @tglx-x, see #123, owner/repo#45, GH-7 and !12; labels ~bug ~\"a b\", "
              "%v1.0, $99 and &5; mail tglx@linutronix.de; https://lore.kernel.org/r/1@x.org (#1 in it)")


@pytest.fixture(scope="module")
def refs_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    from msidbg.debugger import Session

    folder = tmp_path_factory.mktemp("refs")
    lines = Path(SCN).read_text().split("\n")
    start = lines.index("about: |")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    scn = folder / "refs.yaml"
    scn.write_text("\n".join([*lines[:start], f"about: {json.dumps(REFS_ABOUT)}", *lines[end:]]))
    s = Session.from_scenario(str(scn))
    s.continue_()
    s.bookmark("ping", "ask @gregkh about #4242")
    s.save(str(folder / "refs.msgpack"))
    code, out, err = cli("report", str(folder / "refs.msgpack"), "--markdown")
    assert code == 0, err
    return out


def test_report_markdown_pings_no_one_and_references_no_issue(refs_report: str) -> None:
    """``@torvalds`` in a scenario's ``about:`` (or a bookmark note) was passed through: a tracker
    notified that user when the report was pasted, and ``#123`` put a back-reference into issue 123.
    The trackers find them in the rendered text (a backslash does not stop them): the rendered text
    now has a zero-width space after each sign, and reads the same."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("gfm-like").render(refs_report)
    text = re.sub(r"<[^>]+>", " ", html)
    import html as htmlmod

    text = htmlmod.unescape(text)
    for ref in ("@torvalds", "@tglx", "@gregkh", "#123", "repo#45", "#4242", "!12", "~bug", "%v1", "$99", "&5"):
        assert ref not in text, (ref, text[:2000])
    plain = text.replace("\u200b", "")
    for ref in ("@torvalds", "@tglx-x", "@gregkh", "#123", "owner/repo#45", "#4242", "!12", "~bug", "%v1.0", "$99",
                "&5", "tglx@linutronix.de"):
        assert ref in plain, (ref, plain[:2000])
    # the URL is still a link to exactly itself
    assert '<a href="https://lore.kernel.org/r/1@x.org">' in html
    assert max(len(ln) for ln in refs_report.splitlines()) <= 72


# --- -o /dev/stdout ---------------------------------------------------------------------------------------
def _sh(command: str, tmp_path: Path) -> tuple[int, bytes, bytes]:
    """``command`` in a shell, ``$MSIDBG`` being this tree's msidbg."""
    import os
    import shlex
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT), "MSIDBG": f"{shlex.quote(sys.executable)} -m msidbg.cli"}
    done = subprocess.run(["sh", "-c", command], env=env, cwd=tmp_path, capture_output=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def test_schema_to_dev_stdout_appends_where_the_shell_opened_it(tmp_path: Path) -> None:
    """``schema -o /dev/stdout >> log`` replaced the log by the schema (the path named the log
    file, which was replaced atomically); it is now written as ``-o -`` writes standard output."""
    (tmp_path / "log").write_text("earlier lines\n")
    code, out, err = _sh("$MSIDBG schema -o /dev/stdout >> log && $MSIDBG schema > plain", tmp_path)
    assert code == 0, err
    assert (tmp_path / "log").read_text() == "earlier lines\n" + (tmp_path / "plain").read_text()


@pytest.mark.parametrize("spelling", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_text_outputs_to_dev_stdout_reach_a_pipe(tmp_path: Path, spelling: str) -> None:
    """Into a pipe it was refused as "cannot create a file in /proc/N/fd: No such file or directory"."""
    code, out, err = _sh(f"$MSIDBG schema -o {spelling} | cat; $MSIDBG replay --scenario {SNAP} -o {spelling} | cat",
                         tmp_path)
    assert code == 0 and err == b"", err
    assert out.startswith(b'{\n  "$schema"') and out.endswith(Path(SCN).read_bytes())


@pytest.mark.parametrize(("command", "stream"), [
    (f"run {SCN} --save /dev/stdout", "standard output"), (f"export {SCN} --perfetto /dev/stdout", "standard output"),
    ("schema -o /dev/stderr", "standard error"), (f"report {SNAP} -o /dev/fd/2", "standard error")])
def test_binary_outputs_and_stderr_refuse_a_stream_before_the_work(tmp_path: Path, command: str, stream: str) -> None:
    """A snapshot or a trace is written beside its target and renamed into place: a stream cannot be
    (and --save /dev/stdout would mix the snapshot with the summary). Refused with one line, nothing
    run, nothing written."""
    code, out, err = _sh(f"$MSIDBG {command} | cat", tmp_path)
    target = command.split()[-1]
    assert out == b"" and code == 0, (out, err)   # (the pipe's status: cat's)
    line = _one_line(err.decode(), target)
    assert f"it names msidbg's {stream}, a stream, not a file" in line, line
    code, _, err = _sh(f"$MSIDBG {command} > /dev/null", tmp_path)
    assert code == 2, err


# --- a default event cap for run and check ---------------------------------------------------------------
STORM = """name: storm
cpus: 2
devices:
  eth0:
    bdf: "00:03.0"
    kind: nic
    msix: {table_size: 4}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 10000000, every: 1ns}
  - {at: 1ms, do: fire, dev: eth0, vector: 1, count: 10000000, every: 1ns}
  - {at: 1ms, do: fire, dev: eth0, vector: 2, count: 10000000, every: 1ns}
  - {at: 1ms, do: fire, dev: eth0, vector: 3, count: 10000000, every: 1ns}
expect:
  lost: {eth0: 0}
"""


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """The default cap cut to 3,000 events (the real one, 20,000,000, is a minute of running)."""
    from msidbg.debugger import headless

    monkeypatch.setattr(headless, "DEFAULT_MAX_EVENTS", 3000)
    return 3000


def test_the_default_cap_is_documented_and_bounded() -> None:
    from msidbg.debugger.headless import DEFAULT_MAX_EVENTS

    assert DEFAULT_MAX_EVENTS == 20_000_000
    assert "within 20,000,000 events" in (ROOT / "docs" / "debugger.md").read_text()


def test_run_stops_a_run_that_does_not_end_at_the_default_cap(tmp_path: Path, small_cap: int) -> None:
    """A valid scenario of 40,000,000 signals a nanosecond apart ran for hours: ``run --headless`` had
    no limit unless --max-events was given. It stops at the cap as --max-events stops it (reason
    ``limit``, exit 0), says so in one line and marks the JSON summary."""
    scn = tmp_path / "storm.yaml"
    scn.write_text(STORM)
    code, out, err = cli("run", str(scn), "--json")
    assert code == 0, err
    summ = json.loads(out)
    assert summ["stopped"] == {"reason": "limit", "event": small_cap, "breakpoint": None}
    assert summ["events"] == small_cap and summ["event_cap"] == small_cap
    line = _one_line(err, str(scn))
    assert "the run did not end within 3,000 events, the default cap" in line and "--max-events N" in line
    code, out, err = cli("run", str(scn), "--headless")
    assert code == 0 and f"stopped: limit at event {small_cap}" in out and "default cap" in _one_line(err)


def test_an_explicit_max_events_replaces_the_cap(tmp_path: Path, small_cap: int) -> None:
    scn = tmp_path / "storm.yaml"
    scn.write_text(STORM)
    code, out, err = cli("run", str(scn), "--json", "--max-events", "5000")
    assert code == 0 and err == "", err
    summ = json.loads(out)
    assert summ["events"] == 5000 and "event_cap" not in summ


def test_a_run_that_ends_within_the_cap_is_untouched(small_cap: int) -> None:
    code, out, err = cli("run", SCN, "--json")      # 121 events
    assert code == 0 and err == ""
    summ = json.loads(out)
    assert summ["stopped"]["reason"] == "end" and "event_cap" not in summ


def test_check_fails_a_run_the_cap_cut_instead_of_saying_ok(tmp_path: Path, small_cap: int) -> None:
    """``check`` on such a file never returned; cut, its ``expect: lost: {eth0: 0}`` would be judged on
    the counts of the cut -- 'ok' for an outcome no run reached."""
    scn = tmp_path / "storm.yaml"
    scn.write_text(STORM)
    code, out, err = cli("check", str(scn), SCN)
    assert code == 1 and err == "", err
    lines = out.splitlines()
    assert lines[0] == (f"FAIL {scn}: expect: not judged: the run did not end within 3,000 events, the default "
                        "cap; check --max-events N runs further")
    assert lines[1].startswith("ok ")
    code, out, _ = cli("check", str(scn), "--max-events", "2000")
    assert code == 1 and out == f"FAIL {scn}: expect: not judged: the run did not end within 2,000 events (--max-events)\n"
    code, out, _ = cli("check", SCN, "--max-events", "121")
    assert code == 0 and out.startswith("ok "), out
