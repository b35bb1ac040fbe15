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


# --- (1) the outcome of a diff counts the actions' results ----------------------------------------------------
W04 = (str(HELD / "w04-unplug-managed-6p1p62.yaml"), str(HELD / "w04-unplug-managed-6p1p63.yaml"))


def test_a_pair_whose_difference_is_an_actions_result_has_different_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    """6.1.62 refuses CPU1's offline (lapic_can_unplug_cpu counts the managed vectors: -ENOSPC), 6.1.63
    offlines it; every device's counts and hits are the same. Before, diff said "outcome: the same", exit 0."""
    from msidbg.cli import main

    assert main(["diff", *W04, "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["same_outcome"] is False
    assert got["outcome"]["a"]["devices"] == got["outcome"]["b"]["devices"]
    a, b = got["outcome"]["a"]["actions"][4], got["outcome"]["b"]["actions"][4]
    assert a == {"action": 4, "do": "cpu_offline", "dev": None, "cpu": 2, "state": "done", "result": -28,
                 "error": "ENOSPC"}
    assert b == {**a, "result": 0, "error": None}
    # the actions that fail are the summary's failed_actions, in its shape
    for side, path in zip("ab", W04, strict=True):
        assert main(["run", path, "--headless", "--json"]) == 0
        failed = json.loads(capsys.readouterr().out)["failed_actions"]
        acts = got["outcome"][side]["actions"]
        assert failed == [{k: v for k, v in x.items() if k != "state"} for x in acts
                          if x["result"] is not None and x["result"] < 0]
    assert main(["diff", *W04]) == 1
    text = capsys.readouterr().out
    assert "outcome: different" in text
    assert "  actions whose result differs (1):\n    #4 cpu_offline cpu=1 (ran on CPU2): A -28 (ENOSPC), B 0" in text


def test_the_same_file_twice_has_the_same_outcome_and_lists_no_action() -> None:
    from msidbg.debugger.diff import diff_files, render

    r = diff_files(W04[0], W04[0])
    assert r.same_outcome and r.first is None
    assert [x["result"] for x in r.outcome_a["actions"]] == [0, 0, 0, 0, -28, 0]
    assert "actions whose result differs" not in render(r)


def test_a_run_cut_short_lists_the_actions_it_did_not_run() -> None:
    from msidbg.debugger.diff import diff_files, render

    r = diff_files(W04[0], W04[0], max_events=40)
    assert [x["state"] for x in r.outcome_a["actions"]][-2:] == ["queued", "queued"]
    assert r.same_outcome and "actions whose result differs" not in render(r)


def test_a_snapshot_against_a_scenario_of_another_machine_is_diffed_action_by_action(capsys: pytest.CaptureFixture[str]) -> None:
    """Not bad input: the runs part at their first step, the files' platform facts are listed, and
    two different actions at one index get a line each (not "#0 probe eth0 ...: A 0, B 0")."""
    from msidbg.cli import main

    a, b = str(ROOT / "snapshots/msix-write-while-unmasked.msgpack"), str(ROOT / "scenarios/xen-hvm-msix-mask-late.yaml")
    assert main(["diff", a, b]) == 1
    text = capsys.readouterr().out
    assert "    platform.kind: A bare-metal, B xen-hvm" in text
    assert ("    #1 A default_affinity cpus=[0] (ran on CPU0): 0\n"
            "      B fire eth0 vector=0 count=10 every_ns=10000: (device)\n") in text
    assert "    #4 A cpu_offline cpu=1 (ran on CPU0): 0\n      B (no such action)\n" in text


# --- (3) help and bad input -----------------------------------------------------------------------------------
def _help(cmd: str, capsys: pytest.CaptureFixture[str]) -> str:
    from msidbg.cli import main

    with pytest.raises(SystemExit) as ex:
        main([cmd, "--help"])
    assert ex.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_diff_help_says_what_the_exit_status_is_and_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    """The help promised exit 1 when the outcomes differ and said nothing of actions: the w04 pair exited 0."""
    from msidbg.cli import main

    text = _help("diff", capsys)
    assert "the actions whose result differs" in text
    assert "Exit 0 when the outcomes are the same, 1 when they differ, 2 on bad input." in text
    assert main(["diff", W04[0], W04[0]]) == 0
    assert main(["diff", *W04]) == 1
    assert main(["diff", W04[0], str(HELD / "nope.yaml")]) == 2
    capsys.readouterr()


def test_why_help_says_where_hit_numbers_come_from_and_they_do(capsys: pytest.CaptureFixture[str]) -> None:
    from msidbg.cli import main

    text = _help("why", capsys)
    assert "counting from 0 in the order of the hits of 'msidbg run FILE --headless --json'" in text
    assert "2 on bad input" in text
    path = str(HELD / "w10-hvm-intx-wrap-4p16.yaml")
    assert main(["run", path, "--headless", "--json"]) in (0, 1)
    hits = json.loads(capsys.readouterr().out)["hits"]
    for n, hit in enumerate(hits):
        assert main(["why", path, "--hit", str(n), "--json"]) == 0
        assert [lk["event"] for lk in json.loads(capsys.readouterr().out)["chain"]] == hit["cause"]


@pytest.mark.parametrize(("args", "says"), [
    (("why", "{held}/nope.yaml"), "msidbg: {held}/nope.yaml: cannot read: No such file or directory (expected a scenario file)"),
    (("diff", "{held}/w04-unplug-managed-6p1p62.yaml", "{held}/nope.msgpack"),
     "msidbg: {held}/nope.msgpack: cannot read: No such file or directory (expected a msidbg snapshot file)"),
    (("why", "{snap}", "--hit", "5"), "msidbg: {snap}: why: argument --hit: no hit 5: the run has 1 armed breakpoint hit (expected 0..0)"),
    (("why", "{held}/w04-unplug-managed-6p1p62.yaml", "--hit", "0"),
     "msidbg: {held}/w04-unplug-managed-6p1p62.yaml: why: argument --hit: no hit 0: the run has no armed breakpoint hit (expected a run "
     "with one: arm a breakpoint with --break NAME, or ask --event N or --path P)"),
    (("why", "{snap}", "--event", "99999"), "msidbg: {snap}: why: argument --event: no event 99999: the run has 26 events (expected 1..26)"),
])
def test_bad_input_is_one_line_naming_the_file_and_the_option(args: tuple[str, ...], says: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """(was: "no hit 5: ... (0..0)", "no event 99999: the run has 25 events" -- the option unnamed)"""
    from msidbg.cli import main

    subst = {"held": str(HELD), "snap": str(ROOT / "snapshots/msix-write-while-unmasked.msgpack")}
    assert main([a.format(**subst) for a in args]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err == says.format(**subst) + "\n"
