"""Safe YAML reading for files from strangers: a bounded walk of PyYAML's node tree.

``read_text`` reads a size-bounded UTF-8 file. ``parse`` composes the text with
``yaml.SafeLoader`` (no object construction), then walks the nodes itself into ``Y`` values
that keep their line numbers. The walk counts every node
it visits, including each visit through an alias (an alias is the same node object met
again), so a "billion laughs" file fails fast instead of expanding. Duplicate keys,
non-string keys and tags other than plain str/int/float/bool/null/map/seq are rejected.
``Fields`` and the converters read a mapping against a schema; every problem is raised as
``Invalid(field, what, line)`` for the caller to attach a file name to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import yaml

from msidbg import files
from msidbg.files import FileProblem, read_regular, sniff

MAX_NODES = 200_000
MAX_DEPTH = 32
SHOW_CHARS = 40
NS_PER_S = 10**9
TIME_UNITS = {"ns": 1, "us": 10**3, "ms": 10**6, "s": NS_PER_S}
_TIME = re.compile(r"(\d+)(?:\.(\d+))?(ns|us|ms|s)", re.ASCII)

_TAG = "tag:yaml.org,2002:"
MAP_TAG, SEQ_TAG, STR_TAG, BOOL_TAG = _TAG + "map", _TAG + "seq", _TAG + "str", _TAG + "bool"
MERGE_TAG = _TAG + "merge"
SCALAR_TAGS = frozenset({STR_TAG, BOOL_TAG, _TAG + "int", _TAG + "float", _TAG + "null"})

T = TypeVar("T")
D = TypeVar("D")
Conv = Callable[["Y", str], T]


class Invalid(Exception):
    """A problem at ``field`` (None: the file as a whole) on ``line`` (None: unknown)."""

    def __init__(self, field: str | None, what: str, line: int | None) -> None:
        super().__init__(what)
        self.field = field
        self.what = what
        self.line = line

    @property
    def message(self) -> str:
        text = self.what if self.field is None else f"{self.field or '(top level)'}: {self.what}"
        return " ".join(text.splitlines())


@dataclass(slots=True)
class Y:
    """A walked YAML value: a scalar, ``list[Y]`` or ``dict[str, Y]``, with where it was written."""

    value: Any
    line: int
    #: the line of this value's key when it is a mapping value (0 otherwise)
    key_line: int = 0
    #: a scalar exactly as written (``4.10`` stays "4.10", ``00:03.0`` is not a float)
    raw: str | None = None

    @property
    def at(self) -> int:
        """The line to report a problem with this value on: its key's, else its own."""
        return self.key_line or self.line


def show(value: Any) -> str:
    """A user's value for a one-line message: quoted, truncated, never multi-line."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= SHOW_CHARS else value[:SHOW_CHARS] + "...")
    text = repr(value)
    return text if len(text) <= SHOW_CHARS else text[:SHOW_CHARS] + "..."


def join(field: str, key: str) -> str:
    """The path of ``key`` inside ``field`` (``""`` is the top level)."""
    name = key if key.isprintable() and len(key) <= SHOW_CHARS else show(key)
    return f"{field}.{name}" if field else name


# ---------------------------------------------------------------------------------------
# Reading, parsing and walking
# ---------------------------------------------------------------------------------------


def read_text(path: str, limit: int) -> str:
    """The text of the regular file ``path``: at most ``limit`` bytes of UTF-8."""
    try:
        data = read_regular(path, limit, "a scenario file")
    except FileProblem as e:
        raise Invalid(None, e.message, None) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        if sniff(data) == "snapshot":
            raise Invalid(None, "this is a msidbg snapshot, not a scenario (expected a scenario YAML file; "
                          "open a snapshot with 'msidbg open FILE' or 'msidbg replay FILE')", None) from None
        line = data.count(b"\n", 0, e.start) + 1
        raise Invalid(None, f"not valid UTF-8: byte {data[e.start]:#04x} (expected UTF-8 text)", line) from None


def check_size(size: int, limit: int) -> None:
    try:
        files.check_size(size, limit)
    except FileProblem as e:
        raise Invalid(None, e.message, None) from None


def parse(text: str) -> Y | None:
    """The document in ``text`` as a ``Y`` tree, or None for an empty document."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise Invalid(None, f"YAML syntax error: {_problem(e)} (expected valid YAML)", _mark_line(e)) from None
    except yaml.reader.ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        raise Invalid(None, f"YAML syntax error: {e.reason} (expected valid YAML)", line) from None
    except RecursionError:
        raise Invalid(None, f"YAML nesting too deep (expected at most {MAX_DEPTH} levels)", None) from None
    return None if root is None else _Walker().walk(root, "", 0)


def _problem(e: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (e.context, e.problem) if p]
    return ", ".join(parts) or "malformed document"


def _mark_line(e: yaml.MarkedYAMLError) -> int | None:
    mark = e.problem_mark or e.context_mark
    return None if mark is None else mark.line + 1


class _Walker:
    """Builds ``Y`` values from nodes, counting visits to bound alias expansion."""

    def __init__(self) -> None:
        self.visited = 0
        self.constructor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, field: str, depth: int, key_line: int = 0) -> Y:
        line = node.start_mark.line + 1
        self.visited += 1
        if self.visited > MAX_NODES:
            raise Invalid("", f"alias expansion too large (expected at most {MAX_NODES} YAML nodes)", line)
        if depth > MAX_DEPTH:
            raise Invalid(field, f"nested too deeply (expected at most {MAX_DEPTH} levels)", line)
        if isinstance(node, yaml.MappingNode):
            return Y(self._mapping(node, field, depth), line, key_line)
        if isinstance(node, yaml.SequenceNode):
            return Y(self._sequence(node, field, depth), line, key_line)
        return Y(self._scalar(node, field, line), line, key_line, str(node.value))

    def _mapping(self, node: yaml.MappingNode, field: str, depth: int) -> dict[str, Y]:
        _check_tag(node, MAP_TAG, field)
        out: dict[str, Y] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, field)
            path = join(field, key)
            key_line = key_node.start_mark.line + 1
            if key in out:
                first = out[key].at
                raise Invalid(path, f"duplicate key (expected each key once; first at line {first})", key_line)
            out[key] = self.walk(value_node, path, depth + 1, key_line)
        return out

    def _sequence(self, node: yaml.SequenceNode, field: str, depth: int) -> list[Y]:
        _check_tag(node, SEQ_TAG, field)
        return [self.walk(item, f"{field}[{i}]", depth + 1) for i, item in enumerate(node.value)]

    def _key(self, node: yaml.Node, field: str) -> str:
        """A mapping key as written; ``on:``/``yes:`` stay names even though YAML 1.1 reads bools."""
        self.visited += 1
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode) and node.tag in (STR_TAG, BOOL_TAG):
            return str(node.value)
        if node.tag == MERGE_TAG:
            raise Invalid(field, "merge keys (<<) are not supported (expected plain keys)", line)
        shown = show(self._scalar(node, field, line)) if isinstance(node, yaml.ScalarNode) else "a collection"
        raise Invalid(field, f"a key must be a string, not {shown} (expected a name)", line)

    def _scalar(self, node: yaml.Node, field: str, line: int) -> Any:
        if node.tag not in SCALAR_TAGS:
            what = f"{show(node.value)} has unsupported YAML type {show(node.tag)}"
            raise Invalid(field, f"{what} (expected a string, number, boolean or null; quote strings)", line)
        try:
            return self.constructor.construct_object(node)
        except (ValueError, yaml.YAMLError):
            what = f"{show(node.value)} is not a valid {node.tag[len(_TAG):]}"
            raise Invalid(field, f"{what} (expected a number of at most a few thousand digits)", line) from None


def _check_tag(node: yaml.Node, tag: str, field: str) -> None:
    if node.tag != tag:
        line = node.start_mark.line + 1
        what = f"unsupported YAML type {show(node.tag)}"
        raise Invalid(field, f"{what} (expected a plain {'mapping' if tag == MAP_TAG else 'list'})", line)


# ---------------------------------------------------------------------------------------
# Reading walked values against a schema
# ---------------------------------------------------------------------------------------


def fail(field: str, y: Y, what: str) -> NoReturn:
    raise Invalid(field, what, y.at)


def as_map(y: Y, field: str, expected: str = "a mapping") -> dict[str, Y]:
    if not isinstance(y.value, dict):
        fail(field, y, f"{show(y.value)} is not a mapping (expected {expected})")
    return y.value


def as_list(y: Y, field: str, limit: int, expected: str = "a list") -> list[Y]:
    if not isinstance(y.value, list):
        fail(field, y, f"{show(y.value)} is not a list (expected {expected})")
    if len(y.value) > limit:
        fail(field, y, f"{len(y.value)} entries is too many (expected at most {limit})")
    return y.value


def ints(lo: int, hi: int | None = None, expected: str | None = None) -> Conv[int]:
    """A converter for an integer in ``lo..hi`` (no upper bound when ``hi`` is None)."""
    wanted = expected or (f"{lo}..{hi}" if hi is not None else f"an integer >= {lo}")

    def conv(y: Y, field: str) -> int:
        v = y.value
        if isinstance(v, bool) or not isinstance(v, int):
            fail(field, y, f"{show(v)} is not an integer (expected {wanted})")
        if v < lo or (hi is not None and v > hi):
            fail(field, y, f"{show(v)} is out of range (expected {wanted})")
        return v

    return conv


def choice(options: Sequence[T], noun: str = "value") -> Conv[T]:
    """A converter for one of ``options`` (strings or ints)."""
    listed = ", ".join(str(o) for o in options)

    def conv(y: Y, field: str) -> T:
        v = y.value
        if not any(type(v) is type(o) and v == o for o in options):
            fail(field, y, f"unknown {noun} {show(v)} (expected one of: {listed})")
        return v

    return conv


def member(table: dict[str, T], noun: str, if_empty: str) -> Conv[T]:
    """A converter for a name that must be a key of ``table``; gives its value."""
    known = ", ".join(table) or if_empty

    def conv(y: Y, field: str) -> T:
        if not isinstance(y.value, str) or y.value not in table:
            fail(field, y, f"unknown {noun} {show(y.value)} (expected one of: {known})")
        return table[y.value]

    return conv


def boolean(y: Y, field: str) -> bool:
    if not isinstance(y.value, bool):
        fail(field, y, f"{show(y.value)} is not a boolean (expected true or false)")
    return y.value


def string(max_len: int, pattern: re.Pattern[str] | None = None, expected: str = "a string") -> Conv[str]:
    """A converter for a string of at most ``max_len`` characters that fully matches ``pattern``."""

    def conv(y: Y, field: str) -> str:
        v = y.value
        if not isinstance(v, str):
            fail(field, y, f"{show(v)} is not a string (expected {expected})")
        if len(v) > max_len:
            fail(field, y, f"{len(v)} characters is too long (expected at most {max_len})")
        if pattern is not None and not pattern.fullmatch(v):
            fail(field, y, f"{show(v)} is malformed (expected {expected})")
        return v

    return conv


def written(y: Y) -> Y:
    """``y`` with a number replaced by its text as written (``xen: 4.10``, ``bdf: 00:03.0``)."""
    v = y.value
    if isinstance(v, (int, float)) and not isinstance(v, bool) and y.raw is not None:
        return Y(y.raw, y.line, y.key_line, y.raw)
    return y


class Fields:
    """A YAML mapping read against a schema: unknown keys are rejected, values read by type."""

    def __init__(self, y: Y, field: str, allowed: Iterable[str], noun: str = "key") -> None:
        self.y = y
        self.field = field
        self.items = as_map(y, field)
        names = tuple(allowed)
        for key, value in self.items.items():
            if key not in names:
                fail(join(field, key), value, f"unknown {noun} (expected one of: {', '.join(names)})")

    def path(self, key: str) -> str:
        return join(self.field, key)

    def read(self, key: str, conv: Conv[T], default: D) -> T | D:
        y = self.items.get(key)
        return default if y is None else conv(y, self.path(key))

    def need(self, key: str, conv: Conv[T]) -> T:
        y = self.items.get(key)
        if y is None:
            fail(self.path(key), self.y, f"missing (expected a value for the required key '{key}')")
        return conv(y, self.path(key))

    def line(self, key: str) -> int:
        """The line of ``key``, or of the whole mapping when the key is absent."""
        y = self.items.get(key)
        return (y or self.y).at


def times(positive: bool = False, hi: int = 3600 * NS_PER_S) -> Conv[int]:
    """A converter for a time in ns: an integer (ns) or ``<number><unit>``, unit ns, us, ms or s.

    ``"1.5ms"`` is 1500000; the conversion is exact integer arithmetic and must give whole ns.
    """
    wanted = f"a time {'>' if positive else '>='} 0 and <= {hi // NS_PER_S}s: integer ns, or like '10us', '1.5ms'"

    def conv(y: Y, field: str) -> int:
        ns = _time_ns(y, field, wanted)
        if ns < 0:
            fail(field, y, f"{show(y.value)} is negative (expected {wanted})")
        if ns > hi or (positive and ns == 0):
            fail(field, y, f"{show(y.value)} is out of range (expected {wanted})")
        return ns

    return conv


def _time_ns(y: Y, field: str, wanted: str) -> int:
    v = y.value
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    match = _TIME.fullmatch(v) if isinstance(v, str) and len(v) <= SHOW_CHARS else None
    if match is None:
        negative = isinstance(v, str) and v.startswith("-") and _TIME.fullmatch(v[1:SHOW_CHARS])
        fail(field, y, f"{show(v)} is {'negative' if negative else 'not a time'} (expected {wanted})")
    whole, fraction, unit = match.groups()
    digits = fraction or ""
    scaled = int(whole + digits) * TIME_UNITS[unit]
    if scaled % 10 ** len(digits):
        fail(field, y, f"{show(v)} is not a whole number of nanoseconds (expected {wanted})")
    return scaled // 10 ** len(digits)


def list_of(conv: Conv[T], limit: int, expected: str = "a list") -> Conv[tuple[T, ...]]:
    """A converter for a list of at most ``limit`` items, each read by ``conv``."""

    def read(y: Y, field: str) -> tuple[T, ...]:
        items = as_list(y, field, limit, expected)
        return tuple(conv(item, f"{field}[{i}]") for i, item in enumerate(items))

    return read


def keyed(key_conv: Conv[Any], conv: Conv[T], expected: str) -> Conv[dict[str, T]]:
    """A converter for a mapping whose keys pass ``key_conv`` and whose values are read by ``conv``."""

    def read(y: Y, field: str) -> dict[str, T]:
        out: dict[str, T] = {}
        for key, item in as_map(y, field, expected).items():
            path = join(field, key)
            key_conv(Y(key, item.line, item.key_line), path)
            out[key] = conv(item, path)
        return out

    return read
