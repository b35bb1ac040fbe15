"""hardening18: the command line at a terminal and under hostile input, as a demanding user and a
stranger use it."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from msidbg.debugger import progress
from tests.test_ux2_cli import STORM_TEXT, at_terminal

EXE = str(Path(sys.executable).with_name("msidbg"))


@pytest.fixture
def storm(tmp_path: Path) -> str:
    path = tmp_path / "storm.yaml"
    path.write_text(STORM_TEXT + "expect:\n  probe: {eth0: ok}\n")   # check runs a file with expect:
    return str(path)


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 30-column terminal and a progress line at every chance (no clock in the assertions)."""
    monkeypatch.setenv("COLUMNS", "30")
    monkeypatch.setattr(progress, "EVERY_S", 0.0)


@pytest.mark.parametrize("command", [["run", "S", "--headless"], ["check", "S"]])
def test_run_and_check_progress_fits_a_narrow_terminal_and_names_the_file(narrow: None, storm: str,
                                                                          command: list[str]) -> None:
    """``run --headless`` and ``check`` drew their own progress line, never cut to the terminal's
    width: at 30 columns each update wrapped and scrolled a stale copy ('  960,000 events, virtual
    time' / ' 0.700970500s'), which progress.py's line (why, diff, report, replay) no longer did;
    and ``check a.yaml b.yaml`` did not say which file it was running."""
    code, out, err = at_terminal(*[storm if a == "S" else a for a in command])
    assert code == 0, err
    drawn = [part.removeprefix("\033[K") for part in err.split("\r") if part.removeprefix("\033[K")]
    assert drawn, repr(err)
    assert all(len(line) <= 29 for line in drawn), drawn
    assert all(line.startswith("  storm.yaml: ") for line in drawn), drawn
    assert err.endswith("\r\033[K")    # cleared before the summary


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    got = b""
    end = time.monotonic() + timeout
    while needle not in got and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    return got


def test_ctrl_c_clears_the_progress_line_before_its_one_line(tmp_path: Path) -> None:
    """At a terminal, Ctrl-C during a long ``why`` left the progress line and appended the message
    to it: '  long.yaml: 512,512 events, virtual time 0.374675500s^Cmsidbg: interrupted'."""
    f = tmp_path / "long.yaml"
    f.write_text(STORM_TEXT.replace("count: 1500", "count: 5000000"))
    master, slave = pty.openpty()
    env = dict(os.environ, COLUMNS="200")
    p = subprocess.Popen([EXE, "why", str(f)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
                         env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(slave)
    try:
        seen = _read_until(master, b"events, virtual time", 120)
        assert b"events, virtual time" in seen, seen
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 130
        rest = seen + _read_until(master, b"interrupted\r\n", 10)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    assert rest.endswith(b"\r\033[Kmsidbg: interrupted\r\n"), rest[-200:]
    assert p.stdout is not None and p.stdout.read() == b""


# --- the key bindings file ($MSIDBG_KEYS, ~/.config/msidbg/keys.toml), read by run, open, diff --tui, serve ----
@pytest.mark.parametrize("name, text", [
    ("keys.json", "[" * 60_000),
    ("keys.toml", "step = " + "[" * 60_000),
], ids=["json-arrays", "toml-arrays"])
def test_a_deeply_nested_key_file_is_one_line_not_an_internal_error(tmp_path: Path, name: str, text: str) -> None:
    """json.loads and tomllib recurse per nested array: a 60 KB key file of '[' was 'internal error:
    RecursionError' (exit 3) for run and open."""
    from msidbg.errors import MsidbgError
    from msidbg.tui import keys

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(MsidbgError) as e:
        keys.load_keymap(path)
    line = e.value.oneline()
    assert line.startswith(f"msidbg: {path}: ") and "\n" not in line, line
    assert "nested too deeply" in line, line


def test_a_key_file_that_is_a_fifo_is_refused_without_reading(tmp_path: Path) -> None:
    """MSIDBG_KEYS naming a FIFO hung 'msidbg run' before the TUI (and /dev/zero read until memory ran
    out): the key file is read as any other input, a regular file of at most 64 KiB."""
    from tests.conftest import SCENARIOS

    fifo = tmp_path / "keys.toml"
    os.mkfifo(fifo)
    out = subprocess.run([EXE, "run", str(SCENARIOS / "msix-write-while-unmasked.yaml")], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=60, env=dict(os.environ, MSIDBG_KEYS=str(fifo)))
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == (f"msidbg: {fifo}: key bindings file: cannot read: not a regular file (expected a TOML or "
                          "JSON key bindings file)\n")


# --- a snapshot that diverges on replay: the exit statuses the help promises ---------------------------------
@pytest.fixture
def diverging(tmp_path: Path) -> Path:
    """A snapshot whose stored world (resealed, state_hash too) is not the one its replay reaches."""
    import msgpack

    from msidbg.debugger import Session
    from msidbg.debugger import snapshot as snap
    from msidbg.sim.world import pack_world, state_hash, unpack_world
    from tests.conftest import SCENARIOS

    s = Session.from_scenario(str(SCENARIOS / "msix-write-while-unmasked.yaml"))
    s.continue_()
    good = tmp_path / "good.msgpack"
    s.save(str(good))
    doc = msgpack.unpackb(good.read_bytes(), raw=False)
    w = unpack_world(doc["world"])
    w["cpus"][0]["tpr"] = 0x10
    doc["world"], doc["state_hash"] = pack_world(w), state_hash(w)
    path = tmp_path / "diverged.msgpack"
    path.write_bytes(snap.seal(doc))
    return path


def test_diff_of_a_snapshot_that_diverges_is_bad_input_not_a_different_outcome(diverging: Path) -> None:
    """diff's exit 1 is 'the outcomes differ': a snapshot of another model revision (its replay
    diverges, nothing is compared) exited 1 too, so 'msidbg diff old.msgpack new.yaml || regression'
    read it as a changed outcome. It is a file diff cannot use: exit 2, one line, nothing on stdout."""
    good = str(diverging.with_name("good.msgpack"))
    for args in ([str(diverging), good], [good, str(diverging), "--json"]):
        code, out, err = at_terminal("diff", *args)
        assert (code, out) == (2, ""), (code, err)
        assert err.startswith(f"msidbg: {diverging}: replay diverged from the recording") and err.count("\n") == 1


def test_why_help_names_the_status_of_a_diverging_snapshot(diverging: Path) -> None:
    """'msidbg why --help' said 'Exit 0; 2 on bad input': a diverging snapshot exits 1."""
    code, _, _ = at_terminal("why", str(diverging))
    help_code, text, _ = at_terminal("why", "--help")
    assert help_code == 0 and code == 1
    assert "1 when a snapshot's replay diverges" in " ".join(text.split())


def test_why_on_a_snapshot_without_a_hit_says_so_before_replaying_it(storm: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """'msidbg why FILE' (no --hit, --event or --path) explains the snapshot's stop or its first armed hit.
    A snapshot whose recording has neither was replayed to its cursor first -- 46 s for a 3-million-event
    storm -- and only then refused. Its recording says so: refused at once, the same line."""
    from msidbg.debugger import Session

    s = Session.from_scenario(storm)
    s.run()
    assert not s.hits() and s.last_stop.reason == "end"
    snap = tmp_path / "storm.msgpack"
    s.save(str(snap))
    monkeypatch.setattr(progress, "EVERY_S", 0.0)     # a replay would draw a progress line
    code, out, err = at_terminal("why", str(snap))
    assert (code, out) == (2, "")
    assert err == (f"msidbg: {snap}: no armed breakpoint hit in this run (expected a run that stopped at a "
                   "breakpoint or hit an armed one: arm one with --break NAME, or ask --event N or --path P)\n")
    code, out, err = at_terminal("why", str(snap), "--event", "5")   # a target it can have: replayed, explained
    assert code == 0 and "#5 " in out, err
