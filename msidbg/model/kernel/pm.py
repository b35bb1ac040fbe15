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

The saved Command is the one ``pm_suspend`` read (pci_pm_suspend_noirq's pci_save_state, then
pci_prepare_to_sleep: D3hot, or D3cold where the platform removes power); without a ``pm_suspend`` before it,
``pm_resume`` stands for the whole cycle and saves the value the device holds when it begins (kernel28).
Between the two the kernel's current_state is not D0, so __pci_write_msi_msg only caches a message (an
affinity change while suspended reaches the device at the restore), and the function claims no memory request
and sends no interrupt. D3hot -> D0 resets the function unless it has No_Soft_Reset (quirk
``pm-no-soft-reset``); D3cold -> D0 always does. ``pm_freeze`` / ``pm_thaw`` are the hibernation's
(pci_pm_freeze_noirq / pci_pm_thaw_noirq, ``kernel.pm_thaw_restores``; bare metal). On xen-hvm QEMU xen-pt
emulates PMCSR (the function stays in D0); on xen-pv pciback's pm_ctrl_write moves the function through dom0
and the guest's restore goes through pcifront (docs/scenario.md).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
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
from msidbg.model.kernel.msi import (
    ctrl_read,
    hwdev,
    lock_descs,
    lock_in_setup,
    msi_mask_writes,
    msi_multiple,
    unlock_descs,
)
from msidbg.model.kernel.sw import sw
from msidbg.sim.events import HEX, STR, kind
from msidbg.sim.program import program

_EFAULT = 14

#: the function's reset on its D3hot -> D0 transition (``cmd``: the Command it held, which the kernel saved);
#: registered by ``register`` once every other kind is (model/__init__.py), so that no older kind's code moves
DEV_RESET = -1
#: the function's power state changes (``state``: D3hot, D3cold, D0); registered with DEV_RESET
DEV_POWER = -1


def register() -> None:
    global DEV_RESET, DEV_POWER
    DEV_RESET = kind("dev.reset", ("cmd", HEX),
                     doc="the function's internal reset (D3hot -> D0 without No_Soft_Reset): config state at reset "
                     "values")
    DEV_POWER = kind("dev.power", ("state", STR),
                     doc="the function's power state: D3hot (PMCSR written), D3cold (the platform removed its "
                     "power), D0 (pci_power_up; a reset follows as dev.reset unless the function kept its state)")

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

RESTORE_LOCK = (Source(L, "5512c5eaf533", "drivers/pci/msi/msi.c", "__pci_restore_msix_state (msi_lock_descs around "
                       "the descriptor loop) / __pci_restore_msi_state (no lock)",
                       "5.17.. (kernel.msi_descs_lock: mutex; read in tglx's '[patch V2 07/31] PCI/MSI: Protect MSI "
                       "operations' as quoted in Bjorn Helgaas's ack of 2021-12-07, lkml)"),
                Source(L, "017239c8db20", "drivers/pci/msi/msi.c", "__pci_restore_msix_state",
                       "6.x (the stored torvalds/linux tree, kernel31's; a later lock-guard rework turns the same "
                       "pair into scoped_guard(msi_descs_lock, &dev->dev))"))
reading("kernel.pm.restore-msix-lock",
        "(kernel35) From 5512c5eaf533 (5.17) __pci_restore_msix_state takes msi_lock_descs around its descriptor loop "
        "(each entry's cached message when arch_restore_msi_irqs says so, then pci_msix_write_vector_ctrl of the "
        "cached Vector Control), after pci_intx_for_msi(dev, 0), Enable | Function Mask and arch_restore_msi_irqs, and "
        "unlocks before clearing Function Mask; __pci_restore_msi_state takes no lock (it restores the descriptor of "
        "dev->irq). So a restore that meets another CPU's MSI-X set-up (msix_setup_interrupts holds the mutex) or "
        "pci_disable_msix (pci_free_irq_vectors) sleeps until that unlocks and then restores the descriptors as they "
        "are -- none after a disable; the lock's users also wait for the restore's loop. Before 5.17 nothing "
        "serialises them. msidbg's restore took no lock in any release before kernel35.",
        source=RESTORE_LOCK, module=__name__,
        quote="write_msg = arch_restore_msi_irqs(dev); msi_lock_descs(&dev->dev); for_each_pci_msi_entry(entry, dev) "
        "{ if (write_msg) __pci_write_msi_msg(entry, &entry->msg); pci_msix_write_vector_ctrl(entry, "
        "entry->pci.msix_ctrl); } msi_unlock_descs(&dev->dev); pci_msix_clear_and_set_ctrl(dev, "
        "PCI_MSIX_FLAGS_MASKALL, 0);")

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
PM_SPEC = Source("PCI Express Base Specification", "rev 2.0 and later",
                 "Power Management Control/Status Register (PMCSR)",
                 "No_Soft_Reset (bit 3; the field text as public PCIe register decoders quote it)",
                 "the function's side of every D3hot -> D0 transition; from D3cold main power was removed")
reading("kernel.pm.reset-with-transition",
        "The internal reset of a function whose No_Soft_Reset is clear is part of its D3hot -> D0 transition (the "
        "PMCSR PowerState write), and a function returning from D3cold comes back from a power-off: in neither case "
        "is there a moment in D0 with the pre-suspend configuration (MSI / MSI-X Enable, unmasked entries, "
        "messages). msidbg's pm_resume after a pm_suspend makes the PMCSR write (event dev.power D0) and the reset "
        "(dev.reset) two steps 1 us apart; the function enters D0 at the second. Before redteam31 it entered D0 at "
        "the first and a signal between them went out as MSI-X with the old message (tests/heldout31 q09: a D3cold "
        "function, 500 ns into pm_resume, delivered).",
        source=(PM_SPEC, POWER_UP), module=__name__,
        quote="No_Soft_Reset (RO) 0: Devices do perform an internal reset upon transitioning from D3hot to D0 via "
        "software control of the PowerState bits. / if ((pmcsr & PCI_PM_CTRL_STATE_MASK) == PCI_D3hot && !(pmcsr & "
        "PCI_PM_CTRL_NO_SOFT_RESET)) need_restore = true;")
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

SUSPEND = Source(L, "v5.17", "drivers/pci/pci-driver.c + drivers/pci/pci.c",
                 "pci_pm_suspend_noirq (pci_save_state, pci_prepare_to_sleep, pci_pm_set_unknown_state) / "
                 "pci_save_state / pci_pm_default_resume_early (pci_power_up, pci_update_current_state(D0), "
                 "pci_restore_state)",
                 "all (read in 4.13.9, 4.18, 5.17 and 6.1.0 trees: pci_save_state reads the 16 header dwords and sets "
                 "state_saved; pci_restore_state writes the header back before pci_restore_msi_state)")
CACHE_ONLY = Source(L, "v4.13.9", "drivers/pci/msi.c",
                    "__pci_write_msi_msg ('if (dev->current_state != PCI_D0 || pci_dev_is_disconnected(dev))')",
                    "all (read in 4.13.9, 5.17, 6.1.0 and a current upstream drivers/pci/msi/msi.c)")
reading("kernel.pm.save-at-suspend",
        "pci_pm_suspend_noirq saves the function's header with pci_save_state (unless the driver's callbacks "
        "already did: state_saved) and only then puts it in a low-power state (pci_prepare_to_sleep), so the "
        "Command pci_restore_config_space writes back at the resume is the one the function held at the suspend. "
        "pci_restore_state restores the header (Command after the BARs) before pci_restore_msi_state in every "
        "release read (4.13.9, 4.18, 5.17, 6.1.0, current): a Command saved with Memory Space Enable clear is written "
        "back clear, and __pci_restore_msix_state's table writes are then not claimed by the function -- its "
        "entries stay at their reset values (masked, message 0). No release read enables decoding around the MSI-X "
        "restore: 'PCI/MSI: Enable memory decoding before restoring MSI-X messages' is a patch under LKML review "
        "(2026, carried by NVIDIA's kernels), not in torvalds/linux.",
        source=(SUSPEND,), module=__name__,
        quote="} else if (!pci_dev->state_saved) { pci_save_state(pci_dev); if (pci_power_manageable(pci_dev)) "
        "pci_prepare_to_sleep(pci_dev); } ... pci_restore_config_space(dev); pci_restore_pcix_state(dev); "
        "pci_restore_msi_state(dev);")
reading("kernel.pm.msg-cached-out-of-d0",
        "While the function is out of D0 (the kernel's current_state: D3hot / D3cold after pci_prepare_to_sleep, "
        "PCI_UNKNOWN after pci_pm_set_unknown_state) __pci_write_msi_msg touches no register: it stores the "
        "message in the descriptor only ('Don't touch the hardware now'). An irq moved meanwhile -- the system "
        "suspend takes the non-boot CPUs offline after the devices' noirq phase -- reaches the device when "
        "pci_restore_msi_state writes the cached messages (e60514bd4485 relies on it across hibernation). "
        "pci_msix_write_vector_ctrl has no such test: a mask or unmask meanwhile is a memory request the function "
        "does not claim.",
        source=(CACHE_ONLY,), module=__name__,
        quote="if (dev->current_state != PCI_D0 || pci_dev_is_disconnected(dev)) { /* Don't touch the hardware now */ }")
reading("kernel.pm.no-soft-reset",
        "A function whose PMCSR No_Soft_Reset bit is set keeps its configuration context across D3hot -> D0 "
        "(pci_raw_set_power_state's need_restore stays false); pci_pm_default_resume_early still calls "
        "pci_restore_state, which writes only the header dwords that read otherwise and rewrites MSI / MSI-X from "
        "the descriptors. From D3cold the function was powered off: it comes back reset whatever the bit says.",
        source=(POWER_UP, SUSPEND), module=__name__,
        quote="if ((pmcsr & PCI_PM_CTRL_STATE_MASK) == PCI_D3hot && !(pmcsr & PCI_PM_CTRL_NO_SOFT_RESET)) "
        "need_restore = true;")

QEMU_PM = Source("xen-project/qemu-xen", "qemu-xen-4.7.0-rc4", "hw/xen/xen_pt_config_init.c",
                 "xen_pt_emu_reg_pm (PCI_PM_CTRL: init_val 0x0008, ro_mask 0x610C, emu_mask 0x810B)",
                 "every qemu-xen with xen-pt (4.3 on): at qemu-xen-4.3.0 / 4.4.0 xen_pt_pmcsr_reg_read / _write OR "
                 "PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_NO_SOFT_RESET into the table's emu_mask 0x8100; 'xen/pt: "
                 "consolidate PM capability emu_mask' (XSA-131 preparation; qemu's d61bb2482d, in qemu-xen only from "
                 "4.7.0-rc1) came first as 369baec3d1 (qemu-xen-4.6.0-rc1) and stable copies 2b2be89d17 (4.4.3) and "
                 "c77c4991ed (4.5.1) -- ro_mask 0xE10C there, 0x610C at 4.7.0-rc4 (audit25: git tag --contains) -- and "
                 "puts 0x810B in the table, the same emulation; a current qemu copy names it emu_mask_init. "
                 "qemu-traditional's ->power_mgmt off table has the same masks")
reading("kernel.pm.hvm-pmcsr-emulated",
        "On a Xen HVM guest the passthrough function's PMCSR is QEMU xen-pt's: PowerState (bits 1:0) and "
        "No_Soft_Reset (bit 3) are emulated (emu_mask 0x810B), No_Soft_Reset reads 1 (init_val 0x0008), and a "
        "written PowerState is kept in QEMU's register and read back. The guest's pci_set_power_state(D3hot) "
        "therefore succeeds (current_state D3hot: __pci_write_msi_msg caches) while the physical function stays "
        "in D0 -- it keeps its state and its MSI-X signals still go out -- and pci_power_up's D0 resets nothing. "
        "The guest's pci_restore_state still runs: its Command, MSI-X control and table writes take the paths "
        "every other guest access takes (QEMU's emulated registers, Xen's msixtbl). qemu-traditional's "
        "power_mgmt option (which passes the transition to the device) is not modelled.",
        source=(QEMU_PM,), module=__name__,
        quote=".offset = PCI_PM_CTRL, .size = 2, .init_val = 0x0008, .res_mask = 0x00F0, .ro_mask = 0x610C, "
        ".rw1c_mask = 0x8000, .emu_mask = 0x810B,")

PCIBACK_PM = Source(L, "v5.17", "drivers/xen/xen-pciback/conf_space_capability.c + conf_space_header.c + "
                   "arch/x86/pci/xen.c", "pm_ctrl_write (pci_set_power_state(dev, new_state)) / command_write / "
                   "xen_initdom_restore_msi ('if (!xen_initial_domain()) return true;')",
                   "read in 4.12.0, 5.17 and 6.1.0 trees (pm_ctrl_write, command_write); xen_initdom_restore_msi in 5.17 and 6.1.0, "
                   "x86_msi.restore_msi_irqs set for the initial domain only before it")
reading("kernel.pm.pv-pciback-resume",
        "A Xen PV domU's PMCSR writes reach dom0: pciback's pm_ctrl_write has dom0 call pci_set_power_state, so the "
        "function really goes to D3hot and back, and D3hot -> D0 without No_Soft_Reset resets it. Dom0 restores "
        "its BARs, not its Command, MSI or MSI-X. The guest's pci_restore_state then goes through pcifront: "
        "pciback's command_write acts on dom0's pci_is_enabled / is_busmaster, which the reset did not clear, so "
        "the guest's saved Memory Space and Bus Master bits cause no dom0 call and the device's Command stays 0; "
        "MSI / MSI-X Message Control writes are dropped (read-only to the guest); and __pci_restore_msix_state's "
        "first message store (arch_restore_msi_irqs is true in a domU) faults on the read-only table -- the task "
        "oopses (reading xen.pv.msix-table-fault). The function is left with MSI and MSI-X disabled.",
        source=(PCIBACK_PM,), module=__name__,
        quote="new_state = (pci_power_t)(new_value & PCI_PM_CTRL_STATE_MASK); ... err = pci_set_power_state(dev, "
        "new_state); / if (!pci_is_enabled(dev) && is_enable_cmd(value)) { ... pci_enable_device(dev);")

suspend = action("pm_suspend", "pci_pm_suspend",
                 "pci_pm_suspend_noirq: pci_save_state, then the device into D3hot (or D3cold)", (SUSPEND,))


@suspend.step
def save_state(k: Any, loc: dict[str, Any]) -> None:
    """pci_save_state, unless the state is saved already (a second suspend without a resume): the Command the
    function holds now is what pci_restore_config_space will write back."""
    p = pci.pdev(k, loc["dev"])
    if p.get("pm") is None:
        p["pm"] = {"saved_cmd": pci.cmd_read(k, loc["dev"]), "state": "D0"}
        k.note("pci_save_state: the header saved (Command in the value)", p["pm"]["saved_cmd"], loc["dev"])
        _saved(k, loc["dev"], p["pm"]["saved_cmd"], "pci_save_state saved the Command register")


def _saved(k: Any, dev: str, value: int, note: str) -> None:
    """Provenance (why31): the saved Command (``kernel.pci.D.pm.saved_cmd``), linked to what the kernel's read of it
    returned: the function's Command register where the kernel reads the device itself; on xen-hvm QEMU's answer to
    the trapped read (``cpus[c].readback[4]``, ``qemu.cfg_answer``: its emulated bits, linking QEMU's Command), on
    xen-pv the device's register that pciback's command_read answers Bus Master from (``PvAccessors.cfg_read``;
    why32: both had no link; xen35: its decode and Interrupt Disable bits are the guest's last write, cmd->val,
    which has no node of its own)."""
    P = k.eng.prov
    if P.on and k.eng.fresh:
        d = P.dev(dev)
        if pci.direct(k, dev) or k.w.platform["kind"] == "xen-pv":
            P.dep(PC.D_SAVE_READ, PK.key(PK.CMD, d))
        elif k.w.platform["kind"] == "xen-hvm":
            from msidbg.model.qemu import READ_CMD
            rb = PK.key(PK.READBACK, k.cpu_id << 4 | READ_CMD)
            if P.writer(rb) >= 0:
                P.dep(PC.D_SAVE_READ, rb)
        P.write(PC.KERNEL, PK.key(PK.SAVEDCMD, d), value, note=note)


def _pm_after_save(k: Any, dev: str) -> dict[str, Any]:
    """The kernel's PM state after this action's pci_save_state. A ``pm_resume`` of the same function running at
    the same time -- which the PM core never does (its phases run one device callback at a time) -- may have
    restored and cleared state_saved in between (pci_restore_state: 'dev->state_saved = false'): nothing is
    saved then (``saved_cmd`` None), and a later pci_restore_state returns at once ('if (!dev->state_saved)
    return;'). redteam31's combination fuzzer reached it (msidbg raised KeyError)."""
    p = pci.pdev(k, dev)
    pm = p.get("pm")
    if pm is None:      # (the caller's event is this step's one; the resume / thaw says it restored nothing)
        pm = p["pm"] = {"saved_cmd": None, "state": "D0"}
    return pm


@suspend.step
def prepare_to_sleep(k: Any, loc: dict[str, Any]) -> None:
    """pci_prepare_to_sleep -> pci_set_power_state: D3hot (the PMCSR write), or D3cold where the platform can
    remove the function's power (``state: d3cold``); current_state is no longer D0."""
    pm = _pm_after_save(k, loc["dev"])
    state = "D3cold" if loc.get("state") == "d3cold" else "D3hot"
    if pm["state"] != state and pm["state"] != "D3cold":
        pm["state"] = state
        if pci.direct(k, loc["dev"]) or k.w.platform["kind"] == "xen-pv":
            # (xen-pv: pcifront's PMCSR write; pciback's pm_ctrl_write has dom0 call pci_set_power_state)
            k.ev(DEV_POWER, loc["dev"], k.s(state), cost="cfg_write")
            device.power_state(k.eng, loc["dev"], state)
        else:
            # xen-hvm passthrough: QEMU xen-pt keeps PMCSR's PowerState in its emulated register (emu_mask
            # 0x810B) and reads it back: the guest's current_state follows, the function stays in D0
            k.note(f"pci_set_power_state({state}): QEMU xen-pt emulates PMCSR PowerState, the function stays in "
                   "D0", 0, loc["dev"])
    k.ret(0)


resume = action("pm_resume", "pci_pm_resume",
                "the device's D3hot -> D0 reset, then pci_restore_state: Command, MSI, MSI-X", (RESUME, *RESTORE_MSIX))


@resume.step
def power_up(k: Any, loc: dict[str, Any]) -> None:
    """pci_power_up, then pci_update_current_state(D0): the function leaves D3hot / D3cold. The Command to
    restore is the one ``pm_suspend`` saved; without one the action stands for the whole cycle and saves the
    value the function holds now (kernel28)."""
    p = pci.pdev(k, loc["dev"])
    pm = p.get("pm")
    # (the Command read first: on xen-hvm an ioreq QEMU serves runs this step again)
    saved = pci.cmd_read(k, loc["dev"]) if pm is None else pm["saved_cmd"]
    p.pop("pm", None)
    if pm is None:
        _saved(k, loc["dev"], saved, "pm_resume without pm_suspend: the Command read now stands for the saved one")
    loc["saved_cmd"], loc["from"] = saved, "D3hot" if pm is None else pm["state"]
    if saved is None:
        loc["nosave"] = True        # (state_saved cleared by a concurrent resume: _pm_after_save)
    pv = k.w.platform["kind"] == "xen-pv"
    if not pci.direct(k, loc["dev"]) and not pv:
        # xen-hvm passthrough: the D0 write lands in QEMU's emulated PMCSR, whose No_Soft_Reset reads 1
        # (init_val 0x0008); the function never left D0 and is not reset (reading kernel.pm.hvm-pmcsr-emulated)
        loc["from"] = "D0"
        k.note("pci_power_up: QEMU xen-pt's emulated PMCSR (No_Soft_Reset reads 1); the function stayed in D0",
               0, loc["dev"])
    elif pm is not None and pm["state"] in ("D3hot", "D3cold"):
        # (xen-pv: through pciback's pm_ctrl_write, dom0's pci_set_power_state(D0))
        k.ev(DEV_POWER, loc["dev"], k.s("D0"), cost="cfg_write")
        if not _resets(k, loc):
            device.power_state(k.eng, loc["dev"], None)
        # else the function reaches D0 only with its reset (power_on): the transition that resets it -- the PMCSR
        # write from D3hot without No_Soft_Reset, the platform's power-on from D3cold -- leaves it no moment in D0
        # with its old context, so it sends nothing until then (reading kernel.pm.reset-with-transition, redteam31)


def _resets(k: Any, loc: dict[str, Any]) -> bool:
    """Does the return to D0 reset the function? From D3cold always; from D3hot unless No_Soft_Reset."""
    frm = loc["from"]
    return frm == "D3cold" or (frm == "D3hot" and device.PM_NO_SOFT_RESET not in k.w.devices[loc["dev"]]["quirks"])


@resume.step
def power_on(k: Any, loc: dict[str, Any]) -> None:
    """The D3hot -> D0 transition resets the function unless No_Soft_Reset is set (``pm-no-soft-reset``);
    from D3cold it was powered off and always comes back reset (readings kernel.pm.d3hot-reset,
    kernel.pm.no-soft-reset). A suspend that left the function in D0 resets nothing."""
    if _resets(k, loc):
        k.ev(DEV_RESET, loc["dev"], loc["saved_cmd"] or 0, cost="cfg_write")
        device.power_state(k.eng, loc["dev"], None)    # (after pm_suspend: D0 only now, with the reset)
        device.power_on_reset(k.eng, loc["dev"])
        if k.w.platform["kind"] == "xen-pv":
            # dom0's struct pci_dev keeps what the guest's enable / set_master made pciback do (its pci_set_power_state
            # restores the BARs, not the Command): from now pciback's command_write is decided by that state
            # (qemu._dom0_command, reading kernel.pm.pv-pciback-resume)
            p = pci.pdev(k, loc["dev"])
            k.w.devices[loc["dev"]]["pciback"] = {"enabled": p["enable_cnt"] > 0, "master": bool(p["is_busmaster"])}


@resume.step
def restore_config(k: Any, loc: dict[str, Any]) -> None:
    """pci_restore_config_space: a saved dword is written back only when the device reads otherwise."""
    if loc.get("nosave"):
        k.note("pci_restore_state: state_saved is clear, it returns at once (no Command, MSI or MSI-X restored)",
               0, loc["dev"])
        k.goto("resumed")
        return
    _restore_command(k, loc)


def _restore_command(k: Any, loc: dict[str, Any]) -> None:
    if pci.cmd_read(k, loc["dev"]) != loc["saved_cmd"]:
        if pci.direct(k, loc["dev"]):
            # provenance (why31): the write's Command node links the saved one (on Xen the write goes to QEMU's or
            # pciback's handler, whose first node is not the Command's: no link)
            P = k.eng.prov
            P.dep(PC.D_SAVED_CMD, PK.key(PK.SAVEDCMD, P.dev(loc["dev"])))
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
    k.ret(int(loc.pop("ret", 0) or 0))


THAW = Source(L, "v4.13", "drivers/pci/pci-driver.c",
              "pci_pm_freeze_noirq (pci_save_state, pci_pm_set_unknown_state) / pci_pm_thaw_noirq",
              "4.12.0 (no pci_restore_state in the thaw) and 4.13.9 .. 5.17 (pci_restore_state) trees read")
reading("kernel.pm.freeze-thaw",
        "The hibernation's freeze leaves the function in D0: pci_pm_freeze_noirq saves its state (unless saved) and "
        "marks current_state PCI_UNKNOWN, so __pci_write_msi_msg only caches what an irq moved meanwhile (the "
        "non-boot CPUs go offline to make the image) would write. pci_pm_thaw_noirq returned the function to "
        "current_state D0 without restoring it until e60514bd4485 (kernel.pm_thaw_restores): the function kept "
        "the message of the CPU the irq left, and its next interrupt hit that CPU's vector, which no irq holds any "
        "more ('do_IRQ: 31.151 No irq handler for vector'). From it pci_restore_state writes the cached messages.",
        source=(THAW, CACHE_ONLY), module=__name__,
        quote="(4.12.0) pci_update_current_state(pci_dev, PCI_D0); if (drv && drv->pm && drv->pm->thaw_noirq) / "
        "(4.13.9) pci_update_current_state(pci_dev, PCI_D0); pci_restore_state(pci_dev);")

freeze = action("pm_freeze", "pci_pm_freeze",
                "pci_pm_freeze_noirq: pci_save_state, current_state PCI_UNKNOWN (the function stays in D0)", (THAW,))


@freeze.step
def freeze_save(k: Any, loc: dict[str, Any]) -> None:
    """'if (!pci_dev->state_saved) pci_save_state(pci_dev);'"""
    save_state(k, loc)


@freeze.step
def freeze_unknown(k: Any, loc: dict[str, Any]) -> None:
    """pci_pm_set_unknown_state: current_state PCI_UNKNOWN -- out of D0 for __pci_write_msi_msg; the function
    itself is not touched."""
    pm = _pm_after_save(k, loc["dev"])
    if pm["state"] == "D0":
        pm["state"] = "PCI_UNKNOWN"
        k.note("pci_pm_set_unknown_state: current_state PCI_UNKNOWN (the function stays in D0)", 0, loc["dev"])
    k.ret(0)


thaw = action("pm_thaw", "pci_pm_thaw",
              "pci_pm_thaw_noirq: current_state D0, then (from e60514bd4485) pci_restore_state", (THAW,))


@thaw.step
def thaw_d0(k: Any, loc: dict[str, Any]) -> None:
    """pci_update_current_state(D0) (pci_set_power_state(D0) from 4.15: the function is in D0 either way); before
    e60514bd4485 nothing else (state_saved stays set), from it pci_restore_state. A thaw without a freeze finds
    no saved state (pci_restore_state returns at once); one after pm_suspend (D3hot / D3cold) is not modelled:
    -EINVAL."""
    p = pci.pdev(k, loc["dev"])
    pm = p.get("pm")
    if pm is None or pm["state"] in ("D3hot", "D3cold"):
        if pm is not None:
            k.note(f"pci_pm_thaw_noirq: {loc['dev']} is in {pm['state']} (pm_suspend): a thaw after a suspend is not "
                   "modelled", -22, loc["dev"])
        k.ret(-22 if pm is not None else 0)
        return
    pm["state"] = "D0"
    if pm["saved_cmd"] is None:
        p.pop("pm")
        k.note("pci_pm_thaw_noirq: state_saved is clear (a concurrent pm_resume restored it): nothing to restore",
               0, loc["dev"])
        k.ret(0)
        return
    if not sw(k, "pm_thaw_restores"):
        k.note("pci_pm_thaw_noirq: pci_update_current_state(D0), no pci_restore_state (before e60514bd4485): "
               "the function keeps its messages", 0, loc["dev"])
        _unwritten(k, loc["dev"])
        k.ret(0)
        return
    p.pop("pm")
    loc["saved_cmd"] = pm["saved_cmd"]


def _unwritten(k: Any, dev: str) -> None:
    """Provenance (why32): each message __pci_write_msi_msg cached while frozen that the function does not hold (the
    cache newer than the entry's last message write) stays unwritten: a node of this thaw, linking the cache, which a
    loss of the device's older message links (``acct.lost``)."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    d = P.dev(dev)
    msix = pci.pdev(k, dev)["mode"] == "msix"
    for desc in pci.pdev(k, dev)["descs"]:
        i = desc["index"] if msix else 0
        ck = PK.key(PK.KCMSG, PK.dev_entry(d, i))
        c = P.writer(ck)
        m = P.writer(PK.key(PK.MSG, PK.dev_entry(d, i)) if msix else PK.key(PK.MSIMSG, d))
        if c >= 0 and (m < 0 or P.event(c) > P.event(m)):
            P.dep(PC.D_VALUE, ck)
            P.write(PC.KERNEL, ck, P.x(c), note=f"pci_pm_thaw_noirq: no pci_restore_state (before e60514bd4485): "
                    f"{dev} vector {i}'s cached message is not written; the function keeps its older one")
        if not msix:
            break


@thaw.step
def thaw_config(k: Any, loc: dict[str, Any]) -> None:
    _restore_command(k, loc)


@thaw.step
def thaw_msi(k: Any, loc: dict[str, Any]) -> None:
    if pci.pdev(k, loc["dev"])["msi_enabled"]:
        k.call_then("thaw_msix", "pci_restore_msi", dev=loc["dev"])
    else:
        k.goto("thaw_msix")


@thaw.step
def thaw_msix(k: Any, loc: dict[str, Any]) -> None:
    if pci.pdev(k, loc["dev"])["msix_enabled"]:
        k.call_then("thawed", "pci_restore_msix", dev=loc["dev"])
    else:
        k.goto("thawed")


@thaw.step
def thawed(k: Any, loc: dict[str, Any]) -> None:
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
    """arch_restore_msi_irqs (x86: true) -> __pci_write_msi_msg(entry, &entry->msg): the first descriptor's.
    msi_enabled with no descriptor on the list: a second enable before 4c1ef72e9b71 failed, and its
    free_msi_irqs freed every descriptor on dev->msi_list, the first enable's too, leaving dev->msi_enabled
    and dev->irq (whose irq_get_msi_desc is the freed descriptor); the restore's entry is a dangling
    pointer -- a use-after-free msidbg does not follow: it writes no message (hypothetical reading
    ``kernel.pm.restore-msi-freed-desc``; redteam32, tests/combo31 seed 320242 crashed here)."""
    descs = _descs(k, loc["dev"])
    if not descs:
        k.note("__pci_restore_msi_state: dev->msi_enabled with no descriptor on dev->msi_list (a failed second "
               "enable's free_msi_irqs freed them): irq_get_msi_desc(dev->irq) is the freed descriptor, a "
               "use-after-free; msidbg writes no message", 0, loc["dev"])
        return
    first = descs[0]
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
                            source=RESTORE_MSIX + RESTORE_LOCK)


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
    message (default_restore_msi_irqs), then every Vector Control. From 5512c5eaf533 (5.17, ``kernel.msi_descs_lock:
    mutex``) the loop runs under msi_lock_descs, taken after Enable | Function Mask and arch_restore_msi_irqs: a
    restore that meets another CPU's enable or disable of the device holding it sleeps until the unlock, then walks
    the descriptors as that left them (reading ``kernel.pm.restore-msix-lock``); before, no lock. The MSI restore
    (pci_restore_msi) takes none in any release."""
    if "locked" not in loc and lock_in_setup(k):
        if not lock_descs(k, loc["dev"]):
            return      # sleeps on the mutex: this step runs again
        loc["locked"] = 1
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
    if loc["phase"] == "msg" and k.w.platform["kind"] == "xen-pv":
        # a domU's arch_restore_msi_irqs answers true (xen_initdom_restore_msi: 'if (!xen_initial_domain()) return
        # true;'; the default restore before 5.17): __pci_write_msi_msg stores into the table, read-only to it
        k.note("BUG: unable to handle page fault (#PF: supervisor write access in kernel mode, permissions "
               "violation) in __pci_restore_msix_state: __pci_write_msi_msg stores into the MSI-X table, which a "
               "Xen PV domU maps read-only; the task oopses (msidbg ends pci_restore_state here)", -_EFAULT, loc["dev"])
        k.ret(-_EFAULT)
        return
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
        P = k.eng.prov
        if d["msix_ctrl"] & ~ENTRY_MASKBIT and P.on and k.eng.fresh:
            # provenance (why31): bits beside the Mask bit in the cached word (a reserved bit the read returned, the
            # msix-ctrl-reserved-bits quirk) decide what is written (e045fa29e893): the write that put them there
            ck = PK.key(PK.KCTRL, PK.dev_entry(P.dev(loc["dev"]), d["index"]))
            w = P.bit_writer(ck, ~ENTRY_MASKBIT & 0xFFFFFFFF)
            if w >= 0:
                P.dep_writer(PC.D_CACHED_CTRL, ck, w)
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
    """msi_unlock_descs (5.17+), then pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL, 0)."""
    if loc.pop("locked", None):
        unlock_descs(k, loc["dev"])
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~MSIX_MASKALL, 2)
    k.ret(0)
