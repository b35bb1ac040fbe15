"""The engine, the model and the debugger never import Textual or Rich."""

import subprocess
import sys


def test_sim_model_debugger_do_not_import_textual_or_rich() -> None:
    code = (
        "import sys, msidbg.sim, msidbg.model, msidbg.debugger, msidbg.scenario\n"
        "import msidbg.debugger.headless, msidbg.debugger.summary\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported: {out.stdout.strip()}"


def test_sim_does_not_import_model() -> None:
    code = "import sys, msidbg.sim\nprint(any(m.startswith('msidbg.model') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the import graph -----------------------------------------------------------------------------
import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PKG = Path(__file__).resolve().parent.parent / "msidbg"
#: sim <- scenario/behaviour <- model <- debugger <- tui <- cli; the leaf modules sit with sim
RANKS = {
    "msidbg": 0, "msidbg.errors": 0, "msidbg.contract": 0, "msidbg.yamlsafe": 0, "msidbg.sim": 0,
    "msidbg.guard": 0, "msidbg.files": 0, "msidbg.digest": 0,  # leaves: the standard library only (escaping, signals, safe I/O)
    "msidbg.scenario": 1, "msidbg.scenario_timing": 1, "msidbg.behaviour": 1,
    "msidbg.model": 2,
    "msidbg.debugger": 3,
    "msidbg.tui": 5,
    "msidbg.bugio.serve": 5, "msidbg.bugio.served": 5,  # the TUI served to a browser
    "msidbg.cli": 6,
    "msidbg._boot": 7,  # the msidbg command's entry point: a bytecode cache, then the CLI
    "msidbg.bugio.commands": 6,  # the bugio subcommands' parsers and handlers: part of the CLI
    "msidbg.whycmd": 6,  # the why / diff subcommands' parsers and handlers: part of the CLI
}
#: a package this table does not name yet (e.g. a new tool built on the debugger) ranks here:
#: it may use the debugger and below, and only the TUI and the CLI may use it
UNNAMED = 4


def rank(module: str) -> int:
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        got = RANKS.get(".".join(parts[:n]))
        if got is not None and (n > 1 or module == "msidbg"):
            return got
    return UNNAMED


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(path: Path) -> list[tuple[str, int]]:
    """msidbg modules imported by ``path``, anywhere (lazy imports count), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("msidbg")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("msidbg") and not node.level:
            out += [(f"{node.module}.{a.name}" if _is_module(f"{node.module}.{a.name}") else node.module, node.lineno)
                    for a in node.names]
    return out


def _is_module(name: str) -> bool:
    rel = PKG.parent.joinpath(*name.split("."))
    return rel.with_suffix(".py").exists() or (rel / "__init__.py").exists()


def test_imports_point_down_the_layers() -> None:
    """Nothing imports upwards: sim <- scenario/behaviour <- model <- debugger <- tui <- cli."""
    bad = []
    for path in sorted(PKG.rglob("*.py")):
        me = module_name(path)
        for target, line in runtime_imports(path):
            if rank(target) > rank(me):
                bad.append(f"{path.relative_to(PKG.parent)}:{line}: {me} (rank {rank(me)}) imports {target} "
                           f"(rank {rank(target)})")
    assert bad == [], "\n".join(bad)


def test_scenario_and_model_do_not_import_each_other_and_hits_not_the_debugger() -> None:
    for path in sorted(PKG.rglob("*.py")):
        me = module_name(path)
        targets = {t for t, _ in runtime_imports(path)}
        if me.startswith(("msidbg.model", )):
            assert not {t for t in targets if t.startswith("msidbg.scenario")}, me
        if me in ("msidbg.scenario",) or me.startswith("msidbg.behaviour"):
            assert not {t for t in targets if t.startswith(("msidbg.model", "msidbg.debugger"))}, me
    code = "import sys, msidbg.scenario\nprint(sorted(m for m in sys.modules if m.startswith(('msidbg.model', " \
           "'msidbg.debugger'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_graph_check_catches_an_upward_import(tmp_path: Path) -> None:
    assert rank("msidbg.model.hits") == 2 and rank("msidbg.debugger.breakpoints") == 3
    assert rank("msidbg.behaviour.kernel") == 1 and rank("msidbg.sim.program") == 0 and rank("msidbg") == 0
    assert rank("msidbg.explore.runner") == UNNAMED
    src = tmp_path / "m.py"
    src.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from msidbg.scenario import Scenario\n"
                   "def f():\n    from msidbg.debugger.breakpoints import problem\n")
    assert runtime_imports(src) == [("msidbg.debugger.breakpoints", 5)]
