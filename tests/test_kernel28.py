"""kernel28: guest kernel leads decided from source (tests/kernel28/*.yaml, predictions in each file's about).

v01: LOCAL_TIMER_VECTOR -- FIRST_SYSTEM_VECTOR, the end of the vector matrix -- by release, read in
arch/x86/include/asm/irq_vectors.h: 0xee in 4.15 (a kernel.org 4.15 import), 0xed in 4.16 (a 4.16.13
tree), 0xec in 4.17 (a 4.17.0 tree) and after (``kernel.local_timer_vector``). On main every matrix
release before 6.10 ended at 0xec: 602 vectors on these 3 CPUs, so v01-k415 / v01-k41613 failed eth0's probe.
v02: a device message on vector 0xec: an unused device vector on 4.15, the local APIC timer's system
vector on 4.17 .. 6.5 (its handler frees no moved vector: the cleanup timer is bdc1dad299bb's, 6.6), the
cleanup timer's vector_cleanup_callback from 6.6. On main it ran vector_cleanup_callback on every release.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _events, _results

HERE = Path(__file__).parent / "kernel28"


@cache
def _run(name: str) -> Any:
    return run_to_end(load_scenario(str(HERE / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel28_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome its about predicts from the release's source."""
    assert headless.check(load_scenario(str(path))) == []


@pytest.mark.parametrize(("version", "value"), [
    ("4.14", "0xef"), ("4.15", "0xee"), ("4.15.18", "0xee"), ("4.16", "0xed"), ("4.16.13", "0xed"),
    ("4.17", "0xec"), ("4.18", "0xec"), ("6.9", "0xec"), (None, "0xec")])
def test_local_timer_vector_by_release(version: str | None, value: str) -> None:
    """The row follows the trees read: 4.13.9 0xef, 4.15.0 / 4.15.18 0xee, 4.16.13 0xed, 4.17.0 / 4.18.0 0xec."""
    assert resolve("bare-metal", kernel=version).plain("bare-metal")["local_timer_vector"] == value


def test_local_timer_vector_is_not_in_pv_worlds() -> None:
    """A PV guest has no x86 vector domain for its MSIs: the scoped row stays out of its world."""
    assert "local_timer_vector" not in resolve("xen-pv", kernel="4.16").plain("xen-pv")


def _assigned(eng: Any, dev: str) -> dict[int, tuple[int, int]]:
    """irq index -> (vector, CPU) of the last vector.assign of each of ``dev``'s irqs."""
    got = [e for e in _events(eng, "vector.assign") if e.dev == dev]
    base = min(e.fields["irq"] for e in got)
    return {e.fields["irq"] - base: (e.fields["vector"], e.fields["target"]) for e in got}


@pytest.mark.parametrize(("name", "count", "top", "probes"), [
    ("v01-exhaust-3cpu-k415", 605, 0xEC, [0, 0]),
    ("v01-exhaust-3cpu-k41613", 605, 0xEC, [0, -28]),
    ("v01-exhaust-3cpu-k417", 602, 0xEB, [-28, 0]),
])
def test_matrix_ends_below_the_releases_timer(name: str, count: int, top: int, probes: list[int]) -> None:
    """3 CPUs, 0x20 the cleanup IPI's: 203 / 202 / 201 device vectors a CPU on 4.15 / 4.16 / 4.17 (CPU0 one
    fewer, the timer's 0x30). 4.15: 605 fit with 3 to spare; 4.16: exactly 605; 4.17: the 603rd fails."""
    eng = _run(name)
    assert len([e for e in _events(eng, "vector.assign") if e.dev == "eth0"]) == count
    assert max(e.fields["vector"] for e in _events(eng, "vector.assign") if e.dev == "eth0") == top
    assert _results(eng, "probe") == probes


def test_415_devices_get_0xec_and_0xed() -> None:
    """4.15: entry 603 sits on CPU1's 0xec and the second NIC on CPU0's 0xed -- LOCAL_TIMER_VECTOR is 0xee --
    and both are handled by their device's handler (the vector_irq slot wins over any system use)."""
    eng = _run("v01-exhaust-3cpu-k415")
    assert _assigned(eng, "eth0")[603] == (0xEC, 1)
    assert _assigned(eng, "eth1")[0] == (0xED, 0)
    handled = [(e.cpu, e.dev, e.fields["index"]) for e in _events(eng, "irq.handler")]
    assert sorted(handled) == [(0, "eth1", 0), (1, "eth0", 600), (1, "eth0", 603)]
    assert not _events(eng, "irq.unhandled")


@pytest.mark.parametrize(("version", "kind", "detail"), [
    ("k415", "irq.unhandled", "No irq handler for vector"),
    ("k419", "irq.unhandled", "a system vector (its own IDT entry runs, not a device handler)"),
    ("k66", "kernel", ", which runs the local APIC timer interrupt"),
])
def test_a_message_on_0xec_by_release(version: str, kind: str, detail: str) -> None:
    """A hand-written Message Data 0xec: 4.15's common_interrupt finds VECTOR_UNUSED; 4.19's timer vector
    runs no cleanup (was vector_cleanup_callback's 'cleanup list is empty' note); 6.6's cleanup timer
    callback runs and finds nothing queued."""
    eng = _run(f"v02-raw-0xec-{version}")
    after = [e for e in _events(eng, "irq.unhandled", "kernel", "vector.free") if e.time_ns >= 2_000_000]
    assert [e.kind for e in after] == [kind]
    if kind == "irq.unhandled":
        assert after[0].fields == {"vector": 0xEC, "slot": "UNUSED", "signals": 1}
    else:
        assert after[0].fields["prog"] == "vector_cleanup_callback"
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    sep = "" if detail.startswith(",") else ": "
    assert lost == [f"eth0 vector 0: 1 signal(s) hit CPU1 vector 0xec{sep}{detail}"]


@pytest.mark.parametrize("version", ["k419", "k66"])
def test_fixup_irqs_retriggers_the_irr_bit_to_the_new_target(version: str) -> None:
    """v03 (reading kernel.hotplug.fixup-irr): two signals pending in CPU2's IRR when fixup_irqs scans it go to
    the irq's new CPU as one IPI (apic_retrigger_irq: apicd->cpu, apicd->vector) and are handled there together;
    CPU2 takes its own bit in the dying window and acks it without a message (VECTOR_RETRIGGERED, no signal)."""
    eng = _run(f"v03-irr-retrigger-{version}")
    after = [e for e in _events(eng, "irq.unhandled", "irq.handler") if e.time_ns >= 1_000_000]
    assert [(e.kind, e.cpu) for e in after] == [("irq.unhandled", 2), ("irq.handler", 1)]
    assert after[0].fields["slot"] == "RETRIGGERED" and after[0].fields["signals"] == 0
    assert after[1].fields["signals"] == 2
    assert not [h for h in eng.hits if h.name in ("irq-lost", "irq-spurious")]
