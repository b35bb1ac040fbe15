"""``msidbg new``: a commented scenario skeleton from a bug report's artifacts.

From ``lspci -vv`` text one device per function with an MSI or MSI-X capability (bridges are
listed, not added: their MSI serves port services) and, on bare metal, its INTx pin and GSI
(``Interrupt: pin A routed to IRQ 16``, else dmesg's ``PCI INT A -> GSI 16``, else an IO-APIC
fasteoi row of /proc/interrupts naming it) as ``intx:`` -- a function with only a pin is a device
too, probed with ``mode: intx``; on Xen the pin of a passthrough function with MSI where the loader
models it (a Xen HVM guest, 4.16+), else a comment with the loader's reason; from ``/proc/interrupts`` the CPU count and
each vector's CPU; from dmesg the kernel release, the platform and Xen version, and the names
drivers gave the functions. Every value says where it came from in a comment; lines that looked
relevant and could not be used are listed at the end, the rest are counted. The result is
checked with the scenario loader before it is written (atomically).
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import dataclass, field

from msidbg import yamlsafe as ys
from msidbg.bugio import dmesg as dm
from msidbg.bugio import lspci as lp
from msidbg.bugio import procirq as pi
from msidbg.bugio.textin import STDIN, STDIN_NAME, InputError, read_lines
from msidbg.errors import MsidbgError
from msidbg.guard import escape
from msidbg.scenario import MAX_DEVICES, load_scenario_text

PLATFORMS = ("bare-metal", "xen-hvm", "xen-pv")
FIRST_FREE_SLOT = 3  # QEMU and Xen HVM guests put the first passed-through function at 00:03.0
MAX_LISTED = 60
_DEV_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)
_SCN_NAME = re.compile(r"[^a-z0-9-]+")
KIND_PREFIX = {"nic": "eth", "nvme": "nvme", "xhci": "xhci", "generic": "dev"}


@dataclass
class Inputs:
    lspci: str
    interrupts: str | None = None
    dmesg: str | None = None
    platform: str | None = None
    name: str | None = None


@dataclass
class Device:
    name: str
    fn: lp.Function
    bdf: str
    bdf_note: str
    rows: list[pi.IrqRow] = field(default_factory=list)
    #: the INTx pin and GSI, and where they came from (lspci's Interrupt: line, dmesg's PCI INT, an
    #: IO-APIC row of /proc/interrupts naming the device)
    intx: tuple[str, int, str] | None = None


@dataclass
class Skeleton:
    """What the YAML is written from (kept for tests: the decisions, not only the text)."""

    cpus: int
    cpus_note: str
    platform: str
    platform_note: str
    devices: list[Device]
    lines: list[str] = field(default_factory=list)


def build(inp: Inputs) -> str:
    """The skeleton's YAML text; raises MsidbgError (one line) on bad input."""
    given = [o for o, v in (("--lspci", inp.lspci), ("--interrupts", inp.interrupts), ("--dmesg", inp.dmesg))
             if v == STDIN]
    if len(given) > 1:   # named as argparse names an option (hardening32: 'msidbg: '-' ...', no subcommand)
        raise MsidbgError(f"'-' (standard input) given to {' and '.join(given)}: one stream cannot be both (expected it for one of "
                          "--lspci, --interrupts, --dmesg; the others as files)", option=given[-1], command="new")
    fns = lp.parse(read_lines(inp.lspci, "lspci -vv text"))
    irqs = pi.parse(read_lines(inp.interrupts, "/proc/interrupts text")) if inp.interrupts else None
    msgs = dm.parse(read_lines(inp.dmesg, "dmesg text")) if inp.dmesg else None
    return render(inp, fns, irqs, msgs)


def render(inp: Inputs, fns: lp.Parsed, irqs: pi.Interrupts | None, msgs: dm.Dmesg | None) -> str:
    msgs = msgs or dm.Dmesg()
    platform, platform_note = _platform(inp, msgs)
    intx_refused = _intx_refusal(platform, irqs, msgs, inp)
    # on bare metal a function with only an INTx pin is a device too (the one sharing a line); on Xen its
    # pin loads or not with its guest slot (a comment on a device with MSI says which)
    usable = _once([f for f in fns.functions if (f.msi or f.msix or (f.intx and intx_refused is None
                                                                       and platform == "bare-metal"))
                    and not f.bridge], fns, inp)
    if not usable:
        what = ("no function with an MSI or MSI-X capability (expected lspci -vv output with "
                "'Capabilities: [..] MSI-X: ...' lines; run lspci as root)")
        if fns.tree and not fns.functions:
            what = (f"an lspci -t tree ({_n(fns.tree, 'line')}) shows no capabilities (expected lspci -vv "
                    "output, run as root: 'sudo lspci -vv')")
        elif fns.functions and not fns.caps and not any(f.details or f.control_line or f.driver or f.interrupt for f in fns.functions):
            what = (f"{_n(len(fns.functions), 'function')} listed without their properties (expected lspci -vv "
                    "output, run as root: plain lspci prints one line a function)")
        raise InputError(what, _src(inp.lspci))
    if len(usable) > MAX_DEVICES:  # before naming them (quadratic) and writing a skeleton that cannot load
        raise InputError(f"{len(usable)} functions with an MSI or MSI-X capability is too many (expected at most "
                         f"{MAX_DEVICES}, a scenario's devices: keep the lspci sections of the devices involved)",
                         _src(inp.lspci))
    cpus, cpus_note = _cpus(inp, irqs, msgs)
    cpus, cpus_note = _cpus_fit(cpus, cpus_note, platform, bool(_remapping(irqs, msgs, inp)))
    devices = _devices(usable, fns, irqs, msgs, inp)
    w = _Writer(inp, cpus, platform)
    w.intx_refused = intx_refused
    w.intx_head = _intx_head(platform, irqs, msgs, inp)
    w.header(fns, irqs, msgs, devices)
    w.top(cpus, cpus_note, platform, platform_note, msgs, irqs)
    w.devices(devices)
    w.run(devices, irqs, msgs)
    w.unused(fns, irqs, msgs, [f for f in fns.functions if f not in usable and not f.duplicate])
    text = "\n".join(w.out) + "\n"
    try:
        load_scenario_text(text, inp.name or "scenario.yaml")
    except MsidbgError as e:  # a skeleton that does not load is a bug in this module
        raise MsidbgError(f"internal error: the skeleton does not load: {e.message}") from None
    return text


# --- decisions --------------------------------------------------------------------------------
def _once(fns: list[lp.Function], parsed: lp.Parsed, inp: Inputs) -> list[lp.Function]:
    """Each bus address once: a block pasted twice (or the same address in two PCI domains, which
    a scenario's one domain cannot tell apart) keeps its first, and the others are listed."""
    first: dict[str, lp.Function] = {}
    out = []
    for f in fns:
        seen = first.get(f.bdf or "") if f.bdf else None
        if seen is None:
            if f.bdf:
                first[f.bdf] = f
            out.append(f)
            continue
        f.duplicate = True
        where = f"{_base(inp.lspci)}:{seen.line}"
        parsed.unused.append((f.line, f"{f.domain}:{f.bdf} {f.cls}".strip(),
                              f"the same bus address as {where} (a function is added once)"))
    return out


def _cpus(inp: Inputs, irqs: pi.Interrupts | None, msgs: dm.Dmesg) -> tuple[int, str]:
    if irqs is not None and irqs.cpus:
        n = max(irqs.cpus) + 1
        return min(n, 256), f"{_base(inp.interrupts)}:{irqs.header_line}: CPU0..CPU{n - 1}"
    if msgs.cpus is not None:
        return min(max(int(msgs.cpus.value), 1), 256), f"{_base(inp.dmesg)}:{msgs.cpus.line}: {msgs.cpus.text}"
    if msgs.cpu_named is not None:
        n = int(msgs.cpu_named.value) + 1
        return min(n, 256), (f"{_base(inp.dmesg)}:{msgs.cpu_named.line}: names CPU{n - 1}, so at least {n} "
                             f"online: {msgs.cpu_named.text}")
    return 2, "not in the inputs: two CPUs, so affinity changes can move vectors"


def _cpus_fit(cpus: int, note: str, platform: str, remapping: bool) -> tuple[int, str]:
    """At most the CPUs the platform can address (docs/scenario.md): 128 vCPUs on xen-hvm
    (HVM_MAX_VCPUS), 255 on bare metal without remapping (xAPIC id 0xFF is the broadcast id)."""
    limit = 128 if platform == "xen-hvm" else 255 if platform == "bare-metal" and not remapping else 256
    if cpus <= limit:
        return cpus, note
    return limit, f"{note}; at most {limit} on {platform}{'' if remapping else ' without remapping'}"


def _platform(inp: Inputs, msgs: dm.Dmesg) -> tuple[str, str]:
    if inp.platform:
        return inp.platform, "--platform"
    if msgs.platform is not None:
        return msgs.platform.value, f"{_base(inp.dmesg)}:{msgs.platform.line}: {msgs.platform.text}"
    return "bare-metal", "no hypervisor in the inputs"


def _intx_head(platform: str, irqs: pi.Interrupts | None, msgs: dm.Dmesg, inp: Inputs) -> str:
    """The platform (with the Xen version) and kernel lines the skeleton will have, for asking the loader
    whether an INTx pin loads with them."""
    if platform == "bare-metal":
        head = "platform: {kind: bare-metal" + (", interrupt_remapping: true}" if _remapping(irqs, msgs, inp) else "}")
    else:
        head = f"platform: {{kind: {platform}}}"
        if msgs.xen is not None and _refusal(f"platform: {{kind: {platform}, xen: {_q(msgs.xen.value)}}}") is None:
            head = f"platform: {{kind: {platform}, xen: {_q(msgs.xen.value)}}}"
    if msgs.kernel is not None and _refusal(f"{head}\nkernel: {{version: {_q(msgs.kernel.value)}}}") is None:
        head += f"\nkernel: {{version: {_q(msgs.kernel.value)}}}"
    return head


def _intx_probe(head: str, platform: str, bdf: str, pin: str, gsi: int, moves: bool) -> str | None:
    """None if the loader takes an intx: pin on a function at ``bdf`` (passed through on Xen: a Xen HVM
    guest's pin is modelled for a passthrough function, its guest GSI from the slot), moved by a
    set_affinity when ``moves``; else its message without the field path."""
    xen = platform != "bare-metal"
    dev = (f"devices:\n  d:\n    bdf: {_q(bdf)}\n" + ("    passthrough: true\n" if xen else "")
           + ("    msi: {vectors: 1}\n" if moves else "") + f"    intx: {{pin: {pin}, gsi: {gsi}}}")
    run = ("\ncpus: 2\nrun:\n  - {at: 0, do: probe, dev: d, mode: any, vectors: 1}\n"
           "  - {at: 1ms, do: set_affinity, dev: d, vector: 0, cpu: 1}") if moves else ""
    refused = _refusal(f"{head}\n{dev}{run}")
    if refused is None:
        return None
    return re.sub(r"^(devices\.d\.intx|run\[[0-9]+\]\.do): ", "", refused)


def _intx_refusal(platform: str, irqs: pi.Interrupts | None, msgs: dm.Dmesg, inp: Inputs) -> str | None:
    """None if this msidbg models an INTx pin on the inputs' platform, else why not (the loader's word:
    on Xen for a passthrough function in a slot whose guest GSI is modelled, 08.0)."""
    head = _intx_head(platform, irqs, msgs, inp)
    return _intx_probe(head, platform, "00:03.0" if platform == "bare-metal" else "00:08.0", "A", 16, False)


def _intx(dev: Device, irqs: pi.Interrupts | None, msgs: dm.Dmesg, inp: Inputs) -> tuple[str, int, str] | None:
    """The device's INTx pin and GSI: lspci's Interrupt: line, else dmesg's "PCI INT A -> GSI 16",
    else a /proc/interrupts IO-APIC fasteoi row whose actions name the device (the pin then a guess)."""
    f = dev.fn
    if f.intx is not None:
        return f.intx.pin, f.intx.gsi, f"{_base(inp.lspci)}:{f.intx.line}: Interrupt: pin {f.intx.pin} " \
                                       f"routed to IRQ {f.intx.gsi}"
    lo, hi = lp.INTX_GSIS
    hint = msgs.intx.get(dev.bdf)
    if hint is not None and lo <= hint[1] <= hi:
        return hint[0], hint[1], f"{_base(inp.dmesg)}:{hint[2]}: PCI INT {hint[0]} -> GSI {hint[1]}"
    for row in irqs.ioapic if irqs is not None else ():
        names = [n.strip() for n in row.names.split(",")]
        if lo <= row.irq <= hi and any(pi.name_prefix(n, [dev.name]) for n in names):
            return "A", row.irq, (f"{_base(inp.interrupts)}:{row.line}: irq {row.irq} {row.chip} fasteoi {row.names} "
                                  "(the pin is not in the inputs: A)")
    return None


def _devices(usable: list[lp.Function], fns: lp.Parsed, irqs: pi.Interrupts | None,
             msgs: dm.Dmesg, inp: Inputs) -> list[Device]:
    taken = {f.bdf for f in fns.functions if f.bdf}
    by_bdf_name = {bdf: name for name, (bdf, _) in msgs.names.items()}
    used_names: set[str] = set()
    out: list[Device] = []
    for f in usable:
        bdf, note = _bdf(f, taken)
        if f.driver is None and bdf in msgs.drivers:
            f.driver = msgs.drivers[bdf]
        netdev = by_bdf_name.get(bdf)
        if netdev is not None and not netdev.startswith("nvme"):
            f.netdev = netdev  # a driver printed it as a network device: a NIC
        name = _name(f, netdev, used_names)
        out.append(Device(name, f, bdf, note))
    if irqs is not None:
        _match_rows(out, irqs, msgs)
    for d in out:
        d.intx = _intx(d, irqs, msgs, inp)
    return out


def _bdf(f: lp.Function, taken: set[str]) -> tuple[str, str]:
    if f.bdf is not None:
        note = "" if f.domain == "0000" else f" (PCI domain {f.domain} dropped: scenarios have one domain)"
        if f.bdf_note:
            note = f" ({f.bdf_note})" + note
        return f.bdf, note
    n = FIRST_FREE_SLOT  # bus * 32 + device: a bus has 32 devices (5 bits), then the next bus
    while f"{n >> 5:02x}:{n & 31:02x}.0" in taken:
        n += 1
    bdf = f"{n >> 5:02x}:{n & 31:02x}.0"
    taken.add(bdf)
    what = "the device block had no bus address" if f.cls else "the capability line had no device header"
    return bdf, f" (not in the input: {what}; a guest's first free slot)"


def _name(f: lp.Function, dmesg_name: str | None, used: set[str]) -> str:
    # lowercased: a scenario's device names are; systemd names a function in PCI domain 1 enP1s15
    low = (dmesg_name or "").lower()
    if low and _DEV_NAME.fullmatch(low) and low not in used and ys.plain_is_text(low):
        used.add(low)
        return low
    prefix = KIND_PREFIX[f.kind]
    i = 0
    while f"{prefix}{i}" in used:
        i += 1
    used.add(f"{prefix}{i}")
    return f"{prefix}{i}"


def _match_rows(devices: list[Device], irqs: pi.Interrupts, msgs: dm.Dmesg) -> None:
    """Give each device its /proc/interrupts rows: by function, else (Xen pirqs) by name."""
    by_bdf = {d.bdf: d for d in devices}
    by_name = {d.name: d for d in devices}
    for name, (bdf, _) in msgs.names.items():
        if bdf in by_bdf:
            by_name.setdefault(name, by_bdf[bdf])
    for row in irqs.rows:
        dev = by_bdf.get(row.bdf or "")
        if dev is None and row.bdf is None:
            dev = by_name.get(pi.name_prefix(row.names, by_name) or "")
        if dev is not None:
            dev.rows.append(row)
    for dev in devices:
        named = [r for r in dev.rows if r.index is None]
        for i, row in enumerate(named):  # pirq rows carry no index: their order is the vector order
            row.index = i


def _vectors(dev: Device, cpus: int) -> tuple[int, str]:
    f = dev.fn
    if _mode(f) == "intx":
        return 1, "an INTx pin: one vector"
    indexes = sorted({r.index for r in dev.rows if r.index is not None})
    limit = f.msix.table_size if _mode(f) != "msi" and f.msix else (f.msi.vectors if f.msi else 1)
    if indexes:
        n = min(max(indexes) + 1, limit)
        return n, f"{len(indexes)} irq(s) in /proc/interrupts"
    if _mode(f) == "msi" and f.msi:
        n = f.msi.enabled_vectors if f.msi.enabled else 1
        return n, f"lspci: Count={f.msi.enabled_vectors}/{f.msi.vectors} enabled"
    n = min(limit, cpus + 1)
    why = "the table size" if n == limit else "one per CPU plus one, as multi-queue drivers ask"
    return n, f"not in the inputs: {why}"


def _moves(dev: Device, cpus: int) -> list[tuple[pi.IrqRow, int]]:
    """The /proc/interrupts rows whose CPU becomes a ``set_affinity`` action, with that CPU. None
    for a function with only an INTx pin in lspci (an MSI row naming it -- lspci run without root
    shows the pin but not the capabilities -- cannot be moved: the scenario's device has no MSI, and
    its set_affinity would move the INTx irq, which the row does not show)."""
    if _mode(dev.fn) == "intx":
        return []
    n, _ = _vectors(dev, cpus)
    out = []
    for row in sorted(dev.rows, key=lambda r: r.index or 0):
        cpu = row.cpu
        if row.index is not None and row.index < n and cpu is not None and cpu < cpus:
            out.append((row, cpu))
    return out


def _mode(f: lp.Function) -> str:
    if not f.msix and not f.msi:
        return "intx"
    if f.msix and f.msi:
        if f.msix.enabled != f.msi.enabled:
            return "msix" if f.msix.enabled else "msi"
        return "msix" if f.msix.enabled else "any"
    return "msix" if f.msix else "msi"


def _src(path: str) -> str:
    """An input as errors name it: its path, or "stdin" for '-'."""
    return STDIN_NAME if path == STDIN else path


def _base(path: str | None) -> str:
    return STDIN_NAME if path == STDIN else os.path.basename(path or "")


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=True)


def _comment(text: str) -> str:
    """Text from an input file for a YAML comment: one line, control characters escaped."""
    return escape(" ".join(text.replace("\t", " ").split())[:200])


# --- writing ------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, inp: Inputs, cpus: int, platform: str) -> None:
        self.inp = inp
        self.cpus = cpus
        self.platform = platform
        self.out: list[str] = []
        self.devs: list[Device] = []
        self.intx_refused: str | None = None
        #: the platform and kernel lines the loader is asked about a device's intx: pin with
        self.intx_head = ""

    def line(self, text: str, note: str = "") -> None:
        self.out.append(f"{text:<40} # {_comment(note)}" if note else text)

    def header(self, fns: lp.Parsed, irqs: pi.Interrupts | None, msgs: dm.Dmesg, devices: list[Device]) -> None:
        inp = self.inp
        srcs = ", ".join(_base(p) for p in (inp.lspci, inp.interrupts, inp.dmesg) if p)
        self.out += [
            f"# Generated by `msidbg new` from {_comment(srcs)}.",
            "# A skeleton: check every value, add the device quirks and the actions that show",
            "# your bug (docs/scenario.md, docs/bugio.md). Comments say where each value came from.",
        ]
        name = _SCN_NAME.sub("-", os.path.splitext(_base(inp.name))[0].lower()).strip("-")[:64] if inp.name else ""
        self.line(f"name: {_q(name or 'from-bug-report')}")
        about = "; ".join(f"{d.name} {d.bdf} {d.fn.kind}" + (f" ({d.fn.driver})" if d.fn.driver else "")
                          for d in devices)
        self.line(f"about: {_q(('Skeleton from a bug report: ' + about)[:4000])}")

    def top(self, cpus: int, cpus_note: str, platform: str, platform_note: str, msgs: dm.Dmesg,
            irqs: pi.Interrupts | None) -> None:
        self.line(f"cpus: {cpus}", cpus_note)
        self.line("platform:")
        self.line(f"  kind: {platform}", platform_note)
        dmesg = _base(self.inp.dmesg)
        if platform.startswith("xen-") and msgs.xen is not None:
            x = msgs.xen
            self._hint(f"  xen: {_q(x.value)}", f"{dmesg}:{x.line}: {x.text}",
                       f"cpus: {self.cpus}\nplatform: {{kind: {platform}, xen: {_q(x.value)}}}", "platform.xen")
        if platform == "bare-metal":
            ir = _remapping(irqs, msgs, self.inp)
            if ir:
                self.line("  interrupt_remapping: true", ir)
        if msgs.apic is not None:  # checked with the kernel release below (flat is gone from 6.12)
            a = msgs.apic
            kernel = f"kernel: {{version: {_q(msgs.kernel.value)}}}\n" if msgs.kernel is not None else ""
            if kernel and _refusal(self.context() + kernel) is not None:
                kernel = ""
            self._hint(f"  apic_routing: {a.value}", f"{dmesg}:{a.line}: {a.text}",
                       f"{self.context()}  apic_routing: {a.value}\n{kernel}", "platform.apic_routing")
        if msgs.pvh is not None:
            self.out.append(f"# {dmesg}:{msgs.pvh.line}: {_comment(msgs.pvh.text)}: a PVH guest (no QEMU device "
                            "model): its passthrough path is neither xen-hvm's nor xen-pv's; not modelled")
        if msgs.other_hypervisor is not None:
            self.out.append(f"# {dmesg}:{msgs.other_hypervisor.line}: {_comment(msgs.other_hypervisor.text)}: "
                            "not modelled (bare metal is the closest)")
        k = msgs.kernel
        opened = False
        if k is not None:
            probe = f"{self.context()}kernel: {{version: {_q(k.value)}}}"
            if _refusal(probe) is None:
                self.line("kernel:")
                opened = True
            self._hint(f"  version: {_q(k.value)}", f"{dmesg}:{k.line}: {k.text}", probe, "kernel.version")
        if platform.startswith("xen-") and msgs.abi is not None:
            self._abi(msgs.abi, dmesg, opened)

    def _abi(self, abi: dm.Hint, dmesg: str, opened: bool) -> None:
        """The event channel ABI dmesg says the guest ran, when the versions resolve the other one:
        2-level is set on the kernel's side (xen_fifo_events: false; dmesg cannot tell whether the
        kernel did not ask or Xen refused, and either gives the 2-level ABI); FIFO that the versions
        do not offer is a comment (the release that has it is the fix)."""
        head = "" if opened else "kernel:\n"
        fifo = self._resolves_fifo(head)
        if fifo is None or fifo == (abi.value == "fifo"):
            return
        note = f"{dmesg}:{abi.line}: {abi.text}"
        if abi.value == "2l":
            probe = f"{self.context()}{head}  xen_fifo_events: false"
            if not opened and _refusal(probe) is None:
                self.line("kernel:")
            self._hint("  xen_fifo_events: false", note + " (the versions resolve FIFO)", probe,
                       "kernel.xen_fifo_events")
            return
        self.out.append(f"# {_comment(note)}: the versions above resolve the 2-level ABI (before Linux 3.14 "
                        "or Xen 4.4): check kernel.version and platform.xen")

    def _resolves_fifo(self, head: str) -> bool | None:
        """Whether the skeleton so far runs the FIFO-based event channel ABI (None: it does not load)."""
        try:
            scn = load_scenario_text(f"name: probe\n{self.context()}{head}", "probe")
        except MsidbgError:
            return None
        plain = scn.behaviour.plain()
        return bool(plain.get("xen_fifo_events") and plain.get("xen_evtchn_fifo"))

    def context(self) -> str:
        """The lines a hint is checked with: the skeleton's CPUs and platform, as far as written
        (the loader refuses some kernel releases only for some CPU counts or platforms)."""
        top = [ln.split("#", 1)[0].rstrip() for ln in self.out if not ln.startswith("#")]
        keep = [ln for ln in top if ln.startswith(("cpus:", "platform:", "kernel:", "  "))]
        return "".join(f"{ln}\n" for ln in keep if ln.strip())

    def _hint(self, text: str, note: str, probe: str, key: str) -> None:
        """Write a hint only if the loader accepts it; else say why in a comment."""
        refused = _refusal(probe)
        if refused is None:
            self.line(text, note)
            return
        self.out.append(f"# {key}: {text.split(':', 1)[1].strip()} -- {_comment(note)}")
        self.out.append(f"#   not set: this msidbg says {_comment(refused)}")

    def devices(self, devices: list[Device]) -> None:
        self.devs = devices
        self.line("devices:")
        xen = self.platform.startswith("xen-")
        for d in devices:
            f = d.fn
            lspci = _base(self.inp.lspci)
            what = f"{lspci}:{f.line}: {f.label} {f.cls} {f.title}".strip()
            if f.driver:
                what += f" (driver {f.driver})"
            self.line(f"  {d.name}:", what)
            self.line(f"    bdf: {_q(d.bdf)}", d.bdf_note.strip(" ()"))
            self.line(f"    kind: {f.kind}", _kind_note(f))
            if xen:
                self.line("    passthrough: true", "a function with MSI(-X) in a Xen guest is passed through")
            if f.msix:
                self.line(f"    msix: {{table_size: {f.msix.table_size}}}",
                          f"{lspci}:{f.msix.line}: MSI-X: Enable{'+' if f.msix.enabled else '-'} "
                          f"Count={f.msix.table_size} Masked{'+' if f.msix.masked else '-'}")
                self._msix_notes(d.name, f.msix)
            if f.msi:
                m = f.msi
                self.line(f"    msi: {{vectors: {m.vectors}, per_vector_mask: {str(m.per_vector_mask).lower()}, "
                          f"addr64: {str(m.addr64).lower()}}}",
                          f"{lspci}:{m.line}: MSI: Count={m.enabled_vectors}/{m.vectors} "
                          f"Maskable{'+' if m.per_vector_mask else '-'} 64bit{'+' if m.addr64 else '-'}")
            if d.intx is not None:
                self._intx(d)
            if _mode(f) == "intx":
                for row in d.rows:
                    self.out.append(f"    # {_comment(f'{_base(self.inp.interrupts)}:{row.line}: irq {row.irq} {row.names}')}"
                                    " -- an MSI row, but lspci shows no MSI or MSI-X capability (lspci -vv run "
                                    "without root?): not used")
            self._quirks(f)
            if f.stub and not xen:
                self.out.append(f"    # held by {f.driver} for a guest: lspci ran on the host; the guest's view is "
                                "--platform xen-hvm (pciback) or a guest's lspci")

    def _quirks(self, f: lp.Function) -> None:
        """``pm-no-soft-reset`` from the PM capability's ``Status: D0 NoSoftRst+`` (PMCSR bit 3, pciutils
        ls-caps.c cap_pm); the latching and mask quirks lspci cannot show stay a comment."""
        rest = "latch-on-unmask, msix-mask-applies-when-disabled or msi-latch-on-enable: lspci cannot show them"
        lspci = _base(self.inp.lspci)
        if f.pm is None:
            self.out.append(f"    # quirks: []   {rest}")
            return
        state, nsr, no, text = f.pm
        where = f"{lspci}:{no}: {text}"
        if nsr:
            self.line("    quirks: [pm-no-soft-reset]",
                      f"{where} (No_Soft_Reset: D3hot -> D0 keeps the configuration)")
            self.out.append(f"    # more quirks: {rest}")
        else:
            self.out.append(f"    # quirks: []   {rest}")
            why = ("NoSoftRst-: D3hot -> D0 resets the function" if nsr is False
                   else "this lspci prints no NoSoftRst bit (pciutils before it did): unknown, not set")
            self.out.append(f"    #   pm-no-soft-reset not set: {_comment(where)} -- {why}")
        if state != "D0":
            self.out.append(f"    # {_comment(where)}: the function was in {state} when lspci ran (runtime PM, or "
                            "a suspend that did not bring it back); the run starts it in D0")

    def _intx(self, d: Device) -> None:
        assert d.intx is not None
        pin, gsi, note = d.intx
        # an MSI vector's set_affinity and an intx: pin load together on bare metal (revision 9 models a level
        # IO-APIC irq's move, revision 10 one behind interrupt remapping); _intx_refusal asks the loader the rest
        refused = self.intx_refused
        if refused is None:
            # the loader's word on this function's slot, and on moving it (a Xen HVM guest's level irq)
            moves = bool(_moves(d, self.cpus))
            refused = _intx_probe(self.intx_head, self.platform, d.bdf, pin, gsi, moves)
            if refused is not None and moves and _intx_probe(self.intx_head, self.platform, d.bdf, pin, gsi,
                                                             False) is None:
                refused = (f"its vectors' affinities below (set_affinity) and an intx: pin do not load together: "
                           f"{refused} (keep one of them)")
        if refused is None:
            if self.platform == "xen-hvm":
                # the file's gsi: is the machine GSI; a guest's lspci shows the guest GSI of the slot and pin
                note += "; gsi: the machine GSI (dom0's lspci), a guest's lspci shows its guest GSI"
            self.line(f"    intx: {{pin: {pin}, gsi: {gsi}}}", note)
            return
        self.out.append(f"    # intx: {{pin: {pin}, gsi: {gsi}}} -- {_comment(note)}")
        words = " ".join(refused.split())[:600]
        for i, part in enumerate(textwrap.wrap(words, 96)):   # the loader's whole reason, never cut mid-word
            self.out.append(f"    #   {'not set: ' if i == 0 else '  '}{escape(part)}")

    def _msix_notes(self, name: str, m: lp.Msix) -> None:
        """What lspci showed of the MSI-X capability that a scenario does not hold: said, not dropped."""
        if m.table is not None:
            where = f"table at BAR{m.table[0]}+{m.table[1]:#x}"
            if m.pba is not None:
                where += f", PBA at BAR{m.pba[0]}+{m.pba[1]:#x}"
                if m.pba[0] == m.table[0] and m.pba[1] >> 12 == m.table[1] >> 12:
                    where += " (one 4 KiB page)"
            self.out.append(f"    # {where}: not modelled (a scenario's table is the device's own, "
                            "at no address)")
        if m.masked and m.enabled:
            self.out.append(f"    # Masked+ on an enabled table: the Function Mask was set when lspci ran, so "
                            f"{name} could send no message (each held in the PBA): a symptom to reproduce, "
                            "unless lspci ran mid-probe")

    def run(self, devices: list[Device], irqs: pi.Interrupts | None, msgs: dm.Dmesg | None = None) -> None:
        self.line("run:")
        src = _base(self.inp.interrupts)
        for d in devices:
            n, why = _vectors(d, self.cpus)
            master = _master(d.fn)
            if master:
                self.out.append(f"  # {d.name}: {_comment(_base(self.inp.lspci) + ':' + str(d.fn.control_line) + ': ' + master)}")
            no_master = ", set_master: false" if _forgot_master(d.fn) else ""
            self.line(f"  - {{at: 0, on: 0, do: probe, dev: {d.name}, mode: {_mode(d.fn)}, vectors: {n}{no_master}}}",
                      why)
        for d in devices:
            for row, cpu in _moves(d, self.cpus):
                self.line(f"  - {{at: 1ms, on: 0, do: set_affinity, dev: {d.name}, vector: {row.index}, cpu: {cpu}}}",
                          f"{src}:{row.line}: irq {row.irq} {row.names} counts on CPU{cpu}")
        for d in devices:
            n, _ = _vectors(d, self.cpus)
            for v in range(n):
                self.line(f"  - {{at: 2ms, do: fire, dev: {d.name}, vector: {v}}}")
        if msgs is not None:
            for i, cycle in enumerate(msgs.cycles):
                self._cycle(devices, cycle, 3 + 3 * i)
            if msgs.cycles_dropped:
                self.out.append(f"  # {_n(msgs.cycles_dropped, 'more sleep cycle')} in "
                                f"{_comment(_base(self.inp.dmesg))}: not added (the first {dm.MAX_CYCLES} are)")
        names = ["irq-lost", "irq-spurious", "probe-failed", "msi-torn-message", "msix-write-unmasked"]
        if self.platform.startswith("xen-"):
            names.append("pirq-conflict")
        self.line(f"breakpoints: [{', '.join(names)}]")

    def _cycle(self, devices: list[Device], cycle: dm.Cycle, at: int) -> None:
        """A system sleep dmesg showed, as each device's PCI PM callbacks (docs/scenario.md "pm_suspend"): a
        suspend's pci_pm_suspend_noirq (``pm_suspend``: the state its debug line "PCI PM: Suspend power state:"
        names, D3hot or D3cold -- a function it left in D0 gets neither action, a comment -- else D3hot, the
        default; hardening31) and, if the system came back,
        pci_pm_resume_noirq (``pm_resume``); a hibernation's image is made between pci_pm_freeze_noirq and
        pci_pm_thaw_noirq (``pm_freeze`` / ``pm_thaw``; the restore after the power-off is not modelled).
        Then every vector fires once, so the run shows whether the messages still arrive. Written only if
        the loader takes them with the skeleton so far, else as comments with its reason."""
        dmesg = _base(self.inp.dmesg)
        first = cycle.entry or cycle.exit
        assert first is not None
        went, back = ("pm_suspend", "pm_resume") if cycle.kind == "suspend" else ("pm_freeze", "pm_thaw")
        what = ("suspend" if cycle.kind == "suspend"
                else "hibernation (its image: freeze, thaw; the restore after the power-off is not modelled)")
        out = [f"  # {_comment(f'{dmesg}:{first.line}: {first.text}')}: a {what}"
               + ("" if cycle.entry else " (its entry is not in the paste; the return is)")]
        stayed: set[str] = set()    # the kernel said the function stayed out of D3: no pm_suspend / pm_resume
        for d in devices:
            said = cycle.states.get(d.bdf) if cycle.kind == "suspend" else None
            note = _comment(f"{dmesg}:{said.line}: {said.text}") if said is not None else ""
            if said is not None and said.value not in ("D3hot", "D3cold"):
                stayed.add(d.name)
                out.append(f"  # {note}: the kernel left {d.name} in {said.value}, not D3: no {went} "
                           f"(pm_suspend puts the function in D3hot or D3cold)")
                continue
            state = f", state: {said.value.lower()}" if said is not None else ""
            line = f"  - {{at: {at}ms, on: 0, do: {went}, dev: {d.name}{state}}}"
            out.append(line.ljust(40) + f" # {note}" if note else line)
        if cycle.kind == "suspend" and any(d.bdf not in cycle.states for d in devices):
            out.append("  #   state: d3hot (the default); d3cold where the platform removes the function's power "
                       "(dmesg says which with dynamic debug: 'PCI PM: Suspend power state: D3cold')")
        if cycle.exit is not None:
            note = f"{dmesg}:{cycle.exit.line}: {cycle.exit.text}"
            out += [f"  - {{at: {at + 1}ms, on: 0, do: {back}, dev: {d.name}}}".ljust(40) + f" # {_comment(note)}"
                    for d in devices if d.name not in stayed]
        else:
            out.append(f"  # no return from it in {_comment(dmesg)}: no {back}")
        for d in devices:
            n, _ = _vectors(d, self.cpus)
            out += [f"  - {{at: {at + 2}ms, do: fire, dev: {d.name}, vector: {v}}}" for v in range(n)]
        try:
            load_scenario_text("\n".join(self.out + out) + "\n", "probe")
        except MsidbgError as e:
            self.out.append(out[0])
            why = re.sub(r"^run\[[0-9]+\]\.\w+: ", "", e.message)
            self.out.append(f"  #   {went} / {back} not added: this msidbg says {_comment(why)}")
            return
        self.out += out

    def unused(self, fns: lp.Parsed, irqs: pi.Interrupts | None, msgs: dm.Dmesg, skipped: list[lp.Function]) -> None:
        out: list[str] = []
        lspci = _base(self.inp.lspci)
        for f in skipped:
            why = "a bridge: its MSI serves port services (PME, hotplug, AER)" if f.bridge else "no MSI or MSI-X"
            if f.msi or f.msix or f.denied:
                out.append(f"{lspci}:{f.line}: {f.label} {f.cls}: not added: {why}")
            elif f.intx is not None and not f.bridge:
                why = self.intx_refused or (f"on {self.platform} only functions with MSI or MSI-X are added (add "
                                            "an INTx-only one by hand: passthrough: true, intx:)")
                out.append(f"{lspci}:{f.line}: {f.label} {f.cls}: INTx only, not added: {why}")
        out += [f"{lspci}:{no}: {text} -- {why}" for no, text, why in fns.unused]
        details = sum(f.details for f in fns.functions)
        counted = [f"{lspci}: {_n(details, 'property line')} not needed (Status:, Region, LnkCap: ...)"] if details else []
        if fns.stray:
            counted.append(f"{lspci}: {_n(fns.stray, 'line')} outside any device")
        if irqs is not None:
            src = _base(self.inp.interrupts)
            out += [f"{src}:{no}: {text} -- {why}" for no, text, why in irqs.unused]
            mine = {id(r) for d in self.devs for r in d.rows}
            out += [f"{src}:{r.line}: irq {r.irq} {r.chip} {r.names} -- "
                    + (f"{r.bdf} is not a device here" if r.bdf else "no device has this name in dmesg")
                    for r in irqs.rows if id(r) not in mine]
            if irqs.other:
                counted.append(f"{src}: rows not for a PCI MSI irq: {' '.join(irqs.other[:40])}"
                               + (" ..." if len(irqs.other) > 40 else ""))
        if msgs is not None and self.inp.dmesg:
            src = _base(self.inp.dmesg)
            out += [f"{src}:{no}: {text} -- {why}" for no, text, why in msgs.unused]
            counted.append(f"{src}: {_n(msgs.used, 'line')} used, {_n(msgs.ignored, 'line')} with nothing about interrupts")
        if msgs is not None and msgs.symptoms:
            src = _base(self.inp.dmesg)
            self.out.append("# The trouble as dmesg reported it (the breakpoint that stops where a run shows it):")
            self.out += [f"#   {_comment(f'{src}:{no}: {text} -- {what}')}" for no, text, what in msgs.symptoms[:20]]
            if len(msgs.symptoms) > 20:
                self.out.append(f"#   ... and {len(msgs.symptoms) - 20} more")
        self.out.append("# Lines not used:" if out else "# Every line that mentions interrupts was used.")
        self.out += [f"#   {_comment(t)}" for t in out[:MAX_LISTED]]
        if len(out) > MAX_LISTED:
            self.out.append(f"#   ... and {len(out) - MAX_LISTED} more")
        self.out += [f"# {_comment(t)}" for t in counted]


def _n(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _refusal(probe: str) -> str | None:
    """None if the scenario loader accepts the snippet ``probe``, else its message."""
    try:
        load_scenario_text(f"name: probe\n{probe}\n", "probe")
    except MsidbgError as e:
        return e.message
    return None


def _bound(f: lp.Function) -> bool:
    """A driver had the function when lspci ran: it names one (not a stub holding it for a
    guest), or an MSI/MSI-X capability is on."""
    driver = f.driver is not None and not f.stub
    return driver or bool(f.msix and f.msix.enabled) or bool(f.msi and f.msi.enabled)


def _forgot_master(f: lp.Function) -> bool:
    """``Control: ... BusMaster-`` on a function a driver had: it enabled the device without
    ``pci_set_master()`` (a probe's ``set_master: false``, docs/scenario.md)."""
    return f.bus_master is False and _bound(f)


def _master(f: lp.Function) -> str:
    """What the run makes of the Control: line's BusMaster- ("" when it is + or absent)."""
    if f.bus_master is not False:
        return ""
    if _bound(f):
        return ("Control: BusMaster-: the driver never called pci_set_master(), so Bus Master Enable "
                "is clear and every message is dropped (set_master: false)")
    if f.stub:
        return (f"BusMaster- under {f.driver}, a stub that clears it while no guest has the function "
                "(xen_pcibk_reset_device, vfio_pci_core_disable): the probe is the guest's driver")
    return ("Control: BusMaster- with no driver bound (pci_disable_device clears it): the probe "
            "below is a driver that sets it")


def _kind_note(f: lp.Function) -> str:
    if f.kind == "generic":
        return "not a NIC, NVMe or xHCI by class or driver"
    if f.netdev and not f.cls:
        return f"dmesg names it {f.netdev}, a network device"
    return f"class {f.code or f.cls}" + (f", prog-if {f.prog_if}" if f.kind == "xhci" else "")


def _remapping(irqs: pi.Interrupts | None, msgs: dm.Dmesg, inp: Inputs) -> str:
    if irqs is not None:
        row = next((r for r in irqs.rows if r.ir), None)
        if row is not None:
            return f"{_base(inp.interrupts)}:{row.line}: chip {row.chip}"
    if msgs.remapping is not None:
        return f"{_base(inp.dmesg)}:{msgs.remapping.line}: {msgs.remapping.text}"
    return ""
