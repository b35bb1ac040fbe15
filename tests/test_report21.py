"""report21: ``msidbg report`` names the actions a finished run never started (the summary's ``not_started``)."""

from __future__ import annotations

from pathlib import Path

from msidbg.bugio.report import render
from tests.conftest import cpu_step_budget
from tests.test_leads21 import _stuck


def _to_the_end(tmp_path: Path) -> Path:
    """leads21's stuck run (free_irq on CPU3 spins for ever, request_irq queued behind it) with no armed
    breakpoint, so ``report`` runs it to its end."""
    p = _stuck(tmp_path)
    text = p.read_text()
    assert "breakpoints: [irq-lost, irq-spurious]\n" in text
    p.write_text(text.replace("breakpoints: [irq-lost, irq-spurious]\n", ""))
    return p


def test_the_report_of_a_finished_run_names_the_action_that_never_started(tmp_path: Path) -> None:
    with cpu_step_budget(5_000):
        text = render(str(_to_the_end(tmp_path)))
    assert "Actions never started (1)\n" in text
    # one line, wrapped at 72 columns: the action, its CPU, its device and the action it waited behind
    section = text.split("Actions never started (1)\n", 1)[1].split("\n\n", 1)[0]
    assert " ".join(section.split()) == ("action 11 (do: request_irq on CPU3) never started (dev usb1; "
                                         "queued behind action 8, still running)")
    assert max(len(ln) for ln in text.splitlines()) <= 72
    # the section sits after the counts (where the lost signals of usb1 show) and the hits
    assert text.index("What happened") < text.index("Actions never started")
    with cpu_step_budget(5_000):
        md = render(str(_to_the_end(tmp_path)), markdown=True)
    assert "### Actions never started (1)\n" in md


def test_a_report_stopped_at_a_breakpoint_has_no_such_section(tmp_path: Path) -> None:
    # stopped at irq-spurious, before the end: request_irq may yet start, so nothing is "never started"
    with cpu_step_budget(5_000):
        text = render(str(_stuck(tmp_path)))
    assert "irq-spurious at event" in text
    assert "never started" not in text
