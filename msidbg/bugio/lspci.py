"""``lspci -vv`` / ``-vvv`` text -> PCI functions with their MSI and MSI-X capabilities.

The format follows pciutils (``lspci.c`` ``show_device``/``show_verbose``, ``ls-caps.c``
``cap_msi``/``cap_msix``, read at pciutils master): a header line
``[DDDD:]BB:DD.F CLASS: VENDOR DEVICE (rev RR) (prog-if PP [NAME])`` (``-nn`` adds ``[cccc]``
and ``[vvvv:dddd]``), then tab-indented properties, among them
``Control: I/O- Mem+ BusMaster+ ...`` (the Command register: ``show_verbose``, with -vv),
``Capabilities: [70] MSI-X: Enable+ Count=3 Masked-`` (Count = table size),
``Capabilities: [50] MSI: Enable+ Count=1/8 Maskable+ 64bit+`` (Count = enabled/capable
vectors) and ``Kernel driver in use: NAME``. A capability line may also come alone, as quoted
in a mail (the seed thread quotes only the MSI-X line): it then makes a function of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from msidbg.bugio.textin import Line

#: ``-P`` / ``-PP`` (``show_slot_path``) print the path through each bridge: ``00:01.0/00.0``
#: (device and function only below a bridge) or ``00:01.0/01:00.0`` (with the bus number)
_HEADER = re.compile(
    r"(?:(?P<dom>[0-9a-fA-F]{4,8}):)?(?P<bus>[0-9a-fA-F]{2}):(?P<dev>[0-1][0-9a-fA-F])\.(?P<fn>[0-7])"
    r"(?P<path>(?:/(?:[0-9a-fA-F]{2}:)?[0-1][0-9a-fA-F]\.[0-7]){1,16})?"
    r"\s+(?P<cls>[^:\[]+?)(?:\s+\[(?P<code>[0-9a-fA-F]{4})\])?:\s*(?P<rest>.*)", re.ASCII)
_TREE = re.compile(r"(?:\\|\+|-)?-?\[[0-9a-fA-F]{4}:[0-9a-fA-F]{2}\]-|[+\\|]-[0-1][0-9a-fA-F]\.[0-7]", re.ASCII)
_PATH_STEP = re.compile(r"/(?:(?P<bus>[0-9a-fA-F]{2}):)?(?P<dev>[0-1][0-9a-fA-F])\.(?P<fn>[0-7])", re.ASCII)
#: ``lspci -n`` prints the class as its code (``22:00.0 0108: 15b7:5009``); busybox ``Class 0200``
_NUMERIC_CLASS = re.compile(r"(?:Class )?(?P<code>[0-9a-fA-F]{4})", re.ASCII)
#: pci.ids class and subclass names (pciutils ``show_device`` prints one before the first colon):
#: a pasted device block whose bus address was cut or redacted still starts with one
CLASS_NAMES = frozenset(n.lower() for n in (
    "SCSI storage controller", "IDE interface", "RAID bus controller", "ATA controller", "SATA controller",
    "Serial Attached SCSI controller", "Non-Volatile memory controller", "Mass storage controller",
    "Ethernet controller", "Network controller", "Infiniband controller", "Fabric controller",
    "VGA compatible controller", "3D controller", "Display controller", "Multimedia video controller",
    "Multimedia audio controller", "Audio device", "Multimedia controller", "Host bridge", "ISA bridge",
    "PCI bridge", "CardBus bridge", "Bridge", "System peripheral", "IOMMU", "SD Host controller",
    "USB controller", "SMBus", "Fibre Channel", "Serial bus controller", "Wireless controller",
    "Encryption controller", "Signal processing controller", "Processing accelerators",
    "Non-Essential Instrumentation", "Coprocessor", "Unassigned class"))
_NAMED_HEADER = re.compile(r"(?P<cls>[A-Za-z][\w ()/-]{1,48}?)(?:\s+\[(?P<code>[0-9a-fA-F]{4})\])?:\s*(?P<rest>.*)",
                           re.ASCII)
#: drivers that hold a function for a guest (xen-pciback, vfio-pci, pci-stub): what lspci shows of
#: the Command register then is the stub's, not the guest driver's
STUB_DRIVERS = frozenset(("pciback", "xen-pciback", "vfio-pci", "pci-stub"))
_PROG_IF = re.compile(r"\(prog-if (?P<pi>[0-9a-fA-F]{2})(?: \[(?P<name>[^\]]*)\])?\)")
_CAP = re.compile(r"Capabilities:\s*(?:\[(?P<off>[0-9a-fA-F]+)(?:\s+v[0-9]+)?\]\s*)?(?P<body>.*)")
_MSIX = re.compile(r"MSI-X:\s*Enable(?P<en>[+-])\s+Count=(?P<n>[0-9]{1,6})\s+Masked(?P<mask>[+-])")
_MSI = re.compile(r"MSI:\s*Enable(?P<en>[+-])\s+Count=(?P<on>[0-9]{1,3})/(?P<cap>[0-9]{1,3})\s+"
                  r"Maskable(?P<pvm>[+-])\s+64bit(?P<a64>[+-])")
_DRIVER = re.compile(r"Kernel driver in use:\s*(?P<drv>\S+)")
#: the Command register's bits as ``show_verbose`` prints them (pciutils/pciutils lspci.c, with -vv):
#: I/O Space, Memory Space, Bus Master Enable, then bits msidbg does not model
_CONTROL = re.compile(r"Control:\s*I/O(?P<io>[+-])\s+Mem(?P<mem>[+-])\s+BusMaster(?P<bm>[+-])(?:\s|$)")
#: lines under a MSI/MSI-X capability that lspci prints with -vv (read, not needed)
_CAP_DETAIL = re.compile(r"(Address|Masking|Vector table|PBA):")
#: the Interrupt Pin and Line as ``show_verbose`` prints them with -vv (pciutils lspci.c):
#: ``Interrupt: pin A routed to IRQ 16`` (pin ``?`` when the Interrupt Pin register is 0). The IRQ is
#: the kernel's pci_dev->irq (sysfs ``irq``): the GSI's irq, or the first MSI irq while MSI is enabled
_INTERRUPT = re.compile(r"Interrupt:\s*pin (?P<pin>\S)\s+routed to IRQ (?P<irq>[0-9]{1,10})\b", re.ASCII)
#: the Power Management capability's PMCSR as ``cap_pm`` prints it (pciutils ls-caps.c, with -vv) under
#: ``Capabilities: [40] Power Management version 3``: ``Status: D0 NoSoftRst+ PME-Enable- DSel=0 DScale=0 PME-``
#: -- the PowerState field (D0..D3; D3 is D3hot: a function in D3cold answers no config read) and
#: No_Soft_Reset (PCI PM 1.2: D3hot -> D0 keeps the configuration context). pciutils before NoSoftRst was
#: printed shows ``Status: D0 PME-Enable- ...``: the state, no bit
_PM_STATUS = re.compile(r"Status:\s*D(?P<d>[0-3])\s+(?:NoSoftRst(?P<nsr>[+-])\s+)?PME-Enable[+-]", re.ASCII)
_MSIX_WHERE = re.compile(r"(?P<what>Vector table|PBA): BAR=(?P<bar>[0-5]) offset=(?P<off>[0-9a-fA-F]{1,8})", re.ASCII)

MSI_COUNTS = (1, 2, 4, 8, 16, 32)
MSIX_MAX = 2048
#: (class name in pci.ids, class code) -> scenario kind
NIC_CLASSES = {"ethernet controller": "0200", "network controller": "0280"}
NVME_CLASS = ("non-volatile memory controller", "0108")
USB_CLASS = ("usb controller", "0c03")
BRIDGE_CODES = ("0600", "0601", "0604", "0609")
#: the GSIs a scenario's ``intx.gsi`` takes (msidbg.scenario.INTX_GSIS: one 24-pin IO-APIC's PCI inputs)
INTX_GSIS = (16, 23)
DRIVER_KINDS = {"nvme": "nvme", "xhci_hcd": "xhci", "xhci-pci": "xhci"}


@dataclass
class Msi:
    vectors: int
    enabled_vectors: int
    enabled: bool
    per_vector_mask: bool
    addr64: bool
    line: int


@dataclass
class Msix:
    table_size: int
    enabled: bool
    masked: bool
    line: int
    #: ``Vector table: BAR=4 offset=00000000`` and ``PBA: BAR=4 offset=00002000`` (cap_msix, -vv):
    #: (bar, offset) or None when not shown
    table: tuple[int, int] | None = None
    pba: tuple[int, int] | None = None


@dataclass
class Intx:
    """``Interrupt: pin A routed to IRQ 16``: the pin (A..D) and the GSI its irq is."""

    pin: str
    gsi: int
    line: int


@dataclass
class Function:
    """One PCI function as lspci showed it (``bdf`` None: a capability line without a header)."""

    line: int
    bdf: str | None = None
    domain: str = "0000"
    cls: str = ""
    code: str | None = None
    title: str = ""
    prog_if: str | None = None
    prog_if_name: str | None = None
    driver: str | None = None
    msi: Msi | None = None
    msix: Msix | None = None
    denied: bool = False
    #: the Command register's Bus Master Enable as the Control: line showed it (None: no such line)
    #: and that line's number
    bus_master: bool | None = None
    control_line: int = 0
    #: property lines read but not needed (Status:, Region ..., LnkCap: ...)
    details: int = 0
    #: the network device name a driver gave it in dmesg (makes a headerless function a NIC)
    netdev: str | None = None
    #: how the address was read when lspci did not print it whole (``-P``: no bus below a bridge)
    bdf_note: str = ""
    #: the same bus address as a function above it (a block pasted twice): listed, not added
    duplicate: bool = False
    #: the INTx pin and its GSI (``Interrupt: pin A routed to IRQ 16``), None when not shown or not usable
    intx: Intx | None = None
    #: that line as read: (pin, irq, line, text)
    interrupt: tuple[str, int, int, str] | None = None
    #: the PM capability's ``Status: D0 NoSoftRst+ ...`` line: (power state D0..D3, No_Soft_Reset or None when
    #: that pciutils does not print it, line, text); None when not shown
    pm: tuple[str, bool | None, int, str] | None = None

    @property
    def stub(self) -> bool:
        """Held for a guest by a stub driver (the guest's driver is elsewhere)."""
        return (self.driver or "") in STUB_DRIVERS

    @property
    def kind(self) -> str:
        """The scenario's device kind: from the class (name or code), else the driver."""
        cls = self.cls.lower()
        if cls in NIC_CLASSES or self.code in NIC_CLASSES.values():
            return "nic"
        if cls == NVME_CLASS[0] or self.code == NVME_CLASS[1]:
            return "nvme"
        usb = cls == USB_CLASS[0] or self.code == USB_CLASS[1]
        if usb and (self.prog_if == "30" or (self.prog_if_name or "").upper() == "XHCI"):
            return "xhci"
        kind = DRIVER_KINDS.get(self.driver or "")
        return kind or ("nic" if self.netdev else "generic")

    @property
    def bridge(self) -> bool:
        return self.code in BRIDGE_CODES or self.cls.lower().endswith("bridge")

    @property
    def label(self) -> str:
        if self.bdf:
            return self.bdf
        return f"(no bus address, line {self.line})" if self.cls else f"(no device header, line {self.line})"


@dataclass
class Parsed:
    functions: list[Function] = field(default_factory=list)
    #: lines that looked relevant but could not be used: (line, text, why)
    unused: list[tuple[int, str, str]] = field(default_factory=list)
    #: lines outside any device that carry nothing (blank lines are not counted)
    stray: int = 0
    #: lines of an ``lspci -t`` tree (``-[0000:00]-+-00.0``, ``+-01.0-[01]----00.0``)
    tree: int = 0
    #: capability lines of any kind (none at all: lspci ran without -v, or not as root)
    caps: int = 0


def parse(lines: list[Line]) -> Parsed:
    """Functions in file order; every line is used, counted as a detail, or listed as unused.

    lspci separates functions with a blank line and indents their properties; a paste whose
    indentation a tracker or mail client stripped keeps the blank lines, so a capability line at
    the left margin belongs to the function above it until a blank line closes that block (or
    it repeats a capability that function already has: lines quoted one by one from several)."""
    out = Parsed()
    cur: Function | None = None
    block = False  # cur's lines continue (no blank line since its first line)
    for ln in lines:
        text = ln.text.strip()
        if not text:
            block = False
            continue
        indented = ln.text[:1] in ("\t", " ")
        header = None if indented else _HEADER.fullmatch(text)
        if header is not None:
            cur, block = _function(header, ln.no), True
            out.functions.append(cur)
            continue
        named = None if indented or (cur is not None and block) else _NAMED_HEADER.fullmatch(text)
        if named is not None and named.group("cls").strip().lower() in CLASS_NAMES:
            cur, block = _named_function(named, ln.no), True  # a device block whose address was cut
            out.functions.append(cur)
            continue
        cap = _CAP.match(text)
        if cap is not None and (cur is None or (not indented and not (block and _takes(cur, cap)))):
            cur, block = Function(line=ln.no), True  # a capability line quoted on its own
            out.functions.append(cur)
        if cap is not None:
            out.caps += 1
        if cur is None:
            out.stray += 1
            out.tree += bool(_TREE.match(text))
            if "MSI" in text:
                out.unused.append((ln.no, text, "mentions MSI but is not an lspci line this reads"))
            continue
        _property(cur, ln.no, text, cap, out)
    for f in out.functions:
        _intx(f, out)
    return out


def _takes(f: Function, cap: re.Match[str]) -> bool:
    """Whether a capability line at the left margin can be one more line of ``f``'s block."""
    body = cap.group("body").lstrip()
    if body.startswith("MSI-X"):
        return f.msix is None
    if body.startswith("MSI"):
        return f.msi is None
    return True


def _function(m: re.Match[str], line: int) -> Function:
    rest = m.group("rest")
    pi = _PROG_IF.search(rest)
    dom = (m.group("dom") or "0000").lower()
    bus, dev, fn, note = m.group("bus"), m.group("dev"), m.group("fn"), ""
    steps = list(_PATH_STEP.finditer(m.group("path") or ""))
    if steps:  # -P/-PP: the function is the path's last step
        last = steps[-1]
        dev, fn = last.group("dev"), last.group("fn")
        if last.group("bus"):
            bus = last.group("bus")
        else:  # -P prints no bus below a bridge: one per bridge on the path, a guess
            bus = f"{min(int(bus, 16) + len(steps), 0xFF):02x}"
            note = (f"lspci -P path {m.group('bus')}:{m.group('dev')}.{m.group('fn')}{m.group('path')} "
                    f"prints no bus number below a bridge: bus {bus} is a guess (lspci -PP prints it)")
    cls, code = m.group("cls").strip(), (m.group("code") or "").lower() or None
    numeric = _NUMERIC_CLASS.fullmatch(cls)
    if numeric is not None and code is None:  # lspci -n
        code = numeric.group("code").lower()
    return Function(
        line=line, bdf=f"{bus}:{dev}.{fn}".lower(), domain=dom, cls=cls, code=code,
        title=_PROG_IF.sub("", rest).strip(), prog_if=pi.group("pi").lower() if pi else None,
        prog_if_name=pi.group("name") if pi else None, bdf_note=note,
    )


def _named_function(m: re.Match[str], line: int) -> Function:
    """A device block whose header lost its address (``Ethernet controller: ...``)."""
    rest = m.group("rest")
    pi = _PROG_IF.search(rest)
    return Function(line=line, cls=m.group("cls").strip(), code=(m.group("code") or "").lower() or None,
                    title=_PROG_IF.sub("", rest).strip(), prog_if=pi.group("pi").lower() if pi else None,
                    prog_if_name=pi.group("name") if pi else None)


def _property(f: Function, no: int, text: str, cap: re.Match[str] | None, out: Parsed) -> None:
    if cap is not None:
        _capability(f, no, cap.group("body").strip(), text, out)
        return
    drv = _DRIVER.match(text)
    if drv is not None:
        f.driver = drv.group("drv")
        return
    where = _MSIX_WHERE.match(text)
    if where is not None and f.msix is not None:
        at = (int(where.group("bar")), int(where.group("off"), 16))
        if where.group("what") == "PBA":
            f.msix.pba = f.msix.pba or at
        else:
            f.msix.table = f.msix.table or at
    irq = _INTERRUPT.match(text)
    if irq is not None:
        _interrupt(f, no, text, irq, out)
        return
    pm = _PM_STATUS.match(text)
    if pm is not None:
        if f.pm is None:
            nsr = pm.group("nsr")
            f.pm = (f"D{pm.group('d')}", None if nsr is None else nsr == "+", no, text)
        else:
            out.unused.append((no, text, f"{f.label}: a second Power Management Status: line (the first is used)"))
        return
    ctl = _CONTROL.match(text)
    if ctl is not None and not f.control_line:
        f.bus_master, f.control_line = ctl.group("bm") == "+", no
        return
    if "MSI" in text and not _CAP_DETAIL.match(text) and "Express" not in text:
        out.unused.append((no, text, f"{f.label}: mentions MSI but is not a line this reads"))
    f.details += 1


def _interrupt(f: Function, no: int, text: str, m: re.Match[str], out: Parsed) -> None:
    """Keep the function's first Interrupt: line; read once its block is over (``_intx``)."""
    if f.interrupt is not None:
        out.unused.append((no, text, f"{f.label}: a second Interrupt: line (the first is used)"))
        return
    f.interrupt = (m.group("pin"), int(m.group("irq")), no, text)


def _intx(f: Function, out: Parsed) -> None:
    """The INTx pin and the irq the kernel routed it to, as a GSI of 16..23 (INTX_GSIS), else listed
    (a bridge's is only counted: bridges are not added)."""
    if f.interrupt is None:
        return
    pin, irq, no, text = f.interrupt
    lo, hi = INTX_GSIS
    if pin in ("A", "B", "C", "D") and lo <= irq <= hi:
        f.intx = Intx(pin, irq, no)
        return
    if f.bridge:
        f.details += 1
        return
    if pin not in ("A", "B", "C", "D"):
        why = f"INTx pin {pin} (expected A..D; '?': the Interrupt Pin register is 0, no INTx pin)"
    elif f.msi is not None and f.msi.enabled and irq > hi:
        why = (f"IRQ {irq} is the MSI's (pci_dev->irq while MSI is enabled), not the pin's GSI "
               "(dmesg's 'PCI INT A -> GSI 16' names it)")
    else:
        why = (f"IRQ {irq} (expected a GSI of {lo}..{hi}, a PCI input of the one IO-APIC msidbg models; "
               "0 or 255: not routed)")
    out.unused.append((no, text, f"{f.label}: {why}"))


def _capability(f: Function, no: int, body: str, text: str, out: Parsed) -> None:
    if body.startswith("<access denied>"):
        f.denied = True
        out.unused.append((no, text, f"{f.label}: capabilities hidden (run lspci as root)"))
        return
    m = _MSIX.match(body)
    if m is not None:
        n = int(m.group("n"))
        if not 1 <= n <= MSIX_MAX:
            out.unused.append((no, text, f"{f.label}: MSI-X Count={n} (expected 1..{MSIX_MAX})"))
        elif f.msix is not None:
            out.unused.append((no, text, f"{f.label}: a second MSI-X capability (one is used)"))
        else:
            f.msix = Msix(n, m.group("en") == "+", m.group("mask") == "+", no)
        return
    m = _MSI.match(body)
    if m is not None:
        on, capable = int(m.group("on")), int(m.group("cap"))
        if capable not in MSI_COUNTS or on not in MSI_COUNTS:
            out.unused.append((no, text, f"{f.label}: MSI Count={on}/{capable} (expected powers of 2 up to 32)"))
        elif f.msi is not None:
            out.unused.append((no, text, f"{f.label}: a second MSI capability (one is used)"))
        else:
            f.msi = Msi(capable, on, m.group("en") == "+", m.group("pvm") == "+", m.group("a64") == "+", no)
        return
    if body.startswith(("MSI", "MSI-X")):
        out.unused.append((no, text, f"{f.label}: an MSI capability line this cannot read"))
        return
    f.details += 1
