"""The engine's error (kept in a module of its own: a compiled scheduler cannot subclass RuntimeError)."""


class EngineError(RuntimeError):
    """A model broke an engine invariant (a bug in msidbg, never a user error)."""
