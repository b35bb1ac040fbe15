"""hardening31: YAML 1.1 / 1.2 readings agree or are refused; a killed explore worker keeps the runs
found so far; every duration option's error names its subcommand; the TUI goto prompt's digits;
``msidbg new``'s suspend state."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import yamlsafe as ys
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario_text
from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
BASE = Path(SCN).read_text()


def _with(line: str) -> str:
    return "\n".join(ln for ln in BASE.split("\n") if not ln.startswith(line.split(":")[0] + ":")) + f"\n{line}\n"


# --- lead 1: YAML 1.1 (the loader) and YAML 1.2 (a language server using `msidbg schema`) -------------------
@pytest.mark.parametrize(("written", "says"), [
    ("1_000", "'1_000' is an integer (1000) to YAML 1.1 and a string to YAML 1.2"),
    ("0b101", "'0b101' is an integer (5) to YAML 1.1 and a string to YAML 1.2"),
    ("0x1_F", "'0x1_F' is an integer (31) to YAML 1.1 and a string to YAML 1.2"),
    ("-0x1F", "'-0x1F' is an integer (-31) to YAML 1.1 and a string to YAML 1.2"),
    ("0o17", "'0o17' is a string to YAML 1.1 and 15 to YAML 1.2"),
    ("1e3", "'1e3' is a string to YAML 1.1 and 1000.0 to YAML 1.2"),
    ("yes", "'yes' is a boolean (true) to YAML 1.1 and a string to YAML 1.2"),
    ("OFF", "'OFF' is a boolean (false) to YAML 1.1 and a string to YAML 1.2"),
    ("010", "'010' is an octal number to YAML 1.1 (8) and 10 to YAML 1.2"),    # 1.2 reads it decimal, not text
    ("1:30", "'1:30' is a base-60 number to YAML 1.1 (90) and a string to YAML 1.2"),
])
def test_a_value_yaml_1_1_and_1_2_read_differently_is_refused_naming_both(written: str, says: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(_with(f"seed: {written}"), "s.yaml")
    line = e.value.oneline()
    assert line.startswith(f"msidbg: s.yaml:{_with('seed: 0').count(chr(10))}: seed: {says}") and "(expected " in line, line
    assert "\n" not in line


@pytest.mark.parametrize(("field", "written", "value"), [
    ("seed", "0x10", 16), ("seed", "+7", 7), ("seed", "'1_000'", None), ("seed", "\"0o17\"", None),
    ("name", "\"yes\"", "yes"), ("name", "!!str on", "on"), ("name", "1.5e+3", None)])
def test_values_both_read_alike_or_quoted_still_load(field: str, written: str, value: object) -> None:
    """Decimal, unsigned hex, quoted or tagged text mean the same to both; ``1.5e+3`` is 1500.0 to both
    (name: refuses a float as not a string, as the schema does)."""
    if value is None:
        with pytest.raises(ScenarioError) as e:
            load_scenario_text(_with(f"{field}: {written}"), "s.yaml")
        assert "YAML 1.2" not in e.value.oneline() and "is not " in e.value.oneline()
        return
    scn = load_scenario_text(_with(f"{field}: {written}"), "s.yaml")
    assert getattr(scn, field) == value


def test_a_bdf_that_yaml_1_1_reads_as_base_60_is_still_read_as_written() -> None:
    """``bdf: 00:03.0`` is 3.0 to YAML 1.1 and a string to 1.2: the field reads it as written."""
    scn = load_scenario_text(BASE.replace('bdf: "00:03.0"', "bdf: 00:03.0"), "s.yaml")
    assert {d.bdf for d in scn.devices.values()} == {"00:03.0"}


def test_the_cli_refuses_it_in_one_line_and_a_recorded_text_still_replays(tmp_path: Path) -> None:
    """``interrupt_remapping: yes`` in a file is refused (exit 2, one line); the same text recorded in a
    snapshot before hardening31 is read as it ran (YAML 1.1: true) and replays."""
    from msidbg.debugger import Session

    text = _with("platform: {kind: bare-metal, interrupt_remapping: yes}")
    scn = tmp_path / "s.yaml"
    scn.write_text(text)
    code, out, err = cli("run", str(scn), "--headless")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "platform.interrupt_remapping: 'yes' is a boolean (true) to YAML 1.1 and a string to YAML 1.2" in err
    s = Session(load_scenario_text(text, str(scn), recorded=True))
    assert s.scenario.platform.interrupt_remapping is True
    s.run()
    snap = tmp_path / "old.msgpack"
    s.save(str(snap))
    code, out, err = cli("replay", str(snap))
    assert code == 0, err


def test_new_never_names_a_device_a_yaml_boolean() -> None:
    assert not ys.plain_is_text("on") and not ys.plain_is_text("no") and not ys.plain_is_text("1e3")
    assert ys.plain_is_text("eth0") and ys.plain_is_text("n") and ys.plain_is_text("enp3s0")


def test_the_schema_says_what_it_cannot() -> None:
    from msidbg.bugio.schema import schema

    assert "1_000" in schema()["$comment"] and "quote" in schema()["$comment"]


# --- lead 2: a killed explore worker keeps the runs found so far ----------------------------------------------
KILLER = """
import os, signal, sys
from msidbg.explore import pool

real_once = pool.run_once
mode, mark = sys.argv[2], sys.argv[3]

def once(target, index, seed, sch, cover=True):
    search = mode == "search" and cover and index == 21
    small = len(sch.plan.items()) < 3 if mode == "shrink" and sch.plan is not None else mode == "recorded"
    shrink = small and not cover and sch.plan is not None and not os.path.exists(mark)
    if search or shrink:
        open(mark, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)        # as the out-of-memory killer does, in the worker
    return real_once(target, index, seed, sch, cover)

pool.run_once = once
from msidbg.cli import main
sys.exit(main(["explore", sys.argv[1], "--jobs", "2", "--runs", "60", *sys.argv[4:]]))
"""


def _explore_killing(tmp_path: Path, mode: str, *args: str) -> tuple[int, str, str]:
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run([sys.executable, "-c", KILLER, str(SCENARIOS / "explore-xen-pirq-reuse.yaml"), mode,
                           str(tmp_path / "mark"), *args], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert (tmp_path / "mark").exists()
    return proc.returncode, proc.stdout, proc.stderr


LINE = ("msidbg: {path}: explore: a worker process was killed by SIGKILL (the out-of-memory killer, or a kill?); its "
        "runs were lost (expected workers that run to the end: --jobs 1 runs every run in msidbg's own process)\n")


def test_a_worker_killed_in_the_search_keeps_the_runs_before_it_and_names_sigkill(tmp_path: Path) -> None:
    """Run 21 kills its worker (SIGKILL): the batches in flight are lost (runs 20..23, and what the other worker had); the
    runs before them are reported, their failure groups shrunk and saved; exit 1 (failures found),
    the line naming SIGKILL -- never the executor's SIGTERM of the other worker."""
    import json

    code, out, err = _explore_killing(tmp_path, "search", "--all", "--json", "--save-failing", str(tmp_path / "b"))
    path = SCENARIOS / "explore-xen-pirq-reuse.yaml"
    assert err == LINE.format(path=path), err
    result = json.loads(out)
    # (the batches of four in flight when the pool broke are lost: those the executor had not finished)
    assert code == 1 and 0 < result["runs"] <= 20 and result["runs"] % 4 == 0, result["runs"]
    assert result["worker_died"] == {"while": "search", "how": "was killed by SIGKILL", "message": err.strip()}
    assert result["failures"] and all(f["shrink_complete"] and f["snapshot"] for f in result["failures"])
    assert sum(f["count"] for f in result["failures"]) <= result["runs"]


@pytest.mark.parametrize("mode", ["shrink", "recorded"])
def test_a_worker_killed_while_shrinking_stops_that_shrink_and_keeps_the_failure(tmp_path: Path, mode: str) -> None:
    """Killed during a shrinking replay: that group's shrinking stops as time would; killed during the
    replay of the recorded list (which must run): it is made again in fresh workers and shrinking goes on."""
    code, out, err = _explore_killing(tmp_path, mode)
    path = SCENARIOS / "explore-xen-pirq-reuse.yaml"
    assert code == 1 and err == LINE.format(path=path), err
    assert "a worker process was killed by SIGKILL while shrinking: the failures are below" in out
    assert "FAIL 1: pirq-conflict" in out
    stopped = "shrinking stopped early: a worker process was killed;" in out
    assert stopped == (mode == "shrink"), out


def test_a_pool_found_broken_at_submit_is_a_worker_died_too() -> None:
    """The worker dies and the executor marks the pool broken before the next batch is sent: ``submit``
    itself raised BrokenProcessPool -- an internal error (exit 3), 1 run in ~10 of test_hardening30's
    killed worker. The results already in are taken first, then the one line naming SIGKILL."""
    import os
    import signal
    import time

    from msidbg.explore import _tasks
    from msidbg.explore.pool import WorkerDied, Workers
    from msidbg.explore.runner import Target
    from msidbg.model import resolve_schedule
    from msidbg.scenario import load_scenario

    scn = load_scenario(str(SCENARIOS / "explore-xen-pirq-reuse-fixed.yaml"))
    workers = Workers(Target(scn, (), 5_000_000), 2)
    got = 0
    try:
        with pytest.raises(WorkerDied) as e:
            for _ in workers.run(_tasks(0, resolve_schedule(scn, "random", None, None), 400)):
                got += 1
                if got == 1:
                    pool = workers._pool
                    os.kill(next(iter(workers._seen)), signal.SIGKILL)
                    end = time.monotonic() + 30
                    while not getattr(pool, "_broken", False) and time.monotonic() < end:
                        time.sleep(0.01)
                    assert pool._broken     # the next submit would raise
    finally:
        workers.close()
    assert 1 <= got < 400 and e.value.how == "was killed by SIGKILL" and e.value.exit_code == 2


# --- lead 3: a duration or budget option's error names the subcommand, the option and what was expected ------
DURATION = "one above 0 and at most 7 days (168h): e.g. 60s, 2m, 500ms, 1.5h; a bare number is seconds"
WINDOW = "a time >= 0 and <= 1s: integer ns, or like '10us', '1.5ms'"
SNAP = str(SCENARIOS.parent / "snapshots" / "xen-hvm-msix-mask-late.msgpack")
PCT = ["--schedule", "pct"]


@pytest.mark.parametrize(("args", "line"), [
    (("run", SCN, "--headless", *PCT, "--window", "5parsecs"),
     f"run: argument --window: '5parsecs' is not a time (expected {WINDOW}) (see 'msidbg run --help')"),
    (("run", SCN, "--headless", *PCT, "--window", "2s"),
     f"run: argument --window: '2s' is out of range (expected {WINDOW}) (see 'msidbg run --help')"),
    (("explore", SCN, "--window", "١٠us"),
     f"explore: argument --window: '١٠us' is not a time (expected {WINDOW}) (see 'msidbg explore --help')"),
    (("explore", SCN, "--time", "soon"),
     f"explore: argument --time: 'soon' is not a duration (expected {DURATION}) (see 'msidbg explore --help')"),
    (("explore", SCN, "--time", "9999h"),
     f"explore: argument --time: '9999h' is out of range (expected {DURATION}) (see 'msidbg explore --help')"),
    (("explore", SCN, "--shrink-time", "0"),
     f"explore: argument --shrink-time: '0' is not a duration (expected {DURATION}) (see 'msidbg explore --help')"),
    (("explore", SCN, "--shrink-time"),
     f"explore: argument --shrink-time: no value given (expected {DURATION}; one starting with '-' as "
     "--shrink-time=VALUE) (see 'msidbg explore --help')"),
    (("why", SNAP, "--what-if", "--what-if-budget", "5x"),
     "why: argument --what-if-budget: '5x' is not a number of runs or of seconds (expected 1..10000 runs (\"40\") or "
     "1s..86400s (\"90s\")) (see 'msidbg why --help')"),
    (("why", SNAP, "--what-if-budget", "40"),
     "why: argument --what-if-budget: only with --what-if (expected --what-if with it) (see 'msidbg why --help')"),
    (("why", SNAP, "--at", "5"),
     "why: argument --at: only with --path (expected --path P with it: the value of P at event N; for an event, "
     "--event N) (see 'msidbg why --help')"),
    # the file's schedule decides these: the file is named too
    (("run", SCN, "--headless", "--window", "10us"),
     f"{SCN}: run: argument --window: the run's schedule is ordered (expected --schedule random, pct or delay, or a "
     "file whose schedule: is one)"),
    (("explore", SCN, "--strategy", "random", "--depth", "3"),
     f"{SCN}: explore: argument --depth: the strategy is random, which has no depth (expected --strategy pct or "
     "delay, or no --depth)"),
])
def test_a_duration_or_budget_options_error_names_its_subcommand(args: tuple[str, ...], line: str) -> None:
    """They said ``msidbg: --time: 'soon' is not a duration (...)``: no subcommand, unlike every other option
    error since hardening30 (the value was checked after parsing, outside argparse)."""
    code, out, err = cli(*args)
    assert (code, out, err) == (2, "", f"msidbg: {line}\n")


def test_the_api_says_the_same_for_options_only_a_caller_can_give() -> None:
    from msidbg.errors import MsidbgError
    from msidbg.explore import explore

    for kw, says in [({"runs": 0}, "explore: argument --runs: 0 is out of range (expected at least 1)"),
                     ({"shrink_time": 0.0}, "explore: argument --shrink-time: 0.0 s is not a duration (expected a "
                                            "positive duration)")]:
        with pytest.raises(MsidbgError) as e:
            explore(SCN, jobs=1, **kw)    # type: ignore[arg-type]
        assert e.value.oneline() == f"msidbg: {SCN}: {says}"


# --- lead 5: `msidbg new` carries the suspend state dmesg shows ------------------------------------------------
def test_new_carries_the_suspend_power_state_dmesg_shows(tmp_path: Path) -> None:
    """pci_pm_suspend_noirq's debug line "PCI PM: Suspend power state: D3cold" (drivers/pci/pci-driver.c, 5.15.24 /
    5.17 / 6.12.19) sets that function's pm_suspend state; one it left in D0 gets no pm_suspend or pm_resume (a
    comment says why); a function the paste says nothing of keeps the default, D3hot, and the comment says how
    dmesg would tell. A line outside a suspend (or in a hibernation) is not used."""
    from msidbg.scenario import load_scenario
    from tests.test_bugio31_new import BANNER, LSPCI, SUSPEND, new

    states = ("[ 5123.600001] igb 0000:02:00.0: PCI PM: Suspend power state: D3cold\n"
              "[ 5123.600002] nvme 0000:03:00.0: PCI PM: Suspend power state: D0\n")
    dmesg = BANNER + states.replace("5123.6", "12.6") + SUSPEND.replace("[ 5123.700001]", states + "[ 5123.700001]")
    path, text = new(tmp_path, LSPCI.replace("{A}", "+").replace("{B}", "-"), dmesg)
    scn = load_scenario(path)
    pm = [(a.at_ns, a.do, a.dev, a.args.get("state")) for a in scn.run if a.do.startswith("pm_")]
    assert pm == [(3_000_000, "pm_suspend", "eth0", "d3cold"), (4_000_000, "pm_resume", "eth0", None)], pm
    assert "do: pm_suspend, dev: eth0, state: d3cold} # dmesg.txt:9: igb 0000:02:00.0: PCI PM: Suspend power " \
           "state: D3cold" in text
    assert "  # dmesg.txt:10: nvme 0000:03:00.0: PCI PM: Suspend power state: D0: the kernel left nvme0 in D0, not " \
           "D3: no pm_suspend (pm_suspend puts the function in D3hot or D3cold)" in text
    assert "#   state: d3hot (the default)" not in text
    # without the lines: the default, and how dmesg would say it
    path, text = new(tmp_path, LSPCI.replace("{A}", "+").replace("{B}", "-"), BANNER + SUSPEND)
    assert {a.args.get("state") for a in load_scenario(path).run if a.do == "pm_suspend"} == {"d3hot"}
    assert "(dmesg says which with dynamic debug: 'PCI PM: Suspend power state: D3cold')" in text


def test_replay_scenario_says_what_a_run_of_an_old_snapshots_yaml_will_refuse(tmp_path: Path) -> None:
    from msidbg.debugger import Session

    text = _with("platform: {kind: bare-metal, interrupt_remapping: on}")
    s = Session(load_scenario_text(text, "old.yaml", recorded=True))
    s.run()
    s.save(str(tmp_path / "old.msgpack"))
    out = tmp_path / "old.yaml"
    code, _, err = cli("replay", str(tmp_path / "old.msgpack"), "--scenario", "-o", str(out))
    line = text.count("\n")
    assert code == 0 and err.splitlines()[0].startswith(
        f"note: {out}:{line}: platform.interrupt_remapping: 'on' is a boolean (true) to YAML 1.1"), err
    code, _, err = cli("run", str(out), "--headless")
    assert code == 2 and f"{out}:{line}: platform.interrupt_remapping: 'on'" in err


# --- hunt: digits other than 0-9 in conditions, paths and the event filter -----------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (("run", SCN, "--headless", "--break", "if cpu[١].online == 0"),
     "run: argument --break: column 8 of 'if cpu[١].online == 0': '١' (U+0661) is not a digit 0-9"),
    (("run", SCN, "--headless", "--break", "watch devices.eth0.msix.table[٠].data"),
     "run: argument --break: column 31 of 'watch devices.eth0.msix.table[٠].data': '٠' (U+0660) is not a digit 0-9"),
    (("why", SCN, "--path", "irqs[٢٤].vector"),
     f"{SCN}: why: argument --path: column 6 of 'irqs[٢٤].vector': '٢' (U+0662) is not a digit 0-9"),
])
def test_a_digit_other_than_0_9_in_a_condition_or_path_is_refused_at_its_column(args: tuple[str, ...],
                                                                                  says: str) -> None:
    """The expression tokenizer's ``\\d`` and the tracked paths' took '١' as 1: ``cpu[١]`` watched CPU 1 and
    ``why --path irqs[٢٤].vector`` answered for irq 24."""
    code, out, err = cli(*args)
    assert code == 2 and out == "" and err.startswith(f"msidbg: {says} (expected a number in digits 0-9"), err


def test_the_event_filter_says_a_cpu_of_other_digits_is_no_number() -> None:
    from msidbg.tui.eventfilter import problems

    assert problems("cpu=١", ["eth0"]) == ["cpu=١: a CPU is a number in digits 0-9 (cpu=1)"]
    assert problems("cpu=1", ["eth0"]) == []


TRICKY = ["0", "-0", "+0", "7", "+7", "-7", "007", "08", "0x1F", "0X1F", "-0x1", "0x_1", "0o7", "0O7", "0b1", "1_0",
          "1:30", "1:30.5", "00:03.0", "1.", ".5", "+.5", "1.5", "1e3", "1E3", "1.0e+3", "1.0e3", "-1.0E-3", ".inf",
          "-.Inf", ".NaN", ".nan", "nan", "inf", "true", "True", "TRUE", "tRue", "yes", "Yes", "YES", "no", "on", "Off",
          "y", "n", "~", "null", "Null", "NULL", "", "x", "1x", "0x", "0o", "0b", "1__0", "2001-12-14", "=", "<<"]


@pytest.mark.parametrize("text", TRICKY)
def test_whatever_the_loader_takes_plain_a_yaml_1_2_reader_reads_alike(text: str) -> None:
    """The promise behind the schema's $comment: a plain value the loader accepts is read by the YAML 1.2 core
    schema as the same value -- or, for a float YAML 1.1 reads in base 60 or with '_', as a string, which the
    fields that take such text read as written."""
    try:
        got = ys.parse(f"v: {text}\n")
    except ys.Invalid:
        return
    assert got is not None
    value = got.value["v"].value
    v12 = ys.core12(text)
    if isinstance(value, float) and isinstance(v12, str):
        assert ys.written(got.value["v"]).value == text
        return
    assert type(value) is type(v12) and (value == v12 or value != value), (text, value, v12)


# --- an engine error the model fuzzer found, fixed by reconcile ----------------------------------------------------
def test_three_concurrent_probes_of_a_passthrough_function_on_xen_4_2_run_to_the_end() -> None:
    # msix_setup_msi_descs reads entry 0's Vector Control (readl) and only then msi_add_msi_desc finds the index
    # stored: two accesses, two steps (the read and the -EBUSY were one step: 'step 50 emitted 2 events').
    # The alloc_vectors on CPU1 slept on msi_lock_descs while CPU0's probe set up; its -EBUSY's out_free tears the
    # device's irq 24 / pirq 101 down, so CPU0's request_irq finds no irq; the second probe sets up again
    from msidbg.debugger import Session

    s = Session.from_scenario(str(Path(__file__).parent / "hardening31" / "engine-two-events-x42.yaml"))
    s.run()
    assert s.finished
    ev = [(e.time_ns, e.kind, e.cpu, dict(e.fields)) for e in s.events(0, s.total)]
    i = next(n for n, e in enumerate(ev) if e[1] == "xen.msixtbl" and e[2] == 1)
    assert ev[i][0] == 200_500 and ev[i][3]["how"] == "ctrl read: physical"
    busy = [(t, c) for t, k, c, f in ev if k == "kernel" and f["what"].startswith("msi_add_msi_desc: xa_insert")]
    assert busy == [(212_500, 1)]
    assert [(t, f["pirq"], f["how"]) for t, k, _, f in ev if k == "xen.irq"] == [
        (200_300, 101, "fresh pirq"), (212_600, 101, "destroyed"), (389_400, 100, "fresh pirq")]   # (intx36: the first probe's pci_intx_for_msi trapped read and write, +25 us)
    done = [(f["action"], f["result"]) for _, k, _, f in ev if k == "action.done"]
    assert sorted(done) == [(0, -22), (1, 0), (2, -16), (3, -6), (4, -22)]
