"""`msidbg export --perfetto`: the trace parsed back with Perfetto's own trace protos.

(The ``perfetto`` package's TraceProcessor downloads its shell binary at first use, which this
machine cannot; ``perfetto_trace_pb2`` is the schema trace_processor itself reads.) Checks the
tracks, that slices nest on every track, and that the flows match the run's signal counts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb

from msidbg.debugger import Session
from tests.bugio.helpers import ROOT, cli

TE = pb.TrackEvent


class Parsed:
    def __init__(self, path: Path) -> None:
        trace = pb.Trace.FromString(path.read_bytes())
        self.tracks: dict[int, str] = {}
        self.counters: set[str] = set()
        self.events: list[tuple[int, str, Any]] = []
        for p in trace.packet:
            if p.HasField("track_descriptor"):
                d = p.track_descriptor
                self.tracks[d.uuid] = d.name
                if d.HasField("counter"):
                    self.counters.add(d.name)
            elif p.HasField("track_event"):
                assert p.track_event.track_uuid in self.tracks, "an event before its track's descriptor"
                self.events.append((p.timestamp, self.tracks[p.track_event.track_uuid], p.track_event))

    def check_nesting(self) -> int:
        """Every END closes the innermost open slice of its track; all close; time never goes back."""
        open_: dict[str, list[tuple[int, str]]] = {}
        last, slices = 0, 0
        for ts, track, te in self.events:
            assert ts >= last
            last = ts
            if te.type == TE.TYPE_SLICE_BEGIN:
                open_.setdefault(track, []).append((ts, te.name))
                slices += 1
            elif te.type == TE.TYPE_SLICE_END:
                assert open_.get(track), f"END without BEGIN on {track} at {ts}"
                begun, _ = open_[track].pop()
                assert begun <= ts
        assert all(not stack for stack in open_.values())
        return slices

    def flows(self) -> tuple[Counter[int], Counter[str]]:
        starts: Counter[int] = Counter()
        ends: Counter[str] = Counter()
        for _, _, te in self.events:
            starts.update(te.flow_ids)
            for _ in te.terminating_flow_ids:
                ends[te.name.split(" ")[0]] += 1
        return starts, ends


def export(tmp_path: Path, source: Path) -> Parsed:
    out = tmp_path / "t.pftrace"
    code, _, err = cli("export", str(source), "--perfetto", str(out))
    assert code == 0, err
    return Parsed(out)


def totals(summ: dict[str, Any], field: str) -> int:
    return sum(v[field] for d in summ["devices"].values() for v in d["vectors"])


def test_torn_msi_run_tracks_nesting_and_flows(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "msi-torn-affinity-update.yaml"
    t = export(tmp_path, path)
    s = Session.from_scenario(str(path))
    s.run()
    summ = s.summary()
    names = set(t.tracks.values())
    assert {f"CPU{i}" for i in range(s.scenario.cpus)} <= names
    assert {f"CPU{i} IRR depth" for i in range(s.scenario.cpus)} <= t.counters
    raised = {f"{dev} vector {v['index']}" for dev, d in summ["devices"].items() for v in d["vectors"] if v["raised"]}
    assert raised <= names and "msidbg hits" in names
    assert "Xen" not in names and "QEMU" not in names
    assert t.check_nesting() > 100
    starts, ends = t.flows()
    assert len(starts) == totals(summ, "raised") and set(starts.values()) == {1}
    assert ends == Counter({"handler": totals(summ, "delivered"), "lost": totals(summ, "lost")})
    # the kernel programs nest on the CPU that ran them: a handler inside interrupt entry
    depth: dict[str, list[str]] = {}
    inside = set()
    for _, track, te in t.events:
        if te.type == TE.TYPE_SLICE_BEGIN:
            if te.name.startswith("handle_edge_irq"):
                inside.add(tuple(depth.get(track, []))[-1:] == ("common_interrupt",))
            depth.setdefault(track, []).append(te.name.split(" ")[0])
        elif te.type == TE.TYPE_SLICE_END:
            depth[track].pop()
    assert inside == {True}


def test_xen_snapshot_has_actor_tracks_pirq_counter_and_held_slices(tmp_path: Path) -> None:
    path = ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack"
    t = export(tmp_path, path)
    names = set(t.tracks.values())
    assert {"Xen", "QEMU", "Xen pending pirqs", "msidbg bookmarks"} <= names
    assert "Xen pending pirqs" in t.counters
    held = [te.name for _, track, te in t.events if track == "eth0 vector 0 held" and te.type == TE.TYPE_SLICE_BEGIN]
    assert held == ["held in the PBA"]
    qemu = {te.name.split(" ")[0] for _, track, te in t.events if track == "QEMU" and te.type == TE.TYPE_SLICE_BEGIN}
    assert "xen_pt_msix_update_one" in qemu
    xen = [te.name for _, track, te in t.events if track == "Xen" and te.type == TE.TYPE_INSTANT]
    assert xen.count("xen.hypercall PHYSDEVOP_get_free_pirq") == 3
    marks = [te.name for _, track, te in t.events if track == "msidbg bookmarks"]
    assert marks == ["bind-on-restore", "late-mask", "signal-lost", "snapshot cursor"]
    starts, ends = t.flows()
    assert len(starts) == 30 and ends == Counter({"lost": 30})
    t.check_nesting()


def test_bad_source_and_output_are_one_line(tmp_path: Path) -> None:
    code, _, err = cli("export", str(tmp_path / "nope.yaml"), "--perfetto", str(tmp_path / "t"))
    assert code == 2 and err.count("\n") == 1
    code, _, err = cli("export", str(ROOT / "scenarios" / "msi-torn-affinity-update.yaml"),
                       "--perfetto", str(tmp_path / "no" / "dir" / "t.pftrace"))
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


@pytest.mark.parametrize("n", [0, 50])
def test_max_events_bounds_the_trace(tmp_path: Path, n: int) -> None:
    out = tmp_path / "t.pftrace"
    code, _, err = cli("export", str(ROOT / "scenarios" / "msi-torn-affinity-update.yaml"), "--perfetto", str(out),
                       "--max-events", str(n))
    assert code == 0, err
    assert f": {n} events," in err
    Parsed(out).check_nesting()
