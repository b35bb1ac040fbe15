"""Red team 6: scenarios nobody had run (other topologies, version mixes), each predicted from the
source before it was run. Each test here failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals
from tests.test_cli import GOOD, msidbg

# Both of eth0's irqs on CPU1 (the moves apply at their first interrupts); vector 1's 20 us handler
# holds CPU1's ISR in priority class 2, so vector 0's signal at 200 us waits in CPU1's IRR while
# free_irq on CPU3 masks the entry and frees the vector (clear_irq_vector; irq 24 is not in
# progress, so synchronize_irq does not wait); CPU1 then takes the vector with nothing behind it.
LATE_HIT = """\
name: rt6-late-hit
seed: 1
cpus: 4
costs: {{handler: 20us}}
kernel: {{version: "{v}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 60us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 1}}
  - {{at: 100us, do: fire, dev: eth0, vector: 0}}
  - {{at: 150us, do: fire, dev: eth0, vector: 1}}
  - {{at: 195us, do: fire, dev: eth0, vector: 1}}
  - {{at: 200us, do: fire, dev: eth0, vector: 0}}
  - {{at: 201us, on: 3, do: free_irq, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("version, spurious", [
    ("5.2", True), ("4.19.59", True), ("4.15", True),       # VECTOR_UNUSED: "No irq handler for vector"
    ("5.2.2", False), ("4.19.60", False), ("5.3", False), ("6.6", False),   # VECTOR_SHUTDOWN: swallowed
])
def test_a_late_hit_on_a_vector_free_irq_released_is_swallowed_only_from_b7107a67f0d1(
        version: str, spurious: bool) -> None:
    """b7107a67f0d1 (5.3; 4.19.60, 5.1.19, 5.2.2) made clear_irq_vector leave VECTOR_SHUTDOWN and
    do_IRQ ack such a hit silently; before it (4.15..5.2) the slot went back to VECTOR_UNUSED and
    the same late interrupt was 'No irq handler for vector'."""
    eng = run_to_end(scenario(LATE_HIT.format(v=version)))
    assert ("irq-spurious" in hit_names(eng)) is spurious
    unhandled = events_of(eng, "irq.unhandled")
    assert unhandled, "the late signal must reach CPU1's freed vector"
    assert totals(eng, "eth0")["lost"] > 0


@pytest.mark.parametrize(("version", "value"), [
    ("5.2", False), ("5.2.1", False), ("5.2.2", True), ("5.1.18", False), ("5.1.19", True),
    ("4.19.59", False), ("4.19.60", True), ("5.3", True),
])
def test_the_shutdown_slot_row_follows_the_stable_announcements(version: str, value: bool) -> None:
    """'Linux 5.1.19' / '4.19.60' (2019-07-21) and the 5.2.2 review ('[PATCH 5.2 11/21]') list
    b7107a67f0d1 with 4001d8e8762f and f8a8fe61fec8."""
    row = bh.by_name()["vector_shutdown_slot"]
    assert bh.at(row, bh.parse_kernel(version))[0] is value


def test_check_reports_a_bad_name_in_a_file_without_expect(tmp_path: Path) -> None:
    """`check --help`: "2 on bad input". A file with no expect: block was skipped before its
    breakpoints were armed and its faults' programs looked up, so an unknown name passed (exit 0)."""
    bad = tmp_path / "a.yaml"
    bad.write_text(GOOD + "faults:\n  - {call: nosuch_program, dev: eth0, errno: EIO}\n")
    out = msidbg("check", str(bad))
    assert out.returncode == 2
    assert out.stderr.startswith(f"msidbg: {bad}:") and "faults[0].call: unknown kernel program" in out.stderr
    assert out.stderr.count("\n") == 1 and out.stdout == ""
    fine = tmp_path / "b.yaml"
    fine.write_text(GOOD)
    out = msidbg("check", str(fine))
    assert out.returncode == 0 and out.stdout.startswith(f"SKIP {fine}: no expect: block")


LONG_NAME = "r" * 64   # the longest name the loader accepts


def test_a_report_stays_72_columns_with_the_longest_scenario_name(tmp_path: Path) -> None:
    """`report --help`: "a report at most 72 columns wide"; the title line was 'msidbg report: NAME'
    (79 columns for a 64-character name) and its underline as long."""
    f = tmp_path / "long.yaml"
    f.write_text(GOOD.replace("name: t", f"name: {LONG_NAME}"))
    for extra in ([], ["--markdown"]):
        out = msidbg("report", str(f), *extra)
        assert out.returncode == 0, out.stderr
        assert LONG_NAME in out.stdout
        assert max(len(ln) for ln in out.stdout.splitlines()) <= 72
