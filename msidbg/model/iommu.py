"""The interrupt remapping unit (Intel VT-d): its remapping table and how it routes messages.

With remapping on, the kernel programs each device once with a *remappable* message that
names an interrupt remapping table entry (IRTE): address bit 4 set, the 16-bit handle in
bits 19:5 and 2, SHV (bit 3) meaning "add the sub-handle in data". Vector, destination mode
and destination live only in the IRTE (logical under x2APIC cluster mode, Linux's default with
remapping: the CPU's logical x2APIC id), in its low quadword, which the kernel rewrites in one 64-bit store when
the irq moves (modify_irte: low quadword, high quadword -- source-id --, then the interrupt
entry cache flush; cmpxchg16b only for posted-format entries, not modelled), so neither the
device's message nor the entry the unit reads is ever half updated. Compatibility-format
messages (bit 4 clear) are blocked, as Linux configures the unit; a message naming a
non-present IRTE or one owned by another requester is a remapping fault, and dropped.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic, bus
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import MSI_ADDR_BASE, MSI_ADDR_BASE_MASK, X2APIC_BROADCAST

World = Any     # a world record (sim/rec.py WorldRec)
IR_FORMAT = 1 << 4      # address bit 4: remappable format
IR_SHV = 1 << 3         # sub-handle valid: data[15:0] is added to the handle
MAX_IRTE = 1 << 16
_receive = apic.receive   # hot path: one global lookup


def build(scn: Any, w: World) -> None:
    """Empty remapping table (entries appear as the kernel allocates them)."""
    if w.platform["route"] == "remapped" and not w.get("iommu"):
        w["iommu"] = {"irte": {}}


def remappable_msg(index: int, sub: int) -> list[int]:
    """[address-lo, address-hi, data] naming IRTE ``index`` (+ sub-handle ``sub``)."""
    lo = MSI_ADDR_BASE | ((index & 0x7FFF) << 5) | IR_FORMAT | IR_SHV | (((index >> 15) & 1) << 2)
    return [lo, 0, sub & 0xFFFF]


def handle_of(lo: int, data: int) -> int:
    """The IRTE index a remappable message selects."""
    index = ((lo >> 5) & 0x7FFF) | (((lo >> 2) & 1) << 15)
    if lo & IR_SHV:
        index += data & 0xFFFF
    return index


def alloc(w: World, owner: str, count: int) -> int:
    """alloc_irte: the lowest free block of ``count`` entries (rounded up to a power of
    two and aligned to it, for multi-MSI). Returns the first index, or -1 when full."""
    size = 1 << max(count - 1, 0).bit_length()
    table = w["iommu"]["irte"]
    for base in range(0, MAX_IRTE, size):
        if all(base + i not in table for i in range(size)):
            for i in range(size):
                table[base + i] = {"owner": owner, "present": False, "vector": 0, "dest": 0, "logical": False}
            return base
    return -1


def free(w: World, base: int, count: int) -> None:
    size = 1 << max(count - 1, 0).bit_length()
    for i in range(size):
        w["iommu"]["irte"].pop(base + i, None)


def write(w: World, index: int, vector: int, dest: int, present: bool, logical: bool = False) -> None:
    """modify_irte for a remapped-format entry: present, destination mode (DM), vector and destination
    (the low quadword) change in one 64-bit store; the owner (source-id, high quadword) is fixed at
    allocation here -- Linux writes the same SID at every activation -- and the flush that follows is
    synchronous. ``logical``: prepare_irte's ``dst_mode = apic->dest_mode_logical`` (x2APIC cluster
    mode), ``dest`` then a logical x2APIC id; the x2APIC-mode DST field is all 32 bits (IRTE_DEST)."""
    e = w["iommu"]["irte"][index]
    e["present"], e["vector"], e["dest"] = present, vector if present else 0, dest if present else 0
    e["logical"] = logical and present


def route(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> int:
    """ROUTERS["remapped"]: deliver through the IRTE the message names. Provenance: a loss links
    the message and the entry it named. A delivery records nothing more than on any route: the
    reader links the IRR bit to the entry the kernel programmed for the vector (``PK.REMAPS``).

    The common case (the entry names one online APIC and a vector >= 16) runs
    ``bus.deliver_vector``'s steps inline, without formatting the loss message it would only
    need on a loss: the storm's hot path under remapping."""
    P = eng.prov
    if (lo & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE:
        P.message_dep()
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
        return -1
    if not lo & IR_FORMAT:
        P.message_dep()
        acct.lost(eng, dev, idx, n, "used a compatibility-format message, which interrupt remapping blocks")
        return -1
    index = ((lo >> 5) & 0x7FFF) | (((lo >> 2) & 1) << 15)      # handle_of, inlined
    if lo & IR_SHV:
        index += data & 0xFFFF
    w = eng.w
    irte = w["iommu"]["irte"]
    e = irte[index] if index in irte else None
    if e is None or not e["present"]:
        P.dep(PC.D_IRTE, _IRTE | index)
        P.message_dep()
        acct.lost(eng, dev, idx, n, f"named IRTE {index}, which is not present (remapping fault)")
        return -1
    if e["owner"] != dev:
        P.dep(PC.D_IRTE, _IRTE | index)
        P.message_dep()
        acct.lost(eng, dev, idx, n, f"named IRTE {index}, which belongs to {e['owner']} (source-id fault)")
        return -1
    dest = e["dest"]
    if e["logical"]:        # x2APIC logical: cluster + bitmap, to every APIC it names
        bits = dest & 0xFFFF
        if not bits or bits & (bits - 1):
            return bus.deliver_to(eng, dev, idx, dest, True, e["vector"], n, X2APIC_BROADCAST, f" (IRTE {index})")
        # one bit (Linux's case): the APIC whose x2APIC id it derives from
        apic_id = ((dest >> 16) << 4) | (bits.bit_length() - 1)
    else:
        apic_id = dest
    cpus = w.cpus
    if 0 <= apic_id < len(cpus) and cpus[apic_id].apic_id == apic_id:   # bus.apic_cpu's common case
        cpu = apic_id
    else:
        cpu = bus.apic_cpu(w, apic_id)
        if cpu < 0 and e["logical"]:
            return bus.deliver_to(eng, dev, idx, dest, True, e["vector"], n, X2APIC_BROADCAST, f" (IRTE {index})")
    vector = e["vector"]
    if (cpu >= 0 and vector >= 16 and (c := cpus[cpu])["online"]     # deliver_vector's common case
            and "apic_off" not in c._extra):
        _receive(c, vector, [dev, idx, n])
        if "tmr" in c._extra:   # apic.edge (an MSI's IRTE is edge), tested inline as in bus.deliver
            apic.edge(c, vector)
        eng.prov.irr_set(cpu, vector)
        if not c.queued:
            eng.model.wake(eng, c)
        return cpu
    where = f"logical destination {dest:#04x}" if e["logical"] else f"APIC id {dest}"
    if cpu < 0 or vector < 16 or not cpus[cpu]["online"] or "apic_off" in cpus[cpu]._extra:
        # lost in deliver_vector (no such APIC, an illegal vector, an offline CPU or a soft-disabled APIC): the
        # IRTE chose that destination and vector -- the loss links it, as a remapping fault does (whyheld7)
        P.dep(PC.D_IRTE, _IRTE | index)
    return bus.deliver_vector(eng, dev, idx, cpu, vector, n, f"{where} (IRTE {index})")


_IRTE = PK.key(PK.IRTE, 0)


def entry_cpu(w: World, e: dict[str, Any]) -> int:
    """The CPU an IRTE's destination names (a physical APIC id, or a logical x2APIC id with one bit:
    Linux's case), or -1 (none, or several)."""
    dest = e["dest"]
    if e["logical"]:
        bits = dest & 0xFFFF
        if not bits or bits & (bits - 1):
            return -1
        apic_id = ((dest >> 16) << 4) | (bits.bit_length() - 1)
    else:
        apic_id = dest
    return int(bus.apic_cpu(w, apic_id))


def register() -> None:
    """Install the remapping route and the world builder (idempotent)."""
    from msidbg.model import build as _build

    bus.ROUTERS["remapped"] = route
    if build not in _build.PLATFORM_BUILDERS:
        _build.PLATFORM_BUILDERS.append(build)
