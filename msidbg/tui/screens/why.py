"""The Why pane: a cause chain (``Session.why``) as a list, symptom first; enter jumps to a link's event.

The default chain (the most recent writer at each link) is listed flush left; branches follow
the link they hang from, indented and marked. Names come from scenario and snapshot files, so
every line is plain text (``Content``), never markup.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from msidbg.debugger import Session, whytext
from msidbg.debugger.why import Link, Why
from msidbg.guard import escape
from msidbg.sim.scheduler import Hit

MAX_ROWS = 400


def rows(why: Why) -> Iterator[tuple[int, Link]]:
    """(depth, link) in display order: each link of the default chain, then its branches."""

    def walk(chain: list[Link], depth: int) -> Iterator[tuple[int, Link]]:
        for link in chain:
            yield depth, link
            for branch in link.branches:
                yield from walk(branch, depth + 1)

    yield from walk(why.chain, 0)


def marks(links: list[tuple[int, Link]]) -> list[str]:
    """Per row, where a node shown once more is shown first (``whytext.seen_mark``)."""
    shown: set[int] = set()
    out = []
    for _, link in links:
        out.append(whytext.seen_mark(link, shown).strip() if link.seen else "")
        if not link.seen and link.record >= 0:
            shown.add(link.record)
    return out


def line(depth: int, link: Link, mark: str = "(shown above)") -> str:
    """One link in one or two lines: event, time, actor, path = value; then the reason and stack."""
    pad = "  " * depth + ("⑂ " if depth else "")
    value = "" if link.value is None else f" = {whytext.link_value(link)}"   # as the CLI text shows it
    head = f"{pad}#{link.event} {link.time_ns / 1e9:.9f}s {link.actor}"
    if link.path:
        head += f"  {link.path}{value}"
    if link.seen:
        head += "  " + mark
    indent = "  " * depth + ("  " if depth else "") + "  "
    out = [head, indent + link.reason]
    if link.stack:
        out.append(indent + "at " + " < ".join(link.stack[:4]))
    return "\n".join(escape(x) for x in out)   # each line escaped: names come from files


class WhyScreen(ModalScreen[int | None]):
    """The chain of one target; dismisses with the event to go to (None on escape)."""

    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "why chain"
    BINDINGS = [Binding("escape", "cancel", "Close"), Binding("w", "cancel", "Close", show=False)]
    DEFAULT_CSS = """
    WhyScreen { align: center middle; }
    #why-box { width: 96%; max-width: 140; height: 90%; padding: 0 1; border: round $accent; background: $panel; }
    #why-title { text-style: bold; width: 100%; }
    #why-help { color: $text-muted; margin-bottom: 1; width: 100%; }
    #why-list { height: 1fr; }
    """

    def __init__(self, why: Why) -> None:
        super().__init__()
        self.why = why
        self.links = list(rows(why))[:MAX_ROWS]

    def compose(self) -> ComposeResult:
        t = self.why.target
        what = t.get("text") or t.get("path") or f"event {t.get('event')}"
        with Vertical(id="why-box"):
            yield Label(Content(escape(f"Why: {what}")), id="why-title")
            yield Label(Content("enter: go to the link's event   escape: close   (symptom first, root last)"),
                        id="why-help")
            seen = marks(self.links)
            opts = [Option(Content(line(depth, link, seen[i])), id=str(i)) for i, (depth, link) in enumerate(self.links)]
            yield OptionList(*opts, id="why-list")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        link = self.links[event.option_index][1]
        self.dismiss(link.event if link.event > 0 else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


def explain_here(s: Session, focused: object, selected_event: int) -> tuple[Why | None, str | None]:
    """What ``w`` explains: the row selected in the vector table (its MSI-X entry, or the MSI
    capability's message), the pirq selected in the pirq map (Xen's record of it), the APIC
    vector selected in the APIC pane (its IRR bit when set, else its ISR bit, else its
    vector_irq slot), an event row selected away from the cursor, the stop's breakpoint hit (a
    watch's value), or the cursor's event. (answer, None) or (None, why not)."""
    from msidbg.debugger.why import WhyError
    from msidbg.debugger.whyrun import target_for, why_default
    from msidbg.tui import table
    from msidbg.tui.panes.apic import ApicGrid
    from msidbg.tui.panes.pirqs import PirqMap
    from msidbg.tui.panes.vectors import VectorTable

    if not s.history_ready:
        return None, "the history is still loading"
    target: Hit | int | str
    if isinstance(focused, VectorTable) and focused.selected is not None and focused.view is not None \
            and focused.view.device is not None and focused.selected < table.row_count(s.world, focused.view.device):
        dev, row = focused.view.device, focused.selected
        n = table.msix_count(s.world, dev)
        target = f"devices.{dev}.msix.table[{row}]" if row < n else f"devices.{dev}.msi"
    elif isinstance(focused, PirqMap) and focused.selected is not None \
            and focused.selected in s.world.get("xen", {}).get("pirqs", {}):
        target = f"xen.pirqs[{focused.selected}]"
    elif isinstance(focused, ApicGrid):
        cpu, vector = focused.hovered or focused.selected
        c = s.world["cpus"][cpu]
        reg = "irr" if c["irr"][vector >> 5] >> (vector & 31) & 1 else \
            "isr" if c["isr"][vector >> 5] >> (vector & 31) & 1 else "vector_irq"
        target = f"cpus[{cpu}].{reg}[{vector:#x}]"
    elif 0 < selected_event != s.cursor and selected_event <= s.total:
        target = selected_event
    elif s.last_stop.reason == "breakpoint" and s.last_stop.event == s.cursor > 0:
        # the stop's own target, as ``msidbg why`` and ``Session.why()`` take it (``whyrun.target_for``): the hit a
        # built-in reported; a watch's watched value (what changed it, and what set it before), not whatever the
        # event did -- an expression ``why`` cannot explain falls back to the event (``why_default``)
        try:
            return why_default(s, target_for(s, "")), None
        except WhyError as e:
            return None, str(e)
    elif s.cursor > 0:
        target = s.cursor
    else:
        return None, "event 0: nothing has happened yet (step, or select an event row)"
    try:
        return s.why(target), None
    except WhyError as e:
        return None, str(e)
