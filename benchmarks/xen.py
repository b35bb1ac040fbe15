"""Interrupt storm on Xen HVM, headless: passthrough NICs whose signals go device -> Xen ->
pirq -> event channel -> upcall -> handler. 8 devices x 4 MSI-X vectors on 4 vCPUs, every
vector firing every 200 us for 0.5 s of virtual time (80,000 interrupts).

Prints delivered interrupts per wall second (each costs about twice the events of bare metal).

    python benchmarks/xen.py [--devices 8] [--vectors 4] [--cpus 4] [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import sys
import time

from msidbg.debugger import headless
from msidbg.model.hits import IMPLEMENTED
from msidbg.scenario import load_scenario_text


def storm_yaml(devices: int, vectors: int, cpus: int, seconds: float, period_us: int) -> str:
    count = int(seconds * 1_000_000 // period_us)
    lines = ["name: xen-storm", f"cpus: {cpus}", "platform: {kind: xen-hvm}", "devices:"]
    for d in range(devices):
        lines.append(f'  nic{d}: {{bdf: "{d // 32:02x}:{d % 32:02x}.0", kind: nic, passthrough: true, '
                     f"msix: {{table_size: {vectors}}}}}")
    lines.append("run:")
    for d in range(devices):
        lines.append(f"  - {{at: 0, on: {d % cpus}, do: probe, dev: nic{d}, mode: msix, vectors: {vectors}}}")
    for d in range(devices):
        for v in range(vectors):
            start_ns = 5_000_000 + (d * vectors + v) * 1500
            lines.append(f"  - {{at: {start_ns}, do: fire, dev: nic{d}, vector: {v}, count: {count}, "
                         f"every: {period_us}us}}")
    lines.append(f"breakpoints: [{', '.join(sorted(IMPLEMENTED))}]")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devices", type=int, default=8)
    ap.add_argument("--vectors", type=int, default=4)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=0.5, help="virtual seconds of firing")
    ap.add_argument("--period-us", type=int, default=200)
    args = ap.parse_args()
    scn = load_scenario_text(storm_yaml(args.devices, args.vectors, args.cpus, args.seconds, args.period_us),
                             "xen-storm.yaml")
    t0 = time.perf_counter()
    res = headless.run(scn, progress=sys.stderr if sys.stderr.isatty() else None)
    wall = time.perf_counter() - t0
    summ = res.summary
    delivered = sum(v["delivered"] for d in summ["devices"].values() for v in d["vectors"])
    raised = sum(v["raised"] for d in summ["devices"].values() for v in d["vectors"])
    print(f"xen storm: {args.devices} devices x {args.vectors} vectors, {args.cpus} vCPUs, "
          f"{args.seconds:g} s virtual, every {args.period_us} us")
    print(f"raised {raised:,}  delivered {delivered:,}  armed hits {len(summ['hits'])}")
    print(f"events {summ['events']:,} in {wall:.2f} s wall")
    print(f"delivered interrupts/s: {delivered / wall:,.0f}")
    return 0 if delivered == raised else 1


if __name__ == "__main__":
    sys.exit(main())
