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

from msidbg.model.hw import words_highest

Cpu = Any   # a CPU record (sim/rec.py CpuRec): its hot fields are slots
Source = list[Any]  # [device name, vector index, signal count]

#: ESR bit 6 (SDM vol. 3A 10.5.3): a message or local interrupt with a vector 0..15 was received
ESR_RECEIVE_ILLEGAL = 0x40
#: the LVT Error vector Linux programs (arch/x86/include/asm/irq_vectors.h ERROR_APIC_VECTOR)
ERROR_APIC_VECTOR = 0xFE
#: arch/x86/kernel/apic/apic.c sysvec_error_interrupt's names of ESR bits 0..7
ESR_REASONS = ("Send CS error", "Receive CS error", "Send accept error", "Receive accept error",
               "Redirectable IPI", "Send illegal vector", "Received illegal vector", "Illegal register address")


def ppr_class(cpu: Cpu) -> int:
    top = words_highest(cpu.isr)
    isr_class = top >> 4 if top >= 0 else 0
    return max(cpu.tpr >> 4, isr_class)


#: an IRR with nothing pending (compared at C speed: the words are ints, 0 is one object)
_EMPTY = [0] * 8
#: a vector's priority class (``v >> 4``) by table: a tuple subscript is a specialised bytecode where
#: ``>>`` is a generic int operation (docs/perf.md, round 16)
_CLASS = tuple(v >> 4 for v in range(256))

#: per vector: its IRR/ISR word (``vector >> 5``), its bit in that word (``1 << (vector & 31)``)
#: and the word's other bits (``~bit``). The hot paths index these tuples (a specialised subscript)
#: instead of running three generic int operations, which 3.11 does not specialise
VEC_WORD = tuple(v >> 5 for v in range(256))
VEC_BIT = tuple(1 << (v & 31) for v in range(256))
VEC_NOT_BIT = tuple(~(1 << (v & 31)) for v in range(256))


def acceptable(cpu: Cpu) -> int:
    """The vector the CPU would take next, or -1 (hot path: unrolled bit scans, no call)."""
    irr = cpu.irr
    if irr == _EMPTY:   # nothing pending: the common case of an idle CPU
        return -1
    if "vlapic_off" in cpu._extra:      # a software-disabled Xen vLAPIC (rare: a dying HVM vCPU)
        return vlapic_off_acceptable(cpu)
    w0, w1, w2, w3, w4, w5, w6, w7 = irr
    if w7:
        v = 223 + w7.bit_length()
    elif w6:
        v = 191 + w6.bit_length()
    elif w5:
        v = 159 + w5.bit_length()
    elif w4:
        v = 127 + w4.bit_length()
    elif w3:
        v = 95 + w3.bit_length()
    elif w2:
        v = 63 + w2.bit_length()
    elif w1:
        v = 31 + w1.bit_length()
    elif w0:
        v = w0.bit_length() - 1
    else:
        return -1
    cls = cpu.tpr >> 4
    isr = cpu.isr
    if isr == _EMPTY:   # nothing in service (no handler running): the TPR alone decides
        return v if _CLASS[v] > cls else -1
    w0, w1, w2, w3, w4, w5, w6, w7 = isr
    if w7:
        top = 14 if w7 < 0x10000 else 15
    elif w6:
        top = 12 if w6 < 0x10000 else 13
    elif w5:
        top = 10 if w5 < 0x10000 else 11
    elif w4:
        top = 8 if w4 < 0x10000 else 9
    elif w3:
        top = 6 if w3 < 0x10000 else 7
    elif w2:
        top = 4 if w2 < 0x10000 else 5
    elif w1:
        top = 2 if w1 < 0x10000 else 3
    elif w0:
        top = 0 if w0 < 0x10000 else 1
    else:
        top = 0
    if top > cls:
        cls = top
    return v if _CLASS[v] > cls else -1


#: Linux's HYPERVISOR_CALLBACK_VECTOR, the HVM guest's event channel upcall (model/evtchn.py UPCALL_VECTOR)
CALLBACK_VECTOR = 0xF3
#: ``cpu["vlapic_off"]``: a software-disabled vLAPIC offers no IRR bit (1), or only the domain's global
#: callback vector, which hvm_vcpu_has_pending_irq offers before it asks the vLAPIC (2)
VLAPIC_OFF, VLAPIC_OFF_CALLBACK = 1, 2


def vlapic_off_acceptable(cpu: Cpu) -> int:
    """``acceptable`` for an HVM vCPU whose vLAPIC the guest software-disabled (kernel/hotplug.py
    native_apic_step): Xen's vlapic_has_pending_irq returns -1 while the vLAPIC is disabled ('if (
    !vlapic_enabled(vlapic) ) return -1;', every release 4.0 .. 4.22), so no IRR bit is taken -- it stays
    set, as fixup_irqs' IRR scan read it. hvm_vcpu_has_pending_irq offers the global callback vector
    (HVMIRQ_callback_vector: evtchn_upcall_pending) before it asks the vLAPIC, so that upcall still comes
    (reading xen.vlapic.soft-disabled)."""
    if cpu._extra["vlapic_off"] != VLAPIC_OFF_CALLBACK or not cpu.irr[VEC_WORD[CALLBACK_VECTOR]] \
            & VEC_BIT[CALLBACK_VECTOR]:
        return -1
    return CALLBACK_VECTOR if _CLASS[CALLBACK_VECTOR] > ppr_class(cpu) else -1


def receive(cpu: Cpu, vector: int, src: Source | None) -> bool:
    """A message or IPI arrives: set IRR, record provenance. Returns True if it coalesced."""
    irr = cpu.irr
    i, bit = VEC_WORD[vector], VEC_BIT[vector]
    word = irr[i]
    irr[i] = word | bit
    if src is not None:
        irr_src = cpu.irr_src
        if vector not in irr_src:
            irr_src[vector] = [src]
        else:
            for s in irr_src[vector]:
                if s[0] == src[0] and s[1] == src[1]:
                    s[2] += src[2]
                    break
            else:
                irr_src[vector].append(src)
    return bool(word & bit)


def edge(cpu: Any, vector: int) -> None:
    """An edge interrupt (a message, an IPI) accepted into the IRR clears ``vector``'s TMR bit (SDM vol. 3A
    10.8.4, "Interrupt Acceptance for Fixed Interrupts": "Upon acceptance of an interrupt into the IRR, the
    corresponding TMR bit is cleared for edge-triggered interrupts and set for level-triggered
    interrupts"): a bit a level IO-APIC irq left on a vector now an MSI's goes -- reading ioapic.tmr.
    (``cpu["tmr"]``: ioapic.tmr_set's sorted list; absent until a level delivery.)"""
    t = cpu.get("tmr")
    if t and type(t) is list and vector in t:
        cpu["tmr"] = [v for v in t if v != vector]


def take(cpu: Cpu, vector: int) -> list[Source]:
    """IRR -> ISR for ``vector``; returns the provenance of the signals it carried."""
    i = VEC_WORD[vector]
    cpu.irr[i] &= VEC_NOT_BIT[vector]
    cpu.isr[i] |= VEC_BIT[vector]
    return cpu.irr_src.pop(vector, None) or []


def eoi(cpu: Cpu) -> int:
    """Clear the highest ISR bit; returns that vector (or -1 for a stray EOI)."""
    isr = cpu.isr
    w0, w1, w2, w3, w4, w5, w6, w7 = isr
    if w7:
        i, word = 7, w7
    elif w6:
        i, word = 6, w6
    elif w5:
        i, word = 5, w5
    elif w4:
        i, word = 4, w4
    elif w3:
        i, word = 3, w3
    elif w2:
        i, word = 2, w2
    elif w1:
        i, word = 1, w1
    elif w0:
        i, word = 0, w0
    else:
        return -1
    top = word.bit_length() - 1
    isr[i] = word ^ (1 << top)
    return (i << 5) + top


def reset(cpu: Cpu) -> list[Source]:
    """INIT: IRR and ISR cleared. Returns the provenance of signals that were dropped."""
    dropped = [s for srcs in cpu.irr_src.values() for s in srcs]
    cpu.irr = [0] * 8
    cpu.isr = [0] * 8
    cpu.irr_src = {}
    return dropped


def refuses(w: Any, c: Any) -> bool:
    """Does CPU ``c``'s local APIC refuse a Fixed message? Only a software-disabled one (``apic_off``:
    native_cpu_disable's apic_soft_disable) does (SDM 10.4.7.2, reading bus.soft-disabled-destinations).
    An HVM guest's is Xen's vLAPIC, which vmsi_deliver and vioapic_deliver skip when disabled only from
    f1d7aac1e3c3 (``platform.xen_vlapic_disabled_refuses``: 4.18.0; 4.16.3, 4.17.1); before, their
    vlapic_set_irq set its IRR (and TMR) all the same, and vlapic_has_pending_irq offers nothing while it is
    disabled -- the bit waits, as on an APIC native_cpu_disable only cleared (reading
    xen.vlapic.soft-disabled)."""
    return "apic_off" in c._extra and (w.platform["kind"] != "xen-hvm"
                                       or bool(w.behaviour.get("xen_vlapic_disabled_refuses", True)))
