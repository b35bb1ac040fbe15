"""``msidbg export --perfetto``: a run as a Perfetto trace (protobuf, the ``perfetto`` package's
``TracePacket``/``TrackEvent`` messages), opened by ui.perfetto.dev or ``trace_processor``.

Tracks (``TrackDescriptor``): one per CPU (kernel programs and interrupt entry/handler slices,
nested as the frame stacks nest; handler and loss instants), one per device vector (signals,
losses at the device, held-in-PBA slices), one per vector and CPU while its signals are pending
in that CPU's IRR, one each for Xen and QEMU (QEMU's program slices and both actors' events as
instants), counters for each CPU's IRR depth and the pending pirqs (Xen event channels), and
tracks for hits and bookmarks. Flows (``flow_ids`` / ``terminating_flow_ids``) join each
signal to its handler, loss, or the cursor when still in flight.
"""

from __future__ import annotations

import io
from typing import IO, Any

from msidbg.bugio.observe import Rec, Replay, Track
from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.files import FileProblem, check_target, write_atomic

SEQUENCE = 7
#: the trace is built in memory (then written atomically): 40-80 bytes a record, a record or more an
#: event. A run past it is written up to the event whose records reach it, and export says so
#: (``cut_line``): 20,000,000 events, the other commands' default cap, could be 1.5 GB held here
MAX_RECORDS = 5_000_000


def track_name(track: Track, chip: str = "IO-APIC") -> str:
    """``chip``: "vIOAPIC" on a Xen HVM guest, whose INTx GSIs are inputs of Xen's emulated IO-APIC
    (the guest's GSIs, not the machine's: model/xen_intx.py)."""
    kind = track[0]
    if kind == "cpu":
        return f"CPU{track[1]}"
    if kind == "vec":
        return f"{track[1]} vector {track[2]}"
    if kind == "pba":
        return f"{track[1]} vector {track[2]} held"
    if kind == "irr":
        return f"{track[1]} vector {track[2]} in CPU{track[3]} IRR"
    if kind == "ioapic":
        return f"{chip} GSI {track[1]}"
    if kind == "rirr":
        return f"{chip} GSI {track[1]} Remote IRR"
    if kind == "intx-line":
        return f"{'guest ' if chip == 'vIOAPIC' else ''}GSI {track[1]} INTx# line"
    if kind == "irr-depth":
        return f"CPU{track[1]} IRR depth"
    return {"xen": "Xen", "qemu": "QEMU", "pirqs-pending": "Xen pending pirqs", "hits": "msidbg hits",
            "bookmarks": "msidbg bookmarks"}.get(kind, " ".join(str(x) for x in track))


def _order(track: Track) -> int:
    return {"cpu": 0, "irr-depth": 1, "vec": 2, "pba": 2, "irr": 2, "ioapic": 2, "rirr": 2, "intx-line": 2, "xen": 3, "qemu": 4, "pirqs-pending": 5,
            "hits": 6, "bookmarks": 7}.get(track[0], 9)


class Writer:
    """Streams records as TracePackets; each track's descriptor goes out before its first event."""

    def __init__(self, f: IO[bytes], chip: str = "IO-APIC") -> None:
        from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb
        from perfetto.trace_builder.proto_builder import StreamingTraceProtoBuilder

        self.pb = pb
        self.out = StreamingTraceProtoBuilder(f)
        self.uuids: dict[Track, int] = {}
        self.first = True
        self.count = 0
        self.chip = chip

    def _uuid(self, track: Track, counter: bool) -> int:
        uuid = self.uuids.get(track)
        if uuid is None:
            uuid = self.uuids[track] = 0x1000 + len(self.uuids)
            pkt = self.out.create_packet()
            desc = pkt.track_descriptor
            desc.uuid = uuid
            desc.name = track_name(track, self.chip)
            desc.sibling_order_rank = _order(track) * 100_000 + len(self.uuids)
            if counter:
                desc.counter.SetInParent()
            self.out.write_packet(pkt)
        return uuid

    def write(self, rec: Rec) -> None:
        self.count += 1
        pb = self.pb
        uuid = self._uuid(rec.track, rec.op == "counter")
        pkt = self.out.create_packet()
        pkt.timestamp = rec.ts
        pkt.trusted_packet_sequence_id = SEQUENCE
        if self.first:
            pkt.sequence_flags = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
            self.first = False
        else:
            pkt.sequence_flags = pb.TracePacket.SEQ_NEEDS_INCREMENTAL_STATE
        te = pkt.track_event
        te.track_uuid = uuid
        te.type = {"begin": pb.TrackEvent.TYPE_SLICE_BEGIN, "end": pb.TrackEvent.TYPE_SLICE_END,
                   "instant": pb.TrackEvent.TYPE_INSTANT, "counter": pb.TrackEvent.TYPE_COUNTER}[rec.op]
        if rec.op == "counter":
            te.counter_value = rec.value
        elif rec.op != "end":
            te.name = rec.name
        te.flow_ids.extend(rec.flows_out)
        te.terminating_flow_ids.extend(rec.flows_in)
        for key, value in rec.args.items():
            _annotate(te.debug_annotations.add(), key, value)
        self.out.write_packet(pkt)


def _annotate(ann: Any, key: str, value: Any) -> None:
    ann.name = key
    if isinstance(value, bool):
        ann.bool_value = value
    elif isinstance(value, int) and -(2**63) <= value < 2**63:
        ann.int_value = value
    else:
        ann.string_value = str(value)


def cut_line(path: str, run: Replay) -> str:
    """The one stderr line of a trace ``MAX_RECORDS`` cut (``run.cut_at`` set): where, and how to
    ask for a trace that ends before it."""
    from msidbg.guard import escape
    from msidbg.sim.events import format_ns

    at = run.cut_at or 0
    return (f"msidbg: {escape(path)}: the trace reached {MAX_RECORDS:,} records, the most export holds in memory, "
            f"at event {at:,} of {run.s.cursor:,} (virtual time {format_ns(run.cut_time)}): "
            f"written up to it (expected a shorter run: --max-events {at} or fewer)")


def export(s: Session, out: str, max_events: int | None = None, mark: int | None = None,
           replace: bool = True) -> Replay:
    """Write the session's run (event 0 to the cursor) to ``out`` atomically; returns the replay
    (its ``totals`` say how the signals' flows ended). ``mark``: an event to show on the bookmarks
    track as the snapshot's cursor. ``replace`` False: never over a file that is not empty."""
    run = Replay(s, max_events, mark, max_records=MAX_RECORDS)
    try:
        check_target(out)  # a bad path fails before the replay, not after it
        buf = io.BytesIO()
        w = Writer(buf, "vIOAPIC" if s.scenario.platform.kind == "xen-hvm" else "IO-APIC")
        for rec in run.records():
            w.write(rec)
        write_atomic(out, buf.getvalue(), replace)
    except FileProblem as e:
        raise MsidbgError(e.message, out, option="--perfetto") from None
    return run
