"""TUI on bare-metal INTx: the vector table pane's header carries the selected function's INTx pin
(condition, Interrupt Disable, INTx# driven) and its GSI's IO-APIC entry (vector -> CPU, masked, Remote
IRR, the irq note_interrupt disabled); the cursor's focus follows IO-APIC events to the function on
the line and to the entry's CPU."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.tui import table
from msidbg.tui.digest import NO_CHANGES
from msidbg.tui.follow import focus
from tests.tui.conftest import ROOT

SCN = str(ROOT / "scenarios" / "intx-nobody-cared.yaml")


def at(s: Session, i: int) -> Session:
    s.seek(i)
    return s


def test_vector_table_state_shows_the_pin_and_the_entry() -> None:
    s = Session.from_scenario(SCN)
    # (kernel32: every index +1, msi_capability_init's first write before the injected fault)
    # 15: before request_irq activated irq 16: the entry as the firmware left it
    assert table.intx_state(at(s, 15).world, "usb0") == ["INTx A, GSI 16: idle", "IO-APIC 16: no vector, masked"]
    # 21: eth0's own interrupt sent (Remote IRR set until the EOI)
    assert table.intx_state(at(s, 21).world, "eth0") == ["INTx A, GSI 16: pending 1, asserted",
                                                         "IO-APIC 16: 0x20 -> CPU1, Remote IRR"]
    # 32: the USB controller's leftover asserts the shared line
    assert table.intx_state(at(s, 32).world, "usb0")[0] == "INTx A, GSI 16: pending 1, asserted"
    s.run()
    hit = next(h.event for h in s.hits(s.cursor) if h.name == "probe-failed")
    parts = table.device_state(at(s, hit).world, "eth0")
    assert parts[2:5] == ["INTx A, GSI 16: pending 1, asserted", "IO-APIC 16: 0x20 -> CPU1, masked",
                          "irq 16 disabled: nobody cared"]
    # each part fits an 80-column pane's header; devices without a pin show nothing more
    assert all(len(p) < 40 for p in parts[2:5])
    assert table.intx_state(s.world, "eth0") == parts[2:5]


def test_focus_follows_the_line() -> None:
    s = Session.from_scenario(SCN)

    def f(i: int):  # type: ignore[no-untyped-def]
        at(s, i)
        return focus(s.world, s.eng.log.event(i), NO_CHANGES)

    # ioapic.rte names no device: the line's function, and the entry's CPU (not the writer's, CPU0)
    assert (f(16).device, f(16).cpu, f(16).vector) == ("eth0", 1, 0x20)
    # apic.accept of the IO-APIC vector: the function driving the line (usb0's leftover), not the action's
    assert (f(33).device, f(33).cpu) == ("usb0", 1)
    # irq.none / irq.handler of an INTx irq: no vector-table row (not eth0's MSI message 0)
    assert (f(34).device, f(34).row) == ("eth0", None)
    assert f(22).row is None
