"""Scenario files: YAML -> a validated, immutable ``Scenario``.

The schema is the public contract in docs (``contract.md``); see ``docs/scenario.md`` for
the extensions (``costs:``, ``expect.probe``/``expect.spurious``/``expect.delivered``, the
behaviour table's switches and versions). This is the scenario layer: it imports nothing from
``msidbg.model`` or ``msidbg.debugger``. Names those layers own (kernel programs in ``faults:``,
conditions in ``breakpoints:``) are checked by them when they use the scenario, with the line
kept here (``Fault.line``, ``Scenario.breakpoint_lines``).
Loading is safe for files from strangers: ``yaml`` safe loading only, bounded size and
alias expansion, unknown keys rejected, and every error is a ``ScenarioError`` whose
``oneline()`` is ``msidbg: FILE:LINE: field: what is wrong (expected ...)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from msidbg import behaviour as bh
from msidbg import scenario_timing as st
from msidbg import yamlsafe as ys
from msidbg.contract import BREAKPOINTS, ERRNOS, breakpoint_hint
from msidbg.digest import sha256
from msidbg.errors import ScenarioError
from msidbg.scenario_timing import Timing
from msidbg.yamlsafe import Conv, Fields, Invalid, Y, boolean, choice, fail, ints, string

# ---------------------------------------------------------------------------------------
# The validated model of a scenario. Everything the model and the debugger need; times are
# integers in nanoseconds; field names follow the YAML.
# ---------------------------------------------------------------------------------------

PLATFORM_KINDS = ("bare-metal", "xen-hvm", "xen-pv")
DEVICE_KINDS = ("nic", "nvme", "xhci", "generic")
QUIRKS = ("latch-on-unmask", "msix-mask-applies-when-disabled", "msi-latch-on-enable", "msi-message-low-bits",
          "msix-ctrl-reserved-bits", "pm-no-soft-reset")
ACTIONS = (
    "probe", "remove", "alloc_vectors", "free_vectors", "request_irq", "free_irq",
    "set_affinity", "cpu_offline", "cpu_online", "fire", "doorbell", "write", "default_affinity", "hypercall",
    "disable_irq", "disable_irq_nosync", "enable_irq", "vcpu_migrate", "pm_resume", "pm_suspend",
    "pm_freeze", "pm_thaw",
)
#: actions that are not a guest CPU's doing (no ``on:``): a device's signals, Xen's scheduler
NOT_ON_CPU = ("fire", "vcpu_migrate")
#: the host pCPUs a vCPU can be placed on: a physical APIC id of a compatibility-format message
MAX_PCPU = 254
#: the hypercalls a ``hypercall`` action or probe can make (docs/scenario.md); the argument each takes
HYPERCALLS = {"PHYSDEVOP_get_free_pirq": None, "PHYSDEVOP_unmap_pirq": "a pirq", "EVTCHNOP_close": "a port"}
PROBE_ACTIONS = ("hypercall", "fire")
#: pci_alloc_irq_vectors' flags: msix (PCI_IRQ_MSIX), msi (PCI_IRQ_MSI), any (MSI-X then MSI: PCI_IRQ_MSIX |
#: PCI_IRQ_MSI, the contract's meaning), and the extension's intx (PCI_IRQ_INTX; the same bit is PCI_IRQ_LEGACY, what
#: api.c tests through 6.9.0) and
#: all (PCI_IRQ_ALL_TYPES: MSI-X, then MSI, then the INTx pin; docs/scenario.md "INTx")
MODES = ("msix", "msi", "any", "intx", "all")
#: ``intx.pin``: the Interrupt Pin register's values (1 = INTA# .. 4 = INTD#)
INTX_PINS = ("A", "B", "C", "D")
#: ``intx.gsi``: the IO-APIC inputs a PCI INTx line reaches on a PC with one 24-pin IO-APIC (ACPI _PRT routes
#: PCI INTx to GSIs 16..23; 0..15 are the ISA irqs)
INTX_GSIS = (16, 23)
#: the kernel behaviour switches and their current-upstream defaults (the behaviour table's rows)
KERNEL_DEFAULTS: dict[str, Any] = {r.name: r.default for r in bh.rows() if r.layer == "kernel"}


@dataclass(frozen=True)
class Platform:
    """``platform:``. ``switches`` holds the Xen / QEMU / platform behaviour switches written in
    the file (absent = the version or the default decides)."""

    kind: str = "bare-metal"
    xen: str | None = None
    qemu: str | None = None
    interrupt_remapping: bool = False
    switches: Mapping[str, Any] = field(default_factory=dict)
    #: the x86 APIC driver as dmesg names it ("Switched APIC routing to physical flat."); None: what a
    #: 64-bit kernel picks from cpus and interrupt_remapping. Read only before 4.15 (legacy vectors)
    apic_routing: str | None = None
    #: ``platform.iommu`` (an extension of the contract): whose remapping unit, ``intel`` (VT-d) or ``amd``
    #: (AMD-Vi); "intel" whenever interrupt_remapping is on and the file does not say, None without it
    iommu: str | None = None
    #: ``platform.lowest_priority`` (lowprio25, an extension of the contract): which APIC of a Lowest Priority
    #: message's destination takes it -- the platform's choice the SDM leaves open (reading bus.lowest-priority,
    #: hypothetical); None: not modelled (a pre-4.15 apic_flat kernel is refused, a raw write of that delivery
    #: mode is delivered as Fixed)
    lowest_priority: str | None = None


@dataclass(frozen=True)
class Kernel:
    """``kernel:``: the release (``version``) and the switches written in the file."""

    version: str | None = None
    switches: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MsixCap:
    """``msix:``: the MSI-X capability (its table's size)."""

    table_size: int


@dataclass(frozen=True)
class MsiCap:
    """``msi:``: the MSI capability (vectors, per-vector masking, 64-bit address)."""

    vectors: int = 1
    per_vector_mask: bool = False
    addr64: bool = True


@dataclass(frozen=True)
class IntxPin:
    """``intx:`` (extension): the function's INTx pin (Interrupt Pin register, 1..4 for A..D) and the GSI
    (IO-APIC input) the platform's _PRT routes it to -- what dmesg prints as "PCI INT A -> GSI 16 (level,
    low) -> IRQ 16". On a Xen HVM guest (a passthrough function) ``gsi`` is the guest's GSI, Xen's
    ``hvm_pci_intx_gsi`` of the function's slot and pin, and ``machine`` the machine GSI written in the file."""

    pin: int = 1
    gsi: int = 16
    machine: int | None = None


@dataclass(frozen=True)
class Device:
    """One ``devices:`` entry."""

    name: str
    bdf: str
    kind: str = "generic"
    passthrough: bool = False
    msix: MsixCap | None = None
    msi: MsiCap | None = None
    quirks: tuple[str, ...] = ()
    intx: IntxPin | None = None

    @property
    def max_vectors(self) -> int:
        """How many vector indices ``fire``/``vector:`` may name (MSI-X entries or MSI messages; an INTx
        pin is vector 0)."""
        return max(self.msix.table_size if self.msix else 0, self.msi.vectors if self.msi else 0,
                   1 if self.intx else 0)


@dataclass(frozen=True)
class Action:
    """One ``run:`` entry. ``args`` holds the action's own fields (times already in ns)."""

    index: int
    at_ns: int
    do: str
    on: int = 0
    dev: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    line: int = 0
    #: ``at: A~B``: the end of the range (``at_ns`` is its start); None = a fixed time
    at_max_ns: int | None = None
    #: ``jitter:`` as (ppm of each step's cost, ns); None = the scenario's ``timing.jitter``
    jitter: tuple[int, int] | None = None


@dataclass(frozen=True)
class Fault:
    """One ``faults:`` entry: ``call`` fails with ``errno`` ``times`` times (for ``dev``, if given)."""

    call: str
    dev: str | None
    errno: str
    times: int = 1
    line: int = 0


@dataclass(frozen=True)
class Probe:
    """``probes:`` (an extension, docs/scenario.md): run ``do`` in the context that reaches step
    ``step`` of kernel program ``prog`` (``step`` None = on entry), ``when`` before or after that
    step; ``if_dev`` limits it to that device's frames, ``times`` to that many firings (0 = all)."""

    prog: str
    step: str | None
    when: str
    do: str
    args: dict[str, Any] = field(default_factory=dict)
    dev: str | None = None
    if_dev: str | None = None
    times: int = 0
    line: int = 0


@dataclass(frozen=True)
class Expect:
    """``expect:``: what ``msidbg check`` compares the run with."""

    hit: tuple[str, ...] = ()
    not_hit: tuple[str, ...] = ()
    lost: dict[str, int] = field(default_factory=dict)
    # extensions (documented in docs/scenario.md)
    delivered: dict[str, int] = field(default_factory=dict)
    spurious: dict[str, int] = field(default_factory=dict)
    probe: dict[str, str] = field(default_factory=dict)
    #: the ``run:`` indexes a finished run never started (the summary's ``not_started``), in file
    #: order; ``()`` means every action started; None: not compared
    not_started: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario file (``load_scenario``)."""

    path: str
    text: str
    sha256: str
    name: str
    about: str = ""
    seed: int = 0
    schedule: str = "ordered"
    cpus: int = 1
    platform: Platform = field(default_factory=Platform)
    kernel: Kernel = field(default_factory=Kernel)
    devices: dict[str, Device] = field(default_factory=dict)
    run: tuple[Action, ...] = ()
    breakpoints: tuple[str, ...] = ()
    expect: Expect | None = None
    faults: tuple[Fault, ...] = ()
    costs: dict[str, int] = field(default_factory=dict)
    timing: Timing = field(default_factory=Timing)
    probes: tuple[Probe, ...] = ()
    #: the line of each ``breakpoints:`` item (for errors found when the debugger arms them)
    breakpoint_lines: tuple[int, ...] = field(default=(), compare=False)

    @cached_property
    def behaviour(self) -> bh.Table:
        """The resolved behaviour table: explicit switch > version > current-upstream default."""
        p = self.platform
        return bh.resolve(p.kind, self.kernel.version, p.xen, p.qemu, {**p.switches, **self.kernel.switches})


# ---------------------------------------------------------------------------------------
# Loading: bounds, then one small reader per section. Sections are read in dependency
# order (cpus and platform before devices, devices before run), not in file order.
# ---------------------------------------------------------------------------------------

MAX_FILE_BYTES = 1 << 20
MAX_DEVICES, MAX_RUN, MAX_BREAKPOINTS, MAX_FAULTS = 64, 10_000, 256, 64
MAX_FIRE_COUNT, MAX_FIRE_TOTAL = 10_000_000, 50_000_000
MAX_TABLE_SIZE = 2048
DEFAULT_TIMEOUT_NS = 10 * 10**6
CONFIG_SPACE_BYTES, MSIX_ENTRY_BYTES = 4096, 16

TOP_KEYS = (
    "name", "about", "seed", "schedule", "cpus", "platform", "kernel", "devices", "run",
    "breakpoints", "expect", "faults", "costs", "timing", "probes",
)
#: platform.<name> switches (Xen and QEMU rows are only meaningful on xen-* platforms)
PLATFORM_SWITCHES = {r.name: r for r in bh.rows() if bh.SECTION[r.layer] == "platform"}
KERNEL_SWITCHES = {r.name: r for r in bh.rows() if r.layer == "kernel"}
XEN_ONLY_KEYS = ("xen", "qemu", *(n for n, r in PLATFORM_SWITCHES.items() if r.layer in ("xen", "qemu")))
PLATFORM_KEYS = ("kind", "xen", "qemu", "interrupt_remapping", "apic_routing", "iommu", "lowest_priority",
                 *PLATFORM_SWITCHES)
#: platform.lowest_priority: the documented (hypothetical) rules for the APIC a Lowest Priority message picks
LOWEST_PRIORITY_RULES = ("first",)
#: the first release read with AMD-Vi x2APIC (XT) mode (amd_iommu_xt_mode in 5.4.y's init_iommu_one; it came
#: with 90fcffd9cf5e "iommu/amd: Add support for IOMMU XT mode", whose release was not read)
AMD_XT_FIRST = (5, 4)
#: platform.iommu: the interrupt remapping unit (docs/model-baremetal.md, "Interrupt remapping" / "AMD-Vi")
IOMMUS = ("intel", "amd")
#: the 64-bit x86 APIC drivers, as "Switched APIC routing to ..." names them (6.6 on: "APIC: Switched APIC
#: routing to: ..."); the first two have the physical one-CPU vector allocation domain the legacy
#: (pre-4.15) allocator is modelled for
APIC_ROUTINGS = ("physical flat", "physical x2apic", "flat", "cluster x2apic")
#: HVM_MAX_VCPUS (xen/include/public/hvm/hvm_info_table.h, 128 from 4.x to 4.22): hvmloader's MADT
#: lists at most that many vCPUs (APIC ids 0, 2, .., 254)
HVM_MAX_VCPUS = 128
DEVICE_KEYS = ("bdf", "kind", "passthrough", "msix", "msi", "quirks", "intx")
EXPECT_KEYS = ("hit", "not_hit", "lost", "delivered", "spurious", "probe", "not_started")
SCHEDULES = ("ordered", "random", "pct", "delay")
WRITE_TARGETS = ("config", "msix-table")
MSI_VECTORS = (1, 2, 4, 8, 16, 32)
#: the capabilities a device needs for each quirk to mean anything
QUIRK_NEEDS = {
    "latch-on-unmask": ("msix",),
    "msix-mask-applies-when-disabled": ("msi", "msix"),
    "msi-latch-on-enable": ("msi",),
    "msi-message-low-bits": ("msi",),
    "msix-ctrl-reserved-bits": ("msix",),
    "pm-no-soft-reset": (),
}
#: ``pm_suspend``'s ``state``: the low-power state pci_prepare_to_sleep reaches (D3cold: the platform removes power)
PM_STATES = ("d3hot", "d3cold")
#: each action's own keys besides do/at/on
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "probe": ("dev", "mode", "vectors", "affinity", "set_master"),
    "remove": ("dev",),
    "alloc_vectors": ("dev", "mode", "vectors", "set_master"),
    "free_vectors": ("dev",),
    "request_irq": ("dev", "vector", "affinity", "hint"),
    "free_irq": ("dev", "vector"),
    "set_affinity": ("dev", "vector", "cpu"),
    "cpu_offline": ("cpu",),
    "cpu_online": ("cpu",),
    "fire": ("dev", "vector", "count", "every"),
    "doorbell": ("dev", "vector", "timeout"),
    "write": ("dev", "target", "offset", "value", "size"),
    "default_affinity": ("cpus",),
    "hypercall": ("op", "arg"),
    "disable_irq": ("dev", "vector", "unlazy"),
    "disable_irq_nosync": ("dev", "vector", "unlazy"),
    "enable_irq": ("dev", "vector"),
    # extension (xenhost): Xen's scheduler moves a vCPU to another pCPU (docs/scenario.md)
    "vcpu_migrate": ("vcpu", "pcpu"),
    # extension (kernel28): the device's D3hot -> D0 reset and pci_restore_state (docs/scenario.md)
    "pm_resume": ("dev",),
    # extension (resume30): pci_pm_suspend_noirq's pci_save_state and the device into D3hot / D3cold
    "pm_suspend": ("dev", "state"),
    # extension (resume30): the hibernation's pci_pm_freeze_noirq / pci_pm_thaw_noirq (bare metal)
    "pm_freeze": ("dev",),
    "pm_thaw": ("dev",),
}

_NAME = re.compile(r"[a-z0-9-]+", re.ASCII)
_DEVICE_NAME = re.compile(r"[a-z][a-z0-9_-]*", re.ASCII)
_BDF = re.compile(r"[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]", re.ASCII)
_PROGRAM = re.compile(r"[a-z_][a-z0-9_]*", re.ASCII)
_PROBE_STATUS = re.compile(r"ok|not-probed|failed: (E[A-Z0-9]+)", re.ASCII)


def load_scenario(path: str) -> Scenario:
    """Read and validate the scenario file at ``path``; every problem is a ``ScenarioError``."""
    try:
        text = ys.read_text(path, MAX_FILE_BYTES)
    except Invalid as e:
        raise ScenarioError(e.message, file=path, line=e.line) from None
    try:
        return load_scenario_text(text, path)
    except ScenarioError:
        if re.search(r"BEGIN[\s>]+MSIDBG[\s>]+SNAPSHOT", text):  # a report or mail (report --inline)
            raise ScenarioError("this file holds a msidbg snapshot (an armoured block, as 'msidbg report "
                                "--inline' writes), not a scenario (expected a scenario YAML file; open the "
                                "snapshot with 'msidbg open FILE' or 'msidbg replay FILE')", file=path) from None
        raise


def load_scenario_text(text: str, path: str, switches: Mapping[str, Any] | None = None,
                       recorded: bool = False) -> Scenario:
    """Validate scenario ``text``; ``path`` names it in messages and is stored as given.
    ``switches``: behaviour switches that override the file's, as if written in its ``kernel:`` or
    ``platform:`` section, before the checks that read the table run (``why --what-if``'s flips).
    ``recorded``: ``text`` ran before (a snapshot's, or a scenario loaded already) and is read as it
    ran -- YAML 1.1's reading of the plain values 1.2 reads otherwise (``yamlsafe.yaml12_differs``)."""
    try:
        data = text.encode("utf-8")
        ys.check_size(len(data), MAX_FILE_BYTES)
        return _scenario(ys.parse(text, strict=not recorded), path, text, sha256(data).hexdigest(), switches or {})
    except UnicodeEncodeError:
        raise ScenarioError("not valid UTF-8: a lone surrogate (expected UTF-8 text)", file=path) from None
    except Invalid as e:
        raise ScenarioError(e.message, file=path, line=e.line) from None


@dataclass(frozen=True)
class _Ctx:
    """What later sections are checked against."""

    cpus: int
    platform: Platform
    devices: dict[str, Device]


def _scenario(root: Y | None, path: str, text: str, digest: str, switches: Mapping[str, Any]) -> Scenario:
    if root is None:
        raise Invalid("", "the file is empty (expected a mapping with at least name:)", 1)
    ys.as_map(root, "", "a mapping of scenario keys like name: and run:")
    top = Fields(root, "", TOP_KEYS)
    cpus = top.read("cpus", ints(1, 256), 1)
    platform = _section(top, "platform", _platform, Platform())
    over = {layer: {n: v for n, v in switches.items() if bh.SECTION[bh.by_name()[n].layer] == layer}
            for layer in ("kernel", "platform")}
    if over["platform"]:
        platform = replace(platform, switches={**platform.switches, **over["platform"]})
    ctx = _Ctx(cpus, platform, _section(top, "devices", lambda y, f: _devices(y, platform), {}))
    run: tuple[Action, ...] = ()
    scn = Scenario(
        path=path, text=text, sha256=digest,
        name=top.need("name", string(64, _NAME, "a name of a-z, 0-9 and '-', at most 64 characters")),
        about=top.read("about", string(4000, None, "a string of at most 4000 characters"), ""),
        seed=top.read("seed", ints(0, 2**63 - 1), 0),
        schedule=top.read("schedule", choice(SCHEDULES, "schedule"), "ordered"),
        cpus=cpus, platform=platform, kernel=_overridden(_section(top, "kernel", _kernel, Kernel()), over["kernel"]),
        devices=ctx.devices, run=(run := _section(top, "run", lambda y, f: _run(y, ctx), ())),
        breakpoints=_section(top, "breakpoints", _breakpoints, ()),
        expect=_section(top, "expect", lambda y, f: _expect(y, ctx.devices, len(run)), None),
        faults=_section(top, "faults", lambda y, f: _faults(y, ctx.devices), ()),
        costs=_section(top, "costs", _costs, {}),
        timing=_section(top, "timing", st.timing, Timing()),
        probes=_section(top, "probes", lambda y, f: _probes(y, ctx), ()),
        breakpoint_lines=_breakpoint_lines(top),
    )
    _check_legacy_vectors(scn, top, root)
    _check_apic_ids(top, scn)
    _check_intx(scn, top)
    return scn


def _overridden(kernel: Kernel, switches: Mapping[str, Any]) -> Kernel:
    return replace(kernel, switches={**kernel.switches, **switches}) if switches else kernel


def _check_intx(scn: Scenario, top: Fields) -> None:
    """INTx is modelled with the matrix vector allocator (4.15+): the IO-APIC irq's reservation and
    activation at request_irq are its (docs/model-baremetal.md, "INTx")."""
    _check_hvm_intx(scn, top)
    if scn.behaviour.plain().get("vector_allocator") != "legacy" or scn.platform.kind == "xen-pv":
        return      # (a PV guest's pcifront irq is a Xen pirq: no vector domain)
    for name, d in scn.devices.items():
        if d.intx is not None:
            node = top.items["devices"].value[name].value["intx"]
            fail(ys.join(ys.join("devices", name), "intx"), node, "INTx is modelled with the 4.15+ vector allocator "
                 "only (expected no intx:, or a kernel.version 4.15 or later)")


#: the first release whose vector allocator the legacy model follows: arch/x86/kernel/apic/vector.c with
#: hierarchical irqdomains (4.2: a 4.2.8 tree has them, audit14) *and* Thomas Gleixner's vector cleanup series (98229aa36caa "x86/irq:
#: Plug vector cleanup race", v4.5-rc2: -EBUSY while the old domain has an online CPU, the force-complete
#: that clears old slots). 4.2 .. 4.4 (before that series; 4.4.y got it in a stable release not read) and
#: 3.x (io_apic.c / vector.c with irq_cfg, arch_setup_msi_irqs) differ in what the model observes.
LEGACY_FIRST = (4, 5)


def _check_legacy_vectors(scn: Scenario, top: Fields, root: Y) -> None:
    """Refuse what the pre-4.15 vector allocator would need and msidbg does not model.

    Only worlds whose MSIs use the native x86 vector domain are concerned: bare metal, and a Xen
    HVM guest with platform.apic_virtualization (pirq guests never allocate a guest vector)."""
    table = scn.behaviour.plain(scn.platform.kind)
    routing = scn.platform.apic_routing
    native = scn.platform.kind == "bare-metal" or (scn.platform.kind == "xen-hvm" and (
        bool(table.get("apic_virtualization")) or not table.get("xen_hvm_pirqs", True)))
    if table.get("vector_allocator") != "legacy" or not native:
        if routing is not None and not native:
            pitems = top.items["platform"].value
            fail("platform.apic_routing", pitems["apic_routing"], "only read where MSIs use the x86 vector domain: "
                 "bare metal, or xen-hvm with apic_virtualization (expected no apic_routing)")
        return
    kitems = top.items.get("kernel")
    kmap = kitems.value if kitems is not None and isinstance(kitems.value, dict) else {}
    if "vector_allocator" in kmap:
        field, node = "kernel.vector_allocator", kmap["vector_allocator"]
    elif "version" in kmap:
        field, node = "kernel.version", kmap["version"]
    else:
        field, node = "kernel", kitems if kitems is not None else root
    version = bh.parse_kernel(scn.kernel.version).parts if scn.kernel.version else None
    if version is not None and version[:2] < LEGACY_FIRST:
        fail(field, node, f"the vector allocator of Linux {scn.kernel.version} (before the 4.5 vector cleanup series, "
             "98229aa36caa) is not modelled (supported: kernel.version 4.5 to 4.14, or 4.15 and later)")
    if version is None:
        fail(field, node, "legacy is the vector allocator of 4.5 to 4.14; without kernel.version the kernel is "
             "current upstream, which has the matrix allocator (69cde0004a4b, 4.15), and the legacy one with its "
             "later code is not modelled (expected a kernel.version 4.5 to 4.14 with vector_allocator: legacy)")
    if version is not None and version[:2] >= (4, 15):
        fail(field, node, f"legacy is the vector allocator of 4.5 to 4.14; Linux {scn.kernel.version} has the matrix "
             "allocator (69cde0004a4b, 4.15), and the legacy one with its later code is not modelled (expected "
             "vector_allocator: matrix, or kernel.version 4.5 to 4.14)")
    if scn.platform.interrupt_remapping:
        fail(field, node, "before 4.15 the vector domain under interrupt remapping is not modelled (x2APIC, by "
             "default in cluster mode: logical destinations) (supported with kernel.version 4.5 to 4.14: "
             "interrupt_remapping false, with cpus 9 or more or platform.apic_routing: physical flat / physical x2apic)")
    lowprio = scn.platform.lowest_priority is not None and scn.platform.kind == "bare-metal"
    if routing == "cluster x2apic" or (routing == "flat" and not lowprio):
        pitems = top.items["platform"].value
        fail("platform.apic_routing", pitems["apic_routing"], f"the {routing} APIC driver before 4.15 (logical "
             "destinations, a vector allocation domain of several CPUs) is not modelled (expected physical flat "
             "or physical x2apic, or kernel.version 4.15 and later"
             + (", or platform.lowest_priority: first on bare metal)" if routing == "flat" else ")"))
    # a Xen HVM guest without XENFEAT_hvm_pirqs enables x2APIC (physical): no flat driver there
    xapic = scn.platform.kind == "bare-metal" or bool(table.get("xen_hvm_pirqs", True))
    if routing is None and scn.cpus <= 8 and xapic and not lowprio:
        fail(field, node, f"before 4.15 a 64-bit kernel on {scn.cpus} CPU{'s' if scn.cpus > 1 else ''} uses the flat "
             "logical APIC driver (a vector on every CPU, lowest-priority delivery), which is not modelled "
             "(supported with kernel.version 4.5 to 4.14: cpus 9 or more, the physflat driver, or "
             "platform.apic_routing: physical flat / physical x2apic when dmesg says so; or kernel.version 4.15 "
             "and later; or, on bare metal, platform.lowest_priority: first, a hypothetical pick)")


#: the first mainline release whose try_to_enable_x2apic leaves a firmware-locked x2APIC on without
#: remapping (x2apic_disable: "Cannot disable locked x2apic", b8d1d163604b "x86/apic: Don't disable x2APIC
#: if locked", tip x86/apic 2022-08, 6.1; arch/x86/kernel/apic/apic.c read at v4.4 (no lock path:
#: x2apic_disable always returns to xAPIC, panics on an id >= 255), v6.1.119 and v6.6)
X2APIC_LOCKED_KEPT = (6, 1)


def _check_apic_ids(top: Fields, scn: Scenario) -> None:
    """The CPUs must have APIC ids the platform can address and Linux brings up."""
    p, cpus = scn.platform, scn.cpus
    if p.kind == "bare-metal" and not p.interrupt_remapping and cpus > 255:
        fail("cpus", top.items["cpus"], f"{cpus} CPUs without interrupt remapping: in xAPIC mode APIC id 0xff is "
             "the broadcast id and Linux ignores a CPU that has it (acpi_parse_lapic, f3bf1dbe64b6; x2APIC "
             "needs remapping on bare metal) (expected cpus: 1..255, or platform.interrupt_remapping: true)")
    if p.kind == "xen-hvm" and cpus > HVM_MAX_VCPUS:
        fail("cpus", top.items["cpus"], f"{cpus} vCPUs: a Xen HVM guest has at most HVM_MAX_VCPUS = "
             f"{HVM_MAX_VCPUS} (APIC ids 0, 2, .., 254) (expected cpus: 1..{HVM_MAX_VCPUS} on xen-hvm)")
    version = bh.parse_kernel(scn.kernel.version).parts if scn.kernel.version else None
    if p.iommu == "amd" and version is not None and version[:2] < AMD_XT_FIRST:
        kitems = top.items["kernel"].value
        fail("kernel.version", kitems["version"], f"AMD-Vi with Linux {scn.kernel.version}: x2APIC with an AMD IOMMU "
             "(XT mode, 90fcffd9cf5e) is read from 5.4 on, and the xAPIC / 32-bit entry setup of older kernels is not "
             "modelled (expected kernel.version 5.4 or later with iommu: amd)")
    routing = p.apic_routing
    if routing is None:
        return
    node = top.items["platform"].value["apic_routing"]
    field = "platform.apic_routing"
    if routing == "physical x2apic" and p.kind == "bare-metal" and not p.interrupt_remapping and version is not None \
            and version[2:] in ((), (0,)) and version[:2] < X2APIC_LOCKED_KEPT:
        # a stable release may carry the backport of b8d1d163604b: only mainline releases are refused
        fail(field, node, f"physical x2apic on bare metal without interrupt remapping: Linux {scn.kernel.version} "
             "turns x2APIC off there ('x2apic: IRQ remapping doesn't support X2APIC mode', try_to_enable_x2apic -> "
             "x2apic_disable) and runs xAPIC; only a firmware-locked x2APIC stays on, from b8d1d163604b (6.1) "
             "(expected physical flat, or platform.interrupt_remapping: true, or kernel.version 6.1 or later)")
    if routing == "cluster x2apic" and not p.interrupt_remapping:
        fail(field, node, "x2APIC cluster mode needs interrupt remapping: without it Linux enables x2APIC only in "
             "a guest and forces physical mode (try_to_enable_x2apic sets x2apic_phys) (expected physical x2apic, "
             "or platform.interrupt_remapping: true on bare metal)")
    if p.iommu == "amd" and routing not in ("physical x2apic", "cluster x2apic"):
        fail(field, node, f"{routing} with AMD-Vi is an IOMMU without XTSup (or GASup): Linux keeps xAPIC there and "
             "uses the 32-bit legacy IRTE (8-bit destination), which is not modelled (expected cluster x2apic, "
             "Linux's default with an XTSup IOMMU, or physical x2apic; or no apic_routing)")
    if p.interrupt_remapping and routing not in ("physical x2apic", "cluster x2apic"):
        fail(field, node, f"with interrupt remapping a 64-bit kernel runs x2APIC, not {routing} (expected cluster "
             "x2apic, Linux's default, or physical x2apic when dmesg says so; or no apic_routing)")
    if routing == "flat":
        if cpus > 8:
            fail(field, node, f"the flat APIC driver addresses at most 8 CPUs (a logical id bit each), the scenario "
                 f"has {cpus} (expected physical flat, or cpus: 1..8)")
        if not scn.behaviour.plain().get("apic_flat_logical"):
            fail(field, node, "this kernel has no flat (logical destination) APIC driver on 64-bit (838ba7733e4e, "
                 "6.12; kernel.apic_flat_logical) (expected physical flat, or a kernel.version before 6.12)")


def _section(top: Fields, key: str, conv: Conv[Any], default: Any) -> Any:
    """A top-level section read by ``conv``; ``default`` when absent or empty (``key:`` alone)."""
    y = top.items.get(key)
    return default if y is None or y.value is None else conv(y, key)


# --- platform and kernel ----------------------------------------------------------------


def _platform(y: Y, path: str) -> Platform:
    f = Fields(y, path, PLATFORM_KEYS)
    kind = f.read("kind", choice(PLATFORM_KINDS, "platform kind"), "bare-metal")
    _check_xen_only(f, kind)
    remapping = f.read("interrupt_remapping", boolean, False)
    if remapping and kind != "bare-metal":
        what = f"interrupt remapping is not modelled on {kind} (expected false, or platform.kind: bare-metal)"
        fail(f.path("interrupt_remapping"), f.items["interrupt_remapping"], what)
    xen = f.read("xen", _version(bh.parse_xen, 16), None)
    qemu = f.read("qemu", _version(bh.parse_qemu, 32), None)
    if qemu is not None and kind != "xen-hvm":
        what = ("xen-pv passthrough goes through pcifront/pciback, there is no device model "
                "(expected platform.kind: xen-hvm, or no qemu)")
        fail(f.path("qemu"), f.items["qemu"], what)
    if xen is not None and qemu is not None:
        try:
            bh.check_combination(bh.parse_xen(xen), bh.parse_qemu(qemu))
        except bh.VersionError as e:
            fail(f.path("qemu"), f.items["qemu"], str(e))
    switches = _switches(f, PLATFORM_SWITCHES)
    if xen is not None and kind.startswith("xen-"):
        rows = bh.by_name()
        for name, value in switches.items():
            try:
                bh.check_window(rows[name], value, bh.parse_xen(xen) if rows[name].layer == "xen" else None)
            except bh.VersionError as e:
                fail(f.path(name), f.items[name], str(e))
    if switches.get("apic_virtualization") and xen is not None and bh.parse_xen(xen).series < bh.FIRST_APIC_VIRT_XEN:
        fail(f.path("apic_virtualization"), f.items["apic_virtualization"], f"Xen {xen} does not tell an HVM guest "
             "about APIC virtualization: CPUID leaf 4 carries it from Xen 4.5.0 on (3196856c65) (expected platform.xen "
             "4.5 or newer, or xen_hvm_pirqs: false for a guest with native MSIs)")
    if switches.get("xen_evtchn_fifo") and xen is not None and bh.parse_xen(xen).series < bh.FIRST_FIFO_XEN:
        fail(f.path("xen_evtchn_fifo"), f.items["xen_evtchn_fifo"], f"platform.xen {xen} has no FIFO event channel "
             "ABI: EVTCHNOP_init_control is in Xen from 4.4.0 on (88910061ec); an older Xen answers it -ENOSYS and the "
             "guest falls back to the 2-level ABI (expected platform.xen 4.4 or newer, or no xen_evtchn_fifo)")
    iommu = f.read("iommu", choice(IOMMUS, "interrupt remapping unit"), None)
    if iommu is not None and not remapping:
        fail(f.path("iommu"), f.items["iommu"], f"names the interrupt remapping unit, and interrupt remapping is off "
             f"(expected platform.interrupt_remapping: true with iommu: {iommu}, or no iommu)")
    return Platform(kind=kind, xen=xen, qemu=qemu, interrupt_remapping=remapping,
                    switches=switches,
                    apic_routing=f.read("apic_routing", choice(APIC_ROUTINGS, "APIC routing"), None),
                    iommu=(iommu or "intel") if remapping else None,
                    lowest_priority=_lowest_priority(f, kind, remapping))


def _lowest_priority(f: Fields, kind: str, remapping: bool) -> str | None:
    """``platform.lowest_priority``: only a bare-metal machine's chipset without remapping (an IRTE names one
    CPU; Xen's vLAPIC has its own vlapic_lowest_prio, not modelled here)."""
    rule = f.read("lowest_priority", choice(LOWEST_PRIORITY_RULES, "lowest-priority rule"), None)
    if rule is not None and (kind != "bare-metal" or remapping):
        fail(f.path("lowest_priority"), f.items["lowest_priority"], "the lowest-priority pick is modelled for a "
             "bare-metal platform without interrupt remapping only (expected platform.kind: bare-metal with "
             "interrupt_remapping false, or no lowest_priority)")
    return rule


def _check_xen_only(f: Fields, kind: str) -> None:
    """Xen switches on bare metal would be silently meaningless: reject them."""
    if kind.startswith("xen-"):
        return
    for key in XEN_ONLY_KEYS:
        if key in f.items:
            what = f"only meaningful on Xen (expected platform.kind: xen-hvm or xen-pv, or no {key})"
            fail(f.path(key), f.items[key], what)


def _version(parse: Callable[[str], bh.Version], limit: int) -> Conv[str]:
    """A version string as written (``4.10`` stays "4.10"), checked by the behaviour table."""

    def conv(y: Y, field: str) -> str:
        text = string(limit, None, "a version string like \"4.5\"")(ys.written(y), field)
        try:
            parse(text)
        except bh.VersionError as e:
            fail(field, y, str(e))
        return text

    return conv


def _kernel(y: Y, path: str) -> Kernel:
    f = Fields(y, path, ("version", *KERNEL_SWITCHES))
    k = Kernel(version=f.read("version", _version(bh.parse_kernel, 16), None),
               switches=_switches(f, KERNEL_SWITCHES))
    if k.version is not None:
        rows = bh.by_name()
        for name, value in k.switches.items():
            try:
                bh.check_window(rows[name], value, bh.parse_kernel(k.version))
            except bh.VersionError as e:
                fail(f.path(name), f.items[name], str(e))
    return k


def _switches(f: Fields, rows: Mapping[str, bh.Switch]) -> dict[str, Any]:
    """The behaviour switches written in this section (a hypothetical value is accepted: experiments)."""
    return {name: f.read(name, _switch_conv(row), None) for name, row in rows.items() if name in f.items}


def _switch_conv(row: bh.Switch) -> Conv[Any]:
    return boolean if set(row.values) == {False, True} else choice(row.values, "setting")


# --- devices ----------------------------------------------------------------------------


def _devices(y: Y, platform: Platform) -> dict[str, Device]:
    items = ys.as_map(y, "devices", "a mapping of device name to device")
    if len(items) > MAX_DEVICES:
        fail("devices", y, f"{len(items)} devices is too many (expected at most {MAX_DEVICES})")
    devices: dict[str, Device] = {}
    owners: dict[str, str] = {}
    for name, node in items.items():
        device = _device(name, node, platform)
        if device.bdf in owners:
            what = f"{device.bdf} is already used by {owners[device.bdf]} (expected a unique bus:device.function)"
            fail(ys.join(ys.join("devices", name), "bdf"), node.value["bdf"], what)
        owners[device.bdf] = name
        devices[name] = device
    return devices


def _device(name: str, y: Y, platform: Platform) -> Device:
    path = ys.join("devices", name)
    if len(name) > 32 or not _DEVICE_NAME.fullmatch(name):
        fail(path, y, f"bad device name {ys.show(name)} (expected [a-z][a-z0-9_-]*, at most 32 characters)")
    f = Fields(y, path, DEVICE_KEYS)
    msix = f.read("msix", _msix_cap, None)
    msi = f.read("msi", _msi_cap, None)
    intx = f.read("intx", _intx_pin, None)
    if intx is not None and platform.kind != "bare-metal":
        intx = _pv_intx(f, platform, intx) if platform.kind == "xen-pv" else _hvm_intx(f, platform, intx)
    if intx is not None and platform.interrupt_remapping and platform.kind != "bare-metal":
        what = ("an IO-APIC entry through interrupt remapping (IR format, ioapic_ir_chip) is not modelled on Xen "
                "(expected no intx:, or interrupt_remapping: false)")
        fail(f.path("intx"), f.items["intx"], what)
    if intx is not None and platform.interrupt_remapping and platform.iommu != "intel":
        what = (f"an IO-APIC entry through {platform.iommu} interrupt remapping (amd_ir_set_affinity, the IOAPIC "
                "IRTE format of AMD-Vi) is not modelled (expected no intx:, or platform.iommu: intel)")
        fail(f.path("intx"), f.items["intx"], what)
    if msix is None and msi is None and intx is None:
        fail(path, y, "the device has neither msi nor msix nor intx (expected at least one of msi:, msix:, intx:)")
    return Device(
        name=name, bdf=f.need("bdf", _bdf), kind=f.read("kind", choice(DEVICE_KINDS, "device kind"), "generic"),
        passthrough=_passthrough(f, platform), msix=msix, msi=msi, quirks=_quirks(f, msix, msi), intx=intx,
    )


def _hvm_intx(f: Fields, platform: Platform, intx: IntxPin) -> IntxPin:
    """A Xen HVM guest's passthrough function: QEMU xen-pt binds its pin to the guest GSI Xen derives from
    the guest slot (xc_domain_bind_pt_pci_irq -> pt_irq_create_bind: hvm_pci_intx_gsi(device, intx)).
    An emulated device's pin is refused."""
    if platform.kind != "xen-hvm" or not f.read("passthrough", boolean, False):
        what = (f"INTx is modelled on bare metal, for a Xen HVM guest's passthrough function and for a PV guest's "
                f"pcifront function, not {platform.kind}{'' if platform.kind != 'xen-hvm' else ' emulated devices'} "
                "(expected no intx:, or platform.kind: bare-metal, or xen-hvm with passthrough: true)")
        fail(f.path("intx"), f.items["intx"], what)
    slot = int(f.need("bdf", _bdf)[3:5], 16)
    guest = hvm_pci_intx_gsi(slot, intx.pin - 1)
    if guest > INTX_GSIS[1]:
        fail(f.path("intx"), f.items["intx"], f"slot {slot:#x} pin {INTX_PINS[intx.pin - 1]} is the guest's GSI "
             f"{guest} (hvm_pci_intx_gsi); the model numbers the guest's MSI irqs from 24 and Xen's vIOAPIC has 48 "
             "pins: only guest GSIs 16..23 are modelled (expected a guest slot like 08, 09, 10 or 18)")
    return IntxPin(pin=intx.pin, gsi=guest, machine=intx.gsi)


def _pv_intx(f: Fields, platform: Platform, intx: IntxPin) -> IntxPin:
    """A Xen PV guest's pcifront function (every PV device is passthrough: ``_passthrough`` refuses the
    others): the toolstack maps its machine GSI to the pirq of the same number for the domain, pciback puts
    that pirq in Interrupt Line, and the guest binds it (xen_pcifront_enable_irq -> xen_bind_pirq_gsi_to_irq;
    model/xen_intx.py). ``gsi`` and ``machine`` are both the machine GSI."""
    return IntxPin(pin=intx.pin, gsi=intx.gsi, machine=intx.gsi)


def hvm_pci_intx_gsi(device: int, intx: int) -> int:
    """Xen's hvm_pci_intx_gsi (xen/arch/x86/include/asm/hvm/irq.h): the guest GSI of a slot's INTx pin,
    as hvmloader's _PRT routes it."""
    return ((((device) << 2) + ((device) >> 3) + (intx)) & 31) + 16


#: 359cf6f8a0 / a646da4a3d (RELEASE-4.13.0): from them desc_guest_eoi stops the irq's eoi_timer and the timer
#: bails out with nothing in flight, as model/xen_intx.py does; the dpci EOI timer of 4.13 .. 4.15
#: (platform.xen_dpci_eoi_timer) and the masked-entry EOI skip before 4.15 (xen_dpci_eoi_masked) are modelled
FIRST_HVM_INTX_XEN = (4, 13)


def _check_hvm_intx(scn: Scenario, top: Fields) -> None:
    """What of a Xen HVM guest's INTx is modelled: Xen 4.13+ (the eoi_timer as modelled), a guest that uses the
    vIOAPIC (no XENFEAT_hvm_pirqs: a PVHVM Linux with it registers GSIs as pirqs, acpi_register_gsi_xen_hvm,
    whether or not Xen advertises APIC virtualization),
    and no move of the guest's level irq (a vIOAPIC has no EOI register: the move's EOI is a trigger-mode
    flip, vioapic_write_redirent -> hvm_dpci_eoi)."""
    intx = [n for n, d in scn.devices.items() if d.intx is not None and d.intx.machine is not None]
    if intx and scn.platform.kind == "xen-pv":
        _check_pv_intx(scn, top, intx)
        return
    if not intx or scn.platform.kind != "xen-hvm":
        return
    node = top.items["devices"].value[intx[0]].value["intx"]
    path = ys.join(ys.join("devices", intx[0]), "intx")
    table = scn.behaviour.plain(scn.platform.kind)
    if scn.platform.xen is not None and bh.parse_xen(scn.platform.xen).parts[:2] < FIRST_HVM_INTX_XEN:
        fail(path, node, f"Xen {scn.platform.xen}'s irq_guest_eoi_timer_fn (before 359cf6f8a0 / a646da4a3d in 4.13: "
             "not stopped at the guest's EOI) is not modelled for an HVM intx: pin (expected platform.xen 4.13 or newer)")
    if table.get("xen_hvm_pirqs", True):
        # pci_xen_hvm_init sets __acpi_register_gsi before (and whatever) xen_hvm_msi_init decides for MSIs
        fail(path, node, "a PVHVM guest with XENFEAT_hvm_pirqs registers GSIs as pirqs (acpi_register_gsi_xen_hvm, "
             "with APIC virtualization too): not modelled (expected xen_hvm_pirqs: false, the default from Xen 4.19)")
    for a in scn.run:
        if a.do == "cpu_offline" or (a.do in ("set_affinity", "request_irq") and a.dev in intx
                                     and (a.do == "set_affinity" or a.args.get("hint") is not None)):
            # the line of the action's do: (it named the device's intx: line before)
            act = top.items["run"].value[a.index]
            fail(f"run[{a.index}].do", act.value.get("do", act), "moving a Xen HVM guest's level irq (its vIOAPIC entry) is not modelled "
                 "(expected no cpu_offline, set_affinity or hint with an HVM intx: pin)")


def _check_pv_intx(scn: Scenario, top: Fields, intx: list[str]) -> None:
    """What of a Xen PV guest's pcifront INTx is modelled: no move of its pirq irq (set_affinity, a hint,
    cpu_offline: before 1ca1b4e2c0cb the move waits for eoi_pirq, which the model's handle_fasteoi_irq on
    the pirq chip does not apply) and no PHYSDEVOP_unmap_pirq of its GSI pirq (unmap_domain_pirq of an
    IO-APIC irq is not modelled)."""
    for a in scn.run:
        if a.do == "cpu_offline" or (a.do in ("set_affinity", "request_irq") and a.dev in intx
                                     and (a.do == "set_affinity" or a.args.get("hint") is not None)):
            act = top.items["run"].value[a.index]
            fail(f"run[{a.index}].do", act.value.get("do", act), "moving a Xen PV guest's INTx pirq irq is not "
                 "modelled (expected no cpu_offline, set_affinity or hint with a xen-pv intx: pin)")
    gsis = {scn.devices[n].intx.machine for n in intx}    # type: ignore[union-attr]
    calls = [(f"run[{a.index}]", top.items["run"].value[a.index], a.args) for a in scn.run if a.do == "hypercall"]
    calls += [(f"probes[{i}]", top.items["probes"].value[i], p.args) for i, p in enumerate(scn.probes)
              if p.do == "hypercall"]
    for path, node, args in calls:
        if args.get("op") == "PHYSDEVOP_unmap_pirq" and args.get("arg") in gsis:
            fail(f"{path}.arg", node.value.get("arg", node), f"pirq {args['arg']} is a PV intx: pin's GSI pirq: "
                 "unmapping it (unmap_domain_pirq of an IO-APIC irq) is not modelled (expected another pirq)")


def _intx_pin(y: Y, field: str) -> IntxPin:
    f = Fields(y, field, ("pin", "gsi"))
    pin = f.read("pin", choice(INTX_PINS, "INTx pin"), "A")
    lo, hi = INTX_GSIS
    return IntxPin(pin=INTX_PINS.index(pin) + 1, gsi=f.need("gsi", ints(lo, hi, f"{lo}..{hi}: a PCI GSI of the IO-APIC")))


def _bdf(y: Y, field: str) -> str:
    return string(7, _BDF, "a bus:device.function like \"00:03.0\"")(ys.written(y), field).lower()


def _passthrough(f: Fields, platform: Platform) -> bool:
    passthrough = f.read("passthrough", boolean, False)
    if passthrough and not platform.kind.startswith("xen-"):
        what = f"passthrough is only meaningful on Xen, not {platform.kind} (expected false, or a xen-* platform)"
        fail(f.path("passthrough"), f.items["passthrough"], what)
    if not passthrough and platform.kind == "xen-pv":
        # arch/x86/pci/xen.c: a PV guest has no local APIC vector domain and no device model; every
        # PCI device it has is pciback's, reached through pcifront (xen_setup_msi_irqs)
        what = ("a Xen PV guest reaches PCI devices only through pcifront: there is no emulated device "
                "and no local APIC vector for one (expected passthrough: true on xen-pv)")
        fail(f.path("passthrough"), f.items.get("passthrough", f.y), what)
    if passthrough and platform.kind == "xen-hvm" and platform.qemu is not None:
        q = bh.parse_qemu(platform.qemu)
        if q.family == "qemu-xen" and q.series < bh.FIRST_QEMU_XEN_PT:
            what = (f"{platform.qemu} has no PCI passthrough (xen-pt is first in qemu-xen-4.3; expected "
                    "qemu-xen-4.3 or newer, qemu-traditional, or passthrough: false)")
            fail(f.path("passthrough"), f.items["passthrough"], what)
    return passthrough


def _msix_cap(y: Y, field: str) -> MsixCap:
    f = Fields(y, field, ("table_size",))
    return MsixCap(table_size=f.need("table_size", ints(1, MAX_TABLE_SIZE)))


def _msi_cap(y: Y, field: str) -> MsiCap:
    f = Fields(y, field, ("vectors", "per_vector_mask", "addr64"))
    return MsiCap(
        vectors=f.read("vectors", choice(MSI_VECTORS, "MSI vector count"), 1),
        per_vector_mask=f.read("per_vector_mask", boolean, False),
        addr64=f.read("addr64", boolean, True),
    )


def _quirks(f: Fields, msix: MsixCap | None, msi: MsiCap | None) -> tuple[str, ...]:
    quirks = f.read("quirks", ys.list_of(choice(QUIRKS, "quirk"), 64, "a list of quirk names"), ())
    for i, quirk in enumerate(quirks):
        path, y = f"{f.path('quirks')}[{i}]", f.items["quirks"].value[i]
        if quirk in quirks[:i]:
            fail(path, y, f"duplicate quirk {ys.show(quirk)} (expected each quirk once)")
        needs = QUIRK_NEEDS[quirk]
        if any({"msix": msix, "msi": msi}[cap] is None for cap in needs):
            fail(path, y, f"{quirk} needs a device with {' and '.join(needs)} (expected {', '.join(needs)} keys)")
    return quirks


# --- run --------------------------------------------------------------------------------


def _run(y: Y, ctx: _Ctx) -> tuple[Action, ...]:
    entries = ys.as_list(y, "run", MAX_RUN, "a list of actions like {do: probe, dev: eth0}")
    actions = tuple(_action(i, entry, ctx) for i, entry in enumerate(entries))
    total = sum(a.args["count"] for a in actions if a.do == "fire")
    if total > MAX_FIRE_TOTAL:
        fail("run", y, f"{total} fire signals in total is too many (expected at most {MAX_FIRE_TOTAL})")
    return actions


def _action(index: int, y: Y, ctx: _Ctx) -> Action:
    path = f"run[{index}]"
    do = _action_kind(y, path)
    if do in NOT_ON_CPU and "on" in y.value:
        why = "a device signal" if do == "fire" else "Xen's scheduler"
        what = f"not allowed for {do}: {why} is not tied to a guest CPU (expected no on:)"
        fail(f"{path}.on", y.value["on"], what)
    f = Fields(y, path, ("do", "at", "on", *ACTION_FIELDS[do], "jitter"), f"key for {do}")
    device = f.need("dev", _device_ref(ctx.devices)) if "dev" in ACTION_FIELDS[do] else None
    on = f.read("on", _cpu(ctx.cpus), 0)
    args = _write_args(f, device) if do == "write" else _action_args(f, do, device, ctx, on)
    at, at_max = f.read("at", st.at_range, (0, None))
    return Action(
        index=index, at_ns=at, do=do, on=on, dev=device.name if device else None, args=args, line=y.at,
        at_max_ns=at_max, jitter=f.read("jitter", st.jitter, None),
    )


def _action_kind(y: Y, path: str) -> str:
    items = ys.as_map(y, path, "a mapping like {do: probe, dev: eth0}")
    if "do" not in items:
        fail(f"{path}.do", y, f"missing (expected do: one of {', '.join(ACTIONS)})")
    return choice(ACTIONS, "action")(items["do"], f"{path}.do")


def _device_ref(devices: dict[str, Device]) -> Conv[Device]:
    """A converter for a device name that must be defined under ``devices:``."""
    return ys.member(devices, "device", "none are defined under devices:")


def _cpu(cpus: int) -> Conv[int]:
    return ints(0, cpus - 1, f"0..{cpus - 1}: the scenario has {cpus} cpu{'s' if cpus > 1 else ''}")


def _cpus(cpus: int) -> Conv[int | list[int]]:
    """A CPU, or a non-empty list of CPUs (a mask, as irq_set_affinity() takes)."""
    one = _cpu(cpus)
    many = ys.list_of(one, cpus, f"a CPU 0..{cpus - 1} or a list of them")

    def conv(y: Y, field: str) -> int | list[int]:
        if not isinstance(y.value, list):
            return one(y, field)
        got = many(y, field)
        if not got:
            fail(field, y, "empty (expected at least one CPU)")
        return sorted(set(got))

    return conv


def _cpu_list(f: Fields, cpus: int) -> list[int]:
    """A non-empty list of CPUs (a CPU mask, as written to /proc/irq/default_smp_affinity)."""
    got = f.need("cpus", ys.list_of(_cpu(cpus), cpus, f"a list of CPUs 0..{cpus - 1}"))
    if not got:
        fail(f.path("cpus"), f.items["cpus"], "empty (expected at least one CPU)")
    return list(got)


def _vector(device: Device | None) -> Conv[int]:
    assert device is not None, "every action with a vector has a dev"
    n = device.max_vectors
    return ints(0, n - 1, f"0..{n - 1}: {device.name} has {n} vector{'s' if n > 1 else ''}")


ArgReader = Callable[[Fields, "Device | None", _Ctx], dict[str, Any]]

#: how each action field is read into ``Action.args`` (times become ``*_ns``)
_ARG_READERS: dict[str, ArgReader] = {
    "mode": lambda f, d, c: {"mode": f.read("mode", choice(MODES, "mode"), "any")},
    "vectors": lambda f, d, c: {"vectors": f.read("vectors", ints(1, MAX_TABLE_SIZE), 1)},
    "affinity": lambda f, d, c: {"affinity": f.read("affinity", _cpus(c.cpus), None)},
    "hint": lambda f, d, c: {"hint": f.read("hint", _cpus(c.cpus), None)},
    # extension: a driver that forgets pci_set_master; absent = true (what drivers do), kept out of the args
    "set_master": lambda f, d, c: {} if "set_master" not in f.items else {"set_master": f.read("set_master", boolean,
                                                                                               True)},
    "cpus": lambda f, d, c: {"cpus": _cpu_list(f, c.cpus)},
    "vector": lambda f, d, c: {"vector": f.need("vector", _vector(d))},
    "cpu": lambda f, d, c: {"cpu": f.need("cpu", _cpu(c.cpus))},
    "vcpu": lambda f, d, c: {"vcpu": f.need("vcpu", _cpu(c.cpus))},
    "pcpu": lambda f, d, c: {"pcpu": f.need("pcpu", ints(0, MAX_PCPU, f"a host pCPU 0..{MAX_PCPU}"))},
    "count": lambda f, d, c: {"count": f.read("count", ints(1, MAX_FIRE_COUNT), 1)},
    "every": lambda f, d, c: {"every_ns": f.read("every", ys.times(), 0)},
    "timeout": lambda f, d, c: {"timeout_ns": f.read("timeout", ys.times(positive=True), DEFAULT_TIMEOUT_NS)},
    "op": lambda f, d, c: {"op": f.need("op", choice(tuple(HYPERCALLS), "hypercall"))},
    "arg": lambda f, d, c: {"arg": f.read("arg", ints(0, 1 << 20), None)},
    # extension: irq_set_status_flags(irq, IRQ_DISABLE_UNLAZY) before the disable; absent = lazy, kept out
    "unlazy": lambda f, d, c: {} if "unlazy" not in f.items else {"unlazy": f.read("unlazy", boolean, False)},
    "state": lambda f, d, c: {"state": f.read("state", choice(PM_STATES, "power state"), "d3hot")},
}


def _action_args(f: Fields, do: str, device: Device | None, ctx: _Ctx, on: int) -> dict[str, Any]:
    if do == "cpu_offline" and ctx.cpus < 2:
        fail(f"{f.field}.do", f.items["do"], "cannot take the only CPU offline (expected cpus: 2 or more)")
    if do == "hypercall" and not ctx.platform.kind.startswith("xen-"):
        fail(f"{f.field}.do", f.items["do"], "a hypercall needs a Xen guest (expected platform.kind: xen-hvm or xen-pv)")
    if do == "vcpu_migrate" and not ctx.platform.kind.startswith("xen-"):
        fail(f"{f.field}.do", f.items["do"], "vcpu_migrate moves a Xen guest's vCPU between host pCPUs (expected "
             "platform.kind: xen-hvm or xen-pv)")
    if do in ("pm_freeze", "pm_thaw") and ctx.platform.kind != "bare-metal":
        fail(f"{f.field}.do", f.items["do"], f"{do} (the hibernation's freeze / thaw) is modelled on bare metal only "
             "(expected platform.kind: bare-metal)")
    if do == "pm_suspend" and ctx.platform.kind != "bare-metal" and f.items.get("state") is not None \
            and f.items["state"].value == "d3cold":
        fail(f.path("state"), f.items["state"], "D3cold is the platform removing the function's power (ACPI _PR3), "
             f"which a {ctx.platform.kind} guest has no say in (expected state: d3hot, or platform.kind: bare-metal)")
    if do in ("pm_resume", "pm_suspend") and ctx.platform.kind == "xen-hvm":
        if device is not None and not device.passthrough:
            fail(f.path("dev"), f.items["dev"], f"{do} on xen-hvm is modelled for a passthrough function (QEMU "
                 "xen-pt's emulated PMCSR) only (expected a device with passthrough: true)")
    args: dict[str, Any] = {}
    for key in ACTION_FIELDS[do]:
        if key != "dev":
            args.update(_ARG_READERS[key](f, device, ctx))
    if do == "cpu_offline" and args["cpu"] == on:
        what = f"cpu {on} cannot run its own offline request (expected on: a CPU other than {on})"
        fail(f.path("on"), f.items.get("on", f.y), what)
    if do == "hypercall":
        _hypercall_arg(f, args)
    if do == "fire" and args["count"] > 1 and args["every_ns"] == 0:
        fail(f.path("every"), f.items.get("every", f.y), _every_problem(f, args["count"]))
    return args


def _write_args(f: Fields, device: Device | None) -> dict[str, Any]:
    assert device is not None, "write has a dev"
    target = f.need("target", choice(WRITE_TARGETS, "write target"))
    size = f.read("size", choice((1, 2, 4), "size"), 4)
    last = _write_limit(f, device, target) - size
    offset = f.need("offset", ints(0, last, f"0..{last}: a {size}-byte write inside the {target}"))
    if offset % size:
        fail(f.path("offset"), f.items["offset"], f"{offset} is not {size}-byte aligned (expected a multiple of {size})")
    top = 2 ** (8 * size) - 1
    value = f.need("value", ints(0, top, f"0..{top:#x}: a {size}-byte value"))
    return {"target": target, "offset": offset, "value": value, "size": size}


def _write_limit(f: Fields, device: Device, target: str) -> int:
    """The size in bytes of the space ``target`` names on ``device``."""
    if target == "config":
        return CONFIG_SPACE_BYTES
    if device.msix is None:
        what = f"{device.name} has no MSI-X table (expected a device with msix:, or target: config)"
        fail(f.path("target"), f.items["target"], what)
    return device.msix.table_size * MSIX_ENTRY_BYTES


# --- breakpoints, expect, faults, costs -------------------------------------------------


_FORMS = ("if", "watch", "call")


def _breakpoints(y: Y, path: str) -> tuple[str, ...]:
    return ys.list_of(_breakpoint, MAX_BREAKPOINTS, "a list of breakpoint names or conditions")(y, path)


def _breakpoint(y: Y, field: str) -> str:
    """A breakpoint spec. A plain name must be a contract name; the ``if``/``watch``/``call`` forms
    (and ``name if ...``) are parsed by the debugger when it arms them."""
    spec = string(4000, None, "a breakpoint name or condition")(y, field)
    text = spec.strip()
    head = text.partition(" ")[0]
    if head not in _FORMS and text.partition(" if ")[0].strip() not in BREAKPOINTS:
        what = (f"unknown breakpoint {ys.show(text)} (expected one of: {', '.join(sorted(BREAKPOINTS))}, "
                f"or 'if <condition>', 'watch <path>', 'call <program>'{breakpoint_hint(text)})")
        fail(field, y, what)
    return spec


def _breakpoint_lines(top: Fields) -> tuple[int, ...]:
    y = top.items.get("breakpoints")
    return tuple(item.at for item in y.value) if y is not None and isinstance(y.value, list) else ()


def _expect(y: Y, devices: dict[str, Device], actions: int) -> Expect:
    CONTRACT = BREAKPOINTS
    f = Fields(y, "expect", EXPECT_KEYS)
    names = ys.list_of(choice(tuple(CONTRACT), "breakpoint"), len(CONTRACT), "a list of breakpoint names")
    counts = ys.keyed(_device_ref(devices), ints(0), "a mapping of device name to count")
    statuses = ys.keyed(_device_ref(devices), _probe_status, "a mapping of device name to probe status")
    return Expect(
        hit=f.read("hit", names, ()), not_hit=f.read("not_hit", names, ()),
        lost=f.read("lost", counts, {}), delivered=f.read("delivered", counts, {}),
        spurious=f.read("spurious", counts, {}), probe=f.read("probe", statuses, {}),
        not_started=f.read("not_started", lambda v, path: _not_started(v, path, actions), None),
    )


def _not_started(y: Y, field: str, actions: int) -> tuple[int, ...]:
    """``expect.not_started``: distinct ``run:`` indexes in increasing (file) order, as the summary
    numbers them; ``[]`` says every action started."""
    what = f"a list of run: indexes 0..{actions - 1}" if actions else "[] (the file has no run: actions)"
    out = ys.list_of(ints(0, max(actions - 1, 0), what), MAX_RUN, what)(y, field)
    if not actions and out:
        fail(f"{field}[0]", y, f"{out[0]} is not a run: action (expected {what})")
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            fail(f"{field}[{i}]", y, f"{out[i]} after {out[i - 1]} (expected distinct indexes in increasing order)")
    return out


def _probe_status(y: Y, field: str) -> str:
    status = string(64, None, "ok, not-probed or failed: <errno>")(y, field)
    match = _PROBE_STATUS.fullmatch(status)
    if match is None or (match.group(1) is not None and match.group(1) not in ERRNOS):
        what = f"expected ok, not-probed, or 'failed: <errno>' with an errno from: {', '.join(ERRNOS)}"
        fail(field, y, f"{ys.show(status)} is not a probe status ({what})")
    return status


def _faults(y: Y, devices: dict[str, Device]) -> tuple[Fault, ...]:
    return ys.list_of(lambda item, path: _fault(item, path, devices), MAX_FAULTS, "a list of faults")(y, "faults")


def _fault(y: Y, path: str, devices: dict[str, Device]) -> Fault:
    f = Fields(y, path, ("call", "dev", "errno", "times"))
    device = f.read("dev", _device_ref(devices), None)
    return Fault(
        call=f.need("call", string(128, _PROGRAM, "a kernel program name like pci_msi_setup_msi_irqs")),
        dev=device.name if device else None,
        errno=f.need("errno", choice(tuple(ERRNOS), "errno")), times=f.read("times", ints(1, 1000), 1),
        line=f.items["call"].at if "call" in f.items else y.at,
    )


def _hypercall_arg(f: Fields, args: dict[str, Any]) -> None:
    """``arg`` is required by the hypercalls that take one and refused by the others."""
    wants = HYPERCALLS[args["op"]]
    if wants is not None and args["arg"] is None:
        fail(f.path("op"), f.items["op"], f"{args['op']} needs arg: {wants} (expected arg: a number)")
    if wants is None and args["arg"] is not None:
        fail(f.path("arg"), f.items["arg"], f"{args['op']} takes no argument (expected no arg:)")


MAX_PROBES = 64
_PROBE_AT = re.compile(r"([a-z_][a-z0-9_]*)(?:\.([a-z_][a-z0-9_]*))?", re.ASCII)
PROBE_FIELDS = {"hypercall": ("op", "arg"), "fire": ("dev", "vector", "count", "every")}


def _probes(y: Y, ctx: _Ctx) -> tuple[Probe, ...]:
    return ys.list_of(lambda item, path: _probe(item, path, ctx), MAX_PROBES,
                      "a list of probes like {at: shutdown_pirq.close, do: hypercall, op: PHYSDEVOP_get_free_pirq}")(y, "probes")


def _probe(y: Y, path: str, ctx: _Ctx) -> Probe:
    """One probe; that ``at`` names a real program and step is checked when the world is built."""
    items = ys.as_map(y, path, "a mapping like {at: shutdown_pirq.close, do: hypercall, op: PHYSDEVOP_get_free_pirq}")
    if "do" not in items:
        fail(f"{path}.do", y, f"missing (expected do: one of {', '.join(PROBE_ACTIONS)})")
    do = choice(PROBE_ACTIONS, "probe action")(items["do"], f"{path}.do")
    f = Fields(y, path, ("at", "when", "do", "if_dev", "times", *PROBE_FIELDS[do]), f"key for a {do} probe")
    at = f.need("at", string(200, _PROBE_AT, "a kernel program, or program.step, like shutdown_pirq.close"))
    prog, _, step = at.partition(".")
    device = f.need("dev", _device_ref(ctx.devices)) if do == "fire" else None
    if_dev = f.read("if_dev", _device_ref(ctx.devices), None)
    if do == "hypercall":
        if not ctx.platform.kind.startswith("xen-"):
            fail(f"{path}.do", f.items.get("do", y), "a hypercall needs a Xen guest (expected platform.kind: xen-hvm or xen-pv)")
        args: dict[str, Any] = {**_ARG_READERS["op"](f, None, ctx), **_ARG_READERS["arg"](f, None, ctx)}
        _hypercall_arg(f, args)
    else:
        args = {key: v for r in ("vector", "count", "every") for key, v in _ARG_READERS[r](f, device, ctx).items()}
        if args["count"] > 1 and args["every_ns"] == 0:
            fail(f.path("every"), f.items.get("every", y), _every_problem(f, args["count"]))
    return Probe(prog=prog, step=step or None, when=f.read("when", choice(("before", "after"), "when"), "before"),
                 do=do, args=args, dev=device.name if device else None,
                 if_dev=if_dev.name if if_dev else None, times=f.read("times", ints(1, 1_000_000), 0),
                 line=f.items["at"].at if "at" in f.items else y.at)


def _costs(y: Y, path: str) -> dict[str, int]:
    from msidbg.sim.costs import DEFAULT_COSTS

    f = Fields(y, path, DEFAULT_COSTS, "cost")
    return {key: f.need(key, ys.times(positive=True, hi=ys.NS_PER_S)) for key in f.items}


def _every_problem(f: Any, count: int) -> str:
    """``fire``'s ``every`` missing, or given as 0, with ``count`` > 1 (it said "required" to a
    file that gave ``every: 0us``)."""
    said = "required" if "every" not in f.items else "0 is not a time between signals"
    return f"{said} when count > 1 (count: {count}; expected a time > 0 between signals, like 10us)"
