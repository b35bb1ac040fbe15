"""xenhost: a PV guest without a pirq_eoi_map EOIs every pirq interrupt (PHYSDEVOP_eoi).

Linux's ``xen_init_IRQ`` registers ``pirq_eoi_map`` with PHYSDEVOP_pirq_eoi_gmfn_v2 only (no v1
fallback, every events.c / events_base.c read from the 3.9 .. 3.13 drivers/xen/events.c on) and
keeps ``pirq_needs_eoi = pirq_needs_eoi_flag`` when it fails. Xen has v2 from 0057a949de
(RELEASE-4.2.0; stable-4.1 1d0c9fbb14, RELEASE-4.1.3); before, the hypercall is unknown
(-ENOSYS). The flag is PHYSDEVOP_irq_status_query's XENIRQSTAT_needs_eoi, which Xen sets for every
PV pirq in every release (physdev.c: "it must conservatively always execute the EOI hypercall"),
so the guest makes a PHYSDEVOP_eoi for every interrupt of every pirq. A 3.0 kernel has no
pirq_eoi_map at all (linux-3.0.8 drivers/xen/events.c: ``pirq_needs_eoi`` reads the flag).
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

PV = """
name: xenhost-pv-eoi
seed: 1
cpus: 2
platform: {{kind: xen-pv, xen: "{xen}"}}
kernel: {{version: "{kernel}"}}
devices:
  dev0: {{bdf: "00:05.0", kind: generic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: dev0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: fire, dev: dev0, vector: 0, count: 3, every: 10us}}
"""


def _eois(xen: str, kernel: str) -> int:
    eng = run_to_end(scenario(PV.format(xen=xen, kernel=kernel)))
    assert totals(eng, "dev0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    return len([e for e in events_of(eng, "xen.hypercall") if "PHYSDEVOP_eoi" in str(e)])


@pytest.mark.parametrize(("xen", "kernel", "eois"), [
    ("4.1", "5.10", 4),      # no PHYSDEVOP_pirq_eoi_gmfn_v2: startup's eoi_pirq + one per interrupt
    ("4.1.3", "5.10", 0),    # the stable-4.1 backport: the map, and MSI-X is ACKTYPE_NONE
    ("4.2", "5.10", 0),
    ("4.12", "3.0", 4),      # a kernel without pirq_eoi_map asks the flag on any Xen
])
def test_a_pv_guest_without_the_eoi_map_eois_every_interrupt(xen: str, kernel: str, eois: int) -> None:
    assert _eois(xen, kernel) == eois
