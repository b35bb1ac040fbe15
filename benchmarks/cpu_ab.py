"""CPU time of a workload in two or more checkouts, interleaved in fresh processes (docs/perf.md, round 11).

Instruction counts (``benchmarks/instructions.py``) tell small changes apart deterministically,
but they do not predict CPU time: on this machine an interrupt of the storm runs at ~5
instructions a nanosecond while the same operations hot in a loop run at 9-16 (round 11), so
a change that removes instructions but no cache miss or mispredicted branch gains less time than
its count says. This measures what the count cannot: each round runs the workload once in
every tree (this checkout first unless ``--no-self``; the order alternates round by round), each
run in a fresh process, timed with ``time.process_time`` around ``headless.run`` (set-up
included, as in ``benchmarks/engine.py``). It prints every round, each tree's median and the
median of the per-round ratios against the first tree (the figure to quote: a round's two runs
share the machine's load). On the shared 2-core machine a run's CPU time moves by +-15% with the
load; use 10 or more rounds for a change of ~5%.

    python benchmarks/cpu_ab.py --tree DIR [--tree DIR2 ...] [--workload storm|anchor]
        [--platform xen-hvm] [--interrupts 40000] [--rounds 12] [--no-self]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
from engine import workload_yaml
from msidbg.debugger import headless
from msidbg.scenario import load_scenario_text
scn = load_scenario_text(workload_yaml(sys.argv[1], int(sys.argv[2]), sys.argv[3]), "w.yaml")
t0 = time.process_time()
res = headless.run(scn)
cpu = time.process_time() - t0
s = res.summary
print(json.dumps({{"cpu": cpu, "events": s["events"],
                  "delivered": sum(v["delivered"] for d in s["devices"].values() for v in d["vectors"])}}))
"""


def run_once(tree: Path, workload: str, n: int, platform: str) -> dict[str, float]:
    """One fresh process of ``tree`` (its ``msidbg`` first on the path, run from a temporary
    directory so that the current checkout cannot shadow it)."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", CHILD.format(bench=str(HERE)), workload, str(n), platform],
                         env=env, capture_output=True, text=True, cwd="/tmp", check=False)
    if out.returncode:
        raise SystemExit(f"{tree}: the run failed:\n{out.stderr[-2000:]}")
    got: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--tree", action="append", default=[], help="another msidbg checkout (repeatable)")
    ap.add_argument("--no-self", action="store_true", help="only the --tree checkouts (the first is the base)")
    ap.add_argument("--workload", choices=("storm", "anchor"), default="storm")
    ap.add_argument("--platform", default="", help="e.g. xen-hvm (benchmarks/xen.py's workloads)")
    ap.add_argument("--interrupts", type=int, default=40_000)
    ap.add_argument("--rounds", type=int, default=12)
    a = ap.parse_args()
    trees = ([] if a.no_self else [HERE.parent]) + [Path(t).resolve() for t in a.tree]
    if len(trees) < 2:
        ap.error("give at least two trees (this checkout and one --tree, or two --tree with --no-self)")
    names = [str(t) for t in trees]
    cpu: dict[str, list[float]] = {t: [] for t in names}
    for r in range(a.rounds):
        order = trees if r % 2 == 0 else trees[::-1]
        for t in order:
            cpu[str(t)].append(run_once(t, a.workload, a.interrupts, a.platform)["cpu"])
        base = cpu[names[0]][-1]
        print(f"round {r + 1}: " + "  ".join(f"{cpu[t][-1]:.3f} s" for t in names) + "   ratio "
              + " ".join(f"{cpu[t][-1] / base:.3f}" for t in names[1:]), flush=True)
    print(f"{a.workload}{' on ' + a.platform if a.platform else ''}, {a.interrupts:,} interrupts, "
          f"{a.rounds} rounds, CPU seconds (time.process_time):")
    for t in names:
        print(f"  {t}: median {statistics.median(cpu[t]):.3f}, min {min(cpu[t]):.3f}")
    for t in names[1:]:
        per = [b / x for x, b in zip(cpu[names[0]], cpu[t], strict=True)]
        print(f"  {t} / {names[0]}: median of round ratios {statistics.median(per):.3f} "
              f"(quartiles {statistics.quantiles(per, n=4)[0]:.3f}-{statistics.quantiles(per, n=4)[2]:.3f}), "
              f"ratio of medians {statistics.median(cpu[t]) / statistics.median(cpu[names[0]]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
