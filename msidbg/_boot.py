"""The ``msidbg`` command's entry point: caches of compiled code, then the CLI.

Python compiles every imported module it has no bytecode for. With ``PYTHONDONTWRITEBYTECODE``
set (or an unwritable checkout) nothing is ever cached, and each ``msidbg`` command recompiles
msidbg's modules: most of a short command's run time. So when the user's setting forbids
writing ``__pycache__`` next to the sources, the command keeps its bytecode in a cache of its
own instead (``$XDG_CACHE_HOME/msidbg/pycache``, else ``~/.cache/msidbg/pycache``): the source
tree stays clean, as the setting asks.

Module bytecode is not all: ``dataclasses`` writes the source of every method it generates
(``__init__``, ``__eq__``, ``__hash__``...) and compiles it with ``exec`` each time a class is
defined -- some thirty classes on the way to a headless run, a fifth of its start-up. The
command keeps those compiled methods too (``methods-<python>.marshal`` in the same cache
directory, what ``.pyc`` files hold: code objects), keyed by their exact source text: the code
run is what ``exec`` of that text gives, only not compiled again. Regular expressions are the
same story: ``re`` compiles each pattern into a program for its matcher, and one character class
of PyYAML's reader alone costs a tenth of a headless run. The programs of the patterns a run
compiled are kept (``patterns-<python>.marshal``) and put in ``re``'s own cache of compiled patterns
at start-up (``_sre`` checks every program it is given). A file that cannot be read, is not the
user's own, or does not hold what it should is ignored and rewritten.

``PYTHONPYCACHEPREFIX`` (the user's own choice of cache) leaves the module bytecode where it is;
``MSIDBG_NO_BYTECODE_CACHE=1`` turns all three caches off. Library use (``import msidbg``) is never
affected: only this entry point does it.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

#: a cache file is read only up to this size (and rewritten from scratch past it)
MAX_CODE_CACHE = 4 << 20
#: compiled patterns kept at most (``re`` itself keeps 512)
MAX_PATTERNS = 512


def cache_dir() -> str | None:
    """msidbg's cache directory (it may not exist yet), or None without an absolute home."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "msidbg") if os.path.isabs(base) else None


def bytecode_cache() -> str | None:
    """Direct this process's bytecode writes to msidbg's cache when they are off; the cache
    directory, or None when nothing changed. (The ``msidbg`` program has done it already, in
    ``msidbg/__init__.py``, before the first msidbg module after the package was read.)"""
    from msidbg import bytecode_cache as early

    return early()


def dataclass_cache() -> str | None:
    """Let ``dataclasses`` reuse the methods it compiled in earlier runs (see the module's
    docstring); the cache file, or None when it is off. Nothing is written unless a method
    had to be compiled; then the file is replaced (atomically) with what it held and the new
    methods (only this run's, when that would pass ``MAX_CODE_CACHE``).

    The file maps each method's source to its code *as marshal bytes*, decoded when that method
    is defined: the table holds every command's methods (the TUI's, explore's...), and decoding
    them all up front cost more than the compiling it saves once it had a few hundred (~8 ms
    for 560, of which a headless run uses 180)."""
    base = cache_dir()
    if base is None or os.environ.get("MSIDBG_NO_BYTECODE_CACHE"):
        return None
    import builtins
    import dataclasses
    import marshal

    path = os.path.join(base, f"methods-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal")
    known = _read_table(path, marshal.loads, _is_method)
    used: dict[str, bytes] = {}
    fresh: list[bool] = []
    real_exec = builtins.exec
    code_type = type(_is_method.__code__)

    def cached_exec(source: object, globals: dict[str, object] | None = None,
                    locals: dict[str, object] | None = None, /) -> None:
        if type(source) is not str:
            return real_exec(source, globals, locals)   # type: ignore[arg-type]
        code: Any = None
        blob: bytes | None = known.get(source)
        if blob is not None:
            try:
                code = marshal.loads(blob)
            except (ValueError, EOFError, TypeError):
                code = None
            if type(code) is not code_type:
                code = None
        if code is None:
            code = compile(source, "<string>", "exec")
            blob = marshal.dumps(code)
            fresh.append(True)
        used[source] = blob or marshal.dumps(code)
        return real_exec(code, globals, locals)

    def save() -> None:
        if fresh:   # keep what other commands used too (the TUI's classes), unless it grew too big
            data = marshal.dumps({**known, **used})
            _write_table(path, data if len(data) <= MAX_CODE_CACHE else marshal.dumps(used))

    dataclasses.exec = cached_exec    # type: ignore[attr-defined]  # dataclasses' own name for exec
    import atexit

    atexit.register(save)
    return path


def regex_cache() -> str | None:
    """Give ``re`` the programs of the patterns earlier runs compiled (see the module's
    docstring); the cache file, or None when it is off. At exit, the patterns this run compiled
    that the file lacks are added to it.

    The file maps (pattern, flags) to the program *as marshal bytes*, and a pattern's program is
    decoded and handed to ``_sre`` only when this run first compiles that pattern (``re._compile``
    is wrapped): the table holds every command's patterns (up to ``MAX_PATTERNS``), and decoding
    and installing them all at start-up cost more than the compiling it saves (~2-9 ms for 460
    under load; a headless run uses 36)."""
    base = cache_dir()
    if base is None or os.environ.get("MSIDBG_NO_BYTECODE_CACHE"):
        return None
    import marshal
    import re

    try:
        import _sre
        from re import _compiler, _parser  # type: ignore[attr-defined]
        compiled: dict[tuple[type, str, int], Any] = re._cache   # type: ignore[attr-defined]
        real_compile = re._compile  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return None
    path = os.path.join(base, f"patterns-{sys.implementation.cache_tag}-{sys.hexversion:x}.marshal")
    known = _read_table(path, marshal.loads, _is_regex)
    waiting = dict(known)   # not yet handed to re
    damaged: set[tuple[str, int]] = set()

    def cached_compile(pattern: Any, flags: Any) -> Any:
        if waiting and type(pattern) is str:
            blob = waiting.pop((pattern, flags), None)
            if blob is not None:
                key = (pattern, int(flags))
                try:   # _sre validates the program: a damaged one raises instead of matching wrongly
                    final, code, groups, groupindex, indexgroup = marshal.loads(blob)
                    compiled.setdefault((str, pattern, key[1]), _sre.compile(
                        pattern, final, code, groups, groupindex, indexgroup))
                except Exception:  # noqa: BLE001 - anything wrong with an entry: compile it again
                    damaged.add(key)
        return real_compile(pattern, flags)

    def program(pattern: str, flags: int) -> tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]:
        """What ``re._compiler.compile`` hands to ``_sre.compile`` for this pattern."""
        p = _parser.parse(pattern, flags)
        names: list[str | None] = [None] * p.state.groups
        for name, i in p.state.groupdict.items():
            names[i] = name
        code = [int(op) for op in _compiler._code(p, flags)]   # (opcodes are int subclasses)
        return int(flags | p.state.flags), code, p.state.groups - 1, dict(p.state.groupdict), tuple(names)

    def save() -> None:
        new = {}
        for kind, pattern, flags in list(compiled):
            key = (pattern, flags)
            if kind is str and (key not in known or key in damaged) and not flags & re.DEBUG:
                try:
                    new[key] = marshal.dumps(program(pattern, flags))
                except Exception:  # noqa: BLE001 - a pattern this Python cannot rebuild is not cached
                    continue
        if new:
            table = {**known, **new} if len(known) + len(new) <= MAX_PATTERNS else new
            _write_table(path, marshal.dumps(table))

    re._compile = cached_compile  # type: ignore[attr-defined]
    import atexit

    atexit.register(save)
    return path


def _read_table(path: str, loads: object, valid: Callable[[object, object], bool]) -> dict[Any, Any]:
    """A cached table, or {} when there is none that can be trusted (``valid(key, value)`` on
    every entry)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return {}
    try:
        st = os.fstat(fd)
        if st.st_size > MAX_CODE_CACHE or (hasattr(os, "getuid") and st.st_uid != os.getuid()) \
                or st.st_mode & 0o022:
            return {}
        data = os.read(fd, MAX_CODE_CACHE + 1)
    except OSError:
        return {}
    finally:
        os.close(fd)
    try:
        table = loads(data)  # type: ignore[operator]
    except (ValueError, EOFError, TypeError):
        return {}
    if type(table) is not dict or not all(valid(k, v) for k, v in table.items()):
        return {}
    return table


def _is_method(source: object, code: object) -> bool:
    return type(source) is str and type(code) is bytes


def _is_regex(key: object, value: object) -> bool:
    return (type(key) is tuple and len(key) == 2 and type(key[0]) is str and type(key[1]) is int
            and type(value) is bytes)


def _write_table(path: str, data: bytes) -> None:
    """Replace the cache file atomically; any failure leaves things as they were."""
    if len(data) > MAX_CODE_CACHE:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def lazy_inspect() -> bool:
    """Let ``inspect`` load on its first use rather than when ``dataclasses`` is imported; True
    if it will. ``dataclasses`` imports it (with ``ast``, ``dis`` and ``tokenize``: ~4 ms, a
    twentieth of a short headless run) but reads it only to write a docstring for a class that
    has none, which no class on the way to a headless run lacks. Until then ``inspect`` in
    ``sys.modules`` is a placeholder module: reading any attribute it lacks (what ``from
    inspect import x`` does too) imports the real module, which replaces it in ``sys.modules``
    and lends it its contents, so a module that imported the placeholder reads the real
    functions. (``importlib.util.LazyLoader`` would not do: ``import inspect`` reads the
    module's ``__spec__``, which runs a lazy module at once.)"""
    if "inspect" in sys.modules:
        return False
    import types

    class Placeholder(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            if sys.modules.get("inspect") is self:
                del sys.modules["inspect"]
            import inspect

            self.__dict__.update(vars(inspect))
            return getattr(inspect, name)

    sys.modules["inspect"] = Placeholder("inspect")
    return True


def main() -> int:
    bytecode_cache()
    from msidbg import guard

    guard.install_for_cli()   # SIGINT: one line, exit 130 (before the imports below)
    regex_cache()
    lazy_inspect()
    dataclass_cache()
    from msidbg.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
