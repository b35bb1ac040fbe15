"""disable_irq / disable_irq_nosync / enable_irq and the IRQS_PENDING resend (kernel/irq/manage.c,
chip.c, resend.c; arch/x86/kernel/apic/vector.c apic_retrigger_irq; drivers/xen/events/events_base.c
xen_pirq_chip).

A disabled irq's edge is not lost: handle_edge_irq marks it IRQS_PENDING (one bit), masks and acks,
and runs no action; enable_irq's irq_startup -> check_irq_resend replays it through the chip's
retrigger -- an IPI of the irq's vector on x86, the event channel set pending on a Xen pirq.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals
from tests.test_kernfid2_free_irq import S07

BARE = """
name: irq-disable
seed: 1
cpus: 2
kernel: {{version: "{kernel}"}}{platform}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, {cap}}}
run:
  - {{at: 0, do: alloc_vectors, dev: eth0, mode: {mode}, vectors: 1}}
  - {{at: 100us, do: request_irq, dev: eth0, vector: 0, affinity: 1}}
  - {{at: 200us, on: 0, do: disable_irq, dev: eth0, vector: 0{unlazy}}}
  - {{at: 300us, do: fire, dev: eth0, vector: 0, count: 3, every: 5us}}
  - {{at: 400us, on: 0, do: enable_irq, dev: eth0, vector: 0}}
"""
MSI = dict(cap="msi: {vectors: 1}", mode="msi")        # no per-vector mask: mask_irq writes nothing
MSIX = dict(cap="msix: {table_size: 1}", mode="msix")


def _bare(kernel: str = "6.6", unlazy: str = "", **cap: str) -> Any:
    return run_to_end(scenario(_text(kernel, unlazy, **(cap or MSI))))


def _text(kernel: str = "6.6", unlazy: str = "", **cap: str) -> str:
    # (before 4.15 the model has the physical APIC drivers only: dmesg's "physical flat")
    platform = '\nplatform: {kind: bare-metal, apic_routing: "physical flat"}' if tuple(map(int, kernel.split("."))) < (4, 15) else ""
    return BARE.format(kernel=kernel, unlazy=unlazy, platform=platform, **cap)


def _t(eng: Any, kind: str) -> list[int]:
    return [e.time_ns for e in events_of(eng, kind)]


@pytest.mark.parametrize("kernel", ["4.9", "5.4", "6.6"])
def test_edges_while_disabled_are_replayed_once_after_enable_irq(kernel: str) -> None:
    """Three edges on a lazily disabled MSI: each reaches handle_edge_irq, which leaves it IRQS_PENDING
    and runs no action; enable_irq's check_irq_resend sends the vector to CPU1 once (apic_retrigger_irq)
    and the handler runs once for all three -- the pending bit is one bit. (No release boundary: the
    hardware retrigger comes first in every release, the vector domain's IPI on x86 MSI.)"""
    eng = _bare(kernel)
    assert [e.fields["how"] for e in events_of(eng, "irq.disable")] == ["lazy"]
    # (4.9: the stored affinity is a pending move; __irq_move_irq returns while the irq is disabled, so
    # the parked edges leave the irq on CPU0 and the resent edge's ack moves it -- redteam8)
    cpu = 0 if kernel == "4.9" else 1
    assert [e.fields["signals"] for e in events_of(eng, "irq.pending")] == [1] * 3
    assert max(_t(eng, "irq.pending")) < 400_000
    resend = events_of(eng, "irq.resend")
    assert len(resend) == 1 and resend[0].fields["target"] == cpu and "IPI" in resend[0].fields["how"]
    handlers = events_of(eng, "irq.handler")
    assert [(e.cpu, e.fields["signals"]) for e in handlers] == [(cpu, 3)]
    assert handlers[0].time_ns > resend[0].time_ns > 400_000
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "eth0")
    assert (desc["depth"], desc["disabled"], desc["pending"], desc["pending_src"]) == (0, False, False, [])


def test_a_lazy_disable_writes_nothing_the_first_edge_masks_the_entry() -> None:
    """MSI-X, lazy: disable_irq touches no register; the first edge's mask_ack_irq sets the entry's
    Mask bit (the next two are held in the PBA); enable_irq unmasks -- the PBA message -- and resends
    the first: every signal delivered, no action ran while disabled."""
    eng = _bare(**MSIX)
    writes = [(e.time_ns, e.fields["value"]) for e in events_of(eng, "msix.write") if e.fields["reg"] == "ctrl"]
    late = [w for w in writes if w[0] >= 200_000]
    pend = _t(eng, "irq.pending")
    assert len(pend) == 1 and late[0][1] == 1 and late[0][0] > pend[0] > 300_000, "masked by the edge"
    assert late[1][1] == 0 and late[1][0] >= 400_000, "unmasked by enable_irq"
    assert min(_t(eng, "irq.handler")) > 400_000
    assert len(events_of(eng, "irq.resend")) == 1
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_an_unlazy_disable_masks_at_once_and_no_edge_reaches_the_flow_handler() -> None:
    """IRQ_DISABLE_UNLAZY: __irq_disable masks with the disable; the edges are held in the PBA, none
    reaches handle_edge_irq, and enable_irq's unmask alone delivers them (nothing to resend)."""
    eng = _bare(unlazy=", unlazy: true", **MSIX)
    disable = events_of(eng, "irq.disable")[0]
    assert disable.fields["how"] == "masked"
    mask = next(e for e in events_of(eng, "msix.write") if e.time_ns >= 200_000)
    assert (mask.fields["reg"], mask.fields["value"], mask.cpu) == ("ctrl", 1, 0) and mask.index == disable.index + 1
    assert not events_of(eng, "irq.pending") and not events_of(eng, "irq.resend")
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


WAIT = """
name: disable-wait
seed: 1
cpus: 2
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 1}}}}
run:
  - {{at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 100us, do: request_irq, dev: eth0, vector: 0, affinity: 1}}
  - {{at: 300us, do: fire, dev: eth0, vector: 0}}
  - {{at: 300500ns, on: 0, do: {do}, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("do", ["disable_irq", "disable_irq_nosync"])
def test_disable_irq_waits_for_the_action_running_on_another_cpu_nosync_does_not(do: str) -> None:
    """CPU1 runs the action from 300.5 us for the handler's 1.5 us; CPU0 disables at 300.5 us.
    disable_irq returns only when the action is done (synchronize_irq: IRQD_IRQ_INPROGRESS);
    disable_irq_nosync returns at once."""
    eng = run_to_end(scenario(WAIT.format(do=do)))
    action = events_of(eng, "irq.handler")[0]
    assert (action.cpu, action.time_ns) == (1, 300_500)
    done = next(e for e in events_of(eng, "action.done") if e.fields["do"] == do)
    waits = [e for e in events_of(eng, "kernel") if "synchronize_irq" in str(e.fields["what"])]
    if do == "disable_irq":
        assert done.time_ns >= 300_500 + 1500 and waits and all(e.cpu == 0 for e in waits)
    else:
        assert done.time_ns < 300_500 + 1500 and not waits


def test_unbalanced_and_nested_enable() -> None:
    """Two disables need two enables: the first enable only drops the depth (the edge stays parked);
    the second replays it; a third is the kernel's WARN "Unbalanced enable for IRQ 24" -- a visible
    event, enable_irq returns nothing (the action's result 0) and the depth stays 0."""
    text = _text(**MSI).replace(
        "  - {at: 300us,", "  - {at: 250us, on: 0, do: disable_irq_nosync, dev: eth0, vector: 0}\n  - {at: 300us,")
    text += ("  - {at: 500us, on: 0, do: enable_irq, dev: eth0, vector: 0}\n"
             "  - {at: 600us, on: 0, do: enable_irq, dev: eth0, vector: 0}\n")
    eng = run_to_end(scenario(text))
    assert [(e.fields["depth"], e.fields["how"]) for e in events_of(eng, "irq.disable")] == [(1, "lazy"), (2, "nested")]
    got = [(e.time_ns, e.fields["depth"], e.fields["how"]) for e in events_of(eng, "irq.enable")]
    assert got == [(400_000, 1, "nested"), (500_000, 0, "irq_startup"),
                   (600_000, 0, "WARN: Unbalanced enable for IRQ 24")]
    assert [e.time_ns // 100_000 for e in events_of(eng, "irq.resend")] == [5]
    assert min(_t(eng, "irq.handler")) > 500_000
    assert [e.fields["result"] for e in events_of(eng, "action.done") if e.fields["do"] == "enable_irq"] == [0] * 3
    assert totals(eng, "eth0")["delivered"] == 3


def test_enable_irq_of_a_vector_without_an_irq_finds_no_descriptor() -> None:
    eng = run_to_end(scenario("""
        name: f
        cpus: 1
        devices:
          eth0: {bdf: "00:03.0", msix: {table_size: 2}}
        run:
          - {at: 0, do: enable_irq, dev: eth0, vector: 0}
        """))
    assert [e.fields["result"] for e in events_of(eng, "action.done")] == [-22]
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "not-probed"


def test_an_edge_left_pending_by_the_loop_survives_a_disable_and_is_replayed() -> None:
    """CPU1 runs the action; the irq moves to CPU2, whose edge finds it in progress (IRQS_PENDING, left
    to CPU1's loop); CPU0 disables before the loop runs: the loop ends with the edge still pending
    (the model used to count it lost), and enable_irq replays it on the irq's new CPU."""
    eng = run_to_end(scenario("""
        name: edge-inprogress-disable
        seed: 1
        cpus: 3
        kernel: {version: "6.1"}
        devices:
          eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
        run:
          - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
          - {at: 100us, do: request_irq, dev: eth0, vector: 0}
          - {at: 200us, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
          - {at: 300us, do: fire, dev: eth0, vector: 0, count: 2, every: 1us}
          - {at: 301500ns, on: 0, do: disable_irq_nosync, dev: eth0, vector: 0}
          - {at: 400us, on: 0, do: enable_irq, dev: eth0, vector: 0}
        """))
    notes = [str(e.fields["what"]) for e in events_of(eng, "kernel")]
    assert any("in progress on CPU1: IRQS_PENDING" in n for n in notes)
    assert any("disabled: the loop ends, 1 edge(s) stay IRQS_PENDING" in n for n in notes)
    resend = events_of(eng, "irq.resend")
    assert len(resend) == 1 and resend[0].fields["target"] == 2
    assert [e.cpu for e in events_of(eng, "irq.handler")][-1] == 2
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_an_edge_parked_on_a_freed_irq_is_replayed_by_the_next_request_irq() -> None:
    """free_irq at 1.1 ms: CPU1's edge of that instant finds the irq shut down -- IRQS_PENDING, which
    free_irq does not clear. request_irq's irq_startup(IRQ_RESEND) replays it (check_irq_resend):
    delivered, where the model used to count it lost at the handler with no action."""
    eng = run_to_end(scenario(S07.format(kernel="5.15", free_at="1100us")
                              + "  - {at: 2ms, on: 0, do: request_irq, dev: eth0, vector: 0}\n"))
    assert _t(eng, "irq.pending") == [1_100_400]
    resend = events_of(eng, "irq.resend")
    assert len(resend) == 1 and 2_000_000 < resend[0].time_ns < 2_002_000
    assert totals(eng, "eth0") == {"raised": 20, "delivered": 20, "lost": 0, "spurious": 0}


XEN = """
name: xen-disable
seed: 1
cpus: 3
costs: {{handler: 20us}}
platform: {{kind: xen-hvm, xen: "4.16"}}
kernel: {{version: "6.1"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
{middle}
  - {{at: 3ms, on: 0, do: enable_irq, dev: eth0, vector: 0}}
"""


def test_xen_pirq_disable_masks_the_port_and_enable_delivers_what_it_held() -> None:
    """xen_pirq_chip has irq_disable (disable_pirq): the port is masked at disable time, never lazily;
    events meanwhile stay pending on the masked port; enable_pirq's unmask signals the upcall."""
    eng = run_to_end(scenario(XEN.format(middle=(
        "  - {at: 2ms, on: 1, do: disable_irq, dev: eth0, vector: 0}\n"
        "  - {at: 2100us, do: fire, dev: eth0, vector: 0, count: 3, every: 5us}"))))
    disable = events_of(eng, "irq.disable")[0]
    assert disable.fields["how"] == "masked"
    masks = [(e.time_ns >= 3_000_000, e.fields["masked"]) for e in events_of(eng, "evtchn.mask") if e.time_ns >= 2_000_000]
    assert masks == [(False, 1)]
    # the port is pending at enable time: evtchn_fifo_unmask asks Xen (EVTCHNOP_unmask), which links it
    unmasks = [e for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "EVTCHNOP_unmask"]
    assert [(e.time_ns >= 3_000_000, e.cpu) for e in unmasks] == [(True, 0)]
    assert not events_of(eng, "irq.pending") and not events_of(eng, "irq.resend")
    assert [e.fields["signals"] for e in events_of(eng, "irq.handler") if e.time_ns > 2_000_000] == [3]
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_xen_pirq_pending_edge_is_replayed_through_the_event_channel() -> None:
    """The port moves to vCPU2 while vCPU1 runs the action: vCPU2's event is left IRQS_PENDING to
    vCPU1's loop (mask_ack_pirq); a disable_irq_nosync before that loop ends it with the event pending;
    enable_irq's check_irq_resend calls retrigger_dynirq, which sets the port pending again -- the
    upcall on vCPU2 delivers it."""
    eng = run_to_end(scenario(XEN.format(middle=(
        "  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 5us}\n"
        "  - {at: 2005us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}\n"
        "  - {at: 2012us, on: 0, do: disable_irq_nosync, dev: eth0, vector: 0}"))))
    resend = events_of(eng, "irq.resend")
    assert len(resend) == 1 and resend[0].fields["target"] == 2
    assert "retrigger_dynirq: event channel" in resend[0].fields["how"]
    last = events_of(eng, "irq.handler")[-1]
    assert last.cpu == 2 and last.time_ns > resend[0].time_ns and last.fields["signals"] == 1
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_why_of_the_replayed_handler_reaches_the_edge_that_set_irqs_pending(tmp_path: Any) -> None:
    """The cause chain of the replayed handler run: its accept, the IPI check_irq_resend sent
    (irq.resend), IRQS_PENDING as the disabled irq's edge set it (irq.pending), that edge's accept
    and the device's message."""
    from pathlib import Path

    from msidbg.debugger import Session

    path = Path(str(tmp_path)) / "d.yaml"
    path.write_text(_text(**MSI))
    s = Session.from_scenario(str(path))
    s.run()
    events = s.events(1, len(s.eng.log) + 1)
    idx = {k: [e.index for e in events if e.kind == k] for k in ("irq.handler", "irq.resend", "irq.pending", "msi.msg")}
    why = s.why(idx["irq.handler"][-1])
    chain = why.events()
    assert idx["irq.resend"][0] in chain
    assert idx["irq.pending"][-1] in chain
    assert any(m in chain for m in idx["msi.msg"] if m < idx["irq.resend"][0])
    # ... and IRQS_PENDING's branch names the disable_irq that made the edge park
    # (the edge's node: the one before it in the chain is check_irq_resend taking the bit, value 0)
    pend = next(n for n in why.chain if n.path == "irqs[24].pending" and n.value == 1)
    assert [b[0].stack[0] for b in pend.branches if b[0].path == "irqs[24].disabled"] == ["driver_disable_irq+disable"]


def test_enable_irq_after_free_irq_starts_a_deactivated_irq_as_5_8_does() -> None:
    """free_irq (5.3+) deactivated the irq (zero message, vector freed); enable_irq at depth 1 runs
    irq_startup(IRQ_START_FORCE): apic_set_affinity refuses a deactivated irq (WARN, -EIO, from
    baedb87d1b53) and __irq_startup unmasks the entry with its zeroed message -- the next signal goes
    nowhere (the model used to compose a message for a vector the irq does not have)."""
    eng = run_to_end(scenario("""
        name: enable-after-free
        seed: 1
        cpus: 2
        kernel: {version: "6.6"}
        devices:
          eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
        run:
          - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
          - {at: 100us, do: request_irq, dev: eth0, vector: 0}
          - {at: 200us, do: free_irq, dev: eth0, vector: 0}
          - {at: 300us, do: enable_irq, dev: eth0, vector: 0}
          - {at: 400us, do: fire, dev: eth0, vector: 0}
        """))
    assert any("WARN_ON_ONCE(!irqd_is_activated" in str(e.fields["what"]) for e in events_of(eng, "kernel"))
    late = [(e.fields["reg"], e.fields["value"]) for e in events_of(eng, "msix.write") if e.time_ns >= 300_000]
    assert late == [("ctrl", 0)]
    assert [(e.fields["addr"], e.fields["data"]) for e in events_of(eng, "msi.msg")][-1] == (0, 0)
    assert totals(eng, "eth0")["lost"] == 1

