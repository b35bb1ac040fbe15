"""A demanding user's pass over the command line: bad input is told before anything else."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = ROOT / "snapshots" / "msix-write-while-unmasked.msgpack"


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    monkeypatch.setenv("MSIDBG_DEBUG", "1")


def one_line(err: str, path: str) -> str:
    err = err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"msidbg: {path}: "), err
    return err


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not-a-map"])
def test_open_without_a_terminal_tells_a_bad_snapshot_not_the_terminal(no_terminal: None, tmp_path: Path,
                                                                        damage: str) -> None:
    data = SNAP.read_bytes()
    blob = {"truncated": data[: len(data) // 2], "flipped": data[:200] + bytes([data[200] ^ 1]) + data[201:],
            "not-a-map": b"\xff" * 64}[damage]
    f = tmp_path / "bad.msgpack"
    f.write_bytes(blob)
    for extra in ((), ("--no-verify",)):
        code, out, err = cli("open", str(f), *extra)
        assert code == 2 and out == ""
        assert "needs a terminal" not in one_line(err, str(f)), err


def test_open_without_a_terminal_on_a_good_snapshot_says_it_needs_one(no_terminal: None) -> None:
    code, _, err = cli("open", str(SNAP))
    assert code == 2 and "the TUI needs a terminal" in one_line(err, str(SNAP))


def test_run_without_a_terminal_tells_a_bad_break_spec_first(no_terminal: None) -> None:
    code, _, err = cli("run", BUG, "--break", "if foo ==")
    assert code == 2 and "needs a terminal" not in err and err.startswith("msidbg: run: argument --break: column 10 of 'if foo ==': found the end of the expression (expected a value"), err


def test_a_file_that_is_no_msgpack_map_is_not_a_snapshot(tmp_path: Path) -> None:
    """Random bytes (or a non-UTF-8 text file) used to be decoded as msgpack: '2999 bytes after
    the end of the document'. A snapshot is one map: anything else is not one."""
    for name, blob in {"rand.bin": bytes(range(255, -1, -1)) * 4, "latin1.yaml": b"\xff\xfe name: x\n"}.items():
        f = tmp_path / name
        f.write_bytes(blob)
        code, out, err = cli("replay", str(f))
        assert code == 2 and out == ""
        assert "not a msidbg snapshot (expected a msgpack map" in one_line(err, str(f))


def test_open_of_a_copied_good_snapshot_still_reaches_the_terminal_check(no_terminal: None, tmp_path: Path) -> None:
    f = tmp_path / "copy.msgpack"
    shutil.copy(SNAP, f)
    code, _, err = cli("open", str(f), "--no-verify")
    assert code == 2 and "the TUI needs a terminal" in err


@pytest.mark.parametrize(("spec", "message"), [
    ("watch cpu[9].irr", "column 10 of {spec!r}: cpu has 2 entries, no [9] (expected an index 0..1)"),
    ("if cpu[1].online and not cpu[2].online", "column 29 of {spec!r}: cpu has 2 entries, no [2] (expected an index 0..1)"),
    ("watch devices.eth0.msix.table[4].ctrl",
     "column 30 of {spec!r}: devices.eth0.msix.table has 4 entries, no [4] (expected an index 0..3)"),
])
def test_an_index_beyond_the_runs_cpus_or_table_is_refused_when_armed(spec: str, message: str) -> None:
    """'watch cpu[9].irr' on a 2-CPU scenario was armed and could never fire (a missing path is none)."""
    code, out, err = cli("run", BUG, "--headless", "--break", spec)
    assert code == 2 and out == "" and err.strip() == f"msidbg: run: argument --break: {message.format(spec=spec)}", err


def test_why_of_a_cpu_the_run_does_not_have_is_an_error_not_an_untracked_none() -> None:
    code, out, err = cli("why", BUG, "--path", "cpu[9].irr")
    assert code == 2 and out == ""
    assert "cpu has 2 entries, no [9]" in one_line(err, BUG)
    code, out, _ = cli("why", BUG, "--path", "cpu[1].irr", "--json")
    assert code == 0 and '"value": [' in out


@pytest.mark.parametrize("cmd", [("why",), ("export", "--perfetto", "OUT")])
def test_seed_with_a_snapshot_is_refused_not_ignored(tmp_path: Path, cmd: tuple[str, ...]) -> None:
    """'--seed: override the scenario's seed' did nothing for a snapshot: the answer was the
    snapshot's own run, as if the seed had been used."""
    out_file = tmp_path / "x.pftrace"
    args = [str(out_file) if a == "OUT" else a for a in cmd]
    code, out, err = cli(*args, str(SNAP), "--seed", "3")
    assert code == 2 and out == "" and not out_file.exists()
    assert "--seed: a snapshot replays its own run" in one_line(err, str(SNAP))


def test_new_never_writes_over_one_of_its_inputs(tmp_path: Path) -> None:
    """'msidbg new --lspci l.txt -o l.txt' replaced the lspci text by the skeleton built from it."""
    lspci = ROOT / "tests" / "bugio" / "data" / "workstation-lspci.txt"
    dmesg = ROOT / "tests" / "bugio" / "data" / "workstation-dmesg.txt"
    for flag in ("--lspci", "--dmesg"):
        copies = {name: tmp_path / src.name for name, src in (("--lspci", lspci), ("--dmesg", dmesg))}
        for name, src in (("--lspci", lspci), ("--dmesg", dmesg)):
            shutil.copy(src, copies[name])
        before = copies[flag].read_bytes()
        code, out, err = cli("new", "--lspci", str(copies["--lspci"]), "--dmesg", str(copies["--dmesg"]),
                             "-o", str(copies[flag]))
        assert code == 2 and copies[flag].read_bytes() == before
        assert "cannot write: it is the input file" in one_line(err, str(copies[flag]))


def test_a_run_limited_to_no_event_reports_a_contract_reason() -> None:
    """'run --max-events 0 --json' said "reason": "start"; the contract's reasons are end,
    breakpoint and limit (the API's Stop keeps 'start')."""
    import json

    code, out, _ = cli("run", BUG, "--max-events", "0", "--json")
    assert code == 0 and json.loads(out)["stopped"] == {"reason": "limit", "event": 0, "breakpoint": None}
    from msidbg.debugger import Session

    s = Session.from_scenario(BUG)
    s.seek(5)
    assert s.seek(0).reason == "start" and s.summary()["stopped"]["reason"] == "limit"


def test_a_zero_explore_time_says_what_a_duration_must_be() -> None:
    """'--time 0' was 'not a duration (expected e.g. 60s ...)': the help says a bare number is
    seconds, so '0' looked like one; the bound was never named."""
    code, out, err = cli("explore", BUG, "--time", "0")
    assert code == 2 and out == "" and "expected one above 0" in err and "a bare number is seconds" in err


@pytest.mark.parametrize("n", [10, 50])
def test_export_max_events_counts_from_event_0_for_a_snapshot_too(tmp_path: Path, n: int) -> None:
    """'--max-events N: stop the run after N events' ran N events past a snapshot's cursor
    (event 23): 10 gave a 33-event trace, 50 a 73-event one."""
    from tests.bugio.test_export import Parsed

    out = tmp_path / "t.pftrace"
    code, _, err = cli("export", str(SNAP), "--perfetto", str(out), "--max-events", str(n))
    assert code == 0 and f"wrote {out}: {n} events," in err, err
    Parsed(out).check_nesting()


def test_diff_max_events_counts_a_snapshot_from_event_0() -> None:
    """A snapshot (cursor 23) and its own scenario, both limited to 10 events, 'diverged': the
    snapshot's run went on 10 events past its cursor."""
    import json

    code, out, err = cli("diff", str(SNAP), BUG, "--max-events", "10", "--json")
    got = json.loads(out)
    assert code == 0 and got["first_divergence"] is None and got["same_outcome"], err
    assert got["events"] == {"a": 10, "b": 10}


def test_a_report_holding_a_snapshot_given_to_run_says_what_it_is(tmp_path: Path) -> None:
    """'msidbg run mail.txt' (a report --inline) was 'mail.txt:4: YAML syntax error ...'."""
    mail = tmp_path / "mail.txt"
    code, out, _ = cli("report", str(SNAP), "--inline")
    assert code == 0
    mail.write_text(out)
    for cmd in (("run", "--headless"), ("check",), ("explore", "--runs", "1")):
        code, out, err = cli(cmd[0], str(mail), *cmd[1:])
        assert code == 2 and out == ""
        assert "holds a msidbg snapshot (an armoured block" in one_line(err, str(mail)), err


def test_serve_on_a_busy_port_or_unknown_host_is_bad_input_not_an_internal_error() -> None:
    """Both were 'msidbg: internal error: ... (a bug in msidbg ...)', exit 3, after the banner."""
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = cli("serve", BUG, "--port", str(port))
        assert code == 2 and out == "" and "internal error" not in err
        assert err.startswith(f"msidbg: serve: argument --port: cannot listen on 127.0.0.1:{port}: ") and err.count("\n") == 1
    code, out, err = cli("serve", BUG, "--host", "no-such-host.invalid", "--port", str(port))
    assert code == 2 and out == "" and err.startswith("msidbg: serve: argument --host: 'no-such-host.invalid' is not an address ") and err.count("\n") == 1


@pytest.mark.parametrize(("spec", "said"), [
    ("if foo ==", "column 10 of 'if foo ==': found the end of the expression (expected a value"),
    ("watch cpu[1].irrr", "column 14 of 'watch cpu[1].irrr': cpu[1] has no field 'irrr'"),
])
def test_explore_names_a_bad_breakpoint_of_the_file_by_its_line(tmp_path: Path, spec: str, said: str) -> None:
    """explore said '--until: ...' for a bad spec in the file's breakpoints:, or named neither the
    file nor an option for a path the world cannot have ('msidbg: cpu[1] has no field ...')."""
    text = Path(BUG).read_text().replace("breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]",
                                         f"breakpoints: [msix-write-unmasked, {spec!r}]")
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    line = text[: text.index("breakpoints: [msix")].count("\n") + 1
    code, out, err = cli("explore", str(f), "--runs", "2")
    assert code == 2 and out == ""
    assert one_line(err, f"{f}:{line}").startswith(f"msidbg: {f}:{line}: breakpoints[1]: {said}"), err
    code, out, err = cli("explore", BUG, "--runs", "2", "--until", "watch cpu[3].irr")
    assert code == 2 and err.startswith("msidbg: explore: argument --until: column 10 of 'watch cpu[3].irr': cpu has 2 entries, "
                                                  "no [3]"), err


def test_diff_seed_keeps_a_snapshots_strategy_and_breakpoints(tmp_path: Path) -> None:
    """'diff SNAP X --seed N' ran the snapshot's scenario under the file's own schedule: (here
    random, for a pct explore snapshot) with none of the snapshot's breakpoints armed."""
    from msidbg.debugger import Session
    from msidbg.debugger.diff import open_run
    from msidbg.model import resolve_schedule
    from msidbg.scenario import load_scenario

    scn = load_scenario(str(ROOT / "scenarios" / "explore-msi-torn.yaml"))
    s = Session(scn, 3, schedule=resolve_schedule(scn, "pct", 2, None))
    s.add_breakpoint("watch cpu[1].irr[0x20]")
    s.continue_()
    snap = tmp_path / "pct.msgpack"
    s.save(str(snap))
    run = open_run("a", str(snap), seed=5)
    assert run.session.eng.w["policy"] == "pct" and run.session.schedule.depth == 2
    assert "watch cpu[1].irr[0x20]" in [b.spec for b in run.session.breakpoints]
    assert run.session.eng.w["seed"] == 5
