"""Interrupt storm on Xen HVM, headless: passthrough NICs whose signals go device -> Xen ->
pirq -> event channel -> upcall -> handler. 8 devices x 4 MSI-X vectors on 4 vCPUs, every
vector firing every 200 us for 0.5 s of virtual time (80,000 interrupts).

Prints delivered interrupts per wall second (each costs about twice the events of bare metal).

    python benchmarks/xen.py [--devices 8] [--vectors 4] [--cpus 4] [--seconds 0.5]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import run_storm, storm_args, storm_yaml  # noqa: E402  (the bare-metal storm, on Xen)


def main() -> int:
    a = storm_args(__doc__ or "", devices=8, vectors=4, seconds=0.5)
    text = storm_yaml(a.devices, a.vectors, a.cpus, a.seconds, a.period_us,
                      platform="xen-hvm", passthrough=True, first_fire_ns=5_000_000)
    return run_storm(text, f"xen storm: {a.devices} devices x {a.vectors} vectors, {a.cpus} vCPUs, "
                           f"{a.seconds:g} s virtual, every {a.period_us} us")


if __name__ == "__main__":
    sys.exit(main())
