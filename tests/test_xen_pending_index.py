"""Xen's pending-port index (``evtchn.pending_ports``) is the ports' pending bits, always.

The upcall's scan (``evtchn.next_pending``, in the order of the domain's ABI) looks only at the
ports in the index, which lives
beside the world (``Model.derived``), not in it: every writer of a pending bit keeps it, and
binding the model to another world (time travel installs or patches one) drops it. Checked
after every event of every shipped Xen scenario (two schedules) and a passthrough storm, and
after every move of a random walk through a recorded Xen run.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session, timeline
from msidbg.model import evtchn, new_engine, resolve_schedule
from msidbg.scenario import load_scenario_text
from tests.conftest import SCENARIOS, shipped

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from engine import workload_yaml  # noqa: E402

XEN = sorted(p.stem for p in SCENARIOS.glob("*xen*.yaml"))


def _scan(eng: Any, vcpu: int) -> int:
    """``next_pending`` the slow way, from the whole port table: the first pending, unmasked port
    of ``vcpu``'s FIFO queue, or (2-level) the first selected, pending, unmasked port of ``vcpu`` at
    or after its round-robin position, cyclically."""
    x = eng.w["xen"]
    ports = x["ports"]
    live = [p for p, ch in sorted(ports.items()) if ch["pending"] and not ch["masked"]]
    if x["abi"] == "fifo":
        return next((p for p in x["fifo"][vcpu] if p in live), 0)
    start = eng.w["kernel"]["xen"]["rr"][vcpu]
    mine = [p for p in live if ports[p]["vcpu"] == vcpu and x["sel"][vcpu] >> (p // 64) & 1]
    return min(mine, key=lambda p: (p - start) % 4096, default=0)


def _check(eng: Any, where: str) -> None:
    ports = eng.w["xen"]["ports"]
    index = evtchn.pending_ports(eng)
    assert {(v, p) for v, s in index.items() for p in s} == \
        {(ch["vcpu"], p) for p, ch in ports.items() if ch["pending"]}, where
    for vcpu in range(len(eng.w["cpus"])):
        assert evtchn.next_pending(eng, vcpu) == _scan(eng, vcpu), (where, vcpu)


@pytest.mark.parametrize("strategy", [None, "random"])
@pytest.mark.parametrize("name", XEN)
def test_the_index_holds_the_pending_bits_after_every_event(name: str, strategy: str | None) -> None:
    scn = shipped(name)
    eng = new_engine(scn, seed=1 if strategy else None,
                     schedule=resolve_schedule(scn, strategy) if strategy else None)
    assert eng.w["xen"]
    while eng.step():
        _check(eng, f"{name} event {eng.cur}")


def test_the_index_holds_through_a_passthrough_flood() -> None:
    eng = new_engine(load_scenario_text(workload_yaml("anchor", 400, "xen-hvm"), "storm.yaml"))
    busy = 0
    while eng.step():
        _check(eng, f"flood event {eng.cur}")
        busy = max(busy, sum(map(len, evtchn.pending_ports(eng).values())))
    assert busy >= 2, "the flood never had two ports pending at once"


@pytest.mark.parametrize("seed", [1, 2])
def test_the_index_follows_time_travel(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Moves install saved worlds or patch the live one in place (same dict objects): the index
    built on the world left behind must not survive into the world reached."""
    monkeypatch.setattr(timeline, "SPLIT_MIN_BYTES", 0)     # split checkpoints: worlds patched in place
    s = Session(load_scenario_text(workload_yaml("storm", 200, "xen-hvm"), "storm.yaml"), spacing=16)
    s.run()
    rng = random.Random(seed)
    for i in range(120):
        r = rng.random()
        if r < 0.4:
            s.step_back(rng.choice((1, 1, 3, 7)))
        elif r < 0.8:
            s.step(rng.choice((1, 1, 2, 5)))
        else:
            s.seek(rng.randrange(1, s.total + 1))
        _check(s.eng, f"move {i}: event {s.cursor}")



def test_the_index_follows_a_pending_port_rebound_to_another_vcpu() -> None:
    """EVTCHNOP_bind_vcpu on a pending port (between two steps of a flood, as the guest's
    set_affinity would make it): the port moves to the new vCPU's pending ports, and the run goes on
    with the index equal to the bits."""
    eng = new_engine(load_scenario_text(workload_yaml("anchor", 400, "xen-hvm"), "flood.yaml"))
    ports = eng.w["xen"]["ports"]
    moved = 0
    while eng.step():
        pending = [p for p, ch in sorted(ports.items()) if ch["pending"]]
        if pending and moved < 20:
            port = pending[moved % len(pending)]
            old = ports[port]["vcpu"]
            assert evtchn.bind_vcpu(eng, port, (old + 1) % 4) == 0
            index = evtchn.pending_ports(eng)
            assert port in index[(old + 1) % 4] and port not in index[old]
            moved += 1
        _check(eng, f"flood event {eng.cur}")
    assert moved == 20
