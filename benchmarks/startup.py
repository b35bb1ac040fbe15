"""Start-up: a whole ``msidbg run FILE --headless`` process against ``python -c pass``, interleaved.

A short scenario's run is mostly start-up (interpreter, imports, scenario loading). Target:
the whole process <= 150 ms. Each round runs ``python -c pass`` (the interpreter alone: the
reference, with the same site setup) and the msidbg command, in that order, in fresh
processes with the caller's environment (so ``PYTHONDONTWRITEBYTECODE``, when set, applies to
both). Prints the medians of wall and CPU time (user + sys) and msidbg minus the reference.

    python benchmarks/startup.py [--rounds 15] [--scenario scenarios/msix-write-while-unmasked.yaml]
    python benchmarks/startup.py --against /tmp/ref-checkout    # also another tree, interleaved

``--against DIR`` runs DIR's msidbg in the same rounds (the same ``msidbg`` script with
``PYTHONPATH=DIR``: it imports DIR's ``msidbg._boot``), alternating with this tree's command, and
prints this tree / DIR.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one process run to completion."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--scenario", default="scenarios/msix-write-while-unmasked.yaml")
    ap.add_argument("--against", metavar="DIR", help="another checkout of msidbg to time in the same rounds")
    a = ap.parse_args()
    exe = shutil.which("msidbg", path=str(Path(sys.executable).parent)) or "msidbg"
    cmd = [exe, "run", a.scenario, "--headless"]
    other = None
    # this tree's command runs with the caller's PYTHONPATH (a worktree over a shared venv: the
    # worktree, not the venv's installed msidbg), restored after each run of DIR's
    mine_path = os.environ.get("PYTHONPATH")

    def ours() -> None:
        if mine_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = mine_path

    if a.against:
        other = [exe, "run", str(ROOT / a.scenario), "--headless"]
        os.environ["PYTHONPATH"] = a.against
        timed(other)
        ours()
    timed(cmd)  # a first run fills the bytecode cache (see msidbg/_boot.py)
    ref, mine, theirs = [], [], []
    for i in range(a.rounds):
        ref.append(timed([sys.executable, "-c", "pass"]))
        first = i % 2 == 0 and other is not None
        if first:
            mine.append(timed(cmd))
        if other is not None:
            os.environ["PYTHONPATH"] = a.against
            theirs.append(timed(other))
            ours()
        if not first:
            mine.append(timed(cmd))

    def med(xs: list[tuple[float, float]], i: int) -> float:
        return statistics.median(x[i] for x in xs) * 1000

    print(f"{' '.join(cmd[1:])}  ({a.rounds} rounds, PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})")
    print(f"  msidbg           wall {med(mine, 0):6.0f} ms   cpu {med(mine, 1):6.0f} ms")
    print(f"  python -c pass   wall {med(ref, 0):6.0f} ms   cpu {med(ref, 1):6.0f} ms")
    print(f"  msidbg - pass    wall {med(mine, 0) - med(ref, 0):6.0f} ms   cpu {med(mine, 1) - med(ref, 1):6.0f} ms")
    if theirs:
        print(f"  {a.against}: wall {med(theirs, 0):6.0f} ms   cpu {med(theirs, 1):6.0f} ms")
        print(f"  this tree / it:  wall {med(mine, 0) / med(theirs, 0):6.2f}      cpu {med(mine, 1) / med(theirs, 1):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
