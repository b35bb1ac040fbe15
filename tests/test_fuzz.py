"""The hostile-input fuzzers of ``tests/fuzz.py`` with a bounded number of examples (CI).
``python tests/fuzz.py --minutes 10`` runs them longer and prints a table."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from tests.fuzz import FUZZERS, check_expression, check_scenario, check_snapshot

SUITE = settings(deadline=None, suppress_health_check=list(HealthCheck))
BY_NAME = {f.name: f.strategy for f in FUZZERS}


@settings(SUITE, max_examples=60)
@given(BY_NAME["scenario"])
def test_scenario_files_run_or_are_refused_in_one_line(text: str) -> None:
    check_scenario(text)


@settings(SUITE, max_examples=120)
@given(BY_NAME["snapshot"])
def test_snapshot_files_open_or_are_refused_in_one_line(data: bytes) -> None:
    check_snapshot(data)


@settings(SUITE, max_examples=300)
@given(BY_NAME["expression"])
def test_expressions_evaluate_without_raising_or_are_refused_with_a_column(text: Any) -> None:
    check_expression(text)
