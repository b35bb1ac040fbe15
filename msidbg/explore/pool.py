"""Worker processes for exploration runs: results come back in task order, whatever the job count.

Workers share nothing but the scenario text, the ``--until`` specs and the tasks they are sent
(a run index, a seed, a schedule); each loads the scenario once and counts coverage in its own
process. ``jobs == 1`` runs everything in this process. Processes are forked when this process
has a single thread (no import cost; nothing a thread holds can be inherited half-done) and
spawned otherwise; at most a few tasks per worker are in flight, so stopping early wastes little.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from msidbg.errors import MsidbgError
from msidbg.explore import coverage
from msidbg.explore.runner import RunResult, Target, run_once
from msidbg.scenario import load_scenario_text
from msidbg.sim.strategy import Schedule

#: tasks sent to a worker at once, and batches kept in flight per worker
BATCH, IN_FLIGHT = 4, 3
#: while waiting for a result, ``Workers.idle`` is called this often (seconds)
IDLE_EVERY_S = 0.25


@dataclass(frozen=True)
class Task:
    index: int
    seed: int
    schedule: Schedule
    cover: bool = True


MAX_JOBS = 256


def default_jobs() -> int:
    """The CPUs this process may use, at most MAX_JOBS (the bound --jobs accepts)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(max(cpus, 1), MAX_JOBS)


_target: Target | None = None
_counting: Any = None


def _init(path: str, text: str, until: tuple[str, ...], max_events: int, parent: int) -> None:
    global _target, _counting
    # Ctrl-C is the parent's to handle (it stops the pool); a parent that died without doing so
    # (killed) takes its workers with it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="msidbg-parent-watch").start()
    _target = Target(load_scenario_text(text, path, recorded=True), until, max_events)
    _counting = coverage.instrumented()  # for the life of this worker process (kept referenced)
    _counting.__enter__()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _late(task: Task, deadline: float | None) -> bool:
    """A run not to start: the search's ``--time`` has passed (the baseline, run 0, always runs).
    ``time.monotonic`` is the system's monotonic clock, the same in every worker process."""
    return deadline is not None and task.index > 0 and time.monotonic() >= deadline


def _work(tasks: list[Task], deadline: float | None = None) -> list[RunResult | None]:
    """The batch's results; None for a run not started because ``deadline`` had passed."""
    assert _target is not None
    return [None if _late(t, deadline) else run_once(_target, t.index, t.seed, t.schedule, t.cover) for t in tasks]


class Workers:
    """Runs tasks for one target, in ``jobs`` processes (or here when ``jobs`` is 1).

    ``idle`` (the progress bar's ``tick``) is called every ``IDLE_EVERY_S`` while a result is
    awaited: from this thread while it waits on the workers, from a daemon thread while a run
    executes here (``jobs`` 1; never with workers: no thread of ours exists when they fork)."""

    def __init__(self, target: Target, jobs: int, idle: Callable[[], None] | None = None) -> None:
        self.target = target
        self.idle = idle
        self.jobs = max(jobs, 1)
        self._pool: ProcessPoolExecutor | None = None
        #: the worker processes started so far (pid -> process), to tell how one ended
        self._seen: dict[int, Any] = {}
        if self.jobs > 1:
            self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        scn, target = self.target.scn, self.target
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1 \
            else "spawn"
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context(method), initializer=_init,
            initargs=(scn.path, scn.text, target.until, target.max_events, os.getpid()))

    def stop_runs(self) -> None:
        """End the runs in flight now, and start fresh workers for what comes next (shrinking).

        After Ctrl-C the search's results are thrown away, but the workers went on with the runs
        they had (a batch each), and shrinking and the exit waited for them: on a scenario whose
        runs take a minute, the terminal got nothing for a minute after Ctrl-C."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        processes = list((getattr(pool, "_processes", None) or {}).values())   # the executor's own table
        with _quiet_broken_pool_race():
            for proc in processes:
                proc.terminate()
            try:
                pool.shutdown(wait=True, cancel_futures=True)
            except RuntimeError:
                # Ctrl-C landed inside the executor's first submit(), after it made its manager
                # thread and before it started it: shutdown() joins that thread and raises "cannot
                # join thread before it is started" (CPython 3.11 concurrent/futures/process.py
                # _start_executor_manager_thread). No thread runs; the workers are ended above.
                pass
        for proc in processes:
            proc.join(timeout=5)
        self._seen = {}     # (the ended ones: not what a later broken pool is told by)
        self._pool = self._new_pool()

    def run(self, tasks: Iterable[Task], batch: int = BATCH,
            deadline: float | None = None) -> Generator[RunResult, None, None]:
        """Results in the order of ``tasks``, sent ``batch`` at a time; stop iterating whenever
        (tasks are drawn lazily). ``deadline`` (``time.monotonic()``): no run but the baseline starts
        after it, in a worker either, and the results end before the first run not started. A
        worker ran its whole batch (four runs) past ``--time``: on a scenario whose runs take 30 s,
        ``--time 1s`` took two minutes to its first result (hardening30)."""
        if self._pool is None:
            with coverage.instrumented(), _ticking(self.idle):
                for t in tasks:
                    if _late(t, deadline):
                        return
                    yield run_once(self.target, t.index, t.seed, t.schedule, t.cover)
            return
        from concurrent.futures.process import BrokenProcessPool

        pending: deque[Future[list[RunResult | None]]] = deque()
        source = iter(tasks)
        done = broken = False
        try:
            while True:
                while not done and len(pending) < self.jobs * IN_FLIGHT:
                    chunk = [t for _, t in zip(range(batch), source, strict=False)]
                    if not chunk:
                        done = True
                        break
                    try:
                        pending.append(self._pool.submit(_work, chunk, deadline))
                    except BrokenProcessPool:
                        # a worker died since the last result: the executor's manager thread marked the
                        # pool broken, and submit itself raises (it escaped as an internal error, 1 run
                        # in ~10 of test_hardening30's killed worker). The batches sent before are taken
                        # as far as they have results; then _died (hardening31)
                        done = broken = True
                        break
                    self._seen.update(getattr(self._pool, "_processes", None) or {})   # for _died
                if not pending:
                    if broken:
                        raise self._died()
                    return
                for res in self._result(pending.popleft()):
                    if res is None:
                        return
                    yield res
        finally:
            for f in pending:
                f.cancel()

    def _result(self, future: Future[list[RunResult | None]]) -> list[RunResult | None]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            if self.idle is None:
                return future.result()
            while True:
                try:
                    return future.result(timeout=IDLE_EVERY_S)
                except TimeoutError:
                    self.idle()
        except BrokenProcessPool:
            raise self._died() from None

    def _died(self) -> WorkerDied:
        """A worker that ended without a result: killed (the out-of-memory killer, a ``kill``) or
        crashed. It was an internal error, 'a bug in msidbg' with a traceback file (hardening30);
        msidbg did nothing wrong, and the run it had cannot be told. One line, naming the signal.

        The pool is replaced by a fresh one (``stop_runs``): the caller keeps what it found and may
        go on (shrinking). Each worker's exit code is waited for, up to ``DIED_WAIT_S`` in all: the
        executor's manager thread reaps the processes too (``terminate_broken`` -> ``join``), and
        when its ``waitpid`` took the killed worker's status first, a 1 s ``join`` here returned
        with no exit code (ours got ECHILD) and the line named the executor's SIGTERM of another
        worker (hardening30's CI lead); the code is on the shared ``Process`` once the thread has it."""
        codes = _exit_codes(list(self._seen.values()), DIED_WAIT_S)
        # the one that broke the pool first: the executor's own SIGTERMs come after it
        signals = sorted((-c for c in codes if c < 0), key=lambda c: c == signal.SIGTERM)
        statuses = [c for c in codes if c > 0]
        how = "ended abruptly"
        if signals:
            try:
                how = f"was killed by {signal.Signals(signals[0]).name}"
            except ValueError:
                how = f"was killed by signal {signals[0]}"
        elif statuses:
            how = f"exited with status {statuses[0]}"
        self.stop_runs()
        return WorkerDied(f"explore: a worker process {how} (the out-of-memory killer, or a kill?); its runs "
                          "were lost (expected workers that run to the end: --jobs 1 runs every run "
                          "in msidbg's own process)", self.target.scn.path, how=how)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: how long ``Workers._died`` waits, in all, for the worker processes' exit codes
DIED_WAIT_S = 5.0


class WorkerDied(MsidbgError):
    """A worker process ended without a result (``how``: "was killed by SIGKILL", ...)."""

    def __init__(self, message: str, file: str | None, how: str) -> None:
        super().__init__(message, file)
        self.how = how
        #: what the pool was doing: "search" or "shrinking" (``explore`` sets it)
        self.phase = "search"


def _exit_codes(processes: list[Any], wait_s: float) -> list[int]:
    """The processes' exit codes, each waited for until ``wait_s`` seconds have passed in all (a
    process still running, or whose code no thread has collected by then, is left out)."""
    end = time.monotonic() + wait_s
    codes: list[int | None] = [None] * len(processes)
    while True:
        for i, proc in enumerate(processes):
            if codes[i] is None:
                try:
                    proc.join(timeout=max(0.0, min(0.05, end - time.monotonic())))
                except (AssertionError, ValueError, OSError):
                    pass
                codes[i] = getattr(proc, "exitcode", None)
        if all(c is not None for c in codes) or time.monotonic() >= end:
            return [c for c in codes if c is not None]
        time.sleep(0.01)


@contextmanager
def _quiet_broken_pool_race() -> Iterator[None]:
    """Keep the executor's manager thread from printing a traceback when we kill its workers.

    CPython 3.11's ``_ExecutorManagerThread.terminate_broken`` (Lib/concurrent/futures/process.py)
    calls ``set_exception`` on every pending work item, also one whose future we cancelled and the
    thread had not yet dropped; that raises ``InvalidStateError`` in the thread, and
    ``threading.excepthook`` printed "Exception in thread ..." over the user's "msidbg: interrupted"
    (seen under CI, 1 run in ~10). Nobody reads those futures: that one error, from that thread, is
    dropped; any other goes to the hook as before."""
    from concurrent.futures import InvalidStateError
    from concurrent.futures.process import _ExecutorManagerThread

    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if isinstance(args.thread, _ExecutorManagerThread) and args.exc_type is InvalidStateError:
            return
        previous(args)

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = previous


@contextmanager
def _ticking(idle: Callable[[], None] | None) -> Iterator[None]:
    """Call ``idle`` every ``IDLE_EVERY_S`` from a daemon thread inside the block."""
    if idle is None:
        yield
        return
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(IDLE_EVERY_S):
            idle()

    thread = threading.Thread(target=loop, daemon=True, name="msidbg-explore-idle")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
