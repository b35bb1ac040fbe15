"""leads23: leads other lanes left (revision 14, "(leads23)").

* 446a98b19fd6 / fcacdfbef5a1 (5.15) dropped the pci_msi_ignore_mask check from pci_msix_shutdown's Vector
  Control write until 9c8e9c9681a0 (5.16, 5.15.3): a Xen PV guest's pci_disable_msix oopses on the table Xen
  maps read-only (row kernel.msix_vector_ctrl_ignore_mask, reading kernel.msix.shutdown-mask-pv).
* The human summary's failed-actions lines are summary.failed_action_line's, as msidbg report's; msidbg explore
  takes --max-events (explore(max_events=...)).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import resolve
from msidbg.model import cite
from tests.conftest import run_to_end, scenario

PV = """
name: leads23-pv
cpus: 2
platform: {kind: xen-pv}
kernel: {version: "%s"}
devices:
  n0: {bdf: "02:00.0", kind: nvme, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 2}
  - {at: 1000, on: 0, do: remove, dev: n0}
"""


def _row(kernel: str) -> object:
    return next(r.value for r in resolve("xen-pv", kernel=kernel).rows if r.name == "msix_vector_ctrl_ignore_mask")


def test_the_releases_without_the_check() -> None:
    window = {"5.14": True, "5.14.21": True, "5.15": False, "5.15.2": False, "5.15.3": True, "5.16": True,
              "6.6": True, "4.19": True}
    assert {v: _row(v) for v in window} == window
    row = bh.by_name()["msix_vector_ctrl_ignore_mask"]
    assert row.kinds == ("xen-pv",) and row.scoped and row.default is True
    assert "msix_vector_ctrl_ignore_mask" not in resolve("bare-metal", kernel="5.15").plain("bare-metal")
    assert cite.READINGS["kernel.msix.shutdown-mask-pv"].status == "confirmed"


def _results(eng: object) -> list[object]:
    log = eng.log  # type: ignore[attr-defined]
    return [e.fields["result"] for e in log.events(1, len(log) + 1) if e.kind == "action.done"]


def test_a_pv_guest_on_5_15_oopses_in_pci_msix_shutdown() -> None:
    """On main the remove's Vector Control writes were skipped on every release and the remove returned 0."""
    eng = run_to_end(scenario(PV % "5.15"))
    assert _results(eng) == [0, -14]
    log = eng.log
    notes = [e.fields for e in log.events(1, len(log) + 1)
             if e.kind == "kernel" and "page fault" in str(e.fields.get("what"))]
    assert len(notes) == 1 and notes[0]["prog"] == "pci_disable_msix" and "pci_msix_shutdown" in notes[0]["what"]
    assert not [e for e in log.events(1, len(log) + 1) if e.kind == "msix.write" and e.dev == "n0"]
    assert eng.w["kernel"]["pci"]["n0"]["msix_enabled"]     # the task died before Enable was cleared
    for fixed in ("5.15.3", "5.14", "5.16"):
        assert _results(run_to_end(scenario(PV % fixed))) == [0, 0]


# --- one wording for a failed action; explore --max-events ------------------------------------------------
EXPLORE23 = Path(__file__).resolve().parent / "explore23"


def test_the_human_summary_words_a_failed_action_as_the_report_does(capsys: pytest.CaptureFixture[str]) -> None:
    """On main the summary said 'action 1 request_irq eth0 on CPU1: EBUSY (-16)' and the report
    'action 1 (do: request_irq on CPU1) failed: EBUSY (-16) (dev eth0)'."""
    from msidbg.bugio.report import render
    from msidbg.cli import main

    main(["run", str(EXPLORE23 / "failed.yaml"), "--headless"])
    out = capsys.readouterr().out
    section = out.split("failed actions (2):\n", 1)[1].splitlines()[:2]
    expected = ["action 1 (do: request_irq on CPU1) failed: EBUSY (-16) (dev eth0)",
                "action 2 (do: probe on CPU1) failed: ENOSPC (-28) (dev nvme0)"]
    assert [ln.strip() for ln in section] == expected
    report = render(str(EXPLORE23 / "failed.yaml"))
    lines = report.split("Failed actions (2)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [" ".join(ln.split()) for ln in lines] == expected


def test_explore_takes_max_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """explore(max_events=...) had no CLI flag (main: 'unrecognized arguments', exit 2)."""
    from msidbg.cli import main

    ok = tmp_path / "ok.yaml"       # the ordered baseline ends after ~90 events; cut at 40 it did not end
    ok.write_text((EXPLORE23 / "spin.yaml").read_text())
    assert main(["explore", str(ok), "--runs", "1", "--jobs", "1", "--max-events", "40", "--json"]) == 1
    [fail] = json.loads(capsys.readouterr().out)["failures"]
    assert fail["breakpoint"] == "expect:not_started" and fail["event"] == 40
    assert main(["explore", str(ok), "--runs", "1", "--jobs", "1", "--json"]) == 0
    capsys.readouterr()
    assert main(["explore", str(ok), "--max-events", "0"]) == 2
    assert "--max-events: 0 is out of range" in capsys.readouterr().err
    assert "--max-events N" in _help(["explore", "--help"], capsys)


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from msidbg.cli import main

    try:
        main(argv)
    except SystemExit:
        pass
    return capsys.readouterr().out


# --- a spin nothing can end while poll_spurious_irq_timer is armed ------------------------------------------
def test_a_spin_under_the_spurious_poll_timer_ends_the_run() -> None:
    """On main the poll timer re-armed for ever (CPU3's spin poll counted as 'something else scheduled'):
    the run was cut at the event limit, three events per 100 ms of virtual time."""
    from msidbg.debugger import Session
    from msidbg.scenario import load_scenario

    s = Session(load_scenario(str(Path(__file__).resolve().parent / "leads23" / "spin-spoll.yaml")), 3)
    stop = s.continue_(500_000)
    assert stop.reason == "end"
    log = s.eng.log
    evs = list(log.events(1, len(log) + 1))
    assert any(e.kind == "irq.nobody_cared" for e in evs)
    polls = [str(e.fields.get("how")) for e in evs if e.kind == "irq.poll"]
    assert polls[-1].startswith("done (not re-armed")
    assert len(polls) == 2      # expired, ran, not re-armed: only CPU3's spin poll was left on the agenda
    assert any("spins for ever" in str(e.fields.get("what")) for e in evs if e.kind == "kernel")
    assert s.summary()["not_started"][0]["action"] == 11
