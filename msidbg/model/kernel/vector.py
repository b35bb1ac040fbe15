"""The x86 vector domain: per-CPU vector matrix, vector_irq, reservation, moves and cleanup.

Modelled on arch/x86/kernel/apic/vector.c and kernel/irq/matrix.c (matrix allocator era,
4.15+). A non-managed MSI irq gets only a global *reservation* at allocation (its message
points at MANAGED_IRQ_SHUTDOWN_VECTOR on the first online CPU); a real vector is assigned
at activation (request_irq), inside the irq's affinity mask. A *managed* irq reserves one
vector on every CPU of its mask at allocation (``reserve_managed_vector``, the per-CPU
``managed`` map) and takes one of them at startup. A move keeps the old vector mapped
(``move_in_progress``) until the first interrupt arrives on the new vector on the new CPU;
then the old CPU frees it: by the IRQ_MOVE_CLEANUP_VECTOR IPI before 6.6, by a per-CPU
timer one jiffy later from 6.6 on (bdc1dad299bb; ``vector_cleanup``) -- unless it is still
pending in that CPU's IRR. The timer era also gives vector 0x20 back to devices.
These are plain functions over the world; the programs in ``irq.py`` call them inside steps.

Before 4.15 (``kernel.vector_allocator: legacy``, 69cde0004a4b) there is no matrix, no
reservation and no activation-time assignment: ``__assign_irq_vector`` (4.5..4.14) gives an irq
a vector when it is allocated (the node's CPUs, then every online CPU: the first online CPU of
the mask), searching from a global cursor (``kernel.vec_cursor`` = current_vector,
current_offset) in strides of 16 for a vector free on the target CPU; a CPU "has" a vector when
its ``vector_irq`` slot holds an irq. Only the physical single-CPU allocation domain
(physflat / x2APIC physical: ``default_vector_allocation_domain``) is modelled; the scenario
loader refuses the flat logical and x2APIC cluster drivers before 4.15 (``scenario.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.model.hw import (
    FIRST_DEVICE_VECTOR,
    FIRST_EXTERNAL_VECTOR,
    FIRST_SYSTEM_VECTOR,
    IA32_SYSCALL_VECTOR,
    IRQ_MOVE_CLEANUP_VECTOR,
    ISA_IRQ_VECTOR0,
    LEGACY_FIRST_SYSTEM_VECTOR,
    MANAGED_IRQ_SHUTDOWN_VECTOR,
    PIC_CASCADE_IR,
    POSTED_MSI_NOTIFICATION_VECTOR,
    VECTOR_CASCADE,
    VECTOR_SHUTDOWN,
    compose_msg,
    words_clear,
    words_set,
    words_test,
)
from msidbg.model.kernel.sw import sw_w

World = Any     # a world record (sim/rec.py WorldRec)
EBUSY, ENOSPC, EINVAL = 16, 28, 22


def _range(first: int, end: int = FIRST_SYSTEM_VECTOR) -> list[int]:
    words = [0] * 8
    for v in range(first, end):
        if not _matrix_system(v):
            words_set(words, v)
    return words


def _matrix_system(v: int) -> bool:
    """A vector below FIRST_SYSTEM_VECTOR that lapic_assign_system_vectors() made a system vector of
    the matrix (irq_matrix_assign_system: in no CPU's search, neither allocated nor available): the PIC
    cascade's ISA vector, and the IA32 syscall gate 0x80 -- idt_setup_traps() installs def_idts with
    sys=true, which sets IA32_SYSCALL_VECTOR in system_vectors under CONFIG_IA32_EMULATION (the
    distributions' x86-64 configuration, as the legacy allocator's used_vectors assumes), and
    lapic_assign_system_vectors() assigns every bit of system_vectors (arch/x86/kernel/idt.c,
    arch/x86/kernel/apic/vector.c, 4.15 .. 6.x; redteam17: the matrix used to hand 0x80 to devices)."""
    return v == PIC_CASCADE_VECTOR or v == IA32_SYSCALL_VECTOR


#: ISA_IRQ_VECTOR(PIC_CASCADE_IR): lapic_assign_system_vectors makes it a system vector of the matrix
#: (lapic_assign_legacy_vector -> irq_matrix_assign_system, nr_legacy_irqs() > 1): in no CPU's search and
#: not counted as allocated or available (systembits_inalloc)
PIC_CASCADE_VECTOR = ISA_IRQ_VECTOR0 + PIC_CASCADE_IR

# Bits of the allocatable device range in the 8 x 32-bit words of a matrix map: [0x21, end)
# while 0x20 is the cleanup IPI's system vector, [0x20, end) once a timer does the cleanup;
# without the PIC cascade's 0x32 and the IA32 syscall gate's 0x80; ``end`` is FIRST_SYSTEM_VECTOR.
#: the same with the matrix ending below the posted-MSI notification vector (kernel.posted_msi_vector)
_RANGE_IPI_POSTED = _range(FIRST_DEVICE_VECTOR, POSTED_MSI_NOTIFICATION_VECTOR)
_RANGE_TIMER_POSTED = _range(FIRST_EXTERNAL_VECTOR, POSTED_MSI_NOTIFICATION_VECTOR)
#: LOCAL_TIMER_VECTOR by release (kernel.local_timer_vector), FIRST_SYSTEM_VECTOR before 6.10: 0xee in 4.15
#: (MANAGED_IRQ_SHUTDOWN_VECTOR took 0xef), 0xed in 4.16 (HYPERV_REENLIGHTENMENT_VECTOR 0xee), 0xec from 4.17
#: (HYPERV_STIMER0_VECTOR 0xed); 0xef before 4.15, where the legacy allocator keeps its own bound
TIMER_VECTOR: dict[str, int] = {"0xef": 0xEF, "0xee": 0xEE, "0xed": 0xED, "0xec": FIRST_SYSTEM_VECTOR}
#: the matrix ending below each LOCAL_TIMER_VECTOR: (0x20 is the cleanup IPI's, 0x20 is a device vector)
_RANGES_BY_TIMER = {name: (_range(FIRST_DEVICE_VECTOR, v), _range(FIRST_EXTERNAL_VECTOR, v))
                    for name, v in TIMER_VECTOR.items()}


def timer_cleanup(w: World) -> bool:
    return sw_w(w, "vector_cleanup") == "timer"


def system_start(w: World) -> int:
    """FIRST_SYSTEM_VECTOR, the end of the vector matrix (irq_alloc_matrix's alloc_end): the posted-MSI
    notification vector 0xeb from f5a3562ec9dd (6.10, ``posted_msi_vector``), LOCAL_TIMER_VECTOR before:
    0xee in 4.15, 0xed in 4.16, 0xec from 4.17 (``local_timer_vector``; reading
    ``kernel.vector.first-system-vector``)."""
    if sw_w(w, "posted_msi_vector"):
        return POSTED_MSI_NOTIFICATION_VECTOR
    return TIMER_VECTOR[sw_w(w, "local_timer_vector")]


def local_timer_vector(w: World) -> int:
    """LOCAL_TIMER_VECTOR in this world's release (``kernel.local_timer_vector``)."""
    return TIMER_VECTOR[sw_w(w, "local_timer_vector")]


def _matrix_range(w: World) -> list[int]:
    """The allocatable device vectors of a matrix map in this world's release."""
    if sw_w(w, "posted_msi_vector"):
        return _RANGE_TIMER_POSTED if timer_cleanup(w) else _RANGE_IPI_POSTED
    return _RANGES_BY_TIMER[sw_w(w, "local_timer_vector")][timer_cleanup(w)]


def first_vector(w: World) -> int:
    return FIRST_EXTERNAL_VECTOR if timer_cleanup(w) else FIRST_DEVICE_VECTOR


def legacy(w: World) -> bool:
    """The pre-4.15 allocator (``__assign_irq_vector``), not the matrix."""
    return bool(sw_w(w, "vector_allocator") == "legacy")


def online_cpus(w: World) -> list[int]:
    """cpu_online_mask: the CPUs whose ``online`` is set, less the one a cpu_down has taken out of it
    (``dying_cpu``: from take_cpu_down's __cpu_disable; the model clears ``online`` only at the offline,
    and from MULTI_STOP_EXIT the other CPUs run again meanwhile: dyingdrain)."""
    dying = dying_cpu(w)
    return [c.id for c in w.cpus if c.online and c.id != dying]


def _going_down(w: World) -> dict[str, Any] | None:
    """The locals of the cpu_down in progress (the CPU holding the hotplug lock), or None."""
    req = w.kernel["hotplug"]
    if req < 0:
        return None
    for f in w.cpus[req].proc.stack:
        if f["prog"] == "cpu_down":
            return f["locals"]
    return None


def dying_cpu(w: World) -> int:
    """The CPU a ``cpu_down`` has taken out of cpu_online_mask, or -1.

    remove_cpu_from_maps() (__cpu_disable, run by take_cpu_down on the outgoing CPU in
    MULTI_STOP_RUN) clears it from cpu_online_mask *before* fixup_irqs() migrates its irqs, while
    its local APIC still takes messages (fixup_irqs retriggers what lands in its IRR). Until then --
    while stop_machine waits in MULTI_STOP_PREPARE for CPUs in hardirq -- it is online: an irq move
    completing elsewhere queues its cleanup there (__vector_schedule_cleanup's cpu_online(), v6.6
    arch/x86/kernel/apic/vector.c). The model keeps ``online`` for the APIC until cpu_down's last
    step; ``irqs`` in the cpu_down frame says take_cpu_down ran (redteam10: the whole cpu_down used
    to count, so a move completing during PREPARE freed -- from 6.6 -- the dying CPU's old vector
    at once, under an edge still in its IRR).
    """
    loc = _going_down(w)
    if loc is None or "irqs" not in loc:
        return -1
    return int(loc["cpu"])


def cpu_online(w: World, cpu: int) -> bool:
    """cpu_online(cpu) as the vector domain sees it (the dying CPU is out from take_cpu_down)."""
    return bool(w.cpus[cpu].online) and cpu != dying_cpu(w)


def cpu_active(w: World, cpu: int) -> bool:
    """cpu_active(cpu): sched_cpu_deactivate clears the outgoing CPU from cpu_active_mask when its
    cpu_down starts, before stop_machine (kernel/sched/core.c, v6.6)."""
    loc = _going_down(w)
    return bool(w.cpus[cpu].online) and (loc is None or cpu != int(loc["cpu"]))


def managed_map(c: Any) -> list[int]:
    """A CPU's managed_map: the vectors reserved for managed irqs (created on first use)."""
    m = c.get("managed")
    if m is None:
        m = c["managed"] = [0] * 8
    return m


def available(w: World, cpu: Any) -> int:
    """Free device vectors on a CPU (``cm->available`` that matrix_find_best_cpu compares):
    neither allocated nor reserved for a managed irq."""
    taken = cpu.alloc
    managed = cpu.get("managed")
    rng = _matrix_range(w)
    if managed is None:
        return sum((r & ~a).bit_count() for r, a in zip(rng, taken, strict=True))
    return sum((r & ~(a | m)).bit_count() for r, a, m in zip(rng, taken, managed, strict=True))


def unplug_count(w: World, cpu: int) -> tuple[int, int]:
    """lapic_can_unplug_cpu's figures for taking ``cpu`` down (matrix allocator): (tomove, avl).
    ``tomove`` is irq_matrix_allocated() on that CPU -- its allocated vectors, without the managed
    ones from a0b0bad10587 (``unplug_excludes_managed``): cm->allocated - cm->managed_allocated --
    and ``avl`` irq_matrix_available(m, true): global_available (the online CPUs' cm->available,
    what ``available`` counts) minus that CPU's own."""
    c = w.cpus[cpu]
    rng = _matrix_range(w)
    managed = c.get("managed")
    if managed is None or not sw_w(w, "unplug_excludes_managed"):
        tomove = sum((r & a).bit_count() for r, a in zip(rng, c.alloc, strict=True))
    else:
        tomove = sum((r & a & ~m).bit_count() for r, a, m in zip(rng, c.alloc, managed, strict=True))
    avl = sum(available(w, o) for o in w.cpus if o.online and o.id != cpu)
    return tomove, avl


def legacy_unplug_count(w: World, cpu: int) -> tuple[int, int]:
    """check_irq_vectors_for_cpu_disable (4.5..4.14, arch/x86/kernel/irq.c) for taking ``cpu`` down:
    (this_count, count). ``this_count``: the irqs with an action mapped in that CPU's ``vector_irq``
    whose affinity without it is empty or not all online (the dying CPU still counts as online
    here, so an irq whose mask is every CPU is not counted); ``count``: on the other online CPUs,
    the vectors from FIRST_EXTERNAL_VECTOR below the first system vector that are not in
    used_vectors and map no irq."""
    online_new = {c.id for c in w.cpus if c.online and c.id != cpu}
    this_count = 0
    for slot in w.cpus[cpu].vector_irq.values():
        if not isinstance(slot, int) or isinstance(slot, bool):
            continue
        desc = w.irqs.get(slot)
        if desc is None or desc.action is None:
            continue
        rest = {c for c in desc["affinity"] if c != cpu}
        if not rest or not rest <= online_new:
            this_count += 1
    count = 0
    for o in w.cpus:
        if o.id not in online_new:
            continue
        slots = o.vector_irq
        for v in range(FIRST_EXTERNAL_VECTOR, LEGACY_FIRST_SYSTEM_VECTOR):
            slot = slots.get(v)
            if not _legacy_used(v) and (not isinstance(slot, int) or isinstance(slot, bool)):
                count += 1
    return this_count, count


def _lowest_free(w: World, c: Any) -> int:
    """matrix_alloc_area: the lowest vector neither allocated nor managed-reserved."""
    alloc, managed = c.alloc, c.get("managed")
    for v in range(first_vector(w), system_start(w)):
        if not _matrix_system(v) and not words_test(alloc, v) and (managed is None or not words_test(managed, v)):
            return v
    return -ENOSPC


def matrix_alloc(w: World, mask: list[int]) -> tuple[int, int]:
    """irq_matrix_alloc: the online CPU in ``mask`` with the most available vectors (lowest id
    on a tie), then its lowest free device vector. Returns (vector, cpu) or (-ENOSPC, -1)."""
    best, best_avl = -1, 0
    for cid in mask:
        c = w.cpus[cid]
        if not c.online:
            continue
        avl = available(w, c)
        if avl > best_avl:
            best, best_avl = cid, avl
    if best < 0:
        return -ENOSPC, -1
    v = _lowest_free(w, w.cpus[best])
    if v < 0:
        return -ENOSPC, -1
    words_set(w.cpus[best].alloc, v)
    return v, best


def matrix_free(w: World, cpu: int, vector: int) -> None:
    """irq_matrix_free: the allocation goes; a managed reservation stays in managed_map."""
    words_clear(w.cpus[cpu].alloc, vector)


def dest_apic(w: World, cpu: int) -> int:
    """``cfg->dest_apicid`` for a vector on ``cpu``: ``apic->calc_dest_apicid(cpu)`` -- the APIC id
    (physflat, x2APIC physical: apic_default_calc_apicid), or ``1 << cpu`` with the flat driver's
    logical destination mode (apic_flat_calc_apicid, the LDR ``default_init_apic_ldr`` wrote), or the
    CPU's logical x2APIC id under x2APIC cluster mode (x2apic_calc_apicid: cluster << 16 | 1 << (apic_id
    & 0xf), the hardware's LDR; one CPU, one bit, since 4.15). (Also the TUI's: ``w`` a record or a dict.)"""
    mode = w["platform"].get("apic")
    if mode == "flat":
        return 1 << cpu
    if mode == "x2apic-cluster":
        return int(w["cpus"][cpu]["ldr"])
    return int(w["cpus"][cpu]["apic_id"])


def flat_legacy(w: World) -> bool:
    """apic_flat before 4.15 (``platform.lowest_priority`` given: scenario.py refuses it otherwise): an
    irq's vector is on every online CPU and its message names several of them with Lowest Priority
    delivery (reading ``kernel.vector.legacy-flat-not-modelled``, lowprio25)."""
    return w.platform.get("apic") == "flat" and legacy(w)


def desc_msg(w: World, desc: Any) -> list[int]:
    """irq_msi_compose_msg for ``desc``: ``msg`` of its vector and CPU; under apic_flat before 4.15
    the destination is the OR of the logical bits of its ``dest_cpus`` (flat_cpu_mask_to_apicid),
    with RH 1 and Delivery Mode Lowest Priority (apic->irq_delivery_mode = dest_LowestPrio)."""
    if flat_legacy(w) and desc.get("dest_cpus"):
        dest = 0
        for c in desc["dest_cpus"]:
            dest |= 1 << c
        return compose_msg(dest, desc.vector, True, lowest=True)
    return msg(w, desc.cpu, desc.vector)


def targets_cpu(w: World, desc: Any, cpu: int) -> bool:
    """Is ``cpu`` in the irq's effective affinity (irq_needs_fixup): its one target CPU, or under
    apic_flat before 4.15 any CPU its logical destination names (flat_cpu_mask_to_apicid sets the
    effective mask to the destination's bits)."""
    if flat_legacy(w) and desc.get("dest_cpus"):
        return cpu in desc["dest_cpus"]
    return bool(desc["effective"] == cpu)


def retrigger_cpu(w: World, desc: Any) -> int:
    """apic_retrigger_irq's CPU: the irq's (``apicd->cpu``); before 4.15 cpumask_first_and(data->domain,
    cpu_online_mask) -- under apic_flat, whose domain is every CPU, the first online CPU."""
    if flat_legacy(w) and desc.get("dest_cpus"):
        online = online_cpus(w)
        return online[0] if online else int(desc["cpu"])
    return int(desc["cpu"])


def msg(w: World, cpu: int, vector: int) -> list[int]:
    """The x86 vector domain's message for ``vector`` on ``cpu`` (__irq_msi_compose_msg): the
    destination mode is the APIC driver's (``apic->dest_mode_logical``)."""
    return compose_msg(dest_apic(w, cpu), vector, w.platform.get("apic") == "flat")


def assign_shutdown(w: World, desc: Any) -> None:
    """vector_assign_managed_shutdown: the message points at the shutdown vector on the first
    online CPU (the model keeps that in the irq's vector/cpu, as irq_cfg does)."""
    first = online_cpus(w)[0]
    desc.vector = MANAGED_IRQ_SHUTDOWN_VECTOR
    desc.cpu = first
    desc["effective"] = first


def global_available(w: World) -> int:
    """The matrix's global_available: the free device vectors (``available``) of the CPUs whose map is
    online -- the dying CPU's leaves with take_cpu_down (its irq_matrix_offline, lapic_offline, follows
    fixup_irqs a little later; the model takes it out with cpu_online)."""
    return sum(available(w, c) for c in w.cpus if cpu_online(w, c.id))


def reserve(w: World, desc: Any) -> None:
    """reserve_irq_vector_locked: irq_matrix_reserve (global_reserved++, ``kernel.vec_rsvd`` on a matrix
    world: pure book-keeping, no vector is set aside anywhere), message -> shutdown vector."""
    kern = w.kernel
    n = kern.get("vec_rsvd")
    if n is not None:
        kern["vec_rsvd"] = n + 1
    desc["can_reserve"] = True
    desc["has_reserved"] = True
    assign_shutdown(w, desc)


def reserve_warned(w: World) -> bool:
    """Right after ``reserve``: did irq_matrix_reserve warn "Interrupt reservation exceeds available
    resources"? It does when global_reserved equalled global_available before its increment (the
    crossing only: '==', kernel/irq/matrix.c in every matrix release); nothing else follows from it."""
    n = w.kernel.get("vec_rsvd")
    return n is not None and n - 1 == global_available(w)


RESERVE_WARNING = "irq_matrix_reserve: Interrupt reservation exceeds available resources"


def remove_reserved(w: World, desc: Any) -> None:
    """vector_free_reserved_and_managed's irq_matrix_remove_reserved (global_reserved--) for an irq freed
    while it still has its reservation (never activated, or deactivated)."""
    n = w.kernel.get("vec_rsvd")
    if n is not None and desc["has_reserved"]:
        w.kernel["vec_rsvd"] = n - 1


def reserve_managed(w: World, desc: Any) -> int:
    """reserve_managed_vector -> irq_matrix_reserve_managed: one vector on every CPU of the
    irq's (managed) affinity mask, online or not; the message points at the shutdown vector."""
    desc["is_managed"] = True
    for cid in desc["affinity"]:
        c = w.cpus[cid]
        v = _lowest_free(w, c)
        if v < 0:
            remove_managed(w, desc)
            return -ENOSPC
        words_set(managed_map(c), v)
    assign_shutdown(w, desc)
    return 0


def remove_managed(w: World, desc: Any) -> None:
    """irq_matrix_remove_managed at free time: drop one unallocated reservation per CPU."""
    for cid in desc["affinity"]:
        c = w.cpus[cid]
        m = managed_map(c)
        for v in range(FIRST_EXTERNAL_VECTOR, system_start(w)):
            if words_test(m, v) and not words_test(c.alloc, v):
                words_clear(m, v)
                break


def update_vector(w: World, desc: Any, newvec: int, newcpu: int) -> None:
    """apic_update_vector: keep the old vector for cleanup if its CPU is online; otherwise
    (also the CPU being taken down) it goes back to the matrix at once. Its ``vector_irq``
    slot stays: fixup_irqs still looks there for signals pending in the dying CPU's IRR."""
    desc["prev_vector"] = 0
    old, oldcpu = desc.vector, desc.cpu
    if old and old != MANAGED_IRQ_SHUTDOWN_VECTOR:
        if cpu_online(w, oldcpu):
            desc.move_in_progress = True
            desc["prev_vector"] = old
            desc["prev_cpu"] = oldcpu
        else:
            matrix_free(w, oldcpu, old)
    desc.vector = newvec
    desc.cpu = newcpu
    desc["effective"] = newcpu
    w.cpus[newcpu].vector_irq[newvec] = desc.irq


def _has_vector(desc: Any) -> bool:
    return bool(desc.vector) and desc.vector != MANAGED_IRQ_SHUTDOWN_VECTOR


def assign_vector_locked(w: World, desc: Any, mask: list[int]) -> int:
    """0 if the irq already targets an online CPU in ``mask`` or got a new vector there."""
    cpu = desc.cpu
    if _has_vector(desc) and cpu_online(w, cpu) and cpu in mask:
        return 0
    if desc.move_in_progress or desc.cleanup_pending:
        return -EBUSY
    vector, newcpu = matrix_alloc(w, mask)
    if vector < 0:
        return vector
    update_vector(w, desc, vector, newcpu)
    return 0


def assign_managed_vector(w: World, desc: Any, dest: list[int]) -> int:
    """assign_managed_vector -> irq_matrix_alloc_managed: within ``dest`` and the managed mask,
    the online CPU with the fewest managed vectors in use (matrix_find_best_cpu_managed skips a
    CPU only when it has *more*, so the last of equals wins), then its lowest
    reserved-but-unused vector. Before that spread (``managed_spread``, 4.15..4.19; 4.19.y took it) the first
    online CPU of the mask (cpumask_first), -ENOSPC if it has no reserved vector left."""
    search = [c for c in dest if c in desc["affinity"]]
    if _has_vector(desc) and desc.cpu in search:
        return 0
    best, best_used = -1, 1 << 30
    if not sw_w(w, "managed_spread"):   # before the spread: the first online CPU of the mask, vector or not
        search = [c for c in sorted(search) if w.cpus[c].online][:1]
    for cid in search:
        c = w.cpus[cid]
        if not c.online:
            continue
        m = managed_map(c)
        used = sum((x & a).bit_count() for x, a in zip(m, c.alloc, strict=True))
        if used <= best_used:
            best, best_used = cid, used
    if best < 0:
        return -ENOSPC
    c = w.cpus[best]
    m = managed_map(c)
    for v in range(FIRST_EXTERNAL_VECTOR, system_start(w)):
        if words_test(m, v) and not words_test(c.alloc, v):
            words_set(c.alloc, v)
            update_vector(w, desc, v, best)
            return 0
    return -ENOSPC


def set_affinity(w: World, desc: Any, mask: list[int]) -> int:
    """apic_set_affinity: nothing to do for an inactive reserved or managed irq (activation
    will place it); a managed irq moves within its reservations, others anywhere in ``mask``."""
    if legacy(w):
        return legacy_set_affinity(w, desc, mask)
    if not desc.activated and (desc.is_managed or desc.can_reserve):
        return 0
    search = [c for c in mask if cpu_online(w, c)]
    if desc["is_managed"]:
        return assign_managed_vector(w, desc, search)
    return assign_vector_locked(w, desc, search)


def assign_any(w: World, desc: Any) -> int:
    """assign_irq_vector_any_locked: the irq's affinity, else any online CPU (one NUMA node:
    the node-mask steps of the real function give the same sets)."""
    online = online_cpus(w)
    mask = [c for c in desc["affinity"] if c in online]
    if mask and assign_vector_locked(w, desc, mask) == 0:
        return 0
    return assign_vector_locked(w, desc, online)


def activate(w: World, desc: Any) -> int:
    """x86_vector_activate(reserve=false): managed -> activate_managed (a reserved vector on an
    online CPU of the mask); reserved -> activate_reserved (the affinity mask, else any online
    CPU); fixed vectors stay. Before 4.15 the vector domain has no activate callback: the
    vector was assigned at allocation."""
    if legacy(w):
        return 0
    if desc["is_managed"]:
        dest = [c for c in desc["affinity"] if cpu_online(w, c)]
        if not dest:
            return -EINVAL
        return assign_managed_vector(w, desc, dest)
    if not desc["has_reserved"]:
        return 0
    ret = assign_any(w, desc)
    if ret == 0:
        # activate_reserved: assign_vector_locked's irq_matrix_alloc(vector_matrix, dest, resvd =
        # apicd->has_reserved, &cpu) took the reservation back (global_reserved--) with the vector
        desc["has_reserved"] = False
        n = w.kernel.get("vec_rsvd")
        if n is not None:
            w.kernel["vec_rsvd"] = n - 1
    return ret


def _free_slot(w: World, cpu: int, vector: int) -> None:
    """The slot clear_irq_vector leaves: VECTOR_SHUTDOWN from b7107a67f0d1 (5.3; 4.19.60, 5.1.19,
    5.2.2), whose late hit do_IRQ swallows; VECTOR_UNUSED before (``vector_shutdown_slot``)."""
    slots = w.cpus[cpu].vector_irq
    if sw_w(w, "vector_shutdown_slot"):
        slots[vector] = VECTOR_SHUTDOWN
    else:
        slots.pop(vector, None)


def clear_vector(w: World, desc: Any) -> list[tuple[int, int]]:
    """clear_irq_vector: SHUTDOWN sentinels in vector_irq (VECTOR_UNUSED before b7107a67f0d1:
    ``vector_shutdown_slot``), vectors back to the matrix. Before 4.15 the slots go back to
    VECTOR_UNUSED (there is no VECTOR_SHUTDOWN yet): a late signal on the freed vector is "No irq
    handler for vector", not swallowed."""
    freed: list[tuple[int, int]] = []
    vector = desc.vector
    if not vector or vector == MANAGED_IRQ_SHUTDOWN_VECTOR:
        return freed
    if legacy(w):
        return _legacy_clear(w, desc)
    _free_slot(w, desc.cpu, vector)
    matrix_free(w, desc.cpu, vector)
    freed.append((vector, desc.cpu))
    desc.vector = 0
    prev = desc["prev_vector"]
    if prev:
        _free_slot(w, desc["prev_cpu"], prev)
        matrix_free(w, desc["prev_cpu"], prev)
        freed.append((prev, desc["prev_cpu"]))
        desc["prev_vector"] = 0
        desc.move_in_progress = False
    _unqueue_cleanup(w, desc)
    return freed


def deactivate(w: World, desc: Any) -> list[tuple[int, int]]:
    """x86_vector_deactivate: release the vector(s); a reservable irq goes back to a
    reservation, a managed one to the shutdown vector (keeping its managed reservations).
    Irqs that were never reservable (non-maskable MSI, masking disabled) keep their vector.
    Before 4.15 there is no x86_vector_deactivate: every irq keeps its vector until it is freed."""
    if legacy(w):
        return []
    if not desc["is_managed"] and (desc["has_reserved"] or not desc["can_reserve"]):
        return []
    freed = clear_vector(w, desc)
    if desc["is_managed"]:
        assign_shutdown(w, desc)
    else:
        reserve(w, desc)
    return freed


def complete_move(w: World, desc: Any, vector: int, cpu: int) -> bool:
    """__irq_complete_move: the first interrupt on the new vector, on the new CPU, schedules
    the cleanup of the old one. Returns True when the old CPU's cleanup must be triggered."""
    if not desc.move_in_progress or vector != desc.vector or cpu != desc.cpu:
        return False
    return schedule_cleanup(w, desc)


def schedule_cleanup(w: World, desc: Any) -> bool:
    """__send_cleanup_vector / __vector_schedule_cleanup: queue the old vector on its CPU's
    cleanup list. An offline old CPU: before a6c11c0a5235 (``hotplug_force_complete: migrated``)
    the old vector is just forgotten (still allocated in the matrix); from it freed at once."""
    desc.move_in_progress = False
    prev_cpu = desc["prev_cpu"]
    if cpu_online(w, prev_cpu):
        w.cpus[prev_cpu].cleanup.append(desc.irq)
        desc["cleanup_pending"] = True
        return True
    if sw_w(w, "hotplug_force_complete") == "involved":
        # a6c11c0a5235 (6.10; the stable backports of hotplug_force_complete): 'pr_warn("IRQ %u
        # schedule cleanup for offline CPU %u\n", ...); free_moved_vector(apicd);' in
        # __vector_schedule_cleanup, and in __send_cleanup_vector of the IPI-era backports
        free_moved_vector(w, desc)
    else:
        desc["prev_vector"] = 0     # before it: the old vector stays allocated in the matrix (leaked)
    return False


def free_moved_vector(w: World, desc: Any) -> tuple[int, int]:
    vector, cpu = desc["prev_vector"], desc["prev_cpu"]
    matrix_free(w, cpu, vector)
    w.cpus[cpu].vector_irq.pop(vector, None)
    desc["prev_vector"] = 0
    desc.move_in_progress = False
    _unqueue_cleanup(w, desc)
    return vector, cpu


def cleanup_this_cpu(w: World, cpu: Any, check_irr: bool = True) -> tuple[list[int], bool]:
    """smp_irq_move_cleanup_interrupt / __vector_cleanup: free the moved vectors queued on this
    CPU, except those still pending in this CPU's IRR (retried: a self-IPI, or the timer re-armed
    one jiffy on). Returns (freed, retry)."""
    freed: list[int] = []
    retry = False
    for irq in list(cpu.cleanup):
        desc = w.irqs[irq]
        if check_irr and words_test(cpu.irr, desc["prev_vector"]):
            retry = True
            continue
        freed.append(free_moved_vector(w, desc)[0])
    return freed, retry


def force_complete_move(w: World, desc: Any, dying: int) -> int:
    """irq_force_complete_move on the outgoing CPU. Returns the freed vector or 0.

    ``hotplug_force_complete``: ``migrated`` (before a6c11c0a5235, 6.10) -- called only for an
    irq that is migrated off the dying CPU, and then frees its old vector wherever it is;
    ``involved`` (a6c11c0a5235) -- called for every irq, frees the old vector only when the
    irq's current or previous target is the dying CPU. The caller decides which irqs get here.
    """
    vector = desc["prev_vector"]
    if not vector:
        return 0
    if legacy(w):
        return _legacy_force_complete(w, desc)
    if sw_w(w, "hotplug_force_complete") == "involved" and dying not in (desc.cpu, desc["prev_cpu"]):
        return 0
    return free_moved_vector(w, desc)[0]


def _unqueue_cleanup(w: World, desc: Any) -> None:
    if desc["cleanup_pending"]:
        for c in w.cpus:
            if desc.irq in c.cleanup:
                c.cleanup.remove(desc.irq)
        desc["cleanup_pending"] = False


def cleanup_vector() -> int:
    return IRQ_MOVE_CLEANUP_VECTOR


# --- before 4.15: __assign_irq_vector (69cde0004a4b replaced it with the matrix) ----------------------


def _legacy_used(v: int) -> bool:
    """``test_bit(vector, used_vectors)`` below the first system vector: the cleanup IPI's 0x20
    and the IA32 syscall gate 0x80 (the system vectors from 0xef are past the search's end) --
    and the PIC cascade's 0x32, which no used_vectors bit names but every CPU's ``vector_irq`` maps
    to irq 2 (reading ``kernel.vector.legacy-cascade``, redteam20): init_IRQ maps ISA_IRQ_VECTOR(0..15)
    on CPU0, setup_vector_irq does on each CPU it brings up, and __setup_vector_irq keeps a slot
    whose irq's domain holds the CPU; irq 2 is never routed to the IO-APIC (PIC_IRQS), so its
    init_legacy_irqs chip data keeps ``cpumask_setall(data->domain)``. The search's
    ``!IS_ERR_OR_NULL(per_cpu(vector_irq, new_cpu)[vector])`` skips it on every CPU, and
    check_irq_vectors_for_cpu_disable does not count it free."""
    return v == IRQ_MOVE_CLEANUP_VECTOR or v == IA32_SYSCALL_VECTOR or v == PIC_CASCADE_VECTOR


def _flat_assign(w: World, desc: Any, mask: list[int]) -> int:
    """__assign_irq_vector (4.5..4.14) with ``flat_vector_allocation_domain``: the domain is every CPU
    (APIC_ALL_CPUS; at most 8 here). An irq with a vector has that domain already, so cpumask_equal
    sends every later call to success: only the destination is recomputed -- no old_domain, no
    move_in_progress, no cleanup IPI, never -EBUSY. The first call searches from the global cursor a
    vector free in the vector_irq of every online CPU (vector_searchmask) and maps it on each. The
    destination is mask & online (flat_cpu_mask_to_apicid: their logical bits, also the effective
    mask); ``desc.cpu`` is its first CPU (the model's single CPU for the TUI and the events)."""
    if desc.move_in_progress or (desc["cleanup_pending"] and cpu_online(w, desc["prev_cpu"])):
        return -EBUSY
    online = online_cpus(w)
    dest = sorted(c for c in set(mask) if c in online)
    if not dest:
        return -ENOSPC
    if not desc.vector:
        cursor = w.kernel["vec_cursor"]
        found = _legacy_search(cursor, _mapped_in(*(w.cpus[c].vector_irq for c in online)))
        if found is None:
            return -ENOSPC              # wrapped; the next CPU's domain is the same: searched
        vector = cursor[0] = found[0]
        cursor[1] = found[1]
        for c in online:
            w.cpus[c].vector_irq[vector] = desc.irq
        desc.vector = vector
        desc["prev_vector"] = 0
    desc["dest_cpus"] = dest
    desc.cpu = dest[0]
    desc["effective"] = dest[0]
    return 0


def legacy_assign(w: World, desc: Any, mask: list[int]) -> int:
    """__assign_irq_vector (4.5..4.14) with ``default_vector_allocation_domain`` (physflat,
    x2APIC physical: the domain of a CPU is that CPU alone).

    -EBUSY while a move is in progress or its old vector still waits for the cleanup IPI on an
    online CPU -- checked *before* anything else, so even a no-op request fails then. Then for
    each online CPU of ``mask`` in ascending order: the irq's own CPU ends the search (nothing
    moves); otherwise the vector search on that CPU, from the global cursor in steps of 16
    (next offset and back to 0x20 + offset past 0xee; wrapping round to the cursor means
    "try the next CPU"), skipping used_vectors and vectors whose ``vector_irq`` slot holds an
    irq. Note the first CPU of the mask wins: an irq on CPU2 asked for {1, 2} moves to CPU1."""
    if flat_legacy(w):
        return _flat_assign(w, desc, mask)
    if desc.move_in_progress or (desc["cleanup_pending"] and cpu_online(w, desc["prev_cpu"])):
        return -EBUSY
    cursor = w.kernel["vec_cursor"]
    for cpu in sorted({c for c in mask if cpu_online(w, c)}):
        if desc.vector and desc.cpu == cpu:
            return 0
        slots = w.cpus[cpu].vector_irq
        found = _legacy_search(cursor, _mapped_in(slots))
        if found is None:
            continue                        # wrapped: try the next CPU
        cursor[0], cursor[1] = found
        update_vector(w, desc, found[0], cpu)
        return 0
    return -ENOSPC


def _mapped_in(*slots: dict[int, Any]) -> Callable[[int], bool]:
    """Whether a vector's ``vector_irq`` slot holds an irq on any of these CPUs."""
    return lambda v: any(type(s.get(v)) is int for s in slots)


def _legacy_search(cursor: list[int], taken: Callable[[int], bool]) -> tuple[int, int] | None:
    """__assign_irq_vector's search (4.5..4.14): from the global cursor (vector, offset) in steps of
    16, the next offset and back to 0x20 + offset past 0xee, skipping used_vectors and the vectors
    ``taken`` says are mapped; None when it wraps round to the cursor. The cursor is not moved."""
    start = vector = cursor[0]
    offset = cursor[1]
    while True:
        vector += 16
        if vector >= LEGACY_FIRST_SYSTEM_VECTOR:
            offset = (offset + 1) % 16
            vector = FIRST_EXTERNAL_VECTOR + offset
        if vector == start:
            return None
        if not (_legacy_used(vector) or taken(vector)):
            return vector, offset


def legacy_alloc(w: World, desc: Any) -> int:
    """x86_vector_alloc_irqs -> assign_irq_vector_policy for a PCI/MSI irq: no ``info->mask``
    (pci_msi_prepare), so the device node's CPUs (one node: all of them), then
    ``apic->target_cpus()`` (the online CPUs). The irq's affinity mask is not consulted: every
    MSI starts on the first online CPU, managed or not; request_irq's startup moves it."""
    return legacy_assign(w, desc, online_cpus(w))


def legacy_set_affinity(w: World, desc: Any, mask: list[int]) -> int:
    """apic_set_affinity (4.14): -EINVAL for a mask without an online CPU, else
    assign_irq_vector on the mask (managed or not alike)."""
    if not [c for c in mask if cpu_online(w, c)]:
        return -EINVAL
    return legacy_assign(w, desc, mask)


def _legacy_clear(w: World, desc: Any) -> list[tuple[int, int]]:
    """clear_irq_vector (4.14): VECTOR_UNUSED in the slot of the irq's CPU (if online) and in
    the old vector's slot of a move still in progress or not cleaned up."""
    freed: list[tuple[int, int]] = []
    cpus = w.cpus
    vector, cpu = desc.vector, desc.cpu
    if flat_legacy(w):      # for_each_cpu_and(cpu, data->domain, cpu_online_mask): every online CPU
        for c in online_cpus(w):
            if cpus[c].vector_irq.get(vector) == desc.irq:
                cpus[c].vector_irq.pop(vector)
        desc["dest_cpus"] = []
    elif cpu_online(w, cpu) and cpus[cpu].vector_irq.get(vector) == desc.irq:
        cpus[cpu].vector_irq.pop(vector)
    freed.append((vector, cpu))
    desc.vector = 0
    prev = desc["prev_vector"]
    if prev and (desc.move_in_progress or desc["cleanup_pending"]):
        pc = desc["prev_cpu"]
        if cpu_online(w, pc) and cpus[pc].vector_irq.get(prev) == desc.irq:
            cpus[pc].vector_irq.pop(prev)
            freed.append((prev, pc))
    desc["prev_vector"] = 0
    desc.move_in_progress = False
    _unqueue_cleanup(w, desc)
    return freed


def _legacy_force_complete(w: World, desc: Any) -> int:
    """irq_force_complete_move (4.14): the old domain loses its offline CPUs (the dying one is
    already out of cpu_online_mask); the old vector's slot is cleared on an online old CPU; on
    the dying CPU it stays for fixup_irqs' IRR scan (which retriggers a pending signal to the
    irq's new target, then clears it). Returns the freed vector or 0."""
    cpu = desc["prev_cpu"]
    if not desc.move_in_progress and not desc["cleanup_pending"]:
        desc["prev_vector"] = 0
        return 0
    if cpu_online(w, cpu):
        return free_moved_vector(w, desc)[0]
    desc["prev_vector"] = 0
    desc.move_in_progress = False
    _unqueue_cleanup(w, desc)
    return 0


def cascade_slot(w: World, cpu: int) -> None:
    """ISA_IRQ_VECTOR(2) of ``cpu`` maps irq 2, the PIC cascade (reading ``kernel.entry.pic-cascade``):
    init_IRQ maps ISA_IRQ_VECTOR(0..15) on CPU0; a CPU brought up gets it from setup_vector_irq before
    4.15 (irq 2's init_legacy_irqs domain is every CPU) and from lapic_online's __setup_vector_irq from
    4.15 (irq 2 is not in io_apic_irqs = ~PIC_IRQS). A xen-pv guest delivers no local APIC vector."""
    if w.platform["kind"] != "xen-pv":
        w.cpus[cpu].vector_irq[PIC_CASCADE_VECTOR] = VECTOR_CASCADE


def legacy_online_slots(w: World, cpu: int) -> None:
    """setup_vector_irq -> __setup_vector_irq (4.14) on a CPU coming online: every irq whose
    domain is this CPU gets its slot back (an irq shut down or left here while the CPU was
    offline keeps its vector, as do the ISA irqs nothing requested: their domain stays CPU0); the
    4.15+ lapic_online only clears."""
    slots = w.cpus[cpu].vector_irq
    flat = flat_legacy(w)
    for desc in w.irqs.values():
        if not desc.vector:
            continue
        if (desc.dev is not None and flat) or ((desc.dev is not None or desc.chip == "IO-APIC") and desc.cpu == cpu):
            slots[desc.vector] = desc.irq       # (apic_flat: a device irq's domain is every CPU)
