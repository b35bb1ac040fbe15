"""Device mechanism: MSI-X PBA (entry and function mask) and its release on unmask, the MSI
per-vector pending bit, latching (latch-on-unmask, msi-latch-on-enable): which message is sent."""

from __future__ import annotations

from msidbg.model import hits
from msidbg.model.hw import IRQ_MOVE_CLEANUP_VECTOR
from tests.conftest import totals
from tests.mech_helpers import desc_of, engine, evs, finish, inject, is_, step, until

MSIX = """
name: pba
cpus: 2
devices:
  d0: {bdf: "00:03.0", msix: {table_size: 2}%s}
run:
%s
"""


# --- MSI-X: Pending Bit Array ----------------------------------------------------------------------
def test_masked_entry_sets_its_pba_bit_and_the_unmask_sends_one_message_with_the_current_pair() -> None:
    eng = engine(MSIX % ("", """  - {at: 0, on: 0, do: alloc_vectors, dev: d0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: d0, vector: 0, count: 3, every: 1us}
  - {at: 200us, on: 0, do: request_irq, dev: d0, vector: 0}"""))
    msix = eng.w["devices"]["d0"]["msix"]
    a = eng.w["acct"]["d0"]
    for n in (1, 2, 3):
        e = until(eng, is_("msi.held", "d0"))
        assert e.fields["why"] == "PBA: entry masked"
        assert msix["pba"] == [1, 0] and a["held"][0] == n
    assert not evs(eng, "msi.msg")
    e = until(eng, is_("msix.write", "d0", reg="ctrl", value=0))        # the unmask at startup
    assert msix["table"][0]["data"] == 0x21                              # programmed before it
    msg = step(eng)                                                      # the release comes first
    assert msg.kind == "msi.msg" and (msg.fields["addr"], msg.fields["data"]) == (0xFEE01000, 0x21)
    assert msg.time_ns == e.time_ns and msix["pba"] == [0, 0] and a["held"][0] == 0
    finish(eng)
    assert len(evs(eng, "msi.msg")) == 1
    assert [e.fields["signals"] for e in evs(eng, "irq.handler", "d0")] == [3]
    assert totals(eng, "d0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_function_mask_holds_every_entry_and_clearing_it_releases_each_once() -> None:
    eng = engine(MSIX % ("", """  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}
  - {at: 100us, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0xc000, size: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0, count: 2, every: 1us}
  - {at: 200us, do: fire, dev: d0, vector: 1}
  - {at: 300us, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0x8000, size: 2}"""))
    until(eng, is_("action.start", do="write"))
    for _ in range(3):
        assert until(eng, is_("msi.held", "d0")).fields["why"] == "PBA: function masked"
    assert eng.w["devices"]["d0"]["msix"]["pba"] == [1, 1]
    assert [e["ctrl"] for e in eng.w["devices"]["d0"]["msix"]["table"]] == [0, 0]   # entries unmasked
    finish(eng)
    msgs = [(e.fields["index"], e.time_ns) for e in evs(eng, "msi.msg")]
    assert sorted(i for i, _ in msgs) == [0, 1] and all(t >= 300_000 for _, t in msgs)
    assert sorted(e.fields["signals"] for e in evs(eng, "irq.handler", "d0")) == [1, 2]
    assert totals(eng, "d0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_disabling_msix_drops_what_sat_in_the_pba() -> None:
    eng = engine(MSIX % ("", """  - {at: 0, on: 0, do: alloc_vectors, dev: d0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: d0, vector: 0, count: 2, every: 1us}
  - {at: 200us, on: 0, do: free_vectors, dev: d0}"""))
    finish(eng)
    assert eng.w["devices"]["d0"]["msix"]["pba"] == [0, 0] and not evs(eng, "msi.msg")
    assert totals(eng, "d0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 0}
    assert any("were pending in the PBA when MSI-X was disabled" in h.detail for h in eng.hits)


# --- latching -----------------------------------------------------------------------------------------
def test_latch_on_unmask_captures_when_the_function_mask_or_enable_makes_the_entry_live() -> None:
    eng = engine(MSIX % (", quirks: [latch-on-unmask]", """
  - {at: 0, on: 0, do: write, dev: d0, target: config, offset: 4, value: 6, size: 2}
  - {at: 0, on: 0, do: write, dev: d0, target: msix-table, offset: 0, value: 0xfee01000}
  - {at: 0, on: 0, do: write, dev: d0, target: msix-table, offset: 8, value: 0x41}
  - {at: 0, on: 0, do: write, dev: d0, target: msix-table, offset: 12, value: 0}
  - {at: 0, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0xc000, size: 2}
  - {at: 10us, on: 0, do: write, dev: d0, target: msix-table, offset: 8, value: 0x42}
  - {at: 20us, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0x8000, size: 2}
  - {at: 30us, on: 0, do: write, dev: d0, target: msix-table, offset: 8, value: 0x43}
  - {at: 40us, do: fire, dev: d0, vector: 0}
  - {at: 50us, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0, size: 2}
  - {at: 60us, on: 0, do: write, dev: d0, target: config, offset: 0x72, value: 0x8000, size: 2}
  - {at: 70us, do: fire, dev: d0, vector: 0}"""))
    msix = eng.w["devices"]["d0"]["msix"]
    until(eng, is_("cfg.write", "d0", value=0xC000))
    assert msix["latched"][0] is None                  # enabled but function-masked: not live
    until(eng, is_("cfg.write", "d0", value=0x8000))
    assert msix["latched"][0] == [0xFEE01000, 0, 0x42]
    finish(eng)
    assert [e.fields["data"] for e in evs(eng, "msi.msg")] == [0x42, 0x43]   # 0x43 only after re-enable
    assert hits.MSIX_WRITE_UNMASKED in {h.name for h in eng.hits}


def test_latch_on_unmask_releases_a_held_signal_with_the_pair_latched_at_that_unmask() -> None:
    eng = engine(MSIX % (", quirks: [latch-on-unmask]", """  - {at: 0, on: 0, do: alloc_vectors, dev: d0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: d0, vector: 0}
  - {at: 200us, on: 0, do: request_irq, dev: d0, vector: 0}"""))
    finish(eng)
    msix = eng.w["devices"]["d0"]["msix"]
    assert msix["latched"][0] == [0xFEE01000, 0, 0x21]
    assert [(e.fields["addr"], e.fields["data"]) for e in evs(eng, "msi.msg")] == [(0xFEE01000, 0x21)]
    assert totals(eng, "d0")["delivered"] == 1


MSI = """
name: msi
cpus: 4
devices:
  x0: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: %s, addr64: true}%s}
run:
  - {at: 0, on: 0, do: probe, dev: x0, mode: msi, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: x0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: x0, vector: 0}
  - {at: 300us, do: fire, dev: x0, vector: 0}
"""


def test_msi_latch_on_enable_keeps_sending_the_enable_time_pair_after_a_move() -> None:
    """The move writes CPU2's pair (and rewrites Message Control with Enable still set, which
    must not re-latch); the device keeps using CPU1's. The old vector is still mapped -- the
    move never completes -- so the signal is still handled, on CPU1."""
    eng = engine(MSI % ("false", ", quirks: [msi-latch-on-enable]"))
    finish(eng)
    msi = eng.w["devices"]["x0"]["msi"]
    assert (msi["addr_lo"], msi["data"]) == (0xFEE02000, 0x21)
    assert msi["latched"] == [0xFEE01000, 0, 0x21]
    assert [(e.cpu, e.fields["addr"]) for e in evs(eng, "msi.msg")] == [(1, 0xFEE01000), (1, 0xFEE01000)]
    assert [e.cpu for e in evs(eng, "irq.handler", "x0")] == [1, 1]
    assert desc_of(eng, "x0")["move_in_progress"]
    assert not [e for e in evs(eng, "apic.ipi") if e.fields["vector"] == IRQ_MOVE_CLEANUP_VECTOR]
    assert totals(eng, "x0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


# --- MSI: per-vector mask and pending bit ----------------------------------------------------------------
def test_msi_pending_bit_holds_signals_during_a_masked_move_and_unmask_sends_the_new_pair_once() -> None:
    eng = engine(MSI % ("true", ""))
    msi = eng.w["devices"]["x0"]["msi"]
    until(eng, is_("msi.msg", "x0"))                                   # the interrupt that applies it
    until(eng, is_("cfg.write", "x0", offset=0x60, value=1))          # irq_move_irq masks first
    inject(eng, "x0")
    assert until(eng, is_("msi.held", "x0")).fields["why"] == "MSI pending bit: vector masked"
    inject(eng, "x0")
    until(eng, is_("msi.held", "x0"))
    assert msi["pending"] == 1 and eng.w["acct"]["x0"]["held"][0] == 2
    unmask = until(eng, is_("cfg.write", "x0", offset=0x60, value=0))
    assert (msi["addr_lo"], msi["data"]) == (0xFEE02000, 0x21)           # the move was written masked
    msg = step(eng)
    assert msg.kind == "msi.msg" and msg.time_ns == unmask.time_ns and msg.cpu == 2
    assert (msg.fields["addr"], msg.fields["data"]) == (0xFEE02000, 0x21) and msi["pending"] == 0
    finish(eng)
    assert len(evs(eng, "msi.msg")) == 3                                 # 200us, the release, 300us
    handled = [(e.cpu, e.fields["signals"]) for e in evs(eng, "irq.handler", "x0")]
    # the release reaches CPU2 while CPU1 is still in the irq (irq_move_irq under desc->lock, then the
    # action): IRQS_PENDING, mask_ack_irq (CPU2's mask write, the cleanup IPI, EOI); CPU1's
    # handle_edge_irq loop unmasks and handles the two held signals; 300us goes to CPU2
    assert handled == [(1, 1), (1, 2), (2, 1)]
    masks = [(e.cpu, e.fields["value"]) for e in evs(eng, "cfg.write", "x0") if e.fields["offset"] == 0x60]
    assert masks[-4:] == [(1, 1), (1, 0), (2, 1), (1, 0)]    # irq_move_irq; mask_ack_irq; the loop
    assert not desc_of(eng, "x0")["move_in_progress"]                    # the release completed it
    assert totals(eng, "x0") == {"raised": 4, "delivered": 4, "lost": 0, "spurious": 0}
    assert hits.MSI_TORN_MESSAGE not in {h.name for h in eng.hits}
