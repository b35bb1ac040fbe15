"""exploreheld: ``msidbg explore`` on held-out racy scenarios (other device kinds, CPU counts,
versions), what it found wrong, each test failing on the code before its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.explore import explore
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

# The shrunk counterexample explore found in the *fixed* twin of a held-out scenario (5.6, 6f1a4891a592's
# two-step update), written out with its exact times: the xHCI moves CPU1 -> CPU2 -> CPU3 -> CPU2, each
# move writing two whole messages, then CPU2 goes offline and fixup_irqs moves it to CPU1. The
# device sends CPU2/0x23 -- the message the kernel programmed as a whole at 362 us -- between the
# hotplug move's first writes (its address is unchanged, its data not yet written).
REPROGRAMMED = """\
name: held-reprogrammed
seed: 4
cpus: 4
kernel: {version: "5.6"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
  - {at: 0, on: 1, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 60us, on: 1, do: set_affinity, dev: xhci, vector: 0, cpu: 2}
  - {at: 80us, do: fire, dev: xhci, vector: 0}
  - {at: 140673, do: fire, dev: xhci, vector: 0, count: 40, every: 17us}
  - {at: 100us, on: 1, do: set_affinity, dev: xhci, vector: 0, cpu: 3}
  - {at: 350816, on: 1, do: set_affinity, dev: xhci, vector: 0, cpu: 2}
  - {at: 443740, on: 0, do: cpu_offline, cpu: 2}
"""

CPU2_0X23 = [0xFEE04004, 0, 0x23]  # flat logical: CPU2 is destination bit 2


def test_a_message_programmed_again_is_not_reported_torn() -> None:
    """acct.intend kept the last 4 distinct messages in first-programmed order: CPU2/0x23, first
    written by the 60 us move, was not refreshed when the 350 us move wrote it again, and the
    hotplug move's first message evicted it while the device still held it -- so a signal that
    sent it whole was 'a pair the kernel never programmed together' (msi-torn-message, a false
    tear that explore reported on the fixed twin)."""
    eng = run_to_end(scenario(REPROGRAMMED))
    sent = [e for e in events_of(eng, "msi.msg") if e.dev == "xhci" and 443_740 <= e.time_ns < 450_000]
    assert [(e.fields["addr"], e.fields["data"]) for e in sent] == [(CPU2_0X23[0], CPU2_0X23[2])]
    writes = [(e.fields["offset"], e.fields["value"]) for e in events_of(eng, "cfg.write")
              if e.dev == "xhci" and 350_000 <= e.time_ns < 443_740]
    assert (0x54, CPU2_0X23[0]) in writes and (0x5C, 0x23) in writes   # programmed as a whole before
    assert "msi-torn-message" not in hit_names(eng)
    # (kernsmall) 5.6 soft-disables CPU2's local APIC before fixup_irqs (60dcaad5736f, until 52d6b926aabc): the
    # whole CPU2/0x23 message sets no IRR bit -- lost, not torn
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert totals(eng, "xhci")["lost"] == 1 and len(lost) == 1 and "apic_soft_disable" in lost[0]


# h12 of the held-out set: an 8-CPU 4.19.59 machine, free_irq on CPU7 racing a queue-0 signal held in
# CPU6's IRR behind queue 1's long handler (VECTOR_UNUSED before b7107a67f0d1's 4.19.60 backport).
LATE_HIT_8CPU = """\
name: held-late-hit-8cpu
seed: 13
cpus: 8
costs: {handler: 25us}
kernel: {version: "4.19.59"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 6}
  - {at: 60us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 6}
  - {at: 100us, do: fire, dev: eth0, vector: 0}
  - {at: 150us, do: fire, dev: eth0, vector: 1}
  - {at: 200us~300us, do: fire, dev: eth0, vector: 1}
  - {at: 150us~300us, do: fire, dev: eth0, vector: 0}
  - {at: 170us~300us, on: 7, do: free_irq, dev: eth0, vector: 0}
breakpoints: [irq-spurious]
"""


def test_a_run_of_passes_over_one_step_is_one_note_and_one_bookmark(tmp_path: Path) -> None:
    """pct's counterexample keeps CPU6's interrupt entry waiting while CPU7's free_irq runs 7 steps:
    7 schedule deviations (each lets CPU7 run one step ahead within the window; all are needed, the
    entry would run in between otherwise). They were 7 notes and 7 bookmarks ('CPU7's X ran before
    CPU6's interrupt entry' once per step); now one note, at the first of them, naming the first
    and last step and how many."""
    path = tmp_path / "late.yaml"
    path.write_text(LATE_HIT_8CPU)
    res = explore(str(path), runs=20, strategy="pct", jobs=1, save_failing=str(tmp_path / "out"))
    f = res["failures"][0]
    assert (f["breakpoint"], f["run"], f["deviations"]) == ("irq-spurious", 12, 9)
    notes = [n["note"] for n in f["notes"]]
    assert len(notes) == 3 and sum("started at" in n for n in notes) == 2
    chain = next(n for n in notes if "ran before" in n)
    assert chain.startswith("CPU7's start (run[7]: free_irq of eth0) .. CPU7's pci_write_msi_msg+restore")
    assert chain.endswith("(7 steps, one deviation each) ran before CPU6's interrupt entry")
    s = Session.open(f["snapshot"])
    assert [b.note for b in s.bookmarks] == notes


# h14 of the held-out set: a 2-CPU 5.1.18 machine, remove racing a late signal (found at run 2, random)
LATE_HIT_REMOVE = """\
name: held-late-hit-remove
seed: 15
cpus: 2
costs: {handler: 30us}
kernel: {version: "5.1.18"}
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}
  - {at: 50us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 1}
  - {at: 60us, on: 0, do: set_affinity, dev: d0, vector: 1, cpu: 1}
  - {at: 100us, do: fire, dev: d0, vector: 0}
  - {at: 120us, do: fire, dev: d0, vector: 1}
  - {at: 200us~300us, do: fire, dev: d0, vector: 1}
  - {at: 150us~300us, do: fire, dev: d0, vector: 0}
  - {at: 170us~300us, on: 0, do: remove, dev: d0}
breakpoints: [irq-spurious]
"""


def _ctrl_c_at(monkeypatch: pytest.MonkeyPatch, index: int) -> None:
    """SIGINT (KeyboardInterrupt, as guard.soft_interrupts raises it) while run ``index``'s result is taken."""
    import msidbg.explore as ex

    take = ex._take

    def take_or_stop(st: Any, res: Any) -> None:
        if res.index == index:
            raise KeyboardInterrupt
        take(st, res)

    monkeypatch.setattr(ex, "_take", take_or_stop)


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_during_a_long_search_reports_and_shrinks_what_it_found(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """`explore --all --runs 100000` interrupted: the KeyboardInterrupt went through explore() and
    the CLI printed 'msidbg: interrupted' -- every run made (and a failure found at run 2) was lost.
    Now the search stops as a budget stops it: the runs taken so far, their failure groups shrunk
    and saved, ``interrupted`` in the result; the CLI prints the report and exits 130."""
    path = tmp_path / "late.yaml"
    path.write_text(LATE_HIT_REMOVE)
    _ctrl_c_at(monkeypatch, 7)
    res = explore(str(path), runs=100_000, all_runs=True, jobs=jobs, save_failing=str(tmp_path / "out"))
    assert res["interrupted"] is True and res["runs"] == 7
    f = res["failures"][0]
    assert (f["breakpoint"], f["run"], f["deviations"], f["shrink_complete"]) == ("irq-spurious", 2, 3, True)
    assert Session.open(f["snapshot"]).cursor == f["event"]


def test_an_interrupted_explore_prints_its_report_and_exits_130(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    path = tmp_path / "late.yaml"
    path.write_text(LATE_HIT_REMOVE)
    _ctrl_c_at(monkeypatch, 4)
    assert main(["explore", str(path), "--all", "--runs", "1000", "--jobs", "1"]) == 130
    out, err = capsys.readouterr()
    assert err == "msidbg: interrupted\n"
    assert out.startswith("explored 4 runs of held-late-hit-remove")
    assert "interrupted (Ctrl-C) after 4 runs" in out and "FAIL 1: irq-spurious d0 common_interrupt" in out
    res = explore(str(path), runs=4, all_runs=True, jobs=1)   # not interrupted: as before
    assert res["interrupted"] is False and res["runs"] == 4
