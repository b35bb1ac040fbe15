"""Architectural constants: PCI capability layout, MSI message format, x86 vectors."""

from __future__ import annotations

# --- PCI config space (our devices put MSI at 0x50 and MSI-X at 0x70) ----------------
PCI_COMMAND = 0x04                # Command register, 16 bits
CMD_IO = 1 << 0                   # I/O Space Enable
CMD_MEMORY = 1 << 1               # Memory Space Enable: the function decodes its memory BARs (MSI-X table, PBA)
CMD_MASTER = 1 << 2               # Bus Master Enable: the function may issue memory writes (MSI messages)
CMD_INTX_DISABLE = 1 << 10        # Interrupt Disable: the function may not assert its INTx# pin
PCI_STATUS = 0x06                 # Status register, 16 bits
STATUS_INTERRUPT = 1 << 3         # Interrupt Status: an INTx interrupt condition is pending (read-only)

MSI_CAP = 0x50
MSIX_CAP = 0x70
MSIX_CTRL = MSIX_CAP + 2          # Message Control, 16 bits
MSIX_ENABLE = 1 << 15
MSIX_MASKALL = 1 << 14
MSIX_SIZE_MASK = 0x7FF

MSI_CTRL = MSI_CAP + 2            # Message Control, 16 bits
MSI_ENABLE = 1 << 0
MSI_64BIT = 1 << 7
MSI_PVM = 1 << 8
MSI_ADDR_LO = MSI_CAP + 4


def msi_layout(addr64: bool) -> dict[str, int]:
    """Offsets of the MSI registers after the header, which depend on the 64-bit flag."""
    base = MSI_CAP + (0x0C if addr64 else 0x08)
    lay = {"addr_lo": MSI_ADDR_LO, "data": base, "mask": base + 4, "pending": base + 8}
    if addr64:
        lay["addr_hi"] = MSI_CAP + 8
    return lay


# --- MSI-X table entries (16 bytes each, in a BAR) --------------------------------------
ENTRY_SIZE = 16
ENTRY_REGS = ("addr_lo", "addr_hi", "data", "ctrl")
ENTRY_MASKBIT = 1

# --- x86 MSI message ----------------------------------------------------------------------
MSI_ADDR_BASE = 0xFEE00000
MSI_ADDR_BASE_MASK = 0xFFF00000
#: address bit 2, Destination Mode: 1 = logical (the destination field is a logical id / mask)
MSI_ADDR_DEST_MODE_LOGICAL = 1 << 2
#: xAPIC physical destination 0xFF: every local APIC (SDM vol. 3, 10.6.2.1 "broadcast")
XAPIC_BROADCAST = 0xFF
#: x2APIC destination 0xFFFFFFFF: every local APIC, in physical and logical mode (SDM vol. 3A 10.12.9)
X2APIC_BROADCAST = 0xFFFFFFFF


def x2apic_logical_id(apic_id: int) -> int:
    """The logical x2APIC id the hardware derives from an x2APIC id (the read-only LDR, SDM vol. 3A
    10.12.10.2): cluster ``apic_id[19:4]`` in bits 31:16, ``1 << apic_id[3:0]`` in bits 15:0.
    Linux's x2apic_cluster computes the same (x2apic_prepare_cpu; earlier kernels read the LDR)."""
    return ((apic_id >> 4) << 16) | (1 << (apic_id & 0xF))


def x2apic_logical_match(ldr: int, dest: int) -> bool:
    """A logical-mode x2APIC destination ``dest`` names the APIC whose logical id ``ldr`` has the
    same cluster (bits 31:16) and shares a bit of the 16-bit mask (bits 15:0); 0xFFFFFFFF is every
    APIC (SDM vol. 3A 10.12.10.2)."""
    if dest == X2APIC_BROADCAST:
        return True
    return (ldr >> 16) == (dest >> 16) and bool(ldr & dest & 0xFFFF)


#: the MSI address's Redirection Hint (bit 3) and the data's Delivery Mode Lowest Priority (001b in bits 10:8):
#: MSI_ADDR_REDIRECTION_LOWPRI / MSI_DATA_DELIVERY_LOWPRI (arch/x86/include/asm/msidef.h before 5.10)
MSI_ADDR_REDIRECTION_LOWPRI = 1 << 3
MSI_DATA_DELIVERY_LOWPRI = 1 << 8
MSI_DATA_DELIVERY_MODE = 7 << 8


def compose_msg(dest_apic: int, vector: int, logical: bool = False, lowest: bool = False) -> list[int]:
    """[address-lo, address-hi, data] for an edge message (__irq_msi_compose_msg): the
    destination field is ``cfg->dest_apicid`` -- an APIC id (physical destination mode) or, with
    the flat driver's logical mode, the CPUs' logical id mask; redirection hint 0 and delivery mode
    Fixed (a31e58e129f7, 4.15: every APIC driver) -- or with ``lowest`` (apic_flat before 4.15:
    apic->irq_delivery_mode = dest_LowestPrio) RH 1 and delivery mode Lowest Priority."""
    mode = MSI_ADDR_DEST_MODE_LOGICAL if logical else 0
    if lowest:
        return [MSI_ADDR_BASE | ((dest_apic & 0xFF) << 12) | mode | MSI_ADDR_REDIRECTION_LOWPRI, 0,
                MSI_DATA_DELIVERY_LOWPRI | (vector & 0xFF)]
    return [MSI_ADDR_BASE | ((dest_apic & 0xFF) << 12) | mode, 0, vector & 0xFF]


def msg_dest(addr_lo: int) -> int:
    return (addr_lo >> 12) & 0xFF


def msg_logical(addr_lo: int) -> bool:
    return bool(addr_lo & MSI_ADDR_DEST_MODE_LOGICAL)


def is_interrupt_address(addr_lo: int) -> bool:
    return (addr_lo & MSI_ADDR_BASE_MASK) == MSI_ADDR_BASE


# --- x86 vector space ------------------------------------------------------------------------
NR_VECTORS = 256
FIRST_EXTERNAL_VECTOR = 0x20
IRQ_MOVE_CLEANUP_VECTOR = 0x20    # the lowest-priority vector: moved-vector cleanup IPI
FIRST_DEVICE_VECTOR = 0x21
FIRST_SYSTEM_VECTOR = 0xEC        # local timer and up are system vectors (4.18 .. 6.9)
#: from f5a3562ec9dd (6.10) FIRST_SYSTEM_VECTOR is the posted-MSI notification vector (kernel.posted_msi_vector)
POSTED_MSI_NOTIFICATION_VECTOR = 0xEB
MANAGED_IRQ_SHUTDOWN_VECTOR = 0xEF
# before 4.15 (arch/x86/include/asm/irq_vectors.h of 4.x): LOCAL_TIMER_VECTOR 0xef is the first
# system vector; 0x80 (IA32 syscall, CONFIG_IA32_EMULATION) is in used_vectors; the search starts
# after 0x20 + VECTOR_OFFSET_START (1 on 64-bit)
LEGACY_FIRST_SYSTEM_VECTOR = 0xEF
IA32_SYSCALL_VECTOR = 0x80
VECTOR_OFFSET_START = 1
ISA_IRQ_VECTOR0 = 0x30            # legacy ISA irqs 0..15 on the boot CPU
PIC_CASCADE_IR = 2
NR_LEGACY_IRQS = 16
FIRST_DYNAMIC_IRQ = 24            # after the 24 IO-APIC GSIs

# vector_irq sentinels (absent key = VECTOR_UNUSED)
VECTOR_SHUTDOWN = "SHUTDOWN"
VECTOR_RETRIGGERED = "RETRIGGERED"
VECTOR_CLEANUP = "CLEANUP"        # the IRQ_MOVE_CLEANUP_VECTOR system handler
#: irq_to_desc(2), the PIC cascade's descriptor, in every CPU's slot of ISA_IRQ_VECTOR(2): i8259A chip,
#: handle_level_irq, no action (kernel/entry.py ``cascade``; reading kernel.entry.pic-cascade)
VECTOR_CASCADE = "CASCADE"


def words_test(words: list[int], bit: int) -> bool:
    return bool(words[bit >> 5] >> (bit & 31) & 1)


def words_set(words: list[int], bit: int) -> None:
    words[bit >> 5] |= 1 << (bit & 31)


def words_clear(words: list[int], bit: int) -> None:
    words[bit >> 5] &= ~(1 << (bit & 31))


_DOWN = (7, 6, 5, 4, 3, 2, 1, 0)


def words_highest(words: list[int]) -> int:
    """Highest set bit of a 256-bit register stored as 8 x 32-bit words, or -1."""
    if not any(words):
        return -1
    for i in _DOWN:
        w = words[i]
        if w:
            return (i << 5) + w.bit_length() - 1
    return -1


def words_count(words: list[int]) -> int:
    return sum(w.bit_count() for w in words)
