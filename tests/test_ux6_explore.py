"""ux6: ``explore --save-failing`` never replaces a file that is not a snapshot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from msidbg.explore import explore
from msidbg.explore.report import snapshot_name
from msidbg.explore.runner import Signature
from tests.conftest import SCENARIOS

TORN = str(SCENARIOS / "explore-msi-torn.yaml")


def test_save_failing_keeps_a_file_of_the_same_name_that_is_not_a_snapshot(tmp_path: Path) -> None:
    """``run --save`` and the TUI refuse to replace a file that is not a snapshot; explore wrote
    its snapshot over it (a note, a scenario someone named after the failure)."""
    first = explore(TORN, runs=40, jobs=1, save_failing=str(tmp_path))
    saved = Path(first["failures"][0]["snapshot"])
    saved.write_text("my notes on this failure\n")
    again = explore(TORN, runs=40, jobs=1, save_failing=str(tmp_path))
    assert saved.read_text() == "my notes on this failure\n"
    other = Path(again["failures"][0]["snapshot"])
    assert other != saved and other.name.endswith("-2.msgpack") and other.read_bytes()[:1] >= b"\x80"


def test_an_earlier_snapshot_is_replaced(tmp_path: Path) -> None:
    sig = Signature("msi-torn-message", "xhci", "msi.msg")
    path = Path(snapshot_name(str(tmp_path), "t", 1, sig))
    assert path.name == "t-1-msi-torn-message-xhci.msgpack"
    path.write_bytes(b"\x8f\xa6format\xafmsidbg-snapshot")   # a snapshot's head: replaced as before
    assert Path(snapshot_name(str(tmp_path), "t", 1, sig)) == path


CHILD = """
import sys, threading
from msidbg.explore import explore, pool

real_run, real_once = pool.Workers.run, pool.run_once

def once(target, index, *args, **kw):
    if index >= pool.BATCH:             # the second worker's batch (the first's holds the baseline)
        threading.Event().wait()        # a run that never ends (in the worker process)
    return real_once(target, index, *args, **kw)

def run(self, tasks, batch=pool.BATCH, **kw):   # (kw: hardening30's deadline)
    for n, res in enumerate(real_run(self, tasks, batch, **kw)):
        yield res
        if n == 0 and res.index == 0:
            raise KeyboardInterrupt     # Ctrl-C once the baseline is in and the next runs started

pool.run_once, pool.Workers.run = once, run
result = explore(sys.argv[1], runs=20, jobs=2)
print(result["interrupted"], result["runs"])
"""


def test_ctrl_c_does_not_wait_for_the_runs_in_flight() -> None:
    """After Ctrl-C the workers went on with the runs they had, and explore (shrinking, then the
    exit) waited for them: on a scenario whose runs take a minute, nothing happened for a minute.
    Here a worker's run never ends: explore must still come back, with the baseline's result.
    (In a child process, forked workers inheriting the patched run; the timeout is a liveness
    guard, not a measurement: before, it never returned.)"""
    out = subprocess.run([sys.executable, "-c", CHILD, TORN], capture_output=True, text=True, timeout=300,
                         cwd=str(Path(__file__).resolve().parent.parent))
    assert out.returncode == 0 and out.stdout.split() == ["True", "1"], out.stderr[-2000:]
