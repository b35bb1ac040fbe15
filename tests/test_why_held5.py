"""``why`` / ``diff`` on held-out scenarios over this session's and the last one's mechanisms (whyheld5):
moving a level IO-APIC irq (levelmove, ioapic_move_keeps_masked), Xen HVM INTx (the machine GSI's host irq,
hvm_dpci_eoi, the eoi_timer), desc->lock across irq_set_affinity, a PV guest's pirq binding.
Each test pins a chain that missed a hop (or a diff) before this round."""

from __future__ import annotations

from typing import Any

from msidbg.debugger import Session
from tests.conftest import scenario
from tests.why_helpers import first_hit, one


def _run(text: str) -> Session:
    s = Session(scenario(text))
    s.run()
    return s


def _links(why: Any) -> list[tuple[str, str | None]]:
    return [(lk.link, lk.path) for lk in why.chain]


# disable_irq (lazy), a pending move, then eth0 asserts: handle_fasteoi_irq masks the IO-APIC entry (IRQS_PENDING)
# and its ioapic_ack_level applies the move; from df4393424af3 (5.5) the entry stays masked (the core masked
# it), so the doorbell's condition waits for enable_irq
LEVEL_DISABLED = """
name: held5-level-disabled
seed: 1
cpus: 2
kernel: {{version: "{version}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 18}}}}
breakpoints: [irq-lost, probe-failed]
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 1ms, on: 1, do: disable_irq, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3050us, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 20us}}
  - {{at: 3200us, on: 1, do: enable_irq, dev: eth0, vector: 0}}
"""


def test_a_condition_behind_a_masked_ioapic_entry_links_the_mask_and_the_disable() -> None:
    """The doorbell's INTx condition was held by IO-APIC entry 18's mask bit: handle_fasteoi_irq's mask_irq of
    the disabled irq (IRQS_PENDING) <- disable_irq. The chain stopped at the condition and its Command write:
    the entry's mask was not a tracked value, so the disable that made the doorbell time out was nowhere."""
    s = _run(LEVEL_DISABLED.format(version="5.5"))
    why = s.why(first_hit(s, "probe-failed"))
    assert _links(why) == [
        ("action.done", "actions[4].result"), ("wait.timeout", "cpus[0].proc.wait"),
        ("intx.cond", "acct.eth0.held[0]"), ("ioapic.mask", "ioapic[18].masked"),
        ("kernel", "irqs[18].pending"), ("kernel", "irqs[18].disabled"), ("action.start", "actions[1]")]
    masked = why.chain[3]
    assert masked.event == one(s, "ioapic.rte", what="masked")
    assert masked.stack[0] == "handle_fasteoi_irq+mask_out" and masked.relation == "held by the mask"
    assert why.chain[5].event == one(s, "irq.disable")
    # the mask bit itself, asked as a path at the end: unmasked by enable_irq's irq_startup
    mk = s.why("ioapic[18].masked")
    assert mk.chain[0].value == 0 and mk.chain[0].event == one(s, "ioapic.rte", what="unmasked",
                                                              test=lambda e: e.time_ns > 3_000_000)
    assert "unmask_ioapic_irq" in mk.chain[0].reason


def test_diff_of_the_level_move_pair_parts_at_the_prepare_move_mask() -> None:
    """5.4 / 5.5 differ in ioapic_move_keeps_masked alone here: the first divergence is ioapic_ack_level's
    prepare step (5.4 masks the entry again for the move; 5.5 finds it masked and goes on to the EOI), and the
    outcome is the two summaries' (5.4 probe ok; 5.5 the doorbell times out)."""
    a = _run(LEVEL_DISABLED.format(version="5.4"))
    b = _run(LEVEL_DISABLED.format(version="5.5"))
    r = a.diff(b)
    assert r.first is not None
    assert r.first.a_info["stack"][0] == "handle_fasteoi_irq+prepare_move"
    assert r.first.b_info["stack"][0] == "handle_fasteoi_irq+apic_ack"
    assert "ioapic_move_keeps_masked" in r.first.switches
    assert not r.same_outcome
