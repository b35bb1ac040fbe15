"""redteam25: held-out bare-metal scenarios (tests/heldout25/*.yaml; predictions written from the named
releases' source before running msidbg: tests/heldout25/PREDICTIONS.md). Every file's expect block, and per
file the mechanism that separates its sides (which vector and CPU, which move tears, what the driver call
returns), so a regression in the mechanism fails here even where the totals would not move."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.model import hits
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _assigned, _cpus, _events, _results  # the same event queries

HELD = Path(__file__).parent / "heldout25"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout25_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


def test_a_raced_two_step_update_is_spurious_on_the_old_cpus_other_irq() -> None:
    """t28, 5.6: the signal probed between the local and the target redirect waits in the old CPU's IRR and is
    retriggered to the new CPU; its own message is still taken on the old CPU. Move 1: the slot was marked
    VECTOR_RETRIGGERED, swallowed; move 2: the NVMe admin irq has that vector on CPU1, its handler runs for
    nothing -- spurious for the xHCI (not lost). Before revision 15 nothing was counted or reported."""
    eng = _run("t28-plug-windows-probes-12cpu-k56")
    assert _assigned(eng, "xhci") == [(0x22, 2), (0x23, 1), (0x22, 9)]
    assert [e.fields["target"] for e in _events(eng, "apic.ipi") if e.dev == "xhci"] == [1, 9]
    assert [(e.cpu, e.fields["signals"]) for e in _events(eng, "irq.handler") if e.dev == "nvme0"] == [(1, 0)]
    a = eng.w.acct["xhci"]
    assert (a["delivered"], a["lost"], a["spurious"]) == ([7], [0], [1])
    assert sum(eng.w.acct["nvme0"]["spurious"]) == 0
    spur = [h for h in eng.hits if h.name == hits.IRQ_SPURIOUS]
    assert len(spur) == 1 and spur[0].detail.startswith("CPU1 vector 0x22: xhci vector 0's message stayed")
    assert all("retrig_irr" not in c for c in eng.w["cpus"])


@pytest.mark.parametrize("name", ["t01-torn-flat8-k55", "t02-torn-16cpu-k5418"])
def test_only_a_move_that_changes_the_vector_tears(name: str) -> None:
    """5.5 / 5.4.18 (plain update): the matrix gives the xHCI 0x22 on every CPU but CPU1 (the NVMe admin
    queue's 0x22 there): only the moves to and from CPU1 change the vector; each loses the 2 signals that
    arrive between the address-low and the data write."""
    eng = _run(name)
    moves = _assigned(eng, "xhci")
    changes = sum(1 for (v0, _), (v1, _) in zip(moves, moves[1:], strict=False) if v0 != v1)
    assert [c for _, c in moves] == [2, 5, 7, 1, 6, 3, 4, 6, 2] and changes == 2
    assert eng.w.acct["xhci"]["lost"] == [4] and eng.w.acct["xhci"]["spurious"] == [4]


def test_legacy_moves_change_the_vector_every_time() -> None:
    """t04, 4.14: __assign_irq_vector's cursor gives every move a new vector, so each of the 7 moves applied
    while the stream runs tears (2 signals each); CPU6's offline waits in stop_machine for CPU6 to leave
    hardirq, i.e. for the stream's end, and the last request finds no interrupt left to apply it."""
    eng = _run("t04-torn-legacy16-k414")
    moves = _assigned(eng, "xhci")
    assert [v for v, _ in moves] == [0xb1, 0xc1, 0xd1, 0xe1, 0x22, 0x42, 0x52, 0x62, 0x72]
    assert [c for _, c in moves] == [0, 5, 7, 8, 6, 3, 4, 6, 0]
    assert eng.w.acct["xhci"]["lost"] == [14]
    assert _events(eng, "cpu.offline")[0].time_ns > 1_300_000


def test_b56ebe7c896d_still_writes_a_nonmaskable_msi_directly() -> None:
    """t19: 6.6.2 and 6.6.3 run alike: b56ebe7c896d's test is '!irqd_can_reserve(irqd) ||' -> the direct
    write, and a non-maskable MSI has no reservation mode (its message says the opposite: the source wins)."""
    old, new = _run("t19-torn-stable-12cpu-k662"), _run("t19-torn-stable-12cpu-k663")
    assert old.w.acct["xhci"] == new.w.acct["xhci"] and new.w.acct["xhci"]["lost"] == [4]
    assert _assigned(new, "xhci") == [(0x21, 2), (0x22, 1), (0x21, 9)]
    assert not [e for e in _events(new, "kernel") if e.fields.get("prog") == "msi_set_affinity_plug"]


@pytest.mark.parametrize(("version", "cpus", "lost"), [("54141", [1] * 10, 20), ("54142", [2] * 30, 0)])
def test_the_affinity_before_startup_backport_on_three_cpus(version: str, cpus: list[int], lost: int) -> None:
    eng = _run(f"t07-unmasked-write-3cpu-k{version}")
    assert _cpus(eng, "eth0") == cpus and sum(eng.w.acct["eth0"]["lost"]) == lost
    assert _assigned(eng, "eth0") == [(0x21, 1), (0x21, 2)]


def test_the_latched_cpu_survives_another_cpus_offline() -> None:
    eng = _run("t06-unmasked-write-4cpu-offline2-k513")
    assert _cpus(eng, "eth0") == [1] * 30 and _assigned(eng, "eth0") == [(0x21, 1), (0x21, 0)]


def test_a_late_shared_request_reenables_the_spurious_disabled_line() -> None:
    """t09: __setup_irq clears IRQS_SPURIOUS_DISABLED for a new shared action; the USB handler claims the
    leftover and the NIC's doorbell is answered by its interrupt (no poll, no timeout)."""
    eng = _run("t09-nobody-cared-late-claim-k66")
    assert _results(eng, "doorbell") == [0] and _cpus(eng, "usb0") == [1]
    # the storm keeps CPU1 (irq 16's CPU) in hardirq: the USB probe pinned there runs once irq 16 is disabled
    cared = _events(eng, "irq.nobody_cared")
    probe = [e for e in _events(eng, "action.done") if e.fields["do"] == "probe" and e.dev == "usb0"]
    assert len(cared) == 1 and cared[0].time_ns < probe[0].time_ns and probe[0].fields["result"] == 0


@pytest.mark.parametrize(("version", "lost"), [("49280", 0), ("49281", 6), ("49294", 6)])
def test_marvell_on_49_stable(version: str, lost: int) -> None:
    """7d5ec3d36123 reached 4.9.281; 83dbf898a2d4 never reached 4.9 (4.9.294 has only 94185adbfad5)."""
    eng = _run(f"t11-marvell-12cpu-k{version}")
    assert sum(eng.w.acct["nvme0"]["lost"]) == lost
    assert _results(eng, "doorbell") == ([0] if lost == 0 else [-110])


def test_managed_queue_shut_down_and_restarted_nic_moved() -> None:
    eng = _run("t12-nvme16-nic16-offline4-k61")
    assert _cpus(eng, "nvme0") == [4, 4] and _cpus(eng, "eth0") == [5, 3]
    assert [(e.fields["vector"], e.fields["target"]) for e in _events(eng, "vector.assign")
            if e.fields["irq"] == 36] == [(0x21, 4), (0x21, 4)]
    legacy = _run("t13-nvme16-nic16-offline4-k414")
    assert _cpus(legacy, "nvme0") == [4, 4] and _cpus(legacy, "eth0") == [0, 0]


@pytest.mark.parametrize(("name", "lost"), [("t16-reqfree-loop-msix-k66", 0), ("t17-reqfree-loop-msix-k49", 0),
                                            ("t18-reqfree-loop-msi-nomask-k66", 2)])
def test_request_free_loops(name: str, lost: int) -> None:
    """MSI-X: the freed-time signal waits in the PBA and is sent at the next startup, on the same vector and
    CPU every round; plain MSI without a mask: msi_domain_deactivate's zero message sends it to address 0
    (4 CPUs on 6.6: flat logical, CPU1 is 0xfee02004)."""
    eng = _run(name)
    assert len(set(_assigned(eng, "eth0"))) == 1
    assert sum(eng.w.acct["eth0"]["lost"]) == lost
    if lost:
        assert [e.fields["addr"] for e in _events(eng, "msi.msg") if e.dev == "eth0"] == [0xfee02004, 0, 0xfee02004,
                                                                                         0, 0xfee02004]


def test_legacy_offline_window_retriggers_nothing_lost() -> None:
    eng = _run("t24-legacy-offline-irr-window-k414")
    cpus = _cpus(eng, "eth0")          # the first signal applies the deferred move on CPU0
    back = cpus.index(0, 1)
    assert cpus[0] == 0 and set(cpus[1:back]) == {5} and set(cpus[back:]) == {0}
    assert sum(eng.w.acct["eth0"]["delivered"]) == 302
    assert _assigned(eng, "eth0") == [(0x41, 0), (0x51, 5), (0x61, 0)]


def test_45_move_with_the_old_cpu_gone() -> None:
    """t27: x86 fixup_irqs skips an irq whose affinity is all online, so the move from CPU3 stays in
    progress; the completion's cleanup IPI finds no online CPU and CPU3's old vector is never freed."""
    eng = _run("t27-legacy-move-oldcpu-offline-k45")
    assert _cpus(eng, "eth0") == [0, 3, 3, 5, 5, 7]
    assert [(e.fields["vector"], e.fields["target"]) for e in _events(eng, "vector.free")] == [(0x41, 0), (0x61, 5)]


@pytest.mark.parametrize(("version", "cpus"), [("419140", [6, 6, 6]), ("419141", [6, 6, 6])])
def test_affinity_on_activate_at_419141(version: str, cpus: list[int]) -> None:
    # audit20: baedb87d1b53 reached 4.19.134 (releases/4.19.134/series); 4.19.141 brought only its x86 opt-in,
    # which changes nothing here -- t21-k419140's 'about' predicts the pre-4.19.134 path (see the test below)
    assert _cpus(_run(f"t21-affinity-before-request-12cpu-k{version}"), "eth0") == cpus


def test_affinity_before_request_before_4_19_134() -> None:
    """t21 on 4.19.133, the last release without baedb87d1b53: the pending move path its 'about' describes."""
    from msidbg.scenario import load_scenario_text

    text = (HELD / "t21-affinity-before-request-12cpu-k419140.yaml").read_text().replace(
        'version: "4.19.140"', 'version: "4.19.133"')
    assert _cpus(run_to_end(load_scenario_text(text, "t21.yaml")), "eth0") == [1, 6, 6]
