"""``why`` / ``diff`` leftovers of the held-out round 3 (whyfix4). Each test pins one.

A pair differing only in ``kernel.nvme_irq_layout`` parted at the irq-allocation loop (the driver's
choice of the vector count recorded nothing); on xen-pv ``why`` named the guest's CPU as the writer
of MSI-X Message Control, which pciback writes for pcifront's request; an HVM pirq irq answered
"initial" between its descriptor and ``xen_bind_pirq_msi_to_irq``; ``diff`` printed a vector_irq
slot's vector in decimal where ``why`` names it in hex.
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files, render
from tests.test_why_held3 import PV_2L, PV_FIFO
from tests.why_helpers import events

NVME = """
name: nvme-layout
seed: 1
cpus: 4
kernel: {version: "5.4", nvme_irq_layout: pre-vector}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
  - {at: 1ms, do: fire, dev: nvme0, vector: 1, count: 2, every: 2us}
"""


def _run(tmp: Path, text: str) -> Session:
    p = tmp / "s.yaml"
    p.write_text(text)
    s = Session.from_scenario(str(p))
    s.run()
    return s


def _pair(tmp: Path, a: str, b: str) -> tuple[str, str]:
    pa, pb = tmp / "a.yaml", tmp / "b.yaml"
    pa.write_text(a)
    pb.write_text(b)
    return str(pa), str(pb)


def test_nvme_layout_pair_parts_at_the_drivers_choice(tmp_path: Path) -> None:
    """The two layouts ask for different vector counts in driver_probe's alloc step, which emitted
    nothing: diff parted at the allocation loop (msi_domain_alloc_irqs' irq.alloc of the fifth irq
    against the Message Control write). The step now records its choice and diff names it."""
    for other, count in (("shared-admin", 4), ("msix-range", 4)):
        a, b = _pair(tmp_path, NVME, NVME.replace("pre-vector", other))
        r = diff_files(a, b)
        d = r.first
        assert d is not None and d.context == "cpu0.proc"
        for side, info, want, n in (("a", d.a_info, "pre-vector", 5), ("b", d.b_info, other, count)):
            assert info["stack"][0] == "driver_probe+alloc", (side, info["stack"])
            assert f"kernel.nvme_irq_layout: {want}" in info["recorded"]
            assert f"1..{n} vectors" in info["recorded"]
        allocs = [e.index for e in events(r.a.session, "irq.alloc")]
        assert d.a is not None and d.a < allocs[0]       # before the allocation loop, not in it
        assert "recorded: nvme0: nvme_setup_irqs asks" in render(r)
    a, b = _pair(tmp_path, NVME, NVME)      # the same layout: the same record, no divergence
    assert diff_files(a, b).first is None


def test_pv_message_control_is_pcibacks_write(tmp_path: Path) -> None:
    """A PV guest's own Message Control writes are dropped (pciback's config space is read-only there):
    dom0's pciback enables MSI-X for pcifront's XEN_PCI_OP_enable_msix. why said "CPU1 process wrote
    MSI-X Message Control"; it names pciback, serving CPU1's request."""
    s = _run(tmp_path, PV_FIFO)
    head = s.why("devices.eth0.msix.ctrl").chain[0]
    assert head.link == "msix.ctrl" and head.actor == "pciback in dom0"
    assert head.reason.startswith("pciback in dom0 (xen_pcibk_enable_msix, for CPU1's pcifront "
                                  "XEN_PCI_OP_enable_msix) wrote MSI-X Message Control")
    assert "process wrote" not in head.reason
    # the device's Command is dom0's too: its last writer is now pciback's enable (dom0's msix_capability_init runs
    # pci_intx_for_msi(dev, 0) for every function: intx36), after command_write passed the guest's Bus Master
    # through dom0's pci_set_master
    cmd = s.why("devices.eth0.cmd").chain[0]
    assert cmd.actor == "pciback in dom0" and cmd.reason.startswith(
        "pciback in dom0 (xen_pcibk_enable_msix, for CPU1's pcifront XEN_PCI_OP_enable_msix) wrote devices.eth0.cmd "
        "= 0x406")
    assert s.why("devices.eth0.cmd").as_dict()["chain"][0]["actor"] == "pciback in dom0"
    # bare metal (and HVM) unchanged: the guest's own write
    s = Session.from_scenario("scenarios/msix-write-while-unmasked.yaml")
    s.run()
    head = s.why("devices.eth0.msix.ctrl").chain[0]
    assert head.actor.startswith("CPU") and head.reason.startswith("CPU")


def test_pv_msi_teardown_is_pcibacks_write(tmp_path: Path) -> None:
    """The disable on remove, likewise (xen_pcibk_disable_msix)."""
    s = _run(tmp_path, PV_2L.replace("  - {at: 3ms, do: fire, dev: eth0, vector: 1, count: 1}",
                                     "  - {at: 3ms, on: 0, do: remove, dev: eth0}"))
    head = s.why("devices.eth0.msix.ctrl").chain[0]
    assert head.value & 0x8000 == 0
    assert head.actor == "pciback in dom0" and "xen_pcibk_disable_msix" in head.reason
    assert "XEN_PCI_OP_disable_msix" in head.reason


def test_hvm_pirq_irq_before_its_bind_is_explained_by_its_allocation() -> None:
    """The model makes an HVM pirq irq's descriptor before PHYSDEVOP_get_free_pirq; xen.irq (the bind
    that answered irqs[n].vector) comes some events later. In between, why answered "still had its
    initial value". The allocation's record answers now, for the vector, the CPU and the fields."""
    s = Session.from_scenario("scenarios/xen-hvm-msix-mask-late.yaml")
    s.run()
    bind = events(s, "xen.irq")[0]
    irq = bind.fields["irq"]
    get = [e for e in events(s, "xen.hypercall", op="PHYSDEVOP_get_free_pirq") if e.index < bind.index][-1]
    for at in (get.index, (get.index + bind.index) // 2, bind.index - 1):
        s.seek(at)
        for part in ("vector", "cpu", "pending", "action"):
            head = s.why(f"irqs[{irq}].{part}").chain[0]
            assert head.link != "initial", (at, part)
            assert head.event == get.index and head.stack[0] == "xen_hvm_setup_msi_irqs+next_desc"
            assert head.reason.startswith(f"irqs[{irq}].{part} = ") and "since the irq was allocated" in head.reason
    s.seek(bind.index)
    head = s.why(f"irqs[{irq}].vector").chain[0]
    assert head.event == bind.index     # the bind answers from there, as before


def test_diff_paths_are_in_the_form_why_takes() -> None:
    """diff's paths named a vector_irq slot in decimal (cpus[2].vector_irq[34]) where why names it
    cpus[2].vector_irq[0x22]; every path diff lists is now why's form and accepted by why --path
    in a run that has it."""
    # kernel32: the seed pair (msi-torn-affinity-update vs -maskable) now parts at msi_capability_init's first
    # Message Control write (the Per-vector Masking bit read back differs) and names no state; heldout_diff22's d01
    # parts at the vector the 6.6 cleanup timer leaves
    r = diff_files("tests/heldout_diff22/d01-cleanup-k65.yaml", "tests/heldout_diff22/d01-cleanup-k66.yaml")
    d = r.first
    assert d is not None
    slots = [p["path"] for p in d.paths if ".vector_irq[" in p["path"]]
    assert slots == ["cpus[1].vector_irq[0x20]", "cpus[1].vector_irq[0x21]"]
    assert "cpus[1].vector_irq[0x21]" in d.as_dict()["paths"]
    for side, run, e in (("a", r.a, d.a), ("b", r.b, d.b)):
        assert e is not None
        run.session.seek(e)
        for p in d.paths:
            if p[side] is not None:
                why = run.session.why(p["path"])
                assert why.target["path"] == p["path"] or p["path"] not in slots
                if p["path"] in slots:
                    assert why.chain[0].path == p["path"]
