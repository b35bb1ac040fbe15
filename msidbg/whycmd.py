"""The ``why`` and ``diff`` subcommands: their parsers and handlers (part of the CLI).

``register(sub)`` adds them to the CLI's subparsers and returns the handlers by command name;
``cli.py`` dispatches. Handlers return an exit status and raise ``MsidbgError`` for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from msidbg import guard
from msidbg.debugger import progress
from msidbg.errors import DivergenceError, MsidbgError

Handler = Callable[[argparse.Namespace], int]
MAX_EVENT = 2**62


def register(sub: Any) -> dict[str, Handler]:
    w = sub.add_parser(
        "why", help="the cause chain of a hit, an event or a state value",
        description="Explain a hit, an event or the value of a state path by the provenance the model "
        "recorded: the chain of events back to a root (a scenario action, a device signal, the initial "
        "state), symptom first. A scenario is run to the end (or to --event); a snapshot is opened at "
        "its cursor. Without --hit, --event or --path: the stop of a snapshot, or the first armed hit "
        "of a scenario. Exit 0; 1 when a snapshot's replay diverges from its recording (another model "
        "revision: 'msidbg replay --no-verify' shows the file as recorded); 2 on bad input (a missing file, a "
        "target the run does not have), one line naming the file and the option.")
    w.add_argument("file", metavar="FILE", help="a scenario (.yaml), a snapshot (.msgpack) or a mail holding one")
    g = w.add_mutually_exclusive_group()
    g.add_argument("--hit", type=guard.int_arg(0, MAX_EVENT), metavar="N",
                   help="the N-th armed breakpoint hit, counting from 0 in the order of the hits of "
                   "'msidbg run FILE --headless --json' ('replay --json' for a snapshot), whose 'cause' "
                   "is this chain's events")
    g.add_argument("--event", type=guard.int_arg(1, MAX_EVENT), metavar="N",
                   help="event N (1..the run's last; a scenario is run to it)")
    g.add_argument("--path", metavar="P", help="a state path, e.g. devices.eth0.msix.table[0].data or cpu[1].irr[0x21]")
    w.add_argument("--at", type=guard.int_arg(0, MAX_EVENT), metavar="N",
                   help="with --path: the value at event N (default: the end of the run, or the snapshot's cursor)")
    w.add_argument("--break", dest="breaks", action="append", default=[], metavar="SPEC",
                   help="arm another breakpoint (a built-in name counts its hits); repeatable")
    w.add_argument("--seed", type=guard.int_arg(0, 2**63 - 1), metavar="N",
                   help="override a scenario's seed (refused with a snapshot, which replays its own)")
    w.add_argument("--max-events", type=guard.int_arg(1, MAX_EVENT), metavar="N",
                   help="a scenario run to its end: stop it after N events (default 20,000,000: a run cut there "
                   "says so on stderr); not with --event or --at, nor a snapshot")
    w.add_argument("--json", action="store_true", help="print {target, chain} as one JSON object")
    w.add_argument("--what-if", action="store_true",
                   help="also re-run the scenario once per behaviour row whose value here differs from the newest "
                   "release's, flipped to each other (non-hypothetical) value, and name the rows whose flip removes "
                   "the target's symptom (the hit at its device, or a failed action: --path actions[N]), each with "
                   "the change behind the value and the flipped run's first divergence. Names a fix the version "
                   "lacks, which the recorded chain cannot (it shows only steps that ran). Bounded by "
                   "--what-if-budget; Ctrl-C stops it and prints what it found (exit 130)")
    w.add_argument("--what-if-budget", metavar="N|Ns", default=None, type=_budget_arg,
                   help="at most N flipped runs (1..10000) however long they take (up to a day), or N seconds "
                   "(\"90s\", 1s..86400s) of up to 10000 runs; a run is not cut short. Default: 120 runs or 300 s, "
                   "whichever comes first. 0 is refused: for no flipped run drop --what-if")
    w.add_argument("--no-verify", action="store_true", help="a snapshot: open it without replaying it first (the cause chain "
                   "needs the run's history: it is replayed, and compared with the recording, anyway)")

    d = sub.add_parser(
        "diff", help="the first divergence of two runs, and the outcome difference",
        description="Run A and B (scenarios or snapshots, in any mix) and align them per context -- each "
        "CPU's process and interrupt context, each device, Xen, QEMU -- by what they executed. Print "
        "the first divergence (the event in each run, the kernel step, the state paths that differ, the "
        "switches and versions that differ between the files), then the outcome: per device (probe status, "
        "raised / delivered / lost / spurious, hits) and the actions whose result differs (a cpu_offline "
        "refused in one run). Exit 0 when the outcomes are the same, 1 when they differ, 2 on bad input. "
        "A snapshot whose replay diverges from its recording is bad input too: nothing was compared.")
    d.add_argument("a", metavar="A", help="a scenario (.yaml), a snapshot (.msgpack) or a mail holding one")
    d.add_argument("b", metavar="B", help="a scenario (.yaml), a snapshot (.msgpack) or a mail holding one")
    d.add_argument("--seed", type=guard.int_arg(0, 2**63 - 1), metavar="N", help="run both with this seed")
    d.add_argument("--max-events", type=guard.int_arg(0, MAX_EVENT), metavar="N",
                   help="stop each run after N events (as run's --max-events: 0 runs neither, and only the files' "
                   "switches and versions are compared)")
    d.add_argument("--json", action="store_true", help="print the result as one JSON object")
    d.add_argument("--tui", action="store_true", help="both runs side by side, cursors linked by the alignment (not with --json)")
    return {"why": _why, "diff": _diff}


class _BudgetArg:
    """``whatif.budget_arg``, imported when ``--what-if-budget`` is given (as cli's ``_TimingArg``)."""

    __name__ = "budget_arg"

    def __call__(self, text: str) -> str:
        from msidbg.debugger.whatif import budget_arg

        return budget_arg(text)

    @property
    def wanted(self) -> str:
        from msidbg.debugger.whatif import budget_arg

        return str(budget_arg.wanted)  # type: ignore[attr-defined]


_budget_arg = _BudgetArg()


def _why(args: argparse.Namespace) -> int:
    from msidbg.debugger.whatif import WhatIfError, parse_budget, symptom_of
    from msidbg.debugger.why import WhyError
    from msidbg.debugger.whyrun import no_recorded_target, open_target, target_for, why_default

    if args.at is not None and args.path is None:
        raise guard.UsageError("why: argument --at: only with --path (expected --path P with it: the value of P at "
                               "event N; for an event, --event N) (see 'msidbg why --help')")
    budget = None
    if args.what_if_budget is not None:
        if not args.what_if:
            raise guard.UsageError("why: argument --what-if-budget: only with --what-if (expected --what-if with it) "
                                   "(see 'msidbg why --help')")
        try:
            budget = parse_budget(args.what_if_budget)
        except WhatIfError as e:
            raise MsidbgError(e.message, args.file, option=e.option) from None
    cut: list[tuple[int, int] | None] = [None]
    try:
        if args.hit is None and args.event is None and args.path is None and not args.breaks:
            no_recorded_target(args.file)   # before the replay, not after it
        with progress.for_cli(args.json):   # a scenario runs to the end first: tell a terminal how far
            s, cut[0] = open_target(args.file, args.seed, args.breaks, verify=not args.no_verify,
                                    event=args.event, at=args.at if args.path else None,
                                    max_events=args.max_events)
            if args.what_if and args.hit is None and args.event is None and args.path is None and not s.armed_hits():
                return _no_symptom(args)
            target = target_for(s, args.file, hit=args.hit, event=args.event, path_expr=args.path)
            if args.what_if:
                symptom_of(s, target)      # a target with no symptom to remove: refused before the chain
        if args.what_if:
            # a TTY's stderr gets each flipped run's progress (also with --json: stdout stays the JSON)
            with progress.reporting(sys.stderr if sys.stderr.isatty() else None), guard.soft_interrupts():
                why = s.why(target, what_if=True, budget=budget)
        elif args.hit is None and args.event is None and args.path is None:
            why = why_default(s, target)    # (a watch stop's expression: its event if it is no path)
        else:
            why = s.why(target)
    except (WhyError, WhatIfError) as e:
        # (a path's own refusal, 'cpu[9]: no CPU 9', is about --path)
        option = e.option or ("--path" if args.path is not None and isinstance(e, WhyError) else None)
        raise MsidbgError(e.message, args.file, option=option) from None
    except MsidbgError as e:      # the expression language (an untracked --path): name the file
        if e.file:
            raise
        if e.caret is not None:   # the column and the text say which --path
            raise MsidbgError(e.message, args.file, caret=e.caret, option="--path") from None
        raise MsidbgError(f"{guard.head(args.path)}: {e.message}", args.file, option="--path") from None
    finally:
        if cut[0] is not None:    # the default cap cut the run: said first, whatever follows
            from msidbg.debugger.headless import cap_line

            print(cap_line(args.file, *cut[0]), file=sys.stderr)
    if args.json:
        print(json.dumps(why.as_dict()))
    else:
        # cut to the terminal's width on a terminal only: a file or a pipe gets every line whole
        # (before, lines were cut at 100 columns wherever they went: "whose IO-APIC entry was ma…")
        print(guard.escape_lines(why.text(progress.columns(sys.stdout) if sys.stdout.isatty() else 0)))
    if why.what_if is not None and why.what_if.ended == "interrupted":
        print(guard.INTERRUPTED_LINE.decode().rstrip("\n"), file=sys.stderr)
        return guard.EXIT_INTERRUPTED
    return 0


def _no_symptom(args: argparse.Namespace) -> int:
    """``why --what-if`` on a run with no armed hit and no target: nothing to remove, nothing re-run."""
    info = {"symptom": None, "symptom_count": 0, "candidates": 0, "runs": 0, "ended": "done",
            "reason": "the run has no armed breakpoint hit"}
    if args.json:
        print(json.dumps({"target": None, "chain": [], "what_if": [], "what_if_run": info}))
    else:
        print("no armed breakpoint hit in this run: no symptom to explain\n"
              "what if: none (nothing to remove; ask --path actions[N] for a failed action)")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from msidbg.debugger import headless
    from msidbg.debugger.diff import diff_files, render
    from msidbg.debugger.headless import cap_line

    cap = headless.DEFAULT_MAX_EVENTS   # read at the call (a test cuts it)

    if args.tui and args.json:
        # at a terminal --json was dropped for the TUI; off one the error advised 'or use --json'
        raise guard.UsageError("diff: argument --json: not allowed with argument --tui (expected one of them: the "
                               "TUI prints no JSON) (see 'msidbg diff --help')")
    if args.tui and not (sys.stdin.isatty() and sys.stdout.isatty()):   # before both runs, not after
        _check_files(args.a, args.b)   # a bad file is the error to tell, as run and open tell it, not the terminal
        raise MsidbgError("the TUI needs a terminal (expected standard input and output on a terminal; drop --tui for text, "
                          "or use --json)", args.a)
    try:
        with progress.for_cli(args.json):
            result = diff_files(args.a, args.b, seed=args.seed, max_events=args.max_events, cap=cap)
    except DivergenceError as e:
        # 1 is 'the outcomes differ': a script took a snapshot of another model revision for a
        # regression. Nothing was compared: the file cannot be used, as any other bad input --
        # and told as one, with what was expected (hardening32's fuzzer: a re-sealed snapshot whose
        # scenario text was changed said only where the replay parted from it)
        bad = MsidbgError(f"{e.message} (expected a snapshot whose replay matches its recording, as 'msidbg replay' "
                          "checks: nothing was compared)", e.file)
        raise bad from None
    for label, path in (("a", args.a), ("b", args.b)):   # a run the default cap cut (hardening27)
        if label in result.cut:
            print(cap_line(path, cap, result.cut[label]), file=sys.stderr)
    if args.tui:
        return _diff_tui(result, args.a)
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(render(result))
    return 0 if result.same_outcome else 1


def _check_files(*paths: str) -> None:
    """What ``diff`` would refuse in A and B, checked without running them: a scenario loaded, a
    snapshot read and its scenario loaded (not replayed); then the user's key bindings file, as
    run and open check it before saying the TUI needs a terminal. Raises MsidbgError (one line)."""
    from msidbg.bugio.report import is_snapshot_source
    from msidbg.debugger import Session
    from msidbg.scenario import load_scenario
    from msidbg.tui import keys

    for path in paths:
        if is_snapshot_source(path):
            Session.open(path, verify=False)
        else:
            load_scenario(path)
    keys.load_keymap(keys.config_path())


def _diff_tui(result: Any, path: str) -> int:


    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise MsidbgError("the TUI needs a terminal (expected standard input and output on a terminal; drop --tui for text, "
                          "or use --json)", path)
    from msidbg.tui.diffapp import DiffApp

    app = DiffApp(result)
    with guard.soft_interrupts(), guard.terminations_call(lambda signum: app.exit(return_code=128 + signum)):
        app.run()
    if app.return_code is not None and app.return_code - 128 in guard.TERMINATIONS:
        print(guard.terminated_line(app.return_code - 128), file=sys.stderr)
        return int(app.return_code)   # killed or hung up, the terminal restored first
    return 0 if result.same_outcome else 1
