"""retrig: fixup_irqs' IRR retrigger on a dying CPU, and the ISA irqs' move off a dying CPU0.

(1) arch/x86/kernel/irq.c fixup_irqs (v4.9, v4.14, v5.4, v6.6): after mdelay(1) the dying CPU's IRR is
scanned; a vector whose vector_irq slot holds an irq and whose IRR bit is set goes to chip->irq_retrigger
(apic_retrigger_irq: v4.9 an IPI to cpumask_first_and(data->domain, cpu_online_mask), the irq's new
domain; v6.6 apic->send_IPI(apicd->cpu, apicd->vector)), and only then is the slot VECTOR_RETRIGGERED.
The signals reach the new CPU; the dying CPU EOIs its stale IRR bit silently after MULTI_STOP_EXIT.
whyheld6 saw two such signals lost on 4.9; on this tree (after dyingdrain) they are delivered in every
release below -- these tests guard that (they fail when fixup_irr does not send the retrigger).

(2) With kernel.cpu0_hotplug the ISA irqs requested at boot are moved off CPU0 like any started irq whose
effective CPU is the dying one (v4.9 fixup_irqs' own loop: irq_has_action and an affinity mask -- every
CPU -- that is no longer a subset of cpu_online_mask; v4.13+ irq_migrate_all_off_this_cpu ->
migrate_one_irq), through ioapic_chip's ioapic_set_affinity -> the vector domain. From 4.15 only the
timer (irq 0, vector 0x30 on CPU0) is requested (build.legacy_irqs): it takes a vector on the matrix's
best CPU, which the next irq then does not get. Before 4.15 the timer, too, is the only one requested
(kernleads: retrig had every ISA irq requested and moved), and moves to the first online CPU of its mask
(__assign_irq_vector), on vectors of the global search cursor. They stayed on CPU0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.model.hw import ISA_IRQ_VECTOR0
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

HELD = Path(__file__).parent / "heldout_retrig"


def _text(name: str) -> str:
    return (HELD / name).read_text()


@pytest.mark.parametrize("version", ["4.9", "4.14", "5.4.62", "6.6"])
def test_signals_in_the_dying_cpus_irr_reach_the_irqs_new_cpu(version: str) -> None:
    eng = run_to_end(scenario(_text("r01-irr-retrigger-4p9.yaml").replace('"4.9"', f'"{version}"')))
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    assert "irq-lost" not in hit_names(eng)
    off, = events_of(eng, "cpu.offline")
    desc = next(d for d in eng.w.irqs.values() if d["dev"] == "eth0")
    assert desc.cpu != 2
    # the two signals of CPU2's IRR run the handler on the irq's new CPU, before the offline completes ...
    handler, = [e for e in events_of(eng, "irq.handler") if e.fields["signals"] == 2]
    assert handler.cpu == desc.cpu and handler.index < off.index
    # ... and CPU2, interrupts on after MULTI_STOP_EXIT, EOIs its stale IRR bit on the RETRIGGERED slot
    stale, = events_of(eng, "irq.unhandled")
    assert stale.cpu == 2 and stale.fields["slot"] == "RETRIGGERED" and stale.index < off.index


def _cpu0_offline(version: str) -> object:
    return run_to_end(scenario(_text("r02-cpu0-timer-6p1.yaml").replace('"6.1"', f'"{version}"')))


#: release -> (the timer's new CPU, eth0's CPU after the offline): on 6.1 eth0 sits on CPU0 (its affinity)
#: and both move, the timer first; on 4.15 and 5.4 eth0 is still on CPU1 (its move to CPU0 pending, then
#: dropped: no CPU of it is left) and the timer goes to CPU2
PLACES = {"4.15": (2, 1), "5.4": (2, 1), "6.1": (1, 2)}


@pytest.mark.parametrize("version", sorted(PLACES))
def test_cpu0_offline_moves_the_timer_to_the_matrixs_best_cpu(version: str) -> None:
    eng = _cpu0_offline(version)
    w = eng.w
    timer = w.irqs[0]
    want_timer, want_eth0 = PLACES[version]
    first = 0x21                            # 0x20 is the cleanup IPI's before 6.6 (cpu0_hotplug ends at 6.4)
    # irq 0 leaves CPU0's 0x30 for the matrix's best CPU of its mask (every CPU: the lowest online CPU with
    # the fewest vectors allocated), on its lowest free vector; CPU0 keeps no slot of it
    assert (timer.cpu, timer.vector) == (want_timer, first)
    assert w.cpus[want_timer].vector_irq[first] == 0
    assert w.cpus[0].vector_irq.get(ISA_IRQ_VECTOR0) is None
    # it costs that CPU a vector: eth0 and the timer are spread over CPU1 and CPU2
    eth0 = next(d for d in w.irqs.values() if d["dev"] == "eth0")
    assert eth0.cpu == want_eth0 != timer.cpu
    moves = [(e.fields["irq"], e.fields["target"]) for e in events_of(eng, "vector.assign") if e.cpu == 0]
    assert moves == [(0, want_timer)] + ([(eth0.irq, want_eth0)] if version == "6.1" else [])
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


@pytest.mark.parametrize("version", ["4.9", "4.14"])
def test_cpu0_offline_before_the_matrix_moves_only_the_requested_isa_irq(version: str) -> None:
    """kernleads: every ISA irq keeps its CPU0 vector at boot (init_legacy_irqs, setup_IO_APIC_irqs), but
    the modelled machine requests only the timer, as from 4.15: v4.9 fixup_irqs skips an irq without an
    action (irq_has_action), 4.13's migrate_one_irq one not started -- the timer alone moves, to the
    first online CPU of its mask on the global search cursor; the others' domain stays CPU0."""
    eng = _cpu0_offline(version)
    w = eng.w
    isa = [i for i in range(16) if w.irqs.get(i) is not None and w.irqs[i].action is not None]
    assert isa == [0]
    # __assign_irq_vector: the first online CPU of the mask (CPU1), a vector from the global cursor
    # (0x41 + 16 steps: the probe's eth0 took 0x41 on CPU0)
    assert (w.irqs[0].cpu, w.irqs[0].vector) == (1, 0x51) and w.cpus[1].vector_irq[0x51] == 0
    moves = [e.fields["irq"] for e in events_of(eng, "vector.assign") if e.cpu == 0 and e.fields["irq"] < 16]
    assert moves == [0]
    assert all((w.irqs[i].cpu, w.irqs[i].vector) == (0, ISA_IRQ_VECTOR0 + i) for i in range(1, 16) if i != 2)
    assert not [v for v, s in w.cpus[0].vector_irq.items() if type(s) is int]
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


def test_cpu0_online_before_the_matrix_gives_the_unrequested_isa_irqs_their_slots_back() -> None:
    """4.14 __setup_vector_irq on CPU0 coming back: every irq whose domain is CPU0 (the ISA irqs nothing
    requested) gets its vector_irq slot back; the timer stays on CPU1."""
    eng = run_to_end(scenario(_text("r02-cpu0-timer-6p1.yaml").replace('"6.1"', '"4.14"')
                              + "  - {at: 5ms, on: 1, do: cpu_online, cpu: 0}\n"))
    w = eng.w
    assert w.cpus[0].online and w.irqs[0].cpu == 1
    assert {v: s for v, s in w.cpus[0].vector_irq.items() if type(s) is int and v < 0x40} == \
        {ISA_IRQ_VECTOR0 + i: i for i in range(1, 16) if i != 2}


def test_before_52d6b926aabc_the_soft_disabled_apic_takes_no_signal_to_retrigger() -> None:
    """5.4.0 .. 5.4.61 (60dcaad5736f, kernsmall's ``kernel.cpu_disable_apic``): native_cpu_disable soft-disables
    the dying CPU's local APIC before cpu_disable_common, so the two messages that reach CPU2 while it runs
    take_cpu_down set no IRR bit: fixup_irqs' scan finds nothing to retrigger and they are lost (the 2020
    loss 52d6b926aabc fixed in 5.9 / 5.4.62, where the run above delivers all three)."""
    eng = run_to_end(scenario(_text("r01-irr-retrigger-4p9.yaml").replace('"4.9"', '"5.4"')))
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 1, "lost": 2, "spurious": 0}
    assert "irq-lost" in hit_names(eng)
