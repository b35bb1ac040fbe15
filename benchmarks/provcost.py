"""What recording provenance costs, interleaved against a reference commit (default ``main``) and
with provenance off, in fresh processes.

    python benchmarks/provcost.py [--workload storm|big-table] [--ref main] [--runs 5] [--seconds 0.3]

``storm`` (default): the interrupt storm of ``engine.py`` run headless; prints, per variant,
delivered interrupts per wall / CPU second (best and median of the runs) and the ratios to the
reference. ``big-table``: ``Session.run`` of ``benchmarks/big-table.yaml`` (2,048 irqs on 64
CPUs: provenance's kernel diff on a big world); prints the seconds (wall, CPU) and the ratios.
Variants: ``current`` (provenance on, as ``msidbg run`` and the Session have it), ``off``
(``prov=False``: the hooks are called but record nothing), ``ref`` (the reference commit's tree,
extracted with ``git archive``; pass a commit before provenance, e.g. 76c7214, to compare with
no hooks at all). Runs alternate so the shared machine's load hits every variant alike.
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

#: Session.run of big-table; prints the seconds (wall, CPU) -- smaller is better
CHILD_BIG = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import msidbg.debugger.session as S
from msidbg.scenario import load_scenario
if sys.argv[2] == "off":
    plain = S.new_engine
    S.new_engine = lambda *a, **kw: plain(*a, **kw, prov=False)
scn = load_scenario(sys.argv[3])
t, c = time.perf_counter(), time.process_time()
S.Session(scn).run()
print(time.perf_counter() - t, time.process_time() - c)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", choices=("storm", "big-table"), default="storm")
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
                child, arg = (CHILD, str(a.seconds)) if a.workload == "storm" else \
                    (CHILD_BIG, str(ROOT / "benchmarks" / "big-table.yaml"))
                out = subprocess.run([sys.executable, "-c", child, tree, variant, arg],
                                     env=env, check=True, capture_output=True, text=True).stdout
                w, c = (float(x) for x in out.split())
                wall[variant].append(w)
                cpu[variant].append(c)
    if a.workload == "big-table":
        print(f"Session.run of benchmarks/big-table.yaml; {a.runs} interleaved runs; ref = {a.ref}")
        print("seconds of wall time / of the process's CPU time (best, median); ratio to ref and to off:")
        for variant in trees:
            w, c = wall[variant], cpu[variant]
            print(f"  {variant:8} wall {min(w):6.2f} {statistics.median(w):6.2f}   cpu {min(c):6.2f} "
                  f"{statistics.median(c):6.2f}   cpu best / ref {min(c) / min(cpu['ref']):5.2f}, "
                  f"median / ref {statistics.median(c) / statistics.median(cpu['ref']):5.2f}; "
                  f"best / off {min(c) / min(cpu['off']):5.2f}, "
                  f"median / off {statistics.median(c) / statistics.median(cpu['off']):5.2f}")
        return 0
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
