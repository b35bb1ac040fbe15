"""Xen's vMSI-X table intercept: the ``msixtbl_*`` handlers of xen/arch/x86/hvm/vmsi.c.

``pt_irq_create_bind`` for an MSI-X pirq registers the *device* (``msixtbl_pt_register``: one
entry per device, a reference count per binding); from then on Xen's MMIO handler looks at
every guest access to that device's table, not only at the bound entry's:

* which accesses it claims (``msixtbl_range``): before 4.6 any address in a table page Xen has
  mapped (Xen maps the table while it has any MSI-X entry of the device set up); from 4.6
  (ad28e42bd1d2) only entries that have an ``msi_desc`` (a mapped pirq).
* address/data writes: remembered per entry (``table_flags``; a read shadow for entries 0-2)
  and passed on to QEMU.
* Vector Control writes: when the entry's address/data changed since, the write goes to QEMU
  (before 4.6 any such write; from 70a3cbb8c9, 4.6, only an unmask) and from 74fd0036de (4.4;
  4.2.4, 4.3.2: ``platform.xen_msix_unmask_completion``) an unmask is applied again by Xen once
  QEMU is done (``msix_write_completion``). Otherwise Xen handles it (``platform.xen_msi_mask``):
  before 74c213c506 (4.2; 4.0.4, 4.1.3) it writes the guest's value to the physical entry as it
  is (``unchecked``); from it until a35137373a (4.4; 4.2.4, 4.3.1) it discards it (``ignored``);
  then it writes the guest's mask bit unless Xen itself has the entry masked (``direct``: then
  the write is ignored); from 4.6 ``guest_mask_msi_irq`` records the guest's bit and the physical
  bit is host OR guest (``combined``).
* reads: Vector Control is the physical bit (before 4.6) or the guest's bit (4.6+); address
  and data of entries 0-2 come from the shadow (before 4.6 even if never written since the
  registration: 0; from df9f5676b3, 4.6, only shadowed words).
* the first unmask (3a6222bd57, 4.7; 4.6.3): an unmask of an entry Xen cannot claim yet goes to
  QEMU, whose handling of it binds the entry and registers the table; ``msixtbl_range`` snoops
  such a write and ``msixtbl_pt_register`` arms ``msix_write_completion`` for it, so Xen applies
  that unmask too. Before, the entry stayed guest-masked (4.6's ``guest_masked`` starts set).
* from 64b21662b1 (4.19, ``platform.xen_dm_msix_all_writes``) a Vector Control write Xen handled
  goes on to QEMU too (``_msixtbl_write`` returns X86EMUL_UNHANDLEABLE): ``qemu.HvmAccessors``
  queues the ioreq after Xen's event; QEMU's latch follows the guest's bit.
* ``msixtbl_pt_unregister`` drops a reference; until ea87662c77 (4.22; 4.19.4, 4.20.3, 4.21.1) the test was inverted:
  the entry is deleted while other bindings still hold it, and kept when the last goes.

The model keeps ``w.xen["msixtbl"]``: device -> ``{refcnt, flags, shadow}``.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import CMD_MEMORY, ENTRY_MASKBIT
from msidbg.sim.events import HEX, INT, STR, kind

World = Any     # a world record (sim/rec.py WorldRec)
#: MAX_MSIX_ACC_ENTRIES: Xen shadows address/data of the first three entries only
SHADOWED = 3
_REG = {"addr_lo": 0, "addr_hi": 1, "data": 2}

XEN_MSIXTBL = kind("xen.msixtbl", ("entry", INT), ("value", HEX), ("how", STR),
                   doc="Xen's vMSI-X intercept serves a guest table access itself (no QEMU round trip)")

HANDLED, FORWARD, FORWARD_COMPLETE = "handled", "forward", "forward+complete"


def combined(w: World) -> bool:
    return bool(w.behaviour["xen_msi_mask"] == "combined")


# --- registration (pt_irq_create_bind / pt_irq_destroy_bind) ------------------------------------
def register(x: World, dev: str) -> None:
    """``msixtbl_pt_register``: the device's entry, created on first use, one more reference."""
    t = x["msixtbl"].get(dev)
    if t is None:
        t = x["msixtbl"][dev] = {"refcnt": 0, "flags": [], "shadow": {}}
    t["refcnt"] += 1


def unregister(w: World, dev: str) -> None:
    """``msixtbl_pt_unregister``: drop a reference; which result deletes the entry depends on
    ``platform.xen_msixtbl_refcount`` (``inverted`` before ea87662c77)."""
    x = w.xen
    t = x["msixtbl"].get(dev)
    if t is None:
        return
    t["refcnt"] -= 1
    zero = t["refcnt"] == 0
    if zero != (w.behaviour["xen_msixtbl_refcount"] == "inverted"):
        del x["msixtbl"][dev]


def desc_irq(x: World, dev: str, entry: int) -> int | None:
    """The host irq whose ``msi_desc`` is this MSI-X entry (a pirq Xen has mapped for it)."""
    irq = x["entry_irq"].get(f"{dev}#{entry}")
    if irq is None or x["irqs"][irq]["type"] != "msix":
        return None
    return int(irq)


def _table_mapped(x: World, dev: str) -> bool:
    """Before 4.6: Xen maps the device's table while any of its MSI-X entries is set up."""
    return any(h["dev"] == dev and h["type"] == "msix" for h in x["irqs"].values())


def covers(w: World, dev: str, entry: int) -> bool:
    """``msixtbl_range``: does Xen's handler claim this guest access to ``dev``'s table?"""
    x = w.xen
    if dev not in x["msixtbl"]:
        return False
    if combined(w):
        return desc_irq(x, dev, entry) is not None
    return _table_mapped(x, dev)


# --- accesses ------------------------------------------------------------------------------------------
def write(eng: Any, cpu: int, dev: str, entry: int, reg: str, value: int) -> str:
    """``msixtbl_write``: HANDLED (Xen did it and emitted the event), FORWARD (to QEMU), or
    FORWARD_COMPLETE (to QEMU, then ``completion``)."""
    w = eng.w
    x = w.xen
    t = x["msixtbl"][dev]
    if reg != "ctrl":
        if entry < SHADOWED:
            t["shadow"].setdefault(str(entry), [None, None, None])[_REG[reg]] = value
        if entry not in t["flags"]:
            t["flags"].append(entry)
        return FORWARD
    unmask = not value & ENTRY_MASKBIT
    if entry in t["flags"] and (unmask or not combined(w)):
        t["flags"].remove(entry)
        # 74fd0036de (4.4; 4.2.4, 4.3.2): msix_unmask_address, applied by msix_write_completion
        complete = unmask and w.behaviour.get("xen_msix_unmask_completion", True)
        return FORWARD_COMPLETE if complete else FORWARD
    mode = w.behaviour["xen_msi_mask"]
    irq = desc_irq(x, dev, entry)
    if mode in ("unchecked", "ignored"):
        # before a35137373a (4.4) msixtbl_write looks for no msi_desc: the table page is mapped
        # (msixtbl_range said so), so Xen takes the write -- 74c213c506 (4.2) discards it, before
        # that it goes to the physical entry as it is
        if mode == "ignored":
            eng.emit(XEN_MSIXTBL, cpu, dev, entry, value, eng.s("ctrl write discarded: the guest may not "
                                                                "change the mask bit"))
            return HANDLED
        if irq is not None:
            _because(eng, x["irqs"][irq])
        device.table_write(eng, cpu, dev, entry, "ctrl", value & ENTRY_MASKBIT)
        return HANDLED
    if irq is None:
        return FORWARD          # no msi_desc: X86EMUL_UNHANDLEABLE, the device model gets it
    hirq = x["irqs"][irq]
    if combined(w):
        hirq["guest_masked"] = not unmask
        _because(eng, hirq)
        if w.behaviour.get("xen_msix_memory_decoded") and not w.devices[dev]["cmd"] & CMD_MEMORY:
            # guest_mask_msi_irq -> msi_set_mask_bit finds memory not decoded (4.6+): no writel reaches the device;
            # a mask falls back to the Function Mask (reading xen.msix-memory-decoded, xen33)
            from msidbg.model import xen as X  # (imported here: xen imports this module)
            was = X.maskall_state(w, dev)[0]
            X.set_phys_mask(eng, dev, entry, "msix", hirq["host_masked"] or not unmask)
            how = ("Function Mask set (host_maskall): cannot mask IRQ" if X.maskall_state(w, dev)[0] and not was
                   else "nothing written")
            eng.emit(XEN_MSIXTBL, cpu, dev, entry, value, eng.s(f"ctrl write: guest_mask_msi_irq, memory not "
                                                                f"decoded: {how}"))
            return HANDLED
        device.table_write(eng, cpu, dev, entry, "ctrl", ENTRY_MASKBIT if hirq["host_masked"] or not unmask else 0)
        return HANDLED
    if hirq["host_masked"]:
        # "Do not allow guest to modify MSI-X control bit if it is masked by Xen"
        eng.emit(XEN_MSIXTBL, cpu, dev, entry, value, eng.s("ctrl write ignored: Xen has the entry masked"))
        return HANDLED
    _because(eng, hirq)
    device.table_write(eng, cpu, dev, entry, "ctrl", value & ENTRY_MASKBIT)
    return HANDLED


def _because(eng: Any, hirq: dict[str, Any]) -> None:
    """Provenance: Xen handles the guest's write itself because the entry's pirq is mapped (an
    msi_desc) and bound (the host irq started, the table registered)."""
    eng.prov.dep(PC.D_CAUSE, PK.key(PK.PTBIND, hirq["pirq"]))
    eng.prov.dep(PC.D_CAUSE, PK.key(PK.PIRQ, hirq["pirq"]))


def snooped(w: World, dev: str, entry: int) -> bool:
    """3a6222bd57 (``platform.xen_msix_snoop_unmask``): ``msixtbl_pt_register`` of ``dev``'s
    ``entry`` ends by arming ``msix_write_completion`` when the guest write in progress (the
    ioreq QEMU is serving) is an unmask of that entry's Vector Control which ``msixtbl_range``
    snooped because it could not claim it. Returns whether it did."""
    io = w.qemu["serving"]
    if io is None or not io.get("snoop") or io.get("dev") != dev or io.get("entry") != entry:
        return False
    io["complete"] = True
    return True


def completion(eng: Any, cpu: int, dev: str, entry: int) -> bool:
    """``msix_write_completion``: the unmask QEMU saw is applied through Xen's handler again.
    Returns whether anything happened (an event was emitted).

    ``msixtbl_write(v, ctrl_address, 4, 0)`` is the guest's write again: if the entry's ``table_flags``
    bit is set -- an address/data write Xen claimed since the unmask was forwarded, or one left from
    before (the entry survives its bindings under the inverted ``msixtbl_pt_unregister``) -- it clears
    the bit, arms ``msix_unmask_address`` once more and fails ("MSI-X write completion failure"): the
    unmask waits for the vCPU's next completion (``unmask_later``; reading
    ``xen.msixtbl.completion-rearm``)."""
    w = eng.w
    if not covers(w, dev, entry):
        return False
    how = write(eng, cpu, dev, entry, "ctrl", 0)
    if how == FORWARD_COMPLETE:
        keep_armed(eng, cpu, dev, entry)
    return how == HANDLED


def keep_armed(eng: Any, cpu: int, dev: str, entry: int) -> None:
    """``msix_unmask_address`` stays armed on vCPU ``cpu`` for its next completion (``unmask_later``): a
    failed ``msix_write_completion``, or an unmask the null handler dropped. With a periodic guest tick
    (``kernel.guest_tick``) and the completion at schedule-in, the vCPU's next tick is put on the agenda
    (``tick``): it wakes the vCPU if it halts by then (reading ``xen.sched.wake-schedules-in``)."""
    w = eng.w
    w.xen.setdefault("unmask_later", {})[cpu] = [dev, entry]
    next_tick(eng, cpu)


#: ``kernel.guest_tick`` -> the tick period in ns (TICK_NSEC: (NSEC_PER_SEC + HZ/2) / HZ); nohz_idle: none
TICK_NS = {"hz100": 10_000_000, "hz250": 4_000_000, "hz300": 3_333_333, "hz1000": 1_000_000}


def next_tick(eng: Any, cpu: int) -> None:
    """Put vCPU ``cpu``'s next periodic tick (the next multiple of the period after now) on the agenda,
    when the guest ticks periodically and a schedule-in would apply the unmask armed on it."""
    w = eng.w
    period = TICK_NS.get(w.behaviour.get("guest_tick"))
    if period is None or not due(w, cpu):
        return
    if any(_tick_of(it, cpu) for it in eng.agenda.values()):
        return
    eng.schedule((w.now // period + 1) * period, "xen", "tick", cpu)


def _tick_of(item: list[Any], cpu: int | None) -> bool:
    """Whether agenda item ``item`` is a represented tick (of vCPU ``cpu``; None: of any)."""
    return len(item) > 4 and item[2] == "xen" and item[3] == "tick" and (cpu is None or item[4] == cpu)


#: agenda items of the idle loops, which re-arm themselves while other work is scheduled (kernel.intx.poll-bound,
#: xen.intx.timer-bound): the spurious poll and Xen's INTx host irq work and timers
_IDLE_XEN = ("intx", "intx_timer", "intx_dpci", "tick")


def _work_ahead(eng: Any) -> bool:
    """Whether the agenda holds work a tick's vCPU could still halt after: an item that is neither a tick nor an
    idle loop's (the spurious poll, Xen's INTx timers) nor a CPU's next poll of a spin wait (a spin nothing
    else ends spins for ever once the agenda holds nothing but such items: ``Ctx.spin``). Without it the ticks
    stop, as those loops do, and the run can end."""
    from msidbg.model.kernel.intx import _spin_poll
    for it in eng.agenda.values():
        kind = it[2]
        if kind == "spoll" or (kind == "xen" and len(it) > 3 and it[3] in _IDLE_XEN):
            continue
        if kind == "cpu" and _spin_poll(eng, it):
            continue
        return True
    return False


def halted(c: Any) -> bool:
    """Whether the vCPU sits in the guest's idle loop (``hlt``: ``hvm_hlt`` -> SCHEDOP_block, blocked in
    Xen): online, no handler or stopper running, and no task running -- none, or one asleep (not waiting
    for QEMU, where the vCPU is blocked on the ioreq, nor spinning)."""
    if c.irq.stack or c.stopped or not c.online:
        return False
    proc = c.proc
    if not proc.stack:
        return proc.done is None
    from msidbg.model.cpu import SPIN_WAIT
    wait = proc.wait
    return wait is not None and "ioreq" not in wait and SPIN_WAIT not in wait


def ioreq_blocked(c: Any) -> bool:
    """Whether the vCPU is blocked in Xen on a device-model ioreq (``qemu._block``): ``hvm_send_ioreq``'s
    ``prepare_wait_on_xen_event_channel`` set ``_VPF_blocked_in_xen``, which only QEMU's notification clears
    (``default_xen_notification_fn`` -> ``vcpu_wake``); an interrupt's ``vcpu_kick`` -> ``vcpu_unblock``
    clears only ``_VPF_blocked`` (reading ``xen.sched.migrate-ioreq``). The context that trapped waits: the
    handler it interrupted in hardirq, else its task."""
    if not c.online:
        return False
    wait = c.irq.wait if c.irq.stack else c.proc.wait
    return type(wait) is dict and "ioreq" in wait


def woken(eng: Any, c: Any) -> bool:
    """An interrupt for halted vCPU ``c`` (``vlapic_set_irq`` -> ``vcpu_kick`` -> ``vcpu_unblock`` ->
    ``vcpu_wake``): Xen schedules it in before it takes the interrupt, and from f7039ee41b that
    ``hvm_do_resume`` applies an unmask a failed completion left armed on it (``resume``: this step's
    event; the vCPU accepts the interrupt at its next step). Only a vCPU that idled before it (its last step
    ended before now): an interrupt already pending when a handler or task step ends is taken without a hlt.
    Returns whether it did."""
    if c.busy_until >= eng.w.now or not due(eng.w, c.id) or not halted(c):
        return False
    resume(eng, c.id)
    return True


def tick(eng: Any, cpu: Any) -> None:
    """Agenda work ``[.., "xen", "tick", vcpu]``: the guest's periodic tick (``kernel.guest_tick``) on a vCPU
    with an unmask armed. A halted vCPU is woken (the timer interrupt or VIRQ_TIMER upcall -> vcpu_kick):
    its schedule-in applies the unmask (``resume``); when another vCPU runs on its pCPU (xensched) it waits on that
    runqueue and the schedule-in there runs ``resume`` (xensched._schedule). One blocked in Xen on a device-model
    ioreq is not
    (``ioreq_blocked``): QEMU's completion schedules it in. A running one takes the tick in guest mode: no
    schedule-in; its next tick is due while the run has other work (a vCPU that neither halts nor has
    anything ahead never will). Emits one event."""
    w = eng.w
    cpus = w.cpus
    if type(cpu) is not int or not 0 <= cpu < len(cpus) or not due(w, cpu):
        eng.emit(XEN_MSIXTBL, -1, None, -1, 0, eng.s("guest tick: no msix_unmask_address armed"))
        return
    c = cpus[cpu]
    xs = eng.model.xsched
    if halted(c) and not c.queued:     # idle, nothing due on it (a CPU with a step ahead is not in hlt)
        if xs is not None and xs.waits(w, cpu):
            # vcpu_kick -> vcpu_unblock -> vcpu_wake: runnable, but another vCPU runs on its pCPU: it waits on that
            # runqueue (xensched.wake), and vmx_do_resume -- hvm_migrate_pirqs, hvm_do_resume's completion -- is the
            # context switch's tail at its schedule-in there (xensched._schedule -> resume; reading
            # xen.sched.tick-wake-queued)
            xs.wake(eng, c)
            p = w.xen["pcpu"][cpu]
            why = (f"guest tick: vcpu_kick wakes the halted vCPU; vCPU{w.xen['sched']['run'].get(p)} runs on "
                   f"pCPU{p}: it waits on the runqueue, vmx_do_resume at its schedule-in")
            eng.emit(XEN_MSIXTBL, cpu, None, -1, 0, eng.s(why))
            return
        resume(eng, cpu)
        return
    if xs is not None and xs.waiting(w, cpu):
        # runnable already (vcpu_unblock finds _VPF_blocked clear): its schedule-in runs vmx_do_resume
        why = "guest tick: the vCPU waits on its pCPU's runqueue (runnable): vmx_do_resume at its schedule-in"
    elif not c.online:
        why = "guest tick: the vCPU is offline (VCPUOP_down): no tick, no wake-up"
    elif ioreq_blocked(c):
        # vcpu_kick -> vcpu_unblock clears only _VPF_blocked: the vCPU stays blocked on its ioreq, and QEMU's
        # completion is its schedule-in (qemu._complete; reading xen.sched.migrate-ioreq)
        why = ("guest tick: the vCPU is blocked in Xen on a device-model ioreq (_VPF_blocked_in_xen): no "
               "wake-up, QEMU's completion schedules it in")
        eng.schedule(w.now + TICK_NS[w.behaviour["guest_tick"]], "xen", "tick", cpu)
    elif _work_ahead(eng):
        why = "guest tick: the vCPU is running (the tick is taken in guest mode): no schedule-in"
        eng.schedule(w.now + TICK_NS[w.behaviour["guest_tick"]], "xen", "tick", cpu)
    else:
        why = "guest tick: the vCPU runs and nothing is ahead: no later tick represented"
    eng.emit(XEN_MSIXTBL, cpu, None, -1, 0, eng.s(why))


def is_armed(w: World, cpu: int) -> bool:
    """Whether a failed ``msix_write_completion`` left an unmask armed on vCPU ``cpu``."""
    later = w.get("xen") and w.xen.get("unmask_later")
    return bool(later) and cpu in later


def take(eng: Any, cpu: int) -> list[Any] | None:
    """``armed``, and the vCPU's represented tick goes with what it was for (``next_tick``)."""
    later = armed(eng.w, cpu)
    if later is not None and eng.w.behaviour.get("guest_tick", "nohz_idle") != "nohz_idle" \
            and not migrate_due(eng.w, cpu):
        eng.unschedule(lambda it: _tick_of(it, cpu))
    return later


def armed(w: World, cpu: int) -> list[Any] | None:
    """The ``msix_unmask_address`` a failed ``msix_write_completion`` left armed on vCPU ``cpu``,
    taken: the vCPU's next completion applies it (``hvm_io_assist`` of its next device-model round trip;
    from f7039ee41b -- 4.14, 4.12.4, 4.13.2 -- ``handle_hvm_io_completion`` at its next schedule-in,
    ``resume``)."""
    later = w.xen.get("unmask_later")
    if not later or cpu not in later:
        return None
    armed_entry: list[Any] = later.pop(cpu)
    if not later:
        del w.xen["unmask_later"]
    return armed_entry


def resume_due(w: World, cpu: int) -> bool:
    """Whether a schedule-in of vCPU ``cpu`` now would apply an armed unmask (``resume``): one is armed and
    ``platform.xen_msix_completion_at_resume`` (f7039ee41b; 4.14, 4.12.4, 4.13.2) is set."""
    return is_armed(w, cpu) and bool(w.behaviour.get("xen_msix_completion_at_resume"))


def migrate_due(w: World, cpu: int) -> bool:
    """Whether vCPU ``cpu`` was moved to another pCPU while halted and has not been scheduled in since: its
    schedule-in runs ``hvm_migrate_pirqs`` (``xen.migrate_later``; reading ``xen.sched.migrate-blocked``)."""
    later = w.get("xen") and w.xen.get("migrate_later")
    return type(later) is dict and cpu in later


def due(w: World, cpu: int) -> bool:
    """Whether a schedule-in of vCPU ``cpu`` now does something msidbg represents (``resume``): an armed
    unmask to apply (``resume_due``) or a halted vCPU's migration to finish (``migrate_due``)."""
    return resume_due(w, cpu) or migrate_due(w, cpu)


#: evtchn's schedule-in half of a halted vCPU's migration (``xen.resume_migrate`` and its event), set when
#: model/evtchn.py is imported
MIGRATE_AT_RESUME: list[Any] = []


def resume(eng: Any, cpu: Any) -> None:
    """Agenda work ``[.., "xen", "resume", vcpu]``: ``hvm_do_resume`` -> ``handle_hvm_io_completion``
    (``vcpu_ioreq_handle_completion`` from 4.15) -> ``msix_write_completion`` at a schedule-in of the vCPU
    that is not the end of a device-model round trip (``qemu._complete`` does that one): from f7039ee41b
    the unmask a failed completion left armed is applied there; before, only ``hvm_io_assist`` called it
    (reading ``xen.msixtbl.completion-at-resume``). Emits one event. When the vCPU was moved to another pCPU
    while halted, this step is ``vmx_do_resume``'s ``hvm_migrate_pirqs`` (its event) and an armed unmask's
    completion (``hvm_do_resume``, later in vmx_do_resume) a step of its own in the same instant."""
    w = eng.w
    if type(cpu) is int and migrate_due(w, cpu):
        MIGRATE_AT_RESUME[0](eng, cpu)
        if resume_due(w, cpu):
            eng.schedule(w.now, "xen", "resume", cpu)
        elif w.behaviour.get("guest_tick", "nohz_idle") != "nohz_idle":
            eng.unschedule(lambda it: _tick_of(it, cpu))
        return
    later = take(eng, cpu) if resume_due(w, cpu) else None
    if later is None:   # (a round trip of the vCPU completing at the same instant took it)
        eng.emit(XEN_MSIXTBL, cpu, None, -1, 0, eng.s("schedule-in: no msix_unmask_address armed"))
        return
    if completion(eng, cpu, later[0], later[1]):
        return
    if is_armed(w, cpu):    # the entry's table_flags bit was set again: msixtbl_write re-armed it
        why = "msix_write_completion at schedule-in failed (address/data written since): unmask armed again"
    else:
        why = "msix_write_completion at schedule-in: the entry is not claimed (no msi_desc), nothing applied"
    eng.emit(XEN_MSIXTBL, cpu, later[0], later[1], 0, eng.s(why))


def read(w: World, dev: str, entry: int, reg: str) -> tuple[int, str] | None:
    """``msixtbl_read``: (value, how) when Xen answers, None when QEMU does."""
    x = w.xen
    t = x["msixtbl"][dev]
    if reg != "ctrl":
        if entry >= SHADOWED:
            return None
        words = t["shadow"].get(str(entry))
        value = None if words is None else words[_REG[reg]]
        if value is None:
            if combined(w):
                return None     # df9f5676b3: only words Xen has seen written
            return 0, "shadow never written"
        return int(value), "shadow"
    if combined(w):
        irq = desc_irq(x, dev, entry)
        assert irq is not None, "covers() checked the msi_desc"
        return (ENTRY_MASKBIT if x["irqs"][irq]["guest_masked"] else 0), "guest mask bit"
    if not w.devices[dev]["cmd"] & CMD_MEMORY:
        # readl(virt) of a device that does not decode (its Memory Space cleared through a pre-XSA-126
        # QEMU, platform.qemu_cmd_decode_emulated false): the Unsupported Request completes with all ones
        return device.ALL_ONES, "physical: all ones (Memory Space off at the device)"
    return int(w.devices[dev]["msix"]["table"][entry]["ctrl"] & ENTRY_MASKBIT), "physical"
