"""explore13: held-out check of `msidbg explore` (tests/explore13/*.yaml are the held-out scenarios).

Ctrl-C while shrinking. With the default stop-at-first-failure the search ends as soon as a run
fails and shrinking starts at once, so that is where a user who finds it slow presses Ctrl-C
(pct's 66-deviation tear of tests/explore13/e01 took 238 replays, 21 s). That Ctrl-C went through
explore() and the CLI printed only 'msidbg: interrupted': the failing run found -- its seed, its
rerun command, its snapshot -- was lost. Now a first Ctrl-C while shrinking stops shrinking as
--shrink-time does (the fewest deviations found so far, ``shrink_stopped`` "interrupted"), the
group is still replayed, saved and reported, and msidbg exits 130; a second one aborts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.session import Session
from msidbg.explore import explore, report

HERE = Path(__file__).resolve().parent
E13 = HERE / "explore13" / "e13-nic-plain-2streams-k54.yaml"   # random finds the tear at run 3 (8 deviations)


def _ctrl_c_while_shrinking(monkeypatch: pytest.MonkeyPatch, at: tuple[int, ...]) -> None:
    """SIGINT (KeyboardInterrupt, as guard.soft_interrupts raises it) when the shrinking progress
    line is drawn for the n-th time, for each n in ``at``."""
    shrinking = report.Progress.shrinking
    calls = [0]

    def press(self: Any, *args: Any) -> None:
        calls[0] += 1
        shrinking(self, *args)
        if calls[0] in at:
            raise KeyboardInterrupt

    monkeypatch.setattr(report.Progress, "shrinking", press)


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_while_shrinking_keeps_the_failure_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        jobs: int) -> None:
    full = explore(str(E13), jobs=jobs)
    f0 = full["failures"][0]
    assert (f0["run"], f0["deviations_found"], f0["deviations"], f0["shrink_complete"]) == (3, 9, 2, True)   # (intx36: the failing run has one deviation more -- a step more per set-up -- and shrinks to the same 2)
    assert full["interrupted"] is False and full["interrupted_while"] is None
    _ctrl_c_while_shrinking(monkeypatch, (3,))     # the 1st draw is the recorded list's replay
    res = explore(str(E13), jobs=jobs, save_failing=str(tmp_path / "out"))
    assert res["interrupted"] is True and res["interrupted_while"] == "shrinking" and res["runs"] == 4
    f = res["failures"][0]
    assert (f["signature"], f["seed"], f["run"]) == (f0["signature"], f0["seed"], 3)
    assert f["shrink_complete"] is False and f["shrink_stopped"] == "interrupted"
    assert f0["deviations"] <= f["deviations"] <= f0["deviations_found"]
    snap = Session.open(f["snapshot"])      # verified by replay, and it lands on the failure
    assert snap.cursor == f["event"] and [h.name for h in snap.armed_hits()][-1] == "msi-torn-message"
    text = report.human(res)
    assert "interrupted (Ctrl-C) while shrinking" in text and "shrinking stopped early: Ctrl-C" in text


def test_ctrl_c_while_shrinking_on_the_cli_reports_and_exits_130(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    _ctrl_c_while_shrinking(monkeypatch, (2,))
    assert main(["explore", str(E13), "--jobs", "1"]) == 130
    out, err = capsys.readouterr()
    assert err == "msidbg: interrupted\n"
    assert "FAIL 1: msi-torn-message eth0 msi.msg" in out and "unshrunk: msidbg run" in out
    assert "shrinking stopped early: Ctrl-C" in out
    # a second Ctrl-C (here in the counterexample's replay, after the first stopped shrinking) aborts
    _ctrl_c_while_shrinking(monkeypatch, (2,))
    monkeypatch.setattr(report, "counterexample", _raise_interrupt)
    assert main(["explore", str(E13), "--jobs", "1"]) == 130
    out, err = capsys.readouterr()
    assert (out, err) == ("", "msidbg: interrupted\n")


def _raise_interrupt(*args: Any, **kw: Any) -> Any:
    raise KeyboardInterrupt
