"""Generate ``docs/fidelity.md``: what each mechanism follows upstream, and every reading.

    python -m msidbg.model.fidelity            # rewrite docs/fidelity.md
    python -m msidbg.model.fidelity --check    # exit 1 if it is stale

The page is built from the programs' sources (``program(..., source=...)``), the hardware
modules' citations (``cite.module``), the readings registry (``cite.reading``) and the
behaviour table (``msidbg.behaviour``); nothing in it is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import msidbg.model  # noqa: F401  (registers every program, reading and module citation)
from msidbg import behaviour as bh
from msidbg.model import cite, platforms
from msidbg.sim.program import PROGRAMS

platforms.load_all()    # (the Xen side's programs and readings: imported on first use)

DOC = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


def _value(v: Any) -> str:
    return f"`{str(v).lower() if isinstance(v, bool) else v}`"


def _src(sources: tuple[Any, ...]) -> str:
    return "<br>".join(str(s) for s in sources) if sources else "**not cited yet**"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _behaviour() -> list[str]:
    out = ["## Behaviour table", "",
           "Resolution: an explicit switch in the scenario > the version (`kernel.version`, `platform.xen`, "
           "`platform.qemu`; `platform.xen` alone implies its device model) > the current-upstream default. "
           "A release carries a change from its mainline release on, and a stable release from the first "
           "release of its series that got the backport. *Hypothetical* values are accepted when written "
           "explicitly and never chosen by a version or the default.", "",
           "| switch | values | default | history | hypothetical |", "| --- | --- | --- | --- | --- |"]
    for row in bh.rows():
        hist = [f"before: {_value(row.initial)}" + (f" ({'unconfirmed: ' if not row.initial_confirmed else ''}"
                                                     f"{row.initial_note})" if row.initial_note else "")
                ] if row.history else []
        for c in row.history:
            back = f", backported to {', '.join(c.backports)}" if c.backports else ""
            unconf = f" *(unconfirmed: {', '.join(c.unconfirmed)})*" if c.unconfirmed else ""
            note = f" -- {c.note}" if c.note else ""
            hist.append(f"{c.release}{back}: {_value(c.value)} -- {c.commit}{unconf}{note}")
        if row.traditional_history:
            hist.append(f"qemu-traditional before Xen {row.traditional_history[0].release}: "
                        f"{_value(row.traditional_initial)}")
            for c in row.traditional_history:
                back = f", backported to {', '.join(c.backports)}" if c.backports else ""
                hist.append(f"qemu-traditional of Xen {c.release}{back}: {_value(c.value)} -- {c.commit}")
        if row.traditional is not None:
            hist.append(f"qemu-traditional: {_value(row.traditional.value)} -- {row.traditional.commit}")
        if row.xen_build is not None:
            first, value, source = row.xen_build
            hist.append(f"qemu-xen built against a Xen before {first}: {_value(value)} -- {source}")
        hyp = ", ".join(_value(v) for v in row.hypothetical) or "--"
        out.append(f"| `{row.key}` | {', '.join(_value(v) for v in row.values)} | {_value(row.default)} | "
                   f"{_cell('<br>'.join(hist)) or '--'} | {hyp} |")
    return out


def _programs() -> list[str]:
    out = ["## Programs (kernel, QEMU, Xen code paths)", "", "| program | module | follows |", "| --- | --- | --- |"]
    rows = []
    for name, p in PROGRAMS.items():
        where = p.steps[0].__module__.removeprefix("msidbg.model.") if p.steps else "?"
        rows.append((where, name, p))
    for where, name, p in sorted(rows):
        out.append(f"| `{name}` | {where} | {_cell(_src(p.sources))} |")
    return out


def _modules() -> list[str]:
    out = ["## Hardware and platform modules", "", "| module | follows |", "| --- | --- |"]
    for name in sorted(cite.MODULES):
        out.append(f"| `{name.removeprefix('msidbg.model.')}` | {_cell(_src(cite.MODULES[name]))} |")
    return out


def _readings() -> list[str]:
    out = ["## Readings", "",
           "Each is confirmed by a quoted source, or *hypothetical* (kept out of every default and preset).", "",
           "| reading | status | what the model takes as given | source | quote |", "| --- | --- | --- | --- | --- |"]
    for key in sorted(cite.READINGS):
        r = cite.READINGS[key]
        status = "confirmed" if r.status == "confirmed" else "*hypothetical*"
        quote = f"\"{r.quote}\"" if r.quote else "--"
        out.append(f"| `{key}` | {status} | {_cell(r.text)} | {_cell(_src(r.sources)) if r.sources else '--'} | "
                   f"{_cell(quote)} |")
    return out


def _gaps() -> list[str]:
    uncited = sorted(n for n, p in PROGRAMS.items() if not p.sources)
    hyp = sorted(k for k, r in cite.READINGS.items() if r.status == "hypothetical")
    unconf = unconfirmed_releases()
    initial = sorted(row.key for row in bh.rows() if row.history and not row.initial_confirmed)
    return ["## Open", "",
            f"- Programs without a source: {len(uncited)} of {len(PROGRAMS)}"
            + (f" ({', '.join(f'`{n}`' for n in uncited)})" if uncited else "") + ".",
            f"- Hypothetical readings: {len(hyp)}" + (f" ({', '.join(f'`{k}`' for k in hyp)})" if hyp else "") + ".",
            f"- Unconfirmed releases (the preset assumes the change there and flags the versions of that series: "
            f"docs/scenario.md): {len(unconf)}" + (f" ({', '.join(f'`{k}` {r}' for k, r in unconf)})" if unconf else "")
            + ".",
            f"- Unconfirmed values before a row's first change: {len(initial)}"
            + (f" ({', '.join(f'`{k}`' for k in initial)})" if initial else "") + ".",
            f"- Problems: {'; '.join(cite.problems()) or 'none'}."]


def unconfirmed_releases() -> list[tuple[str, str]]:
    """(switch, release) for every release or backport of a change that no primary source confirmed."""
    return sorted((row.key, u) for row in bh.rows() for c in (*row.history, *row.traditional_history)
                  for u in c.unconfirmed)


def render() -> str:
    parts = [["# Fidelity: what the model follows, and what it assumes", "",
              "Generated by `python -m msidbg.model.fidelity` from the programs' sources, the readings "
              "registry (`msidbg/model/cite.py`) and the behaviour table (`msidbg/behaviour/`); do not edit. "
              "A test fails when this page is stale."],
             _behaviour(), _programs(), _modules(), _readings(), _gaps()]
    return "\n\n".join("\n".join(p) for p in parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m msidbg.model.fidelity", description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/fidelity.md is stale")
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is stale: run python -m msidbg.model.fidelity", file=sys.stderr)
            return 1
        return 0
    tmp = DOC.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(DOC)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
