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
    assert re.match(rf"msidbg: {re.escape(path)}(:\d+)?: " if path else "msidbg: ", lines[0]), err
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
    assert "argument --seed" in line and "is not an integer (expected an integer in 0..2^63-1)" in line, line


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
    code, out, _ = cli("check", SCN, "--max-events", "122")
    assert code == 0 and out.startswith("ok "), out


# --- red team: the commands that read files ----------------------------------------------------------------
SCENARIO_COMMANDS = [("run", "{f}", "--headless"), ("check", "{f}"), ("why", "{f}"), ("report", "{f}"),
                     ("diff", "{f}", SCN), ("diff", SCN, "{f}"), ("export", "{f}", "--perfetto", "{out}"),
                     ("explore", "{f}", "--runs", "2", "--jobs", "1")]
SNAPSHOT_COMMANDS = [("replay", "{f}"), ("replay", "--no-verify", "{f}"), ("replay", "--scenario", "{f}"),
                     ("open", "{f}"), ("why", "{f}"), ("report", "{f}"), ("diff", "{f}", SCN),
                     ("export", "{f}", "--perfetto", "{out}")]


def _refused_everywhere(path: Path, commands: list[tuple[str, ...]], says: str) -> None:
    """Every command refuses ``path`` with one line naming it, exit 2, and writes nothing."""
    out = path.parent / "never.pftrace"
    for command in commands:
        code, stdout, err = cli(*(a.format(f=path, out=out) for a in command))
        assert (code, stdout) == (2, ""), (command, code, stdout[:200], err)
        line = _one_line(err, str(path))
        assert says in line and len(line) < 600, (command, line)
        assert not out.exists()


@pytest.mark.parametrize(("name", "change"), [
    ("bom", lambda t: b"\xef\xbb\xbf" + t), ("crlf", lambda t: t.replace(b"\n", b"\r\n")),
    ("cr", lambda t: t.replace(b"\n", b"\r"))])
def test_a_scenario_with_a_bom_or_other_line_breaks_is_the_same_run(tmp_path: Path, name: str, change) -> None:  # type: ignore[no-untyped-def]
    """YAML allows a byte order mark and CR or CRLF line breaks (an editor on Windows, a mail
    client): the same scenario, the same run."""
    base = json.loads(cli("run", SCN, "--json")[1])
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(change(Path(SCN).read_bytes()))
    code, out, err = cli("run", str(path), "--json")
    assert code == 0 and err == "", err
    assert json.loads(out)["state_hash"] == base["state_hash"]


@pytest.mark.parametrize(("name", "change", "says"), [
    ("tabs", lambda t: t.replace(b"  ", b"\t"), "YAML syntax error: while scanning a block scalar, found a tab"),
    ("nul", lambda t: t[:200] + b"\0" + t[200:], "YAML syntax error: control characters are not allowed"),
    ("utf16", lambda t: t.decode().encode("utf-16"), "not valid UTF-8"),
    ("dupkey", lambda t: t + b"\ncpus: 4\n", "cpus: duplicate key (expected each key once; first at line 16)"),
    ("dupnested", lambda t: t.replace(b"    kind: nic\n", b"    kind: nic\n    kind: nvme\n"),
     "devices.eth0.kind: duplicate key (expected each key once"),
    ("laughs", lambda t: ("name: x\na: &a [" + ",".join(['"lol"'] * 9) + "]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9))).encode(),
     "YAML nodes, aliases counted at each use (expected a smaller file)"),
    ("deepflow", lambda t: b"name: x\nabout: " + b"[" * 5000 + b"]" * 5000 + b"\n", "exceeded maximum nesting depth"),
    ("deepmap", lambda t: b"name: x\nabout: " + b"{a: " * 3000 + b"1" + b"}" * 3000 + b"\n",
     "nested too deeply (expected at most 32 levels)"),
])
def test_a_hostile_scenario_is_one_line_for_every_command(tmp_path: Path, name: str, change, says: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(change(Path(SCN).read_bytes()))
    _refused_everywhere(path, SCENARIO_COMMANDS, says)


def test_a_100_mb_scenario_and_a_symbolic_link_loop_are_one_line_at_once(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:     # sparse: 100 MB that take no disk
        f.write(Path(SCN).read_bytes())
        f.seek(100 << 20)
        f.write(b"\n")
    _refused_everywhere(big, SCENARIO_COMMANDS, "file too large: 104857601 bytes (expected at most 1048576 bytes)")
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    _refused_everywhere(loop, SCENARIO_COMMANDS + SNAPSHOT_COMMANDS, "cannot read: Too many levels of symbolic links")


def _cuts(data: bytes) -> list[int]:
    """Where a partly written snapshot can end: every length up to 64 and in the last 64, the
    boundary of each top-level field (a key written, its value not), and a stride between."""
    import msgpack

    cuts = set(range(0, 65)) | set(range(len(data) - 64, len(data))) | set(range(0, len(data), 97))
    unpacker = msgpack.Unpacker(raw=True, strict_map_key=False)
    unpacker.feed(data)
    n = unpacker.read_map_header()
    for _ in range(n):
        cuts.add(unpacker.tell())
        unpacker.skip()
        cuts.add(unpacker.tell())
        unpacker.skip()
    return sorted(c for c in cuts if 0 <= c < len(data))


def test_a_partly_written_snapshot_is_one_line_wherever_it_ends(tmp_path: Path) -> None:
    """A snapshot cut at any point (a copy interrupted, a disk full, a mail truncated) is refused in
    one line: every length up to 64 bytes and in the last 64, every top-level field boundary, and
    every 97th byte between (the whole file, byte by byte, took 85 s and found nothing more)."""
    from msidbg.debugger import Session
    from msidbg.errors import MsidbgError

    data = Path(SNAP).read_bytes()
    cut = tmp_path / "cut.msgpack"
    seen = set()
    for n in _cuts(data):
        cut.write_bytes(data[:n])
        with pytest.raises(MsidbgError) as e:
            Session.open(str(cut), verify=False)
        line = e.value.oneline()
        assert "\n" not in line and "(expected " in line and len(line) < 400, (n, line)
        seen.add(line.split(": ", 2)[-1].split(" (")[0])
    assert seen == {"the file is empty", "the file: truncated"}, seen
    for n in (0, 1, len(data) // 2, len(data) - 1):
        cut.write_bytes(data[:n])
        _refused_everywhere(cut, SNAPSHOT_COMMANDS, "the file")


def _peak_rss_mb(*args: str) -> tuple[int, float, str]:
    import os
    import subprocess
    import sys

    # the child's own peak: VmHWM belongs to the address space exec made; ru_maxrss is inherited across
    # fork/exec, so in a long suite it read the pytest parent's peak (350 MB in CI) instead of the child's
    code = ("import re, sys\nfrom msidbg.cli import main\nrc = main(sys.argv[1:])\n"
            "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())\n"
            "print(int(hwm.group(1)) / 1024, rc)")
    done = subprocess.run([sys.executable, "-c", code, *args], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=300)
    rss, rc = done.stdout.split()[-2:]
    return int(rc), float(rss), done.stderr


def test_a_large_snapshot_is_read_once_not_twice(tmp_path: Path) -> None:
    """A snapshot file under the 256 MB limit was read a megabyte at a time and joined: a 200 MB file
    (a snapshot with garbage after it) took 440 MB before its one-line refusal. Read in one piece:
    the file's size and the interpreter."""
    big = tmp_path / "big.msgpack"
    with big.open("wb") as f:
        f.write(Path(SNAP).read_bytes())
        f.seek(200 << 20)
        f.write(b"\0")
    code, rss, err = _peak_rss_mb("replay", str(big))
    assert code == 2 and "bytes after the end of the document (expected nothing)" in err, err
    assert rss < 200 + 130, rss


def test_a_text_whose_block_starts_after_its_first_mib_is_a_snapshot_for_every_command(tmp_path: Path) -> None:
    """``replay`` and ``open`` read a text file (a saved thread, a log with the report pasted at its end)
    whose snapshot block comes after its first megabyte; ``why``, ``report``, ``diff`` and ``export``
    looked only at that megabyte, saw no block and called the file a scenario 'too large (expected at
    most 1048576 bytes)'. A file over a MiB cannot be a scenario. (A mail or an mbox is known by its
    headers at the start.)"""
    code, mail, _ = cli("report", SNAP, "--inline")
    assert code == 0
    box = tmp_path / "thread.txt"
    box.write_text("> earlier messages of the thread\n" * 40_000 + "\n" + mail)
    assert box.stat().st_size > 1 << 20
    for command in (("why", str(box)), ("report", str(box)), ("diff", str(box), SNAP), ("replay", str(box))):
        code, out, err = cli(*command)
        assert code == 0 and out, (command, err)
    code, out, err = cli("why", str(box))
    assert "msix-write-unmasked at event 26" in out


def test_a_large_text_file_without_a_block_is_not_told_to_run_as_a_scenario(tmp_path: Path) -> None:
    big = tmp_path / "notes.txt"
    big.write_text("hello world\n" * 100_000)
    for command in (("replay", str(big)), ("why", str(big)), ("report", str(big))):
        code, out, err = cli(*command)
        line = _one_line(err, str(big))
        assert code == 2 and "a text file of 1200000 bytes with no msidbg snapshot block in it" in line, line
        assert "msidbg run" not in line


# --- red team: snapshots of other revisions and formats ---------------------------------------------------
def _resealed(tmp_path: Path, name: str, change) -> Path:  # type: ignore[no-untyped-def]
    import msgpack

    from msidbg.debugger.snapshot import seal

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False)
    change(doc)
    path = tmp_path / f"{name}.msgpack"
    path.write_bytes(seal(doc))
    return path


def test_a_snapshot_of_a_newer_model_revision_whose_run_is_the_same_verifies_and_says_so(tmp_path: Path) -> None:
    """A file whose ``model`` is a revision this msidbg does not have (a newer one) is replayed like any
    other: it verifies when this model runs it the same (the format's rule since revision 1), and
    ``replay --scenario`` notes that a run of its YAML here may differ."""
    from msidbg.model.revision import MODEL

    path = _resealed(tmp_path, "newer", lambda d: d.update(model=MODEL + 50))
    assert cli("replay", str(path))[0] == 0
    code, out, err = cli("replay", "--scenario", str(path))
    assert code == 0 and out == Path(SCN).read_text()
    assert f"model revision {MODEL + 50}; this msidbg has model revision {MODEL}" in err


@pytest.mark.parametrize(("name", "change", "says"), [
    ("format6", lambda d: d.update(version=6),
     "snapshot format version 6 is newer than this msidbg 0.1.0 reads (expected format 1..5; the file says"),
    ("modelstr", lambda d: d.update(model="16"), "model: a string (expected an integer in 1..2147483648)"),
    ("seedlist", lambda d: d.update(seed=[1]), "seed: a list (expected an integer"),
])
def test_a_snapshot_field_of_the_wrong_kind_says_what_it_is_and_what_was_expected(tmp_path: Path, name: str,
                                                                                 change, says: str) -> None:  # type: ignore[no-untyped-def]
    """'model: expected an integer in 1..2147483648' said what was wanted, not what was wrong; a file of
    a newer format said 'open it with msidbg 0.1.0 or later' to msidbg 0.1.0 (the writer's version is
    the file's word)."""
    path = _resealed(tmp_path, name, change)
    _refused_everywhere(path, SNAPSHOT_COMMANDS, says)


# --- red team: what the command line echoes ---------------------------------------------------------------
@pytest.mark.parametrize("args", [("why", SCN, "--path", "a." * 5000), ("why", SCN, "--break", "(" * 10_000),
                                  ("run", SCN, "--break", "if " + "a." * 990)])
def test_a_huge_spec_is_not_echoed_whole(args: tuple[str, ...]) -> None:
    """A 10,000-character ``why --path`` was echoed twice in its one line (20 KB): the head of the
    error quotes 40 characters, the caret's 'at column N of' the 120 around the column."""
    code, out, err = cli(*args)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("msidbg: "), err[:300]
    assert len(err) < 500, len(err)
