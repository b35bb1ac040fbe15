"""fidvec2: the ISA irqs' vectors under the matrix allocator (4.15+) and the kernel warnings a user greps
dmesg for (vector.c's activate_reserved, matrix.c's irq_matrix_reserve)."""

from __future__ import annotations

from msidbg.model.build import build_world
from msidbg.model.hw import VECTOR_SHUTDOWN, words_test
from msidbg.model.kernel import vector as vec
from tests.conftest import events_of, run_to_end, scenario, totals


def _world(version: str, cpus: int = 2) -> object:
    return build_world(scenario(f"""
        name: isa
        cpus: {cpus}
        platform: {{apic_routing: physical flat}}
        kernel: {{version: "{version}"}}
        devices:
          eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
        run:
          - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
        """))


def test_from_4_15_cpu0_keeps_only_the_timers_isa_vector() -> None:
    """vector_configure_legacy: irq 0 (activated before the IO-APIC took it) keeps 0x30 on CPU0; irqs 1..15
    give their vector back (clear_irq_vector: the slot VECTOR_SHUTDOWN from 5.3) and hold a global
    reservation (reserve_irq_vector); 0x32, the PIC cascade, is a system vector on every CPU."""
    w = _world("6.6")
    cpu0 = w.cpus[0]  # type: ignore[attr-defined]
    assert [v for v in range(0x30, 0x40) if words_test(cpu0.alloc, v)] == [0x30]
    assert cpu0.vector_irq[0x30] == 0 and cpu0.vector_irq[0x31] == VECTOR_SHUTDOWN
    isa1 = w.irqs[1]  # type: ignore[attr-defined]
    assert (isa1.has_reserved, isa1.can_reserve, isa1.activated, isa1.action) == (True, True, False, None)
    assert w.irqs[0].activated and w.irqs[0].action == "legacy-0"  # type: ignore[attr-defined]
    # CPU0 lacks only the timer's vector; 0x32 and 0x80 (system vectors, redteam17) are in no CPU's available count
    assert vec.available(w, w.cpus[1]) == 0xEC - 0x20 - 2  # type: ignore[attr-defined]
    assert vec.available(w, cpu0) == vec.available(w, w.cpus[1]) - 1  # type: ignore[attr-defined]
    # before 4.15 (the legacy allocator) CPU0's vector_irq maps all 16 ISA vectors, as init_IRQ left them; 0x32 is
    # irq 2's, the PIC cascade's descriptor, which has no IO-APIC pin (leads22: it was left unused)
    old = _world("4.14").cpus[0]  # type: ignore[attr-defined]
    assert [old.vector_irq.get(0x30 + i) for i in range(16)] == [i if i != 2 else "CASCADE" for i in range(16)]
    assert cpu0.vector_irq[0x32] == "CASCADE"       # from 4.15 too: irq 2 is not in io_apic_irqs


def test_lapic_can_unplug_cpu_counts_cpu0s_freed_isa_vectors() -> None:
    """Taking CPU1 down: avl (irq_matrix_available(m, true)) is CPU0's free vectors -- 14 more than when
    every ISA vector stayed allocated, one fewer each for the cascade's and the IA32 syscall gate's system
    vectors (0x32, 0x80)."""
    tomove, avl = vec.unplug_count(_world("6.1"), 1)
    assert (tomove, avl) == (0, 0xEC - 0x21 - 3)



EXHAUST = """
name: exhaust
cpus: 2
platform: {{apic_routing: physical flat}}
kernel: {{version: "{version}"{extra}}}
devices:
  big: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 256}}}}
  eth0: {{bdf: "00:04.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: big, mode: msix, vectors: 202, affinity: 1}}
  - {{at: 5ms, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}}
  - {{at: 6ms, do: fire, dev: eth0, vector: 0}}
"""


def _notes(eng: object) -> list[str]:
    return [str(e.fields.get("what")) for e in events_of(eng, "kernel")]


def test_activate_reserved_warns_when_the_mask_has_no_free_vector() -> None:
    """743dac494d61 (5.4; 4.19.77, 5.2.19): CPU1 holds 202 vectors, every one it has (6.1: [0x21, 0xec)
    without the cascade's 0x32); eth0's irq asks for CPU1, assign_irq_vector_any_locked falls back to CPU0
    and activate_reserved prints the warning. The interrupt still arrives (on CPU0). Without the commit the
    same fallback is silent."""
    eng = run_to_end(scenario(EXHAUST.format(version="6.1", extra="")))
    irq = [e.fields["irq"] for e in events_of(eng, "vector.assign") if e.dev == "eth0"][-1]
    assert f"irq {irq}: Affinity broken due to vector space exhaustion." in _notes(eng)
    assert [e.fields["target"] for e in events_of(eng, "vector.assign") if e.dev == "eth0"] == [0]
    assert totals(eng, "eth0")["delivered"] == 1
    eng = run_to_end(scenario(EXHAUST.format(version="6.1", extra=", affinity_broken_warning: false")))
    assert not [s for s in _notes(eng) if "Affinity broken" in s]
