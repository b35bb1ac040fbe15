"""Provenance keys: the state values whose writers are tracked, as ints, and their world paths.

A key is ``space << 32 | payload``. The payload packs a device index (the order in which the
provenance store first saw the device name), an entry or vector index, a CPU, an irq number.
Every key renders as a world path in the expression language's syntax
(``devices.eth0.msix.table[0].data``, ``cpus[1].irr[0x21]``, ``irqs[24].vector``), and
``parse`` maps such a path (aliases allowed: ``cpu``, ``dev``, ``irq``) back to a key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SHIFT = 32
PAYLOAD = (1 << SHIFT) - 1

# --- key spaces ------------------------------------------------------------------------------------
REG = 1          # dev, entry, reg: one register of an MSI-X table entry
MSG = 2          # dev, entry: the entry's message (addr_lo/addr_hi/data) as a whole
LATCH = 3        # dev, entry: what a latch-on-unmask device captured
PBA = 4          # dev, entry: the pending bit
MSIXCTRL = 5     # dev: MSI-X Message Control (Enable, Function Mask)
MSIREG = 6       # dev, reg: an MSI capability register
MSIMSG = 7       # dev: the MSI address/data pair as a whole
MSILATCH = 8     # dev: what an msi-latch-on-enable device captured
MSIPEND = 9      # dev, index: an MSI pending bit
IRR = 10         # cpu, vector
ISR = 11         # cpu, vector
VECIRQ = 12      # cpu, vector: the kernel's per-CPU vector_irq slot
ONLINE = 13      # cpu
LOST = 14        # dev, index: signals counted lost
DELIV = 15       # dev, index: signals delivered to the device's handler
HELD = 16        # dev, index: signals held behind a mask
SIG = 17         # dev, index: the latest thing that happened to a signal of this vector
ACTION = 18      # action index: the scenario action starts
ACTRES = 19      # action index: its result
WAIT = 20        # cpu: a driver waiting for its interrupt
IRQVEC = 21      # irq: the vector domain's vector and CPU of an irq
#: ``parse``'s fourth field for ``irqs[n].cpu``: the CPU half of IRQVEC (``irqs[n].vector`` has 0)
IRQ_CPU_PART = 1
KMSG = 22        # dev, index: the message the kernel composed for a vector
IRTE = 23        # index: an interrupt remapping table entry
FAULT = 24       # index into the scenario's faults
MSIXMASKS = 25   # dev: every entry's mask bit at once (a whole-table write such as msix_mask_all)
MOVEPEND = 26    # irq: a deferred affinity change (move_pending / pending_mask) waiting for its interrupt
IRQACT = 27      # irq: its action (the driver's handler), installed by request_irq, removed by free_irq
IRQPEND = 28     # irq: IRQS_PENDING -- an edge handle_edge_irq left to the CPU running the action
IRQDIS = 29      # irq: IRQD_IRQ_DISABLED as disable_irq / enable_irq set it (with the disable depth)
# Xen and QEMU (see model/xen.py, evtchn.py, qemu*.py)
PIRQ = 32        # pirq: Xen's mapping (host irq) of a guest pirq
PTBIND = 33      # pirq: QEMU's passthrough binding (pt_irq_create_bind)
PORT = 34        # event channel port: bound pirq, vCPU, mask
PORTPEND = 35    # port: its pending bit
QENTRY = 36      # dev, entry: QEMU's emulated entry (what the guest wrote and reads back)
QPIRQ = 37       # dev, entry: the pirq QEMU mapped for the entry
GIRQ = 38        # guest irq: the guest's irq_info (pirq, event channel)
IOREQ = 39       # cpu: the ioreq a vCPU is blocked on
READBACK = 40    # cpu: what the guest's last trapped read returned
HOSTMASK = 41    # dev, entry: Xen's view of the physical entry's mask (host and guest bits)
MSIXTBL = 42     # dev: Xen's vMSI-X intercept registration for the device's table
PIRQPORT = 43    # pirq: the event channel the guest bound to it
XENQ = 44        # dev, index: a device message on its way into Xen (the work item it queued)
QREG = 45        # dev, entry, reg: one register of QEMU's emulated (latched) entry
CMD = 46         # dev: the PCI Command register (Memory Space Enable, Bus Master Enable)
AMDIRTE = 47     # dev, entry: an entry of the device's own AMD-Vi interrupt remapping table
QCMD = 48        # dev: QEMU's emulated Command register (its Memory Space bit maps the MSI-X table)
REMAPS = 49      # dev, index: the remapping entry the kernel programmed for the device's vector (an alias of
                 # that entry's last write: a message of the vector is read through it)
ACTERR = 50      # action index: the error a kernel step of the action returned (what its result links)
UPCALL = 51      # cpu: a xen-pv vCPU's vcpu_info evtchn_upcall_pending (Xen's vcpu_mark_events_pending)
CALLBACK = 52    # cpu: Xen entering a xen-pv vCPU at its event callback (what its upcall's steps run for)
HOSTMOVE = 53    # host irq: Xen's pending move of it to another pCPU (IRQ_MOVE_PENDING, pending_mask)
NEEDSEOI = 54    # guest irq: pirq_needs_eoi's flag (PHYSDEVOP_irq_status_query or the pirq_eoi_map)
IOAPICMASK = 55  # gsi: the IO-APIC entry's mask bit as the kernel last wrote it (mask / unmask_ioapic_irq)
INTXPEND = 56    # machine GSI: Xen's hvm_pirq_dpci pending count of an HVM guest's INTx pirq (do_IRQ_guest ++,
                 # hvm_pirq_eoi --); an alias of the Xen node that changed it
PORTMASK = 57    # port: the event channel's mask bit as the guest last changed it (mask_evtchn / unmask_evtchn)
IOAPICRIRR = 58  # gsi: the IO-APIC entry's Remote IRR, recorded only when it is left set with nothing to clear it
                 # (the entry deactivated while a level interrupt was in flight) and when it clears after that
APICOFF = 59     # cpu: its local APIC software-disabled (native_cpu_disable's apic_soft_disable; INIT enables it)
BOUND = 60       # dev: the driver core's dev->driver (``kernel.pci.D.bound``): a probe's driver_bound, alloc_vectors'
                 # driver, device_unbind_cleanup at remove
VECRSVD = 61     # the matrix's global_reserved (``kernel.vec_rsvd``): irq_matrix_reserve ++, activate_reserved's
                 # irq_matrix_alloc and irq_matrix_remove_reserved -- (no payload)
DESCS = 62       # dev: the vectors the device's driver has set up (``kernel.pci.D.descs``), recorded where an action
                 # changes them without touching dev->driver (``free_vectors``: pci_free_irq_vectors)
SPOLL = 63       # poll_spurious_irq_timer (``kernel.spoll``): the CPU whose timer base holds it, as note_interrupt /
                 # poll_spurious_irqs armed it (mod_timer) or timers_dead_cpu moved it (no payload; whyheld10)
MSHUT = 64       # irq: a managed irq left shut down at its startup (IRQ_STARTUP_ABORT: no online CPU in its mask)
IGNMASK = 65     # the guest kernel's pci_msi_ignore_mask (``kernel.ignore_mask``): set at boot, never by a recorded step;
                 # a step that writes the MSI-X table regardless of it links it as a boot-time root (whyheld12)
SAVEDCMD = 66    # dev: the Command register of the header pci_save_state saved (``kernel.pci.D.pm.saved_cmd``), which
                 # pci_restore_config_space writes back (why31)
KCTRL = 67       # dev, entry: the PCI msi_desc's cached Vector Control (``kernel.pci.D.descs[i].msix_ctrl``: msix_ctrl /
                 # entry->masked), which __pci_restore_msix_state writes back (why31)
SCHEDIN = 68     # vCPU: its last schedule-in by Xen's host scheduler (``xen.sched.since[v]``, model/xensched.py): what an
                 # accept of a vector its IRR held while it waited on the pCPU's runqueue links (why31)
KCMSG = 70       # dev, entry: a message __pci_write_msi_msg cached without writing it (the function out of D0:
                 # ``kernel.pci.D.descs[i].msg``), and pci_pm_thaw_noirq leaving it unwritten before e60514bd4485: a loss
                 # of the device's older message links it (why32)
POWER = 71       # dev: the function's power state (``devices.D.power``: pm_suspend's D3hot PMCSR write or D3cold,
                 # pm_resume's D0), which a signal dropped out of D0 links (redteam32: the chain stopped at the signal)
SCHEDWAKE = 69   # vCPU: its last wake-up onto a pCPU another vCPU runs on (``xen.sched.woken[v]``: the runqueue insert and
                 # the tickle, model/xensched.py ``wake`` / ``migrate``), which its schedule-in links (why32)

MSIX_REGS = ("addr_lo", "addr_hi", "data", "ctrl")
MSI_REGS = ("addr_lo", "addr_hi", "data", "mask", "ctrl")
REG_INDEX = {r: i for i, r in enumerate(MSIX_REGS)}
MSI_REG_INDEX = {r: i for i, r in enumerate(MSI_REGS)}


def key(space: int, payload: int) -> int:
    return space << SHIFT | payload


def space_of(k: int) -> int:
    return k >> SHIFT


def dev_entry(dev: int, entry: int) -> int:
    return dev << 16 | entry


def reg_payload(dev: int, entry: int, reg: int) -> int:
    return dev << 20 | entry << 4 | reg


def cpu_vec(cpu: int, vector: int) -> int:
    return cpu << 8 | vector


# --- rendering ----------------------------------------------------------------------------------------
def path(k: int, devname: Callable[[int], str]) -> str:
    """The world path of key ``k`` (``devname`` maps a device index to its name)."""
    s, p = k >> SHIFT, k & PAYLOAD
    if s == REG:
        return f"devices.{devname(p >> 20)}.msix.table[{(p >> 4) & 0xFFFF}].{MSIX_REGS[p & 0xF]}"
    if s == QREG:
        return f"qemu.devs.{devname(p >> 20)}.msix.entries[{(p >> 4) & 0xFFFF}].latch[{p & 0xF}]"
    if s == READBACK:
        return f"cpus[{p >> 4}].readback[{p & 0xF}]"
    if s in _DEV_ENTRY:
        return _DEV_ENTRY[s].format(d=devname(p >> 16), i=p & 0xFFFF)
    if s in _DEV:
        return _DEV[s].format(d=devname(p))
    if s == MSIREG:
        return f"devices.{devname(p >> 4)}.msi.{MSI_REGS[p & 0xF]}"
    if s in _CPU_VEC:
        return _CPU_VEC[s].format(c=p >> 8, v=p & 0xFF)
    if s in _ONE:
        return _ONE[s].format(n=p)
    if s == VECRSVD:
        return "kernel.vec_rsvd"
    if s == SPOLL:
        return "kernel.spoll"
    if s == IGNMASK:
        return "kernel.ignore_mask"
    return f"key {s}:{p}"


_DEV_ENTRY = {
    MSG: "devices.{d}.msix.table[{i}]", LATCH: "devices.{d}.msix.latched[{i}]",
    PBA: "devices.{d}.msix.pba[{i}]", MSIPEND: "devices.{d}.msi.pending[{i}]",
    LOST: "acct.{d}.lost[{i}]", DELIV: "acct.{d}.delivered[{i}]", HELD: "acct.{d}.held[{i}]",
    SIG: "acct.{d}.raised[{i}]", KMSG: "acct.{d}.intended[{i}]",
    QENTRY: "qemu.devs.{d}.msix.entries[{i}]", QPIRQ: "qemu.devs.{d}.msix.entries[{i}].pirq",
    HOSTMASK: "xen.msixtbl.{d}[{i}]", XENQ: "xen.queue.{d}[{i}]", AMDIRTE: "iommu.tables.{d}[{i}]",
    REMAPS: "iommu.remaps.{d}[{i}]", KCTRL: "kernel.pci.{d}.descs[{i}].msix_ctrl", KCMSG: "kernel.pci.{d}.descs[{i}].msg",
}
_DEV = {MSIXCTRL: "devices.{d}.msix.ctrl", MSIMSG: "devices.{d}.msi", MSILATCH: "devices.{d}.msi.latched",
        MSIXMASKS: "devices.{d}.msix.table", MSIXTBL: "xen.msixtbl.{d}", CMD: "devices.{d}.cmd",
        QCMD: "qemu.devs.{d}.cmd",
        BOUND: "kernel.pci.{d}.bound", DESCS: "kernel.pci.{d}.descs", SAVEDCMD: "kernel.pci.{d}.pm.saved_cmd",
        POWER: "devices.{d}.power"}
_CPU_VEC = {IRR: "cpus[{c}].irr[{v:#x}]", ISR: "cpus[{c}].isr[{v:#x}]", VECIRQ: "cpus[{c}].vector_irq[{v:#x}]"}
_ONE = {
    ONLINE: "cpus[{n}].online", ACTION: "actions[{n}]", ACTRES: "actions[{n}].result",
    WAIT: "cpus[{n}].proc.wait", IRQVEC: "irqs[{n}].vector", IRTE: "iommu.irte[{n}]",
    FAULT: "kernel.faults[{n}]", PIRQ: "xen.pirqs[{n}]", PTBIND: "xen.pirqs[{n}].bound",
    PORT: "xen.ports[{n}]", PORTPEND: "xen.ports[{n}].pending", GIRQ: "kernel.xen.irqs[{n}]",
    IOREQ: "cpus[{n}].ioreq", PIRQPORT: "xen.pirqs[{n}].port", MOVEPEND: "irqs[{n}].pending_mask",
    IRQACT: "irqs[{n}].action", IRQPEND: "irqs[{n}].pending", IRQDIS: "irqs[{n}].disabled",
    ACTERR: "actions[{n}].error", UPCALL: "cpus[{n}].upcall", CALLBACK: "cpus[{n}].callback",
    HOSTMOVE: "xen.irqs[{n}].move", NEEDSEOI: "kernel.xen.irqs[{n}].needs_eoi", IOAPICMASK: "ioapic[{n}].masked",
    INTXPEND: "xen.intx.m[{n}].pending", PORTMASK: "xen.ports[{n}].masked", IOAPICRIRR: "ioapic[{n}].remote_irr",
    APICOFF: "cpus[{n}].apic_off", MSHUT: "irqs[{n}].managed_shutdown", SCHEDIN: "xen.sched.since[{n}]",
    SCHEDWAKE: "xen.sched.woken[{n}]",
}


# --- parsing --------------------------------------------------------------------------------------------
_NUM = r"(0x[0-9a-fA-F]+|[0-9]+)"   # ASCII: \d took "٢٤" as 24 (hardening31)
_NAME = r"([a-z][a-z0-9_-]*)"
_ALIASES = (("cpu[", "cpus["), ("dev.", "devices."), ("device.", "devices."), ("irq[", "irqs["))


def _int(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _patterns() -> list[tuple[re.Pattern[str], Callable[..., tuple[int, str | None, int, int]]]]:
    """(regex, build) pairs; build returns (space, device name or None, a, b)."""
    pats: list[tuple[str, Callable[..., tuple[int, str | None, int, int]]]] = [
        (rf"devices\.{_NAME}\.msix\.table\[{_NUM}\]\.(addr_lo|addr_hi|data|ctrl)",
         lambda d, e, r: (REG, d, _int(e), REG_INDEX[r])),
        (rf"devices\.{_NAME}\.msi\.(addr_lo|addr_hi|data|mask|ctrl)", lambda d, r: (MSIREG, d, MSI_REG_INDEX[r], 0)),
    ]
    for space, fmt in _DEV_ENTRY.items():
        pats.append((re.escape(fmt).replace(r"\{d\}", _NAME).replace(r"\{i\}", _NUM),
                     lambda d, i, s=space: (s, d, _int(i), 0)))
    for space, fmt in _DEV.items():
        pats.append((re.escape(fmt).replace(r"\{d\}", _NAME), lambda d, s=space: (s, d, 0, 0)))
    for space, fmt in _CPU_VEC.items():
        pats.append((re.escape(fmt).replace(r"\{c\}", _NUM).replace(r"\{v:\#x\}", _NUM),
                     lambda c, v, s=space: (s, None, _int(c), _int(v))))
    for space, fmt in _ONE.items():
        pats.append((re.escape(fmt).replace(r"\{n\}", _NUM), lambda n, s=space: (s, None, _int(n), 0)))
    pats.append((rf"irqs\[{_NUM}\]\.cpu", lambda n: (IRQVEC, None, _int(n), IRQ_CPU_PART)))
    pats.append((r"kernel\.vec_rsvd", lambda: (VECRSVD, None, 0, 0)))
    pats.append((r"kernel\.spoll", lambda: (SPOLL, None, 0, 0)))
    pats.append((r"kernel\.ignore_mask", lambda: (IGNMASK, None, 0, 0)))
    return [(re.compile(p + r"\Z"), b) for p, b in pats]


#: compiled on the first ``parse`` (some fifty regexes: milliseconds of every start-up otherwise)
_PATTERNS: list[tuple[re.Pattern[str], Callable[..., tuple[int, str | None, int, int]]]] = []


def parse(text: str) -> tuple[int, str | None, int, int] | None:
    """(space, device name or None, a, b) for a tracked world path, or None."""
    t = text.strip().replace(" ", "")
    for old, new in _ALIASES:
        if t.startswith(old):
            t = new + t[len(old):]
    t = re.sub(r'\[\s*"([^"]*)"\s*\]', r".\1", t)
    if not _PATTERNS:
        _PATTERNS.extend(_patterns())
    for pat, build in _PATTERNS:
        m = pat.match(t)
        if m:
            return build(*m.groups())
    return None


def payload(space: int, dev: int, a: int, b: int) -> int:
    """The payload of a parsed path once its device name has an index."""
    if space == REG:
        return reg_payload(dev, a, b)
    if space == MSIREG:
        return dev << 4 | a
    if space in _DEV_ENTRY:
        return dev_entry(dev, a)
    if space in _DEV:
        return dev
    if space in _CPU_VEC:
        return cpu_vec(a, b)
    return a
