"""audit27: triage of the readings audit26's mechanical quote pass flagged (a quote piece not found word
for word in the named repository / tag / path).

Method. audit26's /tmp/audit26/quotes.py and kquotes.py re-run on this checkout flagged 69 Xen-side and 58
Linux-side readings (some readings on both lists). A second pass normalised whitespace, comment stars and
backslash continuations and looked for every piece in every stored version of the named files (Linux trees
4.13.0/4.13.4/4.13.9/4.19/4.20/5.4/5.8.1/5.15.24/5.17/6.5/6.9.0/6.12.19; Xen RELEASE-4.0.0 .. 4.19.2); what
it still missed was read by hand in the trees (git show) or, for commits no tree holds, with find_string.

Verdicts -- WRONG (quote fixed; no claim and no model behaviour depended on the difference; five readings):

- kernel.intx: cited v6.6 but quoted ``if (flags & PCI_IRQ_INTX)``. drivers/pci/msi/api.c
  pci_alloc_irq_vectors_affinity tests ``flags & PCI_IRQ_LEGACY`` in the 6.5 and 6.9.0 trees (so at v6.6)
  and ``flags & PCI_IRQ_INTX`` in 6.12.19. include/linux/pci.h: 6.5 defines only PCI_IRQ_LEGACY (1 << 0);
  6.9.0 defines PCI_IRQ_INTX (1 << 0) with ``#define PCI_IRQ_LEGACY PCI_IRQ_INTX /* Deprecated! */``. The
  same bit, so the fallback (min_vecs == 1 && dev->irq -> pci_intx(dev, 1), return 1) is unchanged; the
  source's "PCI_IRQ_INTX from 6.8" and msi.py's "PCI_IRQ_LEGACY before 6.8" were not confirmed in any tree
  and are reworded to what the trees show.
- iommu.atomic-irte: quoted struct irte as ``vector:8, __reserved_2:8, dest_id:32; }; __u64 low;`` --
  no stored tree (4.13.9, 5.15.24, 6.5) has ``__reserved_2``: the remapped-mode struct reads
  ``r_vector : 8, r_res1 : 8, dest_id : 32;`` (comments between) and the union closes with ``__u64 low;``.
  The claim (vector and destination in the low quadword) stands.
- evtchn.abi-choice: cited v6.6 drivers/xen/events/events_base.c xen_init_IRQ but quoted the 4.13.9 text
  (``if (fifo_events)``). 5.15.24 and 6.5 read ``if (xen_fifo_events) ret = xen_evtchn_fifo_init(); if (ret
  < 0) { xen_evtchn_2l_init(); xen_fifo_events = false; }``. The model's choice (FIFO when asked and offered,
  2-level otherwise) is the same.

- amdvi.data-index and kernel.remap.irte-per-irq (both cite torvalds/linux ef75a8878766
  drivers/iommu/amd/iommu.c, read there with read_file): set_dte_irq_entry reads ``dte |=
  DTE_IRQ_REMAP_INTCTL;`` (the quote had ``new |=``, a later dte_lock rewrite in no stored tree up to 6.12.19)
  and irq_remapping_free ``free_irte(data->iommu, irte_info->devid, irte_info->index);`` (the quote had the
  <= 5.17 two-argument call). Claims (DTE IntCtl set; one IRTE per irq, freed with it) unchanged.

Verdicts -- quote or path imprecise (fixed, claim right):

- kernel.intx.for-msi: ``if (new != pci_command) pci_write_config_word(...)`` elided the block's
  ``{ struct pci_devres *dr;`` without a marker (6.5 pci_intx): ``{ ...`` added.
- xen.msixtbl.completion-at-resume: ``.tail = vmx_do_resume,`` is in xen/arch/x86/hvm/vmx/vmx.c (4.14.0
  line 402, vmx_vcpu_initialise's arch_csw), not in any file the source named: vmx.c added to its path.
- kernel.vector.legacy-flat-not-modelled: ``cpumask_bits(retmask)[0] = APIC_ALL_CPUS;`` is 4.13.9's
  arch/x86/include/asm/apic.h (flat_vector_allocation_domain): that path added.
- evtchn.fifo-queue: Linux consume_one_event's ``if (pending && !masked) handle_irq_for_port(port)`` elided
  the drop branch without a marker: 4.13.9 reads ``{ if (unlikely(drop)) pr_warn(...); else
  handle_irq_for_port(port);``, 5.15.24 / 6.5 ``if (unlikely(!ctrl)) ... handle_irq_for_port(port, ctrl);``.
- xen.hvmloader-cmd: each ``cmd |=`` follows a ``cmd = pci_readw(devfn, PCI_COMMAND);`` the quote dropped
  (4.5.0 and 4.19.0 tools/firmware/hvmloader/pci.c pci_setup); put back.
- xen.intx.bind: ``#define hvm_pci_intx_gsi`` is in xen/arch/x86/include/asm/hvm/irq.h (4.17.0+;
  xen/include/asm-x86/hvm/irq.h in 4.5.0 .. 4.16.0, the same formula), a file no source named: added.

Verdicts -- quote is the source's (the flag was the matcher's):

- wrapped or star-prefixed comments, backslash continuations, elided braces (verified by hand):
  kernel.entry.edge-no-action (4.13.9 / 6.12.19 handle_edge_irq), kernel.irq.pending-replayed-at-request
  (6.5 __setup_irq, a ``\\`` continuation), kernel.irq.resend-one-bit (6.5 check_irq_resend, a comment
  elided), kernel.intx.move (4.13.9 io_apic.c, a comment between), kernel.pm.pv-pciback-resume (5.17
  conf_space_header.c command_write), evtchn.2l-selector (4.4.0 event_2l.c), xen.intx.eoi (4.19.0
  passthrough/x86/hvm.c), xen.ioreq-wait (4.14.0 ioreq.c), xen.host-physical-mode (4.17.0 mpparse.c).
- from a commit no stored tree holds, text confirmed with find_string: kernel.edge.wait-new-target
  (8d39d6ec4db5 irq_can_handle_pm).
- the piece belongs to another cited source (a commit or version) and is in a stored version of that
  file: bus.flat-logical, kernel.affinity.proc-result, kernel.entry.exception-vector (idt.c),
  kernel.hotplug.stop-machine, kernel.intx.offline, kernel.intx.poll-waits-stop-machine, kernel.intx.remapped,
  kernel.lock.poll-queue-place, kernel.msi.activate-early-call, kernel.msi.range-retry,
  kernel.pm.d3hot-reset (the v4.17 form; 4.20's pci_raw_set_power_state has it; 6.5's pci_power_up reads
  ``need_restore = (state == PCI_D3hot || dev->current_state >= PCI_D3hot) && !(pmcsr &
  PCI_PM_CTRL_NO_SOFT_RESET)`` -- same claim), kernel.pm.restore-msix-order, xen.hvm-apic-mode.
- normalised match in a stored version of the named file, not hand-read (45 more): bus.xapic-broadcast,
  device.msix.latch-on-unmask, evtchn.fifo-one-priority, iommu.compat-blocked,
  kernel.actions.offline-sleeper-fallback, kernel.affinity.setup-default, kernel.hotplug.offline-lost,
  kernel.hotplug.stopper-ioreq, kernel.intx.no-resend, kernel.intx.poll-waits-irqs-on,
  kernel.lock.desc-lock-queued, kernel.managed.nvme, kernel.msi.disable-during-setup,
  kernel.msi.multi-message, kernel.vector.legacy-cascade, kernel.xen.startup-clear-before-remote-upcall,
  linux.pv-eoi-flag, xen.callback-vector, xen.evtchn.remote-kick, xen.hvm-pirqs-feature, xen.intx.isa-link,
  xen.intx.pv-bind, xen.intx.pv-guest, xen.msix-mask-undecoded, xen.msix-memory-decoded,
  xen.msixtbl.direct-mask, xen.msixtbl.early-mask, xen.pv-callback and xen.vmsi-eoi-not-seen and
  xen.bind-moves-all-pirqs (hand-read in 4.14.0 entry.S, 4.6.0 vmcs.c / vlapic.c, 4.11.0 hvm.c),
  kernel.msi.irq-vector (5.17 pci_irq_vector), linux.xen-pirq-irqs-unmanaged (6.5 events_base.c), xen.sched.* (credit-acct, credit-boost, credit-tick,
  credit2, ioreq-completion-at-schedule-in, migrate-blocked, migrate-evtchn-pirqs, migrate-ioreq,
  one-per-pcpu, ple-yield, tick-wake-queued, wake-schedules-in), xen.vlapic.soft-disabled,
  xen.vmsi-eoi-trapped, xen.vmsi-without-evtchn (the last two already corrected by audit26).
- hand-read, the quote's (annotated pieces or a dropped ``\\n``): kernel.entry.unhandled-level-eoi (6.9.0
  common_interrupt ``apic_eoi()``; 6.5 still ``ack_APIC_irq()`` -- the source names both),
  kernel.managed.nvme-queue-cpus (4.13.9 nvme_setup_io_queues), kernel.pm.freeze-thaw (4.13.9
  pci_pm_thaw_noirq), kernel.msi.enable-unserialised (4.13.9 msi.c list_add_tail), xen.msixtbl.completion-rearm
  (4.7.0 hvm_io_assist), pciback.command-read (4.13.9 command_read).
- not read (a commit or QEMU / pciback text no stored tree holds): kernel.entry.system-vector (bdc1dad299bb),
  kernel.msi.free-busy (9fb9eb4b59ac), pciback.cap-read-only, qemu.raw-write-routed, qemu.reads-queued,
  qemu.table-unmapped, qemu.traditional-no-phys-mask, xen.sched.migrate-down (Linux 0b64ffb8db4e piece).
- specification, mail, log or commit-message text, not source (not checked): apic.illegal-vector,
  apic.priority, bus.dm-without-rh, bus.logical-match, bus.soft-disabled-destinations,
  bus.x2apic-cluster-logical, device.cmd.memory-space, ioapic.soft-disabled-destination, ioapic.tmr,
  ioapic.wired-or, kernel.hotplug.cpu0, kernel.hotplug.mdelay, kernel.msix.shutdown-mask-pv,
  qemu.bind-unmask-flag, xen.domain-pirqs-102, xen.msixtbl.first-unmask.

Left (leads): kernel.managed.nvme quotes ``PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY, &affd`` for v6.6 -- 6.9.0
passes a ``flags`` variable (NVME_QUIRK_BROKEN_MSI); no 6.6 tree is stored to tell. kernel.free-irq.already-free's
"4.15.0 free_irq" piece (``__free_irq(irq, dev_id)`` with a NULL check) matches neither 4.13.9 (no check) nor
4.20 (``__free_irq(desc, dev_id)``). QEMU-side pieces (qemu.*, xen.pirq-msi-without-emuirq, xen.intx.bind,
xen.hvm-apic-id) and annotated other-version pieces (xen.needs-eoi, xen.emuirq-at-map, xen.pirq-follows-vcpu,
kernel.msi.activate-early-call / enable-unserialised / free-busy 'N.N:' pieces) were not read.
"""

from __future__ import annotations

import msidbg.model.fidelity  # noqa: F401  (registers every reading)
from msidbg.model import cite


def _r(key: str) -> cite.Reading:
    return cite.READINGS[key]


def test_kernel_intx_quotes_the_v66_flag_name() -> None:
    rd = _r("kernel.intx")
    assert rd.quote.startswith("if (flags & PCI_IRQ_LEGACY) { if (min_vecs == 1 && dev->irq)")
    assert "6.12.19: if (flags & PCI_IRQ_INTX)" in rd.quote
    alloc = rd.sources[0]
    assert alloc.ref == "v6.6" and alloc.path == "drivers/pci/msi/api.c"
    assert "from 6.8" not in alloc.function and "1 << 0" in alloc.function


def test_atomic_irte_quotes_the_remapped_struct_fields() -> None:
    q = _r("iommu.atomic-irte").quote
    assert "__reserved_2" not in q
    assert "r_vector : 8, ... r_res1 : 8, ... dest_id : 32;" in q and q.endswith("__u64 low;")


def test_abi_choice_quotes_xen_fifo_events() -> None:
    rd = _r("evtchn.abi-choice")
    assert rd.quote.startswith("if (xen_fifo_events) ret = xen_evtchn_fifo_init(); if (ret < 0) { "
                               "xen_evtchn_2l_init(); xen_fifo_events = false; }")
    assert "(4.13.9: if (fifo_events)" in rd.quote
    assert rd.sources[0].ref == "v6.6" and "xen_fifo_events" in rd.sources[0].function


def test_amd_quotes_match_the_cited_commit() -> None:
    assert "dte |= DTE_IRQ_REMAP_INTCTL;" in _r("amdvi.data-index").quote
    assert "new |=" not in _r("amdvi.data-index").quote
    assert "free_irte(data->iommu, irte_info->devid, irte_info->index);" in _r("kernel.remap.irte-per-irq").quote


def test_imprecise_quotes_and_paths_fixed() -> None:
    assert "if (new != pci_command) { ... pci_write_config_word(pdev, PCI_COMMAND, new);" in \
        _r("kernel.intx.for-msi").quote
    paths = [s.path for s in _r("xen.msixtbl.completion-at-resume").sources if s.ref == "RELEASE-4.14.0"]
    assert any("xen/arch/x86/hvm/vmx/vmx.c" in p for p in paths)
    flat = [s.path for s in _r("kernel.vector.legacy-flat-not-modelled").sources if s.ref == "v4.13.9"]
    assert any("arch/x86/include/asm/apic.h" in p for p in flat)
    assert "!evtchn_fifo_is_masked(port)) { if (unlikely(drop)) ... else handle_irq_for_port(port);" in \
        _r("evtchn.fifo-queue").quote
    assert _r("xen.hvmloader-cmd").quote.count("cmd = pci_readw(devfn, PCI_COMMAND);") == 3
    assert any(s.path == "xen/arch/x86/include/asm/hvm/irq.h" and s.function == "hvm_pci_intx_gsi"
               for s in _r("xen.intx.bind").sources)


def test_corrected_readings_stay_confirmed_and_bounded() -> None:
    for key in ("kernel.intx", "iommu.atomic-irte", "evtchn.abi-choice", "kernel.intx.for-msi",
                "xen.msixtbl.completion-at-resume", "kernel.vector.legacy-flat-not-modelled", "evtchn.fifo-queue",
                "xen.hvmloader-cmd", "xen.intx.bind"):
        rd = _r(key)
        assert rd.status == "confirmed" and 0 < len(rd.quote) <= cite.MAX_QUOTE
