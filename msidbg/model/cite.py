"""Citations: which upstream source each mechanism follows, and every documented reading.

A ``Source`` names a repository (or a specification), a tag or commit, a path (or a section),
a function, and the versions the mechanism holds for. Kernel / Xen / QEMU programs pass theirs
to ``program(name, doc, source=...)`` (``msidbg.sim.program`` stores it without interpreting
it); hardware and platform modules cite theirs with ``module(__name__, ...)``.

``reading(key, text, status, source, quote)`` registers one documented reading: a statement
about what the real code or hardware does that the model relies on. It is either
``confirmed`` -- with a source and a short quote of it -- or ``hypothetical``: kept out of every
default and preset (the behaviour table marks such values ``hypothetical``).

``docs/fidelity.md`` is generated from all of this (``python -m msidbg.model.fidelity``); a test
fails when it is stale or when a program, module or reading lacks its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATUSES = ("confirmed", "hypothetical")
MAX_QUOTE = 400


@dataclass(frozen=True)
class Source:
    """``repo``: "torvalds/linux", "xen-project/xen", "xen-project/qemu-xen", "qemu/qemu",
    "xen-project/qemu-xen-traditional", or a specification ("PCI Local Bus 3.0", "Intel SDM vol. 3");
    ``ref``: a tag or commit ("v6.6", "RELEASE-4.5.0", "da181dc974ad") or a revision;
    ``path``: a file, or a section of a specification; ``function``: the function (or register,
    table) followed; ``versions``: the releases it holds for ("5.14..", "<= 4.5", "all")."""

    repo: str
    ref: str
    path: str
    function: str = ""
    versions: str = ""

    def __str__(self) -> str:
        where = f"{self.path} {self.function}()" if self.function and "(" not in self.function else (
            f"{self.path} {self.function}".strip())
        return f"{self.repo}@{self.ref}: {where}" + (f" [{self.versions}]" if self.versions else "")


Sources = Source | tuple[Source, ...]


@dataclass(frozen=True)
class Reading:
    """A reading of upstream source: what the model takes from it, how sure, where it is."""

    key: str
    text: str
    status: str
    sources: tuple[Source, ...]
    quote: str
    module: str


#: callables that import the modules whose citations are registered on first use (the Xen side, ``hwcite``:
#: model/platforms.py); each is called once, before a registry is first read (``complete``)
_LOADERS: list[Any] = []


def on_missing(loader: Any) -> None:
    if loader not in _LOADERS:
        _LOADERS.append(loader)


def complete() -> None:
    """Register every citation: run the loaders (each once)."""
    while _LOADERS:
        _LOADERS.pop(0)()


class _Registry(dict):
    """A registry whose every read sees all citations: reading it (a key, a membership test, a listing) first
    imports the modules registered on first use. Written by ``reading`` / ``module`` only."""

    def __missing__(self, key: Any) -> Any:
        if _LOADERS:
            complete()
            if dict.__contains__(self, key):
                return dict.__getitem__(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if _LOADERS and not dict.__contains__(self, key):
            complete()
        return dict.__contains__(self, key)

    def __iter__(self) -> Any:
        complete()
        return dict.__iter__(self)

    def __len__(self) -> int:
        complete()
        return dict.__len__(self)

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key] if key in self else default

    def keys(self) -> Any:
        complete()
        return dict.keys(self)

    def values(self) -> Any:
        complete()
        return dict.values(self)

    def items(self) -> Any:
        complete()
        return dict.items(self)


READINGS: dict[str, Reading] = _Registry()
#: module name -> the sources a hardware / platform module follows
MODULES: dict[str, tuple[Source, ...]] = _Registry()


def as_sources(source: Sources | None) -> tuple[Source, ...]:
    if source is None:
        return ()
    return (source,) if isinstance(source, Source) else tuple(source)


def reading(key: str, text: str, status: str = "confirmed", source: Sources | None = None,
            quote: str = "", module: str = "") -> Reading:
    """Register a documented reading (``key`` unique, like "xen.msixtbl.direct-mask")."""
    if status not in STATUSES:
        raise ValueError(f"reading {key}: status {status!r} (expected one of {STATUSES})")
    if dict.__contains__(READINGS, key):
        raise ValueError(f"reading {key} registered twice")
    r = Reading(key, " ".join(text.split()), status, as_sources(source), " ".join(quote.split()), module)
    READINGS[key] = r
    return r


def module(name: str, *sources: Source) -> None:
    """Cite the sources a (non-program) module follows, e.g. ``module(__name__, Source(...))``."""
    MODULES[name] = tuple(sources)


def problems() -> list[str]:
    """What keeps the citations from being complete: readings without a source or quote."""
    out = []
    for r in READINGS.values():
        if r.status == "confirmed" and not (r.sources and r.quote):
            out.append(f"reading {r.key}: confirmed needs a source and a quote (or status='hypothetical')")
        if len(r.quote) > MAX_QUOTE:
            out.append(f"reading {r.key}: quote longer than {MAX_QUOTE} characters (quote, don't copy)")
    return out
