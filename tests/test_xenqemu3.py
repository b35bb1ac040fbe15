"""xenqemu3: Xen / QEMU xen-pt gaps, each as the source has it.

* 64b21662b1 "x86/msi: passthrough all MSI-X vector ctrl writes to device model" (Xen 4.19.0-rc1,
  no stable backport): ``_msixtbl_write`` returns X86EMUL_UNHANDLEABLE after ``msixtbl_write``
  handled a Vector Control write, so QEMU gets every one (``platform.xen_dm_msix_all_writes``).
"""

from __future__ import annotations

import pytest

from msidbg.behaviour import resolve
from tests.conftest import events_of, run_to_end, scenario, totals

NATIVE = """
name: xenqemu3
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
  - {{at: 3ms, do: free_irq, dev: eth0, vector: 0}}
{more}"""


@pytest.mark.parametrize(("xen", "forward"), [("4.18", False), ("4.18.6", False), ("4.19", True), ("4.22", True)])
def test_vector_control_forwarding_starts_in_419(xen: str, forward: bool) -> None:
    assert resolve("xen-hvm", xen=xen).plain()["xen_dm_msix_all_writes"] is forward


@pytest.mark.parametrize(("xen", "latched"), [("4.18", 0), ("4.19", 1)])
def test_from_419_qemu_sees_the_mask_xen_handled(xen: str, latched: int) -> None:
    """free_irq masks entry 0 (native MSI-X: the guest has no pirqs from 4.19, and none here on 4.18
    either). Xen's intercept owns the bound entry and records the guest's bit; before 64b21662b1
    QEMU never hears of it and its emulated Vector Control keeps the unmask request_irq left there;
    from it QEMU serves the same write after Xen (the vCPU waits for it) and latches the mask."""
    extra = ", xen_hvm_pirqs: false" if xen == "4.18" else ""
    eng = run_to_end(scenario(NATIVE.format(xen=xen, extra=extra, more="")))
    x = eng.w["xen"]
    assert x["irqs"][x["entry_irq"]["eth0#0"]]["guest_masked"] is True
    assert eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"][0]["latch"][3] == latched
    masks = [e for e in events_of(eng, "qemu.msix_write") if e.fields["entry"] == 0 and e.fields["value"] == 1
             and e.time_ns >= 3_000_000]
    assert bool(masks) is bool(latched)
    assert totals(eng, "eth0")["delivered"] == 3
