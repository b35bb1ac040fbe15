"""Provenance record kinds: what a step did to a tracked value (nodes), and why it used another
one (dependencies), each with the one-line text a cause chain shows for it.

A *node* says "at this event, this step set value K" (or, for an outcome such as a loss, "this
happened to K"). A *dependency* follows its node and says "...and it did so using value K',
whose writer was record R" (R = -1: K' still had its value from the initial state). Some hot
nodes carry their one dependency inline: their record's third field is the writer record
instead of a value, and the relation is implied by the node's kind.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Code:
    """A provenance record kind: a node (something that happened) or a dependency."""

    name: str
    #: True for a node, False for a dependency
    node: bool
    #: one-line text: a node describes what happened, a dependency names the relation
    text: str
    #: nodes: registered as the writer of their key (outcomes such as a torn message are not)
    writes: bool = True
    #: nodes whose third field is the writer of one dependency (named ``inline``), not a value
    inline: str = ""
    #: nodes in interrupt context whose call stack is read back from the world on demand
    lazy_stack: bool = False
    #: nodes always made by one step of the interrupt path, whose stack is this (innermost first):
    #: not recorded per node (once per delivered interrupt)
    frames: tuple[str, ...] = ()


CODES: list[Code] = []
BY_NAME: dict[str, int] = {}


def _c(name: str, node: bool, text: str, **kw: object) -> int:
    CODES.append(Code(name, node, text, **kw))  # type: ignore[arg-type]
    BY_NAME[name] = len(CODES) - 1
    return len(CODES) - 1


_c("none", False, "")
#: a record that says "this key was also written by node X" (X in its value field)
ALIAS = _c("alias", True, "")
# --- nodes -------------------------------------------------------------------------------------------
ACT_START = _c("action.start", True, "{act} starts (scenario)")
ACT_DONE = _c("action.done", True, "{act} returned {value}")
TABLE = _c("table.write", True, "{who} wrote {path} = {hex}")
TABLE_LIVE = _c("table.write.live", True,
                "{who} wrote {path} = {hex} while the entry was live (MSI-X enabled, entry and function unmasked)")
MSIX_CTRL = _c("msix.ctrl", True, "{who} wrote MSI-X Message Control = {hex} ({msixctrl})")
MASKS = _c("msix.masks", True, "{who} wrote every entry's mask bit")
LATCH = _c("latch", True, "{dev} latched entry {idx}'s message as it became live", lazy_stack=False)
PBA_SET = _c("pba.set", True, "{dev} vector {idx} signalled while masked: held in the PBA")
PBA_CLEAR = _c("pba.release", True, "{dev} entry {idx} unmasked: its held signal is sent")
PBA_DROP = _c("pba.drop", True, "MSI-X disabled: {dev} entry {idx}'s pending bit dropped")
MSI_REG = _c("msi.reg", True, "{who} wrote {path} = {hex}")
MSI_LATCH = _c("msi.latch", True, "{dev} latched its MSI address/data as MSI was enabled")
MSI_PEND = _c("msi.pending", True, "{dev} MSI message {idx} signalled while masked: pending bit set")
MSI_BLOCKED = _c("msi.blocked", True,
                 "{dev} MSI message {idx} suppressed by MSI-X entry {idx}'s mask bit while MSI-X is disabled (quirk)")
IRR_SET = _c("irr.set", True, "{dev} vector {idx}'s message set {path}", inline="message")
IRR_IPI = _c("irr.ipi", True, "an IPI set {path}")
ACCEPT = _c("accept", True, "CPU{cpu} accepted vector {vec} (IRR -> ISR)", inline="IRR bit")
EOI = _c("eoi", True, "CPU{cpu} EOI: {path} cleared", inline="in service since", lazy_stack=True)
LOST = _c("lost", True, "{value} signal(s) of {dev} vector {idx} lost: {note}")
STRAY = _c("stray", True, "CPU{cpu} vector {vec}: No irq handler for vector (a stale IRR bit)", writes=False)
TORN = _c("torn", True, "{dev} vector {idx} sent a message the kernel never programmed as a whole",
          writes=False)
ONLINE = _c("cpu.online", True, "CPU{cpu_key} {online}")
VEC_SLOT = _c("vector_irq", True, "{path} := {slot}")
IRQ_VECTOR = _c("irq.vector", True, "irq {irq} gets {vector_of} on CPU{cpu_of}{vec_note}")
MOVE_PENDING = _c("irq.move_pending", True,
                  "irq {irq}'s move to CPU {pend} is deferred: applied when it next interrupts (irq_move_irq)")
KMSG = _c("kernel.msg", True, "the kernel composed {dev} vector {idx}'s message (irq {value})")
WAIT_TIMEOUT = _c("wait.timeout", True, "the driver's wait for {dev} vector {idx} timed out")
FAULT = _c("fault", True, "injected fault: {note}")
IRTE_WRITE = _c("irte", True, "{path} := {note}")
KERNEL = _c("kernel", True, "{who}: {note}")

# --- dependencies ------------------------------------------------------------------------------------
D_VALUE = _c("value", False, "the value written")
D_ACTION = _c("action", False, "run by")
D_IN_IRQ = _c("in-interrupt", False, "in the handler of")
#: the same, for a kernel routine the interrupt path called (a deferred move, a cleanup): control only
D_IN_IRQ_CTL = _c("in-interrupt-ctl", False, "in the handler of")
D_IOREQ = _c("ioreq", False, "serving the guest's trapped access")
D_MSG_TABLE = _c("message.table", False, "sent from the entry's registers")
D_MSG_LATCH = _c("message.latch", False, "sent from the message the device latched")
D_MSG_MSI = _c("message.msi", False, "sent from the MSI address/data")
D_MSG_HELD = _c("message.held", False, "the held signal")
D_IGNORED = _c("ignored-write", False, "the entry's registers hold a newer message the latch ignores")
D_DEST = _c("destination", False, "the destination CPU")
D_SLOT = _c("vector_irq", False, "the vector's vector_irq slot")
D_MASKED_BY = _c("masked-by", False, "held by the mask")
D_MSI_ENABLE = _c("msi-enabled", False, "MSI enabled")
D_LATCHED = _c("latched-from", False, "the message latched")
D_UNMASKED_BY = _c("unmasked-by", False, "released by the unmask")
D_HELD = _c("held", False, "the signal held")
D_PENDING = _c("pending", False, "still pending")
D_WAITED = _c("waited-for", False, "the signal waited for")
D_RETURNED = _c("returned-after", False, "the last step of the action")
D_COMPOSED = _c("composed-from", False, "the irq's vector assignment")
D_DISABLED_BY = _c("disabled-by", False, "MSI-X disabled by")
D_HALF = _c("half", False, "one half of the pair")
D_OWNER = _c("owner", False, "what holds it")
D_IRTE = _c("irte", False, "the remapping entry")
D_CAUSE = _c("cause", False, "because of")
D_READBACK = _c("read-back", False, "the message the guest read back")
D_IRQ = _c("irq", False, "the irq the driver waited on")
D_MOVE = _c("pending-move", False, "applying the deferred move")

XEN = _c("xen", True, "Xen: {note}")
QEMU = _c("qemu", True, "QEMU: {note}")
GUEST = _c("guest", True, "{who}: {note}")
XEN_REFUSED = _c("xen.refused", True, "Xen: {note}", writes=False)
ISR_CLEAR = _c("isr.reset", True, "{path} cleared: the local APIC was reset (the CPU went offline, or INIT as it came back)",
               lazy_stack=True)
IRR_CLEAR = _c("irr.reset", True, "{path} cleared: the local APIC was reset (the CPU went offline, or INIT as it came back)",
               lazy_stack=True)
IRQ_ACTION = _c("irq.action", True, "irq {irq}'s action: {note}")
D_NO_ACTION = _c("no-action", False, "the irq's action, removed by")
CMD_WRITE = _c("pci.cmd", True, "{who} wrote {path} = {hex} ({pcicmd})")
D_NO_MASTER = _c("no-bus-master", False, "not sent: Bus Master Enable clear in")
D_NO_MEMORY = _c("no-memory-space", False, "not decoded: Memory Space Enable clear in")
UNCLAIMED = _c("mmio.unclaimed", True, "{who}'s access to {path} was not claimed: the device does not decode its "
               "memory space (write dropped, read all ones)", writes=False)
#: a guest access no ioreq server claimed (QEMU's emulated table unmapped): Xen's null handler dropped it
DM_UNCLAIMED = _c("dm.unclaimed", True, "{who}'s access to {path} reached no device model: {note}", writes=False)

#: an action's negative result: the error a step of it returned (``actions[n].error``), not its last step
D_ERROR = _c("error", False, "failed with")
#: a xen-pv upcall clearing its vCPU's evtchn_upcall_pending (``cpus[n].upcall``): as it starts, and in its
#: loop when Xen set it again meanwhile (linked to the callback Xen entered)
UPCALL_CLEAR = _c("upcall.clear", True, "{who}: xen_evtchn_do_upcall: evtchn_upcall_pending = 0, then the ABI's "
                  "handle_events", frames=("xen_evtchn_do_upcall+ack_upcall",))
UPCALL_AGAIN = _c("upcall.again", True, "{who}: xen_evtchn_do_upcall: evtchn_upcall_pending set again while the events "
                  "were handled: cleared, handle_events once more", frames=("xen_evtchn_do_upcall+loop",))

#: a driver's choice of how many vectors to ask for and how to lay them out (the nvme driver by release,
#: ``kernel.nvme_irq_layout``): no event shows it, ``diff`` parts there (keyed by the action it runs for)
DRIVER_VECTORS = _c("driver.vectors", True, "{who}: {note}", writes=False)

#: INTx (docs/model-baremetal.md, "INTx"): a function's interrupt condition, and a driver's handler clearing it
INTX_COND = _c("intx.cond", True, "{dev} signalled while neither MSI nor MSI-X was enabled: its INTx interrupt "
               "condition (Status.Interrupt Status; INTx# asserted unless Interrupt Disable is set)")
INTX_ACK = _c("intx.ack", True, "{note}")
#: the IO-APIC's level entry sending its vector while INTx# is asserted (Remote IRR was clear): linked to the
#: interrupt condition of each function driving the line
IRR_LEVEL = _c("irr.level", True, "the IO-APIC's level entry set {path} (INTx# asserted, Remote IRR clear)")
#: poll_spurious_irq_timer expiring: the poll note_interrupt armed when it disabled an irq (not a value's write)
SPOLL = _c("irq.poll", True, "{note}", writes=False)
#: the kernel writing an IO-APIC entry's mask bit (``ioapic[N].masked``: mask_ioapic_irq / unmask_ioapic_irq,
#: ioapic_mask_entry); an INTx condition asserted behind a masked entry links it
IOAPIC_MASK = _c("ioapic.mask", True, "{who}: {note}")
#: a shared INTx handler returning IRQ_NONE in poll_spurious_irqs: linked to the conditions driving the line
INTX_NONE = _c("irq.none", True, "{who}: {note}", writes=False)
#: pirq_query_unmask at startup_pirq: the guest's pirq_needs_eoi flag, which makes eoi_pirq's PHYSDEVOP_eoi
XEN_NEEDS_EOI = _c("xen.needs_eoi", True, "{who}: {note}")
#: a function's INTx# driven: the interrupt condition (and the write that left Command.Interrupt Disable clear)
D_LINE = _c("intx-line", False, "INTx# asserted by")

#: Xen's hvm_pirq_dpci pending count a do_IRQ_guest / hvm_pirq_eoi changed (read, then written back)
D_COUNT = _c("count", False, "the pending count it changed")
#: a signal of a function whose MSI capability has Enable clear (no MSI-X, no INTx# pin): the write that
#: left MSI Enable clear (D_MSI_ENABLE read "MSI enabled" there, of a write that disabled it)
D_MSI_DISABLED = _c("msi-disabled", False, "MSI disabled by")
#: the kernel deactivating an IO-APIC entry (ioapic_mask_entry: vector 0) while its Remote IRR is set -- a level
#: interrupt sent, not yet EOId, whose EOI will match no entry (``ioapic[N].remote_irr``); and the EOI that clears
#: such a Remote IRR after all. An INTx condition held behind it links it
IOAPIC_RIRR = _c("ioapic.rirr", True, "{who}: {note}")
#: a condition whose line's entry has Remote IRR stuck set (``ioapic[N].remote_irr``)
D_RIRR = _c("remote-irr", False, "held by Remote IRR")
#: the level interrupt in flight (its IRR or ISR bit) when the entry was deactivated: an annotation
D_IN_FLIGHT = _c("in-flight", False, "the level interrupt in flight")
#: a host vector held in a pCPU's IRR behind an ACKTYPE_EOI vector in service there (a non-maskable MSI's, until
#: the guest's EOI): the send of the interrupt in service
D_IN_SERVICE = _c("in-service", False, "held behind the vector in service")
#: a flow handler spinning on desc->lock: the scenario action whose irq_set_affinity holds it (kernlock)
D_LOCK = _c("desc-lock", False, "waits for desc->lock, held by")
#: a guest's Command write (read-modify-write): the value its last trapped read of Command returned (qemuio)
D_READ_RMW = _c("read-modify-write", False, "the value the guest read (read-modify-write)")
#: native_cpu_disable's apic_soft_disable on the dying CPU (``kernel.cpu_disable_apic``, 5.4+), and INIT enabling the
#: APIC again (``cpus[N].apic_off``): a message refused by the disabled APIC links it (whyheld7)
APIC_OFF = _c("apic.off", True, "{who}: {note}")
#: a signal lost at a software-disabled local APIC: the step that disabled it
D_APIC_OFF = _c("apic-off", False, "refused by the APIC that was software-disabled by")
#: an event lost to eoi_pirq's clear_evtchn in enable_pirq's startup_pirq (``kernel.xen_enable_pirq_startup``,
#: before 4.13): the enable_irq (``irqs[N].disabled`` = 0) whose irq_enable ran it (whyheld7)
D_ENABLE_STARTUP = _c("enable-startup", False, "cleared by the startup_pirq (enable_pirq before 4.13) of")
#: the driver core's dev->driver (``kernel.pci.D.bound``): set by really_probe's driver_bound (or a driver's
#: pci_alloc_irq_vectors), cleared by device_unbind_cleanup (whyheld7)
DRIVER = _c("driver", True, "{who}: {note}")
#: a probe or remove that read dev->driver and did nothing because of it (bound_probe's skip, a remove without a
#: driver): a node that is not a write
DRIVER_READ = _c("driver.read", True, "{who}: {note}", writes=False)
#: what that read found: the step that bound the device, or unbound it
D_BOUND = _c("bound", False, "the device already has a driver, bound by")
D_UNBOUND = _c("unbound", False, "the device has no driver since")
#: the matrix's global reservation count (``kernel.vec_rsvd``) changed by a kernel step (``provkernel``); the two
#: warnings that read it (irq_matrix_reserve's crossing, lapic_can_unplug_cpu's "Reserved vectors") are nodes that
#: link it (not writes)
VEC_RSVD = _c("vec_rsvd", True, "{who}: {note}")
RSVD_WARN = _c("vec_rsvd.warn", True, "{who}: {note}", writes=False)
D_RSVD = _c("reserved", False, "the reservation count, as last changed by")
#: a spin wait nothing left to run can end (``Ctx.stuck``, reading kernel.spin-forever): a node on the CPU's
#: ``cpus[c].proc.wait`` linking what the poll reads, when the caller names it (whyheld8: a path question on the wait
#: read "initial value", and the stop's event linked only its action)
SPIN_STUCK = _c("spin.stuck", True, "{who}: {note}")
D_SPIN = _c("spins-on", False, "spinning for ever on")
#: a Xen GSI pirq's condition asserted while no guest is bound to the host irq (pirq_guest_unbind disabled it): the
#: line sends nothing (whyheld8: the condition linked only its Command write)
D_HOST_OFF = _c("host-irq-off", False, "its host irq disabled by")
#: an irq's vector assignment (``irqs[n].vector``) that took a vector_irq slot an earlier step freed (UNUSED, SHUTDOWN,
#: CLEANUP): the free that made it available (leads20: a hotplug move onto a just-freed vector linked its action only)
D_REUSED = _c("reused", False, "the vector's slot, free since")
#: a doorbell refused with -ENXIO (no queue for the vector: the driver has fewer vectors set up) links what last changed
#: the device's driver state (``kernel.pci.D.bound``): the probe that bound it (and allocated its vectors), the failed
#: probe that unwound them, the remove (leads20: it linked its own action only)
D_DRIVER_VECTORS = _c("driver-vectors", False, "the vectors its driver set up, as left by")
#: Xen's handling of a guest's trapped vLAPIC EOI (vlapic_EOI_set -> hvm_dpci_msi_eoi): a note of the EOI's step,
#: no state key of its own (whyheld9: nothing recorded it, and diff of a pair with / without APIC
#: virtualization parted later, at a message held behind the unreleased host irq)
XEN_EOI = _c("xen.eoi", True, "Xen: {note}", writes=False)
#: a driver's pci_free_irq_vectors (``free_vectors``) released the vectors it had set up (``kernel.pci.D.descs``);
#: dev->driver stays set (leads21: a doorbell refused after it linked the earlier bind)
VECTORS_FREED = _c("vectors.freed", True, "{who}: {note}")
#: an IRR bit Xen set in a guest's vLAPIC: the vMSI of a pirq without an event channel (vmsi_deliver_pirq ->
#: vmsi_deliver -> vlapic_set_irq), and the event channel callback vector (vcpu_mark_events_pending ->
#: hvm_assert_evtchn_irq). Both were ``irr.ipi`` ("an IPI set ...": whyheld10), which no CPU sent
IRR_VMSI = _c("irr.vmsi", True, "Xen injected the guest's MSI (vmsi_deliver_pirq: the vector and destination the "
              "binding gave it) and set {path}")
IRR_UPCALL = _c("irr.upcall", True, "Xen set {path}: the event channel upcall vector (vcpu_mark_events_pending)")

#: poll_spurious_irq_timer (``kernel.spoll``) armed on a CPU (note_interrupt disabling an irq, poll_spurious_irqs'
#: mod_timer) or moved off a dead CPU (timers_dead_cpu); its expiry (``irq.poll``) links the last of these, and a step
#: of poll_spurious_irqs links that expiry (whyheld10: a poll on the control CPU linked neither the move nor the
#: offline behind it)
SPOLL_TIMER = _c("irq.poll_timer", True, "{who}: {note}")
D_TIMER = _c("timer", False, "the poll timer, as armed or moved by")
D_IN_POLL = _c("in-poll", False, "in the poll (poll_spurious_irqs) run by")
#: timers_dead_cpu's move runs in the control CPU's CPUHP_TIMERS_PREPARE teardown of the dead CPU: the action taking it
#: down (a strong link: the move's reason, not only the context it ran in)
D_TEARDOWN = _c("teardown", False, "in the teardown of the dead CPU, run by")

#: a signal held on an entry whose managed irq request_irq's startup left shut down (IRQ_STARTUP_ABORT: no CPU of its
#: mask online), so nothing ever unmasked it: the abort (``irqs[N].managed_shutdown``, a kernel node linking the offline
#: CPUs of the mask) -- whyheld10: the loss ended at msix_capability_init's mask write
D_SHUTDOWN = _c("left-shut-down", False, "never started: the irq left shut down by")
#: PHYSDEVOP_get_free_pirq's top-down search: the pirq above the one handed out, and what holds it (an annotation)
D_ABOVE = _c("above", False, "the pirq above it, held by")
#: __free_irq finding no action (kernel.free-irq.already-free): its WARN is a node linking the irq's action as the
#: free_irq (or never a request_irq) left it (whyheld11: it linked only its own action)
FREE_WARN = _c("irq.free_warn", True, "{who}: {note}", writes=False)
D_FREED = _c("already-freed", False, "the irq's action, as left by")
#: a scenario action still queued on its CPU when the run ended (summary's ``not_started``): a node at the end linking
#: what held its CPU -- the spin for ever (``cpus[c].proc.wait``), else the action still running there (whyheld11: a
#: path question on it read "still had its initial value")
NOT_STARTED = _c("action.not_started", True, "{note}")
D_QUEUED_BEHIND = _c("queued-behind", False, "queued behind")
#: a flow handler spinning on desc->lock behind the locker queued for it first (kernel.lock.desc-lock-queued): a task's
#: action (whyheld11), another CPU's flow handler's interrupt -- its accept (whylinks25)
D_LOCK_QUEUED = _c("desc-lock-queued", False, "waits for desc->lock, queued for first by")
#: what a step of migrate_one_irq (fixup_irqs / irq_migrate_all_off_this_cpu at a CPU's offline) writes -- the new
#: vector, its slot, the message on the device -- moves: the irq's vector as it was on the dying CPU, and the deferred
#: request irq_fixup_move_pending applied (whyheld12: the message written in fixup linked only the offline action); the
#: vector it moves off is an annotation (why it moved is the offline, or the request)
D_MIGRATED = _c("migrated", False, "moving it off the dying CPU: the irq's vector there, set by")
D_FIXUP_MOVE = _c("fixup-move", False, "applying the deferred move (irq_fixup_move_pending)")
#: an MSI-X table store that oopses on a Xen PV guest (msix_mask_all before 1a519dc7a73c, pci_msix_shutdown on 5.15 ..
#: 5.15.2) is made regardless of the guest's pci_msi_ignore_mask, which boot code set (no recorded step): a root link
#: to ``kernel.ignore_mask``'s initial value, kept in the default chain (whyheld12: the oops named only the probe)
D_IGNORE_MASK = _c("ignore-mask", False, "written regardless of the guest's pci_msi_ignore_mask")
#: a device message msi_set_affinity's two-step update retriggered to the new CPU, taken on the old CPU where another irq
#: uses the vector: that irq's handler runs for it (kernel.msi-set-affinity.retrigger-stray, redteam25)
RETRIG_STRAY = _c("stray.retriggered", True, "CPU{cpu} vector {vec}: a message msi_set_affinity retriggered to the new "
                  "CPU is taken here too and runs another irq's handler (spurious)", writes=False)

#: a task (free_irq, disable_irq, irq_set_affinity...) spinning on desc->lock behind another CPU's flow handler: a
#: node at its first poll linking the interrupt that handler handles; writes nothing (why26, heldout_why13 k09)
LOCK_WAIT = _c("lock.wait", True, "{who}: {note}", writes=False)

#: the handler run of a level flow handler that spun on desc->lock: the spin's node on the condition it consumed, which a
#: later INTx# assert overwrote before the release (why27: the run linked the newest assert only)
D_SPUN = _c("spun", False, "after its flow handler spun on desc->lock")

#: a message msi_set_affinity retriggered, taken on the old CPU where another irq's message set the vector's IRR bit again
#: since: the sender's own message, an earlier set of the bit (why28: the accept linked the other device's message)
D_RETRIG = _c("retriggered", False, "the message that stayed in this CPU's IRR (retriggered to the new CPU)")
#: (why30) the same message parked as IRQS_PENDING on the irq that runs for it (disabled, or in progress elsewhere:
#: entry.hold_stray) and replayed by check_irq_resend: the replay IPI's IRR set, which links check_irq_resend and the
#: IRQS_PENDING the message's edge set (the walk for the sender's message found an older, unrelated one, or none)
#: (why30) a signal an MSI-X entry's mask holds, when an unmask of that entry since the mask was not decoded (Xen's writel
#: at a re-bind while the guest had Memory Space off through a pre-XSA-126 QEMU): the unmask that would have released it
#: (why30) Xen's own write of a physical entry's mask (msi_set_mask_bit's writel, in the hypercall a guest or QEMU made)
#: that a device with Memory Space off did not decode: the entry keeps its bit; writes nothing
XEN_UNCLAIMED = _c("xen.unclaimed", True, "Xen, in {who}'s hypercall: {note} into {path}: not claimed, the device does "
                   "not decode its memory space (write dropped)", writes=False)
D_UNMASK_DROPPED = _c("unmask-dropped", False, "the unmask that would have cleared the mask, not decoded")
#: (why30) an enable refused because another CPU's action is enabling or disabling the device's MSI state (its
#: msi_lock_descs, its msix_enabled set early from c7ecb95ca6a8): that action
D_ENABLING = _c("enabling", False, "refused while another CPU set up the device's MSI state, in")
#: (why30) a remote vCPU's upcall (xen.kick) that finds the port it was kicked for cleared: the caller's clear_evtchn in
#: startup_pirq's eoi_pirq, made before the kicked vCPU's next VM entry, and the events it lost
D_PORT_CLEARED = _c("port-cleared", False, "finds the port no longer pending: its events cleared by")
D_RETRIG_IPI = _c("retriggered-ipi", False, "carried by the replay IPI of the IRQS_PENDING it was parked in "
                  "(check_irq_resend)")
#: (why31) pci_save_state's read of the Command register it saves (``kernel.pci.D.pm.saved_cmd``), and
#: pci_restore_config_space's write of that saved value after the reset: what a restore with Memory Space off follows
D_SAVE_READ = _c("saved-from", False, "saved from")
D_SAVED_CMD = _c("saved-cmd", False, "the Command pci_save_state saved, in")
#: (why31) __pci_restore_msix_state's Vector Control write of the descriptor's cached word (msix_ctrl / entry->masked)
#: when bits beside the Mask bit are set in it: the write that put those bits in the cache (msix_program_entries' read)
D_CACHED_CTRL = _c("cached-ctrl", False, "the descriptor's cached Vector Control, its other bits from")
#: (why31) Xen's host scheduler switching a vCPU in on its pCPU (``xensched._schedule``'s context switch; the xen.sched
#: event), and the accept of a vector set in that vCPU's IRR before it: the accept waited for it (an annotation: the
#: schedule-in made no value the accept used)
XEN_SCHED_IN = _c("xen.sched_in", True, "Xen: {note}")
D_SCHED_WAIT = _c("sched-wait", False, "the vCPU waited on its pCPU's runqueue (IRR set) until")
#: (why32) a vCPU woken while another runs on its pCPU (``xensched.wake`` / ``migrate``): its runqueue insert and tickle,
#: linked to what woke it (the interrupt in its IRR, its upcall); its schedule-in links that wake-up and what made the
#: pCPU's schedule() switch: the tickle that preempted the running vCPU (its waker's wake-up), the running vCPU's time
#: slice (or ratelimit) that ended -- its own schedule-in --, the PAUSE-loop exit it yielded at, its block or migration
XEN_SCHED_WAKE = _c("xen.sched_wake", True, "Xen: {note}")
D_WOKEN_BY = _c("woken-by", False, "woken by")
D_SCHED_RUNNABLE = _c("sched-runnable", False, "runnable on the runqueue since")
D_SCHED_TICKLE = _c("sched-tickle", False, "the running vCPU preempted by the tickle of")
D_SCHED_SLICE = _c("sched-slice", False, "the running vCPU's time slice ended: it ran since")
D_SCHED_YIELD = _c("sched-yield", False, "the running vCPU yielded at a PAUSE-loop exit: it ran since")
D_SCHED_LEFT = _c("sched-left", False, "the running vCPU left the pCPU (blocked or migrated away): it ran since")
#: (why32) a signal lost with the device's older message while the kernel's newer one for that vector sits only in its
#: cache (__pci_write_msi_msg out of D0; pci_pm_thaw_noirq before e60514bd4485 writes nothing back): the cache, or the
#: thaw that left it unwritten
D_CACHED_MSG = _c("cached-msg", False, "the device kept its older message: the kernel's message for it only cached, by")
#: (why32) the guest's clear_evtchn of a port a remote vCPU was kicked for, made before that vCPU's upcall (the flow
#: handler's ack on the port's vCPU, eoi_pirq): what the kicked upcall finds, if nothing else cleared it; writes nothing
EVTCHN_CLEARED = _c("evtchn.cleared", True, "{who}: {note}", writes=False)
#: (reconcile) before 5512c5eaf533 (5.17) an enable's populate_msi_sysfs that finds the device's 'msi_irqs' group made:
#: the action whose unserialised enable made it (kernel33's -EEXIST; 5.17 serialises the enables and drops the call)
D_SYSFS_MADE = _c("sysfs-made", False, "its 'msi_irqs' sysfs group already made by another CPU's unserialised enable "
                  "(populate_msi_sysfs), in")
#: (why33) an enable refused because dev->msix_enabled is still set: the pci_disable_msix that should have cleared it
#: stopped first -- 5.15.0 .. 5.15.2's pci_msix_shutdown oopsing on a Xen PV guest's read-only table (its error node)
D_LEFT_ENABLED = _c("left-enabled", False, "MSI-X left enabled: the pci_disable_msix that would clear it (and "
                    "dev->msix_enabled) stopped in")

NODE_NAMES = {c.name for c in CODES if c.node}
#: hot records of these kinds are about an ISR bit (the others about an IRR bit)
ISR_CODES = frozenset({ACCEPT, EOI, ISR_CLEAR})
#: control links: followed only when nothing else explains a node (the root of a kernel write)
WEAK = frozenset({D_ACTION, D_IN_IRQ_CTL, D_IN_POLL})
#: annotations: shown as a branch, never the default path (they did not produce the value)
SIDE = frozenset({D_IGNORED, D_IN_FLIGHT, D_ABOVE, D_MIGRATED, D_SPUN, D_SCHED_WAIT})
#: links to a value boot code set (no recorded writer): kept, as the chain's root, when other links explain the node
BOOT = frozenset({D_IGNORE_MASK})
#: links whose value is a message: resolved to the registers it is made of, as of the use
MESSAGE = frozenset({IRR_SET, TORN, D_MSG_TABLE, D_MSG_MSI, D_LATCHED})
#: nodes that are the device's own doing (the actor is the device even inside a CPU's step)
DEVICE = frozenset({LATCH, PBA_SET, PBA_CLEAR, PBA_DROP, MSI_LATCH, MSI_PEND, MSI_BLOCKED, IRR_SET, TORN, INTX_COND})
