"""Legacy INTx on bare metal (docs/model-baremetal.md, "INTx"; model/ioapic.py, model/kernel/intx.py).

A function asserts INTx# while its interrupt condition is pending and Command.Interrupt Disable is
clear; the IO-APIC's level entry sends while the line is asserted and Remote IRR is clear; the
driver's handler clears the cause; handle_fasteoi_irq EOIs, which ends Remote IRR. The PCI core sets
Interrupt Disable when it enables MSI / MSI-X and clears it when it shuts them down; pci_alloc_irq_vectors
with PCI_IRQ_INTX falls back to the pin. A line nobody services screams until note_interrupt disables
the irq; poll_spurious_irqs then runs the shared handlers every HZ/10.
"""

from __future__ import annotations

import pytest

from msidbg.model.hw import CMD_INTX_DISABLE
from msidbg.scenario import ScenarioError
from tests.conftest import run_to_end, scenario

ONE = """
name: intx-one
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
run:
"""


def _events(eng: object, kind: str) -> list[object]:
    log = eng.log  # type: ignore[attr-defined]
    return [e for e in (log.event(i) for i in range(1, eng.cur + 1)) if e.kind == kind]  # type: ignore[attr-defined]


def _vec(eng: object, dev: str) -> dict[str, int]:
    a = eng.w["acct"][dev]  # type: ignore[attr-defined]
    return {k: a[k][0] for k in ("raised", "delivered", "lost")}


def test_intx_only_device_falls_back_to_the_pin_and_is_serviced() -> None:
    """mode all (PCI_IRQ_ALL_TYPES) on a function with neither MSI nor MSI-X: pci_intx(dev, 1), vector 0 is
    irq 16; every signal reaches eth0's handler through handle_fasteoi_irq and the IO-APIC entry."""
    eng = run_to_end(scenario(ONE + """
      - {at: 0, on: 0, do: probe, dev: eth0, mode: all, vectors: 1}
      - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 5, every: 10us}
    """))
    assert _vec(eng, "eth0") == {"raised": 5, "delivered": 5, "lost": 0}
    handled = _events(eng, "irq.handler")
    assert [e.fields["irq"] for e in handled] == [16] * 5  # type: ignore[attr-defined]
    pin = eng.w["ioapic"][16]  # type: ignore[attr-defined]
    assert not pin["masked"] and not pin["remote_irr"] and pin["vector"] == eng.w["irqs"][16]["vector"]  # type: ignore[attr-defined]


def test_mode_intx_without_a_pin_fails_the_probe() -> None:
    """dev->irq is 0 without an INTx pin: the PCI_IRQ_INTX fallback is not taken and the MSI error stands."""
    eng = run_to_end(scenario("""
    name: intx-nopin
    cpus: 2
    devices:
      eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1}}
    run:
      - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
    """))
    assert eng.w["actions"][0]["result"] < 0  # type: ignore[attr-defined]


def test_msi_enable_sets_intx_disable_and_shutdown_clears_it() -> None:
    """pci_intx_for_msi(dev, 0) when MSI is enabled, (dev, 1) when pci_msi_shutdown disables it."""
    eng = run_to_end(scenario("""
    name: intx-formsi
    cpus: 2
    devices:
      eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1}, intx: {gsi: 16}}
    run:
      - {at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
    """))
    assert eng.w["devices"]["eth0"]["cmd"] & CMD_INTX_DISABLE  # type: ignore[attr-defined]
    writes = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 4]  # type: ignore[attr-defined]
    assert writes[-1] & CMD_INTX_DISABLE
    eng = run_to_end(scenario("""
    name: intx-formsi2
    cpus: 2
    devices:
      eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}, intx: {gsi: 17}}
    run:
      - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
      - {at: 1ms, on: 0, do: remove, dev: eth0}
      - {at: 2ms, do: fire, dev: eth0, vector: 1}
    """))
    assert not eng.w["devices"]["eth0"]["cmd"] & CMD_INTX_DISABLE  # type: ignore[attr-defined]
    # after the remove the function's condition asserts INTx#, but nobody requested irq 17: its entry is masked
    assert _vec(eng, "eth0")["lost"] == 1
    assert "masked" in eng.hits[-1].detail  # type: ignore[attr-defined]


def test_intx_disable_left_set_is_cleared_by_the_fallback() -> None:
    """A Command with Interrupt Disable set before the driver loads (kexec'd kernel, firmware): the
    PCI_IRQ_INTX fallback's pci_intx(dev, 1) clears it; a raw write setting it again silences the pin and
    the condition is lost at the end with that reason."""
    eng = run_to_end(scenario(ONE + """
      - {at: 0, on: 0, do: write, dev: eth0, target: config, offset: 4, value: 0x400, size: 2}
      - {at: 10us, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
      - {at: 1ms, do: fire, dev: eth0, vector: 0}
      - {at: 2ms, on: 0, do: write, dev: eth0, target: config, offset: 4, value: 0x406, size: 2}
      - {at: 3ms, do: fire, dev: eth0, vector: 0}
    """))
    assert _vec(eng, "eth0") == {"raised": 2, "delivered": 1, "lost": 1}
    assert "Interrupt Disable" in eng.hits[-1].detail  # type: ignore[attr-defined]


SHARED = """
name: intx-shared
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
  eth1: {bdf: "00:04.0", kind: nic, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 10us, on: 0, do: probe, dev: eth1, mode: intx, vectors: 1}
"""


def test_shared_line_runs_every_handler_and_free_keeps_the_other() -> None:
    """Both devices on GSI 16 share irq 16 (IRQF_SHARED): one activation, both handlers run per interrupt,
    each services only its own condition; removing eth0 leaves the irq started for eth1."""
    eng = run_to_end(scenario(SHARED + """
  - {at: 1ms, do: fire, dev: eth1, vector: 0}
  - {at: 2ms, on: 0, do: remove, dev: eth0}
  - {at: 3ms, do: fire, dev: eth1, vector: 0}
  - {at: 4ms, do: fire, dev: eth0, vector: 0}
"""))
    assert len(_events(eng, "vector.assign")) == 1
    assert [e.dev for e in _events(eng, "irq.none")][:1] == ["eth0"]  # type: ignore[attr-defined]
    assert _vec(eng, "eth1") == {"raised": 2, "delivered": 2, "lost": 0}
    # eth0's driver is gone: its condition asserts the shared line, eth1's handler returns IRQ_NONE (a
    # level irq nobody services screams: far from 100,000 before the run ends at its last item)
    assert _vec(eng, "eth0")["lost"] == 1
    assert eng.w["irqs"][16]["actions"] == [["eth1", 0]]  # type: ignore[attr-defined]
    assert eng.w["irqs"][16]["started"]  # type: ignore[attr-defined]


def test_level_irq_is_not_resent_by_enable_irq() -> None:
    """disable_irq (lazy) then a signal: handle_fasteoi_irq masks the entry (IRQS_PENDING); enable_irq does not
    retrigger a level irq (check_irq_resend) -- the unmask lets the still asserted line interrupt again."""
    eng = run_to_end(scenario(ONE + """
      - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
      - {at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0}
      - {at: 2ms, do: fire, dev: eth0, vector: 0}
      - {at: 3ms, on: 0, do: enable_irq, dev: eth0, vector: 0}
    """))
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    resend = _events(eng, "irq.resend")
    assert resend and resend[0].fields["target"] == -1  # type: ignore[attr-defined]
    assert not [e for e in _events(eng, "apic.ipi")]
    assert [e.time_ns for e in _events(eng, "irq.handler")][0] >= 3_000_000  # type: ignore[attr-defined]


def test_disabled_level_irq_keeps_the_line_asserted_to_the_end() -> None:
    """disable_irq (lazy), a signal, no enable_irq: handle_fasteoi_irq finds IRQD_IRQ_DISABLED, sets IRQS_PENDING
    and masks the entry; nothing services the function, which still asserts INTx# (Interrupt Status set) when
    the run ends. The summary counts the signal lost (never delivered), naming the disabled irq as why."""
    eng = run_to_end(scenario(ONE + """
      - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
      - {at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0}
      - {at: 2ms, do: fire, dev: eth0, vector: 0}
    """))
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 0, "lost": 1}
    assert eng.w["devices"]["eth0"]["intx"]["cond"] == 1  # type: ignore[attr-defined]
    assert eng.w["ioapic"][16]["masked"] and eng.w["irqs"][16]["pending"]  # type: ignore[attr-defined]
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]  # type: ignore[attr-defined]
    assert len(lost) == 1 and "irq 16 was disabled (depth 1)" in lost[0]


@pytest.mark.parametrize("text, field, why", [
    ("platform: {kind: xen-hvm}\ndevices:\n  eth0: {bdf: \"00:03.0\", passthrough: true, intx: {gsi: 16}}\n",
     "devices.eth0.intx", "guest's GSI 28"),
    ("platform: {interrupt_remapping: true, iommu: amd}\ndevices:\n  eth0: {bdf: \"00:03.0\", intx: {gsi: 16}}\n",
     "devices.eth0.intx", "amd interrupt remapping"),
    ("devices:\n  eth0: {bdf: \"00:03.0\", intx: {gsi: 3}}\n", "devices.eth0.intx.gsi", "16..23"),
    ("kernel: {version: \"4.14\"}\ncpus: 9\ndevices:\n  eth0: {bdf: \"00:03.0\", intx: {gsi: 16}}\n",
     "devices.eth0.intx", "4.15+ vector allocator"),
])
def test_unmodelled_intx_is_a_load_error(text: str, field: str, why: str) -> None:
    with pytest.raises(ScenarioError) as err:
        scenario("name: intx-bad\ncpus: 2\n" + text if "cpus:" not in text else "name: intx-bad\n" + text)
    assert field in str(err.value) and why in str(err.value)


STORM = """
name: intx-storm
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
  usb0: {bdf: "00:1d.0", kind: xhci, intx: {pin: A, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
  - {at: 2ms, do: fire, dev: usb0, vector: 0}
  - {at: 250ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 10ms}
  - {at: 280ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 50ms}
"""


def test_unhandled_shared_line_is_disabled_then_polled() -> None:
    """usb0 (no driver bound) asserts the shared line and nobody clears it: eth0's handler returns IRQ_NONE
    each time, note_interrupt disables irq 16 at 100,000 of 100,000 (counted from the first unhandled one,
    7c07012eb1be: eth0's 3 handled interrupts before do not count), the next interrupt masks the entry, and
    eth0 is serviced only by poll_spurious_irqs every HZ/10: a doorbell with a 10 ms timeout fails, one
    with 50 ms completes at the next poll."""
    eng = run_to_end(scenario(STORM))
    cared = _events(eng, "irq.nobody_cared")
    assert len(cared) == 1 and cared[0].fields["unhandled"] == 100_000  # type: ignore[attr-defined]
    assert eng.w["irqs"][16]["spurious_disabled"] and eng.w["ioapic"][16]["masked"]  # type: ignore[attr-defined]
    results = [a["result"] for a in eng.w["actions"]]  # type: ignore[attr-defined]
    assert results[3] == -110 and results[4] == 0
    assert _vec(eng, "eth0") == {"raised": 5, "delivered": 5, "lost": 0}
    assert _vec(eng, "usb0") == {"raised": 1, "delivered": 0, "lost": 1}
    polls = [e.time_ns for e in _events(eng, "irq.poll") if "expired: poll" in str(e.fields["how"])]  # type: ignore[attr-defined]
    assert polls and polls[0] - cared[0].time_ns == 100_000_000  # type: ignore[attr-defined]


def test_remove_after_free_irq_on_a_shared_line_frees_nothing_twice() -> None:
    """eth0's driver frees its irq, then is removed: the shared irq still has eth1's action, but not eth0's,
    so the remove frees no irq (a second free_irq would be 'Trying to free already-free IRQ') and succeeds."""
    eng = run_to_end(scenario(SHARED + """
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 0}
  - {at: 2ms, on: 0, do: remove, dev: eth0}
  - {at: 3ms, do: fire, dev: eth1, vector: 0}
"""))
    assert [a["result"] for a in eng.w["actions"]][2:4] == [0, 0]  # type: ignore[attr-defined]
    assert not [e for e in _events(eng, "kernel") if "already-free" in str(e.fields["what"])]  # type: ignore[attr-defined]
    assert len(_events(eng, "irq.free")) == 1
    assert _vec(eng, "eth1") == {"raised": 1, "delivered": 1, "lost": 0}
