"""The TUI killed (SIGTERM) or hung up (SIGHUP) quits like 'q': the terminal is restored."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests.tui.conftest import LATE, ROOT

LEAVE_ALT_SCREEN = b"\x1b[?1049l"


def run_in_pty(args: list[str], ready: bytes, signum: int) -> tuple[int, bytes]:
    """Start msidbg on a pseudo-terminal, wait for ``ready`` on screen, send ``signum``: (exit status,
    everything written after the signal)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    p = subprocess.Popen([sys.executable, "-m", "msidbg.cli", *args], stdin=slave, stdout=slave, stderr=slave,
                         cwd=ROOT, env=env, start_new_session=True)
    os.close(slave)
    seen, after = b"", b""
    deadline = time.monotonic() + 60
    try:
        while ready not in seen and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                seen += os.read(master, 65536)
        assert ready in seen, seen[-2000:]
        p.send_signal(signum)
        while time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                after += chunk
            elif p.poll() is not None:
                break
        return p.wait(timeout=30), after
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_killed_tui_restores_the_terminal_and_says_so(signum: int) -> None:
    """Killed by default action, msidbg left the terminal in the alternate screen with mouse
    reporting on (and raw): the shell prompt came back into a garbled screen."""
    code, after = run_in_pty(["run", LATE], b"event 0 / 0", signum)
    assert code == 128 + signum
    assert LEAVE_ALT_SCREEN in after
    assert (b"msidbg: terminated" if signum == signal.SIGTERM else b"msidbg: hung up") in after
