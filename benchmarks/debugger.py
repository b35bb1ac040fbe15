"""Time travel on a long run: seek, step_back, memory, snapshot size, open with and without verify.

The run is the storm of benchmarks/engine.py (16 devices x 8 MSI-X vectors on 4 CPUs) cut to
about a million events (0.39 s of virtual time; ``--events 5000000`` sizes it by events).
Targets (issue 14, at 5,000,000 events): seek p50 <= 20 ms and p99 <= 100 ms; step_back p50
<= 5 ms; RSS <= 400 MB; the event log <= 24 bytes an event; snapshot <= 1 MB; the first
last_change of a value written at probe time <= 1 s (at 1,000,000 events); open with
verification no slower than the original run; open --no-verify under 200 ms.

    python benchmarks/debugger.py [--seconds 0.39 | --events N] [--seeks 300] [--seed 1] [--no-cli]

Timings are wall clock on a shared machine: run it three times and report the best. Memory is
each process's own peak (VmHWM): a child started by fork and exec inherits its parent's
``ru_maxrss``, so a small child would report the parent's size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import peak_rss_mb  # noqa: E402
from engine import storm_yaml  # noqa: E402

from msidbg.debugger import Session  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def rss_mb() -> float:
    return peak_rss_mb()


def ms(xs: list[float]) -> str:
    return f"p50 {pct(xs, 50) * 1e3:6.2f} ms   p99 {pct(xs, 99) * 1e3:6.2f} ms   max {max(xs) * 1e3:6.2f} ms"


def cli(*args: str) -> float:
    """Wall time of one ``msidbg`` command in a fresh process (startup and imports included)."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "msidbg.cli", *args], check=False, capture_output=True)
    return time.perf_counter() - t


def open_in_child(path: str, verify: bool) -> dict[str, float]:
    """Open the snapshot in a fresh process (so memory and caches are its own); time the open only."""
    return _in_child(f"s = Session.open(sys.argv[1], verify={verify})", path)


def run_in_child(yaml_path: str) -> dict[str, float]:
    """``Session.from_scenario(...).run()`` in a fresh process: the fair yardstick for a verified open."""
    return _in_child("s = Session.from_scenario(sys.argv[1]); s.run()", yaml_path)


def _in_child(statement: str, path: str) -> dict[str, float]:
    code = ("import sys, time, json\n"
            "t0 = time.perf_counter()\n"
            "from msidbg.debugger import Session\n"
            "t1 = time.perf_counter()\n"
            f"{statement}\n"
            "t2 = time.perf_counter()\n"
            "from common import peak_rss_mb\n"
            "print(json.dumps({'import_s': t1 - t0, 'open_s': t2 - t1, 'cursor': s.cursor,\n"
            "  'rss_mb': peak_rss_mb()}))\n")
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)})
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=0.39)
    ap.add_argument("--events", type=int, default=0, help="size the run by events instead (~4 per interrupt)")
    ap.add_argument("--no-cli", action="store_true", help="skip the fresh-process open/replay/CLI timings")
    ap.add_argument("--seeks", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cli-rounds", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seconds = args.events / 4 / 640_000 if args.events else args.seconds
    scn = load_scenario_text(storm_yaml(16, 8, 4, seconds, 200), "storm.yaml")

    s = Session(scn)
    t0 = time.perf_counter()
    s.run()
    run_s = time.perf_counter() - t0
    total = s.total
    print(f"run: {total:,} events in {run_s:.2f} s ({total / run_s:,.0f} events/s); timeline {s.timeline.stats()}")

    seeks = []
    for _ in range(args.seeks):
        i = rng.randrange(1, total)
        t = time.perf_counter()
        s.seek(i)
        seeks.append(time.perf_counter() - t)
    print(f"seek (random):              {ms(seeks)}")

    backs_after_seek, backs_run = [], []
    for _ in range(args.seeks // 3):
        s.seek(rng.randrange(2, total))
        t = time.perf_counter()
        s.step_back()
        backs_after_seek.append(time.perf_counter() - t)
    for _ in range(5):
        s.seek(rng.randrange(200, total))
        for _ in range(60):
            t = time.perf_counter()
            s.step_back()
            backs_run.append(time.perf_counter() - t)
    print(f"step_back after a seek:     {ms(backs_after_seek)}")
    print(f"step_back, 60 in a row:     {ms(backs_run)}")
    print(f"all step_backs:             {ms(backs_after_seek + backs_run)}")
    s.seek(total)
    t = time.perf_counter()
    first = s.last_change("devices.nic3.msix.table[5].data")
    first_s = time.perf_counter() - t
    print(f"last_change, first query (a table entry written once at probe, event {first}): {first_s:.2f} s")
    revs, changes = [], []
    s.add_breakpoint("watch cpu[1].isr[0x21]")
    for _ in range(20):
        s.seek(rng.randrange(2, total))
        t = time.perf_counter()
        s.reverse_continue()
        revs.append(time.perf_counter() - t)
        t = time.perf_counter()
        s.last_change("devices.nic3.msix.table[5].data")
        changes.append(time.perf_counter() - t)
    print(f"reverse_continue (watch):   {ms(revs)}")
    print(f"last_change, later queries from random cursors: {ms(changes)}")
    s.seek(0)
    for b in s.breakpoints:
        s.remove_breakpoint(b.id)
    s.add_breakpoint('if event.kind == "irq.unhandled" and event.dev == "nic3"')
    s.add_breakpoint("watch acct.nic3.lost")
    t = time.perf_counter()
    s.continue_()
    cond_s = time.perf_counter() - t
    print(f"continue_ with an if and a watch armed, 0 -> end: {cond_s:.2f} s ({total / cond_s:,.0f} events/s)")
    log_b = s.eng.log.memory_bytes()
    print(f"RSS after run + seeks:      {rss_mb():,.0f} MB (timeline {s.timeline.memory_bytes() / 2**20:,.1f} MB, "
          f"event log {log_b / 2**20:,.1f} MB = {log_b / total:.1f} bytes an event)")
    if args.no_cli:
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        s.seek(total)
        path = os.path.join(tmp, "storm.msgpack")
        t = time.perf_counter()
        s.save(path)
        save_s = time.perf_counter() - t
        print(f"snapshot at the end:        {os.path.getsize(path) / 1024:,.0f} KiB, saved in {save_s * 1e3:.0f} ms")
        yaml_path = os.path.join(tmp, "storm.yaml")
        Path(yaml_path).write_text(scn.text)
        fast = open_in_child(path, verify=False)
        fulls, reruns = [], []
        for _ in range(args.cli_rounds):  # alternate, best of N: the machine is shared
            fulls.append(open_in_child(path, verify=True))
            reruns.append(run_in_child(yaml_path))
        full = min(fulls, key=lambda r: r["open_s"])
        rerun = min(r["open_s"] for r in reruns)
        print(f"Session.open(verify=False): {fast['open_s'] * 1e3:,.0f} ms (+ {fast['import_s'] * 1e3:,.0f} ms imports)")
        print(f"Session.open(verify=True):  {full['open_s']:.2f} s, the same run from the scenario {rerun:.2f} s "
              f"(both in a fresh process, best of {args.cli_rounds}), RSS {full['rss_mb']:,.0f} MB")
        out = os.path.join(tmp, "cli.msgpack")
        runs, replays, fasts = [], [], []
        for _ in range(args.cli_rounds):  # alternate, best of N: the machine is shared
            runs.append(cli("run", yaml_path, "--headless", "--save", out))
            replays.append(cli("replay", out))
            fasts.append(cli("replay", out, "--no-verify"))
        print(f"CLI, best of {args.cli_rounds}: run --headless --save {min(runs):.2f} s; replay (verifies) "
              f"{min(replays):.2f} s; replay --no-verify {min(fasts) * 1e3:,.0f} ms (whole processes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
