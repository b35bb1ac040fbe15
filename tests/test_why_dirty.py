"""Provenance's kernel diff compares only the CPUs and irqs the kernel code marked dirty
(``model/provkernel.py``). A write without its mark would lose a record (or give it to a later
step): here every diffed step is checked against a full comparison of every CPU and irq -- what
changed since the last diff must have been marked -- over every shipped scenario, the
breakpoint / hotplug / move heavy ones under random schedules, and random scenarios."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from msidbg.model import new_engine
from msidbg.model.kernel import irq as kirq
from msidbg.model.provkernel import KernelDiff, _irq_state
from msidbg.scenario import load_scenario, load_scenario_text
from tests.conftest import SCENARIOS
from tests.test_model_fuzz import scenarios

SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))


def changed(kd: KernelDiff, w: dict[str, Any]) -> tuple[set[int], set[int]]:
    """The CPUs and irqs whose diffed state differs from ``kd``'s copy (a full comparison)."""
    cpus = {c["id"] for c in w["cpus"]
            if c["id"] in kd.cpus and kd.cpus[c["id"]] != (c["vector_irq"], c["online"])}
    irqs = {i for i, d in w["irqs"].items() if kd.irqs.get(i) != _irq_state(d)}
    return cpus, irqs


@contextmanager
def checked() -> Iterator[list[int]]:
    """While active, every ``KernelDiff.step`` asserts that a full comparison finds nothing the
    dirty sets miss; yields a one-item list counting the changes checked."""
    plain = KernelDiff.step
    count = [0]

    def step(self: KernelDiff, P: Any, w: dict[str, Any]) -> None:
        cpus, irqs = changed(self, w)
        assert cpus <= self.dirty_cpus, f"event {P.eng.cur}: CPUs {sorted(cpus - self.dirty_cpus)} changed unmarked"
        assert irqs <= self.dirty_irqs, f"event {P.eng.cur}: irqs {sorted(irqs - self.dirty_irqs)} changed unmarked"
        count[0] += len(cpus) + len(irqs)
        plain(self, P, w)
        assert changed(self, w) == (set(), set())   # the copy is up to date after the diff

    KernelDiff.step = step  # type: ignore[method-assign]
    try:
        yield count
    finally:
        KernelDiff.step = plain  # type: ignore[method-assign]


def run(scn: Any, seed: int | None = None) -> None:
    eng = new_engine(scn, seed)
    eng.run_sync(max_events=200_000)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_marks_every_change(name: str) -> None:
    with checked() as count:
        run(load_scenario(str(SCENARIOS / name)))
    assert count[0] > 0     # every shipped scenario allocates vectors


@pytest.mark.parametrize("name", ["msi-torn-affinity-update-plug-race.yaml", "msi-torn-affinity-update.yaml",
                                  "explore-msi-torn-remapped.yaml", "xen-pirq-reuse-nvme.yaml"])
@pytest.mark.parametrize("seed", [3, 17])
def test_random_schedules_mark_every_change(name: str, seed: int) -> None:
    text = (SCENARIOS / name).read_text()
    if "schedule:" not in text:
        text += "\nschedule: random\n"
    with checked() as count:
        run(load_scenario_text(text, name), seed)
    assert count[0] > 0


HOTPLUG = """\
name: dirty-hotplug
cpus: 4
devices:
  nic: {bdf: "00:03.0", msix: {table_size: 4}}
  ssd: {bdf: "00:04.0", msi: {vectors: 4, per_vector_mask: false}}
run:
  - {at: 0, do: probe, dev: nic, mode: msix, vectors: 4}
  - {at: 0, on: 1, do: probe, dev: ssd, mode: msi, vectors: 4}
  - {at: 1ms, do: fire, dev: nic, vector: 1, count: 40, every: 5us}
  - {at: 1ms, do: fire, dev: ssd, vector: 2, count: 40, every: 5us}
  - {at: 1010us, on: 2, do: set_affinity, dev: nic, vector: 1, cpu: 3}
  - {at: 1020us, on: 0, do: set_affinity, dev: ssd, vector: 2, cpu: 1}
  - {at: 1030us, on: 0, do: cpu_offline, cpu: 3}
  - {at: 1100us, on: 0, do: cpu_online, cpu: 3}
  - {at: 1200us, on: 1, do: set_affinity, dev: nic, vector: 1, cpu: 3}
  - {at: 2ms, do: free_vectors, dev: ssd}
  - {at: 3ms, do: remove, dev: nic}
"""


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_hotplug_moves_and_release_mark_every_change(seed: int) -> None:
    with checked() as count:
        run(load_scenario_text(HOTPLUG + "schedule: random\n", "dirty-hotplug.yaml"), seed)
    assert count[0] > 10


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios())
def test_random_scenarios_mark_every_change(text: str) -> None:
    from msidbg.errors import ScenarioError
    try:
        scn = load_scenario_text(text, "fuzz.yaml")
    except ScenarioError:
        return
    with checked():
        run(scn)


def test_a_missed_mark_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: without the marks of one call site (the irq domain's activation,
    which takes the vector on the target CPU) it does."""
    monkeypatch.setattr(kirq, "desc_dirty", lambda k, desc: None)
    with pytest.raises(AssertionError, match="changed unmarked"), checked():
        run(load_scenario(str(SCENARIOS / "msi-torn-affinity-update-maskable.yaml")))
