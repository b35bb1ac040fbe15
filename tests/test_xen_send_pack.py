"""The Xen work item's path after the perfxen round (docs/perf.md): ``on_xen`` takes a device's
message first and writes its ``xen.pirq`` event inline (``Engine.emit`` when re-executing, whose
instance hook the debugger's ``Motion.executed`` replaces); ``send`` reads the port's bits once; and
provenance packs its int64 records as native longs. Each must do exactly what it replaced: ``send``
against the code it replaced over random port states, the pack against ``=nq`` byte for byte, the
inline emit against ``Engine.emit``.
"""

from __future__ import annotations

import copy
import random
import struct
from typing import Any

import pytest

from msidbg.model import evtchn, provstore, xensched
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.evtchn import _D_CAUSE, _D_MSG_TABLE, _PIRQPORT, _PORTPEND, _SEND_NOTE, _UPCALL_TO, _XEN
from tests.test_xen_storm_inline import GLOBAL, PERCPU, _engine, _to_fire

# --- the pack -------------------------------------------------------------------------------------------
INT64 = (0, 1, -1, 2**30 - 1, 2**30, 2**31, 2**32 + 5, 2**37 | 0x2A, 2**60 + 3, 2**63 - 1, -2**63, -2**40 - 7)


@pytest.mark.parametrize("n", [1, 2, 4, 8, 12])
def test_i64_packs_the_bytes_of_int64s(n: int) -> None:
    rnd = random.Random(n)
    for _ in range(300):
        vals = [rnd.choice(INT64) if rnd.random() < 0.5 else rnd.randrange(-2**63, 2**63) for _ in range(n)]
        assert provstore.i64(n).pack(*vals) == struct.pack(f"={n}q", *vals)
    assert provstore.i64(n).size == 8 * n
    for bad in (2**63, -2**63 - 1):     # out of int64: refused as =nq refuses it
        with pytest.raises(struct.error):
            provstore.i64(n).pack(*([bad] + [0] * (n - 1)))
        with pytest.raises(struct.error):
            struct.pack(f"={n}q", *([bad] + [0] * (n - 1)))


def _clone(eng: Any) -> Any:
    """A deep copy of an engine whose bound appends write to its own arrays (``copy`` keeps a built-in
    method bound to the original's)."""
    e = copy.deepcopy(eng, {id(xensched): xensched})   # (the model's host-scheduler hook is a module: shared)
    e.ids_append, e.times_append = e.log.ids.append, e.log.times.append
    e.prov._note_add = e.prov.notes.rows.frombytes
    e.prov._hot_dep_add = e.prov.hot_deps.rows.frombytes
    return e


# --- send ----------------------------------------------------------------------------------------------
def _send_before(eng: Any, port: int, src: list[Any], queued: int = 0) -> str:
    """``evtchn.send`` as it was before this round (main 2ee6f0e), the reference."""
    ch = eng.w.xen["ports"][port]
    pending = ch["src"]
    for s in pending:
        if s[0] == src[0] and s[1] == src[1]:
            s[2] += src[2]
            break
    else:
        pending.append(src)
    if ch["pending"]:
        eng.prov.dep(PC.D_PENDING, _PORTPEND | port)
    elif ch["masked"]:
        P = eng.prov
        mk = PK.key(PK.PORTMASK, port)
        if P.writer(mk) >= 0:
            P.dep(PC.D_MASKED_BY, mk)
    if queued:
        eng.prov.cause_write(_XEN, _PORTPEND | port, 1, _SEND_NOTE, src[0], src[1], port, _D_MSG_TABLE, queued, _D_CAUSE, _PIRQPORT | ch["pirq"])
    else:
        eng.prov.cause_write(_XEN, _PORTPEND | port, 1, _SEND_NOTE, src[0], src[1], port, _D_CAUSE, _PIRQPORT | ch["pirq"])
    x = eng.w.xen
    vcpu = ch["vcpu"]
    if ch["pending"]:
        if x["abi"] == "fifo" and not ch["masked"] and evtchn._mark(eng, x, port, vcpu):
            evtchn.raise_upcall(eng, vcpu, port)
        return "coalesced"
    ch["pending"] = True
    evtchn.pending_ports(eng)[vcpu].add(port)
    if ch["masked"]:
        return "pending, masked"
    if x["abi"] == "fifo":
        linked = x["linked"]
        if port in linked:
            new_head = False
        else:
            q = x["fifo"][vcpu]
            q.append(port)
            linked[port] = vcpu
            new_head = len(q) == 1
    else:
        new_head = evtchn._mark(eng, x, port, vcpu)
    if not new_head:
        return evtchn._SIGNALLED[vcpu]
    if evtchn.raise_upcall(eng, vcpu, port) is False:
        return f"pending: vCPU{vcpu}'s running upcall loops to it (global callback via)"
    return _UPCALL_TO[vcpu]


def _state(eng: Any) -> tuple[Any, ...]:
    P = eng.prov
    P.flush()
    x = eng.w.xen
    return (copy.deepcopy(x["ports"]), copy.deepcopy(x.get("fifo")), dict(x.get("linked") or {}),
            copy.deepcopy(x.get("sel")), [list(c.irr) for c in eng.w.cpus], [c.queued for c in eng.w.cpus],
            P.rec.tobytes(), P.hot_arr.tobytes(), P.notes.rows.tobytes(), P.hot_deps.rows.tobytes(),
            dict(P.cur), {k: set(v) for k, v in evtchn.pending_ports(eng).items() if v}, eng.agenda == {} or
            sorted(eng.agenda), eng.w.seq)


@pytest.mark.parametrize("text", [GLOBAL, PERCPU], ids=["global-callback", "percpu-upcall"])
def test_send_against_the_code_it_replaced(text: str) -> None:
    base = _engine(text)
    _to_fire(base)
    ports = sorted(base.w.xen["ports"])
    devs = sorted(base.w.devices)
    assert len(ports) >= 4
    rnd = random.Random(14)
    outcomes: set[str] = set()
    for trial in range(150):
        a = _clone(base)
        # a random state of every port: pending (with sources), masked, linked on a FIFO queue
        for p in ports:
            ch = a.w.xen["ports"][p]
            ch["masked"] = rnd.random() < 0.3
            if rnd.random() < 0.4:
                ch["pending"] = True
                ch["src"] = [[rnd.choice(devs), rnd.randrange(4), rnd.randrange(1, 3)] for _ in range(rnd.randrange(1, 3))]
            if rnd.random() < 0.2 and p not in a.w.xen["linked"]:
                a.w.xen["linked"][p] = ch["vcpu"]
                a.w.xen["fifo"][ch["vcpu"]].append(p)
            if rnd.random() < 0.2:     # the guest's mask_evtchn recorded (the masked pending bit links it)
                a.prov.write(PC.XEN, PK.key(PK.PORTMASK, p), 1, ctx=False)
        a.model.derived.clear()     # (the pending index rebuilt from the bits set above)
        for c in a.w.cpus:
            if rnd.random() < 0.3:
                c.irq.stack.append({"prog": "xen_evtchn_do_upcall", "pc": rnd.randrange(3), "locals": {}})
        b = _clone(a)
        port = rnd.choice(ports)
        ch = a.w.xen["ports"][port]
        src = [rnd.choice(devs), rnd.randrange(4), rnd.randrange(1, 4)]
        if ch["src"] and rnd.random() < 0.5:    # the same entry again: it adds to that source
            src[:2] = ch["src"][0][:2]
        queued = rnd.choice((0, PK.key(PK.XENQ, rnd.randrange(1, 99))))
        a.cur = b.cur = a.cur + 1 + trial
        got = evtchn.send(a, port, list(src), queued)
        want = _send_before(b, port, list(src), queued)
        assert got == want, (trial, port)
        assert _state(a) == _state(b), (trial, port, got)
        outcomes.add(got.split(":")[0])
    # every branch of send was taken: coalesced, masked, a new head's upcall and one already signalled
    assert {"coalesced", "pending, masked", "pending"} <= outcomes
    assert any(o.startswith("upcall to vCPU") for o in outcomes)


# --- on_xen's inline emit ------------------------------------------------------------------------------
def _next_irq_item(eng: Any) -> list[Any]:
    """Run until the agenda's earliest item is a device's Xen work item; that item (popped, not run)."""
    for _ in range(20000):
        key = min(eng.heap)
        item = eng.agenda[key & ((1 << 64) - 1)]
        if item[2] == "xen" and item[3] == "irq":
            eng.heap.remove(key)
            eng.agenda.pop(item[1])
            eng.w.now = max(eng.w.now, item[0])
            return item
        assert eng.step()
    raise AssertionError("no Xen work item")


def test_on_xen_emits_as_engine_emit_fresh_and_through_its_hook_when_reexecuting() -> None:
    eng = _engine(PERCPU)
    _to_fire(eng)
    item = _next_irq_item(eng)
    again, ref = _clone(eng), _clone(eng)
    n = len(eng.log)
    eng.cur += 1
    evtchn.on_xen(eng, item)                   # fresh: the step records its event itself
    assert len(eng.log) == n + 1
    # re-executing known history (``fresh`` false): the step records nothing, the instance's emit (the
    # debugger's hook, Motion.executed) sees the event
    calls: list[tuple[Any, ...]] = []
    again.fresh = False
    again.emit = lambda *args: calls.append(args)
    again.cur += 1
    evtchn.on_xen(again, item)
    assert len(again.log) == n
    assert len(calls) == 1 and calls[0][:3] == (evtchn.XEN_PIRQ, -1, item[4])
    assert again.w.now == eng.w.now and again.w.xen["ports"] == eng.w.xen["ports"]
    # what the hook saw, recorded by Engine.emit, is the event the fresh step recorded
    ref.cur += 1
    type(ref).emit(ref, *calls[0])
    assert ref.log.raw(n + 1) == eng.log.raw(n + 1)
    assert "xen.pirq" in str(eng.log.event(n + 1))
