"""expect22: ``expect: {not_started: [...]}`` (docs/scenario.md): the ``run:`` indexes a finished run never
started (the summary's ``not_started``), compared by ``msidbg check`` and by explore through ``summary.compare``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msidbg.scenario import ScenarioError, load_scenario_text
from tests.test_leads21 import _cli

HERE = Path(__file__).resolve().parent
HELD = HERE / "heldout_why6" / "w01-freesync-5p2.yaml"
LINE = "action 11 (do: request_irq on CPU3) never started (dev usb1; queued behind action 8, still running)"


def _stuck(tmp_path: Path, expect: str, breakpoints: bool = True) -> Path:
    """test_leads21's run: free_irq on CPU3 spins for ever (5.2 + sync_irq_chip_state), action 11 never starts."""
    text = HELD.read_text().replace('kernel: {version: "5.2"}', 'kernel: {version: "5.2", sync_irq_chip_state: true}')
    if not breakpoints:
        text = text.replace("breakpoints: [irq-lost, irq-spurious]\n", "")
    p = tmp_path / "stuck.yaml"
    p.write_text(text + "  - {at: 600us, on: 3, do: request_irq, dev: usb1, vector: 0}\nexpect:\n" + expect)
    return p


def test_check_passes_when_the_never_started_actions_match(tmp_path: Path) -> None:
    p = _stuck(tmp_path, "  not_started: [11]\n")
    c = _cli("check", str(p))
    assert c.returncode == 0, c.stdout + c.stderr
    assert c.stdout.strip() == f"ok   {p}; note: {LINE}"


def test_check_fails_when_every_action_was_expected_to_start(tmp_path: Path) -> None:
    p = _stuck(tmp_path, "  not_started: []\n")
    c = _cli("check", str(p))
    assert c.returncode == 1, c.stdout + c.stderr
    assert c.stdout.strip() == f"FAIL {p}: expected not_started=[], got [11]; note: {LINE}"


def test_check_passes_on_an_empty_list_when_every_action_started(tmp_path: Path) -> None:
    p = tmp_path / "fine.yaml"
    p.write_text(HELD.read_text() + "expect:\n  not_started: []\n")
    c = _cli("check", str(p))
    assert c.returncode == 0, c.stdout + c.stderr
    assert c.stdout.strip() == f"ok   {p}"


@pytest.mark.parametrize(("value", "message"), [
    ("[12]", "expect.not_started[0]: 12 is out of range (expected a list of run: indexes 0..11)"),
    ("[3, 3]", "expect.not_started[1]: 3 after 3 (expected distinct indexes in increasing order)"),
    ("[5, 2]", "expect.not_started[1]: 2 after 5 (expected distinct indexes in increasing order)"),
    ("[true]", "expect.not_started[0]: true is not an integer (expected a list of run: indexes 0..11)"),
    ("7", "expect.not_started: "),
])
def test_a_bad_not_started_is_a_one_line_error(tmp_path: Path, value: str, message: str) -> None:
    text = _stuck(tmp_path, f"  not_started: {value}\n").read_text()
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "stuck.yaml")
    line = err.value.oneline()
    assert "\n" not in line and message in line, line


def test_a_too_long_list_is_refused(tmp_path: Path) -> None:
    text = _stuck(tmp_path, "  not_started: [" + ", ".join(["0"] * 10_001) + "]\n").read_text()
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text, "stuck.yaml")
    assert "expect.not_started" in err.value.oneline()


def test_explore_fails_a_schedule_that_leaves_an_action_unstarted(tmp_path: Path) -> None:
    p = _stuck(tmp_path, "  not_started: []\n", breakpoints=False)
    r = _cli("explore", str(p), "--runs", "4", "--jobs", "1", "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    fail = json.loads(r.stdout)["failures"][0]
    assert fail["breakpoint"] == "expect:not_started"
    assert fail["detail"] == "expected not_started=[], got [11]"

