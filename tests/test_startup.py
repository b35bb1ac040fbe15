"""Start-up (issue 14): the command keeps the methods ``dataclasses`` compiles in a cache of its own,
uses it only when it is the user's and unchanged, and writes it only when something new was compiled."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SCENARIOS

RUN = ("import sys; sys.argv = ['msidbg', 'run', sys.argv[1], '--headless']\n"
       "from msidbg._boot import main\n"
       "sys.exit(main())\n")
SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def command(cache: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "MSIDBG_NO_BYTECODE_CACHE"}
    return subprocess.run([sys.executable, "-c", RUN, SCN], capture_output=True, text=True, timeout=120,
                          env={**clean, "XDG_CACHE_HOME": str(cache), **env})


def the_file(cache: Path) -> Path:
    files = list((cache / "msidbg").glob("methods-*.marshal"))
    assert len(files) == 1, files
    return files[0]


def test_the_methods_are_compiled_once_then_read_back(tmp_path: Path) -> None:
    first = command(tmp_path)
    assert first.returncode == 0, first.stderr
    path = the_file(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    table = marshal.loads(path.read_bytes())
    assert len(table) > 50 and all(src.startswith("def __create_fn__(") for src in table)
    before = path.stat().st_mtime_ns
    again = command(tmp_path)
    assert again.stdout == first.stdout and again.returncode == 0
    assert path.stat().st_mtime_ns == before, "nothing new was compiled: the file is not rewritten"
    off = command(tmp_path / "off", MSIDBG_NO_BYTECODE_CACHE="1")
    assert off.stdout == first.stdout and not (tmp_path / "off" / "msidbg").exists()


def test_the_cache_is_used_only_when_it_is_the_users_own_and_intact(tmp_path: Path) -> None:
    good = command(tmp_path)
    path = the_file(tmp_path)
    # every cached method replaced by one that stops the program: the proof that the cache is used
    poison = compile("def __create_fn__(*a, **k):\n raise SystemExit('poisoned')\n", "<string>", "exec")
    path.write_bytes(marshal.dumps({src: marshal.dumps(poison) for src in marshal.loads(path.read_bytes())}))
    assert command(tmp_path).stderr.strip() == "poisoned"
    path.chmod(0o620)       # writable by others: not trusted, compiled afresh and replaced
    out = command(tmp_path)
    assert out.returncode == 0 and out.stdout == good.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    one = next(iter(marshal.loads(path.read_bytes())))
    for junk in (b"\x00garbage", marshal.dumps([1, 2]), marshal.dumps({"x": 1}), b"",
                 marshal.dumps({one: b"\x00garbage"}), marshal.dumps({one: marshal.dumps([1, 2])}),
                 marshal.dumps({one: poison})):   # a damaged entry, a non-code one, the old format
        path.write_bytes(junk)
        out = command(tmp_path)
        assert out.returncode == 0 and out.stdout == good.stdout and out.stderr == ""
        table = marshal.loads(path.read_bytes())
        assert all(type(marshal.loads(v)).__name__ == "code" for v in table.values()) and len(table) > 50


def test_the_methods_are_decoded_only_when_used(tmp_path: Path) -> None:
    """The table holds every command's methods; a command decodes only those it defines."""
    command(tmp_path)
    path = the_file(tmp_path)
    table = marshal.loads(path.read_bytes())
    # not even decodable: a command that decoded the whole table would have to drop it
    others = {f"def __create_fn__():\n    # another command's method {i}\n": b"\x00not code" for i in range(500)}
    path.write_bytes(marshal.dumps({**table, **others}))
    out = command(tmp_path)
    assert out.returncode == 0 and out.stderr == ""
    assert set(marshal.loads(path.read_bytes())) == set(table) | set(others), "kept, not rewritten"


def test_cached_patterns_are_the_ones_re_compiles(tmp_path: Path) -> None:
    import _sre
    from re import _compiler  # type: ignore[attr-defined]

    first = command(tmp_path)
    path = next((tmp_path / "msidbg").glob("patterns-*.marshal"))
    table = marshal.loads(path.read_bytes())
    assert len(table) > 20
    assert any("\\uD7FF" in p or "\ud7ff" in p for p, _ in table)   # PyYAML's reader's costly character class
    for (pattern, flags), blob in table.items():
        assert _sre.compile(pattern, *marshal.loads(blob)) == _compiler.compile(pattern, flags), pattern  # same program
    before = path.stat().st_mtime_ns
    assert command(tmp_path).stdout == first.stdout
    assert path.stat().st_mtime_ns == before
    # a damaged program is refused by _sre and compiled afresh
    damaged = {key: marshal.dumps((args[0], [999_999, 1], *args[2:]))
               for key, args in ((k, marshal.loads(v)) for k, v in table.items())}
    path.write_bytes(marshal.dumps(damaged))
    out = command(tmp_path)
    assert out.returncode == 0 and out.stdout == first.stdout and out.stderr == ""
    repaired = 0
    for (pattern, flags), blob in marshal.loads(path.read_bytes()).items():   # those it used: written again
        try:
            repaired += _sre.compile(pattern, *marshal.loads(blob)) == _compiler.compile(pattern, flags)
        except RuntimeError:
            continue
    assert repaired > 20


def test_only_the_patterns_a_run_compiles_are_installed(tmp_path: Path) -> None:
    """The table holds every command's patterns; a command installs only those it compiles."""
    command(tmp_path)
    path = next((tmp_path / "msidbg").glob("patterns-*.marshal"))
    table = marshal.loads(path.read_bytes())
    blob = next(iter(table.values()))
    others = {(f"another command's pattern {i}", 0): blob for i in range(400)}
    path.write_bytes(marshal.dumps({**table, **others}))
    probe = "import atexit, re, sys\natexit.register(lambda: print(len(re._cache), file=sys.stderr))\n"
    out = subprocess.run([sys.executable, "-c", probe + RUN, SCN], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert out.returncode == 0 and int(out.stderr) <= len(table) + 20, out.stderr
    assert marshal.loads(path.read_bytes()) == {**table, **others}


#: what a headless run must not load: inspect's own imports (dataclasses reads it only for a
#: missing docstring), OpenSSL (small digests: msidbg.digest), shutil (argparse's terminal width),
#: json (only with --json), secrets (only when a file is written), why (the cause chains, which
#: only --json shows) and difflib (a misspelt name's "did you mean": debugger.schema)
NOT_LOADED = ("ast", "dis", "tokenize", "_hashlib", "shutil", "json", "secrets", "msidbg.debugger.why", "difflib",
              # the Xen side (model/platforms.py): loaded on first use by a xen-* platform or a full listing
              "msidbg.model.xenreg", "msidbg.model.xen", "msidbg.model.evtchn", "msidbg.model.evtchn_abi",
              "msidbg.model.qemu", "msidbg.model.qemu_pt", "msidbg.model.xen_intx", "msidbg.model.xencite",
              "msidbg.model.kernel.xen", "msidbg.model.kernel.xen_events",
              # the hardware modules' citations: registered when a listing of readings first reads them (model/cite.py)
              "msidbg.model.hwcite")


def test_a_headless_run_leaves_the_heavy_modules_unloaded(tmp_path: Path) -> None:
    probe = ("import atexit, sys\n"
             f"atexit.register(lambda: print(sorted(m for m in {NOT_LOADED!r} if m in sys.modules), file=sys.stderr))\n")
    out = subprocess.run([sys.executable, "-c", probe + RUN, SCN], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert out.returncode == 0 and out.stderr.strip() == "[]", out.stderr
    assert "state hash" in out.stdout


def test_the_first_modules_are_read_from_the_cache_too(tmp_path: Path) -> None:
    """``msidbg``, ``guard``, ``errors`` and ``_boot`` are imported before the entry point runs:
    the package sets the cache up first, so they are not compiled again on every command."""
    assert command(tmp_path, PYTHONDONTWRITEBYTECODE="1").returncode == 0
    cached = {p.name.split(".")[0] for p in (tmp_path / "msidbg" / "pycache").rglob("msidbg/*.pyc")}
    assert {"guard", "errors", "_boot", "cli"} <= cached, cached


def test_inspect_loads_on_first_use_and_is_then_the_real_module() -> None:
    code = ("import sys\n"
            "from msidbg import _boot\n"
            "assert _boot.lazy_inspect() and 'inspect' in sys.modules\n"
            "import dataclasses, inspect as early\n"
            "assert 'ast' not in sys.modules\n"
            "@dataclasses.dataclass\n"
            "class X:\n"
            "    a: int\n"
            "from inspect import signature\n"
            "import inspect\n"
            "print(X.__doc__, signature(X), early.isclass(X), early.signature is inspect.signature,\n"
            "      type(inspect).__name__, 'ast' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["X(a:", "int)", "(a:", "int)", "->", "None", "True", "True", "module", "True"]


def test_small_digests_are_hashlibs() -> None:
    import hashlib

    from msidbg.digest import BUDGET, sha256

    for n in (0, 1, 1000, BUDGET // 2, BUDGET - 1, BUDGET, 3 * BUDGET + 7, 10):
        data = bytes(i * 7 % 251 for i in range(n))
        assert sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


def test_event_kind_codes_are_fixed_whatever_is_imported_first() -> None:
    """Every declared kind is listed in ``kinds.ORDER`` and has its position there as its code, whether the Xen
    side was imported before or after the bare-metal modules (it loads on first use: model/platforms.py)."""
    code = ("import sys, json\n"
            "from msidbg.sim import events\n"
            + "{}\n"
            "import msidbg.model\n"
            "from msidbg.model.kinds import ORDER\n"
            "early = sorted(k.name for k in events._KINDS if k is not None)\n"
            "names = [k.name for k in events.all_kinds()]\n"
            "print(json.dumps([names, list(ORDER), [events.kind_by_name(n).code for n in ORDER], early,\n"
            "                  'msidbg.model.xenreg' in sys.modules]))\n")
    import json

    runs = []
    for first in ("", "import msidbg.model.kinds, msidbg.model.kernel.xen_events, msidbg.model.xen_intx"):
        out = subprocess.run([sys.executable, "-c", code.format(first)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout))
    (names, order, codes, early, loaded), (names2, _, codes2, early2, _) = runs
    # a kind not listed is numbered after the list, in declaration order: the same in both processes unless it is
    # declared by a module imported on first use (then list it at the end of kinds.ORDER)
    assert names[:len(order)] == order and names == names2, "list the new kind at the end of kinds.ORDER"
    assert codes == codes2 == list(range(len(order)))
    assert "xen.pirq" not in early and "xen.pirq" in early2 and loaded   # all_kinds() loaded the Xen side


def test_bare_metal_runs_without_the_xen_side_are_the_pinned_ones() -> None:
    """The shipped bare-metal scenarios, run in a process where the Xen side was never imported, give the pinned
    event logs, hits, provenance and state hashes (tests/golden_runs.json)."""
    import json

    code = ("import json, sys\n"
            "from pathlib import Path\n"
            "from msidbg.scenario import load_scenario\n"
            "from tests.test_run_goldens import FILES, fingerprint\n"
            "out = {}\n"
            "for f in FILES:\n"
            "    if load_scenario(str(f)).platform.kind.startswith('xen-'):\n"
            "        continue\n"
            "    for s in (None, 'random'):\n"
            "        out[f'{f.name} {s or \"ordered\"}'] = fingerprint(f, s)\n"
            "print(json.dumps([out, 'msidbg.model.xenreg' in sys.modules, 'msidbg.model.evtchn' in sys.modules]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stderr
    runs, xenreg, evtchn = json.loads(out.stdout)
    golden = json.loads((Path(__file__).resolve().parent / "golden_runs.json").read_text())
    assert len(runs) >= 20 and not xenreg and not evtchn
    assert {k: golden[k] for k in runs} == runs


def test_whatever_names_a_xen_program_loads_the_xen_side_first() -> None:
    """A probe at a Xen frontend program (checked before the platform builders run), a ``call`` breakpoint on one
    in a bare-metal session, and the probe / fault errors that list every program: in a fresh process each sees
    the Xen side's programs (model/platforms.py loads it on the miss)."""
    root = Path(__file__).resolve().parent.parent
    code = ("import sys\n"
            "from msidbg.debugger.breakpoints import parse\n"
            "from msidbg.model import new_engine\n"
            "from msidbg.scenario import load_scenario\n"
            "from msidbg.sim.program import PROGRAMS\n"
            "before = 'shutdown_pirq' in PROGRAMS\n"
            "bp = parse('call xen_evtchn_do_upcall')\n"
            "eng = new_engine(load_scenario(sys.argv[1]))\n"
            "print(before, bp.spec, sorted(p for p in eng.w['probes']), 'msidbg.model.xenreg' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code, str(root / "tests/heldout_xen21/r33-sriov-pirq-log-x44.yaml")],
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "call", "xen_evtchn_do_upcall", "['shutdown_pirq']", "True"]
