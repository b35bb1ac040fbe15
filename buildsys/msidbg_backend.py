"""msidbg's build backend: setuptools', plus the optional compiled build (``MSIDBG_COMPILE=1``).

Without ``MSIDBG_COMPILE=1`` every hook is setuptools' own and the install is pure Python. With
it, a wheel (``pip install .``, ``pip wheel .``) also needs mypy, whose mypyc compiles the hot
modules (``setup.py``, ``msidbg/_native.py``). An editable install with it is refused: the
compiled modules would sit in the source tree and go stale as it is edited.
"""

from __future__ import annotations

import os

from setuptools import build_meta as _meta
from setuptools.build_meta import *  # noqa: F403  (every hook not overridden here)

#: the mypy (mypyc) a compiled build is made with: the release it was last checked with (docs/perf.md)
MYPYC = "mypy>=2.3"


def _compile() -> bool:
    return os.environ.get("MSIDBG_COMPILE") == "1"


def get_requires_for_build_wheel(config_settings=None):  # type: ignore[no-untyped-def]
    if not _compile():
        return _meta.get_requires_for_build_wheel(config_settings)
    # setuptools runs setup.py to collect its requirements: as a pure build, since mypy is not there yet
    os.environ["MSIDBG_COMPILE"] = "0"
    try:
        requires = _meta.get_requires_for_build_wheel(config_settings)
    finally:
        os.environ["MSIDBG_COMPILE"] = "1"
    return [*requires, MYPYC]


def _refuse_editable() -> None:
    if _compile():
        raise SystemExit("msidbg: MSIDBG_COMPILE=1 builds a non-editable install only (pip install ., "
                         "without -e): compiled modules in the source tree would go stale as it is edited")


def get_requires_for_build_editable(config_settings=None):  # type: ignore[no-untyped-def]
    _refuse_editable()
    return _meta.get_requires_for_build_editable(config_settings)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):  # type: ignore[no-untyped-def]
    _refuse_editable()
    return _meta.build_editable(wheel_directory, config_settings, metadata_directory)
