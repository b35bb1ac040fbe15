"""Provenance's packed notes and hot dependencies (``model/provstore.py``) read as the dicts they
replaced, and a long Xen run keeps a few bytes an interrupt for them, not a tuple per note.
"""

from __future__ import annotations

import sys
from pathlib import Path

from msidbg.model import new_engine
from msidbg.model.provread import HOT
from msidbg.model.provstore import DepStore, NoteStore
from msidbg.scenario import load_scenario_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from engine import workload_yaml  # noqa: E402


def test_notes_are_interned_formatted_once_and_read_as_a_mapping() -> None:
    s = NoteStore()
    pair = ("{} vector {} on port {}", ("eth0", 3, 7))
    s.add(2, pair)
    s.add(5, "irq 24 destroyed")
    s.add(9, ("{} vector {} on port {}", ("eth0", 3, 7)))   # equal, not the same object
    s.add(11, ("{} vector {} on port {}", ("eth1", 3, 7)))
    assert len(s.vals) == 3, "an equal note is stored once"
    assert list(s) == [2, 5, 9, 11] and len(s) == 4
    assert s.get_note(2) == s.get_note(9) == "eth0 vector 3 on port 7"
    assert s.vals[0] == "eth0 vector 3 on port 7", "a lazy note's text replaces its pair once read"
    s.add(12, pair)     # recorded again after it was formatted: same id, same text
    assert s[12] == "eth0 vector 3 on port 7" and len(s.vals) == 3
    assert s[5] == "irq 24 destroyed" and s.get_note(11) == "eth1 vector 3 on port 7"
    for missing in (0, 3, 10, 13, -1):
        assert s.get_note(missing) is None and missing not in s
    assert dict(s) == {2: "eth0 vector 3 on port 7", 5: "irq 24 destroyed", 9: "eth0 vector 3 on port 7",
                       11: "eth1 vector 3 on port 7", 12: "eth0 vector 3 on port 7"}


def test_hot_dependencies_keep_each_records_list_in_order() -> None:
    d = DepStore()
    d.add(HOT + 1, [(3, 1 << 40, -1)])
    d.add(HOT + 4, [(5, 7, 12), (6, 8, HOT + 1), (9, 2, -1)])
    d.add(HOT + 5, [(5, 7, 13)])
    assert d.get(HOT + 1) == [(3, 1 << 40, -1)]
    assert d[HOT + 4] == [(5, 7, 12), (6, 8, HOT + 1), (9, 2, -1)]
    assert list(d.items()) == [(HOT + 1, [(3, 1 << 40, -1)]),
                               (HOT + 4, [(5, 7, 12), (6, 8, HOT + 1), (9, 2, -1)]),
                               (HOT + 5, [(5, 7, 13)])]
    assert len(d) == 3 and d.get(HOT + 2, ()) == () and d.get(HOT + 6) is None and HOT not in d


def _xen_storm(interrupts: int) -> tuple[int, object]:
    eng = new_engine(load_scenario_text(workload_yaml("storm", interrupts, "xen-hvm"), "storm.yaml"))
    while eng.advance(4096):
        pass
    return eng.w["events"], eng.prov


def test_a_xen_storm_keeps_packed_rows_not_objects_per_interrupt() -> None:
    small_events, small = _xen_storm(64)
    big_events, big = _xen_storm(640)
    assert big_events - small_events > 7 * 500     # (7 events an interrupt)
    # every interrupt adds a route note and a send note, and an upcall IPI with one dependency...
    assert len(big.notes) - len(small.notes) >= 2 * 500        # type: ignore[attr-defined]
    assert len(big.hot_deps) - len(small.hot_deps) >= 500       # type: ignore[attr-defined]
    # ...but the distinct notes are the storm's few (device, vector, port) combinations
    assert len(big.notes.vals) == len(small.notes.vals)          # type: ignore[attr-defined]
    routed = [n for r in big.notes if "reaches Xen" in (n := big.note(r))]   # type: ignore[attr-defined]
    assert len(routed) >= 500 and all(n.startswith("nic") and "host vector 0x" in n for n in routed)
