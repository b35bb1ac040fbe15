"""Kernel behaviour rows (``kernel.<name>`` in a scenario; ``kernel.version`` selects a release).

Releases were checked as follows (``unconfirmed`` on a Change lists what was not):
- the 2021 series (438553958ba1, 7d5ec3d36123, da181dc974ad, b9255a7cb517, 826da771291f,
  ff363f480e59) is the tip tag ``irq-urgent-2021-08-15``, merged for 5.14-rc6;
- 83dbf898a2d4 is in the 5.15.11 stable release (its announcement's shortlog, 2021-12-22), so in
  mainline 5.16 (tip irq/urgent, 2021-12-14);
- 6f1a4891a592 reached tip x86/urgent on 2020-02-01, after 5.5 was released: 5.6;
- 7e0815b3e099 was written after the 2022-04-27 mail of seed 000 and is in the 5.15.38-rc1
  stable review (2022-05-04), so mainline 5.18 (released 2022-05-22).
Stable backports not listed were not checked (most of these commits carry ``Cc: stable``).
"""

from __future__ import annotations

from msidbg.behaviour import Change, Switch

BOOL = (False, True)

ROWS: tuple[Switch, ...] = (
    Switch(
        "msix_mask_all", "kernel", ("early", "late"), "late",
        "where msix_capability_init() masks every MSI-X entry: before the irqs are set up (early) "
        "or on the success path after them (late)",
        initial="early", initial_confirmed=False,
        initial_note="before 5.14 msix_capability_init() set the irqs up with MSI-X disabled and masked "
        "the used entries in msix_program_entries() before clearing the function mask; that order is "
        "not modelled, early is the closest (masks before any entry is live)",
        history=(
            Change("5.14", "early", "7d5ec3d36123 PCI/MSI: Mask all unused MSI-X entries "
                   "(with 438553958ba1 PCI/MSI: Enable and mask MSI-X early)"),
            Change("5.16", "late", "83dbf898a2d4 PCI/MSI: Mask MSI-X vectors only on success",
                   backports=("5.15.11",)),
        ),
    ),
    Switch(
        "xen_hvm_msi_ignore_mask", "kernel", BOOL, True,
        "an HVM guest using pirqs sets pci_msi_ignore_mask: every PCI/MSI mask write is a no-op",
        initial=False, kinds=("xen-hvm",),
        history=(
            Change("5.18", True, "7e0815b3e099 x86/pci/xen: Disable PCI/MSI[-X] masking for XEN_HVM guests",
                   backports=("5.15.38",)),
        ),
    ),
    Switch(
        "xen_reuse_cached_pirq", "kernel", BOOL, False,
        "xen_hvm_setup_msi_irqs() re-uses the pirq it reads back from the entry when the guest "
        "still has an irq for it (af42b8d12f8a)",
        initial=True, kinds=("xen-hvm",),
        initial_note="af42b8d12f8a xen: fix MSI setup and teardown for PV on HVM guests (2010, 2.6.37 era)",
        history=(
            Change("4.11", False, "c74fd80f2f41 xen: do not re-use pirq number cached in pci device msi msg "
                   "data (the 2017 revert, seed 002)", unconfirmed=("4.11",),
                   note="posted 2017-01; its stable backports came with the 4.11-rc fixes of March 2017, "
                   "so 4.11 rather than 4.10 (not checked in a release)"),
        ),
    ),
    Switch(
        "msi_affinity_update", "kernel", ("plug-race", "plain"), "plug-race",
        "how msi_set_affinity() updates a non-maskable, non-remapped MSI: the careful two-step "
        "update of 6f1a4891a592 (plug-race) or address and data as they come (plain)",
        initial="plain",
        history=(
            Change("5.6", "plug-race", "6f1a4891a592 x86/apic/msi: Plug non-maskable MSI affinity race",
                   note="tip x86/urgent 2020-02-01, after 5.5 (2020-01-26): the 5.6 merge window; not in 4.14 "
                   "(tglx on stable)"),
        ),
    ),
    Switch(
        "affinity_before_startup", "kernel", BOOL, True,
        "request_irq() applies the affinity before irq_startup() unmasks the irq (IRQCHIP_AFFINITY_PRE_STARTUP)",
        initial=False,
        history=(
            Change("5.14", True, "826da771291f genirq: Provide IRQCHIP_AFFINITY_PRE_STARTUP + "
                   "ff363f480e59 x86/msi: Force affinity setup before startup"),
        ),
    ),
    Switch(
        "msix_masked_update", "kernel", BOOL, True,
        "__pci_write_msi_msg() masks an unmasked MSI-X entry, writes it, and restores the mask",
        initial=False,
        history=(
            Change("5.14", True, "da181dc974ad PCI/MSI: Enforce MSI-X table entry masking for update"),
        ),
    ),
)
