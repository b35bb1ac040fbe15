"""Call stacks per CPU context (process and interrupt), as lines of text. No Textual here.

A context is ``{"stack": [frames], "wait": None | {...}}``; a frame is ``{prog, pc,
locals}`` (msidbg.sim.program). The innermost frame is shown first, like a backtrace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from msidbg.sim.program import describe_frame

World = dict[str, Any]
MAX_LOCALS_CHARS = 60


def contexts(w: World) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(cpu, context name, context) for every CPU's process and interrupt context."""
    for c in w["cpus"]:
        yield c["id"], "process", c["proc"]
        yield c["id"], "interrupt", c["irq"]


def signature(cpu: dict[str, Any]) -> tuple[Any, ...]:
    """A comparable summary of one CPU's stacks (for change highlighting)."""
    def sig(ctx: dict[str, Any]) -> tuple[Any, ...]:
        return tuple((f["prog"], f["pc"]) for f in ctx["stack"]) + (ctx.get("wait") is not None,)
    return sig(cpu["proc"]), sig(cpu["irq"]), cpu["online"], cpu["proc"].get("irqs_off", False)


#: locals that hold register values, addresses or vectors: shown in hex; every other number
#: (irq, pirq, index, cpu, port, counts) in decimal, as the event log and the panes show them
HEX_WORDS = ("addr", "data", "value", "ctrl", "vector", "mask", "msg", "offset", "val", "bits")


def _number(name: str, v: int) -> str:
    if v > 9 and any(word in name for word in HEX_WORDS):
        return f"{v:#x}"
    return str(v)


def locals_text(loc: dict[str, Any]) -> str:
    """A frame's locals, short: scalars only, truncated."""
    parts = [f"{k}={_number(k, v)}" if isinstance(v, int) and not isinstance(v, bool) else f"{k}={v}"
             for k, v in loc.items() if isinstance(v, (int, str, bool)) or v is None]
    text = " ".join(parts)
    return text if len(text) <= MAX_LOCALS_CHARS else text[:MAX_LOCALS_CHARS - 1] + "…"


def cpu_lines(w: World, cpu: int) -> list[tuple[str, str]]:
    """(text, style) lines for one CPU: a header, then each non-empty context's backtrace."""
    c = w["cpus"][cpu]
    state = "online" if c["online"] else "offline"
    flags = " irqs off" if c["proc"].get("irqs_off") else ""
    action = c["proc"].get("action", -1)
    doing = ""
    if isinstance(action, int) and 0 <= action < len(w.get("actions", [])):
        a = w["actions"][action]
        doing = f"  action {action}: {a['do']}" + (f" {a['dev']}" if a.get("dev") else "")
    lines = [(f"CPU{cpu} {state}{flags}{doing}", "header")]
    for cid, name, ctx in contexts(w):
        if cid != cpu or not ctx["stack"]:
            continue
        lines.append((f"  {name}:", "context"))
        for depth, frame in enumerate(reversed(ctx["stack"])):
            lines.append((f"    #{depth} {describe_frame(frame)}  {locals_text(frame['locals'])}", ""))
        if ctx.get("wait") is not None:
            lines.append((f"    waiting: {locals_text(ctx['wait'])}", "wait"))
    if len(lines) == 1:
        lines.append(("  idle", "dim"))
    return lines


def all_lines(w: World, first: int | None = None) -> list[tuple[int, str, str]]:
    """(cpu, text, style) for every CPU with something on a stack, ``first`` CPU on top."""
    order = [c["id"] for c in w["cpus"]]
    if first is not None and first in order:
        order.remove(first)
        order.insert(0, first)
    out = []
    for cpu in order:
        c = w["cpus"][cpu]
        busy = c["proc"]["stack"] or c["irq"]["stack"]
        if busy or cpu == first:
            out += [(cpu, text, style) for text, style in cpu_lines(w, cpu)]
    return out
