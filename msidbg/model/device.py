"""A PCI function: config space, MSI and MSI-X capabilities, vector table, PBA, quirks.

The device is driven only through register accesses (config writes, table MMIO) and
its own signals. What it emits is decided here, at the instant of the signal, from its
registers -- or from what it latched, for the ``latch-on-unmask`` / ``msi-latch-on-enable``
quirks. Masked signals set the PBA / pending bit and are released on unmask.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct, bus, hits
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import (
    CMD_INTX_DISABLE,
    CMD_MASTER,
    CMD_MEMORY,
    ENTRY_MASKBIT,
    ENTRY_REGS,
    ENTRY_SIZE,
    MSI_64BIT,
    MSI_CTRL,
    MSI_ENABLE,
    MSI_PVM,
    MSIX_CTRL,
    MSIX_ENABLE,
    MSIX_MASKALL,
    msi_layout,
)
from msidbg.sim.events import column

Dev = dict[str, Any]
_MSG = PK.MSG << PK.SHIFT
_D_MSG_TABLE = PC.D_MSG_TABLE
_MSI_MSG = K.MSI_MSG
_deliver = bus.deliver
LATCH_ON_UNMASK = "latch-on-unmask"
MSIX_MASK_WHEN_DISABLED = "msix-mask-applies-when-disabled"
MSI_LATCH_ON_ENABLE = "msi-latch-on-enable"
MSI_MESSAGE_LOW_BITS = "msi-message-low-bits"
#: Vector Control reads back bits besides Mask (the Kingston NVMe of e045fa29e893: "neither 0, nor 1"); which
#: bits is not known -- msidbg's device shows bit 1, read-only (writes change the Mask bit alone)
MSIX_CTRL_RESERVED_BITS = "msix-ctrl-reserved-bits"
CTRL_RESERVED_READ = 0x2
#: PMCSR No_Soft_Reset (bit 3) set: the function keeps its configuration context across D3hot -> D0 (resume30)
PM_NO_SOFT_RESET = "pm-no-soft-reset"


# --- construction -------------------------------------------------------------------------
def new_device(spec: Any) -> Dev:
    """The hardware state of a device just out of reset."""
    quirks = sorted(spec.quirks)
    # A device with the Marvell quirk is non-compliant in one more way: its MSI-X entries come
    # out of reset unmasked (the spec says masked). That is what lets its mask bits matter at
    # all before the kernel writes them; it is part of the quirk, not a separate switch.
    reset_ctrl = 0 if MSIX_MASK_WHEN_DISABLED in quirks else ENTRY_MASKBIT
    # The Command register resets to 0 (no decoding, no bus mastering). A device passed through to a
    # Xen guest was set up by dom0's pciback first: pcistub_init_device's pci_enable_device sets Memory
    # Space, xen_pcibk_reset_device's pci_disable_device clears only Bus Master (do_pci_disable_device).
    cmd = CMD_MEMORY if spec.passthrough else 0
    dev: Dev = {"bdf": spec.bdf, "kind": spec.kind, "passthrough": spec.passthrough, "quirks": quirks,
                "cmd": cmd, "msix": None, "msi": None}
    intx = getattr(spec, "intx", None)
    if intx is not None:
        # the INTx# pin (Interrupt Pin register) and the GSI the platform routes it to; ``cond``: the
        # signals of the interrupt condition pending (Status.Interrupt Status is ``cond > 0``), which
        # the driver's handler clears (docs/model-baremetal.md, "INTx"; model/ioapic.py)
        dev["intx"] = {"pin": intx.pin, "gsi": intx.gsi, "cond": 0}
        if getattr(intx, "machine", None) is not None:
            # a Xen HVM guest's passthrough function: ``gsi`` is the guest's GSI (Xen's vIOAPIC input),
            # ``mgsi`` the machine GSI its INTx# drives (model/xen_intx.py); a PV guest's pcifront function:
            # both the machine GSI, and ``irq`` (set by xen_intx.build) the guest irq of its GSI pirq
            dev["intx"]["mgsi"] = intx.machine
    if spec.msix:
        n = spec.msix.table_size
        dev["msix"] = {
            "ctrl": n - 1,
            "table": [{"addr_lo": 0, "addr_hi": 0, "data": 0, "ctrl": reset_ctrl} for _ in range(n)],
            "pba": [0] * n,
            "latched": [None] * n,
            "releasing": [0] * n,
        }
        if MSIX_MASK_WHEN_DISABLED in quirks:
            # MSI signals the quirk suppressed, per vector: held for good (``_signal_msi``)
            dev["msix"]["suppressed"] = [0] * n
    if spec.msi:
        mmc = spec.msi.vectors.bit_length() - 1
        ctrl = (mmc << 1) | (MSI_64BIT if spec.msi.addr64 else 0) | (MSI_PVM if spec.msi.per_vector_mask else 0)
        dev["msi"] = {"ctrl": ctrl, "addr_lo": 0, "addr_hi": 0, "data": 0, "mask": 0, "pending": 0,
                      "latched": None, "releasing": 0}
    return dev


# --- MSI-X state ------------------------------------------------------------------------------
def msix_live(msix: dict[str, Any], entry: int) -> bool:
    """Would a signal on ``entry`` be sent right now (enabled, function and entry unmasked)?"""
    ctrl = msix["ctrl"]
    return bool(ctrl & MSIX_ENABLE) and not ctrl & MSIX_MASKALL and not msix["table"][entry]["ctrl"] & ENTRY_MASKBIT


def _msix_transitions(eng: Any, name: str, dev: Dev, before: list[bool]) -> None:
    """After a mask/enable change: latch entries that became live, release their PBA bits."""
    why = PK.key(PK.MSIXCTRL, eng.prov.dev(name))
    for i, was in enumerate(before):
        if not was:
            _entry_transition(eng, name, dev, i, False, why)


def _schedule_release(eng: Any, name: str, cap: dict[str, Any], idx: int) -> None:
    rel = cap["releasing"]
    if isinstance(rel, list):
        if rel[idx]:
            return
        rel[idx] = 1
    else:
        if rel >> idx & 1:
            return
        cap["releasing"] = rel | (1 << idx)
    eng.schedule(eng.w.now, "release", name, idx)


def _live_all(msix: dict[str, Any]) -> list[bool]:
    return [msix_live(msix, i) for i in range(len(msix["table"]))]


def _msix_disabled(eng: Any, name: str, dev: Dev) -> None:
    """MSI-X Enable cleared: whatever sat in the PBA will never be sent."""
    msix = dev["msix"]
    held = eng.w.acct[name]["held"]
    P = eng.prov
    d = P.dev(name)
    for i, p in enumerate(msix["pba"]):
        if p:
            msix["pba"][i] = 0
            P.dep(PC.D_HELD, PK.key(PK.PBA, PK.dev_entry(d, i)))
            P.dep(PC.D_DISABLED_BY, PK.key(PK.MSIXCTRL, d))
            P.write(PC.PBA_DROP, PK.key(PK.PBA, PK.dev_entry(d, i)), 0, ctx=False)
            n = held[i]
            held[i] = 0
            if n:
                P.dep(PC.D_HELD, PK.key(PK.PBA, PK.dev_entry(d, i)))
                acct.lost(eng, name, i, n, "were pending in the PBA when MSI-X was disabled")


# --- config space ------------------------------------------------------------------------------
def cfg_layout(dev: Dev) -> list[tuple[int, int, str]]:
    """(offset, width, register) for every modelled config register of this device."""
    regs = [(0x04, 2, "cmd")]
    if dev["msix"]:
        regs.append((MSIX_CTRL, 2, "msix_ctrl"))
    msi = dev["msi"]
    if msi:
        regs.append((MSI_CTRL, 2, "msi_ctrl"))
        lay = msi_layout(bool(msi["ctrl"] & MSI_64BIT))
        regs.append((lay["addr_lo"], 4, "addr_lo"))
        if "addr_hi" in lay:
            regs.append((lay["addr_hi"], 4, "addr_hi"))
        regs.append((lay["data"], 2, "data"))
        if msi["ctrl"] & MSI_PVM:
            regs.append((lay["mask"], 4, "mask"))
    return regs


def cfg_read_reg(dev: Dev, reg: str) -> int:
    if reg == "cmd":
        return int(dev["cmd"])
    if reg == "msix_ctrl":
        return int(dev["msix"]["ctrl"])
    if reg == "msi_ctrl":
        return int(dev["msi"]["ctrl"])
    return int(dev["msi"][reg])


def cfg_write(eng: Any, cpu: int, name: str, offset: int, value: int, size: int, by: str | None = None) -> None:
    """A config space write of ``size`` bytes, merged byte-wise into the registers it covers. ``by``:
    who really wrote it when not the CPU's context itself (provenance: xen-pv's pciback)."""
    dev = eng.w.devices[name]
    eng.emit(K.CFG_WRITE, cpu, name, offset, value, size)
    end = offset + size
    for roff, width, reg in cfg_layout(dev):
        lo, hi = max(roff, offset), min(roff + width, end)
        if lo >= hi:
            continue
        cur = cfg_read_reg(dev, reg)
        for byte in range(lo, hi):
            shift = (byte - roff) * 8
            b = (value >> ((byte - offset) * 8)) & 0xFF
            cur = (cur & ~(0xFF << shift)) | (b << shift)
        _set_reg(eng, name, dev, reg, cur, by)


def _set_reg(eng: Any, name: str, dev: Dev, reg: str, value: int, by: str | None = None) -> None:
    """Set config register ``reg``. ``by``: the writer a cause chain names when it is not the context
    the step runs in (xen-pv: dom0's pciback, serving the guest's pcifront request) -- the node's note."""
    P = eng.prov
    if P.on and eng.fresh:
        d = P.dev(name)
        if reg == "cmd":
            P.write(PC.CMD_WRITE, PK.key(PK.CMD, d), value & 0xFFFF, note=by)
        elif reg == "msix_ctrl":
            P.write(PC.MSIX_CTRL, PK.key(PK.MSIXCTRL, d), value, note=by)
        else:
            r = "ctrl" if reg == "msi_ctrl" else reg
            also = (PK.key(PK.MSIMSG, d),) if r in ("addr_lo", "addr_hi", "data") else ()
            P.write(PC.MSI_REG, PK.key(PK.MSIREG, d << 4 | PK.MSI_REG_INDEX[r]), value, also=also, note=by)
    if reg == "cmd":
        dev["cmd"] = value & 0xFFFF
    elif reg == "msix_ctrl":
        _set_msix_ctrl(eng, name, dev, value)
    elif reg == "msi_ctrl":
        _set_msi_ctrl(eng, name, dev, value)
    elif reg == "mask":
        _set_msi_mask(eng, name, dev, value)
    else:
        dev["msi"][reg] = value
    if reg in ("cmd", "msix_ctrl", "msi_ctrl") and dev.get("intx") is not None:
        from msidbg.model import ioapic  # Interrupt Disable or an MSI enable changed: INTx# may assert
        ioapic.line(eng, dev["intx"])


def _set_msix_ctrl(eng: Any, name: str, dev: Dev, value: int) -> None:
    msix = dev["msix"]
    before = _live_all(msix)
    old = msix["ctrl"]
    msix["ctrl"] = (old & ~(MSIX_ENABLE | MSIX_MASKALL)) | (value & (MSIX_ENABLE | MSIX_MASKALL))
    if old & MSIX_ENABLE and not msix["ctrl"] & MSIX_ENABLE:
        _msix_disabled(eng, name, dev)
    _msix_transitions(eng, name, dev, before)


def _set_msi_ctrl(eng: Any, name: str, dev: Dev, value: int) -> None:
    msi = dev["msi"]
    old = msi["ctrl"]
    writable = MSI_ENABLE | (0x7 << 4)
    msi["ctrl"] = (old & ~writable) | (value & writable)
    if not old & MSI_ENABLE and msi["ctrl"] & MSI_ENABLE and MSI_LATCH_ON_ENABLE in dev["quirks"]:
        msi["latched"] = [msi["addr_lo"], msi["addr_hi"], msi["data"]]
        P = eng.prov
        d = P.dev(name)
        P.dep(PC.D_LATCHED, PK.key(PK.MSIMSG, d))
        P.write(PC.MSI_LATCH, PK.key(PK.MSILATCH, d), msi["data"], ctx=False)


def _set_msi_mask(eng: Any, name: str, dev: Dev, value: int) -> None:
    msi = dev["msi"]
    unmasked = msi["mask"] & ~value
    msi["mask"] = value & 0xFFFFFFFF
    for i in range(32):
        if unmasked >> i & 1 and msi["pending"] >> i & 1:
            _schedule_release(eng, name, msi, i)


# --- MSI-X table (MMIO) ------------------------------------------------------------------------
def table_write(eng: Any, cpu: int, name: str, entry: int, reg: str, value: int) -> None:
    """A 32-bit write to one register of an MSI-X table entry."""
    dev = eng.w.devices[name]
    msix = dev["msix"]
    if not dev["cmd"] & CMD_MEMORY or "power" in dev:
        _unclaimed(eng, cpu, name, entry, reg, value, dev.get("power"))
        return
    eng.emit(K.MSIX_WRITE, cpu, name, entry, eng.s(reg), value)
    P = eng.prov
    d = P.dev(name)
    if reg != "ctrl":
        live = msix_live(msix, entry)
        msg = PK.key(PK.MSG, PK.dev_entry(d, entry))
        P.write(PC.TABLE_LIVE if live else PC.TABLE, PK.key(PK.REG, PK.reg_payload(d, entry, PK.REG_INDEX[reg])),
                value & 0xFFFFFFFF, also=(msg,))
        if live:
            eng.hit(hits.MSIX_WRITE_UNMASKED,
                    f"{name} entry {entry} {reg} written while MSI-X is enabled and the entry is unmasked")
        msix["table"][entry][reg] = value & 0xFFFFFFFF
        return
    before = [msix_live(msix, entry)]
    # Only the Mask bit of Vector Control is writable in this model (the rest is reserved).
    msix["table"][entry]["ctrl"] = value & ENTRY_MASKBIT
    ctrl = PK.key(PK.REG, PK.reg_payload(d, entry, 3))
    P.write(PC.TABLE, ctrl, value & ENTRY_MASKBIT)
    _entry_transition(eng, name, dev, entry, before[0], ctrl)


def _entry_transition(eng: Any, name: str, dev: Dev, entry: int, was_live: bool, why: int = -1) -> None:
    """Entry ``entry`` may have become live (``why``: the key whose write did it): a latching device
    captures its message; a pending bit is released."""
    msix = dev["msix"]
    if was_live or not msix_live(msix, entry):
        return
    if LATCH_ON_UNMASK in dev["quirks"]:
        e = msix["table"][entry]
        msix["latched"][entry] = [e["addr_lo"], e["addr_hi"], e["data"]]
        P = eng.prov
        d = P.dev(name)
        P.dep(PC.D_LATCHED, PK.key(PK.MSG, PK.dev_entry(d, entry)))
        if why >= 0:
            P.dep(PC.D_UNMASKED_BY, why)
        P.write(PC.LATCH, PK.key(PK.LATCH, PK.dev_entry(d, entry)), e["data"], ctx=False)
    if msix["pba"][entry]:
        _schedule_release(eng, name, msix, entry)


def table_write_raw(eng: Any, cpu: int, name: str, offset: int, value: int, size: int) -> None:
    """A raw write at a byte offset into the table (the ``write`` action), merged byte-wise."""
    entry, within = divmod(offset, ENTRY_SIZE)
    reg = ENTRY_REGS[within // 4]
    cur = eng.w.devices[name]["msix"]["table"][entry][reg]
    shift = (within % 4) * 8
    width_mask = (1 << (8 * size)) - 1
    merged = (cur & ~(width_mask << shift)) | ((value & width_mask) << shift)
    table_write(eng, cpu, name, entry, reg, merged)


def table_read(eng: Any, cpu: int, name: str, entry: int, reg: str) -> int:
    dev = eng.w.devices[name]
    if not dev["cmd"] & CMD_MEMORY or "power" in dev:
        _unclaimed(eng, cpu, name, entry, reg, ALL_ONES, dev.get("power"))
        return ALL_ONES
    value = int(dev["msix"]["table"][entry][reg])
    if reg == "ctrl" and MSIX_CTRL_RESERVED_BITS in dev["quirks"]:
        value |= CTRL_RESERVED_READ
    eng.emit(K.MSIX_READ, cpu, name, entry, eng.s(reg), value)
    return value


ALL_ONES = 0xFFFFFFFF


def _unclaimed(eng: Any, cpu: int, name: str, entry: int, reg: str, value: int, power: str | None = None) -> None:
    """Memory Space Enable is clear: the function does not decode its BARs, so nothing claims an
    access to the table -- the write is dropped, a read completes with all ones (PCI 3.0 6.2.2;
    the root complex's answer to an Unsupported Request on x86). ``power``: the function is in D3hot
    (it takes configuration requests only: a memory request is an Unsupported Request) or D3cold (off)."""
    eng.emit(K.MSIX_UNCLAIMED, cpu, name, entry, eng.s(reg), value)
    P = eng.prov
    if P.on and eng.fresh and power is None:
        d = P.dev(name)
        P.dep(PC.D_NO_MEMORY, PK.key(PK.CMD, d))
        k = PK.key(PK.REG, PK.reg_payload(d, entry, PK.REG_INDEX[reg]))
        r = P.write(PC.UNCLAIMED, k, value)
        if reg == "ctrl" and r >= 0:
            # (why31) a dropped Vector Control write: an unmask is what a signal the entry's unchanged mask holds
            # later links (``_held_msix``: resume30 r01, __pci_restore_msix_state's unmask with Memory Space off);
            # a dropped mask after it would have masked again, so it cancels the link
            if value & ENTRY_MASKBIT:
                P.dropped_unmask.pop(k, None)
            else:
                P.dropped_unmask[k] = r


# --- signals ------------------------------------------------------------------------------------
def signal(eng: Any, name: str, idx: int) -> None:
    """The device signals vector ``idx`` (the ``fire`` action, or a doorbell completion).

    MSI-X's common case (enabled, entry unmasked, message from the table) runs inline: it is the
    storm's hot path, where each call costs as much as a dozen lines."""
    w = eng.w
    dev = w.devices[name]
    a = w.acct[name]
    a["raised"][idx] += 1
    if "power" in dev:
        _signal_d3(eng, name, dev, idx)
        return
    msix = dev["msix"]
    if msix is None or not (ctrl := msix["ctrl"]) & MSIX_ENABLE:
        _signal_no_msix(eng, name, dev, msix, idx, a)
        return
    table = msix["table"]
    if idx >= len(table):
        eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("no such MSI-X entry"))
        acct.lost(eng, name, idx, 1, "named an entry beyond the MSI-X table")
        return
    e = table[idx]
    if (ctrl & MSIX_MASKALL or e["ctrl"] & ENTRY_MASKBIT) and not (
            dev.get("pirq_unmasked") and not e["data"] & 0xFF):
        _held_msix(eng, eng.prov, name, msix, idx, a)
        return
    msg = msix["latched"][idx] if LATCH_ON_UNMASK in dev["quirks"] else None
    if msg is None:
        msg = [e["addr_lo"], e["addr_hi"], e["data"]]
        if eng.fresh:   # provenance: the message comes from the entry's registers (hot: no call)
            P = eng.prov
            dev_ids = P.dev_ids
            d = dev_ids[name] if name in dev_ids else P.dev(name)
            P.msg = (_D_MSG_TABLE, _MSG | d << 16 | idx, -1, eng.cur, None)
    elif eng.fresh:
        _sending_latched(eng.prov, name, idx, msg, e)
    # emit_message(eng, dev, name, idx, msg, 1, a["intended"][idx]), inlined (its same steps)
    if not dev["cmd"] & CMD_MASTER:
        _not_master(eng, name, idx, 1)
        return
    lo, hi, data = msg
    if (intended := a["intended"][idx]) and msg not in intended:
        _torn(eng, name, idx, lo, hi, data, None)
    dest_cpu = _deliver(eng, name, idx, lo, hi, data, 1)
    addr = (hi << 32 | lo) if hi < 0x80000000 else column(hi << 32 | lo)
    if eng.fresh:   # Engine.emit, inlined (as Ctx.ev does)
        key = (_MSI_MSG, dest_cpu, name, idx, addr, data)
        try:
            rid = eng.records[key]
        except KeyError:
            rid = eng.log.record(key)
        eng.ids_append(rid)
        eng.times_append(w.now)
    else:   # re-executing known history: nothing is recorded (an observer may replace emit)
        eng.emit(_MSI_MSG, dest_cpu, name, idx, addr, data)


def _signal_d3(eng: Any, name: str, dev: Dev, idx: int) -> None:
    """A signal while the function is in D3hot or D3cold (``pm_suspend``): a function in D3hot initiates no
    request but a PME message, one in D3cold has no power -- no interrupt message goes out and the event is
    lost (what the device would do to wake the system, PME, is not modelled)."""
    eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s(f"function in {dev['power']}"))
    P = eng.prov
    P.dep(PC.D_CAUSE, PK.key(PK.POWER, P.dev(name)))     # the transition that took it out of D0
    acct.lost(eng, name, idx, 1, f"raised while the function was in {dev['power']} (no interrupt message: "
              "PME, not modelled, is all it may send)")


def _signal_no_msix(eng: Any, name: str, dev: Dev, msix: dict[str, Any] | None, idx: int, a: dict[str, Any]) -> None:
    """A signal while MSI-X is disabled: plain MSI, or nothing at all."""
    msi = dev["msi"]
    if msi is not None and msi["ctrl"] & MSI_ENABLE:
        _signal_msi(eng, name, dev, msi, idx, a)
        return
    if dev.get("intx") is not None:
        _signal_intx(eng, name, dev, idx, a)
        return
    eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("MSI and MSI-X disabled"))
    P = eng.prov
    d = P.dev(name)
    if msix is not None:
        P.dep(PC.D_DISABLED_BY, PK.key(PK.MSIXCTRL, d))
    if msi is not None:
        P.dep(PC.D_MSI_DISABLED, PK.key(PK.MSIREG, d << 4 | 4))
    acct.lost(eng, name, idx, 1, "raised while neither MSI nor MSI-X was enabled, by a function without an INTx# "
              "pin (no intx:)")


def _signal_intx(eng: Any, name: str, dev: Dev, idx: int, a: dict[str, Any]) -> None:
    """Neither MSI nor MSI-X is enabled: the condition is the function's one INTx interrupt condition
    (every vector index is it: a function has one INTx# pin). It stays pending -- Status.Interrupt
    Status set, INTx# asserted unless Interrupt Disable is set -- until a driver's handler clears it;
    the signals it stands for are delivered then (``kernel/intx.py``)."""
    from msidbg.model import ioapic  # (late: its event kinds are numbered after the others')
    if idx:
        a["raised"][idx] -= 1
        a["raised"][0] += 1
    ix = dev["intx"]
    ix["cond"] += 1
    eng.emit(INTX_KINDS[0], -1, name, ix["gsi"], ix["cond"], 1 if ioapic.asserting(dev) else 0)
    P = eng.prov
    if P.on and eng.fresh:
        d = P.dev(name)
        # INTx# follows Interrupt Disable (the write that set its value: pci_intx, not a later Bus
        # Master change) and MSI / MSI-X being disabled (the write that disabled them, if any)
        cmd = PK.key(PK.CMD, d)
        P.dep_writer(PC.D_CAUSE, cmd, P.bit_writer(cmd, CMD_INTX_DISABLE))
        for ctl, code in ((PK.key(PK.MSIXCTRL, d) if dev["msix"] is not None else -1, PC.D_DISABLED_BY),
                          (PK.key(PK.MSIREG, d << 4 | 4) if dev["msi"] is not None else -1, PC.D_CAUSE)):
            if ctl >= 0 and P.writer(ctl) >= 0:
                P.dep(code, ctl)
        line_irq = ix.get("irq", ix["gsi"])     # (a PV guest's pcifront pirq irq)
        desc = eng.w.irqs.get(line_irq)
        if desc is not None and desc.disabled and desc.get("spurious_disabled"):
            # the line's irq, disabled by note_interrupt ("nobody cared"): its entry is masked
            P.dep(PC.D_CAUSE, PK.key(PK.IRQDIS, line_irq))
        elif "mgsi" not in ix:
            # the IO-APIC entry the line reaches is masked (mask_irq of a disabled irq, a move that kept it
            # masked): the condition waits behind the write that masked it (an entry masked since boot, no
            # driver requested the line, is the loss's own reason)
            pin = eng.w.get("ioapic", {}).get(ix["gsi"])
            mk = PK.key(PK.IOAPICMASK, ix["gsi"])
            if pin is not None and pin["masked"] and P.writer(mk) >= 0:
                P.dep(PC.D_MASKED_BY, mk)
            elif pin is not None and pin["remote_irr"] and ioapic.stuck(P, ix["gsi"]) >= 0:
                # Remote IRR left set by an entry deactivated with a level interrupt in flight: the line never
                # sends again (free_irq before 62e0468650c3)
                P.dep(PC.D_RIRR, PK.key(PK.IOAPICRIRR, ix["gsi"]))
        else:
            # Xen HVM: the machine GSI's host irq still in flight (Remote IRR set: no pirq_guest_eoi yet) holds
            # the line's next interrupt: the condition waits behind what Xen last did to that pirq
            rec = eng.w.xen["intx"]["m"].get(ix["mgsi"])
            if rec is not None and rec["rirr"]:
                P.dep(PC.D_CAUSE, PK.key(PK.PTBIND, rec["pirq"]))
                if "devs" in rec:
                    # a PV guest: the host irq stays in flight until the guest's EOI, which its handler sends only
                    # once the GSI pirq's pending event reaches it -- held by the port's mask when the guest masked it
                    # after Xen's send (disable_irq's disable_dynirq): the mask is what holds the condition (why26:
                    # the chain stopped at the send, before the mask)
                    port = eng.w.xen["pirqs"][rec["pirq"]].get("port") or 0
                    ch = eng.w.xen["ports"].get(port) if port else None
                    mk = PK.key(PK.PORTMASK, port)
                    if ch is not None and ch["pending"] and ch["masked"] and P.writer(mk) >= 0:
                        P.dep(PC.D_MASKED_BY, mk)
            elif rec is not None and not rec.get("bound", True) and P.writer(PK.key(PK.PTBIND, rec["pirq"])) >= 0:
                # a PV guest's GSI pirq no guest is bound to (pirq_guest_unbind at the port's EVTCHNOP_close
                # disabled the host irq): the line sends nothing until a pirq_guest_bind starts it again
                P.dep(PC.D_HOST_OFF, PK.key(PK.PTBIND, rec["pirq"]))
        P.write(PC.INTX_COND, PK.key(PK.HELD, PK.dev_entry(d, 0)), ix["cond"], ctx=False,
                also=(PK.key(PK.SIG, PK.dev_entry(d, 0)),))
    ioapic.line(eng, ix)


#: the ``intx.assert`` event kind, registered by ``model/ioapic.py``'s importer (kernel/intx.py) so that it
#: is numbered after the others'
INTX_KINDS: list[int] = []


def _held_msix(eng: Any, P: Any, name: str, msix: dict[str, Any], idx: int, a: dict[str, Any]) -> None:
    """A masked entry (or function) holds the signal: its PBA bit is set."""
    msix["pba"][idx] = 1
    a["held"][idx] += 1
    why = "function masked" if msix["ctrl"] & MSIX_MASKALL else "entry masked"
    pci = eng.w["kernel"].get("pci", {}).get(name)
    if pci is not None and idx >= len(pci["descs"]):
        why += ", an entry the driver has not set up"
    eng.emit(K.MSI_HELD, -1, name, idx, eng.s(f"PBA: {why}"))
    if P.on and eng.fresh:
        d = P.dev(name)
        de = PK.dev_entry(d, idx)
        ctrl = PK.key(PK.REG, PK.reg_payload(d, idx, 3))
        P.dep(PC.D_MASKED_BY, PK.key(PK.MSIXCTRL, d) if msix["ctrl"] & MSIX_MASKALL else ctrl)
        if P.dropped_unmask and not msix["ctrl"] & MSIX_MASKALL:
            # an unmask of this entry since its mask that the device did not decode (Xen's writel at a re-bind, Memory
            # Space off: why30, heldout_why15 q01): what kept the mask
            u, m = P.dropped_unmask.get(ctrl, -1), P.writer(ctrl)
            if u >= 0 and (m < 0 or P.event(u) > P.event(m)):
                P.dep_writer(PC.D_UNMASK_DROPPED, ctrl, u)
        if P.left_on and msix["ctrl"] & MSIX_ENABLE:
            # (why33) held, not dropped: MSI-X stays enabled because the driver's pci_disable_msix stopped before it
            # cleared Enable (5.15.0 .. 5.15.2's pci_msix_shutdown oops on a Xen PV guest), if nothing wrote it since
            r = P.left_on.get(d, -1)
            en = P.writer(PK.key(PK.MSIXCTRL, d))
            if r >= 0 and (en < 0 or P.event(en) <= P.event(r)):
                P.dep_writer(PC.D_LEFT_ENABLED, P.key(r), r)
        qe = eng.w.get("qemu", {}).get("devs", {}).get(name)
        if qe is not None and idx < len(qe["msix"]["entries"]) and qe["msix"]["entries"][idx]["pirq"] < 0:
            # a passthrough entry QEMU holds no pirq for: its last PHYSDEVOP_map_pirq failed (whyheld8), so nothing
            # bound it and Xen never unmasked the physical entry
            qk = PK.key(PK.QPIRQ, de)
            if P.writer(qk) >= 0 and P.x(P.resolve(P.writer(qk))) < 0:
                P.dep(PC.D_CAUSE, qk)
        P.write(PC.PBA_SET, PK.key(PK.PBA, de), 1, ctx=False, also=(PK.key(PK.HELD, de), PK.key(PK.SIG, de)))


def _sending_latched(P: Any, name: str, idx: int, msg: list[int], e: dict[str, Any]) -> None:
    de = PK.dev_entry(P.dev(name), idx)
    stale = msg[0] != e["addr_lo"] or msg[1] != e["addr_hi"] or msg[2] != e["data"]
    P.sending(PC.D_MSG_LATCH, PK.key(PK.LATCH, de), ((PC.D_IGNORED, PK.key(PK.MSG, de)),) if stale else ())


def _signal_msi(eng: Any, name: str, dev: Dev, msi: dict[str, Any], idx: int, a: dict[str, Any]) -> None:
    nvec = 1 << ((msi["ctrl"] >> 4) & 7)
    if idx >= nvec:
        if nvec > 1 and MSI_MESSAGE_LOW_BITS not in dev["quirks"]:
            # which of its enabled messages a function uses for a condition beyond them is device-specific
            # (reading device.msi.fewer-messages): the generic device does not signal it
            eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("MSI message not enabled"))
            P = eng.prov       # provenance: the Message Control write that enabled fewer messages (MME)
            P.dep(PC.D_MSI_ENABLE, PK.key(PK.MSIREG, P.dev(name) << 4 | 4))
            acct.lost(eng, name, idx, 1, f"used MSI message {idx} but only {nvec} are enabled")
            return
        # Multiple Message Enable 000b: the function may not modify its message data, so every interrupt
        # condition goes out as its one message, message 0; with the msi-message-low-bits quirk, as the
        # enabled message its low MME bits name (reading device.msi.fewer-messages / device.msi.low-bits)
        m = idx & (nvec - 1)
        a["raised"][idx] -= 1
        a["raised"][m] += 1
        idx = m
    P = eng.prov
    d = P.dev(name)
    if _blocked_by_msix_mask(dev, idx):
        # Held for good, apart from the PBA / MSI pending bits (whose releases must not send it): no
        # register of the device holds it for a later release, and in MSI mode the kernel never writes
        # an MSI-X entry (only msix_capability_init and pci_msix_shutdown do). What the broken device
        # would do on a later unmask is not known. The end of the run counts it lost.
        sup = dev["msix"]["suppressed"]
        sup[idx] += 1
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI-X entry mask (quirk): nothing releases it"))
        de = PK.dev_entry(d, idx)
        P.dep(PC.D_MASKED_BY, PK.key(PK.REG, PK.reg_payload(d, idx, 3)))
        P.dep(PC.D_MSI_ENABLE, PK.key(PK.MSIREG, d << 4 | 4))
        P.write(PC.MSI_BLOCKED, PK.key(PK.HELD, de), sup[idx], ctx=False, also=(PK.key(PK.SIG, de),))
        eng.hit(hits.MSI_BLOCKED_BY_MSIX_MASK,
                f"{name} MSI message {idx} suppressed by MSI-X entry {idx}'s mask bit while MSI-X is disabled; "
                "held for good (in MSI mode the kernel never clears an MSI-X entry mask)")
        return
    if msi["ctrl"] & MSI_PVM and msi["mask"] >> idx & 1 and not (dev.get("pirq_unmasked") and not msi["data"] & 0xFF):
        msi["pending"] |= 1 << idx
        a["held"][idx] += 1
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI pending bit: vector masked"))
        de = PK.dev_entry(d, idx)
        P.dep(PC.D_MASKED_BY, PK.key(PK.MSIREG, d << 4 | 3))
        P.write(PC.MSI_PEND, PK.key(PK.MSIPEND, de), 1, ctx=False, also=(PK.key(PK.HELD, de), PK.key(PK.SIG, de)))
        return
    if P.on and eng.fresh:
        _sending_msi(P, d, dev)
    emit_message(eng, dev, name, idx, msi_message(dev, idx), 1, a["msi_intended"], msi_programmed(dev))


def _sending_msi(P: Any, d: int, dev: Dev) -> None:
    latched = dev["msi"]["latched"] is not None and MSI_LATCH_ON_ENABLE in dev["quirks"]
    P.sending(PC.D_MSG_LATCH if latched else PC.D_MSG_MSI, PK.key(PK.MSILATCH if latched else PK.MSIMSG, d))


def _blocked_by_msix_mask(dev: Dev, idx: int) -> bool:
    """The Marvell quirk: MSI-X entry mask bits gate plain MSI while MSI-X is disabled."""
    msix = dev["msix"]
    if msix is None or MSIX_MASK_WHEN_DISABLED not in dev["quirks"] or idx >= len(msix["table"]):
        return False
    return bool(msix["table"][idx]["ctrl"] & ENTRY_MASKBIT)


SUPPRESSED_REASON = ("were suppressed by MSI-X entry {idx}'s mask bit while MSI-X was disabled (quirk) and never "
                     "released: in MSI mode the kernel never clears an MSI-X entry mask")


def held_reason(dev: Dev, idx: int, set_up: int | None = None) -> str:
    """Why signals of ``idx`` are still held at the end of a run (the ``irq-lost`` detail);
    ``set_up``: how many vectors the device's driver has set up (None: not known)."""
    msi = dev["msi"]
    if (msi is not None and msi["pending"] >> idx & 1 and not msi["mask"] >> idx & 1
            and not msi["ctrl"] & MSI_ENABLE):
        # pci_msi_shutdown clears Enable, then unmasks: the pending message is never sent
        return "were held by the MSI pending bit; MSI was disabled before the vector was unmasked"
    if set_up is not None and idx >= set_up:
        return (f"were held behind MSI-X entry {idx}'s mask bit: the driver set up {set_up} vector(s), not this "
                "entry, so nothing ever unmasks it")
    return "were held behind a mask nobody cleared by the end of the run"


def msi_programmed(dev: Dev) -> list[int]:
    """The MSI address/data pair the device holds (or latched), before the index is ORed in."""
    msi = dev["msi"]
    if msi["latched"] is not None and MSI_LATCH_ON_ENABLE in dev["quirks"]:
        return list(msi["latched"])
    return [msi["addr_lo"], msi["addr_hi"] if msi["ctrl"] & MSI_64BIT else 0, msi["data"]]


def msi_message(dev: Dev, idx: int) -> list[int]:
    """The MSI message for message ``idx``: data carries the index in its low bits."""
    lo, hi, data = msi_programmed(dev)
    nvec = 1 << ((dev["msi"]["ctrl"] >> 4) & 7)
    return [lo, hi, (data & ~(nvec - 1)) | idx]


def release(eng: Any, name: str, idx: int) -> None:
    """A held signal is sent now that its mask cleared (PBA bit / MSI pending bit)."""
    dev = eng.w.devices[name]
    a = eng.w.acct[name]
    msix = dev["msix"]
    P = eng.prov
    d = P.dev(name)
    de = PK.dev_entry(d, idx)
    # Which bit this release is for is what scheduled it (``_schedule_release``): an MSI-X
    # pending bit, or an MSI one -- not whether MSI-X happens to be enabled when it runs (MSI-X
    # may have been disabled in between, by another CPU at the same instant).
    # (an MSI message index may be beyond the MSI-X table: a device with 2 entries and 8 MSI messages)
    if msix is not None and idx < len(msix["releasing"]) and msix["releasing"][idx]:
        msix["releasing"][idx] = 0
        if not msix["ctrl"] & MSIX_ENABLE:
            eng.emit(K.MSI_HELD, -1, name, idx, eng.s("PBA: MSI-X disabled before release"))
            return
        if not msix_live(msix, idx) or not msix["pba"][idx]:
            eng.emit(K.MSI_HELD, -1, name, idx, eng.s("PBA: masked again before release"))
            return
        msix["pba"][idx] = 0
        n, a["held"][idx] = a["held"][idx], 0
        e = msix["table"][idx]
        msg = msix["latched"][idx] if LATCH_ON_UNMASK in dev["quirks"] else None
        P.dep(PC.D_HELD, PK.key(PK.PBA, de))
        P.dep(PC.D_UNMASKED_BY, PK.key(PK.REG, PK.reg_payload(d, idx, 3)))
        P.dep(PC.D_UNMASKED_BY, PK.key(PK.MSIXCTRL, d))
        if P.on and eng.fresh:
            held = P.write(PC.PBA_CLEAR, PK.key(PK.PBA, de), 0, ctx=False)
            if msg is None:
                P.sending(PC.D_MSG_TABLE, PK.key(PK.MSG, de))
            else:
                _sending_latched(P, name, idx, msg, e)
            P.add_to_message(PC.D_MSG_HELD, PK.key(PK.PBA, de), held)
        emit_message(eng, dev, name, idx, msg or [e["addr_lo"], e["addr_hi"], e["data"]], n, a["intended"][idx])
        return
    msi = dev["msi"]
    if msi is None or not msi["releasing"] >> idx & 1:
        return
    msi["releasing"] &= ~(1 << idx)
    if not msi["pending"] >> idx & 1 or msi["mask"] >> idx & 1 or not msi["ctrl"] & MSI_ENABLE:
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI pending bit: not released"))
        return
    msi["pending"] &= ~(1 << idx)
    n, a["held"][idx] = a["held"][idx], 0
    if P.on and eng.fresh:
        P.dep(PC.D_HELD, PK.key(PK.MSIPEND, de))
        P.dep(PC.D_UNMASKED_BY, PK.key(PK.MSIREG, d << 4 | 3))
        held = P.write(PC.PBA_CLEAR, PK.key(PK.MSIPEND, de), 0, ctx=False)
        _sending_msi(P, d, dev)
        P.add_to_message(PC.D_MSG_HELD, PK.key(PK.MSIPEND, de), held)
    emit_message(eng, dev, name, idx, msi_message(dev, idx), n, a["msi_intended"], msi_programmed(dev))


def emit_message(eng: Any, dev: Dev, name: str, idx: int, msg: list[int], n: int, intended: list[list[int]],
                 programmed: list[int] | None = None) -> None:
    """The message goes on the bus: one ``msi.msg`` event, then the platform routes it.

    ``programmed`` is the register triple the message came from (MSI ORs the message index
    into data); it is torn when the kernel never programmed that triple as a whole. ``dev`` is
    device ``name``'s record (its Command register gates the write).
    """
    if not dev["cmd"] & CMD_MASTER:
        _not_master(eng, name, idx, n)
        return
    lo, hi, data = msg
    if intended and (programmed or msg) not in intended:
        _torn(eng, name, idx, lo, hi, data, programmed)
    dest_cpu = _deliver(eng, name, idx, lo, hi, data, n)
    eng.emit(_MSI_MSG, dest_cpu, name, idx, (hi << 32 | lo) if hi < 0x80000000 else column(hi << 32 | lo), data)


def _torn(eng: Any, name: str, idx: int, lo: int, hi: int, data: int, programmed: list[int] | None) -> None:
    """The message is a register triple the kernel never programmed as a whole."""
    P = eng.prov
    if P.on and eng.fresh:
        d = P.dev(name)
        P.message_dep()
        if programmed is None:
            P.dep(PC.D_HALF, PK.key(PK.REG, PK.reg_payload(d, idx, 0)))
            P.dep(PC.D_HALF, PK.key(PK.REG, PK.reg_payload(d, idx, 2)))
            P.write(PC.TORN, PK.key(PK.MSG, PK.dev_entry(d, idx)), data, ctx=False)
        else:
            P.dep(PC.D_HALF, PK.key(PK.MSIREG, d << 4 | 0))
            P.dep(PC.D_HALF, PK.key(PK.MSIREG, d << 4 | 2))
            P.write(PC.TORN, PK.key(PK.MSIMSG, d), data, ctx=False)
    # who writes the device's message registers: Xen for a passed-through device (setup_msi_irq,
    # set_msi_affinity's write_msi_msg; the guest's and QEMU's writes reach QEMU's emulated
    # registers only), the kernel otherwise -- the hit said "the kernel" for Xen's live move too
    writer = "Xen" if eng.w.devices[name]["passthrough"] else "the kernel"
    eng.hit(hits.MSI_TORN_MESSAGE,
            f"{name} vector {idx} sent address {(hi << 32) | lo:#x} data {data:#x}, "
            f"a pair {writer} never programmed together")


def _not_master(eng: Any, name: str, idx: int, n: int) -> None:
    """Bus Master Enable is clear: the function may not issue the memory write that is the message.
    Nothing is queued: the signal is gone (QEMU's reading -- the write goes to the disabled
    bus-master address space -- see the ``device.cmd.bus-master`` reading)."""
    eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("Bus Master Enable clear"))
    P = eng.prov
    if P.on and eng.fresh:
        P.dep(PC.D_NO_MASTER, PK.key(PK.CMD, P.dev(name)))
    acct.lost(eng, name, idx, n, "not sent: Bus Master Enable was clear (the driver had not called pci_set_master, "
              "or pci_disable_device had cleared it)")


# --- power management ------------------------------------------------------------------------
def power_state(eng: Any, name: str, state: str | None) -> None:
    """The function enters ``state`` (``"D3hot"``: the PMCSR PowerState write; ``"D3cold"``: the platform
    removes its power) or, with None, returns to D0 (its reset, if any, is ``power_on_reset``). Out of D0 it
    claims no memory request (``table_write`` / ``table_read``) and sends no interrupt (``signal``). The key is
    absent in D0, so a run without ``pm_suspend`` holds the same world as before it existed."""
    dev = eng.w.devices[name]
    if state is None:
        dev.pop("power", None)
    else:
        dev["power"] = state
    P = eng.prov
    if P.on and eng.fresh:
        P.write(PC.KERNEL, PK.key(PK.POWER, P.dev(name)), {None: 0, "D3hot": 3, "D3cold": 4}.get(state, 3),
                note=f"{name} enters {state or 'D0'}" + (" (no interrupt message out of D0)" if state else ""))


def power_on_reset(eng: Any, name: str) -> None:
    """The PCI PM spec's D3hot -> D0 transition of a function whose No_Soft_Reset is clear: an internal reset,
    after which its configuration context is lost -- Command 0, MSI and MSI-X disabled (Function Mask clear),
    the MSI message and Mask Bits 0, every MSI-X entry's message 0 and Vector Control at its reset value
    (masked; the Marvell quirk's entries unmasked, as at power-on). Signals held in the PBA or the MSI pending
    bits are gone with it (lost). The caller emits the event (``kernel/pm.py``: its kind is numbered last)."""
    dev = eng.w.devices[name]
    _set_reg(eng, name, dev, "cmd", 0, "the function's reset")
    msix = dev["msix"]
    if msix is not None:
        _set_reg(eng, name, dev, "msix_ctrl", 0, "the function's reset")
        for i, p in enumerate(msix["pba"]):     # (MSI-X already disabled: nothing left but a masked, disabled PBA)
            if p:
                msix["pba"][i] = 0
                n, eng.w.acct[name]["held"][i] = eng.w.acct[name]["held"][i], 0
                if n:
                    acct.lost(eng, name, i, n, "were pending in the PBA when the function was reset")
        reset_ctrl = 0 if MSIX_MASK_WHEN_DISABLED in dev["quirks"] else ENTRY_MASKBIT
        P = eng.prov
        d = P.dev(name)
        for i, e in enumerate(msix["table"]):
            for reg in ("addr_lo", "addr_hi", "data"):
                if e[reg]:
                    e[reg] = 0
                    P.write(PC.TABLE, PK.key(PK.REG, PK.reg_payload(d, i, PK.REG_INDEX[reg])), 0,
                            also=(PK.key(PK.MSG, PK.dev_entry(d, i)),), note="the function's reset")
            if e["ctrl"] != reset_ctrl:
                e["ctrl"] = reset_ctrl
                P.write(PC.TABLE, PK.key(PK.REG, PK.reg_payload(d, i, 3)), reset_ctrl, note="the function's reset")
            msix["latched"][i] = None
    msi = dev["msi"]
    if msi is not None:
        held = eng.w.acct[name]["held"]
        for i in range(32):     # (first: the mask's reset below must release nothing)
            if msi["pending"] >> i & 1:
                msi["pending"] &= ~(1 << i)
                n = held[i] if i < len(held) else 0
                if n:
                    held[i] = 0
                    acct.lost(eng, name, i, n, "were pending in the MSI pending bits when the function was reset")
        _set_reg(eng, name, dev, "msi_ctrl", 0, "the function's reset")
        for reg in ("addr_lo", "addr_hi", "data", "mask"):
            if reg in msi and msi[reg]:
                _set_reg(eng, name, dev, reg, 0, "the function's reset")
        msi["latched"] = None
