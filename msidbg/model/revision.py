"""The model's revision: which modelled behaviour a snapshot file was recorded with.

A snapshot is verified by re-running its scenario, so it only verifies with a model that behaves
as the one that wrote it. The msidbg version string does not say that (it stayed 0.1.0 through
many fidelity fixes), so snapshots record ``MODEL`` (field ``model``, snapshot format 5), and a
replay that diverges on a file written by another revision says so (``debugger/verify.py``).

Bump ``MODEL`` whenever the same scenario and seed can give a different event sequence, different
hits or a different world at some event: a modelled behaviour changed, or a world field was added,
removed or changed meaning without a conversion on load (``snapread._world``). A layout change the
loader converts (world format 2) is not a new revision. ``tests/test_model_revision.py`` pins the
shipped scenarios' runs (``tests/golden_runs.json``) to the revision, so regenerating those goldens
forces the decision.

Revisions:

- none (snapshot formats 1 to 4 have no ``model`` field): every model before revision 1. Their
  files replay only if nothing they touch changed since; e.g. a file of the 2021 scenario written
  before 4034586 (an affinity stored before request_irq() is where activation places the vector,
  baedb87d1b53) diverges at the vector's activation.
- 1: the model of 2026-12-01 (snapshot format 5).
- 2: the guest's event channel ABI (``model/evtchn_abi.py``): a vCPU's upcall serves its pending
  ports in the 2-level round robin (from the port after the last one served) or in FIFO queue
  order, not lowest port first; the world gains ``xen.abi``, ``xen.sel``, ``xen.fifo``,
  ``xen.linked`` and ``kernel.xen.rr``; EVTCHNOP_bind_vcpu no longer raises the upcall; a port no
  guest irq owns stays pending (``handle_irq_for_port`` skips it) instead of being cleared.
- 3: a ``set_affinity`` error is the writer's, not the device's (no ``failed: E...`` status, no
  ``probe-failed``), and follows its release (``kernel.proc_affinity_result``,
  ``affinity_busy_pending``, ``affinity_usr_errno``; an offline-only mask is EINVAL in
  write_irq_affinity); a failed ``irq_set_affinity_hint`` move no longer fails ``request_irq``;
  ``cpu_offline`` / ``cpu_online`` of CPU0 return EACCES unless ``kernel.cpu0_hotplug``, and of a
  CPU already in that state succeed and do nothing (``online_store``); Xen
  applies the first unmask QEMU's handling binds (``platform.xen_msix_snoop_unmask``, 3a6222bd57;
  an ioreq may carry ``snoop``). The world gains the four kernel switches (every platform) and the
  Xen one (xen-hvm). Also: multi-message MSI enables ilog2(roundup_pow_of_two(nvec)) messages and
  only its first irq writes the device's message (pci_msi_domain_write_msg); QEMU xen-pt re-binds
  MSI with its own ``msi->pirq`` on an address/data write, not the message's; XSA-129
  (``platform.qemu_msi_mask_emulated``, the world gains it on xen-hvm): the guest reads MSI
  Per-vector Masking through QEMU, and before XSA-129 its Mask Bits writes reach the device;
  request_irq fails when activation finds no vector and a failed probe releases its irqs and
  vectors; QEMU binds a plain MSI with the guest's vector and destination (APIC virtualization).
- 4: Xen 69d99d1b22 / qemu-xen-4.10 (``platform.xen_bind_unmask``, ``platform.qemu_bind_unmask``; the
  world gains both on xen-hvm): a binding QEMU asks to unmask clears Xen's guest mask bit, so a plain
  MSI with Per-vector Masking under APIC virtualization signals from Xen 4.10; a re-bind with a new
  guest vector or destination acknowledges a host irq held in flight (``pirq_guest_eoi``); a failed
  first MSI map or bind in QEMU keeps Enable from the device (``xen_pt_msgctrl_reg_write``).
  A pending-bit release is the MSI-X or MSI one that scheduled it (MSI-X disabled before it ran
  crashed a device without MSI, and left the entry unable to release again); a device message on
  a system vector (0x20 before 6.6, 0xec) is a lost, spurious signal, and on 0xec does not run
  the vector cleanup timer's work before the timer is due; a vector from 0xec up with no irq is
  reported as a system vector, not with common_interrupt's "No irq handler for vector".
  Also: an affinity request keeps the caller's mask, offline CPUs included (stored, pending, or
  the irq's affinity after irq_do_set_affinity); the online check is irq_do_set_affinity's from 5.18
  (``kernel.affinity_online_filter``), the vector domain's before; /proc/irq/N/smp_affinity
  exists only from request_irq (-ENOENT before; the irq descriptor gains ``proc``); a /proc write
  without an online CPU re-runs irq_setup_affinity before 5.6 (``kernel.proc_offline_mask``);
  CPU offline keeps an irq's requested affinity unless none of it is online (then the online CPUs,
  and an "IRQ N: no longer affine to CPUn" note); Multi-MSI irqs after the first are activated by
  request_irq before 5.11, and before f3b0946d629c (4.7, unconfirmed) from 4.1 every PCI/MSI irq is
  (``kernel.msi_activate_early``). The world gains the three kernel switches.
  Also (redteam4): an irq_set_affinity() made while irq_move_irq() applies an earlier pending move
  is kept for the next interrupt (the kernel serialises both on desc->lock; the model erased it);
  a /proc write of an offline-only mask before 5.6 fails with -EINVAL when irq_setup_affinity()
  does, from 4.13 (``kernel.setup_affinity_result``; 4.12's setup_affinity() returned 0); before
  the spread of managed interrupts (4.20, unconfirmed) the matrix allocator activates a managed irq
  on the first online CPU of its mask (``kernel.managed_spread``). The world gains those two kernel
  switches.
  Kernels before 4.15 run the pre-matrix x86 vector allocator (``kernel.vector_allocator:
  legacy``, 69cde0004a4b): vectors at allocation on the first online CPU of the mask, a global
  search cursor in strides of 16 (the world gains ``kernel.vec_cursor`` on those kernels), -EBUSY
  before the no-op check, UNUSED slots on free, no activation/deactivation, slots restored at CPU
  online; a deferred move refused -EBUSY is dropped before a33a5d2d16cb (``kernel.move_busy_rearm``,
  4.18); before 4.13 x86 fixup_irqs re-sets every irq whose affinity mask holds the dying CPU
  (``kernel.hotplug_migration: x86``). Every world gains the three kernel switches. Flat logical (8 CPUs or fewer), x2APIC cluster
  (remapping) and pre-4.5 bare-metal scenarios are refused at load.
  A PV guest's pcifront refuses more than SH_INFO_MAX_VEC (128) MSI-X vectors with -EINVAL before
  any op, and pciback's enable is all or nothing (dom0's failed enable unmaps what it mapped and
  leaves the device disabled: MSI-X -ENOSPC, MSI -EINVAL); its MSI teardown is XEN_PCI_OP_disable_msi.
  A Xen guest rebinds an event channel to the lowest online CPU of the mask before 5.11
  (``kernel.xen_affinity_target``: first, cpumask_first_and; the world gains it on xen-*), so
  request_irq leaves a 4.x guest's channels on vCPU 0; before 5.11 (``kernel.xen_affinity_immediate``,
  1ca1b4e2c0cb) a Xen irq is not IRQ_MOVE_PCNTXT: ``set_affinity`` leaves a pending move that the next
  interrupt's eoi_pirq applies. A domU has 32 MSI pirqs (nr_irqs_gsi 70 =
  nr_pirqs 102 - Xen's default extra_domU_irqs), not 54.
  Also: irq_set_affinity_hint() (``request_irq ... hint:``) sets the affinity only from
  e2e64a932556 (3.19, unconfirmed), before which it only stored the hint
  (``kernel.hint_sets_affinity``); free_irq() waits for a handler of the irq on another CPU --
  one that entered handle_edge_irq first keeps its action (desc->lock), so its signal is
  delivered -- and deactivates the irq after that wait from 4001d8e8762f (5.3), inside
  irq_shutdown() before it (``kernel.free_irq_deactivate``). The world gains the two kernel switches.
  APIC ids and MSI destination addresses per topology. Xen HVM vCPU n has APIC id
  2n (vlapic_init): the guest's native messages, QEMU's gflags and Xen's vMSI matching use it; a
  64-bit bare-metal kernel before 6.12 on <= 8 CPUs without remapping uses apic_flat (logical
  destination 1 << cpu, address bit 2; ``kernel.apic_flat_logical``, 838ba7733e4e;
  ``platform.apic_routing``), so those runs' messages change address (not outcome); a logical message
  reaches every APIC whose LDR matches, xAPIC physical 0xFF every APIC. The world gains
  ``cpus[i].ldr``, ``platform.apic`` and (bare metal) ``behaviour.apic_flat_logical``. From
  f8a8fe61fec8 (5.3; ``kernel.spurious_vector_eoi``, every world gains it) a message on vector
  0xff is not EOId: its ISR bit stays set and the CPU accepts nothing after it.
  Before 'irqdomain: Avoid activating interrupts more than once' (4.10; 4.9.9) request_irq's
  irq_startup activates an irq activated at allocation again: its message (and, with remapping, its
  IRTE) is composed and written a second time (``kernel.startup_reactivates``; every world gains it).
5 handle_edge_irq's irq_may_run (kernel/irq/chip.c): an edge that finds the irq's action in progress on
  another CPU sets IRQS_PENDING, masks and acks (mask_ack_irq) and returns; the CPU in the action
  unmasks and runs it again (handle_irq_event's loop). The msi-torn-affinity-update family gives its
  xHCI handler 500ns (it was the 1.5us default, slower than the 1us stream: two CPUs ran one irq's
  action at once, which Linux never does).
  Under a schedule with a window (pct, delay; random with ``timing.window``) a pick of
  a later item no longer lets the clock go back for the next one (the run no longer depends on how
  it is chunked: a replay from a checkpoint diverged); signals Xen held behind an in-flight host irq
  are lost when unmap_domain_pirq frees it (they stayed in flight past the end of the run).
  Xen's vMSI-X intercept before 4.4 as the tags have it: 74c213c506 (4.2; 4.0.4, 4.1.3)
  discards a guest's Vector Control write (``platform.xen_msi_mask: ignored``; before it
  ``unchecked``, the value goes to the physical entry even while Xen masks it) until a35137373a
  (4.4; 4.2.4, 4.3.1: ``direct``); an unmask after an address/data change is applied by Xen when
  QEMU is done only from 74fd0036de (4.4; 4.2.4, 4.3.2: ``platform.xen_msix_unmask_completion``,
  the world gains it on xen-hvm). 78e24c269b (busy ports) is also in Xen 4.4.4, 4.5.3 and 4.6.1.
  An HVM guest uses pirqs only where Xen offers XENFEAT_hvm_pirqs (``platform.xen_hvm_pirqs``, the world
  gains it on xen-hvm): not in Xen 4.0, and from 4.19 (024e7131be5c) only with xl.cfg hvm_pirq=1 -- so
  the current-upstream default (no ``platform.xen``) and ``xen: "4.19"`` and later give a guest with
  native MSIs, as ``apic_virtualization`` does; benchmarks' Xen storms set ``xen_hvm_pirqs: true``.
  QEMU's PHYSDEVOP_unmap_pirq clears the pirq's emuirq first (physdev_unmap_pirq), also while the
  guest's event channel names it: the pirq is free again and a re-bound one is delivered as a vMSI.
  pci_enable_msi[x]_range / pci_alloc_irq_vectors retry a setup that answers a positive
  count (a partly allocated MSI-X setup: the descriptors that got an irq; a Multi-MSI block: 1), and a
  descriptor whose allocation failed keeps irq 0; a Xen HVM guest's bound pirqs are counted so only
  before 60bf9b33c82c (``kernel.msix_avail_retry``, 5.17; the world gains it on xen-hvm). Before
  6f1a4891a592 the x86 PCI-MSI chip's irq_set_affinity is msi_domain_set_affinity
  (``kernel.msi_set_affinity_name``; bare-metal worlds gain it). A device message with a vector below
  16 sets the receiving APIC's ESR Received Illegal Vector and raises its LVT Error interrupt (0xfe),
  which Linux's error_interrupt handles (``cpus[i].esr``, ``kernel.irq_err_count`` appear then). The
  Marvell quirk's suppressed MSI signals are held apart from the PBA / MSI pending counts (the device
  gains ``msix.suppressed``) and lost at the end, named. An activation that assigns no vector (a
  legacy 4.x vector domain, a vector assigned at allocation) no longer logs vector.assign.
  The PCI Command register. ``probe`` runs pci_enable_device (Memory Space on) and
  pci_set_master (Bus Master Enable) first, ``alloc_vectors`` too when no action enabled the device
  yet, and ``remove`` / a failed probe end with pci_disable_device (Bus Master off): new
  ``cfg.write`` events at offset 0x4 (on xen-hvm, traps into QEMU). A device message with Bus
  Master Enable clear is dropped (``msi.dropped``, lost); an MSI-X table access with Memory Space
  clear is unclaimed (``msix.unclaimed``: write dropped, read all ones). A passthrough device starts
  with Memory Space on (pciback); QEMU xen-pt keeps the guest's decode bits emulated. The world gains
  ``kernel.pci.<dev>.enable_cnt`` / ``is_busmaster`` and (xen-hvm) ``qemu.devs.<dev>.cmd``; actions
  may carry ``set_master``.
6 (apicmode) With interrupt remapping the kernel runs x2APIC *cluster* mode, Linux's default there (the probe
  order gives x2apic_phys only the ``x2apic_phys`` command line or the ACPI FADT physical flag, i.e.
  ``platform.apic_routing: physical x2apic``): an IRTE holds Destination Mode logical (the world's IRTE
  entries gain ``logical``) and the CPU's logical x2APIC id (cluster << 16 | 1 << (apic_id & 0xf)) in
  ``dest``, remapped delivery decodes cluster + bitmap, ``cpus[i].ldr`` holds that id and ``platform.apic``
  is ``x2apic-cluster``; ``platform.apic_routing: cluster x2apic`` loads with remapping. Outcomes and
  event logs of the shipped remapped scenarios are unchanged (iommu.irte's target is the CPU named).
  (redteam6) clear_irq_vector leaves VECTOR_SHUTDOWN (a late hit swallowed) only from b7107a67f0d1 (5.3; 4.19.60,
  5.1.19, 5.2.2); a 4.15..5.2 kernel puts VECTOR_UNUSED back, so an interrupt already on its way to a
  vector free_irq / remove released is "No irq handler for vector" (``kernel.vector_shutdown_slot``;
  bare-metal and xen-hvm worlds gain it).
  (irqdisable) the genirq disable / enable path: actions ``disable_irq``, ``disable_irq_nosync``,
  ``enable_irq``; the irq descriptor gains ``depth``, ``disabled`` (IRQD_IRQ_DISABLED), ``unlazy`` and
  ``replay`` (IRQS_REPLAY). handle_edge_irq on a disabled or shut-down irq sets IRQS_PENDING, masks and
  acks and runs no action (``irq.pending``; it used to run the flow handler to an action-less handler
  and count the signal lost there); the do/while loop leaves its IRQS_PENDING edges pending when the
  irq is disabled (it counted them lost); irq_startup (request_irq, enable_irq, CPU hotplug's restore)
  replays IRQS_PENDING through check_irq_resend (``irq.resend``: the vector as an IPI to the irq's CPU,
  or retrigger_dynirq's event channel); edges still pending when the descriptor is freed are lost.
  free_irq's synchronize_irq (the wait disable_irq shares) also waits while another CPU runs the
  action (IRQD_IRQ_INPROGRESS), so from 5.3 the deactivation follows the running handler; from 5.8 an
  irq_startup of a deactivated irq (enable_irq after free_irq) gets apic_set_affinity's -EIO.
  Shipped scenarios: the same events and hits; only the world (state hashes) changes.
  (amdvi) ``platform.iommu: amd`` (AMD-Vi): per-device remapping tables (``iommu.tables.<dev>``), the index
  in the MSI data, ``platform.route: amd-vi``; ``kernel.amd_irte_cmpxchg`` (e52d58d54a32, 5.9: before it a
  GA entry's update cleared RemapEn around the stores; a row only AMD worlds carry: ``Switch.iommu``). Worlds
  without ``iommu: amd`` -- every shipped scenario -- are unchanged.
  (xenqemu3) from Xen 4.19 (64b21662b1, ``platform.xen_dm_msix_all_writes``; the world gains it on
  xen-hvm) a Vector Control write Xen's vMSI-X intercept handled goes on to QEMU as well: the vCPU
  waits for QEMU and QEMU's latch follows the guest's mask bit. QEMU's emulated MSI-X table is mapped
  only while the guest's Memory Space bit is set: otherwise an access Xen does not handle is dropped
  (``xen.null_io`` with QEMU an ioreq server, ``platform.qemu_ioreq_server``, qemu-xen 4.6+; the world
  gains it on xen-hvm), and setting it again re-binds every entry (``xen_pt_msix_update_remap``). The
  raw ``write`` action to a passed-through device goes through QEMU / Xen (pciback on xen-pv) like the
  guest's own accesses. Before ff1e22e7a638 (Linux 4.6, ``kernel.xen_eoi_clear_first``; xen worlds gain
  it) a pirq's pending move runs before clear_evtchn. qemu-traditional's rows follow the Xen release's
  tree when ``platform.xen`` names one: physical mask writes up to 4.1, unmap on disable from 4.5,
  XSA-129 from 4.6 (4.4.3, 4.5.1). Shipped runs: the same events (a new event kind shifts kind codes).
  (cpuhot2) stop_machine's rendezvous (kernel/stop_machine.c multi_cpu_stop): a CPU in hardirq when a
  cpu_offline starts holds MULTI_STOP_PREPARE until it leaves it, the other CPUs keep taking
  interrupts meanwhile (their tasks preempted), and take_cpu_down runs only after every CPU acked
  (``multi_cpu_stop`` events): msi-torn-affinity-update-maskable's offline of CPU2 now waits for the
  stream's end, -plug-race's for CPU2's running action (500ns); their expects unchanged. The task running on a CPU going offline migrates to
  select_fallback_rq's CPU ("no longer affine"; ``kernel.migrating`` while it waits for that CPU's
  action). A device vector 16..31 runs the IDT's exception entry (``exception_vector``), not
  common_interrupt: no EOI, the signal lost as spurious.
  (xenboot) a Xen HVM guest's devices start as hvmloader's pci_setup leaves them (every Xen 4.0 ..
  4.22; a8e0c228c7, 4.14, only reorders its writes): QEMU's emulated Command of a passed-through
  device has Memory Space and Bus Master (the MSI-X table is mapped before the guest runs), the
  device has Bus Master, and a device QEMU emulates itself has both. The first probe's
  pci_enable_device / pci_set_master write no Command (xen-hvm seeds lose those traps; outcomes
  unchanged); a first probe without pci_set_master gets its interrupts on xen-hvm.
  (evtunmask) A Xen guest's unmask_evtchn makes EVTCHNOP_unmask where the ABI's unmask does
  (evtchn_2l_unmask: a port bound to another vCPU, pending or not, or a pending port of an HVM
  guest; evtchn_fifo_unmask: a pending port): a ``xen.hypercall`` step at a hypercall's cost in
  place of ``evtchn.mask`` 0, which delays that vCPU's next step (the pre-ff1e22e7 move-before-clear
  window now runs the handler twice in the ordered schedule).
  (spinwait) A spin wait (free_irq's and disable_irq's synchronize_irq, desc->lock in free_irq and
  handle_edge_irq) notes once when it starts; the polls after it are silent under the ordered policy
  (``Ctx.spin``, ``Engine.quiet_poll``): the same times and order, no event (a 20 us handler's ~200
  notes are one); polls that cannot see a change (before the agenda's next item and the next action
  end) are skipped. Frames gain ``_spin``. Shipped runs: the same events less the repeated notes.
- 7:
  (redteam8) irq_move_irq leaves a pending move alone while the irq is disabled or shut down
  (``__irq_move_irq``: 'if (unlikely(irqd_irq_disabled(idata))) return;', kernel/irq/migration.c in
  every release): an edge parked on a disabled irq no longer moves it in its mask_ack_irq; the move
  waits for the ack of check_irq_resend's retrigger on the irq's current CPU. apic_ack_edge calls
  irq_move_irq once per interrupt: a move it leaves pending (re-armed on -EBUSY, or set again by an
  irq_set_affinity made meanwhile) waits for the next interrupt instead of a second try in the same
  ack (explore-msi-torn-maskable: one mask / -EBUSY / unmask per interrupt instead of two; outcomes
  unchanged). New row ``kernel.managed_disable_depth`` (788019eb559f, 6.16; every world gains it): a
  managed irq shut down by CPU hotplug keeps its disable depth (irq_shutdown depth++, the CPU's return
  runs irq_startup_managed: depth--, startup only at 0), so an irq the driver disabled stays disabled
  across offline/online; before 6.16 the return re-enabled it and the driver's enable_irq WARNed
  "Unbalanced enable". irq_shutdown (free_irq) no longer drops a pending affinity move: only
  irq_move_masked_irq and irq_fixup_move_pending clear IRQD_SETAFFINITY_PENDING, so the first
  interrupt after a new request_irq applies it (shipped runs unchanged).
  (exploreheld) The messages the kernel programmed as a whole (``acct`` ``intended`` /
  ``msi_intended``, the last 4 distinct per entry, what msi-torn-message compares a signal with) are
  kept in the order they were last programmed: a message written again becomes the newest. It stayed
  where it was first written, so with 6f1a4891a592's two messages per move the message the device
  still held could be evicted and a signal sending it whole was reported torn (explore found this
  in a 5.6 scenario: CPU1 -> CPU2 -> CPU3 -> CPU2, then CPU2 offline). Shipped runs: the same events
  and hits; the world's lists are in another order where a message was programmed again.
  (blockfix) The ISA irqs 0..15 (IO-APIC) are started and enabled (depth 0, not IRQD_IRQ_DISABLED)
  and ioapic_chip has its mask (mask_ioapic_irq: the routing entry, no PCI write): a device message
  on an ISA vector (a raw write of MSI data 0x31) runs that irq's handle_edge_irq and action, its
  signals lost as spurious, instead of parking on a "disabled" irq and failing with KeyError
  'IO-APIC' (io_apic.c mp_register_handler / ioapic_chip). On xen-hvm a trapped config or MSI-X
  write from the interrupt context waits for QEMU's completion like a process context's (Xen's
  hvmemul_do_io -> hvm_send_ioreq: X86EMUL_RETRY, hvm_wait_for_io): the CPU stays in hardirq, runs
  nothing and keeps desc->lock meanwhile (``cpus[N].irq.wait``, an ioreq may carry ``in_irq``);
  before, an ack's irq_move_irq -> msi_set_affinity queued its writes and ran on. Shipped runs: the
  same events and hits; every state hash changes (the legacy descriptors' depth / disabled). Off
  Xen, a device message on 0xf3 (HYPERVISOR_CALLBACK_VECTOR, a gate only Xen's init installs) is an
  unused system vector's (spurious_interrupt: no device handler) instead of running the Xen upcall
  and failing with KeyError 'xen'.
  (nvmefid) New row ``kernel.nvme_irq_layout`` (every world gains it): a ``kind: nvme`` probe with
  ``vectors`` > 1 sizes and spreads its vectors as its release's driver did -- pre-vector from
  22b5560195bd (4.17, unconfirmed; the model's previous behaviour for every release), shared-admin
  from dca51e7892fa (4.9, unconfirmed): pci_alloc_irq_vectors(1, I/O queues, PCI_IRQ_AFFINITY) with
  one I/O queue per online CPU at most, every vector managed, vector 0 shared by the admin queue and
  I/O queue 1, so a CPU hotplug that shuts it down takes the admin queue's interrupt with it;
  msix-range before: the same count, unmanaged. ``vectors: 1`` stays nvme_pci_enable's one ordinary
  irq. The 4.9 seeds (xen-pirq-reuse-nvme*) re-probe with 3 vectors instead of 4 (same pirq re-use,
  same outcomes); the 4.11 one-CPU xen-pirq-revert-old-qemu pair no longer rings entry 1, which 4.11's
  driver never set up on one CPU (outcomes unchanged).
  (whyfix2) The moved-vector cleanup that frees nothing (smp_irq_move_cleanup_interrupt before 6.6,
  vector_cleanup_callback from 6.6: ``__vector_cleanup`` walks an empty list when a free_irq or
  hotplug's irq_force_complete_move already released the vector, or keeps one still pending in the
  IRR and retries) emits a ``kernel`` note saying so, not ``vector.free irq=-1 vector=0`` (a release
  that did not happen); a device's message on LOCAL_TIMER_VECTOR before the timer is due notes that
  no timer expired. Same times, world and hits; shipped runs unchanged (none frees nothing there).
  (xentorn) On an interposed device (xen-hvm passthrough) the guest kernel's pci_write_msi_msg no
  longer counts its message as programmed into the device (``acct`` ``intended`` /
  ``msi_intended``): it reaches only QEMU's emulated registers (xen_pt_msgaddr*/msgdata_reg_write,
  qemu hw/xen/xen_pt_config_init.c), and the device holds the host message Xen wrote
  (setup_msi_irq -> write_msi_msg, xen/arch/x86/msi.c), which is what msi-torn-message compares its
  signals with. Mixed into one last-4 list, four guest messages evicted Xen's, and a signal sending
  it whole was reported torn (explore pct found it in a held-out 5.6 xen-hvm native-MSI scenario).
  Shipped runs: the same events and hits; xen-hvm state hashes change (the lists hold Xen's only).
  (redteam9) A Xen HVM guest with native MSIs runs the APIC driver Linux picks there (reading
  ``xen.hvm-apic-mode``): offered XENFEAT_hvm_pirqs (apic_virtualization, Xen 4.5 .. 4.18) it stays in
  xAPIC mode and runs apic_flat on <= 8 vCPUs before 6.12 (logical ``1 << cpu``, DM in QEMU's gflags);
  without the feature (4.19+ by default) physical x2APIC (``platform.apic`` ``x2apic``; 0xFF no broadcast
  in vmsi_deliver) -- it was physflat for both, and a 4.5 .. 4.14 kernel of the latter on <= 8 vCPUs
  was refused as flat. A failed EVTCHNOP_close in shutdown_pirq (the scenario closed the port itself)
  notes xen_evtchn_close's BUG(). cpu_down on a FIFO guest ends with the ABI's CPU_DEAD drain
  (``kernel.xen_fifo_dead_cpu_drain``, taken as 4.4, unconfirmed; xen worlds gain it): a port linked on
  the dead vCPU's queue is unlinked (``Dropping pending event for port N``) and links again on its next
  event; before, it stayed linked and every later event was lost (the drain runs before cpu_down's
  last step, which releases cpu_hotplug_lock). A second hotplug request waits for the lock (a
  spin-wait poll) instead of failing with -EBUSY. A PV guest EOIs a pirq only when its pirq_eoi_map bit is set (an MSI Xen
  cannot mask), not on every interrupt. A raw 4-byte config write at the MSI-X capability header reaches QEMU's MSI-X
  Message Control (it was taken for MSI's: a crash without MSI). Shipped runs: the same events and
  hits; the xen worlds' state hashes change (the new row).
  (affspread) New row ``kernel.affinity_spread_cpus`` (every world gains it): before 9a0ef98e186d
  (4.13, unconfirmed) irq_create_affinity_masks spread the managed vectors over the CPUs online at
  probe time only, and irq_calc_affinity_vectors bounded the request by their count (vectors past the
  last online CPU took irq_default_affinity); from it every present CPU, offline ones included (the
  model's previous behaviour for every release). A ``doorbell`` on a vector the driver has not set up
  (beyond its last probe's count, or after a remove) fails at once with -ENXIO and a note, the device
  not rung, instead of ringing a masked entry and timing out; a device signal held behind an entry the
  driver never set up says so (``msi.held`` and the run end's lost reason).
  (xenpvcb) A xen-pv vCPU's event channel upcall is Xen's PV event callback, not vector 0xf3 in its
  local APIC (Xen vcpu_mark_events_pending: vcpu_kick for PV, hvm_assert_evtchn_irq for HVM only;
  entry.S test_guest_events / create_bounce_frame): Xen sets the vCPU's ``upcall``
  (evtchn_upcall_pending; xen-pv CPUs gain it) once until the guest clears it, and the vCPU is entered
  at xen_evtchn_do_upcall (a ``xen.callback`` event, a new kind) only while its irqs are on
  (evtchn_upcall_mask); no IRR / ISR bit, no ``apic.accept`` / ``apic.eoi`` (so one step less per
  upcall), the loop clears the flag before handling again. xen-hvm is unchanged; no shipped scenario
  is xen-pv. Provenance: ``cpus[n].upcall`` and ``cpus[n].callback`` (why refuses a PV vCPU's irr/isr).
  (pctspin) A spin wait's polls are silent under the random, pct and delay policies too (not with
  jitter): each poll is still picked by the strategy, with the same draws, choice-point count, step
  counts and deviations, so a run makes the choices it made when every poll was an event and a plan
  replays to the same world; only the repeated notes are gone (pct: ~19-30% fewer events on the
  held-out h01/h02). Under pct without a plan, the polls its picker would take in a row (no draw, no
  change point, the spinning CPU's priority the highest due, before the next action end) are picked
  at once (``_Picker.spin_polls``): the same run as picking them one by one. Shipped ``random``
  runs: the same outcomes, fewer events; ordered runs unchanged.
- 8: (redteam11) A CPU that stop_machine's PREPARE waits for (in hardirq when cpu_offline began) takes
  an interrupt already pending when it leaves the handler before its stopper thread acks: the stopper
  runs with interrupts on until MULTI_STOP_DISABLE_IRQ (kernel/stop_machine.c multi_cpu_stop). A Xen
  HVM vCPU whose upcall was marked while its handler ran consumed the port there instead of leaving it
  linked on its dying FIFO queue for evtchn_fifo_percpu_deinit to drop. Such a CPU whose handler is
  blocked on a trapped write (xen-hvm: irq_move_irq's MSI-X update waiting for QEMU) stays blocked
  until QEMU completes it (it ran on with the ioreq outstanding: an internal error). xen-pv: the
  guest's writes to the MSI / MSI-X capabilities (Message Control with Function Mask, MSI address,
  data, Mask Bits) are dropped by pciback (xen_pcibk_config_write: read-only unless permissive;
  msi_msix_flags_write needs allow_interrupt_control, which libxl never sets) instead of reaching the
  device; ``pcifront.dropped`` gains ``space`` (config / msix-table). The FIFO drain's note names
  the CPU_DEAD drain, not 5.10's evtchn_fifo_percpu_deinit, for every release.
  (intx) Legacy INTx on bare metal (docs/model-baremetal.md, "INTx"). A device may declare its INTx#
  pin (``intx: {pin, gsi}``, new world field ``devices.X.intx``); its signals while neither MSI nor
  MSI-X is enabled are its interrupt condition, which asserts the level line unless Command.Interrupt
  Disable is set, instead of being lost ("INTx is not modelled"). The IO-APIC's level entries
  (``w["ioapic"]``, Remote IRR) and their irqs (irq = GSI, chip IO-APIC, handle_fasteoi_irq, shared
  actions) exist in worlds that have such a pin; ``note_interrupt`` disables a line nobody services
  ("nobody cared", 99,900 of 100,000) and ``poll_spurious_irqs`` polls it every HZ/10. For a device
  with a pin, msi_capability_init / msix_capability_init set Command.Interrupt Disable
  (pci_intx_for_msi(dev, 0)) and pci_msi_shutdown / pci_msix_shutdown clear it (bare metal; devices
  without ``intx:`` keep their event logs: the write is left out for them). New modes ``intx`` and
  ``all`` (PCI_IRQ_INTX, PCI_IRQ_ALL_TYPES); new event kinds
  ``ioapic.rte``, ``intx.assert``, ``irq.none``, ``irq.nobody_cared``, ``irq.poll``; new provenance
  codes (every prov digest changes). Shipped runs: the same events and hits; two new scenarios
  (intx-nobody-cared, -claimed).
  (xenhost) New rows ``platform.xen_pirq_eoi_v2`` (0057a949de: Xen 4.2, 4.1.3) and
  ``kernel.xen_pirq_eoi_map`` (3.4, unconfirmed), xen-pv worlds only: a PV guest without a
  pirq_eoi_map (Xen 4.0 / 4.1.0 .. 4.1.2 know only the v1 hypercall Linux never tries; a 3.0 kernel
  registers none) keeps pirq_needs_eoi_flag and Xen's XENIRQSTAT_needs_eoi: a PHYSDEVOP_eoi for every
  interrupt of every pirq (before, the map was assumed on every release).
  (xenhost) Xen's host irqs have a pCPU: per-pCPU host vectors in physical destination mode
  (``xen.vector_irq`` keyed ``pCPU << 8 | vector``, ``xen.pcpu`` vCPU -> pCPU, host irqs gain
  ``cpu`` / ``move`` / ``old``), vectors from __assign_irq_vector's search (0x31, 0x39, 0x41, ...
  instead of 0x31, 0x32, ...), the physical message names the pCPU. EVTCHNOP_bind_vcpu of a pirq
  port and pt_irq_create_bind's hvm_migrate_pirq record a move that the host irq's next interrupt
  applies (move_native_irq): masked for MSI-X and maskable MSI, live for a plain MSI (address at
  the ack, data a config write later: ``xen.msi``, a new event kind) -- a signal in between is torn
  and lost on the new pCPU. pirq_guest_bind rewrites the message at the first binding, after
  startup's unmask before 1aeb1156fa (new row ``platform.xen_bind_affinity_first``: 4.6; 4.4.3,
  4.5.1). New action ``vcpu_migrate`` (an extension, Xen platforms; event ``xen.migrate``): Xen's
  scheduler moves a vCPU to a pCPU, sched_move_irqs' evtchn_move_pirqs / hvm_migrate_pirqs ask the
  moves. Shipped Xen scenarios: the same outcomes; their host messages and the provenance of the
  device's registers (the binding rewrote them) change.
  (redteam10) Stable backports read in the stable review shortlogs and linux-stable-rc pushes, which
  change what a ``kernel.version`` of those series resolves to (no shipped scenario names one):
  6f1a4891a592 in 5.4.19 (``msi_affinity_update: plug-race``, ``msi_set_affinity_name: x86``; a 5.4.19+
  kernel tore the 2020 update like 5.4.18), b56ebe7c896d in 6.5.13 and 6.6.3 (``can-reserve``),
  a6c11c0a5235 in 5.4.278, 5.10.219 and 5.15.161 (``hotplug_force_complete: involved``), and
  baedb87d1b53 with its x86 opt-in in 5.4.60, 4.19.141 and 5.7.17 (``affinity_on_activate``: an
  affinity stored before request_irq is where activation places the vector, no pending move).
  A move completing after its old CPU went offline frees the old vector only with a6c11c0a5235
  (``hotplug_force_complete: involved``; its __vector_schedule_cleanup / __send_cleanup_vector hunk),
  else leaves it allocated in that CPU's matrix; the model had tied this to the cleanup timer (6.6),
  so 6.6 .. 6.9 freed it and 5.15.161 etc. leaked it. Shipped runs unchanged.
  (stopmach) stop_machine ordering (redteam10's explore pct findings; kernel/stop_machine.c
  multi_cpu_stop, stop_machine_cpuslocked; kernel/cpu.c takedown_cpu / take_cpu_down; arch/x86
  cpu_disable_common -> remove_cpu_from_maps; v6.6). A CPU out of hardirq with interrupts on and a
  vector pending in its IRR when a stop_machine begins (``hotplug.takes_irq``) is waited for like one
  in hardirq: it takes the interrupt before its stopper acks (a second offline had stopped the CPU the
  first just released with the edges latched during MULTI_STOP_RUN still pending, and its fixup freed
  their vector). The requesting CPU runs a stopper thread too: in a handler or with an interrupt
  pending when the others acked MULTI_STOP_PREPARE, it takes it before switching interrupts off (it
  switched them off at once). The outgoing CPU leaves the vector domain's cpu_online() at
  take_cpu_down, not when cpu_down starts (``cpu_active`` still refuses actions on it from the
  start): a move completing while stop_machine waits queues the old vector's cleanup on it instead of
  freeing it under an edge in its IRR. Shipped runs: msi-torn-affinity-update-remapped ordered (the
  xHCI edge reaching CPU2 at 900 us, as its offline starts, is taken first; the offline then waits
  for the stream like its siblings'): the same outcomes and hits, more events.
- 9: (redteam13) New row ``platform.xen_pirq_follows_vcpu`` (38b998cfb6 "x86: IRQ affinity should track vCPU
  affinity": RELEASE-4.1.0, not on stable-4.0; xen worlds gain it): Xen 4.0.x's evtchn_bind_vcpu only sets
  notify_vcpu_id and its scheduler has no evtchn_move_pirqs, so a guest's EVTCHNOP_bind_vcpu of a pirq port
  and a ``vcpu_migrate`` no longer move the pirq's host irq there (a PV guest's live plain MSI was rewritten
  and torn on 4.0.x as on 4.1+); hvm_migrate_pirqs (RELEASE-4.0.0) still moves an HVM guest's bound MSI.
  QEMU xen-pt shows the guest MSI Multiple Message Capable 0 (its Message Control emulates bits 3:1 at
  init_val 0 in every qemu-xen and qemu-traditional tree): the guest's Message Control writes on xen-hvm
  carry no MMC bits and pci_msi_vec_count is 1 (outcomes unchanged: an x86 guest without remapping and a
  pirq guest got one vector anyway). A ``vcpu_migrate`` to the pCPU the vCPU already runs on asks no move
  (vcpu_migrate: 'if ( old_cpu != new_cpu ) sched_move_irqs'; vmx_do_resume's hvm_migrate_pirqs only on
  another pCPU): the next interrupt no longer rewrites the same message.
  (redteam12) Stable releases read in gregkh's stable-queue (releases/X.Y.Z/*.patch, 'commit <hash>
  upstream'), which change what a ``kernel.version`` of those series resolves to: 6f1a4891a592 in 5.5.3
  (``msi_affinity_update: plug-race``, ``msi_set_affinity_name: x86``: a 5.5.3+ kernel no longer tears the
  2020 update), the 2021 series in 5.13.12 (``affinity_before_startup``, ``msix_enable_first``,
  ``msix_mask_all``, ``msix_masked_update``), a33a5d2d16cb in 4.9.226 (``move_busy_rearm``: a legacy-allocator
  deferred move refused -EBUSY is re-armed), 9c8e9c9681a0 in 5.15.3 (``msix_ctrl_read_can_mask``: the
  shipped 5.15.11 / 5.15.30 / 5.15.38 seeds change state hashes, and the 5.15.38 xen-hvm ignore-mask seed
  no longer reads Vector Control under pci_msi_ignore_mask -- three events fewer, same outcome) and
  4c457e8cb75e in 4.19.175 (``msi_activate_early: all``), 838ba7733e4e in 6.10.14 (``apic_flat_logical``
  off: physflat on <= 8 CPUs). The PCI_IRQ_INTX fallback with an earlier MSI or
  MSI-X setup still enabled returns 1 and leaves vector 0 that setup's first irq (pci_irq_vector); it
  replaced the device's descriptors with the GSI's and a later remove crashed (KeyError).
  the session of 2026-12-01 22:54 (one paragraph per lane).
  (levelmove) A level IO-APIC irq (INTx) moves: the loader no longer refuses ``set_affinity`` / ``hint`` on a
  device with an ``intx:`` pin or ``cpu_offline`` in a scenario with one. irq_set_affinity leaves a pending
  move (no IRQ_MOVE_PCNTXT without remapping) that the next interrupt's ioapic_ack_level applies
  (io_apic.c at 00f0f29495e5): irq_complete_move (the old vector's cleanup, as apic_ack_edge), the entry
  masked by the chip, the local APIC EOI -- broadcast to the IO-APIC only for a vector whose TMR bit is set
  (``cpus[N].tmr``, kept for IO-APIC vectors: a level delivery sets it, fixup_irqs' retrigger IPI clears
  it) -- then eoi_ioapic_pin for a vector whose TMR bit is clear, irq_move_masked_irq when
  io_apic_level_ack_pending finds Remote IRR clear (ioapic_set_affinity rewrites the entry from its cached
  mask bit, no longer the irq's), and the unmask; new row ``kernel.ioapic_move_keeps_masked``
  (df4393424af3, 5.5; backports unconfirmed): before it the move unmasks the entry of an irq the core
  masked (a disabled line interrupts until enable_irq). CPU offline migrates the INTx irqs (cpu_down's
  list now takes irqs with an action list) and a level interrupt in flight is forwarded as an edge whose
  EOI is eoi_ioapic_pin. handle_fasteoi_irq's chip EOI is now five steps (events only where they act).
  irq_enable spins on desc->lock held by a flow handler on another CPU. Shipped runs: the same events;
  every bare-metal world gains the row; the string table gains the new program.
  (audit12) free_msi_irqs with an irq that still has an action (the driver skipped free_irq) follows
  the release (new row ``kernel.free_msi_busy``): up to 5.16 BUG_ON(irq_has_action()) -- msidbg names the
  BUG and keeps the descriptors as the oops leaves them (it had answered -EBUSY in every release); from
  9fb9eb4b59ac (5.17) the irqs and their vectors are freed with the actions attached (on Xen routes that
  free is not modelled: the teardown stops with a note). An HVM guest's upcall follows the release (new
  rows ``kernel.xen_percpu_upcall``, 6.0 b1c3497e604d, and ``platform.xen_upcall_vector_cpuid``, Xen 4.17
  e2d2b9fd7a): the per-vCPU upcall vector (vlapic_set_irq, EOIed at entry) only when both have it, else the
  global callback via -- 0xf3 with no EOI, and a mark while the upcall runs is taken by its loop instead of
  raising the vector again (it was the per-vCPU vector in every release). The worlds gain the switches
  (free_msi_busy everywhere, the two upcall rows on xen-hvm); shipped runs: the Xen HVM scenarios of
  releases before 6.0 / 4.17 lose the upcall's apic.eoi events (and the empty upcalls after a mark), with
  the same outcomes and breakpoints (their hits move to earlier events).
  (intxxen) Legacy INTx of a Xen HVM guest's passthrough function (docs/model-xen.md, "INTx on an HVM
  guest"; model/xen_intx.py): ``intx:`` on ``xen-hvm`` with ``passthrough: true`` is no longer a load error
  (Xen 4.16+, a guest without pirqs, guest GSIs 16..23; xen-pv and the rest stay refused). The guest's
  GSI is hvm_pci_intx_gsi(slot, pin); the machine GSI's host irq (ACKTYPE_EOI, Remote IRR) runs
  do_IRQ_guest -> hvm_dirq_assist (new event ``xen.intx``; world ``xen.intx``, ``devices.<d>.intx.mgsi``),
  the guest's EOI runs vioapic_update_EOI -> hvm_dpci_eoi (deassert, uint16 ``pending``, pirq_guest_eoi,
  the host EOI), and the 1 ms eoi_timer EOIs a host irq the guest did not. QEMU xen-pt passes a cleared
  Interrupt Disable through for a function with a machine irq. Shipped runs: unchanged (none has an HVM
  pin).
  (explore12) On ``xen-pv`` a vCPU with Xen's event upcall pending and interrupts on counts, when
  stop_machine begins (and at its rendezvous), as one that takes an interrupt before its stopper acks
  (Xen's return to the guest enters the callback first: entry.S ``test_guest_events``); it was stopped at
  once with interrupts off and the CPU_DEAD drain dropped its queued port (``msidbg explore --strategy pct``
  on a held-out PV hotplug scenario; tests/test_explore12.py). No shipped scenario changes.
  (fidfix) An INTx condition nobody serviced by the end of the run is still counted lost but no longer
  cleared: the function keeps asserting INTx# with Status.Interrupt Status set (the run-end hook had reset
  it, so a disabled irq's device looked serviced); the lost reason names a disabled irq (disable_irq
  without enable_irq; kernel/irq/chip.c handle_fasteoi_irq, resend.c check_irq_resend at v5.4 and v6.6:
  a level irq is never resent by software). Shipped runs: the end state of those with an INTx
  condition left pending.
  (fidfix) irq_set_affinity holds desc->lock (raw_spin_lock_irqsave, kernel/irq/manage.c __irq_set_affinity)
  across irq_set_affinity_locked and the chip call: a second writer of the same irq now spins until the first
  returns (on a remapped irq it ran its vector assignment, and met -EBUSY, between the first writer's vector
  assignment and its IRTE write), a writer waits while another CPU's flow handler holds the lock, and the
  writer's CPU takes no interrupt inside the chip call. A flow handler does not yet wait for a writer.
  Shipped runs: the msi-torn-affinity-update family (the writer's timing; every outcome unchanged).
- 10: (redteam15) A ``xen-pv`` guest's pirq binding (EVTCHNOP_bind_pirq -> pirq_guest_bind) no longer registers
  the device with Xen's vMSI-X intercept: msixtbl_pt_register / _unregister are called from the HVM dpci's
  pt_irq_create_bind / pt_irq_destroy_bind only (RELEASE-4.5.0 drivers/passthrough/io.c, RELEASE-4.22.0
  drivers/passthrough/x86/hvm.c), so a PV run's world has no ``xen.msixtbl`` entry; the binding's and the
  unbinding's provenance notes and the loss of a signal after EVTCHNOP_close name pirq_guest_bind /
  pirq_guest_unbind instead of pt_irq_create_bind / pt_irq_destroy_bind (tests/test_redteam15_xen.py).
  Shipped runs: unchanged (none is PV).
  (redteam14) ``cpu_offline`` runs native_cpu_disable's vector check first in take_cpu_down: with the
  matrix allocator (4.15+) lapic_can_unplug_cpu -- more vectors allocated on the outgoing CPU than the other
  online CPUs have free refuses the offline with ENOSPC ("CPU %u has %u vectors, %u available. Cannot disable
  CPU"): nothing moves and the CPU stays online (it used to migrate what fitted and leave the rest on the
  offline CPU, their interrupts lost); before 4.15 check_irq_vectors_for_cpu_disable's count, -ERANGE. New
  row ``kernel.unplug_excludes_managed`` (a0b0bad10587, 6.7; 4.19.299, 5.4.261, 6.1.63, 6.6.2): before it the
  managed vectors count too (every world gains it). enable_irq on a managed irq with no online CPU names
  __irq_startup_managed's WARN_ON_ONCE(force). Shipped runs: state hashes only (the new row).
  (audit13) Release rows read in stable sources: ``kernel.proc_offline_mask`` (cba6437a1854) is
  ``einval`` from 4.14.172, 5.4.23 and 5.5.7 too (the 2020-03-01 stable announcements), not only 4.19.107.
  ``platform.qemu_msix_pirq_ignore_mask`` (428c3ece97) is true from qemu-xen-4.6.3 (Xen 4.6.3 .. 4.6.6),
  flagged unconfirmed: RELEASE-4.6.3's Config.mk history pins qemu-xen 14a60f98e0, which contains the
  stable-4.6 copy 02879be230, before the qemu-xen-4.6.3 tag (not mirrored).
  ``kernel.msi_activate_early`` and ``kernel.startup_reactivates`` change with 52f518a3a7c2 (the hierarchical
  x86 MSI domain) in 4.2 (unconfirmed), not 4.1: a 4.1.18 arch/x86/kernel/apic/msi.c still writes every
  message in setup_msi_irq, so 4.1 resolves to ``all`` / false.
  New row ``kernel.note_interrupt_counts`` (7c07012eb1be "genirq: Reduce irqdebug cacheline bouncing", 5.13:
  in the torvalds/linux push of 2021-04-26 that merged irq-core-2021-04-26; bare-metal worlds gain it):
  before 5.13 note_interrupt counts every interrupt in irq_count, handled or not, so the 100,000 window
  closes earlier when handled interrupts came first (the former hypothetical reading
  kernel.intx.irq-count-window, now confirmed).
  Shipped runs: outcomes unchanged (the INTx scenarios run 6.6); every bare-metal world carries the row.
  (Provenance only: ``kernel.xen_eoi_clear_first``'s 4.6 (ff1e22e7a638) and ``kernel.nvme_irq_layout``'s 4.9
  (dca51e7892fa, read in a 4.9.137 tree) are confirmed.)
  (qemuio) A Xen HVM guest's read of a passed-through device's register QEMU emulates is an ioreq
  (reading ``qemu.reads-queued``; it was ``qemu.reads-at-once``, answered from QEMU's state at once):
  Message Control (pci_msi_vec_count, pci_msix_vec_count, msi_setup_msi_desc, pci_msi_set_enable,
  pci_msix_clear_and_set_ctrl, the MME rewrite of __pci_write_msi_msg), Command (pci_enable_device, pci_set_master, pci_disable_device,
  pci_intx), MSI address/data of __pci_read_msi_msg, and MSI-X table words Xen's vMSI-X intercept
  does not answer (msix_setup_msi_descs, msix_program_entries, __pci_read_msi_msg). The vCPU traps
  (``ioreq.cfg_read`` / ``ioreq.msix_read``, a kernel cost), waits in QEMU's queue behind the ioreqs
  before it with interrupts off (hardirq: the irq context waits), QEMU answers from its state when it
  serves it (``qemu.cfg_read`` / ``qemu.msix_read``, a trap's cost; new event kinds, and
  ``ioreq.msix_read`` loses its value) and the reading step runs again with the answer
  (``sim.program.Replay``, Xen's re-issued emulation: hvmemul_do_io STATE_IORESP_READY). Reads
  Xen answers itself (msixtbl_read, the null handler) stay immediate; QEMU without an ioreq server
  answers an unmapped table read (0) in turn too. Frames may hold ``_io``, ioreqs ``read`` / ``pc``
  / ``name``. Shipped runs: the xen-hvm scenarios gain 10..132 events (a trap and an answer per
  read), the same hits and lost counts; bare-metal runs unchanged.
  (coordinator) free_msi_irqs on 5.17+ with an irq that still has an action and is held by another CPU's
  kernel frames is refused once (refuse_in_use's -EBUSY note) instead of logging the 5.17+ "freed with its
  action attached" note in the same step, which stopped the engine ("step N emitted 2 events"; found by
  test_why_dirty's hypothesis search; tests/test_free_busy_user.py). Shipped runs: unchanged.
  (kernlock) A flow handler now waits for desc->lock while another CPU's irq_set_affinity holds it across
  the chip call (the writer keeps ``irqs[N].lock``): handle_edge_irq spins before its ack and
  handle_fasteoi_irq before its irq_eoi (handle_irq_event retakes the lock after the action); free_irq and
  disable_irq wait for it too.
  free_irq's and disable_irq's synchronize_irq also wait while the IO-APIC reports the irq active -- a level
  entry's Remote IRR (``kernel.sync_irq_chip_state``: 62e0468650c3 + dfe0cf8b51b0, 5.3; 4.19.60, 5.1.19,
  5.2.2); before, a level interrupt in flight is EOId after its entry was cleared and Remote IRR stays set.
  INTx behind Intel VT-d remapping is modelled (ioapic_ir_chip: an IRTE per pin, the IR-format entry with the
  pin as its vector, ioapic_ir_ack_level's explicit EOI, moves in process context); AMD-Vi stays a load
  error. stop_machine no longer preempts a task inside an irqsave section (its stopper acks after the
  unlock: a flow handler spinning on that lock elsewhere held the rendezvous for ever). Shipped runs: the
  remapped msi-torn-affinity-update family (flow handlers spin during the writer's
  chip call: timing; every outcome unchanged); every bare-metal world carries the new switch.
  (intxpv) A Xen PV guest's pcifront INTx is modelled instead of refused (model/xen_intx.py ``build_pv``):
  the toolstack's GSI pirq (pirq = GSI, ``xen.pirqs[gsi].type`` "gsi"), xen_bind_pirq_gsi_to_irq's one
  shared irq per GSI on ``xen-pirq-pcifront`` (xen_pirq_chip, handle_fasteoi_irq; ``devices.<d>.intx.irq``),
  startup_pirq's EVTCHNOP_bind_pirq as pirq_guest_bind of the level IO-APIC irq (``xen.intx.m[gsi]``:
  ``rirr``, ``masked``, ``in_flight``, ``bound``), do_IRQ_guest -> send_guest_pirq, eoi_pirq's clear_evtchn +
  PHYSDEVOP_eoi -> desc_guest_eoi (the eoi_timer stopped), pirq_guest_unbind at shutdown_pirq;
  note_interrupt's irq_disable masks a pirq chip's port at once; pciback's MSI enable / disable sets /
  clears Interrupt Disable (dom0's pci_intx_for_msi); a pre-4.15 PV kernel is not refused (no vector
  domain). An HVM passthrough pin is modelled from Xen 4.13 (was
  4.16): new rows ``platform.xen_dpci_eoi_timer`` (pt_irq_time_out before 730d0f6082, 4.16; the world gains
  ``xen.intx.m[gsi].dpci`` there) and ``platform.xen_dpci_eoi_masked`` (hvm_pirq_eoi's masked-entry return
  before eb298f32fa: 4.15, 4.13.3, 4.14.2); every xen-hvm world gains both rows. Shipped runs: the xen-hvm
  ones (the rows in the world: state hashes only; no outcome changes).
  (xenhost2) A Xen guest's xen_rebind_evtchn_to_cpu logs its mask of the port (``evtchn.mask``, a step of
  its own before EVTCHNOP_bind_vcpu: test_and_set_mask at v4.19, do_mask(EVT_MASK_REASON_TEMPORARY) at
  v6.6; nothing is written when the port was masked already). Shipped runs: every Xen run that sets an
  event channel's affinity gains one event per rebind and the later events shift (outcomes unchanged);
  the explore12 plan was re-derived (tests/test_explore12.py). Xen's host pCPUs get a local APIC for its
  own vectors (reading ``xen.nonmaskable-in-service``; msi.c ack_nonmaskable_msi_irq, irq.c do_IRQ_guest /
  flush_ready_eoi, every release 4.0 .. 4.21): a non-maskable MSI's host vector stays in service on the pCPU
  it interrupted until its EOI (the guest's PHYSDEVOP_eoi, the 1 ms eoi_timer, and now also an unbind), and
  every vector of the same or a lower priority class on that pCPU -- another device's too -- waits in its
  IRR meanwhile and goes on at the EOI, highest first; a signal of the irq itself arriving unblocked on
  another pCPU (a move) goes through and re-arms the eoi_timer. The world gains ``xen.eoi`` and ``xen.irr``;
  a host irq's ``held`` becomes ``isr`` (the slots it is in service on). Xen's work items belong to the
  host pCPU they run on (``Xen pCPU<n>`` contexts: do_IRQ where the vector arrived, the eoi_timer where
  do_IRQ_guest armed it, a split write_msi_msg's data half where the ack ran; the eoi_timer and msi_data
  items carry that pCPU), so pct / delay can reorder two pCPUs' work: plans naming ``Xen`` for those
  items no longer apply (ordered runs unchanged; random runs' state hashes change with the context names).
  (xenev2) A Xen pirq's eoi_pirq with a pending affinity move (``kernel.xen_eoi_clear_first`` true: 4.6 ..
  5.10, before 1ca1b4e2c0cb made the move immediate) follows the release's order: test_and_set_mask, then
  clear_evtchn, irq_move_masked_irq (the port stays masked through xen_set_affinity_irq's rebind), then
  unmask_evtchn if it was not masked (drivers/xen/events/events_base.c eoi_pirq at v4.19 / v5.4; v5.10's
  do_mask / do_unmask(EVT_MASK_REASON_TEMPORARY)). It cleared first and masked in irq_move_irq a step
  later, so a signal in between found the port unmasked and was linked on the old vCPU for a second handler
  run; now a signal between the mask and the clear is coalesced and taken by this run, and one after the
  clear waits, masked, for the unmask on the new vCPU. The mask and the clear are a step each; a disabled
  irq's pending move is left alone (clear_evtchn only). tests/test_xen_eoi_move_order.py.
  (fidvec2) From 4.15 (the matrix allocator) CPU0 keeps only the timer's ISA vector (0x30):
  vector_configure_legacy frees the vectors of the ISA irqs not yet activated when the IO-APIC domain takes
  them (the slot VECTOR_SHUTDOWN from 5.3) and reserve_irq_vector gives them a global reservation; the
  modelled machine requests none of them (reading ``kernel.vector.isa-unrequested``), and 0x32, the PIC
  cascade, is a system vector of the matrix on every CPU (lapic_assign_legacy_vector). CPU0 has 14 more
  free vectors, every CPU one fewer: matrix_find_best_cpu no longer shuns CPU0 and lapic_can_unplug_cpu's
  avl grows by 13. New row ``kernel.affinity_broken_warning`` (743dac494d61, 5.4; 4.19.77, 5.2.19):
  activate_reserved's "irq N: Affinity broken due to vector space exhaustion." is a note when the vector
  found lies outside the irq's mask. ``msidbg new`` keeps a device's intx: pin next to its vectors'
  set_affinity actions. Shipped runs: the same events and hits; every state hash changes.
  (offdying) take_cpu_down runs on the dying CPU (kernel/cpu.c takedown_cpu -> stop_machine_cpuslocked(
  take_cpu_down, NULL, cpumask_of(cpu)), v4.19 / v6.6): the vector check, fixup_irqs (its moves' message
  writes, a Xen guest's mask / EVTCHNOP_bind_vcpu / unmask, mdelay(1), the IRR scan), lapic_offline and
  migrate_tasks are the ``take_cpu_down`` program, in the dying CPU's process context with interrupts off
  (its own task kept in that frame meanwhile, given back after: ``hotplug.task_of``); the requester waits
  in multi_cpu_stop (``waiting: {take_cpu_down: N}``), then runs ``taken_down`` (a refusal's -ENOSPC /
  -ERANGE returned there), the CPU_DEAD drain and ``offline``. Two notes more per offline (the requester's
  "CPUn runs take_cpu_down", the dying CPU's "take_cpu_down returns"); events, ``why`` stacks and Xen
  hypercalls of that work are the dying CPU's. Outcomes unchanged on every shipped, held-out and explore13
  scenario (hits, per-vector accounting, failed actions). tests/test_offdying.py.
- 11: (redteam17) The IA32 syscall gate 0x80 is a system vector of the matrix allocator (4.15+), as the
  legacy allocator's used_vectors already had it: idt_setup_traps() installs def_idts' SYSG(IA32_SYSCALL_VECTOR)
  (CONFIG_IA32_EMULATION) with sys=true, which sets it in system_vectors, and lapic_assign_system_vectors()
  assigns every bit of system_vectors to the matrix (arch/x86/kernel/idt.c, apic/vector.c). No device gets
  0x80 (the 95th vector on a CPU goes 0x7f, 0x81), every CPU has one device vector fewer (202 with 6.6's
  timer cleanup, 201 before; CPU0 one fewer for the timer's 0x30) and lapic_can_unplug_cpu's avl shrinks by
  one per online CPU: offlining a CPU holding 202 vectors (6.6) or 201 (before 6.6) on 2 CPUs is refused
  with ENOSPC. A Xen PV guest's take_cpu_down refuses CPU0 as xen_pv_cpu_disable does ('if (cpu == 0)
  return -EBUSY;', arch/x86/xen/smp_pv.c; xen_cpu_disable in 3.x): with ``kernel.cpu0_hotplug`` the offline
  of vCPU0 returns EBUSY and nothing moves (it used to go through). Shipped runs: unchanged.
  tests/test_redteam17.py.
  (audit14) Stable releases move: a6c11c0a5235 (``kernel.hotplug_force_complete: involved``) is in
  6.6.33 (stable-queue releases/6.6.33/series) and in 6.1.y (6.1.119 .. 6.1.158 trees; from 6.1.93 by the
  reading, flagged unconfirmed), so those free the old vector of a move away from the outgoing CPU;
  743dac494d61 (``kernel.affinity_broken_warning``) is in 5.3.4, not 5.3.3 (releases/5.3.4/series), so
  5.3.3 activates silently. No shipped scenario runs those releases. New row
  ``kernel.xen_enable_pirq_startup`` (xen-hvm and xen-pv worlds gain it): before 4.13 enable_irq of a
  pirq is startup_pirq's tail -- unmask_evtchn, then eoi_pirq's clear_evtchn (and PHYSDEVOP_eoi if the
  pirq needs it) -- so an event left pending on the port while the irq was disabled is lost; from 4.13
  (enable_dynirq) it is delivered; that startup_pirq runs under desc->lock (another vCPU's flow handler
  spins on it). Shipped runs unchanged but for the Xen worlds' state hashes. tests/test_audit14_releases.py.
  (devlock) The driver core's device_lock (drivers/base/dd.c device_driver_attach /
  device_release_driver_internal, v6.6) is a sleeping mutex (``kernel/devlock.py``; kernel/locking/mutex.c):
  a ``probe`` or ``remove`` that finds the device's lock held by another action's task joins its FIFO wait
  list with a note and sleeps (``waiting: {device_lock: dev}``: no agenda item, its CPU takes interrupts and
  goes idle); the holder's unlock, when its action's root program returns by any path
  (``cpu._finish_action``), wakes the first waiter, which takes the lock when it runs (a note). Uncontended,
  the lock is a pure step (no event). A ``probe`` of a device that already has a driver (a probe succeeded,
  no ``remove`` since) does not run the driver's probe again: -EBUSY from 204db60c8357 (5.14), 0 before
  (device_driver_attach's skip) -- new row ``kernel.bound_probe`` -- and leaves the device's status alone
  (the caller's error: no ``failed: EBUSY``, no probe-failed); before, the driver's probe ran again and failed
  with -EINVAL (MSI or MSI-X already enabled). The world gains ``kernel.pci.<dev>.bound`` and
  ``kernel.pci.<dev>.device_lock`` (``{owner, waiters}``). redteam16's spin wait (reverted, c38a58a) is gone:
  two probes started together deadlocked on each other's frames and tests/test_fuzz.py hung.
  ``scenarios/xen-sriov-pirq-order.yaml`` gains nic4's ``remove`` after its frees (rmmod unbinds; without it
  the 4.9 re-probe is skipped): the same pirqs and outcome. tests/test_device_lock.py.
  (dyingdrain) the dying CPU between stop_machine's end and play_dead (kernel/stop_machine.c
  multi_cpu_stop: MULTI_STOP_EXIT's local_irq_restore on every CPU; kernel/sched/idle.c do_idle:
  local_irq_disable, cpuhp_report_idle_dead; kernel/cpu.c takedown_cpu: wait_for_ap_thread before
  __cpu_die and the DEAD states; v4.19 / v6.6). When take_cpu_down returns the stopped CPUs go on at once
  (they stayed stopped until the offline) and the requester restores its flags and waits for the dying
  CPU (``taken_down``: "takedown_cpu: MULTI_STOP_EXIT ... wait_for_ap_thread"); the dying CPU has
  interrupts on ("take_cpu_down returns: MULTI_STOP_EXIT ...") and takes what is pending before its
  ``idle_dead`` step ("do_idle: CPUn is offline ..."): a Xen vCPU its upcall (xen_irq_enable ->
  xen_force_evtchn_callback), which empties its FIFO queue before the CPU_DEAD drain (explore x5 pct
  seed 13: 25 of 200 runs dropped a port there, a schedule the source forbids), a bare-metal CPU its IRR
  vectors on the slots fixup_irqs left: the IRR scan now makes every irq slot it does not retrigger
  VECTOR_UNUSED (arch/x86/kernel/irq.c fixup_irqs; it was dropped at the offline), so a retriggered
  vector's stale IRR bit is EOI'd silently (``irq.unhandled`` RETRIGGERED) and any other is "No irq
  handler for vector". cpu_online_mask (``vector.online_cpus``) leaves out the dying CPU from its
  take_cpu_down, as the vector domain did (the other CPUs now run before the offline: a /proc write there
  saw it online). Two or three events more per offline; the stopped CPUs' signals are handled earlier; a
  second offline waits on the hotplug lock instead of starting after the first. explore13's e12 (a port
  dropped at CPU_DEAD) no longer fails: it was that impossible schedule. tests/test_dyingdrain.py.
  (retrig) With ``kernel.cpu0_hotplug`` the ISA irqs requested at boot leave a dying CPU0 as any started irq
  whose effective CPU is the dying one does (arch/x86/kernel/irq.c fixup_irqs' own loop at v4.9: an action
  and an affinity mask -- every CPU -- no longer a subset of cpu_online_mask; kernel/irq/cpuhotplug.c
  migrate_one_irq from 4.13), through ioapic_chip's ioapic_set_affinity -> the vector domain (new program
  ``ioapic_isa_set_affinity``; the ISA pins' routing entries are not kept, as their mask is not): from 4.15
  the timer (irq 0, 0x30 on CPU0) takes the matrix's best CPU of its mask and that CPU's lowest free vector
  (a vector.assign; the next irq moved may go elsewhere), before 4.15 every ISA irq (build.legacy_irqs: all
  requested) goes to the first online CPU of the mask on the search cursor's vectors (15 vector.assign
  events). They stayed on CPU0. Before 4.13 an offline of another CPU now also calls irq_set_affinity for
  them (a no-op: the domain CPU0 is in the mask; no event). whyheld6's loss of two signals retriggered from
  the dying CPU's IRR on 4.9 does not reproduce on this tree (4.9, 4.14, 5.4, 6.6: apic_retrigger_irq's
  IPI reaches the new CPU). Shipped runs: unchanged. tests/test_retrig.py, tests/heldout_retrig/.
  (tmr) The local APIC clears a vector's TMR bit when it accepts an edge interrupt on it (SDM vol. 3A
  10.8.4 "Interrupt Acceptance for Fixed Interrupts", quoted by Xen 12a50030a81a): an MSI message (direct
  or through an IRTE) and the retrigger IPIs (apic_retrigger_irq, the MSI affinity race) now clear it
  (``apic.edge``), as fixup_irqs' retrigger did; before, a vector a level INTx irq left behind kept its bit
  in ``cpus[N].tmr`` after an MSI irq got it and fired, so a later ioapic_ack_level reading that vector's
  bit saw a level delivery where the hardware holds an edge. Shipped runs: unchanged (no shipped scenario
  hands an INTx vector to an MSI on one CPU). tests/test_tmr.py.
  (coordinator) A cpu_online / cpu_offline write waits for another CPU's hotplug operation before it
  looks at the CPU's state, as online_store takes device_hotplug_lock before device_online /
  device_offline read dev->offline (drivers/base/core.c, v4.19 / v6.6); it used to look first, so an
  online written while the CPU's offline was still in take_cpu_down said "already online" and the CPU
  then went down (tests/heldout17/r12: the queue's managed irq stayed shut down, 3 lost). Shipped
  runs: unchanged.
  (devremove) A ``remove`` of a device without a driver does nothing (drivers/base/dd.c
  __device_release_driver: "if (drv)", v4.19 / v6.6): never probed, its probe failed, or already removed,
  the remove notes "has no driver" and returns 0 -- no free_irq, pci_free_irq_vectors or pci_disable_device
  (before, it ran them: "pci_disable_device on a device that is not enabled"). A successful
  ``alloc_vectors`` sets ``kernel.pci.<dev>.bound``: pci_alloc_irq_vectors has no caller but the device's
  driver, so its ``remove`` still frees those vectors (the contract's meaning) and a ``probe`` after it
  finds the device bound (-EBUSY from 5.14, skipped before) instead of failing -EINVAL in a second
  allocation. Shipped scenarios: msix-write-while-unmasked(-fixed)'s world gains bound = true (same events);
  the others change provenance only. tests/test_devremove.py (which also pins redteam16's
  device_lock_crash251 INTx storm on Xen 4.13 as the source's).
  (kernsmall) disable_irq / disable_irq_nosync hold desc->lock (irq_get_desc_buslock, irqsave) around
  __disable_irq, the chip's mask included, and publish it (``irqs[N].lock``): a flow handler or try_one_irq on
  another CPU spins until the unlock. try_one_irq (poll_spurious_irqs) takes desc->lock first and spins while
  another CPU holds it. The matrix's global reservation count (``kernel.vec_rsvd``, matrix worlds but xen-pv):
  reserve_irq_vector_locked adds one (irq_matrix_reserve's "Interrupt reservation exceeds available resources"
  note at the crossing), activate_reserved's irq_matrix_alloc(resvd) and irq_matrix_remove_reserved take it
  back; lapic_can_unplug_cpu notes "Reserved vectors N > available M. IRQ request may fail" after its check
  passes -- warnings only, no decision reads the count. New row ``kernel.cpu_disable_apic`` (bare metal):
  native_cpu_disable's clear_local_APIC before 5.4 (LVT entries masked, the APIC still takes interrupts),
  60dcaad5736f's apic_soft_disable before cpu_disable_common (5.4 .. 5.8.5, 5.4.0 .. 5.4.61: a message to the
  dying CPU sets no IRR bit and is lost, also one of an irq fixup_irqs has not moved yet), 52d6b926aabc's after
  it (5.9; 5.4.62, 5.8.6: only messages after the moves are refused, lost at once instead of pending in the
  IRR until the offline); INIT clears it. take_cpu_down's first note names the step made before fixup_irqs
  (5.9's is silent). enable_irq holds and publishes desc->lock the same way around irq_startup. Shipped runs:
  the same events, outcomes and hits; msi-torn-affinity-update-remapped under ``random`` seed 1 loses 2 xhci
  edges sent to the dying CPU2 after 5.5's apic_soft_disable (tests/test_kernsmall.py).
- 12: (kernleads) A ``remove`` of a device no driver action bound (never probed, or its probe never ran: its
  CPU was offline) leaves ``kernel.pci.<dev>.status`` ``not-probed`` (__device_release_driver ran no driver
  code; it became ``ok`` and the summary's ``driver`` said ``removed``). Before 4.15 the ISA irqs but the
  timer keep their CPU0 vectors (init_legacy_irqs, legacy_irq_data) but are not requested: no action, not
  started, depth 1, IRQD_IRQ_DISABLED (retrig had all 15 requested and started), so a dying CPU0 moves only
  the timer (v4.9 fixup_irqs: irq_has_action; 4.13 migrate_one_irq: irqd_is_started) and CPU0 coming online
  gets the others' vector_irq slots back (__setup_vector_irq). Shipped runs: the pre-4.15 scenarios' state
  hashes (the ISA descs), same events and outcomes. tests/test_kernleads.py, tests/test_retrig.py.
  New row ``kernel.irqfixup`` (none | irqfixup | irqpoll: the boot options, bare metal; every bare-metal
  world gains it): note_interrupt of an unhandled interrupt runs misrouted_irq (try_one_irq(desc, false) on
  every enabled shared irq but 0 and this one; a handled one takes one off irqs_unhandled). A poll (that one
  or poll_spurious_irqs) marks the irq IRQS_POLL_INPROGRESS (``irqs[N].poll``), clears IRQS_PENDING and
  repeats while it is set, and takes irq_poll_active (``kernel.poll_active``); a handle_fasteoi_irq on
  another CPU that finds its irq polled waits in irq_wait_for_poll, then runs the actions unless the irq is
  disabled or has none (it went out at once). Shipped runs: the same events and hits; every bare-metal
  world's hash (the row), intx-nobody-cared(-claimed)'s IRQS_PENDING cleared by the poll.
  (apicleads) A software-disabled local APIC (``apic_off``) refuses a Fixed message whichever destination
  named it: each extra APIC of a logical, x2APIC-cluster or broadcast destination (bus.deliver_to) now follows
  deliver_vector's rule, and the device's signals are accounted on an accepting CPU that has the vector's irq,
  else the first accepting one (reading bus.soft-disabled-destinations: SDM 10.4.7.2, 52d6b926aabc's message,
  Xen f1d7aac1e3c3). common_interrupt's EOI of a vector with no irq (VECTOR_UNUSED / SHUTDOWN / RETRIGGERED)
  whose TMR bit is set is broadcast to the IO-APIC like any level EOI: every entry holding that vector clears
  Remote IRR and a line still asserted sends again (reading kernel.entry.unhandled-level-eoi; no event of its
  own): the dying CPU's EOI of a level vector fixup_irqs retriggered clears the moved entry's Remote IRR when the
  new vector has the same number, so a line still asserted re-sends to the new CPU (tests/test_levelmove.py: one
  more interrupt there, IRQ_NONE, and its ack broadcasts instead of eoi_ioapic_pin). New row ``kernel.dying_irqs_off``: before e78a7614f387 (5.4; 5.3.4) the dying CPU's idle task reported
  itself with interrupts on and kept them on through play_dead to play_dead_common's local_irq_disable after
  cpu_report_death -- take_cpu_down's idle_dead step runs twice there ("do_idle: ... interrupts still on", then
  "play_dead_common: ... reports its death"), and what lands in between is taken. Shipped runs: the same
  events, hits and outcomes; every state hash changes (the new row) (tests/test_apicleads.py).
  (redteam18) A qemu-xen device model with a ``platform.xen`` before 4.5 is built against that Xen's
  libraries: qemu-xen-4.6.0 include/hw/xen/xen_common.h compiles the ioreq server calls as stubs under
  'CONFIG_XEN_CTRL_INTERFACE_VERSION < 450' (xen_create_ioreq_server returns 0, xen_map_memory_section maps
  nothing), and Xen 4.4 has no HVMOP_create_ioreq_server (434ae6517a, RELEASE-4.5.0): QEMU stays the default
  ioreq server. ``platform.qemu_ioreq_server`` now resolves false for Xen 4.0 .. 4.4.x with qemu-xen-4.6 or
  later (new ``Switch.xen_build``; origin "built against xen X"); it used to follow the qemu-xen release alone,
  so a table access with Memory Space off met Xen 4.5's null handler (``xen.null_io``) on a Xen 4.4 host
  instead of QEMU's unassigned memory. New row ``platform.xen_hvm_inject_msi`` (xen-hvm, scoped): Xen has
  HVMOP_inject_msi from 4.2 (080bc64070, RELEASE-4.2.0; none in 4.1.x) and a qemu-xen built against Xen 4.0 /
  4.1 compiles xen_xc_hvm_inject_msi as 'return -ENOSYS;' (qemu-xen-4.6.0 xen_common.h): an emulated (not
  passed through) device's MSI / MSI-X message on Xen 4.0 / 4.1 is dropped (lost, "xen_hvm_inject_msi failed
  with -ENOSYS"); it used to be delivered as Xen 4.2's hvm_inject_msi delivers it. Shipped runs: the xen-hvm
  worlds carry the new switch (state hashes change; events, hits and outcomes do not). tests/test_redteam18.py
  (held-out set tests/heldout18/, PREDICTIONS.md).
  (coordinator) A kernel spin wait that nothing left to run can end (ordered policy, an empty agenda, no
  action ending ahead) leaves its context waiting at the poll (``ctx.wait = {"spin": ...}``) with one kernel
  note "... spins for ever", and the run ends; before, such a run polled without end (one event per 100,000
  polls: ``msidbg run`` hung with no output, --max-events did not stop it). Reading ``kernel.spin-forever``
  (hypothetical: the model's termination rule; the kernel spins on and its soft-lockup watchdog reports the
  CPU). No run that ended before changes. tests/test_spin_forever.py.
- 13: (leads19) An IO-APIC level message sent to a local APIC that native_cpu_disable software-disabled
  (``kernel.cpu_disable_apic: soft-first``, 5.4 .. 5.9-rc2, 5.4.0 .. 5.4.61, 5.8.0 .. 5.8.5: the line asserting
  after apic_soft_disable and before fixup_irqs moved the irq) is refused as an MSI is: no IRR or TMR bit is
  set, while the I/O xAPIC has set Remote IRR at the send (reading ioapic.soft-disabled-destination: Intel
  Atom E6xx datasheet RTE RIRR "set when IOxAPIC sends the level interrupt message"; Xen's vioapic sets it
  before delivery and, from f1d7aac1e3c3, skips a disabled vLAPIC). No EOI ever names it, fixup_irqs' IRR scan
  has nothing to forward, the moved entry keeps Remote IRR and the line sends no more: the conditions it then
  holds are lost, "whose IO-APIC entry still had Remote IRR set at the end" (the finish reason of any INTx condition
  held behind a Remote IRR left set, also free_irq's deactivated entry before 62e0468650c3; why links the
  refusal). Before, the disabled APIC's IRR took the vector and the scan forwarded it to the new CPU. Shipped
  runs: unchanged (no shipped scenario offlines a CPU in that window). tests/test_leads19.py.
  (leads19, coordinator) Load refusals, no run of a file that loads changes: ``platform.xen_evtchn_fifo: true``
  with a ``platform.xen`` before 4.4 (EVTCHNOP_init_control is 88910061ec, RELEASE-4.4.0), and
  ``kernel.xen_fifo_events: true`` with a ``kernel.version`` before 3.14 (1fe565517b57), are one-line load
  errors; a snapshot of such a file written by revision 12 no longer opens. tests/test_leads19.py,
  tests/test_fifo_window.py.
  (audit16) A task asleep when its CPU goes down -- a driver's doorbell wait, a device_lock wait -- stays
  with that CPU (balance_push / migrate_tasks push runnable tasks only) and its wakeup places it: the
  interrupt, its timeout or the unlock finding its CPU inactive runs select_task_rq's fallback
  (``hotplug.fallback_wake``: select_fallback_rq, the lowest active CPU, now if that CPU runs no action, else
  after it; a provenance note of the waking step, no event of its own); woken after its CPU is back, it runs
  there. Before, a sleeping doorbell wait moved at the offline to an idle fallback CPU only and otherwise
  stayed until ``cpu_online`` (never returning if the CPU stayed out), and a lock waiter woken on an offline
  CPU waited for it likewise; a task that waited for a CPU going offline (``migrating``) with nothing
  runnable left there now runs on an idle fallback CPU at once instead of waiting for an action to end on
  it (an action still ending there -- its device_lock released in its last step -- keeps the CPU until it
  is done). Reading ``kernel.actions.offline-sleeper-fallback`` (v6.6 select_task_rq: 'In order not to call
  set_task_cpu() on a blocking task we need to rely on ttwu() to place the task'); ``kernel.actions.
  offline-cpu-waits`` keeps only the QEMU ioreq wait (hypothetical). Shipped runs: unchanged (none puts a
  sleeping task under an offline). tests/test_audit16_readings.py, tests/test_cpuhot2.py.
  (xenred19) A Xen HVM guest with native MSIs on a host without APIC virtualization
  (``platform.xen_hvm_pirqs`` false -- Xen 4.0, 4.19+ by default -- and ``platform.apic_virtualization``
  false) EOIs through a VM exit: ``vlapic_EOI_set`` -> ``vlapic_handle_EOI`` -> ``hvm_dpci_msi_eoi`` finds the
  bound MSI pirq whose guest vector was EOI'd and whose destination the vCPU matches and acknowledges its
  ACKTYPE_EOI host irq at once (``__msi_pirq_eoi`` -> ``desc_guest_eoi``; reading ``xen.vmsi-eoi-trapped``,
  RELEASE-4.0.0 / 4.5.0 / 4.19.0). The model held it in flight until the 1 ms ``eoi_timer`` as under APIC
  virtualization: for an MSI without Per-vector Masking a doorbell behind it timed out, Xen's own move of the
  host irq waited for the timer (no live rewrite met a stream), and signals coalesced behind it were released
  into whatever binding QEMU made next. No shipped run changes (the runs digest is revision 12's); the
  held-out runs tests/heldout_xen19/xt16, xt30, xt32, xt33 do (tests/test_heldout_xen19.py).
  (redteam19) New row ``kernel.nvme_queue_cpus`` (every world gains it): the CPUs the nvme driver's
  nvme_setup_io_queues counts for its I/O queues, which bound the vectors a ``kind: nvme`` probe asks in every
  layout -- the possible CPUs before 2800b8e7d9df (4.7), num_online_cpus() 4.7 .. 4.12 (read in a 4.12.0
  tree), num_present_cpus() in 4.13 (read in a 4.13.9 tree; num_possible_cpus() in a 4.14 one and in 4.17's
  nvme_setup_irqs: the same count for the model's CPUs, all present and possible). msidbg counted the online
  CPUs in every shared-admin / msix-range release: a CPU offline at probe time cost a 4.13 .. 4.16 (or 4.5 /
  4.6) NVMe a vector, where the real driver asks it and the managed irq of that CPU's queue is shut down until
  the CPU returns (its signals then wait in the PBA and are handled there); with every CPU online nothing
  changes. Reading ``kernel.managed.nvme-queue-cpus``; 4.13's release is unconfirmed (4.13.0 not read).
  Shipped runs: every state hash changes (the new row); events, hits and outcomes do not.
  The control CPU's CPUHP_TIMERS_PREPARE teardown (timers_dead_cpu) now moves a poll_spurious_irq_timer
  pending on the dead CPU to itself (reading ``kernel.hotplug.timers-dead-cpu``): a poll timer armed on a CPU
  that went offline used to wait for that CPU for ever and the run never ended (redteam19's fuzz).
  tests/test_redteam19.py (held-out set tests/heldout19/, PREDICTIONS.md).
  (leads20) An HVM guest's CPU offline runs native_cpu_disable (xen_hvm_smp_init replaces no
  smp_ops.cpu_disable): ``kernel.cpu_disable_apic`` now covers xen-hvm and soft-disables the vLAPIC. New Xen row
  ``platform.xen_vlapic_disabled_refuses`` (xen-hvm): from f1d7aac1e3c3 (4.18.0; 4.16.3, 4.17.1) vmsi_deliver and
  vioapic_deliver skip a disabled vLAPIC (the message is lost, as on bare metal); before, vlapic_set_irq set its
  IRR / TMR and fixup_irqs' IRR scan retriggers it (reading xen.vlapic.soft-disabled; apic.refuses is the rule bus
  and ioapic ask). An IO-APIC level entry rewritten while Remote IRR is set keeps where the interrupt went
  (``ioapic[G].sent`` = [cpu, vector], dropped by the EOI that clears Remote IRR): synchronize_irq's note "sent to
  CPU{N}" and ioapic_mask_entry's record name that CPU, not the entry's new destination. Shipped runs: the same
  events, hits and outcomes; the xen-hvm worlds' state hashes (the two rows). Provenance only: an irq's vector
  assignment onto a vector_irq slot an earlier step freed links the free (``reused``), and a doorbell refused with
  -ENXIO links the driver state (a failed probe's unwind is now recorded: dev->driver = NULL). tests/test_leads20.py.
  (waits20) A task asleep on a CPU that went down (a driver's doorbell wait, a device_lock wait) and is
  placed elsewhere by its wakeup (``hotplug.fallback_wake``: select_fallback_rq, reading
  ``kernel.actions.offline-sleeper-fallback``) now frees that CPU for the next action queued on it, as
  migrate_tasks' push of a running task already did: it is due at its time, refused -EINVAL while the CPU is
  out (sched_setaffinity, reading ``kernel.hotplug.action-on-inactive-cpu``) and run on the CPU once it is back.
  The model left it queued behind the task that had left; it never started and the run ended without it (its
  device's signals never raised, no error). No shipped run changes (the runs digest is unchanged); the
  held-out files tests/waits20/w02, w03 do (tests/test_waits20.py). The hotplug fuzzers (``--hotplug``) count
  an action left queued or running at a run's end as ``stuck``.
  (redteam20) Three held-out divergences (tests/heldout20, tests/test_redteam20.py). (1) Before 4.15 the
  legacy allocator no longer hands out the PIC cascade's vector 0x32: init_IRQ / setup_vector_irq map
  ISA_IRQ_VECTOR(2) on every CPU and irq 2 (never routed to the IO-APIC) keeps its every-CPU domain, so
  __assign_irq_vector skips it and check_irq_vectors_for_cpu_disable does not count it free (reading
  ``kernel.vector.legacy-cascade``, read in a 4.13.19 tree): a 4.9 NIC's 190th vector now lands on CPU1,
  and a stride that wraps to offset 2 goes on to 0x42. (2) A probe whose pci_enable_device fails returns
  that error at once, as every driver does (``if (err) return err``); the model went on and reported the
  probe ok. (3) A ``faults:`` entry naming a device now matches the programs called for that device's
  irqs (irq_domain_activate_irq, irq_startup, ... take an irq, not a device); they never fired. Shipped
  runs: unchanged (the runs digest is the same); tests/test_legacy_vectors.py's 4.14 managed-irq run now
  moves to 0xb2 (0xa2 before), and tests/test_redteam14.py's 4.9 unplug check finds 1 free vector on CPU0
  (2 before): still -ERANGE.
  (leads21) An IR-format IO-APIC entry (``platform.interrupt_remapping``, ioapic_ir_chip) records at each send
  where its message went, the IRTE's CPU and vector (``ioapic[G].sent``, dropped by the EOI that clears Remote
  IRR): the entry's own ``cpu`` is never written in IR format, so synchronize_irq's "sent to CPU{N}" note named
  the initial CPU0 whatever the IRTE said (after fixup_irqs moved the IRTE off a CPU whose soft-disabled APIC
  refused the message, the message had gone to that CPU). Shipped runs: unchanged (the runs digest is the same);
  a remapped level INTx run's world gains the record. tests/test_leads21.py.
  (xen412) New row ``platform.xen_dm_unmap_needs_emuirq`` (xen-hvm worlds gain it; true on Xen 4.1.2 only;
  reading ``xen.dm-unmap-needs-emuirq``, read at RELEASE-4.1.1, 4.1.2, 4.1.3): 0596edb27f (4.1.2-rc2) set the
  IRQ_PT emuirq at EVTCHNOP_bind_pirq instead of QEMU's PHYSDEVOP_map_pirq and cleared it at EVTCHNOP_close, while
  physdev_unmap_pirq still called unmap_domain_pirq_emuirq unconditionally and gave up on its -EINVAL until
  3237652624 (4.1.3; 49f9d2493c in 4.2). On 4.1.2 the device model's unmap of a pirq without an emuirq (its port
  closed, or never bound) now answers -EINVAL (``qemu.unmap_pirq`` rc -22) and the pirq keeps its host irq, vector,
  physical entry and binding, so get_free_pirq skips it; the model unmapped it on every release. Shipped runs:
  events, hits and outcomes unchanged (none runs HVM 4.1.2); every xen-hvm run's state hash changes (the world
  carries the row). tests/test_xen412.py.
- 14: (explore23) A kernel spin wait that nothing left to run can end now ends the run under every policy,
  not only ``ordered`` (reading ``kernel.spin-forever``): under ``random``, ``pct`` and ``delay`` the poll
  that finds the agenda empty (this CPU's own next poll aside) and no action ending ahead leaves the context
  waiting with the note "... spins for ever", as the ordered run does; under jitter (every poll an event) any
  later poll of the same wait asks the same. Before, the strategy picked poll after poll and such a run never
  ended (one event per 100,000 polls), so ``msidbg explore`` could not find a spin-forever bug that only some
  schedules reach: its run hung. Shipped runs: unchanged (the ordered rule is the same; the runs digest is
  revision 13's); strategy runs that spun for ever now end. tests/test_explore23.py.
  (audit17) Kernels 5.17 .. 6.0 cache Vector Control only for MSI-X entries that cannot be masked:
  71020a3c0dff (PCI/MSI: Use msi_add_msi_desc(), 5.17) reversed msix_setup_msi_descs' can_mask test and
  2b96f92ca425 (PCI/MSI: Correct 'can_mask' test in msi_add_msi_desc(), the PCI pull for 6.1) restored it
  (reading ``kernel.msix.ctrl-read``). ``kernel.msix_ctrl_read_can_mask`` gains the value ``cannot-mask``,
  chosen by those releases (5.16 and 6.1.. keep ``true``; an explicit ``true`` / ``false`` means what it did).
  There a maskable entry's cached Vector Control stays 0, so __pci_write_msi_msg's masked update (5.14..)
  wraps each message write in Mask=1 ... Mask=0 and leaves the entry unmasked in hardware (inside
  msix_capability_init under Function Mask until the late mask_all; after it whenever the message is
  rewritten); under pci_msi_ignore_mask (Xen PV, HVM with pirqs) the entries are read again, as before
  9c8e9c9681a0. The model used 5.16's reading for them. And new row ``kernel.msix_mask_all_ignore_mask``
  (xen-pv worlds gain it; reading ``kernel.msix.mask-all-pv``): msix_mask_all of 7d5ec3d36123 wrote every
  entry's Mask bit even under pci_msi_ignore_mask until 1a519dc7a73c -- in v5.14 itself, but in the stable
  series only after 4.4.282 .. 4.4.283, 4.9.281 .. 4.9.282, 4.14.245 .. 4.14.246, 4.19.205 .. 4.19.206,
  5.4.142 .. 5.4.147, 5.10.60 .. 5.10.66 and 5.13.12 .. 5.13.18. A Xen PV guest has no write access to the
  MSI-X table, so on those releases its first MSI-X enable oopses on a page fault in msix_mask_all: msidbg
  notes the BUG and ends msix_capability_init with -EFAULT (msidbg's value; errname now names 14); the model
  skipped the write on every release. Shipped runs: events, hits and outcomes unchanged (none names 5.17 ..
  6.0 or a PV kernel of those stable windows); every xen-pv run's state hash changes (the world carries the
  row). tests/test_audit17_readings.py.
  (redteam21) desc->lock hands over in queue order (reading ``kernel.lock.desc-lock-queued``: x86's queued
  spinlock gives a released lock to its first waiter; handle_irq_event drops desc->lock for every action). The
  model's lock was polled: when handle_edge_irq loops on two CPUs (an edge on the new CPU every iteration:
  IRQS_PENDING, mask_ack_irq under the lock, then the old CPU's unmask and action again), one of them held it at
  every poll of a task, and free_irq / irq_set_affinity / disable_irq waited until the storm ended. Now the first
  task that finds the lock held is recorded on the descriptor (``lock_wait``, dropped when it takes the lock or
  stops waiting); a flow handler that comes for the lock meanwhile spins behind it ("CPUn's task queued for it
  first"), and free_irq no longer counts a flow handler that only spins for the lock as holding it. Shipped runs:
  msi-torn-affinity-update-maskable (ordered and random) -- its five affinity writes during the stream return at
  once (they were starved until 1.3 ms), 650 handler runs instead of 669, all 1200 still delivered; the other
  runs' events are the same. A pct run whose flow handler reaches the lock after a task queued now lets the task
  first (tests/test_pctspin.py's seed 3: free_irq before CPU1's delayed handler, its edge then parked and lost).
  tests/heldout21/d01 (remove during a sustained edge loop: 397 delivered, 803 lost, the remove done at 509 us;
  was 1200 and 1.3 ms), tests/test_redteam21.py (held-out set tests/heldout21/, PREDICTIONS.md).
  (leads22) Every CPU's ISA_IRQ_VECTOR(2) slot (0x32) holds irq 2, the PIC cascade (``vector_irq`` value
  ``CASCADE``: init_IRQ on CPU0, setup_vector_irq before 4.15 and lapic_online from 4.15 on the others and on a CPU
  brought back; not on xen-pv; a dying CPU's fixup_irqs empties it, XT-PIC having no irq_retrigger): a message on 0x32
  runs irq 2's handle_level_irq on the i8259A chip -- mask_and_ack_8259A's "spurious 8259A interrupt: IRQ2." (once per
  boot, ``kernel.i8259_spurious``), ``kernel.irq_err_count``++, no action: IRQS_PENDING -- and nothing EOIs the local
  APIC, so 0x32 stays in service and holds back that CPU's vectors of class 3 and below. The model printed "No irq
  handler for vector" and EOI'd (reading ``kernel.entry.pic-cascade``, read in a 4.13.19 tree and the 4.15+ vector.c /
  io_apic.c). A second ``free_irq`` of one vector is __free_irq's WARN "Trying to free already-free IRQ N" and returns
  0 (free_irq gives the driver no error code; a vector without an irq is a no-op too): the model returned -EINVAL,
  failing the action, the probe status and probe-failed (reading ``kernel.free-irq.already-free``). With
  MSI_FLAG_ACTIVATE_EARLY the activation at allocation is a call of ``irq_domain_activate_irq`` (msi_init_virq; the
  activation loop before 6.2): a ``faults:`` entry or ``call`` breakpoint on it meets that call first, and a failed
  activation fails the allocation with its own error after deactivating and freeing the device's irqs; the model wrote
  the message inline and the fault fired at request_irq (reading ``kernel.msi.activate-early-call``). Shipped runs:
  the same events, hits and outcomes; every bare-metal and xen-hvm state hash changes (the 0x32 slots) and the
  provenance digests with them. tests/test_leads22.py.
  (audit18) qemu-traditional unmaps a device's pirqs when the guest clears MSI / MSI-X Enable in Xen 4.3.3,
  4.3.4 and 4.4.1 .. 4.4.4 too: d0395cc4 (xen-4.5.0) was cherry-picked to stable-4.3 as 8a7abb16 (first in
  xen-4.3.3) and to stable-4.4 as 6ae4e588 (xen-4.4.1), the same diff; the behaviour table had no backports and
  said xen-4.4.4 lacked it. A scenario naming such a Xen release with ``platform.qemu: qemu-traditional`` now
  resolves ``qemu_unmap_pirq_on_msi_disable`` true (the 2017 pirq re-use seed on 4.4.1: nvme1's pirq changes
  hands and it probes, where every re-enable timed out). And ``affinity_on_activate`` is true from 4.14.194
  (baedb87d1b53 and its x86 opt-in, '[PATCH 4.14 222/228]' of the 4.14.194-rc1 review; the table named 5.4.60,
  4.19.141 and 5.7.17 only): an irq_set_affinity on a deactivated irq (after free_irq) only stores the mask there,
  where 4.14.193 records a pending move. That backport skipped the x86 part ("4.14 never had the x86 workaround"):
  apic_set_affinity's WARN_ON_ONCE(!irqd_is_activated) -> -EIO now needs the matrix allocator, so a legacy-allocator
  kernel with the switch true (4.14.194+, or written explicitly) no longer meets it at enable_irq after free_irq.
  And ``msi_activate_early`` is ``all`` from 5.4.97 and 5.10.15 as well (4c457e8cb75e: the stable queue's
  releases/5.4.97/series and releases/5.10.15/series list it; the table had 4.19.175 only): every vector of a
  Multi-MSI block is activated at allocation there (under VT-d an early message 1 waits on the unstarted irq for
  request_irq's resend instead of meeting a non-present IRTE). No shipped scenario names such a release with a
  Multi-MSI block or a legacy-allocator affinity on a freed irq: the golden runs are unchanged.
  tests/test_audit18_records.py.
  (xenleads22) Xen 4.1.x's emuirq, read at RELEASE-4.1.0 / 4.1.1 / 4.1.2 / 4.1.3 / 4.2.0. New rows (xen-hvm
  worlds gain them): ``platform.xen_pt_emuirq_at_map`` (4.1.0 / 4.1.1; reading ``xen.emuirq-at-map``): QEMU's
  PHYSDEVOP_map_pirq sets the IRQ_PT emuirq and EVTCHNOP_bind_pirq / EVTCHNOP_close leave it, hvm_domain_use_pirq
  wants the emuirq and a port, PHYSDEVOP_eoi acknowledges and PHYSDEVOP_irq_status_query answers needs_eoi only
  for an IRQ_PT pirq -- 79858fee30 / 0596edb27f (4.2; 4.1.2) moved the emuirq to the bind; the model set it at
  the bind on every release, so a pirq QEMU maps under a port the guest already holds was a vMSI on 4.1.1 too
  (it goes to the event channel: tests/xenleads22/remap-under-port-*). ``platform.xen_irq_status_query_einval``
  (b96a29f785, 4.2; 94b5cd3155, 4.1.3): before, the query of a pirq without the IRQ_PT emuirq (4.1.0 / 4.1.1)
  or an unmapped one (4.1.2) answers 0 with no flags, not -EINVAL (the guest reads both as no PHYSDEVOP_eoi).
  ``platform.xen_dm_unmap_needs_emuirq`` is true on 4.1.0 .. 4.1.2, not 4.1.2 only: physdev_unmap_pirq calls
  unmap_domain_pirq_emuirq unconditionally in all three (xenred20 had narrowed it), and the guest's own
  PHYSDEVOP_unmap_pirq of a pirq without an emuirq answers -EINVAL there (0 from 3237652624, 4.1.3; reading
  ``xen.unmap-self-hvm``). A software-disabled HVM vLAPIC (the dying vCPU's, native_cpu_disable) offers none
  of its IRR bits: vlapic_has_pending_irq returns -1 (every release), so the vCPU, its interrupts on again
  between take_cpu_down's return and do_idle, takes nothing where the model let it take them (a RETRIGGERED
  or SHUTDOWN slot's, a per-vCPU upcall: tests/test_redteam9's 4.14 / 5.15 event stays linked on the dying
  vCPU's FIFO queue for the CPU_DEAD drain, as redteam9 built it); the global callback vector, which hvm_vcpu_has_pending_irq offers
  first, still comes, and under ``platform.apic_virtualization`` (hardware virtual-interrupt delivery) the
  vCPU takes them as before (``cpus[N].vlapic_off``, reading ``xen.vlapic.soft-disabled``). Shipped runs:
  events, hits and outcomes unchanged; every xen-hvm state hash changes (the two rows). Held-out runs change:
  tests/heldout_xen20/x05 and tests/xen412 (the status query answers 0 on 4.1.1 / 4.1.2), tests/heldout17/x03
  (the lost signal is left in vCPU2's IRR, not swallowed on the SHUTDOWN slot), tests/heldout_xen19/xt16,
  xt24, tests/heldout_why9/y03-x4162. docs/fidelity.md counts the unconfirmed releases (2). tests/test_xenleads22.py.
  (leads23) New row ``kernel.msix_vector_ctrl_ignore_mask`` (xen-pv worlds gain it; reading
  ``kernel.msix.shutdown-mask-pv``): 446a98b19fd6 (PCI/MSI: Use new mask/unmask functions, 5.15) made
  pci_msix_shutdown mask each entry through fcacdfbef5a1's pci_msix_mask, which lacks the pci_msi_ignore_mask
  check (kept only in the irq chip callbacks), until 9c8e9c9681a0 (5.16; 5.15.3 in stable) moved it into
  pci_msix_write_vector_ctrl. On 5.15 .. 5.15.2 a Xen PV guest's pci_disable_msix (a ``remove`` of an MSI-X
  device) stores to the MSI-X table Xen maps read-only; pv_ro_page_fault emulates such a store only for the
  hardware domain, so the domU's task oopses: msidbg notes the BUG and ends pci_disable_msix with -EFAULT (as
  audit17's msix_mask_all). The model skipped the write on every release. HVM is unaffected (its
  pci_msi_ignore_mask comes with 7e0815b3e099, 5.18 / 5.15.38). Shipped runs: events, hits and outcomes
  unchanged (none removes a PV device on 5.15 .. 5.15.2); every xen-pv run's state hash changes (the world
  carries the row). And a spin wait nothing can end now ends the run while poll_spurious_irq_timer is armed
  (after note_interrupt disabled an irq as "nobody cared"): the poll re-armed the timer while any non-timer
  item was on the agenda, the spinner's own next poll included, so such a run never ended (three events per
  100 ms). A poll that handled nothing no longer counts a CPU's next spin poll (reading
  ``kernel.intx.poll-bound``); the spinner's next poll then finds the agenda empty and "spins for ever".
  Shipped runs unchanged (the runs digest is revision 13's); tests/leads23/spin-spoll.yaml. The human
  summary's failed-actions lines take msidbg report's wording (summary.failed_action_line); msidbg explore
  takes --max-events. tests/test_leads23.py.
  (smalls24) ``kernel.move_busy_rearm`` is true from 4.4.226 as well: a33a5d2d16cb is '[PATCH 4.4 41/48]' of
  the 4.4 stable review of 2020-06-01, and 4.4.y has the -EBUSY it fixes (996c591227d9 is the 4.4.y copy of
  98229aa36caa "x86/irq: Plug vector cleanup race", v4.5-rc2 -- the records had the two hashes swapped; the
  same thread: "Fixes: 98229aa36caa ... in linux-4.4.y: 996c591227d9"). A 4.4 kernel runs only in a pirq world
  (bare metal and the native vector domain before 4.5 are refused at load), so a 4.4.226+ Xen world now carries
  the row true: its state hash changes, its events do not (a pirq's set_affinity never answers -EBUSY). Record ``xen_dm_unmap_needs_emuirq``
  cites the mainline 79858fee30 (4.2.0-rc1) beside its stable-4.1 copy 0596edb27f (text only). No shipped
  scenario names 4.4.226 or later: the golden runs are unchanged. tests/test_smalls24.py.
- 15: (audit19) Three kernel Change records left out stable releases that carry their commit (read in the
  stable queue's series files, linux-stable-rc revlists, review shortlogs and release announcements).
  ``kernel.unplug_excludes_managed`` (a0b0bad10587) is true from 5.10.201, 5.15.139 and 6.5.12 as well: there
  lapic_can_unplug_cpu counts only the outgoing CPU's non-managed vectors (the 'has N vectors' of an offline's
  check drops the managed ones). ``kernel.msix_error_clears_maskall`` (94185adbfad5) is true from 4.4.296: a failed MSI-X
  setup on a 4.4.296+ Xen HVM guest clears Function Mask with Enable instead of leaving it set.
  ``kernel.ioapic_move_keeps_masked`` (df4393424af3) is true from 4.9.208 (INTx is modelled from 4.15 on, so a
  4.9.208+ bare-metal world only carries the value). Shipped runs unchanged (none names those releases): the
  golden runs digest is revision 14's. tests/test_audit19_records.py.
  (xenred25) Xen's ``msix_write_completion`` can fail and arm the unmask again (reading
  ``xen.msixtbl.completion-rearm``, RELEASE-4.7.0 vmsi.c / ioreq.c): its ``msixtbl_write(v, ctrl_address, 4, 0)``
  meets a set ``table_flags`` bit, clears it, sets ``msix_unmask_address`` once more and returns
  X86EMUL_UNHANDLEABLE, so the unmask waits for the vCPU's next ``hvm_io_assist``. The model dropped such an
  unmask for good; it now keeps it per vCPU (``w.xen["unmask_later"]``, absent while nothing is armed) and
  applies it at that vCPU's next QEMU round trip (from f7039ee41b, 4.14 / 4.12.4 / 4.13.2, Xen calls it at the
  vCPU's next schedule-in, which msidbg does not see: the next round trip is the latest it comes). A stale bit
  comes from a 4.x .. 5.13 native guest's same-value message rewrite after request_irq on an msixtbl entry the
  inverted msixtbl_pt_unregister keeps across its bindings: tests/heldout_xen25 v36 / v38 / v39 (a raw MSI-X
  disable / enable and a re-bound entry's first unmask, then a Command write by the same vCPU: 3 lost before,
  3 delivered now). Shipped runs unchanged (the runs digest is revision 14's); tests/test_heldout_xen25.py.
  (lockq25) desc->lock's queue holds every locker, flow handlers too (reading ``kernel.lock.desc-lock-queued``;
  the unmerged lockq23's dc90552 / 3204e69, re-applied): a flow handler that finds the lock held joins
  ``lock_wait`` (now a list of [CPU, 1 interrupt / 0 process context, program] in arrival order; redteam21's
  one-task entry is read as such), free_irq queues behind the CPUs it finds already in the flow handler
  (raw_spin_lock(&desc->lock) is the first statement of handle_edge_irq / handle_fasteoi_irq, so they came
  first), and every flow handler takes the lock at once only when no one holds or waits for it
  (``entry.lock_word_clear``; the edge acks -- MSI handle_edge_irq, Xen's pirq handle_edge_irq and the upcall's
  inlined ack -- through one helper, ``entry.flow_fast``; handle_fasteoi_irq of the IO-APIC and Xen PV GSI
  pirqs before irq_may_run and when it takes the lock back after the actions). Before, a task took a released
  lock past a flow handler that had spun longer (or had entered first, unless the handler passed through
  the fast path), and the fast paths took it past a queued task. And a CPU that holds the lock is no waiter:
  irq_enable under enable_irq's irq_get_desc_buslock queued behind a task that waited for that same CPU, and
  the run never ended (on main with a queued task; with lockq23's queue it hung tests/test_levelmove.py).
  Shipped runs: msi-torn-affinity-update-maskable (the affinity writes at 400/500/700/800 us wait behind the
  flow handler already spinning, about 1 us later each: 6435 events, was 6432) and -remapped (5011 events, was
  4997), and their random runs; outcomes unchanged. tests/test_pctspin.py's pct seed 3 is 701 deviations to
  192.2 us again (CPU1 entered handle_edge_irq at 100 us, before CPU3's free_irq at 101 us);
  tests/test_kernfid2_free_irq.py is unchanged (it already pinned that order); held-out runs: q11's (heldout_why11)
  300 us write is done in 301 us, heldout/h04-amdvi-5p4p60 loses 2 (was 8: CPU2's flow handler, the first
  waiter, gets the lock at the writer's unlock) and heldout_diff22/d21 0 (was 1: the handler that entered
  first delivers the probe's signal before free_irq). tests/test_lockq25.py, tests/lockq25/ (a 2-CPU INTx level storm during
  free_irq: 201 delivered, was 198; enable_irq against a queued irq_set_affinity), tests/test_lockq23.py,
  tests/lockq23/ (an IO-APIC level storm and a Xen HVM pirq loop with remove / disable_irq / irq_set_affinity
  behind a spinning flow handler).
  (redteam25) 6f1a4891a592's two-step msi_set_affinity: a signal that races the update waits in the old
  CPU's IRR on the new vector and is retriggered to the new CPU; the model moved the signal to the retrigger
  IPI and left the old CPU's IRR bit without a source, so where another irq already uses that vector on the
  old CPU its handler ran for nothing and the arrival was neither counted nor reported. The kernel's own
  comment says that handler "will denote it as spurious", and the contract's irq-spurious is "a CPU accepts
  a vector that has ... an irq other than the device's": the raced message's arrival now counts as spurious
  for the device that sent it (not lost: the retrigger delivered it) and hits irq-spurious; a slot the update
  marked VECTOR_RETRIGGERED still swallows it silently (reading ``kernel.msi-set-affinity.retrigger-stray``;
  ``cpus[N].retrig_irr`` holds the retriggered signals until their arrival, absent otherwise). The shipped
  msi-torn-affinity-update-plug-race now hits irq-spurious twice (xhci spurious 4: two IRR bits of two
  coalesced signals each, the NVMe admin queue's handler), nothing lost; its expect block and
  tests/test_mech_plug.py / test_seed_2020.py / test_redteam_topologies.py, heldout21/v01-k516 and
  explore13/e02, which said no spurious, follow; explore-msi-torn-plug-race arms only msi-torn-message and
  irq-lost (some schedules now hit irq-spurious; provenance code ``stray.retriggered``). spurious is no longer a
  subset of lost (tests/test_model_fuzz.py bounds it by raised). tests/test_redteam25.py, tests/heldout25/.
  (spoll25) A spin nothing can end beside poll_spurious_irq_timer ends under every policy. Under jitter every
  poll of a spin is an event, and the frame's ``_spin`` mark named the nominal time of the next poll while the
  CPU's agenda item carried the jittered one: poll_spurious_irqs (intx._spin_poll, reading
  ``kernel.intx.poll-bound``) did not recognise the spinner's next poll and re-armed the timer every 100 ms, and
  the spin never found the agenda empty -- tests/spoll25/late-spin.yaml (the storm disables irq 17, then a
  jittered free_irq spins in synchronize_irq for ever) was cut at 1,000,000 events under random, pct or delay.
  on_cpu now writes the jittered time into the mark (Ctx.spun); the run ends as under ordered (the poll not
  re-armed, "spins for ever", action 11 never started). Jittered runs with a spin change state hash (the mark),
  and where a lock_wait / _spinning read fell between the nominal and the jittered time, events. Also
  random, delay and the baseline count pct and delay draw from take a spin's polls due before every other
  item at once (``_Picker._lone_polls``; the same draws, counts, choices and runs as picking each): leads23's
  spin-spoll.yaml, 3 x 10^7 polls through a 100,000-interrupt storm, had not ended after 886 s under random
  (0.66 s of its 3.15 s) and delay had not counted its baseline in 15 min; now ~100 s and ~180 s. The
  suspected second loop (a spinner with interrupts off on the timer's CPU, on_spoll re-queued every 100 ns)
  was not found reachable: the model's process-context spins poll with interrupts on (spin_on_lock comes
  before irq_save), and no hardirq spin nothing can end was found on the timer's CPU.
  Shipped runs unchanged (the runs digest is revision 14's). tests/test_spoll25.py.
  (xenunmask25) From f7039ee41b (Xen 4.14; stable-4.12 436ec68ea2 in 4.12.4, stable-4.13 05ba427181 in 4.13.2)
  ``msix_write_completion`` is called by ``handle_hvm_io_completion`` (``vcpu_ioreq_handle_completion`` from 4.15)
  at every ``hvm_do_resume`` -- vmx_do_resume / svm_do_resume, the context-switch tail: each schedule-in of the
  vCPU -- not only by ``hvm_io_assist`` (reading ``xen.msixtbl.completion-at-resume``, new row
  ``platform.xen_msix_completion_at_resume``). An unmask a failed completion armed again (xenred25's stale
  ``table_flags`` bit) is then applied at the vCPU's next schedule-in; xenred25 kept the next device-model round
  trip for every release. msidbg's schedule-ins of a vCPU: the end of its round trip (as before), a scenario
  action starting on it while it is halted (``hvm_hlt`` -> SCHEDOP_block: the task's wake-up schedules it in; the
  completion is a step of its own before ``action.start``) and a ``vcpu_migrate`` to another pCPU (a ``xen``
  agenda item ``resume`` after ``xen.migrate``, where the model already runs ``hvm_migrate_pirqs``). The guest's
  timer ticks and an injection's wake-up of a halted vCPU are not represented. An unmask Xen passed on that the
  null handler dropped (QEMU's table unmapped: no ioreq, the vCPU does not block) now waits the same way for the
  vCPU's next round trip or, from f7039ee41b, schedule-in; the model applied it at once (docs/model-xen.md said
  "not modelled"). Shipped runs: events unchanged; the
  xen-hvm runs' state hash changes (the new row in the world's behaviour table). tests/xenunmask25 (v36-like
  runs, predicted from source before running: a hypercall by the halted vCPU after the failed completion
  delivers 3 on 4.19.2 / 4.13.2 / 4.12.4, was 3 lost; 3 lost on 4.13.1 / 4.12.3; a migration to pCPU 6 delivers
  3; n01 / n03: Memory Space off, the dropped unmask leaves 3 lost on 4.13.1 and on 4.14 without a later
  schedule-in, was 3/3), tests/test_xenunmask25.py.
  (irqoff25) A task waits for desc->lock with interrupts off. irq_get_desc_buslock / irq_get_desc_lock
  (disable_irq, enable_irq, __irq_set_affinity, __free_irq, __setup_irq's irq_enable) is raw_spin_lock_irqsave:
  __raw_spin_lock_irqsave runs local_irq_save and preempt_disable, then waits in the queued spinlock
  (do_raw_spin_lock_flags -> arch_spin_lock_flags, which on x86 is queued_spin_lock and ignores the flags:
  read in the 4.13.9 and 4.16.13 trees -- asm-generic/qspinlock.h, then linux/spinlock.h's fallback -- and a
  current torvalds copy, LOCK_CONTENDED -> do_raw_spin_lock); only CONFIG_GENERIC_LOCKBREAK's
  kernel/locking/spinlock.c loop re-enables interrupts between trylocks, and x86 selects no GENERIC_LOCKBREAK
  (reading ``kernel.lock.irqsave-spin``). The model's task polled with interrupts on (``spin_on_lock`` came
  before ``irq_save``) and took an interrupt for its CPU while it waited. Now the first poll of a task-side
  spin clears the CPU's irq-enabled flag (``entry.spin_on_lock`` / ``spin_irqsave``, frame mark ``_lockoff``)
  and taking the lock restores it in the same step, where the caller's own section follows; __free_irq keeps
  interrupts off from the lock to its raw_spin_unlock_irqrestore before synchronize_irq (the action's
  removal, irq_shutdown) and around the delayed irq_domain_deactivate_irq -- it had no irqsave section. An
  interrupt for a waiting task's CPU now stays in its IRR until then, and a task no longer lets an interrupt
  delay its lock: tests/irqoff25/a02 (free_irq behind a level storm's handle_fasteoi_irq, another device's
  MSI for its CPU) takes the lock at 300.4 us as lockq25's i03 predicts, was 303.7 us after the MSI's handler
  and 2 more level signals. A spinning task is in an irqsave section for stop_machine too
  (``hotplug.in_atomic_task``, reading ``kernel.hotplug.stopper-atomic``: preempt_disable comes before the wait):
  its stopper no longer preempts it mid-spin (a04: disable_irq was done after stop_machine, 2.00225 ms; now at
  1.00145 ms, migration/0 acks after). Shipped runs unchanged (the runs digest stays). tests/test_irqoff25.py,
  tests/irqoff25/ (disable_irq and a nested enable_irq behind an IRTE update, one during a CPU offline; free_irq
  behind a flow handler).
- 16: (redteam26) The vector matrix's end follows the release: from f5a3562ec9dd (6.10) FIRST_SYSTEM_VECTOR is
  POSTED_MSI_NOTIFICATION_VECTOR 0xeb whether or not CONFIG_X86_POSTED_MSI is set (tools/perf's copy of
  irq_vectors.h refreshed on 2024-05-27, the day after v6.10-rc1, quotes the change), so irq_alloc_matrix hands
  devices 0x20/0x21..0xea and every CPU has one device vector fewer than 4.18..6.9's LOCAL_TIMER_VECTOR 0xec
  layout. The model ended every matrix at 0xec, so a 6.10+ or current-upstream CPU held 202 device vectors
  (201 on CPU0) where the kernel has 201 (200): exhaustion came one vector a CPU late, and lapic_can_unplug_cpu
  counted one more free vector on each other CPU. New switch ``kernel.posted_msi_vector`` (true from 6.10 and the
  default; scoped to bare-metal and xen-hvm worlds), reading ``kernel.vector.first-system-vector``; matrix
  searches, ``available`` and the unplug check end at ``vector.system_start``. 4.15..4.17 (LOCAL_TIMER_VECTOR
  0xee/0xed: a 4.16.13 tree has 0xed) keep the 0xec layout, a lead. tests/heldout26/u31 (6.9: a NIC gets all
  605 vectors of 3 CPUs) and u32 (6.10: the 603rd request_irq fails ENOSPC, the probe releases everything and a
  second NIC gets its vector; on main it got 605 and the second NIC failed), tests/test_redteam26.py.
  (audit20) Eight kernel Change records left out stable releases that carry their commit (read in the
  stable queue and in release trees fetched whole; tests/test_audit20_records.py). ``kernel.msi_activate_early``
  'first' (f3b0946d629c): stable-queue releases/4.4.20/series lists genirq-msi-make-sure-pci-msis-are-activated-
  early.patch (the record said 4.4.20 did not carry it); 4.4.11 has no MSI_FLAG_ACTIVATE_EARLY, 4.4.34 / 4.4.60 /
  4.4.178 trees activate desc->irq at allocation -- 4.4.20 .. 4.4.302 now say first (only a Xen guest's world
  runs 4.4.y: it carries the value). ``kernel.xen_eoi_clear_first`` (ff1e22e7a638 "xen/events: Mask a moving
  irq") had no backport: releases/4.4.8 and 4.5.2 list it (4.4.8's copy says 'commit ff1e22e7a638 upstream'),
  and 4.1.y / 3.18.y carry it from a release no stored source names (4.1.19 / 3.18.20 trees lack it, 4.1.52 /
  3.18.63 / 3.18.140 have it; the table takes 4.1.52 and 3.18.63, unconfirmed): on those releases eoi_pirq
  clears the event before the pending move, and test_evtunmask's e1 window runs the handler once, was twice.
  ``kernel.managed_spread`` (4.20) had no backport, but every 4.19.y tree from 4.19.37 (4.19.48, 79, 108, 124, 222,
  304) has irq_matrix_alloc_managed(vector_matrix, vector_searchmask, &cpu) where 4.19.13 has cpumask_first's
  CPU: 4.19.37 (unconfirmed: the first 4.19.y release is named nowhere stored) on places a 4.19.y NVMe's managed
  queues on the last CPU of each group (2, 5, 8, 11), was the first (0, 3, 6, 9). ``kernel.move_busy_rearm``
  (a33a5d2d16cb) said 4.14.y lacked it, but releases/4.14.183/series lists Sasha Levin's copy under a truncated
  name (genirq-generic_pending-do-not-lose-pending-affinity-.patch, '[ Upstream commit a33a5d2d16cb ]'); a
  4.14.280 tree rearms: from 4.14.183 the legacy allocator's -EBUSY move stays pending and the next interrupt
  applies it (test_legacy_vectors' BUSY run ends on CPU3, was CPU5). ``kernel.xen_hvm_msi_ignore_mask``
  (7e0815b3e099) left its 5.17.y, 5.4.y and 4.14.y backports 'not matched': releases/5.17.6 holds the patch,
  releases/5.4.197/series lists it, linux-stable-rc's 4.14.y push carries 171ca9a7813d before 'Linux 4.14.282' --
  a Xen HVM pirq guest on 5.17.6+, 5.4.197+ or 4.14.282+ now ignores PCI/MSI masking (heldout_xen21's r11, the
  late-masked MSI-X on Xen 4.4: 30 delivered, was 30 lost). ``kernel.affinity_online_filter`` (33de0aa4bae9) said
  'not in 5.10.156..5.10.159', but GKH's 'Linux 5.10.157' announcement lists it with Luiz Capitulino's other
  three genirq patches: from 5.10.157 irq_do_set_affinity refuses an offline-only mask itself (-EINVAL; was the
  vector domain's -ENOSPC under remapping). ``kernel.amd_irte_cmpxchg`` (e52d58d54a32) named 5.4.68 only; the
  5.8.8-rc1 review carries it: an AMD-Vi world on 5.8.8 .. 5.8.18 updates a GA IRTE with one cmpxchg_double
  (heldout/h04: 0 of 600 lost, was 2). ``kernel.affinity_on_activate`` began its stable series at the releases of
  the x86 opt-in (5.4.60, 4.19.141, 5.7.17), but baedb87d1b53 itself is in 5.4.53 and 4.19.134 (stable-queue
  series) and 5.7.10 (its -rc1 review), and the opt-in changes nothing for an irq of the x86 vector domain (it sets
  IRQD_AFFINITY_ON_ACTIVATE): from those releases an affinity set before request_irq is stored and used at
  activation, no longer a pending move applied at the first interrupt. docs/fidelity.md's Open section
  counts five unconfirmed releases (was two). Shipped runs unchanged (the runs digest stays).
  (kernel26) Three kernel / Xen leads decided from source. (1) 446a98b19fd6 (5.15) sent msi_capability_init's
  "mask them all", its error path's unmask and pci_msi_shutdown's unmask through fcacdfbef5a1's pci_msi_update_mask,
  which checks neither pci_msi_ignore_mask nor the Mask Bits capability until 9c8e9c9681a0 (5.16, 5.15.3); msidbg
  wrote through the checked accessor on every release. New row ``kernel.msi_update_mask_can_mask`` (false on 5.15
  .. 5.15.2; reading ``kernel.msi.update-mask-unchecked``): there an MSI function without Mask Bits gets
  msi_multi_mask written at cap + 0x10 (0x0C with 32-bit addresses), past its capability, at the probe and 0 at
  the remove (msidbg's device keeps nothing there), and a Xen PV guest's writes go through pcifront to pciback,
  which drops them. The resume paths (__pci_restore_msi_state / __pci_restore_msix_state) stay unmodelled: no
  resume action. (2) A Xen PV domU's raw MSI-X table store is a page fault its task oopses on, not a dropped
  write: pv_ro_page_fault (fixup_page_fault before 4.10, read at RELEASE-4.2.0 .. 4.14.0) emulates stores to
  mmio_ro_ranges only for the hardware domain; a domU's #PF is reflected to it (reading
  ``xen.pv.msix-table-fault``, which the leads23 readings already assumed; ``PvAccessors.msix_write`` said Xen
  drops it). The ``write`` action now fails with msidbg's -EFAULT after a "BUG: unable to handle page fault" note
  and no ``pcifront.dropped`` (space msix-table) is emitted. (3) The message msi_set_affinity retriggered from
  the old CPU (``cpus[N].retrig_irr``) is taken at that CPU's first acceptance of the vector, whatever runs for
  it (``entry.take_stray``): an IO-APIC line's handle_fasteoi_irq now runs its actions for it as a spurious
  arrival for the sender (irq-spurious), a bit that also carried other signals counts it too, and an MSI irq
  that is disabled or in progress elsewhere keeps it with IRQS_PENDING (``desc["pending_stray"]``,
  ``entry.hold_stray``) until the loop or check_irq_resend's replay runs the action (counted then; a level
  line's IRQS_PENDING is not resent: nothing counted); before, only a source-less arrival reaching
  handle_edge_irq's action or common_interrupt took the record, so an IO-APIC line's arrival ran its handler for nothing, counted nothing
  and left the record for a later, unrelated arrival (checked against msi_set_affinity / apic_retrigger_irq:
  the IPI goes to the new CPU, the old CPU's IRR bit stays). Shipped runs: marvell-nvme-msi-blocked (5.15, MSI
  without Mask Bits) has one more event (the 0x60 write at the MSI probe), same hits and outcome; every run's
  state hash changes (the new row). tests/test_kernel26.py, tests/kernel26/ (r01: a raced xHCI message on
  disk2's IO-APIC vector, spurious 1, was 0; r02: 5.15 / 5.15.3 / 5.14 MSI without Mask Bits; r03: 5.15 PV;
  r04: the same parked on the disabled NVMe admin irq and counted at enable_irq's replay), tests/heldout_xen20/x23,
  tests/test_xenqemu3.py and tests/test_redteam7.py (the PV raw table write fails with -EFAULT; its oops names the
  table offset).
  (locks26) desc->lock is held where the kernel holds it, and a pending interrupt is taken where interrupts
  come back on (readings ``kernel.lock.free-irq-sections``, ``kernel.lock.irqrestore-takes-pending``; v6.6
  kernel/irq/manage.c, chip.c, arch/x86 irqflags.h). __free_irq marks the lock held from the action's removal through
  irq_shutdown to its raw_spin_unlock_irqrestore before synchronize_irq (``entry.LOCK_SITES`` "free_irq"): a flow
  handler or a task that comes meanwhile spins behind it -- before, it never marked the lock, so they ran beside the
  removal and the mask. Its delayed irq_domain_deactivate_irq (4001d8e8762f) queues for the lock like any locker
  (``entry.spin_on_lock``) and holds it to free_done; __synchronize_hardirq's 'double-check carefully'
  raw_spin_lock_irqsave queues too, so synchronize_irq (free_irq, disable_irq) waits for a flow handler queued
  before it. handle_fasteoi_irq's 'goto out' (irq_may_run false: in progress elsewhere, or irq_wait_for_poll
  finding the irq disabled) keeps the lock to its EOI (it was dropped between the two steps). A task step whose
  local_irq_restore turns interrupts on with one acceptable takes it in that step (``cpu._run``); before, a restore
  without an event let the task run on to its next event (free_irq's whole deactivation) first. Pre-5.3
  (free_irq_deactivate: shutdown) a flow handler that comes during __free_irq's section now spins until after the
  deactivation, parks its edge on a freed vector, and synchronize_irq waits for it (tests/test_kernfid2_free_irq.py
  5.2 case, as 4001d8e8762f describes). Shipped runs: explore-xen-pirq-reuse and -fixed (ordered) take vCPU1's pending
  upcall at the unmask's restore, before request_irq's next step: the same 573 / 663 events in another order,
  outcomes unchanged; tests/lockq23 x01/x02 shift (the loop runs on vCPU1, vCPU3 takes the lock at 500.4 us, same
  order); tests/heldout18 g05 (6.6.2 / 6.6.3 plain MSI moved in traffic) loses 60, was 2: vCPU1 takes usb's
  interrupts between nvme0's request_irq calls, its next request_irq runs 138 us with interrupts off across QEMU
  round trips, and 58 coalesced signals meet the torn move (still the old vector on nvme0's handler). Investigated and left: a flow handler's queue entry leaves when it takes the lock (``_leave_queue``; an
  instrumented pass over the lock, held-out and shipped scenarios found no entry outliving its acquisition), and no
  task spin with interrupts off that nothing can end was found on the spurious-poll timer's CPU (every desc->lock
  holder releases in finite steps; on_spoll's 100 ns re-queue stays). tests/test_locks26.py, tests/locks26/ (l01
  fasteoi out path vs enable_irq; l02 / l03 irq_set_affinity behind free_irq's two sections -- l03 now stores the
  mask of the deactivated irq instead of a pending move; l04 an MSI taken at free_irq's unlock).
  (xentick26) A halted HVM vCPU's wake-up is a schedule-in, and a halted vCPU's migration is not (readings
  ``xen.sched.wake-schedules-in`` and ``xen.sched.migrate-blocked``, RELEASE-4.19.2 vlapic.c / domain.c /
  sched/core.c). An interrupt for a halted vCPU (vlapic_set_irq or an event channel's upcall -> vcpu_kick ->
  vcpu_unblock -> vcpu_wake -> context_switch -> vmx_do_resume -> hvm_do_resume) now schedules it in first: where
  a failed msix_write_completion left an unmask armed on it (xenred25 / xenunmask25) and the completion runs at
  schedule-in (f7039ee41b), that is a step of the vCPU's own before it accepts the vector (``vmsi.woken``). A
  vCPU is halted when it has no handler, stopper or running task and idled before (its last step ended before
  now): a vector already pending when a handler or task step ends is taken after iret without hlt. New
  kernel row ``guest_tick`` (xen-hvm worlds only; a configuration, no history): ``nohz_idle``, the default
  (kernel/time/Kconfig 'default NO_HZ_IDLE if NO_HZ', x86_64_defconfig CONFIG_NO_HZ=y: an idle CPU's tick is
  stopped until its next timer, which msidbg does not represent), or ``hz100`` / ``hz250`` / ``hz300`` /
  ``hz1000`` (HZ_PERIODIC or nohz=off): a tick each 1/HZ at multiples of the period of the run's clock wakes a
  halted vCPU; only the ticks of a vCPU with an armed unmask are on the agenda (``[.., "xen", "tick", vcpu]``, one
  event each; a tick that finds the vCPU running notes it and the next follows while work other than idle loops
  and spin polls is ahead; the tick goes when another schedule-in or round trip applies the unmask).
  A ``vcpu_migrate`` of a halted vCPU no longer applies the armed unmask (sched_unit_migrate_finish's vcpu_wake
  leaves a _VPF_blocked vCPU blocked); a running one's still does. ``hvm_migrate_pirqs`` is still taken at the
  migration (docs/model-xen.md). Shipped runs: events unchanged; the xen-hvm runs' state hash changes (the row
  in the world's behaviour table). Held-out runs unchanged (tests/heldout_xen18 .. 25 pass as pinned);
  tests/xenunmask25/u06 (the migration of halted vCPU 1 at 8 ms) is 3 lost, was 3/3; u07 / n03 keep 3 lost (the
  default tick). tests/xentick26 (predicted from source before running; t05's setup was wrong and was dropped):
  a 250 Hz tick applies v36's unmask at 8 ms (3/3, was 3 lost), a 1000 Hz tick n03's at 5 ms, another device's
  interrupt for the halted vCPU applies it before the vCPU takes that interrupt (t08), a halted vCPU's migration
  at 7 ms applies nothing and the tick at 8 ms does. And an action queued on a vCPU behind the one that just
  ended is no wake-up (the guest goes from task to task without hlt): xenunmask25's schedule-in before
  ``action.start`` now needs the CPU idle too (``busy_until <= now``) -- t10's second write no longer applies the
  unmask before it starts; its round trip's end does (11 us later). t12: n1's storm keeps vCPU 1 in hardirq
  from the round trip to 9.5 ms, the 8 ms tick notes it running, the 12 ms tick applies the unmask (t11, the
  storm from 4.5 ms, starves the 5 ms task instead: predicted path wrong, outcome right). tests/test_xentick26.py.
  (xenred26) A CPU offline's stop_machine schedules in every halted Xen HVM vCPU it wakes. Linux
  stop_machine_cpuslocked queues multi_cpu_stop on each online CPU and wakes its stopper thread
  (cpu_stop_queue_work -> wake_up_q, kernel/stop_machine.c), so Xen runs vmx_do_resume -> hvm_do_resume for a
  halted vCPU before its stopper does anything, and from f7039ee41b (4.14; 4.12.4, 4.13.2) that schedule-in's
  handle_hvm_io_completion -> msix_write_completion applies an unmask a failed completion left armed on the vCPU
  (reading ``xen.msixtbl.completion-at-resume``, which now lists this schedule-in). The model took none: on the
  dying vCPU the armed unmask waited for take_cpu_down's first device-model round trip, met the table_flags bit
  the move's own address write had just set, and was re-armed; the guest's unmask then found the bit clear and
  Xen applied it without QEMU re-binding the new gvec / destination, so the binding stayed on the offline vCPU.
  Now ``hotplug.stopper_wakeups`` puts a ``[.., "xen", "resume", vcpu]`` item on the agenda at the rendezvous
  for each halted online vCPU other than the requester whose unmask is due (``vmsi.resume_due``): the unmask is
  applied first and the move's unmask exits to QEMU, which re-binds. tests/heldout_xen26 w41 (Xen 4.13.2, k4.19,
  the vector's vCPU offlined with the re-armed unmask pending): 6/6, was 3 delivered and 3 lost as on 4.13.1
  (w40, unchanged). Only runs with an armed unmask (``w.xen["unmask_later"]``) at a cpu_offline change; shipped
  runs unchanged.
  (hvmmig27) A halted HVM vCPU's ``hvm_migrate_pirqs`` waits for its next schedule-in (reading
  ``xen.sched.migrate-blocked``, now confirmed at RELEASE-4.0.0 / 4.5.0 / 4.19.2: vmx_do_resume runs it when the
  VMCS was last active on another pCPU -- active_cpu, set only by vmx_clear_vmcs; svm_do_resume: launch_core --
  and vcpu_migrate / sched_unit_migrate_finish's vcpu_wake leaves a _VPF_blocked vCPU blocked). Before, the
  model asked the moves at the migration. Now a ``vcpu_migrate`` of a halted vCPU records it
  (``w.xen["migrate_later"]``: vCPU -> [pCPU it last ran on, action], absent while none) and the vCPU's next
  schedule-in -- an interrupt for it (``vmsi.woken``), its periodic tick (``kernel.guest_tick`` hzN: the tick is
  put on the agenda for it), a task starting on it, a stop_machine wake-up -- runs ``hvm_migrate_pirqs`` (event
  ``xen.migrate`` "schedule-in on pCPUn ..."; an armed unmask's completion is the next step, same instant). The
  interrupt that wakes it was acked first, so its move is applied one interrupt later; a vCPU moved back to the
  pCPU it last ran on before it wakes asks nothing. ``evtchn_move_pirqs`` stays at the migration; a running
  vCPU's migration is unchanged. Shipped runs unchanged. Held-out outcomes unchanged: heldout_xen18 xs34,
  explore13 e06, heldout/xen15 native-x419-k66-affmig gain the schedule-in event (xs34's and affmig's moves are
  applied by the interrupt after the waking one, still masked MSI-X rewrites: 30/30, 20/20); xs26 / xs27 / xt33 / r07 are
  byte-identical (the vCPU was running at the migration, or no pirq follows it); xenunmask25 u06, xentick26 t04 /
  t06 gain the event or keep the move pending. Tests re-read: test_xenhost_affinity (a second ``xen.migrate`` at
  the upcall's wake-up), test_redteam13_xen rt13-hvm40 (the move asked at the first signal's wake-up),
  test_why_held4 hvm-native-migrate (with vCPU 1 halted the 2 ms ack applied set_affinity's own pending move and
  that tore the message: two signals added so the torn message is the migration's again, its why chain going
  through the schedule-in to the vcpu_migrate action). tests/hvmmig27 (predicted before running, 3/3 as predicted):
  m01 the wake-up signal asks the move (host irq ends on pCPU 1, move pending), m02 the 250 Hz tick asks it,
  m03 migrated and back while halted: no move, no live rewrite of a non-PVM MSI. tests/test_hvmmig27.py.
  (locks27) Three desc->lock / spurious-poll leads locks26 left, decided from source (readings
  ``kernel.lock.try-one-irq-held``, ``kernel.lock.sync-chip-under-lock``, ``kernel.intx.poll-waits-irqs-on``).
  (1) try_one_irq (misrouted_irq, poll_spurious_irqs; kernel/irq/spurious.c) takes desc->lock before its tests and
  holds it to 'goto out' or handle_irq_event's unlock: its IRQS_PENDING step (the irq in progress elsewhere) now
  marks the lock (``entry.lock_site`` "try_one_irq"), so a task or flow handler on another CPU spins behind it, and
  it spins for a held lock before leaving a disabled or action-less irq (before, it tested first and never marked
  the lock). (2) __synchronize_hardirq (kernel/irq/manage.c) reads IRQCHIP_STATE_ACTIVE -- the IO-APIC's Remote
  IRR -- under the lock: each poll of an in-flight level irq queues for the lock first and waits for a holder
  (before, the chip state was read without it). (3) A poll_spurious_irq_timer expiry on a CPU whose running task
  has interrupts off waits, one event, until the task's local_irq_restore (``intx.spoll_irqs_on``; also
  take_cpu_down's MULTI_STOP_EXIT, a QEMU completion, timers_dead_cpu) -- the timer interrupt and its softirq
  cannot run before; it re-checked every 100 ns with an event each. In hardirq, or offline, the 100 ns re-check
  stays. Shipped runs unchanged (goldens and the runs digest). tests/locks26 l01: CPU1's handle_irq_event, back for
  the lock after sata0's action (3003.0 us), now waits for CPU0's misrouted_irq IRQS_PENDING step (one more note,
  its EOI 100 ns later). tests/test_locks27.py, tests/locks27 (predicted from source, then run): m01
  disable_irq_nosync behind misrouted_irq's IRQS_PENDING (2352.05 us, was 2351.95); m02 disable_irq's
  synchronize_irq waits behind enable_irq's irq_startup between two Remote IRR reads; m03 the poll expiry during
  irq_set_affinity's irqsave spin: one 'softirq waits' event (was six), the poll at the unlock (402001.95 us, was
  402002.0), 300060 events (was 300065), the same outcome.
- 17: (xen28) A vCPU blocked in Xen on a device-model ioreq is a blocked vCPU to Xen's scheduler (reading
  ``xen.sched.migrate-ioreq``; RELEASE-4.0.0 hvm.c / event_channel.c / schedule.c, RELEASE-4.14.0 ioreq.c,
  RELEASE-4.19.2 common/ioreq.c, event.h, event_channel.c, sched/core.c): hvm_send_ioreq / ioreq_send runs
  prepare_wait_on_xen_event_channel (_VPF_blocked_in_xen) before it marks the request ready, only the device
  model's notification clears it (default_xen_notification_fn -> vcpu_wake), vcpu_kick's vcpu_unblock clears only
  _VPF_blocked, and vcpu_runnable is false while any pause_flags bit is set. So a ``vcpu_migrate`` of a vCPU
  waiting for QEMU (its task or the handler it interrupted: ``vmsi.ioreq_blocked``) is recorded as a halted one's
  is (``w.xen["migrate_later"]``, the migration's ``how`` says so), and QEMU's completion is its schedule-in:
  vmx_do_resume's hvm_migrate_pirqs (event ``xen.migrate`` "schedule-in on pCPUn ...") is a step of its own
  before the completion (``qemu._complete`` keeps ``q["serving"]`` for on_qemu's next step, one kernel cost
  later), then hvm_do_resume's completion as before. Before, the model took such a vCPU as running and asked the
  moves at the migration: an interrupt acked during the wait applied them. A migration there and back during
  the wait asks nothing (active_cpu). A periodic guest tick (``kernel.guest_tick``) for such a vCPU does not wake
  it ("blocked in Xen on a device-model ioreq", the tick rescheduled; it said "running"). The schedule-in's moves
  link the vcpu_migrate action in provenance, not the ioreq QEMU completes (``why``). By this change alone shipped
  runs, goldens, the runs digest and every held-out / test scenario with a ``vcpu_migrate`` or ``guest_tick`` (28 files) are
  unchanged: none migrates a vCPU during a round trip. tests/xen28 (i01, i02 predicted from source, then run, 2/2
  as predicted): i01 the 5.005 ms signal's ack finds no move (was: applied it), the completion's schedule-in asks it,
  the 6 ms ack applies it; i02 migrated to pCPU 6 and back during the wait: no move, no live rewrite of the
  non-PVM MSI (was: xen.msi at 6.0028 ms); i03 (run first, not predicted: heldout_xen25 v31 + a migration while
  the ack waits in hardirq) the first completion is the schedule-in, 201/201 as before. tests/test_xen28.py.
  (xen28) New row ``platform.xen_bind_moves_one_pirq`` (xen-hvm; false before 782cf8ba46, RELEASE-4.12.0; reading
  ``xen.bind-moves-all-pirqs``, RELEASE-4.5.0 / 4.9.4 / 4.10.4 / 4.11.4 io.c read): before it pt_irq_create_bind
  ended with hvm_migrate_pirqs of the vCPU the binding names -- a move (irq_set_affinity) for every bound MSI pirq
  whose cached guest destination is that vCPU, applied at each host irq's next interrupt even when it is on that
  pCPU already (set_msi_affinity keeps the vector and writes the message again). The model asked it for the bound
  pirq only, every release. Every xen-hvm world carries the row (scoped): the state hash of every xen-hvm run
  changes, its events do not -- goldens moved for the 12 shipped xen-hvm scenarios by their hash only (and the
  provenance digest of xen-pirq-revert-old-qemu[-fixed]: its binding's note names hvm_migrate_pirqs), and none of
  the 160 pre-4.12 xen-hvm test / held-out files changes an event (their bindings are PV-on-HVM pirqs, whose
  destination is the pirq's low byte, or one MSI pirq per vCPU). tests/xen28 b01 (4.11.4, predicted): n0's
  re-binding to vCPU 1 asks m0's move too, and m0's 3 ms ack rewrites its unchanged non-PVM message live
  (xen.msi); b02 (4.12.0): not.
  (xen28) An offline HVM vCPU is blocked to the scheduler too (reading ``xen.sched.migrate-down``): Linux's
  native_play_dead halts with interrupts off (xen_hvm_smp_init replaces no play_dead), hvm_hlt takes it as
  hvm_vcpu_down (_VPF_down), and the SIPI of its cpu_online (vlapic_init_sipi_one: hvm_vcpu_reset_state clears
  _VPF_down, vcpu_unpause) is its schedule-in; INIT's vcpu_reset leaves the VMCS. A vcpu_migrate of an offline
  vCPU is recorded (``migrate_later``) and hvm_migrate_pirqs runs at the online's step (a ``[.., "xen", "resume",
  vcpu]`` item after cpu.online). Before, the moves were asked at the migration. The 32 xen-hvm test / held-out
  files with vcpu_migrate, cpu_online or guest_tick run event-for-event as before. tests/xen28 d01 (predicted;
  its first version migrated before the offline had ended and the vCPU still ran): a managed NVMe queue's pirq
  still bound to offline vCPU 2 is moved at the 4 ms online, not at the 3.5 ms migration.
  (locks28) Three irq-core leads locks27 left, decided from source (v6.6 kernel/irq/handle.c, spurious.c,
  chip.c, kernel/locking/qspinlock.c, kernel/stop_machine.c; the same order in the 2.6.39-era spurious.c /
  handle.c copy). (1) A poll keeps its place in desc->lock's queue (reading ``kernel.lock.poll-queue-place``):
  ``entry.lock_waiter`` matched a queued interrupt-context locker by its frame's irq, and try_one_irq's frame
  (poll_spurious_irqs, misrouted_irq) names none, so the entry was dropped as if the poll had stopped waiting
  and a flow handler or task queued behind it took the lock first; ``entry._irq_waiter`` now names the irq at
  the head of the poll's list until it takes the lock. (2) IRQD_IRQ_INPROGRESS stays set until
  handle_irq_event has taken desc->lock back after every action and note_interrupt (misrouted_irq) (reading
  ``kernel.lock.inprogress-to-relock``): handle_fasteoi_irq's and try_one_irq's frames carry it (``inprog``) to
  their relock, which for try_one_irq now queues for the lock too, and ``entry.in_action`` reads it; before, the
  flag went with the last action's step, so a poll that got the lock first ran the actions again where the
  kernel sets IRQS_PENDING and goes out. handle_edge_irq's relock after its action is still no step (a lead).
  (3) A poll_spurious_irq_timer expiry on a CPU in stop_machine's MULTI_STOP_RUN -- spinning in multi_cpu_stop,
  or the requester waiting for take_cpu_down -- waits, one event, for MULTI_STOP_EXIT's local_irq_restore
  (``hotplug._release``; reading ``kernel.intx.poll-waits-stop-machine``): a stopped CPU ran the poll at once,
  the requester re-checked every 100 ns (10,000 events over fixup_irqs' mdelay(1)). Shipped runs unchanged
  (goldens and the runs digest). tests/heldout20 r08 (irqpoll storm, 5.15): CPU1's misrouted_irq gets irq 17's
  lock at 50001.9 us, the instant CPU2's sata action ends, and finds the flag still set (IRQS_PENDING, was a
  second handler run); its storm loop runs 1.4 us earlier from there, its poll at 60 ms delivers sata's second
  signal (CPU2 then IRQ_NONE), and misrouted_irq's ok leaves irq 16 disabled at 99,999 unhandled (was 100,000;
  both sata signals delivered). test_kernsmall's try_one_irq case: synchronize_irq's double-check queues behind
  the poll and disable_irq returns after the poll's handler (302001.55 us, was 301999.95 us). tests/test_locks28.py,
  tests/locks28 (predicted from source, then run): n01 the poll queued first delivers sata0's signal, CPU1 waits
  in irq_wait_for_poll and finds nothing; n02 the poll finds irq 17 in progress while CPU1 waits to retake the
  lock (IRQS_PENDING, EOI at 2352.15 us; was a second handler run); n03 / n04 the poll at MULTI_STOP_EXIT;
  n05 pins what was already right: a poll runs every action of a shared irq and ORs them (sata0 IRQ_NONE, then
  nic1 delivered), and misrouted_irq's ok takes one off irqs_unhandled (irq 16 disabled at 99,999).
  (kernel28) LOCAL_TIMER_VECTOR -- FIRST_SYSTEM_VECTOR, the end of the vector matrix before 6.10 -- follows
  the release (arch/x86/include/asm/irq_vectors.h read in a kernel.org 4.15 import and its 4.15.18 head, a
  4.16.13, a 4.17.0 and a 4.18.0 tree): 0xee in 4.15 (MANAGED_IRQ_SHUTDOWN_VECTOR 0xef above it), 0xed in 4.16
  (93286261de1b HYPERV_REENLIGHTENMENT_VECTOR 0xee), 0xec from 4.17 (HYPERV_STIMER0_VECTOR 0xed), whatever
  CONFIG_HYPERV says. The model ended every 4.15+ matrix at 0xec: a 4.15 CPU had two device vectors fewer than
  the kernel, a 4.16 one one fewer. New switch ``kernel.local_timer_vector`` (0xef before 4.15 -- the legacy
  allocator keeps its own bound --, 0xee, 0xed, 0xec; scoped to bare-metal and xen-hvm worlds, whose state hash
  changes with the new row); ``vector.system_start`` and the matrix range read it when
  ``kernel.posted_msi_vector`` is false (reading ``kernel.vector.first-system-vector``). The cleanup timer's
  ``vector_cleanup_callback`` now runs on the release's timer vector and only where a timer does the cleanup
  (6.6+): before, a device message on 0xec ran it on every release, freeing moved vectors the cleanup IPI was
  queued for; the pre-6.6 timer handler (smp_apic_timer_interrupt -> local_apic_timer_interrupt, read in the
  4.18.0 tree) frees none, so such a message is a lost signal on a system vector, and below a 4.15/4.16 timer
  an unused device vector ('No irq handler for vector') (reading ``kernel.entry.timer-vector``).
  tests/kernel28 v01 (3 CPUs, a NIC asking 605 vectors, then a second NIC asking one: 4.15 places 605 and the
  second NIC on CPU0's 0xed; 4.16.13 places exactly 605 and the second NIC fails ENOSPC; 4.17 fails the 603rd;
  on main 4.15 and 4.16 failed the 603rd) and v02 (a hand-written Message Data 0xec on 4.15 / 4.19 / 6.6),
  tests/test_kernel28.py.
  (kernel28) New action ``pm_resume`` (an extension, bare metal; docs/scenario.md): the function's D3hot -> D0
  reset without No_Soft_Reset (event ``dev.reset``, numbered after every other kind; reading
  ``kernel.pm.d3hot-reset``: pci_raw_set_power_state's need_restore), then pci_restore_state -- the saved
  Command, then __pci_restore_msi_state / __pci_restore_msix_state from the descriptors' cached messages, Mask
  Bits and Vector Controls, MSI-X under Function Mask. New row ``kernel.msix_restore_per_entry`` (true from
  ae72f3156729, 5.17: read in 5.17.0 and 5.15.16 trees; scoped to bare-metal worlds, whose state hash changes again):
  before it every message first, then every Vector Control; from it entry by entry (reading
  ``kernel.pm.restore-msix-order``). No existing run uses the action: only the state hashes of bare-metal worlds
  move. tests/kernel28 v04 (5.10 / 6.6: a signal in the reset window is lost, one under Function Mask waits in
  the PBA and is delivered at the clear) and v05 (6.6 MSI).
  (kernel28) New row ``kernel.msix_restore_mask_bit_only`` (true from e045fa29e893, 5.5; 5.4.6, 4.19.91, 4.14.160,
  4.9.207, 4.4.207, 3.16.82 read in stable announcements and reviews; bare-metal worlds) and device
  quirk ``msix-ctrl-reserved-bits`` (Vector Control reads back bit 1): before the fix __pci_restore_msix_state's
  msix_mask_irq(entry, entry->masked) set the Mask bit when any bit of the cached word was set, so such a
  device's entries came back masked after a resume (bugzilla 204887, Kingston NVMe timeouts); reading
  ``kernel.pm.restore-mask-any-bit``. tests/kernel28 v06: 5.4.5 writes 0x3 and the signal is lost in the PBA,
  5.4.6 writes 0x2 and it is delivered.
  (xenred28) startup_pirq's tail for a port that is pending and bound to another vCPU -- enable_irq of a
  pirq before 4.13 (``kernel.xen_enable_pirq_startup``) from a task on another vCPU than the port's: its
  unmask_evtchn is EVTCHNOP_unmask, which kicks the port's vCPU (vcpu_mark_events_pending -> vcpu_kick) and
  returns, and eoi_pirq's clear_evtchn is the caller's next store, made now in the unmask's step: the kicked vCPU
  is given the upcall only at its next VM entry (vmx_intr_assist) and finds the port cleared. Before, that vCPU
  took the upcall at the hypercall's instant, consumed the port and ran the irq's handler after the enable with
  no signal (the events were counted lost at the clear all the same). Same outcome, fewer events, and the loss's
  hit moves to the EVTCHNOP_unmask event; reading ``kernel.xen.startup-clear-before-remote-upcall``.
  tests/heldout_xen28 (36 held-out Xen scenarios predicted from source, then run): y22 / y29 / y30 (FIFO HVM,
  2-level HVM, PV); heldout_xen19 xt23 and heldout_xen25 v25 (the same case) keep their 3 lost.
  tests/heldout/xen15 pv-x422-k612-rerequest re-read: request_irq's __startup_pirq from vCPU 1 takes the 3
  signals the PBA held (pirq_guest_bind's unmask) on a port bound to vCPU 0 and clears them the same way: 3 lost,
  23 delivered (it expected 26, from the instant callback).
  tests/test_heldout_xen28.py. Shipped goldens and snapshots unchanged.
  (kernel29) Vector 0xff's handler is named per release (switch ``kernel.spurious_apic_entry``, bare metal
  and HVM guests): smp_spurious_interrupt up to 5.7 (entry_64.S 'apicinterrupt SPURIOUS_APIC_VECTOR
  spurious_interrupt smp_spurious_interrupt'; f8a8fe61fec8 left 0xff there), sysvec_spurious_apic_interrupt from
  db0338eec583 (5.8, x86/entry: Convert APIC interrupts to IDTENTRY_SYSVEC). Only the hit / lost text of a
  device message on 0xff changes (every release named the 5.8 function before), and the world carries the row.
  msi_set_affinity's selection (``can-reserve``, b56ebe7c896d) re-read and pinned, unchanged: the direct write
  for '!irqd_can_reserve(irqd)', i.e. a non-maskable MSI (msi_init_virq's irqd_clr_can_reserve) and a managed
  irq (reserve_managed_vector never sets the flag); the two-step path for non-managed maskable ones
  (reserve_irq_vector_locked's irqd_set_can_reserve). A second concurrent enable of one device before 5.17
  (switch ``kernel.msi_descs_lock``: none before 5512c5eaf533 'PCI/MSI: Protect MSI operations', mutex from
  it) is still refused with -EBUSY (msidbg simulates neither the mutex's sleep nor an unserialised second
  set-up), but its note no longer names msi_lock_descs, which those releases do not have (reading
  ``kernel.msi.enable-unserialised``). The enable tests msi_enabled / msix_enabled before it takes the lock,
  as __pci_enable_msix_range / __pci_enable_msi_range do in every release (the model locked first): an enable
  during another CPU's disable, before pci_msix_shutdown clears the flag, is -EINVAL ('already enabled'),
  not -EBUSY. From c7ecb95ca6a8 (5.17; switch ``kernel.msi_enabled_early``) msi_capability_init /
  msix_capability_init set the flag at their start and clear it on failure (the model set it at the end in
  every release): a second enable during another CPU's MSI-X set-up is -EINVAL on 5.17+ (tests/
  test_kernel_paths.py's concurrent-enable test: action 0 -22, was -16). tests/test_kernel29.py, tests/kernel29.
  (qemu29) New row ``platform.qemu_cmd_decode_emulated`` (xen-hvm; true from XSA-126 727b998448, qemu-xen-4.6.0,
  stable c9ac5f816b 4.5.1 and 32c5e5e70b 4.4.3; qemu-traditional ab42b440 xen-4.6.0, 62e41581 4.5.1, a03c5a74 4.4.3;
  false for qemu-xen 4.3.0 .. 4.4.2, 4.5.0 and qemu-traditional to xen-4.4.2, 4.5.0): before it xen-pt's Command
  emu_mask is 0x0740 and the guest's I/O and Memory Space bits reach the device (xen_pt_cmd_reg_write /
  pt_cmd_reg_write: throughable_mask = ~emu_mask); QEMU's own register takes the guest's value on both sides.
  The model applied 0x0743 to every QEMU. With the device not decoding, Xen 4.5's msi_set_mask_bit and
  write_msi_msg writel into nothing (reading ``xen.msix-mask-undecoded``; RELEASE-4.5.0 msi.c): a guest mask Xen's
  intercept writes is ``msix.unclaimed``, and the BAR remap's unbind / re-bind -- committed before QEMU writes the
  device -- leave the entry as it was; msixtbl_read's readl of Vector Control answers all ones. A pre-XSA-126 QEMU with Xen 4.6+ (memory_decoded's Function Mask fallback)
  is refused. tests/qemu29 (8 scenarios predicted from source, all held), tests/test_qemu29.py. Every xen-hvm
  state hash moves (the new row); no shipped scenario clears Memory Space, so no event sequence moves.
  (xen29) one mechanism for a guest's EVTCHNOP_unmask of a pending port bound to ANOTHER vCPU (unmask_evtchn on
  2-level for a remote port, on FIFO whenever pending; retrigger_dynirq's unmask): Xen marks the event at once
  (selector bit / FIFO link, evtchn_upcall_pending) and vcpu_kick's that vCPU (vcpu_unblock, or VCPU_KICK_SOFTIRQ's
  IPI), which is given the upcall only at its next VM entry (vmx_intr_assist on the vmentry path; RELEASE-4.0.0,
  4.4.0 and 4.19.0 read): msidbg raises it costs.hypercall + costs.ipi after the unmask, as a new ``xen.kick``
  event, so the caller's return and next step come first (reading ``xen.evtchn.remote-kick``). Before, the kicked
  vCPU took the upcall at the hypercall's instant. xenred28's startup_pirq special case (the clear made inside the
  unmask step) is gone: its eoi step's clear precedes the kick by itself (y22 / y29 / y30: the same 3 lost, the
  hit now at the eoi step). The pre-ff1e22e7a638 eoi_pirq (irq_move_irq, then clear_evtchn; heldout_xen28 y05
  FIFO / y06 2-level, Linux 3.14): the new vCPU's upcall no longer starts at the unmask and spins on desc->lock
  for the event in hand; it comes after vCPU 0's clear (30/30 either way). A vCPU already inside its upcall
  loop still sees the marks at once (ff1e22e7a638's race stays possible). Shipped goldens: events, hits,
  provenance and state hashes unchanged; 28 of 52 log digests move only because the new event kind renumbers
  the kinds registered after it; snapshots regenerated likewise. tests/test_xen29_remote_kick.py.
  (xen29) QEMU's MSI Mask Bits from XSA-129 (``qemu_msi_mask_emulated``): a guest write now leaves QEMU's
  emulated register at 0 (what the guest reads) and sets QEMU's msi->mask to the DEVICE's current Mask Bits
  (qemu 2d0ed5e642: emu_mask = ro_mask = 0xFFFFFFFF, so xen_pt_long_reg_write's *val is dev_value, which
  xen_pt_mask_reg_write stores); before, the guest's value was stored. Reading
  ``qemu.msi-mask-write-keeps-device-bits``. heldout_xen28 y31 (Xen 4.20, Linux 5.15.0's unchecked mask-all
  write of 1): QEMU binds unmasked, 3/3 delivered instead of 3 lost (its prediction shared the mistake;
  corrected). No shipped run writes the Mask Bits through QEMU. And an MSI address / data write through QEMU
  re-binds only when the register's value changed (xen_pt_msgaddr32/64_reg_write, xen_pt_msgdata_reg_write:
  'if (*data != old_addr)'); before, every write re-bound (heldout_xen28 y11: the unchanged upper-address write
  of the move no longer binds; same outcome; heldout_xen19 xt16: the unchanged rewrite of m0's message at
  3.03 ms binds nothing, QEMU serves the offline's writes sooner and one more signal falls in the torn window:
  15 delivered / 5 lost, was 16 / 4). A sweep of the 485 Xen scenario files in tests/ and scenarios/ against
  the pre-xen29 model moves the outcome of y31 and xt16 only. Shipped goldens unchanged.
- 18: (resume30) New behaviour row ``kernel.pm_thaw_restores`` (scoped to bare-metal worlds, whose state hash
  changes with it; true from e60514bd4485 "PCI/PM: Restore the status of PCI devices across hibernation", 4.13
  unconfirmed: read absent in a 4.12.0 tree, present in a 4.13.9 one) for the new hibernation actions
  ``pm_freeze`` / ``pm_thaw`` (bare metal): pci_pm_freeze_noirq saves the state and marks current_state
  PCI_UNKNOWN, leaving the function in D0; before the commit pci_pm_thaw_noirq only set current_state D0, so a
  message __pci_write_msi_msg cached for an irq moved while frozen never reached the function (reading
  ``kernel.pm.freeze-thaw``; tests/resume30 t01: 4.12 sends the offlined-and-onlined CPU1's freed vector, 'No irq
  handler for vector', lost; 4.13 restores it). New action ``pm_suspend`` (pci_pm_suspend_noirq's
  pci_save_state, then D3hot or D3cold; event ``dev.power``, numbered last) so that ``pm_resume`` restores the
  Command saved at the suspend (reading ``kernel.pm.save-at-suspend``: a Command saved without Memory Space
  leaves every MSI-X table write of the restore unclaimed in every release read -- no upstream release enables
  decoding around it); out of D0 __pci_write_msi_msg only caches (``kernel.pm.msg-cached-out-of-d0``), the
  function claims no memory request and sends no interrupt; quirk ``pm-no-soft-reset`` (``kernel.pm.no-soft-reset``).
  ``pm_suspend`` / ``pm_resume`` on a xen-hvm passthrough function: QEMU xen-pt's emulated PMCSR keeps it in D0
  (``kernel.pm.hvm-pmcsr-emulated``; a pre-7e0815b3e099 guest's restore rewrites its masked Vector Control
  cache, which Xen's msixtbl_write applies to the physical entry: h01-k510 loses the signal after the resume);
  on xen-pv (``kernel.pm.pv-pciback-resume``) pciback's pm_ctrl_write has dom0's pci_set_power_state move the
  function, pciback's command_write then follows dom0's pci_is_enabled / is_busmaster (a device key ``pciback``
  from the reset on), so the reset Command stays 0, and the restore's first MSI-X table store oopses (p01..p03). No shipped run uses the actions: only the state hashes of bare-metal worlds move (the new row).
  tests/test_resume30.py.
  (xen30) Xen's host scheduler (``model/xensched.py``): a pCPU runs one vCPU at a time. A vCPU that wakes
  while another runs on its pCPU (two vCPUs on one pCPU after a ``vcpu_migrate``) waits on that pCPU's runqueue
  -- no step of it runs, an interrupt for it waits in its IRR / evtchn_upcall_pending -- until the pCPU's
  schedule() picks it: at once when the running vCPU blocks or migrates away, when a waker preempts (credit:
  a BOOSTed wake over an UNDER runner; credit2: more credit, the runner past ratelimit - 50 us), at the
  ratelimit's end (1 ms from 4.2), the slice end (credit 30 ms; credit2 csched2_runtime), or an HVM runner's
  PAUSE-loop exit in a spin wait (SCHEDOP_yield, 2048 ns after its spin starts with a vCPU waiting). New event
  ``xen.sched``; the world gains ``xen.sched`` (run, runq, since, tlast; pri / migr or credit / burnt) and the
  rows ``platform.xen_sched`` (credit before 4.12, credit2 from dafd936ddd, 4.12), ``xen_sched_ratelimit``
  (64908a0466, 4.2) and ``xen_credit_migrate_noboost`` (66c7449a4d, 4.7) on Xen platforms; a migrated running
  vCPU that must wait runs vmx_do_resume's hvm_migrate_pirqs at its schedule-in there. Readings
  ``xen.sched.one-per-pcpu``, ``.default``, ``.credit-boost``, ``.credit2``. Before, both vCPUs of a shared
  pCPU ran at once. No shipped or test scenario shared a pCPU: a sweep of the 493 Xen scenario files in tests/
  and scenarios/ against 7ba16846 gives the same event sequences (xen.sched aside: none) and hits; the Xen runs'
  state hashes move (the new world fields and rows). tests/test_xensched30.py.
  (xenred30) A cpu_offline's stop_machine waits for a vCPU whose task is blocked in Xen on a device-model
  ioreq (xen-hvm: a trapped config or MSI-X table access QEMU has not completed): the instruction has not
  retired, Xen runs nothing of that vCPU until QEMU's notification (hvm_send_ioreq's _VPF_blocked_in_xen;
  vcpu_unblock clears only _VPF_blocked, so the stopper's wake-up IPI waits in the vIRR), and multi_cpu_stop's
  ack_state needs every stopper's ack (reading ``kernel.hotplug.stopper-ioreq``; Linux kernel/stop_machine.c,
  Xen RELEASE-4.13.0 ioreq.c / schedule.c). ``hotplug.in_ioreq`` puts such a CPU among the late ones
  (MULTI_STOP_PREPARE) and QEMU's completion schedules its stopper (``qemu._complete``). Before, the model took
  the waiting task as asleep and ran take_cpu_down at once -- on the dying vCPU too, while still blocked in Xen.
  tests/heldout_xen30 (28 held-out Xen scenarios predicted from source, then run; 26 agreed, z05 / z06 after
  correcting the prediction): z18 (CPU 1 offline while vCPU 2 waits 2 ms for QEMU: take_cpu_down at 402 ms, was
  400.1 ms), z19 (CPU 2 itself: offline at 403.0 ms after the completion, was 401.1 ms, before it). A sweep of
  the 67 Xen files in tests/ and scenarios/ with a cpu_offline: only z18 / z19 move; shipped goldens unchanged.
  (xenred30) Xen's host move of an MSI-X irq (move_native_irq -> set_msi_affinity -> write_msi_msg) writes the
  new message with a plain writel like its mask writes (RELEASE-4.5.0 msi.c): on a device whose Memory Space a
  pre-XSA-126 QEMU let the guest switch off, nothing decodes it and the entry keeps its old message (reading
  ``xen.msix-mask-undecoded``, which said so; the model dropped setup_msi_irq's and msi_set_mask_bit's writes but
  wrote set_msi_affinity's). Xen's descriptor holds the new vector while the old one stays mapped (irq_complete_move
  frees it only after an interrupt on the new vector), so the device's signals are still delivered on the old
  pCPU. tests/heldout_xen30 z30 (Xen 4.5.0 + qemu-xen-4.5.0 pirq guest, Memory Space off, a move to vCPU 1: the
  4.05 / 4.1 ms signals carried the new message, now the old one; 5/5 either way). A sweep of all 522 Xen files
  in tests/ and scenarios/: only z30 moves.
  (kernel30) handle_edge_irq's relock after the action (kernel/irq/handle.c handle_irq_event: raw_spin_lock, then
  irqd_clear(IRQD_IRQ_INPROGRESS); chip.c's do/while tests IRQS_PENDING under that lock; read in 4.13.19, 5.17 and
  v6.6 trees) is a step of the model when a locker queued for desc->lock during the action (reading
  ``kernel.lock.edge-relock``; locks28's lead): the loop frame goes back on that CPU's stack at ``rerun`` marked
  ``inprog`` (``entry.relock_after_action``), and ``defer``'s rerun frame carries ``inprog`` too, so
  ``entry.in_action`` reports the flag until the CPU has the lock back. Before, the action's end cleared the flag
  at once: an edge on another CPU queued behind a task's enable_irq took the lock first, found the flag clear and
  ran the action itself; now it sets IRQS_PENDING and masks, and the CPU back from the action unmasks and runs
  it again. The do/while's top masks an irq without an action only when it goes round again (pending, not
  disabled). New row ``kernel.edge_wait_new_target`` (bare metal and HVM guests, scoped: every such world's
  state hash moves): from 8d39d6ec4db5 (6.17, 'genirq: Prevent migration live lock in handle_edge_irq()', tip
  irq/core 2025-07-22, pull irq-core-2025-07-27 merged 2025-07-29) irq_can_handle_pm on the irq's effective
  target (cpumask_first of the effective mask) of a single-target handle_edge_irq irq -- the x86 vector domain's;
  Xen's event-channel irqs set no IRQD_SINGLE_TARGET -- busy-waits in irq_wait_on_inprogress instead of
  IRQS_PENDING + mask_ack_irq, then acks and runs the action itself (reading ``kernel.edge.wait-new-target``).
  Shipped goldens: explore-msi-torn-plug-race random (no kernel.version: current upstream) moves -- CPU3, the
  xhci irq's new target, waits for CPU1's action and handles the edge itself (1009 events, was 1010; 0 lost
  either way); every other bare-metal / xen-hvm golden by its state hash only. A sweep of the 1049 scenario
  files in tests/ and scenarios/ against the pre-kernel30 model moves three event sequences, outcomes unchanged:
  heldout28 v16 (6.19: CPU7, the new target, waits for CPU63's action and runs the sata action itself),
  tests/tui/fixtures/msi-and-msix (current upstream: the same wait) and lockq23 x01 (Xen HVM pirq: CPU2's
  free_irq meets synchronize_irq's wait at 502.9 us, CPU1's loop not having retaken the lock, where it noted
  the lock queue). tests/mech_helpers' MECH_ERA
  pins the switch false (the mechanism tests assert the IRQS_PENDING path). (kernel30) pci_free_irq_vectors
  tests msix_enabled / msi_enabled before msi_lock_descs, as pci_disable_msix / pci_disable_msi do (5.17 and
  4.13.19 trees; reading ``kernel.msi.free-vectors-flag-first``): a free during another CPU's enable that has
  not set its flag yet returns 0 at once (msidbg took the lock first: -EBUSY). tests/kernel30 (e01, e02, m01,
  m02, f01-f03, predicted from source, then run), tests/test_kernel30.py.
  (redteam30) __synchronize_hardirq's double-check is one acquisition of desc->lock (reading
  ``kernel.lock.sync-double-check-held``; v6.6 kernel/irq/manage.c, the same loop in every release modelled): a
  synchronize_irq that had queued for it reads IRQD_IRQ_INPROGRESS and the chip state under the lock it got and
  unlocks. ``irq.synchronize_irq`` took the lock at the end of that wait, let it go, and came for it a second time as
  a new locker, queued behind whoever had queued meanwhile: a free_irq and a disable_irq of one irq started at the
  same instant (one on CPU1, one on CPU2) each waited behind the other's entry for ever -- a livelock in virtual time
  (5 ms between notes, millions of silent polls), found by redteam30's random pm_resume / hotplug / free / disable
  combinations (a 4.19.90 12-CPU file whose two tasks were released together by stop_machine's MULTI_STOP_EXIT).
  Now: CPU1's __free_irq section, CPU2's __disable_irq (depth 1 -> 2, 'nested'), CPU1's double-check, CPU2's, CPU1's
  delayed deactivation (tests/heldout30 w43, 6.6: disable_irq returns at 1000.5 us, free_irq at 1001.3 us, the 2 ms
  signal waits in the PBA). Shipped goldens unchanged (events, hits, state hashes; RUNS[18] = RUNS[17]'s runs); a
  sweep of the 234 test / shipped scenario files with a free_irq, disable_irq, remove or free_vectors action
  (bare metal and Xen) against the revision-17 model: every event sequence identical. Revision 18 because a run
  that reached the livelock now goes on.
  (kernel31) msi_lock_descs is a mutex that sleeps, taken inside the capability set-up (5.17-rc5 tree and
  torvalds/linux 017239c8, a 6.x tree; readings ``kernel.msi.lock-descs-waits``, ``kernel.msi.enable-insert-busy``):
  msix_capability_init writes Enable|Mask-All and sets msix_enabled, and only msix_setup_interrupts locks;
  msi_capability_init locks after msi_enabled = 1. msidbg took the lock at __pci_enable_msix_range's flag test
  and refused a second caller with -EBUSY. Now a second enable that passed the flag test sleeps (polls) on the
  mutex, then msi_add_msi_desc's xa_insert of index 0 finds the first enable's descriptor: -EBUSY; MSI-X's
  out_free frees every irq of the device (the first's too), out_disable clears msix_enabled and
  Enable|Mask-All, and the first returns success with nothing left; MSI's 'fail' clears msi_enabled only,
  the first's MSI stays enabled. Neither success path sets the flag again (the model set it at the end). A
  pci_free_irq_vectors that meets the lock waits too (kernel30 f03: the free tears down after CPU0's set-up
  unlocks, CPU0 returns 2; kernel29 c04: the MSI fallback waits for the disable and gets 1 vector). Before 5.17
  (no lock) unchanged. msidbg's bare-metal config reads take no time, so the flag test and the Enable write are
  one instant there: the race is reached on Xen HVM passthrough (trapped reads). tests/kernel31,
  tests/test_kernel31.py. The mutex's owner is the task: a task select_fallback_rq moves off an offlined CPU
  carries the lock it holds (hotplug.install_task; msidbg keys the holder by CPU, so before this the moved task
  could not release its own lock: tests/test_cpuhot2's retarget probe spun for ever).
- 19: (audit25) Credit's rate limit follows its release (xen-project/xen, git tag --contains and the
  sched_credit.c of RELEASE-4.5.0, 4.6.3, 4.6.4, 4.7.0, 4.7.1, 4.7.2, 4.8.0, 4.11.0; readings
  ``xen.sched.credit-boost``, ``xen.sched.ple-yield``). New rows ``xen_credit_ratelimit_rest`` (0053127890,
  4.8; stable 4.6.4 / 4.7.1): csched_schedule's continuation of a runner that has run less than the ratelimit
  lasts until it has (at least CSCHED_MIN_TIMER); before, 'tslice = MICROSECS(prv->ratelimit_us)', a whole
  ratelimit from the decision -- msidbg ran the 4.8 form from 4.2. ``xen_credit_yield_no_ratelimit``
  (9fdd2f3c9c, 4.8, no stable copy): before it a PAUSE-loop yield within the ratelimit is rate-limited too,
  CSCHED_FLAG_VCPU_YIELD kept (credit worlds of those releases gain ``xen.sched.yld``) for the first decision
  past the ratelimit, whose __runq_insert puts the vCPU behind one lower-priority vCPU; the spinner's next
  exit comes one ple_window later. And in every release a spinning runner the ratelimit keeps (a tickle's
  schedule()) now has its next PAUSE-loop exit armed one window later; none was, so a credit spinner kept
  the pCPU to the ratelimit's end. tests/audit25 a01 (4.7.0: vCPU 0 scheduled in at 7.1008 ms, 4.7.1 / 4.11
  7.0008), a02 (4.8.0 credit spinner: yields at 7.117048 ms, free_irq done 7.1455 ms, was 10.1053), a03
  (4.7.2: 1940 rate-limited yields, free_irq 11.1031 ms). Both rows are on every Xen world (scoped): every
  Xen golden moves by its state hash; a sweep of the 44 Xen scenario files in tests/ and scenarios/ with a
  vcpu_migrate (the only way to share a pCPU) against b601ae92 gives the same event sequences.
  Text corrections of the same audit: credit2's ratelimit is 2615485905's (4.8), the PMCSR emu_mask
  consolidation is in qemu-xen from 369baec3d1 (4.6.0; 4.4.3, 4.5.1), msi_descs_lock's stale '-EBUSY either
  way', msi_capability_init's unmodelled pci_msi_set_enable(dev, 0) (a lead). tests/test_audit25_records.py.
  (xenred31) A vCPU that a vcpu_migrate moved while it was blocked in Xen on a device-model ioreq, and that
  QEMU's notification wakes onto a pCPU another vCPU runs on (xen30's host scheduler: it waits on the runqueue),
  runs vmx_do_resume's hvm_migrate_pirqs at its schedule-in there, not at the notification: vmx_do_resume is the
  context switch's tail (RELEASE-4.19.2 xen/arch/x86/domain.c context_switch 'reset_stack_and_call_ind(nextd->
  arch.ctxt_switch->tail)', vmx.c '.tail = vmx_do_resume', vmcs.c vmx_do_resume: hvm_migrate_pirqs then
  hvm_do_resume's vcpu_ioreq_handle_completion; RELEASE-4.11.0 the same with handle_hvm_io_completion), reading
  ``xen.sched.ioreq-completion-at-schedule-in``. qemu._complete asked the move at QEMU's completion whenever
  ``migrate_later`` named the vCPU (xen28), which the xen30 scheduler made wrong for a queued vCPU: tests/heldout_xen31
  x37 (4.19.2 credit2, vCPU 1 queued behind n1's storm from 6.062 to 8.0013 ms) moved the host irq at the 7 ms ack
  (messages pCPU 0, 1, 0, 0), now at the 9 ms one (0, 1, 1, 0). The rest of such a completion is still taken at the
  notification (not represented). The same for the other wake-ups that took the schedule-in at the wake:
  stop_machine's stopper wake-up (hotplug.stopper_wakeups) and a cpu_online's SIPI of a vCPU a vcpu_migrate
  moved while halted / offline now leave vmx_do_resume to its schedule-in when it waits on its pCPU's runqueue
  (x38: a cpu_offline's wake-up of halted vCPU 1, queued behind vCPU 0's storm, asked its hvm_migrate_pirqs at
  6.5 ms; now at its schedule-in, 7.0008 ms). A sweep of the 74 files in tests/ and scenarios/ with a
  vcpu_migrate: only x37 and x38 move; shipped goldens unchanged (RUNS[19] = RUNS[18]'s runs). tests/heldout_xen31 (38 held-out Xen scenarios predicted from source, then run: x37 and x38 diverged,
  every other disagreement was a wrong prediction), tests/test_heldout_xen31.py.
  (redteam31) A function that ``pm_resume`` brings back from D3cold, or from D3hot without No_Soft_Reset, enters
  D0 with its reset, not at the PMCSR write before it (reading ``kernel.pm.reset-with-transition``: the PCI Bus Power
  Management Interface Specification 1.2's No_Soft_Reset -- 'devices do perform an internal reset upon transitioning
  from D3hot to D0' -- and a power-off's lost context; Linux v4.17 drivers/pci/pci.c pci_raw_set_power_state's
  need_restore). After a ``pm_suspend`` msidbg made the write (``dev.power`` D0) and the reset (``dev.reset``) two
  steps 1 us apart and put the function in D0 at the first: a signal between them went out as MSI-X with the
  pre-suspend message from a function back from D3cold (tests/heldout31 q09, 5.10, 500 ns into pm_resume:
  delivered; now dropped, 'function in D3cold'). A sweep of the 18 scenario files in tests/ and scenarios/ with a
  pm_suspend against the revision-18 model: only q09's event sequence moves; no shipped run suspends, so the
  shipped goldens are unchanged. tests/heldout31 (35 held-out bare-metal files predicted from source, then run),
  tests/test_heldout31.py. Also: a ``pm_resume`` whose restore clears state_saved between a concurrent ``pm_freeze``
  / ``pm_suspend``'s pci_save_state and its next step (the PM core never runs both) raised KeyError; now nothing
  is saved and a later thaw / resume's pci_restore_state returns at once ('if (!dev->state_saved) return;') --
  found by tests/combo31.py, redteam31's random-combination fuzzer (seeds 686, 2254 of 0..3000).
  (kernel33) Two concurrent MSI / MSI-X enables of one device before 5512c5eaf533 (5.17,
  ``kernel.msi_descs_lock: none``) both run, as the kernel runs them; msidbg refused the second with -EBUSY and
  a '(not simulated)' note (an outcome in no source). Read in stored trees: 4.13.9 (kinmax/linux-4.13.19:
  drivers/pci/msi.c __pci_enable_msix / __pci_enable_msix_range / __pci_enable_msi_range /
  pci_alloc_irq_vectors_affinity / msix_capability_init / msix_setup_entries / msix_program_entries /
  msi_capability_init / populate_msi_sysfs / free_msi_irqs / pci_irq_vector, kernel/irq/msi.c
  msi_domain_alloc_irqs, fs/sysfs/group.c internal_create_group), 5.10.13 (Rtoax/linux-5.10.13), 5.15.24
  (yhuan416/linux-5.15.24: also __msi_domain_alloc_irqs, msi_populate_sysfs, arch/x86/pci/xen.c
  xen_hvm_setup_msi_irqs), and tglx's 5.17 series patch removing 5.16's msi_populate_sysfs calls (readings
  ``kernel.msi.enable-unserialised``, ``kernel.msi.sysfs-eexist``). No lock is taken before 5.17
  (msi.lock_descs; ``kernel.pci.D.lock`` stays -1, so pci_irq_vector is never answered 'no irq' for one);
  msix_setup_entries / msi_capability_init append to ``descs`` (dev->msi_list) instead of replacing it; the irq
  domain's allocation (and Xen HVM's) walks every descriptor on the list and gives each a new irq -- a
  descriptor another enable already gave one gets a ``kernel`` note that the old irq leaks (it keeps its vector;
  a descriptor gains ``old``, the irqs it had, which still name it) --, irq descriptors take the descriptor's
  entry as ``index`` (not the list position), msix_program_entries masks every listed entry; new step
  populate_msi_sysfs (msix_capability_init, msi_capability_init; ``kernel.pci.D.sysfs`` while the 'msi_irqs'
  group exists): a second one is -EEXIST and goes to the error path, whose free_msi_irqs frees the whole list
  (BUG_ON(irq_has_action()) first) and removes the group; that error path no longer clears msix_enabled /
  msi_enabled before c7ecb95ca6a8 (the flag is another enable's then). The model's refusal of descriptors a
  stopped teardown left now excepts another CPU's running enable. tests/kernel33 k01 .. k04,
  tests/test_kernel33.py; tests/kernel29 c01 / c02, tests/kernel31 c05 and tests/heldout30 w16 follow the
  mechanism (their -EBUSY was the stand-in). Shipped runs: no event sequence changes; pre-5.17 worlds that end
  with MSI set up gain ``kernel.pci.D.sysfs`` (state hash); every golden's provenance digest moves: its recorded
  stacks name (program, step) pairs, and the steps of msi_capability_init / msix_capability_init after the
  new populate step are numbered one later (in every release: the step is a no-op from 5.17).
  (xen33) A vCPU whose stopper thread spins in stop_machine is running for Xen's host scheduler, not blocked
  (reading ``kernel.hotplug.stopper-spins``: Linux kernel/stop_machine.c multi_cpu_stop's ``do { cpu_relax_yield()
  / stop_machine_yield() ... } while (curstate != MULTI_STOP_EXIT)`` read in 4.13.9, 5.15.24 and 6.12.19 trees,
  x86 cpu_relax = rep_nop, no x86 / Xen PV override; Xen RELEASE-4.19.0 vmx.c's PAUSE-loop exit, reading
  ``xen.sched.ple-yield``): ``hotplug.stop_spin`` (a CPU that acked PREPARE or DISABLE_IRQ, the requester's own
  stopper, the dying CPU until take_cpu_down is handed to it -- the cpu_down frame gains ``tcd`` on Xen worlds)
  keeps its pCPU in ``xensched`` (``stop_spin``); a stopped vCPU that cannot run when the stoppers are woken
  (another vCPU runs on its pCPU, or a lower-numbered halted vCPU takes the idle pCPU they share:
  ``hotplug.sched_late``) is among the late ones (note "vCPUn waits for pCPUm (vCPUk runs there)"), and a spinner
  preempted on the runqueue acks the next state only when it runs again (DISABLING; ``xensched.kick``). An HVM
  spinner's PAUSE-loop exit yields every 2048 ns to a waiter with work; a PV one keeps the pCPU to a tickle or its
  slice's end. stop_machine's wake-up of a vCPU that must wait makes no schedule-in (its hvm_migrate_pirqs at its
  real one). credit's ``csched_tick`` ends a running vCPU's BOOST at the first 10 ms tick after its schedule-in
  (reading ``xen.sched.credit-tick``: RELEASE-4.1.0 / 4.5.0 / 4.11.0 sched_credit.c csched_vcpu_acct,
  csched_tick_resume aligns the ticker to the period), read lazily at a tickle, schedule(), block or migration
  (without it the BOOSTed PV spinner kept a shared pCPU for ever). Before, the spinner was taken as blocked and
  every stopper acked at once: two vCPUs sharing a pCPU passed the rendezvous together. tests/xen33 a01..a05
  (4.5, 4.11, 4.19.2; HVM and PV): a01 take_cpu_down at 3.004 ms (was 3.0 ms), a02 (PV credit) at 63.002 ms,
  a04 (PV credit2) 23.5 ms. A sweep of the 559 Xen scenario files in tests/ and scenarios/ against revision 18:
  every event sequence identical (none shares a pCPU across a cpu_offline); shipped goldens unchanged. Also: a
  vCPU blocked on a QEMU ioreq holds no pCPU at the stoppers' wake-up, and QEMU's completion wakes its stopper
  through the scheduler (qemu._complete scheduled it directly, so it ran while another vCPU held its pCPU;
  tests/xen33 a07); a vCPU that blocks drops its pending PAUSE-loop exit (a stale "no PAUSE-loop exit" event).
  (xen33) Xen 4.6+'s memory_decoded (reading ``xen.msix-memory-decoded``: RELEASE-4.6.0 msi.c -- 082fdc6ce8,
  0dba393db0, 484d7c852e, none in 4.5.x -- the same at 4.7.0, 4.11.0, 4.19.0; new row ``xen_msix_memory_decoded``,
  scoped to Xen worlds: every Xen run's state hash moves): msi_set_mask_bit's MSI-X mask of a device that does not decode sets the Function Mask and
  host_maskall instead of a writel into nothing, an unmask writes nothing, the decoding path leaves Message Control
  alone, and Xen's intercept of dom0's / QEMU's Message Control writes ORs host_maskall in (the world gains
  ``xen.maskall[dev]`` once host_maskall is set; 575e18d54d, 4.13, clears it only at assignment, not modelled);
  write_msi_msg writes nothing with MSI-X Enable clear; msix_capability_init fails PHYSDEVOP_map_pirq with -ENXIO
  without decoding (MSI-X disabled, host_maskall left set). The scenario no longer refuses a 4.6+ Xen with
  ``qemu_cmd_decode_emulated: false``; msixtbl_write's guest mask there (guest_mask_msi_irq) emits ``xen.msixtbl``
  instead of a table write the device drops. tests/xen33 b01 (4.6) / b03 (4.14): the guest's mask with Memory
  Space off masks the function for good, 3 of 9 delivered, 6 held; b02 (4.5): 9 of 9. tests/test_qemu29 and
  test_why_whatif asserted the refusal: now the 4.19 run (3 of 9) and a judged xen_msi_mask flip. Shipped goldens:
  the 12 Xen scenarios' state hashes (ordered and random) move with the new row, events unchanged; the 559-file
  Xen sweep: every event sequence identical.
  (xen34) The guest tick's wake-up of a halted HVM vCPU whose pCPU another vCPU runs goes through Xen's
  scheduler (xenred31's lead; reading ``xen.sched.tick-wake-queued``: RELEASE-4.0.0 / 4.11.0 / 4.19.2 vpt.c
  pt_timer_fn -> vcpu_kick -> vcpu_unblock -> vcpu_wake, context_switch's tail vmx_do_resume -> hvm_migrate_pirqs,
  hvm_do_resume; hvm_hlt -> SCHEDOP_block): vmsi.tick queues it (xensched.wake) and its schedule-in runs
  vmsi.resume; with nothing to run it halts again (new xen.sched event, xensched.idles: was an EngineError 'scheduled
  with nothing to do'), and the pCPU's schedule() picks the next vCPU; a tick of a vCPU already waiting does nothing.
  Before, the tick ran hvm_migrate_pirqs / the armed unmask at once (tests/xen34 k01: hvm_migrate_pirqs at 8.0013 ms,
  not the 6 ms tick, n0's messages pCPU 0, 1, 1, 0 (was 0, 1, 0, 0); k04: the unmask at 9.5015 ms, was 8 ms).
  The MSI restore of a pirq HVM guest with qemu-xen 4.5+ (xenred31's lead, reading ``xen.pirq-msi-without-emuirq``;
  Linux 017239c8 / 5.15.24 / 4.13.19 __pci_restore_msi_state, xen_msi_compose_msg; qemu-xen-4.5.0 (4.7.0-rc4,
  qemu/qemu) xen_pt_msgctrl_reg_write, xen_pt_msi_disable, msi_msix_setup; Xen RELEASE-4.5.0 / 4.19.2
  physdev_unmap_pirq, arch_evtchn_bind_pirq, hvm_dirq_assist, vmsi_deliver): confirmed lost until the guest binds
  its port again; the lost signal's text no longer says 'no event channel ... Xen injects ... vector 0' when the
  port is bound: the emuirq is unbound and vmsi_deliver refuses the pirq message's delivery mode (event
  xen.pirq 'emuirq unbound: vmsi_deliver refuses the pirq message'). A scenario naming credit2 runs its release's
  credit2 (audit25's lead; reading ``xen.sched.yield-by-release``; sched_credit2.c of RELEASE-4.1.0, 4.7.0, 4.7.6,
  4.8.0, 4.9.0, 4.9.4, 4.10.0): new rows ``xen_credit2_ratelimit`` (2615485905, 4.8), ``xen_credit2_yield``
  (a7fa4d5f53, 4.8), ``xen_credit2_max_timer_10ms`` (da92ec5bd1, 4.8; 2 ms before), ``xen_credit2_tickle_tolerance``
  (4b6923acff, 4.10), ``xen_credit_yield_flag`` (5fc9f5ef6c, 4.1; 4.0's do_yield only raises SCHEDULE_SOFTIRQ), all
  scoped to Xen worlds (every Xen state hash moves); credit2 with a platform.xen before 4.1 is an error (row
  ``xen_sched`` window 4.1.., 0dd76d3d20; check_window reads the row's layer). tests/xen34 c01 (4.7 credit2: the
  6.1 ms tickle preempts at once, was 8.0049 ms), c02 (4.9: switch at the ratelimit's end, 7.0008 ms), c03 (4.7.0
  spinner: no yield hook, free_irq done 8.1041 ms, was 7.1455). A sweep of the 84 files in tests/ and scenarios/
  with a vcpu_migrate or a guest_tick against 7b2e4006: every event sequence identical. tests/test_xen34.py.
  (kernel35) A driver's second enable of the kind already enabled (pci_alloc_irq_vectors / pci_enable_msix_range
  twice, no free between) follows its release: new row ``kernel.msi_enable_twice_einval`` (scoped; true from
  4c1ef72e9b71 'PCI/MSI: Warn and return error if driver enables MSI/MSI-X twice', first release 4.20 .. 5.2
  unconfirmed: read a bare WARN_ON(!!dev->msix_enabled) / WARN_ON(!!dev->msi_enabled) and no return in
  0x88888888/Linux-4.19 drivers/pci/msi.c __pci_enable_msix / __pci_enable_msi_range, 'if (WARN_ON_ONCE(...))
  return -EINVAL;' in WindRiver-Labs/linux-yocto-5.2 __pci_enable_msix_range / __pci_enable_msi_range; Greg's
  2024-08-12 4.19-stable mail lists it as missing from 4.19.y); reading ``kernel.msi.enable-twice``. msidbg
  refused it with -EINVAL in every release; before the commit the set-up now runs against the enabled one as
  kernel33's unserialised enables do (the enabled irqs leak, populate_msi_sysfs -EEXIST frees the list, the flag
  stays set; legacy MSI-X leaves the function masked). The other kind stays -EINVAL in every release.
  tests/kernel35 t01 .. t05. contract.ERRNOS (and model/cpu.py's names, now derived from it) gains EEXIST,
  EACCES, EFAULT, ERANGE, EAGAIN: a status, an action's ``error`` and a note read 'EEXIST' where they read 'E17'.
  __pci_restore_msix_state takes msi_lock_descs around its descriptor loop from 5512c5eaf533 (5.17, the
  ``kernel.msi_descs_lock: mutex`` boundary; read in tglx's '[patch V2 07/31] PCI/MSI: Protect MSI operations'
  and torvalds/linux 017239c8db20 drivers/pci/msi/msi.c; reading ``kernel.pm.restore-msix-lock``): a pm_resume
  racing a pci_free_irq_vectors or an MSI-X set-up waits for it (tests/kernel35 r01: the restore's loop sleeps
  until CPU1's free unlocks and then restores nothing; r02: the free waits for the loop). msidbg's restore took
  no lock. __pci_restore_msi_state takes none in any release (unchanged).
  (kernel34) New configuration row ``kernel.preempt`` (full / none; reading ``kernel.hotplug.stopper-preempt``:
  torvalds/linux kernel/Kconfig.preempt at 8632987380 'default PREEMPT_NONE', kernel/entry/common.c at 46466ae3a1
  irqentry_exit 'if (IS_ENABLED(CONFIG_PREEMPTION)) irqentry_exit_cond_resched()' and exit_to_user_mode_loop's
  schedule() on _TIF_NEED_RESCHED, include/linux/kernel.h might_resched, arch/x86/configs/x86_64_defconfig
  'CONFIG_PREEMPT_VOLUNTARY=y'). msidbg's stopper thread always preempted a task in kernel code at its next step
  outside an irqsave section: that is CONFIG_PREEMPT (full, the default, kept). With none (CONFIG_PREEMPT_NONE) a
  task running kernel code keeps its CPU from the offline's stopper until it sleeps (a wait, or a mutex the model
  polls: msi_lock_descs, lock_device_hotplug_sysfs -- frame local ``_asleep``) or its action returns; stop_machine
  waits in MULTI_STOP_PREPARE for it as for a CPU in hardirq (``hotplug.keeps_cpu``, its own note). tests/heldout31
  q32 with none: the enable returns 2 at 7.8 us with MSI-X on, then the offline, then the free (redteam31's
  original prediction); with full, unchanged. The row is ``sparse`` (new Switch field): the world carries it only
  off its default, so every existing run, state hash and snapshot is unchanged (shipped goldens unchanged).
  PREEMPT_VOLUNTARY (might_resched at every might_sleep) is not a value: not modelled. An action that starts on a
  CPU whose stopper has not run yet waits behind it under none too (it entered the kernel after the wake-up; the
  first version parked that CPU with its stopper never run: tests/heldout h08 under none ended with stop_machine
  waiting for ever), and a CPU still waiting for its stopper whose task blocks in Xen on a QEMU ioreq leaves the
  agenda until QEMU's completion (its stopper used to ack while the trapped instruction was outstanding: reachable
  under full only from an irqsave section). A sweep of the 312 scenario files in tests/ and scenarios/ with a
  cpu_offline and a kernel: key, each also run with preempt: none: no crash, each none run ends (no event cap) with
  as many actions done as its full run; 12 event sequences differ from full (q32, h08, h20, h22, r01, x03, x07,
  c01, e01, y10, z19, z24). The run summary reads a sparse row absent from a world's table as its default (a
  file without a table records nothing). And in every model (full too): a task whose wait ends (a doorbell's
  interrupt or timeout, a device_lock unlock) on a CPU whose stopper has acked MULTI_STOP_PREPARE waits behind
  it until MULTI_STOP_EXIT (``hotplug.woken_behind_stopper``; docs/model-baremetal.md listed it as a gap: it ran on
  during the rendezvous); shipped goldens unchanged, and none of the 312 swept files (full or none) moves with it. tests/kernel34 (p01..p07), tests/test_kernel34.py.
  (kernel32) Bare-metal PCI/MSI and irq-core details read in four trees (4.13.9 kinmax/linux-4.13.19,
  5.15.24 yhuan416/linux-5.15.24, the 5.17-rc5 board port dunli/linux-5.17 whose drivers/pci/msi/ is 5.17.0's,
  6.12.19 wishday/linux-6.12.y). (1) pci_free_irq_vectors is pci_disable_msix(dev) THEN pci_disable_msi(dev), each
  with its own flag test and, from 5.17, its own msi_lock_descs (reading ``kernel.msi.free-vectors-both``): msidbg
  called the one whose flag was set, under one lock it held across both. The same events unless another CPU set
  msi_enabled between the two: 5.17+'s msi_capability_init sets it early (c7ecb95ca6a8) and sleeps on the mutex the
  free holds; the freeing task takes the mutex again first (the woken waiter has no handoff yet) and pci_msi_shutdown
  finds no descriptor -- WARN_ON_ONCE(!desc), then a NULL dereference: the task oopses holding the mutex and the
  enable sleeps for ever (reading ``kernel.msi.shutdown-no-desc``; tests/kernel29 c04 changes: it got MSI with one
  vector). The enable's early flag is set once, before the wait (the step that waits set it again at every poll).
  (2) msi_capability_init starts with pci_msi_set_enable(dev, 0) in every release read (reading
  ``kernel.msi.disable-during-setup``): one Message Control read and write before the descriptor, so every MSI set-up
  has one more config write (1 us on bare metal, a trapped read and write on xen-hvm), and an Enable that firmware or
  a previous driver left set goes off: the final Enable write is a 0 -> 1 transition again (msi-latch-on-enable
  latches the new message; tests/kernel32 d01: 3 delivered, were lost). (3) handle_edge_irq parks an edge of an irq
  started without an action (enable_irq after free_irq) as it parks one of a disabled irq -- 'irqd_irq_disabled() ||
  !desc->action': IRQS_PENDING, mask_ack_irq, no handler (reading ``kernel.entry.edge-no-action``; the Xen pirq flow
  too); msidbg ran an action-less 'handler' and counted the signal lost there (tests/kernel32 a01, 4.14: the edge is
  replayed to the next request_irq). (4) poll_spurious_irqs' stop stays the model's rule and is shown to lose
  nothing (reading ``kernel.intx.poll-idempotent``: every later poll finds the same world). Read and not modelled:
  pci_intx_for_msi writes every function's Interrupt Disable, pin or not (``kernel.intx.for-msi``; the write moves
  903 of 1066 test scenario runs: a lead). Shipped goldens: every run with an MSI set-up gains its write
  (msi-torn-affinity-update and its -maskable / -plug-race / -remapped, marvell-nvme-msi-blocked(-late),
  intx-nobody-cared(-claimed), explore-msi-torn(-plug-race, -remapped): +1 event, the same outcomes); in
  explore-msi-torn-maskable the xHCI's vector, assigned 1 us later, lands on CPU3 (was CPU1) and no move meets a
  busy vector (ordered 934 -> 644 events, random 1158 -> 953; 200 of 200 delivered either way); the Xen goldens change
  their provenance digest only (pci_free_irq_vectors' frames). Held-out files re-timed by the set-up's length
  (their runs otherwise as written): heldout h03, h16 (+1 us), heldout18 g05 x2, lockq23 x01/x02 (+25 us).
  (reconcile) 5.17+'s msix_setup_msi_descs reads a descriptor's Vector Control (readl, when it reads one) before its
  msi_add_msi_desc / msi_insert_msi_desc (5.17.0-rc5 tree dunli/linux-5.17 a5835cacd, 6.12.19 tree
  wishday/linux-6.12.y 21ae40e85; reading ``kernel.msi.enable-insert-busy``): a second enable that slept on
  msi_lock_descs and finds index 0 stored now makes the read, then the -EBUSY, as two steps. Both in one step
  raised 'EngineError: step N emitted 2 events' (hardening31's tests/hardening31/engine-two-events-x42: Xen 4.2,
  three probes and an alloc_vectors of one function; it now runs to the end: the alloc_vectors' out_free destroys
  pirq 101, the first probe's request_irq is -EINVAL, the second probe binds pirq 100). No run that completed
  before changes. Provenance (no event moves): before 5.17 a concurrent enable's populate_msi_sysfs -EEXIST is
  where the action's error starts (out_free / out_disable hand it on) and it links the action whose unserialised
  enable made the 'msi_irqs' group (new link ``sysfs-made``; ``Prov.sysfs_by``, no world field): heldout_why15 e01
  and heldout_why16 c01 (5.16) reach the other CPU's enable through the call 5.17 removed; their diffs and
  test_why_held11's q12 pair part at msix_capability_init's early msix_enabled (they parted at kernel31's stand-in
  lock, which kernel33 removed). The merged lanes' pinned timings re-derived under the combined model (no model change):
  tests/xen33 a03 (audit25's pre-4.8 rate-limited yield meets xen33's spinner: take_cpu_down 6.004416 ms),
  tests/heldout_xen31 x30 (xen33's PV spinner: offline 28.5162 ms) and x38 (schedule-in 8.004848 ms).
- 20: (redteam32) Three crashes tests/combo31.py found (seeds 320000..326000), all after a second, unserialised
  enable of a device before 4c1ef72e9b71 (kernel.msi.enable-unserialised) failed: (1) under VT-d / AMD-Vi an irq
  that enable leaked (its descriptor got a new irq) keeps the remapping entry of its own allocation -- the
  remapping domains store it per irq (torvalds/linux v6.6 drivers/iommu/intel/irq_remapping.c alloc_irte:
  'irq_iommu->irte_index =  index'; drivers/iommu/amd/iommu.c irq_remapping_free: 'irte_info =
  &data->irq_2_irte'), reading ``kernel.remap.irte-per-irq``; msidbg kept them per device and a CPU offline's move
  of the leaked irq raised IndexError in remap.irte_of (seeds 320748, 322509). Such an irq's descriptor now carries
  ``irte`` (a new field only there). (2) __pci_restore_msi_state (pm_resume / pm_thaw) of a device whose failed
  second MSI enable freed every descriptor (free_msi_irqs) while msi_enabled stayed set: irq_get_msi_desc(dev->irq)
  is the freed descriptor; msidbg notes the use-after-free and writes no message (hypothetical reading
  ``kernel.pm.restore-msi-freed-desc``; seeds 320242 and six more raised IndexError in pm.msi_message). (3) an
  enable_irq on another CPU whose irq that failed enable's free_msi_irqs frees (irq_free_descs takes no desc->lock)
  ends its irq_startup / irq_enable with a note (hypothetical reading ``kernel.irq.freed-under-call``; seed 324285,
  KeyError in irq.reactivate). No run that completed before changes. Provenance (no event moves): a signal dropped
  because the function is out of D0 links the transition that took it there (new key ``devices.D.power``, written
  by pm_suspend's D3hot / D3cold and pm_resume's D0): ``msidbg why`` on such a loss stopped at the signal. tests/heldout32 (40 held-out scenarios, 20 bare metal and 20 Xen, predicted from source
  before their runs: 38 agreed, x03 and x09 were wrong predictions -- the 5.15.0 PV remove oopses in
  pci_msix_shutdown, 446a98b19fd6 .. 9c8e9c9681a0; a 5.15.0 HVM pirq guest masks an emulated device's entries for
  good, before 7e0815b3e099), tests/test_heldout32.py.
  (kernel37) pci_dev->irq and pci_irq_vector() follow their source (torvalds/linux drivers/pci/msi.c of 4.13.9,
  kinmax/linux-4.13.19 135f62e8, and 5.15.24, yhuan416/linux-5.15.24 0ea83df2; drivers/pci/msi/msi.c + kernel/irq/msi.c
  of 5.17-rc5, dunli/linux-5.17 a5835cac; drivers/pci/msi/api.c of 6.12.19, wishday/linux-6.12.y 21ae40e8; functions
  pci_irq_vector, msi_get_virq, msi_setup_entry / msi_setup_msi_desc, msi_capability_init, pci_msi_shutdown; x86
  pcibios_enable_device / the weak pcibios_free_irq). Every world gains ``kernel.pci.<dev>.irq`` (dev->irq: the INTx
  irq, 0 without a pin), an MSI descriptor ``default_irq``, and the row ``kernel.pci_irq_vector_msi`` (dev_irq before
  82ff8e6b78fc, 5.17; virq). msi_capability_init sets dev->irq to its irq at its end; pci_msi_shutdown restores
  default_irq. pci_irq_vector with neither MSI nor MSI-X enabled is dev->irq for vector 0 in every release (msidbg:
  -EINVAL, no descriptor): a request_irq after pci_free_irq_vectors joins the INTx line, a free_irq there WARNs on the
  INTx irq; MSI before 5.17 is dev->irq + nr (during a second unserialised set-up the irq the driver requested, not the
  descriptor's new one). Before 5.17 pci_msi_shutdown's BUG_ON(list_empty()) comes before Enable / INTx are touched
  (a teardown after a failed second MSI set-up oopses there; msidbg ran 5.17's WARN-then-NULL order). 5.17+ MSI:
  msi_setup_msi_desc's Message Control read comes before msi_add_msi_desc's -EBUSY (a trapped read on xen-hvm:
  kernel31 m01's -EBUSY moves from 209.3 to 238.3 us). Readings kernel.msi.dev-irq, kernel.msi.irq-vector,
  kernel.msi.shutdown-empty-bug, kernel.irq.enable-after-free-shutdown-vector (documentation of what msidbg already did:
  4.15..5.7 enable_irq after free_irq sends the device's next message to MANAGED_IRQ_SHUTDOWN_VECTOR 0xef on the first
  online CPU; 0x88888888/Linux-4.19 vector.c). Shipped scenarios: the same events, hits and provenance; every state
  hash changes (the new fields). tests/test_kernel37.py, tests/kernel37.
  (xen35) The Xen PV path and the pirq message by release. pciback's Command (reading ``pciback.command-read``;
  Linux drivers/xen/xen-pciback/conf_space_header.c command_init / command_read / command_write read in 4.13.9,
  5.15.24 and 6.12.19 trees and two pre-4.0 copies): new row ``kernel.pciback_cmd_emulated`` (af6fc858a35b, 4.0 /
  3.19.2 inferred; kernel.version stands for dom0's): from it a PV guest reads Memory / I/O Space, Parity, SERR# and
  Interrupt Disable from its own last write (cmd->val, the world gains ``devices[d].pb_cmd`` at its first Command
  write), Bus Master & co. from the device -- so pci_intx_for_msi(dev, 0) writes the Interrupt Disable dom0's enable
  already set and pciback drops it (``pcifront.dropped``); a Command write that changes nothing in the device is
  dropped too (msidbg wrote the device's own value back). Before it the guest reads the device's register (decode
  bits ORed in while dom0 has it enabled) and its writes reach the device. msidbg answered the device's register and
  applied the 4.0 write in every release (why32's lead). pcifront's MSI-X walk (reading ``pcifront.msix-walk``;
  arch/x86/pci/xen.c xen_setup_msi_irqs, drivers/pci/xen-pcifront.c pci_frontend_enable_msix,
  drivers/xen/xen-pciback/pciback_ops.c xen_pcibk_enable_msi[x] in 4.13.9, 5.15.24, 5.17-rc5, 6.12.19): the op
  carries nvec (msidbg: the whole list's length) and the first nvec listed entry numbers (5.17+: descriptors
  without an irq); new row ``kernel.pciback_msi_enabled_check`` (XSA-157, 4.4 unconfirmed): pciback refuses an
  enable dom0 has (-EALREADY; contract.ERRNOS gains EALREADY) or MSI-X with MSI on / Memory off (-ENXIO); before
  5.17 a bind walk past nvec (another enable's descriptors) is an out-of-bounds v[i] read: a note, no binding.
  The pirq message (reading ``xen.pirq-msi-data``; 5.10.13 and 5.15.24 / 6.12.19 xen_msi_compose_msg, tip-bot2's
  41bb2115beec): new row ``kernel.xen_pirq_msi_extint`` (41bb2115beec, 5.11: tglx's x86/apic pull for 5.11-rc1): the data is 0x0700
  (delivery mode ExtINT) from 5.11, 0x4300 before; msidbg wrote 0x4300 in every release. af42b8d12f8a's re-use
  check compares the read-back data with the message the same kernel composes (the check lived only with 0x4300;
  explicit kernel.xen_reuse_cached_pirq on a 5.11+ kernel keeps its re-use). The three rows are scoped (pv: the
  first two; hvm: the third): every Xen world's state hash moves. Shipped runs (tests/golden_runs.json): the four
  xen-hvm-msix-mask-late* seeds (5.15.30 / 5.15.38) and explore-xen-pirq-reuse(-fixed) (no kernel.version: the
  current release) now write 0x0700 -- their logs' values and QEMU's latches; event counts and hits unchanged,
  ordered and random; the other six Xen goldens move by state hash only; no shipped run is xen-pv. Sweeps against
  d72de24a (revision 19): the 118 xen-pv files in tests/ and scenarios/ give identical event sequences (none has an
  INTx pin with MSI / MSI-X, nor two enables); of the 510 xen-hvm files 103 (pirq guests on 5.11+) change only in
  the data value, every event count the same. Revision 19 raised IndexError on two unserialised PV MSI-X enables
  (tests/xen35 w01: the list grew after pv_enable sized its pirqs by it). tests/xen35 c01 / c02, x01 / x02,
  w01 / w02, tests/test_xen35.py.
  (xen36) Credit's accounting, csched_acct (xen-project/xen RELEASE-4.1.0, 4.8.0, 4.11.0
  xen/common/sched_credit.c and RELEASE-4.19.0 xen/common/sched/credit.c: csched_acct, csched_tick ->
  csched_vcpu_acct, burn_credits, csched_runq_sort, csched_schedule; reading ``xen.sched.credit-acct``): a credit
  world gains ``xen.sched.cr`` (each vCPU's credit, in ns of run), ``act`` (the active list: found running by a
  10 ms tick), ``st`` (burn_credits' start_time) and ``acct`` (next settle, next acct, pending runq sort,
  credit_balance, the pool's pCPUs). Every 30 ms each active vCPU gets its share; below 0 it is OVER (behind every
  UNDER vCPU in csched_schedule, not boosted at its wake-up), above a slice's credits it leaves the active list
  with half; each pCPU's next tick sorts its runqueue. Settled lazily before a wake-up, a block, a schedule() or a
  migration. The guest alone in its pool with no cap earns a full slice per active vCPU, so no shipped run has an
  OVER vCPU: the shipped credit goldens move by their state hash only (same events, hits and provenance).
  tests/test_xen36.py (tests/xen36 a01 / a02: xen33 a02's offline at 4.11 / 4.1 read at 30 and 60 ms; OVER on a
  hand-made pool short of pCPUs).
  (intx36) pci_intx_for_msi writes every function's Command.Interrupt Disable, pin or not (reading
  ``kernel.intx.for-msi``: pci_intx_for_msi / pci_intx of torvalds/linux v4.13.9, v5.15.24, v6.12.19 look at neither
  dev->irq nor Interrupt Pin; the model made the write only for a function with ``intx:``): one Command write
  at each MSI / MSI-X enable (before MSI Enable / before Function Mask is cleared) and shutdown of a pinless
  function (+1 us on bare metal; on xen-hvm a trapped read and write through QEMU, +5 events, ~25 us, QEMU
  passing a set bit to the device and keeping a cleared one without s->machine_irq). The saved / restored Command
  of a suspend carries the bit (0x406). PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG (in all three trees) is on no modelled
  device: not modelled. xen-pv: dom0's pciback enable / disable writes the bit for every function, only on a change;
  the guest's pci_intx reads it from pciback's cmd->val (command_read: 'cmd->val & ~PCI_COMMAND_GUEST'; read in
  4.13.9, 5.15.24, 6.12.19 conf_space_header.c), the world gains ``devices.D.pb_cmd`` on xen-pv passthrough
  functions (command_init's read, then the guest's writes), and a guest Command write that changes no bit dom0's
  calls own is a ``pcifront.dropped`` event, not a device write (pci_enable_resources / __pci_set_master write only
  a change). Xen writes no Interrupt Disable for a guest's MSI (xen/arch/x86/msi.c: pci_intx only for
  !hardware_domain and non-IRQ_GUEST irqs). Shipped goldens: every MSI/MSI-X run gains the write (+1 event bare
  metal, +5 xen-hvm per enable); explore-msi-torn-maskable ordered 644 -> 937 events (the xHCI's vector lands as it
  did before kernel32), random 953 -> 1161; summaries (probe results, raised / delivered / lost) unchanged in every
  shipped scenario; stop indices move (msi-torn-affinity-update 1314 -> 1316, xen-hvm-msix-mask-late 136 -> 141).
  Outcomes that changed in tests, from the mechanism: tests/kernel31 c01 (5.17) -- CPU0's trapped
  pci_intx_for_msi before its Mask-All clear lets CPU1's out_disable land first, so the device ends with MSI-X off
  (was Enable set with no irq behind it); kernel30 f03 the same reorder (Message Control ends 0x0001 either way);
  heldout_xen31 x30 24 us earlier (vCPU 0's two probes' dropped pcifront writes burn credit2 credit). Held-out
  files re-timed +25 us from the storm on: lockq23 x01 / x02.
"""

from __future__ import annotations

#: the current model revision (an integer >= 1); see the module docstring for when to bump it
MODEL = 20
