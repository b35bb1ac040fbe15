"""The debugger's command line: run --save, replay and open, with their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from msidbg.debugger.snapshot import seal
from msidbg.sim.world import pack_world, state_hash, unpack_world
from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS
from tests.test_cli import msidbg

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def saved(tmp_path: Path) -> tuple[dict[str, object], Path]:
    out = tmp_path / "bug.msgpack"
    run = msidbg("run", BUG, "--headless", "--json", "--stop-at-break", "--save", str(out))
    assert run.returncode == 1, run.stderr
    return json.loads(run.stdout), out


def test_run_save_then_replay_prints_the_same_summary_and_exits_0(tmp_path: Path) -> None:
    summ, path = saved(tmp_path)
    assert path.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    for extra in ((), ("--no-verify",)):
        out = msidbg("replay", str(path), "--json", *extra)
        assert out.returncode == 0, out.stderr
        got = json.loads(out.stdout)
        if extra:  # without the replayed history there is no provenance: each hit's cause is null
            assert all(h["cause"] is None for h in got["hits"]) and summ["hits"][0]["cause"] == [26, 18]
            got["hits"] = summ["hits"]
        assert got == summ
    human = msidbg("replay", str(path))
    assert human.returncode == 0 and "stopped: breakpoint at event 26 on breakpoint msix-write-unmasked" in human.stdout


def test_replay_exits_1_on_divergence_naming_event_and_path(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    w = unpack_world(doc["world"])
    w["devices"]["eth0"]["msix"]["table"][2]["ctrl"] = 0
    doc["world"], doc["state_hash"] = pack_world(w), state_hash(w)
    path.write_bytes(seal(doc))
    out = msidbg("replay", str(path))
    assert out.returncode == 1, out.stderr
    err = out.stderr.strip()
    assert "\n" not in err and err.startswith(f"msidbg: {path}: replay diverged")
    assert "event 26" in err and "devices.eth0.msix.table[2].ctrl" in err


def test_replay_and_open_exit_2_on_bad_files_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first bad file goes through each command as a process (the exit status and stderr a
    user sees); the others run in this process, where a crash raises (MSIDBG_DEBUG) instead of
    printing the one-line internal-error report, so they fail on the same bugs without an
    interpreter start each."""
    monkeypatch.setenv("MSIDBG_DEBUG", "1")
    _, good = saved(tmp_path)
    data = good.read_bytes()
    doc = msgpack.unpackb(data, raw=False)
    doc["version"] = 99
    cases = {
        "truncated": data[: len(data) // 2],
        "random": bytes(range(256)) * 8,
        "empty": b"",
        "newer": msgpack.packb(doc, use_bin_type=True),
        "yaml": Path(BUG).read_bytes(),
    }
    errs = {}
    for name, blob in cases.items():
        f = tmp_path / f"{name}.msgpack"
        f.write_bytes(blob)
        for cmd in (("replay", str(f)), ("replay", str(f), "--no-verify"), ("open", str(f))):
            if name == "truncated":
                out = msidbg(*cmd)
                code, err = out.returncode, out.stderr
            else:
                code, _, err = cli(*cmd)
            errs[name, cmd] = err
            assert code == 2, (name, cmd, err)
            err = err.strip()
            assert "\n" not in err and err.startswith(f"msidbg: {f}: ") and "Traceback" not in err, err
    assert "version 99 is newer" in errs["newer", ("replay", str(tmp_path / "newer.msgpack"))]
    missing = msidbg("replay", str(tmp_path / "nope.msgpack"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_open_verifies_before_the_tui(tmp_path: Path) -> None:
    _, path = saved(tmp_path)
    out = msidbg("open", str(path))
    # until the TUI lands, a verified snapshot reaches the TUI placeholder (not a snapshot error)
    assert "TUI" in out.stderr or out.returncode == 0


def test_break_with_a_malformed_condition_names_the_column(tmp_path: Path) -> None:
    """stderr is not a terminal here: one line (the three-line caret is for people: test_cli_hardening)."""
    spec = "if cpu[1].irr[0x21 == 1"
    out = msidbg("run", BUG, "--headless", "--break", spec)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert out.stderr.rstrip() == (f"msidbg: run: argument --break: column {len(spec) + 1} of '{spec}': found the end of the "
                                   "expression (expected ']')")


def test_break_with_an_unknown_world_name_is_refused_naming_the_column() -> None:
    out = msidbg("run", BUG, "--headless", "--break", "watch nosuch.path")
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert out.stderr.startswith("msidbg: run: argument --break: column 7 of 'watch nosuch.path': unknown name 'nosuch' (expected ")


def test_break_forms_stop_the_headless_run(tmp_path: Path) -> None:
    out = msidbg("run", BUG, "--headless", "--json", "--stop-at-break", "--break", "watch cpu[1].isr[0x21]")
    s = json.loads(out.stdout)
    assert out.returncode == 1 and s["stopped"] == {"reason": "breakpoint", "event": 26,
                                                     "breakpoint": "msix-write-unmasked"}
    text = Path(BUG).read_text().replace("breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]", "")
    f = tmp_path / "nobreaks.yaml"
    f.write_text(text)
    out = msidbg("run", str(f), "--headless", "--json", "--stop-at-break", "--break", "watch cpu[1].isr[0x21]")
    assert json.loads(out.stdout)["stopped"] == {"reason": "breakpoint", "event": 31,
                                                 "breakpoint": "watch cpu[1].isr[0x21]"}


def test_help_describes_the_debugger_commands() -> None:
    top = msidbg("--help").stdout
    assert "open" in top and "replay" in top
    replay = msidbg("replay", "--help").stdout
    assert "--no-verify" in replay and "--json" in replay and "Exit 0 verified, 1 diverged, 2 bad file" in replay
    run = msidbg("run", "--help").stdout
    assert "--save" in run and "watch <path>" in run
