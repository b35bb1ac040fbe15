"""Interrupt storm, headless: 16 devices x 8 MSI-X vectors on 4 CPUs, every vector firing
every 200 us for 1 s of virtual time (640,000 interrupts), every built-in breakpoint armed.

Prints delivered interrupts per wall second, events per second and peak RSS.
Target (issue 2): >= 40,000 delivered interrupts/s on the 2-core reference machine.

    python benchmarks/engine.py [--devices 16] [--vectors 8] [--cpus 4] [--seconds 1]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

from msidbg.debugger import headless
from msidbg.model.hits import IMPLEMENTED
from msidbg.scenario import load_scenario_text


def storm_yaml(devices: int, vectors: int, cpus: int, seconds: float, period_us: int,
               platform: str = "", passthrough: bool = False, first_fire_ns: int = 1_000_000) -> str:
    """A storm scenario: every vector of every NIC fires every ``period_us`` for ``seconds``."""
    count = int(seconds * 1_000_000 // period_us)
    lines = ["name: storm", f"cpus: {cpus}", *([f"platform: {{kind: {platform}}}"] if platform else []), "devices:"]
    pt = "passthrough: true, " if passthrough else ""
    for d in range(devices):
        lines.append(f'  nic{d}: {{bdf: "{d // 32:02x}:{d % 32:02x}.0", kind: nic, {pt}msix: {{table_size: {vectors}}}}}')
    lines.append("run:")
    for d in range(devices):
        lines.append(f"  - {{at: 0, on: {d % cpus}, do: probe, dev: nic{d}, mode: msix, vectors: {vectors}}}")
    for d in range(devices):
        for v in range(vectors):
            start_ns = first_fire_ns + (d * vectors + v) * 1500
            lines.append(f"  - {{at: {start_ns}, do: fire, dev: nic{d}, vector: {v}, count: {count}, "
                         f"every: {period_us}us}}")
    lines.append(f"breakpoints: [{', '.join(sorted(IMPLEMENTED))}]")
    return "\n".join(lines) + "\n"


def storm_args(doc: str, devices: int, vectors: int, seconds: float) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=devices)
    ap.add_argument("--vectors", type=int, default=vectors)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=seconds, help="virtual seconds of firing")
    ap.add_argument("--period-us", type=int, default=200)
    return ap.parse_args()


def run_storm(text: str, title: str) -> int:
    """Run a storm headless and print the figures; exit status 1 if any interrupt was lost."""
    scn = load_scenario_text(text, "storm.yaml")
    t0 = time.perf_counter()
    res = headless.run(scn, progress=sys.stderr if sys.stderr.isatty() else None)
    wall = time.perf_counter() - t0
    summ = res.summary
    delivered = sum(v["delivered"] for d in summ["devices"].values() for v in d["vectors"])
    raised = sum(v["raised"] for d in summ["devices"].values() for v in d["vectors"])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(title)
    print(f"raised {raised:,}  delivered {delivered:,}  armed hits {len(summ['hits'])}")
    print(f"events {summ['events']:,} in {wall:.2f} s wall")
    print(f"delivered interrupts/s: {delivered / wall:,.0f}")
    print(f"events/s:               {summ['events'] / wall:,.0f}")
    print(f"peak RSS:               {rss_mb:,.0f} MB")
    return 0 if delivered == raised else 1


def main() -> int:
    a = storm_args(__doc__ or "", devices=16, vectors=8, seconds=1.0)
    return run_storm(storm_yaml(a.devices, a.vectors, a.cpus, a.seconds, a.period_us),
                     f"storm: {a.devices} devices x {a.vectors} vectors, {a.cpus} CPUs, "
                     f"{a.seconds:g} s virtual, every {a.period_us} us")


if __name__ == "__main__":
    sys.exit(main())
