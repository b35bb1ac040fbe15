"""The actors of the simulation: devices, local APICs, the guest kernel (and, on Xen
platforms, QEMU and the hypervisor), as behaviour over the plain-data world.

``new_engine(scenario)`` gives a ready-to-step ``msidbg.sim.Engine``. This package never
imports Textual or Rich.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from msidbg.model import acct, amdvi, cite, contexts, cpu, device, hits, iommu, platforms  # noqa: F401
from msidbg.model import kernel as _kernel  # noqa: F401  (registers the kernel programs)
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.build import build_world
from msidbg.model.hw import words_highest
from msidbg.model.kernel.driver import ACTION_PROGRAMS
from msidbg.model.prov import HOT, HOT_PROGS, NoProv, Prov
from msidbg.model.prov import of as prov_of
from msidbg.sim import events as _events
from msidbg.sim import strategy
from msidbg.sim.events import EventLog
from msidbg.sim.rec import as_world
from msidbg.sim.scheduler import SEQ_BITS, Engine
from msidbg.sim.strategy import Schedule

#: the default ``timing.window`` of each strategy (ns): how much later than the earliest due item
#: another context's item may run first. ``pct`` and ``delay`` reorder steps that are close in
#: time, not only exact ties; ``random`` keeps its original meaning (ties only).
DEFAULT_WINDOW = {"ordered": 0, "random": 0, "pct": 10_000, "delay": 10_000}

if TYPE_CHECKING:
    from msidbg.scenario import Scenario


_heappush, _signal = heapq.heappush, device.signal   # hot path: one global lookup each


def _on_fire(eng: Engine, item: list[Any]) -> None:
    """A device signal from the timeline: ``[t, seq, "fire", dev, index, remaining, every]``, plus
    the action's index when it has its own ``jitter:`` (which varies the interval)."""
    dev, idx, remaining, every = item[3], item[4], item[5], item[6]
    if remaining > 1:
        # the next signal of this series: the same item, re-queued (``Engine.requeue`` inlined)
        w = eng.w
        if len(item) == 7:
            item[0] = t = w.now + every
        elif eng.jitter is not None:
            item[0] = t = w.now + eng.jitter(eng, every, item[7])
        else:
            del item[7:]
            item[0] = t = w.now + every
        item[1] = seq = w.seq
        w.seq = seq + 1
        item[5] = remaining - 1
        eng.agenda[seq] = item
        _heappush(eng.heap, t << SEQ_BITS | seq)
    _signal(eng, dev, idx)


def _on_release(eng: Engine, item: list[Any]) -> None:
    device.release(eng, item[3], item[4])


#: agenda item kind -> handler(engine, item); platform modules (Xen, QEMU) add theirs
AGENDA_HANDLERS: dict[str, Any] = {
    "cpu": cpu.on_cpu,
    "act": cpu.on_act,
    "fire": _on_fire,
    "release": _on_release,
    "timeout": cpu.on_timeout,
    "vtimer": _kernel.entry.on_vtimer,
    "spoll": _kernel.intx.on_spoll,
}
#: end-of-run accounting hooks(engine) -> signals counted lost (e.g. event channels left pending)
FINISH_HOOKS: list[Any] = [_kernel.entry.finish_pending, _kernel.intx.finish_intx]
# the Xen platforms: imported and registered on first use (model/platforms.py); an event kind looked up before
# then loads them (its code is fixed by kinds.ORDER)
_events.on_missing(platforms.load_xen)
cite.on_missing(platforms.load_all)     # (and the citations: hwcite's too)
iommu.register()
amdvi.register()
_kernel.pm.register()     # (last: the kind dev.reset is numbered after every other)


class Model:
    """Behaviour over the world, handed to the engine (which imports nothing from here)."""

    action_programs = ACTION_PROGRAMS

    def __init__(self, prov: bool = True) -> None:
        self.k = cpu.Ctx()
        self.prov = prov
        self.handlers: dict[str, Any] = dict(AGENDA_HANDLERS)
        self.wake = cpu.wake
        self.park = cpu.park
        self.wake_waiters = cpu.wake_waiters
        #: the context of an agenda item, for schedule strategies (``sim/strategy.py``)
        self.context = contexts.context
        #: indexes derived from the world (e.g. Xen's pending ports, ``evtchn.pending_ports``),
        #: never part of it: dropped whenever a world is bound, rebuilt from it on first use
        self.derived: dict[str, Any] = {}
        #: Xen's host scheduler (model/xensched.py: a ``Sched`` bound to the world's state, built by every bind) when
        #: the world has its state, else None: ``cpu.wake`` asks it whether a waking vCPU must wait for its pCPU, and
        #: a vCPU leaving the agenda tells it (``cpu.blocked``)
        self.xsched: Any = None

    def bind(self, eng: Engine) -> None:
        """Attach to the engine that runs this model (one model per engine)."""
        k = self.k
        # the world, its CPUs, contexts and irq descriptors as records (a world unpacked holds dicts)
        eng.w = w = as_world(eng.w)
        k.eng, k.w = eng, w
        k.probed = "probes" in w      # (built with the world: probes.build)
        k.hvm = type(pl := w.get("platform")) is dict and pl.get("kind") == "xen-hvm"
        self.derived.clear()
        x = w.get("xen")
        self.xsched = None
        if x and "sched" in x:
            from msidbg.model import xensched
            if xensched.valid(w):
                self.xsched = xensched.Sched(w)
        eng.sync_agenda()   # the world may have been replaced or patched (time travel)
        if getattr(eng, "prov", None) is None:  # the engine's provenance store (model/prov.py)
            eng.prov = Prov(eng) if self.prov else NoProv(eng)  # type: ignore[attr-defined]

    def on_push(self, frame: dict[str, Any]) -> bool:
        """Entry into a kernel program: function breakpoints, then fault injection."""
        k = self.k
        prog = frame["prog"]
        eng = k.eng
        if prog in eng.call_watch:      # (Engine.entered's test, inlined)
            eng.entered(prog)
        if prog not in HOT_PROGS:
            eng.prov.touched = True   # provenance: this step may change vector_irq slots
        if not eng.w.kernel["faults"]:   # (nothing armed: _fault would find nothing)
            return True
        dev = frame["locals"].get("dev")
        if dev is None and "irq" in frame["locals"]:
            # a program called for an irq (irq_domain_activate_irq, irq_startup, ...) is about that
            # irq's device: a ``faults:`` entry naming the device matches it too (redteam20)
            desc = eng.w.irqs.get(frame["locals"]["irq"])
            dev = None if desc is None else desc.get("dev")
        proc = k.cpu.get("proc")
        err = self._fault(prog, dev, proc.get("action", -1) if proc is not None and k.ctx is proc else -1)
        if not err:
            return True
        stack = k.ctx.get("stack") or []
        if stack:
            stack[-1]["locals"]["ret"] = -err
        if not k.emitted:
            k.note(f"fault injected: {prog} returns -{err}", -err, dev)
        return False

    def on_root(self, frame: dict[str, Any]) -> int:
        """Entry into a scenario action's root program (the action's start is this step's event):
        0 to run it, or the -errno an injected fault makes it return without running."""
        self.k.eng.entered(frame["prog"])
        return -self._fault(frame["prog"], frame["locals"].get("dev"), frame["locals"].get("action", -1))

    def _fault(self, prog: str, dev: str | None, action: int | None = -1) -> int:
        """The errno of the first armed fault for ``prog`` on ``dev`` (one use consumed), or 0.
        In a scenario action's process context (``action`` >= 0) the fault is also the action's
        error (``actions[n].error``): a negative result links it."""
        for i, f in enumerate(self.k.eng.w.kernel["faults"]):
            if f[0] == prog and f[3] > 0 and (f[1] is None or f[1] == dev):
                f[3] -= 1
                also = (PK.key(PK.ACTERR, action),) if action is not None and action >= 0 else ()
                self.k.eng.prov.write(PC.FAULT, PK.key(PK.FAULT, i), -int(f[2]), ctx=False, also=also,
                                      note=f"{prog} returns -{f[2]}" + (f" for {dev}" if dev else ""))
                self.k.eng.prov.stack_only()     # where it fired: at allocation or request_irq (whyheld11)
                return int(f[2])
        return 0

    def finish(self, eng: Engine) -> None:
        """The agenda is empty: account every signal still held anywhere as lost."""
        w = eng.w
        P = prov_of(eng)
        for name in sorted(w.acct):
            held = w.acct[name]["held"]
            for idx, n in enumerate(held):
                if n:
                    held[idx] = 0
                    P.dep(PC.D_HELD, PK.key(PK.HELD, PK.dev_entry(P.dev(name), idx)))
                    pci = w["kernel"].get("pci", {}).get(name)
                    if pci is not None and idx >= len(pci["descs"]):    # an entry the driver never set up
                        P.dep(PC.D_DRIVER_VECTORS, PK.key(PK.BOUND, P.dev(name)))
                    elif pci is not None:   # a managed irq its startup left shut down (IRQ_STARTUP_ABORT)
                        d = w.irqs.get(pci["descs"][idx]["irq"])
                        if d is not None and d.get("managed_shutdown") and P.writer(PK.key(PK.MSHUT, d.irq)) >= 0:
                            P.dep(PC.D_SHUTDOWN, PK.key(PK.MSHUT, d.irq))
                    acct.lost(eng, name, idx, n, device.held_reason(
                        w["devices"][name], idx, None if pci is None else len(pci["descs"])))
            msix = w["devices"][name]["msix"]
            for idx, n in enumerate(msix.get("suppressed", ()) if msix else ()):
                if n:   # the Marvell quirk's suppressed MSI signals (device._signal_msi)
                    msix["suppressed"][idx] = 0
                    P.dep(PC.D_HELD, PK.key(PK.HELD, PK.dev_entry(P.dev(name), idx)))
                    acct.lost(eng, name, idx, n, device.SUPPRESSED_REASON.format(idx=idx))
        for c in w.cpus:
            top = words_highest(c.isr) if c.irr_src else -1
            for v in sorted(c.irr_src):
                # what kept it pending: a vector of its priority class or above still in service on that CPU
                # (the PIC cascade's 0x32, which nothing EOIs: kernel.entry.pic-cascade); the loss linked only
                # the message that set the IRR bit (whyheld11)
                behind = PK.key(PK.ISR, PK.cpu_vec(c.id, top)) if top >= 0 and top >> 4 >= v >> 4 else -1
                for name, idx, n in c.irr_src[v]:
                    P.dep(PC.D_PENDING, PK.key(PK.IRR, PK.cpu_vec(c.id, v)))
                    if behind >= 0 and P.writer(behind) >= 0:
                        P.dep(PC.D_IN_SERVICE, behind)
                    acct.lost(eng, name, idx, n, f"were still pending in CPU{c['id']}'s IRR at the end")
            c.irr_src = {}
        if P.on and eng.fresh:
            _not_started(w, P)
        for hook in FINISH_HOOKS:
            hook(eng)
        # run.end says what the summary says: every signal raised and never delivered (the ones
        # counted just now, and those lost on the way earlier)
        eng.emit(K.RUN_END, -1, None, acct.total_lost(w))
        w.ended = True


def _not_started(w: Any, P: Prov) -> None:
    """Provenance: each scenario action still queued at the end (it never started) is a node linking what held its
    CPU: the spin wait nothing can end (``Ctx.stuck``'s ``cpus[c].proc.wait``), else the action still running there."""
    for i, a in enumerate(w.get("actions") or ()):
        if a.get("state") != "queued":
            continue
        on = a.get("on")
        if not isinstance(on, int) or not 0 <= on < len(w.cpus):
            continue
        run = w.cpus[on].proc.get("action")
        wait = PK.key(PK.WAIT, on)
        wp = P.writer(wait)
        # (a task's desc->lock wait that ended -- ``lock.wait``, why26 / why27 -- held nothing up to the end)
        if wp >= 0 and not (wp < HOT and P.code(wp) == PC.LOCK_WAIT):
            P.dep(PC.D_QUEUED_BEHIND, wait)
        elif isinstance(run, int) and run >= 0:
            P.dep(PC.D_QUEUED_BEHIND, PK.key(PK.ACTION, run))
        behind = f", queued behind action {run}, still running" if isinstance(run, int) and run >= 0 else ""
        P.write(PC.NOT_STARTED, PK.key(PK.ACTION, i), 0, ctx=False,
                note=f"action {i} ({a.get('do')} on CPU{on}) never started{behind}")


def new_engine(scn: Scenario, seed: int | None = None, log: EventLog | None = None,
               schedule: Schedule | None = None, prov: bool = True) -> Engine:
    """A fresh engine at event 0 of ``scn`` (``seed`` overrides the file's; ``schedule`` the
    file's ``schedule:`` and ``timing.window``, see ``resolve_schedule``). ``prov``: record
    provenance (``eng.prov``, see ``model/prov.py``); off, nothing is recorded."""
    sch = resolve_schedule(scn) if schedule is None else schedule
    w = build_world(scn, seed)
    ranges = {a.index: a.at_max_ns - a.at_ns for a in scn.run if a.at_max_ns is not None and a.at_max_ns > a.at_ns}
    jitter = list(scn.timing.jitter) if scn.timing.jitter else None
    act_jitter = {a.index: list(a.jitter) for a in scn.run if a.jitter}
    drawn = strategy.setup(w, sch, ranges, jitter, act_jitter)
    if drawn or (sch.draws and act_jitter):
        _uncertain_timeline(scn, w, drawn, act_jitter)
    model = Model(prov)
    eng = Engine(w, model, log)
    model.bind(eng)
    strategy.attach(eng, sch.plan, drawn)
    return eng


def _uncertain_timeline(scn: Scenario, w: Any, offsets: dict[int, int],
                        act_jitter: dict[int, list[int]]) -> None:
    """Ranged actions start ``offsets`` later than their range's start, and so do their agenda
    items: a CPU's first action, a device's signals (which also name their action when it has
    its own jitter, see ``_on_fire``). Later actions of a CPU read ``at`` when their turn comes."""
    actions = w.actions
    for idx, off in offsets.items():
        actions[idx]["at"] += off
    fires = sorted((it for it in w.agenda.values() if it[2] == "fire"), key=lambda it: it[1])
    for a in scn.run:
        if a.do != "fire":
            continue
        # the first unclaimed signal item of the timeline with these arguments (identical ones
        # are interchangeable)
        want = [a.at_ns, a.dev, a.args["vector"], a.args["count"], a.args["every_ns"]]
        item = next(it for it in fires if [it[0], *it[3:7]] == want)
        fires.remove(item)
        item[0] = actions[a.index]["at"]
        if a.index in act_jitter:
            item.append(a.index)
    for item in w.agenda.values():
        if item[2] == "act":
            item[0] = actions[item[4]]["at"]
        elif item[2] == "xen" and item[3] == "migrate":
            item[0] = actions[item[6]]["at"]


def resolve_schedule(scn: Scenario, strategy_name: str | None = None, depth: int | None = None,
                     window: int | None = None) -> Schedule:
    """The schedule a run of ``scn`` uses: the file's ``schedule:`` and ``timing.window`` unless
    overridden; pct and delay draw their points among the baseline's choice points."""
    name = strategy_name or scn.schedule
    if window is None:
        window = scn.timing.window if scn.timing.window is not None else DEFAULT_WINDOW[name]
    depth = strategy.DEFAULT_DEPTH if depth is None else depth
    horizon = baseline_choice_points(scn, window) if name in ("pct", "delay") else 0
    return Schedule(name, depth, window, horizon)


def baseline_choice_points(scn: Scenario, window: int, max_events: int = 5_000_000) -> int:
    """How many choice points (steps where two or more contexts are due within ``window``) the
    ``ordered`` run of ``scn`` meets: the horizon PCT and delay draw their points from."""
    eng = new_engine(scn, schedule=Schedule("ordered"))
    strategy.count_choice_points(eng, window)
    step = eng.step
    for _ in range(max_events):
        if not step():
            break
    return max(eng.trace.points, 1)


__all__ = ["Model", "Schedule", "baseline_choice_points", "build_world", "hits", "new_engine", "resolve_schedule"]
