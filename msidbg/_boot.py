"""The ``msidbg`` command's entry point: a bytecode cache, then the CLI.

Python compiles every imported module it has no bytecode for. With ``PYTHONDONTWRITEBYTECODE``
set (or an unwritable checkout) nothing is ever cached, and each ``msidbg`` command recompiles
msidbg's modules: most of a short command's run time. So when the user's setting forbids
writing ``__pycache__`` next to the sources, the command keeps its bytecode in a cache of its
own instead (``$XDG_CACHE_HOME/msidbg/pycache``, else ``~/.cache/msidbg/pycache``): the source
tree stays clean, as the setting asks. ``PYTHONPYCACHEPREFIX`` (the user's own choice of cache)
and ``MSIDBG_NO_BYTECODE_CACHE=1`` leave everything as it is. Library use (``import msidbg``)
is never affected: only this entry point does it.
"""

from __future__ import annotations

import os
import sys


def bytecode_cache() -> str | None:
    """Direct this process's bytecode writes to msidbg's cache when they are off; the cache
    directory, or None when nothing changed."""
    if not sys.dont_write_bytecode or sys.pycache_prefix or os.environ.get("MSIDBG_NO_BYTECODE_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):
        return None
    where = os.path.join(base, "msidbg", "pycache")
    sys.pycache_prefix = where
    sys.dont_write_bytecode = False
    return where


def main() -> int:
    bytecode_cache()
    from msidbg.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
