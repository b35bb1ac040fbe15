"""Local APIC, one per CPU: IRR, ISR, TPR/PPR, acceptance, EOI, coalescing.

IRR and ISR are 256-bit registers stored as 8 x 32-bit words (the architectural
IRR0..IRR7 layout). An edge message sets its IRR bit; a second message for a vector
already in IRR coalesces into it (at most one in service plus one pending per vector).
The CPU accepts the highest IRR vector whose priority class (vector >> 4) beats the
processor priority (max of TPR class and the highest in-service class).

Each IRR bit also carries the *provenance* of the signals coalesced into it
(``irr_src[vector] = [[device, index, count], ...]``) so the accounting can tell
delivered signals from lost ones without guessing.
"""

from __future__ import annotations

from typing import Any

from msidbg.model.hw import _DOWN, words_clear, words_highest, words_set, words_test

Cpu = dict[str, Any]
Source = list[Any]  # [device name, vector index, signal count]


def ppr_class(cpu: Cpu) -> int:
    top = words_highest(cpu["isr"])
    isr_class = top >> 4 if top >= 0 else 0
    return max(cpu["tpr"] >> 4, isr_class)


def acceptable(cpu: Cpu) -> int:
    """The vector the CPU would take next, or -1 (hot path: inlined bit scans)."""
    irr = cpu["irr"]
    if not any(irr):
        return -1
    for i in _DOWN:
        word = irr[i]
        if word:
            v = (i << 5) + word.bit_length() - 1
            break
    cls = cpu["tpr"] >> 4
    isr = cpu["isr"]
    if any(isr):
        for i in _DOWN:
            word = isr[i]
            if word:
                top = ((i << 5) + word.bit_length() - 1) >> 4
                if top > cls:
                    cls = top
                break
    return v if (v >> 4) > cls else -1


def receive(cpu: Cpu, vector: int, src: Source | None) -> bool:
    """A message or IPI arrives: set IRR, record provenance. Returns True if it coalesced."""
    irr = cpu["irr"]
    coalesced = words_test(irr, vector)
    words_set(irr, vector)
    if src is not None:
        srcs = cpu["irr_src"].get(vector)
        if srcs is None:
            cpu["irr_src"][vector] = [src]
        else:
            for s in srcs:
                if s[0] == src[0] and s[1] == src[1]:
                    s[2] += src[2]
                    break
            else:
                srcs.append(src)
    return coalesced


def take(cpu: Cpu, vector: int) -> list[Source]:
    """IRR -> ISR for ``vector``; returns the provenance of the signals it carried."""
    words_clear(cpu["irr"], vector)
    words_set(cpu["isr"], vector)
    return cpu["irr_src"].pop(vector, None) or []


def eoi(cpu: Cpu) -> int:
    """Clear the highest ISR bit; returns that vector (or -1 for a stray EOI)."""
    v = words_highest(cpu["isr"])
    if v >= 0:
        words_clear(cpu["isr"], v)
    return v


def reset(cpu: Cpu) -> list[Source]:
    """INIT: IRR and ISR cleared. Returns the provenance of signals that were dropped."""
    dropped = [s for srcs in cpu["irr_src"].values() for s in srcs]
    cpu["irr"] = [0] * 8
    cpu["isr"] = [0] * 8
    cpu["irr_src"] = {}
    return dropped
