"""The driver core's device_lock, a sleeping mutex around a device's probe and remove (devlock).

drivers/base/dd.c (v6.6): device_driver_attach takes __device_driver_lock(dev, dev->parent) around
__driver_probe_device, device_release_driver_internal around __device_release_driver: a second probe or a
remove of the same device sleeps on the mutex until the first has returned (``model/kernel/devlock.py``).
redteam16 modelled it as a spin wait on the other CPU's frame: two probes that started together each waited
for the other for ever and tests/test_fuzz.py hung in CI (tests/data/device_lock_fuzz_hang.yaml is the
derandomized example it hung on). A second probe of a device that already has a driver returns -EBUSY from
204db60c8357 (5.14) and is skipped (0) before it (``kernel.bound_probe``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.model import AGENDA_HANDLERS, new_engine
from msidbg.model import hits as H
from msidbg.scenario import load_scenario_text
from tests import fuzz

DATA = Path(__file__).parent / "data"
CRASH = DATA / "device_lock_crash251.yaml"
HUNG = DATA / "device_lock_fuzz_hang.yaml"

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

#: redteam16's spin deadlock at its smallest (the shrunk form of the CI example): a remove and a probe of d0
#: start together on two CPUs, CPU0's next action is a second probe
TOGETHER = """\
name: device-lock-together
cpus: 2
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: remove, dev: d0}
  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 1}
  - {at: 0, on: 1, do: probe, dev: d0, mode: msix, vectors: 1}
"""

TWICE = """\
name: bound-probe
cpus: 1
kernel: {{version: "{version}"}}
devices:
  d0: {{bdf: "00:03.0", passthrough: false, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}}
  - {{at: 1ms, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: fire, dev: d0, vector: 1, count: 3, every: 10us}}
"""


def _engine(text: str, name: str = "device-lock.yaml") -> Any:
    return new_engine(load_scenario_text(text, name), None)


def _events(eng: Any) -> list:
    return list(eng.log.events(1, len(eng.log) + 1))


def _run(text: str) -> list:
    eng = _engine(text)
    eng.run_sync(max_events=200_000)
    return _events(eng)


def _span(evs: list, action: int) -> tuple[int, int]:
    start = next(i for i, e in enumerate(evs) if e.kind == "action.start" and e.get("action") == action)
    end = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.get("action") == action)
    return start, end


def _work(evs: list, cpu: int, lo: int, hi: int) -> list:
    """CPU ``cpu``'s events strictly between lo and hi, other than the action marks and lock notes."""
    return [e for e in evs[lo + 1:hi] if e.cpu == cpu and not e.kind.startswith("action")
            and "device_lock" not in str(e.get("what") or "")]


def _notes(evs: list, text: str) -> list:
    return [e for e in evs if text in str(e.get("what") or "")]


class _Steps:
    """Counts the CPU steps the engine runs (silent polls included): a timing-free watchdog. Past
    ``budget`` it raises, so that a wait that never ends fails the test instead of hanging it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
        self.n = 0
        self.budget = budget
        self.by_cpu: dict[int, int] = {}
        inner = AGENDA_HANDLERS["cpu"]

        def counted(eng: Any, item: list[Any]) -> Any:
            self.n += 1
            self.by_cpu[item[3]] = self.by_cpu.get(item[3], 0) + 1
            if self.n > self.budget:
                raise AssertionError(f"more than {self.budget} CPU steps: a wait that never ends")
            return inner(eng, item)

        monkeypatch.setitem(AGENDA_HANDLERS, "cpu", counted)


def test_second_probe_sleeps_until_the_first_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = _Steps(monkeypatch, 100_000)
    eng = _engine(BARE)
    eng.run_sync(max_events=200_000)
    evs = _events(eng)
    s0, e0 = _span(evs, 0)
    s1, e1 = _span(evs, 1)
    assert s0 < s1 < e0 < e1
    # CPU1's probe does nothing of its own while CPU0's probe runs: it notes the mutex and sleeps
    assert _work(evs, 1, s1, e0) == [], [e.describe() for e in _work(evs, 1, s1, e0)]
    sleep = _notes(evs, "device_lock(d0): held by action 0 (probe)")
    assert len(sleep) == 1 and sleep[0].cpu == 1 and s1 < sleep[0].index - 1 < e0
    taken = _notes(evs, "device_lock(d0): taken")
    assert len(taken) == 1 and taken[0].cpu == 1 and e0 < taken[0].index - 1
    # a sleeping task is no spin: CPU1 ran no step between its note and CPU0's unlock (not even a silent poll)
    assert steps.by_cpu[1] == len([e for e in evs if e.cpu == 1 and e.kind != "action.start"])
    # the second probe finds d0 bound (6.6: -EBUSY), the remove then tears the first probe's setup down
    assert [a["result"] for a in eng.w["actions"]] == [0, -16, 0]
    assert eng.w["kernel"]["pci"]["d0"]["device_lock"] == {"owner": -1, "waiters": []}


def test_probe_and_remove_started_together_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    """redteam16's deadlock: each CPU saw the other's driver_probe / driver_remove frame and spun for ever."""
    _Steps(monkeypatch, 50_000)
    eng = _engine(TOGETHER)
    assert eng.run_sync(max_events=20_000) == "end"
    acts = eng.w["actions"]
    # the remove (action 0) takes the lock first, CPU1's probe (2) sleeps, then CPU0's probe (1) sleeps behind it
    assert [(a["state"], a["result"]) for a in acts] == [("done", 0), ("done", -16), ("done", 0)]
    assert eng.w["kernel"]["pci"]["d0"]["bound"] is True


def test_the_fuzz_example_that_hung_ci_finishes(monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/test_fuzz.py's scenario fuzzer, derandomized (CI=true), hung on its 13th example: it must run
    through the fuzzer's own check (load, run 30,000 events at most, save, reopen) within a step budget."""
    steps = _Steps(monkeypatch, 40 * fuzz.MAX_EVENTS)
    fuzz.check_scenario(HUNG.read_text())
    assert steps.n > 0
    eng = _engine(HUNG.read_text(), HUNG.name)
    assert eng.run_sync(max_events=fuzz.MAX_EVENTS) == "end"
    first, second = eng.w["actions"][:2]
    # both probe d1 at 0: CPU1's (action 0) sleeps behind CPU0's, then finds d1 bound
    assert (first["result"], second["result"]) == (-16, 0)
    assert eng.w["kernel"]["pci"]["d1"]["status"] == "ok"


@pytest.mark.parametrize(("version", "result", "value"), [("5.13", 0, "skip"), ("5.14", -16, "EBUSY"),
                                                            ("6.6", -16, "EBUSY")])
def test_second_probe_of_a_bound_device_per_release(version: str, result: int, value: str) -> None:
    eng = _engine(TWICE.format(version=version))
    assert eng.w["behaviour"]["bound_probe"] == value
    eng.run_sync(max_events=50_000)
    evs = _events(eng)
    first, second = eng.w["actions"][:2]
    assert (first["result"], second["result"]) == (0, result)
    s1, e1 = _span(evs, 1)
    # the driver's probe does not run again: no config or table access, one note
    assert [e.kind for e in evs[s1 + 1:e1]] == ["kernel"]
    assert "already has a driver" in evs[s1 + 1].get("what")
    # the device stays bound as the first probe left it, and works
    p = eng.w["kernel"]["pci"]["d0"]
    assert p["status"] == "ok" and p["bound"] and len(p["descs"]) == 2
    assert H.PROBE_FAILED not in eng.hits.names_seen()
    assert eng.w["acct"]["d0"]["delivered"][1] == 3


def test_a_failed_probe_releases_the_lock_and_leaves_the_device_unbound() -> None:
    """The holder's program ends early with an error (request_irq fails: its devres unwind, then the
    return): the unlock happens all the same, and the waiter's probe runs on an unbound device."""
    eng = _engine(BARE.replace("run:", "faults: [{call: request_irq, dev: d0, errno: ENOSPC, times: 1}]\nrun:"))
    eng.run_sync(max_events=200_000)
    evs = _events(eng)
    _, e0 = _span(evs, 0)
    assert [a["result"] for a in eng.w["actions"]] == [-28, 0, 0]
    taken = _notes(evs, "device_lock(d0): taken")
    assert len(taken) == 1 and taken[0].index - 1 > e0
    assert not _notes(evs, "already has a driver")


def test_a_lock_never_released_leaves_the_waiter_asleep_and_the_run_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing-free: a device_lock whose holder never returns (set by hand: a task that left it held)
    costs the waiter no step at all -- its CPU leaves the agenda, the run ends, the action stays running."""
    steps = _Steps(monkeypatch, 10_000)
    eng = _engine(TWICE.format(version="6.6"))
    # a stale owner: action 1 (the second probe, queued on the same CPU behind the first, never starts)
    eng.w["kernel"]["pci"]["d0"]["device_lock"]["owner"] = 1
    assert eng.run_sync(max_events=1_000_000) == "end"
    acts = eng.w["actions"]
    assert acts[0]["state"] == "running"
    assert eng.w["kernel"]["pci"]["d0"]["device_lock"]["waiters"] == [0]
    assert len(_notes(_events(eng), "device_lock(d0): held by action 1")) == 1
    assert steps.n < 100


def test_fuzzed_overlapping_probes_on_xen_hvm_run() -> None:
    """The fuzzed run (intxpv's seed 251, d2's second probe 100 us after its first): it stopped with
    KeyError(None) in pci_disable_msix's shutdown_mask at about event 3,000; now CPU1's probe of d2 sleeps
    until CPU0's returns, then finds d2 bound."""
    eng = _engine(CRASH.read_text(), CRASH.name)
    eng.run_sync(max_events=8_000)
    evs = _events(eng)
    notes = _notes(evs, "device_lock(d2): held by action 5 (probe)")
    assert notes and notes[0].cpu == 1
    assert eng.w["actions"][6]["result"] == -16


MIGRATES = """\
name: lock-migrates
cpus: 3
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 4}}
run:
  - {at: 0, on: 1, do: probe, dev: d0, mode: msix, vectors: 4}
  - {at: 2us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 3us, on: 2, do: probe, dev: d0, mode: msix, vectors: 4}
"""


def test_the_lock_is_the_holders_task_s_and_follows_it_off_an_offline_cpu() -> None:
    """The holder is the task, not the CPU: CPU1 goes offline in the middle of its probe, the task moves to
    CPU0 (select_fallback_rq) still holding d0's device_lock, CPU2's probe sleeps until the task's probe
    returned there, then finds d0 bound."""
    evs = _run(MIGRATES)
    moved = _notes(evs, "process of action 0 (probe) no longer affine to cpu1: moved to CPU0")
    sleep = _notes(evs, "device_lock(d0): held by action 0 (probe)")
    _, e0 = _span(evs, 0)
    taken = _notes(evs, "device_lock(d0): taken")
    assert moved and sleep and sleep[0].cpu == 2 and evs[e0].cpu == 0
    assert len(taken) == 1 and taken[0].cpu == 2 and taken[0].index - 1 > e0
    assert [e.get("result") for e in evs if e.kind == "action.done"] == [0, 0, -16]


def test_why_the_task_sleeps_names_the_holders_action() -> None:
    from msidbg.debugger import Session

    s = Session(load_scenario_text(BARE, "device-lock.yaml"))
    s.run()
    sleep = _notes(list(s.eng.log.events(1, len(s.eng.log) + 1)), "sleeps on the mutex")[0]
    text = s.why(sleep.index).text()
    assert "cpus[1].proc.wait = 0" in text and "device_lock(d0) held by action 0" in text
    assert "actions[0] = action 0 (probe d0)" in text
