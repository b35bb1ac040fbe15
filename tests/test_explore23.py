"""explore23: a spin wait nothing can end stops the run under every policy (not only ``ordered``), so
``msidbg explore`` finds and shrinks such a bug; ``expect.not_started`` on runs that never ended;
``msidbg report``'s failed actions.

The spin (reading ``kernel.spin-forever``): 5.2's free_irq (immediate deactivation) given 5.3's
``sync_irq_chip_state``; when the free lands while the level xhci interrupt is in flight, synchronize_irq
spins for ever on CPU3 (tests/test_spin_forever.py has the ordered run). Under ``random``, ``pct`` and
``delay`` every poll was picked by the strategy and the run never ended (one event per 100,000 polls)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.explore import explore
from msidbg.model.cpu import SPIN_WAIT
from msidbg.scenario import load_scenario
from msidbg.sim.strategy import Schedule
from msidbg.sim.world import state_hash
from tests.conftest import cpu_step_budget

HERE = Path(__file__).resolve().parent
SPIN = HERE / "explore23" / "spin.yaml"
STUCK_NOTE = "spins for ever (nothing left to run can end the wait)"


def _stuck_at(text: str, at: str) -> str:
    assert "{at: 100us~300us, on: 3, do: free_irq" in text
    return text.replace("{at: 100us~300us, on: 3, do: free_irq", f"{{at: {at}, on: 3, do: free_irq")


def _run(path: Path, strategy: str, seed: int) -> Session:
    scn = load_scenario(str(path))
    with cpu_step_budget(20_000):
        s = Session(scn, seed, schedule=Schedule(strategy, window=10_000 if strategy != "random" else 0))
        s.run()
    return s


@pytest.mark.parametrize("strategy", ["random", "pct", "delay"])
def test_a_spin_nothing_can_end_ends_the_run_under_every_strategy(tmp_path: Path, strategy: str) -> None:
    p = tmp_path / "stuck.yaml"
    p.write_text(_stuck_at(SPIN.read_text(), "212us"))     # the free lands while the interrupt is in flight
    runs = []
    for _ in range(2):
        s = _run(p, strategy, 5)
        assert s.finished
        w = s.eng.w
        assert w.cpus[3].proc.wait == {SPIN_WAIT: "synchronize_irq: irq 20 in flight: Remote IRR set "
                                       "(irq_get_irqchip_state IRQCHIP_STATE_ACTIVE), sent to CPU2"}
        last = s.events(s.total - 1, s.total + 1)
        assert last[0].cpu == 3 and str(last[0].fields["what"]).endswith(STUCK_NOTE)
        assert last[1].kind == "run.end"
        assert [a["action"] for a in s.summary()["not_started"]] == [9]
        runs.append((s.total, state_hash(w)))
    assert runs[0] == runs[1]      # deterministic


def test_under_jitter_every_poll_is_an_event_and_the_spin_still_ends(tmp_path: Path) -> None:
    p = tmp_path / "stuck.yaml"
    p.write_text(_stuck_at(SPIN.read_text(), "212us") + "timing: {jitter: 10%}\n")
    s = _run(p, "random", 5)
    assert s.finished
    last = s.events(s.total - 1, s.total + 1)
    assert last[0].cpu == 3 and str(last[0].fields["what"]).endswith(STUCK_NOTE)
    assert [a["action"] for a in s.summary()["not_started"]] == [9]


def test_a_spin_that_another_cpu_ends_still_waits_for_it(tmp_path: Path) -> None:
    """5.3: the delayed deactivation; synchronize_irq waits for the EOI and free_irq returns: no stuck
    context, every action starts, under each strategy."""
    p = tmp_path / "fine.yaml"
    p.write_text(_stuck_at(SPIN.read_text(), "212us").replace('version: "5.2", sync_irq_chip_state: true',
                                                              'version: "5.3"'))
    for strategy in ("random", "pct", "delay"):
        s = _run(p, strategy, 5)
        assert s.finished and s.summary()["not_started"] == []
        assert all(not (c.proc.wait or {}).get(SPIN_WAIT) for c in s.eng.w.cpus)


def test_explore_finds_and_shrinks_a_spin_forever_within_a_small_budget(tmp_path: Path) -> None:
    out = tmp_path / "bugs"
    with cpu_step_budget(200_000):
        res = explore(str(SPIN), runs=30, jobs=1, save_failing=str(out))
    assert res["runs"] <= 30
    [fail] = res["failures"]
    assert fail["breakpoint"] == "expect:not_started"
    assert fail["detail"] == "expected not_started=[], got [9]"
    # grouped by what the unstarted action waits behind: free_irq of usb1, still in its spin
    assert fail["signature"] == "expect:not_started usb1 free_irq"
    assert fail["deviations"] == 1 and fail["shrink_complete"]
    [note] = fail["notes"]
    assert note["note"].startswith("run[8] (free_irq of usb1 on CPU3) started at ")
    # the counterexample ends on the spin that never ends, and replays
    with cpu_step_budget(20_000):
        o = Session.open(fail["snapshot"])
    last = o.events(o.total - 1, o.total + 1)
    assert str(last[0].fields["what"]).endswith(STUCK_NOTE) and last[1].kind == "run.end"


# --- expect.not_started on a run that did not end ---------------------------------------------------
def test_compare_fails_not_started_on_a_run_that_did_not_end_and_judges_nothing_else() -> None:
    from msidbg.debugger.summary import compare
    from msidbg.scenario import Expect

    summ = {"stopped": {"reason": "limit", "event": 50, "breakpoint": None}, "not_started": [],
            "devices": {"eth0": {"probe": "probing", "vectors": [{"index": 0, "raised": 3, "delivered": 1,
                                                                  "lost": 2, "spurious": 0}]}}}
    counts = Expect(hit=("irq-lost",), lost={"eth0": 0}, probe={"eth0": "ok"})
    assert compare(counts, summ, set()) == []      # a cut has no outcome: the counts are not judged
    never = Expect(not_started=())
    assert compare(never, summ, set()) == [
        "expected not_started=[], the run did not end (stopped: limit at event 50)"]
    ended = dict(summ, stopped={"reason": "end", "event": 50, "breakpoint": None})
    assert compare(never, ended, set()) == []


def test_explore_fails_a_run_cut_at_max_events_when_expect_names_not_started(tmp_path: Path) -> None:
    ok = tmp_path / "ok.yaml"       # the ordered baseline (free_irq at 100us) ends after ~90 events
    ok.write_text(SPIN.read_text())
    res = explore(str(ok), runs=1, jobs=1, max_events=40)
    [fail] = res["failures"]
    assert fail["breakpoint"] == "expect:not_started" and fail["run"] == 0 and fail["event"] == 40
    assert fail["signature"] == "expect:not_started - -"     # a cut: nothing waits behind anything yet
    assert fail["detail"] == "expected not_started=[], the run did not end (stopped: limit at event 40)"
    # without not_started the cut run is not judged (its counts are the cut's)
    other = tmp_path / "other.yaml"
    other.write_text(SPIN.read_text().replace("  not_started: []\n", "  lost: {usb1: 0}\n"))
    assert explore(str(other), runs=1, jobs=1, max_events=40)["failures"] == []


# --- msidbg report: failed actions -------------------------------------------------------------------
FAILED = HERE / "explore23" / "failed.yaml"


def test_the_report_lists_the_actions_that_ran_and_failed() -> None:
    from msidbg.bugio.report import render

    text = render(str(FAILED))
    assert "Failed actions (2)\n" in text
    section = text.split("Failed actions (2)\n", 1)[1].split("\n\n", 1)[0]
    assert [" ".join(ln.split()) for ln in section.splitlines()] == [
        "action 1 (do: request_irq on CPU1) failed: EBUSY (-16) (dev eth0)",
        "action 2 (do: probe on CPU1) failed: ENOSPC (-28) (dev nvme0)"]
    assert text.index("What happened") < text.index("Failed actions") < text.index("Reproduce")
    assert max(len(ln) for ln in text.splitlines()) <= 72
    md = render(str(FAILED), markdown=True)
    assert "### Failed actions (2)\n" in md


def test_a_report_without_failed_actions_has_no_such_section(tmp_path: Path) -> None:
    from msidbg.bugio.report import render

    p = tmp_path / "fine.yaml"
    p.write_text(FAILED.read_text().replace("  - {at: 100us, on: 1, do: request_irq, dev: eth0, vector: 0}\n", "")
                 .replace("faults: [{call: pci_msi_setup_msi_irqs, dev: nvme0, errno: ENOSPC, times: 1}]\n", ""))
    assert "Failed actions" not in render(str(p))
