"""The command line: exit codes, the JSON summary, one-line errors for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS

GOOD = """name: t
cpus: 2
devices:
  eth0: {bdf: "00:03.0", msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, do: fire, dev: eth0, vector: 1, count: 3, every: 2us}
"""


def msidbg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "msidbg.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


def test_json_summary_has_the_contract_fields_and_counts() -> None:
    out = msidbg("run", str(SCENARIOS / "msix-write-while-unmasked.yaml"), "--headless", "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert set(s) >= {"scenario", "events", "time_ns", "state_hash", "stopped", "hits", "devices"}
    assert s["stopped"] == {"reason": "end", "event": s["events"], "breakpoint": None}
    assert "msix-write-unmasked" in {h["breakpoint"] for h in s["hits"]}
    v = s["devices"]["eth0"]["vectors"][0]
    assert v["raised"] == v["delivered"] + v["lost"] and v["lost"] > 0
    assert [h["event"] for h in s["hits"]] == sorted(h["event"] for h in s["hits"])


def test_fixed_twin_reports_no_hit_and_no_loss() -> None:
    out = msidbg("run", str(SCENARIOS / "msix-write-while-unmasked-fixed.yaml"), "--headless", "--json")
    s = json.loads(out.stdout)
    assert s["hits"] == [] and s["devices"]["eth0"]["vectors"][0]["lost"] == 0


def test_stop_at_break_exits_1_at_the_first_hit() -> None:
    out = msidbg("run", str(SCENARIOS / "msix-write-while-unmasked.yaml"), "--headless", "--json",
                 "--stop-at-break")
    assert out.returncode == 1
    s = json.loads(out.stdout)
    assert s["stopped"]["reason"] == "breakpoint" and s["stopped"]["breakpoint"] == "msix-write-unmasked"
    assert s["stopped"]["event"] == s["hits"][0]["event"] == s["events"]


def test_max_events_stops_with_reason_limit(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text(GOOD)
    s = json.loads(msidbg("run", str(f), "--headless", "--json", "--max-events", "7").stdout)
    assert s["events"] == 7 and s["stopped"]["reason"] == "limit"


def test_check_passes_on_the_shipped_scenarios_and_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
    out = msidbg("check", *files)
    assert out.returncode == 0, out.stdout + out.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(GOOD + "expect:\n  lost: {eth0: 3}\n")
    out = msidbg("check", str(wrong))
    assert out.returncode == 1 and "expected eth0 lost=3, got 0" in out.stdout


BAD_INPUTS = {
    "syntax": ("devices: [unclosed\n", "YAML syntax error"),
    "unknown_top_key": (GOOD + "colour: blue\n", "colour"),
    "unknown_action": (GOOD + "  - {at: 2ms, do: explode, dev: eth0}\n", "run[2].do"),
    "unknown_device": (GOOD + "  - {at: 2ms, do: remove, dev: eth9}\n", "run[2].dev"),
    "vector_out_of_range": (GOOD + "  - {at: 2ms, do: fire, dev: eth0, vector: 9}\n", "run[2].vector"),
    "negative_time": (GOOD + "  - {at: -5, do: remove, dev: eth0}\n", "run[2].at"),
    "table_too_big": (GOOD.replace("table_size: 2", "table_size: 4096"), "devices.eth0.msix.table_size"),
    "too_many_cpus": (GOOD.replace("cpus: 2", "cpus: 999"), "cpus"),
    "bad_breakpoint": (GOOD + "breakpoints: [no-such-breakpoint]\n", "breakpoints[0]"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_naming_file_and_field(tmp_path: Path, case: str) -> None:
    text, field = BAD_INPUTS[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text)
    for args in (("run", str(f), "--headless"), ("check", str(f))):
        out = msidbg(*args)
        assert out.returncode == 2, (case, args, out.stdout, out.stderr)
        err = out.stderr.strip()
        assert "\n" not in err and "Traceback" not in err, err
        assert err.startswith(f"msidbg: {f}:"), err
        assert field in err, err


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2 << 20))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    for f in (big, binary, tmp_path / "missing.yaml"):
        out = msidbg("run", str(f), "--headless")
        err = out.stderr.strip()
        assert out.returncode == 2 and "\n" not in err and err.startswith(f"msidbg: {f}"), err


def test_help_lists_the_commands() -> None:
    out = msidbg("--help")
    assert out.returncode == 0 and "run" in out.stdout and "check" in out.stdout


@pytest.mark.parametrize("argv", [
    ["run", "s.yaml", "--headless", "--seed", "3", "--break", "irq-lost", "--break", "if event.cpu == 1"],
    ["run", "s.yaml", "--json", "--max-events", "10", "--schedule", "pct", "--depth", "4", "--save", "o.msgpack"],
    ["open", "x.msgpack", "--no-verify"], ["replay", "x.msgpack", "--json"], ["check", "a.yaml", "b.yaml"],
    ["explore", "s.yaml", "--runs", "7", "--jobs", "1", "--until", "call f", "--strategy", "pct", "--json"],
])
def test_a_command_parses_the_same_with_only_its_own_parser_built(argv: list[str]) -> None:
    """Start-up builds only the named command's parser (issue 14): the same arguments, the same
    defaults, as with every command's parser built (``--help``)."""
    from msidbg.cli import _parser

    lean, full = _parser(argv), _parser(None)
    assert sorted(lean._subparsers._group_actions[0].choices) == [argv[0]]  # type: ignore[union-attr]
    assert len(full._subparsers._group_actions[0].choices) > 5  # type: ignore[union-attr]
    a, b = vars(lean.parse_args(argv)), vars(full.parse_args(argv))
    assert a.pop("bugio") == {} and b.pop("bugio")
    assert a == b


def test_errors_of_a_command_are_the_ones_it_gave_with_every_parser_built() -> None:
    out = msidbg("run", "--max-events", "x", "s.yaml")
    assert out.returncode == 2
    assert out.stderr == ("msidbg: run: argument --max-events: 'x' is not an integer (expected an integer in "
                          "0..2^62) (see 'msidbg run --help')\n")
    out = msidbg("runn", "s.yaml")
    assert out.returncode == 2 and "invalid choice: 'runn'" in out.stderr and "'why'" in out.stderr
