"""The ``--json`` summary of a run at its cursor, and the ``expect:`` comparison."""

from __future__ import annotations

from typing import Any

from msidbg.model.cpu import DRIVER_ACTIONS, errname
from msidbg.scenario import Expect, Scenario
from msidbg.sim.rec import MAPS
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


def driver_state(w: dict[str, Any], dev: str) -> str:
    """Where the device's driver is, read from the model's actions at the cursor.

    ``probing`` / ``removing`` (or ``<action> running``) while a driver action for it is on a
    CPU's stack; else ``removed`` when its last driver action was a successful remove of a device
    some driver action had bound (``ok``: a remove of a ``not-probed`` device found no driver and
    leaves it ``not-probed``); else the driver status (``ok``, ``not-probed``, ``failed: E...``). The contract's ``probe``
    only says whether every action so far succeeded: it stays ``ok`` after a remove and while
    a second probe runs. A device's driver actions run on one CPU in file order, so the last
    one in the file that ran is the latest.
    """
    status = str(w["kernel"]["pci"][dev]["status"])
    acts = [a for a in w["actions"] if a["dev"] == dev and a["do"] in DRIVER_ACTIONS]
    running = [a["do"] for a in acts if a["state"] == "running"]
    if running:
        return RUNNING.get(running[-1], f"{running[-1]} running")
    done = [a for a in acts if a["state"] == "done" and a["do"] in ("probe", "remove")]
    if status == "ok" and done and done[-1]["do"] == "remove" and not _failed(done[-1]):
        return "removed"
    return status


RUNNING = {"probe": "probing", "remove": "removing"}


def _failed(act: dict[str, Any]) -> bool:
    return isinstance(act["result"], int) and act["result"] < 0


def summary(scn: Scenario, w: dict[str, Any], hits: list[Hit], stop: dict[str, Any]) -> dict[str, Any]:
    """The contract's summary object; ``hits`` are the armed hits up to the cursor."""
    devices = {
        name: {"probe": w["kernel"]["pci"][name]["status"], "driver": driver_state(w, name),
               "vectors": vector_rows(w, name)}
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
        # an extension (docs/scenario.md): switch -> {value, from, commit}, those that mean something here,
        # as the run at this world used them (a snapshot opened unverified: as its writer resolved them)
        "behaviour": behaviour(scn, w),
    }
    # an extension (docs/debugger.md): every action that returned an error, driver's or not
    out["failed_actions"] = failed_actions(w)
    # an extension (docs/debugger.md): the CPU actions a finished run never started
    out["not_started"] = not_started(w) if isinstance(stop, dict) and stop.get("reason") == "end" else []
    pirqs = None
    if w.get("xen") is not None:    # (the Xen side is imported on first use: model/platforms.py)
        from msidbg.model.platforms import load_xen
        load_xen()
        from msidbg.model.evtchn import pirq_map
        pirqs = pirq_map(w)
    if pirqs is not None:
        out["pirqs"] = pirqs      # an extension on Xen platforms (docs/model-xen.md)
    return out


#: at most this many failed actions are listed (a stranger's snapshot may hold many)
MAX_FAILED_ACTIONS = 1000


def failed_actions(w: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{action, do, dev, cpu, result, error}]``: the actions done with a negative result, in
    file order. A driver action's error also fails its device (``probe``, ``probe-failed``); an
    administrator's (``set_affinity``, ``cpu_offline``, ...) shows only here and in its
    ``action.done`` event."""
    out: list[dict[str, Any]] = []
    acts = w.get("actions")
    for i, a in enumerate(acts if isinstance(acts, list) else []):
        r = a.get("result") if isinstance(a, dict) else None
        if a.get("state") != "done" or not isinstance(r, int) or isinstance(r, bool) or r >= 0:
            continue
        out.append({"action": i, "do": str(a.get("do")), "dev": a.get("dev"), "cpu": a.get("on"),
                    "result": r, "error": errname(r)})
        if len(out) >= MAX_FAILED_ACTIONS:
            break
    return out


def not_started(w: dict[str, Any]) -> list[dict[str, Any]]:
    """``[{action, do, dev, cpu, at_ns, behind}]``: the actions still queued on their CPU (state
    ``queued``) in a world whose run has ended, in file order. An action starts when the one before it
    on its CPU has finished; one behind an action that never finished (a spin wait nothing can end, a
    wait nothing wakes) never starts, and nothing else says so (no event, no error, its device's
    signals never raised). ``behind``: the action still running on that CPU at the end (its index in
    ``run:``), or None. At most ``MAX_FAILED_ACTIONS``. Only meaningful at the end of a run: the
    summary lists them when ``stopped.reason`` is ``end`` (else ``[]``)."""
    out: list[dict[str, Any]] = []
    acts = w.get("actions")
    cpus = w.get("cpus")
    cpus = cpus if isinstance(cpus, list) else []
    for i, a in enumerate(acts if isinstance(acts, list) else []):
        if not isinstance(a, dict) or a.get("state") != "queued":
            continue
        on = a.get("on")
        behind = None
        if isinstance(on, int) and not isinstance(on, bool) and 0 <= on < len(cpus):
            proc = cpus[on].get("proc") if isinstance(cpus[on], MAPS) else None
            run = proc.get("action") if isinstance(proc, MAPS) else None
            if isinstance(run, int) and not isinstance(run, bool) and run >= 0:
                behind = run
        at = a.get("at")
        out.append({"action": i, "do": str(a.get("do")), "dev": a.get("dev"), "cpu": on,
                    "at_ns": at if isinstance(at, int) and not isinstance(at, bool) else None, "behind": behind})
        if len(out) >= MAX_FAILED_ACTIONS:
            break
    return out


def failed_action_line(a: dict[str, Any]) -> str:
    """``action N (do: X on CPU c) failed: ENAME (-n)`` (+ its device): one of ``failed_actions``."""
    tail = f" (dev {a['dev']})" if a.get("dev") is not None else ""
    return f"action {a['action']} (do: {a['do']} on CPU{a['cpu']}) failed: {a['error']} ({a['result']}){tail}"


def not_started_line(a: dict[str, Any]) -> str:
    """``action N (do: X on CPU c) never started`` (+ its device, + the action it waited behind)."""
    more = [f"dev {a['dev']}"] if a.get("dev") is not None else []
    if a.get("behind") is not None:
        more.append(f"queued behind action {a['behind']}, still running")
    tail = f" ({'; '.join(more)})" if more else ""
    return f"action {a['action']} (do: {a['do']} on CPU{a['cpu']}) never started{tail}"


#: a switch the world records that this msidbg does not know: at most this many are shown
MAX_UNKNOWN_SWITCHES = 64
RECORDED = "recorded"
NOT_RECORDED = "not recorded (the file's model had no such switch)"
UNKNOWN = "recorded; a switch this msidbg does not know"


def behaviour(scn: Scenario, w: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The behaviour switches the run at ``w`` used: ``{switch: {value, from, commit}}``.

    The values are the world's (``w["behaviour"]``, what the model read); where they came from and
    the commit behind them are this msidbg's resolution of the scenario (``scn.behaviour``). For a
    run of this msidbg (or a verified snapshot) the two agree. A snapshot opened without
    verification carries the values its writer resolved: a switch this msidbg resolves differently
    says ``"from": "recorded"`` and adds ``"this_msidbg": {value, from, commit}``; one the file
    lacks has value None and says so; one this msidbg does not know is listed after the others
    (at most ``MAX_UNKNOWN_SWITCHES``), ``"from"`` saying so."""
    from msidbg import behaviour as bh

    here = scn.behaviour.shown(scn.platform.kind, scn.platform.iommu)
    raw = w.get("behaviour")
    table = isinstance(raw, dict)
    recorded: dict[Any, Any] = raw if isinstance(raw, dict) else {}
    out: dict[str, dict[str, Any]] = {}
    rows = bh.by_name()
    for name, row in here.items():
        if table and name not in recorded and rows[name].sparse:
            # a ``sparse`` row is in a world's table only off its default: absent, the model read the default
            # (a file without a table at all records nothing)
            recorded = {**recorded, name: rows[name].default}
        if name not in recorded:
            out[name] = {"value": None, "from": NOT_RECORDED, "commit": "", "this_msidbg": row}
        elif not _same(recorded[name], row["value"]):
            out[name] = {"value": recorded[name], "from": RECORDED, "commit": "", "this_msidbg": row}
        else:
            out[name] = row
    known = {r.name for r in bh.rows()}
    unknown = sorted((k for k in recorded if k not in known), key=str)
    for name in unknown[:MAX_UNKNOWN_SWITCHES]:
        out[str(name)] = {"value": recorded[name], "from": UNKNOWN, "commit": ""}
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same type (``True`` is not ``1``)."""
    return type(a) is type(b) and a == b


def differing(table: dict[str, dict[str, Any]]) -> list[str]:
    """The switches of a ``behaviour`` table this msidbg would resolve differently (or does not know)."""
    return [name for name, b in table.items() if "this_msidbg" in b or b.get("from") == UNKNOWN]


def totals(summ: dict[str, Any], dev: str, field: str) -> int:
    return sum(int(v[field]) for v in summ["devices"][dev]["vectors"])


def compare(expect: Expect, summ: dict[str, Any], detected: set[str]) -> list[str]:
    """Mismatches between a scenario's ``expect:`` and a finished run ("" list = match).

    ``detected`` is every semantic condition the model raised, armed or not. A run that did not end
    (``summ["stopped"]["reason"]`` is not ``end``: cut at a limit) has no outcome to compare: its
    counts and statuses are those of the cut, and an action still queued there might start later. Only
    ``not_started`` is judged then, and it fails: it says which actions the *finished* run leaves
    unstarted, and a run that never finishes keeps a CPU from finishing its action for ever, the bug
    class the field is for (explore23). Without ``not_started`` a cut run matches.
    """
    stop = summ.get("stopped")
    if isinstance(stop, dict) and stop.get("reason") != "end":
        if expect.not_started is None:
            return []
        return [f"expected not_started={list(expect.not_started)}, the run did not end (stopped: "
                f"{stop.get('reason')} at event {stop.get('event')})"]
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
    if expect.not_started is not None:
        got_never = [a["action"] for a in summ.get("not_started") or []]
        if got_never != list(expect.not_started):
            bad.append(f"expected not_started={list(expect.not_started)}, got {got_never}")
    return bad
