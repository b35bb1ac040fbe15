"""The panes of the main screen: one widget per module, each a view of the world at the cursor.

``VIEWS`` is the registry of the tabbed area beside the call stacks (the event log, the
timeline; a pane added here gets a tab, e.g. the cause chain of issue 13's ``why``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.widget import Widget


@dataclass(frozen=True)
class PaneSpec:
    """A tab of the main screen: its id (``#<id>``), title, and how the App makes it."""

    id: str
    title: str
    make: Callable[[Any], Widget]


def _events(app: Any) -> Widget:
    from msidbg.tui.panes.events import EventLog

    return EventLog(app.driver.events, id="events")


def _timeline(app: Any) -> Widget:
    from msidbg.tui.panes.timeline import Timeline

    return Timeline(app.driver.events, app.driver.all_hits, id="timeline")


VIEWS: tuple[PaneSpec, ...] = (
    PaneSpec("events", "Events", _events),
    PaneSpec("timeline", "Timeline", _timeline),
)
