"""A demanding user's fourth pass over the command line: options that do nothing are refused, and
limits are told as a user can read them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


@pytest.mark.parametrize("cmd", [("why",), ("report",), ("report", "-o", "OUT")])
def test_no_verify_with_a_scenario_is_refused_not_ignored(tmp_path: Path, cmd: tuple[str, ...]) -> None:
    """'--no-verify: a snapshot: ...' was accepted with a scenario and did nothing (the scenario ran)."""
    out_file = tmp_path / "r.txt"
    args = [str(out_file) if a == "OUT" else a for a in cmd]
    code, out, err = cli(*args, BUG, "--no-verify")
    assert code == 2 and out == "" and not out_file.exists()
    err = err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"msidbg: {BUG}: {cmd[0]}: argument --no-verify: only for a snapshot"), err
    assert "scenario" in err


@pytest.mark.parametrize(("argv", "bound"), [
    (("why", BUG, "--event", "0"), "1..2^62"),
    (("why", BUG, "--path", "cpu[0].irr", "--at", "99999999999999999999"), "0..2^62"),
    (("run", BUG, "--max-events", "x"), "0..2^62"),
    (("export", BUG, "--perfetto", "t.pftrace", "--max-events", "-3"), "0..2^62"),
    (("run", BUG, "--seed", "-1"), "0..2^63-1"),
])
def test_range_errors_tell_a_readable_bound(argv: tuple[str, ...], bound: str) -> None:
    """Was '... expected an integer in 0..4611686018427387904': an internal cap as 19 digits."""
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert f"an integer in {bound})" in err or f"an integer in {bound} (" in err, err
    assert "4611686018427387904" not in err and "9223372036854775807" not in err


def test_readable_bound_keeps_small_numbers_and_names_huge_caps() -> None:
    from msidbg.guard import readable_bound

    assert [readable_bound(n) for n in (0, 255, 2**31, 2**32, 2**48, 2**62, 2**63 - 1, -(2**62), 10**12)] == \
        ["0", "255", "2147483648", "2^32", "2^48", "2^62", "2^63-1", "-2^62", "1000000000000"]
