"""Shrinking a failing run to the fewest deviations from the ``ordered`` baseline.

Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
TSE 2002) over the run's deviations -- range draws, jitter values, schedule choices -- where
"the test fails" means: replaying only those deviations (every other choice takes its default)
fails with the same signature. Candidates are tested in a fixed order and the first that fails
is kept, however many run in parallel, so the result does not depend on the job count.

Monotone: the current best is only ever replaced by a candidate that was run and failed, so
what comes back always fails (the caller's original run when nothing smaller does). That is
also what makes stopping early safe: a tester that raises ``OutOfTime`` (the exploration's
shrinking time ran out) ends the search with the best found so far, ``complete`` False.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from msidbg.sim.strategy import Deviation

#: test(candidates) -> (the index of the first candidate that still fails, or None; how many
#: runs it took). It may stop running candidates after the first failure it sees.
Tester = Callable[[list[list[Deviation]]], "tuple[int | None, int]"]


class OutOfTime(Exception):
    """Raised by a tester when the time for shrinking has run out, with how many replays of the
    batch it had run (their candidates passed: the first that failed would have been returned).
    ``why``: "time" (the shrinking time ran out) or "interrupted" (Ctrl-C while shrinking)."""

    def __init__(self, ran: int = 0, why: str = "time") -> None:
        super().__init__(ran)
        self.ran = ran
        self.why = why


@dataclass
class Shrunk:
    deviations: list[Deviation]
    tests: int
    complete: bool
    #: why it stopped before 1-minimal: "replays" (the budget of replays), "time" or "interrupted"
    #: (OutOfTime: the shrinking time ran out, or Ctrl-C)
    stopped: str | None = None


def ddmin(devs: list[Deviation], test: Tester, budget: int = 2000) -> Shrunk:
    """The smallest failing subset delta debugging finds (1-minimal unless the budget runs out,
    or the tester raises OutOfTime)."""
    cache: dict[tuple[Deviation, ...], bool] = {tuple(devs): True}
    tests = 0

    def first_failing(cands: list[list[Deviation]]) -> int | None:
        """The index of the first candidate that fails (cached answers reused)."""
        nonlocal tests
        known = [i for i, c in enumerate(cands) if cache.get(tuple(c)) is True]
        limit = known[0] if known else len(cands)
        todo: list[list[Deviation]] = []
        for c in cands[:limit]:
            if tuple(c) not in cache and c not in todo:
                todo.append(c)
        if todo:
            hit, ran = test(todo)
            tests += ran
            for c in todo[:len(todo) if hit is None else hit]:
                cache[tuple(c)] = False
            if hit is not None:
                cache[tuple(todo[hit])] = True
                return cands.index(todo[hit])
        return limit if known else None

    cur = list(devs)
    try:
        return _search(cur, first_failing, budget, lambda: tests)
    except OutOfTime as e:
        return Shrunk(cur, tests + e.ran, False, e.why)


def _search(cur: list[Deviation], first_failing: Callable[[list[list[Deviation]]], int | None], budget: int,
            tests: Callable[[], int]) -> Shrunk:
    """ddmin's loop over ``cur``, narrowed in place (so that, when it is cut short, the caller holds
    the smallest failing list found)."""
    if not cur or first_failing([[]]) is not None:
        cur.clear()
        return Shrunk([], tests(), True)
    n = 2
    while len(cur) >= 2:
        if tests() >= budget:
            return Shrunk(list(cur), tests(), False, "replays")
        parts = list(_split(cur, n))
        cands = parts + ([_without(cur, p) for p in parts] if n > 2 else [])
        hit = first_failing(cands)
        if hit is not None and hit < len(parts):
            cur[:], n = parts[hit], 2
        elif hit is not None:
            cur[:], n = cands[hit], max(n - 1, 2)
        elif n >= len(cur):
            break
        else:
            n = min(2 * n, len(cur))
    return Shrunk(list(cur), tests(), True)


def _split(items: list[Deviation], n: int) -> Iterator[list[Deviation]]:
    start = 0
    for i in range(n):
        end = start + (len(items) - start) // (n - i)
        yield items[start:end]
        start = end


def _without(items: list[Deviation], part: list[Deviation]) -> list[Deviation]:
    drop = set(part)
    return [d for d in items if d not in drop]
