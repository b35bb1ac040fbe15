"""Bytecodes and Python calls an interrupt, per function (and per line), deterministically.

A headless ``Session`` runs a workload past its set-up (``--skip`` events), then ``sys.settrace``
with ``f_trace_opcodes`` counts every bytecode and every Python-level call over the next
``--events`` events; the counts are divided by the interrupts delivered meanwhile. C functions
(dict lookups, heapq, ``array.append``) are not seen: weigh a candidate with
``benchmarks/instructions.py`` and confirm it with ``benchmarks/cpu_ab.py`` (docs/perf.md, rounds
11 and 12: CPU time follows dispatches -- bytecodes and calls -- and data touched).

    python benchmarks/opcodes.py [--workload storm|anchor] [--platform xen-hvm] [--events 4000]
        [--skip 30000] [--top 40] [--lines 0]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import workload_yaml  # noqa: E402

from msidbg.debugger import headless  # noqa: E402
from msidbg.debugger.session import Session  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402


def _delivered(s: Session) -> int:
    summ = s.summary(False)
    return sum(v["delivered"] for d in summ["devices"].values() for v in d["vectors"])


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=("storm", "anchor"), default="storm")
    ap.add_argument("--platform", default="", help="e.g. xen-hvm (benchmarks/xen.py's workloads)")
    ap.add_argument("--events", type=int, default=4000, help="events counted")
    ap.add_argument("--skip", type=int, default=30_000, help="events run first (set-up, probes)")
    ap.add_argument("--top", type=int, default=40, help="functions printed")
    ap.add_argument("--lines", type=int, default=0, help="also print this many busiest lines")
    a = ap.parse_args()
    s = Session(load_scenario_text(workload_yaml(a.workload, 40_000, a.platform), "w.yaml"), None, history=False)
    headless.arm(s, ())
    s.run(a.skip)
    ops: collections.Counter[str] = collections.Counter()
    calls: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[tuple[str, int | None]] = collections.Counter()

    def trace(frame: FrameType, event: str, arg: Any) -> Any:
        name = frame.f_code.co_qualname
        if event == "call":
            calls[name] += 1
            frame.f_trace_opcodes = True
        elif event == "opcode":
            ops[name] += 1
            lines[(name, frame.f_lineno)] += 1
        return trace

    before = _delivered(s)
    sys.settrace(trace)
    try:
        s.run(a.events)
    finally:
        sys.settrace(None)
    n = max(_delivered(s) - before, 1)
    print(f"{a.workload}{' on ' + a.platform if a.platform else ''}: {n:,} interrupts in {a.events:,} events; "
          f"{sum(ops.values()) / n:,.0f} bytecodes and {sum(calls.values()) / n:.2f} Python calls an interrupt")
    print("bytecodes  calls  (an interrupt)")
    for name, c in ops.most_common(a.top):
        print(f"{c / n:9.1f} {calls[name] / n:6.2f}  {name}")
    for (name, line), c in lines.most_common(a.lines):
        print(f"{c / n:9.1f}  {name}:{line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
