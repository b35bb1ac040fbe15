"""Unit tests for the mechanisms the seed bugs hinge on: latching, pending bits, deferred moves,
each step of 6f1a4891a592's update, CPU online."""

from __future__ import annotations

from typing import Any

from msidbg.model import new_engine
from msidbg.model.hw import IRQ_MOVE_CLEANUP_VECTOR, VECTOR_CLEANUP, VECTOR_RETRIGGERED, words_test
from msidbg.model.kernel.vector import dest_apic
from tests.conftest import events_of, run_to_end, scenario, shipped, totals
from tests.mech_helpers import MECH_ERA, pin


def run(text: str):  # type: ignore[no-untyped-def]
    return run_to_end(scenario(pin(text, **MECH_ERA)))


def xhci_msi(events: str, pvm: str = "false", quirks: str = "[]") -> str:
    return f"""
name: m
cpus: 4
devices:
  d0: {{bdf: "00:03.0", msi: {{vectors: 1, per_vector_mask: {pvm}, addr64: true}}, quirks: {quirks}}}
run:
  - {{at: 0, do: write, dev: d0, target: config, offset: 4, value: 6, size: 2}}   # Memory Space, Bus Master
{events}"""


# --- device: latching ---------------------------------------------------------------------------------
LIVE_REWRITE = """
name: latch
cpus: 2
devices:
  n0: {{bdf: "00:03.0", msix: {{table_size: 1}}, quirks: [{quirks}]}}
run:
  - {{at: 0, do: write, dev: n0, target: config, offset: 4, value: 6, size: 2}}   # Memory Space, Bus Master
  - {{at: 0, do: write, dev: n0, target: msix-table, offset: 0, value: 0xfee01000}}
  - {{at: 0, do: write, dev: n0, target: msix-table, offset: 8, value: 0x41}}
  - {{at: 0, do: write, dev: n0, target: config, offset: 0x72, value: 0x8000, size: 2}}
  - {{at: 0, do: write, dev: n0, target: msix-table, offset: 12, value: 0}}
  - {{at: 10us, do: write, dev: n0, target: msix-table, offset: 8, value: 0x42}}
  - {{at: 20us, do: fire, dev: n0, vector: 0}}
  - {{at: 30us, do: write, dev: n0, target: msix-table, offset: 12, value: 1}}
  - {{at: 31us, do: write, dev: n0, target: msix-table, offset: 12, value: 0}}
  - {{at: 40us, do: fire, dev: n0, vector: 0}}
"""


def test_latch_on_unmask_keeps_the_message_captured_when_the_entry_went_live() -> None:
    eng = run(LIVE_REWRITE.format(quirks="latch-on-unmask"))
    data = [e.fields["data"] for e in events_of(eng, "msi.msg")]
    assert data == [0x41, 0x42]          # the live rewrite is ignored until mask + unmask
    assert eng.w["devices"]["n0"]["msix"]["latched"][0] == [0xFEE01000, 0, 0x42]


def test_a_device_without_the_quirk_uses_the_live_registers() -> None:
    eng = run(LIVE_REWRITE.format(quirks=""))
    assert [e.fields["data"] for e in events_of(eng, "msi.msg")] == [0x42, 0x42]


def test_msi_latch_on_enable_ignores_writes_until_msi_is_enabled_again() -> None:
    eng = run(xhci_msi("""
  - {at: 0, do: write, dev: d0, target: config, offset: 0x54, value: 0xfee01000}
  - {at: 0, do: write, dev: d0, target: config, offset: 0x5c, value: 0x41, size: 2}
  - {at: 0, do: write, dev: d0, target: config, offset: 0x52, value: 0x81, size: 2}
  - {at: 10us, do: write, dev: d0, target: config, offset: 0x5c, value: 0x42, size: 2}
  - {at: 20us, do: fire, dev: d0, vector: 0}
  - {at: 30us, do: write, dev: d0, target: config, offset: 0x52, value: 0x80, size: 2}
  - {at: 31us, do: write, dev: d0, target: config, offset: 0x52, value: 0x81, size: 2}
  - {at: 40us, do: fire, dev: d0, vector: 0}
""", quirks="[msi-latch-on-enable]"))
    assert [e.fields["data"] for e in events_of(eng, "msi.msg")] == [0x41, 0x42]


# --- device: MSI per-vector mask and pending bit ---------------------------------------------------------
def test_msi_pending_bit_holds_a_masked_signal_and_releases_it_once_on_unmask() -> None:
    eng = run(xhci_msi("""
  - {at: 0, do: write, dev: d0, target: config, offset: 0x54, value: 0xfee01000}
  - {at: 0, do: write, dev: d0, target: config, offset: 0x5c, value: 0x41, size: 2}
  - {at: 0, do: write, dev: d0, target: config, offset: 0x60, value: 1}
  - {at: 0, do: write, dev: d0, target: config, offset: 0x52, value: 0x81, size: 2}
  - {at: 10us, do: fire, dev: d0, vector: 0, count: 3, every: 1us}
  - {at: 20us, do: write, dev: d0, target: config, offset: 0x5c, value: 0x43, size: 2}
  - {at: 30us, do: write, dev: d0, target: config, offset: 0x60, value: 0}
""", pvm="true"))
    assert [e.fields["why"] for e in events_of(eng, "msi.held")] == ["MSI pending bit: vector masked"] * 3
    msgs = events_of(eng, "msi.msg")
    assert len(msgs) == 1 and msgs[0].time_ns >= 30_000 and msgs[0].fields["data"] == 0x43
    msi = eng.w["devices"]["d0"]["msi"]
    assert msi["pending"] == 0 and eng.w["acct"]["d0"]["held"] == [0]


# --- deferred moves ---------------------------------------------------------------------------------------
MOVE = xhci_msi("""
  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: d0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: d0, vector: 0}
  - {at: 300us, do: fire, dev: d0, vector: 0}
""")


def test_affinity_change_waits_for_the_next_interrupt_on_the_old_target() -> None:
    eng = new_engine(scenario(pin(MOVE, **MECH_ERA)))
    while eng.now < 150_000 and eng.step():
        pass
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "d0")
    assert desc["move_pending"] and desc["pending_mask"] == [2] and desc["cpu"] == 1
    while eng.step():
        pass
    moves = [e for e in events_of(eng, "vector.assign") if e.dev == "d0"][1:]
    assert [(e.cpu, e.fields["target"]) for e in moves] == [(1, 2)]   # applied by CPU1, at its ack
    assert moves[0].time_ns >= 200_000


def test_old_vector_is_freed_by_the_cleanup_ipi_after_the_first_interrupt_on_the_new_one() -> None:
    eng = run_to_end(scenario(pin(MOVE, **MECH_ERA)))
    old = next(e for e in events_of(eng, "vector.assign") if e.dev == "d0")
    ipis = [e for e in events_of(eng, "apic.ipi") if e.fields["vector"] == IRQ_MOVE_CLEANUP_VECTOR]
    freed = [e for e in events_of(eng, "vector.free") if e.cpu == old.fields["target"]]
    assert len(ipis) == 1 and ipis[0].cpu == 2 and ipis[0].time_ns >= 300_000   # sent from the new CPU
    assert freed and freed[0].fields["vector"] == old.fields["vector"] and freed[0].index > ipis[0].index
    assert old.fields["vector"] not in eng.w["cpus"][1]["vector_irq"]
    assert totals(eng, "d0")["delivered"] == 2


# --- 6f1a4891a592, step by step ---------------------------------------------------------------------------
def _pair(dev: dict[str, Any]) -> list[int]:
    return [dev["addr_lo"], dev["addr_hi"], dev["data"]]


def test_plug_race_steps_write_data_then_address_each_a_whole_message() -> None:
    eng = new_engine(shipped("msi-torn-affinity-update-plug-race"))
    eng.call_watch = {"msi_set_affinity_plug"}
    while "msi_set_affinity_plug" not in eng.step_calls:   # entered: lock_and_mark ran in this step
        assert eng.step()
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "xhci")
    here, new_cpu, new_vec = desc["prev_cpu"], desc["cpu"], desc["vector"]
    old_vec = desc["prev_vector"]
    dev = eng.w["devices"]["xhci"]["msi"]
    held = [_pair(dev)]
    assert eng.w["kernel"]["vector_lock"] == eng.log.event(eng.cur).cpu
    slot = eng.w["cpus"][here]["vector_irq"].get(new_vec)
    assert slot == VECTOR_RETRIGGERED or isinstance(slot, int)
    while eng.w["kernel"]["vector_lock"] >= 0:
        assert eng.step()
        if _pair(dev) != held[-1]:
            held.append(_pair(dev))
    apic = [dest_apic(eng.w, c) for c in (here, new_cpu)]     # the kernel's destination (apic_flat: 1 << cpu)
    assert [((p[0] >> 12) & 0xFF, p[2]) for p in held] == [(apic[0], old_vec), (apic[0], new_vec),
                                                              (apic[1], new_vec)]
    intended = eng.w["acct"]["xhci"]["msi_intended"]
    assert all(p in intended for p in held)                  # every pair the device held was whole


def test_plug_race_retriggers_a_signal_that_hit_the_window() -> None:
    eng = new_engine(shipped("msi-torn-affinity-update-plug-race"))
    seen = 0
    while eng.step():
        e = eng.log.event(eng.cur)
        if e.kind != "apic.ipi" or e.dev != "xhci":
            continue
        seen += 1
        target = eng.w["cpus"][e.fields["target"]]          # the raced signal now pends there
        assert words_test(target["irr"], e.fields["vector"])
        assert any(s[0] == "xhci" for s in target["irr_src"][e.fields["vector"]])
    assert seen > 0
    assert totals(eng, "xhci")["lost"] == 0


# --- CPU online ---------------------------------------------------------------------------------------------
def test_cpu_online_comes_back_with_a_clean_apic_and_vector_table() -> None:
    eng = run(xhci_msi("""
  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 1}
  - {at: 100us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 200us, on: 0, do: cpu_online, cpu: 1}
  - {at: 300us, do: fire, dev: d0, vector: 0, count: 2, every: 5us}
"""))
    c1 = eng.w["cpus"][1]
    # lapic_online keeps only the legacy vectors the IO-APIC does not handle: irq 2's 0x32 (leads22)
    assert c1["online"] and c1["vector_irq"] == {IRQ_MOVE_CLEANUP_VECTOR: VECTOR_CLEANUP, 0x32: "CASCADE"}
    assert c1["irr"] == [0] * 8 and c1["isr"] == [0] * 8
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "d0")
    assert desc["cpu"] != 1                                   # migrated away, not moved back
    assert totals(eng, "d0")["delivered"] == 2
