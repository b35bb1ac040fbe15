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

from collections.abc import Iterator
from operator import attrgetter
from typing import Any, ClassVar


class Rec:
    """A record: slots for its hot fields (``KEYS``), a dict for the others, and the dict face."""

    __slots__ = ("_extra",)
    #: the slot fields, in the order a freshly built record has them (its dict's first keys)
    KEYS: ClassVar[tuple[str, ...]] = ()
    _SLOTS: ClassVar[frozenset[str]] = frozenset()
    #: every slot field's value at once (C speed), for a record that has them all (``to_dict``)
    _ALL: ClassVar[Any] = None
    _extra: dict[str, Any]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._SLOTS = frozenset(cls.KEYS)
        cls._ALL = attrgetter(*cls.KEYS) if len(cls.KEYS) > 1 else None

    @classmethod
    def of(cls, d: Any) -> Any:
        """The record for the map ``d`` (a dict, or already a record of this class: itself)."""
        if type(d) is cls:
            return d
        r = cls.__new__(cls)
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


#: what generic code treats as a map (a world value is a dict or a record)
MAPS = (dict, Rec)


def default(obj: Any) -> Any:
    """msgpack's ``default``: a record packs as the dict it stands for."""
    if isinstance(obj, Rec):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not plain data")


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
        for n, d in irqs.items():
            if type(d) is dict:
                irqs[n] = DescRec.of(d)
