"""The msidbg App: owns the Session, runs commands on it, hands a ``View`` down to the panes.

``make_app`` is the one factory, used by the CLI and the tests. State flows down: after each
command the App builds a new View (``Driver.view``) and every pane, bound to ``App.view``,
re-renders from it. Messages flow up: panes and screens ask (``GotoEvent``,
``RemoveBreakpoint``); only the App touches the Session.

Three rules keep the screen honest:

- **It follows the cursor.** After every move the selected device, CPU and APIC vector
  become the ones the event at the cursor is about (``follow.py``): the status line, the
  vector table, the grid and the call stacks speak of the same thing.
- **One View per move, whatever the key rate.** Step and step-back keys are counted, and the
  count is applied once the queued keys are read (``flush_moves``): 200 queued presses are
  one seek, and every painted frame shows panes of a single event.
- **Long work shows progress and can be stopped**: runs (any key stops them) and opening a
  snapshot (``screens/opening.py``: reading it in a thread, then verifying it by replay). A
  run forward (continue, run to a time, a goto ahead) shows the world it has reached in every
  pane at a bounded rate (``LIVE_EVERY_S``, ``LIVE_SHARE``), not the world it started from;
  a search backwards does not (it restores earlier worlds on its way: they would flash by).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any, TypeVar

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane
from textual.worker import Worker

from msidbg.debugger import Session, Stop
from msidbg.debugger.breakpoints import arm
from msidbg.errors import MsidbgError
from msidbg.guard import escape
from msidbg.tui import follow, keys
from msidbg.tui.background import in_daemon_thread, stop_thread
from msidbg.tui.commands import Commands
from msidbg.tui.complete import Completer, complete
from msidbg.tui.driver import Driver, describe
from msidbg.tui.fastkeys import direct_action
from msidbg.tui.footer import KeyFooter
from msidbg.tui.messages import GotoEvent, RemoveBreakpoint
from msidbg.tui.paint import LeanScreen
from msidbg.tui.panes import VIEWS
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.breakpoints import BreakpointList
from msidbg.tui.panes.events import EventRows
from msidbg.tui.panes.pirqs import PirqMap
from msidbg.tui.panes.stacks import CallStacks
from msidbg.tui.panes.status import StatusLine
from msidbg.tui.panes.vectors import VectorTable
from msidbg.tui.process import is_snapshot, quiet_collector
from msidbg.tui.screens.behaviour import BehaviourScreen, header_text
from msidbg.tui.screens.confirm import ConfirmQuit
from msidbg.tui.screens.help import HelpScreen
from msidbg.tui.screens.opening import Opening
from msidbg.tui.unverified import UnverifiedWorld
from msidbg.tui.view import Progress, View

W = TypeVar("W", bound=Widget)

#: while a command runs forward, the panes show the world it has reached at most this often (the
#: status line's event count every 0.1 s), and only once the process has spent as much CPU time
#: since the last time (on a loaded machine a run's wall time stretches: refreshing by the wall
#: clock made them a larger share of its work, 14% of its CPU time)
LIVE_EVERY_S = 0.5
#: ... or less often, so that a refresh (measured: building the View, painting the panes) takes
#: at most this share of the run's CPU time; the unmeasured rest (Textual's own work for a frame)
#: is of the same order, so the whole stays at a few per cent
LIVE_SHARE = 0.02
#: ... and the wall time the run stands held while they paint (the wait for the next frame:
#: ~60 ms a refresh on big-table) at most this share of the run's wall time
LIVE_WALL_SHARE = 0.04


class OpenCancelled(MsidbgError):
    """The user stopped opening a snapshot (escape on the progress screen)."""

    exit_code = 130


#: the screen on top and the widget focused when the App read a key (an attribute of the key
#: event): a key typed ahead of a dialog or the event filter comes back to the App's bindings
#: with the dialog on top or the filter focused (``on_event``)
READ_ON = "_msidbg_read_on"


class ViewTabs(TabbedContent):
    """The tabs beside the call stacks (event log, timeline). Their tab bar is no tab stop: at
    80x24 tab went vector table, APICs, the bar, the event log -- a stop that shows nothing the
    user can act on with the pane's keys; the view key (``v``) and a click switch the tab."""

    def on_mount(self) -> None:
        from textual.widgets._tabbed_content import ContentTabs

        for bar in self.query(ContentTabs):
            bar.can_focus = False


class MainArea(Container):
    """The panes above the status line. Narrow, the panes stack at fixed heights and this area
    scrolls; its height changes with the status line's (a stop's explanation takes up to six rows
    at 80x24, a plain step three), and a pane focused at the bottom of the visible part -- the
    breakpoints, last in the stack -- went partly below the status line at such a stop, its own
    rows and border cut (hardening30). Each new height scrolls the focused pane back into view,
    as tab does; a pane that is on screen already does not move."""

    def on_resize(self) -> None:
        self.call_after_refresh(self.keep_focus_visible)

    #: the stacked panes; a focus inside one (the event log's rows, its filter) brings the whole pane
    PANES = frozenset({"vectors", "apic", "pirqs", "views", "stacks", "breakpoints"})

    def keep_focus_visible(self) -> None:
        focused = self.screen.focused if self.is_attached else None
        if focused is None or self.max_scroll_y == 0:
            return
        for pane in (focused, *focused.ancestors):
            if pane is self:
                return
            if pane.id in self.PANES and isinstance(pane, Widget):
                self.scroll_to_widget(pane, animate=False, immediate=True)
                return


class MsidbgApp(UnverifiedWorld, Commands):
    """The debugger's main screen: vector table, APIC grids, pirq map, event log, stacks."""

    CSS_PATH = "msidbg.tcss"
    TITLE = "msidbg"
    BINDINGS = keys.bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    view: reactive[View | None] = reactive(None, repaint=False)
    """The state at the cursor, handed to every pane."""
    progress: reactive[Progress | None] = reactive(None, repaint=False)
    """How far a running command has got (None when nothing runs)."""

    def __init__(self, session: Session | None, *, opener: Callable[[], Session] | None = None,
                 verify: bool = True, keymap: dict[str, str] | None = None, source: str = "") -> None:
        """A Session, or an ``opener`` that makes one (a snapshot, opened in the background
        with progress; ``verify`` then replays its history before the panes appear)."""
        super().__init__()
        self.user_keymap = dict(keymap or {})
        #: keys forwarded to a pane that are on their way back up to the App (``post_message``)
        self.keys_back = 0
        #: the input a key just opened (the event filter's) until it loses focus, and the keys
        #: typed ahead of it before it had focus (``on_event``, ``input_focused``)
        self.type_into: Input | None = None
        self.typed_ahead: list[events.Key] = []
        self.source = source
        self.opener = opener
        self.verify = verify
        #: why the App ended, when it was not the user quitting (the CLI reports it)
        self.error: MsidbgError | None = None
        self.running: Worker[None] | None = None
        self.device: str | None = None
        self.cpu = 0
        self._session: Session | None = None
        self._moves = 0
        self._move_keys = 0
        self._saved_marks: tuple[Any, ...] = ()
        self._opening_thread: threading.Thread | None = None
        #: while a command runs: the cursor the panes last showed, and when they may next, by the wall
        #: clock and by the process's CPU time (``_tick``)
        self._live = (0, 0.0, 0.0)
        #: the panes that show ``view`` (``_bind_view``)
        self._view_panes: list[Widget] = []
        self.stop_text = ("start", "")
        if session is not None:
            self._use_session(session)

    @property
    def session(self) -> Session:
        assert self._session is not None, "the snapshot is still being opened"
        return self._session

    def _use_session(self, session: Session) -> None:
        self._session = session
        self._remember_stored(session)
        self.driver = Driver(session)
        self.device = next(iter(session.world["devices"]), None)
        self.stop_text = self._opening_text()
        self.saved()

    def _opening_text(self) -> tuple[str, str]:
        s = self.session
        if s.cursor == 0:
            return "start", ""
        return describe(s.last_stop, "snapshot")

    # -- layout ------------------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        """The main screen paints only the widgets a frame changed (``paint.py``)."""
        return LeanScreen(id="_default")

    def compose(self) -> ComposeResult:
        self._view_panes = []
        if self._session is None:
            yield Opening(self.source, self.verify, id="opening")
            return
        bind = self._bind_view
        with MainArea(id="main"):
            with Horizontal(id="top"):
                yield bind(VectorTable(id="vectors"))
                yield bind(ApicGrid(id="apic"))
            yield bind(PirqMap(id="pirqs"))
            with Horizontal(id="bottom"):
                with ViewTabs(id="views"):
                    for v in VIEWS:
                        with TabPane(v.title, id=f"tab-{v.id}"):
                            yield bind(v.make(self))
                with Vertical(id="side"):
                    yield bind(CallStacks(id="stacks"))
                    yield bind(BreakpointList(id="breakpoints"))
        status = StatusLine(id="status")
        status.why_key = why_key(self.user_keymap)
        yield bind(status).data_bind(MsidbgApp.progress)
        yield KeyFooter()

    def _bind_view(self, pane: W) -> W:
        """``pane.view`` follows ``App.view``: through Textual's ``data_bind`` until the pane is
        mounted, then ``show`` hands each new View to the panes itself (``data_bind``'s setter
        costs ~0.7 ms a key on the main screen's nine panes, most of it re-checking every
        reactive of each pane)."""
        self._view_panes.append(pane)
        return pane.data_bind(MsidbgApp.view)

    def on_resize(self) -> None:
        """The status line moves with the terminal's height (its own size may not change)."""
        for status in self.query(StatusLine):
            self.call_after_refresh(status.fit_toasts)

    def on_mount(self) -> None:
        quiet_collector()
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        if self._session is None:
            self.call_after_refresh(self._open)     # the progress bar is painted before the work starts
        else:
            self._start()

    def _start(self) -> None:
        self.sub_title = header_text(self.session.scenario, self.session.world)
        if not self.session.history_ready:
            self.run_command("loading history", self.session.load_history, keep_text=True)
        else:
            self.driver.settle()
        self.show(follow=True)
        self.call_after_refresh(self._focus_start)

    def _focus_start(self) -> None:
        """Where the keys start. Wide (every pane on screen): the event log, whose up/down and
        enter pick an event. Narrow (the panes stack and the main area scrolls to the focused
        one): the vector table, the top of the stack -- focusing the log, third in the stack,
        would scroll the vector table and the APIC grids (the state the stop is about) off the
        screen, while the status line below already shows the cursor's event and the stop."""
        if self.screen.has_class("-narrow"):
            self.query_one(VectorTable).focus(scroll_visible=False)
            self.query_one("#main").scroll_home(animate=False)
            return
        for rows in self.query(EventRows):
            rows.focus()

    def show(self, stop_text: tuple[str, str] | None = None, follow: bool = False) -> None:
        """Rebuild the View from the Session (every pane re-renders from it); ``follow``: the
        cursor moved, so select the device, CPU and vector its event is about."""
        if stop_text is not None:
            self.stop_text = stop_text
        view = self.driver.view(self.stop_text, self.device, self.cpu)
        self._shown(view.world)
        if follow:
            f = follow_focus(view)
            self.device = f.device or self.device
            self.cpu = self.cpu if f.cpu is None else f.cpu
            view = replace(view, device=self.device, cpu=self.cpu, vector=f.vector,
                           row=f.row if f.device == self.device else None)
        panes = self._view_panes
        if panes and all(p.is_mounted and not p._closing for p in panes):
            self.set_reactive(MsidbgApp.view, view)
            for pane in panes:          # in compose order, as data_bind's watchers run
                pane.view = view        # type: ignore[attr-defined]
        else:
            self.view = view

    # -- opening a snapshot ------------------------------------------------------------------------------
    @work(exclusive=True, group="open")
    async def _open(self) -> None:
        assert self.opener is not None
        screen = self.query_one(Opening)
        try:
            thread, done = in_daemon_thread(self.opener)
            self._opening_thread = thread
            session = await done
            if self.verify and not session.history_ready:
                target = session.cursor
                screen.replaying(target)
                timer = self.set_interval(0.05, lambda: screen.replayed(int(session.eng.w["events"]), target))
                try:
                    await session.load_history()
                finally:
                    timer.stop()
        except MsidbgError as e:
            self.error = e
            self.exit(return_code=e.exit_code)
            return
        self._use_session(session)
        await self.recompose()
        self._start()

    def action_cancel_open(self) -> None:
        if self._session is None and self.error is None:
            self.error = OpenCancelled("opening cancelled", self.source or None)
            self.workers.cancel_group(self, "open")
            stop_thread(self._opening_thread)
            self.exit(return_code=OpenCancelled.exit_code)

    # -- running commands --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.running is not None or self._session is None

    def _sync(self, what: str, command: Callable[[], Stop]) -> None:
        if self.busy:
            return
        try:
            stop = command()
        except MsidbgError as e:
            self.warn(e.message, title=what)
            return
        self.show(describe(stop, what), follow=True)

    def run_command(self, what: str, make: Callable[[], Awaitable[Any]], keep_text: bool = False) -> None:
        """Run a long command without freezing the screen; any key cancels it."""
        self.flush_moves()
        if not self.busy:
            self.running = self._run(what, make, keep_text)

    @work(exclusive=True, group="command")
    async def _run(self, what: str, make: Callable[[], Awaitable[Any]], keep_text: bool) -> None:
        s = self.session
        start = s.cursor
        self.progress = Progress(start, 0, int(s.world["now"]), what)
        self._live = (start, time.perf_counter() + LIVE_EVERY_S, time.process_time() + LIVE_EVERY_S)
        timer = self.set_interval(0.1, partial(self._tick, 0 if keep_text else start, what))
        text = self.stop_text if keep_text else (what, "")
        try:
            result = await make()
            if isinstance(result, Stop) and not keep_text:
                text = describe(result, what)
        except asyncio.CancelledError:
            text = (f"{what}: stopped by a key", "")
        except MsidbgError as e:
            self.warn(e.message, title=what)
            text = (f"{what}: failed", escape(e.message))
        finally:
            timer.stop()
            s.hold = None
            self.progress = None
            self.running = None
        if s.history_ready:
            self.driver.settle()
        self.show(text, follow=True)

    def _tick(self, start: int, what: str) -> None:
        s = self.session
        event = s.event(s.cursor) if s.history_ready and s.cursor > 0 else None
        self.progress = Progress(start, abs(s.cursor - start), int(s.world["now"]), what, event)
        shown, due, cpu_due = self._live
        if s.history_ready and s.cursor > shown and time.perf_counter() >= due and time.process_time() >= cpu_due:
            # ahead of the last world shown (never behind it: a backward search restores earlier
            # worlds as it goes); the command is between two events, its world is whole
            # the panes read their View's world (the live one) when they paint: the run is held
            # where it is until they have, so the rows, the grids and the cursor's event agree
            t0, w0 = time.process_time(), time.perf_counter()
            self.show((f"{what} (running)", ""), follow=True)
            painted = asyncio.Event()

            async def hold() -> None:
                # not asyncio.wait_for: on Python 3.11 it swallows a cancel (a key stopping the
                # run) that comes as the frame is painted -- the run went on to its end
                late = asyncio.get_running_loop().call_later(0.5, painted.set)
                try:
                    await painted.wait()
                finally:
                    late.cancel()
                now, wall = time.process_time(), time.perf_counter()
                gap = max(LIVE_EVERY_S, (now - t0) / LIVE_SHARE, (wall - w0) / LIVE_WALL_SHARE)
                self._live = (s.cursor, wall + gap, now + gap)

            self._live = (s.cursor, float("inf"), float("inf"))
            s.hold = hold
            self.call_after_refresh(painted.set)

    def post_message(self, message: Message) -> bool:
        """Count the keys coming back up the tree to the App's bindings (``keys_back``): a step key
        read meanwhile takes Textual's route behind them (``fastkeys.direct_action``)."""
        if isinstance(message, events.Key) and message.is_forwarded:
            self.keys_back += 1
        return super().post_message(message)

    async def on_event(self, event: events.Event) -> None:
        """While a command runs, any key stops it (and does nothing else). A step or step-back
        key that no widget would take goes straight to its action (``fastkeys.py``)."""
        if isinstance(event, events.Key):
            if not event.is_forwarded:
                setattr(event, READ_ON, (self.screen, self.focused))
            elif self.keys_back > 0:
                self.keys_back -= 1
            screen, focused = getattr(event, READ_ON, (self.screen, self.focused))
            if event.is_forwarded and screen is not self.screen and hasattr(self.screen, "take_key"):
                # typed ahead of the dialog on top: read while the screen below was, it went to
                # the pane focused there and is back for the bindings: the dialog's input gets it
                self.screen.take_key(event)
                event.stop()
                event.prevent_default()
                return
            if event.is_forwarded and self.type_into is not None and focused is not self.type_into:
                # typed ahead of the event filter ("/msix" enter at once): read while a pane had
                # focus, back for the bindings; the filter's input gets it once it has focus
                key = events.Key(event.key, event.character)
                if self.focused is self.type_into:
                    self.type_into._forward_event(key)
                else:
                    self.typed_ahead.append(key)
                event.stop()
                event.prevent_default()
                return
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.running is not None:
                self.running.cancel()
                event.stop()
                event.prevent_default()
                return
            action = direct_action(self, event)
            if action is not None:
                self.app_focus = True               # as Textual does for a key
                if self.focused is not None:
                    getattr(self.screen, "_clear_tooltip", lambda: None)()
                if await self.run_action(action):
                    event.stop()
                    return
        await super().on_event(event)

    # -- step and step back: counted, applied once the queued keys are read ---------------------------
    def action_step(self) -> None:
        self._queue_move(1)

    def action_step_back(self) -> None:
        self._queue_move(-1)

    def _queue_move(self, delta: int) -> None:
        """Count a step key; move now if nothing else is waiting to be read, else once the keys
        queued behind it are counted too (they arrive as messages in the App's queue)."""
        if self.busy:
            return
        self._moves += delta
        self._move_keys += 1
        if self._message_queue.empty() and self._move_keys == 1:
            self.flush_moves()
        elif self._move_keys == 1:
            self.call_later(self.flush_moves)

    def flush_moves(self) -> None:
        """Apply the step / step-back keys read so far as one move (a no-op when there are none)."""
        delta, presses = self._moves, self._move_keys
        self._moves = self._move_keys = 0
        if not presses or delta == 0 or self.busy:
            return
        times = f" ×{abs(delta)}" if abs(delta) > 1 else ""
        if delta > 0:
            self._sync(f"step{times}", lambda: self.driver.forward(delta))
        elif self.session.cursor == 0:
            self.bell()
        else:
            target = max(self.session.cursor + delta, 0)
            self._sync(f"step back{times}", lambda: self.driver.arrive(target))

    # -- debugger actions ----------------------------------------------------------------------------
    def action_continue(self) -> None:
        self.run_command("continue", self.driver.continue_)

    def action_reverse_continue(self) -> None:
        self.run_command("reverse continue", self.driver.reverse_continue)

    @on(RemoveBreakpoint)
    def _remove_breakpoint(self, message: RemoveBreakpoint) -> None:
        try:
            self.session.remove_breakpoint(message.bp_id)
        except MsidbgError as e:
            self.warn(e.message)
        self.show()

    @on(GotoEvent)
    def _goto_event(self, message: GotoEvent) -> None:
        self.goto(message.event)

    def action_filter(self) -> None:
        self.query_one(TabbedContent).active = "tab-events"
        self.type_into, self.typed_ahead = self.query_one("#event-filter", Input), []
        self.query_one("#events").open_filter()  # type: ignore[attr-defined]

    def input_focused(self, widget: Input) -> None:
        """``widget`` has focus: the keys typed ahead of it, in order."""
        if widget is self.type_into:
            early, self.typed_ahead = self.typed_ahead, []
            for key in early:
                widget._forward_event(key)

    def input_blurred(self, widget: Input) -> None:
        if widget is self.type_into:
            self.type_into, self.typed_ahead = None, []

    def action_next_view(self) -> None:
        """Show the next tab beside the call stacks (event log, timeline) and focus its pane."""
        tabs = self.query_one(TabbedContent)
        ids = [f"tab-{v.id}" for v in VIEWS]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)] if tabs.active in ids else ids[0]
        self.call_after_refresh(self._focus_view)

    def _focus_view(self) -> None:
        pane = self.query_one(TabbedContent).active_pane
        if pane is not None:
            for w in pane.query("*"):
                if w.can_focus:
                    w.focus()
                    return

    def action_help(self) -> None:
        """The help screen, built once and kept installed: composing its ~130 cells and styling
        them cost ~195 ms of CPU at every ``?`` (big-table.yaml); the keys it lists are fixed
        when the App starts (``user_keymap``), so the screen built first stays right."""
        if not self.is_screen_installed("help"):
            self.install_screen(HelpScreen(self.user_keymap), "help")
        self.push_screen("help")

    def completer(self) -> Completer:
        """Tab in the breakpoint dialog: world paths from the world at the cursor, with values."""
        s = self.session

        def run(text: str, cursor: int) -> Any:
            try:
                event = s.event(s.cursor) if s.cursor else None
            except MsidbgError:      # no history (a --no-verify snapshot whose replay diverged): the world only
                event = None
            return complete(s.world, text, cursor, event)
        return run

    # -- quitting: ask when breakpoints or bookmarks would be lost ----------------------------------------
    def _marks(self) -> tuple[Any, ...]:
        s = self.session
        return tuple((b.spec, b.enabled) for b in s.breakpoints), tuple(s.bookmarks)

    def saved(self) -> None:
        """The breakpoints and bookmarks as they are now are in a file (opened or saved)."""
        self._saved_marks = self._marks()

    def unsaved(self) -> str:
        """What quitting would lose ("" when nothing): breakpoints and bookmarks no file holds."""
        if self._session is None:
            return ""
        (bps, marks), (old_bps, old_marks) = self._marks(), self._saved_marks
        parts = []
        if bps != old_bps:
            parts.append(f"{len(bps)} breakpoint{'s' if len(bps) != 1 else ''}")
        if marks != old_marks:
            parts.append(f"{len(marks)} bookmark{'s' if len(marks) != 1 else ''}")
        return " and ".join(parts)

    async def action_quit(self) -> None:
        if self._session is None:
            self.action_cancel_open()
            return
        lost = self.unsaved()
        if not lost:
            self.exit()
            return

        def answered(answer: str | None) -> None:
            if answer == "quit":
                self.exit()
            elif answer == "save":
                self.action_save(then=self.exit)   # 's save a snapshot first': then quit

        origin = "the snapshot was opened or saved" if is_snapshot(self.source) else "the scenario was loaded"
        self.push_screen(ConfirmQuit(f"{lost}, changed since {origin},"), answered)

    def action_behaviour(self) -> None:
        self.push_screen(BehaviourScreen(self.session.scenario, self.session.world))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Behaviour: kernel / Xen / QEMU switches", "each switch's value, where it came from "
                            "and the commit behind it", self.action_behaviour)
        for a in keys.ACTIONS:
            if a.name != "quit":
                yield SystemCommand(f"{a.description}: {a.name.replace('_', ' ')}", a.help,
                                    partial(self.run_action, a.action))


def why_key(keymap: dict[str, str]) -> str:
    """The first key of the why command as bound, as the help shows it ("" when unbound)."""
    return bound_key(keymap, "why")


def bound_key(keymap: dict[str, str], name: str) -> str:
    """The first key of the command ``name`` as bound, as the help shows it ("" when unbound)."""
    from msidbg.tui.screens.help import key_label

    bound = keymap.get(name, keys.BY_NAME[name].keys).strip()
    return key_label(bound).split(", ")[0] if bound else ""


def follow_focus(view: View) -> follow.Focus:
    return follow.focus(view.world, view.event, view.changes, view.detail)


def make_app(source: str | Session, *, seed: int | None = None, breaks: Sequence[str] = (),
             verify: bool = True, keymap: dict[str, str] | None = None,
             snapshot: bool | None = None) -> MsidbgApp:
    """The one app factory (CLI and tests): a scenario (.yaml) at event 0 with its breakpoints
    armed, a snapshot (.msgpack) at its cursor with its breakpoints, or an existing Session
    (``snapshot``: a path is a snapshot or not; None guesses from its name and first byte).

    A snapshot is opened by the App itself, in the background with a progress bar (and
    verified by replay unless ``verify`` is False); a bad file ends the App with
    ``app.error`` set. ``breaks`` arms more breakpoints; ``keymap`` (action name -> keys)
    replaces the user's key file (None = read ``keys.config_path()``). Raises MsidbgError on
    bad input found before the App starts.
    """
    if keymap is None:
        keymap = keys.load_keymap(keys.config_path())
    if isinstance(source, Session):
        arm(source, breaks, "--break", None)
        return MsidbgApp(source, keymap=keymap)
    if snapshot or (snapshot is None and is_snapshot(source)):
        opener = partial(_open_snapshot, source, tuple(breaks))
        return MsidbgApp(None, opener=opener, verify=verify, keymap=keymap, source=source)
    session = Session.from_scenario(source, seed)
    arm(session, breaks, "--break", source)
    return MsidbgApp(session, keymap=keymap, source=source)


def _open_snapshot(path: str, breaks: tuple[str, ...]) -> Session:
    session = Session.open(path, verify=False)
    arm(session, breaks, "--break", path)
    return session
