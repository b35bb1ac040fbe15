"""A world packed in pieces, so that going back one event rebuilds only what that event changed.

``split`` packs a world into a tree of msgpack blobs that follows its top levels (every
top-level value, each device's registers, each CPU...); a big container (a 2,048-entry MSI-X
table, the irq descriptors, per-vector counters) is cut into pages of ``PAGE`` elements. Two
splits of nearby worlds share most blobs byte for byte, so ``patch`` can turn the live world
into a saved one by unpacking only the pieces that differ and keeping the other objects as they
are (their bytes say they are equal). ``fingerprint`` identifies a split as exactly as a
fingerprint of the whole packed world would: the same content in the same order.

A node is ``bytes`` (a packed value), ``("d", [(key, node), ...])`` for a dict,
``("l", [node, ...])`` for a list, or ``("pd" | "pl", n, [page, ...])`` for a big dict or list
of ``n`` elements whose pages are packed dicts / lists of up to ``PAGE`` consecutive elements.

Checkpoints of big worlds are splits too: ``share`` makes a split reuse, object for object, the
blobs of the previous one that did not change, so each checkpoint costs the memory of what
changed since the last; ``packed_digest`` identifies a split exactly as a fingerprint of
``pack_world`` would (the same bytes hashed), whichever form a checkpoint was kept in.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

import msgpack

from msidbg.sim.rec import Rec, default
from msidbg.sim.rec import pack as pack_value
from msidbg.sim.world import unpack_world

Node = Any
_packer = msgpack.Packer(use_bin_type=True, default=default)
#: containers are split below this depth, or below MAX_DEPTH when they have few children
#: (a device's register blocks, the kernel's sections) -- never into thousands of tiny blobs
SPLIT_DEPTH, MAX_DEPTH, FEW = 2, 4, 16
#: containers of at least PAGED elements (at any depth) are cut into pages of PAGE elements
PAGED, PAGE = 64, 32


def split(obj: Any, depth: int = 0) -> Node:
    """The split of ``obj`` found at ``depth`` (0: the world itself)."""
    d = depth + 1
    pack = pack_value
    if len(obj) >= PAGED:
        return _paged(obj)
    if type(obj) is dict or isinstance(obj, Rec):
        return ("d", [(k, split(v, d) if _splits(v, d) else pack(v)) for k, v in obj.items()])
    return ("l", [split(v, d) if _splits(v, d) else pack(v) for v in obj])


def _splits(v: Any, depth: int) -> bool:
    t = type(v)
    if t is not dict and t is not list and not isinstance(v, Rec) or not v:
        return False
    n = len(v)
    return n >= PAGED or depth < SPLIT_DEPTH or (depth < MAX_DEPTH and n < FEW)


def _paged(obj: Any) -> Node:
    pack = pack_value
    n = len(obj)
    if type(obj) is dict or isinstance(obj, Rec):
        items = list(obj.items())
        return ("pd", n, [pack(dict(items[i:i + PAGE])) for i in range(0, n, PAGE)])
    return ("pl", n, [pack(obj[i:i + PAGE]) for i in range(0, n, PAGE)])


def _header(kind: str, n: int) -> bytes:
    """The msgpack header of a map ("d") or an array ("l") of ``n`` elements."""
    if n < 16:
        return bytes([(0x80 if kind == "d" else 0x90) | n])
    if n < 0x10000:
        return (b"\xde" if kind == "d" else b"\xdc") + struct.pack(">H", n)
    return (b"\xdf" if kind == "d" else b"\xdd") + struct.pack(">I", n)


def _page_body(page: bytes) -> bytes:
    """A page's packed elements without the page's own container header."""
    first = page[0]
    if 0x80 <= first <= 0x9F:
        return page[1:]
    return page[3:] if first in (0xDE, 0xDC) else page[5:]


def size(node: Node) -> int:
    """Bytes held by the blobs of ``node`` (for memory budgets)."""
    return sum(len(b) for b in blobs(node))


def blobs(node: Node) -> Iterator[bytes]:
    """Every blob of ``node``, in order."""
    if isinstance(node, bytes):
        yield node
        return
    kind = node[0]
    if kind in ("pd", "pl"):
        yield from node[2]
        return
    for item in node[1]:
        yield from blobs(item[1] if kind == "d" else item)


def fingerprint(node: Node) -> bytes:
    """16 bytes identifying the split world: its structure, keys and blobs, in order."""
    parts: list[bytes] = []
    _feed(parts, node)
    import hashlib  # (big worlds only: start-up does without OpenSSL, msidbg.digest)

    return hashlib.sha256(b"".join(parts)).digest()[:16]


def _feed(parts: list[bytes], node: Node) -> None:
    if isinstance(node, bytes):
        parts.append(b"b%d:" % len(node))
        parts.append(node)
        return
    kind = node[0]
    if kind in ("pd", "pl"):
        parts.append(b"%s%d,%d:" % (kind.encode(), node[1], len(node[2])))
        for page in node[2]:
            parts.append(b"b%d:" % len(page))
            parts.append(page)
        return
    items = node[1]
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


def packed_digest(node: Node) -> bytes:
    """16 bytes: the digest ``fingerprint(pack_world(value))`` would give for the split value (the
    containers' msgpack headers and keys are fed between the blobs, so the bytes hashed are the
    whole packed value's, without building it)."""
    import hashlib

    h = hashlib.sha256()
    _feed_packed(h.update, node)
    return h.digest()[:16]


def _feed_packed(update: Callable[[bytes], None], node: Node) -> None:
    if isinstance(node, bytes):
        update(node)
        return
    kind = node[0]
    if kind in ("pd", "pl"):
        update(_header("d" if kind == "pd" else "l", node[1]))
        for page in node[2]:
            update(_page_body(page))
        return
    items = node[1]
    update(_header(kind, len(items)))
    if kind == "d":
        pack = _packer.pack
        for k, child in items:
            update(pack(k))
            _feed_packed(update, child)
    else:
        for child in items:
            _feed_packed(update, child)


def share(node: Node, prev: Node | None) -> Node:
    """``node`` with every blob that equals ``prev``'s at the same place replaced by ``prev``'s
    own bytes object (same content: only the memory is shared)."""
    if prev is None:
        return node
    if isinstance(node, bytes):
        return prev if isinstance(prev, bytes) and node == prev else node
    if isinstance(prev, bytes) or node[0] != prev[0]:
        return node
    kind = node[0]
    if kind in ("pd", "pl"):
        pages, ppages = node[2], prev[2]
        if len(pages) != len(ppages):
            return node
        return (kind, node[1], [pp if p == pp else p for p, pp in zip(pages, ppages, strict=True)])
    items, pitems = node[1], prev[1]
    if len(items) != len(pitems):
        return node
    if kind == "d":
        if any(k != pk for (k, _), (pk, _) in zip(items, pitems, strict=True)):
            return node
        return ("d", [(k, share(n, pn)) for (k, n), (_, pn) in zip(items, pitems, strict=True)])
    return ("l", [share(n, pn) for n, pn in zip(items, pitems, strict=True)])


def build(node: Node) -> Any:
    """A fresh object from a split (no sharing with anything)."""
    if isinstance(node, bytes):
        return unpack_world(node)
    kind = node[0]
    if kind == "pd":
        out: dict[Any, Any] = {}
        for page in node[2]:
            out.update(unpack_world(page))
        return out
    if kind == "pl":
        lst: list[Any] = []
        for page in node[2]:
            lst.extend(unpack_world(page))
        return lst
    if kind == "d":
        return {k: build(n) for k, n in node[1]}
    return [build(n) for n in node[1]]


def patch(live: Any, live_node: Node, want: Node) -> Any:
    """Turn ``live`` (whose split is ``live_node``) into the value split as ``want``.

    Containers whose keys match keep their identity and are updated in place; a piece whose
    blob is identical in both keeps its live object; everything else is unpacked fresh.
    Returns the resulting object (``live`` itself unless the container shape changed).
    """
    if live_node is want:
        return live     # the same split: nothing differs
    if isinstance(want, bytes):
        if isinstance(live_node, bytes) and live_node == want:
            return live
        return unpack_world(want)
    kind = want[0]
    if isinstance(live_node, bytes) or live_node[0] != kind:
        return build(want)
    if kind in ("pd", "pl"):
        return _patch_paged(live, live_node, want)
    if kind == "d":
        if not isinstance(live, (dict, Rec)):
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


def _patch_paged(live: Any, live_node: Node, want: Node) -> Any:
    """Pages whose bytes match keep their live elements; the others are unpacked in place."""
    kind, n, pages = want
    if live_node[1] != n or len(live_node[2]) != len(pages):
        return build(want)
    if kind == "pl":
        if not isinstance(live, list) or len(live) != n:
            return build(want)
        for i, (have, page) in enumerate(zip(live_node[2], pages, strict=True)):
            if have != page:
                live[i * PAGE:(i + 1) * PAGE] = unpack_world(page)
        return live
    if not isinstance(live, (dict, Rec)) or len(live) != n:
        return build(want)
    keys: list[Any] | None = None
    for i, (have, page) in enumerate(zip(live_node[2], pages, strict=True)):
        if have == page:
            continue
        got: dict[Any, Any] = unpack_world(page)
        keys = list(live) if keys is None else keys
        if list(got) != keys[i * PAGE:(i + 1) * PAGE]:
            return build(want)  # keys moved: rebuild the dict in the saved order
        for k, v in got.items():
            live[k] = v
    return live
