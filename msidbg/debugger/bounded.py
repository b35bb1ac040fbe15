"""Decoding bytes from strangers with bounded memory and time: msgpack and zlib.

msgpack's C unpacker builds a list for an array header before it has read the elements, and
nests up to 1,024 levels: five bytes can ask for 32 MB, a few kilobytes for gigabytes. zlib
turns a kilobyte into a megabyte. So nothing is decoded before ``scan`` has walked the
document's tokens (iteratively, without building anything) and checked it against a
``Budget``:

* the nesting depth (``MAX_DEPTH``), the types allowed (no floats, no extension types, bytes
  only where a caller allows them, map keys only strings -- or also integers for the world);
* the memory the decoded objects would take, estimated from the tokens (a container costs its
  Python object and a pointer per element, a string its bytes, a large int its object). One
  ``Budget`` is shared by every field of a file (``MAX_DECODED``), and each field can have its
  own smaller one.

Only then does the C unpacker run, with per-container length limits as a second fence.
``inflate`` decompresses with a running cap on its output and refuses trailing bytes.

Every problem raises ``Bad`` with a one-line message naming the field.
"""

from __future__ import annotations

import gc
import struct
import zlib
from typing import Any

import msgpack

MAX_DEPTH = 48
#: estimated bytes of Python objects one file may decode into (all fields together)
MAX_DECODED = 128 << 20
#: the largest decompressed payload of one field
MAX_UNZIPPED = 64 << 20

LIST_COST, MAP_COST, PER_ITEM, PER_PAIR, STR_COST, INT_COST = 72, 232, 8, 48, 56, 32


class Bad(Exception):
    """A structural problem in a field; the message is one line."""


class Budget:
    """Estimated bytes of decoded objects still allowed (shared by the fields of one file)."""

    def __init__(self, limit: int = MAX_DECODED) -> None:
        self.limit = limit
        self.left = limit

    def charge(self, cost: int, what: str) -> None:
        if cost > self.left:
            raise Bad(f"{what}: decodes to more than the {self.limit >> 20} MiB a snapshot may take in memory "
                      "(expected a smaller recording)")
        self.left -= cost


_INT_SIZES = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}
_LEN_SIZES = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}
_BINS = (0xC4, 0xC5, 0xC6)
_CONTAINERS = {0xDC: (2, False), 0xDD: (4, False), 0xDE: (2, True), 0xDF: (4, True)}
_LEN_FMT = {1: ">B", 2: ">H", 4: ">I"}


def scan(data: bytes | bytearray, what: str, budget: Budget, *, int_keys: bool = False, bins: bool = False,
         max_len: int = 1 << 22) -> None:
    """Walk one msgpack document in ``data`` without decoding it; raise Bad unless it is plain
    data within ``budget`` (charged), ``MAX_DEPTH`` levels and containers of at most ``max_len``."""
    n = len(data)
    pos = 0
    stack: list[tuple[int, bool]] = []
    left, in_map = 1, False  # items left at this level (a map counts keys and values), is it a map
    cost = 0
    limit = budget.left
    unpack_from = struct.unpack_from
    while True:
        while left == 0:
            if not stack:
                if pos > n:
                    raise Bad(f"{what}: truncated (expected {pos - n} more bytes)")
                if pos != n:
                    raise Bad(f"{what}: {n - pos} bytes after the end of the document (expected nothing)")
                budget.charge(cost, what)
                return
            left, in_map = stack.pop()
        if pos >= n:
            raise Bad(f"{what}: truncated (expected {left} more values)")
        b = data[pos]
        key = in_map and not left & 1
        left -= 1
        pos += 1
        if b <= 0x7F or b >= 0xE0:  # fixint
            if key and not int_keys:
                raise Bad(f"{_at(data, pos - 1, what)}: a map key of type int (expected a string)")
            continue
        if 0xA0 <= b <= 0xBF:  # fixstr
            size = b & 0x1F
            pos += size
            cost += STR_COST + size
            continue
        count = -1
        if b <= 0x8F:
            count, is_map = b & 0x0F, True
        elif b <= 0x9F:
            count, is_map = b & 0x0F, False
        elif b in _CONTAINERS:
            width, is_map = _CONTAINERS[b]
            if pos + width > n:
                raise Bad(f"{what}: truncated (expected {left + 1} more values)")
            count = unpack_from(_LEN_FMT[width], data, pos)[0]
            pos += width
        if count >= 0:
            if key:
                raise Bad(f"{_at(data, _head(b, pos), what)}: a map key that is a {'map' if is_map else 'list'} (expected a string)")
            if count > max_len:
                raise Bad(f"{_at(data, _head(b, pos), what)}: a {'map' if is_map else 'list'} of {count} entries "
                          f"(expected at most {max_len})")
            if len(stack) >= MAX_DEPTH:
                raise Bad(f"{_at(data, _head(b, pos), what)} is nested too deeply (expected at most {MAX_DEPTH} levels)")
            cost += MAP_COST + PER_PAIR * count if is_map else LIST_COST + PER_ITEM * count
            if cost > limit:
                budget.charge(cost, what)
            stack.append((left, in_map))
            left, in_map = (2 * count, True) if is_map else (count, False)
            continue
        if b in _INT_SIZES:
            if key and not int_keys:
                raise Bad(f"{_at(data, pos - 1, what)}: a map key of type int (expected a string)")
            pos += _INT_SIZES[b]
            cost += INT_COST
            continue
        if b in _LEN_SIZES:
            width = _LEN_SIZES[b]
            if b in _BINS and not bins:
                raise Bad(f"{_at(data, pos - 1, what)}: binary data inside (expected ints, strings, booleans and null only)")
            if key and b in _BINS:
                raise Bad(f"{_at(data, pos - 1, what)}: a map key of type bytes (expected a string)")
            if pos + width > n:
                raise Bad(f"{what}: truncated (expected {left + 1} more values)")
            size = unpack_from(_LEN_FMT[width], data, pos)[0]
            pos += width + size
            cost += STR_COST + size
            if cost > limit:
                budget.charge(cost, what)
            continue
        if b in (0xC0, 0xC2, 0xC3):  # nil, false, true
            if key:
                raise Bad(f"{_at(data, pos - 1, what)}: a map key of type {'null' if b == 0xC0 else 'bool'} (expected a string)")
            continue
        if b in (0xCA, 0xCB):
            raise Bad(f"{_at(data, pos - 1, what)}: a floating-point value (expected ints, strings, booleans and null only)")
        raise Bad(f"{_at(data, pos - 1, what)}: an extension type or reserved byte {b:#04x} (expected plain msgpack)")


def _head(b: int, pos: int) -> int:
    """Where the container header ``b`` starts, ``pos`` being just past its length field."""
    return pos - 1 - (_CONTAINERS[b][0] if b in _CONTAINERS else 0)


def _at(data: bytes | bytearray, target: int, what: str) -> str:
    """The field path of the value (or map key) whose token starts at byte ``target``, to name
    it in an error: ``bookmarks``, ``world.cpus[1].irr``. The file as a whole (``what`` = "the
    file") is named by the path alone: a 100,006-entry bookmarks list was 'the file: a list of
    100006 entries'. Only called on an error, over tokens ``scan`` has already accepted."""
    path = _path_to(data, target)
    if what == "the file":
        return path or what
    return what + ("." if path and not path.startswith("[") else "") + path


def _path_to(data: bytes | bytearray, target: int) -> str:
    segs: list[str] = []            # the segments of the containers entered
    frames: list[list[Any]] = []    # [is_map, items left, items in all, the last key's segment]
    pos, n = 0, len(data)
    while pos < n:
        seg, is_key = "", False
        if frames:
            f = frames[-1]
            if f[0]:
                is_key = f[1] % 2 == 0
                seg = "" if is_key else f[3]
            else:
                seg = f"[{f[2] - f[1]}]"
            f[1] -= 1
        if pos == target:
            return _join(segs + ([] if is_key or not seg else [seg]))
        b = data[pos]
        pos += 1
        count, is_map, label = -1, False, None
        if b <= 0x7F or b >= 0xE0:
            label = f"[{b if b <= 0x7F else b - 256}]"
        elif 0xA0 <= b <= 0xBF:
            label = _label(data, pos, b & 0x1F)
            pos += b & 0x1F
        elif b <= 0x9F:
            count, is_map = b & 0x0F, b <= 0x8F
        elif b in _CONTAINERS:
            width, is_map = _CONTAINERS[b]
            count = struct.unpack_from(_LEN_FMT[width], data, pos)[0]
            pos += width
        elif b in _INT_SIZES:
            size = _INT_SIZES[b]
            label = f"[{int.from_bytes(data[pos:pos + size], 'big', signed=b >= 0xD0)}]"
            pos += size
        elif b in _LEN_SIZES:
            width = _LEN_SIZES[b]
            size = struct.unpack_from(_LEN_FMT[width], data, pos)[0]
            label = _label(data, pos + width, size)
            pos += width + size
        if is_key and frames:
            frames[-1][3] = label if label is not None else "?"
        if count > 0:
            segs.append(seg)
            frames.append([is_map, 2 * count if is_map else count, count, "?"])
            continue
        while frames and frames[-1][1] == 0:
            frames.pop()
            segs.pop()
    return _join(segs)


def _label(data: bytes | bytearray, pos: int, size: int) -> str:
    """A map key as a path segment, at most ``MAX_LABEL`` characters (a key may be megabytes)."""
    text = bytes(data[pos:pos + min(size, 4 * MAX_LABEL)]).decode("utf-8", "replace")
    return text if size <= MAX_LABEL and len(text) <= MAX_LABEL else text[:MAX_LABEL] + "…"


#: the longest map key, and the longest path, an error names (48 levels of long keys would make
#: a line of kilobytes): a longer path keeps its start and its end
MAX_LABEL, MAX_PATH = 32, 160


def _join(segs: list[str]) -> str:
    out = ""
    for seg in segs:
        if seg:
            out += seg if seg.startswith("[") or not out else "." + seg
    return out if len(out) <= MAX_PATH else out[:MAX_PATH // 3] + "…" + out[-(MAX_PATH - MAX_PATH // 3):]


def decode(data: bytes | bytearray, what: str, budget: Budget, *, int_keys: bool = False, bins: bool = False,
           max_len: int = 1 << 22) -> Any:
    """``scan``, then decode with the C unpacker (lengths bounded again by the data's size)."""
    scan(data, what, budget, int_keys=int_keys, bins=bins, max_len=max_len)
    limit = min(len(data), max_len)
    try:
        with no_gc():
            return msgpack.unpackb(data, raw=False, strict_map_key=not int_keys, use_list=True,
                                   max_str_len=len(data), max_bin_len=len(data) if bins else 0,
                                   max_array_len=limit, max_map_len=limit, max_ext_len=0,
                                   object_pairs_hook=_once_each)
    except _Duplicate:
        raise Bad(_duplicate(data, what)) from None
    except Exception as e:  # noqa: BLE001 - msgpack raises several types on hostile bytes; all mean "bad"
        reason = " ".join(str(e).split())[:120] or type(e).__name__
        raise Bad(f"{what} is not valid msgpack: {reason} (expected msgpack as msidbg writes it)") from None


class _Duplicate(Exception):
    """A map holds a key twice."""


def _once_each(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A map's pairs as a dict, each key once: msgpack keeps a repeated key's last value, so a
    snapshot with ``bookmarks`` (or ``cursor``, or a world field) twice showed one of them, and
    another reader of the file may show the other."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


def _duplicate(data: bytes | bytearray, what: str) -> str:
    """The message for the first map (in file order) that holds a key twice, naming its path.
    Only called on an error, over a document ``scan`` has accepted (keys are scalars)."""
    u = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=max(len(data), 1))
    u.feed(data)

    def walk() -> tuple[int, Any] | None:
        b = data[u.tell()]
        if b <= 0x8F and b >= 0x80 or b in (0xDE, 0xDF):
            seen: set[Any] = set()
            for _ in range(u.read_map_header()):
                at = u.tell()
                key = u.unpack()
                if key in seen:
                    return at, key
                seen.add(key)
                found = walk()
                if found is not None:
                    return found
            return None
        if 0x90 <= b <= 0x9F or b in (0xDC, 0xDD):
            for _ in range(u.read_array_header()):
                found = walk()
                if found is not None:
                    return found
            return None
        u.skip()
        return None

    found = walk()
    if found is None:   # (not reached: the hook saw one)
        return f"{what}: a map holds a key twice (expected each key once)"
    at, key = found
    shown = key if not isinstance(key, str) else _label(key.encode("utf-8"), 0, len(key.encode("utf-8")))
    return f"{_at(data, at, what)}: the key {shown!r} twice (expected each key once)"


class no_gc:  # noqa: N801 - used like contextlib's lower-case managers
    """The cyclic garbage collector off inside the block: building a million containers (which
    cannot form cycles) otherwise triggers a full collection every few hundred thousand."""

    def __enter__(self) -> None:
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was:
            gc.enable()


def inflate(blob: bytes, what: str, cap: int) -> bytearray:
    """zlib-decompress ``blob`` a megabyte at a time; more than ``cap`` bytes of output, a
    truncated stream or bytes after its end are refused (peak memory: the output, once)."""
    cap = min(cap, MAX_UNZIPPED)
    d = zlib.decompressobj()
    out = bytearray()
    data = blob
    try:
        while not d.eof:
            chunk = d.decompress(data, 1 << 20)
            out += chunk
            if len(out) > cap:
                raise Bad(f"{what}: decompresses to more than {cap} bytes (expected at most {cap})")
            data = d.unconsumed_tail
            if not chunk and not data:
                break  # no input left and no progress: truncated
    except zlib.error as e:
        raise Bad(f"{what}: not zlib data: {e} (expected zlib-compressed data)") from None
    if not d.eof:
        raise Bad(f"{what}: the compressed data is truncated (expected the whole compressed stream)")
    if d.unused_data:
        raise Bad(f"{what}: {len(d.unused_data)} bytes after the end of the compressed data (expected none)")
    return out
