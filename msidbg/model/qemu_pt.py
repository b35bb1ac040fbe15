"""QEMU xen-pt's handlers, as programs of QEMU's context (hw/xen/xen_pt_msi.c, xen_pt_config_init.c).

* ``pci_msix_write`` (an address/data write): ignored when it changes nothing -- from
  c976437c7dba only on an entry that has a pirq. Before the latched table
  (``platform.qemu_msix_latch`` false: qemu-xen <= 4.6, qemu-traditional) a write to an entry
  whose *physical* Vector Control is unmasked while MSI-X is enabled is dropped ("Can't update
  msix entry %d since MSI-X is already enabled"); otherwise the value is stored and the entry
  marked ``updated``. A Vector Control write that unmasks an entry while MSI-X is enabled runs
  ``xen_pt_msix_update_one`` (latched table: only for an ``updated`` entry, with the physical
  Vector Control, before the value is stored). ``platform.xen_pt_bind: on-write`` (a
  hypothetical reading, no QEMU source) also runs it when a pirq message's data is written.
  ``platform.qemu_writes_phys_mask`` (the 2008 tools/ioemu ``mask_physical_msix_entry``)
  writes the guest's mask bit to the physical entry after every Vector Control write.
* ``xen_pt_msix_update_one``: nothing unless ``updated``; the latched table takes the guest's
  address/data only when the entry has no pirq, the function or the entry is masked; a pirq
  message names the pirq (vector 0, pirq in the destination id); an entry without a pirq is
  mapped (PHYSDEVOP_map_pirq), then bound (``xc_domain_update_msi_irq`` ->
  ``pt_irq_create_bind``) with the pirq the message names. A failed bind unmaps the entry's
  own pirq and forgets it.
* Message Control: Enable with Function Mask clear runs ``xen_pt_msix_update`` (every entry);
  clearing Enable runs ``xen_pt_msix_disable`` (physical Enable off, each pirq unbound and
  unmapped) only from c976437c7dba (``qemu_unmap_pirq_on_msi_disable``); before it, clearing
  Enable changes nothing but QEMU's ``enabled``: pirqs stay mapped and bound, QEMU keeps them.
* MSI: Enable maps the message's pirq once and binds it (``xen_pt_msi_setup``); an address/data
  write re-binds QEMU's own ``msi->pirq`` (``xen_pt_msi_update`` never reads the pirq from the
  message), so before c976437c7dba a re-probed guest's new pirq is never mapped: the device keeps
  the old one; a failed re-bind unmaps it and leaves MSI set up without a pirq. A failed first
  map or bind ("Can not map MSI" / "Can not bind MSI") leaves MSI uninitialized and keeps Enable
  from the device (every qemu-xen read, 4.4.0 .. 4.7.0-rc4). Disabling
  unbinds and unmaps (c976437c7dba), or before it changes nothing. Mask Bits writes stay in
  QEMU from XSA-129 (``qemu_msi_mask_emulated``); before it they reach the device.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device, probes
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model import xen as X
from msidbg.model import xencite as C
from msidbg.model.hw import (
    CMD_MEMORY,
    ENTRY_MASKBIT,
    MSI_CTRL,
    MSI_ENABLE,
    MSIX_CTRL,
    MSIX_ENABLE,
    MSIX_MASKALL,
    PCI_COMMAND,
)
from msidbg.model.qemu import (
    _REG,
    CMD_INTX_DISABLE,
    CMD_RES_MASK,
    UNASSIGNED,
    _dropped,
    cfg_answer,
    cmd_emu_mask,
    emu,
    mapped,
    msix_answer,
)
from msidbg.sim.events import HEX, INT, STR, kind
from msidbg.sim.program import program

QEMU_CFG = kind("qemu.cfg_write", ("offset", HEX), ("value", HEX), ("reg", STR),
                doc="QEMU emulates a guest config write (xen_pt_pci_write_config)")
QEMU_MSIX = kind("qemu.msix_write", ("entry", INT), ("value", HEX), ("how", STR),
                 doc="QEMU handles a guest MSI-X table write (pci_msix_write): register and what it did")
QEMU_MAP = kind("qemu.map_pirq", ("entry", INT), ("pirq", INT), ("rc", INT),
                doc="QEMU asks Xen to map a pirq for an entry (PHYSDEVOP_map_pirq)")
QEMU_BIND = kind("qemu.bind_pirq", ("entry", INT), ("pirq", INT), ("rc", INT),
                 doc="QEMU binds a pirq to the guest (xc_domain_update_msi_irq -> pt_irq_create_bind)")
QEMU_UNBIND = kind("qemu.unbind_pirq", ("entry", INT), ("pirq", INT), ("rc", INT),
                   doc="QEMU unbinds a pirq (pt_irq_destroy_bind)")
QEMU_UNMAP = kind("qemu.unmap_pirq", ("entry", INT), ("pirq", INT), ("rc", INT),
                  doc="QEMU unmaps a pirq (PHYSDEVOP_unmap_pirq): Xen may hand it out again")

WRITABLE_MSI_CTRL = MSI_ENABLE | (0x7 << 4)


def msg_pirq(lo: int, hi: int, data: int, fallback: int) -> int:
    """The pirq a guest message asks for: vector 0 means "pirq in the destination id"."""
    if data & 0xFF:
        return fallback
    pirq = (hi & 0xFFFFFF00) | ((lo >> 12) & 0xFF)
    return pirq if pirq else UNASSIGNED


def _merge(cur: int, roff: int, width: int, offset: int, value: int, size: int) -> int:
    for byte in range(max(roff, offset), min(roff + width, offset + size)):
        shift = (byte - roff) * 8
        cur = (cur & ~(0xFF << shift)) | (((value >> ((byte - offset) * 8)) & 0xFF) << shift)
    return cur


def _covered(d: dict[str, Any], offset: int, size: int) -> tuple[int, int, str] | None:
    for roff, width, reg in device.cfg_layout(d):
        if max(roff, offset) < min(roff + width, offset + size):
            return roff, width, reg
    return None


# --- guest reads (an ioreq like a write: answered when QEMU serves it) ----------------------------------
cfg_read = program("xen_pt_pci_read_config", "QEMU: answer a guest config read from its emulation and the device",
                   source=(C.QEMU_ONE_IOREQ, C.QEMU_CFG_READ))


@cfg_read.step
def answer_cfg(k: Any, loc: dict[str, Any]) -> None:
    cfg_answer(k, loc["dev"], loc["name"], loc["offset"])


tbl_read = program("pci_msix_read", "QEMU: answer a guest read of the emulated MSI-X table",
                   source=(C.QEMU_ONE_IOREQ, C.QEMU_MSIX_READ))


@tbl_read.step
def answer_msix(k: Any, loc: dict[str, Any]) -> None:
    msix_answer(k, loc["dev"], loc["entry"], loc["reg"])


# --- config writes ---------------------------------------------------------------------------------
cfg = program("xen_pt_pci_write_config", "QEMU: emulate a guest config write, then write the device",
              source=(C.QEMU_CFG_44, C.QEMU_CFG_47, C.QEMU_C976437, C.QEMU_XSA129))


@cfg.step
def emulate(k: Any, loc: dict[str, Any]) -> None:
    dev = loc["dev"]
    d, e = k.w.devices[dev], emu(k.w, dev)
    hit = _covered(d, loc["offset"], loc["size"])
    reg = hit[2] if hit else "other"
    k.ev(QEMU_CFG, dev, loc["offset"], loc["value"], k.s(reg), cost="trap")
    loc["phys"] = loc["value"]
    if reg == "cmd":
        was = e["cmd"] & CMD_MEMORY
        _cmd(k, loc, d, e, cmd_emu_mask(k.w))
        if e["cmd"] & CMD_MEMORY != was:    # provenance: what maps (or unmaps) QEMU's table
            P = k.eng.prov
            P.write(PC.QEMU, PK.key(PK.QCMD, P.dev(dev)), e["cmd"],
                    note=f"{dev}'s emulated Command := {e['cmd']:#x}: Memory Space "
                    + ("on, the BAR (and its MSI-X table region) mapped again" if not was else
                       "off, the BAR (and its MSI-X table region) unmapped (pci_update_mappings)"))
        return
    if hit is None:
        return
    roff, width, _ = hit
    if reg == "msix_ctrl":
        _msix_ctrl(k, loc, e["msix"], _merge(e["msix"]["ctrl"], roff, width, loc["offset"], loc["value"], loc["size"]))
    elif reg == "msi_ctrl":
        _msi_ctrl(k, loc, e["msi"], _merge(e["msi"]["ctrl"], roff, width, loc["offset"], loc["value"], loc["size"]))
    elif reg == "mask" and k.w.behaviour["qemu_msi_mask_emulated"]:
        # XSA-129: Mask Bits is emulated read-only (emu_mask = ro_mask = 0xFFFFFFFF): xen_pt_long_reg_write changes
        # neither QEMU's register (writable_mask 0: the guest reads 0) nor the device (throughable_mask 0: *val =
        # dev_value), and xen_pt_mask_reg_write (2d0ed5e642) keeps that value -- the device's own Mask Bits, read
        # by xen_pt_pci_write_config -- in msi->mask, the bit a later bind's unmask flag follows (reading
        # qemu.msi-mask-write-keeps-device-bits)
        e["msi"]["mask"] = int(d["msi"]["mask"])
        loc["phys"] = None
    else:
        msi = e["msi"]
        old = msi[reg]
        msi[reg] = _merge(old, roff, width, loc["offset"], loc["value"], loc["size"])
        if reg != "mask":
            loc["phys"] = None      # address and data (and, from XSA-129, mask bits) stay in QEMU
        if reg != "mask" and msi["initialized"] and msi[reg] != old:
            # xen_pt_msgaddr32/64_reg_write, xen_pt_msgdata_reg_write: 'if (*data != old_addr) { if
            # (s->msi->mapped) xen_pt_msi_update(s); }' -- a write of the value QEMU holds re-binds nothing
            k.call("xen_pt_msi_update", dev=dev)


def _cmd(k: Any, loc: dict[str, Any], d: dict[str, Any], e: dict[str, Any], emu_mask: int) -> None:
    """xen_pt_cmd_reg_write: every writable bit is stored in QEMU's register; the device gets the
    throughable ones (not emulated, not reserved: Bus Master Enable among them), plus INTx Disable
    when the guest sets it, or clears it on a function whose pin realize mapped and bound
    (``if (s->machine_irq)``: an ``intx:`` pin on xen-hvm). From XSA-126 (``emu_mask`` 0x0743) Memory
    Space stays as pciback and QEMU's realize left it (on); before it (0x0740, 727b998448's parent) the
    guest's decode bits are throughable and reach the device. QEMU's register takes the guest's value
    on both sides (writable_mask = ~ro_mask), so its BAR mapping follows the guest either way."""
    guest = (d["cmd"] & ~emu_mask) | (e["cmd"] & emu_mask)
    guest = _merge(guest, PCI_COMMAND, 2, loc["offset"], loc["value"], loc["size"])
    was_mapped = bool(e["cmd"] & CMD_MEMORY)
    e["cmd"] = guest & ~CMD_RES_MASK
    through = ~(emu_mask | CMD_RES_MASK) & 0xFFFF
    if guest & CMD_INTX_DISABLE or (d.get("intx") or {}).get("mgsi") is not None:
        through |= CMD_INTX_DISABLE     # set, or cleared with s->machine_irq (a pin realize mapped and bound)
    loc["cmd"] = (guest & through) | (d["cmd"] & ~through)
    if e.get("msix") is not None and not was_mapped and guest & CMD_MEMORY:
        # pci_update_mappings maps the BAR again; at the transaction's commit (before the write
        # reaches the device) xen_pt_region_add sees the MSI-X table region: xen_pt_msix_update_remap
        k.call("xen_pt_msix_update_remap", dev=loc["dev"])


def _msix_ctrl(k: Any, loc: dict[str, Any], m: dict[str, Any], value: int) -> None:
    bits = value & (MSIX_ENABLE | MSIX_MASKALL)
    m["ctrl"] = bits
    loc["bits"] = bits
    if bits & MSIX_ENABLE and not bits & MSIX_MASKALL:
        k.call("xen_pt_msix_update", dev=loc["dev"])
    elif not bits & MSIX_ENABLE and m["enabled"] and k.w.behaviour["qemu_unmap_pirq_on_msi_disable"]:
        k.call("xen_pt_msix_disable", dev=loc["dev"])      # c976437c7dba; before it: nothing


def _msi_ctrl(k: Any, loc: dict[str, Any], msi: dict[str, Any], value: int) -> None:
    msi["ctrl"] = (msi["ctrl"] & ~WRITABLE_MSI_CTRL) | (value & WRITABLE_MSI_CTRL)
    loc["bits"] = value & MSI_ENABLE    # Multiple Message Enable stays emulated
    if value & MSI_ENABLE and not msi["initialized"]:
        loc["setup"] = True     # write_through reads its result (``ret``)
        k.call("xen_pt_msi_setup", dev=loc["dev"])
    elif not value & MSI_ENABLE and msi["initialized"] and k.w.behaviour["qemu_unmap_pirq_on_msi_disable"]:
        k.call("xen_pt_msi_disable", dev=loc["dev"])       # c976437c7dba; before it: nothing


@cfg.step
def write_through(k: Any, loc: dict[str, Any]) -> None:
    """The merged value reaches the device; Enable (and Function Mask) pass through."""
    dev = loc["dev"]
    d, e = k.w.devices[dev], emu(k.w, dev)
    if loc["phys"] is None:
        return
    offset, size, value = loc["offset"], loc["size"], loc["phys"]
    if "cmd" in loc:
        offset, size, value = PCI_COMMAND, 2, loc["cmd"]
    elif "bits" in loc and e["msix"] is not None and (_covered(d, offset, size) or (0, 0, ""))[2] == "msix_ctrl":
        # the register emulate() merged the write into (a write may start before it: at the capability
        # header, as a 4-byte write at MSIX_CAP does -- it used to be taken for MSI's Message Control)
        e["msix"]["enabled"] = bool(loc["bits"] & MSIX_ENABLE)
        e["msix"]["maskall"] = bool(loc["bits"] & MSIX_MASKALL)
        offset, size, value = MSIX_CTRL, 2, (d["msix"]["ctrl"] & ~(MSIX_ENABLE | MSIX_MASKALL)) | loc["bits"]
        # QEMU's write reaches the device through dom0's config access, which Xen intercepts (4.6+: the Function
        # Mask while host_maskall is set -- xen33, reading xen.msix-memory-decoded)
        value = X.dom0_msix_ctrl(k.w, dev, value)
    elif "bits" in loc:
        bits = loc["bits"]
        if loc.get("setup") and loc.get("ret", 0):
            # xen_pt_msgctrl_reg_write: "Can not map MSI." / "Can not bind MSI": *val &= ~PCI_MSI_FLAGS_ENABLE
            # -- the device is not enabled (QEMU keeps MSI uninitialized; the next Enable write retries)
            bits &= ~MSI_ENABLE
        offset, size, value = MSI_CTRL, 2, (d["msi"]["ctrl"] & ~MSI_ENABLE) | bits
    device.cfg_write(k.eng, -1, dev, offset, value, size)
    k.touched("cfg_write")


# --- the MSI-X table -----------------------------------------------------------------------------------
tbl = program("pci_msix_write", "QEMU: a guest write to the emulated MSI-X table",
              source=(C.QEMU_MSI_44, C.QEMU_MSI_47, C.QEMU_TRAD, C.IOEMU_2008))


@tbl.step
def latch(k: Any, loc: dict[str, Any]) -> None:
    dev, entry, reg, value = loc["dev"], loc["entry"], loc["reg"], loc["value"]
    p = k.w.behaviour
    m = emu(k.w, dev)["msix"]
    e = m["entries"][entry]
    phys = k.w.devices[dev]["msix"]["table"][entry]["ctrl"]     # vec_ctrl, read from the hardware
    if loc.get("size", 4) < 4:
        # memory_region_access_valid: pci_msix_ops' valid.min_access_size is 4 -- never dispatched
        k.ev(QEMU_MSIX, dev, entry, value, k.s(f"{reg} dropped: {loc['size']}-byte access (min_access_size 4)"),
             cost="trap")
        k.ret(0)
        return
    if not mapped(k.w, dev):
        # QEMU is the default ioreq server (platform.qemu_ioreq_server false) but its table region is
        # not in the memory map (Memory Space off): unassigned_mem_write, pci_msix_write never runs
        _dropped(k, dev, entry, reg, value, "QEMU's unassigned_mem_write")
        k.ev(QEMU_MSIX, dev, entry, value, k.s(f"{reg} dropped: table unmapped (Memory Space off)"), cost="trap")
        k.ret(0)
        return
    if reg == "ctrl":
        how = "stored"
        if m["enabled"] and not value & ENTRY_MASKBIT and (e["updated"] or not p["qemu_msix_latch"]):
            how = "stored, unmask: update"
            k.call("xen_pt_msix_update_one", dev=dev, entry=entry, vec_ctrl=phys)
        e["latch"][3] = value
        _latched(k, dev, entry, 3, value)
        k.ev(QEMU_MSIX, dev, entry, value, k.s(f"ctrl {how}"), cost="trap")
        return
    if e["latch"][_REG[reg]] == value and (e["pirq"] != UNASSIGNED or not p["qemu_unmap_pirq_on_msi_disable"]):
        how = "unchanged"
    elif not p["qemu_msix_latch"] and m["enabled"] and not phys & ENTRY_MASKBIT:
        how = "dropped: MSI-X enabled and the entry unmasked"
    else:
        how = "stored"
        e["updated"] = True
        e["latch"][_REG[reg]] = value
        _latched(k, dev, entry, _REG[reg], value)
        if reg == "data" and m["enabled"] and not value & 0xFF and p["xen_pt_bind"] == "on-write":
            k.call("xen_pt_msix_update_one", dev=dev, entry=entry, vec_ctrl=phys)
    k.ev(QEMU_MSIX, dev, entry, value, k.s(f"{reg} {how}"), cost="trap")
    if how != "stored":
        k.ret(0)


def _latched(k: Any, dev: str, entry: int, reg: int, value: int) -> None:
    """Provenance: QEMU's emulated entry now holds what the guest wrote (and will read back)."""
    P = k.eng.prov
    P.write(PC.QEMU, PK.key(PK.QREG, PK.reg_payload(P.dev(dev), entry, reg)), value,
            also=(PK.key(PK.QENTRY, PK.dev_entry(P.dev(dev), entry)),),
            note=f"{dev} entry {entry} latch[{reg}] := {value:#x} (what the guest wrote, and reads back)")


@tbl.step
def latched(k: Any, loc: dict[str, Any]) -> None:
    """The 2008 tools/ioemu ``mask_physical_msix_entry``: the guest's bit reaches the device."""
    if loc["reg"] == "ctrl" and k.w.behaviour["qemu_writes_phys_mask"]:
        value = emu(k.w, loc["dev"])["msix"]["entries"][loc["entry"]]["latch"][3] & ENTRY_MASKBIT
        device.table_write(k.eng, -1, loc["dev"], loc["entry"], "ctrl", value)
        k.touched("mmio_write")
    k.ret(0)


update = program("xen_pt_msix_update", "QEMU: map and bind every updated MSI-X entry",
                 source=C.QEMU_CFG_44)


@update.step
def each_entry(k: Any, loc: dict[str, Any]) -> None:
    i = loc.get("i", 0)
    if i >= len(emu(k.w, loc["dev"])["msix"]["entries"]):
        k.ret(0)
        return
    loc["i"] = i + 1
    ctrl = emu(k.w, loc["dev"])["msix"]["entries"][i]["latch"][3]
    k.call_then("each_entry", "xen_pt_msix_update_one", dev=loc["dev"], entry=i, vec_ctrl=ctrl, latched_ctrl=True)


one = program("xen_pt_msix_update_one", "QEMU: msi_msix_setup (map) + msi_msix_update (bind)",
              source=(C.QEMU_UPDATE, C.QEMU_MSI_47, C.XEN_QEMU_410))


@one.step
def setup(k: Any, loc: dict[str, Any]) -> None:
    dev, entry = loc["dev"], loc["entry"]
    m = emu(k.w, dev)["msix"]
    e = m["entries"][entry]
    if not e["updated"]:
        k.ret(0)
        return
    # latched table: the guest's address/data take effect only on an entry without a pirq, or
    # masked; before it, what QEMU stored is the message (writes to a live entry were dropped)
    if (not k.w.behaviour["qemu_msix_latch"] or e["pirq"] == UNASSIGNED or m["maskall"]
            or loc["vec_ctrl"] & ENTRY_MASKBIT):
        e["addr_lo"], e["addr_hi"], e["data"] = e["latch"][0], e["latch"][1], e["latch"][2]
    loc["pirq"] = msg_pirq(e["addr_lo"], e["addr_hi"], e["data"], e["pirq"])
    if e["pirq"] != UNASSIGNED:
        return
    P = k.eng.prov
    d = P.dev(dev)
    P.dep(PC.D_VALUE, PK.key(PK.QENTRY, PK.dev_entry(d, entry)))
    rc = X.map_pirq(k.eng, loc["pirq"], dev, entry, "msix")
    refused = X.refusal(k.eng)      # Xen's refusal (xen.note_exhausted), if the pirq range ran out
    k.ev(QEMU_MAP, dev, entry, loc["pirq"], rc, cost="hypercall")
    if rc < 0:
        # provenance (whyheld8): the entry gets no pirq -- xen_pt_msix_update_one logs "Mapping of MSI-X ... failed"
        # and nothing binds it, so Xen never unmasks its physical entry: a signal held there links this
        if k.eng.fresh and P.on:
            if refused >= 0:
                P.dep_writer(PC.D_CAUSE, PK.key(PK.PIRQ, k.w.xen["nr_irqs_gsi"]), refused)
            P.write(PC.QEMU, PK.key(PK.QPIRQ, PK.dev_entry(d, entry)), rc,
                    note=f"xen_pt_msix_update_one: PHYSDEVOP_map_pirq for {dev} entry {entry} fails ({rc}): the entry "
                    "has no pirq, nothing binds it and Xen never unmasks its physical entry")
        k.ret(rc)
        return
    e["pirq"] = loc["pirq"] = rc


@one.step
def bind(k: Any, loc: dict[str, Any]) -> None:
    dev, entry = loc["dev"], loc["entry"]
    e = emu(k.w, dev)["msix"]["entries"][entry]
    # msi_msix_update(..., masked = vec_ctrl & MASKBIT): from qemu-xen-4.10 (platform.qemu_bind_unmask) an
    # entry unmasked at bind time carries XEN_DOMCTL_VMSI_X86_UNMASKED
    unmasked = bool(k.w.behaviour["qemu_bind_unmask"]) and not loc["vec_ctrl"] & ENTRY_MASKBIT
    # provenance: the guest vector and destination are the emulated entry's; the mask, its latched
    # Vector Control when xen_pt_msix_update read it from there
    P = k.eng.prov
    d = P.dev(dev)
    P.dep(PC.D_VALUE, PK.key(PK.QENTRY, PK.dev_entry(d, entry)))
    mask_key = PK.key(PK.QREG, PK.reg_payload(d, entry, 3)) if loc.get("latched_ctrl") else -1
    rc = X.pt_bind(k.eng, loc["pirq"], dev, entry, e["data"] & 0xFF, X.gflags(e["addr_lo"]), unmasked, mask_key)
    k.ev(QEMU_BIND, dev, entry, loc["pirq"], rc, cost="hypercall")
    if rc == 0:
        e["updated"] = False
        k.ret(0)
    loc["rc"] = rc


@one.step
def unmap_old(k: Any, loc: dict[str, Any]) -> None:
    """"Updating of MSI-X failed": the entry's old pirq is unmapped and forgotten."""
    dev, entry = loc["dev"], loc["entry"]
    e = emu(k.w, dev)["msix"]["entries"][entry]
    old, e["pirq"] = e["pirq"], UNASSIGNED
    k.ev(QEMU_UNMAP, dev, entry, old, X.unmap_pirq(k.eng, old), cost="hypercall")
    k.ret(loc["rc"])


remap = program("xen_pt_msix_update_remap", "QEMU: the MSI-X table's BAR was mapped again -- unbind and re-bind "
                "every entry with a pirq", source=C.QEMU_REMAP)


@remap.step
def remap_unbind(k: Any, loc: dict[str, Any]) -> None:
    """Each entry with a pirq: xc_domain_unbind_pt_irq (an error is only logged) and ``updated``."""
    entries = emu(k.w, loc["dev"])["msix"]["entries"]
    i = loc.get("i", 0)
    while i < len(entries) and entries[i]["pirq"] == UNASSIGNED:
        i += 1
    if i >= len(entries):
        k.goto("remap_update")
        return
    loc["i"] = i + 1
    e = entries[i]
    e["updated"] = True
    k.ev(QEMU_UNBIND, loc["dev"], i, e["pirq"], X.pt_unbind(k.eng, e["pirq"]), cost="hypercall")
    k.goto("remap_unbind")


@remap.step
def remap_update(k: Any, loc: dict[str, Any]) -> None:
    k.call_then("remap_done", "xen_pt_msix_update", dev=loc["dev"])


@remap.step
def remap_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


disable = program("xen_pt_msix_disable", "QEMU: the guest cleared MSI-X Enable",
                  source=C.QEMU_C976437)


@disable.step
def phys_off(k: Any, loc: dict[str, Any]) -> None:
    d = k.w.devices[loc["dev"]]
    device.cfg_write(k.eng, -1, loc["dev"], MSIX_CTRL, d["msix"]["ctrl"] & ~MSIX_ENABLE, 2)
    k.touched("cfg_write")
    loc["i"] = 0


@disable.step
def each_pirq(k: Any, loc: dict[str, Any]) -> None:
    entries = emu(k.w, loc["dev"])["msix"]["entries"]
    while loc["i"] < len(entries) and entries[loc["i"]]["pirq"] == UNASSIGNED:
        entries[loc["i"]]["updated"] = False
        loc["i"] += 1
    if loc["i"] >= len(entries):
        k.ret(0)
        return
    pirq = entries[loc["i"]]["pirq"]
    loc["rc"] = X.pt_unbind(k.eng, pirq)
    k.ev(QEMU_UNBIND, loc["dev"], loc["i"], pirq, loc["rc"], cost="hypercall")


@disable.step
def unmap(k: Any, loc: dict[str, Any]) -> None:
    """c976437c7dba: free the pirq too. Before it, the pirq stayed mapped (and unusable)."""
    e = emu(k.w, loc["dev"])["msix"]["entries"][loc["i"]]
    pirq = e["pirq"]
    e["pirq"], e["updated"] = UNASSIGNED, False
    loc["i"] += 1
    k.goto("each_pirq")
    if loc["rc"] == 0 and k.w.behaviour["qemu_unmap_pirq_on_msi_disable"]:
        k.ev(QEMU_UNMAP, loc["dev"], loc["i"] - 1, pirq, X.unmap_pirq(k.eng, pirq), cost="hypercall")


# --- MSI ---------------------------------------------------------------------------------------------------
msi_setup = program("xen_pt_msi_setup", "QEMU: MSI enabled -- map and bind the message's pirq",
                    source=C.QEMU_MSI_SETUP)


@msi_setup.step
def msi_map(k: Any, loc: dict[str, Any]) -> None:
    msi = emu(k.w, loc["dev"])["msi"]
    want = msg_pirq(msi["addr_lo"], msi["addr_hi"], msi["data"], UNASSIGNED)
    rc = X.map_pirq(k.eng, want, loc["dev"], 0, "msi")
    k.ev(QEMU_MAP, loc["dev"], 0, want, rc, cost="hypercall")
    if rc < 0:
        k.ret(rc)
        return
    msi["pirq"] = rc


@msi_setup.step
def msi_bind(k: Any, loc: dict[str, Any]) -> None:
    k.call("xen_pt_msi_update", dev=loc["dev"])


@msi_setup.step
def msi_setup_done(k: Any, loc: dict[str, Any]) -> None:
    """xen_pt_msgctrl_reg_write checks xen_pt_msi_update's result as well as the map's."""
    k.ret(loc.get("ret", 0))


msi_update = program("xen_pt_msi_update", "QEMU: (re)bind MSI with the emulated message's pirq",
                     source=(C.QEMU_MSI_SETUP, C.XEN_QEMU_410))


@msi_update.step
def msi_rebind(k: Any, loc: dict[str, Any]) -> None:
    msi = emu(k.w, loc["dev"])["msi"]
    pirq = msi["pirq"]   # xen_pt_msi_update passes msi->pirq: the message's pirq only counts at setup
    # msi_msix_update: gvec = msi_vector(data), gflags from the address (destination), as for MSI-X
    # from qemu-xen-4.10 (platform.qemu_bind_unmask) unmasked unless QEMU's emulated Mask Bit 0 is set
    unmasked = bool(k.w.behaviour["qemu_bind_unmask"]) and not msi["mask"] & 1
    rc = X.pt_bind(k.eng, pirq, loc["dev"], 0, msi["data"] & 0xFF, X.gflags(msi["addr_lo"]), unmasked, msi=True)
    k.ev(QEMU_BIND, loc["dev"], 0, pirq, rc, cost="hypercall")
    if rc == 0:
        msi["initialized"] = True   # setup's bind succeeded (a failed later update leaves it set)
        k.ret(0)
    loc["rc"] = rc


@msi_update.step
def msi_unmap_old(k: Any, loc: dict[str, Any]) -> None:
    msi = emu(k.w, loc["dev"])["msi"]
    old, msi["pirq"] = msi["pirq"], UNASSIGNED
    k.ev(QEMU_UNMAP, loc["dev"], 0, old, X.unmap_pirq(k.eng, old), cost="hypercall")
    k.ret(loc["rc"])


msi_disable = program("xen_pt_msi_disable", "QEMU: MSI disabled -- unbind and unmap",
                      source=(C.QEMU_MSI_SETUP, C.QEMU_C976437))


@msi_disable.step
def msi_unbind(k: Any, loc: dict[str, Any]) -> None:
    msi = emu(k.w, loc["dev"])["msi"]
    loc["rc"] = X.pt_unbind(k.eng, msi["pirq"])
    k.ev(QEMU_UNBIND, loc["dev"], 0, msi["pirq"], loc["rc"], cost="hypercall")


@msi_disable.step
def msi_unmap(k: Any, loc: dict[str, Any]) -> None:
    msi = emu(k.w, loc["dev"])["msi"]
    pirq = msi["pirq"]
    msi["pirq"], msi["initialized"] = UNASSIGNED, False
    if loc["rc"] == 0 and k.w.behaviour["qemu_unmap_pirq_on_msi_disable"]:
        k.ev(QEMU_UNMAP, loc["dev"], 0, pirq, X.unmap_pirq(k.eng, pirq), cost="hypercall")
    k.ret(0)


probes.NOT_GUEST.update(("xen_pt_pci_write_config", "pci_msix_write", "xen_pt_msix_update", "xen_pt_msix_update_one",
                         "xen_pt_msix_update_remap",
                         "xen_pt_msix_disable", "xen_pt_msi_setup", "xen_pt_msi_update", "xen_pt_msi_disable"))
