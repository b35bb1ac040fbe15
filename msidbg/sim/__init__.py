"""The deterministic simulation kernel: world as data, event log, programs, step loop.

Nothing here knows about interrupts; the model (``msidbg.model``) supplies the actors.
This package never imports Textual or Rich.
"""

from .events import Event, EventLog, format_ns
from .scheduler import Engine, EngineError, Hit
from .world import copy_world, state_hash

__all__ = ["Engine", "EngineError", "Event", "EventLog", "Hit", "copy_world", "format_ns", "state_hash"]
