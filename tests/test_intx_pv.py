"""Legacy INTx of a Xen PV guest's pcifront function (model/xen_intx.py, docs/model-xen.md "INTx on a PV
guest"): the toolstack's GSI pirq, xen_bind_pirq_gsi_to_irq's shared handle_fasteoi_irq irq on xen_pirq_chip,
startup_pirq -> pirq_guest_bind, __do_IRQ_guest -> send_guest_pirq, eoi_pirq -> PHYSDEVOP_eoi ->
desc_guest_eoi, the 1 ms eoi_timer, pirq_guest_unbind. Every scenario here was a load error before."""

from __future__ import annotations

import pytest

from msidbg.model.kernel.xen import CHIP_GSI
from msidbg.scenario import ScenarioError
from tests.conftest import run_to_end, scenario
from tests.test_intx import _events, _vec

HEAD = """
name: pv-intx
cpus: 2
platform: {kind: xen-pv}
devices:
"""


def _what(eng: object) -> list[str]:
    return [str(e.fields["what"]) for e in _events(eng, "xen.intx")]  # type: ignore[attr-defined]


def _hcalls(eng: object, op: str) -> list[object]:
    return [e for e in _events(eng, "xen.hypercall") if e.fields["op"] == op]  # type: ignore[attr-defined]


def test_pv_intx_goes_over_the_gsi_pirq_and_its_eoi() -> None:
    """pci_alloc_irq_vectors' INTx fallback gives dev->irq, the pcifront irq xen_bind_pirq_gsi_to_irq made
    for pirq 16 (not irq 16: a PV domU's irqs are dynamic). request_irq's startup_pirq binds the pirq
    (EVTCHNOP_bind_pirq -> pirq_guest_bind). Each signal: Xen's do_IRQ_guest sets the port pending
    (send_guest_pirq), the guest's handle_fasteoi_irq runs the handler, then eoi_pirq: clear_evtchn and
    PHYSDEVOP_eoi (the GSI's ack type is not ACKTYPE_NONE: its pirq_eoi_map bit is set), which EOIs the
    host irq -- nothing waits for the eoi_timer."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 20us}
"""))
    assert _vec(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0}
    irq = eng.w["devices"]["eth0"]["intx"]["irq"]  # type: ignore[attr-defined]
    assert irq != 16 and eng.w["irqs"][irq]["chip"] == CHIP_GSI  # type: ignore[attr-defined]
    assert [e.fields["irq"] for e in _events(eng, "irq.handler")] == [irq] * 3  # type: ignore[attr-defined]
    assert [e.fields["arg"] for e in _hcalls(eng, "EVTCHNOP_bind_pirq")] == [16]  # type: ignore[attr-defined]
    assert [w.split(": ", 1)[0] for w in _what(eng)] == ["do_IRQ_guest -> send_guest_pirq"] * 3
    assert len(_hcalls(eng, "PHYSDEVOP_eoi")) == 1 + 3      # startup_pirq's eoi_pirq, then one per interrupt
    assert not [w for w in _what(eng) if "eoi_timer" in w]
    m = eng.w.xen["intx"]["m"][16]  # type: ignore[attr-defined]
    assert m["bound"] and not m["rirr"] and not m["masked"] and m["in_flight"] == 0


def test_shared_gsi_is_one_irq_and_a_line_asserted_at_the_eoi_interrupts_again() -> None:
    """eth0 and eth1 share machine GSI 16: xen_irq_from_gsi gives eth1 eth0's irq, so request_irq adds a
    shared action (one EVTCHNOP_bind_pirq). eth0's second signal comes while Xen holds the first in flight:
    the machine line stays asserted, and the guest's PHYSDEVOP_eoi (desc_guest_eoi: the host EOI) lets it
    interrupt Xen again -- a second send_guest_pirq after that EOI. eth1's handler returns IRQ_NONE."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 2us}
"""))
    assert _vec(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0}
    irq = eng.w["devices"]["eth0"]["intx"]["irq"]  # type: ignore[attr-defined]
    assert eng.w["devices"]["eth1"]["intx"]["irq"] == irq  # type: ignore[attr-defined]
    assert eng.w["irqs"][irq]["actions"] == [["eth0", 0], ["eth1", 0]]  # type: ignore[attr-defined]
    assert len(_hcalls(eng, "EVTCHNOP_bind_pirq")) == 1
    assert [e.dev for e in _events(eng, "irq.none")] == ["eth1", "eth1"]  # type: ignore[attr-defined]
    sends = [e.time_ns for e in _events(eng, "xen.intx")]  # type: ignore[attr-defined]
    sigs = [e.time_ns for e in _events(eng, "intx.assert")]  # type: ignore[attr-defined]
    eois = [e.time_ns for e in _hcalls(eng, "PHYSDEVOP_eoi")][1:]  # type: ignore[attr-defined]
    assert len(sends) == 2 and sends[0] < sigs[1] < eois[0] < sends[1]


def test_free_irq_unbinds_the_pirq_and_a_new_request_binds_it_again() -> None:
    """free_irq of the last action: shutdown_pirq closes the port (EVTCHNOP_close -> pirq_guest_unbind:
    Xen disables the IO-APIC irq), so eth1's signal meanwhile reaches no one; a new probe's startup_pirq
    binds it again (pirq_guest_bind's startup: the asserted line interrupts at once) and the condition is
    delivered."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 2ms, on: 0, do: remove, dev: eth0}
  - {at: 3ms, do: fire, dev: eth1, vector: 0}
  - {at: 4ms, on: 0, do: remove, dev: eth1}
  - {at: 5ms, do: fire, dev: eth1, vector: 0}
  - {at: 6ms, on: 0, do: probe, dev: eth1, mode: intx, vectors: 1}
"""))
    assert _vec(eng, "eth1") == {"raised": 2, "delivered": 2, "lost": 0}
    closes = _hcalls(eng, "EVTCHNOP_close")
    assert len(closes) == 1 and 4_000_000 < closes[0].time_ns < 5_000_000  # type: ignore[attr-defined]
    sends = [e.time_ns for e in _events(eng, "xen.intx")]  # type: ignore[attr-defined]
    assert not [t for t in sends if 5_000_000 <= t < 6_000_000]
    assert len(_hcalls(eng, "EVTCHNOP_bind_pirq")) == 2
    handled = [e.time_ns for e in _events(eng, "irq.handler") if e.dev == "eth1"]  # type: ignore[attr-defined]
    assert handled[-1] > 6_000_000


def test_pciback_msi_enable_sets_interrupt_disable_in_dom0() -> None:
    """pciback's XEN_PCI_OP_enable_msi is dom0's pci_enable_msi, whose msi_capability_init runs
    pci_intx_for_msi(dev, 0) on the device (the guest's own pci_intx writes go through pciback's
    command_write, which passes no Interrupt Disable). dom0's pci_disable_msi at teardown clears it again,
    and the INTx line works once the driver falls back to it."""
    dev = """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, msi: {vectors: 1}, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
"""
    eng = run_to_end(scenario(HEAD + dev))
    assert eng.w["devices"]["eth0"]["cmd"] & (1 << 10)  # type: ignore[attr-defined]
    eng = run_to_end(scenario(HEAD + dev + """  - {at: 2ms, on: 0, do: remove, dev: eth0}
  - {at: 3ms, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 4ms, do: fire, dev: eth0, vector: 0}
"""))
    assert not eng.w["devices"]["eth0"]["cmd"] & (1 << 10)  # type: ignore[attr-defined]
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    assert [e.time_ns for e in _events(eng, "xen.intx")] > [4_000_000]  # type: ignore[attr-defined]


def test_nobody_cared_masks_the_port_and_the_eoi_timer_takes_over() -> None:
    """usb0 (no driver) shares machine GSI 16 with eth0: every interrupt is IRQ_NONE, and the PHYSDEVOP_eoi
    lets the still asserted line interrupt again at once. After 100,000 note_interrupt disables the irq:
    xen_pirq_chip has irq_disable (disable_pirq), so the port is masked at once. Xen's next send leaves the
    port pending behind the mask, no guest EOI comes, and the 1 ms eoi_timer EOIs the host irq itself.
    eth0 is serviced only by poll_spurious_irqs afterwards."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  usb0: {bdf: "00:10.0", kind: xhci, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: usb0, vector: 0}
  - {at: 400ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 10ms}
  - {at: 420ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 100ms}
"""))
    cared = _events(eng, "irq.nobody_cared")
    assert len(cared) == 1
    irq = eng.w["devices"]["eth0"]["intx"]["irq"]  # type: ignore[attr-defined]
    assert eng.w["irqs"][irq]["spurious_disabled"]  # type: ignore[attr-defined]
    port = eng.w["kernel"]["xen"]["irqs"][irq]["port"]  # type: ignore[attr-defined]
    assert eng.w.xen["ports"][port]["masked"]  # type: ignore[attr-defined]
    after = [e for e in _events(eng, "xen.intx") if e.time_ns > cared[0].time_ns]  # type: ignore[attr-defined]
    assert any("no guest EOI" in str(e.fields["what"]) for e in after)  # type: ignore[attr-defined]
    assert not [e for e in _events(eng, "irq.pending") if e.time_ns > cared[0].time_ns]  # type: ignore[attr-defined]
    assert [a["result"] for a in eng.w["actions"]][2:] == [-110, 0]  # type: ignore[attr-defined]
    assert _vec(eng, "usb0") == {"raised": 1, "delivered": 0, "lost": 1}


@pytest.mark.parametrize("action, field", [
    ("{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}", "run[1].do"),
    ("{at: 2ms, on: 0, do: cpu_offline, cpu: 1}", "run[1].do"),
    ("{at: 2ms, on: 0, do: hypercall, op: PHYSDEVOP_unmap_pirq, arg: 16}", "run[1].arg"),
])
def test_what_stays_unmodelled_is_a_one_line_load_error(action: str, field: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - """ + action + "\n")
    msg = str(err.value)
    assert field in msg and "PV" in msg and "\n" not in msg.strip()



def test_old_pv_kernel_disable_irq_masks_the_port_and_enable_irq_delivers() -> None:
    """A 4.9 PV guest (the pre-matrix vector allocator: nothing of it is used by a pirq irq) on Xen 4.8.
    disable_irq is disable_pirq: the port is masked at once, so Xen's send while disabled leaves it pending
    behind the mask (no guest EOI: the eoi_timer EOIs the host irq later); enable_irq unmasks it
    (EVTCHNOP_unmask of a pending port) and the handler runs."""
    eng = run_to_end(scenario("""
name: pv-intx-old
cpus: 2
kernel: {version: "4.9"}
platform: {kind: xen-pv, xen: "4.8"}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 2ms, on: 0, do: disable_irq, dev: eth0, vector: 0}
  - {at: 3ms, do: fire, dev: eth0, vector: 0}
  - {at: 4ms, on: 0, do: enable_irq, dev: eth0, vector: 0}
"""))
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    assert [str(w).rsplit(": ", 1)[-1] for w in _what(eng)][0] == "pending, masked"
    unmask = [e.time_ns for e in _hcalls(eng, "EVTCHNOP_unmask")]  # type: ignore[attr-defined]
    handled = [e.time_ns for e in _events(eng, "irq.handler")]  # type: ignore[attr-defined]
    assert len(handled) == 1 and unmask and 4_000_000 <= unmask[-1] < handled[0]


def test_pv_teardown_beside_another_cpus_intx_fallback_keeps_the_gsi_irq() -> None:
    """Two more probes of d0, on both CPUs, once its first probe bound it. Before the device_lock
    (devlock) CPU1's probe failed request_irq (its MSI-X irq still requested) and tore MSI-X down while
    CPU0's fell back to INTx; now each finds d0 bound under the lock (6.6: -EBUSY) and touches nothing:
    no XEN_PCI_OP_disable_msix, d0 keeps its MSI-X irq, the pcifront GSI irq stays. Every signal is
    delivered or lost."""
    eng = run_to_end(scenario("""
name: pv-race
cpus: 2
platform: {kind: xen-pv, xen: "4.8"}
devices:
  d0: {bdf: "00:09.0", kind: nic, passthrough: true, intx: {pin: C, gsi: 17}, msix: {table_size: 4}}
  d1: {bdf: "00:09.1", kind: nic, passthrough: true, intx: {pin: C, gsi: 17}, msi: {vectors: 1}}
run:
  - {at: 0us, on: 1, do: probe, dev: d0, mode: all, vectors: 1}
  - {at: 500us, do: fire, dev: d0, vector: 0, count: 1, every: 100us}
  - {at: 500us, on: 1, do: probe, dev: d0, mode: intx, vectors: 1}
  - {at: 500us, on: 0, do: disable_irq, dev: d0, vector: 0}
  - {at: 500us, on: 0, do: probe, dev: d0, mode: intx, vectors: 1}
  - {at: 550us, do: fire, dev: d1, vector: 0, count: 3, every: 5us}
  - {at: 600us, on: 1, do: remove, dev: d1}
"""))
    assert [a["result"] for a in eng.w["actions"] if a["do"] == "probe"] == [0, -16, -16]  # type: ignore[index]
    assert not _hcalls(eng, "XEN_PCI_OP_disable_msix")  # type: ignore[attr-defined]
    assert eng.w["kernel"]["pci"]["d0"]["mode"] == "msix"  # type: ignore[index]
    irq = eng.w["devices"]["d0"]["intx"]["irq"]  # type: ignore[attr-defined]
    assert irq in eng.w["kernel"]["xen"]["irqs"]  # type: ignore[attr-defined]
    for d in ("d0", "d1"):
        v = _vec(eng, d)
        assert v["raised"] == v["delivered"] + v["lost"]
