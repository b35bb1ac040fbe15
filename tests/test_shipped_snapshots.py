"""The shipped example snapshots verify, stop at a breakpoint, and are listed in their README."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.conftest import ROOT, load_script

SNAPSHOTS = ROOT / "snapshots"
FILES = sorted(SNAPSHOTS.glob("*.msgpack"))


def make_module():  # type: ignore[no-untyped-def]
    return load_script(SNAPSHOTS / "make.py", "snapshots_make")


def test_every_seed_bug_has_a_plan_and_the_2021_snapshot_exists() -> None:
    plans = make_module().PLANS
    assert set(plans) == {"msix-write-while-unmasked", "msi-torn-affinity-update", "marvell-nvme-msi-blocked",
                          "xen-hvm-msix-mask-late", "xen-pirq-reuse-nvme"}
    assert (SNAPSHOTS / "msix-write-while-unmasked.msgpack") in FILES
    for name in plans:
        if (ROOT / "scenarios" / f"{name}.yaml").exists():
            assert (SNAPSHOTS / f"{name}.msgpack").exists(), f"run python snapshots/make.py for {name}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_shipped_snapshot_verifies_at_its_breakpoint(path: Path) -> None:
    s = Session.open(str(path))  # a DivergenceError here means: run python snapshots/make.py
    stop = s.last_stop
    assert stop.reason == "breakpoint" and stop.event == s.cursor and stop.bp_id is not None
    assert s.bookmarks and all(b.note for b in s.bookmarks)
    assert stop.event in {b.event for b in s.bookmarks}
    # the breakpoint really fires there: arrive from just before, and (unless it is the run's
    # last event, like the end-of-run irq-lost) come back from just after
    for b in s.breakpoints:
        if b.id != stop.bp_id:
            s.remove_breakpoint(b.id)
    s.seek(stop.event - 1)
    fwd = s.continue_()
    assert (fwd.event, fwd.breakpoint) == (stop.event, stop.breakpoint)
    if stop.event < s.total:
        s.seek(stop.event + 1)
        back = s.reverse_continue()
        assert (back.event, back.breakpoint) == (stop.event, stop.breakpoint)
    readme = (SNAPSHOTS / "README.md").read_text()
    assert f"| `{path.name}` | `{stop.breakpoint}` at event {stop.event} |" in readme
