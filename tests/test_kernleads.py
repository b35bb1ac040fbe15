"""kernleads: leads left open by the session of 2026-12-02 04:45, each read in the kernel source.

(3) A ``remove`` of a device no driver action bound -- never probed, or whose probe never ran (its CPU was
offline: sched_setaffinity's -EINVAL) -- finds no driver: drivers/base/dd.c __device_release_driver runs
nothing "if (drv)" is false (v4.19, v6.6), so no driver code ran and the contract's ``probe`` stays
``not-probed`` (it said ``ok``, and ``driver`` said ``removed``). A probe that failed inside really_probe
keeps its ``failed: E...`` (the device_unbind_cleanup of probe_failed leaves dev->driver NULL).
"""
from __future__ import annotations

from typing import Any

from msidbg.debugger.summary import driver_state
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text

HEAD = """\
name: kernleads
cpus: 2
kernel: {version: "6.6"}
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 2}}
run:
"""


def _run(text: str, max_events: int = 200_000) -> Any:
    eng = new_engine(load_scenario_text(text, "kernleads.yaml"), None)
    eng.run_sync(max_events=max_events)
    return eng


def _status(eng: Any, dev: str = "d0") -> tuple[str, str]:
    return str(eng.w["kernel"]["pci"][dev]["status"]), driver_state(eng.w, dev)


def test_remove_of_a_never_probed_device_leaves_it_not_probed() -> None:
    eng = _run(HEAD + "  - {at: 0, on: 0, do: remove, dev: d0}\n")
    assert eng.w["actions"][0]["result"] == 0
    assert _status(eng) == ("not-probed", "not-probed")


def test_remove_after_a_probe_that_never_ran_leaves_it_not_probed() -> None:
    """The probe's CPU is offline: the action fails -EINVAL before any driver code runs (failed actions
    list it); the remove that follows finds no driver."""
    eng = _run(HEAD + "  - {at: 0, on: 0, do: cpu_offline, cpu: 1}\n"
                      "  - {at: 1ms, on: 1, do: probe, dev: d0, mode: msix, vectors: 2}\n"
                      "  - {at: 2ms, on: 0, do: remove, dev: d0}\n")
    assert eng.w["actions"][1]["result"] == -22
    assert _status(eng) == ("not-probed", "not-probed")


def test_remove_after_a_failed_probe_keeps_the_failure_and_a_bound_remove_is_removed() -> None:
    eng = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 1}\n"
                      "  - {at: 10us, on: 0, do: remove, dev: d0}\n")
    assert _status(eng) == ("failed: EINVAL", "failed: EINVAL")
    eng = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}\n"
                      "  - {at: 1ms, on: 0, do: remove, dev: d0}\n"
                      "  - {at: 2ms, on: 0, do: remove, dev: d0}\n")
    assert _status(eng) == ("ok", "removed")


# --- (1) irqfixup / irqpoll: misrouted_irq, and irq_wait_for_poll ------------------------------------------------
#: a stuck shared line (usb0's leftover condition on GSI 16, nobody's driver) under eth0's INTx handler, and sata0
#: on GSI 17 whose driver is bound: every interrupt of irq 16 is unhandled
STUCK = """\
name: kernleads-irqfixup
seed: 1
cpus: {cpus}
kernel: {{version: "6.6", irqfixup: {fix}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
  usb0: {{bdf: "00:1d.0", kind: xhci, intx: {{pin: A, gsi: 16}}}}
  sata0: {{bdf: "00:1f.2", kind: generic, intx: {{pin: B, gsi: 17}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1, affinity: 0}}
  - {{at: 0, on: {on}, do: probe, dev: sata0, mode: intx, vectors: 1{aff}}}
  - {{at: 2ms, do: fire, dev: usb0, vector: 0}}
  - {{at: 3ms, do: fire, dev: sata0, vector: 0, count: 5, every: 7us}}
"""


def _stuck(fix: str, cpus: int) -> Any:
    text = STUCK.format(cpus=cpus, fix=fix, on=cpus - 1, aff=", affinity: 1" if cpus > 1 else "")
    return _run(text, max_events=1400)


def _evs(eng: Any) -> list[Any]:
    return list(eng.log.events(1, len(eng.log) + 1))


def _polled_deliveries(evs: list[Any]) -> list[int]:
    """sata0's handler runs that delivered a signal while CPU0 was in irq 16 (the last interrupt it accepted):
    a misrouted_irq poll, not irq 17's own interrupt."""
    out, last = [], {}
    for i, e in enumerate(evs):
        if e.kind == "apic.accept":
            last[e.cpu] = e.get("irq")
        elif e.kind == "irq.handler" and e.dev == "sata0" and last.get(e.cpu) == 16:
            out.append(i)
    return out


def test_irqfixup_polls_the_other_shared_irqs_and_takes_a_handled_one_off_irqs_unhandled() -> None:
    """One CPU: each unhandled interrupt of irq 16 runs misrouted_irq, which runs sata0's handler (irq 17:
    enabled, shared); a signal sata0 raised meanwhile is delivered there, before its own interrupt, and
    that poll's ok takes one off irq 16's irqs_unhandled. Without the option no poll runs."""
    off = _evs(_stuck("none", 1))
    assert not _polled_deliveries(off)
    assert not [e for e in off if e.kind == "irq.none" and e.dev == "sata0"]
    eng = _stuck("irqfixup", 1)
    evs = _evs(eng)
    assert len([e for e in evs if e.kind == "irq.none" and e.dev == "sata0"]) > 100   # polled at every IRQ_NONE
    polled = _polled_deliveries(evs)
    assert polled
    # irqs_unhandled of irq 16 just before that handler (the interrupt counted) and after the poll returned
    first = polled[0]
    before = _run(STUCK.format(cpus=1, fix="irqfixup", on=0, aff=""), max_events=first + 1)
    after = _run(STUCK.format(cpus=1, fix="irqfixup", on=0, aff=""), max_events=first + 2)
    assert after.w.irqs[16]["irqs_unhandled"] == before.w.irqs[16]["irqs_unhandled"] - 1
    assert sum(e.get("signals") for e in evs if e.kind == "irq.handler" and e.dev == "sata0") == 5


def test_a_flow_handler_waits_for_the_poll_of_its_irq_on_another_cpu() -> None:
    """Two CPUs, irq 17 on CPU1: CPU1's handle_fasteoi_irq finds irq 17 polled by CPU0's misrouted_irq
    (IRQS_POLL_INPROGRESS) and waits in irq_wait_for_poll -- not 'in progress: out (EOI)' -- then runs
    sata0's handler, which delivers the signal."""
    evs = _evs(_stuck("irqpoll", 2))
    waits = [i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
             and str(e.get("what")).startswith("irq_wait_for_poll: irq 17 is polled on CPU0")]
    assert waits
    nxt = next(e for e in evs[waits[0] + 1:] if e.cpu == 1)
    assert (nxt.kind, nxt.dev, nxt.get("signals")) == ("irq.handler", "sata0", 1)
    assert not [e for e in evs if e.kind == "kernel" and "in progress on CPU0: out" in str(e.get("what"))]
    assert sum(e.get("signals") for e in evs if e.kind == "irq.handler" and e.dev == "sata0") == 5


def test_poll_spurious_irqs_marks_the_irq_polled_and_clears_irqs_pending() -> None:
    """intx-nobody-cared: the poll 100 ms after "Disabling IRQ #16" runs eth0's handler on CPU1 under
    IRQS_POLL_INPROGRESS (``irqs[16].poll``) and irq_poll_active (``kernel.poll_active``), IRQS_PENDING (set
    by the masking interrupt) cleared by its handle_irq_event; both marks are gone when the poll returns."""
    from msidbg.scenario import load_scenario

    eng = new_engine(load_scenario("scenarios/intx-nobody-cared.yaml"), None)
    eng.run_sync(max_events=299_000)
    seen = set()
    while True:
        assert eng.step()
        last = eng.log.events(len(eng.log), len(eng.log) + 1)[-1]
        seen.add(last.kind)
        if "irq.poll" in seen and last.kind == "irq.handler" and last.dev == "eth0":
            break
        if "irq.nobody_cared" in seen and eng.w.irqs[16]["pending"]:
            seen.add("pending")     # the next interrupt found the irq disabled: IRQS_PENDING, mask_irq
    desc = eng.w.irqs[16]
    assert "pending" in seen and desc["spurious_disabled"]
    assert (desc["poll"], eng.w.kernel["poll_active"], desc["pending"]) == (last.cpu, last.cpu, False)
    eng.run_sync()
    assert "poll" not in eng.w.irqs[16] and "poll_active" not in eng.w.kernel
