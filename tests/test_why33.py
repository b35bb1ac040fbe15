"""why33 (issue 13 provenance leads): the provenance side tables (``Prov.sysfs_by`` and the others a later node reads)
are rebuilt by the replay that opens a snapshot, and are kept as the run's furthest event left them when a session
re-executes events (a step back and forward, ``why``'s stack of an event): a why after either gives the live run's
chain. Scenario files: tests/why33/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session

HERE = Path(__file__).resolve().parent
S01 = str(HERE / "why33" / "s01-reenable-double-enable-nvme-hvm-3vcpu-k516.yaml")
#: the -EEXIST enable's failure (action 2, vCPU 0) links action 3 (vCPU 2), whose populate_msi_sysfs made the group
S01_CHAIN = [(370, "action.done", "actions[2].result"), (346, "kernel", "actions[2].error"),
             (119, "action.start", "actions[3]")]
MADE_BY = "its 'msi_irqs' sysfs group already made by another CPU's unserialised enable (populate_msi_sysfs), in"


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _to_end(s: Session) -> Session:
    while not s.finished:
        s.run()
    return s


def _eexist(s: Session) -> Any:
    hit = next(h for h in s.hits() if h.name == "probe-failed")
    assert (hit.event, hit.detail) == (370, "alloc_vectors on nvme0 returned EEXIST (-17)")
    return s.why(hit)


def test_s01_live_chain_links_the_enable_that_made_the_group() -> None:
    why = _eexist(_to_end(Session.from_scenario(S01)))
    assert _chain(why) == S01_CHAIN
    assert why.chain[1].stack[0] == "msix_capability_init+sysfs" and why.chain[1].value == -17
    assert why.chain[2].relation == MADE_BY


def test_s01_snapshot_reopened_between_the_group_and_the_eexist_gives_the_same_chain(tmp_path: Path) -> None:
    """Save at 345 (vCPU 2's populate_msi_sysfs made the group at 339, vCPU 0's -EEXIST is at 346), reopen (verified,
    and without verification: its history replayed when the run goes on), run on: the same chain as the live run."""
    s = Session.from_scenario(S01)
    s.seek(345)
    assert s.eng.prov.sysfs_by == {s.eng.prov.dev("nvme0"): 3}
    path = tmp_path / "mid.msgpack"
    s.save(str(path))
    for verify in (True, False):
        o = Session.open(str(path), verify=verify)
        assert o.cursor == 345
        why = _eexist(_to_end(o))
        assert _chain(why) == S01_CHAIN and why.chain[2].relation == MADE_BY


def test_s01_step_back_over_the_release_keeps_the_maker() -> None:
    """The remove's free_msi_irqs (110) drops the group and its maker; re-executing it after vCPU 2 made the group
    again (a seek back to 100 and forward) dropped vCPU 2 from ``Prov.sysfs_by``: the -EEXIST then linked nothing and
    the chain ended at action 2's own start (why33; the release now leaves the table alone unless it runs fresh)."""
    s = Session.from_scenario(S01)
    s.seek(345)
    s.seek(100)
    s.seek(120)
    s.seek(345)
    assert s.eng.prov.sysfs_by == {s.eng.prov.dev("nvme0"): 3}
    why = _eexist(_to_end(s))
    assert _chain(why) == S01_CHAIN and why.chain[2].relation == MADE_BY


#: a file per side table a later node reads (Prov.task_last / proc_last: select_fallback_rq's placement of a sleeper;
#: spun: handle_fasteoi_irq's spin on desc->lock; kicks / port_cleared: a remote vCPU's kick after a clear;
#: dropped_unmask: an unmask a disabled Memory Space dropped; sched_in / tickle: credit's schedule-in nodes)
WOBBLE = ["heldout_why9/y06-sleeper-fallback-k61.yaml", "heldout_why9/y10-lock-waiter-offline-k61.yaml",
          "lockq23/i01-intx-ir-remove-behind-flow-k66.yaml", "heldout_xen30/z16-pv-2l-x46-k318-8vcpu-startup-pirq-remote.yaml",
          "heldout_xen30/z31-hvm-native-x450-qemu450-memoff-guest-move-lost.yaml",
          "audit25/a02-x480-credit-spinner-yields-past-tickle.yaml"]


def test_a_session_going_back_and_forth_records_what_a_straight_run_records() -> None:
    """Every 1/40 of the run: forward to m, back to m - 2/40, forward to m again (re-executing events from a
    checkpoint), then on: the provenance records (cold and hot) are the straight run's, record for record."""
    for name in WOBBLE:
        a = _to_end(Session.from_scenario(str(HERE / name)))
        end, pa = a.total, a.eng.prov
        b = Session.from_scenario(str(HERE / name))
        k, m = max(3, end // 40), 0
        while m < end:
            m = min(end, m + k)
            b.seek(m)
            b.seek(max(1, m - 2 * k))
            b.seek(m)
        pb = b.eng.prov
        assert (bytes(pb.rec), len(pb.hot_arr) + len(pb.hot)) == (bytes(pa.rec), len(pa.hot_arr) + len(pa.hot)), name
        assert len(pa.rec) > 0
