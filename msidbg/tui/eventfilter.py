"""The event log's filter: terms matched against an event's text. No Textual here.

``msix eth0`` keeps events whose text contains both words; ``-apic`` drops those containing
"apic"; ``kind=msix.write`` / ``dev=eth0`` / ``cpu=1`` match a field exactly. Case-insensitive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from msidbg.sim.events import Event, format_ns, kind_width

FIELDS = ("kind", "dev", "cpu")
#: distinct CPU/device/kind pieces and field texts a filter remembers (then starts afresh)
MEMO = 1 << 15


#: the index, CPU and device columns' widths: (8, 5, 6) fits any run; ``columns`` fits one run
Columns = tuple[int, int, int]
WIDE: Columns = (8, 5, 6)


def columns(total: int, cpus: int, devices: Iterable[str]) -> Columns:
    """The columns as wide as this run's widest index, CPU name and device name (hardening26: at
    80x24 the fixed 8-column index of a 632-event run left 5 blank columns, and a Xen run's
    ``xen.hypercall ... arg=N ret=E`` lost its ``ret=`` -- the hypercall's result -- to the cut)."""
    return (len(str(max(total, 1))), len(f"cpu{max(cpus - 1, 0)}"), max((len(d) for d in devices), default=0))


def event_text(e: Event, cols: Columns = WIDE) -> str:
    """One log line: index, virtual time, CPU, device, kind and fields (``cols``: the widths of the
    first, third and fourth; a longer value widens its own line only)."""
    cpu = f"cpu{e.cpu}" if e.cpu is not None else ""
    index, cpu_w, dev_w = cols
    return (f"{e.index:>{index}} {format_ns(e.time_ns)} {cpu:<{cpu_w}} {e.dev or '':<{dev_w}} "
            f"{e.kind:<{kind_width()}} {e.describe()}")


@dataclass(frozen=True)
class Filter:
    """A parsed filter; ``match(event)`` decides. An empty filter matches everything."""

    text: str
    match: Callable[[Event], bool]

    @property
    def active(self) -> bool:
        return bool(self.text.strip())


def parse(text: str) -> Filter:
    """Parse filter text; never fails (an odd term just matches nothing or everything).

    Field terms (``kind=``, ``dev=``, ``cpu=``) are tried first and the event's line is made
    only when a word term needs it: formatting the line was two thirds of a scan, and a filter
    of fields alone (``kind=apic.accept cpu=2``) formatted every event of the log for nothing."""
    fields: list[Test] = []
    words: list[tuple[str, bool]] = []
    for term in text.lower().split():
        neg = term.startswith("-") and len(term) > 1
        word = term[1:] if neg else term
        name, eq, _ = word.partition("=")
        if eq and name in FIELDS:
            fields.append(_term(word, neg))
        else:
            words.append((word, neg))

    heads: dict[tuple[str, int | None, str | None], str] = {}
    tails: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}

    def parts(e: Event) -> tuple[str, str]:
        """The line's words in pieces, cheapest first, each lower-cased: a word (no blanks) is
        in the line exactly when it is in one piece, since the line only pads and separates
        them with blanks. The CPU/device/kind piece and the fields' text repeat across a storm
        and are made once (bounded memos); formatting every line was most of a scan."""
        hk = (e.kind, e.cpu, e.dev)
        head = heads.get(hk)
        if head is None:
            if len(heads) >= MEMO:
                heads.clear()
            head = heads[hk] = f"{'' if e.cpu is None else f'cpu{e.cpu}'} {e.dev or ''} {e.kind}".lower()
        tk = (e.kind, tuple(e.fields.items()))
        tail = tails.get(tk)
        if tail is None:
            if len(tails) >= MEMO:
                tails.clear()
            tail = tails[tk] = e.describe().lower()
        return head, tail

    def match(e: Event) -> bool:
        if not all(t(e, "") for t in fields):
            return False
        if not words:
            return True
        head, tail = parts(e)
        for w, neg in words:
            found = w in head or w in tail or w in str(e.index) or w in format_ns(e.time_ns)
            if found == neg:
                return False
        return True

    return Filter(text, match)


def problems(text: str, devices: list[str]) -> list[str]:
    """The terms that can match no event, in words (the filter still applies them): a kind
    that does not exist, a CPU that is not a number, a device the scenario does not have, a
    field with no value. ``cpu=abc`` or ``kind=msix.wrte`` showed "matching ...: 0" and no more."""
    from msidbg.debugger.schema import unknown_name
    from msidbg.sim.events import all_kinds

    out = []
    kinds = sorted(k.name for k in all_kinds())
    for term in text.lower().split():
        if term.startswith("-") and len(term) > 1:
            continue                    # an exclusion that matches nothing excludes nothing
        name, eq, want = term.partition("=")
        if not eq or name not in FIELDS:
            continue
        if not want:
            out.append(f"{term}: no value (expected e.g. {name}={ {'kind': 'msix.write', 'dev': 'eth0', 'cpu': '1'}[name]})")
        elif name == "kind" and want not in kinds:
            out.append(f"{term}: no event kind {want!r} {unknown_name(want, kinds, listed=False)}".rstrip())
        elif name == "cpu" and not (want.isascii() and want.isdigit()):   # 'cpu=١' matched nothing, unsaid
            out.append(f"{term}: a CPU is a number in digits 0-9 (cpu=1)")
        elif name == "dev" and want not in [d.lower() for d in devices]:
            out.append(f"{term}: the scenario has no device {want!r} {unknown_name(want, sorted(devices))}")
    return out


Test = Callable[[Event, str], bool]


def _term(term: str, neg: bool) -> Test:
    """A test of one term against (event, its lower-cased line)."""
    name, eq, want = term.partition("=")
    if eq and name in FIELDS:
        def field(e: Event, line: str) -> bool:
            v = e.get(name)
            got = "" if v is None else str(v).lower()
            return (got == want) != neg
        return field
    return lambda e, line: (term in line) != neg
