"""The Xen storm's thin calls inlined in round 14 (docs/perf.md): each inline must do what the call it
replaces did. ``route`` schedules Xen's work item itself (``Engine.schedule``); ``on_xen`` skips
``blocked_by`` while no pCPU has a vector in service and ``ack_move`` while the irq has no move in
progress or pending; ``raise_upcall`` tests the global callback via (``global_callback``) and sets
the upcall vector's IRR bit (``apic.receive``) itself; ``consume_one_event`` unlinks a ready head
of the FIFO queue itself (``fifo_consume``). Each test runs the real function beside the inline
(a spy, or the function on an identical engine) and fails on a mutant of its inline.
"""

from __future__ import annotations

import copy
import random
from types import SimpleNamespace
from typing import Any

import pytest

from msidbg.model import evtchn, new_engine
from msidbg.model import evtchn_abi as ABI
from msidbg.model import xen as X
from msidbg.model.kernel import xen_events
from msidbg.scenario import load_scenario_text
from tests.test_xen_edge_inline import _yaml

#: kernel 5.10 on Xen 4.16: the global callback via; kernel 6.1 on Xen 4.17: the per-vCPU upcall vector
GLOBAL = _yaml(True, False).replace("faults: [", "faults_unused: [").split("faults_unused")[0]
PERCPU = GLOBAL.replace('xen: "4.16"', 'xen: "4.17"').replace('version: "5.10"', 'version: "6.1"')


def _engine(text: str) -> Any:
    return new_engine(load_scenario_text(text, "storm-inline.yaml"))


def _to_fire(eng: Any) -> None:
    """Run the probes (the host irqs exist, no signal yet)."""
    while eng.w.now < 2_000_000 and eng.step():
        pass


def test_route_schedules_the_work_item_as_engine_schedule() -> None:
    a, b = _engine(GLOBAL), _engine(GLOBAL)
    _to_fire(a)
    _to_fire(b)
    routed = 0
    for irq, hirq in sorted(a.w.xen["irqs"].items()):
        if hirq["dev"] not in a.w.devices:
            continue
        for pcpu in (hirq["cpu"], 1):      # (its vector on pCPU1 too: the slot is not the vector)
            lo, _hi, data = X.host_msg(dict(hirq, cpu=pcpu))
            slot = pcpu << 8 | hirq["vector"]
            a.w.xen["vector_irq"][slot] = b.w.xen["vector_irq"][slot] = irq
            assert evtchn.route(a, hirq["dev"], hirq["entry"], lo, 0, data, 3) == -1
            b.schedule(b.w.now + b.w.costs["upcall"], "xen", "irq", hirq["dev"], hirq["entry"], 3, irq, slot)
            routed += 1
    assert routed >= 8
    assert a.w.seq == b.w.seq
    assert a.agenda == b.agenda
    assert a.heap == b.heap


def _spied_run(text: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Run ``text`` with spies: each ``raise_upcall`` (its ``upcall_loop_ahead`` must be asked exactly when
    the vCPU runs code and ``global_callback`` holds), each Xen irq item (``blocked_by`` asked whenever it
    would not answer None, ``ack_move`` called whenever the irq has a move in progress or pending)."""
    seen = {"loop_ahead": 0, "expected_loop_ahead": 0, "global": 0, "acks": 0, "moves": 0, "blocked": 0}
    real_raise, real_ahead = evtchn.raise_upcall, evtchn.upcall_loop_ahead
    real_blocked, real_ack = X.blocked_by, X.ack_move

    def ahead(c: Any) -> bool:
        seen["loop_ahead"] += 1
        return bool(real_ahead(c))

    def raise_upcall(eng: Any, vcpu: int, port: int = 0) -> bool | None:
        c = eng.w.cpus[vcpu]
        if c.online and "upcall" not in c._extra and c.irq.stack and evtchn.global_callback(eng.w):
            seen["expected_loop_ahead"] += 1
        seen["global"] += evtchn.global_callback(eng.w)
        before = seen["loop_ahead"]
        got = real_raise(eng, vcpu, port)
        assert seen["loop_ahead"] - before <= 1
        return got

    calls: list[str] = []

    def blocked_by(x: Any, slot: int) -> Any:
        calls.append("blocked")
        return real_blocked(x, slot)

    def ack_move(eng: Any, irq: int, hirq: Any, arrived: int) -> None:
        calls.append("ack")
        real_ack(eng, irq, hirq, arrived)

    monkeypatch.setattr(evtchn, "raise_upcall", raise_upcall)
    monkeypatch.setattr(evtchn, "upcall_loop_ahead", ahead)
    monkeypatch.setattr(X, "blocked_by", blocked_by)
    monkeypatch.setattr(X, "ack_move", ack_move)
    eng = _engine(text)
    on_xen = eng.handlers["xen"]

    def xen_item(e: Any, item: list[Any]) -> Any:
        want_blocked = want_ack = False
        if item[3] == "irq" and (hirq := e.w.xen["irqs"].get(item[7])) is not None:
            x = e.w.xen
            want_blocked = real_blocked(x, item[8]) is not None
            want_ack = not want_blocked and x["pirqs"][hirq["pirq"]]["bound"] and \
                (hirq["old"] >= 0 or hirq["move"] >= 0)
        calls.clear()
        got = on_xen(e, item)
        if want_blocked:
            seen["blocked"] += 1
            assert "blocked" in calls
        assert ("ack" in calls) == want_ack, (item, calls)
        seen["moves"] += want_ack
        seen["acks"] += item[3] == "irq"
        return got

    eng.handlers = dict(eng.handlers, xen=xen_item)
    while eng.advance(4096):
        pass
    assert seen["loop_ahead"] == seen["expected_loop_ahead"], seen
    return seen


def test_global_callback_inline_asks_the_loop_exactly_when_global_callback_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _spied_run(GLOBAL, monkeypatch)
    assert seen["global"] > 0 and seen["expected_loop_ahead"] > 0, seen
    assert seen["acks"] >= 18 and seen["moves"] >= 1, seen     # least-loaded moves the irqs
    seen = _spied_run(PERCPU, monkeypatch)
    assert seen["global"] == 0 and seen["loop_ahead"] == 0, seen


def test_skipped_calls_do_nothing() -> None:
    """The calls ``on_xen`` skips: ``blocked_by`` with no pCPU's vector in service, ``ack_move`` of an irq
    without a move (the world and the provenance records are untouched)."""
    eng = _engine(GLOBAL)
    _to_fire(eng)
    x = eng.w.xen
    assert not x["eoi"]
    assert all(X.blocked_by(x, slot) is None for slot in range(1 << 12))
    x["eoi"][1] = [[0x51, 40, 0]]      # (a vector in service on pCPU1 blocks its class and below there)
    assert X.blocked_by(x, 1 << 8 | 0x50) == [0x51, 40, 0] and X.blocked_by(x, 0x50) is None
    del x["eoi"][1]
    for irq, hirq in x["irqs"].items():
        hirq["old"] = hirq["move"] = -1
        before, records = copy.deepcopy(dict(eng.w)), len(eng.prov.rec)
        X.ack_move(eng, irq, hirq, hirq["cpu"] << 8 | hirq["vector"])
        assert dict(eng.w) == before and len(eng.prov.rec) == records


def test_upcall_irr_bit_is_apic_receives() -> None:
    """``raise_upcall`` sets the upcall vector's IRR bit itself: the IRR ``apic.receive`` would leave, with
    other vectors pending around it."""
    from msidbg.model import apic
    eng = _engine(PERCPU)
    while eng.advance(4096):
        pass
    c = eng.w.cpus[0]
    rnd = random.Random(14)
    for _ in range(100):
        irr = [rnd.getrandbits(32) if rnd.random() < 0.5 else 0 for _ in range(8)]
        want = SimpleNamespace(irr=list(irr), irr_src={})
        apic.receive(want, evtchn.UPCALL_VECTOR, None)
        c.irr = list(irr)
        evtchn.raise_upcall(eng, 0)
        assert c.irr == want.irr


def test_consume_one_event_unlinks_as_fifo_consume() -> None:
    """The head of the queue: pending and unmasked -> handed on; otherwise dropped and the next tried
    (``fifo_consume``), over random queues of pending, masked and closed ports."""
    rnd = random.Random(14)
    got_ports = []

    def handle(k: Any, port: int, step: str) -> None:
        got_ports.append(port)

    real = xen_events._handle_irq_for_port
    xen_events._handle_irq_for_port = handle  # type: ignore[assignment]
    try:
        skipped = 0
        for _ in range(400):
            ports = {p: {"pending": rnd.random() < 0.7, "masked": rnd.random() < 0.3}
                     for p in rnd.sample(range(1, 40), rnd.randint(0, 8))}
            q = [p for p in ports if rnd.random() < 0.8] + ([99] if rnd.random() < 0.1 else [])   # 99: closed
            x = {"fifo": {0: list(q)}, "linked": dict.fromkeys(q, 0), "ports": ports}
            ref = copy.deepcopy(x)
            want = ABI.fifo_consume(ref, 0)
            w = SimpleNamespace(xen=x, kernel={"xen": {"evtchn_to_irq": {}}}, irqs={})
            got_ports.clear()
            xen_events.consume_one_event(SimpleNamespace(w=w, cpu_id=0), {})
            assert got_ports == [want] and x == ref, (q, ports)
            skipped += bool(q) and want != q[0]
        assert skipped >= 20
    finally:
        xen_events._handle_irq_for_port = real  # type: ignore[assignment]


@pytest.mark.parametrize("percpu, cpuid", [(True, True), (True, False), (False, True), (False, False)])
def test_ack_upcall_takes_the_global_callback_exactly_when_global_callback_holds(
        percpu: bool, cpuid: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ack_upcall``'s inline test of the global callback via: the global path clears the ISR stand-in with
    ``apic.eoi`` and writes no EOI event; the per-vCPU vector's path (its vector alone in service) does not
    call ``apic.eoi`` and writes the ``apic.eoi`` event."""
    from msidbg.model import apic

    eng = _engine(PERCPU)
    while eng.advance(4096):
        pass
    w = eng.w
    w.behaviour["xen_percpu_upcall"], w.behaviour["xen_upcall_vector_cpuid"] = percpu, cpuid
    eoi_calls: list[Any] = []
    real_eoi = apic.eoi
    monkeypatch.setattr(apic, "eoi", lambda c: (eoi_calls.append(c), real_eoi(c))[1])
    k = eng.model.k  # type: ignore[attr-defined]
    c = w.cpus[0]
    v = evtchn.UPCALL_VECTOR
    c.isr = list(xen_events._ISR_ONLY[v])
    k.cpu, k.cpu_id, k.emitted, k.ctx = c, 0, False, c.irq
    xen_events.ack_upcall(k, {"vector": v})
    glob = evtchn.global_callback(w)
    assert glob == (not (percpu and cpuid))
    assert (len(eoi_calls) == 1) == glob and c.isr == [0] * 8
