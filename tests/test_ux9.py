"""ux9: hardening and UX found by fuzzing the untrusted inputs, walking every --help and driving the TUI."""

from __future__ import annotations

import functools
from pathlib import Path

from msidbg.debugger import Session
from msidbg.scenario import load_scenario
from msidbg.tui import pirqmap
from msidbg.tui.table import intx_state

ROOT = Path(__file__).resolve().parents[1]
HVM_INTX = ROOT / "tests" / "heldout" / "xen15" / "intx-shared-x416-k510.yaml"


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
    w = _hvm_world(51)   # xen.intx: do_IRQ_guest -> hvm_dirq_assist asserted a and b; a's EOI pending
    parts = intx_state(w, "a")
    assert parts[0].startswith("INTx A, guest GSI 17: ")
    assert parts[1] == "vIOAPIC 17: 0x21 -> CPU1, Remote IRR"
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
    rows = pirqmap.rows(_hvm_world(51))
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
