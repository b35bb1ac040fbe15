"""Red team Xen: which vCPU a guest's set_affinity_irq() rebinds an event channel to.

Linux drivers/xen/events: before "xen/events: Implement irq distribution" (row
``kernel.xen_affinity_target``, 5.11, 88f0a9d06644, unconfirmed) set_affinity_irq() took
``cpumask_first_and(dest, cpu_online_mask)``; from it ``select_target_cpu()`` takes the online CPU
of the mask with the fewest channels. request_irq() calls it through irq_setup_affinity() with
the default mask (every CPU) right after __startup_pirq() bound the channel to vCPU 0, so a 6.x
guest spreads a device's channels over its vCPUs and a 4.x guest keeps them all on vCPU 0.
Worked out from the posted patch before the run.
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

FOUR = """
name: four-vectors
cpus: 4
platform: {{kind: {kind}, xen: "4.16"}}
kernel: {{version: "{kernel}"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 4}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 3, count: 2, every: 10us}}
"""


def _vcpus(kernel: str, kind: str = "xen-hvm", extra: str = "") -> dict[int, int]:
    eng = run_to_end(scenario(FOUR.format(kernel=kernel, kind=kind, extra=extra)))
    assert totals(eng, "eth0")["delivered"] == 2
    return {ch["pirq"]: ch["vcpu"] for ch in eng.w["xen"]["ports"].values()}


@pytest.mark.parametrize("kind", ["xen-hvm", "xen-pv"])
def test_a_4x_guest_keeps_every_channel_on_vcpu0(kind: str) -> None:
    """4.19: cpumask_first_and(all CPUs, online) is CPU0 for each of the four. The model spread
    them over vCPUs 1, 2, 3, 0 as select_target_cpu() does."""
    assert _vcpus("4.19", kind) == {101: 0, 100: 0, 99: 0, 98: 0}


def test_a_6x_guest_spreads_the_channels_unless_the_switch_says_first() -> None:
    """6.1: each new channel is bound to vCPU 0 by __startup_pirq, then moved to the CPU with
    the fewest channels (strictly fewer wins, lowest id first): 1, 2, 3, then 0. The explicit
    switch wins over the version."""
    assert _vcpus("6.1") == {101: 1, 100: 2, 99: 3, 98: 0}
    assert _vcpus("6.1", extra=", xen_affinity_target: first") == {101: 0, 100: 0, 99: 0, 98: 0}


MOVE = """
name: move-then-fire
cpus: 2
platform: {{kind: xen-hvm, xen: "4.12"}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 20us}}
"""


@pytest.mark.parametrize(("kernel", "how", "cpus"), [("4.19", "pending", [0, 1, 1]), ("6.1", "direct", [1, 1, 1])])
def test_before_immediate_affinity_the_move_waits_for_the_next_interrupt(kernel: str, how: str,
                                                                         cpus: list[int]) -> None:
    """Before 1ca1b4e2c0cb (xen/events: Use immediate affinity setting) Xen's irqs had no
    IRQ_MOVE_PCNTXT: writing smp_affinity leaves a pending move, and the next interrupt -- still
    on vCPU 0 -- rebinds the channel in eoi_pirq (mask, clear, irq_move_masked_irq, unmask); the
    later ones reach vCPU 1. The model rebound at once in every release."""
    eng = run_to_end(scenario(MOVE.format(kernel=kernel)))
    assert [e.fields["how"] for e in events_of(eng, "irq.affinity")][-1] == how
    assert [e.cpu for e in events_of(eng, "irq.handler")] == cpus
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
