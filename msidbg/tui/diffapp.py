"""``msidbg diff --tui``: both runs side by side, cursors linked by the per-context alignment.

The cursor moves in one run (the active side, ``tab`` switches); the other side shows the event
at the same place of the same context (``DiffResult.aligned``), or says it has none. Events are
read from each run's log a window at a time (the runs may be millions of events long). ``f``
goes to the first divergence, ``n`` / ``N`` to the next / previous diverging context's start.
"""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from msidbg.debugger.diff import DiffResult, Run, action_diffs
from msidbg.guard import escape
from msidbg.sim.events import Event, kind_width
from msidbg.tui.eventfilter import event_text
from msidbg.tui.screens.help import key_label

#: a side narrower than this (an 80-column terminal's 38) leaves out the virtual time: with it
#: the kind was cut to its first letter, and the kind is what tells two runs apart
NARROW_SIDE = 60


#: below this width the footer is compact (no padding, no palette key): at 80 columns the
#: plain footer cut "n Next context" to "n Next", beside "↓ Next"
COMPACT_BELOW = 100


def side_title(label: str, path: str, other: str, room: int) -> str:
    """A side's title: ``label`` and the file's path, or -- when that does not fit in ``room``
    columns -- its shortest tail of path components that tells it from ``other`` (at 80
    columns both sides read 'A /work/wt/ux3/scenarios/msix-wri…', the file names cut off)."""
    full = f"{label} {path}"
    if len(full) <= room:
        return full
    parts, others = path.split("/"), other.split("/")
    n = next(n for n in range(1, len(parts) + 1) if "/".join(parts[-n:]) != "/".join(others[-n:])
             or n == len(parts))
    title = f"{label} {'…/' if n < len(parts) else ''}{'/'.join(parts[-n:])}"
    if len(title) > room:     # still too long: its end, where a name's difference usually is
        title = f"{label} …{title[-max(room - len(label) - 2, 1):]}"
    return title


def line_text(ev: Event, narrow: bool, digits: int = 8) -> str:
    """An event's log line; ``narrow``: without the virtual time (the status line and the wide
    layout keep it) and the index ``digits`` wide (the longer log's)."""
    if not narrow:
        return event_text(ev)
    cpu = f"cpu{ev.cpu}" if ev.cpu is not None else ""
    return f"{ev.index:>{digits}} {cpu:<5} {ev.dev or '':<6} {ev.kind:<{kind_width()}} {ev.describe()}"


def window(run: Run, cursor: int | None, height: int, mark: set[int], width: int = 80, digits: int = 8) -> Content:
    """``height`` log lines of ``run`` centred on ``cursor`` (the cursor's line marked), for a
    side ``width`` columns wide (``digits``: of the longer run's last event)."""
    total = len(run.log)
    centre = cursor if cursor is not None else 1
    first = max(1, min(centre - height // 2, total - height + 1))
    parts: list[Content | str | tuple[str, str]] = []
    for e in range(first, min(total, first + height - 1) + 1):
        ev = run.session.event(e)
        narrow = width < NARROW_SIDE
        text = escape(line_text(ev, narrow, digits).rstrip()) if ev is not None else \
            f"{e:>{digits if narrow else 8}} ?"
        style = "reverse" if e == cursor else ("bold $error" if e in mark else "")
        parts += [(("▶" if e == cursor else " ") + text, style), "\n"]
    return Content.assemble(*parts) if parts else Content("(no events)")


def event_line(label: str, run: Run, e: int | None) -> str:
    """The event at a side's cursor, its fields whole: a side of an 80-column terminal is 38
    wide and cut them off (``msi.msg inde…`` on both sides, where index=3 and index=0 differed)."""
    ev = run.session.event(e) if e else None
    if ev is None:
        return f"{label}  -"
    cpu = f"cpu{ev.cpu} " if ev.cpu is not None else ""
    return f"{label}  {cpu}{ev.dev + ' ' if ev.dev else ''}{ev.kind} {ev.describe()}".rstrip()


class Side(Static):
    """One run's log. Re-rendered when its own size changes: the App's resize handler runs
    before the layout (and, in a subclass, before Textual records the new terminal size), so a
    window built there had the old size -- shrinking the terminal left the ``▶`` line below the
    side's bottom edge and kept the virtual time in a side too narrow for it."""

    def on_resize(self) -> None:
        app = self.app
        if isinstance(app, DiffApp):
            app.refresh_sides()


#: what each of the diff app's actions does, for its help screen (keys are read from its BINDINGS)
DIFF_HELP = {
    "quit": "quit",
    "move(1)": "next event of the active side (the other side follows at the same place)",
    "move(-1)": "previous event",
    "move(20)": "20 events on",
    "move(-20)": "20 events back",
    "switch": "make the other side active (its cursor at the aligned event)",
    "first": "go to the first divergence",
    "context(1)": "go to the next diverging context's start",
    "context(-1)": "go to the previous diverging context's start",
    "help": "this screen",
}


class DiffHelpScreen(ModalScreen[None]):
    """``?`` / F1 in ``diff --tui``: its keys, as bound (``run``'s help lists the debugger's, not these)."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]
    DEFAULT_CSS = """
    DiffHelpScreen { align: center middle; }
    #diff-help-box { width: 90%; height: auto; max-height: 90%; border: round $accent; padding: 0 1; background: $surface; }
    #diff-help-keys { grid-size: 2; grid-columns: 22 1fr; height: auto; }
    """

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="diff-help-box"):
            yield Static("msidbg diff keys", id="diff-help-title")
            with Grid(id="diff-help-keys"):
                for keys, what in self.bindings:
                    yield Static(keys, classes="help-key", markup=False)
                    yield Static(what, classes="help-what", markup=False)

    def rows(self) -> list[tuple[str, str]]:
        """(keys, what) as shown, for tests."""
        keys = [str(s.content) for s in self.query("#diff-help-keys .help-key").results(Static)]
        what = [str(s.content) for s in self.query("#diff-help-keys .help-what").results(Static)]
        return list(zip(keys, what, strict=False))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class DiffApp(App[None]):
    """Two event logs, A left and B right; the status line names the context and the divergence."""

    BINDINGS = [
        Binding("q", "quit", "Quit"),    # first: the footer cuts its end off at 80 columns
        Binding("down", "move(1)", "Next"), Binding("up", "move(-1)", "Prev"),
        Binding("pagedown", "move(20)", "Page", show=False), Binding("pageup", "move(-20)", "Page", show=False),
        Binding("tab", "switch", "Other side", priority=True), Binding("f", "first", "First diff"),
        Binding("n", "context(1)", "Next context"), Binding("N", "context(-1)", "Prev context", show=False),
        Binding("question_mark,f1", "help", "Help"),
    ]
    DEFAULT_CSS = """
    #sides { height: 1fr; }
    .side { width: 1fr; border: round $primary; overflow: hidden hidden; text-wrap: nowrap; text-overflow: ellipsis; }
    .side.-active { border: round $accent; }
    #diff-status { height: 4; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, result: DiffResult) -> None:
        super().__init__()
        self.r = result
        self.side_b = False
        d = result.first
        self.cursor = (d.a if d and d.a else 1) if d else 1
        if d is not None and d.a is None and d.b:
            self.side_b, self.cursor = True, d.b
        self.marks_a = {c.a for c in result.contexts if c.a}
        self.marks_b = {c.b for c in result.contexts if c.b}
        #: the status's last line when scenario actions' results differ (the text's "actions whose result
        #: differs" list): the outcome said "different outcome" and nothing showed which action made it so
        acts = action_diffs(result)
        self.actions_line = (f"actions whose result differs ({len(acts)}): "
                             + "; ".join(" / ".join(x.strip() for x in lines) for lines in acts)) if acts else ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="sides"):
            yield Side(id="side-a", classes="side")
            yield Side(id="side-b", classes="side")
        yield Static(id="diff-status")
        yield Footer(compact=self.size.width < COMPACT_BELOW, show_command_palette=self.size.width >= COMPACT_BELOW)

    def on_mount(self) -> None:
        if self.actions_line:
            self.query_one("#diff-status", Static).styles.height = 5
        self.refresh_sides()

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < COMPACT_BELOW      # (self.size is still the old size here)
        for footer in self.query(Footer).results(Footer):
            footer.compact, footer.show_command_palette = compact, not compact

    # -- the linked cursors ---------------------------------------------------------------------------
    def cursors(self) -> tuple[int | None, int | None]:
        """(A's event, B's event): the active side's cursor and its aligned event on the other."""
        if not len((self.r.b if self.side_b else self.r.a).log):
            return None, None       # a run of no event (diff --max-events 0)
        other = self.r.aligned(self.cursor, from_b=self.side_b)
        return (other, self.cursor) if self.side_b else (self.cursor, other)

    def refresh_sides(self) -> None:
        a, b = self.cursors()
        height = max(3, self.size.height - 8 - (1 if self.actions_line else 0))
        sa, sb = self.query_one("#side-a", Static), self.query_one("#side-b", Static)
        width = sa.content_size.width or self.size.width // 2 - 2
        digits = len(str(max(len(self.r.a.log), len(self.r.b.log))))
        sa.update(window(self.r.a, a, height, self.marks_a, width, digits))
        sb.update(window(self.r.b, b, height, self.marks_b, width, digits))
        room = width - 4     # the corners, dashes and spaces around the title
        # plain text: a file name is not markup ('bug[red].yaml' lost its '[red]', 'x[/].yaml' ended the TUI)
        sa.border_title = Content(escape(side_title("A", self.r.a.path, self.r.b.path, room)))
        sb.border_title = Content(escape(side_title("B", self.r.b.path, self.r.a.path, room)))
        sa.set_class(not self.side_b, "-active")
        sb.set_class(self.side_b, "-active")
        self.query_one("#diff-status", Static).update(self.status(a, b))

    def status(self, a: int | None, b: int | None) -> Content:
        run = self.r.b if self.side_b else self.r.a
        # a run of no event (diff --max-events 0) has no context at its cursor
        ctx = run.context(self.cursor) if 1 <= self.cursor <= len(run.log) else "no event"
        d = self.r.first
        first = (f"first divergence: {d.context} at A #{d.a or '-'} / B #{d.b or '-'}" if d
                 else "no divergence: the runs executed the same steps")
        other = "" if (b if not self.side_b else a) is not None else \
            f"  ({'B' if not self.side_b else 'A'} has no step at this place of {ctx})" if ctx != "no event" else \
            f"  ({'B' if self.side_b else 'A'} stopped at event 0)"
        outcome = "same outcome" if self.r.same_outcome else "different outcome"
        # escaped line by line: escape() shows a newline as the two characters '\n'
        lines = [f"{ctx}: A #{a or '-'}  B #{b or '-'}{other}", event_line("A", self.r.a, a),
                 event_line("B", self.r.b, b), f"{first}  ·  {outcome}"]
        if self.actions_line:
            lines.append(self.actions_line)
        return Content("\n".join(escape(x) for x in lines))

    # -- actions ----------------------------------------------------------------------------------------
    def _goto(self, e: int, side_b: bool | None = None) -> None:
        if side_b is not None:
            self.side_b = side_b
        total = len((self.r.b if self.side_b else self.r.a).log)
        self.cursor = max(1, min(e, total))
        self.refresh_sides()

    def help_rows(self) -> list[tuple[str, str]]:
        """(keys, what) for every binding of this app, read from BINDINGS so the help cannot go stale."""
        rows = []
        for b in self.BINDINGS:
            if isinstance(b, Binding):
                rows.append((key_label(b.key), DIFF_HELP.get(b.action, b.description)))
        return rows

    def action_help(self) -> None:
        if not isinstance(self.screen, DiffHelpScreen):
            self.push_screen(DiffHelpScreen(self.help_rows()))

    def action_move(self, delta: int) -> None:
        self._goto(self.cursor + delta)

    def action_switch(self) -> None:
        other = self.r.aligned(self.cursor, from_b=self.side_b)
        self.side_b = not self.side_b
        if other is not None:
            self.cursor = other
        self._goto(self.cursor)

    def action_first(self) -> None:
        d = self.r.first
        if d is None:
            self.bell()
            return
        if d.a is not None:
            self._goto(d.a, False)
        elif d.b is not None:
            self._goto(d.b, True)

    def action_context(self, step: int) -> None:
        starts = sorted((c.b if self.side_b else c.a) or 0 for c in self.r.contexts)
        starts = [s for s in starts if s]
        nxt = [s for s in starts if (s > self.cursor if step > 0 else s < self.cursor)]
        if not nxt:
            self.bell()
            return
        self._goto(nxt[0] if step > 0 else nxt[-1])
