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
These steps are the ``take_cpu_down`` program, run as stop_machine_cpuslocked(take_cpu_down, NULL,
cpumask_of(cpu)) runs it: on the dying CPU, interrupts off (kernel/cpu.c takedown_cpu; __cpu_disable ->
native_cpu_disable -> lapic_can_unplug_cpu, cpu_disable_common -> fixup_irqs, lapic_offline;
then the CPU_DYING states, migrate_tasks before 5.11). The CPU that asked for the hotplug (the
control task) waits for it in multi_cpu_stop, then runs the DEAD callbacks (``xen_cpu_dead``) and
the model's ``offline``. The engine gives a CPU one process context: the dying CPU's own task is
kept in the take_cpu_down frame (``task``) while it runs, and given back after it (offdying).
Every other online CPU is stopped meanwhile (signals wait in IRR, tasks wait).
When take_cpu_down returns every CPU leaves multi_cpu_stop with its saved interrupt flags restored
(MULTI_STOP_EXIT), the dying one too: until its idle task's do_idle disables them and reports it dead
(cpuhp_report_idle_dead, which the control CPU's wait_for_ap_thread waits for) it takes what is
pending -- an IRR vector fixup_irqs left VECTOR_RETRIGGERED or VECTOR_UNUSED, a Xen vCPU's upcall,
which empties its event queue before the CPU_DEAD drain (dyingdrain; ``IDLE_DEAD``). Before 5.4
(``dying_irqs_off: play-dead``) the report came first and interrupts stayed on up to play_dead_common.

Online is INIT-SIPI: the local APIC comes up with IRR and ISR clear (whatever was
pending there is gone) and ``lapic_online`` resets ``vector_irq``; then
``irq_affinity_online_cpu`` restarts the managed irqs shut down for lack of a CPU
(``irq_restore_affinity_of_irq`` -> ``irq_startup``).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic, ioapic
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import (
    IRQ_MOVE_CLEANUP_VECTOR,
    VECTOR_CASCADE,
    VECTOR_CLEANUP,
    VECTOR_RETRIGGERED,
    words_test,
)
from msidbg.model.kernel import entry
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.irq import chip_has
from msidbg.model.kernel.sw import sw, sw_w
from msidbg.model.provkernel import (
    apic_reset_dirty,
    cleanup_dirty,
    cpu_dirty,
    desc_dirty,
    irq_dirty,
    rsvd_warning,
)
from msidbg.sim.program import new_frame, program
from msidbg.sim.scheduler import EngineError

EBUSY, EACCES, ENOSPC, ERANGE = 16, 13, 28, 34


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
    """Another CPU is in the middle of a hotplug operation: wait for it (the step runs again).

    The sysfs write waits until the other operation is done -- its CPU_DEAD callbacks included
    (``xen_cpu_dead``), after stop_machine has let this CPU go: online_store's
    lock_device_hotplug_sysfs tries device_hotplug_lock, else sleeps 5 ms and restarts the write.
    The model polls it as a spin wait (one note, then silent polls), so it starts at once when the
    lock is free, not at the next 5 ms retry (reading kernel.hotplug.lock). It used to refuse with -EBUSY.
    """
    holder = k.kernel["hotplug"]
    if holder < 0:
        sleeps(k, False)
        return False
    sleeps(k, True)     # (lock_device_hotplug_sysfs: msleep(5) between tries)
    k.spin(f"cpu_hotplug_lock: CPU{holder} is in a CPU hotplug operation", holder)
    return True


down = program("cpu_down", "take a CPU offline: fixup_irqs on the outgoing CPU", source=(S.TIMERS_DEAD, S.STOP_MACHINE, S.IDLE_DEAD, S.TAKEDOWN, S.FIXUP_IRQS, S.X86_FIXUP_IRQS, S.LEGACY_VECTOR, S.MIGRATE, S.FORCE_COMPLETE, S.CPU_DISABLE, S.CLEANUP_TIMER, S.CPU0_NOT_HOTPLUG, S.ONLINE_STORE))


@down.step
def check(k: Any, loc: dict[str, Any]) -> None:
    if no_online_file(k, loc["cpu"]):
        return
    # online_store takes device_hotplug_lock (lock_device_hotplug_sysfs) before device_offline
    # looks at the CPU: a write racing another CPU's hotplug operation waits for it, then sees
    # the state it left (drivers/base/core.c online_store, v4.19 / v6.6)
    if hotplug_busy(k):
        return
    target = k.w.cpus[loc["cpu"]]
    if not target["online"]:
        # device_offline() returns 1 for a device already offline; online_store() returns the count
        k.note("CPU is already offline: the write succeeds and does nothing", 0)
        k.ret(0)
        return
    if len(vec.online_cpus(k.w)) < 2:
        k.note("the last online CPU", -EBUSY)
        k.ret(-EBUSY)
        return
    k.kernel["hotplug"] = k.cpu_id
    # stop_machine (kernel/stop_machine.c): every online CPU's stopper thread runs multi_cpu_stop;
    # all of them ack MULTI_STOP_PREPARE, then disable interrupts and ack MULTI_STOP_DISABLE_IRQ,
    # and only then does the outgoing CPU run take_cpu_down. A stopper thread runs once its CPU
    # leaves hardirq, so a CPU still in a handler holds everyone: the others spin in PREPARE with
    # interrupts on, their tasks preempted. (The requesting CPU's steps stand in for take_cpu_down.)
    loc["stopped"] = [c.id for c in k.w.cpus if c.online and c is not k.cpu]
    # (xen33) a vCPU another vCPU's pCPU time holds -- the requester's, a spinning stopper's, a task's -- runs its
    # stopper thread only once Xen's scheduler switches to it (kernel.hotplug.stopper-spins)
    waits = sched_late(k.w, loc["stopped"], k.cpu_id)
    stopper_wakeups(k, [cid for cid in loc["stopped"] if cid not in waits])
    late = [cid for cid in loc["stopped"] if in_hardirq(k.eng, k.w.cpus[cid]) or takes_irq(k.eng, k.w.cpus[cid])
            or in_atomic_task(k.eng, k.w.cpus[cid]) or in_ioreq(k.w.cpus[cid]) or cid in waits]
    if not late:
        loc["phase"] = "run"
        return
    loc["phase"] = "prepare"
    io = [cid for cid in late if in_ioreq(k.w.cpus[cid])]
    for cid in loc["stopped"]:
        c = k.w.cpus[cid]
        if cid in late:
            c.stopped = ARRIVING     # its stopper runs when it leaves hardirq, or its task's irqsave section
        else:
            preempt_task(k.eng, c)
        cpu_dirty(k, cid)
    for cid in loc["stopped"]:
        c = k.w.cpus[cid]
        if cid not in late:
            spin_in(k.eng, c)       # (Xen: it acked PREPARE and spins in multi_cpu_stop -- running, holding its pCPU)
        elif cid in waits and not in_ioreq(c):
            if c.queued:
                k.eng.model.xsched.kick(k.eng, cid)
            else:
                _enqueue(k.eng, c, max(k.now, c.busy_until))     # (stop_machine's IPI wakes it: it waits for its pCPU)
    if io:      # (xenred30: a vCPU blocked in Xen on a device-model ioreq; the others' note is unchanged)
        k.note(f"stop_machine: the stopper thread of CPU{', CPU'.join(map(str, late))} waits (MULTI_STOP_PREPARE): "
               f"vCPU{', vCPU'.join(map(str, io))} blocked in Xen on a QEMU ioreq (_VPF_blocked_in_xen) until "
               "QEMU completes the trapped access", late[0])
    elif waits:
        held = k.w.xen["sched"]["run"]
        pc = k.w.xen["pcpu"]
        k.note(f"stop_machine: the stopper thread of CPU{', CPU'.join(map(str, late))} waits (MULTI_STOP_PREPARE): "
               + "; ".join(f"vCPU{cid} waits for pCPU{pc[cid]} (vCPU{held.get(pc[cid], k.cpu_id)} runs there)"
                           for cid in waits), late[0])
    elif any(non_preemptible(k.w, k.w.cpus[cid]) for cid in late):
        # (kernel34, kernel.preempt: none: the other notes are unchanged)
        held = [cid for cid in late if non_preemptible(k.w, k.w.cpus[cid])]
        k.note(f"stop_machine: the stopper thread of CPU{', CPU'.join(map(str, late))} waits (MULTI_STOP_PREPARE): "
               f"the task on CPU{', CPU'.join(map(str, held))} runs kernel code without CONFIG_PREEMPTION "
               "(kernel.preempt: none) until it sleeps or returns to user space", late[0])
    else:
        k.note(f"stop_machine: the stopper thread of CPU{', CPU'.join(map(str, late))} waits for it to leave "
               "hardirq (MULTI_STOP_PREPARE)", late[0])
    P = k.eng.prov      # provenance: this context now waits for the rendezvous (stopper_runs ends it)
    held = [cid for cid in late if non_preemptible(k.w, k.w.cpus[cid])]
    why = (f"in hardirq or running kernel code without CONFIG_PREEMPTION (CPU{', CPU'.join(map(str, held))})"
           if held else "in hardirq")     # (kernel34: the other notes are unchanged)
    P.write(PC.KERNEL, PK.key(PK.WAIT, k.cpu_id), 1,
            note=f"stop_machine for the offline of CPU{loc['cpu']} waits in MULTI_STOP_PREPARE: CPU"
            f"{', CPU'.join(map(str, late))} {why}, {'its' if len(late) == 1 else 'their'} stopper thread "
            "cannot run")
    if k.eng.fresh:     # (kept by the store, not the world: the offline's ONLINE node links the wait)
        P.kdiff.offline_cause[loc["cpu"]] = PK.key(PK.WAIT, k.cpu_id)
    k.wait({"stop_machine": loc["cpu"]})


def stopper_wakeups(k: Any, cpus: list[int]) -> None:
    """stop_machine queues multi_cpu_stop on every online CPU and wakes its stopper thread
    (cpu_stop_queue_work -> wake_up_q): a halted Xen HVM vCPU among them is scheduled in (vmx_do_resume ->
    hvm_do_resume), and from f7039ee41b (4.14; 4.12.4, 4.13.2) that schedule-in's completion applies an
    unmask a failed msix_write_completion left armed on it (reading ``xen.msixtbl.completion-at-resume``;
    xenred26: the model took no schedule-in here, so the dying vCPU's first round trip met the armed
    unmask with the move's address write already claimed, and re-armed it). (A vCPU that must wait for its
    pCPU -- ``sched_late`` -- is not among ``cpus``: its schedule-in comes later, ``xensched._schedule``.)"""
    from msidbg.model import vmsi  # (imported here, as in cpu.on_act: keeps the event kinds' order)
    xs = k.eng.model.xsched
    for cid in cpus:
        c = k.w.cpus[cid]
        if not c.proc.stack and not c.irq.stack and not c.stopped and vmsi.due(k.w, cid) \
                and not (xs is not None and xs.waits(k.w, cid)):
            # (one whose pCPU another vCPU runs waits on its runqueue: its schedule-in there runs vmx_do_resume,
            # xensched._schedule -> vmsi.resume; reading xen.sched.ioreq-completion-at-schedule-in)
            k.eng.schedule(k.w.now, "xen", "resume", cid)


@down.step
def take_cpu_down(k: Any, loc: dict[str, Any]) -> None:
    """MULTI_STOP_RUN: every other online CPU spins in multi_cpu_stop with interrupts off (signals
    pile up in their IRRs, their tasks wait) while the dying CPU runs ``take_cpu_down`` (the
    program), interrupts off; this CPU waits for it with interrupts off. When this CPU is itself
    the dying one, it runs the program as a call."""
    loc["phase"] = "run"
    if "_flags" not in loc:
        k.irq_save(loc)
    for cid in loc["stopped"]:
        c = k.w.cpus[cid]
        c.stopped = True
        k.eng.model.park(k.eng, c)
        spin_in(k.eng, c)
    cpu = loc["cpu"]
    if k.cpu_id == cpu:
        k.call("take_cpu_down", cpu=cpu)
        return
    if k.eng.model.xsched is not None:
        loc["tcd"] = 1      # (Xen: the dying CPU's stopper runs take_cpu_down now, it no longer spins -- stop_spin)
    dying = k.w.cpus[cpu]
    proc = dying.proc
    task = {f: proc[f] for f in TASK_FIELDS}
    # the stopper thread of the dying CPU runs take_cpu_down (its task, preempted, is kept aside)
    proc.update(stack=[new_frame("take_cpu_down", {"cpu": cpu, "task": task})], wait=None, irqs_off=True,
                action=k.cpu.proc.action, done=None)
    dying.stopped = False
    cpu_dirty(k, cpu)
    k.eng.model.wake(k.eng, dying)
    k.note(f"stop_machine: CPU{cpu} runs take_cpu_down (MULTI_STOP_RUN), CPU{k.cpu_id} waits in multi_cpu_stop",
           cpu)
    k.wait({"take_cpu_down": cpu})


def _release(k: Any, loc: dict[str, Any], dying: int) -> None:
    """MULTI_STOP_EXIT on the requester and on every stopped CPU but ``dying`` (-1: all of them):
    multi_cpu_stop's local_irq_restore, their stopper threads end, their tasks go on."""
    w = k.w
    k.irq_restore(loc)
    for cid in loc["stopped"]:
        if cid == dying:
            continue
        c = w.cpus[cid]
        c.stopped = False
        if c.proc.wait is not None and STOPPER_WAIT in c.proc.wait:
            c.proc.wait = None
        if "spoll_wait" in w.kernel and not c.proc.irqs_off:
            # multi_cpu_stop's local_irq_restore: a poll timer expiry that waited for it runs now (locks28)
            from msidbg.model.kernel.intx import spoll_irqs_on  # (intx's imports lead back here)
            spoll_irqs_on(k.eng, cid)
        k.eng.model.wake(k.eng, c)
        unspin(k.eng, c)    # (Xen: nothing to run after its stopper thread -- the vCPU halts)
        cpu_dirty(k, cid)


def _give_task_back(k: Any, cpu: int) -> None:
    """The dying CPU's own task (kept in the take_cpu_down frame) back in its process context
    (``migrate_tasks`` may have moved it off); the CPU spins no more steps (play_dead)."""
    dying = k.w.cpus[cpu]
    task = dying.proc.stack[0]["locals"]["task"]
    dying.proc.update(task)
    dying.stopped = True
    cpu_dirty(k, cpu)
    k.eng.model.park(k.eng, dying)


@down.step
def taken_down(k: Any, loc: dict[str, Any]) -> None:
    """take_cpu_down is done (stop_machine_cpuslocked returns): MULTI_STOP_EXIT -- every CPU's
    multi_cpu_stop restores the interrupt flags it saved, this one's too, and the stopped CPUs go
    on (the dying CPU restores its own, ``done``). takedown_cpu then waits (wait_for_ap_thread,
    interrupts on) until the dying CPU's idle task reports it dead (``idle_dead``). A refusal by the
    vector check ends stop_machine -- every CPU goes on, nothing has moved, the hotplug core rolls
    the CPU back -- and the write to .../online returns it."""
    err = loc.pop("down_err", 0)
    cpu = loc["cpu"]
    if err:
        if k.cpu_id != cpu:
            _give_task_back(k, cpu)
        _release(k, loc, -1)
        k.kernel["hotplug"] = -1
        k.ret(err)
        return
    _release(k, loc, cpu)
    if k.cpu_id != cpu and not loc.get("idle_dead"):
        k.note(f"takedown_cpu: MULTI_STOP_EXIT, CPU{k.cpu_id} waits for CPU{cpu}'s idle task to report it dead "
               "(wait_for_ap_thread)", cpu)
        k.wait({"idle_dead": cpu})


@down.step
def cpu_die(k: Any, loc: dict[str, Any]) -> None:
    """wait_for_ap_thread returned: the dying CPU reported itself dead with interrupts off; its
    task goes back in its process context and it runs nothing more (__cpu_die). (When this CPU is
    itself the dying one -- a request whose task migrate_tasks moved there -- the model gives it no
    window: ``taken_down`` and this step run as one, interrupts off again here.)"""
    cpu = loc["cpu"]
    if k.cpu_id != cpu:
        _give_task_back(k, cpu)
        _timers_dead_cpu(k, cpu)
    else:
        k.irq_save(loc)


def _timers_dead_cpu(k: Any, cpu: int) -> None:
    """The CPUHP_TIMERS_PREPARE teardown on the control CPU (kernel/time/timer.c timers_dead_cpu:
    migrate_timer_list moves every timer pending on the dead CPU's bases to this CPU's, with its
    expiry; CPU_DEAD's migrate_timers before the hotplug state machine): the one per-CPU timer list
    the model keeps -- poll_spurious_irq_timer, armed by note_interrupt / poll_spurious_irqs on the CPU
    that ran them -- now expires here (reading ``kernel.hotplug.timers-dead-cpu``). Without it a poll
    timer left on an offline CPU waited for that CPU for ever and the run never ended (redteam19's fuzz)."""
    spoll = k.w.kernel.get("spoll")
    if spoll is None or spoll[0] != cpu:
        return
    spoll[0] = k.cpu_id
    wait = k.w.kernel.get("spoll_wait")
    if wait is not None and wait[0] == cpu:     # an expiry that waited for the dead CPU's interrupts: due here
        del k.w.kernel["spoll_wait"]
        k.eng.schedule(k.w.now, "spoll", k.cpu_id, wait[1])
    for item in k.eng.agenda.values():
        if item[2] == "spoll" and item[4] == spoll[1]:
            item[3] = k.cpu_id
    P = k.eng.prov
    if P.on and k.eng.fresh:    # provenance (whyheld10): the move, linking the arm it moves and the offline behind it
        P.dep(PC.D_TIMER, PK.key(PK.SPOLL, 0))
        act = k.cpu.proc.action
        if act is not None and act >= 0:
            P.dep(PC.D_TEARDOWN, PK.key(PK.ACTION, act))
        P.write(PC.SPOLL_TIMER, PK.key(PK.SPOLL, 0), k.cpu_id,
                note=f"timers_dead_cpu: poll_spurious_irq_timer moves from dead CPU{cpu} to CPU{k.cpu_id}")
    k.note(f"timers_dead_cpu: poll_spurious_irq_timer moves from CPU{cpu} to CPU{k.cpu_id}", cpu)


tcd = program("take_cpu_down", "stop_machine's work on the outgoing CPU, interrupts off: __cpu_disable "
              "(native_cpu_disable: the vector check, fixup_irqs, lapic_offline), the CPU_DYING states; then "
              "MULTI_STOP_EXIT and do_idle until it reports itself dead",
              source=(S.TAKEDOWN, S.STOP_MACHINE, S.IDLE_DEAD, *S.IDLE_DEAD_OLD, S.FIXUP_SLOTS, S.XEN_IRQ_ENABLE, S.FIXUP_IRQS,
                      S.X86_FIXUP_IRQS, S.LEGACY_VECTOR, S.MIGRATE, S.FORCE_COMPLETE, S.CPU_DISABLE,
                      *S.CPU_DISABLE_OLD, S.CLEANUP_TIMER, S.MATRIX_RESERVE))


@tcd.step
def cpu_disable(k: Any, loc: dict[str, Any]) -> None:
    """native_cpu_disable: the vector check first, then cpu_disable_common (remove_cpu_from_maps:
    the vector domain counts the CPU as offline from here, ``vector.dying_cpu``)."""
    if _cannot_unplug(k, loc):
        k.goto("done")
        return
    if "rsvd_warned" not in loc and _reserved_warning(k, loc):
        return
    apic_step = native_apic_step(k, loc["cpu"], after=False)
    # every device irq: the MSI ones (their device) and the IO-APIC's shared INTx irqs (their action list),
    # and the ISA irqs requested at boot (their action: the timer, irq 0, the only one the modelled machine requests),
    # which go where a device irq of the same mask goes (S.ISA_MIGRATE)
    loc["irqs"] = sorted(i for i, d in k.w.irqs.items() if d["dev"] is not None or d.get("actions") is not None
                         or (d["chip"] == "IO-APIC" and d.action is not None))
    loc["i"] = 0
    down = down_frame(k.w)
    if down is not None:
        down["irqs"] = list(loc["irqs"])
        # provenance (whyheld12): remove_cpu_from_maps takes the CPU out of cpu_online_mask here -- what the vector
        # domain, the drivers and the affinity code read from now on (``vector.cpu_online``); the model's ``online``
        # flag follows at cpu_down's end, which recorded the node, so a chain through the offline CPU named that
        # later step. The node is the offline's (the end of cpu_down records none when this one stands).
        P = k.eng.prov
        if P.on and k.eng.fresh:
            cause = P.kdiff.offline_cause.pop(loc["cpu"], -1)
            if cause >= 0:
                P.dep(PC.D_CAUSE, cause)
            P.write(PC.ONLINE, PK.key(PK.ONLINE, loc["cpu"]), 0)
    k.note(f"take_cpu_down: CPU{loc['cpu']} enters stop_machine{apic_step}", loc["cpu"])


def clear_local_apic(c: Any) -> None:
    """clear_local_APIC (arch/x86/kernel/apic/apic.c): every LVT entry masked (LVT Error first) and the ESR
    written and read (cleared). IRR, ISR and the software enable are left alone."""
    c["lvt_masked"] = True
    if c.get("esr"):
        c["esr"] = 0


def native_apic_step(k: Any, cpu: int, after: bool) -> str:
    """native_cpu_disable's local APIC step on the outgoing CPU (``kernel.cpu_disable_apic``, bare metal and
    Xen HVM -- xen_hvm_smp_init leaves smp_ops.cpu_disable native; whether the vLAPIC then refuses is Xen's,
    ``apic.refuses``):
    before cpu_disable_common (``after`` false) clear_local_APIC (..5.3) or, with 60dcaad5736f (5.4),
    apic_soft_disable -- from then on a message to this CPU sets no IRR bit (bus.deliver_vector), even one
    of an irq fixup_irqs has not moved yet; from 52d6b926aabc (5.9; 5.4.62, 5.8.6) apic_soft_disable after
    cpu_disable_common (``after`` true: fixup_irqs and its IRR scan done). Returns the note's text for it
    ('' when this call does nothing)."""
    w = k.w
    if w.platform.get("kind") not in ("bare-metal", "xen-hvm"):
        return ""       # (xen-pv: xen_pv_cpu_disable; an HVM guest keeps native_cpu_disable, on Xen's vLAPIC)
    mode = sw(k, "cpu_disable_apic")
    if after != (mode == "soft-after"):
        return ""
    c = w.cpus[cpu]
    clear_local_apic(c)
    cpu_dirty(k, cpu)
    if mode == "clear":
        return "; native_cpu_disable: clear_local_APIC() (LVT entries masked, the APIC still takes interrupts)"
    c["apic_off"] = True
    if w.platform["kind"] == "xen-hvm" and not w.behaviour.get("apic_virtualization"):
        # Xen's vLAPIC offers none of its IRR bits while disabled (vlapic_has_pending_irq), except the global
        # callback vector hvm_vcpu_has_pending_irq tests first (apic.vlapic_off_acceptable). (Under APIC
        # virtualization the CPU's virtual-interrupt delivery evaluates the vIRR a posted interrupt filled without
        # asking Xen and reads no SVR: the vCPU takes them, as before -- not read further)
        # (evtchn.global_callback(w), inlined: importing model.evtchn here would renumber the event kinds)
        b = w.behaviour
        cb = not (b.get("xen_percpu_upcall", True) and b.get("xen_upcall_vector_cpuid", True))
        c["vlapic_off"] = apic.VLAPIC_OFF_CALLBACK if cb else apic.VLAPIC_OFF
    P = k.eng.prov
    if P.on and k.eng.fresh:
        # provenance: a message this APIC refuses from now on (bus.deliver_vector) links this step
        P.write(PC.APIC_OFF, PK.key(PK.APICOFF, cpu), 1,
                note=f"native_cpu_disable: apic_soft_disable() {'after' if after else 'before'} fixup_irqs -- "
                f"CPU{cpu}'s local APIC accepts no fixed interrupt (no IRR bit is set)")
    return ("; native_cpu_disable: apic_soft_disable() before fixup_irqs -- the APIC takes no more interrupts"
            if not after else f"native_cpu_disable: apic_soft_disable() -- CPU{cpu}'s local APIC takes no more "
            "interrupts (the IRR bits it has are kept)")


def _cannot_unplug(k: Any, loc: dict[str, Any]) -> bool:
    """native_cpu_disable's first call, lapic_can_unplug_cpu() (matrix allocator, 4.15+), on the
    outgoing CPU while it is still online: more vectors allocated there than the other online CPUs
    have free -- "CPU %u has %u vectors, %u available. Cannot disable CPU" -- and take_cpu_down fails
    with -ENOSPC before cpu_disable_common: stop_machine ends, every CPU goes on, nothing has moved, and
    the hotplug core rolls the CPU back to active; the write to .../online returns ENOSPC (the
    requester's ``taken_down``). Before 4.15 (the legacy allocator) native_cpu_disable's first call was
    check_irq_vectors_for_cpu_disable, which counts differently and returns -ERANGE. On xen-pv
    __cpu_disable is xen_pv_cpu_disable (xen_cpu_disable in 3.x arch/x86/xen/smp.c), which checks no
    vectors but refuses CPU0: 'if (cpu == 0) return -EBUSY;' -- so with ``cpu0_hotplug`` the CPU0
    offline of a PV guest fails there with -EBUSY and nothing moves (redteam17: it used to go through).
    (Kernels whose arch_register_cpu also clears cpu0_hotpluggable for X86_FEATURE_XENPV -- 'Xen PV
    guests don't support CPU0 hotplug at all', release not read -- refuse earlier: no online file,
    EACCES; the CPU stays online either way.)"""
    w = k.w
    if w.platform.get("kind") == "xen-pv":
        if loc["cpu"] != 0:
            return False
        loc["err"] = -EBUSY
        k.note("xen_pv_cpu_disable: CPU0 cannot be taken down (-EBUSY)", -EBUSY)
        return True
    cpu = loc["cpu"]
    if vec.legacy(w):
        tomove, avl = vec.legacy_unplug_count(w, cpu)
        err, what = -ERANGE, (f"check_irq_vectors_for_cpu_disable: CPU {cpu} disable failed: CPU has {tomove} "
                              f"vectors assigned and there are only {avl} available.")
    else:
        tomove, avl = vec.unplug_count(w, cpu)
        err, what = -ENOSPC, f"lapic_can_unplug_cpu: CPU {cpu} has {tomove} vectors, {avl} available. Cannot disable CPU"
    if avl >= tomove:
        return False
    P = k.eng.prov
    if P.on and k.eng.fresh:
        # provenance: the refusal links the vector assignments that fill the outgoing CPU (its irqs'
        # vector and CPU, the latest few), what a why on the failed action leads to
        mine = [i for i, d in w.irqs.items() if d.cpu == cpu and d.vector][-8:]
        for irq in mine:
            P.dep(PC.D_CAUSE, PK.key(PK.IRQVEC, irq))
        # ... as the action's error, made here (take_cpu_down on the dying CPU runs for the requester's
        # action): the requester's taken_down only hands it on. (Without this node the dependencies
        # above attached to nothing and the failed offline's chain ended at cpu_down's return.)
        action = k.cpu.proc.get("action", -1)
        if action is not None and action >= 0:
            P.write(PC.KERNEL, PK.key(PK.ACTERR, action), err,
                    note=f"take_cpu_down returns {err}: {what}")
    loc["err"] = err
    k.note(what, err)
    return True


def _reserved_warning(k: Any, loc: dict[str, Any]) -> bool:
    """lapic_can_unplug_cpu after its check passed: 'rsvd = irq_matrix_reserved(vector_matrix); if (avl <
    rsvd) pr_warn("Reserved vectors %u > available %u. IRQ request may fail\n", ...)' -- a warning only,
    the offline goes on (the same in every matrix release read, 4.15 .. 6.6: global_reserved decides
    nothing). True when this step's event is that note (the step runs again for the rest)."""
    w = k.w
    rsvd = w.kernel.get("vec_rsvd")
    if rsvd is None or vec.legacy(w) or w.platform.get("kind") == "xen-pv":
        return False
    _, avl = vec.unplug_count(w, loc["cpu"])
    if avl >= rsvd:
        return False
    loc["rsvd_warned"] = 1
    text = f"lapic_can_unplug_cpu: Reserved vectors {rsvd} > available {avl}. IRQ request may fail"
    k.note(text, rsvd)
    rsvd_warning(k, text)
    k.again()
    return True


#: ``cpu.stopped`` of a CPU whose stopper thread has not run yet (it is in hardirq), and of one
#: that must still leave a handler to disable interrupts and ack MULTI_STOP_DISABLE_IRQ
ARRIVING, DISABLING = "prepare", "disable_irq"
#: the process-context wait of a CPU whose task the stopper thread preempted
STOPPER_WAIT = "migration"


def _enqueue(eng: Any, c: Any, at: int) -> None:
    """Put CPU ``c`` on the agenda at ``at``, unless, on a Xen guest, its vCPU must wait on its pCPU's runqueue
    (``xensched.wake``: another vCPU runs there)."""
    xs = eng.model.xsched
    if xs is not None and xs.wake(eng, c):
        return
    c.queued = True
    eng.schedule(at, "cpu", c.id)


def takes_irq(eng: Any, c: Any) -> bool:
    """Out of hardirq with interrupts on, has the CPU an interrupt pending in its IRR? It takes it
    before its stopper thread can ack anything: multi_cpu_stop runs with interrupts on until
    MULTI_STOP_DISABLE_IRQ (kernel/stop_machine.c, torvalds/linux v6.6), and the local_irq_enable /
    iret that lets the stopper run delivers the pending vector first. Such a CPU is kept on the
    agenda like one in hardirq (redteam10: a second offline used to stop a CPU the first had just
    released with an edge still pending, and fixup_irqs released that edge's vector).

    On ``xen-pv`` the interrupt is Xen's event callback, which has no APIC vector: a vCPU whose
    ``evtchn_upcall_pending`` is set while its ``evtchn_upcall_mask`` is clear is entered at the
    callback before it runs another guest instruction (Xen's ``create_bounce_frame`` on its next
    return to the guest, xen/arch/x86/x86_64/entry.S, ``test_guest_events``), so its stopper thread
    too runs after the upcall (explore12: x5-pv-guest-hotplug under pct stopped such a vCPU at
    once, and the CPU_DEAD drain dropped its queued port)."""
    if not c.online or c.proc.irqs_off or c.stopped is True or (
            apic.acceptable(c) < 0 and not c._extra.get("upcall")):
        return False
    if not c.queued:
        _enqueue(eng, c, c.busy_until)
    return True


#: a frame local set while the task's step stands for a sleep the model polls (a mutex it finds held:
#: msi_lock_descs, lock_device_hotplug_sysfs's msleep): under ``kernel.preempt: none`` the stopper runs then
ASLEEP = "_asleep"


def keeps_cpu(w: Any, c: Any) -> bool:
    """Does the CPU's task keep its CPU from a woken stopper thread: it runs kernel code (a frame, no wait)
    inside an irqsave section (``proc.irqs_off``: preempt_disable), or -- ``kernel.preempt: none``, no
    CONFIG_PREEMPTION -- anywhere but at a sleep, since only its own schedule() (a sleep, the return to user
    space at the action's end) acts on TIF_NEED_RESCHED (reading kernel.hotplug.stopper-preempt)."""
    proc = c.proc
    if not proc.stack or proc.wait is not None:
        return False
    if proc.irqs_off:
        return True
    return sw_w(w, "preempt") == "none" and ASLEEP not in proc.stack[-1]["locals"]


def sleeps(k: Any, asleep: bool) -> None:
    """The running step's task is (True) or is no longer (False) at a sleep the model polls (``ASLEEP``).
    Marked only under ``kernel.preempt: none``, the one reader: other worlds stay as they were."""
    loc = k.frame["locals"]
    if asleep:
        if sw(k, "preempt") == "none":
            loc[ASLEEP] = 1
    elif ASLEEP in loc:
        del loc[ASLEEP]


def non_preemptible(w: Any, c: Any) -> bool:
    """Kept by ``kernel.preempt: none`` alone (interrupts on): what the stopper's note names."""
    return not c.proc.irqs_off and keeps_cpu(w, c)


def in_atomic_task(eng: Any, c: Any) -> bool:
    """Is the CPU's task inside an irqsave critical section (``proc.irqs_off``: raw_spin_lock_irqsave,
    whose preempt_disable keeps the stopper thread off the CPU until the unlock -- irq_set_affinity's
    desc->lock across the chip call)? Its stopper runs when the section ends (kernlock: the model
    preempted it at once, and a flow handler spinning on that lock on another CPU held the rendezvous
    for ever). Kept on the agenda like a CPU in hardirq. Under ``kernel.preempt: none`` also a task in
    kernel code that has not reached a sleep (``keeps_cpu``): its stopper runs at the sleep or the return."""
    if not c.online or c.stopped or not keeps_cpu(eng.w, c):
        return False
    if not c.queued:
        _enqueue(eng, c, c.busy_until)
    return True


def in_ioreq(c: Any) -> bool:
    """Is the CPU's task blocked in Xen on a device-model ioreq (xen-hvm: a trapped config / MSI-X access
    QEMU has not completed; ``qemu._block``)? The trapped instruction has not retired, and Xen runs nothing
    of that vCPU until QEMU's notification (hvm_send_ioreq / ioreq_send: prepare_wait_on_xen_event_channel
    sets _VPF_blocked_in_xen; the stopper's wake-up IPI is vlapic_set_irq -> vcpu_kick -> vcpu_unblock, which
    clears only _VPF_blocked): its stopper thread runs, and acks MULTI_STOP_PREPARE, only after QEMU's
    completion (reading ``kernel.hotplug.stopper-ioreq``; xenred30: the model took the task as asleep and let
    stop_machine go on without that vCPU). Not put on the agenda: QEMU's completion wakes it."""
    wait = c.proc.wait
    return bool(c.online and not c.irq.stack and not c.stopped and type(wait) is dict and "ioreq" in wait)


def in_hardirq(eng: Any, c: Any) -> bool:
    """Is the CPU in an interrupt handler: frames on its interrupt stack, or the action of its last
    step still running (``entry.in_action``: the frames go when the action begins)? Such a CPU is
    kept on the agenda, so that its stopper runs once it is out (on_cpu calls stopper_runs)."""
    if not c.irq.stack and not (c.handling >= 0 and c.busy_until > eng.w.now):
        return False
    # (a handler blocked on a trapped write -- xen-hvm: irq_move_irq's MSI-X update waits for QEMU,
    # hvm_wait_for_io -- is woken by QEMU's completion, not scheduled here: it would run its next step
    # with the ioreq still outstanding)
    if not c.queued and c.irq.wait is None:
        _enqueue(eng, c, c.busy_until)
    return True


def preempt_task(eng: Any, c: Any) -> None:
    """The CPU's stopper thread (migration/N, the stop class) preempts a runnable task: its steps
    wait; interrupts are still taken (MULTI_STOP_PREPARE). A task already asleep stays asleep."""
    proc = c.proc
    if proc.stack and proc.wait is None:
        proc.wait = {STOPPER_WAIT: c.id}
        eng.model.park(eng, c)      # (on the agenda for its task's next step: nothing to do now)


def stop_spin(w: Any, c: Any) -> bool:
    """Does CPU ``c``'s stopper thread spin in multi_cpu_stop now, off the agenda? Its loop (kernel/stop_machine.c:
    ``do { cpu_relax(); ... } while (curstate != MULTI_STOP_EXIT)`` -- cpu_relax_yield() in 4.9 .. 4.20,
    stop_machine_yield()'s __weak cpu_relax() from 5.5; x86's cpu_relax is rep_nop, a PAUSE, and Xen PV hooks none
    of them) runs until the state moves on: a CPU that has acked MULTI_STOP_PREPARE (interrupts on) or
    MULTI_STOP_DISABLE_IRQ (off), the requester's own stopper while its task waits for the rendezvous or for
    take_cpu_down, the dying CPU until MULTI_STOP_RUN hands it take_cpu_down (``tcd``). Such a vCPU is running for
    Xen's scheduler: it holds its pCPU (``xensched.block``; reading ``kernel.hotplug.stopper-spins``)."""
    req = w.kernel["hotplug"]
    if req < 0 or not c.online or c.irq.stack or c.stopped in (ARRIVING, DISABLING):
        return False    # (ARRIVING / DISABLING: it has an ack to make first -- a step to run)
    loc = down_frame(w)
    if loc is None or "phase" not in loc:
        return False
    cid = c.id
    if cid == req:
        wait = c.proc.wait
        return type(wait) is dict and ("stop_machine" in wait or "take_cpu_down" in wait)
    if cid not in loc.get("stopped", ()) or (cid == loc["cpu"] and loc.get("tcd")):
        return False
    st = c.stopped
    return st is True or (st is False and loc["phase"] == "prepare")


def sched_late(w: Any, cpus: list[int], req: int) -> list[int]:
    """The stopped CPUs whose vCPU cannot run its stopper thread now (Xen: another vCPU holds its pCPU). Each pCPU
    runs one vCPU: the one running there (the requester's vCPU among them), else the first of the halted ones the
    stopper wake-ups reach (cpu_stop_queue_work in cpumask order -- the others wait on its runqueue behind it)."""
    from msidbg.model import xensched  # (imported here: xensched is the Xen side)
    s = xensched.state(w)
    if s is None:
        return []
    pcpu = w.xen["pcpu"]
    held = {p: v for p, v in s["run"].items()}
    late = []
    for cid in cpus:
        if in_ioreq(w.cpus[cid]):
            continue    # (blocked in Xen until QEMU's completion: it holds no pCPU, and is late anyway)
        p = pcpu[cid]
        cur = held.get(p)
        if cur is None:
            held[p] = cid
        elif cur != cid:
            late.append(cid)
    return late


def spin_in(eng: Any, c: Any) -> None:
    """CPU ``c``'s stopper thread spins (``stop_spin``): on Xen its vCPU keeps (or, woken by the stopper's IPI on an
    idle pCPU, takes) its pCPU (``xensched.stop_spin``)."""
    xs = eng.model.xsched
    if xs is not None and not c.queued:
        xs.stop_spin(eng, c)


def unspin(eng: Any, c: Any) -> None:
    """MULTI_STOP_EXIT left CPU ``c`` with nothing to run: on Xen its vCPU halts (``xensched.block``)."""
    xs = eng.model.xsched
    if xs is not None and not c.queued:
        xs.block(eng, c)


def woken_behind_stopper(eng: Any, c: Any) -> bool:
    """A task of CPU ``c`` whose wait just ended (a doorbell's interrupt or timeout, a device_lock unlock) while
    the CPU's stopper thread runs multi_cpu_stop in MULTI_STOP_PREPARE (it acked: ``stopped`` is False): the
    stop class is above every task's (wakeup_preempt: no preemption of it), so the task waits behind the stopper
    -- ``{migration: N}``, ended by MULTI_STOP_EXIT (``_release``) -- instead of running on during the
    rendezvous (docs/model-baremetal.md had this as a known gap). True: the caller does not wake the CPU."""
    loc = down_frame(eng.w)
    if loc is None or loc.get("phase") != "prepare" or c.id not in loc["stopped"] or c.stopped:
        return False
    proc = c.proc
    if not proc.stack or proc.wait is not None:
        return False
    proc.wait = {STOPPER_WAIT: c.id}
    return True


def down_frame(w: Any) -> dict[str, Any] | None:
    """The locals of the cpu_down in progress, or None."""
    req = w.kernel["hotplug"]
    if req < 0:
        return None
    for f in w.cpus[req].proc.stack:
        if f["prog"] == "cpu_down":
            return f["locals"]
    return None


def preparing(eng: Any, c: Any) -> None:
    """An action starts on ``c`` while stop_machine is in MULTI_STOP_PREPARE: the stopper thread
    already runs there, the new task waits behind it. Under ``kernel.preempt: none`` also on a CPU whose
    stopper has not run yet (ARRIVING: it is in hardirq): the stopper was woken first, and a task entering
    the kernel then has passed exit_to_user_mode_loop's schedule() (the stopper ran before it)."""
    loc = down_frame(eng.w)
    if loc is None or loc.get("phase") != "prepare" or c.id not in loc["stopped"]:
        return
    if not c.stopped:
        preempt_task(eng, c)
    elif c.stopped == ARRIVING and sw_w(eng.w, "preempt") == "none":
        proc = c.proc
        if proc.stack and proc.wait is None:
            proc.wait = {STOPPER_WAIT: c.id}
        if not c.queued:        # (kept on the agenda: its stopper's ack is its next step)
            _enqueue(eng, c, c.busy_until)


def stopper_runs(k: Any, c: Any) -> None:
    """A CPU whose ``stopped`` is ARRIVING or DISABLING has left hardirq: its stopper thread runs
    (cpu_stopper_thread -> multi_cpu_stop). ARRIVING: it acks MULTI_STOP_PREPARE (interrupts still
    on, its task preempted); the last to ack moves everyone to MULTI_STOP_DISABLE_IRQ -- a CPU in a
    handler acks that once it leaves it (DISABLING) -- and the last ack of that lets the outgoing
    CPU run take_cpu_down (MULTI_STOP_RUN: the requester's cpu_down goes on)."""
    w = k.w
    eng = k.eng
    k.ctx = c.proc       # the stopper thread is process context (what debugger tools read)
    loc = down_frame(w)
    state = c.stopped
    if loc is None or state is True:
        raise EngineError(f"CPU{c['id']} was scheduled while stopped")
    cpus = w.cpus
    req = cpus[w.kernel["hotplug"]]
    if state == ARRIVING:
        c.stopped = False
        preempt_task(eng, c)
        if not any(cpus[i].stopped == ARRIVING for i in loc["stopped"]):
            loc["phase"] = "disable_irq"
            loc["_flags"] = req["proc"]["irqs_off"]
            if in_hardirq(eng, req) or takes_irq(eng, req) or _waits_pcpu(eng, req):
                # the requester's CPU runs a stopper thread too (stop_machine_cpuslocked queues one on
                # every online CPU): in a handler, or with an interrupt pending, it disables
                # interrupts and acks once it is out (redteam10: it used to take them off at once);
                # a vCPU preempted in its spin, once Xen runs it again (xen33)
                req["stopped"] = DISABLING
            else:
                req["proc"]["irqs_off"] = True
            for i in loc["stopped"]:
                other = cpus[i]
                other["stopped"] = DISABLING if other is not c and (
                    in_hardirq(eng, other) or takes_irq(eng, other) or _waits_pcpu(eng, other)) else True
                if other is not c and other["stopped"] is True:
                    eng.model.park(eng, other)
        what = f"migration/{c['id']}: MULTI_STOP_PREPARE acked"
    elif c is req:      # the requester's own stopper: interrupts off, then its cpu_down goes on
        c.stopped = False
        c["proc"]["irqs_off"] = True
        what = f"migration/{c['id']}: interrupts off, MULTI_STOP_DISABLE_IRQ acked"
    else:
        c.stopped = True
        what = f"migration/{c['id']}: interrupts off, MULTI_STOP_DISABLE_IRQ acked"
    if loc["phase"] == "disable_irq" and req.stopped != DISABLING and not any(
            cpus[i].stopped == DISABLING for i in loc["stopped"]):
        req["proc"]["wait"] = None
        eng.model.wake(eng, req)
        what += ", the last: every CPU has interrupts off (MULTI_STOP_RUN)"
        _rendezvous_prov(k, c, req["id"], what)
    k.ev(K.KERNEL, None, k.s("multi_cpu_stop"), k.s(what), loc["cpu"])


def _waits_pcpu(eng: Any, c: Any) -> bool:
    """Xen: is CPU ``c``'s vCPU waiting on its pCPU's runqueue (preempted while it spun in multi_cpu_stop)? It sees
    stop_machine's next state only when the scheduler runs it again: it acks then (its PAUSE loop's spinning runner
    yields to it -- ``xensched.kick``)."""
    xs = eng.model.xsched
    if xs is None or not xs.waiting(eng.w, c.id):
        return False
    xs.kick(eng, c.id)
    return True


def _rendezvous_prov(k: Any, c: Any, req: int, what: str) -> None:
    """Provenance of the rendezvous's end: the requester's wait (its last writer: the wait begun in
    cpu_down) ends because ``c`` left hardirq -- the interrupt it was in (its latest accept)."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    cid = c.id
    last, key = -1, -1
    for v in range(256):        # (cold: once per offline that had to wait)
        isr = PK.key(PK.ISR, PK.cpu_vec(cid, v))
        r = P.writer(isr)       # (ISR bits are hot records: their numbers grow with time)
        if r > last:
            last, key = r, isr
    if key >= 0:
        # the interrupt it was in -- or, when an edge came later, the edges that kept it in
        # handle_edge_irq's loop (IRQS_PENDING, set by another CPU)
        irq = c.vector_irq.get(key & 0xFF)
        pend = PK.key(PK.IRQPEND, irq) if type(irq) is int else -1
        wp = P.writer(pend) if pend >= 0 else -1
        P.dep(PC.D_CAUSE, pend if wp >= 0 and P.event(wp) > P.event(last) else key)
    P.dep(PC.D_CAUSE, PK.key(PK.WAIT, req))
    P.write(PC.KERNEL, PK.key(PK.WAIT, req), 0, note=f"stop_machine: CPU{cid} left hardirq, {what}")


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
        desc = k.w.irqs.get(irq)
        if desc is None or desc.action is None:
            continue
        online = [c for c in vec.online_cpus(k.w) if c != dying]
        if all(c in online for c in desc["affinity"]):
            continue
        prev_cpu = desc["prev_cpu"]
        desc_dirty(k, desc)     # provenance: the old vector's slot it may free, the move state
        freed = vec.force_complete_move(k.w, desc, dying)
        mask = [c for c in desc["affinity"] if c in online] or online
        k.eng.prov.migrate_start(irq, False)    # provenance: what the migration's writes move (whyheld12)
        k.call("migrate_one_irq", irq=irq, mask=mask, chip_only=True)
        if freed:
            k.ev(K.VECTOR_FREE, desc.dev, irq, freed, prev_cpu)
        return


@tcd.step
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
        desc = k.w.irqs.get(irq)
        if desc is None:
            continue
        prev_cpu = desc["prev_cpu"]
        fixup = desc["started"] and vec.targets_cpu(k.w, desc, dying)    # irq_needs_fixup
        desc_dirty(k, desc)     # provenance: the old vector's slot it may free, the move state
        freed = vec.force_complete_move(k.w, desc, dying) if fixup or involved else 0
        if fixup:
            k.eng.prov.migrate_start(irq, False)     # provenance: what the migration's writes move (whyheld12)
            mask, loc["broken"] = _new_mask(k, desc, dying)
            if mask:
                k.call("migrate_one_irq", irq=irq, mask=mask)
            else:  # a managed irq whose last online CPU goes: shut it down, keep its affinity
                desc["managed_shutdown"] = True
                k.call("irq_shutdown_and_deactivate", irq=irq)
            if freed:
                k.ev(K.VECTOR_FREE, desc.dev, irq, freed, prev_cpu)
            return
        fixup_move_pending(k, desc, dying, False)
        if freed:
            k.ev(K.VECTOR_FREE, desc.dev, irq, freed, prev_cpu)
            k.again()
            return


def fixup_move_pending(k: Any, desc: Any, dying: int, consume: bool) -> bool:
    """irq_fixup_move_pending: a pending move with no CPU left besides the dying one is
    dropped; otherwise True, and with ``consume`` the move is no longer pending (the
    migration applies it)."""
    if not desc.move_pending:
        return False
    irq_dirty(k, desc.irq)
    if not [c for c in desc["pending_mask"] if c != dying and vec.cpu_online(k.w, c)]:
        desc.move_pending, desc["pending_mask"] = False, []
        return False
    if consume:
        desc.move_pending = False
    return True


def _new_mask(k: Any, desc: Any, dying: int) -> tuple[list[int], bool]:
    """(mask, broken): where migrate_one_irq sends the irq -- the pending move's mask if there
    is one, else its affinity, as it is (offline and dying CPUs included: irq_do_set_affinity
    stores the mask it was given as the irq's affinity, the chip targets an online CPU of it);
    cpu_online_mask when neither has an online CPU left, which becomes the stored affinity
    ("affinity broken") -- but [] for a managed irq, which is shut down instead, its affinity
    kept."""
    others = [c for c in vec.online_cpus(k.w) if c != dying]
    want = desc["affinity"]
    if fixup_move_pending(k, desc, dying, True):
        k.eng.prov.migrate_start(desc.irq, True)     # provenance: the migration applies the deferred request
        want, desc["pending_mask"] = desc["pending_mask"], []
    if [c for c in want if c in others]:
        return list(want), False
    if desc["is_managed"]:
        return [], False
    return others, True


@tcd.step
def next_irq(k: Any, loc: dict[str, Any]) -> None:
    """irq_migrate_all_off_this_cpu: 'IRQ %u: no longer affine to CPU%u' for an irq whose
    affinity was broken -- unless irq_do_set_affinity failed (migrate_one_irq: brokeaff = false)."""
    if loc.pop("broken", False) and loc.get("ret", 0) >= 0:
        irq = loc["irqs"][loc["i"] - 1]
        k.note(f"IRQ {irq}: no longer affine to CPU{loc['cpu']}", irq, k.w.irqs[irq]["dev"])
    if loc["i"] < len(loc["irqs"]):
        k.goto("each_irq")


@tcd.step
def mdelay(k: Any, loc: dict[str, Any]) -> None:
    """fixup_irqs: mdelay(1) before the IRR scan, to let interrupts in flight land."""
    k.ev(K.KERNEL, None, k.s("fixup_irqs"), k.s("mdelay(1) before the IRR scan"), 1, cost="fixup_irqs_mdelay")


@tcd.step
def fixup_irr(k: Any, loc: dict[str, Any]) -> None:
    """Vectors still pending in the dying CPU's IRR: retrigger to the irq's new target (the slot
    becomes VECTOR_RETRIGGERED; its IRR bit stays set: the dying CPU takes it when interrupts come
    back on, ``done``); every other irq's slot becomes VECTOR_UNUSED (``S.FIXUP_SLOTS``; reading
    ``kernel.hotplug.fixup-irr``: the same loop 4.13 .. 6.9)."""
    target = k.w.cpus[loc["cpu"]]
    for v in sorted(target["vector_irq"]):
        slot = target["vector_irq"][v]
        if not isinstance(slot, int) or isinstance(slot, bool) or not words_test(target["irr"], v):
            continue
        desc = k.w.irqs[slot]
        srcs = target["irr_src"].pop(v, [])
        new = k.w.cpus[vec.retrigger_cpu(k.w, desc)]      # apic_retrigger_irq's CPU
        for s in srcs or [None]:
            apic.receive(new, desc.vector, s)
        ioapic.tmr_set(new, desc.vector, False)     # the retrigger is an IPI: an edge (TMR bit cleared)
        k.eng.model.wake(k.eng, new)
        target["vector_irq"][v] = VECTOR_RETRIGGERED
        cpu_dirty(k, loc["cpu"])
    # every other irq's slot becomes VECTOR_UNUSED (the same loop), so that what lands in the IRR from
    # here is "No irq handler for vector" when interrupts come back on (``idle_dead``'s window)
    # -- irq 2's 0x32 too: the i8259A chip has no irq_retrigger, so even a 0x32 pending in the IRR is not
    # retriggered and its slot goes (reading kernel.entry.pic-cascade)
    unused = [v for v, slot in target["vector_irq"].items() if type(slot) is int or slot == VECTOR_CASCADE]
    if unused:
        cpu_dirty(k, loc["cpu"])
        for v in unused:
            del target["vector_irq"][v]


@tcd.step
def lapic_offline(k: Any, loc: dict[str, Any]) -> None:
    """cpu_disable_common's last call from 6.6 (``kernel.cleanup_timer``): lapic_offline ->
    __vector_cleanup(cl, false) frees what waited for this CPU's cleanup timer, and the timer is
    deleted -- on the dying CPU, after fixup_irqs. Then, from 52d6b926aabc (``cpu_disable_apic:
    soft-after``), native_cpu_disable's apic_soft_disable. (A pure step: no event; a message refused by the
    disabled APIC names it in its loss.)"""
    if vec.timer_cleanup(k.w):
        target = k.w.cpus[loc["cpu"]]
        cleanup_dirty(k, target)
        vec.cleanup_this_cpu(k.w, target, check_irr=False)
        entry.cancel_cleanup_timer(k.eng, target)
    native_apic_step(k, loc["cpu"], after=True)     # (a few register writes: no event of its own)


@tcd.step
def migrate_tasks(k: Any, loc: dict[str, Any]) -> None:
    """The task running on the outgoing CPU (an action's process context: ``on: N`` is a task pinned
    to CPU N) is pushed off it -- migrate_tasks from sched_cpu_dying before 5.11, balance_push from
    5.11 -- to select_fallback_rq's CPU: none of its allowed CPUs is active, so its affinity is
    widened (cpuset_cpus_allowed_fallback, else the possible mask) and it goes to the lowest active
    CPU, with "process %d (%s) no longer affine to cpu%d". It continues there at its next step once
    stop_machine is over -- after the action running on that CPU ends, if one does (the model runs
    one task per CPU). A task asleep is not runnable: balance_push / migrate_tasks leave it with the
    outgoing CPU, and its wakeup places it (``fallback_wake``, reading
    kernel.actions.offline-sleeper-fallback). None waits for a QEMU ioreq here: the offline's
    stop_machine waited for QEMU's completion first (kernel.hotplug.stopper-ioreq)."""
    dying = loc["cpu"]
    c = k.w.cpus[dying]
    # the dying CPU's task: kept aside while take_cpu_down runs there (else this is that task)
    proc: Any = loc["task"] if "task" in loc else c.proc
    if proc["wait"] is not None and STOPPER_WAIT in proc["wait"]:
        proc["wait"] = None
    to = min(i for i in vec.online_cpus(k.w) if i != dying)
    for waiting in k.kernel.get("migrating", ()):
        if waiting[0] == dying:       # moved here earlier, still waiting: select_fallback_rq again
            waiting[0] = to
    target = k.w.cpus[to]
    idle = not target["proc"]["stack"] and target["proc"]["done"] is None
    if (not proc["stack"] and proc["done"] is None) or proc["wait"] is not None:
        # nothing runnable here (no task, or one asleep -- a driver's or a lock's wait: not pushed, its
        # wakeup places it); a task that waited for this CPU runs on an idle fallback CPU now
        if idle:
            resume_migrated(k.eng, target)
        return
    task = {f: proc[f] for f in TASK_FIELDS}
    proc.update(stack=[], wait=None, irqs_off=False, action=-1, done=None)
    cpu_dirty(k, dying)
    act = k.w.actions[task["action"]]
    if idle:
        install_task(k.eng, target, task, dying)
    else:
        k.kernel.setdefault("migrating", []).append([to, dying, task])
    # the tasks of the outgoing CPU's later actions start as they are due (refused while it is out)
    queue = c.queue
    if queue:
        nxt = queue.pop(0)
        k.eng.schedule(max(k.now, k.w.actions[nxt]["at"]), "act", dying, nxt)
    what = (f"process of action {task['action']} ({act['do']}) no longer affine to cpu{dying}: moved to "
            f"CPU{to}" + ("" if idle else f", runnable after CPU{to}'s current action"))
    # provenance: the task's later steps run for it (their "run by" link is the action's key): the
    # move, made for the offline this context runs
    P = k.eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.ACTION, task["action"]))
    running = k.cpu.proc.get("action", -1)
    if running is not None and running >= 0:
        P.dep(PC.D_CAUSE, PK.key(PK.ACTION, running))
    P.write(PC.KERNEL, PK.key(PK.ACTION, task["action"]), to, note=f"select_fallback_rq: {what}")
    k.ev(K.KERNEL, act["dev"], k.s("select_fallback_rq"), k.s(what), to)


@tcd.step
def done(k: Any, loc: dict[str, Any]) -> None:
    """take_cpu_down returns (its error, if the vector check refused): stop_machine_cpuslocked
    returns on the control CPU, which goes on (``taken_down``). On a refusal this CPU waits for the
    control CPU to give its task back. Else MULTI_STOP_EXIT: multi_cpu_stop's local_irq_restore
    turns this CPU's interrupts back on (its stopper thread ran with them on), and before its idle
    task disables them (``idle_dead``) it takes what is pending: an IRR vector (common_interrupt on
    the slot fixup_irqs left), a Xen vCPU's upcall (xen_irq_enable -> xen_force_evtchn_callback:
    it empties its event queue)."""
    down = down_frame(k.w)
    if down is not None and loc.get("err"):
        down["down_err"] = loc["err"]
    if "task" not in loc:       # called by cpu_down on this very CPU (its taken_down restores the flags)
        k.ret(0)
        return
    req = k.w.cpus[k.w.kernel["hotplug"]]
    req.proc.wait = None
    k.eng.model.wake(k.eng, req)
    if loc.get("err"):
        k.note(f"take_cpu_down returns {loc['err']}: CPU{req.id} goes on", loc["err"])
        k.wait({"dead": loc["cpu"]})
        return
    k.cpu.proc.irqs_off = False
    if "spoll_wait" in k.w.kernel:      # (a poll timer expiry that waited for this CPU's interrupts: locks27)
        from msidbg.model.kernel.intx import spoll_irqs_on  # (intx's imports lead back here)
        spoll_irqs_on(k.eng, k.cpu_id)
    k.note(f"take_cpu_down returns: MULTI_STOP_EXIT, CPU{loc['cpu']} has interrupts on until its idle task "
           "disables them", 0)


@tcd.step
def idle_dead(k: Any, loc: dict[str, Any]) -> None:
    """The stopper thread is done; the idle task runs do_idle: local_irq_disable, cpu_is_offline ->
    cpuhp_report_idle_dead (the control CPU's wait_for_ap_thread returns: it goes on to __cpu_die
    and the CPU_DEAD steps) -> arch_cpu_idle_dead / play_dead. This CPU waits there until the
    control CPU gives its task back.

    Before e78a7614f387 (``dying_irqs_off: play-dead``: 5.4, 5.3.4) the offline check came before that
    local_irq_disable: cpuhp_report_idle_dead (4.6+; cpu_dead_idle in 4.4, idle_cpu() polled by _cpu_down in
    3.x) and arch_cpu_idle_dead -> play_dead ran with interrupts on, and play_dead_common turned them off
    only after cpu_report_death (CPU_DEAD in 3.x), the report native_cpu_die's wait (__cpu_die) returns on --
    so the step runs twice: the report with interrupts on (what is pending is taken after it), then
    play_dead_common's. The control CPU goes on at the second, the report __cpu_die waits for."""
    cpu = loc["cpu"]
    req = k.w.cpus[k.w.kernel["hotplug"]]
    if sw(k, "dying_irqs_off") == "play-dead" and "reported" not in loc:
        loc["reported"] = True
        k.note(f"do_idle: CPU{cpu} is offline, interrupts still on: cpuhp_report_idle_dead, arch_cpu_idle_dead -> "
               f"play_dead (CPU{req.id} waits in __cpu_die)", cpu)
        k.again()
        return
    k.cpu.proc.irqs_off = True
    down = down_frame(k.w)
    if down is not None:
        down["idle_dead"] = True
    if req.proc.wait is not None and req.proc.wait.get("idle_dead") == cpu:
        req.proc.wait = None
        k.eng.model.wake(k.eng, req)
    cpu_dirty(k, cpu)
    if "reported" in loc:
        k.note(f"play_dead_common: CPU{cpu} reports its death (cpu_report_death), then local_irq_disable: "
               f"CPU{req.id} goes on to the CPU_DEAD steps", cpu)
    else:
        k.note(f"do_idle: CPU{cpu} is offline, interrupts off: cpuhp_report_idle_dead, play_dead: CPU{req.id} goes "
               "on to the CPU_DEAD steps", cpu)
    k.wait({"dead": cpu})


def task_of(c: Any) -> Any:
    """The process context of CPU ``c``'s task: the one kept aside in the take_cpu_down frame while
    that program runs on ``c`` (a driver's wait ending, its timeout, a QEMU completion concern it),
    else ``c.proc``."""
    st = c.proc.stack
    if st and st[0]["prog"] == "take_cpu_down" and "task" in st[0]["locals"]:
        return st[0]["locals"]["task"]
    return c.proc


#: the process context fields that make up a task (what migration moves)
TASK_FIELDS = ("stack", "wait", "irqs_off", "action", "done")


def install_task(eng: Any, c: Any, task: dict[str, Any], old: int) -> None:
    """A migrated task becomes CPU ``c``'s process context (``c`` runs no action): a driver wait
    follows it (its waiter entry, its timeout), the action due next on ``c`` waits behind it."""
    cid = c.id
    for item in list(eng.agenda.values()):
        if item[2] == "act" and item[3] == cid:     # c's next action: back to the head of its queue
            eng.unschedule(lambda it, seq=item[1]: it[1] == seq)
            c.queue.insert(0, item[4])
    c.proc.update(task)
    # msi_lock_descs is a mutex (5.17+, kernel31): its owner is the task, so a lock the task took on ``old``
    # moves with it (msidbg keys the holder by CPU; before, the migrated task could not unlock its own lock)
    for p in eng.w.kernel["pci"].values():
        if p.get("lock") == old:
            p["lock"] = cid
    # provenance: the task's last step (its wakeup's placement) is this CPU's process context's last now --
    # the action's result links it, not the step an earlier action last ran here (whyheld9)
    # (why33: only as the step first executes -- a re-execution leaves the side tables as the run's end has them)
    last = eng.prov.task_last.pop(task["action"], -1) if eng.prov.on and eng.fresh else -1
    if last >= 0:
        eng.prov.proc_last[cid] = last
    wait = task["wait"]
    if wait is not None and "token" in wait:
        for lst in eng.w.kernel["waiters"].values():
            if old in lst:
                lst[lst.index(old)] = cid
        for item in eng.agenda.values():
            if item[2] == "timeout" and item[4] == wait["token"]:
                item[3] = cid
    eng.model.wake(eng, c)


def fallback_wake(eng: Any, c: Any, cause: tuple[int, int] | None = None) -> bool:
    """The wakeup of CPU ``c``'s task (its wait just ended: the driver's interrupt, its timeout, the
    device lock) while ``c`` is not active -- its cpu_down began (sched_cpu_deactivate) or it is
    offline: try_to_wake_up -> select_task_rq finds the task's one allowed CPU not allowed
    (is_cpu_allowed: cpu_active) and select_fallback_rq places it as it does a running task pushed off
    (affinity widened, the lowest active CPU, "no longer affine to cpuN"). It runs there now if that CPU
    runs no action, else after the action it runs (the model's one task per CPU: ``migrating``); the
    action queued next on ``c`` becomes due, as after migrate_tasks' push. True
    when it moved; False, nothing done, while ``c`` is active or the task is kept aside in ``c``'s
    take_cpu_down frame (migrate_tasks moves it, runnable now). Reading
    kernel.actions.offline-sleeper-fallback. ``cause``: the (dependency kind, key) of what woke it, for
    provenance; None -- its wait's timeout, whose node is ``c``'s process context's last."""
    w = eng.w
    proc = c.proc
    if vec.cpu_active(w, c.id) or task_of(c) is not proc or not proc["stack"] or proc["wait"] is not None:
        return False
    active = [i for i in vec.online_cpus(w) if i != c.id and vec.cpu_active(w, i)]
    if not active:
        return False
    to = min(active)
    target = w.cpus[to]
    tp = target["proc"]
    # (an action ending -- its device_lock released in _finish_action -- still owns the CPU: after it)
    idle = not tp["stack"] and tp["done"] is None and tp["action"] == -1
    task = {f: proc[f] for f in TASK_FIELDS}
    proc.update(stack=[], wait=None, irqs_off=False, action=-1, done=None)
    # the task of ``c``'s next action no longer waits behind this one: it starts as it is due (refused
    # -EINVAL while ``c`` is out, run on ``c`` once it is back), as migrate_tasks' push leaves it (waits20:
    # it stayed queued behind a task that had left, and never ran)
    if c.queue:
        nxt = c.queue.pop(0)
        eng.schedule(max(w.now, w.actions[nxt]["at"]), "act", c.id, nxt)
    act = w.actions[task["action"]]
    what = (f"process of action {task['action']} ({act['do']}) woken while cpu{c.id} is "
            f"{'offline' if not c.online else 'going down'}: no longer affine to cpu{c.id}, runs on CPU{to}"
            + ("" if idle else f" after CPU{to}'s current action"))
    # (no event of its own: the wakeup's step -- the handler, the timeout, the unlock -- emits one; the move
    # is a provenance node of that step)
    P = eng.prov
    # (the placement follows the task's last step on ``c`` -- its wait's timeout, the handler that woke it,
    # the unlock -- and is the task's last step until it runs again: the action's result links it there)
    last = P.proc_last.pop(c.id, -1) if P.on and eng.fresh else -1     # (why33: not on a re-execution)
    if cause is not None:
        P.dep(*cause)
    elif last >= 0:
        P.dep_writer(PC.D_CAUSE, P.key(last), last)
    P.dep(PC.D_CAUSE, PK.key(PK.ACTION, task["action"]))
    r = P.write(PC.KERNEL, PK.key(PK.ACTION, task["action"]), to, note=f"select_fallback_rq: {what}", ctx=False)
    if r >= 0:
        P.task_last[task["action"]] = r
    if idle:
        install_task(eng, target, task, c.id)
    else:
        w.kernel.setdefault("migrating", []).append([to, c.id, task])
    return True


def resume_migrated(eng: Any, c: Any) -> bool:
    """CPU ``c``'s action ended: a task migrated to it meanwhile runs now (before ``c``'s next
    action). True if one did."""
    mig = eng.w.kernel.get("migrating")
    if not mig:
        return False
    for i, (to, old, task) in enumerate(mig):
        if to == c.id:
            del mig[i]
            if not mig:
                del eng.w.kernel["migrating"]
            install_task(eng, c, task, old)
            return True
    return False


@down.step
def xen_cpu_dead(k: Any, loc: dict[str, Any]) -> None:
    """The FIFO event channel ABI's CPU_DEAD callback on a Xen guest (``kernel.xen_fifo_dead_cpu_drain``:
    evtchn_fifo_cpu_notification, xen_evtchn_cpu_dead from 4.10, evtchn_fifo_percpu_deinit from 5.10):
    ``__evtchn_fifo_handle_events(cpu, drop)`` consumes the dead vCPU's queue -- each port is unlinked
    (clear_linked), a pending, unmasked one is dropped with 'Dropping pending event for port N' and stays
    pending, so its next event links it on the vCPU it was rebound to. Nothing here elsewhere (a pure
    step: no event, no time).

    It runs before ``offline`` here: the CPUHP_*_DEAD callbacks run in the control task under
    cpu_hotplug_lock, after the CPU is dead, and ``offline`` (which releases the lock) is the model's
    last step; every irq has already been rebound (fixup_irqs), so nothing links on the dead vCPU's
    queue between the two, and a second offline cannot come between the death and the drain."""
    x = k.w.get("xen")
    cpu = loc["cpu"]
    if x is None or x.get("abi") != "fifo" or not sw(k, "xen_fifo_dead_cpu_drain") or not x["fifo"][cpu]:
        return
    q = x["fifo"][cpu]
    dropped = []
    while q:
        port = q.pop(0)
        x["linked"].pop(port, None)
        ch = x["ports"].get(port)
        if ch is not None and ch["pending"] and not ch["masked"]:
            dropped.append(port)
    # (named for every release: evtchn_fifo_cpu_notification's CPU_DEAD before 4.10, xen_evtchn_cpu_dead,
    # then evtchn_fifo_percpu_deinit -- each __evtchn_fifo_handle_events(cpu, drop); redteam11)
    head = "the FIFO ABI's CPU_DEAD drain (__evtchn_fifo_handle_events, drop): "
    what = (head + ", ".join(f"Dropping pending event for port {p}" for p in dropped)
            if dropped else f"{head}vCPU{cpu}'s queue unlinked (nothing pending)")
    k.note(what, len(dropped))


def _reset_apic(k: Any, target: Any, why: str, slots: bool = False) -> None:
    """``apic.reset`` of ``target`` (its offline, or the INIT as it comes back): the signals pending in
    its IRR are lost. Provenance: the bits the reset clears (``apic_reset_dirty``), and each loss links
    the IRR bit it was pending in, as the message (or IPI) that set it left it; ``slots`` (the offline):
    also the vector's ``vector_irq`` slot, which held no irq for ``fixup_irr`` to retrigger (as the step
    before this one left it: the slots this step drops are diffed after it)."""
    cid = target["id"]
    P = k.eng.prov
    key = PK.key
    pend = ([(v, P.writer(key(PK.IRR, PK.cpu_vec(cid, v)))) for v in target.irr_src]
            if P.on and k.eng.fresh else [])
    apic_reset_dirty(k, cid)
    srcs = target.irr_src
    apic.reset(target)
    ioapic.tmr_reset(target)
    text = why.format(cpu=cid)
    for v, w in pend or [(v, -1) for v in srcs]:
        for dev, idx, n in srcs[v]:
            if w >= 0:
                P.dep_writer(PC.D_PENDING, key(PK.IRR, PK.cpu_vec(cid, v)), w)
                if slots:
                    P.dep(PC.D_SLOT, key(PK.VECIRQ, PK.cpu_vec(cid, v)))
            acct.lost(k.eng, dev, idx, n, text)


@down.step
def offline(k: Any, loc: dict[str, Any]) -> None:
    target = k.w.cpus[loc["cpu"]]
    target["online"] = False
    cpu_dirty(k, loc["cpu"])   # provenance: its online flag and the slots it drops
    for v in list(target["vector_irq"]):
        if target["vector_irq"][v] != VECTOR_RETRIGGERED and target["vector_irq"][v] != VECTOR_CLEANUP:
            target["vector_irq"].pop(v)
    _reset_apic(k, target, "were pending in CPU{cpu}'s IRR when it went offline", slots=True)
    k.irq_restore(loc)
    target.stopped = False      # (the others went on at MULTI_STOP_EXIT: ``taken_down``)
    if target.proc.wait is not None and STOPPER_WAIT in target.proc.wait:
        target.proc.wait = None
    if target is not k.cpu:
        k.eng.model.park(k.eng, target)
    k.kernel["hotplug"] = -1
    k.ev(K.CPU_OFFLINE, None, loc["cpu"], cost="hotplug")
    k.ret(0)


up = program("cpu_up", "bring a CPU online: INIT-SIPI, lapic_online, irq_affinity_online_cpu", source=(S.LAPIC_ONLINE, S.LEGACY_VECTOR, S.RESTORE, S.MANAGED_DEPTH, S.CPU0_NOT_HOTPLUG, S.ONLINE_STORE))


@up.step
def start(k: Any, loc: dict[str, Any]) -> None:
    if no_online_file(k, loc["cpu"]):
        return
    if hotplug_busy(k):     # under device_hotplug_lock, as cpu_down's check
        return
    target = k.w.cpus[loc["cpu"]]
    if target["online"]:
        # device_online() returns 1 for a device already online; online_store() returns the count
        k.note("CPU is already online: the write succeeds and does nothing", 0)
        k.ret(0)
        return
    _reset_apic(k, target, "were in CPU{cpu}'s IRR, cleared by INIT")
    target.pop("vlapic_off", None)
    was_off = target.pop("apic_off", None)   # INIT: SPIV and the LVT entries back to their reset state, and
    target.pop("lvt_masked", None)           # setup_local_APIC enables the APIC and unmasks LVT Error again
    P = k.eng.prov
    if was_off and P.on and k.eng.fresh:
        P.write(PC.APIC_OFF, PK.key(PK.APICOFF, loc["cpu"]), 0,
                note=f"INIT and setup_local_APIC: CPU{loc['cpu']}'s local APIC is software-enabled again")
    target["vector_irq"] = {} if vec.timer_cleanup(k.w) else {IRQ_MOVE_CLEANUP_VECTOR: VECTOR_CLEANUP}
    # (lapic_online never touches the per-CPU cleanup_list, 008f1d60fe25; the list is already empty here: entries
    # are queued only on an online CPU, lapic_offline drains it from 6.6 and the cleanup IPI is taken before
    # stop_machine disables interrupts before -- tests/test_leads21.py pins that no run reaches this with one)
    target["cleanup"] = []
    if vec.legacy(k.w):
        vec.legacy_online_slots(k.w, loc["cpu"])
    vec.cascade_slot(k.w, loc["cpu"])
    target["online"] = True
    cpu_dirty(k, loc["cpu"])   # provenance: its online flag and fresh slots
    loc["irqs"] = sorted(i for i, d in k.w.irqs.items() if d["is_managed"])
    k.ev(K.CPU_ONLINE, None, loc["cpu"], cost="hotplug")
    if k.w.platform["kind"] == "xen-hvm":
        from msidbg.model import vmsi  # (imported here, as in stopper_wakeups)
        xs = k.eng.model.xsched
        if vmsi.migrate_due(k.w, loc["cpu"]) and not (xs is not None and xs.waits(k.w, loc["cpu"])):
            # (a vCPU that then waits on its pCPU's runqueue has it at its schedule-in there: xensched._schedule)
            # the SIPI's hvm_vcpu_reset_state clears _VPF_down and vcpu_unpause wakes the vCPU: a vcpu_migrate while
            # it was offline has its vmx_do_resume -> hvm_migrate_pirqs now (reading xen.sched.migrate-down)
            k.eng.schedule(k.w.now, "xen", "resume", loc["cpu"])
    k.eng.model.wake(k.eng, target)


@up.step
def restore_managed(k: Any, loc: dict[str, Any]) -> None:
    """irq_restore_affinity_of_irq: a requested managed irq shut down for lack of a CPU, whose
    mask holds the new CPU, starts again (x86 irqs have a single target: nothing else moves)."""
    while loc["irqs"]:
        desc = k.w.irqs.get(loc["irqs"].pop(0))
        if (desc is None or desc.action is None or not desc["managed_shutdown"]
                or loc["cpu"] not in desc["affinity"] or chip_has(desc, "no-domain")):
            continue
        if sw(k, "managed_disable_depth"):
            # irq_startup_managed (788019eb559f, 2b32fc8ff08d; 6.16): clear the managed-shutdown flag,
            # desc->depth--, and irq_startup() only when that reaches 0 -- an irq the driver disabled
            # stays shut down until its enable_irq()
            desc["managed_shutdown"] = False
            desc["depth"] -= 1
            irq_dirty(k, desc.irq)
            if desc["depth"]:
                k.note(f"irq_startup_managed: disable depth {desc['depth']}, the irq stays shut down",
                       desc.irq, desc.dev)
                continue
        loc["irq"] = desc.irq
        k.irq_save(loc)
        k.call_then("restored", "irq_startup", irq=desc.irq)
        return
    k.ret(0)


@up.step
def restored(k: Any, loc: dict[str, Any]) -> None:
    k.irq_restore(loc)
    k.goto("restore_managed")
