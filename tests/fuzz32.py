"""hardening32's red team: structural mutations of scenarios, snapshots and bug-report texts (not in the suite).

``tests/fuzz_cli.py`` damages values, lines and bytes; this one attacks the readers' bounds and types:
truncation, huge integers (5,000 digits), deep nesting (flow lists and block maps thousands deep, msgpack
arrays nested past the reader's depth), wrong types (a map where a list is, a string where a number is),
Unicode (bidi overrides, NUL, fullwidth and Arabic-Indic digits, lone surrogates as escapes), duplicate keys
(YAML and msgpack maps), msgpack extension types (ExtType, Timestamp) and huge arrays (a million elements,
or a header declaring 2^32-1 with nothing after it). Each case runs one of ``check``, ``run --headless
--json``, ``why``, ``diff``, ``replay`` (and ``--scenario --json``) or ``new`` through ``msidbg.cli.main``
in this process, under a memory limit (RLIMIT_AS, ``--memory`` MB) and a deadline (``--hang`` s), and
must either work (exit 0 or 1) or be refused in one line naming the file with an ``(expected ...)``
(exit 2): never exit 3, never a traceback, never a hang, never a file left behind a refusal::

    python tests/fuzz32.py [--seed 32] [--cases 400] [--only yaml|snapshot|new|mail] [--hang 20] [--memory 3000] [-v]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgpack

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fuzz_cli import ARTIFACTS, REPORTS, SCENARIOS, SNAPSHOTS, Finding, Tally, judge, run_cli, snap  # noqa: E402

UNICODE = ["\u202e", "\x00", "\ufeff", "\u2028", "\uff11\uff12", "\u0661\u0662", "\U0001f4a5", "\\udc80", "e\u0301",
           "\u200b", "\x1b[2J", "\t"]
HUGE = ["9" * 5000, "-" + "9" * 5000, "1" + "0" * 400 + ".5", "0x" + "f" * 2000, "1e99999", "18446744073709551616"]


# --- scenario YAML ------------------------------------------------------------------------------------------------
def mutate_yaml(text: str, rng: random.Random) -> tuple[str, str]:
    """(the damaged text, what was done)."""
    lines = text.split("\n")
    how = rng.randrange(11)
    keyed = [i for i, ln in enumerate(lines) if ":" in ln and not ln.lstrip().startswith("#")]
    i = rng.choice(keyed) if keyed else 0
    line = lines[i]
    key, _, value = line.partition(":")
    if how == 0:
        return text[:rng.randrange(len(text) + 1)], "truncated"
    if how == 1:
        lines[i] = f"{key}: {rng.choice(HUGE)}"
        return "\n".join(lines), "huge number"
    if how == 2:
        n = rng.choice([200, 2000, 20000])
        lines[i] = f"{key}: " + "[" * n + "]" * n
        return "\n".join(lines), f"flow nesting {n}"
    if how == 3:
        n = rng.choice([100, 1000, 5000])
        lines[i] = f"{key}:\n" + "".join(" " * (2 * d + 2) + f"k{d}:\n" for d in range(n)) + " " * (2 * n + 2) + "v: 1"
        return "\n".join(lines), f"block nesting {n}"
    if how == 4:
        lines[i] = f"{key}: " + rng.choice(["{a: 1}", "[1, 2]", "'text'", "null", "true", "!!binary aGk=", "[]", "{}",
                                            "!!python/object:os.system {}", "*nosuch", "&a [*a]"])
        return "\n".join(lines), "wrong type"
    if how == 5:
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(UNICODE) + line[at:]
        return "\n".join(lines), "unicode"
    if how == 6:
        lines.insert(i + 1, line)   # the same key twice in its map
        return "\n".join(lines), "duplicate key"
    if how == 7:
        n = rng.choice([10_000, 300_000, 1_000_000])
        lines[i] = f"{key}: [" + ",".join(["0"] * n) + "]"
        return "\n".join(lines), f"array of {n}"
    if how == 8:   # aliases multiplied (billion laughs)
        head = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"a{d}: &a{d} [*a{d - 1}, *a{d - 1}, *a{d - 1}, *a{d - 1}, *a{d - 1}, *a{d - 1}, *a{d - 1}, *a{d - 1}]\n"
            for d in range(1, 10))
        return head + text, "alias bomb"
    if how == 9:
        digits = rng.choice(["\u0665", "\uff15", "\u096b", "\U0001d7d3"])
        lines[i] = f"{key}: {digits}" if value.strip() else line
        return "\n".join(lines), "non-ASCII digits"
    lines[i] = line + " " + "x" * rng.choice([10_000, 2_000_000])
    return "\n".join(lines), "long line"


def yaml_commands(f: str, other: str, out: Path) -> list[list[str]]:
    return [["check", f, "--max-events", "3000"], ["run", f, "--headless", "--json", "--max-events", "3000"],
            ["why", f, "--max-events", "3000"], ["diff", f, other, "--max-events", "3000"],
            ["run", f, "--headless", "--max-events", "3000", "--save", str(out / "out.msgpack")]]


# --- snapshots ----------------------------------------------------------------------------------------------------
def _nested_array(depth: int) -> bytes:
    return b"\x91" * depth + b"\xc0"


def mutate_snapshot(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    how = rng.randrange(9)
    if how == 0:
        return data[:rng.randrange(len(data) + 1)], "truncated"
    doc = msgpack.unpackb(data, raw=False, strict_map_key=False)
    keys = list(doc)
    k = rng.choice(keys)
    if how == 1:
        doc[k] = msgpack.ExtType(rng.randrange(128), b"\x00" * rng.choice([0, 1, 8, 1000]))
        return _pack(doc, rng), f"ext type at {k}"
    if how == 2:
        doc[k] = msgpack.Timestamp(2**33, 0)
        return _pack(doc, rng), f"timestamp at {k}"
    if how == 3:
        doc[k] = list(range(rng.choice([100_000, 1_000_000])))
        return _pack(doc, rng), f"big array at {k}"
    if how == 4:   # nesting past msgpack's and the reader's bounds, as raw bytes (the packer refuses >512)
        body = msgpack.packb({kk: v for kk, v in doc.items() if kk != k}, use_bin_type=True)
        n = len(doc) - 1
        head = bytes([0x80 | (n + 1)]) if n + 1 < 16 else b"\xde" + (n + 1).to_bytes(2, "big")
        raw = head + body[1 if n < 16 else 3:] + msgpack.packb(k) + _nested_array(rng.choice([600, 5000, 100_000]))
        return raw, f"deep array at {k}"
    if how == 5:   # a header that promises 2^32-1 elements and ends
        return data[:rng.randrange(len(data))] + rng.choice([b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff",
                                                            b"\xdb\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff"]), "huge header"
    if how == 6:   # a duplicate key: the map as raw bytes, one key twice (a later one wins in Python)
        items = list(doc.items()) + [(k, rng.choice([None, -1, "x", [], {}]))]
        raw = b"\xde" + len(items).to_bytes(2, "big") + b"".join(
            msgpack.packb(a, use_bin_type=True) + msgpack.packb(b, use_bin_type=True) for a, b in items)
        return raw, f"duplicate key {k}"
    if how == 7:
        doc[k] = rng.choice([2**64 - 1, -(2**63), 1e308, float("nan"), b"\xff" * 40, "\u202e" * 50, True, {1: 2},
                             {"": {"": {"": None}}}])
        return _pack(doc, rng), f"wrong type at {k}"
    scn = doc.get("scenario")
    if isinstance(scn, dict) and isinstance(scn.get("text"), str):
        scn["text"], what = mutate_yaml(scn["text"], rng)
        scn["sha256"] = hashlib.sha256(scn["text"].encode("utf-8", "surrogatepass")).hexdigest()
        return _pack(doc, rng, sealed=True), f"scenario text: {what}"
    return _pack(doc, rng), "as read"


def _pack(doc: dict[str, Any], rng: random.Random, sealed: bool | None = None) -> bytes:
    seal = rng.random() < 0.8 if sealed is None else sealed
    try:
        return snap.seal(doc) if seal else msgpack.packb(doc, use_bin_type=True)
    except (TypeError, ValueError, OverflowError):   # what seal cannot encode: the plain packer's bytes
        return msgpack.packb(doc, use_bin_type=True, datetime=False)


def snapshot_commands(f: str, other: str, out: Path) -> list[list[str]]:
    return [["replay", f], ["replay", f, "--json"], ["replay", f, "--scenario", "--json"],
            ["replay", f, "--scenario", "-o", str(out / "out.yaml")], ["replay", f, "--no-verify"],
            ["why", f], ["diff", f, other]]


# --- bug-report texts -----------------------------------------------------------------------------------------------
def mutate_report(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.split("\n") or [""]
    i = rng.randrange(len(lines))
    how = rng.randrange(6)
    if how == 0:
        return text[:rng.randrange(len(text) + 1)], "truncated"
    if how == 1:
        lines[i] = "".join(rng.choice(["\u0661", "\uff11", c]) if c.isdigit() else c for c in lines[i])
        return "\n".join(lines), "non-ASCII digits"
    if how == 2:
        lines[i] = "".join(rng.choice(HUGE) if c.isdigit() and rng.random() < 0.3 else c for c in lines[i])
        return "\n".join(lines), "huge numbers"
    if how == 3:
        return "\n".join(lines[:i] + [lines[i]] * rng.choice([1000, 100_000]) + lines[i + 1:]), "a line repeated"
    if how == 4:
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + rng.choice(UNICODE) * rng.choice([1, 1000]) + lines[i][at:]
        return "\n".join(lines), "unicode"
    lines[i] = "\t" * rng.choice([100, 10_000]) + lines[i]
    return "\n".join(lines), "deep indentation"


# --- mails holding a snapshot (report --inline) ----------------------------------------------------------------------
def mutate_mail(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.split("\n")
    begin = next(i for i, ln in enumerate(lines) if ln.startswith("-----BEGIN MSIDBG"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("-----END MSIDBG"))
    i = rng.randrange(begin, end + 1)
    how = rng.randrange(8)
    if how == 0:
        del lines[i]
        return "\n".join(lines), "armour line dropped"
    if how == 1 and lines[i]:
        j = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:j] + rng.choice("A/+=\u0661\x00 -") + lines[i][j + 1:]
        return "\n".join(lines), "armour character changed"
    if how == 2:
        return "\n".join(lines[:end + 1] + lines[begin:]), "two armour blocks"
    if how == 3:
        return "\n".join(ln if not begin <= k <= end else "> " + ln for k, ln in enumerate(lines)), "quoted mail"
    if how == 4:
        return "\r\n".join(lines), "CRLF"
    if how == 5:
        lines[i] = lines[i] * rng.choice([100, 10_000])
        return "\n".join(lines), "long armour line"
    if how == 6:
        return "\n".join(lines[:rng.randrange(begin, end + 1)]), "cut inside the armour"
    body = lines[begin + 1:end] * rng.choice([2, 50])
    return "\n".join(lines[:begin + 1] + body + lines[end:]), "armour body repeated"


_MAILS: dict[str, str] = {}


def _mail_of(src: Path) -> str:
    if src.name not in _MAILS:
        out = Path(tempfile.mkdtemp(prefix="fuzz32-mail-")) / "m.txt"
        run_cli(["report", str(src), "--inline", "-o", str(out)], 120)
        _MAILS[src.name] = out.read_text(encoding="utf-8")
        shutil.rmtree(out.parent, ignore_errors=True)
    return _MAILS[src.name]


# --- the loop -----------------------------------------------------------------------------------------------------
def case(n: int, rng: random.Random, only: str | None, folder: Path) -> tuple[list[str], str, str]:
    kind = only or rng.choice(["yaml", "yaml", "snapshot", "snapshot", "new", "mail"])
    if kind == "mail":
        src = rng.choice(SNAPSHOTS)
        text, what = mutate_mail(_mail_of(src), rng)
        f = folder / f"in{n}.txt"
        f.write_bytes(text.encode("utf-8", "surrogateescape"))
        argv = rng.choice([["replay", str(f)], ["replay", str(f), "--scenario", "--json"], ["why", str(f)],
                           ["diff", str(f), str(rng.choice(SNAPSHOTS))], ["report", str(f), "--no-verify"]])
        return argv, str(f), f"{src.name} mail: {what}"
    if kind == "yaml":
        src = rng.choice(SCENARIOS)
        text, what = mutate_yaml(src.read_text(encoding="utf-8"), rng)
        f = folder / f"in{n}.yaml"
        f.write_bytes(text.encode("utf-8", "surrogateescape"))
        argv = rng.choice(yaml_commands(str(f), str(rng.choice(SCENARIOS)), folder))
        return argv, str(f), f"{src.name}: {what}"
    if kind == "snapshot":
        src = rng.choice(SNAPSHOTS)
        data, what = mutate_snapshot(src.read_bytes(), rng)
        f = folder / f"in{n}.msgpack"
        f.write_bytes(data)
        argv = rng.choice(snapshot_commands(str(f), str(rng.choice(SNAPSHOTS)), folder))
        return argv, str(f), f"{src.name}: {what}"
    lspci, irqs, dmesg = rng.choice(REPORTS)
    which = rng.choice([w for w in ("lspci", "interrupts", "dmesg") if {"lspci": lspci, "interrupts": irqs,
                                                                         "dmesg": dmesg}[w]])
    argv = ["new", "-o", str(folder / "out.yaml")]
    path = ""
    for opt, name in (("lspci", lspci), ("interrupts", irqs), ("dmesg", dmesg)):
        if name is None:
            continue
        text = (ARTIFACTS / name).read_text(encoding="utf-8", errors="surrogateescape")
        what = ""
        if opt == which:
            text, what = mutate_report(text, rng)
        f = folder / f"in_{opt}{n}.txt"
        f.write_bytes(text.encode("utf-8", "surrogateescape"))
        argv += [f"--{opt}", str(f)]
        if opt == which:
            path, desc = str(f), f"{name}: {what}"
    return argv, path, desc


def fuzz(seed: int, cases: int, only: str | None, hang: float, verbose: bool) -> Tally:
    tally = Tally()
    rng = random.Random(seed)
    slowest = (0.0, "")
    for n in range(cases):
        folder = Path(tempfile.mkdtemp(prefix=f"fuzz32-{n}-"))
        try:
            argv, path, what = case(n, rng, only, folder)
            t0 = time.monotonic()
            code, _out, err = run_cli(argv, hang)
            took = time.monotonic() - t0
            slowest = max(slowest, (took, f"{what}: {' '.join(argv[:2])}"))
            tally.cases += 1
            tally.codes[str(code)] = tally.codes.get(str(code), 0) + 1
            broke = judge(argv, path, folder, code, err)
            # one JSON object on one line (exit 1 of replay and why is a divergence: one line on stderr only)
            if broke is None and "--json" in argv and (code == 0 or (code == 1 and argv[0] not in ("replay", "why"))):
                import json

                try:
                    json.loads(_out)
                    if _out.count("\n") != 1:
                        broke = f"--json printed {_out.count(chr(10))} lines"
                except ValueError as e:
                    broke = f"--json printed no JSON object: {e}"
            if broke is None and argv[0] == "new" and code == 0:   # the skeleton it wrote must run
                rcode, _o, rerr = run_cli(["run", str(folder / "out.yaml"), "--headless", "--max-events", "3000"], hang)
                if rcode not in (0, 1):
                    broke = f"the skeleton new wrote does not run: exit {rcode}: {rerr.strip()[-300:]}"
            if code == 2 and broke is None:
                tally.messages.append(err.splitlines()[-1][:160])
            if broke is not None:
                keep = ROOT / "fuzz32-findings" / f"case-{seed}-{n}{Path(path).suffix}"
                keep.parent.mkdir(exist_ok=True)
                shutil.copyfile(path, keep)
                tally.findings.append(Finding(n, argv, f"{what}: {broke}", str(keep)))
                print(f"FINDING case {n} ({what}): {' '.join(argv[:3])}: {broke}", flush=True)
            elif verbose:
                print(f"case {n} [{code}] {took:.1f}s {what}: {argv[0]}", flush=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if verbose:
        for m in sorted(set(tally.messages)):
            print("  refused:", m)
    print(f"{tally.cases} cases, exits {tally.codes}, {len(tally.findings)} findings; slowest {slowest[0]:.1f}s "
          f"({slowest[1]}); peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    return tally


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seed", type=int, default=32)
    p.add_argument("--cases", type=int, default=400)
    p.add_argument("--only", choices=("yaml", "snapshot", "new", "mail"))
    p.add_argument("--hang", type=float, default=20.0)
    p.add_argument("--memory", type=int, default=3000, help="address-space limit in MB (a MemoryError is exit 3)")
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    limit = a.memory * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return 1 if fuzz(a.seed, a.cases, a.only, a.hang, a.verbose).findings else 0


if __name__ == "__main__":
    sys.exit(main())
