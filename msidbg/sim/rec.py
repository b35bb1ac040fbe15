"""World records with fixed slots: the world's top level, a CPU, its contexts, an irq descriptor.

The world is plain data (``sim/world.py``): every record is a map from field names to values,
and that is what a snapshot, a checkpoint, the state hash, the debugger's paths
(``cpu[1].irr[0x21]``, ``irqs[24].vector``), watchpoints, ``why`` and ``diff`` see. The model's
steps, though, read and write a few fields of a few records on every step, and a string-keyed
dict subscript costs several times a slot read (``docs/perf.md``, round 10: ~12% of the storm's
instructions). So the world's top level (``WorldRec``), each CPU (``CpuRec``), its process and
interrupt contexts and QEMU's (``CtxRec``) and each irq descriptor (``DescRec``) are objects whose
fields are ``__slots__`` (``w.now``, ``c.irr``, ``desc.lock``: one specialised attribute load),
and that also answer as dicts (``c["irr"]``, ``c.get("esr", 0)``, ``"vtimer" in c``, ``items()``,
``==`` a dict...) for generic code -- the debugger's path resolver, watchpoints, ``diff_paths``,
the TUI --, slower (a Python call) but cold.

A record packs (msgpack ``default``; ``plain`` for json and exact-dict readers) to the dict it
stands for, with the same keys in the same order: a fresh record has its ``KEYS`` in the order
the builders write them, then any other field in the order it was added, as the dict had them.
So snapshots, checkpoints, the state hash and the goldens are byte for byte what they were with
dicts, and no snapshot format changes. Unpacked worlds are plain dicts: ``as_world`` turns them
into records when a world is installed (``Engine``, ``Model.bind``, a snapshot's stored world).

Rules for model code: an attribute (``c.queued = True``, ``w.now``) only for a field in ``KEYS``
that the record has (every record the builders make has all of them but the top level's optional
``probes``, ``xen``, ``qemu``); any other field through the dict face (``c.get("esr", 0)``,
``c["esr"] = v``). The model never deletes a slot field (a deleted and re-added one would pack in
its ``KEYS`` place, not last as in a dict: the same state hash, other snapshot bytes).
"""

from __future__ import annotations

import keyword
from _thread import _local
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any, ClassVar

import msgpack


def _generate(cls: type) -> dict[str, Any]:
    """The functions of record class ``cls`` that read or write every slot field at once, each
    one function of specialised slot loads or stores (an install and a pack run them on every
    record: several times a ``setattr`` / ``getattr`` loop):

    * ``make(d)``: the record for ``d``; a dict with exactly the slot fields, in ``KEYS`` order
      (a record the builders made, unpacked), is stored positionally, anything else goes to
      ``cls._of_map``;
    * ``fill(r, d)``: ``r.<key> = d["<key>"]`` for every slot field (KeyError if ``d`` lacks one);
    * ``flat(r)``: the list ``["<key>", r.<key>, ...]`` (AttributeError if ``r`` lacks one).

    Generated from the class's own ``KEYS`` (constants of this module, checked to be plain
    identifiers) when the class is defined, the way ``dataclasses`` writes ``__init__``: never
    from input."""
    keys: tuple[str, ...] = cls.KEYS  # type: ignore[attr-defined]
    for k in keys:
        if not k.isidentifier() or keyword.iskeyword(k) or k.startswith("_"):
            raise ValueError(f"record field {k!r} is not a plain identifier")
    targets = "".join(f"r.{k}, " for k in keys)
    fill = "".join(f"    r.{k} = d[{k!r}]\n" for k in keys)
    flat = ", ".join(f"{k!r}, r.{k}" for k in keys)
    src = (f"def make(d):\n"
           f"    if type(d) is dict and tuple(d) == keys:\n"
           f"        r = new(cls)\n"
           f"        {targets} = d.values()\n"
           f"        r._extra = {{}}\n"
           f"        return r\n"
           f"    return cls._of_map(d)\n"
           f"def fill(r, d):\n{fill}\n"
           f"def flat(r):\n    return [{flat}]\n")
    ns: dict[str, Any] = {"keys": keys, "cls": cls, "new": object.__new__}
    exec(src, ns)  # noqa: S102 (class constants only, see above)
    return ns


def _header(fix: int, mid: int, n: int) -> bytes:
    """The msgpack header of a map (``0x80, 0xDE``) or an array (``0x90, 0xDC``) of ``n`` elements."""
    if n < 16:
        return bytes((fix | n,))
    if n < 0x10000:
        return bytes((mid, n >> 8, n & 0xFF))
    return bytes((mid + 1,)) + n.to_bytes(4, "big")


def _cut(n: int) -> int:
    """The length of the msgpack header of an array of ``n`` elements."""
    return 1 if n < 16 else 3 if n < 0x10000 else 5


class Rec:
    """A record: slots for its hot fields (``KEYS``), a dict for the others, and the dict face."""

    __slots__ = ("_extra",)
    #: the slot fields, in the order a freshly built record has them (its dict's first keys)
    KEYS: ClassVar[tuple[str, ...]] = ()
    _SLOTS: ClassVar[frozenset[str]] = frozenset()
    #: every slot field's value at once (C speed), for a record that has them all (``to_dict``)
    _ALL: ClassVar[Any] = None
    #: ``flat(r)``: ``[key0, r.key0, key1, r.key1, ...]`` over the slot fields, for ``pack`` (see
    #: there; AttributeError if ``r`` lacks one)
    _FLAT: ClassVar[Callable[[Any], list[Any]]]
    #: the msgpack header of a map of the slot fields, and the length of the one of their ``_FLAT`` list
    _HEAD: ClassVar[bytes] = b""
    _CUT: ClassVar[int] = 0
    #: ``fill(r, d)``: every slot field of ``r`` from the dict ``d`` (KeyError if ``d`` lacks one)
    _FILL: ClassVar[Callable[[Any, dict[str, Any]], None]]
    #: ``make(d)``: ``of(d)`` for a map ``d`` (see ``_generate``)
    _MAKE: ClassVar[Callable[[Any], Any]]
    #: ``pack`` walks this record's fields one by one (the containers of records below it) rather
    #: than packing it whole
    _WALK: ClassVar[bool] = False
    _extra: dict[str, Any]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._SLOTS = frozenset(cls.KEYS)
        cls._ALL = attrgetter(*cls.KEYS) if len(cls.KEYS) > 1 else None
        gen = _generate(cls)
        cls._MAKE = staticmethod(gen["make"])
        cls._FILL = staticmethod(gen["fill"])
        cls._FLAT = staticmethod(gen["flat"])
        cls._HEAD = _header(0x80, 0xDE, len(cls.KEYS))
        cls._CUT = _cut(2 * len(cls.KEYS))

    @classmethod
    def of(cls, d: Any) -> Any:
        """The record for the map ``d`` (a dict, or already a record of this class: itself)."""
        if type(d) is cls:
            return d
        return cls._MAKE(d)

    @classmethod
    def _of_map(cls, d: Any) -> Any:
        """The record for the map ``d`` whose keys are not exactly ``KEYS`` in order (see ``_MAKE``)."""
        r = cls.__new__(cls)
        if type(d) is dict:
            try:
                cls._FILL(r, d)
            except KeyError:    # (a slot field missing: an older world's record) field by field
                r = cls.__new__(cls)
            else:
                slots = cls._SLOTS
                r._extra = {k: v for k, v in d.items() if k not in slots} if len(d) > len(slots) else {}
                return r
        r._extra = {}
        slots = cls._SLOTS
        for k, v in d.items():
            if k in slots:
                setattr(r, k, v)
            else:
                r._extra[k] = v
        return r

    # -- the dict face ------------------------------------------------------------------------
    def __getitem__(self, k: Any) -> Any:
        if k in self._SLOTS:
            try:
                return getattr(self, k)
            except AttributeError:
                raise KeyError(k) from None
        return self._extra[k]

    def __setitem__(self, k: Any, v: Any) -> None:
        if k in self._SLOTS:
            setattr(self, k, v)
        else:
            self._extra[k] = v

    def __delitem__(self, k: Any) -> None:
        if k in self._SLOTS:
            try:
                delattr(self, k)
            except AttributeError:
                raise KeyError(k) from None
        else:
            del self._extra[k]

    def __contains__(self, k: object) -> bool:
        if k in self._SLOTS:
            return hasattr(self, k)
        return k in self._extra

    def get(self, k: Any, default: Any = None) -> Any:
        if k in self._SLOTS:
            return getattr(self, k, default)
        return self._extra.get(k, default)

    def pop(self, k: Any, *default: Any) -> Any:
        if k not in self:
            if default:
                return default[0]
            raise KeyError(k)
        v = self[k]
        del self[k]
        return v

    def setdefault(self, k: Any, default: Any = None) -> Any:
        if k not in self:
            self[k] = default
        return self[k]

    def update(self, other: Any = (), **kw: Any) -> None:
        for k, v in dict(other, **kw).items():
            self[k] = v

    def keys(self) -> list[str]:
        """The fields: the slot fields present (in ``KEYS`` order), then the others in the order
        they were added -- a built record's dict order, as long as no slot field is deleted and
        added again (the model never deletes one)."""
        return [k for k in self.KEYS if hasattr(self, k)] + list(self._extra)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def items(self) -> list[tuple[str, Any]]:
        return list(self.to_dict().items())

    def values(self) -> list[Any]:
        return list(self.to_dict().values())

    def to_dict(self) -> dict[str, Any]:
        """The dict this record stands for (its values shared, not copied). Hot for packing
        (checkpoints, snapshots) and hashing: a record with every slot field present reads them
        in one ``attrgetter`` call; one that lacks some (the top level's optional ``probes``,
        ``xen``, ``qemu``) field by field."""
        try:
            d = dict(zip(self.KEYS, self._ALL(self), strict=True))
        except AttributeError:
            d = {k: getattr(self, k) for k in self.KEYS if hasattr(self, k)}
        if self._extra:
            d.update(self._extra)
        return d

    def copy(self) -> dict[str, Any]:
        return self.to_dict()

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self) and (get := self._ALL) is not None:
            # two records of one class: their slot fields in ``KEYS`` order, then the others -- what comparing
            # their dicts compares (the others never share a name with a slot field), without building them.
            # ``Keeper.same`` compares a whole world this way on every step back to an event seen before
            try:
                mine, theirs = get(self), get(other)
            except AttributeError:  # (a slot field missing in one of them: by the dicts)
                pass
            else:
                return bool(mine == theirs and self._extra == other._extra)
        if isinstance(other, Rec):
            other = other.to_dict()
        return isinstance(other, dict) and self.to_dict() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.to_dict())


class CpuRec(Rec):
    """A CPU (``build.new_cpu``)."""

    KEYS = ("id", "apic_id", "ldr", "online", "irr", "isr", "tpr", "irr_src", "vector_irq", "alloc", "cleanup",
            "proc", "irq", "busy_until", "queued", "queue", "handling", "stopped")
    __slots__ = KEYS


class CtxRec(Rec):
    """A CPU's process (``proc``) or interrupt (``irq``) context: its frame stack and wait, and
    (process context) interrupts off, the running action and its pending result."""

    KEYS = ("stack", "wait", "irqs_off", "action", "done")
    __slots__ = KEYS


class DescRec(Rec):
    """An irq descriptor (``msi.new_desc``)."""

    KEYS = ("irq", "chip", "dev", "index", "action", "count", "vector", "cpu", "effective", "prev_vector",
            "prev_cpu", "move_in_progress", "cleanup_pending", "can_reserve", "has_reserved", "resv_mode",
            "is_managed", "managed_shutdown", "activated", "started", "masked", "affinity", "affinity_set", "hint",
            "move_pending", "pending_mask", "msg", "proc", "inprogress", "lock", "pending", "pending_src",
            "depth", "disabled", "unlazy", "replay")
    __slots__ = KEYS


class WorldRec(Rec):
    """The world's top level (``build.build_world``): its 19 fields in the order it builds them, then
    the optional ``probes``, ``xen`` and ``qemu`` (built in this order when a run has them)."""

    KEYS = ("format", "scenario", "seed", "policy", "rng", "now", "seq", "events", "ended", "agenda", "costs",
            "platform", "behaviour", "cpus", "devices", "acct", "irqs", "kernel", "actions", "probes", "xen", "qemu")
    __slots__ = KEYS
    _WALK = True    # its CPUs and irq descriptors: records, packed each in one go (``pack``)


#: what generic code treats as a map (a world value is a dict or a record)
MAPS = (dict, Rec)


def default(obj: Any) -> Any:
    """msgpack's ``default``: a record packs as the dict it stands for."""
    if isinstance(obj, Rec):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not plain data")


#: each thread's msgpack packer (a snapshot opens in a thread of its own, ``tui/background.py``;
#: a packer's buffer must not be shared while ``default`` runs Python)
_packers = _local()


def _pack_fn() -> Callable[[Any], bytes]:
    try:
        return _packers.pack
    except AttributeError:
        _packers.pack = msgpack.Packer(use_bin_type=True, default=default).pack
        return _packers.pack


def pack(obj: Any) -> bytes:
    """msgpack of ``obj`` (plain data holding records): exactly ``msgpack.packb(plain(obj),
    use_bin_type=True)``, without building the dicts the records stand for.

    msgpack encodes a map of n pairs as its header followed by key, value, key, value...: the
    bytes of an array of those 2n objects after the array's own header. So a record packs as
    the list ``[key0, value0, key1, value1, ...]`` (its class's generated ``_FLAT``: one Python
    call) with the map's header in place of the array's.
    Containers holding records (the world's top level, its CPUs, its irq descriptors) are walked;
    everything else is packed by msgpack in one call, and a record found below (a CPU's
    contexts, QEMU's) packs through ``default`` as its dict."""
    parts: list[bytes] = []
    _emit(parts, obj, _pack_fn())
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _emit(parts: list[bytes], v: Any, pk: Callable[[Any], bytes]) -> None:
    t = type(v)
    if t is dict:
        first = next(iter(v.values()), None)
        if isinstance(first, Rec):     # (the irq descriptors: ``_emit_rec`` inlined, hot)
            parts.append(_header(0x80, 0xDE, len(v)))
            append = parts.append
            cls = type(first)
            flat, head, cut = cls._FLAT, cls._HEAD, cls._CUT
            for k, x in v.items():
                append(pk(k))
                if type(x) is cls and not x._extra and not cls._WALK:
                    try:
                        packed = pk(flat(x))
                    except AttributeError:
                        pass
                    else:
                        append(head)
                        append(packed[cut:])
                        continue
                _emit(parts, x, pk)
            return
    elif t is list:
        if v and isinstance(v[0], Rec):                         # (the CPUs)
            parts.append(_header(0x90, 0xDC, len(v)))
            for x in v:
                _emit(parts, x, pk)
            return
    elif isinstance(v, Rec):
        _emit_rec(parts, v, pk)
        return
    parts.append(pk(v))


def _emit_rec(parts: list[bytes], r: Rec, pk: Callable[[Any], bytes]) -> None:
    cls = type(r)
    extra = r._extra
    if cls._WALK:
        keys = r.keys()
        parts.append(_header(0x80, 0xDE, len(keys)))
        for k in keys:
            parts.append(pk(k))
            _emit(parts, getattr(r, k) if k in cls._SLOTS else extra[k], pk)
        return
    try:
        flat = cls._FLAT(r)
    except AttributeError:     # (a slot field missing: an older world's record) as its dict
        parts.append(pk(r.to_dict()))
        return
    if extra:
        for kv in extra.items():
            flat += kv
        n = len(flat) // 2
        parts.append(_header(0x80, 0xDE, n))
        parts.append(pk(flat)[_cut(2 * n):])
        return
    parts.append(cls._HEAD)
    parts.append(pk(flat)[cls._CUT:])


def plain(obj: Any) -> Any:
    """``obj`` with every record inside it turned into its dict (the containers above a record are
    rebuilt; everything else is shared): for code that needs exact dicts (json, comparisons)."""
    if isinstance(obj, Rec):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, dict):
        if any(isinstance(v, (Rec, dict, list)) for v in obj.values()):
            return {k: plain(v) for k, v in obj.items()}
        return obj
    if isinstance(obj, list):
        if any(isinstance(v, (Rec, dict, list)) for v in obj):
            return [plain(v) for v in obj]
        return obj
    return obj


def adopt_cpu(c: Any) -> Any:
    """The CPU ``c`` (a dict or a record) as a record, its contexts as records too."""
    r = CpuRec.of(c)
    proc, irq = r.get("proc"), r.get("irq")
    if isinstance(proc, dict):
        r.proc = CtxRec.of(proc)
    if isinstance(irq, dict):
        r.irq = CtxRec.of(irq)
    return r


def as_world(w: Any) -> Any:
    """The world ``w`` (a dict just built or unpacked, or a world record) as a world record whose
    CPUs, contexts and irq descriptors are records (``adopt``); a record stays itself."""
    if type(w) is not WorldRec:
        w = WorldRec.of(w)
    adopt(w)
    return w


def adopt(w: Any) -> None:
    """Turn the CPUs, their contexts and the irq descriptors of world ``w`` into records, in place
    (a world just unpacked, or patched by ``chunks.patch``, holds dicts there). Idempotent: records
    already in place are kept, with their identity. A field missing from an older world's record
    is absent from the record too (reading it raises, as a dict subscript would)."""
    cpus = w.get("cpus")
    if isinstance(cpus, list):
        for i, c in enumerate(cpus):
            if type(c) is not CpuRec or isinstance(c.get("proc"), dict) or isinstance(c.get("irq"), dict):
                if isinstance(c, MAPS):
                    cpus[i] = adopt_cpu(c)
    q = w.get("qemu")
    if isinstance(q, dict) and type(q.get("ctx")) is dict:    # QEMU's program context (model/qemu.py)
        q["ctx"] = CtxRec.of(q["ctx"])
    irqs = w.get("irqs")
    if isinstance(irqs, dict):
        make = DescRec._MAKE
        for n, d in irqs.items():
            if type(d) is dict:
                irqs[n] = make(d)
