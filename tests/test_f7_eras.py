"""Finding 7 (issue 10): each era of the vector domain and hotplug is its own behaviour.

The old vector is freed by the cleanup IPI before 6.6 and by a per-CPU timer a jiffy later from
bdc1dad299bb (which also frees vector 0x20 for devices); irq_force_complete_move() runs for the
migrated irqs only before a6c11c0a5235 (6.10) and for every irq that was on the dying CPU from
it; fixup_irqs() waits mdelay(1) before its IRR scan; msix_capability_init() before 438553958ba1
(5.14) sets the irqs up with MSI-X disabled and masks the used entries afterwards.
"""

from __future__ import annotations

from msidbg.model.hw import (
    ENTRY_MASKBIT,
    IRQ_MOVE_CLEANUP_VECTOR,
    MSIX_CTRL,
    MSIX_ENABLE,
    MSIX_MASKALL,
    words_test,
)
from tests.conftest import totals
from tests.mech_helpers import desc_of, engine, evs, finish, is_, until

MOVE = """
name: f7
cpus: 4
kernel: {%s}
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 300us, do: fire, dev: d0, vector: 0}
"""


def test_before_6_6_the_first_interrupt_on_the_new_vector_sends_the_cleanup_ipi() -> None:
    eng = finish(engine(MOVE % "vector_cleanup: ipi"))
    ipis = [(e.cpu, e.fields["target"]) for e in evs(eng, "apic.ipi") if e.fields["vector"] == IRQ_MOVE_CLEANUP_VECTOR]
    assert ipis == [(2, 1)]
    assert not evs(eng, "timer.fire")


def test_from_6_6_a_timer_frees_the_old_vector_one_jiffy_later() -> None:
    eng = engine(MOVE % "vector_cleanup: timer")
    note = until(eng, lambda e: e.kind == "kernel" and e.fields["prog"] == "handle_edge_irq")
    assert note.cpu == 2 and "timer armed" in note.fields["what"]
    armed_at = note.time_ns
    fire = until(eng, is_("timer.fire"))
    assert fire.cpu == 1 and fire.time_ns == armed_at + 4_000_000        # HZ=250
    assert words_test(eng.w["cpus"][1]["alloc"], 0x20)                    # still held until the callback
    free = until(eng, is_("vector.free", cpu=1))
    assert free.fields["vector"] == 0x20 and not words_test(eng.w["cpus"][1]["alloc"], 0x20)
    finish(eng)
    assert not [e for e in evs(eng, "apic.ipi")]
    assert totals(eng, "d0")["delivered"] == 2


def test_from_6_6_vector_0x20_is_a_device_vector() -> None:
    eng = finish(engine(MOVE % "vector_cleanup: timer"))
    assert [(e.fields["vector"], e.fields["target"]) for e in evs(eng, "vector.assign", "d0")] == [(0x20, 1), (0x20, 2)]
    assert IRQ_MOVE_CLEANUP_VECTOR not in eng.w["cpus"][0]["vector_irq"]


LEAK = """
name: f7b
cpus: 4
kernel: {hotplug_force_complete: %s}
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 150us, do: fire, dev: d0, vector: 0}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 1}
"""


def test_before_6_10_a_move_away_from_the_dying_cpu_leaks_its_old_vector() -> None:
    """The irq now targets CPU2, its old vector 0x21 on CPU1 still awaits the cleanup (no
    interrupt on the new vector yet); migrate_one_irq skips it (not affine to CPU1), so nothing
    calls irq_force_complete_move() for it."""
    eng = engine(LEAK % "migrated")
    until(eng, is_("action.start", do="cpu_offline"))
    assert desc_of(eng, "d0")["move_in_progress"]
    finish(eng)
    d = desc_of(eng, "d0")
    assert d["prev_vector"] == 0x21 and words_test(eng.w["cpus"][1]["alloc"], 0x21)


def test_from_6_10_force_complete_frees_the_old_vector_of_the_dying_cpu() -> None:
    eng = finish(engine(LEAK % "involved"))
    d = desc_of(eng, "d0")
    assert d["prev_vector"] == 0 and not words_test(eng.w["cpus"][1]["alloc"], 0x21)
    free = [e for e in evs(eng, "vector.free", "d0")]
    assert [(e.cpu, e.fields["vector"], e.fields["target"]) for e in free] == [(1, 0x21, 1)]    # take_cpu_down, on CPU1


def test_fixup_irqs_waits_one_millisecond_before_the_irr_scan() -> None:
    eng = engine(LEAK % "involved")
    delay = until(eng, lambda e: e.kind == "kernel" and e.fields["prog"] == "fixup_irqs")
    off = until(eng, is_("cpu.offline"))
    assert off.time_ns - delay.time_ns == 1_000_000


LEGACY = """
name: f7c
cpus: 2
kernel: {msix_enable_first: %s, msix_masked_update: %s}
devices:
  n0: {bdf: "00:04.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, do: alloc_vectors, dev: n0, mode: msix, vectors: 2}
"""


def _sequence(eng) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = []
    for e in evs(eng, "cfg.write", "n0") + evs(eng, "msix.write", "n0") + evs(eng, "msix.read", "n0"):
        if e.kind == "cfg.write" and e.fields["offset"] == MSIX_CTRL:
            out.append((e.index, "ctrl", e.fields["value"] & (MSIX_ENABLE | MSIX_MASKALL)))
        elif e.kind == "msix.write" and e.fields["reg"] == "ctrl":
            out.append((e.index, f"mask{e.fields['entry']}", e.fields["value"] & ENTRY_MASKBIT))
        elif e.kind == "msix.write" and e.fields["reg"] == "data":
            out.append((e.index, f"msg{e.fields['entry']}", None))
        elif e.kind == "msix.read":
            out.append((e.index, f"read{e.fields['entry']}", None))
    return [x[1:] for x in sorted(out)]


def test_before_5_14_the_irqs_are_set_up_with_msix_disabled_and_the_used_entries_masked_after() -> None:
    eng = finish(engine(LEGACY % ("false", "false")))   # da181dc974ad came with 5.14 too
    assert _sequence(eng) == [
        ("ctrl", 0),                                   # MSI-X disabled while it is set up
        ("msg0", None), ("msg1", None),                # the irqs' messages (reservation: shutdown vector)
        ("ctrl", MSIX_ENABLE | MSIX_MASKALL),
        ("read0", None), ("mask0", 1), ("read1", None), ("mask1", 1),   # msix_program_entries
        ("ctrl", MSIX_ENABLE),
    ]


def test_from_5_14_msix_is_enabled_and_masked_first() -> None:
    eng = finish(engine(LEGACY % ("true", "true")))
    assert _sequence(eng) == [
        ("ctrl", MSIX_ENABLE | MSIX_MASKALL),
        ("read0", None), ("read1", None),
        ("msg0", None), ("msg1", None),
        ("mask0", 1), ("mask1", 1), ("mask2", 1), ("mask3", 1),         # msix_mask_all, late
        ("ctrl", MSIX_ENABLE),
    ]


def test_the_models_current_upstream_values_are_the_tables_defaults() -> None:
    """A world built without the behaviour table reads ``sw.CURRENT``: it must be the table's
    current-upstream default of every kernel row, and name no switch the table lacks."""
    from msidbg.behaviour import kernel as rows
    from msidbg.model.kernel import sw

    assert {r.name: r.default for r in rows.ROWS} == sw.CURRENT
