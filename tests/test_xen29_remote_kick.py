"""xen29: a guest's EVTCHNOP_unmask of a pending port bound to ANOTHER vCPU kicks that vCPU (Xen's
evtchn_2l_unmask / evtchn_fifo_unmask -> vcpu_mark_events_pending -> vcpu_kick), which takes the upcall at its
next VM entry (vmx_intr_assist) -- after the caller's return from the hypercall and its next guest step. msidbg
raises that upcall costs.hypercall + costs.ipi after the unmask (a ``xen.kick`` event; reading
xen.evtchn.remote-kick), one mechanism for every such unmask: the pre-ff1e22e7a638 eoi_pirq (irq_move_irq, then
clear_evtchn; y05 FIFO, y06 2-level) and startup_pirq's tail (y22 / y29 / y30, xenred28's case)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.model.cite import READINGS
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "heldout_xen28"
HYPERCALL, IPI = 2000, 300      # msidbg/sim/costs.py defaults: the kick lands HYPERCALL + IPI after the unmask


def _run(prefix: str, tmp: Path | None = None, extra: str = "") -> Session:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    if extra and tmp is not None:
        copy = tmp / path.name
        copy.write_text(path.read_text() + extra)
        path = copy
    return run_past_breakpoints(path)


def _first_remote_unmask(ev: list[Any], port: int) -> int:
    """The index of the first EVTCHNOP_unmask of ``port`` whose xen.kick follows (the remote one)."""
    for i, e in enumerate(ev):
        if e.kind == "xen.hypercall" and e.fields.get("op") == "EVTCHNOP_unmask" and e.fields.get("arg") == port \
                and any(f.kind == "xen.kick" for f in ev[i + 1:i + 8]):
            return i
    raise AssertionError(f"no remote EVTCHNOP_unmask of port {port}")


@pytest.mark.parametrize("prefix", ["y05", "y06"])      # FIFO on Xen 4.4, 2-level on 4.3; Linux 3.14
def test_pre_ff1e22e7a638_eoi_pirq_clears_the_event_before_the_new_vcpus_upcall(prefix: str) -> None:
    s = _run(prefix)
    ev = list(s.events(0, s.total))
    u = _first_remote_unmask(ev, 3)
    unmask = ev[u]
    assert unmask.cpu == 0          # irq_move_irq's enable_dynirq on the old vCPU, port 3 now bound to vCPU 3
    kick = next(i for i in range(u + 1, len(ev)) if ev[i].kind == "xen.kick")
    assert dict(ev[kick].fields) == {"vcpu": 3, "port": 3, "how": "upcall; the port is no longer pending"}
    assert ev[kick].time_ns == unmask.time_ns + HYPERCALL + IPI
    # eoi_pirq's clear_evtchn is vCPU 0's next event, before the kick; vCPU 3 does nothing in between
    cpu0 = [e for e in ev[u + 1:kick] if e.cpu == 0]
    assert (cpu0[0].kind, dict(cpu0[0].fields)) == ("evtchn.clear", {"port": 3, "signals": 1})
    assert [e for e in ev[u + 1:kick] if e.cpu == 3] == []
    # the upcall vCPU 3 takes at the kick: the vector right after it (then the new signal's port, as before)
    assert (ev[kick + 1].cpu, ev[kick + 1].kind) == (3, "apic.accept")
    v = next(x for x in s.summary()["devices"]["n0"]["vectors"] if x["index"] == 2)
    assert (v["raised"], v["delivered"], v["lost"], v["spurious"]) == (30, 30, 0, 0)
    assert {p["pirq"]: p["vcpu"] for p in s.summary()["pirqs"]["xen"]}[99] == 3


@pytest.mark.parametrize("prefix", ["y22", "y29", "y30"])     # FIFO HVM 4.6, 2-level HVM 4.3, PV 4.8
def test_startup_pirqs_clear_precedes_the_kicked_vcpus_upcall(prefix: str) -> None:
    s = _run(prefix)
    ev = list(s.events(0, s.total))
    u = _first_remote_unmask(ev, 1)
    assert ev[u].cpu == 1
    kick = next(i for i in range(u + 1, len(ev)) if ev[i].kind == "xen.kick")
    assert dict(ev[kick].fields) == {"vcpu": 0, "port": 1, "how": "upcall; the port is no longer pending"}
    assert ev[kick].time_ns == ev[u].time_ns + HYPERCALL + IPI
    assert [e for e in ev[u + 1:kick] if e.cpu == 0] == []
    # vCPU 0 enters its upcall (HVM: the callback vector; PV: xen.callback) and finds nothing
    assert ev[kick + 1].cpu == 0 and ev[kick + 1].kind in ("apic.accept", "xen.callback")
    assert ev[kick + 2].fields["what"] == "nothing left to hand to an irq: the upcall returns"
    assert [h["detail"] for h in s.summary()["hits"]] == [
        "n0 vector 0: 3 signal(s) were pending on port 1 when startup_pirq cleared it"]


def test_the_kick_waits_for_the_callers_hypercall_and_an_ipi(tmp_path: Path) -> None:
    # the width comes from the cost table: a slower IPI moves the kick, the order and outcome stay
    s = _run("y05", tmp_path, "costs: {ipi: 4000}\n")
    ev = list(s.events(0, s.total))
    u = _first_remote_unmask(ev, 3)
    kick = next(i for i in range(u + 1, len(ev)) if ev[i].kind == "xen.kick")
    assert ev[kick].time_ns == ev[u].time_ns + HYPERCALL + 4000
    assert [e for e in ev[u + 1:kick] if e.cpu == 3] == []
    v = next(x for x in s.summary()["devices"]["n0"]["vectors"] if x["index"] == 2)
    assert (v["delivered"], v["lost"]) == (30, 0)


def test_the_remote_kick_reading_is_confirmed_with_xens_source() -> None:
    r = READINGS["xen.evtchn.remote-kick"]
    assert r.status == "confirmed"
    assert "cpu_raise_softirq(v->processor, VCPU_KICK_SOFTIRQ)" in r.quote
    assert {s.path for s in r.sources} >= {"xen/arch/x86/domain.c", "xen/arch/x86/hvm/vmx/entry.S"}
