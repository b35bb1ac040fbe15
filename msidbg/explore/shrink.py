"""Shrinking a failing run to the fewest deviations from the ``ordered`` baseline.

Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
TSE 2002) over the run's deviations -- range draws, jitter values, schedule choices -- where
"the test fails" means: replaying only those deviations (every other choice takes its default)
fails with the same signature. Candidates are tested in a fixed order and the first that fails
is kept, however many run in parallel, so the result does not depend on the job count.

Monotone: the current best is only ever replaced by a candidate that was run and failed, so
what comes back always fails (the caller's original run when nothing smaller does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from msidbg.sim.strategy import Deviation

#: test(candidates) -> (the index of the first candidate that still fails, or None; how many
#: runs it took). It may stop running candidates after the first failure it sees.
Tester = Callable[[list[list[Deviation]]], "tuple[int | None, int]"]


@dataclass
class Shrunk:
    deviations: list[Deviation]
    tests: int
    complete: bool


def ddmin(devs: list[Deviation], test: Tester, budget: int = 2000) -> Shrunk:
    """The smallest failing subset delta debugging finds (1-minimal unless the budget runs out)."""
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

    if not devs or first_failing([[]]) is not None:
        return Shrunk([], tests, True)
    cur = list(devs)
    n = 2
    while len(cur) >= 2:
        if tests >= budget:
            return Shrunk(cur, tests, False)
        parts = list(_split(cur, n))
        cands = parts + ([_without(cur, p) for p in parts] if n > 2 else [])
        hit = first_failing(cands)
        if hit is not None and hit < len(parts):
            cur, n = parts[hit], 2
        elif hit is not None:
            cur, n = cands[hit], max(n - 1, 2)
        elif n >= len(cur):
            break
        else:
            n = min(2 * n, len(cur))
    return Shrunk(cur, tests, True)


def _split(items: list[Deviation], n: int) -> Iterator[list[Deviation]]:
    start = 0
    for i in range(n):
        end = start + (len(items) - start) // (n - i)
        yield items[start:end]
        start = end


def _without(items: list[Deviation], part: list[Deviation]) -> list[Deviation]:
    drop = set(part)
    return [d for d in items if d not in drop]
