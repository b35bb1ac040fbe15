"""Citations of the hardware and platform modules (device, apic, bus, iommu, acct).

Kept beside the modules rather than inside them so the hot modules stay short; imported by
``msidbg.model`` with the rest of the model. Kernel / Xen / QEMU programs cite themselves
(``program(..., source=...)``).
"""

from __future__ import annotations

from msidbg.model.cite import Source, module, reading

# --- sources ---------------------------------------------------------------------------------------
PCI30 = Source("PCI Local Bus Specification", "rev 3.0", "6.8 Message Signaled Interrupts",
               "MSI / MSI-X capability, Message Control, MSI-X Table, Pending Bit Array", "all")
PCI30_MASKING = Source("PCI Local Bus Specification", "rev 3.0", "6.8.3.4",
                       "Per-vector Masking and Function Masking", "all")
LINUX_MSIX_WRITE = Source("torvalds/linux", "v6.6", "drivers/pci/msi/msi.c", "pci_write_msg_msix", "5.14..")
#: audit22: ae1be0bbc1 is of 2009-11-25 (VERSION 0.11.50, the QEMU 0.12 cycle; hw/msix.c then), not 1.1: every
#: qemu-xen tree carries it (git tag --contains: qemu-xen-4.2.0 on)
QEMU_MSIX_RESET = Source("qemu/qemu", "ae1be0bbc127", "hw/pci/msix.c (hw/msix.c before QEMU 1.3)", "msix_reset",
                         "QEMU 0.12.. (every qemu-xen release: qemu-xen-4.2.0..)")
QEMU_MSIX_MASKED = Source("qemu/qemu", "003f8dbc8e09", "hw/pci/msix.c",
                          "msix_update_function_masked, msix_write_config, msix_notify, msix_handle_mask_update",
                          "the version read")
CLOUD_HV_MASKING = Source("cloud-hypervisor/cloud-hypervisor", "4d98dcb077", "pci/src/msix.rs",
                          "MSI-X masking (quotes PCI 3.0 6.8.3.4)", "all")
INTEL_PCH_MXC = Source("Intel 800 Series PCH datasheet vol. 2", "834576-001", "MSI-X Message Control (MXC)",
                       "Function Mask field", "all")
LINUX_83DBF = Source("torvalds/linux", "83dbf898a2d4", "drivers/pci/msi.c", "msix_capability_init",
                     "5.16.., 5.15.11.., 5.10.88.., 5.4.168.., 4.19.222.., 4.14.259..")
# The SDM renumbers its APIC chapter between editions: the text quoted here is 10.8.x / 10.11.x in the
# 2011-2022 editions (checked in 325384-059US, June 2016), 10.9.x / 10.12.x in 253668-032US (2009), and
# chapter 11 (11.8.x / 11.11.x) from 2023.
SDM_APIC = Source("Intel SDM vol. 3A", "325384-059US (June 2016)", "10.8.3.1, 10.8.4, 10.8.5 (10.9.x in "
                  "253668-032US; 11.8.x from 2023)", "Task and Processor Priorities; Interrupt Acceptance for Fixed "
                  "Interrupts; Signaling Interrupt Servicing Completion", "all")
SDM_MSI = Source("Intel SDM vol. 3A", "325384-059US (June 2016)", "10.11.1, 10.11.2 (10.12.x in 253668-032US; "
                 "11.11.x from 2023)", "Message Address / Message Data Register Format", "all")
#: lowprio25: lowest-priority delivery, read in two editions (the section moved: 10.7.2.6 in 253668-032US, 10.6.2.4
#: in later ones, 11.6.2.4 from 2023); the MSI data register's Delivery Mode 001B is the same rule (10.11.2)
SDM_LOWEST = Source("Intel SDM vol. 3A", "253668-032US (2009) and a later edition", "10.7.2.6 (032US); 10.6.2.4 "
                    "(later; 11.6.2.4 from 2023); 10.11.2", "Lowest Priority Delivery Mode; Message Data Register "
                    "Format (Delivery Mode 001B)", "all")
SDM_ESR = Source("Intel SDM vol. 3A", "325384-059US (June 2016)", "10.5.3 (11.5.3 from 2023)",
                 "Error Handling: ESR bit 6 Receive Illegal Vector; the LVT Error interrupt", "all")
SDM_DEST = Source("Intel SDM vol. 3A", "325384-059US (June 2016)", "10.6.2.1, 10.6.2.2, 10.12.7",
                  "Physical / Logical Destination Mode (flat model); x2APIC: Initialization by System Software", "all")
PCIE_MSI = Source("PCI Express Base Specification", "rev 5.0 and later", "6.1.4.3 - 6.1.4.5",
                  "Enabling Operation; Sending Messages; Per-vector Masking and Function Masking", "all")
XEN_MSI_H = Source("xen-project/xen", "RELEASE-4.16.0", "xen/include/asm-x86/msi.h", "MSI_ADDR_* / MSI_DATA_*",
                   "all")
XEN_VLAPIC = Source("xen-project/xen", "RELEASE-4.16.0", "xen/arch/x86/hvm/vlapic.c", "vlapic_get_ppr", "all")
VTD = Source("Intel VT-d specification", "rev 3.x", "5.1 Interrupt Remapping", "remappable MSI format, IRTE",
             "all")
LINUX_IRQ_REMAP = Source("torvalds/linux", "v6.6", "drivers/iommu/intel/irq_remapping.c",
                         "iommu_enable_irq_remapping, modify_irte, fill_msi_msg", "all")
#: the stored version read for the IRTE update (a 6.10+ tree: posted MSI, try_cmpxchg128); v6.6 itself was not
#: read. cmpxchg16b is taken only when the old or the new entry is posted-format
LINUX_MODIFY_IRTE = Source("torvalds/linux", "0410c6121529", "drivers/iommu/intel/irq_remapping.c",
                           "modify_irte, intel_ir_reconfigure_irte, prepare_irte", "all")
LINUX_IRTE_LAYOUT = Source("torvalds/linux", "v6.6", "include/linux/dmar.h", "struct irte", "all")
LINUX_X2APIC_NO_IR = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/apic.c", "try_to_enable_x2apic", "all")
XEN_VTD_FAULTS = Source("xen-project/xen", "RELEASE-4.16.0", "xen/drivers/passthrough/vtd/iommu.c",
                        "intr_remap_fault_reasons", "all")
XEN_VTD_IRTE = Source("xen-project/xen", "RELEASE-4.16.0", "xen/drivers/passthrough/vtd/intremap.c", "update_irte",
                      "all")
#: audit24: 01ccf9bbd25f is the stored torvalds text of a 6.x release (.delivery_mode / .dest_mode_logical,
#: physflat_probe's one-line return); the release trees say the same in their own words: 4.15.0 (kernel.org import)
#: 'if (apic == &apic_physflat || num_possible_cpus() > 8) return 1; return 0;' with '.irq_delivery_mode =
#: dest_Fixed, .irq_dest_mode = 1, /* logical */'; 4.16.13 and 4.17.0 add '|| jailhouse_paravirt()' (false on bare
#: metal); 5.15.16 and 5.17.0 the if-form with .delivery_mode = APIC_DELIVERY_MODE_FIXED, .dest_mode_logical = true;
#: apic_flat_calc_apicid (apic_common.c) 'return 1U << cpu;' in 4.15.0, 4.17.0 and 5.17.0
LINUX_APIC_FLAT = Source("torvalds/linux", "01ccf9bbd25f", "arch/x86/kernel/apic/apic_flat_64.c",
                         "apic_flat, physflat_probe, apic_drivers(apic_physflat, apic_flat)",
                         "4.15..6.11 (6.10.0..6.10.13, 6.11.0..6.11.2: apic_flat_logical; the quote is the 6.x text, "
                         "the same test in the 4.15.0, 4.16.13, 4.17.0, 5.15.16 and 5.17.0 trees: audit24)")
LINUX_FLAT_CALC = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/apic_common.c", "apic_flat_calc_apicid",
                         "4.15..6.11 (6.10.0..6.10.13, 6.11.0..6.11.2: apic_flat_logical)")
LINUX_NO_FLAT = Source("torvalds/linux", "838ba7733e4e", "arch/x86/kernel/apic/apic_flat_64.c",
                       "x86/apic: Remove logical destination mode for 64-bit", "6.12.., 6.11.3.., 6.10.14..")
LINUX_FIXED = Source("torvalds/linux", "a31e58e129f7", "arch/x86/kernel/apic/*.c",
                     "x86/apic: Switch all APICs to Fixed delivery mode", "4.15..")
LINUX_LAPIC_FF = Source("torvalds/linux", "f3bf1dbe64b6", "arch/x86/kernel/acpi/boot.c", "acpi_parse_lapic", "4.8..")
XEN_VLAPIC_MATCH = Source("xen-project/xen", "RELEASE-4.9.0", "xen/arch/x86/hvm/vlapic.c",
                          "vlapic_match_dest, vlapic_match_logical_addr", "all")
# x2APIC driver choice and cluster destinations. Read: torvalds/linux's stored x2apic_cluster.c (023a611748fd,
# 4.15-rc1 "Simplify cluster management": still cluster_vector_allocation_domain) and x2apic_phys.c (01b944fe1cd4,
# 4.x); copies of the later text: 4.15-5.10 (.irq_dest_mode = 1 /* logical */, dest_Fixed, .calc_dest_apicid =
# x2apic_calc_apicid), 5.11-6.5 (.dest_mode_logical = true, APIC_DELIVERY_MODE_FIXED), 6.6+ (init.c's
# apic_install_driver; x2apic_prepare_cpu computes the logical id; a 6.12+ copy with .nmi_to_offline_cpu); the 6.12
# x86/apic pull's diffstat (838ba7733e4e touches apic.h and apic_flat_64.c only); the Makefile's probe order.
LINUX_X2APIC_CLUSTER = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/x2apic_cluster.c",
                              "apic_x2apic_cluster (.dest_mode_logical, .calc_dest_apicid = x2apic_calc_apicid), "
                              "x2apic_prepare_cpu, x2apic_cluster_probe, x2apic_acpi_madt_oem_check", "4.15..")
LINUX_X2APIC_PHYS = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/x2apic_phys.c",
                           "x2apic_phys_probe, x2apic_fadt_phys, early_param x2apic_phys", "all")
LINUX_APIC_PROBE = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/Makefile, probe_64.c, init.c",
                          "the apic driver link order; default_setup_apic_routing (x86_64_probe_apic from 6.6), "
                          "apic_install_driver", "all")
LINUX_PREPARE_IRTE = Source("torvalds/linux", "v6.6", "drivers/iommu/intel/irq_remapping.c",
                            "prepare_irte (irte->dst_mode = apic->dest_mode_logical; irq_dest_mode before 5.11), "
                            "IRTE_DEST", "all")
SDM_X2APIC_LOGICAL = Source("Intel SDM vol. 3A", "253668-032US and a 2016 edition", "10.7.2.3 (032US); 10.12.10.1, "
                            "10.12.10.2 (2016); 11.12.10.x from 2023", "Logical Destination Mode in x2APIC Mode",
                            "all")
PCI30_CMD = Source("PCI Local Bus Specification", "rev 3.0", "6.2.2 Device Control", "Command register", "all")
PCIE_CMD = Source("PCI Express Base Specification", "rev 3.0 and later", "7.5.1.1 Command Register",
                  "Bus Master Enable (quoted in public register headers, e.g. Intel and Synopsys PCIe DBI)", "all")
QEMU_BME = Source("qemu/qemu", "97629cc9fa2a", "hw/pci/pci.c, hw/pci/msi.c, hw/pci/msix.c",
                  "pci_default_write_config (bus_master_enable_region), msi_send_message (bus_master_as), "
                  "msix_notify", "all")
LINUX_ERROR_RESPONSE = Source("torvalds/linux", "v6.6", "include/linux/pci.h", "PCI_ERROR_RESPONSE", "5.17..")
CONTRACT = Source("msidbg", "contract", "/work/shared/docs/contract.md", "--json summary", "all")

module("msidbg.model.device", PCI30, PCI30_MASKING, PCI30_CMD, PCIE_CMD, QEMU_BME)
module("msidbg.model.apic", SDM_APIC, XEN_VLAPIC)
#: a software-disabled local APIC (SPIV bit 8 clear: apic_soft_disable). The SDM lists what it still responds to;
#: Xen's vLAPIC followed it for external interrupts only from f1d7aac1e3c3 (RELEASE-4.18.0; stable 4.16.3, 4.17.1
#: as 07bbac08b5 / 54bb56e128: ``git tag --contains``), which names the hardware rule in its message
SDM_SOFT_DISABLED = Source("Intel SDM vol. 3A", "253668-032US (2009)", "10.4.3, 10.4.7.2 (8.4.x in the 2006 "
                           "edition; 11.4.x from 2023)", "Enabling or Disabling the Local APIC; Local APIC State After "
                           "It Has Been Software Disabled", "all")
#: audit22: the error handler's report is apic_printk(APIC_DEBUG, KERN_DEBUG ...) in every tree read (3.x
#: smp_error_interrupt .. 6.x sysvec_error_interrupt; apic_pr_debug in the 6.12-era cleanup)
LINUX_ERROR_IRQ = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/apic.c",
                         "sysvec_error_interrupt (smp_error_interrupt before 5.8): apic_write(APIC_ESR, 0), apic_read, "
                         "EOI, atomic_inc(&irq_err_count), apic_printk(APIC_DEBUG, ...)", "all")
LINUX_SOFT_LOST = Source("torvalds/linux", "52d6b926aabc", "arch/x86/kernel/smpboot.c",
                         "native_cpu_disable (commit message: the window apic_soft_disable opened)",
                         "5.4 .. 5.8 (5.4.0 .. 5.4.61, 5.8.0 .. 5.8.5: the fix is first in 5.9, its stable copies in "
                         "5.4.62, 5.8.6; cpu_disable_apic)")
LINUX_XEN_HVM_SMP = Source("torvalds/linux", "0b64ffb8db4e", "arch/x86/xen/smp_hvm.c",
                           "xen_hvm_smp_init (no smp_ops.cpu_disable: native_cpu_disable stays; so too in the "
                           "file's later diffs -- 5.11's nopvspin, 6.5's cleanup_dead_cpu)", "all")
XEN_VLAPIC_SET_IRQ = Source("xen-project/xen", "RELEASE-4.17.0", "xen/arch/x86/hvm/vlapic.c + vmsi.c",
                            "vlapic_set_irq (TMR / IRR, no enable test), vlapic_has_pending_irq (!vlapic_enabled: "
                            "-1), vmsi_deliver dest_Fixed before f1d7aac1e3c3", "..4.17.0, ..4.16.2")
XEN_HAS_PENDING = Source("xen-project/xen", "RELEASE-4.19.0", "xen/arch/x86/hvm/irq.c + vlapic.c",
                         "hvm_vcpu_has_pending_irq (the HVMIRQ_callback_vector upcall before vlapic_has_pending_irq), "
                         "vlapic_has_pending_irq (!vlapic_enabled: -1)",
                         "all (read at RELEASE-4.0.0, 4.1.0, 4.5.0, 4.10.0, 4.19.0; xenleads22)")
XEN_VLAPIC_SW_DISABLED = Source("xen-project/xen", "f1d7aac1e3c3", "xen/arch/x86/hvm/vmsi.c + vioapic.c",
                                "vmsi_deliver / vioapic_deliver (dest_Fixed: vlapic_enabled(target) &&), "
                                "vlapic_lowest_prio", "4.18.0.., 4.16.3.., 4.17.1..")
#: lowprio25: the per-vCPU upcall vector on a software-disabled vLAPIC (git tag --contains f5d0279839: 4.18.0-rc1 on;
#: RELEASE-4.16.3 has 4ad5975d4e, RELEASE-4.17.1 26f39b3d70, RELEASE-4.17.0 neither); its Fixes: 7b5b8ca7dffd (4.11.0;
#: 4.7.5, 4.8.3, 4.9.2, 4.10.1)
XEN_UPCALL_OFF = Source("xen-project/xen", "f5d0279839", "xen/arch/x86/hvm/irq.c + vlapic.c",
                        "hvm_assert_evtchn_irq (evtchn_upcall_vector: vlapic_enabled &&), vlapic_reg_write (APIC_SPIV "
                        "enable: the upcall vector if evtchn_upcall_pending)", "4.18.0.., 4.16.3.., 4.17.1.. (not modelled)")
module("msidbg.model.bus", SDM_MSI, SDM_ESR, XEN_MSI_H, XEN_VLAPIC_MATCH, LINUX_APIC_FLAT, LINUX_APIC_PROBE,
       LINUX_X2APIC_PHYS, LINUX_X2APIC_CLUSTER, SDM_X2APIC_LOGICAL, SDM_SOFT_DISABLED, LINUX_SOFT_LOST)
#: AMD-Vi (platform.iommu: amd)
LINUX_AMD_IR = Source("torvalds/linux", "ef75a8878766", "drivers/iommu/amd/iommu.c",
                      "alloc_irq_table, alloc_irq_index, fill_msi_msg, irte_ga_prepare, modify_irte_ga, "
                      "amd_ir_set_affinity", "5.9.. (the cmpxchg IRTE update also 5.8.8.., 5.4.68..: amd_irte_cmpxchg)")
LINUX_AMD_INIT = Source("torvalds/linux", "e52d58d54a32", "drivers/iommu/amd_iommu_init.c", "init_iommu_one",
                        "5.9.., 5.8.8.., 5.4.68.. (amd_irte_cmpxchg)")
LINUX_AMD_CMPXCHG = Source("torvalds/linux", "e52d58d54a32", "drivers/iommu/amd_iommu.c",
                           "modify_irte_ga (iommu/amd: Use cmpxchg_double() when updating 128-bit IRTE)",
                           "5.9.., 5.8.8.., 5.4.68.. (amd_irte_cmpxchg)")
XEN_AMD_INTREMAP = Source("xen-project/xen", "RELEASE-4.16.0", "xen/drivers/passthrough/amd/iommu_intr.c",
                          "INTREMAP_MAX_ORDER, update_intremap_entry_from_msi_msg", "all")
module("msidbg.model.amdvi", LINUX_AMD_IR, LINUX_AMD_INIT, LINUX_AMD_CMPXCHG, XEN_AMD_INTREMAP)
module("msidbg.model.iommu", VTD, LINUX_IRQ_REMAP, LINUX_MODIFY_IRTE, LINUX_IRTE_LAYOUT, LINUX_PREPARE_IRTE,
       XEN_VTD_FAULTS)
module("msidbg.model.acct", CONTRACT)

# --- device.py -------------------------------------------------------------------------------------
M = "msidbg.model.device"
reading("device.msix.reset-masked", "An MSI-X entry comes out of reset masked (Vector Control bit 0 = 1); QEMU's "
        "msix_reset() masks every entry likewise (msix_mask_all).", source=(PCI30, LINUX_83DBF, QEMU_MSIX_RESET),
        quote="Mask bit: When this bit is set, the function is prohibited from sending a message using this MSI-X "
        "Table entry. ... This bit's state after reset is 1 (entry is masked). (PCIe 3.0 and later, as quoted in "
        "83dbf898a2d4's message)", module=M)
reading("device.msix.pending", "A signal while its entry or the function is masked sets the entry's Pending bit "
        "and sends nothing; unmasking sends it once and clears the bit. The same holds for MSI with per-vector "
        "masking (Mask/Pending Bits). Not modelled: a function clearing a Pending bit whose events were serviced while it "
        "was masked (function-specific; msidbg's devices never service their own events).",
        source=(PCI30_MASKING, PCIE_MSI, CLOUD_HV_MASKING),
        quote="while a vector is masked, the function is prohibited from sending the associated message, and the "
        "function must set the associated Pending bit whenever the function would otherwise send the message. "
        "When software unmasks a vector whose associated Pending bit is set, the function must schedule sending "
        "the associated message, and clear the Pending bit as soon as the message has been sent.", module=M)
reading("device.msix.function-mask", "Function Mask masks every entry whatever its own Mask bit; clearing it does "
        "not change the entries' Mask bits.", source=(PCI30, INTEL_PCH_MXC),
        quote="If set to '1', all of the vectors associated with the function are masked, regardless of their per "
        "vector Mask bit states.", module=M)
reading("device.msix.latch-on-unmask", "A device may use an address/data captured when the entry became live: "
        "changing them while the entry is unmasked is undefined, so the latch-on-unmask quirk is legal hardware.",
        source=(LINUX_MSIX_WRITE,), quote="If software changes the Address or Data value of an entry while the entry "
        "is unmasked, the result is undefined.", module=M)
reading("device.msix.marvell-mask-when-disabled", "The msix-mask-applies-when-disabled quirk: a Marvell NVMe "
        "honours the MSI-X Mask bits while MSI-X is disabled, which blocks plain MSI.", source=(LINUX_83DBF,),
        quote="a broken Marvell NVME device which takes the MSI-X mask bits into account even when MSI-X is "
        "disabled, which prevents MSI delivery.", module=M)
reading("device.msix.marvell-reset-unmasked", "A device with the Marvell quirk brings its MSI-X entries out of "
        "reset unmasked (else its masks could not matter before the kernel wrote them). audit15: 83dbf898a2d4's message "
        "(the tip-bot2 mail of 2021-12-14, quoted in the stable thread of 2022-03-14) cures the device by leaving its "
        "entries 'in device reset state' when MSI-X setup fails -- which lets MSI through only if that state is "
        "unmasked, PCIe's masked reset state notwithstanding ('not specification compliant').",
        source=(LINUX_83DBF,),
        quote="A Marvell NVME device fails to deliver MSI interrupts after trying to enable MSI-X interrupts due to "
        "that masking. It seems to take the MSI-X mask bits into account even when MSI-X is disabled. While not "
        "specification compliant, this can be cured by moving the masking into the success path, so that the MSI-X "
        "table entries stay in device reset state when the MSI-X setup fails.", module=M)
reading("device.msix.disable-drops-pending", "Clearing MSI-X Enable drops the signals held in the PBA (counted "
        "lost). PCIe allows it (a function 'may' drop pending conditions when software disables MSI-X) without "
        "requiring it: QEMU's emulated MSI-X keeps its PBA (msix_function_masked counts a disabled MSI-X as "
        "function-masked) and sends the held messages once MSI-X is enabled and the entry unmasked again. msidbg's "
        "devices drop them.", source=(PCIE_MSI, QEMU_MSIX_MASKED),
        quote="Software disabling either mechanism during active operation may result in the Function dropping "
        "pending interrupt conditions or failing to recognize new interrupt conditions.", module=M)
reading("device.msi.multi-message", "With Multiple Message Enable n > 0 an MSI function replaces the low n bits of "
        "its Message Data with the message number; an MSI-X message carries its entry's 32-bit data unmodified. MSI "
        "data is 16 bits (Extended Message Data not modelled); the 64-bit capability puts address-hi at +8, data at "
        "+0xC, Mask Bits at +0x10, the 32-bit one data at +8, Mask Bits at +0xC.", source=(PCIE_MSI, PCI30),
        quote="if the Multiple Message Enable field (bits 6-4 of the Message Control Register for MSI) is non-zero, "
        "the Function is permitted to modify the low order bits of the message data to generate multiple vectors. "
        "... For MSI-X, ... the 32-bit Message Data field value from a selected table entry is used in the message "
        "without any modification to the low-order bits", module=M)
reading("device.msi.fewer-messages", "A function granted fewer MSI messages than it asked for (Multiple Message Enable < "
        "Multiple Message Capable) may modify only the low MME bits of its Message Data. With MME 000b it may not modify "
        "the data at all: every interrupt condition it signals goes out as its one message (message 0), and the "
        "driver's one handler serves them all. With 1 < 2^MME messages, which enabled message carries a condition "
        "numbered beyond them is device-specific (a TI TUSB73x0 maps interrupter i to message i mod 2^MME; AHCI "
        "reverts to single-message mode): msidbg's generic device does not signal such a condition (counted lost).",
        source=(PCI30, PCIE_MSI), quote="If the Multiple Message Enable field is 000b, the Function is not "
        "permitted to modify the message data. ... Software writes to this field to indicate the number of "
        "allocated vectors (equal to or less than the number of requested vectors).", module=M)
TI_TUSB73X0_MSI = Source("TI TUSB7320/TUSB7340 datasheet", "SLLSE76Q (March 2011 - March 2024), ti.com document "
                         "viewer", "MSI Message Control Register (PCI offset 4Ah)", "MM_EN (bits 6:4)", "TUSB73x0")
reading("device.msi.low-bits", "The msi-message-low-bits quirk: a function granted 2..16 MSI messages signals a "
        "condition numbered beyond them as the enabled message its low Multiple Message Enable bits name (condition "
        "n -> message n mod 2^MME), the mapping TI documents for its TUSB73x0 xHCI controllers (MM_EN: with 2 "
        "messages interrupters 0, 2, 4, 6 use message 0). A device-specific choice: opt-in, never a default. audit15 "
        "read it in TI's datasheet: MM_EN of the MSI Message Control register maps interrupter n to message n mod "
        "2^MM_EN for 2 and 4 messages (and each to its own for 8 and more).",
        source=(TI_TUSB73X0_MSI,),
        quote="001 - 2 Messages (Interrupters 0, 2, 4, and 6 mapped to message 0 and Interrupters 1, 3, 5, and 7 "
        "mapped to message 1) 010 - 4 Messages (Interrupters 0 and 4 mapped to message 0, Interrupters 1 and 5 mapped "
        "to message 1, Interrupters 2 and 6 mapped to message 2, Interrupters 3 and 7 mapped to message 3)", module=M)
#: audit16: the commit message of f3b0946d629c (read in the msm-4.9 gitiles mirror of the commit, its 'commit
#: f3b0946d629c8bfbd3e5f038e30cb9c711a35f10' page): the end-point Bharat Kumar Gogada reported latched its MSI
#: registers when MSI was enabled
LINUX_F3B0946 = Source("torvalds/linux", "f3b0946d629c", "kernel/irq/msi.c, drivers/pci/msi.c (the commit message)",
                       "genirq/msi: Make sure PCI MSIs are activated early (MSI_FLAG_ACTIVATE_EARLY)",
                       "a device behaviour (opt-in quirk); the fix 4.8, 4.7.3, 4.4.20 (msi_activate_early)")
reading("device.msi.latch-on-enable", "The msi-latch-on-enable quirk: MSI address/data captured when MSI Enable "
        "goes 0 -> 1 (why f3b0946d629c programs the message before enabling MSI). audit16: confirmed by that commit's "
        "message -- end-points may latch the MSI registers as soon as MSI is enabled, and the reporter's (a Xilinx "
        "end point) did, signalling whatever was there before; domain.md's 'unconfirmed detail' is settled. A device "
        "behaviour some functions have: opt-in (quirks:), never a default.",
        source=(LINUX_F3B0946,),
        quote="And it turns out that end-points are allowed to latch the content of the MSI configuration registers "
        "as soon as MSIs are enabled. In Bharat's case, the end-point ends up using whatever was there already, which "
        "is not what you want.", module=M)

reading("device.cmd.reset", "The Command register comes out of reset 0: the function decodes none of its BARs "
        "and may not master the bus until software sets Memory Space and Bus Master Enable.", source=(PCIE_CMD,),
        quote="Default value of this bit is 0b.", module=M)
reading("device.cmd.bus-master", "With Bus Master Enable clear the function does not issue the memory write that is "
        "an MSI/MSI-X message. The spec says only that the message is not sent (nothing about Pending bits); msidbg "
        "follows QEMU, whose message goes to the disabled bus-master address space: the signal is lost, not held "
        "(a held PBA bit is cleared on release and the message lost likewise). Real devices may differ.",
        source=(PCIE_CMD, QEMU_BME),
        quote="Note that as MSI/MSI-X interrupt Messages are in-band memory writes, setting the Bus Master Enable bit "
        "to 0b disables MSI/MSI-X interrupt Messages as well. ... memory_region_set_enabled(&d->bus_master_enable_"
        "region, (pci_get_word(d->config + PCI_COMMAND) & PCI_COMMAND_MASTER) ... address_space_stl_le(&dev->"
        "bus_master_as, msg.address, msg.data, attrs, NULL);", module=M)
reading("device.cmd.memory-space", "With Memory Space Enable clear the function does not claim accesses to its "
        "memory BARs: a write to the MSI-X table is dropped, a read completes with all ones (what an x86 root "
        "complex returns for an access nobody claims).", source=(PCI30_CMD, LINUX_ERROR_RESPONSE),
        quote="Controls a device's response to Memory Space accesses. A value of 0 disables the device response. ... "
        "Reading from a device that doesn't respond typically returns ~0.", module=M)

# --- apic.py ---------------------------------------------------------------------------------------
reading("device.msix.release-enable", "A held MSI-X signal is released by the entry that held it; if MSI-X Enable is "
        "cleared before the message went out, the function may no longer send it and the pending bit is dropped.",
        source=PCI30, quote="If 0, the function is prohibited from using MSI-X to request service.", module=M)

M = "msidbg.model.apic"
reading("apic.coalesce", "An edge message sets its IRR bit; a vector can be pending once in IRR and once in ISR, "
        "further messages for it collapse into the IRR bit.", source=(SDM_APIC,),
        quote="the IRR and ISR can queue two interrupts for each interrupt vector: one in the IRR and one in the "
        "ISR. Any additional interrupts issued for the same interrupt vector are collapsed into the single bit in "
        "the IRR.", module=M)
reading("apic.illegal-vector",
        "A message whose vector is 0..15 is not delivered: the local APIC sets ESR bit 6 (Receive Illegal "
        "Vector) and, the first time the bit is set since the last ESR write, raises its LVT Error interrupt "
        "(Linux: ERROR_APIC_VECTOR 0xfe, whose handler writes and reads the ESR, EOIs, counts irq_err_count (the "
        "ERR: line of /proc/interrupts) and reports 'APIC error on CPUn: 40 : Received illegal vector' -- an "
        "apic_printk(APIC_DEBUG, ...), printed only with apic=debug; the model's kernel note is that line). Vectors 16..31 are accepted like any other (the CPU then runs the "
        "IDT's exception entry: kernel.entry.exception-vector). A Xen guest's "
        "vlapic is not given the error interrupt in the model.", source=(SDM_ESR, SDM_APIC, LINUX_ERROR_IRQ),
        quote="Set when the local APIC detects an illegal vector (one in the range 0 to 15) in an interrupt "
        "message it receives ... Such interrupts are not be delivered to the processor; the local APIC will never "
        "set an IRR bit in the range 0 to 15. ... An APIC error interrupt is generated when the local APIC sets "
        "one of the error bits in the ESR.", module=M)
reading("apic.eoi", "EOI clears the highest-priority ISR bit.", source=(SDM_APIC,),
        quote="the local APIC responds by clearing the highest priority ISR bit that is set.", module=M)
reading("apic.priority", "The highest IRR vector is accepted when its class (vector >> 4) beats the processor "
        "priority class: the larger of the TPR class and the highest in-service class. A second message for a vector "
        "already in service waits in IRR until that vector's EOI (its class does not beat itself).",
        source=(SDM_APIC, XEN_VLAPIC),
        quote="PPR[7:4] (the processor-priority class) the maximum of TPR[7:4] (the task- priority class) and "
        "ISRV[7:4] (the priority of the highest priority interrupt in service). ... The processor will deliver only "
        "those interrupts that have an interrupt-priority class higher than the processor-priority class in the "
        "PPR.", module=M)

# --- bus.py ----------------------------------------------------------------------------------------
M = "msidbg.model.bus"
reading("bus.msi-address", "An MSI address 0xFEExxxxx names a local APIC by its id in bits 19:12; the data's bits "
        "7:0 are the vector. Any other address is a plain memory write, not an interrupt.", source=(SDM_MSI, XEN_MSI_H),
        quote="#define MSI_ADDR_BASE_LO 0xfee00000 ... #define MSI_ADDR_DEST_ID_SHIFT 12", module=M)

reading("bus.flat-logical", "A 64-bit kernel before 6.12 on at most 8 CPUs without remapping (and no ACPI FADT "
        "'APIC physical' flag) runs apic_flat: physflat_probe declines, each CPU's LDR holds the logical id 1 << cpu, "
        "and a message's destination field is 1 << cpu with Destination Mode logical (address bit 2). 838ba7733e4e "
        "(6.12; stable 6.11.3) removed it: physflat everywhere.", source=(LINUX_APIC_FLAT, LINUX_FLAT_CALC, LINUX_NO_FLAT),
        quote="return apic == &apic_physflat || num_possible_cpus() > 8 || jailhouse_paravirt(); ... "
        ".dest_mode_logical = true, ... u32 apic_flat_calc_apicid(unsigned int cpu) { return 1U << cpu; }", module=M)
reading("bus.fixed-delivery", "From 4.15 every x86 APIC driver, flat included, sends Fixed delivery-mode messages "
        "(before, flat used lowest priority: not modelled).", source=(LINUX_FIXED, LINUX_APIC_FLAT),
        quote="(apic_flat, 4.15.0:) .irq_delivery_mode = dest_Fixed, .irq_dest_mode = 1, /* logical */", module=M)
#: audit23: the quote was '.delivery_mode = APIC_DELIVERY_MODE_FIXED, .dest_mode_logical = true,', the names of
#: tglx's later cleanup (2020), not a31e58e129f7's; a 4.13.9 tree has flat's 'dest_LowestPrio', the kernel.org
#: 4.15.0 import (sndrzt/linux-4.15 6ea062648) 'dest_Fixed' for apic_flat and apic_physflat
reading("bus.logical-match", "A logical-mode message (flat model) is accepted by every local APIC whose 8-bit logical "
        "id shares a bit with the destination field; a Fixed message goes to all of them (Xen's vmsi_deliver injects "
        "into each matching vCPU likewise: vlapic_match_logical_addr).", source=(SDM_DEST, SDM_MSI, XEN_VLAPIC_MATCH),
        quote="Each local APIC performs a bit-wise AND of the MDA and its logical APIC ID. If a true condition is "
        "detected, the local APIC accepts the IPI message. ... 000B (Fixed Mode) - Deliver the signal to all the "
        "agents listed in the destination.", module=M)
reading("bus.lowest-priority", "(lowprio25) A Lowest Priority message (data bits 10:8 = 001B) goes "
        "to one APIC of those its destination names: 'the lowest-priority processor' by arbitration (P6: the APR, "
        "computed from TPR, IRR and ISR; a focus processor may take it), and on Pentium 4 / Xeon systems 'the "
        "chipset chooses a target processor' from the task priorities the processors reported. Linux never "
        "writes the TPR, so every candidate ties and which one accepts is the platform's (the SDM warns it may "
        "always be the same one). Linux sent such messages to several CPUs before 4.15 with apic_flat "
        "(kernel.vector.legacy-flat-not-modelled); from 4.15 every driver sends Fixed to one CPU. msidbg "
        "models the pick only where the scenario names a rule (platform.lowest_priority; reading "
        "bus.lowest-priority-first, hypothetical); otherwise it refuses such a kernel at load and delivers a "
        "raw write of Delivery Mode 001B as Fixed (bus.dm-without-rh): to every APIC it names.", source=(SDM_LOWEST, SDM_MSI), module=M,
        quote="with the lowest-priority processor accepting the IPI. ... the chipset chooses a target processor to "
        "receive the interrupt out of the set of possible targets. ... use the lowest priority delivery mode but do "
        "not update the TPR, the TPR information saved in the chipset will potentially cause the interrupt to be "
        "always delivered to the same processor from the logical set.")
reading("bus.lowest-priority-first", "(lowprio25) platform.lowest_priority: first -- msidbg's rule, not a hardware "
        "claim, and only where a scenario names it: a Lowest Priority message goes to the lowest-numbered CPU of "
        "those its destination names that accept it (online, APIC software-enabled), else to the first it names "
        "(lost there). It stands for a chipset that, with every TPR at 0, 'always' delivers to the same "
        "processor of the logical set (the SDM's warning); which one a real chipset favours, and whether it "
        "rotates, is not in any source read. Not the default: without the key a pre-4.15 apic_flat kernel is "
        "refused, and a raw Delivery Mode 001 message is read as Fixed.", status="hypothetical",
        source=(SDM_LOWEST,), module=M)
reading("bus.dm-without-rh", "Destination Mode (address bit 2) is honoured whatever the Redirection Hint (bit 3): "
        "Linux sends RH 0 with DM logical for apic_flat from 4.15 (before, RH 1 with lowest-priority delivery: reading "
        "bus.lowest-priority), and Xen (vmsi_deliver) and KVM read the destination mode "
        "from bit 2 alone. The SDM's sentence that with RH 0 'the DM bit is ignored' is not what the platforms Linux "
        "ran flat on for years did; msidbg follows the code. The Delivery Mode field of the data is not read (every "
        "kernel message is Fixed; a raw write of another mode is delivered as Fixed).", source=(SDM_MSI, XEN_MSI_H),
        quote="If RH is 0, then the DM bit is ignored and the message is sent ahead independent of whether the "
        "physical or logical destination mode is used.", module=M)
LINUX_X2APIC_NO_IR = Source("torvalds/linux", "v6.6", "arch/x86/kernel/apic/apic.c", "try_to_enable_x2apic "
                            "(without remapping: x2apic_set_max_apicid(255), x2apic_phys)", "all")
XEN_VLAPIC_X2APIC = Source("xen-project/xen", "RELEASE-4.17.0", "xen/arch/x86/hvm/vlapic.c, "
                           "xen/arch/x86/include/asm/hvm/vlapic.h", "vlapic_match_dest, _VLAPIC_ID (x2APIC mode)", "all")
reading("bus.x2apic-without-remapping", "platform.apic_routing: physical x2apic without interrupt remapping is a "
        "guest's configuration: Linux enables x2APIC without IR only when the hypervisor says it may "
        "(x86_init.hyper.x2apic_available(); false on bare metal) and then forces physical mode with APIC ids up to "
        "255 (32767 when the hypervisor offers the extended destination id, not modelled). A compatibility-format message's 8-bit destination 0xFF is then APIC id 255, not a broadcast: Xen's "
        "vLAPIC in x2APIC mode takes only 0xffffffff as the broadcast (vlapic_match_dest). (KVM's default, its "
        "x2APIC broadcast quirk, treats 0xFF as a broadcast, not modelled. audit17 read it: arch/x86/kvm/lapic.c "
        "kvm_apic_mda 'if (!vcpu->kvm->arch.x2apic_broadcast_quirk_disabled && !ipi && dest_id == APIC_BROADCAST && "
        "apic_x2apic_mode(target)) return X2APIC_BROADCAST;' -- an MSI, not an IPI, to 0xFF reaches every x2APIC "
        "vCPU unless the VMM disables the quirk (KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK): the two hypervisors "
        "disagree, so which one stands behind the configuration decides the outcome.) Kept hypothetical "
        "(audit12): the Linux and Xen halves are read, but msidbg runs this configuration on a bare-metal "
        "platform, where it does not exist, and which hypervisor's vLAPIC stands behind it is not said. "
        "(combos) On bare metal the loader refuses it with a mainline kernel before 6.1: x2apic_disable "
        "always returns to xAPIC there (v4.4). From 6.1 (b8d1d163604b) x2apic_disable leaves a firmware-locked "
        "x2APIC on ('Cannot disable locked x2apic', v6.1.119, v6.6), and the FADT physical flag then gives "
        "physical x2APIC without remapping on bare metal too -- real APICs behind it, whose handling of a "
        "compatibility-format destination 0xFF is not read.",
        status="hypothetical", source=(LINUX_X2APIC_NO_IR, XEN_VLAPIC_X2APIC), module=M,
        quote="u32 apic_limit = 255; /* Using X2APIC without IR is not architecturally supported on bare metal "
        "... */ if (!x86_init.hyper.x2apic_available()) { ... x2apic_disable(); return; } "
        "... x2apic_set_max_apicid(apic_limit); x2apic_phys = 1; / return (dest == "
        "_VLAPIC_ID(target, 0xffffffff)) || (dest == VLAPIC_ID(target)); / _VLAPIC_ID(vlapic, id) "
        "(vlapic_x2apic_mode(vlapic) ? (id) : ...")
reading("bus.xapic-broadcast", "In xAPIC physical destination mode the destination 0xFF is every local APIC (a "
        "broadcast), not an APIC id; Linux never brings up a CPU whose xAPIC id is 0xFF, so 256 CPUs need x2APIC "
        "(interrupt remapping on bare metal).", source=(XEN_VLAPIC_MATCH, LINUX_LAPIC_FF),
        quote="return (dest == _VLAPIC_ID(target, 0xffffffff)) || (dest == VLAPIC_ID(target)); ... "
        "/* Ignore invalid ID */ if (processor->id == 0xff) return 0;", module=M)

reading("bus.x2apic-cluster-default", "With interrupt remapping a 64-bit kernel runs x2APIC and its driver is "
        "x2apic_cluster: the drivers are probed in link order (x2apic_phys.o before x2apic_cluster.o), and "
        "x2apic_phys claims x2APIC mode only when 'x2apic_phys' is on the command line or the ACPI FADT sets its "
        "physical-destination flag; otherwise x2apic_cluster's probe (x2apic_mode) takes it. dmesg: 'Switched APIC "
        "routing to cluster x2apic.' ('APIC: Switched APIC routing to: cluster x2apic' from 6.6; 'Setting APIC "
        "routing to ...' when the MADT check already chose it). Without remapping Linux enables x2APIC only in a "
        "guest and forces x2apic_phys, so cluster mode needs remapping. The same from 4.15 to the newest tree read "
        "(838ba7733e4e, 6.12 and 6.11.3, 6.10.14, removes apic_flat only).", source=(LINUX_APIC_PROBE, LINUX_X2APIC_PHYS,
        LINUX_X2APIC_CLUSTER, LINUX_X2APIC_NO_IR), quote="# APIC probe will depend on the listing order here ... "
        "obj-$(CONFIG_X86_X2APIC) += x2apic_phys.o obj-$(CONFIG_X86_X2APIC) += x2apic_cluster.o ... if "
        "(x2apic_phys || x2apic_fadt_phys()) return 1; return apic == &apic_x2apic_phys;", module=M)
reading("bus.x2apic-cluster-logical", "x2apic_cluster's irq destinations are logical: calc_dest_apicid gives the "
        "CPU's logical x2APIC id, cluster (apic_id >> 4) in bits 31:16 and 1 << (apic_id & 0xf) in bits 15:0 -- the "
        "value the hardware puts in the read-only LDR. Since 4.15 an irq targets one CPU, so one bit. A logical "
        "x2APIC destination reaches the APICs of that cluster whose bit is set.", source=(LINUX_X2APIC_CLUSTER,
        SDM_X2APIC_LOGICAL), quote="u32 logical_apicid = (cluster << 16) | (1 << (phys_apicid & 0xf)); ... "
        ".dest_mode_logical = true, ... .calc_dest_apicid = x2apic_calc_apicid, ... software can create a message "
        "destination address for cluster model, by bit-Oring the Logical X2APIC ID (31:0) of processors that have "
        "matching Cluster ID(31:16).", module=M)
reading("bus.soft-disabled-destinations", "A local APIC whose SPIV software-enable bit is clear "
        "(native_cpu_disable's apic_soft_disable, ``kernel.cpu_disable_apic``) accepts no Fixed message: no IRR bit "
        "is set and what it holds stays. Every APIC a destination names follows the rule -- the one physical APIC, "
        "and each APIC of a logical, cluster or broadcast destination (the others still take the vector), and the "
        "device's signals are accounted on an accepting CPU that has the vector's irq, else on the first accepting "
        "one. Xen's vLAPIC did the same for MSIs and IO-APIC pins only from f1d7aac1e3c3 (4.18.0; 4.16.3, 4.17.1) "
        "-- before, vmsi_deliver's Fixed case set the IRR of a software-disabled vLAPIC (an HVM guest's native_cpu_disable "
        "soft-disables it too: reading xen.vlapic.soft-disabled, platform.xen_vlapic_disabled_refuses).",
        source=(SDM_SOFT_DISABLED, LINUX_SOFT_LOST, XEN_VLAPIC_SW_DISABLED),
        quote="The local APIC will respond normally to INIT, NMI, SMI, and SIPI messages. Pending interrupts in the "
        "IRR and ISR registers are held ... Once local APIC has been disabled any new interrupts from the device to "
        "the old CPU are lost ... In software-disabled state an LAPIC does not accept any interrupt requests and "
        "hence no IRR bit would newly become set while in this state.", module=M)
reading("xen.vlapic.soft-disabled", "(leads20) An HVM guest's CPU offline runs native_cpu_disable: "
        "xen_hvm_smp_init replaces smp_prepare_cpus, smp_send_reschedule, cpu_die and the IPI senders but not "
        "smp_ops.cpu_disable, so kernel.cpu_disable_apic's apic_soft_disable clears the vLAPIC's SPIV enable bit. "
        "Whether a Fixed message then sets an IRR bit is Xen's: vmsi_deliver (an emulated device's MSI, a passthrough "
        "one injected without an event channel) and vioapic_deliver test vlapic_enabled from f1d7aac1e3c3 (4.18.0; "
        "4.16.3, 4.17.1: platform.xen_vlapic_disabled_refuses) and the message is lost; before, vlapic_set_irq set "
        "TMR / IRR with no enable test and vlapic_has_pending_irq offers nothing while the vLAPIC is disabled, so "
        "the bit waits -- fixup_irqs' IRR scan (soft-first) retriggers it on the irq's new CPU, or the offline finds "
        "it pending. In every release the disabled vLAPIC offers none of its IRR bits: the dying vCPU, its "
        "interrupts on again between take_cpu_down and do_idle, takes none (xenleads22; it took them before, "
        "RETRIGGERED slots included). hvm_vcpu_has_pending_irq offers the domain's global callback vector "
        "(HVMIRQ_callback_vector) before it asks the vLAPIC, so that upcall still comes; an event channel's "
        "upcall is not a vLAPIC Fixed message and f1d7aac1e3c3's refusal does not apply to it. (lowprio25) The "
        "per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector) has its own: from f5d0279839 (4.18.0; 4.16.3 "
        "4ad5975d4e, 4.17.1 26f39b3d70) hvm_assert_evtchn_irq sets its IRR bit only on an enabled vLAPIC, and the "
        "guest's software enable sets it when evtchn_upcall_pending is set. Not modelled: msidbg still sets the "
        "bit on the dying vCPU's disabled vLAPIC, which never offers it and whose offline resets it, so no run's "
        "events, hits or outcome differ (an APIC-virtualized guest, which would take it, has no event channel "
        "device in msidbg). What the commit fixes is at the vCPU's return, which is not modelled: 7b5b8ca7dffd's "
        "injection at HVMOP_set_evtchn_upcall_vector, before the AP enables its LAPIC, left a stale IRR bit "
        "for Linux's check in setup_local_APIC.",
        source=(LINUX_XEN_HVM_SMP, XEN_VLAPIC_SW_DISABLED, XEN_VLAPIC_SET_IRQ, XEN_HAS_PENDING, XEN_UPCALL_OFF),
        quote="smp_ops.smp_prepare_cpus = xen_hvm_smp_prepare_cpus; ... smp_ops.cpu_die = xen_hvm_cpu_die; ... / "
        "if ( vlapic_enabled(target) && "
        "vlapic_match_dest(target, NULL, 0, dest, dest_mode) ) / if ( !vlapic_enabled(vlapic) ) return -1; / if ( "
        "(plat->irq->callback_via_type == HVMIRQ_callback_vector) && vcpu_info(v, evtchn_upcall_pending) ) "
        "return hvm_intack_vector(...);", module=M)

# --- iommu.py --------------------------------------------------------------------------------------
M = "msidbg.model.iommu"
reading("iommu.irte-logical", "prepare_irte copies the APIC driver's destination mode into the IRTE (DM = "
        "apic->dest_mode_logical, irq_dest_mode before 5.11) and the destination id whole in x2APIC mode (IRTE_DEST: "
        "dest, not dest << 8): under x2apic_cluster an IRTE holds DM logical and the CPU's logical x2APIC id; RH is "
        "1, which with a one-bit destination names that CPU.", source=(LINUX_PREPARE_IRTE, VTD),
        quote="irte->dst_mode = apic->dest_mode_logical; ... irte->vector = vector; irte->dest_id = IRTE_DEST(dest); "
        "irte->redir_hint = 1; ... #define IRTE_DEST(dest) ((eim_mode) ? dest : dest << 8)", module=M)
reading("iommu.compat-blocked", "With remapping on, Linux blocks compatibility-format MSIs: only remappable "
        "messages (address bit 4) reach an APIC. iommu_enable_irq_remapping clears GCMD.CFI when the firmware left "
        "it set and warns if it stays set.", source=(LINUX_MODIFY_IRTE, LINUX_IRQ_REMAP, XEN_VTD_FAULTS),
        quote="/* Block compatibility-format MSIs */ if (sts & DMA_GSTS_CFIS) { iommu->gcmd &= ~DMA_GCMD_CFI; ... "
        "\"Compatibility-format IRQs enabled despite intr remapping;\\n\"", module=M)
reading("iommu.faults", "A remappable message naming a non-present IRTE, or one whose source-id check fails, is a "
        "remapping fault and is dropped.", source=(VTD, XEN_VTD_FAULTS),
        quote="Present field in the IRTE entry is clear ... Blocked an interrupt request due to source-id "
        "verification failure", module=M)
reading("iommu.atomic-irte", "Linux writes a remapped-format IRTE as two 64-bit stores, the low quadword then the "
        "high one, and then waits for the interrupt entry cache invalidation (qi_flush_iec); cmpxchg16b is used only "
        "when the old or the new entry is posted-format (not modelled). Present, vector and destination all sit in "
        "the low quadword (source-id and its check in the high one), so a move or a deactivation changes what the "
        "unit uses in one store and the device never reaches half an entry; the old vector is released only after "
        "the flush. The same in every release read: 3.x's modify_irte is set_64bit(low), set_64bit(high); the posted "
        "branch (cmpxchg_double, later try_cmpxchg128) was added beside it; 0475a2d10fc7 turned set_64bit into "
        "WRITE_ONCE. (Xen's update_irte is the one that always uses cmpxchg16b when the CPU has it.)",
        source=(LINUX_MODIFY_IRTE, LINUX_IRTE_LAYOUT, XEN_VTD_IRTE),
        quote="if ((irte->pst == 1) || (irte_modified->pst == 1)) { ... try_cmpxchg128(&irte->irte, &old, "
        "irte_modified->irte) ... } else { WRITE_ONCE(irte->low, irte_modified->low); WRITE_ONCE(irte->high, "
        "irte_modified->high); } ... rc = qi_flush_iec(iommu, index, 0); ... r_vector : 8, ... r_res1 : 8, "
        "... dest_id : 32; ... }; ... __u64 low;", module=M)

# --- amdvi.py --------------------------------------------------------------------------------------
M = "msidbg.model.amdvi"
reading("amdvi.data-index", "AMD-Vi leaves the MSI address the bare interrupt address (destination and DM unused) "
        "and puts the remapping table index in the MSI data; the table is the requester's own, found through its "
        "device table entry (IntTabLen, IntCtl remapped), so indexes are per device and restart at 0 for each. "
        "The IOMMU takes the offset from data[10:0] (2048 entries at most; Linux's tables have 512).",
        source=(LINUX_AMD_IR, XEN_AMD_INTREMAP),
        quote="static void fill_msi_msg(struct msi_msg *msg, u32 index) { msg->data = index; msg->address_lo = 0; "
        "msg->arch_addr_lo.base_address = X86_MSI_BASE_ADDRESS_LOW; ... dte |= DTE_IRQ_REMAP_INTCTL; ... "
        "#define INTREMAP_MAX_ORDER 0xB ... *data = (msg->data & ~(INTREMAP_MAX_ENTRIES - 1)) | offset;", module=M)
reading("amdvi.multi-msi-align", "alloc_irq_index aligns a Multi-MSI block to roundup_pow_of_two(count) in the "
        "device's table (the device puts the message number in the data's low bits); MSI-X entries are allocated "
        "one at a time, unaligned.", source=(LINUX_AMD_IR,),
        quote="bool align = (info->type == X86_IRQ_ALLOC_TYPE_PCI_MSI); index = alloc_irq_index(iommu, devid, "
        "nr_irqs, align, ...); ... if (align) alignment = roundup_pow_of_two(count);", module=M)
reading("amdvi.ga-for-x2apic", "Linux runs x2APIC with AMD-Vi only when the IOMMU has XTSup, and XTSup is taken "
        "only with GASup (and cmpxchg16b): with x2APIC the entries are the 128-bit GA format, whose destination has "
        "32 bits; an IOMMU without GASup gets the 32-bit legacy entry (8-bit destination) and xAPIC.",
        source=(LINUX_AMD_INIT,),
        quote="Note: GA (128-bit IRTE) mode requires cmpxchg16b supports. XT, GAM also requires GA mode. ... if "
        "(!boot_cpu_has(X86_FEATURE_CX16) || ((h->efr_reg & (0x1 << IOMMU_EFR_GASUP_SHIFT)) == 0)) { "
        "amd_iommu_guest_ir = AMD_IOMMU_GUEST_IR_LEGACY; break; }", module=M)
reading("amdvi.atomic-irte", "From e52d58d54a32 modify_irte_ga writes the 128-bit entry with one cmpxchg_double "
        "(later try_cmpxchg128), then invalidates the IOMMU's copy and waits for completion: a move changes vector "
        "and destination at once and the device never reaches half an entry. Before it the driver cleared RemapEn, "
        "wrote both halves and set RemapEn again, and a message arriving in that window was an IO_PAGE_FAULT (the "
        "commit: observed when changing irq affinity under I/O load): kernel.amd_irte_cmpxchg false. The IOMMU's "
        "interrupt table cache is not modelled: the entry in memory is what a message meets.",
        source=(LINUX_AMD_CMPXCHG, LINUX_AMD_IR),
        quote="current driver disables interrupt remapping when it updates the IRTE ... this creates a small window, "
        "where the interrupt could arrive and result in IO_PAGE_FAULT ... Instead, use cmpxchg_double() to update "
        "the 128-bit IRTE at once without disabling the interrupt remapping.", module=M)

# --- acct.py ---------------------------------------------------------------------------------------
M = "msidbg.model.acct"
reading("acct.delivered", "A signal is delivered when its device's own handler for that vector runs after it was "
        "raised; raised == delivered + lost at the end of a run (msidbg's own definition, from the contract).",
        source=(CONTRACT,), quote="A signal is `delivered` when the device's own handler for that vector runs after "
        "it was raised", module=M)

# --- INTx and the IO-APIC (model/ioapic.py; docs/model-baremetal.md "INTx") --------------------------------
PCI30_STATUS = Source("PCI Local Bus Specification", "rev 3.0", "6.2.2 Device Control, 6.2.3 Device Status",
                      "Command bit 10 Interrupt Disable; Status bit 3 Interrupt Status (quoted in public register "
                      "definitions, e.g. a Rust PCI crate's bitstruct docs)", "all")
PCI30_MSI_INTX = Source("PCI Local Bus Specification", "rev 3.0", "6.8.1.3 Message Control for MSI (MSI Enable)",
                        "MSI, MSI-X and INTx# are mutually exclusive", "all")
IOAPIC_82093AA = Source("Intel 82093AA I/O APIC datasheet", "290566-001", "3.2.4 I/O Redirection Table Registers",
                        "Remote IRR (bit 14), Trigger Mode, Interrupt Mask; the EOI message clears Remote IRR", "all")
IOXAPIC_E6XX = Source("Intel Atom Processor E6xx Series Datasheet", "(public mirror, page 225)", "11.4.2.3 RTE[0-23] "
                      "Redirection Table Entry (Table 329)", "RIRR, bit 14: an I/O xAPIC (version 20h) delivering by "
                      "message", "all")
XEN_VIOAPIC_RIRR = Source("xen-project/xen", "RELEASE-4.18.0", "xen/arch/x86/hvm/vioapic.c",
                          "vioapic_irq_positive_edge (Remote IRR set, then vioapic_deliver), vioapic_deliver "
                          "(dest_Fixed skips a vLAPIC not vlapic_enabled: f1d7aac1e3c3)", "4.18.0.., 4.16.3.., 4.17.1..")
module("msidbg.model.ioapic", PCI30_STATUS, PCI30_MSI_INTX, IOAPIC_82093AA, IOXAPIC_E6XX, XEN_VIOAPIC_RIRR)
M = "msidbg.model.ioapic"
reading("device.intx.assert", "A function asserts INTx# while an interrupt condition is pending (Status.Interrupt "
        "Status) and Command.Interrupt Disable is clear (0 after reset); setting Interrupt Disable deasserts the pin "
        "but leaves the condition and its status bit. The condition persists until the driver clears its cause.",
        source=PCI30_STATUS,
        quote="[Interrupt Disable] This bit's state after RST# is 0. / Only when the Interrupt Disable bit in the "
        "command register is a 0 and this Interrupt Status bit is a 1, will the device's/function's INTx# signal "
        "be asserted. Setting the Interrupt Disable bit to a 1 has no effect on the state of this bit.", module=M)
reading("device.intx.msi-exclusive", "A function with MSI or MSI-X enabled does not use INTx#: its pending condition "
        "deasserts the pin until both are disabled again.", source=PCI30_MSI_INTX,
        quote="While enabled for MSI or MSI-X operation, a function is prohibited from using its INTx# pin (if "
        "implemented) to request service (MSI, MSI-X, and INTx# are mutually exclusive).", module=M)
PCI_INTX_PINS = Source("PCI Local Bus Specification", "rev 2.x/3.0 text, as reproduced in Intel's ECB-865 User's "
                       "Manual 3.11.38.6 (office.manualsonline.com)", "2.2.6 Interrupt Pins (Optional)",
                       "INTx# electrical definition", "all")
E1000_ICR = Source("torvalds/linux", "010e85f9e47c", "drivers/net/ethernet/intel/e1000/e1000_main.c", "e1000_intr "
                   "(ICR: every interrupt cause, read-to-clear)", "all")
reading("device.intx.one-condition", "Every signal of a function whose MSI and MSI-X are disabled is its one INTx "
        "condition (vector 0): signals raised before the handler clears it are serviced together, as signals "
        "coalesced in an IRR bit are. audit15: PCI gives a single-function device one pin, level-asserted until the "
        "driver clears the pending request (2.2.6, as ioapic.wired-or quotes it), and a real INTx device gathers its "
        "causes behind it: e1000's ICR holds every cause, and e1000_intr's one read clears them all "
        "(kernel.intx.handler).", source=(PCI_INTX_PINS, E1000_ICR),
        quote="Once the INTx# signal is asserted, it remains asserted until the device driver clears the pending "
        "request. / u32 icr = er32(ICR); if (unlikely((!icr))) return IRQ_NONE; /* Not our interrupt */ /* we might "
        "have caused the interrupt, but the above read cleared it ... */", module=M)
reading("ioapic.remote-irr", "A level-triggered redirection entry sends its vector when the line is asserted, the "
        "entry unmasked and Remote IRR clear, and sets Remote IRR when the local APIC accepts it; an EOI message whose "
        "vector matches the entry's clears it, and a line still asserted then sends again. Masking the entry after the "
        "local APIC accepted the interrupt does not withdraw it (the model's send is the acceptance; the I/O xAPIC "
        "the model's IO-APIC is sets the bit at the send even when no APIC takes it: "
        "ioapic.soft-disabled-destination).",
        source=IOAPIC_82093AA,
        quote="For level triggered interrupts, this bit is set to 1 when local APIC(s) accept the level interrupt "
        "sent by the IOAPIC. The Remote IRR bit is set to 0 when an EOI message with a matching interrupt vector is "
        "received from a local APIC. ... Changing the mask bit from unmasked to masked after the interrupt is "
        "accepted by a local APIC has no effect on that interrupt.", module=M)
reading("ioapic.soft-disabled-destination", "(leads19) A level entry's send sets Remote IRR whether or not a local "
        "APIC takes the message: an I/O xAPIC delivers by a posted message and sets the bit when it sends. Sent to a "
        "software-disabled local APIC (native_cpu_disable's apic_soft_disable before fixup_irqs: "
        "kernel.cpu_disable_apic soft-first, 5.4 .. 5.9-rc2 / 5.4.61 / 5.8.5), it is refused like an MSI "
        "(bus.soft-disabled-destinations): no IRR or TMR bit, so no EOI ever names it, and Remote IRR stays set -- "
        "fixup_irqs' IRR scan finds nothing to retrigger, the moved entry keeps the bit, and the line sends no more "
        "(the conditions it holds are lost; a later free_irq's synchronize_irq waits on it). Xen's vIOAPIC does the "
        "same for a disabled vLAPIC from f1d7aac1e3c3, whose message says such interrupts 'are simply lost' (before, "
        "the vLAPIC's IRR and TMR took it: reading xen.vlapic.soft-disabled). The 82093AA (APIC serial bus) datasheet words it 'set when "
        "local APIC(s) accept' and the 82801AA's keeps Delivery Status pending while the receiver cannot accept: "
        "not this model's IO-APIC, which has the EOI register of an I/O xAPIC (kernel.intx.eoi-register).",
        source=(IOXAPIC_E6XX, SDM_SOFT_DISABLED, XEN_VIOAPIC_RIRR),
        quote="This bit is set when IOxAPIC sends the level interrupt message to the CPU. This bit is cleared when "
        "an EOI message is received that matches the VCT field. / ent->fields.remote_irr = 1; vioapic_deliver(vioapic, "
        "pin); ... if ( vlapic_enabled(vlapic) && vlapic_match_dest(...) ) / ... Such interrupts are simply lost.",
        module=M)
# (levelmove read the 82093AA's redirection entry bits on a datasheet mirror's page 12; the 82801AA datasheet's
# EOI message adds: 'If the interrupt signal is still active after the IRR bit is reset, the I/O APIC treats it
# as a new interrupt.')
XEN_HVM_INTX = Source("xen-project/xen", "RELEASE-4.19.0", "xen/arch/x86/hvm/irq.c",
                      "__hvm_pci_intx_assert / __hvm_pci_intx_deassert (gsi_assert_count, pci_link_assert_count)", "all")
reading("ioapic.wired-or", "Lines of several functions routed to one GSI are wired-OR: the IO-APIC input is asserted "
        "while any of them asserts its INTx#. audit15: PCI defines INTx# as level-sensitive, asserted low, with open "
        "drain output drivers -- several drivers on one line assert it while any one pulls it low; Xen's vIOAPIC "
        "model of the same rule counts the asserting functions per GSI and asserts the GSI on the first.",
        source=(PCI_INTX_PINS, XEN_HVM_INTX),
        quote="Interrupts on PCI are optional and defined as \"level sensitive,\" asserted low (negative true), using "
        "open drain output drivers. ... Once the INTx# signal is asserted, it remains asserted until the device driver "
        "clears the pending request. / if ( hvm_irq->gsi_assert_count[gsi]++ == 0 ) assert_gsi(d, gsi);", module=M)
XEN_VLAPIC_TMR = Source("xen-project/xen", "12a50030a81a", "xen/arch/x86/hvm/vlapic.c",
                        "vlapic_set_irq (TMR cleared for an edge), vlapic_handle_EOI; its message quotes SDM "
                        "'Interrupt Acceptance for Fixed Interrupts'",
                        "Xen 4.11.., 4.10.1.., 4.9.2.., 4.8.4.., 4.7.5.. (stable copies 0f92968bcf, 6f8eed4d93, "
                        "bc6414f735, 8f4998777e: git tag --contains; audit22)")
reading("ioapic.tmr", "The local APIC's TMR bit of a vector is set when it accepts a level interrupt on it and cleared "
        "when it accepts an edge one (SDM vol. 3A 10.8.4, 'Interrupt Acceptance for Fixed Interrupts'); the EOI of a "
        "vector with its TMR bit set is broadcast to the IO-APICs. The model keeps TMR bits (cpus[N].tmr) from the "
        "first level delivery on: a level IO-APIC delivery (direct or through its IRTE) sets one; every edge "
        "acceptance clears the bit of its vector -- an MSI message (bus.deliver, the remapping unit's IRTE), the "
        "retrigger IPIs of fixup_irqs, apic_retrigger_irq and the MSI affinity race (apic.edge) -- so a vector an "
        "INTx irq left and an MSI irq later got loses the bit at the MSI's first acceptance; INIT clears all. Xen's "
        "vlapic_set_irq clears the bit for an edge from 12a50030a81a (4.11; 4.10.1, 4.9.2, 4.8.4, 4.7.5); before, "
        "vlapic_handle_EOI cleared it at the EOI (not modelled: the model follows 4.11's hardware reading for HVM "
        "guests too).",
        source=(SDM_APIC, XEN_VLAPIC_TMR),
        quote="SDM (quoted in 12a50030a81a): 'Upon acceptance of an interrupt into the IRR, the corresponding TMR bit "
        "is cleared for edge-triggered interrupts and set for level-triggered interrupts. If a TMR bit is set when an "
        "EOI cycle for its corresponding interrupt vector is generated, an EOI message is sent to all I/O APICs.'",
        module=M)
