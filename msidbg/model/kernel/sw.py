"""The kernel's behaviour switches, as the model reads them.

The scenario layer resolves ``kernel.version`` and explicit switches into the plain table the
world carries as ``w.behaviour`` (``{switch: value}``); kernel programs read a switch only
through :func:`sw`, never a version string. ``CURRENT`` is the current-upstream value of each
kernel switch, for a world built by hand without the table (a test checks it matches the
table's defaults); the rows in ``msidbg/behaviour/kernel.py`` say which release changed what.
"""

from __future__ import annotations

from typing import Any

#: current upstream (the value a scenario without ``kernel.version`` gets)
CURRENT: dict[str, Any] = {
    "msix_mask_all": "late",
    "xen_hvm_msi_ignore_mask": True,
    "xen_reuse_cached_pirq": False,
    "msi_affinity_update": "can-reserve",
    "affinity_before_startup": True,
    "msix_masked_update": True,
    "msix_enable_first": True,
    "msix_error_clears_maskall": True,
    "msix_ctrl_read_can_mask": True,
    "msix_mask_all_ignore_mask": True,
    "msix_vector_ctrl_ignore_mask": True,
    "msi_update_mask_can_mask": True,
    "affinity_on_activate": True,
    "vector_cleanup": "timer",
    "posted_msi_vector": True,
    "local_timer_vector": "0xec",
    "msix_restore_per_entry": True,
    "msix_restore_mask_bit_only": True,
    "pm_thaw_restores": True,
    "hotplug_force_complete": "involved",
    "xen_fifo_events": True,
    "xen_fifo_dead_cpu_drain": True,
    "proc_affinity_result": True,
    "affinity_busy_pending": True,
    "affinity_online_filter": True,
    "proc_offline_mask": "einval",
    "msi_activate_early": "all",
    "affinity_usr_errno": "EPERM",
    "cpu0_hotplug": False,
    "apic_flat_logical": False,
    "spurious_vector_eoi": False,
    "spurious_apic_entry": "sysvec",
    "msi_descs_lock": "mutex",
    "msi_enabled_early": True,
    "msi_enable_twice_einval": True,
    "pci_irq_vector_msi": "virq",
    "edge_wait_new_target": True,
    "vector_shutdown_slot": True,
    "vector_allocator": "matrix",
    "move_busy_rearm": True,
    "hotplug_migration": "generic",
    "xen_affinity_target": "least-loaded",
    "xen_affinity_immediate": True,
    "xen_eoi_clear_first": True,
    "xen_pirq_eoi_map": True,
    "xen_enable_pirq_startup": False,
    "managed_spread": True,
    "setup_affinity_result": True,
    "hint_sets_affinity": True,
    "free_irq_deactivate": "delayed",
    "free_msi_busy": "frees",
    "xen_percpu_upcall": True,
    "startup_reactivates": False,
    "msix_avail_retry": False,
    "msi_set_affinity_name": "x86",
    "amd_irte_cmpxchg": True,
    "managed_disable_depth": True,
    "nvme_irq_layout": "pre-vector",
    "nvme_queue_cpus": "present",
    "affinity_spread_cpus": "present",
    "ioapic_move_keeps_masked": True,
    "note_interrupt_counts": "unhandled",
    "sync_irq_chip_state": True,
    "unplug_excludes_managed": True,
    "cpu_disable_apic": "soft-after",
    "dying_irqs_off": "do-idle",
    "affinity_broken_warning": True,
    "bound_probe": "EBUSY",
    "irqfixup": "none",
    "guest_tick": "nohz_idle",
    "preempt": "full",
    "pciback_cmd_emulated": True,
    "pciback_msi_enabled_check": True,
    "xen_pirq_msi_extint": True,
}


def sw_w(w: Any, name: str) -> Any:
    """The value of kernel switch ``name`` in world ``w`` (a world record, or a plain dict world:
    the debugger's and the tests' copies)."""
    table = w.get("behaviour") if type(w) is dict else w.behaviour
    if table is not None and name in table:
        return table[name]
    return CURRENT[name]


def sw(k: Any, name: str) -> Any:
    """:func:`sw_w` for an execution context."""
    return sw_w(k.w, name)
