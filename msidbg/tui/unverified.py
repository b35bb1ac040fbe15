"""The TUI on a snapshot opened without verification (``msidbg open FILE --no-verify``).

Its panes show the world stored in the file until the history is replayed, and that world comes
from a stranger: structurally checked and hashed (``snapread``), but a resealed file can hold any
plain data where a pane expects a register or a call stack. A pane that cannot read it must not
crash the App with a traceback: while the stored world is on screen, an error of the kinds reading
another shape raises (``verify.SHAPE_ERRORS``) ends the App with the one-line snapshot error
(``verify.shape_error``, exit 2), like ``replay --no-verify`` and ``report --no-verify``. Once the
panes are handed a replayed world (this msidbg's own), an error is a bug, reported as one: the test
is which world the panes were given, not whether the replay has started (it starts at once in the
background, while the panes still paint the stored world).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.worker import WorkerFailed

from msidbg.debugger.verify import SHAPE_ERRORS, shape_error


class UnverifiedWorld(App[None]):
    """Turns a pane's failure to read a stranger's stored world into the App's one-line error."""

    #: the stored world of a session opened without verification, while the panes may show it
    _stored_world: Any = None

    def _remember_stored(self, session: Any) -> None:
        """A session is used: remember its world if it is the file's, not replayed."""
        self._stored_world = None if session.history_ready else session.world

    def _shown(self, world: Any) -> None:
        """The panes were handed ``world``: once it is not the stored one, nothing shows that."""
        if world is not self._stored_world:
            self._stored_world = None

    def _handle_exception(self, error: Exception) -> None:
        cause = error.error if isinstance(error, WorkerFailed) else error
        app: Any = self
        if self._stored_world is not None and isinstance(cause, SHAPE_ERRORS):
            if app.error is None:
                app.error = shape_error(str(app.source), getattr(app, "session", None), self._stored_world)
                self.exit(return_code=app.error.exit_code)
            return   # the App is ending: later panes' failures on the same world add nothing
        super()._handle_exception(error)
