"""hardening19: every command that reads or writes a stranger's path answers a bad one in the contract's
form, ``msidbg: FILE: what is wrong (expected ...)``, exit 2, and leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")
LSPCI = str(ROOT / "tests" / "bugio" / "data" / "workstation-lspci.txt")

#: every command that reads a scenario or a snapshot named on its command line (F: the bad path)
READERS = [["run", "--headless", "F"], ["check", "F"], ["replay", "F"], ["replay", "--no-verify", "F"],
           ["replay", "--scenario", "F"], ["open", "F"], ["open", "--no-verify", "F"], ["why", "F"],
           ["why", "--what-if", "F"], ["diff", "F", SCN], ["diff", SCN, "F"], ["explore", "--jobs", "1", "F"],
           ["report", "F"], ["export", "--perfetto", "OUT", "F"]]


def _bad_inputs(tmp_path: Path) -> dict[str, str]:
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    return {"missing": str(tmp_path / "nope.yaml"),            # ENOENT
            "loop": str(tmp_path / "loop-a"),                   # ELOOP
            "under-a-file": SNAP + "/x.yaml"}                   # ENOTDIR


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: "), err
    return lines[0]


@pytest.mark.parametrize("kind", ["missing", "loop", "under-a-file"])
def test_an_unreadable_input_path_says_what_was_expected(tmp_path: Path, kind: str) -> None:
    """The errno cases of reading were 'msidbg: F: cannot read: No such file or directory' (Too many
    levels of symbolic links, Not a directory) for all 14 reading commands: no '(expected ...)',
    which the contract's one line has; only 'new' said what it wanted."""
    path = _bad_inputs(tmp_path)[kind]
    out = tmp_path / "out.pftrace"
    for command in READERS:
        code, stdout, err = cli(*[path if a == "F" else str(out) if a == "OUT" else a for a in command])
        line = _one_line(err, path)
        assert code == 2 and stdout == "" and not out.exists(), (command, err)
        assert "cannot read: " in line and line.endswith(")") and " (expected a " in line, (command, line)
    code, _, err = cli("new", "--lspci", path, "-o", str(tmp_path / "o.yaml"))
    assert code == 2 and "(expected lspci -vv text)" in _one_line(err, path)


#: every command that writes a file a path names (O: the bad path)
WRITERS = [["run", "--headless", SCN, "--save", "O"], ["replay", "--scenario", "-o", "O", SNAP],
           ["report", "-o", "O", SNAP], ["export", "--perfetto", "O", SNAP], ["new", "--lspci", LSPCI, "-o", "O"],
           ["schema", "-o", "O"]]


@pytest.mark.parametrize(("kind", "says"), [
    ("loop", "cannot write: Too many levels of symbolic links (expected a path for a new file or an existing "
             "regular file, in an existing directory)"),
    ("under-a-file", "cannot write: Not a directory (expected a path in an existing directory)"),
])
def test_an_unwritable_output_path_says_what_was_expected(tmp_path: Path, kind: str, says: str) -> None:
    """'cannot write: Too many levels of symbolic links' / 'cannot write: Not a directory', no expected."""
    path = _bad_inputs(tmp_path)[kind].replace("x.yaml", "out")
    before = sorted(os.listdir(tmp_path))
    for command in WRITERS:
        code, _, err = cli(*[path if a == "O" else a for a in command])
        option = command[command.index("O") - 1]   # (hardening32: the subcommand and the option named)
        option = {"-o": "-o/--output"}.get(option, option)
        assert code == 2 and _one_line(err, path) == f"msidbg: {path}: {command[0]}: argument {option}: {says}", \
            (command, err)
        assert sorted(os.listdir(tmp_path)) == before


@pytest.mark.parametrize("through", ["nodir", "afile"])
def test_an_output_path_through_a_missing_folder_and_up_is_refused_as_open_would(tmp_path: Path,
                                                                                  through: str) -> None:
    """``-o nodir/../out`` (nodir missing) and ``-o afile/../out``: open() refuses both (ENOENT,
    ENOTDIR), but the target was os.path.realpath's, which drops 'x/..' by its spelling: every
    writer wrote ``out`` beside them and exit 0."""
    (tmp_path / "afile").write_text("")
    path = str(tmp_path / through / ".." / "out")
    for command in WRITERS:
        code, _, err = cli(*[path if a == "O" else a for a in command])
        assert code == 2 and "(expected a path in an existing directory)" in _one_line(err, path), (command, err)
        assert sorted(os.listdir(tmp_path)) == ["afile"], command
    code, _, err = cli("explore", "--runs", "1", "--jobs", "1", "--save-failing", path, SCN)
    assert code == 2 and sorted(os.listdir(tmp_path)) == ["afile"], err


@pytest.mark.skipif(not os.path.isfile("/proc/version"), reason="needs /proc")
def test_a_file_in_a_folder_that_takes_no_new_file_is_not_called_missing() -> None:
    """``schema -o /proc/version``: the file and its folder exist, only the temporary file beside it
    cannot be made. It said 'cannot write: No such file or directory', naming nothing missing."""
    code, _, err = cli("schema", "-o", "/proc/version")
    line = _one_line(err, "/proc/version")
    assert code == 2 and "cannot write: cannot create a file in /proc: " in line, line
    assert line.endswith("(expected a directory that holds regular files: the new file is written beside the "
                         "target, then renamed over it)"), line


def test_save_failing_in_a_missing_folder_is_refused_and_makes_nothing(tmp_path: Path) -> None:
    """``explore --save-failing typo/run1``: every missing parent was made (``os.makedirs``) and the
    exploration ran, where every other output path (--save, -o, --perfetto) must be in an existing
    directory."""
    target = tmp_path / "bgus" / "run1"
    code, stdout, err = cli("explore", "--runs", "1", "--jobs", "1", "--save-failing", str(target), SCN)
    line = _one_line(err, str(target))
    assert (code, stdout) == (2, "") and not (tmp_path / "bgus").exists()
    assert line == (f"msidbg: {target}: explore: argument --save-failing: cannot create the folder: {tmp_path / 'bgus'} does not "
                    "exist (expected a folder for the snapshots, or a new name in an existing folder)")
    # one new folder in an existing one is still made (README: --save-failing bugs/)
    code, _, err = cli("explore", "--runs", "1", "--jobs", "1", "--save-failing", str(tmp_path / "bugs"), SCN)
    assert code == 1 and len(os.listdir(tmp_path / "bugs")) == 1, err


def test_save_failing_through_a_symbolic_link_loop_is_not_a_folder(tmp_path: Path) -> None:
    """It was 'cannot create the folder: File exists'."""
    loop = _bad_inputs(tmp_path)["loop"]
    code, _, err = cli("explore", "--runs", "1", "--jobs", "1", "--save-failing", loop, SCN)
    assert code == 2 and _one_line(err, loop) == (
        f"msidbg: {loop}: explore: argument --save-failing: not a folder (expected a folder for the snapshots, or a new name in an "
        "existing folder)")


def test_diff_refuses_tui_with_json() -> None:
    """``diff --tui --json``: at a terminal --json was dropped for the TUI, and off one the error said
    'the TUI needs a terminal (drop --tui for text, or use --json)' to a command that had --json."""
    fixed = str(SCENARIOS / "msix-write-while-unmasked-fixed.yaml")
    code, out, err = cli("diff", "--tui", "--json", SCN, fixed)
    assert (code, out) == (2, "")
    assert err == ("msidbg: diff: argument --json: not allowed with argument --tui (expected one of them: the TUI "
                   "prints no JSON) (see 'msidbg diff --help')\n")


@pytest.mark.parametrize("key", ["breakpoint", "detail"])
def test_a_stop_string_too_long_is_called_too_long(tmp_path: Path, key: str) -> None:
    """A 200 KB ``stopped.detail`` (a string) was refused with 'expected a string or null'."""
    import msgpack

    from msidbg.debugger.snapshot import seal

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False)
    doc["stopped"][key] = "x\n" * 100_000
    bad = tmp_path / "long.msgpack"
    bad.write_bytes(seal(doc))
    for command in (["replay", str(bad)], ["replay", "--no-verify", str(bad)], ["why", str(bad)]):
        code, _, err = cli(*command)
        assert code == 2 and _one_line(err, str(bad)) == (
            f"msidbg: {bad}: stopped.{key}: too long: 200000 characters (expected at most 4000)"), err
    doc["stopped"][key] = 7
    bad.write_bytes(seal(doc))
    code, _, err = cli("replay", str(bad))
    assert code == 2 and _one_line(err, str(bad)).endswith(
        f"stopped.{key}: an integer (expected a string of at most 4000 characters, or null)"), err


@pytest.mark.parametrize(("name", "raw", "says"), [
    ("keys.toml", b"\xff\xfe", ":1: not valid UTF-8: byte 0xff (expected TOML text: a table of action = \"keys\")"),
    ("keys.toml", b"step = [", ": not valid TOML: Invalid value (at end of document) (expected TOML text: a table "
                               "of action = \"keys\")"),
    ("keys.json", b"{\"a\": ", ": not valid JSON: Expecting value: line 1 column 7 (char 6) (expected JSON text: a "
                              "table of action = \"keys\")"),
], ids=["non-utf8", "toml", "json"])
def test_a_broken_key_file_says_what_was_expected(tmp_path: Path, name: str, raw: bytes, says: str) -> None:
    """$MSIDBG_KEYS of Latin-1 bytes was "not valid TOML: 'utf-8' codec can't decode byte 0xff in
    position 0: invalid start byte"; a parse error had no '(expected ...)'."""
    from msidbg.errors import MsidbgError
    from msidbg.tui import keys

    path = tmp_path / name
    path.write_bytes(raw)
    with pytest.raises(MsidbgError) as e:
        keys.load_keymap(path)
    assert e.value.oneline() == f"msidbg: {path}{says}"


def test_check_help_tells_what_a_file_without_expect_gets(tmp_path: Path) -> None:
    """``check --help`` said only 'Exit 0 if every file matches its expect: block': a file with no
    expect: block is not run and gets 'SKIP', which neither the help nor the docs said."""
    bare = tmp_path / "bare.yaml"
    bare.write_text("name: t\n")
    code, out, err = cli("check", str(bare), SCN)
    assert code == 0 and out.splitlines() == [f"SKIP {bare}: no expect: block", f"ok   {SCN}"], err
    code, text, _ = cli("check", "--help")
    said = " ".join(text.split())
    assert "'SKIP FILE: no expect: block' (not run; its names checked)" in said, said
    assert "0 every file matched or was skipped" in said, said


def test_replay_scenario_of_explores_ordered_baseline_does_not_say_only_the_snapshot_holds_it(tmp_path: Path) -> None:
    """explore saves a failing ordered baseline with a plan of 0 decisions. ``replay --scenario`` said
    'this run followed a recorded plan of 0 scheduling decisions ... that only the snapshot holds'
    (--json: plan 0), but the ordered run draws nothing and a plan with no decisions takes every
    default: the YAML re-runs that run to the same state hash."""
    import json

    code, _, err = cli("explore", "--runs", "1", "--jobs", "1", "--save-failing", str(tmp_path / "bugs"), SCN)
    assert code == 1, err
    (snap,) = (tmp_path / "bugs").iterdir()
    yaml_out = tmp_path / "again.yaml"
    code, _, err = cli("replay", "--scenario", "-o", str(yaml_out), str(snap))
    assert code == 0 and "recorded plan" not in err and err == f"wrote {yaml_out}: the scenario of {snap}\n", err
    code, out, _ = cli("replay", "--scenario", "--json", str(snap))
    assert code == 0 and json.loads(out)["plan"] is None and json.loads(out)["rerun"] == []
    code, rerun, _ = cli("run", str(yaml_out), "--headless", "--stop-at-break", "--json")
    code2, replayed, _ = cli("replay", "--json", str(snap))
    assert (code, code2) == (1, 0)
    assert json.loads(rerun)["state_hash"] == json.loads(replayed)["state_hash"]


@pytest.mark.parametrize(("spec", "says"), [
    ("watch cpu[-1].irr", "column 10 of 'watch cpu[-1].irr': cpu has 2 entries, no [-1] (expected an index 0..1)"),
    ("if devices.eth0.msix.table[-2].data == 0",
     "column 27 of 'if devices.eth0.msix.table[-2].data == 0': devices.eth0.msix.table has 4 entries, no [-2] "
     "(expected an index 0..3)"),
    ("if len(cpu[0].queue[-1]) > 0", "column 20 of 'if len(cpu[0].queue[-1]) > 0': cpu[0].queue has no [-1] (expected "
                                     "an index from 0: a list is not indexed from its end)"),
])
def test_a_negative_index_is_refused_not_a_breakpoint_that_never_fires(spec: str, says: str) -> None:
    """``--break 'watch cpu[-1].irr'`` was accepted (a negated literal was an expression the path
    check did not know) and never fired: an index counts from 0, so cpu[-1] is no element; cpu[5]
    was refused. ``why --path cpu[-1].irr`` answered 'untracked: its last change ... the initial state'."""
    code, _, err = cli("run", SCN, "--headless", "--break", spec)
    assert code == 2 and err == f"msidbg: run: argument --break: {says}\n", err
    code, _, err = cli("why", "--path", "cpu[-1].irr", SNAP)
    assert code == 2 and "cpu has 2 entries, no [-1] (expected an index 0..1)" in _one_line(err, SNAP), err
    code, _, err = cli("why", "--path", "actions[-1]", SCN)
    assert code == 2 and "actions has no [-1] (expected an index from 0" in _one_line(err, SCN), err


def test_new_platform_help_says_it_overrides_dmesg(tmp_path: Path) -> None:
    """``new --help`` said --platform was 'the platform, when dmesg does not tell'; given with a dmesg
    that tells (an AWS Xen HVM guest), it wins and the skeleton says '# --platform'."""
    data = ROOT / "tests" / "bugio" / "data"
    out = tmp_path / "bug.yaml"
    code, _, err = cli("new", "--lspci", LSPCI, "--dmesg", str(data / "aws-m4-dmesg.txt"), "--platform",
                       "bare-metal", "-o", str(out))
    assert code == 0 and "  kind: bare-metal                       # --platform\n" in out.read_text(), err
    code, text, _ = cli("new", "--help")
    said = " ".join(text.split())
    assert "--platform {bare-metal,xen-hvm,xen-pv} the platform; given, it overrides what dmesg says" in said, said


@pytest.mark.parametrize(("at", "reason"), [("0~3601s", "'3601s' is out of range"), ("-1ms~2ms", "'-1ms' is negative"),
                                            ("0~1.5ns", "'1.5ns' is not a whole number of nanoseconds")])
def test_an_at_range_end_says_why_it_is_refused(tmp_path: Path, at: str, reason: str) -> None:
    """Each end of ``at: A~B`` was refused as "'3601s' is not a time", where ``at: 3601s`` alone is
    'out of range (expected ... <= 3600s ...)'."""
    f = tmp_path / "t.yaml"
    f.write_text('name: t\ncpus: 2\ndevices:\n  eth0: {bdf: "00:03.0", msix: {table_size: 2}}\nrun:\n'
                 f"  - {{at: {at}, do: probe, dev: eth0, mode: msix, vectors: 2}}\n")
    code, _, err = cli("run", str(f), "--headless")
    assert code == 2 and err == (f"msidbg: {f}:6: run[0].at: '{at}': {reason} (expected a time like 1.5ms, or a "
                                 "range like 0~2ms (start ~ end, end >= start); each end a time >= 0 and <= 3600s)\n")


def test_the_tui_without_a_terminal_says_what_was_expected() -> None:
    """'the TUI needs a terminal (use ...)' had no '(expected ...)'."""
    fixed = str(SCENARIOS / "msix-write-while-unmasked-fixed.yaml")
    for command, path in ((["run", SCN], SCN), (["open", SNAP], SNAP), (["diff", "--tui", SCN, fixed], SCN)):
        code, _, err = cli(*command)
        assert code == 2 and ": the TUI needs a terminal (expected standard input and output on a terminal; " in (
            _one_line(err, path)), err
