"""QEMU xen-pt: the guest's trapped config and MSI-X table accesses, and QEMU's own context.

On ``xen-hvm`` every guest access to a passthrough device's config space or MSI-X table is a
VM exit. Vector Control accesses to an entry Xen has bound are handled by Xen itself (the
msixtbl intercept); everything else becomes an ioreq that QEMU serves in its own context, one
at a time, while the guest vCPU waits. QEMU's work is programs (``model/qemu_pt.py``) with
frames on ``w.qemu["ctx"]``, so its call stack is visible like a CPU's. The guest sees
QEMU's emulated capability and table (``w.qemu["devs"]``), not the physical device's.

Reads and writes alike block the vCPU until QEMU has served them, in turn with every other vCPU's
ioreq (cpu_handle_ioreq takes one request at a time): a read is answered from QEMU's state when QEMU
serves it, so it sees the writes queued before it. Xen returns the value by emulating the instruction
again once the response is ready (hvmemul_do_io: STATE_IORESP_READY, "the emulation request has been
correctly re-issued"); the model runs the reading step again (``sim.program.Replay``), which then
takes the value QEMU left in its frame. Reads Xen answers itself (its vMSI-X intercept,
``vmsi.read``; its null handler for an unmapped table) are answered at once.

On ``xen-pv`` config accesses go to pciback through pcifront: Message Control's Enable bits
belong to pciback (only Function Mask passes), and the MSI-X table is read-only to the guest.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device, vmsi
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import (
    CMD_IO,
    CMD_MASTER,
    CMD_MEMORY,
    ENTRY_MASKBIT,
    MSI_64BIT,
    MSI_ENABLE,
    MSI_PVM,
    PCI_COMMAND,
)
from msidbg.model.kernel.hotplug import task_of
from msidbg.model.kernel.sw import sw_w
from msidbg.sim.events import HEX, INT, STR, kind
from msidbg.sim.program import Replay, run_step
from msidbg.sim.scheduler import EngineError

World = Any     # a world record (sim/rec.py WorldRec)
UNASSIGNED = -1
MAX_SILENT_STEPS = 10_000

IOREQ_CFG = kind("ioreq.cfg_write", ("offset", HEX), ("value", HEX), ("size", INT),
                 doc="a guest config write traps: the vCPU waits for QEMU")
IOREQ_MSIX = kind("ioreq.msix_write", ("entry", INT), ("reg", STR), ("value", HEX),
                  doc="a guest MSI-X table write traps: the vCPU waits for QEMU")
IOREQ_READ = kind("ioreq.msix_read", ("entry", INT), ("reg", STR),
                  doc="a guest MSI-X table read traps into QEMU: the vCPU waits for QEMU's answer (qemu.msix_read)")
IOREQ_CFG_READ = kind("ioreq.cfg_read", ("offset", HEX), ("reg", STR),
                      doc="a guest config read traps into QEMU: the vCPU waits for QEMU's answer (qemu.cfg_read)")
QEMU_MSIX_READ = kind("qemu.msix_read", ("entry", INT), ("reg", STR), ("value", HEX),
                      doc="QEMU answers a guest MSI-X table read (pci_msix_read) from its emulated table, as it is "
                          "when QEMU serves the ioreq")
QEMU_CFG_READ = kind("qemu.cfg_read", ("offset", HEX), ("value", HEX), ("reg", STR),
                     doc="QEMU answers a guest config read (xen_pt_pci_read_config): emulated bits from QEMU, "
                         "the rest from the device, as they are when QEMU serves the ioreq")
IOREQ_DONE = kind("qemu.ioreq_done", ("cpu", INT), doc="QEMU completes an ioreq: the vCPU resumes")
PV_DROPPED = kind("pcifront.dropped", ("offset", HEX), ("value", HEX), ("space", STR),
                  doc="a PV guest's write that goes nowhere: a config write (space: config) pciback drops -- "
                  "the MSI / MSI-X capability is read-only to the guest; a Command write for which dom0's "
                  "pci_is_enabled / is_busmaster ask no call after a pm_resume reset, or that changes no bit dom0's "
                  "calls own (an Interrupt Disable write: pciback keeps it in cmd->val) (value: the device's Command) "
                  "-- (space msix-table: no modelled path "
                  "emits it since kernel26 -- a domU's table store is a page fault, xen.pv.msix-table-fault)")


# --- state -------------------------------------------------------------------------------------
def build(scn: Any, w: World) -> None:
    """PLATFORM_BUILDERS hook (after Xen's): QEMU's emulated view of each passthrough device."""
    if w.platform["kind"] != "xen-hvm":
        return
    devs = {}
    for name in sorted(w.devices):
        d = w.devices[name]
        if d["passthrough"]:
            # the emulated Command starts at init_val 0 (xen_pt_emu_reg_header0); hvmloader's write below
            # goes through xen_pt_cmd_reg_write like any guest config write
            devs[name] = {"msix": _new_msix(d["msix"]),
                          "msi": _new_msi(d["msi"], w.behaviour["qemu_msi_mask_emulated"]),
                          "cmd": HVMLOADER_CMD & ~CMD_RES_MASK}
            # Bus Master is throughable: it reaches the device (before XSA-126 Memory Space too: it is on already)
            d["cmd"] |= HVMLOADER_CMD & ~cmd_emu_mask(w)
            continue
        d["cmd"] |= HVMLOADER_CMD                       # QEMU's own device model takes both bits
        if w.behaviour["qemu_msix_pirq_ignore_mask"]:
            # a device QEMU emulates itself (hw/pci/msix.c, msi.c): its mask bits do not hold a
            # pirq message (428c3ece97 "fix MSI injection on Xen")
            d["pirq_unmasked"] = True
    w.qemu = {"devs": devs, "ctx": {"stack": [], "wait": None}, "queue": [], "queued": False,
                 "busy_until": 0, "serving": None, "next_token": 1}


#: What hvmloader's ``pci_setup`` (the HVM guest's firmware, before the guest kernel runs) leaves in
#: every function's Command register: Bus Master for every function it finds (20553adcd9, Xen 3.4;
#: RELEASE-4.0.0 .. 4.22.0) and Memory Space once it has assigned a memory BAR (every modelled device
#: decodes memory: its MSI-X table and PBA, its registers). From a8e0c228c7 (4.14; its stable copies are
#: in 4.12.3 and 4.13.1) it first clears the
#: decode bits and writes Master | Memory after every BAR is assigned, instead of Master in the scan
#: and Memory per BAR: the order changes, the state the guest kernel finds does not (reading
#: ``xen.hvmloader-cmd``). Its writes trap into QEMU like the guest's: for a passed-through device the
#: decode bits land in QEMU's emulated register (the MSI-X table region is mapped; no entry has a pirq
#: yet, so xen_pt_msix_update_remap binds nothing) and Bus Master passes through to the device.
HVMLOADER_CMD = CMD_MEMORY | CMD_MASTER


def _new_msix(msix: dict[str, Any] | None) -> dict[str, Any] | None:
    if msix is None:
        return None
    # xen_pt_msix_init: g_malloc0 (qemu-xen), memset (qemu-traditional) -- every emulated
    # register starts at 0, Vector Control's Mask bit included (the physical entry resets to 1)
    entries = [{"latch": [0, 0, 0, 0], "addr_lo": 0, "addr_hi": 0, "data": 0,
                "pirq": UNASSIGNED, "updated": False} for _ in msix["table"]]
    return {"ctrl": 0, "enabled": False, "maskall": False, "entries": entries}


def _new_msi(msi: dict[str, Any] | None, mask_emulated: bool) -> dict[str, Any] | None:
    """Message Control as the guest reads it: XSA-129 (7611dae8a6) emulates Per-vector Masking
    as absent (emu_mask 0x017F, init 0); before it the device's bit shows through. Multiple Message
    Capable (bits 3:1) is emulated at ``init_val`` 0 in every tree (emu_mask 0x007F before XSA-129,
    0x017E after; xen_pt_msgctrl_reg_init returns init_val, qemu-xen-4.3.0 .. 4.7.0-rc4 and qemu/qemu
    hw/xen/xen_pt_config_init.c; qemu-traditional pt_msgctrl_reg_init, xen-4.0.0 .. xen-4.8.0): the guest
    sees a one-message MSI (redteam13; it saw the device's count)."""
    if msi is None:
        return None
    shown = MSI_64BIT | (0 if mask_emulated else MSI_PVM)
    return {"ctrl": msi["ctrl"] & shown, "addr_lo": 0, "addr_hi": 0, "data": 0,
            "mask": 0, "pirq": UNASSIGNED, "initialized": False}


def emu(w: World, dev: str) -> dict[str, Any]:
    return w.qemu["devs"][dev]


# --- the guest side of a trap -----------------------------------------------------------------------
def _block(k: Any, ioreq: dict[str, Any]) -> None:
    """Queue ``ioreq`` for QEMU; the calling vCPU context waits (no interrupts) until it is done.

    Whatever the vCPU was running: Xen cannot retire an instruction whose access went to an ioreq
    server before the server completes it (hvmemul_do_io: X86EMUL_RETRY; the vCPU sleeps in
    hvm_wait_for_io / wait_on_xen_event_channel, XEN_IOREQ_WAIT). A write from the interrupt
    context (an ack's irq_move_irq -> msi_set_affinity, a handler's unmask) waits as a process
    context's does: that CPU is in hardirq with interrupts off and takes nothing meanwhile."""
    q = k.w.qemu
    ioreq["token"] = q["next_token"]
    q["next_token"] += 1
    ioreq["cpu"] = k.cpu_id
    proc = k.cpu.proc
    ctx = k.ctx
    ioreq["blocks"] = ctx is proc or ctx is k.cpu.irq
    if ctx is proc:
        proc.wait = {"ioreq": ioreq["token"], "irqs_off": proc.irqs_off}
        proc.irqs_off = True
    elif ioreq["blocks"]:
        ioreq["in_irq"] = True
        ctx.wait = {"ioreq": ioreq["token"]}
    q["queue"].append(ioreq)
    what = f"{ioreq['reg']} of entry {ioreq['entry']}" if "entry" in ioreq else f"config offset {ioreq['offset']:#x}"
    access = "read of" if ioreq.get("read") else f"write of {ioreq['value']:#x} to"
    k.eng.prov.write(PC.GUEST, PK.key(PK.IOREQ, k.cpu_id), ioreq["token"],
                     note=f"the guest's {access} {ioreq['dev']}'s {what} traps into QEMU")
    _kick(k.eng)


def _trapped_read(k: Any, ioreq: dict[str, Any]) -> int:
    """A guest read QEMU serves: the value QEMU left in the reading frame, or (the step's first run)
    the ioreq queued, the vCPU waiting, and the step stopped (``Replay``) to run again once QEMU has
    answered -- Xen's re-issued emulation (hvmemul_do_io, STATE_IORESP_READY). At most one such read
    per run of a step, and a step must do nothing before it that it cannot do twice."""
    frame = k.frame
    loc = frame["locals"]
    got = loc.pop("_io", None)
    if got is not None and got[0] == frame["pc"]:
        return int(got[1])
    ctx = k.ctx
    if ctx is not k.cpu.proc and ctx is not k.cpu.irq:
        raise EngineError(f"a trapped read outside a vCPU's process or interrupt context ({frame['prog']})")
    if ctx.wait is not None or k.emitted:
        raise EngineError(f"{frame['prog']}: a trapped read after another access in the same step")
    if "entry" in ioreq:
        k.ev(IOREQ_READ, ioreq["dev"], ioreq["entry"], k.s(ioreq["reg"]), cost="kernel")
    else:
        k.ev(IOREQ_CFG_READ, ioreq["dev"], ioreq["offset"], k.s(ioreq["name"]), cost="kernel")
    ioreq["read"] = True
    ioreq["value"] = 0
    ioreq["pc"] = frame["pc"]
    _block(k, ioreq)
    raise Replay


def _cfg_offset(w: World, dev: str, name: str) -> int:
    """The config offset of a register the kernel reads (the trap's and QEMU's events name it)."""
    if name == "cmd":
        return PCI_COMMAND
    for roff, _, reg in device.cfg_layout(w.devices[dev]):
        if reg == name:
            return int(roff)
    return 0


class HvmAccessors:
    """pci.ACCESSORS entry for ``xen-hvm``: passthrough devices trap into QEMU (or Xen)."""

    @staticmethod
    def interposes(k: Any, dev: str) -> bool:
        return bool(k.w.devices[dev]["passthrough"])

    @staticmethod
    def cfg_read(k: Any, dev: str, name: str) -> int:
        """The register as QEMU emulates it now (no trap: what the kernel cached at setup, read
        through the model's state; the guest's config reads are ``cfg_read_io``)."""
        return emulated(k.w, dev, name)

    @staticmethod
    def cfg_read_io(k: Any, dev: str, name: str) -> int:
        """A guest config read: an ioreq QEMU serves in turn (xen_pt_pci_read_config)."""
        return _trapped_read(k, {"prog": "xen_pt_pci_read_config", "dev": dev, "name": name,
                                 "offset": _cfg_offset(k.w, dev, name), "size": 2})

    @staticmethod
    def cfg_write(k: Any, dev: str, offset: int, value: int, size: int) -> None:
        k.ev(IOREQ_CFG, dev, offset, value, size, cost="kernel")
        if offset == PCI_COMMAND:
            # provenance: the kernel writes Command read-modify-write (pci_read_config_word first): the trap links
            # this vCPU's last read of it, QEMU's answer, when the same program read it (a scenario's raw write
            # of a value read nothing)
            P = k.eng.prov
            rb = PK.key(PK.READBACK, k.cpu_id << 4 | READ_CMD)
            if P.on and k.eng.fresh and P.writer(rb) >= 0 and P.rmw_prog.get(k.cpu_id) == k.frame.get("prog"):
                P.dep(PC.D_READ_RMW, rb)
        _block(k, {"prog": "xen_pt_pci_write_config", "dev": dev, "offset": offset, "value": value, "size": size})

    @staticmethod
    def msix_write(k: Any, dev: str, entry: int, reg: str, value: int) -> None:
        complete = False
        extra: dict[str, bool] = {}
        if vmsi.covers(k.w, dev, entry):
            how = vmsi.write(k.eng, k.cpu_id, dev, entry, reg, value)
            if how == vmsi.HANDLED:
                k.touched("hypercall")      # a VM exit handled inside Xen: no QEMU round trip
                if k.w.behaviour.get("xen_dm_msix_all_writes") and not _null(k.w, dev):
                    # 64b21662b1 (4.19): _msixtbl_write returns X86EMUL_UNHANDLEABLE after handling
                    # it, so the device model gets the write as well (XENFEAT_dm_msix_all_writes);
                    # this step's event is Xen's, QEMU's own step shows the write
                    _block(k, {"prog": "pci_msix_write", "dev": dev, "entry": entry, "reg": reg, "value": value,
                               "complete": False})
                return
            complete = how == vmsi.FORWARD_COMPLETE
        elif reg == "ctrl" and not value & ENTRY_MASKBIT and k.w.behaviour.get("xen_msix_snoop_unmask"):
            extra["snoop"] = True   # msixtbl_range (3a6222bd57): an unmask it cannot claim, remembered
        if _null(k.w, dev):
            # no ioreq server has the range: hvmemul_do_io's null_handler drops the write -- no ioreq, the vCPU
            # does not block -- so the msix_unmask_address Xen armed waits for the vCPU's next hvm_io_assist
            # (before f7039ee41b) or schedule-in (vmsi.resume; reading xen.msixtbl.completion-at-resume)
            if complete:
                vmsi.keep_armed(k.eng, k.cpu_id, dev, entry)
            _dropped(k, dev, entry, reg, value)
            k.ev(XEN_NULL_IO, dev, entry, k.s(reg), value, cost="trap")
            return
        k.ev(IOREQ_MSIX, dev, entry, k.s(reg), value, cost="kernel")
        _block(k, {"prog": "pci_msix_write", "dev": dev, "entry": entry, "reg": reg, "value": value,
                   "complete": complete, **extra})

    @staticmethod
    def msix_write_narrow(k: Any, dev: str, entry: int, reg: str, value: int, size: int) -> None:
        """msixtbl_write takes only 4- and 8-byte accesses (X86EMUL_UNHANDLEABLE for the rest): QEMU
        gets it, if its table is mapped, and its memory core refuses it (valid.min_access_size 4)."""
        if _null(k.w, dev):
            _dropped(k, dev, entry, reg, value)
            k.ev(XEN_NULL_IO, dev, entry, k.s(reg), value, cost="trap")
            return
        k.ev(IOREQ_MSIX, dev, entry, k.s(reg), value, cost="kernel")
        _block(k, {"prog": "pci_msix_write", "dev": dev, "entry": entry, "reg": reg, "value": value,
                   "complete": False, "size": size})

    @staticmethod
    def msix_read(k: Any, dev: str, entry: int, reg: str) -> int:
        got = k.frame["locals"].get("_io")
        if got is not None and got[0] == k.frame["pc"]:    # the re-run of a read QEMU has answered
            return _trapped_read(k, {"prog": "pci_msix_read", "dev": dev, "entry": entry, "reg": reg})
        served = vmsi.read(k.w, dev, entry, reg) if vmsi.covers(k.w, dev, entry) else None
        if served is not None:
            value, how = served
            k.ev(vmsi.XEN_MSIXTBL, dev, entry, value, k.s(f"{reg} read: {how}"), cost="trap")
            return int(value)
        if _null(k.w, dev):
            return _unmapped_read(k, dev, entry, reg)
        # QEMU's table (pci_msix_read), or with QEMU not an ioreq server its unassigned memory: an
        # ioreq either way, answered when QEMU serves it
        return _trapped_read(k, {"prog": "pci_msix_read", "dev": dev, "entry": entry, "reg": reg})


def mapped(w: World, dev: str) -> bool:
    """QEMU's emulated MSI-X table is a subregion of the device's BAR, which QEMU's PCI core maps
    into the guest only while the guest's Memory Space bit is set (xen_pt_pci_write_config ->
    pci_default_write_config -> pci_update_mappings: pci_bar_address is PCI_BAR_UNMAPPED without
    PCI_COMMAND_MEMORY). The emulated Command register (XSA-126) holds that bit."""
    return bool(emu(w, dev)["cmd"] & CMD_MEMORY)


def _null(w: World, dev: str) -> bool:
    """An access Xen does not handle itself reaches no device model: QEMU's table is unmapped and
    QEMU is an ioreq server (``platform.qemu_ioreq_server``), so no server claims the address."""
    return not mapped(w, dev) and bool(w.behaviour.get("qemu_ioreq_server"))


def _dropped(k: Any, dev: str, entry: int, reg: str, value: int, by: str = "Xen's null handler") -> None:
    """Provenance: the guest's table write reached no device model, because the Memory Space bit in
    QEMU's emulated Command (its last writer) left the table unmapped."""
    P = k.eng.prov
    d = P.dev(dev)
    P.dep(PC.D_NO_MEMORY, PK.key(PK.QCMD, d))
    P.write(PC.DM_UNCLAIMED, PK.key(PK.QREG, PK.reg_payload(d, entry, _REG[reg])), value,
            note=f"write of {value:#x} dropped by {by} (QEMU's emulated table is unmapped: "
            "Memory Space off in its emulated Command)")


def _unmapped_read(k: Any, dev: str, entry: int, reg: str) -> int:
    """A table read while QEMU's table is unmapped and QEMU is an ioreq server: no server claims it,
    Xen's null_read answers all ones at once. (Without an ioreq server QEMU gets it and answers from
    its unassigned memory, 0: ``msix_answer``.)"""
    value = ALL_ONES
    k.eng.prov.dep(PC.D_NO_MEMORY, PK.key(PK.QCMD, k.eng.prov.dev(dev)))
    k.eng.prov.write(PC.GUEST, PK.key(PK.READBACK, k.cpu_id << 4 | _REG[reg]), value,
                     note=f"reads {value:#x} from {dev} entry {entry} {reg}: Memory Space is off in QEMU's "
                     "emulated Command, so its table is unmapped (Xen's null handler)")
    k.ev(XEN_NULL_IO, dev, entry, k.s(f"{reg} read"), value, cost="trap")
    return value


def emulated(w: World, dev: str, name: str) -> int:
    """A config register as QEMU's xen-pt emulation shows it to the guest now."""
    e = emu(w, dev)
    if name == "cmd":   # xen_pt_word_reg_read: emulated bits from QEMU, the rest from the device
        mask = cmd_emu_mask(w)
        return int((w.devices[dev]["cmd"] & ~mask) | (e["cmd"] & mask))
    if name == "msix_ctrl":
        return int((len(e["msix"]["entries"]) - 1) | e["msix"]["ctrl"])
    if name == "msi_ctrl":
        return int(e["msi"]["ctrl"])
    if name == "mask" and w.behaviour["qemu_msi_mask_emulated"]:
        return 0    # XSA-129: the emulated read-only register keeps its init_val (msi->mask is QEMU's own copy)
    return int(e["msi"][name])


def cfg_answer(k: Any, dev: str, name: str, offset: int) -> None:
    """QEMU's side of a guest config read (xen_pt_pci_read_config): the value when QEMU serves it."""
    value = emulated(k.w, dev, name)
    serving = k.w.qemu["serving"]
    serving["value"] = value
    P = k.eng.prov
    if name == "cmd" and P.on and k.eng.fresh:
        # provenance: what the guest's read of Command returned -- QEMU's emulated Memory Space as the writes
        # queued before it left it (qemuio: reads wait their turn) -- which its read-modify-write links (no
        # context: the value comes from that write, not from the read being served)
        P.dep(PC.D_CAUSE, PK.key(PK.QCMD, P.dev(dev)))
        P.write(PC.GUEST, PK.key(PK.READBACK, serving["cpu"] << 4 | READ_CMD), value, ctx=False,
                note=f"answers CPU{serving['cpu']}'s read of {dev}'s Command: {value:#x} (its emulated Memory "
                "Space, as the accesses queued before this read left it)")
        c = k.w.cpus[serving["cpu"]]
        ctx = c.irq if serving.get("in_irq") else c.proc
        if ctx.stack:
            P.rmw_prog[serving["cpu"]] = ctx.stack[-1]["prog"]
    k.ev(QEMU_CFG_READ, dev, offset, value, k.s(name), cost="trap")


#: ``cpus[c].readback[4]``: a guest's last trapped read of Command (0..3 are the MSI-X table's registers)
READ_CMD = 4


def msix_answer(k: Any, dev: str, entry: int, reg: str) -> None:
    """QEMU's side of a guest MSI-X table read: pci_msix_read's emulated entry while the table is
    mapped, else (QEMU not an ioreq server: the read reached it anyway) unassigned_mem_read's 0."""
    serving = k.w.qemu["serving"]
    P = k.eng.prov
    if mapped(k.w, dev):
        value = int(emu(k.w, dev)["msix"]["entries"][entry]["latch"][_REG[reg]])
        P.dep(PC.D_VALUE, PK.key(PK.QREG, PK.reg_payload(P.dev(dev), entry, _REG[reg])))
        note = f"QEMU answers CPU{serving['cpu']}'s read of {dev} entry {entry} {reg}: {value:#x} (its emulated table)"
    else:
        value = 0
        P.dep(PC.D_NO_MEMORY, PK.key(PK.QCMD, P.dev(dev)))
        note = (f"QEMU answers CPU{serving['cpu']}'s read of {dev} entry {entry} {reg}: 0 (Memory Space is off "
                "in its emulated Command: unassigned memory)")
    P.write(PC.GUEST, PK.key(PK.READBACK, serving["cpu"] << 4 | _REG[reg]), value, note=note)
    serving["value"] = value
    k.ev(QEMU_MSIX_READ, dev, entry, k.s(reg), value, cost="trap")


ALL_ONES = 0xFFFFFFFF
XEN_NULL_IO = kind("xen.null_io", ("entry", INT), ("reg", STR), ("value", HEX),
                   doc="a guest MSI-X table access no device model claims (QEMU's BAR is unmapped: the guest's "
                       "emulated Memory Space is clear): Xen's null handler drops a write, a read gives all ones")


_REG = {"addr_lo": 0, "addr_hi": 1, "data": 2, "ctrl": 3}
#: xen_pt_emu_reg_header0, Command: emu_mask 0x0743 (I/O and Memory Space, parity, SERR, fast
#: back-to-back and INTx Disable stay in QEMU; XSA-126 added the two decode bits) and res_mask 0xF880
CMD_EMU_MASK = 0x0743
#: before XSA-126 (727b998448; qemu-xen-4.3.0 .. 4.4.2, 4.5.0; qemu-traditional to xen-4.4.2, 4.5.0): 0x0740,
#: the decode bits throughable (the guest's value reaches the device)
CMD_EMU_MASK_PRE_XSA126 = 0x0740


def cmd_emu_mask(w: World) -> int:
    """The Command bits xen-pt keeps to itself (``platform.qemu_cmd_decode_emulated``): the rest are the
    device's -- written through by xen_pt_cmd_reg_write, read from the device by xen_pt_word_reg_read
    (before XSA-126 xen_pt_cmd_reg_read, the same merge with emu_mask 0x0740; the is_virtfn Memory bit of
    an SR-IOV VF is not modelled)."""
    return CMD_EMU_MASK if w.behaviour["qemu_cmd_decode_emulated"] else CMD_EMU_MASK_PRE_XSA126
CMD_RES_MASK = 0xF880
CMD_INTX_DISABLE = 1 << 10


def _dom0_command(d: dict[str, Any], value: int) -> int:
    """pciback's command_write as dom0's own state decides it, once that state and the device's Command part
    (``pm_resume``'s reset under pciback, kernel/pm.py; resume30): 'if (!pci_is_enabled(dev) &&
    is_enable_cmd(value)) pci_enable_device(dev); else if (pci_is_enabled(dev) && !is_enable_cmd(value))
    pci_disable_device(dev); if (!dev->is_busmaster && is_master_cmd(value)) pci_set_master(dev); else if
    (dev->is_busmaster && !is_master_cmd(value)) pci_clear_master(dev);' and, not permissive, nothing more: a
    guest asking again for what dom0 believes it has changes nothing in the device (read in 4.12.0 and 5.17
    drivers/xen/xen-pciback/conf_space_header.c; pci_disable_device clears is_busmaster)."""
    pb, cmd = d["pciback"], int(d["cmd"])
    decode, master = bool(value & (CMD_IO | CMD_MEMORY)), bool(value & CMD_MASTER)
    if not pb["enabled"] and decode:
        pb["enabled"], cmd = True, cmd | CMD_MEMORY
    elif pb["enabled"] and not decode:
        pb["enabled"], pb["master"], cmd = False, False, cmd & ~CMD_MASTER
    if not pb["master"] and master:
        pb["master"], cmd = True, cmd | CMD_MASTER
    elif pb["master"] and not master:
        pb["master"], cmd = False, cmd & ~CMD_MASTER
    return cmd


#: conf_space_header.c PCI_COMMAND_GUEST (af6fc858a35b): Bus Master, Special Cycles, Memory Write and
#: Invalidate, VGA Palette Snoop, Stepping (Wait) and Fast Back-to-Back -- the bits command_read takes from
#: the device; the others (I/O and Memory Space, Parity, SERR#, Interrupt Disable) from the guest's last write
PCIBACK_CMD_GUEST = 0x0004 | 0x0008 | 0x0010 | 0x0020 | 0x0080 | 0x0200
#: command_init's cmd->val: the Command pciback found at its bind (xen_pcibk_config_init_dev, before
#: pcistub_init_device's pci_enable_device). msidbg does not model the firmware's Command; it takes the one it
#: hands the function over with (Memory Space on: model/device.py new_device), i.e. firmware left decoding on
PCIBACK_CMD_AT_BIND = CMD_MEMORY


def pciback_command_read(w: World, d: dict[str, Any]) -> int:
    """pciback's command_read, the Command a PV guest reads through pcifront (``kernel.pciback_cmd_emulated``,
    reading pciback.command-read). From af6fc858a35b: '*value &= PCI_COMMAND_GUEST; *value |= cmd->val &
    ~PCI_COMMAND_GUEST;' -- Bus Master from the device, Memory / I/O Space and Interrupt Disable as the guest
    last wrote them (``pb_cmd``; before any write the Command at pciback's bind). Before it: the device's
    register, with I/O / Memory Space ORed in for dom0's pci_is_enabled (each BAR's type; msidbg's functions
    have memory BARs only); dom0's enable state is ``pciback.enabled`` once a pm_resume's reset put it in the
    world, else the device's own decode bits (what dom0's pci_enable_device set)."""
    cmd = int(d["cmd"])
    if sw_w(w, "pciback_cmd_emulated"):
        return (cmd & PCIBACK_CMD_GUEST) | (int(d.get("pb_cmd", PCIBACK_CMD_AT_BIND)) & ~PCIBACK_CMD_GUEST)
    enabled = d["pciback"]["enabled"] if "pciback" in d else bool(cmd & (CMD_IO | CMD_MEMORY))
    return cmd | CMD_MEMORY if enabled else cmd


class PvAccessors:
    """pci.ACCESSORS entry for ``xen-pv``: pcifront -> pciback, which passes the guest's Command (through
    dom0's calls) and nothing of the MSI / MSI-X capabilities."""

    @staticmethod
    def interposes(k: Any, dev: str) -> bool:
        return bool(k.w.devices[dev]["passthrough"])

    @staticmethod
    def cfg_read(k: Any, dev: str, name: str) -> int:
        d = k.w.devices[dev]
        if name == "cmd":   # pciback's command_read (reading pciback.command-read)
            return pciback_command_read(k.w, d)
        return int(d["msix"]["ctrl"] if name == "msix_ctrl" else d["msi"]["ctrl"] if name == "msi_ctrl"
                   else d["msi"][name])

    cfg_read_io = cfg_read      # pcifront's XEN_PCI_OP_conf_read: answered at once (not modelled as a wait)

    @staticmethod
    def cfg_write(k: Any, dev: str, offset: int, value: int, size: int) -> None:
        d = k.w.devices[dev]
        if offset == PCI_COMMAND and not sw_w(k.w, "pciback_cmd_emulated"):
            # pciback's command_write before af6fc858a35b: dom0's pci_enable_device / pci_set_master for
            # what the guest asks, then 'return pci_write_config_word(dev, offset, value);' -- the guest's
            # whole value reaches the device (reading pciback.command-read)
            if "pciback" in d:
                _dom0_command(d, value)
            size = 2
        elif offset == PCI_COMMAND:
            # pciback's command_write (af6fc858a35b): the guest's bits reach the device only through
            # dom0's own calls -- pci_enable_device when it asks for decoding (Memory Space on; a
            # disable clears only Bus Master), pci_set_master / pci_clear_master after its Bus Master;
            # 'cmd->val = value;' keeps the guest's word for command_read (not permissive: nothing more)
            d["pb_cmd"] = value & 0xFFFF
            if "pciback" in d:
                before = dict(d["pciback"])
                value = _dom0_command(d, value)
                if d["pciback"] == before:   # no dom0 call: not permissive, pciback writes nothing
                    k.ev(PV_DROPPED, dev, offset, value, k.s("config"), cost="trap")
                    return
            else:
                value = (d["cmd"] | (CMD_MEMORY if value & (CMD_IO | CMD_MEMORY) else 0)) & ~CMD_MASTER | (value & CMD_MASTER)
                if value == d["cmd"]:   # no dom0 call changes the device (an Interrupt Disable write): nothing written
                    k.ev(PV_DROPPED, dev, offset, d["pb_cmd"], k.s("config"), cost="trap")
                    return
            size = 2
        else:
            # everything else the model keeps (MSI / MSI-X Message Control, MSI address, data and Mask
            # Bits) is read-only to the guest: xen_pcibk_config_write drops a write no config_field
            # handles ("By default, anything not specificially handled above is read-only") unless the
            # device is permissive, and msi_msix_flags_write (where pciback has it) refuses any change
            # without allow_interrupt_control -- which libxl never sets (PCIBACK_CFG). Function Mask
            # included: dom0's pci_enable_msix / pci_disable_msix own the device's Message Control.
            k.ev(PV_DROPPED, dev, offset, value, k.s("config"), cost="trap")
            return
        device.cfg_write(k.eng, k.cpu_id, dev, offset, value, size,
                         f"pciback in dom0 (command_write, for CPU{k.cpu_id}'s pcifront config write)"
                         if k.eng.fresh and k.eng.prov.on else None)
        k.touched("trap")

    @staticmethod
    def msix_write(k: Any, dev: str, entry: int, reg: str, value: int) -> None:
        # The table is read-only to a PV guest and a domU's store is a page fault its kernel cannot fix up
        # (reading xen.pv.msix-table-fault): the callers that can store on xen-pv end their task with the
        # oops first (driver._routed, msix_mask_all, pci_msix_shutdown 5.15 .. 5.15.2); the others test
        # pci_msi_ignore_mask. Kept as the accessor's answer should a path reach it.
        k.ev(PV_DROPPED, dev, entry * 16 + 4 * PK.REG_INDEX[reg], value, k.s("msix-table"), cost="trap")

    @staticmethod
    def msix_write_narrow(k: Any, dev: str, entry: int, reg: str, value: int, size: int) -> None:
        k.ev(PV_DROPPED, dev, entry * 16 + 4 * PK.REG_INDEX[reg], value, k.s("msix-table"), cost="trap")

    @staticmethod
    def msix_read(k: Any, dev: str, entry: int, reg: str) -> int:
        value = device.table_read(k.eng, k.cpu_id, dev, entry, reg)
        k.touched("mmio_read")
        return value


# --- QEMU's context ------------------------------------------------------------------------------------
def _kick(eng: Any) -> None:
    q = eng.w.qemu
    if not q["queued"] and (q["ctx"]["stack"] or q["queue"] or q["serving"] is not None):
        q["queued"] = True
        eng.schedule(max(eng.w.now, q["busy_until"]), "qemu")


def on_qemu(eng: Any, item: list[Any]) -> None:
    """Agenda handler: one step of QEMU (starting the next ioreq when idle)."""
    w = eng.w
    q = w.qemu
    q["queued"] = False
    k = eng.model.k
    k.eng, k.w, k.cpu, k.cpu_id = eng, w, _QEMU_CPU, -1
    k.costname, k.emitted = "kernel", False
    ctx = q["ctx"]
    k.ctx = ctx
    k.at = eng.cur  # provenance reads QEMU's stack during this step
    if not ctx.stack and q["serving"] is not None:
        _complete(k, q)     # the Xen side of the ioreq was left for a step of its own
        q["busy_until"] = w.now + w.costs[k.costname]
        _kick(eng)
        return
    if not ctx.stack:
        ioreq = q["queue"].pop(0)
        q["serving"] = ioreq
        frame = {"prog": ioreq["prog"], "pc": 0, "locals": {key: v for key, v in ioreq.items() if key in _ARGS}}
        if eng.model.on_push(frame):
            ctx.stack.append(frame)
    served = q["serving"]
    for _ in range(MAX_SILENT_STEPS):
        if not ctx.stack:
            break
        run_step(k, ctx, eng.model.on_push)
        if k.emitted:
            break
    else:
        raise EngineError("QEMU ran too many steps without an event")
    if not ctx.stack and not (k.emitted and (q["serving"].get("complete") or vmsi.is_armed(w, q["serving"]["cpu"]))):
        _complete(k, q)
    cost = w.costs[k.costname]
    if eng.jitter is not None:  # QEMU's work for a trap belongs to the trapping vCPU's action
        cost = eng.jitter(eng, cost, w.cpus[served["cpu"]]["proc"]["action"] if served else -1)
    q["busy_until"] = w.now + cost
    _kick(eng)


_ARGS = ("dev", "offset", "value", "size", "entry", "reg", "name")
_QEMU_CPU: dict[str, Any] = {"id": -1, "proc": None}


def _waits_at_notify(k: Any, ioreq: dict[str, Any]) -> bool:
    """Whether QEMU's notification wakes the vCPU blocked on ``ioreq`` onto a pCPU another vCPU runs on (xensched):
    it waits on that pCPU's runqueue, and vmx_do_resume's hvm_migrate_pirqs comes with its schedule-in there
    (xensched._schedule -> vmsi.resume), not with the notification (reading
    ``xen.sched.ioreq-completion-at-schedule-in``)."""
    xs = k.eng.model.xsched
    return xs is not None and bool(xs.waits(k.w, ioreq["cpu"]))


def _complete(k: Any, q: dict[str, Any]) -> None:
    """The ioreq is done: the vCPU that trapped resumes (an event if the last step had none).

    An unmask that Xen's vMSI-X intercept passed on because address/data had changed is then
    applied by Xen itself (``msix_write_completion``) before the vCPU runs on.
    """
    ioreq = q["serving"]
    if ioreq["blocks"] and vmsi.migrate_due(k.w, ioreq["cpu"]) and not _waits_at_notify(k, ioreq):
        # QEMU's notification wakes the vCPU blocked in Xen (default_xen_notification_fn -> vcpu_wake) and a
        # vcpu_migrate meanwhile moved it: vmx_do_resume runs hvm_migrate_pirqs before hvm_do_resume completes the
        # ioreq (reading xen.sched.migrate-ioreq). That schedule-in is a step of its own (its xen.migrate event);
        # the completion is on_qemu's next step (q["serving"] kept)
        if not k.emitted:
            # (Xen's work, not QEMU's for the ioreq: provenance links the moves to the vcpu_migrate action, as a
            # halted vCPU's schedule-in does, not to the request QEMU serves)
            q["serving"] = None
            try:
                vmsi.MIGRATE_AT_RESUME[0](k.eng, ioreq["cpu"])
            finally:
                q["serving"] = ioreq
        return
    q["serving"] = None
    # hvm_io_assist -> msix_write_completion: the unmask this write armed, or (a write arming it again
    # replaces it) one a failed completion left armed on the vCPU (vmsi.completion, vmsi.armed)
    later = vmsi.take(k.eng, ioreq["cpu"]) if k.w.get("xen") else None
    if ioreq.get("complete"):
        later = [ioreq["dev"], ioreq["entry"]]
    if later is not None and vmsi.completion(k.eng, ioreq["cpu"], later[0], later[1]):
        k.touched("hypercall")
    if not k.emitted:
        k.ev(IOREQ_DONE, ioreq["dev"], ioreq["cpu"])
    if not ioreq["blocks"]:
        return
    c = k.w.cpus[ioreq["cpu"]]
    waiter = c.irq if ioreq.get("in_irq") else c.proc
    if waiter is c.proc and (c.proc.wait or {}).get("ioreq") != ioreq["token"]:
        waiter = task_of(c)     # a task kept aside while take_cpu_down runs on its CPU
    wait = waiter["wait"]
    if wait is None or wait.get("ioreq") != ioreq["token"]:
        raise EngineError("an ioreq completed for a vCPU that was not waiting for it")
    waiter["wait"] = None
    if ioreq.get("read"):   # STATE_IORESP_READY: the re-run of the reading step takes the value
        waiter["stack"][-1]["locals"]["_io"] = [ioreq["pc"], ioreq["value"]]
        # ... once QEMU's answer is done (handle_ioreq, then the response and the notification)
        c.busy_until = max(c.busy_until, k.w.now + k.w.costs[k.costname])
    if waiter is not c.irq:
        waiter["irqs_off"] = wait["irqs_off"]
        if not wait["irqs_off"] and "spoll_wait" in k.w.kernel:
            from msidbg.model.kernel.intx import spoll_irqs_on  # (a poll expiry that waited: locks27)
            spoll_irqs_on(k.eng, c.id)
        if c.stopped == "prepare" and not c.queued:
            # stop_machine waited for this vCPU (hotplug.in_ioreq): the instruction retired, its stopper
            # thread runs next (cpu.wake leaves a CPU in stop_machine alone) -- once Xen's scheduler runs it: woken
            # (vcpu_wake) behind another vCPU on its pCPU, it waits on the runqueue (xensched.wake; xen33)
            xs = k.eng.model.xsched
            if xs is not None and xs.wake(k.eng, c):
                return
            c.queued = True
            k.eng.schedule(max(c.busy_until, k.w.now), "cpu", c.id)
            return
    k.eng.model.wake(k.eng, c)


def msi_enabled(e: dict[str, Any]) -> bool:
    return bool(e["ctrl"] & MSI_ENABLE)
