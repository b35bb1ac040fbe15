"""``msidbg replay FILE --scenario [-o OUT.yaml] [--json]``: a snapshot's scenario back as the exact
YAML stored, checked like the rest of the file, and re-running to the snapshot's event log."""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path
from typing import Any

import msgpack
import pytest

from msidbg.debugger import Session
from msidbg.debugger import snapshot as snap
from msidbg.debugger.extract import for_terminal, scenario_of
from msidbg.errors import SnapshotError
from msidbg.model import resolve_schedule
from msidbg.model.revision import MODEL
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SHIPPED = sorted((ROOT / "snapshots").glob("*.msgpack"))
BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def same_run(yaml_path: str, snapshot: str, seed: int | None = None, **schedule: Any) -> None:
    """``yaml_path`` run to the snapshot's cursor has the snapshot's event log and world."""
    rec = snap.read(snapshot)
    scn = load_scenario(yaml_path)
    sch = resolve_schedule(scn, **schedule) if schedule else None
    s = Session(scn, seed, schedule=sch)
    s.seek(rec.cursor)
    assert s.cursor == rec.cursor
    assert snap.log_digests(s.eng.log, rec.cursor) == (rec.log_block, rec.log_digests)
    assert state_hash(s.world) == rec.state_hash


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_extracted_yaml_is_the_stored_text_and_reruns_to_the_same_event_log(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.yaml"
    code, stdout, err = cli("replay", str(path), "--scenario", "-o", str(out))
    assert (code, stdout) == (0, "") and err == f"wrote {out}: the scenario of {path}\n"
    rec = snap.read(str(path))
    assert out.read_bytes() == rec.scenario_text.encode("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["again.yaml"]  # no temporary file left
    same_run(str(out), str(path))
    code, stdout, err = cli("replay", str(path), "--scenario")
    assert (code, stdout, err) == (0, rec.scenario_text, "")
    code, stdout, _ = cli("replay", str(path), "--scenario", "--json")
    doc = json.loads(stdout)
    assert doc == {"scenario": path.stem + ".yaml", "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                   "text": rec.scenario_text, "seed": rec.seed, "rerun": [], "plan": None, "model": MODEL,
                   "refused": None}


def test_a_run_with_another_seed_and_schedule_says_which_options_rerun_it(tmp_path: Path) -> None:
    scn = load_scenario(BUG)
    s = Session(scn, 7, schedule=resolve_schedule(scn, "pct", 2, 5000))
    s.run(60)
    path = tmp_path / "pct.msgpack"
    s.save(str(path))
    copy = scenario_of(str(path))
    assert copy.rerun == ["--seed", "7", "--schedule", "pct", "--depth", "2", "--window", "5000"]
    out = tmp_path / "pct.yaml"
    code, _, err = cli("replay", str(path), "--scenario", "-o", str(out))
    assert code == 0
    assert err.splitlines()[0] == (f"note: this run used other options than the file's own; re-run it with: "
                                   f"msidbg run {out} --seed 7 --schedule pct --depth 2 --window 5000")
    code, _, err = cli("replay", str(path), "--scenario")
    assert err == ("note: this run used other options than the file's own; re-run it with: msidbg run FILE.yaml "
                   "--seed 7 --schedule pct --depth 2 --window 5000\n")
    same_run(str(out), str(path), seed=7, strategy_name="pct", depth=2, window=5000)
    # the command line the note gives reaches the snapshot's world
    code, stdout, _ = cli("run", str(out), "--json", "--max-events", str(s.cursor), *copy.rerun)
    assert json.loads(stdout)["state_hash"] == snap.read(str(path)).state_hash


def test_a_run_that_followed_a_recorded_plan_says_the_yaml_cannot_rerun_it(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    doc["schedule"]["plan"] = zlib.compress(msgpack.packb([["at", 0, 1000], ["at", 1, 0]]))
    path.write_bytes(snap.seal(doc))
    code, stdout, err = cli("replay", str(path), "--scenario")
    assert code == 0 and stdout == doc["scenario"]["text"]
    assert err.startswith("note: this run followed a recorded plan of 2 scheduling decisions")
    assert json.loads(cli("replay", str(path), "--scenario", "--json")[1])["plan"] == 2


def _saved(tmp_path: Path) -> tuple[Session, Path]:
    s = Session.from_scenario(BUG)
    s.continue_()
    path = tmp_path / "bug.msgpack"
    s.save(str(path))
    return s, path


def _with_text(path: Path, text: str) -> None:
    """The snapshot with another scenario text, its sha256 and the file's recomputed (a forger's file)."""
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    doc["scenario"]["text"] = text
    doc["scenario"]["sha256"] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    path.write_bytes(snap.seal(doc))


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("text, says", [
    ("name: [unclosed\n", "scenario (line 2 of msix-write-while-unmasked.yaml): YAML syntax error"),
    ("name: x\nabout: \"\x1b[2J\"\n", "control characters are not allowed"),
    ("name: x\ndevices: " + "[" * 100 + "]" * 100 + "\n", "nested too deeply"),
    ("name: x\n" + BOMB, "YAML nodes"),
    ("name: 12\n", "scenario (line 1 of msix-write-while-unmasked.yaml): name: 12 is not a string"),
    ("- just\n- a list\n", "a list is not a mapping"),
    ("name: x\n#" + "y" * (1 << 20) + "\n", "scenario.text: too long"),
], ids=["syntax", "control", "deep", "alias-bomb", "wrong-type", "not-a-map", "huge"])
def test_a_hostile_scenario_inside_the_snapshot_is_one_line_exit_2_and_writes_nothing(
        tmp_path: Path, text: str, says: str) -> None:
    _, path = _saved(tmp_path)
    _with_text(path, text)
    out = tmp_path / "out.yaml"
    out.write_text("kept\n")
    code, stdout, err = cli("replay", str(path), "--scenario", "-o", str(out))
    assert code == 2 and stdout == "" and err.startswith(f"msidbg: {path}: ") and says in err
    assert err.count("\n") == 1 and "\x1b" not in err and "Traceback" not in err
    assert out.read_text() == "kept\n" and sorted(p.name for p in tmp_path.iterdir()) == ["bug.msgpack", "out.yaml"]


def test_bad_output_paths_fail_before_the_snapshot_is_read(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    code, _, err = cli("replay", str(path), "--scenario", "-o", str(tmp_path / "no" / "such" / "dir.yaml"))
    assert code == 2 and err == (f"msidbg: {tmp_path}/no/such/dir.yaml: replay: argument -o/--output: cannot write: No such file or directory "
                                 "(expected a path in an existing directory)\n")
    code, _, err = cli("replay", str(tmp_path / "missing.msgpack"), "--scenario", "-o", str(tmp_path))
    assert code == 2 and "cannot write: not a regular file" in err
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            code, _, err = cli("replay", str(path), "--scenario", "-o", str(ro / "x.yaml"))
            assert code == 2 and "Permission denied" in err and not list(ro.iterdir())
        finally:
            ro.chmod(0o700)
    code, _, err = cli("replay", str(path), "-o", str(tmp_path / "x.yaml"))
    assert code == 2 and err == ("msidbg: replay: argument -o/--output: only with --scenario (expected --scenario with "
                                 "it) (see 'msidbg replay --help')\n")
    code, _, err = cli("replay", str(path), "--scenario", "--json", "-o", str(tmp_path / "x.yaml"))
    assert code == 2 and "not with --json" in err


def test_to_a_terminal_what_it_would_act_on_is_escaped_tabs_and_line_ends_kept() -> None:
    text = "name: x\r\nabout: \"a\tb \u202e c\rd\"\r\n"
    assert for_terminal(text) == "name: x\r\nabout: \"a\tb \\u202e c\\rd\"\r\n"
    assert for_terminal("name: x\n") == "name: x\n"


def test_the_output_is_never_the_snapshot_itself(tmp_path: Path) -> None:
    _, path = _saved(tmp_path)
    data = path.read_bytes()
    link = tmp_path / "link.msgpack"
    link.symlink_to(path)
    for out in (path, link):
        code, _, err = cli("replay", str(path), "--scenario", "-o", str(out))
        assert code == 2 and err == (f"msidbg: {out}: replay: argument -o/--output: cannot write: it is the input "
                                     f"file {path} (expected another "
                                     "path: writing would replace it)\n")
        code, _, err = cli("report", str(path), "-o", str(out))
        assert code == 2 and "it is the input file" in err
    assert path.read_bytes() == data
    code, _, err = cli("report", str(path), "-o", str(tmp_path / "no" / "r.txt"))
    assert code == 2 and "No such file or directory" in err


def test_a_file_name_from_the_snapshot_never_reaches_the_suggested_command(tmp_path: Path) -> None:
    s = Session.from_scenario(BUG, 9)
    s.continue_()
    path = tmp_path / "x.msgpack"
    s.save(str(path))
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    doc["scenario"]["file"] = "a; rm -rf ~.yaml"
    path.write_bytes(snap.seal(doc))
    code, _, err = cli("replay", str(path), "--scenario")
    assert code == 0 and "rm -rf" not in err and err.endswith(": msidbg run FILE.yaml --seed 9\n")
    code, _, err = cli("replay", str(path), "--scenario", "-o", str(tmp_path / "my file.yaml"))
    assert code == 0 and f": msidbg run '{tmp_path}/my file.yaml' --seed 9\n" in err


def test_no_command_writes_over_its_input_file(tmp_path: Path) -> None:
    """``run s.yaml --save s.yaml`` replaced the scenario by its snapshot, ``export s.yaml --perfetto
    s.yaml`` by the trace; Session.save (the TUI's save) refuses the scenario file too."""
    scn = tmp_path / "s.yaml"
    scn.write_text(Path(BUG).read_text())
    text = scn.read_text()
    for args in (("run", str(scn), "--save", str(scn)), ("export", str(scn), "--perfetto", str(scn))):
        code, _, err = cli(*args)
        option = "--save" if args[0] == "run" else "--perfetto"
        assert code == 2 and err == (f"msidbg: {scn}: {args[0]}: argument {option}: cannot write: it is the input "
                                     f"file {scn} (expected another "
                                     "path: writing would replace it)\n"), args
    s = Session.from_scenario(str(scn))
    s.step()
    with pytest.raises(SnapshotError, match="it is the input file"):
        s.save(str(scn))
    assert scn.read_text() == text
    _, path = _saved(tmp_path)
    again = Session.open(str(path))
    again.save(str(path))  # a snapshot saved again in place: allowed
    assert snap.read(str(path)).cursor == again.cursor


def test_a_snapshot_of_another_model_says_a_run_of_its_yaml_may_differ(tmp_path: Path) -> None:
    v1 = ROOT / "tests" / "fixtures" / "v1-msix-write-while-unmasked.msgpack"
    code, stdout, err = cli("replay", str(v1), "--scenario")
    assert code == 0 and stdout == snap.read(str(v1)).scenario_text
    assert err == ("note: the snapshot was written by msidbg 0.1.0 (before model revisions were recorded; this "
                   f"msidbg has model revision {MODEL}): a run of the YAML here may differ from the recorded run\n")
    assert json.loads(cli("replay", str(v1), "--scenario", "--json")[1])["model"] is None
