"""xen34: Xen leads of xenred31 / audit25 (tests/xen34/*.yaml).

k01 .. k04: the guest tick's wake-up of a halted HVM vCPU whose pCPU another vCPU runs goes through Xen's scheduler
(reading ``xen.sched.tick-wake-queued``: pt_timer_fn -> vcpu_kick -> vcpu_unblock -> vcpu_wake, the context switch's
tail vmx_do_resume at the schedule-in; RELEASE-4.0.0, 4.11.0, 4.19.2): the vCPU waits on the runqueue, its
hvm_migrate_pirqs / armed unmask come with its schedule-in, and with nothing to run it halts again. Before, msidbg ran
them at the tick itself.

p01: xenred31's lead (an MSI restore on a pirq HVM guest with qemu-xen 4.5+ loses the device's interrupts), verified
step by step (reading ``xen.pirq-msi-without-emuirq``): right in outcome; no vector-0 vMSI is injected, vmsi_deliver
refuses the pirq message, and EVTCHNOP_close + EVTCHNOP_bind_pirq recover.

c01 .. c04: audit25's lead: a scenario naming credit2 runs its release's credit2 (reading
``xen.sched.yield-by-release``): no ratelimit and no yield hook before 4.8, no tickle tolerance before 4.10, no
credit2 before 4.1; credit's yield flag from 4.1.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg import behaviour as bh
from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import ScenarioError, load_scenario, load_scenario_text
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "xen34"
FILES = sorted(DIR.glob("*.yaml"))
LAPIC = 0xFEE00000


@cache
def _run(prefix: str) -> Session:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_past_breakpoints(path)


def _ev(s: Session, *kinds: str) -> list[Any]:
    return [e for e in s.events(0, s.total) if e.kind in kinds]


def _pcpus(s: Session, dev: str) -> list[int]:
    return [(e.fields["addr"] - LAPIC) >> 12 for e in _ev(s, "msi.msg") if e.dev == dev]


def _sched(s: Session, vcpu: int) -> list[tuple[int, str]]:
    return [(e.time_ns, e.fields["how"]) for e in _ev(s, "xen.sched") if e.fields["vcpu"] == vcpu]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_xen34_scenario_matches_its_expect(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


@pytest.mark.parametrize("prefix", ["k01", "k03"])
def test_a_tick_queues_a_halted_vcpu_behind_the_runner(prefix: str) -> None:
    # credit2 4.14 (within the ratelimit: no tickle) and credit 4.11 (MIGRATING: no BOOST over a BOOSTed runner)
    s = _run(prefix)
    ticks = [e for e in _ev(s, "xen.msixtbl") if "guest tick" in str(e.fields["how"])]
    assert [(e.time_ns, e.cpu) for e in ticks] == [(6_000_000, 1)]
    assert "waits on the runqueue" in str(ticks[0].fields["how"])
    (mig,) = [e for e in _ev(s, "xen.migrate") if str(e.fields["how"]).startswith("schedule-in")]
    assert mig.time_ns == 8_001_300     # vCPU 0 blocked after n1's storm: not the 6 ms tick
    ins = _sched(s, 1)
    assert ins == [(8_001_300, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0")]
    # the 7 ms vector waited in its vIRR: it runs the handler after vmx_do_resume (no halt at the schedule-in)
    assert [(e.time_ns, e.cpu) for e in _ev(s, "irq.handler") if e.dev == "n0"][1] == (8_001_800, 1)
    # the 7 ms signal's ack no longer applies the move (asked only at 8.0013 ms): the 9 ms one does
    assert _pcpus(s, "n0") == [0, 1, 1, 0]


def test_a_tick_past_the_ratelimit_preempts_then_the_runner_comes_back() -> None:
    s = _run("k02")
    at8 = [(e.fields["vcpu"], str(e.fields["how"])) for e in _ev(s, "xen.sched") if 8_000_000 <= e.time_ns < 8_001_000]
    assert [v for v, _ in at8] == [1, 1, 0]
    assert "tickle" in at8[0][1] and "vCPU0 preempted" in at8[0][1]
    assert "nothing to run" in at8[1][1] and "hlt -> SCHEDOP_block" in at8[1][1]
    assert "vCPU0 scheduled in" in at8[2][1]
    (mig,) = [e for e in _ev(s, "xen.migrate") if str(e.fields["how"]).startswith("schedule-in")]
    assert mig.time_ns == 8_000_000
    assert _pcpus(s, "n0") == [0, 1, 0]


def test_an_armed_unmask_waits_for_the_schedule_in_not_the_tick() -> None:
    s = _run("k04")
    unmasks = [e.time_ns for e in _ev(s, "msix.write") if e.dev == "n0" and e.cpu == 1]
    assert unmasks == [9_501_500]       # hvm_do_resume's completion at vCPU 1's schedule-in (was the 8 ms tick)
    (h,) = [e for e in _ev(s, "irq.handler") if e.dev == "n0"]
    assert (h.cpu, h.fields["signals"]) == (1, 3)


def test_an_msi_restore_on_a_pirq_guest_loses_every_signal_until_the_port_is_bound_again() -> None:
    # xenred31's lead, verified (reading xen.pirq-msi-without-emuirq): the Enable clear unbinds and unmaps pirq 101,
    # the Enable write maps and binds pirq 101 again (the cached message's destination id), the port stays bound
    # but without the emuirq vmsi_deliver refuses the pirq message; EVTCHNOP_close + EVTCHNOP_bind_pirq recover
    s = _run("p01")
    qemu = [(e.kind, e.fields["pirq"], e.fields["rc"]) for e in _ev(s, "qemu.unbind_pirq", "qemu.unmap_pirq",
                                                                    "qemu.map_pirq", "qemu.bind_pirq")
            if 4_000_000 <= e.time_ns < 5_000_000]
    assert qemu == [("qemu.unbind_pirq", 101, 0), ("qemu.unmap_pirq", 101, 0), ("qemu.map_pirq", 101, 101),
                    ("qemu.bind_pirq", 101, 0)]
    how = [(e.time_ns, e.fields["port"], str(e.fields["how"])) for e in _ev(s, "xen.pirq")]
    refused = "emuirq unbound: vmsi_deliver refuses the pirq message"
    assert how == [(1_000_800, 1, "upcall to vCPU0"), (6_000_800, 1, refused), (7_000_800, 1, refused),
                   (10_000_800, 1, "upcall to vCPU0")]
    ops = [(e.fields["op"], e.fields["arg"]) for e in _ev(s, "xen.hypercall") if 8_000_000 <= e.time_ns < 9_001_000]
    assert ops == [("EVTCHNOP_close", 1), ("EVTCHNOP_bind_pirq", 101)]
    assert all("emuirq is unbound" in h["detail"] for h in s.summary()["hits"])


def _handler_times(s: Session, dev: str) -> list[tuple[int, int]]:
    return [(e.time_ns, e.cpu) for e in _ev(s, "irq.handler") if e.dev == dev]


def test_credit2_before_4_8_has_no_ratelimit_the_tickle_preempts_at_once() -> None:
    s = _run("c01")     # 4.7 credit2 (x02 on 4.14: vCPU 1 after the storm, 8.0049 ms)
    assert _sched(s, 1)[0] == (6_100_800, "schedule (a waking vCPU's tickle): vCPU0 preempted (back on the "
                               "runqueue), vCPU1 scheduled in on pCPU0; vCPU0 waits")
    assert _handler_times(s, "n0")[1] == (6_104_500, 1)


def test_credit2_4_9_tickles_within_the_ratelimit_and_switches_at_its_end() -> None:
    s = _run("c02")     # 4.9: the ratelimit, no is_preemptable
    sched = [(e.time_ns, e.fields["vcpu"], str(e.fields["how"])) for e in _ev(s, "xen.sched")]
    assert sched[0][:2] == (6_100_800, 0) and "less than the ratelimit (1000 us): it continues" in sched[0][2]
    assert sched[1][:2] == (7_000_800, 1) and sched[1][2].startswith("schedule (the ratelimit's end)")
    assert _handler_times(s, "n0")[1] == (7_004_500, 1)


@pytest.mark.parametrize("prefix,done", [("c03", 8_079_500), ("c04", 7_145_500)])
def test_a_credit2_spinner_yields_as_its_release_did(prefix: str, done: int) -> None:
    # 4.7.0: no yield hook -- the spinner keeps the pCPU until its credit falls below the waiter's; 4.8.0: the yield
    # escapes the ratelimit one ple_window after the tickle's continuation. intx36: c03's vCPU 0 burns 12 us more in
    # each of its two probes (pci_intx_for_msi's trapped Command read and write): its credit is 24 us lower, so it
    # falls below vCPU 1's 24 us sooner and free_irq is done at 8.0795 ms (was 8.1041 ms; c04 yields as before)
    s = _run(prefix)
    (end,) = [e.time_ns for e in _ev(s, "action.done") if e.fields["do"] == "free_irq"]
    assert end == done
    hows = [str(e.fields["how"]) for e in _ev(s, "xen.sched")]
    assert any("no yield hook: do_yield only raised SCHEDULE_SOFTIRQ" in h for h in hows) == (prefix == "c03")


def test_credit2_does_not_exist_before_xen_4_1() -> None:
    text = (DIR / "c01-x47-k510-credit2-no-ratelimit-tickle-preempts.yaml").read_text().replace(
        'xen: "4.7"', 'xen: "4.0.4"')
    with pytest.raises(ScenarioError, match=r"platform.xen_sched: 'credit2' does not exist in xen 4.0.4 \(expected "
                                            r"a platform.xen from 4.1 on, or 'credit'\)"):
        load_scenario_text(text, "c01-on-4.0.4.yaml")


@pytest.mark.parametrize("xen,row", [
    ("4.7.6", (False, False, False, False, True)), ("4.8.0", (True, True, False, True, True)),
    ("4.9.4", (True, True, False, True, True)), ("4.10.0", (True, True, True, True, True)),
    ("4.0.4", (False, False, False, False, False)), ("4.1.0", (False, False, False, False, True))])
def test_the_scheduler_rows_follow_the_release(xen: str, row: tuple[bool, ...]) -> None:
    t = bh.resolve("xen-hvm", xen=xen).plain("xen-hvm")
    assert tuple(t[k] for k in ("xen_credit2_ratelimit", "xen_credit2_yield", "xen_credit2_tickle_tolerance",
                                "xen_credit2_max_timer_10ms", "xen_credit_yield_flag")) == row
