"""Affinity moves as the kernel makes them: deferred to the next interrupt (irq_move_irq at ack on
the current target), the old vector kept until the cleanup IPI, -EBUSY retries, and CPU hotplug
(fixup_irqs / migrate_one_irq / irq_force_complete_move, cpu_up)."""

from __future__ import annotations

import pytest

from msidbg.model.hw import IRQ_MOVE_CLEANUP_VECTOR, VECTOR_RETRIGGERED, words_test
from msidbg.model.kernel import vector as vec
from msidbg.sim.scheduler import Engine
from tests.conftest import totals
from tests.mech_helpers import desc_of, engine, evs, finish, inject, is_, until

BASE = """
name: move
cpus: 4
%s
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 1}}
  n1: {bdf: "00:04.0", msix: {table_size: 1}}
  r0: {bdf: "00:05.0", msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 1}
%s
"""


def run(actions: str, head: str = "") -> Engine:
    return engine(BASE % (head, actions))


def cleanup_ipis(eng: Engine) -> list[tuple[int, int]]:
    """(from CPU, to CPU) of every IRQ_MOVE_CLEANUP_VECTOR IPI."""
    return [(e.cpu, e.fields["target"]) for e in evs(eng, "apic.ipi") if e.fields["vector"] == IRQ_MOVE_CLEANUP_VECTOR]


def alloc(eng: Engine, cpu: int, v: int) -> bool:
    return words_test(eng.w["cpus"][cpu]["alloc"], v)


# --- deferred moves ---------------------------------------------------------------------------------------
def test_set_affinity_records_the_move_and_the_next_ack_on_the_target_applies_it_masked() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}""")
    e = until(eng, is_("irq.affinity", "d0"))
    assert e.fields["how"] == "pending"
    until(eng, is_("action.done", do="set_affinity"))
    d = desc_of(eng, "d0")
    assert (d["move_pending"], d["pending_mask"], d["cpu"], d["affinity"]) == (True, [2], 1, [0, 1, 2, 3])
    assert not evs(eng, "msix.write", since=e.index) and len(evs(eng, "vector.assign")) == 1
    until(eng, is_("apic.accept", cpu=1))
    seq = []
    while not seq or seq[-1][0] != "irq.handler":
        e = until(eng, lambda e: e.cpu == 1)
        seq.append((e.kind, e.fields.get("reg") or e.fields.get("vector"), e.fields.get("value", e.fields.get("target"))))
    assert seq == [
        ("msix.write", "ctrl", 1),               # irq_move_irq: mask
        ("vector.assign", 0x21, 2),              # the new vector on CPU2, from CPU1's interrupt context
        ("msix.write", "addr_lo", 0xFEE02000),
        ("msix.write", "addr_hi", 0),
        ("msix.write", "data", 0x21),
        ("msix.write", "ctrl", 0),               # unmask
        ("apic.eoi", 0x21, None),                # then the EOI of the interrupt that carried it
        ("irq.handler", None, None),
    ]
    assert (d["move_pending"], d["pending_mask"], d["affinity"]) == (False, [], [2])


def test_the_old_vector_stays_allocated_and_mapped_until_the_cleanup_ipi_is_handled() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("irq.handler", "d0"))
    d = desc_of(eng, "d0")
    c1 = eng.w["cpus"][1]
    assert d["move_in_progress"] and (d["prev_vector"], d["prev_cpu"]) == (0x21, 1)
    assert alloc(eng, 1, 0x21) and c1["vector_irq"][0x21] == d["irq"]
    ipi = until(eng, is_("apic.ipi", vector=IRQ_MOVE_CLEANUP_VECTOR))
    assert (ipi.cpu, ipi.fields["target"]) == (2, 1)       # from the new CPU, at its first interrupt
    assert ipi.time_ns >= 300_000 and c1["cleanup"] == [d["irq"]] and alloc(eng, 1, 0x21)
    free = until(eng, is_("vector.free", cpu=1))
    assert free.fields["vector"] == 0x21
    assert not alloc(eng, 1, 0x21) and 0x21 not in c1["vector_irq"] and c1["cleanup"] == []
    assert (d["prev_vector"], d["move_in_progress"], d["cleanup_pending"]) == (0, False, False)
    finish(eng)
    assert cleanup_ipis(eng) == [(2, 1)]


def test_cleanup_waits_while_the_old_vector_is_pending_on_the_old_cpu() -> None:
    """A message still on its way to the old vector when the cleanup IPI is handled: the old
    vector is kept (self-IPI retry), the message reaches the irq's handler, then it is freed."""
    eng = run("""  - {at: 50us, on: 0, do: write, dev: r0, target: config, offset: 4, value: 6, size: 2}
  - {at: 50us, on: 0, do: write, dev: r0, target: msix-table, offset: 0, value: 0xfee01000}
  - {at: 50us, on: 0, do: write, dev: r0, target: msix-table, offset: 8, value: 0x21}
  - {at: 50us, on: 0, do: write, dev: r0, target: config, offset: 0x72, value: 0x8000, size: 2}
  - {at: 50us, on: 0, do: write, dev: r0, target: msix-table, offset: 12, value: 0}
  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("apic.accept", cpu=1, vector=IRQ_MOVE_CLEANUP_VECTOR))
    inject(eng, "r0")                                    # lands in CPU1's IRR at the old vector
    irq = desc_of(eng, "d0")["irq"]
    seq = []
    while len(seq) < 7:
        e = until(eng, lambda e: e.cpu == 1 and e.kind != "msi.msg")
        seq.append((e.kind, e.fields.get("vector"), e.fields.get("irq")))
        if len(seq) == 1:
            assert alloc(eng, 1, 0x21) and words_test(eng.w["cpus"][1]["irr"], IRQ_MOVE_CLEANUP_VECTOR)
    assert seq == [
        ("kernel", None, None),                          # nothing freed: 0x21 pending in IRR, retry (a note since whyfix2)
        ("apic.accept", 0x21, irq),                      # the old vector still reaches d0's irq
        # ... while CPU2 runs d0's action: IRQS_PENDING, mask_ack_irq (mask write, EOI); CPU2's
        # loop runs the action again for it (kernel/irq/chip.c handle_edge_irq, irq_may_run)
        ("kernel", None, None),
        ("msix.write", None, None),
        ("apic.eoi", 0x21, None),
        ("apic.accept", IRQ_MOVE_CLEANUP_VECTOR, -1),    # the retry
        ("vector.free", 0x21, -1),
    ]
    finish(eng)
    assert totals(eng, "r0") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}
    assert totals(eng, "d0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a_move_requested_while_the_cleanup_is_outstanding_waits_for_a_later_interrupt() -> None:
    eng = run("""  - {at: 20us, on: 0, do: probe, dev: n1, mode: msix, vectors: 1, affinity: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 250us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 3}
  - {at: 299us, do: fire, dev: n1, vector: 0}
  - {at: 300us, do: fire, dev: d0, vector: 0}
  - {at: 400us, do: fire, dev: d0, vector: 0}""", "costs: {handler: 20us}")
    # CPU1 is in n1's 20 us handler when CPU2 sends it the cleanup IPI for d0's old vector
    fail = until(eng, lambda e: e.kind == "kernel" and e.dev == "d0" and e.fields["value"] == -16)
    assert fail.cpu == 2 and fail.fields["prog"] == "msi_set_affinity"
    d = desc_of(eng, "d0")
    assert d["cleanup_pending"] and (d["vector"], d["cpu"]) == (0x21, 2)   # n1's stored affinity put it on CPU1
    until(eng, is_("apic.eoi", cpu=2))
    assert d["move_pending"] and d["pending_mask"] == [3]          # kept for the next interrupt
    freed = until(eng, is_("vector.free", cpu=1))
    assert freed.fields["vector"] == 0x21 and not d["cleanup_pending"]
    finish(eng)
    moves = [(e.cpu, e.fields["target"], e.time_ns >= 400_000) for e in evs(eng, "vector.assign", "d0")]
    assert moves == [(0, 1, False), (1, 2, False), (2, 3, True)]
    assert totals(eng, "d0")["delivered"] == 3


# --- CPU hotplug ------------------------------------------------------------------------------------------
def test_cpu_offline_migrates_masked_and_releases_the_old_vector_at_once() -> None:
    """remove_cpu_from_maps() takes the dying CPU out of cpu_online_mask before fixup_irqs, so
    apic_update_vector frees the old vector right away: no cleanup IPI to a dead CPU, no leak."""
    eng = run("""  - {at: 100us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 200us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("action.start", do="cpu_offline"))
    seq = []
    while not seq or seq[-1][1] != "cpu.offline":
        e = until(eng, lambda e: (e.cpu in (0, 1) and e.kind != "kernel") or e.fields.get("prog") == "fixup_irqs")
        seq.append((e.cpu, e.kind, e.fields.get("reg") or e.fields.get("vector"),
                    e.fields.get("value", e.fields.get("target"))))
    assert seq == [
        (1, "msix.write", "ctrl", 1),              # migrate_one_irq masks (on the dying CPU: take_cpu_down)
        (1, "vector.assign", 0x21, 2),
        (1, "msix.write", "addr_lo", 0xFEE02000),
        (1, "msix.write", "addr_hi", 0),
        (1, "msix.write", "data", 0x21),
        (1, "msix.write", "ctrl", 0),
        (1, "kernel", None, 1),                    # fixup_irqs: mdelay(1) before the IRR scan
        (0, "cpu.offline", None, 1),               # the control CPU, after take_cpu_down
    ]
    d = desc_of(eng, "d0")
    assert (d["vector"], d["cpu"], d["prev_vector"], d["move_in_progress"]) == (0x21, 2, 0, False)
    assert not alloc(eng, 1, 0x21)
    finish(eng)
    assert cleanup_ipis(eng) == []
    assert [e.cpu for e in evs(eng, "irq.handler", "d0")] == [2]


@pytest.mark.parametrize("remapped", [False, True], ids=["direct", "remapped"])
def test_a_cpu_that_comes_back_gets_its_vectors_back(remapped: bool) -> None:
    head = "platform: {kind: bare-metal, interrupt_remapping: true}" if remapped else ""
    eng = run("""  - {at: 100us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 1300us, on: 0, do: cpu_online, cpu: 1}
  - {at: 1400us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 1}
  - {at: 1500us, do: fire, dev: d0, vector: 0}
  - {at: 1600us, do: fire, dev: d0, vector: 0}""", head)
    finish(eng)
    assert [(e.fields["vector"], e.fields["target"]) for e in evs(eng, "vector.assign", "d0")] == [
        (0x21, 1), (0x21, 2), (0x21, 1)]                  # 0x21 on CPU1 again: nothing leaked
    assert vec.available(eng.w, eng.w["cpus"][1]) == vec.available(eng.w, eng.w["cpus"][3]) - 1
    # only the ordinary move back cleans up: at its first interrupt, or at once with remapping
    assert cleanup_ipis(eng) == [(0 if remapped else 1, 2)]
    assert [a["result"] for a in eng.w["actions"] if a["do"] == "set_affinity"] == [0]
    assert totals(eng, "d0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_offline_of_the_old_cpu_force_completes_a_move_in_progress() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 150us, do: fire, dev: d0, vector: 0}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("action.start", do="cpu_offline"))
    assert desc_of(eng, "d0")["move_in_progress"]
    free = until(eng, is_("vector.free", "d0"))
    assert (free.cpu, free.fields["vector"], free.fields["target"]) == (1, 0x21, 1)     # take_cpu_down, on CPU1
    d = desc_of(eng, "d0")
    assert (d["prev_vector"], d["move_in_progress"], d["cpu"]) == (0, False, 2)
    finish(eng)
    assert len(evs(eng, "vector.assign", "d0")) == 2 and cleanup_ipis(eng) == []
    assert totals(eng, "d0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_offline_of_the_cpu_an_irq_is_moving_to_completes_the_move_and_migrates_it() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 150us, do: fire, dev: d0, vector: 0}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 2}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("cpu.offline"))
    d = desc_of(eng, "d0")
    assert d["cpu"] != 2 and eng.w["cpus"][d["cpu"]]["online"] and not d["move_in_progress"]
    assert not [e for e in evs(eng, "kernel", "d0") if e.fields["value"] == -16]
    finish(eng)
    assert totals(eng, "d0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_offline_drops_a_pending_move_to_the_dying_cpu_only() -> None:
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 2}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("cpu.offline"))
    d = desc_of(eng, "d0")
    assert (d["move_pending"], d["pending_mask"], d["cpu"]) == (False, [], 1)
    finish(eng)
    # (dyingdrain: CPU1 goes on at MULTI_STOP_EXIT and takes the signal before the offline, not after it)
    accept = next(e for e in evs(eng, "apic.accept") if e.cpu == 1 and e.time_ns >= 300_000)
    assert not evs(eng, "msix.write", "d0", since=accept.index) and len(evs(eng, "vector.assign", "d0")) == 1


def test_migration_uses_a_pending_move_and_consumes_it() -> None:
    """irq_fixup_move_pending(desc, true): the pending mask is where the irq goes, and the move
    is no longer pending -- the next interrupt does not run irq_move_irq again."""
    eng = run("""  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 3}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 300us, do: fire, dev: d0, vector: 0}""")
    until(eng, is_("cpu.offline"))
    d = desc_of(eng, "d0")
    assert (d["cpu"], d["move_pending"]) == (3, False)
    finish(eng)
    accept = next(e for e in evs(eng, "apic.accept") if e.cpu == 3 and e.time_ns >= 300_000)   # (dyingdrain)
    between = [e.kind for e in evs(eng, "msix.write", since=accept.index) + evs(eng, "vector.assign", since=accept.index)]
    assert between == []


def test_a_signal_waiting_in_the_dying_cpus_irr_is_retriggered_to_the_new_target() -> None:
    eng = run("""  - {at: 100us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 100050ns, do: fire, dev: d0, vector: 0}
  - {at: 200us, on: 0, do: cpu_online, cpu: 1}""")
    msg = until(eng, is_("msi.msg", "d0"))
    c1 = eng.w["cpus"][1]
    # stop_machine: CPU1 spins, or runs take_cpu_down, with interrupts off
    assert msg.cpu == 1 and (c1["stopped"] is True or c1["proc"]["irqs_off"]) and c1["irr_src"][0x21] == [["d0", 0, 1]]
    # (dyingdrain) at take_cpu_down's end (MULTI_STOP_EXIT) the signal waits in the new target's IRR, the
    # slot is VECTOR_RETRIGGERED and its stale IRR bit is still set in CPU1's: CPU1 takes it in its window
    # (common_interrupt: EOI, the slot becomes VECTOR_UNUSED) and the new target takes the retriggered one
    until(eng, lambda e: e.kind == "kernel" and "MULTI_STOP_EXIT, CPU1" in str(e.fields.get("what")))
    d = desc_of(eng, "d0")
    c2 = eng.w["cpus"][d["cpu"]]
    assert c2["irr_src"][d["vector"]] == [["d0", 0, 1]] and words_test(c1["irr"], 0x21)
    assert c1["vector_irq"][0x21] == VECTOR_RETRIGGERED
    until(eng, is_("cpu.offline"))
    assert c1["irr"] == [0] * 8 and 0x21 not in c1["vector_irq"]
    until(eng, is_("cpu.online"))
    assert 0x21 not in c1["vector_irq"]                  # lapic_online resets vector_irq
    finish(eng)
    assert [e.cpu for e in evs(eng, "irq.handler", "d0")] == [d["cpu"]]
    assert totals(eng, "d0") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
