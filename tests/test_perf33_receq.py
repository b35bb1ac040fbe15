"""perf33: two records of one class compare their slot fields (one ``attrgetter`` each) and their other fields,
instead of building two dicts: the answer must be what comparing the dicts they stand for gives (``plain``)."""

from __future__ import annotations

import random
from typing import Any

from msidbg.debugger import Session
from msidbg.scenario import load_scenario
from msidbg.sim.rec import Rec, WorldRec, as_world, plain
from msidbg.sim.world import pack_world, unpack_world


def _world() -> Any:
    s = Session(load_scenario("scenarios/msix-write-while-unmasked.yaml"), 0)
    s.run()
    return s.world


def _recs(w: Any) -> list[Rec]:
    return [w, *w["cpus"], *w["irqs"].values(), *(c.irq for c in w["cpus"]), *(c.proc for c in w["cpus"])]


def test_record_equality_is_the_dicts_equality() -> None:
    w = _world()
    blob = pack_world(w)
    rng = random.Random(33)
    seen = {"equal": 0, "slot differs": 0, "extra differs": 0, "slot missing": 0, "other class": 0}
    for _ in range(300):
        a, b = as_world(unpack_world(blob)), as_world(unpack_world(blob))
        assert type(a) is WorldRec and a == b and a is not b
        ra, rb = _recs(a), _recs(b)
        i = rng.randrange(len(ra))
        x, y = ra[i], rb[i]
        what = rng.choice(("slot", "slot", "extra", "missing", "none", "nested"))
        if what == "slot":
            k = rng.choice(x.KEYS)
            y[k] = rng.choice((None, 0, 1, True, "x", [], {}, x.get(k)))   # (some the same value, bool for int)
        elif what == "extra":
            y["perf33"] = rng.choice((1, True, None))
            if rng.random() < 0.5:
                x["perf33"] = rng.choice((1, True, None))
        elif what == "missing":
            k = rng.choice(x.KEYS)
            if k in x:
                delattr(rng.choice((x, y)), k)
        elif what == "nested":
            c = rng.randrange(len(b["cpus"]))
            b["cpus"][c]["tpr"] = rng.choice((b["cpus"][c]["tpr"], 0xF0))
        want = plain(a) == plain(b)
        assert (a == b) == want and (a != b) != want
        assert (x == y) == (plain(x) == plain(y))
        # a record against the dict it stands for, and a record of another class: as before
        assert (x == plain(y)) == (plain(x) == plain(y))
        z = rng.choice(rb)
        if type(z) is not type(x):
            assert (x == z) == (plain(x) == plain(z))
            seen["other class"] += 1
        seen["equal" if want else {"slot": "slot differs", "extra": "extra differs", "missing": "slot missing",
                                   "none": "equal", "nested": "slot differs"}[what]] += 1
    assert all(seen.values()), seen


def test_cpu_and_desc_records_compare_by_value() -> None:
    w = _world()
    blob = pack_world(w)
    a, b = as_world(unpack_world(blob)), as_world(unpack_world(blob))
    c0, c1 = a["cpus"][0], b["cpus"][0]
    assert c0 == c1 and c0 is not c1
    c1["irr"][3] ^= 1 << 5
    assert c0 != c1 and a != b
    c1["irr"][3] ^= 1 << 5
    assert a == b
    k = next(iter(a["irqs"]))
    d0, d1 = a["irqs"][k], b["irqs"][k]
    assert d0 == d1 and d0 is not d1
    d1["prev_vector"] = 0x99 if d0["prev_vector"] != 0x99 else 0x98
    assert d0 != d1 and a != b
