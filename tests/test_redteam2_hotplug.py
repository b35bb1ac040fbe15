"""Red team 2: the 2020 torn MSI update on the CPU-offline path (migrate_one_irq on the dying
CPU), across the releases of 6f1a4891a592, ef8dd01538ea and b56ebe7c896d.

Expected values worked out from arch/x86/kernel/apic/msi.c msi_set_affinity of each release
before the run: the xhci's 32-bit, non-maskable MSI sits on CPU1 (vector 0x21, eth0's vectors on
CPU2); offlining CPU1 moves it to CPU2, whose lowest free vector differs, so the plain update
(address, then data) sends one message with CPU2's address and the old vector."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

HOTPLUG = """
name: hotplug-torn
cpus: 3
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 3}}}}
  xhci: {{bdf: "00:14.0", kind: xhci, msi: {{vectors: 1, per_vector_mask: false, addr64: false}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 3, affinity: 2}}
  # (fidvec2) CPU0 holds only the timer's ISA vector from 4.15 and would be the emptiest target: the mask
  # 1-2 keeps the offline move on CPU2
  - {{at: 50us, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1, affinity: [1, 2]}}
  # (redteam11) a stream the CPU keeps up with: a 1us stream kept CPU1 in interrupts until it ended,
  # and its stopper acks only once no edge is pending (multi_cpu_stop runs with interrupts on)
  - {{at: 101500ns, do: fire, dev: xhci, vector: 0, count: 400, every: 4us}}
  - {{at: 300us, on: 0, do: cpu_offline, cpu: 1}}
"""


@pytest.mark.parametrize(("kernel", "torn"), [
    ("5.9", False),     # 6f1a4891a592: new vector on the old (dying) CPU first; fixup_irqs retriggers its IRR
    ("5.17", True),     # ef8dd01538ea: the quirk is no longer set, the update is plain again
    ("6.7", True),      # b56ebe7c896d: a non-maskable MSI (no reservation mode) is written directly
])
def test_offlining_a_non_maskable_msis_cpu_tears_where_no_plug_applies(kernel: str, torn: bool) -> None:
    eng = run_to_end(scenario(HOTPLUG.format(kernel=kernel)))
    t = totals(eng, "xhci")
    assert (t["raised"], t["delivered"], t["lost"], t["spurious"]) == ((400, 399, 1, 1) if torn else (400, 400, 0, 0))
    assert ({"msi-torn-message", "irq-lost", "irq-spurious"} <= hit_names(eng)) is torn


def test_offlining_on_5_6_loses_the_edge_to_apic_soft_disable() -> None:
    """(kernsmall; re-pinned from the 5.6 case above, which delivered all 400) 5.6 has 60dcaad5736f's
    apic_soft_disable before fixup_irqs: the edge sent to the dying CPU1 after it sets no IRR bit, so there is
    nothing for fixup_irqs to retrigger -- lost, not torn (52d6b926aabc, 5.9 / 5.4.62 / 5.8.6, fixed it)."""
    eng = run_to_end(scenario(HOTPLUG.format(kernel="5.6")))
    t = totals(eng, "xhci")
    assert (t["raised"], t["delivered"], t["lost"], t["spurious"]) == (400, 399, 1, 0)
    assert "msi-torn-message" not in hit_names(eng)
    assert [h.detail for h in eng.hits if h.name == "irq-lost"][0].count("apic_soft_disable") == 1
    moves = [e for e in events_of(eng, "vector.assign") if e.dev == "xhci"]
    before = [(e.fields["vector"], e.fields["target"]) for e in moves if e.time_ns < 300_000][-1]
    after = [(e.fields["vector"], e.fields["target"]) for e in moves if e.time_ns >= 300_000]
    assert before[1] == 1 and len(after) == 1 and after[0][1] == 2 and after[0][0] != before[0]
