"""The x86 vector domain: matrix allocation, reservation, moves and cleanup."""

from msidbg.model.build import build_world
from msidbg.model.hw import MANAGED_IRQ_SHUTDOWN_VECTOR, VECTOR_SHUTDOWN, words_set
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.msi import new_desc
from tests.conftest import scenario
from tests.mech_helpers import MECH_ERA, pin

SCN = """
name: t
cpus: 3
devices:
  d: {bdf: "00:01.0", msix: {table_size: 1}}
"""


def world_and_desc(irq: int = 40):
    w = build_world(scenario(pin(SCN, **MECH_ERA)))
    d = new_desc(w, irq, "d", 0, "PCI-MSIX")
    w["irqs"][irq] = d
    return w, d


def test_boot_cpu_holds_legacy_vectors_so_first_msi_lands_elsewhere() -> None:
    w, d = world_and_desc()
    # (fidvec2) from 4.15 CPU0 keeps only the timer's ISA vector 0x30: one fewer free than the others
    assert vec.available(w, w["cpus"][0]) == vec.available(w, w["cpus"][1]) - 1
    vec.reserve(w, d)
    assert d["vector"] == MANAGED_IRQ_SHUTDOWN_VECTOR and d["cpu"] == 0
    assert vec.activate(w, d) == 0
    assert (d["vector"], d["cpu"]) == (0x21, 1)
    assert w["cpus"][1]["vector_irq"][0x21] == 40


def test_lowest_free_vector_on_the_least_loaded_cpu() -> None:
    w, _ = world_and_desc()
    words_set(w["cpus"][1]["alloc"], 0x21)
    assert vec.matrix_alloc(w, [1]) == (0x22, 1)
    assert vec.matrix_alloc(w, [0, 1, 2]) == (0x21, 2)


def test_move_keeps_old_vector_until_first_interrupt_on_new_cpu() -> None:
    w, d = world_and_desc()
    vec.reserve(w, d)
    vec.activate(w, d)
    assert vec.assign_vector_locked(w, d, [2]) == 0
    assert d["move_in_progress"] and (d["prev_vector"], d["prev_cpu"]) == (0x21, 1)
    assert w["cpus"][1]["vector_irq"][0x21] == 40      # old vector still routes to the irq
    assert vec.assign_vector_locked(w, d, [0]) == -16  # -EBUSY while the move is in progress
    assert not vec.complete_move(w, d, 0x21, 1)        # an interrupt on the OLD vector completes nothing
    assert vec.complete_move(w, d, d["vector"], 2)     # first one on the new vector and CPU does
    assert w["cpus"][1]["cleanup"] == [40]


def test_cleanup_waits_while_old_vector_is_pending_in_irr() -> None:
    w, d = world_and_desc()
    vec.reserve(w, d)
    vec.activate(w, d)
    vec.assign_vector_locked(w, d, [2])
    vec.complete_move(w, d, d["vector"], 2)
    cpu1 = w["cpus"][1]
    words_set(cpu1["irr"], 0x21)
    assert vec.cleanup_this_cpu(w, cpu1) == ([], True)
    cpu1["irr"] = [0] * 8
    assert vec.cleanup_this_cpu(w, cpu1) == ([0x21], False)
    assert 0x21 not in cpu1["vector_irq"] and not d["move_in_progress"]


def test_force_complete_move_frees_old_vector_on_dying_cpu() -> None:
    w, d = world_and_desc()
    vec.reserve(w, d)
    vec.activate(w, d)
    vec.assign_vector_locked(w, d, [2])
    assert vec.force_complete_move(w, d, dying=0) == 0   # old vector is not on the dying CPU
    assert vec.force_complete_move(w, d, dying=1) == 0x21
    assert 0x21 not in w["cpus"][1]["vector_irq"]


def test_deactivate_leaves_shutdown_sentinels_and_a_reservation() -> None:
    w, d = world_and_desc()
    vec.reserve(w, d)
    vec.activate(w, d)
    vec.assign_vector_locked(w, d, [2])
    new = d["vector"]
    freed = vec.deactivate(w, d)
    assert sorted(freed) == sorted([(new, 2), (0x21, 1)])
    assert w["cpus"][2]["vector_irq"][new] == VECTOR_SHUTDOWN
    assert w["cpus"][1]["vector_irq"][0x21] == VECTOR_SHUTDOWN
    assert d["has_reserved"] and d["vector"] == MANAGED_IRQ_SHUTDOWN_VECTOR
