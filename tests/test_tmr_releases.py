"""788019eb559f (genirq: Retain disable depth for managed interrupts across CPU hotplug, 6.16) in the
stable series it was offered to: the AUTOSEL copy was dropped from all stable queues and no 6.6.y, 6.12.y
or 6.15.y release checked carries it (the note on ``kernel.managed_disable_depth`` in
msidbg/behaviour/kernel.py names the series files and the stable-list thread)."""

from __future__ import annotations

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, run_to_end, scenario
from tests.test_redteam8 import MANAGED_DISABLED


def _row() -> bh.Switch:
    return bh.by_name()["managed_disable_depth"]


# the last release of each series whose stable-queue series (or stored patches) was read, and the mainline boundary
@pytest.mark.parametrize(("version", "value"), [
    ("6.6.94", False), ("6.12.34", False), ("6.15.4", False), ("6.15.11", False), ("6.16", True),
])
def test_managed_disable_depth_per_series(version: str, value: bool) -> None:
    v = bh.parse_kernel(version)
    assert bh.at(_row(), v)[0] is value
    assert bh.uncertain(_row(), v) == ""        # a settled reading, either way: no 'unconfirmed' flag


def test_the_change_records_that_it_was_not_backported() -> None:
    """The Change keeps no backports, and says why: the drop and the series files read."""
    (change,) = _row().history
    assert (change.release, change.backports, change.unconfirmed) == ("6.16", (), ())
    for evidence in ("dropped", "releases/6.15.4", "releases/6.12.34", "releases/6.6.94", "2b32fc8ff08d"):
        assert evidence in change.note


@pytest.mark.parametrize(("version", "warn"), [("6.6.94", True), ("6.12.34", True), ("6.15.4", True),
                                             ("6.16", False)])
def test_stable_releases_warn_unbalanced_enable(version: str, warn: bool) -> None:
    """redteam8's machine (a managed irq disabled by its driver, its CPU offline and back, a signal, then
    enable_irq) on the last stable releases read: irq_startup at the return resets the depth and enable_irq
    WARNs 'Unbalanced enable' -- as 6.15; 6.16's irq_startup_managed keeps the depth."""
    eng = run_to_end(scenario(MANAGED_DISABLED.replace("VERSION", version)))
    hows = [e.fields["how"] for e in events_of(eng, "irq.enable")]
    assert len(hows) == 1 and ("Unbalanced" in hows[0]) is warn
