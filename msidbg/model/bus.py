"""Where a message goes once the device puts it on the bus.

Bare metal without interrupt remapping: the address selects the local APIC(s) -- destination
field in bits 19:12, Destination Mode in bit 2 -- and the data selects the vector. In physical
mode the field is an APIC id, and 0xFF (xAPIC) is a broadcast to every local APIC (SDM vol. 3,
10.6.2.1); in logical mode it is matched against each APIC's Logical Destination Register (the
flat model: the APIC accepts when its 8-bit logical id and the field share a bit). A Fixed
message reaches every APIC that matches. Under x2APIC cluster mode (interrupt remapping: the IRTE
holds the 32-bit destination) a logical destination is a cluster (bits 31:16) and a bitmap of that
cluster's APICs (bits 15:0). An address outside 0xFEExxxxx is an ordinary DMA
write, not an interrupt. Other platforms (remapping, Xen) hook in here.
"""

from __future__ import annotations

from typing import Any, cast

from msidbg.model import acct, apic
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import (
    MSI_ADDR_DEST_MODE_LOGICAL,
    MSI_DATA_DELIVERY_LOWPRI,
    MSI_DATA_DELIVERY_MODE,
    XAPIC_BROADCAST,
    x2apic_logical_match,
)
from msidbg.sim.rec import CpuRec, WorldRec

World = Any     # a world record (sim/rec.py WorldRec)

_receive = apic.receive   # hot path: one global lookup
_VEC_WORD, _VEC_BIT = apic.VEC_WORD, apic.VEC_BIT

#: platform routes that are not plain bare metal: route -> deliver(eng, dev, idx, lo, hi, data, n) -> cpu
ROUTERS: dict[str, Any] = {}


def apic_cpu(w: World, dest: int) -> int:
    """The CPU whose local APIC has id ``dest``, or -1 (bare metal: ids 0..cpus-1; a Xen HVM
    guest: vCPU n has id 2n)."""
    cpus = _cpus(w)
    if 0 <= dest < len(cpus) and cpus[dest].apic_id == dest:
        return dest
    for c in cpus:
        if c.apic_id == dest:
            return int(c.id)
    return -1


def _cpus(w: World) -> list[Any]:
    """The CPU records of ``w``: a world record's, or (the TUI's plain dict copies) records made of
    a plain dict world's CPUs."""
    r: Any = w
    if r.__class__ is WorldRec:
        return cast(Any, r).cpus
    return [c if type(c) is CpuRec else CpuRec.of(c) for c in w["cpus"]]


def targets(w: World, dest: int, logical: bool, broadcast: int = XAPIC_BROADCAST) -> list[int]:
    """The CPUs whose local APIC accepts a message to ``dest`` in that destination mode: physical --
    the APIC with that id, or every APIC for ``broadcast`` (0xFF in xAPIC mode; pass -1 where there
    is none); logical -- flat model (8-bit field): every APIC whose logical id shares a bit with
    ``dest``; x2APIC cluster mode (a 32-bit IRTE destination): the APICs of cluster ``dest[31:16]``
    whose logical id shares a bit of ``dest[15:0]``. (``w``: a world record, or the TUI's plain dict.)"""
    if logical:
        cpus = _cpus(w)
        r: Any = w
        if (cast(Any, r).platform if r.__class__ is WorldRec else w["platform"])["apic"] == "x2apic-cluster":
            return [c.id for c in cpus if x2apic_logical_match(c.ldr, dest)]
        return [c.id for c in cpus if c.ldr & dest]
    if dest == broadcast:
        return [c.id for c in _cpus(w)]
    cpu = apic_cpu(w, dest)
    return [cpu] if cpu >= 0 else []


def deliver_to(eng: Any, dev: str, idx: int, dest: int, logical: bool, vector: int, n: int,
               broadcast: int = XAPIC_BROADCAST, via: str = "", lowest: str = "") -> int:
    """A Fixed message to destination ``dest``: every matching APIC gets the vector. The device's
    signals are accounted once, on the first matching CPU that has the vector's irq (else the
    first matching CPU); the others get the vector without them (an IRR bit no device signal
    is owed to). ``via`` names what carried the destination (" (IRTE 3)"). ``lowest``: a Lowest
    Priority message on a platform that says which APIC takes it (``platform.lowest_priority``,
    reading bus.lowest-priority, hypothetical): ``first`` -- the lowest-numbered CPU of those that
    accept (online, APIC software-enabled), else the first the destination names (deliver_vector
    accounts the loss); one CPU gets the vector. Returns the CPU that carried the signals, or -1."""
    w = eng.w
    cpus = targets(w, dest, logical, broadcast)
    where = (f"logical destination {dest:#04x}" if logical else f"APIC id {dest}") + via
    if not cpus:
        if logical:
            eng.prov.message_dep()
            acct.lost(eng, dev, idx, n, f"were sent to {where}, which matches no CPU's logical id")
            return -1
        return deliver_vector(eng, dev, idx, -1, vector, n, where)
    if len(cpus) == 1:
        return deliver_vector(eng, dev, idx, cpus[0], vector, n, where)
    c = w.cpus
    # a CPU accepts when it is online and its APIC software-enabled: deliver_vector's rule, for every APIC the
    # destination names (SDM 10.4.7.2 -- a software-disabled APIC responds to INIT, NMI, SMI and SIPI only;
    # reading bus.soft-disabled-destinations)
    takes = [i for i in cpus if c[i].online and not apic.refuses(w, c[i])]
    if lowest:      # "first" (scenario.LOWEST_PRIORITY_RULES): one APIC of the destination takes it
        return deliver_vector(eng, dev, idx, takes[0] if takes else cpus[0], vector, n,
                              f"{where} (lowest priority: {len(cpus)} CPUs)")
    owner = next((i for i in takes if type(c[i]["vector_irq"].get(vector)) is int), takes[0] if takes else cpus[0])
    for i in takes:
        if i != owner and vector < 16:
            illegal_vector(eng, i)
        elif i != owner:
            apic.receive(c[i], vector, None)
            apic.edge(c[i], vector)
            eng.prov.irr_set(i, vector)
            if not c[i]["queued"]:
                eng.model.wake(eng, c[i])
    return deliver_vector(eng, dev, idx, owner, vector, n, f"{where} (to {len(cpus)} CPUs)")


def deliver(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> int:
    """Route ``n`` coalesced signals of (dev, idx) carried by message (lo, hi, data).

    Returns the CPU the message reached (for the event record), or -1.
    """
    w = eng.w
    route = w.platform["route"]
    if route in ROUTERS:
        return int(ROUTERS[route](eng, dev, idx, lo, hi, data, n))
    if (lo & 0xFFF00000) != 0xFEE00000:
        eng.prov.message_dep()
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
        return -1
    dest = (lo >> 12) & 0xFF
    vector = data & 0xFF
    cpus = w.cpus
    if (dest < len(cpus) and not lo & MSI_ADDR_DEST_MODE_LOGICAL and vector >= 16 and (c := cpus[dest]).online
            and c.apic_id == dest      # deliver_to's common case (one physical APIC), inlined
            and "apic_off" not in c._extra):   # (a software-disabled APIC: deliver_vector)
        irr_src = c.irr_src
        if vector in irr_src:   # coalescing into a pending bit: apic.receive merges the sources
            _receive(c, vector, [dev, idx, n])
        else:   # apic.receive, inlined for a vector with no signal pending: set the bit, one source
            c.irr[_VEC_WORD[vector]] |= _VEC_BIT[vector]
            irr_src[vector] = [[dev, idx, n]]
        if "tmr" in c._extra:   # apic.edge, tested inline: only a CPU that took a level interrupt has a TMR
            apic.edge(c, vector)
        eng.prov.irr_set(dest, vector)      # provenance: the message set this IRR bit
        if not c.queued:
            eng.model.wake(eng, c)
        return dest
    # x2APIC (physical x2apic without remapping): 0xFF is an APIC id, the broadcast is 0xFFFFFFFF
    broadcast = -1 if w.platform["apic"] == "x2apic" else XAPIC_BROADCAST
    # Delivery Mode Lowest Priority, where the platform says which APIC takes it (else read as Fixed)
    lowest = w.platform.get("lowest_priority", "") if data & MSI_DATA_DELIVERY_MODE == MSI_DATA_DELIVERY_LOWPRI else ""
    return deliver_to(eng, dev, idx, dest, bool(lo & MSI_ADDR_DEST_MODE_LOGICAL), vector, n, broadcast, lowest=lowest)


def deliver_vector(eng: Any, dev: str, idx: int, cpu: int, vector: int, n: int, where: str) -> int:
    """Set ``vector`` in ``cpu``'s IRR on behalf of (dev, idx), or account the loss."""
    if cpu < 0:
        eng.prov.message_dep()
        acct.lost(eng, dev, idx, n, f"were sent to {where}, which does not exist")
        return -1
    c = eng.w.cpus[cpu]
    if not c.online:
        P = eng.prov
        P.message_dep()
        P.dep(PC.D_DEST, PK.key(PK.ONLINE, cpu))
        acct.lost(eng, dev, idx, n, f"were sent to CPU{cpu}, which is offline")
        return cpu
    if c.get("apic_off") and apic.refuses(eng.w, c):
        # native_cpu_disable's apic_soft_disable (``kernel.cpu_disable_apic``): SPIV's APIC Software Enable
        # clear -- the APIC accepts no fixed interrupt, no IRR bit is set (the bits already set are kept)
        P = eng.prov
        P.message_dep()
        P.dep(PC.D_APIC_OFF, PK.key(PK.APICOFF, cpu))
        acct.lost(eng, dev, idx, n, f"were sent to CPU{cpu}, whose local APIC native_cpu_disable software-disabled "
                  "(apic_soft_disable): no IRR bit set")
        return cpu
    if vector < 16:
        eng.prov.message_dep()
        illegal_vector(eng, cpu)
        acct.lost(eng, dev, idx, n, f"carried illegal vector {vector:#04x}: CPU{cpu}'s local APIC does not deliver "
                  "it (ESR Received Illegal Vector)")
        return cpu
    apic.receive(c, vector, [dev, idx, n])
    if "tmr" in c._extra:   # apic.edge: the message is an edge
        apic.edge(c, vector)
    eng.prov.irr_set(cpu, vector)
    if not c.queued:
        eng.model.wake(eng, c)
    return cpu


def illegal_vector(eng: Any, cpu: int) -> None:
    """A message with a vector below 16 reached ``cpu``'s local APIC (SDM vol. 3A 10.5.3, "Error
    Handling"): it is not delivered and never sets an IRR bit; the APIC records Received Illegal
    Vector in its error state (read through the ESR after the next ESR write) and signals the LVT
    Error entry, which Linux programs unmasked with ERROR_APIC_VECTOR (lapic_setup_esr): that vector
    is set in the IRR like any local interrupt. Modelled on a real local APIC (bare metal); a Xen
    guest's vlapic (vlapic_set_irq -> vlapic_error) signals only a bit not yet set and is left to the
    plain loss."""
    c = eng.w.cpus[cpu]
    old = c.get("esr", 0)
    c["esr"] = old | apic.ESR_RECEIVE_ILLEGAL
    if old & apic.ESR_RECEIVE_ILLEGAL or eng.w.platform["kind"] != "bare-metal":
        return      # "an APIC error interrupt is generated when the local APIC sets one of the error bits"
    if c.get("lvt_masked"):
        return      # clear_local_APIC (native_cpu_disable) masked LVT Error: the error is recorded, not signalled
    apic.receive(c, apic.ERROR_APIC_VECTOR, None)
    eng.prov.irr_set(cpu, apic.ERROR_APIC_VECTOR)
    if not c.queued:
        eng.model.wake(eng, c)
