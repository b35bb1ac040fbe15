"""Interrupt throughput, headless, against the perfanchor references (interleaved in one run).

Two workloads, each run as ``msidbg run --headless`` would run it (a debugger Session, every
built-in breakpoint armed), alternating with the reference implementations in fresh processes
(SimPy A, msidbg, heapq C, A, msidbg, C, ...) at the same number of interrupts:

* ``anchor``: the reference's own shape -- 8 devices x 4 MSI-X vectors, 4 CPUs, entry i on CPU i,
  a signal every 4 us per device on average, 1 us of CPU service per interrupt;
* ``storm``: the issue's storm -- 16 devices x 8 vectors on 4 CPUs, every vector every 200 us.

Prints delivered interrupts per wall second and the ratio msidbg / SimPy (target >= 1.5, aim 2)
and msidbg / heapq. Without the references (``--no-reference`` or not found) it prints msidbg's
figures alone.

    python benchmarks/engine.py [--workload anchor|storm|both] [--interrupts 160000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    anchor_yaml,
    interleave,
    peak_rss_mb,
    perfanchor,
    ratio_line,
    run_child,
    run_reference,
    storm_yaml,
)

from msidbg.debugger import headless  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402

__all__ = ["storm_yaml", "workload_yaml", "run_storm", "main"]


def workload_yaml(workload: str, interrupts: int, platform: str = "") -> str:
    """The scenario text of a workload sized to about ``interrupts`` interrupts."""
    if workload == "anchor":
        return anchor_yaml(interrupts, platform)
    if platform:  # the Xen storm of benchmarks/xen.py: 8 devices x 4 vectors
        return storm_yaml(8, 4, 4, interrupts / 32 * 200e-6, 200, platform=platform, passthrough=True,
                          first_fire_ns=5_000_000)
    return storm_yaml(16, 8, 4, interrupts / 128 * 200e-6, 200)


def measure(text: str) -> dict[str, float]:
    """Run a scenario headless in this process; the figures the parent compares."""
    scn = load_scenario_text(text, "storm.yaml")
    t0, c0 = time.perf_counter(), time.process_time()
    res = headless.run(scn)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    summ = res.summary
    delivered = sum(v["delivered"] for d in summ["devices"].values() for v in d["vectors"])
    raised = sum(v["raised"] for d in summ["devices"].values() for v in d["vectors"])
    return {"delivered": delivered, "raised": raised, "events": summ["events"], "seconds": wall, "cpu": cpu,
            "int_per_s": delivered / wall, "int_per_cpu_s": delivered / cpu, "ev_per_s": summ["events"] / wall,
            "rss_mb": peak_rss_mb()}


def run_storm(text: str, title: str) -> int:
    """Run one storm headless here and print its figures; exit status 1 if a signal was lost."""
    r = measure(text)
    print(title)
    print(f"raised {r['raised']:,}  delivered {r['delivered']:,}  events {r['events']:,} in {r['seconds']:.2f} s")
    print(f"delivered interrupts/s: {r['int_per_s']:,.0f}   events/s: {r['ev_per_s']:,.0f}   "
          f"peak RSS: {r['rss_mb']:,.0f} MB")
    return 0 if r["delivered"] == r["raised"] else 1


def compare(script: str, workloads: list[str], interrupts: int, rounds: int, platform: str,
            reference: bool) -> int:
    """Interleave msidbg (``script --child``) with the references for each workload; print ratios."""
    status = 0
    refs = reference and perfanchor() is not None
    if reference and not refs:
        print("perfanchor references not found (set MSIDBG_PERFANCHOR / MSIDBG_ANCHOR_PYTHON): msidbg alone")
    for wl in workloads:
        runs = [("msidbg", lambda wl=wl: run_child(script, wl, str(interrupts), platform or "-"))]
        if refs:
            runs = [("SimPy", lambda: run_reference("A", 4 * interrupts)), runs[0],
                    ("heapq", lambda: run_reference("C", 4 * interrupts))]
        got = interleave(rounds, runs)
        mine = got["msidbg"]
        last = mine[-1]
        print(f"{wl}{' on ' + platform if platform else ''}: {last['delivered']:,} interrupts "
              f"({last['events']:,} events, {last['events'] / max(last['delivered'], 1):.1f} per interrupt), "
              f"{rounds} rounds, peak RSS {max(r['rss_mb'] for r in mine):,.0f} MB")
        ips = [r["int_per_s"] for r in mine]
        print(f"  msidbg: {', '.join(f'{x:,.0f}' for x in ips)} delivered interrupts/s")
        if refs:
            print("  " + ratio_line("msidbg / SimPy (A)", ips, [r["int_per_s"] for r in got["SimPy"]]))
            print("  " + ratio_line("msidbg / heapq (C)", ips, [r["int_per_s"] for r in got["heapq"]]))
            # the same rounds in CPU seconds (time.process_time around each run): on a loaded
            # machine the wall-clock ratio also carries how the scheduler shared the cores
            cps = [r["int_per_cpu_s"] for r in mine]
            print("  " + ratio_line("CPU time: msidbg / SimPy (A)", cps, [r["int_per_cpu_s"] for r in got["SimPy"]]))
            print("  " + ratio_line("CPU time: msidbg / heapq (C)", cps, [r["int_per_cpu_s"] for r in got["heapq"]]))
        if any(r["delivered"] != r["raised"] for r in mine):
            status = 1
    return status


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workload", choices=("anchor", "storm", "both"), default="both")
    ap.add_argument("--interrupts", type=int, default=160_000, help="per run, msidbg and reference alike")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-reference", action="store_true", help="msidbg alone")
    ap.add_argument("--child", nargs=3, metavar=("WORKLOAD", "N", "PLATFORM"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        wl, n, platform = a.child
        print(json.dumps(measure(workload_yaml(wl, int(n), "" if platform == "-" else platform))))
        return 0
    wls = ["anchor", "storm"] if a.workload == "both" else [a.workload]
    return compare("engine.py", wls, a.interrupts, a.rounds, "", not a.no_reference)


if __name__ == "__main__":
    sys.exit(main())
