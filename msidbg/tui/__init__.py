"""The Textual front end: a view over a debugger Session (``make_app`` in ``app.py``).

Pure projection modules here (``table``, ``apicgrid``, ``stacks``, ``pirqmap``, ``digest``)
import nothing from Textual, so they are unit-tested without an app running.

Importing this package sets Textual's frame-rate cap (``TEXTUAL_FPS``) to 1000 unless the user
set it; it must happen before Textual is imported (the CLI imports ``msidbg.tui.app`` first).
Textual paints from a timer at that rate, on a fixed grid of intervals: a key handled within an
interval of the last frame waits for the grid's next point (at the default 60, up to 17 ms; at
120, up to 8 ms -- a step forward after a step back on big-table, ~4 ms on average). At 1000 a
frame follows its key as soon as the App is idle. Frames are still painted only when something
changed, and keys that arrive together are applied as one move (``app.py``), so the cap no
longer has anything to batch.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "1000")
