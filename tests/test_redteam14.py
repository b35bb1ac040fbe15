"""redteam14: held-out bare-metal scenarios (tests/heldout/*.yaml) against the upstream source, and the
mechanisms they found missing. Each test of a fix failed on the code before it (see the report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import events_of, run_to_end, scenario

HELD = Path(__file__).parent / "heldout"


def _value(name: str, version: str) -> object:
    return bh.at(bh.by_name()[name], bh.parse_kernel(version))[0]


def _done(eng, do: str) -> list[int]:
    return [e.fields["result"] for e in events_of(eng, "action.done") if e.fields.get("do") == do]


def _notes(eng, prog: str) -> list[str]:
    return [str(e.fields.get("what")) for e in events_of(eng, "kernel") if e.fields.get("prog") == prog]


PINNED = """
name: unplug-enospc
cpus: 2
kernel: {{version: "{version}"}}
devices:
  big: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 256}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: big, mode: msix, vectors: {n}, affinity: 1}}
  - {{at: 5ms, do: fire, dev: big, vector: {last}, count: 3, every: 5us}}
  - {{at: 5010us, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 6ms, do: fire, dev: big, vector: {last}, count: 2, every: 5us}}
"""


@pytest.mark.parametrize("version", ["5.10", "6.1", "6.12"])
def test_offline_refused_when_the_other_cpus_cannot_take_its_vectors(version: str) -> None:
    """arch/x86/kernel/apic/vector.c lapic_can_unplug_cpu() (called first by native_cpu_disable, in
    take_cpu_down; 5.8+ places a stored affinity at activation): CPU1 holds every vector it has (201 before 6.6's
    timer cleanup frees 0x20, 202 after; 0x32, the PIC cascade, and 0x80, the IA32 syscall gate, are system
    vectors: redteam17), CPU0 one fewer free (the
    timer's 0x30: from 4.15 the other ISA vectors are freed, fidvec2), so 'CPU 1 has N vectors, M available.
    Cannot disable CPU' and
    -ENOSPC: nothing moves, CPU1 stays online and keeps its irqs. The model used to migrate what fitted,
    leave the last irq on the offline CPU and lose its interrupts."""
    n = 202 if version == "6.12" else 201
    eng = run_to_end(scenario(PINNED.format(version=version, n=n, last=n - 1)))
    assert _done(eng, "cpu_offline") == [-28]
    assert any("Cannot disable CPU" in s for s in _notes(eng, "take_cpu_down"))
    assert eng.w.cpus[1].online
    assert not events_of(eng, "cpu.offline")
    assert not [e for e in events_of(eng, "vector.assign") if e.time_ns >= 5_010_000]
    acct = eng.w.acct["big"]
    assert sum(acct["lost"]) == 0 and sum(acct["delivered"]) == 5
    # the same machine with 150 vectors on CPU1: the check passes, fixup_irqs moves them all to CPU0
    eng = run_to_end(scenario(PINNED.format(version=version, n=150, last=149)))
    assert _done(eng, "cpu_offline") == [0]
    assert not eng.w.cpus[1].online
    assert sum(eng.w.acct["big"]["lost"]) == 0


@pytest.mark.parametrize(("version", "value"), [
    ("6.6", False), ("6.6.2", True), ("6.7", True), ("6.1.62", False), ("6.1.63", True),
    ("5.4.260", False), ("5.4.261", True), ("4.19.298", False), ("4.19.299", True), ("4.15", False)])
def test_a0b0bad10587_releases(version: str, value: bool) -> None:
    """stable-queue releases/{4.19.299,5.4.261,6.1.63,6.6.2}/series list the backport of a0b0bad10587."""
    assert _value("unplug_excludes_managed", version) is value


def test_managed_vectors_counted_before_a0b0bad10587() -> None:
    """kernel/irq/matrix.c irq_matrix_allocated(): 'return cm->allocated;' before a0b0bad10587, then
    'cm->allocated - cm->managed_allocated'. CPU1 holds three admin vectors and three managed I/O queue
    vectors, CPU0 has 3 free (4 before redteam17 took 0x80 out of the matrix): 6 > 3 refuses the offline on 6.6; 6.6.2 counts 3 and goes on (the managed
    irqs of CPU1's mask are shut down, the admin vectors move)."""
    for version, refused in (("6.6", True), ("6.6.2", False)):
        text = (HELD / "h28-unplug-managed.yaml").read_text().replace('version: "6.6"', f'version: "{version}"')
        eng = run_to_end(scenario(text))
        assert _done(eng, "cpu_offline") == ([-28] if refused else [0])
        assert eng.w.cpus[1].online is refused
        note = [s for s in _notes(eng, "take_cpu_down") if "Cannot disable" in s]
        assert note == (["lapic_can_unplug_cpu: CPU 1 has 6 vectors, 3 available. Cannot disable CPU"]
                        if refused else [])


def test_legacy_offline_refused_by_check_irq_vectors_for_cpu_disable() -> None:
    """arch/x86/kernel/irq.c (4.x) check_irq_vectors_for_cpu_disable(), native_cpu_disable's first call before
    the matrix allocator: eight irqs on CPU1 whose affinity is {1} (this_count 8) against CPU0's two free
    vectors -- 'CPU 1 disable failed: CPU has 8 vectors assigned and there are only 1 available.', -ERANGE,
    nothing moves. The model used to move what fitted and leave the rest on the offline CPU. (Only 1: CPU0's
    0x32 is the PIC cascade's, irq 2's on every CPU before 4.15 -- redteam20, reading
    kernel.vector.legacy-cascade; this test said 2.)"""
    eng = run_to_end(scenario((HELD / "h29-legacy-unplug.yaml").read_text()))
    assert _done(eng, "cpu_offline") == [-34]
    assert [s for s in _notes(eng, "take_cpu_down") if "disable failed" in s] == [
        "check_irq_vectors_for_cpu_disable: CPU 1 disable failed: CPU has 8 vectors assigned and there are only "
        "1 available."]
    assert eng.w.cpus[1].online
    assert sum(eng.w.acct["eth1"]["lost"]) == 0 and sum(eng.w.acct["eth1"]["delivered"]) == 9


def test_enable_irq_on_a_shut_down_managed_irq_warns() -> None:
    """kernel/irq/chip.c __irq_startup_managed(): 'if (WARN_ON_ONCE(force)) return IRQ_STARTUP_ABORT;' -- the
    comment: 'Catch code which fiddles with enable_irq() on a managed and potentially shutdown IRQ'.
    __enable_irq calls irq_startup(desc, IRQ_RESEND, IRQ_START_FORCE): on 6.15 the driver's enable_irq of an
    nvme queue whose only CPU is offline is such a call (a WARN splat; the irq stays shut down until the CPU
    returns). The model named only the abort."""
    eng = run_to_end(scenario((HELD / "h17-managed-disable.yaml").read_text()))
    notes = _notes(eng, "irq_startup")
    assert len(notes) == 1 and notes[0].startswith("WARN_ON_ONCE(force)")


@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout_scenario_outcomes(path: Path) -> None:
    """The held-out scenarios' expect: blocks: the outcomes read from the source at each release (the
    redteam14 report's table): the 2020 tear of a non-maskable 32-bit MSI on 6.1.65, 6.1.66 and 6.7
    (b56ebe7c896d writes such an irq directly), AMD-Vi's pre-e52d58d54a32 window on 5.4.60 and not on
    5.4.68, multi-MSI under VT-d and AMD-Vi, the pre-f3b0946d629c zero message of a latch-on-enable device,
    vector exhaustion at probe and in a move, offline refusals, INTx moves and hotplug."""
    assert headless.check(load_scenario(str(path))) == []


def test_a_vector_moved_away_from_the_outgoing_cpu_leaks_before_a6c11c0a5235() -> None:
    """h14: eth0 moves CPU4 -> CPU6 (no interrupt on the new vector yet: move in progress) and CPU4 goes
    offline. Before a6c11c0a5235 (6.10) irq_force_complete_move ran only for irqs migrated off the outgoing
    CPU, so the old vector stays allocated in CPU4's matrix map; from 6.10 it is freed."""
    alloc = {}
    for version in ("6p9", "6p10"):
        eng = run_to_end(scenario((HELD / f"h14-forcecomplete-{version}.yaml").read_text()))
        alloc[version] = eng.w.cpus[4].alloc[1]        # the word of vector 0x20
    assert alloc == {"6p9": 1, "6p10": 0}
