"""The Textual front end: a view over a debugger Session (``make_app`` in ``app.py``).

Pure projection modules here (``table``, ``apicgrid``, ``stacks``, ``pirqmap``, ``digest``)
import nothing from Textual, so they are unit-tested without an app running.
"""
