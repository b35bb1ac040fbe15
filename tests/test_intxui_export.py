"""Perfetto export and report of a bare-metal INTx run: the IO-APIC entry writes and INTx# assertions on
the GSI's track, the line and Remote IRR as slices, the spurious-irq events (IRQ_NONE, "nobody cared",
poll_spurious_irqs) as instants on the CPU that ran them, named as the kernel prints them."""

from __future__ import annotations

from pathlib import Path

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from msidbg.bugio.observe import _event_name
from msidbg.bugio.report import _state
from msidbg.debugger import Session
from msidbg.sim.events import Event
from tests.bugio.helpers import ROOT, cli
from tests.bugio.test_export import Parsed

TE = pb.TrackEvent
SCN = ROOT / "scenarios" / "intx-nobody-cared.yaml"


def test_intx_tracks_and_instants(tmp_path: Path) -> None:
    out = tmp_path / "t.pftrace"
    code, _, err = cli("export", str(SCN), "--perfetto", str(out), "--max-events", "60")
    assert code == 0, err
    t = Parsed(out)
    t.check_nesting()
    names = set(t.tracks.values())
    assert {"IO-APIC GSI 16", "IO-APIC GSI 16 Remote IRR", "GSI 16 INTx# line"} <= names
    gsi = [te.name for _, track, te in t.events if track == "IO-APIC GSI 16" and te.type == TE.TYPE_INSTANT]
    assert gsi[:4] == ["IO-APIC entry: vector 0x20 -> CPU1", "IO-APIC entry: vector 0x20 -> CPU1",
                       "IO-APIC entry: unmasked", "INTx# eth0: asserted"]
    assert "INTx# usb0: asserted" in gsi
    rirr = [te.name for _, track, te in t.events if track == "IO-APIC GSI 16 Remote IRR"
            and te.type == TE.TYPE_SLICE_BEGIN]
    assert rirr and set(rirr) == {"Remote IRR set (vector 0x20 -> CPU1)"}
    line = [te.name for _, track, te in t.events if track == "GSI 16 INTx# line" and te.type == TE.TYPE_SLICE_BEGIN]
    assert line[:3] == ["asserted by eth0"] * 3 and line[-1] == "asserted by usb0"
    none = [te for _, track, te in t.events if track == "CPU1" and te.type == TE.TYPE_INSTANT
            and te.name.startswith("IRQ_NONE")]
    assert none and none[0].name == "IRQ_NONE eth0#0 (irq 16)"
    assert {a.name: a.int_value for a in none[0].debug_annotations if a.name in ("irq", "status")} == \
        {"irq": 16, "status": 0}


def test_line_slice_names_follow_the_functions_driving_it(tmp_path: Path) -> None:
    """usb0's leftover holds the shared line; eth0 joins it: a new slice names both."""
    text = SCN.read_text().split("run:")[0] + (
        "run:\n  - {at: 0, on: 0, do: probe, dev: eth0, mode: all, vectors: 4}\n"
        "  - {at: 1ms, do: fire, dev: usb0, vector: 0}\n  - {at: 1001us, do: fire, dev: eth0, vector: 0}\n")
    scn = tmp_path / "line.yaml"
    scn.write_text(text)
    out = tmp_path / "t.pftrace"
    code, _, err = cli("export", str(scn), "--perfetto", str(out), "--max-events", "120")
    assert code == 0, err
    t = Parsed(out)
    t.check_nesting()
    line = [te.name for _, track, te in t.events if track == "GSI 16 INTx# line" and te.type == TE.TYPE_SLICE_BEGIN]
    assert line[:2] == ["asserted by usb0", "asserted by eth0, usb0"]


def test_spurious_event_names() -> None:
    assert _event_name(Event(1, 0, "irq.nobody_cared", 1, None, {"irq": 16, "unhandled": 99_901, "window": 100_000})) \
        == "irq 16: nobody cared -- Disabling IRQ #16"
    assert _event_name(Event(1, 0, "irq.poll", 0, None, {"irq": 16, "handled": 1, "how": "timer"})) \
        == "irq.poll irq 16"
    assert _event_name(Event(1, 0, "irq.poll", 0, None, {"irq": -1, "handled": 0, "how": "mod_timer"})) \
        == "irq.poll"


def test_report_state_shows_the_pin_and_the_ioapic_entry() -> None:
    s = Session.from_scenario(str(SCN))
    s.run()
    s.seek(next(h.event for h in s.hits(s.cursor) if h.name == "probe-failed"))
    lines = _state(s, s.summary()).lines
    # each too long for the report's 72 columns: the parenthesis on a line of its own (ux7)
    i = lines.index("eth0 INTx: pin A -> GSI 16  Status.INTx+  DisINTx-")
    assert lines[i + 1] == "    (INTx# asserted, 1 signal(s) pending)"
    i = lines.index("IO-APIC GSI 16: vector 0x20 -> CPU1  masked+  Remote IRR-")
    assert lines[i + 1] == '    (irq 16 disabled by note_interrupt: "nobody cared")'
