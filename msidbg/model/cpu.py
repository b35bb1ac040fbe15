"""A guest CPU: its process and interrupt contexts, interrupt acceptance, scenario actions.

Each CPU is an agenda item while it has work. One CPU step is one of, in priority order:
a step of the interrupt context (a handler is running), accepting an interrupt (IRR -> ISR,
or on xen-pv entering the event callback for evtchn_upcall_pending, if interrupts are enabled in
process context), a step of the process context (a scenario
action's kernel code), or reporting that an action finished. A step occupies the CPU for
its cost in virtual ns; other CPUs and devices run meanwhile.
"""

from __future__ import annotations

import heapq
from typing import Any

from msidbg.contract import ERRNOS
from msidbg.model import apic, hits, probes
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.kernel import entry as irqflow
from msidbg.model.kernel.devlock import release as _release
from msidbg.model.kernel.hotplug import fallback_wake as _fallback_wake
from msidbg.model.kernel.hotplug import keeps_cpu as _keeps_cpu
from msidbg.model.kernel.hotplug import preparing as _preparing
from msidbg.model.kernel.hotplug import resume_migrated as _resume_migrated
from msidbg.model.kernel.hotplug import stopper_runs as _stopper_runs
from msidbg.model.kernel.hotplug import task_of as _task_of
from msidbg.model.kernel.hotplug import woken_behind_stopper as _behind_stopper
from msidbg.model.kernel.intx import spoll_irqs_on as irqs_on
from msidbg.model.kernel.vector import cpu_active
from msidbg.sim.program import (
    AGAIN,
    CALL,
    GOTO,
    LABELS,
    NEXT,
    NOTHING,
    NSTEPS,
    RET,
    STEPS,
    WAIT,
    Flow,
    Replay,
    apply_flow,
    new_frame,
    run_step,
)
from msidbg.sim.rec import CpuRec
from msidbg.sim.scheduler import POLL_CAP, SEQ_BITS, EngineError

# hot-path names (one global lookup instead of a module attribute)
heappush = heapq.heappush
acceptable = apic.acceptable
_EMPTY = apic._EMPTY    # (an IRR with nothing pending: acceptable's first test, made without the call)
accept = irqflow.accept
pv_callback = irqflow.pv_callback

Cpu = Any   # a CPU record (sim/rec.py CpuRec): its hot fields are slots
ETIMEDOUT = 110
EINVAL = 22
EBUSY = 16
MAX_SILENT_STEPS = 10_000

#: errno -> name: the contract's table (one table: a name a status shows is one a scenario can expect)
ERRNO_NAMES = {value: name for name, value in ERRNOS.items()}


def errname(value: int) -> str:
    return ERRNO_NAMES.get(-value, f"E{-value}")


def _error_origin(k: Ctx, value: int) -> None:
    """Provenance: a program of a scenario action's process context returns ``-errno``. Where the
    error starts -- the frame did not just hand on what its callee returned -- a node
    ``actions[n].error`` records it with the step's call stack (a frame that turns its callee's
    error into another links that one); the action's negative result links it (``_finish_action``)
    rather than whatever step the action happened to run last (devres' cleanup, a disable)."""
    eng = k.eng
    P = eng.prov
    if not eng.fresh or not P.on:
        return
    action = k.ctx.get("action", -1)
    if action is None or action < 0:
        return
    key = PK.key(PK.ACTERR, action)
    callee = k.frame.get("locals", {}).get("ret")
    last = P.writer(key)
    if callee == value or (last >= 0 and P.x(P.resolve(last)) == value):
        return      # handed on (from its callee, or kept since a step returned it): that node stands
    if callee.__class__ is int and callee < 0 and last >= 0:
        P.dep(PC.D_CAUSE, key)
    P.write(PC.KERNEL, key, value, note=f"{k.frame.get('prog', '?')} returns -{errname(value)} ({value})")


#: at most this many polls of a spin wait are skipped at once (``Ctx.spin``; a lone spinner's
#: next poll without any item or action end ahead)
SKIP_MAX = 10_000
#: ``ctx.wait`` of a context left in a spin wait nothing can end (``Ctx.stuck``)
SPIN_WAIT = "spin"


class Ctx:
    """What a program step sees: the engine, the world, its CPU, control-flow requests."""

    __slots__ = ("eng", "w", "cpu", "cpu_id", "frame", "flow", "costname", "emitted", "ctx", "at", "observer", "silent",
                 "probed", "step_watch", "spun", "hvm")

    def __init__(self) -> None:
        self.flow = Flow()
        self.eng: Any = None
        self.w: Any = {}
        self.cpu: Cpu = {}
        self.cpu_id = -1
        self.frame: dict[str, Any] = {}
        self.costname = "kernel"
        self.emitted = False
        self.ctx: Any = {}
        #: the event during which ``ctx`` runs program steps (provenance reads the stack then)
        self.at = -1
        #: called when a step re-executing known history emits (the debugger's Session.executed)
        self.observer: Any = None
        #: the step was a silent poll (``spin``): how many polls' time it stands for (0: none);
        #: ``on_cpu`` reports it to the engine and resets it
        self.silent = 0
        #: the world has probes armed (``w["probes"]``, built with it; set by ``Model.bind``)
        self.probed = False
        #: the world is an HVM guest's (``platform.kind`` "xen-hvm"; set by ``Model.bind``: a world's platform does
        #: not change while it runs): the hot path's tests of it read this flag
        self.hvm = False
        #: called after each program step, with (stack, frame, pc), while re-executing known history with ``probed``
        #: set (every step goes through ``_run``): the debugger's ``Session.written_by`` (whyheld12)
        self.step_watch: Any = None
        #: under jitter: the ``_spin`` mark this step's poll set (``spin``); the step's end writes the time
        #: of the CPU's next poll, jitter included, into it (``on_cpu``)
        self.spun: list[Any] | None = None

    # control flow -------------------------------------------------------------------
    def call(self, prog: str, **args: Any) -> None:
        f = self.flow
        f.op, f.target, f.args = CALL, prog, args

    def call_then(self, label: str, prog: str, **args: Any) -> None:
        """Call ``prog``; when it returns, continue at step ``label`` of this program."""
        self.call(prog, **args)
        self.flow.then = label

    def ret(self, value: Any = 0) -> None:
        self.flow.op = RET
        self.flow.value = value
        if value.__class__ is int and value < 0 and self.ctx is self.cpu.get("proc"):
            _error_origin(self, value)

    def goto(self, label: str) -> None:
        self.flow.op = GOTO
        self.flow.target = label

    def again(self) -> None:
        self.flow.op = AGAIN

    def irq_save(self, loc: dict[str, Any]) -> None:
        """local_irq_save into the frame's locals (process context; interrupt context is off)."""
        if self.ctx is self.cpu.proc:
            loc["_flags"] = self.cpu.proc.irqs_off
            self.cpu.proc.irqs_off = True

    def irq_restore(self, loc: dict[str, Any]) -> None:
        if self.ctx is self.cpu.proc and "_flags" in loc:
            self.cpu.proc.irqs_off = off = loc.pop("_flags")
            if not off and "spoll_wait" in self.w.kernel:   # a poll timer expiry waited for this (locks27)
                irqs_on(self.eng, self.cpu_id)

    def wait(self, spec: dict[str, Any]) -> None:
        self.flow.op = WAIT
        self.flow.wait = spec

    # events ------------------------------------------------------------------------------
    def ev(self, kind: int, dev: str | None = None, a: int = 0, b: int = 0, c: int = 0, cost: str = "kernel") -> None:
        """Emit this step's event and charge the CPU the cost of its action."""
        eng = self.eng
        if eng.fresh:  # Engine.emit, inlined: this is the hottest call of the model
            key = (kind, self.cpu_id, dev, a, b, c)
            try:    # a subscript, not .get(): no method call (a record is new only the first time)
                rid = eng.records[key]
            except KeyError:
                rid = eng.log.record(key)
            eng.ids_append(rid)
            eng.times_append(self.w.now)
        elif self.observer is not None:     # re-execution, observed (never on a fresh step)
            self.observer()
        self.costname = cost
        self.emitted = True

    def spin(self, what: str, value: int = 0, dev: str | None = None, cause: int = -1) -> None:
        """One poll of a spin wait whose condition holds (``what`` says what it waits for): the
        step runs again after the kernel cost, as before. The first poll notes ``what``; a poll that
        continues the wait -- this CPU's step right after the last poll (the frame's ``_spin``
        mark: the text and the time of the next poll), waiting for the same thing -- is silent when
        the engine allows it (``Engine.quiet_poll``): no event, the same virtual time and agenda
        order. An interrupt taken between two polls, or a new holder, makes the next poll note again.
        The poll grid stays: real spinning re-reads the lock word / IRQD_IRQ_INPROGRESS in a loop
        (cpu_relax between reads), and the model's loop iteration is one kernel step.

        A silent poll also skips the polls that cannot see anything new: those before the agenda's
        next item (nothing else runs before it) and before the earliest ``busy_until`` still ahead
        (an action's end, the only time a spin condition reads: ``in_action``, ``handling_cpus``).
        The next poll is the first grid point at or after the earlier of the two -- the poll that
        first saw the change before. Callers' conditions must read nothing else that time changes.
        Under a strategy (random, pct, delay) every poll is still picked by it; pct's picker takes
        the polls it would pick in a row at once (``_Picker.spin_polls``, before the same
        ``busy_until``), and the clock moves to the last of them, as picking each would have."""
        loc = self.frame["locals"]
        w = self.w
        now = w.now
        cost = w.costs["kernel"]
        nxt = now + cost
        mark = loc.get("_spin")
        self.flow.op = AGAIN
        eng = self.eng
        if eng.jitter is not None and type(mark) is list and len(mark) == 2 and mark[0] == what and cost > 0 \
                and self._nothing_ahead(now):
            # under jitter every poll is an event (``quiet_poll``) and the mark's time is the nominal
            # one, so any later poll of the same wait asks: nothing can end it (as below)
            self.stuck(what, value, dev, cause)
            return
        if type(mark) is list and len(mark) == 2 and mark[1] == now and mark[0] == what and eng.quiet_poll():
            m = 1
            if cost > 0:
                pick = eng.pick
                limit = eng.next_time() if pick is None else None
                for x in w.cpus:
                    b = x.busy_until
                    if b > now and (limit is None or b < limit):
                        limit = b
                if limit is None and (pick is None or (not eng.heap and eng.held < 0)):
                    # nothing is on the agenda and no action ends ahead: nothing that could change
                    # the condition will ever run, and the CPU would poll for ever (the kernel's
                    # soft-lockup watchdog reports such a CPU; the loop itself never ends). Under
                    # every policy: a strategy has nothing but this CPU's next poll to pick (it used
                    # to pick poll after poll, and a random, pct or delay run never ended)
                    self.stuck(what, value, dev, cause)
                    return
                if pick is None:
                    if limit > nxt:
                        m = min(SKIP_MAX, -(-(limit - now) // cost))
                elif not self.probed and (batch := getattr(pick, "spin_polls", None)) is not None:
                    # a strategy picks every poll: the polls its picker takes in a row, picked at once
                    # (``_Picker.spin_polls``); the clock moves to the last, as picking it would
                    took = batch(eng, [now, 0, "cpu", self.cpu_id], cost, limit,
                                 min(SKIP_MAX - 1, POLL_CAP - 1 - eng.polls))
                    if took:
                        eng.polls += took
                        w.seq += took   # (each poll requeued the CPU: a seq each)
                        w.now = now + took * cost
            mark[1] = w.now + m * cost     # (the clock: the last poll picked, under a strategy)
            self.silent = m
            return
        loc["_spin"] = mark = [what, nxt]
        if (xs := eng.model.xsched) is not None:
            xs.spinning(eng, self.cpu_id)   # Xen: the PAUSE loop's exit yields a shared pCPU (xensched)
        if eng.jitter is not None:
            # spoll25: the next poll comes at this step's jittered cost, not the nominal one: on_cpu
            # writes that time into the mark, so the mark names the agenda item of the next poll under
            # jitter too (intx._spin_poll; _spinning, lock_wait: "its next poll is still ahead")
            self.spun = mark
        self.note(what, value, dev)

    def _nothing_ahead(self, now: int) -> bool:
        """No item on the agenda (this CPU's own next poll is not on it while its step runs) and no
        CPU's action ending after ``now``: what ``spin`` reads as a wait nothing can end."""
        eng = self.eng
        if eng.heap or eng.held >= 0:
            return False
        return all(x.busy_until <= now for x in self.w.cpus)

    def stuck(self, what: str, value: int, dev: str | None, cause: int = -1) -> None:
        """A spin wait nothing can end (``spin``: under every policy, an empty agenda, no action ending
        ahead): the context keeps its frame at the poll and waits (``ctx.wait = {"spin": what}``), so
        the CPU has no agenda item and the run ends; the event says so. The loop it stands for spins
        for ever in the kernel (``kernel.spin-forever``). Provenance: a node on ``cpus[c].proc.wait``
        (the step's stack and action) linking ``cause``, the key of what the poll reads, when the
        caller names one."""
        self.ctx.wait = {SPIN_WAIT: what}
        eng = self.eng
        P = eng.prov
        if eng.fresh and P.on:
            if cause >= 0 and P.writer(cause) >= 0:
                P.dep(PC.D_SPIN, cause)
            P.write(PC.SPIN_STUCK, PK.key(PK.WAIT, self.cpu_id), value, note=f"{what}: spins for ever")
        self.note(f"{what}: spins for ever (nothing left to run can end the wait)", value, dev)

    def touched(self, cost: str) -> None:
        """A device function emitted the event itself (config/MMIO access); charge its cost."""
        self.costname = cost
        self.emitted = True

    def note(self, what: str, value: int = 0, dev: str | None = None) -> None:
        prog = self.frame.get("prog", "?")
        self.ev(K.KERNEL, dev, self.eng.s(prog), self.eng.s(what), value)

    def hit(self, name: str, detail: str) -> None:
        self.eng.hit(name, detail)

    def s(self, text: str) -> int:
        return int(self.eng.s(text))

    @property
    def now(self) -> int:
        return int(self.w.now)

    @property
    def kernel(self) -> dict[str, Any]:
        return self.w.kernel


# --- scheduling ------------------------------------------------------------------------------
def has_work(c: Cpu) -> bool:
    """A handler is running, an interrupt can be taken, or the process context can step (runs an
    action's code, or reports its end). ``wake`` and ``on_cpu`` inline it."""
    if c.irq.stack:
        return c.irq.wait is None     # (waiting: a trapped write QEMU has not completed)
    if not c.online or c.stopped:
        return False
    proc = c.proc
    return not ((proc.irqs_off or (acceptable(c) < 0 and not c._extra.get("upcall"))) and (
        proc.wait is not None if proc.stack else proc.done is None))


def wake(eng: Any, c: Cpu) -> None:
    """Put the CPU on the agenda if it has something to do and is not already there."""
    if c.queued:
        return
    if not c.irq.stack:   # has_work, inlined (every delivered message wakes its CPU)
        if not c.online or c.stopped:
            return
        proc = c.proc
        if (proc.irqs_off or (acceptable(c) < 0 and not c._extra.get("upcall"))) and (
                proc.wait is not None if proc.stack else proc.done is None):
            return
    elif c.irq.wait is not None:  # in hardirq, waiting for QEMU (qemu._block)
        return
    xs = eng.model.xsched
    if xs is not None and xs.wake(eng, c):
        return      # Xen: another vCPU runs on its pCPU; it waits on the runqueue (xensched.wake sets queued)
    c.queued = True
    w = eng.w
    now, busy = w.now, c.busy_until
    if busy > now:
        now = busy
    seq = w.seq
    w.seq = seq + 1
    eng.agenda[seq] = [now, seq, "cpu", c.id]
    if eng.held == -1:  # (see on_cpu's end)
        eng.held = now << SEQ_BITS | seq
    else:
        heappush(eng.heap, now << SEQ_BITS | seq)


def park(eng: Any, c: Cpu) -> None:
    """Take a CPU off the agenda if it has nothing left to do (it went offline, or it spins
    in stop_machine); a ``wake`` puts it back.

    An offline CPU's process context is empty: cpu_down migrated its task (hotplug.migrate_tasks), unless it sleeps.
    """
    if not c.queued or has_work(c):
        return
    cid = c.id
    eng.unschedule(lambda item: item[2] == "cpu" and item[3] == cid)
    c.queued = False
    blocked(eng, c)


def blocked(eng: Any, c: Cpu) -> None:
    """The CPU left the agenda with nothing to do (halted, waiting for QEMU, offline, spinning in stop_machine
    with interrupts off): on a Xen guest its vCPU blocks, and its pCPU may run another (``xensched.block``)."""
    xs = eng.model.xsched
    if xs is not None:
        xs.block(eng, c)


def on_cpu(eng: Any, item: list[Any]) -> bool | None:
    """Agenda handler: one step of CPU ``item[3]``; True: it was a spin's silent poll (no event)."""
    k: Ctx = eng.model.k
    w = eng.w
    cid = item[3]
    c = w.cpus[cid]
    c.handling = -1  # any step after an action ends it (entry.handle sets it for the next one)
    # Still "queued" while its own step runs: a wake() from inside the step (a doorbell its own
    # handler completes) must not put a second item on the agenda at a stale time.
    c.queued = True
    k.cpu = c
    k.cpu_id = cid
    k.at = eng.cur      # provenance reads the running context's stack during this step
    k.costname = "kernel"
    k.emitted = False
    irq = c.irq
    stack = irq.stack
    act = -1  # the scenario action this step belongs to (for its jitter:)
    if not stack:
        proc = c.proc
        if c.stopped:    # stop_machine: its stopper thread runs now that it left hardirq
            # ... with interrupts on (linux kernel/stop_machine.c multi_cpu_stop: local_irq_disable
            # only on MULTI_STOP_DISABLE_IRQ): the return from the handler re-enables them first,
            # so an interrupt already pending (an edge or Xen's upcall marked while the handler ran)
            # is taken before the stopper's ack (redteam11: a vCPU's queued upcall was left for the
            # offline to drop)
            if not proc.irqs_off and (v := acceptable(c)) >= 0:
                accept(k, c, v)
            elif c._extra.get("upcall") and not proc.irqs_off:
                pv_callback(k, c)
            elif c.stopped == "prepare" and _keeps_cpu(w, c):
                # its task is inside an irqsave section (preemption off): the stopper thread waits for
                # the unlock (hotplug.in_atomic_task); or, kernel.preempt: none, for its sleep or return
                act = proc.action
                _run(k, c, proc)
                if k.silent:
                    return _polled(eng, k, c, item)
            else:
                _stopper_runs(k, c)
        elif c.online and not proc.irqs_off and (v := acceptable(c)) >= 0:
            if k.hvm and (not proc.stack or proc.wait is not None) \
                    and ("unmask_later" in w.xen or "migrate_later" in w.xen) and _woken(eng, c):
                pass    # the interrupt woke a halted vCPU: Xen's schedule-in was this step; it accepts next
            else:
                accept(k, c, v)
        elif c._extra.get("upcall") and c.online and not proc.irqs_off:
            pv_callback(k, c)   # xen-pv: Xen enters the vCPU at its event callback (no APIC vector)
        elif proc.stack and proc.wait is None:
            act = proc.action
            _run(k, c, proc)
            if k.silent:    # a spin's silent poll (``Ctx.spin``)
                return _polled(eng, k, c, item)
        elif proc.done is not None:
            act = proc.action
            _finish_action(k, c, proc.done, emit=True)
        elif (xs := eng.model.xsched) is None or not xs.idles(eng, c):
            raise EngineError(f"CPU{cid} was scheduled with nothing to do")
    elif k.probed:
        _run(k, c, irq)     # probes armed: every step goes through the probe checks
        if k.silent:
            return _polled(eng, k, c, item)
    else:
        # a handler is running: run_step inlined for its common case (the step emits and goes
        # on to the next step, or falls off the end); everything else goes through the general path
        k.ctx = irq
        frame = stack[-1]
        flow = k.flow
        flow.op = NEXT
        k.frame = frame
        name = frame["prog"]
        pc = frame["pc"]
        try:
            STEPS[name][pc](k, frame["locals"])
        except Replay:      # a trapped read from hardirq: the step runs again once QEMU answered
            flow.op = AGAIN
        op = flow.op
        if op == NEXT:
            frame["pc"] = pc = pc + 1
            if pc >= NSTEPS[name]:
                # unwind(stack, NOTHING), inlined (the same pops): this frame fell off its end (an
                # implicit return 0), and so do the frames under it that have nothing left
                # (common_interrupt's, its dispatch done)
                i = n = len(stack)
                if n and stack[-1] is frame:    # its end was tested just above (a step may push one)
                    i -= 1
                while i and (f := stack[i - 1])["pc"] >= NSTEPS[f["prog"]]:
                    i -= 1
                if i != n:
                    loc = stack[i]["locals"]
                    del stack[i:]
                    if i:
                        stack[-1]["locals"]["ret"] = loc["rv"] if "rv" in loc else 0
        elif op == GOTO:  # a label is always a step of the program: nothing to unwind
            frame["pc"] = LABELS[name][flow.target]
        else:
            apply_flow(irq, stack, frame, flow, eng.model.on_push)
        if not k.emitted:
            if k.silent:        # a spin's silent poll (desc->lock in handle_edge_irq)
                return _polled(eng, k, c, item)
            _run(k, c, irq, True, frame)
        elif eng.prov.touched:
            eng.prov.kernel_step_done(w, True, frame)   # provenance: a routine the interrupt path called
    cost = w.costs[k.costname]
    if eng.jitter is not None:
        cost = eng.jitter(eng, cost, act)
        if k.spun is not None:      # a spin's poll (``Ctx.spin``): the mark names the next poll's time
            k.spun[1] = w.now + cost
            k.spun = None
    c.busy_until = busy = w.now + cost
    if not stack:   # has_work, inlined (its irq stack is empty)
        proc = c.proc
        if c.stopped:
            if c.stopped is True or (c.stopped == "prepare" and type(proc.wait) is dict and "ioreq" in proc.wait):
                # interrupts off in multi_cpu_stop (else its stopper runs next); or its task, still keeping
                # the CPU from the stopper, has just blocked in Xen on a QEMU ioreq: QEMU's completion puts it
                # back (qemu._complete; hotplug.in_ioreq)
                c.queued = False
                if (xs := eng.model.xsched) is not None:
                    xs.block(eng, c)
                return None
        elif not c.online or ((proc.irqs_off or ((c.irr == _EMPTY or acceptable(c) < 0)
                                                  and not ("upcall" in (e := c._extra) and e["upcall"]))) and (
                proc.wait is not None if proc.stack else proc.done is None)):
            c.queued = False
            if (xs := eng.model.xsched) is not None:
                xs.block(eng, c)
            return None
    elif irq.wait is not None:   # a trapped write from hardirq: QEMU's completion wakes it
        c.queued = False
        if (xs := eng.model.xsched) is not None:
            xs.block(eng, c)
        return None
    # the CPU's next step: this same agenda item, re-queued at the end of this step's cost. Inside
    # ``Engine._ordered`` (``held`` is -1) its heap key is handed back to the loop, which pushes and
    # pops it in one ``heappushpop`` (it is due before every other item ~3 steps in 4); elsewhere
    # (the strategies' loop, a step outside a loop) it is pushed as any item -- ``requeue``, inline
    item[0] = busy
    item[1] = seq = w.seq
    w.seq = seq + 1
    eng.agenda[seq] = item
    if eng.held == -1:
        eng.held = busy << SEQ_BITS | seq
    else:
        heappush(eng.heap, busy << SEQ_BITS | seq)
    return None


def _woken(eng: Any, c: Cpu) -> bool:
    """``vmsi.woken``: an interrupt for a halted HVM vCPU with an unmask armed schedules it in first."""
    from msidbg.model import vmsi  # (imported here: see on_act)
    return vmsi.woken(eng, c)


def _polled(eng: Any, k: Ctx, c: Cpu, item: list[Any]) -> bool:
    """``on_cpu``'s end for a spin's silent poll (``Ctx.spin``; only without jitter): the CPU's next
    step is the next poll, one kernel cost later (it always has work: the poll runs again). Returns
    True: the engine runs the next item for this step's event."""
    w = eng.w
    c.busy_until = busy = w.now + w.costs[k.costname] * k.silent    # (polls skipped: ``Ctx.spin``)
    k.silent = 0
    requeue(eng, item, busy)
    return True


def requeue(eng: Any, item: list[Any], busy: int) -> None:
    """The CPU's agenda item again, due at ``busy``: its heap key handed back to ``Engine._ordered``
    (``held``) inside that loop, else pushed. (``on_cpu``'s tail does the same inline: the hot path.)"""
    w = eng.w
    item[0] = busy
    item[1] = seq = w.seq
    w.seq = seq + 1
    eng.agenda[seq] = item
    if eng.held == -1:
        eng.held = busy << SEQ_BITS | seq
    else:
        heappush(eng.heap, busy << SEQ_BITS | seq)


def executing(k: Ctx) -> tuple[int, str, list[dict[str, Any]]] | None:
    """The program context running in the current step: (cpu id or -1 for QEMU, ``proc`` | ``irq``
    | ``qemu``, its frames), or None when the step runs no program (a device signal, an accept)."""
    eng = k.eng
    if eng is None or k.at != eng.cur:
        return None
    ctx = k.ctx
    cpu = k.cpu_id
    kind = "qemu" if cpu < 0 else "irq" if ctx is k.cpu.irq else "proc"
    return cpu, kind, ctx.stack


def running(c: Cpu) -> str:
    """What the CPU's next step will be, as ``on_cpu`` decides it: ``irq`` (a handler step),
    ``accept`` (taking an interrupt), ``proc`` (a process-context step), ``done`` (reporting an
    action's end) or ``idle``. Debugger tools use it to say which context ran an event (``c`` a
    CPU record, or the plain dict of a world copy)."""
    proc = c["proc"]
    if c["irq"]["stack"]:
        return "irq"
    if c["stopped"]:    # in stop_machine: spinning, or its stopper thread about to run (proc)
        return "idle" if c["stopped"] is True else "proc"
    if c["online"] and not proc["irqs_off"] and (
            apic.acceptable(c if type(c) is CpuRec else CpuRec.of(c)) >= 0 or c.get("upcall")):
        return "accept"     # (xen-pv: the event callback Xen enters)
    if proc["stack"] and proc["wait"] is None:
        return "proc"
    if proc["done"] is not None:
        return "done"
    return "idle"


def _run(k: Ctx, c: Cpu, ctx: Any, stepped: bool = False, frame: dict[str, Any] | None = None) -> None:
    """Run steps of one context until one of them emits an event (pure steps are free);
    ``stepped``: the caller already ran the first one (and it emitted nothing), in ``frame``."""
    on_push = k.eng.model.on_push
    k.ctx = ctx
    k.at = k.eng.cur
    last: Any = NOTHING
    stack = ctx.stack
    w = k.w
    armed = (w.get("probes") or {}) if k.probed else None     # ({}: no probes, only ``step_watch``)
    watch = k.step_watch if armed is not None else None
    n = 1 if stepped else 0
    kd = k.eng.prov.kdiff
    pc = -1
    proc = c.proc if ctx is c.proc else None
    take = False
    while not (stepped and (not stack or ctx.wait is not None)):
        if n >= MAX_SILENT_STEPS:
            raise EngineError(f"CPU{c['id']}: {stack[-1]['prog']} ran {MAX_SILENT_STEPS} steps without an event")
        n += 1
        frame = stack[-1]
        if armed:
            if probes.before(w, ctx):
                continue        # the probe's frame runs first
            frame = stack[-1]
        pc = frame["pc"]
        off = proc is not None and proc.irqs_off
        got = run_step(k, ctx, on_push)
        stepped = True
        if armed:
            probes.after(w, ctx, frame, pc, [] if got is NOTHING else [got])
        if watch is not None:
            watch(stack, frame, pc)
        if got is not NOTHING:
            last = got
        if k.emitted:
            break
        if kd.dirty_cpus or kd.dirty_irqs:
            # provenance: kernel state this step changed without an event is recorded in its own
            # step (its stack), not in the step that emits the event later
            k.eng.prov.kernel_silent_step(w, stack, frame, pc)
        if k.silent:    # a spin's silent poll: nothing ran but the poll (its frame stays)
            return
        if off and proc is not None and not proc.irqs_off and stack and ctx.wait is None and c.online and not c.stopped and (
                acceptable(c) >= 0 or c._extra.get("upcall")):
            # local_irq_restore (raw_spin_unlock_irqrestore) turned interrupts on with one pending: the CPU
            # takes it at once, before the task's next statement (locks26: it ran on to the task's next
            # event -- free_irq's whole irq_domain_deactivate_irq section -- first)
            take = True
            break
    k.eng.prov.kernel_step_done(w, ctx is c.irq, frame, pc, stack)   # provenance: slots / online flags it changed
    if take:
        if (v := acceptable(c)) >= 0:
            accept(k, c, v)
        else:
            pv_callback(k, c)
        return
    if not stack and ctx is c.proc:
        _finish_action(k, c, 0 if last is NOTHING or last is None else last, emit=not k.emitted)
    elif not k.emitted:
        raise EngineError(f"CPU{c['id']}: a step blocked or returned without emitting an event")


# --- scenario actions ----------------------------------------------------------------------------
#: the actions that are a driver's calls: their error is the device's (``probe-failed``, the PCI
#: status). ``set_affinity`` is an administrator's /proc/irq write (write_irq_affinity): its error goes
#: back to the writer only (the action's result); the driver stays bound and the device keeps working.
DRIVER_ACTIONS = {"probe", "remove", "alloc_vectors", "free_vectors", "request_irq", "free_irq", "doorbell"}


def on_act(eng: Any, item: list[Any]) -> None:
    """Agenda handler: scenario action ``item[4]`` starts on CPU ``item[3]``."""
    w = eng.w
    c = w.cpus[item[3]]
    idx = item[4]
    act = w.actions[idx]
    if not cpu_active(w, c.id):
        _refuse_action(eng, c, act, idx)
        return
    # (imported here: importing vmsi before the other model modules would renumber the event kinds)
    from msidbg.model import vmsi
    if not c.proc.stack and not c.irq.stack and not c.stopped and c.busy_until < w.now \
            and vmsi.due(w, c.id) and not (eng.model.xsched is not None and eng.model.xsched.waits(w, c.id)):
        # the task wakes a halted vCPU: Xen schedules it in first (vmx_do_resume), which runs hvm_migrate_pirqs
        # when a migration moved it while halted and from f7039ee41b (hvm_do_resume) applies an unmask a failed
        # msix_write_completion left armed on it: this step, the action the next.
        # An action queued behind the one that just ended (its CPU still busy with that step) starts without
        # the vCPU idling: no hlt, no schedule-in (xentick26)
        vmsi.resume(eng, c.id)
        eng.schedule(w.now, "act", c.id, idx)
        return
    act["state"] = "running"
    c.proc.action = idx
    args = dict(act["args"], action=idx)
    if act["dev"] is not None:
        args["dev"] = act["dev"]
    frame = new_frame(eng.model.action_programs[act["do"]], args)
    err = eng.model.on_root(frame)
    if err:  # a fault on the root program: the action returns -errno without running
        c.proc.done = err
    else:
        c.proc.stack.append(frame)
        if w.kernel["hotplug"] >= 0:
            _preparing(eng, c)    # stop_machine's stopper thread already runs on this CPU
    eng.emit(K.ACTION_START, c.id, act["dev"], idx, eng.s(act["do"]))
    P = eng.prov
    r = P.write(PC.ACT_START, PK.key(PK.ACTION, idx), idx, ctx=False)
    if r >= 0:
        P.proc_last[c.id] = r
    wake(eng, c)


def _refuse_action(eng: Any, c: Cpu, act: dict[str, Any], idx: int) -> None:
    """The action's CPU is offline or going offline (out of cpu_active_mask): pinning a task to it
    fails as ``taskset -c N`` does (sched_setaffinity: -EINVAL), so the action returns -EINVAL
    without running and the CPU's next action is due (reading kernel.hotplug.action-on-inactive-cpu).
    A driver action that never ran leaves its device's status alone."""
    w = eng.w
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.ONLINE, c.id))
    act["state"], act["result"] = "done", -EINVAL
    eng.emit(K.ACTION_DONE, c.id, act["dev"], idx, eng.s(act["do"]), -EINVAL)
    P.write(PC.ACT_DONE, PK.key(PK.ACTRES, idx), -EINVAL, ctx=False,
            note=f"CPU{c['id']} is not active: sched_setaffinity to it fails with -EINVAL (taskset)")
    queue = c.queue
    if queue:
        nxt = queue.pop(0)
        eng.schedule(max(w.now, w.actions[nxt]["at"]), "act", c.id, nxt)


def _finish_action(k: Ctx, c: Cpu, value: Any, emit: bool) -> None:
    """Record an action's result; emit ``action.done`` now or on the CPU's next step. The task's root
    program has returned: a device_lock it holds is released here (``devlock.release``), whatever way
    the program ended."""
    proc = c.proc
    if proc.action >= 0:
        _release(k.eng, proc.action, k.w.actions[proc.action]["dev"])
    if not emit:
        proc.done = value
        return
    w = k.w
    idx = proc.action
    act = w.actions[idx]
    act["state"], act["result"] = "done", value
    proc.done, proc.action = None, -1
    k.ev(K.ACTION_DONE, act["dev"], idx, k.s(act["do"]), value if isinstance(value, int) else 0)
    P = k.eng.prov
    last = P.proc_last.get(c.id, -1)
    err = P.writer(PK.key(PK.ACTERR, idx)) if isinstance(value, int) and value < 0 and P.on else -1
    if err >= 0 and P.x(P.resolve(err)) == value:
        P.dep_writer(PC.D_ERROR, PK.key(PK.ACTERR, idx), err)    # the step that returned the error
    elif last >= 0:
        P.dep_writer(PC.D_RETURNED, P.key(last), last)
    P.write(PC.ACT_DONE, PK.key(PK.ACTRES, idx), value if isinstance(value, int) else 0, ctx=False)
    if act["dev"] is not None and act["do"] in DRIVER_ACTIONS:
        _driver_status(k, act, value)
    if "migrating" in w.kernel and _resume_migrated(k.eng, c):
        return      # a task migrated here off a CPU that went offline runs first
    queue = c.queue
    if queue:
        nxt = queue.pop(0)
        k.eng.schedule(max(w.now, w.actions[nxt]["at"]), "act", c.id, nxt)


def _driver_status(k: Ctx, act: dict[str, Any], value: Any) -> None:
    pci = k.w.kernel["pci"][act["dev"]]
    if value == -EBUSY and act["do"] == "probe" and pci.get("bound"):
        return      # the driver core refused to bind a device that has a driver (driver.bound): the caller's error
    if isinstance(value, int) and value < 0:
        if not pci["status"].startswith("failed"):
            pci["status"] = f"failed: {errname(value)}"
        k.hit(hits.PROBE_FAILED, f"{act['do']} on {act['dev']} returned {errname(value)} ({value})")
    elif pci["status"] == "not-probed" and act["do"] != "remove":
        # (a remove of a not-probed device found no driver -- probe and alloc_vectors set "ok" when they bind
        # one -- and __device_release_driver ran none of its code: the device stays not-probed, docs/scenario.md)
        pci["status"] = "ok"


# --- waiting for an interrupt (doorbell) ------------------------------------------------------------
def on_timeout(eng: Any, item: list[Any]) -> None:
    """Agenda handler: a driver's wait for its interrupt expired."""
    c = eng.w.cpus[item[3]]
    proc = _task_of(c)      # (its task is kept aside while take_cpu_down runs on it)
    wait = proc["wait"]
    if wait is None or wait["token"] != item[4]:
        raise EngineError("a stale wait timeout fired")
    proc["wait"] = None
    proc["stack"][-1]["locals"]["ret"] = -ETIMEDOUT
    _unregister_waiter(eng.w, wait, c.id)
    eng.emit(K.WAIT_TIMEOUT, c.id, wait["dev"], proc["action"], wait["index"])
    P = eng.prov
    P.dep(PC.D_WAITED, PK.key(PK.SIG, PK.dev_entry(P.dev(wait["dev"]), wait["index"])))
    descs = eng.w.kernel["pci"][wait["dev"]]["descs"]
    if wait["index"] < len(descs) and descs[wait["index"]]["irq"]:
        irq = descs[wait["index"]]["irq"]
        P.dep(PC.D_IRQ, PK.key(PK.GIRQ, irq))
        P.dep(PC.D_IRQ, PK.key(PK.IRQVEC, irq))
    P.dep(PC.D_ACTION, PK.key(PK.ACTION, proc["action"]))
    r = P.write(PC.WAIT_TIMEOUT, PK.key(PK.WAIT, c.id), -ETIMEDOUT, ctx=False)
    if r >= 0:
        P.proc_last[c.id] = r
    if not _fallback_wake(eng, c) and not _behind_stopper(eng, c):  # (not active: select_fallback_rq places it)
        wake(eng, c)


def wake_waiters(eng: Any, dev: str, idx: int, cause: tuple[int, int] | None = None) -> None:
    """The handler of (dev, idx) delivered: wake drivers waiting for it, cancel their timers."""
    w = eng.w
    key = f"{dev}#{idx}"
    cpus = w.kernel["waiters"].get(key)
    if not cpus:
        return
    handled = w.acct[dev]["handled"][idx]
    for cid in list(cpus):
        c = w.cpus[cid]
        proc = _task_of(c)
        wait = proc["wait"]
        if wait is None or handled < wait["target"]:
            continue
        proc["wait"] = None
        proc["stack"][-1]["locals"]["ret"] = 0
        _cancel_timer(eng, "timeout", wait["token"])
        _unregister_waiter(w, wait, cid)
        P = eng.prov
        # (provenance of a fallback placement: what woke it -- the handler's vector, else the delivery)
        woke = cause or (PC.D_WAITED, PK.key(PK.DELIV, PK.dev_entry(P.dev(dev), idx)))
        if not _fallback_wake(eng, c, woke) and not _behind_stopper(eng, c):  # (not active: select_fallback_rq)
            wake(eng, c)


def _unregister_waiter(w: Any, wait: dict[str, Any], cpu: int) -> None:
    key = f"{wait['dev']}#{wait['index']}"
    lst = w.kernel["waiters"].get(key, [])
    if cpu in lst:
        lst.remove(cpu)
    if not lst:
        w.kernel["waiters"].pop(key, None)


def _cancel_timer(eng: Any, kind: str, token: int) -> None:
    """Take the ``kind`` timer with ``token`` off the agenda (tokens are unique: at most one)."""
    eng.unschedule(lambda item: item[2] == kind and item[4] == token)
