"""Helpers for the cause-chain tests: find events in a run's log by what they are."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from msidbg.sim.events import Event

ROOT = Path(__file__).resolve().parent.parent
SCN = ROOT / "scenarios"


def ran(name: str, folder: Path = SCN) -> Session:
    """The scenario ``folder/name.yaml`` run to its end."""
    s = Session.from_scenario(str(folder / f"{name}.yaml"))
    s.run()
    return s


def links(why: Any) -> list[tuple[str, str | None]]:
    """A chain as (link kind, state path) pairs, symptom first."""
    return [(lk.link, lk.path) for lk in why.chain]


def events(s: Session, kind: str, **fields: Any) -> list[Event]:
    """Every event of ``kind`` whose fields (or cpu / dev) match."""
    out = []
    for e in s.events(1, s.total + 1):
        if e.kind != kind:
            continue
        if all((getattr(e, k) if k in ("cpu", "dev") else e.fields.get(k)) == v for k, v in fields.items()):
            out.append(e)
    return out


def one(s: Session, kind: str, test: Callable[[Event], bool] | None = None, **fields: Any) -> int:
    """The index of the only event of ``kind`` matching ``fields`` (and ``test``)."""
    got = [e for e in events(s, kind, **fields) if test is None or test(e)]
    assert len(got) == 1, f"{kind} {fields}: {[str(e) for e in got]}"
    return got[0].index


def first_hit(s: Session, name: str, dev: str | None = None) -> Any:
    return next(h for h in s.hits() if h.name == name and (dev is None or h.detail.startswith(dev)))


def tree(why: Any) -> dict[int, list[str]]:
    """event -> the record kinds of the links at that event, over the whole answer."""
    out: dict[int, list[str]] = {}
    for lk in why.links():
        out.setdefault(lk.event, []).append(lk.link)
    return out


def cli(*args: str) -> tuple[int, str, str]:
    """``msidbg ARGS`` in this process: (exit code, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from msidbg.cli import main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(list(args))
        except SystemExit as e:
            rc = int(e.code or 0)
    return rc, out.getvalue(), err.getvalue()
