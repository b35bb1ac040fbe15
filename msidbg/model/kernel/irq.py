"""The generic irq core (kernel/irq/): request_irq, startup, affinity, moves, free_irq.

``request_irq`` installs the handler, activates the irq (the vector domain assigns a real
vector and the message is written, entry still masked), then starts it up. Before
826da771291f/ff363f480e59 (``affinity_before_startup: false``) startup unmasked first and
applied the affinity afterwards -- rewriting a live entry; after, the affinity comes first.

Model reading of ``affinity:`` (see docs/model.md): activation places the vector with the
matrix allocator over all online CPUs; the affinity requested with the irq (a hint or a
managed mask given by the driver) is what ``irq_setup_affinity()`` applies at startup.

Affinity changes of a running irq without interrupt remapping are deferred: the new mask
is recorded (``move_pending``) and applied at the next interrupt, masked, by
``irq_move_irq`` in the ack path. CPU hotplug moves irqs with ``migrate_one_irq``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.model import kinds as K
from msidbg.model.hw import MANAGED_IRQ_SHUTDOWN_VECTOR
from msidbg.model.kernel import msi, pci
from msidbg.model.kernel import vector as vec
from msidbg.sim.program import program

EINVAL, EBUSY = 22, 16

#: irq chip name -> mask function (k, desc, masked) -> None (may emit, may be silent)
CHIP_MASK: dict[str, Callable[[Any, dict[str, Any], bool], None]] = {
    "PCI-MSIX": msi.chip_mask,
    "PCI-MSI": msi.chip_mask,
}
#: irq chip name -> program implementing irq_set_affinity for it (bare metal, no remapping)
CHIP_SET_AFFINITY: dict[str, str] = {"PCI-MSIX": "msi_set_affinity", "PCI-MSI": "msi_set_affinity"}
#: platform route -> program that replaces msi_set_affinity (interrupt remapping, Xen)
ROUTE_SET_AFFINITY: dict[str, str] = {}
#: platform route -> program run when an irq is activated, before its message is written
#: (the interrupt remapping layer programs the IRTE), and when it is deactivated
ROUTE_ACTIVATE: dict[str, str] = {}
ROUTE_DEACTIVATE: dict[str, str] = {}
#: irq chip name -> program run as chip->irq_startup instead of the unmask (Xen's startup_pirq)
CHIP_STARTUP: dict[str, str] = {}
#: irq chip name -> program run as chip->irq_shutdown instead of the mask (Xen's shutdown_pirq)
CHIP_SHUTDOWN: dict[str, str] = {}
#: irq chip name -> properties: "no-domain" (outside the x86 vector domain: activation assigns
#: no vector and writes no message), "move-pcntxt" (IRQ_MOVE_PCNTXT: affinity applied at once),
#: "startup-first" (no IRQCHIP_AFFINITY_PRE_STARTUP: startup, then affinity)
CHIP_PROPS: dict[str, frozenset[str]] = {}


def chip_has(desc: dict[str, Any], prop: str) -> bool:
    props = CHIP_PROPS.get(desc["chip"])
    return props is not None and prop in props


def irq_of(k: Any, dev: str, index: int) -> dict[str, Any] | None:
    """pci_irq_vector(): the irq of vector ``index``, or None. msi_get_virq() takes msi_lock_descs,
    so while another CPU enables or tears down the device's MSI state the caller finds it after
    that finished: the model answers None (no irq yet / any more) instead of sleeping."""
    p = pci.pdev(k, dev)
    descs = p["descs"]
    if index >= len(descs) or not descs[index]["irq"] or p["lock"] not in (-1, k.cpu_id):
        return None
    return k.w["irqs"].get(descs[index]["irq"])


def online(k: Any) -> list[int]:
    return vec.online_cpus(k.w)


# --- request_irq -------------------------------------------------------------------------------
request = program("request_irq", "request_irq -> __setup_irq -> irq_activate, irq_startup")


@request.step
def setup(k: Any, loc: dict[str, Any]) -> None:
    desc = irq_of(k, loc["dev"], loc["index"])
    if desc is None:
        k.note(f"vector {loc['index']} has no irq (allocate vectors first)", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    if desc["action"] is not None:
        k.note(f"irq {desc['irq']} is already requested", -EBUSY, loc["dev"])
        k.ret(-EBUSY)
        return
    loc["irq"] = desc["irq"]
    k.irq_save(loc)  # raw_spin_lock_irqsave(&desc->lock) around activation and startup
    desc["action"] = f"{loc['dev']}-{loc['index']}"
    desc["hint"] = None if loc.get("affinity") is None else [loc["affinity"]]
    k.ev(K.IRQ_REQUEST, loc["dev"], desc["irq"], loc["index"])
    k.call("irq_activate", irq=desc["irq"])


@request.step
def startup_first(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] < 0:
        k.w["irqs"][loc["irq"]]["action"] = None
        k.irq_restore(loc)
        k.ret(loc["ret"])
        return
    k.call("irq_setup_affinity" if _affinity_first(k, loc["irq"]) else "irq_startup", irq=loc["irq"])


def _affinity_first(k: Any, irq: int) -> bool:
    if chip_has(k.w["irqs"][irq], "startup-first"):
        return False
    return bool(k.w["behaviour"]["affinity_before_startup"])


@request.step
def startup_second(k: Any, loc: dict[str, Any]) -> None:
    k.call("irq_startup" if _affinity_first(k, loc["irq"]) else "irq_setup_affinity", irq=loc["irq"])


@request.step
def requested(k: Any, loc: dict[str, Any]) -> None:
    k.irq_restore(loc)
    k.ret(0)


activate = program("irq_activate", "x86_vector_activate + msi_domain_activate")


@activate.step
def assign(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    if desc["activated"] or chip_has(desc, "no-domain"):
        k.ret(0)
        return
    ret = vec.activate(k.w, desc)
    if ret < 0:
        k.note("no vector available", ret, desc["dev"])
        k.ret(ret)
        return
    desc["activated"] = True
    k.ev(K.VECTOR_ASSIGN, desc["dev"], desc["irq"], desc["vector"], desc["cpu"])


@activate.step
def write(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    k.call("irq_compose_write", irq=desc["irq"])


compose_write = program("irq_compose_write", "irq_chip_compose_msi_msg + irq_chip_write_msi_msg")


@compose_write.step
def activate_parent(k: Any, loc: dict[str, Any]) -> None:
    """The parent domains activate first: with remapping, the IRTE gets vector and CPU."""
    prog = ROUTE_ACTIVATE.get(k.w["platform"]["route"])
    if prog is not None:
        k.call(prog, irq=loc["irq"])


@compose_write.step
def compose_and_write(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    k.call("pci_write_msi_msg", irq=desc["irq"], msg=msi.compose(k, desc), parts="all")


startup = program("irq_startup", "__irq_startup -> irq_enable -> unmask")


@startup.step
def enable(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    desc["started"] = True
    desc["masked"] = False
    prog = CHIP_STARTUP.get(desc["chip"])
    if prog is not None:
        k.call(prog, irq=loc["irq"])
    else:
        CHIP_MASK[desc["chip"]](k, desc, False)


setup_affinity = program("irq_setup_affinity", "apply the requested (or default) affinity")


@setup_affinity.step
def choose(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    on = online(k)
    want = desc["hint"] or (desc["affinity"] if desc["affinity_set"] else on)
    mask = [c for c in want if c in on] or on
    if desc["hint"]:
        desc["affinity_set"] = True
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=mask)


do_set_affinity = program("irq_do_set_affinity", "the irq chip's irq_set_affinity")


@do_set_affinity.step
def chip_set(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    prog = ROUTE_SET_AFFINITY.get(k.w["platform"]["route"]) or CHIP_SET_AFFINITY[desc["chip"]]
    k.call(prog, irq=loc["irq"], mask=loc["mask"])


@do_set_affinity.step
def record(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] >= 0:
        k.w["irqs"][loc["irq"]]["affinity"] = list(loc["mask"])
    k.ret(loc["ret"])


msi_set_affinity = program("msi_set_affinity", "arch/x86/kernel/apic/msi.c (no interrupt remapping)")


@msi_set_affinity.step
def new_vector(k: Any, loc: dict[str, Any]) -> None:
    """Allocate the new target vector; the old one stays mapped until the move completes."""
    desc = k.w["irqs"][loc["irq"]]
    loc["old"] = [desc["vector"], desc["cpu"]]
    ret = vec.assign_vector_locked(k.w, desc, loc["mask"])
    if ret < 0:
        k.note("vector assignment failed", ret, desc["dev"])
        k.ret(ret)
        return
    if [desc["vector"], desc["cpu"]] != loc["old"]:
        k.ev(K.VECTOR_ASSIGN, desc["dev"], desc["irq"], desc["vector"], desc["cpu"])


@msi_set_affinity.step
def update_msg(k: Any, loc: dict[str, Any]) -> None:
    """Write the new message -- directly when that is safe (or always, with ``plain``)."""
    desc = k.w["irqs"][loc["irq"]]
    if not needs_plug(k, desc, loc["old"]):
        k.call_then("updated", "pci_write_msi_msg", irq=loc["irq"], msg=msi.compose(k, desc), parts="all")
    elif k.cpu_id == loc["old"][1] or in_hotplug(k):
        k.call_then("updated", "msi_set_affinity_plug", irq=loc["irq"], old=loc["old"])
    else:
        k.note(f"WARN_ON_ONCE: CPU{k.cpu_id} is not the irq's target CPU{loc['old'][1]}; direct update",
               0, desc["dev"])


@msi_set_affinity.step
def direct_after_warning(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    k.call("pci_write_msi_msg", irq=loc["irq"], msg=msi.compose(k, desc), parts="all")


@msi_set_affinity.step
def updated(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


def in_hotplug(k: Any) -> bool:
    """Is this the CPU-offline path (which the real kernel runs on the dying CPU itself)?"""
    return any(f["prog"] == "cpu_down" for f in k.ctx["stack"])


def needs_plug(k: Any, desc: dict[str, Any], old: list[int]) -> bool:
    """6f1a4891a592: the direct update is unsafe only for a started, non-maskable MSI
    whose vector *and* destination both change."""
    if k.w["behaviour"]["msi_affinity_update"] != "plug-race":
        return False
    if desc["chip"] != "PCI-MSI":
        return False
    from msidbg.model.hw import MSI_PVM

    if k.w["devices"][desc["dev"]]["msi"]["ctrl"] & MSI_PVM and not pci.ignore_mask(k):
        return False
    if desc["vector"] == old[0] or old[0] == MANAGED_IRQ_SHUTDOWN_VECTOR or not desc["started"]:
        return False
    return bool(vec.dest_apic(k.w, desc["cpu"]) != vec.dest_apic(k.w, old[1]))


# --- user affinity and deferred moves ----------------------------------------------------------------
set_affinity = program("irq_set_affinity", "write /proc/irq/N/smp_affinity")


@set_affinity.step
def request_move(k: Any, loc: dict[str, Any]) -> None:
    desc = irq_of(k, loc["dev"], loc["index"])
    mask = [c for c in loc["mask"] if c in online(k)]
    if desc is None or not mask:
        k.note("no such irq or no online CPU in the mask", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    loc["irq"] = desc["irq"]
    desc["affinity_set"] = True
    if not desc["started"] or not (desc["activated"] or chip_has(desc, "no-domain")):
        desc["affinity"] = mask
        k.ev(K.IRQ_AFFINITY, desc["dev"], desc["irq"], mask[0], k.s("stored"))
        k.ret(0)
    elif k.w["platform"]["interrupt_remapping"] or chip_has(desc, "move-pcntxt"):
        k.ev(K.IRQ_AFFINITY, desc["dev"], desc["irq"], mask[0], k.s("direct"))
        k.call("irq_do_set_affinity", irq=desc["irq"], mask=mask)
    else:
        desc["move_pending"] = True
        desc["pending_mask"] = mask
        k.ev(K.IRQ_AFFINITY, desc["dev"], desc["irq"], mask[0], k.s("pending"))
        k.ret(0)


@set_affinity.step
def moved(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"] if loc["ret"] < 0 else 0)


def mask_irq(k: Any, desc: dict[str, Any]) -> bool:
    """mask_irq(): mask through the chip unless already masked; True if it already was."""
    if desc["masked"]:
        return True
    desc["masked"] = True
    CHIP_MASK[desc["chip"]](k, desc, True)
    return False


def unmask_irq(k: Any, desc: dict[str, Any]) -> None:
    desc["masked"] = False
    CHIP_MASK[desc["chip"]](k, desc, False)


move_irq = program("irq_move_irq", "kernel/irq/migration.c: apply a pending move at ack time")


@move_irq.step
def mask_first(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    desc["move_pending"] = False
    mask = [c for c in desc["pending_mask"] if c in online(k)]
    if not mask:
        desc["pending_mask"] = []
        k.note("pending affinity has no online CPU: dropped", 0, desc["dev"])
        k.ret(0)
        return
    loc["mask"] = mask
    loc["was_masked"] = mask_irq(k, desc)


@move_irq.step
def do_move(k: Any, loc: dict[str, Any]) -> None:
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=loc["mask"])


@move_irq.step
def unmask_after(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    if loc["ret"] == -EBUSY:
        desc["move_pending"] = True  # cleanup still pending: retry at the next interrupt
    else:
        desc["pending_mask"] = []
    if not loc["was_masked"]:
        unmask_irq(k, desc)


migrate = program("migrate_one_irq", "kernel/irq/cpuhotplug.c: move an irq off a dying CPU")


@migrate.step
def migrate_mask(k: Any, loc: dict[str, Any]) -> None:
    loc["was_masked"] = mask_irq(k, k.w["irqs"][loc["irq"]])


@migrate.step
def migrate_set(k: Any, loc: dict[str, Any]) -> None:
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=loc["mask"])


@migrate.step
def migrate_unmask(k: Any, loc: dict[str, Any]) -> None:
    if not loc["was_masked"]:
        unmask_irq(k, k.w["irqs"][loc["irq"]])
    k.ret(loc["ret"])


# --- free_irq ---------------------------------------------------------------------------------------
free = program("free_irq", "__free_irq -> irq_shutdown_and_deactivate")


@free.step
def remove_action(k: Any, loc: dict[str, Any]) -> None:
    desc = irq_of(k, loc["dev"], loc["index"])
    if desc is None or desc["action"] is None:
        k.note("Trying to free already-free IRQ", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    loc["irq"] = desc["irq"]
    desc["action"] = None
    k.ev(K.IRQ_FREE, loc["dev"], desc["irq"], loc["index"])


@free.step
def shutdown(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    desc["started"] = False
    desc["move_pending"] = False
    prog = CHIP_SHUTDOWN.get(desc["chip"])
    if prog is not None:
        desc["masked"] = True
        k.call(prog, irq=loc["irq"])
    else:
        mask_irq(k, desc)


@free.step
def deactivate_msg(k: Any, loc: dict[str, Any]) -> None:
    """msi_domain_deactivate writes an all-zero message."""
    desc = k.w["irqs"][loc["irq"]]
    if desc["activated"]:
        k.call("pci_write_msi_msg", irq=loc["irq"], msg=[0, 0, 0], parts="all")


@free.step
def deactivate_parent(k: Any, loc: dict[str, Any]) -> None:
    """Below the MSI domain: with remapping, the IRTE is cleared (not present)."""
    prog = ROUTE_DEACTIVATE.get(k.w["platform"]["route"])
    if prog is not None and k.w["irqs"][loc["irq"]]["activated"]:
        k.call(prog, irq=loc["irq"])


@free.step
def deactivate_vector(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w["irqs"][loc["irq"]]
    if not desc["activated"]:
        k.ret(0)
        return
    desc["activated"] = False
    freed = vec.deactivate(k.w, desc)
    if freed:
        k.ev(K.VECTOR_FREE, desc["dev"], desc["irq"], freed[0][0], freed[0][1])
    k.ret(0)
