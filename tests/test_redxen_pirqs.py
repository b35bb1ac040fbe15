"""Red team Xen: how many MSI pirqs an HVM domU has.

Xen's domain_create (xen/common/domain.c, RELEASE-4.2.0 .. 4.21.0) gives a domU
nr_pirqs = nr_irqs_gsi + extra_domU_irqs (32 unless the host boots with extra_guest_irqs=), and
get_free_pirq hands MSI pirqs out from nr_pirqs - 1 down to nr_irqs_gsi: 32 of them. The seed's
top pirq 101 makes nr_pirqs 102; the model had nr_irqs_gsi 48, i.e. 54 MSI pirqs, which needs a
non-default extra_guest_irqs=54. Worked out before the run.
"""

from __future__ import annotations

from tests.conftest import events_of, run_to_end, scenario

WIDE = """
name: wide
cpus: 2
platform: {kind: xen-hvm, xen: "4.14"}
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 40}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 40}
"""


def test_an_hvm_domu_has_32_msi_pirqs() -> None:
    """40 vectors: PHYSDEVOP_get_free_pirq hands out 101 .. 70, the 33rd call fails -ENOSPC,
    xen_hvm_setup_msi_irqs returns -ENODEV, and the 32 pirqs stay PIRQ_ALLOCATED (an HVM domU's
    xen_destroy_irq unmaps nothing). The model handed out 40 pirqs (101 .. 62) and probed ok.
    (kernfid3: 5.10's msix_capability_init counts the 32 descriptors with an irq and the range
    helper retries with 32, whose first get_free_pirq fails too: tests/test_kernfid3.py.)"""
    eng = run_to_end(scenario(WIDE))
    got = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    assert got == list(range(101, 69, -1)) + [-28, -28]
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "failed: ENODEV"
    assert sorted(eng.w["xen"]["pirqs"]) == list(range(70, 102))
    assert {rec["irq"] for rec in eng.w["xen"]["pirqs"].values()} == {-1}
