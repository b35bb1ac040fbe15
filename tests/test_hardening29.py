"""hardening29: explore --save-failing makes its folder only for a saved failure; explore's options
given hostile values are refused in the contract's one-line form; explore in tests/fuzz_cli.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

FIXED = str(SCENARIOS / "msix-write-while-unmasked-fixed.yaml")
BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def test_save_failing_makes_no_folder_when_nothing_fails(tmp_path: Path) -> None:
    """The folder was made before the first run: an exploration with no failing run left an empty
    folder behind (hardening28's lead)."""
    target = tmp_path / "bugs"
    code, out, err = cli("explore", FIXED, "--runs", "3", "--jobs", "1", "--save-failing", str(target))
    assert code == 0 and "no failing run" in out, err
    assert not target.exists() and os.listdir(tmp_path) == []


def test_save_failing_makes_the_folder_with_the_failures_snapshot_and_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "bugs"
    code, out, err = cli("explore", BUG, "--runs", "1", "--jobs", "1", "--save-failing", str(target))
    assert code == 1, err
    files = os.listdir(target)
    assert len(files) == 1 and files[0].endswith(".msgpack") and files[0].startswith("msix-write-while-unmasked-1-")
    assert f"snapshot: {target / files[0]}" in out
    assert os.listdir(tmp_path) == ["bugs"]        # no temporary file of the atomic write beside it
    code, _, err = cli("replay", str(target / files[0]))
    assert code == 0, err


def test_save_failing_is_still_checked_before_any_run(tmp_path: Path) -> None:
    """Checked at once, made later: a folder that cannot be made is refused before the runs."""
    (tmp_path / "afile").write_text("")
    for bad, says in ((tmp_path / "afile", "not a folder"),
                      (tmp_path / "nodir" / "x", f"cannot create the folder: {tmp_path / 'nodir'} does not exist"),
                      (tmp_path / "afile" / ".." / "x", "cannot create the folder:")):
        code, out, err = cli("explore", FIXED, "--runs", "1", "--jobs", "1", "--save-failing", str(bad))
        assert (code, out) == (2, ""), err
        assert err.startswith(f"msidbg: {bad}: explore: argument --save-failing: {says}") and err.count("\n") == 1, err
        assert err.rstrip().endswith("(expected a folder for the snapshots, or a new name in an existing folder)")
    assert os.listdir(tmp_path) == ["afile"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_save_failing_in_a_folder_one_cannot_write_is_refused_before_any_run(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, out, err = cli("explore", FIXED, "--runs", "1", "--jobs", "1", "--save-failing", str(ro / "bugs"))
        assert (code, out) == (2, "") and f"--save-failing: cannot create the folder: {ro} is not writable" in err
        code, out, err = cli("explore", FIXED, "--runs", "1", "--jobs", "1", "--save-failing", str(ro))
        assert (code, out) == (2, "") and "--save-failing: the folder is not writable" in err
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--runs", "0", "--runs: 0 is out of range (expected an integer in 1.."),
    ("--runs", "-5", "--runs"),
    ("--runs", "99999999999999999999999", "--runs"),
    ("--jobs", "0", "--jobs: 0 is out of range"),
    ("--jobs", "100000", "--jobs: '100000' is out of range"),
    ("--time", "0s", "--time"),
    ("--time", "nan", "--time"),
    ("--time", "1e400", "--time"),
    ("--depth", "65", "--depth"),
    ("--window", "5s", "--window"),
    ("--strategy", "ordered", "--strategy: invalid choice: 'ordered' (expected one of: "),
    ("--until", "if 1 +", "--until"),
    ("--until", "watch cpu[99999999999999999999].irr", "--until"),
    ("--until-stable", "0", "--until-stable"),
    ("--shrink-time", "-1s", "--shrink-time: no value given (expected one above 0 and at most 7 days (168h): e.g. "
                             "60s, 2m, 500ms, 1.5h; a bare number is seconds; one starting with '-' as "
                             "--shrink-time=VALUE)"),   # (hardening31: what a duration is, not 'a value: BUDGET')
    ("--shrink-time=-1s", None, "--shrink-time"),
    ("--seed", "1e3", "--seed"),
])
def test_explores_options_given_hostile_values_are_refused_in_one_line(tmp_path: Path, option: str, value: str | None,
                                                                        says: str) -> None:
    given = (option,) if value is None else (option, value)
    code, out, err = cli("explore", FIXED, "--jobs", "1", "--runs", "2", *given, "--save-failing", str(tmp_path / "bugs"))
    lines = err.splitlines()
    assert (code, out) == (2, "") and len(lines) == 1, err
    assert lines[0].startswith("msidbg: ") and says in lines[0], lines[0]
    assert "(expected " in lines[0], lines[0]
    assert "Traceback" not in err and os.listdir(tmp_path) == []


def test_fuzz_cli_explore_cases() -> None:
    """A bounded, seeded run of tests/fuzz_cli.py's explore cases on mutated scenarios: each works
    (a failing run's snapshot in --save-failing's folder, no folder otherwise) or is refused in one line."""
    from tests import fuzz_cli

    tally = fuzz_cli.fuzz(29, 24, only="scenario", hang=60, command="explore")
    assert tally.cases == 24 and not tally.findings, [(f.case, f.argv, f.what) for f in tally.findings]
    assert tally.codes.get("2", 0) >= 5 and tally.codes.get("0", 0) + tally.codes.get("1", 0) >= 5, tally.codes


@pytest.mark.parametrize(("argv", "says"), [
    (("runn",), "msidbg: argument COMMAND: invalid choice: 'runn' (expected one of: 'run', 'open', 'replay', "
                "'explore', 'check', 'new', 'schema', 'report', 'export', 'serve', 'why', 'diff'; did you mean "
                "'run'?) (see 'msidbg --help')"),
    (("explore", FIXED, "--strategy", "pctt"), "msidbg: explore: argument --strategy: invalid choice: 'pctt' "
                                               "(expected one of: 'random', 'pct', 'delay'; did you mean 'pct'?) "
                                               "(see 'msidbg explore --help')"),
    (("explore", FIXED, "--strategy", "zzz"), "msidbg: explore: argument --strategy: invalid choice: 'zzz' "
                                              "(expected one of: 'random', 'pct', 'delay') (see 'msidbg explore --help')"),
])
def test_an_invalid_choice_says_what_was_expected_then_the_likely_one(argv: tuple[str, ...], says: str) -> None:
    """argparse said '(choose from ...)', the one refusal not in the contract's '(expected ...)' form."""
    code, out, err = cli(*argv)
    assert (code, out, err) == (2, "", says + "\n")
