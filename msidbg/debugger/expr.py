"""The breakpoint expression language: a small, safe grammar parsed once into closures.

Expressions read event fields (``event.kind``, ``event.dev``, ``event.entry``) and world
paths (``cpu[1].irr[0x31]``, ``devices.eth0.msix.table[2].ctrl``). They never call Python
``eval``: snapshot files carry breakpoints, and those come from strangers. Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := bits [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") bits]
    bits    := unary (("|" | "^" | "&" | "<<" | ">>") unary)*     (Python's precedence)
    unary   := ("-" | "~") unary | postfix
    postfix := atom ("." NAME | "[" expr "]")*
    atom    := NUMBER | STRING | true | false | none | NAME | "len" "(" expr ")"
             | "(" expr ")" | "[" [expr ("," expr)*] "]"

Evaluation never raises: a missing path is ``None``; an ordering comparison or bit operation
on values of the wrong type is false / ``None``; a list or map used as a key finds nothing, and
``x in map`` is false for such an ``x``. A list literal as an index (``devices[[0]]``) is always
a mistake and is refused when the expression is parsed. Compile-time mistakes raise ``ExprError``
with the column of the offending token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msidbg.debugger import schema
from msidbg.debugger.syntax import ExprError, Node, Parser
from msidbg.sim.events import HEX, STR, U64, all_kinds, kind_by_code, kind_by_name
from msidbg.sim.rec import Rec

__all__ = ["ALIASES", "BITMAPS", "Compiled", "ExprError", "compile_expr"]

Fn = Callable[[Any], Any]

#: short names a path may start with, and the world path each stands for
ALIASES: dict[str, tuple[str, ...]] = {
    "cpu": ("cpus",), "dev": ("devices",), "device": ("devices",), "irq": ("irqs",),
    "pci": ("kernel", "pci"), "time": ("now",), "acct": ("acct",),
}
#: world lists that are 256-bit vector bitmaps stored as 8 x 32-bit words: ``irr[0x31]`` is a bit
BITMAPS = schema.BITMAPS
#: event attributes every event has (the rest are the fields of its kind)
EVENT_BASICS = ("index", "time", "time_ns", "kind", "cpu", "dev")


# --- compilation -------------------------------------------------------------------------------
@dataclass
class Compiled:
    """A parsed expression: ``fn(engine)`` evaluates it against the engine's world and event.

    ``fn`` never raises: the operations are total by construction (``raw`` is the same closure
    without the last-resort guard, for the fuzzer that checks that claim).
    """

    text: str
    fn: Fn
    #: event kind codes the expression can only be true for (None: any kind)
    kinds: frozenset[int] | None
    uses_world: bool
    uses_event: bool
    raw: Fn | None = None


#: what a bug in an operation could raise; evaluation turns it into ``None`` (false)
_EVAL_ERRORS = (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError, RecursionError)


def _total(fn: Fn) -> Fn:
    """``fn`` with a last-resort guard: a value it cannot compute is ``None`` (a false condition)."""
    def safe(e: Any) -> Any:
        try:
            return fn(e)
        except _EVAL_ERRORS:
            return None
    return safe


class Compiler:
    """Turns a syntax tree into closures over an engine (``eng.w``, ``eng.log``, ``eng.cur``)."""

    def __init__(self, text: str, roots: set[str] | None, world: dict[str, Any] | None = None) -> None:
        self.text = text
        self.roots = set(world) if roots is None and world is not None else roots
        self.world = world
        self.uses_world = False
        self.uses_event = False

    def fail(self, what: str, col: int) -> None:
        raise ExprError(what, self.text, col)

    def compile(self, n: Node) -> Fn:
        return getattr(self, "c_" + n.op)(n)

    def c_lit(self, n: Node) -> Fn:
        v = n.args[0]
        return lambda e: v

    def c_list(self, n: Node) -> Fn:
        fns = [self.compile(a) for a in n.args]
        return lambda e: [f(e) for f in fns]

    def c_not(self, n: Node) -> Fn:
        f = self.compile(n.args[0])
        return lambda e: not f(e)

    def c_and(self, n: Node) -> Fn:
        fns = [self.compile(a) for a in n.args]
        return lambda e: all(f(e) for f in fns)

    def c_or(self, n: Node) -> Fn:
        fns = [self.compile(a) for a in n.args]
        return lambda e: any(f(e) for f in fns)

    def c_len(self, n: Node) -> Fn:
        f = self.compile(n.args[0])
        return lambda e: _len(f(e))

    def c_neg(self, n: Node) -> Fn:
        f = self.compile(n.args[0])
        return lambda e: _neg(f(e))

    def c_inv(self, n: Node) -> Fn:
        f = self.compile(n.args[0])
        return lambda e: _inv(f(e))

    def c_bin(self, n: Node) -> Fn:
        op, a, b = n.args[0], self.compile(n.args[1]), self.compile(n.args[2])
        impl = _BITOPS[op]
        return lambda e: impl(a(e), b(e))

    def c_cmp(self, n: Node) -> Fn:
        op, left, right = n.args
        if op in ("==", "!="):
            self._check_event_literal(left, right)
            self._check_event_literal(right, left)
        elif op in ("in", "not in") and right.op == "list":   # (a string right of `in` is a substring test)
            self._check_event_literal(left, right)
        a, b = self.compile(left), self.compile(right)
        impl = _CMPS[op]
        if right.op == "lit":
            c = right.args[0]
            return lambda e: impl(a(e), c)
        return lambda e: impl(a(e), b(e))

    def _check_event_literal(self, side: Node, other: Node) -> None:
        """``event.kind == "msix.wrte"`` or ``event.dev == "nvme9"`` (a device the scenario does not
        have, when the world is known) is a typo we can catch at parse time: the condition could
        never hold, and a breakpoint that silently never fires looks like a bug that went away.
        So is a kind compared with a number (``event.kind == 5``). ``"msi" in event.kind`` (a
        substring test) is not checked."""
        if side.op != "event" or side.args[0] not in ("kind", "dev"):
            return
        lits = [x for x in ([other] if other.op == "lit" else other.args if other.op == "list" else [])
                if x.op == "lit"]
        devices = self.world.get("devices") if isinstance(self.world, (dict, Rec)) else None
        for lit in lits:
            v = lit.args[0]
            if side.args[0] == "kind":
                if not isinstance(v, str):
                    self.fail(f"event.kind compared with {_show(v)} (expected an event kind name such as "
                              "\"msix.write\")", lit.col)
                if kind_by_name(v) is None:
                    names = sorted(k.name for k in all_kinds())
                    self.fail(f"unknown event kind {v!r} {schema.unknown_name(v, names)}", lit.col)
            elif isinstance(devices, dict) and devices:
                if v is not None and not isinstance(v, str):
                    self.fail(f"event.dev compared with {_show(v)} (expected a device name or none)", lit.col)
                if isinstance(v, str) and v not in devices:
                    self.fail(f"unknown device {v!r} (expected one of: {', '.join(sorted(devices))}, "
                              "or none for an event about no device)", lit.col)

    def c_event(self, n: Node) -> Fn:
        name = n.args[0]
        if name is None:
            self.fail("'event' alone (expected a field after it, e.g. event.kind, event.dev)", n.col)
        if name not in EVENT_BASICS and name not in _field_names():
            self.fail(f"unknown event field {name!r} (expected one of: "
                      f"{', '.join(sorted(set(EVENT_BASICS) | _field_names()))})", n.args[1])
        self.uses_event = True
        return _event_getter(name)

    def c_path(self, n: Node) -> Fn:
        root, steps = n.args[0], n.args[1]
        if root == "<value>":
            base = self.compile(n.args[2])
            walk = self._steps(steps, None)
            return lambda e: walk(e, base(e))
        if root == "<event>":
            if len(n.args) > 2:
                self.compile(n.args[2])   # an unknown event field is the error to name (event.fields.ret)
            self.fail("a sub-field: event fields are plain values with no sub-fields (expected event.<field> alone)",
                      steps[0][2])
        self.uses_world = True
        keys: tuple[str, ...] = ALIASES.get(root, (root,))
        if root == "world":
            keys = ()
        elif self.roots is not None and keys[0] not in self.roots:
            self.fail(f"unknown name {root!r} (expected event.<field>, or a world path starting with one of: "
                      f"{', '.join(sorted(self.roots | set(ALIASES)))})", n.col)
        if self.world is not None:
            problem = schema.check(self.world, keys, steps, self.text, n.col)
            if problem is not None:
                self.fail(problem.message, problem.column)
        prefix = [("key", k, n.col) for k in keys]
        walk = self._steps(prefix + steps, keys[-1] if keys else None)
        return lambda e: walk(e, e.w)

    def _steps(self, steps: list[tuple[str, Any, int]], last: str | None) -> Callable[[Any, Any], Any]:
        """A walker applying keys and indexes in order; a BITMAPS key followed by an index reads a bit."""
        plan: list[tuple[int, Any]] = []
        for kind, arg, _col in steps:
            if kind == "key":
                plan.append((_KEY, arg))
                last = arg
            else:
                plan.append((_BIT if last in BITMAPS else _IDX, self.compile(arg)))
                last = arg.args[0] if arg.op == "lit" and isinstance(arg.args[0], str) else None
        return _walker(plan)


_KEY, _IDX, _BIT = 0, 1, 2


def _walker(plan: list[tuple[int, Any]]) -> Callable[[Any, Any], Any]:
    def walk(e: Any, v: Any) -> Any:
        for kind, arg in plan:
            if kind == _KEY:
                v = v.get(arg) if type(v) is dict or isinstance(v, Rec) else None
            else:
                v = _bit(v, arg(e)) if kind == _BIT else _item(v, arg(e))
            if v is None:
                return None
        return v
    return walk


def _item(v: Any, i: Any) -> Any:
    if type(v) is list:
        return v[i] if type(i) is int and 0 <= i < len(v) else None
    if type(v) is dict or isinstance(v, Rec):
        if type(i) not in _KEY_TYPES:  # a list or map as a key: no such entry (and never a TypeError)
            return None
        if i in v:
            return v[i]
        if type(i) is int:
            return v.get(str(i))
        if type(i) is str and i.isascii() and i.isdigit() and len(i) <= 20:
            return v.get(int(i))
    return None


def _bit(v: Any, i: Any) -> Any:
    if type(v) is list and type(i) is int and 0 <= i < 32 * len(v):
        word = v[i >> 5]
        return (word >> (i & 31)) & 1 if type(word) is int else None
    return _item(v, i)


def _len(v: Any) -> Any:
    return len(v) if isinstance(v, (list, dict, str)) else None


def _int(v: Any) -> bool:
    return type(v) is int


def _neg(v: Any) -> Any:
    return -v if _int(v) else None


def _inv(v: Any) -> Any:
    return ~v if _int(v) else None


def _bitop(fn: Callable[[int, int], int]) -> Callable[[Any, Any], Any]:
    def op(a: Any, b: Any) -> Any:
        if not (_int(a) and _int(b)):
            return None
        if fn is _shl and not 0 <= b < 64:
            return None
        if fn is _shr and b < 0:
            return None
        return fn(a, b)
    return op


def _shl(a: int, b: int) -> int:
    return a << b


def _shr(a: int, b: int) -> int:
    return a >> b


_BITOPS = {
    "|": _bitop(lambda a, b: a | b), "^": _bitop(lambda a, b: a ^ b), "&": _bitop(lambda a, b: a & b),
    "<<": _bitop(_shl), ">>": _bitop(_shr),
}


def _ordered(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def cmp(a: Any, b: Any) -> bool:
        ta, tb = type(a), type(b)
        return (ta is tb and ta in (int, str)) and fn(a, b)
    return cmp


#: what can be a key of a world map (anything else is in no map)
_KEY_TYPES = (int, str, bool, type(None))


def _contains(a: Any, b: Any) -> bool:
    if type(b) is dict or isinstance(b, Rec):
        return type(a) in _KEY_TYPES and a in b
    if type(b) is list:
        ta = type(a)
        return any(type(x) is ta and x == a for x in b)  # strict about types, as == is
    return isinstance(b, str) and isinstance(a, str) and a in b


_CMPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: type(a) is type(b) and a == b,
    "!=": lambda a, b: not (type(a) is type(b) and a == b),
    "<": _ordered(lambda a, b: a < b), "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b), ">=": _ordered(lambda a, b: a >= b),
    "in": _contains, "not in": lambda a, b: not _contains(a, b),
}


# --- event fields, read straight from the columnar log -------------------------------------------
def _field_names() -> set[str]:
    return {name for k in all_kinds() for name, _fmt in k.fields}


#: kind code -> {field name: (column offset, format)}
_FIELD_CACHE: dict[int, dict[str, tuple[int, str]]] = {}


def _fields_of(code: int) -> dict[str, tuple[int, str]]:
    got = _FIELD_CACHE.get(code)
    if got is None:
        k = kind_by_code(code)
        got = {name: (4 + i, fmt) for i, (name, fmt) in enumerate(k.fields)}
        _FIELD_CACHE[code] = got
    return got


def _event_getter(name: str) -> Fn:
    """A reader of field ``name`` of the event at the engine's cursor (None before event 1)."""
    def get(e: Any) -> Any:
        cur = e.cur
        if cur < 1:
            return None
        log = e.log
        if name == "index":
            return cur
        if name in ("time", "time_ns"):
            return log.time_at(cur)
        t, k, cpu, dev, a, b, c = log.raw(cur)
        if name == "kind":
            return kind_by_code(k).name
        if name == "cpu":
            return None if cpu < 0 else cpu
        if name == "dev":
            return None if dev < 0 else log.strings.strings[dev]
        spec = _fields_of(k).get(name)
        if spec is None:
            return None
        v = (a, b, c)[spec[0] - 4]
        if spec[1] == STR:
            return log.strings.strings[v]
        return v + U64 if v < 0 and spec[1] == HEX else v
    return get


def _show(v: Any) -> str:
    """A literal as the expression language spells it."""
    return "none" if v is None else ("true" if v else "false") if isinstance(v, bool) else repr(v)


def kind_filter(tree: Node) -> frozenset[int] | None:
    """Kind codes a condition requires (from ``event.kind == "x"`` conjuncts), or None."""
    parts = tree.args if tree.op == "and" else [tree]
    for p in parts:
        if p.op != "cmp" or p.args[0] not in ("==", "in"):
            continue
        op, left, right = p.args
        if right.op == "event" and right.args[0] == "kind" and op == "==":
            left, right = right, left
        if not (left.op == "event" and left.args[0] == "kind"):
            continue
        lits = [right] if op == "==" else right.args if right.op == "list" else None
        if lits is None or not all(x.op == "lit" and isinstance(x.args[0], str) for x in lits):
            continue
        codes = {k.code for x in lits if (k := kind_by_name(x.args[0])) is not None}
        return frozenset(codes)
    return None


def compile_expr(text: str, roots: set[str] | None = None, world: dict[str, Any] | None = None) -> Compiled:
    """Parse and compile ``text``; ``roots`` (the world's top-level keys) checks path roots, and
    ``world`` (the world at the cursor) checks every path segment (``schema.check``).

    Raises ExprError (with a column) on any syntax or name problem.
    """
    tree = Parser(text).parse()
    comp = Compiler(text, roots, world)
    fn = comp.compile(tree)
    return Compiled(text, _total(fn), kind_filter(tree), comp.uses_world, comp.uses_event, fn)
