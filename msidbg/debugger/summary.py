"""The ``--json`` summary of a run at its cursor, and the ``expect:`` comparison."""

from __future__ import annotations

from typing import Any

from msidbg.model.evtchn import pirq_map
from msidbg.scenario import Expect, Scenario
from msidbg.sim.scheduler import Hit
from msidbg.sim.world import state_hash


def hit_record(h: Hit) -> dict[str, Any]:
    return {"breakpoint": h.name, "event": h.event, "time_ns": h.time_ns, "detail": h.detail}


def vector_rows(w: dict[str, Any], dev: str) -> list[dict[str, Any]]:
    """One row per vector index that was raised or has an irq: the contract's counters.

    ``lost`` is raised - delivered, so ``raised == delivered + lost`` holds at any cursor;
    ``in_flight`` (an extension) is the part of ``lost`` that might still arrive.
    """
    a = w["acct"][dev]
    descs = w["kernel"]["pci"][dev]["descs"]
    rows = []
    for i, raised in enumerate(a["raised"]):
        if not raised and i >= len(descs):
            continue
        delivered = a["delivered"][i]
        rows.append({"index": i, "raised": raised, "delivered": delivered, "lost": raised - delivered,
                     "spurious": a["spurious"][i], "in_flight": raised - delivered - a["lost"][i]})
    return rows


def summary(scn: Scenario, w: dict[str, Any], hits: list[Hit], stop: dict[str, Any]) -> dict[str, Any]:
    """The contract's summary object; ``hits`` are the armed hits up to the cursor."""
    devices = {
        name: {"probe": w["kernel"]["pci"][name]["status"], "vectors": vector_rows(w, name)}
        for name in scn.devices
    }
    out = {
        "scenario": scn.name,
        "events": w["events"],
        "time_ns": w["now"],
        "state_hash": state_hash(w),
        "stopped": stop,
        "hits": [hit_record(h) for h in hits],
        "devices": devices,
        "seed": w["seed"],
        "schedule": w["policy"],
        # an extension (docs/scenario.md): switch -> {value, from, commit}, those that mean something here
        "behaviour": scn.behaviour.shown(scn.platform.kind),
    }
    pirqs = pirq_map(w)
    if pirqs is not None:
        out["pirqs"] = pirqs      # an extension on Xen platforms (docs/model-xen.md)
    return out


def totals(summ: dict[str, Any], dev: str, field: str) -> int:
    return sum(int(v[field]) for v in summ["devices"][dev]["vectors"])


def compare(expect: Expect, summ: dict[str, Any], detected: set[str]) -> list[str]:
    """Mismatches between a scenario's ``expect:`` and a finished run ("" list = match).

    ``detected`` is every semantic condition the model raised, armed or not.
    """
    bad = [f"expected breakpoint {n} to hit, it did not" for n in expect.hit if n not in detected]
    bad += [f"expected breakpoint {n} not to hit, it did" for n in expect.not_hit if n in detected]
    for field, table in (("lost", expect.lost), ("delivered", expect.delivered), ("spurious", expect.spurious)):
        for dev, want in table.items():
            got = totals(summ, dev, field)
            if got != want:
                bad.append(f"expected {dev} {field}={want}, got {got}")
    for dev, want_status in expect.probe.items():
        got_status = summ["devices"][dev]["probe"]
        if got_status != want_status:
            bad.append(f"expected {dev} probe={want_status!r}, got {got_status!r}")
    return bad
