"""The guest kernel's interrupt remapping layer (drivers/iommu/intel/irq_remapping.c).

An IR domain sits between the x86 vector domain and PCI-MSI. Allocation reserves IRTEs
(one per MSI-X entry; one aligned block for multi-MSI, which remapping makes possible);
the device gets a fixed remappable message naming its IRTE. Activation writes vector and
destination into the IRTE before the message is written; deactivation clears it.
``intel_ir_set_affinity`` runs in process context (IRQ_MOVE_PCNTXT): the parent assigns
the new vector, the IRTE's low quadword (vector, destination) is rewritten in one 64-bit store
and the interrupt entry cache flushed (modify_irte), and the old vector's cleanup is sent at
once -- the device's message never changes, so it can never be torn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.model import iommu
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.kernel import entry, irq, msi, pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.move import assign_vector
from msidbg.sim.program import program

ENOSPC = 28
ROUTE = "remapped"


#: the IO-APIC level chip's key (kernel/intx.py IOAPIC_LEVEL): under remapping, ioapic_ir_chip
IOAPIC_CHIP = "IO-APIC-fasteoi"


def irte_of(k: Any, desc: Any) -> tuple[int, int]:
    """(first IRTE index of the allocation, sub-handle) of an irq's descriptor; an IO-APIC irq's is the
    IRTE its pin's entry holds (mp_irqdomain_alloc -> intel_irq_remapping_alloc: one per pin)."""
    if desc.chip == IOAPIC_CHIP:
        return int(k.w["ioapic"][desc.irq]["irte"]), 0
    own = desc.get("irte")
    if own is not None:     # an irq a second enable leaked keeps the IRTE of its own allocation (keep_leaked)
        return int(own[0]), int(own[1])
    base, sub = pci.pdev(k, desc.dev)["irte"][desc.index]
    return int(base), int(sub)


def keep_leaked(k: Any, p: dict[str, Any]) -> None:
    """Before a device's IRTEs are allocated again while its descriptors still have irqs -- a second enable
    before 4c1ef72e9b71 walks the first one's descriptors too, and msi_domain_alloc_irqs gives each a new irq,
    leaking the old one (reading ``kernel.msi.enable-unserialised``) -- each such irq keeps the IRTE it was
    allocated with: the remapping domain's irq data holds its own index (intel_irq_remapping_alloc:
    ``data->irq_2_iommu.irte_index = index``; AMD irq_remapping_alloc: ``irte_info->index``), which the second
    allocation does not touch. The model kept them only per device (``p["irte"]``, overwritten here), so a leaked
    irq still in use -- moved by a CPU offline -- found no entry (redteam32: tests/combo31 seeds 320748, 322509)."""
    old = p.get("irte") or []
    for pd in p.get("descs", []):
        desc = k.w.irqs.get(pd.get("irq")) if pd.get("irq") else None
        if desc is not None and desc.get("irte") is None and desc.chip != IOAPIC_CHIP and desc.index < len(old):
            desc["irte"] = [int(old[desc.index][0]), int(old[desc.index][1])]


def compose(k: Any, desc: Any) -> list[int]:
    """intel_ir_compose_msi_msg: the remappable message, independent of vector and CPU."""
    return iommu.remappable_msg(*irte_of(k, desc))


# --- allocation and teardown --------------------------------------------------------------------
def take_entries(p: dict[str, Any], n: int, mode: str, alloc: Callable[[int, bool], int]) -> None:
    """``p["irte"]``: ``[base, sub]`` per descriptor -- one block of ``n`` for Multi-MSI (one
    allocation, ``alloc(n, True)``), else one entry per MSI-X descriptor (the IR domain allocates
    per descriptor, ``alloc(1, False)``), stopping at the first that finds the table full. Both
    remapping units (Intel here, AMD in ``amd_remap``); ``alloc`` returns the base or -1."""
    if mode == "msi":
        base = alloc(n, True)
        p["irte"] = [[base, i] for i in range(n)] if base >= 0 else []
        return
    p["irte"] = []
    for _ in range(n):
        base = alloc(1, False)
        if base < 0:
            return
        p["irte"].append([base, 0])


alloc = program("intel_irq_remapping_alloc", "IRTEs for a device's MSI descriptors, then the MSI domain", source=S.INTEL_IR)


@alloc.step
def alloc_irte(k: Any, loc: dict[str, Any]) -> None:
    p = pci.pdev(k, loc["dev"])
    n = len(p["descs"])
    keep_leaked(k, p)
    take_entries(p, n, loc["type"], lambda count, block: iommu.alloc(k.w, loc["dev"], count))
    if len(p["irte"]) < n:
        got = len(p["irte"])
        _free_irtes(k, p, loc["type"])
        k.note("alloc_irte: remapping table full", -ENOSPC, loc["dev"])
        # the IR domain allocates per descriptor under __irq_domain_alloc_irqs: MSI-X entries before
        # the one that found the table full were allocated, and msi_handle_pci_fail answers their count
        # (1 for a Multi-MSI block), which the range helper retries with
        k.ret(msi.pci_fail_answer(loc["type"], n, got))
        return
    k.note(f"alloc_irte: {n} IRTE(s) from index {p['irte'][0][0]}", p["irte"][0][0], loc["dev"])


@alloc.step
def msi_domain(k: Any, loc: dict[str, Any]) -> None:
    k.call("msi_domain_alloc_irqs", dev=loc["dev"], nvec=loc["nvec"], type=loc["type"])


@alloc.step
def alloc_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


def _free_irtes(k: Any, p: dict[str, Any], mode: str | None) -> int:
    """free_irte for every IRTE a device holds; returns how many blocks were freed."""
    blocks = sorted({base for base, _ in p.get("irte", [])})
    count = len(p["irte"]) if mode == "msi" else 1
    for base in blocks:
        iommu.free(k.w, base, count)
    p["irte"] = []
    return len(blocks)


teardown = program("intel_irq_remapping_free", "free_msi_irqs below the MSI domain: release the IRTEs", source=S.INTEL_IR)


@teardown.step
def free_irtes(k: Any, loc: dict[str, Any]) -> None:
    p = pci.pdev(k, loc["dev"])
    if not p.get("irte"):
        k.ret(0)
        return
    base = p["irte"][0][0]
    n = _free_irtes(k, p, p["mode"])
    k.note(f"free_irte: {n} block(s) from index {base}", base, loc["dev"])
    k.ret(0)


# --- activation ------------------------------------------------------------------------------------
def irte_prov(k: Any, key: int, desc: Any, dest: int, present: bool, logical: bool, how: str,
              moving: bool = False) -> None:
    """Provenance: the remapping entry now names this vector and destination (from the irq's vector
    assignment: the allocation or move that chose the CPU), or is not remapping (``moving``: cleared
    as the first store of a move, which the new assignment links). Cold: an entry is written at
    activation and at each move, never per interrupt."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    if present or moving:
        P.dep(PC.D_COMPOSED, PK.key(PK.IRQVEC, desc.irq))
    if present:
        mode = f"logical x2APIC id {dest:#x}" if logical else f"APIC id {dest}"
        note = f"{how}: vector {desc['vector']:#x}, {mode} (CPU{desc['cpu']}) for irq {desc['irq']}"
    else:
        note = f"{how}: not remapping (irq {desc['irq']})"
    also = () if desc.dev is None else (PK.key(PK.REMAPS, PK.dev_entry(P.dev(desc.dev), desc.index)),)
    P.write(PC.IRTE_WRITE, key, desc.vector if present else 0, note=note, also=also)


def _write_irte(k: Any, desc: Any, present: bool) -> None:
    """prepare_irte + modify_irte: ``dst_mode = apic->dest_mode_logical`` (true for x2apic_cluster) and
    ``dest_id = IRTE_DEST(cfg->dest_apicid)``, the whole 32-bit id in x2APIC mode. The event's target is
    the CPU the entry names."""
    base, sub = irte_of(k, desc)
    dest = vec.dest_apic(k.w, desc.cpu)
    logical = k.w.platform["apic"] == "x2apic-cluster"
    iommu.write(k.w, base + sub, desc.vector, dest, present, logical)
    irte_prov(k, PK.key(PK.IRTE, base + sub), desc, dest, present, logical, "modify_irte")
    k.ev(K.IRTE_WRITE, desc.dev, base + sub, desc.vector if present else 0, desc.cpu if present else -1,
         cost="irte_update")


activate = program("intel_irq_remapping_activate", "modify_irte: vector and destination into the IRTE", source=S.INTEL_IR)


@activate.step
def irte_present(k: Any, loc: dict[str, Any]) -> None:
    _write_irte(k, k.w.irqs[loc["irq"]], True)
    k.ret(0)


deactivate = program("intel_irq_remapping_deactivate", "modify_irte with an empty entry", source=S.INTEL_IR)


@deactivate.step
def irte_clear(k: Any, loc: dict[str, Any]) -> None:
    _write_irte(k, k.w.irqs[loc["irq"]], False)
    k.ret(0)


# --- affinity ---------------------------------------------------------------------------------------
set_affinity = program("intel_ir_set_affinity", "parent vector, then the IRTE, then the old vector's cleanup", source=(S.INTEL_IR, S.VECTOR))


def parent_affinity(k: Any, loc: dict[str, Any]) -> None:
    """irq_chip_set_affinity_parent: the vector domain moves the irq (``vec.set_affinity``); the
    remapping chip returns its error, or 0 when neither vector nor CPU changed (nothing to write).
    The first step of both remapping units' set_affinity (Intel here, AMD in ``amd_remap``)."""
    desc = k.w.irqs[loc["irq"]]
    old = assign_vector(k, desc, loc["mask"])
    if old is None:
        return
    if [desc.vector, desc.cpu] == old:
        k.ret(0)
        return
    k.ev(K.VECTOR_ASSIGN, desc.dev, desc.irq, desc.vector, desc.cpu)


def cleanup_old_vector(k: Any, loc: dict[str, Any]) -> None:
    """send_cleanup_vector / vector_schedule_cleanup once the entry names the new vector: the
    device can only reach the new one now. The last step of both units' set_affinity."""
    desc = k.w.irqs[loc["irq"]]
    if desc.move_in_progress:
        entry.send_cleanup(k, desc, desc.vector, desc.cpu)
    k.ret(0)


@set_affinity.step
def parent(k: Any, loc: dict[str, Any]) -> None:
    parent_affinity(k, loc)


@set_affinity.step
def irte(k: Any, loc: dict[str, Any]) -> None:
    _write_irte(k, k.w.irqs[loc["irq"]], True)


@set_affinity.step
def cleanup(k: Any, loc: dict[str, Any]) -> None:
    cleanup_old_vector(k, loc)


msi.ARCH_SETUP[ROUTE] = "intel_irq_remapping_alloc"
msi.ARCH_TEARDOWN[ROUTE] = "intel_irq_remapping_free"
msi.COMPOSE[ROUTE] = compose
irq.ROUTE_ACTIVATE[ROUTE] = "intel_irq_remapping_activate"
irq.ROUTE_DEACTIVATE[ROUTE] = "intel_irq_remapping_deactivate"
irq.ROUTE_SET_AFFINITY[ROUTE] = "intel_ir_set_affinity"
