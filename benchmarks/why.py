"""why and diff on long runs (issue 13).

Targets: ``Session.why`` p50 <= 50 ms and p99 <= 500 ms on a 1,000,000-event run at random
cursors with random targets; ``diff`` of two 1,000,000-event runs in <= 3x the time of running
both.

The run is the storm of benchmarks/engine.py cut to about a million events (as
benchmarks/debugger.py). A query seeks to a random event (not timed), then asks ``why`` about a
random target: an event at or before the cursor, or a tracked state path (an MSI-X register, an
IRR/ISR bit, a vector_irq slot of a device vector, a device's loss counter, an irq's vector).
Each answer is built completely, call stacks included. The diff compares the storm with the same
storm whose EOI costs 1 ns more: every event's time differs from the first EOI on while every
context executes the same steps, so the per-context alignment has to walk both runs to the end
(the worst case); it is timed against ``msidbg run --headless`` of both files, in this process,
interleaved.

    python benchmarks/why.py [--seconds 0.39] [--queries 200] [--seed 1] [--skip-diff]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from debugger import ms, pct, rss_mb  # noqa: E402
from engine import storm_yaml  # noqa: E402

from msidbg.debugger import Session, headless  # noqa: E402
from msidbg.debugger.diff import diff_files  # noqa: E402
from msidbg.scenario import load_scenario, load_scenario_text  # noqa: E402


def targets(rng: random.Random, s: Session, cursor: int, devices: int, vectors: int, cpus: int) -> tuple[str, object]:
    """A random target: ('event', i) or ('path', text)."""
    if rng.random() < 0.4:
        return "event", rng.randint(1, cursor)
    d, i = rng.randrange(devices), rng.randrange(vectors)
    c, v = rng.randrange(cpus), 0x21 + rng.randrange(devices * vectors // cpus + 2)
    path = rng.choice([
        f"devices.nic{d}.msix.table[{i}].data", f"devices.nic{d}.msix.table[{i}].ctrl",
        f"devices.nic{d}.msix.table[{i}].addr_lo", f"cpu[{c}].irr[{v:#x}]", f"cpu[{c}].isr[{v:#x}]",
        f"cpu[{c}].vector_irq[{v:#x}]", f"acct.nic{d}.lost[{i}]", f"irqs[{24 + d * vectors + i}].vector",
    ])
    return "path", path


def bench_why(a: argparse.Namespace) -> None:
    s = Session(load_scenario_text(storm_yaml(16, 8, 4, a.seconds, 200), "storm.yaml"))
    t0 = time.perf_counter()
    s.run()
    run_s = time.perf_counter() - t0
    print(f"run: {s.total:,} events in {run_s:.2f} s; provenance {len(s.eng.prov):,} records, "
          f"{s.eng.prov.memory_bytes() / 2**20:.0f} MB")
    rng = random.Random(a.seed)
    times: dict[str, list[float]] = {"event": [], "path": []}
    links = 0
    slow: list[tuple[float, int, object]] = []
    for _ in range(a.queries):
        cursor = rng.randint(1, s.total)
        s.seek(cursor)
        kind, target = targets(rng, s, cursor, 16, 8, 4)
        t = time.perf_counter()
        why = s.why(target)  # type: ignore[arg-type]
        dt = time.perf_counter() - t
        times[kind].append(dt)
        slow.append((dt, cursor, target))
        links += len(why.links())
    every = times["event"] + times["path"]
    print(f"why, {a.queries} queries at random cursors ({links / a.queries:.1f} links an answer on average):")
    for kind in ("event", "path"):
        if times[kind]:
            print(f"  {kind:5} ({len(times[kind]):3}): {ms(times[kind])}")
    print(f"  all        : {ms(every)}   target p50 <= 50 ms, p99 <= 500 ms: "
          f"{'met' if pct(every, 50) <= 0.05 and pct(every, 99) <= 0.5 else 'NOT met'}")
    print("  slowest: " + ", ".join(f"{t * 1000:.0f} ms ({target!r} at cursor {c})" for t, c, target in
                                    sorted(slow, key=lambda x: -x[0])[:3]))
    print(f"  peak RSS {rss_mb():.0f} MB; checkpoints {s.timeline.stats()}")


def bench_diff(a: argparse.Namespace) -> None:
    base = storm_yaml(16, 8, 4, a.seconds, 200)
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = Path(tmp) / "a.yaml", Path(tmp) / "b.yaml"
        pa.write_text(base)
        pb.write_text(base.replace("cpus: 4\n", "cpus: 4\ncosts: {eoi: 101}\n"))
        for round_ in range(a.rounds):
            t = time.perf_counter()
            ea = headless.run(load_scenario(str(pa))).summary["events"]
            eb = headless.run(load_scenario(str(pb))).summary["events"]
            both = time.perf_counter() - t
            t = time.perf_counter()
            r = diff_files(str(pa), str(pb))
            diff_s = time.perf_counter() - t
            d = r.first
            where = f"{d.context} at A #{d.a} / B #{d.b}" if d else "none"
            print(f"diff round {round_ + 1}: runs of {ea:,} and {eb:,} events; running both {both:.2f} s, "
                  f"diff {diff_s:.2f} s = {diff_s / both:.2f}x (target <= 3x); first divergence {where}; "
                  f"{len(r.contexts)} contexts differ")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=0.39)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-diff", action="store_true")
    ap.add_argument("--skip-why", action="store_true")
    a = ap.parse_args()
    if not a.skip_why:
        bench_why(a)
    if not a.skip_diff:
        bench_diff(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
