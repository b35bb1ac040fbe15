"""Where the bare-metal kernel programs come from, and the readings they rely on.

Each constant is a ``cite.Source`` handed to ``program(..., source=...)``; ``ref`` is the release
(or the commit) whose code the program follows, ``versions`` the releases it holds for (a
behaviour switch selects the others, see ``msidbg/behaviour/kernel.py``). The readings below are
the statements docs/model.md and docs/model-baremetal.md make about the kernel, each with the
source and a short quote of it, or marked hypothetical.
"""

from __future__ import annotations

from msidbg.model.cite import Source, reading

L = "torvalds/linux"
M = "msidbg.model.kernel"

# --- kernel/irq (generic irq core) --------------------------------------------------------------------
SETUP_IRQ = Source(L, "v6.6", "kernel/irq/manage.c", "__setup_irq (irq_activate, then irq_startup)", "4.15..")
#: 4.2..4.9: irq_startup(desc, resend) activates unconditionally, and irq_domain_activate_irq keeps no
#: activated state (startup_reactivates); from 08d85f3ea99f "irqdomain: Avoid activating interrupts more than
#: once" (4.10, 4.9.9) it returns for an IRQD_ACTIVATED irq
STARTUP_REACTIVATE = (Source(L, "v4.9", "kernel/irq/chip.c", "irq_startup (irq_domain_activate_irq first)", "4.2..4.9"),
                      Source(L, "v4.9", "kernel/irq/irqdomain.c", "irq_domain_activate_irq", "..4.9, 4.9.0..4.9.8"))
IRQ_ACTIVATE = Source(L, "v6.6", "kernel/irq/chip.c", "irq_activate", "4.15..")
IRQ_STARTUP = Source(L, "826da771291f", "kernel/irq/chip.c", "irq_startup / __irq_startup_managed",
                     "managed: 4.14..; IRQCHIP_AFFINITY_PRE_STARTUP: 5.14.., 5.13.12.., 5.10.60.., 5.4.142.., "
                     "4.19.205.. (affinity_before_startup)")
CHIP_STARTUP = Source(L, "v6.6", "kernel/irq/chip.c", "__irq_startup / irq_enable", "all")
SETUP_AFFINITY = Source(L, "v6.6", "kernel/irq/manage.c", "irq_setup_affinity", "4.13..")
DO_SET_AFFINITY = Source(L, "v6.6", "kernel/irq/manage.c", "irq_do_set_affinity", "all")
ONLINE_FILTER = Source(L, "33de0aa4bae9", "kernel/irq/manage.c",
                       "irq_do_set_affinity (the online CPUs of the mask to the chip, else -EINVAL)",
                       "5.18.., 5.15.81.., 5.10.157.. (affinity_online_filter)")
SET_AFFINITY = Source(L, "baedb87d1b53", "kernel/irq/manage.c",
                      "irq_set_affinity_locked / irq_set_affinity_deactivated",
                      "stored on inactive irqs: 5.8.., 5.7.10.., 5.4.53.., 4.19.134.., 4.14.194.. "
                      "(affinity_on_activate)")
SET_AFFINITY_LOCK = Source(L, "006ae1970a8c", "kernel/irq/manage.c",
                           "__irq_set_affinity: raw_spin_lock_irqsave(&desc->lock) around irq_set_affinity_locked "
                           "(the chip call included)", "every release modelled (the same lock in 4.x irq_set_affinity)")
SET_AFFINITY_INACTIVE = Source(L, "baedb87d1b53", "arch/x86/kernel/apic/vector.c",
                               "apic_set_affinity (WARN_ON_ONCE(!irqd_is_activated(irqd)): -EIO)",
                               "5.8.., 5.7.10.., 5.4.53.., 4.19.134.. (affinity_on_activate; 4.14.194's copy "
                               "skipped the x86 part: its legacy allocator has no such check)")
HINT = Source(L, "65c7cdedeb30", "include/linux/interrupt.h",
              "irq_set_affinity_hint -> __irq_apply_affinity_hint(irq, m, true)",
              "4.0.. (hint_sets_affinity; irq_update_affinity_hint, which does not set the affinity, from 5.17)")
#: audit24: ThunderStorms21th/S7-Linux-3.18.140, which this cited as a public copy of 3.18.140, is ThunderStorms' custom
#: Galaxy S7 kernel (Exynos 8890 herolte defconfigs, Android ramdisks, its own hotplug drivers), not the stable release; junan76/linux-3.18.140's import (Makefile
#: 3.18.140, no vendor work) has the same store-only irq_set_affinity_hint
HINT_STORE_ONLY = Source(L, "v3.18.140 (public copy junan76/linux-3.18.140 6b3992c9, its first commit)",
                         "kernel/irq/manage.c", "irq_set_affinity_hint (desc->affinity_hint = m only)",
                         "..3.19 (hint_sets_affinity: false; the same in ThunderStorms21th/S7-Linux-3.18.140 "
                         "5c24c178a0a8, a custom Galaxy S7 kernel)")
MOVE_IRQ = Source(L, "v6.6", "kernel/irq/migration.c", "__irq_move_irq / irq_move_masked_irq", "all")
MIGRATE = Source(L, "a6c11c0a5235", "kernel/irq/cpuhotplug.c", "migrate_one_irq / irq_fixup_move_pending",
                 "force complete for all irqs: 6.10.., 6.9.4.., 6.6.33.., 6.1.93.., 5.15.161.., 5.10.219.., "
                 "5.4.278.., 4.19.316.. (hotplug_force_complete)")
RESTORE = Source(L, "v6.6", "kernel/irq/cpuhotplug.c", "irq_affinity_online_cpu / irq_restore_affinity_of_irq",
                 "4.14..")
MANAGED_DEPTH = Source(L, "788019eb559f", "kernel/irq/chip.c + kernel/irq/cpuhotplug.c",
                       "irq_shutdown (depth++) / irq_startup_managed (depth--, startup at 0)",
                       "6.16.. (managed_disable_depth; with 2b32fc8ff08d)")
DEVICE_LOCK = Source(L, "v6.6", "drivers/base/dd.c",
                     "device_driver_attach / device_release_driver_internal (__device_driver_lock: device_lock "
                     "around driver_probe_device and __device_release_driver)", "all")
#: dev->mutex: mutex_lock sleeps on the FIFO wait list, mutex_unlock wakes the first waiter (the stored copy
#: read: bd0ab5efe8ec; optimistic spinning on a running owner and the HANDOFF flag are not modelled)
MUTEX = Source(L, "bd0ab5efe8ec", "kernel/locking/mutex.c",
               "__mutex_lock_common (__mutex_add_waiter FIFO, schedule_preempt_disabled) / __mutex_unlock_slowpath",
               "all")
#: a probe of a device that already has a driver (kernel.bound_probe)
BOUND_BUSY = Source(L, "204db60c8357", "drivers/base/dd.c",
                    "__driver_probe_device ('if (dev->driver) return -EBUSY'), device_driver_attach returns it",
                    "5.14.. (bound_probe: EBUSY)")
BOUND_SKIP = Source(L, "204db60c8357^", "drivers/base/dd.c",
                    "device_driver_attach ('if (!dev->p->dead && !dev->driver) ret = driver_probe_device(drv, dev)'), "
                    "__driver_attach ('if (!dev->driver) driver_probe_device(drv, dev)')",
                    "..5.13 (bound_probe: skip)")
#: a remove of a device without a driver: __device_release_driver runs only "if (drv)" (drv = dev->driver;
#: v4.19, v6.6 alike), so the driver's remove, devres_release_all and the unbind do not happen
RELEASE_UNBOUND = Source(L, "v6.6", "drivers/base/dd.c",
                         "__device_release_driver ('drv = dev->driver; if (drv) { ... drv->remove ... }'): nothing "
                         "without a driver", "all")
DEVRES = Source(L, "v6.6", "drivers/base/dd.c + drivers/pci/msi/msi.c",
                "really_probe -> devres_release_all (devm_request_irq; pcim_msi_release -> pci_free_irq_vectors)",
                "all")
FREE_IRQ = Source(L, "006ae1970a8c", "kernel/irq/manage.c",
                  "__free_irq (desc->lock; irq_shutdown; __synchronize_hardirq(desc, true); irq_domain_deactivate_irq)",
                  "all (the wait: synchronize_irq before 62e0468650c3)")
#: a free_irq of an irq without the caller's action (leads22): read in stored 4.13.9 (kinmax/linux-4.13.19, named
#: for no release: audit17) and 4.16.13 trees. audit24: the check is older than 4.16 -- the kernel.org 4.15.0
#: import (sndrzt/linux-4.15 6ea062648) has the very manage.c of the 4.16.13 tree (one blob); a 4.13.4 import
#: (shizukanaskytree/linux-4.13.4) lacks it like 4.13.9; the 4.14.5 import (monkeygq/linux-4.14.5) has it
FREE_ALREADY = (Source(L, "v4.13.9", "kernel/irq/manage.c", "__free_irq / free_irq",
                       "4.5.. (read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
                Source(L, "v4.15", "kernel/irq/manage.c", "free_irq (if (!action) return NULL)",
                       "4.14.. (read in the kernel.org 4.15.0 import sndrzt/linux-4.15 6ea062648 and a 4.16.13 tree, "
                       "the same file, and in a 4.14.5 import; 4.13.4 and 4.13.9 lack it; 4.14.0 not read)"))
reading("kernel.free-irq.already-free",
        "A free_irq whose irq has no action with the caller's dev_id (a second free_irq of one vector) is "
        "__free_irq's 'Trying to free already-free IRQ %d' WARN; it returns NULL and nothing changes. free_irq "
        "returns no error code: the freed action's name or NULL in both trees read (void in older releases). The "
        "model returned "
        "-EINVAL, which failed the driver action (probe status, probe-failed). Not modelled: the 4.13 trees read "
        "dereference __free_irq's NULL (devname = action->name, an oops); 4.14.5, 4.15.0 and the 4.16.13 tree "
        "check it first (audit24: not only from 4.16).",
        source=FREE_ALREADY, module=M,
        quote="if (!action) { WARN(1, \"Trying to free already-free IRQ %d\\n\", irq); ... return NULL; } ... "
        "(4.15.0 free_irq:) action = __free_irq(irq, dev_id); if (!action) return NULL; devname = action->name;")
FREE_IRQ_DELAY = Source(L, "4001d8e8762f", "kernel/irq/manage.c + kernel/irq/chip.c",
                        "__free_irq / irq_shutdown / irq_shutdown_and_deactivate (deactivation after the wait)",
                        "5.3.., 4.19.60.., 5.1.19.., 5.2.2.. (free_irq_deactivate: delayed); irq_shutdown deactivates before")
SYNC_CHIP = Source(L, "62e0468650c3", "kernel/irq/manage.c",
                   "__synchronize_hardirq(desc, sync_chip): the IRQD_IRQ_INPROGRESS wait, then under desc->lock "
                   "__irq_get_irqchip_state(irqd, IRQCHIP_STATE_ACTIVE, &inprogress); synchronize_irq and __free_irq "
                   "pass true", "5.3.., 4.19.60.., 5.1.19.., 5.2.2.. (sync_irq_chip_state)")
IOAPIC_CHIP_STATE = Source(L, "dfe0cf8b51b0", "arch/x86/kernel/apic/io_apic.c",
                           "ioapic_irq_get_chip_state (IRQCHIP_STATE_ACTIVE: Remote IRR of a level entry, each pin of "
                           "the irq; ioapic_chip and ioapic_ir_chip)", "5.3.., 4.19.60.., 5.1.19.., 5.2.2.. "
                           "(sync_irq_chip_state)")
AFFINITY_MASKS = Source(L, "v6.6", "kernel/irq/affinity.c + lib/group_cpus.c",
                        "irq_create_affinity_masks / irq_calc_affinity_vectors / group_cpus_evenly",
                        "4.13.. (affinity_spread_cpus: present)")
#: 4.8..4.12 (``affinity_spread_cpus``: online): the spread and the vector bound count the online CPUs only
AFFINITY_MASKS_ONLINE = Source(L, "v4.10", "kernel/irq/affinity.c",
                               "irq_create_affinity_masks / irq_calc_affinity_vectors (cpu_online_mask, "
                               "get_online_cpus; read in two stored copies of unknown commit)",
                               "4.10..4.12 (affinity_spread_cpus: online)")
MSI_DOMAIN = Source(L, "v6.6", "kernel/irq/msi.c",
                    "__msi_domain_alloc_irqs / msi_init_virq / msi_check_reservation_mode", "4.15..")
MSI_DEACTIVATE = Source(L, "v6.6", "kernel/irq/msi.c", "msi_domain_activate / msi_domain_deactivate", "all")

# --- arch/x86 -------------------------------------------------------------------------------------------
VECTOR = Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c",
                "x86_vector_activate / assign_irq_vector_any_locked / assign_vector_locked / "
                "reserve_managed_vector / assign_managed_vector", "4.15..")
MATRIX = Source(L, "v6.6", "kernel/irq/matrix.c",
                "irq_matrix_alloc / matrix_find_best_cpu / irq_matrix_reserve_managed / irq_matrix_alloc_managed",
                "4.15..")
CLEANUP_IPI = Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c",
                     "__send_cleanup_vector / smp_irq_move_cleanup_interrupt", "..6.5 (vector_cleanup: ipi)")
CLEANUP_TIMER = Source(L, "bdc1dad299bb", "arch/x86/kernel/apic/vector.c",
                       "__vector_schedule_cleanup / vector_cleanup_callback / lapic_offline",
                       "6.6.. (vector_cleanup: timer)")
FORCE_COMPLETE = Source(L, "a6c11c0a5235", "arch/x86/kernel/apic/vector.c",
                        "irq_force_complete_move / __vector_schedule_cleanup (__send_cleanup_vector before 6.6): "
                        "an offline old CPU's vector freed (free_moved_vector), not just forgotten",
                        "all (which irqs, and the offline old CPU's vector: hotplug_force_complete -- a6c11c0a5235 is first in "
                        "6.10, its stable copies in 6.9.4, 6.6.33, 6.1.93, 5.15.161, 5.10.219, 5.4.278, 4.19.316)")
# The pre-4.15 vector.c was read in stored copies, not at the tag (the index holds torvalds/linux's newest
# file only): a comment-stripped 4.13/4.14 one (cpu_mask_to_apicid(vector_searchmask, irqdata, ...),
# irqd_set_single_target when !apic->irq_dest_mode, no matrix) and a 4.6..4.12 one with the same search.
LEGACY_VECTOR = Source(L, "v4.14", "arch/x86/kernel/apic/vector.c",
                       "__assign_irq_vector / assign_irq_vector_policy / x86_vector_alloc_irqs / "
                       "apic_set_affinity / clear_irq_vector / irq_force_complete_move / "
                       "__send_cleanup_vector / smp_irq_move_cleanup_interrupt / __setup_vector_irq",
                       "4.5..4.14 (vector_allocator: legacy; physflat allocation domain)")
LEGACY_APIC = Source(L, "v4.14", "arch/x86/kernel/apic/apic_flat_64.c",
                     "physflat_probe (num_possible_cpus() > 8) / default_vector_allocation_domain vs "
                     "flat_vector_allocation_domain (APIC_ALL_CPUS, lowest priority)",
                     "..4.14: which domain the legacy allocator searches")
MOVE_REARM = Source(L, "a33a5d2d16cb", "kernel/irq/migration.c", "irq_move_masked_irq (-EBUSY: irqd_set_move_pending)",
                    "4.18.., 4.17.3.. (move_busy_rearm); stable 4.14.183, 4.9.226, 4.4.226 (June 2020)")
X86_FIXUP_IRQS = Source(L, "v4.9", "arch/x86/kernel/irq.c",
                        "fixup_irqs (its own loop: cpumask_subset(affinity, cpu_online_mask), "
                        "irq_force_complete_move, chip->irq_set_affinity(data, affinity, true))",
                        "..4.12 (hotplug_migration: x86; read in a stored 4.6+ copy, not at the tag)")
ENTRY = Source(L, "v6.6", "arch/x86/kernel/irq.c", "common_interrupt", "all")
EDGE = Source(L, "v6.6", "kernel/irq/chip.c + arch/x86/kernel/apic/vector.c", "handle_edge_irq / apic_ack_edge",
              "all")
#: the ISA irqs 0..15 (build.legacy_irqs): mp_register_handler gives an edge pin handle_edge_irq ("edge"; a
#: level pin handle_fasteoi_irq: the PCI INTx GSIs 16..23, kernel/intx.py); ioapic_chip's
#: .irq_ack is irq_chip_ack_parent -> the vector domain's apic_ack_edge (the same ack as PCI-MSI), its
#: .irq_mask mask_ioapic_irq: the routing entry's mask bit in the IO-APIC, no PCI write. A device message
#: whose vector is such an irq's runs that irq's flow handler and action (common_interrupt -> handle_irq)
IOAPIC_CHIP = Source(L, "v6.6", "arch/x86/kernel/apic/io_apic.c",
                     "mp_register_handler (edge: handle_edge_irq) / ioapic_chip (.irq_mask = mask_ioapic_irq, "
                     ".irq_ack = irq_chip_ack_parent)", "4.2.. (a 4.2.8 tree has it, audit14)")
#: irq_may_run / IRQS_PENDING / mask_ack_irq and the do/while that re-runs the action: the same logic
#: since before 3.0 (2.6.39's handle_edge_irq already has it, as IRQ_INPROGRESS / IRQ_PENDING);
#: irq_may_run is its 3.18-era form (with the wakeup-armed check, no part of the model)
EDGE_PENDING = (Source(L, "v6.6", "kernel/irq/chip.c", "handle_edge_irq (irq_may_run: IRQS_PENDING + "
                       "mask_ack_irq; do { unmask if pending and masked; handle_irq_event } while pending)", "all"),
                Source(L, "v6.6", "kernel/irq/handle.c", "handle_irq_event (clears IRQS_PENDING, sets "
                       "IRQD_IRQ_INPROGRESS, drops desc->lock around the action)", "all"))
#: the Xen pirq chip's side of the same flow: xen_bind_pirq_msi_to_irq installs handle_edge_irq with
#: xen_pirq_chip, whose irq_mask_ack is mask_ack_pirq (disable_dynirq: the port's mask, then
#: eoi_pirq: clear_evtchn, PHYSDEVOP_eoi) and irq_unmask enable_dynirq; the same in the 3.x
#: drivers/xen/events.c and every events_base.c read (before and after the 5.10 lateeoi rework)
XEN_PIRQ_EDGE = Source(L, "v6.6", "drivers/xen/events/events_base.c",
                       "xen_bind_pirq_msi_to_irq (handle_edge_irq), xen_pirq_chip (.irq_mask_ack = mask_ack_pirq, "
                       ".irq_unmask = enable_dynirq), mask_ack_pirq", "all")
#: eoi_pirq with a pending move (ff1e22e7a638, 4.6, until 1ca1b4e2c0cb, 5.11, made pirq moves immediate):
#: the port masked first, then cleared, moved and unmasked (read at v4.19 / v5.4; v5.10's lateeoi rework
#: keeps the order with do_mask / do_unmask(EVT_MASK_REASON_TEMPORARY))
XEN_EOI_MOVE = Source(L, "v5.4", "drivers/xen/events/events_base.c",
                      "eoi_pirq (irqd_is_setaffinity_pending && !irqd_irq_disabled: test_and_set_mask, clear_evtchn, "
                      "irq_move_masked_irq, unmask_evtchn unless it was masked)", "4.6..5.10")
#: disable_irq / enable_irq (kernel/irq/manage.c), irq_disable / irq_enable (chip.c), check_irq_resend
#: (resend.c), apic_retrigger_irq (arch/x86/kernel/apic/vector.c). The logic is the same in every release
#: the model covers: the hardware retrigger (chip->irq_retrigger) has come first since before 3.0, the
#: software resend tasklet only for chips without one (x86 MSI always has one: the vector domain's)
DISABLE_IRQ = Source(L, "v6.6", "kernel/irq/manage.c",
                     "disable_irq / disable_irq_nosync / __disable_irq_nosync (irq_get_desc_buslock: desc->lock "
                     "irqsave around __disable_irq) / __disable_irq (depth++) / synchronize_irq", "all")
ENABLE_IRQ = Source(L, "v6.6", "kernel/irq/manage.c",
                    "enable_irq (irq_get_desc_buslock: desc->lock irqsave around __enable_irq) / __enable_irq (depth "
                    "0: WARN \"Unbalanced enable for IRQ\"; depth 1: irq_startup(IRQ_RESEND, IRQ_START_FORCE))", "all")
IRQ_DISABLE = Source(L, "v6.6", "kernel/irq/chip.c",
                     "irq_disable / __irq_disable (lazy: IRQD_IRQ_DISABLED only, unless chip->irq_disable or "
                     "IRQ_DISABLE_UNLAZY)", "all")
IRQ_ENABLE = Source(L, "v6.6", "kernel/irq/chip.c", "irq_enable (chip->irq_enable, else unmask_irq if masked)", "all")
EDGE_DISABLED = Source(L, "v6.6", "kernel/irq/chip.c",
                       "handle_edge_irq (irqd_irq_disabled || !desc->action: IRQS_PENDING, mask_ack_irq, out)", "all")
RESEND = Source(L, "v6.6", "kernel/irq/resend.c",
                "check_irq_resend (IRQS_REPLAY: -EBUSY; IRQS_PENDING cleared; try_retrigger, else irq_sw_resend)",
                "all (try_retrigger / the hierarchy walk from 5.10; before, chip->irq_retrigger then the tasklet)")
APIC_RETRIGGER = Source(L, "v6.6", "arch/x86/kernel/apic/vector.c",
                        "apic_retrigger_irq (apic->send_IPI(apicd->cpu, apicd->vector))",
                        "4.15..; before, send_IPI_mask to cpumask_first_and(data->domain, cpu_online_mask)")
XEN_RETRIGGER = Source(L, "v6.6", "drivers/xen/events/events_base.c",
                       "xen_pirq_chip (.irq_disable = disable_pirq, .irq_enable = enable_pirq, .irq_retrigger = "
                       "retrigger_dynirq) / retrigger_dynirq (mask, set_evtchn, unmask)", "5.10.. (enable_pirq)")
FIXUP_IRQS = Source(L, "v6.6", "arch/x86/kernel/irq.c", "fixup_irqs (mdelay(1), IRR scan, retrigger)", "all")
CPU_DISABLE = Source(L, "v6.6", "arch/x86/kernel/smpboot.c", "native_cpu_disable (apic_soft_disable after "
                     "cpu_disable_common)", "5.9.., 5.4.62.., 5.8.6.. (cpu_disable_apic: soft-after, 52d6b926aabc)")
#: native_cpu_disable's local APIC step before 52d6b926aabc (``cpu_disable_apic``), read in the two diffs
CPU_DISABLE_OLD = (Source(L, "60dcaad5736f", "arch/x86/kernel/smpboot.c + arch/x86/kernel/apic/apic.c",
                          "native_cpu_disable (clear_local_APIC() replaced by apic_soft_disable() before "
                          "cpu_disable_common) / apic_soft_disable (clear_local_APIC, SPIV enable bit cleared)",
                          "5.4 .. 5.8.5, 5.4.0 .. 5.4.61 (soft-first); the removed line: ..5.3 (clear)"),
                   Source(L, "52d6b926aabc", "arch/x86/kernel/smpboot.c",
                          "native_cpu_disable (apic_soft_disable moved after cpu_disable_common)",
                          "5.9.., 5.4.62.., 5.8.6.."))
#: the vector check native_cpu_disable makes before cpu_disable_common (read in the stored vector.c copies of
#: 4.15+ trees and in a0b0bad10587's stable copies; the blktests block/008 mail quotes its message)
UNPLUG_CHECK = Source(L, "v6.6", "arch/x86/kernel/apic/vector.c + kernel/irq/matrix.c",
                      "lapic_can_unplug_cpu (irq_matrix_allocated, irq_matrix_available(m, true)), called first by "
                      "native_cpu_disable", "4.15.. (vector_allocator: matrix); what it counts: unplug_excludes_managed")
LEGACY_UNPLUG_CHECK = Source(L, "v4.9", "arch/x86/kernel/irq.c + arch/x86/kernel/smpboot.c",
                             "check_irq_vectors_for_cpu_disable (-ERANGE), called first by native_cpu_disable",
                             "..4.14 (vector_allocator: legacy; read in a stored 4.x copy, not at the tag)")
UNPLUG_EXCLUDES_MANAGED = Source(L, "a0b0bad10587", "kernel/irq/matrix.c", "irq_matrix_allocated",
                                 "6.7.. (4.19.299, 5.4.261, 5.10.201, 5.15.139, 6.1.63, 6.5.12, 6.6.2): "
                                 "cm->allocated - cm->managed_allocated")
#: the matrix's global reservation count (book-keeping only: irq_matrix_alloc never consults it)
MATRIX_RESERVE = Source(L, "v6.6", "kernel/irq/matrix.c + arch/x86/kernel/apic/vector.c",
                        "irq_matrix_reserve (the warning at global_reserved == global_available) / irq_matrix_alloc "
                        "(reserved: global_reserved--) / irq_matrix_remove_reserved; reserve_irq_vector_locked, "
                        "assign_vector_locked (resvd = apicd->has_reserved), vector_free_reserved_and_managed, "
                        "lapic_can_unplug_cpu ('Reserved vectors %u > available %u')",
                        "4.15.. (vector_allocator: matrix; read in a stored 6.x matrix.c and the 4.15+ vector.c copies)")
LAPIC_ONLINE = Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c", "lapic_online", "4.15..")
MSI_SET_AFFINITY = Source(L, "6f1a4891a592", "arch/x86/kernel/apic/msi.c", "msi_set_affinity",
                          "two-step update 5.6.., 5.5.3.., 5.4.19.., 4.19.103..; which irqs: msi_affinity_update")
MSI_DOMAIN_SET_AFFINITY = Source(L, "v5.5", "kernel/irq/msi.c + arch/x86/kernel/apic/msi.c",
                                 "msi_domain_set_affinity (the PCI-MSI chip's default irq_set_affinity: "
                                 "MSI_FLAG_USE_DEF_CHIP_OPS)", "..5.5 (msi_set_affinity_name: generic); read in "
                                 "the 6f1a4891a592 diff, not at the tag")
MSI_SET_AFFINITY_NOW = Source(L, "b56ebe7c896d", "arch/x86/kernel/apic/msi.c", "msi_set_affinity",
                              "6.7.. (and 6.6.3.., 6.5.13.., 6.1.66..): !irqd_can_reserve() selects the direct "
                              "write")
INTEL_IR = Source(L, "v6.6", "drivers/iommu/intel/irq_remapping.c",
                  "intel_irq_remapping_alloc / intel_irq_remapping_activate / intel_ir_set_affinity", "all")
#: the stored 6.x tree read (ef75a8878766: send_cleanup_vector, cmpxchg_double); a newer stored tree
#: (vector_schedule_cleanup, try_cmpxchg128, iommu_flush_irt_and_complete) does the same in these functions
AMD_IR = Source(L, "ef75a8878766", "drivers/iommu/amd/iommu.c",
                "irq_remapping_alloc / alloc_irq_index / irq_remapping_prepare_irte / fill_msi_msg / "
                "irq_remapping_activate / irte_ga_prepare / modify_irte_ga / amd_ir_set_affinity", "4.15..")
#: the 5.4.y stable posting of it was read (its diff shows the older modify_irte_ga)
AMD_IRTE_CMPXCHG = Source(L, "e52d58d54a32", "drivers/iommu/amd_iommu.c",
                          "modify_irte_ga (iommu/amd: Use cmpxchg_double() when updating 128-bit IRTE)",
                          "5.9.., 5.8.8.., 5.4.68.. (kernel.amd_irte_cmpxchg)")

# --- drivers/pci/msi -----------------------------------------------------------------------------------
MSI_CORE = Source(L, "3c69140734a2", "drivers/pci/msi/msi.c",
                  "__pci_enable_msi_range / msi_capability_init / pci_msi_shutdown / pci_msi_update_mask",
                  "5.17.. (drivers/pci/msi.c before)")
MSIX_INIT = Source(L, "3c69140734a2", "drivers/pci/msi/msi.c",
                   "msix_capability_init / msix_prepare_msi_desc / msix_mask_all / pci_msix_shutdown",
                   "5.14.., 5.13.12.., 5.10.60.., 5.4.142.., 4.19.205.., 4.14.245.., 4.9.281.., 4.4.282.. "
                   "(msix_enable_first); masks: msix_mask_all; out_disable: msix_error_clears_maskall")
#: audit17: the inverted test of 5.17 .. 6.0, read in the fix's posting and Bjorn Helgaas' log of it
MSIX_CTRL_INVERTED = Source(L, "2b96f92ca425", "drivers/pci/msi/msi.c",
                            "msix_setup_msi_descs ('if (!desc.pci.msi_attrib.can_mask)' from 71020a3c0dff, restored)",
                            "5.17..6.0 (msix_ctrl_read_can_mask: cannot-mask)")
#: audit17: msix_mask_all's pci_msi_ignore_mask check, read in Marek Marczykowski-Gorecki's posting (2021-08-26)
MSIX_MASK_ALL_PV = Source(L, "1a519dc7a73c", "drivers/pci/msi.c",
                          "msix_mask_all ('if (pci_msi_ignore_mask) return;' added)",
                          "5.14.., 4.4.284.., 4.9.283.., 4.14.247.., 4.19.207.., 5.4.148.., 5.10.67.., 5.13.19.. "
                          "(msix_mask_all_ignore_mask)")
MSIX_INIT_OLD = Source(L, "4287d824f265", "drivers/pci/msi.c", "msix_capability_init / msix_program_entries",
                       "..5.13 (msix_enable_first: false)")
WRITE_MSG = Source(L, "3c69140734a2", "drivers/pci/msi/msi.c", "__pci_write_msi_msg / pci_write_msg_msix",
                   "masked update: 5.14.. (msix_masked_update)")
MSI_DOMAIN_WRITE = Source(L, "v6.6", "drivers/pci/msi/irqdomain.c",
                          "pci_msi_domain_write_msg (desc->irq == irq_data->irq)",
                          "all (drivers/pci/msi.c before 5.17)")
ALLOC_VECTORS = Source(L, "3c69140734a2", "drivers/pci/msi/api.c + msi.c",
                       "pci_alloc_irq_vectors_affinity / __pci_enable_msix_range", "4.10..")
FREE_VECTORS = Source(L, "3c69140734a2", "drivers/pci/msi/api.c + msi.c",
                      "pci_free_irq_vectors / pci_disable_msix / pci_disable_msi / pci_free_msi_irqs", "all")
#: the range helpers' retry loop (every modelled release) and who answers a positive count
RANGE_RETRY = Source(L, "3c69140734a2", "drivers/pci/msi/msi.c",
                     "__pci_enable_msix_range / __pci_enable_msi_range (for (;;): rc > 0 -> retry with rc vectors)",
                     "all (drivers/pci/msi.c before 5.17; before the hwsize clamp __pci_enable_msix answered "
                     "pci_msix_vec_count() and the loop retried with it)")
PCI_FAIL = Source(L, "v6.6", "kernel/irq/msi.c", "__msi_domain_alloc_irqs -> msi_handle_pci_fail", "5.17..")
PCI_FAIL_OLD = Source(L, "v5.16", "drivers/pci/msi.c",
                      "pci_msi_domain_handle_error / msix_capability_init (out_avail)",
                      "..5.16 (read in stored 4.x/5.x copies, not at the tag; msix_avail_retry)")
AVAIL_LEGACY = Source(L, "60bf9b33c82c", "drivers/pci/msi/legacy.c + msi.c",
                      "pci_msi_setup_check_result (the count, legacy arch_setup_msi_irqs only)",
                      "5.17.. (msix_avail_retry: false)")
PCI_ENABLE = Source(L, "v6.6", "drivers/pci/pci.c + drivers/pci/setup-res.c",
                    "pci_enable_device / pci_enable_resources / pci_set_master / pci_disable_device / "
                    "do_pci_disable_device", "all")
NVME = Source(L, "v6.6", "drivers/nvme/host/pci.c", "nvme_setup_irqs / nvme_max_io_queues", "5.0..")
NVME_SHARED = Source(L, "dca51e7892fa", "drivers/nvme/host/pci.c",
                     "nvme_pci_enable / nvme_setup_io_queues (pci_alloc_irq_vectors, PCI_IRQ_AFFINITY) / nvme_create_queue",
                     "4.9..4.16 (nvme_irq_layout: shared-admin; 4.9 read in a 4.9.137 tree -- the Pixel 3 vendor kernel "
                     "kdrag0n/proton_bluecross -- and, audit24, in sh1rataki/linux-4.9.154's import, the same "
                     "calls; 4.16 in a 4.16.13 one)")
NVME_RANGE = Source(L, "v4.8", "drivers/nvme/host/pci.c",
                    "nvme_setup_io_queues (pci_enable_msix_range) / nvme_create_queue",
                    "..4.8 (nvme_irq_layout: msix-range; read in a stored 4.7/4.8 copy, not at the tag)")
NVME_QUEUE_CPUS = Source(L, "v4.13", "drivers/nvme/host/pci.c",
                         "nvme_setup_io_queues (nr_io_queues = num_present_cpus())",
                         "4.13.. (nvme_queue_cpus: present; read in a 4.13.9 tree, num_online_cpus() in a 4.12.0 "
                         "one, 2800b8e7d9df 4.7; audit24: num_present_cpus() also in the 4.13.4, 4.14.5 and 4.15.0 "
                         "imports, num_possible_cpus() from the 4.16.13 and 4.17.0 trees)")
PROC_IRQ = Source(L, "v6.6", "kernel/irq/proc.c",
                  "write_irq_affinity (irq_can_set_affinity_usr) / write_default_affinity", "all")
PROC_IRQ_OLD = Source(L, "cc9b94029e9e", "kernel/irq/proc.c", "write_irq_affinity (irq_set_affinity's result dropped)",
                      "..4.14 (proc_affinity_result: false)")
PROC_IRQ_EPERM = Source(L, "eb29369fa543", "kernel/irq/proc.c", "write_irq_affinity (-EPERM for a managed irq)",
                        "6.12.. (affinity_usr_errno)")
PROC_IRQ_REJECT = Source(L, "cba6437a1854", "kernel/irq/proc.c",
                         "write_irq_affinity (irq_select_affinity_usr: -EINVAL for a mask without an online CPU)",
                         "5.6.. (proc_offline_mask: einval); irq_setup_affinity before")
PROC_IRQ_DIR = Source(L, "cc9b94029e9e", "kernel/irq/proc.c + kernel/irq/manage.c + kernel/irq/irqdesc.c",
                      "register_irq_proc (from __setup_irq) / unregister_irq_proc (from free_desc)", "all")
BUSY_PENDING = Source(L, "12f47073a40f", "kernel/irq/manage.c", "irq_try_set_affinity / irq_set_affinity_pending",
                      "4.18.., 4.17.3.. (affinity_busy_pending)")
HINT_BEST_EFFORT = Source("LKML", "2021-09-06 <87bl569goi.ffs@tglx>", "Re: irq_set_affinity_hint return value",
                          "Thomas Gleixner", "all")
CPU0_NOT_HOTPLUG = Source(L, "0a3abcf75bf3", "arch/x86/kernel/topology.c", "arch_register_cpu",
                          "..3.7; from 3.8 (4d25031a81d3) unless cpu0_hotplug; 6.5.. (e59e74dc48a3) always")
CPU0_HOTPLUG = Source(L, "4d25031a81d3", "arch/x86/kernel/topology.c",
                      "arch_register_cpu / enable_cpu0_hotplug (cpu0_hotplug)", "3.8..6.4 (cpu0_hotplug: true)")
ONLINE_STORE = Source(L, "v6.6", "drivers/base/core.c", "online_store / device_offline / device_online "
                      "(1 for a device already in that state: the write returns the count)", "all")
NAMEI_CREATE = Source(L, "v6.6", "fs/namei.c", "lookup_open (O_CREAT without i_op->create: -EACCES)", "all")
CONTRACT = Source("msidbg", "contract", "/work/shared/docs/contract.md", "scenario actions", "all")

# --- readings (docs/model.md, docs/model-baremetal.md) ---------------------------------------------------
reading("kernel.msi.range-retry",
        "pci_alloc_irq_vectors / pci_enable_msi[x]_range retry a setup that answers a positive count: the "
        "vector (or IRTE) allocation that failed after some MSI-X descriptors got their irq answers how many "
        "did (msi_handle_pci_fail from 5.17, msix_capability_init's out_avail before), a Multi-MSI block "
        "answers 1, and the helper sets the capability up again with that many if it is at least minvec "
        "(else -ENOSPC). A Xen HVM guest's pirq failure is counted the same way only before 5.17 "
        "(msix_avail_retry).", source=(RANGE_RETRY, PCI_FAIL, PCI_FAIL_OLD, AVAIL_LEGACY), module=M,
        quote="rc = msix_capability_init(dev, entries, nvec, affd); if (rc == 0) return nvec; if (rc < 0) "
        "return rc; if (rc < minvec) return -ENOSPC; nvec = rc; ... /* If there was a successful allocation "
        "let the caller know */ return allocated ? allocated : -ENOSPC;")
reading("kernel.pci.enable-master",
        "A driver enables its device before it allocates vectors: pci_enable_device turns on Memory Space "
        "(pci_enable_resources, written only when it changes), pci_set_master Bus Master Enable; the last "
        "pci_disable_device (remove, a failed probe) clears Bus Master only.", source=(PCI_ENABLE,), module=M,
        quote="if (pci_command & PCI_COMMAND_MASTER) { pci_command &= ~PCI_COMMAND_MASTER; "
        "pci_write_config_word(dev, PCI_COMMAND, pci_command); }")
reading("kernel.affinity.stored-before-request",
        "request_irq.affinity = irq_set_affinity() before request_irq(): on an irq that is not activated yet the "
        "vector domain does nothing and activation later places the vector inside the stored mask (before "
        "baedb87d1b53 -- 5.8; 5.7.10, 5.4.53, 4.19.134, 4.14.194 -- a non-pcntxt chip recorded a pending move "
        "instead).",
        source=(VECTOR, SET_AFFINITY), module=M,
        quote="For inactive interrupts which use managed or reservation mode there is no point in going through "
        "the vector assignment right now as the activation will assign a vector which fits the destination "
        "cpumask.")
reading("kernel.affinity.setup-default",
        "irq_setup_affinity() applies the managed or user-set affinity if it has an online CPU, else "
        "irq_default_affinity; it never reads the affinity hint.", source=SETUP_AFFINITY, module=M,
        quote="struct cpumask *set = irq_default_affinity; ... Preserve the managed affinity setting and a userspace "
        "affinity setup, but make sure that one of the targets is online.")
reading("kernel.irq.startup-reactivates",
        "Before 'irqdomain: Avoid activating interrupts more than once' (4.10; 4.9.9 as e02136282296) "
        "irq_startup() re-ran the domains' activate callbacks for an irq already activated at allocation "
        "(f3b0946d629c: 4.8; 4.7.3, 4.4.20): msi_domain_activate composes and writes the message again, the remapping domain "
        "programs the IRTE again (startup_reactivates). Read in unnamed public 4.x copies of chip.c and "
        "irqdomain.c, not at the v4.9 tag.", source=STARTUP_REACTIVATE, module=M,
        quote="irq_state_clr_disabled(desc); desc->depth = 0; irq_domain_activate_irq(&desc->irq_data); ... "
        "if (irq_data->parent_data) irq_domain_activate_irq(irq_data->parent_data); if (domain->ops->activate) "
        "domain->ops->activate(domain, irq_data);")
reading("kernel.affinity.startup-order",
        "Normal irqs run irq_setup_affinity() before __irq_startup() only with IRQCHIP_AFFINITY_PRE_STARTUP "
        "(5.14; the stable copies in 5.13.12, 5.10.60, 5.4.142 and 4.19.205, as row kernel.affinity_before_startup "
        "has them -- audit21: the reading named 5.14 only); managed irqs always apply their mask first.",
        source=IRQ_STARTUP, module=M,
        quote="if (d->chip->flags & IRQCHIP_AFFINITY_PRE_STARTUP) irq_setup_affinity(desc); ret = "
        "__irq_startup(desc); ... case IRQ_STARTUP_MANAGED: irq_do_set_affinity(d, aff, false); ret = "
        "__irq_startup(desc);")
reading("kernel.affinity.hint-sets-affinity",
        "request_irq.hint = irq_set_affinity_hint() after request_irq(): it stores the hint and sets the "
        "affinity like a /proc write from e2e64a932556 (4.0) on -- before it, it only stored the "
        "hint (hint_sets_affinity); irq_update_affinity_hint() (5.17) only stores the hint.",
        source=(HINT, HINT_STORE_ONLY), module=M,
        quote="Deprecated. Use irq_update_affinity_hint() or irq_set_affinity_and_hint() instead. ... static "
        "inline int irq_set_affinity_hint(unsigned int irq, const struct cpumask *m) { return "
        "irq_set_affinity_and_hint(irq, m); }")
reading("kernel.vector.no-move-in-mask",
        "A new affinity that still contains the irq's current (online) CPU does not move it; the message is "
        "written again all the same (msi_set_affinity, irq_chip_write_msi_msg).", source=VECTOR, module=M,
        quote="If the current target CPU is online and in the new requested affinity mask, there is no point in "
        "moving the interrupt from one CPU to another.")
reading("kernel.vector.activation-mask",
        "Activation of a reserved irq tries its affinity (with the NUMA node), then any online CPU; the model "
        "has one node, so the node steps change nothing.", source=VECTOR, module=M,
        quote="/* Get the affinity mask - either irq_default_affinity or (user) set */")
reading("kernel.vector.best-cpu",
        "irq_matrix_alloc picks the online CPU of the mask with the most available vectors (the first on a "
        "tie), a managed allocation the one with the fewest managed vectors in use (the last on a tie); "
        "before that spread (kernel.managed_spread) 4.15's assign_managed_vector took the first online CPU of "
        "the mask.",
        source=MATRIX, module=M,
        quote="if (!cm->online || cm->available <= maxavl) continue; ... if (!cm->online || "
        "cm->managed_allocated > allocated) continue;")
#: audit22: the quote is x86_vector_alloc_irqs' up to 6.1 ('x86/apic: Remove X86_IRQ_ALLOC_CONTIGUOUS_VECTORS',
#: irq/core pull for v6.2-rc1); what answers the PCI core is the domain's missing MSI_FLAG_MULTI_PCI_MSI
MULTI_MSI_CONTIG = Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c",
                          "x86_vector_alloc_irqs ('X86_IRQ_ALLOC_CONTIGUOUS_VECTORS && nr_irqs > 1': -ENOSYS)",
                          "4.15 .. 6.1 (removed in 6.2 with the flag; the pre-4.15 allocator has the same check)")
MULTI_MSI_RETRY = (Source(L, "v5.16", "drivers/pci/msi.c", "pci_msi_domain_check_cap ('Special handling to support "
                          "__pci_enable_msi_range()': multi-MSI without MSI_FLAG_MULTI_PCI_MSI returns 1)", "..6.1"),
                   Source(L, "d2a463b29741", "drivers/pci/msi/msi.c", "msi_capability_init ('Reject multi-MSI early on "
                          "irq domain enabled architectures': nvec > 1 without MSI_FLAG_MULTI_PCI_MSI returns 1)",
                          "6.2.. (irq/core pull for v6.2-rc1)"))
reading("kernel.vector.multi-msi",
        "Multi-message MSI needs interrupt remapping on x86: the vector allocator cannot allocate contiguous "
        "vectors, so the x86 PCI/MSI domain without remapping lacks MSI_FLAG_MULTI_PCI_MSI, msi_capability_init "
        "answers 1 and the PCI core retries with one message (pci_msi_domain_check_cap up to 6.1, d2a463b29741's "
        "early reject from 6.2; the vector domain's own -ENOSYS for a contiguous request, which the quote heads, "
        "is gone from 6.2).", source=(MULTI_MSI_CONTIG, *MULTI_MSI_RETRY, MSI_CORE), module=M,
        quote="/* Currently vector allocator can't guarantee contiguous allocations */")
reading("kernel.msi.multi-message",
        "A multi-message MSI function has one message: msi_setup_msi_desc sets Multiple Message Enable to "
        "ilog2(__roundup_pow_of_two(nvec)) (3 vectors enable 4 messages) and pci_msi_domain_write_msg writes "
        "only the first irq's message; the device puts the message number in the low data bits.",
        source=(MSI_DOMAIN_WRITE, MSI_CORE), module=M,
        quote="For MSI-X desc->irq is always equal to irq_data->irq. For MSI only the first interrupt of "
        "MULTI MSI passes the test.")
STOP_MACHINE = Source(L, "00bcf5cdd6c0", "kernel/stop_machine.c",
                      "multi_cpu_stop / ack_state / set_state / cpu_stopper_thread (stop_machine_cpuslocked from "
                      "takedown_cpu)", "all (the PREPARE -> DISABLE_IRQ -> RUN -> EXIT state machine)")
#: where the offline's work runs: take_cpu_down on the dying CPU, the DEAD states on the control CPU (offdying)
TAKEDOWN = Source(L, "v6.6", "kernel/cpu.c + arch/x86/kernel/smpboot.c",
                  "takedown_cpu: stop_machine_cpuslocked(take_cpu_down, NULL, cpumask_of(cpu)) -- take_cpu_down "
                  "(__cpu_disable = native_cpu_disable: lapic_can_unplug_cpu, cpu_disable_common -> fixup_irqs, "
                  "lapic_offline; then the CPU_DYING states) on the dying CPU; __cpu_die and the DEAD states on the "
                  "control CPU", "all (4.19: check_irq_vectors_for_cpu_disable before 4.15, no lapic_offline)")
reading("kernel.hotplug.stop-machine",
        "take_cpu_down runs on the outgoing CPU (stop_machine_cpuslocked(take_cpu_down, NULL, cpumask_of(cpu))) "
        "with interrupts off while every other CPU spins in multi_cpu_stop with interrupts off: its vector "
        "check, fixup_irqs (the moves, their message writes and a Xen guest's EVTCHNOP_bind_vcpu, mdelay(1), "
        "the IRR scan), lapic_offline and the CPU_DYING states (migrate_tasks before 5.11). The model runs them "
        "as the take_cpu_down program in the outgoing CPU's process context (its own task kept aside meanwhile); "
        "the requesting CPU waits for it. At take_cpu_down's end every CPU leaves multi_cpu_stop "
        "(MULTI_STOP_EXIT: local_irq_restore of the flags saved on entry) and takes its interrupts again; the "
        "requester waits (wait_for_ap_thread) until the dying CPU's idle task reports it dead, then runs the "
        "CPU_DEAD callbacks and the offline (kernel.hotplug.dying-window).",
        source=(FORCE_COMPLETE, TAKEDOWN, STOP_MACHINE), module=M,
        quote="All CPUs are stuck in stop machine with interrupts disabled so calling __irq_complete_move() "
        "would be completely pointless.")
XEN_IOREQ_WAIT = Source("xen-project/xen", "RELEASE-4.13.0", "xen/arch/x86/hvm/ioreq.c, xen/common/schedule.c",
                        "hvm_send_ioreq (prepare_wait_on_xen_event_channel: _VPF_blocked_in_xen), vcpu_unblock "
                        "(clears _VPF_blocked only)", "all (the same in RELEASE-4.0.0 hvm.c and 4.19.2 ioreq.c: "
                        "reading xen.sched.migrate-ioreq)")
reading("kernel.hotplug.stopper-ioreq",
        "A vCPU whose task's access trapped to the device model (xen-hvm: a config or MSI-X table write QEMU "
        "serves) is blocked in Xen until QEMU completes it: the instruction has not retired and Xen runs nothing "
        "of that vCPU meanwhile -- the stopper thread's wake-up IPI only sets a vIRR bit and vcpu_kick's "
        "vcpu_unblock leaves _VPF_blocked_in_xen. multi_cpu_stop moves on only when every online CPU's stopper "
        "has acked the state (ack_state), so a cpu_offline waits in MULTI_STOP_PREPARE for QEMU's completion, "
        "and when that vCPU is the outgoing one, take_cpu_down runs only after it. Before (xenred30) the model "
        "took the waiting task as asleep and ran take_cpu_down at once -- on the dying vCPU too, while it was "
        "still blocked in Xen.",
        source=(STOP_MACHINE, XEN_IOREQ_WAIT), module=M,
        quote="if ( !test_and_clear_bit(_VPF_blocked, &v->pause_flags) ) return; (vcpu_unblock) / "
              "if (atomic_dec_and_test(&msdata->thread_ack)) set_state(msdata, msdata->state + 1); (ack_state)")
#: xen33: multi_cpu_stop's loop is a PAUSE loop (x86 cpu_relax = rep_nop): a vCPU spinning there is running for Xen
STOP_LOOP = (Source(L, "v4.13.9", "kernel/stop_machine.c, include/linux/sched.h, arch/x86/include/asm/processor.h",
                    "multi_cpu_stop (do { cpu_relax_yield(); ... } while (curstate != MULTI_STOP_EXIT)); "
                    "#define cpu_relax_yield() cpu_relax(); cpu_relax -> rep_nop",
                    "4.9 .. 5.4 (cpu_relax_yield; read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
             Source(L, "v5.15.24", "kernel/stop_machine.c, arch/x86/include/asm/vdso/processor.h",
                    "multi_cpu_stop (stop_machine_yield(cpumask)), __weak stop_machine_yield -> cpu_relax "
                    "(overridden on s390 only), cpu_relax -> rep_nop ('rep; nop')",
                    "5.5 .. (read in yhuan416/linux-5.15.24 and wishday/linux-6.12.y at 6.12.19: the same loop; "
                    "queue_stop_cpus_work wakes the stoppers for_each_cpu)"))
reading("kernel.hotplug.stopper-spins",
        "multi_cpu_stop's state machine is a busy loop: each pass runs cpu_relax (cpu_relax_yield 4.9 .. 5.4, "
        "stop_machine_yield's __weak body from 5.5; x86 overrides neither) -- rep_nop, a PAUSE -- and re-reads "
        "msdata->state until MULTI_STOP_EXIT, with interrupts on until MULTI_STOP_DISABLE_IRQ. No x86 or Xen PV hook "
        "turns it into a hypercall, so for Xen a vCPU whose stopper spins there is running, not blocked: it holds "
        "its pCPU, burns credit and is preempted only by a tickle or its slice's end (a PV vCPU: a PAUSE in the "
        "guest causes no exit); on HVM (VMX) the PAUSE loop's exit after ple_window yields it (xen.sched.ple-yield). "
        "A vCPU that waits for its pCPU meanwhile runs its stopper -- and acks each state -- only once the "
        "scheduler switches to it, and the stoppers are woken in cpumask order (queue_stop_cpus_work's "
        "for_each_cpu: of halted vCPUs sharing an idle pCPU the lowest runs). msidbg: hotplug.stop_spin, "
        "xensched.stop_spin. Before (xen33) the model took a spinning vCPU off its pCPU as blocked and every "
        "stopper acked at once, so two vCPUs sharing a pCPU passed the rendezvous together.",
        source=STOP_LOOP + (STOP_MACHINE,), module=M,
        quote="do { /* Chill out and ensure we re-read multi_stop_state. */ stop_machine_yield(cpumask); newstate = "
              "READ_ONCE(msdata->state); ... } while (curstate != MULTI_STOP_EXIT); / notrace void __weak "
              "stop_machine_yield(const struct cpumask *cpumask) { cpu_relax(); } / asm volatile(\"rep; nop\" ::: "
              "\"memory\"); (5.15.24) / cpu_relax_yield(); (4.13.9)")
#: the dying CPU between stop_machine's end and play_dead (dyingdrain)
IDLE_DEAD = Source(L, "v6.6", "kernel/stop_machine.c + kernel/sched/idle.c + kernel/cpu.c",
                   "multi_cpu_stop (MULTI_STOP_EXIT: local_irq_restore(flags)) / do_idle (local_irq_disable; "
                   "cpu_is_offline -> cpuhp_report_idle_dead -> arch_cpu_idle_dead) / takedown_cpu "
                   "(wait_for_ap_thread(st, false) before __cpu_die and the DEAD states)",
                   "all (local_irq_disable before the cpu_is_offline check from e78a7614f387, 5.4 and 5.3.4; before it "
                   "interrupts stayed on through cpuhp_report_idle_dead until play_dead_common's "
                   "local_irq_disable: dying_irqs_off)")
#: the dying CPU's idle loop and play_dead before e78a7614f387 (``dying_irqs_off: play-dead``), read in the trees of
#: /work/.mirror (a 4.17, a 4.4.0 and a 3.4.4 tree: their Makefiles' VERSION / PATCHLEVEL / SUBLEVEL)
IDLE_DEAD_OLD = (Source(L, "v4.17", "kernel/sched/idle.c + arch/x86/kernel/smpboot.c + kernel/cpu.c",
                        "do_idle (cpu_is_offline -> cpuhp_report_idle_dead, arch_cpu_idle_dead; then local_irq_disable) "
                        "/ play_dead_common (cpu_report_death, local_irq_disable) / takedown_cpu -> __cpu_die -> "
                        "common_cpu_die (cpu_wait_death)", "4.6 .. 5.3.3"),
                 Source(L, "v4.4", "kernel/sched/idle.c + kernel/cpu.c", "cpu_idle_loop (cpu_dead_idle, "
                        "arch_cpu_idle_dead before local_irq_disable) / _cpu_down (polls cpu_dead_idle, __cpu_die)",
                        "4.4 (a 4.4.0 tree)"),
                 Source(L, "v3.4", "arch/x86/kernel/process.c + arch/x86/kernel/smpboot.c + kernel/cpu.c",
                        "cpu_idle (play_dead before local_irq_disable) / play_dead_common (cpu_state = CPU_DEAD, "
                        "local_irq_disable) / _cpu_down (while (!idle_cpu(cpu)), __cpu_die -> native_cpu_die)",
                        "3.x (a 3.4.4 tree)"))
#: a Xen PV vCPU's local_irq_restore / local_irq_enable with an upcall pending enters the event callback
XEN_IRQ_ENABLE = Source(L, "v4.19", "arch/x86/xen/irq.c",
                        "xen_restore_fl / xen_irq_enable (evtchn_upcall_mask = 0; if evtchn_upcall_pending: "
                        "xen_force_evtchn_callback)", "all (later kernels: xen_irq_enable_direct in "
                        "arch/x86/xen/xen-asm.S, the same test and check_events)")
#: what common_interrupt (do_IRQ before 5.8) does with a vector fixup_irqs left behind
FIXUP_SLOTS = Source(L, "v6.6", "arch/x86/kernel/irq.c",
                     "fixup_irqs (a vector_irq slot not VECTOR_RETRIGGERED becomes VECTOR_UNUSED) / "
                     "common_interrupt (apic_eoi; VECTOR_UNUSED: 'No irq handler for vector', else the slot "
                     "becomes VECTOR_UNUSED)", "4.3.. (v4.19 do_IRQ: ack_APIC_irq, the same two cases)")
#: kernel28: fixup_irqs' IRR scan re-read per release (lead: what it retriggers and what it names)
FIXUP_IRR = (Source(L, "v4.18", "arch/x86/kernel/irq.c + arch/x86/kernel/apic/vector.c",
                    "fixup_irqs (the IRR scan after mdelay(1)) / apic_retrigger_irq",
                    "4.13..6.9: the same loop in 4.13.9, 4.15.0, 4.16.13, 4.17.0 and 4.18.0 trees and a "
                    "(comment-annotated) 5.10.13 copy"),
             Source(L, "v6.10", "arch/x86/kernel/irq.c", "fixup_irqs / is_vector_pending",
                    "6.10.. (the IRR read becomes is_vector_pending: the IRR, or the posted-MSI PIR, which msidbg "
                    "does not model)"))
reading("kernel.hotplug.fixup-irr",
        "After irq_migrate_all_off_this_cpu and mdelay(1), fixup_irqs walks the dying CPU's vector_irq from "
        "FIRST_EXTERNAL_VECTOR: a slot that is NULL or an ERR_PTR (VECTOR_UNUSED, VECTOR_SHUTDOWN, VECTOR_RETRIGGERED) "
        "is left as it is; a descriptor whose vector is pending in the IRR is retriggered when its chip has "
        "irq_retrigger (the PCI/MSI, IO-APIC and remapping chips: irq_chip_retrigger_hierarchy, reaching "
        "apic_retrigger_irq, which sends the irq's current vector to its current CPU, apicd->vector / apicd->cpu) "
        "and its slot becomes VECTOR_RETRIGGERED; every other descriptor's slot becomes VECTOR_UNUSED. The IRR bit "
        "stays set on the dying CPU: taken in the dying window, VECTOR_RETRIGGERED is acked without a message, "
        "VECTOR_UNUSED prints 'No irq handler for vector'. Nothing is logged for a pending vector whose chip has no "
        "irq_retrigger (the PIC cascade's i8259A). The loop is the same from 4.13 to 6.9 (kernel28: read in the "
        "4.13.9, 4.15.0, 4.16.13, 4.17.0 and 4.18.0 trees, a 5.10.13 copy, and the pre-image of the posted-MSI "
        "diff); 6.10's posted-MSI series only replaces the IRR read with is_vector_pending. msidbg's fixup_irr does the same (the retriggered signals' provenance moves with "
        "the IPI; the bit left behind carries none).",
        source=FIXUP_IRR, module=M,
        quote="if (chip->irq_retrigger) { chip->irq_retrigger(data); __this_cpu_write(vector_irq[vector], "
        "VECTOR_RETRIGGERED); } ... if (__this_cpu_read(vector_irq[vector]) != VECTOR_RETRIGGERED) "
        "__this_cpu_write(vector_irq[vector], VECTOR_UNUSED); / apic->send_IPI(apicd->cpu, apicd->vector);")
reading("kernel.hotplug.dying-window",
        "When take_cpu_down returns, multi_cpu_stop restores the interrupt flags it saved on entry on every CPU, "
        "the dying one included (its stopper thread ran with interrupts on), and only do_idle's "
        "local_irq_disable before cpuhp_report_idle_dead turns them off again; the control CPU waits for that "
        "report (wait_for_ap_thread) before __cpu_die and the CPU_DEAD callbacks. So the dying CPU takes what "
        "is pending: the vectors left in its IRR -- fixup_irqs made every slot VECTOR_RETRIGGERED (retriggered "
        "to the new target: EOI, the slot becomes VECTOR_UNUSED, nothing printed) or VECTOR_UNUSED (EOI, 'No "
        "irq handler for vector': that signal is lost) -- and a Xen vCPU's pending upcall (xen_irq_enable -> "
        "xen_force_evtchn_callback), which empties its event queue before the FIFO ABI's CPU_DEAD drain. The "
        "model runs the window as the take_cpu_down program's last step (idle_dead) after interrupts come on; "
        "before e78a7614f387 (5.4, 5.3.4; dying_irqs_off) the window also spans cpuhp_report_idle_dead (cpu_dead_idle in "
        "4.4, idle_cpu() in 3.x) up to play_dead_common, which disables interrupts right after the report __cpu_die "
        "waits for (cpu_report_death; on a Xen PV guest __cpu_die waits for the VCPUOP_down that follows): the step "
        "runs twice there, and the control CPU goes on at the second.",
        source=(IDLE_DEAD, *IDLE_DEAD_OLD, FIXUP_SLOTS, XEN_IRQ_ENABLE, STOP_MACHINE), module=M,
        quote="} while (curstate != MULTI_STOP_EXIT); local_irq_restore(flags); ... local_irq_disable(); if "
        "(cpu_is_offline(cpu)) { tick_nohz_idle_stop_tick(); cpuhp_report_idle_dead(); arch_cpu_idle_dead(); }")
reading("kernel.hotplug.stop-machine-rendezvous",
        "stop_machine's state machine advances only when every online CPU's stopper thread has acked the current "
        "state. A stopper thread (migration/N) runs in process context, so a CPU in hardirq acks nothing until "
        "it leaves it; meanwhile the CPUs that did ack MULTI_STOP_PREPARE spin with interrupts still enabled "
        "(they are disabled only in MULTI_STOP_DISABLE_IRQ) and keep taking interrupts, their tasks preempted. "
        "A CPU kept in handle_edge_irq's loop by edges another CPU marks IRQS_PENDING therefore holds the "
        "cpu_offline (the write to .../online) until the edges stop. The return from a handler re-enables "
        "interrupts before the stopper runs a line, so an interrupt already pending then (a Xen upcall marked "
        "during the handler, the next edge of a stream the CPU cannot keep up with) is taken first: a CPU "
        "kept busy by a stream holds the offline until the stream ends.", source=STOP_MACHINE, module=M,
        quote="/* Last one to ack a state moves to the next state. */ ... case MULTI_STOP_DISABLE_IRQ: "
        "local_irq_disable(); hard_irq_disable(); break; case MULTI_STOP_RUN: if (is_active) err = "
        "msdata->fn(msdata->data);")
reading("kernel.hotplug.offline-lost",
        "A message to a CPU that has gone offline is lost: its local APIC is soft-disabled after fixup_irqs() "
        "(from 52d6b926aabc: 5.9, 5.4.62, 5.8.6) and sets no IRR bit; INIT clears the rest when it comes back. "
        "From 60dcaad5736f (5.4) until then the soft disable came before fixup_irqs, so a message of an irq not "
        "yet moved was lost too; before 5.4 native_cpu_disable only ran clear_local_APIC() (the LVT entries "
        "masked, the APIC still enabled: a message after fixup_irqs is pending in the IRR when the CPU dies).",
        source=(CPU_DISABLE, *CPU_DISABLE_OLD), module=M,
        quote="IOW, interrupts arriving after disabling the local APIC will be lost.")
reading("kernel.proc.dir-at-request",
        "/proc/irq/N (smp_affinity, smp_affinity_list) of an MSI irq exists from its first request_irq() "
        "(__setup_irq -> register_irq_proc) until the descriptor is freed (free_desc -> unregister_irq_proc); "
        "free_irq() leaves it. A set_affinity before request_irq() gets ENOENT.", source=PROC_IRQ_DIR, module=M,
        quote="irq directories are registered only when a handler is added, not when the descriptor is created")
reading("kernel.affinity.mask-as-given",
        "irq_set_affinity() keeps the caller's mask as it is, offline CPUs included, whether it stores it, records "
        "it as the pending move or hands it to irq_do_set_affinity(), which stores it as the irq's affinity; the "
        "chip gets only its online CPUs from 33de0aa4bae9 (5.18; 5.15.81, 5.10.157).", source=(SET_AFFINITY, BUSY_PENDING, ONLINE_FILTER),
        module=M, quote="irqd_set_move_pending(data); irq_copy_pending(desc, mask); ... /* Make sure we only "
        "provide online CPUs to the irqchip */")
reading("kernel.hotplug.unplug-vector-check",
        "With the matrix allocator (4.15+) take_cpu_down's native_cpu_disable first runs lapic_can_unplug_cpu() on "
        "the outgoing CPU, still online: if the vectors allocated there (the non-managed ones from a0b0bad10587) "
        "exceed the free vectors of the other online CPUs (irq_matrix_available(m, true): global_available minus "
        "this CPU's), it prints 'CPU %u has %u vectors, %u available. Cannot disable CPU' and returns -ENOSPC: "
        "stop_machine ends, nothing moves, the CPU stays online and the write to .../online fails with ENOSPC. "
        "Before 4.15 check_irq_vectors_for_cpu_disable() made the check: the irqs mapped on the outgoing CPU "
        "whose affinity without it is empty or not all online, against the other online CPUs' vectors below "
        "the first system vector that are neither in used_vectors nor mapped; -ERANGE.",
        source=(UNPLUG_CHECK, UNPLUG_EXCLUDES_MANAGED, LEGACY_UNPLUG_CHECK, CPU_DISABLE), module=M,
        quote="tomove = irq_matrix_allocated(vector_matrix); avl = irq_matrix_available(vector_matrix, true); if "
        "(avl < tomove) { pr_warn(\"CPU %u has %u vectors, %u available. Cannot disable CPU\\n\", cpu, tomove, "
        "avl); ret = -ENOSPC;")
reading("kernel.hotplug.affinity-kept",
        "migrate_one_irq() moves an irq with its affinity (or pending mask) as it is, which the irq keeps; an "
        "affinity without an online CPU is replaced by cpu_online_mask ('no longer affine'), a managed irq's is "
        "kept while it is shut down. x86 before the generic migration code (fixup_irqs calling the chip "
        "directly, whose apic_set_affinity stores no mask) is not modelled.", source=MIGRATE, module=M,
        quote="If the interrupt is managed, then shut it down and leave the affinity untouched. ... affinity = "
        "cpu_online_mask; brokeaff = true;")
reading("kernel.hotplug.mdelay",
        "fixup_irqs() waits 1 ms before it scans the outgoing CPU's IRR.", source=FIXUP_IRQS, module=M,
        quote="So for now, retain mdelay(1) and check the IRR and then send those interrupts to new targets as "
        "this cpu is already offlined...")
HOTPLUG_SYSFS_LOCK = Source(L, "5e33bc4165f3", "drivers/base/core.c", "online_store -> lock_device_hotplug_sysfs "
                            "(device_hotplug_lock held across device_offline / device_online)", "3.12..")
reading("kernel.hotplug.lock",
        "A second hotplug request (a write to /sys/devices/system/cpu/cpuN/online) while one runs waits until "
        "the first is done, its CPU_DEAD callbacks included: online_store takes device_hotplug_lock with "
        "lock_device_hotplug_sysfs, which tries the mutex and otherwise sleeps 5 ms and restarts the write "
        "(restart_syscall), so the waiting CPU takes interrupts. The model polls the lock every kernel step "
        "(a spin wait): its second operation starts as soon as the first ends, the kernel's up to 5 ms later.",
        source=HOTPLUG_SYSFS_LOCK, module=M,
        quote="int lock_device_hotplug_sysfs(void) { if (mutex_trylock(&device_hotplug_lock)) return 0; /* Avoid "
        "busy looping (5 ms of sleep should do). */ msleep(5); return restart_syscall(); }")
STOPPER_ATOMIC = Source(L, "v6.6", "kernel/stop_machine.c + include/linux/spinlock_api_smp.h",
                        "stop_machine_cpuslocked -> cpu_stop_queue_work (the stopper is a task: it runs when the "
                        "CPU can schedule) / __raw_spin_lock_irqsave (local_irq_save, preempt_disable)",
                        "all (__raw_spin_lock_irqsave read in several public copies of the header, the same in each; "
                        "not at the tag)")
reading("kernel.hotplug.stopper-atomic",
        "A task inside an irqsave critical section (raw_spin_lock_irqsave: interrupts and preemption off -- "
        "irq_set_affinity's desc->lock across the chip call) is not preempted by its CPU's stopper thread: the "
        "stopper runs, and acks MULTI_STOP_PREPARE, after the unlock; stop_machine waits for it as for a CPU "
        "in hardirq.",
        source=STOPPER_ATOMIC, module=M,
        quote="static inline unsigned long __raw_spin_lock_irqsave(raw_spinlock_t *lock) { unsigned long flags; "
        "local_irq_save(flags); preempt_disable(); spin_acquire(&lock->dep_map, 0, 0, _RET_IP_); ...")
#: kernel34: when the stopper thread gets a CPU from a task in kernel code (kernel.preempt)
PREEMPT_MODEL = (Source(L, "8632987380765dee716d460640aa58d58d52998e", "kernel/Kconfig.preempt",
                        "choice 'Preemption Model' (default PREEMPT_NONE; PREEMPT: 'all kernel code (that is not "
                        "executing in a critical section) preemptible')", "all (the choice read in a 5.x tree)"),
                 Source(L, "34069d12e239ae8f36dd96c378e4622fb1c42a76", "arch/x86/configs/x86_64_defconfig",
                        "CONFIG_PREEMPT_VOLUNTARY=y (its preemption line)", "the stored tree"),
                 Source(L, "46466ae3a105d9620e1355e33125a413b8c6ce18", "kernel/entry/common.c",
                        "irqentry_exit ('if (IS_ENABLED(CONFIG_PREEMPTION)) irqentry_exit_cond_resched') -> "
                        "preempt_schedule_irq / exit_to_user_mode_loop ('if (ti_work & _TIF_NEED_RESCHED) "
                        "schedule();')", "5.9.. (generic entry; before it arch/x86/entry/entry_64.S)"),
                 Source(L, "0a3b24f10de08e49e0946aa4ea188f37fe0c97f7", "include/linux/kernel.h",
                        "might_resched ('#ifdef CONFIG_PREEMPT_VOLUNTARY ... _cond_resched()', else nothing)",
                        "3.x tree read; the same split (PREEMPT_VOLUNTARY_BUILD / PREEMPT_DYNAMIC) later"))
reading("kernel.hotplug.stopper-preempt",
        "stop_machine wakes each CPU's stopper thread (cpu_stop_queue_work -> wake_up_q); a stop-class task above "
        "the running task's class only marks it TIF_NEED_RESCHED (resched_curr). With CONFIG_PREEMPT (PREEMPTION) "
        "the reschedule IPI's return to kernel code preempts the task at once (irqentry_exit_cond_resched -> "
        "preempt_schedule_irq) unless preempt_count or disabled interrupts forbid it (kernel.hotplug.stopper-atomic); "
        "without PREEMPTION irqentry_exit does not reschedule, and the task runs on until it calls schedule() "
        "itself -- it sleeps, or exit_to_user_mode_loop sees _TIF_NEED_RESCHED on its way back to user space -- or "
        "reaches a cond_resched() (PREEMPT_NONE) or a might_resched() (PREEMPT_VOLUNTARY: every might_sleep()). "
        "msidbg's kernel.preempt: full preempts at the task's next step, none at its next sleep or its return; "
        "voluntary is not modelled (the might_sleep points of the modelled paths are not represented). Kconfig's "
        "default choice is PREEMPT_NONE; x86_64_defconfig sets PREEMPT_VOLUNTARY.",
        source=(PREEMPT_MODEL + (STOP_MACHINE,)), module=M,
        quote="if (IS_ENABLED(CONFIG_PREEMPTION)) { ... irqentry_exit_cond_resched(); } / if (ti_work & "
        "_TIF_NEED_RESCHED) schedule(); / choice prompt \"Preemption Model\" default PREEMPT_NONE")
reading("kernel.msi.lock-descs",
        "From 5512c5eaf533 (5.17) enabling or disabling a device's MSI state is serialised by msi_lock_descs(), a "
        "mutex: a second CPU sleeps until the holder unlocks (kernel.msi.lock-descs-waits; before: "
        "kernel.msi.enable-unserialised).", source=MSI_CORE, module=M,
        quote="msi_lock_descs(&dev->dev);")
#: where 5.17+ takes msi_lock_descs in an enable, and what a second enable finds under it (kernel31)
ENABLE_LOCK_LATE = (Source(L, "v5.17-rc5", "drivers/pci/msi/msi.c, kernel/irq/msi.c",
                           "msix_capability_init / msix_setup_interrupts / msi_capability_init / msi_add_msi_desc / "
                           "msi_insert_desc / free_msi_irqs", "5.17.. (kernel.msi_descs_lock: mutex)"),
                    Source(L, "017239c8db20", "drivers/pci/msi/msi.c, kernel/irq/msi.c",
                           "msix_setup_interrupts / msi_capability_init / msi_insert_desc / pci_free_msi_irqs -> "
                           "msi_domain_free_irqs_all_locked", "6.2.. (per-domain store; same order in 6.1)"))
reading("kernel.msi.lock-descs-waits",
        "msi_lock_descs is mutex_lock(&dev->msi.data->mutex): a CPU that finds another one enabling or disabling "
        "the device's MSI state sleeps until msi_unlock_descs, then goes on (it does not fail). The model polls it "
        "as a wait, interrupts on (one note, then silent polls); it used to refuse the second caller with -EBUSY.",
        source=ENABLE_LOCK_LATE, module=M + ".msi",
        quote="void msi_lock_descs(struct device *dev) { mutex_lock(&dev->msi.data->mutex); }")
reading("kernel.msi.enable-insert-busy",
        "5.17+: msix_capability_init writes Enable|Mask-All and sets msix_enabled, and takes msi_lock_descs only in "
        "msix_setup_interrupts (msi_capability_init: after pci_msi_set_enable(dev, 0) and msi_enabled = 1). Two "
        "enables that both passed WARN_ON_ONCE(dev->msix_enabled) / (dev->msi_enabled) before the first's early "
        "flag: the second sleeps on the mutex, then msi_add_msi_desc's xa_insert at index 0 finds the first's "
        "descriptor: -EBUSY. MSI-X: out_free's free_msi_irqs / pci_free_msi_irqs frees every irq and descriptor "
        "of the device (the first enable's), out_disable clears msix_enabled and Enable|Mask-All; the first "
        "returns success. MSI: 'goto fail' clears msi_enabled only (no teardown); the first's MSI stays set up and "
        "enabled while msi_enabled is 0. Neither success path sets the flag again. audit25 (5.17.0 tree): "
        "msi_capability_init's first statement is pci_msi_set_enable(dev, 0) -- a Message Control read and a "
        "write with Enable clear, in every release ('Disable MSI during setup') -- so a second MSI enable whose "
        "write comes after the first's pci_msi_set_enable(dev, 1) leaves the first's MSI disabled in the "
        "device; msidbg's msi_capability_init makes neither access (a lead: on xen-hvm both are trapped). "
        "reconcile (dunli/linux-5.17 at a5835cacd, Makefile 5.17.0-rc5, msix_setup_msi_descs lines 522-535; "
        "wishday/linux-6.12.y at 21ae40e85, 6.12.19, msix_setup_msi_descs / msix_prepare_msi_desc): each "
        "descriptor's Vector Control readl comes before its msi_add_msi_desc (msi_insert_msi_desc), so the "
        "second enable's read of entry 0 is an access of its own before the -EBUSY (msidbg emitted both in one "
        "step: an EngineError, tests/hardening31 engine-two-events-x42).",
        source=ENABLE_LOCK_LATE, module=M + ".msix",
        quote="msi_lock_descs(&dev->dev); ret = msix_setup_msi_descs(dev, base, entries, nvec, masks); if (ret) "
        "goto out_free; ... out_free: free_msi_irqs(dev); out_unlock: msi_unlock_descs(&dev->dev);")
#: kernel33: the pre-5.17 enable read in four stored trees and the 5.17 series' patch mail (no 5.16 tree is stored)
UNSERIALISED = (
    Source(L, "v4.13.9", "drivers/pci/msi.c, kernel/irq/msi.c, kernel/irq/chip.c, fs/sysfs/group.c",
           "__pci_enable_msix / __pci_enable_msix_range / __pci_enable_msi_range / pci_alloc_irq_vectors_affinity / "
           "msix_capability_init / msix_setup_entries / msix_program_entries / msi_capability_init / "
           "populate_msi_sysfs / free_msi_irqs / pci_irq_vector; msi_domain_alloc_irqs / msi_domain_free_irqs (only "
           "desc->irq: an overwritten irq is never freed); irq_set_msi_desc_off ('if (entry && !irq_offset) "
           "entry->irq = irq_base;'); internal_create_group",
           "..5.16 (kernel.msi_descs_lock: none; read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
    Source(L, "v4.19", "drivers/pci/msi.c",
           "__pci_enable_msix (WARN_ON(!!dev->msix_enabled), no return) / __pci_enable_msi_range (WARN_ON(!!"
           "dev->msi_enabled)) / msix_setup_entries / msix_program_entries / msix_capability_init / "
           "msi_capability_init (populate_msi_sysfs) / pci_irq_vector",
           "..5.16 (read in 0x88888888/Linux-4.19 at 2de5b434, a 4.19 copy with added comments -- pci_info, 4.17+; no "
           "Makefile stored -- its code lines as 4.13.9's)"),
    Source(L, "v5.10.13", "drivers/pci/msi.c",
           "__pci_enable_msix / __pci_enable_msix_range / __pci_enable_msi_range / msix_setup_entries / "
           "msix_program_entries / msix_capability_init (populate_msi_sysfs, out_free)",
           "..5.16 (read in Rtoax/linux-5.10.13 at 0db43e5c, a 5.10.13 copy with added comments, its code lines "
           "as 4.13.9's but for the flag tests)"),
    Source(L, "v5.15.24", "drivers/pci/msi.c, kernel/irq/msi.c, arch/x86/pci/xen.c, fs/sysfs/group.c",
           "msix_capability_init / msix_setup_entries / msi_capability_init (msi_populate_sysfs; out_free, "
           "out_disable) / free_msi_irqs (msi_destroy_sysfs) / pci_irq_vector; __msi_domain_alloc_irqs / "
           "msi_populate_sysfs; xen_hvm_setup_msi_irqs; internal_create_group",
           "..5.16 (read in yhuan416/linux-5.15.24, Makefile 5.15.24; 5.16 not read as a tree: tglx's '[patch 09/37] "
           "PCI/MSI: Let the irq code handle sysfs groups' of the 5.17 series, 2021-11-27, removes the same "
           "msi_populate_sysfs calls from msi_capability_init / msix_capability_init)"),
)
reading("kernel.remap.irte-per-irq",
        "(redteam32) The remapping domains keep an irq's remapping table entry in that irq's own data, not per "
        "device: intel_irq_remapping_alloc -> alloc_irte stores it in the irq's irq_2_iommu (irte_index, "
        "sub_handle), AMD irq_remapping_alloc in the irq's amd_ir_data (irq_2_irte.index); activation, "
        "set_affinity and free read it there. An irq a second, unserialised enable leaked "
        "(kernel.msi.enable-unserialised: its descriptor got a new irq) keeps its entry and its vector, and a "
        "later move of it -- a CPU offline's migrate_one_irq -- rewrites that entry. msidbg kept the entries "
        "per device and overwrote them at the second allocation, so such a move found none (tests/combo31 seeds "
        "320748, 322509 crashed); it now gives the leaked irq its own entry (remap.keep_leaked).",
        source=(INTEL_IR, AMD_IR), module=M,
        quote="alloc_irte: 'irq_iommu->iommu = iommu; irq_iommu->irte_index =  index; irq_iommu->sub_handle = 0;'; "
        "amd irq_remapping_free: 'irte_info = &data->irq_2_irte; free_irte(data->iommu, irte_info->devid, "
        "irte_info->index);'")
reading("kernel.irq.freed-under-call",
        "(redteam32) Before 4c1ef72e9b71 (4.20) a failed second enable's free_msi_irqs frees every irq on the device's "
        "list (kernel.msi.enable-unserialised): msi_domain_free_irqs -> irq_domain_free_irqs -> irq_free_descs -> "
        "free_desc (delete_irq_desc under sparse_irq_lock, call_rcu) takes no desc->lock, so an enable_irq that "
        "another CPU is running on one of those irqs -- under desc->lock, from its pci_irq_vector lookup -- goes "
        "on with a descriptor and irq data being torn down. What it then does is undefined; msidbg ends the "
        "irq_startup / irq_enable it was in with a note (tests/combo31 seed 324285 raised KeyError there).",
        status="hypothetical", module=M)
reading("kernel.pm.restore-msi-freed-desc",
        "(redteam32) A second MSI enable before 4c1ef72e9b71 (4.20) that fails (populate_msi_sysfs' -EEXIST) frees "
        "every descriptor on dev->msi_list in free_msi_irqs, the first enable's too, while dev->msi_enabled and "
        "dev->irq stay as the first enable set them (kernel.msi.enable-unserialised). A later "
        "__pci_restore_msi_state passes its msi_enabled test and takes 'entry = irq_get_msi_desc(dev->irq)': the "
        "freed descriptor; default_restore_msi_irqs writes entry->msg from freed memory. What that memory holds "
        "is not modelled: msidbg notes the use-after-free and writes no message (the mask and Enable writes "
        "follow as in the release). Hypothetical: the kernel's behaviour here is undefined; tests/combo31 seed "
        "320242 crashed on the empty list.",
        status="hypothetical", module=M)
reading("kernel.msi.enable-unserialised",
        "(kernel33) Before 5512c5eaf533 (5.17) nothing serialises two enables of one device. __pci_enable_msix_range "
        "/ __pci_enable_msi_range test dev->msix_enabled / msi_enabled (5.10.13: WARN_ON_ONCE(...) return -EINVAL; "
        "4.13.9 and a 4.19 copy: a bare WARN_ON, no return), which msix_capability_init / msi_capability_init set only at their "
        "end, so a second concurrent enable passes them. Both then build descriptors on dev->msi_list "
        "(msix_setup_entries / msi_capability_init: list_add_tail, entry_nr 0.. each: no -EBUSY, no lock); the "
        "irq domain's allocation (msi_domain_alloc_irqs / __msi_domain_alloc_irqs, xen_hvm_setup_msi_irqs on Xen "
        "HVM) walks every descriptor on the list with no test of desc->irq, so a descriptor the other enable "
        "already gave an irq gets a new one (irq_set_msi_desc_off overwrites entry->irq; the old irq stays "
        "allocated with its vector: a leak) and every activation writes its message into the entry the "
        "descriptor names -- the later write wins in the device; msix_program_entries (before 5.14) masks the "
        "entries of every descriptor on the list. The first to reach populate_msi_sysfs makes the 'msi_irqs' "
        "group; the second gets -EEXIST (kernel.msi.sysfs-eexist) and its error path's free_msi_irqs tears down "
        "every descriptor on the list -- the other enable's too (BUG_ON(irq_has_action()) first: an irq the "
        "other driver already requested oopses the task) -- and removes the group, while the error path leaves "
        "the flags alone; the other enable sets its flag and returns its count. pci_irq_vector walks the list "
        "(the i-th descriptor; 5.15.24: the first with entry_nr == nr), so a driver asking after the teardown finds "
        "none (WARN, -EINVAL). msidbg follows this; it refused the second enable with -EBUSY before kernel33. "
        "pci_irq_vector's MSI arm is 'dev->irq + nr' (kernel37: kernel.msi.irq-vector; its first_pci_msi_entry "
        "of an emptied list reads the list head as an entry -- msidbg answers -EINVAL). Not followed: "
        "msi_capability_init's first pci_msi_set_enable(dev, 0) (kernel.msi.enable-insert-busy), and the real "
        "kernel's use of freed descriptors (an irq whose msi_desc another CPU freed is not written through).",
        source=UNSERIALISED, module=M,
        quote="4.13.9 msix_setup_entries: list_add_tail(&entry->list, dev_to_msi_list(&dev->dev)); "
        "msi_domain_alloc_irqs: for_each_msi_entry(desc, dev) { ops->set_desc(&arg, desc); virq = "
        "__irq_domain_alloc_irqs(domain, -1, desc->nvec_used, ...); ... irq_set_msi_desc_off(virq, i, desc); }")
reading("kernel.msi.sysfs-eexist",
        "(kernel33) Before 5.17 msix_capability_init / msi_capability_init call populate_msi_sysfs (msi_populate_sysfs "
        "from 5.14) after the irqs are set up and before the flag: sysfs_create_groups makes the device's "
        "'msi_irqs' directory (internal_create_group's kernfs_create_dir); a second unserialised enable finds it "
        "and fails with -EEXIST ('sysfs: cannot create duplicate filename', sysfs_warn_dup), then goes to out_free "
        "(MSI: 'err:' after unmasking) -- free_msi_irqs, which removes dev->msi_irq_groups (the first's group) and "
        "frees every descriptor -- and, from 5.14, out_disable, which clears Enable | Mask-All in the device. From "
        "5.17 the group is msi_device_populate_sysfs's, under msi_lock_descs (not modelled).",
        source=UNSERIALISED, module=M,
        quote="if (grp->name) { kn = kernfs_create_dir(kobj->sd, grp->name, S_IRWXU | S_IRUGO | S_IXUGO, kobj); if "
        "(IS_ERR(kn)) { if (PTR_ERR(kn) == -EEXIST) sysfs_warn_dup(kobj->sd, grp->name); return PTR_ERR(kn); } }")
reading("kernel.msix.shutdown-stops-enabled",
        "(why33, provenance only) pci_msix_shutdown masks every entry (for_each_pci_msi_entry ... pci_msix_mask) before "
        "it clears Enable (pci_msix_clear_and_set_ctrl) and 'dev->msix_enabled = 0', and pci_disable_msix calls "
        "free_msi_irqs -- on a Xen PV guest xen_pv_teardown_msi_irqs -> xen_pci_frontend_disable_msix, pciback's "
        "disable -- only after it: a task that oopses in the mask loop (5.15.0 .. 5.15.2, msix_vector_ctrl_ignore_mask) "
        "leaves both the device's Enable and the flag set, and __pci_enable_msix_range's 'WARN_ON_ONCE(dev->msix_enabled)' "
        "refuses the next enable with -EINVAL. Read in yhuan416/linux-5.15.24 (a 5.15.24 copy: the lines quoted are "
        "the same in 5.15.0 but for pci_msix_write_vector_ctrl's can_mask test, 9c8e9c9681a0: 5.16, backported to 5.15.3). A held signal "
        "and that refusal link the oops (Prov.left_on).",
        source=Source(L, "v5.15.24", "drivers/pci/msi.c, arch/x86/pci/xen.c",
                      "pci_msix_shutdown / pci_disable_msix / __pci_enable_msix_range / xen_pv_teardown_msi_irqs",
                      "5.15.0..5.15.2 (read in yhuan416/linux-5.15.24)"),
        module=M,
        quote="for_each_pci_msi_entry(entry, dev) pci_msix_mask(entry); pci_msix_clear_and_set_ctrl(dev, "
        "PCI_MSIX_FLAGS_ENABLE, 0); pci_intx_for_msi(dev, 1); dev->msix_enabled = 0; ... pci_msix_shutdown(dev); "
        "free_msi_irqs(dev); ... if (WARN_ON_ONCE(dev->msix_enabled)) return -EINVAL;")
ENABLE_TWICE = (
    Source(L, "2de5b4344dadb0f70f01dabe8703a1ea5fd4cb88", "drivers/pci/msi.c",
           "__pci_enable_msix (WARN_ON(!!dev->msix_enabled), no return) / __pci_enable_msi_range "
           "(WARN_ON(!!dev->msi_enabled), no return)",
           "..4.19 (read in 0x88888888/Linux-4.19, a 4.19 copy with added comments; 4.13.9 the same, kernel33)"),
    Source(L, "2954d1291a9855c2609b2c20d53ec12978fb0172", "drivers/pci/msi.c",
           "__pci_enable_msix_range / __pci_enable_msi_range (WARN_ON_ONCE(...) return -EINVAL)",
           "4c1ef72e9b71.. (read in WindRiver-Labs/linux-yocto-5.2 and, audit26, in the 4.20.0 import of "
           "a4913994/linux-4.20: first release 4.20)"),
)
reading("kernel.msi.enable-twice",
        "(kernel35) A driver's second enable of the kind already enabled -- pci_enable_msix_range or "
        "pci_alloc_irq_vectors(PCI_IRQ_MSIX) while dev->msix_enabled, pci_enable_msi_range while dev->msi_enabled, "
        "with no pci_free_irq_vectors between -- only WARNs before 4c1ef72e9b71 ('PCI/MSI: Warn and return error if "
        "driver enables MSI/MSI-X twice'; behaviour row kernel.msi_enable_twice_einval): 4.19's __pci_enable_msix "
        "has 'WARN_ON(!!dev->msix_enabled);' and goes on to msix_capability_init, __pci_enable_msi_range "
        "'WARN_ON(!!dev->msi_enabled);' and goes on to msi_capability_init. The set-up then runs against the "
        "enabled one's descriptors exactly as an unserialised concurrent enable does (kernel.msi.enable-unserialised, "
        "kernel.msi.sysfs-eexist): its descriptors are appended to dev->msi_list, the allocation gives every "
        "descriptor a new irq (the enabled irqs leak with their vectors and actions), populate_msi_sysfs meets the "
        "first enable's 'msi_irqs' group (-EEXIST) and free_msi_irqs frees the whole list, while the flag stays set. "
        "5.2 (and every later tree read) returns -EINVAL at the flag test. The other kind's flag is -EINVAL in "
        "every release ('can't enable MSI-X (MSI IRQ already assigned)' / 'can't enable MSI (MSI-X already "
        "enabled)').",
        source=ENABLE_TWICE, module=M + ".msi",
        quote="4.19 __pci_enable_msix: WARN_ON(!!dev->msix_enabled); /* Check whether driver already requested for "
        "MSI irq */ if (dev->msi_enabled) { ... return -EINVAL; } return msix_capability_init(dev, entries, nvec, "
        "affd); -- 5.2 __pci_enable_msix_range: if (WARN_ON_ONCE(dev->msix_enabled)) return -EINVAL;")
reading("kernel.msi.free-vectors-flag-first",
        "pci_free_irq_vectors is pci_disable_msix then pci_disable_msi; each returns at once unless its flag "
        "(dev->msix_enabled / dev->msi_enabled) is set, and only then takes msi_lock_descs (5.17+) -- the test comes "
        "before the lock in every release read (5.17 tree; 4.13.19's pci_disable_msix has no lock at all). With "
        "neither flag set -- INTx, or another CPU's enable that has not set its flag yet (before c7ecb95ca6a8 the "
        "flag comes at the end of the set-up, from it at msix_capability_init's / msi_capability_init's start) -- it "
        "returns without waiting for that enable. A flag set while the lock is held (5.17+: the enable between "
        "its early flag and its unlock) makes it sleep on the mutex (kernel.msi.lock-descs-waits).",
        source=(FREE_VECTORS, Source(L, "v5.17", "drivers/pci/msi/msi.c", "pci_disable_msix / pci_disable_msi / "
                                     "pci_free_irq_vectors", "all")),
        quote="void pci_disable_msix(struct pci_dev *dev) { if (!pci_msi_enable || !dev || !dev->msix_enabled) "
        "return; msi_lock_descs(&dev->dev); pci_msix_shutdown(dev); free_msi_irqs(dev); msi_unlock_descs(&dev->dev); }",
        module=M + ".msi")
#: kernel32: the trees read for pci_free_irq_vectors, msi_capability_init, pci_intx_for_msi / pci_intx and handle_edge_irq
#: (each named by its Makefile; not cross-checked against a second import)
T4139 = "read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9"
T51524 = "read in yhuan416/linux-5.15.24 at 0ea83df2, whose Makefile is 5.15.24"
T517 = ("read in dunli/linux-5.17 at a5835cac, a 5.17-rc5 board port whose drivers/pci/msi/ is a 5.17.0 import's "
        "(audit24)")
T61219 = "read in wishday/linux-6.12.y at 21ae40e8, whose Makefile is 6.12.19"
FREE_BOTH = (Source(L, "v4.13.9", "drivers/pci/msi.c", "pci_free_irq_vectors / pci_disable_msix / pci_disable_msi / "
                    "pci_msix_shutdown / pci_msi_shutdown", f"4.10..5.16 ({T4139}; no lock)"),
             Source(L, "v5.15.24", "drivers/pci/msi.c", "pci_free_irq_vectors / pci_disable_msix / pci_disable_msi",
                    f"..5.16 ({T51524})"),
             Source(L, "v5.17", "drivers/pci/msi/msi.c", "pci_free_irq_vectors / pci_disable_msix / pci_disable_msi "
                    "(msi_lock_descs each)", f"5.17.. ({T517})"),
             Source(L, "v6.12.19", "drivers/pci/msi/api.c", "pci_free_irq_vectors / pci_disable_msix / "
                    "pci_disable_msi", f"6.2.. ({T61219})"))
reading("kernel.entry.edge-no-action",
        "handle_edge_irq tests 'irqd_irq_disabled(&desc->irq_data) || !desc->action' after irq_may_run, the same "
        "in every release read (4.13.9, 5.15.24, 6.12.19): an irq started without an action -- an enable_irq after "
        "free_irq re-starts it (__enable_irq's irq_startup; before 4.15 __irq_startup activates it again, so its "
        "message carries a vector) -- makes the edge IRQS_PENDING, mask_ack_irq masks and acks it, no action runs "
        "and kstat is not counted; a later request_irq's irq_startup (started: irq_enable) replays it through "
        "check_irq_resend. msidbg tested only the disabled half (ack, EOI, then an action-less 'handler' that "
        "counted the signal lost). The Xen pirq chip's handle_edge_irq takes the same test.",
        source=(Source(L, "v4.13.9", "kernel/irq/chip.c", "handle_edge_irq / __irq_startup (irq_domain_activate_irq)",
                       f"all ({T4139})"),
                Source(L, "v5.15.24", "kernel/irq/chip.c", "handle_edge_irq", f"all ({T51524})"),
                Source(L, "v6.12.19", "kernel/irq/chip.c", "handle_edge_irq / __irq_startup ('Warn if this "
                       "interrupt is not activated but try nevertheless')", f"4.15.. ({T61219})")),
        module=M + ".entry",
        quote="/* If its disabled or no action available then mask it and get out of here. */ if "
        "(irqd_irq_disabled(&desc->irq_data) || !desc->action) { desc->istate |= IRQS_PENDING; mask_ack_irq(desc); "
        "goto out_unlock; } kstat_incr_irqs_this_cpu(desc);")
reading("kernel.msi.free-vectors-both",
        "pci_free_irq_vectors calls pci_disable_msix and then pci_disable_msi in every release read (4.13.9, 5.15.24, "
        "5.17, 6.12.19); each tests its own flag and, from 5.17, takes and drops msi_lock_descs itself, so MSI's flag "
        "is tested only after pci_disable_msix has unlocked. msidbg called the one whose flag was set under one lock "
        "it held across both: the same events unless another CPU set msi_enabled meanwhile -- 5.17+'s "
        "msi_capability_init sets it early (c7ecb95ca6a8) and then sleeps on the mutex the free holds; the freeing "
        "task, still running, takes the mutex again before the woken waiter (a waiter asks for a handoff only after it "
        "woke and failed to take it), and shuts down an MSI without a descriptor (kernel.msi.shutdown-no-desc).",
        source=FREE_BOTH, module=M + ".msi",
        quote="void pci_free_irq_vectors(struct pci_dev *dev) { pci_disable_msix(dev); pci_disable_msi(dev); } ... "
        "void pci_disable_msi(struct pci_dev *dev) { if (!pci_msi_enable || !dev || !dev->msi_enabled) return; "
        "msi_lock_descs(&dev->dev); pci_msi_shutdown(dev); free_msi_irqs(dev); msi_unlock_descs(&dev->dev); }")
reading("kernel.msi.shutdown-no-desc",
        "From 5.17 pci_msi_shutdown clears MSI Enable, clears INTx Disable (pci_intx_for_msi(dev, 1)) and msi_enabled, "
        "then takes msi_first_desc(): with no descriptor -- msi_enabled was another CPU's early flag, its set-up "
        "asleep on the mutex before msi_setup_msi_desc -- WARN_ON_ONCE(!desc) fires and the next line dereferences "
        "NULL (desc->pci.msi_attrib.default_irq): the task oopses holding msi_lock_descs, and the sleeping enable "
        "never gets it. msidbg notes the WARN and the oops, ends pci_disable_msi with -EFAULT and keeps the mutex held.",
        source=(Source(L, "v5.17", "drivers/pci/msi/msi.c", "pci_msi_shutdown / msi_capability_init",
                       f"5.17.. ({T517})"),
                Source(L, "v6.12.19", "drivers/pci/msi/msi.c", "pci_msi_shutdown", f"6.2.. ({T61219})")),
        module=M + ".msi",
        quote="pci_msi_set_enable(dev, 0); pci_intx_for_msi(dev, 1); dev->msi_enabled = 0; ... desc = "
        "msi_first_desc(&dev->dev, MSI_DESC_ALL); if (!WARN_ON_ONCE(!desc)) pci_msi_unmask(desc, "
        "msi_multi_mask(desc)); /* Restore dev->irq to its default pin-assertion IRQ */ dev->irq = "
        "desc->pci.msi_attrib.default_irq;")
#: kernel37: dev->irq and pci_irq_vector in four trees
DEV_IRQ = (
    Source(L, "v4.13.9", "drivers/pci/msi.c, arch/x86/pci/common.c, drivers/pci/pci-driver.c",
           "msi_setup_entry (default_irq) / msi_capability_init ('dev->irq = entry->irq') / pci_msi_shutdown "
           "(BUG_ON(list_empty), 'dev->irq = desc->msi_attrib.default_irq') / pci_irq_vector; pcibios_enable_device "
           "(pcibios_enable_irq unless MSI is enabled); the weak, empty pcibios_free_irq",
           f"..5.16 ({T4139})"),
    Source(L, "v5.15.24", "drivers/pci/msi.c", "msi_setup_entry / msi_capability_init / pci_msi_shutdown / "
           "pci_irq_vector (MSI-X: entry_nr == nr)", f"..5.16 ({T51524})"),
    Source(L, "v5.17", "drivers/pci/msi/msi.c, kernel/irq/msi.c", "msi_setup_msi_desc (default_irq, then "
           "msi_add_msi_desc) / msi_capability_init / pci_msi_shutdown / pci_irq_vector; msi_get_virq",
           f"5.17.. ({T517})"),
    Source(L, "v6.12.19", "drivers/pci/msi/api.c, drivers/pci/msi/msi.c, kernel/irq/msi.c",
           "pci_irq_vector / msi_setup_msi_desc / msi_capability_init / pci_msi_shutdown; msi_domain_get_virq",
           f"6.2.. ({T61219})"),
)
reading("kernel.msi.dev-irq",
        "(kernel37) pci_dev->irq is the INTx irq pcibios_enable_device gave the function (pcibios_enable_irq: "
        "acpi_pci_irq_enable, the GSI's irq; 0 without a routed pin); in every release read msi_setup_entry / "
        "msi_setup_msi_desc save it as the descriptor's default_irq, msi_capability_init's last acts are "
        "'pcibios_free_irq(dev); dev->irq = entry->irq;' (x86's pcibios_free_irq is the weak empty one) and "
        "pci_msi_shutdown restores 'dev->irq = desc->msi_attrib.default_irq' from the first descriptor. MSI-X "
        "leaves dev->irq alone. msidbg had no dev->irq (kernel.pci.D.irq from revision 20).",
        source=DEV_IRQ, module=M + ".msi",
        quote="pci_intx_for_msi(dev, 0); pci_msi_set_enable(dev, 1); dev->msi_enabled = 1; pcibios_free_irq(dev); "
        "dev->irq = entry->irq; return 0; ... /* Restore dev->irq to its default pin-assertion irq */ dev->irq = "
        "desc->msi_attrib.default_irq;")
reading("kernel.msi.irq-vector",
        "(kernel37) pci_irq_vector(dev, nr): with neither MSI nor MSI-X enabled, nr 0 is dev->irq and any other nr "
        "-EINVAL in every release read -- so after pci_free_irq_vectors, or while another CPU's set-up has not set "
        "its flag, vector 0 is the function's INTx irq (a request_irq there joins the shared line; a function "
        "without a pin gets 0, which msidbg answers as no irq: irq 0 is the timer's). MSI-X: the nr-th descriptor "
        "(4.13.9; 5.15.24 entry_nr == nr; 5.17+ msi_get_virq's xarray). MSI before 82ff8e6b78fc: 'dev->irq + nr' "
        "after WARN_ON_ONCE(nr >= first entry's nvec_used); from it msi_get_virq (kernel.pci_irq_vector_msi). "
        "msidbg answered every vector from its descriptor list.",
        source=DEV_IRQ, module=M + ".irq",
        quote="if (dev->msi_enabled) { struct msi_desc *entry = first_pci_msi_entry(dev); if (WARN_ON_ONCE(nr >= "
        "entry->nvec_used)) return -EINVAL; } else { if (WARN_ON_ONCE(nr > 0)) return -EINVAL; } return dev->irq + "
        "nr; / 5.17: if (!dev->msi_enabled && !dev->msix_enabled) return !nr ? dev->irq : -EINVAL;")
reading("kernel.msi.shutdown-empty-bug",
        "(kernel37) Before 5.17 pci_msi_shutdown's first act after the flag test is 'BUG_ON(list_empty("
        "dev_to_msi_list(&dev->dev)))' (4.13.9, 5.15.24): a pci_disable_msi / pci_free_irq_vectors of a function "
        "whose msi_enabled outlived its descriptors (a failed second set-up's free_msi_irqs emptied the list, the "
        "flag stays: kernel.msi.enable-twice, kernel33) oopses there, Enable and INTx Disable untouched. msidbg "
        "ran 5.17's order (Enable off, INTx on, then the WARN and the NULL dereference).",
        source=DEV_IRQ[:2], module=M + ".msi",
        quote="if (!pci_msi_enable || !dev || !dev->msi_enabled) return; BUG_ON(list_empty(dev_to_msi_list("
        "&dev->dev))); desc = first_pci_msi_entry(dev); pci_msi_set_enable(dev, 0); pci_intx_for_msi(dev, 1);")
reading("kernel.msi.disable-during-setup",
        "msi_capability_init starts with pci_msi_set_enable(dev, 0) in every release read (4.13.9, 5.15.24, 5.17, "
        "6.12.19; from 6.2 after the multi-MSI early reject, which msidbg makes in __pci_enable_msi_range): read "
        "Message Control, clear Enable, write it -- unconditionally, one config write per set-up -- before the "
        "descriptor, the masks, the irqs and the message; from c7ecb95ca6a8 msi_enabled is set right after it and "
        "before msi_lock_descs. An Enable left set (firmware, a previous driver, a teardown that oopsed) is cleared "
        "there, so the final pci_msi_set_enable(dev, 1) is a 0 -> 1 transition. msidbg's set-up had no such write.",
        source=(Source(L, "v4.13.9", "drivers/pci/msi.c", "msi_capability_init / pci_msi_set_enable (pci.h)",
                       f"all ({T4139})"),
                Source(L, "v5.15.24", "drivers/pci/msi.c", "msi_capability_init / pci_msi_set_enable", f"all ({T51524})"),
                Source(L, "v5.17", "drivers/pci/msi/msi.c", "msi_capability_init", f"5.17.. ({T517})"),
                Source(L, "v6.12.19", "drivers/pci/msi/msi.c", "msi_capability_init / pci_msi_set_enable",
                       f"6.2.. ({T61219})")),
        module=M + ".msi",
        quote="pci_msi_set_enable(dev, 0); /* Disable MSI during set up */ ... (5.17:) /* Disable MSI during setup in "
        "the hardware, but mark it enabled so that setup code can evaluate it. */ pci_msi_set_enable(dev, 0); "
        "dev->msi_enabled = 1; ... msi_lock_descs(&dev->dev);")
FREE_MSI_BUG = Source(L, "v5.15", "drivers/pci/msi.c", "free_msi_irqs", "..5.16 (kernel.free_msi_busy: bug)")
FREE_MSI_NOCHECK = Source(L, "9fb9eb4b59ac", "drivers/pci/msi/msi.c, kernel/irq/msi.c",
                          "free_msi_irqs -> pci_msi_teardown_msi_irqs -> __msi_domain_free_irqs "
                          "(irq_domain_free_irqs)", "5.17.. (kernel.free_msi_busy: frees)")
reading("kernel.msi.free-busy",
        "free_msi_irqs() with an irq that still has an action (the driver did not free_irq it): up to 5.16 "
        "BUG_ON(irq_has_action()) -- the caller oopses with MSI already shut down and nothing freed (msidbg "
        "names the BUG, keeps the descriptors as the oops leaves them and ends the call with -EBUSY, a value "
        "the void caller never returns); from 9fb9eb4b59ac (5.17) nothing checks: the irqs are deactivated "
        "and freed with their actions attached (remove_proc_entry warns about the non-empty /proc/irq/N). "
        "On Xen routes the 5.17+ free (xen_free_irq under a bound event channel) is not modelled: msidbg "
        "stops the teardown there with a note.", source=(FREE_MSI_BUG, FREE_MSI_NOCHECK), module=M,
        quote="BUG_ON(irq_has_action(entry->irq + i)); / (9fb9eb4b59ac removes it:) static void "
        "free_msi_irqs(struct pci_dev *dev) { pci_msi_teardown_msi_irqs(dev); ... / if (irqd && "
        "irqd_is_activated(irqd)) irq_domain_deactivate_irq(irqd); } irq_domain_free_irqs(desc->irq, "
        "desc->nvec_used);")
SCHED_FALLBACK = Source(L, "v6.6", "kernel/sched/core.c",
                        "select_fallback_rq; balance_push -> __balance_push_cpu_stop (5.11..), migrate_tasks from "
                        "sched_cpu_dying before", "all")
SCHED_WAKE_FALLBACK = Source(L, "v6.6", "kernel/sched/core.c",
                             "try_to_wake_up -> select_task_rq (is_cpu_allowed: cpu_active for a user task; else "
                             "select_fallback_rq(task_cpu(p), p)); balance_push pushes the outgoing CPU's runnable "
                             "tasks only", "all (select_task_rq's fallback read in stored 4.x, 5.x and 6.x copies)")
reading("kernel.actions.offline-sleeper-fallback",
        "A task asleep (a driver's doorbell wait, a device_lock wait) when its CPU goes down is not runnable: "
        "balance_push (migrate_tasks before 5.11) leaves it with that CPU. Its wakeup (the interrupt, its "
        "timeout, the unlock) places it: try_to_wake_up -> select_task_rq finds its one allowed CPU inactive and "
        "select_fallback_rq picks the lowest active CPU (affinity widened, as for a running task pushed off), "
        "where it runs now if that CPU runs no action, else after the one it runs (the model's one task per "
        "CPU); woken after its CPU is back, it runs there. Once it is placed elsewhere the next task pinned to "
        "the CPU it left starts as it is due, as after a running task's push (waits20: it waited behind the "
        "task that had left, for ever). audit16: this replaces the model's rule that moved a "
        "sleeping doorbell wait at the offline only to an idle CPU and otherwise left it until the CPU came back "
        "(kernel.actions.offline-cpu-waits, refuted for these waits).",
        source=(SCHED_WAKE_FALLBACK, SCHED_FALLBACK), module=M,
        quote="/* In order not to call set_task_cpu() on a blocking task we need to rely on ttwu() to place the "
        "task on a valid ->cpus_ptr CPU. ... */ if (unlikely(!is_cpu_allowed(p, cpu))) cpu = "
        "select_fallback_rq(task_cpu(p), p);")
# kernel.actions.offline-cpu-waits (hypothetical: a task waiting for a QEMU ioreq stays with its offlined vCPU) is
# retired (xen31): audit16 replaced its sleeper part (kernel.actions.offline-sleeper-fallback) and xenred30's
# kernel.hotplug.stopper-ioreq makes multi_cpu_stop wait for QEMU's completion, so no task of the dying vCPU is
# still in an ioreq when take_cpu_down runs (an assertion swept over the 52 xen-hvm files with a cpu_offline
# found none).
reading("kernel.hotplug.migrate-running",
        "The task running on a CPU going offline is pushed off it (migrate_tasks before 5.11, balance_push "
        "from 5.11; both call select_fallback_rq): a task pinned to that CPU alone has no active allowed CPU, "
        "so its affinity is widened (cpuset fallback, else the possible mask) and it runs on the lowest "
        "active CPU, with 'process %d (%s) no longer affine to cpu%d' (user tasks, ratelimited). The model "
        "runs one task per CPU: a task moved to a CPU that runs another action continues after it.",
        source=SCHED_FALLBACK, module=M,
        quote="cpu = select_fallback_rq(rq->cpu, p); rq = __migrate_task(rq, &rf, p, cpu); ... /* Any allowed, "
        "online CPU? */ ... printk_deferred(\"process %d (%s) no longer affine to cpu%d\\n\", task_pid_nr(p), "
        "p->comm, cpu);")
IDT_EXCEPTIONS = Source(L, "00229a543001", "arch/x86/kernel/idt.c",
                        "def_idts (exception gates 0..31) / idt_setup_apic_and_irq_gates (device stubs from "
                        "FIRST_EXTERNAL_VECTOR)", "5.8.. (asm_exc_*; the same vectors before, under older names)")
MATH_ERROR = Source(L, "v6.6", "arch/x86/kernel/traps.c", "exc_coprocessor_error / exc_simd_coprocessor_error -> "
                    "math_error", "5.8..")
reading("kernel.entry.exception-vector",
        "A device message with a vector 16..31 is accepted by the local APIC (only 0..15 are illegal) and vectors "
        "through that IDT entry, which Linux sets to an exception handler (def_idts); the device interrupt stubs "
        "start at FIRST_EXTERNAL_VECTOR (0x20), below which the vector allocator never assigns. No irq handler runs "
        "and no EOI is written: the vector's ISR bit stays set. #MF and #XM from kernel mode go to math_error, "
        "which finds no exception fixup and calls die().", source=(IDT_EXCEPTIONS, MATH_ERROR), module=M,
        quote="INTG(X86_TRAP_MF, asm_exc_coprocessor_error), INTG(X86_TRAP_AC, asm_exc_alignment_check), "
        "INTG(X86_TRAP_XF, asm_exc_simd_coprocessor_error), ... for_each_clear_bit_from(i, system_vectors, "
        "FIRST_SYSTEM_VECTOR) { entry = irq_entries_start + 8 * (i - FIRST_EXTERNAL_VECTOR); ... if "
        "(!user_mode(regs)) { if (fixup_exception(regs, trapnr, 0, 0)) goto exit; ... die(str, regs, 0);")
reading("kernel.entry.exception-vector-effect",
        "What the other exception entries do with an external interrupt: the error-code entries (#AC, #CP, #VC) get "
        "no error code from the CPU for an external interrupt (SDM vol. 3A 6.13, not re-read here) and read the "
        "frame one word off; #MC runs do_machine_check with nothing logged; vectors absent from def_idts keep the "
        "gate idt_setup_early_handler installed at boot. The model names these and does not follow them further. "
        "audit16: searched again -- the stored SDM copies give 6.13's opening (the EXT bit: 'an event external to the "
        "program, such as a hardware interrupt, caused the exception') but cut the page before its sentence on "
        "external interrupts, and the 'Interrupts 32 to 255' entry says only 'Exception Error Code: Not applicable'; "
        "no passage for vectors 0..31 delivered by the local APIC was found, and the Linux halves were not re-read. "
        "Stays hypothetical. audit17: searched again -- an Intel 64 and IA-32 vol. 3A copy (5.3, INT n) says that when "
        "INT n names an exception vector 'the processor ... does not push an error code on the stack ... the "
        "handler will pop off and discard the EIP instead', the INT n case only; the stored IA-32 vol. 3A 5-21 "
        "(5.13, later 6.13) reaches the paragraph on external events ('Error codes are not pushed on the stack') and "
        "is cut there. The sentence on the INTR / local APIC case is still unread: stays hypothetical.",
        status="hypothetical", module=M)
# --- INTx (bare metal; docs/model-baremetal.md "INTx", kernel/intx.py) -----------------------------------
PCI_INTX = Source(L, "v6.6", "drivers/pci/pci.c", "pci_intx (read Command, flip PCI_COMMAND_INTX_DISABLE, write "
                  "only if it changed)", "all (the devres restore_intx of pcim-enabled devices and 6.11's pcim_intx "
                  "split are not modelled; read in a 2024 linux-pci quote and 6.12-era diffs, not at the tag)")
INTX_FOR_MSI = Source(L, "v6.6", "drivers/pci/msi/msi.c", "pci_intx_for_msi / msi_capability_init / "
                      "msix_capability_init / pci_msi_shutdown / pci_msix_shutdown", "all")
ALLOC_INTX = Source(L, "v6.6", "drivers/pci/msi/api.c", "pci_alloc_irq_vectors_affinity (flags & PCI_IRQ_LEGACY "
                    "in the 6.5 and 6.9.0 trees, flags & PCI_IRQ_INTX in 6.12.19: the same bit, 1 << 0; 6.9.0's "
                    "pci.h defines PCI_IRQ_INTX with PCI_IRQ_LEGACY its deprecated alias, 6.5's only "
                    "PCI_IRQ_LEGACY. min_vecs == 1 && dev->irq -> pci_intx(dev, 1), return 1)",
                    "4.10.. (drivers/pci/msi.c before 5.17; a 4.8-era backport reads the same)")
IOAPIC_LEVEL_CHIP = Source(L, "v6.6", "arch/x86/kernel/apic/io_apic.c",
                           "mp_irqdomain_alloc (level: handle_fasteoi_irq) / mp_irqdomain_activate -> "
                           "ioapic_configure_entry / mp_irqdomain_deactivate -> ioapic_mask_entry / "
                           "ioapic_set_affinity / mask_ioapic_irq / unmask_ioapic_irq", "4.2.. (hierarchical irqdomains; "
                           "mp_irqdomain_alloc read in a 4.2.8 tree, audit14)")
IOAPIC_ACK_LEVEL = Source(L, "v6.6", "arch/x86/kernel/apic/io_apic.c",
                          "ioapic_ack_level (irq_complete_move, ioapic_prepare_move, apic_eoi; eoi_ioapic_pin when "
                          "the vector's TMR bit is clear; ioapic_finish_move)",
                          "4.15.. (ioapic_irqd_mask / ioapic_irqd_unmask before 2579a4eefc04, 5.5)")
#: the move of a level IO-APIC irq, read in the stored copy 00f0f29495e5 of io_apic.c (a 4.19-era stable tree:
#: <linux/bootmem.h>, ioapic_irq_get_chip_state, and df4393424af3's masked tests under the old names)
IOAPIC_MOVE = Source(L, "00f0f29495e5", "arch/x86/kernel/apic/io_apic.c",
                     "ioapic_ack_level / ioapic_irqd_mask / ioapic_irqd_unmask / io_apic_level_ack_pending / "
                     "__eoi_ioapic_pin / ioapic_configure_entry / ioapic_set_affinity / ioapic_chip",
                     "4.15.. (IRQ_MOVE_PCNTXT only with remapping; audit22: from 6.14 -- 7d04319a05ab / f94a18249b7f, tip "
                     "irq/core of 2025-01-15, the 6.14 merge window -- ioapic_chip is IRQCHIP_MOVE_DEFERRED and the IR "
                     "chips are not, irq_can_move_pcntxt reading the chip flag: the same split)")
#: the ISA irqs' move off a dying CPU0 (``cpu0_hotplug``): the timer (irq 0, vector 0x30 on CPU0) is started, not
#: per CPU and affine to every CPU (irq_default_affinity), so fixup_irqs (before 4.13: its own loop, 'affinity
#: not a subset of cpu_online_mask') / irq_migrate_all_off_this_cpu -> migrate_one_irq (irq_needs_fixup: its
#: effective CPU is the dying one) hand it to ioapic_chip's .irq_set_affinity = ioapic_set_affinity ->
#: irq_chip_set_affinity_parent -> apic_set_affinity (the vector domain: a new vector on an online CPU, as a
#: device irq gets) -> ioapic_configure_entry (the routing entry, whose contents the model does not keep for
#: the ISA pins). Before 4.15 every ISA irq has its CPU0 vector (init_legacy_irqs; x86_vector_alloc_irqs takes
#: legacy_irq_data[virq]), but only one with an action (fixup_irqs, v4.9) or started (migrate_one_irq, 4.13..)
#: moves: the timer, the one the modelled machine requests (kernleads; retrig had all 15 requested).
ISA_MIGRATE = (Source(L, "v4.9", "arch/x86/kernel/irq.c", "fixup_irqs (irq_has_action, !irqd_is_per_cpu, "
                      "!cpumask_subset(affinity, cpu_online_mask) -> chip->irq_set_affinity(data, affinity, true))",
                      "..4.12 (hotplug_migration: x86)"),
               Source(L, "v6.6", "arch/x86/kernel/apic/io_apic.c", "ioapic_chip (.irq_set_affinity = "
                      "ioapic_set_affinity: irq_chip_set_affinity_parent, then ioapic_configure_entry)", "all"),
               Source(L, "v4.14", "kernel/irq/cpuhotplug.c", "migrate_one_irq ('No move required, if: ... Interrupt "
                      "is not started': !irqd_is_started(d))", "4.13.."),
               Source(L, "v4.14", "arch/x86/kernel/apic/vector.c", "init_legacy_irqs (cfg.vector = ISA_IRQ_VECTOR(i)) / "
                      "x86_vector_alloc_irqs (legacy_irq_data[virq + i]: the ISA vector kept when the IO-APIC takes "
                      "the pin, requested or not)", "..4.14 (vector_allocator: legacy)"))
IOAPIC_MOVE_MASKED = Source(L, "df4393424af3", "arch/x86/kernel/apic/io_apic.c",
                            "ioapic_irqd_mask / ioapic_irqd_unmask ('x86/ioapic: Prevent inconsistent state when "
                            "moving an interrupt')", "5.5.., 5.4.7.., 4.19.92.., 4.14.161.., 4.9.208.., 4.4.208.. "
                            "(ioapic_move_keeps_masked)")
FASTEOI = Source(L, "v6.6", "kernel/irq/chip.c", "handle_fasteoi_irq / cond_unmask_eoi_irq",
                 "all (the IRQS_PENDING resend when in progress elsewhere is for chips that ask for it: not x86)")
NOTE_INTERRUPT = (Source(L, "08c51f5bddc8", "kernel/irq/spurious.c", "note_interrupt / __report_bad_irq",
                         "all (the window from the first unhandled interrupt: 5.13.., note_interrupt_counts)"),
                  Source(L, "7c07012eb1be", "kernel/irq/spurious.c", "note_interrupt (irq_count counted only once "
                         "irqs_unhandled is set; read in the commit's tip-bot2 diff)",
                         "5.13.. (note_interrupt_counts: unhandled); before: every interrupt counted"))
TIMERS_DEAD = Source(L, "v6.6", "kernel/time/timer.c", "timers_dead_cpu / migrate_timer_list", "all")
SPURIOUS_POLL = Source(L, "08c51f5bddc8", "kernel/irq/spurious.c",
                       "poll_spurious_irqs / try_one_irq (force; desc->lock first: guard(raw_spinlock) here, "
                       "raw_spin_lock(&desc->lock) in the 2.6.39-era copy 009b4c3b8ad5)", "all")
#: irqfixup / irqpoll (kernleads): read in the stored spurious.c 08c51f5bddc8 (2025) and a 2.6.39-era copy
#: (009b4c3b8ad5); irq_wait_for_poll in a 4.x-era copy (irqd_irq_inprogress) and irq_may_run / irq_check_poll in
#: 6.x-era chip.c copies (handle_fasteoi_irq's irqd_needs_resend_when_in_progress: 6.6); tglx's 2025 rework
#: ('genirq: Move irq_wait_for_poll() to call site', irq_wait_on_inprogress) keeps the behaviour
#: (4.x-era copies -- irq_desc_get_irq, irq_settings_is_polled, SPURIOUS_DEFERRED -- have the same misrouted_irq
#: and try_one_irq; a 3.0-era copy differs: 'atomic_inc_return(&irq_poll_active) == 1' (inverted: misrouted_irq
#: polled only when another poll ran) and '|| !action->next' (a single-action shared irq not polled): not modelled)
MISROUTED = (Source(L, "08c51f5bddc8", "kernel/irq/spurious.c",
                    "irqfixup_setup / irqpoll_setup / try_misrouted_irq / misrouted_irq (irq_poll_active, irq_poll_cpu) "
                    "/ try_one_irq (force false: disabled irqs left; IRQF_SHARED, not __IRQF_TIMER; "
                    "IRQS_POLL_INPROGRESS) / note_interrupt ('desc->irqs_unhandled -= ok')", "all (a boot option)"),
             Source(L, "v6.6", "kernel/irq/chip.c + kernel/irq/spurious.c",
                    "irq_may_run -> irq_check_poll (IRQS_POLL_INPROGRESS) -> irq_wait_for_poll (desc->lock dropped, "
                    "spin while IRQD_IRQ_INPROGRESS; 'Might have been disabled in meantime': !disabled && action)",
                    "3.18.. (irq_may_run); read in stored 4.x / 6.x-era copies, not at the tags"))
SETUP_SHARED = Source(L, "v6.6", "kernel/irq/manage.c",
                      "__setup_irq (a shared action appended, no startup; irq_count / irqs_unhandled reset; "
                      "IRQS_SPURIOUS_DISABLED -> __enable_irq)", "all")
RESEND_LEVEL = Source(L, "v6.6", "kernel/irq/resend.c", "check_irq_resend (irq_settings_is_level: IRQS_PENDING "
                      "cleared, -EINVAL)", "all")
reading("kernel.intx",
        "A driver whose pci_alloc_irq_vectors allows PCI_IRQ_INTX (mode: intx, or all = PCI_IRQ_ALL_TYPES) and got "
        "no MSI-X or MSI vector falls back to the pin when min_vecs is 1 and the function has one (dev->irq: "
        "intx:): pci_intx(dev, 1) clears Command.Interrupt Disable, and vector 0 is the GSI's irq.",
        source=(ALLOC_INTX, PCI_INTX), module=M + ".intx",
        quote="if (flags & PCI_IRQ_LEGACY) { if (min_vecs == 1 && dev->irq) { /* Invoke the affinity spreading logic "
        "... */ if (affd) irq_create_affinity_masks(1, affd); pci_intx(dev, 1); return 1; } } (6.12.19: if (flags "
        "& PCI_IRQ_INTX), the same bit)")
reading("kernel.intx.for-msi",
        "Enabling MSI or MSI-X sets Command.Interrupt Disable (pci_intx_for_msi(dev, 0) before MSI Enable, before "
        "MSI-X's Function Mask is cleared); shutting it down clears it again (pci_intx_for_msi(dev, 1) after the "
        "Enable bit is cleared). pci_intx reads Command and writes only when the bit changes. Every function, pin "
        "or not: neither pci_intx_for_msi nor pci_intx looks at dev->irq or Interrupt Pin (kernel32 read 4.13.9, "
        "5.15.24, 6.12.19; intx36 made the write for a function without intx:, which the model had left out). "
        "The only skip is PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG (quirk_msi_intx_disable_bug for Broadcom tg3 parts "
        "and ATI SB600/SB700/SB800 functions, alx's ALX_DEV_QUIRK_MSI_INTX_DISABLE_BUG), present in all three "
        "trees; no modelled device or preset carries it, so it is not modelled.",
        source=(INTX_FOR_MSI, PCI_INTX,
                Source(L, "v4.13.9", "drivers/pci/msi.c + drivers/pci/pci.c", "pci_intx_for_msi / pci_intx",
                       f"all ({T4139})"),
                Source(L, "v5.15.24", "drivers/pci/msi.c + drivers/pci/pci.c", "pci_intx_for_msi / pci_intx",
                       f"all ({T51524})"),
                Source(L, "v6.12.19", "drivers/pci/msi/msi.c + drivers/pci/pci.c + drivers/pci/quirks.c",
                       "pci_intx_for_msi / pci_intx (the devres restore split out: 'if (new == pci_command) "
                       "return;') / quirk_msi_intx_disable_bug", f"6.12.. ({T61219})")),
        module=M + ".intx",
        quote="static void pci_intx_for_msi(struct pci_dev *dev, int enable) { if (!(dev->dev_flags & "
        "PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG)) pci_intx(dev, enable); } ... if (enable) new = pci_command & "
        "~PCI_COMMAND_INTX_DISABLE; else new = pci_command | PCI_COMMAND_INTX_DISABLE; if (new != pci_command) "
        "{ ... pci_write_config_word(pdev, PCI_COMMAND, new);")
reading("kernel.intx.fasteoi",
        "A level IO-APIC irq runs handle_fasteoi_irq: disabled or without an action it is marked IRQS_PENDING, "
        "its entry masked, and EOId; otherwise every action's handler runs (a shared line), note_interrupt counts "
        "the result and the chip's irq_eoi (ioapic_ack_level: the local APIC EOI, broadcast to the IO-APIC for a "
        "level vector; eoi_ioapic_pin when the TMR bit is clear) ends Remote IRR.",
        source=(FASTEOI, IOAPIC_ACK_LEVEL, IOAPIC_LEVEL_CHIP), module=M + ".intx",
        quote="if (unlikely(!desc->action || irqd_irq_disabled(&desc->irq_data))) { desc->istate |= IRQS_PENDING; "
        "mask_irq(desc); goto out; } ... handle_irq_event(desc); cond_unmask_eoi_irq(desc, chip); ... out: if "
        "(!(chip->flags & IRQCHIP_EOI_IF_HANDLED)) chip->irq_eoi(&desc->irq_data);")
E1000_INTR = Source(L, "010e85f9e47c", "drivers/net/ethernet/intel/e1000/e1000_main.c", "e1000_intr (the INTx "
                    "handler of a PCI e1000: ICR is read-to-clear)", "all")
reading("kernel.intx.handler",
        "A PCI INTx driver's handler reads its device's interrupt status: set, it clears the cause (the function "
        "deasserts INTx#) and returns IRQ_HANDLED; clear, IRQ_NONE -- the shared-line contract. The model's "
        "handler is that read and ack as one step (the device-specific registers are not modelled; "
        "Status.Interrupt Status stands for them). audit15: e1000's e1000_intr is that handler -- one read of ICR, "
        "which clears the causes (the driver's comment: 'the above read cleared it'), IRQ_NONE when it was 0, else "
        "IRQ_HANDLED.", source=(E1000_INTR,), module=M + ".intx",
        quote="u32 icr = er32(ICR); if (unlikely((!icr))) return IRQ_NONE; /* Not our interrupt */ /* we might have "
        "caused the interrupt, but the above read cleared it, and just in case the driver is down there is nothing "
        "to do so return handled */ ... return IRQ_HANDLED;")
reading("kernel.intx.shared",
        "Every modelled INTx driver requests its irq IRQF_SHARED (pci_request_irq always does): a second device on "
        "the GSI adds its action without a new startup; __setup_irq resets the spurious counters and re-enables an "
        "irq note_interrupt disabled; free_irq shuts the irq down only with its last action.",
        source=SETUP_SHARED, module=M + ".intx",
        quote="/* Reset broken irq detection when installing new handler */ desc->irq_count = 0; "
        "desc->irqs_unhandled = 0; ... if (shared && (desc->istate & IRQS_SPURIOUS_DISABLED)) { desc->istate &= "
        "~IRQS_SPURIOUS_DISABLED; __enable_irq(desc); }")
reading("kernel.intx.nobody-cared",
        "note_interrupt: an unhandled interrupt more than HZ/10 after the last one restarts irqs_unhandled at 1; "
        "every 100,000 counted interrupts (counted from the first unhandled one: 7c07012eb1be), more than 99,900 "
        "unhandled prints 'irq N: nobody cared', 'Disabling IRQ #N', "
        "sets IRQS_SPURIOUS_DISABLED, depth++, irq_disable (lazy on the IO-APIC chip: the next interrupt masks the "
        "entry) and arms the poll timer. HZ=250 (Kconfig default): HZ/10 is 25 jiffies, 100 ms.",
        source=NOTE_INTERRUPT, module=M + ".intx",
        quote="if (likely(desc->irq_count < 100000)) return; desc->irq_count = 0; if (unlikely(desc->irqs_unhandled > "
        "99900)) { /* The interrupt is stuck */ ... desc->istate |= IRQS_SPURIOUS_DISABLED; desc->depth++; "
        "irq_disable(desc); mod_timer(&poll_spurious_irq_timer, jiffies + POLL_SPURIOUS_IRQ_INTERVAL); }")
reading("kernel.intx.irq-count-window",
        "Before 7c07012eb1be ('genirq: Reduce irqdebug cacheline bouncing', Nicholas Piggin; tip irq/core "
        "2021-04-10, in the torvalds/linux master push of 2021-04-26 that merged irq-core-2021-04-26 after v5.12: "
        "5.13) note_interrupt counted every interrupt of the irq in irq_count, handled or not, so the "
        "100,000-interrupt window fell where it fell: a line that starts screaming after N counted interrupts "
        "reaches the window's end after 100,000 - N, and with 99,900 or fewer unhandled in it is judged a window "
        "later. Modelled as kernel.note_interrupt_counts (every before 5.13, unhandled from it; audit13).",
        source=NOTE_INTERRUPT[1], module=M + ".intx",
        quote="+\tif (likely(!desc->irqs_unhandled)) +\t\treturn; + +\t/* Now getting into unhandled irq detection "
        "*/ \tdesc->irq_count++; \tif (likely(desc->irq_count < 100000)) \t\treturn;")
reading("kernel.intx.poll",
        "While an irq is IRQS_SPURIOUS_DISABLED, poll_spurious_irqs runs every HZ/10 (100 ms) and, for a shared irq "
        "whose action is not running elsewhere, runs every handler once (try_one_irq(desc, true)): a device on "
        "the disabled line is serviced at that rate, not lost.",
        source=SPURIOUS_POLL, module=M + ".intx",
        quote="if (!(state & IRQS_SPURIOUS_DISABLED)) continue; local_irq_disable(); try_one_irq(desc, true); "
        "local_irq_enable(); ... mod_timer(&poll_spurious_irq_timer, jiffies + POLL_SPURIOUS_IRQ_INTERVAL);")
SPURIOUS_REARM = Source(L, "009b4c3b8ad5", "kernel/irq/spurious.c", "poll_spurious_irqs (mod_timer at its out: "
                        "label, whatever it found)", "all")
reading("kernel.intx.misrouted",
        "With the irqfixup or irqpoll boot option (kernel.irqfixup) every unhandled interrupt's note_interrupt runs "
        "misrouted_irq: unless another poll runs (irq_poll_active), every enabled shared irq but 0 and this one has "
        "its handlers run (try_one_irq(desc, false), IRQS_POLL_INPROGRESS), and one that handled something takes "
        "one off this irq's irqs_unhandled. A flow handler of a polled irq on another CPU waits for the poll "
        "(irq_wait_for_poll), then runs its actions: they find the cause the poll cleared and return IRQ_NONE.",
        source=MISROUTED, module=M + ".intx",
        quote="if (unlikely(try_misrouted_irq(irq, desc, action_ret))) { int ok = misrouted_irq(irq); if "
        "(action_ret == IRQ_NONE) desc->irqs_unhandled -= ok; }")
reading("kernel.hotplug.timers-dead-cpu",
        "When a CPU is dead, the control CPU's CPUHP_TIMERS_PREPARE teardown (timers_dead_cpu) moves every timer "
        "still pending on the dead CPU's timer bases to its own, expiry unchanged: a poll_spurious_irq_timer "
        "armed on a CPU that went offline fires on the CPU that took it down.",
        source=TIMERS_DEAD, module=M,
        quote="int timers_dead_cpu(unsigned int cpu) { ... old_base = per_cpu_ptr(&timer_bases[b], cpu); "
        "new_base = get_cpu_ptr(&timer_bases[b]); ... for (i = 0; i < WHEEL_SIZE; i++) "
        "migrate_timer_list(new_base, old_base->vectors + i);")
reading("kernel.intx.poll-bound",
        "The poll timer re-arms for ever; the model stops re-arming it when nothing else is on the agenda (no later "
        "poll could find a condition: only a device signal makes one); leads23: a CPU's next poll of a spin wait "
        "does not count when the poll handled nothing (a spin only reads, and such a poll changed nothing it reads), "
        "so a spin nothing else can end ends the run (kernel.spin-forever); spoll25: under jitter too (the spin's "
        "mark names its next poll's jittered time, where it named the nominal one and the timer re-armed beside "
        "the spin for ever). The timer softirq runs on the CPU that "
        "armed it once that CPU is out of hardirq with interrupts on. audit15: the first sentence is the source's "
        "(poll_spurious_irqs re-arms unconditionally); the stop is the model's termination rule, so the reading "
        "stays hypothetical. kernel32 read why the stop loses nothing (kernel.intx.poll-idempotent): with nothing "
        "else scheduled no condition can arise, and a poll changes only what its handlers clear and IRQS_PENDING, "
        "so every poll after the last one msidbg runs finds the same world and changes nothing in it.",
        status="hypothetical", source=(SPURIOUS_REARM, SPURIOUS_POLL),
        quote="out: atomic_dec(&irq_poll_active); mod_timer(&poll_spurious_irq_timer, jiffies + "
        "POLL_SPURIOUS_IRQ_INTERVAL); }", module=M + ".intx")
reading("kernel.intx.poll-idempotent",
        "A poll changes nothing but what the handlers it runs clear: try_one_irq goes out for a per-CPU, nested-thread "
        "or polled irq, one without a shared action, or one in progress elsewhere (IRQS_PENDING only), and otherwise "
        "runs handle_irq_event under IRQS_POLL_INPROGRESS -- which clears IRQS_PENDING, runs every action, and whose "
        "note_interrupt returns at once for such a poll (no irqs_unhandled, no irq_count, no kstat: the flow "
        "handler counts those) -- and poll_spurious_irqs re-arms the timer. The same in 4.13.9, 5.15.24 and 6.12.19. "
        "So once a poll has run with nothing else scheduled (no device signal, no task, no timer), every later poll "
        "finds each handler's condition clear and returns IRQ_NONE: the world is a fixed point of the polls, and "
        "msidbg's stop (kernel.intx.poll-bound) ends the run at a state the kernel keeps for ever (tests/test_kernel32: "
        "16 more polls leave every outcome of intx-nobody-cared as it was).",
        source=(Source(L, "v4.13.9", "kernel/irq/spurious.c", "poll_spurious_irqs / try_one_irq / note_interrupt",
                       f"all ({T4139})"),
                Source(L, "v5.15.24", "kernel/irq/spurious.c", "poll_spurious_irqs / try_one_irq / note_interrupt",
                       f"all ({T51524})"),
                Source(L, "v6.12.19", "kernel/irq/spurious.c + kernel/irq/handle.c", "poll_spurious_irqs / try_one_irq "
                       "/ note_interrupt / handle_irq_event_percpu", f"all ({T61219})")),
        module=M + ".intx",
        quote="desc->istate |= IRQS_POLL_INPROGRESS; do { if (handle_irq_event(desc) == IRQ_HANDLED) ret = IRQ_HANDLED; "
        "... } while ((desc->istate & IRQS_PENDING) && action); ... void note_interrupt(struct irq_desc *desc, "
        "irqreturn_t action_ret) { ... if (desc->istate & IRQS_POLL_INPROGRESS || irq_settings_is_polled(desc)) "
        "return;")
SOFTLOCKUP = Source(L, "v6.6", "kernel/watchdog.c", "watchdog_timer_fn (is_softlockup: 'BUG: soft lockup - "
                    "CPU#%d stuck for %us!'; the stuck task goes on spinning)", "all")
QSPINLOCK = Source(L, "v6.6", "kernel/locking/qspinlock.c + kernel/irq/handle.c",
                   "queued_spin_lock_slowpath (pending bit, MCS queue; the fast path takes only an all-zero lock word) "
                   "/ handle_irq_event (desc->lock dropped around handle_irq_event_percpu)", "all (x86 qspinlock: 4.2..)")
reading("kernel.lock.desc-lock-queued",
        "desc->lock is a raw spinlock, a queued spinlock on x86: a CPU that finds it held sets the pending bit or "
        "joins the MCS queue, and the lock goes to the first waiter when it is released -- a later locker (or the "
        "releaser taking it back) finds the word non-zero and queues behind. handle_irq_event drops desc->lock for "
        "every action. So a task's free_irq / irq_set_affinity / disable_irq waiting while handle_edge_irq loops on "
        "two CPUs (an edge on the new CPU every iteration) gets the lock at the next release, not when the storm "
        "ends. The model keeps its polled lock and records every locker that found it held, in the order they came "
        "(irq descriptor lock_wait: tasks, and from lockq23 the flow handlers -- handle_edge_irq of MSI and of Xen "
        "pirqs, handle_fasteoi_irq of the IO-APIC and of Xen PV GSI pirqs, before irq_may_run and again after the "
        "actions -- plus the CPUs a free_irq finds already in the flow handler: raw_spin_lock(&desc->lock) is the "
        "first statement of handle_edge_irq and handle_fasteoi_irq, kernel/irq/chip.c); the lock goes to the first "
        "waiter and every flow handler takes it at once only when no one waits (entry.lock_word_clear, through "
        "entry.flow_fast on the edge acks). A CPU that holds the lock already is no waiter: irq_enable runs under "
        "the lock enable_irq's irq_get_desc_buslock took (kernel/irq/manage.c) and does not take it again "
        "(redteam21, lockq23, lockq25).",
        source=QSPINLOCK, quote="uncontended  (0,0,0) -:--> (0,0,1) ... pending (0,1,1) +--> (0,1,0) ... "
        "raw_spin_unlock(&desc->lock); ret = handle_irq_event_percpu(desc); raw_spin_lock(&desc->lock);",
        module=M + ".entry")
IRQSAVE_SPIN = Source(L, "0923fd0419a1", "include/linux/spinlock_api_smp.h + include/linux/spinlock.h + "
                      "include/asm-generic/qspinlock.h + arch/x86/Kconfig",
                      "__raw_spin_lock_irqsave (local_irq_save; preempt_disable; then do_raw_spin_lock_flags -> "
                      "arch_spin_lock_flags = queued_spin_lock, or LOCK_CONTENDED -> do_raw_spin_lock)",
                      "all (read in the 4.13.9 and 4.16.13 trees and a current torvalds copy; x86 selects no "
                      "GENERIC_LOCKBREAK, the config whose kernel/locking/spinlock.c loop re-enables interrupts "
                      "between trylocks)")
reading("kernel.lock.irqsave-spin",
        "A task that takes desc->lock -- irq_get_desc_buslock / irq_get_desc_lock (disable_irq, enable_irq, "
        "__irq_set_affinity, __free_irq, __setup_irq; all raw_spin_lock_irqsave: desc->lock is taken in hardirq, "
        "so every process-context locker disables interrupts) and poll_spurious_irqs' local_irq_disable around "
        "try_one_irq -- disables interrupts before it spins: __raw_spin_lock_irqsave runs local_irq_save and "
        "preempt_disable, then waits in the queued spinlock (do_raw_spin_lock_flags -> arch_spin_lock_flags, "
        "which on x86 is queued_spin_lock and ignores the flags: 4.13, and from 4.15 the generic fallback "
        "arch_spin_lock; the flags argument was dropped later and LOCK_CONTENDED spins with the same interrupts "
        "off). Only CONFIG_GENERIC_LOCKBREAK (without DEBUG_LOCK_ALLOC) builds kernel/locking/spinlock.c's loop "
        "that restores the flags between trylocks, and x86 does not select it. So an interrupt for a CPU whose "
        "task waits for desc->lock stays in its IRR until the task takes the lock and its section restores the "
        "flags (irqoff25: the model's task polled with interrupts on).",
        source=IRQSAVE_SPIN, quote="local_irq_save(flags); preempt_disable(); spin_acquire(&lock->dep_map, 0, 0, "
        "_RET_IP_); LOCK_CONTENDED(lock, do_raw_spin_trylock, do_raw_spin_lock); / #define "
        "arch_spin_lock_flags(l, f) queued_spin_lock(l)", module=M + ".entry")
FREE_IRQ_LOCK = Source(L, "v6.6", "kernel/irq/manage.c + kernel/irq/chip.c",
                       "__free_irq (raw_spin_lock_irqsave before the action's removal, raw_spin_unlock_irqrestore after "
                       "irq_shutdown; raw_spin_lock_irqsave again around irq_domain_deactivate_irq after the wait) / "
                       "__synchronize_hardirq (raw_spin_lock_irqsave to double-check IRQD_IRQ_INPROGRESS) / "
                       "handle_fasteoi_irq ('goto out': chip->irq_eoi, then raw_spin_unlock)",
                       "all (the second section from 4001d8e8762f, 5.3 / 4.19.60 / 5.1.19 / 5.2.2: before, irq_shutdown "
                       "deactivates inside the first; the double-check under the lock in every release the model covers)")
reading("kernel.lock.free-irq-sections",
        "desc->lock is held where the kernel holds it, and every taker queues (kernel.lock.desc-lock-queued). "
        "__free_irq holds it from the action's removal through irq_shutdown (the chip's mask, or with "
        "free_irq_deactivate: shutdown the deactivation too) to the raw_spin_unlock_irqrestore before synchronize_irq, "
        "so a flow handler or a task that comes meanwhile spins behind it and then finds the irq shut down; "
        "__synchronize_hardirq takes the lock to double-check IRQD_IRQ_INPROGRESS (and the chip state), so it waits "
        "for a flow handler queued before it, which parks its edge first; from 4001d8e8762f irq_domain_deactivate_irq "
        "runs under the lock again, queued behind a flow handler or an irq_set_affinity that came first (the model "
        "took it without queueing, and free_irq never marked the lock held). handle_fasteoi_irq's 'goto out' (irq_may_run "
        "false: in progress elsewhere, or irq_wait_for_poll finding the irq disabled) keeps the lock to its "
        "chip->irq_eoi and unlock (the model dropped it between the two steps) (locks26).",
        source=FREE_IRQ_LOCK, quote="raw_spin_unlock_irqrestore(&desc->lock, flags); chip_bus_sync_unlock(desc); ... "
        "/* Ok, that indicated we're done: double-check carefully. */ raw_spin_lock_irqsave(&desc->lock, flags); "
        "... raw_spin_lock_irqsave(&desc->lock, flags); irq_domain_deactivate_irq(&desc->irq_data); "
        "raw_spin_unlock_irqrestore(&desc->lock, flags);", module=M + ".irq")
#: audit23: the sti form is ab234a260b1f's (tip x86/paravirt, tags/x86_paravirt_for_v5.12); before it
#: native_restore_fl's 'push %0 ; popf' (xen_restore_fl on PV) restored IF the same way
IRQ_RESTORE = Source(L, "v6.6", "arch/x86/include/asm/irqflags.h",
                     "arch_local_irq_restore (arch_local_irq_enable when the saved flags have IF: native_irq_enable, sti)",
                     "5.12.. (ab234a260b1f; before it popf of the saved flags -- native_restore_fl, xen_restore_fl on "
                     "PV -- turns IF on the same way: all)")
reading("kernel.lock.irqrestore-takes-pending",
        "raw_spin_unlock_irqrestore / local_irq_restore with IF in the saved flags is sti on x86 (popf of the saved "
        "flags before ab234a260b1f, 5.12; audit23): an interrupt pending "
        "in the local APIC's IRR (or, on xen-pv, the vCPU's pending upcall) is taken right after it, before the "
        "task's next statement. The model's restore is often a step without an event, and the task ran on through "
        "its next steps to its next event (free_irq: from the unlock before synchronize_irq through the whole "
        "irq_domain_deactivate_irq section) before the CPU took the interrupt; now a task step that turns interrupts "
        "back on with one acceptable takes it in the same step (locks26).",
        source=IRQ_RESTORE, quote="static __always_inline void arch_local_irq_restore(unsigned long flags) { if "
        "(!arch_irqs_disabled_flags(flags)) arch_local_irq_enable(); }", module="msidbg.model.cpu")
TRY_ONE_LOCK = Source(L, "009b4c3b8ad5", "kernel/irq/spurious.c + kernel/irq/handle.c",
                      "try_one_irq (raw_spin_lock(&desc->lock) before every test; IRQS_PENDING and 'goto out' -> "
                      "raw_spin_unlock for an irq in progress elsewhere) / handle_irq_event (raw_spin_unlock for the "
                      "actions)", "all (the lock first and the 'out' unlock in the 3.0-era copy and in v6.6)")
reading("kernel.lock.try-one-irq-held",
        "try_one_irq (misrouted_irq under irqfixup / irqpoll, poll_spurious_irqs) takes desc->lock before it tests "
        "anything -- the disabled irq without force, the missing or unshared action, an action in progress on "
        "another CPU -- and holds it to its 'out' unlock, or to handle_irq_event's unlock before the actions. So a "
        "locker on another CPU (a task's disable_irq / enable_irq / irq_set_affinity, a flow handler) spins behind "
        "the poll's IRQS_PENDING 'goto out', and the poll spins for a lock held elsewhere even for an irq it then "
        "leaves (kernel.lock.try-one-irq read the same; locks27: the model tested first and never marked the lock held; ``entry.lock_site`` "
        "\"try_one_irq\").", source=TRY_ONE_LOCK,
        quote="raw_spin_lock(&desc->lock); ... /* Already running on another processor */ if (desc->istate & "
        "IRQS_INPROGRESS) { ... desc->status |= IRQ_PENDING; goto out; } ... out: raw_spin_unlock(&desc->lock);",
        module=M + ".intx")
SYNC_CHIP_LOCK = Source(L, "006ae1970a8c", "kernel/irq/manage.c",
                        "__synchronize_hardirq (sync_chip: __irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE) between "
                        "raw_spin_lock_irqsave and raw_spin_unlock_irqrestore of desc->lock)",
                        "5.3.., 5.2.2.., 5.1.19.., 4.19.60.. (sync_irq_chip_state: 62e0468650c3 gave __synchronize_hardirq "
                        "its sync_chip argument; audit22: this said 4.17..; read in a stored torvalds copy, the "
                        "function unchanged through v6.6)")
reading("kernel.lock.sync-chip-under-lock",
        "synchronize_irq's __synchronize_hardirq(desc, true) reads the chip's IRQCHIP_STATE_ACTIVE (the IO-APIC's "
        "Remote IRR) after taking desc->lock for its 'double-check carefully', not before: each pass of its loop "
        "waits for a holder (an enable_irq across irq_startup, a flow handler's EOI) and queues for the lock like "
        "any locker, then unlocks and loops while the chip reports the interrupt in flight (locks27: the model read "
        "the chip state first and took the lock only when it was clear).", source=SYNC_CHIP_LOCK,
        quote="raw_spin_lock_irqsave(&desc->lock, flags); inprogress = irqd_irq_inprogress(&desc->irq_data); ... if "
        "(!inprogress && sync_chip) { ... __irq_get_irqchip_state(irqd, IRQCHIP_STATE_ACTIVE, &inprogress); } "
        "raw_spin_unlock_irqrestore(&desc->lock, flags);", module=M + ".irq")
reading("kernel.lock.sync-double-check-held",
        "__synchronize_hardirq's 'double-check carefully' holds desc->lock from its raw_spin_lock_irqsave through the "
        "IRQD_IRQ_INPROGRESS read and the chip-state query to its raw_spin_unlock_irqrestore: one acquisition per pass "
        "of its loop. A synchronize_irq that queued for that lock reads both under the lock it got and unlocks; a locker "
        "that came while it waited (another task's disable_irq double-check, a flow handler) waits for that unlock. The "
        "model took the lock at the end of such a wait, let it go at once, and came for it a second time as a new locker "
        "-- queued behind whoever had queued meanwhile; when two tasks did so on one irq (free_irq and disable_irq started "
        "together), each waited for the other and the run never ended (redteam30; tests/heldout30 w43).",
        source=(FREE_IRQ_LOCK, SYNC_CHIP_LOCK),
        quote="/* Ok, that indicated we're done: double-check carefully. */ raw_spin_lock_irqsave(&desc->lock, flags); "
        "inprogress = irqd_irq_inprogress(&desc->irq_data); ... raw_spin_unlock_irqrestore(&desc->lock, flags); /* Oops, "
        "that failed? */ } while (inprogress); (audit26: so in 4.13.9 .. 6.12.19; the quote had a comment no tree has)",
        module=M + ".irq")
SPOLL_IRQS_ON = Source(L, "v6.6", "kernel/time/timer.c + kernel/softirq.c",
                       "run_local_timers ('Called by the local, per-CPU timer interrupt': raises TIMER_SOFTIRQ) / "
                       "__irq_exit_rcu ('if (!in_interrupt() && local_softirq_pending()) invoke_softirq();')",
                       "all (read in stored copies of timer.c and in patches against softirq.c)")
reading("kernel.intx.poll-waits-irqs-on",
        "poll_spurious_irq_timer expires in the timer softirq, which the local timer interrupt raises and irq_exit "
        "runs: a CPU whose task has interrupts off (an irqsave section, a desc->lock spin) keeps the timer interrupt "
        "pending until the task turns them back on, and the poll runs there (``intx.spoll_irqs_on``, from the "
        "task's local_irq_restore). Nothing about the poll changes in between, so the model no longer re-checks "
        "every 100 ns with an event each (locks27); a CPU in hardirq, or offline, still re-checks.",
        source=SPOLL_IRQS_ON, quote="/* Called by the local, per-CPU timer interrupt on SMP. */ static void "
        "run_local_timers(void) ... if (!in_interrupt() && local_softirq_pending()) invoke_softirq();",
        module=M + ".intx")
INPROGRESS_RELOCK = Source(L, "v6.6", "kernel/irq/handle.c + kernel/irq/spurious.c + kernel/irq/chip.c",
                           "handle_irq_event (IRQD_IRQ_INPROGRESS set, raw_spin_unlock; handle_irq_event_percpu: every "
                           "action, then note_interrupt -> misrouted_irq; raw_spin_lock, irqd_clear) / try_one_irq "
                           "('Already running on another processor': IRQS_PENDING, goto out) / irq_may_run",
                           "all (the same order in a 2.6.39-era spurious.c / handle.c, 009b4c3b8ad5, and in v6.6)")
reading("kernel.lock.inprogress-to-relock",
        "IRQD_IRQ_INPROGRESS is set by handle_irq_event before it drops desc->lock and cleared only after "
        "handle_irq_event_percpu -- every action of the irq, then note_interrupt (misrouted_irq under irqfixup / "
        "irqpoll) -- has returned and raw_spin_lock(&desc->lock) has taken the lock back. A flow handler that waits "
        "for the lock after its actions (behind a task's disable_irq / enable_irq / irq_set_affinity section, or a "
        "poll queued first) is still in progress: another CPU's try_one_irq that gets the lock first finds the flag "
        "and goes out with IRQS_PENDING instead of running the actions again, and synchronize_irq keeps waiting. The "
        "model marks the frame (``inprog``: handle_fasteoi_irq from its first action to its EOI step's relock, "
        "try_one_irq from its first action to its relock, which now queues for the lock too; ``entry.in_action``); "
        "before, the flag went with the last action's step (locks28). handle_edge_irq's relock after its action is "
        "a step when some locker queued for the lock during the action (kernel.lock.edge-relock, kernel30); "
        "uncontended it stays implicit.", source=INPROGRESS_RELOCK,
        quote="irqd_set(&desc->irq_data, IRQD_IRQ_INPROGRESS); raw_spin_unlock(&desc->lock); ret = "
        "handle_irq_event_percpu(desc); raw_spin_lock(&desc->lock); irqd_clear(&desc->irq_data, "
        "IRQD_IRQ_INPROGRESS);", module=M + ".entry")
reading("kernel.lock.edge-relock",
        "handle_edge_irq's handle_irq_event takes desc->lock back after the action and only then clears "
        "IRQD_IRQ_INPROGRESS; the do/while then tests IRQS_PENDING under the lock (pending and not disabled: unmask "
        "if masked, run the action again; else unlock). A locker that queued for the lock before the action ended "
        "(behind a task's enable_irq / disable_irq / irq_set_affinity section, or another CPU's flow handler) gets "
        "it first: another CPU's edge then still finds the flag set -- IRQS_PENDING and mask_ack_irq (from 6.17, "
        "on the new effective target, irq_wait_on_inprogress) -- and the CPU back from the action loops. The "
        "model's action step ends its frame, so the relock becomes a step of its own (the loop frame put back at "
        "``rerun``, ``inprog`` until it has the lock) when a locker queues during the action, as an edge's "
        "IRQS_PENDING already did; uncontended nobody can see the flag between the action's end and the relock. "
        "Before kernel30 such an edge found the flag clear at the action's end and ran the action itself. The "
        "loop's top masks an irq without an action only when it goes round again (pending, not disabled).",
        source=(INPROGRESS_RELOCK, *EDGE_PENDING),
        quote="handle_irq_event(desc); } while ((desc->istate & IRQS_PENDING) && !irqd_irq_disabled(&desc->irq_data));",
        module=M + ".entry")
reading("kernel.lock.poll-queue-place",
        "try_one_irq's raw_spin_lock(&desc->lock) is the same queued spinlock as a flow handler's "
        "(kernel.lock.desc-lock-queued): a poll (misrouted_irq, poll_spurious_irqs) that found the lock held keeps "
        "its place, and a flow handler or task that came after it gets the lock after it. The model's queue entry "
        "of a poll names the program, whose frame names no irq (misrouted_irq's ``irq`` is the interrupt it runs "
        "for), so ``entry.lock_waiter`` dropped it as a locker that stopped waiting and a flow handler queued "
        "behind took the lock first; a poll now waits for the irq at the head of its list until it takes the lock "
        "(``entry._irq_waiter``; locks28).", source=(TRY_ONE_LOCK, QSPINLOCK),
        quote="static int try_one_irq(struct irq_desc *desc, bool force) { ... raw_spin_lock(&desc->lock);",
        module=M + ".entry")
reading("kernel.intx.poll-waits-stop-machine",
        "A poll_spurious_irq_timer expiry on a CPU in stop_machine's MULTI_STOP_RUN -- a CPU spinning in "
        "multi_cpu_stop, or the requester waiting there for take_cpu_down -- finds interrupts off (multi_cpu_stop's "
        "MULTI_STOP_DISABLE_IRQ: local_irq_disable) and runs at MULTI_STOP_EXIT's local_irq_restore, as a task's "
        "irqsave section makes it wait (kernel.intx.poll-waits-irqs-on). Before (locks28), on_spoll ran the poll at "
        "once on a stopped CPU -- its softirq and try_one_irq in the middle of the rendezvous -- and re-checked the "
        "requester every 100 ns, an event each (10,000 over fixup_irqs' mdelay(1)).",
        source=(STOP_MACHINE, SPOLL_IRQS_ON),
        quote="case MULTI_STOP_DISABLE_IRQ: local_irq_disable(); hard_irq_disable(); break; ... } while (curstate "
        "!= MULTI_STOP_EXIT); local_irq_restore(flags);", module=M + ".intx")
reading("kernel.spin-forever",
        "A kernel spin wait (a desc->lock, synchronize_irq's IRQD_IRQ_INPROGRESS / IRQCHIP_STATE_ACTIVE poll) whose "
        "condition nothing left to run can change spins for ever: the soft-lockup watchdog reports the CPU and the "
        "loop goes on. The model's poll finds an empty agenda and no action ending ahead and leaves the context "
        "waiting at the poll (ctx.wait = {spin: ...}) with a kernel note, so the run ends instead of polling without "
        "end -- under every policy (explore23, revision 14: random, pct and delay picked poll after poll and never "
        "ended; under jitter, where every poll is an event, any later poll of the same wait asks). That stop is the "
        "model's termination rule (coordinator, revision 12): "
        "hypothetical, like kernel.intx.poll-bound.", status="hypothetical", source=SOFTLOCKUP,
        quote="pr_emerg(\"BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]\\n\", smp_processor_id(), duration, "
        "current->comm, task_pid_nr(current));", module="msidbg.model.cpu")
reading("kernel.intx.no-resend",
        "check_irq_resend does not resend a level irq: enable_irq on an INTx irq clears IRQS_PENDING and lets the "
        "line, still asserted, interrupt again once the entry is unmasked.",
        source=RESEND_LEVEL, module=M + ".intx",
        quote="We do not resend level type interrupts. Level type interrupts are resent by hardware when they are "
        "still active. Clear the pending bit so suspend/resume does not get confused.")
reading("kernel.intx.not-modelled",
        "Not modelled for INTx: IO-APIC entries behind AMD-Vi remapping (intx: with platform.iommu amd is a load "
        "error; Intel VT-d's IR-IO-APIC is modelled: kernel.intx.remapped); posted (VT-d posted-interrupt) "
        "entries; the pre-4.15 vector allocator; the PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG quirk; pcim devres "
        "restoring INTx at detach. On Xen platforms an HVM guest's emulated pin stays unmodelled (intx: is a load "
        "error there); an HVM guest's passthrough pin and a PV guest's pcifront pin are modelled "
        "(model/xen_intx.py, readings xen.intx.*).",
        status="hypothetical", module=M + ".intx")
reading("kernel.intx.free-sync",
        "From 62e0468650c3 with dfe0cf8b51b0 (sync_irq_chip_state, 5.3; 4.19.60, 5.1.19, 5.2.2) synchronize_irq -- "
        "free_irq's wait and disable_irq's -- after no handler runs elsewhere asks the chip for "
        "IRQCHIP_STATE_ACTIVE: the IO-APIC reads each pin's entry and answers in flight while a level entry's "
        "Remote IRR is set (sent, not yet EOId), and the caller polls again. free_irq thus deactivates (the "
        "entry cleared to vector 0, the vector freed) only after the target CPU's handle_fasteoi_irq -- which "
        "finds the irq shut down: IRQS_PENDING, mask, EOI -- cleared Remote IRR. Before, a level interrupt "
        "accepted but not serviced by then is taken on a freed vector ('No irq handler for vector'); its EOI "
        "names a vector no entry holds any more and Remote IRR stays set: the GSI is dead until the entry is "
        "rewritten with that vector (the model's EOI matches on the entry's vector, ioapic.eoi).",
        source=(SYNC_CHIP, IOAPIC_CHIP_STATE, FREE_IRQ_DELAY), module=M + ".intx",
        quote="if (!inprogress && sync_chip) { /* Ignore the return code. inprogress is only updated when the "
        "chip supports it. */ __irq_get_irqchip_state(irqd, IRQCHIP_STATE_ACTIVE, &inprogress); } ... "
        "if (rentry.irr && rentry.trigger) { *state = true; break; }")
IOAPIC_IR = Source(L, "00f0f29495e5", "arch/x86/kernel/apic/io_apic.c",
                   "ioapic_ir_chip (irq_eoi = ioapic_ir_ack_level: apic_ack_irq, eoi_ioapic_pin(data->entry.vector); "
                   "irq_get_irqchip_state = ioapic_irq_get_chip_state) / ioapic_configure_entry (the entry left to "
                   "the remapping domain) / ioapic_set_affinity (IRQ_SET_MASK_OK_DONE: no rewrite)", "4.15..")
INTEL_IR_IOAPIC = Source(L, "0410c6121529", "drivers/iommu/intel/irq_remapping.c",
                         "intel_irq_remapping_alloc / intel_irq_remapping_prepare_irte (X86_IRQ_ALLOC_TYPE_IOAPIC: one "
                         "IRTE, sub_handle = info->ioapic.pin, the IR-format entry's vector) / "
                         "intel_irq_remapping_activate / intel_irq_remapping_deactivate",
                         "4.15.. (before 5.11 the entry was filled in prepare_irte: 'IO-APIC RTE will be configured "
                         "with virtual vector' -- the pin -- not read at a tag)")
reading("kernel.intx.remapped",
        "With Intel VT-d interrupt remapping the IO-APIC irqs use ioapic_ir_chip: each pin gets one IRTE "
        "(intel_irq_remapping_alloc), whose vector and destination the activation writes (modify_irte) before "
        "the entry is written in IR format -- the IRTE index, and the pin number as its vector field. An "
        "asserted line on the unmasked entry sends a remappable message: the IRTE's vector reaches the IRTE's CPU "
        "as a level interrupt (TMR set) and Remote IRR is set. handle_fasteoi_irq's irq_eoi is "
        "ioapic_ir_ack_level: apic_ack_irq (irq_move_irq, then the local APIC EOI, whose broadcast names the real "
        "vector, which no IR entry holds) and eoi_ioapic_pin with the pin number, which clears Remote IRR; no "
        "irq_complete_move. The chip has IRQ_MOVE_PCNTXT: irq_set_affinity moves the irq at once in process "
        "context under desc->lock (intel_ir_set_affinity: the vector domain, modify_irte, the old vector's "
        "cleanup; IRQ_SET_MASK_OK_DONE, so ioapic_configure_entry is not called). ioapic_irq_get_chip_state "
        "serves this chip too (kernel.intx.free-sync).",
        source=(IOAPIC_IR, INTEL_IR_IOAPIC, INTEL_IR, IOAPIC_CHIP_STATE), module=M + ".intx",
        quote="/* Intr-remapping uses pin number as the virtual vector in the RTE. Actual vector is programmed "
        "in intr-remapping table entry. Hence for the io-apic EOI we use the pin number. */ apic_ack_irq(irq_data); "
        "eoi_ioapic_pin(data->entry.vector, data);")
#: audit16: an IOxAPIC (the PCH-era IO-APIC a VT-d machine has) sets Remote IRR when it sends, not when a local
#: APIC accepts (the 82093AA's wording): the same register text in two Intel datasheets found in the library
IOXAPIC_RIRR = Source("Intel Atom C2000 datasheet vol. 2", "330061-002US (September 2014)",
                      "30.3.3.3 Redirection Table Entry (RTE[23:0]) Registers (the same text: Atom E6xx datasheet "
                      "11.4.2.3)", "Remote IRR (RIRR), bit 14", "IOxAPIC (PCH-era IO-APICs)")
VTD_FAULT = Source("Intel VT-d specification", "rev 3.x", "5.1 Interrupt Remapping (fault reasons; iommu.faults)",
                   "an interrupt request whose IRTE is not present is blocked and logged", "all")
reading("kernel.intx.remapped-fault",
        "An IR-format entry that sends while its IRTE is not present (not reached in the modelled flows: "
        "deactivation masks the entry before it clears the IRTE, activation writes the IRTE first): the model "
        "drops the message and leaves Remote IRR set (the IO-APIC does not see the remapping fault). audit16: "
        "confirmed -- the remapping unit blocks the request (iommu.faults: 'Present field in the IRTE entry is "
        "clear'), and an IOxAPIC sets Remote IRR when it sends the level message and clears it only on a matching "
        "EOI, which no CPU sends for a message it never got.",
        source=(IOXAPIC_RIRR, VTD_FAULT), module=M + ".intx",
        quote="Remote IRR (RIRR): This is used for level triggered interrupts its meaning is undefined for edge "
        "triggered interrupts. This bit is set when IOxAPIC sends the level interrupt message to the CPU. This bit is "
        "cleared when an EOI message is received that matches the VCT field.")
reading("kernel.intx.move",
        "Without remapping the IO-APIC chip has no IRQ_MOVE_PCNTXT: irq_set_affinity records a pending move, and the "
        "next interrupt's ioapic_ack_level applies it: irq_complete_move, the entry masked (mask_ioapic_irq: the "
        "core's masked state untouched), the TMR bit of the irq's vector read, the local APIC EOI (broadcast for a "
        "level vector), eoi_ioapic_pin when that TMR bit is clear, then -- only if io_apic_level_ack_pending finds "
        "Remote IRR clear -- irq_move_masked_irq (irq_do_set_affinity -> ioapic_set_affinity: the vector domain, "
        "then ioapic_configure_entry rewrites the entry from its cached copy, still masked), and the unmask "
        "(from df4393424af3 only when the core has not masked the irq). The first interrupt on the new vector and "
        "CPU sends the old one's cleanup.",
        source=(IOAPIC_MOVE, IOAPIC_MOVE_MASKED, MOVE_IRQ), module=M + ".intx",
        quote="masked = ioapic_irqd_mask(irq_data); ... v = apic_read(APIC_TMR + ((i & ~0x1f) >> 1)); "
        "ack_APIC_irq(); if (!(v & (1 << (i & 0x1f)))) { ... eoi_ioapic_pin(cfg->vector, ...); } ... if "
        "(!io_apic_level_ack_pending(data->chip_data)) irq_move_masked_irq(data); /* If the IRQ is masked in the "
        "core, leave it: */ if (!irqd_irq_masked(data)) unmask_ioapic_irq(data);")
reading("kernel.intx.offline",
        "CPU offline moves an INTx irq targeting the dying CPU like any other (migrate_one_irq: entry masked, "
        "ioapic_set_affinity, unmasked) -- without waiting for Remote IRR. A level interrupt in flight (accepted into "
        "the dying CPU's IRR, Remote IRR set) is forwarded by fixup_irqs as an IPI to the irq's new vector and CPU: "
        "an edge there (TMR bit clear), so ioapic_ack_level's eoi_ioapic_pin -- not the local APIC's EOI -- clears "
        "Remote IRR, and the line works on.",
        source=(IOAPIC_MOVE, FIXUP_IRQS, MIGRATE), module=M + ".intx",
        quote="fixup_irqs() will forward any unhandled interrupt on the offlined cpu to the new cpu destination ... "
        "via IPI's. Hence, in this case also level-triggered io-apic interrupt will be seen as an edge interrupt in "
        "the IRR. And we can't rely on the cpu's EOI to be broadcasted to the IO-APIC's ... we do an explicit EOI "
        "to clear the remote IRR")
reading("kernel.intx.eoi-register",
        "__eoi_ioapic_pin: an IO-APIC of version 0x20 or later gets the vector written to its EOI register (Remote "
        "IRR of the entries with that vector clears); an older one has the pin's entry rewritten masked and edge, "
        "then restored (Remote IRR clears whatever the vector). The model does the former for every IO-APIC: "
        "ioapic_ack_level EOIs cfg->vector, which the entry holds whenever it runs (ioapic_set_affinity writes the "
        "vector and the entry together), so both clear the same entry.",
        source=IOAPIC_MOVE, module=M + ".intx",
        quote="static void __eoi_ioapic_pin(int apic, int pin, int vector) { if (mpc_ioapic_ver(apic) >= 0x20) { "
        "io_apic_eoi(apic, vector); } else { ... entry1.mask = IOAPIC_MASKED; entry1.trigger = IOAPIC_EDGE; "
        "__ioapic_write_entry(apic, pin, entry1); /* Restore the previous level triggered entry. */ "
        "__ioapic_write_entry(apic, pin, entry); } }")
reading("kernel.managed.spread",
        "irq_create_affinity_masks spreads the CPUs over the vectors after the pre vectors; the model has one "
        "NUMA node and no SMT siblings, so groups are runs of consecutive CPU ids, the first groups taking the "
        "remainder.", source=AFFINITY_MASKS, module=M,
        quote="/* Account for extra groups to compensate rounding errors */ if (extra_grps) { cpus_per_grp++; "
        "--extra_grps; }")
reading("kernel.managed.nvme",
        "An nvme probe asks pci_alloc_irq_vectors_affinity(1, 1 + I/O queues, PCI_IRQ_ALL_TYPES | "
        "PCI_IRQ_AFFINITY) with one pre vector (the admin queue); at most one I/O queue per possible CPU.",
        source=NVME, module=M,
        quote=".pre_vectors = 1, .calc_sets = nvme_calc_irq_sets, ... return pci_alloc_irq_vectors_affinity(pdev, "
        "1, irq_queues, PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY, &affd);")
reading("kernel.managed.nvme-shared-admin",
        "Before 22b5560195bd (4.17) the nvme driver asked pci_alloc_irq_vectors(1, I/O queues, PCI_IRQ_ALL_TYPES | "
        "PCI_IRQ_AFFINITY) with no pre vector and one I/O queue per online CPU: every vector managed, vector 0 "
        "shared by the admin queue and I/O queue 1 (nvme_irq_layout: shared-admin); before dca51e7892fa it "
        "asked pci_enable_msix_range(1, I/O queues) without affinity (msix-range). nvme_pci_enable's first, "
        "admin-only allocation is one vector without affinity in every release.",
        source=(NVME_SHARED, NVME_RANGE), module=M,
        quote="pci_free_irq_vectors(pdev); nr_io_queues = pci_alloc_irq_vectors(pdev, 1, nr_io_queues, "
        "PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY); ... dev->max_qid = nr_io_queues; ... nvmeq->cq_vector = qid - 1;")
reading("kernel.managed.nvme-queue-cpus",
        "The nvme driver sizes its I/O queues, and with them the vectors it asks, by a CPU count "
        "(kernel.nvme_queue_cpus): the online CPUs from 2800b8e7d9df (4.7) to 4.12, the present CPUs in 4.13 "
        "(to 4.15; the possible ones before 4.7 and from 4.16, nvme_max_io_queues later; audit24: not from 4.14 -- "
        "the 4.14 tree first read is a OnePlus vendor kernel with the later line): from 4.13 a CPU offline at "
        "probe time still gets its queue and managed vector, whose irq stays shut down until the CPU comes "
        "online. Every modelled CPU is present and possible.",
        source=(NVME_QUEUE_CPUS, NVME_SHARED), module=M,
        quote="4.13.9: 'nr_io_queues = num_present_cpus(); result = nvme_set_queue_count(&dev->ctrl, "
        "&nr_io_queues);'; 4.12.0: 'nr_io_queues = num_online_cpus();'; 4.16.13: 'nr_io_queues = "
        "num_possible_cpus();'")
reading("kernel.msi.multi-cap-mask",
        "msi_capability_init() masks every vector the device is capable of, pci_msi_shutdown() unmasks them "
        "all again.", source=MSI_CORE, module=M,
        quote="/* All MSIs are unmasked by default; mask them all */ ... pci_msi_mask(entry, "
        "msi_multi_mask(entry)); ... /* Return the device with MSI unmasked as initial states */")
reading("kernel.msix.ctrl-read",
        "An MSI-X descriptor reads its entry's Vector Control only when the entry can be masked (9c8e9c9681a0: "
        "5.16; 5.15.3). "
        "audit17: 5.17 .. 6.0 read it only when the entry cannot be masked -- 71020a3c0dff (PCI/MSI: Use "
        "msi_add_msi_desc()) reversed the test and 2b96f92ca425 (6.1) restored it -- so there a maskable "
        "entry's cached Vector Control is 0 (msix_ctrl_read_can_mask: cannot-mask).",
        source=(MSIX_INIT, MSIX_CTRL_INVERTED), module=M,
        quote="desc->pci.msi_attrib.can_mask = !pci_msi_ignore_mask && !desc->pci.msi_attrib.is_virtual; if "
        "(desc->pci.msi_attrib.can_mask) { ... desc->pci.msix_ctrl = readl(addr + PCI_MSIX_ENTRY_VECTOR_CTRL); / "
        "71020a3c0dff4 (\"PCI/MSI: Use msi_add_msi_desc()\") inadvertently reversed the sense of "
        "\"msi_attrib.can_mask\" in one use: ... + if (!desc.pci.msi_attrib.can_mask) {")
reading("kernel.msix.mask-all-pv",
        "audit17: msix_mask_all() of 7d5ec3d36123 wrote Mask=1 to every MSI-X entry even under "
        "pci_msi_ignore_mask; a Xen PV guest has no write access to the table (the hypervisor masks MSI-X for it), "
        "so its first write was a page fault and the probe's task oopsed. 1a519dc7a73c added the check -- in "
        "v5.14 itself, and in the stable series only after the releases that took 7d5ec3d36123 (4.4.282 .. 4.4.283, "
        "4.9.281 .. 4.9.282, 4.14.245 .. 4.14.246, 4.19.205 .. 4.19.206, 5.4.142 .. 5.4.147, 5.10.60 .. 5.10.66, "
        "5.13.12 .. 5.13.18: kernel.msix_mask_all_ignore_mask false, xen-pv only).",
        source=MSIX_MASK_ALL_PV, module=M,
        quote="When running as Xen PV guest, masking MSI-X is a responsibility of the hypervisor. Guest has no write "
        "access to relevant BAR at all - when it tries to, it results in a crash like this: BUG: unable to handle "
        "page fault ... #PF: error_code(0x0003) - permissions violation ... + if (pci_msi_ignore_mask) + return;")
reading("kernel.msix.out-disable",
        "msix_capability_init()'s error path clears Enable and Function Mask (94185adbfad5: 5.16; 5.15.11, "
        "5.10.88, 5.4.168, 4.19.222, 4.14.259, 4.9.294, 4.4.296) and leaves the entry masks.", source=MSIX_INIT, module=M,
        quote="out_disable: dev->msix_enabled = 0; pci_msix_clear_and_set_ctrl(dev, PCI_MSIX_FLAGS_MASKALL | "
        "PCI_MSIX_FLAGS_ENABLE, 0);")
reading("kernel.msix.legacy-order",
        "Before 438553958ba1 (5.14; 5.13.12, 5.10.60, 5.4.142, 4.19.205, 4.14.245, 4.9.281, 4.4.282) "
        "MSI-X stayed disabled while the irqs were set up, then Enable | Function Mask, "
        "then msix_program_entries() read and masked each used entry.", source=MSIX_INIT_OLD, module=M,
        quote="arch_setup_msi_irqs(dev, nvec, PCI_CAP_ID_MSIX); ... control |= PCI_MSIX_FLAGS_MASKALL | "
        "PCI_MSIX_FLAGS_ENABLE; ... entry->masked = readl(entry->mask_base + offset); msix_mask_irq(entry, 1);")
reading("kernel.msi-set-affinity.can-reserve",
        "From b56ebe7c896d msi_set_affinity() writes directly when the irq has no reservation mode -- a "
        "non-maskable MSI among them -- and takes the two-step path for maskable ones; 5.17-6.6 "
        "(ef8dd01538ea) never set the quirk that selected the two-step path.",
        source=MSI_SET_AFFINITY_NOW, module=M,
        quote="if (!irqd_can_reserve(irqd) || cfg->vector == old_cfg.vector || old_cfg.vector == "
        "MANAGED_IRQ_SHUTDOWN_VECTOR || !irqd_is_started(irqd) || cfg->dest_apicid == old_cfg.dest_apicid) { "
        "irq_msi_update_msg(irqd, cfg); return ret; }")
reading("kernel.msi-set-affinity.retrigger-stray",
        "msi_set_affinity()'s two-step update retriggers a signal that raced into the old CPU's IRR on the new "
        "vector, but the message itself stays pending there and is taken when that CPU re-enables interrupts: "
        "a slot it marked VECTOR_RETRIGGERED swallows it, an irq that already uses the vector on that CPU runs "
        "its handler for it -- an arrival at the wrong handler, spurious for the device that sent it (the "
        "contract's irq-spurious), not lost: the retrigger delivered it on the new CPU (redteam25).",
        source=MSI_SET_AFFINITY, module=M,
        quote="If the vector is in use then the installed device handler will denote it as spurious which is "
        "no harm as this is a rare event and interrupt handlers have to cope with spurious interrupts anyway. "
        "If the vector is unused, then it is marked so it won't trigger the 'No irq handler for vector' warning.")
reading("kernel.vector.timer-cleanup",
        "From 6.6 a per-CPU timer, armed one jiffy out, frees the old vector of a completed move; vector 0x20 "
        "is then an ordinary device vector. CONFIG_HZ=250 (Kconfig default): 4 ms, cost 'jiffy'.",
        source=CLEANUP_TIMER, module=M,
        quote="But there is no real reason to use an interrupt vector for cleaning up the leftovers of a moved "
        "interrupt. ... Convert it to use a timer instead and adjust the code accordingly.")
reading("kernel.affinity.proc-result",
        "set_affinity (a /proc/irq/N/smp_affinity write) returns irq_set_affinity()'s error to the writer from "
        "4.15 (proc_affinity_result); before, the write succeeded whatever it did. Either way it is the "
        "administrator's write, not a driver call: the device's driver status and probe-failed are untouched.",
        source=(PROC_IRQ_OLD, PROC_IRQ), module=M,
        quote="irq_set_affinity(irq, new_value); err = count; (4.9) / err = irq_set_affinity(irq, new_value); if "
        "(!err) err = count; (5.x)")
reading("kernel.affinity.busy-pending",
        "From 12f47073a40f an -EBUSY from the vector domain (a previous move not cleaned up) is turned into a "
        "pending move that the next interrupt applies, so a /proc write no longer fails with EBUSY.",
        source=BUSY_PENDING, module=M,
        quote="If a irq_chip::set_affinity() fails with -EBUSY, handle it like the interrupts for which "
        "irq_chip::set_affinity() can only be invoked from interrupt context. ... This avoids that -EBUSY is "
        "returned when an affinity change is requested from user space")
reading("kernel.affinity.hint-best-effort",
        "irq_set_affinity_hint() installs the hint and tries the affinity as a best effort: its return value "
        "does not carry __irq_set_affinity()'s error, so request_irq.hint never fails the driver action.",
        source=(HINT_BEST_EFFORT, HINT), module=M,
        quote="The affinity hint has been installed even in the case that __irq_set_affinity() fails. Setting "
        "the affinity in that function is a best effort operation without any guarantees")
reading("kernel.hotplug.cpu0",
        "x86 CPU0 has no sysfs online file unless cpu0_hotplug (3.8..6.4): cpu_offline / cpu_online of CPU0 "
        "fail as 'echo 0 > /sys/devices/system/cpu/cpu0/online' does, opening a file that does not exist "
        "with O_CREAT in sysfs: -EACCES.", source=(CPU0_NOT_HOTPLUG, CPU0_HOTPLUG, NAMEI_CREATE), module=M,
        quote="CPU0 cannot be offlined due to several restrictions and assumptions in kernel. This basically "
        "doesnt add a control file, one cannot attempt to offline BSP. / if (!dir_inode->i_op->create) { error "
        "= -EACCES;")
reading("kernel.hotplug.already",
        "cpu_offline of a CPU already offline, or cpu_online of one already online, succeeds and does nothing: "
        "device_offline() / device_online() return 1 and online_store() turns any non-negative result into "
        "the count. Only the last online CPU refuses (-EBUSY).", source=ONLINE_STORE, module=M,
        quote="ret = val ? device_online(dev) : device_offline(dev); unlock_device_hotplug(); return ret < 0 ? "
        "ret : count;")
SET_CPUS_ALLOWED = Source(L, "v6.6", "kernel/sched/core.c",
                          "__set_cpus_allowed_ptr_locked (cpu_valid_mask = cpu_active_mask for a user task) / "
                          "sched_cpu_deactivate (set_cpu_active(cpu, false) before take_cpu_down)", "all")
reading("kernel.hotplug.action-on-inactive-cpu",
        "A scenario action's on: is a task pinned to that CPU (taskset -c N). sched_setaffinity() to a mask "
        "with no active CPU fails with -EINVAL, and a CPU leaves cpu_active_mask (sched_cpu_deactivate) before "
        "stop_machine runs take_cpu_down: an action whose CPU is offline, or going offline, when it starts "
        "returns -EINVAL without running (its device is not touched).", source=SET_CPUS_ALLOWED, module=M,
        quote="dest_cpu = cpumask_any_and_distribute(cpu_valid_mask, ctx->new_mask); if (dest_cpu >= "
        "nr_cpu_ids) { ret = -EINVAL; goto out; }")
IDTENTRY_SYSVEC = Source(L, "v6.6", "arch/x86/include/asm/idtentry.h + arch/x86/kernel/idt.c",
                         "DECLARE_IDTENTRY_SYSVEC / apic_idts (LOCAL_TIMER_VECTOR)", "5.8..")
#: audit16: v6.6 has no IRQ_MOVE_CLEANUP_VECTOR entry -- bdc1dad299bb (x86/apic for 6.6-rc1) deletes its
#: DECLARE_IDTENTRY_SYSVEC line, its apic_idts gate and the vector itself; the line is read in that diff's context
IDTENTRY_CLEANUP = Source(L, "bdc1dad299bb", "arch/x86/include/asm/idtentry.h + arch/x86/kernel/idt.c",
                          "DECLARE_IDTENTRY_SYSVEC(IRQ_MOVE_CLEANUP_VECTOR, sysvec_irq_move_cleanup) / apic_idts "
                          "(the lines the commit removes)", "5.8..6.5 (vector_cleanup: ipi)")
MSI_SHUTDOWN = Source(L, "v6.6", "drivers/pci/msi/msi.c", "pci_msi_shutdown", "all")
ERROR_INTERRUPT = Source(L, "v6.6", "arch/x86/kernel/apic/apic.c", "sysvec_error_interrupt / lapic_setup_esr",
                         "5.8.. (smp_error_interrupt before, the same steps; some 3.x/4.x copies print "
                         "'%02x(%02x)', the ESR before and after the write)")
SHUTDOWN_SLOT = Source(L, "b7107a67f0d1", "arch/x86/kernel/apic/vector.c + arch/x86/kernel/irq.c",
                       "clear_irq_vector / do_IRQ", "5.3.., 4.19.60.., 5.1.19.., 5.2.2.. (vector_shutdown_slot)")
reading("kernel.vector.shutdown-slot",
        "From b7107a67f0d1 a vector freed by clear_irq_vector is marked VECTOR_SHUTDOWN and a late hit on it is "
        "acked silently; before (4.15..5.2) the slot went back to VECTOR_UNUSED and such a hit was 'No irq "
        "handler for vector'.", source=SHUTDOWN_SLOT, module=M,
        quote="-\tper_cpu(vector_irq, apicd->cpu)[vector] = VECTOR_UNUSED; +\tper_cpu(vector_irq, apicd->cpu)[vector] "
        "= VECTOR_SHUTDOWN; ... -\t\tif (desc != VECTOR_RETRIGGERED) { +\t\tif (desc != VECTOR_RETRIGGERED && desc "
        "!= VECTOR_SHUTDOWN) {")
SPURIOUS_NO_EOI = Source(L, "f8a8fe61fec8", "arch/x86/kernel/apic/apic.c", "smp_spurious_interrupt",
                         "5.3.., 5.2.2.., 5.1.19.., 4.19.60..")
reading("kernel.entry.spurious-no-eoi",
        "From f8a8fe61fec8 (5.3; 5.2.2, 5.1.19, 4.19.60) a message on vector 0xff is handled as a real APIC spurious interrupt and not "
        "acknowledged: its ISR bit stays set and blocks every vector of that CPU; before, the ISR bit was "
        "found set and EOId.", source=SPURIOUS_NO_EOI, module=M,
        quote="/* If this is a spurious interrupt then do not acknowledge */ if (vector == SPURIOUS_APIC_VECTOR) { "
        "... goto out; }")
#: common_interrupt's EOI of a vector with no irq, read at 4.4.0 (do_IRQ: ack_APIC_irq, VECTOR_RETRIGGERED), in the
#: stored 4.19 copies (VECTOR_SHUTDOWN added), 6.1.158 (ack_APIC_irq) and 6.6.57 (apic_eoi); APIC_SPIV_DIRECTED_EOI is
#: set only by arch/x86/kvm in the 4.4 and 6.6 trees (``git grep``): the native kernel never suppresses the broadcast
UNHANDLED_EOI = Source(L, "v6.6", "arch/x86/kernel/irq.c + arch/x86/include/asm/apicdef.h",
                       "common_interrupt (do_IRQ before 5.8): apic_eoi / ack_APIC_irq when vector_irq holds no "
                       "descriptor; APIC_SPIV_DIRECTED_EOI", "all (4.4.0, 4.19, 6.1.158, 6.6.57 read)")
SDM_EOI_BROADCAST = Source("Intel SDM vol. 3", "253668-032US (2009)", "10.9.1 step 5, 10.9.5 (10.8.x in "
                           "325384-059US; 11.8.x from 2023)", "Interrupt Handling with the Pentium 4 and Intel Xeon "
                           "Processors; Signaling Interrupt Servicing Completion", "all")
XEN_VLAPIC_EOI = Source("xen-project/xen", "RELEASE-4.16.0", "xen/arch/x86/hvm/vlapic.c", "vlapic_handle_EOI",
                        "all")
reading("kernel.entry.unhandled-level-eoi",
        "common_interrupt EOIs a vector it has no irq for (VECTOR_UNUSED: 'No irq handler for vector'; "
        "VECTOR_SHUTDOWN, VECTOR_RETRIGGERED: silently) with the plain local APIC EOI write every handler uses. "
        "When that vector's TMR bit is set -- the IRR bit came from an IO-APIC level message -- the local APIC "
        "broadcasts the EOI to the IO-APICs, and every entry holding that vector clears Remote IRR, whichever "
        "CPU the entry targets; a line still asserted sends again at once. Linux never enables EOI-broadcast "
        "suppression (directed EOI) on bare metal, so the broadcast always goes. A Xen HVM vLAPIC does the same "
        "(vlapic_handle_EOI: TMR set -> vioapic_update_EOI); the model keeps no TMR for a vIOAPIC's deliveries.",
        source=(UNHANDLED_EOI, SDM_EOI_BROADCAST, XEN_VLAPIC_EOI), module=M,
        quote="} else { apic_eoi(); if (desc == VECTOR_UNUSED) { pr_emerg_ratelimited(\"%s: %d.%u No irq handler "
        "for vector\n\", ... writing to the EOI register causes the local APIC to delete the interrupt from its ISR "
        "queue and (for level-triggered interrupts) send a message on the bus ... if ( vlapic_test_vector(vector, "
        "&vlapic->regs->data[APIC_TMR]) ) vioapic_update_EOI(d, vector);")
reading("kernel.entry.system-vector",
        "A message whose vector is a system vector runs that vector's own IDT entry, not common_interrupt's "
        "vector_irq lookup: IRQ_MOVE_CLEANUP_VECTOR (before 6.6) the moved-vector cleanup, LOCAL_TIMER_VECTOR "
        "the local APIC timer interrupt. A device's signal there reaches no handler of its own. audit16: the cleanup "
        "vector's entry is cited where it exists (5.8 .. 6.5: the lines bdc1dad299bb removes), no longer at v6.6, "
        "which has none.",
        source=(IDTENTRY_SYSVEC, IDTENTRY_CLEANUP), module=M,
        quote="/* System vector entry points */ ... DECLARE_IDTENTRY_SYSVEC(LOCAL_TIMER_VECTOR, "
        "sysvec_apic_timer_interrupt); / (bdc1dad299bb, removed for 6.6:) -DECLARE_IDTENTRY_SYSVEC("
        "IRQ_MOVE_CLEANUP_VECTOR, sysvec_irq_move_cleanup); -INTG(IRQ_MOVE_CLEANUP_VECTOR, asm_sysvec_irq_move_cleanup),")
#: kernel28: the local APIC timer's handler before the cleanup timer (bdc1dad299bb, 6.6). audit23: read in
#: the 4.15.0 (sndrzt/linux-4.15 6ea062648), 4.16.13 and 4.17.0 trees; the '4.18.0 tree' kernel28 named
#: (wulmx/linux-4.18) is a vendor 4.18.0 kernel with later backports (apic_eoi, the 5.11 APIC_DELIVERY_MODE_FIXED)
APIC_TIMER_IRQ = Source(L, "v4.17", "arch/x86/kernel/apic/apic.c + arch/x86/kernel/apic/vector.c",
                        "smp_apic_timer_interrupt (entering_ack_irq, local_apic_timer_interrupt, exiting_irq) / "
                        "smp_irq_move_cleanup_interrupt", "4.15..6.5 (vector_cleanup: ipi; sysvec_apic_timer_interrupt "
                        "from 5.8, the same calls)")
reading("kernel.entry.timer-vector",
        "The vector cleanup runs on LOCAL_TIMER_VECTOR only where a timer does it (bdc1dad299bb, 6.6: "
        "vector_cleanup_callback, modelled as the timer vector's program). Before, the local APIC timer's handler "
        "acks the APIC and runs the clock event (local_apic_timer_interrupt): it frees no moved vector -- "
        "smp_irq_move_cleanup_interrupt, on IRQ_MOVE_CLEANUP_VECTOR, is the only one that does -- so a device's "
        "message there is lost on a system vector and the CPU's cleanup list waits for its IPI. Which vector the "
        "timer has is the release's (kernel.local_timer_vector): on 4.15 and 4.16 0xec is below it, a device "
        "vector, and a message there with no irq is common_interrupt's 'No irq handler for vector' (kernel28; "
        "msidbg ran vector_cleanup_callback on 0xec in every release).",
        source=(APIC_TIMER_IRQ, CLEANUP_TIMER), module=M,
        quote="entering_ack_irq(); trace_local_timer_entry(LOCAL_TIMER_VECTOR); local_apic_timer_interrupt(); "
        "trace_local_timer_exit(LOCAL_TIMER_VECTOR); exiting_irq();")
reading("kernel.msi.shutdown-order",
        "pci_msi_shutdown clears MSI Enable first and unmasks every vector afterwards: a message still pending "
        "in the Mask/Pending bits is never sent.", source=MSI_SHUTDOWN, module=M,
        quote="pci_msi_set_enable(dev, 0); pci_intx_for_msi(dev, 1); dev->msi_enabled = 0; /* Return the "
        "device with MSI unmasked as initial states */")
#: the ISA irqs' vectors under the matrix allocator (read in the stored vector.c, 008f1d60fe25, and in tglx's
#: 4.15-rc reply of 2017-12-29 patching vector_configure_legacy's release branch: present in 4.15)
ISA_VECTORS = Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c",
                     "lapic_assign_system_vectors (irq_matrix_assign of the 15 ISA vectors; the PIC cascade's "
                     "lapic_assign_legacy_vector -> irq_matrix_assign_system) / x86_vector_alloc_irqs "
                     "(X86_IRQ_ALLOC_LEGACY) -> vector_configure_legacy (an irq not activated: clear_irq_vector, "
                     "then reserve_irq_vector)", "4.15.. (vector_allocator: matrix)")
reading("kernel.vector.isa-unrequested",
        "From 4.15 the IO-APIC domain's allocation of an ISA irq frees its CPU0 vector unless the irq is "
        "already activated -- the timer (irq 0), requested before the IO-APIC was set up -- and gives it a "
        "global reservation; a vector comes only with request_irq (activate_reserved: the CPU with the most "
        "free vectors). The modelled machine requests no ISA irq but the timer (a real one's i8042, rtc0 or "
        "ACPI SCI would each take a vector somewhere at boot), so CPU0 holds the timer's 0x30 only, and 0x32 "
        "(the PIC cascade) is a system vector on every CPU. Before 4.15 every ISA irq keeps its CPU0 vector "
        "(init_legacy_irqs, legacy_irq_data), requested or not; the same machine requests only the timer, so a "
        "dying CPU0 moves only the timer (fixup_irqs skips an irq without an action, 4.13's migrate_one_irq one "
        "not started) and the others' vectors come back with CPU0 (__setup_vector_irq: their domain is CPU0).", source=ISA_VECTORS, module=M,
        quote="if (irqd_is_activated(irqd)) { trace_vector_setup(virq, true, 0); apic_update_irq_cfg(irqd, "
        "apicd->vector, apicd->cpu); } else { /* Release the vector */ apicd->can_reserve = true; "
        "irqd_set_can_reserve(irqd); clear_irq_vector(irqd); realloc = true; }")
#: where the vector matrix ends (redteam26): FIRST_SYSTEM_VECTOR by release
FIRST_SYSTEM = (Source(L, "f5a3562ec9dd", "arch/x86/include/asm/irq_vectors.h",
                       "POSTED_MSI_NOTIFICATION_VECTOR / FIRST_SYSTEM_VECTOR (irq_alloc_matrix's alloc_end in "
                       "arch_early_irq_init)", "6.10.. (posted_msi_vector; as tools/perf's copy of 2024-05-27 "
                       "quotes the kernel header)"),
                Source(L, "v4.15", "arch/x86/include/asm/irq_vectors.h",
                       "MANAGED_IRQ_SHUTDOWN_VECTOR 0xef / LOCAL_TIMER_VECTOR 0xee",
                       "4.15 (local_timer_vector 0xee; read in sndrzt/linux-4.15's kernel.org import, 4.15.0, and "
                       "its head, Ubuntu's linux-source-4.15.0 (Makefile 4.15.18, vendor backports): audit23)"),
                Source(L, "v4.16.13", "arch/x86/include/asm/irq_vectors.h",
                       "HYPERV_REENLIGHTENMENT_VECTOR 0xee / LOCAL_TIMER_VECTOR 0xed",
                       "4.16 (local_timer_vector 0xed; read in lizuobin/linux-4.16.13_tiny4412, an Exynos 4412 port: its "
                       "irq_vectors.h is the kernel.org 4.15.0 import's plus 4.16's HYPERV_REENLIGHTENMENT_VECTOR, "
                       "audit24)"),
                Source(L, "v4.17", "arch/x86/include/asm/irq_vectors.h",
                       "HYPERV_STIMER0_VECTOR 0xed / LOCAL_TIMER_VECTOR 0xec",
                       "4.17..6.9 (local_timer_vector 0xec; read in SaumyaSachdev/linux-4.17, 4.17.0; wulmx/linux-4.18 "
                       "has the same but is a vendor 4.18.0 kernel with later backports, not v4.18: audit23; SaumyaSachdev's "
                       "import has cgw201410/linux-4.17_jz2440's arch/x86, kernel/irq and drivers/pci: audit24)"))
reading("kernel.vector.first-system-vector",
        "The x86 vector matrix covers FIRST_EXTERNAL_VECTOR .. FIRST_SYSTEM_VECTOR - 1. From f5a3562ec9dd "
        "(6.10) FIRST_SYSTEM_VECTOR is the posted-MSI notification vector 0xeb, whether or not the kernel is "
        "built with CONFIG_X86_POSTED_MSI, so every CPU has one device vector fewer (0xeb) than 4.18 .. 6.9, "
        "where it is LOCAL_TIMER_VECTOR 0xec. Before, LOCAL_TIMER_VECTOR sat higher: 0xee in 4.15 (under "
        "MANAGED_IRQ_SHUTDOWN_VECTOR 0xef), 0xed in 4.16 (HYPERV_REENLIGHTENMENT_VECTOR took 0xee), 0xec from 4.17 "
        "(HYPERV_STIMER0_VECTOR took 0xed) -- the Hyper-V defines are under IS_ENABLED(CONFIG_HYPERV), the timer's "
        "value is not (kernel.local_timer_vector, kernel28): a 4.15 CPU has two device vectors more than 4.17, a "
        "4.16 one. The model had 0xec in every matrix release, so a 6.10+ or current-upstream CPU held 202/203 "
        "device vectors where the kernel has 201/202, and a 4.15 / 4.16 one two / one too few.",
        source=FIRST_SYSTEM, module=M,
        quote="+#define POSTED_MSI_NOTIFICATION_VECTOR 0xeb ... #ifdef CONFIG_X86_LOCAL_APIC -#define "
        "FIRST_SYSTEM_VECTOR LOCAL_TIMER_VECTOR +#define FIRST_SYSTEM_VECTOR POSTED_MSI_NOTIFICATION_VECTOR")
#: the PIC cascade's vector before 4.15 (redteam20). audit17: the stored tree (kinmax/linux-4.13.19 at 135f62e8) is a
#: 4.13.9 tree (its Makefile: VERSION 4, PATCHLEVEL 13, SUBLEVEL 9), and v4.13.19 is no release (the last 4.13.y
#: found is 4.13.16, 2017-11-24): the citation names the release read
_TREE_4139 = ("read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9; its x86 irq files are "
              "those of shizukanaskytree/linux-4.13.4's import: audit24")
LEGACY_CASCADE = (Source(L, "v4.13.9", "arch/x86/kernel/irqinit.c", "init_IRQ", f"4.5..4.14 ({_TREE_4139})"),
                  Source(L, "v4.13.9", "arch/x86/kernel/apic/vector.c",
                         "init_legacy_irqs / setup_vector_irq / __setup_vector_irq / __assign_irq_vector",
                         f"4.5..4.14 (vector_allocator: legacy; {_TREE_4139})"),
                  Source(L, "v4.13.9", "arch/x86/kernel/apic/io_apic.c", "PIC_IRQS (IRQ2 never routed)",
                         f"4.5..4.14 ({_TREE_4139})"))
reading("kernel.vector.legacy-cascade",
        "Before 4.15 the PIC cascade's ISA vector 0x32 is taken on every CPU: init_IRQ maps ISA_IRQ_VECTOR(0..15) "
        "on CPU0 and setup_vector_irq on every CPU it brings up; __setup_vector_irq keeps a slot whose irq's "
        "domain holds the CPU, and irq 2 -- never routed to the IO-APIC (PIC_IRQS) -- keeps init_legacy_irqs' "
        "cpumask_setall domain. __assign_irq_vector skips a vector whose vector_irq slot holds a descriptor, so "
        "no device gets 0x32 and check_irq_vectors_for_cpu_disable does not count it free. The model used to "
        "leave it free (a 4.9 NIC's 190th vector landed on CPU0's 0x32).", source=LEGACY_CASCADE, module=M,
        quote="for (i = 0; i < nr_legacy_irqs(); i++) per_cpu(vector_irq, 0)[ISA_IRQ_VECTOR(i)] = "
        "irq_to_desc(i); ... data->cfg.vector = ISA_IRQ_VECTOR(i); cpumask_setall(data->domain); ... "
        "Therefore we refrain from routing IRQ2 to the I/O APIC in all cases now.")
#: irq 2's descriptor behind ISA_IRQ_VECTOR(2) (leads22): read in the stored 4.13.9 tree (kinmax/linux-4.13.19); the 4.15+ slot in the
#: stored vector.c (lapic_online -> __setup_vector_irq) and setup_IO_APIC (io_apic_irqs = ~PIC_IRQS, 6.18)
PIC_CASCADE_DESC = (Source(L, "v4.13.9", "arch/x86/kernel/irq.c + arch/x86/kernel/irq_64.c", "do_IRQ / handle_irq",
                           "4.5..5.7 (do_IRQ; common_interrupt from 5.8, the same IS_ERR_OR_NULL test)"),
                    Source(L, "v4.13.9", "arch/x86/kernel/irqinit.c", "init_ISA_irqs / init_IRQ / irq2 (setup_irq "
                           "only without an IO-APIC)", "4.5.. (read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
                    Source(L, "v4.13.9", "arch/x86/kernel/i8259.c", "mask_and_ack_8259A / i8259A_irq_real",
                           "4.5.. (read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
                    Source(L, "v4.13.9", "kernel/irq/chip.c", "handle_level_irq / mask_ack_irq",
                           "4.5.. (read in kinmax/linux-4.13.19 at 135f62e8, whose Makefile is 4.13.9)"),
                    Source(L, "008f1d60fe25", "arch/x86/kernel/apic/vector.c", "lapic_online / __setup_vector_irq",
                           "4.15.."),
                    Source(L, "v6.18", "arch/x86/kernel/apic/io_apic.c", "setup_IO_APIC (io_apic_irqs)", "all"))
reading("kernel.entry.pic-cascade",
        "Every CPU's ISA_IRQ_VECTOR(2) (0x32) slot holds irq 2's descriptor (init_IRQ on CPU0; setup_vector_irq "
        "before 4.15, lapic_online from 4.15 on the others: irq 2 is not in io_apic_irqs). irq 2 keeps the i8259A "
        "chip and handle_level_irq from init_ISA_irqs and, with an IO-APIC, no action (setup_irq(2, &irq2) only "
        "without one). A message on 0x32 therefore finds a descriptor: do_IRQ / common_interrupt run its flow "
        "handler and neither ack the local APIC nor print 'No irq handler for vector'. handle_level_irq's "
        "mask_ack_irq is mask_and_ack_8259A: irq 2 is masked in cached_irq_mask and the PIC has it not in service "
        "(i8259A_irq_real), so it prints 'spurious 8259A interrupt: IRQ2.' once per boot, bumps irq_err_count every "
        "time and EOIs the PIC; then no action: IRQS_PENDING, no handler. Nothing EOIs the local APIC, so 0x32 "
        "stays in service on that CPU and holds back every vector of its priority class and below. A dying CPU's "
        "fixup_irqs empties its 0x32 slot like every slot it does not retrigger (the XT-PIC chip has no "
        "irq_retrigger). The model used to treat 0x32 as VECTOR_UNUSED (EOI, 'No irq handler').",
        source=PIC_CASCADE_DESC, module=M,
        quote="if (!handle_irq(desc, regs)) { ack_APIC_irq(); ... irq_set_chip_and_handler(i, chip, handle_level_irq); "
        "... if (!acpi_ioapic && !of_ioapic && nr_legacy_irqs()) setup_irq(2, &irq2); ... \"spurious 8259A "
        "interrupt: IRQ%d.\\n\" ... atomic_inc(&irq_err_count); ... if (unlikely(!desc->action || "
        "irqd_irq_disabled(&desc->irq_data))) { desc->istate |= IRQS_PENDING;")
#: the activation at allocation as a call of irq_domain_activate_irq (leads22)
ACTIVATE_EARLY_CALL = (Source(L, "v6.6", "kernel/irq/msi.c",
                              "__msi_domain_alloc_irqs -> msi_init_virq -> irq_domain_activate_irq / "
                              "__msi_domain_alloc_locked (msi_domain_free_locked on error)", "6.2.."),
                       Source(L, "v4.16.13", "kernel/irq/msi.c",
                              "msi_domain_alloc_irqs (MSI_FLAG_ACTIVATE_EARLY loop, cleanup: deactivate, "
                              "msi_domain_free_irqs)", "4.15..6.1 (read in a 4.16.13 tree; its kernel/irq/msi.c is the "
                              "kernel.org 4.15.0 import's, one blob: audit24)"))
reading("kernel.msi.activate-early-call",
        "With MSI_FLAG_ACTIVATE_EARLY (msi_activate_early first/all) an MSI irq's first activation is a call of "
        "irq_domain_activate_irq at allocation (msi_init_virq from 6.2; the activation loop of "
        "msi_domain_alloc_irqs before), so a faults: entry or a call breakpoint on that program meets it there, "
        "not at request_irq. A failed activation fails the allocation with its own error: the activated irqs are "
        "deactivated, every irq of the device freed, and the error returned (not msi_handle_pci_fail's count). "
        "The model activated inline at allocation: the fault fired at request_irq. Not modelled: before 6.2 all "
        "irqs are allocated before the first activation (the model interleaves them per descriptor, as 6.2+).",
        source=ACTIVATE_EARLY_CALL, module=M,
        quote="ret = msi_init_virq(domain, virq + i, vflags); if (ret) return ret; ... if (ret) "
        "msi_domain_free_locked(dev, ctrl); return ret; / (4.16.13:) ret = irq_domain_activate_irq(irq_data, "
        "can_reserve); if (ret) goto cleanup; ... msi_domain_free_irqs(domain, dev); return ret;")
reading("kernel.vector.legacy-alloc-first-cpu",
        "Before 4.15 an MSI gets its vector when it is allocated (x86_vector_alloc_irqs -> "
        "assign_irq_vector_policy): no info->mask for PCI/MSI, so the node's CPUs, then the online CPUs; "
        "__assign_irq_vector starts at the first online CPU of the mask, so every MSI starts on CPU0 whatever "
        "its affinity, and request_irq's affinity setup moves it.", source=LEGACY_VECTOR, module=M,
        quote="if (info && info->mask) return assign_irq_vector(irq, data, info->mask, irqdata); if (node != "
        "NUMA_NO_NODE && assign_irq_vector(irq, data, cpumask_of_node(node), irqdata) == 0) return 0; return "
        "assign_irq_vector(irq, data, apic->target_cpus(), irqdata); ... cpu = cpumask_first_and(mask, "
        "cpu_online_mask);")
reading("kernel.vector.legacy-stride",
        "__assign_irq_vector searches from a static cursor (current_vector, current_offset), 0x21 and 1 at "
        "boot, adding 16; past the last device vector (0xee) it takes the next offset and restarts at 0x20 + "
        "offset; it skips used_vectors (0x20, 0x80) and vectors the CPU's vector_irq already maps.",
        source=LEGACY_VECTOR, module=M,
        quote="vector += 16; if (vector >= FIRST_SYSTEM_VECTOR) { offset = (offset + 1) % 16; vector = "
        "FIRST_EXTERNAL_VECTOR + offset; } if (unlikely(current_vector == vector)) goto next_cpu; if "
        "(test_bit(vector, used_vectors)) goto next;")
reading("kernel.vector.legacy-ebusy-first",
        "Before 4.15 a new assignment fails with -EBUSY while a move is in progress or its old vector awaits "
        "the cleanup IPI on an online CPU, before the check that the irq is already where it is asked to be.",
        source=LEGACY_VECTOR, module=M,
        quote="if (d->move_in_progress || cpumask_intersects(d->old_domain, cpu_online_mask)) return -EBUSY;")
#: lowprio25: apic_flat's half of the legacy allocator and its messages, read in the stored 4.13.9 tree
LEGACY_FLAT = (Source(L, "v4.13.9", "arch/x86/kernel/apic/vector.c + apic.c + apic_flat_64.c + msi.c "
                      "+ arch/x86/include/asm/apic.h",
                      "__assign_irq_vector (vector_searchmask = domain & online; cpumask_equal(vector_cpumask, "
                      "d->domain): goto success) / flat_vector_allocation_domain (APIC_ALL_CPUS) / "
                      "flat_cpu_mask_to_apicid (the OR of the mask's bits, also the effective affinity) / "
                      "irq_msi_compose_msg (dest_LowestPrio: MSI_ADDR_REDIRECTION_LOWPRI, MSI_DATA_DELIVERY_LOWPRI)",
                      f"4.5..4.14 with apic_flat ({_TREE_4139})"),)
reading("kernel.vector.legacy-flat-not-modelled",
        "A 64-bit 4.14 kernel without x2APIC uses physflat only with more than 8 possible CPUs (or the FADT "
        "physical-destination flag); otherwise apic_flat, whose allocation domain is every CPU "
        "(APIC_ALL_CPUS) with logical lowest-priority delivery. msidbg models the physflat case, and apic_flat "
        "only where the scenario names the platform's lowest-priority pick (platform.lowest_priority; the key's "
        "name predates that). (lowprio25, read in 4.13.9; vector.py _flat_assign) The first assignment searches a vector free "
        "in the vector_irq of every *online* CPU (vector_searchmask = APIC_ALL_CPUS & cpu_online_mask) and "
        "maps it on each of them (a CPU brought up later gets the slot from __setup_vector_irq: the domain "
        "holds it); the destination is the OR of the logical bits of mask & online (flat_cpu_mask_to_apicid, "
        "which also sets the effective affinity -- so migrate_one_irq's irq_needs_fixup moves every irq whose "
        "destination names the dying CPU); the message carries DM logical, RH 1 and Delivery Mode 001 "
        "(apic->irq_delivery_mode = dest_LowestPrio), so the chipset picks one CPU of the destination per "
        "message (reading bus.lowest-priority). Every later assignment finds vector_cpumask equal to "
        "d->domain and goes to success: only the destination changes -- no move_in_progress, no old_domain, "
        "so no cleanup IPI and no -EBUSY, and a move never changes the vector.",
        source=(LEGACY_APIC,) + LEGACY_FLAT,
        module=M,
        quote="if (apic == &apic_physflat || num_possible_cpus() > 8) return 1; ... cpumask_bits(retmask)[0] = "
        "APIC_ALL_CPUS; ... cpumask_and(vector_searchmask, vector_cpumask, cpu_online_mask); ... if "
        "(cpumask_equal(vector_cpumask, d->domain)) goto success; ... *apicid = (unsigned int)cpu_mask; "
        "cpumask_bits(effmsk)[0] = cpu_mask; ... .irq_delivery_mode = dest_LowestPrio,")

reading("kernel.edge.inprogress-pending",
        "An edge whose handle_edge_irq finds the irq's action running on another CPU (IRQD_IRQ_INPROGRESS) "
        "is not handled there: IRQS_PENDING is set, mask_ack_irq masks the irq (for PCI MSI/MSI-X the "
        "chip's mask write) and acks it (apic_ack_edge: move completion, EOI), and the CPU in the action "
        "loops: it unmasks the irq and runs the action once more. The model's action is the handle step; "
        "the CPU is in it until that step's cost has passed.",
        source=EDGE_PENDING,
        quote="if (!irq_may_run(desc)) { desc->istate |= IRQS_PENDING; mask_ack_irq(desc); goto out_unlock; }",
        module=M + ".entry")

#: 8d39d6ec4db5 (6.17): irq_can_handle_pm's busy wait for the new affinity target (read in its tip-bot2 mail of
#: 2025-07-22 and the '[patch 4/4]' posting; irq_wait_on_inprogress from 4e879dedd571 of the same series)
EDGE_WAIT_NEW_TARGET = Source(L, "8d39d6ec4db5", "kernel/irq/chip.c", "irq_can_handle_pm (single-target "
                              "handle_edge_irq irq, cpumask_first(effective affinity) == this CPU: "
                              "irq_wait_on_inprogress)", "6.17.. (kernel.edge_wait_new_target)")
reading("kernel.edge.wait-new-target",
        "From 8d39d6ec4db5 (6.17) an edge that finds IRQD_IRQ_INPROGRESS on a CPU that is the irq's effective "
        "affinity target (the first CPU of the effective mask) is not made IRQS_PENDING when the irq is single "
        "target and its flow handler handle_edge_irq (the x86 vector domain's irqs; not Xen's event-channel irqs, "
        "which never set IRQD_SINGLE_TARGET): irq_wait_on_inprogress drops desc->lock, spins until the old CPU's "
        "handle_irq_event has cleared the flag under the lock, takes the lock back and goes on if the irq is "
        "still enabled with an action -- this CPU acks and runs the action, the old CPU's loop finds nothing "
        "pending. No mask write, no second run on the old CPU. Before it (kernel.edge.inprogress-pending) the new "
        "target set IRQS_PENDING and masked, and a device firing faster than the action kept the old CPU looping.",
        source=(EDGE_WAIT_NEW_TARGET,) + EDGE_PENDING,
        quote="aff = irq_data_get_effective_affinity_mask(irqd); if (cpumask_first(aff) != smp_processor_id()) "
        "return false; return irq_wait_on_inprogress(desc);",
        module=M + ".entry")

reading("kernel.edge.xen-pirq-pending",
        "A Xen guest's MSI pirq runs the same handle_edge_irq (xen_bind_pirq_msi_to_irq): an event that "
        "reaches a vCPU while the irq's action runs on another (the port was rebound meanwhile) sets "
        "IRQS_PENDING and runs mask_ack_pirq -- the event channel's mask, then eoi_pirq (clear_evtchn, "
        "PHYSDEVOP_eoi) -- with no action; the vCPU in the action unmasks the port (enable_dynirq) and "
        "runs the action again for the events it cleared.",
        source=(*EDGE_PENDING, XEN_PIRQ_EDGE),
        quote="static void mask_ack_pirq(struct irq_data *data) { disable_dynirq(data); eoi_pirq(data); } ... "
              ".irq_mask_ack = mask_ack_pirq,",
        module="msidbg.model.kernel.xen_events")


reading("kernel.irq.disable-lazy",
        "disable_irq on an x86 PCI-MSI/MSI-X irq only marks it IRQD_IRQ_DISABLED: the chip has no irq_disable, "
        "so nothing is written to the device unless the driver set IRQ_DISABLE_UNLAZY (the scenario's "
        "unlazy: true); the first edge that arrives meanwhile is masked by handle_edge_irq (mask_ack_irq) and "
        "left IRQS_PENDING. The Xen pirq chip has irq_disable (disable_pirq): its port is masked at once.",
        source=(IRQ_DISABLE, EDGE_DISABLED, XEN_RETRIGGER),
        quote="if (desc->irq_data.chip->irq_disable) { desc->irq_data.chip->irq_disable(&desc->irq_data); "
              "irq_state_set_masked(desc); } else if (mask) { mask_irq(desc); }",
        module=M + ".disable")

reading("kernel.irq.resend-one-bit",
        "IRQS_PENDING is one bit: every edge that reached handle_edge_irq while the irq was disabled is replayed by "
        "one retrigger when enable_irq (or a later request_irq's irq_startup) runs check_irq_resend; the handler "
        "runs once for all of them.",
        source=(EDGE_DISABLED, RESEND, ENABLE_IRQ),
        quote="desc->istate &= ~IRQS_PENDING; if (!try_retrigger(desc)) err = irq_sw_resend(desc); "
              "if (!err) desc->istate |= IRQS_REPLAY;",
        module=M + ".disable")

reading("kernel.irq.resend-hardware-first",
        "No version boundary for x86 MSI: check_irq_resend has called chip->irq_retrigger first since before 3.0 "
        "(\"if (!desc->irq_data.chip->irq_retrigger || !desc->irq_data.chip->irq_retrigger(&desc->irq_data))\" "
        "then the CONFIG_HARDIRQS_SW_RESEND tasklet), and the x86 MSI chips always had one ending in the vector "
        "domain's IPI. 5.10's try_retrigger only added the hierarchy walk for chips without their own.",
        source=(RESEND, APIC_RETRIGGER),
        quote="static int try_retrigger(struct irq_desc *desc) { if (desc->irq_data.chip->irq_retrigger) return "
              "desc->irq_data.chip->irq_retrigger(&desc->irq_data);",
        module=M + ".disable")

reading("kernel.xen.enable-pirq-startup",
        "Before 4.13 enable_pirq (xen_pirq_chip's irq_enable, run by enable_irq) called startup_pirq, whose tail "
        "for a bound port is unmask_evtchn then eoi_pirq (clear_evtchn, PHYSDEVOP_eoi if needed): an event left "
        "pending on the port while the irq was disabled signals the upcall and is cleared before it runs -- lost "
        "(kernel.xen_enable_pirq_startup, the startup_pirq program from its unmask step); from 4.13 enable_pirq is "
        "enable_dynirq, the unmask alone, which delivers it. Read in release trees (audit14): 4.4.0 and 4.12.0 have "
        "startup_pirq, 4.13.4, 4.15.1 and 4.16.13 enable_dynirq (also a 4.11-rc2 tree, redteam15; a 5.2 tree and "
        "5.12's, audit13). The commit itself was not found.",
        source=Source(L, "v4.12", "drivers/xen/events/events_base.c", "enable_pirq -> startup_pirq / "
                      "__startup_pirq (out: unmask_evtchn, eoi_pirq) / eoi_pirq (clear_evtchn)",
                      "..4.12 (read in a 4.12.0 copy, jason50123/linux-4.12)"),
        quote="static void enable_pirq(struct irq_data *data) { startup_pirq(data); } ... if (VALID_EVTCHN(evtchn)) "
              "goto out; ... out: unmask_evtchn(evtchn); eoi_pirq(irq_get_irq_data(irq)); ... clear_evtchn(evtchn);",
        module="msidbg.model.kernel.xen_events")

reading("kernel.irq.pending-replayed-at-request",
        "An edge that reaches an activated irq before request_irq (or after free_irq shut it down) finds it "
        "disabled and without an action: handle_edge_irq leaves it IRQS_PENDING, which neither irq_shutdown nor "
        "__setup_irq clears, and request_irq's irq_startup(IRQ_RESEND) replays it to the new action.",
        source=(EDGE_DISABLED, SETUP_IRQ, RESEND),
        quote="desc->istate &= ~(IRQS_AUTODETECT | IRQS_SPURIOUS_DISABLED | IRQS_ONESHOT | IRQS_WAITING); ... "
              "irq_startup(desc, IRQ_RESEND, IRQ_START_COND);",
        module=M + ".disable")

reading("kernel.lock.disable-irq",
        "disable_irq() and disable_irq_nosync() take desc->lock with interrupts off (irq_get_desc_buslock: "
        "chip_bus_lock, then raw_spin_lock_irqsave) around __disable_irq -- the chip's mask or irq_disable "
        "included -- and drop it before synchronize_irq: a flow handler (handle_edge_irq, handle_fasteoi_irq) or "
        "try_one_irq on another CPU spins on the lock meanwhile. enable_irq() holds it the same way around "
        "__enable_irq (irq_startup: the unmask and check_irq_resend's retrigger). The same in every release read "
        "(4.x irq_get_desc_buslock, 6.x scoped_irqdesc_get_and_buslock).", source=(DISABLE_IRQ, ENABLE_IRQ), module=M,
        quote="struct irq_desc *desc = irq_get_desc_buslock(irq, &flags, IRQ_GET_DESC_CHECK_GLOBAL); if (!desc) "
        "return -EINVAL; __disable_irq(desc); irq_put_desc_busunlock(desc, flags);")
reading("kernel.lock.try-one-irq",
        "try_one_irq() (poll_spurious_irqs, and misrouted_irq under irqfixup) takes raw_spin_lock(&desc->lock) "
        "before it looks at the irq: a CPU polling a spurious-disabled irq spins, interrupts off, while another "
        "CPU holds the lock (its flow handler, irq_set_affinity's chip call, disable_irq's irqsave section). "
        "handle_irq_event drops the lock around the actions. A flow handler on another CPU that finds the irq "
        "polled (IRQS_POLL_INPROGRESS) waits in irq_wait_for_poll until the poll is done, then runs the actions "
        "unless the irq is disabled or has none (kernleads; handle_fasteoi_irq: only shared INTx irqs are polled). "
        "audit21: the quote was the 2.6.39-era copy's (009b4c3b8ad5: 'irqreturn_t ret = IRQ_NONE; ... "
        "raw_spin_lock(&desc->lock);'), not the cited 08c51f5bddc8, which takes the same lock for the whole "
        "function with guard(raw_spinlock): the behaviour is the same.",
        source=SPURIOUS_POLL, module=M,
        quote="static bool try_one_irq(struct irq_desc *desc, bool force) { struct irqaction *action; bool ret = "
        "false; guard(raw_spinlock)(&desc->lock);")

reading("kernel.vector.global-reservation",
        "A non-managed irq's reservation (reserve_irq_vector_locked at allocation and at deactivation) is a count, "
        "global_reserved: irq_matrix_reserve increments it and warns 'Interrupt reservation exceeds available "
        "resources' when it equalled global_available (the free device vectors of the online CPUs) before the "
        "increment; activate_reserved's irq_matrix_alloc(m, dest, resvd=true) and irq_matrix_remove_reserved "
        "(freeing an irq still reserved) decrement it. No allocation consults it: activation fails only when no "
        "CPU has a free vector, and lapic_can_unplug_cpu refuses only on its allocated-vs-available check -- "
        "after passing it, 'Reserved vectors %u > available %u. IRQ request may fail' is a warning and the "
        "offline goes on. The model keeps the count in kernel.vec_rsvd (matrix worlds) and the two warnings as "
        "notes.", source=MATRIX_RESERVE, module=M,
        quote="if (m->global_reserved == m->global_available) pr_warn(\"Interrupt reservation exceeds available "
        "resources\\n\"); m->global_reserved++; ... if (reserved) m->global_reserved--; ... rsvd = "
        "irq_matrix_reserved(vector_matrix); if (avl < rsvd) { pr_warn(\"Reserved vectors %u > available %u. IRQ "
        "request may fail\\n\", rsvd, avl);")

reading("kernel.xen.startup-clear-before-remote-upcall",
        "startup_pirq's tail (enable_pirq before 4.13, or request_irq) for a port that is pending and bound to "
        "another vCPU: unmask_evtchn is EVTCHNOP_unmask on both ABIs, whose Xen side links / marks the event and "
        "kicks the port's vCPU (vcpu_mark_events_pending: hvm_assert_evtchn_irq, or vcpu_kick -- vcpu_unblock of a "
        "halted vCPU, else VCPU_KICK_SOFTIRQ to the pCPU it runs on) and returns; eoi_pirq's clear_evtchn is the "
        "caller's next store. The kicked vCPU is given the upcall only at its next VM entry (vmx_intr_assist on "
        "the vmentry path; a PV vCPU's callback on its return to guest mode), after its exit or wake-up, so the "
        "caller's clear is there before it and the upcall finds the port no longer pending: the events are lost "
        "and no handler runs (as heldout_xen19 xt23 / heldout_xen25 v25 predicted). The kick is reading "
        "xen.evtchn.remote-kick (xen29: one mechanism for every EVTCHNOP_unmask of another vCPU's port).",
        source=(Source(L, "v4.12", "drivers/xen/events/events_base.c", "__startup_pirq (out: unmask_evtchn; "
                       "eoi_pirq) / eoi_pirq (clear_evtchn)", "all for request_irq's startup (the same 'out:' tail -- "
                       "do_unmask(info, EVT_MASK_REASON_EXPLICIT), then eoi_pirq / do_eoi_pirq -- in the later "
                       "diffs read, audit23); enable_pirq reaches it ..4.12 (kernel.xen_enable_pirq_startup)"),
                Source("xen-project/xen", "RELEASE-4.10.0", "xen/common/event_fifo.c + xen/arch/x86/domain.c + "
                       "xen/arch/x86/hvm/vmx/entry.S", "evtchn_fifo_unmask -> evtchn_fifo_set_pending -> "
                       "vcpu_mark_events_pending -> vcpu_kick; .Lvmx_do_vmentry: call vmx_intr_assist", "4.4..")),
        quote="out: unmask_evtchn(evtchn); eoi_pirq(irq_get_irq_data(irq)); ... vcpu_unblock(v); if ( running && "
              "(in_irq() || (v != current)) ) cpu_raise_softirq(v->processor, VCPU_KICK_SOFTIRQ);",
        module="msidbg.model.kernel.xen_events")
