"""A seeded mutation fuzzer of the command line over scenario YAMLs and snapshot files.

``tests/fuzz.py`` fuzzes the loaders and the Session in-process (Hypothesis); this one mutates the
shipped scenarios and snapshots (text lines, values, bytes, msgpack fields, re-sealed or not) and
runs the commands a stranger's file reaches -- run --save, check, export --perfetto, report -o,
why, explore --save-failing (one job, a few runs), replay (--no-verify, --scenario -o); and new on damaged lspci/interrupts/dmesg texts, whose
scenario must then run -- through ``msidbg.cli.main`` in this process. Each case
must either work (exit 0 or 1) or be refused as the contract says bad input is (exit 2, the last
stderr line ``msidbg: FILE...: ... (expected ...)`` naming the file), never exit 3 (an internal
error), never a traceback, never run past ``--hang`` seconds, never leave an output file (or the
temporary file of an atomic write) behind a refusal. On demand::

    python tests/fuzz_cli.py [--seed 1] [--cases 300] [--only scenario|snapshot|new|explore] [--command VERB] [--hang 20] [-v]

``--only explore`` (hardening30) fuzzes explore's options and its worker pool instead: hostile and
small values of every option (--runs, --jobs up to 3, --time, --shrink-time, --strategy, --depth,
--window, --until, --until-stable, --seed, --max-events, --all, --json, --save-failing), each case
a real ``python -m msidbg.cli explore`` process in its own session (the pool forks there), killed
with its workers past ``--hang``. Besides the rules above: no worker process outlives the command,
--json prints one JSON object, stdout and stderr stay bounded, --save-failing holds only sealed
snapshots (or does not exist), and nothing else is left in the case's folder.

prints each finding (the case's seed, its command and what broke; the input is kept in --out DIR)
and a tally. ``tests/test_hardening28.py`` runs a few dozen cases of it in the suite.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from msidbg.cli import main as cli_main  # noqa: E402
from msidbg.debugger import snapshot as snap  # noqa: E402

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
#: bug-report artifacts ``msidbg new`` reads: (lspci, interrupts, dmesg) texts
ARTIFACTS = ROOT / "tests" / "bugio" / "data"
REPORTS = [("workstation-lspci.txt", "workstation-interrupts.txt", "workstation-dmesg.txt"),
           ("seed-82599vf.txt", "aws-m4-interrupts.txt", "aws-m4-dmesg.txt"),
           ("held/pciback-gpu-lspci.txt", None, "held/qubes-journal-dmesg.txt"),
           ("held/numeric-lspci.txt", None, None), ("held/x520-path-lspci.txt", None, None)]
SNAPSHOTS = sorted((ROOT / "snapshots").glob("*.msgpack"))
#: values a stranger's file puts where a number, a name or a list belongs
HOSTILE = ["-1", "0", "99999999999999999999999", "1e400", "nan", ".inf", "-.inf", "0x" + "f" * 40, "[]", "{}",
           "null", "''", '"\\u202e\\x1b[2J"', "[1, 2]", "{a: 1}", "true", "1.5", "-0", "1ms", "999999999s",
           "5000000000000ns", "~", "!!binary aGk=", "18446744073709551616", "9223372036854775808",
           "-9223372036854775809", "1_000", "0o17", "0b1", "1:2:3", "[[[[[]]]]]", "\"a\\nb\"", "'%s%n'",
           "-1us", "1e3", "2**64", "[" + ", ".join(["0"] * 300) + "]", "0x7fffffffffffffff"]
#: breakpoint specs a stranger's snapshot or --break gives
SPECS = ["if 1 +", "if cpu[0].irr_count + 1 > 2", "watch cpu[99999999999999999999].irr", "if " + "(" * 60 + "1" + ")" * 60,
         "call " + "x" * 5000, "watch world", "if event.kind == 'nosuch'", "irq-lost if 1 <", "if '\x1b[2J' in event.kind",
         "watch devices[[0]]", "if len(world) > 0", "if x = 1", "nosuch-breakpoint", "", "  ", "if \udc80 == 1",
         "watch cpus[0].irr[0x100]", "if event.time > 1ms", "call request_irq if event.dev == 'eth0'"]
LEAVES: list[Any] = [None, True, -1, 0, 2**64 - 1, -(2**63), 2**63, 1.5, float("nan"), "", "\x1b[2J", "a\nb",
                     "\u202e", b"\x00\xff", [], {}, [[[]]], {"": None}, "x" * 5000, list(range(300))]


def mutate_text(text: str, rng: random.Random) -> str:
    """A bug report's text damaged as a mail or a copy damages it: lines dropped, repeated, cut,
    numbers replaced, bytes changed."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        how = rng.randrange(6)
        if how == 0:
            del lines[i]
            lines = lines or [""]
        elif how == 1:
            lines.insert(i, lines[i] * rng.choice([1, 2, 50]))
        elif how == 2:
            lines[i] = lines[i][:rng.randrange(len(lines[i]) + 1)]
        elif how == 3:
            nums = list(re.finditer(r"[0-9a-fA-F]+", lines[i]))
            if nums:
                m = rng.choice(nums)
                lines[i] = lines[i][:m.start()] + rng.choice(["0", "ffffffffffffffffffff", "-1", "99999999999999999999",
                                                              "g", "", "0x", "1e9"]) + lines[i][m.end():]
        elif how == 4:
            b = bytearray(lines[i].encode("utf-8", "surrogateescape"))
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
            lines[i] = b.decode("utf-8", "surrogateescape")
        else:
            lines[i] = lines[i].replace(" ", "\t") if rng.random() < 0.5 else "\x1b[2J" + lines[i]
    return "\n".join(lines)


def mutate_yaml(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
        how = rng.randrange(10)
        i = rng.randrange(len(lines))
        line = lines[i]
        if how in (0, 1, 2, 8, 9):   # a value replaced (block 'key: v' or flow '{k: v, ...}')
            spots = [m for m in re.finditer(r"(?<=: )[^,{}\n#]+", line)]
            if spots:
                m = rng.choice(spots)
                lines[i] = line[:m.start()] + rng.choice(HOSTILE) + line[m.end():]
        elif how == 3:
            del lines[i]
            if not lines:
                lines = [""]
        elif how == 4:
            lines.insert(i, line)
        elif how == 5:   # a key misspelt
            m = re.search(r"[a-z_]+(?=:)", line)
            if m:
                lines[i] = line[:m.start()] + m.group()[::-1] + line[m.end():]
        elif how == 6:   # indentation broken
            lines[i] = (" " * rng.randint(0, 5)) + line.lstrip()
        else:   # bytes
            b = bytearray(line.encode("utf-8", "surrogatepass"))
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
            lines[i] = b.decode("utf-8", "surrogateescape")
    out = "\n".join(lines)
    if rng.random() < 0.1:
        out = out[:rng.randrange(len(out) + 1)]
    return out


def _leaf_paths(doc: Any, path: tuple[Any, ...] = (), depth: int = 0) -> Iterator[tuple[Any, ...]]:
    yield path
    if depth > 6:
        return
    if isinstance(doc, dict):
        for k, v in list(doc.items())[:40]:
            yield from _leaf_paths(v, (*path, k), depth + 1)
    elif isinstance(doc, list):
        for j, v in list(enumerate(doc))[:8]:
            yield from _leaf_paths(v, (*path, j), depth + 1)


def mutate_snapshot(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.25:   # byte-level damage (the digest then refuses most of it)
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b[:rng.choice([len(b), rng.randrange(len(b) + 1)])])
    doc = msgpack.unpackb(data, raw=False, strict_map_key=False)
    if rng.random() < 0.4:   # the scenario text, its sha256 kept true (the replay then runs the changed text)
        import hashlib

        scn = doc["scenario"]
        scn["text"] = mutate_yaml(scn["text"], rng).encode("utf-8", "replace").decode("utf-8")
        scn["sha256"] = hashlib.sha256(scn["text"].encode("utf-8", "surrogatepass")).hexdigest()
        return _pack(doc, True)
    if rng.random() < 0.2 and doc.get("breakpoints"):   # a breakpoint spec from a stranger
        doc["breakpoints"][0]["spec"] = rng.choice(SPECS)
        return _pack(doc, True)
    for _ in range(1 if rng.random() < 0.7 else rng.randint(2, 3)):
        paths = [p for p in _leaf_paths(doc) if p]
        p = rng.choice(paths)
        parent = doc
        for k in p[:-1]:
            parent = parent[k]
        how = rng.randrange(4)
        if how == 0 and isinstance(parent, dict):
            del parent[p[-1]]
        elif how == 1 and isinstance(parent[p[-1]], int) and not isinstance(parent[p[-1]], bool):
            parent[p[-1]] = rng.choice([-1, 0, parent[p[-1]] + 1, parent[p[-1]] - 1, 2**63, 2**64 - 1])
        elif how == 2 and isinstance(parent[p[-1]], str) and p[-1] == "scenario":
            parent[p[-1]] = mutate_yaml(parent[p[-1]], rng)
        else:
            parent[p[-1]] = rng.choice(LEAVES)
    return _pack(doc, rng.random() < 0.75)


def _pack(doc: dict[str, Any], sealed: bool) -> bytes:
    """The document as a file, sealed or not; text msgpack cannot encode (a lone surrogate) goes as
    its UTF-8 bytes with the surrogates escaped, which the reader must refuse in one line."""
    try:
        return snap.seal(doc) if sealed else msgpack.packb(doc, use_bin_type=True)
    except UnicodeEncodeError:
        fixed = msgpack.unpackb(msgpack.packb(doc, use_bin_type=True, unicode_errors="surrogateescape"), raw=False,
                                strict_map_key=False, unicode_errors="replace")
        return snap.seal(fixed) if sealed else msgpack.packb(fixed, use_bin_type=True)


def scenario_commands(f: str, out: str, spec: str) -> list[list[str]]:
    return [["run", f, "--headless", "--max-events", "4000", "--save", f"{out}.msgpack"],
            ["run", f, "--json", "--max-events", "4000"],
            ["check", f, "--max-events", "4000"],
            ["export", f, "--perfetto", f"{out}.pftrace", "--max-events", "3000"],
            ["report", f, "--max-events", "3000", "-o", f"{out}.txt"],
            ["why", f, "--max-events", "3000"],
            ["run", f, "--headless", "--max-events", "3000", "--break", spec],
            # one worker (here, in this process), a few runs and seconds: explore's bounds, not its search
            ["explore", f, "--runs", "4", "--jobs", "1", "--time", "5s", "--shrink-time", "5s", "--max-events", "3000",
             "--save-failing", f"{out}.d"]]


def snapshot_commands(f: str, out: str) -> list[list[str]]:
    return [["replay", f], ["replay", f, "--no-verify", "--json"], ["replay", f, "--scenario", "-o", f"{out}.yaml"],
            ["report", f, "-o", f"{out}.txt"], ["report", f, "--no-verify", "--markdown"],
            ["export", f, "--perfetto", f"{out}.pftrace"], ["why", f], ["why", f, "--no-verify"]]


class Hang(BaseException):
    pass


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def ring(signum: int, frame: Any) -> None:
        raise Hang
    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_cli(argv: list[str], hang: float) -> tuple[int | str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            with deadline(hang):
                code: int | str = cli_main(argv)
        except SystemExit as e:
            code = int(e.code or 0)
        except Hang:
            code = "hang"
    return code, out.getvalue(), err.getvalue()


@dataclass
class Finding:
    case: int
    argv: list[str]
    what: str
    kept: str


@dataclass
class Tally:
    cases: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def judge(argv: list[str], path: str, folder: Path, code: int | str, err: str) -> str | None:
    """What broke, or None."""
    if code == "hang":
        return "no answer within the deadline (a hang)"
    if code not in (0, 1, 2):
        return f"exit {code}: {err.strip()[-300:]}"
    if "Traceback" in err:
        return "a traceback on stderr"
    left = sorted(p.name for p in folder.iterdir() if p.name != Path(path).name and not p.name.startswith("in"))
    temps = [n for n in left if not n.startswith("out.")]
    if temps:
        return f"files left beside the output: {temps}"
    if code == 2:
        lines = err.splitlines()
        if not lines:
            return "exit 2 with nothing on stderr"
        last = lines[-1]
        named = (last.startswith(f"msidbg: {path}") or ("--break" in argv and last.startswith(f"msidbg: {argv[0]}: argument --break: "))
                 or (argv[0] == "new" and last.startswith(f"msidbg: {Path(path).parent}/in_")))
        if not named or "(expected " not in last or not last.isprintable():
            return f"exit 2 not in the one-line form naming the file: {last[:300]!r}"
        outs = [n for n in left if n.startswith("out.")]
        if outs:
            return f"exit 2 left an output: {outs}"
    if argv[0] == "explore" and (folder / "out.d").exists():
        saved = sorted(p.name for p in (folder / "out.d").iterdir())
        if code != 1 or not saved or any(not n.endswith(".msgpack") for n in saved):
            return f"explore (exit {code}) left --save-failing's folder holding {saved}"
    return None


#: explore's options: (option, values that run, values to refuse); None: a flag
EXPLORE_OPTIONS: list[tuple[str, list[str] | None, list[str]]] = [
    ("--runs", ["1", "2", "5", "12"], ["0", "-1", "1_0", "99999999999999999999", "", "nan"]),
    ("--jobs", ["1", "2", "3"], ["0", "257", "-2", "x", "1.5"]),
    ("--time", ["1s", "2s", "300ms", "7d"], ["0s", "-1s", "nan", "1e400", "inf", "8d", "1y", "0.001ms", ""]),
    ("--shrink-time", ["1s", "500ms", "0.2"], ["0", "-1s", "nan", "10000000h"]),
    ("--strategy", ["random", "pct", "delay"], ["ordered", "PCT", ""]),
    ("--depth", ["1", "3", "64"], ["0", "65", "-3", "9" * 30]),
    ("--window", ["0", "10us", "1ms", "1s"], ["2s", "-1us", "1_0us", "nan", "1e400ns", "10parsecs"]),
    ("--until", ["irq-lost", "irq-spurious", "msi-torn-message", "if event.time > 1ms", "call request_irq"], SPECS),
    ("--until-stable", ["1", "2"], ["0", "-1"]),
    ("--seed", ["0", "7", "9223372036854775807"], ["9223372036854775808", "-1", "1_0", "0x1"]),
    ("--max-events", ["1", "50", "2000"], ["0", "-1", "4611686018427387905"]),
    ("--all", None, []),
    ("--json", None, []),
]
#: what one explore case may print (bytes): its report, or its JSON result
MAX_OUT, MAX_ERR = 256 * 1024, 8 * 1024


def explore_argv(rng: random.Random, path: str, folder: Path) -> list[str]:
    """An explore command line: small budgets by default (each run capped, few runs, short times,
    at most three workers), then a few options given a value from EXPLORE_OPTIONS."""
    argv = ["explore", path, "--runs", str(rng.randint(1, 5)), "--jobs", str(rng.choice([1, 2, 2, 3])),
            "--time", "2s", "--shrink-time", "2s", "--max-events", str(rng.choice([500, 2000, 4000]))]
    for option, good, bad in rng.sample(EXPLORE_OPTIONS, rng.randint(1, 4)):
        if good is None:
            argv.append(option)
            continue
        value = rng.choice(bad if rng.random() < 0.15 else good)
        # '--x=VALUE' so that a value starting with '-' is one (argparse takes '-1' for an option)
        argv += [f"{option}={value}"] if value.startswith("-") or not value else [option, value]
    if "--json" not in argv and rng.random() < 0.5:
        argv.append("--json")       # (the JSON result's rerun commands are then re-run: judge_explore)
    if rng.random() < 0.6:
        where = rng.choice(["out.d"] * 8 + ["in.yaml", "nodir/out.d", "out.d/../out.d"])
        argv += ["--save-failing", str(folder / where)]
    return argv


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_process(argv: list[str], hang: float) -> tuple[int | str, str, str, bool]:
    """``python -m msidbg.cli ARGV`` in its own session: (exit, stdout, stderr, whether any process
    of its session -- a worker -- was still there after it exited). Killed with its group past ``hang``."""
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("MSIDBG_DEBUG", "COLUMNS")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen([sys.executable, "-m", "msidbg.cli", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, cwd=str(ROOT),
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=hang)
        code: int | str = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = "hang"
    left = False
    for _ in range(40):     # a worker notices its parent's exit within half a second (pool._watch_parent)
        left = _alive(proc.pid)
        if not left:
            break
        time.sleep(0.1)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    return code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), left


def judge_explore(argv: list[str], path: str, folder: Path, code: int | str, out: str, err: str,
                  left: bool) -> str | None:
    if code == "hang":
        return "no answer within the deadline (a hang)"
    if left:
        return "a worker process outlived the command"
    if code not in (0, 1, 2):
        return f"exit {code}: {err.strip()[-300:]}"
    if "Traceback" in err:
        return "a traceback on stderr"
    if len(out) > MAX_OUT or len(err) > MAX_ERR:
        return f"{len(out)} characters on stdout, {len(err)} on stderr (unbounded output)"
    saved = folder / "out.d"
    names = sorted(p.name for p in folder.iterdir())
    if set(names) - {Path(path).name, "out.d"}:
        return f"files left in the case's folder: {names}"
    if saved.exists():
        files = sorted(saved.iterdir())
        if code != 1 or not files:
            return f"explore (exit {code}) left --save-failing's folder holding {[f.name for f in files]}"
        for f in files:
            head = f.read_bytes()[:256]
            if not f.name.endswith(".msgpack") or b"msidbg-snapshot" not in head or f.stat().st_size > 64 * 2**20:
                return f"--save-failing holds {f.name} ({f.stat().st_size} bytes), not a sealed snapshot"
    if code == 2:
        lines = err.splitlines()
        if len(lines) != 1:
            return f"exit 2 with {len(lines)} lines on stderr: {err[-300:]!r}"
        last = lines[0]
        if not last.startswith("msidbg: ") or "(expected " not in last or not last.isprintable():
            return f"exit 2 not in the contract's one-line form: {last[:300]!r}"
        if out:
            return f"exit 2 after {len(out)} characters on stdout"
        said = re.search(r"cannot create the folder: (.+?) (does not exist|is not a folder) \(", last)
        if said and (os.path.lexists(said.group(1)) if said.group(2) == "does not exist" else
                     not os.path.lexists(said.group(1)) or os.path.isdir(said.group(1))):
            # ('out.d/../bugs' said that the existing folder holding out.d did not exist)
            return f"--save-failing's refusal names the wrong part of the path: {last[:300]!r}"
        return None
    if "--json" in argv:
        import json

        try:
            doc = json.loads(out)
        except ValueError:
            return f"--json printed no JSON object: {out[:200]!r}"
        if not isinstance(doc, dict) or bool(doc.get("failures")) != (code == 1):
            return f"--json's failures disagree with exit {code}"
        return _rerun_reproduces(doc, path)
    return None


def _rerun_reproduces(doc: dict[str, Any], path: str) -> str | None:
    """Each failure's ``rerun`` command (what the user runs next) must reach the failing run's event:
    stop there at the same breakpoint, or, for an ``expect:`` mismatch (judged on the run's end),
    end there (it stopped nowhere, exit 0, when it was '--stop-at-break' for those too)."""
    import json
    import shlex

    for f in doc["failures"][:2]:
        argv = shlex.split(f.get("rerun") or "")
        expect = str(f.get("breakpoint") or "").startswith("expect:")
        if argv[:3] != ["msidbg", "run", path] or ("--stop-at-break" in argv) == expect:
            return f"rerun is not a run of the file to its failure: {f.get('rerun')!r}"
        if not isinstance(f.get("run_event"), int):
            continue
        code, out, err = run_cli(argv[1:] + ["--json"], 60.0)
        try:
            stopped = json.loads(out)["stopped"] if code in (0, 1) else None
        except (ValueError, KeyError):
            stopped = None
        want = (f["run_event"], None if expect else f["breakpoint"])
        if stopped is None or (stopped["event"], stopped["breakpoint"]) != want or code != (0 if expect else 1):
            return (f"rerun {f['rerun']!r} gave exit {code}, stopped {stopped}; the failing run failed "
                    f"({f['breakpoint']}) at event {f['run_event']}")
    return None


def fuzz_explore(seed: int, cases: int, hang: float = 60.0, keep: Path | None = None, verbose: bool = False,
                 tally: Tally | None = None) -> Tally:
    """Explore's options and worker pool on the shipped scenarios (a tenth of them mutated)."""
    tally = tally or Tally()
    for n in range(cases):
        rng = random.Random(f"explore/{seed}/{n}")
        text = rng.choice(SCENARIOS).read_text()
        if rng.random() < 0.1:
            text = mutate_yaml(text, rng)
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            path = str(folder / "in.yaml")
            Path(path).write_bytes(text.encode("utf-8", "surrogateescape"))
            argv = explore_argv(rng, path, folder)
            t0 = time.monotonic()
            code, out, err, left = run_process(argv, hang)
            tally.cases += 1
            tally.codes[str(code)] = tally.codes.get(str(code), 0) + 1
            if code == 2 and err:
                tally.messages.append(err.splitlines()[-1])
            what = judge_explore(argv, path, folder, code, out, err, left)
            if verbose:
                print(f"{n:4} explore exit {code} {time.monotonic() - t0:5.2f}s {' '.join(argv[2:])[:90]} "
                      f"{(err.splitlines() or [''])[-1][:120]}", file=sys.stderr)
            if what is not None:
                kept = ""
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    kept = str(keep / f"explore-{seed}-{n}.yaml")
                    Path(kept).write_text(text)
                tally.findings.append(Finding(n, [a.replace(d, "DIR") for a in argv], what, kept))
    return tally


def fuzz(seed: int, cases: int, only: str | None = None, hang: float = 20.0, keep: Path | None = None,
         verbose: bool = False, command: str | None = None) -> Tally:
    """``command``: only the scenario commands of that verb (e.g. explore)."""
    tally = Tally()
    if only == "explore":
        return fuzz_explore(seed, cases, hang, keep, verbose, tally)
    kinds = [k for k in ("scenario", "snapshot", "new") if only in (None, k)]
    bases = {"scenario": [p.read_text() for p in SCENARIOS], "snapshot": [p.read_bytes() for p in SNAPSHOTS]}
    for n in range(cases):
        rng = random.Random(f"{seed}/{n}")
        kind = rng.choice(kinds)
        with tempfile.TemporaryDirectory() as d:
            folder = Path(d)
            if kind == "scenario":
                data = mutate_yaml(rng.choice(bases["scenario"]), rng).encode("utf-8", "surrogateescape")
                path = str(folder / "in.yaml")
                argv = rng.choice([c for c in scenario_commands(path, str(folder / "out"), rng.choice(SPECS))
                                   if command in (None, c[0])])
            elif kind == "new":
                argv, path, data = _new_case(folder, rng)
            else:
                data = mutate_snapshot(rng.choice(bases["snapshot"]), rng)
                path = str(folder / "in.msgpack")
                argv = rng.choice(snapshot_commands(path, str(folder / "out")))
            Path(path).write_bytes(data)
            t0 = time.monotonic()
            code, out, err = run_cli(argv, hang)
            tally.cases += 1
            tally.codes[str(code)] = tally.codes.get(str(code), 0) + 1
            if code == 2 and err:
                tally.messages.append(err.splitlines()[-1])
            what = judge(argv, path, folder, code, err)
            if what is None and code == 2 and out:
                what = f"exit 2 after {len(out)} characters on stdout (a refusal prints nothing there)"
            if what is None and kind == "new" and code == 0:
                # what new wrote must load and run as a scenario (it is the user's next command)
                out = str(folder / "out.yaml")
                code2, _, err2 = run_cli(["run", out, "--headless", "--max-events", "3000"], hang)
                if code2 not in (0, 1):
                    what = f"new wrote a scenario that 'run' refuses (exit {code2}): {err2.strip()[-300:]}"
            if verbose:
                print(f"{n:4} {kind:8} {argv[0]:7} exit {code} {time.monotonic() - t0:5.2f}s "
                      f"{(err.splitlines() or [''])[-1][:150]}", file=sys.stderr)
            if what is not None:
                kept = ""
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    kept = str(keep / f"case-{seed}-{n}{Path(path).suffix}")
                    Path(kept).write_bytes(data)
                tally.findings.append(Finding(n, [a.replace(d, "DIR") for a in argv], what, kept))
    return tally


def _new_case(folder: Path, rng: random.Random) -> tuple[list[str], str, bytes]:
    """``new`` on damaged artifacts: (argv, the lspci file (the input named in errors), its bytes)."""
    lspci, interrupts, dmesg = rng.choice(REPORTS)
    argv = ["new", "-o", str(folder / "out.yaml")]
    first: tuple[str, bytes] | None = None
    for option, name in (("--lspci", lspci), ("--interrupts", interrupts), ("--dmesg", dmesg)):
        if name is None:
            continue
        text = (ARTIFACTS / name).read_text(errors="surrogateescape")
        if option == "--lspci" or rng.random() < 0.5:
            text = mutate_text(text, rng)
        data = text.encode("utf-8", "surrogateescape")
        path = str(folder / f"in{option.replace('-', '_')}.txt")
        Path(path).write_bytes(data)
        argv += [option, path]
        first = first or (path, data)
    assert first is not None
    return argv, first[0], first[1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--only", choices=("scenario", "snapshot", "new", "explore"))
    p.add_argument("--command", help="with --only scenario: only this verb's commands (e.g. explore)")
    p.add_argument("--hang", type=float, default=20.0, help="seconds a case may take (default 20)")
    p.add_argument("--out", type=Path, default=Path("fuzz-cli-findings"))
    p.add_argument("-v", action="store_true", help="a line per case on stderr")
    a = p.parse_args()
    os.environ.pop("MSIDBG_DEBUG", None)
    t0 = time.monotonic()
    tally = fuzz(a.seed, a.cases, a.only, a.hang, a.out, a.v, a.command)
    for f in tally.findings:
        print(f"case {f.case}: msidbg {' '.join(f.argv)}: {f.what}" + (f" (input: {f.kept})" if f.kept else ""))
    print(f"{tally.cases} cases in {time.monotonic() - t0:.0f}s, exits {tally.codes}, {len(tally.findings)} findings")
    return 1 if tally.findings else 0


if __name__ == "__main__":
    sys.exit(main())
