"""device_lock serialises a device's probe and remove (redteam16).

drivers/base/dd.c (v6.6): device_driver_attach takes __device_driver_lock(dev, dev->parent) around
driver_probe_device, device_release_driver_internal around __device_release_driver: a second probe or a
remove of the same device sleeps until the first has returned. The model let two CPUs run one device's
probe and remove interleaved (a fuzzed Xen HVM run stopped with a KeyError when one CPU's INTx fallback
put its irq into the device's descriptors in the middle of the other CPU's MSI-X teardown).
"""
from __future__ import annotations

from pathlib import Path

from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text

BARE = """\
name: device-lock
cpus: 2
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}
  - {at: 100ns, on: 1, do: probe, dev: d0, mode: msix, vectors: 2}
  - {at: 200ns, on: 1, do: remove, dev: d0}
"""

CRASH = Path(__file__).parent / "data" / "device_lock_crash251.yaml"


def _run(text: str) -> list:
    eng = new_engine(load_scenario_text(text, "device-lock.yaml"), None)
    eng.run_sync(max_events=200_000)
    return list(eng.log.events(1, len(eng.log) + 1))


def _span(evs: list, action: int) -> tuple[int, int]:
    start = next(i for i, e in enumerate(evs) if e.kind == "action.start" and e.get("action") == action)
    end = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.get("action") == action)
    return start, end


def _work(evs: list, cpu: int, lo: int, hi: int) -> list:
    """CPU ``cpu``'s events strictly between lo and hi, other than the action marks and lock notes."""
    return [e for e in evs[lo + 1:hi] if e.cpu == cpu and not e.kind.startswith("action")
            and "device_lock" not in str(e.get("what") or "")]


def test_second_probe_waits_for_the_first() -> None:
    evs = _run(BARE)
    s0, e0 = _span(evs, 0)
    s1, _ = _span(evs, 1)
    assert s0 < s1 < e0
    # CPU1's probe does nothing of its own while CPU0's probe runs: it notes the lock and waits
    assert _work(evs, 1, s1, e0) == [], [e.describe() for e in _work(evs, 1, s1, e0)]
    notes = [e for e in evs if "device_lock" in str(e.get("what") or "")]
    assert notes and notes[0].cpu == 1 and "CPU0 is in driver_probe of d0" in notes[0].get("what")


def test_fuzzed_overlapping_probes_on_xen_hvm_run() -> None:
    """The fuzzed run (intxpv's seed 251, d2's second probe 100 us after its first): it stopped with
    KeyError(None) in pci_disable_msix's shutdown_mask at about event 3,000; now CPU1's probe of d2 waits for
    CPU0's, whose MSI-X teardown completes first."""
    eng = new_engine(load_scenario_text(CRASH.read_text(), CRASH.name), None)
    eng.run_sync(max_events=8_000)
    evs = list(eng.log.events(1, len(eng.log) + 1))
    notes = [e for e in evs if "device_lock: CPU0 is in driver_probe of d2" in str(e.get("what") or "")]
    assert notes and notes[0].cpu == 1
