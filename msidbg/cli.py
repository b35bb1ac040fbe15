"""Command line: argument parsing and exit codes only; the work is done elsewhere.

Every subcommand runs under ``guard.run``: one-line errors, exit 130 on SIGINT, quiet on a
closed pipe, internal errors reported with a traceback file. Build subcommand parsers from
``_parser()`` (a ``guard.Parser``: one-line usage errors); use ``guard.int_arg`` /
``guard.path_arg`` for numbers and output paths, and ``guard.escape`` for any text from a file.
"""

from __future__ import annotations

from msidbg import guard

guard.install_for_cli()  # SIGINT from here on: one line, exit 130 (before the imports below)

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import Any  # noqa: E402

from msidbg import __version__  # noqa: E402
from msidbg.errors import MsidbgError  # noqa: E402
from msidbg.guard import EXIT_BAD_INPUT, EXIT_OK, EXIT_STOPPED, escape  # noqa: E402

MAX_SEED = 2**63 - 1
NO_CLOBBER_HELP = ("never replace OUT: an existing file that is not empty is refused, exit 2 (default: "
                   "OUT is replaced atomically; the input file never is)")
MAX_EVENTS = 2**62

class _TimingArg:
    """An argparse type from ``scenario_timing`` (``duration_arg``, ``window_arg``), imported when an
    option is given (the parser is built on every start-up; YAML's modules are not needed for it)."""

    def __init__(self, name: str) -> None:
        self.name = self.__name__ = name

    def __call__(self, text: str) -> str:
        from msidbg import scenario_timing

        return str(getattr(scenario_timing, self.name)(text))

    @property
    def wanted(self) -> str:
        from msidbg import scenario_timing

        return str(getattr(scenario_timing, self.name).wanted)


duration_arg, window_arg = _TimingArg("duration_arg"), _TimingArg("window_arg")

#: the subcommands this module defines; the others come from ``bugio.commands`` and ``whycmd``
CORE = ("run", "open", "replay", "explore", "check")


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser. When ``argv`` starts with one of the ``CORE`` subcommands, only that
    subcommand's parser is built (argparse looks every help string up in gettext's catalogues as
    it goes: building all thirteen costs milliseconds of every command's start-up); otherwise
    (``--help``, ``--version``, the other subcommands, a mistyped one) all of them."""
    p = guard.Parser(
        prog="msidbg",
        description="A debugger for MSI/MSI-X interrupt state machines: guest Linux, QEMU xen-pt, "
        "Xen and PCI devices, simulated deterministically.",
    )
    p.add_argument("--version", action=_Version, nargs=0, help="show msidbg's version and model revision and exit")
    # prog given: argparse would otherwise build a help formatter (and import shutil) to compute it
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND", prog="msidbg")
    only = argv[0] if argv and argv[0] in CORE else None
    for name in CORE:
        if only is None or only == name:
            _SUBPARSERS[name](sub)
    bugio: dict[str, Any] = {}
    if only is None or only not in CORE:
        from msidbg.bugio.commands import register  # new, schema, report, export, serve
        from msidbg.whycmd import register as register_why  # why, diff

        bugio = {**register(sub), **register_why(sub)}
    p.set_defaults(bugio=bugio)
    return p


def _run_parser(sub: Any) -> None:
    r = sub.add_parser("run", help="run a scenario (TUI, or --headless)",
                       description="Run a scenario file. Opens the TUI at event 0 unless --headless; "
                       "--json, --stop-at-break, --max-events and --save imply --headless.")
    r.add_argument("file", metavar="FILE.yaml")
    r.add_argument("--headless", action="store_true", help="run without the TUI and print a summary")
    r.add_argument("--json", action="store_true", help="print the summary as one JSON object (headless)")
    r.add_argument("--stop-at-break", action="store_true",
                   help="stop at the first armed breakpoint hit (exit status 1)")
    r.add_argument("--max-events", type=guard.int_arg(0, MAX_EVENTS), metavar="N",
                   help="stop after N events (headless; default 20,000,000: a run that reaches them "
                   "stops with reason limit and says so on stderr)")
    r.add_argument("--seed", type=guard.int_arg(0, MAX_SEED), metavar="N", help="override the scenario's seed")
    r.add_argument("--schedule", choices=("ordered", "random", "pct", "delay"),
                   help="override the scenario's schedule (default: the file's, else ordered; with --seed, "
                   "re-runs a run of msidbg explore)")
    r.add_argument("--depth", type=guard.int_arg(1, 64), metavar="D",
                   help="pct and delay only: pct's priority change points + 1, delay's deferrals (default 3), "
                   "as msidbg explore --depth")
    r.add_argument("--window", type=window_arg, metavar="TIME", help="random, pct and delay only: as msidbg explore --window "
                   "(e.g. 10us; a bare number is ns; default: timing.window, else 10us for pct/delay, 0 for random)")
    r.add_argument("--break", dest="breaks", action="append", default=[], metavar="SPEC",
                   help="arm another breakpoint: a built-in name, 'if <condition>', 'watch <path>' or "
                   "'call <program>'; repeatable")
    r.add_argument("--save", type=guard.path_arg, metavar="OUT.msgpack", help="save a snapshot at the stop (headless)")
    r.add_argument("--no-clobber", dest="force", action="store_false", help="--save never replaces an existing file (a file "
                   "that is not empty is refused, exit 2)")


def _open_parser(sub: Any) -> None:
    o = sub.add_parser("open", help="open a snapshot file in the TUI",
                       description="Open a snapshot (.msgpack, or a mail holding one: report --inline) at its "
                       "cursor, after verifying it by replay.")
    o.add_argument("file", metavar="FILE.msgpack", help="a snapshot (.msgpack) or a mail holding one")
    o.add_argument("--no-verify", action="store_true",
                   help="show the stored world at once; the history is replayed when first needed")


def _replay_parser(sub: Any) -> None:
    p2 = sub.add_parser("replay", help="verify a snapshot by replay and print the summary at its cursor",
                        description="Re-run a snapshot's scenario to its cursor and compare with what it "
                        "recorded. Exit 0 verified, 1 diverged, 2 bad file.")
    p2.add_argument("file", metavar="FILE.msgpack", help="a snapshot (.msgpack) or a mail holding one")
    p2.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p2.add_argument("--no-verify", action="store_true", help="print the stored summary without replaying: the file's "
                    "world and behaviour switches as recorded (those this msidbg resolves differently marked !)")
    p2.add_argument("--scenario", action="store_true",
                    help="print the snapshot's scenario YAML exactly as stored (checked, not replayed); "
                    "--json: it with its seed and the options that re-run the snapshot's run")
    p2.add_argument("-o", "--output", type=guard.path_arg, metavar="OUT.yaml",
                    help="with --scenario: write the YAML to this file (atomically) instead of stdout")
    p2.add_argument("--no-clobber", dest="force", action="store_false", help=f"with --scenario -o: {NO_CLOBBER_HELP}")


def _check_parser(sub: Any) -> None:
    c = sub.add_parser("check", help="run scenarios headless and compare with their expect: blocks",
                       description="Run each file headless and compare its outcome with its expect: block: "
                       "one line per file, 'ok FILE', 'FAIL FILE: what differs', or 'SKIP FILE: no expect: block' "
                       "(not run; its names checked). Every file is checked; exit the worst: 0 every file matched "
                       "or was skipped, 1 a mismatch, 2 bad input.")
    c.add_argument("files", nargs="+", metavar="FILE.yaml")
    c.add_argument("--max-events", type=guard.int_arg(1, MAX_EVENTS), metavar="N",
                   help="run each file at most N events (default 20,000,000); a run that does not end "
                   "within them is a FAIL: its expect: cannot be judged")


def _explore_parser(sub: Any) -> None:
    e = sub.add_parser(
        "explore", help="search schedules for a failing run, shrink it, save it as a snapshot",
        description="Run many schedules of a scenario (the ordered baseline first, then seeded runs of a "
        "strategy) in parallel worker processes. A run fails when an armed breakpoint fires (the file's "
        "breakpoints: and --until) or its expect: block mismatches. Failures are grouped by signature "
        "(breakpoint, device, program on top of the stack); each group's first run is shrunk to its fewest "
        "deviations from the ordered schedule. The search stops at the first failing run unless --all is given. "
        "Exit 0 no failing run, 1 a failure found, 2 bad input (or a worker process killed before any failure was "
        "found: the runs before it are reported), 130 interrupted (the failures found so far are reported).")
    e.add_argument("file", metavar="FILE.yaml")
    e.add_argument("--runs", type=guard.int_arg(1, 10**9), default=1000, metavar="N", help="at most N runs, the baseline included "
                   "(default 1000)")
    e.add_argument("--time", dest="budget", type=duration_arg, metavar="BUDGET", help="stop starting runs after this long "
                   "(e.g. 60s, 2m, 500ms; a bare number is seconds); shrinking then gets as long again "
                   "unless --shrink-time is given")
    e.add_argument("--shrink-time", dest="shrink_budget", type=duration_arg, metavar="BUDGET", help="stop shrinking after this "
                   "long, all failure groups together, keeping the fewest deviations found so far (default: "
                   "the --time budget; without --time, at most 2,000 replays per group)")
    e.add_argument("--strategy", choices=("random", "pct", "delay"),
                   help="how runs resolve choices (default: the file's schedule:, or random)")
    e.add_argument("--depth", type=guard.int_arg(1, 64), metavar="D", help="pct and delay only: pct's priority change "
                   "points + 1, delay's deferrals (default 3)")
    e.add_argument("--window", type=window_arg, metavar="TIME", help="how much later than the earliest due step another "
                   "context's step may run first (e.g. 10us; a bare number is ns; default: timing.window, else "
                   "10us for pct/delay, 0 for random)")
    e.add_argument("--jobs", type=guard.int_arg(1, 256), metavar="J", help="worker processes (default: the CPUs this process may use)")
    e.add_argument("--until", action="append", default=[], metavar="SPEC",
                   help="a breakpoint (any form) whose firing also counts as a failure; repeatable")
    e.add_argument("--all", dest="all_runs", action="store_true",
                   help="keep running after the first failure (count every failure group)")
    e.add_argument("--save-failing", type=guard.path_arg, metavar="DIR", help="save one snapshot per failure group "
                   "in DIR, made with the first one if missing (its parent must exist) (DIR/SCENARIO-GROUP-BREAKPOINT-DEVICE-STRATEGY-SEED.msgpack)")
    e.add_argument("--until-stable", type=guard.int_arg(1, 10**9), metavar="K", help="stop once K runs in a row add no coverage "
                   "(default: never)")
    e.add_argument("--seed", type=guard.int_arg(0, MAX_SEED), metavar="N", help="the base seed (default: the file's)")
    e.add_argument("--max-events", type=guard.int_arg(1, MAX_EVENTS), metavar="N",
                   help="cut each run (and each shrink replay) after N events (default 5,000,000); a cut run "
                   "is judged only on an expect: not_started, which it fails (docs/explore.md)")
    e.add_argument("--json", action="store_true", help="print the result as one JSON object")


_SUBPARSERS = {"run": _run_parser, "open": _open_parser, "replay": _replay_parser,
               "explore": _explore_parser, "check": _check_parser}


class _Version(argparse.Action):
    """``msidbg --version``: the version and the model revision. 0.1.0 spans many models (a
    snapshot verifies only with the revision that wrote it): a bug report quoting the version
    alone did not say which model ran. The model is imported only when asked."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        from msidbg.model import revision

        print(f"msidbg {__version__} (model revision {revision.MODEL})")
        parser.exit()


def _json(value: Any) -> str:
    """``json.dumps(value)``; json is imported only by the commands that print it."""
    import json

    from msidbg.sim.rec import default  # a world record (a CPU, an irq descriptor) prints as its dict

    return json.dumps(value, default=default)


def main(argv: Sequence[str] | None = None) -> int:
    return guard.run(_main, argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser(sys.argv[1:] if argv is None else argv)
    args, extra = parser.parse_known_args(argv)
    if extra:   # argparse reports them as the top parser's: 'msidbg: ... (see 'msidbg --help')'
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.cmd].error(f"unrecognized arguments: {' '.join(extra)}")
    guard.set_machine(getattr(args, "json", False))
    guard.set_command(args.cmd)   # an error about one of its options names it (MsidbgError(option=...))
    if args.cmd in args.bugio:
        return int(args.bugio[args.cmd](args))
    if args.cmd == "run":
        return _run(args)
    if args.cmd == "check":
        return _check(args)
    if args.cmd == "open":
        return _open(args)
    if args.cmd == "replay":
        return _replay(args)
    if args.cmd == "explore":
        return _explore(args)
    return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    from msidbg.debugger import headless
    from msidbg.scenario import load_scenario

    scn = load_scenario(args.file)
    if args.schedule is not None:
        import dataclasses

        scn = dataclasses.replace(scn, schedule=args.schedule)
    _check_schedule_options(scn.schedule, args.depth, args.window, args.file)
    sch = None
    if args.depth is not None or args.window is not None:
        from msidbg.model import resolve_schedule
        from msidbg.scenario_timing import window_ns

        sch = resolve_schedule(scn, None, args.depth, window_ns(args.window, "--window"))
    if not args.force and args.save is None:
        raise guard.UsageError("run: argument --no-clobber: only with --save (expected --save OUT.msgpack with it) "
                               "(see 'msidbg run --help')")
    headless_only = args.json or args.stop_at_break or args.save is not None or args.max_events is not None
    if not (args.headless or headless_only):
        from msidbg.debugger import Session

        return _tui(Session(scn, args.seed, schedule=sch), args.file, args.breaks)
    progress = sys.stderr if sys.stderr.isatty() and not args.json else None
    res = headless.run(scn, max_events=args.max_events, stop_at_break=args.stop_at_break, seed=args.seed,
                       extra_breaks=tuple(args.breaks), progress=progress, save=args.save, schedule=sch,
                       causes=args.json, force=args.force)   # (the text summary shows no cause chains)
    print(_json(res.summary) if args.json else headless.human(res.summary, res.detail))
    if res.note:
        print(f"msidbg: {args.file}: {res.note}", file=sys.stderr)
    return EXIT_STOPPED if res.reason == "breakpoint" else EXIT_OK


def _check_schedule_options(schedule: str, depth: int | None, window: str | None, path: str) -> None:
    """--depth and --window mean nothing to the ordered schedule, nor --depth to random (it draws
    among the options at every step: no change points, no deferrals): given to them they
    changed nothing -- the same run, the same state hash -- and said nothing."""
    for option, value in (("--depth", depth), ("--window", window)):
        if value is not None and schedule == "ordered":
            raise MsidbgError("the run's schedule is ordered (expected --schedule random, pct or delay, or a file "
                              "whose schedule: is one)", path, option=option)
    if depth is not None and schedule == "random":
        raise MsidbgError("the run's schedule is random, which has no depth (expected --schedule pct or delay, "
                          "or no --depth)", path, option="--depth")


def _open(args: argparse.Namespace) -> int:
    # the TUI opens (and verifies) the snapshot itself, with a progress bar and a way to cancel;
    # what can be told without reading it all is told before the TUI starts
    from msidbg.debugger.snapshot import precheck

    precheck(args.file)
    return _tui(args.file, args.file, verify=not args.no_verify)


def _tui(source: Any, path: str, breaks: Sequence[str] = (), verify: bool = True) -> int:
    """The TUI on a session or a snapshot path (``msidbg.tui.app.make_app``, the factory the
    tests use too). What ended it other than the user quitting (a bad or diverging snapshot,
    an open cancelled) is reported like any other error."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _check_for_tui(source, path, breaks)  # a bad file or --break is the error to tell, not the terminal
        raise MsidbgError("the TUI needs a terminal (expected standard input and output on a terminal; use "
                          "'run --headless', or 'replay' for a snapshot)", path)
    from msidbg.tui.app import make_app

    app = make_app(source, breaks=breaks, verify=verify, snapshot=isinstance(source, str))
    with guard.interrupts_call(lambda: app.exit(return_code=guard.EXIT_INTERRUPTED)), \
            guard.terminations_call(lambda signum: app.exit(return_code=128 + signum)):
        app.run()
    if app.return_code is not None and app.return_code - 128 in guard.TERMINATIONS:
        print(guard.terminated_line(app.return_code - 128), file=sys.stderr)
        return int(app.return_code)   # killed or hung up, the terminal restored first
    if app.error is not None:
        raise app.error     # a bad or diverging snapshot, or an open cancelled (one line)
    if app.return_code == guard.EXIT_INTERRUPTED:
        raise KeyboardInterrupt  # the app has quit and restored the terminal: one line, exit 130
    return EXIT_OK


def _check_for_tui(source: Any, path: str, breaks: Sequence[str]) -> None:
    """What the TUI would refuse once started, checked without one: the snapshot file (read and
    its scenario loaded, not replayed), the --break specs and the user's key bindings file.
    Raises MsidbgError (one line)."""
    from msidbg.debugger import Session
    from msidbg.debugger.breakpoints import arm
    from msidbg.tui import keys

    session = Session.open(source, verify=False) if isinstance(source, str) else source
    arm(session, breaks, "--break", None)  # as a headless run names it: the spec, not the file
    keys.load_keymap(keys.config_path())


def _replay(args: argparse.Namespace) -> int:
    from msidbg.debugger import Session, headless

    if args.scenario:
        return _scenario(args)
    if args.output is not None:
        raise guard.UsageError("replay: argument -o/--output: only with --scenario (expected --scenario with it) "
                               "(see 'msidbg replay --help')")
    if not args.force:
        raise guard.UsageError("replay: argument --no-clobber: only with --scenario -o (expected --scenario -o FILE with "
                               "it) (see 'msidbg replay --help')")
    from msidbg.debugger import progress

    with progress.for_cli(args.json):   # the verifying replay of a long snapshot
        session = Session.open(args.file, verify=not args.no_verify)
        summ = session.summary()
    print(_json(summ) if args.json else headless.human(summ, session.last_stop.detail))
    return EXIT_OK


def _scenario(args: argparse.Namespace) -> int:
    """``replay --scenario``: the snapshot's scenario text, exactly (an extension, docs/debugger.md)."""
    import shlex

    from msidbg.debugger import extract
    from msidbg.files import stdout_alias

    args.output = stdout_alias(args.output)   # -o /dev/stdout is -o - (docs/debugger.md "Output files")
    if args.json and args.output not in (None, "-"):
        raise guard.UsageError("replay: argument -o/--output: not with --json (expected one of them: --json prints the "
                               "scenario in a JSON object on stdout) (see 'msidbg replay --help')")
    if not args.force and args.output in (None, "-"):
        raise guard.UsageError("replay: argument --no-clobber: only with -o FILE (expected -o FILE with it) "
                               "(see 'msidbg replay --help')")
    if args.output not in (None, "-"):
        extract.check_output(args.output, args.file, args.force)  # a bad path fails before the snapshot is read
    copy = extract.scenario_of(args.file)
    if args.json:
        print(_json(copy.as_dict()))
        return EXIT_OK
    note = extract.write(copy, args.output, replace=args.force)
    out = shlex.quote(args.output) if args.output not in (None, "-") else "FILE.yaml"
    for line in ([note] if note else []) + copy.notes(out):
        print(escape(line), file=sys.stderr)
    if args.output not in (None, "-"):
        print(f"wrote {escape(args.output)}: the scenario of {escape(args.file)}", file=sys.stderr)
    return EXIT_OK


def _explore(args: argparse.Namespace) -> int:
    from msidbg.explore import explore, report
    from msidbg.scenario_timing import duration_s, window_ns

    progress = report.tty_progress() if not args.json else None
    with guard.soft_interrupts():  # Ctrl-C stops the worker processes before msidbg exits (130)
        result = explore(args.file, runs=args.runs, time_budget=duration_s(args.budget, "--time"),
                         strategy=args.strategy, depth=args.depth, window=window_ns(args.window, "--window"),
                         jobs=args.jobs, until=args.until, all_runs=args.all_runs, save_failing=args.save_failing,
                         until_stable=args.until_stable, seed=args.seed, progress=progress,
                         shrink_time=duration_s(args.shrink_budget, "--shrink-time"),
                         **({} if args.max_events is None else {"max_events": args.max_events}))
    print(_json(result) if args.json else report.human(result))
    if result["interrupted"]:    # the line any interrupted msidbg prints, after what the search found
        print("msidbg: interrupted", file=sys.stderr)
        return guard.EXIT_INTERRUPTED
    if result["worker_died"]:   # what was found is above; a failure found is still one (exit 1), else 2
        print(escape(result["worker_died"]["message"]), file=sys.stderr)
        return EXIT_STOPPED if result["failures"] else EXIT_BAD_INPUT
    return EXIT_STOPPED if result["failures"] else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    """Every file is checked and reported, whatever happens to the others; exit the worst status."""
    worst = EXIT_OK
    for path in args.files:
        try:
            status, line = _check_one(path, args.max_events)
        except MsidbgError as e:
            status, line = EXIT_BAD_INPUT, e.oneline()
            print(line, file=sys.stderr)
            line = ""
        except Exception as e:  # noqa: BLE001 - a bug on one file must not hide the others' results
            if os.environ.get("MSIDBG_DEBUG"):
                raise
            status, line = guard.internal_error(e), ""
        if line:
            print(line)
        worst = max(worst, status)
    return worst


def _check_one(path: str, max_events: int | None = None) -> tuple[int, str]:
    from msidbg.debugger import headless
    from msidbg.scenario import load_scenario

    scn = load_scenario(path)
    if scn.expect is None:
        # not run, but its names are checked as a run would (faults' programs when the world is
        # built, breakpoints when they are armed): bad input is exit 2 with or without expect:
        from msidbg.debugger import Session

        Session(scn, history=False)
        return EXIT_OK, f"SKIP {escape(path)}: no expect: block"
    bad, notes = headless.check_notes(scn, max_events)
    # a note (an action the run never started) says so on the file's line; it is no mismatch
    tail = "".join(f"; note: {escape(n)}" for n in notes[:5]) + (f"; ... {len(notes) - 5} more" if len(notes) > 5 else "")
    if bad:
        return EXIT_STOPPED, f"FAIL {escape(path)}: " + "; ".join(escape(b) for b in bad) + tail
    return EXIT_OK, f"ok   {escape(path)}" + tail


if __name__ == "__main__":
    sys.exit(main())
