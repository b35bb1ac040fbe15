"""Scenario fields for uncertain timing: at ranges, jitter, timing (one-line errors naming the field)."""

from __future__ import annotations

import pytest

from msidbg.errors import MsidbgError, ScenarioError
from msidbg.scenario import load_scenario_text
from msidbg.scenario_timing import Timing, duration_s, window_ns

HEAD = """name: t
cpus: 2
devices: {d: {bdf: "00:01.0", msix: {table_size: 2}}}
"""


def load(run: str, extra: str = "") -> object:
    return load_scenario_text(HEAD + extra + "run:\n" + run, "t.yaml")


def test_ranges_jitter_and_timing_are_read_in_ns_and_ppm() -> None:
    scn = load("  - {at: 0~2ms, do: probe, dev: d, jitter: 50us}\n"
               "  - {at: 1~2ms, on: 1, do: probe, dev: d, jitter: 12.5%}\n"
               "  - {at: 100us~1ms, do: fire, dev: d, vector: 0}\n"
               "  - {at: 1.5ms, do: remove, dev: d}\n"
               "  - {at: 7, do: remove, dev: d}\n", "schedule: pct\ntiming: {jitter: 100%, window: 5us}\n")
    assert [(a.at_ns, a.at_max_ns, a.jitter) for a in scn.run] == [   # type: ignore[attr-defined]
        (0, 2_000_000, (0, 50_000)), (1_000_000, 2_000_000, (125_000, 0)), (100_000, 1_000_000, None),
        (1_500_000, None, None), (7, None, None)]
    assert scn.timing == Timing((1_000_000, 0), 5_000) and scn.schedule == "pct"  # type: ignore[attr-defined]


@pytest.mark.parametrize("field, run, extra, expected", [
    ("run[0].at", "{at: 2ms~1ms, do: remove, dev: d}", "", "ends before it starts"),
    ("run[0].at", "{at: x~1ms, do: remove, dev: d}", "", "'x' is not a time"),
    ("run[0].at", "{at: 1ms~, do: remove, dev: d}", "", "is not a time"),
    ("run[0].at", "{at: 0~2h, do: remove, dev: d}", "", "is not a time"),
    ("run[0].jitter", "{do: remove, dev: d, jitter: 101%}", "", "out of range"),
    ("run[0].jitter", "{do: remove, dev: d, jitter: 0%}", "", "out of range"),
    ("run[0].jitter", "{do: remove, dev: d, jitter: -5us}", "", "not a jitter"),
    ("run[0].jitter", "{do: remove, dev: d, jitter: 1.23456%}", "", "not a percentage"),
    ("timing.window", "{do: remove, dev: d}", "timing: {window: 2s}\n", "out of range"),
    ("timing.speed", "{do: remove, dev: d}", "timing: {speed: 2}\n", "unknown key"),
    ("schedule", "{do: remove, dev: d}", "schedule: chaos\n", "expected one of: ordered, random, pct, delay"),
])
def test_bad_uncertainty_is_one_line_naming_the_field(field: str, run: str, extra: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load(f"  - {run}\n", extra)
    line = e.value.oneline()
    assert line.startswith("msidbg: t.yaml:") and f": {field}: " in line and expected in line, line
    assert "\n" not in line


def test_command_line_durations() -> None:
    assert duration_s("60", "--time") == 60 and duration_s("2m", "--time") == 120
    assert duration_s("500ms", "--time") == 0.5 and duration_s(None, "--time") is None
    assert window_ns("10us", "--window") == 10_000 and window_ns("250", "--window") == 250
    for bad in ("soon", "0", "-1s"):
        with pytest.raises(MsidbgError, match="--time"):
            duration_s(bad, "--time")
    with pytest.raises(MsidbgError, match="--window"):
        window_ns("2s", "--window")
