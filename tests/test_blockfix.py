"""blockfix: a device message on a legacy (IO-APIC) irq's vector; a Xen HVM vCPU's trapped write from
hardirq waits for QEMU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session

# a 6.1 xhci on 1 CPU whose MSI data is rewritten to 0x30: vector 0x30 is ISA irq 0's (IO-APIC, edge; from 4.15
# the only ISA vector CPU0 keeps: vector_configure_legacy freed 0x31's, fidvec2)
LEGACY_HIT = """\
name: bf-legacy-hit
seed: 1
cpus: 1
kernel: {version: "6.1"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: xhci, vector: 0, count: 30, every: 5us}
  - {at: 110us, do: write, dev: xhci, target: config, offset: 0x5c, value: 0x0030, size: 2}
"""

# 5.6 HVM guest with native MSI (APIC virtualization: no pirqs in the guest): the move set_affinity
# left pending is applied by the next interrupt's ack (irq_move_masked_irq -> msi_set_affinity), whose
# config writes trap into QEMU from hardirq
IRQ_IOREQ = """\
name: bf-irq-ioreq-wait
seed: 1
cpus: 4
platform: {kind: xen-hvm, xen: "4.10", apic_virtualization: true}
kernel: {version: "5.6"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 1, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 2ms, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 2}
  - {at: 2100us, do: fire, dev: xhci, vector: 0, count: 20, every: 3us}
"""


def _run(tmp_path: Any, text: str) -> Session:
    path = Path(str(tmp_path)) / "s.yaml"
    path.write_text(text)
    s = Session.from_scenario(str(path))
    s.run()
    return s


def test_a_message_on_a_legacy_vector_runs_that_irqs_handler(tmp_path: Any) -> None:
    """common_interrupt -> handle_irq runs irq 0's flow handler (handle_edge_irq, ioapic_chip: an
    enabled, started ISA irq) and its action: the xhci's signals reach the wrong handler and are
    lost as spurious; the irq is not parked as disabled and nothing masks it."""
    s = _run(tmp_path, LEGACY_HIT)
    evs = list(s.events(0, s.total))
    legacy = [e for e in evs if e.kind == "irq.handler" and e.fields.get("irq") == 0]
    assert legacy, "irq 0's action never ran"
    assert not [e for e in evs if e.kind == "irq.pending"]
    v = s.summary()["devices"]["xhci"]["vectors"][0]
    assert v["raised"] == 30 and v["lost"] == v["spurious"] == 30 - v["delivered"] > 0


def test_legacy_irqs_are_started_and_enabled(tmp_path: Any) -> None:
    s = _run(tmp_path, LEGACY_HIT)
    d = s.world["irqs"][0]
    assert (d["chip"], d["depth"], d["disabled"], d["started"]) == ("IO-APIC", 0, False, True)


def test_a_hardirq_trapped_write_waits_for_qemu(tmp_path: Any) -> None:
    """hvmemul_do_io returns X86EMUL_RETRY and the vCPU sleeps until QEMU completes the ioreq,
    whatever it was running: the CPU whose ack applies the move runs nothing after a trapped write
    until QEMU has handled it (before: it queued the writes and ran on to the EOI and the action)."""
    s = _run(tmp_path, IRQ_IOREQ)
    evs = list(s.events(0, s.total))
    moves = [e for e in evs if e.kind == "vector.assign" and e.fields.get("target") == 2]
    assert moves
    cpu = moves[0].cpu
    traps = [e for e in evs if e.kind == "ioreq.cfg_write" and e.cpu == cpu and e.index > moves[0].index]
    assert len(traps) >= 3      # msi_set_affinity's address, upper address, data
    for t in traps:
        # the interrupt context waits on its ioreq (the process context has none)
        w = s.world_at(t.index)["cpus"][cpu]
        assert w["irq"]["stack"] and w["irq"]["wait"] is not None and w["proc"]["wait"] is None
        served = next(e.index for e in evs if e.index > t.index and e.kind == "qemu.cfg_write"
                      and e.fields.get("offset") == t.fields["offset"])
        nxt = next(e.index for e in evs if e.index > t.index and e.cpu == cpu)
        assert nxt > served, f"CPU{cpu} ran on (event {nxt}) before QEMU took its write #{t.index}"
    # meanwhile the moved irq's next interrupt, on its new CPU, spins on desc->lock the waiting ack holds
    assert any(e.kind == "kernel" and "desc->lock" in e.describe() for e in evs
               if traps[0].index < e.index < traps[-1].index)


# bare metal: a message on 0xf3 (HYPERVISOR_CALLBACK_VECTOR, whose gate only Xen installs) reached the
# Xen upcall's program, which needs Xen's state (KeyError 'xen')
UPCALL_ON_BARE_METAL = """\
name: bf-f3
seed: 1
cpus: 1
kernel: {version: "5.4"}
devices:
  d: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: d, mode: msix, vectors: 1}
  - {at: 100us, do: write, dev: d, target: msix-table, offset: 8, value: 0xf3}
  - {at: 110us, do: fire, dev: d, vector: 0, count: 3, every: 5us}
"""


def test_the_xen_upcall_vector_is_an_unused_system_vector_on_bare_metal(tmp_path: Any) -> None:
    s = _run(tmp_path, UPCALL_ON_BARE_METAL)
    evs = list(s.events(0, s.total))
    assert [e for e in evs if e.kind == "irq.unhandled" and e.fields.get("vector") == 0xF3]
    v = s.summary()["devices"]["d"]["vectors"][0]
    assert (v["raised"], v["delivered"], v["lost"], v["spurious"]) == (3, 0, 3, 3)
