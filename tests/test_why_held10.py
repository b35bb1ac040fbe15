"""``why`` provenance gaps left by round 9 (whyheld10; tests/heldout_why10/, PREDICTIONS.md written before ``why`` ran).

Each chain test pins recorded data flow that was missing or mis-kinded on main: the poll timer timers_dead_cpu moves
(``kernel.spoll``), Xen's vMSI and upcall IRR bits (``irr.vmsi`` / ``irr.upcall``, not "an IPI"), the vectors a driver
set up (and a managed irq left shut down) as the default cause of a signal held for good, a vector_irq slot freed and
taken again within one kernel step, and a pirq refusal linked to every held pirq (a flat tree, no pirq-to-pirq walk).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from msidbg.debugger import Session
from msidbg.debugger.why import WhyError
from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.kernel import vector as vec
from msidbg.model.provkernel import desc_dirty
from tests.why_helpers import events, first_hit, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why10"
HELD9 = Path(__file__).resolve().parent / "heldout_why9"
HELD8 = Path(__file__).resolve().parent / "heldout_why8"


def _run(name: str, folder: Path = HELD) -> Session:
    return ran(name, folder)


def _polls(s: Session) -> list[int]:
    return [e.index for e in events(s, "irq.poll") if "expired: poll_spurious_irqs" in str(e)]


# --- 1. the poll timer timers_dead_cpu moves ------------------------------------------------------------------------
def test_a_poll_on_the_control_cpu_links_the_timers_move_and_the_offline() -> None:
    """y09: the poll that runs on CPU3 after CPU2's offline linked note_interrupt's disable only; the timer's move
    (timers_dead_cpu, a kernel note) was no link. Now: expiry <- the poll's re-arm on CPU3 <- the first poll there <-
    the move <- the cpu_offline action."""
    s = _run("y09-poll-timer-moved-k61", HELD9)
    last = _polls(s)[-1]
    why = s.why(last)
    assert links(why) == [("irq.poll", "irqs[17].disabled"), ("irq.poll_timer", "kernel.spoll"),
                          ("irq.poll", "irqs[17].disabled"), ("irq.poll_timer", "kernel.spoll"),
                          ("action.start", "actions[3]")]
    move = why.chain[3]
    assert "timers_dead_cpu" in move.reason and "from dead CPU2 to CPU3" in move.reason and move.value == 3
    assert move.stack[0] == "cpu_down+cpu_die" and why.chain[4].relation == "in the teardown of the dead CPU, run by"
    # the arm it moved (the poll's re-arm on CPU2) is a branch of the move
    assert [lk.value for lk in move.branches[0][:1]] == [2]
    # eth1's handler run in that poll: the condition by default, the poll (and so the move) a branch
    handler = s.why(last + 1)
    assert handler.chain[1].link == "intx.cond"
    assert any(lk.link == "irq.poll_timer" and "timers_dead_cpu" in lk.reason for lk in handler.links())


def test_a_timer_moved_twice_links_the_last_move_and_both_offlines() -> None:
    """z01: CPU2 takes CPU1 down, CPU3 takes CPU2 down: the last poll links the second move, whose branch is the
    first."""
    s = _run("z01-poll-moved-twice-k515")
    why = s.why(_polls(s)[-1])
    assert links(why) == [("irq.poll", "irqs[18].disabled"), ("irq.poll_timer", "kernel.spoll"),
                          ("action.start", "actions[4]")]
    tree = why.links()
    moves = [lk for lk in tree if lk.link == "irq.poll_timer" and "timers_dead_cpu" in lk.reason]
    assert [(lk.value, lk.reason.split("moves from ")[1][:17]) for lk in moves] == [(3, "dead CPU2 to CPU3"),
                                                                                   (2, "dead CPU1 to CPU2")]
    assert any(lk.path == "actions[3]" and lk.relation == "in the teardown of the dead CPU, run by" for lk in tree)


def test_a_path_question_on_the_poll_timer_names_its_last_move() -> None:
    s = _run("z02-poll-control-cpu0-k510")
    why = s.why("kernel.spoll")     # (the last poll did not re-arm it: nothing else was scheduled)
    assert links(why) == [("irq.poll_timer", "kernel.spoll"), ("action.start", "actions[3]")]
    assert "from dead CPU1 to CPU0" in why.chain[0].reason and why.chain[0].value == 0
    arm = why.chain[0].branches[0]
    assert arm[0].reason.endswith("armed on CPU1") and arm[0].stack[0] == "poll_spurious_irqs+poll_next"


# --- 2. Xen's IRR bits: the link's kind -----------------------------------------------------------------------------
def test_xens_vmsi_injection_is_no_ipi() -> None:
    """y05 / z04: the IRR bit Xen's vmsi_deliver_pirq set read "an IPI set cpus[1].irr[0x21]"."""
    s = _run("z04-xenhvm-vmsi-msix-x417")
    why = s.why(events(s, "irq.handler")[-1].index)
    assert [lk.link for lk in why.chain[:4]] == ["event", "accept", "irr.vmsi", "xen"]
    assert why.chain[2].reason.startswith("IRR bit: Xen injected the guest's MSI (vmsi_deliver_pirq")
    assert why.chain[3].path == "xen.queue.nic0[1]"
    assert "irr.ipi" not in {lk.link for lk in why.links()}


def test_xens_event_channel_upcall_vector_is_no_ipi() -> None:
    s = _run("z05-xenhvm-evtchn-upcall-x414")
    why = s.why(events(s, "irq.handler")[-1].index)
    assert links(why)[1:4] == [("accept", "cpus[0].isr[0xf3]"), ("irr.upcall", "cpus[0].irr[0xf3]"),
                               ("xen", "xen.ports[1].pending")]
    assert "the event channel upcall vector" in why.chain[2].reason


def test_a_retrigger_ipi_is_still_an_ipi() -> None:
    s = _run("z10-enable-replay-k515")
    why = s.why(events(s, "irq.handler")[-1].index)
    assert [lk.link for lk in why.chain[:4]] == ["event", "accept", "irr.ipi", "kernel"]
    assert "check_irq_resend" in why.chain[3].reason


# --- 3. a signal held for good: what left the entry masked -----------------------------------------------------------
def test_a_signal_on_an_entry_the_driver_never_set_up_defaults_to_the_driver() -> None:
    """y08 / z06 / z07: the default chain ended at the entry mask's initial value (no writer: the reset), the driver's
    vector count a branch. The vectors the driver set up are what left the entry masked for good."""
    s = _run("z06-nvme-online-count-k410")
    why = s.why(first_hit(s, "irq-lost"))
    assert links(why) == [("lost", "acct.nvme0.lost[5]"), ("driver", "kernel.pci.nvme0.bound"),
                          ("driver.vectors", "actions[2]"), ("cpu.online", "cpus[5].online"),
                          ("action.start", "actions[1]")]
    assert "1..4 vectors (one per online CPU)" in why.chain[2].reason
    held = why.chain[0].branches[0]
    assert [(lk.link, lk.path) for lk in held] == [("pba.set", "devices.nvme0.msix.pba[5]"),
                                                   ("initial", "devices.nvme0.msix.table[5].ctrl")]
    s = _run("z07-msix-unset-entry-k66")
    assert links(s.why(first_hit(s, "irq-lost")))[1:] == [("driver", "kernel.pci.nic2.bound"),
                                                          ("action.start", "actions[0]")]


def test_a_signal_on_a_managed_irq_left_shut_down_links_the_startup_abort() -> None:
    """z12 (predicted delivered: the prediction missed that queue 3's managed irq is spread to the offline CPU3): the
    loss ended at msix_capability_init's mask write; request_irq's IRQ_STARTUP_ABORT, which is why nothing unmasked
    the entry, recorded nothing."""
    s = _run("z12-nvme-present-count-k414")
    why = s.why(first_hit(s, "irq-lost"))
    assert links(why) == [("lost", "acct.nvme2.lost[3]"), ("kernel", "irqs[27].managed_shutdown"),
                          ("cpu.online", "cpus[3].online"), ("action.start", "actions[0]")]
    abort = why.chain[1]
    assert abort.relation == "never started: the irq left shut down by" and "IRQ_STARTUP_ABORT" in abort.reason
    assert abort.stack[0].startswith("irq_startup+") and abort.event == next(
        e.index for e in events(s, "kernel") if "IRQ_STARTUP_ABORT" in str(e))
    assert s.why("irqs[27].managed_shutdown").chain[0].record == abort.record
    with pytest.raises(WhyError, match="no irq 99 at the cursor"):     # a path naming no irq: an error, not "initial"
        s.why("irqs[99].managed_shutdown")


# --- 4. a vector_irq slot freed and taken again within one kernel step ---------------------------------------------
def test_a_slot_freed_and_taken_again_in_one_step_records_both() -> None:
    """No kernel step of the model frees a slot and fills it again today (every shipped and held-out scenario
    searched); the diff saw only its value before and after the step: a slot going from irq A to irq B recorded B's
    fill alone, and B's vector assignment linked no free (``D_REUSED`` needs the free's record). The vector domain's
    marks now observe the slot between its calls: both are recorded and B's ``irqs[n].vector`` links the free."""
    s = _run("z07-msix-unset-entry-k66")
    eng, w = s.eng, s.eng.w
    P = eng.prov
    a, b = w.irqs[24], w.irqs[25]
    cpu, v = a.cpu, a.vector
    k = SimpleNamespace(eng=eng, w=w)
    desc_dirty(k, a)
    vec.clear_vector(w, a)          # irq A's vector freed (clear_irq_vector)...
    desc_dirty(k, a)
    desc_dirty(k, b)
    vec.update_vector(w, b, v, cpu)   # ... and irq B takes the same slot, in the same step
    desc_dirty(k, b)
    P.kdiff.step(P, w)
    key = PK.key(PK.VECIRQ, PK.cpu_vec(cpu, v))
    fill = P.writer(key)
    free = P.prev(fill)
    assert P.code(fill) == P.code(free) == C.VEC_SLOT and P.x(fill) == 25 and P.x(free) < 0
    node = P.writer(PK.key(PK.IRQVEC, 25))
    assert (C.D_REUSED, key, free) in P.deps(node)


# --- 5. pirq exhaustion: a flat tree ----------------------------------------------------------------------------------
def test_a_pirq_refusal_links_every_held_pirq_and_each_branch_is_short() -> None:
    """z08: d0 and d1 hold the 32 MSI pirqs; d2's get_free_pirq is refused. The refusal linked each holder's latest
    pirq and the chain walked the others one pirq at a time ("what holds the pirq above"): now a branch per held pirq,
    each ending at its device's probe (or a node shown already) within three links."""
    s = _run("z08-xenhvm-pirq-exhaust-three-x416")
    why = s.why(first_hit(s, "probe-failed", "probe on d2"))
    assert links(why) == [("action.done", "actions[2].result"), ("kernel", "actions[2].error"),
                          ("xen.refused", "xen.pirqs[70]"), ("xen", "xen.pirqs[70]"), ("guest", "cpus[1].ioreq"),
                          ("action.start", "actions[1]")]
    ref = why.chain[2]
    assert "16 mapped for d0" in ref.reason and "16 mapped for d1" in ref.reason
    assert [br[0].path for br in ref.branches] == [f"xen.pirqs[{p}]" for p in range(71, 102)]
    assert all(len(br) <= 3 and br[0].relation == "what holds it" for br in ref.branches)
    assert {br[0].reason.split(" for ")[1][:2] for br in ref.branches} == {"d0", "d1"}
    assert len(why.links()) < 200


def test_a_pv_pciback_refusal_is_flat_too() -> None:
    s = _run("z09-xenpv-pirq-exhaust-pciback-x415")
    why = s.why(first_hit(s, "probe-failed", "probe on eth1"))
    assert links(why)[2:] == [("xen.refused", "xen.pirqs[70]"), ("xen", "xen.pirqs[70]"), ("action.start", "actions[1]")]
    ref = why.chain[2]
    assert len(ref.branches) == 31 and all(len(br) <= 2 for br in ref.branches)
    assert [br[-1].path for br in ref.branches] == ["actions[1]"] + ["actions[0]"] * 30


def test_the_allocations_pirq_above_is_an_annotation() -> None:
    """x12: nic1's allocation of pirq 70 linked "what holds the pirq above" as its default, down to big0's pirq 78."""
    s = _run("x12-xenhvm-pirq-exhaust", HELD8)
    why = s.why("xen.pirqs[71]")
    assert links(why) == [("xen", "xen.pirqs[71]"), ("action.start", "actions[1]")]
    assert why.chain[0].branches[0][0].relation == "the pirq above it, held by"
