"""The guest kernel's AMD-Vi interrupt remapping layer (drivers/iommu/amd/iommu.c, CONFIG_IRQ_REMAP).

``platform.iommu: amd``. The AMD-IR domain sits where intel's IR domain does, and differs in what it
hands the device and where the entries live:

* irq_remapping_alloc takes the entries from the *requester's own* table (alloc_irq_index: the first
  free run, aligned to roundup_pow_of_two(count) for Multi-MSI; each MSI-X vector alone), so two
  devices both start at index 0;
* irq_remapping_prepare_irte / fill_msi_msg give the device the bare interrupt address 0xFEE00000
  and ``data = index`` (+ the Multi-MSI message number the device adds in the low bits) -- neither
  the vector nor the destination ever reaches the device, and the message never changes;
* irq_remapping_activate sets RemapEn (irte_ga_activate) and writes vector and destination
  (amd_ir_update_irte); irq_remapping_deactivate clears RemapEn;
* amd_ir_set_affinity (IRQ_MOVE_PCNTXT): the parent assigns the new vector, irte_ga_set_affinity
  rewrites vector and destination in the entry -- one 128-bit cmpxchg, then the IRT invalidation and
  its completion wait (modify_irte_ga) -- and the old vector's cleanup is sent at once.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import amdvi
from msidbg.model import kinds as K
from msidbg.model import provkeys as PK
from msidbg.model.kernel import irq, msi, pci, remap
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.remap import irte_prov
from msidbg.model.kernel.sw import sw
from msidbg.sim.program import program

ENOSPC = 28
ROUTE = amdvi.ROUTE


def index_of(k: Any, desc: dict[str, Any]) -> int:
    """irq_2_irte.index: the entry of the requester's table behind an irq (index + sub_handle); an irq a second
    enable leaked keeps its own (``remap.keep_leaked``)."""
    own = desc.get("irte")
    base, sub = own if own is not None else pci.pdev(k, desc["dev"])["irte"][desc["index"]]
    return int(base) + int(sub)


def compose(k: Any, desc: dict[str, Any]) -> list[int]:
    """ir_compose_msi_msg: the message fill_msi_msg made at allocation -- the index in the data."""
    return amdvi.message(index_of(k, desc))


# --- allocation and teardown --------------------------------------------------------------------
alloc = program("amd_irq_remapping_alloc", "irq_remapping_alloc: entries of the device's own table, then the MSI "
                "domain", source=S.AMD_IR)


@alloc.step
def alloc_index(k: Any, loc: dict[str, Any]) -> None:
    p = pci.pdev(k, loc["dev"])
    n = len(p["descs"])
    remap.keep_leaked(k, p)
    # Multi-MSI: one call for the block, aligned (align = X86_IRQ_ALLOC_TYPE_PCI_MSI); MSI-X: one each
    remap.take_entries(p, n, loc["type"], lambda count, block: amdvi.alloc(k.w, loc["dev"], count, block))
    if len(p["irte"]) < n:
        got = len(p["irte"])
        _free(k, p, loc["dev"])
        k.note("alloc_irq_index: the device's interrupt remapping table is full (\"Failed to allocate IRTE\")",
               -ENOSPC, loc["dev"])
        k.ret(msi.pci_fail_answer(loc["type"], n, got))
        return
    k.note(f"alloc_irq_index: {n} entr{'y' if n == 1 else 'ies'} of {loc['dev']}'s table from index "
           f"{p['irte'][0][0]}", p["irte"][0][0], loc["dev"])


@alloc.step
def msi_domain(k: Any, loc: dict[str, Any]) -> None:
    k.call("msi_domain_alloc_irqs", dev=loc["dev"], nvec=loc["nvec"], type=loc["type"])


@alloc.step
def alloc_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


def _free(k: Any, p: dict[str, Any], dev: str) -> int:
    """free_irte for every entry a device holds; returns how many."""
    n = 0
    for base, sub in p.get("irte", []):
        amdvi.free(k.w, dev, int(base) + int(sub), 1)
        n += 1
    p["irte"] = []
    return n


teardown = program("amd_irq_remapping_free", "irq_remapping_free: free_irte for each entry", source=S.AMD_IR)


@teardown.step
def free_entries(k: Any, loc: dict[str, Any]) -> None:
    p = pci.pdev(k, loc["dev"])
    if not p.get("irte"):
        k.ret(0)
        return
    base = p["irte"][0][0]
    n = _free(k, p, loc["dev"])
    k.note(f"free_irte: {n} entr{'y' if n == 1 else 'ies'} of {loc['dev']}'s table from index {base}", base,
           loc["dev"])
    k.ret(0)


# --- activation ------------------------------------------------------------------------------------
def _write(k: Any, desc: dict[str, Any], present: bool, how: str = "") -> None:
    """irte_ga_prepare's fields -- DM = apic->dest_mode_logical, the 32-bit dest_apicid split over
    destination lo/hi -- stored in the device's entry. The event's target is the CPU the entry names."""
    index = index_of(k, desc)
    dest = vec.dest_apic(k.w, desc["cpu"])
    logical = k.w["platform"]["apic"] == "x2apic-cluster"
    amdvi.write(k.w, desc["dev"], index, desc["vector"], dest, present, logical)
    P = k.eng.prov
    irte_prov(k, PK.key(PK.AMDIRTE, PK.dev_entry(P.dev(desc["dev"]), index)), desc, dest, present, logical,
              how or ("modify_irte_ga" if present else "irte_ga_deactivate"), moving=bool(how))
    k.ev(K.IRTE_WRITE, desc["dev"], index, desc["vector"] if present else 0, desc["cpu"] if present else -1,
         cost="irte_update")


modify = program("amd_modify_irte_ga", "the 128-bit entry written (one cmpxchg, or RemapEn off around the stores "
                 "before e52d58d54a32), then iommu_flush_irt + completion wait",
                 source=(S.AMD_IR, S.AMD_IRTE_CMPXCHG))


@modify.step
def store(k: Any, loc: dict[str, Any]) -> None:
    """kernel.amd_irte_cmpxchg: the whole entry in one store. Before e52d58d54a32: RemapEn cleared
    first -- the IOMMU (its interrupt table cache not modelled) meets a non-remapping entry until the
    next step writes both halves with RemapEn set."""
    desc = k.w["irqs"][loc["irq"]]
    entry_now = amdvi.table_of(k.w, desc["dev"])
    present_now = bool(entry_now and entry_now[index_of(k, desc)]["present"])
    if sw(k, "amd_irte_cmpxchg") or not (loc["present"] and present_now):
        _write(k, desc, loc["present"])
        k.ret(0)
        return
    _write(k, desc, False,     # entry->lo.fields_remap.valid = 0
           "modify_irte_ga before e52d58d54a32 (kernel.amd_irte_cmpxchg false): RemapEn cleared before the "
           "entry's two halves are stored; a message until then is an IO_PAGE_FAULT")


@modify.step
def store_halves(k: Any, loc: dict[str, Any]) -> None:
    _write(k, k.w["irqs"][loc["irq"]], True)
    k.ret(0)


activate = program("amd_irq_remapping_activate", "irte_ga_activate + amd_ir_update_irte: RemapEn, vector and "
                   "destination into the device's entry", source=S.AMD_IR)


@activate.step
def remap_enable(k: Any, loc: dict[str, Any]) -> None:
    k.call("amd_modify_irte_ga", irq=loc["irq"], present=True)


@activate.step
def activated(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


deactivate = program("amd_irq_remapping_deactivate", "irte_ga_deactivate: RemapEn cleared", source=S.AMD_IR)


@deactivate.step
def remap_disable(k: Any, loc: dict[str, Any]) -> None:
    _write(k, k.w["irqs"][loc["irq"]], False)
    k.ret(0)


# --- affinity ---------------------------------------------------------------------------------------
set_affinity = program("amd_ir_set_affinity", "parent vector, then irte_ga_set_affinity, then the old vector's "
                       "cleanup", source=(S.AMD_IR, S.VECTOR))


@set_affinity.step
def parent(k: Any, loc: dict[str, Any]) -> None:
    remap.parent_affinity(k, loc)


@set_affinity.step
def update_irte(k: Any, loc: dict[str, Any]) -> None:
    """amd_ir_update_irte -> irte_ga_set_affinity: vector and destination, through modify_irte_ga."""
    k.call("amd_modify_irte_ga", irq=loc["irq"], present=True)


@set_affinity.step
def cleanup(k: Any, loc: dict[str, Any]) -> None:
    remap.cleanup_old_vector(k, loc)


msi.ARCH_SETUP[ROUTE] = "amd_irq_remapping_alloc"
msi.ARCH_TEARDOWN[ROUTE] = "amd_irq_remapping_free"
msi.COMPOSE[ROUTE] = compose
irq.ROUTE_ACTIVATE[ROUTE] = "amd_irq_remapping_activate"
irq.ROUTE_DEACTIVATE[ROUTE] = "amd_irq_remapping_deactivate"
irq.ROUTE_SET_AFFINITY[ROUTE] = "amd_ir_set_affinity"
