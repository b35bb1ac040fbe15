"""handle_edge_irq's IRQD_IRQ_INPROGRESS / IRQS_PENDING logic (kernel/irq/chip.c, handle.c).

An irq moved to another CPU while the old CPU is still in its action: the next edge arrives on the
new CPU, which finds the irq in progress (irq_may_run), sets IRQS_PENDING, masks (mask_ack_irq: the
MSI-X Vector Control write) and acks; the old CPU's do/while loop unmasks and runs the action once
more for it. Linux never runs one irq's action on two CPUs at once.
"""

from __future__ import annotations

from msidbg.model import new_engine
from msidbg.sim.events import Event
from tests.conftest import scenario

HANDLER_NS = 1500   # the default "handler" cost: the action's duration

MOVE = """
name: edge-inprogress-move
seed: 1
cpus: 3
kernel: {version: "6.1"}
devices:
  eth0:
    bdf: "00:03.0"
    kind: nic
    msix: {table_size: 4}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0}
  - {at: 200us, do: set_affinity, dev: eth0, vector: 0, cpu: 2}   # pending: applied at the next ack
  - {at: 300us, do: fire, dev: eth0, vector: 0, count: 6, every: 1us}
"""


def _run(text: str) -> tuple[list[Event], dict]:
    eng = new_engine(scenario(text))
    while eng.step():
        pass
    return [eng.log.event(i) for i in range(1, len(eng.log) + 1)], eng.w


def _handlers(events: list[Event]) -> list[Event]:
    return [e for e in events if e.kind == "irq.handler" and e.dev == "eth0"]


def test_one_irqs_action_never_runs_on_two_cpus_at_once() -> None:
    events, _ = _run(MOVE)
    runs = _handlers(events)
    assert {e.cpu for e in runs} == {1}, "every action ran on CPU1 (its loop took CPU2's edges)"
    for a, b in zip(runs, runs[1:], strict=False):
        assert b.time_ns >= a.time_ns + HANDLER_NS, f"{b} started inside {a}'s action"


def test_the_edge_on_the_new_cpu_is_pending_masked_acked_and_rehandled() -> None:
    events, w = _run(MOVE)
    i = next(n for n, e in enumerate(events) if e.kind == "kernel" and "IRQS_PENDING" in str(e.fields.get("what")))
    note = events[i]
    assert note.cpu == 2 and "in progress on CPU1" in str(note.fields["what"])
    mask = events[i + 1]    # mask_ack_irq: mask_irq's Vector Control write, by the CPU that got the edge
    assert (mask.kind, mask.cpu, mask.fields["reg"], mask.fields["value"]) == ("msix.write", 2, "ctrl", 1)
    acks = [e.kind for e in events[i + 2:] if e.cpu == 2][:2]
    # then the ack, apic_ack_edge: irq_complete_move (the first edge on the new CPU: cleanup IPI to
    # CPU1), the EOI; no action on CPU2
    assert acks == ["apic.ipi", "apic.eoi"]
    unmask = next(e for e in events[i + 2:] if e.kind == "msix.write" and e.fields["value"] == 0)
    assert unmask.cpu == 1, "CPU1's loop unmasks (IRQS_PENDING on a masked, enabled irq)"
    again = next(e for e in events[i:] if e.kind == "irq.handler")
    assert again.cpu == 1 and again.time_ns >= note.time_ns
    a = w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (6, 6, 0)
    desc = next(d for d in w["irqs"].values() if d["dev"] == "eth0")
    assert not desc["pending"] and desc["pending_src"] == [] and not desc["masked"]


def test_pending_edges_of_an_irq_freed_meanwhile_are_lost_not_handled() -> None:
    """free_irq while CPU1 runs the action and CPU2 left an edge pending: the loop finds the irq
    disabled (shut down) with no action, ends, and the edge is lost, not delivered."""
    text = MOVE.replace("count: 6, every: 1us}", "count: 2, every: 1us}") + \
        "  - {at: 301500ns, on: 0, do: free_irq, dev: eth0, vector: 0}\n"
    events, w = _run(text)
    a = w["acct"]["eth0"]
    assert a["raised"][0] == 2 and a["delivered"][0] + a["lost"][0] == 2
    assert any(e.kind == "kernel" and "IRQS_PENDING" in str(e.fields.get("what")) for e in events)
    assert a["lost"][0] >= 1
