"""The command line under hostile conditions: one-line errors, signals, closed pipes, special
files, save targets, internal errors (issue 11 items 6, 7, 9, 10, 11, 12; issue 15 items 9-11)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from msidbg import files, guard
from msidbg.debugger import Session
from msidbg.errors import SnapshotError
from tests.conftest import SCENARIOS
from tests.test_cli import GOOD, msidbg

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
EXE = str(Path(sys.executable).with_name("msidbg"))


def one_line(out: subprocess.CompletedProcess[str], code: int = 2) -> str:
    err = out.stderr
    assert out.returncode == code, (out.returncode, out.stdout, err)
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("msidbg: "), err
    return err.strip()


# --- item 10: one-line argument errors --------------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (("run", BUG, "--max-events", "abc"), "run: argument --max-events: 'abc' is not an integer"),
    (("run", BUG, "--max-events", "-1"), "out of range"),
    (("run", BUG, "--seed", "18446744073709551616"), "argument --seed: '18446744073709551616' is out of range"),
    (("run", BUG, "--seed", "9" * 5000), "argument --seed"),
    (("run", BUG, "--save", ""), "argument --save: an empty path (expected a file name)"),
    (("run",), "run: the following arguments are required: FILE.yaml"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "the following arguments are required: COMMAND"),
])
def test_argument_errors_are_one_line(args: tuple[str, ...], says: str) -> None:
    err = one_line(msidbg(*args))
    assert says in err and "--help" in err, err


def test_a_newline_in_a_path_cannot_split_the_message(tmp_path: Path) -> None:
    f = tmp_path / "a\nmsidbg: forged line.yaml"
    f.write_text("name: [unclosed\n")
    err = one_line(msidbg("run", str(f), "--headless"))
    assert "a\\nmsidbg: forged line.yaml" in err


def test_escape_shows_control_characters_and_keeps_text() -> None:
    assert guard.escape("eth0 → ok") == "eth0 → ok"
    assert guard.escape("a\x1b[2Jb\nc\td\x7f\u202e\udcff") == "a\\x1b[2Jb\\nc\\td\\x7f\\u202e\\udcff"


# --- issue 15 item 9: headless-only options imply --headless ---------------------------------------------------
def test_json_and_stop_at_break_without_headless_do_not_start_the_tui() -> None:
    out = msidbg("run", BUG, "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["scenario"] == "msix-write-while-unmasked"
    out = msidbg("run", BUG, "--stop-at-break")
    assert out.returncode == 1 and "stopped: breakpoint at event 26" in out.stdout


# --- issue 15 item 10: a closed pipe ------------------------------------------------------------------------------
def test_a_closed_stdout_ends_quietly_with_141() -> None:
    for args in (("run", BUG, "--headless"), ("run", BUG, "--headless", "--json")):
        r, w = os.pipe()
        os.close(r)  # the reader is gone before msidbg writes a byte
        p = subprocess.run([sys.executable, "-m", "msidbg.cli", *args], stdout=w, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=120, text=True)
        os.close(w)
        assert p.returncode == guard.EXIT_PIPE and p.stderr == "", (args, p.returncode, p.stderr)


# --- issue 15 item 11: the wrong command for the file -----------------------------------------------------------
def test_open_on_a_scenario_and_run_on_a_snapshot_say_which_command_to_use(tmp_path: Path) -> None:
    err = one_line(msidbg("replay", BUG))
    assert "text file, not a msidbg snapshot" in err and "msidbg run FILE" in err
    snap = tmp_path / "bug.msgpack"
    Session.from_scenario(BUG).save(str(snap))
    for cmd in ("run", "check"):
        err = one_line(msidbg(cmd, str(snap)))
        assert "is a msidbg snapshot, not a scenario" in err and "msidbg open FILE" in err


# --- item 9: check reports every file --------------------------------------------------------------------
def test_check_reports_every_file_and_exits_with_the_worst_status(tmp_path: Path) -> None:
    unarmable = tmp_path / "a.yaml"
    unarmable.write_text(GOOD + "breakpoints:\n  - irq-lost\n  - if nosuch.path == 1\nexpect: {lost: {eth0: 0}}\n")
    mismatch = tmp_path / "b.yaml"
    mismatch.write_text(GOOD + "expect: {lost: {eth0: 3}}\n")
    out = msidbg("check", str(unarmable), BUG, str(mismatch), str(tmp_path / "missing.yaml"))
    assert out.returncode == 2
    errs = out.stderr.splitlines()
    assert errs[0].startswith(f"msidbg: {unarmable}:10: breakpoints[1]: column 4 of 'if nosuch.path == 1': "
                              "unknown name 'nosuch' (expected "), errs
    assert errs[1].startswith(f"msidbg: {tmp_path / 'missing.yaml'}: cannot read") and len(errs) == 2
    assert out.stdout.splitlines() == [f"ok   {BUG}", f"FAIL {mismatch}: expected eth0 lost=3, got 0"]


def test_check_exit_1_when_the_worst_is_a_mismatch(tmp_path: Path) -> None:
    mismatch = tmp_path / "b.yaml"
    mismatch.write_text(GOOD + "expect: {lost: {eth0: 3}}\n")
    assert msidbg("check", str(mismatch), BUG).returncode == 1


# --- the --break caret: for people only ---------------------------------------------------------------------------
def test_break_caret_is_three_lines_on_a_terminal_and_one_line_otherwise(capsys: pytest.CaptureFixture[str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from msidbg import cli

    spec = 'if event.kind == "msix.write" and'
    err = one_line(msidbg("run", BUG, "--headless", "--break", spec))
    assert err.startswith(f"msidbg: run: argument --break: column {len(spec) + 1} of '{spec}': found the end of the expression "
                          "(expected a value") and err.endswith(")")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["run", BUG, "--headless", "--break", spec]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith(f"msidbg: run: argument --break: column {len(spec) + 1}: found the end of the expression (expected "
                               "a value") and lines[1] == f"    {spec}"
    assert lines[2] == " " * (4 + len(spec)) + "^" and len(lines) == 3
    assert cli.main(["run", BUG, "--json", "--break", spec]) == 2  # a --json run: one line even on a terminal
    assert len(capsys.readouterr().err.splitlines()) == 1


# --- exit 3: one line and a traceback file -----------------------------------------------------------------------
def test_an_internal_error_is_one_line_naming_a_file_with_the_traceback(capsys: pytest.CaptureFixture[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MSIDBG_DEBUG", raising=False)

    def broken(argv: object) -> int:
        return {}["\x1b[2Jno such key"]  # type: ignore[no-any-return]

    assert guard.run(broken, []) == guard.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err, err
    assert err.startswith("msidbg: internal error: KeyError: '\\x1b[2Jno such key' (a bug in msidbg; ")
    report = Path(err.split("the traceback is in ")[1].split(";")[0])
    text = report.read_text()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "msidbg 0." in text
    report.unlink()


# --- item 11: SIGINT ---------------------------------------------------------------------------------------------
def _sigint_default() -> None:
    """In the child before exec: SIGINT at its default disposition. A suite started as a background
    job of a non-interactive shell (``bash -c '... &'``) inherits SIGINT ignored, and msidbg, like
    Python, keeps an ignored SIGINT ignored: these tests are about msidbg's handler, not that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sigint_default_and_blocked() -> None:
    _sigint_default()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def test_sigint_that_arrived_during_start_up_is_one_line_and_130() -> None:
    """SIGINT blocked by the parent and sent at once stays pending until msidbg's handler is in place."""
    p = subprocess.Popen([EXE, "run", BUG, "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, preexec_fn=_sigint_default_and_blocked)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert (p.returncode, err, out) == (130, b"msidbg: interrupted\n", b"")


def test_sigint_during_a_long_run_is_one_line_and_130(tmp_path: Path) -> None:
    f = tmp_path / "long.yaml"
    f.write_text(GOOD.replace("count: 3, every: 2us", "count: 5000000, every: 2us"))
    p = subprocess.Popen([EXE, "run", str(f), "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL, preexec_fn=_sigint_default)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert (p.returncode, err, out) == (130, b"msidbg: interrupted\n", b"")


# --- item 7: special files are refused at once ---------------------------------------------------------------------
def test_a_fifo_and_dev_zero_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "bug.msgpack"
    os.mkfifo(fifo)
    for cmd in (("replay", str(fifo)), ("open", str(fifo)), ("replay", "/dev/zero"), ("run", str(fifo)),
                ("check", "/dev/zero"), ("report", str(fifo))):
        err = one_line(msidbg(*cmd))
        assert "cannot read: not a regular file" in err, err


# --- item 6: what --save replaces ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def session() -> Session:
    s = Session.from_scenario(BUG)
    s.step(30)
    return s


def test_save_refuses_a_device_fifo_or_directory_and_leaves_it(tmp_path: Path, session: Session) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (str(fifo), "/dev/null", str(tmp_path)):
        before = os.stat(target)
        with pytest.raises(SnapshotError, match="not a regular file") as e:
            session.save(target)
        assert "\n" not in e.value.oneline()
        after = os.stat(target)
        assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    err = one_line(msidbg("run", BUG, "--headless", "--save", "/dev/null"))
    assert err.startswith("msidbg: /dev/null: run: argument --save: cannot write: not a regular file")


def test_save_follows_a_symlink_and_keeps_mode_and_owner(tmp_path: Path, session: Session) -> None:
    real = tmp_path / "real.msgpack"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.msgpack"
    link.symlink_to(real.name)
    session.save(str(link))
    assert link.is_symlink() and os.readlink(link) == real.name
    assert stat.S_IMODE(real.stat().st_mode) == 0o640 and Session.open(str(link)).cursor == session.cursor
    if os.geteuid() == 0:  # as root: a file of another user stays that user's
        other = tmp_path / "other.msgpack"
        other.write_bytes(b"old")
        os.chown(other, 4321, 4321)
        os.chmod(other, 0o600)
        session.save(str(other))
        st = other.stat()
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (4321, 4321, 0o600)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["real.msgpack", "link.msgpack"]
                                                                + (["other.msgpack"] if os.geteuid() == 0 else []))


def test_save_refuses_to_change_the_owner_of_another_users_file(tmp_path: Path, session: Session,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "theirs.msgpack"
    target.write_bytes(b"old")

    def refuse(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    monkeypatch.setattr(os, "geteuid", lambda: target.stat().st_uid + 1)
    with pytest.raises(SnapshotError, match="belongs to user .* would make it yours"):
        session.save(str(target))
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["theirs.msgpack"]


# --- item 12: temporary files of killed writers ----------------------------------------------------------------------
def test_the_next_save_removes_temporary_files_left_by_killed_writers(tmp_path: Path, session: Session) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".bug.msgpack.{dead.pid}-0123abcd{files.TMP_SUFFIX}"
    left.write_bytes(b"x" * 1000)
    live = tmp_path / f".bug.msgpack.{os.getpid()}-89abcdef{files.TMP_SUFFIX}"  # a writer still running
    live.write_bytes(b"x")
    legacy_old = tmp_path / ".bug.msgpack.k2j4h5g6.tmp"
    legacy_old.write_bytes(b"x")
    os.utime(legacy_old, (time.time() - 7200, time.time() - 7200))
    legacy_new = tmp_path / ".bug.msgpack.a1b2c3d4.tmp"
    legacy_new.write_bytes(b"x")
    unrelated = tmp_path / ".notes.txt.tmp"
    unrelated.write_bytes(b"x")
    session.save(str(tmp_path / "other.msgpack"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, legacy_new.name, unrelated.name, "other.msgpack"])


def test_a_killed_save_leaves_a_temporary_file_that_the_next_save_removes(tmp_path: Path) -> None:
    code = ("import os, sys\nfrom msidbg.debugger import Session\nimport msidbg.files as f\n"
            f"s = Session.from_scenario({BUG!r}); s.step(10)\n"
            "real = os.replace\n"
            "def die(a, b):\n    os.kill(os.getpid(), 9)\n"
            "os.replace = die\n"
            f"s.save({str(tmp_path / 'bug.msgpack')!r})\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert [p.name.endswith(files.TMP_SUFFIX) for p in tmp_path.iterdir()] == [True]
    s = Session.from_scenario(BUG)
    s.save(str(tmp_path / "bug.msgpack"))
    assert [p.name for p in tmp_path.iterdir()] == ["bug.msgpack"]


@pytest.mark.parametrize("block", [lambda: guard.soft_interrupts(), lambda: guard.interrupts_call(lambda: None)])
def test_an_inherited_ignored_sigint_stays_ignored_inside_explore_and_the_tui_blocks(block: Any) -> None:
    """Started with SIGINT ignored (a background job of a shell, nohup), msidbg's CLI keeps it
    ignored (``guard.install``); so do the blocks explore and the TUI run in."""
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with block():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)
