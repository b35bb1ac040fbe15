"""The TUI on a snapshot opened without verification (``msidbg open FILE --no-verify``).

Its panes show the world stored in the file until the history is replayed, and that world comes
from a stranger: structurally checked and hashed (``snapread``), but a resealed file can hold any
plain data where a pane expects a register or a call stack. A pane that cannot read it must not
crash the App with a traceback: while the stored world is on screen, an error of the kinds reading
another shape raises (``verify.SHAPE_ERRORS``) ends the App with the one-line snapshot error
(``verify.shape_error``, exit 2), like ``replay --no-verify`` and ``report --no-verify``. Once the
history is replayed the world is this msidbg's own and an error is a bug, reported as one.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.worker import WorkerFailed

from msidbg.debugger.verify import SHAPE_ERRORS, shape_error


class UnverifiedWorld(App[None]):
    """Turns a pane's failure to read a stranger's stored world into the App's one-line error."""

    def _handle_exception(self, error: Exception) -> None:
        cause = error.error if isinstance(error, WorkerFailed) else error
        app: Any = self
        session = getattr(app, "_session", None)
        if session is not None and not session.history_ready and isinstance(cause, SHAPE_ERRORS):
            if app.error is None:
                app.error = shape_error(str(app.source))
                self.exit(return_code=app.error.exit_code)
            return   # the App is ending: later panes' failures on the same world add nothing
        super()._handle_exception(error)
