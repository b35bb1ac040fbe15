"""Red team 2: driver remove / re-probe cycles on Xen HVM with plain MSI.

Expected values follow from qemu-xen's hw/xen/xen_pt_msi.c and xen_pt_config_init.c of the
named releases (read in the mirror), worked out before the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals
from tests.why_helpers import first_hit, one, tree

RELOAD_MSI = """
name: reload-msi
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"}}
kernel: {{version: "4.9"}}
devices:
  xhci: {{bdf: "00:05.0", kind: xhci, passthrough: true, msi: {{vectors: 1, per_vector_mask: false, addr64: true}}}}
run:
  - {{at: 0, on: 1, do: probe, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 1ms, do: fire, dev: xhci, vector: 0, count: 3, every: 10us}}
  - {{at: 2ms, on: 1, do: remove, dev: xhci}}
  - {{at: 3ms, on: 1, do: probe, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 5ms, do: fire, dev: xhci, vector: 0, count: 3, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "lost"), [("4.4", 3), ("4.5", 0)])
def test_a_reprobed_msi_keeps_qemus_old_pirq_before_c976437(xen: str, lost: int) -> None:
    """qemu-xen-4.4 keeps the pirq mapped and MSI "initialized" when the guest clears Enable, so
    the re-probe's address write runs xen_pt_msi_update, which re-binds QEMU's own msi->pirq
    (101), never the new pirq the guest got from PHYSDEVOP_get_free_pirq and wrote in the
    message (100), and the Enable write sets nothing up. The device keeps signalling pirq 101,
    whose event channel the guest closed: lost. The model bound the message's pirq, failed,
    unmapped 101 and set MSI up again with 100: everything delivered. From c976437c7dba
    (qemu-xen-4.5) disabling unmaps and the re-probe's Enable maps and binds the new pirq."""
    eng = run_to_end(scenario(RELOAD_MSI.format(xen=xen)))
    assert totals(eng, "xhci") == {"raised": 6, "delivered": 6 - lost, "lost": lost, "spurious": 0}
    guest = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    assert guest == ([101, 100] if lost else [101, 101])
    assert {e.fields["pirq"] for e in events_of(eng, "qemu.bind_pirq")} == {101}
    assert ("pirq-conflict" in hit_names(eng)) == bool(lost)
    assert not [e for e in events_of(eng, "qemu.bind_pirq") if e.fields["rc"] < 0]


def test_why_the_reprobe_gets_a_new_pirq_names_what_holds_the_old_one(tmp_path: Path) -> None:
    """The guest's new pirq (100) is Xen's highest free one because QEMU-4.4 still maps 101 for
    the removed device. The conflict's chain stopped at PHYSDEVOP_get_free_pirq ("the highest
    free one") with nothing explaining why 101 was not free; it now reaches QEMU's map of 101 at
    the first probe."""
    path = tmp_path / "reload.yaml"
    path.write_text(RELOAD_MSI.format(xen="4.4") + "breakpoints: [pirq-conflict]\n")
    s = Session.from_scenario(str(path))
    s.run()
    hit = first_hit(s, "pirq-conflict")
    assert hit.detail.startswith("the guest binds an event channel to pirq 100 for xhci")
    links = {(lk.event, lk.path): lk for lk in s.why(hit).links()}
    mapped = one(s, "qemu.map_pirq", dev="xhci", pirq=101)
    assert links[(mapped, "xen.pirqs[101]")].actor == "QEMU"
    assert one(s, "action.start", do="probe", dev="xhci", test=lambda e: e.time_ns == 0) in tree(s.why(hit))


XSA129 = """
name: xsa129
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}", xen_hvm_pirqs: false}}
kernel: {{version: "5.10"}}
devices:
  xhci: {{bdf: "00:14.0", kind: xhci, passthrough: true, msi: {{vectors: 1, per_vector_mask: true, addr64: true}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}}
"""


@pytest.mark.parametrize(("xen", "emulated"), [("4.5", False), ("4.5.1", True), ("4.4.2", False), ("4.4.3", True),
                                               ("4.6", True)])
def test_xsa129_hides_msi_mask_bits_from_the_guest(xen: str, emulated: bool) -> None:
    """7611dae8a6 (XSA-129; qemu-xen-4.6.0, backported to 4.4.3 and 4.5.1): Message Control's
    Per-vector Masking bit is emulated as 0 and the Mask Bits register is QEMU's own. Before it
    the guest saw the device's bit and its mask writes reached the device. The model showed the
    bit in every release (the guest read the physical register, not QEMU's) and never passed the
    writes through. A guest that sees no mask bits has no reservation mode (msi_check_reservation_mode)."""
    eng = run_to_end(scenario(XSA129.format(xen=xen)))
    assert eng.w["behaviour"]["qemu_msi_mask_emulated"] is emulated
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "xhci")
    assert desc["resv_mode"] is not emulated
    guest_mask = [e for e in events_of(eng, "cfg.write") if e.dev == "xhci" and e.fields["offset"] == 0x60]
    assert (not guest_mask) is emulated


def test_qemu_binds_a_plain_msi_with_the_guests_vector_under_apic_virtualization() -> None:
    """msi_msix_update passes gvec = msi_vector(data) and the destination to
    xc_domain_update_msi_irq for MSI as for MSI-X. The model bound MSI with vector 0, harmless
    for a pirq guest (XEN_PIRQ_MSI_DATA has vector 0) but fatal under APIC virtualization, where
    the guest programs a real vector and Xen injects it (vmsi_deliver_pirq): every signal was
    lost as "the guest's message, whose vector is 0". Signals 3 ms apart (Xen's 1 ms eoi_timer
    acknowledges the non-maskable MSI in between) are all delivered."""
    eng = run_to_end(scenario("""
        name: apicv-msi
        cpus: 2
        platform: {kind: xen-hvm, xen: "4.16", apic_virtualization: true}
        kernel: {version: "5.10"}
        devices:
          xhci: {bdf: "00:14.0", kind: xhci, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
        run:
          - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
          - {at: 1ms, do: fire, dev: xhci, vector: 0, count: 3, every: 3ms}
        """))
    assert totals(eng, "xhci") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "xhci")
    pirq = next(p for p, r in eng.w["xen"]["pirqs"].items() if r["dev"] == "xhci")
    # the destination QEMU passes is the guest's: on 2 vCPUs offered XENFEAT_hvm_pirqs the guest stays in
    # xAPIC mode and runs apic_flat (redteam9, reading xen.hvm-apic-mode): DM | 1 << cpu
    assert (eng.w["xen"]["pirqs"][pirq]["gvec"], eng.w["xen"]["pirqs"][pirq]["gdest"]) == (desc["vector"],
                                                                                          0x200 | 1 << desc["cpu"])
