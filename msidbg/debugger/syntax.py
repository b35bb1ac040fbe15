"""The breakpoint expression grammar: tokens and a recursive-descent parser with column-exact errors.

See ``msidbg.debugger.expr`` for the grammar and what expressions mean; this module only turns
text into a tree of ``Node`` values (or an ``ExprError`` naming the offending column).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from msidbg.errors import MsidbgError

MAX_EXPR_CHARS = 2000
MAX_DEPTH = 40


class ExprError(MsidbgError):
    """A malformed expression: ``message`` says what, ``column`` (0-based) says where."""

    def __init__(self, message: str, text: str, column: int) -> None:
        super().__init__(f"{message} (column {column + 1})")
        self.what = message
        self.text = text
        self.column = column

    def pointer(self) -> str:
        """Two lines: the expression, and a caret under the offending column."""
        return f"    {self.text}\n    {' ' * self.column}^"

    def __str__(self) -> str:
        return f"{self.message}\n{self.pointer()}"


# --- tokens ---------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|[0-9][0-9_]*)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*)
  | (?P<op>==|!=|<=|>=|<<|>>|[<>()\[\].,&|^~-])
""", re.VERBOSE)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "none", "True", "False", "None", "null"}


#: what a C programmer types first, and what this language spells instead
_C_HABIT = re.compile(r"&&|\|\||!(?!=)|=(?!=)")
_C_HINTS = {"&&": "'&&' is C (expected 'and'; '&' is the bitwise and)",
            "||": "'||' is C (expected 'or'; '|' is the bitwise or)",
            "!": "'!' is C (expected 'not', and '!=' to compare)",
            "=": "'=' assigns in C (expected '==' to compare)"}
#: arithmetic, which the language does not have (a bit operator or a comparison says it instead)
_ARITH = re.compile(r"\*\*|//|[+*/%]")
ARITH_HINT = ("{op!r} is arithmetic, which conditions do not have (expected a comparison of the value "
              "itself, e.g. 'x > 2' for 'x + 1 > 3'; the operators are == != < <= > >= in, and the bit "
              "operators | ^ & << >> ~)")
#: a time unit right after a number (`event.time > 1ms`)
_UNIT = re.compile(r"(ns|us|µs|ms|s)(?![A-Za-z0-9_])")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # num, str, name, op, kw, end
    text: str
    col: int
    value: Any = None


def tokenize(text: str) -> list[Tok]:
    """Split ``text`` into tokens; an unknown character is an ExprError at its column."""
    toks: list[Tok] = []
    pos = 0
    while pos < len(text):
        habit = _C_HABIT.match(text, pos)
        if habit is not None:
            raise ExprError(_C_HINTS[habit.group()], text, pos)
        m = _TOKEN.match(text, pos)
        arith = _ARITH.match(text, pos) if m is None else None
        if arith is not None:
            raise ExprError(ARITH_HINT.format(op=arith.group()), text, pos)
        if m is None:
            digit = _odd_digit(text, pos)
            if digit is not None:
                raise ExprError(digit, text, pos)
        if m is None and text[pos] in "\"'":   # a quote the string pattern did not close
            raise ExprError(f"unterminated string (expected its closing {text[pos]})", text, pos)
        if m is None:
            raise ExprError(f"unexpected character {text[pos]!r} (expected a name, a number, a quoted string, "
                            "an operator or a bracket)", text, pos)
        kind = m.lastgroup or ""
        s = m.group()
        if kind == "num":
            toks.append(_number(s, text, pos))
            unit = _UNIT.match(text, m.end())
            if unit is not None:
                ns = toks[-1].value * _UNIT_NS[unit.group(1)]
                raise ExprError(f"a time unit in a condition: {s}{unit.group(1)} is {ns} ns (expected an integer "
                                "in ns, e.g. event.time > 1000000)", text, pos)
        elif kind == "str":
            toks.append(Tok("str", s, pos, _unquote(s)))
        elif kind == "name":
            toks.append(Tok("kw" if s in KEYWORDS else "name", s, pos))
        elif kind == "op":
            toks.append(Tok("op", s, pos))
        pos = m.end()
    if pos < len(text):
        raise ExprError("unterminated string (expected its closing quote)", text, pos)
    toks.append(Tok("end", "", len(text)))
    return toks


def _odd_digit(text: str, pos: int) -> str | None:
    """What is wrong with a digit that is not 0-9 at ``pos`` (None if there is none): ``\\d`` took
    Arabic-Indic and other decimal digits, so ``cpu[١].online`` watched CPU 1 and ``irqs[٢٤]`` irq 24 --
    numbers a reader of the spec may not see (hardening31; the command line, scenarios and the TUI's
    goto prompt take 0-9 only)."""
    ch = text[pos] if pos < len(text) else ""
    if ch and not ch.isascii() and (ch.isdigit() or ch.isnumeric()):
        return f"{ch!r} (U+{ord(ch):04X}) is not a digit 0-9 (expected a number in digits 0-9, 0x... or 0b...)"
    return None


def _number(s: str, text: str, col: int) -> Tok:
    try:
        value = int(s.replace("_", ""), 0) if s[:2].lower() in ("0x", "0b") else int(s.replace("_", ""))
    except ValueError:
        raise ExprError(f"bad number {s!r} (expected decimal digits, or 0x and hex digits, or 0b and binary "
                        "digits)", text, col) from None
    if value >= 2**64:
        raise ExprError(f"number {s} does not fit in 64 bits (expected at most 2^64-1)", text, col)
    return Tok("num", s, col, value)


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# --- syntax tree ------------------------------------------------------------------------------
@dataclass(slots=True)
class Node:
    """One node: ``op`` names it (lit, path, event, not, and, or, cmp, bin, neg, inv, len, list)."""

    op: str
    col: int
    args: list[Any] = field(default_factory=list)


class Parser:
    """Recursive descent over the token list; every error carries a column."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_EXPR_CHARS:
            raise ExprError(f"expression too long: {len(text)} characters (expected at most {MAX_EXPR_CHARS})",
                            text, MAX_EXPR_CHARS)
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, *texts: str) -> bool:
        t = self.tok
        return t.kind in ("op", "kw") and t.text in texts

    def expect(self, text: str, what: str) -> Tok:
        if not self.at(text):
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, what: str, tok: Tok | None = None) -> None:
        """``what``: ``expected X`` (the message is ``found T (expected X)``, T the token at the
        column), or a message that ends in its own ``(expected ...)``."""
        t = tok or self.tok
        found = "the end of the expression" if t.kind == "end" else repr(t.text)
        raise ExprError(f"found {found} ({what})" if what.startswith("expected ") else what, self.text, t.col)

    def parse(self) -> Node:
        if self.tok.kind == "end":
            self.fail("expected an expression")
        node = self.expr()
        if self.tok.kind != "end":
            self.fail("expected an operator (==, and, or, ...) or the end")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"expression nested deeper than {MAX_DEPTH} levels (expected at most {MAX_DEPTH})")
        node = self.or_()
        self.depth -= 1
        return node

    def or_(self) -> Node:
        return self._chain("or", self.and_)

    def and_(self) -> Node:
        return self._chain("and", self.not_)

    def _chain(self, word: str, sub: Callable[[], Node]) -> Node:
        first = sub()
        if not self.at(word):
            return first
        parts = [first]
        while self.at(word):
            self.take()
            parts.append(sub())
        return Node(word, first.col, parts)

    def not_(self) -> Node:
        if self.at("not"):
            t = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"expression nested deeper than {MAX_DEPTH} levels (expected at most {MAX_DEPTH})", t)
            node = Node("not", t.col, [self.not_()])
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.bits(0)
        t = self.tok
        if self.at("==", "!=", "<", "<=", ">", ">=", "in"):
            op = self.take().text
        elif self.at("not") and self.toks[self.i + 1].text == "in":
            self.i += 2
            op = "not in"
        else:
            return left
        right = self.bits(0)
        if self.at("==", "!=", "<", "<=", ">", ">=", "in"):
            self.fail("a chained comparison (expected comparisons joined with 'and')")
        return Node("cmp", t.col, [op, left, right])

    _LEVELS = (("|",), ("^",), ("&",), ("<<", ">>"))

    def bits(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.bits(level + 1)
        while self.at(*self._LEVELS[level]):
            t = self.take()
            left = Node("bin", t.col, [t.text, left, self.bits(level + 1)])
        return left

    def unary(self) -> Node:
        if self.at("-", "~"):
            t = self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self.fail(f"expression nested deeper than {MAX_DEPTH} levels (expected at most {MAX_DEPTH})", t)
            node = Node("neg" if t.text == "-" else "inv", t.col, [self.unary()])
            self.depth -= 1
            return node
        return self.postfix()

    def postfix(self) -> Node:
        node = self.atom()
        while self.at(".", "["):
            t = self.take()
            if t.text == ".":
                name = self.tok
                if name.kind not in ("name", "kw"):
                    self.fail("expected a field name after '.'")
                self.take()
                node = _member(node, name.text, name.col)
            else:
                at = self.tok
                index = self.expr()
                if index.op == "list":  # always wrong; caught here rather than evaluated to none
                    self.fail("a list cannot be an index (expected a number, a string or a path inside [ ])", at)
                self.expect("]", "']'")
                node = _index(node, index, t.col)
        if self.at("-"):   # 'x - 1': never valid after a value ('-' is only unary, or inside a name)
            self.fail(ARITH_HINT.format(op="-")[:-1] + "; a name with '-' has no spaces: dev.nvme-a)")
        return node

    def atom(self) -> Node:
        t = self.tok
        if t.kind in ("num", "str"):
            self.take()
            return Node("lit", t.col, [t.value])
        if t.kind == "kw" and t.text in ("true", "True", "false", "False", "none", "None", "null"):
            self.take()
            return Node("lit", t.col, [{"t": True, "T": True, "f": False, "F": False}.get(t.text[0])])
        if t.kind == "name" and t.text == "len" and self.toks[self.i + 1].text == "(":
            self.i += 2
            inner = self.expr()
            self.expect(")", "')' to close len(")
            return Node("len", t.col, [inner])
        if t.kind == "name":
            self.take()
            if t.text == "event":
                return Node("event", t.col, [None])
            return Node("path", t.col, [t.text, []])
        if self.at("("):
            self.take()
            inner = self.expr()
            self.expect(")", "')'")
            return inner
        if self.at("["):
            return self.list_()
        self.fail("expected a value: a number, a string, a path such as cpu[1].irr, or event.<field>")
        raise AssertionError  # unreachable: fail() raises

    def list_(self) -> Node:
        t = self.take()
        items: list[Node] = []
        while not self.at("]"):
            items.append(self.expr())
            if not self.at(","):
                break
            self.take()
        self.expect("]", "']' to close the list")
        return Node("list", t.col, items)


def _member(node: Node, name: str, col: int) -> Node:
    if node.op == "event":
        if node.args[0] is not None:
            # the event field itself kept (args[2]): 'event.fields.ret' names 'fields' as the unknown field
            return Node("path", node.col, ["<event>", [("key", name, col)], node])
        return Node("event", node.col, [name, col])
    if node.op == "path":
        node.args[1].append(("key", name, col))
        return node
    return Node("path", node.col, ["<value>", [("key", name, col)], node])


def _index(node: Node, index: Node, col: int) -> Node:
    if node.op == "path":
        node.args[1].append(("idx", index, col))
        return node
    return Node("path", node.col, ["<value>", [("idx", index, col)], node])


