"""Event kinds the model emits (one per engine step), with their field schemas."""

from __future__ import annotations

from msidbg.sim.events import HEX, INT, STR, kind, reserve

#: every event kind's code, in order (a code is its position here): fixed, so that a platform's modules
#: (the Xen side, imported on first use: model/platforms.py) declare their kinds under the same codes whatever
#: was imported first. The order is the one the imports gave up to model revision 16; a new kind goes at the end
#: (one not listed is numbered after the list in declaration order: list it when the module that declares it is
#: imported on first use; tests/test_startup.py checks the codes whichever side is imported first)
ORDER: tuple[str, ...] = (
    "action.start", "action.done", "wait.timeout", "dev.doorbell", "cfg.write", "msix.write", "msix.read",
    "msix.unclaimed", "msi.msg", "msi.held", "msi.dropped", "apic.accept", "apic.eoi", "apic.ipi", "irq.handler",
    "irq.unhandled", "irq.alloc", "irq.release", "irq.request", "irq.free", "irq.affinity", "vector.assign",
    "vector.free", "kernel", "iommu.irte", "cpu.offline", "cpu.online", "run.end", "ioapic.rte", "timer.fire",
    "xen.msixtbl", "ioreq.cfg_write", "ioreq.msix_write", "ioreq.msix_read", "ioreq.cfg_read", "qemu.msix_read",
    "qemu.cfg_read", "qemu.ioreq_done", "pcifront.dropped", "xen.null_io", "qemu.cfg_write", "qemu.msix_write",
    "qemu.map_pirq", "qemu.bind_pirq", "qemu.unbind_pirq", "qemu.unmap_pirq", "xen.hypercall", "xen.irq",
    "xen.pirq", "xen.migrate", "xen.msi", "evtchn.mask", "evtchn.clear", "xen.callback", "irq.disable",
    "irq.enable", "irq.pending", "irq.resend", "intx.assert", "irq.none", "irq.nobody_cared", "irq.poll",
    "xen.intx",
    "dev.reset", "xen.kick",   # revision 17: kernel28's pm_resume, xen29's remote upcall (evtchn, loaded with Xen)
    "dev.power",   # revision 18: resume30's pm_suspend (kernel/pm.py)
    "xen.sched",    # revision 18: xen30's host scheduler (xensched, loaded with Xen)
)
reserve(ORDER)


# driver actions from the scenario timeline
ACTION_START = kind("action.start", ("action", INT), ("do", STR), doc="a scenario action begins on a CPU")
ACTION_DONE = kind("action.done", ("action", INT), ("do", STR), ("result", INT), doc="a scenario action returns")
WAIT_TIMEOUT = kind("wait.timeout", ("action", INT), ("index", INT), doc="a driver gave up waiting for its interrupt")
DOORBELL = kind("dev.doorbell", ("index", INT), doc="the driver rings the device (an MMIO write)")

# PCI config space and the MSI-X table (BAR MMIO)
CFG_WRITE = kind("cfg.write", ("offset", HEX), ("value", HEX), ("size", INT), doc="a PCI config space write")
MSIX_WRITE = kind("msix.write", ("entry", INT), ("reg", STR), ("value", HEX), doc="a write to an MSI-X table entry")
MSIX_READ = kind("msix.read", ("entry", INT), ("reg", STR), ("value", HEX), doc="a read of an MSI-X table entry")
MSIX_UNCLAIMED = kind("msix.unclaimed", ("entry", INT), ("reg", STR), ("value", HEX),
                      doc="an MSI-X table access the device does not claim (Memory Space Enable clear): a write is "
                      "dropped, a read returns all ones (value: what was written / read)")

# what the device does with a signal
MSI_MSG = kind("msi.msg", ("index", INT), ("addr", HEX), ("data", HEX), doc="the device emits a message")
MSI_HELD = kind("msi.held", ("index", INT), ("why", STR), doc="a signal is held (PBA / pending bit)")
MSI_DROPPED = kind("msi.dropped", ("index", INT), ("why", STR), doc="a signal goes nowhere")

# local APIC and the x86 entry path
APIC_ACCEPT = kind("apic.accept", ("vector", HEX), ("irq", INT), doc="IRR -> ISR; common_interrupt looks up vector_irq")
APIC_EOI = kind("apic.eoi", ("vector", HEX), doc="end of interrupt: the highest ISR bit clears")
APIC_IPI = kind("apic.ipi", ("target", INT), ("vector", HEX), doc="an IPI sets a vector in another CPU's IRR")
IRQ_HANDLER = kind("irq.handler", ("irq", INT), ("index", INT), ("signals", INT), doc="the irq's handler runs")
IRQ_UNHANDLED = kind("irq.unhandled", ("vector", HEX), ("slot", STR), ("signals", INT),
                     doc="a vector with no irq descriptor (UNUSED, SHUTDOWN or RETRIGGERED)")

# kernel bookkeeping
IRQ_ALLOC = kind("irq.alloc", ("irq", INT), ("index", INT), doc="an irq descriptor is allocated for a vector")
IRQ_RELEASE = kind("irq.release", ("irq", INT), ("index", INT), doc="an irq descriptor is freed")
IRQ_REQUEST = kind("irq.request", ("irq", INT), ("index", INT), doc="request_irq installs the handler")
IRQ_FREE = kind("irq.free", ("irq", INT), ("index", INT), doc="free_irq removes the handler")
IRQ_AFFINITY = kind("irq.affinity", ("irq", INT), ("target", INT), ("how", STR), doc="an affinity request")
VECTOR_ASSIGN = kind("vector.assign", ("irq", INT), ("vector", HEX), ("target", INT), doc="vector domain assignment")
VECTOR_FREE = kind("vector.free", ("irq", INT), ("vector", HEX), ("target", INT), doc="a vector is released")
KERNEL = kind("kernel", ("prog", STR), ("what", STR), ("value", INT), doc="kernel bookkeeping")

# interrupt remapping (VT-d): the remapping table entry that really routes a remappable message
IRTE_WRITE = kind("iommu.irte", ("index", INT), ("vector", HEX), ("target", INT),
                  doc="an interrupt remapping table entry is written atomically (target: the CPU its "
                      "destination names, -1: not present)")

# CPU hotplug and the end of the run
CPU_OFFLINE = kind("cpu.offline", ("target", INT), doc="a CPU leaves (after its irqs were migrated)")
CPU_ONLINE = kind("cpu.online", ("target", INT), doc="a CPU comes back (INIT clears its APIC)")
RUN_END = kind("run.end", ("lost", INT),
               doc="nothing left to do: undelivered signals are counted lost; lost = every signal raised and "
                   "never delivered (the summary's lost, all devices)")
