"""Shared helpers: scenarios from inline YAML, and running them to the end."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from msidbg.model import new_engine
from msidbg.scenario import Kernel, Scenario, load_scenario, load_scenario_text
from msidbg.sim.scheduler import Engine

# CI (.ci/run sets CI=true) runs the property tests on hypothesis' fixed example sequence, so a run
# of the same tree passes or fails the same way; a developer's run keeps exploring new examples
# (that is how test_why_dirty found tests/test_free_busy_user.py's crash).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def load_script(path: Path, name: str) -> Any:
    """Import a script that is not in a package (snapshots/make.py, scenarios/matrix.py) as ``name``."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def scenario(text: str, path: str = "inline.yaml") -> Scenario:
    return load_scenario_text(textwrap.dedent(text), path)


def shipped(name: str) -> Scenario:
    return load_scenario(str(SCENARIOS / f"{name}.yaml"))


def run_to_end(scn: Scenario, seed: int | None = None) -> Engine:
    eng = new_engine(scn, seed)
    while eng.step():
        pass
    return eng


def finish_copy(eng: Engine) -> Engine:
    """A fresh engine on a copy of ``eng``'s world, run to the end (a snapshot taken mid-run)."""
    from msidbg.model import Model
    from msidbg.sim.world import copy_world

    model = Model()
    twin = Engine(copy_world(eng.w), model)
    model.bind(twin)
    while twin.step():
        pass
    return twin


def totals(eng: Engine, dev: str) -> dict[str, int]:
    a = eng.w["acct"][dev]
    return {k: sum(a[k]) for k in ("raised", "delivered", "lost", "spurious")}


def hit_names(eng: Engine) -> set[str]:
    return {h.name for h in eng.hits}


def events_of(eng: Engine, kind: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind == kind]


def with_kernel(scn: Scenario, **fields: Any) -> Scenario:
    """``scn`` with kernel switches (or ``version``) set as if written in its ``kernel:`` section."""
    version = fields.pop("version", scn.kernel.version)
    kernel = dataclasses.replace(scn.kernel, version=version, switches={**scn.kernel.switches, **fields})
    return dataclasses.replace(scn, kernel=kernel)


def with_platform(scn: Scenario, **fields: Any) -> Scenario:
    """``scn`` with platform fields (kind, xen, qemu, interrupt_remapping) or behaviour switches set."""
    own = {k: fields.pop(k) for k in list(fields) if k in ("kind", "xen", "qemu", "interrupt_remapping")}
    platform = dataclasses.replace(scn.platform, **own, switches={**scn.platform.switches, **fields})
    return dataclasses.replace(scn, platform=platform)


def comparable(scn: Scenario) -> tuple[Scenario, dict[str, Any]]:
    """``scn`` without what may differ between twins (name, prose, source text, line numbers, and
    how the behaviour was written: versions or switches), with the resolved behaviour beside it."""
    run = tuple(dataclasses.replace(a, line=0) for a in scn.run)
    faults = tuple(dataclasses.replace(f, line=0) for f in scn.faults)
    platform = dataclasses.replace(scn.platform, xen=None, qemu=None, switches={})
    bare = dataclasses.replace(scn, run=run, faults=faults, path="", text="", sha256="", about="", name="",
                               expect=None, breakpoint_lines=(), kernel=Kernel(), platform=platform)
    return bare, scn.behaviour.plain()


@pytest.fixture
def root() -> Path:
    return ROOT


@contextlib.contextmanager
def cpu_step_budget(budget: int) -> Iterator[list[int]]:
    """A timing-free watchdog for runs that must end: every engine built inside counts its CPU steps
    (``on_cpu`` calls, a spin's silent polls included -- a poll loop emits one event per ``POLL_CAP`` polls,
    so an event bound alone lets a wait that never ends run for hours), and the step past ``budget`` raises
    AssertionError. Yields the count (a one-item list)."""
    from msidbg.model import AGENDA_HANDLERS

    inner = AGENDA_HANDLERS["cpu"]
    count = [0]

    def counted(eng: Any, item: list[Any]) -> Any:
        count[0] += 1
        if count[0] > budget:
            raise AssertionError(f"more than {budget} CPU steps: a wait that never ends (a spin nobody releases?)")
        return inner(eng, item)

    AGENDA_HANDLERS["cpu"] = counted
    try:
        yield count
    finally:
        AGENDA_HANDLERS["cpu"] = inner


def load_error(tmp_path: Path, text: str) -> str:
    """The one-line error of loading ``text`` as ``tmp_path/s.yaml`` (which must fail)."""
    from msidbg.errors import ScenarioError
    from msidbg.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    line = info.value.oneline()
    assert "\n" not in line
    return line


def run_past_breakpoints(path: Path | str, limit: int = 300) -> Any:
    """A Session of the scenario at ``path`` continued past its breakpoints to the run's end (at most
    ``limit`` stops): the held-out Xen tests read the whole run's events and world."""
    from msidbg.debugger import Session

    s = Session.from_scenario(str(path))
    for _ in range(limit):
        if s.continue_().reason != "breakpoint":
            break
    return s


def assert_prov_neutral(paths: Any) -> None:
    """Provenance records, never decides: each file runs to the same events, hits and world with it on and off."""
    from msidbg.sim.world import state_hash

    for path in paths:
        scn = load_scenario(str(path))
        on, off = new_engine(scn, prov=True), new_engine(scn, prov=False)
        on.run_sync()
        off.run_sync()
        assert (on.log.times, on.log.ids, on.log.cols) == (off.log.times, off.log.ids, off.log.cols), Path(path).name
        assert on.hits == off.hits and state_hash(on.w) == state_hash(off.w), Path(path).name


def session_events(s: Any) -> list[tuple[str, int, str | None, dict[str, Any], int]]:
    """Every event of a Session as (kind, cpu, dev, fields, time_ns)."""
    return [(e.kind, e.cpu, e.dev, dict(e.fields), e.time_ns) for e in s.events(0, s.total)]


def xen_host_irq(s: Any, pirq: int) -> dict[str, Any]:
    """Xen's host irq record behind guest ``pirq`` in a Session's world."""
    x = s.world["xen"]
    return dict(x["irqs"][x["pirqs"][pirq]["irq"]])
