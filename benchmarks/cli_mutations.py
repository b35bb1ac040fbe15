"""Every reading command against mutated inputs, in this process: a field-by-field pass, not a size attack.

``benchmarks/hostile.py`` measures the worst files known (RSS, time); this one looks for answers
that are not one line: it mutates a good input -- every field of a snapshot (each of a set of wrong
values, or removed; resealed), random paths of a snapshot's world (resealed, ``state_hash`` too),
every path of a scenario (wrong values, removed) -- and runs each command that reads that kind of
file on it through ``msidbg.cli.main``. A case is bad when the command exits 3 (internal error) or
escapes with an exception, when a failing command prints other than one line on stderr, or when a
command refused the input (exit 2) but left its output file behind.

    python benchmarks/cli_mutations.py [--only snapshot|world|scenario] [--limit N] [--seed S]
        [--snapshot FILE.msgpack] [--scenario FILE.yaml]

hardening18 ran it on msi-torn-affinity-update.msgpack (713 mutations x 11 commands),
xen-pirq-reuse-nvme.msgpack (600 world mutations x 8) and four scenarios (about 28,000 command runs):
nothing bad. hardening19 added explore, why --what-if and a pct run to the scenario commands and ran
them on a Xen 4.1.6 HVM scenario setting platform.xen_hvm_inject_msi (7,182 runs) and an INTx scenario
with kernel.irqfixup: irqpoll, kernel.dying_irqs_off: play-dead and a cpu_offline (11,457 runs):
nothing bad. Exit 1 if a case is bad.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import msgpack  # noqa: E402
import yaml  # noqa: E402

from msidbg import cli  # noqa: E402
from msidbg.debugger.snapshot import seal  # noqa: E402
from msidbg.sim.world import pack_world, state_hash, unpack_world  # noqa: E402

VALUES: list[Any] = [None, True, -1, 0, 2**64 - 1, -(2**63), 1.5, "x", "", b"x", [], {}, [None], {"a": 1},
                     "\x1b[31m", 10**6]
SCENARIO_VALUES: list[Any] = [None, True, -1, 0, 2**64, 1.5, "x", "", [], {}, [None], {"a": 1}, "9" * 5000,
                              [1] * 5000, 1e308, float("nan"), "-1", "0x"]
SNAPSHOT_COMMANDS = [["replay", "F"], ["replay", "--no-verify", "F"], ["replay", "--json", "--no-verify", "F"],
                     ["replay", "--scenario", "-o", "OUT/s.yaml", "F"], ["why", "F"], ["why", "--no-verify", "F"],
                     ["report", "-o", "OUT/r.txt", "F"], ["report", "--no-verify", "-o", "OUT/r.txt", "F"],
                     ["export", "--perfetto", "OUT/t.pftrace", "F"], ["diff", "F", "GOOD"], ["open", "--no-verify", "F"]]
SCENARIO_COMMANDS = [["check", "F"], ["run", "--headless", "--save", "OUT/s.msgpack", "F"], ["why", "F"],
                     ["report", "-o", "OUT/r.txt", "F"], ["export", "--perfetto", "OUT/t.pftrace", "F"],
                     ["diff", "F", "GOOD"], ["explore", "--runs", "3", "--jobs", "1", "--save-failing", "OUT/f", "F"],
                     ["why", "--what-if", "--what-if-budget", "2", "F"], ["run", "--headless", "--schedule", "pct", "F"]]


class Runner:
    def __init__(self, work: Path) -> None:
        self.work, self.out, self.bad, self.runs = work, work / "out", [], 0

    def call(self, args: list[str], label: str) -> None:
        shutil.rmtree(self.out, ignore_errors=True)
        self.out.mkdir()
        args = [a.replace("OUT/", f"{self.out}/") for a in args]
        err, out = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code: Any = cli.main(args)
        except BaseException as e:  # noqa: BLE001 - what escapes main is what this looks for
            code = f"raised {e!r}"[:200]
        self.runs += 1
        text = err.getvalue()
        lines = [line for line in text.splitlines() if line.strip()]
        problems = []
        if not isinstance(code, int) or code == 3:
            problems.append(f"exit {code}")
        elif code not in (0, 1) and len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr")
        if "Traceback" in text:
            problems.append("a traceback")
        if code == 2 and any(self.out.iterdir()):
            problems.append(f"left {sorted(p.name for p in self.out.iterdir())}")
        if problems:
            self.bad.append(label)
            print(f"BAD {label}: msidbg {' '.join(args)}: {', '.join(problems)} | {text.strip()[-300:]!r}", flush=True)


def _paths(x: Any, prefix: tuple[Any, ...] = (), width: int = 10**9) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, prefix + (k,), width)
    elif isinstance(x, list):
        for i, v in enumerate(x[:width]):
            yield from _paths(v, prefix + (i,), width)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    t = doc
    for k in path[:-1]:
        t = t[k]
    if value is KeyError:
        del t[path[-1]]
    else:
        t[path[-1]] = value
    return doc


def snapshot_fields(r: Runner, good: Path, limit: int) -> None:
    doc = msgpack.unpackb(good.read_bytes(), raw=False)
    f = r.work / "mutated.msgpack"
    paths = [p for p in _paths(doc, width=1) if 1 <= len(p) <= 3 and p[0] != "sha256"]
    cases = [(p, v) for p in paths for v in [*VALUES, KeyError] if not (v is KeyError and isinstance(p[-1], int))]
    for p, v in cases[:limit]:
        f.write_bytes(seal(_set(doc, p, v)))
        for c in SNAPSHOT_COMMANDS:
            r.call([str(f) if a == "F" else str(good) if a == "GOOD" else a for a in c],
                   f"{'.'.join(map(str, p))}={'(removed)' if v is KeyError else repr(v)[:40]}")


def snapshot_world(r: Runner, good: Path, limit: int, rnd: random.Random) -> None:
    doc = msgpack.unpackb(good.read_bytes(), raw=False)
    world = unpack_world(doc["world"])
    paths = list(_paths(world, width=6))[1:]
    f = r.work / "world.msgpack"
    commands = [c for c in SNAPSHOT_COMMANDS if "--no-verify" in c] + [["replay", "F"], ["diff", "F", "GOOD"]]
    for _ in range(limit):
        w, labels = copy.deepcopy(world), []
        for _ in range(rnd.choice([1, 1, 2, 3])):
            p = rnd.choice(paths)
            v = KeyError if rnd.random() < .15 else rnd.choice(VALUES)
            try:
                w = _set(w, p, v)
            except (KeyError, IndexError, TypeError):
                continue
            labels.append(f"world.{'.'.join(map(str, p))}={'(removed)' if v is KeyError else repr(v)[:40]}")
        f.write_bytes(seal(dict(doc, world=pack_world(w), state_hash=state_hash(w))))
        for c in commands:
            r.call([str(f) if a == "F" else str(good) if a == "GOOD" else a for a in c], "; ".join(labels))


def scenario_paths(r: Runner, good: Path, limit: int) -> None:
    doc = yaml.safe_load(good.read_text())
    f = r.work / "mutated.yaml"
    cases = [(p, v) for p in list(_paths(doc))[1:] for v in [*SCENARIO_VALUES, KeyError]]
    for p, v in cases[:limit]:
        try:
            text = yaml.safe_dump(_set(doc, p, v), width=10**9)
        except (yaml.YAMLError, ValueError):
            continue
        f.write_text(text)
        for c in SCENARIO_COMMANDS:
            r.call([str(f) if a == "F" else str(good) if a == "GOOD" else a for a in c],
                   f"{'.'.join(map(str, p))}={'(removed)' if v is KeyError else repr(v)[:40]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["snapshot", "world", "scenario"])
    ap.add_argument("--limit", type=int, default=10**9, help="at most N mutations of each family")
    ap.add_argument("--seed", type=int, default=1, help="the world mutations' seed")
    ap.add_argument("--snapshot", default=str(ROOT / "snapshots" / "msi-torn-affinity-update.msgpack"))
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "xen-hvm-msix-mask-late.yaml"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = Runner(Path(tmp))
        if args.only in (None, "snapshot"):
            snapshot_fields(r, Path(args.snapshot), args.limit)
        if args.only in (None, "world"):
            snapshot_world(r, Path(args.snapshot), min(args.limit, 300), random.Random(args.seed))
        if args.only in (None, "scenario"):
            scenario_paths(r, Path(args.scenario), args.limit)
        print(f"{r.runs} command runs, {len(r.bad)} bad")
        return 1 if r.bad else 0


if __name__ == "__main__":
    sys.exit(main())
