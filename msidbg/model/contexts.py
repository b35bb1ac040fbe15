"""Who an agenda item belongs to, and what it is about to do, for schedule strategies and notes.

The engine knows agenda items only as ``[time, seq, kind, *args]``; strategies
(``msidbg/sim/strategy.py``) need the *context* an item belongs to (PCT gives each one a
priority, a deferral holds one back), and a shrunk counterexample's bookmarks say in words
which steps were reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msidbg.sim.program import describe_frame

Item = list[Any]


def context(item: Item) -> str:
    """The context of an agenda item: ``CPU1`` (its steps, action starts, its driver's
    timeouts), ``CPU1 timer`` (its local APIC timer: hardware, like a device's signals),
    ``QEMU``, ``Xen pCPU0`` (Xen's work on a device interrupt that reached host pCPU 0, its eoi_timer),
    ``Xen`` (QEMU's hvm_inject_msi, the scheduler's vCPU moves), or a device's name (its signals)."""
    kind = item[2]
    if kind in ("cpu", "act", "timeout"):
        return f"CPU{item[3]}"
    if kind == "vtimer":
        return f"CPU{item[3]} timer"
    if kind == "qemu":
        return "QEMU"
    if kind in ("fire", "release"):
        return str(item[3])
    if kind == "xen":
        return _xen_context(item)
    return str(kind)


#: "Xen pCPU0", "Xen pCPU1", ... (built once)
_XEN_PCPU = tuple(f"Xen pCPU{i}" for i in range(256))


def _xen_context(item: Item) -> str:
    """Xen's work runs on a host pCPU, each its own context: ``do_IRQ`` and the dpci softirq on the pCPU the
    host vector arrived at (``[.., "irq", dev, vector, n, irq, pCPU << 8 | vector]``), the eoi_timer on the
    pCPU whose ``do_IRQ_guest`` armed it (``migrate_timer(.., smp_processor_id())``), the data half of a
    split ``write_msi_msg`` on the pCPU whose ack ran the move, a pCPU's ``schedule()`` (xensched) on it. ``hvm_inject_msi`` (QEMU's hypercall) and
    the scheduler's vCPU moves are ``Xen``. (Hypercalls run inside the calling vCPU's own steps.)"""
    op = item[3]
    if op == "irq":
        return _XEN_PCPU[item[8] >> 8]
    if op == "eoi_timer" and len(item) > 6:
        return _XEN_PCPU[item[6]]
    if op == "msi_data" and len(item) > 9:
        return _XEN_PCPU[item[9]]
    if op == "sched" and len(item) > 4 and type(item[4]) is int and 0 <= item[4] < 256:
        return _XEN_PCPU[item[4]]      # (xensched: that pCPU's schedule())
    return "Xen"


def describe(w: dict[str, Any], item: Item) -> str:
    """What running ``item`` now would do, e.g. ``CPU1's msix_capability_init+write_entry
    (run[9]: probe of nvme1)``."""
    kind = item[2]
    if kind == "cpu":
        return _cpu_step(w, item[3])
    if kind == "qemu":
        return _qemu_step(w)
    simple = _SIMPLE.get(kind)
    return simple(w, item) if simple is not None else str(kind)


def _cpu_step(w: dict[str, Any], cpu: int) -> str:
    c = w["cpus"][cpu]
    who = f"CPU{cpu}'s"
    if c["irq"]["stack"]:
        return f"{who} {describe_frame(c['irq']['stack'][-1])} (interrupt context)"
    proc = c["proc"]
    act = _action(w, proc["action"])
    if proc["stack"] and proc["wait"] is None:
        return f"{who} {describe_frame(proc['stack'][-1])}{act}"
    if proc["done"] is not None:
        return f"{who} end of the action{act}"
    return f"{who} interrupt entry"


def _qemu_step(w: dict[str, Any]) -> str:
    q = w.get("qemu", {})
    stack = q.get("ctx", {}).get("stack") or []
    if stack:
        return f"QEMU's {describe_frame(stack[-1])}"
    nxt = (q.get("queue") or [{}])[0]
    return f"QEMU taking CPU{nxt.get('cpu', '?')}'s {nxt.get('prog', 'ioreq')} for {nxt.get('dev', '?')}"


_SIMPLE: dict[str, Callable[[dict[str, Any], Item], str]] = {
    "act": lambda w, it: f"CPU{it[3]}'s start{_action(w, it[4])}",
    "timeout": lambda w, it: f"CPU{it[3]}'s driver timeout",
    "fire": lambda w, it: f"{it[3]}'s signal on vector {it[4]}",
    "release": lambda w, it: f"{it[3]}'s pending-bit release on vector {it[4]}",
    "xen": lambda w, it: _xen(w, it),
    "vtimer": lambda w, it: f"CPU{it[3]}'s local APIC timer (vector cleanup)",
}


def _xen(w: dict[str, Any], item: Item) -> str:
    if item[3] == "eoi_timer":  # [.., "eoi_timer", host irq, token]
        return f"Xen's eoi_timer of host irq {item[4]}"
    if item[3] == "migrate":  # [.., "migrate", vcpu, pcpu, action]
        return f"Xen's scheduler moving vCPU{item[4]} to pCPU{item[5]}"
    if item[3] == "kick":  # [.., "kick", vcpu, port]
        return f"vCPU{item[4]}'s VM entry after Xen's vcpu_kick (event channel {item[5]})"
    if item[3] == "resume":  # [.., "resume", vcpu]
        return f"Xen scheduling vCPU{item[4]} in (hvm_do_resume: msix_write_completion)"
    if item[3] == "tick":  # [.., "tick", vcpu]
        return f"the guest's timer tick on vCPU{item[4] if len(item) > 4 else '?'} (kernel.guest_tick)"
    if item[3] == "msi_data":  # [.., "msi_data", dev, 0, 0, pirq, data]
        return f"Xen's set_msi_affinity writing {item[4]}'s MSI data ({item[8]:#x})"
    return f"Xen's interrupt work for {item[4]} vector {item[5]}"  # [.., "irq" | "inject", dev, vector, ..]


def _action(w: dict[str, Any], idx: int) -> str:
    if idx < 0 or idx >= len(w["actions"]):
        return ""
    a = w["actions"][idx]
    of = f" of {a['dev']}" if a["dev"] else ""
    return f" (run[{idx}]: {a['do']}{of})"
