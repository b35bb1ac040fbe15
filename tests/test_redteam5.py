"""Red team 5: scenarios nobody had run (other topologies, version mixes, schedules), each
predicted from the source before it was run. Each test here failed on the code before its fix."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.scenario import load_scenario_text
from msidbg.sim.world import state_hash

# pct with its 10 us window runs the device's 40 us signal before CPU2's 30 us step and
# CPU1's 35 us action: the clock must stay at 40 us for them, not go back
PCT_WINDOW = """\
name: rt5-pct-window
cpus: 12
seed: 60
schedule: pct
platform: {kind: xen-hvm, xen: "4.12"}
devices:
  d0: {bdf: "00:03.0", kind: generic, passthrough: true, msix: {table_size: 8}, msi: {vectors: 2, per_vector_mask: true, addr64: false}, quirks: [latch-on-unmask]}
  d1: {bdf: "00:04.0", kind: xhci, passthrough: true, msix: {table_size: 8}, msi: {vectors: 2, per_vector_mask: true, addr64: true}, quirks: [msi-latch-on-enable]}
  d2: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 8}}
run:
  - {at: 20000, on: 2, do: free_vectors, dev: d0}
  - {at: 30000, do: fire, dev: d2, vector: 4, count: 24, every: 10us}
  - {at: 35000, on: 1, do: request_irq, dev: d1, vector: 0, affinity: [3], hint: 0}
"""


def test_a_window_schedule_never_moves_the_clock_back() -> None:
    s = Session(load_scenario_text(PCT_WINDOW, "pct.yaml"))
    s.run()
    times = [e.time_ns for e in s.events(1, s.cursor + 1)]
    assert times == sorted(times)


def test_a_window_schedule_is_the_same_run_however_it_is_chunked() -> None:
    scn = load_scenario_text(PCT_WINDOW, "pct.yaml")
    whole = Session(scn)
    whole.run()
    for k in (3, 4):
        parts = Session(scn)
        parts.run(max_events=k)
        parts.run()
        assert state_hash(parts.world) == state_hash(whole.world), k
    back = Session(scn)
    back.run()
    back.seek(4)                       # time travel re-executes from a checkpoint: must agree
    back.run()
    assert state_hash(back.world) == state_hash(whole.world)


def _run(text: str) -> Session:
    s = Session(load_scenario_text(text, "rt5.yaml"))
    s.run()
    assert s.world["ended"]
    return s


def test_an_msi_message_beyond_the_msix_table_is_released_by_its_unmask() -> None:
    """A device with 2 MSI-X entries and 8 MSI messages, multi-MSI under remapping: message 3 is
    signalled while masked (pending bit), request_irq unmasks it. The release looked the index up in
    the MSI-X table first (IndexError); now the MSI pending bit sends it and the doorbell is answered."""
    s = _run("""\
name: rt5-msi-index
cpus: 3
platform: {interrupt_remapping: true}
devices:
  d0: {bdf: "00:03.0", kind: xhci, msix: {table_size: 2}, msi: {vectors: 8, per_vector_mask: true, addr64: true}}
run:
  - {at: 121000, on: 2, do: alloc_vectors, dev: d0, mode: msi, vectors: 4}
  - {at: 2732000, on: 2, do: doorbell, dev: d0, vector: 3, timeout: 100us}
  - {at: 2757000, on: 2, do: request_irq, dev: d0, vector: 3}
""")
    row = next(v for v in s.summary()["devices"]["d0"]["vectors"] if v["index"] == 3)
    assert (row["raised"], row["delivered"], row["lost"]) == (1, 1, 0)


def test_signals_held_behind_an_unmapped_host_irq_are_lost_not_in_flight_forever() -> None:
    """A non-maskable MSI on Xen is ACKTYPE_EOI: with no event channel (vectors allocated, no
    request_irq) nobody EOIs it and Xen holds later signals behind it. Disabling MSI makes QEMU
    unmap the pirq, which frees the host irq: those signals are lost. They stayed 'in flight'
    after the end of the run (raised != delivered + lost in the accounts)."""
    s = _run("""\
name: rt5-unmap-held
cpus: 16
platform: {kind: xen-hvm, xen: "4.22"}
devices:
  d1: {bdf: "00:04.0", kind: xhci, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
run:
  - {at: 606000, on: 12, do: alloc_vectors, dev: d1, mode: msi, vectors: 4}
  - {at: 706000, do: fire, dev: d1, vector: 0, count: 30, every: 100us}
  - {at: 2811000, on: 6, do: free_vectors, dev: d1}
""")
    a = s.world["acct"]["d1"]
    assert (a["raised"], a["delivered"], a["lost"]) == ([30], [0], [30])
    assert s.summary()["devices"]["d1"]["vectors"][0]["in_flight"] == 0


def test_a_xen_pv_device_must_be_passed_through() -> None:
    """A PV guest has no device model and no local APIC vector domain: a device that is not
    pciback's got the bare-metal x86 vector domain inside a PV guest (its entries stayed masked,
    every signal lost) -- a configuration no real guest has. Now a one-line load error."""
    import pytest

    from msidbg.errors import ScenarioError

    text = """\
name: rt5-pv-emulated
cpus: 2
platform: {kind: xen-pv, xen: "4.16"}
devices:
  virtio0: {bdf: "00:05.0", kind: generic, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: virtio0, mode: msix, vectors: 3}
"""
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(text, "pv.yaml")
    assert e.value.oneline().startswith("msidbg: pv.yaml:5: devices.virtio0.passthrough: a Xen PV guest")
    load_scenario_text(text.replace("kind: generic,", "kind: generic, passthrough: true,"), "pv.yaml")
