"""ux3: a demanding user's third pass over the command line."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from msidbg.cli import main
from msidbg.debugger import progress
from tests.conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
STORM_TEXT = (ROOT / "tests" / "tui" / "fixtures" / "long-storm.yaml").read_text().replace("count: 400000",
                                                                                         "count: 1500")


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A storm of a few thousand events: several chunks of a Session command."""
    path = tmp_path_factory.mktemp("storm") / "storm.yaml"
    path.write_text(STORM_TEXT)
    return str(path)


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def cli(*args: str, tty: bool = True) -> tuple[int, str, str]:
    """``msidbg ARGS`` in this process (stderr a terminal unless ``tty`` is False):
    (exit status, stdout, stderr)."""
    out, err = io.StringIO(), (Terminal() if tty else io.StringIO())
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def every_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A progress line at every chance (no clock in the assertions)."""
    monkeypatch.setattr(progress, "EVERY_S", 0.0)


def test_export_tells_a_terminal_how_far_the_trace_has_got(every_tick: None, storm: str, tmp_path: Path) -> None:
    """export's trace re-runs the whole run event by event after the run itself: on a long run
    that phase said nothing (the run's progress line was cleared, then silence)."""
    out_file = tmp_path / "t.pftrace"
    code, _, err = cli("export", "--perfetto", str(out_file), storm)
    assert code == 0, err
    lines = err.split("\r\033[K")
    trace = [line for line in lines if ": writing the trace: " in line]
    assert trace, err[-500:]
    assert trace[0].startswith("  storm.yaml: writing the trace: 1,024 / ")
    assert lines[-1].startswith(f"wrote {out_file}: ")     # cleared before the last line


def test_export_without_a_terminal_prints_only_what_it_wrote(every_tick: None, storm: str, tmp_path: Path) -> None:
    out_file = tmp_path / "t.pftrace"
    code, _, err = cli("export", "--perfetto", str(out_file), storm, tty=False)
    assert code == 0
    assert err.startswith(f"wrote {out_file}: ") and err.count("\n") == 1 and "\r" not in err


PIRQ = str(SCENARIOS / "explore-xen-pirq-reuse.yaml")


@pytest.mark.parametrize("in_file", [False, True])
def test_run_refuses_depth_with_the_random_schedule(in_file: bool, tmp_path: Path) -> None:
    """run --schedule random --depth 9 ran the same run as without --depth (random draws at every
    choice: no change points, no deferrals) and said nothing; a file whose schedule: is random too."""
    path, schedule = PIRQ, ["--schedule", "random"]
    if in_file:
        path, schedule = str(tmp_path / "random.yaml"), []
        Path(path).write_text(Path(PIRQ).read_text() + "\nschedule: random\n")
    code, out, err = cli("run", path, "--headless", "--depth", "9", *schedule)
    assert code == 2 and out == ""
    assert err.strip() == (f"msidbg: {path}: run: argument --depth: the run's schedule is random, which has no depth "
                           "(expected --schedule pct or delay, or no --depth)")
    code, out, _ = cli("run", PIRQ, "--json", "--schedule", "pct", "--depth", "9", "--max-events", "5")
    assert code == 0 and '"schedule": "pct"' in out


def test_explore_refuses_depth_with_the_random_strategy_and_its_rerun_leaves_it_out() -> None:
    import json
    import shlex

    from msidbg.explore import explore

    code, _, err = cli("explore", PIRQ, "--jobs", "1", "--runs", "2", "--strategy", "random", "--depth", "4")
    assert code == 2 and err.startswith(f"msidbg: {PIRQ}: explore: argument --depth: the strategy is random, which has no depth"), err
    f = explore(PIRQ, runs=300, jobs=1)["failures"][0]     # the file's schedule: random
    argv = shlex.split(f["rerun"])
    assert f["run"] >= 1 and "--depth" not in argv and argv[3:5] == ["--schedule", "random"]
    code, out, err = cli(*argv[1:], "--json", tty=False)    # the command still re-runs the run
    assert code == 1, err
    assert json.loads(out)["stopped"]["event"] == f["run_event"]


SNAP = str(ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack")


@pytest.mark.parametrize(("args", "cmd", "extra", "expected"), [
    (["open", SNAP, "--no-verfy"], "open", "--no-verfy", "msidbg open FILE.msgpack [options]; did you mean '--no-verify'?"),
    (["run", BUG, "--headless", "--stop-at-brake"], "run", "--stop-at-brake",
     "msidbg run FILE.yaml [options]; did you mean '--stop-at-break'?"),
    (["new", "--lspci", "l.txt", "-o", "-", "dmesg.txt"], "new", "dmesg.txt",
     "msidbg new --lspci FILE --output OUT.yaml [options]"),
])
def test_an_unknown_option_names_the_subcommand_and_its_help(args: list[str], cmd: str, extra: str, expected: str) -> None:
    """'msidbg: unrecognized arguments: --no-verfy (see 'msidbg --help')': the top-level help
    lists the commands, not the options of the one that refused it."""
    code, out, err = cli(*args, tty=False)
    assert code == 2 and out == ""
    # (hardening30: with what was expected, as the contract's errors say it, and the likely option)
    assert err == f"msidbg: {cmd}: unrecognized arguments: {extra} (expected {expected}) (see 'msidbg {cmd} --help')\n"


def test_why_at_an_event_past_the_end_is_refused_not_answered_at_the_end() -> None:
    """why FILE --path P --at 99999 printed the value at the run's last event, titled 'at event
    119', as if 99999 had been read; --event 99999 and a snapshot's --at were refused."""
    code, out, err = cli("why", BUG, "--path", "cpu[1].irr[0x21]", "--at", "99999", tty=False)
    assert code == 2 and out == ""
    # (121: dyingdrain's MULTI_STOP_EXIT and do_idle notes; 122: intx36's Interrupt Disable write)
    assert err == f"msidbg: {BUG}: why: argument --at: no event 99999: the run ends at event 122 (expected 0..122)\n"
    code, out, _ = cli("why", BUG, "--path", "cpu[1].irr[0x21]", "--at", "122", tty=False)
    assert code == 0 and out.startswith("why cpus[1].irr[0x21] = 0 at event 122")


def test_a_full_output_device_is_one_line_not_an_internal_error(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """msidbg schema > /dev/full: 'internal error: OSError: [Errno 28] No space left on device (a
    bug in msidbg; the traceback is in ...)', exit 3 -- the disk was full, msidbg was fine."""
    import subprocess
    import sys

    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-c", "import sys; from msidbg.cli import main; sys.exit(main())",
                              "schema"], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert out.returncode == 2, out.stderr
    assert out.stderr == ("msidbg: cannot write the output: No space left on device (expected room on the "
                          "device it goes to)\n")
    # any other OSError is still a bug in msidbg, reported with its traceback file
    from msidbg import guard

    monkeypatch.delenv("MSIDBG_DEBUG", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))

    def broken(argv: object) -> int:
        raise PermissionError(13, "Permission denied")

    err = io.StringIO()
    with redirect_stderr(err):
        assert guard.run(broken, []) == guard.EXIT_INTERNAL
    assert "internal error: PermissionError" in err.getvalue()
