"""What a scenario leaves open about time: ``at:`` ranges, ``jitter:``, ``timing:`` (docs/scenario.md).

Converters for ``scenario.py`` in the style of ``yamlsafe``: each reads one walked YAML value
and raises ``Invalid`` (a one-line message naming the field) on anything else.

* ``at: 1.5ms`` or ``at: 0~2ms`` (a range ``A~B``; a bare number on the left takes the right's
  unit, so ``1~2ms`` is 1 ms .. 2 ms). Where in the range an action starts is a choice of the
  schedule (``msidbg/sim/strategy.py``): ``ordered`` takes ``A``.
* ``jitter: 20%`` (of each step's cost, up to 4 decimals, at most 100%) or ``jitter: 50us``:
  a step's cost becomes ``cost + d`` with ``d`` drawn from ``[-min(J, cost), J]``.
* ``timing: {jitter: .., window: ..}``: jitter for every step; ``window`` lets ``pct``/``delay``
  (and ``random``) run an item due up to that much later than the earliest one first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msidbg import yamlsafe as ys
from msidbg.errors import MsidbgError
from msidbg.yamlsafe import Fields, Y, fail

PPM = 1_000_000
MAX_WINDOW_NS = 10**9
_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,4}))?%", re.ASCII)
_BARE = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_UNIT = re.compile(r"(?:ns|us|ms|s)$", re.ASCII)
RANGE_EXPECTED = "a time like 1.5ms, or a range like 0~2ms (start ~ end, end >= start)"
JITTER_EXPECTED = "a percentage of each step's cost like 20% (at most 100%), or a time like 50us"


@dataclass(frozen=True)
class Timing:
    """The top-level ``timing:`` block. ``jitter`` is (ppm, ns); ``window`` None = the strategy's default."""

    jitter: tuple[int, int] | None = None
    window: int | None = None


def at_range(y: Y, field: str) -> tuple[int, int | None]:
    """``at:``: (start, None) for a time, (low, high) for a range ``A~B``."""
    v = y.value
    if not (isinstance(v, str) and "~" in v):
        return ys.times()(y, field), None
    if len(v) > 2 * ys.SHOW_CHARS:
        fail(field, y, f"{ys.show(v)} is too long (expected {RANGE_EXPECTED})")
    left, _, right = (part.strip() for part in v.partition("~"))
    unit = _UNIT.search(right)
    if _BARE.fullmatch(left) and unit is not None:
        left += unit.group(0)
    lo = _side(y, field, left)
    hi = _side(y, field, right)
    if hi < lo:
        fail(field, y, f"{ys.show(v)} ends before it starts (expected {RANGE_EXPECTED})")
    return lo, hi


def _digits(text: str) -> int | str:
    """``text`` as an integer when it is a plain one (ASCII digits, at most ``ys.MAX_NUMBER_CHARS``), else
    the text. ``isdigit`` alone takes '²' (``int`` then fails: an internal error) and '٣' (read as 3, where
    ``at: ٣`` is refused), and digits by the thousand (past ``int``'s 4,300)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= ys.MAX_NUMBER_CHARS else text


def _side(y: Y, field: str, text: str) -> int:
    value = _digits(text)
    try:
        return ys.times()(Y(value, y.line, y.key_line, text), field)
    except ys.Invalid as e:
        # the side's own reason: '0~3601s' was "'3601s' is not a time", where '3601s' alone is
        # "out of range (expected ... <= 3600s ...)"
        reason = e.what.partition(" (expected")[0]
        fail(field, y, f"{ys.show(y.value)}: {reason} (expected {RANGE_EXPECTED}; each end a time >= 0 and "
                       f"<= {ys.MAX_TIME_NS // ys.NS_PER_S}s)")


def jitter(y: Y, field: str) -> tuple[int, int]:
    """``jitter:``: (ppm, 0) for a percentage, (0, ns) for a time."""
    v = y.value
    if isinstance(v, str) and v.endswith("%"):
        match = _PERCENT.fullmatch(v.strip())
        if match is None:
            fail(field, y, f"{ys.show(v)} is not a percentage (expected {JITTER_EXPECTED})")
        whole, frac = match.group(1), (match.group(2) or "")
        ppm = int(whole) * 10_000 + int((frac + "0000")[:4])
        if not 0 < ppm <= PPM:
            fail(field, y, f"{ys.show(v)} is out of range (expected {JITTER_EXPECTED})")
        return ppm, 0
    try:
        return 0, ys.times(positive=True, hi=ys.NS_PER_S)(y, field)
    except ys.Invalid:
        fail(field, y, f"{ys.show(v)} is not a jitter (expected {JITTER_EXPECTED})")


def timing(y: Y, path: str) -> Timing:
    f = Fields(y, path, ("jitter", "window"))
    return Timing(jitter=f.read("jitter", jitter, None),
                  window=f.read("window", ys.times(hi=MAX_WINDOW_NS), None))


#: the longest command-line duration (``explore --time``, ``--shrink-time``): a week. Longer was
#: accepted -- ``--time 999999999999999999999`` (3e13 years), ``--time 1e400``'s digits as far as
#: ``float`` took them -- and meant "no budget" in a way no one could tell from the output (hardening26)
MAX_DURATION_S = 7 * 86400


def duration_s(text: str | None, option: str) -> float | None:
    """A command-line duration (``60s``, ``2m``, ``500ms``; a bare number is seconds) in seconds,
    above 0 and at most ``MAX_DURATION_S``."""
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,12}(?:\.\d{1,9})?)(ms|s|m|h)?", text.strip(), re.ASCII) if len(text) <= 40 else None
    if match is None or float(match.group(1)) <= 0:
        raise MsidbgError(f"{ys.show(text[:40])} is not a duration (expected {DURATION_EXPECTED})",
                          option=option or None)
    seconds = float(match.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[match.group(2) or "s"]
    if seconds > MAX_DURATION_S:
        raise MsidbgError(f"{ys.show(text[:40])} is out of range (expected {DURATION_EXPECTED})",
                          option=option or None)
    return seconds


# (the days in hours: there is no 'd' unit, and '7d' was refused by a message naming 7 days -- hardening30)
DURATION_EXPECTED = (f"one above 0 and at most {MAX_DURATION_S // 86400} days ({MAX_DURATION_S // 3600}h): e.g. "
                     "60s, 2m, 500ms, 1.5h; a bare number is seconds")
WINDOW_EXPECTED = f"a time >= 0 and <= {MAX_WINDOW_NS // ys.NS_PER_S}s: integer ns, or like '10us', '1.5ms'"


def duration_arg(text: str) -> str:
    """An argparse type for ``--time`` / ``--shrink-time``: ``text`` checked by ``duration_s`` as the
    command line is parsed, so that its error is argparse's one line naming the subcommand and the
    option -- ``explore: argument --time: 'soon' is not a duration (expected ...) (see 'msidbg explore
    --help')``; it was ``msidbg: --time: ...``, no subcommand (hardening31). ``duration_s`` converts it."""
    from argparse import ArgumentTypeError

    try:
        duration_s(text, "")
    except MsidbgError as e:
        raise ArgumentTypeError(e.message) from None
    return text


duration_arg.wanted = DURATION_EXPECTED  # type: ignore[attr-defined]  # a missing value's error says it


def window_arg(text: str) -> str:
    """An argparse type for ``--window`` (run, explore), as ``duration_arg``; ``window_ns`` converts it."""
    from argparse import ArgumentTypeError

    try:
        ys.times(hi=MAX_WINDOW_NS)(Y(_digits(text), 0), "--window")
    except ys.Invalid as e:
        raise ArgumentTypeError(e.what) from None
    return text


window_arg.wanted = WINDOW_EXPECTED  # type: ignore[attr-defined]


def window_ns(text: str | None, option: str) -> int | None:
    """A command-line time (``10us``; a bare number is ns) in ns, at most 1 s."""
    if text is None:
        return None
    try:
        return ys.times(hi=MAX_WINDOW_NS)(Y(_digits(text), 0), option)
    except ys.Invalid as e:
        raise MsidbgError(e.message) from None
