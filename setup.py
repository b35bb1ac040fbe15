"""setuptools' view of msidbg: pure Python, unless ``MSIDBG_COMPILE=1`` asks for the compiled build.

With ``MSIDBG_COMPILE=1`` (a non-editable ``pip install .``; ``buildsys/msidbg_backend.py``
brings mypy into the build) the modules named in ``msidbg/_native.py`` are compiled with mypyc,
and the wheel gets ``msidbg/_native.manifest``: each compiled module's source hash, which
``msidbg/_native.py`` checks at import (docs/perf.md, "Compiled build").
"""

from __future__ import annotations

import importlib.util
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
COMPILE = os.environ.get("MSIDBG_COMPILE") == "1"


def _native():  # type: ignore[no-untyped-def]
    """msidbg/_native.py on its own (importing the package would run its start-up)."""
    spec = importlib.util.spec_from_file_location("_msidbg_native", os.path.join(HERE, "msidbg", "_native.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class BuildPy(build_py):
    """build_py, plus the compiled build's manifest."""

    def run(self) -> None:
        super().run()
        if COMPILE:
            native = _native()
            out = os.path.join(self.build_lib, "msidbg", native.MANIFEST)
            with open(out, "w", encoding="ascii") as f:
                f.write(native.manifest_text(HERE))


kw = {}
# (mypycify type-checks and generates C at once: only for the commands that build, not for metadata)
if COMPILE and {"build", "build_ext", "bdist_wheel", "install"} & set(sys.argv[1:]):
    from mypyc.build import mypycify

    native = _native()
    kw["ext_modules"] = mypycify([os.path.relpath(native.source_path(HERE, m), HERE) for m in native.NATIVE],
                                 group_name="msidbg_native", opt_level="3")

setup(cmdclass={"build_py": BuildPy}, **kw)
