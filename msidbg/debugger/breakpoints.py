"""Breakpoints: built-in semantic names, ``if`` conditions, ``watch`` paths, ``call`` programs.

Forms (``spec`` strings, as in scenario files, ``--break`` and ``Session.add_breakpoint``)::

    msix-write-unmasked              a built-in name: the model detected that condition
    irq-lost if event.dev == "eth0"  a built-in name, only when the condition also holds
    if <expr>                        after every event where <expr> is true
    watch <expr>                     after every event that changes the value of <expr>
    call <program>                   on entry to a kernel program (a frame is pushed)
    call <program> if <expr>         ... when <expr> is also true

Each is parsed once (``parse``) into a ``Breakpoint``; ``Checker`` evaluates the armed set
after each engine step as cheaply as it can: built-in and call breakpoints look at the lists
the engine filled during the step, conditions first test the event kind they require.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msidbg.contract import breakpoint_hint
from msidbg.debugger import schema
from msidbg.errors import MsidbgError
from msidbg.guard import encodable
from msidbg.guard import head as quoted_head
from msidbg.model import hits
from msidbg.sim.rec import MAPS
from msidbg.sim.world import copy_world

if TYPE_CHECKING:
    from msidbg.debugger.expr import Compiled

BUILTIN, IF, WATCH, CALL = "builtin", "if", "watch", "call"
MAX_SPEC_CHARS = 4000


class BreakpointError(MsidbgError):
    """A breakpoint spec that cannot be armed; ``str()`` shows a caret under a bad column."""

    def __init__(self, message: str, spec: str = "", column: int | None = None) -> None:
        super().__init__(message, caret=None if column is None else (spec, column))
        self.spec = spec
        self.column = column

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        return f"{self.message}\n    {self.spec}\n    {' ' * self.column}^"


@dataclass
class Breakpoint:
    """One armed breakpoint. ``spec`` is its text; ``form`` is builtin, if, watch or call."""

    id: int
    spec: str
    form: str
    #: the built-in name (builtin) or the kernel program (call)
    name: str | None = None
    cond: Compiled | None = None
    enabled: bool = True
    #: watch only: the value at the previous event (a private copy)
    last: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """What a Stop reports: the built-in name, or the spec text for the other forms."""
        return self.name if self.form == BUILTIN and self.cond is None and self.name else self.spec


def _program_names(name: str = "") -> set[str]:
    """Every kernel program's name (the Xen side's, imported on first use, loaded unless ``name`` is known)."""
    from msidbg.model import kernel  # noqa: F401  (registers the programs)
    from msidbg.model.platforms import load_all
    from msidbg.sim.program import PROGRAMS

    if name not in PROGRAMS:
        load_all()
    return set(PROGRAMS)


def parse(spec: str, bp_id: int = 0, roots: set[str] | None = None,
          world: dict[str, Any] | None = None) -> Breakpoint:
    """Parse ``spec`` into a Breakpoint; ``roots`` (world top-level keys) checks path names,
    ``world`` (the world at the cursor) every segment of every path (``schema.check``).

    Raises BreakpointError, with the column of the problem when there is one.
    """
    if not isinstance(spec, str):
        raise BreakpointError("a breakpoint must be a string")
    if len(spec) > MAX_SPEC_CHARS:
        raise BreakpointError(f"breakpoint too long: {len(spec)} characters (expected at most {MAX_SPEC_CHARS})")
    if not encodable(spec):  # a non-UTF-8 byte in --break: it could never be saved in a snapshot
        raise BreakpointError("not valid UTF-8: the breakpoint holds a byte that is not text (expected UTF-8 text)")
    text = spec.strip()
    lead = len(spec) - len(spec.lstrip())
    head, _, _rest = text.partition(" ")
    if head in ("if", "watch"):
        if not _rest.strip():
            raise BreakpointError(f"'{head}' with nothing after it (expected an expression, e.g. {head} cpu[1].irr[0x31])",
                                  spec, len(spec.rstrip()))
        expr = _expr(spec, lead + len(head) + 1, roots, world)
        return Breakpoint(bp_id, text, IF if head == "if" else WATCH, None, expr)
    body, cond_text, cond_at = _split_if(text)
    if cond_text is not None and not cond_text.strip():   # 'irq-lost if': was "unknown breakpoint 'irq-lost if'"
        raise BreakpointError(f"'if' with nothing after it (expected a condition, e.g. {body or 'irq-lost'} if event.dev == \"eth0\")",
                              spec, lead + len(text))
    cond = _expr(spec, lead + cond_at, roots, world) if cond_text is not None else None
    if head == "call":
        name = body[4:].strip()
        if not name:
            raise BreakpointError("'call' with nothing after it (expected a kernel program name, e.g. call msi_set_affinity)",
                                  spec, lead + len(body))
        progs = _program_names(name)
        if name not in progs:
            raise BreakpointError(f"unknown kernel program {name!r} {schema.unknown_name(name, sorted(progs))}",
                                  spec, lead + body.index(name))
        return Breakpoint(bp_id, text, CALL, name, cond)
    if body in hits.IMPLEMENTED:
        return Breakpoint(bp_id, text, BUILTIN, body, cond)
    if body in hits.CONTRACT:
        raise BreakpointError(f"breakpoint {body!r} is not modelled yet in this version of msidbg")
    # (the spec quoted by its head: a 3,000-character one was echoed whole -- hardening30)
    raise BreakpointError(f"unknown breakpoint {quoted_head(body)} (expected one of: {', '.join(sorted(hits.IMPLEMENTED))}, "
                          f"or 'if <condition>', 'watch <path>', 'call <program>'{breakpoint_hint(body)})", spec, lead)


def arm(session: Any, specs: Iterable[str], source: str = "--break", file: str | None = None,
        command: str | None = None) -> None:
    """Arm ``specs`` on ``session``; a bad one is a MsidbgError naming ``source`` (with its caret):
    an option (``--break``) as argparse names it, with ``command`` (else the CLI's subcommand)."""
    for spec in specs:
        try:
            session.add_breakpoint(spec)
        except BreakpointError as e:
            if source.startswith("-"):   # a command-line option: named as argparse names it
                raise MsidbgError(e.message, file, caret=e.caret, option=source, command=command) from None
            raise MsidbgError(e.message, file, caret=e.caret, field=source) from None


def _split_if(text: str) -> tuple[str, str | None, int]:
    """``name if cond`` -> (name, cond, offset of cond in text); no ``if`` -> (text, None, 0)."""
    at = text.find(" if ")
    if at < 0:
        return (text[:-3].strip(), "", len(text)) if text.endswith(" if") else (text, None, 0)
    return text[:at].strip(), text[at + 4:], at + 4


def _expr(spec: str, offset: int, roots: set[str] | None, world: dict[str, Any] | None) -> Compiled:
    # the expression compiler loads only when a breakpoint has an expression (not for a headless
    # run of built-in names: start-up time)
    from msidbg.debugger.expr import ExprError, compile_expr

    text = spec[offset:]
    try:
        return compile_expr(text, roots, world)
    except ExprError as e:
        raise BreakpointError(e.what, spec, offset + e.column) from None


def problem(spec: str) -> str | None:
    """None if ``spec`` can be armed, else a one-line description (for scenario files)."""
    try:
        parse(spec)
    except BreakpointError as e:
        if e.column is None:
            return e.message
        return f"column {e.column + 1} of {spec.strip()!r}: {e.message}"
    return None


def freeze(value: Any) -> Any:
    """A private copy of a watched value (world lists and dicts change in place)."""
    return copy_world(value) if isinstance(value, (list, *MAPS)) else value


class Checker:
    """Evaluates an armed set after each step; ``check()`` returns the first that fires, or None.

    Watches compare with the value they saw at the previous event: call ``prime()`` whenever
    the world is replaced (a seek) so that the first step after it compares with the right value.
    """

    def __init__(self, bps: list[Breakpoint], eng: Any) -> None:
        self.eng = eng
        self.bps = [b for b in bps if b.enabled]
        self.watches = [b for b in self.bps if b.form == WATCH]
        self.simple = all(b.form in (BUILTIN, CALL) and b.cond is None for b in self.bps)
        self.tests: list[tuple[Breakpoint, Callable[[], bool]]] = [(b, self._test(b)) for b in self.bps]
        self.names = {b.name for b in self.bps if b.form == BUILTIN}
        self.detail: str | None = None

    def __bool__(self) -> bool:
        return bool(self.bps)

    def prime(self) -> None:
        for b in self.watches:
            assert b.cond is not None
            b.last = freeze(b.cond.fn(self.eng))

    def check(self) -> Breakpoint | None:
        """The first armed breakpoint (in id order) that fires at the event just executed."""
        eng = self.eng
        if self.simple and not eng.step_hits and not eng.step_calls:
            return None
        self.detail = None
        found: Breakpoint | None = None
        detail = None
        for b, test in self.tests:
            if test() and found is None:
                found, detail = b, self.detail
                if not self.watches:
                    break
        self.detail = detail  # the reported breakpoint's detail, not that of a later watch that also fired
        return found

    def _test(self, b: Breakpoint) -> Callable[[], bool]:
        eng = self.eng
        cond = b.cond
        if b.form == BUILTIN:
            name = b.name

            def builtin() -> bool:
                for h in eng.step_hits:
                    if h.name == name and (cond is None or cond.fn(eng)):
                        self.detail = h.detail
                        return True
                return False
            return builtin
        if b.form == CALL:
            prog = b.name

            def call() -> bool:
                if prog in eng.step_calls and (cond is None or cond.fn(eng)):
                    self.detail = f"entered {prog}"
                    return True
                return False
            return call
        assert cond is not None
        if b.form == WATCH:
            fn = cond.fn

            def watch() -> bool:
                now = fn(eng)
                if now == b.last and type(now) is type(b.last):
                    return False
                path = b.spec[6:].strip()
                if _is_bitmap(path, b.last) and _is_bitmap(path, now):
                    self.detail = f"{path} (vectors set): {_vectors(b.last)} -> {_vectors(now)}"
                else:
                    self.detail = f"{path}: {_show(b.last)} -> {_show(now)}"
                b.last = freeze(now)
                return True
            return watch
        return _condition(cond, eng)


def _condition(cond: Compiled, eng: Any) -> Callable[[], bool]:
    fn, kinds = cond.fn, cond.kinds
    if kinds is None:
        return lambda: bool(fn(eng))

    def test() -> bool:
        return eng.log.kind_at(eng.cur) in kinds and bool(fn(eng))
    return test


#: a CPU's 256-bit vector bitmaps (eight 32-bit words): a watch on one said
#: ``[0, 0, 0, 0, 0, 0, 0, 0] -> [0, 0, 0, 0, 0, 0, 0, 524288]`` for vector 0xf3 set
BITMAPS = ("irr", "isr", "tmr", "alloc")


def _is_bitmap(path: str, v: Any) -> bool:
    return path.rsplit(".", 1)[-1] in BITMAPS and isinstance(v, (list, tuple)) and len(v) == 8 \
        and all(isinstance(x, int) and not isinstance(x, bool) for x in v)


def _vectors(v: Any) -> str:
    """The vectors set in a 256-bit bitmap, ``{0x31, 0xf3}`` (``{}``: none)."""
    return "{" + ", ".join(f"{i:#04x}" for i in range(256) if v[i >> 5] >> (i & 31) & 1) + "}"


def _show(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v > 9:
        return hex(v)
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def call_programs(bps: list[Breakpoint]) -> set[str]:
    """Programs the engine must report entries of (``Engine.call_watch``)."""
    return {b.name for b in bps if b.form == CALL and b.enabled and b.name}
