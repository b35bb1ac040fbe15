"""The Xen pirq map as the pane shows it: the model's projection, plus QEMU's view. No Textual.

Xen's view (state, host irq, event channel, the entry it mapped the pirq for), the guest's
(its irqs on the xen-pirq chip) and where those two disagree all come from the model's own
projection, ``msidbg.model.evtchn.pirq_map`` -- the one the ``--json`` summary prints. This
module only adds QEMU's view (which entry QEMU mapped the pirq for, and entries whose
read-back message still names it) and turns each pirq into the strings of one row. On bare
metal there are no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msidbg.model.evtchn import pirq_map
from msidbg.tui.table import UNASSIGNED_PIRQ, pirq_of

World = dict[str, Any]


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
    #: the host irq's pCPU and vector in Xen (``p1/0x39``), a move it waits to apply at its next
    #: interrupt (``>p1``: IRQ_MOVE_PENDING) and the old vector it keeps until an interrupt arrives
    #: on the new one (``+p0/0x31``: irq_complete_move); "" when the pirq has no host irq
    host: str = ""

    def state(self) -> tuple[Any, ...]:
        return (self.xen_state, self.host, self.port, self.device, self.guest_irq, self.guest_view, self.conflict)


def rows(w: World) -> list[PirqRow]:
    """Every pirq Xen, the guest or QEMU knows of, highest first (MSI pirqs are handed out top-down)."""
    m = pirq_map(w)
    if m is None:
        return []
    xen = {r["pirq"]: r for r in m["xen"]}
    guest: dict[int, list[dict[str, Any]]] = {}
    for g in m["guest"]:
        guest.setdefault(g["pirq"], []).append(g)
    why = {d["pirq"]: d["why"] for d in m["disagreements"]}
    qemu, stale = _qemu_entries(w)
    pirqs = sorted(set(xen) | set(guest) | set(qemu) | set(stale), reverse=True)
    hosts = (w.get("xen") or {}).get("irqs") or {}
    out = [_row(p, xen.get(p), guest.get(p, []), qemu.get(p, []), stale.get(p, []), why.get(p, ""), hosts)
           for p in pirqs]
    intx = [_intx_row(w, rec) for rec in _intx_pirqs(w) if rec["pirq"] not in xen]
    return sorted(out + intx, key=lambda r: -r.pirq)


def _intx_pirqs(w: World) -> list[dict[str, Any]]:
    """The GSI pirqs QEMU xen-pt mapped and bound for an HVM guest's passthrough INTx (model/xen_intx.py:
    xc_physdev_map_pirq MAP_PIRQ_TYPE_GSI, pirq = the machine GSI; xc_domain_bind_pt_pci_irq)."""
    m = (((w.get("xen") or {}).get("intx") or {}).get("m")) or {}
    return [m[g] for g in sorted(m)]


def _intx_row(w: World, rec: dict[str, Any]) -> PirqRow:
    """A GSI pirq's row: Xen's state (its host irq in flight: do_IRQ_guest until the EOI or eoi_timer), the
    functions bound on it (digl) and the guest GSI each asserts on Xen's vIOAPIC (hvm_pci_intx_gsi), with
    pirq_dpci->pending when some assertion waits for the guest's EOI."""
    devs = w["devices"]
    state = "GSI in flight" if rec.get("in_flight") else "GSI bound"
    girqs = [f"{devs[n]['intx']['gsi']}" for n in rec["digl"]]
    view = "intx " + ", ".join(f"{n} gsi {devs[n]['intx']['gsi']}" for n in rec["digl"])
    if rec.get("pending"):
        view += f"; pending {rec['pending']}"
    return PirqRow(rec["pirq"], state, None, ",".join(rec["digl"]), ",".join(dict.fromkeys(girqs)), view, "")


def host_vector(hirq: dict[str, Any] | None) -> str:
    """Where Xen's host irq delivers now (``p<pCPU>/<vector>``), then ``>p<N>`` while a move
    waits for the irq's next interrupt and ``+p<N>/<vector>`` while the old vector is kept."""
    if not hirq or not hirq.get("vector"):
        return ""
    text = f"p{hirq['cpu']}/{hirq['vector']:#04x}"
    if hirq.get("move", -1) >= 0:
        text += f" >p{hirq['move']}"
    if hirq.get("old", -1) >= 0:
        text += f" +p{hirq['old'] >> 8}/{hirq['old'] & 0xFF:#04x}"
    return text


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
            elif data in (0x4300, 0x0700) and (lo or hi):   # XEN_PIRQ_MSI_DATA; ExtINT from 5.11
                stale.setdefault(pirq_of(lo, hi), []).append(f"{dev}/{i}")
    return mapped, stale


def _xen_state(x: dict[str, Any] | None) -> str:
    """The model's state name; a mapped pirq with its host irq, and ``evt`` while the guest has
    an event channel on it (emuirq)."""
    if x is None:
        return "free"
    text = f"{x['state']} h{x['host_irq']}" if x["host_irq"] else x["state"]
    return text + (" evt" if x["emuirq"] else "")


def _row(p: int, x: dict[str, Any] | None, guest: list[dict[str, Any]], qemu: list[str], stale: list[str],
         why: str, hosts: dict[int, Any]) -> PirqRow:
    where = f"{x['dev']}/{x['entry']}" if x and x["host_irq"] and x["dev"] is not None else "-"
    views = [f"{g['dev']}/{g['index']} evt {g['port'] or '-'}" for g in guest]
    views += [f"qemu {e}" for e in qemu] + [f"read-back {e}" for e in stale]
    conflicts = [why] if why else []
    conflicts += [f"QEMU maps it for {e}, Xen has {where}" for e in qemu if where not in ("-", e)]
    return PirqRow(p, _xen_state(x), (x["port"] or None) if x else None, where,
                   ",".join(str(g["irq"]) for g in guest) or "-", "; ".join(views) or "-", "; ".join(conflicts),
                   host_vector(hosts.get(x["host_irq"])) if x and x["host_irq"] else "")
