"""Export and report cost against the run itself, measured interleaved in one process.

The storm of benchmarks/engine.py (8 devices x 4 MSI-X vectors on 4 CPUs by default). Each round
times, in turn: running the scenario to its end (``Session.run``), exporting that run to a Perfetto
trace (``export``: it re-executes the run and writes the trace), and ``msidbg report`` of a snapshot
at the end. Reported: the best of the rounds and the ratios to the run (interleaved so that load
from other processes affects all alike).

    python benchmarks/bugio.py [--seconds 0.05] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import storm_yaml  # noqa: E402

from msidbg.bugio.perfetto import export  # noqa: E402
from msidbg.bugio.report import render  # noqa: E402
from msidbg.debugger import Session  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=8)
    ap.add_argument("--vectors", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=0.05)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    text = storm_yaml(args.devices, args.vectors, 4, args.seconds, 200)
    scn = load_scenario_text(text, "storm.yaml")
    best = {"run": 1e9, "export": 1e9, "report": 1e9}
    with tempfile.TemporaryDirectory() as tmp:
        snap, trace = os.path.join(tmp, "s.msgpack"), os.path.join(tmp, "t.pftrace")
        events = 0
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            s = Session(scn)
            s.run()
            best["run"] = min(best["run"], time.perf_counter() - t0)
            events = s.cursor
            s.save(snap)
            t0 = time.perf_counter()
            export(s, trace)
            best["export"] = min(best["export"], time.perf_counter() - t0)
            t0 = time.perf_counter()
            render(snap)
            best["report"] = min(best["report"], time.perf_counter() - t0)
        size = os.path.getsize(trace)
    print(f"{events:,} events; trace {size / 1e6:.1f} MB")
    for k, v in best.items():
        print(f"{k:<7} {v:7.2f} s  {v / best['run']:5.2f} x run" + (f"  {events / v:,.0f} events/s" if k != "report" else ""))


if __name__ == "__main__":
    main()
