"""The Xen pirq map: pirq -> Xen's state -> event channel -> device/entry -> guest irq. No Textual.

Three views of one pirq, read from the world (``msidbg.model.xen``, ``kernel/xen.py``,
``qemu_pt.py``): Xen's pirq record (``w["xen"]["pirqs"]``: mapped host irq, binding, event
channel, the device entry it was mapped for), the guest's irqs on the xen-pirq chip
(``w["kernel"]["xen"]["irqs"]``: pirq, event channel, device/index), and QEMU's emulated
table (which entry QEMU mapped it for, and entries whose read-back message still names it).
A row lists where they disagree; on bare metal there are no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msidbg.tui.table import UNASSIGNED_PIRQ, pirq_of

World = dict[str, Any]
PIRQ_ALLOCATED = -1   # Xen's irq field for a pirq handed out by PHYSDEVOP_get_free_pirq, not mapped


@dataclass(frozen=True, slots=True)
class PirqRow:
    """One pirq in Xen's and the guest's view; ``conflict`` says where they disagree, or ""."""

    pirq: int
    xen_state: str
    port: int | None
    device: str
    guest_irq: str
    guest_view: str
    conflict: str

    def state(self) -> tuple[Any, ...]:
        return (self.xen_state, self.port, self.device, self.guest_irq, self.guest_view, self.conflict)


def rows(w: World) -> list[PirqRow]:
    """Every pirq Xen, the guest or QEMU knows of, highest first (MSI pirqs are handed out top-down)."""
    xen = w.get("xen")
    if not isinstance(xen, dict):
        return []
    xp: dict[int, dict[str, Any]] = xen.get("pirqs", {})
    guest = _guest_irqs(w)
    qemu, stale = _qemu_entries(w)
    pirqs = sorted(set(xp) | set(guest) | set(qemu) | set(stale), reverse=True)
    return [_row(p, xp.get(p), guest.get(p, []), qemu.get(p, []), stale.get(p, [])) for p in pirqs]


def _guest_irqs(w: World) -> dict[int, list[tuple[int, dict[str, Any]]]]:
    """pirq -> [(guest irq, its record)] from the guest's Xen frontend."""
    out: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for irq in sorted(w["kernel"].get("xen", {}).get("irqs", {})):
        rec = w["kernel"]["xen"]["irqs"][irq]
        out.setdefault(rec["pirq"], []).append((irq, rec))
    return out


def _qemu_entries(w: World) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """(pirq -> entries QEMU mapped it for, pirq -> entries whose guest message names it but
    which QEMU has no pirq for: a read-back still shows a freed pirq)."""
    mapped: dict[int, list[str]] = {}
    stale: dict[int, list[str]] = {}
    for dev in sorted(w.get("qemu", {}).get("devs", {})):
        msix = w["qemu"]["devs"][dev].get("msix")
        for i, e in enumerate(msix["entries"] if msix else []):
            lo, hi, data, _ = e["latch"]
            if e.get("pirq", UNASSIGNED_PIRQ) != UNASSIGNED_PIRQ:
                mapped.setdefault(e["pirq"], []).append(f"{dev}/{i}")
            elif data == 0x4300 and (lo or hi):
                stale.setdefault(pirq_of(lo, hi), []).append(f"{dev}/{i}")
    return mapped, stale


def _xen_state(rec: dict[str, Any] | None) -> str:
    if rec is None or rec.get("irq", 0) == 0:
        return "free"
    if rec["irq"] == PIRQ_ALLOCATED:
        return "allocated"
    how = "bound" if rec.get("bound") else "mapped"
    return f"{how} h{rec['irq']}" + (" evt" if rec.get("emuirq") else "")


def _row(p: int, rec: dict[str, Any] | None, guest: list[tuple[int, dict[str, Any]]],
         qemu: list[str], stale: list[str]) -> PirqRow:
    mapped = rec is not None and rec.get("irq", 0) > 0
    where = f"{rec['dev']}/{rec['entry']}" if mapped and rec and rec.get("dev") else "-"
    port = rec.get("port") or None if rec else None
    views = [f"{r['dev']}/{r['index']} evt {r['port'] or '-'}" for _, r in guest]
    views += [f"qemu {e}" for e in qemu] + [f"read-back {e}" for e in stale]
    return PirqRow(p, _xen_state(rec), port, where, ",".join(str(i) for i, _ in guest) or "-",
                   "; ".join(views) or "-", "; ".join(_conflicts(p, rec, where, guest, qemu)))


def _conflicts(p: int, rec: dict[str, Any] | None, where: str, guest: list[tuple[int, dict[str, Any]]],
               qemu: list[str]) -> list[str]:
    """Where the guest's or QEMU's view of pirq ``p`` disagrees with Xen's."""
    out = []
    if len(guest) > 1:
        out.append(f"guest irqs {', '.join(str(i) for i, _ in guest)} share it")
    for irq, g in guest:
        mine = f"{g['dev']}/{g['index']}"
        if where == "-":
            out.append(f"irq {irq} {mine} uses it, Xen has not mapped it")
        elif mine != where:
            out.append(f"irq {irq} is {mine}, Xen has {where}")
        elif g["port"] and rec and rec.get("port") and g["port"] != rec["port"]:
            out.append(f"evt: guest {g['port']}, Xen {rec['port']}")
    out += [f"QEMU maps it for {e}, Xen has {where}" for e in qemu if where not in ("-", e)]
    return out
