"""xen28: a vCPU blocked in Xen on a device-model ioreq is blocked to Xen's scheduler (reading
``xen.sched.migrate-ioreq``): ``ioreq_send`` / ``hvm_send_ioreq`` sets ``_VPF_blocked_in_xen`` before QEMU sees the
request, only QEMU's notification clears it (``default_xen_notification_fn`` -> ``vcpu_wake``), so a
``vcpu_migrate`` meanwhile leaves it blocked and ``vmx_do_resume``'s ``hvm_migrate_pirqs`` runs at the completion's
schedule-in (RELEASE-4.0.0 / 4.14.0 / 4.19.2). Each file in tests/xen28/ was predicted from source before the change
ran (PREDICTIONS.md); the event-level tests below fail on the model before it (revision 16), which took the waiting
vCPU as running and asked the moves at the migration.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.model import new_engine, vmsi
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import run_past_breakpoints
from tests.conftest import session_events as _events
from tests.conftest import xen_host_irq as _host_irq
from tests.mech_helpers import evs, finish

DIR = Path(__file__).resolve().parent / "xen28"
FILES = sorted(DIR.glob("*.yaml"))


def _path(prefix: str) -> Path:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return path




def test_there_are_six_files() -> None:
    assert len(FILES) == 6


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_matches_its_source_prediction(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_the_completion_is_the_schedule_in_that_asks_the_move() -> None:
    s = run_past_breakpoints(_path("i01"))
    ev = _events(s)
    mig = [e for e in ev if e[0] == "xen.migrate"]
    assert [e[4] for e in mig] == [5_002_000, 5_012_000]   # revision 16: only the migration, at 5.002 ms
    assert mig[0][3]["how"] == ("no pirq follows it; blocked in Xen on a device-model ioreq (_VPF_blocked_in_xen): "
                                "hvm_migrate_pirqs at its schedule-in when QEMU completes it")
    assert mig[1][3]["how"] == ("schedule-in on pCPU6 (last ran on pCPU1): vmx_do_resume runs hvm_migrate_pirqs: "
                                "pending moves of pirq 101 to pCPU6")
    # hvm_migrate_pirqs, then the completion (one kernel step later), then the vector the vCPU could not take
    i = ev.index(mig[1])
    assert [(e[0], e[4]) for e in ev[i + 1:i + 3]] == [("qemu.ioreq_done", 5_012_100), ("apic.accept", 5_012_100)]
    # the 5.005 ms signal's ack found no move: the 6 ms message is the one it carried (revision 16: the new pCPU's)
    msgs = [e[3] for e in ev if e[0] == "msi.msg" and e[4] >= 5_000_000]
    assert len(msgs) == 2 and msgs[0] == msgs[1]
    assert (_host_irq(s, 101)["cpu"], _host_irq(s, 101)["move"]) == (6, -1)   # the 6 ms ack applied it
    assert "migrate_later" not in s.world["xen"]


def test_why_of_the_move_asked_at_the_completion_is_the_vcpu_migrate_action() -> None:
    s = run_past_breakpoints(_path("i01"))
    mig = [i for i, e in enumerate(_events(s)) if e[0] == "xen.migrate"]
    s.seek(mig[1] + 2)      # (event numbers count from 1: just after the schedule-in's event)
    chain = s.why("xen.irqs[56].move").as_dict()["chain"]
    assert chain[0]["kind"] == "xen.migrate" and chain[0]["value"] == 6
    # the root is the scenario's vcpu_migrate, not the ioreq QEMU was completing (the step's own context)
    assert [(c["path"], c["value"]) for c in chain[1:]] == [("actions[4]", "action 4 (vcpu_migrate vCPU1 -> pCPU6)")]


def test_a_signal_during_the_wait_waits_for_the_completion() -> None:
    s = run_past_breakpoints(_path("i01"))
    ev = _events(s)
    # delivered to the host at 5.0058 ms, taken by vCPU 1 only at 5.0121 ms: vcpu_kick does not end the wait
    assert [e[4] for e in ev if e[0] == "xen.pirq" and 5_000_000 < e[4] < 6_000_000] == [5_005_800]
    assert [e[4] for e in ev if e[0] == "apic.accept" and e[1] == 1 and 5_000_000 < e[4] < 6_000_000] == [5_012_100]


def test_migrated_there_and_back_during_the_wait_asks_nothing() -> None:
    s = run_past_breakpoints(_path("i02"))
    ev = _events(s)
    mig = [e for e in ev if e[0] == "xen.migrate"]
    assert [e[4] for e in mig] == [5_002_000, 5_004_000]
    assert mig[1][3]["how"] == "no pirq follows it; back on the pCPU it last ran on: no hvm_migrate_pirqs at its wake-up"
    # revision 16: two moves asked, the 6 ms ack rewrote the unchanged non-PVM message live (xen.msi at 6.0028 ms)
    assert [e[4] for e in ev if e[0] == "xen.msi" and e[4] >= 5_000_000] == []
    assert (_host_irq(s, 101)["cpu"], _host_irq(s, 101)["move"]) == (1, -1)
    assert "migrate_later" not in s.world["xen"]


def test_a_handler_waiting_in_hardirq_is_scheduled_in_at_its_first_completion() -> None:
    s = run_past_breakpoints(_path("i03"))
    ev = _events(s)
    mig = [e for e in ev if e[0] == "xen.migrate"]
    assert [e[4] for e in mig] == [3_060_000, 3_065_400]   # revision 16: only the migration, asking the move
    assert mig[0][3]["how"].startswith("no pirq follows it; blocked in Xen on a device-model ioreq")
    assert mig[1][3]["how"].endswith("pending moves of pirq 101 to pCPU5")
    # the completion, then the ack (irq_move_irq, still in hardirq) traps again: the address's high word
    i = ev.index(mig[1])
    assert [(e[0], e[1], e[4]) for e in ev[i + 1:i + 3]] == [("qemu.ioreq_done", None, 3_065_500),
                                                             ("ioreq.msix_write", 1, 3_065_500)]
    assert ev[i + 2][3]["reg"] == "addr_hi"
    # QEMU's re-bind to vCPU 0 replaced the move; the next interrupt applied it
    assert (_host_irq(s, 101)["cpu"], _host_irq(s, 101)["move"]) == (0, -1)


def test_a_snapshot_taken_during_the_wait_goes_on_as_the_run_did(tmp_path: Path) -> None:
    whole = run_past_breakpoints(_path("i01"))
    part = Session.from_scenario(str(_path("i01")))
    mig = next(i for i, e in enumerate(_events(whole)) if e[0] == "xen.migrate")
    part.run(mig + 1)
    assert part.world["xen"]["migrate_later"] == {1: [1, 4]}     # (pCPU it last ran on, the vcpu_migrate action)
    assert part.world["qemu"]["serving"]["cpu"] == 1
    path = tmp_path / "i01.msgpack"
    part.save(str(path))
    again = Session.open(str(path))
    while again.cursor < again.total or again.continue_().reason == "breakpoint":
        again.continue_()
    assert _events(again) == _events(whole)
    assert state_hash(again.world) == state_hash(whole.world)


def test_a_guest_tick_does_not_wake_a_vcpu_blocked_on_an_ioreq() -> None:
    eng = new_engine(load_scenario(str(_path("i01"))))
    eng.w.behaviour["guest_tick"] = "hz1000"
    eng.schedule(5_003_000, "xen", "tick", 1)       # inside vCPU 1's wait, after the 5.002 ms migration
    finish(eng)
    ticks = evs(eng, "xen.msixtbl")
    assert [(e.time_ns, e.fields["how"]) for e in ticks] == [
        (5_003_000, "guest tick: the vCPU is blocked in Xen on a device-model ioreq (_VPF_blocked_in_xen): no "
                    "wake-up, QEMU's completion schedules it in"),
        (6_003_000, "guest tick: no msix_unmask_address armed")]
    assert [e.time_ns for e in evs(eng, "xen.migrate")] == [5_002_000, 5_012_000]


def test_ioreq_blocked_reads_the_context_that_trapped() -> None:
    def cpu(irq_stack: list[Any], irq_wait: Any, proc_wait: Any, online: bool = True) -> Any:
        return SimpleNamespace(online=online, irq=SimpleNamespace(stack=irq_stack, wait=irq_wait),
                               proc=SimpleNamespace(wait=proc_wait))
    assert vmsi.ioreq_blocked(cpu([], None, {"ioreq": 3, "irqs_off": False}))
    assert vmsi.ioreq_blocked(cpu([{"pc": 0}], {"ioreq": 4}, None))      # an ack's write, in hardirq
    assert not vmsi.ioreq_blocked(cpu([{"pc": 0}], None, {"ioreq": 3}))  # (cannot be: the handler runs)
    assert not vmsi.ioreq_blocked(cpu([], None, {"target": 1}))          # asleep: halted
    assert not vmsi.ioreq_blocked(cpu([], None, {"ioreq": 3}, online=False))


def test_provenance_only_records() -> None:
    from tests.conftest import assert_prov_neutral
    assert_prov_neutral(FILES)


def _xen_msi_times(prefix: str) -> list[int]:
    return [e[4] for e in _events(run_past_breakpoints(_path(prefix))) if e[0] == "xen.msi"]


def test_before_4_12_a_binding_moves_every_pirq_of_its_vcpu() -> None:
    # 4.11.4: n0's re-binding to vCPU 1 (hvm_migrate_pirqs) also asked m0's move, applied live by its 3 ms ack
    assert _xen_msi_times("b01") == [1_002_800, 3_002_800]
    # 4.12.0 (782cf8ba46): only the bound pirq -- m0's one rewrite is its own binding's move (1 ms signal)
    assert _xen_msi_times("b02") == [1_002_800]


def test_the_row_follows_the_release() -> None:
    from msidbg.behaviour import resolve
    def row(xen: str) -> bool:
        return bool(resolve(kind="xen-hvm", xen=xen).plain("xen-hvm")["xen_bind_moves_one_pirq"])
    assert [row(v) for v in ("4.0.0", "4.5.0", "4.11.4", "4.12.0", "4.19.2")] == [False, False, False, True, True]
    assert "xen_bind_moves_one_pirq" not in resolve(kind="xen-pv", xen="4.11.4").plain("xen-pv")


def test_a_pending_migration_of_a_vcpu_the_domain_lacks_is_one_note() -> None:
    eng = new_engine(load_scenario(str(_path("i01"))))
    eng.w.xen["migrate_later"] = {7: [1, 3]}      # (a world no run makes: vCPU 7 of a 2-vCPU domain)
    eng.schedule(1000, "xen", "resume", 7)
    finish(eng)
    first = evs(eng, "xen.migrate")[0]
    assert (first.time_ns, first.fields["pcpu"], first.fields["how"]) == (
        1000, -1, "schedule-in: a malformed pending migration (xen.migrate_later), dropped")


def test_an_offline_vcpu_is_scheduled_in_at_the_sipi_that_brings_it_back() -> None:
    s = run_past_breakpoints(_path("d01"))
    ev = _events(s)
    mig = [e for e in ev if e[0] == "xen.migrate"]
    assert [e[4] for e in mig] == [3_500_000, 4_000_000]   # revision 16: one, asking the move at 3.5 ms
    assert mig[0][3]["how"] == ("no pirq follows it; offline (hvm_vcpu_down: _VPF_down): hvm_migrate_pirqs at its "
                                "schedule-in when the SIPI brings it back")
    assert mig[1][3]["how"].endswith("pending moves of pirq 98 to pCPU9")
    # right after the guest's cpu.online (the SIPI), before the vCPU's own bring-up steps
    i = ev.index(mig[1])
    assert ev[i - 1][0] == "cpu.online" and ev[i - 1][3]["target"] == 2
    assert (_host_irq(s, 98)["cpu"], _host_irq(s, 98)["move"]) == (9, -1)   # the 5 ms ack applied it
