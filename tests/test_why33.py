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
S01_CHAIN = [(380, "action.done", "actions[2].result"), (356, "kernel", "actions[2].error"),
             (129, "action.start", "actions[3]")]
#: (+10 since intx36: the set-up's and the remove's trapped pci_intx_for_msi, a Command read and write through QEMU each)
MADE_BY = "its 'msi_irqs' sysfs group already made by another CPU's unserialised enable (populate_msi_sysfs), in"


def _chain(why: Any) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]


def _to_end(s: Session) -> Session:
    while not s.finished:
        s.run()
    return s


def _eexist(s: Session) -> Any:
    hit = next(h for h in s.hits() if h.name == "probe-failed")
    assert (hit.event, hit.detail) == (380, "alloc_vectors on nvme0 returned EEXIST (-17)")
    return s.why(hit)


def test_s01_live_chain_links_the_enable_that_made_the_group() -> None:
    why = _eexist(_to_end(Session.from_scenario(S01)))
    assert _chain(why) == S01_CHAIN
    assert why.chain[1].stack[0] == "msix_capability_init+sysfs" and why.chain[1].value == -17
    assert why.chain[2].relation == MADE_BY


def test_s01_snapshot_reopened_between_the_group_and_the_eexist_gives_the_same_chain(tmp_path: Path) -> None:
    """Save at 355 (vCPU 2's populate_msi_sysfs made the group at 349, vCPU 0's -EEXIST is at 356), reopen (verified,
    and without verification: its history replayed when the run goes on), run on: the same chain as the live run."""
    s = Session.from_scenario(S01)
    s.seek(355)
    assert s.eng.prov.sysfs_by == {s.eng.prov.dev("nvme0"): 3}
    path = tmp_path / "mid.msgpack"
    s.save(str(path))
    for verify in (True, False):
        o = Session.open(str(path), verify=verify)
        assert o.cursor == 355
        why = _eexist(_to_end(o))
        assert _chain(why) == S01_CHAIN and why.chain[2].relation == MADE_BY


def test_s01_step_back_over_the_release_keeps_the_maker() -> None:
    """The remove's free_msi_irqs (120) drops the group and its maker; re-executing it after vCPU 2 made the group
    again (a seek back to 110 and forward) dropped vCPU 2 from ``Prov.sysfs_by``: the -EEXIST then linked nothing and
    the chain ended at action 2's own start (why33; the release now leaves the table alone unless it runs fresh)."""
    s = Session.from_scenario(S01)
    s.seek(355)
    s.seek(110)
    s.seek(130)
    s.seek(355)
    assert s.eng.prov.sysfs_by == {s.eng.prov.dev("nvme0"): 3}
    why = _eexist(_to_end(s))
    assert _chain(why) == S01_CHAIN and why.chain[2].relation == MADE_BY


#: a file per side table a later node reads (Prov.task_last / proc_last: select_fallback_rq's placement of a sleeper;
#: spun: handle_fasteoi_irq's spin on desc->lock; kicks / port_cleared: a remote vCPU's kick after a clear;
#: dropped_unmask: an unmask a disabled Memory Space dropped; sched_in / tickle: credit's schedule-in nodes; left_on: the
#: oops of a pci_disable_msix)
WOBBLE = ["heldout_why9/y06-sleeper-fallback-k61.yaml", "heldout_why9/y10-lock-waiter-offline-k61.yaml",
          "lockq23/i01-intx-ir-remove-behind-flow-k66.yaml", "heldout_xen30/z16-pv-2l-x46-k318-8vcpu-startup-pirq-remote.yaml",
          "heldout_xen30/z31-hvm-native-x450-qemu450-memoff-guest-move-lost.yaml",
          "audit25/a02-x480-credit-spinner-yields-past-tickle.yaml", "heldout32/x03-pv-fifo-x415-k515-unbind-signal-rebind.yaml"]


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


X03 = str(HERE / "heldout32" / "x03-pv-fifo-x415-k515-unbind-signal-rebind.yaml")
X22 = str(HERE / "heldout32" / "x22-pv-fifo-x415-k5153-unbind-signal-rebind.yaml")
LEFT = "MSI-X left enabled: the pci_disable_msix that would clear it (and dev->msix_enabled) stopped in"
#: the remove's oops in pci_msix_shutdown (5.15.0 .. 5.15.2 on a Xen PV guest), and the boot flag it ignored
OOPS = [(38, "kernel", "actions[2].error"), (0, "initial", "kernel.ignore_mask")]


def test_x03_the_reprobes_einval_links_the_oops_that_left_msix_enabled() -> None:
    """5.15's __pci_enable_msix_range refuses the second probe (WARN_ON_ONCE(dev->msix_enabled): -EINVAL): the flag
    pci_msix_shutdown never cleared -- its mask loop oopsed first. The error linked only its own action."""
    s = Session.from_scenario(X03)
    s.run()
    hit = next(h for h in s.hits() if h.name == "probe-failed" and h.event == 46)
    why = s.why(hit)
    assert _chain(why) == [(46, "action.done", "actions[4].result"), (44, "kernel", "actions[4].error"), *OOPS]
    assert why.chain[2].relation == LEFT
    assert why.chain[2].stack[0] == "pci_disable_msix+shutdown_mask"


def test_x03_the_held_signals_link_the_oops_and_xens_mask() -> None:
    """Both signals after the remove are held in the PBA (MSI-X still enabled: the oops), behind Xen's masks from
    EVTCHNOP_close (a branch): the chain stopped at those masks and the remove's start. (x03 +1 since intx36: the
    probe's pcifront.dropped Command write, event 9.)"""
    s = Session.from_scenario(X03)
    s.run()
    lost = [h for h in s.hits() if h.name == "irq-lost"]
    assert [(h.event, h.detail[:11]) for h in lost] == [(48, "n0 vector 0"), (48, "n0 vector 1")]
    for h, held, mask in zip(lost, (41, 47), (34, 37), strict=True):
        why = s.why(h)
        idx = h.detail[10]
        assert _chain(why) == [(48, "lost", f"acct.n0.lost[{idx}]"), (held, "pba.set", f"devices.n0.msix.pba[{idx}]"),
                               *OOPS]
        assert why.chain[2].relation == LEFT
        assert [(b[0].event, b[0].path) for b in why.chain[1].branches] == [
            (mask, f"devices.n0.msix.table[{idx}].ctrl")]


def test_x22_on_5153_the_remove_completes_and_nothing_is_left_enabled() -> None:
    """5.15.3 (9c8e9c9681a0): no oops; the signal is lost with MSI-X disabled by the remove (pciback's write). Since intx36 the
    probe's and the remove's guest pci_intx_for_msi are pcifront.dropped events (7, 37): +1 before the remove, +2 after."""
    s = Session.from_scenario(X22)
    s.run()
    assert [h.name for h in s.hits()] == ["irq-lost"]
    assert _chain(s.why(s.hits()[0])) == [(45, "lost", "acct.n0.lost[0]"), (38, "msix.ctrl", "devices.n0.msix.ctrl"),
                                          (29, "action.start", "actions[2]")]
    assert not s.eng.prov.left_on


W01RL = str(HERE / "heldout_why16" / "w01-boost-ratelimit-3vcpu-x411-rl.yaml")


def test_a_shared_pcpus_wakeup_by_qemus_completion_links_the_trapped_access() -> None:
    """w01 (rl): vCPU0, blocked on its ioreq while vCPU1 blocked too, wakes on idle pCPU0 as QEMU completes the write
    (qemu.msix_write 'addr_hi unchanged', no node of QEMU's): the schedule-in links the guest's trapped access
    (cpus[0].ioreq), not nothing (why33; hvm_io_assist's completion is the wake-up). +15 since intx36: the three
    set-ups' trapped pci_intx_for_msi (a Command read and write through QEMU each, events 34-38 / 99-103 / 164-168)."""
    s = _to_end(Session.from_scenario(W01RL))
    assert s.events(19220, 19221)[0].kind == "qemu.msix_write"
    why = s.why(19220)
    assert _chain(why)[:2] == [(19220, "xen.sched_in", "xen.sched.since[0]"), (19219, "guest", "cpus[0].ioreq")]
    assert why.chain[1].relation == "woken by"


class _EveryPcpu(set):   # type: ignore[type-arg]
    """Prov.shared as if every pCPU were shared: every idle wake-up becomes a schedule-in node."""

    def __contains__(self, x: object) -> bool:
        return True

    def __bool__(self) -> bool:
        return True


def test_one_vcpu_per_pcpu_idle_wakeups_would_add_nothing_to_a_hits_chain(monkeypatch: Any) -> None:
    """Issue 13's lead: a wake-up onto an idle pCPU is a node only where the pCPU is shared. Recorded everywhere, it
    changes no hit's chain of a one-vCPU-per-pCPU run (HVM vMSI, HVM event channel, PV upcall): the wake-up is
    made in the event that set the IRR bit (or the upcall) the accept links itself, and an accept links a
    schedule-in only when it came after that bit (``Reader.deps``); only nothing ends the run while the
    vCPU waits. So the record stays where it is (and the interrupt path records nothing more). Checked on every
    hit and every accept / PV event callback."""
    from msidbg.model import prov as provmod

    names = ["heldout32/x01-hvm-pirq-2l-x413-k510-pending-move-4vcpu.yaml",
             "heldout32/x05-hvm-native-x419-k66-x2apic-move.yaml",
             "heldout32/x03-pv-fifo-x415-k515-unbind-signal-rebind.yaml"]

    def chains() -> list[list[list[tuple[int, str, str | None]]]]:
        out = []
        for n in names:
            s = _to_end(Session.from_scenario(str(HERE / n)))
            evs = [e.index for e in s.events(1, s.total + 1) if e.kind in ("apic.accept", "xen.callback")]
            out.append([_chain(s.why(h)) for h in s.hits()] + [_chain(s.why(e)) for e in evs])
        return out

    plain = chains()
    orig = provmod.Prov.__init__

    def every(self: Any, eng: Any) -> None:
        orig(self, eng)
        self.shared = _EveryPcpu()

    monkeypatch.setattr(provmod.Prov, "__init__", every)
    assert chains() == plain
    assert [len(c) for c in plain] == [2, 3, 5]


def test_why33_files_provenance_records_never_decides() -> None:
    from tests.conftest import assert_prov_neutral

    assert_prov_neutral([S01, X03, str(HERE / "audit25" / "a02-x480-credit-spinner-yields-past-tickle.yaml")])
