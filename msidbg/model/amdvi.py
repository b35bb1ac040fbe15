"""The AMD IOMMU's interrupt remapping (AMD-Vi): per-requester tables, the index in the MSI data.

``platform.iommu: amd`` (with ``interrupt_remapping: true``). Where VT-d has one global table and a
*remappable* message naming its entry in the address, AMD-Vi keeps the compatibility shape: the
address is the plain interrupt address 0xFEE00000 (destination, RH and DM fields unused: fill_msi_msg
writes only the base) and the **data** carries the index into the interrupt remapping table of the
requester that sent it -- the device table entry (DTE) of that requester id points at its table
(IntTabLen, IntCtl = remapped; alloc_irq_table / set_dte_irq_entry). An index is therefore per device:
the same data from two devices names two different entries, and there is no source-id check to fail.
The table has 512 entries (MAX_IRQS_PER_TABLE_512, DTE_INTTABLEN_512; the 2K tables of newer IOMMUs
are not modelled) and the IOMMU takes the offset from data[10:0] (Xen's INTREMAP_MAX_ORDER 0xB,
``data = (data & ~(INTREMAP_MAX_ENTRIES - 1)) | offset``): an offset past IntTabLen is an
IO_PAGE_FAULT, like an entry whose RemapEn is clear; a requester without a table is target-aborted
(its DTE has IntCtl 00b).

Entry format: the 128-bit GA format (irte_ga: RemapEn, IntType, DM in the low quadword with
destination[23:0], vector and destination[31:24] in the high one), which Linux uses whenever the
IOMMU has GASup (and cmpxchg16b) -- and XTSup, the only way Linux runs x2APIC with AMD remapping,
requires it (init_iommu_one: "XT, GAM also requires GA mode"). The model's remapped world runs x2APIC
(cluster mode by default), so GA is the format; an IOMMU without XTSup (xAPIC, the 32-bit legacy
IRTE with an 8-bit destination) is refused at load. Linux writes a GA entry whole with one 128-bit
cmpxchg (__modify_irte_ga: try_cmpxchg128, from e52d58d54a32 cmpxchg_double) and then invalidates the
IOMMU's cached copy and waits (iommu_flush_irt_and_complete: INVALIDATE_INTERRUPT_TABLE +
COMPLETION_WAIT) -- one atomic, synchronous update here; before e52d58d54a32 it cleared RemapEn around
the stores (``kernel.amd_irte_cmpxchg: false``, msidbg.model.kernel.amd_remap). The IOMMU's interrupt
table cache is not modelled: a message meets the entry in memory (docs/model-baremetal.md, "AMD-Vi").
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, bus
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import MSI_ADDR_BASE, MSI_ADDR_BASE_MASK, X2APIC_BROADCAST

World = dict[str, Any]
ROUTE = "amd-vi"
#: MAX_IRQS_PER_TABLE_512 (amd_iommu_types.h): the entries of a requester's table (DTE IntTabLen 9)
TABLE_ENTRIES = 512
#: the IOMMU reads the table offset from MSI data[10:0] (the 2K-entry maximum)
DATA_INDEX_MASK = (1 << 11) - 1


def build(scn: Any, w: World) -> None:
    """No requester has a table yet: Linux allocates one at the first IRTE allocation of a device."""
    if w["platform"]["route"] == ROUTE:
        w["iommu"] = {"tables": {}}


def message(index: int) -> list[int]:
    """fill_msi_msg: [address-lo, address-hi, data] -- the bare interrupt address, the index as data."""
    return [MSI_ADDR_BASE, 0, index]


def table_of(w: World, dev: str) -> dict[int, dict[str, Any]] | None:
    tables: dict[str, dict[int, dict[str, Any]]] = w["iommu"]["tables"]
    return tables.get(dev)


def alloc(w: World, dev: str, count: int, align: bool) -> int:
    """alloc_irq_index: the requester's table (alloc_irq_table makes it on first use), then the lowest
    run of ``count`` free entries, starting at a multiple of roundup_pow_of_two(count) when ``align``
    (Multi-MSI: the device puts the message number in the data's low bits). Returns the first index,
    or -1 (-ENOSPC) when the 512-entry table has no such run."""
    table = w["iommu"]["tables"].setdefault(dev, {})
    step = 1 << max(count - 1, 0).bit_length() if align else 1
    index = 0
    while index + count <= TABLE_ENTRIES:
        taken = [i for i in range(index, index + count) if i in table]
        if not taken:
            for i in range(index, index + count):
                table[i] = {"present": False, "vector": 0, "dest": 0, "logical": False}
            return index
        nxt = taken[-1] + 1
        index = -(-nxt // step) * step
    return -1


def free(w: World, dev: str, index: int, count: int) -> None:
    """free_irte for ``count`` entries from ``index`` (the table itself stays with the requester)."""
    table = table_of(w, dev)
    if table is not None:
        for i in range(index, index + count):
            table.pop(i, None)


def write(w: World, dev: str, index: int, vector: int, dest: int, present: bool, logical: bool) -> None:
    """modify_irte_ga: RemapEn, DM, vector and the 32-bit destination change in one 128-bit store,
    then the IRT invalidation and completion wait (synchronous here)."""
    e = w["iommu"]["tables"][dev][index]
    e["present"], e["vector"], e["dest"] = present, vector if present else 0, dest if present else 0
    e["logical"] = logical and present


def route(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> int:
    """ROUTERS["amd-vi"]: the requester's DTE selects its table, data[10:0] the entry."""
    if (lo & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE or hi:
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
        return -1
    table = eng.w["iommu"]["tables"].get(dev)
    if table is None:
        acct.lost(eng, dev, idx, n, "came from a requester without an interrupt remapping table (DTE IntCtl "
                                    "target abort)")
        return -1
    index = data & DATA_INDEX_MASK
    e = table.get(index)
    if index >= TABLE_ENTRIES or e is None or not e["present"]:
        if e is not None:
            P = eng.prov
            P.dep(PC.D_IRTE, PK.key(PK.AMDIRTE, PK.dev_entry(P.dev(dev), index)))
        acct.lost(eng, dev, idx, n, f"named entry {index} of {dev}'s interrupt remapping table, which is not "
                                    "remapping (RemapEn clear or past IntTabLen: IO_PAGE_FAULT)")
        return -1
    via = f" (IRTE {dev}:{index})"
    if e["logical"]:        # x2APIC logical: cluster + bitmap, as with VT-d
        dest = e["dest"]
        bits = dest & 0xFFFF
        if bits and not bits & (bits - 1):
            cpu = bus.apic_cpu(eng.w, ((dest >> 16) << 4) | (bits.bit_length() - 1))
            if cpu >= 0:
                return bus.deliver_vector(eng, dev, idx, cpu, e["vector"], n, f"logical destination {dest:#04x}{via}")
        return bus.deliver_to(eng, dev, idx, dest, True, e["vector"], n, X2APIC_BROADCAST, via)
    return bus.deliver_vector(eng, dev, idx, bus.apic_cpu(eng.w, e["dest"]), e["vector"], n,
                              f"APIC id {e['dest']}{via}")


def register() -> None:
    """Install the AMD-Vi route and the world builder (idempotent)."""
    from msidbg.model import build as _build

    bus.ROUTERS[ROUTE] = route
    if build not in _build.PLATFORM_BUILDERS:
        _build.PLATFORM_BUILDERS.append(build)
