"""What recording provenance costs: the interrupt storm of ``engine.py`` run interleaved against a
reference commit (default ``main``) and with provenance off, in fresh processes.

    python benchmarks/provcost.py [--ref main] [--runs 5] [--seconds 0.3]

Prints, per variant, delivered interrupts per wall second (best and median of the runs) and the
ratios to the reference: ``current`` (provenance on, as ``msidbg run`` has it), ``off``
(``new_engine(..., prov=False)``: the hooks are called but record nothing), ``ref`` (the
reference commit's tree, extracted with ``git archive``). Runs alternate so the shared machine's
load hits every variant alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + "/benchmarks")
from engine import storm_yaml
from msidbg.scenario import load_scenario_text
from msidbg.model import new_engine
scn = load_scenario_text(storm_yaml(16, 8, 4, float(sys.argv[3]), 200), "storm.yaml")
kw = {} if sys.argv[2] == "ref" else {"prov": sys.argv[2] == "current"}
eng = new_engine(scn, **kw)
t, c = time.perf_counter(), time.process_time()
eng.run_sync()
wall, cpu = time.perf_counter() - t, time.process_time() - c
delivered = sum(sum(a["delivered"]) for a in eng.w["acct"].values())
print(delivered / wall, delivered / cpu)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ref", default="main", help="the reference commit (default: main)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=0.3, help="virtual seconds of the storm")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", a.ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        trees = {"ref": tmp, "off": str(ROOT), "current": str(ROOT)}
        wall: dict[str, list[float]] = {v: [] for v in trees}
        cpu: dict[str, list[float]] = {v: [] for v in trees}
        for _ in range(a.runs):
            for variant, tree in trees.items():
                env = dict(os.environ, PYTHONPATH=tree)
                out = subprocess.run([sys.executable, "-c", CHILD, tree, variant, str(a.seconds)],
                                     env=env, check=True, capture_output=True, text=True).stdout
                w, c = (float(x) for x in out.split())
                wall[variant].append(w)
                cpu[variant].append(c)
    print(f"storm 16 devices x 8 vectors, 4 CPUs, {a.seconds:g} s virtual; {a.runs} interleaved runs; ref = {a.ref}")
    print("delivered interrupts per second of wall time / of the process's CPU time (best, median):")
    for variant in trees:
        print(f"  {variant:8} wall {max(wall[variant]):9,.0f} {statistics.median(wall[variant]):9,.0f}   "
              f"cpu {max(cpu[variant]):9,.0f} {statistics.median(cpu[variant]):9,.0f}   "
              f"ratio to ref: wall best {max(wall[variant]) / max(wall['ref']):5.3f}, "
              f"cpu best {max(cpu[variant]) / max(cpu['ref']):5.3f}, "
              f"cpu median {statistics.median(cpu[variant]) / statistics.median(cpu['ref']):5.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
