"""What the panes show, reduced to comparable values, so a step can say what changed.

The App takes a ``Digest`` of the world at each cursor it visits (about a millisecond for a
2,048-entry table and 64 CPUs) and diffs the one at ``cursor - 1`` with the one at the
cursor: those are the rows and bits that changed *at this event*. A digest is a display
cache, never a copy of model state; panes still render from the world itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress, count, repeat
from operator import attrgetter, is_, itemgetter, ne
from typing import Any

from msidbg.tui import pirqmap, stacks, table

World = dict[str, Any]


#: the irq descriptor fields a vector-table row shows (kernel view, mismatch)
_DESC = itemgetter("irq", "cpu", "vector", "activated", "started", "move_in_progress", "prev_cpu",
                   "prev_vector", "chip")
_ENTRY = itemgetter("addr_lo", "addr_hi", "data", "ctrl")
#: the same fields read off an irq descriptor record (``DescRec``: slots, so read at C speed; a plain dict
#: descriptor -- a world built by hand -- has no such attributes and is read by ``_DESC``)
_DESC_REC = attrgetter("irq", "cpu", "vector", "activated", "started", "move_in_progress", "prev_cpu",
                       "prev_vector", "chip")
_IRQ = itemgetter("irq")
_INDEX = itemgetter("index")


@dataclass(frozen=True, slots=True)
class DeviceDigest:
    """One device: a tuple per vector-table row, and the kernel's irq state by row."""

    rows: list[tuple[Any, ...]]
    kernel: dict[int, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Digest:
    """The displayed state at one event: per-device rows, per-CPU APIC registers, pirqs, stacks."""

    event: int
    devices: dict[str, DeviceDigest]
    #: per CPU: (IRR words, ISR words, TPR, online, vectors with a vector_irq entry)
    apic: list[tuple[tuple[int, ...], tuple[int, ...], int, bool, frozenset[int]]]
    pirqs: dict[int, tuple[Any, ...]]
    stacks: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed at the cursor's event. ``exact`` is False when the event before the cursor
    was not digested (then nothing is highlighted and panes repaint everything)."""

    rows: dict[str, frozenset[int]] = field(default_factory=dict)
    irr: dict[int, int] = field(default_factory=dict)
    isr: dict[int, int] = field(default_factory=dict)
    cpus: frozenset[int] = frozenset()
    #: CPUs whose set of vector_irq entries changed (vector assigned or freed)
    owners: frozenset[int] = frozenset()
    pirqs: frozenset[int] = frozenset()
    stacks: frozenset[int] = frozenset()
    exact: bool = True

    def row(self, dev: str, row: int) -> bool:
        rows = self.rows.get(dev)
        return rows is not None and row in rows


NO_CHANGES = Changes()
UNKNOWN = Changes(exact=False)


def take(w: World) -> Digest:
    """Digest the world (about a millisecond for 2,048 entries and 64 CPUs; no copies).

    The per-entry work runs at C speed (``map`` of itemgetters, ``zip``): a digest is taken on
    every step to a new event, inside the key's latency."""
    return Digest(
        event=int(w["events"]),
        devices={name: device_digest(w, name) for name in w["devices"]},
        apic=[(tuple(c["irr"]), tuple(c["isr"]), c["tpr"], c["online"], frozenset(c["vector_irq"]))
              for c in w["cpus"]],
        pirqs={r.pirq: r.state() for r in pirqmap.rows(w)},
        stacks=[stacks.signature(c) for c in w["cpus"]],
    )


def device_digest(w: World, dev: str) -> DeviceDigest:
    """Comparable rows in ``table.row_cells`` order, and the kernel's irq state by row."""
    d = w["devices"][dev]
    rows: list[tuple[Any, ...]] = []
    msix = d["msix"]
    if msix:
        table_, lat = msix["table"], msix["latched"]
        latched = (repeat(None, len(table_)) if lat.count(None) == len(lat)
                   else [None if x is None else tuple(x) for x in lat])
        rows = list(zip(map(_ENTRY, table_), msix["pba"], latched, strict=True))
        guest = table.guest_table(w, dev)
        if guest is not None:
            rows = [r + (table.guest_state(g),) for r, g in zip(rows, guest, strict=False)] + rows[len(guest):]
    if d["msi"]:
        m = d["msi"]
        base = (m["ctrl"], m["addr_lo"], m.get("addr_hi", 0), m["data"],
                None if m["latched"] is None else tuple(m["latched"]))
        rows += [base + (m["mask"] >> i & 1, m["pending"] >> i & 1) for i in range(table.msi_count(w, dev))]
    if "iommu" in w:    # remapped messages show their IRTE's destination and vector
        rows = [r + (_irte(w, dev, i),) for i, r in enumerate(rows)]
    return DeviceDigest(rows, _kernel(w, dev))


def _irte(w: World, dev: str, row: int) -> tuple[Any, ...] | None:
    lo, _, data, _, _, _ = table.message(w, dev, row)
    ir = table.remapped(w, lo, data, dev)
    if ir is None or ir[1] is None:
        return None if ir is None else (ir[0],)
    e = ir[1]
    return (ir[0], e["present"], e["vector"], e["dest"])


def _kernel(w: World, dev: str) -> dict[int, tuple[Any, ...]]:
    p = w["kernel"]["pci"][dev]
    if not p["descs"]:
        return {}
    first = 0 if p.get("mode") == "msix" else table.msix_count(w, dev)
    descs = p["descs"]
    found = list(map(w["irqs"].get, map(_IRQ, descs)))
    rows = map(first.__add__, map(_INDEX, descs))
    # (``None in found`` would compare every record with None by its Python ``__eq__``: by identity at C speed)
    if any(map(is_, found, repeat(None))):   # descriptors of freed irqs show no kernel state
        out = {row: _desc(d) for row, d in zip(rows, found, strict=False) if d is not None}
    else:
        try:
            out = dict(zip(rows, map(_DESC_REC, found), strict=False))
        except AttributeError:  # (a dict descriptor, or a record lacking a field: as ``_DESC`` reads it)
            rows = map(first.__add__, map(_INDEX, descs))
            out = dict(zip(rows, map(_DESC, found), strict=False))
    guest = w["kernel"].get("xen", {}).get("irqs")
    if guest:   # Xen pirq irqs: the pirq and event channel the kernel column shows
        for dsc in p["descs"]:
            rec = guest.get(dsc["irq"])
            row = first + dsc["index"]
            if rec is not None and row in out:
                out[row] = out[row] + (rec["pirq"], rec["port"])
    return out


def _desc(d: Any) -> tuple[Any, ...]:
    try:
        return _DESC_REC(d)
    except AttributeError:
        return _DESC(d)


def diff(before: Digest | None, after: Digest) -> Changes:
    """The changes between two digests (``before`` None: unknown, nothing highlighted)."""
    if before is None:
        return UNKNOWN
    rows = {}
    for name, now in after.devices.items():
        old = before.devices.get(name)
        changed = _device_changes(old, now)
        if changed:
            rows[name] = frozenset(changed)
    irr, isr, cpus, owners = {}, {}, set(), set()
    for i, (a, b) in enumerate(zip(before.apic, after.apic, strict=False)):
        if a == b:
            continue
        cpus.add(i)
        x = _xor(a[0], b[0])
        if x:
            irr[i] = x
        y = _xor(a[1], b[1])
        if y:
            isr[i] = y
        if a[4] != b[4]:
            owners.add(i)
    pirqs = frozenset(p for p in set(before.pirqs) | set(after.pirqs)
                      if before.pirqs.get(p) != after.pirqs.get(p))
    stk = frozenset(i for i, (a, b) in enumerate(zip(before.stacks, after.stacks, strict=False)) if a != b)
    return Changes(rows, irr, isr, frozenset(cpus), frozenset(owners), pirqs, stk)


def _device_changes(old: DeviceDigest | None, now: DeviceDigest) -> set[int]:
    """The rows whose tuple or kernel state differs (equal lists are told apart at C speed,
    and so are the differing indices: a step changes a row or two of thousands)."""
    if old is None:
        return set(range(len(now.rows)))
    a, b = old.rows, now.rows
    changed: set[int] = set()
    if a != b:
        changed.update(compress(count(), map(ne, a, b)))
        changed.update(range(len(a), len(b)))
    ka, kb = old.kernel, now.kernel
    if ka != kb:
        if list(ka) == list(kb):    # the same rows in the same order: compare the values only
            changed.update(compress(kb, map(ne, ka.values(), kb.values())))
        else:
            changed |= {k for k in ka.keys() | kb.keys() if ka.get(k) != kb.get(k)}
    return changed


def _xor(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """The bits that differ between two 256-bit registers (8 x 32-bit words) as one int."""
    out = 0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        out |= (x ^ y) << (32 * i)
    return out
