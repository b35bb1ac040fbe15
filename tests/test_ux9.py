"""ux9: hardening and UX found by fuzzing the untrusted inputs, walking every --help and driving the TUI."""

from __future__ import annotations

import functools
from pathlib import Path

from msidbg.debugger import Session
from msidbg.scenario import load_scenario
from msidbg.tui import pirqmap
from msidbg.tui.table import intx_state

ROOT = Path(__file__).resolve().parents[1]
HVM_INTX = ROOT / "tests" / "data" / "ux9-hvm-intx.yaml"   # (both guest irqs on CPU1: see its about)


@functools.cache
def _hvm_world(at: int) -> dict:
    s = Session(load_scenario(str(HVM_INTX)))
    s.seek(at)
    return s.world


def test_hvm_intx_header_names_the_guest_gsi_and_xens_machine_line() -> None:
    """A Xen HVM guest's passthrough INTx: the vector table's header said 'GSI 17' and 'IO-APIC 17' for
    a function whose file says gsi: 20 -- 17 is the guest's GSI (hvm_pci_intx_gsi of slot 8, pin A) on
    Xen's vIOAPIC, and the machine line (its Remote IRR held until Xen EOIs the host irq, the pirq masked
    by do_IRQ_guest, pirq_dpci->pending) was nowhere on the screen."""
    w = _hvm_world(56)   # xen.intx: do_IRQ_guest -> hvm_dirq_assist asserted a and b; a's EOI pending
    parts = intx_state(w, "a")
    assert parts[0].startswith("INTx A, guest GSI 17: ")
    assert parts[1] == "vIOAPIC 17: 0x22 -> CPU1, Remote IRR"
    assert parts[2] == "machine GSI 20 pirq 20: Remote IRR, pirq masked, dpci pending 2"
    # every part fits the 80-column pane
    assert all(len(p) <= 76 for p in parts)
    # bare metal keeps its wording
    bare = Session(load_scenario(str(ROOT / "scenarios" / "intx-nobody-cared.yaml")))
    bare.seek(20)
    assert intx_state(bare.world, "eth0")[0].startswith("INTx A, GSI 16: ")


def test_hvm_intx_header_at_event_0_shows_the_bound_idle_machine_line() -> None:
    parts = intx_state(_hvm_world(0), "b")
    assert parts[0] == "INTx A, guest GSI 21: idle"
    assert parts[-1] == "machine GSI 20 pirq 20: idle"


def test_pirq_map_lists_the_gsi_pirq_bound_for_hvm_intx() -> None:
    """The pirq map of a Xen HVM guest whose only interrupts are passthrough INTx was empty: the GSI pirq
    xen-pt mapped (MAP_PIRQ_TYPE_GSI, pirq = machine GSI) and bound to both functions' guest GSIs had no row."""
    rows = pirqmap.rows(_hvm_world(56))
    assert [r.pirq for r in rows] == [20]
    r = rows[0]
    assert (r.xen_state, r.device, r.guest_irq) == ("GSI in flight", "a,b", "17,21")
    assert r.guest_view == "intx a gsi 17, b gsi 21; pending 2"
    idle = pirqmap.rows(_hvm_world(0))[0]
    assert (idle.xen_state, idle.guest_view) == ("GSI bound", "intx a gsi 17, b gsi 21")


def test_condition_names_an_unknown_event_field_before_its_sub_field() -> None:
    """'if event.fields.ret < 0' (a natural guess at the event's fields) said 'event fields are plain
    values; they have no sub-fields' with the caret on 'ret': the mistake is 'fields', which is no event
    field -- the error now names it and lists the fields there are (event.ret among them)."""
    import pytest

    from msidbg.debugger.breakpoints import BreakpointError

    s = Session(load_scenario(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml")))
    spec = "if event.kind == 'xen.hypercall' and event.fields.ret < 0"
    with pytest.raises(BreakpointError) as e:
        s.add_breakpoint(spec)
    assert "unknown event field 'fields'" in e.value.message and " ret," in e.value.message
    assert e.value.column == spec.index("fields")
    # a real field with a sub-field keeps its own message, the caret on the sub-field
    with pytest.raises(BreakpointError) as e2:
        s.add_breakpoint("if event.ret.x < 0")
    assert "no sub-fields" in e2.value.message
    s.add_breakpoint("if event.kind == 'xen.hypercall' and event.ret < 0")


def _new(tmp_path: Path, lspci: str, *args: str, **inputs: str) -> tuple[Path, str]:
    from tests.bugio.helpers import cli

    (tmp_path / "lspci.txt").write_text(lspci)
    extra: list[str] = []
    for opt, text in inputs.items():
        (tmp_path / f"{opt}.txt").write_text(text)
        extra += [f"--{opt}", str(tmp_path / f"{opt}.txt")]
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(tmp_path / "lspci.txt"), *extra, *args, "-o", str(out))
    assert code == 0, err
    return out, out.read_text()


HVM_LSPCI = """\
00:03.0 Ethernet controller: Intel Corporation 82574L Gigabit Network Connection
\tInterrupt: pin A routed to IRQ 16
\tCapabilities: [d0] MSI: Enable- Count=1/1 Maskable- 64bit+
\tKernel driver in use: e1000e

00:08.0 Ethernet controller: Intel Corporation 82574L Gigabit Network Connection
\tInterrupt: pin A routed to IRQ 20
\tCapabilities: [d0] MSI: Enable- Count=1/1 Maskable- 64bit+
\tKernel driver in use: e1000e
"""


def test_new_on_xen_hvm_sets_the_passthrough_pin_the_loader_models(tmp_path: Path) -> None:
    """`msidbg new --platform xen-hvm` commented every pin out with 'INTx on xen-hvm is not modelled
    (QEMU's emulated pin, Xen's vIOAPIC, pcifront)' -- false since a Xen HVM guest's passthrough INTx is
    (Xen 4.16+, no XENFEAT_hvm_pirqs, a guest slot whose GSI is 16..23). The loader now decides per
    function: slot 08's pin is set (guest GSI 17), slot 03's (guest GSI 28) is a comment with its reason."""
    out, text = _new(tmp_path, HVM_LSPCI, "--platform", "xen-hvm")
    scn = load_scenario(str(out))
    pins = {d.bdf: d.intx for d in scn.devices.values()}
    assert pins["00:03.0"] is None
    assert pins["00:08.0"] is not None and (pins["00:08.0"].gsi, pins["00:08.0"].machine) == (17, 20)
    assert "not modelled (QEMU's emulated pin" not in text
    assert "#   not set: slot 0x3 pin A is the guest's GSI 28 (hvm_pci_intx_gsi)" in text
    assert "gsi: the machine GSI (dom0's lspci)" in text
    # the loader's reason is never cut mid-word: its 'expected' part is all there
    assert "slot like 08, 09, 10 or 18)" in text.replace("\n    #     ", " ")


def test_new_on_xen_hvm_keeps_a_moved_function_s_pin_out(tmp_path: Path) -> None:
    """An HVM guest's level irq may not move (the loader refuses set_affinity on an HVM intx: function):
    the /proc/interrupts row that becomes a set_affinity wins and the pin says why, in the loader's words."""
    lspci = HVM_LSPCI.split("\n\n")[1].replace("MSI: Enable-", "MSI: Enable+")
    irqs = ("           CPU0       CPU1\n"
            " 24:          0        500   PCI-MSI 131072-edge      eth0\n")
    out, text = _new(tmp_path, lspci, "--platform", "xen-hvm", interrupts=irqs)
    scn = load_scenario(str(out))
    assert [a.do for a in scn.run if a.do == "set_affinity"] == ["set_affinity"]
    assert all(d.intx is None for d in scn.devices.values())
    joined = text.replace("\n    #     ", " ")   # the reason wrapped over comment lines
    assert ("#   not set: its vectors' affinities below (set_affinity) and an intx: pin do not load together: "
            "moving a Xen HVM guest's level irq") in joined


def test_report_names_the_hvm_guest_gsi_the_vioapic_and_xens_machine_line(tmp_path: Path) -> None:
    """`msidbg report` of an HVM INTx snapshot said 'a INTx: pin A -> GSI 17' and 'IO-APIC GSI 17' for a
    function whose file says gsi: 20, and nothing of Xen's machine line (its Remote IRR, the pirq mask,
    pirq_dpci->pending) -- what a reader of the mail needs to see why the guest's line is stuck."""
    from tests.bugio.helpers import cli

    snap = tmp_path / "h.msgpack"
    code, _, err = cli("run", str(HVM_INTX), "--max-events", "56", "--save", str(snap))
    assert code == 0, err
    code, out, err = cli("report", str(snap))
    assert code == 0, err
    assert "  a INTx: pin A -> guest GSI 17 (machine GSI 20)  Status.INTx-  DisINTx-" in out
    assert "  vIOAPIC GSI 17: vector 0x22 -> CPU1  masked-  Remote IRR+" in out
    assert "  machine GSI 20 (Xen pirq 20): Remote IRR+  masked+  pending 2" in out
    assert "IO-APIC GSI 17" not in out.replace("vIOAPIC GSI 17", "")


def test_perfetto_tracks_of_an_hvm_guest_name_xens_vioapic_and_the_guest_gsi(tmp_path: Path) -> None:
    """The trace of an HVM INTx run had 'IO-APIC GSI 17' and 'GSI 17 INTx# line' tracks: 17 is the guest's
    GSI on Xen's vIOAPIC (the functions' INTx# drive machine GSI 20); bare metal keeps 'IO-APIC GSI 16'."""
    from tests.bugio.test_export import export

    names = set(export(tmp_path, HVM_INTX).tracks.values())
    assert {"vIOAPIC GSI 17", "vIOAPIC GSI 17 Remote IRR", "guest GSI 21 INTx# line"} <= names
    assert not any(n.startswith(("IO-APIC", "GSI ")) for n in names)
    bare = set(export(tmp_path, ROOT / "scenarios" / "intx-nobody-cared.yaml").tracks.values())
    assert {"IO-APIC GSI 16", "GSI 16 INTx# line"} <= bare
