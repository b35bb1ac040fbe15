"""A device's return to D0 and the PCI core's restore of its MSI / MSI-X state (the ``pm_resume`` action).

``pm_resume`` is pci_pm_default_resume_early's sequence for a function that sat in D3hot without
No_Soft_Reset (drivers/pci/pci-driver.c: pci_power_up, then pci_restore_state): the D3hot -> D0 transition
resets the function (Command, MSI and MSI-X back at their reset values: ``device.power_on_reset``), then
pci_restore_state writes the saved config header back -- of what msidbg models, the Command register,
in pci_restore_config_space -- and pci_restore_msi_state rewrites MSI, then MSI-X, from the kernel's
descriptors (drivers/pci/msi.c; drivers/pci/msi/msi.c from 5.17):

* ``__pci_restore_msi_state`` (MSI enabled): pci_intx_for_msi(dev, 0), MSI Enable cleared, the cached
  message written (arch_restore_msi_irqs, x86: true), the cached Mask Bits written, then Message Control
  with Multiple Message Enable and Enable.
* ``__pci_restore_msix_state`` (MSI-X enabled): pci_intx_for_msi(dev, 0), Enable | Function Mask, the
  cached messages and Vector Controls, Function Mask cleared. Before ae72f3156729 (5.17) every entry's
  message first (arch_restore_msi_irqs -> default_restore_msi_irqs), then every entry's Vector Control
  (msix_mask_irq / pci_msix_write_vector_ctrl); from it one entry at a time, message then Vector Control
  (``kernel.msix_restore_per_entry``). Every write goes out under Function Mask.

The saved Command is the value the device held when the action began (pci_save_state at the suspend).
Bare metal only: the loader refuses ``pm_resume`` on Xen platforms (docs/scenario.md).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device
from msidbg.model.cite import Source, reading
from msidbg.model.hw import (
    ENTRY_MASKBIT,
    MSI_64BIT,
    MSI_CTRL,
    MSI_ENABLE,
    MSIX_CTRL,
    MSIX_ENABLE,
    MSIX_MASKALL,
    msi_layout,
)
from msidbg.model.kernel import pci
from msidbg.model.kernel.driver import action
from msidbg.model.kernel.msi import ctrl_read, hwdev, msi_mask_writes, msi_multiple
from msidbg.model.kernel.sw import sw
from msidbg.sim.events import HEX, kind
from msidbg.sim.program import program

#: the function's reset on its D3hot -> D0 transition (``cmd``: the Command it held, which the kernel saved);
#: registered by ``register`` once every other kind is (model/__init__.py), so that no older kind's code moves
DEV_RESET = -1


def register() -> None:
    global DEV_RESET
    DEV_RESET = kind("dev.reset", ("cmd", HEX),
                     doc="the function's internal reset (D3hot -> D0 without No_Soft_Reset): config state at reset "
                     "values")

L = "torvalds/linux"
RESUME = Source(L, "v6.6", "drivers/pci/pci-driver.c + drivers/pci/pci.c",
                "pci_pm_default_resume_early (pci_power_up, pci_restore_state) / pci_restore_config_space",
                "all (the Command register of the saved header; the other header registers are not modelled)")
RESTORE_MSIX = (Source(L, "v5.17", "drivers/pci/msi/msi.c", "__pci_restore_msix_state / __pci_restore_msi_state",
                       "5.17.. (msix_restore_per_entry: true; read in dunli/linux-5.17, a Rock 3A board port whose "
                       "import is 5.17-rc5 (Makefile EXTRAVERSION -rc5, with phy-rockchip-naneng-combphy.c, which 5.17.0 lacks): its "
                       "drivers/pci/msi/ is identical to the 5.17.0 import of kuangfei2019/linux-5.17-mini2440-dt "
                       "(audit24); and in a current upstream copy)"),
                Source(L, "v5.15.16", "drivers/pci/msi.c",
                       "__pci_restore_msix_state (arch_restore_msi_irqs, then pci_msix_write_vector_ctrl of the "
                       "cached word per entry; msix_mask_irq(entry, entry->masked) before 5.15, as in a 4.17.0 tree) / "
                       "default_restore_msi_irqs", "..5.16 (msix_restore_per_entry: false; read in "
                       "yashlala/fastswap-linux-5.16.16, the fastswap research kernel on a 5.15.16 import (Makefile "
                       "5.15.16; its later commits change mm/ and frontswap only): __pci_restore_msix_state is the same in "
                       "yhuan416/linux-5.15.24, whose drivers/pci/msi.c differs only in pci_irq_vector / "
                       "pci_irq_get_affinity (MSI-X looked up by msi_attrib.entry_nr, a later stable fix); "
                       "audit24)"))

#: audit23: read in a 4.17.0 tree (SaumyaSachdev/linux-4.17); the 'linux-4.18' tree this first cited
#: (wulmx/linux-4.18) is a vendor 4.18.0 kernel with later backports (apic_eoi, kvm/mmu/mmu.c), not v4.18
POWER_UP = Source(L, "v4.17", "drivers/pci/pci.c", "pci_raw_set_power_state (need_restore -> pci_restore_bars)",
                  "all (the kernel's test for a function whose state the D3hot -> D0 transition reset; it puts "
                  "back the BARs only: the full restore is pci_pm_default_resume_early's pci_restore_state)")

reading("kernel.pm.d3hot-reset",
        "A function leaving D3hot for D0 with PMCSR No_Soft_Reset clear performs an internal reset: its "
        "configuration context is lost, and the kernel treats it so: pci_raw_set_power_state's need_restore puts "
        "the BARs back (pci_restore_bars), and the resume's pci_restore_state (pci_pm_default_resume_early) writes "
        "the saved configuration back whatever need_restore says (audit23). msidbg's device (``device.power_on_reset``) comes back with Command 0, MSI and MSI-X "
        "disabled, Function Mask clear, every MSI-X entry masked (the Marvell quirk's unmasked, as at power-on), the "
        "MSI message, Mask Bits and the MSI-X messages 0 -- a masked entry's message is not sent before the "
        "restore rewrites it, whatever it holds -- and what sat in the PBA or the MSI pending bits lost. A "
        "function with No_Soft_Reset set keeps its state and is not modelled (pm_resume always resets).",
        source=(POWER_UP, RESUME), module=__name__,
        quote="if ((pmcsr & PCI_PM_CTRL_STATE_MASK) == PCI_D3hot && !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET)) "
        "need_restore = true;")
reading("kernel.pm.restore-msix-order",
        "__pci_restore_msix_state sets Enable | Function Mask, rewrites the table from the descriptors' caches "
        "(entry->msg, the cached Vector Control) and clears Function Mask: every write is made under Function Mask, "
        "so a signal meanwhile waits in the PBA and goes out at the clear. Before ae72f3156729 (5.17) "
        "arch_restore_msi_irqs rewrote every message first (default_restore_msi_irqs), then each Vector Control "
        "was written (5.15 / 5.16: pci_msix_write_vector_ctrl of the cached word; before 5.15 msix_mask_irq(entry, "
        "entry->masked), kernel.pm.restore-mask-any-bit; audit23); from it one entry at a time, __pci_write_msi_msg (with da181dc974ad's mask around "
        "an unmasked entry: 5.14; 5.13.12, 5.10.60, 5.4.142, 4.19.205, 4.14.245, 4.9.281, 4.4.282) then pci_msix_write_vector_ctrl (kernel.msix_restore_per_entry). "
        "__pci_restore_msi_state clears MSI Enable, rewrites the cached message and Mask Bits, then sets Multiple "
        "Message Enable and Enable. A signal between the function's reset and the restore finds MSI and MSI-X "
        "disabled (INTx, or lost without a pin).",
        source=RESTORE_MSIX, module=__name__,
        quote="if (write_msg) __pci_write_msi_msg(entry, &entry->msg); pci_msix_write_vector_ctrl(entry, "
        "entry->pci.msix_ctrl); } ... pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL, 0); / (5.15.16:) "
        "arch_restore_msi_irqs(dev); for_each_pci_msi_entry(entry, dev) pci_msix_write_vector_ctrl(entry, "
        "entry->msix_ctrl);")

MASK_ANY_BIT = Source(L, "e045fa29e893", "drivers/pci/msi.c",
                      "__pci_msix_desc_mask_irq ('if (flag)' -> 'if (flag & PCI_MSIX_ENTRY_CTRL_MASKBIT)') / "
                      "__pci_restore_msix_state (msix_mask_irq(entry, entry->masked))",
                      "..5.4 (msix_restore_mask_bit_only: false; 5.4.6, 4.19.91, 4.14.160, 4.9.207, 4.4.207, 3.16.82 took "
                      "the fix)")
reading("kernel.pm.restore-mask-any-bit",
        "Before e045fa29e893 (5.5) __pci_restore_msix_state restored each entry with msix_mask_irq(entry, "
        "entry->masked), the whole cached Vector Control as the flag, and __pci_msix_desc_mask_irq set the Mask bit "
        "whenever the flag was non-zero: an entry whose Vector Control reads back other bits (msix_program_entries "
        "cached the read word) came back masked after a resume, and the device's interrupts stayed in its PBA -- the "
        "Kingston NVMe timeouts of bugzilla 204887 ('nvme nvme0: I/O 978 QID 3 timeout, completion polled'). The "
        "quirk msix-ctrl-reserved-bits gives msidbg's device such read-back bits (bit 1: which bits the Kingston "
        "device showed is not in the sources read; any non-Mask bit does it). From 5.5 (and the stable releases "
        "listed in kernel.msix_restore_mask_bit_only) the Mask bit alone decides; from 5.15 the cached word is "
        "written back whole.",
        source=(MASK_ANY_BIT,), module=__name__,
        quote="When we restored these registers during resume, we previously set the Mask bit if *any* bit in "
        "desc->masked was set instead of when the Mask bit itself was set ... the values of Kingston NVMe SSD's "
        "MSI-X vector control are neither 0, nor 1, but other values")

resume = action("pm_resume", "pci_pm_resume",
                "the device's D3hot -> D0 reset, then pci_restore_state: Command, MSI, MSI-X", (RESUME, *RESTORE_MSIX))


@resume.step
def power_up(k: Any, loc: dict[str, Any]) -> None:
    """pci_power_up: the PMCSR write to D0 resets the function (No_Soft_Reset clear); the kernel saved its
    Command at the suspend (pci_save_state), msidbg the value it holds now."""
    d = k.w.devices[loc["dev"]]
    loc["saved_cmd"] = int(d["cmd"])
    k.ev(DEV_RESET, loc["dev"], loc["saved_cmd"], cost="cfg_write")
    device.power_on_reset(k.eng, loc["dev"])


@resume.step
def restore_config(k: Any, loc: dict[str, Any]) -> None:
    """pci_restore_config_space: a saved dword is written back only when the device reads otherwise."""
    if int(k.w.devices[loc["dev"]]["cmd"]) != loc["saved_cmd"]:
        pci.cfg_write(k, loc["dev"], 0x04, loc["saved_cmd"], 2)


@resume.step
def restore_msi(k: Any, loc: dict[str, Any]) -> None:
    """pci_restore_msi_state: MSI first, then MSI-X (each returns at once when not enabled)."""
    p = pci.pdev(k, loc["dev"])
    if p["msi_enabled"]:
        k.call_then("restore_msix", "pci_restore_msi", dev=loc["dev"])
    else:
        k.goto("restore_msix")


@resume.step
def restore_msix(k: Any, loc: dict[str, Any]) -> None:
    if pci.pdev(k, loc["dev"])["msix_enabled"]:
        k.call_then("resumed", "pci_restore_msix", dev=loc["dev"])
    else:
        k.goto("resumed")


@resume.step
def resumed(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


restore_msi_prog = program("pci_restore_msi",
                           "__pci_restore_msi_state: the cached message, mask and Multiple Message Enable",
                           source=RESTORE_MSIX)


@restore_msi_prog.step
def msi_intx(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=0)


@restore_msi_prog.step
def msi_disable(k: Any, loc: dict[str, Any]) -> None:
    """pci_msi_set_enable(dev, 0)."""
    cur = ctrl_read(k, loc["dev"], "msi_ctrl")
    pci.cfg_write(k, loc["dev"], MSI_CTRL, cur & ~MSI_ENABLE, 2)


@restore_msi_prog.step
def msi_message(k: Any, loc: dict[str, Any]) -> None:
    """arch_restore_msi_irqs (x86: true) -> __pci_write_msi_msg(entry, &entry->msg): the first descriptor's."""
    first = _descs(k, loc["dev"])[0]
    desc = k.w.irqs.get(first["irq"]) if first["irq"] else None
    if desc is not None and desc.get("msg") is not None:
        k.call("pci_write_msi_msg", irq=desc.irq, msg=list(desc["msg"]), parts="all")


@restore_msi_prog.step
def msi_mask(k: Any, loc: dict[str, Any]) -> None:
    """The cached Mask Bits (msi_mask_irq before 5.15, pci_msi_update_mask(entry, 0, 0) after)."""
    p = pci.pdev(k, loc["dev"])
    if msi_mask_writes(k, loc["dev"]):
        lay = msi_layout(bool(hwdev(k, loc["dev"])["msi"]["ctrl"] & MSI_64BIT))
        pci.cfg_write(k, loc["dev"], lay["mask"], p.get("msi_mask", 0), 4)


@restore_msi_prog.step
def msi_enable(k: Any, loc: dict[str, Any]) -> None:
    """control &= ~PCI_MSI_FLAGS_QSIZE; control |= (multiple << 4) | PCI_MSI_FLAGS_ENABLE."""
    cur = ctrl_read(k, loc["dev"], "msi_ctrl")
    mme = msi_multiple(len(_descs(k, loc["dev"])) or 1) << 4
    pci.cfg_write(k, loc["dev"], MSI_CTRL, (cur & ~(0x7 << 4)) | mme | MSI_ENABLE, 2)
    k.ret(0)


restore_msix_prog = program("pci_restore_msix",
                            "__pci_restore_msix_state: the cached messages and Vector Controls under Function Mask",
                            source=RESTORE_MSIX)


def _descs(k: Any, dev: str) -> list[dict[str, Any]]:
    return list(pci.pdev(k, dev)["descs"])


@restore_msix_prog.step
def msix_intx(k: Any, loc: dict[str, Any]) -> None:
    """'/* route the table */ pci_intx_for_msi(dev, 0);'."""
    loc["i"], loc["phase"] = 0, "msg"
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=0)


@restore_msix_prog.step
def msix_maskall(k: Any, loc: dict[str, Any]) -> None:
    """pci_msix_clear_and_set_ctrl(dev, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)."""
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur | MSIX_ENABLE | MSIX_MASKALL, 2)


@restore_msix_prog.step
def msix_entries(k: Any, loc: dict[str, Any]) -> None:
    """One write of the loop a step: 5.17+ each entry's message, then its Vector Control; before, every
    message (default_restore_msi_irqs), then every Vector Control."""
    descs = _descs(k, loc["dev"])
    per_entry = bool(sw(k, "msix_restore_per_entry"))
    i = loc["i"]
    if i >= len(descs):
        if per_entry or loc["phase"] == "ctrl":
            return
        loc["i"], loc["phase"] = 0, "ctrl"
        k.again()
        return
    d = descs[i]
    if loc["phase"] == "msg":
        desc = k.w.irqs.get(d["irq"]) if d["irq"] else None
        loc["phase"] = "ctrl" if per_entry else "msg"
        if not per_entry:
            loc["i"] = i + 1
        if desc is not None and desc.get("msg") is not None:
            k.call_then("msix_entries", "pci_write_msi_msg", irq=desc.irq, msg=list(desc["msg"]), parts="all")
        else:
            k.again()
        return
    # pci_msix_write_vector_ctrl (can_mask: not under pci_msi_ignore_mask) / msix_mask_irq before 5.15
    if not pci.ignore_mask(k):
        pci.msix_write(k, loc["dev"], d["index"], "ctrl", restored_ctrl(k, d["msix_ctrl"]))
    loc["i"] = i + 1
    if per_entry:
        loc["phase"] = "msg"
    k.again()


def restored_ctrl(k: Any, cached: int) -> int:
    """The Vector Control __pci_restore_msix_state writes back: the cached value (pci_msix_write_vector_ctrl,
    or msix_mask_irq testing the Mask bit alone from e045fa29e893); before that fix msix_mask_irq(entry,
    entry->masked) set the Mask bit when *any* bit of the cached word was set (``kernel.msix_restore_mask_bit_only``,
    reading ``kernel.pm.restore-mask-any-bit``)."""
    if sw(k, "msix_restore_mask_bit_only"):
        return cached
    return (cached & ~ENTRY_MASKBIT) | (ENTRY_MASKBIT if cached else 0)


@restore_msix_prog.step
def msix_unmaskall(k: Any, loc: dict[str, Any]) -> None:
    """pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL, 0)."""
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~MSIX_MASKALL, 2)
    k.ret(0)
