"""leads22: bare-metal leads left by the previous session's lanes.

(1) A message on ISA_IRQ_VECTOR(2) (0x32) finds irq 2's descriptor -- the PIC cascade, i8259A chip,
handle_level_irq, no action -- in every CPU's vector_irq (init_IRQ / setup_vector_irq / lapic_online),
not VECTOR_UNUSED: mask_and_ack_8259A's spurious 8259A report (once per boot), irq_err_count++, IRQS_PENDING
and no local APIC EOI, so 0x32 stays in service and holds back the vectors of its class and below
(reading kernel.entry.pic-cascade). The model printed "No irq handler for vector" and EOI'd.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

CASCADE = """
name: cascade-vector
cpus: 2
kernel: {{version: "{kernel}"}}
{platform}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x32}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
"""


def _notes(eng: object) -> list[str]:
    return [e.fields["what"] for e in events_of(eng, "kernel")]


@pytest.mark.parametrize(("kernel", "platform"), [("5.10", ""), ("6.6", ""),
                                                  ("4.9", "platform: {apic_routing: physical flat}")])
def test_a_message_on_the_cascade_vector_runs_irq2s_level_handler_and_is_never_eoid(kernel: str, platform: str) -> None:
    eng = run_to_end(scenario(CASCADE.format(kernel=kernel, platform=platform)))
    w = eng.w
    notes = _notes(eng)
    # the first arrival is irq 2's (spurious for the device); the second waits in IRR behind the 0x32 in
    # service (same priority class): never accepted, lost at the end, not spurious
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 1}
    assert {"irq-spurious", "irq-lost"} <= hit_names(eng)
    assert notes.count("spurious 8259A interrupt: IRQ2.") == 1
    assert not events_of(eng, "irq.unhandled")          # no "No irq handler for vector", no EOI there
    assert w.kernel["irq_err_count"] == 1
    cpu = next(c for c in w.cpus if c.isr[0x32 >> 5] >> (0x32 & 31) & 1)
    assert cpu.irr[0x32 >> 5] >> (0x32 & 31) & 1        # the second message, held back
    assert all(c.vector_irq.get(0x32) == "CASCADE" for c in w.cpus)


HELD_BACK = """
name: cascade-holds-back
cpus: 2
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x32}
  - {at: 2ms, do: fire, dev: eth0, vector: 0}
  - {at: 3ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x21}
  - {at: 4ms, do: fire, dev: eth0, vector: 0}
  - {at: 5ms, do: cpu_offline, cpu: 1}
  - {at: 6ms, do: cpu_online, cpu: 1}
"""


def test_the_cascade_vector_in_service_holds_back_a_lower_class_device_vector() -> None:
    """eth0's irq is 0x21 on CPU1 (the matrix's first MSI); with 0x32 stuck in service there, the
    entry's own vector (class 2) waits in IRR until CPU1 goes down, whose fixup_irqs retriggers it to the
    irq's new CPU (main delivered it at once, after EOIing the 0x32 hit). A CPU brought back online maps
    0x32 to irq 2 again (lapic_online)."""
    eng = run_to_end(scenario(HELD_BACK))
    assert totals(eng, "eth0")["delivered"] == 1
    handled = events_of(eng, "irq.handler")
    assert len(handled) == 1 and handled[0].time_ns > 5_000_000 and handled[0].cpu == 0
    assert eng.w.cpus[1].vector_irq.get(0x32) == "CASCADE"


TWICE = """
name: free-irq-twice
cpus: 2
kernel: {{version: "{kernel}"}}
{platform}
devices:
  eth0: {{bdf: "00:05.0", kind: nic, msix: {{table_size: 4}}}}
breakpoints: [probe-failed]
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: free_irq, dev: eth0, vector: 0}}
  - {{at: 2ms, do: free_irq, dev: eth0, vector: 0}}
  - {{at: 3ms, do: request_irq, dev: eth0, vector: 0}}
  - {{at: 4ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize(("kernel", "platform"), [("6.6", ""), ("4.14", "platform: {apic_routing: physical flat}")])
def test_a_second_free_irq_warns_and_returns_no_error(kernel: str, platform: str) -> None:
    """(2) __free_irq's WARN "Trying to free already-free IRQ %d" and NULL; free_irq hands the driver no
    error code (reading kernel.free-irq.already-free). The model returned -EINVAL: the action failed,
    the device's probe status became "failed: EINVAL" and probe-failed fired."""
    eng = run_to_end(scenario(TWICE.format(kernel=kernel, platform=platform)))
    done = [e for e in events_of(eng, "action.done") if e.fields["do"] == "free_irq"]
    assert [e.fields["result"] for e in done] == [0, 0]
    assert "probe-failed" not in hit_names(eng)
    assert eng.w.kernel["pci"]["eth0"]["status"] == "ok"
    irq = next(e.fields["irq"] for e in events_of(eng, "irq.free"))
    assert _notes(eng).count(f"WARN: Trying to free already-free IRQ {irq}") == 1
    assert len(events_of(eng, "irq.free")) == 1
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


EARLY_FAULT = """
name: activate-fault-at-allocation
cpus: 2
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:05.0", kind: nic, msix: {{table_size: 4}}}}
faults:
  - {{call: irq_domain_activate_irq, dev: eth0, errno: ENOSPC, times: 1}}
run:
  - {{at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, do: alloc_vectors, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: request_irq, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("kernel", ["6.6", "5.10"])
def test_an_activation_fault_fires_at_allocation_where_msi_init_virq_activates(kernel: str) -> None:
    """(3) With MSI_FLAG_ACTIVATE_EARLY the first irq_domain_activate_irq of an MSI-X irq is at allocation
    (msi_init_virq from 6.2, __msi_domain_alloc_irqs' activation loop before): the fault fails the first
    pci_alloc_irq_vectors (-ENOSPC, its irqs freed again), the second allocation and request_irq succeed.
    The model activated inline at allocation, so the fault fired at request_irq instead."""
    eng = run_to_end(scenario(EARLY_FAULT.format(kernel=kernel)))
    done = [(e.fields["do"], e.fields["result"]) for e in events_of(eng, "action.done")]
    assert done[:3] == [("alloc_vectors", -28), ("alloc_vectors", 2), ("request_irq", 0)]
    released = events_of(eng, "irq.release")
    assert released and all(e.time_ns < 1_000_000 for e in released)
    assert totals(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}


def test_fixup_irqs_empties_the_dying_cpus_cascade_slot(tmp_path: Path) -> None:
    """fixup_irqs' last loop sets every slot it did not retrigger to VECTOR_UNUSED, irq 2's too (the
    XT-PIC chip has no irq_retrigger): in the dying CPU's window after MULTI_STOP_EXIT a 0x32 is 'No irq
    handler for vector'."""
    path = tmp_path / "held.yaml"
    path.write_text(HELD_BACK)
    s = Session.from_scenario(str(path))
    s.continue_()
    offline = next(e for e in s.events(0, s.total) if e.kind == "cpu.offline")
    s.seek(offline.index - 1)
    assert 0x32 not in s.world["cpus"][1]["vector_irq"]
    assert s.world["cpus"][0]["vector_irq"][0x32] == "CASCADE"
