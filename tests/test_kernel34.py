"""kernel34: the guest kernel's preemption model (``kernel.preempt``) decides when a cpu_offline's stopper thread
takes a CPU from a task running kernel code (reading ``kernel.hotplug.stopper-preempt``).

tests/kernel34/p01..p04 run two races both ways. p01 / p02 are tests/heldout31 q32 (an MSI-X enable on the CPU
going offline, a free on another CPU): with ``full`` (CONFIG_PREEMPT, the default) the stopper preempts the enable
between msix_enabled and msi_lock_descs, so the free runs first and MSI-X ends up off under 2 set-up irqs; with
``none`` (CONFIG_PREEMPT_NONE) the enable runs to its return first, then stop_machine, then the free. p03 / p04: a
free asleep on msi_lock_descs is a scheduling point in both; the holder is preempted only with ``full``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.behaviour import by_name
from msidbg.debugger import headless
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import run_to_end
from tests.test_redteam21 import _events

HERE = Path(__file__).parent / "kernel34"
Q32 = Path(__file__).parent / "heldout31" / "q32-enable-offline-free-6cpu-k66.yaml"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


def _done(eng) -> list[tuple[int, str, int]]:  # type: ignore[no-untyped-def]
    return [(e.time_ns, e.fields["do"], e.fields["result"]) for e in _events(eng, "action.done")]


def _log(eng) -> list[tuple[int, object, str, object, dict]]:  # type: ignore[no-untyped-def,type-arg]
    return [(e.time_ns, e.cpu, e.kind, e.dev, dict(e.fields)) for e in eng.log.events(1, len(eng.log) + 1)]


def _ctl(eng) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(CPU, value) of each MSI-X Message Control write (offset 0x72 of this function)."""
    return [(e.cpu, e.fields["value"]) for e in _events(eng, "cfg.write") if e.fields["offset"] == 114]


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


def test_q32_full_preempts_between_the_flag_and_the_lock() -> None:
    """full: the free (CPU4) clears Enable first; the migrated enable (CPU0) clears Function Mask on a function
    with MSI-X off and returns 2 after the offline."""
    eng = _run("p01-enable-offline-free-full-k66")
    assert _done(eng) == [(1004200, "free_vectors", 0), (1008300, "cpu_offline", 0), (1014200, "alloc_vectors", 2)]
    assert _ctl(eng) == [(3, 0xC003), (4, 0x4003), (0, 0x0003)]
    assert [e.cpu for e in _events(eng, "irq.alloc")] == [0, 0]
    assert not any("CONFIG_PREEMPTION" in e.fields["what"] for e in _events(eng, "kernel"))


def test_q32_none_waits_for_the_return_to_user_space() -> None:
    """none: CPU3's stopper waits while the enable runs on to its return (7.8 us: Enable set, Function Mask
    cleared, 2 irqs on CPU3); only then MULTI_STOP_PREPARE completes; the free runs after stop_machine, clears
    Enable and releases both irqs."""
    eng = _run("p02-enable-offline-free-none-k66")
    assert _done(eng) == [(8800, "alloc_vectors", 2), (1011700, "free_vectors", 0), (1014200, "cpu_offline", 0)]
    assert _ctl(eng) == [(3, 0xC003), (3, 0x8003), (4, 0x0003)]
    assert [e.cpu for e in _events(eng, "irq.alloc")] == [3, 3]
    assert [(e.time_ns, e.cpu) for e in _events(eng, "irq.release")] == [(1011500, 4), (1011600, 4)]
    notes = [e for e in _events(eng, "kernel") if e.cpu == 0 and e.time_ns == 2000]
    assert len(notes) == 1 and "kernel.preempt: none" in notes[0].fields["what"]   # not 'leave hardirq'
    ack = [e.fields["what"] for e in _events(eng, "kernel") if e.cpu == 3 and e.time_ns == 8900]
    assert ack == ["migration/3: MULTI_STOP_PREPARE acked, the last: every CPU has interrupts off (MULTI_STOP_RUN)"]


def test_q32_heldout_file_is_the_full_run() -> None:
    """tests/heldout31 q32 (no kernel.preempt) runs as p01: full is the default, and its world has no row."""
    a = run_to_end(load_scenario(str(Q32)))
    b = _run("p01-enable-offline-free-full-k66")
    assert _log(a) == _log(b)
    assert "preempt" not in a.w.behaviour
    assert _run("p02-enable-offline-free-none-k66").w.behaviour["preempt"] == "none"


def test_mutex_sleeper_is_a_scheduling_point_the_holder_only_under_full() -> None:
    """p03 full: the holder (CPU3) is preempted at the offline (5.5 us): stop_machine at once, the enable returns
    after it, and the free (asleep on the mutex) takes the lock before the enable's last write -- MSI-X left off.
    p04 none: the sleeper's stopper acks at once, the holder's at its return (8.9 us): the enable finishes first
    with MSI-X on, the free after stop_machine."""
    full, none = _run("p03-mutex-sleeper-offline-full-k66"), _run("p04-mutex-sleeper-offline-none-k66")
    # (intx36: the enables' and frees' Interrupt Disable writes, 1 us each, move the times below)
    assert _done(full) == [(1008600, "free_vectors", 0), (1008800, "alloc_vectors", 2),
                           (1010700, "cpu_offline", 0)]
    assert _ctl(full) == [(3, 0xC003), (4, 0x4003), (3, 0x0003)]
    assert _done(none) == [(8800, "alloc_vectors", 2), (1011600, "free_vectors", 0), (1014100, "cpu_offline", 0)]
    assert _ctl(none) == [(3, 0xC003), (3, 0x8003), (4, 0x0003)]
    offline = [e.time_ns for e in _events(none, "cpu.offline")] + [e.time_ns for e in _events(full, "cpu.offline")]
    assert offline == [1009100, 1005700]


def test_deterministic() -> None:
    for name in ("p02-enable-offline-free-none-k66", "p04-mutex-sleeper-offline-none-k66"):
        a, b = run_to_end(load_scenario(str(HERE / f"{name}.yaml"))), _run(name)
        assert len(a.log) == len(b.log) and state_hash(a.w) == state_hash(b.w), name


def test_row_and_bad_values(tmp_path: Path) -> None:
    row = by_name()["preempt"]
    assert row.values == ("full", "none") and row.default == "full" and row.sparse and not row.history
    bad = tmp_path / "bad.yaml"
    bad.write_text(Q32.read_text().replace('kernel: {version: "6.6"}', 'kernel: {version: "6.6", preempt: voluntary}'))
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(bad))
    assert str(err.value) == "kernel.preempt: unknown setting 'voluntary' (expected one of: full, none)"


def test_action_queued_behind_a_non_preemptible_task_lets_the_stopper_run() -> None:
    """p05 (h08 under none): CPU0's first cpu_offline returns at 1.1552 ms with CPU1's stop_machine waiting for
    CPU0's stopper; the cpu_online queued on CPU0 starts at once but waits behind the stopper, which acks next.
    Every action ends (the model used to park CPU0 with its stopper never run: the run ended at 1.1552 ms)."""
    eng = _run("p05-nvme66-offline-online-none")
    done = _done(eng)
    assert len(done) == len(eng.w.actions) - 1      # every action but the device's stream (fire) reports done
    assert (1155200, "cpu_offline", 0) in done and (2161400, "cpu_offline", 0) in done
    assert (2163000, "cpu_online", 0) in done
    acks = [(e.time_ns, e.fields["what"]) for e in _events(eng, "kernel") if e.fields["prog"] == "multi_cpu_stop"]
    assert acks[-1] == (1155300, "migration/0: MULTI_STOP_PREPARE acked, the last: every CPU has interrupts off "
                                 "(MULTI_STOP_RUN)")


def test_xen_task_blocked_on_an_ioreq_then_runs_to_its_return() -> None:
    """p06 (z19 under none): the stopper of vCPU 2 waits for QEMU's completion (kernel.hotplug.stopper-ioreq) and
    then, without CONFIG_PREEMPTION, for the write's return on CPU 2 (402 ms); only then MULTI_STOP_PREPARE ends."""
    eng = _run("p06-hvm-x413-k419-ioreq-offline-none")
    writes = [(e.time_ns, e.cpu) for e in _events(eng, "action.done") if e.fields["do"] == "write"]
    assert writes == [(402000000, 2)]
    acks = [e.time_ns for e in _events(eng, "kernel") if e.fields["prog"] == "multi_cpu_stop"]
    assert acks[-1] == 402000100
    assert not any(e.fields["prog"] == "select_fallback_rq" for e in _events(eng, "kernel"))


def test_summary_reads_an_absent_sparse_row_as_its_default() -> None:
    """A full world has no ``preempt`` (sparse): the summary shows the default the model read, resolved as this
    msidbg resolves it -- not 'not recorded'; a none world carries and shows its value."""
    full = headless.run(load_scenario(str(Q32))).summary["behaviour"]["preempt"]
    assert full["value"] == "full" and "this_msidbg" not in full
    none = headless.run(load_scenario(str(HERE / "p02-enable-offline-free-none-k66.yaml"))).summary["behaviour"]
    assert none["preempt"]["value"] == "none" and none["preempt"]["from"] == "explicit"


def test_task_woken_during_prepare_waits_behind_its_stopper() -> None:
    """p07: the doorbell's handler wakes CPU1's driver task at 102.5 us, after CPU1's stopper acked PREPARE; the
    task returns at MULTI_STOP_EXIT (1.109 ms), not during the rendezvous (hotplug.woken_behind_stopper)."""
    eng = _run("p07-doorbell-woken-in-prepare-none-k66")
    assert [(e.cpu, e.time_ns) for e in _events(eng, "irq.handler")] == [(1, 102500)]
    bell = [(e.time_ns, e.cpu, e.fields["result"]) for e in _events(eng, "action.done") if e.fields["do"] == "doorbell"]
    assert bell == [(1109000, 1, 0)]
