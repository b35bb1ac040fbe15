"""redteam17: held-out scenarios on new topologies and version boundaries (tests/heldout17/*.yaml), each
pinned to what the upstream source at the named release predicts, and the mechanisms they found wrong.
Each test of a fix failed on the code before it (see the report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end, scenario

HELD = Path(__file__).parent / "heldout17"


def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _done(eng, do: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.fields["result"] for e in events_of(eng, "action.done") if e.fields.get("do") == do]


def _notes(eng, prog: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.fields.get("what")) for e in events_of(eng, "kernel") if e.fields.get("prog") == prog]


def _acct(eng, dev: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    a = eng.w.acct[dev]
    return sum(a["raised"]), sum(a["delivered"]), sum(a["lost"])


# --- the IA32 syscall gate 0x80 is a system vector of the matrix (4.15+) ------------------------------------

def test_matrix_never_hands_out_the_ia32_syscall_vector() -> None:
    """arch/x86/kernel/idt.c: def_idts has SYSG(IA32_SYSCALL_VECTOR, ...) under CONFIG_IA32_EMULATION and
    idt_setup_traps() installs it with sys=true (set_bit(t->vector, system_vectors)); apic/vector.c
    lapic_assign_system_vectors() makes every bit of system_vectors a system vector of the matrix
    (irq_matrix_assign_system), and idt_setup_apic_and_irq_gates() gives 0x80 no irq entry. So 150 vectors
    pinned to CPU1 go 0x7f, 0x81: the model used to hand 0x80 to a device."""
    eng = run_to_end(scenario("""
        name: gate
        cpus: 2
        platform: {apic_routing: physical flat}
        kernel: {version: "6.6"}
        devices:
          big: {bdf: "00:03.0", kind: nic, msix: {table_size: 256}}
        run:
          - {at: 0, on: 0, do: probe, dev: big, mode: msix, vectors: 150, affinity: 1}
        """))
    vectors = [e.fields["vector"] for e in events_of(eng, "vector.assign")]
    assert len(vectors) == 150 and 0x80 not in vectors
    assert 0x7F in vectors and 0x81 in vectors


@pytest.mark.parametrize(("name", "refused", "note"), [
    # 6.6 (bdc1dad299bb: 0x20 is a device vector): CPU1 holds up to 202 (0x20..0xeb without 0x32, 0x80),
    # CPU0 one fewer (the timer's 0x30): 201 moves, 202 do not fit
    ("r06-unplug-boundary-k66-n201", False, ""),
    ("r06-unplug-boundary-k66-n202", True, "CPU 1 has 202 vectors, 201 available"),
    # 6.5: 0x20 is IRQ_MOVE_CLEANUP_VECTOR, a system vector: 201 / 200
    ("r06-unplug-boundary-k65-n200", False, ""),
    ("r06-unplug-boundary-k65-n201", True, "CPU 1 has 201 vectors, 200 available"),
])
def test_unplug_boundary_counts_the_system_vectors(name: str, refused: bool, note: str) -> None:
    """lapic_can_unplug_cpu(): 'if (avl < tomove) { pr_warn("CPU %u has %u vectors, %u available. Cannot
    disable CPU\\n", ...); ret = -ENOSPC; }' with tomove = irq_matrix_allocated() on CPU1 and avl =
    irq_matrix_available(m, true), CPU0's free vectors. With 0x80 allocatable the model let the 6.6/202
    and 6.5/201 offlines through (and piled 202 irqs into CPU0's 201 free vectors)."""
    eng = _run(name)
    assert _done(eng, "cpu_offline") == ([-28] if refused else [0])
    assert eng.w.cpus[1].online is refused
    cannot = [s for s in _notes(eng, "take_cpu_down") if "Cannot disable CPU" in s]
    assert cannot == ([f"lapic_can_unplug_cpu: {note}. Cannot disable CPU"] if refused else [])
    assert _acct(eng, "big") == (7, 7, 0)
