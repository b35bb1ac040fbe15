"""Memory of a long run: peak RSS and bytes an interrupt kept, at two sizes, each in a fresh process.

A debugger ``Session`` (what the TUI and ``--save`` hold: the event log, checkpoints, provenance)
runs a workload of ``benchmarks/engine.py`` to its end in a child process, which prints its own
peak RSS (``VmHWM`` in /proc/self/status: ``ru_maxrss`` is inherited across fork and exec, so a
child would report its parent's high-water mark) and the sizes of what the run keeps. The
difference of two sizes over the difference of delivered interrupts is what each interrupt costs
in the steady state (start-up, imports and the scenario cancel out). ``--tree DIR`` measures
another checkout (e.g. a ``git archive`` of main) the same way, interleaved, and prints the ratio.

Issue 14's target: RSS <= 400 MB at 5,000,000 events.

    python benchmarks/memory.py [--platform xen-hvm | --platform -] [--workload storm|anchor]
        [--events 1000000 5000000] [--tree DIR ...] [--headless]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

CHILD = """
import json, sys
sys.path.insert(0, {bench!r})
from engine import workload_yaml
from common import peak_rss_mb
from msidbg.scenario import load_scenario_text
wl, n, platform, headless = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
scn = load_scenario_text(workload_yaml(wl, n, platform), "w.yaml")
if headless:
    from msidbg.debugger import headless as h
    res = h.run(scn)
    summ, eng, extra = res.summary, None, {{}}
else:
    from msidbg.debugger import Session
    s = Session(scn)
    s.run()
    summ, eng = s.summary(), s.eng
    extra = {{"log_bytes": eng.log.memory_bytes(), "timeline_bytes": s.timeline.memory_bytes(),
              "prov_bytes": eng.prov.memory_bytes()}}
rss_now = 0.0
with open("/proc/self/status", encoding="ascii") as f:
    for line in f:
        if line.startswith("VmRSS:"):
            rss_now = int(line.split()[1]) / 1024
print(json.dumps({{"delivered": sum(v["delivered"] for d in summ["devices"].values() for v in d["vectors"]),
                  "events": summ["events"], "hwm_mb": peak_rss_mb(), "rss_mb": rss_now, **extra}}))
"""


def child(tree: str | None, workload: str, interrupts: int, platform: str, headless: bool) -> dict[str, Any]:
    env = dict(os.environ, PYTHONHASHSEED="0")
    # (run from /: this checkout by its absolute path, not a relative PYTHONPATH the child would resolve from there)
    env["PYTHONPATH"] = tree or str(HERE.parent)
    out = subprocess.run([sys.executable, "-c", CHILD.format(bench=str(HERE)), workload, str(interrupts),
                          platform, "1" if headless else "0"],
                         env=env, capture_output=True, text=True, check=False, cwd="/")
    if out.returncode != 0:
        raise SystemExit(f"child failed ({tree or 'this tree'}, {interrupts} interrupts):\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def events_per_interrupt(workload: str, platform: str) -> float:
    """A first guess to size a run by events (the children report the real count)."""
    return 7.0 if platform else 4.0


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=("storm", "anchor"), default="storm")
    ap.add_argument("--platform", default="xen-hvm", help="xen-hvm (default) or - for bare metal")
    ap.add_argument("--events", type=int, nargs=2, default=[1_000_000, 5_000_000], metavar=("SMALL", "LARGE"))
    ap.add_argument("--tree", action="append", default=[], help="another msidbg checkout to measure too")
    ap.add_argument("--headless", action="store_true", help="headless.run instead of a Session")
    a = ap.parse_args()
    platform = "" if a.platform == "-" else a.platform
    per = events_per_interrupt(a.workload, platform)
    sizes = [int(e / per) for e in a.events]
    label = a.workload + (f" on {platform}" if platform else "") + (" headless" if a.headless else " Session")
    trees: list[str | None] = [None, *a.tree]
    got: dict[str | None, list[dict[str, Any]]] = {t: [] for t in trees}
    for n in sizes:     # interleaved: size by size, tree by tree
        for t in trees:
            r = child(t, a.workload, n, platform, a.headless)
            got[t].append(r)
            parts = [f"{r['events']:,} events, {r['delivered']:,} interrupts: peak RSS {r['hwm_mb']:,.0f} MB "
                     f"(at the end {r['rss_mb']:,.0f} MB)"]
            for k in ("log_bytes", "timeline_bytes", "prov_bytes"):
                if k in r:
                    parts.append(f"{k.split('_')[0]} {r[k] / 2**20:,.1f} MB")
            print(f"{label}, {t or 'this tree'}: " + "; ".join(parts), flush=True)
    per_int = {}
    for t in trees:
        small, large = got[t]
        d = large["delivered"] - small["delivered"]
        per_int[t] = (large["rss_mb"] - small["rss_mb"]) * 2**20 / d
        extra = ""
        if "prov_bytes" in large:
            extra = f" (provenance's own count {(large['prov_bytes'] - small['prov_bytes']) / d:,.0f})"
        print(f"{label}, {t or 'this tree'}: {per_int[t]:,.0f} bytes an interrupt kept{extra}")
    for t in a.tree:
        print(f"{label}: this tree / {t}: peak RSS at {got[None][1]['events']:,} events "
              f"{got[None][1]['hwm_mb'] / got[t][1]['hwm_mb']:.2f}, bytes an interrupt {per_int[None] / per_int[t]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
