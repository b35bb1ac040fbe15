"""The real `msidbg run` in a real terminal (tmux): keys in, screen text out (capture-pane)."""

from __future__ import annotations

import os
import shlex
import shutil
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
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


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
        screen = term.wait_for("event 23 / 23", "continue: breakpoint msix-write-unmasked", "│▶      23 ")
        assert "entry=0 reg=addr_lo value=0xfee00000" in screen
        term.keys("b")
        term.wait_for("event 22 / 23", "step back")
        term.keys("n")                                   # rebound in keys.toml
        term.wait_for("event 23 / 23")
        term.keys("s")                                   # no longer bound
        time.sleep(0.3)
        assert "event 23 / 23" in term.screen()
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
