"""``msidbg diff`` / ``why`` output gaps (diffout): the outcome of a diff counts the scenario actions'
results; the ``--json`` summary's per-hit ``cause`` is ``why --json``'s default chain, event for event
(the initial-state leaf, event 0, included); ``--help`` texts and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msidbg.debugger import Session

ROOT = Path(__file__).resolve().parent.parent
HELD = ROOT / "tests" / "heldout_why6"
FILES = sorted(str(p.relative_to(ROOT)) for p in [*(ROOT / "scenarios").glob("*.yaml"), *HELD.glob("*.yaml")])


# --- (2) the summary's cause is why's chain -------------------------------------------------------------------
@pytest.mark.parametrize("path", FILES)
def test_the_summarys_cause_of_every_hit_is_the_events_of_why_on_that_hit(path: str) -> None:
    """Symptom first, root last, the same events: before, a chain ending in a value still from the
    initial state (intx-nobody-cared's spurious count, w10's wrapped INTx) had its leaf, event 0, in
    ``why`` and not in the summary."""
    s = Session.from_scenario(str(ROOT / path))
    s.run()
    summ = s.summary()
    armed = s.armed_hits()
    assert len(summ["hits"]) == len(armed)
    for rec, hit in zip(summ["hits"], armed, strict=True):
        assert rec["cause"] == s.why(hit).events(), (path, rec["event"], rec["breakpoint"])
        assert rec["cause"][0] == rec["event"]


def test_the_cli_summary_and_why_json_agree_on_an_initial_leaf(capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    path = str(HELD / "w10-hvm-intx-wrap-4p16.yaml")
    assert main(["run", path, "--headless", "--json"]) in (0, 1)
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert hits
    assert main(["why", path, "--hit", "0", "--json"]) == 0
    chain = [lk["event"] for lk in json.loads(capsys.readouterr().out)["chain"]]
    assert chain[-1] == 0 and hits[0]["cause"] == chain
