"""Interrupt throughput on Xen HVM, headless, against the perfanchor references (interleaved).

The workloads of ``benchmarks/engine.py`` with passthrough NICs on a Xen HVM guest, whose
signals go device -> Xen -> pirq -> event channel -> upcall -> handler (6 events an interrupt
against bare metal's 4): ``anchor`` (8 devices x 4 vectors, 4 vCPUs, entry i on vCPU i, every
16 us per vector) and ``storm`` (8 x 4, every 200 us). The references run the same number of
interrupts. Target: msidbg / SimPy >= 1.0.

    python benchmarks/xen.py [--workload anchor|storm|both] [--interrupts 80000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import compare, measure, workload_yaml  # noqa: E402

PLATFORM = "xen-hvm"


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=("anchor", "storm", "both"), default="both")
    ap.add_argument("--interrupts", type=int, default=80_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        wl, n, _ = a.child
        print(json.dumps(measure(workload_yaml(wl, int(n), PLATFORM))))
        return 0
    wls = ["anchor", "storm"] if a.workload == "both" else [a.workload]
    return compare("xen.py", wls, a.interrupts, a.rounds, PLATFORM, not a.no_reference)


if __name__ == "__main__":
    sys.exit(main())
