"""Command line: argument parsing and exit codes only; the work is done elsewhere."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from msidbg import __version__
from msidbg.errors import MsidbgError

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="msidbg",
        description="A debugger for MSI/MSI-X interrupt state machines: guest Linux, QEMU xen-pt, "
        "Xen and PCI devices, simulated deterministically.",
    )
    p.add_argument("--version", action="version", version=f"msidbg {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario (TUI, or --headless)",
                       description="Run a scenario file. Opens the TUI at event 0 unless --headless.")
    r.add_argument("file", metavar="FILE.yaml")
    r.add_argument("--headless", action="store_true", help="run without the TUI and print a summary")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object (headless)")
    r.add_argument("--stop-at-break", action="store_true",
                   help="stop at the first armed breakpoint hit (exit status 1)")
    r.add_argument("--max-events", type=int, metavar="N", help="stop after N events")
    r.add_argument("--seed", type=int, metavar="N", help="override the scenario's seed")
    r.add_argument("--break", dest="breaks", action="append", default=[], metavar="SPEC",
                   help="arm another breakpoint: a built-in name, 'if <condition>', 'watch <path>' or "
                   "'call <program>'; repeatable")
    r.add_argument("--save", metavar="OUT.msgpack", help="save a snapshot at the stop (headless)")

    o = sub.add_parser("open", help="open a snapshot file in the TUI",
                       description="Open a snapshot (.msgpack) at its cursor, after verifying it by replay.")
    o.add_argument("file", metavar="FILE.msgpack")
    o.add_argument("--no-verify", action="store_true",
                   help="show the stored world at once; the history is replayed when first needed")

    p2 = sub.add_parser("replay", help="verify a snapshot by replay and print the summary at its cursor",
                        description="Re-run a snapshot's scenario to its cursor and compare with what it "
                        "recorded. Exit 0 verified, 1 diverged, 2 bad file.")
    p2.add_argument("file", metavar="FILE.msgpack")
    p2.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p2.add_argument("--no-verify", action="store_true", help="print the stored summary without replaying")

    c = sub.add_parser("check", help="run scenarios headless and compare with their expect: blocks",
                       description="Exit 0 if every file matches its expect: block, 1 on a mismatch, "
                       "2 on bad input.")
    c.add_argument("files", nargs="+", metavar="FILE.yaml")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.cmd == "run":
            return _run(args)
        if args.cmd == "check":
            return _check(args)
        if args.cmd == "open":
            return _open(args)
        if args.cmd == "replay":
            return _replay(args)
    except MsidbgError as e:
        print(e.oneline(), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("msidbg: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback for users; MSIDBG_DEBUG=1 shows it
        if os.environ.get("MSIDBG_DEBUG"):
            raise
        print(f"msidbg: internal error: {type(e).__name__}: {e} (set MSIDBG_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    from msidbg.debugger import headless
    from msidbg.scenario import load_scenario

    scn = load_scenario(args.file)
    if args.max_events is not None and args.max_events < 0:
        raise MsidbgError("--max-events: must be >= 0")
    if not args.headless:
        from msidbg.debugger import Session

        return _tui(Session(scn, args.seed), args.file, args.breaks)
    progress = sys.stderr if sys.stderr.isatty() and not args.json else None
    res = headless.run(scn, max_events=args.max_events, stop_at_break=args.stop_at_break,
                       seed=args.seed, extra_breaks=tuple(args.breaks), progress=progress, save=args.save)
    print(json.dumps(res.summary) if args.json else headless.human(res.summary))
    return EXIT_STOPPED if res.reason == "breakpoint" else EXIT_OK


def _open(args: argparse.Namespace) -> int:
    # the TUI opens (and verifies) the snapshot itself, with a progress bar and a way to cancel
    return _tui(args.file, args.file, verify=not args.no_verify)


def _tui(source: Any, path: str, breaks: Sequence[str] = (), verify: bool = True) -> int:
    """The TUI on a session or a snapshot path (``msidbg.tui.app.make_app``, the factory the
    tests use too). What ended it other than the user quitting (a bad or diverging snapshot,
    an open cancelled) is reported like any other error."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise MsidbgError("the TUI needs a terminal (use 'run --headless', or 'replay' for a snapshot)", path)
    from msidbg.tui.app import make_app

    app = make_app(source, breaks=breaks, verify=verify)
    app.run()
    if app.error is not None:
        raise app.error
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    from msidbg.debugger import Session, headless

    session = Session.open(args.file, verify=not args.no_verify)
    summ = session.summary()
    print(json.dumps(summ) if args.json else headless.human(summ))
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from msidbg.debugger import headless
    from msidbg.scenario import load_scenario

    worst = EXIT_OK
    for path in args.files:
        try:
            scn = load_scenario(path)
        except MsidbgError as e:
            print(e.oneline(), file=sys.stderr)
            worst = EXIT_BAD_INPUT
            continue
        if scn.expect is None:
            print(f"SKIP {path}: no expect: block")
            continue
        bad = headless.check(scn)
        if bad:
            print(f"FAIL {path}: " + "; ".join(bad))
            worst = max(worst, EXIT_STOPPED)
        else:
            print(f"ok   {path}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
