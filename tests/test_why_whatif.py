"""``why --what-if`` (issue 13): the behaviour row whose other value removes the symptom, found by re-running.

The recorded chain names only steps that ran: on Xen 4.3.1 the xs41 loss ends at "a mask nobody cleared", not at the
msix_write_completion 4.3.1 lacks (74fd0036de, 4.3.2). These tests pin that the counterfactual names that row, the
row each seed's real fix changed (read from its *-fixed twin), none for a run without a symptom, a failed action's
fix, and the budget and interrupt bounds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.whatif import Budget, WhatIfError, candidates, parse_budget, what_if
from msidbg.scenario import load_scenario
from tests.why_helpers import cli

ROOT = Path(__file__).resolve().parent.parent
XS41 = str(ROOT / "tests/heldout_xen18/xs41-native-masked-update-x431-k61.yaml")
XS41_FIXED = str(ROOT / "tests/heldout_xen18/xs41-native-masked-update-x432-k61.yaml")
W04 = str(ROOT / "tests/heldout_why6/w04-unplug-managed-6p1p62.yaml")


_cli = cli


def _table(path: str) -> dict[str, Any]:
    scn = load_scenario(path)
    return scn.behaviour.plain(scn.platform.kind, scn.platform.iommu)


def test_xs41_names_msix_write_completion_which_4_3_1_lacks() -> None:
    rc, out, err = _cli("why", XS41, "--what-if", "--json")
    assert (rc, err) == (0, "")
    d = json.loads(out)
    # the recorded chain still ends without naming it (the reason the counterfactual exists)
    assert all("xen_msix_unmask_completion" not in json.dumps(lk) for lk in d["chain"])
    gone = {w["switch"]: w for w in d["what_if"]}
    assert "xen_msix_unmask_completion" in gone
    w = gone["xen_msix_unmask_completion"]
    assert (w["from"], w["to"], w["symptom_gone"]) == (False, True, True)
    assert w["change"]["commit"] == "74fd0036deb5" and w["change"]["release"] == "4.4"
    assert w["change"]["in_series"] == "4.3.2" and "MSI-X unmask" in w["change"]["title"]
    fd = w["first_divergence"]
    assert fd is not None and fd["a"]["event"] is not None and fd["b"]["event"] is not None
    assert fd["switches"]["xen_msix_unmask_completion"] == {"a": False, "b": True}
    run = d["what_if_run"]
    assert run["symptom"]["breakpoint"] == "irq-lost" and run["symptom"]["dev"] == "n0"
    assert run["ended"] == "done" and run["runs"] == run["candidates"] and not run["not_run"]
    # every row named really removed the symptom in its run; the others kept it
    assert all(w["symptom_gone"] and w["symptom_count"] == 0 for w in d["what_if"])
    assert "xen_msix_unmask_completion=true" not in run["kept"]


def test_xs41_text_section_follows_the_chain() -> None:
    rc, out, _ = _cli("why", XS41, "--what-if")
    assert rc == 0
    head, _, section = out.partition("what if (re-run with one behaviour row flipped; symptom: irq-lost at n0):")
    assert head.startswith("why hit irq-lost") and section
    assert "platform.xen_msix_unmask_completion: false -> true removes it (74fd0036deb5" in section
    assert "first divergence:" in section


def test_the_fixed_release_has_no_such_candidate() -> None:
    """On 4.3.2 the row already has the newest value: it is not a candidate (nothing to flip)."""
    names = {row.name for row, _, _ in candidates(load_scenario(XS41_FIXED))}
    assert "xen_msix_unmask_completion" not in names
    assert "xen_msix_unmask_completion" in {row.name for row, _, _ in candidates(load_scenario(XS41))}


SEEDS = {   # seed -> (its fixed twin, the row the real fix changed: docs/why.md's seed table)
    "msix-write-while-unmasked": ("msix-write-while-unmasked-fixed", "affinity_before_startup"),
    "msi-torn-affinity-update": ("msi-torn-affinity-update-plug-race", "msi_affinity_update"),
    "xen-hvm-msix-mask-late": ("xen-hvm-msix-mask-late-ignore-mask", "xen_hvm_msi_ignore_mask"),
    "xen-pirq-reuse-nvme": ("xen-pirq-reuse-nvme-fixed", "xen_reuse_cached_pirq"),
    "marvell-nvme-msi-blocked": ("marvell-nvme-msi-blocked-late", "msix_mask_all"),
}


@pytest.mark.parametrize("seed", sorted(SEEDS))
def test_each_seed_names_the_row_its_fix_changed(seed: str) -> None:
    twin, row = SEEDS[seed]
    path = str(ROOT / "scenarios" / f"{seed}.yaml")
    a, b = _table(path), _table(str(ROOT / "scenarios" / f"{twin}.yaml"))
    assert a[row] != b[row]      # the twin really differs in that row
    s = Session.from_scenario(path)
    s.run()
    why = s.why(s.armed_hits()[0], what_if=True)
    gone = {f.switch: f for f in why.what_if.gone()}
    assert row in gone, (seed, sorted(gone))
    assert gone[row].to == b[row] and gone[row].change is not None
    assert why.what_if.ended == "done"
    # the cursor did not move, the chain is the default one
    assert s.cursor == s.total and why.events() == s.why(s.armed_hits()[0]).events()


def test_the_2021_loss_itself_is_removed_by_the_affinity_order() -> None:
    s = Session.from_scenario(str(ROOT / "scenarios/msix-write-while-unmasked.yaml"))
    s.run()
    lost = next(h for h in s.armed_hits() if h.name == "irq-lost")
    w = s.why(lost, what_if=True).what_if
    assert w.symptom.name == "irq-lost" and w.symptom.dev == "eth0"
    assert "affinity_before_startup" in {f.switch for f in w.gone()}


def test_a_run_without_a_loss_reports_none() -> None:
    rc, out, err = _cli("why", str(ROOT / "scenarios/msix-write-while-unmasked-fixed.yaml"), "--what-if", "--json")
    assert (rc, err) == (0, "")
    d = json.loads(out)
    assert d["what_if"] == [] and d["what_if_run"]["symptom"] is None and d["what_if_run"]["runs"] == 0
    rc, out, _ = _cli("why", str(ROOT / "scenarios/msix-write-while-unmasked-fixed.yaml"), "--what-if")
    assert rc == 0 and "what if: none" in out
    # without --what-if it stays the error it was
    rc, _, err = _cli("why", str(ROOT / "scenarios/msix-write-while-unmasked-fixed.yaml"))
    assert rc == 2 and "no armed breakpoint hit" in err


def test_a_failed_action_names_the_fix() -> None:
    """cpu_offline refused with ENOSPC on 6.1.62: a0b0bad10587 (6.1.63) excludes managed interrupts."""
    rc, out, err = _cli("why", W04, "--path", "actions[4].result", "--what-if", "--json")
    assert (rc, err) == (0, "")
    d = json.loads(out)
    gone = {w["switch"]: w for w in d["what_if"]}
    assert d["what_if_run"]["symptom"]["kind"] == "action" and d["what_if_run"]["symptom"]["action"] == 4
    assert gone["unplug_excludes_managed"]["change"]["commit"] == "a0b0bad10587"


def test_a_target_without_a_symptom_is_refused() -> None:
    rc, out, err = _cli("why", W04, "--path", "cpus[0].online", "--what-if")
    assert rc == 2 and out == "" and "is no symptom" in err and err.count("\n") == 1


def test_budget_exhaustion_is_reported() -> None:
    rc, out, err = _cli("why", XS41, "--what-if", "--what-if-budget", "3", "--json")
    assert (rc, err) == (0, "")
    run = json.loads(out)["what_if_run"]
    assert run["ended"] == "budget" and run["runs"] == 3 and len(run["not_run"]) == run["candidates"] - 3
    assert "xen_msix_unmask_completion=true" in run["not_run"]
    rc, out, _ = _cli("why", XS41, "--what-if", "--what-if-budget", "3")
    assert rc == 0 and "budget exhausted" in out and "not run (" in out


def test_budget_parsing() -> None:
    assert parse_budget("40") == Budget(40, parse_budget("40").seconds)
    assert parse_budget("90s").seconds == 90.0
    for bad in ("", "x", "-1", "1.5", "0s", "99999999999"):
        with pytest.raises(WhatIfError):
            parse_budget(bad)
    rc, _, err = _cli("why", XS41, "--what-if", "--what-if-budget", "lots")
    assert rc == 2 and "--what-if-budget" in err
    rc, _, err = _cli("why", XS41, "--what-if-budget", "3")
    assert rc == 2 and "--what-if-budget: only with --what-if (expected --what-if with it)" in err


def test_interrupt_keeps_what_was_found() -> None:
    s = Session.from_scenario(XS41)
    s.run()
    seen: list[str] = []

    def tick(session: Any, what: str) -> None:
        seen.append(what)
        if what.startswith("what-if 3/"):     # inside the third flipped run's setup
            raise KeyboardInterrupt
    w = what_if(s, s.armed_hits()[0], Budget(), tick)
    assert w.ended == "interrupted" and len(w.flips) == 2
    assert len(w.not_run) == w.candidates - 2 and "interrupted" in w.text()
    assert seen[0] == "what-if: this run, recorded" and len(seen) == 4


def test_default_why_is_unchanged() -> None:
    rc, out, _ = _cli("why", XS41, "--json")
    assert rc == 0 and set(json.loads(out)) == {"target", "chain"}


def test_a_flip_the_loader_refuses_is_an_error_not_a_run() -> None:
    """xen_hvm_pirqs false on a 3.10 guest needs the pre-4.5 vector allocator, which msidbg does not model: the
    loader refuses it as it would the file, and the flip is reported as an error (not named, not run)."""
    s = Session.from_scenario(str(ROOT / "tests/heldout_xen18/xs28-rawmask-x41.yaml"))
    s.run()
    w = what_if(s, s.armed_hits()[0])
    bad = {f.switch: f for f in w.flips if f.error}
    assert "xen_hvm_pirqs" in bad and bad["xen_hvm_pirqs"].symptom_gone is None
    assert "ScenarioError" in bad["xen_hvm_pirqs"].error and "vector allocator" in bad["xen_hvm_pirqs"].error
    assert "xen_hvm_pirqs" not in {f.switch for f in w.gone()}
    assert any(e["switch"] == "xen_hvm_pirqs" for e in w.info()["errors"])


def test_help_documents_what_if() -> None:
    rc, out, _ = _cli("why", "--help")
    assert rc == 0 and "--what-if" in out and "--what-if-budget" in out and "Ctrl-C" in out


def test_a_flipped_run_that_does_not_end_is_cut_and_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flip can make the model spin without an event (w01 on 5.2 with sync_irq_chip_state alone waits in
    synchronize_irq for good): the per-run alarm cuts it, the flip is an error, the search goes on."""
    from msidbg.debugger import diff

    real = diff.record_run

    def spinning(label: str, path: str, s: Any, max_events: int | None = None) -> Any:
        if label == "b" and s.scenario.behaviour.plain()["xen_msix_unmask_completion"]:
            while True:
                pass
        return real(label, path, s, max_events)
    monkeypatch.setattr(diff, "record_run", spinning)
    s = Session.from_scenario(XS41)
    s.run()
    w = what_if(s, s.armed_hits()[0], Budget(run_seconds=0.5))
    bad = {f.switch: f for f in w.flips if f.error}
    assert sorted(bad) == ["xen_msix_unmask_completion"]
    assert "did not end within 0.5 s" in bad["xen_msix_unmask_completion"].error
    # (xen33, revision 19) XS41's QEMU predates XSA-126: its xen_msi_mask 'combined' flip was refused at load
    # (qemu29) until Xen 4.6's memory_decoded was modelled (reading xen.msix-memory-decoded); it runs now and keeps
    # the symptom
    assert {f.switch for f in w.flips if not f.error and f.symptom_gone is False} >= {"xen_msi_mask"}
    assert w.ended == "done" and len(w.flips) == w.candidates and not w.gone()
    assert "not judged: platform.xen_msix_unmask_completion=true" in w.text()


def test_a_flipped_run_past_the_event_cap_is_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    from msidbg.debugger import whatif

    monkeypatch.setattr(whatif, "MIN_RUN_EVENTS", 100)
    monkeypatch.setattr(whatif, "RUN_FACTOR", 0)
    s = Session.from_scenario(XS41)
    s.run()
    w = what_if(s, s.armed_hits()[0], Budget(runs=3))
    assert [f.events for f in w.flips] == [100, 100, 100]
    assert all("did not end within 100 events" in f.error and f.symptom_gone is None for f in w.flips)
