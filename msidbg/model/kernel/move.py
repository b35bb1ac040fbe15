"""Affinity changes and irq moves (kernel/irq/manage.c, migration.c, cpuhotplug.c and
arch/x86/kernel/apic/msi.c).

``irq_set_affinity`` is ``irq_set_affinity_locked``: on an irq that is not activated yet the
mask is only stored (``irq_set_affinity_deactivated``, baedb87d1b53, ``affinity_on_activate``;
before it a non-pcntxt chip recorded a pending move); with interrupt remapping (or a chip with
IRQ_MOVE_PCNTXT, like Xen's pirq chip) it is applied at once; otherwise the new mask waits
(``move_pending``) for the next interrupt, where ``irq_move_irq`` applies it with the irq
masked. ``irq_set_affinity_hint`` stores the hint and then (from e2e64a932556, 4.0) does
exactly that. CPU hotplug moves irqs with ``migrate_one_irq``. ``msi_set_affinity`` writes the new message: directly,
or with 6f1a4891a592's two-step update (``plug.py``) where ``msi_affinity_update`` says so.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import kinds as K
from msidbg.model.hw import MANAGED_IRQ_SHUTDOWN_VECTOR
from msidbg.model.kernel import msi
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.irq import (
    chip_has,
    irq_of,
    mask_irq,
    online,
    set_affinity_prog,
    unmask_irq,
)
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import desc_dirty, irq_dirty
from msidbg.sim.program import program

EINVAL, EBUSY = 22, 16


def assign_vector(k: Any, desc: Any, mask: Any, loc: dict[str, Any] | None = None) -> list[int] | None:
    """The vector domain's part of a set_affinity step (apic_set_affinity / irq_chip_set_affinity_parent
    / the IO-APIC's ioapic_set_affinity): ``vec.set_affinity`` moves ``desc`` within ``mask``, its
    vector and CPU marked dirty for provenance before and after. Returns the old ``[vector, cpu]``
    (also ``loc["old"]`` when a frame keeps it), or None when the assignment failed: noted, and the
    step returns the error."""
    old = [desc.vector, desc.cpu]
    if loc is not None:
        loc["old"] = old
    desc_dirty(k, desc)     # provenance: the move's vector / CPU and slots
    ret = vec.set_affinity(k.w, desc, mask)
    desc_dirty(k, desc)
    if ret < 0:
        k.note("vector assignment failed", ret, desc.dev)
        k.ret(ret)
        return None
    return old

# --- msi_set_affinity ---------------------------------------------------------------------------
msi_set_affinity = program("msi_set_affinity", "arch/x86/kernel/apic/msi.c (no interrupt remapping)", source=(S.MSI_SET_AFFINITY, S.MSI_SET_AFFINITY_NOW, S.LEGACY_VECTOR))


@msi_set_affinity.step
def new_vector(k: Any, loc: dict[str, Any]) -> None:
    """Allocate the new target vector (apic_set_affinity); the old one stays mapped until the
    move completes."""
    desc = k.w.irqs[loc["irq"]]
    old = assign_vector(k, desc, loc["mask"], loc)
    if old is None:
        return
    if [desc.vector, desc.cpu] != old:
        k.ev(K.VECTOR_ASSIGN, desc.dev, desc.irq, desc.vector, desc.cpu)


@msi_set_affinity.step
def update_msg(k: Any, loc: dict[str, Any]) -> None:
    """Write the new message -- directly when that is safe (or always, with ``plain``)."""
    desc = k.w.irqs[loc["irq"]]
    if not needs_plug(k, desc, loc["old"]):
        k.call_then("updated", "pci_write_msi_msg", irq=loc["irq"], msg=msi.compose(k, desc), parts="all")
    elif k.cpu_id == loc["old"][1] or in_hotplug(k):
        k.call_then("updated", "msi_set_affinity_plug", irq=loc["irq"], old=loc["old"])
    else:
        k.note(f"WARN_ON_ONCE: CPU{k.cpu_id} is not the irq's target CPU{loc['old'][1]}; direct update",
               0, desc.dev)


@msi_set_affinity.step
def direct_after_warning(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    k.call("pci_write_msi_msg", irq=loc["irq"], msg=msi.compose(k, desc), parts="all")


@msi_set_affinity.step
def updated(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


#: Before 6f1a4891a592 (5.6; 4.19.103) the x86 PCI-MSI chip had no irq_set_affinity of its own:
#: MSI_FLAG_USE_DEF_CHIP_OPS gave it the generic msi_domain_set_affinity -- the parent's
#: apic_set_affinity, then irq_chip_write_msi_msg whenever that succeeded: the steps of
#: msi_set_affinity's direct path under the name that kernel has (``kernel.msi_set_affinity_name``).
msi_domain_set_affinity = program("msi_domain_set_affinity",
                                  "kernel/irq/msi.c: apic_set_affinity, then irq_chip_write_msi_msg (before 5.6)",
                                  source=(S.MSI_DOMAIN_SET_AFFINITY, S.LEGACY_VECTOR))
for _fn in (new_vector, update_msg, direct_after_warning, updated):
    msi_domain_set_affinity.step(_fn)


def chip_set_affinity(k: Any) -> str:
    """The x86 PCI-MSI chip's irq_set_affinity in this kernel: msi_set_affinity from 6f1a4891a592
    (a two-step value of ``msi_affinity_update`` implies it), msi_domain_set_affinity before."""
    if sw(k, "msi_affinity_update") == "plain" and sw(k, "msi_set_affinity_name") == "generic":
        return "msi_domain_set_affinity"
    return "msi_set_affinity"


def in_hotplug(k: Any) -> bool:
    """Is this the CPU-offline path (which the real kernel runs on the dying CPU itself)?"""
    return any(f["prog"] == "cpu_down" for f in k.ctx.stack)


def needs_plug(k: Any, desc: Any, old: list[int]) -> bool:
    """Does msi_set_affinity take the careful two-step path (``plug.py``)?

    ``msi_affinity_update``: ``plain`` -- never (before 6f1a4891a592, and 5.17-6.6 where
    ef8dd01538ea stopped setting the quirk); ``plug-race`` -- for irqs with the non-maskable
    quirk, i.e. without reservation mode (an MSI without per-vector masking, or any MSI/MSI-X
    under pci_msi_ignore_mask); ``can-reserve`` -- b56ebe7c896d tests irqd_can_reserve(): the
    slow path for irqs that *have* reservation mode (maskable, non-managed), the direct write
    for the rest. In every mode the direct write is used when the vector or the destination
    does not change, the old vector is the shutdown vector, or the irq is not started."""
    mode = sw(k, "msi_affinity_update")
    if mode == "plain":
        return False
    if mode == "plug-race" and desc["resv_mode"]:
        return False
    if mode == "can-reserve" and not desc["can_reserve"]:
        return False
    if desc.vector == old[0] or old[0] == MANAGED_IRQ_SHUTDOWN_VECTOR or not desc["started"]:
        return False
    return bool(vec.dest_apic(k.w, desc.cpu) != vec.dest_apic(k.w, old[1]))


# --- irq_set_affinity and the affinity hint ----------------------------------------------------------
set_affinity = program("irq_set_affinity", "__irq_set_affinity -> irq_set_affinity_locked",
                       source=(S.SET_AFFINITY, S.SET_AFFINITY_LOCK, S.BUSY_PENDING))


def first_cpu(mask: list[int]) -> int:
    """The ``target`` an irq.affinity event shows: the mask's first CPU (-1: an empty mask)."""
    return mask[0] if mask else -1


@set_affinity.step
def request_move(k: Any, loc: dict[str, Any]) -> None:
    """irq_set_affinity_locked keeps the mask as the caller gave it -- offline CPUs included --
    whether it stores it (irq_set_affinity_deactivated), records it as the pending move
    (irq_copy_pending) or hands it to irq_do_set_affinity, which is where an online CPU is
    required (``affinity_online_filter``); a pending move without an online CPU is dropped at
    the next interrupt (irq_move_masked_irq). IRQD_AFFINITY_SET is set whatever the result."""
    desc = irq_of(k, loc["dev"], loc["index"])
    mask = list(loc["mask"])
    if desc is None:
        k.note("no such irq", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    from msidbg.model.kernel.entry import spin_on_lock  # (entry.py's imports lead back here)

    if spin_on_lock(k, desc, k.cpu_id):
        # another CPU holds desc->lock: its flow handler (its ack, its loop between actions, its
        # irq_eoi), or its own irq_set_affinity -- __irq_set_affinity holds the lock across
        # irq_set_affinity_locked and the whole chip call, so a second writer waits for the first to
        # return (no vector assignment, IRTE write or -EBUSY of its own in between)
        return
    loc["irq"] = desc.irq
    no_domain = chip_has(desc, "no-domain")
    pcntxt = bool(k.w.platform["interrupt_remapping"]) or chip_has(desc, "move-pcntxt", k.w)
    stored = (not desc["started"] and no_domain) or (
        not no_domain and not desc["activated"] and sw(k, "affinity_on_activate"))
    desc["affinity_set"] = True
    if stored:
        desc["affinity"] = mask
        k.ev(K.IRQ_AFFINITY, desc.dev, desc.irq, first_cpu(mask), k.s("stored"))
        k.ret(0)
    elif pcntxt and not desc.move_pending:
        k.ev(K.IRQ_AFFINITY, desc.dev, desc.irq, first_cpu(mask), k.s("direct"))
        k.irq_save(loc)     # (raw_spin_lock_irqsave: no interrupt on this CPU until the chip call returns)
        desc.lock = k.cpu_id    # held across the chip call: a flow handler elsewhere spins (entry.lock_holder)
        k.call("irq_do_set_affinity", irq=desc.irq, mask=mask)
    else:
        desc.move_pending = True
        desc["pending_mask"] = mask
        irq_dirty(k, desc.irq)
        k.ev(K.IRQ_AFFINITY, desc.dev, desc.irq, first_cpu(mask), k.s("pending"))
        k.ret(0)


@set_affinity.step
def moved(k: Any, loc: dict[str, Any]) -> None:
    """irq_try_set_affinity: from 12f47073a40f (``affinity_busy_pending``) the vector domain's
    -EBUSY (the previous move's cleanup is outstanding) becomes a pending move, applied with the
    irq masked at its next interrupt (irq_move_irq), instead of an error for the caller. The
    pending mask is the caller's mask as it is (irq_set_affinity_pending -> irq_copy_pending)."""
    k.irq_restore(loc)
    ret = loc["ret"]
    desc = k.w.irqs[loc["irq"]]
    if desc.lock == k.cpu_id:
        desc.lock = -1      # raw_spin_unlock_irqrestore(&desc->lock)
    if ret == -EBUSY and sw(k, "affinity_busy_pending"):
        mask = list(loc["mask"])
        desc.move_pending = True
        desc["pending_mask"] = mask
        irq_dirty(k, desc.irq)
        k.ev(K.IRQ_AFFINITY, desc.dev, desc.irq, first_cpu(mask), k.s("pending"))
        ret = 0
    k.ret(ret if ret < 0 else 0)


hint = program("irq_set_affinity_hint", "the driver's hint: store it, then (from e2e64a932556) __irq_set_affinity",
               source=(S.HINT, S.HINT_STORE_ONLY, S.HINT_BEST_EFFORT))


@hint.step
def store_hint(k: Any, loc: dict[str, Any]) -> None:
    """desc->affinity_hint = m (shown in /proc/irq/N/affinity_hint, which irqbalance reads). From
    e2e64a932556 (``hint_sets_affinity``, 4.0) the same call then sets the affinity, best effort,
    as irq_set_affinity_and_hint() still does from 5.17 (65c7cdedeb30); before it the hint was only
    stored and the irq kept the affinity it had. Drivers converted to irq_update_affinity_hint()
    (5.17) skip the affinity too; the contract's ``hint:`` is irq_set_affinity_hint()."""
    desc = irq_of(k, loc["dev"], loc["index"])
    if desc is None:
        k.note("no such irq", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    desc["hint"] = list(loc["mask"])
    if not sw(k, "hint_sets_affinity"):
        k.note("affinity hint stored (the affinity is left as it is)", 0, desc.dev)
        k.ret(0)
        return
    k.call("irq_set_affinity", dev=loc["dev"], index=loc["index"], mask=loc["mask"])


@hint.step
def hinted(k: Any, loc: dict[str, Any]) -> None:
    """The hint is installed whatever __irq_set_affinity() returned: a best-effort move, its
    result dropped (kernel.affinity.hint-best-effort); only a missing irq is an error."""
    k.ret(0)


# --- deferred moves -------------------------------------------------------------------------------------
move_irq = program("irq_move_irq", "kernel/irq/migration.c: apply a pending move at ack time", source=(S.MOVE_IRQ, S.MOVE_REARM))


@move_irq.step
def mask_first(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    if desc.disabled:
        # __irq_move_irq: 'if (unlikely(irqd_irq_disabled(idata))) return;' before irq_move_masked_irq
        # clears IRQD_SETAFFINITY_PENDING (kernel/irq/migration.c, every release since 2.6.37's
        # move_native_irq): an edge parked on a disabled (or shut down) irq leaves the move pending for
        # the interrupt after enable_irq -- check_irq_resend's, on the irq's current CPU (redteam8)
        k.note("irq disabled: the pending move waits (__irq_move_irq returns)", 0, desc.dev)
        k.ret(0)
        return
    desc.move_pending = False
    irq_dirty(k, loc["irq"])
    if not [c for c in desc["pending_mask"] if c in online(k)]:
        desc["pending_mask"] = []
        k.note("pending affinity has no online CPU: dropped", 0, desc.dev)
        k.ret(0)
        return
    loc["mask"] = list(desc["pending_mask"])    # as it is: irq_do_set_affinity(data, desc->pending_mask)
    loc["was_masked"] = mask_irq(k, desc)


@move_irq.step
def do_move(k: Any, loc: dict[str, Any]) -> None:
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=loc["mask"])


@move_irq.step
def unmask_after(k: Any, loc: dict[str, Any]) -> None:
    """a33a5d2d16cb (4.18, ``move_busy_rearm``): a move refused with -EBUSY (the previous move's
    cleanup is outstanding) stays pending for the next interrupt; before it the pending move was
    dropped, pending_mask cleared, whatever irq_do_set_affinity returned."""
    desc = k.w.irqs[loc["irq"]]
    irq_dirty(k, loc["irq"])
    # The kernel runs irq_move_masked_irq under desc->lock: an irq_set_affinity() made meanwhile
    # (move_pending set again since mask_first) waited for the lock and records its pending move
    # after this one is done, so the cleanup below must not erase it.
    newer = desc.move_pending
    if loc["ret"] == -EBUSY and sw(k, "move_busy_rearm"):
        desc.move_pending = True  # cleanup still pending: retry at the next interrupt
    elif not newer:   # (before a33a5d2d16cb an -EBUSY drops the move too: msi_set_affinity noted the failure)
        desc["pending_mask"] = []
    if not loc["was_masked"]:
        unmask_irq(k, desc)


# --- CPU hotplug -------------------------------------------------------------------------------------------
migrate = program("migrate_one_irq", "kernel/irq/cpuhotplug.c: move an irq off a dying CPU", source=S.MIGRATE)


@migrate.step
def migrate_mask(k: Any, loc: dict[str, Any]) -> None:
    """Mask the chip, unless the irq can move in process context (remapping, Xen's pirq
    chip: ``maskchip`` is false) or is masked already."""
    desc = k.w.irqs[loc["irq"]]
    if k.w.platform["interrupt_remapping"] or chip_has(desc, "move-pcntxt", k.w):
        loc["was_masked"] = True
        return
    loc["was_masked"] = mask_irq(k, desc)


@migrate.step
def migrate_set(k: Any, loc: dict[str, Any]) -> None:
    """irq_do_set_affinity; before 4.13 x86 fixup_irqs called the chip's irq_set_affinity itself
    (``chip_only``), which leaves the irq's affinity mask as it was."""
    if loc.get("chip_only"):
        desc = k.w.irqs[loc["irq"]]
        k.call(set_affinity_prog(k, desc), irq=loc["irq"], mask=loc["mask"])
        return
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=loc["mask"])


@migrate.step
def migrate_unmask(k: Any, loc: dict[str, Any]) -> None:
    if not loc["was_masked"]:
        unmask_irq(k, k.w.irqs[loc["irq"]])
    k.ret(loc["ret"])
