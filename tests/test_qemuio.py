"""qemuio: a Xen HVM guest's read of a register QEMU emulates is an ioreq, served in turn.

qemu-xen xen-hvm.c (hw/xen/xen-hvm-common.c later) cpu_handle_ioreq -> cpu_get_ioreq serves one
vCPU's request at a time; Xen's hvmemul_do_io sends a read to QEMU like a write (hvm_send_ioreq),
the vCPU waits (hvm_wait_for_io) and the instruction is emulated again once the response is ready
(STATE_IORESP_READY). So a read queued behind another vCPU's write sees that write, and the
reading vCPU runs no guest code -- takes no interrupt -- until QEMU has answered. Reads Xen answers
itself (msixtbl_read for a bound entry) do not queue.
"""

from __future__ import annotations

from msidbg.model import xencite
from msidbg.model.cite import READINGS
from tests.conftest import events_of, new_engine, run_to_end, scenario

RACE = """
name: qemuio-race
cpus: 2
platform: {kind: xen-hvm, xen: "4.14"}
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}
  - {at: 1us, on: 1, do: probe, dev: eth0, mode: msix, vectors: 2}
"""


def test_a_read_queued_behind_another_vcpus_write_sees_it() -> None:
    """CPU0's Command write (Memory Space off) is in QEMU's queue when CPU1's pci_enable_device reads
    Command: QEMU answers the read after the write, with Memory Space clear, so CPU1 turns it back on
    (before, the read was answered at once with the old value and no write followed: the probe went on
    with QEMU's table unmapped)."""
    eng = run_to_end(scenario(RACE))
    reads = [e for e in events_of(eng, "qemu.cfg_read") if e.fields["reg"] == "cmd"]
    assert reads and reads[0].fields["value"] & 0x2 == 0
    writes = [(e.cpu, e.fields["value"]) for e in events_of(eng, "ioreq.cfg_write") if e.fields["offset"] == 4]
    assert writes[:2] == [(0, 0x4), (1, 0x6)]
    qemu_order = [(e.kind, e.fields.get("value")) for e in eng.log.events(1, len(eng.log) + 1)
                  if e.kind in ("qemu.cfg_write", "qemu.cfg_read") and e.dev == "eth0"][:3]
    assert qemu_order == [("qemu.cfg_write", 0x4), ("qemu.cfg_read", reads[0].fields["value"]), ("qemu.cfg_write", 0x6)]
    assert eng.w["qemu"]["devs"]["eth0"]["cmd"] & 0x2     # the table is mapped again for the probe


def test_the_reading_vcpu_waits_for_qemus_answer_and_takes_no_interrupt() -> None:
    """While CPU1's read is queued its process context waits with interrupts off (the vCPU runs no
    guest code); it resumes only after QEMU's answer, and its interrupts are as they were."""
    eng = new_engine(scenario(RACE))
    seen = None
    while eng.step():
        proc = eng.w["cpus"][1]["proc"]
        if proc["wait"] is not None and "ioreq" in proc["wait"] and events_of(eng, "ioreq.cfg_read"):
            seen = (proc["irqs_off"], proc["wait"]["irqs_off"], eng.w["qemu"]["queue"] or eng.w["qemu"]["serving"])
            break
    assert seen is not None, "CPU1 never waited for a read"
    assert seen[0] is True and seen[1] is False and seen[2]
    trap = events_of(eng, "ioreq.cfg_read")[0]
    eng2 = run_to_end(scenario(RACE))
    answer = next(e for e in events_of(eng2, "qemu.cfg_read") if e.index > trap.index)
    # CPU1's next event after its trap comes after QEMU's answer
    nxt = next(e for e in eng2.log.events(trap.index + 1, len(eng2.log) + 1) if e.cpu == 1)
    assert nxt.index > answer.index and nxt.time_ns >= answer.time_ns + eng2.w["costs"]["trap"]
    assert eng2.w["cpus"][1]["proc"]["irqs_off"] is False


NATIVE = RACE.replace('xen: "4.14"', 'xen: "4.19"')


def test_msix_table_reads_go_through_qemus_queue() -> None:
    """A guest with native MSIs (Xen 4.19: no hvm pirqs) reads each entry's Vector Control in
    msix_setup_msi_descs before Xen covers the entry: a trap on the vCPU, then QEMU's answer, and the
    kernel caches the answer (QEMU's zero-filled table)."""
    eng = run_to_end(scenario(NATIVE))
    traps = [e.index for e in events_of(eng, "ioreq.msix_read")]
    answers = [(e.index, e.fields["value"]) for e in events_of(eng, "qemu.msix_read")]
    assert len(traps) == len(answers) == 2
    assert all(t < a for t, (a, _) in zip(traps, answers, strict=True))
    assert [v for _, v in answers] == [0, 0]


def test_both_readings_are_settled() -> None:
    assert xencite.QEMU_ONE_IOREQ in READINGS["qemu.reads-queued"].sources
    assert "qemu.reads-at-once" not in READINGS
    assert READINGS["qemu.reads-queued"].status == "confirmed"
    assert "queues neither" in READINGS["qemu.emulated-register-access"].text


MOVE = """
name: qemuio-irq-read
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
kernel: {version: "6.6"}
devices:
  xhci: {bdf: "00:04.0", kind: xhci, passthrough: true, msi: {per_vector_mask: false}}
run:
  - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 1ms, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 1}
  - {at: 1200us, do: fire, dev: xhci, vector: 0, count: 3, every: 50us}
"""


def test_a_read_from_hardirq_waits_in_the_interrupt_context() -> None:
    """A native-MSI guest's pending move is applied by the next interrupt's ack (irq_move_irq ->
    msi_set_affinity -> __pci_write_msi_msg), which first reads Message Control to rewrite Multiple
    Message Enable: from hardirq the read is a trapped read too, the interrupt context waits for
    QEMU's answer (the CPU runs nothing meanwhile) and the step runs again with it."""
    eng = new_engine(scenario(MOVE))
    waited = False
    while eng.step():
        irq = eng.w["cpus"][1]["irq"]
        q = eng.w["qemu"]
        pending = [r for r in [*q["queue"], q["serving"]] if r is not None and r.get("read") and r["cpu"] == 1]
        if irq["wait"] is not None and irq["stack"] and irq["stack"][-1]["prog"] == "pci_write_msi_msg" and pending:
            waited = waited or pending[0].get("in_irq", False)
    assert waited
    trap = next(e for e in events_of(eng, "ioreq.cfg_read") if e.cpu == 1 and e.fields["reg"] == "msi_ctrl")
    answer = next(e for e in events_of(eng, "qemu.cfg_read") if e.index > trap.index)
    nxt = next(e for e in eng.log.events(trap.index + 1, len(eng.log) + 1) if e.cpu == 1)
    assert nxt.kind == "ioreq.cfg_write" and nxt.fields["value"] == answer.fields["value"]
    assert nxt.time_ns >= answer.time_ns + eng.w["costs"]["trap"]
