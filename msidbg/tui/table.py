"""The vector table of one device as rows of cells, read from the world at the cursor.

One row per MSI-X table entry, then one per MSI message the capability can carry. A row
shows what the device holds (address, destination, vector, mask bit, pending bit), what it
latched (for the latching quirks), and the kernel's irq for that vector index with the
CPU/vector the kernel believes it uses -- so a device that signals somewhere the kernel
no longer expects stands out. No Textual here.
"""

from __future__ import annotations

from typing import Any

from msidbg.debugger.summary import driver_state
from msidbg.model import ioapic
from msidbg.model.device import _blocked_by_msix_mask  # the device model's own rule for the quirk
from msidbg.model.hw import (
    CMD_INTX_DISABLE,
    CMD_MASTER,
    CMD_MEMORY,
    MSI_ENABLE,
    MSI_PVM,
    MSIX_ENABLE,
    MSIX_MASKALL,
    is_interrupt_address,
    msg_dest,
    msg_logical,
)
from msidbg.model.iommu import IR_FORMAT, handle_of
from msidbg.model.kernel.vector import dest_apic

World = dict[str, Any]
Cell = tuple[str, str]  # (text, style name or "")

#: Xen's pirq-bound message data (edge, assert, delivery mode 3, vector 0): arch/x86/pci/xen.c before 5.11
XEN_PIRQ_MSI_DATA = 0x4300
XEN_PIRQ_MSI_DATA_EXTINT = 0x0700      # from Linux 5.11 (41bb2115beec): delivery mode ExtINT, vector 0
LATCH_QUIRKS = ("latch-on-unmask", "msi-latch-on-enable")

#: (title, width) of each column; passthrough devices add GUEST_COLUMNS
COLUMNS: tuple[tuple[str, int], ...] = (
    ("entry", 6), ("address", 10), ("dst", 3), ("vector", 9), ("M", 1), ("P", 1),
    ("latched", 9), ("irq", 4), ("kernel cpu/vec", 18),
)
#: the guest's view of a passthrough entry (QEMU's emulated table) and the pirq QEMU mapped for it
GUEST_COLUMNS: tuple[tuple[str, int], ...] = (("│ guest addr", 12), ("guest msg", 9), ("gM", 2), ("qpirq", 5))
#: narrower widths, for a pane the full columns do not fit (a passthrough device's 92 columns in
#: an 80-column terminal): the widest value of each still fits (an entry ``msi31``, a 32-bit
#: address, ``pirq 255`` / ``0x21 i12``, ``pirq 255 port 10``), the titles no longer pad them
COMPACT_WIDTHS = {"entry": 5, "address": 8, "vector": 8, "kernel cpu/vec": 16}
#: compact: the guest's message decoded in one cell (``pirq N``, or ``dst/vector``) instead of
#: its address and vector (the click description of a row still gives the address)
COMPACT_GUEST_COLUMNS: tuple[tuple[str, int], ...] = (("│ guest msg", 11), ("gM", 2), ("qpirq", 5))
#: QEMU's "no pirq" (hw/xen/xen_pt.h XEN_PT_UNASSIGNED_PIRQ)
UNASSIGNED_PIRQ = -1


def msix_count(w: World, dev: str) -> int:
    msix = w["devices"][dev]["msix"]
    return len(msix["table"]) if msix else 0


def msi_count(w: World, dev: str) -> int:
    """MSI messages the capability can carry (Multiple Message Capable)."""
    msi = w["devices"][dev]["msi"]
    return 1 << ((msi["ctrl"] >> 1) & 7) if msi else 0


def row_count(w: World, dev: str) -> int:
    return msix_count(w, dev) + msi_count(w, dev)


def latches(w: World, dev: str) -> bool:
    """Does the device latch messages (a ``latched`` column is worth showing)?"""
    return any(q in w["devices"][dev]["quirks"] for q in LATCH_QUIRKS)


def columns(w: World, dev: str, compact: bool = False) -> tuple[tuple[str, int], ...]:
    """The columns of this device's rows: no ``latched`` unless it latches, guest view if
    passthrough; ``compact``: the narrower set (``COMPACT_WIDTHS``, ``COMPACT_GUEST_COLUMNS``)."""
    cols = COLUMNS if latches(w, dev) else tuple(c for c in COLUMNS if c[0] != "latched")
    if compact:
        cols = tuple((title, COMPACT_WIDTHS.get(title, width)) for title, width in cols)
    if guest_table(w, dev) is None:
        return cols
    return cols + (COMPACT_GUEST_COLUMNS if compact else GUEST_COLUMNS)


def line_width(cols: tuple[tuple[str, int], ...], gap: int = 1) -> int:
    """The columns' width with a gap between two."""
    return sum(width + gap for _, width in cols) - gap


def fitting_columns(w: World, dev: str, width: int) -> tuple[tuple[tuple[str, int], ...], bool]:
    """(columns, compact): the full columns if a line of them fits in ``width``, else the
    compact ones (which a narrower pane scrolls horizontally)."""
    full = columns(w, dev)
    if line_width(full) <= width:
        return full, False
    return columns(w, dev, compact=True), True


def guest_table(w: World, dev: str) -> list[dict[str, Any]] | None:
    """QEMU's emulated MSI-X table of a passthrough device (the guest's view), if any.

    Each entry has ``latch`` = [addr_lo, addr_hi, data, vector control] as the guest wrote
    them (what the guest reads back) and ``pirq``, the pirq QEMU mapped for it (-1: none).
    """
    if not w["devices"][dev].get("passthrough"):
        return None
    pdev = w.get("qemu", {}).get("devs", {}).get(dev)
    msix = pdev.get("msix") if isinstance(pdev, dict) else None
    entries = msix.get("entries") if isinstance(msix, dict) else None
    return entries if isinstance(entries, list) else None


def message(w: World, dev: str, row: int) -> tuple[int, int, int, bool, bool, list[int] | None]:
    """(addr_lo, addr_hi, data, masked, pending, latched message or None) of a row."""
    d = w["devices"][dev]
    n = msix_count(w, dev)
    if row < n:
        msix = d["msix"]
        e = msix["table"][row]
        latched = msix["latched"][row] if "latch-on-unmask" in d["quirks"] else None
        return e["addr_lo"], e["addr_hi"], e["data"], bool(e["ctrl"] & 1), bool(msix["pba"][row]), latched
    i = row - n
    msi = d["msi"]
    nvec = 1 << ((msi["ctrl"] >> 4) & 7)
    data = (msi["data"] & ~(nvec - 1)) | (i & (nvec - 1)) if i < nvec else msi["data"]
    pvm = bool(msi["ctrl"] & MSI_PVM)
    latched = msi["latched"] if "msi-latch-on-enable" in d["quirks"] else None
    return (msi["addr_lo"], msi.get("addr_hi", 0), data, pvm and bool(msi["mask"] >> i & 1),
            bool(msi["pending"] >> i & 1), latched)


def kernel_irq(w: World, dev: str, row: int) -> dict[str, Any] | None:
    """The irq descriptor the kernel has for this row's vector index, if the mode matches."""
    p = w["kernel"]["pci"][dev]
    n = msix_count(w, dev)
    index = row if row < n else row - n
    mode = "msix" if row < n else "msi"
    if p.get("mode") != mode or index >= len(p["descs"]):
        return None
    irq = p["descs"][index]["irq"]
    return w["irqs"].get(irq) if irq else None


def is_pirq_message(addr_lo: int, data: int) -> bool:
    return is_interrupt_address(addr_lo) and data in (XEN_PIRQ_MSI_DATA, XEN_PIRQ_MSI_DATA_EXTINT)


def pirq_of(addr_lo: int, addr_hi: int) -> int:
    """The pirq a Xen pirq-bound message names (address-lo bits 19:12, address-hi the rest)."""
    return (addr_hi & 0xFFFFFF00) | ((addr_lo >> 12) & 0xFF)


def remapped(w: World, addr_lo: int, data: int, dev: str | None = None) -> tuple[int, dict[str, Any] | None] | None:
    """For a remappable message: (IRTE index, the entry or None if absent); else None. AMD-Vi (``dev``'s
    own table, the index in data[10:0]) needs the sending device."""
    if dev is not None and w["platform"].get("route") == "amd-vi" and is_interrupt_address(addr_lo):
        return data & 0x7FF, w["iommu"]["tables"].get(dev, {}).get(data & 0x7FF)
    if "iommu" not in w or not is_interrupt_address(addr_lo) or not addr_lo & IR_FORMAT:
        return None
    index = handle_of(addr_lo, data)
    return index, w["iommu"]["irte"].get(index)


def dest_vector_in(w: World, addr_lo: int, addr_hi: int, data: int, dev: str | None = None) -> tuple[str, str]:
    """``dest_vector``, following a remappable message through its IRTE ("i5": IRTE 5)."""
    ir = remapped(w, addr_lo, data, dev)
    if ir is None:
        return dest_vector(addr_lo, addr_hi, data)
    index, e = ir
    if e is None or not e["present"]:
        return "-", f"i{index} off"
    dest = f"L{e['dest']:x}" if e.get("logical") else str(e["dest"])    # x2APIC cluster: logical id as L<hex>
    return dest, f"{e['vector']:#04x} i{index}"


def dest_vector(addr_lo: int, addr_hi: int, data: int) -> tuple[str, str]:
    """(destination, vector) cells of a message, decoding Xen pirq messages and bad addresses."""
    if not is_interrupt_address(addr_lo):
        return "-", "-" if not (addr_lo or data) else f"{data & 0xFF:#04x}"
    if is_pirq_message(addr_lo, data):
        return "-", f"pirq {pirq_of(addr_lo, addr_hi)}"
    dest = msg_dest(addr_lo)      # an APIC id; a logical-mode (address bit 2) logical id as L<hex>
    return (f"L{dest:02x}" if msg_logical(addr_lo) else str(dest)), f"{data & 0xFF:#04x}"


def address(addr_lo: int, addr_hi: int) -> str:
    return f"{addr_hi:x}:{addr_lo:08x}" if addr_hi else f"{addr_lo:08x}"


def msi_enabled_count(w: World, dev: str) -> int:
    """MSI messages enabled (Multiple Message Enable); the others are not in use."""
    msi = w["devices"][dev]["msi"]
    return 1 << ((msi["ctrl"] >> 4) & 7) if msi else 0


def row_cells(w: World, dev: str, row: int, compact: bool = False) -> list[Cell]:
    """The cells of one row, each with the name of the style that marks it (or ""); ``compact``:
    those of ``columns(compact=True)``."""
    n = msix_count(w, dev)
    if row >= n and row - n >= msi_enabled_count(w, dev):
        return [(f"msi{row - n}", ""), ("(beyond Multiple Message Enable)", "")]
    lo, hi, data, masked, pending, latched = message(w, dev, row)
    dst, vec = dest_vector_in(w, lo, hi, data, dev)
    desc = kernel_irq(w, dev, row)
    mismatch = _mismatch(w, desc, latched or [lo, hi, data])
    cells: list[Cell] = [
        (str(row) if row < n else f"msi{row - n}", ""),
        (address(lo, hi), ""), (dst, ""), (vec, ""),
        mask_cell(w, dev, row, masked),
        ("P" if pending else "·", "pending" if pending else ""),
        (_latched(w, dev, latched), ""),
        (str(desc["irq"]) if desc else "-", ""),
        (_kernel_view(w, desc), "mismatch" if mismatch else ""),
    ]
    if not latches(w, dev):
        del cells[6]
    if row < n:
        cells += guest_cells(w, dev, row, compact)
    return cells


def describe_row(w: World, dev: str, row: int) -> str:
    """One row in words: the message the device holds for it and what the kernel believes."""
    if row >= row_count(w, dev):
        return ""
    n = msix_count(w, dev)
    name = f"entry {row}" if row < n else f"MSI message {row - n}"
    lo, hi, data, masked, pending, _ = message(w, dev, row)
    dst, vec = dest_vector_in(w, lo, hi, data, dev)
    bits = " ".join(b for b, on in (("masked", masked), ("pending", pending)) if on)
    desc = kernel_irq(w, dev, row)
    kernel = "no irq" if desc is None else f"irq {desc['irq']} on CPU{desc['cpu']} vector {desc['vector']:#04x}"
    if desc is not None and desc["irq"] in w["kernel"].get("xen", {}).get("irqs", {}):
        kernel = f"irq {desc['irq']}, {_kernel_view(w, desc)}"    # a Xen pirq irq: no x86 vector
    words = vec.split()       # "0x21 i4": remapped through IRTE 4; "i4 off": IRTE 4 absent or not present
    ir = next((x[1:] for x in words if x[:1] == "i" and x[1:].isdigit()), None)
    if ir is not None:
        vec = f"via IRTE {ir}, not present" if "off" in words else f"{words[0]} via IRTE {ir}"
    where = f"logical {dst}{_logical_cpus(w, dst)}" if dst.startswith("L") else f"APIC {dst}"   # short: 80 columns
    sends = f"sends {vec}" + (f" to {where}" if dst != "-" else "")
    text = f"{dev} {name}: {sends}{' (' + bits + ')' if bits else ''}; kernel: {kernel}"
    guest = guest_table(w, dev)
    if guest is not None and row < len(guest):     # what the guest wrote (the compact table drops its address)
        lo, hi, data, ctrl = guest[row]["latch"]
        pirq = guest[row].get("pirq", UNASSIGNED_PIRQ)
        text += (f"; guest wrote {address(lo, hi)}/{data:#x}{' masked' if ctrl & 1 else ''}, qemu pirq "
                 f"{'-' if pirq == UNASSIGNED_PIRQ else pirq}")
    return text


def _logical_cpus(w: World, dst: str) -> str:
    """``" = CPU3"``: the CPUs an x2APIC cluster-mode logical destination ``L<hex>`` names (same
    cluster in bits 31:16, a shared bit below, by each CPU's LDR); "" on other platforms."""
    if w["platform"].get("apic") != "x2apic-cluster":
        return ""
    dest = int(dst[1:], 16)
    ldrs = [(i, c.get("ldr")) for i, c in enumerate(w["cpus"])]
    cpus = [i for i, ldr in ldrs if isinstance(ldr, int) and ldr >> 16 == dest >> 16 and ldr & dest & 0xFFFF]
    return " = " + ",".join(f"CPU{i}" for i in cpus) if cpus else ""


def mask_cell(w: World, dev: str, row: int, masked: bool) -> Cell:
    """The ``M`` cell: ``M`` masked, ``·`` unmasked, ``-`` an MSI message that cannot be masked
    (no per-vector masking), ``B`` an MSI message the device blocks behind an MSI-X entry's
    mask bit (the ``msix-mask-applies-when-disabled`` quirk, as the device model decides it)."""
    n = msix_count(w, dev)
    if row >= n:
        d = w["devices"][dev]
        if _blocked_by_msix_mask(d, row - n):
            return "B", "blocked"
        if not d["msi"]["ctrl"] & MSI_PVM:
            return "-", ""
    return ("M", "masked") if masked else ("·", "")


def guest_cells(w: World, dev: str, row: int, compact: bool = False) -> list[Cell]:
    """The guest's view of a passthrough entry beside the physical one: its address and
    message (``compact``: the message alone, ``pirq N`` or ``dst/vector``), its mask bit and
    the pirq QEMU mapped for it."""
    table = guest_table(w, dev)
    if table is None or row >= len(table):
        return []
    g = table[row]
    lo, hi, data, ctrl = g["latch"]
    dst, vec = dest_vector(lo, hi, data)
    gm = bool(ctrl & 1)
    pirq = g.get("pirq", UNASSIGNED_PIRQ)
    view = [("│ " + f"{dst}/{vec}" if dst != "-" else "│ " + vec, "")] if compact else \
        [("│ " + address(lo, hi), ""), (vec, "")]
    return view + [("M" if gm else "·", "masked" if gm else ""), ("-" if pirq == UNASSIGNED_PIRQ else str(pirq), "")]


def _latched(w: World, dev: str, latched: list[int] | None) -> str:
    if latched is None:
        return "-"
    dst, vec = dest_vector_in(w, latched[0], latched[1], latched[2], dev)
    return f"{dst}/{vec}" if dst != "-" else vec


def _kernel_view(w: World, desc: dict[str, Any] | None) -> str:
    """Where the kernel believes this irq's vector lives: cpu/vector (and the old one mid-move)."""
    if desc is None:
        return ""
    guest = w["kernel"].get("xen", {}).get("irqs", {}).get(desc["irq"])
    if guest is not None:   # a Xen pirq irq (xen-pirq chip): no x86 vector, an event channel
        return f"pirq {guest['pirq']} port {guest['port'] or '-'}"
    if not desc.get("activated"):
        return "inactive"
    here = f"{desc['cpu']}/{desc['vector']:#04x}"
    if desc.get("move_in_progress"):
        return f"{here} from {desc['prev_cpu']}/{desc['prev_vector']:#04x}"
    return here


def _mismatch(w: World, desc: dict[str, Any] | None, msg: list[int]) -> bool:
    """True when a started x86 MSI irq's device message points elsewhere than the kernel's vector."""
    if desc is None or not desc.get("started") or desc.get("chip") not in ("PCI-MSI", "PCI-MSIX"):
        return False
    lo, _, data = msg[0], msg[1], msg[2]
    if not is_interrupt_address(lo) or is_pirq_message(lo, data):
        return False
    where = (msg_dest(lo), msg_logical(lo), data & 0xFF)
    ir = remapped(w, lo, data, desc["dev"])
    if ir is not None:              # remapped: the IRTE is what must point at the kernel's vector
        e = ir[1]
        if e is None or not e["present"]:
            return True
        where = (e["dest"], False, e["vector"])
    logical = ir is None and w["platform"].get("apic") == "flat"    # apic_flat: dest 1 << cpu, logical mode
    ok = {(dest_apic(w, desc["cpu"]), logical, desc["vector"])}
    if desc.get("move_in_progress"):
        ok.add((dest_apic(w, desc["prev_cpu"]), logical, desc["prev_vector"]))
    return where not in ok


def guest_state(entry: dict[str, Any]) -> tuple[Any, ...]:
    """A QEMU emulated entry as comparable values (copied: the model updates ``latch`` in place)."""
    return (tuple(entry["latch"]), entry.get("pirq"), entry.get("addr_lo"), entry.get("addr_hi"),
            entry.get("data"), entry.get("updated"))


def device_line(w: World, dev: str) -> str:
    """The capability state of a device in one line: MSI-X Enable / Function Mask, MSI, driver."""
    return " | ".join([device_name(w, dev)] + device_state(w, dev))


def device_name(w: World, dev: str) -> str:
    d = w["devices"][dev]
    return f"{dev} {d['bdf']} {d['kind']}" + (" passthrough" if d.get("passthrough") else "")


def wrap_parts(parts: list[str], width: int, sep: str = " | ") -> list[str]:
    """Parts joined by ``sep`` into lines of at most ``width`` columns (a part is never split)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + len(sep) + len(part) <= width:
            lines[-1] += sep + part
        else:
            lines.append(part)
    return lines


def device_state(w: World, dev: str) -> list[str]:
    """The capability state: MSI-X Enable / Function Mask, MSI, the PCI Command bits that stop an
    enabled capability (Bus Master, Memory Space off), the power state out of D0, the quirks, the driver."""
    d = w["devices"][dev]
    parts: list[str] = []
    if d["msix"]:
        ctrl = d["msix"]["ctrl"]
        state = "enabled" if ctrl & MSIX_ENABLE else "disabled"
        parts.append(f"MSI-X {state}" + (", function masked" if ctrl & MSIX_MASKALL else "")
                     + f", {len(d['msix']['table'])} entries")
    if d["msi"]:
        ctrl = d["msi"]["ctrl"]
        parts.append(f"MSI {'enabled' if ctrl & MSI_ENABLE else 'disabled'}, "
                     f"{1 << ((ctrl >> 4) & 7)}/{msi_count(w, dev)} messages")
    cmd = d.get("cmd")
    enabled = bool(d["msix"] and d["msix"]["ctrl"] & MSIX_ENABLE) or bool(d["msi"] and d["msi"]["ctrl"] & MSI_ENABLE)
    if enabled and cmd is not None:   # the PCI Command register gating what the enabled capability does
        if not cmd & CMD_MASTER:
            parts.append("Bus Master off: messages dropped")
        if d["msix"] and not cmd & CMD_MEMORY:
            parts.append("Memory Space off: table not decoded")
    parts += power_state(w, dev)
    parts += intx_state(w, dev)
    if d["quirks"]:
        parts.append("quirks: " + ",".join(d["quirks"]))
    parts.append(f"driver: {driver_state(w, dev)}")
    return parts


def _bits(cmd: int) -> str:
    """The Command's Memory Space and Bus Master bits as lspci's ``Control:`` line prints them."""
    return f"Mem{'+' if cmd & CMD_MEMORY else '-'} BusMaster{'+' if cmd & CMD_MASTER else '-'}"


def power_state(w: World, dev: str) -> list[str]:
    """The function's power state and its Command's Memory Space / Bus Master bits, once a ``pm_suspend`` /
    ``pm_freeze`` has it out of D0 or the kernel holds its saved state (docs/scenario.md "pm_suspend"): out of
    D0 the function claims no memory request (a table write is ``msix.unclaimed``) and sends no message; while
    the kernel's current_state is not D0 __pci_write_msi_msg only caches a message (a xen-hvm passthrough
    function stays in D0 behind QEMU's emulated PMCSR, a freeze leaves it in D0); the saved Command is what
    pci_restore_state writes back at the resume. Nothing in D0 with nothing saved (the usual case)."""
    d = w["devices"][dev]
    power = d.get("power")
    pm = ((w.get("kernel") or {}).get("pci") or {}).get(dev, {}).get("pm")
    if power is None and pm is None:
        return []
    if power is not None:
        state = f"{power}: table accesses unclaimed, messages dropped"
    else:
        kstate = pm.get("state", "D0")
        state = "D0" + (f", kernel's current_state {kstate}: messages cached" if kstate != "D0" else "")
    cmd = f"Command {_bits(d['cmd'])}"
    if pm is not None and pm.get("saved_cmd") is not None:
        cmd += f", saved {_bits(pm['saved_cmd'])}"
    return [state, cmd]


def intx_state(w: World, dev: str) -> list[str]:
    """A bare-metal INTx pin (docs/model-baremetal.md "INTx"): the function's interrupt condition
    (Status.Interrupt Status: the signals it stands for), Interrupt Disable and whether it drives
    INTx# now; then its GSI's IO-APIC entry (vector -> CPU, mask, Remote IRR) and the irq's state
    when note_interrupt disabled it. Each part short enough for an 80-column pane."""
    d = w["devices"][dev]
    ix = d.get("intx")
    if not ix:
        return []
    gsi = ix["gsi"]
    # a Xen HVM guest's passthrough function (model/xen_intx.py): ``gsi`` is the guest's GSI, an input of
    # Xen's vIOAPIC, not the machine GSI the file names (``mgsi``), whose host irq Xen shows below
    mgsi = ix.get("mgsi")
    guest = "guest " if mgsi is not None else ""
    cond = f"INTx {'ABCD'[ix['pin'] - 1]}, {guest}GSI {gsi}: " + (f"pending {ix['cond']}" if ix["cond"] else "idle")
    if d["cmd"] & CMD_INTX_DISABLE:
        cond += ", Interrupt Disable"
    if ioapic.asserting(d):
        cond += ", asserted"
    parts = [cond]
    pin = (w.get("ioapic") or {}).get(gsi)
    if pin is not None:
        rte = (f"{'vIOAPIC' if mgsi is not None else 'IO-APIC'} {gsi}: "
               + (f"{pin['vector']:#04x} -> CPU{pin['cpu']}" if pin["vector"] else "no vector"))
        flags = [f for f, on in (("masked", pin["masked"]), ("Remote IRR", pin["remote_irr"])) if on]
        parts.append(rte + (", " + ", ".join(flags) if flags else ""))
    if mgsi is not None:
        parts.append(xen_intx_line(w, mgsi))
    irq = w["irqs"].get(gsi)
    if irq is not None and irq.get("spurious_disabled"):
        parts.append(f"irq {gsi} disabled: nobody cared")
    return parts


def xen_intx_line(w: World, mgsi: int) -> str:
    """Xen's side of an HVM guest's passthrough INTx (model/xen_intx.py): the machine GSI, the pirq
    xen-pt mapped for it, the host IO-APIC entry's Remote IRR (set until Xen EOIs the host irq), the
    guest pirq's ``masked`` (do_IRQ_guest) and ``pirq_dpci->pending`` (hvm_dirq_assist's count the
    guest's EOIs take back). Before realize (or when nothing is bound): the machine GSI alone."""
    rec = (((w.get("xen") or {}).get("intx") or {}).get("m") or {}).get(mgsi)
    if rec is None:
        return f"machine GSI {mgsi}: not bound"
    flags = [f for f, on in (("Remote IRR", rec.get("rirr")), ("pirq masked", rec.get("masked"))) if on]
    if rec.get("pending"):
        flags.append(f"dpci pending {rec['pending']}")
    return f"machine GSI {mgsi} pirq {rec['pirq']}: " + (", ".join(flags) if flags else "idle")
