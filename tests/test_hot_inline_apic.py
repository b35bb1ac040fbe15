"""The bare-metal interrupt path's inline APIC operations (docs/perf.md, round 12) against apic.py's.

``entry.ack`` clears the ISR itself when its vector is the only one in service and calls
``apic.eoi`` otherwise; ``bus.deliver`` sets the IRR itself when the vector has no signal pending and
calls ``apic.receive`` otherwise; ``entry.accept`` runs ``apic.take``'s steps. No shipped scenario
acks with another vector in service (the model takes no nested interrupts), so the goldens would
not see an ``ack`` that cleared the wrong bit: these tests put one there.
"""

from __future__ import annotations

import copy
import random

from msidbg.model import apic, new_engine
from msidbg.model.kernel import entry
from msidbg.scenario import load_scenario
from msidbg.sim.program import GOTO
from tests.conftest import SCENARIOS


def _engine_with_an_irq() -> tuple[object, int, int]:
    """An engine run to its end, and an irq with a descriptor (its number and vector)."""
    eng = new_engine(load_scenario(str(SCENARIOS / "msix-write-while-unmasked-fixed.yaml")))
    while eng.advance(4096):
        pass
    w = eng.w
    irq = next(i for i, d in w.irqs.items() if d.get("vector", 0) >= 0x20 and d.action is not None)
    return eng, irq, int(w.irqs[irq].vector)


def _ack(eng: object, irq: int, vector: int, isr: list[int]) -> list[int]:
    """Run handle_edge_irq's ``ack`` on CPU0 with ``isr`` in service; the ISR it leaves."""
    w = eng.w  # type: ignore[attr-defined]
    k = eng.model.k  # type: ignore[attr-defined]
    c = w.cpus[0]
    desc = w.irqs[irq]
    desc.lock, desc.inprogress, desc.disabled = -1, 0, False
    desc.move_in_progress = desc.move_pending = False
    c.isr = list(isr)
    k.cpu, k.cpu_id, k.emitted = c, 0, False
    k.flow.op = -1
    entry.ack(k, {"irq": irq, "vector": vector, "src": []})
    assert k.emitted and k.flow.op == GOTO and k.flow.target == "handle"
    return list(c.isr)


def test_ack_clears_the_highest_vector_in_service_as_apic_eoi_does() -> None:
    eng, irq, vector = _engine_with_an_irq()
    rnd = random.Random(12)
    cases = [[0] * 8, [0xFFFFFFFF] * 8]
    alone = [0] * 8
    alone[vector >> 5] = 1 << (vector & 31)
    cases.append(alone)
    # the acked vector in service under 0xff (left in service by the spurious vector's missing EOI
    # from 5.3 on), and beside other vectors of its own and other words
    for other in (0xFF, vector + 1, vector - 1, 0xEC, 0x21):
        isr = list(alone)
        isr[other >> 5] |= 1 << (other & 31)
        cases.append(isr)
    cases += [[rnd.getrandbits(32) if rnd.random() < 0.3 else 0 for _ in range(8)] for _ in range(200)]
    for isr in cases:
        want = list(isr)
        apic.eoi(type("C", (), {"isr": want})())
        assert _ack(eng, irq, vector, isr) == want, [hex(x) for x in isr]


def test_accept_and_deliver_set_the_bits_apic_take_and_receive_set() -> None:
    rnd = random.Random(7)
    for _ in range(300):
        v = rnd.randrange(256)
        irr = [rnd.getrandbits(32) if rnd.random() < 0.3 else 0 for _ in range(8)]
        isr = [rnd.getrandbits(32) if rnd.random() < 0.3 else 0 for _ in range(8)]
        a = type("C", (), {"irr": list(irr), "isr": list(isr), "irr_src": {v: [["d", 0, 1]]}})()
        b = copy.deepcopy(a)
        apic.take(a, v)
        i = apic.VEC_WORD[v]    # what entry.accept runs inline
        b.irr[i] &= apic.VEC_NOT_BIT[v]
        b.isr[i] |= apic.VEC_BIT[v]
        assert (a.irr, a.isr) == (b.irr, b.isr)
        c = type("C", (), {"irr": list(irr), "irr_src": {}})()
        apic.receive(c, v, ["d", 0, 1])
        d = list(irr)   # what bus.deliver runs inline
        d[apic.VEC_WORD[v]] |= apic.VEC_BIT[v]
        assert c.irr == d and c.irr_src == {v: [["d", 0, 1]]}
