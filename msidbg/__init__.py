"""msidbg: a terminal debugger for MSI/MSI-X interrupt state machines."""


def _program_first() -> None:
    """The msidbg program, from msidbg's first line on, before any other module is even looked up:
    SIGINT is one line and exit 130 (``guard.install`` takes over with the same handler), and the
    command's bytecode cache is in place (``_boot.bytecode_cache``), so that ``guard``, ``errors``
    and ``_boot``, imported before the entry point runs, are read from it rather than compiled
    again on every command when ``PYTHONDONTWRITEBYTECODE`` is set."""
    import os
    import signal
    import sys

    if os.path.basename(sys.argv[0] if sys.argv else "") != "msidbg":
        return
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: (os.write(2, b"msidbg: interrupted\n"), os._exit(130)))
    bytecode_cache()


def bytecode_cache() -> str | None:
    """Direct this process's bytecode writes to msidbg's cache when they are off (see
    ``msidbg._boot``); the cache directory, or None when nothing changed. Lives here, not in
    ``_boot``, because the command runs it before ``_boot`` itself is imported."""
    import os
    import sys

    if not sys.dont_write_bytecode or sys.pycache_prefix or os.environ.get("MSIDBG_NO_BYTECODE_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    where = os.path.join(base, "msidbg", "pycache")
    sys.pycache_prefix = where
    sys.dont_write_bytecode = False
    return where


_program_first()

from msidbg import guard as _guard  # noqa: E402

_guard.install_for_cli()

from .errors import DivergenceError, MsidbgError, ScenarioError, SnapshotError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["DivergenceError", "MsidbgError", "ScenarioError", "SnapshotError", "__version__"]
