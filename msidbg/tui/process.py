"""Process-level helpers of the TUI that need no Textual: how a path is told to be a snapshot,
and keeping Python's cyclic collector out of key latency."""

from __future__ import annotations

import gc
from pathlib import Path

SNAPSHOT_SUFFIXES = (".msgpack", ".msidbg")
GC_THRESHOLD = 50_000


def quiet_collector() -> None:
    """Keep Python's cyclic garbage collector out of key latency (process-wide, once is enough).

    A session's worlds are acyclic plain data, freed by reference counting, but every world a
    step back restores is ~100k new containers, and the full collections they trigger walk
    every object (40-60 ms with a 2,048-entry table): the latency spikes. So what is loaded at
    startup is frozen out of the collector's scans, and young objects are collected every
    50,000 allocations instead of 700.
    """
    if gc.get_threshold()[0] < GC_THRESHOLD:
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 100)


def is_snapshot(path: str) -> bool:
    """A snapshot by its name, else by its first byte (a msgpack map; YAML is text)."""
    p = Path(path)
    if p.suffix in SNAPSHOT_SUFFIXES:
        return True
    if p.suffix in (".yaml", ".yml"):
        return False
    try:
        with p.open("rb") as f:
            first = f.read(1)
    except OSError:
        return False
    return bool(first) and (first[0] & 0xF0 == 0x80 or first[0] in (0xDE, 0xDF))
