"""Where a message goes once the device puts it on the bus.

Bare metal without interrupt remapping: the address selects the local APIC (destination
APIC id in bits 19:12), the data selects the vector. An address outside 0xFEExxxxx is
an ordinary DMA write, not an interrupt. Other platforms (remapping, Xen) hook in here.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic
from msidbg.model.hw import is_interrupt_address, msg_dest

World = dict[str, Any]

#: platform routers: kind -> (peek_cpu, deliver); bare metal is the default
ROUTERS: dict[str, tuple[Any, Any]] = {}


def apic_cpu(w: World, dest: int) -> int:
    """The CPU whose local APIC has id ``dest``, or -1 (APIC ids are 0..cpus-1)."""
    return dest if 0 <= dest < len(w["cpus"]) else -1


def peek_cpu(w: World, lo: int, hi: int) -> int:
    """The CPU a message would reach (for the event record), or -1."""
    router = ROUTERS.get(w["platform"]["route"])
    if router is not None:
        return int(router[0](w, lo, hi))
    return apic_cpu(w, msg_dest(lo)) if is_interrupt_address(lo) else -1


def deliver(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> None:
    """Route ``n`` coalesced signals of (dev, idx) carried by message (lo, hi, data)."""
    router = ROUTERS.get(eng.w["platform"]["route"])
    if router is not None:
        router[1](eng, dev, idx, lo, hi, data, n)
        return
    if not is_interrupt_address(lo):
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
        return
    deliver_vector(eng, dev, idx, apic_cpu(eng.w, msg_dest(lo)), data & 0xFF, n, f"APIC id {msg_dest(lo)}")


def deliver_vector(eng: Any, dev: str, idx: int, cpu: int, vector: int, n: int, where: str) -> None:
    """Set ``vector`` in ``cpu``'s IRR on behalf of (dev, idx), or account the loss."""
    if cpu < 0:
        acct.lost(eng, dev, idx, n, f"were sent to {where}, which does not exist")
        return
    c = eng.w["cpus"][cpu]
    if not c["online"]:
        acct.lost(eng, dev, idx, n, f"were sent to CPU{cpu}, which is offline")
        return
    if vector < 16:
        acct.lost(eng, dev, idx, n, f"carried illegal vector {vector:#x} (APIC receive error)")
        return
    apic.receive(c, vector, [dev, idx, n])
    eng.model.wake(eng, c)
