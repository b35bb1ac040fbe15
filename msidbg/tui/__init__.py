"""The Textual front end: a view over a debugger Session (``make_app`` in ``app.py``).

Pure projection modules here (``table``, ``apicgrid``, ``stacks``, ``pirqmap``, ``digest``)
import nothing from Textual, so they are unit-tested without an app running.

Importing this package sets Textual's frame-rate cap (``TEXTUAL_FPS``) to 120 unless the user
set it; it must happen before Textual is imported (the CLI imports ``msidbg.tui.app`` first).
Textual paints from a timer at that rate, and after a frame that overran its interval the next
may come up to two intervals later: at the default 60 that put up to 33 ms between a key and
the frame showing it when keys come quickly (key repeat, ``benchmarks/tui.py``). At 120 it is
half; frames are still painted only when something changed.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
