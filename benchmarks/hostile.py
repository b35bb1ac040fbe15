"""Hostile files against issue 11's acceptance: every command answers a file of at most 1 MiB
within 256 MB and 10 s.

Runs each case of ``tests/hostile_cases.py`` (the worst scenario and snapshot files known: node
floods, alias bombs, megabyte integers, zlib and preallocation bombs, resealed worlds of a
million empty lists, FIFOs, /dev/zero; key bindings files that are a FIFO, /dev/zero or nested
60,000 deep) in a fresh process, interleaved with a baseline command
(``msidbg run`` of a one-device scenario: start-up and imports), and prints peak RSS, wall time
and the time over the baseline's. Exit 1 if a case goes over a limit.

    python benchmarks/hostile.py [--rounds 1] [--only SUBSTRING]

Wall times depend on the machine's load: compare a case with the baseline measured next to it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_cases import GOOD, Measured, measure, write_cases  # noqa: E402

RSS_LIMIT_MB, TIME_LIMIT_S = 256, 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=1, help="measure each case this many times (best counts)")
    ap.add_argument("--only", default="", help="only the cases whose name contains this")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        base = d / "baseline.yaml"
        base.write_text(GOOD)
        cases = [c for c in write_cases(d) if args.only in c.name]
        worst = 0
        print(f"{'case':52} {'exit':>4} {'peak RSS':>10} {'time':>8} {'baseline':>9} {'over':>7}")
        for c in cases:
            runs: list[tuple[Measured, Measured]] = []
            for _ in range(args.rounds):
                runs.append((measure(["run", str(base), "--headless"]), measure(c.args, env=c.env)))
            b = min(r[0].seconds for r in runs)
            m = min((r[1] for r in runs), key=lambda x: x.seconds)
            bad = m.rss_mb > RSS_LIMIT_MB or m.seconds > TIME_LIMIT_S or m.code == 3 or m.code < 0
            worst = max(worst, int(bad))
            print(f"{c.name:52} {m.code:>4} {m.rss_mb:>7.1f} MB {m.seconds:>6.2f} s {b:>7.2f} s "
                  f"{m.seconds - b:>5.2f} s{'  OVER A LIMIT' if bad else ''}")
            if m.code not in (0, 1, 2):
                print(f"    {m.stderr.strip()[:200]}")
        print(f"\nlimits: {RSS_LIMIT_MB} MB peak RSS, {TIME_LIMIT_S:.0f} s wall: "
              f"{f'all {len(cases)} cases within' if not worst else 'SOME CASES OVER'}")
        return worst


if __name__ == "__main__":
    sys.exit(main())
