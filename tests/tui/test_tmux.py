"""The real `msidbg run` in a real terminal (tmux): keys in, screen text out (capture-pane)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.tui.conftest import LATE, ROOT

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A detached tmux session running one command."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)) -> None:
        self.name = f"msidbg-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        # COLUMNS/LINES (which a tmux server started from a test run may pass on) would override
        # the pane's real size in Textual: drop them
        cmd = f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES {exports} {shlex.join(command)}"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(size[0]), "-y", str(size[1]),
                        cmd], check=True)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, *texts: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{texts} not on screen:\n{screen}")

    def alive(self) -> bool:
        return subprocess.run(["tmux", "has-session", "-t", self.name], capture_output=True).returncode == 0

    def close(self) -> None:
        """End the session and what it ran. tmux's SIGHUP alone left `msidbg open` processes behind on
        loaded CI machines (found after three CI runs): the pane's process group gets SIGKILL too."""
        out = subprocess.run(["tmux", "display-message", "-p", "-t", self.name, "#{pane_pid}"],
                             capture_output=True, text=True)
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            try:
                os.killpg(int(out.stdout.strip()), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@needs_tmux
def test_msidbg_run_in_a_real_terminal(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "msidbg").mkdir(parents=True)
    (config / "msidbg" / "keys.toml").write_text('[keys]\nstep = "n"\n')
    env = {"XDG_CONFIG_HOME": str(config), "TERM": "xterm-256color",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    term = Terminal([sys.executable, "-m", "msidbg.cli", "run", LATE], env)
    try:
        term.wait_for("event 0 / 0", "Vector table: eth0", "Local APICs", "Events")
        term.keys("c")
        screen = term.wait_for("event 26 / 26", "continue: breakpoint msix-write-unmasked", "│▶26 ")
        assert "entry=0 reg=addr_lo value=0xfee01004" in screen     # CPU0 as apic_flat addresses it (5.13, 2 CPUs)
        term.keys("b")
        term.wait_for("event 25 / 26", "step back")
        term.keys("n")                                   # rebound in keys.toml
        term.wait_for("event 26 / 26")
        term.keys("s")                                   # no longer bound
        time.sleep(0.3)
        assert "event 26 / 26" in term.screen()
        term.keys("q")
        deadline = time.monotonic() + 10
        while term.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not term.alive()
    finally:
        term.close()


def test_without_a_terminal_the_tui_refuses_in_one_line() -> None:
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "run", LATE], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "the TUI needs a terminal" in out.stderr


def test_open_on_a_scenario_is_refused_before_the_tui_starts() -> None:
    """``msidbg open scenario.yaml`` used to start the TUI, then end it with the error; a small
    file is now read before (here without a terminal: the file's error, not the terminal's)."""
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "open", LATE], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr == (f"msidbg: {LATE}: this is a text file, not a msidbg snapshot (expected a .msgpack "
                          "snapshot; run a scenario file with 'msidbg run FILE')\n")


SNAPSHOTS = sorted((ROOT / "snapshots").glob("*.msgpack"))


@needs_tmux
@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=[p.stem for p in SNAPSHOTS])
def test_open_shows_the_stopping_device_cpu_and_whole_explanation_at_100x30(snapshot: Path) -> None:
    """`msidbg open` on each shipped snapshot, in a 100x30 terminal: the status line names the
    device and CPU of the stopping event and holds the breakpoint's explanation, wrapped, whole."""
    from msidbg.debugger import Session
    from msidbg.tui import follow

    s = Session.open(str(snapshot), verify=False)
    stop = s.last_stop
    event = s.event(stop.event)
    assert event is not None and stop.detail
    where = follow.focus(s.world, event, _changes_at(s), stop.detail)
    assert where.device is not None and where.cpu is not None
    env = {"TERM": "xterm-256color", "XDG_CONFIG_HOME": "/nonexistent",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    term = Terminal([sys.executable, "-m", "msidbg.cli", "open", str(snapshot)], env, size=(100, 30))
    try:
        screen = term.wait_for(f"event {stop.event:,} / ", "q Quit", stop.detail.split()[-1], timeout=60)
        flat = " ".join(screen.split())
        assert f"{where.device} · CPU{where.cpu}" in flat, screen
        assert " ".join(stop.detail.split()) in flat, screen
    finally:
        term.close()


def _changes_at(s):  # type: ignore[no-untyped-def]
    """What the TUI highlights at the snapshot's cursor (the APIC bit the event changed)."""
    from msidbg.tui.driver import Driver

    d = Driver(s)
    d.settle()
    return d.changes()
