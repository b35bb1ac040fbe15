"""xen34: Xen leads of xenred31 / audit25 (tests/xen34/*.yaml).

k01 .. k04: the guest tick's wake-up of a halted HVM vCPU whose pCPU another vCPU runs goes through Xen's scheduler
(reading ``xen.sched.tick-wake-queued``: pt_timer_fn -> vcpu_kick -> vcpu_unblock -> vcpu_wake, the context switch's
tail vmx_do_resume at the schedule-in; RELEASE-4.0.0, 4.11.0, 4.19.2): the vCPU waits on the runqueue, its
hvm_migrate_pirqs / armed unmask come with its schedule-in, and with nothing to run it halts again. Before, msidbg ran
them at the tick itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
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
