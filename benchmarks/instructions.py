"""Instructions an interrupt, deterministically: valgrind (cachegrind) over two sizes of a workload.

Wall-clock ratios on a shared machine move by +-25% from round to round; instruction counts do
not. Each size runs headless in a fresh process under ``valgrind --tool=cachegrind --cache-sim=no``
with ``PYTHONHASHSEED=0``; the difference of the two counts over the difference of delivered
interrupts cancels start-up, scenario loading and the probes. ``--tree DIR`` measures another
checkout of msidbg (its ``msidbg`` package first on ``sys.path``) in the same run, e.g. a
``git archive`` of the previous commit, and prints the ratio.

    python benchmarks/instructions.py [--workload storm|anchor] [--platform xen-hvm [--abi 2l]]
        [--remap] [--sizes 2000 10000] [--tree DIR ...] [--cache-sim]

``--cache-sim`` adds cachegrind's cache and branch simulation (misses and mispredictions an
interrupt, this machine's geometry): a count of instructions does not predict CPU time when the
instructions a change removes are not where the stalls are (docs/perf.md, round 11); confirm a
speed-up with ``benchmarks/cpu_ab.py``.

``--abi 2l`` runs a Xen workload with the guest's 2-level event channel ABI (``kernel:
{xen_fifo_events: false}``, as ``xen.fifo_events=0`` does) instead of FIFO, the default.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
from engine import workload_yaml
from msidbg.debugger import headless
from msidbg.scenario import load_scenario_text
text = workload_yaml(sys.argv[1], int(sys.argv[2]), sys.argv[3])
if sys.argv[4] == "2l":
    text = text.replace("\\ncpus:", "\\nkernel: {{xen_fifo_events: false}}\\ncpus:", 1)
if sys.argv[5] == "remap":    # bare metal with interrupt remapping: the kernel's default driver there
    text = text.replace("\\ncpus:", "\\nplatform: {{interrupt_remapping: true}}\\ncpus:", 1)
try:
    scn = load_scenario_text(text, "w.yaml")
except Exception as e:     # a --tree from before platform.xen_hvm_pirqs (15e5f47), where an HVM
    if "xen_hvm_pirqs" not in str(e):      # guest always routes its MSIs over pirqs: the same run
        raise
    scn = load_scenario_text(text.replace(", xen_hvm_pirqs: true", ""), "w.yaml")
res = headless.run(scn)
s = res.summary
print(json.dumps({{"delivered": sum(v["delivered"] for d in s["devices"].values() for v in d["vectors"]),
                  "events": s["events"]}}))
"""


#: ``--cache-sim``: this machine's L1s (32 KB 8-way I1, 48 KB 12-way D1) and its per-core 2 MB L2
#: as the last level (its L3 is shared with other tenants of the host)
CACHE_SIM = ["--cache-sim=yes", "--branch-sim=yes", "--I1=32768,8,64", "--D1=49152,12,64", "--LL=2097152,16,64"]
#: the simulated events printed per interrupt with ``--cache-sim`` (cachegrind's names)
SIM_EVENTS = ("I1mr", "D1mr", "D1mw", "DLmr", "DLmw", "Bcm", "Bim")
#: the last run's simulated events (``--cache-sim``): (tree, n) -> {event: count}
SIMULATED: dict[tuple[str | None, int], dict[str, int]] = {}


def count(tree: str | None, workload: str, n: int, platform: str, abi: str,
          remap: bool = False, cache_sim: bool = False) -> tuple[int, int, int]:
    """(instructions, delivered interrupts, events) of one run under cachegrind; with
    ``cache_sim`` its cache and branch simulation too (in ``SIMULATED``)."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    rm = "remap" if remap else "-"
    # (the child runs in a temporary directory: a relative PYTHONPATH such as ``.`` would name it, and "this tree"
    # would be whatever msidbg the interpreter has installed -- this checkout is named by its absolute path)
    env["PYTHONPATH"] = tree or str(HERE.parent)
    with tempfile.TemporaryDirectory() as tmp:
        out_file = Path(tmp) / "cg.out"
        code = CHILD.format(bench=str(HERE))
        # warm the bytecode caches first, so that both sizes compile (or not) alike
        # (run from the temporary directory: a checkout in the current directory would shadow --tree)
        subprocess.run([sys.executable, "-c", code, workload, "1000", platform, abi, rm], env=env, check=True,
                       capture_output=True, cwd=tmp)
        sim = CACHE_SIM if cache_sim else ["--cache-sim=no"]
        run = subprocess.run(["valgrind", "--tool=cachegrind", *sim, f"--cachegrind-out-file={out_file}",
                              sys.executable, "-c", code, workload, str(n), platform, abi, rm],
                             env=env, capture_output=True, text=True, check=True, cwd=tmp)
        got = json.loads(run.stdout.strip().splitlines()[-1])
        lines = out_file.read_text().splitlines()
        summary = next(line for line in lines if line.startswith("summary:"))
        names = next(line for line in lines if line.startswith("events:")).split()[1:]
        SIMULATED[(tree, n)] = dict(zip(names, map(int, summary.split()[1:]), strict=True))
    return int(summary.split()[1]), got["delivered"], got["events"]


def per_interrupt(tree: str | None, workload: str, sizes: list[int], platform: str,
                  abi: str, remap: bool = False, cache_sim: bool = False) -> tuple[float, float]:
    (i1, d1, e1), (i2, d2, e2) = (count(tree, workload, n, platform, abi, remap, cache_sim) for n in sizes)
    if cache_sim:
        a, b = SIMULATED[(tree, sizes[0])], SIMULATED[(tree, sizes[1])]
        print(f"  {tree or 'this tree'}, per interrupt: " + ", ".join(f"{e} {(b[e] - a[e]) / (d2 - d1):,.1f}" for e in SIM_EVENTS))
    return (i2 - i1) / (d2 - d1), (e2 - e1) / (d2 - d1)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=("storm", "anchor"), default="storm")
    ap.add_argument("--platform", default="", help="e.g. xen-hvm (benchmarks/xen.py's workloads)")
    ap.add_argument("--abi", choices=("fifo", "2l"), default="fifo",
                    help="a Xen workload's event channel ABI (2l: the guest boots with xen.fifo_events=0)")
    ap.add_argument("--remap", action="store_true",
                    help="bare metal with platform.interrupt_remapping (the kernel's default APIC driver there: "
                         "cluster x2APIC from model revision 6, physical x2APIC before)")
    ap.add_argument("--sizes", type=int, nargs=2, default=[2000, 10000], metavar=("SMALL", "LARGE"))
    ap.add_argument("--tree", action="append", default=[], help="another msidbg checkout to measure too")
    ap.add_argument("--cache-sim", action="store_true",
                    help="also simulate the caches and branch predictors (I1/D1/L2 misses, mispredicted "
                         "conditional and indirect branches an interrupt; ~3x slower)")
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind not found", file=sys.stderr)
        return 2
    if a.abi == "2l" and not a.platform.startswith("xen"):
        ap.error("--abi 2l needs a Xen --platform")
    if a.remap and a.platform:
        ap.error("--remap is a bare-metal workload")
    label = a.workload + (f" on {a.platform}" if a.platform else "") + (" (2-level ABI)" if a.abi == "2l" else "") + (
        " with remapping" if a.remap else "")
    mine, events = per_interrupt(None, a.workload, a.sizes, a.platform, a.abi, a.remap, a.cache_sim)
    print(f"{label}: {mine:,.0f} instructions an interrupt ({events:.1f} events an interrupt), this tree")
    for tree in a.tree:
        other, _ = per_interrupt(tree, a.workload, a.sizes, a.platform, a.abi, a.remap, a.cache_sim)
        print(f"{label}: {other:,.0f} instructions an interrupt, {tree} (this tree / it: {mine / other:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
