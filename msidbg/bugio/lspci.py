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

_HEADER = re.compile(
    r"(?:(?P<dom>[0-9a-fA-F]{4,8}):)?(?P<bus>[0-9a-fA-F]{2}):(?P<dev>[0-1][0-9a-fA-F])\.(?P<fn>[0-7])"
    r"\s+(?P<cls>[^:\[]+?)(?:\s+\[(?P<code>[0-9a-fA-F]{4})\])?:\s*(?P<rest>.*)", re.ASCII)
_PROG_IF = re.compile(r"\(prog-if (?P<pi>[0-9a-fA-F]{2})(?: \[(?P<name>[^\]]*)\])?\)")
_CAP = re.compile(r"Capabilities:\s*(?:\[(?P<off>[0-9a-fA-F]+)(?:\s+v\d+)?\]\s*)?(?P<body>.*)")
_MSIX = re.compile(r"MSI-X:\s*Enable(?P<en>[+-])\s+Count=(?P<n>\d{1,6})\s+Masked(?P<mask>[+-])")
_MSI = re.compile(r"MSI:\s*Enable(?P<en>[+-])\s+Count=(?P<on>\d{1,3})/(?P<cap>\d{1,3})\s+"
                  r"Maskable(?P<pvm>[+-])\s+64bit(?P<a64>[+-])")
_DRIVER = re.compile(r"Kernel driver in use:\s*(?P<drv>\S+)")
#: the Command register's bits as ``show_verbose`` prints them (pciutils/pciutils lspci.c, with -vv):
#: I/O Space, Memory Space, Bus Master Enable, then bits msidbg does not model
_CONTROL = re.compile(r"Control:\s*I/O(?P<io>[+-])\s+Mem(?P<mem>[+-])\s+BusMaster(?P<bm>[+-])(?:\s|$)")
#: lines under a MSI/MSI-X capability that lspci prints with -vv (read, not needed)
_CAP_DETAIL = re.compile(r"(Address|Masking|Vector table|PBA):")

MSI_COUNTS = (1, 2, 4, 8, 16, 32)
MSIX_MAX = 2048
#: (class name in pci.ids, class code) -> scenario kind
NIC_CLASSES = {"ethernet controller": "0200", "network controller": "0280"}
NVME_CLASS = ("non-volatile memory controller", "0108")
USB_CLASS = ("usb controller", "0c03")
BRIDGE_CODES = ("0600", "0601", "0604", "0609")
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
        return self.bdf or f"(no device header, line {self.line})"


@dataclass
class Parsed:
    functions: list[Function] = field(default_factory=list)
    #: lines that looked relevant but could not be used: (line, text, why)
    unused: list[tuple[int, str, str]] = field(default_factory=list)
    #: lines outside any device that carry nothing (blank lines are not counted)
    stray: int = 0


def parse(lines: list[Line]) -> Parsed:
    """Functions in file order; every line is used, counted as a detail, or listed as unused."""
    out = Parsed()
    cur: Function | None = None
    for ln in lines:
        text = ln.text.strip()
        if not text:
            continue
        indented = ln.text[:1] in ("\t", " ")
        header = None if indented else _HEADER.fullmatch(text)
        if header is not None:
            cur = _function(header, ln.no)
            out.functions.append(cur)
            continue
        cap = _CAP.match(text)
        if cap is not None and (cur is None or not indented):
            cur = Function(line=ln.no)  # a capability line quoted on its own
            out.functions.append(cur)
        if cur is None:
            out.stray += 1
            if "MSI" in text:
                out.unused.append((ln.no, text, "mentions MSI but is not an lspci line this reads"))
            continue
        _property(cur, ln.no, text, cap, out)
    return out


def _function(m: re.Match[str], line: int) -> Function:
    rest = m.group("rest")
    pi = _PROG_IF.search(rest)
    dom = (m.group("dom") or "0000").lower()
    return Function(
        line=line, bdf=f"{m.group('bus')}:{m.group('dev')}.{m.group('fn')}".lower(), domain=dom,
        cls=m.group("cls").strip(), code=(m.group("code") or "").lower() or None,
        title=_PROG_IF.sub("", rest).strip(), prog_if=pi.group("pi").lower() if pi else None,
        prog_if_name=pi.group("name") if pi else None,
    )


def _property(f: Function, no: int, text: str, cap: re.Match[str] | None, out: Parsed) -> None:
    if cap is not None:
        _capability(f, no, cap.group("body").strip(), text, out)
        return
    drv = _DRIVER.match(text)
    if drv is not None:
        f.driver = drv.group("drv")
        return
    ctl = _CONTROL.match(text)
    if ctl is not None and not f.control_line:
        f.bus_master, f.control_line = ctl.group("bm") == "+", no
        return
    if "MSI" in text and not _CAP_DETAIL.match(text) and "Express" not in text:
        out.unused.append((no, text, f"{f.label}: mentions MSI but is not a line this reads"))
    f.details += 1


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
