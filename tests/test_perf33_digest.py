"""perf33: the TUI digest's kernel column read off irq descriptor records at C speed (``attrgetter``) and the
freed-irq test by identity; the digest must be value for value what the dict-face reading gave."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import pytest

from msidbg.debugger.session import Session
from msidbg.scenario import load_scenario
from msidbg.sim.rec import DescRec
from msidbg.tui import digest, table

_OLD_DESC = itemgetter("irq", "cpu", "vector", "activated", "started", "move_in_progress", "prev_cpu",
                       "prev_vector", "chip")


def _old_kernel(w: Any, dev: str) -> dict[int, tuple[Any, ...]]:
    """``digest._kernel`` as it was before perf33 (the dict face of every descriptor, ``None in``)."""
    p = w["kernel"]["pci"][dev]
    if not p["descs"]:
        return {}
    first = 0 if p.get("mode") == "msix" else table.msix_count(w, dev)
    found = [w["irqs"].get(d["irq"]) for d in p["descs"]]
    rows = [first + d["index"] for d in p["descs"]]
    out = {row: _OLD_DESC(d) for row, d in zip(rows, found, strict=True) if d is not None}
    guest = w["kernel"].get("xen", {}).get("irqs")
    if guest:
        for dsc in p["descs"]:
            rec = guest.get(dsc["irq"])
            row = first + dsc["index"]
            if rec is not None and row in out:
                out[row] = out[row] + (rec["pirq"], rec["port"])
    return out


@pytest.fixture(scope="module")
def world() -> Any:
    s = Session(load_scenario("scenarios/msix-write-while-unmasked.yaml"), 0)
    s.run()
    return s.world


def test_kernel_rows_as_before(world: Any) -> None:
    w = world
    devs = [d for d in w["devices"] if w["kernel"]["pci"][d]["descs"]]
    assert devs
    for dev in devs:
        irqs = [d["irq"] for d in w["kernel"]["pci"][dev]["descs"]]
        assert all(type(w["irqs"][i]) is DescRec for i in irqs if i in w["irqs"])
        got = digest._kernel(w, dev)
        assert got == _old_kernel(w, dev) and len(got) == len(irqs)
        # a freed irq (its descriptor gone from ``irqs``): its row has no kernel state, the others keep theirs
        gone = irqs[0]
        saved = w["irqs"].pop(gone)
        try:
            got = digest._kernel(w, dev)
            assert got == _old_kernel(w, dev) and len(got) == len(irqs) - 1
        finally:
            w["irqs"][gone] = saved
        # plain dict descriptors (a world built by hand) read the same
        saved_all = {i: w["irqs"][i] for i in irqs}
        try:
            for i in irqs:
                w["irqs"][i] = saved_all[i].to_dict()
            assert digest._kernel(w, dev) == _old_kernel(w, dev)
            w["irqs"][irqs[-1]] = saved_all[irqs[-1]]      # mixed: records and dicts
            assert digest._kernel(w, dev) == _old_kernel(w, dev)
        finally:
            w["irqs"].update(saved_all)


def test_changed_descriptor_field_is_a_changed_row(world: Any) -> None:
    w = world
    dev = next(d for d in w["devices"] if w["kernel"]["pci"][d]["descs"])
    before = digest.take(w)
    d0 = w["kernel"]["pci"][dev]["descs"][-1]
    first = 0 if w["kernel"]["pci"][dev].get("mode") == "msix" else table.msix_count(w, dev)
    desc = w["irqs"][d0["irq"]]
    for field in ("prev_vector", "chip", "move_in_progress"):
        old = desc[field]
        desc[field] = not old if isinstance(old, bool) else "other-chip" if isinstance(old, str) else 0x99
        try:
            ch = digest.diff(before, digest.take(w))
            assert ch.rows == {dev: frozenset({first + d0["index"]})}, field
        finally:
            desc[field] = old
    assert digest.diff(before, digest.take(w)).rows == {}
