"""``why --what-if``: the behaviour rows whose other value would have removed the symptom.

Recorded provenance names only steps that ran: a loss caused by a step the named version *lacks*
(Xen 4.3.1 has no ``msix_write_completion``, 74fd0036de) ends at "a mask nobody cleared". This is
an explicit, bounded counterfactual: the scenario is re-run once per candidate behaviour row with
that row flipped to another value, and a row is named when its flipped run no longer shows the
symptom. Nothing is inferred: the answer comes only from re-running the model.

Candidates: every row of the behaviour table that means something on the scenario's platform
(``Switch.kinds``, ``Switch.iommu``), whose value in this run differs from the newest release's
(the value of its last ``Change``; the default for a row with no history), flipped to each of its
other values that is not hypothetical, in table order. The symptom is the target's: an armed hit
(its breakpoint, counted at the device it is about, as ``diff``'s per-device outcome counts it) or
a failed scenario action (its index, a negative result). A flipped run is a fresh session of the
same scenario, seed, schedule and armed breakpoints, recorded as ``diff`` records a run; its
outcome is ``diff.outcome`` and, for a row that removed the symptom, the first divergence from the
unflipped run is ``diff.compare``'s. Bounded by runs and seconds (``Budget``); KeyboardInterrupt
stops it between or inside runs, and what was found so far is returned.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from msidbg import behaviour as bh
from msidbg.sim.scheduler import Hit

#: the default bound: at most this many flipped runs, and this many seconds
DEFAULT_RUNS = 120
DEFAULT_SECONDS = 300.0
MAX_RUNS = 10_000
MAX_SECONDS = 86_400.0


#: a flipped run that has not ended after this many times the unflipped run's events (at least
#: MIN_RUN_EVENTS) or seconds (at least MIN_RUN_SECONDS) is cut and not judged: a flip can make the
#: model spin (a wait nothing ends) or storm
RUN_FACTOR = 20
MIN_RUN_EVENTS = 1_000_000
MIN_RUN_SECONDS = 30.0


class _Overrun(BaseException):
    """Raised by the per-run alarm inside a flipped run (BaseException: no ``except Exception`` in the
    model swallows it)."""


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise ``_Overrun`` after ``seconds`` of wall time -- in the main thread, when SIGALRM is not taken;
    elsewhere nothing (a run is then bounded by its events only)."""
    import signal
    import threading

    if (threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer")
            or signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, None)):
        yield
        return

    def overrun(signum: int, frame: Any) -> None:
        raise _Overrun
    old = signal.signal(signal.SIGALRM, overrun)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class WhatIfError(ValueError):
    """A target without a symptom to remove (a value, an event that is no hit), or a bad budget;
    ``option`` as ``WhyError``'s."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(f"{option}: {message}" if option else message)
        self.message, self.option = message, option


@dataclass(frozen=True)
class Budget:
    """At most ``runs`` flipped runs and ``seconds`` of wall time (a run is never cut: the bound is
    checked before each)."""

    runs: int = DEFAULT_RUNS
    seconds: float = DEFAULT_SECONDS
    #: one flipped run is cut (and not judged) after this many seconds; None: RUN_SECONDS_FACTOR times
    #: the unflipped run's, at least MIN_RUN_SECONDS. Never more than what is left of ``seconds``
    run_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "seconds": self.seconds, "run_seconds": self.run_seconds}


_BUDGET = re.compile(r"(\d{1,9})(s?)", re.ASCII)


def parse_budget(text: str) -> Budget:
    """``--what-if-budget``: ``N`` runs or ``Ns`` seconds; the bound given replaces both defaults (the
    other goes to its maximum: ``40`` is 40 runs however long, up to a day; ``90s`` is 90 seconds of
    up to 10,000 runs -- this docstring said the other kept its default, which no code did). Both
    start at 1: ``0`` ran no flipped run (a what-if that answers nothing, with exit 0) where ``0s``
    was refused; a user who wants no flipped run drops ``--what-if``."""
    expected = f"expected 1..{MAX_RUNS} runs (\"40\") or 1s..{int(MAX_SECONDS)}s (\"90s\")"
    m = _BUDGET.fullmatch(text.strip())
    shown = repr(text if len(text) <= 40 else text[:40] + "...")   # 5,000 digits were a 5,000-character line
    if m is None:
        raise WhatIfError(f"{shown} is not a number of runs or of seconds ({expected})", "--what-if-budget")
    n = int(m.group(1))
    if n == 0:
        raise WhatIfError(f"{shown} runs no flipped run ({expected}; for the cause chain alone drop --what-if)",
                          "--what-if-budget")
    if m.group(2):
        if n > MAX_SECONDS:
            raise WhatIfError(f"{shown} is out of range ({expected})", "--what-if-budget")
        return Budget(MAX_RUNS, float(n))
    if n > MAX_RUNS:
        raise WhatIfError(f"{shown} is out of range ({expected})", "--what-if-budget")
    return Budget(n, MAX_SECONDS)


def budget_arg(text: str) -> str:
    """An argparse type for ``why --what-if-budget``: ``text`` checked by ``parse_budget`` as the command
    line is parsed, so its error names the subcommand and the option as argparse's do -- ``why: argument
    --what-if-budget: '0' runs no flipped run (expected ...) (see 'msidbg why --help')`` (hardening31)."""
    from argparse import ArgumentTypeError

    try:
        parse_budget(text)
    except WhatIfError as e:
        raise ArgumentTypeError(e.message) from None
    return text


budget_arg.wanted = f"1..{MAX_RUNS} runs (\"40\") or 1s..{int(MAX_SECONDS)}s (\"90s\")"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Symptom:
    """What must go away: ``kind`` hit (``name`` at ``dev``; None: counted run-wide) or action
    (scenario action ``action`` failing)."""

    kind: str
    text: str
    name: str | None = None
    dev: str | None = None
    action: int | None = None

    def count(self, outcome: dict[str, Any]) -> int:
        """How often the symptom shows in a ``diff.outcome``: hits of the breakpoint at the device,
        or 1 when the action failed (a negative result), else 0."""
        if self.kind == "action":
            acts = outcome.get("actions", [])
            a = acts[self.action] if self.action is not None and self.action < len(acts) else None
            return 1 if a is not None and isinstance(a["result"], int) and a["result"] < 0 else 0
        if self.dev is None:
            return int(outcome["hits"].get(self.name, 0))
        dev = outcome["devices"].get(self.dev)
        return int(dev["hits"].get(self.name, 0)) if dev is not None else 0

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "breakpoint": self.name, "dev": self.dev,
                "action": self.action}


@dataclass
class Flip:
    """One flipped run: the row, its value here and the value tried, the change behind that value,
    and what the run showed."""

    switch: str
    key: str
    from_: Any
    to: Any
    change: dict[str, Any] | None
    #: True / False; None when the run could not be made (``error``)
    symptom_gone: bool | None = None
    count: int | None = None
    #: the device's (or run's) hits the flipped run has and this one has not
    new_hits: dict[str, int] = field(default_factory=dict)
    first_divergence: dict[str, Any] | None = None
    error: str = ""
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = {"switch": self.switch, "key": self.key, "from": self.from_, "to": self.to, "change": self.change,
               "symptom_gone": self.symptom_gone, "first_divergence": self.first_divergence,
               "symptom_count": self.count, "new_hits": self.new_hits, "events": self.events}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class WhatIf:
    """The counterfactual's answer: the symptom, every flip tried, and how the search ended."""

    symptom: Symptom
    base_count: int
    candidates: int
    flips: list[Flip]
    budget: Budget
    #: "done" (every candidate ran), "budget" (runs or seconds ran out), "interrupted" (Ctrl-C)
    ended: str = "done"
    seconds: float = 0.0
    #: the candidates not run (budget or interrupt), as ``switch=value``
    not_run: list[str] = field(default_factory=list)

    def gone(self) -> list[Flip]:
        """The flips whose run no longer shows the symptom."""
        return [f for f in self.flips if f.symptom_gone]

    def as_list(self) -> list[dict[str, Any]]:
        """``why --json``'s ``what_if``: the rows whose flip removes the symptom."""
        return [f.as_dict() for f in self.gone()]

    def info(self) -> dict[str, Any]:
        """``why --json``'s ``what_if_run`` (an extension): how the search went."""
        return {"symptom": self.symptom.as_dict(), "symptom_count": self.base_count, "candidates": self.candidates,
                "runs": len(self.flips), "ended": self.ended, "budget": self.budget.as_dict(),
                "seconds": round(self.seconds, 3), "not_run": self.not_run,
                "kept": [f"{f.switch}={_yaml(f.to)}" for f in self.flips if f.symptom_gone is False],
                # flips that made the symptom rarer without removing it (3 hits -> 1)
                "reduced": [{"switch": f.switch, "to": f.to, "symptom_count": f.count} for f in self.flips
                            if f.symptom_gone is False and f.count is not None and f.count < self.base_count],
                "errors": [{"switch": f.switch, "to": f.to, "error": f.error} for f in self.flips if f.error]}

    def text(self) -> str:
        """The short section ``msidbg why --what-if`` prints after the chain."""
        lines = [f"what if (re-run with one behaviour row flipped; symptom: {self.symptom.text}):"]
        for f in self.gone():
            ch = f.change or {}
            what = ch.get("commit") or ""
            if ch.get("title"):
                what += f" {ch['title']}"
            rel = ch.get("in_series") or ch.get("release")
            lines.append(f"  {f.key}: {_yaml(f.from_)} -> {_yaml(f.to)} removes it"
                         + (f" ({what}{', ' + str(rel) if rel else ''})" if what else ""))
            d = f.first_divergence
            if d is not None:
                a, b = d["a"], d["b"]
                here = f"#{a['event']} {a['kind']}" if a.get("event") is not None else "(no more steps)"
                there = f"#{b['event']} {b['kind']}" if b.get("event") is not None else "(no more steps)"
                lines.append(f"    first divergence: {d['context']}: here {here}, flipped {there}"
                             + (f" at {b['stack'][0]}" if b.get("stack") else ""))
            if f.new_hits:
                lines.append("    but the flipped run hits " + ", ".join(f"{k} {n}" for k, n in sorted(f.new_hits.items())))
        if not self.gone():
            lines.append("  none: " + ("the symptom does not show in a fresh run of the scenario" if not self.base_count
                                       else "no flipped row removed it" if self.candidates and self.ended == "done"
                                       else "no flipped row removed it in the runs made" if self.candidates
                                       else "every row that applies here has the newest release's value"))
        kept = sum(1 for f in self.flips if f.symptom_gone is False)
        errs = sum(1 for f in self.flips if f.error)
        end = {"done": "", "budget": "; budget exhausted", "interrupted": "; interrupted"}[self.ended]
        lines.append(f"  {len(self.flips)} of {self.candidates} runs in {self.seconds:.1f}s ({kept} kept the symptom"
                     + (f", {errs} could not run" if errs else "") + f"){end}")
        bad = [f for f in self.flips if f.error]
        for f in bad[:4]:
            lines.append(f"  not judged: {f.key}={_yaml(f.to)}: {f.error}")
        if len(bad) > 4:
            lines.append(f"  ... and {len(bad) - 4} more not judged (--json: what_if_run.errors)")
        if self.not_run:
            shown = ", ".join(self.not_run[:8]) + (", ..." if len(self.not_run) > 8 else "")
            lines.append(f"  not run ({len(self.not_run)}): {shown}")
        return "\n".join(lines)


def _yaml(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


# --- the symptom -------------------------------------------------------------------------------------------
_ACTION = re.compile(r"actions\[([0-9]+)\](?:\.(?:result|error))?\Z")


def symptom_of(s: Any, target: Hit | int | str) -> Symptom:
    """The symptom of a ``why`` target: an armed hit (or the armed hit at an event), or a failed
    scenario action (``actions[N]``, ``.result``, ``.error``). WhatIfError for anything else."""
    from msidbg.debugger.why import hit_devices

    if isinstance(target, int) and not isinstance(target, bool):
        at = [h for h in s.armed_hits() if h.event == target]
        if not at:
            raise WhatIfError(f"event {target} is no armed breakpoint hit (expected a hit's event, --hit N, or "
                              "--path actions[N] of a failed action)", "--what-if")
        target = at[0]
    if isinstance(target, Hit):
        dev = hit_devices(s, [target])[0]
        where = f" at {dev}" if dev is not None else ""
        return Symptom("hit", f"{target.name}{where}", name=target.name, dev=dev)
    if isinstance(target, str):
        m = _ACTION.match(target.replace(" ", ""))
        acts = s.world.get("actions")
        if m is not None and isinstance(acts, list) and int(m.group(1)) < len(acts):
            n = int(m.group(1))
            r = acts[n].get("result")
            if isinstance(r, int) and not isinstance(r, bool) and r < 0:
                return Symptom("action", f"action #{n} {acts[n].get('do')} failing ({r})", action=n)
        raise WhatIfError(f"{target!r} is no symptom (expected a hit, or actions[N] of an action that failed)",
                          "--what-if")
    raise WhatIfError(f"{target!r} is no symptom (expected a hit or a failed action)", "--what-if")


# --- the candidates ----------------------------------------------------------------------------------------
def newest_value(row: bh.Switch) -> Any:
    """The row's value in the newest release: its last change's, or the default without history."""
    return row.history[-1].value if row.history else row.default


def candidates(scn: Any) -> list[tuple[bh.Switch, Any, Any]]:
    """(row, value here, value to try) for every row that applies to the scenario's platform, whose
    value here differs from the newest release's, and each of its other non-hypothetical values."""
    p = scn.platform
    here = scn.behaviour.plain(p.kind, p.iommu)
    out = []
    for row in bh.rows():
        if row.name not in here or p.kind not in row.kinds or row.iommu not in (None, p.iommu):
            continue
        v = here[row.name]
        if v == newest_value(row):
            continue
        out += [(row, v, to) for to in row.values if to != v and to not in row.hypothetical]
    return out


def change_for(row: bh.Switch, to: Any, versions: dict[str, str]) -> dict[str, Any] | None:
    """The change that gives ``row`` the value ``to`` (its latest one), with the commit, its title,
    the release, the backports and -- when this run's release of that layer is in a series the
    change was backported to -- that backport (``in_series``). None when ``to`` is no change's value
    (the initial value: ``before`` names the first change)."""
    found = next((c for c in reversed(row.history) if c.value == to), None)
    if found is None:
        if row.history:
            first = row.history[0]
            return {"commit": None, "title": None, "release": None, "backports": [], "confirmed": row.initial_confirmed,
                    "before": first.commit.split(" ")[0]}
        return None
    head, _, title = found.commit.partition(" ")
    if not re.fullmatch(r"[0-9a-f]{7,40}", head):
        head, title = found.commit, ""
    out: dict[str, Any] = {"commit": head, "title": title or None, "release": found.release,
                           "backports": list(found.backports), "confirmed": found.confirmed}
    version = versions.get(row.layer)
    if version is not None:
        series = ".".join(version.removeprefix("qemu-xen-").split(".")[:2])
        for b in found.backports:
            if ".".join(b.removeprefix("qemu-xen-").split(".")[:2]) == series:
                out["in_series"] = b
    return out


def flipped_scenario(scn: Any, row: bh.Switch, to: Any) -> Any:
    """The scenario with ``row`` written explicitly as ``to``: its text loaded again with the switch
    as if written in the file (the loader's checks that read the table run: a combination msidbg does
    not model is a ScenarioError of this flip), and its table resolved now (a value outside the row's
    release window raises VersionError here). A scenario made in code, without text: the switch set
    on the loaded one."""
    if scn.text:
        from msidbg.scenario import load_scenario_text

        new = load_scenario_text(scn.text, scn.path, {row.name: to}, recorded=True)
    elif bh.SECTION[row.layer] == "kernel":
        new = dataclasses.replace(scn, kernel=dataclasses.replace(
            scn.kernel, switches={**scn.kernel.switches, row.name: to}))
    else:
        new = dataclasses.replace(scn, platform=dataclasses.replace(
            scn.platform, switches={**scn.platform.switches, row.name: to}))
    new.behaviour    # noqa: B018 -- resolve the table now (an impossible value is an error of this flip)
    return new


# --- running -----------------------------------------------------------------------------------------------
def _fresh(s: Any, scn: Any) -> Any:
    """A session at event 0 of ``scn`` with ``s``'s seed, schedule and armed breakpoints."""
    from msidbg.debugger.session import Session

    fresh = Session(scn, s.seed, arm=False, schedule=s.schedule)
    for b in s.breakpoints:
        fresh.enable_breakpoint(fresh.add_breakpoint(b.spec), b.enabled)
    return fresh


def what_if(s: Any, target: Hit | int | str, budget: Budget | None = None,
            tick: Callable[[Any, str], None] | None = None) -> WhatIf:
    """Re-run ``s``'s scenario once per candidate flip and name the flips that remove ``target``'s
    symptom (see the module docstring). ``tick(session, what)`` is called as runs progress."""
    from msidbg.debugger.diff import compare, outcome, record_run

    budget = budget or Budget()
    symptom = symptom_of(s, target)
    scn = s.scenario
    path = scn.path or scn.name
    cands = candidates(scn)
    versions = {layer: text for layer, text in scn.behaviour.versions}
    start = time.monotonic()
    flips: list[Flip] = []
    ended = "done"
    base = None
    base_count = 0
    cands_run: list[tuple[bh.Switch, Any, Any]] = []
    try:
        fresh = _fresh(s, scn)
        if tick is not None:
            tick(fresh, "what-if: this run, recorded")
        t0 = time.monotonic()
        # this run again: as far as the asked run went, or to its end within the default cap (a run
        # that does not end ran for hours here after the why run was cut; hardening27)
        from msidbg.debugger.headless import DEFAULT_MAX_EVENTS

        base = record_run("a", path, fresh, max(DEFAULT_MAX_EVENTS, s.cursor))
        base_s = time.monotonic() - t0
        per_run = budget.run_seconds if budget.run_seconds is not None else max(MIN_RUN_SECONDS, RUN_FACTOR * base_s)
        cap = max(MIN_RUN_EVENTS, RUN_FACTOR * len(base.log))
        base_out = outcome(base)
        base_count = symptom.count(base_out)
        cands_run = cands if base_count else []
        for i, (row, here, to) in enumerate(cands_run):
            if i >= budget.runs or time.monotonic() - start >= budget.seconds:
                ended = "budget"
                break
            flip = Flip(row.name, row.key, here, to, change_for(row, to, versions))
            left = budget.seconds - (time.monotonic() - start)
            try:
                with _alarm(min(per_run, left)):
                    fscn = flipped_scenario(scn, row, to)
                    fresh = _fresh(s, fscn)
                    if tick is not None:
                        tick(fresh, f"what-if {i + 1}/{len(cands_run)} {row.name}={_yaml(to)}")
                    run = record_run("b", path, fresh, cap)
            except _Overrun:
                if left < per_run:     # the budget's seconds ran out inside this run: it is not run
                    ended = "budget"
                    break
                flip.error = (f"did not end within {per_run:g} s (the run as it is took {base_s:.2f} s): "
                              "not judged")
                flips.append(flip)
                continue
            except (KeyboardInterrupt, MemoryError):
                raise
            except Exception as e:   # noqa: BLE001 -- a combination the model cannot run is this flip's answer
                flip.error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
                flips.append(flip)
                continue
            if not run.session.ended:
                flip.error = (f"did not end within {cap:,} events (the run as it is has {len(base.log):,}): "
                              "not judged")
                flip.events = len(run.log)
                flips.append(flip)
                continue
            out = outcome(run)
            flip.count = symptom.count(out)
            flip.symptom_gone = flip.count == 0
            flip.events = len(run.log)
            flip.new_hits = _new_hits(symptom, base_out, out)
            if flip.symptom_gone:
                first = compare(base, run).first
                flip.first_divergence = first.as_dict() if first is not None else None
            flips.append(flip)
    except KeyboardInterrupt:
        ended = "interrupted"
        if base is None:
            cands_run = cands
    done = len(flips)
    not_run = [f"{row.name}={_yaml(to)}" for row, _, to in cands_run[done:]] if ended != "done" else []
    return WhatIf(symptom, base_count, len(cands_run), flips, budget, ended, time.monotonic() - start, not_run)


def _new_hits(symptom: Symptom, a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    """Hits the flipped run has (at the symptom's device, else run-wide) that the run asked about has not."""
    if symptom.dev is not None:
        ha = a["devices"].get(symptom.dev, {}).get("hits", {})
        hb = b["devices"].get(symptom.dev, {}).get("hits", {})
    else:
        ha, hb = a["hits"], b["hits"]
    return {k: n for k, n in hb.items() if n > ha.get(k, 0)}
