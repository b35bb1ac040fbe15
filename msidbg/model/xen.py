"""The Xen hypervisor: a domain's pirqs, host irqs, physical MSI/MSI-X programming, passthrough binding.

Follows xen/arch/x86/irq.c, physdev.c, drivers/passthrough/io.c and hvm/vmsi.c:

* A pirq record mirrors ``struct pirq``: ``irq`` is 0 (unmapped), -1 (``PIRQ_ALLOCATED`` by
  PHYSDEVOP_get_free_pirq) or a host irq (mapped); ``emuirq`` is set while the guest has an event
  channel on a mapped pirq (HVM; on Xen 4.1.0 / 4.1.1 from QEMU's map to its unmap, ``xen_pt_emuirq_at_map``); ``bound`` is the passthrough binding (``pt_irq_create_bind``).
  A pirq is free (``is_free_pirq``) when it is unmapped and has no emuirq; MSI pirqs are handed
  out top-down from ``nr_pirqs - 1``, so the most recently freed high pirq comes back first.
* Mapping a pirq (``map_domain_pirq`` via PHYSDEVOP_map_pirq from QEMU) creates a host irq with a
  host vector and programs the physical entry with it, masked. Binding (``pirq_guest_bind`` at
  ``pt_irq_create_bind``) starts the host irq: the host mask clears. Unmapping masks the entry.
* The guest's Vector Control writes to a bound MSI-X entry are intercepted (msixtbl): ``direct``
  (Xen before 4.6) writes the guest's mask bit to the physical entry; ``combined`` (4.6+) keeps a
  guest and a host mask bit, the physical bit is their OR, and binding an event channel to the
  pirq clears the guest's (``arch_evtchn_bind_pirq`` -> ``guest_mask_msi_irq(desc, 0)``), as does
  from 4.10 a binding the device model asks to unmask (69d99d1b22, XEN_DOMCTL_VMSI_X86_UNMASKED).

Everything here is plain functions over ``w.xen``; they run inside the step of whoever made
the hypercall (a guest CPU or QEMU) and emit no event of their own.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, bus, device, hits, vmsi
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import CMD_MEMORY, ENTRY_MASKBIT, MSI_64BIT, MSI_PVM, MSIX_ENABLE, MSIX_MASKALL

World = Any     # a world record (sim/rec.py WorldRec)
EINVAL, ENOSPC, EEXIST, EBUSY, ENXIO = 22, 28, 17, 16, 6

#: the seed's domain: two SR-IOV NICs got pirqs 101..96, so the top MSI pirq is 101. A domU has
#: nr_pirqs = nr_irqs_gsi + extra_domU_irqs (xen/common/domain.c, 32 unless the host boots with
#: extra_guest_irqs=), so MSI pirqs are nr_irqs_gsi .. nr_pirqs - 1: 32 of them, on a host with 70 GSIs
NR_PIRQS = 102
NR_IRQS_GSI = 70
PIRQ_ALLOCATED = -1
XEN_PIRQ_MSI_DATA = 0x4300          # edge, assert, delivery mode 3 ("pirq"), vector 0
#: the same message from 41bb2115beec (5.11, ``kernel.xen_pirq_msi_extint``): delivery mode ExtINT, vector 0
XEN_PIRQ_MSI_DATA_EXTINT = 0x0700
FIRST_HOST_IRQ = 56                 # host irqs after the host's GSIs
#: Xen's dynamic vectors (asm-x86/mach-default/irq_vectors.h, RELEASE-4.5.0): 0x20 is IRQ_MOVE_CLEANUP_VECTOR,
#: 0x80 LEGACY_SYSCALL_VECTOR and 0x82 HYPERCALL_VECTOR are in used_vectors
FIRST_DYNAMIC_VECTOR, LAST_DYNAMIC_VECTOR = 0x20, 0xDF
RESERVED_VECTORS = frozenset((0x20, 0x80, 0x82))
#: __assign_irq_vector's static current_vector / current_offset as the host's boot (its GSIs) left them:
#: the first MSI gets 0x31, the next ones 0x39, 0x41, ... (the search steps by 8 to spread priority levels)
BOOT_VECTOR = (0x29, 1)


def uses_pirqs(w: World) -> bool:
    """An HVM guest routes its PCI devices' MSIs over pirqs: Xen offers XENFEAT_hvm_pirqs
    (``platform.xen_hvm_pirqs``: 4.1 .. 4.18 by default, xl.cfg ``hvm_pirq`` from 4.19) and does not
    advertise APIC virtualization (``platform.apic_virtualization``); pci_xen_hvm_init /
    xen_hvm_msi_init return early otherwise."""
    b = w.behaviour
    return bool(w.platform["kind"] == "xen-hvm" and b.get("xen_hvm_pirqs", True) and not b["apic_virtualization"])


def build(scn: Any, w: World) -> None:
    """PLATFORM_BUILDERS hook: add Xen's state (the versions are already resolved in ``w.behaviour``)."""
    p = w.platform
    if not p["kind"].startswith("xen-"):
        return
    # 7e0815b3e099: pci_msi_ignore_mask for HVM pirq guests. It is set at the end of
    # xen_setup_pci_msi() (xen_msi_init() in the 4.14 backport), which xen_hvm_msi_init() never
    # reaches when Xen advertises (x2)APIC virtualization: that guest keeps the x86 MSI domain and
    # masks and unmasks its entries itself, in every release.
    if p["kind"] == "xen-hvm" and w.behaviour["xen_hvm_msi_ignore_mask"] and uses_pirqs(w):
        w.kernel["ignore_mask"] = True
    if p["kind"] == "xen-pv":
        # a PV vCPU's vcpu_info.evtchn_upcall_pending (Xen's test_guest_events enters the guest at its
        # registered event callback while it is set and evtchn_upcall_mask, the guest's irqs_off, is
        # clear): its upcall is no local APIC vector (evtchn.raise_upcall, kernel/xen_events.pv_callback)
        for c in w.cpus:
            c["upcall"] = 0
    w.xen = {
        "nr_pirqs": NR_PIRQS, "nr_irqs_gsi": NR_IRQS_GSI,
        "pirqs": {},       # pirq -> record (absent = never touched, free)
        "irqs": {},        # host irq -> {vector, pirq, dev, entry, type, host_masked, guest_masked}
        "vector_irq": {},  # pCPU << 8 | host vector -> host irq (per_cpu(vector_irq); physical destination mode)
        "vec": list(BOOT_VECTOR),   # __assign_irq_vector's current_vector, current_offset
        "pcpu": list(range(len(w.cpus))),   # vCPU n -> the pCPU it runs on (v->processor)
        "entry_irq": {},   # "dev#entry" -> the host irq whose message the physical entry holds
        "msixtbl": {},     # device -> the vMSI-X intercept's entry (model/vmsi.py)
        "next_irq": FIRST_HOST_IRQ,
        "ports": {},       # event channels: port -> {pirq, vcpu, pending, masked, src}
        "eoi": {},         # pCPU -> per_cpu(pending_eoi): [vector, host irq, ready] in service, lowest first
        "irr": {},         # pCPU << 8 | host vector -> [dev, index, signals, host irq] waiting in that pCPU's IRR
    }
    w.kernel["xen"] = {"irqs": {}, "evtchn_to_irq": {}, "channels": [0] * len(w.cpus)}
    from msidbg.model import xensched
    xensched.build(w)


def key(dev: str, entry: int) -> str:
    return f"{dev}#{entry}"


# --- the pirq table --------------------------------------------------------------------------
def pirq_rec(x: World, pirq: int) -> dict[str, Any]:
    """``pirq_get_info``: the record of ``pirq``, created empty (free) when absent."""
    rec = x["pirqs"].get(pirq)
    if rec is None:
        rec = {"irq": 0, "emuirq": False, "bound": False, "port": 0, "dev": None, "entry": -1, "type": None,
               "gvec": 0, "gdest": 0}
        x["pirqs"][pirq] = rec
    return rec


def is_free(rec: dict[str, Any] | None) -> bool:
    """``is_free_pirq`` for an HVM domain: ``arch.irq`` 0 (not mapped, allocated or force-unbound)
    and no emuirq."""
    return rec is None or (rec["irq"] == 0 and not rec["emuirq"])


def cleanup(x: World, pirq: int) -> None:
    """``pirq_cleanup_check``: forget a record that holds nothing any more."""
    rec = x["pirqs"].get(pirq)
    if rec is not None and is_free(rec) and not rec["port"] and not rec["bound"]:
        del x["pirqs"][pirq]


def state(rec: dict[str, Any] | None) -> str:
    """free / allocated / mapped / bound / stale, as the pirq pane shows it (stale: a guest port still
    names a pirq Xen has unmapped -- free for get_free_pirq all the same -- or a force-unbound one)."""
    if rec is None or (rec["irq"] == 0 and not rec["emuirq"] and not rec["port"]):
        return "free"
    if rec["irq"] == PIRQ_ALLOCATED:
        return "allocated"
    if rec["irq"] <= 0:
        return "stale"     # unmapped while the guest still had an event channel on it, or still bound
    return "bound" if rec["bound"] else "mapped"


def get_free_pirq(x: World) -> int:
    """MSI pirqs: top-down from nr_pirqs - 1 to nr_irqs_gsi."""
    for pirq in range(x["nr_pirqs"] - 1, x["nr_irqs_gsi"] - 1, -1):
        if is_free(x["pirqs"].get(pirq)):
            return pirq
    return -ENOSPC


def alloc_pirq(w: World) -> int:
    """PHYSDEVOP_get_free_pirq (type MSI): the pirq is marked PIRQ_ALLOCATED until mapped."""
    x = w.xen
    pirq = get_free_pirq(x)
    if pirq >= 0:
        pirq_rec(x, pirq)["irq"] = PIRQ_ALLOCATED
    return pirq


def note_alloc(eng: Any, pirq: int) -> None:
    """Provenance of PHYSDEVOP_get_free_pirq: the pirq Xen handed out (top-down, the first free),
    because of what last made it free (an unmap, a destroyed binding) when anything had used it --
    how one device's pirq reaches another (2017: QEMU's unmap on MSI-X disable frees it) -- and of
    what holds the pirq above it (why Xen did not hand out that one: e.g. QEMU before c976437c7dba
    keeps a removed device's pirq mapped)."""
    if pirq >= 0:
        k = PK.key(PK.PIRQ, pirq)
        if eng.prov.writer(k) >= 0:
            eng.prov.dep(PC.D_CAUSE, k)
        above = PK.key(PK.PIRQ, pirq + 1)
        if pirq + 1 < eng.w.xen["nr_pirqs"] and eng.prov.writer(above) >= 0:
            # why not the one above: what holds it -- an annotation (whyheld10): it explains the number, and as a
            # default link it walked a range one pirq at a time
            eng.prov.dep(PC.D_ABOVE, above)
        eng.prov.write(PC.XEN, PK.key(PK.PIRQ, pirq), PIRQ_ALLOCATED,
                       note=f"PHYSDEVOP_get_free_pirq hands out pirq {pirq}, the highest free one")


def note_exhausted(eng: Any, op: str) -> int:
    """Provenance of a refused MSI pirq allocation (``get_free_pirq`` finds none: -ENOSPC, as
    PHYSDEVOP_get_free_pirq or PHYSDEVOP_map_pirq's allocate_pirq answer): a node on the bottom MSI pirq
    (``nr_irqs_gsi``, the last one the top-down search hands out) linking, per holder (the device an MSI
    pirq is mapped for; else its ``state``: "allocated", handed out and not mapped yet, or "stale"), the latest write of a
    pirq it holds -- what used up the range, not the search. Returns the node (the caller's error links
    it), or -1 when nothing is recorded."""
    x, P = eng.w.xen, eng.prov
    if not eng.fresh or not P.on:
        return -1
    P.drop_pending()    # (QEMU's map noted the entry's value for the map node: not what the refusal is about)
    holders: list[tuple[int, int]] = []      # (writer, pirq key) of every held pirq
    held: dict[str, int] = {}
    for pirq in range(x["nr_irqs_gsi"], x["nr_pirqs"]):
        rec = x["pirqs"].get(pirq)
        if is_free(rec):
            continue
        assert rec is not None
        who = rec["dev"] if rec["irq"] > 0 and rec["dev"] is not None else state(rec)     # allocated / stale
        held[who] = held.get(who, 0) + 1
        key = PK.key(PK.PIRQ, pirq)
        holders.append((P.writer(key), key))
    # every held pirq's latest write, most recent first (whyheld10: the holder's latest only, whose chain walked the
    # others one pirq at a time through the allocations' "what holds the pirq above")
    for w, key in sorted(holders, reverse=True):
        P.dep_writer(PC.D_OWNER, key, w)
    n = x["nr_pirqs"] - x["nr_irqs_gsi"]
    label = {"allocated": "allocated, not mapped yet", "stale": "unmapped but still the guest's (emuirq or port)"}
    parts = ", ".join(f"{c} {label.get(who, 'mapped for ' + who)}" for who, c in sorted(held.items(), key=lambda kv: -kv[1]))
    # ctx=False: the caller's own node (the guest's error, QEMU's failed map) carries the step's context; the
    # refusal's links are the holders alone (a QEMU step's ioreq link would otherwise be its latest)
    return P.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, x["nr_irqs_gsi"]), -ENOSPC, ctx=False,
                   note=f"{op}: no free MSI pirq (-ENOSPC): all {n} (pirqs {x['nr_irqs_gsi']}..{x['nr_pirqs'] - 1}) "
                        f"are held: {parts}")


def refusal(eng: Any) -> int:
    """The ``note_exhausted`` node this event just recorded (the last node, an ``xen.refused`` on the bottom MSI
    pirq), else -1: a caller that got -ENOSPC from ``map_pirq`` links it only when the range ran out (a host
    vector shortage returns -ENOSPC too, and records no refusal)."""
    P = eng.prov
    r = P.last_node
    if not (eng.fresh and P.on) or r < 0 or P.event(r) != eng.cur or P.code(r) != PC.XEN_REFUSED:
        return -1
    return r if P.key(r) == PK.key(PK.PIRQ, eng.w.xen["nr_irqs_gsi"]) and P.x(r) == -ENOSPC else -1


def owner(rec: dict[str, Any]) -> str:
    return f"{rec['dev']} entry {rec['entry']}" if rec["dev"] is not None else "nothing"


# --- map / unmap (PHYSDEVOP_map_pirq, PHYSDEVOP_unmap_pirq) -------------------------------------
def map_pirq(eng: Any, pirq: int, dev: str, entry: int, kind: str) -> int:
    """Map ``pirq`` (or, if negative, a free one) to (dev, entry): returns the pirq or -errno.

    A pirq Xen already maps for another entry is left alone and the call still succeeds
    (``map_domain_pirq``: "pirq already mapped", return 0) -- the entry stays unprogrammed.
    """
    x = eng.w.xen
    if pirq < 0:
        pirq = get_free_pirq(x)
        if pirq < 0:
            note_exhausted(eng, "PHYSDEVOP_map_pirq (allocate_pirq)")
            return pirq
    if not 0 <= pirq < x["nr_pirqs"]:
        return -EINVAL
    rec = pirq_rec(x, pirq)
    P = eng.prov
    if rec["irq"] > 0:
        if rec["dev"] != dev or rec["entry"] != entry:
            P.dep(PC.D_OWNER, PK.key(PK.PIRQ, pirq))
            P.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, pirq), rec["irq"],
                    note=f"pirq {pirq} is mapped for {owner(rec)}: mapping it for {dev} entry {entry} changes nothing")
            eng.hit(hits.PIRQ_CONFLICT, f"{dev} entry {entry} asks Xen to map pirq {pirq}, which Xen holds "
                    f"for {owner(rec)}: map_domain_pirq keeps the old mapping and reports success")
        _emuirq_at_map(eng, rec, pirq)
        return pirq
    if kind == "msix" and _decode_checked(eng.w) and not eng.w.devices[dev]["cmd"] & CMD_MEMORY:
        return _capability_init_undecoded(eng, dev, entry)
    irq, vector = _new_host_irq(x, pirq, dev, entry, kind)
    if irq < 0:
        return -ENOSPC
    # pirq_acktype: an MSI Xen cannot mask is ACKTYPE_EOI (held in service until the guest's EOI)
    x["irqs"][irq]["ack_eoi"] = kind == "msi" and not eng.w.devices[dev]["msi"]["ctrl"] & MSI_PVM
    rec.update(irq=irq, dev=dev, entry=entry, type=kind)
    x["entry_irq"][key(dev, entry)] = irq
    P.write(PC.XEN, PK.key(PK.PIRQ, pirq), irq,
            note=f"map_domain_pirq: pirq {pirq} -> host irq {irq} (vector {vector:#x}) for {dev} entry {entry}")
    _program(eng, dev, entry, kind, vector)
    _emuirq_at_map(eng, rec, pirq)
    return pirq


def _emuirq_at_map(eng: Any, rec: dict[str, Any], pirq: int) -> None:
    """Xen 4.1.0 / 4.1.1 (``xen_pt_emuirq_at_map``): physdev_map_pirq gives an HVM domain's pirq its IRQ_PT
    emuirq once map_domain_pirq succeeds ('if ( !ret && is_hvm_domain(d) ) map_domain_emuirq_pirq(d, pirq,
    IRQ_PT);', reading ``xen.emuirq-at-map``); EVTCHNOP_bind_pirq and EVTCHNOP_close leave it alone."""
    w = eng.w
    if w.platform["kind"] == "xen-hvm" and w.behaviour.get("xen_pt_emuirq_at_map") and not rec["emuirq"]:
        rec["emuirq"] = True
        eng.prov.write(PC.XEN, PK.key(PK.PIRQ, pirq), rec["irq"],
                       note=f"physdev_map_pirq: pirq {pirq} gets its IRQ_PT emuirq (Xen 4.1.0 / 4.1.1: at the map)")


def vkey(cpu: int, vector: int) -> int:
    """The per-pCPU vector_irq slot of ``vector`` on ``cpu``."""
    return cpu << 8 | vector


def assign_vector(x: World, cpu: int) -> int:
    """``__assign_irq_vector``'s search on one pCPU (physical destination mode: the vector allocation
    mask is that CPU): from the last vector handed out, in steps of 8, wrapping to the next offset,
    the first not reserved and free on ``cpu``; -1 (-ENOSPC) after a full round."""
    start, offset = x["vec"]
    vector = start
    for _ in range(LAST_DYNAMIC_VECTOR + 8):
        vector += 8
        if vector > LAST_DYNAMIC_VECTOR:
            offset = (offset + 1) % 8
            vector = FIRST_DYNAMIC_VECTOR + offset
        if vector == start:
            break
        if vector in RESERVED_VECTORS or vkey(cpu, vector) in x["vector_irq"]:
            continue
        x["vec"] = [vector, offset]
        return vector
    return -1


def _new_host_irq(x: World, pirq: int, dev: str, entry: int, kind: str) -> tuple[int, int]:
    """``create_irq``: a host irq with a vector on pCPU 0 (``assign_irq_vector(irq, NULL)``: the first
    online CPU of TARGET_CPUS)."""
    vector = assign_vector(x, 0)
    if vector < 0:
        return -1, -1
    irq = x["next_irq"]
    x["next_irq"] = irq + 1
    x["irqs"][irq] = {"vector": vector, "pirq": pirq, "dev": dev, "entry": entry, "type": kind,
                      "host_masked": True, "guest_masked": True, "ack_eoi": False, "in_flight": False,
                      "isr": [], "cpu": 0, "move": -1, "old": -1}
    x["vector_irq"][vkey(0, vector)] = irq
    return irq, vector


def unmap_pirq(eng: Any, pirq: int) -> int:
    """``unmap_domain_pirq``: free the host irq, mask the physical entry (``pci_disable_msi``).

    A pirq that is still passthrough-bound is force-unbound (``pirq_guest_force_unbind``): its
    irq becomes the negative host irq, so it is not free (``is_free_pirq``) until the binding
    is destroyed (``pt_irq_destroy_bind`` clears it); the vMSI-X reference stays.

    ``physdev_unmap_pirq`` from the device model for an HVM domain first clears the pirq's emuirq
    (``unmap_domain_pirq_emuirq``, 49f9d2493c: only when it has one; every release 4.2 .. 4.22, and
    4.1.3+), even while the guest still has an event channel on it: from then on Xen delivers the
    pirq as a vMSI (``hvm_domain_use_pirq`` is false), and an unmapped pirq is free again. On 4.1.0 ..
    4.1.2 (``xen_dm_unmap_needs_emuirq``) it calls ``unmap_domain_pirq_emuirq`` whatever the emuirq and
    gives up on its -EINVAL: a pirq without one stays mapped (4.1.2: its event channel closed, or never
    bound; 4.1.0 / 4.1.1, where QEMU's map gave it IRQ_PT: the guest's own unmap cleared it).
    """
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    if rec is not None and rec["type"] == "gsi":
        return -EINVAL      # (refused at load: unmap_domain_pirq of an IO-APIC irq is not modelled)
    if (eng.w.platform["kind"] == "xen-hvm" and eng.w.behaviour.get("xen_dm_unmap_needs_emuirq")
            and (rec is None or not rec["emuirq"])):
        # 4.1.0 .. 4.1.2: unmap_domain_pirq_emuirq fails ("pirq %d not mapped") and physdev_unmap_pirq gives up:
        # the pirq stays mapped (reading xen.dm-unmap-needs-emuirq)
        eng.prov.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, pirq), rec["irq"] if rec is not None else 0,
                       note=f"physdev_unmap_pirq: pirq {pirq} has no emuirq: unmap_domain_pirq_emuirq -EINVAL, "
                            "the pirq stays mapped")
        return -EINVAL
    if rec is not None and rec["emuirq"] and eng.w.platform["kind"] == "xen-hvm":
        rec["emuirq"] = False
        eng.prov.write(PC.XEN, PK.key(PK.PIRQ, pirq), rec["irq"],
                       note=f"physdev_unmap_pirq: the emuirq of pirq {pirq} is unmapped first")
        cleanup(x, pirq)
        rec = x["pirqs"].get(pirq)
    if rec is None or rec["irq"] <= 0:
        return -EINVAL
    irq = rec["irq"]
    hirq = x["irqs"].pop(irq)
    del x["vector_irq"][vkey(hirq["cpu"], hirq["vector"])]
    if hirq["old"] >= 0 and x["vector_irq"].get(hirq["old"]) == irq:
        del x["vector_irq"][hirq["old"]]          # a move still in progress: the old vector goes too
    # signals that waited in a pCPU's IRR on this irq's vector (behind an unacknowledged ACKTYPE_EOI irq)
    # sit on a host vector that is freed now: nothing will deliver them
    for dev, idx, n in drop_irr(x, irq):
        acct.lost(eng, dev, idx, n, f"were held behind host irq {irq} (awaiting the guest's EOI) when "
                  f"unmap_domain_pirq freed it with pirq {pirq}")
    # pirq_guest_force_unbind -> __pirq_guest_unbind: the irq's pending EOIs are flushed (set_eoi_ready on
    # every CPU of cpu_eoi_map), and what waited behind them there goes on
    host_eoi(eng, irq, hirq)
    k = key(hirq["dev"], hirq["entry"])
    if x["entry_irq"].get(k) == irq:
        del x["entry_irq"][k]
        set_phys_mask(eng, hirq["dev"], hirq["entry"], hirq["type"], True)
    rec["irq"] = -irq if rec["bound"] else 0
    eng.prov.write(PC.XEN, PK.key(PK.PIRQ, pirq), rec["irq"],
                   note=f"unmap_domain_pirq: pirq {pirq} unmapped, host irq {irq} freed")
    cleanup(x, pirq)
    return 0


def unmap_self(eng: Any, pirq: int) -> int:
    """``physdev_unmap_pirq(DOMID_SELF, pirq)`` from an HVM guest: only the emuirq goes. Xen 4.1.0 .. 4.1.2
    (``xen_dm_unmap_needs_emuirq``) call unmap_domain_pirq_emuirq whatever the emuirq and return its -EINVAL
    for a pirq without one; from 49f9d2493c (4.2; 4.1.3) the call is skipped and the answer is 0."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    if eng.w.platform["kind"] == "xen-hvm":
        if rec is not None and rec["emuirq"]:
            rec["emuirq"] = False
            cleanup(x, pirq)
        elif eng.w.behaviour.get("xen_dm_unmap_needs_emuirq"):
            return -EINVAL      # unmap_domain_pirq_emuirq: "pirq %d not mapped" (reading xen.unmap-self-hvm)
        return 0
    return unmap_pirq(eng, pirq)


XENIRQSTAT_NEEDS_EOI = 1


def irq_status_query(w: World, pirq: int) -> int:
    """PHYSDEVOP_irq_status_query: XENIRQSTAT_needs_eoi for every pirq (an HVM guest's must be
    mapped or have an emuirq, else -EINVAL); Xen answers it whatever the pirq's ack type."""
    x = w.xen
    if not 0 <= pirq < x["nr_pirqs"]:
        return -EINVAL
    rec = x["pirqs"].get(pirq)
    if w.platform["kind"] == "xen-hvm":
        b = w.behaviour
        if b.get("xen_irq_status_query_einval", True):
            if rec is None or (rec["irq"] <= 0 and not rec["emuirq"]):
                return -EINVAL
        elif b.get("xen_pt_emuirq_at_map"):
            # 4.1.0 / 4.1.1: 'domain_pirq_to_emuirq(v->domain, irq) != IRQ_PT' answers 0 with no flags (an IRQ_PT
            # emuirq is only ever on a pirq QEMU mapped: the emulated IRQ_MSI_EMU ones need 4.2's hvm_inject_msi)
            if rec is None or not rec["emuirq"] or rec["irq"] == 0:
                return 0
        elif rec is None or rec["irq"] <= 0:
            return 0        # 4.1.2: 'domain_pirq_to_irq(v->domain, irq) <= 0' answers 0 with no flags
    return XENIRQSTAT_NEEDS_EOI


def pirq_eoi(eng: Any, pirq: int) -> int:
    """PHYSDEVOP_eoi -> ``pirq_guest_eoi``: a host irq Xen holds in flight (ACKTYPE_EOI: an MSI
    that cannot be masked) is acknowledged now, and a signal that waited behind it goes on."""
    x = eng.w.xen
    if not 0 <= pirq < x["nr_pirqs"]:
        return -EINVAL
    rec = x["pirqs"].get(pirq)
    # (4.1.0 / 4.1.1 acknowledge only an IRQ_PT pirq: 'domain_pirq_to_emuirq(v->domain, eoi.irq) == IRQ_PT')
    if rec is not None and rec["irq"] > 0 and (rec["emuirq"] or not eng.w.behaviour.get("xen_pt_emuirq_at_map")):
        if rec["type"] == "gsi":    # a PV guest's GSI pirq: desc_guest_eoi of the IO-APIC irq
            GSI["eoi"](eng, pirq)
            return 0
        hirq = x["irqs"].get(rec["irq"])
        if hirq is not None and hirq["in_flight"]:  # (host_eoi's own test: most EOIs release nothing)
            host_eoi(eng, rec["irq"])
    return 0


def vlapic_eoi(eng: Any, cpu: int, vector: int) -> None:
    """The guest's EOI of ``vector`` on vCPU ``cpu`` when it traps (reading ``xen.vmsi-eoi-trapped``): a guest
    with native MSIs on a host without APIC virtualization (``platform.xen_hvm_pirqs`` false: Xen 4.0, 4.19+
    by default, and ``platform.apic_virtualization`` false) writes its vLAPIC's EOI register through a VM
    exit: ``vlapic_EOI_set`` -> ``vlapic_handle_EOI`` -> ``hvm_dpci_msi_eoi``, which finds the bound MSI pirq
    whose guest vector is ``vector`` and whose destination this vCPU's vLAPIC matches (``vlapic_match_dest``)
    and runs ``__msi_pirq_eoi`` -> ``desc_guest_eoi``: an ACKTYPE_EOI host irq held in flight is acknowledged
    now, not by the 1 ms eoi_timer. The first match in pirq order (RELEASE-4.0.0's loop breaks there; later
    releases' ``pt_pirq_iterate`` also calls the rest of its batch of 8: two bindings with one guest vector
    and destination are not modelled)."""
    w = eng.w
    if w.platform["kind"] != "xen-hvm" or uses_pirqs(w) or w.behaviour.get("apic_virtualization"):
        return
    x = w.xen
    broadcast = -1 if w["platform"]["apic"] == "x2apic" else bus.XAPIC_BROADCAST
    for pirq in sorted(x["pirqs"]):
        rec = x["pirqs"][pirq]
        if not rec["bound"] or rec["gvec"] != vector or rec["type"] == "gsi":
            continue
        if cpu not in bus.targets(w, rec["gdest"] & 0xFF, bool(rec["gdest"] & GFLAGS_DM), broadcast):
            continue
        if rec["irq"] > 0:
            hirq = x["irqs"].get(rec["irq"])
            if hirq is not None and hirq["in_flight"]:
                P = eng.prov
                if P.on and eng.fresh:      # (provenance: the release, linked to the acceptance it ends)
                    P.dep(PC.D_CAUSE, PK.key(PK.ISR, PK.cpu_vec(cpu, vector)))
                    P.write(PC.XEN_EOI, PK.key(PK.PIRQ, pirq), rec["irq"], ctx=False,
                            note=f"vlapic_EOI_set -> hvm_dpci_msi_eoi: vCPU{cpu}'s EOI of vector {vector:#x} "
                                 f"matches pirq {pirq}: __msi_pirq_eoi -> desc_guest_eoi acknowledges host irq "
                                 f"{rec['irq']} now (xen.vmsi-eoi-trapped)")
                host_eoi(eng, rec["irq"], hirq)
        return


#: a PV guest's GSI pirqs (``type`` "gsi": the machine GSI the toolstack mapped for its pcifront function):
#: "bind" (pirq_guest_bind), "unbind" (pirq_guest_unbind), "eoi" (pirq_guest_eoi) -- model/xen_intx.py
GSI: dict[str, Any] = {}


# --- the host pCPUs' local APICs for Xen's own vectors (xen/arch/x86/irq.c, msi.c) ------------------------
# An MSI Xen cannot mask is ACKTYPE_EOI (pirq_acktype). Its ack (ack_nonmaskable_msi_irq; 4.0's ack_msi_irq)
# writes no LAPIC EOI: do_IRQ_guest pushes the vector on the pCPU's pending_eoi stack and the EOI waits
# for the guest's (desc_guest_eoi), the 1 ms eoi_timer or an unbind -- __set_eoi_ready on every CPU of
# cpu_eoi_map, then flush_ready_eoi pops the ready entries from the top and ends each
# (end_nonmaskable_irq -> ack_APIC_irq). Until then the vector is in that pCPU's ISR, and the local APIC
# delivers no vector of the same or a lower priority class there (PPR = the highest ISR vector's class;
# Xen runs with TPR 0): they wait in its IRR, one bit per vector (signals coalesce).
def blocked_by(x: World, slot: int) -> list[Any] | None:
    """The in-service entry of the slot's pCPU that keeps host vector ``slot & 0xff`` in its IRR, or None."""
    stack = x["eoi"].get(slot >> 8)
    if stack and stack[-1][0] >> 4 >= (slot & 0xFF) >> 4:
        return stack[-1]
    return None


def hold(x: World, slot: int, src: list[Any]) -> None:
    """The message sets the vector's IRR bit on its pCPU: signals already waiting there coalesce."""
    waiting = x["irr"].setdefault(slot, [])
    for s in waiting:
        if s[0] == src[0] and s[1] == src[1]:
            s[2] += src[2]
            return
    waiting.append(list(src))


def in_service(x: World, hirq: dict[str, Any], irq: int, slot: int) -> None:
    """``do_IRQ_guest`` for an ACKTYPE_EOI irq: the vector that arrived goes on the pCPU's pending_eoi stack
    (above every entry there: a vector is delivered only above the stack's class), the pCPU into
    cpu_eoi_map."""
    x["eoi"].setdefault(slot >> 8, []).append([slot & 0xFF, irq, 0])
    if slot not in hirq["isr"]:
        hirq["isr"].append(slot)


def drop_irr(x: World, irq: int) -> list[list[Any]]:
    """Take the signals waiting in any pCPU's IRR for host irq ``irq`` (its vector is being freed)."""
    out = []
    for slot in sorted(x["irr"]):
        waiting = x["irr"][slot]
        mine = [s for s in waiting if s[3] == irq]
        if mine:
            out += [s[:3] for s in mine]
            rest = [s for s in waiting if s[3] != irq]
            if rest:
                x["irr"][slot] = rest
            else:
                del x["irr"][slot]
    return out


def host_eoi(eng: Any, irq: int, hirq: dict[str, Any] | None = None) -> None:
    """The host acknowledges ``irq`` (the guest's EOI, Xen's 1 ms eoi_timer, a re-bind or an unbind):
    ``set_eoi_ready`` on each pCPU it is in service on (the IPI to another pCPU is immediate here), then
    that pCPU's ``flush_ready_eoi`` and the vectors its IRR holds that the new priority lets through."""
    x = eng.w.xen
    if hirq is None:
        hirq = x["irqs"].get(irq)
    if hirq is None or not hirq["in_flight"]:
        return
    hirq["in_flight"] = False
    slots, hirq["isr"] = hirq["isr"], []
    for slot in slots:
        for e in x["eoi"].get(slot >> 8, ()):
            if e[1] == irq and e[0] == slot & 0xFF and not e[2]:
                e[2] = 1
                break
    for pcpu in sorted({slot >> 8 for slot in slots}):
        _flush_ready_eoi(eng, x, pcpu)


def _flush_ready_eoi(eng: Any, x: World, pcpu: int) -> None:
    """Pop the ready entries from the top of the pCPU's stack (each an ``ack_APIC_irq``: its ISR bit
    clears), then the local APIC delivers what its IRR holds above the remaining priority -- each a Xen
    work item, highest vector first; whether it runs or waits again is decided when Xen processes it."""
    stack = x["eoi"].get(pcpu)
    if not stack:
        return
    while stack and stack[-1][2]:
        stack.pop()
    if not stack:
        del x["eoi"][pcpu]
    irr = x["irr"]
    for slot in sorted((s for s in irr if s >> 8 == pcpu), reverse=True):
        if blocked_by(x, slot) is None:
            for dev, idx, n, irq in irr.pop(slot):
                eng.schedule(eng.w.now + eng.w.costs["upcall"], "xen", "irq", dev, idx, n, irq, slot)


# --- passthrough binding (XEN_DOMCTL_bind_pt_irq / unbind) -----------------------------------------
#: XEN_DOMCTL_VMSI_X86_DM_MASK (the older VMSI_DM_MASK): gflags' destination-mode bit
GFLAGS_DM = 0x200


def gflags(addr_lo: int) -> int:
    """QEMU xen-pt's ``msi_gflags``: the guest message's destination id (address bits 19:12) and,
    for a logical-mode address (bit 2), the DM bit; Xen's vmsi_deliver_pirq decodes them again."""
    return ((addr_lo >> 12) & 0xFF) | (GFLAGS_DM if addr_lo & 4 else 0)


def pt_bind(eng: Any, pirq: int, dev: str, entry: int, gvec: int = 0, gdest: int = 0, unmasked: bool = False,
            mask_key: int = -1, msi: bool = False) -> int:
    """``pt_irq_create_bind`` for a guest MSI: ``pirq_guest_bind`` fails (-EINVAL) unless Xen has
    ``pirq`` mapped. The first binding starts the host irq and registers the device's table
    with the vMSI-X intercept; a later one only updates the guest vector and flags. ``unmasked``:
    the device model set XEN_DOMCTL_VMSI_X86_UNMASKED, which from 69d99d1b22 (4.10,
    ``platform.xen_bind_unmask``) clears the guest mask bit after either. ``mask_key``: provenance
    key of the Vector Control the device model decided ``unmasked`` from (its latched copy). ``msi``:
    the binding is for the device's MSI capability, not MSI-X entry ``entry``. A PV guest's
    EVTCHNOP_bind_pirq (``pirq_guest_bind``) binds here too, without the HVM dpci's intercept."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    if rec is not None and rec["type"] == "gsi":    # a PV guest's EVTCHNOP_bind_pirq of its GSI pirq
        return int(GSI["bind"](eng, pirq))
    P = eng.prov
    if 0 <= pirq < x["nr_pirqs"]:
        P.dep(PC.D_CAUSE, PK.key(PK.PIRQ, pirq))
        refused = PK.key(PK.PTBIND, pirq)
    else:   # no such pirq (QEMU's -1, "unassigned"): the refusal is of the pirq the device model asked for
        d = P.dev(dev)
        refused = PK.key(PK.MSIMSG, d) if msi else PK.key(PK.QPIRQ, PK.dev_entry(d, entry))
    if rec is None or rec["irq"] <= 0:
        P.write(PC.XEN_REFUSED, refused, -EINVAL,
                note=f"pt_irq_create_bind of pirq {pirq} for {dev} entry {entry} fails: not mapped")
        eng.hit(hits.PIRQ_CONFLICT, f"{dev} entry {entry}: the guest's message names pirq {pirq}, "
                "which Xen has not mapped (pt_irq_create_bind fails: -EINVAL)")
        return -EINVAL
    if rec["dev"] != dev or rec["entry"] != entry:
        P.write(PC.XEN_REFUSED, PK.key(PK.PTBIND, pirq), 0,
                note=f"{dev} entry {entry} binds pirq {pirq}, which Xen maps for {owner(rec)}")
        eng.hit(hits.PIRQ_CONFLICT, f"{dev} entry {entry}: the guest's message names pirq {pirq}, "
                f"which Xen holds for {owner(rec)}")
    changed = (rec["gvec"], rec["gdest"]) != (gvec, gdest)
    rec["gvec"], rec["gdest"] = gvec, gdest
    if rec["bound"]:
        # "if pirq is already mapped as vmsi, update the guest data/addr": when the vector or the
        # flags change, "Directly clear pending EOIs before enabling new MSI info" (pirq_guest_eoi,
        # every release read, 4.2 .. 4.21): a host irq held in flight is acknowledged now
        if changed and x["irqs"][rec["irq"]]["in_flight"]:
            P.write(PC.XEN, PK.key(PK.PTBIND, pirq), 1,
                    note=f"pt_irq_create_bind: pirq {pirq}'s guest vector or destination changed; "
                    "pirq_guest_eoi acknowledges the host irq held in flight")
            host_eoi(eng, rec["irq"])
        _bind_unmask(eng, x["irqs"][rec["irq"]], unmasked, mask_key)
        _dpci_migrate(eng, pirq)
        return 0
    rec["bound"] = True
    hirq = x["irqs"][rec["irq"]]
    P.dep(PC.D_CAUSE, PK.key(PK.PIRQ, pirq))
    # a PV guest's binding is its own EVTCHNOP_bind_pirq (evtchn_bind_pirq -> pirq_guest_bind, only for a
    # domain that is not HVM); the vMSI-X intercept is the HVM dpci's: msixtbl_pt_register is called from
    # pt_irq_create_bind alone (RELEASE-4.5.0 drivers/passthrough/io.c, RELEASE-4.22.0 passthrough/x86/hvm.c)
    intercept = hirq["type"] == "msix" and eng.w.platform["kind"] == "xen-hvm"
    P.write(PC.XEN, PK.key(PK.PTBIND, pirq), 1,
            also=(PK.key(PK.MSIXTBL, P.dev(hirq["dev"])),) if intercept else (),
            note=(f"pt_irq_create_bind: pirq {pirq} bound for {dev} entry {entry}; the host irq starts"
                  if eng.w.platform["kind"] == "xen-hvm" else
                  f"EVTCHNOP_bind_pirq: pirq_guest_bind of pirq {pirq} ({dev} entry {entry}); the host irq starts")
            + ("; the vMSI-X intercept now claims the table" if intercept else ""))
    # pirq_guest_bind (d->vcpu[0]): startup, and "Attempt to bind the interrupt target to the correct
    # CPU" -- set_msi_affinity at once, toward vCPU 0's pCPU. From 1aeb1156fa (4.6; 4.4.3, 4.5.1) the
    # affinity is set first, while the entry is still masked; before, after startup unmasked it.
    if eng.w.behaviour["xen_bind_affinity_first"]:
        set_msi_affinity(eng, rec["irq"], hirq, x["pcpu"][0])
        _startup(eng, hirq)
    else:
        _startup(eng, hirq)
        set_msi_affinity(eng, rec["irq"], hirq, x["pcpu"][0])
    if intercept:
        vmsi.register(x, hirq["dev"])
        if eng.w.behaviour.get("xen_msix_snoop_unmask") and vmsi.snooped(eng.w, hirq["dev"], hirq["entry"]):
            P.write(PC.XEN, PK.key(PK.MSIXTBL, P.dev(hirq["dev"])), 1,
                    note=f"msixtbl_pt_register: the unmask of {hirq['dev']} entry {hirq['entry']} in progress "
                    "was snooped; Xen applies it when QEMU is done (msix_write_completion)")
    _bind_unmask(eng, hirq, unmasked, mask_key)
    _dpci_migrate(eng, pirq)
    return 0


def _dpci_migrate(eng: Any, pirq: int) -> None:
    """The end of ``pt_irq_create_bind`` for an HVM guest's MSI (first binding or update):
    ``gmsi.dest_vcpu_id`` = ``hvm_girq_dest_2_vcpu_id`` (the one vCPU whose vLAPIC the bound destination
    matches; vCPU 0 in a one-vCPU domain; -1 for none or several) and, when there is one,
    ``hvm_migrate_pirq``: a pending move of the pirq's host irq toward the pCPU that vCPU runs on
    (``irq_set_affinity``; applied at the host irq's next interrupt). Before 782cf8ba46 (4.12;
    ``platform.xen_bind_moves_one_pirq`` false) ``hvm_migrate_pirqs`` asked the same for every bound MSI pirq
    whose guest destination is that vCPU (``pt_pirq_iterate``: HVM_IRQ_DPCI_MAPPED; its cached
    ``gmsi.dest_vcpu_id``), each rewritten at its next interrupt even when it is there already (reading
    ``xen.bind-moves-all-pirqs``)."""
    w = eng.w
    if w.platform["kind"] != "xen-hvm":
        return
    rec = w.xen["pirqs"][pirq]
    v = dest_vcpu(w, rec)
    if v >= 0 and rec["irq"] > 0:
        d = rec["gdest"] & 0xFF     # what named the vCPU: gflags' destination id, from the guest's address
        src = (f"pirq {pirq}'s low byte, which the guest's pirq message carries as its destination id"
               if d == pirq & 0xFF else "the guest message's destination id")
        one = w.behaviour.get("xen_bind_moves_one_pirq", True)
        irq_set_affinity(eng, rec["irq"], w.xen["pcpu"][v], f"pt_irq_create_bind: {'hvm_migrate_pirq' if one else 'hvm_migrate_pirqs'}"
                         f"(vCPU{v}) for pirq {pirq}: hvm_girq_dest_2_vcpu_id matched gflags' destination {d:#x} "
                         f"(QEMU's msi_gflags: {src}) to vCPU{v}")
        if not one:     # before 782cf8ba46: every other bound MSI pirq whose guest destination is that vCPU too
            for p, other in sorted(w.xen["pirqs"].items()):
                if p != pirq and other["bound"] and other["irq"] > 0 and dest_vcpu(w, other) == v:
                    irq_set_affinity(eng, other["irq"], w.xen["pcpu"][v], f"pt_irq_create_bind of pirq {pirq}: "
                                     f"hvm_migrate_pirqs(vCPU{v}) also moves pirq {p}, whose guest destination is vCPU{v}")


def dest_vcpu(w: World, rec: dict[str, Any]) -> int:
    """``hvm_girq_dest_2_vcpu_id`` of a binding's gflags (``vlapic_match_dest`` on every vCPU)."""
    if len(w.cpus) == 1:
        return 0
    broadcast = -1 if w["platform"]["apic"] == "x2apic" else bus.XAPIC_BROADCAST
    cpus = bus.targets(w, rec["gdest"] & 0xFF, bool(rec["gdest"] & GFLAGS_DM), broadcast)
    return cpus[0] if len(cpus) == 1 else -1


# --- the host irq's affinity (xen/arch/x86/irq.c, msi.c) -----------------------------------------------
def vcpu_migrate(eng: Any, vcpu: int, pcpu: int, act: int, blocked: bool = False, why: str = "") -> str:
    """Xen's scheduler runs ``vcpu`` on ``pcpu`` from now on (``vcpu_migrate`` -> ``sched_move_irqs``):
    ``evtchn_move_pirqs`` asks a move toward the new pCPU for the pirq of every port bound to the vCPU
    (``pirq_set_affinity``; reading ``xen.sched.migrate-evtchn-pirqs``), and on an HVM guest ``vmx_do_resume`` / ``svm_do_resume`` at its next VM entry
    run ``hvm_migrate_pirqs``: the same for every bound MSI pirq whose guest destination is that vCPU
    (``gmsi.dest_vcpu_id``). A running vCPU is scheduled in on the new pCPU at once; a ``blocked`` one (halted:
    sched_unit_migrate_finish's vcpu_wake leaves it blocked) runs ``vmx_do_resume`` at its next wake-up, so
    ``hvm_migrate_pirqs`` waits for that schedule-in (``migrate_later``, ``resume_migrate``; reading
    ``xen.sched.migrate-blocked``). A vCPU blocked in Xen on a device-model ioreq (``why`` "io") is ``blocked``
    too: its schedule-in is QEMU's completion notification (``qemu._complete``; reading ``xen.sched.migrate-ioreq``);
    an offline one ("down": _VPF_down) is scheduled in when the SIPI brings it back (reading
    ``xen.sched.migrate-down``).
    Each move is applied at the host irq's next interrupt. Returns what it asked."""
    w = eng.w
    x = w.xen
    if x["pcpu"][vcpu] == pcpu:
        # vcpu_migrate: 'if ( old_cpu != new_cpu ) evtchn_move_pirqs(v);' (sched_move_irqs from 4.5), and
        # vmx_do_resume runs hvm_migrate_pirqs only on another pCPU (active_cpu != smp_processor_id())
        return f"already runs on pCPU{pcpu}: nothing moves"
    old = x["pcpu"][vcpu]
    x["pcpu"][vcpu] = pcpu
    moved: list[int] = []
    # evtchn_move_pirqs (38b998cfb6, Xen 4.1: platform.xen_pirq_follows_vcpu); 4.0's scheduler moves no pirq
    for port in sorted(x["ports"]) if w.behaviour["xen_pirq_follows_vcpu"] else ():
        ch = x["ports"][port]
        if ch["vcpu"] == vcpu:
            rec = x["pirqs"].get(ch["pirq"])
            if rec is not None and rec["irq"] > 0:
                eng.prov.dep(PC.D_ACTION, PK.key(PK.ACTION, act))
                irq_set_affinity(eng, rec["irq"], pcpu, f"evtchn_move_pirqs(vCPU{vcpu})")
                moved.append(ch["pirq"])
    later = ""
    if w.platform["kind"] == "xen-hvm":
        pending = x.get("migrate_later")
        if type(pending) is not dict:
            pending = None
            x.pop("migrate_later", None)
        if blocked:
            # the VMCS stays active on the pCPU the vCPU last ran on (active_cpu) until vmx_do_resume on
            # another one: a halted vCPU moved back there before it wakes runs no hvm_migrate_pirqs
            pending = x.setdefault("migrate_later", {})
            if pending.setdefault(vcpu, [old, act])[0] == pcpu:
                del pending[vcpu]
                later = "; back on the pCPU it last ran on: no hvm_migrate_pirqs at its wake-up"
            else:
                pending[vcpu][1] = act
                later = {"io": "; blocked in Xen on a device-model ioreq (_VPF_blocked_in_xen): hvm_migrate_pirqs "
                                "at its schedule-in when QEMU completes it",
                         "down": "; offline (hvm_vcpu_down: _VPF_down): hvm_migrate_pirqs at its schedule-in when "
                                  "the SIPI brings it back",
                         "runq": "; another vCPU runs on that pCPU: it waits on the runqueue, hvm_migrate_pirqs at "
                                 "its schedule-in there"}.get(why, "; halted (blocked): hvm_migrate_pirqs at its "
                                                                   "next schedule-in")
            if not pending:
                del x["migrate_later"]
        else:
            if pending and vcpu in pending:     # (its schedule-in on the new pCPU runs it)
                del pending[vcpu]
                if not pending:
                    del x["migrate_later"]
            moved += hvm_migrate_pirqs(eng, vcpu, act, moved)
    if not moved:
        return "no pirq follows it" + later
    return "pending moves of pirq " + ", ".join(str(p) for p in sorted(moved)) + f" to pCPU{pcpu}" + later


def hvm_migrate_pirqs(eng: Any, vcpu: int, act: int, skip: list[int]) -> list[int]:
    """``hvm_migrate_pirqs`` (``vmx_do_resume`` / ``svm_do_resume`` on a pCPU other than the one the vCPU
    last ran on): ``hvm_migrate_pirq`` asks a move toward the vCPU's pCPU for every bound MSI pirq whose
    guest destination is that vCPU, but those in ``skip`` (asked the same in this instant). Returns them."""
    w = eng.w
    x = w.xen
    pcpu = x["pcpu"][vcpu]
    moved: list[int] = []
    for p, rec in sorted(x["pirqs"].items()):
        if rec["bound"] and rec["irq"] > 0 and p not in skip and dest_vcpu(w, rec) == vcpu:
            eng.prov.dep(PC.D_ACTION, PK.key(PK.ACTION, act))
            irq_set_affinity(eng, rec["irq"], pcpu, f"hvm_migrate_pirqs(vCPU{vcpu})")
            moved.append(p)
    return moved


def resume_migrate(eng: Any, vcpu: int) -> str | None:
    """The schedule-in of a vCPU a ``vcpu_migrate`` moved while it was halted: ``vmx_do_resume`` finds its
    VMCS active on another pCPU and runs ``hvm_migrate_pirqs`` now (reading ``xen.sched.migrate-blocked``).
    None: no migration pending; else what it asked."""
    x = eng.w.xen
    pending = x.get("migrate_later")
    if type(pending) is not dict or vcpu not in pending:
        return None
    entry = pending.pop(vcpu)
    if not pending:
        del x["migrate_later"]
    if type(entry) is not list or len(entry) != 2 or any(type(v) is not int for v in entry) \
            or not 0 <= vcpu < len(x["pcpu"]):     # (a snapshot's world is untrusted)
        return "schedule-in: a malformed pending migration (xen.migrate_later), dropped"
    old, act = entry
    pcpu = x["pcpu"][vcpu]
    moved = hvm_migrate_pirqs(eng, vcpu, act, [])
    head = f"schedule-in on pCPU{pcpu} (last ran on pCPU{old}): vmx_do_resume runs hvm_migrate_pirqs: "
    if not moved:
        return head + "no pirq follows it"
    return head + "pending moves of pirq " + ", ".join(str(p) for p in moved) + f" to pCPU{pcpu}"


def irq_set_affinity(eng: Any, irq: int, cpu: int, why: str) -> None:
    """``irq_set_affinity``: only records the move (``IRQ_MOVE_PENDING``, ``pending_mask``); the host
    irq's next interrupt applies it in its ack (``move_native_irq``)."""
    hirq = eng.w.xen["irqs"].get(irq)
    if hirq is None:
        return
    hirq["move"] = cpu
    eng.prov.write(PC.XEN, PK.key(PK.HOSTMOVE, irq), cpu,
                   note=f"{why}: irq_set_affinity of host irq {irq} to pCPU{cpu} (IRQ_MOVE_PENDING)")


def pirq_set_affinity(eng: Any, pirq: int, cpu: int, why: str) -> None:
    """``pirq_set_affinity``: the pirq's host irq, if Xen maps one."""
    rec = eng.w.xen["pirqs"].get(pirq)
    if rec is not None and rec["irq"] > 0:
        irq_set_affinity(eng, rec["irq"], cpu, why)


def set_msi_affinity(eng: Any, irq: int, hirq: dict[str, Any], cpu: int, split: bool = False, on: int = 0) -> None:
    """``set_msi_affinity``: ``set_desc_affinity`` -> ``__assign_irq_vector`` -- the vector stays when
    the irq already has it on ``cpu``; a move still in progress (the old vector not cleaned up yet)
    refuses with -EAGAIN and nothing is written; otherwise a new vector on ``cpu``, the old one kept
    until an interrupt arrives on the new one -- then ``write_msi_msg``, whether or not the message
    changed. ``split``: the config writes of a plain MSI are separate steps (address now, data one or
    two config writes later: a signal between them carries half of each); ``on``: the pCPU that writes
    (the one whose interrupt's ack runs move_native_irq), whose Xen context the data half runs in."""
    x = eng.w.xen
    if cpu != hirq["cpu"]:
        if hirq["old"] >= 0:
            return
        vector = assign_vector(x, cpu)
        if vector < 0:
            return
        hirq["old"] = vkey(hirq["cpu"], hirq["vector"])
        hirq["cpu"], hirq["vector"] = cpu, vector
        x["vector_irq"][vkey(cpu, vector)] = irq
    if x["entry_irq"].get(key(hirq["dev"], hirq["entry"])) == irq:
        _write_msg(eng, hirq, split, on)


def host_msg(hirq: dict[str, Any]) -> list[int]:
    """``msi_compose_msg`` in physical destination mode: the pCPU's APIC id, fixed delivery, the vector."""
    return [0xFEE00000 | hirq["cpu"] << 12, 0, hirq["vector"]]


def _write_msg(eng: Any, hirq: dict[str, Any], split: bool, on: int = 0) -> None:
    """``write_msi_msg`` of the host message to the physical entry (MSI-X: three writel; MSI: the
    address, the upper address if 64-bit, the data)."""
    dev, entry, kind = hirq["dev"], hirq["entry"], hirq["type"]
    d = eng.w.devices[dev]
    a = eng.w.acct[dev]
    msg = host_msg(hirq)
    P = eng.prov
    pd = P.dev(dev)
    if kind == "msix":
        acct.intend(a["intended"][entry], msg)
        if not d["cmd"] & CMD_MEMORY:
            # writel through Xen's own mapping of the table (RELEASE-4.5.0 msi.c write_msi_msg): a device whose
            # Memory Space a pre-XSA-126 QEMU let the guest switch off decodes none of it, the entry keeps its
            # old message (reading xen.msix-mask-undecoded; xenred30: the model wrote it); from 4.6
            # write_msi_msg tests msix_memory_decoded and writes nothing (-ENXIO): the same entry
            return
        if _decode_checked(eng.w) and not d["msix"]["ctrl"] & MSIX_ENABLE:
            # 4.6+: msix_memory_decoded also wants MSI-X Enable ('if ( !(control & PCI_MSIX_FLAGS_ENABLE) )
            # return 0;'): with MSI-X disabled write_msi_msg returns -ENXIO and the entry keeps its old message
            # (reading xen.msix-memory-decoded)
            return
        msix = d["msix"]
        live = device.msix_live(msix, entry)
        e = msix["table"][entry]
        e["addr_lo"], e["addr_hi"], e["data"] = msg
        for i, v in enumerate(msg):
            if live and not i:      # provenance: written live -- the unmask (or enable) that made the entry live
                P.dep(PC.D_CAUSE, PK.key(PK.REG, PK.reg_payload(pd, entry, 3)))
                P.dep(PC.D_CAUSE, PK.key(PK.MSIXCTRL, pd))
            P.write(PC.XEN, PK.key(PK.REG, PK.reg_payload(pd, entry, i)), v,
                    also=(PK.key(PK.MSG, PK.dev_entry(pd, entry)),), note=f"set_msi_affinity writes {v:#x}"
                    + (" (the entry live: MSI-X enabled, entry and function unmasked)" if live else ""))
            if live and not i:      # (the hit's node: this write)
                eng.hit(hits.MSIX_WRITE_UNMASKED, f"{dev} entry {entry} address/data rewritten by Xen's "
                        "set_msi_affinity while MSI-X is enabled and the entry is unmasked")
        return
    msi = d["msi"]
    acct.intend(a["msi_intended"], msg)
    msi["addr_lo"] = msg[0]
    if msi["ctrl"] & MSI_64BIT:
        msi["addr_hi"] = 0
    P.write(PC.XEN, PK.key(PK.MSIREG, pd << 4 | 0), msg[0], also=(PK.key(PK.MSIMSG, pd),),
            note=f"set_msi_affinity writes the address {msg[0]:#x}")
    if split:
        later = eng.w.costs["cfg_write"] * (2 if msi["ctrl"] & MSI_64BIT else 1)
        eng.schedule(eng.w.now + later, "xen", "msi_data", dev, entry, 0, hirq["pirq"], msg[2], on)
        return
    _msi_data(eng, dev, msg[2])


def _msi_data(eng: Any, dev: str, data: int) -> None:
    eng.w.devices[dev]["msi"]["data"] = data
    pd = eng.prov.dev(dev)
    # provenance: the second half of write_msi_msg, whose address write (linked to the move) came first
    eng.prov.dep(PC.D_HALF, PK.key(PK.MSIREG, pd << 4 | 0))
    eng.prov.write(PC.XEN, PK.key(PK.MSIREG, pd << 4 | 2), data, also=(PK.key(PK.MSIMSG, pd),),
                   note=f"set_msi_affinity writes the data {data:#x}")


def msi_data_write(eng: Any, dev: str, pirq: int, data: int) -> bool:
    """The data half of a split ``write_msi_msg`` (agenda ``xen`` ``msi_data``): still Xen's write
    while the pirq's host irq holds the entry."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    irq = rec["irq"] if rec is not None else 0
    if irq > 0 and x["entry_irq"].get(key(dev, 0)) == irq:
        _msi_data(eng, dev, data)
        return True
    return False


def ack_move(eng: Any, irq: int, hirq: dict[str, Any], arrived: int) -> None:
    """The host irq's ack in ``do_IRQ`` (``ack_maskable_msi_irq`` / ``ack_nonmaskable_msi_irq``):
    ``irq_complete_move`` -- an interrupt on the new vector at the new pCPU ends a move in progress
    (``send_cleanup_vector``: the old vector is freed) -- then ``move_native_irq`` applies a pending
    move: ``disable``, ``set_msi_affinity``, ``enable``. A maskable MSI / MSI-X is masked around the
    rewrite; a plain MSI without Per-vector Masking has ``irq_disable_none``: its message is rewritten
    live."""
    x = eng.w.xen
    if hirq["old"] >= 0 and arrived == vkey(hirq["cpu"], hirq["vector"]):
        if x["vector_irq"].get(hirq["old"]) == irq:
            del x["vector_irq"][hirq["old"]]
        hirq["old"] = -1
    cpu = hirq["move"]
    if cpu < 0:
        return
    hirq["move"] = -1
    move = PK.key(PK.HOSTMOVE, irq)     # provenance: the message's writes are the move's
    P = eng.prov
    req = P.writer(move)
    P.dep_writer(PC.D_MOVE, move, req)      # IRQ_MOVE_PENDING cleared: ``xen.irqs[N].move`` reads -1 from here
    P.write(PC.XEN, move, -1, note=f"move_native_irq: host irq {irq}'s pending move to pCPU{cpu} applied in its ack "
            "(IRQ_MOVE_PENDING cleared)")
    if hirq["type"] == "msi" and not eng.w.devices[hirq["dev"]]["msi"]["ctrl"] & MSI_PVM:
        P.dep_writer(PC.D_CAUSE, move, req)
        set_msi_affinity(eng, irq, hirq, cpu, split=True, on=max(arrived, 0) >> 8)
        return
    hirq["host_masked"] = True          # mask_msi_irq
    _apply_mask(eng, hirq)
    P.dep_writer(PC.D_CAUSE, move, req)
    set_msi_affinity(eng, irq, hirq, cpu)
    hirq["host_masked"] = False         # unmask_msi_irq
    _apply_mask(eng, hirq)


def _bind_unmask(eng: Any, hirq: dict[str, Any], unmasked: bool, mask_key: int = -1) -> None:
    """69d99d1b22 (4.10): ``if ( pt_irq_bind->u.msi.gflags & XEN_DOMCTL_VMSI_X86_UNMASKED )
    guest_mask_msi_irq(desc, false)`` at the end of every successful MSI binding. The flag only
    clears the guest bit: a binding without it leaves the bit as it was."""
    if not unmasked or not eng.w.behaviour["xen_bind_unmask"] or not hirq["guest_masked"]:
        return
    hirq["guest_masked"] = False
    if mask_key >= 0:
        eng.prov.dep(PC.D_VALUE, mask_key)
    eng.prov.write(PC.XEN, PK.key(PK.PTBIND, hirq["pirq"]), 1,
                   note=f"pt_irq_create_bind: the device model asked to unmask {hirq['dev']} entry {hirq['entry']} "
                   "(XEN_DOMCTL_VMSI_X86_UNMASKED): Xen clears its guest mask bit")
    _apply_mask(eng, hirq)


def pt_unbind(eng: Any, pirq: int) -> int:
    """``pt_irq_destroy_bind``: ``pirq_guest_unbind`` (shutdown: the host masks the entry),
    then ``msixtbl_pt_unregister``. A pirq Xen force-unbound at unmap (its irq is negative)
    is only cleared: the intercept finds no irq descriptor and keeps its reference."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    if rec is None or not rec["bound"]:
        return -EINVAL
    if rec["type"] == "gsi":        # a PV guest's GSI pirq: pirq_guest_unbind (model/xen_intx.py)
        return int(GSI["unbind"](eng, pirq))
    rec["bound"] = False
    hvm = eng.w.platform["kind"] == "xen-hvm"
    eng.prov.write(PC.XEN, PK.key(PK.PTBIND, pirq), 0,
                   note=f"pt_irq_destroy_bind: pirq {pirq} unbound" if hvm else
                   f"EVTCHNOP_close: pirq_guest_unbind of pirq {pirq} (the guest's last binding: the host irq shuts down)")
    if rec["irq"] < PIRQ_ALLOCATED:
        rec["irq"] = 0              # clear_domain_irq_pirq of the force-unbound irq
    else:
        hirq = x["irqs"][rec["irq"]]
        host_eoi(eng, rec["irq"], hirq)     # __pirq_guest_unbind: pending EOIs flushed (set_eoi_ready)
        _shutdown(eng, hirq)
        if hirq["type"] == "msix" and hvm:
            vmsi.unregister(eng.w, hirq["dev"])
    cleanup(x, pirq)
    return 0


# --- the physical entry ------------------------------------------------------------------------------
def _startup(eng: Any, hirq: dict[str, Any]) -> None:
    """``startup_msi_irq``: the host unmasks; from 4.6 (84d6add5593d) a guest's MSI also starts
    guest-masked until the guest unmasks it through vMSI-X or binds an event channel."""
    hirq["host_masked"] = False
    hirq["guest_masked"] = eng.w.behaviour["xen_msi_mask"] == "combined"
    _apply_mask(eng, hirq)


def _shutdown(eng: Any, hirq: dict[str, Any]) -> None:
    """``shutdown_msi_irq`` / ``mask_msi_irq``: the host masks (4.6: guest too)."""
    hirq["host_masked"] = True
    if eng.w.behaviour["xen_msi_mask"] == "combined":
        hirq["guest_masked"] = True
    _apply_mask(eng, hirq)


def _apply_mask(eng: Any, hirq: dict[str, Any]) -> None:
    """Write the physical mask bit this host irq's state implies, if it still owns the entry.
    Before 4.6 Xen writes its own bit (``msi_set_mask_bit(desc, flag)``): a guest's mask
    written through the intercept is overwritten; from 4.6 it writes host OR guest."""
    x = eng.w.xen
    if x["entry_irq"].get(key(hirq["dev"], hirq["entry"])) != x["vector_irq"].get(vkey(hirq["cpu"], hirq["vector"])):
        return
    masked = hirq["host_masked"]
    if eng.w.behaviour["xen_msi_mask"] == "combined":
        masked = masked or hirq["guest_masked"]
    set_phys_mask(eng, hirq["dev"], hirq["entry"], hirq["type"], masked)


def guest_unmask(eng: Any, pirq: int) -> None:
    """``arch_evtchn_bind_pirq`` (84d6add5593d, 4.6+): clear the guest mask of the pirq's MSI."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq)
    if eng.w.behaviour["xen_msi_mask"] != "combined" or rec is None or rec["irq"] <= 0 or rec["type"] == "gsi":
        return      # (``if ( desc->msi_desc )``: a GSI's IO-APIC irq has none)
    hirq = x["irqs"][rec["irq"]]
    hirq["guest_masked"] = False
    _apply_mask(eng, hirq)


def _program(eng: Any, dev: str, entry: int, kind: str, vector: int) -> None:
    """Xen's setup_msi_irq: the host message (host APIC 0, host vector), written masked."""
    msg = [0xFEE00000, 0, vector]
    d = eng.w.devices[dev]
    a = eng.w.acct[dev]
    set_phys_mask(eng, dev, entry, kind, True)
    P = eng.prov
    if P.on and eng.fresh:
        pd = P.dev(dev)
        regs = [PK.key(PK.REG, PK.reg_payload(pd, entry, i)) for i in range(3)] if kind == "msix" else \
            [PK.key(PK.MSIREG, pd << 4 | i) for i in range(3)]
        composite = PK.key(PK.MSG, PK.dev_entry(pd, entry)) if kind == "msix" else PK.key(PK.MSIMSG, pd)
        for rk, v in zip(regs, msg, strict=True):
            P.dep(PC.D_CAUSE, PK.key(PK.PIRQ, x_pirq(eng, dev, entry)))
            P.write(PC.XEN, rk, v, also=(composite,), note=f"setup_msi_irq writes the host message {v:#x}")
    if kind == "msix":
        acct.intend(a["intended"][entry], msg)
        if not d["cmd"] & CMD_MEMORY:   # write_msi_msg's writel: a device that does not decode drops it
            return
        e = d["msix"]["table"][entry]
        e["addr_lo"], e["addr_hi"], e["data"] = msg
    else:
        msi = d["msi"]
        msi["addr_lo"], msi["data"] = msg[0], msg[2]
        if msi["ctrl"] & MSI_64BIT:
            msi["addr_hi"] = 0
        acct.intend(a["msi_intended"], [msg[0], 0, msg[2]])


def x_pirq(eng: Any, dev: str, entry: int) -> int:
    """The pirq whose host irq's message the physical entry holds (for provenance), or -1."""
    x = eng.w.xen
    irq = x["entry_irq"].get(key(dev, entry))
    return int(x["irqs"][irq]["pirq"]) if irq is not None and irq in x["irqs"] else -1


def set_phys_mask(eng: Any, dev: str, entry: int, kind: str, masked: bool) -> None:
    """Xen writes the physical mask bit (no event: part of the hypercall that caused it).

    Before 4.6 msi_set_mask_bit writes an MSI-X entry's Vector Control with a plain writel
    (RELEASE-4.5.0 xen/arch/x86/msi.c): on a device whose Memory Space is off -- only a guest behind
    a pre-XSA-126 QEMU can switch it off (``platform.qemu_cmd_decode_emulated`` false) -- nothing claims
    it and the entry keeps its bit (no event, as for the write that lands). 4.6's memory_decoded fallback
    (Function Mask in config space, "cannot mask IRQ") is ``_set_mask_checked`` (xen33)."""
    d = eng.w.devices[dev]
    P = eng.prov
    pd = P.dev(dev)
    if kind == "msix" and _decode_checked(eng.w):
        _set_mask_checked(eng, dev, d, entry, masked)
        return
    if kind == "msix" and not d["cmd"] & CMD_MEMORY:
        if P.on and eng.fresh:
            # provenance (why30): the writel nothing claimed, linked to the Command that stopped the decoding (the
            # guest's write a pre-XSA-126 QEMU passed on); a signal the entry's unchanged mask holds later links a
            # dropped unmask (``device._held_msix``: heldout_why15 q01 linked the guest's earlier mask only)
            ctrl = PK.key(PK.REG, PK.reg_payload(pd, entry, 3))
            P.dep(PC.D_NO_MEMORY, PK.key(PK.CMD, pd))
            r = P.write(PC.XEN_UNCLAIMED, ctrl, int(masked),
                        note=f"msi_set_mask_bit's writel ({'mask' if masked else 'unmask'} of {dev} entry {entry})")
            if not masked and r >= 0:
                P.dropped_unmask[ctrl] = r
        return
    if kind == "msix":
        _writel_mask(eng, dev, d, pd, entry, masked)
        return
    P.write(PC.XEN, PK.key(PK.MSIREG, pd << 4 | 3), int(masked),
            note=f"{'masks' if masked else 'unmasks'} {dev} MSI message {entry} (physical)")
    msi = d["msi"]
    if msi["ctrl"] & MSI_PVM:
        value = msi["mask"] | (1 << entry) if masked else msi["mask"] & ~(1 << entry)
        device._set_msi_mask(eng, dev, d, value)


def _writel_mask(eng: Any, dev: str, d: dict[str, Any], pd: int, entry: int, masked: bool) -> None:
    """msi_set_mask_bit's writel of an MSI-X entry's Vector Control (the device decodes it)."""
    msix = d["msix"]
    was = device.msix_live(msix, entry)
    e = msix["table"][entry]
    e["ctrl"] = (e["ctrl"] | ENTRY_MASKBIT) if masked else (e["ctrl"] & ~ENTRY_MASKBIT)
    ctrl = PK.key(PK.REG, PK.reg_payload(pd, entry, 3))
    eng.prov.write(PC.XEN, ctrl, int(masked), note=f"{'masks' if masked else 'unmasks'} {dev} entry {entry} (physical)")
    device._entry_transition(eng, dev, d, entry, was, ctrl)


# --- 4.6+: memory_decoded (xen33) ------------------------------------------------------------------------------
def _decode_checked(w: World) -> bool:
    """Xen's MSI-X code tests memory_decoded before it touches the table (row ``xen_msix_memory_decoded``: from
    RELEASE-4.6.0; RELEASE-4.5.0 msi.c has no such check)."""
    return bool(w.behaviour.get("xen_msix_memory_decoded", False))


def maskall_state(w: World, dev: str) -> tuple[bool, bool]:
    """(host_maskall, guest_maskall) of ``dev``'s arch_msix. msidbg records them (``xen.maskall[dev]``) from the
    first time Xen sets host_maskall and leaves it set; before, host_maskall is clear and guest_maskall is the
    device's Function Mask bit (the last dom0 / QEMU write of it, which nothing else changed)."""
    rec = w.xen.get("maskall", {}).get(dev)
    if type(rec) is list and len(rec) == 2:
        return bool(rec[0]), bool(rec[1])
    return False, bool(w.devices[dev]["msix"]["ctrl"] & MSIX_MASKALL)


def _set_maskall(w: World, dev: str, host: bool, guest: bool) -> None:
    if host or dev in w.xen.get("maskall", {}):
        w.xen.setdefault("maskall", {})[dev] = [host, guest]


def _xen_msix_ctrl(eng: Any, dev: str, d: dict[str, Any], value: int, note: str) -> None:
    """Xen's pci_conf_write16 of MSI-X Message Control (no event: part of the hypercall or intercept)."""
    if value == d["msix"]["ctrl"]:
        return
    P = eng.prov
    if P.on and eng.fresh:
        P.write(PC.XEN, PK.key(PK.MSIXCTRL, P.dev(dev)), value, note=note)
    device._set_msix_ctrl(eng, dev, d, value)


def _set_mask_checked(eng: Any, dev: str, d: dict[str, Any], entry: int, flag: bool) -> None:
    """msi_set_mask_bit's MSI-X case from RELEASE-4.6.0 (the same through 4.19): with the device decoding, the
    writel of Vector Control (MSI-X disabled: Enable | Function Mask around it, then Message Control as it was,
    Function Mask kept while host_maskall or guest_maskall). Without decoding a mask falls back to the Function
    Mask -- host_maskall set, "cannot mask IRQ %d: masking MSI-X on Dom%d's %04x:%02x:%02x.%u" once per domain --
    and an unmask writes nothing (unmask_msi_irq's WARN). Nothing but a device reset at assignment (575e18d54d,
    4.13: pci_reset_msix_state) clears host_maskall again: the decoding path ``break``s before Message Control,
    and Xen's intercept of dom0's Message Control writes ORs it in (``dom0_msix_ctrl``). So a guest that masks
    while its device does not decode leaves the whole function masked (reading xen.msix-memory-decoded)."""
    w = eng.w
    control = d["msix"]["ctrl"]
    host, guest = maskall_state(w, dev)
    maskall = host
    P = eng.prov
    pd = P.dev(dev)
    if d["cmd"] & CMD_MEMORY:
        _writel_mask(eng, dev, d, pd, entry, flag)
        if control & MSIX_ENABLE:
            return          # 'break': host_maskall and Message Control stay as they were
    elif flag and not control & MSIX_MASKALL:
        maskall = True
        if P.on and eng.fresh:
            P.dep(PC.D_NO_MEMORY, PK.key(PK.CMD, pd))
        text = (f"msi_set_mask_bit: {dev} does not decode memory: cannot mask IRQ of entry {entry}: masking MSI-X "
                f"on Dom1's {dev} (Function Mask, host_maskall)")
        _set_maskall(w, dev, maskall, guest)
        _xen_msix_ctrl(eng, dev, d, control | MSIX_MASKALL, text)
        return
    elif P.on and eng.fresh:
        # the mask or unmask nothing decodes (an unmask: unmask_msi_irq's WARN); provenance as before 4.6
        ctrl = PK.key(PK.REG, PK.reg_payload(pd, entry, 3))
        P.dep(PC.D_NO_MEMORY, PK.key(PK.CMD, pd))
        r = P.write(PC.XEN_UNCLAIMED, ctrl, int(flag),
                    note=f"msi_set_mask_bit: {dev} does not decode memory: entry {entry} not "
                    f"{'masked' if flag else 'unmasked'} (no writel)")
        if not flag and r >= 0:
            P.dropped_unmask[ctrl] = r
    _set_maskall(w, dev, maskall, guest)
    _xen_msix_ctrl(eng, dev, d, control | MSIX_MASKALL if maskall or guest else control,
                   f"msi_set_mask_bit: Message Control of {dev} back ({'Function Mask kept' if maskall or guest else 'as it was'})")


def _capability_init_undecoded(eng: Any, dev: str, entry: int) -> int:
    """msix_capability_init from RELEASE-4.6.0 (map_domain_pirq -> pci_enable_msi): 'msix->host_maskall = 1;' and
    Enable | Function Mask written, then 'if ( unlikely(!memory_decoded(dev)) ) { pci_conf_write16(..., control &
    ~PCI_MSIX_FLAGS_ENABLE); return -ENXIO; }' -- the map fails, MSI-X is disabled, and host_maskall stays set (that
    path does not restore it): the next Message Control dom0 writes gets the Function Mask ORed in."""
    w = eng.w
    d = w.devices[dev]
    _, guest = maskall_state(w, dev)
    control = d["msix"]["ctrl"]
    _set_maskall(w, dev, True, guest)
    _xen_msix_ctrl(eng, dev, d, control & ~MSIX_ENABLE,
                   f"msix_capability_init: {dev} does not decode memory: MSI-X disabled, -ENXIO (host_maskall stays set)")
    P = eng.prov
    if P.on and eng.fresh:
        P.dep(PC.D_NO_MEMORY, PK.key(PK.CMD, P.dev(dev)))
        P.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, x_pirq(eng, dev, entry)), -ENXIO,
                note=f"msix_capability_init: {dev} entry {entry}: memory not decoded, PHYSDEVOP_map_pirq fails -ENXIO")
    return -ENXIO


def dom0_msix_ctrl(w: World, dev: str, value: int) -> int:
    """Xen's intercept of dom0's Message Control write (QEMU's, through dom0's config access: pci_conf_write_intercept
    -> pci_msi_conf_write_intercept, port I/O and MMCFG alike, RELEASE-4.6.0 ..): 'pdev->msix->guest_maskall =
    !!(*data & PCI_MSIX_FLAGS_MASKALL); if ( pdev->msix->host_maskall ) *data |= PCI_MSIX_FLAGS_MASKALL;'. Returns
    the value the device gets."""
    if not _decode_checked(w):
        return value
    host, _ = maskall_state(w, dev)
    _set_maskall(w, dev, host, bool(value & MSIX_MASKALL))
    return value | MSIX_MASKALL if host else value


# (at the end: the kernel's interrupt entry calls back into Xen's vlapic_EOI_set)
from msidbg.model.kernel import entry as _entry  # noqa: E402

_entry.XEN_GUEST_EOI[:] = [vlapic_eoi]
