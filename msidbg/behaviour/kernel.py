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

fid-kernel checked these stable releases in their announcements (shortlogs on the stable list):
- 5.4.142 and 5.10.60 (2021-08-18) carry the whole 2021 series (438553958ba1, 7d5ec3d36123,
  da181dc974ad, 826da771291f, ff363f480e59, ...); so does 5.13.12, the same day's release (its
  stable-queue series, redteam12);
- 5.15.11 carries 83dbf898a2d4 and 94185adbfad5;
- 4.19.103 (2020-02-11) carries 6f1a4891a592;
- 4.19.316-rc1 carries a6c11c0a5235 (the other stable series of June 2024 were not checked);
- 6.1.66-rc1 carries b56ebe7c896d (the 6.5 review of 2023-11-24 too; its release number, and
  6.6's, not checked);
- bdc1dad299bb is in the x86/apic pull for 6.6-rc1; a6c11c0a5235 in irq-urgent-2024-05-25 (6.10-rc1);
  9c8e9c9681a0 in the 5.16 merge window; ef8dd01538ea in the pull "irq/msi for v5.17-rc1".

auditkern (2026-12-01) read, for the releases and backports it marks confirmed:
- gregkh's stable-queue (a GitHub mirror, AnggaR96s/stable-queue): each releases/X.Y.Z/*.patch names
  "commit <hash> upstream", and releases/X.Y.Z/series lists a release's patches. A backport into X.Y.z
  means X.Y lacked the commit; stable takes only commits already in Linus' tree, so a backport released
  before mainline X.Y+1 dates the commit into X.Y+1;
- the stable announcements ("Linux X.Y.Z", Greg KH / Sasha Levin) and -rt announcements, whose shortlog
  names each commit of the release;
- tip post-receive logs, tglx's "[GIT pull] ... for vX.Y-rc1" mails and the pr-tracker-bot replies naming
  the merge commit in torvalds/linux (a pull merged in the merge window after vX.Y-1 ships in vX.Y).
The dates used: 4.9.9 2017-02-09, 4.10 2017-02-19 (elrepo kernel-ml changelog); 4.17.3 by 2018-07-07
(FedBerry's kernel changelog), 4.18 2018-08-12.

auditkern2 (2026-12-01) read, for the releases it marks confirmed or moves:
- git.zx2c4.com's cgit mirror of Linus' tree (linux-dev): a commit page gives the author and committer dates
  and the parents; a merge by Linus gives the pull's shortlog; a path log ("Age" is the committer date)
  orders a file's commits. A commit committed after vX.Y was tagged is not in vX.Y; Linus' merge of the
  pull carrying it, dated inside the merge window after vX.Y, puts it in vX.Y+1;
- gregkh's stable-queue (AnggaR96s/stable-queue) releases/X.Y.Z/*.patch ("commit <hash> upstream"), as
  auditkern did.
Release dates used: 3.19 2015-02-08, 4.0 2015-04-12, 4.7 2016-07-24, 4.8-rc1 2016-08-07, 4.12-rc6
2017-06-18, 4.12 2017-07-02, 4.14 2017-11-12, 4.19 2018-10-22, 5.16 2022-01-09.
"""

from __future__ import annotations

from msidbg.behaviour import Change, Switch

BOOL = (False, True)
XEN_2020 = ("the tip post-receive log of 2020-12-16 (after v5.10, 2020-12-13) puts 88f0a9d06644 and 1ca1b4e2c0cb "
            "in irq/core 3c41e57a1e16..64a1b95bb9fe; tglx's pull irq-core-2020-12-23 ('irq/core for v5.11-rc1', "
            "tracked commit 64a1b95bb9fe) was merged into torvalds/linux as 3913d00ac51a on 2020-12-24 "
            "(pr-tracker-bot), before v5.11-rc1; 5.10-stable never took 88f0a9d06644 (it is a missing dependency "
            "in Greg's 2024-02-19 'does not apply to the 5.10-stable tree' mail)")
SERIES_2021 = ("stable: 5.4.142 and 5.10.60 checked (the whole series, 2021-08-18); 5.13.12 of the same day: "
               "stable-queue releases/5.13.12/series lists genirq-provide-irqchip_affinity_pre_startup, "
               "x86-msi-force-affinity-setup-before-startup, pci-msi-enable-and-mask-msi-x-early, "
               "pci-msi-mask-all-unused-msi-x-entries and pci-msi-enforce-that-msi-x-table-entry-is-masked-for-update "
               "(redteam12)")
#: the PCI/MSI part of the 2021 series (438553958ba1, 7d5ec3d36123, da181dc974ad, b9255a7cb517, ...) also went to
#: the older stable series on 2021-08-26 -- without 826da771291f/ff363f480e59 except in 4.19.205
PCI_MSI_2021 = ("5.4.142", "5.10.60", "5.13.12", "4.4.282", "4.9.281", "4.14.245", "4.19.205")
SERIES_2021_PCI = (SERIES_2021 + "; the 'Linux 4.4.282', '4.9.281', '4.14.245' and '4.19.205' announcements (2021-08-26) "
                   "list the eight PCI/MSI patches of the series")
#: 83dbf898a2d4 and 94185adbfad5 went to the stable series on 2021-12-22 (the 'Linux 5.10.88', '5.4.168',
#: '4.19.222', '4.14.259' announcements list both; 'Linux 4.9.294' only 94185adbfad5)
DEC_2021 = ("the 'Linux 5.10.88', '5.4.168', '4.19.222' and '4.14.259' announcements (2021-12-22) list it; "
            "5.15.11 from its announcement's shortlog")

ROWS: tuple[Switch, ...] = (
    Switch(
        "guest_tick", "kernel", ("nohz_idle", "hz100", "hz250", "hz300", "hz1000"), "nohz_idle",
        "the guest kernel's timer tick on an idle vCPU (xentick26). nohz_idle: CONFIG_NO_HZ_IDLE (x86_64_defconfig's "
        "CONFIG_NO_HZ=y selects it: kernel/time/Kconfig 'default NO_HZ_IDLE if NO_HZ'): an idle CPU stops its "
        "tick (tick_nohz_idle_stop_tick) and sleeps until its next timer, which msidbg does not represent, so "
        "an idle vCPU is not woken by time. hzN: CONFIG_HZ_PERIODIC or nohz=off with CONFIG_HZ=N: every CPU "
        "takes a tick each 1/N s, idle or not (the ticks at multiples of 1/N s of the run's clock, every CPU "
        "at once: skew_tick=0). On xen-hvm a tick to a halted vCPU wakes it (vlapic_set_irq or the VIRQ_TIMER "
        "upcall -> vcpu_kick -> vcpu_unblock -> schedule-in -> hvm_do_resume); only ticks that can apply an "
        "armed msix_unmask_address are represented (the handler itself has no modelled effect)",
        initial="nohz_idle", kinds=("xen-hvm",), scoped=True,
        initial_note="a configuration, not a release's: HZ_PERIODIC, NO_HZ_IDLE and nohz=off exist in every "
                     "modelled kernel (kernel/time/Kconfig, tick-sched.c setup_tick_nohz 'nohz=off')",
    ),
    Switch(
        "preempt", "kernel", ("full", "none"), "full",
        "the guest kernel's preemption model (kernel/Kconfig.preempt), as far as it decides when a woken "
        "higher-priority task -- stop_machine's stopper thread (migration/N, the stop class) of a cpu_offline -- "
        "takes a CPU from a scenario action's task running kernel code. full: CONFIG_PREEMPT=y (also "
        "CONFIG_PREEMPT_DYNAMIC booted with preempt=full; from 6.13 PREEMPT_LAZY, whose lazy reschedule is the fair "
        "class's only: a stop-class wake-up is resched_curr): the wake-up's reschedule IPI returns through "
        "irqentry_exit -> irqentry_exit_cond_resched -> preempt_schedule_irq, so the task is preempted at its next "
        "step outside an irqsave / spinlock section. none: CONFIG_PREEMPT_NONE (Kconfig's default choice): "
        "TIF_NEED_RESCHED is only acted on where the task schedules -- it sleeps (a mutex it finds held, a "
        "driver's wait) or returns to user space at the action's end (exit_to_user_mode_loop) -- so the stopper "
        "waits for that, as for a CPU in hardirq (cond_resched() points inside the modelled kernel paths are not "
        "represented). CONFIG_PREEMPT_VOLUNTARY (x86_64_defconfig's choice) adds might_resched() at every "
        "might_sleep() (a GFP_KERNEL allocation, mutex_lock's entry, ioremap): it is not modelled -- neither value "
        "is it (reading kernel.hotplug.stopper-preempt)",
        initial="full", sparse=True,
        initial_note="a configuration, not a release's: PREEMPT_NONE and PREEMPT exist in every modelled kernel "
                     "(kernel/Kconfig.preempt); full is msidbg's behaviour before the row (revision 18)",
    ),
    Switch(
        "msix_mask_all", "kernel", ("early", "late"), "late",
        "where msix_capability_init() masks every MSI-X entry: before the irqs are set up (early) "
        "or on the success path after them (late)",
        initial="early",
        initial_note="there is no msix_mask_all() before 5.14: msix_capability_init() set the irqs up with "
        "MSI-X disabled and masked the used entries in msix_program_entries() (msix_enable_first: false, "
        "which this switch then does not affect)",
        history=(
            Change("5.14", "early", "7d5ec3d36123 PCI/MSI: Mask all unused MSI-X entries "
                   "(with 438553958ba1 PCI/MSI: Enable and mask MSI-X early)",
                   backports=PCI_MSI_2021, note=SERIES_2021_PCI),
            Change("5.16", "late", "83dbf898a2d4 PCI/MSI: Mask MSI-X vectors only on success",
                   backports=("5.15.11", "5.10.88", "5.4.168", "4.19.222", "4.14.259"),
                   note=DEC_2021 + "; not in 4.9.294 (its announcement lists only 94185adbfad5), so 4.9.281+ "
                   "keeps the early mask"),
        ),
    ),
    Switch(
        "msix_mask_all_ignore_mask", "kernel", BOOL, True,
        "msix_mask_all() writes nothing under pci_msi_ignore_mask (1a519dc7a73c); without that check a Xen PV "
        "guest, which has no write access to the MSI-X table, oopses on its first write there",
        initial=True, kinds=("xen-pv",), scoped=True,
        initial_note="there is no msix_mask_all() before 7d5ec3d36123: nothing to skip",
        history=(
            Change("5.14", False, "7d5ec3d36123 PCI/MSI: Mask all unused MSI-X entries (msix_mask_all without a "
                   "pci_msi_ignore_mask check)", backports=PCI_MSI_2021, note=SERIES_2021_PCI),
            Change("5.14", True, "1a519dc7a73c PCI/MSI: Skip masking MSI-X on Xen PV",
                   backports=("4.4.284", "4.9.283", "4.14.247", "4.19.207", "5.4.148", "5.10.67", "5.13.19"),
                   note="audit17: tip irq/urgent 2021-08-27 (kernel test robot's BUILD SUCCESS for 1a519dc7a73c), in "
                   "torvalds/linux's revlist with the net-5.14-rc8 and nfsd-5.14-1 merges, so in v5.14 with "
                   "7d5ec3d36123: no mainline release lacks it. Stable (Fixes: 7d5ec3d36123, Cc: stable): "
                   "'[PATCH 5.10 011/306]' and '[PATCH 5.13 012/380]' (2021-09-16) of the 5.10.67-rc1 and 5.13.19-rc1 "
                   "reviews, '[PATCH 5.4 006/260]', '[PATCH 4.9 089/175]', '[PATCH 4.4 073/133]' (2021-09-20) of "
                   "5.4.148-rc1, 4.9.283-rc1, 4.4.284-rc1 (whose linux-stable-rc revlist lists it), and the "
                   "4.19.207-rc1 and 4.14.247-rc1 review shortlogs (the latter's 217-patch diffstat: drivers/pci/msi.c | 3 +)"),
        ),
    ),
    Switch(
        "pciback_cmd_emulated", "kernel", BOOL, True,
        "Xen PV: pciback keeps the guest's Command word (af6fc858a35b, CVE-2015-2150): command_write stores it "
        "(cmd->val) and writes nothing more to the device than dom0's pci_enable_device / pci_set_master calls, "
        "command_read answers Memory / I/O Space, Parity, SERR# and Interrupt Disable from it and only "
        "PCI_COMMAND_GUEST's bits (Bus Master, ...) from the device. Before it command_write wrote the guest's "
        "value to the device and command_read returned the device's register with the decode bits of its BARs "
        "ORed in while dom0 had it enabled. pciback runs in dom0: msidbg models one Linux release, so "
        "kernel.version stands for dom0's here; set the switch to model a dom0 of another release",
        initial=False, kinds=("xen-pv",), scoped=True,
        initial_note="mainline xen-pciback before it: command_read = xen_pcibk_read_config_word "
        "| PCI_COMMAND_IO / PCI_COMMAND_MEMORY per BAR 'if (pci_is_enabled(dev))' (atomic_read(&dev->enable_cnt) "
        "in the first form); command_write ends 'return pci_write_config_word(dev, offset, value);' (xen35: two "
        "stored pre-4.0 copies of drivers/xen/xen-pciback/conf_space_header.c, an msm8974 3.4 tree and an "
        "undated one with the enable_cnt test)",
        history=(
            Change("4.0", True, "af6fc858a35b xen-pciback: limit guest control of command register",
                   backports=("3.19.2",), unconfirmed=("4.0", "3.19.2"),
                   note="xen35: command_init / command_read / command_write with PCI_COMMAND_GUEST read the same in "
                   "4.13.9 (kinmax/linux-4.13.19), 5.15.24 (yhuan416) and 6.12.19 (wishday/linux-6.12.y); the "
                   "release is inferred from the CVE's March 2015 date and the advisories' 'through 3.19.1' (as "
                   "PCIBACK_CMD); no 4.0 tree or stable posting read. Other stable series (3.2, 3.10, 3.14, 3.16, "
                   "3.18) likely took the CVE fix: not checked, so their presets keep the old code"),
        ),
    ),
    Switch(
        "pciback_msi_enabled_check", "kernel", BOOL, True,
        "Xen PV: pciback refuses XEN_PCI_OP_enable_msi[x] for a function dom0 has MSI or MSI-X enabled on "
        "(-EALREADY for the same kind, -ENXIO for the other) and MSI-X without Memory Space (-ENXIO), before "
        "dom0's pci_enable_msi[x] (XSA-157, Dec 2015). Before it pciback called dom0's enable whatever its state, "
        "which refuses the other kind (-EINVAL) and WARNs on the same kind and sets it up again: msidbg then maps "
        "new pirqs as for a first enable (dom0's own second msix_capability_init is not modelled). As for "
        "kernel.pciback_cmd_emulated, kernel.version stands for dom0's release",
        initial=False, kinds=("xen-pv",), scoped=True,
        initial_note="xen35: a 3.4 tree (CyanogenMod android_kernel_htc_msm8974 9fafe90735) xen_pcibk_enable_msix "
        "calls 'result = pci_enable_msix(dev, entries, op->value);' with no flag check; its pci_enable_msix has "
        "'WARN_ON(!!dev->msix_enabled);' and -EINVAL for 'MSI IRQ already assigned', pci_enable_msi_block the "
        "mirror image",
        history=(
            Change("4.4", True, "XSA-157: xen/pciback: Return error on XEN_PCI_OP_enable_msi[x] when device has "
                   "MSI or MSI-X enabled; Don't allow MSI-X ops if PCI_COMMAND_MEMORY is not set",
                   unconfirmed=("4.4",),
                   note="xen35: the checks read in 4.13.9, 5.15.24 and 6.12.19 drivers/xen/xen-pciback/pciback_ops.c; "
                   "the commit titles in Oracle UEK's December 2015 changelog (XSA-157); the mainline release (4.4, "
                   "released 2016-01-10) and the stable backports (Cc: stable) are not confirmed, hashes not read"),
        ),
    ),
    Switch(
        "xen_pirq_msi_extint", "kernel", BOOL, True,
        "Xen HVM with pirqs: xen_msi_compose_msg's data is delivery mode ExtINT (APIC_DELIVERY_MODE_EXTINT, "
        "0x0700: edge, deasserted, vector 0) from 41bb2115beec; before it XEN_PIRQ_MSI_DATA (0x4300: edge, "
        "assert, delivery mode 3, vector 0). Xen and QEMU take a message with vector 0 as a pirq one either way "
        "(xen_is_pirq_msi, msi_msix_setup); vmsi_deliver refuses both delivery modes",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="XEN_PIRQ_MSI_DATA (MSI_DATA_TRIGGER_EDGE | MSI_DATA_LEVEL_ASSERT | (3 << 8) | "
        "MSI_DATA_VECTOR(0)) since af42b8d12f8a's era; read in 4.13.9 and 5.10.13 (Rtoax/linux-5.10.13)",
        history=(
            Change("5.11", True, "41bb2115beec x86/pci/xen: Use msi_msg shadow structs",
                   note="xen35: tip x86/apic 2020-10-28 (tip-bot2 mail: 'msg->arch_data.delivery_mode = "
                   "APIC_DELIVERY_MODE_EXTINT;' replacing 'msg->data = XEN_PIRQ_MSI_DATA;'), in tglx's '[GIT pull] "
                   "x86/apic for v5.11-rc1' (x86-apic-2020-12-14, shortlog and arch/x86/pci/xen.c | 26 +-); 5.10.13 "
                   "still composes XEN_PIRQ_MSI_DATA, 5.15.24 and 6.12.19 ExtINT. A cleanup: no stable backport"),
        ),
    ),
    Switch(
        "msix_vector_ctrl_ignore_mask", "kernel", BOOL, True,
        "pci_msix_shutdown() writes no MSI-X Vector Control under pci_msi_ignore_mask; 446a98b19fd6 called the new "
        "unchecked pci_msix_mask() there (fcacdfbef5a1 left the check only in the irq chip callbacks) until "
        "9c8e9c9681a0 moved it back into the accessor: a Xen PV guest's pci_disable_msix then oopses on the "
        "read-only table",
        initial=True, kinds=("xen-pv",), scoped=True,
        initial_note="5.14 and before: pci_msix_shutdown masks through __pci_msix_desc_mask_irq(), which returns "
        "at once under pci_msi_ignore_mask",
        history=(
            Change("5.15", False, "446a98b19fd6 PCI/MSI: Use new mask/unmask functions (with fcacdfbef5a1 PCI/MSI: "
                   "Provide a new set of mask and unmask functions)",
                   note="leads23: both in tglx's 'irq/core for v5.15-rc1' pull (irq-core-2021-08-30, shortlog: "
                   "'PCI/MSI: Provide a new set of mask and unmask functions', 'PCI/MSI: Use new mask/unmask "
                   "functions'); Rui Salvaterra reverts 446a98b19fd6 on 5.15-rc4 (linux-pci, 2021-10-06). Not a "
                   "stable backport (no Cc: stable, a cleanup)"),
            Change("5.16", True, "9c8e9c9681a0 PCI/MSI: Move non-mask check back into low level accessors",
                   backports=("5.15.3",),
                   note="stable-queue releases/5.15.3/pci-msi-move-non-mask-check-back-into-low-level-accessors.patch "
                   "('commit 9c8e9c9681a0 upstream', Fixes: fcacdfbef5a1, Reported-by: Josef Johansson, Cc: "
                   "stable); msix_ctrl_read_can_mask's record has the rest"),
        ),
    ),
    Switch(
        "msi_update_mask_can_mask", "kernel", BOOL, True,
        "pci_msi_update_mask() writes the MSI Mask Bits only when the vector can be masked (the capability has "
        "per-vector masking and pci_msi_ignore_mask is clear); on 5.15 .. 5.15.2 it wrote whatever the caller "
        "(msi_capability_init's mask-all and its error path's unmask, pci_msi_shutdown's unmask) asked for: a "
        "dword at the mask offset past a capability without Mask Bits, a config write pciback drops on Xen PV",
        initial=True,
        initial_note="5.14 and before: msi_mask_irq -> __pci_msi_desc_mask_irq returned at once under "
        "pci_msi_ignore_mask or without msi_attrib.maskbit",
        history=(
            Change("5.15", False, "446a98b19fd6 PCI/MSI: Use new mask/unmask functions (with fcacdfbef5a1 PCI/MSI: "
                   "Provide a new set of mask and unmask functions)",
                   note="kernel26: the same pair as msix_vector_ctrl_ignore_mask's 5.15 row (tglx's irq/core pull "
                   "for v5.15-rc1); the checks stayed only in __pci_msi_mask_desc / __pci_msi_unmask_desc"),
            Change("5.16", True, "9c8e9c9681a0 PCI/MSI: Move non-mask check back into low level accessors",
                   backports=("5.15.3",),
                   note="'also violates the virtual MSIX and the msi_attrib.maskbit protections': 'if "
                   "(!desc->msi_attrib.can_mask) return;' added to pci_msi_update_mask; stable-queue "
                   "releases/5.15.3 (msix_vector_ctrl_ignore_mask's record)"),
        ),
    ),
    Switch(
        "xen_hvm_msi_ignore_mask", "kernel", BOOL, True,
        "an HVM guest using pirqs sets pci_msi_ignore_mask: every PCI/MSI mask write is a no-op",
        initial=False, kinds=("xen-hvm",),
        history=(
            Change("5.18", True, "7e0815b3e099 x86/pci/xen: Disable PCI/MSI[-X] masking for XEN_HVM guests",
                   backports=("5.15.38", "5.10.114", "4.19.246", "5.17.6", "5.4.197", "4.14.282"),
                   note="'Linux 5.10.114' (2022-05-09) lists it; 4.19.246 from the 4.19.246-rt110 announcement's "
                   "'Changes from v4.19.245-rt109'. audit20 matched the other three (the note said 'not matched to "
                   "releases'): stable-queue releases/5.17.6/x86-pci-xen-disable-pci-msi-masking-for-xen_hvm-"
                   "guests.patch ('commit 7e0815b3e099 upstream'; none in releases/5.17.5), releases/5.4.197/series "
                   "and releases/4.19.246/series list it, and linux-stable-rc's 4.14.y push has 171ca9a7813d "
                   "'x86/pci/xen: Disable PCI/MSI[-X] masking for XEN_HVM guests' after 'Linux 4.14.281' and before "
                   "'Linux 4.14.282'; the 4.9.y push of the same round ('Linux 4.9.317') has no copy"),
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
                   "data (the 2017 revert, seed 002)", backports=("3.10.106", "4.10.7"),
                   note="stable-queue releases/4.10.7/series lists xen-do-not-re-use-pirq-number-cached-in-pci-"
                   "device-msi-msg-data.patch: 4.10 lacks it, and it was in Linus' tree by 4.10.7 (2017-03-30), "
                   "a month before 4.11 (2017-05-01): 4.11. Not in 4.9.19 (its series read); 3.10.106 carries it "
                   "(828099d, in the June 2017 merge of 'Linux 3.10.106' into an Android kernel, read in its "
                   "changelog)"),
        ),
    ),
    Switch(
        "msi_affinity_update", "kernel", ("plug-race", "plain", "can-reserve"), "can-reserve",
        "which irqs msi_set_affinity() moves with the careful two-step update of 6f1a4891a592 (a vector "
        "and destination change of a started irq without remapping): plain -- none; plug-race -- the "
        "irqs with the non-maskable quirk (no reservation mode: an MSI without per-vector masking, or "
        "anything under pci_msi_ignore_mask); can-reserve -- the irqs that HAVE reservation mode "
        "(b56ebe7c896d tests !irqd_can_reserve() for the direct write), so a non-maskable MSI is "
        "written directly again",
        initial="plain",
        history=(
            Change("5.6", "plug-race", "6f1a4891a592 x86/apic/msi: Plug non-maskable MSI affinity race",
                   backports=("4.19.103", "5.4.19", "5.5.3"),
                   note="tip x86/urgent 2020-02-01, after 5.5 (2020-01-26): the 5.6 merge window; 4.19.103 "
                   "(checked); 5.4.19: GKH's '[PATCH 5.4 ...] 5.4.19-rc1 review' lists it under Thomas Gleixner "
                   "(redteam10; it was not in the table, so every 5.4.19..5.4.y kernel tore like 5.4.18); 5.5.3: "
                   "stable-queue releases/5.5.3/x86-apic-msi-plug-non-maskable-msi-affinity-race.patch ('commit "
                   "6f1a4891a5928a5969c87fa5a584844c983ec823 upstream'), absent from releases/5.5.2 (redteam12; "
                   "every 5.5.3..5.5.y kernel tore like 5.5); not in 4.14 (tglx on stable)"),
            Change("5.17", "plain", "ef8dd01538ea genirq/msi: Make interrupt allocation less convoluted "
                   "(sets the quirk only in reservation mode, where msi_init_virq() never reads it)",
                   note="the regression b56ebe7c896d names; in the pull 'irq/msi for v5.17-rc1' (2022-01-13)"),
            Change("6.7", "can-reserve", "b56ebe7c896d x86/apic/msi: Fix misconfigured non-maskable MSI quirk",
                   backports=("6.1.66", "6.5.13", "6.6.3"),
                   note="6.1.66-rc1 checked; 6.5.13: '[PATCH 6.5 240/491] x86/apic/msi: Fix misconfigured "
                   "non-maskable MSI quirk' answers the '[PATCH 6.5 000/491] 6.5.13-rc1 review' cover of 2023-11-24; "
                   "6.6.3: linux-stable-rc's linux-6.6.y push ending in 'Linux 6.6.3-rc1' carries it (e06748a067e2) "
                   "(redteam10)"),
        ),
    ),
    Switch(
        "affinity_before_startup", "kernel", BOOL, True,
        "request_irq() applies the affinity before irq_startup() unmasks the irq (IRQCHIP_AFFINITY_PRE_STARTUP)",
        initial=False,
        history=(
            Change("5.14", True, "826da771291f genirq: Provide IRQCHIP_AFFINITY_PRE_STARTUP + "
                   "ff363f480e59 x86/msi: Force affinity setup before startup",
                   backports=("5.4.142", "5.10.60", "5.13.12", "4.19.205"),
                   note=SERIES_2021 + "; 'Linux 4.19.205' (2021-08-26) lists both; the 4.4.282/4.9.281/4.14.245 "
                   "announcements of that day do not (only the PCI/MSI patches). The IO-APIC's INTx irqs follow "
                   "the same row: 0c0e37dc1167 'x86/ioapic: Force affinity setup before startup' is the same "
                   "series (tip irq-urgent-2021-08-15 lists 826da771291f, 0c0e37dc1167, ff363f480e59), in the "
                   "same stable releases (the 2021-08 stable shortlogs list the three together)"),
        ),
    ),
    Switch(
        "msix_masked_update", "kernel", BOOL, True,
        "__pci_write_msi_msg() masks an unmasked MSI-X entry, writes it, and restores the mask",
        initial=False,
        history=(
            Change("5.14", True, "da181dc974ad PCI/MSI: Enforce MSI-X table entry masking for update",
                   backports=PCI_MSI_2021, note=SERIES_2021_PCI),
        ),
    ),
    Switch(
        "msix_enable_first", "kernel", BOOL, True,
        "msix_capability_init() sets MSI-X Enable | Function Mask before it builds the descriptors and "
        "the irqs (438553958ba1); before, MSI-X stayed disabled while the irqs were set up and "
        "msix_program_entries() read and masked each used entry afterwards",
        initial=False,
        history=(
            Change("5.14", True, "438553958ba1 PCI/MSI: Enable and mask MSI-X early",
                   backports=PCI_MSI_2021, note=SERIES_2021_PCI),
        ),
    ),
    Switch(
        "msix_error_clears_maskall", "kernel", BOOL, True,
        "msix_capability_init()'s error path clears Function Mask as well as Enable (94185adbfad5)",
        initial=False,
        history=(
            Change("5.16", True, "94185adbfad5 PCI/MSI: Clear PCI_MSIX_FLAGS_MASKALL on error",
                   backports=("5.15.11", "5.10.88", "5.4.168", "4.19.222", "4.14.259", "4.9.294", "4.4.296"),
                   note=DEC_2021 + "; 'Linux 4.9.294' (2021-12-22) lists it too. audit19: and 4.4.296 -- "
                   "linux-stable-rc's linux-4.4.y push of 2021-12-20 ending in 'Linux 4.4.296-rc1' (128bacd481ca) "
                   "carries d4cfc67c9fcd 'PCI/MSI: Clear PCI_MSIX_FLAGS_MASKALL on error' (4.4.y had 438553958ba1 "
                   "from 4.4.282); neither 4.4.296-rc1 nor 4.9.294-rc1 carries 83dbf898a2d4 (msix_mask_all)"),
        ),
    ),
    Switch(
        "msix_ctrl_read_can_mask", "kernel", (False, True, "cannot-mask"), True,
        "which MSI-X descriptors read their entry's Vector Control into the cached msix_ctrl: every one "
        "(false, before 9c8e9c9681a0); only those whose entry can be masked, not under pci_msi_ignore_mask "
        "(true); or, from 71020a3c0dff's inverted test until 2b96f92ca425, only those whose entry cannot "
        "be masked (cannot-mask: a maskable entry's cache stays 0, 'unmasked')",
        initial=False,
        history=(
            Change("5.16", True, "9c8e9c9681a0 PCI/MSI: Move non-mask check back into low level accessors",
                   backports=("5.15.3",),
                   note="stable-queue releases/5.15.3/pci-msi-move-non-mask-check-back-into-low-level-accessors.patch "
                   "('commit 9c8e9c9681a0 upstream', Cc: stable, Fixes: fcacdfbef5a1); no such file in releases/5.15.2, "
                   "5.15.4, 5.14.18..5.14.20, 5.10.79..5.10.81 or 5.4.160/5.4.161 (redteam12; other series not found)"),
            Change("5.17", "cannot-mask", "71020a3c0dff PCI/MSI: Use msi_add_msi_desc()",
                   note="audit17: msix_setup_msi_descs 'if (!desc.pci.msi_attrib.can_mask) { addr = "
                   "pci_msix_desc_addr(&desc); desc.pci.msix_ctrl = readl(addr + PCI_MSIX_ENTRY_VECTOR_CTRL); }' "
                   "(the line Josef Johansson's fix removes, quoted in its posting of 2022-02-14 and in Bjorn "
                   "Helgaas' reworded log: 71020a3c0dff 'inadvertently reversed the sense of "
                   "\"msi_attrib.can_mask\"'); 71020a3c0dff is in tglx's MSI spring cleaning with 9fb9eb4b59ac, "
                   "in the revlist of the 5.17 merge window (Linus' merges of tip's irq-core-2022-01-13, "
                   "driver-core post-receive of 2022-01-13, after v5.16 of 2022-01-09): 5.17. No stable series "
                   "before 5.17 has it (it needs the msi_add_msi_desc() rework)"),
            Change("6.1", True, "2b96f92ca425 PCI/MSI: Correct 'can_mask' test in msi_add_msi_desc()",
                   note="audit17: Bjorn Helgaas 2022-08-26 'Applied to pci/misc for v6.1'; '[GIT PULL] PCI changes "
                   "for v6.1' (tags/pci-v6.1-changes, 2022-10-10, after v6.0 of 2022-10-02) lists 'Josef "
                   "Johansson (1): PCI/MSI: Correct 'can_mask' test in msi_add_msi_desc()' (drivers/pci/msi/msi.c "
                   "| 2 +-); the pci/msi branch head 2b96f92ca425. Fixes: 71020a3c0dff, no Cc: stable; no stable "
                   "release of 5.17 .. 6.0 carrying it was found (5.17.y .. 5.19.y had ended or were ending)"),
        ),
    ),
    Switch(
        "affinity_on_activate", "kernel", BOOL, True,
        "irq_set_affinity() on an irq that is not activated only stores the mask, which activation then "
        "uses (baedb87d1b53, irq_set_affinity_deactivated); before, a chip that cannot move in process "
        "context recorded a pending move, applied at the first interrupt",
        initial=False,
        history=(
            Change("5.8", True, "baedb87d1b53 genirq/affinity: Handle affinity setting on inactive interrupts "
                   "correctly (and its follow-up making it opt-in: the x86 vector domain sets IRQD_AFFINITY_ON_ACTIVATE)",
                   backports=("5.4.53", "4.19.134", "5.7.10", "4.14.194"),
                   note="audit20: the stable boundaries are baedb87d1b53's own, not the opt-in's: stable-queue "
                   "releases/5.4.53/series and releases/4.19.134/series list genirq-affinity-handle-affinity-setting-"
                   "on-inactive-interrupts-correctly.patch and the '5.7.10-rc1 review' (2020-07-20) carries it, a "
                   "month before the opt-in (6615d75d56f1: 5.4.60, 4.19.141, 5.7.17); the opt-in only restricts the "
                   "stored-mask path to chips that set IRQD_AFFINITY_ON_ACTIVATE, which the x86 vector domain does, "
                   "so an x86 irq behaves alike from baedb87d1b53 on (the earlier text below said '5.4.54' lacked it "
                   "and started the table at the opt-in). tip x86/urgent 2020-07-17, 5.8. Stable (redteam10): the '5.4.60-rc1', '4.19.141-rc1' "
                   "review shortlogs (2020-08-20) list the opt-in 'genirq/affinity: Make affinity setting if activated "
                   "opt-in' (6615d75d56f1; diffstat arch/x86/kernel/apic/vector.c, the x86 vector domain's "
                   "irqd_set_affinity_on_activate), which needs baedb87d1b53 already there, and so does '[PATCH 5.7 "
                   "002/204]' of the same day (5.7.17). baedb87d1b53 itself reached those series a few releases "
                   "earlier (not in 5.4.54; the release not matched): x86 behaved so from then, the table starts "
                   "at the release that has both. audit18: 4.14.194 has both -- '[PATCH 4.14 222/228]' of the "
                   "4.14.194-rc1 review (2020-08-20) and the 4.14.y log (da54edbe5638, then 6a7a29935d98 the opt-in, "
                   "before 'Linux 4.14.194'); Frank van der Linden's 4.14 opt-in sets irqd_set_affinity_on_activate "
                   "in x86_vector_alloc_irqs, and his baedb87d1b53 backport says '4.14 never had the x86 workaround, "
                   "so skip x86 changes': no apic_set_affinity WARN / -EIO on the legacy allocator"),
        ),
    ),
    Switch(
        "vector_cleanup", "kernel", ("ipi", "timer"), "timer",
        "who frees the old vector of a completed move on its CPU: the IRQ_MOVE_CLEANUP_VECTOR IPI, or "
        "(bdc1dad299bb) a per-CPU timer one jiffy later; the timer era also hands vector 0x20 to devices",
        initial="ipi",
        history=(
            Change("6.6", "timer", "bdc1dad299bb x86/vector: Replace IRQ_MOVE_CLEANUP_VECTOR with a timer callback"),
        ),
    ),
    Switch(
        "posted_msi_vector", "kernel", BOOL, True,
        "where the x86 vector matrix ends (irq_alloc_matrix(NR_VECTORS, FIRST_EXTERNAL_VECTOR, "
        "FIRST_SYSTEM_VECTOR), arch/x86/kernel/apic/vector.c): true -- FIRST_SYSTEM_VECTOR is "
        "POSTED_MSI_NOTIFICATION_VECTOR 0xeb (f5a3562ec9dd, whatever CONFIG_X86_POSTED_MSI says), so devices get "
        "0x20/0x21..0xea; false -- LOCAL_TIMER_VECTOR 0xec, devices up to 0xeb (the 4.18..6.9 layout: one more "
        "device vector on every CPU). Read with the matrix allocator only (kernel.vector_allocator: matrix); "
        "false ends the matrix at kernel.local_timer_vector, which is 0xee in 4.15 and 0xed in 4.16",
        initial=False, kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="tools/perf's copy of arch/x86/include/asm/irq_vectors.h before its 2024-05-27 refresh: "
        "'#define LOCAL_TIMER_VECTOR 0xec' ... '#define FIRST_SYSTEM_VECTOR LOCAL_TIMER_VECTOR' (with "
        "HYPERV_STIMER0_VECTOR 0xed, HYPERV_REENLIGHTENMENT_VECTOR 0xee, MANAGED_IRQ_SHUTDOWN_VECTOR 0xef above)",
        history=(
            Change("6.10", True, "f5a3562ec9dd x86/irq: Reserve a per CPU IDT vector for posted MSIs",
                   note="Arnaldo Carvalho de Melo's '[PATCH 1/1 fyi] perf trace beauty: Update the "
                   "arch/x86/include/asm/irq_vectors.h copy with the kernel sources to pick POSTED_MSI_NOTIFICATION' "
                   "(LKML, 2024-05-27, the day after v6.10-rc1; v6.9 was 2024-05-12) copies the kernel's header "
                   "'To pick up the change in: f5a3562ec9dd29e6 (\"x86/irq: Reserve a per CPU IDT vector for "
                   "posted MSIs\")': '+#define POSTED_MSI_NOTIFICATION_VECTOR 0xeb' and '-#define FIRST_SYSTEM_VECTOR "
                   "LOCAL_TIMER_VECTOR / +#define FIRST_SYSTEM_VECTOR POSTED_MSI_NOTIFICATION_VECTOR' under "
                   "CONFIG_X86_LOCAL_APIC alone (tglx had refused the CONFIG_X86_POSTED_MSI-only variant of v2: "
                   "'we had attempts before to make the system vector space dense'): 6.10 (redteam26)"),
        ),
    ),
    Switch(
        "msix_restore_mask_bit_only", "kernel", BOOL, True,
        "__pci_restore_msix_state's Vector Control write (the pm_resume action): true -- the Mask bit restored as "
        "the cached Vector Control has it; false -- msix_mask_irq(entry, entry->masked) passes the whole cached "
        "word as the flag and __pci_msix_desc_mask_irq sets the Mask bit when any bit is set, so an entry whose "
        "Vector Control reads back other bits (quirk msix-ctrl-reserved-bits) comes back masked after a resume",
        initial=False, kinds=("bare-metal",), scoped=True,
        initial_note="f2440d9acbe8 (PCI MSI: Refactor interrupt masking code) made the flag the whole word; "
        "e045fa29e893's message: 'mask_bits = desc->masked & ~PCI_MSIX_ENTRY_CTRL_MASKBIT; if (flag) <-- testing "
        "entire u32, not just bit 0'",
        history=(
            Change("5.5", True, "e045fa29e893 PCI/MSI: Fix incorrect MSI-X masking on resume",
                   backports=("5.4.6", "4.19.91", "4.14.160", "4.9.207", "4.4.207", "3.16.82"),
                   note="Bjorn Helgaas applied it to pci/msi on 2019-10-23 (1a828a554650 there; 'if (flag & "
                   "PCI_MSIX_ENTRY_CTRL_MASKBIT)'), merged for 5.5; the 'Linux 5.4.6', 'Linux 4.14.160', 'Linux "
                   "4.9.207' and 'Linux 4.4.207' announcements, the 4.19.91-rc1 review and the 3.16.82-rc1 review "
                   "(its upstream id e045fa29e89383c717e308609edd19d2fd29e1be) list it. From 446a98b19fd6 (5.15) "
                   "the restore writes the cached word with pci_msix_write_vector_ctrl: the same result (kernel28). "
                   "audit26: the 5.4.6 tree hxb-gt/linux-5.4.6 (Makefile 5.4.6) has __pci_msix_desc_mask_irq's "
                   "'if (flag & PCI_MSIX_ENTRY_CTRL_MASKBIT)', the 4.20.0 import 'if (flag)'"),
        ),
    ),
    Switch(
        "pm_thaw_restores", "kernel", BOOL, True,
        "pci_pm_thaw_noirq, the hibernation's thaw after the image is made (the pm_thaw action): true -- it returns "
        "the function to D0 and calls pci_restore_state, so the MSI / MSI-X messages pci_pm_freeze_noirq's "
        "PCI_UNKNOWN left cached (an irq moved while frozen) reach the function; false -- "
        "pci_update_current_state(D0) only: the function keeps the message it had at the freeze",
        initial=False, kinds=("bare-metal",), scoped=True,
        initial_note="read in jason50123/linux-4.12 (Makefile 4.12.0) drivers/pci/pci-driver.c pci_pm_thaw_noirq: "
        "'pci_update_current_state(pci_dev, PCI_D0); if (drv && drv->pm && drv->pm->thaw_noirq) ...', no "
        "pci_restore_state; pci_pm_freeze_noirq: 'if (!pci_dev->state_saved) pci_save_state(pci_dev); "
        "pci_pm_set_unknown_state(pci_dev);' (resume30)",
        history=(
            Change("4.13", True, "e60514bd4485 PCI/PM: Restore the status of PCI devices across hibernation",
                   note="the commit message (a public mirror of its diff) names the loss: 'do_IRQ: 31.151 No irq "
                   "handler for vector' after the non-boot CPUs went offline while frozen; read with it in "
                   "kinmax/linux-4.13.19 (Makefile 4.13.9: 'pci_update_current_state(pci_dev, PCI_D0); "
                   "pci_restore_state(pci_dev);'), in sndrzt/linux-4.15 and after as 'pci_set_power_state(pci_dev, "
                   "PCI_D0); pci_restore_state(pci_dev);'; whether 4.13.0 or a 4.13.y stable release first carried "
                   "it, and any backport into older series, not read (resume30). audit25: the same thaw in "
                   "shizukanaskytree/linux-4.13.4 (Makefile 4.13.4; its local commits add a syscall, pci-driver.c is "
                   "the import's), so by 4.13.4 at the latest; no 4.13.0 tree could be fetched. audit26: 4.13.0 "
                   "confirmed -- rohankadekodi/fast-commit-4.13-final, a file-system research tree whose import "
                   "b2787fc7 has Makefile 4.13.0 (no later commit touches drivers/pci), has pci_pm_thaw_noirq's "
                   "'pci_update_current_state(pci_dev, PCI_D0); pci_restore_state(pci_dev);', and the 4.12.0 tree "
                   "above lacks it: first in 4.13.0, the 4.13 merge window"),
        ),
    ),
    Switch(
        "msix_restore_per_entry", "kernel", BOOL, True,
        "__pci_restore_msix_state's writes under Function Mask (the pm_resume action): true -- one entry at a time, "
        "its cached message (__pci_write_msi_msg, when arch_restore_msi_irqs says so: x86 bare metal does) then its "
        "cached Vector Control; false -- arch_restore_msi_irqs first rewrites every entry's message "
        "(default_restore_msi_irqs), then every entry's Vector Control is written (msix_mask_irq, "
        "pci_msix_write_vector_ctrl from 5.15)",
        initial=False, kinds=("bare-metal",), scoped=True,
        initial_note="drivers/pci/msi.c before ae72f3156729: '__pci_restore_msix_state: ... arch_restore_msi_irqs(dev); "
        "for_each_pci_msi_entry(entry, dev) msix_mask_irq(entry, entry->masked);' (quoted in the 2019 Kingston NVMe "
        "resume thread, bugzilla 204887; pci_msix_write_vector_ctrl in a 5.15.16 tree), with "
        "default_restore_msi_irqs calling default_restore_msi_irq for each entry",
        history=(
            Change("5.17", True, "ae72f3156729 PCI/MSI: Make arch_restore_msi_irqs() less horrible.",
                   note="tip irq/msi, December 2021 (Arnd Bergmann's 2021-12-15 link fix names it in a Fixes: tag); "
                   "read in a 5.17-rc5 board-port import (dunli/linux-5.17, not 5.17.0; audit24: its "
                   "drivers/pci/msi/ is identical to kuangfei2019/linux-5.17-mini2440-dt's 5.17.0 import) "
                   "(drivers/pci/msi/msi.c: 'write_msg = "
                   "arch_restore_msi_irqs(dev); ... msi_for_each_desc(entry, &dev->dev, MSI_DESC_ALL) { if "
                   "(write_msg) __pci_write_msi_msg(entry, &entry->msg); pci_msix_write_vector_ctrl(entry, "
                   "entry->pci.msix_ctrl); }') and the old form in a 5.15.16 tree (the fastswap research kernel's import, "
                   "the same function in a 5.15.24 tree; drivers/pci/msi.c: "
                   "'arch_restore_msi_irqs(dev); for_each_pci_msi_entry(entry, dev) pci_msix_write_vector_ctrl(entry, "
                   "entry->msix_ctrl);', x86_msi.restore_msi_irqs = default_restore_msi_irqs) (kernel28)"),
        ),
    ),
    Switch(
        "local_timer_vector", "kernel", ("0xef", "0xee", "0xed", "0xec"), "0xec",
        "LOCAL_TIMER_VECTOR (arch/x86/include/asm/irq_vectors.h), FIRST_SYSTEM_VECTOR and so the end of the x86 "
        "vector matrix (irq_alloc_matrix(NR_VECTORS, FIRST_EXTERNAL_VECTOR, FIRST_SYSTEM_VECTOR)) while "
        "kernel.posted_msi_vector is false: each system vector added above it pushed it down one, whatever the "
        "configuration (the Hyper-V vectors are #if IS_ENABLED(CONFIG_HYPERV), the timer's value is not). 0xee -- "
        "4.15 (MANAGED_IRQ_SHUTDOWN_VECTOR 0xef), devices up to 0xed; 0xed -- 4.16 "
        "(HYPERV_REENLIGHTENMENT_VECTOR 0xee), devices up to 0xec; 0xec -- 4.17 on (HYPERV_STIMER0_VECTOR 0xed), "
        "devices up to 0xeb; 0xef -- before 4.15, the legacy allocator's layout (it keeps its own bound, so the "
        "value is read with the matrix allocator only). A vector below the release's timer and not allocated to "
        "an irq is an unused device vector there ('No irq handler for vector')",
        initial="0xef", kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="read in kinmax/linux-4.13.19 (Makefile 4.13.9): '#define LOCAL_TIMER_VECTOR 0xef' / '#define "
        "FIRST_SYSTEM_VECTOR LOCAL_TIMER_VECTOR', the legacy allocator's bound (model/hw.py LEGACY_FIRST_SYSTEM_VECTOR)",
        history=(
            Change("4.15", "0xee", "(id not matched) Thomas Gleixner's 4.15 vector rework: MANAGED_IRQ_SHUTDOWN_VECTOR "
                   "0xef, LOCAL_TIMER_VECTOR 0xee",
                   note="read in the kernel.org 4.15 import of sndrzt/linux-4.15 (6ea062648, Makefile 4.15.0: "
                   "'#define MANAGED_IRQ_SHUTDOWN_VECTOR 0xef' / '#define LOCAL_TIMER_VECTOR 0xee' / "
                   "'#define FIRST_SYSTEM_VECTOR LOCAL_TIMER_VECTOR') and unchanged in its head (kernel28), which is "
                   "Ubuntu's linux-source-4.15.0 (Makefile 4.15.18 with vendor backports), not a kernel.org 4.15.18 "
                   "(audit23)"),
            Change("4.16", "0xed", "93286261de1b x86/hyperv: Reenlightenment notifications support",
                   note="the hash and title as a 2021 Fixes: tag quotes them; read in lizuobin/linux-4.16.13_tiny4412 "
                   "(Makefile 4.16.13): '#if IS_ENABLED(CONFIG_HYPERV) #define HYPERV_REENLIGHTENMENT_VECTOR 0xee "
                   "#endif #define LOCAL_TIMER_VECTOR 0xed' (kernel28)"),
            Change("4.17", "0xec", "(id not matched) Drivers: hv: vmbus: Implement Direct Mode for stimer0 "
                   "(HYPERV_STIMER0_VECTOR 0xed)",
                   note="read in SaumyaSachdev/linux-4.17 (Makefile 4.17.0 'Merciless Moray'): "
                   "'#define HYPERV_REENLIGHTENMENT_VECTOR 0xee #define HYPERV_STIMER0_VECTOR 0xed #endif "
                   "#define LOCAL_TIMER_VECTOR 0xec', with hv_stimer0_vector_handler in mshyperv.c; wulmx/linux-4.18 "
                   "has the same (kernel28), but it is a vendor 4.18.0 kernel with later backports (apic_eoi, the "
                   "5.11 APIC_DELIVERY_MODE_FIXED, 4.20's irq_matrix_alloc_managed mask), not v4.18 (audit23)"),
        ),
    ),
    Switch(
        "xen_fifo_events", "kernel", BOOL, True,
        "xen_init_IRQ() asks Xen for the FIFO-based event channel ABI (xen_evtchn_fifo_init: "
        "EVTCHNOP_init_control) and falls back to the 2-level ABI when that fails; false: the 2-level ABI "
        "always (a kernel before 3.14, or one booted with xen.fifo_events=0). The guest uses FIFO only "
        "when Xen offers it too (platform.xen_evtchn_fifo)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True, window=("3.14", ""),
        initial_note="before 3.14 drivers/xen/events.c has the 2-level ABI only: the same round robin in "
        "__xen_evtchn_do_upcall (read in a public copy of 3.0.8) that events_2l.c keeps",
        history=(
            Change("3.14", True, "1fe565517b57 xen/events: use the FIFO-based ABI if available (with the "
                   "xen.fifo_events boot parameter, which kernel-parameters.txt documents from 1a89c1dc9520, xen-tip "
                   "October 2020)",
                   note="the series (its patch 13 is bf2bbe07f138 'Add the hypervisor interface for the "
                   "FIFO-based event channels') was committed 2014-01-06 for the 3.14 merge window; the "
                   "parameter is in the posted patch's message ('xen.fifo_events=0 ... may be used to disable "
                   "use of the FIFO-based ABI'); the mainline hash was not re-read in this session"),
        ),
    ),
    Switch(
        "xen_fifo_dead_cpu_drain", "kernel", BOOL, True,
        "when a vCPU goes offline the FIFO ABI's CPU_DEAD callback (evtchn_fifo_cpu_notification, from 4.10 "
        "xen_evtchn_cpu_dead / evtchn_fifo_percpu_deinit) consumes the dead vCPU's queue with drop set: every "
        "linked port is unlinked and a pending, unmasked one is not handled ('Dropping pending event for port "
        "N'; it stays pending), so the port's next event links it on the vCPU it was rebound to. Before it an "
        "event still LINKED on the dead vCPU's queue keeps its port linked there: Xen links nothing already "
        "linked, and every later event on that port coalesces unseen",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="a 3.14-era events_fifo.c: consume_one_event(cpu, control_block, priority, ready) has no "
        "drop argument and evtchn_fifo_cpu_notification only allocates the control block",
        history=(
            Change("4.4", True, "(id not in the stored index) xen/events/fifo: Consume unprocessed events when a CPU "
                   "dies (Ross Lagerwall)",
                   note="the drain is in every later events_fifo.c read (the CPU_DEAD notifier form, the cpuhp form "
                   "of 4.10's hotplug state machine conversion, 5.10's percpu_deinit); Oracle's UEK 4.1.12-32.1.1 "
                   "(2016-01) lists it as a backport (redteam9). audit14: a 4.3 tree (YoungjaeLee/linux-4.3-cxlbdev, "
                   "Makefile 4.3.0, drivers/xen/events/events_fifo.c as imported) has no drop argument; a 4.4.0 tree "
                   "(xiaojimmychen/linux-4.4, a copy of Android's kernel/common with Makefile 'SUBLEVEL = 0') has "
                   "consume_one_event(..., bool drop) and 'case CPU_DEAD: __evtchn_fifo_handle_events(cpu, true);': "
                   "4.4 (the hash still not found). audit24: so has zanpocc/linux-4.4.1's import, not an Android "
                   "tree"),
        ),
    ),
    Switch(
        "xen_affinity_target", "kernel", ("first", "least-loaded"), "least-loaded",
        "which vCPU set_affinity_irq() rebinds a Xen event channel to (EVTCHNOP_bind_vcpu): least-loaded = "
        "select_target_cpu(), the online CPU of the mask with the fewest event channels (so request_irq's "
        "irq_setup_affinity with the default mask spreads a device's channels over the vCPUs); first = "
        "cpumask_first_and(dest, cpu_online_mask), the lowest online CPU of the mask (every channel stays on "
        "vCPU 0 unless the mask excludes it)",
        initial="first", kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="set_affinity_irq: 'unsigned tcpu = cpumask_first_and(dest, cpu_online_mask);' in "
        "drivers/xen/events.c (3.x, rebind_irq_to_cpu) and events/events_base.c until the change",
        history=(
            Change("5.11", "least-loaded", "88f0a9d06644 xen/events: Implement irq distribution",
                   note="posted 2020-12-10 as [patch 29/30] of tglx's 'genirq: Treewide hunt for irq descriptor abuse' "
                   "(read: adds channels_on_cpu and select_target_cpu, replaces cpumask_first_and in set_affinity_irq); "
                   + XEN_2020),
        ),
    ),
    Switch(
        "xen_affinity_immediate", "kernel", BOOL, True,
        "Xen's irqs are IRQ_MOVE_PCNTXT: irq_set_affinity() (smp_affinity, a hint) rebinds the event channel "
        "from the calling context at once; false: the x86-style deferred move -- the new mask waits as a "
        "pending move (IRQD_SETAFFINITY_PENDING) until the irq's next interrupt, whose eoi_pirq masks the "
        "channel, clears it, rebinds it (irq_move_masked_irq -> set_affinity_irq) and unmasks it, so that "
        "interrupt is still handled on the old vCPU. CPU hotplug and request_irq set the affinity directly "
        "either way",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="eoi_pirq's 'if (unlikely(irqd_is_setaffinity_pending(data)) && "
        "likely(!irqd_irq_disabled(data))) { int masked = test_and_set_mask(evtchn); clear_evtchn(evtchn); "
        "irq_move_masked_irq(data); if (!masked) unmask_evtchn(evtchn); }' (ack_dynirq likewise)",
        history=(
            Change("5.11", True, "1ca1b4e2c0cb xen/events: Use immediate affinity setting",
                   note="posted 2020-12-10 as [patch 26/30] of tglx's 'genirq: Treewide hunt for irq descriptor abuse' "
                   "('Mark the interrupts with IRQ_MOVE_PCNTXT to disable the deferred affinity setting'); "
                   + XEN_2020 + "; audit22: 7d04319a05ab (6.14 merge window) drops the flag for the chip flag "
                   "IRQCHIP_MOVE_DEFERRED, which no xen chip carries (irq_can_move_pcntxt is its absence): "
                   "still immediate"),
        ),
    ),
    Switch(
        "xen_eoi_clear_first", "kernel", BOOL, True,
        "the order of a Xen pirq's eoi_pirq (and ack_dynirq) when the irq has a pending affinity move "
        "(kernel.xen_affinity_immediate false): true = mask the channel, clear_evtchn, irq_move_masked_irq, "
        "unmask (the event in hand is cleared before the channel moves); false = irq_move_irq first -- the "
        "generic mask, rebind (EVTCHNOP_bind_vcpu), unmask, which re-signals the still-pending channel on the new "
        "vCPU -- and clear_evtchn after it, so both vCPUs may run the handler for one event",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="eoi_pirq: 'irq_move_irq(data); if (VALID_EVTCHN(evtchn)) clear_evtchn(evtchn);' in "
        "drivers/xen/events.c (3.x) and events/events_base.c (3.14 .. 4.5; a stored 4.x copy read)",
        history=(
            Change("4.6", True, "ff1e22e7a638 xen/events: Mask a moving irq",
                   backports=("4.4.8", "4.5.2", "4.1.52", "3.18.63"), unconfirmed=("4.1.52", "3.18.63"),
                   note="audit20: a stable backport (it had been left out) -- stable-queue releases/4.4.8/series "
                   "and releases/4.5.2/series list xen-events-mask-a-moving-irq.patch, and releases/4.4.8's copy "
                   "says 'commit ff1e22e7a638a0782f54f81a6c9cb139aca2da35 upstream' (the eoi_pirq and ack_dynirq "
                   "hunks); 4.4.11, 4.4.34, 4.4.60 and 4.4.178 trees have the masked eoi_pirq. 4.1.y and 3.18.y "
                   "(Sasha Levin's series, not in the stable queue) carry it too, from a release not identified: "
                   "a 4.1.19 tree (mincepi/linux-4.1.19) and a 3.18.20 one (davisliuu/linux-3.18.y) still have "
                   "'irq_move_irq(data);' first, 4.1.52 (zhuruione/linux-4.1.52), 3.18.63 (artynet/linux-3.18.63) "
                   "and 3.18.140 (junan76/linux-3.18.140) trees the masked form -- the table takes those first "
                   "trees read (unconfirmed: earlier 4.1.y / 3.18.y releases may carry it); a 3.10.108 tree "
                   "(DmytriyGrytsay/linux-3.10.108) does not. The "
                   "masked form (test_and_set_mask, clear_evtchn, irq_move_masked_irq, unmask) is in every "
                   "later stored events_base.c; ff1e22e7 is listed among the commits between v4.6-rc2 and v4.6-rc4 "
                   "(a syzbot bisection range), the v4.6 tag itself was not read. audit13 read that list (syzbot's "
                   "'Bisection is inconclusive: the first bad commit could be any of', 2020-02-17, ax25_getname): "
                   "mainline commits of the 4.6-rc weeks only ('Linux 4.6-rc2', 'spi-fix-v4.6-rc2', 'kvm-arm-for-4.6-rc4', "
                   "93e2aeac \"Merge tag 'for-linus-4.6-rc2-tag' of ... xen/tip\") with ff1e22e7 among them: not in the "
                   "last good commit, so not in v4.5, and in the first bad one before v4.6-rc4, so in v4.6; UEK "
                   "backports it with Ross Lagerwall's 'xen/events: Don't move disabled irqs'. 1ca1b4e2c0cb (5.11) "
                   "drops the deferred move altogether (kernel.xen_affinity_immediate)"),
        ),
    ),
    Switch(
        "xen_enable_pirq_startup", "kernel", BOOL, False,
        "what xen_pirq_chip's irq_enable (enable_pirq: enable_irq of a pirq the driver disabled) does: true -- "
        "startup_pirq: for a bound port __startup_pirq's 'out:' tail, unmask_evtchn then eoi_pirq, whose "
        "clear_evtchn drops an event that made the port pending while the irq was disabled (and PHYSDEVOP_eoi "
        "if the pirq needs it; an unbound pirq is bound, as at request_irq); false -- enable_dynirq: only the "
        "unmask, which signals the pending port, so that event is delivered",
        initial=True, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="drivers/xen/events/events_base.c of a 4.12.0 tree (jason50123/linux-4.12, Makefile 4.12.0) "
        "and a 4.4.0 tree (xiaojimmychen/linux-4.4): 'static void enable_pirq(struct irq_data *data) { "
        "startup_pirq(data); }' with __startup_pirq's 'if (VALID_EVTCHN(evtchn)) goto out; ... out: "
        "unmask_evtchn(evtchn); eoi_pirq(irq_get_irq_data(irq));' and eoi_pirq's 'clear_evtchn(evtchn); if "
        "(pirq_needs_eoi(data->irq)) { rc = HYPERVISOR_physdev_op(PHYSDEVOP_eoi, &eoi); ...'; 4.12's "
        "__enable_irq: 'irq_enable(desc); check_irq_resend(desc);' (a 4.11-rc2 tree has the same enable_pirq, "
        "redteam15; so do 3.3.8's and 3.4.4's drivers/xen/events.c, audit14; audit24: and the imports of "
        "zanpocc/linux-4.4.1 and yeyunfeng/linux-4.12 (4.12.3), so the Android 4.4.0 copy and jason50123's research "
        "tree hold here)",
        history=(
            Change("4.13", False, "xen/events: enable_pirq -> enable_dynirq (the commit not found in the stored "
                   "index)",
                   note="audit14: a 4.13.4 tree (shizukanaskytree/linux-4.13.4, Makefile 4.13.4, the file as "
                   "imported), a 4.15.1 and a 4.16.13 tree, 4.14-based Android trees (bhi768/msm-4.14) and (audit24) the "
                   "4.14.5 import of monkeygq/linux-4.14.5 have "
                   "'static void enable_pirq(struct irq_data *data) { enable_dynirq(data); }'; 4.12.0 has "
                   "startup_pirq: the 4.13 merge window (a 4.13.y backport of such a rework is not plausible; "
                   "DepSurf's symbol table shows enable_pirq's size change between its 4.10 and 4.13 kernels)"
                   ". audit26: read in the 4.13.0 tree rohankadekodi/fast-commit-4.13-final (import b2787fc7, "
                   "Makefile 4.13.0; kernel/, arch/x86/ and drivers/xen/ are the import's): 'static void "
                   "enable_pirq(struct irq_data *data) { enable_dynirq(data); }': first in 4.13.0"),
        ),
    ),
    Switch(
        "xen_pirq_eoi_map", "kernel", BOOL, True,
        "a PV guest registers a pirq_eoi_map (xen_init_IRQ: PHYSDEVOP_pirq_eoi_gmfn_v2; with a Xen that knows it, "
        "platform.xen_pirq_eoi_v2) and asks it whether a pirq needs PHYSDEVOP_eoi (pirq_check_eoi_map: Xen set the "
        "bit for an MSI it cannot mask); false: pirq_needs_eoi reads XENIRQSTAT_needs_eoi from "
        "PHYSDEVOP_irq_status_query, which Xen sets for every PV pirq, so every interrupt of every pirq costs a "
        "PHYSDEVOP_eoi",
        initial=False, kinds=("xen-pv",), scoped=True,
        initial_note="linux-3.0.8 drivers/xen/events.c: 'static bool pirq_needs_eoi(unsigned irq)' reads "
        "info->u.pirq.flags & PIRQ_NEEDS_EOI, and the file has no pirq_eoi_map",
        history=(
            Change("3.4", True, "xen: support pirq_eoi_map (its hash not in the stored index)",
                   note="absent from linux-3.0.8's events.c, present (pirq_needs_eoi = pirq_check_eoi_map after a "
                   "successful PHYSDEVOP_pirq_eoi_gmfn_v2) in a 3.9 .. 3.13 drivers/xen/events.c and every later "
                   "events_base.c read; it needs Xen's 0057a949de (2012-01-28) (xenhost). audit14: a 3.3.8 tree "
                   "(ciminaghi/linux-3.3.8, 'original sources', Makefile 3.3.8) has no pirq_eoi_map in "
                   "drivers/xen/events.c; a 3.4.4 tree (prtos-project/prtos-linux-3.4.4, 'linux-3.4.4 clean version') "
                   "has 'static unsigned long *pirq_eoi_map;', pirq_check_eoi_map and the PHYSDEVOP_pirq_eoi_gmfn_v2 "
                   "registration in xen_init_IRQ: 3.4 (a feature, not a 3.4.y backport)"),
        ),
    ),
    Switch(
        "proc_affinity_result", "kernel", BOOL, True,
        "write_irq_affinity (/proc/irq/N/smp_affinity) returns irq_set_affinity()'s error to the writer; "
        "before, it returned the byte count (success) whatever irq_set_affinity() did, once the mask had an "
        "online CPU",
        initial=False,
        initial_note="kernel/irq/proc.c at cc9b94029e9e (4.9 era): 'irq_set_affinity(irq, new_value); err = "
        "count;'",
        history=(
            Change("4.15", True, "genirq/proc: Return proper error code when irq_set_affinity() fails (its "
                   "hash not read)",
                   note="the parent of 306eb5a38dfc (cgit: committed by tglx 2017-11-12 23:25:40 +0100, the day "
                   "v4.14 was tagged), so not in 4.14 (Oracle's UEK5, based on v4.14.35, carries it as its own "
                   "backport c3687c43800a); 4.15 against 4.16 not settled: Linus merged an irq-core-for-linus pull "
                   "on 2017-11-13 (the log of include/linux/msi.h), but neither that merge's shortlog nor a 4.15 "
                   "tree was read (auditkern2); its own hash not found; 5.x kernel/irq/proc.c has 'err = "
                   "irq_set_affinity(irq, new_value); if (!err) err = count;'. audit14: a 4.15.1 tree "
                   "(Kent-Hu/linux-4.15.1, Makefile 4.15.1, kernel/irq/proc.c untouched since its import) has "
                   "write_irq_affinity's 'err = irq_set_affinity(irq, new_value); if (!err) err = count;', and "
                   "stable-queue releases/4.15.1/series has no genirq patch: 4.15 (a 4.13.4 tree still has the old "
                   "form). audit24: so has the kernel.org 4.15.0 import (sndrzt/linux-4.15 6ea062648) the new one, "
                   "and a 4.14.5 import (monkeygq/linux-4.14.5) the old 'irq_set_affinity(irq, new_value); err = "
                   "count;'"),
        ),
    ),
    Switch(
        "msi_activate_early", "kernel", ("none", "first", "all"), "all",
        "which irqs of a PCI/MSI allocation are activated -- vector, IRTE and message programmed -- before MSI "
        "is enabled (MSI_FLAG_ACTIVATE_EARLY): all; only the first of a Multi-MSI block (desc->irq), the others "
        "staying reserved until request_irq activates them; or none, every message being written by "
        "irq_startup (request_irq), after MSI was enabled. MSI-X has one irq per descriptor: first and all "
        "are the same for it",
        initial="all",
        initial_note="before the hierarchical x86 MSI domain, arch_setup_msi_irqs() (native_setup_msi_irqs -> "
        "setup_msi_irq, from msi_capability_init / msix_capability_init before MSI is enabled) composes and writes "
        "each irq's message at setup: 'ret = msi_compose_msg(dev, irq, &msg, -1); ... irq_set_msi_desc_off(irq_base, "
        "irq_offset, msidesc); /* MSI-X message is written per-IRQ, the offset is always 0. MSI message denotes a "
        "contiguous group of IRQs, written for 0th IRQ. */ if (!irq_offset) write_msi_msg(irq, &msg);' (a stored "
        "3.1x arch/x86/kernel/apic/io_apic.c, the setup_remapped_irq era, read by auditkern2): every message, a "
        "Multi-MSI block's single one included",
        history=(
            Change("4.2", "none", "52f518a3a7c2 x86/MSI: Use hierarchical irqdomains to manage MSI interrupts "
                   "(the message is written by msi_domain_activate, called from irq_startup)",
                   note="named by f3b0946d629c's Fixes: tag; cgit gives it the committer date 2015-04-24 (authored "
                   "2015-04-13), after v4.0 and two days before v4.1-rc1 (2015-04-26) (auditkern2). "
                   "audit13: not in 4.1 -- arch/x86/kernel/apic/msi.c of a 4.1.18 tree (the public copy nine7nine/linux-4.1.18-xenomai at 7142a278becc, an I-pipe kernel) still has the arch setup: native_setup_msi_irqs -> irq_alloc_hwirq, setup_msi_irq -> msi_compose_msg -> assign_irq_vector, 'if (!irq_offset) pci_write_msi_msg(irq, &msg);', msi_chip with msi_set_affinity and no MSI irqdomain. So the tip commit of 2015-04-24 went to a later merge window: 4.2 is the reading (the v4.2 tag and Linus' merge not read; scenario.py and sources.py named 4.3 for the x86 hierarchical irqdomains, unsourced; audit14 made them 4.2). audit14: a 4.2.8 tree (mlpzaq9998/linux-4.2, a QNAP NAS import, Makefile 4.2.8) has the hierarchical arch/x86/kernel/apic/msi.c (native_setup_msi_irqs -> irq_remapping_get_irq_domain / msi_default_domain -> pci_msi_domain_alloc_irqs, msi_domain_activate in kernel/irq/msi.c) and irq_startup's unconditional irq_domain_activate_irq; so does a 4.3.0 tree (YoungjaeLee/linux-4.3-cxlbdev). That vendor tree carries later fixes (f3b0946d629c's MSI_FLAG_ACTIVATE_EARLY, a 4.7.3/4.8 commit), but not a backport of a whole x86 irqdomain conversion: 4.2. audit24: a 4.1.19 import without I-pipe (mincepi/linux-4.1.19, Makefile 4.1.19 with EXTRAVERSION '+') has the same pre-hierarchy msi.c (native_setup_msi_irqs, 'pci_write_msi_msg(irq, &msg)'); zfruc/linux-4.2.0 is no 4.2.0 but 4.2.8-ckt12 (Canonical's extended stable) with the hierarchical one"),
            Change("4.8", "first", "f3b0946d629c genirq/msi: Make sure PCI MSIs are activated early",
                   backports=("4.7.3", "4.4.20"),
                   note="cgit: committed by tglx 2016-08-09 (after v4.7, 2016-07-24, and v4.8-rc1), merged into "
                   "irq/urgent for 4.8-rc4 (d16c995fe430, 2016-08-22): 4.8; stable-queue releases/4.7.3/genirq-msi-"
                   "make-sure-pci-msis-are-activated-early.patch ('commit f3b0946d629c upstream'; not in 4.7.2). Its "
                   "diff: msi_domain_alloc_irqs activates irq_domain_get_irq_data(domain, desc->irq) -- one irq per "
                   "descriptor, the first of a Multi-MSI block; its message: 'end-points are allowed to latch the "
                   "content of the MSI configuration registers as soon as MSIs are enabled'. audit20: 4.4.20 carries "
                   "it (the note said it did not): stable-queue releases/4.4.20/series lists genirq-msi-remove-"
                   "unused-msi_flag_identity_map.patch and genirq-msi-make-sure-pci-msis-are-activated-early.patch "
                   "(4.4.20 and 4.7.3 are the releases of 2016-09-07); a 4.4.11 tree (mincepi/linux-4.4.11) has no "
                   "MSI_FLAG_ACTIVATE_EARLY, 4.4.34, 4.4.60 (monkeygq/linux-4.4.60) and 4.4.178 (MichaelTong/linux-"
                   "4.4.178) trees activate desc->irq in msi_domain_alloc_irqs and set the flag in "
                   "pci_msi_create_irq_domain, which x86's msi_default_domain goes through. 08d85f3ea99f "
                   "(startup_reactivates) never reached 4.4.y: 4.4.178's irq_domain_activate_irq has no "
                   "irqd_is_activated test"),
            Change("5.11", "all", "4c457e8cb75e genirq/msi: Activate Multi-MSI early when MSI_FLAG_ACTIVATE_EARLY "
                   "is set",
                   backports=("4.19.175", "5.4.97", "5.10.15"),
                   note="tip irq/urgent 2021-01-30; in the shortlog of Linux 5.11-rc7; the stable review of "
                   "2021-02-08 carries it: stable-queue releases/4.19.175/genirq-msi-activate-multi-msi-early-when-"
                   "msi_flag_activate_early-is-set.patch ('commit 4c457e8cb75e upstream'; not in 4.19.174) "
                   "(redteam12). audit18: the same review round took it into 5.10.15 ('[PATCH 5.10 067/120]' of "
                   "the 5.10.15-rc1 review) and 5.4.97: stable-queue releases/5.10.15/series and "
                   "releases/5.4.97/series list genirq-msi-activate-multi-msi-early-when-msi_flag_activate_early-"
                   "is-set.patch (the index stores only part of those directories' patch files, hence the earlier "
                   "'no file of that name'); releases/4.14.221/series does not"),
        ),
    ),
    Switch(
        "proc_offline_mask", "kernel", ("select", "einval"), "einval",
        "what write_irq_affinity (/proc/irq/N/smp_affinity) does with a mask without an online CPU: "
        "select -- irq_select_affinity_usr() re-runs irq_setup_affinity() under desc->lock (the stored or "
        "default affinity, applied at once, also to an irq that otherwise moves only at its next interrupt) "
        "and the write returns the count unless that fails (then -EINVAL); einval -- -EINVAL",
        initial="select",
        initial_note="irq_select_affinity_usr from 18404756765c genirq: Expose default irq affinity mask "
        "(take 3); kernel/irq/proc.c at cc9b94029e9e (4.9 era) has 'err = irq_select_affinity_usr(irq, "
        "new_value) ? -EINVAL : count;'",
        history=(
            Change("5.6", "einval", "cba6437a1854 genirq/proc: Reject invalid affinity masks (again)",
                   backports=("4.14.172", "4.19.107", "5.4.23", "5.5.7"),
                   note="tip irq/urgent 2020-02-14 (5.6-rc2); stable-queue releases/4.19.107/genirq-proc-reject-"
                   "invalid-affinity-masks-again.patch ('commit cba6437a1854 upstream', not in 4.19.106; its diff: "
                   "irq_select_affinity_usr() becomes 'return -EINVAL;' except with CONFIG_AUTO_IRQ_AFFINITY, i.e. "
                   "alpha). The stable releases of 2020-03-01 (audit13): GKH's 'Linux 5.4.23' and 'Linux 5.5.7' "
                   "announcements list 'Thomas Gleixner (3): x86/mce/amd: Fix kobject lifetime / genirq/proc: Reject "
                   "invalid affinity masks (again) / xen: Enable interrupts when calling _cond_resched()' with "
                   "kernel/irq/proc.c | 22 in the diffstat (5.4.23 answers the '[PATCH 5.4 118/135]' review of "
                   "2020-02-27), 'Linux 4.19.107' the same three, and GKH's reply 'Here's the shortlog for this "
                   "release' to the '[PATCH 4.14 000/237] 4.14.172-stable review' thread lists it under 'Thomas "
                   "Gleixner (4)' next to 'Linux 4.14.172'; no 4.9.y/4.4.y release was found with it (the file "
                   "names in stable-queue's releases/ were not matched: the index lists one copy of a patch). Qian "
                   "Cai's report: the write tripped 6f1a4891a592's WARN_ON in msi_set_affinity (not on the irq's "
                   "target CPU)"),
        ),
    ),
    Switch(
        "affinity_busy_pending", "kernel", BOOL, True,
        "irq_set_affinity() on an irq whose chip moves in process context (interrupt remapping) turns the "
        "vector domain's -EBUSY (the previous move not cleaned up yet) into a pending move applied at the "
        "next interrupt (irq_try_set_affinity); before, the -EBUSY went back to the caller",
        initial=False,
        initial_note="the -EBUSY of a move in progress exists since dccfe3147b42 (x86/vector: Simplify vector "
        "move cleanup, the 4.15 matrix allocator), which 12f47073a40f names in its Fixes: tag",
        history=(
            Change("4.18", True, "12f47073a40f genirq/affinity: Defer affinity setting if irq chip is busy",
                   backports=("4.17.3",),
                   note="committed by tglx 2018-06-06 (after 4.17, released 2018-06-03); stable-queue "
                   "releases/4.17.3/genirq-affinity-defer-affinity-setting-if-irq-chip-is-busy.patch ('commit "
                   "12f47073a40f6aa75119d8f5df4077b7f334cced upstream', Cc: stable): 4.17 lacks it and it was "
                   "upstream before 4.18 (4.17.3 by 2018-07-07): 4.18"),
        ),
    ),
    Switch(
        "affinity_online_filter", "kernel", BOOL, True,
        "irq_do_set_affinity() gives the irq chip only the online CPUs of the requested mask, and fails "
        "a mask without one with -EINVAL before any chip runs; before, the chip got the mask as it was "
        "(the x86 vector domain searches the online CPUs itself: -EBUSY while a move is in progress -- "
        "a pending move from 12f47073a40f -- else -ENOSPC)",
        initial=False,
        history=(
            Change("5.18", True, "33de0aa4bae9 genirq: Always limit the affinity to online CPUs",
                   backports=("5.15.81", "5.10.157"),
                   note="tip irq/core 2022-04-10, merged with irq-urgent-2022-04-10 for 5.18-rc2; stable-queue "
                   "releases/5.15.81/genirq-always-limit-the-affinity-to-online-cpus.patch (Luiz Capitulino's "
                   "backport of 2022-11-28, 'commit 33de0aa4bae982ed6f7c777f86b5af3e627ac937 upstream'). audit20: "
                   "5.10.157 carries it too (the note said 'not in 5.10.156..5.10.159'): GKH's 'Linux 5.10.157' "
                   "announcement lists 'Luiz Capitulino (4): genirq/msi: Shutdown managed interrupts with "
                   "unsatifiable affinities / genirq: Always limit the affinity to online CPUs / irqchip/gic-v3: ... "
                   "/ genirq: Take the proposed affinity at face value if force==true', the stable-queue push of "
                   "2022-11-30 puts 0026546d3d42 on queue/5.10, and releases/5.10.157 holds the series' first patch; "
                   "no copy went to 5.4.y or older (that push's queue/5.4, 4.19, 4.14 and 4.9 have none)"),
        ),
    ),
    Switch(
        "affinity_usr_errno", "kernel", ("EIO", "EPERM"), "EPERM",
        "the error write_irq_affinity returns for an irq whose affinity user space may not set (a managed "
        "irq: irq_can_set_affinity_usr)",
        initial="EIO",
        history=(
            Change("6.12", "EPERM", "eb29369fa543 genirq/proc: Change the return value for set affinity "
                   "permission error",
                   note="committed by tglx 2024-08-29 to tip irq/core (post-receive log); tglx's '[GIT pull] irq/core "
                   "for v6.12-rc1' (irq-core-2024-09-16) lists it, merged as cb69d86550b3 on 2024-09-17 "
                   "(pr-tracker-bot), after v6.11 (2024-09-15): 6.12"),
        ),
    ),
    Switch(
        "cpu0_hotplug", "kernel", BOOL, False,
        "x86 CPU0 has an online file in sysfs (the cpu0_hotplug boot parameter or "
        "CONFIG_BOOTPARAM_HOTPLUG_CPU0=y, Intel CPUs, 4d25031a81d3 to e59e74dc48a3): cpu_offline / cpu_online "
        "of CPU0 work as for any CPU. False (every default): arch_register_cpu() leaves CPU0 not "
        "hotpluggable, there is no cpu0/online file and 'echo 0 > .../cpu0/online' fails with EACCES "
        "(the open's O_CREAT on a sysfs directory, lookup_open). True is accepted only with a kernel.version "
        "from 3.8 to 6.4",
        initial=False, window=("3.8", "6.5"),
        initial_note="before 4d25031a81d3 arch_register_cpu() sets hotpluggable only 'if (num)' (read at "
        "0a3abcf75bf3); from it the feature is off unless cpu0_hotplug is given; e59e74dc48a3 x86/topology: "
        "Remove CPU0 hotplug option removed it again (6.5: tglx's '[GIT pull] smp/core for v6.5-rc1' of 2023-06-26, "
        "the parallel CPU bring-up series, lists it; merged as 9244724fbf8a per the pr-tracker-bot, after v6.4)",
    ),
    Switch(
        "apic_flat_logical", "kernel", BOOL, False,
        "a 64-bit kernel has the flat APIC driver (apic_flat, arch/x86/kernel/apic/apic_flat_64.c): on bare "
        "metal without interrupt remapping, with at most 8 possible CPUs and no ACPI FADT 'APIC physical' "
        "flag (platform.apic_routing), physflat_probe() declines and apic_flat takes over -- logical destination "
        "mode, each CPU's logical id 1 << cpu in its LDR (default_init_apic_ldr), so an MSI's destination "
        "field is 1 << cpu with the address's Destination Mode bit set (apic_flat_calc_apicid). Delivery "
        "mode Fixed from a31e58e129f7 (4.15); before, flat used lowest-priority delivery (not modelled). "
        "False: physflat (the APIC id, physical mode) on every x86-64 machine",
        initial=True, kinds=("bare-metal",), scoped=True,
        initial_note="apic_flat is the default 'apic' of x86-64 (apic_flat_64.c: 'struct apic *apic = "
        "&apic_flat'); apic_drivers(apic_physflat, apic_flat) probes physflat first, and physflat_probe() is "
        "'apic == &apic_physflat || num_possible_cpus() > 8 || jailhouse_paravirt()' (read at 01ccf9bbd25f, "
        "a 6.x tree with .dest_mode_logical = true and .delivery_mode = APIC_DELIVERY_MODE_FIXED)",
        history=(
            Change("6.12", False, "838ba7733e4e x86/apic: Remove logical destination mode for 64-bit",
                   backports=("6.11.3", "6.10.14"),
                   note="in tglx's pull 'x86/apic for v6.12-rc1' (2024-09-17: 'Remove support for APIC local "
                   "destination mode on 64bit'); AUTOSEL queued it for 6.11.y, and GKH's 'Linux 6.11.3' "
                   "announcement (2024-10-10) lists it under Thomas Gleixner (apic_flat_64.c | 119). 6.10.y took it "
                   "in its last release: stable-queue releases/6.10.14/x86-apic-remove-logical-destination-mode-for-"
                   "64-bit.patch ('[ Upstream commit 838ba7733e4e ]'; not in releases/6.10.13) (redteam12); not in "
                   "6.6.55/6.6.56 or 6.1.113"),
        ),
    ),
    Switch(
        "spurious_vector_eoi", "kernel", BOOL, False,
        "a message on the APIC spurious vector 0xff (which sets its ISR bit like any Fixed message) is "
        "acknowledged: smp_spurious_interrupt() EOIs a vector it finds in service. False "
        "(f8a8fe61fec8): vector 0xff is taken for a real APIC spurious interrupt and never EOId -- ISR[0xff] "
        "stays set, the processor priority stays at class 15 and that CPU accepts no further vector",
        initial=True, scoped=True,
        initial_note="before f8a8fe61fec8 every unused system vector entered spurious_interrupt, which pushed "
        "0xff, and smp_spurious_interrupt() read the ISR and 'ACK it if it is a vectored one' (the removed lines "
        "in that commit's diff)",
        history=(
            Change("5.3", False, "f8a8fe61fec8 x86/irq: Seperate unused system vectors from spurious entry again",
                   backports=("4.19.60", "5.1.19", "5.2.2"),
                   note="in tglx's x86-apic-for-linus pull (July 2019, the 5.3 merge window); the 'Linux 5.2.2', "
                   "'5.1.19' and '4.19.60' announcements (2019-07-21) list it (4.19's is tglx's own backport, "
                   "fc6975ee932b)"),
        ),
    ),
    Switch(
        "msi_enabled_early", "kernel", BOOL, True,
        "when msi_capability_init / msix_capability_init set dev->msi_enabled / msix_enabled: true "
        "(c7ecb95ca6a8) -- at their start ('mark it enabled so that setup code can evaluate it'), cleared "
        "again on failure; false -- only once the set-up succeeded. A second enable of the device tests the "
        "flags first (__pci_enable_msix_range / __pci_enable_msi_range), so with true one that starts while "
        "another CPU's set-up runs is -EINVAL ('already enabled')",
        initial=False, scoped=True,
        initial_note="drivers/pci/msi.c before c7ecb95ca6a8: 'dev->msi_enabled = 1;' after pci_msi_set_enable(dev, "
        "1) and 'dev->msix_enabled = 1;' after pci_intx_for_msi(dev, 0), at the end of the set-ups (the "
        "lines that commit's diff moves)",
        history=(
            Change("5.17", True, "c7ecb95ca6a8 PCI/MSI: Set pci_dev::msi[x]_enabled early",
                   note="'[patch V3 01/35]' of tglx's MSI rework (2021-12-10), tip irq/msi; the irq/msi pull for "
                   "v5.17-rc1"),
        ),
    ),
    Switch(
        "edge_wait_new_target", "kernel", BOOL, True,
        "what handle_edge_irq does with an edge whose irq_may_run / irq_can_handle_pm finds the action running on "
        "another CPU (IRQD_IRQ_INPROGRESS) when this CPU is the irq's effective affinity target (cpumask_first of "
        "the effective mask: the new target of a move the old CPU is still handling). true (8d39d6ec4db5) -- for "
        "a single-target irq of handle_edge_irq (x86's vector domain sets IRQD_SINGLE_TARGET; Xen's event-channel "
        "irqs do not) it busy-waits for the flag to clear (irq_wait_on_inprogress: desc->lock dropped, spin, "
        "retake) and handles the edge itself, so the old CPU's loop ends; false -- it sets IRQS_PENDING and "
        "mask_ack_irq()s, and the old CPU unmasks and runs the action again (which a fast device can keep up for "
        "ever: the migration live lock the commit names)",
        initial=False, kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="kernel/irq/chip.c up to 6.16: irq_may_run (irq_can_handle_pm from the 6.16 rework "
        "2d46aea52c02, 'No functional change') returns irq_check_poll(desc) -- false unless a poll runs the irq "
        "-- and handle_edge_irq does 'desc->istate |= IRQS_PENDING; mask_ack_irq(desc);' (read in 4.13.19 and "
        "5.17 trees and the stored v6.6-era chip.c)",
        history=(
            Change("6.17", True, "8d39d6ec4db5 genirq: Prevent migration live lock in handle_edge_irq()",
                   note="tip irq/core 2025-07-22 (tip-bot2 mail, '[patch 4/4]' of 2025-07-18, no Cc: stable); "
                   "tglx's pull irq-core-2025-07-27 (tracked commit 8d39d6ec4db5) merged as dba3ec9f2ad0 on "
                   "2025-07-29 (pr-tracker-bot), the 6.17 merge window after v6.16 (2025-07-27). Stable "
                   "backports: none found (not checked release by release). audit26: the commit (tip-bot2 mail "
                   "of 2025-07-22) carries neither 'Cc: stable' nor a 'Fixes:' tag, and it needs the 6.16 rework "
                   "of irq_can_handle_pm plus two patches of its own series (4e879dedd571, c609045abc77: the "
                   "irq-core-2025-07-27 pull's diff against 6.16's chip.c): no stable series is expected to "
                   "carry it, none is known to; settled as 6.17 only"),
        ),
    ),
    Switch(
        "msi_descs_lock", "kernel", ("none", "mutex"), "mutex",
        "what serialises two enables (or an enable and a disable) of one device's MSI/MSI-X state: mutex -- "
        "msi_lock_descs() (b5f687f97d1e's per-device mutex, taken by the PCI core from 5512c5eaf533 in "
        "msi_capability_init / msix_setup_interrupts and pci_disable_msi[x]); none -- nothing: the only guards "
        "are the msi_enabled / msix_enabled tests at the start of the enable, which a concurrent enable passes "
        "until the first one sets the flag at its end. With mutex a second caller that passed the flag test sleeps "
        "on it (kernel31: readings kernel.msi.lock-descs-waits, kernel.msi.enable-insert-busy); with none both "
        "set-ups run: their descriptors share dev->msi_list, each allocation gives every descriptor on it an irq "
        "(the other's earlier irqs leak), the second populate_msi_sysfs is -EEXIST and its free_msi_irqs frees "
        "the whole list (kernel33: kernel.msi.enable-unserialised, kernel.msi.sysfs-eexist; msidbg refused the "
        "second with -EBUSY before)",
        initial="none", scoped=True,
        initial_note="drivers/pci/msi.c of 4.13.9, 5.10.13 and 5.15.24 (kernel33): __pci_enable_msix ('if "
        "(dev->msi_enabled) { ... can't enable MSI-X (MSI IRQ already assigned) ... return -EINVAL; }'), "
        "__pci_enable_msi_range (WARN_ON_ONCE(dev->msi_enabled); 4.13.9 a bare WARN_ON), msix_setup_entries / "
        "msi_capability_init: list_add_tail onto dev->msi_list, no lock around it",
        history=(
            Change("5.17", "mutex", "5512c5eaf533 PCI/MSI: Protect MSI operations",
                   note="with b5f687f97d1e genirq/msi: Add mutex for MSI list protection; tglx's MSI rework "
                   "('[patch 08/32] PCI/MSI: Protect MSI operations', 2021-11-27), the irq/msi pull for v5.17-rc1"),
        ),
    ),
    Switch(
        "msi_enable_twice_einval", "kernel", BOOL, True,
        "what an enable of the kind already enabled on the device gets (pci_enable_msix_range / "
        "pci_alloc_irq_vectors with MSI-X while msix_enabled, pci_enable_msi_range with MSI while msi_enabled): "
        "true (4c1ef72e9b71) -- 'if (WARN_ON_ONCE(dev->msix_enabled)) return -EINVAL;' (msi_enabled the same); "
        "false -- a bare WARN_ON(!!dev->msix_enabled) and the set-up runs: its descriptors join the enabled ones "
        "on dev->msi_list, its allocation gives every descriptor a new irq (the enabled irqs leak), its "
        "populate_msi_sysfs finds the first enable's 'msi_irqs' group (-EEXIST) and free_msi_irqs frees the "
        "whole list, the flag staying set (readings kernel.msi.enable-unserialised, kernel.msi.sysfs-eexist, "
        "kernel.msi.enable-twice). An enable of the other kind is -EINVAL in every release",
        initial=False, scoped=True,
        initial_note="drivers/pci/msi.c of 4.13.9 (kinmax/linux-4.13.19, kernel33) and 4.19 (0x88888888/"
        "Linux-4.19 at 2de5b434): __pci_enable_msix 'WARN_ON(!!dev->msix_enabled);' then the msi_enabled "
        "test ('can't enable MSI-X (MSI IRQ already assigned)', -EINVAL); __pci_enable_msi_range "
        "'WARN_ON(!!dev->msi_enabled);' then the msix_enabled test",
        history=(
            Change("4.20", True, "4c1ef72e9b71 PCI/MSI: Warn and return error if driver enables MSI/MSI-X twice",
                   note="read present in WindRiver-Labs/linux-yocto-5.2 (2954d129, drivers/pci/msi.c: "
                   "__pci_enable_msix_range 'if (WARN_ON_ONCE(dev->msix_enabled)) return -EINVAL;', "
                   "__pci_enable_msi_range the same for msi_enabled), absent in 4.19; Greg's 2024-08-12 "
                   "'failed to apply to 4.19-stable' mail for edbbaae42a56 lists 4c1ef72e9b71 among the missing "
                   "dependencies (not in 4.19.y), older than b82592199032. audit26: first in 4.20.0 -- the kernel.org "
                   "import 89eafd3c of a4913994/linux-4.20 (Makefile 4.20.0; its later commits only annotate net/, "
                   "include/ and mm/: drivers/pci/msi.c is the import's) has __pci_enable_msi_range 'if (WARN_ON_ONCE(dev->"
                   "msi_enabled)) return -EINVAL;' and __pci_enable_msix_range 'if (WARN_ON_ONCE(dev->"
                   "msix_enabled)) return -EINVAL;', where 4.13.0, 4.13.9 and 4.19 have the bare WARN_ON(!!...)"),
        ),
    ),
    Switch(
        "pci_irq_vector_msi", "kernel", ("dev_irq", "virq"), "virq",
        "what pci_irq_vector(dev, nr) returns while MSI (not MSI-X) is enabled: dev_irq -- 'dev->irq + nr' after "
        "'WARN_ON_ONCE(nr >= entry->nvec_used)' on the first descriptor of dev->msi_list: whatever dev->irq holds "
        "(msi_capability_init's 'dev->irq = entry->irq' at its end, after the flag; the irq of an earlier enable "
        "whose descriptors another set-up freed), no lock; virq -- msi_get_virq(): the descriptor stored at index 0, "
        "under msi_lock_descs, 'desc->irq + index' if index < nvec_used, else 0 (-EINVAL). In both, with neither "
        "MSI nor MSI-X enabled nr 0 is dev->irq (the INTx irq, 0 without a routed pin) and MSI-X is a descriptor "
        "lookup (reading kernel.msi.irq-vector)",
        initial="dev_irq", scoped=True,
        initial_note="drivers/pci/msi.c pci_irq_vector of 4.13.9 (kinmax/linux-4.13.19 at 135f62e8) and 5.15.24 "
        "(yhuan416/linux-5.15.24 at 0ea83df25): 'if (dev->msi_enabled) { struct msi_desc *entry = "
        "first_pci_msi_entry(dev); if (WARN_ON_ONCE(nr >= entry->nvec_used)) return -EINVAL; } else { if "
        "(WARN_ON_ONCE(nr > 0)) return -EINVAL; } return dev->irq + nr;'",
        history=(
            Change("5.17", "virq", "82ff8e6b78fc PCI/MSI: Use msi_get_virq() in pci_get_vector()",
                   note="tip irq/msi (tip-bot2 mail 2021-12-16, 'No functional change intended'; '[patch V3 ...]' "
                   "of tglx's MSI rework, 2021-12-10), the irq/msi pull for v5.17-rc1; read in the 5.17-rc5 tree "
                   "(dunli/linux-5.17 at a5835cacd, drivers/pci/msi/msi.c pci_irq_vector, kernel/irq/msi.c "
                   "msi_get_virq) and 6.12.19 (wishday/linux-6.12.y at 21ae40e85, drivers/pci/msi/api.c, "
                   "msi_domain_get_virq); 5.16 not read as a tree (the diff removes the 5.15.24 lines)"),
        ),
    ),
    Switch(
        "spurious_apic_entry", "kernel", ("smp", "sysvec"), "sysvec",
        "the C function the IDT entry of the APIC spurious vector 0xff runs (the name the kernel notes and hits "
        "give a device message that lands there; the handling is spurious_vector_eoi's): smp -- smp_spurious_interrupt, "
        "arch/x86/kernel/apic/apic.c's handler behind the spurious_interrupt stub (entry_64.S 'apicinterrupt "
        "SPURIOUS_APIC_VECTOR spurious_interrupt smp_spurious_interrupt'); sysvec -- sysvec_spurious_apic_interrupt, the "
        "DEFINE_IDTENTRY_SYSVEC handler of the 5.8 entry rework",
        initial="smp", kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="f8a8fe61fec8 (5.3) gave the unused system vectors their own stubs (common_spurious) but "
        "left 0xff on spurious_interrupt -> smp_spurious_interrupt; the 5.8 x86/entry series first renamed it "
        "smp_spurious_apic_interrupt (never in a release) and db0338eec583 made it sysvec_spurious_apic_interrupt",
        history=(
            Change("5.8", "sysvec",
                   "db0338eec583 x86/entry: Convert APIC interrupts to IDTENTRY_SYSVEC",
                   note="tip x86/entry (tip-bot2 2020-05-27, Commit-ID d1fa4e0e06cf before the branch's rebase); "
                   "its diff turns 'smp_spurious_apic_interrupt' into 'DEFINE_IDTENTRY_SYSVEC("
                   "sysvec_spurious_apic_interrupt)' and the idt.c entry into asm_sysvec_spurious_apic_interrupt; "
                   "in the 5.8 merge window's x86/entry pull"),
        ),
    ),
    Switch(
        "vector_shutdown_slot", "kernel", BOOL, True,
        "what clear_irq_vector() leaves in vector_irq[] for a vector it frees (free_irq's deactivation, a "
        "remove): true (b7107a67f0d1) -- VECTOR_SHUTDOWN, and do_IRQ acks a late hit on it silently and sets "
        "the slot VECTOR_UNUSED; false -- VECTOR_UNUSED at once, so an interrupt that was already on its way "
        "(in the IRR of a CPU busy in hardirq) is 'No irq handler for vector'. Matrix allocator only (the "
        "pre-4.15 vector domain always left VECTOR_UNUSED)",
        initial=False, kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="b7107a67f0d1's diff: clear_irq_vector wrote VECTOR_UNUSED for the vector and the "
        "previous one, and do_IRQ printed 'No irq handler for vector' for every slot but VECTOR_RETRIGGERED "
        "(the [PATCH 5.2 11/21] posting of the 5.2.2 review, 2019-07-18)",
        history=(
            Change("5.3", True, "b7107a67f0d1 x86/irq: Handle spurious interrupt after shutdown gracefully",
                   backports=("4.19.60", "5.1.19", "5.2.2"),
                   note="tip x86/apic 2019-07-03 (the tip-bot mail), with 4001d8e8762f and f8a8fe61fec8; the "
                   "'Linux 5.1.19' and 'Linux 4.19.60' announcements (2019-07-21) and the 5.2.2 review "
                   "('[PATCH 5.2 11/21]', 'commit b7107a67f0d1 upstream') list it"),
        ),
    ),
    Switch(
        "unplug_excludes_managed", "kernel", BOOL, True,
        "what the matrix allocator's CPU-offline check (lapic_can_unplug_cpu, 4.15+) counts as the outgoing "
        "CPU's vectors to move: irq_matrix_allocated() returns only the non-managed ones (cm->allocated - "
        "cm->managed_allocated); before, every allocated vector, managed ones included -- which are shut down "
        "or already reserved elsewhere, not moved -- so an offline could be refused with ENOSPC that fits",
        initial=False,
        initial_note="kernel/irq/matrix.c irq_matrix_allocated: 'return cm->allocated;' (the line a0b0bad10587's "
        "diff replaces, in the stable-queue copies for 4.19, 5.4, 6.1 and 6.6; 'Fixes: 2f75d9e1c905 (\"genirq: "
        "Implement bitmap matrix allocator\")', 4.15)",
        history=(
            Change("6.7", True, "a0b0bad10587 genirq/matrix: Exclude managed interrupts in irq_matrix_allocated()",
                   backports=("4.19.299", "5.4.261", "5.10.201", "5.15.139", "6.1.63", "6.5.12", "6.6.2"),
                   note="stable-queue releases/4.19.299, 5.4.261, 6.1.63 and 6.6.2 series list "
                   "genirq-matrix-exclude-managed-interrupts-in-irq_matr.patch ('[ Upstream commit "
                   "a0b0bad10587ae2948a7c36ca4ffc206007fbcf3 ]', Chen Yu, Link 2023-10-20); a 6.6.2 backport "
                   "means 6.6 lacked it, so mainline 6.7 (redteam14). audit19: the same round reached 5.10.201, "
                   "5.15.139 and 6.5.12 -- the '5.10.201-rc1 review' shortlog names 'Chen Yu: genirq/matrix: "
                   "Exclude managed interrupts in irq_matrix_allocated()' (diffstat kernel/irq/matrix.c | 6), and "
                   "linux-stable-rc's pushes of 2023-11-15 carry it on linux-5.15.y (1849d3bf6aab, ending in "
                   "'Linux 5.15.139-rc1') and linux-6.5.y (e9034eb6b910, 'Linux 6.5.12-rc1')"),
        ),
    ),
    Switch(
        "cpu_disable_apic", "kernel", ("clear", "soft-first", "soft-after"), "soft-after",
        "what native_cpu_disable (take_cpu_down on the outgoing CPU, after its vector check) does to that CPU's "
        "local APIC: clear -- clear_local_APIC() before cpu_disable_common: the LVT entries masked (LVT Error "
        "included) and the ESR cleared, the APIC left software-enabled, so messages still land in its IRR during "
        "and after fixup_irqs (its IRR scan retriggers what came before it; what comes after is pending when the "
        "CPU dies); soft-first -- apic_soft_disable() (clear_local_APIC, then SPIV's enable bit cleared) before "
        "cpu_disable_common: from then on a message to the CPU sets no IRR bit and is lost, also one of an irq "
        "fixup_irqs has not moved yet (the lost interrupts 52d6b926aabc fixed); soft-after -- apic_soft_disable() "
        "after cpu_disable_common (fixup_irqs and its IRR scan, lapic_offline): only messages arriving after the "
        "irqs moved are refused. IRR bits already set are kept by a software disable in every case. Bare metal "
        "and Xen HVM guests (xen_hvm_smp_init replaces no smp_ops.cpu_disable: native_cpu_disable runs on the "
        "vLAPIC, whose refusal is Xen's: platform.xen_vlapic_disabled_refuses); a Xen PV guest's "
        "xen_pv_cpu_disable has no local APIC",
        initial="clear", kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="60dcaad5736f's diff (tglx's IPI shorthand series, [patch V3 13/25] of 2019-07-22) replaces "
        "'clear_local_APIC();' before 'cpu_disable_common();' in native_cpu_disable (every release before it, "
        "4.15 .. 5.3 read through the diff's context)",
        history=(
            Change("5.4", "soft-first", "60dcaad5736f x86/hotplug: Silence APIC and NMI when CPU is dead",
                   note="in the 'x86/apic for 5.4-rc1' pull (2019-09-16, Thomas Gleixner's shortlog)"),
            Change("5.9", "soft-after", "52d6b926aabc x86/hotplug: Silence APIC only after all interrupts are "
                   "migrated", backports=("5.4.62", "5.8.6"),
                   note="'Linux 5.9-rc3' shortlog (2020-08-30); '[PATCH 5.4 181/214]' of the 5.4.62 review "
                   "(2020-09-01, 'commit 52d6b926aabc... upstream') and the 5.8.6 review shortlog list it; "
                   "'Fixes: 60dcaad5736f', so no series before 5.4 needs it"),
        ),
    ),
    Switch(
        "dying_irqs_off", "kernel", ("play-dead", "do-idle"), "do-idle",
        "where the outgoing CPU turns its interrupts off for good once take_cpu_down has returned (multi_cpu_stop's "
        "local_irq_restore at MULTI_STOP_EXIT turned them back on): do-idle -- do_idle's local_irq_disable comes "
        "before its cpu_is_offline check, so cpuhp_report_idle_dead and play_dead run with interrupts off; "
        "play-dead -- the offline check came first: the idle task reported itself (cpuhp_report_idle_dead; "
        "cpu_dead_idle in 4.4; in 3.x _cpu_down polled idle_cpu()) and ran arch_cpu_idle_dead -> play_dead with "
        "interrupts on, and play_dead_common turned them off only after cpu_report_death (CPU_DEAD in 3.x), the "
        "report __cpu_die (native_cpu_die, xen_pv_cpu_die after VCPUOP_down) waits for -- so a vector pending or "
        "arriving meanwhile (an APIC still software-enabled: cpu_disable_apic clear) is taken there. The control "
        "CPU goes on to the CPU_DEAD steps at that report in both",
        initial="play-dead", scoped=True,
        initial_note="kernel/sched/idle.c: 'if (cpu_is_offline(cpu)) { tick_nohz_idle_stop_tick_protected(); "
        "cpuhp_report_idle_dead(); arch_cpu_idle_dead(); } local_irq_disable();' (a 4.17 tree), cpu_idle_loop's "
        "'if (cpu_is_offline(smp_processor_id())) { ... this_cpu_write(cpu_dead_idle, true); arch_cpu_idle_dead(); "
        "} local_irq_disable();' (4.4.0); play_dead_common 'cpu_report_death(); ... local_irq_disable();' (4.4.0, "
        "4.17; '__this_cpu_write(cpu_state, CPU_DEAD); ... local_irq_disable();' in 3.4.4)",
        history=(
            Change("5.4", "do-idle", "e78a7614f387 idle: Prevent late-arriving interrupts from disrupting offline",
                   backports=("5.3.4",),
                   note="'[PATCH 5.3 101/344]' of the 5.3.4-stable review (2019-10-03, '[ Upstream commit "
                   "e78a7614f3876ac649b3df608789cb6ef74d0480 ]'); in Paul McKenney's tip/core/rcu series of "
                   "2019-08-01 for the 5.4 merge window, and powerpc's 'Fixes: e78a7614f387' follow-ups of "
                   "October 2019. Other stable series not matched"),
        ),
    ),
    Switch(
        "vector_allocator", "kernel", ("legacy", "matrix"), "matrix",
        "how the x86 vector domain assigns vectors: legacy -- __assign_irq_vector (4.5..4.14 modelled) gives an MSI "
        "its vector when it is allocated, on the first online CPU of the mask (every MSI on CPU0 at first), "
        "searching from a global cursor in steps of 16; no reservation, no activation-time assignment, "
        "freed slots are VECTOR_UNUSED; matrix -- kernel/irq/matrix.c: a reservation at allocation, the "
        "vector at activation on the CPU of the mask with the most free vectors, its lowest free one. "
        "legacy is modelled for the physical single-CPU allocation domain only (physflat: more than 8 "
        "CPUs, no interrupt remapping): the loader refuses the flat logical and x2APIC cluster cases",
        initial="legacy",
        initial_note="read in a 4.13/4.14 arch/x86/kernel/apic/vector.c (__assign_irq_vector with "
        "cpu_mask_to_apicid(vector_searchmask, irqdata, ...), irqd_set_single_target when "
        "!apic->irq_dest_mode) and a 4.6-4.12 one (the same search); 98229aa36caa (x86/irq: Plug vector cleanup "
        "race, v4.5-rc2; 996c591227d9 is its 4.4.y copy) added the -EBUSY while the old domain has an online CPU -- 4.3/4.4 (hierarchical irqdomains, "
        "before it) and 3.x (irq_cfg in io_apic.c / vector.c, arch_setup_msi_irqs; steps of 16 in a 3.15-4.0 copy, "
        "of 8 in an older io_apic.c) are refused at load",
        history=(
            Change("4.15", "matrix", "69cde0004a4b x86/vector: Use matrix allocator for vector assignment "
                   "(Thomas Gleixner's vector rework, with the reservation and activation commits around it)",
                   note="the hash and title as the Fixes: tag of a 2021 x86/apic fix for the ISA legacy vectors quotes them; the "
                   "series is the 4.15 x86/apic merge (the 4.14 vector.c has none of it); no stable backport"),
        ),
    ),
    Switch(
        "move_busy_rearm", "kernel", BOOL, True,
        "irq_move_masked_irq() keeps a deferred move pending when the vector domain refuses it with -EBUSY "
        "(the previous move's cleanup is outstanding) and retries at the next interrupt; before, the pending "
        "move was dropped (pending_mask cleared) and the irq stayed where it was",
        initial=False,
        initial_note="kernel/irq/migration.c before a33a5d2d16cb: 'if (cpumask_any_and(desc->pending_mask, "
        "cpu_online_mask) < nr_cpu_ids) irq_do_set_affinity(...); cpumask_clear(desc->pending_mask);' (the "
        "diff's - lines); the -EBUSY it ignores exists since 98229aa36caa x86/irq: Plug vector cleanup race (v4.5-rc2; its 4.4.y copy is 996c591227d9, the hash a33a5d2d16cb's Fixes: tag names, as the 4.4/4.9 stable review thread of 2020-06-01 says)",
        history=(
            Change("4.18", True, "a33a5d2d16cb genirq/generic_pending: Do not lose pending affinity update",
                   backports=("4.17.3", "4.14.183", "4.9.226", "4.4.226"),
                   note="upstream v4.18-rc1 (as the stable review thread of 2020-06-01 quotes it); stable-queue "
                   "releases/4.17.3/series lists genirq-generic_pending-do-not-lose-pending-affinity-update.patch "
                   "next to 12f47073a40f. 4.9.226: the 4.9 stable review of 2020-06-01 carries it ('[PATCH 4.9 "
                   "57/61]'), and stable-queue releases/4.9.226/genirq-generic_pending-do-not-lose-pending-affinity-"
                   "update.patch is it ('commit a33a5d2d16cb... upstream'; no such file in releases/4.9.225) "
                   "(redteam12). 4.4.226: '[PATCH 4.4 41/48]' of the 4.4 stable review the same day; 4.4.y has the -EBUSY it "
                   "fixes (996c591227d9, the 4.4.y copy of 98229aa36caa: 'Fixes: 98229aa36caa ... in linux-4.4.y: "
                   "996c591227d9' in the same thread), so 4.4.226+ is true (pirq worlds only: 4.4 bare metal is "
                   "refused at load) (smalls24); 4.14.y was found missing "
                   "then (releases/4.14.182..4.14.184 hold no such file). audit20: 4.14.183 carries it -- Sasha "
                   "Levin's copy has a truncated name: stable-queue releases/4.14.183/series lists genirq-generic_"
                   "pending-do-not-lose-pending-affinity-.patch, '[ Upstream commit a33a5d2d16cb... ]' with the "
                   "-EBUSY rearm in irq_move_masked_irq (no such file in releases/4.14.182); a 4.14.177 tree "
                   "(linuxzjs/linux-4.14) clears pending_mask after irq_do_set_affinity, a 4.14.280 one "
                   "(whitehax0r/PS4-kernel-4.14.280-baikal) rearms"),
        ),
    ),
    Switch(
        "managed_spread", "kernel", BOOL, True,
        "where the matrix allocator (4.15+) activates a managed irq within the online CPUs of its mask: "
        "irq_matrix_alloc_managed(m, msk, &cpu) picks the CPU with the fewest managed vectors allocated "
        "(matrix_find_best_cpu_managed; the last of equals); before, assign_managed_vector() took the first "
        "online CPU of the mask and irq_matrix_alloc_managed(m, cpu) a reserved vector there (-ENOSPC if it had none)",
        initial=False,
        initial_note="arch/x86/kernel/apic/vector.c of the 4.15 matrix era (read in a stored copy with "
        "reserve_managed_vector and x86_vector_debug_show): 'cpumask_and(vector_searchmask, vector_searchmask, "
        "affmsk); cpu = cpumask_first(vector_searchmask); ... vector = irq_matrix_alloc_managed(vector_matrix, cpu);'",
        history=(
            Change("4.20", True, "irq/matrix: Spread managed interrupts on allocation (Dou Liyang, tip x86/apic "
                   "2018-09-18; its own hash not read)",
                   backports=("4.19.37",), unconfirmed=("4.19.37",),
                   note="committed on top of 8ffe4e61c06a irq/matrix: Split out the CPU selection code into a helper "
                   "(no functional change; committed 2018-09-18 on v4.19-rc4); Linus merged 'x86-apic-for-linus' "
                   "as cbbfb0ae2ca9 on 2018-10-23, the day after v4.19, its shortlog exactly those two commits: "
                   "4.20. The merge's diff is the row: assign_managed_vector's 'cpu = cpumask_first(vector_"
                   "searchmask); ... irq_matrix_alloc_managed(vector_matrix, cpu)' becomes 'irq_matrix_alloc_"
                   "managed(vector_matrix, vector_searchmask, &cpu)'. A 4.19 stable review carries the split helper "
                   "('[PATCH 4.19 01/78]'); a 4.19.y release of the spread itself not matched (auditkern2). audit20: 4.19.y "
                   "carries the spread (the record had no backport): assign_managed_vector's 'irq_matrix_alloc_"
                   "managed(vector_matrix, vector_searchmask, &cpu)' and matrix_find_best_cpu_managed are in 4.19.37 "
                   "(Scott31393/linux-tm-4.19.37, raspberrypi's 4.19.37), 4.19.48, 4.19.79, 4.19.108, 4.19.124, "
                   "4.19.222 and 4.19.304 trees, where a 4.19.13 tree (shubham95/linux-4.19.13) still has "
                   "'irq_matrix_alloc_managed(vector_matrix, cpu)'; the first 4.19.y release was not identified "
                   "(no stored stable-queue file or review names it): 4.19.37, the first tree read, is unconfirmed "
                   "-- 4.19.14 .. 4.19.36 may carry it too"),
        ),
    ),
    Switch(
        "setup_affinity_result", "kernel", BOOL, True,
        "irq_setup_affinity() returns irq_do_set_affinity()'s result (the vector domain's -EBUSY or -ENOSPC), which "
        "write_irq_affinity's irq_select_affinity_usr() path (a mask without an online CPU, before cba6437a1854) "
        "turns into -EINVAL for the writer; before, setup_affinity() returned 0 whatever the chip did and the "
        "write succeeded (irq_startup ignores the result in every release)",
        initial=False,
        initial_note="kernel/irq/manage.c setup_affinity() of the 4.9 era (read in a stored copy): "
        "'irq_do_set_affinity(&desc->irq_data, mask, false); return 0;'",
        history=(
            Change("4.13", True, "cba4235e6031 genirq: Remove mask argument from setup_affinity() ('Provide a "
                   "static mask for setup_affinity() and protect it proper'; with 43564bd97d0e genirq: Rename "
                   "setup_affinity() to irq_setup_affinity() and 2e051552df69 genirq: Move initial affinity setup "
                   "to irq_startup())",
                   note="the three are patches of tglx's series of 2017-06-19 (lkml 20170619235444.*, "
                   "20170619235445.*), whose commits cgit dates 2017-06-22 in tip (91f26cb4cd3c, 36d84fb45140), after "
                   "v4.12-rc6; that series is in 4.13-rc1 (cffb717ceb8e: 'fixed in 4.13-rc1 by commit 91f26cb "
                   "(genirq/cpuhotplug: Do not migrated shutdown irqs)') and setup_affinity is in a 4.10 symbol "
                   "table, absent from 4.13's: 4.13. Read: cba4235e6031's message and diffstat (manage.c +23/-30, "
                   "irq_select_affinity_usr loses its mask argument), not its body; later copies have 'ret = "
                   "irq_do_set_affinity(&desc->irq_data, &mask, false); raw_spin_unlock(&mask_lock); return ret;' "
                   "and the 4.9-era one 'return 0;' (auditkern2). The shipped 4.11 scenarios run the same with true "
                   "(checked). audit26: read in the 4.13.0 tree rohankadekodi/fast-commit-4.13-final (import "
                   "b2787fc7, Makefile 4.13.0): irq_setup_affinity's 'ret = irq_do_set_affinity(&desc->irq_data, "
                   "&mask, false); ... return ret;': first in 4.13.0"),
        ),
    ),
    Switch(
        "hotplug_migration", "kernel", ("x86", "generic"), "generic",
        "which irqs a CPU going offline moves, and how: x86 -- fixup_irqs' own loop: every irq with an action "
        "whose affinity mask is no longer a subset of the online CPUs (the dying CPU is in it, wherever the irq "
        "is targeted) is force-completed and re-set through the chip to that mask, or to every online CPU "
        "('Broke affinity'), its mask left as it was, managed or not; generic -- irq_migrate_all_off_this_cpu / "
        "migrate_one_irq: the started irqs whose effective target is the dying CPU, a managed irq with no CPU "
        "left shut down",
        initial="x86",
        initial_note="arch/x86/kernel/irq.c fixup_irqs of 4.6..4.12 (read in a stored copy: "
        "'if (!irq_has_action(irq) || irqd_is_per_cpu(data) || cpumask_subset(affinity, cpu_online_mask)) "
        "continue; irq_force_complete_move(desc); ... ret = chip->irq_set_affinity(data, affinity, true);')",
        history=(
            Change("4.13", "generic", "x86/irq: Use irq_migrate_all_off_this_cpu() (tglx, June 2017; its own "
                   "hash not read)",
                   note="the parent of 36d84fb45140 genirq: Move irq_fixup_move_pending() to core ('Now that x86 "
                   "uses the generic code'), committed to tip 2017-06-22 18:21 with the rest of the genirq/cpuhotplug "
                   "series (cgit), after v4.12-rc6; that series is in 4.13-rc1 (cffb717ceb8e names 91f26cb 'genirq/cpuhotplug: Do "
                   "not migrated shutdown irqs', committed 2017-06-22 18:21:17, as 'fixed in 4.13-rc1'), and "
                   "Linus' 06efc7df3766 (2017-07-30, 4.13-rc3) pulls 'a fix for a regression caused by the "
                   "conversion of x86 to the generic hotplug code' (the revert of 77f85e66aa8b, same series): "
                   "4.13. fixup_irqs is about 680 bytes in 4.4/4.8/4.10 builds and about 250 in 4.13's (a symbol "
                   "table of those releases). The shipped 4.11 scenarios run the same with generic (checked)"
                   ". audit26: read in the 4.13.0 tree rohankadekodi/fast-commit-4.13-final (import b2787fc7, "
                   "Makefile 4.13.0; kernel/, arch/x86/ and drivers/xen/ are the import's): fixup_irqs calls "
                   "irq_migrate_all_off_this_cpu(): first in 4.13.0"),
        ),
    ),
    Switch(
        "hint_sets_affinity", "kernel", BOOL, True,
        "irq_set_affinity_hint() (request_irq's hint:) also sets the irq's affinity to the hint, as a "
        "best-effort __irq_set_affinity(irq, m, false) after storing desc->affinity_hint; before "
        "e2e64a932556 it only stored the hint, which /proc/irq/N/affinity_hint shows (irqbalance reads "
        "it) and nothing in the kernel applies. From 5.17 (65c7cdedeb30) irq_set_affinity_hint() is "
        "irq_set_affinity_and_hint(): it still sets the affinity (irq_update_affinity_hint() does not)",
        initial=False,
        initial_note="kernel/irq/manage.c of 3.18.140 (the import of junan76/linux-3.18.140 at 6b3992c9; "
        "ThunderStorms21th/S7-Linux-3.18.140 at 5c24c178a0a8, first read as 'a public copy of the stable release', "
        "is a custom Galaxy S7 (Exynos 8890) kernel at 3.18.140 with the same function: audit24): irq_set_affinity_hint() is "
        "'desc->affinity_hint = m; irq_put_desc_unlock(desc, flags); return 0;'",
        history=(
            Change("4.0", True, "e2e64a932556 genirq: Set initial affinity in irq_set_affinity_hint() (with "
                   "4fe7ffb7e17c genirq: Fix null pointer reference in irq_set_affinity_hint(), 'if (m)')",
                   note="cgit: authored 2014-12-18, committed by tglx 2015-01-23 on top of v3.19-rc5 into irq/core; "
                   "Linus' 3c6847eaa3da 'Merge branch irq-core-for-linus' (2015-02-16, after v3.19 of 2015-02-08) "
                   "lists both commits: 4.0, not 3.19 (the 2021 revert mail's 'work I did in 2014' is the "
                   "authoring). 4fe7ffb7e17c's diff: 'desc->affinity_hint = m; irq_put_desc_unlock(desc, flags); "
                   "/* set the initial affinity to prevent every interrupt being on CPU0 */ if (m) "
                   "__irq_set_affinity(irq, m, false);'. No stable backport found (auditkern2)"),
        ),
    ),
    Switch(
        "free_irq_deactivate", "kernel", ("shutdown", "delayed"), "delayed",
        "where __free_irq() deactivates the last action's irq (vector freed, message zeroed, IRTE "
        "cleared): shutdown -- irq_shutdown() deactivates under desc->lock, before free_irq waits "
        "for a handler still running on another CPU (synchronize_irq); delayed (4001d8e8762f) -- "
        "irq_shutdown() only masks, and the deactivation follows the wait",
        initial="shutdown",
        initial_note="4001d8e8762f's diff: irq_shutdown() ended with irq_domain_deactivate_irq() ('This must "
        "be called even if the interrupt was never started up'), which its Fixes: tag dates to f8264e34965a "
        "(the hierarchical irqdomain interfaces); an x86 kernel before the hierarchical MSI domain (4.2) "
        "released MSI vectors in arch teardown, not in free_irq (legacyvec's pre-4.15 model, not this row)",
        history=(
            Change("5.3", "delayed", "4001d8e8762f genirq: Delay deactivation in free_irq()",
                   backports=("4.19.60", "5.1.19", "5.2.2"),
                   note="tip x86/apic 2019-07-03 (the tip-bot mail), with 62e0468650c3 (the wait becomes "
                   "__synchronize_hardirq(desc, true)); the 'Linux 5.2.2', '5.1.19' and '4.19.60' announcements "
                   "(2019-07-21) list both: 5.2 lacks them and they were upstream before 5.3 (2019-09-15): 5.3; "
                   "006ae1970a8c (5.1x) has 'Only shutdown. Deactivate after synchronize_hardirq()'"),
        ),
    ),
    Switch(
        "xen_percpu_upcall", "kernel", BOOL, True,
        "how an HVM guest takes its event channel upcall (vector 0xf3) when Xen advertises per-vCPU upcall "
        "vectors (platform.xen_upcall_vector_cpuid): true -- it registers HVMOP_set_evtchn_upcall_vector, Xen "
        "raises the vector in the vCPU's local APIC (vlapic_set_irq, an edge) and the guest EOIs it at entry; "
        "false -- the domain's global callback via (HVMIRQ_callback_vector): Xen injects 0xf3 whenever "
        "evtchn_upcall_pending is set, outside the vLAPIC (no ISR, no EOI), so a mark the running upcall's "
        "loop consumes injects nothing more",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="before b1c3497e604d xen_init_IRQ set the global callback via only (xen_setup_callback_vector, "
        "HVM_CALLBACK_VECTOR(HYPERVISOR_CALLBACK_VECTOR)) and sysvec_xen_hvm_callback wrote no EOI",
        history=(
            Change("6.0", True, "b1c3497e604d x86/xen: Add support for HVMOP_set_evtchn_upcall_vector",
                   note="Juergen Gross's pull 'xen: 2nd round of patches for 6.0-rc1' (for-linus-6.0-rc1b-tag) "
                   "lists it; no stable backport checked (a feature)"),
        ),
    ),
    Switch(
        "free_msi_busy", "kernel", ("bug", "frees"), "frees",
        "what free_msi_irqs() (pci_disable_msi/msix, pci_free_irq_vectors) does with an irq that still has an "
        "action (the driver did not free_irq it): bug -- BUG_ON(irq_has_action()), the task oopses before "
        "anything is freed; frees -- no check (9fb9eb4b59ac): the irqs and their vectors are freed with the "
        "action still attached (remove_proc_entry warns that /proc/irq/N is not empty)",
        initial="bug",
        initial_note="free_msi_irqs() in drivers/pci/msi.c checked every descriptor's irqs with "
        "BUG_ON(irq_has_action(entry->irq + i)) before arch teardown, read at v5.15 and in the 2014-2021 patches "
        "that touch it (the igb poweroff oops of 2024 hit it on 4.14 .. 5.15 stable kernels)",
        scoped=True,
        history=(
            Change("5.17", "frees", "9fb9eb4b59ac PCI/MSI: Let core code free MSI descriptors",
                   note="tglx's series 'genirq/msi, PCI/MSI: Spring cleaning' part 2 (v2 09/31, 2021-12-06), in the "
                   "irq/msi pull for v5.17-rc1 (tag irq-msi-2022-01-13) with ef8dd01538ea; Imran Khan's stable "
                   "mail of 2024-03-12 ('igb: free up irq resources in device shutdown path', for 4.14 .. 5.15) "
                   "says the oops 'does not happen in v5.17 or later kernel versions because commit 9fb9eb4b59ac' "
                   "and that the stable series lack it"),
        ),
    ),
    Switch(
        "startup_reactivates", "kernel", BOOL, False,
        "whether irq_startup() (request_irq) runs the irq domains' activation again for an irq already "
        "activated -- at allocation, by MSI_FLAG_ACTIVATE_EARLY (msi_activate_early): the PCI/MSI domain "
        "composes and writes the message again and, with interrupt remapping, the IRTE is programmed again. "
        "irq_domain_activate_irq() kept no activated state until 'irqdomain: Avoid activating interrupts "
        "more than once' (IRQD_ACTIVATED: it returns at once for an activated irq)",
        initial=False,
        initial_note="before the hierarchical x86 MSI domain (4.2 by the reading, msi_activate_early) no domain "
        "activation reached a PCI/MSI irq: arch setup wrote its message once (setup_msi_irq in a 4.1.18 "
        "arch/x86/kernel/apic/msi.c, audit13)",
        history=(
            Change("4.2", True, "52f518a3a7c2 x86/MSI: Use hierarchical irqdomains to manage MSI interrupts "
                   "(msi_domain_activate under irq_startup's irq_domain_activate_irq)",
                   note="as msi_activate_early's 4.2 row (not in 4.1: a 4.1.18 msi.c writes the message at arch "
                   "setup, audit13); a 4.x irq_startup(desc, resend) read in an unnamed public "
                   "copy of kernel/irq/chip.c: 'irq_state_clr_disabled(desc); desc->depth = 0; "
                   "irq_domain_activate_irq(&desc->irq_data);' -- no condition; its irq_domain_activate_irq (an "
                   "unnamed 4.x kernel/irq/irqdomain.c) recurses to the parent and calls domain->ops->activate "
                   "every time. It matters from f3b0946d629c (4.8, 4.7.3), which activates at allocation"),
            Change("4.10", False, "08d85f3ea99f irqdomain: Avoid activating interrupts more than once",
                   backports=("4.9.9",),
                   note="stable-queue releases/4.9.9/irqdomain-avoid-activating-interrupts-more-than-once.patch: "
                   "'commit 08d85f3ea99f1eeafc4e8507936190e86a16ee8c upstream' (Marc Zyngier, 2017-01-17; Fixes: "
                   "f3b0946d629c), its diff turning irq_domain_activate_irq into 'if (!irqd_is_activated(irq_data)) "
                   "{ __irq_domain_activate_irq(irq_data); irqd_set_activated(irq_data); }'. 4.9 lacks it and it was "
                   "upstream by 4.9.9 (2017-02-09), before 4.10 (2017-02-19): 4.10 (e02136282296 is the 4.9.y "
                   "copy)"),
        ),
    ),
    Switch(
        "hotplug_force_complete", "kernel", ("migrated", "involved"), "involved",
        "which irqs irq_force_complete_move() handles when a CPU goes offline: the ones migrated off it "
        "(freeing their old vector wherever it is), or (a6c11c0a5235) every irq whose current or previous "
        "target is the dying CPU",
        initial="migrated",
        history=(
            Change("6.10", "involved", "a6c11c0a5235 genirq/cpuhotplug, x86/vector: Prevent vector leak "
                   "during CPU offline", backports=("4.19.316", "5.4.278", "5.10.219", "5.15.161", "6.1.93", "6.6.33", "6.9.4"),
                   note="4.19.316: its '-rc1 review' shortlog (Dongli Zhang); 5.4.278, 5.10.219, 5.15.161: the "
                   "linux-stable-rc pushes of June 2024 whose revlists end with the backport and 'Linux 5.4.278-rc1' "
                   "(4ae1d8223761), 'Linux 5.10.219-rc1', 'Linux 5.15.161-rc1' (cbc98cfe42d4) (redteam10). Sasha "
                   "Levin's queue push of 2024-06-11 also queued it for 6.1, 6.6 and 6.9; 6.9.4: the '[PATCH 6.9 "
                   "000/368] 6.9.4-rc2 review' shortlog (2024-06-09) lists it (audit12); 6.6.33: stable-queue "
                   "releases/6.6.33/series lists genirq-cpuhotplug-x86-vector-prevent-vector-leak-during-cpu-offline."
                   "patch (6.9.4's series lists it too; releases/6.6.35/series does not; a 6.6.87 tree has the form) "
                   "(audit14). 6.1.y carries it: kernel/irq/cpuhotplug.c of 6.1.119, 6.1.141 and 6.1.158 trees "
                   "(linux6119/linux-6.1.119, markbirss/linux-6.1.141, HDevices/linux-6.1.158) calls "
                   "irq_force_complete_move(desc) before the 'No move required' test; its first 6.1 release is "
                   "not matched: not in the 6.1.94-rc1 shortlog nor among the stored files of releases/6.1.95, and "
                   "releases/6.1.93/series is not in the stored index (audit14). audit15 confirms 6.1.93: gregkh's "
                   "linux-stable-rc push of 2024-06-09 (refs/heads/linux-6.1.y d2106b62e226..bd8637d23a9e, 'Linux "
                   "6.1.93-rc2', the rc SeongJae Park tested; no -rc3 in the index) lists cee5a30e8de0 'genirq/cpuhotplug, "
                   "x86/vector: Prevent vector leak during CPU offline' between 'KVM: x86: Don't advertise "
                   "guest.MAXPHYADDR as host.MAXPHYADDR in CPUID' (releases/6.1.93 holds its patch) and 'fpga: dfl-pci: "
                   "add PCI subdevice ID for Intel D5005 card'; releases/6.1.95/series does not list it"),
        ),
    ),
    Switch(
        "managed_disable_depth", "kernel", BOOL, True,
        "a managed irq shut down by CPU hotplug keeps its disable depth: irq_shutdown() increments the depth "
        "(desc->depth++) and the CPU's return runs irq_startup_managed() -- depth--, irq_startup() only at "
        "0 -- so an irq the driver disabled stays disabled; before, irq_shutdown() set the depth to 1 and "
        "irq_restore_affinity_of_irq() called irq_startup(), which sets it to 0: the irq came back enabled "
        "and the driver's enable_irq() was 'Unbalanced'",
        initial=False,
        initial_note="kernel/irq/chip.c irq_shutdown: 'desc->depth = 1;' and irq_startup: 'desc->depth = 0;', "
        "kernel/irq/cpuhotplug.c irq_restore_affinity_of_irq: 'if (irqd_is_managed_and_shutdown(data)) "
        "irq_startup(desc, IRQ_RESEND, IRQ_START_COND);' (the lines 788019eb559f's diff replaces)",
        history=(
            Change("6.16", True, "788019eb559f genirq: Retain disable depth for managed interrupts across CPU "
                   "hotplug (with 2b32fc8ff08d genirq/cpuhotplug: Rebalance managed interrupts across multi-CPU "
                   "hotplug: irq_startup_managed clears the managed-shutdown flag first)",
                   note="tglx's '[GIT pull] irq/core for v6.16-rc1' (irq-core-2025-05-25, after v6.15 of 2025-05-25) "
                   "lists it ('Address this by preserving the disabled state for affinity-managed interrupts "
                   "accross these CPU hotplug operations'); 2b32fc8ff08d and 72218d74c9c5 went to tip irq/urgent on "
                   "2025-06-13 (tip-bot mails), for 6.16-rc; stable backports (AUTOSEL picked the series for 6.6, "
                   "6.12, 6.14, 6.15) not matched to releases (redteam8). Not backported (tmr): the AUTOSEL copy "
                   "('[ Upstream commit 788019eb559f... ]', X-stable-base Linux 6.15, 2025-06-01) was dropped 'from all "
                   "stable queues' on 2025-06-06 at Johan Hovold's request (it broke suspend of a ThinkPad T14s; Sasha "
                   "Levin: 'Will do'); stable-queue releases/6.15.1/series, releases/6.15.3/series, "
                   "releases/6.15.4/series, releases/6.12.33/series, releases/6.12.34/series and the stored "
                   "releases/6.6.94 patches list neither it nor its fixes 2b32fc8ff08d / "
                   "72218d74c9c5 (Fixes: 788019eb559f, 6.16-rc3); stored 6.6.57/6.6.80/6.6.87/6.12.19 trees keep "
                   "'desc->depth = 1;' -- so 6.6.y, 6.12.y and 6.15.y keep the initial value. audit15 looked for a later "
                   "release that took it and found none: the index's ten hits for the title (find_string) are the irq/core "
                   "pull, pushes carrying the upstream hash itself, build-robot and tip-bot mails, the fixes' patches "
                   "and a vendor 4.19 port, none a stable review or stable-rc backport; the newest stored trees (6.12.19 wishday/linux-6.12.y, 6.6.87) keep 'desc->depth = "
                   "1;' and cpuhotplug.c's irq_startup(desc, IRQ_RESEND, IRQ_START_COND); DoubleZZeta/linux-6.12.67 "
                   "has no stored chip.c and no snapshot; the stored patches of releases/6.15.5, 6.15.6 and 6.12.36 (July 2025, "
                   "after the fixes reached 6.16-rc3) hold no genirq patch. Other releases after 6.12.34 / 6.6.94 / 6.15.4 "
                   "stay unread"),
        ),
    ),
    Switch(
        "msi_set_affinity_name", "kernel", ("generic", "x86"), "x86",
        "which function is the x86 PCI-MSI irq chip's irq_set_affinity without remapping (the program a `call` "
        "breakpoint and the kernel notes name): generic -- kernel/irq/msi.c's msi_domain_set_affinity "
        "(apic_set_affinity, then irq_chip_write_msi_msg); x86 -- arch/x86's msi_set_affinity, which "
        "6f1a4891a592 gave the chip. The steps are the same with msi_affinity_update: plain (a two-step value "
        "implies x86)",
        initial="generic", kinds=("bare-metal",), scoped=True,
        initial_note="arch/x86/kernel/apic/msi.c before 6f1a4891a592: pci_msi_controller has no .irq_set_affinity and "
        "pci_msi_domain_info sets MSI_FLAG_USE_DEF_CHIP_OPS, so msi_domain_update_chip_ops installs "
        "msi_domain_set_affinity (kernel/irq/msi.c); the diff of 6f1a4891a592 adds '.irq_set_affinity = "
        "msi_set_affinity'",
        history=(
            Change("5.6", "x86", "6f1a4891a592 x86/apic/msi: Plug non-maskable MSI affinity race",
                   backports=("4.19.103", "5.4.19", "5.5.3"), note="as msi_affinity_update's 5.6 row"),
        ),
    ),
    Switch(
        "msix_avail_retry", "kernel", BOOL, False,
        "a failed MSI-X setup after some descriptors got their irq: msix_capability_init() returns how many "
        "did (out_avail) and pci_enable_msix_range() / pci_alloc_irq_vectors() retry with that many; from "
        "60bf9b33c82c only the legacy arch_setup_msi_irqs() path counts. The x86 vector and remapping domains "
        "return that count themselves in every release (msi_handle_pci_fail, before it msix_capability_init), "
        "so the row shows on a Xen HVM guest only: the pirqs xen_hvm_setup_msi_irqs() bound before one "
        "failed are retried with before, while from 5.17 its -ENODEV (Xen's irqdomain wrapper, 5.10+, "
        "bypasses the count) fails the setup",
        initial=True, kinds=("xen-hvm",), scoped=True,
        initial_note="drivers/pci/msi.c msix_capability_init of 4.x/5.x: 'ret = pci_msi_setup_msi_irqs(dev, nvec, "
        "PCI_CAP_ID_MSIX); if (ret) goto out_avail;' and out_avail: 'if (ret < 0) { ... for_each_pci_msi_entry"
        "(entry, dev) { if (entry->irq != 0) avail++; } if (avail != 0) ret = avail; }' (read in a stored 3.x "
        "copy, 4287d824f265, and in the 60bf9b33c82c diff that removes it)",
        history=(
            Change("5.17", False, "60bf9b33c82c PCI/MSI: Move descriptor counting on allocation fail to the "
                   "legacy code",
                   note="tip irq/msi 2021-12-09 (the tip-bot mail read: msix_capability_init's out_avail moves to "
                   "pci_msi_legacy_setup_msi_irqs' pci_msi_setup_check_result; its message: 'The irqdomain code "
                   "already returns the information'), after 890337624e1f genirq/msi: Handle PCI/MSI allocation "
                   "fail in core code; 09eb3ad55fef (2021-12-14) merges irq/urgent into irq/msi on top of it; Linus "
                   "merged tag irq-msi-2022-01-13 (94 commits) as feb7a43de5ef on 2022-01-13, after v5.16 "
                   "(2022-01-09): 5.17 (auditkern2)"),
        ),
    ),
    Switch(
        "nvme_irq_layout", "kernel", ("msix-range", "shared-admin", "pre-vector"), "pre-vector",
        "how the nvme driver's nvme_setup_io_queues sizes and spreads its I/O vectors (a kind: nvme probe with "
        "vectors > 1; vectors: 1 is nvme_pci_enable's admin-only vector, one ordinary irq, in every layout): "
        "pre-vector -- pci_alloc_irq_vectors_affinity(1, I/O queues + 1, PCI_IRQ_AFFINITY, {.pre_vectors = 1}): "
        "vector 0 is the admin queue's alone, an ordinary irq with the default affinity; the I/O vectors are "
        "managed, spread over the possible CPUs; shared-admin -- pci_alloc_irq_vectors(1, I/O queues, "
        "PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY): one vector per I/O queue (at most one per online CPU), every one "
        "managed and spread, vector 0 shared by the admin queue and I/O queue 1 (cq_vector = qid - 1), so a CPU "
        "hotplug that shuts vector 0 down takes the admin queue's interrupt with it; msix-range -- "
        "pci_enable_msix_range(dev->entry, 1, I/O queues) (MSI fallback): the same vectors, none managed (the "
        "driver's per-queue irq_set_affinity_hint is not modelled: they keep the default affinity)",
        initial="msix-range",
        initial_note="drivers/nvme/host/pci.c nvme_setup_io_queues of 4.7/4.8 (a stored copy with "
        "nvme_pci_post_scan): 'nr_io_queues = num_online_cpus(); ... free_irq(dev->entry[0].vector, adminq); ... "
        "if (pdev->msi_enabled) pci_disable_msi(pdev); else if (pdev->msix_enabled) pci_disable_msix(pdev); ... "
        "vecs = pci_enable_msix_range(pdev, dev->entry, 1, nr_io_queues);' and nvme_create_queue's "
        "'nvmeq->cq_vector = qid - 1;'",
        history=(
            Change("4.9", "shared-admin", "dca51e7892fa nvme: switch to use pci_alloc_irq_vectors",
                   note="audit13: read in a 4.9.y tree -- kdrag0n/proton_bluecross (the Pixel 3 kernel, Makefile "
                   "'VERSION = 4 PATCHLEVEL = 9 SUBLEVEL = 137'), drivers/nvme/host/pci.c at 84066a267d81: "
                   "nvme_setup_io_queues' 'nr_io_queues = num_online_cpus(); ... pci_free_irq_vectors(pdev); "
                   "nr_io_queues = pci_alloc_irq_vectors(pdev, 1, nr_io_queues, PCI_IRQ_ALL_TYPES | "
                   "PCI_IRQ_AFFINITY); ... dev->max_qid = nr_io_queues;' and nvme_pci_enable's "
                   "'pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES)' -- a driver conversion, not a stable "
                   "fix, so in 4.9 itself (the v4.9 tag not read). audit24: that Pixel tree is a vendor kernel; "
                   "the 4.9.154 import of sh1rataki/linux-4.9.154 has the same calls and 'cq_vector = qid - 1'. Before: its code read in a stored copy (no release named): nvme_pci_enable's 'result = "
                   "pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);' and nvme_setup_io_queues' 'nr_io_queues "
                   "= num_online_cpus(); ... free_irq(pci_irq_vector(pdev, 0), adminq); ... pci_free_irq_vectors(pdev); "
                   "nr_io_queues = pci_alloc_irq_vectors(pdev, 1, nr_io_queues, PCI_IRQ_ALL_TYPES | "
                   "PCI_IRQ_AFFINITY); ... dev->max_qid = nr_io_queues;' with 'nvmeq->cq_vector = qid - 1;'. The "
                   "release is not confirmed: the conversion belongs to hch's 'blk-mq: allow passing in an external "
                   "queue mapping V3' (2016-09-14, on 4.8-rc4; the series' nvme patch not read), so the 4.9 merge "
                   "window is the reading; pci_alloc_irq_vectors itself is 4.8. The commit itself and the v4.9 tag "
                   "were not read (nvmefid)"),
            Change("4.17", "pre-vector", "22b5560195bd nvme-pci: Separate IO and admin queue IRQ vectors",
                   note="its code read in a stored copy and in a SUSE live patch of nvme_setup_io_queues: 'struct "
                   "irq_affinity affd = { .pre_vectors = 1 }; nr_io_queues = num_possible_cpus(); ... result = "
                   "pci_alloc_irq_vectors_affinity(pdev, 1, nr_io_queues + 1, PCI_IRQ_ALL_TYPES | "
                   "PCI_IRQ_AFFINITY, &affd); ... dev->num_vecs = result; dev->max_qid = max(result - 1, 1);' (one "
                   "vector: the admin queue and I/O queue 1 still share it). The release was not confirmed before audit14: a later "
                   "stable fix names it ('Fixes: 22b5560195bd6 (\"nvme-pci: Separate IO and admin queue IRQ "
                   "vectors\")'), and the 4.17 merge window is the reading (hch's reply to the first version of the "
                   "idea is of early March 2018, v4.16 was released 2018-04-01: a 4.16-rc fix is not excluded, "
                   "which would make 4.16 pre-vector too); neither the v4.16/v4.17 tags nor the nvme pull was read. nvme_calc_irq_sets (5.0, poll/read queues) "
                   "leaves a kind: nvme probe's vector count as it is: no poll or read queues are modelled "
                   "(nvmefid). audit14: settled -- drivers/nvme/host/pci.c of a 4.16.13 tree "
                   "(lizuobin/linux-4.16.13_tiny4412, Makefile 4.16.13, the file as imported) still has "
                   "nvme_setup_io_queues' 'pci_alloc_irq_vectors(pdev, 1, nr_io_queues, PCI_IRQ_ALL_TYPES | "
                   "PCI_IRQ_AFFINITY)' and no pre_vectors; a 4.17.0 tree (SaumyaSachdev/linux-4.17, Makefile "
                   "4.17.0) has '.pre_vectors = 1', 'nr_io_queues = num_possible_cpus();' and "
                   "pci_alloc_irq_vectors_affinity(pdev, 1, nr_io_queues + 1, ...): 4.17, 4.16 shared-admin"),
        ),
    ),
    Switch(
        "nvme_queue_cpus", "kernel", ("online", "present"), "present",
        "how many CPUs the nvme driver's nvme_setup_io_queues counts for its I/O queue count, which bounds the "
        "vectors a kind: nvme probe asks (every layout; vectors: 1 stays one admin-only vector): online -- "
        "num_online_cpus(), so a CPU offline at probe time costs the controller a queue and the request a "
        "vector; present -- every present (or possible) CPU, offline ones included: num_present_cpus() of "
        "4.13 .. 4.15, num_possible_cpus() before 4.7 and again from 4.16 (nvme_max_io_queues later) -- every modelled "
        "CPU is present and possible, so those count the same here",
        initial="present",
        initial_note="before 2800b8e7d9df the driver sized its queues by the possible CPUs: the commit's "
        "message (as SUSE's backport carries it, 'Patch-mainline: v4.7-rc1') -- 'The driver previously "
        "requested allocating queues for the total possible number of CPUs so that blk-mq could rebalance "
        "these if CPUs were added after initialization' -- and stored pre-4.7 copies of nvme_setup_io_queues "
        "with 'nr_io_queues = num_possible_cpus(); result = set_queue_count(dev, nr_io_queues);' (redteam19)",
        history=(
            Change("4.7", "online", "2800b8e7d9df NVMe: Allocate queues only for online cpus",
                   note="SUSE's backport of it names 'Git-commit: 2800b8e7d9dfca1fd9d044dcf7a046b5de5a7239, "
                   "Patch-mainline: v4.7-rc1' (Keith Busch, 2016-05-13): 'we only need to allocate the number of "
                   "online queues since we can add more later'; nvme_setup_io_queues' 'nr_io_queues = "
                   "num_online_cpus();' read in a 4.9.137 tree (kdrag0n/proton_bluecross, nvme_irq_layout's "
                   "reading) and a 4.12.0 tree (jason50123/linux-4.12 at c6b8f6f9e896, Makefile 4.12.0) (redteam19); audit24: "
                   "the same line in the imports of sh1rataki/linux-4.9.154 and yeyunfeng/linux-4.12 (4.12.3), the "
                   "Pixel and Zqos trees being vendor / research kernels"),
            Change("4.13", "present", "nvme_setup_io_queues: nr_io_queues = num_present_cpus() (commit not "
                   "identified: the 4.13 merge window of hch's 'spread MSI(-X) vectors to all possible CPUs' "
                   "series with 9a0ef98e186d)",
                   note="redteam19: drivers/nvme/host/pci.c of a 4.13.9 tree (kinmax/linux-4.13.19 at 135f62e8e4a6, "
                   "Makefile VERSION 4 PATCHLEVEL 13 SUBLEVEL 9) has 'nr_io_queues = num_present_cpus(); result = "
                   "nvme_set_queue_count(&dev->ctrl, &nr_io_queues); ... nr_io_queues = pci_alloc_irq_vectors(pdev, "
                   "1, nr_io_queues, PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY);' where the 4.12.0 tree has "
                   "num_online_cpus(); a 4.14 tree (0wnerDied/Neptune_kernel_sm8150_oneplus at 89a4c6c148bc, a OnePlus "
                   "vendor kernel: audit24) has 'nr_io_queues = num_possible_cpus();' (the same count here), but "
                   "the 4.14.5 import of monkeygq/linux-4.14.5, the 4.13.4 one and the kernel.org 4.15.0 import "
                   "have num_present_cpus() (audit24: possible from 4.16, not 4.14); num_possible_cpus() is in the 4.16.13 "
                   "tree of nvme_irq_layout's 4.16 reading (lizuobin/linux-4.16.13_tiny4412 at cff582ce6f47) and its "
                   "4.17.0 tree. tests/test_nvmefid.py asserted num_online_cpus() for 4.16 against that tree. 4.13.0 "
                   "itself was not read (the earliest read is 4.13.4: audit24): a 4.13.y backport is not excluded "
                   "(unconfirmed). audit26: 4.13.0 read -- rohankadekodi/fast-commit-4.13-final, import b2787fc7 "
                   "(Makefile 4.13.0; its later commits change fs/ and include/linux/ only) has 'nr_io_queues = "
                   "num_present_cpus();' and the same pci_alloc_irq_vectors call: first in 4.13.0, confirmed"),
        ),
    ),
    Switch(
        "affinity_spread_cpus", "kernel", ("online", "present"), "present",
        "which CPUs irq_create_affinity_masks() spreads over the managed vectors of a PCI_IRQ_AFFINITY request, "
        "and which irq_calc_affinity_vectors() counts to bound the request: online -- the CPUs online at probe "
        "time (get_online_cpus), so a CPU offline then is in no managed mask and the request gets one vector "
        "fewer; the vectors past the online CPUs get irq_default_affinity; present -- every present CPU, offline "
        "ones included (later possible CPUs, present ones first, then group_cpus_evenly: every modelled CPU is "
        "present and possible, so those give the same masks here)",
        initial="online",
        initial_note="kernel/irq/affinity.c of the 4.10..4.12 era (two stored copies of unknown commit with "
        "irq_create_affinity_masks(nvecs, affd) and irq_calc_affinity_vectors(maxvec, affd), and with the "
        "one-node rounding 'vecs_to_assign = min(vecs_per_node, ncpus); extra_vecs = ncpus - vecs_to_assign * "
        "(ncpus / vecs_to_assign);' that hch's May 2017 posting below still lacks -- so 4.12, or a stable "
        "release with that fix; before it a node's CPUs left over by ncpus / vectors went into no mask, not "
        "followed here): 'get_online_cpus(); nodes = get_nodes_in_cpumask(cpu_online_mask, "
        "&nodemsk); ... cpumask_and(nmsk, cpu_online_mask, cpumask_of_node(n)); ... done: put_online_cpus(); /* Fill "
        "out vectors at the end that don't need affinity */ for (; curvec < nvecs; curvec++) cpumask_copy(masks + "
        "curvec, irq_default_affinity);' and irq_calc_affinity_vectors' 'cpus = cpumask_weight(cpu_online_mask); ... "
        "return min(cpus, vecs) + resv;'. The 4.8/4.9 irq_create_affinity_mask(&nr_vecs) before them (two stored "
        "copies) counts the online CPUs too ('if (max_vecs >= num_online_cpus()) { cpumask_copy(affinity_mask, "
        "cpu_online_mask); ...} else { for_each_online_cpu(cpu) { if (cpu == get_first_sibling(cpu)) ...') but "
        "gives each vector one CPU of that mask; the model uses the later groups for those releases too "
        "(not followed: one CPU per vector)",
        history=(
            Change("4.13", "present", "9a0ef98e186d genirq/affinity: Assign vectors to all present CPUs",
                   note="its code read in a stored copy of kernel/irq/affinity.c that is hch's posted version (it still has "
                   "irq_affinity_online_cpu there, which 4.13 put in cpuhotplug.c, and the older rounding) "
                   "(node_to_present_cpumask, "
                   "'nodes = get_nodes_in_cpumask(cpu_present_mask, &nodemsk); ... cpumask_and(nmsk, cpu_present_mask, "
                   "node_to_present_cpumask[n]);' and irq_calc_affinity_vectors' 'min_t(int, "
                   "cpumask_weight(cpu_present_mask), vecs) + resv'). The release was not confirmed before audit14: hch's series "
                   "'spread MSI(-X) vectors to all possible CPUs V2' (lkml 2017-05-19, 'takes all present CPUs into "
                   "account instead of all online ones') and its patch 'assign vectors to all present CPUs' (lkml "
                   "1706.0, early June 2017, during 4.12-rc) put it in the 4.13 merge window; the hash is from memory, "
                   "neither the tip commit nor the v4.13 tag was read. What followed does not change the masks of a "
                   "model whose CPUs are all present and possible: 84676c1f21e8 'genirq/affinity: assign vectors to "
                   "all possible CPUs' (named in a 2020s lkml thread as the commit that 'intentionally changed the "
                   "cpu_present_mask to cpu_possible_mask'; 4.16, read in a 4.16.13 tree below), the two-stage "
                   "spread of d3056812e7df (present CPUs first, then possible-but-not-present ones: "
                   "irq_build_affinity_masks in the stored torvalds/linux copy 0145c30e896d) and group_cpus_evenly "
                   "(lib/group_cpus.c, 6.3 by its cover letter 'Please consider it for v6.3!'; same two stages). audit14: "
                   "settled in release trees -- kernel/irq/affinity.c of a 4.12.0 tree (jason50123/linux-4.12, "
                   "Makefile 4.12.0) spreads over cpu_online_mask only; a 4.13.4 tree (shizukanaskytree/linux-4.13.4) "
                   "and a 4.15.1 tree (Kent-Hu/linux-4.15.1) over cpu_present_mask (for_each_present_cpu, "
                   "node_to_present_cpumask); a 4.16.13 tree over cpu_possible_mask: 4.13, and 84676c1f21e8 in "
                   "4.16 (audit24: the 4.14.5 and kernel.org 4.15.0 imports build_node_to_present_cpumask too)"
                   ". audit26: read in the 4.13.0 tree rohankadekodi/fast-commit-4.13-final (import b2787fc7, "
                   "Makefile 4.13.0; kernel/, arch/x86/ and drivers/xen/ are the import's): "
                   "build_node_to_present_cpumask, get_nodes_in_cpumask(node_to_present_cpumask, cpu_present_mask, "
                   "...) and irq_calc_affinity_vectors' 'min_t(int, cpumask_weight(cpu_present_mask), vecs) + "
                   "resv': first in 4.13.0"),
        ),
    ),
    Switch(
        "amd_irte_cmpxchg", "kernel", BOOL, True,
        "with platform.iommu: amd, modify_irte_ga writes a 128-bit (GA) remapping entry with one cmpxchg_double "
        "(later try_cmpxchg128) before invalidating the IOMMU's copy; false: the older sequence -- RemapEn "
        "cleared, both halves written, RemapEn set -- in which a message arriving between the stores meets a "
        "non-remapping entry, an IO_PAGE_FAULT, and is lost (the commit: 'observed when changing irq affinity'). "
        "Read only on AMD-Vi worlds",
        initial=False, kinds=("bare-metal",), scoped=True, iommu="amd",
        initial_note="drivers/iommu/amd_iommu.c modify_irte_ga before e52d58d54a32: 'entry->lo.fields_remap.valid "
        "= 0; entry->hi.val = irte->hi.val; entry->lo.val = irte->lo.val; entry->lo.fields_remap.valid = 1;' "
        "(read in the commit's diff), from 880ac60e2538 (the GA ops, which it Fixes:)",
        history=(
            Change("5.9", True, "e52d58d54a32 iommu/amd: Use cmpxchg_double() when updating 128-bit IRTE",
                   backports=("5.4.68", "5.8.8"),
                   note="audit20: 5.8.8 carries it too (the record had 5.4.68 only): GKH's '[PATCH 5.8 000/186] 5.8.8-rc1 "
                   "review' (2020-09-08) lists 'iommu/amd: Use cmpxchg_double() when updating 128-bit IRTE' after "
                   "'iommu/amd: Restore IRTE.RemapEn bit after programming IRTE', and Joao Martins wrote on "
                   "2020-09-15 that 26e495f341 'was added in v5.4 and v5.8 stable trees but the v5.4 backport didn't "
                   "include e52d58d54a321'; 'Linux 5.9-rc4' (2020-09-06) lists it, so 5.9 is the mainline release. "
                   "'[PATCH 5.4 43/43] iommu/amd: Use cmpxchg_double() when updating 128-bit IRTE' (2020-09-25, "
                   "'commit e52d58d54a321d4fe9d0ecdabe4f8774449f0d6e upstream') answers the 5.4.68-rc1 cover ('the "
                   "stable review cycle for the 5.4.68 release. There are 43 patches'); the patch was posted "
                   "2020-09-03 (lore link), after v5.8 (2020-08-02), and was upstream by 2020-09-25, before v5.9 "
                   "(2020-10-11): first in 5.9"),
        ),
    ),
    Switch(
        "sync_irq_chip_state", "kernel", BOOL, True,
        "free_irq's and disable_irq's synchronize_irq also asks the chip whether the irq is still in flight in "
        "hardware (__synchronize_hardirq(desc, true) -> __irq_get_irqchip_state(IRQCHIP_STATE_ACTIVE)): the "
        "IO-APIC chips answer from the entry's Remote IRR (ioapic_irq_get_chip_state, level entries only), so "
        "free_irq waits until the CPU the level interrupt was sent to has EOId it, and deactivates after; false: "
        "only a handler running on another CPU is waited for -- a level interrupt accepted but not yet serviced "
        "is EOId after its entry was cleared (vector 0), the EOI matches no entry and Remote IRR stays set: the "
        "GSI never interrupts again. The MSI chips report nothing. Read only with intx: pins",
        initial=False, kinds=("bare-metal",), scoped=True,
        initial_note="before 62e0468650c3 __free_irq and synchronize_irq waited only for IRQD_IRQ_INPROGRESS "
        "('while (irqd_irq_inprogress(&desc->irq_data)) cpu_relax();' then the locked re-check); the IO-APIC "
        "chips had no irq_get_irqchip_state before dfe0cf8b51b0",
        history=(
            Change("5.3", True, "62e0468650c3 genirq: Add optional hardware synchronization for shutdown; "
                   "dfe0cf8b51b0 x86/ioapic: Implement irq_get_irqchip_state() callback",
                   backports=("4.19.60", "5.1.19", "5.2.2"),
                   note="tip x86/apic 2019-07-03 (the tip-bot mail of dfe0cf8b51b0: ioapic_chip and ioapic_ir_chip "
                   "get .irq_get_irqchip_state = ioapic_irq_get_chip_state), with 4001d8e8762f "
                   "(free_irq_deactivate); the 'Linux 4.19.60', '5.1.19' and '5.2.2' announcements (2019-07-21) "
                   "list 'genirq: Add optional hardware synchronization for shutdown' and 'x86/ioapic: Implement "
                   "irq_get_irqchip_state() callback' under Thomas Gleixner (6): 5.3"),
        ),
    ),
    Switch(
        "ioapic_move_keeps_masked", "kernel", BOOL, True,
        "a move of a level IO-APIC irq deferred to its next interrupt (ioapic_ack_level) masks and unmasks the "
        "entry only when the core has not masked the irq (df4393424af3); false: it masks the entry and, after "
        "the move, unmasks it whatever the core's masked state -- an irq the core masked (disabled, or "
        "IRQF_ONESHOT) is left unmasked at the IO-APIC while the core calls it masked, and mask_irq never masks "
        "it again: a line still asserted interrupts for as long as it stays asserted. Read only with intx: pins",
        initial=False, kinds=("bare-metal",), scoped=True,
        initial_note="arch/x86/kernel/apic/io_apic.c ioapic_irqd_mask / ioapic_irqd_unmask before it: "
        "'if (unlikely(irqd_is_setaffinity_pending(data))) { mask_ioapic_irq(data); return true; }' and "
        "'if (!io_apic_level_ack_pending(data->chip_data)) irq_move_masked_irq(data); unmask_ioapic_irq(data);' "
        "(the commit's diff in the stable review mails; the stored torvalds/linux copy 00f0f29495e5 of io_apic.c, a "
        "4.19-era stable tree, has the fix under these old names)",
        history=(
            Change("5.5", True, "df4393424af3 x86/ioapic: Prevent inconsistent state when moving an interrupt",
                   backports=("5.4.7", "4.19.92", "4.14.161", "4.9.208", "4.4.208"),
                   note="the tip post-receive mail puts it in x86/apic (committed 2019-10-24); Ingo's '[GIT PULL] "
                   "x86/apic changes for v5.5' (2019-11-25, after v5.4) carries it with 2579a4eefc04 'x86/ioapic: "
                   "Rename misnamed functions': 5.5. Stable: '[PATCH 5.4 172/434]', '[PATCH 4.19 090/219]', "
                   "'[PATCH 4.14 069/161]' (2019-12-29) and '[PATCH 4.4 031/137]' (2020-01-02), each 'Upstream "
                   "commit df4393424af3', answer the review covers of 5.4.7 (434 patches), 4.19.92 (219), 4.14.161 "
                   "(161) and 4.4.208 (137). audit19: 4.9.208 too -- the 'Linux 4.9.208' announcement (2020-01-05) "
                   "lists 'Thomas Gleixner (1): x86/ioapic: Prevent inconsistent state when moving an interrupt' "
                   "(arch/x86/kernel/apic/io_apic.c | 9 +) and stable-queue releases/4.9.208/series "
                   "x86-ioapic-prevent-inconsistent-state-when-moving-an.patch; releases/4.9.207/series does not"),
        ),
    ),
    Switch(
        "affinity_broken_warning", "kernel", BOOL, True,
        "activate_reserved (x86_vector_activate of a reserved irq at request_irq) warns when the vector it found "
        "is outside the irq's affinity mask -- no CPU of the mask had a free vector, or none of it is online, and "
        "assign_irq_vector_any_locked fell back to any online CPU: 'irq %u: Affinity broken due to vector space "
        "exhaustion.' (pr_warn, a note at that step); false: the fallback is silent (only "
        "/proc/irq/N/effective_affinity shows it)",
        initial=False, kinds=("bare-metal", "xen-hvm"), scoped=True,
        initial_note="before 743dac494d61 activate_reserved returned assign_irq_vector_any_locked's result with no "
        "check of the effective affinity (the commit's diff adds the check and the pr_warn)",
        history=(
            Change("5.4", True, "743dac494d61 x86/apic/vector: Warn when vector space exhaustion breaks affinity",
                   backports=("4.19.77", "5.2.19", "5.3.4"),
                   note="tglx's '[GIT PULL] x86/apic changes for 5.4' (x86-apic-for-linus up to 743dac494d61; tip "
                   "commit 2019-08-28): 5.4. The 'Linux 4.19.77' and 'Linux 5.2.19' announcements (2019-10-06) list "
                   "it under Neil Horman; '[PATCH 5.3 170/344]' (2019-10-03) was reviewed for 5.3.y. audit14: the "
                   "5.3 release is 5.3.4, not 5.3.3 -- stable-queue releases/5.3.4/series (the 344-patch release) "
                   "lists x86-apic-vector-warn-when-vector-space-exhaustion-br.patch"),
        ),
    ),
    Switch(
        "note_interrupt_counts", "kernel", ("every", "unhandled"), "unhandled",
        "which interrupts note_interrupt (kernel/irq/spurious.c) counts in irq_count, whose every 100,000th "
        "decides 'nobody cared' (more than 99,900 unhandled: the irq is disabled): unhandled -- only once "
        "irqs_unhandled is set, so the window starts at the first unhandled interrupt; every -- every interrupt "
        "of the irq, handled or not, so a line that starts screaming after N counted interrupts reaches the "
        "window's end after 100,000 - N (and, with fewer than 99,901 unhandled in it, is judged a window later). "
        "Read only with intx: pins (the model runs note_interrupt for the IO-APIC flow handler)",
        initial="every", kinds=("bare-metal",), scoped=True,
        initial_note="kernel/irq/spurious.c note_interrupt before 7c07012eb1be: the commit's diff adds "
        "'if (likely(!desc->irqs_unhandled)) return;' ahead of 'desc->irq_count++; if (likely(desc->irq_count < "
        "100000)) return;' (the tip-bot2 mail of the commit), so before it every call counted",
        history=(
            Change("5.13", "unhandled", "7c07012eb1be genirq: Reduce irqdebug cacheline bouncing",
                   note="tip-bot2: merged into tip irq/core (committer date 2021-04-10); the post-receive log of "
                   "torvalds/linux master of 2021-04-26 (after v5.12, 2021-04-25) lists 7c07012eb1be in the revlist "
                   "of 91552ab8ffb8 \"Merge tag 'irq-core-2021-04-26'\" (pr-tracker-bot: the '[GIT pull] irq/core "
                   "for v5.13-rc1' merge): 5.13. No stable backport found (SUSE carries it as its own backport, "
                   "bsc#1185703) (audit13)"),
        ),
    ),
    Switch(
        "irqfixup", "kernel", ("none", "irqfixup", "irqpoll"), "none",
        "the 'irqfixup' / 'irqpoll' boot option (kernel/irq/spurious.c irqfixup_setup / irqpoll_setup: "
        "irqfixup = 1 / 2, 'Misrouted IRQ fixup [and polling] support enabled'). With either, note_interrupt "
        "calls misrouted_irq for every unhandled interrupt (try_misrouted_irq): unless another poll is running "
        "(irq_poll_active), try_one_irq(desc, false) on every other irq but 0 -- an enabled, shared (IRQF_SHARED, "
        "not __IRQF_TIMER) irq not in progress elsewhere runs all its handlers under IRQS_POLL_INPROGRESS, and "
        "one handled makes irqs_unhandled one less. irqpoll also polls after handled interrupts of irq 0 and of "
        "IRQF_IRQPOLL actions (neither is modelled: the model's timer does not tick, no driver sets the flag), so "
        "here it acts as irqfixup. A boot option, the same in every release modelled; read with intx: pins "
        "(note_interrupt runs for the IO-APIC's level irqs). none: neither option (every default)",
        kinds=("bare-metal",), scoped=True,
        initial_note="irqfixup_setup / irqpoll_setup / try_misrouted_irq / misrouted_irq read in the stored "
        "kernel/irq/spurious.c 08c51f5bddc8 (2025) and in a 2.6.39-era copy (009b4c3b8ad5): the same logic",
    ),
    Switch(
        "bound_probe", "kernel", ("skip", "EBUSY"), "EBUSY",
        "a probe of a device that already has a driver (a probe succeeded, no remove since), under the "
        "device_lock: EBUSY -- __driver_probe_device returns -EBUSY ('if (dev->driver) return -EBUSY') and "
        "device_driver_attach returns it; skip -- device_driver_attach (and __driver_attach) skip "
        "driver_probe_device ('if (!dev->p->dead && !dev->driver)') and return 0. Either way the driver's probe "
        "does not run again and the device stays bound as it was; the error is the caller's (no failed: status, "
        "no probe-failed). (sysfs bind_store before 5.14 also read dev->driver before the lock and returned "
        "-ENODEV when it was set: not modelled, the action is device_driver_attach's)",
        initial="skip",
        initial_note="drivers/base/dd.c before 204db60c8357: device_driver_attach 'If device has been removed or "
        "someone has already successfully bound a driver before us just skip the driver probe call. if "
        "(!dev->p->dead && !dev->driver) ret = driver_probe_device(drv, dev);' returning 0 (the lines the commit "
        "removes, in hch's posting of the patch, 2021-06-14); __driver_attach 'if (!dev->driver) "
        "driver_probe_device(drv, dev);' in the stored 4.x copy of dd.c (013c074f8642)",
        history=(
            Change("5.14", "EBUSY", "204db60c8357 driver core: Pull required checks into driver_probe_device()",
                   note="in Alex Williamson's '[GIT PULL] VFIO updates for v5.14-rc1' (2021-07-02, based on 5.13-rc6: "
                   "Jason Gunthorpe's and Christoph Hellwig's driver core patches), merged into torvalds/linux as "
                   "8e8d9442d113 (pr-tracker-bot, 2021-07-03, after v5.13 of 2021-06-27): 5.14. Not in 5.10-stable "
                   "(a missing dependency in Greg's 2023-11-23 'does not apply to the 5.10-stable tree' mail for "
                   "2e84dc379200). The device_driver_attach of 5a7a9efdb193 (6.x) returns __driver_probe_device's "
                   "-EBUSY (devlock)"),
        ),
    ),
)
