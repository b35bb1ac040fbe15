"""The guest's Xen event-channel side (drivers/xen/events/events_base.c): the ``xen-pirq`` irq
chip, the upcall, and the hypercalls a scenario's instrumentation makes.

* ``xen-pirq`` chip: startup = EVTCHNOP_bind_pirq (a failure is only a warning),
  PHYSDEVOP_irq_status_query (Xen answers XENIRQSTAT_needs_eoi for every pirq it has mapped or
  emulates), bind to vCPU 0, unmask the port, ``eoi_pirq``; shutdown = mask, EVTCHNOP_close;
  mask/unmask = the port's mask bit; affinity = EVTCHNOP_bind_vcpu to the online CPU of the mask
  with the fewest channels.
* The upcall vector runs ``xen_evtchn_do_upcall``, which runs the ABI's handle_events while Xen
  keeps the upcall signalled: ``evtchn_2l_handle_events`` (the per-CPU round robin over the
  selected words) or ``evtchn_fifo_handle_events`` (``consume_one_event`` from the head of this
  vCPU's queue); ``model/evtchn_abi.py`` has both orders. Each port goes to its irq's
  ``handle_edge_irq``, whose ack is ``eoi_pirq``: clear_evtchn, then PHYSDEVOP_eoi when the pirq
  needs it (an HVM guest has no pirq_eoi_map: it always asks). A port no guest irq owns is skipped
  and stays pending (``handle_irq_for_port``).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic, evtchn, probes
from msidbg.model import evtchn_abi as ABI
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model import xen as X
from msidbg.model import xencite as C
from msidbg.model.kernel import entry, irq
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.driver import ACTION_PROGRAMS
from msidbg.model.kernel.sw import sw
from msidbg.model.kernel.xen import CHIP, CHIP_GSI, XEN_HCALL, gx, info_of
from msidbg.model.provkernel import irq_dirty
from msidbg.sim.events import INT, kind
from msidbg.sim.program import GOTO, PROGRAMS, program

EVTCHN_MASK = kind("evtchn.mask", ("port", INT), ("masked", INT), doc="the guest sets or clears a port's mask bit")
EVTCHN_CLEAR = kind("evtchn.clear", ("port", INT), ("signals", INT),
                    doc="clear_evtchn: the guest clears a port's pending bit (the irq's ack)")


# --- hypercalls a scenario makes (the ``hypercall`` action, or a probe's) ---------------------------
def hypercall(k: Any, op: str, arg: int | None, dev: str | None = None) -> int:
    """One guest hypercall, as debugging instrumentation would make it; emits ``xen.hypercall``.

    PHYSDEVOP_get_free_pirq takes a pirq (marks it PIRQ_ALLOCATED, as xen_allocate_pirq_msi
    does); PHYSDEVOP_unmap_pirq from an HVM guest (DOMID_SELF) only clears the pirq's emuirq
    (physdev_unmap_pirq); EVTCHNOP_close closes a port. The guest's own bookkeeping is untouched.
    """
    if op == "PHYSDEVOP_get_free_pirq":
        ret = X.alloc_pirq(k.w)
        X.note_alloc(k.eng, ret)    # provenance: the pirq now held (whyheld8: it was recorded nowhere)
        if ret < 0:
            X.note_exhausted(k.eng, "PHYSDEVOP_get_free_pirq")
    elif op == "PHYSDEVOP_unmap_pirq":
        ret = X.unmap_self(k.eng, int(arg or 0))
    else:
        ret = evtchn.close(k.eng, int(arg or 0))
    k.ev(XEN_HCALL, dev, k.s(op), -1 if arg is None else arg, ret, cost="hypercall")
    return ret


hcall = program("xen_hypercall", "the scenario's hypercall (debugging instrumentation)",
                source=(C.XEN_PHYSDEV, C.XEN_EVTCHN))
ACTION_PROGRAMS["hypercall"] = "xen_hypercall"


@hcall.step
def make(k: Any, loc: dict[str, Any]) -> None:
    k.ret(hypercall(k, loc["op"], loc["arg"]))


def _probe_hypercall(k: Any, args: dict[str, Any], dev: str | None, at: str) -> None:
    hypercall(k, args["op"], args["arg"], dev)


probes.ACTIONS["hypercall"] = _probe_hypercall


# --- the xen-pirq chip ------------------------------------------------------------------------------
#: unmask_evtchn's two ABIs and Xen's side of EVTCHNOP_unmask (``unmask_evtchn`` below)
UNMASK_SOURCES = (C.LINUX_2L, C.LINUX_FIFO, C.XEN_UNMASK, C.XEN_2L, C.XEN_FIFO)
startup = program("startup_pirq", "EVTCHNOP_bind_pirq, bind to vCPU 0, unmask the port, eoi_pirq",
                  source=(C.LINUX_STARTUP, *UNMASK_SOURCES))


@startup.step
def bind_pirq(k: Any, loc: dict[str, Any]) -> None:
    info = gx(k)["irqs"].get(loc["irq"])
    if info is None:        # torn down under us (the device driven from two CPUs at once)
        k.note("irq has no pirq binding any more", -22)
        k.ret(0)
        return
    if info["port"]:
        if loc.get("enable"):   # __startup_pirq: 'if (VALID_EVTCHN(evtchn)) goto out;' (enable_pirq before 4.13)
            k.goto("unmask")
        return
    P = k.eng.prov
    P.dep(PC.D_VALUE, PK.key(PK.GIRQ, loc["irq"]))      # the pirq the guest's irq names
    port = evtchn.bind_pirq(k.eng, info["pirq"], info["dev"], info["index"])
    P.dep(PC.D_CAUSE if port >= 0 else PC.D_OWNER, PK.key(PK.PIRQPORT, info["pirq"]))
    P.dep(PC.D_VALUE, PK.key(PK.GIRQ, loc["irq"]))
    P.write(PC.GUEST, PK.key(PK.GIRQ, loc["irq"]), port,
            note=f"EVTCHNOP_bind_pirq for irq {loc['irq']} (pirq {info['pirq']}) "
            + (f"gives event channel {port}" if port >= 0 else f"fails ({port}): the irq gets no event channel"))
    k.ev(XEN_HCALL, info["dev"], k.s("EVTCHNOP_bind_pirq"), info["pirq"], port, cost="hypercall")
    if port < 0:
        k.ret(0)            # "Failed to obtain physical IRQ": a warning, request_irq still succeeds
        return
    info["port"], info["cpu"] = port, 0
    gx(k)["evtchn_to_irq"][port] = loc["irq"]
    gx(k)["channels"][0] += 1
    desc = k.w.irqs[loc["irq"]]
    desc.cpu = desc["effective"] = 0
    irq_dirty(k, loc["irq"])


@startup.step
def status_query(k: Any, loc: dict[str, Any]) -> None:
    """``pirq_query_unmask``: PHYSDEVOP_irq_status_query; XENIRQSTAT_needs_eoi is remembered. A PV
    guest asks its ``pirq_eoi_map`` instead (``pirq_needs_eoi = pirq_check_eoi_map`` once xen_init_IRQ
    registered it with PHYSDEVOP_pirq_eoi_gmfn_v2): Xen's pirq_guest_bind sets the pirq's bit only for an
    irq whose ack type is not ACKTYPE_NONE -- an MSI it cannot mask -- so a PV guest makes no
    PHYSDEVOP_eoi for MSI-X or a maskable MSI (redteam9). Without the map -- Xen 4.0 and 4.1.0 .. 4.1.2
    have no v2 (``platform.xen_pirq_eoi_v2``), a kernel before it never registers one
    (``kernel.xen_pirq_eoi_map``) -- the guest keeps the flag, which Xen sets for every PV pirq: a
    PHYSDEVOP_eoi for every interrupt (xenhost)."""
    info = info_of(k, loc["irq"])
    flags = X.irq_status_query(k.w, info["pirq"])
    info["needs_eoi"] = flags > 0 and bool(flags & X.XENIRQSTAT_NEEDS_EOI)
    b = k.w.behaviour
    if k.w["platform"]["kind"] == "xen-pv" and b["xen_pirq_eoi_map"] and b["xen_pirq_eoi_v2"]:
        x = k.w["xen"]
        rec = x["pirqs"].get(info["pirq"])
        hirq = x["irqs"].get(rec["irq"]) if rec is not None else None
        # a GSI pirq's level IO-APIC irq is ACKTYPE_EOI (or ACKTYPE_UNMASK with the old ack method): never NONE
        info["needs_eoi"] = bool(hirq is not None and hirq["ack_eoi"]) or bool(rec and rec["type"] == "gsi"
                                                                                and rec["bound"])
        how = "its bit in the pirq_eoi_map (Xen's pirq_guest_bind sets it for an ack type other than ACKTYPE_NONE)"
    elif k.w["platform"]["kind"] == "xen-pv":
        how = ("XENIRQSTAT_needs_eoi, kept: no pirq_eoi_map (" + ("Xen has no PHYSDEVOP_pirq_eoi_gmfn_v2"
               if b["xen_pirq_eoi_map"] else "the kernel registers none") + ")")
    else:
        how = "XENIRQSTAT_needs_eoi (an HVM guest has no pirq_eoi_map)"
    k.eng.prov.write(PC.XEN_NEEDS_EOI, PK.key(PK.NEEDSEOI, loc["irq"]), int(info["needs_eoi"]),
                     note=f"pirq_query_unmask: PHYSDEVOP_irq_status_query(pirq {info['pirq']}) = {flags:#x}; "
                     f"pirq_needs_eoi from {how}: " + ("PHYSDEVOP_eoi on every interrupt" if info["needs_eoi"]
                                                       else "no PHYSDEVOP_eoi"))
    k.ev(XEN_HCALL, info["dev"], k.s("PHYSDEVOP_irq_status_query"), info["pirq"], flags, cost="hypercall")


@startup.step
def unmask(k: Any, loc: dict[str, Any]) -> None:
    """unmask_evtchn of the port just bound to vCPU 0 (from another vCPU on 2-level: a hypercall). A pending port
    bound to another vCPU is EVTCHNOP_unmask on either ABI: Xen links / marks it and kicks that vCPU
    (vcpu_mark_events_pending -> vcpu_kick), and returns; eoi_pirq's clear_evtchn is the caller's next step. The
    kicked vCPU takes its upcall only after an IPI and a VM entry (or, halted, its wake-up and schedule-in:
    ``evtchn.kick``), so the clear comes first and that upcall finds the port no longer pending (reading
    ``kernel.xen.startup-clear-before-remote-upcall``, xenred28; xen29 made the kick the one mechanism)."""
    unmask_evtchn(k, info_of(k, loc["irq"]))


def unmask_hypercall(k: Any, info: dict[str, Any], ch: dict[str, Any] | None) -> bool:
    """Whether the guest's ``unmask_evtchn`` makes EVTCHNOP_unmask for this port. 2-level
    (``evtchn_2l_unmask``): the port bound (``cpu_from_evtchn``) to another vCPU than the one
    running this, whether or not it is pending; on its own vCPU only for a pending port of an HVM
    guest (the guest clears the mask, finds the port pending, masks it again and asks Xen; a PV
    guest sets the selector bit and evtchn_upcall_pending itself). FIFO (``evtchn_fifo_unmask``):
    the guest clears the masked bit itself and asks Xen whenever the port is pending. (linux-3.0.8's
    unmask_evtchn has the remote-port hypercall only; a 3.9 .. 3.13 drivers/xen/events.c (xen_ulong_t,
    BM()) already has the HVM clause, so it entered between them -- which commit is not in the stored
    index. It is modelled for every release: without it the guest's own store sets the selector bit and
    evtchn_upcall_pending, and Xen's hvm_vcpu_has_pending_irq injects the callback vector for that at the
    vCPU's next VM entry (RELEASE-4.2.0 .. 4.10.0 hvm/irq.c), so the port is signalled either way and a
    pre-clause kernel differs by this step's cost and event only -- redteam9.)"""
    if ch is None:
        return False
    if k.w.xen["abi"] == "fifo":
        return bool(ch["pending"])
    return info["cpu"] != k.cpu_id or (bool(ch["pending"]) and k.w.platform["kind"] == "xen-hvm")


def unmask_evtchn(k: Any, info: dict[str, Any]) -> None:
    """``unmask_evtchn``: the port's mask clears and a pending port is signalled to its vCPU
    (``evtchn.set_mask``). On the ABI's fast path that is the guest's own store (``evtchn.mask``);
    on its slow path (``unmask_hypercall``) the step is the guest's EVTCHNOP_unmask (a
    ``xen.hypercall`` with a hypercall's cost, which this vCPU's next step waits for): Xen's
    ``evtchn_unmask`` clears the mask (FIFO: the guest cleared it just before) and re-raises the
    pending event on the port's vCPU -- this one at once; another one is kicked (``evtchn.kick``) and
    takes the upcall at its next VM entry, after this vCPU's next step."""
    eng = k.eng
    port = info["port"]
    slow = unmask_hypercall(k, info, k.w.xen["ports"].get(port))
    evtchn.set_mask(eng, port, False, k.cpu_id if slow else -1)
    if slow:
        k.ev(XEN_HCALL, info["dev"], eng.s("EVTCHNOP_unmask"), port, 0, "hypercall")
    else:
        k.ev(EVTCHN_MASK, info["dev"], port, 0)


@startup.step
def eoi(k: Any, loc: dict[str, Any]) -> None:
    """``eoi_pirq``: clear_evtchn, then PHYSDEVOP_eoi if the pirq needs it."""
    info = info_of(k, loc["irq"])
    _startup_clear(k, loc, info, "")
    if not info.get("needs_eoi"):
        k.ret(0)


def _startup_clear(k: Any, loc: dict[str, Any], info: dict[str, Any], when: str) -> None:
    """eoi_pirq's clear_evtchn in startup_pirq: the events pending on the port are lost."""
    for dev, idx, n in evtchn.clear(k.eng, info["port"]):
        k.eng.prov.dep(PC.D_PENDING, PK.key(PK.PORTPEND, info["port"]))     # what made the port pending
        if loc.get("enable"):   # enable_pirq -> startup_pirq (before 4.13): the enable_irq that ran this clear
            k.eng.prov.dep(PC.D_ENABLE_STARTUP, PK.key(PK.IRQDIS, loc["irq"]))
        acct.lost(k.eng, dev, idx, n, f"were pending on port {info['port']} when startup_pirq cleared it{when}")
        P = k.eng.prov
        if P.on and k.eng.fresh:    # (why30: what a remote vCPU's kicked upcall finds, ``evtchn._on_xen_other``)
            P.port_cleared[info["port"]] = P.last_node


@startup.step
def physdev_eoi(k: Any, loc: dict[str, Any]) -> None:
    pirq_eoi(k, info_of(k, loc["irq"]))
    k.ret(0)


def pirq_eoi(k: Any, info: dict[str, Any]) -> None:
    """PHYSDEVOP_eoi: Xen's pirq_guest_eoi (it only matters for a pirq Xen holds in flight)."""
    eng = k.eng
    pirq = info["pirq"]
    rc = X.pirq_eoi(eng, pirq)
    k.ev(XEN_HCALL, info["dev"], eng.s("PHYSDEVOP_eoi"), pirq, rc, cost="hypercall")


shutdown = program("shutdown_pirq", "mask and close the irq's event channel",
                   source=C.LINUX_SHUTDOWN)


@shutdown.step
def mask(k: Any, loc: dict[str, Any]) -> None:
    info = gx(k)["irqs"].get(loc["irq"])
    if info is None or not info["port"]:
        k.ret(0)
        return
    evtchn.set_mask(k.eng, info["port"], True)
    k.ev(EVTCHN_MASK, info["dev"], info["port"], 1)


@shutdown.step
def close(k: Any, loc: dict[str, Any]) -> None:
    info = info_of(k, loc["irq"])
    port = info["port"]
    rc = evtchn.close(k.eng, port)
    k.ev(XEN_HCALL, info["dev"], k.s("EVTCHNOP_close"), port, rc, cost="hypercall")
    gx(k)["evtchn_to_irq"].pop(port, None)
    gx(k)["channels"][info["cpu"]] -= 1
    info["port"] = 0
    if rc == 0:
        k.ret(0)


@shutdown.step
def bug(k: Any, loc: dict[str, Any]) -> None:
    """``xen_evtchn_close`` (``shutdown_pirq`` before 5.x): ``if (HYPERVISOR_event_channel_op(EVTCHNOP_close,
    &close) != 0) BUG();`` -- only reachable here when the scenario closed the port itself (a ``hypercall``
    action or probe). The guest oopses in free_irq with the descriptor's lock held; msidbg says so and goes
    on (as for free_msi_irqs' BUG_ON, docs/model-xen.md)."""
    info = info_of(k, loc["irq"])
    k.note("kernel BUG at drivers/xen/events/events_base.c: EVTCHNOP_close failed in xen_evtchn_close (the guest "
           "oopses in free_irq holding the irq's lock; msidbg goes on)", -22, info["dev"])
    k.ret(0)


def chip_mask(k: Any, desc: Any, masked: bool) -> None:
    """disable_dynirq / enable_dynirq: only the event channel -- never the MSI-X entry."""
    info = gx(k)["irqs"].get(desc.irq)
    if info is None or not info["port"]:
        return
    if not masked:
        unmask_evtchn(k, info)
        return
    evtchn.set_mask(k.eng, info["port"], masked)
    k.ev(EVTCHN_MASK, info["dev"], info["port"], int(masked))


affinity = program("xen_set_affinity_irq", "set_affinity_irq: rebind the port to the least loaded CPU",
                   source=(C.LINUX_AFFINITY, *UNMASK_SOURCES))


@affinity.step
def rebind_mask(k: Any, loc: dict[str, Any]) -> None:
    """select_target_cpu, then xen_rebind_evtchn_to_cpu: 'Mask the event while changing the VCPU binding
    to prevent it being delivered on an unexpected VCPU' -- test_and_set_mask (4.19), do_mask(info,
    EVT_MASK_REASON_TEMPORARY) from the mask-reason rework (v6.6 read): a visible write unless the port
    was masked already (then the unmask after the hypercall is skipped, or, with reasons, another reason
    keeps it masked)."""
    info = gx(k)["irqs"].get(loc["irq"])
    if info is None or not info["port"]:
        k.ret(-1)           # no event channel yet: xen_rebind_evtchn_to_cpu fails
        return
    loc["target"] = select_target_cpu(k, loc["mask"])
    loc["was_masked"] = evtchn.set_mask(k.eng, info["port"], True)
    if not loc["was_masked"]:
        k.ev(EVTCHN_MASK, info["dev"], info["port"], 1)


@affinity.step
def rebind(k: Any, loc: dict[str, Any]) -> None:
    info = info_of(k, loc["irq"])
    target = loc["target"]
    rc = evtchn.bind_vcpu(k.eng, info["port"], target)
    k.ev(XEN_HCALL, info["dev"], k.s("EVTCHNOP_bind_vcpu"), info["port"], target, cost="hypercall")
    if rc == 0:
        gx(k)["channels"][info["cpu"]] -= 1
        gx(k)["channels"][target] += 1
        info["cpu"] = target
        desc = k.w.irqs[loc["irq"]]
        desc.cpu = desc["effective"] = target
        irq_dirty(k, loc["irq"])


@affinity.step
def rebound(k: Any, loc: dict[str, Any]) -> None:
    info = info_of(k, loc["irq"])
    if not loc["was_masked"]:
        unmask_evtchn(k, info)      # bound to the target now: from another vCPU, 2-level asks Xen
    k.ret(0)


def select_target_cpu(k: Any, mask: list[int]) -> int:
    """``select_target_cpu``: the online CPU of ``mask`` with the fewest event channels (lowest id on
    a tie); before it (``kernel.xen_affinity_target: first``) ``cpumask_first_and(dest,
    cpu_online_mask)``, the lowest online CPU of the mask. Online is cpu_online_mask, which no
    longer holds a CPU going offline."""
    online = [c.id for c in k.w.cpus if vec.cpu_online(k.w, c.id)]
    cpus = [c for c in mask if c in online] or online
    if k.w.behaviour["xen_affinity_target"] == "first":
        return min(cpus)
    return min(cpus, key=lambda c: (gx(k)["channels"][c], c))


# --- the upcall ------------------------------------------------------------------------------------------
upcall = program("xen_evtchn_do_upcall", "the callback vector: run the ABI's handle_events while the upcall "
                 "is signalled", source=C.LINUX_UPCALL)
l2 = program("evtchn_2l_handle_events", "2-level ABI: round robin over the selected words from the port after "
             "the last one served", source=C.LINUX_2L)
fifo = program("evtchn_fifo_handle_events", "FIFO ABI: consume_one_event from the head of this vCPU's queue",
               source=C.LINUX_FIFO)
_HANDLE = {"2l": l2.name, "fifo": fifo.name}


@upcall.step
def ack_upcall(k: Any, loc: dict[str, Any]) -> None:
    """xen-hvm: the per-vCPU upcall vector is EOIed at entry (sysvec_xen_hvm_callback under xen_percpu_upcall);
    the global callback via has no EOI (evtchn.global_callback); xen-pv: no
    APIC (entered at the event callback, ``pv_callback``). Then
    ``__xen_evtchn_do_upcall``: evtchn_upcall_pending = 0 and ``xen_evtchn_handle_events`` (the
    ABI's handle_events, chosen by xen_init_IRQ), if Xen signalled anything."""
    c = k.cpu
    x = k.w.xen
    abi = x["abi"]
    if "upcall" in c._extra:   # xen-pv: entered at the event callback; no APIC to acknowledge
        if c["upcall"]:
            c["upcall"] = 0     # vcpu_info->evtchn_upcall_pending = 0
            k.eng.prov.upcall_clear(k.cpu_id, False)
        if not (x["fifo"] if abi == "fifo" else x["sel"])[k.cpu_id]:
            k.note("evtchn_upcall_pending, but nothing signalled: the upcall returns")
            k.ret(0)
            return
    elif (b := k.w.behaviour) is not None \
            and not (b.get("xen_percpu_upcall", True) and b.get("xen_upcall_vector_cpuid", True)):
        # (evtchn.global_callback(k.w), inlined: every HVM interrupt)
        # the global callback via: Xen's ack of HVMIRQ_callback_vector sets no ISR and the guest writes no EOI
        # (sysvec_xen_hvm_callback EOIs only under xen_percpu_upcall); msidbg clears its ISR stand-in silently
        apic.eoi(c)
        if not (x["fifo"] if abi == "fifo" else x["sel"])[k.cpu_id]:
            k.note("evtchn_upcall_pending, but nothing signalled: the upcall returns")
            k.ret(0)
            return
    else:
        v = loc["vector"]
        isr = c.isr
        if isr == _ISR_ONLY[v]:     # apic.eoi's common case: the upcall vector alone in service (as entry.ack)
            isr[_VEC_WORD[v]] = 0
        else:
            apic.eoi(c)
        eng = k.eng
        if eng.fresh:   # k.ev(K.APIC_EOI, None, v, 0, 0, "eoi"), inlined
            key = (_APIC_EOI, k.cpu_id, None, v, 0, 0)
            try:
                rid = eng.records[key]
            except KeyError:
                rid = eng.log.record(key)
            eng.ids_append(rid)
            eng.times_append(k.w.now)
        elif k.observer is not None:
            k.observer()
        k.costname = "eoi"
        k.emitted = True
        if not (x["fifo"] if abi == "fifo" else x["sel"])[k.cpu_id]:   # evtchn_abi.signalled, inlined
            k.ret(0)
            return
    prog = _HANDLE[abi]         # _enter, inlined (every interrupt): on to ``loop`` when it returns
    k.ctx.stack.append({"prog": prog, "pc": 0, "locals": {}})
    if k.eng.call_watch:
        k.eng.entered(prog)


def _enter(k: Any, prog: str) -> None:
    """Call ``prog`` from this step (pushed as the interrupt entry pushes its frames: one per
    interrupt, so without the general call path; fault injection does not apply to it)."""
    k.ctx.stack.append({"prog": prog, "pc": 0, "locals": {}})
    eng = k.eng
    if eng.call_watch:
        eng.entered(prog)


@upcall.step
def loop(k: Any, loc: dict[str, Any]) -> None:
    """``} while (vcpu_info->evtchn_upcall_pending);``: Xen signalled more while the events were
    handled (a selector bit or a new queue head): handle_events once more."""
    x = k.w.xen
    c = k.cpu
    if "upcall" in c._extra and c["upcall"]:
        c["upcall"] = 0     # xen-pv: the loop's evtchn_upcall_pending = 0 before handle_events again
        k.eng.prov.upcall_clear(k.cpu_id, True)
    if _signalled(x, k.cpu_id):
        _enter(k, _HANDLE[x["abi"]])
        k.goto("loop")
        return
    if not k.emitted:
        k.note("nothing left to hand to an irq: the upcall returns")
    k.ret(0)


@l2.step
def scan(k: Any, loc: dict[str, Any]) -> None:
    """The next port of the round robin (``evtchn_2l_handle_events``; the loop's variables are
    this frame's locals), handed to its irq."""
    w = k.w
    vcpu = k.cpu_id
    if "words" not in loc:
        ABI.l2_start(w, vcpu, loc)
    _handle_irq_for_port(k, ABI.l2_next(w, evtchn.mine(k.eng, vcpu), vcpu, loc), "scan")


@fifo.step
def consume_one_event(k: Any, loc: dict[str, Any]) -> None:
    """Unlink the head of this vCPU's queue; a pending, unmasked one goes to its irq."""
    w = k.w
    x = w.xen
    q = x["fifo"][k.cpu_id]     # _consume(x, k.cpu_id)'s common case, inlined: the head is pending, unmasked
    if q:
        port = q.pop(0)
        del x["linked"][port]       # clear_linked
        ch = x["ports"].get(port)
        if ch is None or not ch["pending"] or ch["masked"]:
            port = _consume(x, k.cpu_id)    # dropped from the queue, skipped: the next one
    else:
        port = 0
    irq_no = w.kernel["xen"]["evtchn_to_irq"].get(port) if port else None
    if irq_no is not None and irq_no in w.irqs:      # the common case, inlined
        _call_edge(k, w, "consume_one_event", irq_no, port)
        return
    _handle_irq_for_port(k, port, "consume_one_event")


def _handle_irq_for_port(k: Any, port: int, step: str) -> None:
    """``handle_irq_for_port``: the port's irq runs (``xen_handle_edge_irq``), then this program
    goes on at ``step``; a port no guest irq owns is skipped and stays pending (the loop goes on
    at once); port 0: handle_events returns."""
    if not port:
        k.ret(0)
        return
    w = k.w
    irq_no = w.kernel["xen"]["evtchn_to_irq"].get(port)
    if irq_no is None or irq_no not in w.irqs:
        k.note(f"event channel {port} has no guest irq: handle_irq_for_port skips it", port)
        k.again()
        return
    _call_edge(k, w, step, irq_no, port)


def _call_edge(k: Any, w: Any, step: str, irq_no: int, port: int) -> None:
    """``k.call_then(step, "xen_handle_edge_irq", irq=irq_no, port=port)``, and the callee's first
    step (the ack, which emits) in this same step, as the interpreter would run them: the call's
    entry (``on_push``: function breakpoints, fault injection), then ``ack`` on the new frame, and
    this frame goes on at ``step`` when it returns. With probes armed the ack runs as a step of its
    own (the probes check every step)."""
    desc = w.irqs[irq_no]
    if desc.chip == CHIP_GSI:   # a PV guest's pcifront GSI irq: handle_fasteoi_irq (model/xen_intx.py)
        k.call_then(step, "handle_fasteoi_irq", irq=irq_no, port=port, vector=0)
        return
    me = k.cpu_id
    if k.probed or desc.move_pending or desc.disabled or (
            not _flow_fast(desc, me) and (not _lock_word_clear(desc) or _in_action(w, desc, me) >= 0)):
        # (a pending move: the ack calls irq_move_irq; a disabled irq: the ack parks the event
        # IRQS_PENDING; desc->lock held or waited for (entry.flow_fast, as entry.ack tests it), or the
        # irq in progress on another vCPU: the ack queues and spins, or leaves the event to that vCPU's loop)
        k.call_then(step, _EDGE, irq=irq_no, port=port)
        return
    loc: dict[str, Any] = {"irq": irq_no, "port": port}
    frame = {"prog": _EDGE, "pc": 0, "locals": loc}
    flow = k.flow       # k.goto(step), inlined
    flow.op = _GOTO
    flow.target = step
    eng = k.eng
    # ``Model.on_push`` when it has something to do: a function breakpoint (call_watch) or a fault
    # armed (this program is one of provenance's HOT_PROGS: no ``touched`` mark)
    if (not eng.call_watch and not w.kernel["faults"]) or eng.model.on_push(frame):
        k.ctx.stack.append(frame)
        k.frame = frame
        # ``ack`` on the new frame, inlined: irq_may_run was found true above (on_push changes no
        # irq), so desc->lock is taken, then eoi_pirq's clear_evtchn (``_clear``); no pending move
        desc.lock = me
        loc["src"] = src = evtchn.clear(eng, port)
        n = src[0][2] if len(src) == 1 else sum(s[2] for s in src)
        if eng.fresh:   # k.ev(EVTCHN_CLEAR, desc.dev, port, n), inlined
            key = (EVTCHN_CLEAR, k.cpu_id, desc.dev, port, n, 0)
            try:
                rid = eng.records[key]
            except KeyError:
                rid = eng.log.record(key)
            eng.ids_append(rid)
            eng.times_append(k.w.now)
        elif k.observer is not None:
            k.observer()
        k.costname = "kernel"
        k.emitted = True
        frame["pc"] = 1


edge = program("xen_handle_edge_irq", "handle_edge_irq on xen-pirq: ack = clear_evtchn, then the action",
               source=(*C.LINUX_EDGE, *S.EDGE_PENDING, S.XEN_PIRQ_EDGE, S.XEN_EOI_MOVE))


@edge.step
def ack(k: Any, loc: dict[str, Any]) -> None:
    """handle_edge_irq under desc->lock: ``irq_may_run`` first -- the irq's action running on another
    vCPU (IRQD_IRQ_INPROGRESS: the port was rebound meanwhile) makes this event IRQS_PENDING and
    the ack ``mask_ack_pirq``: disable_dynirq (the port's mask) before eoi_pirq, and no action here
    (``entry.defer``: that vCPU's loop runs it). Then ``eoi_pirq`` as the ack: clear_evtchn ...
    Before 1ca1b4e2c0cb (``kernel.xen_affinity_immediate`` false) the pirq chip has no
    IRQ_MOVE_PCNTXT: an affinity change waits as a pending move, which eoi_pirq applies here
    (``irqd_is_setaffinity_pending`` on an enabled irq: mask, clear_evtchn, irq_move_masked_irq ->
    set_affinity_irq, unmask: ``_masked_move``); before ff1e22e7a638 (4.6, ``kernel.xen_eoi_clear_first`` false) irq_move_irq ran
    first (mask, rebind, unmask) and clear_evtchn after it (back to this step, ``moved``)."""
    desc = k.w.irqs[loc["irq"]]
    if "mm" in loc:     # eoi_pirq's masked move under way (``_masked_move``)
        _masked_move(k, loc, desc)
        return
    if "deferred" not in loc:
        me = k.cpu_id
        if not _flow_fast(desc, me) and "moved" not in loc and not entry.may_run(k, desc, loc):
            return
        desc.lock = me
        if desc.disabled or desc.action is None:    # IRQD_IRQ_DISABLED or !desc->action: IRQS_PENDING, mask_ack_pirq
            entry.park(k, desc, loc)
            return
    elif loc["deferred"] == 1:      # mask_ack_pirq: disable_dynirq first
        loc["deferred"] = 2
        if entry.mask_first(k, desc, irq.CHIP_MASK):
            return
    if desc.move_pending and desc["started"]:
        if not sw(k, "xen_eoi_clear_first"):
            if "moved" not in loc:
                # before ff1e22e7a638 (kernel.xen_eoi_clear_first): irq_move_irq, then clear_evtchn (back here)
                loc["moved"] = True
                k.call_then("ack", "irq_move_irq", irq=loc["irq"])
                return
            _clear(k, loc, desc)
            if "deferred" in loc and loc["src"]:
                entry.hand_over(k, desc, loc["src"], parked=bool(loc.get("parked")))
            return      # (a move re-armed meanwhile (-EBUSY) waits for the next interrupt)
        if not desc.disabled:   # '&& likely(!irqd_irq_disabled(data))'; disabled: clear_evtchn only
            _masked_move(k, loc, desc)
            return
    _clear(k, loc, desc)
    if "deferred" in loc and loc["src"]:    # the events it cleared are the loop's (or check_irq_resend's)
        entry.hand_over(k, desc, loc["src"], parked=bool(loc.get("parked")))


def _masked_move(k: Any, loc: dict[str, Any], desc: Any) -> None:
    """eoi_pirq with a pending move, from ff1e22e7a638 (4.6) until 1ca1b4e2c0cb (5.11) made the move
    immediate: ``test_and_set_mask`` (the 5.10 lateeoi rework: do_mask(EVT_MASK_REASON_TEMPORARY)),
    clear_evtchn, ``irq_move_masked_irq`` (no mask of its own: xen_set_affinity_irq's rebind finds the
    port masked and leaves it so), then unmask_evtchn if the port was not masked before -- which, bound to
    the new vCPU now, signals there a port that went pending meanwhile. A signal that reaches the port
    once it is masked is taken by the clear (before it) or waits for that unmask (after it): never an
    upcall on the old vCPU, as the pre-rework model's clear-then-irq_move_irq order allowed. One step
    each (``mm``: 1 masked, 2 cleared and moving); the unmask when the move returns here."""
    port = loc["port"]
    stage = loc.get("mm", 0)
    if stage == 2:      # back from the move
        del loc["mm"]
        if loc.pop("unmask"):
            info = gx(k)["irqs"].get(desc.irq)
            if info is not None and info["port"] == port:
                unmask_evtchn(k, info)
        return
    if stage == 0:
        was = evtchn.set_mask(k.eng, port, True)
        loc["unmask"] = not was
        loc["mm"] = 1
        if not was:     # the mask is this step's event: clear_evtchn is the next one (a step each)
            k.ev(EVTCHN_MASK, desc.dev, port, 1)
            k.again()
            return
    loc["mm"] = 2
    _clear(k, loc, desc)
    if "deferred" in loc and loc["src"]:
        entry.hand_over(k, desc, loc["src"], parked=bool(loc.get("parked")))
    k.call_then("ack", "irq_move_masked_irq", irq=loc["irq"])


def _clear(k: Any, loc: dict[str, Any], desc: Any) -> None:
    """eoi_pirq's clear_evtchn: the port's pending bit cleared, the signals it carried taken."""
    port = loc["port"]
    loc["src"] = src = evtchn.clear(k.eng, port)
    k.ev(EVTCHN_CLEAR, desc.dev, port, src[0][2] if len(src) == 1 else sum(s[2] for s in src))


@edge.step
def eoi_hcall(k: Any, loc: dict[str, Any]) -> None:
    """... then PHYSDEVOP_eoi, before the handler runs (every interrupt of a pirq Xen answered
    XENIRQSTAT_needs_eoi for: an HVM guest has no pirq_eoi_map to skip it). An IRQS_PENDING event's
    flow handler returns here (mask_ack_pirq done)."""
    info = k.w.kernel["xen"]["irqs"].get(loc["irq"])
    if info is not None and info.get("needs_eoi"):      # pirq_eoi(k, info), inlined (every interrupt)
        eng = k.eng
        pirq = info["pirq"]
        rc = X.pirq_eoi(eng, pirq)
        sid = eng._string_ids   # (eng.s's common case: a string seen before)
        op = sid["PHYSDEVOP_eoi"] if "PHYSDEVOP_eoi" in sid else eng.s("PHYSDEVOP_eoi")
        if eng.fresh:   # k.ev(XEN_HCALL, info["dev"], op, pirq, rc, "hypercall"), inlined
            key = (XEN_HCALL, k.cpu_id, info["dev"], op, pirq, rc)
            try:
                rid = eng.records[key]
            except KeyError:
                rid = eng.log.record(key)
            eng.ids_append(rid)
            eng.times_append(k.w.now)
        elif k.observer is not None:
            k.observer()
        k.costname = "hypercall"
        k.emitted = True
    if "deferred" in loc:
        k.w.irqs[loc["irq"]]["lock"] = -1
        k.ret(0)
    else:   # k.goto("handle"), inlined
        flow = k.flow
        flow.op = _GOTO
        flow.target = "handle"


@edge.step
def rerun(k: Any, loc: dict[str, Any]) -> None:
    """handle_edge_irq's do/while on the vCPU whose action an event found in progress (``entry.defer``
    put this frame back): IRQS_PENDING on a masked, enabled irq -- enable_dynirq unmasks the port --
    and the action once more, for the events the other vCPU cleared (``entry.rerun_loop``)."""
    entry.rerun_loop(k, loc, irq.CHIP_MASK)


@edge.step
def handle(k: Any, loc: dict[str, Any]) -> None:
    entry.handle(k, loc, _UPCALL_VECTOR)     # (this frame's irq and src; the upcall's vector)
    stack = k.ctx.stack
    if len(stack) > 2:
        frame = stack[-2]
        prog = frame["prog"]
        if prog == _FIFO:
            more = bool(k.w.xen["fifo"][k.cpu_id])
        elif prog == _L2:
            more = _l2_more(k.w.xen, evtchn.mine(k.eng, k.cpu_id), k.cpu_id, frame["locals"])
        else:
            return
        if not more:
            # nothing else to hand to an irq: handle_events and the upcall return with this step
            frame["pc"] = _NSTEPS[prog]
            stack[-3]["pc"] = _NSTEPS_UPCALL


_UPCALL_VECTOR, _signalled, _l2_more = evtchn.UPCALL_VECTOR, ABI.signalled, ABI.l2_more
_FIFO, _L2, _HANDLERS, _consume = fifo.name, l2.name, frozenset(_HANDLE.values()), ABI.fifo_consume
_EDGE = edge.name
_ISR_ONLY, _VEC_WORD, _APIC_EOI = entry._ISR_ONLY, apic.VEC_WORD, K.APIC_EOI
_GOTO = GOTO

_in_action, _lock_word_clear, _flow_fast = entry.in_action, entry.lock_word_clear, entry.flow_fast


def _loop_entry(c: Any, irq_no: int, vector: int) -> list[dict[str, Any]]:
    """Under a Xen pirq's handle_edge_irq loop: the callback vector's common_interrupt and the upcall,
    which checks evtchn_upcall_pending again when the loop returns (handle_events had nothing more)."""
    v = evtchn.UPCALL_VECTOR
    if "upcall" in c:   # xen-pv: the event callback, no common_interrupt
        return [{"prog": upcall.name, "pc": upcall.labels["loop"], "locals": {"upcall": 1}}]
    return [{"prog": entry.common_interrupt.name, "pc": entry.CI_END, "locals": {"vector": v}},
            {"prog": upcall.name, "pc": upcall.labels["loop"], "locals": {"vector": v}}]


entry.RERUN[_EDGE] = edge.labels["rerun"]
entry.LOOP_ENTRY[_EDGE] = _loop_entry
_NSTEPS = {name: len(PROGRAMS[name].steps) for name in _HANDLERS}
_NSTEPS_UPCALL = len(upcall.steps)
assert upcall.name == evtchn.UPCALL_PROG
evtchn.UPCALL_LOOP[0] = upcall.labels["loop"]


# --- disable_irq / enable_irq / check_irq_resend on the pirq chip ---------------------------------------------
def disable_pirq(k: Any, desc: Any) -> None:
    """xen_pirq_chip's .irq_disable = disable_pirq -> disable_dynirq: the port's mask at once (a chip
    with irq_disable is never disabled lazily: __irq_disable calls it whatever IRQ_DISABLE_UNLAZY)."""
    chip_mask(k, desc, True)


def enable_pirq(k: Any, desc: Any) -> None:
    """.irq_enable = enable_pirq -> enable_dynirq: unmask the port; a port that went pending while
    masked signals its vCPU now (the unmask's own check), which is how an event raised while the irq
    was disabled is delivered. Before 4.13 (``kernel.xen_enable_pirq_startup``) enable_pirq is
    startup_pirq: for a bound port __startup_pirq's ``out:`` tail -- unmask_evtchn, then eoi_pirq,
    whose clear_evtchn takes that event away before the upcall runs (it is lost) -- called here as
    the program, holding desc->lock (enable_irq's irq_get_desc_buslock) until it returns: another
    vCPU's flow handler for the irq spins meanwhile (irq_enable's ``unlock`` step releases it)."""
    if sw(k, "xen_enable_pirq_startup"):
        desc.lock = k.cpu_id
        k.call("startup_pirq", irq=desc.irq, enable=True)
        return
    chip_mask(k, desc, False)


def retrigger_dynirq(k: Any, desc: Any, srcs: list[list[Any]]) -> bool:
    """.irq_retrigger = retrigger_dynirq: mask the port (temporarily), set_evtchn (the pending bit,
    set by the guest itself), unmask -- which signals the upcall on the port's vCPU (the port is
    pending now: EVTCHNOP_unmask on FIFO, and on 2-level for HVM or another vCPU's port). False with no
    event channel (``!VALID_EVTCHN``: no hardware retrigger). Emits ``irq.resend``."""
    from msidbg.model.kernel.disable import IRQ_RESEND
    info = gx(k)["irqs"].get(desc.irq)
    if info is None or not info["port"]:
        return False
    eng = k.eng
    port = info["port"]
    was = evtchn.set_mask(eng, port, True)
    for s in srcs or [[desc.dev, desc.index, 0]]:
        evtchn.send(eng, port, list(s))
    # provenance: the guest set the bit (set_evtchn), for the irq's IRQS_PENDING -- not Xen's send
    eng.prov.dep(PC.D_CAUSE, PK.key(PK.IRQPEND, desc.irq))
    eng.prov.write(PC.GUEST, PK.key(PK.PORTPEND, port), 1,
                   note=f"retrigger_dynirq: set_evtchn({port}) replays irq {desc['irq']}'s IRQS_PENDING")
    slow = False
    if not was:     # unmask_evtchn (its mask and unmask are not events of their own here)
        slow = unmask_hypercall(k, info, eng.w.xen["ports"].get(port))
        evtchn.set_mask(eng, port, False, k.cpu_id if slow else -1)
    if slow:    # (one event a step: the resend names the hypercall and carries its cost)
        k.ev(IRQ_RESEND, desc.dev, desc.irq, info["cpu"],
             k.s(f"retrigger_dynirq: event channel {port} set pending, EVTCHNOP_unmask"), cost="hypercall")
    else:
        k.ev(IRQ_RESEND, desc.dev, desc.irq, info["cpu"], k.s(f"retrigger_dynirq: event channel {port} set pending"))
    return True


# --- xen-pv: the event callback ------------------------------------------------------------------------
XEN_CALLBACK = kind("xen.callback", doc="Xen enters a PV vCPU at its event callback (evtchn_upcall_pending set, "
                    "evtchn_upcall_mask clear): xen_hypervisor_callback -> xen_evtchn_do_upcall, no APIC vector")


def pv_callback(k: Any, c: Any) -> None:
    """Xen's test_guest_events on the way back to a PV vCPU: evtchn_upcall_pending with
    evtchn_upcall_mask clear (the guest's irqs_off; this runs only when they are on) -> create_bounce_frame
    to the callback the guest registered (CALLBACKTYPE_event: xen_hypervisor_callback, which runs
    xen_evtchn_do_upcall -- later xen_pv_evtchn_do_upcall; release not checked -- with the mask set: nothing
    nests).
    The flag stays set until the upcall clears it."""
    c["irq"]["stack"].append({"prog": upcall.name, "pc": 0, "locals": {"upcall": 1, "src": []}})
    eng = k.eng
    if eng.call_watch:
        eng.entered(upcall.name)
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.UPCALL, c["id"]))
    P.write(PC.XEN, PK.key(PK.CALLBACK, c["id"]), 1, ctx=False,
            note=f"test_guest_events: evtchn_upcall_pending with evtchn_upcall_mask clear: vCPU{c['id']} "
            "enters its event callback (create_bounce_frame)")
    k.ev(XEN_CALLBACK, None, 0, 0, 0, "irq_entry")


entry.PV_CALLBACK[:] = [pv_callback]


# --- registration ------------------------------------------------------------------------------------------
irq.CHIP_DISABLE[CHIP] = disable_pirq
irq.CHIP_ENABLE[CHIP] = enable_pirq
irq.CHIP_RETRIGGER[CHIP] = retrigger_dynirq
irq.CHIP_MASK[CHIP] = chip_mask
irq.CHIP_STARTUP[CHIP] = "startup_pirq"
irq.CHIP_SHUTDOWN[CHIP] = "shutdown_pirq"
irq.CHIP_SET_AFFINITY[CHIP] = "xen_set_affinity_irq"
irq.CHIP_PROPS[CHIP] = frozenset({"no-domain", "move-pcntxt", "startup-first"})
irq.CHIP_PROP_SWITCH[(CHIP, "move-pcntxt")] = "xen_affinity_immediate"
entry.SYSVEC[evtchn.UPCALL_VECTOR] = "xen_evtchn_do_upcall"
entry.SYSVEC_ONLY[evtchn.UPCALL_VECTOR] = "xen"     # (bare metal: an unused system vector)
