"""``why`` and ``diff`` gaps left by whyheld11 and diffheld22, and held-out round 12 (tests/heldout_why12/,
PREDICTIONS.md written before ``why`` ran on any file).

Each test pins what main got wrong: the chain it printed or the value ``diff`` showed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files, render
from tests.why_helpers import ROOT, links, ran

HELD = Path(__file__).resolve().parent / "heldout_why12"
DIFF22 = ROOT / "tests" / "heldout_diff22"


def _run(name: str) -> Session:
    return ran(name, HELD)


# --- (7) diff's costs: the value each run uses --------------------------------------------------------------------
def test_a_cost_one_file_leaves_out_shows_the_default_value(tmp_path: Any) -> None:
    """A file without ``costs:`` runs with the default EOI cost (100 ns): diff showed ``-``. And a file that sets the
    default explicitly differs in nothing (main listed ``costs.eoi: A -, B 100``)."""
    src = (DIFF22 / "d19-freeirq-delayed.yaml").read_text()
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(src)
    b.write_text(src.replace("cpus: 2\n", "cpus: 2\ncosts: {eoi: 101}\n", 1))
    c.write_text(src.replace("cpus: 2\n", "cpus: 2\ncosts: {eoi: 100}\n", 1))
    r = diff_files(str(a), str(b))
    assert r.switches == {"costs.eoi": {"a": 100, "b": 101}}
    assert "    costs.eoi: A 100, B 101" in render(r)
    assert diff_files(str(a), str(c)).switches == {}
