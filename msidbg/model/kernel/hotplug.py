"""CPU hotplug: ``cpu_down`` migrates the outgoing CPU's irqs, ``cpu_up`` brings it back.

Offline follows x86 ``fixup_irqs`` (arch/x86/kernel/irq.c) and ``irq_migrate_all_off_this_cpu``
/ ``migrate_one_irq`` (kernel/irq/cpuhotplug.c): ``irq_force_complete_move`` drops an old
vector left by a move -- before 6.10 only for the irqs that are migrated, from a6c11c0a5235
for every irq whose current or previous target is the dying CPU (``hotplug_force_complete``);
irqs targeting the dying CPU are moved with ``migrate_one_irq`` (masked, when the chip cannot
move in process context), and a managed irq with no other CPU of its mask online is shut down
instead; then ``mdelay(1)``; then vectors still pending in the dying CPU's IRR are retriggered
to their irq's new target and marked RETRIGGERED. ``lapic_offline`` (6.6+) frees what waits
for this CPU's cleanup timer. The vector domain already counts the dying CPU as offline
(``vector.cpu_online``), so the old vector of a migrated irq is released at once.
The model runs these steps in the process context of the CPU that asked for the
hotplug, rather than on the dying CPU itself; as in stop_machine, every other online CPU
is stopped meanwhile (signals wait in IRR, tasks wait), so the dying CPU accepts nothing
while its irqs are moved.

Online is INIT-SIPI: the local APIC comes up with IRR and ISR clear (whatever was
pending there is gone) and ``lapic_online`` resets ``vector_irq``; then
``irq_affinity_online_cpu`` restarts the managed irqs shut down for lack of a CPU
(``irq_restore_affinity_of_irq`` -> ``irq_startup``).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic
from msidbg.model import kinds as K
from msidbg.model.hw import IRQ_MOVE_CLEANUP_VECTOR, VECTOR_CLEANUP, VECTOR_RETRIGGERED, words_test
from msidbg.model.kernel import entry
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.irq import chip_has
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import cleanup_dirty, cpu_dirty, desc_dirty, irq_dirty
from msidbg.sim.program import program

EBUSY, EACCES = 16, 13


def no_online_file(k: Any, cpu: int) -> bool:
    """x86 CPU0 is not hotpluggable unless ``cpu0_hotplug`` (3.8..6.4, a boot parameter): it has
    no ``online`` file, and ``echo 0 > /sys/devices/system/cpu/cpu0/online`` fails to open it
    (O_CREAT in a sysfs directory: -EACCES)."""
    if cpu != 0 or sw(k, "cpu0_hotplug"):
        return False
    k.note("CPU0 is not hotpluggable: /sys/devices/system/cpu/cpu0/online does not exist", -EACCES)
    k.ret(-EACCES)
    return True


def hotplug_busy(k: Any) -> bool:
    """Another CPU is in the middle of a hotplug operation: refuse with -EBUSY.

    stop_machine keeps every other CPU's tasks waiting, so this only guards against a request
    that starts anyway; the real kernel would sleep on cpu_hotplug_lock.
    """
    if k.kernel["hotplug"] < 0:
        return False
    k.note(f"CPU{k.kernel['hotplug']} is in a CPU hotplug operation (cpu_hotplug_lock)", -EBUSY)
    k.ret(-EBUSY)
    return True


down = program("cpu_down", "take a CPU offline: fixup_irqs on the outgoing CPU", source=(S.FIXUP_IRQS, S.X86_FIXUP_IRQS, S.LEGACY_VECTOR, S.MIGRATE, S.FORCE_COMPLETE, S.CPU_DISABLE, S.CLEANUP_TIMER, S.CPU0_NOT_HOTPLUG, S.ONLINE_STORE))


@down.step
def check(k: Any, loc: dict[str, Any]) -> None:
    if no_online_file(k, loc["cpu"]):
        return
    target = k.w["cpus"][loc["cpu"]]
    if not target["online"]:
        # device_offline() returns 1 for a device already offline; online_store() returns the count
        k.note("CPU is already offline: the write succeeds and does nothing", 0)
        k.ret(0)
        return
    if len(vec.online_cpus(k.w)) < 2:
        k.note("the last online CPU", -EBUSY)
        k.ret(-EBUSY)
        return
    if hotplug_busy(k):
        return
    k.kernel["hotplug"] = k.cpu_id
    k.irq_save(loc)
    # stop_machine: every other online CPU spins in multi_cpu_stop with interrupts off
    # (signals pile up in their IRRs, their tasks wait) until take_cpu_down is done. A handler
    # already running finishes first, as the stopper thread only runs once it returns.
    loc["stopped"] = []
    for c in k.w["cpus"]:
        if c["online"] and c is not k.cpu:
            loc["stopped"].append(c["id"])
            c["stopped"] = True
            k.eng.model.park(k.eng, c)
    loc["irqs"] = sorted(i for i, d in k.w["irqs"].items() if d["dev"] is not None)
    loc["i"] = 0
    k.note(f"take_cpu_down: CPU{loc['cpu']} enters stop_machine", loc["cpu"])


def _x86_fixup_irqs(k: Any, loc: dict[str, Any]) -> None:
    """fixup_irqs' own loop before 4.13 (``hotplug_migration: x86``): every irq with an action whose
    affinity mask is no longer a subset of the online CPUs -- the dying CPU is in it, wherever the
    irq is targeted -- has its move force-completed and is re-set (chip->irq_set_affinity, forced,
    masked around unless it moves in process context) to that mask, or to every online CPU when
    none of it is left ("Broke affinity"); the mask itself is not updated. No managed shutdown,
    no pending-move fixup."""
    dying = loc["cpu"]
    while loc["i"] < len(loc["irqs"]):
        irq = loc["irqs"][loc["i"]]
        loc["i"] += 1
        desc = k.w["irqs"].get(irq)
        if desc is None or desc["action"] is None:
            continue
        online = [c for c in vec.online_cpus(k.w) if c != dying]
        if all(c in online for c in desc["affinity"]):
            continue
        prev_cpu = desc["prev_cpu"]
        desc_dirty(k, desc)     # provenance: the old vector's slot it may free, the move state
        freed = vec.force_complete_move(k.w, desc, dying)
        mask = [c for c in desc["affinity"] if c in online] or online
        k.call("migrate_one_irq", irq=irq, mask=mask, chip_only=True)
        if freed:
            k.ev(K.VECTOR_FREE, desc["dev"], irq, freed, prev_cpu)
        return


@down.step
def each_irq(k: Any, loc: dict[str, Any]) -> None:
    """migrate_one_irq for every active irq (force-complete moves first)."""
    if sw(k, "hotplug_migration") == "x86":
        _x86_fixup_irqs(k, loc)
        return
    dying = loc["cpu"]
    involved = sw(k, "hotplug_force_complete") == "involved"
    while loc["i"] < len(loc["irqs"]):
        irq = loc["irqs"][loc["i"]]
        loc["i"] += 1
        desc = k.w["irqs"].get(irq)
        if desc is None:
            continue
        prev_cpu = desc["prev_cpu"]
        fixup = desc["started"] and desc["effective"] == dying
        desc_dirty(k, desc)     # provenance: the old vector's slot it may free, the move state
        freed = vec.force_complete_move(k.w, desc, dying) if fixup or involved else 0
        if fixup:
            mask, loc["broken"] = _new_mask(k, desc, dying)
            if mask:
                k.call("migrate_one_irq", irq=irq, mask=mask)
            else:  # a managed irq whose last online CPU goes: shut it down, keep its affinity
                desc["managed_shutdown"] = True
                k.call("irq_shutdown_and_deactivate", irq=irq)
            if freed:
                k.ev(K.VECTOR_FREE, desc["dev"], irq, freed, prev_cpu)
            return
        fixup_move_pending(k, desc, dying, False)
        if freed:
            k.ev(K.VECTOR_FREE, desc["dev"], irq, freed, prev_cpu)
            k.again()
            return


def fixup_move_pending(k: Any, desc: dict[str, Any], dying: int, consume: bool) -> bool:
    """irq_fixup_move_pending: a pending move with no CPU left besides the dying one is
    dropped; otherwise True, and with ``consume`` the move is no longer pending (the
    migration applies it)."""
    if not desc["move_pending"]:
        return False
    irq_dirty(k, desc["irq"])
    if not [c for c in desc["pending_mask"] if c != dying and vec.cpu_online(k.w, c)]:
        desc["move_pending"], desc["pending_mask"] = False, []
        return False
    if consume:
        desc["move_pending"] = False
    return True


def _new_mask(k: Any, desc: dict[str, Any], dying: int) -> tuple[list[int], bool]:
    """(mask, broken): where migrate_one_irq sends the irq -- the pending move's mask if there
    is one, else its affinity, as it is (offline and dying CPUs included: irq_do_set_affinity
    stores the mask it was given as the irq's affinity, the chip targets an online CPU of it);
    cpu_online_mask when neither has an online CPU left, which becomes the stored affinity
    ("affinity broken") -- but [] for a managed irq, which is shut down instead, its affinity
    kept."""
    others = [c for c in vec.online_cpus(k.w) if c != dying]
    want = desc["affinity"]
    if fixup_move_pending(k, desc, dying, True):
        want, desc["pending_mask"] = desc["pending_mask"], []
    if [c for c in want if c in others]:
        return list(want), False
    if desc["is_managed"]:
        return [], False
    return others, True


@down.step
def next_irq(k: Any, loc: dict[str, Any]) -> None:
    """irq_migrate_all_off_this_cpu: 'IRQ %u: no longer affine to CPU%u' for an irq whose
    affinity was broken -- unless irq_do_set_affinity failed (migrate_one_irq: brokeaff = false)."""
    if loc.pop("broken", False) and loc.get("ret", 0) >= 0:
        irq = loc["irqs"][loc["i"] - 1]
        k.note(f"IRQ {irq}: no longer affine to CPU{loc['cpu']}", irq, k.w["irqs"][irq]["dev"])
    if loc["i"] < len(loc["irqs"]):
        k.goto("each_irq")


@down.step
def mdelay(k: Any, loc: dict[str, Any]) -> None:
    """fixup_irqs: mdelay(1) before the IRR scan, to let interrupts in flight land."""
    k.ev(K.KERNEL, None, k.s("fixup_irqs"), k.s("mdelay(1) before the IRR scan"), 1, cost="fixup_irqs_mdelay")


@down.step
def fixup_irr(k: Any, loc: dict[str, Any]) -> None:
    """Vectors still pending in the dying CPU's IRR: retrigger to the irq's new target."""
    target = k.w["cpus"][loc["cpu"]]
    for v in sorted(target["vector_irq"]):
        slot = target["vector_irq"][v]
        if not isinstance(slot, int) or isinstance(slot, bool) or not words_test(target["irr"], v):
            continue
        desc = k.w["irqs"][slot]
        srcs = target["irr_src"].pop(v, [])
        new = k.w["cpus"][desc["cpu"]]
        for s in srcs or [None]:
            apic.receive(new, desc["vector"], s)
        k.eng.model.wake(k.eng, new)
        target["vector_irq"][v] = VECTOR_RETRIGGERED
        cpu_dirty(k, loc["cpu"])


@down.step
def offline(k: Any, loc: dict[str, Any]) -> None:
    target = k.w["cpus"][loc["cpu"]]
    if vec.timer_cleanup(k.w):
        # lapic_offline: __vector_cleanup(cl, false), then the timer is deleted
        cleanup_dirty(k, target)
        vec.cleanup_this_cpu(k.w, target, check_irr=False)
        entry.cancel_cleanup_timer(k.eng, target)
    target["online"] = False
    cpu_dirty(k, loc["cpu"])   # provenance: its online flag and the slots it drops
    for v in list(target["vector_irq"]):
        if target["vector_irq"][v] != VECTOR_RETRIGGERED and target["vector_irq"][v] != VECTOR_CLEANUP:
            target["vector_irq"].pop(v)
    for dev, idx, n in apic.reset(target):
        acct.lost(k.eng, dev, idx, n, f"were pending in CPU{loc['cpu']}'s IRR when it went offline")
    k.irq_restore(loc)
    for cid in loc["stopped"]:
        c = k.w["cpus"][cid]
        c["stopped"] = False
        if c is not target:
            k.eng.model.wake(k.eng, c)
    if target is not k.cpu:
        k.eng.model.park(k.eng, target)
    k.kernel["hotplug"] = -1
    k.ev(K.CPU_OFFLINE, None, loc["cpu"], cost="hotplug")
    k.ret(0)


up = program("cpu_up", "bring a CPU online: INIT-SIPI, lapic_online, irq_affinity_online_cpu", source=(S.LAPIC_ONLINE, S.LEGACY_VECTOR, S.RESTORE, S.CPU0_NOT_HOTPLUG, S.ONLINE_STORE))


@up.step
def start(k: Any, loc: dict[str, Any]) -> None:
    if no_online_file(k, loc["cpu"]):
        return
    target = k.w["cpus"][loc["cpu"]]
    if target["online"]:
        # device_online() returns 1 for a device already online; online_store() returns the count
        k.note("CPU is already online: the write succeeds and does nothing", 0)
        k.ret(0)
        return
    if hotplug_busy(k):
        return
    for dev, idx, n in apic.reset(target):
        acct.lost(k.eng, dev, idx, n, f"were in CPU{loc['cpu']}'s IRR, cleared by INIT")
    target["vector_irq"] = {} if vec.timer_cleanup(k.w) else {IRQ_MOVE_CLEANUP_VECTOR: VECTOR_CLEANUP}
    target["cleanup"] = []
    if vec.legacy(k.w):
        vec.legacy_online_slots(k.w, loc["cpu"])
    target["online"] = True
    cpu_dirty(k, loc["cpu"])   # provenance: its online flag and fresh slots
    loc["irqs"] = sorted(i for i, d in k.w["irqs"].items() if d["is_managed"])
    k.ev(K.CPU_ONLINE, None, loc["cpu"], cost="hotplug")
    k.eng.model.wake(k.eng, target)


@up.step
def restore_managed(k: Any, loc: dict[str, Any]) -> None:
    """irq_restore_affinity_of_irq: a requested managed irq shut down for lack of a CPU, whose
    mask holds the new CPU, starts again (x86 irqs have a single target: nothing else moves)."""
    while loc["irqs"]:
        desc = k.w["irqs"].get(loc["irqs"].pop(0))
        if (desc is None or desc["action"] is None or not desc["managed_shutdown"]
                or loc["cpu"] not in desc["affinity"] or chip_has(desc, "no-domain")):
            continue
        loc["irq"] = desc["irq"]
        k.irq_save(loc)
        k.call_then("restored", "irq_startup", irq=desc["irq"])
        return
    k.ret(0)


@up.step
def restored(k: Any, loc: dict[str, Any]) -> None:
    k.irq_restore(loc)
    k.goto("restore_managed")
