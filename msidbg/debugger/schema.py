"""Checking a world path against the world's shape when a breakpoint is armed.

A path such as ``cpus[1].irrr`` evaluates to ``none`` at every event (evaluation never
raises), so a typo would arm a breakpoint that never fires. ``check`` walks the path over the
world at the cursor, segment by segment, and names the first one that cannot exist:

- ``.name`` on a record (a dict with named fields: a CPU, a device, an irq descriptor) must
  be one of its fields, or one the model adds later (``LATE_FIELDS``);
- ``.name`` on a map keyed by device name (``devices``, ``acct``, ``kernel.pci``) must name a
  device of the scenario;
- ``[i]`` on a list or an int-keyed map walks into that element, or into any element as a
  template when ``i`` is not there (yet): lists grow, irqs are allocated later; but a literal
  ``i`` beyond a list of fixed length (``FIXED_LISTS``: the CPUs, an MSI-X table) is refused;
- a negative ``[i]`` on a map keyed by number (``NUMBER_MAPS``: irqs, pirqs, ports) is refused:
  no key is negative;
- ``[i]`` on a 256-bit vector bitmap (``irr``, ``isr``, ``alloc``) must be a vector 0..255,
  and a bit has no fields;
- numbers, strings and booleans have no fields, lists no named fields.

Where the world cannot tell (an empty map, a ``none`` that holds a record later, a frame's
locals) the rest of the path is accepted. The world's shape is its shape at the cursor plus
``LATE_FIELDS``; a test runs every shipped scenario and checks that every field any world
has is accepted by the shape at event 0, so a model change that adds a field late fails there.
No Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msidbg.sim.rec import MAPS

#: fields the model adds to a record after event 0, by the record's pattern (``*`` = any map
#: key or list index): ``kernel.pci.<dev>.irte`` appears when interrupt remapping allocates,
#: ``kernel.pci.<dev>.msi_mask`` (the kernel's copy of the MSI mask register) on its first write,
#: ``cpus[i].managed`` (the CPU's managed_map) when a managed irq first reserves a vector there,
#: ``cpus[i].vtimer`` when the CPU first arms its timer tick, ``kernel.default_affinity`` when a
#: run writes /proc/irq/default_smp_affinity, ``cpus[i].esr`` (the local APIC's error state) when its
#: APIC first receives an illegal vector, ``kernel.irq_err_count`` when the error interrupt runs (with ``kernel.i8259_spurious``, the i8259's
#: spurious_irq_mask, when a message on the PIC cascade's 0x32 runs irq 2's handle_level_irq) and
#: ``kernel.migrating`` while a task migrated off an offline CPU waits for its new CPU
LATE_FIELDS: dict[tuple[str, ...], frozenset[str]] = {
    ("kernel",): frozenset({"default_affinity", "irq_err_count", "migrating", "i8259_spurious"}),
    ("kernel", "pci", "*"): frozenset({"irte", "msi_mask"}),
    ("cpus", "*"): frozenset({"managed", "vtimer", "esr"}),
}
#: records whose fields differ from one instance to the next (a program's locals, its args):
#: any name is accepted below them
OPEN_RECORDS = frozenset({"locals", "args", "wait", "result"})
#: world lists that are 256-bit vector bitmaps stored as 8 x 32-bit words: ``irr[0x31]`` is a bit
BITMAPS = frozenset({"irr", "isr", "alloc", "managed"})
BITMAP_BITS = 256
MAX_LISTED = 16


@dataclass(frozen=True, slots=True)
class PathProblem:
    """Why a path cannot exist: ``message`` (one line) about the segment at ``column``."""

    message: str
    column: int


#: what the walk does not know: the rest of the path is accepted
UNKNOWN = object()


def check(world: dict[str, Any], keys: tuple[str, ...], steps: list[tuple[str, Any, int]],
          text: str, start: int) -> PathProblem | None:
    """The first segment of ``steps`` (after the root ``keys``) that cannot exist in ``world``.

    ``steps`` are the parser's ``("key", name, column)`` / ``("idx", node, column)``; an index
    node whose value is a literal is checked, any other index walks into a template element.
    ``text[start:]`` is the path as written (messages quote its prefix up to the bad segment).
    """
    value: Any = world
    pattern: tuple[str, ...] = ()
    for k in keys:
        value = value.get(k, UNKNOWN) if isinstance(value, MAPS) else UNKNOWN
        pattern += (k,)
    bitmap = bool(keys) and keys[-1] in BITMAPS
    for kind, arg, col in steps:
        if value is UNKNOWN or value is None:
            return None
        shown = text[start:col].rstrip(". ")
        if kind == "key":
            got = _field(value, arg, pattern, shown, col)
            if isinstance(got, PathProblem):
                return got
            value, pattern, bitmap = got, pattern + (arg,), arg in BITMAPS
        else:
            index = arg.args[0] if arg.op == "lit" else _negative(arg)
            if type(index) is str and _by_name(value) and not bitmap:
                # ``devices["eth9"]``, ``cpus[0]["irrr"]``: a name, checked as ``.name`` is (it walked
                # into a template of the map's elements: accepted, and never fired)
                got = _field(value, index, pattern, shown, col)
                if isinstance(got, PathProblem):
                    return got
                value, pattern, bitmap = got, pattern + (index,), index in BITMAPS
                if pattern[-1] in OPEN_RECORDS:
                    return None
                continue
            got = _index(value, index, bitmap, shown, col, _fixed(pattern), _by_number(value, pattern))
            if isinstance(got, PathProblem):
                return got
            value, pattern, bitmap = got, pattern + ("*",), False
        if pattern and pattern[-1] in OPEN_RECORDS:
            return None
    return None


def _field(value: Any, name: str, pattern: tuple[str, ...], shown: str, col: int) -> Any:
    """The value of field ``name`` of ``value``, UNKNOWN, or a PathProblem."""
    if isinstance(value, MAPS):
        if name in value:
            return value[name]
        if name in BITMAPS and name in _late(pattern):
            return [0] * (BITMAP_BITS // 32)   # a bitmap the model adds later: indexed as one
        if not value or name in _late(pattern):
            return UNKNOWN   # an empty map, or a field the model adds later
        if any(not isinstance(k, str) for k in value):
            return PathProblem(f"{shown} is keyed by number: it has no field {name!r} (expected an index, e.g. "
                               f"{shown}[{min(value)}])", col)
        what = "device" if pattern and pattern[-1] in DEVICE_MAPS else "field"
        hint = _did_you_mean(name, [str(k) for k in value])
        return PathProblem(f"{shown} has no {what} {name!r} (expected one of: {_listed(value)}{hint})", col)
    if isinstance(value, list):
        return PathProblem(f"{shown} is a list of {len(value)}: it has no field {name!r} (expected an index, "
                           f"e.g. {shown}[0])", col)
    return PathProblem(f"{shown} is {_kind(value)}; it has no field {name!r} (expected the path to end at "
                       f"{shown})", col)


def _negative(arg: Any) -> Any:
    """``-N`` written as an index (a negation of an integer literal): its value, else UNKNOWN.
    ``cpu[-1]`` was an expression the walk did not know, so accepted -- and never true, since an
    index counts from 0 (``expr._item``): ``watch cpu[-1].irr`` never fired and ``why --path
    cpu[-1].irr`` answered 'the initial state'."""
    if arg.op == "neg" and arg.args[0].op == "lit" and type(arg.args[0].args[0]) is int:
        return -arg.args[0].args[0]
    return UNKNOWN


def _index(value: Any, index: Any, bitmap: bool, shown: str, col: int, fixed: bool = False,
           by_number: bool = False) -> Any:
    """The element ``index`` of ``value`` (or a template element), UNKNOWN, or a PathProblem.
    ``fixed``: ``value`` is a list whose length never changes in a run (``FIXED_LISTS``);
    ``by_number``: ``value`` is a map keyed by numbers from 0 (``NUMBER_MAPS``)."""
    if bitmap and isinstance(value, list):
        if type(index) is int and not 0 <= index < BITMAP_BITS:
            return PathProblem(f"{shown} is a 256-bit vector bitmap: it has no [{_show(index)}] (expected a "
                               "vector 0..0xff)", col)
        return _Bit()
    if isinstance(value, _Bit):
        return PathProblem(f"{shown} is one bit (0 or 1); it cannot be indexed (expected the path to end at "
                           f"{shown})", col)
    if isinstance(value, list):
        if type(index) is int and 0 <= index < len(value):
            return value[index]
        if type(index) is int and index < 0 and not fixed:
            return PathProblem(f"{shown} has no [{index}] (expected an index from 0: a list is not indexed "
                               "from its end)", col)
        if fixed and type(index) is int:
            return PathProblem(f"{shown} has {len(value)} entries, no [{index}] "   # an index: decimal, as typed
                               f"(expected an index 0..{len(value) - 1})", col)
        return value[0] if value else UNKNOWN
    if isinstance(value, MAPS):
        if index is not UNKNOWN and type(index) is not int and not _digits(index) and (by_number or _by_name(value)):
            # ``irqs["abc"]``, ``irqs[true]``: no irq number is a word or a boolean (True == 1 found irqs[1]
            # here while the run's lookup, by type, found nothing); ``devices[0]``: no device is a number
            return PathProblem(_wrong_key(value, index, shown, by_number), col)
        if type(index) is int and _by_name(value) and not by_number and str(index) not in value:
            return PathProblem(_wrong_key(value, index, shown, by_number), col)
        if index in value and type(index) in (int, str):
            return value[index]
        if by_number and type(index) is int and index < 0:
            return PathProblem(f"{shown} has no [{index}] (expected a key from 0: a map keyed by number has no "
                               "negative key)", col)
        # a number written as a string (``irqs["24"]``): ASCII digits only, as expr's lookup ('²' is a
        # digit to isdigit, not to int: a breakpoint ``watch irqs["²"].vector`` was an internal error)
        alt = str(index) if type(index) is int else \
            int(index) if type(index) is str and index.isascii() and index.isdigit() and len(index) <= 20 else None
        if alt is not None and alt in value:
            return value[alt]
        return _template(value)
    return PathProblem(f"{shown} is {_kind(value)}; it cannot be indexed (expected the path to end at "
                       f"{shown})", col)


def _digits(index: Any) -> bool:
    """A key written as a string of ASCII digits (``irqs["24"]``), as expr's lookup reads one."""
    return type(index) is str and index.isascii() and index.isdigit() and len(index) <= 20


def _by_name(value: Any) -> bool:
    """A non-empty map whose keys are all names: a record (a CPU, an irq descriptor) or a map keyed
    by device name. An empty map cannot tell (it may be keyed by number once it fills)."""
    return isinstance(value, MAPS) and bool(value) and all(type(k) is str for k in value)


def _wrong_key(value: Any, index: Any, shown: str, by_number: bool) -> str:
    """Why ``shown[index]`` names nothing in a map keyed by number (``by_number``) or by name."""
    key = _show(index) if type(index) in (int, str) else "true" if index is True else \
        "false" if index is False else "none" if index is None else "that key"
    if by_number:
        first = min((k for k in value if type(k) is int), default=None) if isinstance(value, MAPS) else None
        example = f", e.g. {shown}[{first}]" if first is not None else ""
        return f"{shown} is keyed by number: it has no [{key}] (expected a number from 0{example})"
    return f"{shown} is keyed by name: it has no [{key}] (expected one of: {_listed(value)})"


class _Bit:
    """A bitmap's bit: 0 or 1, with no fields."""


#: world lists whose length is fixed for the run (by the list's pattern, ``*`` = any key): the
#: CPUs (``cpus:``), a device's MSI-X table and QEMU's copy of it (``table_size``); a literal
#: index beyond them can never be right (other lists grow: stacks, queues, the agenda)
FIXED_LISTS = frozenset({("cpus",), ("devices", "*", "msix", "table"), ("qemu", "devs", "*", "msix", "entries")})


def _fixed(pattern: tuple[str, ...]) -> bool:
    return any(len(pat) == len(pattern) and all(p in ("*", q) for p, q in zip(pat, pattern, strict=True))
               for pat in FIXED_LISTS)


#: world maps keyed by numbers from 0 (by the map's pattern, ``*`` = any key): irq numbers, Xen
#: pirqs, event channel ports, vectors, pCPUs, agenda sequence numbers. A negative literal key is
#: never there, and the map may still be empty when a breakpoint is armed (``irqs`` at event 0), so
#: the walk cannot tell it from the keys: ``watch irqs[-1]`` was accepted and never fired. A map
#: whose keys at the cursor are numbers counts as one too; a test checks that every number-keyed
#: map of the shipped snapshots' worlds is listed here and has no negative key
NUMBER_MAPS = frozenset({
    ("agenda",), ("irqs",), ("cpus", "*", "irr_src"), ("cpus", "*", "vector_irq"),
    ("kernel", "xen", "irqs"), ("kernel", "xen", "evtchn_to_irq"),
    ("xen", "irqs"), ("xen", "pirqs"), ("xen", "ports"), ("xen", "vector_irq"), ("xen", "eoi"), ("xen", "irr"),
    ("xen", "linked"), ("xen", "sched", "run"), ("xen", "sched", "runq"), ("xen", "sched", "tlast"),
})


def _by_number(value: Any, pattern: tuple[str, ...]) -> bool:
    if not isinstance(value, MAPS):
        return False
    if value and all(type(k) is int for k in value):
        return True
    return any(len(pat) == len(pattern) and all(p in ("*", q) for p, q in zip(pat, pattern, strict=True))
               for pat in NUMBER_MAPS)


#: maps keyed by the scenario's device names
DEVICE_MAPS = frozenset({"devices", "acct", "pci", "devs"})


def _did_you_mean(name: str, names: list[str], lead: str = "; ") -> str:
    """The names ``name`` starts (``ir``: irq, irr, irr_src), else the closest one, as a hint
    that follows the contract's "(expected ...)" (``lead`` first), or "" when none is close."""
    started = sorted(n for n in names if n.startswith(name) and n != name)
    if started:
        shown = ", ".join(repr(n) for n in started[:3]) + (", ..." if len(started) > 3 else "")
        return f"{lead}did you mean {shown}?" if len(started) == 1 else f"{lead}did you mean one of {shown}?"
    import difflib  # only for a typo's message: a run that arms nothing misspelt never loads it

    close = difflib.get_close_matches(name, names, n=1)
    return f"{lead}did you mean {close[0]!r}?" if close else ""


def unknown_name(name: str, names: list[str], listed: bool = True) -> str:
    """What follows "unknown X 'name'" for a closed set of many names (kernel programs, event
    kinds) in the contract's form: "(expected one of: ...; did you mean ...?)", at most
    ``MAX_LISTED`` of them, then the likely ones (``listed``; else only the likely ones, or "").
    The whole list made a 2,000-character line, and in the TUI's breakpoint dialog ran off the
    screen with the caret."""
    if not listed:
        hint = _did_you_mean(name, names, lead="")
        return f"({hint})" if hint else ""
    return f"(expected one of: {_listed(names)}{_did_you_mean(name, names)})"


def _late(pattern: tuple[str, ...]) -> frozenset[str]:
    for pat, fields in LATE_FIELDS.items():
        if len(pat) == len(pattern) and all(p in ("*", q) for p, q in zip(pat, pattern, strict=True)):
            return fields
    return frozenset()


def _template(value: Any) -> Any:
    """A map's element standing for one not there (yet): records merged field by field."""
    elements = list(value.values())
    if not elements:
        return UNKNOWN
    if all(isinstance(e, MAPS) for e in elements):
        merged: dict[Any, Any] = {}
        for e in elements:
            for k, v in e.items():
                merged.setdefault(k, v)
        return merged
    return elements[0]


def _listed(value: Any) -> str:
    names = sorted(value)
    more = f", … {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else ""
    return ", ".join(names[:MAX_LISTED]) + more


def _kind(value: Any) -> str:
    if isinstance(value, _Bit):
        return "one bit (0 or 1)"
    if isinstance(value, bool):
        return f"a boolean ({'true' if value else 'false'})"
    if isinstance(value, int):
        return f"a number ({value:#x})" if value > 9 else f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) <= 20 else "a string"
    return "a value"


def _show(index: Any) -> str:
    return f"{index:#x}" if type(index) is int and index > 9 else repr(index)
