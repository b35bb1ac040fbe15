"""The order in which a vCPU's upcall serves several pending event channels, by ABI.

2-level (Linux events_2l.c evtchn_2l_handle_events): a per-CPU round robin that resumes at the
port after the last one served. FIFO (Xen event_fifo.c evtchn_fifo_set_pending, Linux
events_fifo.c consume_one_event): the order the ports were linked, i.e. became pending unmasked
(or were unmasked pending); a port still linked stays on the queue it is on. Which ABI: the guest
asks for FIFO from Linux 3.14 (unless xen.fifo_events=0) and Xen offers it from 4.4.

On one vCPU eth0's vector i has event channel i + 1 (request_irq binds them in order).
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.model import evtchn, new_engine
from msidbg.scenario import load_scenario_text
from msidbg.sim.world import state_hash
from tests.conftest import events_of, run_to_end


def _yaml(cpus: int = 1, kernel: str = "5.10", xen: str = "4.16", extra: str = "", fires: str = "") -> str:
    return f"""
name: evtchn-order
seed: 1
cpus: {cpus}
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 8}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 8}}
{fires}  - {{at: 100ms, do: fire, dev: eth0, vector: 0, count: 1}}
"""


#: vector 3 (port 4) first; then vectors 4, 2, 6 (ports 5, 3, 7) at the same moment
ORDER_FIRES = """  - {at: 2ms, do: fire, dev: eth0, vector: 3, count: 1}
  - {at: 3ms, do: fire, dev: eth0, vector: 4, count: 1}
  - {at: 3ms, do: fire, dev: eth0, vector: 2, count: 1}
  - {at: 3ms, do: fire, dev: eth0, vector: 6, count: 1}
"""
FIFO_ORDER, L2_ORDER = [4, 5, 3, 7], [4, 5, 7, 3]


def _served(eng: Any, since: int = 0) -> list[tuple[int, int]]:
    """(port, CPU) of every clear_evtchn ack of an irq after event ``since``."""
    return [(e.fields["port"], e.cpu) for e in events_of(eng, "evtchn.clear") if e.index > since]


def _order_run(**kw: Any) -> Any:
    eng = new_engine(load_scenario_text(_yaml(fires=ORDER_FIRES, **kw), "order.yaml"))
    while eng.step() and eng.w["now"] < 50_000_000:
        pass
    return eng


@pytest.mark.parametrize("kernel, xen, extra, abi", [
    ("5.10", "4.16", "", "fifo"),
    ("3.14", "4.4", "", "fifo"),          # the first releases with each side
    ("3.13", "4.16", "", "2l"),           # the kernel has no FIFO ABI before 1fe565517b57
    ("3.14", "4.3", "", "2l"),            # Xen offers no EVTCHNOP_init_control before 88910061ec
    ("5.10", "4.16", ", xen_evtchn_fifo: false", "2l"),   # a switch sets Xen's side (4.21+ without CONFIG_EVTCHN_FIFO)
])
def test_versions_select_the_abi_and_its_service_order(kernel: str, xen: str, extra: str, abi: str) -> None:
    eng = _order_run(kernel=kernel, xen=xen, extra=extra)
    assert eng.w["xen"]["abi"] == abi
    assert [p for p, _ in _served(eng)] == (FIFO_ORDER if abi == "fifo" else L2_ORDER)


def test_xen_fifo_events_0_forces_the_2l_round_robin() -> None:
    text = _yaml(fires=ORDER_FIRES).replace('kernel: {version: "5.10"}',
                                           'kernel: {version: "5.10", xen_fifo_events: false}')
    eng = new_engine(load_scenario_text(text, "order.yaml"))
    while eng.step() and eng.w["now"] < 50_000_000:
        pass
    assert eng.w["xen"]["abi"] == "2l"
    assert [p for p, _ in _served(eng)] == L2_ORDER
    assert eng.w["kernel"]["xen"]["rr"] == [4]      # the next caller starts after port 3, served last


def _ready(cpus: int = 1, **kw: Any) -> Any:
    """An engine after the probe: 8 ports bound and unmasked, every CPU idle."""
    eng = new_engine(load_scenario_text(_yaml(cpus=cpus, **kw), "ready.yaml"))
    ports = eng.w["xen"]["ports"]
    while not (len(ports) == 8 and not any(ch["masked"] for ch in ports.values())
               and all(not c["irq"]["stack"] and not c["proc"]["stack"] for c in eng.w["cpus"])):
        assert eng.step()
    return eng


def _send(eng: Any, port: int) -> str:
    ch = eng.w["xen"]["ports"][port]
    rec = eng.w["xen"]["pirqs"][ch["pirq"]]
    return evtchn.send(eng, port, [rec["dev"], rec["entry"], 1])


def _drain(eng: Any) -> list[tuple[int, int]]:
    since = eng.cur
    while eng.w["now"] < 50_000_000 and (any(ch["pending"] for ch in eng.w["xen"]["ports"].values())
                                         or any(c["irq"]["stack"] for c in eng.w["cpus"])):
        assert eng.step()
    return _served(eng, since)


@pytest.mark.parametrize("fifo", [True, False])
def test_a_masked_pending_port_unmasked_later(fifo: bool) -> None:
    """Port 7 becomes pending masked, then 5 and 3, then 7 is unmasked: FIFO links it then (after
    5 and 3); the 2-level scan finds it in port order."""
    eng = _ready(kernel="5.10" if fifo else "3.13")
    evtchn.set_mask(eng, 7, True)
    assert _send(eng, 7) == "pending, masked"
    assert _send(eng, 5) == "upcall to vCPU0"
    assert _send(eng, 3) == "pending: vCPU0's upcall already signalled"
    evtchn.set_mask(eng, 7, False)
    assert evtchn.next_pending(eng, 0) == (5 if fifo else 3)
    assert [p for p, _ in _drain(eng)] == ([5, 3, 7] if fifo else [3, 5, 7])


@pytest.mark.parametrize("fifo", [True, False])
def test_a_port_rebound_to_another_vcpu_while_pending(fifo: bool) -> None:
    """The guest's rebind (mask, EVTCHNOP_bind_vcpu, unmask) of a pending port: FIFO leaves it
    linked on vCPU0's queue, which serves it; 2-level the unmask signals vCPU1, which serves it."""
    eng = _ready(cpus=2, kernel="5.10" if fifo else "3.13")
    ports = eng.w["xen"]["ports"]
    port = next(p for p in sorted(ports) if ports[p]["vcpu"] == 0)
    _send(eng, port)
    evtchn.set_mask(eng, port, True)
    assert evtchn.bind_vcpu(eng, port, 1) == 0
    evtchn.set_mask(eng, port, False)
    assert eng.w["xen"]["linked"] == ({port: 0} if fifo else {})
    assert _drain(eng) == [(port, 0 if fifo else 1)]


@pytest.mark.parametrize("fifo", [True, False])
def test_a_port_no_guest_irq_owns_is_skipped_and_stays_pending(fifo: bool) -> None:
    """handle_irq_for_port returns when get_evtchn_to_irq is -1: nothing clears the port, and its
    signal is lost only at the end (the model used to clear it at once)."""
    eng = _ready(kernel="5.10" if fifo else "3.13")
    del eng.w["kernel"]["xen"]["evtchn_to_irq"][3]
    _send(eng, 3)
    _send(eng, 5)
    assert [p for p, _ in _drain_while(eng, lambda: eng.w["xen"]["ports"][5]["pending"])] == [5]
    notes = [e for e in events_of(eng, "kernel") if "has no guest irq" in e.describe()]
    assert len(notes) == (1 if fifo else 2) and eng.w["xen"]["ports"][3]["pending"]  # 2l: the start word twice
    assert eng.w["xen"]["linked"] == {} and eng.w["xen"]["sel"] == [0]
    while eng.step():
        pass
    assert eng.w["acct"]["eth0"]["lost"][2] == 1


def _drain_while(eng: Any, busy: Any) -> list[tuple[int, int]]:
    since = eng.cur
    while busy() or any(c["irq"]["stack"] for c in eng.w["cpus"]):
        assert eng.step()
    return _served(eng, since)


@pytest.mark.parametrize("skip_busy, port", [(True, 9), (False, 3)])
def test_a_closed_port_still_linked_is_reused_before_xen_47(skip_busy: bool, port: int) -> None:
    eng = _ready(xen="4.16" if skip_busy else "4.6")
    evtchn.set_mask(eng, 3, True)
    _send(eng, 3)
    evtchn.set_mask(eng, 3, False)       # linked
    x = eng.w["xen"]
    ch = x["ports"][3]
    assert evtchn.close(eng, 3) == 0 and x["linked"] == {3: 0}
    assert evtchn._free_port(eng, x) == port
    assert ch["pirq"] not in x["pirqs"] or x["pirqs"][ch["pirq"]]["port"] == 0


def test_time_travel_and_snapshots_keep_the_order(tmp_path: Any) -> None:
    """The queues, the selector and the round-robin position are world state: seeking back to
    between two serves and on again, or saving there and loading, serves the rest the same way."""
    for kernel, order in (("5.10", FIFO_ORDER), ("3.13", L2_ORDER)):
        scn = load_scenario_text(_yaml(fires=ORDER_FIRES, kernel=kernel), "order.yaml")
        s = Session(scn)
        s.run()
        clears = [e for e in events_of(s.eng, "evtchn.clear")]
        assert [e.fields["port"] for e in clears] == order + [1]
        mid = clears[1].index
        end_hash = state_hash(s.eng.w)
        s.seek(mid)
        s.seek(1)
        s.seek(mid)
        assert s.eng.w["xen"]["abi"] == ("fifo" if kernel == "5.10" else "2l")
        pending = sorted(p for p, ch in s.eng.w["xen"]["ports"].items() if ch["pending"])
        assert pending == sorted(order[2:])
        s_mid_fifo = [list(q) for q in s.eng.w["xen"]["fifo"]]
        s_mid_rr = list(s.eng.w["kernel"]["xen"]["rr"])
        path = tmp_path / f"{kernel}.msgpack"
        s.save(str(path))
        s.run()
        assert state_hash(s.eng.w) == end_hash
        assert [e.fields["port"] for e in events_of(s.eng, "evtchn.clear")] == order + [1]
        t = Session.open(str(path))
        assert t.eng.w["xen"]["fifo"] == s_mid_fifo and t.eng.w["kernel"]["xen"]["rr"] == s_mid_rr
        t.run()
        assert state_hash(t.eng.w) == end_hash


@pytest.mark.parametrize("kernel", ["5.10", "3.13"])
def test_the_order_is_deterministic(kernel: str) -> None:
    runs = [run_to_end(load_scenario_text(_yaml(cpus=2, fires=ORDER_FIRES, kernel=kernel), "o.yaml"), seed)
            for seed in (None, None, 3, 3)]
    assert state_hash(runs[0].w) == state_hash(runs[1].w) and _served(runs[0]) == _served(runs[1])
    assert state_hash(runs[2].w) == state_hash(runs[3].w) and _served(runs[2]) == _served(runs[3])


def test_the_abi_switches_live_only_in_xen_worlds() -> None:
    """Scoped rows: a bare-metal world (and so a bare-metal snapshot of model revision 1) does not
    change when Xen-only switches are added; a Xen world carries them."""
    from tests.conftest import shipped

    bare = new_engine(shipped("msix-write-while-unmasked")).w["behaviour"]
    xen = new_engine(shipped("xen-pirq-reuse-nvme")).w["behaviour"]
    new = {"xen_fifo_events", "xen_evtchn_fifo", "xen_evtchn_skip_busy"}
    assert not new & set(bare) and new <= set(xen)
    assert "xen_msi_mask" in bare       # rows of revision 1 stay in every world


@pytest.mark.parametrize("kernel", ["5.10", "3.13"])
def test_the_json_summary_shows_the_abi_state(kernel: str) -> None:
    """At the moment ports 5, 3, 7 are all pending, the summary's pirq map says which is next."""
    from msidbg.model.evtchn import pirq_map

    s = Session(load_scenario_text(_yaml(fires=ORDER_FIRES, kernel=kernel), "order.yaml"))
    s.run()
    first = next(e.index for e in events_of(s.eng, "evtchn.clear") if e.fields["port"] == 5)
    s.seek(first - 1)
    view = pirq_map(s.world)["evtchn"]      # type: ignore[index]
    if kernel == "5.10":
        assert view == {"abi": "fifo", "vcpus": [{"vcpu": 0, "next": 5, "queue": [5, 3, 7]}]}
    else:
        assert view == {"abi": "2l", "vcpus": [{"vcpu": 0, "next": 5, "selector": 1, "position": 5}]}
    assert s.summary()["pirqs"]["evtchn"] == view


@pytest.mark.parametrize("fifo", [True, False])
def test_a_port_masked_after_the_scan_read_it(fifo: bool) -> None:
    """Ports 3 and 5 pending; 5 is masked while port 3's handler runs. The 2-level scan read
    word 0 before (its snapshot has 5) and hands 5 to its irq anyway, as handle_irq_for_port does;
    FIFO's consume_one_event looks at MASKED when 5 reaches the head and skips it: it stays
    pending until unmasked, then is linked again and served."""
    eng = _ready(kernel="5.10" if fifo else "3.13")
    _send(eng, 3)
    _send(eng, 5)
    while not _served(eng):
        assert eng.step()
    assert _served(eng) == [(3, 0)]
    evtchn.set_mask(eng, 5, True)
    since = eng.cur
    got = _drain_while(eng, lambda: False)
    ch = eng.w["xen"]["ports"][5]
    if fifo:
        assert got == [] and ch["pending"] and ch["masked"] and eng.w["xen"]["linked"] == {}
        evtchn.set_mask(eng, 5, False)
        assert eng.w["xen"]["fifo"][0] == [5]
        assert _drain(eng) == [(5, 0)]
    else:
        assert got == [(5, 0)] and not ch["pending"] and ch["masked"]
    assert [e.fields["signals"] for e in events_of(eng, "evtchn.clear") if e.index > since] == [1]


def test_an_older_xen_snapshot_opened_unverified_summarises_without_the_abi_state() -> None:
    """A world written before model revision 2 has no ABI state: the pirq map leaves it out."""
    from tests.conftest import ROOT

    s = Session.open(str(ROOT / "tests" / "fixtures" / "v3-xen-pirq-reuse-nvme.msgpack"), verify=False)
    pirqs = s.summary()["pirqs"]
    assert "evtchn" not in pirqs and pirqs["xen"]
