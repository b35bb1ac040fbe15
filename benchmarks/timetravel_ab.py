"""Time travel on a long run, this tree against another checkout, interleaved (issues 14, 15).

Builds the same session in two worker processes, one per tree, then sends both the same
operations in alternating batches. Each operation is timed in its worker as CPU time
(``time.process_time``) and wall time, so the load other programs put on a shared machine
affects both trees alike. Prints p50/p99 per tree and their ratio, then each worker's peak RSS,
checkpoint memory and event-log bytes per event.

Workloads:

- ``storm`` (default): ``benchmarks/debugger.py``'s storm, sized by ``--events``; random seeks,
  one step back after a random seek, 60 step backs in a row. Targets at 5,000,000 events: seek
  p50 <= 20 ms and p99 <= 100 ms, step_back p50 <= 5 ms, RSS <= 400 MB, log <= 24 B/event.
- ``big-table`` (``benchmarks/big-table.yaml``, 2,048 entries x 64 CPUs, ~31k events, recorded
  whole first): the TUI benchmark's keys around a random cursor in the interrupt bursts --
  step, step back, step again (back where it was) -- and 20 step backs in a row. The engine's
  share of ``benchmarks/tui.py``'s "step back p50 <= 30 ms".

    git worktree add --detach /tmp/ref main
    python benchmarks/timetravel_ab.py --against /tmp/ref [--events 5000000] [--rounds 8] [--clock cpu|wall]
    python benchmarks/timetravel_ab.py --against /tmp/ref --workload big-table [--rounds 6]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(events: int, workload: str) -> None:
    """Worker: build the session, then answer one JSON command per stdin line."""
    sys.path.insert(0, str(Path.cwd() / "benchmarks"))
    from common import peak_rss_mb, storm_yaml

    from msidbg.debugger import Session
    from msidbg.scenario import load_scenario_text

    if workload == "big-table":
        scn = load_scenario_text((ROOT / "benchmarks" / "big-table.yaml").read_text(), "big-table.yaml")
    else:
        scn = load_scenario_text(storm_yaml(16, 8, 4, events / 4 / 640_000, 200), "storm.yaml")
    s = Session(scn)
    t = time.perf_counter()
    s.run()
    print(json.dumps({"total": s.total, "run_s": time.perf_counter() - t, "timeline": s.timeline.stats()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        out: dict[str, list[float]] | dict[str, float] = {"cpu": [], "wall": []}
        if cmd["op"] == "stats":
            log = s.eng.log.memory_bytes()
            out = {"rss_mb": peak_rss_mb(), "timeline_mb": s.timeline.memory_bytes() / 2**20,
                   "log_bytes_per_event": log / s.total, "prov_mb": s.eng.prov.memory_bytes() / 2**20}
        for target in cmd.get("targets", ()):
            if cmd["op"] == "seek":
                moves = [lambda t=target: s.seek(t)]
            elif cmd["op"] == "keys":        # the TUI benchmark's keys: only cmd["key"]'s are timed
                s.seek(target)
                moves = [s.step, s.step_back, s.step] * cmd["n"]
            else:
                s.seek(target)
                moves = [s.step_back] * cmd["n"]
            for i, move in enumerate(moves):
                c, w = time.process_time(), time.perf_counter()
                move()
                if cmd["op"] == "keys" and i % 3 != cmd["key"]:
                    continue
                out["cpu"].append(time.process_time() - c)   # type: ignore[union-attr,index]
                out["wall"].append(time.perf_counter() - w)  # type: ignore[union-attr,index]
        print(json.dumps(out), flush=True)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--against", required=False, metavar="DIR", help="the other checkout (e.g. a worktree of main)")
    ap.add_argument("--events", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workload", choices=("storm", "big-table"), default="storm")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        serve(a.events, a.workload)
        return 0
    if not a.against:
        ap.error("--against DIR is required")
    trees = {"this": str(ROOT), "other": str(Path(a.against).resolve())}
    procs = {name: subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", "--events", str(a.events),
                                     "--workload", a.workload],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tree,
                                    env={**os.environ, "PYTHONPATH": tree})
             for name, tree in trees.items()}

    def ask(name: str, cmd: dict[str, object]) -> dict[str, list[float]]:
        p = procs[name]
        assert p.stdin is not None and p.stdout is not None
        p.stdin.write(json.dumps(cmd) + "\n")
        p.stdin.flush()
        return json.loads(p.stdout.readline())   # type: ignore[no-any-return]

    info = {}
    for name, p in procs.items():
        assert p.stdout is not None
        info[name] = json.loads(p.stdout.readline())
        print(f"{name} ({trees[name]}): {info[name]['total']:,} events in {info[name]['run_s']:.1f} s; {info[name]['timeline']}")
    total = min(i["total"] for i in info.values())
    rng = random.Random(a.seed)
    names = (["seek", "step_back after a seek", "step_back x60"] if a.workload == "storm" else
             ["step", "step back", "step after step back", "step_back x20"])
    got: dict[str, dict[str, list[float]]] = {n: {what: [] for what in names} for n in procs}
    for r in range(a.rounds):
        if a.workload == "storm":
            ops = [("seek", {"op": "seek", "targets": [rng.randrange(1, total) for _ in range(30)]}),
                   ("step_back after a seek", {"op": "back", "n": 1, "targets": [rng.randrange(2, total) for _ in range(10)]}),
                   ("step_back x60", {"op": "back", "n": 60, "targets": [rng.randrange(200, total)]})]
        else:   # around a cursor in the bursts (event 25,000 in benchmarks/tui.py)
            at = rng.randrange(21_000, min(total, 30_000))
            ops = [(what, {"op": "keys", "key": key, "n": 10, "targets": [at]})
                   for key, what in enumerate(names[:3])]
            ops.append(("step_back x20", {"op": "back", "n": 20, "targets": [at]}))
        for name in (("this", "other") if r % 2 else ("other", "this")):
            for what, cmd in ops:
                got[name][what] += ask(name, cmd)[a.clock]
    print(f"{a.rounds} rounds, {a.clock} time per operation (ms)")
    for what in got["this"]:
        x, y = got["this"][what], got["other"][what]
        print(f"  {what:24s} this p50 {pct(x, 50):7.2f} p99 {pct(x, 99):7.2f} | other p50 {pct(y, 50):7.2f} "
              f"p99 {pct(y, 99):7.2f} | this/other p50 {pct(x, 50) / pct(y, 50):.2f}")
    for name in procs:
        print(f"  {name}: {ask(name, {'op': 'stats'})}")
    for p in procs.values():
        assert p.stdin is not None
        p.stdin.close()
        p.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
