"""msidbg: a terminal debugger for MSI/MSI-X interrupt state machines."""


def _sigint_first() -> None:
    """The msidbg program: SIGINT is one line and exit 130 from msidbg's first line on, before
    any other module is even looked up (``guard.install`` takes over with the same handler)."""
    import os
    import signal
    import sys

    if os.path.basename(sys.argv[0] if sys.argv else "") == "msidbg" and \
            signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda signum, frame: (os.write(2, b"msidbg: interrupted\n"), os._exit(130)))


_sigint_first()

from msidbg import guard as _guard  # noqa: E402

_guard.install_for_cli()

from .errors import DivergenceError, MsidbgError, ScenarioError, SnapshotError  # noqa: E402

__version__ = "0.1.0"

__all__ = ["DivergenceError", "MsidbgError", "ScenarioError", "SnapshotError", "__version__"]
