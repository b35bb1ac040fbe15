"""What the panes show, reduced to comparable values, so a step can say what changed.

The App takes a ``Digest`` of the world at each cursor it visits (about a millisecond for a
2,048-entry table and 64 CPUs) and diffs the one at ``cursor - 1`` with the one at the
cursor: those are the rows and bits that changed *at this event*. A digest is a display
cache, never a copy of model state; panes still render from the world itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from msidbg.tui import pirqmap, stacks, table

World = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Digest:
    """The displayed state at one event: per-device rows, per-CPU APIC registers, pirqs, stacks."""

    event: int
    devices: dict[str, list[tuple[Any, ...]]]
    apic: list[tuple[tuple[int, ...], tuple[int, ...], int, bool]]
    pirqs: dict[int, tuple[Any, ...]]
    stacks: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed at the cursor's event (empty at event 0 or when the previous is unknown)."""

    rows: dict[str, frozenset[int]] = field(default_factory=dict)
    irr: dict[int, int] = field(default_factory=dict)
    isr: dict[int, int] = field(default_factory=dict)
    cpus: frozenset[int] = frozenset()
    pirqs: frozenset[int] = frozenset()
    stacks: frozenset[int] = frozenset()

    def row(self, dev: str, row: int) -> bool:
        rows = self.rows.get(dev)
        return rows is not None and row in rows


NO_CHANGES = Changes()


def take(w: World) -> Digest:
    """Digest the world (cost: linear in table entries and CPUs, no copies of sub-trees)."""
    return Digest(
        event=int(w["events"]),
        devices={name: device_rows(w, name) for name in w["devices"]},
        apic=[(tuple(c["irr"]), tuple(c["isr"]), c["tpr"], c["online"]) for c in w["cpus"]],
        pirqs={r.pirq: r.state() for r in pirqmap.rows(w)},
        stacks=[stacks.signature(c) for c in w["cpus"]],
    )


def device_rows(w: World, dev: str) -> list[tuple[Any, ...]]:
    """One comparable tuple per vector-table row (same order as ``table.row_cells``)."""
    d = w["devices"][dev]
    out: list[tuple[Any, ...]] = []
    msix = d["msix"]
    if msix:
        out = [(e["addr_lo"], e["addr_hi"], e["data"], e["ctrl"], p, None if lat is None else tuple(lat))
               for e, p, lat in zip(msix["table"], msix["pba"], msix["latched"], strict=True)]
        guest = table.guest_table(w, dev)
        if guest is not None:
            out = [r + (tuple(sorted(g.items())),) for r, g in zip(out, guest, strict=False)] + out[len(guest):]
    if d["msi"]:
        m = d["msi"]
        base = (m["ctrl"], m["addr_lo"], m.get("addr_hi", 0), m["data"],
                None if m["latched"] is None else tuple(m["latched"]))
        out += [base + (m["mask"] >> i & 1, m["pending"] >> i & 1) for i in range(table.msi_count(w, dev))]
    return _with_kernel(w, dev, out)


def _with_kernel(w: World, dev: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Add the kernel's irq state to the rows that have an irq descriptor."""
    p = w["kernel"]["pci"][dev]
    if not p["descs"]:
        return rows
    first = 0 if p.get("mode") == "msix" else table.msix_count(w, dev)
    for dsc in p["descs"]:
        row = first + dsc["index"]
        desc = w["irqs"].get(dsc["irq"]) if dsc["irq"] else None
        if desc is not None and row < len(rows):
            rows[row] = rows[row] + (desc["irq"], desc["cpu"], desc["vector"], desc["activated"],
                                     desc["started"], desc["move_in_progress"], desc["prev_vector"])
    return rows


def diff(before: Digest | None, after: Digest) -> Changes:
    """The changes between two digests (``before`` None = nothing to compare with)."""
    if before is None:
        return NO_CHANGES
    rows = {}
    for name, now in after.devices.items():
        old = before.devices.get(name, [])
        changed = [i for i, r in enumerate(now) if i >= len(old) or old[i] != r]
        if changed:
            rows[name] = frozenset(changed)
    irr, isr, cpus = {}, {}, set()
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
    pirqs = frozenset(p for p in set(before.pirqs) | set(after.pirqs)
                      if before.pirqs.get(p) != after.pirqs.get(p))
    stk = frozenset(i for i, (a, b) in enumerate(zip(before.stacks, after.stacks, strict=False)) if a != b)
    return Changes(rows, irr, isr, frozenset(cpus), pirqs, stk)


def _xor(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """The bits that differ between two 256-bit registers (8 x 32-bit words) as one int."""
    out = 0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        out |= (x ^ y) << (32 * i)
    return out
