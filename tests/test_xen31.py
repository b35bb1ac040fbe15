"""xen31: leads left by xen30 / xenred30.

1. Xen 4.5 + native MSIs (APICv) + a Linux >= 4.15 guest loses every MSI-X signal. Not a model bug: it is what
   the named sources compose to (checked at the tags):
   - Linux 4.15+ reservation mode (kernel/irq/msi.c msi_check_reservation_mode, arch/x86/kernel/apic/vector.c
     x86_vector_activate -> vector_assign_managed_shutdown; read in a 4.18 tree): msix_capability_init writes
     the entry with MANAGED_IRQ_SHUTDOWN_VECTOR 0xef before MSI-X is enabled; the real vector is written at
     request_irq (irq_startup -> activate_reserved -> __pci_write_msi_msg, no mask around it).
   - qemu-xen-4.5.0 hw/xen/xen_pt_msi.c xen_pt_msix_update (MSI-X enable) binds the pirq with the 0xef message.
   - Xen RELEASE-4.5.0 (and RELEASE-4.5.5) arch/x86/msi.c startup_msi_irq -> unmask_msi_irq -> msi_set_mask_bit
     (desc, 0): pirq_guest_bind unmasks the PHYSICAL entry. RELEASE-4.6.0 keeps it guest-masked
     (msi_set_mask_bit(desc, 0, !!(desc->status & IRQ_GUEST))).
   - qemu-xen-4.5.0 pci_msix_write reads the physical Vector Control: unmasked with MSI-X enabled -> "Can't update
     msix entry %d since MSI-X is already enabled", the address/data write is dropped and the entry never
     becomes `updated`; qemu-xen-4.7.0-rc4's latched table latches it, but xen_pt_msix_update_one takes the latch
     only "when the entry is masked" -- the physical Vector Control it reads, which Xen 4.5 unmasked.
   - Xen RELEASE-4.5.0 vmx.c sets XEN_HVM_CPUID_APIC_ACCESS_VIRT (leaf 4), so a 4.19 guest's xen_hvm_msi_init
     keeps native MSIs: APICv itself plays no part in the loss (the vector does).
2. FIFO READY (see the tests below).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end

DIR = Path(__file__).resolve().parent / "xen31"
FILES = sorted(DIR.glob("*.yaml"))


def _run(prefix: str) -> Any:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    return run_to_end(load_scenario(str(path)))


def _events(eng: Any, kind: str) -> list[dict[str, Any]]:
    return [dict(e.fields) for e in eng.log.events(1, len(eng.log) + 1) if e.kind == kind]


def test_there_are_seven_files() -> None:
    assert len(FILES) == 7


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_expect_blocks(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_a01_x45_drops_request_irqs_message_and_injects_0xef() -> None:
    eng = _run("a01")
    hows = [(f["value"], f["how"]) for f in _events(eng, "qemu.msix_write")]
    # msix_capability_init: the reservation-mode message (0xef) is stored while MSI-X is off
    assert (239, "data stored") in hows
    # request_irq's message (vector 0x21) meets the physically unmasked entry: dropped, twice
    assert hows.count((33, "data dropped: MSI-X enabled and the entry unmasked")) == 2
    assert [f["how"] for f in _events(eng, "xen.pirq")] == ["vMSI: vector 0xef to CPU0"] * 5
    assert eng.w.xen["pirqs"][101]["gvec"] == 0xEF
    assert [f["vector"] for f in _events(eng, "irq.unhandled")] == [0xEF] * 5


def test_a02_q47_latches_but_the_physical_unmask_defers_it() -> None:
    eng = _run("a02")
    e = eng.w.qemu["devs"]["d0"]["msix"]["entries"][0]
    assert (e["latch"][2], e["data"]) == (33, 239)     # latched, never taken
    assert len(_events(eng, "qemu.bind_pirq")) == 2    # the unmask rebinds ... with the old message
    assert eng.w.xen["pirqs"][101]["gvec"] == 0xEF


def test_a03_x46_guest_mask_keeps_the_write_and_rebinds() -> None:
    eng = _run("a03")
    assert eng.w.xen["pirqs"][101]["gvec"] == 33
    assert [f["how"] for f in _events(eng, "xen.pirq")] == ["vMSI: vector 0x21 to CPU1"] * 5   # matrix_find_best_cpu: CPU1


# --- 2. FIFO READY --------------------------------------------------------------------------------------------
# Xen's evtchn_fifo_set_pending (RELEASE-4.4.0 / 4.13.0 / 4.19.0 common/event_fifo.c) marks the upcall only for
# a new head (!linked) whose queue's READY bit was clear (test_and_set_bit(q->priority, ...->ready)); the model
# (evtchn_abi.mark, inlined in evtchn.send) marks for a port linked to an empty queue and keeps no READY bit.
# They agree because Linux's __evtchn_fifo_handle_events (4.4, 4.18, 5.15 read) xchg's READY to 0 before it
# consumes and again after every event ('ready |= xchg(&control_block->ready, 0)'), so a head that set READY is
# never unlinked before READY is cleared: READY set implies a linked head, and a new head always finds it clear.


def test_f01_second_link_while_ready_set_marks_nothing() -> None:
    eng = _run("f01")
    assert eng.w.xen["abi"] == "fifo"
    assert [(f["port"], f["how"]) for f in _events(eng, "xen.pirq")] == [
        (1, "upcall to vCPU0"), (2, "pending: vCPU0's upcall already signalled"), (1, "upcall to vCPU0")]
    assert [f["port"] for f in _events(eng, "evtchn.clear")] == [1, 2, 1]


def test_f02_new_head_after_the_guest_cleared_ready_is_seen_by_the_running_pass() -> None:
    eng = _run("f02")
    assert [(f["port"], f["how"]) for f in _events(eng, "xen.pirq")] == [
        (1, "upcall to vCPU0"), (2, "pending: vCPU0's running upcall loops to it (global callback via)")]
    assert [f["vector"] for f in _events(eng, "apic.accept")].count(0xF3) == 1


class _Real:
    """Xen's queue with LINKED/LINK words and READY, and Linux's handle_events, one atomic step at a time."""

    def __init__(self) -> None:
        self.link: dict[int, int] = {}      # LINKED port -> its LINK (0: none)
        self.tail = self.cb_head = self.ready = 0
        self.local = self.qhead = 0         # the guest's local 'ready' and per-cpu q->head
        self.in_pass = self.xchg_next = False

    def set_pending(self, port: int) -> bool:
        if port in self.link:
            return False
        self.link[port] = 0
        linked = False
        if self.tail and self.tail in self.link and self.tail != port:   # evtchn_fifo_set_link: iff tail LINKED
            self.link[self.tail] = port
            linked = True
        if not linked:
            self.cb_head = port
        self.tail = port
        if linked:
            return False
        was, self.ready = self.ready, 1
        return not was

    def guest_step(self) -> int:
        """One step of the pass: start (xchg), consume one event, or the xchg after it; Xen may run between. Returns the port consumed."""
        if not self.in_pass:
            self.local, self.ready, self.in_pass = self.ready, 0, True
            return 0
        if self.xchg_next:                   # ready |= xchg(&control_block->ready, 0)
            self.local, self.ready, self.xchg_next = self.local | self.ready, 0, False
            return 0
        if not self.local:
            self.in_pass = False
            return 0
        port = self.qhead or self.cb_head
        nxt = self.link.pop(port)            # clear_linked
        if nxt == 0:
            self.local = 0
        self.qhead = nxt
        self.xchg_next = True
        return port


@pytest.mark.parametrize("seed", range(40))
def test_model_new_head_rule_equals_readys_test_and_set(seed: int) -> None:
    import random

    from msidbg.model import evtchn_abi

    rnd = random.Random(seed)
    real = _Real()
    x: dict[str, Any] = {"abi": "fifo", "fifo": [[]], "linked": {}, "ports": {p: {"pending": True, "masked": False}
                                                                             for p in range(1, 6)}}
    marks = 0
    for _ in range(400):
        if rnd.random() < 0.3:
            port = rnd.randrange(1, 6)
            got, want = evtchn_abi.mark(None, x, port, 0), real.set_pending(port)
            assert got == want
            marks += want
        else:
            port = real.guest_step()
            if port:
                assert evtchn_abi.fifo_consume(x, 0) == port
        assert x["fifo"][0] == _chain(real)
    assert marks >= 5


def _chain(real: _Real) -> list[int]:
    port, out = real.qhead or (real.cb_head if real.cb_head in real.link else 0), []
    while port:
        out.append(port)
        port = real.link[port]
    return out


# --- 3. kernel.actions.offline-cpu-waits retired ----------------------------------------------------------------
def test_offline_cpu_waits_is_retired_for_stopper_ioreq() -> None:
    """Its last case -- a task of the dying vCPU still waiting for a QEMU ioreq at take_cpu_down -- cannot happen:
    multi_cpu_stop waits for every stopper's ack, and a vCPU blocked in Xen on an ioreq acks only after QEMU's
    completion (kernel.hotplug.stopper-ioreq, xenred30)."""
    import msidbg.model.fidelity  # noqa: F401  (registers every reading)
    from msidbg.model import cite

    assert "kernel.actions.offline-cpu-waits" not in cite.READINGS
    assert cite.READINGS["kernel.hotplug.stopper-ioreq"].status == "confirmed"
