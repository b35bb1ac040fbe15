"""Snapshot files from strangers (issue 11 items 1, 5, 7): memory bombs are refused before they
are built, every byte is covered by the file's sha256, recomputed fields are compared on replay,
and nothing from a file reaches the terminal unescaped."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path
from typing import Any

import msgpack
import pytest

from msidbg.debugger import Session
from msidbg.debugger import snapshot as snap
from msidbg.debugger.bounded import MAX_DEPTH, Bad, Budget, scan
from msidbg.errors import DivergenceError, SnapshotError
from msidbg.sim.world import state_hash
from tests.conftest import ROOT, SCENARIOS
from tests.test_cli import msidbg

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
#: a version-1 file (the 2021 snapshot as shipped before format 2; the shipped ones are version 2 now)
SHIPPED_V1 = ROOT / "tests" / "fixtures" / "v1-msix-write-while-unmasked.msgpack"


def nested_empty_lists(n: int, times: int) -> bytes:
    """The adversarial run's payload: arrays of n empty arrays, ``times`` of them in a list."""
    one = b"\xdd" + n.to_bytes(4, "big") + b"\x90" * n
    return b"\xdc" + times.to_bytes(2, "big") + one * times


def fresh(tmp_path: Path) -> tuple[Session, Path]:
    s = Session.from_scenario(BUG)
    assert s.continue_().breakpoint == "msix-write-unmasked"
    s.bookmark("here", "the live rewrite")
    path = tmp_path / "bug.msgpack"
    s.save(str(path))
    return s, path


def doc_of(path: Path) -> dict[str, Any]:
    return msgpack.unpackb(path.read_bytes(), raw=False)  # type: ignore[no-any-return]


def refused(path: Path, data: bytes, says: str) -> str:
    path.write_bytes(data)
    for verify in (True, False):
        with pytest.raises(SnapshotError) as e:
            Session.open(str(path), verify=verify)
        line = e.value.oneline()
        assert says in line and "\n" not in line, line
    return line


# --- item 1: memory bombs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["choices", "hits"])
def test_a_version_1_payload_of_nested_empty_lists_is_refused_before_it_is_built(tmp_path: Path, field: str) -> None:
    doc = doc_of(SHIPPED_V1)
    assert doc["version"] == 1  # the file predates the digest: the bounds alone must hold
    doc[field] = zlib.compress(nested_empty_lists(1 << 22, 16), 9)
    data = msgpack.packb(doc, use_bin_type=True)
    assert len(data) < 100_000
    refused(tmp_path / "bomb.msgpack", data, f"{field}: decompresses to more than")
    doc[field] = zlib.compress(nested_empty_lists(1 << 20, 16), 9)  # under the inflate cap: the budget
    refused(tmp_path / "bomb.msgpack", msgpack.packb(doc, use_bin_type=True), "MiB a snapshot may take in memory")


def test_a_resealed_version_2_file_cannot_smuggle_structure_into_choices_or_hits(tmp_path: Path) -> None:
    _, path = fresh(tmp_path)
    doc = doc_of(path)
    doc["choices"] = zlib.compress(nested_empty_lists(1 << 20, 16), 9)
    refused(tmp_path / "c.msgpack", snap.seal(doc), "choices: decompresses to more than 368 bytes")
    doc = doc_of(path)
    doc["hits"] = {**doc["hits"], "count": 20 * 64}
    refused(tmp_path / "h.msgpack", snap.seal(doc), "hits.columns")
    doc["hits"] = {**doc["hits"], "count": 10**9}
    refused(tmp_path / "h.msgpack", snap.seal(doc), "hits.count: 1000000000 is out of range")


def test_a_world_of_millions_of_empty_lists_is_refused_by_the_budget(tmp_path: Path) -> None:
    _, path = fresh(tmp_path)
    doc = doc_of(path)
    doc["world"] = b"\x82\xa6events\x14\xa1x" + b"\xdd" + (4 << 20).to_bytes(4, "big") + b"\x90" * (4 << 20)
    refused(tmp_path / "w.msgpack", snap.seal(doc), "world: decodes to more than the 128 MiB")


def test_nested_array_headers_are_refused_before_any_list_is_allocated() -> None:
    """Five bytes per level ask the C unpacker for a 1M-slot list; 1,000 levels would be 8 GB."""
    bomb = (b"\xdd" + (1 << 20).to_bytes(4, "big")) * 1000 + b"\xc0"
    with pytest.raises(Bad, match="world: decodes to more than the 128 MiB"):  # the claimed slots alone
        scan(bomb, "world", Budget(), int_keys=True)
    deep = b"\xdc\x00\x10" * 1000 + b"\xc0"
    with pytest.raises(Bad, match=f"nested too deeply \\(expected at most {MAX_DEPTH} levels\\)"):
        scan(deep, "world", Budget(), int_keys=True)
    with pytest.raises(Bad, match="a list of 16777216 entries"):
        scan(b"\xdd\x01\x00\x00\x00", "world", Budget())


@pytest.mark.parametrize(("data", "says"), [
    (b"\xca\x00\x00\x00\x00", "floating-point"), (b"\xd4\x01\x00", "extension type"),
    (b"\x81\xc0\x01", "map key of type null"), (b"\x81\x01\x01", "map key of type int"),
    (b"\x81\x90\x01", "map key that is a list"), (b"\xc4\x01a", "binary data inside"),
    (b"\x92\x01", "truncated"), (b"\x01\x02", "1 bytes after the end"),
])
def test_scan_refuses_what_is_not_plain_data(data: bytes, says: str) -> None:
    with pytest.raises(Bad, match=says):
        scan(data, "f", Budget())


# --- item 1: every byte is covered by the digest -----------------------------------------------------------
def test_the_digest_covers_every_byte_before_it(tmp_path: Path) -> None:
    _, path = fresh(tmp_path)
    data = path.read_bytes()
    assert data[-snap.DIGEST_AT:-32] == snap.TRAILER and hashlib.sha256(data[:-snap.DIGEST_AT]).digest() == data[-32:]
    note = data.index(b"the live rewrite")
    damaged = {
        "bookmark note": data[:note] + b"T" + data[note + 1:],
        "time_ns": _flip_value(data, b"\xa7time_ns"),
        "trailing zlib byte": _grow_bin(data, b"\xa7choices"),
        "digest": data[:-1] + bytes([data[-1] ^ 1]),
        "truncated": data[:-10],
    }
    for what, blob in damaged.items():
        says = "the file: truncated" if what == "truncated" else "its sha256 does not match"
        assert refused(tmp_path / "d.msgpack", blob, says), what


def _flip_value(data: bytes, key: bytes) -> bytes:
    at = data.index(key) + len(key)
    return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]


def _grow_bin(data: bytes, key: bytes) -> bytes:
    """The bin after ``key`` one byte longer (a byte after its zlib stream), the rest unchanged."""
    at = data.index(key) + len(key)
    assert data[at] == 0xC4
    size = data[at + 1]
    return data[:at] + bytes([0xC4, size + 1]) + data[at + 2:at + 2 + size] + b"\0" + data[at + 2 + size:]


def test_resealed_structural_lies_are_still_refused(tmp_path: Path) -> None:
    _, path = fresh(tmp_path)
    doc = doc_of(path)
    doc["time_ns"] += 1
    refused(tmp_path / "t.msgpack", snap.seal(doc), "time_ns: 201101 is not the world's time at the cursor")
    doc = doc_of(path)
    doc["choices"] = doc["choices"] + b"junk"
    refused(tmp_path / "z.msgpack", snap.seal(doc), "choices: 4 bytes after the end of the compressed data")
    doc = doc_of(path)
    doc["msidbg"] = "0.1.0\n\x1b[2Jmsidbg: forged"
    refused(tmp_path / "v.msgpack", snap.seal(doc), "is not a version (expected a version like")
    doc = doc_of(path)
    doc["stopped"] = {**doc["stopped"], "reason": "end"}
    refused(tmp_path / "s.msgpack", snap.seal(doc), "stopped.breakpoint: given with reason 'end'")


def test_old_version_1_files_still_open_and_verify() -> None:
    for path in sorted((ROOT / "snapshots").glob("*.msgpack")):
        doc = doc_of(path)
        s = Session.open(str(path))
        assert s.cursor == doc["cursor"] and state_hash(s.world) == doc["state_hash"], path


# --- item 5: recomputed fields are compared, file text is escaped -------------------------------------------
def test_a_forged_stop_breakpoint_is_a_divergence_not_output(tmp_path: Path) -> None:
    _, path = fresh(tmp_path)
    doc = doc_of(path)
    doc["stopped"] = {**doc["stopped"], "breakpoint": "msix-write-unmasked\x1b[2J\x1b[31m\nmsidbg: all good"}
    (tmp_path / "f.msgpack").write_bytes(snap.seal(doc))
    with pytest.raises(DivergenceError) as e:
        Session.open(str(tmp_path / "f.msgpack"))
    line = e.value.oneline()
    assert "the recorded stop at event 23 does not replay" in line and "\x1b" not in line and "\n" not in line
    out = msidbg("replay", str(tmp_path / "f.msgpack"))
    assert out.returncode == 1 and "\x1b" not in out.stderr and out.stderr.count("\n") == 1 and out.stdout == ""
    doc["stopped"] = {**doc["stopped"], "breakpoint": "msix-write-unmasked", "detail": "forged detail"}
    (tmp_path / "f.msgpack").write_bytes(snap.seal(doc))
    with pytest.raises(DivergenceError, match="its detail is 'eth0 entry 0 addr_lo written"):
        Session.open(str(tmp_path / "f.msgpack"))


def test_no_verify_output_escapes_every_string_from_the_file(tmp_path: Path) -> None:
    s, path = fresh(tmp_path)
    doc = doc_of(path)
    evil = "irq-lost\x1b[2J\nmsidbg: forged line\u202e"
    doc["stopped"] = {**doc["stopped"], "breakpoint": evil}
    doc["hits"] = snap.pack_hits([type(h)(h.event, h.time_ns, "msix-write-unmasked", evil) for h in s.hits()])
    (tmp_path / "e.msgpack").write_bytes(snap.seal(doc))
    out = msidbg("replay", str(tmp_path / "e.msgpack"), "--no-verify")
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "\u202e" not in out.stdout and "\nmsidbg: forged" not in out.stdout
    assert "irq-lost\\x1b[2J\\nmsidbg: forged line\\u202e" in out.stdout
    verified = msidbg("replay", str(tmp_path / "e.msgpack"))
    assert verified.returncode == 1 and "\x1b" not in verified.stderr and verified.stderr.count("\n") == 1


def test_a_stop_where_a_watch_also_fires_keeps_its_own_detail_and_replays(tmp_path: Path) -> None:
    s = Session.from_scenario(BUG)
    s.add_breakpoint("watch devices.eth0.msix.table[0].addr_lo")
    while (stop := s.continue_()).breakpoint != "msix-write-unmasked":
        assert stop.reason == "breakpoint"
    assert stop.detail is not None and stop.detail.startswith("eth0 entry 0 addr_lo written")  # not the watch's
    s.save(str(tmp_path / "w.msgpack"))
    assert Session.open(str(tmp_path / "w.msgpack")).last_stop.detail == stop.detail
