"""xen412: Xen 4.1.2's physdev_unmap_pirq fails for a pirq without an emuirq (``platform.xen_dm_unmap_needs_emuirq``,
reading ``xen.dm-unmap-needs-emuirq``; RELEASE-4.1.1 / 4.1.2 / 4.1.3 physdev.c, event_channel.c, irq.c).

0596edb27f (4.1.2-rc2) set the IRQ_PT emuirq at EVTCHNOP_bind_pirq instead of QEMU's map and cleared it at
EVTCHNOP_close; physdev_unmap_pirq still called unmap_domain_pirq_emuirq unconditionally and gave up on its -EINVAL
until 3237652624 (4.1.3). In x05's shape (tests/heldout_xen20: remove closes pirq 101's port, the re-probe's
bind of pirq 100 fails and qemu-traditional unmaps the entry's 101) 4.1.2's unmap answers -EINVAL and 101 keeps
its host irq; on 4.1.1 and 4.1.3 the unmap succeeds (101 force-unbound: QEMU forgot it while it was still bound).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.behaviour import resolve
from msidbg.debugger import Session
from msidbg.model import xen as X
from tests.conftest import run_past_breakpoints

DIR = Path(__file__).resolve().parent / "xen412"


def _run(release: str) -> Session:
    return run_past_breakpoints(DIR / f"x05-later-probe-x{release.replace('.', '')}.yaml")


def _events(s: Session, kind: str) -> list[dict[str, Any]]:
    return [dict(e.fields) for e in s.events(0, s.total) if e.kind == kind]


@pytest.mark.parametrize(("release", "value"), [("4.1", True), ("4.1.1", True), ("4.1.2", True),
                                                 ("4.1.3", False), ("4.2", False), ("4.19", False)])
def test_4_1_0_to_4_1_2_need_an_emuirq_to_unmap(release: str, value: bool) -> None:
    assert resolve("xen-hvm", kernel="3.10", xen=release).plain("xen-hvm")["xen_dm_unmap_needs_emuirq"] is value


def test_the_row_is_hvm_only() -> None:
    assert "xen_dm_unmap_needs_emuirq" not in resolve("xen-pv", kernel="3.10", xen="4.1.2").plain("xen-pv")


def test_4_1_2_unmap_of_a_closed_pirq_fails_and_the_pirq_stays_mapped() -> None:
    s = _run("4.1.2")
    assert _events(s, "qemu.unmap_pirq") == [{"entry": 0, "pirq": 101, "rc": -22}]
    x = s.eng.w.xen
    rec = x["pirqs"][101]
    assert rec["irq"] > 0 and not rec["emuirq"] and not rec["port"]
    assert x["irqs"][rec["irq"]]["pirq"] == 101          # the host irq (and its vector) was never freed
    assert X.state(rec) == "bound"
    assert X.get_free_pirq(x) == 98                      # 101 mapped, 100 the guest's, 99 n1's


@pytest.mark.parametrize("release", ["4.1.1", "4.1.3"])
def test_4_1_1_and_4_1_3_unmap_it(release: str) -> None:
    s = _run(release)
    assert _events(s, "qemu.unmap_pirq") == [{"entry": 0, "pirq": 101, "rc": 0}]
    x = s.eng.w.xen
    rec = x["pirqs"][101]
    assert rec["irq"] < 0 and X.state(rec) == "stale"   # force-unbound: QEMU never destroys that binding
    assert all(h["pirq"] != 101 for h in x["irqs"].values())


@pytest.mark.parametrize("release", ["4.1.1", "4.1.2", "4.1.3"])
def test_the_later_probe_gets_99_on_every_release(release: str) -> None:
    # 101 is not free on 4.1.1 / 4.1.3 either (force-unbound), so the leak does not move n1's pirq here
    x = _run(release).eng.w.xen
    assert x["pirqs"][99]["dev"] == "n1" and x["pirqs"][99]["irq"] > 0
