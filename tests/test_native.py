"""The optional compiled build (``MSIDBG_COMPILE=1 pip install .``, msidbg/_native.py).

A compiled module sits beside its source and Python prefers it, so an edited source must never
silently run its old compiled copy: msidbg uses the compiled modules only when all of them match
the sources they were built from, and otherwise runs every hot module from source and says so.
The compiled and the pure build must run every shipped scenario identically (same events, hits,
provenance and state hashes): ``test_the_compiled_and_the_pure_build_run_alike`` checks it when a
compiled build is at hand (this process's, or ``MSIDBG_NATIVE_PYTHON``: the python of a venv with
a compiled install) and is skipped, saying why, when none is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from msidbg import _native
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden_runs.json"


def fake_build(root: Path, modules: tuple[str, ...] = _native.NATIVE) -> None:
    """Sources for ``modules`` under ``root``, a compiled file beside each and the build's manifest."""
    for m in modules:
        src = Path(_native.source_path(str(root), m))
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(f"# {m}\n")
        Path(_native.compiled_path(str(root), m)).write_bytes(b"not really compiled")
    (root / "msidbg" / _native.MANIFEST).write_text(_native.manifest_text(str(root), modules))


def test_compiled_modules_are_used_only_while_every_one_matches_its_source(tmp_path: Path) -> None:
    fake_build(tmp_path)
    assert _native.verdict(str(tmp_path)) == (True, "")
    cpu = Path(_native.source_path(str(tmp_path), "msidbg.model.cpu"))
    cpu.write_text(cpu.read_text() + "x = 1\n")
    assert _native.verdict(str(tmp_path)) == (False, "msidbg/model/cpu.py changed since it was compiled")


def test_a_partial_or_unrecorded_build_is_not_used(tmp_path: Path) -> None:
    fake_build(tmp_path)
    Path(_native.compiled_path(str(tmp_path), "msidbg.model")).unlink()
    assert _native.verdict(str(tmp_path)) == (False, "compiled modules missing for msidbg.model")
    fake_build(tmp_path)
    (tmp_path / "msidbg" / _native.MANIFEST).unlink()
    assert _native.verdict(str(tmp_path)) == (False, f"no readable build manifest (msidbg/{_native.MANIFEST})")
    fake_build(tmp_path, _native.NATIVE[1:])   # a manifest of another module list
    Path(_native.compiled_path(str(tmp_path), _native.NATIVE[0])).write_bytes(b"")
    assert _native.verdict(str(tmp_path)) == (False, f"msidbg/{_native.MANIFEST} does not list the compiled modules")


def test_no_compiled_module_is_a_pure_install(tmp_path: Path) -> None:
    fake_build(tmp_path)
    for m in _native.NATIVE:
        Path(_native.compiled_path(str(tmp_path), m)).unlink()
    assert _native.verdict(str(tmp_path)) == (False, "")


CHILD = """
import sys
import msidbg
from msidbg import _native
import msidbg.model.cpu, msidbg.sim.scheduler
from msidbg.debugger import headless
from msidbg.scenario import load_scenario
summ = headless.run(load_scenario(sys.argv[1])).summary
print(_native.BUILD)
print(msidbg.__file__)
print(msidbg.model.cpu.__file__, msidbg.model.__file__)
print(summ["events"], summ["devices"]["eth0"]["vectors"][0])
"""


def _copy_with_stale_build(tmp_path: Path) -> None:
    """A copy of the msidbg package whose hot modules have (unloadable) compiled files beside them."""
    shutil.copytree(ROOT / "msidbg", tmp_path / "msidbg", ignore=shutil.ignore_patterns("__pycache__", "*.so",
                                                                                        _native.MANIFEST))
    for m in _native.NATIVE:
        Path(_native.compiled_path(str(tmp_path), m)).write_bytes(b"\x7fELF but not a module")
    (tmp_path / "msidbg" / _native.MANIFEST).write_text(_native.manifest_text(str(tmp_path)))


def _child(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    scenario = ROOT / "scenarios" / "msix-write-while-unmasked.yaml"
    return subprocess.run([sys.executable, "-c", CHILD, str(scenario)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1", **env})


def test_an_edited_source_runs_from_source_never_its_stale_compiled_copy(tmp_path: Path) -> None:
    _copy_with_stale_build(tmp_path)
    entry = tmp_path / "msidbg" / "model" / "kernel" / "entry.py"
    entry.write_text(entry.read_text() + "\n# edited after the build\n")
    got = _child(tmp_path)
    assert got.returncode == 0, got.stderr
    build, pkg, files, run = got.stdout.splitlines()
    assert pkg == str(tmp_path / "msidbg" / "__init__.py")
    assert build == "pure Python (msidbg/model/kernel/entry.py changed since it was compiled)"
    assert files == f"{tmp_path}/msidbg/model/cpu.py {tmp_path}/msidbg/model/__init__.py"
    assert got.stderr == (f"msidbg: not using the compiled modules in {tmp_path}/msidbg: msidbg/model/kernel/entry.py "
                          "changed since it was compiled; running the pure-Python sources (rebuild with "
                          "MSIDBG_COMPILE=1 pip install ., or remove the compiled files)\n")
    # the same run as this process's
    from msidbg.debugger import headless
    from msidbg.scenario import load_scenario
    summ = headless.run(load_scenario(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"))).summary
    assert run == f"{summ['events']} {summ['devices']['eth0']['vectors'][0]}"


def test_msidbg_pure_runs_from_source_quietly(tmp_path: Path) -> None:
    _copy_with_stale_build(tmp_path)   # (its manifest matches: only MSIDBG_PURE keeps the files unloaded)
    got = _child(tmp_path, MSIDBG_PURE="1")
    assert got.returncode == 0, got.stderr
    assert got.stdout.splitlines()[0] == "pure Python (MSIDBG_PURE=1)"
    assert got.stderr == ""


def test_version_says_which_build_runs() -> None:
    got = subprocess.run([sys.executable, "-c", "from msidbg.cli import main; main(['--version'])"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    from msidbg.model import revision

    assert got.stdout == f"msidbg 0.1.0 (model revision {revision.MODEL}, {_native.BUILD})\n"
    assert _native.BUILD.startswith((_native.PURE, _native.COMPILED))


AGREE = """
import json, sys
sys.path.append(sys.argv[1])   # the checkout's tests, after the installed msidbg
from msidbg import _native
from tests.test_run_goldens import CASES, fingerprint
sys.path.insert(0, sys.argv[1] + "/benchmarks")
from engine import workload_yaml
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from msidbg.sim.world import state_hash
out = {f"{p.name} {s or 'ordered'}": fingerprint(p, s) for p, s in CASES}
for plat in ("", "xen-hvm"):
    eng = new_engine(load_scenario_text(workload_yaml("storm", 3000, plat), "storm.yaml"))
    while eng.advance(4096):
        pass
    out[f"storm {plat}"] = [len(eng.log), eng.log.rows_bytes(0, len(eng.log)).hex()[-64:], state_hash(eng.w)]
print(json.dumps({"build": _native.BUILD, "root": _native.__file__, "runs": out}))
"""


def _native_python() -> str | None:
    if _native.BUILD == _native.COMPILED:
        return sys.executable
    return os.environ.get("MSIDBG_NATIVE_PYTHON") or None


def test_the_compiled_and_the_pure_build_run_alike(tmp_path: Path) -> None:
    py = _native_python()
    if py is None:
        pytest.skip("no compiled build: MSIDBG_COMPILE=1 pip install . in a venv, then set MSIDBG_NATIVE_PYTHON "
                    "to its python (docs/perf.md, 'Compiled build')")
    runs = {}
    for build, env in (("compiled", {}), ("pure", {"MSIDBG_PURE": "1"})):
        got = subprocess.run([py, "-c", AGREE, str(ROOT)], cwd=tmp_path, capture_output=True, text=True, timeout=1800,
                             env={**os.environ, "PYTHONPATH": "", **env})
        assert got.returncode == 0, got.stderr
        runs[build] = json.loads(got.stdout)
    assert runs["compiled"]["build"] == _native.COMPILED, runs["compiled"]["build"]
    assert runs["pure"]["build"] == f"{_native.PURE} (MSIDBG_PURE=1)"
    assert runs["compiled"]["runs"] == runs["pure"]["runs"]
    # and both are this checkout's pinned runs when the install is of this checkout's sources
    root = Path(runs["compiled"]["root"]).parent.parent
    if _native.manifest_text(str(root)) == _native.manifest_text(str(ROOT)):
        golden = json.loads(GOLDEN.read_text())
        assert {k: v for k, v in runs["compiled"]["runs"].items() if k in golden} == golden
