"""The simulated world as plain data: canonical encoding, stable hash, cheap copies.

The world is a tree of dicts, lists, ints, strings, bools and None -- nothing else; its top
level, CPUs, contexts and irq descriptors are records (``sim/rec.py``) that pack as the dicts they
stand for.
No floats (their formatting and arithmetic are not a determinism contract we want),
no tuples (msgpack turns them into lists, so a round trip would change the hash),
and dict keys are str or int only.
"""

from __future__ import annotations

from typing import Any

import msgpack

from msidbg.digest import sha256
from msidbg.sim.rec import Rec, pack

World = Any     # a world record (sim/rec.py WorldRec), or the dict it packs to

_PLAIN_SCALARS = (int, str, bool, type(None))


def _canon(obj: Any) -> Any:
    """Return obj with every dict (and record, ``sim/rec.py``) rebuilt in sorted-key order (ints
    before strings)."""
    if isinstance(obj, (dict, Rec)):
        items = sorted(obj.items(), key=lambda kv: (isinstance(kv[0], str), kv[0]))
        return {k: _canon(v) for k, v in items}
    if isinstance(obj, list):
        return [_canon(v) for v in obj]
    return obj


def canonical_bytes(world: Any) -> bytes:
    """msgpack of the world with dict order removed, so the bytes depend on content only."""
    return msgpack.packb(_canon(world), use_bin_type=True)


def state_hash(world: Any) -> str:
    """A short, stable, machine-independent digest of the world (32 hex digits)."""
    return sha256(canonical_bytes(world)).hexdigest()[:32]


def pack_world(world: Any) -> bytes:
    """Fast (order-preserving) msgpack encoding, for checkpoints and snapshot files: the bytes of
    the dicts the world's records stand for (``sim/rec.py``, ``pack``)."""
    return pack(world)


def unpack_world(data: bytes) -> Any:
    """Inverse of pack_world."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True)


def copy_world(world: Any) -> Any:
    """A deep copy of plain data; a msgpack round trip is several times faster than deepcopy."""
    return unpack_world(pack_world(world))


def check_plain(obj: Any, path: str = "world") -> None:
    """Raise TypeError naming the first value that is not plain msgpack-native data."""
    if isinstance(obj, (dict, Rec)):
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"{path}: key {k!r} is not str or int")
            check_plain(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            check_plain(v, f"{path}[{i}]")
    elif not isinstance(obj, _PLAIN_SCALARS):
        raise TypeError(f"{path}: {type(obj).__name__} is not plain data")
    elif isinstance(obj, int) and not isinstance(obj, bool) and not -(2**63) <= obj < 2**64:
        raise TypeError(f"{path}: {obj} does not fit in 64 bits")


def diff_paths(a: Any, b: Any, path: str = "", limit: int = 20) -> list[str]:
    """Paths (world-path syntax, e.g. devices.eth0.msix.table[2].ctrl) where a and b differ."""
    out: list[str] = []
    _diff(a, b, path, out, limit)
    return out


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, (dict, Rec)) and isinstance(b, (dict, Rec)):
        keys = sorted(set(a) | set(b), key=lambda k: (isinstance(k, str), k))
        for k in keys:
            sub = f"{path}.{k}" if isinstance(k, str) and path else (str(k) if not path else f"{path}[{k}]")
            if k not in a or k not in b:
                out.append(sub)
            else:
                _diff(a[k], b[k], sub, out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{path}[{i}]", out, limit)
    elif a != b or type(a) is not type(b) and not (isinstance(a, (dict, Rec)) and isinstance(b, (dict, Rec))):
        out.append(path or "<root>")
