"""auditxen: the vMSI-X intercept before Xen 4.4, and a stable backport, as the tags have them.

Read in xen-project/xen (``git show RELEASE-x.y.z:xen/arch/x86/hvm/vmsi.c``, ``git tag --contains``):

* 74c213c506 "x86/vMSI: miscellaneous fixes" (RELEASE-4.2.0; 4.0.4, 4.1.3): msixtbl_write discards
  a guest's Vector Control write ("Do not allow the mask bit to be changed", the old code under
  ``#if 0``); before it the value went to the physical entry as it was (``writel(val, virt)``).
* a35137373a "x86: allow guest to set/clear MSI-X mask bit (try 2)" (RELEASE-4.4.0; 4.2.4, 4.3.1):
  the guest's mask bit goes to the physical entry unless Xen has the entry masked (``direct``).
* 74fd0036de "x86: properly handle MSI-X unmask operation from guests" (RELEASE-4.4.0; 4.2.4,
  4.3.2): an unmask after an address/data change, which goes to QEMU, is applied again by Xen when
  QEMU is done (msix_write_completion). Before it the physical entry kept the guest's mask.
* 78e24c269b "evtchn: don't reuse ports that are still busy" (4.7) is also on stable-4.4, 4.5 and
  4.6: RELEASE-4.4.4, 4.5.3, 4.6.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.behaviour import resolve
from msidbg.model import vmsi
from tests.conftest import SCENARIOS, run_to_end, scenario, totals


@pytest.mark.parametrize(("xen", "mask", "completion"), [
    ("4.0", "unchecked", False), ("4.0.4", "ignored", False), ("4.1", "unchecked", False),
    ("4.1.3", "ignored", False), ("4.2", "ignored", False), ("4.2.3", "ignored", False),
    ("4.2.4", "direct", True), ("4.3", "ignored", False), ("4.3.1", "direct", False),
    ("4.3.2", "direct", True), ("4.4", "direct", True), ("4.5", "direct", True), ("4.6", "combined", True),
])
def test_the_intercept_rows_follow_the_tags(xen: str, mask: str, completion: bool) -> None:
    b = resolve("xen-hvm", xen=xen).plain()
    assert (b["xen_msi_mask"], b["xen_msix_unmask_completion"]) == (mask, completion)


@pytest.mark.parametrize(("xen", "busy"), [("4.4", False), ("4.4.4", True), ("4.5.2", False), ("4.5.3", True),
                                           ("4.6", False), ("4.6.1", True), ("4.7", True)])
def test_the_busy_port_fix_is_in_the_stable_releases_that_carry_it(xen: str, busy: bool) -> None:
    assert resolve("xen-hvm", xen=xen).plain()["xen_evtchn_skip_busy"] is busy


def _mask_late(xen: str) -> str:
    text = (SCENARIOS / "xen-hvm-msix-mask-late.yaml").read_text()
    assert 'xen: "4.4"' in text
    return text.replace('xen: "4.4"', f'xen: "{xen}"')


@pytest.mark.parametrize(("xen", "delivered"), [("4.2", 30), ("4.3", 30), ("4.2.4", 0), ("4.3.1", 0), ("4.4", 0)])
def test_xen_42_discards_the_late_mask_all(xen: str, delivered: int) -> None:
    """The 2022 late msix_mask_all() reaches the physical entries through the intercept only where
    Xen lets a guest write the mask bit (a35137373a); 4.2.0 .. 4.2.3 and 4.3.0 discard it, so the
    entries stay unmasked and the device's signals are delivered."""
    eng = run_to_end(scenario(_mask_late(xen), str(Path("mask-late.yaml"))))
    assert totals(eng, "eth0")["delivered"] == delivered
    discarded = [e for e in eng.log.events(1, len(eng.log) + 1)
                 if e.kind == "xen.msixtbl" and "discarded" in str(e.fields.get("how"))]
    assert bool(discarded) is (delivered == 30)
    assert all(e["ctrl"] & 1 == (0 if delivered else 1) for e in eng.w["devices"]["eth0"]["msix"]["table"])


@pytest.mark.parametrize("mode", ["unchecked", "direct"])
def test_before_74c213c506_a_guest_unmask_passes_even_while_xen_masks_the_entry(mode: str) -> None:
    """4.0 / 4.1 write the guest's Vector Control as it is; from a35137373a Xen ignores a guest
    write while it has the entry masked itself."""
    text = _mask_late("4.4").replace("  kind: xen-hvm\n", f"  kind: xen-hvm\n  xen_msi_mask: {mode}\n")
    eng = run_to_end(scenario(text, "mask-late.yaml"))
    x = eng.w["xen"]
    hirq = x["irqs"][x["entry_irq"]["eth0#0"]]
    hirq["host_masked"] = True
    assert vmsi.covers(eng.w, "eth0", 0)
    assert vmsi.write(eng, 0, "eth0", 0, "ctrl", 0) == vmsi.HANDLED
    assert eng.w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] & 1 == (0 if mode == "unchecked" else 1)


AFFINITY = """
name: unmask-completion
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}", xen_hvm_pirqs: false}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, do: request_irq, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}}
  - {{at: 4ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 5ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "lost"), [("4.3.1", 2), ("4.3.2", 0), ("4.2.4", 0), ("4.4", 0)])
def test_an_unmask_after_a_message_change_is_applied_by_xen_from_74fd0036de(xen: str, lost: int) -> None:
    """A guest's masked message update (the affinity move applied at the next interrupt: mask,
    address/data, unmask) through the intercept: the mask reaches the physical entry, the unmask goes
    to QEMU, which re-binds. From 74fd0036de Xen unmasks the entry when QEMU is done; 4.3.1 has
    a35137373a without it, and the entry stays masked: the following signals wait in the PBA."""
    eng = run_to_end(scenario(AFFINITY.format(xen=xen)))
    assert totals(eng, "eth0") == {"raised": 5, "delivered": 5 - lost, "lost": lost, "spurious": 0}
    assert eng.w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] & 1 == int(bool(lost))


def test_qemu_xen_42_has_no_passthrough() -> None:
    """qemu-xen-4.2.x has no hw/xen_pt*.c (git ls-tree qemu-xen-4.2.0 .. 4.2.5); xen-pt is first in
    qemu-xen-4.3.0. A passed-through device with it is refused at load, naming the field."""
    from msidbg.errors import ScenarioError

    text = """
    name: q42
    cpus: 1
    platform: {{kind: xen-hvm, xen: "4.2", qemu: "{qemu}"}}
    devices:
      eth0: {{bdf: "00:03.0", kind: nic, passthrough: {pt}, msix: {{table_size: 2}}}}
    run:
      - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
    """
    with pytest.raises(ScenarioError, match=r"devices\.eth0\.passthrough: qemu-xen-4\.2 has no PCI passthrough"):
        scenario(text.format(qemu="qemu-xen-4.2", pt="true"))
    scenario(text.format(qemu="qemu-xen-4.2", pt="false"))          # an emulated device is fine
    scenario(text.format(qemu="qemu-xen-4.3", pt="true"))


@pytest.mark.parametrize(("xen", "pirqs"), [("4.0", False), ("4.0.4", False), ("4.1", True), ("4.5", True),
                                            ("4.18", True), ("4.18.6", True), ("4.19", False), ("4.22", False),
                                            (None, False)])
def test_hvm_pirqs_are_offered_from_41_and_off_by_default_from_419(xen: str | None, pirqs: bool) -> None:
    """0b469cd68708 (RELEASE-4.1.0) adds XENFEAT_hvm_pirqs; 024e7131be5c (RELEASE-4.19.0) makes libxl
    expose it only with xl.cfg hvm_pirq=1 (kernel.c: has_pirq(d) ? XENFEAT_hvm_pirqs : 0)."""
    assert resolve("xen-hvm", xen=xen).plain()["xen_hvm_pirqs"] is pirqs


PIRQS = """
name: hvm-pirqs
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "extra", "pirqs"), [("4.18", "", True), ("4.19", "", False),
                                                     ("4.19", ", xen_hvm_pirqs: true", True), ("4.0", "", False)])
def test_without_xenfeat_hvm_pirqs_the_guest_keeps_native_msis(xen: str, extra: str, pirqs: bool) -> None:
    """pci_xen_hvm_init returns early without XENFEAT_hvm_pirqs: no PHYSDEVOP_get_free_pirq, no
    event channel; QEMU binds the guest's own vector, and 7e0815b3e099's pci_msi_ignore_mask (set in
    xen_setup_pci_msi) is not set: the guest masks its entries itself."""
    eng = run_to_end(scenario(PIRQS.format(xen=xen, extra=extra)))
    ops = {e.fields["op"] for e in eng.log.events(1, len(eng.log) + 1) if e.kind == "xen.hypercall"}
    assert ("PHYSDEVOP_get_free_pirq" in ops) is pirqs
    assert ("EVTCHNOP_bind_pirq" in ops) is pirqs
    assert bool(eng.w["kernel"].get("ignore_mask")) is pirqs
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_the_device_models_unmap_clears_the_emuirq_of_a_pirq_the_guest_still_binds() -> None:
    """physdev_unmap_pirq (RELEASE-4.2.0 .. 4.22.0; 49f9d2493c) for an HVM domain: 'if (
    domain_pirq_to_emuirq(d, pirq) != IRQ_UNBOUND ) ret = unmap_domain_pirq_emuirq(d, pirq);' before
    unmap_domain_pirq, whoever still has an event channel on the pirq. So QEMU's unbind + unmap
    leaves a pirq get_free_pirq hands out again (is_free_pirq), although the guest's port names it."""
    from msidbg.model import xen as X

    eng = run_to_end(scenario(PIRQS.format(xen="4.6", extra="")))
    x = eng.w["xen"]
    pirq = next(p for p, r in x["pirqs"].items() if r["dev"] == "eth0")
    rec = x["pirqs"][pirq]
    assert rec["emuirq"] and rec["port"] and rec["bound"]
    assert X.get_free_pirq(x) == pirq - 1
    assert X.pt_unbind(eng, pirq) == 0 and X.unmap_pirq(eng, pirq) == 0
    assert not rec["emuirq"] and rec["port"] and rec["irq"] == 0
    assert X.get_free_pirq(x) == pirq
    assert X.state(rec) == "stale"
