"""xenred18: held-out scenarios on the Xen side only (tests/heldout_xen18/*.yaml). Each was predicted from the
upstream source at its releases before msidbg ran it (tests/heldout_xen18/PREDICTIONS.md: the prediction, the
source, msidbg's answer, the verdict); the file's ``expect:`` is that prediction. The tests below also pin the
mechanism behind the outcome where ``expect:`` cannot say it: which pirq get_free_pirq hands out (top-down from
nr_pirqs - 1 = 101, PIRQ_ALLOCATED kept after a failed HVM setup, freed by dom0's teardown on PV), how many
PHYSDEVOP_eoi a guest makes with and without a pirq_eoi_map (Xen 4.1.2 / 4.1.3, ACKTYPE_NONE / ACKTYPE_EOI),
and which event channel ABI a kernel / Xen pair uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.headless import check
from msidbg.scenario import load_scenario

DIR = Path(__file__).resolve().parent / "heldout_xen18"
HELD = sorted(DIR.glob("*.yaml"))


def _run(stem: str) -> Session:
    s = Session.from_scenario(str(DIR / f"{stem}.yaml"))
    for _ in range(200):
        if s.continue_().reason != "breakpoint":
            break
    return s


def _pirqs(s: Session) -> dict[int, dict[str, Any]]:
    return {p["pirq"]: p for p in s.summary()["pirqs"]["xen"]}


def _hypercalls(s: Session, op: str) -> list[dict[str, Any]]:
    return [dict(e.fields) for e in s.events(0, s.total) if e.kind == "xen.hypercall" and e.fields.get("op") == op]


def test_there_are_held_out_scenarios() -> None:
    assert len(HELD) >= 40


@pytest.mark.parametrize("path", HELD, ids=[p.stem for p in HELD])
def test_held_out_xen_scenario_matches_its_source_reading(path: Path) -> None:
    assert check(load_scenario(str(path))) == []


def test_get_free_pirq_is_top_down_in_probe_order() -> None:
    # irq.c get_free_pirq: from nr_pirqs - 1 down; each xen_hvm_setup_msi_irqs descriptor asks in entry order
    p = _pirqs(_run("xs01-pirq-order-3nics-x48-k414"))
    assert {n: (p[n]["dev"], p[n]["entry"]) for n in p} == {
        101: ("n0", 0), 100: ("n0", 1), 99: ("n1", 0), 98: ("n1", 1), 97: ("n1", 2), 96: ("n2", 0)}


def test_hvm_failed_setup_leaves_its_pirqs_allocated() -> None:
    # 32 MSI pirqs (101..70); b's 13th get_free_pirq fails: -ENODEV, its 12 pirqs stay PIRQ_ALLOCATED (an HVM
    # guest's xen_teardown_msi_irqs unmaps nothing); c then finds none
    p = _pirqs(_run("xs02-pirq-exhaust-x48-k414"))
    assert sorted(n for n in p if p[n]["state"] == "allocated") == list(range(70, 82))
    assert sorted(n for n in p if p[n]["dev"] == "a") == list(range(82, 102))


def test_pv_failed_setup_is_unmapped_by_dom0() -> None:
    # PV: dom0's failed pci_enable_msix tears down what it mapped for the domU (PHYSDEVOP_unmap_pirq): c gets 81
    p = _pirqs(_run("xs42-pv-pirq-exhaust-x48-k414"))
    assert p[81]["dev"] == "c" and p[81]["state"] == "bound"
    assert not [n for n in p if p[n]["state"] == "allocated"]


def test_instrumented_get_free_pirq_drains_the_pool() -> None:
    s = _run("xs43-hvm-getfree-drain-x48-k414")
    rets = [h["ret"] for h in _hypercalls(s, "PHYSDEVOP_get_free_pirq")]
    assert rets[:31] == list(range(101, 70, -1))
    assert rets[31] == 70 and rets[32] < 0


@pytest.mark.parametrize("stem, eois", [
    ("xs10-pv-msix-x412-k310", 10),      # no v2 map: needs_eoi for every pirq; 2 startups + 8 interrupts
    ("xs11-pv-msix-x413-k310", 0),       # map: a maskable MSI-X pirq is ACKTYPE_NONE, its bit clear
    ("xs12-pv-msi-nomask-x48-k419", 7),  # map: an MSI without PVM is ACKTYPE_EOI; 1 startup + 6
    ("xs17-pv-intx-shared-x419-k66", 9),  # level GSI: 1 startup (one irq, two actions) + 8
])
def test_pv_eoi_hypercalls_follow_the_pirq_eoi_map(stem: str, eois: int) -> None:
    assert len(_hypercalls(_run(stem), "PHYSDEVOP_eoi")) == eois


@pytest.mark.parametrize("stem", ["xs22-hvm-evtchn-close-x46-k49", "xs23-hvm-unmap-self-x47-k414",
                                  "xs33-pv-unmap-self-x410-k419"])
def test_a_closed_or_unmapped_pirq_is_not_free_again(stem: str) -> None:
    s = _run(stem)
    assert [h["ret"] for h in _hypercalls(s, "PHYSDEVOP_get_free_pirq")][-1] == 100


@pytest.mark.parametrize("stem, abi", [
    ("xs13-hvm-2l-k310-x48", "2l"), ("xs10-pv-msix-x412-k310", "2l"), ("xs07-masklate-x431-k51530", "2l"),
    ("xs34-hvm-x40-native-migrate-k49", "2l"), ("xs09-masklate-x46-k51530", "fifo"),
])
def test_event_channel_abi_of_the_pair(stem: str, abi: str) -> None:
    assert _run(stem).summary()["pirqs"]["evtchn"]["abi"] == abi
