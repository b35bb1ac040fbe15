"""ux6: ``explore --save-failing`` never replaces a file that is not a snapshot."""

from __future__ import annotations

from pathlib import Path

from msidbg.explore import explore
from msidbg.explore.report import snapshot_name
from msidbg.explore.runner import Signature
from tests.conftest import SCENARIOS

TORN = str(SCENARIOS / "explore-msi-torn.yaml")


def test_save_failing_keeps_a_file_of_the_same_name_that_is_not_a_snapshot(tmp_path: Path) -> None:
    """``run --save`` and the TUI refuse to replace a file that is not a snapshot; explore wrote
    its snapshot over it (a note, a scenario someone named after the failure)."""
    first = explore(TORN, runs=40, jobs=1, save_failing=str(tmp_path))
    saved = Path(first["failures"][0]["snapshot"])
    saved.write_text("my notes on this failure\n")
    again = explore(TORN, runs=40, jobs=1, save_failing=str(tmp_path))
    assert saved.read_text() == "my notes on this failure\n"
    other = Path(again["failures"][0]["snapshot"])
    assert other != saved and other.name.endswith("-2.msgpack") and other.read_bytes()[:1] >= b"\x80"


def test_an_earlier_snapshot_is_replaced(tmp_path: Path) -> None:
    sig = Signature("msi-torn-message", "xhci", "msi.msg")
    path = Path(snapshot_name(str(tmp_path), "t", 1, sig))
    assert path.name == "t-1-msi-torn-message-xhci.msgpack"
    path.write_bytes(b"\x8f\xa6format\xafmsidbg-snapshot")   # a snapshot's head: replaced as before
    assert Path(snapshot_name(str(tmp_path), "t", 1, sig)) == path
