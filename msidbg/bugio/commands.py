"""The bug-report subcommands: ``new``, ``schema``, ``report``, ``export``, ``serve``.

``register(sub)`` adds their parsers to the CLI's subparsers and returns the handlers by
command name; ``cli.py`` calls it and dispatches. Handlers return an exit status and raise
``MsidbgError`` for bad input (the CLI prints it as one line).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from msidbg import guard
from msidbg.guard import escape

Handler = Callable[[argparse.Namespace], int]
NO_CLOBBER_HELP = ("never replace OUT: an existing file that is not empty is refused, exit 2 (default: "
                   "OUT is replaced atomically; the input file never is)")


def register(sub: Any) -> dict[str, Handler]:
    """Add the subcommands to ``sub`` (an argparse subparsers action)."""
    n = sub.add_parser(
        "new", help="a scenario skeleton from lspci / /proc/interrupts / dmesg text",
        description="Build a commented scenario skeleton from a bug report's artifacts: one device "
        "per function with an MSI or MSI-X capability (on bare metal also one with only an INTx pin) in the "
        "lspci -vv text, with its INTx pin and GSI (intx:) where the loader models it (bare metal; a Xen HVM "
        "guest's passthrough function, whose gsi: is the machine GSI), the CPU count and each "
        "vector's CPU from /proc/interrupts, the kernel release and the Xen version from dmesg, and each "
        "suspend or hibernation dmesg shows as pm_suspend / pm_resume (pm_freeze / pm_thaw) of every device "
        "(the suspend's power state when dmesg reports it, else D3hot), then a fire of every vector; lspci's "
        "NoSoftRst+ sets quirk pm-no-soft-reset. Lines that could not be used are listed in a comment at the end.")
    n.add_argument("--lspci", required=True, metavar="FILE", help="lspci -vv or -vvv output (or a quoted capability "
                   "line); '-' reads standard input, for one of the three inputs")
    n.add_argument("--interrupts", metavar="FILE", help="a copy of /proc/interrupts")
    n.add_argument("--dmesg", metavar="FILE", help="dmesg output")
    n.add_argument("--platform", choices=("bare-metal", "xen-hvm", "xen-pv"),
                   help="the platform; given, it overrides what dmesg says (default: from dmesg, else bare-metal)")
    n.add_argument("-o", "--output", required=True, type=guard.path_arg, metavar="OUT.yaml",
                   help="where to write the scenario ('-': stdout)")
    n.add_argument("--no-clobber", dest="force", action="store_false", help=NO_CLOBBER_HELP)

    s = sub.add_parser(
        "schema", help="print the JSON Schema of scenario files (for YAML language servers)",
        description="Print a JSON Schema (draft 2020-12) of the scenario format, derived from the "
        "loader's own tables. Point your editor's YAML language server at it for completion and checks.")
    s.add_argument("-o", "--output", type=guard.path_arg, metavar="OUT.json", help="write it to a file instead of stdout")
    s.add_argument("--no-clobber", dest="force", action="store_false", help=NO_CLOBBER_HELP)
    r = sub.add_parser(
        "report", help="a plain-text (or Markdown) bug report of a snapshot or a scenario's run, for a mail or a tracker",
        description="Write a report at most 72 columns wide: the stop, versions and resolved behaviour "
        "switches, per-device counts, hits, the state at the stop, bookmarks and how to reproduce. "
        "A scenario file is run to its first armed breakpoint (or the end) first.")
    r.add_argument("file", metavar="FILE", help="a snapshot (.msgpack), a mail holding one, or a scenario (.yaml)")
    r.add_argument("--markdown", action="store_true", help="Markdown for a tracker instead of plain text")
    r.add_argument("--inline", action="store_true",
                   help="append the snapshot as an armoured text block that `msidbg open` reads back from the mail")
    r.add_argument("--no-verify", action="store_true",
                   help="a snapshot: report the world, hits and switches as the file recorded them, without "
                   "replaying it (a file of another model revision diverges on replay); no cause chain")
    r.add_argument("-o", "--output", type=guard.path_arg, metavar="OUT", help="write to a file instead of stdout")
    r.add_argument("--no-clobber", dest="force", action="store_false", help=NO_CLOBBER_HELP)
    r.add_argument("--max-events", type=guard.int_arg(1, 2**62), metavar="N",
                   help="a scenario: stop its run after N events (default 20,000,000: a run cut there says so "
                   "on stderr); not with a snapshot")
    e = sub.add_parser(
        "export", help="a Perfetto trace of a run (ui.perfetto.dev)",
        description="Run a scenario (or re-run a snapshot's scenario, past its cursor to the end) and write "
        "a Perfetto protobuf trace: a track per CPU with the kernel programs nested, per device vector "
        "(signals, held time in the PBA or IRR), Xen and QEMU; flows from each signal to its handler or "
        "loss; IRR depth and pending pirq counters; hits and bookmarks.")
    e.add_argument("file", metavar="FILE", help="a scenario (.yaml), a snapshot (.msgpack) or a mail holding one")
    e.add_argument("--perfetto", required=True, type=guard.path_arg, metavar="OUT",
                   help="the trace file to write (.pftrace)")
    e.add_argument("--no-clobber", dest="force", action="store_false", help=NO_CLOBBER_HELP)
    e.add_argument("--max-events", type=guard.int_arg(0, 2**62), metavar="N", help="stop the run after N events, "
                   "counted from event 0 for a snapshot too (default: the end of the run, at most "
                   "20,000,000 events: a run cut there says so on stderr); a trace is at most 5,000,000 "
                   "records, held in memory: one that reaches them ends at that event, and says so on stderr")
    e.add_argument("--seed", type=guard.int_arg(0, 2**63 - 1), metavar="N", help="override a scenario's seed (a snapshot replays its own)")
    v = sub.add_parser(
        "serve", help="serve the TUI in a web browser (textual-serve)",
        description="Serve the debugger's TUI on a scenario or a snapshot to a web browser. Each browser "
        "tab gets its own session. Listens on 127.0.0.1 unless --host says otherwise.")
    v.add_argument("file", metavar="FILE", help="a scenario (.yaml), a snapshot (.msgpack) or a mail holding one")
    v.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    v.add_argument("--port", type=guard.int_arg(1, 65535, "a TCP port"), default=8000,
                   help="the TCP port (default 8000)")
    v.add_argument("--no-verify", action="store_true",
                   help="a snapshot: as 'open --no-verify', each tab shows the stored world at once and replays the "
                   "history when first needed (a file of another model revision, whose replay diverges, can be "
                   "served; the TUI then says it has no history)")
    return {"new": _new, "schema": _schema, "report": _report, "export": _export, "serve": _serve}


def _write(path: str, text: str, force: bool, option: str = "-o/--output") -> None:
    """``-`` is stdout; a file is written atomically, an existing one that is not empty only
    with ``force``."""
    if path == "-":
        sys.stdout.write(text)
        return
    from msidbg.errors import MsidbgError
    from msidbg.files import FileProblem, write_atomic

    try:
        write_atomic(path, text.encode("utf-8"), force)
    except FileProblem as e:   # the file, the subcommand and the option (hardening32)
        raise MsidbgError(e.message, path, option=option) from None


def _stdout_alias(args: argparse.Namespace) -> None:
    """``-o /dev/stdout`` (``/dev/fd/1``, ...) is ``-o -`` (docs/debugger.md "Output files")."""
    from msidbg.files import stdout_alias

    args.output = stdout_alias(args.output)


def _new(args: argparse.Namespace) -> int:
    _stdout_alias(args)
    from msidbg.bugio.new import Inputs, build

    out = None if args.output == "-" else args.output
    _no_force_without_file(args, "new", "-o FILE")
    if out is not None:   # '-o lspci.txt' replaced the lspci text by the skeleton made from it
        for source in (args.lspci, args.interrupts, args.dmesg):
            if source not in (None, "-"):
                _check_output(out, source, True)   # never an input, --no-clobber or not
        _check_output(out, None, args.force)
    text = build(Inputs(args.lspci, args.interrupts, args.dmesg, args.platform, out))
    _write(args.output, text, args.force)
    if out is not None:
        print(f"wrote {escape(out)}: check it, then `msidbg run {escape(out)}`", file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    _stdout_alias(args)
    import json

    from msidbg.bugio.schema import schema

    _no_force_without_file(args, "schema", "-o FILE")
    if args.output not in (None, "-"):
        _check_output(args.output, None, args.force)
    _write(args.output or "-", json.dumps(schema(), indent=2) + "\n", args.force)
    return 0


def _report(args: argparse.Namespace) -> int:
    _stdout_alias(args)
    from msidbg.bugio.report import render
    from msidbg.debugger import progress

    _no_force_without_file(args, "report", "-o FILE")
    if args.output not in (None, "-"):
        _check_output(args.output, args.file, args.force)
    cut: list[tuple[int, int]] = []
    with progress.for_cli():    # a scenario runs first, a snapshot is verified by replay
        text = render(args.file, markdown=args.markdown, inline=args.inline, verify=not args.no_verify,
                      max_events=args.max_events, cut=cut)
    _say_cut(args.file, cut)
    _write(args.output or "-", text, args.force)
    return 0


def _say_cut(path: str, cut: list[tuple[int, int]]) -> None:
    """The line of a run the default event cap cut (``headless.cap_line``), as ``run`` says it."""
    from msidbg.debugger.headless import cap_line

    for cap, time_ns in cut:
        print(cap_line(path, cap, time_ns), file=sys.stderr)


def _no_force_without_file(args: argparse.Namespace, cmd: str, what: str) -> None:
    if not args.force and args.output in (None, "-"):
        raise guard.UsageError(f"{cmd}: argument --no-clobber: only with {what} (expected {what} with it) "
                               f"(see 'msidbg {cmd} --help')")


def _check_output(out: str, source: str | None, force: bool, option: str = "-o/--output") -> None:
    """A bad output path fails before the work, the input file is never one, nor a msidbg
    snapshot, and (unless ``force``) neither is a file that is not empty (MsidbgError)."""
    from msidbg.errors import MsidbgError
    from msidbg.files import FileProblem, check_new, check_not_input, check_not_snapshot, check_target

    try:
        check_target(out)
        if source is not None:
            check_not_input(out, source)
        check_not_snapshot(out)         # a report, a scenario, a trace over a snapshot: never
        if not force:
            check_new(out)
    except FileProblem as e:
        raise MsidbgError(e.message, out, option=option) from None


def _export(args: argparse.Namespace) -> int:
    from msidbg.debugger import progress

    cut: list[tuple[int, int]] = []
    with progress.for_cli():    # the run (or the snapshot's replay) before the trace is written
        events, run = _export_run(args, cut)
    _say_cut(args.file, cut)
    if run.cut_at is not None:
        from msidbg.bugio.perfetto import cut_line

        print(cut_line(args.file, run), file=sys.stderr)
        events = run.cut_at
    t = run.totals
    print(f"wrote {escape(args.perfetto)}: {events} events, {t.signals} signals ({t.delivered} delivered, "
          f"{t.lost} lost, {t.in_flight} in flight); open it in ui.perfetto.dev", file=sys.stderr)
    return 0


def _export_run(args: argparse.Namespace, cut: list[tuple[int, int]]) -> tuple[int, Any]:
    """(events run, the trace's replay); a run the default event cap cut appends (cap, time) to ``cut``."""
    from msidbg.bugio.perfetto import export
    from msidbg.bugio.report import is_snapshot_source
    from msidbg.debugger import Session
    from msidbg.debugger.headless import forward_capped

    _check_output(args.perfetto, args.file, args.force, "--perfetto")
    mark = None
    if is_snapshot_source(args.file):
        if args.seed is not None:
            from msidbg.debugger.whyrun import seed_of_snapshot

            raise seed_of_snapshot(args.file)
        s = Session.open(args.file)
        mark = s.cursor
    else:
        s = Session.from_scenario(args.file, args.seed)
    # --max-events counts from event 0 for a snapshot too (it counted from the snapshot's cursor)
    if args.max_events is not None and args.max_events < s.cursor:
        s.seek(args.max_events)
        mark = None      # the snapshot's cursor is past the trace's end
    else:   # to the end, at most the default cap without --max-events (hardening27)
        stop, cap = forward_capped(s, args.max_events)
        if cap is not None:
            cut.append((cap, stop.time_ns))
    return s.cursor, export(s, args.perfetto, mark=mark, replace=args.force)


def _serve(args: argparse.Namespace) -> int:
    from msidbg.bugio.serve import serve

    serve(args.file, args.host, args.port, verify=not args.no_verify)
    return 0
