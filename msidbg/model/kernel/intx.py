"""Legacy INTx on bare metal: the PCI core's INTx Disable, the IO-APIC's level irqs, handle_fasteoi_irq,
shared handlers and the spurious-interrupt detector (docs/model-baremetal.md, "INTx").

* ``pci_intx`` (drivers/pci/pci.c): read Command, set or clear Interrupt Disable, write only if it
  changed. ``pci_intx_for_msi`` calls it when MSI / MSI-X is enabled (``enable`` 0, in
  msi_capability_init / msix_capability_init) and shut down (1, in pci_msi_shutdown /
  pci_msix_shutdown). ``pci_alloc_irq_vectors`` with PCI_IRQ_INTX (``mode: intx`` / ``all``) falls back
  to the pin when MSI-X and MSI gave nothing: ``if (min_vecs == 1 && dev->irq) { pci_intx(dev, 1);
  return 1; }`` -- vector 0 is then ``dev->irq``, the GSI's irq.
* The GSI's irq (irq number = GSI, as ACPI maps PCI GSIs 16..23) exists from boot, chip IO-APIC with
  handle_fasteoi_irq, a reservation in the vector domain; ``request_irq`` activates it (a vector; the
  redirection entry written masked: mp_irqdomain_activate -> ioapic_configure_entry) and starts it
  (unmask_ioapic_irq). A second device on the same GSI adds its action to the shared irq (IRQF_SHARED:
  every PCI INTx driver here requests it so, as pci_request_irq does) without touching the chip --
  and re-enables an irq the spurious detector disabled (``__setup_irq``).
* ``handle_fasteoi_irq``: disabled or no action -> IRQS_PENDING, mask_irq (the entry's mask), EOI;
  else each action's handler reads its device's Interrupt Status and, when set, clears the cause
  (the device deasserts) and returns IRQ_HANDLED; ``note_interrupt``; then the chip's irq_eoi
  (``ioapic_ack_level``: the local APIC EOI, which clears the entry's Remote IRR). A line still
  asserted by a device no handler serviced interrupts again at once.
* ``note_interrupt`` (kernel/irq/spurious.c): 99,900 unhandled of 100,000 -> "nobody cared",
  IRQS_SPURIOUS_DISABLED, depth++, irq_disable (lazy: the next interrupt masks the entry), and the
  poll timer: every HZ/10 ``poll_spurious_irqs`` runs the handlers of a shared irq it disabled.
* Level irqs are not resent: ``check_irq_resend`` clears IRQS_PENDING and returns for them (the
  hardware resends while the line is asserted).
* Moves (no IRQ_MOVE_PCNTXT without remapping): ``irq_set_affinity`` leaves a pending move that the
  next interrupt's ``ioapic_ack_level`` applies -- irq_complete_move, the entry masked by the chip,
  the local APIC EOI (broadcast for a vector whose TMR bit is set), ``eoi_ioapic_pin`` for one whose
  TMR bit is clear, ``irq_move_masked_irq`` once ``io_apic_level_ack_pending`` finds Remote IRR clear,
  the unmask (df4393424af3: only if the core has not masked the irq). CPU offline moves the irq at
  once (migrate_one_irq) and fixup_irqs forwards an interrupt in flight as an IPI (an edge).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, apic, device, ioapic
from msidbg.model import build as _build
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import CMD_INTX_DISABLE, MSIX_ENABLE, PCI_COMMAND, words_highest, words_test
from msidbg.model.kernel import irq as I
from msidbg.model.kernel import move as _move
from msidbg.model.kernel import pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.move import assign_vector
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import irq_dirty
from msidbg.sim.events import INT, STR, kind
from msidbg.sim.program import new_frame, program

#: the model's chip key for an IO-APIC pin in level mode (/proc/interrupts: "IO-APIC 16-fasteoi")
IOAPIC_LEVEL = "IO-APIC-fasteoi"
#: note_interrupt's window and threshold (kernel/irq/spurious.c)
IRQ_COUNT_WINDOW = 100_000
UNHANDLED_LIMIT = 99_900
#: HZ/10 in jiffies at the Kconfig default HZ=250 (the cost ``jiffy`` is one): last_unhandled's
#: "odd spurious IRQ" window and POLL_SPURIOUS_IRQ_INTERVAL
HZ_10 = 25

INTX_ASSERT = kind("intx.assert", ("gsi", INT), ("pending", INT), ("asserted", INT),
                   doc="a function signals while neither MSI nor MSI-X is enabled: its INTx interrupt condition "
                   "(pending: the signals it stands for; asserted: INTx# driven, i.e. Interrupt Disable clear)")
IRQ_NONE_KIND = kind("irq.none", ("irq", INT), ("index", INT), ("status", INT),
                     doc="a shared INTx handler found its device's Interrupt Status clear: IRQ_NONE")
NOBODY_CARED = kind("irq.nobody_cared", ("irq", INT), ("unhandled", INT), ("window", INT),
                    doc="note_interrupt: 99,900 of the last 100,000 interrupts unhandled -- \"irq N: nobody cared\", "
                    "\"Disabling IRQ #N\" (IRQS_SPURIOUS_DISABLED, depth++, irq_disable)")
SPURIOUS_POLL = kind("irq.poll", ("irq", INT), ("handled", INT), ("how", STR),
                     doc="poll_spurious_irqs (every HZ/10): try_one_irq on a shared irq the spurious detector "
                     "disabled")
device.INTX_KINDS[:] = [INTX_ASSERT]


def actions(desc: Any) -> list[list[Any]]:
    """The irq's actions as ``[dev, index]`` (a shared level irq keeps them all; another irq its one)."""
    acts = desc.get("actions")
    if acts is not None:
        return list(acts)
    if desc.action is None or desc.dev is None:
        return []
    return [[desc.dev, desc.index]]


def has_action_of(desc: Any, dev: str, index: int) -> bool:
    """Does ``dev``'s vector ``index`` have its action on this irq (free_irq would find it)?"""
    if desc.get("actions") is not None:
        return [dev, index] in desc["actions"]
    return desc.action is not None


# --- the world at boot ------------------------------------------------------------------------------
def _build_intx(scn: Any, w: Any) -> None:
    """Build hook: the IO-APIC entries of the GSIs some device's INTx# is routed to, and their irqs
    (irq = GSI), allocated with a reservation as mp_map_gsi_to_irq -> mp_irqdomain_alloc does when
    acpi_pci_irq_enable maps the pin (pci_enable_device; the model has them from boot: nothing reads
    them before)."""
    from msidbg.model.kernel.msi import new_desc

    gsis = [d.intx.gsi for d in scn.devices.values() if getattr(d, "intx", None) is not None]
    if not gsis or scn.platform.kind == "xen-pv":
        return      # (a PV guest has no IO-APIC: its pcifront irqs are Xen pirqs, model/xen_intx.py)
    w["ioapic"] = ioapic.new_pins(gsis)
    if w.platform["route"] == "remapped":
        # IR-IO-APIC: intel_irq_remapping_alloc gives each pin one IRTE (X86_IRQ_ALLOC_TYPE_IOAPIC), its
        # index kept in the IR-format entry; iommu.build keeps this table
        from msidbg.model import iommu

        if not w.get("iommu"):
            w["iommu"] = {"irte": {}}
        for pin in w["ioapic"].values():
            pin["irte"] = iommu.alloc(w, "IO-APIC", 1)
    for gsi in sorted(set(gsis)):
        desc = new_desc(w, gsi, None, -1, IOAPIC_LEVEL)
        vec.reserve(w, desc)
        desc["actions"] = []
        w.irqs[gsi] = desc


if _build_intx not in _build.PLATFORM_BUILDERS:
    _build.PLATFORM_BUILDERS.append(_build_intx)


# --- the chip --------------------------------------------------------------------------------------
def _pin(k: Any, desc: Any) -> dict[str, Any]:
    return k.w["ioapic"][desc.irq]


def ioapic_level_mask(k: Any, desc: Any, masked: bool) -> None:
    """mask_ioapic_irq / unmask_ioapic_irq: the entry's mask bit (io_apic_modify); an unmask of an
    asserted line with Remote IRR clear sends at once."""
    pin = _pin(k, desc)
    pin["masked"] = masked
    k.ev(ioapic.IOAPIC_RTE, None, desc.irq, pin["vector"], k.s("masked" if masked else "unmasked"))
    _record_mask(k, desc.irq, masked, "mask_ioapic_irq" if masked else "unmask_ioapic_irq")
    if not masked:
        ioapic.update(k.eng, desc.irq)


def ioapic_irq_get_chip_state(k: Any, desc: Any) -> int:
    """dfe0cf8b51b0's ioapic_irq_get_chip_state(IRQCHIP_STATE_ACTIVE): the entry's Remote IRR (a level
    entry: every pin of this chip is one) -- the CPU the interrupt in flight was sent to when set (``sent``:
    the entry's destination before a move rewrote it, else its destination; an IR-format entry's message went
    where its IRTE named at the send, ioapic._send_remapped's ``sent``), else -1."""
    pin = _pin(k, desc)
    return -1 if not pin["remote_irr"] else int(pin["sent"][0]) if "sent" in pin else int(pin["cpu"])


def _record_mask(k: Any, gsi: int, masked: bool, what: str) -> None:
    """Provenance: the kernel wrote IO-APIC entry ``gsi``'s mask bit (``ioapic[N].masked``), in the step's
    context (its stack names the caller: mask_irq, the move, note_interrupt's disable); dependencies the
    caller added (IRQS_PENDING for handle_fasteoi_irq's mask_irq) attach to it."""
    P = k.eng.prov
    if P.on and k.eng.fresh:
        P.write(PC.IOAPIC_MASK, PK.key(PK.IOAPICMASK, gsi), int(masked),
                note=f"{what}: IO-APIC entry {gsi} {'masked' if masked else 'unmasked'}")


I.CHIP_MASK[IOAPIC_LEVEL] = ioapic_level_mask
I.CHIP_ACTIVE[IOAPIC_LEVEL] = ioapic_irq_get_chip_state
I.CHIP_SET_AFFINITY[IOAPIC_LEVEL] = "ioapic_set_affinity"
I.CHIP_WRITE_MSG[IOAPIC_LEVEL] = "ioapic_configure_entry"
I.CHIP_CLEAR_MSG[IOAPIC_LEVEL] = "ioapic_mask_entry"
I.SHARED_REQUEST[IOAPIC_LEVEL] = "intx_add_shared_action"
I.SHARED_FREE[IOAPIC_LEVEL] = lambda k, desc, dev, index: remove_shared(k, desc, dev, index)
I.NO_RESEND.add(IOAPIC_LEVEL)

configure_entry = program("ioapic_configure_entry", "mp_irqdomain_activate -> ioapic_configure_entry: the entry's "
                          "vector and destination", source=S.IOAPIC_LEVEL_CHIP)


@configure_entry.step
def write_rte(k: Any, loc: dict[str, Any]) -> None:
    """ioapic_setup_msg_from_msi: the vector domain's vector and destination go into the entry, written
    whole from the chip's cached copy (mpd->entry): its mask bit as the last mask_ioapic_irq /
    unmask_ioapic_irq left it (a new entry stays masked until startup; a move from ioapic_ack_level
    or migrate_one_irq writes it masked). Remote IRR is read-only: a level interrupt in flight keeps
    it set across the rewrite."""
    desc = k.w.irqs[loc["irq"]]
    pin = _pin(k, desc)
    if "irte" in pin:
        # ioapic_ir_chip: the entry is IR format -- the IRTE index, and as its vector the pin number ('IO-APIC
        # RTE will be configured with virtual vector. irq handler will do the explicit EOI to the io-apic.');
        # vector and destination live in the IRTE (intel_irq_remapping_activate wrote it first)
        pin["vector"] = desc.irq
        k.ev(ioapic.IOAPIC_RTE, None, desc.irq, desc.irq,
             k.s(f"IR format: IRTE {pin['irte']}, vector field = pin {desc.irq}"))
        return
    if pin["remote_irr"] and "sent" not in pin and (pin["vector"], pin["cpu"]) != (desc.vector, desc.cpu):
        # the level interrupt in flight was sent as the old vector to the old CPU: Remote IRR is kept across the
        # rewrite, and what reads it (synchronize_irq's note, ioapic_mask_entry's record) names where it went
        pin["sent"] = [pin["cpu"], pin["vector"]]
    pin["vector"], pin["cpu"] = desc.vector, desc.cpu
    k.ev(ioapic.IOAPIC_RTE, None, desc.irq, desc.vector, k.s(f"vector {desc.vector:#x} -> CPU{desc.cpu}"))


mask_entry = program("ioapic_mask_entry", "mp_irqdomain_deactivate -> ioapic_mask_entry", source=S.IOAPIC_LEVEL_CHIP)


@mask_entry.step
def clear_rte(k: Any, loc: dict[str, Any]) -> None:
    """'It is enough to mark it as masked': the entry is written with only its mask bit."""
    desc = k.w.irqs[loc["irq"]]
    pin = _pin(k, desc)
    old_vector = pin["vector"]
    if pin["remote_irr"] and "sent" not in pin and old_vector and "irte" not in pin:
        pin["sent"] = [pin["cpu"], old_vector]     # (write_rte's record: the interrupt in flight, for a reactivation)
    pin["vector"], pin["masked"] = 0, True
    k.ev(ioapic.IOAPIC_RTE, None, desc.irq, 0, k.s("masked (deactivated)"))
    _record_mask(k, desc.irq, True, "ioapic_mask_entry")
    P = k.eng.prov
    if pin["remote_irr"] and "irte" not in pin and P.on and k.eng.fresh:
        # provenance: a level interrupt is in flight (Remote IRR set, not EOId): its EOI will name a vector the
        # entry no longer holds, so Remote IRR stays set and the line never sends again (free_irq before
        # 62e0468650c3 deactivates without waiting for it) -- what a condition held on this line links
        if "sent" in pin:   # moved while in flight: the interrupt went to the entry's earlier destination
            cpu, old_vector = (int(x) for x in pin["sent"])
        else:
            cpu = int(pin["cpu"])
        bit = PK.cpu_vec(cpu, old_vector)
        c = k.w.cpus[cpu]
        where = "IRR" if words_test(c.irr, old_vector) else "ISR" if words_test(c.isr, old_vector) else ""
        if where:
            P.dep(PC.D_IN_FLIGHT, PK.key(PK.IRR if where == "IRR" else PK.ISR, bit))
        P.write(PC.IOAPIC_RIRR, PK.key(PK.IOAPICRIRR, desc.irq), 1,
                note=f"ioapic_mask_entry: IO-APIC entry {desc.irq} deactivated (vector 0) with Remote IRR set: the "
                f"level interrupt sent to CPU{cpu} as vector {old_vector:#x}"
                + (f" (in its {where})" if where else "") + " is not EOId yet, and its EOI will match no entry")


set_affinity = program("ioapic_set_affinity", "ioapic_set_affinity: the vector domain, then the entry",
                       source=(S.IOAPIC_LEVEL_CHIP, S.IOAPIC_MOVE, S.VECTOR))


@set_affinity.step
def parent_affinity(k: Any, loc: dict[str, Any]) -> None:
    """parent->chip->irq_set_affinity (apic_set_affinity). Reached from the startup's
    irq_setup_affinity, from irq_move_masked_irq (ioapic_ack_level: a move deferred to the next
    interrupt -- the chip has no IRQ_MOVE_PCNTXT without remapping) and from migrate_one_irq (CPU
    offline, the entry masked around it)."""
    _apic_set_affinity(k, loc)


@set_affinity.step
def rewrite_rte(k: Any, loc: dict[str, Any]) -> None:
    """``if (ret >= 0 && ret != IRQ_SET_MASK_OK_DONE) ioapic_configure_entry(irq_data)``."""
    k.call("ioapic_configure_entry", irq=loc["irq"])


isa_set_affinity = program("ioapic_isa_set_affinity", "ioapic_set_affinity of an ISA irq: the vector domain, "
                           "then the entry", source=S.ISA_MIGRATE)


@isa_set_affinity.step
def isa_parent_affinity(k: Any, loc: dict[str, Any]) -> None:
    """ioapic_chip's ioapic_set_affinity for an ISA irq (build.legacy_irqs: the timer, irq 0, and before 4.15
    the other ISA irqs): irq_chip_set_affinity_parent -> apic_set_affinity moves its vector within the mask
    as it moves a device irq's; ioapic_configure_entry then rewrites the pin's routing entry, which the model
    does not keep for the ISA pins (as ``irq.ioapic_mask``: no event)."""
    if _apic_set_affinity(k, loc):
        k.ret(0)


I.CHIP_SET_AFFINITY["IO-APIC"] = "ioapic_isa_set_affinity"


# --- pci_intx ----------------------------------------------------------------------------------------
intx_prog = program("pci_intx", "drivers/pci/pci.c pci_intx: Command.Interrupt Disable, written if it changes",
                    source=S.PCI_INTX)


@intx_prog.step
def write_cmd(k: Any, loc: dict[str, Any]) -> None:
    cur = pci.cmd_read(k, loc["dev"])
    new = cur & ~CMD_INTX_DISABLE if loc["enable"] else cur | CMD_INTX_DISABLE
    if new != cur:
        pci.cfg_write(k, loc["dev"], PCI_COMMAND, new, 2)


for_msi = program("pci_intx_for_msi", "pci_intx_for_msi: pci_intx unless PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG",
                  source=S.INTX_FOR_MSI)


@for_msi.step
def maybe_intx(k: Any, loc: dict[str, Any]) -> None:
    """pci_intx(dev, enable) for every function: neither pci_intx_for_msi nor pci_intx looks at the pin
    (dev->irq, Interrupt Pin) -- 4.13.9, 5.15.24, 6.12.19 (reading kernel.intx.for-msi; intx36: the model
    made the write only for a function with ``intx:``). PCI_DEV_FLAGS_MSI_INTX_DISABLE_BUG (quirks.c's
    quirk_msi_intx_disable_bug: Broadcom tg3 parts, ATI SB700/800 ...; alx's driver_data) skips it; no
    modelled device carries that flag. On a Xen HVM guest the read and write trap to QEMU xen-pt (its
    emulated Command keeps the bit; xen_pt_cmd_reg_write passes a set bit through, a clear one only with
    s->machine_irq), on a PV guest they go through pcifront to pciback's command_read / command_write (the
    bit is pciback's cmd->val, which reaches the device only with allow_interrupt_control)."""
    k.call("pci_intx", dev=loc["dev"], enable=loc["enable"])


def has_pin(k: Any, dev: str) -> bool:
    """``dev->irq`` is set: the function has an INTx# pin the platform routed (``intx:``)."""
    return k.w.devices[dev].get("intx") is not None


legacy = program("pci_alloc_irq_vectors_intx", "pci_alloc_irq_vectors_affinity's PCI_IRQ_INTX fallback",
                 source=S.ALLOC_INTX)


@legacy.step
def intx_on(k: Any, loc: dict[str, Any]) -> None:
    """``if (min_vecs == 1 && dev->irq) { ...; pci_intx(dev, 1); return 1; }`` -- else the MSI errors."""
    if loc["min"] != 1 or not has_pin(k, loc["dev"]):
        k.ret(loc["err"])
        return
    k.call("pci_intx", dev=loc["dev"], enable=1)


@legacy.step
def intx_vector(k: Any, loc: dict[str, Any]) -> None:
    """Vector 0 is dev->irq (pci_irq_vector with neither MSI nor MSI-X enabled). The fallback does
    not look at MSI: a driver asking again while its earlier MSI or MSI-X setup is still enabled (the
    MSI-X and MSI tries refused it: 'if (WARN_ON_ONCE(dev->msix_enabled)) return -EINVAL') gets 1 all
    the same, and pci_irq_vector(dev, 0) is then that setup's first irq (msi_get_virq; the 4.x loop
    over the MSI descriptors), not dev->irq (drivers/pci/msi/api.c pci_alloc_irq_vectors_affinity and
    pci_irq_vector, v6.6; drivers/pci/msi.c, v4.19)."""
    from msidbg.model.kernel.msi import new_pdesc

    p = pci.pdev(k, loc["dev"])
    if p["msix_enabled"] or p["msi_enabled"]:
        k.note("INTx fallback with MSI/MSI-X still enabled: vector 0 stays that setup's first irq", 1, loc["dev"])
        k.ret(1)
        return
    p["mode"] = "intx"
    d = new_pdesc(0, 0, None)
    ix = k.w.devices[loc["dev"]]["intx"]
    d["irq"] = ix.get("irq", ix["gsi"])     # dev->irq: the GSI's irq, a PV guest's pcifront pirq irq
    p["descs"] = [d]
    k.note(f"no MSI-X or MSI: INTx, vector 0 is irq {d['irq']} (GSI {ix['gsi']})", 1, loc["dev"])
    k.ret(1)


# --- request_irq / free_irq of a shared INTx irq ------------------------------------------------------
shared_request = program("intx_add_shared_action", "__setup_irq on an irq with an action: IRQF_SHARED on both",
                         source=S.SETUP_SHARED)


@shared_request.step
def add_action(k: Any, loc: dict[str, Any]) -> None:
    """The action joins the list; no activation, no startup. 'Reset broken irq detection when
    installing new handler' and, for an irq the spurious detector disabled, __enable_irq."""
    desc = k.w.irqs[loc["irq"]]
    desc["actions"] = actions(desc) + [[loc["dev"], loc["index"]]]
    desc["irq_count"] = desc["irqs_unhandled"] = 0
    k.ev(K.IRQ_REQUEST, loc["dev"], desc.irq, loc["index"])
    k.eng.prov.write(PC.IRQ_ACTION, PK.key(PK.IRQACT, desc.irq), 1, note="request_irq added a shared action")
    if desc.get("spurious_disabled"):
        desc["spurious_disabled"] = False
        k.call("__enable_irq", irq=desc.irq)


@shared_request.step
def shared_added(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


enable_irq_core = program("__enable_irq", "kernel/irq/manage.c __enable_irq: depth--; at 0 irq_startup(IRQ_RESEND)",
                          source=S.ENABLE_IRQ)


@enable_irq_core.step
def depth_down(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    if desc["depth"] > 1:
        desc["depth"] -= 1
        return
    desc["depth"] = 0
    k.eng.prov.dep(PC.D_CAUSE, PK.key(PK.IRQACT, desc.irq))
    k.eng.prov.write(PC.KERNEL, PK.key(PK.IRQDIS, desc.irq), 0,
                     note=f"__setup_irq: a new action on irq {desc.irq}, which the spurious detector disabled: "
                     "__enable_irq, depth 0, irq_startup enables it")
    k.call("irq_startup", irq=desc.irq, reactivate=False)


def remove_shared(k: Any, desc: Any, dev: str, index: int) -> int:
    """__free_irq on a shared irq: the device's action leaves the list. Returns the actions left
    (0: the last one -- the caller shuts the irq down), or -1 when the device has none here."""
    acts = actions(desc)
    if [dev, index] not in acts:
        return -1
    acts.remove([dev, index])
    desc["actions"] = acts
    if acts:
        desc.action = f"{acts[0][0]}-{acts[0][1]}"
    return len(acts)


# --- handle_fasteoi_irq -------------------------------------------------------------------------------
fasteoi = program("handle_fasteoi_irq", "kernel/irq/chip.c: the flow handler of level IO-APIC irqs",
                  source=(S.FASTEOI, S.IOAPIC_ACK_LEVEL, S.IOAPIC_MOVE, S.IOAPIC_MOVE_MASKED, *S.NOTE_INTERRUPT, S.MISROUTED[1]))


@fasteoi.step
def lock(k: Any, loc: dict[str, Any]) -> None:
    """raw_spin_lock(&desc->lock); irq_may_run (in progress elsewhere: out); disabled or no action:
    IRQS_PENDING, mask_irq, out -- else the actions."""
    from msidbg.model.kernel.disable import IRQ_PENDING
    from msidbg.model.kernel.entry import in_action, spin_on_lock

    desc = k.w.irqs[loc["irq"]]
    me = k.cpu_id
    if spin_on_lock(k, desc, me):
        return
    pc = desc.get("poll", -1)
    if pc >= 0 and pc != me:
        # irq_may_run: IRQD_IRQ_INPROGRESS set by the poll's handle_irq_event -> irq_check_poll:
        # IRQS_POLL_INPROGRESS -> irq_wait_for_poll: desc->lock dropped, spin until the poll is done
        k.spin(f"irq_wait_for_poll: irq {desc.irq} is polled on CPU{pc} (IRQS_POLL_INPROGRESS)", pc, desc.dev)
        loc["polled"] = pc
        return
    if "polled" in loc:
        pc = loc.pop("polled")
        if desc.disabled or desc.action is None:
            # '/* Might have been disabled in meantime */ return !irqd_irq_disabled(..) && desc->action'
            k.note(f"irq_wait_for_poll: the poll on CPU{pc} is done, irq {desc.irq} is "
                   f"{'disabled' if desc.disabled else 'without action'}: out (EOI)", pc, desc.dev)
            desc.lock = me      # (irq_wait_for_poll took desc->lock back: held to the EOI's unlock)
            k.goto("eoi")
            return
    else:
        ip = in_action(k.w, desc, me)
        if ip >= 0:
            k.note(f"irq_may_run: irq {desc.irq} in progress on CPU{ip}: out (EOI)", ip, desc.dev)
            # 'goto out': chip->irq_eoi and raw_spin_unlock under the lock taken above -- no other locker
            # comes between (locks26: the model dropped it here, and a free_irq or the CPU in the action
            # took it before this EOI)
            desc.lock = me
            k.goto("eoi")
            return
    desc.lock = me
    desc["replay"] = -1
    if desc.action is None or desc.disabled:
        desc["pending"] = True
        why = "no action" if desc.action is None else "disabled"
        P = k.eng.prov
        if desc.action is None:
            P.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, desc.irq))
        else:
            P.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, desc.irq))
        P.write(PC.KERNEL, PK.key(PK.IRQPEND, desc.irq), 1,
                note=f"handle_fasteoi_irq: irq {desc.irq} {why}: IRQS_PENDING, mask_irq (the level line "
                "interrupts again when unmasked)")
        k.ev(IRQ_PENDING, desc.dev, desc.irq, 0, k.s(why))
        loc["mask"] = True
        return
    loc["ai"], loc["handled"] = 0, 0
    desc.count += 1
    if "stray" in loc:      # the message msi_set_affinity retriggered from here: its actions run for it
        from msidbg.model.kernel.entry import stray_spurious
        dev, index = actions(desc)[0]
        stray_spurious(k, loc.pop("stray"), loc["vector"], dev, index, None)    # (a level message: no src)
    k.goto("action")


@fasteoi.step
def mask_out(k: Any, loc: dict[str, Any]) -> None:
    """... mask_irq(desc); goto out (a visible write unless already masked)."""
    desc = k.w.irqs[loc["irq"]]
    if not desc.masked:
        desc.masked = True
        # provenance: the IRQS_PENDING just set (disabled, or no action) is why (ioapic_level_mask records the
        # entry's mask; a PV pirq irq's disable_dynirq is recorded here)
        k.eng.prov.dep(PC.D_CAUSE, PK.key(PK.IRQPEND, desc.irq))
        I.CHIP_MASK[desc.chip](k, desc, True)   # ioapic_level_mask; a PV pirq irq's disable_dynirq
        if desc.chip != IOAPIC_LEVEL:
            k.eng.prov.write(PC.IOAPIC_MASK, PK.key(PK.IRQPEND, desc.irq), 1,
                             note=f"handle_fasteoi_irq: mask_irq: irq {desc.irq}'s event channel masked (disable_dynirq)")
    k.goto("eoi")


@fasteoi.step
def action(k: Any, loc: dict[str, Any]) -> None:
    """handle_irq_event: IRQD_IRQ_INPROGRESS, desc->lock dropped; one action per step (its handler)."""
    desc = k.w.irqs[loc["irq"]]
    acts = actions(desc)
    i = loc["ai"]
    if i >= len(acts):
        k.goto("note")
        return
    loc["ai"] = i + 1
    k.cpu.handling = desc.irq
    desc.inprogress = k.cpu_id
    loc["inprog"] = desc.irq    # (IRQD_IRQ_INPROGRESS to the EOI step's relock: ``entry.in_action``)
    desc.lock = -1
    dev, index = acts[i]
    loc["handled"] |= run_handler(k, desc, dev, index)
    k.again()


def run_handler(k: Any, desc: Any, dev: str, index: int, polled: bool = False) -> int:
    """A PCI INTx driver's handler: read the device's interrupt status; set -> clear the cause (the
    condition, so INTx# deasserts) and IRQ_HANDLED (1), with the signals it stood for delivered;
    clear -> IRQ_NONE (0). Emits the step's event."""
    d = k.w.devices[dev]
    ix = d.get("intx")
    n = ix["cond"] if ix is not None else 0
    if not n:
        if polled:
            _none_polled(k, desc, dev)
        k.ev(IRQ_NONE_KIND, dev, desc.irq, index, 0, cost="handler")
        return 0
    ix["cond"] = 0
    a = k.w.acct[dev]
    a["delivered"][0] += n
    a["handled"][0] += 1
    P = k.eng.prov
    if P.on and k.eng.fresh:
        de = PK.dev_entry(P.dev(dev), 0)
        P.dep(PC.D_CAUSE, PK.key(PK.HELD, de))
        if P.spun:      # (why27: the spin on desc->lock this interrupt's flow handler made, as a branch)
            from msidbg.model.kernel.entry import spun_branch
            spun_branch(k, P, desc, PK.key(PK.HELD, de))
        P.write(PC.INTX_ACK, PK.key(PK.HELD, de), 0, also=(PK.key(PK.DELIV, de),),
                note=f"{dev}'s handler found Interrupt Status set and cleared the cause: {n} signal(s) delivered")
    if k.w.kernel["waiters"]:
        k.eng.model.wake_waiters(k.eng, dev, 0)
    k.ev(K.IRQ_HANDLER, dev, desc.irq, 0, n, cost="handler")
    return 1


def _none_polled(k: Any, desc: Any, dev: str) -> None:
    """Provenance of an IRQ_NONE that poll_spurious_irqs got (try_one_irq runs every action of the disabled
    irq): a (non-writing) node linked to the condition of each function asserting the line now -- what
    the poll could not service through this handler. In an interrupt, the handler's interrupt explains
    it (the accept, the IRR bit the level entry set, the conditions driving the line then): nothing is
    recorded there (a record per unhandled interrupt would tax the nobody-cared storm)."""
    P = k.eng.prov
    if not (P.on and k.eng.fresh):
        return
    others = [n for n in ioapic.drivers(k.w, desc.irq) if n != dev]
    for name in others:
        P.dep(PC.D_LINE, PK.key(PK.HELD, PK.dev_entry(P.dev(name), 0)))
    line = (f"; INTx# on GSI {desc.irq} is asserted by {', '.join(others)}" if others else
            f"; no function drives INTx# on GSI {desc.irq} now")
    P.write(PC.INTX_NONE, PK.key(PK.HELD, PK.dev_entry(P.dev(dev), 0)), 0,
            note=f"{dev}'s handler found its Interrupt Status clear: IRQ_NONE{line}")


@fasteoi.step
def note(k: Any, loc: dict[str, Any]) -> None:
    """note_interrupt(desc, retval) (unless noirqdebug); a visible step only when it disables the irq.
    Under ``irqfixup`` / ``irqpoll`` an unhandled interrupt first runs misrouted_irq (try_misrouted_irq)."""
    desc = k.w.irqs[loc["irq"]]
    handled = bool(loc["handled"])
    count_unhandled(k, desc, handled)
    if not handled and sw(k, "irqfixup") != "none":
        k.call_then("note_misrouted", "misrouted_irq", irq=desc.irq)
        return
    note_window(k, desc)
    k.goto("eoi")


@fasteoi.step
def note_misrouted(k: Any, loc: dict[str, Any]) -> None:
    """``int ok = misrouted_irq(irq); if (action_ret == IRQ_NONE) desc->irqs_unhandled -= ok;`` -- then the
    window as without the option."""
    desc = k.w.irqs[loc["irq"]]
    ok = int(loc.pop("ret", 0) or 0)
    if ok:
        desc["irqs_unhandled"] = desc.get("irqs_unhandled", 0) - ok
    note_window(k, desc)


def note_interrupt(k: Any, desc: Any, handled: bool) -> None:
    """kernel/irq/spurious.c note_interrupt without misrouted_irq: :func:`count_unhandled`, then
    :func:`note_window`."""
    count_unhandled(k, desc, handled)
    note_window(k, desc)


def count_unhandled(k: Any, desc: Any, handled: bool) -> None:
    """note_interrupt's first half: irqs_unhandled restarts at 1 after HZ/10 without an unhandled one."""
    jiffies = k.w.now // max(k.w.costs["jiffy"], 1)
    unhandled = desc.get("irqs_unhandled", 0)
    if not handled:
        unhandled = 1 if jiffies > desc.get("last_unhandled", 0) + HZ_10 else unhandled + 1
        desc["last_unhandled"] = jiffies
    desc["irqs_unhandled"] = unhandled


def note_window(k: Any, desc: Any) -> None:
    """note_interrupt's window (after misrouted_irq): from 7c07012eb1be ("genirq: Reduce irqdebug
    cacheline bouncing", 5.13; ``note_interrupt_counts``: unhandled) irq_count only counts once an
    interrupt went unhandled, before it (every) every interrupt counted; every 100,000 counted, more
    than 99,900 unhandled disables the irq."""
    unhandled = desc.get("irqs_unhandled", 0)
    if not unhandled and sw(k, "note_interrupt_counts") == "unhandled":
        return
    count = desc.get("irq_count", 0) + 1
    if count < IRQ_COUNT_WINDOW:
        desc["irq_count"] = count
        return
    desc["irq_count"] = 0
    desc["irqs_unhandled"] = 0
    if unhandled <= UNHANDLED_LIMIT:
        return
    desc["spurious_disabled"] = True
    desc["depth"] += 1
    if not desc.disabled:
        desc.disabled = True     # irq_disable: lazy (the IO-APIC chip has no irq_disable)
        now = CHIP_DISABLE_NOW.get(desc.chip)
        if now is not None:      # a chip with irq_disable: __irq_disable calls it at once (xen_pirq_chip's
            now(k, desc)         # disable_pirq masks the port; part of this step, no event of its own)
            desc.masked = True
    P = k.eng.prov
    r = P.write(PC.KERNEL, PK.key(PK.IRQDIS, desc.irq), 1,
                note=f"note_interrupt: irq {desc.irq}: nobody cared ({unhandled} of {IRQ_COUNT_WINDOW} unhandled); "
                f"Disabling IRQ #{desc.irq}")
    if r >= 0:
        P.spur_off[desc.irq] = r
    k.ev(NOBODY_CARED, desc.dev, desc.irq, unhandled, IRQ_COUNT_WINDOW)
    P.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, desc.irq))     # (the arm's record: for the irq it just disabled)
    arm_poll(k.eng, k.cpu_id)


@fasteoi.step
def eoi(k: Any, loc: dict[str, Any]) -> None:
    """cond_unmask_eoi_irq / out: chip->irq_eoi = ioapic_ack_level, still under desc->lock. First
    irq_complete_move: the first interrupt on a moved irq's new vector and CPU sends the old CPU its
    cleanup (the IPI before 6.6, the timer from bdc1dad299bb), as apic_ack_edge does for MSI.
    After the actions handle_irq_event takes desc->lock again (raw_spin_lock): while another CPU's
    irq_set_affinity holds it across its chip call, or while another locker queued for it first (a task's
    free_irq / disable_irq, another flow handler: ``entry.lock_word_clear``), this CPU spins here before its EOI. Another
    chip's irq_eoi (``CHIP_EOI``: a PV guest's pcifront pirq irq, eoi_pirq) instead of the IO-APIC's."""
    desc = k.w.irqs[loc["irq"]]
    me = k.cpu_id
    if desc.lock != me:
        from msidbg.model.kernel.entry import lock_word_clear, spin_on_lock
        if not lock_word_clear(desc) and spin_on_lock(k, desc, me):
            return      # held elsewhere, or another locker queued for it first: its turn before this CPU's
        desc.lock = me
    # handle_irq_event's 'raw_spin_lock(&desc->lock); irqd_clear(.., IRQD_IRQ_INPROGRESS)': the flag set for the
    # actions stays set through note_interrupt and this wait, until the lock is this CPU's again (locks28)
    loc.pop("inprog", None)
    chip_eoi = CHIP_EOI.get(desc.chip)
    if chip_eoi is not None:
        chip_eoi(k, loc, desc)
        return
    pin = _pin(k, desc)
    if "irte" in pin:
        # ioapic_ir_chip's irq_eoi = ioapic_ir_ack_level: apic_ack_irq (irq_move_irq, then the local APIC
        # EOI) and eoi_ioapic_pin with the entry's vector -- the pin number. No irq_complete_move: the
        # remapped move sent the old vector's cleanup itself (intel_ir_set_affinity)
        if desc.move_pending:
            k.call_then("ir_ack", "irq_move_irq", irq=desc.irq)
        else:
            _ir_ack(k, loc, desc, pin)
        return
    if desc.move_in_progress:
        from msidbg.model.kernel.entry import send_cleanup

        send_cleanup(k, desc, loc["vector"], k.cpu_id)
    elif not desc.move_pending:     # the common case: nothing moves -- the EOI in this step
        loc["moveit"] = False
        _apic_ack(k, loc, desc)
        if not loc["level"]:
            k.goto("pin_eoi")


@fasteoi.step
def prepare_move(k: Any, loc: dict[str, Any]) -> None:
    """ioapic_prepare_move (ioapic_irqd_mask before 2579a4eefc04): a pending move
    (IRQD_SETAFFINITY_PENDING) masks the entry with mask_ioapic_irq -- the chip, not mask_irq: the
    core's masked state is left as it is. From df4393424af3 (``ioapic_move_keeps_masked``, 5.5) only
    when the core has not masked it; before, always (an entry already masked is written again)."""
    desc = k.w.irqs[loc["irq"]]
    loc["moveit"] = moveit = bool(desc.move_pending)
    if moveit and (not desc.masked or not sw(k, "ioapic_move_keeps_masked")):
        k.eng.prov.dep(PC.D_CAUSE, PK.key(PK.MOVEPEND, desc.irq))
        _chip_mask(k, desc, True, "masked (a move is pending)")


@fasteoi.step
def apic_ack(k: Any, loc: dict[str, Any]) -> None:
    """The TMR bit of cfg->vector (the irq's current vector) is read, then the local APIC EOI, which
    the local APIC broadcasts to the IO-APIC when the EOId vector's TMR bit is set (a level delivery);
    with cfg->vector's TMR bit clear -- the interrupt came as an edge (fixup_irqs' retrigger IPI, the
    82093AA erratum) -- eoi_ioapic_pin(cfg->vector): the IO-APIC's EOI register. Either EOI clears
    Remote IRR of the entry with that vector; a line still asserted on an unmasked entry sends again."""
    _apic_ack(k, loc, k.w.irqs[loc["irq"]])


def _apic_ack(k: Any, loc: dict[str, Any], desc: Any) -> None:
    c, v = k.cpu, loc["vector"]
    broadcast = ioapic.tmr(c, v)
    loc["level"] = broadcast if desc.vector == v else ioapic.tmr(c, desc.vector)
    apic.eoi(c)
    k.ev(K.APIC_EOI, None, v, cost="eoi")
    if broadcast:
        ioapic.eoi(k.eng, v)
    if loc["level"] and not loc["moveit"]:
        _done(k, desc)


@fasteoi.step
def pin_eoi(k: Any, loc: dict[str, Any]) -> None:
    """``if (!(v & (1 << (i & 0x1f)))) { atomic_inc(&irq_mis_count); eoi_ioapic_pin(cfg->vector, data); }``"""
    if loc["level"]:
        return
    desc = k.w.irqs[loc["irq"]]
    k.note(f"ioapic_ack_level: vector {desc.vector:#x}'s TMR bit clear on CPU{k.cpu_id} (an edge delivery): "
           f"eoi_ioapic_pin (irq_mis_count)", desc.irq, desc.dev)
    ioapic.eoi(k.eng, desc.vector)
    if not loc["moveit"]:
        _done(k, desc)


@fasteoi.step
def finish_move(k: Any, loc: dict[str, Any]) -> None:
    """ioapic_finish_move (ioapic_irqd_unmask before 2579a4eefc04): 'Only migrate the irq if the ack
    has been received' -- io_apic_level_ack_pending reads the entry's Remote IRR; clear:
    irq_move_masked_irq (the pending mask to irq_do_set_affinity: ioapic_set_affinity assigns the
    vector and rewrites the entry, still masked). Set: the move stays pending for the next interrupt."""
    desc = k.w.irqs[loc["irq"]]
    if _pin(k, desc)["remote_irr"]:
        k.note(f"io_apic_level_ack_pending: GSI {desc.irq}'s Remote IRR still set: the move waits", desc.irq,
               desc.dev)
        return
    k.call("irq_move_masked_irq", irq=desc.irq)


@fasteoi.step
def unmask_moved(k: Any, loc: dict[str, Any]) -> None:
    """unmask_ioapic_irq -- from df4393424af3 only 'If the IRQ is masked in the core, leave it'; before,
    always: an irq the core masked (disabled, lazily masked by this handler) is unmasked at the chip
    while the core still calls it masked, and mask_irq (which returns on an irq it thinks masked)
    never masks it again. The end of ioapic_ack_level (desc->lock dropped by the flow handler)."""
    desc = k.w.irqs[loc["irq"]]
    if not desc.masked or not sw(k, "ioapic_move_keeps_masked"):
        _chip_mask(k, desc, False, "unmasked (the move is done)")
    else:
        k.note(f"ioapic_finish_move: irq {desc.irq} is masked in the core: its entry stays masked", desc.irq,
               desc.dev)
    _done(k, desc)


@fasteoi.step
def ir_ack(k: Any, loc: dict[str, Any]) -> None:
    """ioapic_ir_ack_level after apic_ack_irq's irq_move_irq (a pending move: the entry masked around the
    chip's intel_ir_set_affinity)."""
    desc = k.w.irqs[loc["irq"]]
    _ir_ack(k, loc, desc, _pin(k, desc))


def _ir_ack(k: Any, loc: dict[str, Any], desc: Any, pin: dict[str, Any]) -> None:
    """The local APIC EOI -- its broadcast (the TMR bit the remapped level delivery set) names the IRTE's
    vector, which no IR-format entry holds -- then eoi_ioapic_pin(data->entry.vector): the IO-APIC's EOI
    register with the pin number, which clears the entry's Remote IRR; desc->lock dropped."""
    c, v = k.cpu, loc["vector"]
    broadcast = ioapic.tmr(c, v)
    apic.eoi(c)
    k.ev(K.APIC_EOI, None, v, cost="eoi")
    if broadcast:
        ioapic.eoi(k.eng, v)
    ioapic.eoi(k.eng, pin["vector"])
    _done(k, desc)


#: irq chip -> its irq_eoi as the first of two steps of handle_fasteoi_irq (k, loc, desc): it emits, then
#: ``_done`` or ``k.goto("chip_eoi_more")``, whose step runs ``CHIP_EOI_MORE`` (model/kernel/xen_events.py)
CHIP_EOI: dict[str, Any] = {}
#: irq chip -> its irq_disable as note_interrupt's irq_disable runs it (k, desc), silently
CHIP_DISABLE_NOW: dict[str, Any] = {}
CHIP_EOI_MORE: dict[str, Any] = {}


def _done(k: Any, desc: Any) -> None:
    """handle_fasteoi_irq's raw_spin_unlock(&desc->lock) after the chip's irq_eoi."""
    if desc.lock == k.cpu_id:
        desc.lock = -1
    k.ret(0)


def _chip_mask(k: Any, desc: Any, masked: bool, what: str) -> None:
    """mask_ioapic_irq / unmask_ioapic_irq called by the chip itself (io_apic_modify_irq): the entry's
    mask bit only, IRQD_IRQ_MASKED untouched."""
    pin = _pin(k, desc)
    pin["masked"] = masked
    k.ev(ioapic.IOAPIC_RTE, desc.dev, desc.irq, pin["vector"], k.s(what))
    _record_mask(k, desc.irq, masked, "mask_ioapic_irq" if masked else "unmask_ioapic_irq")
    if not masked:
        ioapic.update(k.eng, desc.irq)


@fasteoi.step
def chip_eoi_more(k: Any, loc: dict[str, Any]) -> None:
    """The second half of a ``CHIP_EOI`` chip's irq_eoi (a pirq's PHYSDEVOP_eoi), then desc->lock dropped."""
    desc = k.w.irqs[loc["irq"]]
    CHIP_EOI_MORE[desc.chip](k, loc, desc)
    _done(k, desc)


move_masked = program("irq_move_masked_irq", "kernel/irq/migration.c irq_move_masked_irq, from ioapic_finish_move",
                      source=(S.MOVE_IRQ, S.MOVE_REARM, S.IOAPIC_MOVE))


@move_masked.step
def masked_start(k: Any, loc: dict[str, Any]) -> None:
    """IRQD_SETAFFINITY_PENDING cleared; no pending mask: out; a pending mask with an online CPU goes to
    irq_do_set_affinity (no test of IRQD_IRQ_DISABLED here: that is __irq_move_irq's, which
    ioapic_ack_level does not call), one without is dropped. The entry is masked already."""
    desc = k.w.irqs[loc["irq"]]
    if not desc.move_pending:
        k.ret(0)
        return
    desc.move_pending = False
    irq_dirty(k, desc.irq)
    loc["was_masked"] = True
    if not [c for c in desc["pending_mask"] if c in I.online(k)]:
        desc["pending_mask"] = []
        k.note("pending affinity has no online CPU: dropped", 0, desc.dev)
        k.ret(0)
        return
    loc["mask"] = list(desc["pending_mask"])


move_masked.step(_move.do_move)
move_masked.step(_move.unmask_after)


# --- poll_spurious_irqs ---------------------------------------------------------------------------------
def arm_poll(eng: Any, cpu: int) -> None:
    """mod_timer(&poll_spurious_irq_timer, jiffies + POLL_SPURIOUS_IRQ_INTERVAL) on this CPU (a pending
    timer is moved, not doubled)."""
    kern = eng.w.kernel
    old = kern.get("spoll")
    if old is not None:
        eng.unschedule(lambda item: item[2] == "spoll" and item[4] == old[1])
    kern.pop("spoll_wait", None)    # (an expiry that waited for its CPU's interrupts: the timer is moved)
    token = eng.w.seq
    kern["spoll"] = [cpu, token]
    eng.schedule(eng.w.now + HZ_10 * eng.w.costs["jiffy"], "spoll", cpu, token)
    P = eng.prov
    if P.on and eng.fresh:      # provenance: the timer's CPU, in the step that armed it (note_interrupt, the poll)
        P.write(PC.SPOLL_TIMER, PK.key(PK.SPOLL, 0), cpu,
                note=f"mod_timer(&poll_spurious_irq_timer, jiffies + HZ/10): armed on CPU{cpu}")


def on_spoll(eng: Any, item: list[Any]) -> None:
    """Agenda handler: the poll timer expires on its CPU: the timer softirq runs poll_spurious_irqs once
    that CPU is out of hardirq with interrupts on (else a little later)."""
    c = eng.w.cpus[item[3]]
    P = eng.prov
    if P.on and eng.fresh:      # provenance: the timer note_interrupt armed for the irqs it disabled
        off = [n for n in sorted(eng.w.irqs) if eng.w.irqs[n].get("spurious_disabled")]
        for n in off:
            # IRQS_SPURIOUS_DISABLED, which the poll tests, as note_interrupt set it: a later enable_irq (depth 0, the
            # line running again) or disable_irq rewrote irqs[N].disabled but leaves the flag (why30 a01: the expiry
            # linked the enable_irq, "enabled", as what it polls)
            key = PK.key(PK.IRQDIS, n)
            P.dep_writer(PC.D_CAUSE, key, P.spur_off.get(n, P.writer(key)))
        # the timer's last arm or move (whyheld10): what put it on this CPU; the poll's steps link this expiry
        P.dep(PC.D_TIMER, PK.key(PK.SPOLL, 0))
        if off:
            r = P.write(PC.SPOLL, PK.key(PK.IRQDIS, off[0]), 1, ctx=False,
                        note="poll_spurious_irq_timer expired (armed by note_interrupt for irq "
                        + ", ".join(str(n) for n in off) + ")")
        else:
            r = P.write(PC.SPOLL, PK.key(PK.SPOLL, 0), 1, ctx=False,
                        note="poll_spurious_irq_timer expired (no irq is spurious-disabled)")
        P.poll_run[item[3]] = r
    if c.irq.stack or c.proc.irqs_off or not c.online or c.stopped is True:
        proc = c.proc
        if c.online and not c.irq.stack and (c.stopped is True or (proc.stack and not c.stopped and (
                proc.wait is None or "take_cpu_down" in proc.wait))):
            # locks27: a running task with interrupts off (an irqsave section, a desc->lock spin): the local APIC
            # timer's interrupt stays pending until the task turns them back on (local_irq_restore: sti), and the
            # timer softirq runs at that interrupt's irq_exit -- nothing to look at before (``spoll_irqs_on``,
            # called where the task's interrupts come back on). Before, this re-polled every 100 ns, an event each.
            # locks28: so does a CPU in stop_machine's MULTI_STOP_RUN -- multi_cpu_stop spins with interrupts off
            # (MULTI_STOP_DISABLE_IRQ) until MULTI_STOP_EXIT's local_irq_restore (``hotplug._release``), and the
            # requester waits for take_cpu_down in it too. A stopped CPU ran the poll at once (its softirq in the
            # middle of the rendezvous), the requester re-checked every 100 ns
            eng.w.kernel["spoll_wait"] = [item[3], item[4]]
        else:
            eng.schedule(eng.w.now + eng.w.costs["kernel"], "spoll", item[3], item[4])
        eng.emit(SPURIOUS_POLL, c.id, None, -1, 0, eng.s("poll_spurious_irq_timer expired: the softirq waits (CPU in "
                                                       "hardirq or interrupts off)"))
        return
    eng.w.kernel["spoll"] = None
    c.irq.stack.append(new_frame("poll_spurious_irqs", {}))
    eng.entered("poll_spurious_irqs")
    eng.model.wake(eng, c)
    eng.emit(SPURIOUS_POLL, c.id, None, -1, 0, eng.s("poll_spurious_irq_timer expired: poll_spurious_irqs"))


def spoll_irqs_on(eng: Any, cpu: int) -> None:
    """CPU ``cpu``'s task turned interrupts back on: a poll timer expiry that waited for it (``on_spoll``) is
    taken now -- the pending timer interrupt, then the softirq at its irq_exit."""
    wait = eng.w.kernel.get("spoll_wait")
    if wait is not None and wait[0] == cpu:
        del eng.w.kernel["spoll_wait"]
        eng.schedule(eng.w.now, "spoll", cpu, wait[1])


poll = program("poll_spurious_irqs", "kernel/irq/spurious.c: try_one_irq(desc, true) on every spurious-disabled irq",
               source=S.SPURIOUS_POLL)


@poll.step
def poll_next(k: Any, loc: dict[str, Any]) -> None:
    """``if (atomic_inc_return(&irq_poll_active) != 1) goto out;`` (a misrouted_irq on another CPU is
    polling: nothing this time), else for each irq with IRQS_SPURIOUS_DISABLED (in irq order) try_one_irq
    (:func:`_try_one`, force). Then mod_timer(jiffies + HZ/10)."""
    todo = loc.get("todo")
    if todo is None:
        if _poll_busy(k):
            todo = loc["todo"] = []
        else:
            todo = loc["todo"] = [n for n in sorted(k.w.irqs) if k.w.irqs[n].get("spurious_disabled")]
            k.w.kernel["poll_active"] = k.cpu_id
        loc["ai"], loc["ok"] = -1, 0
    if _try_one(k, loc, True):
        return
    if k.w.kernel.get("poll_active") == k.cpu_id:
        k.w.kernel.pop("poll_active")
    # re-armed for ever in the kernel; the model stops once nothing else is on the agenda (no later
    # poll could find a condition no handler has seen: none can arise) -- reading kernel.intx.poll-bound
    # leads23: a CPU's next poll of a spin wait is no such thing -- a spin only reads, and this poll, which
    # handled nothing (no handler returned IRQ_HANDLED: no device was serviced), changed nothing it reads --
    # so a spinner nothing else can end no longer keeps the timer (and the run) going for ever; its next
    # poll then finds the agenda empty and the wait "spins for ever" (Ctx.spin, kernel.spin-forever)
    quiet = not loc["ok"]
    again = any(it[2] != "spoll" and not (quiet and _spin_poll(k.eng, it)) for it in k.eng.agenda.values())
    if again:
        arm_poll(k.eng, k.cpu_id)
    k.ev(SPURIOUS_POLL, None, -1, 0, k.s("mod_timer(jiffies + HZ/10)" if again else
                                         "done (not re-armed: nothing else is scheduled)"))
    k.ret(0)


def _spin_poll(eng: Any, item: list[Any]) -> bool:
    """Is this agenda item a CPU's next poll of a spin wait (its running frame's ``_spin`` mark names the
    item's time: ``Ctx.spin``)?"""
    if item[2] != "cpu":
        return False
    c = eng.w.cpus[item[3]]
    stack = c.irq.stack or c.proc.stack
    if not stack:
        return False
    mark = stack[-1]["locals"].get("_spin")
    return type(mark) is list and len(mark) == 2 and mark[1] == item[0]


def _poll_busy(k: Any) -> bool:
    """irq_poll_active is taken: a poll (poll_spurious_irqs, misrouted_irq) runs on another CPU."""
    return k.w.kernel.get("poll_active", -1) not in (-1, k.cpu_id)


def _try_one(k: Any, loc: dict[str, Any], force: bool) -> bool:
    """try_one_irq(desc, force) over ``loc["todo"]``, one visible step at a time; False once the list is done.
    raw_spin_lock(&desc->lock) first (another CPU holding it -- its flow handler, irq_set_affinity's chip
    call, disable_irq's irqsave section -- makes this CPU spin, interrupts off, until it is released); an
    irq that is disabled (unless ``force``: poll_spurious_irqs), has no action or is not shared (IRQF_SHARED:
    the INTx irqs' actions; an MSI irq's and the timer's are not) is left; one whose action runs on another
    CPU gets IRQS_PENDING ('get the other CPU to go looking for our mystery interrupt too'); else
    IRQS_POLL_INPROGRESS (``irqs[N].poll``: the polling CPU) and handle_irq_event -- IRQS_PENDING cleared,
    every action (the lock dropped around them; note_interrupt returns at once), again while IRQS_PENDING.
    ``loc["ok"]`` becomes 1 when a handler returned IRQ_HANDLED."""
    from msidbg.model.kernel.entry import in_action, spin_on_lock

    todo = loc["todo"]
    held = loc.pop("locked", None)
    if held is not None:    # 'out: raw_spin_unlock(&desc->lock)' after the step that held it
        _try_unlock(k, held)
    while todo:
        desc = k.w.irqs[todo[0]]
        acts = desc.get("actions") or []
        if loc["ai"] < 0:
            if spin_on_lock(k, desc, k.cpu_id):
                return True     # try_one_irq's raw_spin_lock(&desc->lock): held elsewhere (the step runs again)
            # locks27: the lock is this CPU's from here -- the tests below, IRQS_PENDING's 'goto out' and
            # handle_irq_event up to its unlock for the actions run under it (entry.lock_site "try_one_irq")
            desc.lock = k.cpu_id
            if not acts or (desc.disabled and not force):
                todo.pop(0)
                _try_unlock(k, desc.irq)
                continue
            if in_action(k.w, desc, k.cpu_id) >= 0:
                desc["pending"] = True
                todo.pop(0)
                loc["locked"] = desc.irq     # held through this step: 'goto out' unlocks at the next
                k.ev(SPURIOUS_POLL, desc.dev, desc.irq, 0, k.s("in progress on another CPU: IRQS_PENDING"))
                k.again()
                return True
            loc["ai"] = 0
            desc["poll"] = k.cpu_id
            desc["pending"] = False
        if loc["ai"] < len(acts):
            dev, index = acts[loc["ai"]]
            loc["ai"] += 1
            desc.inprogress = k.cpu_id
            loc["inprog"] = desc.irq     # (IRQD_IRQ_INPROGRESS until the relock below: ``entry.in_action``)
            _try_unlock(k, desc.irq)     # handle_irq_event: IRQD_IRQ_INPROGRESS, raw_spin_unlock for the actions
            k.cpu.handling = desc.irq
            loc["ok"] |= run_handler(k, desc, dev, index, True)
            k.again()
            return True
        if loc.get("inprog") == desc.irq:
            # handle_irq_event after the actions: raw_spin_lock(&desc->lock) -- queued behind a holder or an earlier
            # waiter (a task's disable_irq / enable_irq / irq_set_affinity section) -- then IRQD_IRQ_INPROGRESS
            # cleared; the lock is held through the IRQS_PENDING test to 'out' (locks28: the model went on
            # without the lock, and the flag went with the last action's step)
            if spin_on_lock(k, desc, k.cpu_id):
                return True
            desc.lock = k.cpu_id
            del loc["inprog"]
        if desc.get("pending") and acts:
            desc["pending"] = False     # '} while ((desc->istate & IRQS_PENDING) && action);'
            loc["ai"] = 0
            continue
        desc.pop("poll", None)
        _try_unlock(k, desc.irq)     # 'out: raw_spin_unlock(&desc->lock)'
        todo.pop(0)
        loc["ai"] = -1
    return False


def _try_unlock(k: Any, irq: int) -> None:
    """try_one_irq's raw_spin_unlock(&desc->lock) (its 'out', or handle_irq_event's before the actions)."""
    desc = k.w.irqs.get(irq)
    if desc is not None and desc.lock == k.cpu_id:
        desc.lock = -1


misrouted = program("misrouted_irq", "kernel/irq/spurious.c misrouted_irq (irqfixup / irqpoll): try_one_irq on "
                    "every other irq", source=S.MISROUTED)


@misrouted.step
def misrouted_next(k: Any, loc: dict[str, Any]) -> None:
    """From note_interrupt of an unhandled interrupt (try_misrouted_irq), in hardirq: unless irq_poll_active
    is taken, irq_poll_cpu = this CPU and try_one_irq(desc, false) on every irq but 0 and the one just
    tried (enabled shared irqs only, :func:`_try_one`); returns ok, 1 when a polled handler returned
    IRQ_HANDLED (the caller's irqs_unhandled is one less)."""
    if "todo" not in loc:
        loc["ai"], loc["ok"] = -1, 0
        if _poll_busy(k):
            loc["todo"] = []
        else:
            loc["todo"] = [n for n in sorted(k.w.irqs) if n and n != loc["irq"] and k.w.irqs[n].get("actions")]
            if loc["todo"]:
                k.w.kernel["poll_active"] = k.cpu_id
    if _try_one(k, loc, False):
        return
    if k.w.kernel.get("poll_active") == k.cpu_id:
        k.w.kernel.pop("poll_active")
    k.ret(loc["ok"])


# --- the end of the run -------------------------------------------------------------------------------
def finish_intx(eng: Any) -> None:
    """FINISH_HOOKS: INTx conditions nobody serviced are lost (and still pending: the device keeps its
    Interrupt Status and INTx#)."""
    w = eng.w
    if not w.get("ioapic") and not (w.get("xen") and w.xen.get("intx")):
        return
    P = eng.prov
    for name in sorted(w.devices):
        ix = w.devices[name].get("intx")
        if ix is None or not ix["cond"]:
            continue
        why = ioapic.finish_reason(w, name)
        d = P.dev(name)
        P.dep(PC.D_HELD, PK.key(PK.HELD, PK.dev_entry(d, 0)))
        # what finish_reason names: the Interrupt Disable write, the MSI / MSI-X enable, note_interrupt's
        # disable, or the irq's actions (none requested it, or free_irq removed the function's)
        dv = w.devices[name]
        gsi = ix.get("irq", ix["gsi"])     # the line's irq (a PV guest's: its pcifront pirq irq)
        desc = w.irqs.get(gsi)
        if dv["cmd"] & CMD_INTX_DISABLE:
            cmd = PK.key(PK.CMD, d)
            P.dep_writer(PC.D_CAUSE, cmd, P.bit_writer(cmd, CMD_INTX_DISABLE))
        elif not ioapic.asserting(dv):
            P.dep(PC.D_CAUSE, PK.key(PK.MSIXCTRL, d) if dv["msix"] is not None and dv["msix"]["ctrl"] & MSIX_ENABLE
                  else PK.key(PK.MSIREG, d << 4 | 4))
        elif desc is not None and desc.get("spurious_disabled"):
            P.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, gsi))
        elif desc is not None and desc.disabled and desc["started"]:
            P.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, gsi))
        elif (pin := (w.get("ioapic") or {}).get(gsi)) is not None and pin["masked"] and P.writer(mk := PK.key(PK.IOAPICMASK, gsi)) >= 0:
            P.dep(PC.D_MASKED_BY, mk)       # "whose IO-APIC entry was masked": the kernel write that masked it
        elif pin is not None and pin["remote_irr"] and ioapic.stuck(P, gsi) >= 0:
            P.dep(PC.D_RIRR, PK.key(PK.IOAPICRIRR, gsi))    # Remote IRR left set: the line never sent again
        elif pin is not None and pin["remote_irr"] and "irte" not in pin and _level_pending(w, P, pin):
            pass    # the level message is still in its CPU's IRR (``_level_pending`` noted it and what blocks it)
        elif desc is not None:
            P.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, gsi))
        # counted lost (the summary's raised == delivered + lost) but left pending: the function still
        # asserts INTx# with Status.Interrupt Status set when the run ends -- nothing serviced it
        acct.lost(eng, name, 0, ix["cond"], why)


def _level_pending(w: Any, P: Any, pin: dict[str, Any]) -> bool:
    """The end of the run, a line whose entry has Remote IRR set: when the level message it sent is still pending in
    its CPU's IRR (never accepted, so never EOId), note it and -- the reason it was never accepted -- the highest
    vector in service there whose priority class blocks it (a device message on 0xff, which smp_spurious_interrupt
    does not acknowledge before f8a8fe61fec8: heldout_why15 s01). why30: the loss linked only the irq's action
    ("removed by": request_irq's) and the condition."""
    c = w.cpus[pin["cpu"]]
    v = pin["vector"]
    if not v or not words_test(c.irr, v):
        return False
    P.dep(PC.D_PENDING, PK.key(PK.IRR, PK.cpu_vec(c.id, v)))
    top = words_highest(c.isr)
    behind = PK.key(PK.ISR, PK.cpu_vec(c.id, top)) if top >= 0 and top >> 4 >= v >> 4 else -1
    if behind >= 0 and P.writer(behind) >= 0:
        P.dep(PC.D_IN_SERVICE, behind)
    return True


def _apic_set_affinity(k: Any, loc: dict[str, Any]) -> bool:
    """apic_set_affinity for ``loc``'s irq within ``loc["mask"]``: a vector.assign when the vector or CPU
    changed. False when assign_vector failed (it has set the step's outcome)."""
    desc = k.w.irqs[loc["irq"]]
    old = assign_vector(k, desc, loc["mask"])
    if old is None:
        return False
    if [desc.vector, desc.cpu] != old:
        k.ev(K.VECTOR_ASSIGN, desc.dev, desc.irq, desc.vector, desc.cpu)
    return True
