"""leads21: leftover leads of the session's lanes (docs/debugger.md, docs/model-baremetal.md).

1. An action queued on a CPU behind an action that never finished never starts; the run ended without a
   word about it (no event, no error, its device's signals never raised). The summary's ``not_started``
   (``--json``), the human summary's ``never started (N):`` and ``msidbg check``'s line now say so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from msidbg.debugger import Session
from tests.conftest import cpu_step_budget

HERE = Path(__file__).resolve().parent
HELD = HERE / "heldout_why6" / "w01-freesync-5p2.yaml"


def _stuck(tmp_path: Path, expect: str = "") -> Path:
    """test_spin_forever's run (5.2 given sync_irq_chip_state: free_irq on CPU3 spins on Remote IRR for ever),
    with one more action queued on CPU3 behind it."""
    text = HELD.read_text()
    assert 'kernel: {version: "5.2"}' in text
    text = text.replace('kernel: {version: "5.2"}', 'kernel: {version: "5.2", sync_irq_chip_state: true}')
    p = tmp_path / "stuck.yaml"
    p.write_text(text + "  - {at: 600us, on: 3, do: request_irq, dev: usb1, vector: 0}\n" + expect)
    return p


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "msidbg.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=HERE.parent)


def test_an_action_queued_behind_a_spin_for_ever_is_listed_as_never_started(tmp_path: Path) -> None:
    with cpu_step_budget(5_000):
        s = Session.from_scenario(str(_stuck(tmp_path)))
        stop = s.run()
    assert stop.reason == "end"
    summ = s.summary()
    assert summ["not_started"] == [{"action": 11, "do": "request_irq", "dev": "usb1", "cpu": 3, "at_ns": 600_000,
                                    "behind": 8}]
    assert s.world["actions"][8]["state"] == "running"     # free_irq, at its poll for ever
    # mid-run nothing is "never started": an action still queued there may yet start
    s.seek(10)
    assert s.summary()["not_started"] == []


def test_a_run_that_starts_every_action_lists_none(tmp_path: Path) -> None:
    with cpu_step_budget(50_000):
        s = Session.from_scenario(str(HELD))
        s.run()
    assert s.summary()["not_started"] == []


def test_the_headless_summary_and_check_say_so(tmp_path: Path) -> None:
    p = _stuck(tmp_path, "expect:\n  hit: [irq-lost]\n")
    line = "action 11 (do: request_irq on CPU3) never started (dev usb1; queued behind action 8, still running)"
    r = _cli("run", str(p), "--headless")
    assert r.returncode == 0, r.stderr
    assert f"never started (1):\n  {line}\n" in r.stdout
    j = _cli("run", str(p), "--headless", "--json")
    assert json.loads(j.stdout)["not_started"][0]["action"] == 11
    c = _cli("check", str(p))
    # the expect: matches (exit 0, the contract's meaning), and the line names the action that never ran
    assert c.returncode == 0, c.stdout + c.stderr
    assert c.stdout.strip() == f"ok   {p}; note: {line}"
