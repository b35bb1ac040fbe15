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
