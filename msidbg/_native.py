"""The optional compiled build (mypyc) of the engine's hot modules, and the check that keeps it honest.

``MSIDBG_COMPILE=1 pip install .`` (a non-editable install; see ``setup.py`` and docs/perf.md)
compiles the modules in ``NATIVE`` with mypyc into extension modules that sit beside their
``.py`` sources, and writes ``MANIFEST`` beside them: one line per module, its name and the
sha256 of the source it was compiled from. Every other install (the README's editable one, a
plain ``pip install .``) is pure Python and has neither.

Python imports an extension module in preference to the ``.py`` beside it, so an edited source
would silently run its old compiled copy. Before any of these modules is imported,
``msidbg/__init__.py`` calls ``check``: the compiled modules are used only when every one of
them is present, the manifest names exactly them, and each source still hashes as it did at
the build. Otherwise (or with ``MSIDBG_PURE=1``) a finder put first on ``sys.meta_path`` loads
every module in ``NATIVE`` from its ``.py`` source -- all of them, never a mix: compiled
modules call each other directly, so one pure module among compiled ones would leave stale
code reachable -- and, unless it was asked for, one line on stderr says so. ``BUILD`` says
which path is in use (``msidbg --version``, the benchmarks).
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

#: the modules the compiled build compiles (the storm's and the Xen storm's hot path: the step
#: loop, the event log, the program interpreter, the CPU, APIC, bus, device and provenance models,
#: the kernel's interrupt entry and the Xen event channel path)
NATIVE = (
    "msidbg.sim.scheduler",
    "msidbg.sim.rec",
    "msidbg.sim.program",
    "msidbg.sim.world",
    "msidbg.sim.events",
    "msidbg.model",
    "msidbg.model.cpu",
    "msidbg.model.apic",
    "msidbg.model.bus",
    "msidbg.model.device",
    "msidbg.model.prov",
    "msidbg.model.kernel.entry",
    "msidbg.model.evtchn",
    "msidbg.model.evtchn_abi",
    "msidbg.model.kernel.xen_events",
    "msidbg.model.xen",
)

#: the build's record of what it compiled, beside this file
MANIFEST = "_native.manifest"

#: ``BUILD`` when the compiled modules are in use
COMPILED = "compiled (mypyc)"
#: ``BUILD`` when no compiled module is installed
PURE = "pure Python"

#: which build runs: ``COMPILED``, ``PURE``, or ``PURE`` with the reason the compiled modules
#: present were not used (set by ``check``)
BUILD = PURE

#: the extension module suffix the build writes (``.cpython-311-x86_64-linux-gnu.so``)
_SUFFIX = EXTENSION_SUFFIXES[0]


def source_path(root: str, module: str) -> str:
    """The ``.py`` file of ``module`` under ``root`` (the directory holding the ``msidbg`` package)."""
    parts = module.split(".")
    if module == "msidbg.model":
        return os.path.join(root, *parts, "__init__.py")
    return os.path.join(root, *parts) + ".py"


def compiled_path(root: str, module: str) -> str:
    """Where the build puts ``module``'s extension module under ``root``."""
    parts = module.split(".")
    if module == "msidbg.model":
        return os.path.join(root, *parts, "__init__" + _SUFFIX)
    return os.path.join(root, *parts) + _SUFFIX


def digest(path: str) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def manifest_text(root: str, modules: Sequence[str] = NATIVE) -> str:
    """The manifest of a build that compiles ``modules`` from the sources under ``root``."""
    return "".join(f"{m} {digest(source_path(root, m))}\n" for m in modules)


def verdict(root: str, modules: Sequence[str] = NATIVE) -> tuple[bool, str]:
    """(use the compiled modules?, why not). ``(False, "")``: none is installed (a pure install)."""
    present = [m for m in modules if os.path.exists(compiled_path(root, m))]
    if not present:
        return False, ""
    if len(present) != len(modules):
        missing = sorted(set(modules) - set(present))
        return False, f"compiled modules missing for {', '.join(missing)}"
    try:
        with open(os.path.join(root, "msidbg", MANIFEST), encoding="ascii") as f:
            lines = f.read(1 << 16).splitlines()
    except (OSError, UnicodeDecodeError):
        return False, f"no readable build manifest (msidbg/{MANIFEST})"
    built: dict[str, str] = {}
    for line in lines:
        name, _, sha = line.partition(" ")
        built[name] = sha
    if sorted(built) != sorted(modules):
        return False, f"msidbg/{MANIFEST} does not list the compiled modules"
    for m in modules:
        src = source_path(root, m)
        try:
            now = digest(src)
        except OSError:
            continue    # no source beside it: nothing it could be stale against
        if now != built[m]:
            return False, f"{os.path.relpath(src, root)} changed since it was compiled"
    return True, ""


class _PureFinder:
    """Loads the modules of ``NATIVE`` from their ``.py`` sources (first on ``sys.meta_path``)."""

    def __init__(self, root: str) -> None:
        self.root = root

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if fullname not in NATIVE:
            return None
        import importlib.util

        src = source_path(self.root, fullname)
        locations = [os.path.dirname(src)] if src.endswith("__init__.py") else None
        return importlib.util.spec_from_file_location(fullname, src, submodule_search_locations=locations)


def check(root: str | None = None) -> str:
    """Decide (once, before any module of ``NATIVE`` is imported) which build runs; sets ``BUILD``."""
    global BUILD
    if root is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    use, why = verdict(root)
    if use and os.environ.get("MSIDBG_PURE") == "1":
        use, why = False, "MSIDBG_PURE=1"
    elif not use and why:
        sys.stderr.write(f"msidbg: not using the compiled modules in {os.path.join(root, 'msidbg')}: {why}; "
                         "running the pure-Python sources (rebuild with MSIDBG_COMPILE=1 pip install ., "
                         "or remove the compiled files)\n")
    if use:
        BUILD = COMPILED
    else:
        if why:
            sys.meta_path.insert(0, _PureFinder(root))
        BUILD = f"{PURE} ({why})" if why else PURE
    return BUILD
