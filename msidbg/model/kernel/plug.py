"""6f1a4891a592 "x86/apic/msi: Plug non-maskable MSI affinity race".

When a started, non-maskable, non-remapped MSI changes both vector and destination,
``msi_set_affinity`` does not write the new message directly. On the current CPU, under
the vector lock and with interrupts off, it marks the new vector RETRIGGERED here if it
is unused, redirects the MSI to the new vector on *this* CPU (one full message write),
then to the new CPU (a second full write); after dropping the lock it checks this CPU's
IRR for the new vector and, if a signal raced in, retriggers it to the new CPU by IPI.
Every message the device can see in between is one the kernel wrote as a whole.

"This CPU" is the irq's current target: the deferred move runs there at ack, and the CPU
hotplug path (fixup_irqs, in take_cpu_down) runs on the dying CPU. Called from anywhere else,
the real code WARNs and writes directly.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import apic
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import VECTOR_RETRIGGERED, words_test
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.provkernel import cpu_dirty
from msidbg.sim.program import program

plug = program("msi_set_affinity_plug", "the careful two-step update of a non-maskable MSI", source=S.MSI_SET_AFFINITY)


@plug.step
def lock_and_mark(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    k.irq_save(loc)
    k.kernel["vector_lock"] = k.cpu_id
    here = k.w["cpus"][loc["old"][1]]  # the irq's current target: where this code runs
    slot = here["vector_irq"].get(desc["vector"])
    marked = not isinstance(slot, int) or isinstance(slot, bool)
    if marked:
        here["vector_irq"][desc["vector"]] = VECTOR_RETRIGGERED
        cpu_dirty(k, loc["old"][1])
    k.note("vector_lock; new vector here marked RETRIGGERED" if marked else "vector_lock; new vector in use here",
           desc["vector"], desc["dev"])


@plug.step
def redirect_local(k: Any, loc: dict[str, Any]) -> None:
    """Old destination (this CPU's APIC), new vector: only the data changes on the device."""
    desc = k.w["irqs"][loc["irq"]]
    msg = vec.msg(k.w, loc["old"][1], desc["vector"])
    k.call("pci_write_msi_msg", irq=loc["irq"], msg=msg, parts="all")


@plug.step
def redirect_target(k: Any, loc: dict[str, Any]) -> None:
    """New destination, new vector: only the address changes on the device."""
    desc = k.w["irqs"][loc["irq"]]
    msg = vec.msg(k.w, desc["cpu"], desc["vector"])
    k.call("pci_write_msi_msg", irq=loc["irq"], msg=msg, parts="all")


@plug.step
def unlock_and_check_irr(k: Any, loc: dict[str, Any]) -> None:
    """If the new vector is pending in this CPU's IRR, a signal hit the window: retrigger."""
    desc = k.w["irqs"][loc["irq"]]
    k.kernel["vector_lock"] = -1
    v = desc["vector"]
    here = k.w["cpus"][loc["old"][1]]
    if not words_test(here["irr"], v):
        k.irq_restore(loc)
        k.note("no signal raced the update", 0, desc["dev"])
        k.ret(0)
        return
    mine = [s for s in here["irr_src"].get(v, []) if s[0] == desc["dev"] and s[1] == desc["index"]]
    for s in mine:
        here["irr_src"][v].remove(s)
    if mine:
        # The retrigger sends the vector to the new CPU; the device's message stays in this CPU's IRR
        # and is taken here when interrupts come back on: a slot marked VECTOR_RETRIGGERED swallows it,
        # an irq that uses the vector here runs its handler for it -- "the installed device handler will
        # denote it as spurious" (msi_set_affinity). Which signals it was, for that arrival (redteam25).
        stray = here.get("retrig_irr")
        if stray is None:
            here["retrig_irr"] = stray = {}
        stray.setdefault(v, []).extend([s[0], s[1], s[2]] for s in mine)
    target = k.w["cpus"][desc["cpu"]]
    apic.receive(target, v, mine[0] if mine else None)
    for s in mine[1:]:
        apic.receive(target, v, s)
    apic.edge(target, v)    # the retrigger IPI: an edge (SDM 10.8.4: its TMR bit cleared)
    P = k.eng.prov      # provenance: the retrigger's IRR bit, for the signal pending in this CPU's IRR
    P.dep(PC.D_CAUSE, PK.key(PK.IRR, PK.cpu_vec(here["id"], v)))
    P.write(PC.IRR_IPI, PK.key(PK.IRR, PK.cpu_vec(target["id"], v)), 1)
    k.eng.model.wake(k.eng, target)
    k.irq_restore(loc)
    k.ev(K.APIC_IPI, desc["dev"], target["id"], v, cost="ipi")
    k.ret(0)
