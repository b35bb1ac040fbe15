"""Fidelity of the session of 2026-12-02 (kernsmall): four small kernel mechanisms.

* disable_irq / disable_irq_nosync hold desc->lock (irq_get_desc_buslock: raw_spin_lock_irqsave) around
  __disable_irq, the chip's mask included (kernel/irq/manage.c __disable_irq_nosync, every release): a flow
  handler on another CPU spins until irq_put_desc_busunlock.
* try_one_irq (kernel/irq/spurious.c, poll_spurious_irqs) takes raw_spin_lock(&desc->lock) first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import run_to_end, scenario

ROOT = Path(__file__).resolve().parent.parent


def _events(eng: Any) -> list[Any]:
    log = eng.log
    return [log.event(i) for i in range(1, eng.cur + 1)]


DISABLE = """
name: dislock
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 30us, do: fire, dev: eth0, vector: 0}}
  - {{at: 100us, on: 0, do: {do}, dev: eth0, vector: 0, unlazy: true}}
  - {{at: 99800ns, do: fire, dev: eth0, vector: 0}}
"""


def test_edge_flow_handler_waits_for_disable_irq_desc_lock() -> None:
    """CPU0's disable_irq(unlazy) masks the MSI-X entry under desc->lock; CPU1, which took eth0's edge just
    before, spins in handle_edge_irq ('CPU0 is in disable_irq') and parks the edge (irq.pending) only after
    CPU0 released the lock -- not while CPU0's mask write is under way."""
    for do in ("disable_irq", "disable_irq_nosync"):
        evs = _events(run_to_end(scenario(DISABLE.format(do=do))))
        spin = next(i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
                    and e.fields.get("what") == f"desc->lock: CPU0 is in {do} of irq 24")
        mask = next(i for i, e in enumerate(evs) if e.kind == "msix.write" and e.cpu == 0)
        park = next(i for i, e in enumerate(evs) if e.kind == "irq.pending" and e.cpu == 1)
        assert mask < spin < park
        # the park runs once CPU0 is out of its irqsave section: no earlier than CPU0's next step
        assert evs[park].time_ns > evs[mask].time_ns + 100
    eng = run_to_end(scenario(DISABLE.format(do="disable_irq")))
    assert eng.w["irqs"][24].lock == -1      # type: ignore[attr-defined]  (irq_put_desc_busunlock)


def test_try_one_irq_spins_on_desc_lock() -> None:
    """intx-nobody-cared with a driver's disable_irq of irq 16 on CPU0 just before poll_spurious_irqs runs on
    CPU1: try_one_irq spins on desc->lock until disable_irq's irqsave section ends, then runs the NIC's
    handler (before, the handler ran while CPU0 held the lock). locks28: the poll keeps its place in the lock's
    queue, so synchronize_irq's double-check (raw_spin_lock_irqsave, 301999.95 us) queues behind it, finds
    IRQD_IRQ_INPROGRESS and waits for the poll's relock: disable_irq returns after the handler (302001.55 us;
    before, the poll's entry was dropped and disable_irq returned at 301999.95 us, ahead of the handler)."""
    src = (ROOT / "scenarios" / "intx-nobody-cared.yaml").read_text()
    src = src.replace("breakpoints:", "  - {at: 301999850ns, on: 0, do: disable_irq, dev: eth0, vector: 0}\n"
                      "breakpoints:")
    evs = _events(run_to_end(scenario(src)))
    dis = next(i for i, e in enumerate(evs) if e.kind == "irq.disable" and e.fields["irq"] == 16 and e.cpu == 0)
    spin = next(i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
                and e.fields.get("what") == "desc->lock: CPU0 is in disable_irq of irq 16")
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.fields["do"] == "disable_irq")
    handler = next(i for i, e in enumerate(evs) if i > dis and e.kind == "irq.handler" and e.cpu == 1)
    assert evs[spin].fields["prog"] == "poll_spurious_irqs"
    assert dis < spin < handler < done
    assert [(e.time_ns, e.fields.get("what")) for e in evs[spin + 1:done] if e.kind == "kernel" and e.cpu == 0] == [
        (301_999_950, "desc->lock: CPU1's poll queued for it first (queued spinlock: its turn at the release)"),
        (302_000_050, "synchronize_irq: irq 16 in progress on CPU1")]
    assert (evs[handler].time_ns, evs[done].time_ns) == (302_000_000, 302_001_550)


RESERVE = """
name: rsvd
cpus: 2
kernel: {{version: "{version}"}}
devices:
  eth0: {{bdf: "00:04.0", kind: nic, msix: {{table_size: 2048}}}}
run:
  - {{at: 0, on: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: {n}}}
  - {{at: 5ms, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 8ms, on: 0, do: free_vectors, dev: eth0}}
"""


def _notes(eng: Any, text: str) -> list[Any]:
    return [e for e in _events(eng) if e.kind == "kernel" and text in str(e.fields.get("what"))]


def test_global_reservation_warns_at_the_crossing_and_decides_nothing() -> None:
    """irq_matrix_reserve (kernel/irq/matrix.c): a non-managed MSI-X irq gets only a global reservation at
    allocation; when global_reserved reaches global_available (2 CPUs: 202 + 201 free since 0x80 is a system
    vector, 14 ISA reservations already) it warns once (the count after it: 404), and the allocation goes on. lapic_can_unplug_cpu then prints 'Reserved vectors
    514 > available 201. and the offline still succeeds; free_vectors gives the reservations back."""
    eng = run_to_end(scenario(RESERVE.format(version="6.6", n=500)))
    warn = _notes(eng, "Interrupt reservation exceeds available resources")
    assert [e.fields["value"] for e in warn] == [404]
    unplug = _notes(eng, "Reserved vectors")
    assert [e.fields["what"] for e in unplug] == [
        "lapic_can_unplug_cpu: Reserved vectors 514 > available 201. IRQ request may fail"]
    assert unplug[0].cpu == 1
    done = {e.fields["do"]: e.fields["result"] for e in _events(eng) if e.kind == "action.done"}
    assert done == {"alloc_vectors": 500, "cpu_offline": 0, "free_vectors": 0}
    assert eng.w["kernel"]["vec_rsvd"] == 14    # type: ignore[index]


def test_activation_takes_the_reservation_back() -> None:
    """activate_reserved's irq_matrix_alloc(..., resvd = has_reserved) decrements global_reserved; free_irq's
    x86_vector_deactivate reserves again; irq_matrix_remove_reserved at free. Before 4.15 there is no matrix
    (no count in the world)."""
    text = """
name: rsvd2
cpus: 2
kernel: {version: "%s"}
platform: {apic_routing: physical flat}
devices:
  eth0: {bdf: "00:04.0", kind: nic, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 1}
"""
    from msidbg.model import new_engine

    eng = new_engine(scenario(text % "6.6"))
    seen = []
    while eng.step():
        n = eng.w["kernel"]["vec_rsvd"]    # type: ignore[index]
        if not seen or seen[-1] != n:
            seen.append(n)
    assert seen == [14, 15, 16, 17, 18, 17, 16, 15, 14, 15]
    old = run_to_end(scenario(text % "4.14"))
    assert "vec_rsvd" not in old.w["kernel"]    # type: ignore[operator]


SOFT = """
name: softoff
cpus: 4
kernel: {{version: "{version}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}}
  - {{at: 30us, do: fire, dev: eth0, vector: 0}}
  - {{at: 100us, do: fire, dev: eth0, vector: 0, count: 3, every: 2us}}
  - {{at: 106450ns, do: fire, dev: eth0, vector: 0}}
  - {{at: 100us, on: 0, do: cpu_offline, cpu: 2}}
"""


def test_native_cpu_disable_apic_step_by_release() -> None:
    """eth0's edge reaches CPU2 at 106.45us, after take_cpu_down began there and before fixup_irqs masked and
    moved its entry. ..5.3 clear_local_APIC() leaves the APIC enabled: the edge lands in the IRR and the IRR
    scan retriggers it on the new CPU. 5.4 (60dcaad5736f) apic_soft_disable() before cpu_disable_common: no IRR
    bit, the edge is lost (up to 5.4.61). 52d6b926aabc (5.9; 5.4.62, 5.8.6) soft-disables after fixup_irqs:
    delivered again."""
    from msidbg.model.kernel.sw import sw_w

    want = {"5.3": ("clear", 0), "5.5": ("soft-first", 1), "5.4.61": ("soft-first", 1),
            "5.4.62": ("soft-after", 0), "5.8.5": ("soft-first", 1), "5.8.6": ("soft-after", 0),
            "5.9": ("soft-after", 0), "6.6": ("soft-after", 0)}
    for version, (mode, lost) in want.items():
        eng = run_to_end(scenario(SOFT.format(version=version)))
        assert sw_w(eng.w, "cpu_disable_apic") == mode, version
        a = eng.w["acct"]["eth0"]   # type: ignore[index]
        assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (5, 5 - lost, lost), version
        evs = _events(eng)
        notes = [e.fields["what"] for e in evs if e.kind == "kernel" and "native_cpu_disable" in str(e.fields["what"])]
        # take_cpu_down's first note names the step made before fixup_irqs (52d6b926aabc's is silent, after it)
        assert len(notes) == (0 if mode == "soft-after" else 1), version
        assert not notes or ("clear_local_APIC()" in notes[0]) == (mode == "clear"), version
        assert eng.w["cpus"][2].get("apic_off", False) is (mode != "clear"), version   # type: ignore[index]


ENABLE = """
name: enlock
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}
  - {at: 30us, do: fire, dev: eth0, vector: 0}
  - {at: 100us, on: 0, do: disable_irq, dev: eth0, vector: 0}
  - {at: 150us, do: fire, dev: eth0, vector: 0}
  - {at: 170us, do: fire, dev: eth0, vector: 0}
  - {at: 200us, on: 0, do: enable_irq, dev: eth0, vector: 0}
"""


def test_enable_irq_holds_desc_lock_across_irq_startup() -> None:
    """enable_irq's irq_startup unmasks the entry (the PBA's pending edge goes to CPU1 at once) and resends the
    parked edge; CPU1's handle_edge_irq spins ('CPU0 is in enable_irq') and acks only after enable_irq
    returned. Every edge is delivered."""
    eng = run_to_end(scenario(ENABLE))
    evs = _events(eng)
    resend = next(i for i, e in enumerate(evs) if e.kind == "irq.resend")
    spin = next(i for i, e in enumerate(evs) if e.kind == "kernel" and e.cpu == 1
                and e.fields.get("what") == "desc->lock: CPU0 is in enable_irq of irq 24")
    done = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.fields["do"] == "enable_irq")
    eoi = next(i for i, e in enumerate(evs) if i > resend and e.kind == "apic.eoi" and e.cpu == 1)
    assert resend < spin < eoi and evs[eoi].time_ns >= evs[done].time_ns
    a = eng.w["acct"]["eth0"]   # type: ignore[index]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (3, 3, 0)
    assert eng.w["irqs"][24]["lock"] == -1     # type: ignore[index]


ILLEGAL_DYING = """
name: illegal-dying
cpus: 2
kernel: {version: "%s"}
platform: {apic_routing: physical flat}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x05}
  - {at: 2ms, on: 0, do: cpu_offline, cpu: 1}
  - {at: 2000050ns, do: fire, dev: eth0, vector: 0}
"""


def test_clear_local_apic_masks_lvt_error_on_the_dying_cpu() -> None:
    """A message with the illegal vector 0x05 reaches CPU1 just after take_cpu_down began there. Before 5.4
    native_cpu_disable's clear_local_APIC() has masked LVT Error: the ESR records Received Illegal Vector but
    no ERROR_APIC_VECTOR (0xfe) is raised. From 52d6b926aabc (5.9) nothing is masked until after fixup_irqs:
    0xfe is pending in CPU1's IRR during the IRR scan."""
    from msidbg.model import new_engine
    from msidbg.model.hw import words_test

    for version, raised in (("5.3", False), ("5.9", True)):
        eng = new_engine(scenario(ILLEGAL_DYING % version))
        seen = 0
        while eng.step():
            if any(eng.log.event(i).kind == "kernel" and "mdelay(1)" in str(eng.log.event(i).fields["what"])
                   for i in range(seen + 1, eng.cur + 1)):
                break
            seen = eng.cur
        cpu1 = eng.w["cpus"][1]     # type: ignore[index]
        assert words_test(cpu1["irr"], 0xFE) is raised, version
        assert cpu1["esr"] == 0x40, version      # Received Illegal Vector recorded either way
