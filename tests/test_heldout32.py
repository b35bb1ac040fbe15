"""redteam32: held-out scenarios, bare metal and Xen (tests/heldout32/*.yaml; each prediction written from the named
releases' source before the file's first run -- commits 58a95a69 and the x21 / x22 one -- in its ``about:`` and
``expect:``; verdicts in tests/heldout32/PREDICTIONS.md).

Every file's expect block; per file the mechanism behind the totals -- which CPU / vCPU ran each handler, for which
vector index, in order -- so a regression in vector placement, a pending or immediate move, the fewest-channels
choice or an event channel rebind fails here even where the counts would not move; a few notes and results per
file (lazy disable and resend, the managed EIO / EPERM, the PV oops of 5.15.0, startup_pirq's clear). And the
crashes tests/combo31.py found (tests/heldout32/fuzz/, revision 20): each now runs to its end."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end
from tests.test_redteam21 import _events, _results

HELD = Path(__file__).parent / "heldout32"


@cache
def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _notes(eng, prog: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.fields["what"] for e in _events(eng, "kernel") if prog is None or e.fields["prog"] == prog]


@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout32_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (PREDICTIONS.md)."""
    assert headless.check(load_scenario(str(path))) == []


#: each handler run, in order: ``dev.index@cpu`` (vCPU on Xen) -- the predictions' placements
HANDLERS = {
    "b01-multifn-msix-msi-rebind-4cpu-k510":
        "eth0.0@1 eth0.1@2 d1.0@3 d1.0@3 eth0.0@1 eth0.1@2",
    "b02-unbind-signal-rebind-16cpu-k414":
        "eth0.0@0 eth0.0@0",
    "b03-three-way-intx-share-unbind-2cpu-k61":
        "eth0.0@1 usb0.0@1 d2.0@1 eth0.0@1",
    "b04-msix-then-intx-rebind-5cpu-k54":
        "eth0.1@2 eth0.0@1",
    "b05-nvme-managed-64cpu-vtd-offline8-online-k66":
        "nvme0.8@60 nvme0.1@7",
    "b06-lazy-disable-two-edges-1cpu-k49":
        "eth0.0@0",
    "b07-hint-pending-move-3cpu-k45":
        "eth0.0@0 eth0.0@2",
    "b08-hint-mask-pending-move-6cpu-k510":
        "eth0.0@1 eth0.0@4",
    "b09-d3hot-suspend-during-stream-4cpu-k515":
        "eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1",
    "b10-nvme-d3cold-doorbell-after-resume-2cpu-k419":
        "nvme0.1@0",
    "b11-pending-move-target-offlined-6cpu-k419":
        "eth0.0@1 eth0.0@1 eth0.0@5",
    "b12-amdvi-multimsi4-offline-online-12cpu-k515":
        "d0.2@5 d0.0@1 d0.1@2 d0.2@5 d0.3@4",
    "b13-flat-logical-move-8cpu-k61":
        "eth0.0@1 eth0.1@2 eth0.0@7",
    "b14-pending-move-survives-free-request-3cpu-k66":
        "eth0.0@1 eth0.0@2",
    "b15-intx-lazy-disable-level-6cpu-k510":
        "usb0.0@1",
    "b16-nvme-shared-admin-managed-eio-3cpu-k416":
        "nvme0.0@0 nvme0.2@2",
    "b17-nvme-pre-vector-admin-move-eperm-5cpu-k612":
        "nvme0.0@1 nvme0.0@4",
    "b18-remove-during-stream-4cpu-k517":
        "eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1 eth0.0@1",
    "b19-shared-intx-offline-online-2cpu-k66":
        "eth0.0@0 usb1.0@0 eth0.0@0",
    "b20-one-cpu-msix-msi-intx-nosync-k612":
        "eth0.0@0 eth0.1@0 eth0.2@0 eth0.3@0 d1.0@0 usb2.0@0 eth0.2@0",
    "x01-hvm-pirq-2l-x413-k510-pending-move-4vcpu":
        "n0.0@0 n0.0@2",
    "x02-hvm-pirq-fifo-x413-k511-fewest-channels-immediate-move":
        "n0.0@1 n0.0@3 n1.0@2",
    "x03-pv-fifo-x415-k515-unbind-signal-rebind":
        "n0.0@1",
    "x04-pv-fifo-x416-k61-free-signal-request-loses":
        "n0.0@1 n0.0@1",
    "x05-hvm-native-x419-k66-x2apic-move":
        "n0.0@1 n0.0@3",
    "x06-hvm-pirq-fifo-x414-k54-two-nics-one-vcpu-same-instant":
        "n0.0@0 n1.1@0 n0.1@0 n1.0@0 n0.0@0 n1.1@0 n0.1@0 n1.0@0",
    "x07-hvm-pirq-2l-x411-k419-offline-vcpu-with-moved-port":
        "n0.0@0 n0.0@1 n0.0@0",
    "x08-hvm-pirq-x46-k49-multi-msi-one-message":
        "d0.0@0 d0.0@0",
    "x09-hvm-pirq-x45-k515-emulated-nic-move":
        "",
    "x10-pv-fifo-x418-k66-vcpu-migrate-during-stream":
        "n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1",
    "x11-hvm-apicv-x415-k515-nvme-managed-offline-online":
        "nvme0.2@1",
    "x12-hvm-pirq-fifo-x410-k414-rebind-one-nic-other-streams":
        "n0.0@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n1.1@0 n0.0@0 n0.1@0 n0.2@0",
    "x13-pv-2l-x44-k44-pending-move-pre-mask-fix":
        "n0.0@0 n0.0@1",
    "x14-hvm-pirq-fifo-x417-k61-disable-enable-dynirq":
        "n0.0@1",
    "x15-hvm-pirq-2l-x412-k49-disable-enable-startup-loses":
        "n0.0@0",
    "x16-hvm-pirq-x46-k515-vcpu-migrate-stream-2vcpu":
        "n0.0@1 n0.0@1 n0.0@1 n0.0@1 n0.0@1",
    "x17-pv-2l-x411-k419-three-nics-offline-online":
        "n2.0@0 n2.0@2 n0.0@0 n1.0@0 n2.0@0",
    "x18-pv-fifo-x419-k612-offline-moved-port-fewest":
        "n0.0@1 n0.0@3 n0.0@0 n1.0@2",
    "x19-hvm-pirq-fifo-x416-k66-nomask-msi-and-msix-streams":
        "d0.0@1 n1.0@0 d0.0@1 n1.0@0 d0.0@1 n1.0@0 d0.0@1 n1.0@0 d0.0@1 n1.0@0",
    "x20-hvm-native-x420-k612-unbind-signal-rebind":
        "n0.1@2 n0.0@1",
    "x21-hvm-pirq-x47-k515-emulated-nic-move":
        "n0.0@1 n0.0@0",
    "x22-pv-fifo-x415-k5153-unbind-signal-rebind":
        "n0.0@1 n0.1@0",
}


@pytest.mark.parametrize("name", sorted(HANDLERS), ids=str)
def test_heldout32_handler_placement(name: str) -> None:
    eng = _run(name)
    got = " ".join(f"{e.dev}.{e.fields['index']}@{e.cpu}" for e in _events(eng, "irq.handler"))
    assert got == HANDLERS[name]


def test_every_file_has_a_placement_row() -> None:
    assert sorted(HANDLERS) == sorted(p.stem for p in HELD.glob("*.yaml"))


def test_b06_lazy_disable_one_run_for_two_edges() -> None:
    """4.9: the first edge parks (IRQS_PENDING, masked), the second waits in the PBA; enable_irq's unmask and
    check_irq_resend's IPI meet in one IRR bit: one handler run for both signals."""
    eng = _run("b06-lazy-disable-two-edges-1cpu-k49")
    assert [e.fields["signals"] for e in _events(eng, "irq.handler")] == [2]
    assert len(_events(eng, "irq.pending")) == 1 and len(_events(eng, "msi.held")) == 1
    assert len(_events(eng, "irq.resend")) == 1


def test_b15_level_irq_is_not_resent() -> None:
    """5.10: check_irq_resend leaves a level irq to the hardware; the unmask alone re-sends the asserted line."""
    eng = _run("b15-intx-lazy-disable-level-6cpu-k510")
    assert [e.fields["how"] for e in _events(eng, "irq.resend")] == [
        "level irq: not resent (the hardware resends while asserted)"]
    assert [e.fields["what"] for e in _events(eng, "ioapic.rte") if e.time_ns >= 2_000_000] == ["masked", "unmasked"]


def test_b16_b17_managed_affinity_errno_by_release() -> None:
    assert _results(_run("b16-nvme-shared-admin-managed-eio-3cpu-k416"), "set_affinity") == [-5]
    assert _results(_run("b17-nvme-pre-vector-admin-move-eperm-5cpu-k612"), "set_affinity") == [-1, 0]


def test_b09_b18_cut_offs() -> None:
    """The D3hot entry (b09) and the remove's mask then MSI-X disable (b18) cut the streams where predicted."""
    b09 = _run("b09-d3hot-suspend-during-stream-4cpu-k515")
    assert [e.time_ns // 1000 for e in _events(b09, "msi.dropped")] == [1250, 1300, 1350, 1400, 1450]
    b18 = _run("b18-remove-during-stream-4cpu-k517")
    assert [e.time_ns // 1000 for e in _events(b18, "msi.dropped")] == list(range(1110, 1200, 10))


def test_x03_pv_remove_oopses_on_5150_not_on_5153() -> None:
    """5.15.0: pci_msix_shutdown's unchecked mask write faults on the PV guest's read-only table; 5.15.3
    (9c8e9c9681a0) honours pci_msi_ignore_mask and the remove completes."""
    bad = _run("x03-pv-fifo-x415-k515-unbind-signal-rebind")
    assert any("BUG: unable to handle page fault" in w and "pci_msix_shutdown" in w for w in _notes(bad))
    assert _results(bad, "remove") == [-14] and _results(bad, "probe") == [0, -22]
    good = _run("x22-pv-fifo-x415-k5153-unbind-signal-rebind")
    assert not any("BUG:" in w for w in _notes(good))
    assert _results(good, "remove") == [0] and _results(good, "probe") == [0, 0]


def test_x09_x21_emulated_pirq_message_and_qemu_release() -> None:
    """qemu-xen-4.5.0 honours the emulated entry's mask (held in the PBA); qemu-xen 4.7 (428c3ece97) ignores it
    for a pirq message."""
    assert [e.fields["why"] for e in _events(_run("x09-hvm-pirq-x45-k515-emulated-nic-move"), "msi.held")] == [
        "PBA: entry masked", "PBA: entry masked"]
    assert _events(_run("x21-hvm-pirq-x47-k515-emulated-nic-move"), "msi.held") == []


def test_x13_kick_arrives_after_the_clear() -> None:
    """4.4.0 eoi_pirq: irq_move_irq's unmask kicks vCPU1, the clear comes first: one action, no replay."""
    eng = _run("x13-pv-2l-x44-k44-pending-move-pre-mask-fix")
    assert len(_events(eng, "xen.kick")) == 1
    assert [e.fields["signals"] for e in _events(eng, "irq.handler")] == [1, 1]


def test_x04_x15_startup_pirq_clears_the_pending_port() -> None:
    for name, lost in (("x04-pv-fifo-x416-k61-free-signal-request-loses", 1),
                       ("x15-hvm-pirq-2l-x412-k49-disable-enable-startup-loses", 2)):
        eng = _run(name)
        assert eng.w.acct["n0"]["lost"] == [lost], name


def test_small_files_are_deterministic() -> None:
    for name in ("b12-amdvi-multimsi4-offline-online-12cpu-k515", "x18-pv-fifo-x419-k612-offline-moved-port-fewest"):
        a = run_to_end(load_scenario(str(HELD / f"{name}.yaml")))
        b = run_to_end(load_scenario(str(HELD / f"{name}.yaml")))
        assert len(a.log) == len(b.log) and a.w.acct == b.w.acct, name


# --- the fuzzer's crashes (revision 20) --------------------------------------------------------------------------
FUZZ = HELD / "fuzz"


def test_fuzz_320242_restore_of_a_freed_msi_list_runs_on() -> None:
    """A failed second MSI enable (4.14.160) freed the list; pm_resume's __pci_restore_msi_state found no
    descriptor (IndexError before): it notes the use-after-free and writes no message."""
    eng = run_to_end(load_scenario(str(FUZZ / "combo31-320242.yaml")))
    assert any("use-after-free; msidbg writes no message" in w for w in _notes(eng, "pci_restore_msi"))


@pytest.mark.parametrize("seed", ["320748", "322509"])
def test_fuzz_leaked_irq_keeps_its_own_irte(seed: str) -> None:
    """4.19.90 VT-d: an irq a second MSI-X enable leaked is moved by a CPU offline; its IRTE is the one of its
    own allocation (IndexError in remap.irte_of before)."""
    eng = run_to_end(load_scenario(str(FUZZ / f"combo31-{seed}.yaml")))
    leaked = [d for d in eng.w.irqs.values() if d.get("irte") is not None]
    assert leaked
    for d in leaked:
        assert eng.w["iommu"]["irte"].get(d["irte"][0] + d["irte"][1]) is not None


def test_fuzz_324285_enable_of_an_irq_freed_under_it() -> None:
    """4.19.91: enable_irq on CPU27 meets CPU12's failed enable freeing every irq of the list (KeyError before)."""
    eng = run_to_end(load_scenario(str(FUZZ / "combo31-324285.yaml")))
    assert any("was freed under this call" in w for w in _notes(eng, "irq_startup"))


def test_b09_b10_d3_loss_chain_reaches_the_suspend() -> None:
    """`msidbg why` on a signal dropped out of D0 reaches the pm_suspend that took the function there (revision 20:
    the chain stopped at the signal)."""
    from msidbg.debugger import Session

    for name, state, power in (("b09-d3hot-suspend-during-stream-4cpu-k515", "D3hot", 3),
                               ("b10-nvme-d3cold-doorbell-after-resume-2cpu-k419", "D3cold", 4)):
        s = Session.from_scenario(str(HELD / f"{name}.yaml"))
        s.run()
        lost = next(h for h in s.hits() if h.name == "irq-lost")
        chain = s.why(lost).chain
        dev = "eth0" if name.startswith("b09") else "nvme0"
        assert [(lk.path, lk.value) for lk in chain[1:2]] == [(f"devices.{dev}.power", power)], name
        assert f"enters {state}" in chain[1].reason and chain[-1].path.startswith("actions["), name
