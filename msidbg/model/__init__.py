"""The actors of the simulation: devices, local APICs, the guest kernel (and, on Xen
platforms, QEMU and the hypervisor), as behaviour over the plain-data world.

``new_engine(scenario)`` gives a ready-to-step ``msidbg.sim.Engine``. This package never
imports Textual or Rich.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from msidbg.model import acct, cpu, device, hits, hwcite, iommu, xenreg  # noqa: F401  (hwcite: citations)
from msidbg.model import kernel as _kernel  # noqa: F401  (registers the kernel programs)
from msidbg.model import kinds as K
from msidbg.model.build import build_world
from msidbg.model.kernel.driver import ACTION_PROGRAMS
from msidbg.sim.events import EventLog
from msidbg.sim.scheduler import Engine

if TYPE_CHECKING:
    from msidbg.scenario import Scenario


def _on_fire(eng: Engine, item: list[Any]) -> None:
    """A device signal from the timeline: ``[t, seq, "fire", dev, index, remaining, every]``."""
    _, _, _, dev, idx, remaining, every = item
    if remaining > 1:
        # the next signal of this series: the same item, re-queued (saves building a new one)
        w = eng.w
        item[0] = w["now"] + every
        item[1] = w["seq"]
        w["seq"] += 1
        item[5] = remaining - 1
        heapq.heappush(w["agenda"], item)
    device.signal(eng, dev, idx)


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
}
#: end-of-run accounting hooks(engine) -> signals counted lost (e.g. event channels left pending)
FINISH_HOOKS: list[Any] = []
xenreg.register(AGENDA_HANDLERS, FINISH_HOOKS)
iommu.register()


class Model:
    """Behaviour over the world, handed to the engine (which imports nothing from here)."""

    action_programs = ACTION_PROGRAMS

    def __init__(self) -> None:
        self.k = cpu.Ctx()
        self.handlers: dict[str, Any] = dict(AGENDA_HANDLERS)
        self.wake = cpu.wake
        self.park = cpu.park
        self.wake_waiters = cpu.wake_waiters

    def bind(self, eng: Engine) -> None:
        """Attach to the engine that runs this model (one model per engine)."""
        k = self.k
        k.eng, k.w = eng, eng.w

    def on_push(self, frame: dict[str, Any]) -> bool:
        """Entry into a kernel program: function breakpoints, then fault injection."""
        k = self.k
        prog = frame["prog"]
        k.eng.entered(prog)
        dev = frame["locals"].get("dev")
        err = self._fault(prog, dev)
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
        return -self._fault(frame["prog"], frame["locals"].get("dev"))

    def _fault(self, prog: str, dev: str | None) -> int:
        """The errno of the first armed fault for ``prog`` on ``dev`` (one use consumed), or 0."""
        for f in self.k.eng.w["kernel"]["faults"]:
            if f[0] == prog and f[3] > 0 and (f[1] is None or f[1] == dev):
                f[3] -= 1
                return int(f[2])
        return 0

    def finish(self, eng: Engine) -> None:
        """The agenda is empty: account every signal still held anywhere as lost."""
        w = eng.w
        total = 0
        for name in sorted(w["acct"]):
            held = w["acct"][name]["held"]
            for idx, n in enumerate(held):
                if n:
                    held[idx] = 0
                    total += n
                    acct.lost(eng, name, idx, n, "were held behind a mask nobody cleared by the end of the run")
        for c in w["cpus"]:
            for v in sorted(c["irr_src"]):
                for name, idx, n in c["irr_src"][v]:
                    total += n
                    acct.lost(eng, name, idx, n, f"were still pending in CPU{c['id']}'s IRR at the end")
            c["irr_src"] = {}
        for hook in FINISH_HOOKS:
            total += hook(eng)
        eng.emit(K.RUN_END, -1, None, total)
        w["ended"] = True


def new_engine(scn: Scenario, seed: int | None = None, log: EventLog | None = None) -> Engine:
    """A fresh engine at event 0 of ``scn`` (``seed`` overrides the file's)."""
    model = Model()
    eng = Engine(build_world(scn, seed), model, log)
    model.bind(eng)
    return eng


__all__ = ["Model", "build_world", "hits", "new_engine"]
