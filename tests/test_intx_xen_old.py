"""An HVM guest's passthrough INTx on Xen 4.13 .. 4.15 (model/xen_intx.py; platform.xen_dpci_eoi_timer,
platform.xen_dpci_eoi_masked): the dpci EOI timer pt_irq_time_out (removed by 730d0f6082, 4.16) and
hvm_pirq_eoi's skip of a masked vIOAPIC entry (removed by eb298f32fa, 4.15; 4.13.3, 4.14.2). Both were a
load error before (Xen before 4.16 refused)."""

from __future__ import annotations

from tests.conftest import run_to_end, scenario
from tests.test_intx import _events, _vec

WRAP = """
name: hvm-intx-old
cpus: 2
platform: {kind: xen-hvm, xen: "XEN", xen_hvm_pirqs: false}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
  - {at: 2ms, do: fire, dev: eth1, vector: 0, count: 2, every: 100us}
  - {at: 20ms, do: fire, dev: eth1, vector: 0, count: 2, every: 100us}
"""


def _what(eng: object) -> list[tuple[int, str]]:
    return [(e.time_ns, str(e.fields["what"])) for e in _events(eng, "xen.intx")]  # type: ignore[attr-defined]


def test_the_dpci_eoi_timer_resets_a_wrapped_pending_before_4_16() -> None:
    """eth0's EOI wraps eth1's pirq's pending (two pirqs on guest GSI 18), so eth1's own EOIs never reach
    pirq_guest_eoi and its host irq waits for the 1 ms eoi_timer. Before 4.16 the dpci EOI timer fires 8 ms
    after eth1's last hvm_dirq_assist: pending = 0 for both pirqs of the guest GSI -- eth1's signals at
    20 ms are each EOIed by the guest at once. From 4.16 (730d0f6082) nothing resets it: the second one
    waits for the eoi_timer again."""
    old = run_to_end(scenario(WRAP.replace("XEN", "4.15")))
    new = run_to_end(scenario(WRAP.replace("XEN", "4.16")))
    for eng in (old, new):
        assert _vec(eng, "eth1") == {"raised": 4, "delivered": 4, "lost": 0}
    out = [(t, w) for t, w in _what(old) if w.startswith("pt_irq_time_out")]
    assert len(out) == 1 and 10_000_000 < out[0][0] < 12_000_000 and "pirq 16, 17" in out[0][1]
    assert not [w for _, w in _what(new) if w.startswith("pt_irq_time_out")]

    def late(eng: object) -> int:
        handled = [e.time_ns for e in _events(eng, "irq.handler") if e.dev == "eth1"]  # type: ignore[attr-defined]
        return handled[-1] - 20_100_000
    assert late(old) < 100_000 < 900_000 < late(new)
    assert old.w.xen["intx"]["m"][17]["pending"] == 0  # type: ignore[attr-defined]
    assert new.w.xen["intx"]["m"][17]["pending"] == 65535  # type: ignore[attr-defined]


MASKED = """
name: hvm-intx-masked
cpus: 2
platform: {kind: xen-hvm, xen: "XEN", xen_hvm_pirqs: false}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0}
  - {at: 2ms, do: fire, dev: eth0, vector: 0}
  - {at: 5ms, on: 0, do: enable_irq, dev: eth0, vector: 0}
"""


def test_an_eoi_of_a_masked_entry_waits_for_the_eoi_timer_before_eb298f32fa() -> None:
    """disable_irq is lazy on the IO-APIC chip: the interrupt at 2 ms masks the vIOAPIC entry and EOIs.
    hvm_pirq_eoi brings pending to 0; before eb298f32fa (4.14.0) the masked entry makes it return without
    pirq_guest_eoi, so Xen's host irq stays in flight until the 1 ms eoi_timer; from it (4.14.2) the host irq
    is EOIed at once and the still asserted line interrupts Xen again within microseconds."""
    old = run_to_end(scenario(MASKED.replace("XEN", "4.14")))
    new = run_to_end(scenario(MASKED.replace("XEN", "4.14.2")))
    for eng in (old, new):
        assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}

    def second_irq(eng: object) -> int:
        return [t for t, w in _what(eng) if w.startswith("do_IRQ_guest")][1]
    first_timer = [t for t, w in _what(old) if "no guest EOI" in w][0]
    assert 2_000_000 < first_timer < second_irq(old) < 3_100_000
    assert second_irq(new) < 2_010_000


def test_the_dpci_timer_does_not_keep_an_unserviced_line_going_for_ever() -> None:
    """d1 (no driver) keeps guest GSI 18 asserted once d2's driver is gone: every interrupt finds no action,
    masks the entry and EOIs -- on 4.13.0 without pirq_guest_eoi (masked entry), so the eoi_timer and the
    dpci timer EOI the host irq, and the dpci timer's deassert lets the next assist assert the line again.
    Once nothing but those loops is scheduled the model stops re-arming the dpci timer (as the eoi_timer,
    reading xen.intx.timer-bound): the run ends, the unserviced conditions lost."""
    from tests.conftest import new_engine
    eng = new_engine(scenario("""
name: hvm-intx-unserviced
cpus: 2
platform: {kind: xen-hvm, xen: "4.13", xen_hvm_pirqs: false}
devices:
  d1: {bdf: "00:09.1", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}, msix: {table_size: 4}}
  d2: {bdf: "00:10.2", kind: nic, passthrough: true, intx: {pin: A, gsi: 16}, msix: {table_size: 4}}
run:
  - {at: 0us, on: 1, do: probe, dev: d2, mode: intx, vectors: 1}
  - {at: 500us, do: fire, dev: d1, vector: 0}
  - {at: 2502us, on: 0, do: remove, dev: d2}
  - {at: 3002us, do: fire, dev: d2, vector: 0}
"""), None)
    steps = 0
    while eng.step() and steps < 50_000:
        steps += 1
    assert steps < 50_000 and eng.w["ended"]  # type: ignore[attr-defined]
    assert [t for t, w in _what(eng) if w.startswith("pt_irq_time_out")]
    for d in ("d1", "d2"):
        assert _vec(eng, d) == {"raised": 1, "delivered": 0, "lost": 1}
