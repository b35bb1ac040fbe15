"""Local APIC mechanism: IRR/ISR bit layout, PPR from TPR and ISR, acceptance order, EOI,
coalescing (one IRR bit for several signals, counted per source) -- pure and through the engine."""

from __future__ import annotations

from msidbg.model import apic, hits
from msidbg.model.build import new_cpu
from msidbg.model.hw import words_test
from tests.conftest import totals
from tests.mech_helpers import engine, evs, finish, is_, until


# --- pure: registers and priority ------------------------------------------------------------------
def test_irr_and_isr_use_the_architectural_word_layout() -> None:
    c = new_cpu(0)
    apic.receive(c, 0x41, None)
    apic.receive(c, 0xEF, None)
    assert c["irr"] == [0, 0, 1 << 1, 0, 0, 0, 0, 1 << 15]   # IRR2 bit 1, IRR7 bit 15
    apic.take(c, 0xEF)
    assert c["irr"] == [0, 0, 1 << 1, 0, 0, 0, 0, 0]
    assert c["isr"] == [0, 0, 0, 0, 0, 0, 0, 1 << 15]


def test_ppr_is_the_higher_of_tpr_class_and_in_service_class() -> None:
    c = new_cpu(0)
    assert apic.ppr_class(c) == 0
    c["tpr"] = 0x3F
    assert apic.ppr_class(c) == 3
    apic.receive(c, 0x51, None)
    apic.take(c, 0x51)
    assert apic.ppr_class(c) == 5                 # ISR class 5 beats TPR class 3
    c["tpr"] = 0x70
    assert apic.ppr_class(c) == 7                 # TPR class 7 beats ISR class 5
    apic.eoi(c)
    assert apic.ppr_class(c) == 7


def test_acceptance_needs_a_class_strictly_above_ppr() -> None:
    c = new_cpu(0)
    c["tpr"] = 0x5F
    apic.receive(c, 0x5F, None)                   # same class as TPR: blocked, whatever the low nibble
    assert apic.acceptable(c) == -1
    apic.receive(c, 0x60, None)
    assert apic.acceptable(c) == 0x60
    c["tpr"] = 0x60
    assert apic.acceptable(c) == -1               # raising TPR blocks it again; IRR keeps both bits
    assert words_test(c["irr"], 0x5F) and words_test(c["irr"], 0x60)


def test_only_the_highest_irr_vector_is_considered() -> None:
    """The APIC offers its highest IRR vector; a lower one is never taken around a blocked one."""
    c = new_cpu(0)
    apic.receive(c, 0x61, None)
    apic.take(c, 0x61)                             # class 6 in service
    apic.receive(c, 0x65, None)                    # blocked (same class)
    apic.receive(c, 0x31, None)                    # lower still: must not be chosen instead
    assert apic.acceptable(c) == -1
    apic.eoi(c)
    assert apic.acceptable(c) == 0x65


def test_eoi_clears_the_highest_in_service_vector_not_the_latest() -> None:
    c = new_cpu(0)
    for v in (0x71, 0x41, 0x91):
        apic.receive(c, v, None)
    apic.take(c, 0x41)
    apic.take(c, 0x91)
    apic.take(c, 0x71)
    assert [apic.eoi(c), apic.eoi(c), apic.eoi(c), apic.eoi(c)] == [0x91, 0x71, 0x41, -1]
    assert c["isr"] == [0] * 8


def test_coalescing_counts_each_source_once_per_signal() -> None:
    c = new_cpu(0)
    assert [apic.receive(c, 0x40, ["a", 0, 1]) for _ in range(3)] == [False, True, True]
    assert apic.receive(c, 0x40, ["a", 1, 2]) is True          # same device, other vector index
    assert c["irr"][2] == 1 and c["irr_src"][0x40] == [["a", 0, 3], ["a", 1, 2]]
    assert apic.take(c, 0x40) == [["a", 0, 3], ["a", 1, 2]]
    assert 0x40 not in c["irr_src"]
    assert apic.take(c, 0x40) == []                             # nothing left to deliver


# --- through the engine ----------------------------------------------------------------------------
ONE = """
name: apic
cpus: 2
costs: {handler: 10us}
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 1}}
  d1: {bdf: "00:04.0", msix: {table_size: 1}}
run:
  # (fidvec2) from 4.15 CPU0 keeps only the timer's ISA vector: irq_default_affinity puts both devices on CPU1
  - {at: 0, on: 0, do: default_affinity, cpus: [1]}
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 1}
  - {at: 20us, on: 0, do: probe, dev: d1, mode: msix, vectors: 1}
%s
"""


def test_signals_during_a_handler_coalesce_into_one_irr_bit_and_one_more_handler_run() -> None:
    eng = engine(ONE % "  - {at: 100us, do: fire, dev: d0, vector: 0, count: 3, every: 1us}")
    c1 = eng.w["cpus"][1]
    until(eng, is_("irq.handler", "d0"))
    assert c1["isr"] == [0] * 8 and c1["irr"] == [0] * 8        # EOI came before the handler
    until(eng, is_("msi.msg", "d0"))
    assert c1["irr"][1] == 1 << 1 and c1["irr_src"][0x21] == [["d0", 0, 1]]
    until(eng, is_("msi.msg", "d0"))
    assert c1["irr"][1] == 1 << 1 and c1["irr_src"][0x21] == [["d0", 0, 2]]   # coalesced
    finish(eng)
    assert [e.fields["signals"] for e in evs(eng, "irq.handler", "d0")] == [1, 2]
    assert len(evs(eng, "apic.accept")) == 2
    assert totals(eng, "d0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_the_higher_vector_is_taken_first_whatever_the_arrival_order() -> None:
    eng = engine(ONE % """  - {at: 100us, do: fire, dev: d0, vector: 0}
  - {at: 101us, do: fire, dev: d0, vector: 0}
  - {at: 102us, do: fire, dev: d1, vector: 0}""")
    finish(eng)
    vecs = {d: evs(eng, "vector.assign", d)[0].fields for d in ("d0", "d1")}
    assert (vecs["d0"]["vector"], vecs["d0"]["target"]) == (0x21, 1)
    assert (vecs["d1"]["vector"], vecs["d1"]["target"]) == (0x22, 1)   # irq_default_affinity: CPU1
    accepted = [e.fields["vector"] for e in evs(eng, "apic.accept") if e.cpu == 1]
    assert accepted == [0x21, 0x22, 0x21]          # d1 (0x22) arrived last but goes before d0's second
    assert totals(eng, "d0")["delivered"] == 2 and totals(eng, "d1")["delivered"] == 1


def test_accept_moves_irr_to_isr_and_eoi_clears_it_before_the_handler() -> None:
    eng = engine(ONE % "  - {at: 100us, do: fire, dev: d0, vector: 0}")
    c1 = eng.w["cpus"][1]
    until(eng, is_("apic.accept", vector=0x21))
    assert words_test(c1["isr"], 0x21) and not words_test(c1["irr"], 0x21)
    assert apic.ppr_class(c1) == 2
    e = until(eng, lambda e: e.cpu == 1)
    assert e.kind == "apic.eoi" and e.fields["vector"] == 0x21 and c1["isr"] == [0] * 8
    assert until(eng, lambda e: e.cpu == 1).kind == "irq.handler"


def test_two_devices_on_one_vector_coalesce_and_only_the_owner_is_delivered() -> None:
    """A second device programmed (raw) with d0's message: both signals share one IRR bit;
    d0's handler runs once, delivers d0's signal, and d1's is spurious and lost."""
    eng = engine(ONE.replace("  - {at: 20us, on: 0, do: probe, dev: d1, mode: msix, vectors: 1}\n", "") % """
  - {at: 20us, on: 0, do: write, dev: d1, target: config, offset: 4, value: 6, size: 2}
  - {at: 20us, on: 0, do: write, dev: d1, target: msix-table, offset: 0, value: 0xfee01000}
  - {at: 20us, on: 0, do: write, dev: d1, target: msix-table, offset: 8, value: 0x21}
  - {at: 20us, on: 0, do: write, dev: d1, target: config, offset: 0x72, value: 0x8000, size: 2}
  - {at: 20us, on: 0, do: write, dev: d1, target: msix-table, offset: 12, value: 0}
  - {at: 100us, do: fire, dev: d0, vector: 0}
  - {at: 100us, do: fire, dev: d1, vector: 0}""")
    until(eng, is_("apic.accept", vector=0x21))
    finish(eng)
    assert len(evs(eng, "apic.accept")) == 1
    assert [e.fields["signals"] for e in evs(eng, "irq.handler")] == [1]
    assert totals(eng, "d0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    assert totals(eng, "d1") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}
    assert hits.IRQ_SPURIOUS in {h.name for h in eng.hits}
