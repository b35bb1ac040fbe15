"""Where a message goes once the device puts it on the bus.

Bare metal without interrupt remapping: the address selects the local APIC (destination
APIC id in bits 19:12), the data selects the vector. An address outside 0xFEExxxxx is
an ordinary DMA write, not an interrupt. Other platforms (remapping, Xen) hook in here.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK

World = dict[str, Any]

_receive = apic.receive   # hot path: one global lookup

#: platform routes that are not plain bare metal: route -> deliver(eng, dev, idx, lo, hi, data, n) -> cpu
ROUTERS: dict[str, Any] = {}


def apic_cpu(w: World, dest: int) -> int:
    """The CPU whose local APIC has id ``dest``, or -1 (APIC ids are 0..cpus-1)."""
    return dest if 0 <= dest < len(w["cpus"]) else -1


def deliver(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> int:
    """Route ``n`` coalesced signals of (dev, idx) carried by message (lo, hi, data).

    Returns the CPU the message reached (for the event record), or -1.
    """
    w = eng.w
    route = w["platform"]["route"]
    if route in ROUTERS:
        return int(ROUTERS[route](eng, dev, idx, lo, hi, data, n))
    if (lo & 0xFFF00000) != 0xFEE00000:
        eng.prov.message_dep()
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
        return -1
    dest = (lo >> 12) & 0xFF
    vector = data & 0xFF
    cpus = w["cpus"]
    if dest < len(cpus) and vector >= 16 and cpus[dest]["online"]:  # deliver_vector's common case, inlined
        c = cpus[dest]
        _receive(c, vector, [dev, idx, n])
        eng.prov.irr_set(dest, vector)      # provenance: the message set this IRR bit
        if not c["queued"]:
            eng.model.wake(eng, c)
        return dest
    return deliver_vector(eng, dev, idx, apic_cpu(w, dest), vector, n, f"APIC id {dest}")


def deliver_vector(eng: Any, dev: str, idx: int, cpu: int, vector: int, n: int, where: str) -> int:
    """Set ``vector`` in ``cpu``'s IRR on behalf of (dev, idx), or account the loss."""
    if cpu < 0:
        eng.prov.message_dep()
        acct.lost(eng, dev, idx, n, f"were sent to {where}, which does not exist")
        return -1
    c = eng.w["cpus"][cpu]
    if not c["online"]:
        P = eng.prov
        P.message_dep()
        P.dep(PC.D_DEST, PK.key(PK.ONLINE, cpu))
        acct.lost(eng, dev, idx, n, f"were sent to CPU{cpu}, which is offline")
        return cpu
    if vector < 16:
        eng.prov.message_dep()
        acct.lost(eng, dev, idx, n, f"carried illegal vector {vector:#x} (APIC receive error)")
        return cpu
    apic.receive(c, vector, [dev, idx, n])
    eng.prov.irr_set(cpu, vector)
    if not c["queued"]:
        eng.model.wake(eng, c)
    return cpu
