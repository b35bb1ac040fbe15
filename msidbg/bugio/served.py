"""The process textual-serve starts per browser session: ``python -m msidbg.bugio.served FILE``."""

from __future__ import annotations

import sys

from msidbg.bugio.serve import run_app
from msidbg.errors import MsidbgError


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m msidbg.bugio.served FILE", file=sys.stderr)
        return 2
    try:
        run_app(argv[0])
    except MsidbgError as e:
        print(e.oneline(), file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
