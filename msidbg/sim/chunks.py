"""A world packed in pieces, so that going back one event rebuilds only what that event changed.

``split`` packs a world into a tree of msgpack blobs that follows its top levels (every
top-level value, every irq descriptor, every CPU, each device's registers...). Two splits of
nearby worlds share most blobs byte for byte, so ``patch`` can turn the live world into a
saved one by unpacking only the pieces that differ and keeping the other objects as they are
(their bytes say they are equal). ``fingerprint`` identifies a split as exactly as a
fingerprint of the whole packed world would: the same content in the same order.

A node is ``bytes`` (a packed value), ``("d", [(key, node), ...])`` for a dict or
``("l", [node, ...])`` for a list.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgpack

from msidbg.sim.world import unpack_world

Node = Any
_packer = msgpack.Packer(use_bin_type=True)
#: containers are split below this depth, or below MAX_DEPTH when they have few children
#: (a device's register blocks, the kernel's sections) -- never into thousands of tiny blobs
SPLIT_DEPTH, MAX_DEPTH, FEW = 2, 4, 8


def split(obj: Any, depth: int = 0) -> Node:
    """The split of ``obj`` found at ``depth`` (0: the world itself)."""
    d = depth + 1
    pack = _packer.pack
    if type(obj) is dict:
        return ("d", [(k, split(v, d) if _splits(v, d) else pack(v)) for k, v in obj.items()])
    return ("l", [split(v, d) if _splits(v, d) else pack(v) for v in obj])


def _splits(v: Any, depth: int) -> bool:
    t = type(v)
    return (t is dict or t is list) and bool(v) and (depth < SPLIT_DEPTH or (depth < MAX_DEPTH and len(v) < FEW))


def size(node: Node) -> int:
    """Bytes held by the blobs of ``node`` (for memory budgets)."""
    if isinstance(node, bytes):
        return len(node)
    if node[0] == "d":
        return sum(size(n) for _, n in node[1])
    return sum(size(n) for n in node[1])


def fingerprint(node: Node) -> bytes:
    """16 bytes identifying the split world: its structure, keys and blobs, in order."""
    parts: list[bytes] = []
    _feed(parts, node)
    return hashlib.sha256(b"".join(parts)).digest()[:16]


def _feed(parts: list[bytes], node: Node) -> None:
    if isinstance(node, bytes):
        parts.append(b"b%d:" % len(node))
        parts.append(node)
        return
    kind, items = node
    if kind == "d":
        parts.append(b"d" + _packer.pack([k for k, _ in items]))
        items = [n for _, n in items]
    else:
        parts.append(b"l%d:" % len(items))
    for n in items:
        if isinstance(n, bytes):
            parts.append(b"b%d:" % len(n))
            parts.append(n)
        else:
            _feed(parts, n)


def build(node: Node) -> Any:
    """A fresh object from a split (no sharing with anything)."""
    if isinstance(node, bytes):
        return unpack_world(node)
    if node[0] == "d":
        return {k: build(n) for k, n in node[1]}
    return [build(n) for n in node[1]]


def patch(live: Any, live_node: Node, want: Node) -> Any:
    """Turn ``live`` (whose split is ``live_node``) into the value split as ``want``.

    Containers whose keys match keep their identity and are updated in place; a piece whose
    blob is identical in both keeps its live object; everything else is unpacked fresh.
    Returns the resulting object (``live`` itself unless the container shape changed).
    """
    if isinstance(want, bytes):
        if isinstance(live_node, bytes) and live_node == want:
            return live
        return unpack_world(want)
    if isinstance(live_node, bytes) or live_node[0] != want[0]:
        return build(want)
    if want[0] == "d":
        if not isinstance(live, dict):
            return build(want)
        have = dict(live_node[1])
        if [k for k, _ in live_node[1]] == [k for k, _ in want[1]]:
            for k, n in want[1]:
                new = patch(live[k], have[k], n)
                if new is not live[k]:
                    live[k] = new
            return live
        return {k: (patch(live[k], have[k], n) if k in have else build(n)) for k, n in want[1]}
    if not isinstance(live, list):
        return build(want)
    if len(live_node[1]) == len(want[1]):
        for i, n in enumerate(want[1]):
            new = patch(live[i], live_node[1][i], n)
            if new is not live[i]:
                live[i] = new
        return live
    return [patch(live[i], live_node[1][i], n) if i < len(live_node[1]) else build(n)
            for i, n in enumerate(want[1])]
