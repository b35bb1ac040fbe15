"""Red team 2: plain and multi-message MSI on topologies the shipped scenarios do not use.

Expected values follow from the named upstream code, worked out before the run.
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

MULTI = """
name: multi-msi-three
cpus: 2
kernel: {{version: "6.6"}}
platform: {{kind: bare-metal, interrupt_remapping: true}}
devices:
  ahci: {{bdf: "00:1f.2", kind: generic, msi: {{vectors: 4, per_vector_mask: {pvm}, addr64: true}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: ahci, mode: msi, vectors: 3}}
  - {{at: 1ms, do: fire, dev: ahci, vector: 0, count: 2, every: 10us}}
  - {{at: 1ms, do: fire, dev: ahci, vector: 2, count: 2, every: 10us}}
"""


@pytest.mark.parametrize("pvm", [True, False])
def test_three_msi_vectors_enable_four_messages_and_share_the_first_irqs_message(pvm: bool) -> None:
    """msi_setup_msi_desc: multiple = ilog2(__roundup_pow_of_two(3)) = 2, so MME enables 4
    messages; pci_msi_domain_write_msg writes only the first irq's message ("For MSI only the
    first interrupt of MULTI MSI passes the test"): data = sub-handle 0, and message i reaches
    IRTE base + i. The model wrote every irq's message into the one data register (the last,
    sub-handle 2, won) with MME = 1: message 0 reached irq 2's IRTE, message 2 stayed on it."""
    eng = run_to_end(scenario(MULTI.format(pvm=str(pvm).lower())))
    assert totals(eng, "ahci") == {"raised": 4, "delivered": 4, "lost": 0, "spurious": 0}
    assert not hit_names(eng)
    writes = [e for e in events_of(eng, "cfg.write") if e.dev == "ahci"]
    ctrl = [e.fields["value"] for e in writes if e.fields["offset"] == 0x52]
    # kernel32: msi_capability_init's first pci_msi_set_enable(dev, 0) writes Message Control as it is (MME 0)
    assert ctrl[0] & 1 == 0 and (ctrl[0] >> 4) & 7 == 0
    assert {(v >> 4) & 7 for v in ctrl[1:]} == {2}
    assert {e.fields["value"] for e in writes if e.fields["offset"] == 0x5C} == {0}
