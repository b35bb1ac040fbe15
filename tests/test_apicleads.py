"""Local APIC / delivery leads (apicleads, revision 12).

* A software-disabled local APIC (native_cpu_disable's apic_soft_disable) takes no Fixed message, whichever
  destination named it: each APIC of a logical or broadcast destination follows deliver_vector's rule
  (reading bus.soft-disabled-destinations: SDM 10.4.7.2; Xen f1d7aac1e3c3's message).
* common_interrupt's EOI of a vector it has no irq for is an ordinary local APIC EOI: with the vector's TMR bit
  set (an IO-APIC level delivery) the local APIC broadcasts it and every IO-APIC entry holding that vector
  clears Remote IRR (reading kernel.entry.unhandled-level-eoi).
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.model import new_engine
from tests.conftest import events_of, run_to_end, scenario, totals

#: eth0's entry rewritten at 50us to a destination every APIC matches (xAPIC physical broadcast 0xFF, or flat
#: logical 0x0F on four CPUs); CPU2 is taken offline at 100us, and eth0 fires at {t}
WIDE = """
name: wide-soft
cpus: 4
kernel: {{version: "{v}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: {own}}}
  - {{at: 30us, do: fire, dev: eth0, vector: 0}}
  - {{at: 50us, do: write, dev: eth0, target: msix-table, offset: 0, value: {addr}}}
  - {{at: 100us, on: 0, do: cpu_offline, cpu: 2}}
  - {{at: {t}, do: fire, dev: eth0, vector: 0}}
"""


def _spurious_cpus(eng: Any) -> list[str]:
    return sorted(h.detail.split()[0] for h in eng.hits if h.name == "irq-spurious" and "stale IRR bit" in h.detail)


@pytest.mark.parametrize("addr", ["0xfeeff000", "0xfee0f004"])
@pytest.mark.parametrize("version,cpu2_takes", [("5.3", True), ("5.5", False), ("5.4.61", False),
                                                ("5.4.62", True), ("6.6", True)])
def test_every_apic_of_a_wide_destination_follows_the_soft_disable(addr: str, version: str,
                                                                   cpu2_takes: bool) -> None:
    """eth0 (on CPU1) fires at 106.45us, after take_cpu_down began on CPU2 and before fixup_irqs' IRR scan. The
    message names every APIC: CPU1 takes the device's signal, CPU0 and CPU3 an IRR bit they have no irq for
    ('No irq handler for vector'). CPU2 takes one too only while its APIC is software-enabled: ..5.3
    (clear_local_APIC only) and from 52d6b926aabc (apic_soft_disable after fixup_irqs); 5.4 .. 5.4.61 (60dcaad5736f:
    apic_soft_disable before cpu_disable_common) refuse it there as they refuse a message to CPU2 alone."""
    eng = run_to_end(scenario(WIDE.format(v=version, own=1, addr=addr, t="106450ns")))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    want = ["CPU0", "CPU2", "CPU3"] if cpu2_takes else ["CPU0", "CPU3"]
    assert _spurious_cpus(eng) == want, version


def test_a_soft_disabled_apic_does_not_carry_the_signals_of_a_wide_message() -> None:
    """5.5: eth0's irq is on CPU2 when CPU2's APIC is soft-disabled (take_cpu_down, before fixup_irqs moves it) and
    eth0 fires to the broadcast at 100.15us. CPU2 refuses it; CPU0, CPU1 and CPU3 take the vector, none of them
    with an irq on it then: the device's signal is accounted on CPU0, the first CPU that took it, and lost there
    ('No irq handler for vector') -- not 'sent to CPU2, whose local APIC ... software-disabled' while the other
    APICs took the same message."""
    eng = run_to_end(scenario(WIDE.format(v="5.5", own=2, addr="0xfeeff000", t="100150ns")))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 1, "lost": 1, "spurious": 1}
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["eth0 vector 0: 1 signal(s) hit CPU0 vector 0x21: No irq handler for vector"]
    assert _spurious_cpus(eng) == ["CPU3"]


#: eth0's INTx line (GSI 16, level) targets CPU1; it asserts at 200.05us as CPU1 enters take_cpu_down (interrupts
#: off): the IO-APIC's message sets CPU1's IRR bit 0x20 with its TMR bit and the entry's Remote IRR. fixup_irqs
#: moves irq 16 to CPU2 -- vector 0x20 there too -- and the IRR scan retriggers it there (an IPI: an edge) and marks
#: CPU1's slot VECTOR_RETRIGGERED. At MULTI_STOP_EXIT CPU1 takes 0x20 and EOIs it silently; CPU2 is in eth0's
#: handler. The line asserts again at 1201.5us.
LEVEL = """
name: level-retriggered
cpus: 3
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}
  - {at: 60us, do: fire, dev: eth0, vector: 0}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 200050ns, do: fire, dev: eth0, vector: 0}
  - {at: 1201500ns, do: fire, dev: eth0, vector: 0}
"""


def test_the_eoi_of_an_unhandled_level_vector_is_broadcast_to_the_ioapic() -> None:
    """CPU1's EOI of the VECTOR_RETRIGGERED 0x20 carries its TMR bit: the broadcast clears entry 16's Remote IRR
    (the entry holds 0x20, now toward CPU2) while CPU2 is still in the handler. So the assertion at 1201.5us is sent
    at once as a level message (CPU2's TMR bit of 0x20 set again), and CPU2's ioapic_ack_level finds the bit set:
    its EOI is broadcast, not eoi_ioapic_pin's 'TMR bit clear (an edge delivery)' write (irq_mis_count). Before,
    Remote IRR stayed set until that write and the third interrupt waited for it."""
    eng = new_engine(scenario(LEVEL), None)
    rirr_after_unhandled = None
    n = 0
    while eng.step():
        for e in eng.log.events(n + 1, len(eng.log) + 1):
            if e.kind == "irq.unhandled" and e.cpu == 1:
                assert (e.fields["vector"], e.fields["slot"]) == (0x20, "RETRIGGERED")
                rirr_after_unhandled = eng.w["ioapic"][16]["remote_irr"]
        n = len(eng.log)
    moved = [e for e in events_of(eng, "vector.assign") if e.fields["target"] == 2]
    assert [(e.fields["irq"], e.fields["vector"]) for e in moved] == [(16, 0x20)]    # the premise: same number
    assert rirr_after_unhandled is False
    notes = [e for e in events_of(eng, "kernel") if "eoi_ioapic_pin" in str(e.fields.get("what"))]
    assert notes == []
    assert [e.cpu for e in events_of(eng, "irq.handler")] == [1, 2, 2]
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


#: xhci's MSI (no per-vector masking) is allocated on CPU1 and never requested: fixup_irqs leaves its message
#: toward CPU1 and makes the slot VECTOR_UNUSED (tests/test_dyingdrain.py's scenario)
DYING = """
name: dying-irqs-off
cpus: {cpus}
kernel: {{version: "{version}"{extra}}}
devices:
  xhci: {{bdf: "00:14.0", kind: xhci, msi: {{vectors: 1, per_vector_mask: false}}}}
run:
  - {{at: 0, on: 0, do: default_affinity, cpus: [1]}}
  - {{at: 10us, on: 0, do: alloc_vectors, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 200us, on: 0, do: cpu_offline, cpu: 1}}
{fire}"""


def _note(eng: Any, text: str) -> list[Any]:
    return [e for e in events_of(eng, "kernel") if text in str(e.fields.get("what"))]


@pytest.mark.parametrize("version,extra,taken", [
    ("4.19", "", True), ("5.3.3", ", cpu_disable_apic: clear", True), ("5.3.4", ", cpu_disable_apic: clear", False),
    ("5.4", ", cpu_disable_apic: clear", False), ("4.15", "", True)])
def test_before_5_4_the_dying_cpu_takes_interrupts_until_play_dead_common(version: str, extra: str,
                                                                          taken: bool) -> None:
    """xhci signals 1ns after the dying CPU1's idle task reported itself (cpuhp_report_idle_dead). The APIC is
    still software-enabled (clear_local_APIC only, cpu_disable_apic: clear). Before e78a7614f387 (5.4; 5.3.4)
    do_idle checked cpu_is_offline before local_irq_disable: CPU1 still has interrupts on, takes the vector
    ('No irq handler for vector': lost, spurious) and only then play_dead_common reports its death and disables
    them; the control CPU goes on after that. From e78a7614f387 interrupts are off at the report: the signal
    waits in CPU1's IRR and INIT clears it."""
    cpus = 3
    first = run_to_end(scenario(DYING.format(version=version, extra=extra, cpus=cpus, fire="")))
    report, = _note(first, "do_idle: CPU1 is offline")
    at = report.time_ns + 1
    eng = run_to_end(scenario(DYING.format(version=version, extra=extra, cpus=cpus, fire=(
        f"  - {{at: {at}ns, do: fire, dev: xhci, vector: 0}}\n"))))
    got = [(e.fields["slot"], e.fields["signals"]) for e in events_of(eng, "irq.unhandled") if e.cpu == 1]
    off, = events_of(eng, "cpu.offline")
    dead = _note(eng, "play_dead_common: CPU1 reports its death")
    if taken:
        assert got == [("UNUSED", 1)], version
        assert totals(eng, "xhci") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}, version
        unhandled = next(e for e in events_of(eng, "irq.unhandled") if e.cpu == 1)
        assert len(dead) == 1 and unhandled.index < dead[0].index < off.index, version
    else:
        assert got == [] and dead == [], version
        assert totals(eng, "xhci") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 0}, version
