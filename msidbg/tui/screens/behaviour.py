"""The behaviour table (command palette: "Behaviour"): each switch, its value, where the value came
from (explicit / a version / the default) and the commit behind it; for a snapshot opened without
verification, the values the file recorded, each one this msidbg resolves differently marked
(``debugger.summary.behaviour``)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from msidbg.debugger.headless import behaviour_lines
from msidbg.debugger.summary import behaviour, differing
from msidbg.scenario import Scenario


def versions_text(scn: Scenario) -> str:
    """``kernel 5.15.30 · xen 4.5 · qemu-xen-4.5`` (or "current upstream" when no version is named)."""
    named = [f"{layer} {v}" if layer != "qemu" else v for layer, v in scn.behaviour.versions]
    return " · ".join(named) or "current upstream"


def header_text(scn: Scenario, world: dict[str, Any]) -> str:
    """The App's sub-title: the scenario, its versions, and on a snapshot whose run used switches
    this msidbg would resolve differently (opened without verification), how many."""
    table = behaviour(scn, world)
    other = differing(table)
    note = f" · {len(other)} switch(es) recorded otherwise than this msidbg resolves (palette: Behaviour)" if other else ""
    doubt = sum(1 for b in table.values() if b.get("unconfirmed"))
    if doubt:
        note += f" · {doubt} switch(es) on an unconfirmed release reading (palette: Behaviour)"
    return f"{scn.name} · {versions_text(scn)}{note}"


class BehaviourScreen(ModalScreen[None]):
    #: its rows on the help screen (``help.PANE_KEYS`` / ``DIALOG_KEYS``)
    HELP_TITLE = "behaviour"
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, scn: Scenario, world: dict[str, Any]) -> None:
        super().__init__()
        self.scn = scn
        self.world = world

    def compose(self) -> ComposeResult:
        lines = behaviour_lines(behaviour(self.scn, self.world))
        with VerticalScroll(id="help-box"):
            yield Static(f"Behaviour of {self.scn.name}: {versions_text(self.scn)}", id="help-title")
            if lines[:1] != ["behaviour:"]:   # the file's values, some of them not this msidbg's
                yield Static(lines[0].removeprefix("behaviour ").strip("():"), id="behaviour-note", markup=False)
            yield Static("\n".join(lines[1:]), id="behaviour-rows", markup=False)
            yield Static("Explicit switch > version > current-upstream default; the table and its commits: "
                         "docs/fidelity.md", id="help-config")

    def rows(self) -> list[str]:
        """The switch lines as shown, for tests."""
        return str(self.query_one("#behaviour-rows", Static).content).splitlines()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
