"""Tab completion of world paths in the breakpoint dialog, from the live world. No Textual here.

``complete(world, text, cursor)`` looks at the path being typed before the cursor
(``cpu[1].ir``, ``devices.``, ``irq[``), walks the world along its finished segments and
offers the keys, indexes or vectors that can follow, each with its value at the cursor:
a unique candidate is inserted, several are listed and their common prefix inserted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msidbg.debugger.expr import ALIASES, BITMAPS, EVENT_BASICS
from msidbg.sim.events import Event, all_kinds
from msidbg.sim.rec import MAPS

World = dict[str, Any]
MAX_CANDIDATES = 40
MAX_VALUE_CHARS = 48
#: the path that ends at the cursor: a name, then .name / [index] segments, maybe half typed
_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]*|\[[^\[\]]*\]?)*)\Z")
_SEGMENT = re.compile(r"\.([A-Za-z0-9_-]*)|\[([^\[\]]*)(\]?)")
_EVENT = re.compile(r"(?<![A-Za-z0-9_\].-])event\.([A-Za-z_]*)\Z")
_NAME = re.compile(r"[A-Za-z_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*\Z")
#: ``call PROG`` (after the spec's start): the kernel program being typed
_CALL = re.compile(r"\A\s*call\s+([A-Za-z0-9_]*)\Z")
#: ``event.kind == "msix.wr`` / ``event.kind in ["apic.accept", "irq.`` : the kind name being typed
_KIND = re.compile(r"event\.kind\s*(?:==|!=|in|not\s+in)\s*\[?(?:\s*[\"'][a-z0-9_.]*[\"']\s*,)*\s*[\"']([a-z0-9_.]*)\Z")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion: the text that replaces the half-typed segment, and what it holds."""

    text: str
    value: str


@dataclass(frozen=True, slots=True)
class Completion:
    """What Tab does: the new input text and cursor, and the candidates to list (with values)."""

    text: str
    cursor: int
    candidates: tuple[Candidate, ...]
    #: the value of the path as typed, when it names something ("" otherwise)
    value: str = ""


Completer = Callable[[str, int], "Completion | None"]


def complete(world: World, text: str, cursor: int, event: Event | None = None) -> Completion | None:
    """Complete the path before ``cursor`` in ``text``; None when there is no path there.
    ``event`` (the event at the cursor) gives ``event.<field>`` candidates their values."""
    head = text[:cursor]
    call = _CALL.match(head)
    if call is not None:        # the unknown-program error lists 16 of ~100 names: tab lists them all
        return _finish(text, cursor, cursor - len(call.group(1)), call.group(1), _programs())
    kind = _KIND.search(head)
    if kind is not None:
        return _finish(text, cursor, cursor - len(kind.group(1)), kind.group(1),
                       [Candidate(k.name, "event kind") for k in sorted(all_kinds(), key=lambda k: k.name)])
    ev = _EVENT.search(head)
    if ev is not None:
        return _finish(text, cursor, cursor - len(ev.group(1)), ev.group(1), _event_fields(event))
    m = _PATH.search(head)
    if m is None or _after_event_dot(head, m.start()):
        return None
    root, rest = m.group(1), m.group(2)
    segments = [(s.group(1), s.group(2), s.group(3)) for s in _SEGMENT.finditer(rest)]
    if not segments:
        return _finish(text, cursor, m.start(), root, _roots(world))
    value, last_key = _walk(world, root)
    for name, index, _closed in segments[:-1]:
        value, last_key = _step(value, last_key, name, index)
    name, index, closed = segments[-1]
    start = cursor - len(name if name is not None else index + closed)
    if name is not None:
        return _finish(text, cursor, start, name, _fields(value))
    if closed:
        value, _ = _step(value, last_key, None, index)
        return Completion(text, cursor, (), _value(value) if value is not _MISSING else "")
    return _finish(text, cursor, start, index, _indexes(value, last_key), close="]")


def _programs() -> list[Candidate]:
    from msidbg.model import kernel  # noqa: F401  (registers the programs)
    from msidbg.model.platforms import load_all
    from msidbg.sim.program import PROGRAMS

    load_all()      # (the Xen side's programs)
    return [Candidate(name, "kernel program") for name in sorted(PROGRAMS)]


def _after_event_dot(head: str, start: int) -> bool:
    return head[:start].endswith("event.")


_MISSING = object()


def _walk(world: World, root: str) -> tuple[Any, str | None]:
    if root == "world":
        return world, None
    keys = ALIASES.get(root, (root,))
    value: Any = world
    for k in keys:
        value = value.get(k, _MISSING) if isinstance(value, MAPS) else _MISSING
    return value, keys[-1]


def _step(value: Any, last_key: str | None, name: str | None, index: str) -> tuple[Any, str | None]:
    if name is not None:
        return (value.get(name, _MISSING) if isinstance(value, MAPS) else _MISSING), name
    key: Any = _literal(index)
    if last_key in BITMAPS and isinstance(value, list) and type(key) is int:
        return (value[key >> 5] >> (key & 31) & 1 if 0 <= key < 32 * len(value) else _MISSING), None
    if isinstance(value, list):
        return (value[key] if type(key) is int and 0 <= key < len(value) else _MISSING), None
    if isinstance(value, MAPS):
        return value.get(key, value.get(str(key), _MISSING)), None
    return _MISSING, None


def _literal(index: str) -> Any:
    t = index.strip()
    try:
        return int(t.replace("_", ""), 0)
    except ValueError:
        return t.strip("\"'")


def _roots(world: World) -> list[Candidate]:
    names = sorted(set(world) | set(ALIASES) | {"event", "world"})
    out = []
    for n in names:
        v, _ = _walk(world, n) if n not in ("event",) else (_MISSING, None)
        out.append(Candidate(n, "event fields: kind, dev, cpu, ..." if n == "event" else _value(v)))
    return out


def _fields(value: Any) -> list[Candidate]:
    if not isinstance(value, MAPS):
        return []
    return [Candidate(k, _bitmap(v) if k in BITMAPS else _value(v))
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0])) if isinstance(k, str) and _NAME.match(k)]


def _event_fields(event: Event | None) -> list[Candidate]:
    """``event.<field>``: every field name, with its value at the cursor's event."""
    names = set(EVENT_BASICS) | {name for k in all_kinds() for name, _fmt in k.fields}
    return [Candidate(n, _value(event.get(n)) if event is not None else "") for n in sorted(names)]


def _bitmap(v: Any) -> str:
    """A 256-bit vector bitmap by the vectors set in it."""
    if not (isinstance(v, list) and all(isinstance(x, int) for x in v)):
        return _value(v)
    bits = [f"{i:#04x}" for i in range(32 * len(v)) if v[i >> 5] >> (i & 31) & 1]
    return _clip("vectors set: " + (", ".join(bits) or "none"))


def _indexes(value: Any, last_key: str | None) -> list[Candidate]:
    """What may go inside ``[...]``: the vectors set in a bitmap, a list's indexes, a map's keys."""
    if last_key in BITMAPS and isinstance(value, list):
        bits = [v for v in range(32 * len(value)) if value[v >> 5] >> (v & 31) & 1]
        return [Candidate(f"{v:#04x}", "1 (set)") for v in bits]
    if isinstance(value, list):
        return [Candidate(str(i), _value(v)) for i, v in enumerate(value[:MAX_CANDIDATES])]
    if isinstance(value, MAPS):
        keys = sorted(value, key=lambda k: (isinstance(k, str), k))
        return [Candidate(str(k) if isinstance(k, int) else f'"{k}"', _value(value[k]))
                for k in keys[:MAX_CANDIDATES]]
    return []


def _finish(text: str, cursor: int, start: int, typed: str, options: list[Candidate],
            close: str = "") -> Completion:
    """Replace ``text[start:cursor]`` by the unique match, or by the matches' common prefix."""
    found = tuple(c for c in options if c.text.lower().startswith(typed.lower()))
    if len(found) == 1:
        insert = found[0].text + close
    elif found:
        insert = _common_prefix([c.text for c in found]) or typed
        insert = insert if len(insert) >= len(typed) else typed
    else:
        insert = typed
    new = text[:start] + insert + text[cursor:]
    value = found[0].value if len(found) == 1 else ""
    return Completion(new, start + len(insert), found[:MAX_CANDIDATES], value)


def _common_prefix(words: list[str]) -> str:
    first, last = min(words), max(words)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    return first[:n]


def _value(v: Any) -> str:
    """A value in a few characters: numbers in hex above 9, containers by size."""
    if v is _MISSING:
        return ""
    if isinstance(v, bool) or v is None:
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:#x}" if v > 9 else str(v)
    if isinstance(v, str):
        text = repr(v)
    elif isinstance(v, MAPS):
        text = f"{{{len(v)} keys}}"
    elif isinstance(v, list):
        text = "[" + ", ".join(_value(x) if not isinstance(x, (list, *MAPS)) else "…" for x in v[:8])
        text += ", …]" if len(v) > 8 else "]"
    else:
        text = str(v)
    return _clip(text)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"
