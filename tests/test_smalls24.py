"""smalls24: small leads left by other lanes (records, diff wording, TUI time unit and kind column)."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import resolve


def _record(name: str) -> bh.Switch:
    return next(s for s in bh.rows() if s.name == name)


def test_emuirq_record_cites_the_mainline_commit_and_its_stable_copy() -> None:
    # xenleads22 moved the bind-time emuirq (0596edb27f, 4.1.2) to its own row, xen_pt_emuirq_at_map
    (c41, c42) = _record("xen_pt_emuirq_at_map").history
    assert "79858fee30" in c42.commit and "0596edb27f" in c42.commit and c42.backports == ("4.1.2",)
    # 79858fee30 first ships in 4.2.0 together with 49f9d2493c: the unmap's mainline value is false there
    c = _record("xen_dm_unmap_needs_emuirq").history[-1]
    assert c.release == "4.2" and c.value is False


@pytest.mark.parametrize(("version", "rearm"), [("4.4.225", False), ("4.4.226", True), ("4.9.225", False),
                                                 ("4.9.226", True), ("4.14.182", False), ("4.14.183", True)])
def test_move_busy_rearm_reached_4_4_226(version: str, rearm: bool) -> None:
    # 4.4.y has the -EBUSY (996c591227d9, the 4.4.y copy of 98229aa36caa) and got a33a5d2d16cb in 4.4.226;
    # audit20: 4.14.y in 4.14.183 (releases/4.14.183/series, the patch's name truncated; this said 4.14.184 lacked it)
    assert resolve("xen-pv", kernel=version, xen="4.14").plain()["move_busy_rearm"] is rearm


def test_move_busy_rearm_names_the_upstream_ebusy_commit() -> None:
    sw = _record("move_busy_rearm")
    assert "98229aa36caa x86/irq: Plug vector cleanup race (v4.5-rc2" in sw.initial_note


def test_diff_of_runs_that_never_part_does_not_claim_no_step_reads_the_switch() -> None:
    """d19: free_irq reads kernel.free_irq_deactivate (delayed / shutdown) and both values end alike here; main
    said "no step of either run depends on it", which the run contradicts."""
    from pathlib import Path

    from msidbg.debugger.diff import diff_files, render
    held = Path(__file__).parent / "heldout_diff22"
    r = diff_files(str(held / "d19-freeirq-delayed.yaml"), str(held / "d19-freeirq-shutdown.yaml"))
    assert r.first is None and r.switches["free_irq_deactivate"] == {"a": "delayed", "b": "shutdown"}
    text = render(r).splitlines()
    assert "  the files differ in (the runs never part: the same steps, the same state after each):" in text
    assert not any("depends on it" in x for x in text)
