"""Shared helpers: scenarios from inline YAML, and running them to the end."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import new_engine
from msidbg.scenario import Scenario, load_scenario, load_scenario_text
from msidbg.sim.scheduler import Engine

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def scenario(text: str, path: str = "inline.yaml") -> Scenario:
    return load_scenario_text(textwrap.dedent(text), path)


def shipped(name: str) -> Scenario:
    return load_scenario(str(SCENARIOS / f"{name}.yaml"))


def run_to_end(scn: Scenario, seed: int | None = None) -> Engine:
    eng = new_engine(scn, seed)
    while eng.step():
        pass
    return eng


def totals(eng: Engine, dev: str) -> dict[str, int]:
    a = eng.w["acct"][dev]
    return {k: sum(a[k]) for k in ("raised", "delivered", "lost", "spurious")}


def hit_names(eng: Engine) -> set[str]:
    return {h.name for h in eng.hits}


def events_of(eng: Engine, kind: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind == kind]


def with_kernel(scn: Scenario, **switches: Any) -> Scenario:
    """``scn`` with some kernel switches changed."""
    return dataclasses.replace(scn, kernel=dataclasses.replace(scn.kernel, **switches))


def comparable(scn: Scenario) -> Scenario:
    """``scn`` without what may differ between twins: name, prose, source text, line numbers."""
    run = tuple(dataclasses.replace(a, line=0) for a in scn.run)
    return dataclasses.replace(scn, run=run, path="", text="", sha256="", about="", name="", expect=None)


@pytest.fixture
def root() -> Path:
    return ROOT
