"""Citations of the Xen platforms: the guest's Xen frontend, QEMU xen-pt, the hypervisor.

The sources the Xen / QEMU / Linux-Xen-frontend programs pass to ``program(..., source=...)``,
the module citations of ``xen.py``, ``vmsi.py``, ``evtchn.py``, ``qemu.py``, and every reading
``docs/model-xen.md`` relies on. Quotes are short excerpts of the named source (xen-project/xen
and xen-project/qemu-xen read at their tags in the local mirrors; Linux and qemu-traditional
through the public code index).
"""

from __future__ import annotations

from msidbg.model.cite import Source, module, reading

# --- Linux: the guest's Xen frontend --------------------------------------------------------------------
L = "torvalds/linux"
LINUX_PCI_XEN = Source(L, "v6.6", "arch/x86/pci/xen.c", "xen_hvm_setup_msi_irqs, xen_msi_compose_msg", "2.6.37..")
LINUX_REUSE = Source(L, "af42b8d12f8a", "arch/x86/pci/xen.c", "xen_hvm_setup_msi_irqs (re-use of the cached pirq)",
                     "2.6.37..4.9 (reverted for 4.10)")
LINUX_TEARDOWN = Source(L, "v6.6", "arch/x86/pci/xen.c", "xen_teardown_msi_irqs -> xen_destroy_irq", "all")
LINUX_PV_MSI = Source(L, "v6.6", "arch/x86/pci/xen.c", "xen_setup_msi_irqs, xen_pv_teardown_msi_irqs", "all")
LINUX_HVM_MSI_INIT = Source(L, "v6.6", "arch/x86/pci/xen.c", "xen_hvm_msi_init, pci_xen_hvm_init", "all")
LINUX_EVENTS = "drivers/xen/events/events_base.c"
LINUX_STARTUP = Source(L, "v6.6", LINUX_EVENTS, "__startup_pirq, pirq_query_unmask, eoi_pirq, xen_init_IRQ", "all")
LINUX_SHUTDOWN = Source(L, "v6.6", LINUX_EVENTS, "shutdown_pirq, xen_evtchn_close", "all")
LINUX_AFFINITY = Source(L, "v6.6", LINUX_EVENTS, "set_affinity_irq, xen_rebind_evtchn_to_cpu, select_target_cpu",
                        "5.11.. (before: cpumask_first_and, kernel.xen_affinity_target)")
LINUX_UPCALL = Source(L, "v6.6", LINUX_EVENTS, "__xen_evtchn_do_upcall, handle_irq_for_port", "all")
LINUX_PV_IRQ = Source(L, "00c1d298d486", "arch/x86/xen/irq.c, arch/x86/xen/xen-asm.S",
                      "xen_force_evtchn_callback; xen_irq_disable_direct / xen_irq_enable_direct (evtchn_upcall_mask, "
                      "check_events when evtchn_upcall_pending)", "all")
XEN_PV_EVENTS = Source("xen-project/xen", "RELEASE-4.14.0", "xen/arch/x86/domain.c, xen/arch/x86/x86_64/entry.S",
                       "vcpu_mark_events_pending (hvm_assert_evtchn_irq vs vcpu_kick), test_guest_events, "
                       "create_bounce_frame (TBF_INTERRUPT sets evtchn_upcall_mask)", "all")
LINUX_2L = Source(L, "17ef715c0c88", "drivers/xen/events/events_2l.c",
                  "evtchn_2l_handle_events, active_evtchns, evtchn_2l_unmask", "all (the only ABI before 3.14)")
LINUX_2L_30 = Source("linux-3.0.8 (a public copy: weilaidb/PythonExample)", "f505d5230209", "drivers/xen/events.c",
                     "__xen_evtchn_do_upcall (the same round robin before events_2l.c)", "3.0..3.13 (audit24: the "
                     "same loop, unmask_evtchn and pirq_needs_eoi in cjheres/linux-3.0.8's 'stock kernel' import "
                     "f4c2ff88)")
LINUX_FIFO = Source(L, "067e2601d3c0", "drivers/xen/events/events_fifo.c",
                    "__evtchn_fifo_handle_events, consume_one_event, evtchn_fifo_unmask", "3.14..")
LINUX_TIMER_PRIO = Source(L, "v6.6", "arch/x86/xen/time.c", "xen_setup_timer (the only xen_set_irq_priority "
                          "caller)", "3.14..")
#: xen32: the same single caller, and __evtchn_fifo_handle_events' find_first_bit(ready) loop, read in public
#: copies of 3.18.140 (junan76), 4.4.1 (zanpocc), 4.9.154 (sh1rataki), 4.18 (wulmx), 5.15.24 (yhuan416) and 6.1
#: (krr-io)
LINUX_FIFO_PRIO = Source(L, "v5.15.24", "drivers/xen/events/events_fifo.c, drivers/xen/events/events_base.c",
                         "__evtchn_fifo_handle_events (find_first_bit(&ready, EVTCHN_FIFO_MAX_QUEUES)), "
                         "consume_one_event, xen_set_irq_priority", "3.14..")
LINUX_INIT_IRQ = Source(L, "v6.6", LINUX_EVENTS, "xen_init_IRQ (xen_fifo_events: xen_evtchn_fifo_init, "
                        "else or on its failure xen_evtchn_2l_init and xen_fifo_events = false; 4.13.9's "
                        "variable is fifo_events)", "3.14..")
LINUX_EDGE = (Source(L, "v6.6", "kernel/irq/chip.c", "handle_edge_irq", "all"),
              Source(L, "v6.6", LINUX_EVENTS, "eoi_pirq (the xen_pirq_chip irq_ack)", "all"))
LINUX_IRQ_FROM_PIRQ = Source(L, "v4.9", LINUX_EVENTS, "xen_irq_from_pirq, xen_destroy_irq",
                             "3.x .. 6.x (audit26: this said 3.x..; the function is in the 6.5.0 import sndrzt/linux-6.5 "
                             "and gone from include/xen/events.h and events_base.c in the 6.9.0 one ec-jt/linux-6.9.0; "
                             "arch/x86/pci/xen.c has no caller from c74fd80f2f41 (4.11; 4.10.7, 3.10.106), kernel.xen_reuse_cached_pirq)")

# --- QEMU xen-pt ----------------------------------------------------------------------------------------
Q = "xen-project/qemu-xen"
#: audit23: '<= 4.6' / '<= 4.4' named no first release: xen-pt is first in qemu-xen-4.3.0 (hw/xen_pt*.c; none in
#: 4.2.0 .. 4.2.5), the same pci_msix_write / xen_pt_msixctrl_reg_write there (git show of the tags)
QEMU_MSI_44 = Source(Q, "qemu-xen-4.4.0", "hw/xen/xen_pt_msi.c", "pci_msix_write, xen_pt_msix_update_one",
                     "4.3.0 .. 4.6.x (hw/xen_pt_msi.c at 4.3.0; no xen-pt in qemu-xen-4.2.x)")
QEMU_MSI_47 = Source(Q, "qemu-xen-4.7.0-rc1", "hw/xen/xen_pt_msi.c", "pci_msix_write (latched table, f0ada3608ac1)",
                     "4.7..")
QEMU_CFG_44 = Source(Q, "qemu-xen-4.4.0", "hw/xen/xen_pt_config_init.c",
                     "xen_pt_msixctrl_reg_write, xen_pt_msgctrl_reg_write",
                     "4.3.0 .. 4.4.x (this form: no disable branch before c976437c7dba, qemu-xen-4.5.0; the bind "
                     "on Enable with Function Mask clear stays to qemu-xen-4.7.0-rc4)")
QEMU_C976437 = Source(Q, "c976437c7dba", "hw/xen/xen_pt_config_init.c, hw/xen/xen_pt_msi.c",
                      "xen_pt_msixctrl_reg_write -> xen_pt_msix_disable, xen_pt_msi_disable", "4.5..")
QEMU_UPDATE = Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt_msi.c", "msi_msix_setup, msi_msix_update, msi_msix_disable",
                     "all")
QEMU_MSI_SETUP = Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt_msi.c", "xen_pt_msi_setup, xen_pt_msi_update, "
                        "xen_pt_msi_disable", "all")
QEMU_XSA129 = Source(Q, "7611dae8a6", "hw/xen/xen_pt_config_init.c",
                     "xen_pt_emu_reg_msi (Message Control emu_mask 0x017F in the commit; 0x017E in the releases, with the "
                     "same day's 'xen/MSI: don't open-code pass-through of enable bit modifications' -- bit 8 "
                     "emulated in both; xen_pt_mask_reg_init)",
                     "qemu-xen-4.6.0.. (4.5.1, 4.4.3: stable backports) (qemu_msi_mask_emulated)")
QEMU_CFG_47 = Source(Q, "qemu-xen-4.7.0-rc4", "hw/xen/xen_pt_config_init.c", "xen_pt_msgctrl_reg_write",
                     "all (4.4.0 .. 4.7.0-rc4 read)")
QEMU_MASK_FIELD = Source("qemu/qemu", "2d0ed5e642", "hw/xen/xen_pt_config_init.c, hw/xen/xen_pt.h",
                         "xen_pt_mask_reg_write (s->msi->mask), XenPTMSI.mask", "qemu-xen-4.10.. (qemu_bind_unmask)")
QEMU_TRAD = Source("xen-project/qemu-xen-traditional", "xen-4.2.0 .. xen-4.8.0 (read in the fork "
                   "reinis-martinsons/frp-qemu-xen-traditional)", "hw/pt-msi.c, hw/pass-through.c",
                   "pci_msix_writel, pt_msix_update_one, pt_msixctrl_reg_write", "qemu-traditional")
IOEMU_2008 = Source("xen-project/xen", "f9307cbb49", "tools/ioemu/hw/pt-msi.c",
                    "pci_msix_writel -> mask_physical_msix_entry", "Xen 3.3 (2008)")
QEMU_CMD = Source("qemu/qemu", "2d0ed5e642", "hw/xen/xen_pt_config_init.c, hw/xen/xen_pt.c",
                  "xen_pt_emu_reg_header0 (Command: emu_mask 0x0743, res_mask 0xF880), xen_pt_cmd_reg_write, "
                  "xen_pt_word_reg_read, xen_pt_realize (host Command |= decode bits)",
                  "XSA-126 (2015): qemu-xen-4.6.0.. (727b998448), 4.5.1.. (c9ac5f816b), 4.4.3.. (32c5e5e70b); "
                  "upstream 81b23ef82c")
QEMU_CMD_OLD = Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt_config_init.c",
                      "xen_pt_emu_reg_header0 (Command: emu_mask 0x0740, ro_mask 0xF880), xen_pt_cmd_reg_write "
                      "(throughable_mask = ~emu_mask: the decode bits reach the device), xen_pt_cmd_reg_read",
                      "qemu-xen-4.3.0 .. 4.4.2, 4.5.0 (4.3.x: hw/xen_pt_config_init.c, no stable-4.3 copy); "
                      "qemu-traditional hw/pass-through.c pt_cmd_reg_write to xen-4.4.2, 4.5.0 "
                      "(platform.qemu_cmd_decode_emulated false)")
XEN_MSI_MASK_45 = Source("xen-project/xen", "RELEASE-4.5.0", "xen/arch/x86/msi.c, xen/arch/x86/hvm/vmsi.c",
                         "msi_set_mask_bit (MSI-X: writel of Vector Control, no decode check), write_msi_msg, "
                         "msixtbl_read (Vector Control: readl of the physical entry)", "<= 4.5 (RELEASE-4.6.0 adds memory_decoded)")
QEMU_REMAP = Source(Q, "qemu-xen-4.7.0-rc4", "hw/xen/xen_pt.c, hw/xen/xen_pt_msi.c",
                    "xen_pt_pci_write_config (pci_default_write_config inside a memory transaction), "
                    "xen_pt_region_update (the MSI-X region added: xen_pt_msix_update_remap), "
                    "xen_pt_msix_update_remap", "4.3.. (qemu-xen 4.4.0 .. 4.7.0-rc4 read)")
QEMU_IOREQ_SERVER = Source(Q, "qemu-xen-4.6.0", "xen-hvm.c, include/hw/xen/xen_common.h, memory.c",
                           "xen_hvm_init (xen_create_ioreq_server), xen_map_memory_section, unassigned_mem_read",
                           "4.6.. (7665d6ba98 = 3996e85c18); before: the default ioreq server")
XEN_NULL_HANDLER = Source("xen-project/xen", "RELEASE-4.6.0", "xen/arch/x86/hvm/emulate.c",
                          "hvmemul_do_io (no suitable backing DM: null_handler), null_read", "4.5..")
XEN_MMIO_RO = Source("xen-project/xen", "RELEASE-4.14.0", "xen/arch/x86/msi.c, xen/arch/x86/mm.c",
                     "msix_capability_init (the table and PBA pages into mmio_ro_ranges), "
                     "mmio_ro_emulated_write (an aligned store ignored)", "4.14")
PCIBACK_CMD = Source("torvalds/linux", "v6.6", "drivers/xen/xen-pciback/conf_space_header.c, pciback_ops.c, "
                     "pci_stub.c", "command_write (af6fc858a35b), xen_pcibk_reset_device, pcistub_init_device",
                     "4.0.., 3.19.2.. (inferred: af6fc858a35b, CVE-2015-2150, March 2015; the CVE text the SUSE / "
                     "Ubuntu / EulerOS advisories quote has 'the Linux kernel through 3.19.1'; no stable posting or "
                     "tree of it read, audit23. Before it command_write also wrote the guest's value)")
#: audit22: the reset's 'pci_write_config_word(dev, PCI_COMMAND, 0)' went with 7681f31ec9cd, read in its stable
#: postings of 2019-06-03 .. 06-09 (4.4, 4.9, 4.14, 4.19, 5.0: 'commit 7681f31ec9cd... upstream'), so upstream
#: before them; the mainline merge was not read: 5.2 is inferred (5.1 was out on 2019-05-05; no 5.1 posting found)
PCIBACK_RESET = Source("torvalds/linux", "7681f31ec9cd", "drivers/xen/xen-pciback/pciback_ops.c",
                       "xen_pcibk_reset_device (xen/pciback: Dont disable PCI_COMMAND on PCI device reset: the "
                       "'pci_write_config_word(dev, PCI_COMMAND, 0)' after pci_disable_device removed)",
                       "5.2.. (inferred) and the June 2019 stable releases of 5.0, 4.19, 4.14, 4.9, 4.4 (before: "
                       "Command 0 at the reset)")
PCIBACK_CFG = Source("torvalds/linux", "037dd1308c6d", "drivers/xen/xen-pciback/conf_space.c, conf_space_capability.c",
                     "xen_pcibk_config_write (a field no config_field handles is read-only unless permissive), "
                     "msi_msix_flags_write (no change without allow_interrupt_control); libxl "
                     "(xen-project/xen RELEASE-4.19.0 tools/libs/light/libxl_pci.c) writes only pciback's permissive",
                     "every pciback: read-only by default since the 2.6.x xen-pciback; msi_msix_flags_write from 2020")
QEMU_EMU_MSIX = Source("qemu/qemu", "428c3ece97", "hw/pci/msix.c", "msix_vector_masked (fix MSI injection on Xen)",
                       "qemu-xen 4.5.3 (df8471f739), 4.7.. (5d63cbb957); 4.6.3 by Xen's pins, its tree not read "
                       "(qemu_msix_pirq_ignore_mask)")

# --- Xen ------------------------------------------------------------------------------------------------
X = "xen-project/xen"
XEN_IRQ = Source(X, "RELEASE-4.5.0", "xen/arch/x86/irq.c", "get_free_pirq, map_domain_pirq, unmap_domain_pirq, "
                 "pirq_guest_bind, __do_IRQ_guest, pirq_acktype", "all")
XEN_PHYSDEV = Source(X, "RELEASE-4.5.0", "xen/arch/x86/physdev.c", "PHYSDEVOP_get_free_pirq, "
                     "PHYSDEVOP_irq_status_query, PHYSDEVOP_eoi, physdev_unmap_pirq", "all")
XEN_IO = Source(X, "RELEASE-4.5.0", "xen/drivers/passthrough/io.c", "pt_irq_create_bind, pt_irq_destroy_bind, "
                "hvm_dirq_assist", "all")
XEN_VMSI_44 = Source(X, "RELEASE-4.4.0", "xen/arch/x86/hvm/vmsi.c", "msixtbl_read, msixtbl_write, msixtbl_range, "
                     "msix_write_completion", "4.4..4.5 (4.2.4, 4.3.1 / 4.3.2: the stable backports)")
XEN_VMSI_42 = Source(X, "RELEASE-4.2.0", "xen/arch/x86/hvm/vmsi.c", "msixtbl_write (Vector Control discarded, no "
                     "msix_write_completion; 74c213c506)", "4.2.0..4.2.3, 4.3.0 (and 4.0.4, 4.1.3..4.1.6)")
XEN_VMSI_41 = Source(X, "RELEASE-4.1.0", "xen/arch/x86/hvm/vmsi.c", "msixtbl_write (writel(val, virt))",
                     "4.0.0..4.0.3, 4.1.0..4.1.2")
XEN_VMSI_COMPLETION = Source(X, "74fd0036de", "xen/arch/x86/hvm/vmsi.c, xen/arch/x86/hvm/io.c",
                             "msixtbl_write (msix_unmask_address), msix_write_completion, hvm_io_assist",
                             "4.4.. and 4.2.4.., 4.3.2.. (xen_msix_unmask_completion)")
XEN_VMSI_46 = Source(X, "RELEASE-4.6.0", "xen/arch/x86/hvm/vmsi.c", "msixtbl_read, msixtbl_write, msixtbl_range",
                     "4.6..")
XEN_VMSI_SNOOP = Source(X, "3a6222bd57", "xen/arch/x86/hvm/vmsi.c", "msixtbl_range (snoop), msixtbl_pt_register, "
                        "msix_write_completion", "4.7.. and 4.6.3.. (xen_msix_snoop_unmask)")
XEN_MSI_46 = Source(X, "RELEASE-4.6.0", "xen/arch/x86/msi.c", "msi_set_mask_bit, guest_mask_msi_irq, "
                    "startup_msi_irq", "4.6..")
XEN_EVTCHN = Source(X, "RELEASE-4.5.0", "xen/common/event_channel.c", "evtchn_bind_pirq, __evtchn_close", "all")
XEN_UNMASK = Source(X, "RELEASE-4.6.0", "xen/common/event_channel.c", "evtchn_unmask -> evtchn_port_unmask (the "
                    "guest's EVTCHNOP_unmask)", "all")
XEN_BIND_UNMASK = Source(X, "84d6add5593d", "xen/arch/x86/irq.c", "arch_evtchn_bind_pirq", "4.6..")
XEN_INJECT = Source(X, "RELEASE-4.5.0", "xen/arch/x86/hvm/irq.c", "hvm_inject_msi", "all")
XEN_2L = Source(X, "RELEASE-4.4.0", "xen/common/event_2l.c", "evtchn_2l_set_pending, evtchn_2l_unmask", "all")
XEN_FIFO = Source(X, "RELEASE-4.4.0", "xen/common/event_fifo.c", "evtchn_fifo_set_pending, evtchn_fifo_unmask, "
                  "evtchn_fifo_clear_pending, evtchn_fifo_init", "4.4..")
#: xen32: Xen's per-port default at every bind, and the per-priority queues, at RELEASE-4.19.0 too
XEN_FIFO_PRIO_419 = Source(X, "RELEASE-4.19.0", "xen/common/event_channel.c, xen/common/event_fifo.c",
                           "evtchn_bind_pirq -> evtchn_port_init -> evtchn_fifo_init, evtchn_fifo_set_pending "
                           "(queue[evtchn->priority], READY bit q->priority), evtchn_fifo_set_priority", "4.4..")
XEN_BUSY = Source(X, "RELEASE-4.7.0", "xen/common/event_channel.c, xen/common/event_fifo.c",
                  "get_free_port, evtchn_fifo_is_busy (78e24c269b)", "4.7.., 4.6.1.., 4.5.3.., 4.4.4.. "
                  "(xen_evtchn_skip_busy)")
XEN_BIND_VCPU = Source(X, "RELEASE-4.16.0", "xen/common/event_channel.c", "evtchn_bind_vcpu", "all")
XEN_FOLLOW_VCPU = Source(X, "38b998cfb6", "xen/common/event_channel.c, xen/common/schedule.c, xen/arch/x86/irq.c",
                         "evtchn_bind_vcpu (ECS_PIRQ: pirq_set_affinity), evtchn_move_pirqs, vcpu_migrate, "
                         "pirq_set_affinity", "4.1.. (platform.xen_pirq_follows_vcpu; RELEASE-4.0.0 .. 4.0.4: "
                         "neither)")
#: audit17: 69d99d1b22 itself names the flag VMSI_UNMASKED (0x10000, in io.c); 25dcf06ff7 moved it to the public
#: interface as XEN_DOMCTL_VMSI_X86_UNMASKED -- both first in 4.10.0-rc1 (git tag --contains), so the quote's
#: spelling is RELEASE-4.10.0's
XEN_IO_UNMASK = Source(X, "RELEASE-4.10.0", "xen/drivers/passthrough/io.c",
                       "pt_irq_create_bind (XEN_DOMCTL_VMSI_X86_UNMASKED -> guest_mask_msi_irq(desc, false); added "
                       "by 69d99d1b22 as VMSI_UNMASKED, renamed by 25dcf06ff7)", "4.10.. (xen_bind_unmask)")
XEN_QEMU_410 = Source(X, "20ed7c8177", "Config.mk", "QEMU_UPSTREAM_REVISION -> qemu-xen b79708a8ed (\"xen/pt: allow "
                      "QEMU to request MSI unmasking at bind time\")", "qemu-xen-4.10.. (qemu_bind_unmask)")
XEN_REBIND_EOI = Source(X, "RELEASE-4.6.0", "xen/drivers/passthrough/io.c",
                        "pt_irq_create_bind (update: pirq_guest_eoi), hvm_dpci_msi_eoi, __msi_pirq_eoi",
                        "all (8594809ef2; read 4.2.0 .. 4.21.0; audit26: from RELEASE-4.15.0 the function is in "
                        "xen/drivers/passthrough/x86/hvm.c, the same lines there at 4.15.0, 4.19.0, 4.21.0 and 4.22.0)")
XEN_VLAPIC_EOI = Source(X, "RELEASE-4.6.0", "xen/arch/x86/hvm/vlapic.c, xen/arch/x86/hvm/vmx/vmx.c, vmx/vmcs.c",
                        "vlapic_set_irq -> vmx_update_eoi_exit_bitmap(trig), vlapic_EOI_set, vlapic_handle_EOI, "
                        "EXIT_REASON_EOI_INDUCED, vmx_init_vmcs_config (apicv)", "4.6 .. 4.21 read")

XEN_HVM_PIRQS = Source(X, "RELEASE-4.19.0", "xen/common/kernel.c, tools/libs/light/libxl_create.c, "
                       "docs/man/xl.cfg.5.pod.in", "do_xen_version XENVER_get_features (has_pirq(d) ? "
                       "XENFEAT_hvm_pirqs), libxl__domain_build_info_setdefault (u.hvm.pirq false), hvm_pirq",
                       "4.1 .. 4.18 offered; 4.19.. only with hvm_pirq=1 (xen_hvm_pirqs)")
module("msidbg.model.xen", XEN_HVM_PIRQS, XEN_IRQ, XEN_PHYSDEV, XEN_IO, XEN_MSI_46, XEN_MSI_MASK_45, XEN_IO_UNMASK, XEN_REBIND_EOI)
XEN_VLAPIC_INIT = Source(X, "RELEASE-4.9.0", "xen/arch/x86/hvm/vlapic.c", "vlapic_init / vlapic_do_init",
                         "4.5..4.22 (read at RELEASE-4.5.0, 4.9.0, 4.11.0, 4.15.0, 4.16.0, 4.18.0, 4.22.0)")
XEN_HVMLOADER_LAPIC = Source(X, "RELEASE-4.9.0", "tools/firmware/hvmloader/config.h", "LAPIC_ID", "4.9..4.22 (read at both)")
XEN_HVM_INFO = Source(X, "RELEASE-4.9.0", "xen/include/public/hvm/hvm_info_table.h", "HVM_MAX_VCPUS", "all")
QEMU_GFLAGS = Source("qemu/qemu", "003f8dbc8e09", "hw/xen/xen_pt_msi.c", "msi_gflags (XEN_PT_GFLAGS_SHIFT_DM)", "all")
module("msidbg.model.vmsi", XEN_VMSI_41, XEN_VMSI_42, XEN_VMSI_44, XEN_VMSI_COMPLETION, XEN_VMSI_46, XEN_VMSI_SNOOP)
module("msidbg.model.evtchn", XEN_EVTCHN, XEN_IO, XEN_INJECT, XEN_BIND_VCPU)
module("msidbg.model.evtchn_abi", XEN_2L, XEN_FIFO, XEN_BUSY, LINUX_2L, LINUX_2L_30, LINUX_FIFO, LINUX_INIT_IRQ)
XEN_HVMLOADER_PCI = Source(X, "RELEASE-4.5.0", "tools/firmware/hvmloader/pci.c", "pci_setup (Bus Master in the "
                           "scan, Memory Space per assigned memory BAR)", "3.4 (20553adcd9) .. 4.12.2, 4.13.0 "
                           "(read at RELEASE-4.0.0 .. 4.4.0: hvmloader.c / pci.c; 4.12.2 and 4.13.0 have no "
                           "pci_devfn_decode_type)")
XEN_HVMLOADER_PCI_414 = Source(X, "RELEASE-4.19.0", "tools/firmware/hvmloader/pci.c", "pci_setup "
                               "(pci_devfn_decode_type: decode cleared while BARs are programmed, Master | Memory "
                               "written after every BAR is assigned; a8e0c228c7)", "4.14 .. 4.22, 4.12.3.., 4.13.1.. "
                               "(read at 4.19.0, 4.22.0; the stable copies 6bf8bdd5c6, first in RELEASE-4.12.3, and "
                               "a060e72626, first in RELEASE-4.13.1: audit21)")
module("msidbg.model.qemu", QEMU_MSI_44, QEMU_CFG_44, QEMU_CMD, QEMU_CMD_OLD, PCIBACK_CMD, PCIBACK_CFG, XEN_HVMLOADER_PCI, XEN_HVMLOADER_PCI_414)

# --- readings -------------------------------------------------------------------------------------------
M = "msidbg.model.qemu_pt"
reading("qemu.msix-table-zero-filled", "QEMU xen-pt's emulated MSI-X table starts zero-filled: the guest reads "
        "Vector Control 0 (unmasked) until it writes it; the physical entry still resets masked.",
        source=(QEMU_MSI_44, QEMU_TRAD),
        quote="s->msix = g_malloc0(sizeof (XenPTMSIX) + total_entries * sizeof (XenPTMSIXEntry)); / "
              "memset(dev->msix, 0, sizeof(struct pt_msix_info) + total_entries*sizeof(struct msix_entry_info));",
        module=M)
reading("qemu.bind-on-unmask", "xen-pt binds an entry's pirq when a Vector Control write unmasks an updated "
        "entry with MSI-X enabled, or when Message Control is written with Enable=1 and Function Mask=0 -- in "
        "every qemu-xen with xen-pt, 4.3.0 .. 4.7.0-rc4 (from 4.7 pci_msix_write binds at the unmask of an updated "
        "entry with the device's Vector Control and latches the rest; audit23).",
        source=(QEMU_MSI_44, QEMU_CFG_44, QEMU_MSI_47),
        quote="if (msix->enabled && !(val & PCI_MSIX_ENTRY_CTRL_MASKBIT)) { xen_pt_msix_update_one(s, entry_nr); } / "
              "if ((*val & PCI_MSIX_FLAGS_ENABLE) && !(*val & PCI_MSIX_FLAGS_MASKALL)) { xen_pt_msix_update(s); }",
        module=M)
reading("qemu.bind-on-write", "platform.xen_pt_bind: on-write binds when the pirq message's data is written: "
        "found in no QEMU source (tglx's guess in the 2022 thread); for experiments only. audit15 read pci_msix_write "
        "in qemu-xen-4.4.0, the stable-4.6 head 14a60f98e0 (the tree Xen 4.6.3 pinned before the qemu-xen-4.6.3 tag), "
        "qemu-xen-4.7.0-rc1 (the latched table) and qemu/qemu 003f8dbc8e09: an address/data write only stores the value "
        "and marks the entry updated; xen_pt_msix_update_one (the map and bind) runs from a Vector Control write that "
        "unmasks with MSI-X enabled (qemu.bind-on-unmask). Refuted as a reading of QEMU: kept as an experiment value.",
        status="hypothetical", source=(QEMU_MSI_44, QEMU_MSI_47),
        quote="entry->updated = true; } set_entry_value(entry, offset, val); if (offset == PCI_MSIX_ENTRY_VECTOR_CTRL) "
        "{ if (msix->enabled && !(val & PCI_MSIX_ENTRY_CTRL_MASKBIT)) { xen_pt_msix_update_one(s, entry_nr); } }",
        module=M)
reading("qemu.drop-write-to-live-entry", "Before the latched table an address/data write to an entry whose "
        "physical Vector Control is unmasked while MSI-X is enabled is dropped.",
        source=(QEMU_MSI_44, QEMU_TRAD),
        quote="if (msix->enabled && !(*vec_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT)) { XEN_PT_ERR(&s->dev, "
              "\"Can't update msix entry %d since MSI-X is already enabled.\\n\", entry_nr); return; }",
        module=M)
reading("qemu.latched-table", "From f0ada3608ac1 (qemu-xen-4.7.0-rc1) writes are kept and take effect on an "
        "entry without a pirq, with the function masked, or at the next unmask.",
        source=QEMU_MSI_47,
        quote="if (pirq == XEN_PT_UNASSIGNED_PIRQ || s->msix->maskall || (vec_ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT))",
        module=M)
reading("qemu.disable-before-c976437", "Before c976437c7dba (QEMU 2.1; in qemu-xen-4.5.0 as 5ecf46031c: "
        "qemu-xen-4.3.x / 4.4.x's xen-pt) clearing MSI-X (or MSI) Enable changes nothing but QEMU's enabled flag: the pirqs stay mapped and bound and QEMU keeps them per entry.",
        source=(QEMU_CFG_44, QEMU_C976437),
        quote="+    } else if (!(*val & PCI_MSIX_FLAGS_ENABLE) && s->msix->enabled) {\n+        xen_pt_msix_disable(s);",
        module=M)
reading("qemu.failed-bind-unmaps-own-pirq", "A failed bind (xc_domain_update_msi_irq) unmaps the entry's own "
        "pirq and forgets it; the entry stays updated.", source=QEMU_UPDATE,
        quote="if (xc_physdev_unmap_pirq(xen_xc, xen_domid, *old_pirq)) { ... } *old_pirq = XEN_PT_UNASSIGNED_PIRQ;",
        module=M)
reading("qemu.msi-update-own-pirq", "For MSI (not MSI-X) an address/data write re-binds QEMU's own msi->pirq: "
        "xen_pt_msi_update never reads the pirq from the message (only xen_pt_msi_setup does, at the first "
        "Enable). Before c976437c7dba (qemu-xen-4.5.0 as 5ecf46031c) a re-probed guest's new pirq is therefore never mapped; the device "
        "keeps signalling the old pirq, which has no event channel any more. Each register's write re-binds at "
        "once when its value changed and MSI is mapped, with the address and data QEMU holds then: an address "
        "write before the data write binds the new destination with the OLD vector (heldout_xen28 y11's tear; "
        "xen29 read xen_pt_msgaddr32_reg_write / xen_pt_msgaddr64_reg_write / xen_pt_msgdata_reg_write at "
        "2d0ed5e642 and 0ad3393ad0: the same test).",
        source=(QEMU_MSI_SETUP, QEMU_CFG_44,
                Source("qemu/qemu", "2d0ed5e642", "hw/xen/xen_pt_config_init.c",
                       "xen_pt_msgaddr32_reg_write, xen_pt_msgaddr64_reg_write, xen_pt_msgdata_reg_write "
                       "(s->msi->addr_lo / addr_hi / data := the merged value; xen_pt_msi_update if it changed and "
                       "msi->mapped)", "all (qemu-xen-4.4.0, 0ad3393ad0 and 2d0ed5e642 read)")),
        quote="return msi_msix_update(s, msi_addr64(msi), msi->data, msi->pirq, false, 0, &msi->pirq); / "
              "if (cfg_entry->data != old_addr) { if (s->msi->mapped) { xen_pt_msi_update(s); } }",
        module=M)
reading("qemu.xsa129-msi-mask", "From 7611dae8a6 (XSA-129; qemu-xen-4.6.0, 4.5.1, 4.4.3) xen-pt emulates MSI "
        "Per-vector Masking as absent and keeps the Mask Bits register to itself; before it Message Control's "
        "bit 8 showed the device's capability and mask writes reached the device.",
        source=(QEMU_XSA129, QEMU_CFG_44),
        quote="It's being used by the hypervisor. For now simply mimic a device not capable of masking, and "
              "fully emulate any accesses a guest may issue nevertheless as simple reads/writes without side "
              "effects. / .emu_mask = 0x007F -> 0x017F",
        module=M)
reading("qemu.msi-one-message", "xen-pt emulates MSI Message Control's Multiple Message Capable field (bits "
        "3:1) at its init_val 0 in every tree read: the guest sees a one-message MSI whatever the device can do, "
        "and its Multiple Message Enable stays in QEMU (redteam13; the model had shown the device's count).",
        source=(Source(Q, "qemu-xen-4.3.0 .. qemu-xen-4.7.0-rc4", "hw/xen/xen_pt_config_init.c (hw/xen_pt_config_init.c "
                       "in the qemu-xen-4.3.x trees: audit26)",
                       "xen_pt_emu_reg_msi (Message Control), xen_pt_msgctrl_reg_init", "all"),
                Source("qemu/qemu", "0ad3393ad0", "hw/xen/xen_pt_config_init.c",
                       "xen_pt_emu_reg_msi (Message Control), xen_pt_msgctrl_reg_init", "all"),
                Source("xen-project/qemu-xen-traditional", "xen-4.0.0 .. xen-4.8.0 (read in the fork "
                       "reinis-martinsons/frp-qemu-xen-traditional)", "hw/pass-through.c",
                       "pt_emu_reg_msi_tbl (Message Control), pt_msgctrl_reg_init", "qemu-traditional")),
        quote=".init_val = 0x0000, .ro_mask = 0xFF8E, .emu_mask = 0x007F (qemu-xen-4.3.0 .. 4.5.0) / 0x018E, "
              "0x017E (4.6.0 on, qemu/qemu today); xen_pt_msgctrl_reg_init: *data = reg->init_val; / "
              "qemu-traditional pt_msgctrl_reg_init: return reg->init_val;",
        module="msidbg.model.qemu")
reading("qemu.traditional-no-phys-mask", "qemu-traditional from Xen 4.2's tree (56d7747a \"qemu: clean up MSI-X "
        "table handling\") no longer writes the guest's mask bit to the physical entry (its table mapping is "
        "PROT_READ); up to Xen 4.1 (xen-4.0.0 .. 4.1.6.1 tags) and in the 2008 tools/ioemu it did "
        "(mask_physical_msix_entry): platform.qemu_writes_phys_mask, chosen by the Xen 4.0 / 4.1 presets.",
        source=(QEMU_TRAD, IOEMU_2008),
        quote="mask_physical_msix_entry(dev, entry_nr, entry->io_mem[3] & 0x1); (xen-4.1.0) / "
              "mmap(0, total_entries * 16 + ..., PROT_READ, MAP_SHARED | MAP_LOCKED, ...) (xen-4.2.0)",
        module=M)

reading("qemu.cmd-emulated", "xen-pt keeps the guest's I/O and Memory Space bits (and parity, SERR, INTx Disable) "
        "in its emulated Command register and passes Bus Master Enable through to the device; the device's Memory "
        "Space stays on (set by pciback, and by xen_pt_realize for the BARs it maps). Before XSA-126 (727b998448, "
        "qemu-xen-4.6.0; stable 32c5e5e70b qemu-xen-4.4.3, c9ac5f816b qemu-xen-4.5.1: git tag --contains, redteam9) "
        "xen_pt_cmd_reg_write used emu_mask 0x0740 and the I/O and Memory Space bits passed through to the device, "
        "except on an SR-IOV VF (is_virtfn: Memory Space emulated) -- qemu-xen-4.3.0 .. 4.4.2 and 4.5.0. Only a "
        "guest that clears Memory Space would see the difference, and there mostly in Xen's own table writes: "
        "xen_pt_pci_write_config commits the memory transaction (the remap's unbind and re-bind) before "
        "xen_host_pci_set_block writes the device, so those host mask writes meet a device that no longer decodes "
        "(qemu-xen-4.5.0 hw/xen/xen_pt.c). msidbg models both sides by release (platform.qemu_cmd_decode_emulated, "
        "qemu29): before the fix the guest's decode bits reach the device (QEMU's register takes them on both "
        "sides, so its BAR mapping follows the guest either way); the is_virtfn exception is not modelled.",
        source=(QEMU_CMD, QEMU_CMD_OLD),
        quote=".offset = PCI_COMMAND, .size = 2, .init_val = 0x0000, .res_mask = 0xF880, .emu_mask = 0x0743, ... "
        "*val = XEN_PT_MERGE_VALUE(*val, dev_value, throughable_mask);", module=M)
reading("xen.msix-mask-undecoded", "Before 4.6 Xen writes an MSI-X entry's Vector Control (msi_set_mask_bit: "
        "mask_msi_irq at a pirq's shutdown, unmask at startup, a guest's mask Xen's vMSI-X intercept passes on) and "
        "its host message (write_msi_msg) with a plain writel through its own mapping of the table: on a device whose "
        "Memory Space the guest switched off through a pre-XSA-126 QEMU nothing decodes it, and the entry keeps "
        "what it had -- a host move's new message included: Xen's descriptor then holds the new vector while the "
        "device still signals the old one, which stays mapped (irq_complete_move frees it only after an interrupt "
        "on the new vector). A guest's raw table write Xen handles shows it (msix.unclaimed); Xen's own writes are "
        "part of the hypercall and emit nothing. msixtbl_read answers a guest's Vector Control read with readl of the physical "
        "entry: all ones from a device that does not decode. From RELEASE-4.6.0 Xen tests memory_decoded instead: "
        "reading xen.msix-memory-decoded (xen33; before it the scenario refused a pre-XSA-126 QEMU with xen_msi_mask "
        "combined).", source=(XEN_MSI_MASK_45, QEMU_CMD_OLD),
        quote="case PCI_CAP_ID_MSIX: { int offset = PCI_MSIX_ENTRY_VECTOR_CTRL_OFFSET; writel(flag, "
        "entry->mask_base + offset); readl(entry->mask_base + offset); (4.5.0) / if ( likely(memory_decoded(pdev)) ) "
        "(4.6.0)", module=M)
XEN_MSI_DECODED = (Source(X, "RELEASE-4.6.0", "xen/arch/x86/msi.c, xen/arch/x86/pci.c, xen/arch/x86/traps.c, "
                          "xen/arch/x86/mm.c", "memory_decoded, msix_memory_decoded, write_msi_msg, msi_set_mask_bit, "
                          "msix_capability_init, pci_msi_conf_write_intercept (port I/O and MMCFG)",
                          "4.6 .. (082fdc6ce8, 0dba393db0, 484d7c852e: first in RELEASE-4.6.0, none in 4.5.1 .. 4.5.5)"),
                   Source(X, "RELEASE-4.19.0", "xen/arch/x86/msi.c", "msi_set_mask_bit, msix_capability_init, "
                          "pci_reset_msix_state (575e18d54d, 4.13: host_maskall cleared at assignment)",
                          "4.6 .. 4.19 (the same code read at RELEASE-4.7.0, 4.11.0 and 4.19.0)"))
reading("xen.msix-memory-decoded", "From RELEASE-4.6.0 (082fdc6ce8 'x86/MSI-X: be more careful during teardown', "
        "0dba393db0 'access MSI-X table only after having enabled MSI-X', 484d7c852e 'track host and guest mask-all "
        "requests separately'; the same code through 4.19) Xen reads Command's Memory Space before it touches an "
        "MSI-X table (msixtbl_write's guest mask included: guest_mask_msi_irq). msi_set_mask_bit: decoding, the writel of Vector Control (with MSI-X disabled around "
        "Enable | Function Mask, then Message Control as it was) and, MSI-X enabled, 'break' -- host_maskall and "
        "Message Control untouched; not decoding, a mask sets the Function Mask and host_maskall ('cannot mask IRQ "
        "%d: masking MSI-X on Dom%d's ...', once per domain) and an unmask writes nothing (unmask_msi_irq: WARN). "
        "Xen's intercept of dom0's Message Control writes keeps guest_maskall and ORs host_maskall in; only "
        "pci_reset_msix_state at assignment (575e18d54d, 4.13) clears it. So after one undecoded mask the whole "
        "function stays masked and its signals wait in the PBA. write_msi_msg writes nothing without decoding or "
        "without MSI-X Enable (msix_memory_decoded). msix_capability_init (every PHYSDEVOP_map_pirq of an MSI-X "
        "entry) sets host_maskall and Enable | Function Mask, and without decoding disables MSI-X and fails "
        "-ENXIO, host_maskall left set. msidbg: xen.set_phys_mask / _set_mask_checked, map_pirq, _write_msg, "
        "dom0_msix_ctrl (row xen_msix_memory_decoded), the record xen.maskall[dev] = [host_maskall, guest_maskall] (made when host_maskall is "
        "first set). Reached with a guest whose Memory Space write reaches the device (qemu_cmd_decode_emulated "
        "false): the release pairings have XSA-126 from 4.6, so on 4.6+ that is the switch's; the one-line "
        "warning is not an event.",
        source=XEN_MSI_DECODED,
        quote="if ( likely(memory_decoded(pdev)) ) { writel(flag, ...); ... if ( likely(control & "
              "PCI_MSIX_FLAGS_ENABLE) ) break; flag = 1; } else if ( flag && !(control & PCI_MSIX_FLAGS_MASKALL) ) "
              "{ ... maskall = 1; ... } pdev->msix->host_maskall = maskall; (msi_set_mask_bit) / if ( "
              "pdev->msix->host_maskall ) *data |= PCI_MSIX_FLAGS_MASKALL; (pci_msi_conf_write_intercept)",
        module="msidbg.model.xen")
reading("qemu.table-unmapped", "QEMU maps its emulated MSI-X table (a subregion of the BAR) only while the guest's "
        "Memory Space bit is set: xen_pt_pci_write_config calls pci_default_write_config, whose "
        "pci_update_mappings removes a BAR without PCI_COMMAND_MEMORY. A table access Xen's vMSI-X intercept does "
        "not handle then reaches no pci_msix_write: with QEMU as an ioreq server (qemu-xen 4.6+) Xen's null handler "
        "drops a write and reads all ones; as the default server QEMU's unassigned memory drops it and reads 0. "
        "Xen's intercept (msixtbl_range) does not look at QEMU's mappings: it still handles the entries it "
        "claims. When Memory Space is set again, xen_pt_region_add sees the table region and "
        "xen_pt_msix_update_remap unbinds every entry with a pirq and binds it again (xen_pt_msix_update, with "
        "the latched Vector Control). An unmask Xen passed on (msix_unmask_address armed) and the null handler "
        "dropped is applied by the vCPU's next hvm_io_assist, from f7039ee41b (4.14; 4.12.4, 4.13.2) its next "
        "schedule-in (reading "
        "xen.msixtbl.completion-at-resume; the model applied it at once before xenunmask25). The guest's Memory Space is on when its kernel starts (hvmloader's pci_setup: "
        "reading xen.hvmloader-cmd); only a guest that clears it unmaps the table.",
        source=(QEMU_REMAP, QEMU_IOREQ_SERVER, XEN_NULL_HANDLER, QEMU_CMD),
        quote="memory_region_transaction_begin(); pci_default_write_config(d, addr, val, len); ... if (s->msix && "
              "&s->msix->mmio == mr) { if (adding) { ... rc = xen_pt_msix_update_remap(s, s->msix->bar_index); } / "
              "/* If there is no suitable backing DM, just ignore accesses */", module=M)
reading("xen.hvmloader-cmd", "hvmloader's pci_setup, the HVM guest's firmware, leaves every PCI function it "
        "finds with Bus Master on (20553adcd9, Xen 3.4: every RELEASE-4.0.0 .. 4.22.0) and, once it has assigned a "
        "memory BAR, Memory Space on. a8e0c228c7 (4.14; 4.12.3, 4.13.1) clears the decode bits while it programs the BARs and "
        "sets Master | Memory in one write after every BAR is assigned, where before it set Master in the scan "
        "and Memory per BAR: the order differs, the Command the guest kernel finds does not, so there is no "
        "behaviour switch. Its writes trap into QEMU like the guest's: xen-pt keeps Memory Space in its emulated "
        "Command (the MSI-X table region is mapped; no entry has a pirq yet, so the remap binds nothing) and "
        "passes Bus Master to the device; QEMU's own devices take both. The guest's pci_enable_device and "
        "pci_set_master then write nothing, and a driver without pci_set_master works until a remove's "
        "pci_disable_device clears Bus Master. Not modelled: the Linux guest's BAR sizing at enumeration (decode "
        "off and on again around it, through QEMU: no net change; not read here) and whatever SeaBIOS or OVMF, "
        "which run after hvmloader, write (not read).", source=(XEN_HVMLOADER_PCI, XEN_HVMLOADER_PCI_414, QEMU_CMD),
        quote="/* Enable bus mastering. */ cmd = pci_readw(devfn, PCI_COMMAND); cmd |= PCI_COMMAND_MASTER; ... /* "
        "Now enable the memory or I/O mapping. */ cmd = pci_readw(devfn, PCI_COMMAND); ... cmd |= "
        "PCI_COMMAND_MEMORY; (4.5.0) / /* Enable bus master, memory and I/O decode for all valid functions. */ ... "
        "cmd = pci_readw(devfn, PCI_COMMAND); cmd |= pci_devfn_decode_type[devfn]; (4.19.0)", module="msidbg.model.qemu")
reading("pciback.cmd", "A device assigned through pciback is handed over with Memory Space on and Bus Master off "
        "(pcistub_init_device enables it, xen_pcibk_reset_device disables it, which clears only Bus Master). A PV "
        "guest's Command write reaches the device only through dom0's pci_enable_device / pci_disable_device and "
        "pci_set_master / pci_clear_master. audit22: the reset clears only Bus Master from 7681f31ec9cd (5.2 by "
        "inference; its stable postings of June 2019 for 5.0, 4.19, 4.14, 4.9, 4.4); a dom0 before it also wrote Command 0 there, "
        "so Memory Space stayed off until the guest's enable (command_write's pci_enable_device) or QEMU's "
        "realize set the decode bits. msidbg models no dom0 kernel release for the reset: its pciback is the newer one "
        "(xen35: kernel.pciback_cmd_emulated and kernel.pciback_msi_enabled_check take kernel.version for dom0's).",
        source=(PCIBACK_CMD, PCIBACK_RESET),
        quote="if (!pci_is_enabled(dev) && is_enable_cmd(value)) { ... pci_enable_device(dev); ... if "
        "(!dev->is_busmaster && is_master_cmd(value)) { ... pci_set_master(dev); } else if (dev->is_busmaster && "
        "!is_master_cmd(value)) { ... pci_clear_master(dev);", module="msidbg.model.qemu")

M = "msidbg.model.vmsi"
reading("xen.msixtbl.whole-table", "Once a pirq of the device is bound, Xen's handler claims the device's table: "
        "before 4.6 every address in a table page Xen has mapped, from 4.6 entries with an msi_desc.",
        source=(XEN_VMSI_44, XEN_VMSI_46),
        quote="virt = msixtbl_addr_to_virt(entry, addr); ... return !!virt; (4.4) / "
              "desc = msixtbl_addr_to_desc(msixtbl_find_entry(v, addr), addr); ... return !!desc; (4.6)", module=M)
reading("xen.msixtbl.forward-after-address-change", "A Vector Control write after an address/data write goes to "
        "QEMU (<= 4.5 any, 4.6+ only an unmask); from 74fd0036de (4.4; 4.2.4, 4.3.2) an unmask is applied by Xen "
        "again once QEMU is done, before it the physical entry keeps the mask it had.",
        source=(XEN_VMSI_42, XEN_VMSI_COMPLETION, XEN_VMSI_44, XEN_VMSI_46),
        quote="/* exit to device model if address/data has been modified */ if ( test_and_clear_bit(nr_entry, "
              "&entry->table_flags) ) { if ( !(val & PCI_MSIX_VECTOR_BITMASK) ) "
              "v->arch.hvm_vcpu.hvm_io.msix_unmask_address = address; goto out; }", module=M)
#: xenred25: the completion that meets a table_flags bit arms msix_unmask_address again
XEN_VMSI_REARM = Source(X, "RELEASE-4.7.0", "xen/arch/x86/hvm/vmsi.c, xen/arch/x86/hvm/ioreq.c",
                        "msix_write_completion -> msixtbl_write (test_and_clear_bit(nr_entry, &entry->table_flags)), "
                        "hvm_io_assist", "4.4.. (xen_msix_unmask_completion)")
XEN_IO_COMPLETION = Source(X, "f7039ee41b", "xen/arch/x86/hvm/ioreq.c", "handle_hvm_io_completion "
                           "(msix_write_completion moved out of hvm_io_assist)", "4.14.. and 4.12.4.., 4.13.2..")
reading("xen.msixtbl.completion-rearm", "msix_write_completion applies an armed unmask by calling msixtbl_write(v, "
        "ctrl_address, 4, 0) -- the guest's write again. If the entry's table_flags bit is set then (an address/data "
        "write Xen claimed after the unmask was forwarded, or a stale one: the guest's same-value rewrite after "
        "request_irq on 4.x .. 5.13 guests, on an msixtbl entry the inverted msixtbl_pt_unregister kept across its "
        "bindings), it clears the bit, arms msix_unmask_address again and returns X86EMUL_UNHANDLEABLE ('MSI-X write "
        "completion failure'): the unmask is applied by the vCPU's next completion, hvm_io_assist of its next "
        "device-model round trip. From f7039ee41b (4.14; 4.12.4, 4.13.2) handle_hvm_io_completion calls it at the "
        "vCPU's next schedule-in (xenred25; modelled by reading xen.msixtbl.completion-at-resume, xenunmask25).",
        source=(XEN_VMSI_REARM, XEN_IO_COMPLETION),
        quote="test_and_clear_bit(nr_entry, &entry->table_flags) ) { v->arch.hvm_vcpu.hvm_io.msix_unmask_address = "
              "address; goto out; } / if ( msixtbl_write(v, ctrl_address, 4, 0) != X86EMUL_OKAY ) gdprintk("
              "XENLOG_WARNING, \"MSI-X write completion failure\\n\"); / hvm_io_assist: msix_write_completion(v);", module=M)
#: xenunmask25: from f7039ee41b msix_write_completion runs at every hvm_do_resume (each schedule-in)
XEN_RESUME_414 = Source(X, "RELEASE-4.14.0", "xen/arch/x86/hvm/ioreq.c, xen/arch/x86/hvm/hvm.c, "
                        "xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/vmx/vmx.c, xen/arch/x86/domain.c, "
                        "xen/arch/x86/hvm/hvm.c (hvm_hlt)",
                        "handle_hvm_io_completion <- hvm_do_resume <- vmx_do_resume (ctxt_switch->tail: "
                        "context_switch, continue_running); hvm_hlt -> SCHEDOP_block",
                        "4.14.. and 4.12.4.., 4.13.2.. (xen_msix_completion_at_resume)")
XEN_RESUME_419 = Source(X, "RELEASE-4.19.2", "xen/common/ioreq.c, xen/arch/x86/hvm/hvm.c",
                        "vcpu_ioreq_handle_completion <- hvm_do_resume", "4.15..")
XEN_ASSIST_413 = Source(X, "RELEASE-4.13.1", "xen/arch/x86/hvm/ioreq.c", "hvm_io_assist (msix_write_completion "
                        "its only caller; also RELEASE-4.12.3)", "<= 4.13.1, 4.12.3")
LINUX_STOPPER_WAKE = Source(L, "v6.6", "kernel/stop_machine.c", "stop_machine_cpuslocked -> stop_cpus -> "
                            "queue_stop_cpus_work -> cpu_stop_queue_work (__cpu_stop_queue_work: wake_q_add of the "
                            "CPU's stopper thread; wake_up_q)", "all")
reading("xen.msixtbl.completion-at-resume", "From f7039ee41b (4.14; stable-4.12 436ec68ea2 in 4.12.4, stable-4.13 "
        "05ba427181 in 4.13.2) msix_write_completion is called by handle_hvm_io_completion after its wait loop, "
        "that is by every hvm_do_resume: vmx_do_resume / svm_do_resume, the context-switch tail run by "
        "context_switch and continue_running -- each schedule-in of the vCPU, whether or not an ioreq was "
        "pending. An unmask a failed completion armed again is applied at the vCPU's next schedule-in. Before, "
        "hvm_io_assist (a device-model ioreq completing) was its only caller. msidbg's schedule-ins: the end of "
        "the vCPU's round trip (it was blocked on the ioreq's event channel), a scenario action starting on a "
        "halted vCPU (a halted HVM vCPU is blocked: hvm_hlt -> SCHEDOP_block, so the task's wake-up schedules it "
        "in; a step of its own before the action), a vcpu_migrate of a running vCPU to another pCPU (where the "
        "model already runs vmx_do_resume's hvm_migrate_pirqs), every halted vCPU a CPU offline's stop_machine "
        "wakes: stop_machine_cpuslocked queues multi_cpu_stop on each online CPU and wakes its stopper thread "
        "(cpu_stop_queue_work -> wake_up_q), so the vCPU is scheduled in before its stopper runs -- the dying "
        "vCPU before take_cpu_down's moves (xenred26: tests/heldout_xen26 w41; before, its first round trip met "
        "the armed unmask with the move's address write claimed and re-armed it), and (xentick26: "
        "xen.sched.wake-schedules-in) an interrupt for a halted vCPU and its periodic guest tick. Not "
        "represented: a NO_HZ_IDLE guest's timers, the Xen scheduler's own time-slice continue_running of a "
        "running vCPU.",
        source=(XEN_RESUME_414, XEN_RESUME_419, XEN_ASSIST_413, LINUX_STOPPER_WAKE),
        quote="vio->io_req.state = hvm_ioreq_needs_completion(&vio->io_req) ? STATE_IORESP_READY : "
              "STATE_IOREQ_NONE; msix_write_completion(v); vcpu_end_shutdown_deferral(v); (handle_hvm_io_completion) "
              "/ if ( !handle_hvm_io_completion(v) ) return; (hvm_do_resume) / .tail = vmx_do_resume, / "
              "do_sched_op(SCHEDOP_block, guest_handle_from_ptr(NULL, void)); (hvm_hlt)", module=M)
#: xentick26: a halted vCPU's wake-up is a schedule-in; a halted vCPU's migration is not
XEN_WAKE_419 = Source(X, "RELEASE-4.19.2", "xen/arch/x86/hvm/vlapic.c, xen/arch/x86/domain.c, "
                      "xen/common/sched/core.c, xen/common/event_channel.c",
                      "vlapic_set_irq -> vcpu_kick -> vcpu_unblock -> vcpu_wake; vcpu_mark_events_pending; "
                      "vcpu_block; sched_context_switch -> context_switch / continue_running", "all")
XEN_MIGRATE_419 = Source(X, "RELEASE-4.19.2", "xen/common/sched/core.c, xen/arch/x86/hvm/vmx/vmcs.c",
                         "sched_unit_migrate_start, sched_unit_migrate_finish (sched_move_irqs, vcpu_wake), "
                         "vmx_do_resume (hvm_migrate_pirqs on a new pCPU)", "all")
XEN_MIGRATE_45 = Source(X, "RELEASE-4.5.0", "xen/common/schedule.c, xen/arch/x86/hvm/svm/svm.c",
                       "vcpu_migrate (v->processor = new_cpu; sched_move_irqs: arch_move_irqs, empty on x86, "
                       "and evtchn_move_pirqs; vcpu_wake), vcpu_wake "
                       "(vcpu_runnable), svm_do_resume (launch_core != smp_processor_id: hvm_migrate_pirqs)",
                       "<= 4.12 (schedule.c; svm_do_resume: all)")
XEN_RESUME_MIGRATE_40 = Source(X, "RELEASE-4.0.0", "xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/hvm.c",
                               "vmx_do_resume (active_cpu != smp_processor_id: vmx_clear_vmcs, vmx_load_vmcs, "
                               "hvm_migrate_timers, hvm_migrate_pirqs), hvm_migrate_pirqs", "all")
LINUX_TICK = Source(L, "v4.19.79", "kernel/time/Kconfig, kernel/time/tick-sched.c, kernel/Kconfig.hz, "
                    "arch/x86/configs/x86_64_defconfig", "NO_HZ_IDLE / HZ_PERIODIC choice, setup_tick_nohz "
                    "(nohz=off), tick_nohz_idle_stop_tick; CONFIG_NO_HZ=y, CONFIG_HZ_1000=y", "all")
reading("xen.sched.wake-schedules-in", "A halted HVM vCPU is blocked (hvm_hlt -> SCHEDOP_block -> vcpu_block: "
        "_VPF_blocked). An interrupt for it -- vlapic_set_irq (or the posted-interrupt path), an event channel's "
        "vcpu_mark_events_pending -> hvm_assert_evtchn_irq -- calls vcpu_kick -> vcpu_unblock, which clears "
        "_VPF_blocked and calls vcpu_wake: the vCPU is runnable and the scheduler switches to it "
        "(context_switch -> ctxt_switch->tail = vmx_do_resume -> hvm_do_resume) before the VM entry that "
        "injects the interrupt. So an interrupt for a halted vCPU schedules it in first, and from f7039ee41b (4.14; "
        "4.12.4, 4.13.2) "
        "applies an unmask a failed msix_write_completion left armed (the model: a step before the vCPU accepts "
        "the vector). The guest tick is such an interrupt (the LAPIC timer, or on a PVHVM guest Xen's "
        "singleshot timer -> VIRQ_TIMER): Linux's default NO_HZ_IDLE (kernel/time/Kconfig 'default NO_HZ_IDLE if "
        "NO_HZ', x86_64_defconfig CONFIG_NO_HZ=y) stops an idle CPU's tick until its next timer, which msidbg "
        "does not represent (kernel.guest_tick nohz_idle, the default); HZ_PERIODIC or nohz=off keep a tick "
        "each 1/HZ on every CPU (kernel.guest_tick hzN: ticks at multiples of the period of the run's clock, "
        "the phase being unknown; only ticks that can apply an armed unmask are represented). A tick to a "
        "running vCPU is taken in guest mode: no schedule-in.",
        source=(XEN_WAKE_419, LINUX_TICK),
        quote="if ( hvm_funcs.deliver_posted_intr ) ... else if ( !vlapic_test_and_set_irr(vec, vlapic) ) "
              "vcpu_kick(target); (vlapic_set_irq) / vcpu_unblock(v); (vcpu_kick) / if ( !test_and_clear_bit("
              "_VPF_blocked, &v->pause_flags) ) return; ... vcpu_wake(v); (vcpu_unblock) / prompt \"Timer tick "
              "handling\" default NO_HZ_IDLE if NO_HZ (kernel/time/Kconfig)", module=M)
#: audit24 (audit23's lead): the evtchn_move_pirqs call the model makes at every vCPU migration had only
#: xen.pirq-follows-vcpu's 38b998cfb6 diff behind it; read at RELEASE-4.1.0 / 4.5.0 (schedule.c), 4.14.0 / 4.19.0
#: (sched/core.c), event_channel.c and x86 irq.c of the same tags
XEN_MOVE_PIRQS = (Source(X, "RELEASE-4.5.0", "xen/common/schedule.c, xen/common/event_channel.c, xen/arch/x86/irq.c, "
                         "xen/include/asm-x86/irq.h",
                         "vcpu_migrate ('if ( old_cpu != new_cpu ) sched_move_irqs(v);'), schedule() "
                         "(next_slice.migrated), sched_move_domain; sched_move_irqs: arch_move_irqs (empty on x86), "
                         "evtchn_move_pirqs (v->pirq_evtchn_head list: pirq_set_affinity(d, chn->u.pirq.irq, "
                         "cpumask_of(v->processor))); pirq_set_affinity -> irq_set_affinity (pending_mask, "
                         "IRQ_MOVE_PENDING)", "4.1.. (platform.xen_pirq_follows_vcpu; 4.1.0 calls evtchn_move_pirqs "
                         "directly, sched_move_irqs from 4.5)"),
                  Source(X, "RELEASE-4.19.0", "xen/common/sched/core.c, xen/common/event_channel.c, "
                         "xen/arch/x86/irq.c",
                         "sched_unit_migrate_finish ('if ( old_cpu != new_cpu ) sched_move_irqs(unit);'), "
                         "sched_context_switch (vnext->sched_unit->migrated: vcpu_move_irqs), sched_move_domain; "
                         "evtchn_move_pirqs under read_lock(&d->event_lock)", "4.14.. (sched/core.c)"))
reading("xen.sched.migrate-evtchn-pirqs", "When Xen's scheduler moves a vCPU to another pCPU it runs "
        "evtchn_move_pirqs for it (sched_move_irqs / vcpu_move_irqs; arch_move_irqs is empty on x86): for every "
        "port on the vCPU's pirq list -- linked by EVTCHNOP_bind_pirq, relinked by EVTCHNOP_bind_vcpu, so a PV "
        "guest's pirqs and a PV-on-HVM guest's event-channel pirqs alike -- pirq_set_affinity toward the new "
        "pCPU, whose irq_set_affinity only records pending_mask and IRQ_MOVE_PENDING: the host irq moves at its "
        "next interrupt (xen.move-at-ack). The callers: vcpu_migrate / sched_unit_migrate_finish when the pCPU "
        "changed (at the migration, whether the vCPU runs or is blocked), the context switch to a vCPU the "
        "scheduler itself moved (schedule()'s next_slice.migrated, sched_context_switch's ->migrated), and "
        "sched_move_domain (cpupools). msidbg's vCPU migration is the first: the pirqs of the ports bound to the "
        "vCPU are asked to move at once (the vcpu_migrate action), before an HVM guest's hvm_migrate_pirqs, which waits "
        "for the vCPU's next VM entry on the new pCPU (xen.sched.migrate-blocked). Not modelled: cpupools and "
        "the scheduler's own load balancing (no scheduler is simulated).",
        source=XEN_MOVE_PIRQS, module="msidbg.model.xen",
        quote="if ( old_cpu != new_cpu ) sched_move_irqs(v); (vcpu_migrate, 4.5.0) / static void "
              "sched_move_irqs(struct vcpu *v) { arch_move_irqs(v); evtchn_move_pirqs(v); } / for ( port = "
              "v->pirq_evtchn_head; port; port = chn->u.pirq.next_port ) { chn = evtchn_from_port(d, port); "
              "pirq_set_affinity(d, chn->u.pirq.irq, mask); } / desc->status |= IRQ_MOVE_PENDING; "
              "(irq_set_affinity)")
reading("xen.sched.migrate-blocked", "sched_unit_migrate_start sets _VPF_migrating and puts the vCPU to sleep; "
        "sched_unit_migrate_finish moves the unit to the new pCPU, calls sched_move_irqs when the pCPU changed "
        "and then vcpu_wake, which makes the vCPU runnable only if vcpu_runnable holds: a halted (_VPF_blocked) "
        "vCPU stays blocked, so its migration is no schedule-in -- vmx_do_resume (hvm_migrate_pirqs, "
        "hvm_do_resume) runs at its next wake-up on the new pCPU. A running vCPU is descheduled and scheduled "
        "in there at once. vmx_do_resume runs hvm_migrate_pirqs only when the VMCS was last active on another "
        "pCPU (active_cpu, changed only by vmx_clear_vmcs; svm_do_resume: launch_core), every release 4.0.0 .. "
        "4.19.2: a halted vCPU's pirqs follow it at its next wake-up (interrupt, tick, task, stop_machine "
        "wake-up), and not at all when it was moved back before it woke (hvmmig27; before, the model ran "
        "hvm_migrate_pirqs at the migration). The interrupt that wakes it was acked before vcpu_kick: the "
        "move it asks is applied at the next one. A vCPU blocked on a device-model ioreq: "
        "xen.sched.migrate-ioreq.",
        source=(XEN_MIGRATE_419, XEN_MIGRATE_45, XEN_RESUME_MIGRATE_40),
        quote="if ( old_cpu != new_cpu ) sched_move_irqs(unit); /* Wake on new CPU. */ "
              "for_each_sched_unit_vcpu ( unit, v ) vcpu_wake(v); (sched_unit_migrate_finish) / if ( likely("
              "vcpu_runnable(v)) ) { ... sched_wake(unit_scheduler(unit), unit); (vcpu_wake) / if ( "
              "v->arch.hvm.vmx.active_cpu == smp_processor_id() ) vmx_vmcs_reload(v); else { ... "
              "hvm_migrate_timers(v); hvm_migrate_pirqs(v); (vmx_do_resume)", module=M)
XEN_IOREQ_BLOCK_419 = Source(X, "RELEASE-4.19.2", "xen/common/ioreq.c, xen/include/xen/event.h, "
                             "xen/common/event_channel.c, xen/common/sched/core.c",
                             "ioreq_send (prepare_wait_on_xen_event_channel, IOREQ_STATUS_RETRY), "
                             "default_xen_notification_fn (vcpu_wake), vcpu_unblock (_VPF_blocked only), "
                             "vcpu_runnable (any pause_flags bit)", "all")
XEN_IOREQ_BLOCK_40 = Source(X, "RELEASE-4.0.0", "xen/arch/x86/hvm/hvm.c, xen/common/event_channel.c, "
                            "xen/common/schedule.c",
                            "hvm_send_assist_req (prepare_wait_on_xen_event_channel), evtchn_send "
                            "(consumer_is_xen: clear _VPF_blocked_in_xen, vcpu_wake), vcpu_unblock", "all")
reading("xen.sched.migrate-ioreq", "A vCPU whose access went to the device model is blocked in Xen from the moment "
        "the request is sent: hvm_send_ioreq / ioreq_send (hvm_send_assist_req in 4.0) runs "
        "prepare_wait_on_xen_event_channel, which sets _VPF_blocked_in_xen and raises SCHEDULE_SOFTIRQ. Only "
        "the device model's notification clears it and wakes the vCPU (default_xen_notification_fn; evtchn_send's "
        "consumer_is_xen branch in 4.0); an interrupt's vcpu_kick -> vcpu_unblock clears only _VPF_blocked, so it "
        "stays pending until then; vcpu_runnable is false while any pause_flags bit is set. A vcpu_migrate "
        "meanwhile is a migration of a blocked vCPU (xen.sched.migrate-blocked): vcpu_wake leaves it blocked, and "
        "its schedule-in on the new pCPU -- vmx_do_resume (the context-switch tail: the stack is reset, the wait "
        "is not resumed in place), hvm_migrate_pirqs before hvm_do_resume's handle_hvm_io_completion -- is QEMU's "
        "completion. A migration there and back before it asks nothing (active_cpu). Every release 4.0.0 .. "
        "4.19.2 (xen28; before, the model took the vCPU as running and asked the moves at the migration).",
        source=(XEN_IOREQ_BLOCK_419, XEN_IOREQ_BLOCK_40, XEN_RESUME_MIGRATE_40),
        quote="prepare_wait_on_xen_event_channel(port); ... p->state = STATE_IOREQ_READY; "
              "notify_via_xen_event_channel(d, port); sv->pending = true; return IOREQ_STATUS_RETRY; (ioreq_send) / "
              "if ( test_and_clear_bit(_VPF_blocked_in_xen, &v->pause_flags) ) vcpu_wake(v); "
              "(default_xen_notification_fn) / if ( !test_and_clear_bit(_VPF_blocked, &v->pause_flags) ) "
              "return; (vcpu_unblock)", module=M)
reading("xen.msixtbl.early-mask", "Before a35137373a (4.4; 4.2.4, 4.3.1) Xen takes a guest's Vector Control write to a mapped table "
        "page without looking for its msi_desc: from 74c213c506 (4.2; 4.0.4, 4.1.3) it discards it (the physical "
        "bit stays Xen's, so the 2022 late msix_mask_all does not mask on 4.2.0 .. 4.2.3 and 4.3.0); before, "
        "the guest's value is written to the physical entry even while Xen has it masked.",
        source=(XEN_VMSI_42, XEN_VMSI_41),
        quote="/* Do not allow the mask bit to be changed. */ #if 0 /* XXX ... So for now just discard the write "
              "(also saving us from having to determine the matching irq_desc). */ ... #endif r = X86EMUL_OKAY; / "
              "virt = msixtbl_addr_to_virt(entry, address); if ( !virt ) goto out; writel(val, virt); (4.1)",
        module=M)
reading("xen.msixtbl.direct-mask", "From a35137373a (4.4; 4.2.4, 4.3.1) until 4.6 a guest mask write to a bound "
        "entry is written to the physical entry, unless Xen itself has the entry masked: then it is ignored.",
        source=XEN_VMSI_44,
        quote="Do not allow guest to modify MSI-X control bit if it is masked by Xen. ... "
              "val &= PCI_MSIX_VECTOR_BITMASK; val |= (orig & ~PCI_MSIX_VECTOR_BITMASK); writel(val, virt);",
        module=M)
reading("xen.msixtbl.read-shadow", "Before 4.6 address/data reads of entries 0-2 come from Xen's shadow even when "
        "nothing was written since the binding (0); Vector Control reads return the physical bit.",
        source=XEN_VMSI_44, quote="if ( nr_entry >= MAX_MSIX_ACC_ENTRIES ) goto out; index = offset / "
        "sizeof(uint32_t); *pval = entry->gentries[nr_entry].msi_ad[index];", module=M)
reading("xen.msixtbl.first-unmask", "From 3a6222bd57 (4.7; stable-4.6 3b412a9afd, 4.6.3) an unmask of a Vector "
        "Control that msixtbl_range cannot claim is snooped; if QEMU's handling of that write registers the "
        "entry (pt_irq_create_bind -> msixtbl_pt_register), Xen applies the unmask once QEMU is done. Before, it "
        "reached QEMU only and Xen kept the entry guest-masked.", source=XEN_VMSI_SNOOP,
        quote="Qemu invokes xc_domain_update_msi_irq(), ultimately leading to msixtbl_pt_register(), upon seeing "
        "that first unmask operation. Yet for msixtbl_range() to return true ... msixtbl_pt_register() must have "
        "completed. Deal with this by snooping suitable writes in msixtbl_range()", module=M)
reading("xen.msixtbl.refcount-inverted", "msixtbl_pt_unregister deletes the device's entry while bindings remain "
        "and keeps it when the last goes, until ea87662c77 (4.22.0; its copies 3d932ff970, 9fb2b66c60, 747d10b76f are first in "
        "RELEASE-4.19.4, 4.20.3, 4.21.1: row platform.xen_msixtbl_refcount).", source=XEN_VMSI_44,
        quote="if ( !atomic_dec_and_test(&entry->refcnt) ) del_msixtbl_entry(entry);", module=M)

M = "msidbg.model.qemu_pt"
reading("qemu.bind-unmask-flag", "From qemu-xen-4.10 xen-pt sets XEN_DOMCTL_VMSI_X86_UNMASKED in the gflags "
        "it binds with when the entry is unmasked at bind time: MSI-X by the Vector Control "
        "xen_pt_msix_update_one is given (the guest's latched bit at Enable, the physical bit on an unmask write), "
        "MSI by bit 0 of QEMU's msi->mask (0 unless the guest writes the Mask Bits register, which from XSA-129 "
        "it is not shown; such a write stores the device's bits there, the register being read-only to the "
        "guest: reading qemu.msi-mask-write-keeps-device-bits -- until xen29 the model stored the guest's value, "
        "which 5.15.0's unchecked mask-all write made differ, heldout_xen28 y31). The release is read in Xen's Config.mk history and the msi->mask field it added in "
        "a later QEMU; the msi_msix_update change itself was not read (no stored xen_pt_msi.c after 2016), so "
        "which bit it passes follows the purpose Xen's 69d99d1b22 states.",
        source=(XEN_QEMU_410, XEN_IO_UNMASK, QEMU_MASK_FIELD),
        quote="Config.mk: Update QEMU changeset. New commits: - xen/pt: allow QEMU to request MSI unmasking at "
              "bind time To fix a passthrough bug. / This is required for the device model in order to be "
              "capable of binding MSIX interrupts that have the entry mask bit already unset at bind time. / "
              "uint32_t mask; /* guest mask bits */ / s->msi->mask = *val;",
        module=M)
reading("qemu.msi-mask-write-keeps-device-bits", "From XSA-129 QEMU's MSI Mask Bits register is emulated read-only "
        "(emu_mask = ro_mask = 0xFFFFFFFF, init_val 0): a guest write changes neither QEMU's register -- "
        "xen_pt_long_reg_write's writable_mask is 0, so the guest reads 0 -- nor the device -- its throughable mask "
        "~(emu_mask | ro_mask) is 0, so the value written back is dev_value, the device's current bits that "
        "xen_pt_pci_write_config read. From 2d0ed5e642 (qemu-xen-4.10) xen_pt_mask_reg_write keeps that value in "
        "msi->mask, whose bit 0 decides the bind's unmask flag (qemu.bind-unmask-flag): the DEVICE's bits, not "
        "the guest's. Read at 2d0ed5e642 (xen_pt_mask_reg_write, get_throughable_mask, xen_pt_long_reg_write, "
        "the MSI register table) and in an XSA-129-era copy (0ad3393ad0: the same masks).",
        source=(QEMU_MASK_FIELD, QEMU_XSA129),
        quote="uint32_t throughable_mask = ~(reg->emu_mask | reg->ro_mask); ... writable_mask = reg->emu_mask & "
              "~reg->ro_mask & valid_mask; ... *val = XEN_PT_MERGE_VALUE(*val, dev_value & ~reg->rw1c_mask, "
              "throughable_mask); ... rc = xen_pt_long_reg_write(s, cfg_entry, val, dev_value, valid_mask); ... "
              "s->msi->mask = *val; ... .ro_mask = 0xFFFFFFFF, .emu_mask = 0xFFFFFFFF, "
              "... .u.dw.write = xen_pt_mask_reg_write,",
        module=M)
reading("qemu.msi-setup-failure-keeps-enable", "When the first MSI map (xen_pt_msi_setup) or bind "
        "(xen_pt_msi_update) fails, xen_pt_msgctrl_reg_write clears Enable from the value written to the device "
        "and leaves MSI uninitialized: the device is not enabled, the next Enable write retries.",
        source=(QEMU_CFG_44, QEMU_CFG_47),
        quote="if (xen_pt_msi_setup(s)) { ... *val &= ~PCI_MSI_FLAGS_ENABLE; XEN_PT_WARN(&s->dev, \"Can not map "
              "MSI.\\n\"); return 0; } if (xen_pt_msi_update(s)) { *val &= ~PCI_MSI_FLAGS_ENABLE; ...", module=M)

M = "msidbg.model.xen"
XEN_MSI_AFFINITY = Source(X, "RELEASE-4.5.0", "xen/arch/x86/msi.c, xen/arch/x86/irq.c",
                          "set_msi_affinity, write_msi_msg, ack_nonmaskable_msi_irq, pci_msi_nonmaskable; "
                          "move_native_irq, move_masked_irq, __assign_irq_vector, irq_complete_move, irq_set_affinity",
                          "all (RELEASE-4.22.0: the same order of writes; write_msi_msg skips the hardware only "
                          "under interrupt remapping)")
XEN_BIND_AFFINITY = Source(X, "1aeb1156fa", "xen/arch/x86/irq.c", "pirq_guest_bind (set_affinity before startup)",
                           "4.6.. and 4.4.3.., 4.5.1.. (platform.xen_bind_affinity_first)")
XEN_MIGRATE_PIRQ = Source(X, "RELEASE-4.5.0", "xen/drivers/passthrough/io.c, xen/arch/x86/hvm/hvm.c, "
                          "xen/common/event_channel.c", "pt_irq_create_bind (dest_vcpu_id, hvm_migrate_pirqs), "
                          "hvm_migrate_pirq, evtchn_bind_vcpu (ECS_PIRQ: pirq_set_affinity)",
                          "all (782cf8ba46, 4.12: only the bound pirq, hvm_migrate_pirq)")
XEN_VCPU_DOWN_419 = Source(X, "RELEASE-4.19.2", "xen/arch/x86/hvm/hvm.c, xen/arch/x86/hvm/vlapic.c, "
                           "xen/arch/x86/domain.c", "hvm_hlt (no X86_EFLAGS_IF: hvm_vcpu_down), hvm_vcpu_down "
                           "(_VPF_down), vlapic_init_sipi_one (INIT: vcpu_reset; STARTUP: hvm_vcpu_reset_state; "
                           "vcpu_unpause), hvm_vcpu_reset_state (clear_bit _VPF_down), arch_vcpu_reset (no VMCS "
                           "change for HVM)", "all")
LINUX_PLAY_DEAD = Source("torvalds/linux", "0b64ffb8db4e", "arch/x86/xen/smp_hvm.c, arch/x86/kernel/smpboot.c",
                         "xen_hvm_smp_init (no play_dead: native_play_dead), native_play_dead (play_dead_common, "
                         "cpuidle_play_dead, hlt_play_dead: native_halt with interrupts off)",
                         "smp_hvm.c read at 0b64ffb8db4e; smpboot.c's native_play_dead read in a recent tree (the "
                         "same calls since the x86 hotplug code; the release range not checked)")
reading("xen.sched.migrate-down", "A Linux HVM guest's offline vCPU is _VPF_down in Xen: xen_hvm_smp_init replaces no "
        "play_dead, so the dying CPU runs native_play_dead -- play_dead_common disables interrupts, and with no "
        "cpuidle state it halts in hlt_play_dead; hvm_hlt takes a HLT with interrupts off as hvm_vcpu_down "
        "(_VPF_down, vcpu_sleep_nosync). vcpu_runnable is false meanwhile, so a vcpu_migrate leaves it asleep "
        "(xen.sched.migrate-blocked) and its schedule-in is the SIPI that brings it back (vlapic_init_sipi_one: "
        "hvm_vcpu_reset_state clears _VPF_down, vcpu_unpause wakes it): vmx_do_resume's hvm_migrate_pirqs runs "
        "then. INIT's vcpu_reset leaves the VMCS (arch_vcpu_reset does nothing to it for HVM), so active_cpu "
        "still names the pCPU it last ran on (xen28; before, the model asked the moves at the migration).",
        source=(XEN_VCPU_DOWN_419, LINUX_PLAY_DEAD, XEN_RESUME_MIGRATE_40),
        quote="if ( unlikely(!(eflags & X86_EFLAGS_IF)) ) return hvm_vcpu_down(curr); (hvm_hlt) / "
              "set_bit(_VPF_down, &v->pause_flags); vcpu_sleep_nosync(v); (hvm_vcpu_down) / "
              "v->is_initialised = 1; clear_bit(_VPF_down, &v->pause_flags); (hvm_vcpu_reset_state) / "
              "play_dead_common(); tboot_shutdown(TB_SHUTDOWN_WFS); cpuidle_play_dead(); hlt_play_dead(); "
              "(native_play_dead)", module=M)
XEN_BIND_MIGRATE_ALL = Source(X, "RELEASE-4.11.0", "xen/drivers/passthrough/io.c, xen/arch/x86/hvm/hvm.c",
                              "pt_irq_create_bind (dest_vcpu_id >= 0: hvm_migrate_pirqs), hvm_migrate_pirqs, "
                              "hvm_migrate_pirq (HVM_IRQ_DPCI_MACH_MSI, gmsi.dest_vcpu_id == v->vcpu_id), "
                              "pt_pirq_iterate (HVM_IRQ_DPCI_MAPPED)",
                              "..4.11 (RELEASE-4.5.0, 4.9.4, 4.10.4, 4.11.4 read; 782cf8ba46, RELEASE-4.12.0: "
                              "hvm_migrate_pirq of the bound pirq only)")
reading("xen.bind-moves-all-pirqs", "Before 782cf8ba46 (4.12) the end of pt_irq_create_bind for an MSI ran "
        "hvm_migrate_pirqs on the vCPU the binding's guest destination names: pt_pirq_iterate hands every "
        "MAPPED pirq of the domain to hvm_migrate_pirq, which asks irq_set_affinity toward that vCPU's pCPU for "
        "each MSI pirq whose cached gmsi.dest_vcpu_id is that vCPU (not posted). So binding one pirq asks a move "
        "of every other MSI pirq on that vCPU, whether or not its host irq is there already; each is applied at "
        "the host irq's next interrupt (move_native_irq: set_msi_affinity keeps the vector on the same pCPU and "
        "writes the message again -- a maskable entry masked around it, a plain MSI without per-vector masking "
        "live). From 782cf8ba46 ('it is quite pointless to iterate over all pIRQ-s the domain has when just one "
        "is being adjusted') only the bound pirq (hvm_migrate_pirq). Posted interrupts are not modelled.",
        source=(XEN_BIND_MIGRATE_ALL,),
        quote="if ( dest_vcpu_id >= 0 ) hvm_migrate_pirqs(d->vcpu[dest_vcpu_id]); (pt_irq_create_bind, 4.11) / "
              "if ( (pirq_dpci->flags & HVM_IRQ_DPCI_MACH_MSI) && !pirq_dpci->gmsi.posted && "
              "(pirq_dpci->gmsi.dest_vcpu_id == v->vcpu_id) ) { ... irq_set_affinity(desc, "
              "cpumask_of(v->processor)); (hvm_migrate_pirq, 4.11) / if ( vcpu && iommu_enabled ) "
              "hvm_migrate_pirq(pirq_dpci, vcpu); (4.12)", module=M)
reading("xen.move-at-ack", "Xen moves a host irq only at its next interrupt: irq_set_affinity sets IRQ_MOVE_PENDING "
        "(EVTCHNOP_bind_vcpu of a pirq port toward the vCPU's pCPU; pt_irq_create_bind toward the one vCPU the "
        "guest destination names), and the ack in do_IRQ runs move_native_irq: disable, set_msi_affinity, enable. "
        "A maskable MSI / MSI-X is masked around the rewrite; pci_msi_nonmaskable's disable/enable are "
        "irq_disable_none/irq_enable_none, so a plain MSI without Per-vector Masking is rewritten live -- address, "
        "(upper address,) data, separate config writes: a signal between them goes to the new pCPU with the old "
        "vector ('No irq handler for vector'). The old vector stays until an interrupt arrives on the new one "
        "(irq_complete_move); a second move meanwhile gets -EAGAIN and is dropped.",
        source=(XEN_MSI_AFFINITY, XEN_MIGRATE_PIRQ),
        quote="void move_native_irq(struct irq_desc *desc) { ... desc->handler->disable(desc); move_masked_irq(desc); "
              "desc->handler->enable(desc); } / .disable = irq_disable_none, ... .ack = ack_nonmaskable_msi_irq, / "
              "pci_conf_write32(..., msi_lower_address_reg(pos), msg->address_lo); ... pci_conf_write16(..., "
              "msi_data_reg(pos, 0), msg->data);", module=M)
reading("xen.bind-affinity", "pirq_guest_bind's first binding sets the affinity toward the binding vCPU's pCPU at once "
        "(set_msi_affinity -> write_msi_msg, whether or not the message changes; vCPU 0 for pt_irq_create_bind and a PV "
        "EVTCHNOP_bind_pirq); before 1aeb1156fa (4.6; 4.4.3, 4.5.1) after startup unmasked the entry.",
        source=(XEN_BIND_AFFINITY, XEN_IRQ),
        quote="desc->handler->startup(desc); /* Attempt to bind the interrupt target to the correct CPU. */ if ( "
              "!opt_noirqbalance && (desc->handler->set_affinity != NULL) ) desc->handler->set_affinity(desc, "
              "cpumask_of(v->processor));", module=M)
XEN_HOST_X2APIC = (Source(X, "RELEASE-4.17.0", "xen/arch/x86/genapic/x2apic.c, xen/arch/x86/apic.c",
                          "apic_x2apic_probe (x2apic_phys = !iommu_intremap || ...), x2apic_bsp_setup",
                          "4.14.. (b1710040ca, c08cbf7fb8); 4.13 and before enable x2APIC only with IOMMU "
                          "support ('Not enabling x2APIC: depends on IOMMU support') and default to cluster mode"),
                   Source(X, "RELEASE-4.17.0", "xen/arch/x86/mpparse.c, xen/arch/x86/genapic/delivery.c, "
                          "xen/arch/x86/irq.c", "MP_processor_info (def_to_bigsmp), vector_allocation_cpumask_flat / "
                          "_phys, __assign_irq_vector", "all (read at RELEASE-4.5.0 and 4.17.0)"))
reading("xen.host-physical-mode", "The modelled host runs Xen's physical destination mode with per-pCPU vectors, "
        "without interrupt remapping (the physical entry holds a compatibility-format message): an x2APIC host "
        "from 4.14 (b1710040ca enables x2APIC without remapping, c08cbf7fb8 then forces x2apic_phys; up to 4.13 "
        "Xen enables x2APIC only with IOMMU support and defaults to cluster mode) or an xAPIC one with more than "
        "8 CPUs (mpparse's def_to_bigsmp, every release). An xAPIC host with 8 CPUs or fewer runs flat logical "
        "mode, whose vectors are the same on every CPU (vector_allocation_cpumask_flat: cpu_online_map), so a "
        "move there only changes the destination (one address write, never torn); under interrupt remapping "
        "the message never changes (the IRTE does). Vectors follow __assign_irq_vector's search (steps of 8 "
        "from the last one handed out, skipping used and legacy vectors). msidbg's own layout, not a reading: "
        "vCPU n runs on pCPU n, APIC id n, and the boot left the search where the first MSI gets 0x31.",
        source=XEN_HOST_X2APIC, module=M,
        quote="x2apic_phys = !iommu_intremap || (acpi_gbl_FADT.flags & ACPI_FADT_APIC_PHYSICAL) || ... / if "
              "(++num_processors > 8) { ... def_to_bigsmp = true; } / vector_allocation_cpumask_flat(int cpu) { "
              "return &cpu_online_map; } ... vector_allocation_cpumask_phys(int cpu) { return cpumask_of(cpu); } / "
              "next: vector += 8; if (vector > LAST_DYNAMIC_VECTOR) { ... offset = (offset + 1) % 8;")
reading("xen.bind-unmask", "From 69d99d1b22 (4.10) pt_irq_create_bind clears the guest mask bit of the pirq's MSI "
        "when the device model passes XEN_DOMCTL_VMSI_X86_UNMASKED, after a first binding or an update; the "
        "flag is stripped from the stored gflags.", source=XEN_IO_UNMASK,
        quote="uint32_t gflags = pt_irq_bind->u.msi.gflags & ~XEN_DOMCTL_VMSI_X86_UNMASKED; ... if ( "
              "pt_irq_bind->u.msi.gflags & XEN_DOMCTL_VMSI_X86_UNMASKED ) { ... guest_mask_msi_irq(desc, false);",
        module=M)
reading("xen.rebind-eoi", "Re-binding a bound MSI pirq with another guest vector or other flags (the destination) "
        "acknowledges the host irq first: pirq_guest_eoi ends an ACKTYPE_EOI irq held in flight.",
        source=XEN_REBIND_EOI,
        quote="if ( pirq_dpci->gmsi.gvec != pt_irq_bind->u.msi.gvec || pirq_dpci->gmsi.gflags != "
              "pt_irq_bind->u.msi.gflags ) { /* Directly clear pending EOIs before enabling new MSI info. */ "
              "pirq_guest_eoi(info);", module=M)
reading("xen.get-free-pirq-top-down", "MSI pirqs are handed out top-down from nr_pirqs - 1; a pirq is free when "
        "it is not mapped, allocated or force-unbound and has no emuirq.", source=XEN_IRQ,
        quote="for ( i = d->nr_pirqs - 1; i >= nr_irqs_gsi; i-- ) if ( is_free_pirq(d, pirq_info(d, i)) ) / "
              "return !pirq || (!pirq->arch.irq && (!is_hvm_domain(d) || pirq->arch.hvm.emuirq == IRQ_UNBOUND));",
        module=M)
reading("xen.domain-pirqs-102", "The domain has nr_pirqs 102, so the first MSI pirq is 101, as in the seed's "
        "log; with Xen's default extra_domU_irqs (32) the host has 70 GSIs and the domain 32 MSI pirqs "
        "(70 .. 101); a pirq request beyond them fails -ENOSPC (get_free_pirq).",
        source=(Source("LKML/xen-devel 2017-01-10 (seed 003)", "Dan Streetman", "dmesg", "xen:events", "seed 003"),
                Source(X, "RELEASE-4.16.0", "xen/common/domain.c", "domain_create, extra_domU_irqs",
                       "all (read at RELEASE-4.2.0, 4.8.0, 4.16.0, 4.21.0)")),
        quote="xen:events: creating evtchn using pirq 101 irq 290 / static unsigned int __read_mostly "
              "extra_domU_irqs = 32; ... d->nr_pirqs = nr_static_irqs + extra_domU_irqs;", module=M)
reading("xen.unmap-force-unbinds", "Unmapping a pirq that is still passthrough-bound force-unbinds it: its irq "
        "becomes negative, so it is not free until pt_irq_destroy_bind clears it.", source=XEN_IRQ,
        quote="forced_unbind = pirq_guest_force_unbind(d, info); ... info->arch.irq = -irq;", module=M)
reading("xen.startup-guest-masked", "From 4.6 startup_msi_irq keeps a guest's MSI guest-masked; binding an event "
        "channel clears the guest mask bit.", source=(XEN_MSI_46, XEN_BIND_UNMASK),
        quote="msi_set_mask_bit(desc, 0, !!(desc->status & IRQ_GUEST)); / if ( desc->msi_desc ) "
              "guest_mask_msi_irq(desc, 0);", module=M)
reading("xen.needs-eoi", "PHYSDEVOP_irq_status_query answers XENIRQSTAT_needs_eoi for every pirq an HVM guest has "
        "mapped or emulated, whatever its ack type, and -EINVAL for any other (from b96a29f785, 4.2; 94b5cd3155, "
        "4.1.3). Before, it answered 0 with no flags for a pirq without the IRQ_PT emuirq (4.1.0 / 4.1.1) or an "
        "unmapped one (4.1.2); PHYSDEVOP_eoi of an HVM guest's pirq called pirq_guest_eoi only for a pirq with the "
        "IRQ_PT emuirq (4.1.0 / 4.1.1; from 4.1.2 for a mapped one, 'domain_pirq_to_irq(v->domain, eoi.irq) > 0') and "
        "answered 0 for any other (row platform.xen_irq_status_query_einval; platform.xen_pt_emuirq_at_map). "
        "audit20: the text said PHYSDEVOP_eoi 'acknowledged only such a pirq' after naming the pirqs without the "
        "IRQ_PT emuirq -- the opposite of RELEASE-4.1.1's test (the model's pirq_eoi always followed the source).",
        source=(XEN_PHYSDEV, Source(X, "RELEASE-4.1.1", "xen/arch/x86/physdev.c",
                                    "PHYSDEVOP_irq_status_query, PHYSDEVOP_eoi",
                                    "4.1.0 / 4.1.1 (RELEASE-4.1.2: 'domain_pirq_to_irq(v->domain, irq) <= 0'; "
                                    "RELEASE-4.1.3, 4.2.0: -EINVAL)")),
        quote="irq_status_query.flags |= XENIRQSTAT_needs_eoi; / 4.1.1: if ( is_hvm_domain(v->domain) && "
              "domain_pirq_to_emuirq(v->domain, irq) != IRQ_PT ) { ret = copy_to_guest(arg, &irq_status_query, 1) "
              "? -EFAULT : 0; break; } / 4.1.1 PHYSDEVOP_eoi: if ( !is_hvm_domain(v->domain) || "
              "domain_pirq_to_emuirq(v->domain, eoi.irq) == IRQ_PT ) ret = pirq_guest_eoi(v->domain, eoi.irq); "
              "else ret = 0;", module=M)
reading("xen.emuirq-at-map", "On Xen 4.1.0 / 4.1.1 the device model's PHYSDEVOP_map_pirq gives an HVM domain's pirq "
        "its IRQ_PT emuirq, and the guest's EVTCHNOP_bind_pirq / EVTCHNOP_close leave it alone; Xen sends the pirq "
        "on its event channel while it has the emuirq and a port (hvm_domain_use_pirq), else injects it as a vMSI. "
        "0596edb27f (4.1.2; 79858fee30, 4.2) moved the emuirq to EVTCHNOP_bind_pirq of a mapped pirq and clears "
        "it at EVTCHNOP_close: a pirq QEMU unmaps and maps again under a port the guest kept has no emuirq until "
        "the guest binds again (row platform.xen_pt_emuirq_at_map).",
        source=(Source(X, "RELEASE-4.1.1", "xen/arch/x86/physdev.c, xen/arch/x86/irq.c, "
                       "xen/drivers/passthrough/io.c", "physdev_map_pirq, hvm_domain_use_pirq, hvm_pci_msi_assert",
                       "4.1.0 / 4.1.1 (read at RELEASE-4.1.0, 4.1.1)"),
                Source(X, "RELEASE-4.1.2", "xen/common/event_channel.c", "evtchn_bind_pirq, __evtchn_close",
                       "4.1.2.. (read at RELEASE-4.1.2, 4.2.0)")),
        quote="if ( !ret && is_hvm_domain(d) ) map_domain_emuirq_pirq(d, pirq, IRQ_PT); / if ( emuirq != "
              "IRQ_UNBOUND && d->pirq_to_evtchn[pirq] != 0 ) return 1; / 4.1.2: if ( is_hvm_domain(d) && "
              "domain_pirq_to_irq(d, pirq) > 0 ) map_domain_emuirq_pirq(d, pirq, IRQ_PT);", module=M)
reading("xen.acktype-eoi", "An MSI Xen cannot mask is ACKTYPE_EOI: the host irq stays in service until the "
        "guest's PHYSDEVOP_eoi, or Xen's eoi_timer 1 ms later.", source=XEN_IRQ,
        quote="return msi_maskable_irq(desc->msi_desc) ? ACKTYPE_NONE : ACKTYPE_EOI; / "
              "set_timer(&action->eoi_timer, NOW() + MILLISECS(1));", module=M)
reading("xen.dm-unmap-clears-emuirq", "The device model's PHYSDEVOP_unmap_pirq for an HVM domain clears the "
        "pirq's emuirq before unmapping it, even while the guest's event channel names the pirq: it is free "
        "again, and a re-mapped, re-bound pirq is delivered as a vMSI until the guest binds a port again.",
        source=(XEN_PHYSDEV, Source(X, "49f9d2493c", "xen/arch/x86/physdev.c", "physdev_unmap_pirq",
                                    "4.2.. (4.1.3); 4.1.0 .. 4.1.2 fail the unmap of a pirq without an emuirq "
                                    "(reading xen.dm-unmap-needs-emuirq): on 4.1.0 / 4.1.1 QEMU's map gave it "
                                    "IRQ_PT (reading xen.emuirq-at-map), on 4.1.2 bind_pirq did and close "
                                    "cleared it")),
        quote="if ( is_hvm_domain(d) ) { ... if ( domain_pirq_to_emuirq(d, pirq) != IRQ_UNBOUND ) ret = "
              "unmap_domain_pirq_emuirq(d, pirq); ... if ( domid == DOMID_SELF || ret ) goto free_domain; } ... "
              "ret = unmap_domain_pirq(d, pirq);", module=M)
reading("xen.dm-unmap-needs-emuirq", "On Xen 4.1.0 .. 4.1.2 the device model's PHYSDEVOP_unmap_pirq for an HVM "
        "domain fails -EINVAL and leaves the pirq mapped when the pirq has no emuirq: physdev_unmap_pirq calls "
        "unmap_domain_pirq_emuirq unconditionally and gives up on its error. On 4.1.0 / 4.1.1 QEMU's map gave the "
        "pirq its IRQ_PT emuirq (only the guest's own unmap clears it first); 0596edb27f (4.1.2-rc2; the stable-4.1 copy of mainline 79858fee30, first in 4.2.0-rc1 beside 49f9d2493c) set it at "
        "EVTCHNOP_bind_pirq instead and cleared it at EVTCHNOP_close, so a pirq whose event channel the guest "
        "closed leaks; get_free_pirq skips it (row platform.xen_dm_unmap_needs_emuirq).",
        source=(Source(X, "RELEASE-4.1.2", "xen/arch/x86/physdev.c, xen/common/event_channel.c, xen/arch/x86/irq.c",
                       "physdev_unmap_pirq, evtchn_bind_pirq, __evtchn_close, unmap_domain_pirq_emuirq",
                       "4.1.0 .. 4.1.2 (read at RELEASE-4.1.0, 4.1.1: the same physdev_unmap_pirq, IRQ_PT at "
                       "physdev_map_pirq; RELEASE-4.1.3: 3237652624 checks the emuirq first)"),),
        quote="ret = unmap_domain_pirq_emuirq(d, unmap->pirq); ... if ( unmap->domid == DOMID_SELF || ret ) goto "
              "free_domain; / if ( is_hvm_domain(d1) && domain_pirq_to_irq(d1, chn1->u.pirq.irq) > 0 ) "
              "unmap_domain_pirq_emuirq(d1, chn1->u.pirq.irq);", module=M)
reading("xen.unmap-self-hvm", "PHYSDEVOP_unmap_pirq from an HVM guest for itself only clears the emuirq; on "
        "4.1.0 .. 4.1.2 it answers -EINVAL for a pirq without one (unmap_domain_pirq_emuirq called "
        "unconditionally: 'pirq %d not mapped'), from 49f9d2493c (4.2; 3237652624, 4.1.3) 0.",
        source=(XEN_PHYSDEV, Source(X, "RELEASE-4.1.2", "xen/arch/x86/physdev.c, xen/arch/x86/irq.c",
                                    "physdev_unmap_pirq, unmap_domain_pirq_emuirq",
                                    "4.1.0 .. 4.1.2 (read at RELEASE-4.1.0, 4.1.1, 4.1.2, 4.1.3)")),
        quote="if ( domain_pirq_to_emuirq(d, pirq) != IRQ_UNBOUND ) ret = unmap_domain_pirq_emuirq(d, pirq); ... "
              "if ( domid == DOMID_SELF || ret ) goto free_domain;", module=M)
XEN_PENDING_EOI = (
    Source(X, "RELEASE-4.17.0", "xen/arch/x86/msi.c, xen/arch/x86/irq.c",
           "ack_nonmaskable_msi_irq, ack_maskable_msi_irq, pci_msi_nonmaskable (.end = end_nonmaskable_irq); "
           "do_IRQ, do_IRQ_guest, desc_guest_eoi, irq_guest_eoi_timer_fn, __pirq_guest_unbind, set_eoi_ready, "
           "__set_eoi_ready, flush_ready_eoi", "4.2.. (read at RELEASE-4.2.0, 4.5.0, 4.17.0, 4.21.0)"),
    Source(X, "RELEASE-4.0.0", "xen/arch/x86/io_apic.c, xen/arch/x86/irq.c",
           "ack_msi_irq, end_msi_irq (msi_maskable_irq); __do_IRQ_guest, flush_ready_eoi",
           "4.0 .. 4.1 (read at RELEASE-4.0.0; every 4.1.x through RELEASE-4.1.6.1 has the same ack_msi_irq / "
           "end_msi_irq in io_apic.c: ack_nonmaskable_msi_irq is first in RELEASE-4.2.0's msi.c)"))
reading("xen.nonmaskable-in-service", "An MSI Xen cannot mask (no Per-vector Masking: ACKTYPE_EOI) is acked without "
        "a LAPIC EOI: do_IRQ_guest pushes the vector that arrived on the interrupted pCPU's pending_eoi stack and "
        "that pCPU into cpu_eoi_map; the EOI comes with the guest's (desc_guest_eoi), the 1 ms eoi_timer or an "
        "unbind (__pirq_guest_unbind): set_eoi_ready on each CPU of cpu_eoi_map marks the entry ready and "
        "flush_ready_eoi pops ready entries from the top, each end_nonmaskable_irq -> ack_APIC_irq. Until then "
        "the vector is in that pCPU's ISR, so its local APIC holds every vector of the same or a lower priority "
        "class in the IRR (one bit per vector: signals coalesce) -- another device's host irq too -- and delivers "
        "the highest of them at the EOI. A maskable MSI / MSI-X (ack_maskable_msi_irq) and a mapped irq no guest "
        "has bound (do_IRQ's end) are EOIed at once. The same scheme in every release read (4.0's "
        "ack_msi_irq / end_msi_irq).", source=XEN_PENDING_EOI,
        quote="ack_nonmaskable_msi_irq(desc); ack_APIC_irq(); /* ACKTYPE_NONE */ ... peoi[sp].vector = vector; "
              "peoi[sp].ready = 0; ... cpumask_set_cpu(smp_processor_id(), action->cpu_eoi_map); ... "
              "while ( (--sp >= 0) && peoi[sp].ready ) { ... desc->handler->end(desc, peoi[sp].vector);", module=M)
reading("xen.host-abstract", "Xen's own interrupt handling (host CPU, do_IRQ, the dpci softirq) is one work item "
        "after costs.upcall, in the context of the pCPU the host vector reached; host vectors come from 0x31 on host APIC 0; whether "
        "a signal waits in its pCPU's IRR behind an in-service ACKTYPE_EOI vector (reading "
        "xen.nonmaskable-in-service) is decided when Xen processes it, not when it reaches the host APIC, and the "
        "set_eoi_ready IPI to another pCPU takes no time. Xen's own vectors (timer, IPIs) are not modelled. (An "
        "abstraction, not a reading.)", status="hypothetical", module=M)

M = "msidbg.model.evtchn"
XEN_KICK = (Source(X, "RELEASE-4.4.0", "xen/common/event_2l.c + xen/common/event_fifo.c",
                   "evtchn_2l_unmask (vcpu_mark_events_pending of notify_vcpu_id's vCPU) / evtchn_fifo_unmask -> "
                   "evtchn_fifo_set_pending", "4.4.."),
            Source(X, "RELEASE-4.4.0", "xen/arch/x86/domain.c", "vcpu_mark_events_pending (hvm_assert_evtchn_irq "
                   "-> vcpu_kick, or vcpu_kick) / vcpu_kick (vcpu_unblock; running and v != current: "
                   "VCPU_KICK_SOFTIRQ) / vcpu_kick_softirq (nothing: the check is on the return to guest)",
                   "4.0.0..4.19 (same body at RELEASE-4.0.0 and RELEASE-4.19.0)"),
            Source(X, "RELEASE-4.4.0", "xen/arch/x86/hvm/vmx/entry.S", "vmx_asm_do_vmentry: call vmx_intr_assist, "
                   "then the softirq check, before VMRESUME", "all (4.0.0 and 4.19.0 read)"))
reading("xen.evtchn.remote-kick", "A guest's EVTCHNOP_unmask of a pending port bound to ANOTHER vCPU (unmask_evtchn "
        "on 2-level for a remote port, on FIFO whenever pending; retrigger_dynirq's unmask likewise): Xen marks the "
        "event at once (the 2-level selector bit / the FIFO queue link, evtchn_upcall_pending, an HVM per-vCPU "
        "vector in the vlapic) and vcpu_kick's that vCPU -- vcpu_unblock of a halted one, else VCPU_KICK_SOFTIRQ "
        "to its pCPU, an IPI that makes it exit -- and returns. The kicked vCPU runs guest code again only at its "
        "next VM entry, where vmx_intr_assist injects the callback (a PV vCPU: its callback on the return to guest "
        "mode); the caller's own return from the hypercall needs no IPI, so its next guest step comes first. "
        "msidbg: the marks are made in the unmask's step, the upcall is raised on the kicked vCPU "
        "costs.hypercall + costs.ipi later (a xen.kick event). A vCPU already inside its upcall loop sees the mark "
        "at once (the pending bit or queue link it scans): ff1e22e7a638's race (Linux 4.6; stable 4.4.8, 4.5.2, 4.1.52, "
        "3.18.63: both vCPUs running the handler) "
        "stays possible there. The width is the model's cost table, not a guarantee of the code.",
        source=XEN_KICK,
        quote="if ( test_bit(EVTCHN_FIFO_PENDING, word) ) evtchn_fifo_set_pending(v, evtchn); ... if ( "
        "has_hvm_container_vcpu(v) ) hvm_assert_evtchn_irq(v); else vcpu_kick(v); ... vcpu_unblock(v); if ( running "
        "&& (in_irq() || (v != current)) ) cpu_raise_softirq(v->processor, VCPU_KICK_SOFTIRQ); ... checks executed "
        "on return to guest context ... xxx_intr_assist() executed on return to HVM guest context.",
        module=M)
XEN_CLOSE_CLEAR = (Source("xen-project/xen", "RELEASE-4.1.0", "xen/common/event_channel.c", "__evtchn_close",
                          "4.1..4.3 (audit26: this said 4.1..4.4; RELEASE-4.3.0 has the clear_bit, 4.4.0 the port op)"),
                   Source("xen-project/xen", "RELEASE-4.5.0", "xen/common/event_channel.c",
                          "__evtchn_close (evtchn_port_clear_pending)",
                          "4.4.. (the event-channel ABI ops came with FIFO in 4.4.0: the same call at RELEASE-4.4.0)"),
                   Source("xen-project/xen", "RELEASE-4.19.2", "xen/common/event_channel.c",
                          "evtchn_close -> evtchn_free (evtchn_port_clear_pending)", "4.19"))
reading("xen.evtchn.close-clears-pending", "EVTCHNOP_close clears the port's pending bit, whatever its state: the events "
        "pending on it are gone (msidbg: lost), and a remote vCPU kicked for the port before the close finds it no "
        "longer pending at its VM entry (why32: the kicked upcall's provenance links the close's loss).",
        source=XEN_CLOSE_CLEAR,
        quote="/* Clear pending event to avoid unexpected behavior on re-bind. */ clear_bit(port1, "
              "&shared_info(d1, evtchn_pending)); (4.1.0) ... evtchn_port_clear_pending(d1, chn1); (4.5.0) ... "
              "void evtchn_free(struct domain *d, struct evtchn *chn) { /* Clear pending event ... */ "
              "evtchn_port_clear_pending(d, chn); (4.19.2)", module="msidbg.model.evtchn")
XEN_CLOSE_EMUIRQ = (Source(X, "RELEASE-4.5.0", "xen/common/event_channel.c", "__evtchn_close",
                           "4.2.. and 4.1.2.. (79858fee30 'xen: fix hvm_domain_use_pirq's behavior', RELEASE-4.2.0; "
                           "stable-4.1 0596edb27f, RELEASE-4.1.2; the same test at 4.19.0 after 'pirq_cleanup_check() "
                           "leaks')"),
                    Source(X, "RELEASE-4.1.1", "xen/common/event_channel.c", "__evtchn_close",
                           "4.1.0 / 4.1.1 (no unmap_domain_pirq_emuirq in the close: the emuirq stays, "
                           "platform.xen_pt_emuirq_at_map)"))
reading("xen.close-frees-nothing", "EVTCHNOP_close on an HVM pirq port clears the emuirq but does not unmap the "
        "pirq: it is free only once QEMU unmaps it. audit26: from 79858fee30 (4.2; 4.1.2), not in every release "
        "as this said: 4.1.0 / 4.1.1 close leaves the emuirq as well (the model already followed that through "
        "platform.xen_pt_emuirq_at_map).", source=XEN_CLOSE_EMUIRQ,
        quote="if ( !is_hvm_domain(d1) ) pirq_guest_unbind(d1, pirq); ... if ( is_hvm_domain(d1) && "
              "domain_pirq_to_irq(d1, pirq->pirq) > 0 ) unmap_domain_pirq_emuirq(d1, pirq->pirq);", module=M)
reading("xen.hvm-apic-id", "Xen gives HVM vCPU n the local APIC id 2n, and hvmloader's MADT lists those ids; an "
        "HVM guest has at most HVM_MAX_VCPUS = 128 vCPUs (ids 0..254). The guest's native message names its CPU's "
        "APIC id; QEMU passes it to Xen in gflags (destination bits 7:0, DM bit 9) and vmsi_deliver_pirq matches "
        "vLAPICs on it.", source=(XEN_VLAPIC_INIT, XEN_HVMLOADER_LAPIC, XEN_HVM_INFO, QEMU_GFLAGS),
        quote="vlapic_set_reg(vlapic, APIC_ID, (v->vcpu_id * 2) << 24); ... #define LAPIC_ID(vcpu_id)   "
        "((vcpu_id) * 2) ... #define HVM_MAX_VCPUS        128 ... #define XEN_PT_GFLAGS_SHIFT_DM             9",
        module=M)
LINUX_HVM_NEED_LAPIC = Source(L, "03b2a320b19f", "arch/x86/xen/enlighten_hvm.c, arch/x86/include/asm/xen/hypervisor.h",
                              "xen_hvm_need_lapic, xen_x2apic_para_available (x86_hyper_xen_hvm.init.x2apic_available)",
                              "all")
LINUX_TRY_X2APIC = Source(L, "v6.6", "arch/x86/kernel/apic/apic.c", "try_to_enable_x2apic (no remapping: x2apic_phys)",
                          "all")
XEN_HVM_X2APIC_CPUID = (Source(X, "RELEASE-4.5.0", "tools/libxc/xc_cpuid_x86.c", "xc_cpuid_hvm_policy (leaf 1 ECX)",
                               "<= 4.6"),
                        Source(X, "RELEASE-4.19.0", "xen/include/public/arch-x86/cpufeatureset.h", "X2APIC ('S': "
                               "every HVM guest)", "4.7.."))
reading("xen.hvm-apic-mode", "Which APIC driver a Xen HVM guest runs (platform.apic), read where its MSIs use the x86 "
        "vector domain. x86_hyper_xen_hvm's x2apic_available is xen_x2apic_para_available = xen_hvm_need_lapic, "
        "false when Xen offers XENFEAT_hvm_pirqs (and the vector callback). Without the feature (platform."
        "xen_hvm_pirqs false: Xen 4.0, 4.19+ by default) the guest enables the x2APIC every HVM guest's CPUID "
        "shows and try_to_enable_x2apic, without remapping, forces x2apic_phys: physical x2APIC, the APIC id 2n. "
        "With it -- a 4.1 .. 4.18 guest under platform.apic_virtualization -- the guest stays in xAPIC mode and "
        "picks like bare metal: apic_flat (logical, 1 << cpu) on <= 8 vCPUs before 6.12, else physflat. A guest "
        "that routes its MSIs over pirqs is shown as physflat: no message of it reads the destination format.",
        source=(LINUX_HVM_NEED_LAPIC, LINUX_TRY_X2APIC, *XEN_HVM_X2APIC_CPUID),
        quote="if (xen_feature(XENFEAT_hvm_pirqs) && xen_have_vector_callback) return false; ... static inline bool "
              "xen_x2apic_para_available(void) { return xen_hvm_need_lapic(); } ... if "
              "(!x86_init.hyper.x2apic_available()) { ... x2apic_disable(); return; } ... x2apic_phys = 1; ... "
              "regs[2] |= (bitmaskof(X86_FEATURE_HYPERVISOR) | bitmaskof(X86_FEATURE_TSC_DEADLINE) | "
              "bitmaskof(X86_FEATURE_X2APIC));",
        module="msidbg.model.build")
reading("xen.vmsi-without-evtchn", "A bound pirq without an event channel is delivered as the guest's own MSI "
        "(vector and destination QEMU bound); a pirq message has vector 0 and is dropped.", source=XEN_IO,
        quote="if ( hvm_domain_use_pirq(d, pirq) ) { send_guest_pirq(d, pirq); if ( pirq_dpci->flags & "
              "HVM_IRQ_DPCI_GUEST_MSI ) return 0; } if ( pirq_dpci->flags & HVM_IRQ_DPCI_GUEST_MSI ) { "
              "vmsi_deliver_pirq(d, pirq_dpci); return 0; } (audit26: the code as it stands; the quote had an 'else' "
              "it lacks)",
        module=M)
reading("xen.vmsi-eoi-not-seen", "A guest without pirqs (platform.apic_virtualization) EOIs the edge vector of a "
        "passed-through MSI in its virtual APIC without a VM exit: Xen enables virtual-interrupt delivery with "
        "APIC-register virtualization (both from its apicv option) and sets the EOI-exit bitmap only for "
        "level-triggered vectors and the periodic timer's, so vlapic_handle_EOI -> hvm_dpci_msi_eoi never runs "
        "for it and an ACKTYPE_EOI host irq is acknowledged by the 1 ms eoi_timer or a re-bind only. A host with "
        "APIC-register virtualization but no virtual-interrupt delivery (its EOI write would trap to "
        "vlapic_EOI_set) is not modelled; a guest without pirqs on a host without APIC virtualization is "
        "xen.vmsi-eoi-trapped.", source=XEN_VLAPIC_EOI,
        quote="opt |= SECONDARY_EXEC_APIC_REGISTER_VIRT | SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY | ... / if ( "
              "hvm_funcs.update_eoi_exit_bitmap ) hvm_funcs.update_eoi_exit_bitmap(target, vec, trig); / if ( trig "
              ") vmx_set_eoi_exit_bitmap(v, vector); else vmx_clear_eoi_exit_bitmap(v, vector); / case "
              "EXIT_REASON_EOI_INDUCED: ... vlapic_handle_EOI(vcpu_vlapic(v), exit_qualification);", module=M)
XEN_VLAPIC_EOI_TRAP = Source(X, "RELEASE-4.19.0", "xen/arch/x86/hvm/vlapic.c, "
                             "xen/drivers/passthrough/x86/hvm.c (RELEASE-4.0.0: xen/drivers/passthrough/io.c)",
                             "vlapic_EOI_set -> vlapic_handle_EOI -> hvm_dpci_msi_eoi -> _hvm_dpci_msi_eoi "
                             "(vlapic_match_dest) -> __msi_pirq_eoi -> desc_guest_eoi",
                             "4.0 .. 4.19 read (RELEASE-4.0.0, 4.5.0, 4.19.0)")
reading("xen.vmsi-eoi-trapped", "A guest with native MSIs on a host without APIC virtualization (platform.xen_hvm_pirqs "
        "false -- Xen 4.0, 4.19+ by default -- and platform.apic_virtualization false) writes its vLAPIC's EOI "
        "register through a VM exit: vlapic_EOI_set -> vlapic_handle_EOI -> hvm_dpci_msi_eoi finds the bound "
        "MSI pirq whose guest vector is the EOI'd vector and whose destination this vCPU's vLAPIC matches, and "
        "__msi_pirq_eoi -> desc_guest_eoi acknowledges its ACKTYPE_EOI host irq (an MSI without Per-vector "
        "Masking) at once -- not the 1 ms eoi_timer. The model takes the first match in pirq order (4.0's loop "
        "breaks there; pt_pirq_iterate in later releases also calls the rest of its batch of 8: two bindings "
        "with one guest vector and destination are not modelled). Before 4.5 the host's APIC virtualization "
        "cannot be stated (no CPUID advertisement, platform.apic_virtualization is refused): taken as absent.",
        source=XEN_VLAPIC_EOI_TRAP,
        quote="vlapic_clear_vector(vector, &vlapic->regs->data[APIC_ISR]); ... vlapic_handle_EOI(vlapic, vector); / "
              "hvm_dpci_msi_eoi(d, vector); / if ( (pirq_dpci->flags & HVM_IRQ_DPCI_MACH_MSI) && "
              "(pirq_dpci->gmsi.gvec == vector) ) { ... if ( vlapic_match_dest(vcpu_vlapic(current), NULL, 0, dest, "
              "dest_mode) ) { __msi_pirq_eoi(pirq_dpci); return 1; } }", module="msidbg.model.xen")
reading("xen.pv-callback", "A PV guest's upcall is no local APIC vector: vcpu_mark_events_pending sets vcpu_info's "
        "evtchn_upcall_pending (test_and_set: once until the guest clears it) and kicks the vCPU; Xen's "
        "test_guest_events enters the guest at its registered event callback while evtchn_upcall_pending is set "
        "and evtchn_upcall_mask (the PV guest's irqs-off) is clear, and the bounce frame sets the mask; the "
        "guest's irq enable tests the pending flag and forces the callback (xen_force_evtchn_callback).",
        source=(XEN_PV_EVENTS, LINUX_PV_IRQ),
        quote="if ( is_hvm_vcpu(v) ) hvm_assert_evtchn_irq(v); else vcpu_kick(v); / movzwl "
              "VCPUINFO_upcall_pending(%rax), %eax; decl %eax; cmpl $0xfe, %eax; ja restore_all_guest / "
              "movb $TBF_INTERRUPT, TRAPBOUNCE_flags(%rdx); call create_bounce_frame", module=M)
XEN_UPCALL_VECTOR = (Source(X, "RELEASE-4.17.0", "xen/arch/x86/hvm/irq.c", "hvm_assert_evtchn_irq "
                            "(evtchn_upcall_vector: vlapic_set_irq), hvm_vcpu_has_pending_irq (HVMIRQ_callback_vector)",
                            "per-vCPU vector: 04447f4453 (4.6), advertised by XEN_HVM_CPUID_UPCALL_VECTOR from "
                            "e2d2b9fd7a (4.17)"),
                     Source(L, "b1c3497e604d", "arch/x86/xen/enlighten_hvm.c, drivers/xen/events/events_base.c",
                            "xen_init_setup_upcall_vector, sysvec_xen_hvm_callback (apic_eoi when xen_percpu_upcall)",
                            "6.0.. (the xen pull for-linus-6.0-rc1b)"))
reading("xen.callback-vector", "An HVM guest's event channel upcall is vector 0xf3. With the per-vCPU upcall "
        "vector -- Linux from b1c3497e604d (6.0) registers it with HVMOP_set_evtchn_upcall_vector when Xen "
        "advertises XEN_HVM_CPUID_UPCALL_VECTOR (e2d2b9fd7a, 4.17) -- Xen raises it in the vCPU's local APIC "
        "(vlapic_set_irq, an edge) each time it marks the upcall pending and the guest EOIs it at entry. "
        "Otherwise the domain's global callback via (HVMIRQ_callback_vector) injects it while "
        "evtchn_upcall_pending is set, outside the vLAPIC: no ISR, no EOI, and a mark while the upcall runs "
        "(the guest cleared the flag, its loop checks it again) is taken by that loop, not injected again "
        "(kernel.xen_percpu_upcall, platform.xen_upcall_vector_cpuid).", source=XEN_UPCALL_VECTOR, module=M,
        quote="if ( v->arch.hvm.evtchn_upcall_vector != 0 ) { ... vlapic_set_irq(vcpu_vlapic(v), vector, 0); } ... "
              "if ( (plat->irq->callback_via_type == HVMIRQ_callback_vector) && vcpu_info(v, "
              "evtchn_upcall_pending) ) return hvm_intack_vector(plat->irq->callback_via.vector); / if "
              "(xen_percpu_upcall) ack_APIC_irq();")
#: audit16: Xen's order of injection for an HVM vCPU (xen.callback-vector-global)
XEN_CALLBACK_PRIORITY = Source(X, "RELEASE-4.19.0", "xen/arch/x86/hvm/irq.c",
                               "hvm_vcpu_has_pending_irq (NMI, #MC, the callback vector, the PIC, then the vLAPIC)",
                               "all (HVMIRQ_callback_vector)")
reading("xen.callback-vector-global", "The global callback via in msidbg: 0xf3 still goes through the guest "
        "CPU's local APIC model (IRR, then an ISR bit the upcall's entry clears without an event or an EOI "
        "write), so it is taken by priority like a vLAPIC vector (class 15) where Xen injects it ahead of every "
        "vLAPIC vector; and a mark during the last irq handler the upcall runs counts as after the loop (the "
        "model decides the loop's end when handle_events hands out its last port): one more upcall where the "
        "real loop would take it. audit16: the Xen half is read (RELEASE-4.19.0 hvm_vcpu_has_pending_irq: after "
        "a pending NMI and #MC, the callback vector whenever evtchn_upcall_pending is set, before the PIC and "
        "vlapic_has_pending_irq); the model's priority-class treatment is its own: stays hypothetical.",
        status="hypothetical", source=(XEN_CALLBACK_PRIORITY,),
        quote="if ( (plat->irq->callback_via_type == HVMIRQ_callback_vector) && vcpu_info(v, evtchn_upcall_pending) ) "
        "return hvm_intack_vector(plat->irq->callback_via.vector); ... vector = vlapic_has_pending_irq(v);", module=M)
M = "msidbg.model.evtchn_abi"
reading("evtchn.abi-choice", "The guest uses the FIFO ABI when it asks for it (Linux 3.14+, xen.fifo_events "
        "not 0) and Xen offers EVTCHNOP_init_control (4.4+); the 2-level ABI otherwise.",
        source=(LINUX_INIT_IRQ, XEN_FIFO),
        quote="if (xen_fifo_events) ret = xen_evtchn_fifo_init(); if (ret < 0) { xen_evtchn_2l_init(); "
        "xen_fifo_events = false; } (4.13.9: if (fifo_events) ret = xen_evtchn_fifo_init(); if (ret < 0) "
        "xen_evtchn_2l_init();)", module=M)
reading("evtchn.2l-round-robin", "2-level: the upcall takes the selector with xchg and scans from the bit after "
        "the last port this CPU served: the start word from that bit, the other selected words once, the start "
        "word again from bit 0; each word's pending & bound-here & unmasked bits are read once per visit.",
        source=(LINUX_2L, LINUX_2L_30),
        quote="pending_words = xchg_xen_ulong(&vcpu_info->evtchn_pending_sel, 0); ... pending_bits = "
              "active_evtchns(cpu, s, word_idx); ... /* Next caller starts at last processed + 1 */", module=M)
reading("evtchn.2l-selector", "2-level: Xen sets the port's selector bit when it becomes pending unmasked, or is "
        "unmasked pending, and marks the upcall only when that bit was clear.", source=XEN_2L,
        quote="if ( !test_bit(port, &shared_info(d, evtchn_mask)) && !test_and_set_bit(port / "
              "BITS_PER_EVTCHN_WORD(d), &vcpu_info(v, evtchn_pending_sel)) ) vcpu_mark_events_pending(v);",
        module=M)
reading("evtchn.fifo-queue", "FIFO: a pending, unmasked, unlinked event is linked at the tail of its notify "
        "vCPU's queue (also when already pending); READY, and the upcall, only for a new head; a linked event "
        "is never moved. The guest unlinks the head and handles it if pending and unmasked.",
        source=(XEN_FIFO, LINUX_FIFO),
        quote="if ( !test_bit(EVTCHN_FIFO_MASKED, word) && !test_bit(EVTCHN_FIFO_LINKED, word) ) ... if ( !linked "
              "&& !test_and_set_bit(q->priority, &v->evtchn_fifo->control_block->ready) ) "
              "vcpu_mark_events_pending(v); / head = clear_linked(word); ... if (evtchn_fifo_is_pending(port) && "
              "!evtchn_fifo_is_masked(port)) { if (unlikely(drop)) ... else handle_irq_for_port(port); (4.13.9; "
              "5.15.24: !ctrl, (port, ctrl))", module=M)
reading("evtchn.fifo-one-priority", "Xen keeps a queue and a READY bit per priority (evtchn_fifo_set_pending "
        "links into queue[evtchn->priority] and sets READY bit q->priority) and Linux's "
        "__evtchn_fifo_handle_events serves find_first_bit(ready) -- the highest-priority ready queue -- one event "
        "at a time, re-reading READY after each. The model keeps one queue per vCPU, which is exact because every "
        "port it binds is a pirq port (evtchn.bind_pirq is its only port constructor) and every pirq port has "
        "EVTCHN_FIFO_PRIORITY_DEFAULT (7): each bind sets it (evtchn_port_init -> evtchn_fifo_init, 4.4.0 .. "
        "4.19.0), only EVTCHNOP_set_priority changes it, and the guest's only caller of that "
        "(xen_set_irq_priority) is xen_setup_timer, for its per-CPU VIRQ_TIMER port at XEN_IRQ_PRIORITY_MAX (0) "
        "(3.14 .. 6.x). That port is not modelled: kernel.guest_tick's tick is a wake-up only. On a real FIFO guest "
        "a timer event is consumed ahead of the pirq events linked before it (also mid-pass); the time its handler "
        "takes is not represented, the order among the pirq ports is unchanged. (xen32: tests/test_xen32.py pins "
        "the one constructor and compares the single queue with a sixteen-queue reference.)",
        source=(XEN_FIFO, XEN_FIFO_PRIO_419, LINUX_FIFO_PRIO, LINUX_TIMER_PRIO),
        quote="evtchn->priority = EVTCHN_FIFO_PRIORITY_DEFAULT; / q = &v->evtchn_fifo->queue[evtchn->priority]; / "
        "q = find_first_bit(&ready, EVTCHN_FIFO_MAX_QUEUES); / "
        "(void)xen_set_irq_priority(irq, XEN_IRQ_PRIORITY_MAX);", module=M)
reading("xen.pirq-follows-vcpu", "From 38b998cfb6 (Xen 4.1; platform.xen_pirq_follows_vcpu) a pirq's host irq "
        "follows the vCPU its event channel is bound to: EVTCHNOP_bind_vcpu of a pirq port to another vCPU calls "
        "pirq_set_affinity toward that vCPU's pCPU, and Xen's scheduler moving a vCPU runs evtchn_move_pirqs for "
        "every pirq port bound to it (redteam13). Xen 4.0.x's evtchn_bind_vcpu only sets notify_vcpu_id and its "
        "scheduler moves no pirq; hvm_migrate_pirqs (an HVM guest's bound MSI following its guest destination, "
        "at pt_irq_create_bind and at the vCPU's VM entry on a new pCPU) is in RELEASE-4.0.0 already.",
        source=XEN_FOLLOW_VCPU,
        quote="RELEASE-4.0.0: case ECS_UNBOUND: case ECS_INTERDOMAIN: case ECS_PIRQ: chn->notify_vcpu_id = "
              "vcpu_id; break; / 38b998cfb6: + pirq_set_affinity(d, chn->u.pirq.irq, ...); + if ( old_cpu != "
              "new_cpu ) evtchn_move_pirqs(v);", module="msidbg.model.evtchn")
reading("evtchn.bind-vcpu-signals-nothing", "EVTCHNOP_bind_vcpu only changes notify_vcpu_id: a pending event "
        "reaches the new vCPU when the guest unmasks it (xen_rebind_evtchn_to_cpu masks around the call).",
        source=XEN_BIND_VCPU,
        quote="case ECS_PIRQ: ... unlink_pirq_port(chn, d->vcpu[chn->notify_vcpu_id]); chn->notify_vcpu_id = "
              "v->vcpu_id; pirq_set_affinity(...); link_pirq_port(port, chn, v);", module="msidbg.model.evtchn")

M = "msidbg.model.kernel.xen"
reading("linux.hvm-always-eoi", "An HVM guest has no pirq_eoi_map (only PV registers one), so it trusts "
        "XENIRQSTAT_needs_eoi and issues PHYSDEVOP_eoi in eoi_pirq for every pirq interrupt.",
        source=LINUX_STARTUP, quote="if (xen_hvm_domain()) { native_init_IRQ(); ... pci_xen_hvm_init(); } else { "
        "... pirq_eoi_map = (void *)__get_free_page(GFP_KERNEL|__GFP_ZERO); / if (pirq_needs_eoi(data->irq)) "
        "{ rc = HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi);", module=M)
reading("linux.pv-eoi-flag", "A PV guest without a pirq_eoi_map -- its PHYSDEVOP_pirq_eoi_gmfn_v2 failed (Xen 4.0, "
        "4.1.0 .. 4.1.2: platform.xen_pirq_eoi_v2) or its kernel never registers one (linux-3.0.8: "
        "kernel.xen_pirq_eoi_map) -- keeps pirq_needs_eoi_flag, and Xen answers XENIRQSTAT_needs_eoi for every "
        "PV pirq in every release: a PHYSDEVOP_eoi for every interrupt of every pirq (xenhost).",
        source=(LINUX_STARTUP, XEN_PHYSDEV, LINUX_2L_30),
        quote="rc = HYPERVISOR_physdev_op(PHYSDEVOP_pirq_eoi_gmfn_v2, &eoi_gmfn); if (rc != 0) { ... pirq_eoi_map "
              "= NULL; } else pirq_needs_eoi = pirq_check_eoi_map; / it must conservatively always execute the EOI "
              "hypercall. ... irq_status_query.flags |= XENIRQSTAT_needs_eoi;", module=M)
reading("linux.irq-from-pirq-list", "xen_irq_from_pirq walks the live irq list: after teardown destroyed a "
        "device's irqs, af42b8d12f8a finds no irq for its cached pirq. (2.6.37's pirq_to_irq[] kept a domU's "
        "stale entry, which is what made the re-use work in 2010.)", source=LINUX_IRQ_FROM_PIRQ,
        quote="list_for_each_entry(info, &xen_irq_list_head, list) { if (info->type != IRQT_PIRQ) continue; "
              "irq = info->irq; if (info->u.pirq.pirq == pirq) goto out; } irq = -1;", module=M)
reading("linux.xen-pirq-irqs-unmanaged", "A pirq guest's MSI / MSI-X irqs (HVM with pirqs, PV) are never managed "
        "irqs: xen_bind_pirq_msi_to_irq allocates them with xen_allocate_irqs_dynamic -> irq_alloc_descs(-1, 0, "
        "nvec, -1) (6.7+: irq_alloc_desc_from(0, -1) per irq), without the affinity descriptors "
        "irq_create_affinity_masks put in the msi_descs -- the Xen MSI domain's domain_alloc_irqs replaces the "
        "generic allocator that would pass them. So an nvme I/O queue irq there has the default affinity, starts "
        "as a normal irq (startup, then irq_setup_affinity -> select_target_cpu) and user space may move it "
        "(no EIO). xenred21: docs/scenario.md called every pre-vector nvme queue irq managed; the model already "
        "did this (tests/heldout_xen21 r39, r40).", source=(LINUX_PCI_XEN, LINUX_STARTUP),
        quote="static int __must_check xen_allocate_irqs_dynamic(int nvec) { int i, irq = irq_alloc_descs(-1, 0, "
              "nvec, -1); / xen_bind_pirq_msi_to_irq: irq = xen_allocate_irqs_dynamic(nvec);",
        module="msidbg.model.kernel.xen")
reading("linux.xen-channels-pirq-only", "select_target_cpu (5.11+, kernel.xen_affinity_target least-loaded) "
        "compares the guest's channels_on_cpu, which counts every event channel bound to a vCPU "
        "(bind_evtchn_to_cpu -> channels_on_cpu_inc for a pirq, a VIRQ, an IPI or an interdomain channel alike). "
        "The model counts only its pirq ports: the per-CPU VIRQ / IPI channels (VIRQ_TIMER, the IPIs, VIRQ_DEBUG) "
        "are the same number on every online CPU and cancel out, but the guest's interdomain channels -- xenbus "
        "(xs_init's bind_evtchn_to_irqhandler, a postcore initcall after smp_init), the console and every PV "
        "frontend (netfront / blkfront rings, pcifront) -- are bound to vCPU 0 and then moved by their own "
        "request_irq's select_target_cpu to the least-loaded vCPUs before the first pirq. Their number is the "
        "guest's configuration, not a release's behaviour: a real guest's first pirq port lands that many vCPUs "
        "later than the model's (vCPU 1 in the model; with xenbus alone on vCPU 1 of a 2-vCPU guest, vCPU 0). "
        "Which vCPU serves a port is the model's; outcomes that depend on it are as hypothetical as this. "
        "(xenred21, tests/heldout_xen21 r01, r31.)", status="hypothetical", source=LINUX_AFFINITY,
        quote="bind_evtchn_to_cpu: channels_on_cpu_dec(info); info->cpu = cpu; channels_on_cpu_inc(info); / "
              "bind_evtchn_to_irq_chip: New interdomain events are initially bound to vCPU0 ... "
              "bind_evtchn_to_cpu(evtchn, 0, false);", module="msidbg.model.kernel.xen_events")
reading("linux.aws-version", "xen-hvm-msix-mask-late uses Xen 4.4 (qemu-xen-4.4) for the AWS m4.large host: "
        "the thread only says \"the older Xen version\"; any upstream Xen from a35137373a (4.4; 4.2.4, 4.3.1) "
        "to 4.5 with any device model shows the bug (4.2.0 .. 4.2.3 and 4.3.0 discard the guest's mask writes). "
        "audit15: Xen-era EC2 guests on the m4's Xeon E5-2676 v3 (family 6 model 63) report the host's hvmloader "
        "SMBIOS BIOS version 'Xen 4.2.amazon' in public systeminfo / dmidecode dumps of 2018 .. 2021 and "
        "'Xen 4.11.amazon' in dumps of 2023 .. 2025: an Amazon fork of 4.2 (its patch level hidden by the "
        "'.amazon' extraversion), later of 4.11. Which one the 2022 thread's host ran is not recorded, but the model "
        "loses the signals with xen 4.2.4 .. 4.5 and delivers them with 4.2.3, 4.3.0, 4.6 and 4.11 (from 4.6 Xen "
        "combines the guest's mask with its own): the host that showed the bug behaved as the 4.2 fork with "
        "a35137373a would, not as an upstream 4.11. Still a stand-in: hypothetical.", status="hypothetical",
        module=M)
LINUX_PCIFRONT_OP = Source(L, "v6.6", "drivers/pci/xen-pcifront.c", "do_pci_op (spin_lock_irqsave, "
                           "xen_poll_irq_timeout until _XEN_PCIF_active clears; 2 s: XEN_PCI_ERR_dev_not_found)", "all")
reading("linux.pv-pciback-one-step", "On xen-pv pciback's work (dom0's Linux, its map hypercalls) is one step. The "
        "guest's side of it is in the source (audit12): pcifront's do_pci_op holds sh_info_lock with interrupts "
        "off and polls until pciback clears _XEN_PCIF_active, so the requesting vCPU takes no interrupt until the "
        "answer. Not read: that dom0's work is atomic for the other vCPUs and the device (pciback runs it from a "
        "workqueue in dom0, its register writes and hypercalls spread over time); and the 2-second timeout "
        "(XEN_PCI_ERR_dev_not_found) is not modelled.", status="hypothetical", source=(LINUX_PCIFRONT_OP,),
        module=M)
reading("pciback.cap-read-only", "A PV guest's writes to the MSI and MSI-X capability (Message Control, Function "
        "Mask included, MSI address, data and Mask Bits) never reach the device: pciback handles no such field "
        "(before msi_msix_flags_write) and drops the write as read-only, or refuses any change without "
        "allow_interrupt_control, which libxl never sets; only a device assigned with permissive=1 (not "
        "modelled) takes them. The MSI-X table is read-only too (Xen's mmio_ro_ranges).",
        source=(PCIBACK_CFG, XEN_MMIO_RO),
        quote="/* By default, anything not specificially handled above is read-only. The permissive flag changes "
        "this behavior so that anything not specifically handled above is writable. */ ... if "
        "(!dev_data->allow_interrupt_control || (new_value ^ old_value) & ~field_config->allowed_bits) return "
        "PCIBIOS_SET_FAILED;", module="msidbg.model.qemu")
reading("linux.every-device-uses-pirqs", "An HVM guest with pirqs replaces the MSI domain for every PCI device "
        "(xen_setup_pci_msi): a QEMU-emulated device gets pirq messages too.", source=LINUX_HVM_MSI_INIT,
        quote="} else if (xen_hvm_domain()) { xen_msi_ops.setup_msi_irqs = xen_hvm_setup_msi_irqs; ... "
              "x86_init.irqs.create_pci_msi_domain = xen_create_pci_msi_domain;", module=M)
reading("xen.hvm-pirqs-feature", "An HVM guest uses pirqs only when Xen offers XENFEAT_hvm_pirqs: from "
        "0b469cd68708 (4.1) every HVM domain, from 024e7131be5c (4.19) only one whose xl.cfg sets hvm_pirq=1 "
        "(libxl's default is off); without it pci_xen_hvm_init returns early and every device keeps the native "
        "x86 MSI domain (platform.xen_hvm_pirqs).", source=(XEN_HVM_PIRQS, LINUX_HVM_MSI_INIT),
        quote="(has_pirq(d) ? (1U << XENFEAT_hvm_pirqs) : 0); / libxl_defbool_setdefault(&b_info->u.hvm.pirq, "
              "false); / if (!xen_have_vector_callback || !xen_feature(XENFEAT_hvm_pirqs)) return 0;", module=M)
APIC_VIRT_CPUID = Source(X, "3196856c65", "xen/arch/x86/hvm/vmx/vmx.c, xen/include/public/arch-x86/cpuid.h",
                         "vmx_hypervisor_cpuid_leaf (XEN_HVM_CPUID_APIC_ACCESS_VIRT / _X2APIC_VIRT)", "4.5..")
reading("xen.apic-virt-cpuid-from-4.5", "Xen sets XEN_HVM_CPUID_APIC_ACCESS_VIRT / _X2APIC_VIRT in its CPUID leaf 4 "
        "for an HVM guest from 4.5.0 (3196856c65; git tag --contains: first 4.5.0-rc1); before it no guest sees "
        "them, so platform.apic_virtualization with a platform.xen before 4.5 is a load error (a guest with "
        "native MSIs there is platform.xen_hvm_pirqs: false).", source=APIC_VIRT_CPUID,
        quote="if ( cpu_has_vmx_apic_reg_virt ) *eax |= XEN_HVM_CPUID_APIC_ACCESS_VIRT;", module="msidbg.model.xen")
reading("linux.apic-virt-no-pirqs", "When Xen advertises (x2)APIC virtualization in CPUID leaf 4 the guest keeps "
        "the native x86 MSI domain for every device (platform.apic_virtualization). The Linux commit that added "
        "the check is not identified; v5.10+ have it.", source=LINUX_HVM_MSI_INIT,
        quote="if (((eax & XEN_HVM_CPUID_X2APIC_VIRT) && x2apic_mode) || ((eax & XEN_HVM_CPUID_APIC_ACCESS_VIRT) "
              "&& boot_cpu_has(X86_FEATURE_APIC))) return; } xen_setup_pci_msi();", module=M)
reading("qemu.emulated-pirq-ignores-mask", "A QEMU-emulated device ignores its MSI / MSI-X mask bits for a pirq "
        "message from 428c3ece97 (qemu-xen 4.7, 4.5.3; 4.6.3 by Xen's QEMU_UPSTREAM_REVISION pins, unread -- "
        "audit21: the row platform.qemu_msix_pirq_ignore_mask has it, the reading did not); before it the guest's "
        "xen-pirq chip never unmasks them and the device's signals stay pending.", source=QEMU_EMU_MSIX,
        quote="/* MSIs on Xen can be remapped into pirqs. In those cases, masking and unmasking go through the "
              "PV evtchn path. */ if (xen_is_pirq_msi(*data)) { return false; }", module="msidbg.model.qemu")
reading("xen.hvm-inject-msi", "QEMU injects an emulated device's pirq message (xen_hvm_inject_msi); Xen maps the "
        "pirq's emuirq on the first one and sends it on the pirq's event channel. The emuirq keeps the pirq "
        "from being free: closing the port clears it only for a mapped pirq.", source=XEN_INJECT,
        quote="if ( !info || info->arch.hvm.emuirq == IRQ_UNBOUND ) { ... rc = map_domain_emuirq_pirq(d, pirq, "
              "IRQ_MSI_EMU); ... } else if ( info->arch.hvm.emuirq != IRQ_MSI_EMU ) return -EINVAL; "
              "send_guest_pirq(d, info);", module="msidbg.model.evtchn")
QEMU_ONE_IOREQ = Source(Q, "qemu-xen-4.5.0", "xen-hvm.c (hw/xen/xen-hvm-common.c in later QEMU, read there too)",
                        "cpu_handle_ioreq -> cpu_get_ioreq (one pending vCPU request per call), handle_ioreq", "all")
QEMU_CFG_READ = Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt.c (qemu-xen-4.2.0 .. 4.7.0-rc4)",
                       "xen_pt_pci_read_config (emulated registers' bits from QEMU, the rest read from the device)",
                       "all")
QEMU_MSIX_READ = Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt_msi.c (qemu-xen-4.2.0 .. 4.7.0-rc4)",
                        "pci_msix_read (get_entry_value of the emulated entry)", "all")
XEN_REISSUE = Source(X, "RELEASE-4.14.0", "xen/arch/x86/hvm/emulate.c",
                     "hvmemul_do_io (STATE_IORESP_READY: the re-issued emulation takes the response; "
                     "RELEASE-4.0.0: HVMIO_completed -> finish_access copies io_data)", "all")
reading("qemu.reads-queued", "A guest read of a passthrough device's register QEMU emulates (config space through "
        "xen_pt_pci_read_config, the MSI-X table through pci_msix_read when Xen's vMSI-X intercept does not "
        "answer it) is an ioreq like a write: Xen sends it to QEMU and the vCPU waits (hvmemul_do_io -> "
        "hvm_send_ioreq), QEMU serves one vCPU's request at a time from its main loop (cpu_handle_ioreq -> "
        "cpu_get_ioreq), computing the value then, so a read queued behind another vCPU's write sees that write; "
        "Xen then emulates the instruction again and takes the response (STATE_IORESP_READY, 4.0's "
        "HVMIO_completed). msidbg queues the read in QEMU's queue and runs the reading step again once QEMU has "
        "answered (sim.program.Replay); the vCPU runs nothing and takes no interrupt meanwhile. Not queued: "
        "values the kernel cached at setup (msi_attrib.can_mask and multi_cap, read from QEMU's state), "
        "msi_setup_msi_desc's read of the initial Mask Bits (taken from the device, not through QEMU), a PV "
        "guest's pcifront reads, and the reads of registers msidbg does not model (the MSI-X Table Offset/BIR, "
        "the PBA).", source=(QEMU_ONE_IOREQ, XEN_REISSUE, QEMU_CFG_READ, QEMU_MSIX_READ),
        quote="req->state = STATE_IORESP_READY; xc_evtchn_notify(...) / case STATE_IORESP_READY: "
              "vio->io_req.state = STATE_IOREQ_NONE; p = vio->io_req; /* Verify the emulation request has been "
              "correctly re-issued */ ... goto finish_access; / return get_entry_value(&msix->msix_entry[entry_nr], "
              "offset);", module="msidbg.model.qemu")
XEN_IOREQ_WAIT = Source(X, "RELEASE-4.14.0", "xen/arch/x86/hvm/emulate.c + xen/arch/x86/hvm/ioreq.c",
                        "hvmemul_do_io (hvm_send_ioreq -> X86EMUL_RETRY), hvm_send_ioreq, hvm_wait_for_io "
                        "(wait_on_xen_event_channel), handle_hvm_io_completion",
                        "all (4.5.0: hvm.c, 4.10.0: ioreq.c read)")
reading("xen.ioreq-wait", "A vCPU whose access went to an ioreq server (QEMU) does not retire the instruction "
        "until the server completes it: hvm_send_ioreq marks the request ready and returns X86EMUL_RETRY, and on "
        "its way back to the guest the vCPU sleeps in hvm_wait_for_io until the response is ready -- whatever the "
        "guest was running, an interrupt handler's write included. That CPU, in hardirq with interrupts off, runs "
        "nothing meanwhile.", source=XEN_IOREQ_WAIT,
        quote="case STATE_IOREQ_READY: case STATE_IOREQ_INPROCESS: wait_on_xen_event_channel(sv->ioreq_evtchn, "
              "({ state = p->state; smp_rmb(); state != prev_state; })); goto recheck;",
        module="msidbg.model.qemu")
reading("qemu.emulated-register-access", "An emulated (not passed-through) device's registers are QEMU's own: the "
        "guest's accesses reach them directly (the trap into QEMU is costed as a config or MMIO access). In the "
        "source (audit12) each such access is an ioreq QEMU serves in turn with every other vCPU's "
        "(cpu_handle_ioreq, one at a time), as a passthrough device's are (qemu.reads-queued, which msidbg "
        "models): msidbg queues neither the reads nor the writes of a device QEMU emulates itself.",
        status="hypothetical", source=(QEMU_ONE_IOREQ,), module="msidbg.model.qemu")
XEN_PV_RO_FAULT = Source("xen-project/xen", "RELEASE-4.14.0", "xen/arch/x86/pv/ro-page-fault.c",
                         "pv_ro_page_fault ('mmio_ro = is_hardware_domain(currd) && rangeset_contains_singleton("
                         "mmio_ro_ranges, ...)'; else ptwr_do_page_fault, which takes only L1 page tables)",
                         "4.10.. (pv/ro-page-fault.c from 4.10; read at RELEASE-4.10.0, 4.11.0, 4.12.0, 4.14.0)")
XEN_PV_RO_FAULT_OLD = Source("xen-project/xen", "RELEASE-4.8.0", "xen/arch/x86/traps.c, xen/arch/x86/mm.c",
                             "fixup_page_fault ('is_hardware_domain(d) && ... mmio_ro_do_page_fault'), "
                             "get_page_from_l1e ('Forcing read-only access to MFN')",
                             "..4.9 (the same test at RELEASE-4.3.0, 4.4.0, 4.9.0; IS_PRIV(d) at 4.2.0)")
reading("xen.pv.msix-table-fault", "(kernel26) A Xen PV domU's store to a passed-through device's MSI-X table is a "
        "page fault the guest kernel cannot fix up, not a dropped write: Xen puts the table (and PBA) pages in "
        "mmio_ro_ranges (msix_capability_init; pciback's PHYSDEVOP_prepare_msix at assignment, from 4.3), and "
        "get_page_from_l1e forces every PV mapping of them read-only; pv_ro_page_fault emulates a store there (mmio_ro_emulated_write, which "
        "discards it) only for the hardware domain, and for a domU falls to ptwr_do_page_fault, which handles "
        "only L1 page-table pages: X86EMUL_UNHANDLEABLE, the #PF is reflected to the guest, and writel in "
        "kernel mode has no exception-table fixup -- the task oopses. Before ro-page-fault.c, traps.c fixup_page_fault "
        "has the same 'is_hardware_domain(d) && ... mmio_ro_do_page_fault' test (read at RELEASE-4.3.0, 4.4.0, "
        "4.8.0, 4.9.0; IS_PRIV(d) at 4.2.0), then propagate_page_fault. msidbg's raw table write on xen-pv ends its action with the oops "
        "(-EFAULT, msidbg's: the real task never returns); it dropped the store before (PvAccessors.msix_write), "
        "which contradicted kernel.msix.mask-all-pv and kernel.msix.shutdown-mask-pv. Not modelled: a store "
        "before Xen has set the pages read-only (no pciback prepare_msix and no MSI-X set up yet) would reach "
        "the device.", source=(XEN_PV_RO_FAULT, XEN_PV_RO_FAULT_OLD, XEN_MMIO_RO),
        quote="mmio_ro = is_hardware_domain(currd) && rangeset_contains_singleton(mmio_ro_ranges, "
              "l1e_get_pfn(pte)); if ( mmio_ro ) rc = mmio_ro_do_page_fault(&ctxt, addr, pte); else rc = "
              "ptwr_do_page_fault(&ctxt, addr, pte);", module="msidbg.model.kernel.driver")
reading("qemu.raw-write-routed", "The scenario's raw write action to a passed-through device is a guest access like "
        "the kernel's own: on xen-hvm a config write traps into QEMU (xen_pt_pci_write_config) and a table write "
        "into Xen's vMSI-X intercept or QEMU (pci_msix_write); a table write narrower than 4 bytes is not Xen's "
        "(msixtbl_write takes 4 and 8 bytes) and QEMU's memory core refuses it (pci_msix_ops valid.min_access_size "
        "4); on xen-pv a config write goes through pcifront to pciback, and a table store faults on the page Xen "
        "keeps read-only: the task oopses (xen.pv.msix-table-fault).", source=(QEMU_REMAP, QEMU_MSI_47, XEN_MMIO_RO),
        quote=".valid = { .min_access_size = 4, .max_access_size = 4, .unaligned = false, }, / if ( (len != 4 && "
              "len != 8) || (address & (len - 1)) ) return r;", module="msidbg.model.kernel.driver")
reading("qemu.traditional-like-44", "qemu-traditional's Message Control write binds on Enable with Function Mask "
        "clear; up to Xen 4.3.2's and 4.4.0's trees it otherwise only records Enable -- like qemu-xen 4.4 it does "
        "nothing on disable (pt_msix_disable runs at device reset) -- and from Xen 4.5's (d0395cc4, the twin of "
        "qemu-xen's c976437c7dba; the stable copies 8a7abb16 and 6ae4e588 are in the xen-4.3.3 and xen-4.4.1 trees, "
        "row platform.qemu_unmap_pirq_on_msi_disable) clearing Enable unbinds and unmaps every pirq. audit21: the "
        "text said 'up to Xen 4.4's tree' after audit18 had found the copies in 4.3.3 .. 4.3.4 and 4.4.1 .. 4.4.4 "
        "(pt_msixctrl_reg_write calls pt_msix_disable there; the model already followed the row).", source=QEMU_TRAD,
        quote="if ((*value & PCI_MSIX_ENABLE) && !(*value & PCI_MSIX_MASK)) pt_msix_update(ptdev); "
              "[xen-4.5.0: else if (!(*value & PCI_MSIX_ENABLE) && ptdev->msix->enabled) pt_msix_disable(ptdev);] "
              "ptdev->msix->enabled = !!(*value & PCI_MSIX_ENABLE);", module="msidbg.model.qemu_pt")
reading("seed003.two-implied-calls", "The log's first get_free_pirq returns 93 although 95 and 94 were free: two "
        "calls came before its first line. The thread shows one earlier shutdown_pirq (3697705.47, its "
        "get_free_pirq lines not quoted), which the same instrumentation makes call twice; "
        "xen-sriov-pirq-log stands them in with two hypercall actions.", status="hypothetical",
        module="msidbg.model.probes")

# --- an HVM guest's passthrough INTx (model/xen_intx.py; intxxen) -------------------------------------------
M = "msidbg.model.xen_intx"
XEN_INTX_DPCI = Source(X, "RELEASE-4.19.0", "xen/drivers/passthrough/x86/hvm.c",
                       "pt_irq_create_bind (PT_IRQ_TYPE_PCI), hvm_do_IRQ_dpci, hvm_dirq_assist, hvm_dpci_eoi, "
                       "__hvm_dpci_eoi, hvm_pirq_eoi", "4.16..")
XEN_INTX_VIOAPIC = Source(X, "RELEASE-4.19.0", "xen/arch/x86/hvm/vioapic.c, xen/arch/x86/hvm/irq.c",
                          "vioapic_irq_positive_edge, vioapic_update_EOI, vioapic_write_redirent, "
                          "__hvm_pci_intx_assert, __hvm_pci_intx_deassert", "all")
XEN_INTX_GUEST_IRQ = Source(X, "RELEASE-4.19.0", "xen/arch/x86/irq.c",
                            "irq_acktype (IO-APIC-level: ACKTYPE_EOI), do_IRQ_guest, irq_guest_eoi_timer_fn, "
                            "pirq_guest_eoi, desc_guest_eoi", "all")
XEN_INTX_NO_TIMER = Source(X, "730d0f6082", "xen/drivers/passthrough/x86/hvm.c",
                           "x86/dpci: remove the dpci EOI timer (pt_irq_time_out)", "4.16..")
QEMU_PT_INTX = Source("qemu/qemu", "f28b958cbf08", "hw/xen/xen_pt.c", "xen_pt_realize (xc_physdev_map_pirq, "
                      "xc_domain_bind_pt_pci_irq)", "all")
QEMU_PT_CMD = Source("qemu/qemu", "2d0ed5e642d5", "hw/xen/xen_pt_config_init.c", "xen_pt_cmd_reg_write", "all")
LIBXC_MAP_GSI = Source(X, "RELEASE-4.19.0", "tools/libs/ctrl/xc_physdev.c", "xc_physdev_map_pirq", "all")
LINUX_PV_INTX = Source(L, "v6.6", "arch/x86/pci/xen.c", "xen_pcifront_enable_irq, pci_xen_init "
                       "(pcibios_enable_irq)", "2.6.37..")
LINUX_GSI_BIND = Source(L, "v6.6", LINUX_EVENTS, "xen_bind_pirq_gsi_to_irq, xen_irq_from_gsi, "
                        "xen_allocate_irq_gsi, xen_pirq_chip, eoi_pirq, pirq_check_eoi_map", "2.6.37..")
XEN_PV_GUEST_IRQ = Source(X, "RELEASE-4.19.0", "xen/arch/x86/irq.c", "pirq_guest_bind, irq_acktype, do_IRQ_guest "
                          "(send_guest_pirq), desc_guest_eoi, irq_guest_eoi_timer_fn, __pirq_guest_unbind", "all")
XEN_PV_PHYSDEV = Source(X, "RELEASE-4.19.0", "xen/arch/x86/physdev.c", "PHYSDEVOP_eoi (pirq_guest_eoi), "
                        "PHYSDEVOP_irq_status_query (XENIRQSTAT_needs_eoi)", "all")
XEN_IOAPIC_ACK = Source(X, "RELEASE-4.19.0", "xen/arch/x86/io_apic.c, xen/arch/x86/apic.c",
                        "setup_IO_APIC (ioapic_ack_new), mask_and_ack_level_ioapic_irq, end_level_ioapic_irq_old/new, "
                        "verify_local_APIC's directed EOI", "all")
LIBXL_PCI_IRQ = Source(X, "RELEASE-4.19.0", "tools/libs/light/libxl_pci.c", "pci_add_dm_done "
                       "(xc_physdev_map_pirq of the function's sysfs irq, xc_domain_irq_permission)", "all")
PCIBACK_MSI = Source(L, "v6.6", "drivers/xen/xen-pciback/pciback_ops.c", "xen_pcibk_enable_msi / "
                     "xen_pcibk_disable_msi (dom0's pci_enable_msi / pci_disable_msi)", "all")
module(M, XEN_INTX_DPCI, XEN_INTX_VIOAPIC, XEN_INTX_GUEST_IRQ, QEMU_PT_INTX, LIBXC_MAP_GSI, LINUX_PV_INTX,
       LINUX_GSI_BIND, XEN_PV_GUEST_IRQ, XEN_PV_PHYSDEV, LIBXL_PCI_IRQ)
reading("xen.intx.pv-bind", "A PV guest's pcifront function: the toolstack maps the function's host irq (its "
        "machine GSI) to the pirq of the same number for the domain; pciback puts that pirq in Interrupt Line, and "
        "pci_enable_device's xen_pcifront_enable_irq binds it with xen_bind_pirq_gsi_to_irq(gsi, pirq = gsi, shareable "
        "for a GSI of 16 and up): one guest irq per GSI (xen_irq_from_gsi gives a second function the first one's), a "
        "dynamic irq number (a PV domU has no GSIs), xen_pirq_chip with handle_fasteoi_irq, no event channel until "
        "request_irq's startup_pirq.", source=(LIBXL_PCI_IRQ, LIBXC_MAP_GSI, LINUX_PV_INTX, LINUX_GSI_BIND),
        quote="r = xc_physdev_map_pirq(ctx->xch, domid, irq, &irq); ... /* In PV DomU the Xen PCI backend puts the "
              "PIRQ in the interrupt line.*/ pirq = gsi; ... irq = xen_irq_from_gsi(gsi); if (irq != -1) { ... goto "
              "out; } ... if (shareable) irq_set_chip_and_handler_name(irq, &xen_pirq_chip, handle_fasteoi_irq, name);",
        module=M)
reading("xen.intx.pv-bind-at-boot", "The model binds every pcifront GSI at boot, in bus order, numbering the irqs "
        "from the first dynamic one (24) before any MSI irq: the real binding happens at each function's "
        "pci_enable_device and the number is whatever irq the guest's other event channels (timer, IPIs, xenbus, "
        "the console) left free. Nothing the model runs reads the number. audit15: the source's timing is read "
        "(xen.intx.pv-bind: pci_enable_device's xen_pcifront_enable_irq); binding at boot is the model's, so the "
        "reading stays hypothetical.", status="hypothetical", source=(LINUX_PV_INTX,), module=M)
reading("xen.intx.pv-guest", "EVTCHNOP_bind_pirq of the GSI pirq is pirq_guest_bind: the first guest makes the "
        "level IO-APIC irq IRQ_GUEST with irq_acktype's ack type and starts it (the entry unmasked), and sets the "
        "pirq's pirq_eoi_map bit (the ack type is not ACKTYPE_NONE), so the guest's eoi_pirq makes PHYSDEVOP_eoi. Each "
        "host interrupt: do_IRQ_guest sets the guest's pirq->masked (in_flight++), send_guest_pirq sets the port "
        "pending and arms the 1 ms eoi_timer. The guest's handle_fasteoi_irq runs the shared actions, then eoi_pirq: "
        "clear_evtchn and PHYSDEVOP_eoi -> pirq_guest_eoi -> desc_guest_eoi (masked cleared, --in_flight, at 0 "
        "stop_timer and the host EOI: a line still asserted interrupts again). EVTCHNOP_close (shutdown_pirq) is "
        "pirq_guest_unbind: the last guest gone, the irq is disabled and its pending EOI flushed.",
        source=(XEN_PV_GUEST_IRQ, XEN_PV_PHYSDEV, LINUX_GSI_BIND),
        quote="action->ack_type = irq_acktype(desc); ... desc->handler->startup(desc); ... if ( action->ack_type != "
              "ACKTYPE_NONE ) set_pirq_eoi(v->domain, pirq->pirq); ... if ( !is_hvm_domain(d) || !hvm_do_IRQ_dpci(d, "
              "pirq) ) send_guest_pirq(d, pirq); ... if ( is_pv_domain(currd) || domain_pirq_to_irq(currd, eoi.irq) > "
              "0 ) pirq_guest_eoi(pirq); ... stop_timer(&action->eoi_timer);", module=M)
reading("xen.intx.pv-ack-type", "The modelled host acknowledges the level IO-APIC irq with the new ack method "
        "(ioapic_ack_new, the default): ACKTYPE_EOI, Remote IRR held until the guest's EOI or the eoi_timer. A host "
        "with directed EOI (verify_local_APIC turns ioapic_ack_new off unless ioapic_ack=new forced it) or booted "
        "with ioapic_ack=old has ACKTYPE_UNMASK: the ack masks the entry (or, with directed EOI, leaves Remote IRR "
        "set) and the guest's EOI runs desc->handler->end, which unmasks it (and EOIs it). Either way the line "
        "interrupts Xen again only after the guest's EOI or the eoi_timer, and the pirq_eoi_map bit is set: the "
        "model does not tell them apart. audit14 (RELEASE-4.19.0 io_apic.c, irq.c): the line's behaviour is as "
        "said (desc_guest_eoi and irq_guest_eoi_timer_fn run desc->handler->end for ACKTYPE_UNMASK), but the host "
        "CPU's is not: ACKTYPE_UNMASK's ack (mask_and_ack_level_ioapic_irq) EOIs the local APIC at once, while "
        "ACKTYPE_EOI keeps the vector in service on that pCPU until the guest's EOI or the timer (the "
        "pending-EOI stack, flush_ready_eoi), blocking its lower-priority vectors meanwhile -- so the reading "
        "stays hypothetical: only the default (new ack, no directed EOI) is modelled.", status="hypothetical", source=(XEN_IOAPIC_ACK, XEN_PV_GUEST_IRQ),
        quote="if (ioapic_ack_new) { ioapic_level_type.ack = irq_complete_move; ioapic_level_type.end = "
              "end_level_ioapic_irq_new; } ... return desc->handler->ack == irq_complete_move ? ACKTYPE_EOI : "
              "ACKTYPE_UNMASK;", module=M)
reading("xen.intx.pv-resend", "xen_bind_pirq_gsi_to_irq sets no trigger type (and PCI drivers request no "
        "IRQF_TRIGGER_*), so the pcifront irq is not irq_settings_is_level: check_irq_resend replays an IRQS_PENDING "
        "through retrigger_dynirq (set the port pending), unlike a bare-metal IO-APIC level irq; and xen_pirq_chip "
        "has irq_disable (disable_pirq), so note_interrupt's irq_disable masks the port at once.",
        source=(LINUX_GSI_BIND,), quote="irq_set_chip_and_handler_name(irq, &xen_pirq_chip, handle_fasteoi_irq, name); "
        "... .irq_disable = disable_pirq, ... .irq_eoi = eoi_pirq, ... .irq_retrigger = retrigger_dynirq,", module=M)
PCIBACK_CMD_VAL = Source(L, "v6.12.19", "drivers/xen/xen-pciback/conf_space_header.c",
                          "command_init / command_read / command_write (cmd->val)",
                          "4.0.., 3.19.2.. (af6fc858a35b, the stable release inferred as row pciback_cmd_emulated says; read in 4.13.9, 5.15.24 and 6.12.19 trees: kinmax/linux-4.13.19 "
                          "135f62e8, yhuan416/linux-5.15.24 0ea83df2, wishday/linux-6.12.y 21ae40e8; "
                          "allow_interrupt_control's pci_intx is in 5.15.24 and 6.12.19, not 4.13.9)")
XEN_MSI_INTX = Source("xen-project/xen", "4.23-dev", "xen/arch/x86/msi.c",
                      "msi_capability_init / msix_capability_init / __pci_disable_msi (pci_intx only 'if ( "
                      "!hardware_domain )' and for an irq without IRQ_GUEST)", "ae01a8e315..")
reading("xen.intx.pv-cmd", "pciback's enable of MSI or MSI-X for a PV guest is dom0's pci_enable_msi[x], whose "
        "msi[x]_capability_init sets the function's Interrupt Disable (pci_intx_for_msi(dev, 0)); its disable clears "
        "it (pci_msi[x]_shutdown) -- for every function, pin or not (intx36). The guest's own pci_intx_for_msi "
        "reads Command through pcifront: pciback's command_read answers Interrupt Disable (not a "
        "PCI_COMMAND_GUEST bit) from cmd->val -- the Command command_init read when pciback took the function, "
        "then whatever the guest last wrote -- not from the device dom0 has just written; the guest's write "
        "reaches command_write, which passes no Interrupt Disable (pci_intx only with allow_interrupt_control, "
        "which libxl never sets; permissive not modelled) and stores the value in cmd->val. So a PV guest's "
        "enable writes (a dropped pcifront write) though dom0 has set the bit. Xen itself writes no Interrupt "
        "Disable for a guest's MSI: its pci_intx calls are for Xen's own devices before dom0 starts "
        "(!hardware_domain) and for irqs without IRQ_GUEST. The model keeps only Interrupt Disable of cmd->val "
        "(``pb_cmd``): command_read's other non-guest bits (the decode bits) are still answered from the device.",
        source=(PCIBACK_MSI, PCIBACK_CMD_VAL, XEN_MSI_INTX),
        quote="*value &= PCI_COMMAND_GUEST; *value |= cmd->val & ~PCI_COMMAND_GUEST; ... if (dev_data && "
        "dev_data->allow_interrupt_control && ((cmd->val ^ value) & PCI_COMMAND_INTX_DISABLE)) pci_intx(dev, "
        "!(value & PCI_COMMAND_INTX_DISABLE)); cmd->val = value; if (!xen_pcibk_permissive && (!dev_data || "
        "!dev_data->permissive)) return 0;", module=M)
reading("xen.intx.pv-not-modelled", "Not modelled for a PV guest's INTx (each a one-line load error): moving its "
        "pirq irq (set_affinity, a hint, cpu_offline: before 1ca1b4e2c0cb (5.11) eoi_pirq would apply a pending move, which "
        "the model's handle_fasteoi_irq on the pirq chip does not) and PHYSDEVOP_unmap_pirq of its GSI pirq "
        "(unmap_domain_pirq of an IO-APIC irq). A GSI shared with another domain (nr_guests > 1) is not modelled.",
        status="hypothetical", module=M)
reading("xen.intx.bind", "QEMU xen-pt's realize maps the function's machine GSI to the pirq of the same number "
        "and binds it for the guest slot's pin: the guest's GSI is hvm_pci_intx_gsi(slot, pin), shared by every "
        "slot/pin the formula folds onto it; a second function on the same machine GSI adds a digl to the same "
        "pirq.", source=(QEMU_PT_INTX, LIBXC_MAP_GSI, XEN_INTX_DPCI,
                         Source(X, "RELEASE-4.19.0", "xen/arch/x86/include/asm/hvm/irq.h", "hvm_pci_intx_gsi",
                                "all (xen/include/asm-x86/hvm/irq.h up to 4.16.0; the same formula in 4.5.0)")),
        quote="map.pirq = *pirq < 0 ? index : *pirq; ... rc = xc_domain_bind_pt_pci_irq(xen_xc, xen_domid, "
              "machine_irq, pci_dev_bus_num(d), PCI_SLOT(d->devfn), e_intx); ... guest_gsi = "
              "hvm_pci_intx_gsi(digl->device, digl->intx); ... #define hvm_pci_intx_gsi(dev, intx) "
              "(((((dev)<<2) + ((dev)>>3) + (intx)) & 31) + 16)", module=M)
reading("xen.intx.assist", "A host interrupt of a bound level GSI: do_IRQ_guest sets the guest's pirq->masked "
        "(in_flight++) and arms the 1 ms eoi_timer; hvm_dirq_assist asserts every digl's guest line "
        "(gsi_assert_count; vioapic_irq_positive_edge on 0 -> 1 only, which skips a masked entry or one with "
        "Remote IRR set) and counts pending++ per digl, whether the line was already asserted or not.",
        source=(XEN_INTX_GUEST_IRQ, XEN_INTX_DPCI, XEN_INTX_VIOAPIC),
        quote="list_for_each_entry ( digl, &pirq_dpci->digl_list, list ) { ... hvm_pci_intx_assert(d, "
              "digl->device, digl->intx); pirq_dpci->pending++; } ... if ( hvm_irq->gsi_assert_count[gsi]++ == 0 ) "
              "assert_gsi(d, gsi); ... if ( ent->fields.mask ) return; ... else if ( !ent->fields.remote_irr )",
        module=M)
reading("xen.intx.eoi", "The guest's EOI of the vector (vioapic_update_EOI) clears Remote IRR of every vIOAPIC "
        "entry with it and runs hvm_dpci_eoi for its GSI: every girq on the GSI is deasserted and its pirq's "
        "pending decremented -- whether that pirq asserted this time or not; pending is a uint16_t, so a pirq "
        "that did not wraps to 65535 and later EOIs of it never reach pirq_guest_eoi: its host irq is EOIed by "
        "the 1 ms eoi_timer, which does not reset pending. Then a level entry still asserted is delivered "
        "again. audit14 read every release the model accepts: vioapic_update_EOI is the same in RELEASE-4.15.0 .. "
        "4.21.0 (a vector matches every pin whose RTE holds it -- two guest GSIs on vector 0x21 of two vCPUs are "
        "both ended by either vCPU's EOI, vlapic_handle_EOI calling it whenever the EOId vector's TMR bit is set); "
        "4.13/4.14 pass the entry to hvm_dpci_eoi (the masked-entry skip, xen.intx.dpci-timer) and re-deliver "
        "without the '!ent->fields.remote_irr' test 4.15 added (the same here: the host irq a pirq_guest_eoi "
        "releases comes back through Xen's softirq, never inside the loop); struct hvm_pirq_dpci's pending is "
        "uint16_t in 4.4 .. 4.21 and hvm_pirq_eoi decrements it with no guard in each, so 0 - 1 = 65535 (the "
        "model's PENDING_MASK); pt_irq_time_out's 'pending = 0' is gone from 4.16.", source=(XEN_INTX_VIOAPIC, XEN_INTX_DPCI, XEN_INTX_GUEST_IRQ),
        quote="list_for_each_entry ( girq, &hvm_irq_dpci->girq[guest_gsi], list ) __hvm_dpci_eoi(d, girq); ... "
              "if ( --pirq_dpci->pending || (pirq_dpci->flags & HVM_IRQ_DPCI_TRANSLATE) ) return; "
              "pirq_guest_eoi(pirq); ... uint16_t pending; ... if ( test_and_clear_bool(pirq->masked) ) "
              "action->in_flight--;", module=M)
XEN_INTX_DPCI_OLD = Source(X, "RELEASE-4.13.0", "xen/drivers/passthrough/io.c", "hvm_dirq_assist (set_timer "
                           "PT_IRQ_TIME_OUT), pt_irq_time_out, pt_irq_guest_eoi, hvm_pirq_eoi (ent->fields.mask)",
                           "4.13..4.15")
XEN_INTX_EOI_MASKED = Source(X, "eb298f32fa", "xen/drivers/passthrough/x86/hvm.c",
                             "x86/dpci: EOI interrupt regardless of its masking status",
                             "4.15.., 4.14.2.., 4.13.3.. (a3509dcd0f, dc36f72d2a; xen_dpci_eoi_masked)")
XEN_EOI_TIMER_STOP = Source(X, "359cf6f8a0", "xen/arch/x86/irq.c", "x86/IRQ: don't keep EOI timer running without "
                            "need (desc_guest_eoi: stop_timer); a646da4a3d: bail early when nothing is in flight",
                            "4.13..")
reading("xen.intx.dpci-timer", "Before 730d0f6082 (first in RELEASE-4.16.0; platform.xen_dpci_eoi_timer) "
        "hvm_dirq_assist set the pirq's dpci timer to PT_IRQ_TIME_OUT (8 ms) after asserting its digls, and "
        "hvm_pirq_eoi stopped it when pending reached 0. pt_irq_time_out latches every girq on the guest GSI of "
        "each of the pirq's digls and deasserts the digls' guest lines, then gives every latched pirq pending = 0 "
        "and pirq_guest_eoi: a pending wrapped by a shared guest GSI comes back to 0 8 ms after the pirq's last "
        "interrupt. Before eb298f32fa (4.15; 4.13.3, 4.14.2; platform.xen_dpci_eoi_masked) hvm_pirq_eoi returned "
        "without pirq_guest_eoi (and without stopping the dpci timer) when the guest's vIOAPIC entry was masked at "
        "its EOI, leaving the host irq to the 1 ms eoi_timer. Xen before 4.13 (its eoi_timer not stopped at the "
        "guest's EOI, 359cf6f8a0) is refused for an HVM intx: pin.",
        source=(XEN_INTX_DPCI_OLD, XEN_INTX_NO_TIMER, XEN_INTX_EOI_MASKED, XEN_EOI_TIMER_STOP),
        quote="set_timer(&pirq_dpci->timer, NOW() + PT_IRQ_TIME_OUT); ... pirq_dpci(pirq)->flags |= "
        "HVM_IRQ_DPCI_EOI_LATCH; ... hvm_pci_intx_deassert(irq_map->dom, digl->device, digl->intx); ... "
        "pirq_dpci->pending = 0; pirq_guest_eoi(dpci_pirq(pirq_dpci)); ... if ( --pirq_dpci->pending || (ent && "
        "ent->fields.mask) || !pt_irq_need_timer(pirq_dpci->flags) ) return; stop_timer(&pirq_dpci->timer);",
        module=M)
reading("qemu.intx-cmd-through", "xen_pt_cmd_reg_write passes the guest's Interrupt Disable to the device when "
        "the guest sets it, and when it clears it on a function whose pin realize mapped and bound "
        "(s->machine_irq): the kernel's pci_intx reaches the device both ways on an HVM guest.",
        source=(QEMU_PT_CMD,), quote="if (*val & PCI_COMMAND_INTX_DISABLE) { throughable_mask |= "
        "PCI_COMMAND_INTX_DISABLE; } else { if (s->machine_irq) { throughable_mask |= PCI_COMMAND_INTX_DISABLE; } }",
        module="msidbg.model.qemu_pt")
LINUX_HVM_GSI = Source(L, "v6.6", "arch/x86/pci/xen.c", "pci_xen_hvm_init (__acpi_register_gsi = "
                       "acpi_register_gsi_xen_hvm)", "all")
reading("xen.intx.pirq-guest", "A guest offered XENFEAT_hvm_pirqs (with the vector callback) registers every GSI "
        "as a pirq bound to an event channel, with or without APIC virtualization (which only the MSI setup "
        "reads): its INTx is not delivered through the vIOAPIC; the loader refuses an HVM intx: pin there.",
        source=(LINUX_HVM_GSI,), quote="if (!xen_have_vector_callback || !xen_feature(XENFEAT_hvm_pirqs)) return 0; "
        "... __acpi_register_gsi = acpi_register_gsi_xen_hvm; ... x86_platform.apic_post_init = xen_hvm_msi_init;",
        module=M)
XEN_IRQ_RATELIMIT = Source(X, "RELEASE-4.19.0", "xen/arch/x86/irq.c", "do_IRQ (IRQ_GUEST: irq_ratelimit_threshold, "
                           "rl_cnt / rl_quantum_start, irq_ratelimit_timer)", "all")
reading("xen.intx.timer-bound", "A host irq whose guest lines are all asserted already (the guest's entry masked "
        "or its EOI not coming) is EOIed by the eoi_timer every 1 ms and interrupts again for as long as the "
        "machine line stays asserted; the model stops re-arming the timer once nothing but such loops and the "
        "spurious poll is scheduled (the host irq then stays in flight), as kernel.intx.poll-bound stops the "
        "poll; before 4.16 the dpci EOI timer is not re-armed then either (its deassert would make the next "
        "assist assert the line again every 8 ms for ever). audit15 (RELEASE-4.19.0 irq.c): the loop is Xen's -- "
        "do_IRQ_guest sets pirq->masked (in_flight++) and the 1 ms eoi_timer, irq_guest_eoi_timer_fn clears "
        "pirq->masked and EOIs (ACKTYPE_EOI: set_eoi_ready on the pCPUs of cpu_eoi_map), and the line, still asserted, "
        "interrupts again; do_IRQ's irq_ratelimit (10000 interrupts per 10 ms quantum by default) never engages at one "
        "per ms, and nothing else ends it. The model's stop is a termination rule, not a reading: it stays "
        "hypothetical.", status="hypothetical", source=(XEN_INTX_GUEST_IRQ, XEN_IRQ_RATELIMIT),
        quote="if ( test_and_clear_bool(pirq->masked) ) action->in_flight--; ... case ACKTYPE_EOI: ... "
        "on_selected_cpus(cpu_eoi_map, set_eoi_ready, desc, 0); / set_timer(&action->eoi_timer, NOW() + MILLISECS(1)); / "
        "static unsigned int __read_mostly irq_ratelimit_threshold = 10000; ... if ( now < (desc->rl_quantum_start + "
        "MILLISECS(10)) ) { desc->handler->disable(desc);", module=M)
#: audit16: why the guest never unmasks the ISA entries the PCI-ISA links assert (xen.intx.isa-link)
XEN_HVM_PRT = Source(X, "RELEASE-4.19.0", "tools/libacpi/mk_dsdt.c, tools/libacpi/build.c, "
                     "tools/firmware/hvmloader/config.h, xen/arch/x86/hvm/vioapic.c",
                     "_PRT (PICD: PRTA, the GSIs ((dev*4+dev/8+intx)&31)+16; PRTP, the LNKx links, in PIC mode "
                     "only), construct_madt (an override per PCI_ISA_IRQ_MASK irq: 'PCI: active-low "
                     "level-triggered', flags 0xf), PCI_ISA_IRQ_MASK 0x0c20 (ISA IRQs 5, 10, 11), vioapic_reset "
                     "(every pin masked)", "all (hvmloader's APIC-mode routing)")
LINUX_CLEAR_IOAPIC = Source(L, "00f0f29495e5", "arch/x86/kernel/apic/io_apic.c",
                            "clear_IO_APIC / clear_IO_APIC_pin (every pin masked at setup); mp_setup_entry ('Mask level "
                            "triggered irqs. Edge triggered irqs are masked by the irq core code in case they fire'); "
                            "unmask_ioapic_irq only from a requested irq's startup", "all (a 4.19-era stored copy)")
reading("xen.intx.isa-link", "hvm_pci_intx_assert also asserts the ISA irq the guest's PCI-ISA link routes the "
        "slot's link to (pci_link.route); not modelled: the guest's IO-APIC entries of those ISA irqs stay "
        "masked in every modelled run (the guest uses the GSI). audit15: the Xen half is as said (RELEASE-4.19.0 "
        "__hvm_pci_intx_assert). audit16: the guest half is read too -- Xen resets every vIO-APIC pin masked "
        "(vioapic_reset); an ACPI guest that selected APIC mode (_PIC(1) sets PICD) gets hvmloader's PRTA from _PRT, "
        "which routes each slot's INTx to a GSI of 16 and up and names no LNKx link, so no PCI driver requests the "
        "links' ISA irqs 5, 10, 11 (level-triggered by the MADT's overrides); Linux masks every IO-APIC pin at setup "
        "(clear_IO_APIC), writes a level entry masked and unmasks it only when a requested irq starts up; and the modelled guest requests no ISA irq but the timer "
        "(kernel.vector.isa-unrequested). So the ISA assertion meets a masked entry, as the model has it.",
        source=(XEN_INTX_VIOAPIC, XEN_HVM_PRT, LINUX_CLEAR_IOAPIC),
        quote="isa_irq = hvm_irq->pci_link.route[link]; if ( (hvm_irq->pci_link_assert_count[link]++ == 0) && isa_irq && "
        "(hvm_irq->gsi_assert_count[isa_irq]++ == 0) ) assert_irq(d, isa_irq, isa_irq); / push_block(\"If\", "
        "\"PICD\"); stmt(\"Return\", \"PRTA\"); / vioapic->redirtbl[pin] = (union vioapic_redir_entry)"
        "{ .fields.mask = 1 }; / Clear the rest of the bits in the IO-APIC RTE except for the mask bit.", module=M)

# --- xen30: the host scheduler (msidbg/model/xensched.py) ------------------------------------------------------
M = "msidbg.model.xensched"
XEN_CREDIT_411 = Source(X, "RELEASE-4.11.0", "xen/common/sched_credit.c",
                        "csched_vcpu_wake (BOOST), __runq_insert, __runq_tickle, csched_schedule (ratelimit, "
                        "runqueue head), csched_cpu_pick (CSCHED_FLAG_VCPU_MIGRATING)", "4.7 .. 4.11 (default)")
XEN_CREDIT_41 = Source(X, "RELEASE-4.1.0", "xen/common/sched_credit.c",
                       "csched_vcpu_wake (BOOST of every UNDER wake-up), csched_schedule (no ratelimit), "
                       "CSCHED_MSECS_PER_TSLICE 30", "4.0 .. 4.1")
XEN_CREDIT_RATELIMIT = Source(X, "64908a0466", "xen/common/sched_credit.c, xen/common/schedule.c",
                              "csched_schedule (runtime < prv->ratelimit_us: snext = scurr), sched_ratelimit_us "
                              "(SCHED_DEFAULT_RATELIMIT_US 1000)", "4.2 ..")
XEN_CREDIT_NOBOOST = Source(X, "66c7449a4d", "xen/common/sched_credit.c",
                            "csched_cpu_pick sets CSCHED_FLAG_VCPU_MIGRATING; csched_vcpu_wake does not boost "
                            "then", "4.7 ..")
#: audit25: csched_schedule's rate-limit continuation and the yield exemption, by release (git tag --contains on
#: a xen-project/xen mirror; the RELEASE-4.5.0 / 4.6.3 / 4.7.0 and 4.6.4 / 4.7.1 / 4.8.0 sched_credit.c read)
XEN_CREDIT_RATELIMIT_REST = Source(X, "0053127890", "xen/common/sched_credit.c",
                                   "csched_schedule ('tslice = MICROSECS(prv->ratelimit_us) - runtime; if ( "
                                   "unlikely(runtime < CSCHED_MIN_TIMER) ) tslice = CSCHED_MIN_TIMER;'; before it "
                                   "'tslice = MICROSECS(prv->ratelimit_us);')",
                                   "4.8 .. (RELEASE-4.8.0); stable-4.6 92848cf990 (4.6.4), stable-4.7 c26fc22704 "
                                   "(4.7.1); 4.2.0 .. 4.6.3 and 4.7.0 arm a whole ratelimit")
XEN_CREDIT_YIELD_RL = Source(X, "9fdd2f3c9c", "xen/common/sched_credit.c",
                             "csched_schedule ('if ( !test_bit(CSCHED_FLAG_VCPU_YIELD, &scurr->flags) && ...': "
                             "xen: credit1: don't rate limit context switches in case of yields)",
                             "4.8 .. (RELEASE-4.8.0); no stable-4.6 / 4.7 copy: RELEASE-4.6.6 and 4.7.2 rate-limit "
                             "a yielding vCPU too")
XEN_CREDIT2_RATELIMIT = Source(X, "2615485905", "xen/common/sched_credit2.c",
                               "ratelimit: Implement rate limit for credit2 scheduler (csched2_schedule, "
                               "runq_candidate, csched2_runtime)",
                               "4.8 .. (RELEASE-4.8.0; RELEASE-4.7.0's sched_credit2.c has no ratelimit; credit2 "
                               "itself from 0dd76d3d20, RELEASE-4.1.0)")
XEN_CREDIT2_412 = Source(X, "RELEASE-4.12.0", "xen/common/sched_credit2.c, xen/common/Kconfig",
                         "csched2_vcpu_wake, runq_insert, runq_tickle, tickle_score, is_preemptable, "
                         "runq_candidate, csched2_runtime, reset_credit, burn_credits; 'default "
                         "SCHED_CREDIT2_DEFAULT' (dafd936ddd)", "4.12 .. (default)")
XEN_CREDIT2_419 = Source(X, "RELEASE-4.19.0", "xen/common/sched/credit2.c",
                         "runq_candidate (ratelimit: return scurr; 'if ( !yield && svc->credit <= snext->credit ) "
                         "break;'), reset_credit (CSCHED2_CARRYOVER_MAX clip), CSCHED2_* constants", "4.13 ..")
XEN_DEFAULT_SCHED_411 = Source(X, "RELEASE-4.11.0", "xen/common/Kconfig", "Default Scheduler? "
                               "(default SCHED_CREDIT_DEFAULT)", "<= 4.11")
module(M, XEN_CREDIT_411, XEN_CREDIT_41, XEN_CREDIT_RATELIMIT, XEN_CREDIT_NOBOOST, XEN_CREDIT2_412, XEN_CREDIT2_419,
       XEN_DEFAULT_SCHED_411)
reading("xen.sched.one-per-pcpu", "A host pCPU runs one vCPU at a time (per_cpu(schedule_data).curr / "
        "curr_on_cpu). A vCPU that becomes runnable while another vCPU runs on its pCPU is put on the "
        "runqueue (csched_vcpu_wake / csched2_vcpu_wake: runq_insert, then the tickle) and runs only when that "
        "pCPU's schedule() picks it: when the running vCPU blocks (vcpu_block raises SCHEDULE_SOFTIRQ on its "
        "own pCPU), is migrated away, is preempted by the tickle, or its slice timer (s_timer) expires. Until "
        "then no instruction of it runs: an interrupt for it (vlapic_set_irq, an event channel upcall) sets its "
        "IRR / evtchn_upcall_pending and vcpu_kick finds it neither blocked nor running, so the vCPU takes it at "
        "its schedule-in. msidbg's vCPUs start on pCPU n each, every one blocked (the guest idle); a pCPU shared "
        "after a vcpu_migrate keeps both vCPUs: the model reads the migration as the vCPU's hard affinity to that "
        "pCPU alone (xl vcpu-pin), since credit's __runq_tickle and load balancing and credit2's runq_tickle "
        "hand a waiting vCPU to an idle pCPU only within its hard affinity. No other domain's vCPU runs on the "
        "modelled pCPUs. A vCPU spinning in stop_machine's multi_cpu_stop is running (it holds its pCPU: "
        "kernel.hotplug.stopper-spins, xen33; xen30 took it as blocked).",
        source=(XEN_CREDIT_411, XEN_CREDIT2_412),
        quote="if ( unlikely(curr_on_cpu(vc->processor) == vc) ) { ... return; } if ( unlikely(__vcpu_on_runq("
              "svc)) ) { ... return; } ... /* Put the VCPU on the runq and tickle CPUs */ runq_insert(svc); "
              "__runq_tickle(svc); (csched_vcpu_wake) / Exclusive pinning is when a vcpu has hard-affinity with "
              "only one cpu, and there is no other vcpu that has hard-affinity with that same cpu. (__runq_tickle)",
        module=M)
reading("xen.sched.default", "The scheduler a host runs without sched= on its command line is Kconfig's default: "
        "credit (SCHED_CREDIT_DEFAULT) up to 4.11, credit2 (SCHED_CREDIT2_DEFAULT) from 4.12 (dafd936ddd; an "
        "earlier ec6662445b was reverted before 4.12). Row platform.xen_sched.",
        source=(XEN_DEFAULT_SCHED_411, XEN_CREDIT2_412),
        quote="prompt \"Default Scheduler?\" default SCHED_CREDIT_DEFAULT (RELEASE-4.11.0) / prompt \"Default "
              "Scheduler?\" default SCHED_CREDIT2_DEFAULT (RELEASE-4.12.0)", module=M)
reading("xen.sched.credit-boost", "credit: a vCPU waking with UNDER priority is BOOSTed (csched_vcpu_wake; not "
        "when CSCHED_FLAG_VCPU_MIGRATING, set by csched_cpu_pick in vcpu_migrate, from 66c7449a4d, 4.7 -- a "
        "blocked vCPU keeps the flag until its next wake-up) and goes on the runqueue after every vCPU of the "
        "same or a higher priority (__runq_insert). __runq_tickle preempts the running vCPU when the waker's "
        "priority is higher (no idler in its hard affinity); csched_schedule then keeps a current vCPU that has "
        "run less than the ratelimit (1000 us from 64908a0466, 4.2; none before) until it has -- never less than "
        "CSCHED_MIN_TIMER (100 us) ahead: that form is 0053127890's (4.8; stable 4.6.4 and 4.7.1), and before it "
        "(4.2.0 .. 4.6.3, 4.7.0) csched_schedule armed a whole ratelimit from its decision, 'tslice = "
        "MICROSECS(prv->ratelimit_us)' (audit25: row xen_credit_ratelimit_rest; msidbg had the 4.8 form from 4.2) "
        "-- and otherwise puts it back on the runqueue and runs the head; the "
        "time slice is 30 ms (CSCHED_DEFAULT_TSLICE_MS; CSCHED_MSECS_PER_TSLICE before 4.2). Every vCPU starts "
        "UNDER. csched_tick's reset of a running BOOST vCPU to UNDER: xen.sched.credit-tick (xen33; before, a "
        "BOOST stayed for ever). Credit accounting (csched_acct every 30 ms: OVER): xen.sched.credit-acct (xen36).",
        source=(XEN_CREDIT_411, XEN_CREDIT_41, XEN_CREDIT_RATELIMIT, XEN_CREDIT_NOBOOST, XEN_CREDIT_RATELIMIT_REST),
        quote="if ( !migrating && svc->pri == CSCHED_PRI_TS_UNDER && !test_bit(CSCHED_FLAG_VCPU_PARKED, "
              "&svc->flags) ) { ... svc->pri = CSCHED_PRI_TS_BOOST; } (csched_vcpu_wake) / if ( "
              "!test_bit(CSCHED_FLAG_VCPU_YIELD, &scurr->flags) && !tasklet_work_scheduled && prv->ratelimit && "
              "vcpu_runnable(current) && !is_idle_vcpu(current) && runtime < prv->ratelimit ) { snext = scurr; "
              "(csched_schedule)", module=M)
reading("xen.sched.credit2", "credit2: every vCPU starts with CSCHED2_CREDIT_INIT (10 ms) -- msidbg takes that "
        "as the state at the start of the run -- and burns one credit per ns it runs (burn_credits, equal "
        "weights). A waking vCPU goes on the runqueue before the first with less credit (runq_insert); "
        "runq_tickle preempts the running vCPU when tickle_score finds it preemptable (it has run more than "
        "the ratelimit less CSCHED2_RATELIMIT_TICKLE_TOLERANCE, 50 us) and the waker has more credit. "
        "schedule() keeps a current vCPU that has run less than the ratelimit, else runs the runqueue's head "
        "when it has more credit than the current one (runq_candidate); a chosen vCPU with no credit left "
        "resets every vCPU's credit (+10 ms, clipped at 10.5 ms: reset_credit). The slice (csched2_runtime) runs "
        "until the current vCPU's credit would meet the first waiter's (or 0), at least 500 us and the "
        "ratelimit's rest, at most 10 ms. The guest's vCPUs are the runqueue (one socket); no other domain's. "
        "credit2's ratelimit is 2615485905's (4.8; credit2 is in Xen from 4.1, 0dd76d3d20, without one). A "
        "scenario that names credit2 on an older Xen ran this (4.12's) credit2, ratelimit included (audit25); from "
        "xen34 it runs its release's (reading xen.sched.yield-by-release).",
        source=(XEN_CREDIT2_412, XEN_CREDIT2_419, XEN_CREDIT2_RATELIMIT),
        quote="score = new->credit - cur->credit; (tickle_score) / return now - "
              "svc->vcpu->runstate.state_entry_time > ratelimit - CSCHED2_RATELIMIT_TICKLE_TOLERANCE; "
              "(is_preemptable) / if ( (yield || svc->credit > snext->credit) && ... ) snext = svc; "
              "(runq_candidate) / if ( time < min_time ) { time = min_time; ... } else if (time > "
              "CSCHED2_MAX_TIMER) { time = CSCHED2_MAX_TIMER; (csched2_runtime)", module=M)
XEN_CREDIT_TICK = (Source(X, "RELEASE-4.11.0", "xen/common/sched_credit.c",
                          "csched_tick -> csched_vcpu_acct (BOOST -> UNDER), csched_tick_resume (now + period - now % "
                          "period), tick_period_us = tslice / CSCHED_TICKS_PER_TSLICE", "4.2 .. 4.11"),
                   Source(X, "RELEASE-4.5.0", "xen/common/sched_credit.c", "csched_vcpu_acct, csched_tick_resume",
                          "4.5 (the same)"),
                   Source(X, "RELEASE-4.1.0", "xen/common/sched_credit.c",
                          "csched_vcpu_acct (BOOST -> UNDER), CSCHED_MSECS_PER_TICK 10", "4.0 .. 4.1"))
reading("xen.sched.credit-tick", "credit: every pCPU's ticker runs csched_tick each tick_period_us (the 30 ms slice "
        "over CSCHED_TICKS_PER_TSLICE 3: 10 ms; CSCHED_MSECS_PER_TICK 10 before 4.2), and csched_vcpu_acct ends the "
        "running vCPU's BOOST: it is UNDER from the first tick after its schedule-in. A pCPU that idled re-arms the "
        "ticker at a multiple of the period (csched_tick_resume), so msidbg takes the ticks at multiples of 10 ms "
        "and reads a vCPU's priority lazily, when a tickle, a schedule(), a block or a migration needs it. So a "
        "vCPU that keeps a pCPU (a stopper spinning in multi_cpu_stop) loses its BOOST and a waiting UNDER vCPU "
        "runs at the slice's end (before, the runner stayed BOOST for ever and kept the pCPU). csched_acct's credit "
        "(OVER) and csched_runq_sort: xen.sched.credit-acct (xen36). Not represented: the tick's migration check "
        "(_csched_cpu_pick).",
        source=XEN_CREDIT_TICK,
        quote="if ( svc->pri == CSCHED_PRI_TS_BOOST ) { svc->pri = CSCHED_PRI_TS_UNDER; (csched_vcpu_acct) / "
              "set_timer(&spc->ticker, now + MICROSECS(prv->tick_period_us) - now % MICROSECS(prv->tick_period_us) "
              "); (csched_tick_resume) / prv->tick_period_us = timeslice_ms * 1000 / prv->ticks_per_tslice;",
        module=M)
#: xen36: credit's accounting, csched_acct (the same function in every release read; 4.1 spells credits_per_tslice
#: CSCHED_CREDITS_PER_ACCT)
XEN_CREDIT_ACCT = (Source(X, "RELEASE-4.11.0", "xen/common/sched_credit.c",
                          "csched_acct, csched_tick -> csched_vcpu_acct (burn_credits, __csched_vcpu_acct_start), "
                          "burn_credits, csched_runq_sort, csched_schedule (burn_credits(scurr), pri > "
                          "CSCHED_PRI_TS_OVER), csched_vcpu_wake (BOOST of UNDER only), csched_init_pdata / "
                          "csched_deinit_pdata (prv->credit, prv->ncpus)", "4.3 .. 4.11 (default)"),
                   Source(X, "RELEASE-4.1.0", "xen/common/sched_credit.c",
                          "csched_acct (CSCHED_CREDITS_PER_ACCT 300), csched_vcpu_acct, burn_credits (rounded to the "
                          "nearest credit), csched_runq_sort", "4.0 .. 4.2"),
                   Source(X, "RELEASE-4.8.0", "xen/common/sched_credit.c", "csched_acct, burn_credits (residual)",
                          "4.8 (the same)"),
                   Source(X, "RELEASE-4.19.0", "xen/common/sched/credit.c",
                          "csched_acct, csched_unit_acct, burn_credits", "4.13 .. (sched= credit; the same, per unit)"),
                   Source(X, "cf0c29d1a9", "xen/common/sched_credit.c",
                          "credit1: track residual from divisions done during accounting", "4.3 .."))
reading("xen.sched.credit-acct", "credit: a vCPU's credit goes down by the time it runs (burn_credits at each "
        "tick and schedule(): CSCHED_CREDITS_PER_MSEC 10, one credit per 100 us). Only a vCPU found running by "
        "its pCPU's 10 ms tick goes on its domain's active list (csched_tick -> csched_vcpu_acct -> "
        "__csched_vcpu_acct_start); a vCPU whose runs never span a tick burns credit unaccounted. Every tslice "
        "(30 ms) the master ticker's csched_acct gives each active vCPU its share -- credit_peak (a slice's "
        "credits, 300, per active vCPU, plus the negative system balance) unless the pool's credit (300 per pCPU, "
        "plus that balance) weighted among the active domains is less -- rounded up; a credit then below 0 is "
        "OVER (bounded at -300; a capped domain's vCPU below -credit_cap is parked: vcpu_pause_nosync), else UNDER "
        "(unparked) and above 300 it leaves the active list with half. The balance is the sum; each pCPU's next "
        "tick sorts its runqueue (csched_runq_sort: UNDER and BOOST ahead of OVER), csched_schedule puts an OVER "
        "vCPU behind every UNDER one and a waking OVER vCPU is not boosted. The same function in RELEASE-4.1.0, "
        "4.8.0, 4.11.0 and sched/credit.c of 4.19.0; burn_credits rounds each burn to the nearest credit before "
        "cf0c29d1a9 (4.3), then carries a residual. msidbg: the guest alone in its pool at the default weight, "
        "no cap (no scenario sets one), the pool's pCPUs the guest's; csched_acct at multiples of 30 ms after that "
        "instant's tick, credits held in ns of run (the sub-credit rounding not represented), read lazily when a "
        "decision needs them. Alone in its pool, an active vCPU's share is a full slice's credits whatever the "
        "pool's size, so it goes OVER only by burning more than that before it was found running at a tick "
        "(short runs); parking needs a cap.",
        source=XEN_CREDIT_ACCT,
        quote="credit_peak = sdom->active_vcpu_count * prv->credits_per_tslice; ... if ( credit_fair < credit_peak "
              ") { credit_xtra = 1; } else { ... credit_fair = credit_peak; } ... if ( credit < 0 ) { svc->pri = "
              "CSCHED_PRI_TS_OVER; ... } else { svc->pri = CSCHED_PRI_TS_UNDER; ... if ( credit > "
              "prv->credits_per_tslice ) { __csched_vcpu_acct_stop_locked(prv, svc); ... credit /= 2; (csched_acct)",
        module=M)
XEN_PLE = Source(X, "RELEASE-4.19.0", "xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/vmx/vmx.c, "
                 "xen/common/sched/core.c", "ple_gap / ple_window (Pause-Loop Exiting controls), "
                 "vmx_vmexit_handler EXIT_REASON_PAUSE_INSTRUCTION -> SCHEDOP_yield, vcpu_yield", "4.0 ..")
reading("xen.sched.ple-yield", "An HVM vCPU spinning in a PAUSE loop (cpu_relax in a spin wait: desc->lock, "
        "synchronize_irq) longer than ple_window (4096, counted at the TSC's rate) leaves the guest "
        "(EXIT_REASON_PAUSE_INSTRUCTION) and vmx_vmexit_handler calls SCHEDOP_yield: vcpu_yield tells the "
        "scheduler (credit: CSCHED_FLAG_VCPU_YIELD -- no ratelimit, put behind one lower-priority vCPU; credit2: "
        "runq_candidate takes the runqueue's head) and raises SCHEDULE_SOFTIRQ, so a vCPU waiting for the pCPU "
        "runs. RELEASE-4.0.0, 4.5.0, 4.11.0 and 4.19.0 read (the same handler and window). The yield's exemption "
        "from credit's ratelimit is 9fdd2f3c9c (4.8, no 4.6.y / 4.7.y copy): from 4.2 to 4.7.x csched_schedule "
        "rate-limits a yielding vCPU like any other, keeping its YIELD flag for the first decision past the "
        "ratelimit (audit25: row xen_credit_yield_no_ratelimit; msidbg exempted it in every release). A runner "
        "the ratelimit keeps while it spins exits again one window after that continuation. msidbg: the yield comes PLE_WINDOW_NS (2048 ns: 4096 ticks at an "
        "assumed 2 GHz TSC; the host's TSC rate is not modelled) after the spin's first poll -- or after a vCPU "
        "starts waiting behind a spinning one -- and only while a vCPU waits (a lone spinner's exits change "
        "nothing). The same for a stopper spinning in multi_cpu_stop (xen33, kernel.hotplug.stopper-spins): it "
        "yields when a vCPU with work waits (not when only other spinners do: that switch is not represented). "
        "Not represented: AMD's Pause Filter, PV guests (no PLE: a PV spinner keeps the pCPU to a tickle or its "
        "slice's end; Linux's PV spinlocks block in SCHEDOP_poll), Linux's PV qspinlock on HVM (pv_wait after "
        "SPIN_THRESHOLD loops).",
        source=(XEN_PLE, XEN_CREDIT_YIELD_RL),
        quote="static unsigned int __read_mostly ple_window = 4096; ... * Time is measured based on a counter that "
              "runs at the same rate as the TSC (vmcs.c) / case EXIT_REASON_PAUSE_INSTRUCTION: "
              "perfc_incr(pauseloop_exits); do_sched_op(SCHEDOP_yield, guest_handle_from_ptr(NULL, void)); break; "
              "(vmx_vmexit_handler)", module=M)
XEN_CTXT_TAIL_4192 = Source(X, "RELEASE-4.19.2", "xen/arch/x86/domain.c, xen/arch/x86/hvm/vmx/vmx.c, "
                            "xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/hvm.c",
                            "context_switch (reset_stack_and_call_ind(nextd->arch.ctxt_switch->tail)), "
                            "vmx_function_table .tail = vmx_do_resume, vmx_do_resume (hvm_migrate_pirqs, then "
                            "hvm_do_resume), hvm_do_resume (vcpu_ioreq_handle_completion)", "4.15 ..")
XEN_CTXT_TAIL_411 = Source(X, "RELEASE-4.11.0", "xen/arch/x86/domain.c, xen/arch/x86/hvm/vmx/vmx.c, "
                           "xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/hvm.c",
                           "context_switch (nextd->arch.ctxt_switch->tail(next)), .tail = vmx_do_resume, "
                           "vmx_do_resume (hvm_migrate_pirqs), hvm_do_resume (handle_hvm_io_completion)", "<= 4.14")
reading("xen.sched.ioreq-completion-at-schedule-in", "The device model's notification only makes a vCPU blocked on its "
        "ioreq runnable (default_xen_notification_fn -> vcpu_wake, xen.sched.migrate-ioreq); what completes the "
        "access runs in that vCPU's context when the scheduler switches to it: context_switch ends in the "
        "domain's ctxt_switch tail, vmx_do_resume, which runs hvm_migrate_pirqs (a VMCS last active on another "
        "pCPU) and then hvm_do_resume's vcpu_ioreq_handle_completion (handle_hvm_io_completion before 4.15: "
        "hvm_io_assist, msix_write_completion, the instruction's retire). When another vCPU runs on its pCPU "
        "and is not preempted (xen.sched.one-per-pcpu, .credit-boost, .credit2), the woken vCPU waits on the "
        "runqueue and all of that waits with it. RELEASE-4.11.0 and 4.19.2 read. msidbg: QEMU's completion of the "
        "ioreq of a vCPU a vcpu_migrate moved while it was blocked on it no longer runs hvm_migrate_pirqs at the "
        "notification when the vCPU then waits on its pCPU's runqueue: the schedule-in there does (xensched -> "
        "vmsi.resume; xenred31, tests/heldout_xen31 x37: asked at QEMU's completion, 1.94 ms before vCPU 1 ran, "
        "its host irq moved one interrupt early). Not represented: the rest of the completion "
        "(msix_write_completion's unmask, the retire) of such a vCPU is still taken at the notification; the "
        "vCPU itself runs only at its schedule-in.",
        source=(XEN_CTXT_TAIL_4192, XEN_CTXT_TAIL_411),
        quote="reset_stack_and_call_ind(nextd->arch.ctxt_switch->tail); (context_switch) / .tail = vmx_do_resume, "
              "/ hvm_migrate_timers(v); hvm_migrate_pirqs(v); ... hvm_do_resume(v); (vmx_do_resume) / if ( "
              "!vcpu_ioreq_handle_completion(v) ) return; (hvm_do_resume)", module="msidbg.model.qemu")
#: xen34 (xenred31's lead): the guest tick's wake-up of a halted vCPU whose pCPU another vCPU runs
XEN_PT_TIMER = (Source(X, "RELEASE-4.0.0", "xen/arch/x86/hvm/vpt.c, xen/arch/x86/domain.c, xen/common/schedule.c, "
                       "xen/arch/x86/hvm/vmx/vmx.c, xen/arch/x86/hvm/vmx/vmcs.c, xen/arch/x86/hvm/hvm.c",
                       "pt_timer_fn (vcpu_kick), vcpu_kick -> vcpu_unblock -> vcpu_wake, context_switch -> "
                       "schedule_tail = vmx_do_resume (hvm_migrate_pirqs, hvm_do_resume), hvm_hlt (SCHEDOP_block)",
                       "<= 4.10 (schedule_tail)"),
                Source(X, "RELEASE-4.11.0", "xen/arch/x86/hvm/vpt.c", "pt_timer_fn (vcpu_kick)", "4.11 .. 4.14"),
                Source(X, "RELEASE-4.19.2", "xen/arch/x86/hvm/vpt.c, xen/arch/x86/domain.c, xen/common/sched/core.c, "
                       "xen/arch/x86/hvm/hvm.c", "pt_timer_fn (vcpu_kick), vcpu_kick -> vcpu_unblock -> vcpu_wake, "
                       "hvm_hlt (SCHEDOP_block)", "4.15 .."))
reading("xen.sched.tick-wake-queued", "The guest tick of a halted HVM vCPU is a Xen timer on the vCPU's pCPU: the "
        "emulated LAPIC timer's periodic_time fires pt_timer_fn, which calls vcpu_kick -> vcpu_unblock (clears "
        "_VPF_blocked) -> vcpu_wake (a PVHVM VIRQ_TIMER: vcpu_mark_events_pending -> vcpu_kick likewise). vcpu_wake "
        "only makes the vCPU runnable (the scheduler's wake: runqueue insert and tickle, xen.sched.one-per-pcpu, "
        ".credit-boost, .credit2): when another vCPU runs on its pCPU and is not preempted, the vCPU waits there, "
        "and the context switch's tail -- vmx_do_resume's hvm_migrate_pirqs (a VMCS last active elsewhere), "
        "hvm_do_resume's completion (msix_write_completion from f7039ee41b: 4.14; 4.12.4, 4.13.2) -- runs at its "
        "schedule-in. A tick of a "
        "vCPU already runnable finds _VPF_blocked clear and does nothing. Read in RELEASE-4.0.0 (schedule_tail = "
        "vmx_do_resume), 4.11.0 and 4.19.2 (ctxt_switch->tail). After the tick's handler (not represented) the "
        "guest's idle loop halts again: hvm_hlt -> SCHEDOP_block -> vcpu_block, and the pCPU's schedule() picks the "
        "next runnable vCPU. msidbg (xen34): vmsi.tick woke a halted vCPU with vmsi.resume at the tick itself, "
        "even when another vCPU ran its pCPU; now xensched.wake queues it and xensched._schedule runs the resume, "
        "then the vCPU, with nothing to run, blocks again (xensched.idles; tests/xen34 k01: hvm_migrate_pirqs at "
        "8.0013 ms, after the storm, not at the 6 ms tick).",
        source=XEN_PT_TIMER + (XEN_CTXT_TAIL_4192,),
        quote="pt->pending_intr_nr++; pt->scheduled += pt->period; pt->do_not_freeze = 0; vcpu_kick(pt->vcpu); "
              "(pt_timer_fn) / if ( !test_and_clear_bit(_VPF_blocked, &v->pause_flags) ) return; (vcpu_unblock) / "
              "v->arch.schedule_tail = vmx_do_resume; (4.0.0 vmx.c) / do_sched_op(SCHEDOP_block, "
              "guest_handle_from_ptr(NULL, void)); (hvm_hlt)", module="msidbg.model.vmsi")
#: xen34 (xenred31's lead, x13 / x32): an MSI restore on a pirq HVM guest, checked step by step
XEN_PIRQ_MSI_REFUSED = (
    Source(L, "017239c8db20", "drivers/pci/msi/msi.c", "__pci_restore_msi_state (pci_msi_set_enable(dev, 0), then "
           "__pci_write_msi_msg of the cached entry->msg, then Enable)", "all (the same order in the 4.x "
           "drivers/pci/msi.c of kinmax/linux-4.13.19 and yhuan416/linux-5.15.24, arch_restore_msi_irqs -> "
           "default_restore_msi_irqs for a domU)"),
    Source(L, "v5.15.24", "arch/x86/pci/xen.c", "xen_msi_compose_msg (the pirq in the destination id, vector 0, "
           "delivery mode ExtINT; 4.13.19: XEN_PIRQ_MSI_DATA, delivery mode 3)", "all"),
    Source(Q, "qemu-xen-4.5.0", "hw/xen/xen_pt_config_init.c, hw/xen/xen_pt_msi.c",
           "xen_pt_msgctrl_reg_write ('else if (msi->mapped) xen_pt_msi_disable(s)'), xen_pt_msi_disable "
           "(msi_msix_disable: xc_domain_unbind_msi_irq, xc_physdev_unmap_pirq; msi->pirq = "
           "XEN_PT_UNASSIGNED_PIRQ), xen_pt_msi_setup -> msi_msix_setup (gvec 0: the pirq from the message's "
           "destination id), xen_pt_msi_update (gvec 0)", "4.5 .. (the same in qemu-xen-4.7.0-rc4 and qemu/qemu)"),
    Source(X, "RELEASE-4.19.2", "xen/arch/x86/physdev.c, xen/arch/x86/irq.c, xen/drivers/passthrough/x86/hvm.c, "
           "xen/arch/x86/hvm/irq.c, xen/arch/x86/hvm/vmsi.c, xen/arch/x86/hvm/vlapic.c",
           "physdev_unmap_pirq (unmap_domain_pirq_emuirq, then unmap_domain_pirq), arch_evtchn_bind_pirq (the only "
           "IRQ_PT map_domain_emuirq_pirq), hvm_dirq_assist, hvm_domain_use_pirq, vmsi_deliver_pirq, vmsi_deliver, "
           "vlapic_set_irq", "4.2 .. (RELEASE-4.5.0 read too: evtchn_bind_pirq, _hvm_dirq_assist, the same)"))
reading("xen.pirq-msi-without-emuirq", "On an HVM guest with pirqs and qemu-xen from c976437c7dba (4.5), "
        "pci_restore_msi_state of a plain MSI loses the device's interrupts until the guest binds the event channel "
        "again: __pci_restore_msi_state clears MSI Enable first (every release read), xen_pt_msgctrl_reg_write "
        "calls xen_pt_msi_disable, which unbinds and unmaps the pirq -- physdev_unmap_pirq clears the IRQ_PT "
        "emuirq (unmap_domain_pirq_emuirq), then unmaps -- and forgets it (XEN_PT_UNASSIGNED_PIRQ). The restored "
        "message is only stored; the Enable write's xen_pt_msi_setup takes the pirq from the cached message's "
        "destination id (gvec 0), so the same pirq is mapped and bound again. Only EVTCHNOP_bind_pirq "
        "(arch_evtchn_bind_pirq) sets the emuirq, and the guest's irq stays started on its old port: "
        "hvm_domain_use_pirq is false and hvm_dirq_assist calls vmsi_deliver_pirq with gvec 0 and the pirq message's "
        "delivery mode (3, XEN_PIRQ_MSI_DATA; ExtINT in 5.x), which vmsi_deliver refuses ('Unsupported MSI delivery "
        "mode', -EINVAL): nothing is injected (a Fixed vector 0 would be dropped by vlapic_set_irq, RECVILL). "
        "free_irq + request_irq (EVTCHNOP_close, EVTCHNOP_bind_pirq) recover. msidbg modelled the outcome already "
        "(xenred31 x13, x32); its event said 'no event channel' and 'Xen injects ... vector 0': the port is still "
        "bound and no vMSI is injected (xen34: the texts; tests/xen34 p01). Not modelled: posted interrupts "
        "(iommu_intpost), where pt_irq_create_bind's pi_update_irte would post gvec for a single destination.",
        source=XEN_PIRQ_MSI_REFUSED,
        quote="pci_msi_set_enable(dev, 0); if (arch_restore_msi_irqs(dev)) __pci_write_msi_msg(entry, &entry->msg); "
              "(__pci_restore_msi_state) / } else if (msi->mapped) { xen_pt_msi_disable(s); } / *ppirq = "
              "msi_ext_dest_id(addr >> 32) | msi_dest_id(addr); (msi_msix_setup) / if ( is_hvm_domain(d) ) "
              "map_domain_emuirq_pirq(d, pirq, IRQ_PT); (arch_evtchn_bind_pirq) / "
              "\"Unsupported MSI delivery mode\" (vmsi_deliver)", module="msidbg.model.evtchn")
#: xen34 (audit25's lead): credit2 and credit's yield by release
XEN_CREDIT2_RELEASES = (
    Source(X, "RELEASE-4.7.0", "xen/common/sched_credit2.c, xen/common/schedule.c",
           "runq_tickle ('if ( cur->credit < new->credit )'), runq_candidate (no ratelimit, 'svc->credit > "
           "snext->credit'), csched2_runtime (CSCHED2_MIN_TIMER .. CSCHED2_MAX_TIMER = MILLISECS(2)), no .yield",
           "4.1 .. 4.7 (RELEASE-4.1.0 and 4.7.6 read: the same rules; no sched_credit2.c in RELEASE-4.0.0)"),
    Source(X, "RELEASE-4.8.0", "xen/common/sched_credit2.c", "runq_candidate ('if ( !yield && prv->ratelimit_us "
           "...) return scurr;', 'if ( yield || svc->credit > snext->credit )'), csched2_runtime (ratelimit_min), "
           "CSCHED2_MAX_TIMER = CSCHED2_CREDIT_INIT", "4.8, 4.9 (RELEASE-4.9.0 / 4.9.4 runq_tickle: credit alone)"),
    Source(X, "RELEASE-4.10.0", "xen/common/sched_credit2.c", "is_preemptable (CSCHED2_RATELIMIT_TICKLE_TOLERANCE)",
           "4.10 .."),
    Source(X, "RELEASE-4.0.0", "xen/common/schedule.c, xen/common/sched_credit.c, xen/arch/x86/hvm/vmx/vmx.c",
           "do_yield (raise_softirq(SCHEDULE_SOFTIRQ) only), csched_schedule ('if ( vcpu_runnable(current) ) "
           "__runq_insert(cpu, scurr);'), EXIT_REASON_PAUSE_INSTRUCTION", "4.0 (5fc9f5ef6c: CSCHED_FLAG_VCPU_YIELD, 4.1)"))
reading("xen.sched.yield-by-release", "Which scheduler a scenario names (platform.xen_sched) runs as the named Xen "
        "release had it. credit2 (0dd76d3d20, first in 4.1.0; none in 4.0, where naming it is an error): 4.1 .. 4.7 "
        "have no ratelimit (2615485905, 4.8) -- runq_tickle preempts a runner with less credit at once -- no yield "
        "hook (a7fa4d5f53, 4.8) -- an HVM vCPU's PAUSE-loop exit (SCHEDOP_yield) only raises SCHEDULE_SOFTIRQ and "
        "runq_candidate keeps the yielder while its credit is higher than the runqueue head's -- and a 2 ms "
        "CSCHED2_MAX_TIMER (da92ec5bd1, 4.8); 4.8 and 4.9 have the ratelimit and the yield but runq_tickle has no "
        "is_preemptable (4b6923acff, 4.10): the tickle's schedule() keeps a runner within its ratelimit and "
        "csched2_runtime's timer switches at the ratelimit's end. credit before 5fc9f5ef6c (4.0) has no "
        "CSCHED_FLAG_VCPU_YIELD: the yielder goes back after every vCPU of its own or a higher priority. No stable "
        "backport of these (RELEASE-4.7.6, 4.9.4 read). msidbg: rows xen_credit2_ratelimit, xen_credit2_yield, "
        "xen_credit2_tickle_tolerance, xen_credit2_max_timer_10ms, xen_credit_yield_flag (xen34; before, a "
        "scenario naming credit2 before 4.12 ran 4.12's, audit25). A credit2 yielder that keeps the pCPU exits "
        "again every ple_window with nothing changing until its credit falls below the head's: msidbg represents "
        "the first exit after that. Not modelled: csched_acct (credit's priorities are never recomputed), so a "
        "credit 4.0 yielder ahead of a lower-priority waiter keeps the pCPU -- no msidbg run reaches it (every "
        "wake-up BOOSTs before 66c7449a4d, 4.7).",
        source=XEN_CREDIT2_RELEASES,
        quote="if ( cur->credit < new->credit ) (4.7 / 4.9 runq_tickle) / if ( !yield && prv->ratelimit_us && "
              "!is_idle_vcpu(scurr->vcpu) && vcpu_runnable(scurr->vcpu) && (now - "
              "scurr->vcpu->runstate.state_entry_time) < MICROSECS(prv->ratelimit_us) ) (4.8 runq_candidate) / "
              "#define CSCHED2_MAX_TIMER MILLISECS(2) (4.7) / raise_softirq(SCHEDULE_SOFTIRQ); (4.0 do_yield)",
        module="msidbg.model.xensched")

#: xen35: pciback's Command read and write by release, the pirq message's data by release, pcifront's MSI-X walk
PCIBACK_CMD_READ = (
    Source(L, "v4.13.9", "drivers/xen/xen-pciback/conf_space_header.c", "command_init, command_read, command_write "
           "(PCI_COMMAND_GUEST)", "4.0.. (af6fc858a35b; the same in 5.15.24 and 6.12.19: kinmax/linux-4.13.19, "
           "yhuan416/linux-5.15.24, wishday/linux-6.12.y)"),
    Source("CyanogenMod/android_kernel_htc_msm8974 (a 3.4 tree)", "9fafe90735d8",
           "drivers/xen/xen-pciback/conf_space_header.c", "command_read (the device's register | PCI_COMMAND_IO / "
           "PCI_COMMAND_MEMORY per BAR while pci_is_enabled), command_write ('return pci_write_config_word(dev, "
           "offset, value);')", "..3.19.1 (before af6fc858a35b; an undated stored copy reads the same with "
           "atomic_read(&dev->enable_cnt))"))
reading("pciback.command-read", "What a Xen PV domU reads from its passed-through function's Command register "
        "through pcifront, and what its writes do. From af6fc858a35b (CVE-2015-2150; 4.0, 3.19.2, inferred) pciback "
        "keeps the guest's word: command_init stores the Command it finds at its bind (cmd->val), command_write "
        "makes dom0's pci_enable_device / pci_disable_device / pci_set_master / pci_clear_master calls, stores the "
        "guest's value and, not permissive, writes nothing more; command_read returns the device's "
        "PCI_COMMAND_GUEST bits (Bus Master, Special Cycles, MWI, VGA Palette Snoop, Stepping, Fast Back-to-Back) "
        "and the rest -- Memory / I/O Space, Parity, SERR#, Interrupt Disable -- from cmd->val. So a guest's "
        "pci_intx_for_msi reads back its own Interrupt Disable, not the bit dom0's pci_enable_msi[x] set, and "
        "writes it; the write changes nothing in the device. Before it command_read returned the device's "
        "register, ORing I/O / Memory Space in for the BARs' types while dom0 had the function enabled, and "
        "command_write ended by writing the guest's value to the device. 5.15 and 6.12 differ only in "
        "command_write's allow_interrupt_control path (pci_intx; libxl never sets it). msidbg (kernel."
        "pciback_cmd_emulated, keyed on kernel.version as dom0's) answered the device's register in every "
        "release and applied the 4.0 write to 3.x; now each release's read and write. cmd->val at the bind is "
        "the firmware's Command, not modelled: msidbg takes its hand-over Command (Memory Space on). why32 named "
        "the disagreement (docs/why.md).",
        source=PCIBACK_CMD_READ,
        quote="*value &= PCI_COMMAND_GUEST; *value |= cmd->val & ~PCI_COMMAND_GUEST; (4.13.9 .. 6.12.19 command_read) "
              "/ cmd->val = value; if (!xen_pcibk_permissive && (!dev_data || !dev_data->permissive)) return 0; "
              "(command_write) / ret = xen_pcibk_read_config_word(dev, offset, value, data); if "
              "(!pci_is_enabled(dev)) return ret; (before)", module="msidbg.model.qemu")
XEN_PIRQ_MSI_DATA_SRC = (
    Source(L, "v5.10.13", "arch/x86/pci/xen.c", "XEN_PIRQ_MSI_DATA, xen_msi_compose_msg",
           "..5.10 (Rtoax/linux-5.10.13; kinmax/linux-4.13.19 the same)"),
    Source(L, "41bb2115beec", "arch/x86/pci/xen.c", "xen_msi_compose_msg (x86/pci/xen: Use msi_msg shadow structs)",
           "5.11.. (tip x86/apic 2020-10-28, pulled for v5.11-rc1; yhuan416/linux-5.15.24 and wishday/linux-6.12.y read)"),
    Source(Q, "qemu-xen-4.7.0-rc4", "xen-hvm.c", "xen_is_pirq_msi (vector 0)", "all"))
reading("xen.pirq-msi-data", "The data of the pirq message an HVM guest with pirqs writes (xen_msi_compose_msg): "
        "XEN_PIRQ_MSI_DATA, 0x4300 (edge, assert, delivery mode 3, vector 0), up to 5.10; from 41bb2115beec "
        "(5.11) the shadow-struct form, which sets only arch_data.delivery_mode = APIC_DELIVERY_MODE_EXTINT after "
        "a memset: 0x0700 (edge, deasserted, delivery mode 7, vector 0). The address is the same in both (pirq "
        "bits 7:0 in destination id 0..7, the rest in address-hi). QEMU's xen_is_pirq_msi and Xen's hvm_inject_msi "
        "decide on vector 0 alone; the delivery mode reaches vmsi_deliver only when the emuirq is unbound, which "
        "refuses both (xen.pirq-msi-without-emuirq). A PV domU composes no message (pciback's dom0 enable writes "
        "Xen's). msidbg wrote 0x4300 in every release (and /work/shared/docs/domain.md says so): now "
        "kernel.xen_pirq_msi_extint (xen35).", source=XEN_PIRQ_MSI_DATA_SRC,
        quote="#define XEN_PIRQ_MSI_DATA (MSI_DATA_TRIGGER_EDGE | MSI_DATA_LEVEL_ASSERT | (3 << 8) | "
              "MSI_DATA_VECTOR(0)) (5.10.13) / memset(msg, 0, sizeof(*msg)); ... msg->arch_data.delivery_mode = "
              "APIC_DELIVERY_MODE_EXTINT; (41bb2115beec, 5.15.24) / return ((msi_data & MSI_DATA_VECTOR_MASK) >> "
              "MSI_DATA_VECTOR_SHIFT) == 0; (xen_is_pirq_msi)", module="msidbg.model.kernel.xen")
PCIFRONT_WALK = (
    Source(L, "v4.13.9", "arch/x86/pci/xen.c, drivers/pci/xen-pcifront.c, drivers/xen/xen-pciback/pciback_ops.c",
           "xen_setup_msi_irqs (kzalloc(sizeof(int) * max(1, nvec)), for_each_pci_msi_entry ... v[i]), "
           "pci_frontend_enable_msix (.value = nvec; for_each_pci_msi_entry fills msix_entries[i].entry), "
           "xen_pcibk_enable_msix / xen_pcibk_enable_msi (-EALREADY, -ENXIO; pci_enable_msix_exact(dev, entries, "
           "op->value))", "..5.16 (5.15.24 the same)"),
    Source("CyanogenMod/android_kernel_htc_msm8974 (a 3.4 tree)", "9fafe90735d8",
           "drivers/xen/xen-pciback/pciback_ops.c, drivers/pci/msi.c", "xen_pcibk_enable_msix (no flag check), "
           "pci_enable_msix ('WARN_ON(!!dev->msix_enabled);', -EINVAL with msi_enabled), pci_enable_msi_block",
           "before XSA-157"),
    Source(L, "v6.12.19", "arch/x86/pci/xen.c, drivers/pci/xen-pcifront.c",
           "xen_setup_msi_irqs, pci_frontend_enable_msix (msi_for_each_desc(..., MSI_DESC_NOTASSOCIATED))",
           "5.17.. (dunli/linux-5.17 -rc5 the same)"))
reading("pcifront.msix-walk", "A Xen PV domU's MSI / MSI-X set-up. xen_setup_msi_irqs allocates v[max(1, nvec)] "
        "and asks pcifront: pci_frontend_enable_msix sends op.value = nvec (this enable's count; SH_INFO_MAX_VEC "
        "is checked against it) and the entry numbers of the listed descriptors -- before 5.17 every descriptor on "
        "dev->msi_list (for_each_pci_msi_entry), from 5.17 those without an irq (MSI_DESC_NOTASSOCIATED) -- and "
        "pciback enables op->value entries, the first nvec listed. pciback first refuses, from XSA-157, an enable "
        "dom0 already has (MSI-X: 'if (dev->msix_enabled) return -EALREADY;', '-ENXIO' with MSI on or Memory "
        "Space off; MSI: -EALREADY / -ENXIO, returned as XEN_PCI_ERR_op_failed, which pci_frontend_enable_msi turns "
        "into -EINVAL; MSI-X's op->err reaches the guest as it is). Then the guest binds v[i] to each descriptor it "
        "walks, in list order: before 5.17 the whole list, so with another enable's descriptors on it (kernel33's "
        "unserialised enables, kernel35's enable twice) i passes nvec and v[i] is read out of bounds. msidbg sized "
        "the op by the list, mapped a pirq per listed descriptor and never refused; now nvec, the listed entries, "
        "the refusal (kernel.pciback_msi_enabled_check, dom0's release as kernel.version) and, past nvec, a note "
        "and no binding (the out-of-bounds value is not simulated). Before XSA-157 (a 3.4 tree read) pciback calls "
        "dom0's pci_enable_msix / pci_enable_msi_block at once: the other kind is -EINVAL there ('MSI IRQ already "
        "assigned' / 'MSI-X already enabled'), the same kind only WARN_ONs and is set up again in dom0 (msidbg: new "
        "pirqs as for a first enable; dom0's second msix_capability_init is not modelled).",
        source=PCIFRONT_WALK,
        quote="v = kzalloc(sizeof(int) * max(1, nvec), GFP_KERNEL); ... for_each_pci_msi_entry(msidesc, dev) { irq = "
              "xen_bind_pirq_msi_to_irq(dev, msidesc, v[i], ... / .value = nvec, ... op.msix_entries[i].entry = "
              "entry->msi_attrib.entry_nr; / if (dev->msix_enabled) return -EALREADY; (4.13.9)",
        module="msidbg.model.kernel.xen")
