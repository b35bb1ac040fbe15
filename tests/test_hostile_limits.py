"""Issue 11's acceptance: no input file of at most 1 MiB makes a command use more than 256 MB
before it answers (peak RSS of the child process). One case per kind of attack here; the whole
list, with wall times against the 10 s limit, is ``python benchmarks/hostile.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_cases import Case, measure, write_cases

IN_SUITE = ("run flow-list.yaml", "run alias-bomb.yaml", "run megabyte-int.yaml", "run too-many-actions.yaml",
            "replay v1-choices-bomb.msgpack", "replay v1-hits-bomb-small.msgpack",
            "replay --no-verify v2-world-empty-lists.msgpack", "replay v2-world-array-headers.msgpack",
            "replay v2-hits-zeros.msgpack", "replay /dev/zero", "replay --scenario scenario-alias-bomb.msgpack",
            "run, MSIDBG_KEYS a FIFO", "run, MSIDBG_KEYS 60 KB of '[' (TOML)")


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    d: Path = tmp_path_factory.mktemp("hostile")
    return {c.name: c for c in write_cases(d)}


@pytest.mark.parametrize("name", IN_SUITE)
def test_a_hostile_file_is_refused_in_one_line_within_256_mb(cases: dict[str, Case], name: str) -> None:
    m = measure(cases[name].args, env=cases[name].env)
    assert m.code == 2, (name, m)
    assert m.stderr.count("\n") == 1 and m.stderr.startswith("msidbg: "), m.stderr
    assert m.rss_mb < 256, (name, m.rss_mb)
