"""Release boundaries audit14 settled in release trees and stable-queue series (the notes in
msidbg/behaviour/kernel.py): the two that moved a version's behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import behaviour as bh
from tests.conftest import events_of, run_to_end, scenario, totals

HELD = Path(__file__).parent / "heldout"


def _value(name: str, version: str) -> object:
    row = bh.by_name()[name]
    return bh.at(row, bh.parse_kernel(version))[0]


@pytest.mark.parametrize(("name", "before", "after", "old", "new"), [
    # 743dac494d61: stable-queue releases/5.3.4/series (the 344-patch release), not 5.3.3
    ("affinity_broken_warning", "5.3.3", "5.3.4", False, True),
    # a6c11c0a5235: stable-queue releases/6.6.33/series
    ("hotplug_force_complete", "6.6.32", "6.6.33", "migrated", "involved"),
    # a6c11c0a5235 in 6.1.y: 6.1.119, 6.1.141 and 6.1.158 trees carry it; 6.1.93 (audit15: its -rc2 revlist)
    ("hotplug_force_complete", "6.1.92", "6.1.119", "migrated", "involved"),
])
def test_the_stable_releases_read_by_audit14(name: str, before: str, after: str, old: object,
                                             new: object) -> None:
    assert (_value(name, before), _value(name, after)) == (old, new)


def test_6_6_33_frees_the_vector_of_a_move_away_from_the_outgoing_cpu() -> None:
    """h14's machine (eth0 moves CPU4 -> CPU6, CPU4 goes offline before the move completes) on 6.6.32 and
    6.6.33: the backport of a6c11c0a5235 in 6.6.33 runs irq_force_complete_move for an irq whose previous
    target is the dying CPU, freeing the old vector in CPU4's matrix map; 6.6.32 leaks it."""
    text = (HELD / "h14-forcecomplete-6p9.yaml").read_text()
    alloc = {}
    for version in ("6.6.32", "6.6.33"):
        eng = run_to_end(scenario(text.replace('version: "6.9"', f'version: "{version}"')))
        alloc[version] = eng.w.cpus[4].alloc[1]        # the word of vector 0x20
    assert alloc == {"6.6.32": 1, "6.6.33": 0}


ENABLE = """
name: enable-pirq
cpus: 1
platform: {kind: KIND, xen: "4.8"}
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 1}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 2ms, do: disable_irq, dev: eth0, vector: 0}
  - {at: 2100us, do: fire, dev: eth0, vector: 0, count: 1}
  - {at: 3ms, do: enable_irq, dev: eth0, vector: 0}
  - {at: 4ms, do: fire, dev: eth0, vector: 0, count: 1}
"""


@pytest.mark.parametrize("kind", ["xen-hvm", "xen-pv"])
def test_enable_irq_of_a_pirq_drops_the_event_pending_while_disabled_before_4_13(kind: str) -> None:
    """disable_irq masks the pirq's port; the event fired meanwhile leaves it pending. enable_irq: 4.12's
    enable_pirq is startup_pirq -- unmask_evtchn (the upcall is signalled), then eoi_pirq's clear_evtchn
    before the upcall runs: the event is lost and the upcall finds nothing; 4.13's enable_dynirq only
    unmasks and the handler runs for it. The event after enable_irq is delivered in both."""
    out = {}
    for version in ("4.12", "4.13"):
        eng = run_to_end(scenario(ENABLE.replace("KIND", kind).replace("VERSION", version)))
        handled = [e.time_ns for e in events_of(eng, "irq.handler")]
        out[version] = (totals(eng, "eth0")["delivered"], totals(eng, "eth0")["lost"],
                        sum(1 for t in handled if 3_000_000 <= t < 4_000_000))
    assert out == {"4.12": (1, 1, 0), "4.13": (2, 0, 1)}


def test_6_1_y_carries_a6c11c0a5235_from_6_1_93() -> None:
    """The first 6.1 release is 6.1.93 (audit14's reading, confirmed by audit15 in the 6.1.93-rc2 revlist):
    the preset applies it from 6.1.93 and flags no 6.1 release."""
    def flagged(kernel: str) -> str:
        return next(r.unconfirmed for r in bh.resolve("bare-metal", kernel=kernel).rows
                    if r.name == "hotplug_force_complete")
    assert (_value("hotplug_force_complete", "6.1.92"), _value("hotplug_force_complete", "6.1.93")) == (
        "migrated", "involved")
    assert flagged("6.1.93") == flagged("6.6.33") == flagged("6.1.92") == ""


def test_startup_pirq_of_enable_irq_runs_under_desc_lock() -> None:
    """enable_irq on vCPU1 of a pirq bound to vCPU0: startup_pirq's unmask kicks vCPU0, which takes the upcall
    at its next VM entry (vcpu_kick, vmx_intr_assist; reading xen.evtchn.remote-kick, revision 17), after vCPU1's
    next step. On 4.12 that step is eoi_pirq's clear: the event is lost and vCPU0's upcall finds no port. On 4.13
    enable_irq holds desc->lock across __enable_irq (irq_get_desc_buslock; kernsmall, revision 11) and
    enable_dynirq's unmask leaves the event pending: vCPU0 handles it once it runs, nothing is lost. In neither
    does vCPU0 spin on the lock in the ordered run (before revision 17 it took the upcall at the hypercall)."""
    text = ENABLE.replace("KIND", "xen-pv").replace("cpus: 1", "cpus: 2").replace(
        "{at: 2ms, do: disable_irq", "{at: 2ms, on: 1, do: disable_irq").replace(
        "{at: 3ms, do: enable_irq", "{at: 3ms, on: 1, do: enable_irq")
    spins = {}
    for version in ("4.12", "4.13"):
        eng = run_to_end(scenario(text.replace("VERSION", version)))
        spins[version] = [e.cpu for e in events_of(eng, "kernel")
                          if "CPU1 is in enable_irq of irq" in str(e.fields["what"])]
        assert totals(eng, "eth0")["lost"] == (1 if version == "4.12" else 0)
    # xen29: the unmask's kick reaches vCPU0 at its next return to guest mode (reading xen.evtchn.remote-kick),
    # after enable_irq has cleared (4.12) and released desc->lock: vCPU0 no longer spins in the ordered run
    assert spins == {"4.12": [], "4.13": []}
