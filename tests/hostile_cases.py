"""The worst input files known (issue 11), each at most 1 MiB, and a way to run a command on one
in a child process measuring its peak RSS and wall time.

Used by ``tests/test_hostile_limits.py`` (peak RSS, in the suite) and ``benchmarks/hostile.py``
(RSS and time, on demand: every command must answer within 256 MB and 10 s).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import msgpack

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
GOOD = ('name: t\ncpus: 2\ndevices:\n  eth0: {bdf: "00:03.0", msix: {table_size: 2}}\nrun:\n'
        '  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}\n')


@dataclass
class Case:
    name: str
    args: list[str]
    #: environment variables the command runs with, besides this process's (a key bindings file)
    env: dict[str, str] | None = None


@dataclass
class Measured:
    code: int
    rss_mb: float
    seconds: float
    stderr: str


def _nested(n: int, times: int) -> bytes:
    one = b"\xdd" + n.to_bytes(4, "big") + b"\x90" * n
    return b"\xdc" + times.to_bytes(2, "big") + one * times


def _scenarios(d: Path) -> dict[str, str]:
    n = (MIB - 64) // 2
    rows = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    return {
        "flow-list.yaml": "name: t\nabout: [" + ",".join(["1"] * n) + "]\n",
        "block-list.yaml": "name: t\nabout:\n" + "- 1\n" * ((MIB - 32) // 4),
        "flow-map.yaml": "name: t\nabout: {" + ",".join(f"k{i}: 1" for i in range(90_000)) + "}\n",
        "alias-bomb.yaml": "name: t\nabout:\n" + "\n".join("  " + r for r in rows) + "\n",
        "megabyte-int.yaml": GOOD + "seed: " + "9" * (MIB - 300) + "\n",
        "hex-seed.yaml": GOOD + "seed: 0x" + "f" * 3600 + "\n",
        "deep-flow.yaml": "name: t\nabout: " + "[" * 200_000 + "]" * 200_000 + "\n",
        "deep-map.yaml": "name: t\nabout: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n",
        "too-many-actions.yaml": GOOD + "".join(f"  - {{at: {i}us, do: fire, dev: eth0, vector: 1}}\n"
                                                for i in range(10_000)),
    }


def _snapshots(d: Path) -> dict[str, bytes]:
    from msidbg.debugger import snapshot as snap

    v1 = msgpack.unpackb((ROOT / "tests" / "fixtures" / "v1-msix-write-while-unmasked.msgpack").read_bytes(), raw=False)
    out = {}
    for field in ("choices", "hits"):
        bomb = dict(v1)
        bomb[field] = zlib.compress(_nested(1 << 22, 16), 9)
        out[f"v1-{field}-bomb.msgpack"] = msgpack.packb(bomb, use_bin_type=True)
        bomb[field] = zlib.compress(_nested(1 << 20, 16), 9)
        out[f"v1-{field}-bomb-small.msgpack"] = msgpack.packb(bomb, use_bin_type=True)
    from msidbg.debugger import Session

    s = Session.from_scenario(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"))
    s.continue_()
    good = d / "good.msgpack"
    s.save(str(good))
    doc = msgpack.unpackb(good.read_bytes(), raw=False)
    lists = MIB - 12_000
    w = dict(doc, world=b"\x82\xa6events\x14\xa1x\xdd" + lists.to_bytes(4, "big") + b"\x90" * lists)
    out["v2-world-empty-lists.msgpack"] = snap.seal(w)
    w = dict(doc, world=(b"\xdd" + (1 << 20).to_bytes(4, "big")) * 200_000 + b"\xc0")
    out["v2-world-array-headers.msgpack"] = snap.seal(w)
    w = dict(doc, world=b"\xdc\x00\x10" * 300_000 + b"\xc0")
    out["v2-world-deep.msgpack"] = snap.seal(w)
    h = dict(doc, hits={**doc["hits"], "count": 1280, "columns": zlib.compress(b"\0" * (MIB * 60), 9)})
    out["v2-hits-zeros.msgpack"] = snap.seal(h)
    for name, text in _scenarios(d).items():  # a hostile scenario inside a well-formed snapshot
        data = text.encode()
        inner = dict(doc, scenario={**doc["scenario"], "text": text, "sha256": hashlib.sha256(data).hexdigest()})
        sealed = snap.seal(inner)
        if len(sealed) <= MIB:
            out[f"scenario-{name.removesuffix('.yaml')}.msgpack"] = sealed
    out["random.msgpack"] = os.urandom(MIB)
    out["map-of-maps.msgpack"] = b"\xdf" + (MIB).to_bytes(4, "big") + b"\x80\x80" * ((MIB - 8) // 2)
    return out


def write_cases(d: Path) -> list[Case]:
    """Write every case under ``d``; the commands to run on them."""
    cases = []
    for name, text in _scenarios(d).items():
        (d / name).write_text(text)
        assert (d / name).stat().st_size <= MIB, name
        cases.append(Case(f"run {name}", ["run", str(d / name), "--headless"]))
    for name, data in _snapshots(d).items():
        (d / name).write_bytes(data)
        assert len(data) <= MIB, name
        cases.append(Case(f"replay {name}", ["replay", str(d / name)]))
        cases.append(Case(f"replay --no-verify {name}", ["replay", str(d / name), "--no-verify"]))
        if name.startswith("scenario-"):
            cases.append(Case(f"replay --scenario {name}", ["replay", str(d / name), "--scenario", "-o",
                                                            str(d / "out.yaml")]))
    begin = "-----BEGIN MSIDBG SNAPSHOT-----\n"
    mails = {"begin-markers.txt": begin * (MIB // len(begin)),
             "deep-mime.eml": "From: a@example.org\nSubject: bug\nMIME-Version: 1.0\n" + "".join(
                 f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(15_000))}
    for name, text in mails.items():   # text claiming to hold an armoured snapshot
        (d / name).write_text(text)
        assert (d / name).stat().st_size <= MIB, name
        cases.append(Case(f"replay {name}", ["replay", str(d / name)]))
    fifo = d / "fifo.msgpack"
    if not fifo.exists():
        os.mkfifo(fifo)
    cases += [Case("replay a FIFO", ["replay", str(fifo)]), Case("replay /dev/zero", ["replay", "/dev/zero"]),
              Case("check flow-list.yaml", ["check", str(d / "flow-list.yaml")])]
    # the key bindings file ($MSIDBG_KEYS), read by run and open before the TUI starts (stdin is not a
    # terminal here: the file is checked, then the TUI refused)
    keys_fifo = d / "keys-fifo.toml"
    if not keys_fifo.exists():
        os.mkfifo(keys_fifo)
    (d / "keys-deep.toml").write_text("step = " + "[" * 60_000 + "\n")
    (d / "keys-deep.json").write_text("[" * 60_000 + "\n")
    base = d / "keys-base.yaml"
    base.write_text(GOOD)
    for name, keys in (("a FIFO", keys_fifo), ("/dev/zero", Path("/dev/zero")),
                       ("60 KB of '[' (TOML)", d / "keys-deep.toml"), ("60 KB of '[' (JSON)", d / "keys-deep.json")):
        cases.append(Case(f"run, MSIDBG_KEYS {name}", ["run", str(base)], {"MSIDBG_KEYS": str(keys)}))
    return cases


#: forks msidbg from a small, fresh process: a child forked from a big parent (pytest) would
#: report the parent's pages in its peak RSS (ru_maxrss survives fork and exec)
_SPAWNER = r"""
import json, os, sys, time
timeout = float(sys.argv[1])
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.execv(sys.executable, [sys.executable, "-m", "msidbg.cli", *sys.argv[2:]])
while True:
    got, status, usage = os.wait4(pid, os.WNOHANG)
    if got:
        break
    if time.perf_counter() - start > timeout:
        os.kill(pid, 9)
        got, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.005)
print(json.dumps({"code": os.waitstatus_to_exitcode(status), "rss_kb": usage.ru_maxrss,
                  "seconds": time.perf_counter() - start}))
"""


def measure(args: list[str], timeout: float = 120, env: dict[str, str] | None = None) -> Measured:
    """Run ``msidbg ARGS`` in a child (``env`` added to its environment); its exit status, peak RSS
    (MB) and wall time."""
    import json

    p = subprocess.run([sys.executable, "-c", _SPAWNER, str(timeout), *args], capture_output=True,
                       text=True, cwd=ROOT, timeout=timeout + 30, env={**os.environ, **(env or {})})
    got = json.loads(p.stdout)
    return Measured(got["code"], got["rss_kb"] / 1024, got["seconds"], p.stderr)
