"""Red team 3: a device message on a system vector (a raw entry write; Linux never programs one).

x86 Linux dispatches the vectors it uses for itself to their system handlers, not through
``common_interrupt``'s ``vector_irq``: IRQ_MOVE_CLEANUP_VECTOR (0x20, before 6.6) runs the
moved-vector cleanup, LOCAL_TIMER_VECTOR (0xec) the local APIC timer interrupt. The device's
signal reaches no handler of its own: it is lost (and the arrival spurious for the device). The
model ran those handlers and dropped the signal's provenance: ``lost`` was counted by the end-of-run
arithmetic with no ``irq-lost`` hit and no cause, and on 6.6 a message on 0xec ran the vector
cleanup timer's work before its jiffy (a timer interrupt does not expire a timer early).
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

RAW = """
name: raw-system-vector
cpus: 2
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: {vector}}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize(("kernel", "vector"), [("5.10", "0x20"), ("6.6", "0xec")])
def test_a_device_message_on_a_system_vector_is_a_lost_and_spurious_signal(kernel: str, vector: str) -> None:
    eng = run_to_end(scenario(RAW.format(kernel=kernel, vector=vector)))
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}
    assert {"irq-lost", "irq-spurious"} <= hit_names(eng)
    assert any(f"vector {vector}, which runs" in h.detail for h in eng.hits)


EARLY = """
name: device-on-timer-vector
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 1100us, do: fire, dev: eth0, vector: 0}
  - {at: 1200us, do: fire, dev: eth0, vector: 0}
  - {at: 1300us, do: write, dev: eth0, target: msix-table, offset: 24, value: 0xec}
  - {at: 1400us, do: fire, dev: eth0, vector: 1}
"""


def test_a_device_message_on_the_timer_vector_does_not_run_the_cleanup_before_its_jiffy() -> None:
    """vector 0 moves CPU1 -> CPU0; the first interrupt on CPU0 (1.2 ms) arms CPU1's cleanup
    timer one jiffy (4 ms) out. Entry 1 (on CPU1) is rewritten to 0xec and fires at 1.4 ms: the
    old vector 0x20 on CPU1 is freed when the timer expires (5.2 ms), not then."""
    eng = run_to_end(scenario(EARLY))
    freed = [e for e in events_of(eng, "vector.free") if e.fields["vector"] == 0x20 and e.fields["target"] == 1]
    assert len(freed) == 1 and freed[0].time_ns > 5_200_000
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 2, "lost": 1, "spurious": 1}


LATCHED_SHUTDOWN = """
name: latched-shutdown-vector
cpus: 3
kernel: {version: "6.6"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, msi: {vectors: 1, per_vector_mask: true, addr64: true}, quirks: [msi-latch-on-enable]}
run:
  - {at: 0, do: probe, dev: dev0, mode: msi, vectors: 1}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 3, every: 10us}
"""


def test_a_device_that_latched_the_reservation_message_reaches_a_system_vector() -> None:
    """A maskable MSI can use reservation mode: msi_capability_init sets up the irq (message =
    MANAGED_IRQ_SHUTDOWN_VECTOR 0xef on the first online CPU) before it sets MSI Enable, so a
    device that latches its message on enable keeps 0xef whatever request_irq writes later. 0xef
    is above FIRST_SYSTEM_VECTOR: its own IDT entry (spurious_interrupt) runs, not
    common_interrupt, whose "No irq handler for vector" the detail quoted."""
    eng = run_to_end(scenario(LATCHED_SHUTDOWN))
    assert totals(eng, "dev0") == {"raised": 3, "delivered": 0, "lost": 3, "spurious": 3}
    details = {h.detail for h in eng.hits if h.name == "irq-spurious"}
    assert details == {"dev0 vector 0: hit CPU0 vector 0xef: a system vector (its own IDT entry runs, "
                       "not a device handler)"}
