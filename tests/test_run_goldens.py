"""Every shipped scenario's run, pinned: its event log, hits, provenance records and final state hash.

Engine and hot-path work must not change what a run does (issue 14: "speed comes from the engine,
data layout and caching, never from skipping a modelled step"). ``tests/golden_runs.json`` holds a
digest of each part per scenario (ordered, and random with seed 1). Regenerate it with
``MSIDBG_UPDATE_GOLDEN=1`` only for a change that is meant to alter runs, and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import new_engine, resolve_schedule
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import SCENARIOS

GOLDEN = Path(__file__).resolve().parent / "golden_runs.json"
FILES = sorted(SCENARIOS.glob("*.yaml"))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def fingerprint(path: Path, strategy: str | None) -> dict[str, Any]:
    scn = load_scenario(str(path))
    eng = new_engine(scn, seed=1 if strategy else None,
                     schedule=resolve_schedule(scn, strategy) if strategy else None)
    while eng.advance(4096):
        pass
    log, p = eng.log, eng.prov
    p.flush()
    notes = sorted((r, p.note(r)) for r in p.notes)
    arrays = [array("q", a) for a in (p.rec, p.hot_arr, p.hit_nodes)]
    if sys.byteorder == "big":     # the digests are of little-endian int64s on every machine
        for a in arrays:
            a.byteswap()
    prov = b"".join([*(a.tobytes() for a in arrays),
                     json.dumps([notes, sorted(p.stacks.items()), [repr(s) for s in p.stack_list],
                                 sorted((k, repr(v)) for k, v in p.hot_deps.items())]).encode()])
    hits = repr([(h.event, h.time_ns, h.name, h.detail) for h in eng.hits]).encode()
    return {"events": len(log), "log": _digest(log.rows_bytes(0, len(log))), "hits": _digest(hits),
            "prov": _digest(prov), "state_hash": state_hash(eng.w)}


CASES = [(f, s) for f in FILES for s in (None, "random")]


@pytest.mark.parametrize("path, strategy", CASES, ids=[f"{f.stem}-{s or 'ordered'}" for f, s in CASES])
def test_a_shipped_scenario_runs_as_pinned(path: Path, strategy: str | None) -> None:
    key = f"{path.name} {strategy or 'ordered'}"
    got = fingerprint(path, strategy)
    golden: dict[str, Any] = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("MSIDBG_UPDATE_GOLDEN"):
        golden[key] = got
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    assert key in golden, f"{key}: no golden (MSIDBG_UPDATE_GOLDEN=1 writes it)"
    assert got == golden[key]
