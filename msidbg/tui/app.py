"""The msidbg App: owns the Session, runs commands on it, hands a ``View`` down to the panes.

``make_app`` is the one factory, used by the CLI and the tests. State flows down: after each
command the App builds a new View (``Driver.view``) and every pane, bound to ``App.view``,
re-renders from it. Messages flow up: panes and screens ask (``GotoEvent``,
``RemoveBreakpoint``); only the App touches the Session.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container, Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker

from msidbg.debugger import Session, Stop
from msidbg.debugger.breakpoints import arm
from msidbg.errors import MsidbgError
from msidbg.guard import escape
from msidbg.tui import keys
from msidbg.tui.driver import Driver, describe, parse_time
from msidbg.tui.messages import GotoEvent, RemoveBreakpoint
from msidbg.tui.panes.apic import ApicGrid
from msidbg.tui.panes.breakpoints import BreakpointList
from msidbg.tui.panes.events import EventLog, EventRows
from msidbg.tui.panes.pirqs import PirqMap
from msidbg.tui.panes.stacks import CallStacks
from msidbg.tui.panes.status import StatusLine
from msidbg.tui.panes.vectors import VectorTable
from msidbg.tui.screens.behaviour import BehaviourScreen, versions_text
from msidbg.tui.screens.bookmarks import BookmarksScreen
from msidbg.tui.screens.help import HelpScreen
from msidbg.tui.screens.prompt import Prompt
from msidbg.tui.view import Progress, View

SNAPSHOT_SUFFIXES = (".msgpack", ".msidbg")
GC_THRESHOLD = 50_000


class MsidbgApp(App[None]):
    """The debugger's main screen: vector table, APIC grids, pirq map, event log, stacks."""

    CSS_PATH = "msidbg.tcss"
    TITLE = "msidbg"
    BINDINGS = keys.bindings()
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    view: reactive[View | None] = reactive(None, repaint=False)
    """The state at the cursor, handed to every pane."""
    progress: reactive[Progress | None] = reactive(None, repaint=False)
    """How far a running continue has got (None when nothing runs)."""

    def __init__(self, session: Session, *, keymap: dict[str, str] | None = None, source: str = "") -> None:
        super().__init__()
        self.session = session
        self.driver = Driver(session)
        self.user_keymap = dict(keymap or {})
        self.source = source
        self.device: str | None = next(iter(session.world["devices"]), None)
        self.cpu = 0
        self.running: Worker[None] | None = None
        self.stop_text = self._opening_text()

    def _opening_text(self) -> tuple[str, str]:
        s = self.session
        if s.cursor == 0:
            return "start", ""
        return describe(s.last_stop, f"snapshot at event {s.cursor}")

    # -- layout ------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Container(id="main"):
            with Horizontal(id="top"):
                yield VectorTable(id="vectors").data_bind(MsidbgApp.view)
                yield ApicGrid(id="apic").data_bind(MsidbgApp.view)
            yield PirqMap(id="pirqs").data_bind(MsidbgApp.view)
            with Horizontal(id="bottom"):
                yield EventLog(self.driver.events, id="events").data_bind(MsidbgApp.view)
                with Vertical(id="side"):
                    yield CallStacks(id="stacks").data_bind(MsidbgApp.view)
                    yield BreakpointList(id="breakpoints").data_bind(MsidbgApp.view)
        yield StatusLine(id="status").data_bind(MsidbgApp.view, MsidbgApp.progress)
        yield Footer()

    def on_mount(self) -> None:
        quiet_collector()
        if self.user_keymap:
            self.set_keymap(self.user_keymap)
        self.sub_title = f"{self.session.scenario.name} · {versions_text(self.session.scenario)}"
        if not self.session.history_ready:
            self.run_command("loading history", self.session.load_history, keep_text=True)
        else:
            self.driver.settle()
        self.show()
        self.query_one(EventRows).focus()

    def show(self, stop_text: tuple[str, str] | None = None) -> None:
        """Rebuild the View from the Session (every pane re-renders from it)."""
        if stop_text is not None:
            self.stop_text = stop_text
        self.view = self.driver.view(self.stop_text, self.device, self.cpu)

    # -- running commands --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.running is not None

    def _sync(self, what: str, command: Callable[[], Stop]) -> None:
        if self.busy:
            return
        try:
            stop = command()
        except MsidbgError as e:
            self.notify(e.message, title=what, severity="error")
            return
        self.show(describe(stop, what))

    def run_command(self, what: str, make: Callable[[], Awaitable[Any]], keep_text: bool = False) -> None:
        """Run a long command without freezing the screen; any key cancels it."""
        if not self.busy:
            self.running = self._run(what, make, keep_text)

    @work(exclusive=True, group="command")
    async def _run(self, what: str, make: Callable[[], Awaitable[Any]], keep_text: bool) -> None:
        s = self.session
        start = s.cursor
        self.progress = Progress(start, 0, int(s.world["now"]), what)
        timer = self.set_interval(0.1, partial(self._tick, 0 if keep_text else start, what))
        text = self.stop_text if keep_text else (what, "")
        result: Any = None
        try:
            result = await make()
            if isinstance(result, Stop) and not keep_text:
                text = describe(result, what)
        except asyncio.CancelledError:
            text = (f"{what}: stopped by a key", "")
        except MsidbgError as e:
            self.notify(e.message, title=what, severity="error")
            text = (f"{what}: failed", e.message)
        finally:
            timer.stop()
            self.progress = None
            self.running = None
        if s.history_ready:
            self.driver.settle()
            if isinstance(result, Stop) and result.reason == "breakpoint":
                self._select_device_of_event()
        self.show(text)

    def _select_device_of_event(self) -> None:
        """At a breakpoint, show the vector table of the device its event is about."""
        n = self.session.cursor
        event = self.session.event(n) if n > 0 else None
        if event is not None and event.dev in self.session.world["devices"]:
            self.device = event.dev

    def _tick(self, start: int, what: str) -> None:
        s = self.session
        self.progress = Progress(start, abs(s.cursor - start), int(s.world["now"]), what)

    async def on_event(self, event: events.Event) -> None:
        """While a command runs, any key stops it (and does nothing else)."""
        if isinstance(event, events.Key) and self.running is not None and not event.is_forwarded:
            self.running.cancel()
            event.stop()
            event.prevent_default()
            return
        await super().on_event(event)

    # -- debugger actions ----------------------------------------------------------------------------
    def action_step(self) -> None:
        self._sync("step", self.driver.step)

    def action_step_back(self) -> None:
        if self.session.cursor == 0:
            self.bell()
            return
        self._sync("step back", lambda: self.driver.arrive(self.session.cursor - 1))

    def action_continue(self) -> None:
        self.run_command("continue", self.driver.continue_)

    def action_reverse_continue(self) -> None:
        self.run_command("reverse continue", self.driver.reverse_continue)

    def goto(self, event: int) -> None:
        self.run_command(f"goto {event}", lambda: self.driver.arrive_async(event))

    def action_goto(self) -> None:
        hint = f"0 .. {self.session.total:,} recorded; further runs forward. +N / -N are relative."
        self._prompt(Prompt("Go to event", self._check_event, placeholder="event number", hint=hint),
                     self.goto)

    def action_run_to_time(self) -> None:
        def check(text: str) -> tuple[Any, str | None]:
            t = parse_time(text)
            return (t, None) if t is not None else (None, "expected a time such as 2ms, 1.5us or 1200 (ns)")

        self._prompt(Prompt("Run to virtual time", check, placeholder="e.g. 2ms"),
                     lambda t: self.run_command(f"run to {text_ns(t)}", lambda: self.driver.run_to_time(t)))

    def action_add_breakpoint(self, prefix: str = "") -> None:
        hint = ("built-in names: msix-write-unmasked, msi-torn-message, irq-spurious, irq-lost, pirq-conflict, "
                "msi-blocked-by-msix-mask, probe-failed;  if <cond>;  watch <path>;  call <program>")
        self._prompt(Prompt("Add breakpoint", self.driver.add_breakpoint, value=prefix, hint=hint,
                            select_all=False),
                     lambda bp_id: self._armed(bp_id))

    def action_watch(self) -> None:
        self.action_add_breakpoint("watch ")

    def _armed(self, bp_id: int) -> None:
        self.notify(f"breakpoint {bp_id} armed")
        self.show()

    @on(RemoveBreakpoint)
    def _remove_breakpoint(self, message: RemoveBreakpoint) -> None:
        try:
            self.session.remove_breakpoint(message.bp_id)
        except MsidbgError as e:
            self.notify(e.message, severity="error")
        self.show()

    @on(GotoEvent)
    def _goto_event(self, message: GotoEvent) -> None:
        self.goto(message.event)

    def action_bookmark(self) -> None:
        def check(text: str) -> tuple[Any, str | None]:
            name, _, note = text.partition(":")
            try:
                return self.session.bookmark(name, note.strip()), None
            except MsidbgError as e:
                return None, e.message

        self._prompt(Prompt(f"Bookmark event {self.session.cursor}", check, placeholder="name: note"),
                     lambda bm: self.notify(f"bookmark {escape(bm.name)!r} at event {bm.event}", markup=False))

    def action_bookmarks(self) -> None:
        self._prompt(BookmarksScreen(self.session.bookmarks), self.goto)

    def action_save(self) -> None:
        default = f"{self.session.scenario.name}-{self.session.cursor}.msgpack"

        def check(path: str) -> tuple[Any, str | None]:
            try:
                self.session.save(path.strip())
                return path.strip(), None
            except (MsidbgError, OSError) as e:
                return None, getattr(e, "message", None) or str(e)

        self._prompt(Prompt("Save snapshot to", check, value=default),
                     lambda path: self.notify(f"saved event {self.session.cursor} to {path}"))

    def action_next_device(self) -> None:
        devices = self.driver.devices()
        if devices and self.device in devices:
            self.device = devices[(devices.index(self.device) + 1) % len(devices)]
            self.show()

    def action_next_cpu(self, delta: int = 1) -> None:
        self.cpu = (self.cpu + delta) % len(self.session.world["cpus"])
        self.show()

    def action_prev_cpu(self) -> None:
        self.action_next_cpu(-1)

    def action_filter(self) -> None:
        self.query_one(EventLog).open_filter()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.user_keymap))

    def _prompt(self, screen: Screen[Any], then: Callable[[Any], object]) -> None:
        if self.busy:
            return

        def done(value: Any) -> None:
            if value is not None:
                then(value)

        self.push_screen(screen, done)

    def _check_event(self, text: str) -> tuple[Any, str | None]:
        text = text.strip().replace(",", "").replace("_", "").lstrip("#")
        try:
            n = int(text)
        except ValueError:
            return None, "expected an event number (e.g. 205, +10, -3)"
        if text.startswith(("+", "-")):
            n += self.session.cursor
        return (n, None) if n >= 0 else (None, "event numbers start at 0")

    def action_behaviour(self) -> None:
        self.push_screen(BehaviourScreen(self.session.scenario))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Behaviour: kernel / Xen / QEMU switches", "each switch's value, where it came from "
                            "and the commit behind it", self.action_behaviour)
        for a in keys.ACTIONS:
            if a.name != "quit":
                yield SystemCommand(f"{a.description}: {a.name.replace('_', ' ')}", a.help,
                                    partial(self.run_action, a.action))


def text_ns(t: int) -> str:
    from msidbg.sim.events import format_ns

    return format_ns(t)


def quiet_collector() -> None:
    """Keep Python's cyclic garbage collector out of key latency (process-wide, once is enough).

    A session's worlds are acyclic plain data, freed by reference counting, but every world a
    step back restores is ~100k new containers, and the full collections they trigger walk
    every object (40-60 ms with a 2,048-entry table): the latency spikes. So what is loaded at
    startup is frozen out of the collector's scans, and young objects are collected every
    50,000 allocations instead of 700.
    """
    if gc.get_threshold()[0] < GC_THRESHOLD:
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)


def make_app(source: str | Session, *, seed: int | None = None, breaks: Sequence[str] = (),
             verify: bool = True, keymap: dict[str, str] | None = None) -> MsidbgApp:
    """The one app factory (CLI and tests): a scenario (.yaml) at event 0 with its breakpoints
    armed, a snapshot (.msgpack) at its cursor with its breakpoints, or an existing Session.

    ``breaks`` arms more breakpoints; ``keymap`` (action name -> keys) replaces the user's
    key file (None = read ``keys.config_path()``). Raises MsidbgError on bad input.
    """
    if isinstance(source, Session):
        session, path = source, ""
    elif is_snapshot(source):
        session, path = Session.open(source, verify=verify), source
    else:
        session, path = Session.from_scenario(source, seed), source
    arm(session, breaks, "--break", path or None)
    if keymap is None:
        keymap = keys.load_keymap(keys.config_path())
    return MsidbgApp(session, keymap=keymap, source=path)


def is_snapshot(path: str) -> bool:
    """A snapshot by its name, else by its first byte (a msgpack map; YAML is text)."""
    p = Path(path)
    if p.suffix in SNAPSHOT_SUFFIXES:
        return True
    if p.suffix in (".yaml", ".yml"):
        return False
    try:
        with p.open("rb") as f:
            first = f.read(1)
    except OSError:
        return False
    return bool(first) and (first[0] & 0xF0 == 0x80 or first[0] in (0xDE, 0xDF))
