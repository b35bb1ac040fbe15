"""``/proc/interrupts`` -> the online CPUs and, per MSI irq, its device, vector index and CPU.

Format (Linux ``kernel/irq/proc.c`` ``show_interrupts``, v4.x..v6.x): a header of
``CPU%-8d`` per online CPU; per irq ``%*d: `` then ``%10u `` per online CPU, the chip name
(`` %8s``), the hwirq when the irq has a domain, ``Edge``/``Level`` (GENERIC_IRQ_SHOW_LEVEL) or
``-<flow name>``, then the action names joined by ``, ``. x86's ``arch_show_interrupts``
(``arch/x86/kernel/irq.c``) appends named rows (``NMI:``, ``LOC:``, ...).

A PCI MSI irq names its function in one of three ways: the chip ``PCI-MSI``/``IR-PCI-MSI``
with hwirq = ``msi_index | pci_dev_id << 11 | domain << 27`` (``pci_msi_domain_calc_hwirq``,
``drivers/pci/msi/irqdomain.c``); the per-device chip ``PCI-MSIX-DDDD:BB:DD.F`` /
``PCI-MSI-DDDD:BB:DD.F`` with hwirq = the index (v6.2+); or, for Xen's ``xen-pirq`` chip
(``xen-pirq     -msi-x``; ``xen-pirq-msi-x`` in 3.x kernels, before the hwirq column was padded),
nothing at all -- those rows are matched by their action name (``eth0-TxRx-0``, ``nvme0q1``)
to a name that dmesg tied to a function.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from msidbg.bugio.textin import Line

_ROW = re.compile(r"\s*(?P<irq>[0-9]+|[A-Z][A-Z0-9]*):\s*(?P<rest>.*)", re.ASCII)
_CPU = re.compile(r"CPU(\d{1,4})", re.ASCII)
_PERDEV_CHIP = re.compile(r"(?:IR-)?PCI-MSI(?:X)?-(?P<dom>[0-9a-fA-F]{4}):(?P<bdf>[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7])")
#: before /proc/interrupts printed the hwirq (3.x kernels, e.g. RHEL 7's 3.10) the flow followed the
#: chip: ``IR-PCI-MSI-edge      eth0-TxRx-0`` names no function: matched by name, as a pirq row
_JOINED_MSI = re.compile(r"(?:IR-)?PCI-MSI(?:X)?-(?:edge|fasteoi)", re.ASCII)
_HWIRQ = re.compile(r"(?P<n>\d{1,20})-(?P<flow>\S+)", re.ASCII)
#: an IO-APIC pin's irq: chip ``IO-APIC`` (``IR-IO-APIC`` behind remapping), hwirq = the pin, flow
#: ``fasteoi`` (level: PCI INTx) or ``edge`` (ISA)
_IOAPIC_CHIPS = ("IO-APIC", "IR-IO-APIC")
MAX_CPUS = 256


def _number(token: str) -> bool:
    """An irq number or a count as the kernel prints them: ASCII digits, at most 20 (a u64). ``isdigit``
    alone takes '²' (then ``int`` fails: ``new`` ended with an internal error) and digits by the thousand."""
    return token.isascii() and token.isdigit() and len(token) <= 20


@dataclass
class IrqRow:
    irq: int
    line: int
    counts: dict[int, int]
    chip: str
    names: str
    bdf: str | None = None
    index: int | None = None
    ir: bool = False
    xen_pirq: bool = False

    @property
    def cpu(self) -> int | None:
        """The CPU that took most of this irq (its effective target), None if none took any."""
        best = max(self.counts.items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0))
        return best[0] if best[1] else None


@dataclass
class Interrupts:
    cpus: list[int] = field(default_factory=list)
    header_line: int = 0
    rows: list[IrqRow] = field(default_factory=list)
    #: IO-APIC level (``fasteoi``) rows: a GSI's irq and the actions sharing it (PCI INTx)
    ioapic: list[IrqRow] = field(default_factory=list)
    #: named or non-MSI rows, kept as "irq 0, 1, 8, NMI, LOC ..." for the comment
    other: list[str] = field(default_factory=list)
    unused: list[tuple[int, str, str]] = field(default_factory=list)


def parse(lines: list[Line]) -> Interrupts:
    out = Interrupts()
    for ln in lines:
        if not ln.text.strip():
            continue
        if not out.cpus and _is_header(ln.text):
            out.cpus = [int(c) for c in _CPU.findall(ln.text)][:MAX_CPUS]
            out.header_line = ln.no
            continue
        m = _ROW.fullmatch(ln.text)
        if m is None or not out.cpus:
            why = "before the CPU header line" if not out.cpus else "not an irq row"
            out.unused.append((ln.no, ln.text.strip(), why))
            continue
        _row(out, ln, m.group("irq"), m.group("rest"))
    return out


def _is_header(text: str) -> bool:
    tokens = text.split()
    return bool(tokens) and all(_CPU.fullmatch(t) for t in tokens)


def _row(out: Interrupts, ln: Line, irq: str, rest: str) -> None:
    tokens = rest.split()
    n = len(out.cpus)
    if not _number(irq):
        out.other.append(irq)
        return
    if len(tokens) < n or not all(_number(t) for t in tokens[:n]):
        out.unused.append((ln.no, ln.text.strip(), f"expected {n} per-CPU counts"))
        return
    counts = {cpu: int(t) for cpu, t in zip(out.cpus, tokens[:n], strict=True)}
    tail = tokens[n:]
    chip = tail[0] if tail else ""
    row = IrqRow(int(irq), ln.no, counts, chip, " ".join(tail[1:]))
    hw = _HWIRQ.fullmatch(tail[1]) if len(tail) > 1 else None
    if chip in _IOAPIC_CHIPS and hw is not None and hw.group("flow") == "fasteoi":
        row.names, row.ir = " ".join(tail[2:]), chip.startswith("IR-")
        out.ioapic.append(row)
        out.other.append(irq)
    elif _decode(row, tail):
        out.rows.append(row)
    else:
        out.other.append(irq)


def _decode(row: IrqRow, tail: list[str]) -> bool:
    """Fill the row's function and index from its chip and hwirq; False if not an MSI irq."""
    chip = row.chip
    per_dev = _PERDEV_CHIP.fullmatch(chip)
    hw = _HWIRQ.fullmatch(tail[1]) if len(tail) > 1 else None
    row.ir = chip.startswith("IR-")
    if per_dev is not None:
        row.bdf = per_dev.group("bdf").lower()
        row.index = int(hw.group("n")) if hw else None
        row.names = " ".join(tail[2:]) if hw else row.names
        return True
    if chip in ("PCI-MSI", "IR-PCI-MSI", "PCI-MSIX", "IR-PCI-MSIX") and hw is not None:
        hwirq = int(hw.group("n"))
        devid = (hwirq >> 11) & 0xFFFF
        row.bdf = f"{devid >> 8:02x}:{(devid & 0xFF) >> 3:02x}.{devid & 7}"
        row.index = hwirq & 0x7FF
        row.names = " ".join(tail[2:])
        return True
    if _JOINED_MSI.fullmatch(chip):
        row.names = " ".join(tail[1:])
        return True
    # "xen-pirq     -msi-x" once show_interrupts pads the hwirq column of a domain-less irq; before
    # that the flow name followed the chip directly: "xen-pirq-msi-x" (3.x kernels)
    joined = chip in ("xen-pirq-msi", "xen-pirq-msi-x")
    if joined or (chip.startswith("xen-pirq") and any(t.startswith("-msi") for t in tail[1:])):
        row.xen_pirq = True
        row.names = " ".join(t for t in tail[1:] if not t.startswith("-"))
        return True
    return False


def name_prefix(names: str, known: Collection[str]) -> str | None:
    """The known device name the irq's first action is named after: ``eth0`` for ``eth0-TxRx-0``
    and ``eth0``, ``nvme0`` for ``nvme0q1`` -- but not ``eth0`` for ``eth01``."""
    first = names.split(",")[0].strip()
    best = None
    for name in known:
        rest = first[len(name):]
        if first.startswith(name) and not rest[:1].isdigit() and (best is None or len(name) > len(best)):
            best = name
    return best
