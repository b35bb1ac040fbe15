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
