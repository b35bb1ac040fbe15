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
from msidbg.model.hw import (
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
LATCH_ON_UNMASK = "latch-on-unmask"
MSIX_MASK_WHEN_DISABLED = "msix-mask-applies-when-disabled"
MSI_LATCH_ON_ENABLE = "msi-latch-on-enable"


# --- construction -------------------------------------------------------------------------
def new_device(spec: Any) -> Dev:
    """The hardware state of a device just out of reset."""
    quirks = sorted(spec.quirks)
    # A device with the Marvell quirk is non-compliant in one more way: its MSI-X entries come
    # out of reset unmasked (the spec says masked). That is what lets its mask bits matter at
    # all before the kernel writes them; it is part of the quirk, not a separate switch.
    reset_ctrl = 0 if MSIX_MASK_WHEN_DISABLED in quirks else ENTRY_MASKBIT
    dev: Dev = {"bdf": spec.bdf, "kind": spec.kind, "passthrough": spec.passthrough, "quirks": quirks,
                "cmd": 0, "msix": None, "msi": None}
    if spec.msix:
        n = spec.msix.table_size
        dev["msix"] = {
            "ctrl": n - 1,
            "table": [{"addr_lo": 0, "addr_hi": 0, "data": 0, "ctrl": reset_ctrl} for _ in range(n)],
            "pba": [0] * n,
            "latched": [None] * n,
            "releasing": [0] * n,
        }
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
    msix = dev["msix"]
    latch = LATCH_ON_UNMASK in dev["quirks"]
    for i, was in enumerate(before):
        if was or not msix_live(msix, i):
            continue
        if latch:
            e = msix["table"][i]
            msix["latched"][i] = [e["addr_lo"], e["addr_hi"], e["data"]]
        if msix["pba"][i]:
            _schedule_release(eng, name, msix, i)


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
    eng.schedule(eng.w["now"], "release", name, idx)


def _live_all(msix: dict[str, Any]) -> list[bool]:
    return [msix_live(msix, i) for i in range(len(msix["table"]))]


def _msix_disabled(eng: Any, name: str, dev: Dev) -> None:
    """MSI-X Enable cleared: whatever sat in the PBA will never be sent."""
    msix = dev["msix"]
    held = eng.w["acct"][name]["held"]
    for i, p in enumerate(msix["pba"]):
        if p:
            msix["pba"][i] = 0
            n = held[i]
            held[i] = 0
            if n:
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


def cfg_write(eng: Any, cpu: int, name: str, offset: int, value: int, size: int) -> None:
    """A config space write of ``size`` bytes, merged byte-wise into the registers it covers."""
    dev = eng.w["devices"][name]
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
        _set_reg(eng, name, dev, reg, cur)


def _set_reg(eng: Any, name: str, dev: Dev, reg: str, value: int) -> None:
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
    dev = eng.w["devices"][name]
    msix = dev["msix"]
    eng.emit(K.MSIX_WRITE, cpu, name, entry, eng.s(reg), value)
    if reg != "ctrl":
        if msix_live(msix, entry):
            eng.hit(hits.MSIX_WRITE_UNMASKED,
                    f"{name} entry {entry} {reg} written while MSI-X is enabled and the entry is unmasked")
        msix["table"][entry][reg] = value & 0xFFFFFFFF
        return
    before = [msix_live(msix, entry)]
    # Only the Mask bit of Vector Control is writable in this model (the rest is reserved).
    msix["table"][entry]["ctrl"] = value & ENTRY_MASKBIT
    _entry_transition(eng, name, dev, entry, before[0])


def _entry_transition(eng: Any, name: str, dev: Dev, entry: int, was_live: bool) -> None:
    msix = dev["msix"]
    if was_live or not msix_live(msix, entry):
        return
    if LATCH_ON_UNMASK in dev["quirks"]:
        e = msix["table"][entry]
        msix["latched"][entry] = [e["addr_lo"], e["addr_hi"], e["data"]]
    if msix["pba"][entry]:
        _schedule_release(eng, name, msix, entry)


def table_write_raw(eng: Any, cpu: int, name: str, offset: int, value: int, size: int) -> None:
    """A raw write at a byte offset into the table (the ``write`` action), merged byte-wise."""
    entry, within = divmod(offset, ENTRY_SIZE)
    reg = ENTRY_REGS[within // 4]
    cur = eng.w["devices"][name]["msix"]["table"][entry][reg]
    shift = (within % 4) * 8
    width_mask = (1 << (8 * size)) - 1
    merged = (cur & ~(width_mask << shift)) | ((value & width_mask) << shift)
    table_write(eng, cpu, name, entry, reg, merged)


def table_read(eng: Any, cpu: int, name: str, entry: int, reg: str) -> int:
    value = int(eng.w["devices"][name]["msix"]["table"][entry][reg])
    eng.emit(K.MSIX_READ, cpu, name, entry, eng.s(reg), value)
    return value


# --- signals ------------------------------------------------------------------------------------
def signal(eng: Any, name: str, idx: int) -> None:
    """The device signals vector ``idx`` (the ``fire`` action, or a doorbell completion)."""
    w = eng.w
    dev = w["devices"][name]
    a = w["acct"][name]
    a["raised"][idx] += 1
    msix = dev["msix"]
    if msix is not None and msix["ctrl"] & MSIX_ENABLE:
        _signal_msix(eng, name, dev, msix, idx, a)
        return
    msi = dev["msi"]
    if msi is not None and msi["ctrl"] & MSI_ENABLE:
        _signal_msi(eng, name, dev, msi, idx, a)
        return
    eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("MSI and MSI-X disabled"))
    acct.lost(eng, name, idx, 1, "raised while neither MSI nor MSI-X was enabled (INTx is not modelled)")


def _signal_msix(eng: Any, name: str, dev: Dev, msix: dict[str, Any], idx: int, a: dict[str, Any]) -> None:
    table = msix["table"]
    if idx >= len(table):
        eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("no such MSI-X entry"))
        acct.lost(eng, name, idx, 1, "named an entry beyond the MSI-X table")
        return
    if (msix["ctrl"] & MSIX_MASKALL or table[idx]["ctrl"] & ENTRY_MASKBIT) and not (
            dev.get("pirq_unmasked") and not table[idx]["data"] & 0xFF):
        msix["pba"][idx] = 1
        a["held"][idx] += 1
        why = "function masked" if msix["ctrl"] & MSIX_MASKALL else "entry masked"
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s(f"PBA: {why}"))
        return
    e = table[idx]
    msg = msix["latched"][idx] if LATCH_ON_UNMASK in dev["quirks"] else None
    if msg is None:
        msg = [e["addr_lo"], e["addr_hi"], e["data"]]
    emit_message(eng, name, idx, msg, 1, a["intended"][idx])


def _signal_msi(eng: Any, name: str, dev: Dev, msi: dict[str, Any], idx: int, a: dict[str, Any]) -> None:
    nvec = 1 << ((msi["ctrl"] >> 4) & 7)
    if idx >= nvec:
        eng.emit(K.MSI_DROPPED, -1, name, idx, eng.s("MSI message not enabled"))
        acct.lost(eng, name, idx, 1, f"used MSI message {idx} but only {nvec} are enabled")
        return
    if _blocked_by_msix_mask(dev, idx):
        a["held"][idx] += 1
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI-X entry mask (quirk)"))
        eng.hit(hits.MSI_BLOCKED_BY_MSIX_MASK,
                f"{name} MSI message {idx} suppressed by MSI-X entry {idx}'s mask bit while MSI-X is disabled")
        return
    if msi["ctrl"] & MSI_PVM and msi["mask"] >> idx & 1 and not (dev.get("pirq_unmasked") and not msi["data"] & 0xFF):
        msi["pending"] |= 1 << idx
        a["held"][idx] += 1
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI pending bit: vector masked"))
        return
    emit_message(eng, name, idx, msi_message(dev, idx), 1, a["msi_intended"], msi_programmed(dev))


def _blocked_by_msix_mask(dev: Dev, idx: int) -> bool:
    """The Marvell quirk: MSI-X entry mask bits gate plain MSI while MSI-X is disabled."""
    msix = dev["msix"]
    if msix is None or MSIX_MASK_WHEN_DISABLED not in dev["quirks"] or idx >= len(msix["table"]):
        return False
    return bool(msix["table"][idx]["ctrl"] & ENTRY_MASKBIT)


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
    dev = eng.w["devices"][name]
    a = eng.w["acct"][name]
    msix = dev["msix"]
    if msix is not None and msix["ctrl"] & MSIX_ENABLE:
        msix["releasing"][idx] = 0
        if not msix_live(msix, idx) or not msix["pba"][idx]:
            eng.emit(K.MSI_HELD, -1, name, idx, eng.s("PBA: masked again before release"))
            return
        msix["pba"][idx] = 0
        n, a["held"][idx] = a["held"][idx], 0
        e = msix["table"][idx]
        msg = msix["latched"][idx] if LATCH_ON_UNMASK in dev["quirks"] else None
        emit_message(eng, name, idx, msg or [e["addr_lo"], e["addr_hi"], e["data"]], n, a["intended"][idx])
        return
    msi = dev["msi"]
    msi["releasing"] &= ~(1 << idx)
    if not msi["pending"] >> idx & 1 or msi["mask"] >> idx & 1 or not msi["ctrl"] & MSI_ENABLE:
        eng.emit(K.MSI_HELD, -1, name, idx, eng.s("MSI pending bit: not released"))
        return
    msi["pending"] &= ~(1 << idx)
    n, a["held"][idx] = a["held"][idx], 0
    emit_message(eng, name, idx, msi_message(dev, idx), n, a["msi_intended"], msi_programmed(dev))


def emit_message(eng: Any, name: str, idx: int, msg: list[int], n: int, intended: list[list[int]],
                 programmed: list[int] | None = None) -> None:
    """The message goes on the bus: one ``msi.msg`` event, then the platform routes it.

    ``programmed`` is the register triple the message came from (MSI ORs the message index
    into data); it is torn when the kernel never programmed that triple as a whole.
    """
    lo, hi, data = msg
    if intended and (programmed or msg) not in intended:
        eng.hit(hits.MSI_TORN_MESSAGE,
                f"{name} vector {idx} sent address {(hi << 32) | lo:#x} data {data:#x}, "
                "a pair the kernel never programmed together")
    dest_cpu = bus.deliver(eng, name, idx, lo, hi, data, n)
    eng.emit(K.MSI_MSG, dest_cpu, name, idx, column((hi << 32) | lo), data)
