"""SIGINT at random moments of a run's first fraction of a second (issue 11 item 11).

Starts ``msidbg run SCENARIO --headless`` N times, sends SIGINT after a random delay, and sorts
the outcomes: "one line, 130" (msidbg's handler), "before msidbg" (the interpreter had not run
msidbg's first line yet: Python's own start-up, which msidbg cannot reach), "finished" (the run
ended first), and anything else -- a traceback from msidbg's code, a hang, another status --
which makes the script exit 1.

    python benchmarks/sigint.py [--runs 80] [--max-delay 0.4] [SCENARIO]
"""

from __future__ import annotations

import argparse
import collections
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("msidbg"))


def outcome(code: int, err: str) -> str:
    if code == 130 and err == "msidbg: interrupted\n":
        return "one line, 130"
    if code in (0, 1) and not err:
        return "finished"
    ours = "/msidbg/" in err.replace(str(Path(EXE).parent), "")
    if not ours and (code in (-2, 1) or "KeyboardInterrupt" in err):
        return "before msidbg (Python's start-up)"
    return f"OTHER: exit {code}: {err.strip().splitlines()[-1][:100] if err.strip() else ''}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=80)
    ap.add_argument("--max-delay", type=float, default=0.4, help="seconds")
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "msi-torn-affinity-update.yaml"))
    args = ap.parse_args()
    seen: collections.Counter[str] = collections.Counter()
    for _ in range(args.runs):
        p = subprocess.Popen([EXE, "run", args.scenario, "--headless"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        time.sleep(random.uniform(0, args.max_delay))
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=30)
            seen[outcome(p.returncode, err.decode(errors="replace"))] += 1
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            seen["OTHER: hung"] += 1
    for what, n in seen.most_common():
        print(f"{n:5}  {what}")
    return 1 if any(k.startswith("OTHER") for k in seen) else 0


if __name__ == "__main__":
    sys.exit(main())
