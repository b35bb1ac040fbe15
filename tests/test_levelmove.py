"""Moving a level IO-APIC irq (docs/model-baremetal.md, "INTx": "Moves"; kernel/intx.py).

Without remapping the IO-APIC chip has no IRQ_MOVE_PCNTXT: irq_set_affinity leaves a pending move that the
next interrupt's ioapic_ack_level applies -- entry masked, local APIC EOI, Remote IRR checked, the vector
domain and the entry rewritten, unmasked. CPU offline moves the irq at once (migrate_one_irq) and fixup_irqs
forwards an interrupt in flight as an IPI, an edge whose EOI is ioapic_ack_level's eoi_ioapic_pin. Before
df4393424af3 (5.5) the move unmasked the entry of an irq the core had masked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from tests.conftest import run_to_end, scenario

SHARED = """
name: levelmove
cpus: {cpus}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
  eth1: {{bdf: "00:04.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 0, on: 0, do: probe, dev: eth1, mode: intx, vectors: 1}}
  - {{at: 1ms, do: fire, dev: eth1, vector: 0}}
"""


def _events(eng: Any, kind: str) -> list[Any]:
    return [e for e in (eng.log.event(i) for i in range(1, eng.cur + 1)) if e.kind == kind]


def _what(eng: Any, kind: str) -> list[str]:
    return [str(e.fields.get("what", e.fields.get("how"))) for e in _events(eng, kind)]


def _vec(eng: Any, dev: str) -> dict[str, int]:
    a = eng.w["acct"][dev]
    return {k: a[k][0] for k in ("raised", "delivered", "lost")}


def test_affinity_change_on_a_firing_shared_line_is_applied_at_its_next_interrupt() -> None:
    """set_affinity on eth0 (irq 16, on CPU1) is pending; the next interrupt -- eth1's, on CPU1 -- masks the
    entry, EOIs, moves the irq (vector domain, entry rewritten masked) and unmasks; the following ones arrive
    on CPU0, whose first sends CPU1 the old vector's cleanup. Nothing is lost."""
    eng = run_to_end(scenario(SHARED.format(cpus=2) + """
  - {at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 3ms, do: fire, dev: eth1, vector: 0, count: 3, every: 10us}
  - {at: 4ms, do: fire, dev: eth0, vector: 0}
"""))
    assert _what(eng, "irq.affinity")[-1] == "pending"
    rte = _what(eng, "ioapic.rte")
    i = rte.index("masked (a move is pending)")
    assert rte[i:i + 3] == ["masked (a move is pending)", "vector 0x20 -> CPU0", "unmasked (the move is done)"]
    accepts = [e.cpu for e in _events(eng, "apic.accept") if e.fields["irq"] == 16]
    assert accepts == [1, 1, 0, 0, 0]
    assert any("vector_schedule_cleanup: old vector 0x20 on CPU1" in w for w in _what(eng, "kernel"))
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    assert _vec(eng, "eth1") == {"raised": 4, "delivered": 4, "lost": 0}
    pin = eng.w["ioapic"][16]
    assert (pin["cpu"], pin["masked"], pin["remote_irr"]) == (0, False, False)
    assert not eng.w["irqs"][16]["move_pending"]


OFFLINE = SHARED + """
  - {{at: 2ms, on: 0, do: cpu_offline, cpu: 1}}
{inflight}  - {{at: 4ms, do: fire, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("inflight", [False, True])
def test_offline_of_the_cpu_holding_an_intx_irq(inflight: bool) -> None:
    """cpu_offline of CPU1 (irq 16's CPU): migrate_one_irq masks the entry, moves it to CPU2, unmasks. With
    eth1 signalling while CPU1 sits in stop_machine, its level interrupt is in CPU1's IRR with Remote IRR
    set: fixup_irqs forwards it to CPU2 as an IPI (an edge there) and marks CPU1's slot VECTOR_RETRIGGERED.
    At MULTI_STOP_EXIT CPU1 takes 0x20 and EOIs it; its TMR bit is set, so the local APIC broadcasts that
    EOI (apicleads: kernel.entry.unhandled-level-eoi) and entry 16 -- vector 0x20 on CPU2 too -- clears
    Remote IRR while eth1 still asserts: the IO-APIC sends again, a level message to CPU2 (in the handler of
    the forwarded one), whose TMR bit of 0x20 it sets. So CPU2's ioapic_ack_level broadcasts its EOI (no
    eoi_ioapic_pin), and CPU2 then takes the re-sent interrupt, which finds eth1 serviced: IRQ_NONE from
    both actions. eth0's later interrupt still arrives."""
    extra = "  - {at: 2000001ns, do: fire, dev: eth1, vector: 0}\n" if inflight else ""
    eng = run_to_end(scenario(OFFLINE.format(cpus=3, inflight=extra)))
    rte = _what(eng, "ioapic.rte")
    assert "vector 0x20 -> CPU2" in rte
    pin_eoi = [w for w in _what(eng, "kernel") if "eoi_ioapic_pin" in w]
    assert pin_eoi == []
    unhandled = [(e.cpu, e.fields["slot"]) for e in _events(eng, "irq.unhandled")]
    assert unhandled == ([(1, "RETRIGGERED")] if inflight else [])
    accepts = [e.cpu for e in _events(eng, "apic.accept") if e.fields["irq"] == 16]
    assert accepts == ([1, 2, 2, 2] if inflight else [1, 2])
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    assert _vec(eng, "eth1")["lost"] == 0 and _vec(eng, "eth1")["delivered"] == (2 if inflight else 1)
    assert not eng.w["ioapic"][16]["remote_irr"]


DISABLED = """
name: levelmove-disabled
kernel: {{version: "{version}"}}
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 1ms, on: 0, do: disable_irq, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 3100us, on: 1, do: enable_irq, dev: eth0, vector: 0}}
"""


@pytest.mark.parametrize("version, storm", [("5.4", True), ("4.19", True), ("5.5", False), ("5.4.7", False)])
def test_a_move_of_a_disabled_intx_irq_before_df4393424af3_unmasks_its_entry(version: str, storm: bool) -> None:
    """disable_irq (lazy), a pending move, then eth0 asserts: handle_fasteoi_irq masks the entry (disabled:
    IRQS_PENDING) and its ioapic_ack_level applies the move. Before df4393424af3 (5.5; 5.4.7) the move
    unmasks the entry while the core calls the irq masked, so the asserted line interrupts on CPU0 until
    enable_irq runs the handler; from it the entry stays masked and the one interrupt waits for enable_irq."""
    eng = run_to_end(scenario(DISABLED.format(version=version)))
    enable_at = next(e.time_ns for e in _events(eng, "irq.enable"))
    pending = [e for e in _events(eng, "irq.pending") if e.time_ns < enable_at]
    if storm:
        assert len(pending) > 100
        assert "unmasked (the move is done)" in _what(eng, "ioapic.rte")
    else:
        assert len(pending) == 1
        assert any("is masked in the core: its entry stays masked" in w for w in _what(eng, "kernel"))
    assert _vec(eng, "eth0") == {"raised": 1, "delivered": 1, "lost": 0}
    assert eng.w["behaviour"]["ioapic_move_keeps_masked"] is (not storm)


def test_why_reaches_the_set_affinity_through_the_deferred_move(tmp_path: Path) -> None:
    """The first interrupt on the new CPU is explained by the vector_irq slot ioapic_set_affinity filled
    under irq_move_masked_irq, and that by the pending move the set_affinity action recorded."""
    f = tmp_path / "lm.yaml"
    f.write_text(SHARED.format(cpus=2) + """
  - {at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 3ms, do: fire, dev: eth1, vector: 0, count: 2, every: 10us}
""")
    s = Session.from_scenario(str(f))
    s.run()
    first_cpu0 = next(e.index for e in s.events(1, s.total + 1)
                      if e.kind == "apic.accept" and e.cpu == 0 and e.fields["irq"] == 16)
    text = str(s.why(first_cpu0).as_dict())
    assert "irq_move_masked_irq" in text and "pending_mask" in text and "set_affinity eth0" in text
