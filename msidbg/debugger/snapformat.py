"""The snapshot file format: its fields' limits, the ``Recording`` a valid file becomes, and the
little-endian column helpers both sides use.

A snapshot is one msgpack map (``FORMAT``, ``VERSION``; see docs/debugger.md for every field):
the scenario's full text and hash, the seed, the recorded choices, the cursor, the armed
breakpoints, named bookmarks with notes, world fingerprints at checkpoints, digests of the event
log, the model's hits, and the full world at the cursor with its ``state_hash``; its last entry,
``sha256``, covers every byte before it. ``snapshot.py`` writes it, ``snapread.py`` reads and
validates a file from a stranger, ``verify.py`` re-runs it.

Since version 5 a file records the model revision that wrote it (``model``,
``msidbg.model.revision``); older files have none (``Recording.model`` is None).
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field
from typing import Any

from msidbg.debugger.session import Bookmark, Stop
from msidbg.model.revision import MODEL
from msidbg.sim.scheduler import Hit
from msidbg.sim.strategy import Schedule

FORMAT = "msidbg-snapshot"
#: 3 adds ``schedule`` (strategy, depth, window, horizon and a replayed plan); 4: the world's agenda is
#: a map ``seq -> item`` (world format 2, ``sim.scheduler``): so state hashes and fingerprints differ
#: from version 3's for the same run. Versions 1..3 still read: their world is converted on load.
#: 5 adds ``model``, the model revision that wrote the file (``msidbg.model.revision.MODEL``)
VERSION = 5
MAX_FILE_BYTES = 256 << 20
MAX_WORLD_BYTES = 128 << 20
MAX_BREAKPOINTS, MAX_BOOKMARKS, MAX_HASH_POINTS, MAX_LOG_BLOCKS = 256, 1024, 8192, 16384
MAX_HIT_NAMES, MAX_DETAIL = 256, 4000
MAX_EVENT = 1 << 48
MAX_MODEL = 1 << 31
#: seeds are 63-bit: a scenario's, ``--seed``'s and every exploration run's (``strategy.run_seed``)
MAX_SEED = 2**63 - 1
STOP_REASONS = ("end", "breakpoint", "limit", "start")
#: the last entry of a version-2 file: the key "sha256" and a 32-byte bin header, then the digest
TRAILER = b"\xa6sha256\xc4\x20"
DIGEST_AT = len(TRAILER) + 32
#: estimated bytes per recorded choice (a dict entry) and per hit (a Hit and its list slot)
CHOICE_COST, HIT_COST = 120, 160


@dataclass(frozen=True)
class Origin:
    """Who wrote a snapshot: the msidbg version, the format version and the model revision
    (None: a file before format 5, an older model)."""

    msidbg: str
    version: int
    model: int | None


@dataclass
class Recording:
    """A validated snapshot, before (or while) it is replayed."""

    path: str
    scenario_text: str
    scenario_file: str
    seed: int
    cursor: int
    world: dict[str, Any]
    state_hash: str
    msidbg: str
    stopped: Stop
    breakpoints: list[tuple[str, bool]] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)
    choices: dict[int, int] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    hash_events: list[int] = field(default_factory=list)
    fingerprints: list[bytes] = field(default_factory=list)
    log_block: int = 1
    log_digests: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    version: int = VERSION
    #: the model revision that wrote the file; None: a file before version 5 (an older model)
    model: int | None = MODEL
    #: None (a file before version 3): the scenario's own ``schedule:``
    schedule: Schedule | None = None

    @property
    def origin(self) -> Origin:
        return Origin(self.msidbg, self.version, self.model)


def le_bytes(col: array[int]) -> bytes:
    if sys.byteorder == "big":
        col = array(col.typecode, col)
        col.byteswap()
    return col.tobytes()


def from_le(typecode: str, data: bytes | bytearray) -> array[int]:
    col = array(typecode)
    col.frombytes(data)
    if sys.byteorder == "big":
        col.byteswap()
    return col

