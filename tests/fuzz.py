"""Fuzzers for input from strangers: scenario files, snapshot structure, breakpoint expressions.

Each fuzzer is a Hypothesis strategy and a property. The property holds when the input is
either accepted and then works (runs, summarises, saves, reopens, evaluates) or refused with a
one-line ``MsidbgError`` -- never another exception (an internal error, exit 3), never a
message with a control character or a line break.

In the suite, ``tests/test_fuzz.py`` runs each for a bounded number of examples. On demand::

    python tests/fuzz.py --minutes 10 [--only scenario|snapshot|expression] [--out DIR]

shares the time between the fuzzers and ends with a table: cases, passed, and each failure
with the file that reproduces it (the smallest input seen for that failure, written to DIR).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from msidbg.debugger import Session  # noqa: E402
from msidbg.debugger import snapshot as snap  # noqa: E402
from msidbg.debugger.breakpoints import problem  # noqa: E402
from msidbg.debugger.expr import compile_expr  # noqa: E402
from msidbg.debugger.headless import human  # noqa: E402
from msidbg.errors import MsidbgError  # noqa: E402
from msidbg.model import new_engine  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402
from tests.conftest import cpu_step_budget  # noqa: E402
from tests.test_model_fuzz import scenarios as valid_scenarios  # noqa: E402
from tests.test_timetravel import RANDOM_SCENARIO  # noqa: E402

MAX_EVENTS = 30_000
#: CPU steps (silent polls included) one scenario check may take: 5 per event bound (the run and its replay)
#: (the CI examples take at most ~210 in all)
STEP_BUDGET = 5 * MAX_EVENTS


def one_line(e: MsidbgError, where: str) -> None:
    line = e.oneline()
    assert line.startswith(f"msidbg: {where}"), line
    assert line.isprintable(), line


# --- scenarios -------------------------------------------------------------------------------------
HOSTILE_LINES = [
    "seed: 0x" + "f" * 200, "seed: 1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21:22:23:24",
    "seed: 1e999", "seed: -1", "cpus: 0b" + "1" * 120, "about: &a [*a]", "about: !!python/object:os.system {}",
    "<<: {name: x}", "name: again", "about: \"\\e[2J\\x07\\u202e\"", "about: " + "[" * 40 + "]" * 40,
    "about: {" + ", ".join(f"k{i}: &a{i} [1, 2]" for i in range(5)) + "}", "breakpoints: [\"if [1] in devices\"]",
    "breakpoints: [\"watch devices[world]\"]", "breakpoints: [\"if cpu[99999999999999999999].irr[0] == 1\"]",
    "faults: [{call: driver_probe, errno: EIO, times: 1000}]", "costs: {cfg_write: 0}", "--- \nname: y",
    "expect: {lost: {d0: 99999999999999999999999999}}", "\x00", "\ufeffname: t", "\t", "about: '\udc80'",
]


@st.composite
def hostile_scenarios(draw: st.DrawFn) -> str:
    text = draw(valid_scenarios())
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.integers(0, 4))
        at = draw(st.integers(0, len(lines)))
        if how == 0:
            lines.insert(at, draw(st.sampled_from(HOSTILE_LINES)))
        elif how == 1 and lines:
            del lines[min(at, len(lines) - 1)]
        elif how == 2 and lines:
            i = min(at, len(lines) - 1)
            j = draw(st.integers(0, max(len(lines[i]) - 1, 0)))
            lines[i] = lines[i][:j] + draw(st.text(max_size=3)) + lines[i][j + 1:]
        elif how == 3:
            lines.insert(at, draw(st.text(max_size=40)))
        else:
            lines = [ln.replace(draw(st.sampled_from(["10us", "1ms", "0", "1", "2"])),
                                draw(st.sampled_from(["0x" + "f" * 90, "9" * 80, "-3", "1.5", "null", "[]"])), 1)
                     for ln in lines]
    return "\n".join(lines)


def check_scenario(text: str) -> None:
    """Loads and runs (and saves and reopens), or is refused in one line."""
    try:
        scn = load_scenario_text(text, "fuzz.yaml")
    except MsidbgError as e:
        one_line(e, "fuzz.yaml")
        return
    # the run and the reopen's replay, each within MAX_EVENTS events and STEP_BUDGET CPU steps (polls
    # included): a wait nobody ends fails here instead of hanging (redteam16's device_lock spin did, in CI)
    with cpu_step_budget(STEP_BUDGET):
        try:
            s = Session(scn)
        except MsidbgError as e:
            one_line(e, "fuzz.yaml")
            return
        s.run(MAX_EVENTS)
        assert "\x1b" not in human(s.summary())
        with tempfile.TemporaryDirectory() as d:
            s.save(f"{d}/f.msgpack")
            again = Session.open(f"{d}/f.msgpack")
            assert again.summary() == s.summary()


# --- snapshot structure ----------------------------------------------------------------------------
#: the time-travel tests' random-schedule scenario, with a built-in and a watch breakpoint armed
FUZZ_SCENARIO = RANDOM_SCENARIO + 'breakpoints: [irq-lost, "watch cpu[1].irr"]\n'
_BASE: list[bytes] = []


def base_snapshot() -> bytes:
    if not _BASE:
        s = Session(load_scenario_text(FUZZ_SCENARIO, "fz.yaml"))
        s.seek(120)
        s.continue_()
        s.bookmark("mark", "a note")
        with tempfile.TemporaryDirectory() as d:
            s.save(f"{d}/b.msgpack")
            _BASE.append(Path(f"{d}/b.msgpack").read_bytes())
    return _BASE[0]


PLAIN = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.text(max_size=12),
                               st.binary(max_size=24), st.sampled_from(["\x1b[2J", "a\nb", "\u202e", "0.1.0"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=5),
                                             st.dictionaries(st.text(max_size=8), inner, max_size=5)),
                     max_leaves=25)
PAYLOADS = st.sampled_from([
    zlib.compress(b"\xdd\x00\x01\x00\x00" + b"\x90" * 65536), zlib.compress(b"\x00" * 4096) + b"junk",
    b"\xdc\x00\x10" * 200 + b"\xc0", (b"\xdd" + (1 << 20).to_bytes(4, "big")) * 50, b"", b"\x78\x9c",
    zlib.compress(msgpack.packb([[1] * 10, [0] * 10])), msgpack.packb({"events": 1}),
])
FIELDS = ["version", "msidbg", "scenario", "seed", "cursor", "time_ns", "stopped", "breakpoints", "bookmarks",
          "choices", "hits", "hashes", "log", "state_hash", "world", "format", "sha256"]


@st.composite
def hostile_snapshots(draw: st.DrawFn) -> bytes:
    data = base_snapshot()
    if draw(st.integers(0, 3)) == 0:  # byte-level damage
        b = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            b[draw(st.integers(0, len(b) - 1))] = draw(st.integers(0, 255))
        return bytes(b[:draw(st.one_of(st.none(), st.integers(0, len(b))))])
    doc = msgpack.unpackb(data, raw=False)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FIELDS))
        value = draw(st.one_of(PLAIN, PAYLOADS))
        target = doc
        if isinstance(doc.get(name), dict) and doc[name] and draw(st.booleans()):
            target, name = doc[name], draw(st.sampled_from(sorted(doc[name])))
        target[name] = value
    return snap.seal(doc) if draw(st.integers(0, 3)) else msgpack.packb(doc, use_bin_type=True)


def check_snapshot(data: bytes) -> None:
    """Opens (and then summarises and steps) or is refused in one line."""
    with tempfile.TemporaryDirectory() as d:
        path = f"{d}/s.msgpack"
        Path(path).write_bytes(data)
        for verify in (True, False):
            try:
                s = Session.open(path, verify=verify)
                assert "\x1b" not in human(s.summary())
                s.step()
            except MsidbgError as e:
                one_line(e, path)


# --- expressions -------------------------------------------------------------------------------------
NAMES = ["cpus", "devices", "irqs", "kernel", "acct", "now", "cpu", "dev", "device", "irq", "pci", "time", "world",
         "eth0", "msix", "table", "ctrl", "irr", "isr", "alloc", "online", "pci", "status", "x", "event"]
EVENT_FIELDS = ["kind", "dev", "cpu", "index", "time", "entry", "reg", "value", "vector", "nosuch"]


#: paths that exist in the world of the fuzzed scenario (lists, maps, ints, strings, bitmaps)
REAL_PATHS = ["cpus", "devices", "irqs", "world", "acct", "kernel", "pci", "cpu[1]", "cpu[1].irr", "irq[24]",
              "devices.eth0", "devices.eth0.msix.table", "devices.eth0.msix.table[0]", "dev.eth0.quirks",
              "pci.eth0.status", "acct.eth0.lost", "time", "kernel.pci.eth0.descs", "agenda", "actions"]


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(REAL_PATHS), st.sampled_from(REAL_PATHS),
        st.integers(-(2**64), 2**64).map(str), st.integers(0, 2**64 - 1).map(hex),
        st.text(max_size=6).map(lambda s: repr(s).replace("\\", "\\\\")[1:-1].join("''")),
        st.sampled_from(["true", "false", "none", "null", "[]", '"msix.write"', "'eth0'", "0b101", "1_000"]),
        st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map(".".join),
        st.sampled_from(EVENT_FIELDS).map(lambda f: f"event.{f}"))


def _grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(inner, st.sampled_from(["==", "!=", "<", ">=", "in", "not in", "and", "or", "&", "|", "^",
                                          "<<", ">>"]), inner).map(" ".join),
        st.tuples(st.sampled_from(["not ", "-", "~"]), inner).map("".join),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(NAMES)).map(lambda t: f"({t[0]}).{t[1]}"),
        inner.map(lambda x: f"len({x})"), inner.map(lambda x: f"({x})"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))


EXPRESSIONS = st.recursive(_leaf(), _grow, max_leaves=12)
_ENGINES: list[Any] = []


def check_expression(text: str, at: int = 40) -> None:
    """Compiles (then evaluates at an event without raising) or is refused with a column."""
    if not _ENGINES:
        from tests.conftest import shipped

        _ENGINES.append(shipped("msix-write-while-unmasked"))
    eng = new_engine(_ENGINES[0])
    try:
        c = compile_expr(text, set(eng.w))
    except MsidbgError as e:
        assert "\n" not in e.message
        said = problem(f"if {text}")
        assert said is None or "\n" not in said
        return
    assert c.raw is not None
    for _ in range(at):
        c.raw(eng)
        eng.step()
    c.raw(eng)


# --- running them ------------------------------------------------------------------------------------
@dataclass
class Fuzzer:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]
    suffix: str


FUZZERS = [Fuzzer("scenario", hostile_scenarios(), check_scenario, ".yaml"),
           Fuzzer("snapshot", hostile_snapshots(), check_snapshot, ".msgpack"),
           Fuzzer("expression", EXPRESSIONS, check_expression, ".txt")]


class _TimeUp(BaseException):
    """Ends a time-boxed Hypothesis run (a BaseException: Hypothesis does not treat it as a failure)."""


@dataclass
class Tally:
    cases: int = 0
    passed: int = 0
    #: failure signature -> (smallest reproducer written, its size)
    failures: dict[str, tuple[Path, int]] = field(default_factory=dict)


def run_for(f: Fuzzer, seconds: float, out: Path) -> Tally:
    """Run one fuzzer for ``seconds``; restart Hypothesis after a failure (it stops at the first)."""
    tally = Tally()
    end = time.monotonic() + seconds

    def prop(x: Any) -> None:
        if time.monotonic() > end:
            raise _TimeUp
        tally.cases += 1
        try:
            f.check(x)
        except Exception as e:
            frame = traceback.extract_tb(e.__traceback__)[-1]
            sig = f"{type(e).__name__}: {str(e).splitlines()[0][:90] if str(e) else ''} " \
                  f"({Path(frame.filename).name}:{frame.lineno})"
            data = x.encode("utf-8", "surrogateescape") if isinstance(x, str) else bytes(x)
            old = tally.failures.get(sig)
            if old is None or len(data) < old[1]:
                path = out / f"{f.name}-{len(tally.failures) if old is None else old[0].stem.split('-')[-1]}{f.suffix}"
                path.write_bytes(data)
                tally.failures[sig] = (path, len(data))
            raise
        tally.passed += 1

    test = settings(max_examples=10**9, deadline=None, database=None, derandomize=False,
                    suppress_health_check=list(HealthCheck))(given(f.strategy)(prop))
    while time.monotonic() < end:
        try:
            test()
        except _TimeUp:
            break
        except Exception:  # noqa: BLE001 - recorded by prop; go on fuzzing
            continue
    return tally


def main() -> int:
    ap = argparse.ArgumentParser(description="Fuzz msidbg's handling of hostile input for a while; print a table.")
    ap.add_argument("--minutes", type=float, default=10.0, help="total time, shared by the fuzzers")
    ap.add_argument("--only", choices=[f.name for f in FUZZERS], help="run one fuzzer only")
    ap.add_argument("--out", default="fuzz-failures", help="where reproducers are written")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chosen = [f for f in FUZZERS if args.only in (None, f.name)]
    results = []
    for f in chosen:
        results.append((f, run_for(f, args.minutes * 60 / len(chosen), out)))
    print(f"\n{'fuzzer':12} {'cases':>8} {'passed':>8} {'failures':>9}")
    for f, t in results:
        print(f"{f.name:12} {t.cases:>8} {t.passed:>8} {len(t.failures):>9}")
    for f, t in results:
        for sig, (path, _size) in sorted(t.failures.items()):
            print(f"  {f.name}: {sig}\n    reproducer: {path}")
    return 1 if any(t.failures for _, t in results) else 0


if __name__ == "__main__":
    sys.exit(main())
