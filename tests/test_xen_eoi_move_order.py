"""eoi_pirq's order for a pirq with a pending affinity move, from ff1e22e7a638 (4.6) until 1ca1b4e2c0cb
(5.11) made Xen pirq moves immediate (torvalds/linux drivers/xen/events/events_base.c, eoi_pirq, at
v4.19 / v5.4 / v5.10): ``test_and_set_mask`` (5.10: do_mask(EVT_MASK_REASON_TEMPORARY)), clear_evtchn,
``irq_move_masked_irq``, unmask. The port is masked before its pending bit is cleared, so a signal
that reaches it between the two is taken by the clear (Xen finds the port pending: coalesced) and
handled by this one handler run (one that comes after the clear waits, masked, for the unmask, which
signals the new vCPU, as before). (Before, the model cleared first and masked in irq_move_irq: a signal between
the two found the port unmasked and was linked on the old vCPU's queue.)"""

from __future__ import annotations

import pytest

from tests.conftest import run_to_end, scenario, totals
from tests.test_evtunmask import EOI_ORDER


def _late(kind: str, kernel: str, second_ns: int) -> list:
    text = EOI_ORDER.format(kind=kind, kernel=kernel) + (
        f"  - {{at: {second_ns}ns, do: fire, dev: eth0, vector: 0, count: 1}}\n")
    eng = run_to_end(scenario(text))
    assert totals(eng, "eth0")["delivered"] == 2
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.time_ns >= 2_000_000]


@pytest.mark.parametrize("kind", ["xen-hvm", "xen-pv"])
@pytest.mark.parametrize("kernel", ["4.19", "5.4", "5.10"])
def test_mask_before_clear_absorbs_a_signal_in_between(kind: str, kernel: str) -> None:
    """The second message reaches the port (800 ns of Xen later) after vCPU0 masked it and before it
    cleared it: coalesced into the pending bit the clear takes -- one handler run for both."""
    late = _late(kind, kernel, 2_000_450)
    cpu0 = [(e.kind, e.fields) for e in late if e.cpu == 0 and e.kind in ("evtchn.mask", "evtchn.clear")]
    assert cpu0[:2] == [("evtchn.mask", {"port": 1, "masked": 1}), ("evtchn.clear", {"port": 1, "signals": 2})]
    assert [e.fields["how"] for e in late if e.kind == "xen.pirq"][1] == "coalesced"
    runs = [(e.cpu, e.fields["signals"]) for e in late if e.kind == "irq.handler"]
    assert runs == [(0, 2)]

