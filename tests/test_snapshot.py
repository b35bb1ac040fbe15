"""Snapshot files: round trip, machine independence, tampering, hostile bytes, atomic writes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msidbg.debugger import Session
from msidbg.debugger import snapshot as snap
from msidbg.errors import DivergenceError, SnapshotError
from msidbg.model import AGENDA_HANDLERS
from msidbg.sim.world import pack_world, state_hash, unpack_world
from tests.conftest import ROOT, SCENARIOS, scenario, shipped
from tests.test_timetravel import RANDOM_SCENARIO

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def saved(tmp_path: Path, name: str = "bug.msgpack") -> tuple[Session, str]:
    """The 2021 bug stopped at its first irq-lost hit, with a watch and two bookmarks."""
    s = Session.from_scenario(BUG)
    s.add_breakpoint("watch devices.eth0.msix.table[0].data")
    s.enable_breakpoint(s.breakpoints[0].id, False)  # msix-write-unmasked, kept but off
    while (stop := s.continue_()).breakpoint != "irq-lost":
        assert stop.reason == "breakpoint"
    s.bookmark("first-loss", "CPU1 is offline and the device still targets it")
    s.bookmark("again", "the same event under a second name")
    path = str(tmp_path / name)
    s.save(path)
    return s, path


def load_doc(path: str) -> dict[str, Any]:
    return msgpack.unpackb(Path(path).read_bytes(), raw=False)  # type: ignore[no-any-return]


def write_doc(path: str, doc: dict[str, Any]) -> None:
    """Write a changed document as a tamperer who recomputes the file's sha256 would."""
    Path(path).write_bytes(snap.seal(doc))


def test_round_trip_restores_cursor_world_breakpoints_bookmarks_and_stop(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    o = Session.open(path)
    assert o.cursor == s.cursor == o.total
    assert state_hash(o.world) == state_hash(s.world)
    assert [(b.spec, b.enabled) for b in o.breakpoints] == [(b.spec, b.enabled) for b in s.breakpoints]
    assert o.bookmarks == s.bookmarks and o.bookmarks[0].note
    assert o.last_stop.as_dict() == s.last_stop.as_dict() == o.summary()["stopped"]
    assert o.summary() == s.summary()
    # the opened session goes on exactly like the original
    for a, b in ((s.continue_(), o.continue_()), (s.reverse_continue(), o.reverse_continue())):
        assert (a.event, a.breakpoint, a.detail) == (b.event, b.breakpoint, b.detail)
    assert o.goto_bookmark("first-loss").event == s.bookmarks[0].event


def test_snapshot_has_the_documented_fields_and_no_absolute_paths(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    doc = load_doc(path)
    assert doc["format"] == "msidbg-snapshot" and doc["version"] == snap.VERSION
    assert set(doc) >= {"msidbg", "scenario", "seed", "choices", "cursor", "breakpoints", "bookmarks",
                        "hashes", "state_hash", "world"}
    assert doc["scenario"]["file"] == "msix-write-while-unmasked.yaml"
    assert doc["scenario"]["sha256"] == hashlib.sha256(doc["scenario"]["text"].encode()).hexdigest()
    data = Path(path).read_bytes()
    assert str(tmp_path).encode() not in data and str(ROOT).encode() not in data
    assert doc["state_hash"] == state_hash(s.world)


def test_opens_to_the_same_state_hash_in_another_process_with_another_hash_seed(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    code = "import sys; from msidbg.debugger import Session; from msidbg.sim.world import state_hash; " \
           "print(state_hash(Session.open(sys.argv[1]).world))"
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, env=env,
                             cwd=tmp_path, check=True)
        assert out.stdout.strip() == state_hash(s.world)


def test_no_verify_shows_the_stored_world_at_once_and_replays_history_when_needed(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    o = Session.open(path, verify=False)
    assert not o.history_ready and len(o.eng.log) == 0
    quick, full = o.summary(), s.summary()
    # without the replayed history there is no provenance yet: each hit's cause is null
    assert [h.pop("cause") for h in quick["hits"]] == [None] * len(full["hits"])
    for h in full["hits"]:
        h.pop("cause")
    assert quick == full and o.cursor == s.cursor
    stop = o.step_back()
    assert o.history_ready and stop.event == s.cursor - 1
    assert state_hash(o.world) == state_hash(Session.open(path).seek(s.cursor - 1) and o.world)


def test_a_newer_format_version_is_refused_saying_which_version_is_needed(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    doc = load_doc(path)
    doc["version"] = snap.VERSION + 1
    doc["msidbg"] = "9.3.0"
    write_doc(path, doc)
    with pytest.raises(SnapshotError) as e:
        Session.open(path)
    assert not isinstance(e.value, DivergenceError)
    assert f"version {snap.VERSION + 1} is newer" in e.value.message and "9.3.0" in e.value.message


@pytest.mark.parametrize("cut", [1, 10, 100, 1000, -1])
def test_a_truncated_file_is_a_snapshot_error(tmp_path: Path, cut: int) -> None:
    _, path = saved(tmp_path)
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:cut])
    with pytest.raises(SnapshotError) as e:
        Session.open(path)
    assert e.value.exit_code == 2 and "\n" not in e.value.oneline()


def test_a_tampered_world_is_a_snapshot_error(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    doc = load_doc(path)
    w = unpack_world(doc["world"])
    w["devices"]["eth0"]["msix"]["table"][2]["ctrl"] ^= 1
    doc["world"] = pack_world(w)
    write_doc(path, doc)
    with pytest.raises(SnapshotError, match="does not match its recorded state_hash") as e:
        Session.open(path, verify=False)
    assert e.value.exit_code == 2


def test_a_tampered_world_with_a_fixed_hash_diverges_naming_the_path(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    doc = load_doc(path)
    w = unpack_world(doc["world"])
    w["devices"]["eth0"]["msix"]["table"][2]["ctrl"] ^= 1
    doc["world"], doc["state_hash"] = pack_world(w), state_hash(w)
    write_doc(path, doc)
    with pytest.raises(DivergenceError) as e:
        Session.open(path)
    assert e.value.exit_code == 1
    msg = e.value.message
    assert "devices.eth0.msix.table[2].ctrl" in msg and f"at event {s.cursor}" in msg
    # without verification it opens; the first command that needs history finds the divergence
    o = Session.open(path, verify=False)
    with pytest.raises(DivergenceError, match=r"devices\.eth0\.msix\.table\[2\]\.ctrl"):
        o.step()


def test_a_tampered_scenario_is_a_snapshot_error(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    doc = load_doc(path)
    doc["scenario"]["text"] = doc["scenario"]["text"].replace("every: 10us", "every: 11us", 1)
    write_doc(path, doc)
    with pytest.raises(SnapshotError, match="scenario.text does not match scenario.sha256"):
        Session.open(path)


def test_a_changed_scenario_with_a_fixed_hash_diverges_from_event_0(tmp_path: Path) -> None:
    s, path = saved(tmp_path)
    # the saved cursor is the first irq-lost: the first signal after CPU1 went offline (event
    # 77); 79, not 72: pci_enable_device + pci_set_master write Command at events 2-3, the
    # offline's take_cpu_down adds two notes (offdying), MULTI_STOP_EXIT and do_idle two more (dyingdrain),
    # msix_capability_init's Interrupt Disable write one (intx36)
    offline, lost = s.event(77), s.event(79)
    assert s.cursor == 79 and offline is not None and offline.kind == "cpu.offline"
    assert lost is not None and lost.kind == "msi.msg"
    doc = load_doc(path)
    text = doc["scenario"]["text"].replace("at: 1ms, do: fire", "at: 1001us, do: fire", 1)
    doc["scenario"] = {**doc["scenario"], "text": text, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    write_doc(path, doc)
    with pytest.raises(DivergenceError, match=r"at event 0; first differing world path at the cursor \(event 79\)"):
        Session.open(path)  # the timeline is part of the world from the start


def test_a_model_that_behaves_differently_diverges_at_that_exact_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s, path = saved(tmp_path)
    third_fire = [e.index for e in s.events(1, s.total + 1) if e.kind == "msi.msg"][2]
    original = AGENDA_HANDLERS["fire"]
    calls = [0]

    def other_model(eng: Any, item: list[Any]) -> None:
        calls[0] += 1
        original(eng, item[:4] + [1] + item[5:] if calls[0] == 3 else item)  # signals a masked entry

    monkeypatch.setitem(AGENDA_HANDLERS, "fire", other_model)
    with pytest.raises(DivergenceError) as e:
        Session.open(path)
    assert f"at event {third_fire};" in e.value.message, e.value.message
    assert s.cursor == 79  # the first irq-lost (see the test above)
    assert "first differing world path at the cursor (event 79)" in e.value.message


def test_a_changed_seed_on_a_random_schedule_diverges(tmp_path: Path) -> None:
    s = Session(scenario(RANDOM_SCENARIO, str(tmp_path / "r.yaml")))
    s.seek(150)
    path = str(tmp_path / "r.msgpack")
    s.save(path)
    assert Session.open(path).cursor == 150
    doc = load_doc(path)
    doc["seed"] = doc["seed"] + 1
    write_doc(path, doc)
    with pytest.raises(DivergenceError, match="at event 0"):
        Session.open(path)


def test_bad_breakpoints_and_bookmarks_in_a_file_name_the_field(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    doc = load_doc(path)
    doc["breakpoints"][1]["spec"] = "watch nosuch[1"
    write_doc(path, doc)
    with pytest.raises(SnapshotError, match=r"breakpoints\[1\]: found the end of the expression \(expected .\]."):
        Session.open(path)
    doc["breakpoints"] = []
    doc["bookmarks"][0]["name"] = 7
    write_doc(path, doc)
    with pytest.raises(SnapshotError, match=r"bookmarks\[0\]\.name: .* \(expected a string"):
        Session.open(path)


def test_an_unwritable_target_is_a_one_line_error(tmp_path: Path) -> None:
    s, _ = saved(tmp_path)
    with pytest.raises(SnapshotError, match="cannot write") as e:
        s.save(str(tmp_path / "no" / "such" / "dir.msgpack"))
    assert e.value.exit_code == 2 and "\n" not in e.value.oneline()


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s, path = saved(tmp_path)
    before = Path(path).read_bytes()
    s.step()

    def boom(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(SnapshotError, match="cannot write: disk on fire"):
        s.save(path)
    assert Path(path).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bug.msgpack"]


# --- hostile bytes: only SnapshotError (or its DivergenceError) ever escapes -----------------------------------
_GOOD: list[bytes] = []


def good_bytes(tmp: Path) -> bytes:
    if not _GOOD:
        _GOOD.append(Path(saved(tmp)[1]).read_bytes())
    return _GOOD[0]


def open_only_documented_errors(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    for verify in (True, False):
        try:
            Session.open(str(path), verify=verify)
        except SnapshotError as e:
            line = e.oneline()
            assert "\n" not in line and line.startswith(f"msidbg: {path}: ")


HOSTILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HOSTILE
@given(data=st.binary(max_size=2000))
def test_fuzz_random_bytes(tmp_path: Path, data: bytes) -> None:
    open_only_documented_errors(tmp_path / "f.msgpack", data)


@HOSTILE
@given(edits=st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 20_000)))
def test_fuzz_mutated_snapshots(tmp_path: Path, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(good_bytes(tmp_path))
    for pos, byte in edits:
        data[pos % len(data)] = byte
    open_only_documented_errors(tmp_path / "m.msgpack", bytes(data[:cut]))


PLAIN = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.text(max_size=8),
                               st.binary(max_size=8), st.floats(allow_nan=False)),
                     lambda inner: st.one_of(st.lists(inner, max_size=4),
                                             st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                     max_leaves=20)


@HOSTILE
@given(field=st.sampled_from(["version", "scenario", "seed", "choices", "cursor", "time_ns", "stopped",
                              "breakpoints", "bookmarks", "hits", "hashes", "log", "state_hash", "world",
                              "msidbg"]), value=PLAIN)
def test_fuzz_structurally_wrong_fields(tmp_path: Path, field: str, value: Any) -> None:
    doc = msgpack.unpackb(good_bytes(tmp_path), raw=False)
    doc[field] = value
    open_only_documented_errors(tmp_path / "s.msgpack", snap.seal(doc))


def test_deeply_nested_world_is_refused_without_recursion_errors(tmp_path: Path) -> None:
    doc = msgpack.unpackb(good_bytes(tmp_path), raw=False)
    doc["world"] = b"\x91" * 1000 + b"\xc0"
    open_only_documented_errors(tmp_path / "d.msgpack", snap.seal(doc))
    with pytest.raises(SnapshotError, match="nested too deeply"):
        Session.open(str(tmp_path / "d.msgpack"))


def test_the_shipped_fixed_twin_round_trips_at_its_end(tmp_path: Path) -> None:
    s = Session(shipped("msix-write-while-unmasked-fixed"))
    assert s.continue_().reason == "end"
    s.save(str(tmp_path / "end.msgpack"))
    o = Session.open(str(tmp_path / "end.msgpack"))
    assert o.ended and o.summary() == s.summary() and o.step().reason == "end"
