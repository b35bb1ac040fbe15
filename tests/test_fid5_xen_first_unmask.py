"""fid5: Xen 3a6222bd57 "x86/vMSI-X: avoid missing first unmask of vectors" (4.7; 4.6.3).

An unmask of an MSI-X entry Xen cannot claim yet (no msi_desc: msixtbl_range says no) goes to
QEMU, whose handling of it binds the entry (pt_irq_create_bind -> msixtbl_pt_register). From
3a6222bd57 Xen snoops that write and applies the unmask itself when QEMU is done
(msix_write_completion); before, the entry stayed guest-masked in Xen (4.6 starts a guest MSI
guest-masked) until the guest unmasked it again.

No outcome of a modelled Linux flow depends on it: QEMU binds every written entry when the guest
clears Function Mask (xen_pt_msixctrl_reg_write -> xen_pt_msix_update), which every modelled
kernel does before request_irq's unmask; the one earlier unmask (5.14+ with the late
msix_mask_all: the masked update at allocation restores Vector Control 0, QEMU's table starting
zeroed) happens under Function Mask, and msix_mask_all masks the entry again before Function Mask
clears. The difference is Xen's state in between: the physical Vector Control and Xen's
guest-masked bit of the entry, which the panes and --json show.
"""

from __future__ import annotations

import pytest

from msidbg.debugger import Session
from tests.conftest import run_to_end, scenario, totals

FIRST = """
name: first-unmask
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}", apic_virtualization: true}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, do: request_irq, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "snoop"), [("4.6.2", False), ("4.6.3", True), ("4.7.0", True), ("4.16", True)])
def test_xen_applies_the_first_unmask_qemu_binds_from_3a6222bd57(xen: str, snoop: bool) -> None:
    eng = run_to_end(scenario(FIRST.format(xen=xen)))
    assert eng.w["behaviour"]["xen_msix_snoop_unmask"] is snoop
    evs = list(eng.log.events(1, len(eng.log) + 1))
    bind = next(i for i, e in enumerate(evs) if e.kind == "qemu.bind_pirq")
    after = [(e.kind, e.fields.get("value")) for e in evs[bind + 1:bind + 3]]
    if snoop:   # msix_write_completion: Xen's own unmask of the physical entry, then msix_mask_all's mask
        assert after == [("msix.write", 0), ("msix.write", 1)]
    else:       # QEMU's ioreq completes; the entry stays masked until msix_mask_all masks it (again)
        assert after == [("qemu.ioreq_done", None), ("msix.write", 1)]
    # the state between the two writes: Xen's guest-masked bit and the physical Vector Control
    s = Session(scenario(FIRST.format(xen=xen)))
    w = s.world_at(evs[bind + 1].index)
    hirq = next(h for h in w["xen"]["irqs"].values() if h["dev"] == "eth0" and h["entry"] == 0)
    assert (hirq["guest_masked"], w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] & 1) == (not snoop, int(not snoop))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
