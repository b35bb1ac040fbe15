"""Session overhead: a run recording its history (checkpoints, as the TUI and ``--save`` do)
against the same run headless (no history kept), interleaved in fresh processes.

Workloads: ``storm`` (16 devices x 8 MSI-X vectors on 4 CPUs), ``devices64`` (64 devices x 4
vectors on 4 CPUs) and ``big-table`` (benchmarks/big-table.yaml: one NIC with a 2,048-entry
table on 64 CPUs). Target: the Session's run <= 1.25 x headless, checkpoint packing <= 10 % of
the run. Prints both times, the ratio (wall, which decides the exit status, and CPU time, which a
loaded machine disturbs less), what checkpoints cost (pack time, bytes, count) and each process's
peak RSS.

    python benchmarks/session.py [--workload storm|devices64|big-table|all] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HERE, peak_rss_mb, run_child, storm_yaml  # noqa: E402

from msidbg.scenario import load_scenario_text  # noqa: E402

WORKLOADS = {
    "storm": lambda: storm_yaml(16, 8, 4, 0.06, 200),
    "devices64": lambda: storm_yaml(64, 4, 4, 0.05, 200),
    "big-table": lambda: (HERE / "big-table.yaml").read_text(),
}


def child(workload: str, mode: str) -> dict[str, float]:
    """One run in this process: ``headless`` (msidbg run --headless) or ``session`` (recording)."""
    from msidbg.debugger import Session, headless

    scn = load_scenario_text(WORKLOADS[workload](), f"{workload}.yaml")
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "headless":
        res = headless.run(scn)
        events = res.summary["events"]
        stats: dict[str, float] = {}
    else:
        s = Session(scn)
        s.run()
        events = s.total
        stats = dict(s.timeline.stats())
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"seconds": wall, "cpu": cpu, "events": events, "rss_mb": peak_rss_mb(), **stats}


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=(*WORKLOADS, "all"), default="all")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(*a.child)))
        return 0
    status = 0
    for wl in WORKLOADS if a.workload == "all" else [a.workload]:
        head, sess = [], []
        for _ in range(a.rounds):
            head.append(run_child("session.py", wl, "headless"))
            sess.append(run_child("session.py", wl, "session"))
        ratios = [s["seconds"] / h["seconds"] for s, h in zip(sess, head, strict=True)]
        cpu = [s["cpu"] / h["cpu"] for s, h in zip(sess, head, strict=True)]
        last = sess[-1]
        pack = statistics.median(s.get("pack_s", 0) / s["seconds"] for s in sess)
        print(f"{wl}: {last['events']:,} events; headless {statistics.median(h['seconds'] for h in head):.2f} s "
              f"({max(h['rss_mb'] for h in head):,.0f} MB), session {statistics.median(s['seconds'] for s in sess):.2f} s "
              f"({max(s['rss_mb'] for s in sess):,.0f} MB)")
        print(f"  session / headless: {statistics.median(ratios):.2f}x (rounds {', '.join(f'{r:.2f}' for r in ratios)}); "
              f"packing {100 * pack:.1f} % of the session's run; checkpoints {int(last.get('coarse', 0))} "
              f"({last.get('bytes', 0) / 2**20:,.1f} MB), spacing {int(last.get('spacing', 0))}")
        print(f"  CPU time, session / headless: {statistics.median(cpu):.2f}x "
              f"(rounds {', '.join(f'{r:.2f}' for r in cpu)})")
        if statistics.median(ratios) > 1.25:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
