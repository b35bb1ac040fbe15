"""The x86 vector domain: per-CPU vector matrix, vector_irq, reservation, moves and cleanup.

Modelled on arch/x86/kernel/apic/vector.c (matrix allocator era, 4.15+): a non-managed
MSI irq gets only a global *reservation* at allocation (its message points at
MANAGED_IRQ_SHUTDOWN_VECTOR on the first online CPU); a real vector is assigned at
activation (request_irq). A move keeps the old vector mapped (``move_in_progress``) until
the first interrupt arrives on the new vector on the new CPU; that sends the cleanup IPI to
the old CPU, whose handler frees the old vector -- unless it is still pending in IRR there.
These are plain functions over the world; the programs in ``irq.py`` call them inside steps.
"""

from __future__ import annotations

from typing import Any

from msidbg.model.hw import (
    FIRST_DEVICE_VECTOR,
    FIRST_SYSTEM_VECTOR,
    IRQ_MOVE_CLEANUP_VECTOR,
    MANAGED_IRQ_SHUTDOWN_VECTOR,
    VECTOR_SHUTDOWN,
    words_clear,
    words_set,
    words_test,
)

World = dict[str, Any]
EBUSY, ENOSPC = 16, 28

# Bits of the allocatable device range [0x21, 0xEC) in the 8 x 32-bit words of a matrix map.
_RANGE_WORDS = [0] * 8
for _v in range(FIRST_DEVICE_VECTOR, FIRST_SYSTEM_VECTOR):
    words_set(_RANGE_WORDS, _v)


def online_cpus(w: World) -> list[int]:
    return [c["id"] for c in w["cpus"] if c["online"]]


def dying_cpu(w: World) -> int:
    """The CPU a ``cpu_down`` is taking out of cpu_online_mask right now, or -1.

    remove_cpu_from_maps() clears the outgoing CPU from cpu_online_mask *before* fixup_irqs()
    migrates its irqs, while its local APIC still takes messages (fixup_irqs retriggers what
    lands in its IRR). The model keeps ``online`` for the APIC until cpu_down's last step and
    finds the CPU going down in the cpu_down frame of the CPU holding the hotplug lock.
    """
    req = w["kernel"]["hotplug"]
    if req < 0:
        return -1
    for f in w["cpus"][req]["proc"]["stack"]:
        if f["prog"] == "cpu_down":
            return int(f["locals"]["cpu"])
    return -1


def cpu_online(w: World, cpu: int) -> bool:
    """cpu_online(cpu) as the vector domain sees it (the dying CPU is already out)."""
    return bool(w["cpus"][cpu]["online"]) and cpu != dying_cpu(w)


def available(cpu: dict[str, Any]) -> int:
    """Free device vectors on a CPU (what matrix_find_best_cpu compares)."""
    alloc = cpu["alloc"]
    return sum((r & ~a).bit_count() for r, a in zip(_RANGE_WORDS, alloc, strict=True))


def matrix_alloc(w: World, mask: list[int]) -> tuple[int, int]:
    """Pick the online CPU in ``mask`` with the most free vectors (lowest id on a tie),
    then its lowest free device vector. Returns (vector, cpu) or (-ENOSPC, -1)."""
    best, best_avl = -1, 0
    for cid in mask:
        c = w["cpus"][cid]
        if not c["online"]:
            continue
        avl = available(c)
        if avl > best_avl:
            best, best_avl = cid, avl
    if best < 0:
        return -ENOSPC, -1
    alloc = w["cpus"][best]["alloc"]
    for v in range(FIRST_DEVICE_VECTOR, FIRST_SYSTEM_VECTOR):
        if not words_test(alloc, v):
            words_set(alloc, v)
            return v, best
    return -ENOSPC, -1


def matrix_free(w: World, cpu: int, vector: int) -> None:
    words_clear(w["cpus"][cpu]["alloc"], vector)


def dest_apic(w: World, cpu: int) -> int:
    return int(w["cpus"][cpu]["apic_id"])


def reserve(w: World, desc: dict[str, Any]) -> None:
    """reserve_irq_vector_locked: global reservation, message -> shutdown vector on CPU0."""
    desc["can_reserve"] = True
    desc["has_reserved"] = True
    first = online_cpus(w)[0]
    desc["vector"] = MANAGED_IRQ_SHUTDOWN_VECTOR
    desc["cpu"] = first
    desc["effective"] = first


def update_vector(w: World, desc: dict[str, Any], newvec: int, newcpu: int) -> None:
    """apic_update_vector: keep the old vector for cleanup if its CPU is online; otherwise
    (also the CPU being taken down) it goes back to the matrix at once. Its ``vector_irq``
    slot stays: fixup_irqs still looks there for signals pending in the dying CPU's IRR."""
    desc["prev_vector"] = 0
    old, oldcpu = desc["vector"], desc["cpu"]
    if old and old != MANAGED_IRQ_SHUTDOWN_VECTOR:
        if cpu_online(w, oldcpu):
            desc["move_in_progress"] = True
            desc["prev_vector"] = old
            desc["prev_cpu"] = oldcpu
        else:
            matrix_free(w, oldcpu, old)
    desc["vector"] = newvec
    desc["cpu"] = newcpu
    desc["effective"] = newcpu
    w["cpus"][newcpu]["vector_irq"][newvec] = desc["irq"]


def assign_vector_locked(w: World, desc: dict[str, Any], mask: list[int]) -> int:
    """0 if the irq already targets an online CPU in ``mask`` or got a new vector there."""
    cpu = desc["cpu"]
    if (desc["vector"] and desc["vector"] != MANAGED_IRQ_SHUTDOWN_VECTOR
            and w["cpus"][cpu]["online"] and cpu in mask):
        return 0
    if desc["move_in_progress"] or desc["cleanup_pending"]:
        return -EBUSY
    vector, newcpu = matrix_alloc(w, mask)
    if vector < 0:
        return vector
    update_vector(w, desc, vector, newcpu)
    return 0


def assign_any(w: World, desc: dict[str, Any]) -> int:
    """assign_irq_vector_any_locked: the irq's affinity, else any online CPU."""
    online = online_cpus(w)
    mask = [c for c in desc["affinity"] if c in online]
    if mask and assign_vector_locked(w, desc, mask) == 0:
        return 0
    return assign_vector_locked(w, desc, online)


def activate(w: World, desc: dict[str, Any]) -> int:
    """x86_vector_activate for a reserved (non-managed) irq."""
    if not desc["has_reserved"]:
        return 0
    ret = assign_any(w, desc)
    if ret == 0:
        desc["has_reserved"] = False
    return ret


def clear_vector(w: World, desc: dict[str, Any]) -> list[tuple[int, int]]:
    """clear_irq_vector: SHUTDOWN sentinels in vector_irq, vectors back to the matrix."""
    freed: list[tuple[int, int]] = []
    vector = desc["vector"]
    if not vector or vector == MANAGED_IRQ_SHUTDOWN_VECTOR:
        return freed
    cpus = w["cpus"]
    cpus[desc["cpu"]]["vector_irq"][vector] = VECTOR_SHUTDOWN
    matrix_free(w, desc["cpu"], vector)
    freed.append((vector, desc["cpu"]))
    desc["vector"] = 0
    prev = desc["prev_vector"]
    if prev:
        cpus[desc["prev_cpu"]]["vector_irq"][prev] = VECTOR_SHUTDOWN
        matrix_free(w, desc["prev_cpu"], prev)
        freed.append((prev, desc["prev_cpu"]))
        desc["prev_vector"] = 0
        desc["move_in_progress"] = False
    _unqueue_cleanup(w, desc)
    return freed


def deactivate(w: World, desc: dict[str, Any]) -> list[tuple[int, int]]:
    """x86_vector_deactivate: release the vector(s), back to a reservation. Irqs that were
    never reservable (non-maskable MSI, masking disabled) keep their fixed vector."""
    if desc["has_reserved"] or not desc["can_reserve"]:
        return []
    freed = clear_vector(w, desc)
    reserve(w, desc)
    return freed


def complete_move(w: World, desc: dict[str, Any], vector: int, cpu: int) -> bool:
    """__irq_complete_move: the first interrupt on the new vector, on the new CPU, starts
    the cleanup of the old one. Returns True when a cleanup IPI must be sent."""
    if not desc["move_in_progress"] or vector != desc["vector"] or cpu != desc["cpu"]:
        return False
    desc["move_in_progress"] = False
    prev_cpu = desc["prev_cpu"]
    if w["cpus"][prev_cpu]["online"]:
        w["cpus"][prev_cpu]["cleanup"].append(desc["irq"])
        desc["cleanup_pending"] = True
        return True
    desc["prev_vector"] = 0
    return False


def free_moved_vector(w: World, desc: dict[str, Any]) -> tuple[int, int]:
    vector, cpu = desc["prev_vector"], desc["prev_cpu"]
    matrix_free(w, cpu, vector)
    w["cpus"][cpu]["vector_irq"].pop(vector, None)
    desc["prev_vector"] = 0
    desc["move_in_progress"] = False
    _unqueue_cleanup(w, desc)
    return vector, cpu


def cleanup_this_cpu(w: World, cpu: dict[str, Any]) -> tuple[list[int], bool]:
    """smp_irq_move_cleanup_interrupt: free the moved vectors queued on this CPU, except
    those still pending in this CPU's IRR (retried by a self-IPI). Returns (freed, retry)."""
    freed: list[int] = []
    retry = False
    for irq in list(cpu["cleanup"]):
        desc = w["irqs"][irq]
        if words_test(cpu["irr"], desc["prev_vector"]):
            retry = True
            continue
        freed.append(free_moved_vector(w, desc)[0])
    return freed, retry


def force_complete_move(w: World, desc: dict[str, Any], dying: int) -> int:
    """irq_force_complete_move on the outgoing CPU: drop the old vector if the irq is, or
    was, on the dying CPU (or the old one is offline). Returns the freed vector or 0.

    An irq moved *onto* the dying CPU counts too: with its move still in progress,
    migrate_one_irq's assignment would get -EBUSY and leave it on a CPU that goes away.
    """
    vector = desc["prev_vector"]
    if not vector:
        return 0
    prev_cpu = desc["prev_cpu"]
    if desc["cpu"] != dying and prev_cpu != dying and w["cpus"][prev_cpu]["online"]:
        return 0
    return free_moved_vector(w, desc)[0]


def _unqueue_cleanup(w: World, desc: dict[str, Any]) -> None:
    if desc["cleanup_pending"]:
        for c in w["cpus"]:
            if desc["irq"] in c["cleanup"]:
                c["cleanup"].remove(desc["irq"])
        desc["cleanup_pending"] = False


def cleanup_vector() -> int:
    return IRQ_MOVE_CLEANUP_VECTOR
