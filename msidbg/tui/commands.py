"""The debugger commands that ask something first (goto, run to time, breakpoint, bookmark,
save) and the selection commands: the base class of ``MsidbgApp``, kept apart from its
layout and its run machinery. Every answer is checked by the Session before the dialog closes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget

from msidbg.contract import BREAKPOINTS
from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.guard import escape
from msidbg.sim.events import format_ns
from msidbg.tui.driver import TIME_HINT, Driver, parse_time, time_problem
from msidbg.tui.screens.bookmarks import BookmarksScreen
from msidbg.tui.screens.prompt import Prompt

if TYPE_CHECKING:
    from msidbg.tui.complete import Completer

BREAK_HINT = (f"built-in names: {', '.join(BREAKPOINTS)};  if <cond>;  watch <path>;  call <program>.  "
              "Tab completes a world path (with its value), a program after call, an event kind in quotes.")


class Commands(App[None]):
    """Prompted and selection commands; ``MsidbgApp`` provides what is declared here."""

    driver: Driver
    device: str | None
    cpu: int
    user_keymap: dict[str, str]

    if TYPE_CHECKING:   # provided by MsidbgApp and textual's App
        @property
        def session(self) -> Session: ...
        @property
        def busy(self) -> bool: ...
        def run_command(self, what: str, make: Callable[[], Awaitable[Any]], keep_text: bool = False) -> None: ...
        def show(self, stop_text: tuple[str, str] | None = None) -> None: ...
        def flush_moves(self) -> None: ...
        def saved(self) -> None: ...
        def completer(self) -> Completer: ...

    def warn(self, message: str, title: str = "", severity: SeverityLevel = "error") -> None:
        """A notification whose text can come from a file -- an error naming a stored world path,
        a snapshot's recorded stop detail --: escaped, and never read as Textual markup. Read as
        markup, '[/]' in a snapshot's world ended ``open --no-verify`` with Textual's MarkupError
        traceback (exit status 0), '[@click=app.quit]' made a link that runs an action, and an
        escape sequence (ESC) reached the terminal."""
        self.notify(escape(message), title=escape(title), severity=severity, markup=False)

    def goto(self, event: int, why: str | None = None) -> None:
        self.run_command(why or f"goto {event}", lambda: self.driver.arrive_async(event))

    def action_goto(self) -> None:
        s = self.session
        hint = (f"0 .. {s.total:,}, the run's end" if s.finished else
                f"0 .. {s.total:,} recorded; further runs forward") + ". +N / -N are relative."
        self._prompt(Prompt("Go to event", self._check_event, placeholder="event number", hint=hint), self.goto)

    def action_run_to_time(self) -> None:
        def check(text: str) -> tuple[Any, str | None]:
            t = parse_time(text)
            return (t, None) if t is not None else (None, time_problem(text))

        self._prompt(Prompt("Run to virtual time", check, placeholder="e.g. 2ms or 1500us",
                            hint=TIME_HINT),
                     lambda t: self.run_command(f"run to {format_ns(t)}", lambda: self.driver.run_to_time(t)))

    def action_add_breakpoint(self, prefix: str = "") -> None:
        self._prompt(Prompt("Add breakpoint", self.driver.add_breakpoint, value=prefix, hint=BREAK_HINT,
                            select_all=False, complete=self.completer()),
                     self._armed)

    def action_watch(self) -> None:
        self.action_add_breakpoint("watch ")

    def action_why(self) -> None:
        """The Why pane (issue 13) for the selected APIC vector, the selected event row, the stop's
        hit, or the cursor's event -- in that order of what the user pointed at."""
        self.flush_moves()
        if self.busy:
            return
        from msidbg.tui.panes.events import EventRows
        from msidbg.tui.screens.why import WhyScreen, explain_here

        rows = self.query(EventRows)
        why, err = explain_here(self.session, self.focused, rows.first().selected if rows else 0)
        if why is None:
            self.warn(err or "nothing to explain", title="why", severity="warning")
            return
        self._prompt(WhyScreen(why), self.goto)

    def _armed(self, bp_id: int) -> None:
        self.notify(f"breakpoint {bp_id} armed")
        self.show()

    def action_bookmark(self) -> None:
        def check(text: str) -> tuple[Any, str | None]:
            name, _, note = text.partition(":")
            try:
                return self.session.bookmark(name, note.strip()), None
            except MsidbgError as e:
                return None, e.message

        self._prompt(Prompt(f"Bookmark event {self.session.cursor}", check, placeholder="name: note"),
                     lambda bm: self._marked(bm))

    def _marked(self, bm: Any) -> None:
        self.notify(f"bookmark {escape(bm.name)!r} at event {bm.event}", markup=False)
        self.show()

    def action_bookmarks(self) -> None:
        from msidbg.tui.app import bound_key

        self._prompt(BookmarksScreen(self.session.bookmarks, bound_key(self.user_keymap, "bookmark")),
                     self._goto_bookmark)

    def _goto_bookmark(self, bm: Any) -> None:
        """Go to a bookmark; one ahead of a snapshot's cursor (unchecked on open: the run has not
        got there) that the run ends before is said to be past the end, not just "end of run"."""
        async def go() -> Any:
            stop = await self.driver.arrive_async(bm.event)
            s = self.session
            if s.cursor < bm.event and s.ended:
                self.warn(f"bookmark {bm.name!r} is at event {bm.event:,}, past the run's end "
                          f"(event {s.cursor:,}): the cursor is at the end", title="bookmark", severity="warning")
            return stop

        self.run_command(f"bookmark {escape(bm.name)}", go)

    def action_save(self, then: Callable[[], object] | None = None) -> None:
        """``then``: what to do once saved (quit, from the quit dialog's 's'); escape does nothing."""
        default = f"{self.session.scenario.name}-{self.session.cursor}.msgpack"
        warned: list[str] = []   # the existing snapshot the user was told about: enter again replaces it

        def check(path: str) -> tuple[Any, str | None]:
            path = path.strip()
            if path and os.path.isdir(path):
                # a directory (``/tmp``, ``.``) saves there under the default name, as cp does;
                # it was "cannot write: not a regular file"
                path = os.path.join(path, default)
            problem, ask = replace_problem(path)
            if problem is not None and (not ask or warned != [path]):
                warned[:] = [path] if ask else []
                return None, problem
            try:
                self.session.save(path)
                return path, None
            except (MsidbgError, OSError) as e:
                return None, getattr(e, "message", None) or str(e)

        def done(path: str) -> None:
            self.saved()
            self.notify(f"saved event {self.session.cursor} to {escape(path)}", markup=False)
            if then is not None:
                then()

        self._prompt(Prompt("Save snapshot to", check, value=default), done)

    def action_next_device(self) -> None:
        from msidbg.tui.panes.vectors import VectorTable

        self.flush_moves()
        devices = self.driver.devices()
        if len(devices) > 1 and self.device in devices:
            self.device = devices[(devices.index(self.device) + 1) % len(devices)]
            self.show()
        else:
            self.bell()     # one device: there is no next one
        self._reveal(VectorTable)

    def action_next_cpu(self, delta: int = 1) -> None:
        from msidbg.tui.panes.apic import ApicGrid

        self.flush_moves()
        self.cpu = (self.cpu + delta) % len(self.session.world["cpus"])
        self.show()
        self._reveal(ApicGrid)

    def _reveal(self, pane: type[Widget]) -> None:
        """In the narrow layout (the panes stack, the main area scrolls to the focused one), focus
        the pane a selection key changed and scroll it into view: d / ] with the event log
        focused changed a table off the screen (only the status line's "eth0 · CPU1" said
        anything happened). Wide, every pane is on screen: the focus stays."""
        if not self.screen.has_class("-narrow"):
            return
        for widget in self.query(pane).results(pane):
            widget.focus(scroll_visible=False)
            widget.scroll_visible(animate=False, top=True, immediate=True)

    def action_prev_cpu(self) -> None:
        self.action_next_cpu(-1)

    def _prompt(self, screen: Screen[Any], then: Callable[[Any], object]) -> None:
        self.flush_moves()
        if self.busy:
            return

        def done(value: Any) -> None:
            if value is not None:
                then(value)

        self.push_screen(screen, done)

    def _check_event(self, text: str) -> tuple[Any, str | None]:
        return parse_event(text, self.session.cursor)


#: an event number as the goto prompt takes it (after ',', '_' and a leading '#' are dropped)
_EVENT = re.compile(r"([+-]?)([0-9]{1,20})", re.ASCII)
EVENT_EXPECTED = "expected an event number in digits 0-9 (e.g. 205, +10, -3)"


def parse_event(text: str, cursor: int) -> tuple[int | None, str | None]:
    """The goto prompt's event (``+N`` / ``-N`` relative to ``cursor``), or None and what is wrong.

    Digits are ASCII 0-9 only (hardening31): ``int()`` read '٣' (Arabic-Indic) as 3 and '３'
    (full-width) as 3, where the command line (``guard.int_arg``) and a scenario (``at: ٣``) refuse
    them; a digit a reader may not recognise moved the cursor somewhere they did not ask. At most
    20 digits (more than any run has events): ``int()`` read 4,300, and raised past them."""
    t = text.strip().replace(",", "").replace("_", "").lstrip("#")
    m = _EVENT.fullmatch(t)
    if m is None:
        odd = next((c for c in t if not c.isascii() and (c.isdigit() or c.isnumeric())), None)
        if odd is not None:
            return None, f"{odd!r} (U+{ord(odd):04X}) is not a digit 0-9 ({EVENT_EXPECTED})"
        if re.fullmatch(r"[+-]?[0-9]+", t, re.ASCII):
            return None, f"{len(t.lstrip('+-')):,} digits is too many ({EVENT_EXPECTED}, at most 20 digits)"
        return None, EVENT_EXPECTED
    n = int(m.group(2))
    if m.group(1):
        n = cursor + n if m.group(1) == "+" else cursor - n
    # -N past the start goes to event 0, as a number past the end goes to the end (it was
    # refused: "event numbers start at 0", while 99999999 went to the end)
    return max(n, 0), None


def replace_problem(path: str) -> tuple[str | None, bool]:
    """What the save dialog says before it replaces an existing file: (message, ask). ``ask``: a
    snapshot, replaced when the same path is entered again; else (a scenario, any other file) it
    is never replaced from the dialog -- ``ctrl+s`` then ``enter`` once overwrote a scenario file
    with a snapshot. (None, False) for a new path; what ``save`` itself refuses it says."""
    from msidbg.files import FileProblem, read_head, sniff

    try:
        head = read_head(path, 256) if os.path.lexists(path) else None
    except FileProblem:
        return None, False       # a directory, a FIFO, unreadable: save's own one-line error
    if not head:
        return None, False       # new, or empty: nothing to lose
    if sniff(head) == "snapshot":
        return f"{path} exists (a msidbg snapshot): press enter again to replace it, or change the name", True
    return (f"{path} exists and is not a msidbg snapshot: not replaced (expected a new file name, "
            "or a snapshot to replace)"), False
