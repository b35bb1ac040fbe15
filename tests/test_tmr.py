"""The local APIC's TMR bit of a vector follows the trigger mode of the interrupt last accepted on it
(SDM vol. 3A 10.8.4, "Interrupt Acceptance for Fixed Interrupts"; reading ioapic.tmr): a level IO-APIC
irq sets it, an edge -- an MSI, an IPI -- clears it. A vector an INTx irq leaves behind and an MSI irq
later gets on the same CPU loses its TMR bit at the MSI's first acceptance, so the EOI of that vector is
no longer one the local APIC would broadcast to the IO-APICs.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.model import apic, ioapic
from tests.conftest import run_to_end, scenario

MOVE = """
name: tmr-intx-to-msi
cpus: 2
{platform}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
  eth1: {{bdf: "00:04.0", kind: nic, msi: {{vectors: 1, per_vector_mask: true, addr64: true}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 0, do: remove, dev: eth0}}
  - {{at: 4ms, on: 0, do: probe, dev: eth1, mode: msi, vectors: 1}}
{fire}"""


def _irq(eng: Any, dev: str) -> Any:
    return next(d for d in eng.w.irqs.values() if d.dev == dev)


@pytest.mark.parametrize("platform", ["", "platform: {kind: bare-metal, interrupt_remapping: true}"])
def test_an_msi_on_a_vector_an_intx_irq_left_clears_its_tmr_bit(platform: str) -> None:
    """eth0's level interrupt sets vector V's TMR bit on its CPU; eth0 is removed and eth1's MSI irq gets V on
    that CPU. Before eth1 fires the bit is still set (nothing was accepted on V since); eth1's message -- an
    edge, direct or through its IRTE -- clears it."""
    before = run_to_end(scenario(MOVE.format(platform=platform, fire="")))
    after = run_to_end(scenario(MOVE.format(platform=platform, fire="  - {at: 5ms, do: fire, dev: eth1, vector: 0}\n")))
    for eng in (before, after):
        irq = _irq(eng, "eth1")
        assert eng.w.cpus[irq.cpu]["vector_irq"][irq.vector] == irq.irq
    irq = _irq(before, "eth1")
    assert ioapic.tmr(before.w.cpus[irq.cpu], irq.vector)      # the INTx irq's level delivery left it
    irq = _irq(after, "eth1")
    assert after.w["acct"]["eth1"]["delivered"][0] == 1
    assert not ioapic.tmr(after.w.cpus[irq.cpu], irq.vector)


def test_edge_acceptance_clears_only_its_own_vector() -> None:
    """apic.edge: the TMR bit of the accepted vector only; a CPU with no TMR list is left as it is."""
    c: dict[str, Any] = {}
    apic.edge(c, 0x20)
    assert "tmr" not in c
    ioapic.tmr_set(c, 0x20, True)
    ioapic.tmr_set(c, 0x21, True)
    apic.edge(c, 0x20)
    assert c["tmr"] == [0x21]
