"""Virtual time each kind of step takes, in nanoseconds.

Orders of magnitude from x86 servers (PCIe Gen3, xAPIC/x2APIC, Xen 4.x HVM); a scenario
overrides any of them under ``costs:``. These widths are what make races reproducible:
a device signalling every microsecond lands between two 1 us config writes under the
default ``ordered`` policy, just as it does on real hardware.
"""

from __future__ import annotations

DEFAULT_COSTS: dict[str, int] = {
    # PCI config space goes through ECAM: a non-posted transaction, ~1 us round trip.
    "cfg_write": 1000,
    "cfg_read": 1000,
    # MMIO into a BAR (the MSI-X table): writes are posted, reads wait for completion.
    "mmio_write": 200,
    "mmio_read": 800,
    # Interrupt entry: IRR->ISR, IDT dispatch, common_interrupt's vector_irq lookup.
    "irq_entry": 400,
    # EOI: one write to the local APIC.
    "eoi": 100,
    # A device driver's hard interrupt handler (an NVMe completion, a NIC poll kick).
    "handler": 1500,
    # Kernel bookkeeping that touches no hardware: locks, allocators, descriptors.
    "kernel": 100,
    # An IPI: one ICR write.
    "ipi": 300,
    # Time from a doorbell write to the device's completion signal.
    "device_response": 2000,
    # Xen HVM: a VM exit to the device model (QEMU) for a trapped config/MMIO access.
    "trap": 12000,
    # A hypercall (PHYSDEVOP_*, EVTCHNOP_*): VM exit, work in Xen, VM entry.
    "hypercall": 2000,
    # Event channel upcall: Xen sets the pending bit and injects the callback vector.
    "upcall": 800,
    # Interrupt remapping: an IRTE update (two 64-bit stores, modify_irte) plus the interrupt entry cache
    # invalidation it waits for.
    "irte_update": 1000,
    # Gap between two CPUs' steps in a hotplug rendezvous (stop_machine).
    "hotplug": 5000,
    # fixup_irqs() waits mdelay(1) before it scans the dying CPU's IRR (arch/x86/kernel/irq.c).
    "fixup_irqs_mdelay": 1_000_000,
    # One jiffy: the vector cleanup timer (6.6+) fires a jiffy after it is armed. 4 ms is
    # CONFIG_HZ=250, the Kconfig default (kernel/Kconfig.hz); 1ms for HZ=1000 kernels.
    "jiffy": 4_000_000,
}


def merged(overrides: dict[str, int] | None) -> dict[str, int]:
    """The default table with a scenario's overrides applied (validated by the loader)."""
    table = dict(DEFAULT_COSTS)
    if overrides:
        table.update(overrides)
    return table
