"""kernleads: leads left open by the session of 2026-12-02 04:45, each read in the kernel source.

(3) A ``remove`` of a device no driver action bound -- never probed, or whose probe never ran (its CPU was
offline: sched_setaffinity's -EINVAL) -- finds no driver: drivers/base/dd.c __device_release_driver runs
nothing "if (drv)" is false (v4.19, v6.6), so no driver code ran and the contract's ``probe`` stays
``not-probed`` (it said ``ok``, and ``driver`` said ``removed``). A probe that failed inside really_probe
keeps its ``failed: E...`` (the device_unbind_cleanup of probe_failed leaves dev->driver NULL).
"""
from __future__ import annotations

from typing import Any

from msidbg.debugger.summary import driver_state
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text

HEAD = """\
name: kernleads
cpus: 2
kernel: {version: "6.6"}
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 2}}
run:
"""


def _run(text: str, max_events: int = 200_000) -> Any:
    eng = new_engine(load_scenario_text(text, "kernleads.yaml"), None)
    eng.run_sync(max_events=max_events)
    return eng


def _status(eng: Any, dev: str = "d0") -> tuple[str, str]:
    return str(eng.w["kernel"]["pci"][dev]["status"]), driver_state(eng.w, dev)


def test_remove_of_a_never_probed_device_leaves_it_not_probed() -> None:
    eng = _run(HEAD + "  - {at: 0, on: 0, do: remove, dev: d0}\n")
    assert eng.w["actions"][0]["result"] == 0
    assert _status(eng) == ("not-probed", "not-probed")


def test_remove_after_a_probe_that_never_ran_leaves_it_not_probed() -> None:
    """The probe's CPU is offline: the action fails -EINVAL before any driver code runs (failed actions
    list it); the remove that follows finds no driver."""
    eng = _run(HEAD + "  - {at: 0, on: 0, do: cpu_offline, cpu: 1}\n"
                      "  - {at: 1ms, on: 1, do: probe, dev: d0, mode: msix, vectors: 2}\n"
                      "  - {at: 2ms, on: 0, do: remove, dev: d0}\n")
    assert eng.w["actions"][1]["result"] == -22
    assert _status(eng) == ("not-probed", "not-probed")


def test_remove_after_a_failed_probe_keeps_the_failure_and_a_bound_remove_is_removed() -> None:
    eng = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 1}\n"
                      "  - {at: 10us, on: 0, do: remove, dev: d0}\n")
    assert _status(eng) == ("failed: EINVAL", "failed: EINVAL")
    eng = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}\n"
                      "  - {at: 1ms, on: 0, do: remove, dev: d0}\n"
                      "  - {at: 2ms, on: 0, do: remove, dev: d0}\n")
    assert _status(eng) == ("ok", "removed")
