"""Legacy INTx of a Xen HVM guest's passthrough function (docs/model-xen.md, "INTx on an HVM guest";
model/xen_intx.py): the machine GSI's host irq, hvm_dirq_assist asserting the guest's vIOAPIC line,
vioapic_update_EOI -> hvm_dpci_eoi deasserting it and EOIing the host irq, the 1 ms eoi_timer."""

from __future__ import annotations

import pytest

from msidbg.scenario import ScenarioError
from tests.conftest import run_to_end, scenario
from tests.test_intx import _events, _vec

HEAD = """
name: hvm-intx
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
devices:
"""


def _what(eng: object, kind: str = "xen.intx") -> list[str]:
    return [str(e.fields["what"]) for e in _events(eng, kind)]  # type: ignore[attr-defined]


def test_shared_machine_gsi_is_delivered_deasserted_and_eoied() -> None:
    """eth0 (slot 8 pin B) and eth1 (slot 0x10 pin A) share machine GSI 16 (one pirq, two digls) and guest GSI
    18 (hvm_pci_intx_gsi). Each of eth0's signals: the host irq -> hvm_dirq_assist asserts both guest lines
    (pending 2) -> the guest's fasteoi runs both handlers (eth1's: IRQ_NONE) -> its EOI: vioapic_update_EOI ->
    hvm_dpci_eoi deasserts both, pending 0, pirq_guest_eoi EOIs the host irq. Nothing waits for the
    eoi_timer."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 20us}
"""))
    assert _vec(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0}
    assert [e.fields["irq"] for e in _events(eng, "irq.handler")] == [18] * 3  # type: ignore[attr-defined]
    assert len(_events(eng, "irq.none")) == 3
    assists = [w for w in _what(eng) if w.startswith("do_IRQ_guest")]
    assert assists == ["do_IRQ_guest -> hvm_dirq_assist: hvm_pci_intx_assert eth0, eth1"] * 3
    assert not [w for w in _what(eng) if "no guest EOI" in w]
    x = eng.w.xen["intx"]  # type: ignore[attr-defined]
    assert x["i"] == [] and x["count"][18] == 0
    assert x["m"][16]["pending"] == 0 and not x["m"][16]["rirr"] and x["m"][16]["in_flight"] == 0
    assert not eng.w["ioapic"][18]["remote_irr"]  # type: ignore[attr-defined]


def test_line_still_asserted_at_the_guests_eoi_interrupts_again() -> None:
    """eth0's second signal comes after its handler cleared the first and before the guest's EOI: the machine
    line is asserted while the host irq is in flight (Remote IRR set). The EOI's hvm_dpci_eoi deasserts the
    guest's line and EOIs the host irq; the still asserted machine line interrupts Xen again, which asserts
    the guest's line again: delivered by a second host irq after the first EOI."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 2us}
"""))
    assert _vec(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0}
    irqs = [e.time_ns for e in _events(eng, "xen.intx") if "do_IRQ_guest" in str(e.fields["what"])]  # type: ignore[attr-defined]
    eois = [e.time_ns for e in _events(eng, "apic.eoi")]  # type: ignore[attr-defined]
    sigs = [e.time_ns for e in _events(eng, "intx.assert")]  # type: ignore[attr-defined]
    assert len(irqs) == 2 and len(sigs) == 2
    assert irqs[0] < sigs[1] < eois[0] < irqs[1]
    assert not [w for w in _what(eng) if "no guest EOI" in w]


def test_guest_gsi_shared_by_two_pirqs_wraps_pending_and_waits_for_the_eoi_timer() -> None:
    """eth0 (machine GSI 16) and eth1 (machine GSI 17) share guest GSI 18: two pirqs. hvm_dpci_eoi runs
    __hvm_dpci_eoi for every girq on the guest GSI, so eth0's EOI also decrements eth1's pirq's pending, a
    uint16_t: 0 - 1 = 65535. eth1's own interrupt then leaves pending at 65535 + 1 - 1 != 0 after its EOI:
    no pirq_guest_eoi, and its host irq is EOIed only by Xen's 1 ms eoi_timer -- eth1's second signal
    waits for it."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  eth1: {bdf: "00:10.0", kind: nic, passthrough: true, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: eth1, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
  - {at: 2ms, do: fire, dev: eth1, vector: 0, count: 2, every: 100us}
"""))
    assert _vec(eng, "eth1") == {"raised": 2, "delivered": 2, "lost": 0}
    forced = [e for e in _events(eng, "xen.intx") if "no guest EOI" in str(e.fields["what"])]  # type: ignore[attr-defined]
    assert forced and forced[0].fields["gsi"] == 17  # type: ignore[attr-defined]
    eth1 = [e.time_ns for e in _events(eng, "irq.handler") if e.dev == "eth1"]  # type: ignore[attr-defined]
    assert eth1[1] - 2_000_000 > 1_000_000 and eth1[1] > forced[0].time_ns  # type: ignore[attr-defined]


def test_unhandled_shared_line_nobody_cared_on_xen() -> None:
    """usb0 (no driver) asserts machine GSI 16, which it shares with eth0 (guest GSI 18): every host irq asserts
    the guest's line, eth0's handler returns IRQ_NONE, the EOI deasserts and EOIs the host irq, which fires
    again at once. note_interrupt disables irq 18 after 100,000 unhandled; the next interrupt masks the
    vIOAPIC entry: Xen's host irq then stays in flight until the 1 ms eoi_timer EOIs it, and fires again
    (pending grows: no guest EOI comes). eth0 is serviced only by poll_spurious_irqs."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
  usb0: {bdf: "00:10.0", kind: xhci, passthrough: true, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
  - {at: 2ms, do: fire, dev: usb0, vector: 0}
  - {at: 300ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 10ms}
  - {at: 320ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 100ms}
"""))
    cared = _events(eng, "irq.nobody_cared")
    assert len(cared) == 1 and cared[0].fields["unhandled"] == 100_000  # type: ignore[attr-defined]
    assert eng.w["irqs"][18]["spurious_disabled"] and eng.w["ioapic"][18]["masked"]  # type: ignore[attr-defined]
    forced = [e.time_ns for e in _events(eng, "xen.intx") if "no guest EOI" in str(e.fields["what"])]  # type: ignore[attr-defined]
    assert forced and forced[0] > cared[0].time_ns  # type: ignore[attr-defined]
    assert [a["result"] for a in eng.w["actions"]][3:] == [-110, 0]  # type: ignore[attr-defined]
    assert _vec(eng, "usb0") == {"raised": 1, "delivered": 0, "lost": 1}
    assert eng.w.xen["intx"]["m"][16]["pending"] > 2  # type: ignore[attr-defined]


def test_interrupt_disable_passes_through_with_a_machine_irq() -> None:
    """xen_pt_cmd_reg_write: with s->machine_irq, clearing Interrupt Disable reaches the device too; MSI's
    pci_intx_for_msi sets it on the device (through QEMU), so a signal with MSI enabled never asserts."""
    eng = run_to_end(scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, msi: {vectors: 1}, intx: {pin: A, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
  - {at: 1ms, on: 0, do: remove, dev: eth0}
"""))
    writes = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 4]  # type: ignore[attr-defined]
    assert writes[:2] == [0x406, 0x6]       # pci_intx_for_msi(dev, 0) at enable, (dev, 1) at shutdown
    assert not eng.w["devices"]["eth0"]["cmd"] & (1 << 10)  # type: ignore[attr-defined]


@pytest.mark.parametrize("platform, bdf, why", [
    ("{kind: xen-hvm, xen: \"4.12\", xen_hvm_pirqs: false}", "00:08.0", "4.13 or newer"),
    ("{kind: xen-hvm, xen: \"4.18\"}", "00:08.0", "XENFEAT_hvm_pirqs"),
    ("{kind: xen-hvm, xen: \"4.18\", apic_virtualization: true}", "00:08.0", "XENFEAT_hvm_pirqs"),
    ("{kind: xen-hvm}", "00:03.0", "guest's GSI 28"),
])
def test_unmodelled_xen_intx_is_a_load_error(platform: str, bdf: str, why: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(f"name: x\ncpus: 2\nplatform: {platform}\ndevices:\n  eth0: {{bdf: \"{bdf}\", passthrough: true, "
                 "intx: {gsi: 16}}\n")
    assert "devices.eth0.intx" in str(err.value) and why in str(err.value)



@pytest.mark.parametrize("action", [
    "{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}",
    "{at: 2ms, on: 0, do: cpu_offline, cpu: 1}",
])
def test_moving_the_hvm_guests_level_irq_stays_a_load_error(action: str) -> None:
    """Bare metal moves a level IO-APIC irq (kernel/intx.py, levelmove); the HVM guest's vIOAPIC path does
    not model it, so after both merged the refusal must still come from the Xen INTx check."""
    with pytest.raises(ScenarioError) as err:
        scenario(HEAD + """
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - """ + action + "\n")
    assert "intx" in str(err.value)
