"""Xen event channels and interrupt delivery: device message -> Xen -> pirq -> port -> upcall.

Follows xen/common/event_channel.c and drivers/passthrough/io.c. A device's message reaches
Xen on the host vector Xen programmed; the host irq names the pirq; a pirq with a passthrough
binding and an event channel (``hvm_domain_use_pirq``) sets its port pending
(``send_guest_pirq``). A port newly pending and not masked is signalled to its vCPU as the
domain's event channel ABI does it (``evtchn_abi``: a 2-level selector bit or a FIFO queue link),
and when Xen marks the upcall pending that is the callback vector in that guest CPU's local APIC
(xen-hvm) or the vCPU's evtchn_upcall_pending, taken at the PV event callback (xen-pv).
Each port carries the
provenance of the signals pending on it, so the guest handler that clears it settles exactly
those signals; whatever is left pending at the end of the run is lost.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

from msidbg.model import acct, apic, bus, hits, vmsi, xensched
from msidbg.model import evtchn_abi as ABI
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model import xen as X
from msidbg.model.hw import MSI_ADDR_DEST_MODE_LOGICAL
from msidbg.sim.events import HEX, INT, STR, kind
from msidbg.sim.scheduler import SEQ_BITS

World = Any     # a world record (sim/rec.py WorldRec)
EINVAL, EEXIST = 22, 17
UPCALL_VECTOR = apic.CALLBACK_VECTOR   # HYPERVISOR_CALLBACK_VECTOR (0xf3)

# provenance on the interrupt path: kinds and key spaces bound once (a key is ``space | payload``)
_XEN, _D_CAUSE, _D_MSG_TABLE = PC.XEN, PC.D_CAUSE, PC.D_MSG_TABLE
_XENQ, _PIRQPORT, _PORTPEND = PK.key(PK.XENQ, 0), PK.key(PK.PIRQPORT, 0), PK.key(PK.PORTPEND, 0)
_PTBIND = PK.key(PK.PTBIND, 0)
_ROUTE_NOTE = "{} vector {}'s message reaches Xen on host vector {:#x} (host irq {})"
_SEND_NOTE = "send_guest_pirq: {} vector {} sets event channel {} pending"
#: ``send``'s result for an upcall raised on vCPU i, or for a port signalled to a vCPU whose upcall
#: is already signalled (built once, not per interrupt)
_UPCALL_TO = tuple(f"upcall to vCPU{i}" for i in range(64))
_SIGNALLED = tuple(f"pending: vCPU{i}'s upcall already signalled" for i in range(64))
_UP_WORD, _UP_BIT = apic.VEC_WORD[UPCALL_VECTOR], apic.VEC_BIT[UPCALL_VECTOR]
_heappush = heapq.heappush
_mark = ABI.mark

XEN_PIRQ = kind("xen.pirq", ("pirq", INT), ("port", INT), ("how", STR),
                doc="Xen takes a device interrupt for a pirq and sends it on the pirq's event channel")
XEN_MIGRATE = kind("xen.migrate", ("vcpu", INT), ("pcpu", INT), ("how", STR),
                   doc="Xen's scheduler moves a vCPU to another host pCPU (the scenario's vcpu_migrate), or a vCPU "
                       "it moved while halted is scheduled in there (vmx_do_resume: hvm_migrate_pirqs)")
XEN_KICK = kind("xen.kick", ("vcpu", INT), ("port", INT), ("how", STR),
                doc="a vCPU that another vCPU's EVTCHNOP_unmask kicked (vcpu_kick) reaches its next VM entry, where "
                    "it is given the upcall Xen marked for it")
XEN_MSI = kind("xen.msi", ("pirq", INT), ("data", HEX), ("how", STR),
               doc="Xen writes the data half of a host MSI message it is moving to another pCPU "
                   "(set_msi_affinity -> write_msi_msg of an MSI without Per-vector Masking)")


# --- ports ---------------------------------------------------------------------------------------------
def _free_port(eng: Any, x: World) -> int:
    """``get_free_port``: the lowest port not in use -- from Xen 4.7 (78e24c269b) also not still
    LINKED on a FIFO queue (``evtchn_port_is_busy``)."""
    skip_busy = eng.w.behaviour["xen_evtchn_skip_busy"]
    port = 1
    while port in x["ports"] or (skip_busy and ABI.busy(x, port)):
        port += 1
    return port


def bind_pirq(eng: Any, pirq: int, dev: str, index: int) -> int:
    """EVTCHNOP_bind_pirq on behalf of the guest irq of (dev, index): a port, or -errno.

    The port starts masked and bound to vCPU 0. On HVM a mapped pirq gets its emuirq; on PV
    the bind is ``pirq_guest_bind`` (which needs the pirq mapped).
    """
    w = eng.w
    x = w.xen
    if not 0 <= pirq < x["nr_pirqs"]:
        return -EINVAL
    rec = x["pirqs"].get(pirq)
    _check_use(eng, rec, pirq, dev, index, "binds an event channel to")
    if rec is not None and rec["port"]:
        return -EEXIST
    rec = X.pirq_rec(x, pirq)
    pv = w.platform["kind"] == "xen-pv"
    if pv and rec["irq"] <= 0:
        X.cleanup(x, pirq)
        return -EINVAL
    port = _free_port(eng, x)
    x["ports"][port] = {"pirq": pirq, "vcpu": 0, "pending": False, "masked": True, "src": []}
    rec["port"] = port
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.PIRQ, pirq))
    P.write(PC.XEN, PK.key(PK.PORT, port), pirq, also=(PK.key(PK.PIRQPORT, pirq),),
            note=f"EVTCHNOP_bind_pirq: event channel {port} for pirq {pirq} ({dev} vector {index})")
    if rec["irq"] > 0:
        if not w.behaviour.get("xen_pt_emuirq_at_map"):     # (4.1.0 / 4.1.1: QEMU's map set it)
            rec["emuirq"] = not pv
        if pv and not rec["bound"]:
            X.pt_bind(eng, pirq, rec["dev"], rec["entry"])
        X.guest_unmask(eng, pirq)
    return port


def _check_use(eng: Any, rec: dict[str, Any] | None, pirq: int, dev: str, index: int, verb: str) -> None:
    """``pirq-conflict``: the guest uses a pirq Xen holds for another device or has not mapped
    (an emulated device's pirq is never mapped: QEMU injects it, hvm_inject_msi)."""
    if (rec is None or rec["irq"] <= 0) and not eng.w.devices[dev]["passthrough"]:
        return
    P = eng.prov
    P.dep(PC.D_OWNER, PK.key(PK.PIRQ, pirq))
    if rec is None or rec["irq"] <= 0:
        P.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, pirq), 0,
                note=f"the guest {verb} pirq {pirq} for {dev} vector {index}, which Xen has not mapped")
        eng.hit(hits.PIRQ_CONFLICT, f"the guest {verb} pirq {pirq} for {dev} vector {index}, "
                "but Xen has not mapped that pirq")
    elif rec["dev"] != dev or rec["entry"] != index:
        P.write(PC.XEN_REFUSED, PK.key(PK.PIRQ, pirq), rec["irq"],
                note=f"the guest {verb} pirq {pirq} for {dev} vector {index}, which Xen holds for {X.owner(rec)}")
        eng.hit(hits.PIRQ_CONFLICT, f"the guest {verb} pirq {pirq} for {dev} vector {index}, "
                f"but Xen holds that pirq for {X.owner(rec)}")


def close(eng: Any, port: int) -> int:
    """EVTCHNOP_close: signals still pending on the port are lost; HVM clears the emuirq."""
    x = eng.w.xen
    ch = x["ports"].pop(port, None)
    if ch is None:
        return -EINVAL
    P = eng.prov
    r = P.write(PC.XEN, PK.key(PK.PORT, port), 0, also=(PK.key(PK.PIRQPORT, ch["pirq"]),),
                note=f"EVTCHNOP_close: event channel {port} (pirq {ch['pirq']}) closed")
    lost = bool(ch["src"])
    _drop(eng, ch, f"were pending on event channel {port} when it was closed", port)
    if r >= 0:
        # (why32; reading xen.evtchn.close-clears-pending) __evtchn_close clears the port's pending bit: what a remote
        # vCPU's kicked upcall finds -- the loss of the events it dropped, else the close
        P.port_cleared[port] = P.last_node if lost else r
    rec = x["pirqs"].get(ch["pirq"])
    if rec is not None and rec["port"] == port:
        rec["port"] = 0
        if rec["irq"] > 0 and not eng.w.behaviour.get("xen_pt_emuirq_at_map"):    # (4.1.0 / 4.1.1: it stays)
            rec["emuirq"] = False
        if eng.w.platform["kind"] == "xen-pv" and rec["bound"]:
            X.pt_unbind(eng, ch["pirq"])
        X.cleanup(x, ch["pirq"])
    return 0


def _drop(eng: Any, ch: dict[str, Any], why: str, port: int) -> None:
    for dev, idx, n in ch["src"]:
        eng.prov.dep(PC.D_PENDING, PK.key(PK.PORTPEND, port))
        acct.lost(eng, dev, idx, n, why)
    ch["src"] = []
    ch["pending"] = False
    pending_ports(eng)[ch["vcpu"]].discard(port)


def set_mask(eng: Any, port: int, masked: bool, kicker: int = -1) -> bool:
    """Mask or unmask a port (returns whether it was masked). Unmasking a pending port signals it
    to its vCPU (``evtchn_2l_unmask``: only if it was masked; ``evtchn_fifo_unmask``: the guest's
    EVTCHNOP_unmask whenever it is pending, which links it unless it is still linked). ``kicker``:
    the vCPU whose EVTCHNOP_unmask this is (-1: the guest's own store, or no hypercall); a port of
    another vCPU is marked now and that vCPU kicked (``kick``): it takes the upcall later."""
    x = eng.w.xen
    ch = x["ports"].get(port)
    if ch is None:
        return True
    was = bool(ch["masked"])
    ch["masked"] = masked
    if was != masked:
        # provenance: the guest's mask_evtchn / unmask_evtchn (its step's stack names the caller: disable_irq's
        # disable_dynirq, shutdown_pirq, a rebind); a signal that finds the port masked links it
        eng.prov.write(PC.GUEST, PK.key(PK.PORTMASK, port), int(masked),
                       note=f"{'masks' if masked else 'unmasks'} event channel {port}")
    if not masked and ch["pending"] and (was or x["abi"] == "fifo") and _mark(eng, x, port, ch["vcpu"]):
        # provenance: the unmask (in the guest's step, with its stack) signals the still-pending port
        P = eng.prov
        P.dep(_D_CAUSE, _PORTPEND | port)
        P.write(PC.GUEST, PK.key(PK.PORT, port), ch["pirq"],
                note=f"unmasks event channel {port} while it is pending: Xen signals it to vCPU{ch['vcpu']} "
                "(its upcall)")
        P.dep(_D_CAUSE, PK.key(PK.PORT, port))
        if 0 <= kicker != ch["vcpu"]:
            kick(eng, ch["vcpu"], port)
        else:
            raise_upcall(eng, ch["vcpu"], port)
    return was


def kick(eng: Any, vcpu: int, port: int) -> None:
    """A guest hypercall's ``vcpu_mark_events_pending`` of ANOTHER vCPU (EVTCHNOP_unmask of a pending
    port bound there: evtchn_2l_unmask / evtchn_fifo_unmask -> evtchn_fifo_set_pending). Xen marks the
    event (selector or queue link, evtchn_upcall_pending; an HVM per-vCPU vector in the vlapic's IRR) and
    ``vcpu_kick``s that vCPU -- vcpu_unblock of a halted one, else VCPU_KICK_SOFTIRQ to the pCPU it runs
    on, an IPI that makes it exit -- and returns to the caller. The kicked vCPU runs its upcall only at
    its next VM entry (vmx_intr_assist on the vmentry path; a PV vCPU's test_guest_events on its return
    to guest mode), after that exit or wake-up: the caller's return from the hypercall and its next
    guest step come first. Modelled as the upcall raised on that vCPU an IPI after the caller's
    hypercall returns (``costs.hypercall + costs.ipi`` from now; reading ``xen.evtchn.remote-kick``)."""
    w = eng.w
    eng.schedule(w.now + w.costs["hypercall"] + w.costs["ipi"], "xen", "kick", vcpu, port)
    P = eng.prov
    if P.on and eng.fresh:      # (why32: a clear_evtchn of the port before the kick arrives is recorded, ``clear``)
        P.kicks[port] = P.kicks.get(port, 0) + 1


def clear(eng: Any, port: int) -> list[list[Any]]:
    """``clear_evtchn``: the pending bit clears; returns the provenance it carried."""
    ch = eng.w.xen["ports"].get(port)
    if ch is None:
        return []
    src = ch["src"]
    ch["src"] = []
    if eng.prov.kicks and port in eng.prov.kicks and ch["pending"]:
        _cleared_for_kick(eng, port, src)
    ch["pending"] = False
    index = eng.model.derived.get(_INDEX)
    (pending_ports(eng) if index is None else index)[ch["vcpu"]].discard(port)
    return src


def _cleared_for_kick(eng: Any, port: int, src: list[list[Any]]) -> None:
    """Provenance (why32): the guest's clear_evtchn of a pending port a remote vCPU was kicked for, before that vCPU's
    upcall (the flow handler's ack -- eoi_pirq / event_handler_exit -- on the vCPU that took it, or startup_pirq's
    eoi_pirq, whose loss node replaces this one): a node in the guest's step, which the kicked upcall links
    (``Prov.port_cleared``). The interrupt path records no clear otherwise."""
    P = eng.prov
    if not (P.on and eng.fresh):
        return
    pend, pev, last = P._pend, P._pend_ev, P.last_node
    P._pend = []
    n = sum(s[2] for s in src)
    P.dep(PC.D_PENDING, _PORTPEND | port)
    r = P.write(PC.EVTCHN_CLEARED, _PORTPEND | port, 0,
                note=f"clear_evtchn({port}): the port's pending event ({n} signal(s)) taken before the kicked vCPU's "
                "upcall")
    P._pend, P._pend_ev, P.last_node = pend, pev, last
    if r >= 0:
        P.port_cleared[port] = r


def bind_vcpu(eng: Any, port: int, vcpu: int) -> int:
    """EVTCHNOP_bind_vcpu: future events go to ``vcpu`` (``notify_vcpu_id``). Xen signals nothing
    here (evtchn_bind_vcpu): a pending event reaches the new vCPU when the guest unmasks it, as
    ``xen_rebind_evtchn_to_cpu`` does; a FIFO event still linked stays on the old vCPU's queue."""
    ch = eng.w.xen["ports"].get(port)
    if ch is None:
        return -EINVAL
    if ch["vcpu"] != vcpu and eng.w.behaviour["xen_pirq_follows_vcpu"]:
        # case ECS_PIRQ: pirq_set_affinity(d, pirq, cpumask_of(v->processor)) (38b998cfb6, Xen 4.1; before it
        # only notify_vcpu_id changes)
        X.pirq_set_affinity(eng, ch["pirq"], eng.w.xen["pcpu"][vcpu], f"EVTCHNOP_bind_vcpu of port {port} to vCPU{vcpu}")
    if ch["pending"]:
        index = pending_ports(eng)
        index[ch["vcpu"]].discard(port)
        index[vcpu].add(port)
    ch["vcpu"] = vcpu
    return 0


def send(eng: Any, port: int, src: list[Any], queued: int = 0) -> str:
    """``evtchn_port_set_pending``: returns what happened, for the event record. ``src`` is a new
    ``[dev, index, signals]`` (the port keeps it); ``queued``: the provenance key of the work item
    that carried the message into Xen, a dependency of the pending bit (0: none)."""
    x = eng.w.xen
    ch = x["ports"][port]
    pending = ch["src"]
    if not pending:     # (the common case: nothing pending on the port yet)
        pending.append(src)
    else:
        for s in pending:
            if s[0] == src[0] and s[1] == src[1]:
                s[2] += src[2]
                break
        else:
            pending.append(src)
    was, masked = ch["pending"], ch["masked"]   # (neither changes before the bit is set below)
    P = eng.prov
    pk = _PORTPEND | port
    if was:
        # coalesced: the bit was already set -- by the send that set it (which links the mask that held it)
        P.dep(PC.D_PENDING, pk)
    elif masked:
        # the port's mask holds the event (the guest's mask_evtchn): the pending bit links it
        mk = PK.key(PK.PORTMASK, port)
        if P.writer(mk) >= 0:
            P.dep(PC.D_MASKED_BY, mk)
    if queued:
        P.cause_write(_XEN, pk, 1, _SEND_NOTE, src[0], src[1], port, _D_MSG_TABLE, queued, _D_CAUSE,
                      _PIRQPORT | ch["pirq"])
    else:
        P.cause_write(_XEN, pk, 1, _SEND_NOTE, src[0], src[1], port, _D_CAUSE, _PIRQPORT | ch["pirq"])
    vcpu = ch["vcpu"]
    if was:
        if x["abi"] == "fifo" and not masked and _mark(eng, x, port, vcpu):
            raise_upcall(eng, vcpu, port)   # consumed, not yet cleared: evtchn_fifo_set_pending links it again
        return "coalesced"
    ch["pending"] = True
    index = eng.model.derived.get(_INDEX)
    (pending_ports(eng) if index is None else index)[vcpu].add(port)
    if masked:
        return "pending, masked"
    if x["abi"] == "fifo":      # evtchn_abi.mark, inlined: link at the tail; the upcall for a new head only
        linked = x["linked"]
        if port in linked:
            new_head = False
        else:
            q = x["fifo"][vcpu]
            q.append(port)
            linked[port] = vcpu
            new_head = len(q) == 1
    else:
        new_head = _mark(eng, x, port, vcpu)
    if not new_head:
        return _SIGNALLED[vcpu] if vcpu < 64 else f"pending: vCPU{vcpu}'s upcall already signalled"
    if raise_upcall(eng, vcpu, port) is False:
        return f"pending: vCPU{vcpu}'s running upcall loops to it (global callback via)"
    return _UPCALL_TO[vcpu] if vcpu < 64 else f"upcall to vCPU{vcpu}"


def raise_upcall(eng: Any, vcpu: int, port: int = 0) -> bool | None:
    """``vcpu_mark_events_pending``: test_and_set of the vCPU's evtchn_upcall_pending, then for an HVM
    guest ``hvm_assert_evtchn_irq`` (the callback vector in that guest CPU's local APIC), for a PV
    guest ``vcpu_kick`` (the flag itself: Xen's test_guest_events enters the guest at its event
    callback on its next return to it, while evtchn_upcall_mask is clear -- no APIC is involved)."""
    c = eng.w.cpus[vcpu]
    if not c.online:
        return None  # the port stays pending; a rebind to an online vCPU raises it again
    if "upcall" in c._extra:   # xen-pv (xen.build): vcpu_info, not a vector (tested first: an HVM vCPU
        # has no such field, so the global-callback test below needs no test of its own)
        if not c["upcall"]:
            c["upcall"] = 1
            P = eng.prov
            if port:
                P.dep(_D_CAUSE, _PORTPEND | port)
            P.write(_XEN, PK.key(PK.UPCALL, vcpu), 1, ctx=False,
                    note=f"vcpu_mark_events_pending: vCPU{vcpu}'s evtchn_upcall_pending (vcpu_kick)")
            if not c["queued"]:
                eng.model.wake(eng, c)
        return None
    if c.irq.stack and (b := eng.w.behaviour) is not None \
            and not (b.get("xen_percpu_upcall", True) and b.get("xen_upcall_vector_cpuid", True)) \
            and upcall_loop_ahead(c):     # (global_callback(eng.w), inlined: every HVM interrupt)
        # the global callback via (kernel.xen_percpu_upcall / platform.xen_upcall_vector_cpuid false): Xen only
        # sets evtchn_upcall_pending (hvm_assert_evtchn_irq: vcpu_kick); the upcall this vCPU is running
        # cleared it and its loop sees the event -- nothing more is injected (reading xen.callback-vector-global)
        return False
    c.irr[_UP_WORD] |= _UP_BIT     # apic.receive(c, UPCALL_VECTOR, None), inlined (no source to keep)
    if port:
        eng.prov.cause_ipi(_D_CAUSE, _PORTPEND | port, vcpu, UPCALL_VECTOR, PC.IRR_UPCALL)
    else:
        eng.prov.write(PC.IRR_UPCALL, PK.key(PK.IRR, PK.cpu_vec(vcpu, UPCALL_VECTOR)), 1, ctx=False)
    if not c.queued:
        eng.model.wake(eng, c)
    return None


#: the guest's upcall program and the index of its loop step (kernel/xen_events.py registers them)
UPCALL_PROG = "xen_evtchn_do_upcall"
UPCALL_LOOP: list[int] = [1]


def global_callback(w: Any) -> bool:
    """The HVM guest takes its upcall through the domain's global callback via (HVMIRQ_callback_vector):
    a kernel before b1c3497e604d (6.0), or a Xen without XEN_HVM_CPUID_UPCALL_VECTOR (before 4.17)."""
    b = w.behaviour
    if b is None:
        return False
    return not (b.get("xen_percpu_upcall", True) and b.get("xen_upcall_vector_cpuid", True))


def upcall_loop_ahead(c: Any) -> bool:
    """``c`` is inside xen_evtchn_do_upcall, its loop's check of evtchn_upcall_pending still ahead: the
    frame is before its loop step, or handle_events still runs above it. (When handle_events hands its
    last port to an irq the model ends both frames at once -- kernel/xen_events.py's fast path; the real
    loop checks the flag after that irq's handler returns, so the upcall frame goes back to its loop.)"""
    loop = UPCALL_LOOP[0]
    stack = c.irq.stack
    top = len(stack) - 1
    for i, f in enumerate(stack):
        if f["prog"] == UPCALL_PROG:
            if f["pc"] <= loop:
                return True
            if i < top:
                f["pc"] = loop
                return True
    return False


def next_pending(eng: Any, vcpu: int) -> int:
    """The port ``vcpu``'s upcall would hand to an irq first if it ran now (0 when none), in the
    domain's ABI's order (``evtchn_abi.next_port``)."""
    index = eng.model.derived.get(_INDEX)
    mine = (pending_ports(eng) if index is None else index)[vcpu]
    w = eng.w
    return ABI.next_port(w.xen, mine, w.kernel["xen"]["rr"], vcpu)


def mine(eng: Any, vcpu: int) -> set[int]:
    """The pending ports bound to ``vcpu`` (the derived index's entry)."""
    index = eng.model.derived.get(_INDEX)
    return (pending_ports(eng) if index is None else index)[vcpu]


def pending_ports(eng: Any) -> defaultdict[int, set[int]]:
    """vCPU -> the ports bound to it whose pending bit is set: an index derived from the world
    (``Model.derived``: dropped when a world is bound, rebuilt here from the ports' bits). Every
    writer of a pending bit (``send``, ``clear``, ``_drop``; ``close`` drops the port) or of a
    pending port's vCPU (``bind_vcpu``) keeps it up to date, so the upcall's scan looks at this
    vCPU's few pending ports instead of the whole table."""
    derived = eng.model.derived
    got: defaultdict[int, set[int]] | None = derived.get(_INDEX)
    if got is None:
        built: defaultdict[int, set[int]] = defaultdict(set)
        for port, ch in eng.w.xen["ports"].items():
            if ch["pending"]:
                built[ch["vcpu"]].add(port)
        got = derived[_INDEX] = built
    return got


_INDEX = "xen.pending"


# --- delivery --------------------------------------------------------------------------------------------
def route(eng: Any, dev: str, idx: int, lo: int, hi: int, data: int, n: int) -> int:
    """bus.ROUTERS hook for Xen platforms: a passthrough device's message goes to Xen."""
    w = eng.w
    if not w.devices[dev]["passthrough"]:
        if (lo & 0xFFF00000) != 0xFEE00000:
            acct.lost(eng, dev, idx, n, f"went to {lo:#x}, which is not an interrupt address (a DMA write)")
            return -1
        if w.platform["kind"] == "xen-hvm" and not w.behaviour.get("xen_hvm_inject_msi", True):
            # QEMU's xen_apic_mem_write -> xen_hvm_inject_msi: Xen before 4.2 has no HVMOP_inject_msi
            # (080bc64070), the call fails with -ENOSYS and QEMU drops the message
            acct.lost(eng, dev, idx, n, "was dropped by the device model: Xen before 4.2 has no HVMOP_inject_msi "
                      "(qemu-xen's xen_hvm_inject_msi failed with -ENOSYS; platform.xen_hvm_inject_msi)")
            return -1
        if not data & 0xFF and w.platform["kind"] == "xen-hvm":
            return inject_pirq_msi(eng, dev, idx, lo, hi, n)
        # an emulated device's message: Xen's vmsi_deliver matches it against every vLAPIC
        # (vlapic_match_dest: the APIC id 2n, 0xff broadcast in xAPIC mode, or the LDR)
        return bus.deliver_to(eng, dev, idx, (lo >> 12) & 0xFF, bool(lo & MSI_ADDR_DEST_MODE_LOGICAL),
                              data & 0xFF, n)
    if (lo & 0xFFF00000) != 0xFEE00000:
        acct.lost(eng, dev, idx, n, f"went to {lo:#x}: the physical entry holds no message Xen programmed")
        return -1
    vector = data & 0xFF
    pcpu = (lo >> 12) & 0xFF            # physical destination mode: the pCPU's APIC id
    slot = pcpu << 8 | vector
    irq = w.xen["vector_irq"].get(slot)
    P = eng.prov
    if irq is None:
        # do_IRQ: "No irq handler for vector" -- acked and dropped
        P.message_dep()
        acct.lost(eng, dev, idx, n, f"hit host vector {vector:#x} on pCPU{pcpu}, which Xen has no irq for there")
        return -1
    d = P.dev_ids.get(dev)
    P.message_write(_XEN, _XENQ | (P.dev(dev) if d is None else d) << 16 | idx, irq, _ROUTE_NOTE, dev, idx, vector, irq)
    # eng.schedule(w.now + w.costs["upcall"], "xen", "irq", dev, idx, n, irq, slot), inlined (every interrupt)
    t = w.now + w.costs["upcall"]
    seq = w.seq
    w.seq = seq + 1
    eng.agenda[seq] = [t, seq, "xen", "irq", dev, idx, n, irq, slot]
    _heappush(eng.heap, t << SEQ_BITS | seq)
    return -1


def inject_pirq_msi(eng: Any, dev: str, idx: int, lo: int, hi: int, n: int) -> int:
    """An emulated device's pirq message: QEMU's msi_send_message -> xen_hvm_inject_msi (a
    hypercall from QEMU): Xen's ``hvm_inject_msi`` runs as a work item."""
    w = eng.w
    pirq = (hi & 0xFFFFFF00) | ((lo >> 12) & 0xFF)
    eng.schedule(w.now + w.costs["hypercall"], "xen", "inject", dev, idx, n, pirq)
    return -1


def _hvm_inject_msi(eng: Any, dev: str, idx: int, n: int, pirq: int) -> None:
    """``hvm_inject_msi`` for a vector-0 message: the pirq's emuirq is mapped (IRQ_MSI_EMU) on the
    first one; ``send_guest_pirq`` sets its port pending, if the guest bound one."""
    x = eng.w.xen
    rec = x["pirqs"].get(pirq) if 0 < pirq < x["nr_pirqs"] else None
    port = 0
    if pirq <= 0 or pirq >= x["nr_pirqs"] or (rec is not None and rec["irq"] > 0):
        why = "names no pirq" if pirq <= 0 or pirq >= x["nr_pirqs"] else "is a passthrough pirq (-EINVAL)"
        acct.lost(eng, dev, idx, n, f"was injected by QEMU for pirq {pirq}, which {why}")
        how = "hvm_inject_msi refused it"
    else:
        rec = X.pirq_rec(x, pirq)
        rec["emuirq"] = True               # map_domain_emuirq_pirq(d, pirq, IRQ_MSI_EMU)
        port = rec["port"]
        if not port:
            acct.lost(eng, dev, idx, n, f"reached pirq {pirq}, which has no event channel (send_guest_pirq drops it)")
            how = "emulated: no event channel"
        else:
            how = "emulated: " + send(eng, port, [dev, idx, n])
    eng.emit(XEN_PIRQ, -1, dev, pirq, port, eng.s(how))


def on_xen(eng: Any, item: list[Any]) -> None:
    """Agenda handler: Xen's work on a device interrupt (do_IRQ -> __do_IRQ_guest, then the dpci
    softirq), or the 1 ms eoi_timer of a host irq held in flight."""
    if item[3] != "irq" and _on_xen_other(eng, item):    # (a device's message, every interrupt: tested first)
        return
    # do_IRQ for a device's message: ``[t, seq, "xen", "irq", dev, idx, n, irq, slot]`` (``route`` queued it)
    _, _, _, _, dev, idx, n, irq, slot = item
    x = eng.w.xen
    hirq = x["irqs"].get(irq)
    P = eng.prov
    d = P.dev_ids.get(dev)
    queued = _XENQ | (P.dev(dev) if d is None else d) << 16 | idx    # the work item route() queued
    if hirq is None:
        P.dep(_D_MSG_TABLE, queued)
        acct.lost(eng, dev, idx, n, f"reached host irq {irq} after Xen unmapped it")
        eng.emit(XEN_PIRQ, -1, dev, -1, 0, eng.s("host irq gone"))
        return
    pirq = hirq["pirq"]
    rec = x["pirqs"][pirq]
    port = rec["port"]
    if x["eoi"] and (top := X.blocked_by(x, slot)) is not None:     # (no pCPU has a vector in service: none)
        # the pCPU's local APIC has an ACKTYPE_EOI vector of the same or a higher priority class in
        # service until the guest's PHYSDEVOP_eoi (or the eoi_timer): this vector waits in its IRR
        # (coalesced) and goes on at that EOI -- no do_IRQ, no ack yet
        P.dep(_D_MSG_TABLE, queued)
        X.hold(x, slot, [dev, idx, n, irq])
        how = "held: the host irq awaits the guest's EOI" if top[1] == irq else \
            f"held: pCPU{slot >> 8} has vector {top[0]:#x} (host irq {top[1]}) in service until the guest's EOI"
        if P.on and eng.fresh:
            # provenance: the signal is held (the timeout of a driver waiting for it links it) behind the
            # interrupt in service: the send of its pirq (its port's pending bit, which links the guest's mask
            # that keeps the EOI from coming; without an event channel, its binding). Nothing was recorded here,
            # and the dependency above attached to nothing.
            other = x["irqs"].get(top[1])
            opirq = other["pirq"] if other is not None else -1
            oport = x["pirqs"][opirq]["port"] if opirq in x["pirqs"] else 0
            orec = x["pirqs"].get(opirq) if opirq >= 0 else None
            vcpu = X.dest_vcpu(eng.w, orec) if orec is not None and not oport and orec["gvec"] else -1
            if vcpu >= 0 and orec is not None:
                # a vMSI (no event channel): the guest's acceptance of the injected vector, whose EOI Xen
                # waits for -- a trapped one releases it at once (xen.vmsi-eoi-trapped), else the eoi_timer
                P.dep(PC.D_IN_SERVICE, PK.key(PK.ISR, PK.cpu_vec(vcpu, orec["gvec"])))
            elif opirq >= 0:
                P.dep(PC.D_IN_SERVICE, (_PORTPEND | oport) if oport else (_PTBIND | opirq))
            de = PK.dev_entry(P.dev(dev), idx)
            P.write(_XEN, PK.key(PK.HELD, de), n, ctx=False, note=f"{dev} vector {idx}: {how}",
                    also=(PK.key(PK.SIG, de),))
        eng.emit(XEN_PIRQ, -1, dev, pirq, port, eng.s(how))
        return
    if rec["bound"] and (hirq["old"] >= 0 or hirq["move"] >= 0):
        # do_IRQ -> desc->handler->ack: irq_complete_move, move_native_irq. The move is Xen's own
        # writes (no event); its provenance notes say what moved. (Neither a move in progress nor one
        # pending: ack_move does nothing, and is not called.)
        X.ack_move(eng, irq, hirq, slot)
    if not rec["bound"]:
        how = "mapped, not bound"
        P.dep(_D_MSG_TABLE, queued)
        P.dep(_D_CAUSE, PK.key(PK.PTBIND, pirq))
        acct.lost(eng, dev, idx, n, f"reached pirq {pirq}, which is mapped but not bound "
                  + ("(no pt_irq_create_bind)" if eng.w.platform["kind"] == "xen-hvm" else
                     "(no guest binding: EVTCHNOP_close ran pirq_guest_unbind)"))
    elif not port or not (rec["emuirq"] or eng.w.platform["kind"] == "xen-pv"):
        P.dep(_D_MSG_TABLE, queued)
        P.dep(_D_CAUSE, _PIRQPORT | pirq)
        P.dep(_D_CAUSE, _PTBIND | pirq)     # the guest vector and destination the binding gave it
        how = vmsi_deliver_pirq(eng, rec, pirq, dev, idx, n)
    else:
        how = send(eng, port, [dev, idx, n], queued)    # (the dependency on the work item goes with it)
    if hirq["ack_eoi"] and rec["bound"]:
        # do_IRQ_guest: the vector stays in service on this pCPU (pending_eoi), pirq->masked (in_flight),
        # and the eoi_timer is (re)armed (stop_timer + set_timer: the token of an earlier one goes stale)
        X.in_service(x, hirq, irq, slot)
        hirq["in_flight"] = token = eng.w.seq + 1
        eng.schedule(eng.w.now + EOI_TIMER_NS, "xen", "eoi_timer", irq, token, slot >> 8)   # migrate_timer: here
    sid = eng._string_ids.get(how)      # eng.s(how)'s common case: a string seen before
    if sid is None:
        sid = eng.log.strings.intern(how)
    if eng.fresh:   # Engine.emit, inlined (as device.signal does)
        key = (XEN_PIRQ, -1, dev, pirq, port, sid)
        try:
            rid = eng.records[key]
        except KeyError:
            rid = eng.log.record(key)
        eng.ids_append(rid)
        eng.times_append(eng.w.now)
    else:   # re-executing known history: nothing is recorded (an observer may replace emit)
        eng.emit(XEN_PIRQ, -1, dev, pirq, port, sid)


def _on_xen_other(eng: Any, item: list[Any]) -> bool:
    """``on_xen`` for the other work items; False: none of them (the item goes on as a device's message)."""
    if item[3] == "kick":       # [.., "kick", vcpu, port]: a remote vcpu_kick reaches its VM entry (``kick``)
        vcpu, port = item[4], item[5]
        c = eng.w.cpus[vcpu]
        # provenance: the upcall is the unmask's (its signal of the pending port, written in the guest's step)
        P = eng.prov
        if P.kicks and eng.fresh:
            left = P.kicks.pop(port, 0) - 1
            if left > 0:
                P.kicks[port] = left
        P.dep(_D_CAUSE, PK.key(PK.PORT, port))
        ch = eng.w.xen["ports"].get(port)
        if P.port_cleared and (ch is None or not ch["pending"]) and eng.fresh:
            # (why30) the upcall comes too late: the caller's eoi_pirq cleared the port first (startup_pirq from
            # another vCPU before 4.13, xenred28 / heldout_why15 k01, k02): the loss that clear made, what it finds;
            # (why32) or EVTCHNOP_close (the loss of what it dropped, else the close), or the guest's clear_evtchn on
            # the vCPU that took the events first (``clear``)
            w, sig = P.port_cleared.get(port, -1), P.writer(PK.key(PK.PORT, port))
            if w >= 0 and (sig < 0 or P.event(w) >= P.event(sig)):
                P.dep_writer(PC.D_PORT_CLEARED, PK.key(PK.PORTPEND, port), w)
        raise_upcall(eng, vcpu)
        how = ("offline: the upcall waits" if not c.online else
               "upcall; the port is " + ("still pending" if ch is not None and ch["pending"] else "no longer pending"))
        eng.emit(XEN_KICK, -1, None, vcpu, port, eng.s(how))
        return True
    if item[3] == "eoi_timer":
        hirq = eng.w.xen["irqs"].get(item[4])
        due = hirq is not None and hirq["in_flight"] == item[5]
        if due:
            X.host_eoi(eng, item[4])
        eng.emit(XEN_PIRQ, -1, hirq["dev"] if hirq else None, hirq["pirq"] if hirq else -1, 0,
                 eng.s("eoi_timer: no guest EOI in 1 ms, Xen acknowledges the irq" if due else "eoi_timer: idle"))
        return True
    if item[3] in ("intx", "intx_timer", "intx_dpci"):     # passthrough / pcifront INTx (model/xen_intx.py)
        XEN_INTX_ITEM[0](eng, item)
        return True
    if item[3] == "migrate":    # [.., "migrate", vcpu, pcpu, action]
        P = eng.prov            # provenance: the scenario action starts here (a root), and runs the moves
        P.write(PC.ACT_START, PK.key(PK.ACTION, item[6]), item[6], ctx=False)
        moves = eng.w.xen["pcpu"][item[4]] != item[5]
        # a halted vCPU is blocked: its schedule-in, and vmx_do_resume's hvm_migrate_pirqs, wait for its next
        # wake-up (reading xen.sched.migrate-blocked); one blocked in Xen on a device-model ioreq
        # (_VPF_blocked_in_xen) for QEMU's completion notification (qemu._complete; xen.sched.migrate-ioreq)
        # (xen.sched.migrate-ioreq); one offline (hvm_hlt with interrupts off -> hvm_vcpu_down: _VPF_down) for the
        # SIPI that brings it back (hotplug's online step; xen.sched.migrate-down)
        halted = vmsi.halted(c := eng.w.cpus[item[4]]) and not c.queued
        hvm = eng.w.platform["kind"] == "xen-hvm"
        in_io = not halted and hvm and vmsi.ioreq_blocked(c)
        down = hvm and not c.online
        # the host scheduler (xensched): a runnable vCPU woken on a pCPU another vCPU runs on waits on its
        # runqueue; its schedule-in there runs vmx_do_resume (reading xen.sched.one-per-pcpu)
        runq = moves and 0 <= item[5] and eng.model.xsched is not None and xensched.migrate(eng, item[4], item[5])
        blocked = halted or in_io or down or runq
        how = X.vcpu_migrate(eng, item[4], item[5], item[6], blocked,
                             "io" if in_io else "down" if down else "runq" if runq else "")
        eng.emit(XEN_MIGRATE, -1, None, item[4], item[5], eng.s(how))
        if moves and eng.w.platform["kind"] == "xen-hvm" and vmsi.resume_due(eng.w, item[4]) and not blocked:
            # a running vCPU is scheduled in on the new pCPU (vmx_do_resume, as hvm_migrate_pirqs above):
            # hvm_do_resume's completion applies, from f7039ee41b, an unmask a failed msix_write_completion
            # left armed. A halted one stays blocked: sched_unit_migrate_finish's vcpu_wake does not make a
            # vCPU with _VPF_blocked runnable, so its schedule-in is its next wake-up (reading
            # xen.sched.migrate-blocked)
            eng.schedule(eng.w.now, "xen", "resume", item[4])
        elif halted and vmsi.migrate_due(eng.w, item[4]):
            vmsi.next_tick(eng, item[4])    # a periodic guest tick wakes it (kernel.guest_tick)
        return True
    if item[3] == "resume":     # [.., "resume", vcpu]: a schedule-in's hvm_do_resume (vmsi.resume)
        vmsi.resume(eng, item[4] if len(item) > 4 and type(item[4]) is int else -1)
        return True
    if item[3] == "sched":      # [.., "sched", pcpu, why]: schedule() on a host pCPU (xensched)
        xensched.on_item(eng, item)
        return True
    if item[3] == "tick":       # [.., "tick", vcpu]: the guest's periodic tick (vmsi.tick)
        vmsi.tick(eng, item[4] if len(item) > 4 else -1)
        return True
    op, dev, idx, n, irq = item[3:8]
    if op == "inject":
        _hvm_inject_msi(eng, dev, idx, n, irq)
        return True
    if op == "msi_data":     # [.., "msi_data", dev, 0, 0, pirq, data]
        done = X.msi_data_write(eng, dev, irq, item[8])
        eng.emit(XEN_MSI, -1, dev, irq, item[8], eng.s("written" if done else "not written: the entry is no "
                                                        "longer this pirq's host irq's"))
        return True
    return False   # (none other: a device's message, as before)


def _resume_migrate(eng: Any, vcpu: int) -> None:
    """``vmsi.resume``'s first half for a vCPU a ``vcpu_migrate`` moved while halted (``xen.resume_migrate``)."""
    how = X.resume_migrate(eng, vcpu)
    if how is not None:
        pcpus = eng.w.xen["pcpu"]
        eng.emit(XEN_MIGRATE, -1, None, vcpu, pcpus[vcpu] if 0 <= vcpu < len(pcpus) else -1, eng.s(how))


vmsi.MIGRATE_AT_RESUME[:] = [_resume_migrate]

#: model/xen_intx.on_item (set when it is imported)
XEN_INTX_ITEM: list[Any] = []
EOI_TIMER_NS = 1_000_000        # __do_IRQ_guest: set_timer(&action->eoi_timer, NOW() + MILLISECS(1))


def vmsi_deliver_pirq(eng: Any, rec: dict[str, Any], pirq: int, dev: str, idx: int, n: int) -> str:
    """No event channel, or no emuirq (``hvm_domain_use_pirq`` false: the emuirq only
    EVTCHNOP_bind_pirq's arch_evtchn_bind_pirq sets is unbound): Xen injects the guest's own MSI with the
    vector and destination QEMU bound (``vmsi_deliver_pirq``). A pirq message (gvec 0) has delivery mode
    3 (XEN_PIRQ_MSI_DATA; ExtINT in later kernels), which ``vmsi_deliver`` refuses ('Unsupported MSI
    delivery mode'; a Fixed one of vector 0 vlapic_set_irq would drop, APIC_ESR_RECVILL): lost, nothing
    is injected (reading ``xen.pirq-msi-without-emuirq``)."""
    if not rec["gvec"]:
        port = rec["port"]
        if port:
            acct.lost(eng, dev, idx, n, f"reached pirq {pirq}, whose emuirq is unbound (hvm_domain_use_pirq false; "
                      f"event channel {port} is not used): vmsi_deliver_pirq's vmsi_deliver refuses the pirq "
                      "message (vector 0, delivery mode not Fixed)")
            return "emuirq unbound: vmsi_deliver refuses the pirq message"
        acct.lost(eng, dev, idx, n, f"reached pirq {pirq}, which has no event channel: vmsi_deliver_pirq's "
                  "vmsi_deliver refuses the pirq message (vector 0, delivery mode not Fixed)")
        return "no event channel"
    gflags = rec["gdest"]      # gmsi.gflags: destination id (bits 7:0) and the DM bit QEMU passed
    # vlapic_match_dest: 0xFF is the broadcast of an xAPIC-mode vLAPIC only (x2APIC: 0xffffffff)
    broadcast = -1 if eng.w["platform"]["apic"] == "x2apic" else bus.XAPIC_BROADCAST
    eng.prov.vmsi_ev = eng.cur      # provenance: the IRR bit it sets is Xen's injection (``irr.vmsi``), not an IPI
    cpu = bus.deliver_to(eng, dev, idx, gflags & 0xFF, bool(gflags & X.GFLAGS_DM), rec["gvec"], n, broadcast)
    return f"vMSI: vector {rec['gvec']:#x} to CPU{cpu}"


def finish(eng: Any) -> int:
    """FINISH_HOOKS: signals still pending on event channels at the end are lost."""
    x = eng.w.get("xen")
    if x is None:
        return 0
    total = 0
    irr, x["irr"] = x["irr"], {}
    for slot in sorted(irr):
        for dev, idx, n, _irq in irr[slot]:
            total += n
            acct.lost(eng, dev, idx, n, "were still held in the host's IRR behind an unacknowledged irq at the end")
    for port in sorted(x["ports"]):
        ch = x["ports"][port]
        total += sum(s[2] for s in ch["src"])
        why = "masked" if ch["masked"] else "never handled"
        _drop(eng, ch, f"were left pending on event channel {port} ({why}) at the end of the run", port)
    return total


# --- the pirq map, from both sides ---------------------------------------------------------------------
def pirq_map(w: World) -> dict[str, Any] | None:
    """pirq -> state -> port -> device/entry -> guest irq, from Xen's and the guest's side.

    ``disagreements`` names every pirq where the two views differ (a guest irq for a pirq
    Xen maps for another entry or not at all, two guest irqs on one pirq, ports that differ).
    A view for the summary and the TUI: ``w`` is a world record or a plain dict (subscripts only).
    """
    x = w.get("xen")
    if x is None:
        return None
    xen_rows = []
    for pirq in sorted(x["pirqs"]):
        rec = x["pirqs"][pirq]
        ch = x["ports"].get(rec["port"]) if rec["port"] else None
        xen_rows.append({"pirq": pirq, "state": X.state(rec), "host_irq": max(rec["irq"], 0),
                         "emuirq": bool(rec["emuirq"]), "dev": rec["dev"], "entry": rec["entry"], "port": rec["port"],
                         "vcpu": ch["vcpu"] if ch else None, "pending": bool(ch and ch["pending"]),
                         "masked": bool(ch["masked"]) if ch else None})
    g = w["kernel"]["xen"]
    guest_rows = [{"irq": irq, "pirq": info["pirq"], "port": info["port"], "dev": info["dev"],
                   "index": info["index"]} for irq, info in sorted(g["irqs"].items())]
    out: dict[str, Any] = {"xen": xen_rows, "guest": guest_rows, "disagreements": _disagreements(x, guest_rows)}
    if "abi" in x:      # a world of model revision 2 on (an older snapshot opened unverified has none)
        out["evtchn"] = abi_view(w)
    return out


def abi_view(w: World) -> dict[str, Any] | None:
    """The event channel ABI's delivery state per vCPU: ``next`` (the port its upcall would hand
    to an irq first, 0: none) and ``queue`` (FIFO: the linked ports, head first) or ``selector``
    and ``position`` (2-level: ``evtchn_pending_sel`` and the round-robin position). None for a
    world recorded by model revision 1 (a snapshot shown unverified), which had no ABI state."""
    x = w["xen"]
    if "abi" not in x:
        return None
    rr = w["kernel"]["xen"]["rr"]
    vcpus = []
    for v in range(len(w["cpus"])):
        mine = {p for p, ch in x["ports"].items() if ch["pending"] and ch["vcpu"] == v}
        row: dict[str, Any] = {"vcpu": v, "next": ABI.next_port(x, mine, rr, v)}
        if x["abi"] == "fifo":
            row["queue"] = list(x["fifo"][v])
        else:
            row["selector"], row["position"] = x["sel"][v], rr[v]
        vcpus.append(row)
    return {"abi": x["abi"], "vcpus": vcpus}


def _disagreements(x: World, guest_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    by_pirq: dict[int, list[dict[str, Any]]] = {}
    for row in guest_rows:
        by_pirq.setdefault(row["pirq"], []).append(row)
    for pirq in sorted(by_pirq):
        rows = by_pirq[pirq]
        rec = x["pirqs"].get(pirq)
        why = []
        if len(rows) > 1:
            why.append(f"{len(rows)} guest irqs claim it")
        if rec is None or rec["irq"] <= 0:
            why.append(f"Xen has it {X.state(rec)}")
        elif any(r["dev"] != rec["dev"] or r["index"] != rec["entry"] for r in rows):
            why.append(f"Xen maps it for {X.owner(rec)}")
        if any(r["port"] and (rec is None or r["port"] != rec["port"]) for r in rows):
            why.append("ports differ")
        if why:
            out.append({"pirq": pirq, "guest_irqs": [r["irq"] for r in rows], "why": "; ".join(why)})
    return out
