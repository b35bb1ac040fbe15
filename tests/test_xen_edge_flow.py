"""handle_edge_irq on a Xen guest's MSI pirq (drivers/xen/events/events_base.c, kernel/irq/chip.c).

xen_bind_pirq_msi_to_irq installs handle_edge_irq with xen_pirq_chip: its irq_ack is eoi_pirq
(clear_evtchn, PHYSDEVOP_eoi), its irq_mask_ack mask_ack_pirq (disable_dynirq -- the event channel's
mask -- then eoi_pirq), its irq_unmask enable_dynirq. A port rebound to another vCPU while the old
vCPU runs the action: the next event reaches the new vCPU, whose handle_edge_irq finds the irq in
progress (irq_may_run), sets IRQS_PENDING and runs mask_ack_pirq with no action; the old vCPU's
do/while unmasks the port and runs the action again. One irq's action never runs on two vCPUs at once.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.sim.events import Event
from tests.conftest import scenario

HANDLER_NS = 20_000

# the port starts on vCPU1 (6.1: select_target_cpu spreads it) or vCPU0 (4.19: cpumask_first_and);
# set_affinity moves it to vCPU2 while the first event's 20us action runs
MOVE = """
name: xen-edge-inprogress
cpus: 3
costs: {{handler: 20us}}
platform: {{kind: xen-hvm, xen: "4.16"}}
kernel: {{version: "{kernel}"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: {count}, every: 5us}}
  - {{at: 2005us, on: {on}, do: set_affinity, dev: eth0, vector: 0, cpu: 2}}
"""
# 6.1: immediate affinity (EVTCHNOP_bind_vcpu from set_affinity, FIFO ABI); 4.19 with the 2-level
# ABI: no IRQ_MOVE_PCNTXT before 1ca1b4e2c0cb, the move waits for eoi_pirq on vCPU0
CASES = {"6.1-fifo": dict(kernel="6.1", extra="", count=4, on=0, old=1),
         "4.19-2l-pending-move": dict(kernel="4.19", extra=", xen_fifo_events: false", count=8, on=1, old=0)}


def _engine(case: str) -> Any:
    c = CASES[case]
    return new_engine(scenario(MOVE.format(kernel=c["kernel"], extra=c["extra"], count=c["count"], on=c["on"])))


def _run(case: str) -> tuple[list[Event], dict[str, Any]]:
    eng = _engine(case)
    while eng.step():
        pass
    return [eng.log.event(i) for i in range(1, len(eng.log) + 1)], eng.w


@pytest.mark.parametrize("case", list(CASES))
def test_one_pirqs_action_never_runs_on_two_vcpus_at_once(case: str) -> None:
    events, w = _run(case)
    runs = [e for e in events if e.kind == "irq.handler" and e.dev == "eth0"]
    assert {e.cpu for e in runs} == {CASES[case]["old"]}, "the old vCPU's loop ran every action"
    for a, b in zip(runs, runs[1:], strict=False):
        assert b.time_ns >= a.time_ns + HANDLER_NS, f"{b} started inside {a}'s action"
    a = w["acct"]["eth0"]
    n = CASES[case]["count"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (n, n, 0)
    desc = next(d for d in w["irqs"].values() if d["dev"] == "eth0")
    assert not desc["pending"] and desc["pending_src"] == [] and not desc["masked"]
    assert not any(ch["masked"] for ch in w["xen"]["ports"].values())


@pytest.mark.parametrize("case", list(CASES))
def test_the_event_on_the_new_vcpu_is_mask_ack_pirq_and_the_old_vcpus_loop_unmasks(case: str) -> None:
    old = CASES[case]["old"]
    events, _ = _run(case)
    i = next(n for n, e in enumerate(events) if e.kind == "kernel" and "IRQS_PENDING" in str(e.fields.get("what")))
    assert events[i].cpu == 2 and events[i].fields["prog"] == "xen_handle_edge_irq"
    assert f"in progress on CPU{old}" in str(events[i].fields["what"])
    # mask_ack_pirq on vCPU2: disable_dynirq (the port's mask), then eoi_pirq (clear_evtchn,
    # PHYSDEVOP_eoi: an HVM guest always asks); no action there
    mine = [e for e in events[i + 1:] if e.cpu == 2 and e.dev == "eth0"][:3]
    assert [(e.kind, e.fields.get("masked"), e.fields.get("op")) for e in mine] == [
        ("evtchn.mask", 1, None), ("evtchn.clear", None, None), ("xen.hypercall", None, "PHYSDEVOP_eoi")]
    assert mine[1].fields["signals"] >= 1
    # the old vCPU's do/while: enable_dynirq (unmask the port), then the action for those signals
    # (on 2-level the port is vCPU2's now: evtchn_2l_unmask from vCPU0 is EVTCHNOP_unmask, pending or not)
    unmask = next(n for n, e in enumerate(events) if n > i and (
        (e.kind == "evtchn.mask" and e.fields["masked"] == 0)
        or (e.kind == "xen.hypercall" and e.fields["op"] == "EVTCHNOP_unmask")))
    if "2l" in case:    # (FIFO: a hypercall only if the port went pending again meanwhile)
        assert events[unmask].kind == "xen.hypercall"
    assert events[unmask].cpu == old
    again = next(e for e in events[unmask:] if e.kind == "irq.handler")
    assert again.cpu == old and again.fields["signals"] >= mine[1].fields["signals"]


def test_the_loop_runs_inside_the_old_vcpus_upcall() -> None:
    """The frame put back on vCPU1 sits where Linux runs it: under the callback vector's
    common_interrupt and the upcall, which checks evtchn_upcall_pending again when it returns."""
    eng = _engine("6.1-fifo")
    while eng.step():
        e = eng.log.event(len(eng.log))
        if e.kind == "evtchn.mask" and e.fields["masked"] == 0 and e.cpu == 1:
            break
    else:
        raise AssertionError("vCPU1 never unmasked the port")
    stack = eng.w["cpus"][1]["irq"]["stack"]
    assert [f["prog"] for f in stack] == ["common_interrupt", "xen_evtchn_do_upcall", "xen_handle_edge_irq"]
    assert stack[0]["locals"]["vector"] == 0xF3
