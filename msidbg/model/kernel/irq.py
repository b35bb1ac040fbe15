"""The generic irq core (kernel/irq/): request_irq, activation, startup, free_irq.

``request_irq`` -> ``__setup_irq`` installs the handler, activates a non-managed irq
(``irq_activate``: the vector domain assigns a real vector inside the irq's affinity mask and
the message is written, entry still masked), then ``irq_startup``:

* a managed irq (``__irq_startup_managed``) is activated only now, on an online CPU of its
  mask, and started with its mask applied first (IRQ_STARTUP_MANAGED); with no CPU of the
  mask online it stays shut down (IRQ_STARTUP_ABORT) until one comes back;
* any other irq runs ``irq_setup_affinity`` -- the stored affinity when one was set (or the
  irq is managed), else ``irq_default_affinity`` -- before ``__irq_startup`` unmasks it when
  the chip has IRQCHIP_AFFINITY_PRE_STARTUP (826da771291f + ff363f480e59,
  ``affinity_before_startup``), after it otherwise. It never looks at the affinity *hint*.

Affinity changes, deferred moves and CPU hotplug migration are in ``move.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.cite import Source, reading
from msidbg.model.kernel import msi, pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.affinity import default_affinity
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import desc_dirty, irq_dirty, rsvd_warning
from msidbg.sim.program import CALL, program

EINVAL, EBUSY, EIO = 22, 16, 5

#: irq chip name -> mask function (k, desc, masked) -> None (may emit, may be silent)
def ioapic_mask(k: Any, desc: dict[str, Any], masked: bool) -> None:
    """ioapic_chip's mask_ioapic_irq / unmask_ioapic_irq: the mask bit of the irq's IO-APIC routing
    entry (S.IOAPIC_CHIP). No PCI write and no device is involved: the model keeps the bit as the
    descriptor's ``masked`` (its caller sets it) and emits nothing."""


CHIP_MASK: dict[str, Callable[[Any, dict[str, Any], bool], None]] = {
    "PCI-MSIX": msi.chip_mask,
    "PCI-MSI": msi.chip_mask,
    "IO-APIC": ioapic_mask,     # the legacy ISA irqs (build.legacy_irqs)
}
#: irq chip name -> program implementing irq_set_affinity for it (bare metal, no remapping)
CHIP_SET_AFFINITY: dict[str, str] = {"PCI-MSIX": "msi_set_affinity", "PCI-MSI": "msi_set_affinity"}
#: platform route -> program that replaces msi_set_affinity (interrupt remapping, Xen)
ROUTE_SET_AFFINITY: dict[str, str] = {}


def set_affinity_prog(k: Any, desc: Any) -> str:
    """The program of ``desc``'s chip->irq_set_affinity: the route's (remapping) or the chip's. An ISA irq
    (chip "IO-APIC", build.legacy_irqs) always has its own: the model keeps no routing entry or IRTE for
    the ISA pins, only the vector domain's move (``ioapic_isa_set_affinity``)."""
    if desc.chip == "IO-APIC":
        return CHIP_SET_AFFINITY["IO-APIC"]
    return ROUTE_SET_AFFINITY.get(k.w.platform["route"]) or CHIP_SET_AFFINITY[desc.chip]
#: platform route -> program run when an irq is activated, before its message is written
#: (the interrupt remapping layer programs the IRTE), and when it is deactivated
ROUTE_ACTIVATE: dict[str, str] = {}
ROUTE_DEACTIVATE: dict[str, str] = {}
#: irq chip name -> program run as chip->irq_startup instead of the unmask (Xen's startup_pirq)
CHIP_STARTUP: dict[str, str] = {}
#: irq chip name -> program run as chip->irq_shutdown instead of the mask (Xen's shutdown_pirq)
CHIP_SHUTDOWN: dict[str, str] = {}
#: irq chip name -> chip->irq_disable / chip->irq_enable (k, desc): a chip without them is disabled
#: lazily (IRQD_IRQ_DISABLED only) and enabled by unmask_irq -- the x86 PCI-MSI chips have neither
CHIP_DISABLE: dict[str, Callable[[Any, dict[str, Any]], None]] = {}
CHIP_ENABLE: dict[str, Callable[[Any, dict[str, Any]], None]] = {}
#: irq chip name -> chip->irq_retrigger (k, desc, the IRQS_PENDING signals) -> True if it retriggered
#: (emits); absent: irq_chip_retrigger_hierarchy down to the x86 vector domain's apic_retrigger_irq
CHIP_RETRIGGER: dict[str, Callable[[Any, dict[str, Any], list[list[Any]]], bool]] = {}
#: irq chip name -> program writing the irq's composed message / clearing it at deactivation, instead of the
#: PCI MSI write (the IO-APIC's level entries: kernel/intx.py)
CHIP_WRITE_MSG: dict[str, str] = {}
CHIP_CLEAR_MSG: dict[str, str] = {}
#: irq chip name -> program adding a second (IRQF_SHARED) action to an irq that has one (kernel/intx.py)
SHARED_REQUEST: dict[str, str] = {}
#: irq chip name -> (k, desc, dev, index) -> actions left after removing that device's (-1: it has none)
SHARED_FREE: dict[str, Callable[[Any, Any, str, int], int]] = {}
#: irq chips whose irqs are level-triggered: check_irq_resend does not resend them
NO_RESEND: set[str] = set()
#: irq chip name -> properties: "no-domain" (outside the x86 vector domain: activation assigns
#: no vector and writes no message), "move-pcntxt" (IRQ_MOVE_PCNTXT: affinity applied at once),
#: "startup-first" (no IRQCHIP_AFFINITY_PRE_STARTUP: startup, then affinity)
CHIP_PROPS: dict[str, frozenset[str]] = {}
#: (irq chip name, property) -> the behaviour switch without which the chip lacks that property
#: (Xen's pirq chip is IRQ_MOVE_PCNTXT only from 1ca1b4e2c0cb: ``kernel.xen_affinity_immediate``)
CHIP_PROP_SWITCH: dict[tuple[str, str], str] = {}


def chip_has(desc: Any, prop: str, w: Any = None) -> bool:
    props = CHIP_PROPS.get(desc.chip)
    if props is None or prop not in props:
        return False
    switch = CHIP_PROP_SWITCH.get((desc.chip, prop))
    return switch is None or w is None or bool(w.behaviour.get(switch, True))


reading("kernel.irq.vector-lookup-locked",
        "pci_irq_vector() while another CPU enables or tears down the device's MSI state finds the irq only "
        "after that finished: msi_get_virq takes msi_lock_descs. The model answers 'no irq' at once instead of "
        "sleeping (the outcome a teardown leaves). Before 5.17 the lookup takes no lock, and msidbg holds none "
        "then (kernel33): it walks the list as it is.",
        source=Source("torvalds/linux", "v6.2", "kernel/irq/msi.c", "msi_domain_get_virq", "5.17.."),
        quote="msi_lock_descs(dev); xa = &dev->msi.data->__domains[domid].store;", module=__name__)


def irq_of(k: Any, dev: str, index: int) -> Any:
    """pci_irq_vector(): the irq descriptor of vector ``index``, or None (-EINVAL, or a number no descriptor has).

    Neither MSI nor MSI-X enabled: nr 0 is ``dev->irq`` -- the INTx irq, also after pci_free_irq_vectors and
    during another CPU's set-up before it sets its flag; 0 (no irq here) without a routed pin -- and nr > 0
    -EINVAL, in every release. MSI-X: the descriptor of the entry. MSI before 82ff8e6b78fc
    (``kernel.pci_irq_vector_msi: dev_irq``): 'dev->irq + nr' (nr below the first descriptor's nvec_used), no
    lock; from it msi_get_virq(): the descriptor at index 0 under msi_lock_descs, whose wait the model answers
    with None at once (reading ``kernel.msi.irq-vector``)."""
    p = pci.pdev(k, dev)
    irqs = k.w.irqs
    if not p["msix_enabled"] and not p["msi_enabled"]:
        dev_irq = p.get("irq", 0)
        return irqs.get(dev_irq) if index == 0 and dev_irq else None
    descs = p["descs"]
    if p["lock"] not in (-1, k.cpu_id):
        return None         # msi_get_virq's msi_lock_descs (5.17+): another CPU's enable or teardown holds it
    if p["msix_enabled"]:
        return irqs.get(descs[index]["irq"]) if index < len(descs) and descs[index]["irq"] else None
    # MSI: one kernel descriptor for the block (the model keeps one per vector): nvec_used is the run of
    # entries 0, 1, .. at the list's head (a second unserialised enable appends its own run after it)
    nvec_used = 0
    while nvec_used < len(descs) and descs[nvec_used]["index"] == nvec_used:
        nvec_used += 1
    if sw(k, "pci_irq_vector_msi") == "dev_irq":
        if not descs or index >= nvec_used:
            return None     # WARN_ON_ONCE(nr >= entry->nvec_used) (an empty list: the head read as an entry)
        dev_irq = p.get("irq", 0)
        if dev_irq == descs[0]["irq"]:
            # dev->irq + nr in the block __irq_domain_alloc_irqs allocated contiguously (the model numbers a
            # block's irqs one at a time: its nr-th is the descriptor's)
            return irqs.get(descs[index]["irq"]) if descs[index]["irq"] else None
        return irqs.get(dev_irq + index) if dev_irq else None
    if not descs or not descs[0]["irq"] or index >= nvec_used:
        return None         # msi_get_virq: no descriptor at index 0, no irq yet, or index >= nvec_used
    return irqs.get(descs[index]["irq"]) if descs[index]["irq"] else None


def online(k: Any) -> list[int]:
    return vec.online_cpus(k.w)


# --- request_irq -------------------------------------------------------------------------------
request = program("request_irq", "request_irq -> __setup_irq -> irq_activate, irq_startup", source=S.SETUP_IRQ)


@request.step
def setup(k: Any, loc: dict[str, Any]) -> None:
    desc = irq_of(k, loc["dev"], loc["index"])
    if desc is None:
        k.note(f"vector {loc['index']} has no irq (allocate vectors first)", -EINVAL, loc["dev"])
        k.ret(-EINVAL)
        return
    if desc.action is not None:
        shared = SHARED_REQUEST.get(desc.chip)
        if shared is not None:     # IRQF_SHARED on both actions (a PCI INTx line)
            loc["irq"] = desc.irq
            k.call_then("requested", shared, irq=desc.irq, dev=loc["dev"], index=loc["index"])
            return
        k.note(f"irq {desc['irq']} is already requested", -EBUSY, loc["dev"])
        k.ret(-EBUSY)
        return
    loc["irq"] = desc.irq
    k.irq_save(loc)  # raw_spin_lock_irqsave(&desc->lock) around activation and startup
    desc.action = f"{loc['dev']}-{loc['index']}"
    if desc.get("actions") is not None:     # a shared INTx irq keeps every action
        desc["actions"] = [[loc["dev"], loc["index"]]]
    k.ev(K.IRQ_REQUEST, loc["dev"], desc.irq, loc["index"])
    k.eng.prov.write(PC.IRQ_ACTION, PK.key(PK.IRQACT, desc.irq), 1, note="request_irq installed it")
    loc["was_activated"] = desc["activated"]   # at allocation (msi_activate_early)
    k.call("irq_activate", irq=desc.irq)


@request.step
def startup(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] < 0:
        k.w.irqs[loc["irq"]]["action"] = None
        if k.w.irqs[loc["irq"]].get("actions") is not None:
            k.w.irqs[loc["irq"]]["actions"] = []
        k.irq_restore(loc)
        k.ret(loc["ret"])
        return
    k.call("irq_startup", irq=loc["irq"], reactivate=loc["was_activated"])


@request.step
def requested(k: Any, loc: dict[str, Any]) -> None:
    """__setup_irq's last act: register_irq_proc() creates /proc/irq/N (kept until the
    descriptor is freed; ``proc`` on the descriptor)."""
    k.irq_restore(loc)
    k.w.irqs[loc["irq"]]["proc"] = True
    k.ret(0)


activate = program("irq_activate", "kernel/irq/chip.c irq_activate: managed irqs wait for startup", source=S.IRQ_ACTIVATE)


@activate.step
def activate_unless_managed(k: Any, loc: dict[str, Any]) -> None:
    if k.w.irqs[loc["irq"]]["is_managed"]:
        k.ret(0)
        return
    k.call("irq_domain_activate_irq", irq=loc["irq"])


@activate.step
def activated(k: Any, loc: dict[str, Any]) -> None:
    """``return irq_domain_activate_irq(d, false)``: an activation that found no vector fails
    request_irq (__setup_irq: ``ret = irq_activate(desc); if (ret) goto out_unlock``)."""
    k.ret(loc["ret"])


def _broken_affinity(k: Any, desc: Any) -> None:
    """Provenance of activate_reserved's warning: the irq's vector (a node of ``irqs[n].vector`` at the warning's
    step, with its value) links the fallback assignment and the latest vector assignments of the CPUs of its
    affinity mask, which left none free there (what ``why`` of the warning, or of the vector, leads to)."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    key = PK.key(PK.IRQVEC, desc.irq)
    last = P.writer(key)
    if last < 0:
        return
    mask = sorted(desc["affinity"])
    full = [i for i, d in k.w.irqs.items() if i != desc.irq and d.cpu in mask and d.vector][-4:]
    for i in full:
        P.dep(PC.D_CAUSE, PK.key(PK.IRQVEC, i))
    P.dep(PC.D_CAUSE, key)
    P.write(PC.IRQ_VECTOR, key, P.x(last),
            note=f"Affinity broken due to vector space exhaustion (activate_reserved: no CPU of its affinity, "
            f"CPU{','.join(map(str, mask))}, had a free vector)")


domain_activate = program("irq_domain_activate_irq", "x86_vector_activate + msi_domain_activate", source=(S.VECTOR, S.MSI_DEACTIVATE, S.MATRIX_RESERVE))


@domain_activate.step
def assign(k: Any, loc: dict[str, Any]) -> None:
    """x86_vector_activate: a managed or reserved irq gets its vector now (vector.assign); one whose
    vector was assigned at allocation keeps it -- and before 4.15 the vector domain has no activate
    callback at all -- so only msi_domain_activate's message write follows (no second vector.assign
    for the one assignment)."""
    if loc.get("early"):
        # msi_init_virq's activation at allocation: the vector domain's part is alloc_irq's (a reservation's
        # shutdown vector, or the vector assigned then, which x86_vector_activate keeps); the message follows
        return
    desc = k.w.irqs[loc["irq"]]
    if desc["activated"] or chip_has(desc, "no-domain"):
        k.ret(0)
        return
    assigns = not vec.legacy(k.w) and (desc["is_managed"] or desc["has_reserved"])
    reserved = assigns and not desc["is_managed"]
    ret = vec.activate(k.w, desc)
    desc_dirty(k, desc)     # provenance: the vector / CPU and slot it took
    if reserved and desc["effective"] not in desc["affinity"] and sw(k, "affinity_broken_warning"):
        # activate_reserved (743dac494d61): the effective CPU -- the new vector's, or on failure the shutdown
        # vector's first online CPU -- is checked against the affinity mask whatever the result; the pr_warn
        # is the next step's note (one event a step)
        loc["broken"] = True
        if ret < 0:
            k.note(f"irq {desc.irq}: Affinity broken due to vector space exhaustion.", desc.irq, desc.dev)
            k.ret(ret)
            return
    if ret < 0:
        k.note("no vector available", ret, desc.dev)
        k.ret(ret)
        return
    desc["activated"] = True
    if assigns:
        k.ev(K.VECTOR_ASSIGN, desc.dev, desc.irq, desc.vector, desc.cpu)


@domain_activate.step
def write(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    if loc.pop("broken", False):
        _broken_affinity(k, desc)
        k.note(f"irq {desc.irq}: Affinity broken due to vector space exhaustion.", desc.irq, desc.dev)
        k.again()
        return
    k.call("irq_compose_write", irq=desc.irq)


compose_write = program("irq_compose_write", "irq_chip_compose_msi_msg + irq_chip_write_msi_msg", source=S.MSI_DEACTIVATE)


@compose_write.step
def activate_parent(k: Any, loc: dict[str, Any]) -> None:
    """The parent domains activate first: with remapping, the IRTE gets vector and CPU."""
    prog = ROUTE_ACTIVATE.get(k.w.platform["route"])
    if prog is not None:
        k.call(prog, irq=loc["irq"])


@compose_write.step
def compose_and_write(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    prog = CHIP_WRITE_MSG.get(desc.chip)
    if prog is not None:
        k.call(prog, irq=desc.irq)
        return
    k.call("pci_write_msi_msg", irq=desc.irq, msg=msi.compose(k, desc), parts="all")


# --- irq_startup ----------------------------------------------------------------------------------
irq_startup = program("irq_startup", "kernel/irq/chip.c irq_startup: managed or normal startup",
                      source=(S.IRQ_STARTUP, *S.STARTUP_REACTIVATE))


def _pre_startup(k: Any, desc: Any) -> bool:
    """IRQCHIP_AFFINITY_PRE_STARTUP: the x86 PCI/MSI chips from 826da771291f/ff363f480e59."""
    return not chip_has(desc, "startup-first") and bool(sw(k, "affinity_before_startup"))


def _freed_under(k: Any, loc: dict[str, Any]) -> Any:
    """The irq's descriptor, or None when it was freed while this call ran on it: a failed second enable's
    free_msi_irqs on another CPU (before 4c1ef72e9b71, kernel.msi.enable-unserialised) frees every irq of the
    device's list -- msi_domain_free_irqs -> irq_domain_free_irqs -> irq_free_descs takes no desc->lock -- so an
    enable_irq holding that lock goes on with a descriptor torn down under it: a use-after-free msidbg does not
    follow; the call ends here (reading kernel.irq.freed-under-call, hypothetical; redteam32: tests/combo31 seed
    324285 raised KeyError)."""
    desc = k.w.irqs.get(loc["irq"])
    if desc is None:
        k.note(f"irq {loc['irq']} was freed under this call (another CPU's free_msi_irqs: irq_free_descs takes no "
               "desc->lock): a use-after-free msidbg does not follow; the call ends here", loc["irq"], None)
        k.ret(0)
    return desc


@irq_startup.step
def reactivate(k: Any, loc: dict[str, Any]) -> None:
    """Before 'irqdomain: Avoid activating interrupts more than once' (4.10; 4.9.9) irq_startup's
    irq_domain_activate_irq() re-ran every domain's activate callback, activated or not
    (``startup_reactivates``): an irq request_irq found activated at allocation (f3b0946d629c)
    has its IRTE (with remapping) and message composed and written again. The model's
    request_irq activates before irq_startup (irq_activate, 4.15), so ``reactivate`` says whether
    the irq was activated before request_irq -- else this startup's is its first activation."""
    desc = _freed_under(k, loc)
    if desc is None:
        return
    desc["depth"] = 0
    if desc["started"]:     # ``if (irqd_is_started(d)) irq_enable(desc);`` (enable_irq's way in)
        k.call_then("started", "irq_enable", irq=desc.irq)
        return
    if (loc.get("reactivate") and sw(k, "startup_reactivates") and desc["activated"]
            and not chip_has(desc, "no-domain")):
        k.call("irq_compose_write", irq=desc.irq)


@irq_startup.step
def startup_kind(k: Any, loc: dict[str, Any]) -> None:
    """__irq_startup_managed: NORMAL, MANAGED (activate now) or ABORT (no CPU of the mask)."""
    desc = _freed_under(k, loc)
    if desc is None:
        return
    loc["managed"] = desc["is_managed"]
    if not loc["managed"]:
        if _pre_startup(k, desc):
            k.call("irq_setup_affinity", irq=loc["irq"])
        return
    desc["managed_shutdown"] = False
    if not [c for c in desc["affinity"] if vec.cpu_online(k.w, c)]:
        desc["managed_shutdown"] = True
        if sw(k, "managed_disable_depth"):
            desc["depth"] = 1      # IRQ_STARTUP_ABORT: 'desc->depth = 1;' (788019eb559f)
        # __irq_startup_managed: 'if (WARN_ON_ONCE(force)) return IRQ_STARTUP_ABORT;' -- enable_irq() on a managed
        # irq CPU hotplug shut down (IRQ_START_FORCE) is the code it says it catches: a WARN splat in dmesg
        warn = "WARN_ON_ONCE(force) (enable_irq on a managed irq with no online CPU), " if loc.get("force") else ""
        P = k.eng.prov
        if P.on and k.eng.fresh:    # provenance (whyheld10): the abort, for the offline CPUs of the mask
            for c in desc["affinity"]:
                P.dep(PC.D_CAUSE, PK.key(PK.ONLINE, c))
            P.write(PC.KERNEL, PK.key(PK.MSHUT, desc.irq), 1,
                    note=f"{warn}IRQ_STARTUP_ABORT: irq {desc.irq}'s managed mask (CPU "
                    + ", ".join(str(c) for c in desc["affinity"]) + ") has no online CPU: shut down, not unmasked")
        k.note(f"{warn}IRQ_STARTUP_ABORT: no online CPU in the managed mask; shut down until one comes back",
               desc.irq, desc.dev)
        k.ret(0)
        return
    k.call("irq_domain_activate_irq", irq=loc["irq"])


@irq_startup.step
def startup_middle(k: Any, loc: dict[str, Any]) -> None:
    desc = _freed_under(k, loc)
    if desc is None:
        return
    if loc["managed"]:
        if loc["ret"] < 0:
            desc["managed_shutdown"] = True
            k.ret(0)
            return
        k.call("irq_do_set_affinity", irq=loc["irq"], mask=list(desc["affinity"]))
    else:
        k.call("__irq_startup", irq=loc["irq"])


@irq_startup.step
def startup_last(k: Any, loc: dict[str, Any]) -> None:
    desc = _freed_under(k, loc)
    if desc is None:
        return
    if loc["managed"]:
        k.call("__irq_startup", irq=loc["irq"])
    elif not _pre_startup(k, desc):
        k.call("irq_setup_affinity", irq=loc["irq"])


@irq_startup.step
def started(k: Any, loc: dict[str, Any]) -> None:
    """``if (resend) check_irq_resend(desc, false);`` -- every caller passes IRQ_RESEND (__setup_irq,
    __enable_irq, irq_restore_affinity_of_irq): an edge left IRQS_PENDING while the irq was disabled
    or shut down is replayed now."""
    from msidbg.model.kernel.disable import check_irq_resend  # (disable.py imports this module)
    desc = _freed_under(k, loc)
    if desc is None:
        return
    if desc["pending"]:
        check_irq_resend(k, desc)
    k.ret(0)


irq_enable = program("irq_enable", "kernel/irq/chip.c irq_enable: chip->irq_enable, or unmask_irq",
                     source=S.IRQ_ENABLE)


@irq_enable.step
def enable_or_unmask(k: Any, loc: dict[str, Any]) -> None:
    """Not IRQD_IRQ_DISABLED: unmask_irq. Else clear it, then chip->irq_enable (the port's unmask on
    xen-pirq) or unmask_irq -- which writes only if the irq is masked: a lazily disabled irq that
    saw no edge was never masked. Under desc->lock (enable_irq's irq_get_desc_buslock): a flow
    handler on another CPU that holds it -- between its IRQD_IRQ_DISABLED test and its mask_irq --
    finishes first."""
    from msidbg.model.kernel.entry import spin_on_lock  # (entry.py's imports lead back here)

    desc = _freed_under(k, loc)
    if desc is None:
        return
    if spin_on_lock(k, desc, k.cpu_id):
        return
    chip_enable = CHIP_ENABLE.get(desc.chip) if desc.disabled else None
    desc.disabled = False
    if chip_enable is not None:
        desc.masked = False
        chip_enable(k, desc)
        if k.flow.op == CALL:   # the chip's enable is a program (xen-pirq's startup_pirq before 4.13)
            return
    elif desc.masked:
        unmask_irq(k, desc)
    k.ret(0)


@irq_enable.step
def unlock(k: Any, loc: dict[str, Any]) -> None:
    """After a chip enable that is a program (xen-pirq's startup_pirq before 4.13), which ran under
    desc->lock: the lock is released (irq_put_desc_busunlock)."""
    desc = _freed_under(k, loc)
    if desc is None:
        return
    if desc.lock == k.cpu_id:
        desc.lock = -1
    k.ret(0)


chip_startup = program("__irq_startup", "chip->irq_startup, or irq_enable -> unmask", source=S.CHIP_STARTUP)


@chip_startup.step
def enable(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    desc["started"] = True
    desc.masked = False
    desc.disabled = False
    prog = CHIP_STARTUP.get(desc.chip)
    if prog is not None:
        k.call(prog, irq=loc["irq"])
    else:
        CHIP_MASK[desc.chip](k, desc, False)


setup_affinity = program("irq_setup_affinity", "kernel/irq/manage.c: the stored (or default) affinity", source=S.SETUP_AFFINITY)


@setup_affinity.step
def choose(k: Any, loc: dict[str, Any]) -> None:
    """Managed or user-set affinity if it has an online CPU, else irq_default_affinity; one NUMA
    node, so the node mask changes nothing. The affinity hint plays no part."""
    desc = k.w.irqs[loc["irq"]]
    on = online(k)
    want = default_affinity(k.w)
    if desc["is_managed"] or desc["affinity_set"]:
        if [c for c in desc["affinity"] if c in on]:
            want = desc["affinity"]
        else:
            desc["affinity_set"] = False
    mask = [c for c in want if c in on] or on
    k.call("irq_do_set_affinity", irq=loc["irq"], mask=mask)


@setup_affinity.step
def chosen(k: Any, loc: dict[str, Any]) -> None:
    """irq_setup_affinity() returns irq_do_set_affinity()'s result from 4.13
    (``setup_affinity_result``); the older setup_affinity() returned 0 whatever happened."""
    ret = loc["ret"]
    k.ret(ret if ret < 0 and sw(k, "setup_affinity_result") else 0)


reading("kernel.irq.enable-after-free-shutdown-vector",
        "(kernel37) Before baedb87d1b53 (5.8; 5.7.10, 5.4.53, 4.19.134) an enable_irq after free_irq starts a "
        "reservation-mode MSI irq free_irq deactivated: msi_domain_deactivate wrote a zero message, "
        "x86_vector_deactivate freed the vector and reserve_irq_vector_locked -> vector_assign_managed_shutdown set "
        "the cfg to MANAGED_IRQ_SHUTDOWN_VECTOR (0xef) on cpumask_first(cpu_online_mask). irq_startup unmasks "
        "(__irq_startup, before irq_setup_affinity unless IRQCHIP_AFFINITY_PRE_STARTUP), then apic_set_affinity "
        "returns IRQ_SET_MASK_OK for an inactive can_reserve irq without a vector and the MSI chip composes and "
        "writes that cfg: the device's next message is vector 0xef on the first online CPU -- a system vector's "
        "IDT entry (spurious), not 'No irq handler' and not the freed vector. msidbg already did this; this "
        "registers the reading (the earlier note suspected 0xef).",
        source=(Source("torvalds/linux", "v4.19 (0x88888888/Linux-4.19 at 57a18e1b, a 4.19 copy with comments)",
                       "arch/x86/kernel/apic/vector.c", "x86_vector_deactivate / reserve_irq_vector_locked / "
                       "vector_assign_managed_shutdown / apic_set_affinity", "4.15..5.7 (affinity_on_activate: false)"),
                S.MSI_DOMAIN_SET_AFFINITY, S.MSI_SET_AFFINITY, S.SET_AFFINITY_INACTIVE),
        quote="if (!irqd_is_activated(irqd) && (apicd->is_managed || apicd->can_reserve)) return IRQ_SET_MASK_OK; "
        "... clear_irq_vector(irqd); if (apicd->can_reserve) reserve_irq_vector_locked(irqd); ... "
        "apic_update_irq_cfg(irqd, MANAGED_IRQ_SHUTDOWN_VECTOR, cpu);", module=__name__)


do_set_affinity = program("irq_do_set_affinity", "the irq chip's irq_set_affinity",
                          source=(S.DO_SET_AFFINITY, S.ONLINE_FILTER, S.SET_AFFINITY_INACTIVE))


@do_set_affinity.step
def chip_set(k: Any, loc: dict[str, Any]) -> None:
    """From 33de0aa4bae9 (``affinity_online_filter``) the chip gets only the mask's online CPUs,
    and a mask without one is -EINVAL before any chip runs; before, the chip got the mask as it
    was (the x86 vector domain searches its online CPUs itself: -EBUSY or -ENOSPC when there is
    none). Either way the mask as requested becomes the irq's affinity."""
    desc = k.w.irqs[loc["irq"]]
    mask = loc["mask"]
    if (not desc.activated and sw(k, "affinity_on_activate") and not chip_has(desc, "no-domain")
            and not vec.legacy(k.w)):
        # apic_set_affinity from baedb87d1b53: WARN_ON_ONCE(!irqd_is_activated) -> -EIO (reached by
        # irq_startup of a deactivated irq: enable_irq after free_irq); the message is not touched. The
        # 4.14.194 backport left vector.c's legacy apic_set_affinity alone ("4.14 never had the x86
        # workaround, so skip x86 changes"): no such test there (audit18)
        k.note("apic_set_affinity: WARN_ON_ONCE(!irqd_is_activated(irqd)): -EIO", -EIO, desc.dev)
        k.ret(-EIO)
        return
    if sw(k, "affinity_online_filter"):
        mask = [c for c in mask if vec.cpu_online(k.w, c)]
        if not mask:
            k.note("no online CPU in the affinity mask", -EINVAL, desc.dev)
            P = k.eng.prov      # provenance: the error links the offline of each CPU of the mask
            for c in loc["mask"]:
                if P.writer(PK.key(PK.ONLINE, c)) >= 0:
                    P.dep(PC.D_CAUSE, PK.key(PK.ONLINE, c))
            k.ret(-EINVAL)
            return
    prog = set_affinity_prog(k, desc)
    if prog == "msi_set_affinity":
        from msidbg.model.kernel.move import chip_set_affinity

        prog = chip_set_affinity(k)
    k.call(prog, irq=loc["irq"], mask=mask)


@do_set_affinity.step
def record(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] >= 0:
        k.w.irqs[loc["irq"]]["affinity"] = list(loc["mask"])
    k.ret(loc["ret"])


def mask_irq(k: Any, desc: Any) -> bool:
    """mask_irq(): mask through the chip unless already masked; True if it already was."""
    if desc.masked:
        return True
    desc.masked = True
    CHIP_MASK[desc.chip](k, desc, True)
    return False


def unmask_irq(k: Any, desc: Any) -> None:
    desc.masked = False
    CHIP_MASK[desc.chip](k, desc, False)


# --- free_irq / shutdown ------------------------------------------------------------------------------
#: the flow handlers whose frame on a CPU's interrupt stack means that CPU is handling the irq
#: (holds desc->lock in handle_edge_irq, or runs the action with IRQD_IRQ_INPROGRESS set)
FLOW_HANDLERS = ("handle_edge_irq", "xen_handle_edge_irq", "handle_fasteoi_irq")


def handling_cpus(k: Any, irq: int) -> list[int]:
    """The other CPUs whose interrupt context is in a flow handler of ``irq``. A CPU still in the
    action (``handling``: handle_irq_event dropped desc->lock, the model keeps no frame for it)
    whose loop an IRQS_PENDING edge put back on its stack is not one yet: its loop runs when the
    action returns (and then finds the irq shut down). Nor is one whose flow handler spins for
    desc->lock without holding it (queued behind this task: ``entry.lock_waiter``)."""
    now = k.w.now
    desc = k.w.irqs.get(irq)
    holder = -2 if desc is None else desc.get("lock", -1)
    return [c.id for c in k.w.cpus if c.id != k.cpu_id and not (
        c.get("handling", -1) == irq and c.busy_until > now) and any(
        f["prog"] in FLOW_HANDLERS and f["locals"].get("irq") == irq and not (
            c.id != holder and _spinning(f, now)) for f in c.irq.stack)]


def _spinning(frame: Any, now: int) -> bool:
    """The frame spins (``Ctx.spin``'s mark: its next poll is still ahead)."""
    mark = frame["locals"].get("_spin")
    return type(mark) is list and mark[1] >= now


#: chip -> irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE) as (k, desc) -> the CPU the interrupt in flight was
#: sent to, or -1 (not active); chips without the callback are absent (the MSI chips)
CHIP_ACTIVE: dict[str, Any] = {}

free = program("free_irq", "__free_irq: remove the action, irq_shutdown, wait for the handler, deactivate",
               source=(S.FREE_IRQ, S.FREE_IRQ_DELAY, S.SYNC_CHIP, S.FREE_IRQ_LOCK, *S.FREE_ALREADY))


@free.step
def remove_action(k: Any, loc: dict[str, Any]) -> None:
    """Under desc->lock: a CPU that entered handle_edge_irq for this irq first holds the lock
    until its handle_irq_event() has taken the action (spin until it is through: its signal is
    delivered); then the action is removed and, for the last one, irq_shutdown() masks the irq --
    with its deactivation before 4001d8e8762f (``free_irq_deactivate``: shutdown)."""
    desc = irq_of(k, loc["dev"], loc["index"])
    shared = None if desc is None else SHARED_FREE.get(desc.chip)
    if desc is None:
        # pci_irq_vector fails (-EINVAL) and free_irq finds no descriptor: it returns NULL, no error
        k.note(f"free_irq: vector {loc['index']} has no irq: no descriptor, nothing freed", 0, loc["dev"])
        k.ret(0)
        return
    if desc.action is None or (
            shared is not None and [loc["dev"], loc["index"]] not in (desc.get("actions") or [])):
        # __free_irq finds no action with this dev_id: WARN and return NULL; free_irq gives the driver no
        # error code (the action's name or NULL; void in older releases): reading kernel.free-irq.already-free
        k.note(f"WARN: Trying to free already-free IRQ {desc.irq}", 0, loc["dev"])
        P = k.eng.prov
        if P.on and k.eng.fresh:    # the WARN's node: the free_irq that removed the action (whyheld11)
            key = PK.key(PK.IRQACT, desc.irq)
            if P.writer(key) >= 0:
                P.dep(PC.D_FREED, key)
            P.write(PC.FREE_WARN, key, 0, note=f"WARN: Trying to free already-free IRQ {desc.irq}")
        k.ret(0)
        return
    from msidbg.model.kernel.entry import (  # (imports lead back)
        queue_behind_flow,
        spin_irqsave,
        spin_on_lock,
        task_behind_flow,
    )

    busy = handling_cpus(k, desc.irq)
    if busy:
        queue_behind_flow(k, desc, k.cpu_id, busy)  # __free_irq's raw_spin_lock_irqsave: queued for desc->lock
        spin_irqsave(k)     # (interrupts off before the first poll)
        before, k.emitted = k.emitted, False
        k.spin(f"desc->lock: CPU{busy[0]} is in the flow handler of irq {desc['irq']}", busy[0], loc["dev"])
        noted = k.emitted
        k.emitted = before or noted
        if noted:   # (the first, noted poll: the node; the silent polls after it record nothing)
            task_behind_flow(k, desc, busy[0])
        return

    if spin_on_lock(k, desc, k.cpu_id):
        return      # another CPU's irq_set_affinity holds desc->lock across its chip call
    loc["irq"] = desc.irq
    # raw_spin_lock_irqsave(&desc->lock): interrupts stay off across the removal and irq_shutdown, up to the
    # raw_spin_unlock_irqrestore before synchronize_irq (reading kernel.lock.irqsave-spin; irqoff25) -- and the
    # lock is held as long (locks26: a flow handler or another task that comes meanwhile spins behind it,
    # entry.lock_site "free_irq"; the model never marked it held, and they ran beside the removal and the mask)
    desc.lock = k.cpu_id
    loc["_held"] = 1
    k.irq_save(loc)
    if shared is not None and shared(k, desc, loc["dev"], loc["index"]) > 0:
        # another device's action stays on the line: no shutdown, no deactivation (__free_irq shuts the
        # irq down only when its last action goes), then synchronize_irq
        loc["shared_left"] = True
        k.ev(K.IRQ_FREE, loc["dev"], desc.irq, loc["index"])
        k.eng.prov.write(PC.IRQ_ACTION, PK.key(PK.IRQACT, desc.irq), 1, note="free_irq removed a shared action")
        return
    desc.action = None
    desc["hint"] = None
    k.ev(K.IRQ_FREE, loc["dev"], desc.irq, loc["index"])
    k.eng.prov.write(PC.IRQ_ACTION, PK.key(PK.IRQACT, desc.irq), 0, note="free_irq removed it")
    if sw(k, "free_irq_deactivate") == "shutdown":
        k.call("irq_shutdown_and_deactivate", irq=desc.irq)
    else:
        k.call("irq_shutdown", irq=desc.irq)


@free.step
def synchronize(k: Any, loc: dict[str, Any]) -> None:
    """synchronize_irq() (__synchronize_hardirq(desc, true) from 62e0468650c3): wait while another
    CPU still runs this irq's handler -- one that took the action before it was removed, or one
    that entered after and leaves through the disabled path; then (sync_irq_chip_state) while the
    chip reports IRQCHIP_STATE_ACTIVE: an IO-APIC level entry's Remote IRR. The x86 MSI chips report
    no IRQCHIP_STATE_ACTIVE, so a vector still pending in a CPU's IRR is not waited for."""
    if loc.pop("_held", None):     # (__free_irq's raw_spin_unlock_irqrestore, before the wait)
        _unlock(k, loc)
        k.irq_restore(loc)
    synchronize_irq(k, loc["irq"])     # (spins: the step runs again)


def _unlock(k: Any, loc: dict[str, Any]) -> None:
    """free_irq's raw_spin_unlock of desc->lock (its irqrestore is the caller's)."""
    desc = k.w.irqs.get(loc.get("irq", -1))
    if desc is not None and desc.lock == k.cpu_id:
        desc.lock = -1


def synchronize_irq(k: Any, irq: int, action: bool = True) -> bool:
    """synchronize_irq(): True (``Ctx.spin``: a note at the first poll, silent after; the step runs
    again) while another CPU is in this irq's
    flow handler or runs its action (IRQD_IRQ_INPROGRESS: ``entry.in_action``; ``action`` False: the
    flow handler only). free_irq and disable_irq wait here."""
    desc = k.w.irqs.get(irq)
    relocked = False
    if desc is not None and "_lockoff" in k.frame["locals"]:
        # already queued in the double-check's raw_spin_lock_irqsave (below): that wait ends first. The lock is
        # then this task's while it reads IRQD_IRQ_INPROGRESS and the chip state, and its unlock ends the pass
        # (reading kernel.lock.sync-double-check-held): it does not come for the lock a second time -- which
        # queued it behind a locker that came while it waited, and two tasks doing so (free_irq and disable_irq
        # of one irq) each waited for the other for ever (redteam30)
        from msidbg.model.kernel.entry import spin_on_lock  # (irq.py's imports lead back here)
        if spin_on_lock(k, desc, k.cpu_id):
            return True
        relocked = True
    busy = handling_cpus(k, irq)
    if not busy and desc is not None and action:
        from msidbg.model.kernel.entry import in_action
        ip = in_action(k.w, desc, k.cpu_id)
        busy = [ip] if ip >= 0 else []
    if not busy:
        # '/* Ok, that indicated we're done: double-check carefully. */ raw_spin_lock_irqsave(&desc->lock)':
        # __synchronize_hardirq takes the lock before it reads IRQD_IRQ_INPROGRESS (and the chip state) again,
        # so it queues behind a locker that came first -- a flow handler spinning for the lock (it gets it,
        # finds the irq shut down or disabled, parks its edge, unlocks) -- and unlocks at once (locks26)
        if desc is None:
            return False
        from msidbg.model.kernel.entry import spin_on_lock  # (irq.py's imports lead back here)
        if not relocked and spin_on_lock(k, desc, k.cpu_id):
            return True
        # 62e0468650c3 (sync_irq_chip_state): under that lock __synchronize_hardirq(desc, true) asks the chip
        # for IRQCHIP_STATE_ACTIVE -- the IO-APIC's Remote IRR (an interrupt sent, not yet EOId) -- then
        # unlocks and loops (locks27: the model read it before the lock, so a holder's section -- an
        # enable_irq's irq_startup, a flow handler's EOI -- never delayed the read)
        active = CHIP_ACTIVE.get(desc.chip) if action else None
        if active is not None and sw(k, "sync_irq_chip_state"):
            where = active(k, desc)
            if where >= 0:
                k.spin(f"synchronize_irq: irq {irq} in flight: Remote IRR set (irq_get_irqchip_state "
                       f"IRQCHIP_STATE_ACTIVE), sent to CPU{where}", where, desc.dev,
                       cause=PK.key(PK.IOAPICRIRR, irq))
                return True
        return False
    k.spin(f"synchronize_irq: irq {irq} in progress on CPU{busy[0]}", busy[0], desc.dev if desc else None)
    return True


@free.step
def deactivate_late(k: Any, loc: dict[str, Any]) -> None:
    """From 4001d8e8762f (5.3): 'There is no interrupt on the fly anymore. Deactivate it
    completely.' -- irq_domain_deactivate_irq() after the wait."""
    if sw(k, "free_irq_deactivate") == "delayed" and not loc.get("shared_left"):
        # raw_spin_lock_irqsave(&desc->lock) around irq_domain_deactivate_irq: a locker like any other --
        # queued behind a flow handler or an irq_set_affinity that holds or waits for it (interrupts off
        # while it spins), held to free_done's unlock (locks26: it took the lock past them)
        from msidbg.model.kernel.entry import spin_on_lock  # (imports lead back)
        desc = k.w.irqs[loc["irq"]]
        if spin_on_lock(k, desc, k.cpu_id):
            return
        desc.lock = k.cpu_id
        loc["_held"] = 1
        k.irq_save(loc)
        k.call("irq_domain_deactivate_irq", irq=loc["irq"])


@free.step
def free_done(k: Any, loc: dict[str, Any]) -> None:
    if loc.pop("_held", None):
        _unlock(k, loc)     # (raw_spin_unlock_irqrestore after irq_domain_deactivate_irq)
    k.irq_restore(loc)
    k.ret(0)


irq_shutdown = program("irq_shutdown", "mask (or chip->irq_shutdown) and mark the irq shut down; no deactivation",
                       source=S.FREE_IRQ_DELAY)


@irq_shutdown.step
def shutdown_only(k: Any, loc: dict[str, Any]) -> None:
    _shutdown(k, loc)


shutdown_deactivate = program("irq_shutdown_and_deactivate", "irq_shutdown, then irq_domain_deactivate_irq",
                              source=(S.FREE_IRQ, S.MSI_DEACTIVATE, S.VECTOR, S.SHUTDOWN_SLOT))


def _shutdown(k: Any, loc: dict[str, Any]) -> None:
    """irq_shutdown: ``desc->depth = 1`` and IRQD_IRQ_DISABLED for a started irq (IRQS_PENDING stays:
    a later request_irq's irq_startup replays it). A pending affinity move stays too: only
    irq_move_masked_irq and irq_fixup_move_pending (CPU hotplug) clear IRQD_SETAFFINITY_PENDING, so
    after free_irq and a new request_irq the first interrupt still applies it (redteam8)."""
    desc = k.w.irqs[loc["irq"]]
    if desc["started"]:
        # 788019eb559f (6.16, kernel.managed_disable_depth): 'desc->depth++' -- a managed shutdown on CPU
        # hotunplug keeps a driver's disable_irq(); before: 'desc->depth = 1'
        desc["depth"] = desc["depth"] + 1 if sw(k, "managed_disable_depth") else 1
        desc.disabled = True
    desc["started"] = False
    irq_dirty(k, loc["irq"])
    prog = CHIP_SHUTDOWN.get(desc.chip)
    if prog is not None:
        desc.masked = True
        k.call(prog, irq=loc["irq"])
    else:
        mask_irq(k, desc)


@shutdown_deactivate.step
def shutdown(k: Any, loc: dict[str, Any]) -> None:
    _shutdown(k, loc)


@shutdown_deactivate.step
def then_deactivate(k: Any, loc: dict[str, Any]) -> None:
    k.call("irq_domain_deactivate_irq", irq=loc["irq"])


deactivate = program("irq_domain_deactivate_irq", "msi_domain_deactivate (zero message), the parent's, the vector's",
                     source=(S.MSI_DEACTIVATE, S.VECTOR, S.SHUTDOWN_SLOT, S.MATRIX_RESERVE))


@deactivate.step
def deactivate_msg(k: Any, loc: dict[str, Any]) -> None:
    """msi_domain_deactivate writes an all-zero message."""
    desc = k.w.irqs[loc["irq"]]
    if desc["activated"]:
        prog = CHIP_CLEAR_MSG.get(desc.chip)
        if prog is not None:
            k.call(prog, irq=loc["irq"])
            return
        k.call("pci_write_msi_msg", irq=loc["irq"], msg=[0, 0, 0], parts="all")


@deactivate.step
def deactivate_parent(k: Any, loc: dict[str, Any]) -> None:
    """Below the MSI domain: with remapping, the IRTE is cleared (not present)."""
    prog = ROUTE_DEACTIVATE.get(k.w.platform["route"])
    if prog is not None and k.w.irqs[loc["irq"]]["activated"]:
        k.call(prog, irq=loc["irq"])


@deactivate.step
def deactivate_vector(k: Any, loc: dict[str, Any]) -> None:
    """x86_vector_deactivate: clear_irq_vector, then a reservable irq's reserve_irq_vector_locked -- whose
    irq_matrix_reserve may warn "Interrupt reservation exceeds available resources" (a note of its own,
    after the vector.free)."""
    if loc.pop("rsvd_warn", 0):
        k.note(vec.RESERVE_WARNING, k.w.kernel["vec_rsvd"], k.w.irqs[loc["irq"]].dev)
        rsvd_warning(k, vec.RESERVE_WARNING)
        k.ret(0)
        return
    desc = k.w.irqs[loc["irq"]]
    if not desc["activated"]:
        k.ret(0)
        return
    desc["activated"] = False
    desc_dirty(k, desc)     # provenance: the slots it frees (before), the vector it leaves (after)
    reserved = desc["has_reserved"]
    freed = vec.deactivate(k.w, desc)
    desc_dirty(k, desc)
    warned = not reserved and desc["has_reserved"] and vec.reserve_warned(k.w)
    if freed:
        k.ev(K.VECTOR_FREE, desc.dev, desc.irq, freed[0][0], freed[0][1])
        if warned:
            loc["rsvd_warn"] = 1
            k.again()
            return
    elif warned:
        k.note(vec.RESERVE_WARNING, k.w.kernel["vec_rsvd"], desc.dev)
        rsvd_warning(k, vec.RESERVE_WARNING)
    k.ret(0)
