"""xenhost2: Xen's host side and the guest's event channel rebind, as the named sources do them.

- xen_rebind_evtchn_to_cpu (linux drivers/xen/events/events_base.c, v4.19 test_and_set_mask, v6.6
  do_mask(info, EVT_MASK_REASON_TEMPORARY)) masks the port before EVTCHNOP_bind_vcpu: the mask is an
  event of the guest CPU's own, and a port masked already is not written (nor unmasked after). (Kernels
  whose set_affinity defers the move to eoi_pirq -- 4.19 here -- rebind a port eoi_pirq has masked.)
"""

from __future__ import annotations

import pytest

from tests.conftest import run_to_end, scenario, totals

REBIND = """
name: xenhost2-rebind
cpus: 2
platform: {{kind: {kind}, xen: "4.16"}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
{disable}  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 1}}
"""
DISABLE = "  - {at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0, unlazy: true}\n"


def _window(kind: str, kernel: str, disable: str = "") -> tuple[object, list[tuple[str, object, object]]]:
    eng = run_to_end(scenario(REBIND.format(kind=kind, kernel=kernel, disable=disable)))
    window = [(e.kind, e.fields.get("op"), e.fields.get("masked")) for e in eng.log.events(1, len(eng.log) + 1)
              if 2_000_000 <= e.time_ns < 3_000_000 and e.cpu == 0 and e.kind in ("evtchn.mask", "xen.hypercall")]
    return eng, window


@pytest.mark.parametrize("kind", ["xen-hvm", "xen-pv"])
@pytest.mark.parametrize("kernel", ["5.15", "6.6"])
def test_rebind_masks_the_port_around_bind_vcpu(kind: str, kernel: str) -> None:
    eng, window = _window(kind, kernel)
    bind = window.index(("xen.hypercall", "EVTCHNOP_bind_vcpu", None))
    # test_and_set_mask / do_mask: the port is masked by the guest right before the hypercall ...
    assert window[bind - 1] == ("evtchn.mask", None, 1)
    # ... and unmasked after it (2-level from another vCPU: EVTCHNOP_unmask; FIFO: the guest clears it)
    assert any(k == ("evtchn.mask", None, 0) or k[1] == "EVTCHNOP_unmask" for k in window[bind + 1:])
    assert totals(eng, "eth0")["delivered"] == 1


def test_rebind_of_a_masked_port_writes_no_mask() -> None:
    """disable_irq (unlazy: disable_dynirq masks the port) before the rebind: test_and_set_mask finds it
    masked, so nothing is written around EVTCHNOP_bind_vcpu and the port stays masked."""
    eng, window = _window("xen-hvm", "6.6", DISABLE)
    assert ("xen.hypercall", "EVTCHNOP_bind_vcpu", None) in window
    assert [k for k in window if k[0] == "evtchn.mask"] == []
    assert totals(eng, "eth0")["delivered"] == 0
