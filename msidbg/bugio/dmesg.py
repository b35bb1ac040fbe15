"""dmesg -> the kernel release, Xen (or other hypervisor) hints, the CPU count, and which
function each driver-named device (``eth0``, ``nvme0``) is.

Lines as printed by Linux: ``Linux version 5.15.0-1019-aws (...)`` (``init/version.c``),
``Hypervisor detected: Xen HVM`` (``arch/x86/kernel/cpu/hypervisor.c``), ``Xen version: 4.2.amazon``
/ ``Xen version 4.11.`` (``arch/x86/xen/enlighten*.c``), ``DMI: Xen HVM domU, BIOS 4.2.amazon``,
``smp: Brought up 1 node, 2 CPUs``, and ``DRIVER DDDD:BB:DD.F NAME: ...`` (``dev_printk`` of a
net device) or ``nvme nvme0: pci function DDDD:BB:DD.F``. A ``[ seconds.micro]`` prefix, a
``<level>`` prefix and ``dmesg -x`` facility columns are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from msidbg.bugio.textin import Line

_PREFIX = re.compile(r"^(?:\w+\s*:\s*\w+\s*:\s*)?(?:<[0-9]+>)?(?:\[\s*[0-9]+\.[0-9]+\]\s*)?")
_LINUX = re.compile(r"Linux version (?P<rel>(?P<ver>[0-9]+\.[0-9]+(?:\.[0-9]+)?)\S*)")
#: the upstream stable release a distro kernel is based on, as Ubuntu and Debian print it at the
#: end of the banner: "(Ubuntu 5.15.0-1019.23-aws 5.15.39)", "Debian 6.1.76-1 (2024-02-01)"
_DISTRO_BASE = re.compile(r"\(Ubuntu \S+ (?P<ubuntu>[0-9]+\.[0-9]+\.[0-9]+)(?:-[\w.+~]*)?\)|Debian (?P<debian>[0-9]+\.[0-9]+\.[0-9]+)-\S+ \([0-9]{4}-[0-9][0-9]-[0-9][0-9]\)")
#: what follows the release number in an upstream or self-built kernel: nothing, -rcN, a
#: CONFIG_LOCALVERSION_AUTO "+" / "-gHASH", or a short local name ("-amd64" is Debian's, whose
#: banner names its base): anything else is a vendor's build number
_VENDOR_BUILD = re.compile(r"(?:-rc[0-9]+)?(?:-[0-9]+-g[0-9a-f]{7,40}|-g[0-9a-f]{7,40})?(?:-dirty)?\+?|-[a-z][a-z0-9_]*", re.ASCII)
_HYPERVISOR = re.compile(r"Hypervisor detected: (?P<what>.+)")
_XEN_VERSION = re.compile(r"Xen version:? (?P<ver>[0-9]+\.[0-9]+)")
_DMI_XEN = re.compile(r"DMI: Xen HVM domU, BIOS (?P<ver>[0-9]+\.[0-9]+)")
_DMI = re.compile(r"DMI: (?P<what>.+)")
_SMP = re.compile(r"smp: Brought up [0-9]+ nodes?, (?P<n>[0-9]+) CPUs?|smpboot: Allowing (?P<m>[0-9]+) CPUs")
#: ``netdev_info`` (``igb 0000:00:03.0 eth0: ...``) or a ``dev_info`` that starts with the
#: netdev's name, as igb, ixgbe and e1000e print their probe lines (``igb 0000:00:03.0: eth0: ...``)
_NETDEV = re.compile(r"(?P<drv>[\w-]+) (?:[0-9a-f]{4}:)?(?P<bdf>[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7])"
                     r"(?: (?P<name>[a-z][a-zA-Z0-9_]*[0-9]+)|: (?P<name2>(?:eth|en|wl|ib|em|p[0-9])[a-zA-Z0-9_]*[0-9]+)): ")
_NVME = re.compile(r"nvme (?P<name>nvme[0-9]+): pci function (?:[0-9a-f]{4}:)?(?P<bdf>[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7])")
_DRIVER_BDF = re.compile(r"(?P<drv>[\w-]+) (?:[0-9a-f]{4}:)?(?P<bdf>[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]): ")
#: acpi_pci_irq_enable (drivers/acpi/pci_irq.c): "PCI INT %c%s -> GSI %u (%s, %s) -> IRQ %d" after the
#: function's dev_printk prefix (dev_info before 3.x, dev_dbg since)
_PCI_INT = re.compile(r"(?:[0-9a-f]{4}:)?(?P<bdf>[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]): PCI INT (?P<pin>[A-D])\b[^>]{0,40}"
                      r"-> GSI (?P<gsi>[0-9]{1,10})", re.ASCII)
_RELEVANT = re.compile(r"MSI|pirq|evtchn|vector|IRQ remapping|Xen|xen", re.ASCII)
_APIC = re.compile(r"(?:Switched|Setting) APIC routing to:? (?P<name>physical flat|physical x2apic|cluster x2apic|flat)\b")
_ABI = re.compile(r"Using (?P<abi>FIFO-based|2-level) ABI")
_IR = re.compile(r"Enabled IRQ remapping|IRQ remapping (?:was )?enabled", re.ASCII)
MAX_LISTED = 40
#: a system sleep cycle's lines, as each release prints them. kernel/power/suspend.c pm_suspend:
#: ``pr_info("suspend entry (%s)")`` / ``pr_info("suspend exit")`` (pr_fmt "PM: "; the label is
#: mem_sleep_labels' s2idle / shallow / deep); drivers/acpi/sleep.c acpi_pm_prepare / acpi_pm_finish:
#: "Preparing to enter system sleep state S%d" / "Waking up from system sleep state S%d" (prefix "ACPI: "
#: before the pr_fmt "ACPI: PM: "), S4 being the hibernation's; kernel/power/hibernate.c hibernate():
#: "hibernation entry" / "hibernation exit" (pr_fmt "PM: hibernation: ", "PM: " before it), create_image's
#: "Creating image:" / "Creating hibernation image:" and snapshot.c swsusp_save's "Image created (N pages
#: copied ...)" / "Hibernation image created" -- made while every device is frozen, before the thaw
_SUSPEND_ENTRY = re.compile(r"PM: suspend entry \((?P<how>[a-z0-9-]{1,16})\)|"
                            r"ACPI:(?: PM:)? Preparing to enter system sleep state S(?P<s>[1-3])\b", re.ASCII)
_SUSPEND_EXIT = re.compile(r"PM: suspend exit\b|ACPI:(?: PM:)? Waking up from system sleep state S[1-3]\b", re.ASCII)
_HIBERNATE_ENTRY = re.compile(r"PM: (?:hibernation: )?(?:hibernation entry|Creating (?:hibernation )?image:?)|"
                              r"ACPI:(?: PM:)? Preparing to enter system sleep state S4\b", re.ASCII)
_HIBERNATE_EXIT = re.compile(r"PM: (?:hibernation: )?(?:hibernation exit|Image created|Hibernation image created|"
                             r"Image restored successfully)|ACPI:(?: PM:)? Waking up from system sleep state S4\b",
                             re.ASCII)
#: the power state pci_pm_suspend_noirq left a function in (drivers/pci/pci-driver.c, after pci_save_state and
#: pci_prepare_to_sleep: ``pci_dbg(pci_dev, "PCI PM: Suspend power state: %s\n", pci_power_name(current_state))``;
#: read in 5.15.24, 5.17 and 6.12.19 trees, absent in 4.13.9's; dev_dbg before pci_dbg; first release unconfirmed).
#: A debug line: printed with dynamic debug or a DEBUG build, so most pastes lack it. pci_power_name gives
#: "error", "D0".."D2", "D3hot", "D3cold", "unknown". D0: the function stayed on (skip_bus_pm, or not power
#: manageable) -- no D3 to model
_SUSPEND_STATE = re.compile(r"(?:[0-9a-f]{4}:)?(?P<bdf>[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]): PCI PM: Suspend power state: "
                            r"(?P<state>D0|D1|D2|D3hot|D3cold|unknown|error)\b", re.ASCII)
#: the cycles kept (each becomes a few actions a device); the others are counted
MAX_CYCLES = 4
#: messages that report the trouble itself, and the breakpoint that stops where the model shows it:
#: x86 common_interrupt's "%s: %d.%u No irq handler for vector" (arch/x86/kernel/irq.c: CPU, vector),
#: Xen's "CPU%u: No irq handler for vector %02x" (xen/arch/x86/irq.c do_IRQ), nvme_timeout's
#: "I/O %d QID %d timeout, completion polled" (drivers/nvme/host/pci.c: the completion was there,
#: its interrupt never came), __report_bad_irq's "irq %d: nobody cared" (kernel/irq/spurious.c)
#: and a driver failing to get its vectors
SYMPTOMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<fn>\w+): (?P<cpu>[0-9]{1,4})\.(?P<vec>[0-9]{1,3}) No irq handler for vector"),
     "CPU{cpu} took vector {vec:#04x} with no irq behind it (irq-spurious)"),
    (re.compile(r"CPU(?P<cpu>[0-9]{1,4}): No irq handler for vector (?P<hex>[0-9a-f]{2})"),
     "Xen: CPU{cpu} took vector 0x{hex} with no irq behind it (irq-spurious, on Xen's side)"),
    (re.compile(r"(?P<dev>nvme[0-9]+): I/O .{1,40} timeout, completion polled"),
     "{dev}: a completion whose interrupt never came (irq-lost)"),
    (re.compile(r"irq (?P<irq>[0-9]+): nobody cared"),
     "irq {irq}: every handler said not mine (irq-spurious)"),
    (re.compile(r"Disabling IRQ #(?P<irq>[0-9]{1,10})"),
     "irq {irq} disabled by note_interrupt: its handlers now run only from poll_spurious_irqs (irq-lost)"),
    (re.compile(r"(?:[Ff]ailed to (?:allocate|enable|get) MSI-?X?|MSI-?X? (?:allocation|enable) failed|"
                r"request_irq failed)"),
     "a driver could not get its vectors (probe-failed)"),
)


@dataclass
class Hint:
    value: str
    line: int
    text: str


@dataclass
class Cycle:
    """One system sleep as dmesg showed it: ``suspend`` (S1..S3, s2idle) or ``hibernate`` (S4), its first
    line and, when the system came back, the line that says so (None: the paste ends asleep, or the
    entry was cut and only the return is there -- ``entry`` None)."""

    kind: str
    entry: Hint | None
    exit: Hint | None = None
    #: bdf -> the power state pci_pm_suspend_noirq reported for the function (``_SUSPEND_STATE``), the first
    states: dict[str, Hint] = field(default_factory=dict)


@dataclass
class Dmesg:
    kernel: Hint | None = None
    platform: Hint | None = None
    xen: Hint | None = None
    other_hypervisor: Hint | None = None
    #: "Booting paravirtualized kernel on Xen PVH" (default_banner, arch/x86/kernel/paravirt.c, with
    #: init_hvm_pv_info's name): a PVH guest, which also says "Hypervisor detected: Xen HVM"
    pvh: Hint | None = None
    cpus: Hint | None = None
    remapping: Hint | None = None
    #: the x86 APIC driver: the last "Switched APIC routing to physical flat." / "Setting APIC
    #: routing to ..." (arch/x86/kernel/apic/probe_64.c; "APIC: Switched APIC routing to: ..." from 6.6)
    apic: Hint | None = None
    #: the event channel ABI the guest runs: "xen:events: Using 2-level ABI" (xen_evtchn_2l_init,
    #: drivers/xen/events/events_2l.c) or "Using FIFO-based ABI" (xen_evtchn_fifo_init): "2l"/"fifo"
    abi: Hint | None = None
    #: device name -> (bdf, line)
    names: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: bdf -> (pin, GSI, line) from "PCI INT A -> GSI 16 (level, low) -> IRQ 16"
    intx: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    #: bdf -> driver name seen in dev_printk lines
    drivers: dict[str, str] = field(default_factory=dict)
    used: int = 0
    unused: list[tuple[int, str, str]] = field(default_factory=list)
    #: (line, text, what it is): the trouble the report is about, as the kernel printed it
    symptoms: list[tuple[int, str, str]] = field(default_factory=list)
    #: the highest CPU a guest-kernel symptom names (at least that many + 1 online), and its line
    cpu_named: Hint | None = None
    ignored: int = 0
    #: the system sleep cycles in file order (at most MAX_CYCLES), and how many more there were
    cycles: list[Cycle] = field(default_factory=list)
    cycles_dropped: int = 0
    #: the cycle the lines being read belong to (kept or dropped)
    sleeping: Cycle | None = None


def parse(lines: list[Line]) -> Dmesg:
    out = Dmesg()
    for ln in lines:
        text = _PREFIX.sub("", ln.text).strip()
        if not text:
            continue
        symptom, cpu = _symptom(text)
        if symptom is not None and len(out.symptoms) < MAX_LISTED:
            out.symptoms.append((ln.no, text, symptom))
        if cpu is not None and (out.cpu_named is None or cpu > int(out.cpu_named.value)):
            out.cpu_named = Hint(str(cpu), ln.no, text)
        if _take(out, ln.no, text):
            out.used += 1
        elif symptom is not None:
            out.used += 1
        elif _RELEVANT.search(text) and len(out.unused) < MAX_LISTED:
            out.unused.append((ln.no, text, "nothing this skeleton sets"))
        else:
            out.ignored += 1
    return out


def _symptom(text: str) -> tuple[str | None, int | None]:
    """What a trouble line reports, and the guest CPU it names (Xen's CPUs are not the guest's)."""
    for pat, what in SYMPTOMS:
        m = pat.search(text)
        if m is not None:
            d: dict[str, object] = dict(m.groupdict())
            if "vec" in d:
                d["vec"] = int(str(d["vec"]))
            cpu = int(str(d["cpu"])) if "cpu" in d and "hex" not in d else None
            return what.format(**d), cpu if cpu is not None and cpu < 4096 else None
    return None, None


def _take(out: Dmesg, no: int, text: str) -> bool:
    """Use ``text`` if it carries a hint; the first occurrence of each hint wins."""
    for fn in (_kernel, _hypervisor, _xen_version, _cpus, _remapping, _apic, _abi, _pci_int, _sleep, _suspend_state,
               _devices):
        if fn(out, no, text):
            return True
    return False


def _kernel(out: Dmesg, no: int, text: str) -> bool:
    m = _LINUX.search(text)
    if m is None or out.kernel is not None:
        return False
    base = _DISTRO_BASE.search(text)
    if base is not None:  # a distro release number hides the stable release (and its backports)
        ver = base.group("ubuntu") or base.group("debian")
        out.kernel = Hint(ver, no, f"Linux version {m.group('rel')}, based on {ver}")
    else:
        note = f"Linux version {m.group('rel')}"
        suffix = m.group("rel")[len(m.group("ver")):]
        if _VENDOR_BUILD.fullmatch(suffix) is None:  # 4.18.0-513.5.1.el8_9.x86_64, 6.4.0-150600.23-default
            note += f": a distro build; its backports may differ from {m.group('ver')}'s switches"
        out.kernel = Hint(m.group("ver"), no, note)
    return True


def _hypervisor(out: Dmesg, no: int, text: str) -> bool:
    if "Booting paravirtualized kernel on Xen PVH" in text:
        out.pvh = out.pvh or Hint("pvh", no, text)
        return True
    m = _HYPERVISOR.search(text) or _DMI.search(text)
    if m is None:
        return False
    what = m.group("what").strip()
    low = what.lower()
    if low.startswith("xen hvm") or low.startswith("xen pv") or low == "xen":
        kind = "xen-pv" if low.startswith("xen pv") and "hvm" not in low else "xen-hvm"
        if out.platform is None:
            out.platform = Hint(kind, no, text)
        dmi = _DMI_XEN.search(text)
        if dmi is not None and out.xen is None:
            out.xen = Hint(dmi.group("ver"), no, text)
        return True
    if m.re is _HYPERVISOR and out.other_hypervisor is None:
        out.other_hypervisor = Hint(what, no, text)
        return True
    return False


def _xen_version(out: Dmesg, no: int, text: str) -> bool:
    m = _XEN_VERSION.search(text)
    if m is None:
        return False
    out.xen = Hint(m.group("ver"), no, text)  # the hypervisor's own word beats the BIOS string
    return True


def _cpus(out: Dmesg, no: int, text: str) -> bool:
    m = _SMP.search(text)
    if m is None:
        return False
    if out.cpus is None or m.group("n"):
        out.cpus = Hint(m.group("n") or m.group("m"), no, text)
    return True


def _apic(out: Dmesg, no: int, text: str) -> bool:
    m = _APIC.search(text)
    if m is None:
        return False
    out.apic = Hint(m.group("name"), no, text)  # switched again later: the later driver ran the irqs
    return True


def _abi(out: Dmesg, no: int, text: str) -> bool:
    m = _ABI.search(text)
    if m is None:
        return False
    out.abi = Hint("fifo" if m.group("abi") == "FIFO-based" else "2l", no, text)  # a resume may switch: the last
    return True


def _remapping(out: Dmesg, no: int, text: str) -> bool:
    if _IR.search(text) is None:
        return False
    out.remapping = out.remapping or Hint("true", no, text)
    return True


def _pci_int(out: Dmesg, no: int, text: str) -> bool:
    m = _PCI_INT.search(text)
    if m is None:
        return False
    out.intx.setdefault(m.group("bdf"), (m.group("pin"), int(m.group("gsi")), no))
    return True


def _devices(out: Dmesg, no: int, text: str) -> bool:
    m = _NVME.search(text) or _NETDEV.search(text)
    if m is not None:
        name = m.group("name") or m.group("name2")
        out.names.setdefault(name, (m.group("bdf"), no))
        if "drv" in m.re.groupindex:
            out.drivers.setdefault(m.group("bdf"), m.group("drv"))
        else:
            out.drivers.setdefault(m.group("bdf"), "nvme")
        return True
    d = _DRIVER_BDF.search(text)
    if d is not None and d.group("bdf") not in out.drivers:
        out.drivers[d.group("bdf")] = d.group("drv")
        return True
    return False


def _sleep(out: Dmesg, no: int, text: str) -> bool:
    """A suspend's or a hibernation's entry or exit line. One cycle prints several of each (5.x: "PM: suspend
    entry (deep)" then "ACPI: PM: Preparing to enter system sleep state S3", "ACPI: PM: Waking up ..." then
    "PM: suspend exit"; a hibernation's "Image created", then ACPI's S4 entry before the power-off, then
    "hibernation exit" after the restore): a line of the cycle being read adds nothing to it. An exit with
    no cycle of its kind before it is a cycle whose entry the paste cut."""
    for kind, entry, leave in (("hibernate", _HIBERNATE_ENTRY, _HIBERNATE_EXIT),
                               ("suspend", _SUSPEND_ENTRY, _SUSPEND_EXIT)):
        cur = out.sleeping if out.sleeping is not None and out.sleeping.kind == kind else None
        m = entry.search(text)
        if m is not None:
            acpi = text.lstrip().startswith("ACPI")
            # a new cycle unless this one is still open (or, for ACPI's S4 line, any of this hibernation)
            if cur is None or (cur.exit is not None and not (acpi and kind == "hibernate")):
                _add_cycle(out, Cycle(kind, Hint(kind, no, text)))
            return True
        if leave.search(text) is not None:
            if cur is None:
                _add_cycle(out, Cycle(kind, None, Hint(kind, no, text)))
            elif cur.exit is None:
                cur.exit = Hint(kind, no, text)
            return True
    return False


def _suspend_state(out: Dmesg, no: int, text: str) -> bool:
    """A function's "PCI PM: Suspend power state: D3cold" inside a suspend dmesg shows (after its entry and
    before its exit; outside one, or in a hibernation, it is not used)."""
    m = _SUSPEND_STATE.search(text)
    if m is None:
        return False
    cycle = out.sleeping
    if cycle is None or cycle.kind != "suspend" or cycle.exit is not None or cycle.entry is None:
        return False
    cycle.states.setdefault(m.group("bdf"), Hint(m.group("state"), no, text))
    drv = _DRIVER_BDF.search(text)
    if drv is not None:
        out.drivers.setdefault(drv.group("bdf"), drv.group("drv"))
    return True


def _add_cycle(out: Dmesg, cycle: Cycle) -> None:
    out.sleeping = cycle
    if len(out.cycles) < MAX_CYCLES:
        out.cycles.append(cycle)
    else:
        out.cycles_dropped += 1
