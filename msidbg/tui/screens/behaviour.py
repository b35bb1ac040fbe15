"""The resolved behaviour table (command palette: "Behaviour"): each switch, its value, where the
value came from (explicit / a version / the default) and the commit behind it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from msidbg.debugger.headless import behaviour_lines
from msidbg.scenario import Scenario


def versions_text(scn: Scenario) -> str:
    """``kernel 5.15.30 · xen 4.5 · qemu-xen-4.5`` (or "current upstream" when no version is named)."""
    named = [f"{layer} {v}" if layer != "qemu" else v for layer, v in scn.behaviour.versions]
    return " · ".join(named) or "current upstream"


class BehaviourScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, scn: Scenario) -> None:
        super().__init__()
        self.scn = scn

    def compose(self) -> ComposeResult:
        summary = self.scn.behaviour.shown(self.scn.platform.kind)
        with VerticalScroll(id="help-box"):
            yield Static(f"Behaviour of {self.scn.name}: {versions_text(self.scn)}", id="help-title")
            yield Static("\n".join(behaviour_lines(summary)[1:]), id="behaviour-rows", markup=False)
            yield Static("Explicit switch > version > current-upstream default; the table and its commits: "
                         "docs/fidelity.md", id="help-config")

    def rows(self) -> list[str]:
        """The switch lines as shown, for tests."""
        return str(self.query_one("#behaviour-rows", Static).content).splitlines()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
