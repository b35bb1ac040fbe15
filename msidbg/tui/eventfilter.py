"""The event log's filter: terms matched against an event's text. No Textual here.

``msix eth0`` keeps events whose text contains both words; ``-apic`` drops those containing
"apic"; ``kind=msix.write`` / ``dev=eth0`` / ``cpu=1`` match a field exactly. Case-insensitive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from msidbg.sim.events import Event, format_ns

FIELDS = ("kind", "dev", "cpu")


def event_text(e: Event) -> str:
    """One log line: index, virtual time, CPU, device, kind and fields."""
    cpu = f"cpu{e.cpu}" if e.cpu is not None else ""
    return f"{e.index:>8} {format_ns(e.time_ns)} {cpu:<5} {e.dev or '':<6} {e.kind:<14} {e.describe()}"


@dataclass(frozen=True)
class Filter:
    """A parsed filter; ``match(event)`` decides. An empty filter matches everything."""

    text: str
    match: Callable[[Event], bool]

    @property
    def active(self) -> bool:
        return bool(self.text.strip())


def parse(text: str) -> Filter:
    """Parse filter text; never fails (an odd term just matches nothing or everything)."""
    tests: list[Test] = []
    for term in text.lower().split():
        neg = term.startswith("-") and len(term) > 1
        tests.append(_term(term[1:] if neg else term, neg))

    def match(e: Event) -> bool:
        if not tests:
            return True
        line = event_text(e).lower()
        return all(t(e, line) for t in tests)

    return Filter(text, match)


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

    def text(e: Event, line: str) -> bool:
        return (term in line) != neg
    return text
