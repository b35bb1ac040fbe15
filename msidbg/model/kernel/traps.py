"""A device vector 16..31: the local APIC delivers it (only 0..15 are illegal), and the CPU vectors
through that IDT entry -- which Linux fills with exception handlers (arch/x86/kernel/idt.c
``def_idts``), not the device interrupt stubs (``irq_entries_start`` begins at FIRST_EXTERNAL_VECTOR,
0x20, and the vector allocator never hands out less). The interrupt runs an exception handler:
no irq is looked up, no device handler runs, nothing EOIs the local APIC (the vector's ISR bit stays
set: it blocks only priority class 1, vectors 16..31), and the handler does what it does with a
fault nobody raised. Only a raw ``write`` of a message (or a device that corrupts its data) gets here.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct
from msidbg.model import kinds as K
from msidbg.model.kernel import sources as S
from msidbg.sim.program import program

exception_vector = program("exception_vector", "an interrupt on vector 16..31 runs the IDT's exception entry",
                           source=(S.IDT_EXCEPTIONS, S.MATH_ERROR))

#: vector -> (mnemonic, Linux's entry, what the handler makes of a kernel-mode arrival, confirmed?)
#: (every modelled CPU is in kernel mode: idle, or running an action's kernel code)
EXCEPTIONS: dict[int, tuple[str, str, str, bool]] = {
    0x10: ("#MF", "exc_coprocessor_error", 'math_error: kernel mode, no exception fixup: die("fpu exception"), an oops',
           True),
    0x11: ("#AC", "exc_alignment_check", "an error-code entry: the CPU pushed no error code for an external "
           "interrupt, so the frame is read one word off", False),
    0x12: ("#MC", "exc_machine_check", "do_machine_check with no machine-check bank logged", False),
    0x13: ("#XM", "exc_simd_coprocessor_error",
           'math_error: kernel mode, no exception fixup: die("simd exception"), an oops', True),
    0x14: ("#VE", "exc_virtualization_exception", "a TDX guest's entry (CONFIG_INTEL_TDX_GUEST), else the early "
           "boot gate idt_setup_early_handler left", False),
    0x15: ("#CP", "exc_control_protection", "an error-code entry (CONFIG_X86_CET), else the early boot gate", False),
    0x1D: ("#VC", "exc_vmm_communication", "an SEV-ES guest's entry, else the early boot gate", False),
}


def describe(vector: int) -> tuple[str, str, str, bool]:
    """(mnemonic, entry, consequence, confirmed) of an exception vector 16..31."""
    return EXCEPTIONS.get(vector, ("reserved", "(none in def_idts)", "the early boot gate idt_setup_early_handler "
                                   "left (early_idt_handler_array)", False))


@exception_vector.step
def exception_entry(k: Any, loc: dict[str, Any]) -> None:
    """The exception entry runs instead of common_interrupt: the device's signals are lost (a
    wrong handler: spurious for the device); no EOI. The consequence is named, and marked
    hypothetical where the source was not followed (kernel.entry.exception-vector-effect)."""
    v = loc["vector"]
    name, entry, effect, confirmed = describe(v)
    for dev, idx, n in loc.get("src") or ():
        acct.lost(k.eng, dev, idx, n, f"hit CPU{k.cpu_id} vector {v:#x}: the IDT's {name} exception entry "
                  f"({entry}), not a device interrupt", spurious=True)
    what = f"vector {v:#x} is {name} in the IDT: {entry} runs, no irq handler, no EOI; {effect}"
    k.ev(K.KERNEL, None, k.s(entry), k.s(what if confirmed else what + " (hypothetical)"), v, cost="eoi")
    k.ret(0)
