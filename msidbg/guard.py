"""The command line's safety net, shared by every subcommand.

``run(main, argv)`` wraps a subcommand dispatcher so that, whatever the subcommand:

* a ``MsidbgError`` is one line on stderr, ``msidbg: FILE[:LINE]: what is wrong (expected ...)``,
  and its exit status (2 bad input, 1 diverged). An error that points at a column (a
  ``--break`` spec) adds the spec and a caret on two more lines, but only for a person: when
  stderr is a terminal and the run is not ``--json`` (``set_machine``);
* SIGINT at any time -- also during start-up, before the heavy imports -- prints
  ``msidbg: interrupted`` and exits 130. ``soft_interrupts()`` turns it into KeyboardInterrupt
  for code that must clean up (the TUI restores the terminal);
* a closed pipe (``msidbg replay x | head``) ends quietly with 141 (128 + SIGPIPE, what ``cat``
  gives), never a BrokenPipeError;
* the output's device failing (``msidbg schema > /dev/full``: no space, over quota, I/O error)
  is one line too, exit 2;
* any other exception is an internal error: one line naming a file that holds the traceback
  (for the bug report), exit 3. ``MSIDBG_DEBUG=1`` raises it instead.

``escape`` is the one place that makes text from a file safe for a terminal: every string
that came from a scenario or snapshot goes through it before it is printed (CLI and TUI).
``Parser`` is an ``argparse.ArgumentParser`` whose errors are one line; ``int_arg`` and
``path_arg`` are argument types that refuse what would crash later.

``msidbg.cli`` calls ``install_for_cli()`` before its own imports; this module imports only
``os``, ``signal`` and ``sys`` at import time (argparse when ``Parser`` is first used), so the
handler is in place a millisecond after msidbg's first line runs.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False  # typing costs milliseconds at start-up; mypy reads this as typing's

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_PIPE = 130, 141
INTERRUPTED_LINE = b"msidbg: interrupted\n"
#: back to the start of the terminal's line and erase it (a progress line drawn there)
CLEAR_LINE = b"\r\033[K"

#: set by a subcommand that prints JSON: errors are then strictly one line
_machine = False
#: the subcommand running (``set_command``): an error about one of its options names it
_command: str | None = None


# --- text from strangers ----------------------------------------------------------------------
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """``text`` with every non-printable character shown as an escape (``\\x1b``, ``\\n``, ``\\u202e``).

    Control characters (C0, DEL, C1), line and paragraph separators, format characters (bidi
    overrides, zero-width marks) and lone surrogates are never written to a terminal as they are.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def head(spec: str) -> str:
    """A spec from the command line quoted at the head of an error (one with a caret quotes the text
    around its column anyway): its first 40 characters (a 10,000-character ``why --path`` was echoed twice, 20 KB)."""
    return repr(spec if len(spec) <= 40 else spec[:37] + "...")


def encodable(text: str) -> bool:
    """Can ``text`` be written as UTF-8 (no lone surrogates, as a non-UTF-8 argv byte becomes)?"""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def escape_lines(text: str) -> str:
    """Each line of ``text`` escaped; the line breaks themselves are kept (for multi-line output
    built by msidbg whose fields were escaped already)."""
    return "\n".join(escape(line) for line in text.split("\n"))


# --- signals ------------------------------------------------------------------------------------
def _interrupted(signum: int, frame: Any) -> None:
    """SIGINT outside code that cleans up: one line, exit 130, at once (no traceback, no hang)."""
    try:
        shown = sys.modules.get("msidbg.debugger.progress")
        os.write(2, (CLEAR_LINE if shown is not None and shown.drawn() else b"") + INTERRUPTED_LINE)
    finally:
        os._exit(EXIT_INTERRUPTED)


def install() -> None:
    """Make SIGINT exit 130 with one line from now on (the main thread only).

    A process started with SIGINT ignored (``nohup``, a background job) keeps ignoring it. A
    SIGINT blocked by the parent is unblocked here, so one that arrived before is handled now.
    """
    try:
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, _interrupted)
            if hasattr(signal, "pthread_sigmask"):
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    except ValueError:  # not the main thread (a test calling main() from a worker): leave it
        pass


class _Closed:
    """Standard output or error that was closed when msidbg started (``>&-``, ``2>&-``): Python
    made it None, and the first print or flush raised AttributeError -- a traceback and exit 1.
    Writing to closed standard output is a closed pipe (``BrokenPipeError``: quiet, exit 141, as
    ``| head``); to closed standard error, nothing (there is nowhere to say it)."""

    encoding, errors = "utf-8", "strict"

    def __init__(self, name: str, fails: bool) -> None:
        self.name, self.fails = name, fails

    def write(self, text: str) -> int:
        if self.fails and text:
            raise BrokenPipeError(32, f"{self.name} is closed")
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(f"{self.name} is closed")


def _closed_streams() -> None:
    """Closed standard streams: /dev/null on their descriptors, so that no file msidbg opens
    (a snapshot's temporary file) gets descriptor 1 or 2 -- the SIGINT line is written to 2 with
    os.write --, and a ``_Closed`` stand-in where Python has None."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass
    if sys.stdout is None:
        sys.stdout = _Closed("standard output", fails=True)
    if sys.stderr is None:
        sys.stderr = _Closed("standard error", fails=False)


def _lossless_streams() -> None:
    """Standard output and error in an encoding that cannot hold every character (``PYTHONIOENCODING=
    ascii`` or latin-1, a locale Python does not coerce to UTF-8) show what it cannot as escapes
    (``\\u2026``). They raised UnicodeEncodeError at the first '…' or '→' of a summary: 'internal
    error' (exit 3) for ``run --headless``, ``replay`` and ``why``. The encoding stays the user's."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if encoding in ("", "utf-8", "utf8") or getattr(stream, "errors", "strict") != "strict":
            continue
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def install_for_cli() -> None:
    """``install()`` when this process is the ``msidbg`` program (not a library user importing it)."""
    main = sys.modules.get("__main__")
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if name in ("msidbg", "cli.py", "__main__.py") or getattr(main, "__package__", None) == "msidbg":
        install()


class _Block:
    """A context manager from a pair of functions (contextlib costs an import at start-up)."""

    def __init__(self, enter: Callable[[], Any], leave: Callable[[Any], None]) -> None:
        self.enter, self.leave, self.state = enter, leave, None

    def __enter__(self) -> None:
        self.state = self.enter()

    def __exit__(self, *exc: object) -> None:
        self.leave(self.state)


def soft_interrupts() -> _Block:
    """SIGINT raises KeyboardInterrupt inside the block (``run`` reports it as one line, 130)."""

    def enter() -> Any:
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return None     # inherited ignored (a background job, nohup): it stays ignored
        try:
            return signal.signal(signal.SIGINT, signal.default_int_handler)
        except ValueError:
            return None

    def leave(old: Any) -> None:
        if old is not None:
            signal.signal(signal.SIGINT, old)

    return _Block(enter, leave)


def interrupts_call(stop: Callable[[], None]) -> _Block:
    """SIGINT calls ``stop()`` on the running asyncio loop (an app asked to quit cleanly, its
    terminal restored); outside a running loop it raises KeyboardInterrupt as usual. A Python
    handler of our own also keeps asyncio from installing its one, which would cancel the app
    and let it exit 0."""

    def handler(signum: int, frame: Any) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise KeyboardInterrupt from None
        loop.call_soon_threadsafe(stop)

    def enter() -> Any:
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            return None     # inherited ignored: it stays ignored
        try:
            return signal.signal(signal.SIGINT, handler)
        except ValueError:
            return None

    def leave(old: Any) -> None:
        if old is not None:
            signal.signal(signal.SIGINT, old)

    return _Block(enter, leave)


#: the signals that end a full-screen App like a quit, terminal restored: SIGTERM (``kill``) and
#: SIGHUP (the terminal closed); the App returns ``128 + signum``
TERMINATIONS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def terminations_call(stop: Callable[[int], None]) -> _Block:
    """SIGTERM and SIGHUP call ``stop(signum)`` on the running asyncio loop: the App quits and
    restores the terminal (killed as the default action does, it left the terminal in the
    alternate screen, raw, with mouse reporting on). Outside a running loop: the default action."""

    def handler(signum: int, frame: Any) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        loop.call_soon_threadsafe(stop, signum)

    def enter() -> Any:
        try:
            return [(sig, signal.signal(sig, handler)) for sig in TERMINATIONS
                    if signal.getsignal(sig) is not signal.SIG_IGN]
        except ValueError:   # not the main thread
            return None

    def leave(old: Any) -> None:
        for sig, handler_before in old or ():
            signal.signal(sig, handler_before)

    return _Block(enter, leave)


def terminated_line(signum: int) -> str:
    """The one line for an App ended by ``signum``."""
    return "msidbg: terminated" if signum == getattr(signal, "SIGTERM", -1) else "msidbg: hung up"


def deferred_interrupts() -> _Block:
    """SIGINT waits until the block is done (an atomic file replacement finishes or is undone)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        return _Block(lambda: None, lambda old: None)
    return _Block(lambda: mask(signal.SIG_BLOCK, {signal.SIGINT}),
                  lambda old: mask(signal.SIG_SETMASK, old))


# --- argument parsing -------------------------------------------------------------------------
class UsageError(Exception):
    """A bad command line; ``run`` prints it as one line (exit 2)."""


def __getattr__(name: str) -> Any:
    if name == "Parser":  # built on first use: argparse is not imported at start-up
        globals()["Parser"] = cls = _make_parser_class()
        return cls
    raise AttributeError(name)


def _make_parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse with one-line errors: ``msidbg: run: argument --max-events: invalid int value:
        'abc' (see 'msidbg run --help')`` instead of a usage block. Subparsers inherit it."""

        def error(self, message: str) -> Any:
            where = self.prog.removeprefix("msidbg").strip()
            message = _expected(self, message)
            raise UsageError(f"{where + ': ' if where else ''}{message} (see '{self.prog} --help')")

        def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
            self.given = list(sys.argv[1:] if args is None else args)   # for error(): 'msidbg --bogus'
            return super().parse_known_args(args, namespace)

        def _get_formatter(self) -> argparse.HelpFormatter:
            # argparse builds a formatter for every add_argument (to check the metavar), and a
            # formatter without a width imports shutil (with bz2, lzma, zlib: ~2 ms) to read the
            # terminal's; the same width, read without it (COLUMNS, else the terminal, else 80)
            return self.formatter_class(prog=self.prog, width=_columns() - 2)  # type: ignore[call-arg]

    return Parser


def _expected(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's ``message`` in the contract's form, ``what is wrong (expected ...)``: each of its
    errors said what was wrong and only some what was wanted ('the following arguments are
    required: FILE.yaml', 'unrecognized arguments: x', 'expected one argument' -- hardening30)."""
    import re

    if " (choose from " in message and message.endswith(")"):
        # '(choose from ...)' as every other refusal says it, with the likely one last as the path
        # check says it ('runn': '; did you mean 'run'?')
        head, choices = message[:-1].split(" (choose from ", 1)
        return f"{head} (expected one of: {choices}{_likely(head, choices)})"
    if "(expected " in message:
        return message
    argument = re.match(r"argument ([^:]+): ", message)
    action = _action(parser, argument.group(1)) if argument else None
    if message.startswith("the following arguments are required: "):
        names = message.split(": ", 1)[1]
        if names == "COMMAND" or parser.prog == "msidbg":
            options = [a for a in getattr(parser, "given", []) if a.startswith("-")]
            commands = _commands(parser)
            if options:      # 'msidbg --bogus': it was told only that COMMAND is missing
                return (f"unrecognized arguments: {escape(' '.join(options))} (expected a COMMAND first, one of: "
                        f"{commands}; its options after it)")
            return f"{message} (expected one of: {commands})"
        return f"{message} (expected {_synopsis(parser)})"
    if message.startswith("unrecognized arguments: "):
        return f"{message} (expected {_synopsis(parser)}{_likely_option(parser, message)})"
    if message.startswith("ambiguous option: ") and " could match " in message:
        head, matches = message.split(" could match ", 1)
        return f"{head}: it could be more than one (expected one of: {matches})"
    if action is not None and re.search(r": expected (one|at least one|at most one|\d+) arguments?$", message):
        # '--window -1us': argparse takes a value starting with '-' for an option
        option = action.option_strings[-1] if action.option_strings else ""
        dash = f"; one starting with '-' as {option}=VALUE" if option.startswith("--") else ""
        return f"{message.rsplit(': ', 1)[0]}: no value given (expected {_wanted(action)}{dash})"
    if argument is not None and ": ignored explicit argument " in message:   # '--headless=1'
        value = message.rsplit("ignored explicit argument ", 1)[1]
        option = argument.group(1).split("/")[-1]
        return f"argument {argument.group(1)}: takes no value, {value} given (expected {option} alone)"
    if ": not allowed with argument " in message:
        return f"{message} (expected only one of them)"
    if message.startswith("one of the arguments ") and message.endswith(" is required"):
        return f"{message} (expected one of them)"
    if action is not None and ": invalid " in message and " value: " in message:
        return f"{message} (expected {_wanted(action)})"
    return f"{message} (expected the usage '{parser.prog} --help' shows)"


def _action(parser: argparse.ArgumentParser, name: str) -> Any:
    """The argparse action an error's 'argument NAME' names ('-o/--output', '--seed', 'FILE.yaml')."""
    for action in parser._actions:
        if "/".join(action.option_strings) == name or (not action.option_strings and action.metavar == name):
            return action
    return None


def _wanted(action: Any) -> str:
    """What an option takes, as its error says it: an int_arg's range, a choice, else its metavar."""
    wanted = getattr(action.type, "wanted", None)
    if wanted:
        return str(wanted)
    if action.choices:
        return "one of: " + ", ".join(repr(c) for c in action.choices)
    if action.type is path_arg:
        return f"a file name, {action.metavar}" if action.metavar else "a file name"
    metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    return f"a value: {metavar}"


def _synopsis(parser: argparse.ArgumentParser) -> str:
    """'msidbg run FILE.yaml [options]': the arguments a subcommand requires."""
    parts = [parser.prog]
    for action in parser._actions:
        if not action.option_strings and action.metavar != "COMMAND":
            name = action.metavar if isinstance(action.metavar, str) else action.dest
            parts.append(f"{name}..." if action.nargs in ("+", "*") else name)
        elif action.option_strings and action.required:
            parts.append(f"{action.option_strings[-1]} {action.metavar or action.dest.upper()}")
    return " ".join(parts) + " [options]"


def _commands(parser: argparse.ArgumentParser) -> str:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return ", ".join(repr(c) for c in action.choices)
    return "'run'"


def _likely_option(parser: argparse.ArgumentParser, message: str) -> str:
    """'; did you mean '--json'?' for the first unknown option of 'unrecognized arguments: ...'."""
    import difflib

    extra = message.split(": ", 1)[1].split()
    given = next((a.split("=", 1)[0] for a in extra if a.startswith("--")), None)
    if given is None:
        return ""
    close = difflib.get_close_matches(given, [o for a in parser._actions for o in a.option_strings
                                              if o.startswith("--")], n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _likely(head: str, choices: str) -> str:
    """'; did you mean 'X'?' for argparse's "invalid choice: 'Y'" among ``choices`` ('a', 'b'), or ""."""
    import difflib
    import re

    given = re.search(r"invalid choice: '([^']*)'", head)
    names = re.findall(r"'([^']*)'", choices)
    if given is None or not names:
        return ""
    close = difflib.get_close_matches(given.group(1), names, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


def readable_bound(n: int) -> str:
    """``n`` as a user reads a limit: ``2^62`` or ``2^63-1`` for the huge caps, else its digits."""
    m = abs(n)
    if m >= 1 << 32:
        sign = "-" if n < 0 else ""
        if m & (m - 1) == 0:
            return f"{sign}2^{m.bit_length() - 1}"
        if (m + 1) & m == 0:
            return f"{sign}2^{m.bit_length()}-1"
    return str(n)


def int_arg(lo: int, hi: int, what: str = "an integer") -> Callable[[str], int]:
    """An argparse type: an integer in ``lo..hi``, refused by its length before it is converted.
    A huge bound (an internal cap such as 2**62) is told as a power of two, not 19 digits.
    Plain decimal digits only: ``--seed 1_0`` was 10 (Python's ``int()`` reads underscores as
    digit separators, which no shell user means and which the seed recorded in a snapshot or a
    re-run command would then not show) -- hardening26."""
    wanted = f"{what} in {readable_bound(lo)}..{readable_bound(hi)}"

    def conv(text: str) -> int:
        from argparse import ArgumentTypeError

        t = text.strip()
        body = t[1:] if t[:1] in "+-" else t
        if not body.isdigit() or not body.isascii():
            # (it was "'1e400' is not an integer in 0..2^62": no '(expected ...)', unlike out of range)
            raise ArgumentTypeError(f"{escape(text[:40])!r} is not {what} (expected {wanted})")
        if len(body.lstrip("0")) > len(str(max(abs(lo), abs(hi)))):
            raise ArgumentTypeError(f"{escape(text[:40])!r} is out of range (expected {wanted})")
        value = int(t)
        if not lo <= value <= hi:
            raise ArgumentTypeError(f"{value} is out of range (expected {wanted})")
        return value

    conv.__name__ = "integer"
    conv.wanted = wanted  # type: ignore[attr-defined]  # what a missing value's error says is wanted
    return conv


def path_arg(text: str) -> str:
    """An argparse type: a non-empty path."""
    if not text:
        from argparse import ArgumentTypeError

        raise ArgumentTypeError("an empty path (expected a file name)")
    return text


path_arg.__name__ = "path"


# --- running a subcommand -----------------------------------------------------------------------
def set_machine(on: bool) -> None:
    """The subcommand prints machine-readable output: its errors are one line, always."""
    global _machine
    _machine = bool(on)


def set_command(name: str | None) -> None:
    """The subcommand the command line runs (``run``, ``why``): an error about an option
    (``MsidbgError(option=...)``) names it, as argparse's errors do. ``run`` clears it after."""
    global _command
    _command = name


def command() -> str | None:
    """The subcommand running, or None (msidbg used as a library)."""
    return _command


def interactive() -> bool:
    """Is a person reading stderr (a terminal, and not a ``--json`` run)?"""
    try:
        return not _machine and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Run ``main(argv)`` under the rules in the module docstring; returns the exit status."""
    install()
    _closed_streams()
    _lossless_streams()
    from msidbg.errors import MsidbgError

    try:
        return _run(main, argv, MsidbgError)
    finally:
        set_command(None)


def _run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None, MsidbgError: Any) -> int:
    try:
        code = main(argv)
        sys.stdout.flush()
        return code
    except MsidbgError as e:
        _say(e.lines(interactive()))
        return e.exit_code
    except UsageError as e:
        _say([f"msidbg: {escape(str(e))}"])
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _say(["msidbg: interrupted"])
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
    except SystemExit:  # --help / --version: argparse prints, then exits
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
            return EXIT_PIPE
        raise
    except OSError as e:
        if not _device_error(e) or os.environ.get("MSIDBG_DEBUG"):
            if os.environ.get("MSIDBG_DEBUG"):
                raise
            return internal_error(e)
        # the output's device, not msidbg: 'msidbg schema > /dev/full' (or a full disk under
        # stdout) was an 'internal error (a bug in msidbg)' with a traceback file
        _quiet_stdout()
        _say([f"msidbg: cannot write the output: {escape(e.strerror or str(e))} (expected room on the device "
              "it goes to)"])
        return EXIT_BAD_INPUT
    except Exception as e:  # noqa: BLE001 - never a traceback for users; MSIDBG_DEBUG=1 shows it
        if os.environ.get("MSIDBG_DEBUG"):
            raise
        return internal_error(e)


def _device_error(e: OSError) -> bool:
    """An error of the device written to, not of msidbg: no space, over quota, file too large, I/O."""
    import errno

    return e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO)


def internal_error(e: BaseException) -> int:
    """Report a bug in msidbg: one line naming a file with the traceback; returns exit status 3."""
    what = f"{type(e).__name__}: {e}"
    if len(what) > 200:
        what = what[:197] + "..."
    report = _write_report(e)
    where = (f"the traceback is in {report}; please attach it to a bug report" if report
             else "set MSIDBG_DEBUG=1 for a traceback")
    _say([f"msidbg: internal error: {escape(what)} (a bug in msidbg; {escape(where)})"])
    return EXIT_INTERNAL


def _write_report(e: BaseException) -> str | None:
    import tempfile
    import time
    import traceback

    from msidbg import __version__

    try:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        fd, path = tempfile.mkstemp(prefix=f"msidbg-internal-error-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
            f.write(f"msidbg {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n")
            f.write(f"command: {' '.join(escape(a) for a in sys.argv)}\n\n")
            f.write("".join(traceback.format_exception(e)))
        return path
    except OSError:
        return None


def _say(lines: list[str]) -> None:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        _quiet_stdout()
    try:
        sys.stderr.write("".join(line + "\n" for line in lines))
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
