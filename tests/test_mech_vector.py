"""x86 vector domain mechanism: matrix allocation, reservation, moves, cleanup and release
(arch/x86/kernel/apic/vector.c), as pure functions and through request_irq / free_irq."""

from __future__ import annotations

from typing import Any

from msidbg.model import hits
from msidbg.model.build import build_world
from msidbg.model.hw import MANAGED_IRQ_SHUTDOWN_VECTOR, VECTOR_SHUTDOWN, words_set, words_test
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.msi import new_desc
from tests.conftest import scenario, totals
from tests.mech_helpers import MECH_ERA, desc_of, engine, evs, finish, is_, pin, until

World = dict[str, Any]
SCN = """
name: v
cpus: 4
devices:
  d: {bdf: "00:01.0", msix: {table_size: 2}}
"""


def world() -> World:
    return build_world(scenario(pin(SCN, **MECH_ERA)))


def desc(w: World, irq: int = 40) -> dict[str, Any]:
    d = new_desc(w, irq, "d", irq - 40, "PCI-MSIX")
    w["irqs"][irq] = d
    return d


def active(w: World, irq: int = 40) -> dict[str, Any]:
    d = desc(w, irq)
    vec.reserve(w, d)
    assert vec.activate(w, d) == 0
    return d


def alloc_bit(w: World, cpu: int, v: int) -> bool:
    return words_test(w["cpus"][cpu]["alloc"], v)


# --- the matrix allocator --------------------------------------------------------------------------
def test_device_range_size_and_the_boot_cpus_legacy_vectors() -> None:
    w = world()
    # (fidvec2) 0x32 (the PIC cascade) is a system vector everywhere; from 4.15 CPU0 keeps only the timer's 0x30;
    # (redteam17) so is 0x80, the IA32 syscall gate (idt.c def_idts, sys=true -> system_vectors)
    assert [vec.available(w, c) for c in w["cpus"]] == [0xEC - 0x21 - 3] + [0xEC - 0x21 - 2] * 3


def test_most_free_cpu_wins_ties_go_to_the_lowest_id_and_offline_cpus_are_skipped() -> None:
    w = world()
    assert vec.matrix_alloc(w, [0, 1, 2, 3]) == (0x21, 1)
    assert vec.matrix_alloc(w, [0, 1, 2, 3]) == (0x21, 2)      # CPU1 now has one fewer free
    assert vec.matrix_alloc(w, [1]) == (0x22, 1)                # the mask restricts the choice
    w["cpus"][3]["online"] = False
    assert vec.matrix_alloc(w, [3, 2]) == (0x22, 2)             # CPU3 offline, whatever its load
    assert vec.matrix_alloc(w, [3]) == (-vec.ENOSPC, -1)


def test_lowest_free_vector_fills_holes_and_the_range_runs_out() -> None:
    w = world()
    for v in range(0x21, 0xEC):
        words_set(w["cpus"][2]["alloc"], v)
    vec.matrix_free(w, 2, 0x40)
    assert vec.matrix_alloc(w, [2]) == (0x40, 2)
    assert vec.matrix_alloc(w, [2]) == (-vec.ENOSPC, -1)        # 0xEC and up are system vectors


# --- reservation and activation ----------------------------------------------------------------------
def test_reservation_targets_the_shutdown_vector_and_allocates_nothing() -> None:
    w = world()
    before = [vec.available(w, c) for c in w["cpus"]]
    d = desc(w)
    vec.reserve(w, d)
    assert (d["vector"], d["cpu"], d["has_reserved"]) == (MANAGED_IRQ_SHUTDOWN_VECTOR, 0, True)
    assert [vec.available(w, c) for c in w["cpus"]] == before
    assert vec.activate(w, d) == 0
    assert (d["vector"], d["cpu"], d["has_reserved"]) == (0x21, 1, False)
    assert not d["move_in_progress"] and d["prev_vector"] == 0   # leaving the reservation is no move
    assert w["cpus"][1]["vector_irq"][0x21] == 40 and alloc_bit(w, 1, 0x21)


def test_activation_honours_the_affinity_then_falls_back_to_any_online_cpu() -> None:
    w = world()
    d = desc(w)
    d["affinity"] = [3]
    vec.reserve(w, d)
    vec.activate(w, d)
    assert (d["vector"], d["cpu"]) == (0x21, 3)
    d2 = desc(w, 41)
    d2["affinity"] = [2]
    w["cpus"][2]["online"] = False
    vec.reserve(w, d2)
    vec.activate(w, d2)
    assert d2["cpu"] == 1                                        # affinity all offline: any online CPU


# --- moves ------------------------------------------------------------------------------------------------
def test_no_move_when_the_current_cpu_is_in_the_new_mask() -> None:
    w = world()
    d = active(w)
    avail = vec.available(w, w["cpus"][2])
    assert vec.assign_vector_locked(w, d, [2, 1]) == 0
    assert (d["vector"], d["cpu"], d["move_in_progress"]) == (0x21, 1, False)
    assert vec.available(w, w["cpus"][2]) == avail


def test_a_move_holds_both_vectors_until_the_cleanup_frees_the_old_one() -> None:
    w = world()
    d = active(w)
    assert vec.assign_vector_locked(w, d, [3]) == 0
    assert (d["vector"], d["cpu"], d["prev_vector"], d["prev_cpu"]) == (0x21, 3, 0x21, 1)
    assert alloc_bit(w, 1, 0x21) and alloc_bit(w, 3, 0x21)
    assert w["cpus"][1]["vector_irq"][0x21] == 40 and w["cpus"][3]["vector_irq"][0x21] == 40
    assert not vec.complete_move(w, d, 0x21, 1)        # an interrupt on the old CPU completes nothing
    assert vec.complete_move(w, d, 0x21, 3)
    assert not vec.complete_move(w, d, 0x21, 3)        # only the first one sends the cleanup
    assert d["cleanup_pending"] and w["cpus"][1]["cleanup"] == [40]
    assert alloc_bit(w, 1, 0x21)                       # still held until the IPI is handled there
    assert vec.assign_vector_locked(w, d, [2]) == -16  # -EBUSY while the cleanup is outstanding
    assert vec.cleanup_this_cpu(w, w["cpus"][1]) == ([0x21], False)
    assert not alloc_bit(w, 1, 0x21) and 0x21 not in w["cpus"][1]["vector_irq"]
    assert (d["prev_vector"], d["cleanup_pending"], w["cpus"][1]["cleanup"]) == (0, False, [])
    assert vec.assign_vector_locked(w, d, [2]) == 0 and d["cpu"] == 2


def test_a_move_away_from_an_offline_cpu_frees_the_old_vector_at_once() -> None:
    w = world()
    d = active(w)
    w["cpus"][1]["online"] = False
    assert vec.assign_vector_locked(w, d, [2]) == 0
    assert not d["move_in_progress"] and d["prev_vector"] == 0
    assert not alloc_bit(w, 1, 0x21)


def test_cleanup_retries_only_the_vector_still_pending_in_irr() -> None:
    w = world()
    a, b = active(w, 40), active(w, 41)                  # CPU1 0x21 and CPU2 0x21
    vec.assign_vector_locked(w, b, [1])                  # b: CPU2 -> CPU1 0x22
    vec.assign_vector_locked(w, a, [2])                  # a: CPU1 -> CPU2 0x22
    vec.complete_move(w, a, a["vector"], 2)
    assert vec.assign_vector_locked(w, b, [3]) == -16    # b's own move is still in progress
    vec.complete_move(w, b, b["vector"], 1)
    cpu2 = w["cpus"][2]
    assert cpu2["cleanup"] == [41]
    words_set(cpu2["irr"], 0x21)                         # b's old vector still pending on CPU2
    assert vec.cleanup_this_cpu(w, cpu2) == ([], True)
    assert alloc_bit(w, 2, 0x21) and cpu2["vector_irq"][0x21] == 41 and cpu2["cleanup"] == [41]
    cpu1 = w["cpus"][1]
    assert vec.cleanup_this_cpu(w, cpu1) == ([0x21], False)   # a's old vector goes regardless
    cpu2["irr"] = [0] * 8
    assert vec.cleanup_this_cpu(w, cpu2) == ([0x21], False)


def test_force_complete_move_frees_the_old_vector_only_when_the_dying_cpu_is_involved() -> None:
    w = world()
    d = active(w)
    vec.assign_vector_locked(w, d, [3])                  # CPU1 -> CPU3, in progress
    assert vec.force_complete_move(w, d, dying=2) == 0 and d["prev_vector"] == 0x21
    assert vec.force_complete_move(w, d, dying=1) == 0x21
    assert not alloc_bit(w, 1, 0x21) and 0x21 not in w["cpus"][1]["vector_irq"]
    assert not d["move_in_progress"]


def test_force_complete_move_when_the_irq_moved_onto_the_dying_cpu() -> None:
    """irq_force_complete_move frees prev_vector when the irq is *currently* on the outgoing
    CPU too (apicd->cpu == cpu): otherwise migrate_one_irq would get -EBUSY and strand it."""
    w = world()
    d = active(w)
    vec.assign_vector_locked(w, d, [3])                  # CPU1 -> CPU3, in progress
    assert vec.force_complete_move(w, d, dying=3) == 0x21
    assert not alloc_bit(w, 1, 0x21) and not d["move_in_progress"]
    assert vec.assign_vector_locked(w, d, [2]) == 0 and d["cpu"] == 2


# --- release -----------------------------------------------------------------------------------------------
def test_deactivate_during_a_queued_cleanup_releases_both_vectors_and_dequeues() -> None:
    w = world()
    d = active(w)
    vec.assign_vector_locked(w, d, [3])
    vec.complete_move(w, d, 0x21, 3)
    assert w["cpus"][1]["cleanup"] == [40]
    assert sorted(vec.deactivate(w, d)) == [(0x21, 1), (0x21, 3)]
    assert w["cpus"][1]["cleanup"] == [] and not d["cleanup_pending"]
    assert not alloc_bit(w, 1, 0x21) and not alloc_bit(w, 3, 0x21)
    assert w["cpus"][1]["vector_irq"][0x21] == VECTOR_SHUTDOWN == w["cpus"][3]["vector_irq"][0x21]
    assert d["has_reserved"] and d["vector"] == MANAGED_IRQ_SHUTDOWN_VECTOR


def test_a_never_reservable_irq_keeps_its_vector_over_deactivate() -> None:
    w = world()
    d = desc(w)
    assert vec.assign_any(w, d) == 0                     # non-maskable MSI: vector at allocation
    assert vec.deactivate(w, d) == [] and d["vector"] == 0x21 and alloc_bit(w, 1, 0x21)


# --- through the kernel programs ---------------------------------------------------------------------------
KERNEL = """
name: vk
cpus: 2
devices:
  n0: {bdf: "00:04.0", msix: {table_size: 1}}
  x0: {bdf: "00:14.0", msi: {vectors: 1}}
  r0: {bdf: "00:05.0", msix: {table_size: 1}}
run:
%s
"""


def test_msix_gets_a_reservation_at_allocation_and_its_vector_at_request_irq() -> None:
    eng = engine(KERNEL % """  - {at: 0, on: 0, do: alloc_vectors, dev: n0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: request_irq, dev: n0, vector: 0}""")
    until(eng, is_("action.done", do="alloc_vectors"))
    entry = eng.w["devices"]["n0"]["msix"]["table"][0]
    assert (entry["addr_lo"], entry["data"], entry["ctrl"]) == (0xFEE00000, MANAGED_IRQ_SHUTDOWN_VECTOR, 1)
    assert not evs(eng, "vector.assign") and [vec.available(eng.w, c) for c in eng.w["cpus"]] == [200, 201]
    finish(eng)
    assert [(e.fields["vector"], e.fields["target"]) for e in evs(eng, "vector.assign")] == [(0x21, 1)]
    assert (entry["addr_lo"], entry["data"], entry["ctrl"]) == (0xFEE01000, 0x21, 0)


def test_non_maskable_msi_gets_its_vector_at_allocation() -> None:
    eng = engine(KERNEL % "  - {at: 0, on: 0, do: alloc_vectors, dev: x0, mode: msi, vectors: 1}")
    finish(eng)
    assert [(e.fields["vector"], e.fields["target"]) for e in evs(eng, "vector.assign")] == [(0x21, 1)]
    assert eng.w["devices"]["x0"]["msi"]["data"] == 0x21 and not evs(eng, "irq.request")


def test_free_irq_releases_the_vector_leaves_shutdown_and_the_next_irq_reuses_it() -> None:
    eng = engine(KERNEL % """  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: free_irq, dev: n0, vector: 0}
  - {at: 200us, on: 0, do: probe, dev: x0, mode: msi, vectors: 1}""")
    until(eng, is_("vector.free", "n0"))
    w = eng.w
    e = evs(eng, "vector.free", "n0")[-1]
    assert (e.fields["vector"], e.fields["target"]) == (0x21, 1)
    assert not words_test(w["cpus"][1]["alloc"], 0x21) and w["cpus"][1]["vector_irq"][0x21] == VECTOR_SHUTDOWN
    entry = w["devices"]["n0"]["msix"]["table"][0]
    assert (entry["addr_lo"], entry["data"], entry["ctrl"]) == (0, 0, 1)   # masked, message zeroed
    assert desc_of(eng, "n0")["vector"] == MANAGED_IRQ_SHUTDOWN_VECTOR
    finish(eng)
    assert (desc_of(eng, "x0")["vector"], desc_of(eng, "x0")["cpu"]) == (0x21, 1)
    assert w["cpus"][1]["vector_irq"][0x21] == desc_of(eng, "x0")["irq"]


def test_a_shutdown_slot_swallows_one_hit_silently_then_reports_no_handler() -> None:
    eng = engine(KERNEL % """  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: free_irq, dev: n0, vector: 0}
  - {at: 200us, on: 0, do: write, dev: r0, target: config, offset: 4, value: 6, size: 2}
  - {at: 200us, on: 0, do: write, dev: r0, target: msix-table, offset: 0, value: 0xfee01000}
  - {at: 200us, on: 0, do: write, dev: r0, target: msix-table, offset: 8, value: 0x21}
  - {at: 200us, on: 0, do: write, dev: r0, target: config, offset: 0x72, value: 0x8000, size: 2}
  - {at: 200us, on: 0, do: write, dev: r0, target: msix-table, offset: 12, value: 0}
  - {at: 300us, do: fire, dev: r0, vector: 0}""")
    until(eng, is_("irq.unhandled"))
    e = evs(eng, "irq.unhandled")[0]
    assert (e.cpu, e.fields["vector"], e.fields["slot"], e.fields["signals"]) == (1, 0x21, "SHUTDOWN", 1)
    assert hits.IRQ_SPURIOUS not in {h.name for h in eng.hits}
    assert 0x21 not in eng.w["cpus"][1]["vector_irq"]               # back to UNUSED
    eng.schedule(eng.now, "fire", "r0", 0, 1, 0)
    e = until(eng, is_("irq.unhandled"))
    assert e.fields["slot"] == "UNUSED" and hits.IRQ_SPURIOUS in {h.name for h in eng.step_hits + eng.hits}
    finish(eng)
    assert totals(eng, "r0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 1}
