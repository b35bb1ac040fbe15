"""Red team 3: device-side corners (PBA, Function Mask, pending-bit release) the shipped
scenarios do not reach. Expected values are worked out from the PCI/PCIe MSI-X rules the model
follows (docs/model.md) before the run."""

from __future__ import annotations

import pytest

from tests.conftest import hit_names, run_to_end, scenario, totals

#: CPU1 clears Function Mask (a pending bit is released) and, at the same instant, CPU0 clears
#: MSI-X Enable before the device sent it; later Function Mask is set and cleared again
UNMASK_AND_DISABLE = """
name: unmask-and-disable
cpus: 2
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}{msi}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: write, dev: eth0, target: config, offset: 0x72, value: 0xC001, size: 2}}
  - {{at: 1100us, do: fire, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 1, do: write, dev: eth0, target: config, offset: 0x72, value: 0x8001, size: 2}}
  - {{at: 2ms, on: 0, do: write, dev: eth0, target: config, offset: 0x72, value: 0x0001, size: 2}}
  - {{at: 3ms, on: 1, do: write, dev: eth0, target: config, offset: 0x72, value: 0xC001, size: 2}}
  - {{at: 3100us, do: fire, dev: eth0, vector: 0}}
  - {{at: 4ms, on: 1, do: write, dev: eth0, target: config, offset: 0x72, value: 0x8001, size: 2}}
"""


@pytest.mark.parametrize("msi", ["", ", msi: {vectors: 1, per_vector_mask: false, addr64: true}"])
def test_a_release_overtaken_by_msix_disable_neither_crashes_nor_sticks(msi: str) -> None:
    """The first signal waits in the PBA behind Function Mask; the release scheduled by clearing
    it runs after Enable was cleared, so that signal is dropped with the PBA. The release was
    then taken for an MSI one (whether MSI-X was enabled decided it): a device without MSI
    crashed the run (TypeError), one with MSI left the MSI-X entry's release flag set, so the
    second signal, held the same way after MSI-X was enabled again, was never released."""
    eng = run_to_end(scenario(UNMASK_AND_DISABLE.format(msi=msi)))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 1, "lost": 1, "spurious": 0}
    assert "irq-lost" in hit_names(eng)


PVM_REMOVE = """
name: msi-pending-at-remove
cpus: 2
kernel: {version: "6.6"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, msi: {vectors: 1, per_vector_mask: true, addr64: false}}
run:
  - {at: 0, do: probe, dev: dev0, mode: msi, vectors: 1}
  - {at: 1ms, do: write, dev: dev0, target: config, offset: 0x5c, value: 1, size: 4}
  - {at: 1100us, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}
  - {at: 2ms, do: write, dev: dev0, target: config, offset: 0x5c, value: 0, size: 4}
  - {at: 3ms, do: write, dev: dev0, target: config, offset: 0x5c, value: 1, size: 4}
  - {at: 3100us, do: fire, dev: dev0, vector: 0}
  - {at: 4ms, do: remove, dev: dev0}
"""


def test_an_msi_pending_bit_left_by_pci_msi_shutdown_is_lost_to_the_disable_not_to_the_mask() -> None:
    """Two signals held by the Mask bit go out, once, when it is cleared; the third is still
    pending when the driver is removed. pci_msi_shutdown (6.6) clears MSI Enable and only then
    unmasks every vector ("Return the device with MSI unmasked as initial states"): the device
    may not send, and the signal is lost. The detail said the mask was never cleared."""
    eng = run_to_end(scenario(PVM_REMOVE))
    assert totals(eng, "dev0") == {"raised": 3, "delivered": 2, "lost": 1, "spurious": 0}
    assert eng.w["devices"]["dev0"]["msi"]["mask"] == 0
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["dev0 vector 0: 1 signal(s) were held by the MSI pending bit; MSI was disabled "
                    "before the vector was unmasked"]
