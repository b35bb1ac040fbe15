"""The process textual-serve starts per browser session: ``python -m msidbg.bugio.served [--no-verify] FILE``."""

from __future__ import annotations

import sys

from msidbg.bugio.serve import run_app
from msidbg.errors import MsidbgError


def main(argv: list[str]) -> int:
    verify = argv[:1] != ["--no-verify"]
    if len(argv) != (1 if verify else 2):
        print("usage: python -m msidbg.bugio.served [--no-verify] FILE", file=sys.stderr)
        return 2
    try:
        run_app(argv[-1], verify)
    except MsidbgError as e:
        print(e.oneline(), file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
