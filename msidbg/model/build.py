"""Build the initial world (plain data) from a validated scenario.

The scenario arrives as plain data from the scenario layer (``msidbg.scenario``, which this
module does not import): devices, actions, faults, and the resolved behaviour table, which
the world carries as ``w["behaviour"]`` (``{switch: value}``) -- the only place the model
reads a behaviour switch from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from msidbg.contract import ERRNOS
from msidbg.errors import ScenarioError
from msidbg.model import probes
from msidbg.model.acct import new_acct
from msidbg.model.device import new_device
from msidbg.model.hw import (
    FIRST_DYNAMIC_IRQ,
    FIRST_EXTERNAL_VECTOR,
    IRQ_MOVE_CLEANUP_VECTOR,
    ISA_IRQ_VECTOR0,
    NR_LEGACY_IRQS,
    PIC_CASCADE_IR,
    VECTOR_CLEANUP,
    VECTOR_OFFSET_START,
    VECTOR_SHUTDOWN,
    words_set,
    x2apic_logical_id,
)
from msidbg.sim.costs import merged
from msidbg.sim.program import PROGRAMS
from msidbg.sim.rec import adopt_cpu, as_world
from msidbg.sim.scheduler import WORLD_FORMAT

if TYPE_CHECKING:
    from msidbg.scenario import Scenario

MASK64 = (1 << 64) - 1
World = Any     # a world record (sim/rec.py WorldRec)

#: platform hooks: functions(scenario, world) run at the end of build (Xen fills its state)
PLATFORM_BUILDERS: list[Any] = []


def new_cpu(i: int, apic_id: int | None = None, ldr: int = 0) -> dict[str, Any]:
    """CPU ``i``; ``apic_id`` its local APIC id (default ``i``), ``ldr`` its logical id: the flat
    driver's 8-bit ``1 << cpu``, or under x2APIC cluster mode the 32-bit logical x2APIC id (cluster
    << 16 | 1 << (apic_id & 0xf)); 0 = no logical id in use."""
    return adopt_cpu({      # a record (sim/rec.py): the hot path reads its fields as slots
        "id": i, "apic_id": i if apic_id is None else apic_id, "ldr": ldr, "online": True,
        "irr": [0] * 8, "isr": [0] * 8, "tpr": 0, "irr_src": {},
        "vector_irq": {IRQ_MOVE_CLEANUP_VECTOR: VECTOR_CLEANUP},
        "alloc": [0] * 8,            # the vector matrix: device vectors allocated on this CPU
        "cleanup": [],               # irqs whose old vector awaits the cleanup IPI here
        "proc": {"stack": [], "wait": None, "irqs_off": False, "action": -1, "done": None},
        "irq": {"stack": [], "wait": None},
        "busy_until": 0, "queued": False, "queue": [],
        "handling": -1,              # the irq whose action this CPU's last step ran (handle_irq_event)
        "stopped": False,            # in stop_machine (another CPU's cpu_down): runs nothing new
    })


def legacy_irqs(w: World) -> None:
    """ISA irqs 0..15 own vectors 0x30..0x3f on the boot CPU (not the PIC cascade).

    From 4.15 (the matrix allocator) only the timer keeps its vector: when the IO-APIC domain takes
    an ISA irq over, x86_vector_alloc_irqs -> vector_configure_legacy keeps the ISA vector of an irq
    already activated (the timer, irq 0, requested before the IO-APIC was set up) and frees the others
    (clear_irq_vector: irq_matrix_free, the CPU0 slot VECTOR_SHUTDOWN or unused), which then get a
    global reservation (reserve_irq_vector) and a vector only when requested (activate_reserved). Before
    4.15 every ISA irq keeps its CPU0 vector, requested or not. The modelled machine requests none of them
    but the timer, before 4.15 as from it (reading ``kernel.vector.isa-unrequested``): only irqs with an
    action (fixup_irqs' irq_has_action, 4.9) or started (migrate_one_irq's irqd_is_started, 4.13..) leave a
    dying CPU0."""
    from msidbg.model.kernel import vector as vec
    from msidbg.model.kernel.msi import new_desc

    cpu0 = w["cpus"][0]
    matrix = not vec.legacy(w) and w["platform"]["kind"] != "xen-pv"
    if matrix:
        w["kernel"]["vec_rsvd"] = 0     # the matrix's global_reserved (irq_matrix_reserve's count)
    for i in range(NR_LEGACY_IRQS):
        if i == PIC_CASCADE_IR:
            continue
        v = ISA_IRQ_VECTOR0 + i
        desc = new_desc(w, i, None, -1, "IO-APIC")
        if matrix and i != 0:
            w["irqs"][i] = desc
            vec.reserve(w, desc)                    # vector_configure_legacy released it: reserve_irq_vector
            if vec.sw_w(w, "vector_shutdown_slot"):
                cpu0["vector_irq"][v] = VECTOR_SHUTDOWN
            continue
        if i == 0:
            # the timer, requested at boot (setup_default_timer_irq): enabled, depth 0 (irq_startup), unmasked
            desc.update(vector=v, cpu=0, activated=True, started=True, masked=False, action=f"legacy-{i}",
                        depth=0, disabled=False)
        else:
            # before 4.15 the IO-APIC's setup_IO_APIC_irqs keeps the ISA vector init_legacy_irqs gave it
            # (x86_vector_alloc_irqs takes legacy_irq_data; __assign_irq_vector keeps cfg.vector on CPU0),
            # but nothing requested it: no action, not started, depth 1 and IRQD_IRQ_DISABLED as
            # desc_set_defaults left them (reading kernel.vector.isa-unrequested)
            desc.update(vector=v, cpu=0, activated=True)
        w["irqs"][i] = desc
        cpu0["vector_irq"][v] = i
        words_set(cpu0["alloc"], v)
    if w["platform"]["kind"] != "xen-pv":
        for c in w["cpus"]:
            vec.cascade_slot(w, c["id"])


def _legacy_cursor(scn: Scenario) -> dict[str, Any]:
    """Before 4.15 (``vector_allocator: legacy``) __assign_irq_vector's static search cursor,
    ``[current_vector, current_offset]`` = FIRST_EXTERNAL_VECTOR + VECTOR_OFFSET_START and
    VECTOR_OFFSET_START % 16; the matrix-era world has no such field."""
    if scn.behaviour.plain().get("vector_allocator") != "legacy":
        return {}
    return {"vec_cursor": [FIRST_EXTERNAL_VECTOR + VECTOR_OFFSET_START, VECTOR_OFFSET_START % 16]}


def platform_state(scn: Scenario) -> dict[str, Any]:
    """Hardware and topology facts only; behaviour is ``w["behaviour"]``."""
    p = scn.platform
    route = ("amd-vi" if p.iommu == "amd" else "remapped") if p.interrupt_remapping else p.kind
    out = {"kind": p.kind, "route": route, "interrupt_remapping": p.interrupt_remapping,
           "apic": apic_driver(scn)}
    if p.lowest_priority is not None:
        # which APIC takes a Lowest Priority message (reading bus.lowest-priority, hypothetical; bus.deliver_to)
        out["lowest_priority"] = p.lowest_priority
    return out


def apic_driver(scn: Scenario) -> str:
    """The guest kernel's APIC driver, which sets the message's destination format:

    * ``x2apic-cluster``: interrupt remapping (x2APIC) and no ``platform.apic_routing: physical x2apic``:
      the probe loop (probe_64.c, the Makefile's link order: x2apic_phys before x2apic_cluster) passes
      x2apic_phys, which claims x2APIC mode only when ``x2apic_phys`` is on the command line or the ACPI
      FADT sets its physical-destination flag, and x2apic_cluster takes it: logical destinations, the
      IRTE carries the CPU's logical x2APIC id (the same from 4.15 to the newest tree read);
    * ``x2apic``: physical x2APIC (``platform.apic_routing: physical x2apic``: that command line or
      FADT flag with remapping; without remapping a guest's x2APIC, which Linux forces physical);
    * ``flat``: bare metal, no remapping, at most 8 CPUs, a 64-bit kernel before 6.12
      (``kernel.apic_flat_logical``) and no ``platform.apic_routing`` saying otherwise: physflat_probe declines
      (num_possible_cpus() <= 8) and apic_flat, logical destination mode, takes over;
    * ``physflat``: otherwise (physical destination: the APIC id).

    A Xen HVM guest whose MSIs use the x86 vector domain (no XENFEAT_hvm_pirqs, or
    ``platform.apic_virtualization``; reading ``xen.hvm-apic-mode``) picks as Linux does there:
    ``x86_hyper_xen_hvm.init.x2apic_available`` is ``xen_x2apic_para_available`` =
    ``xen_hvm_need_lapic``, false when Xen offers XENFEAT_hvm_pirqs (with the vector callback).
    Without the feature (``platform.xen_hvm_pirqs`` false) the guest enables the x2APIC that every
    HVM guest's CPUID shows and ``try_to_enable_x2apic`` (no remapping) forces physical mode:
    ``x2apic``. With it the guest stays in xAPIC mode and chooses like bare metal (``flat`` on <= 8
    vCPUs before 6.12). A guest that routes MSIs over pirqs keeps ``physflat``: nothing it sends
    uses the vector domain's destination (``platform.apic_routing`` is refused there)."""
    p = scn.platform
    if p.apic_routing == "physical x2apic":
        return "x2apic"
    if p.interrupt_remapping:
        return "x2apic-cluster"
    if p.apic_routing == "physical flat":
        return "physflat"
    if p.apic_routing == "flat":
        return "flat"
    table = scn.behaviour.plain(p.kind)
    if p.kind == "xen-hvm":
        pirqs_offered = bool(table.get("xen_hvm_pirqs", True))
        if pirqs_offered and not table.get("apic_virtualization"):
            return "physflat"       # a pirq guest: no native MSI reads the destination format
        if not pirqs_offered:
            return "x2apic"         # xen_hvm_need_lapic: x2APIC available, physical without remapping
    elif p.kind != "bare-metal":
        return "physflat"
    # the kernel's row (scoped to bare metal in the table): whether this release has apic_flat at all
    flat = scn.behaviour.plain().get("apic_flat_logical", False) and scn.cpus <= FLAT_MAX_CPUS
    return "flat" if flat else "physflat"


#: apic_flat's logical ids are the 8 bits of the xAPIC LDR: physflat_probe takes over above 8 CPUs
FLAT_MAX_CPUS = 8


def apic_id(kind: str, cpu: int) -> int:
    """The local APIC id of CPU ``cpu``: Xen gives HVM vCPU n the id 2n (vlapic_init:
    ``(v->vcpu_id * 2) << 24``; hvmloader's ``LAPIC_ID(vcpu_id)``, which its MADT lists); bare
    metal (as modelled) numbers them 0..cpus-1."""
    return 2 * cpu if kind == "xen-hvm" else cpu


def new_cpus(scn: Scenario, driver: str) -> list[dict[str, Any]]:
    kind = scn.platform.kind
    return [new_cpu(i, apic_id(kind, i), logical_id(driver, i, apic_id(kind, i))) for i in range(scn.cpus)]


def logical_id(driver: str, cpu: int, apic: int) -> int:
    """The logical id a CPU answers to under ``driver``: apic_flat's ``1 << cpu``
    (default_init_apic_ldr), the hardware's logical x2APIC id under x2APIC cluster mode (the only
    x2APIC driver that sends logical messages), else none (0)."""
    if driver == "flat":
        return 1 << cpu
    return x2apic_logical_id(apic) if driver == "x2apic-cluster" else 0


def check_faults(scn: Scenario) -> None:
    """Every ``faults:`` entry names a registered kernel program (a one-line error at its line)."""
    for i, f in enumerate(scn.faults):
        if f.call not in PROGRAMS:
            from msidbg.model.platforms import load_all
            load_all()      # (a program of the Xen side)
        if f.call not in PROGRAMS:
            what = f"unknown kernel program {f.call!r} (expected one of: {', '.join(sorted(PROGRAMS))})"
            raise ScenarioError(f"faults[{i}].call: {what}", scn.path, f.line or None)


def build_world(scn: Scenario, seed: int | None = None) -> World:
    """The world at event 0: devices out of reset, CPUs idle, the timeline on the agenda."""
    check_faults(scn)
    seed = scn.seed if seed is None else seed
    platform = platform_state(scn)
    w: World = {
        "format": WORLD_FORMAT, "scenario": scn.name, "seed": seed, "policy": scn.schedule,
        "rng": seed & MASK64, "now": 0, "seq": 0, "events": 0, "ended": False, "agenda": {},
        "costs": merged(scn.costs),
        "platform": platform,
        "behaviour": scn.behaviour.plain(scn.platform.kind, scn.platform.iommu),
        "cpus": new_cpus(scn, platform["apic"]),
        "devices": {name: new_device(d) for name, d in scn.devices.items()},
        "acct": {name: new_acct(max(d.max_vectors, 1)) for name, d in scn.devices.items()},
        "irqs": {},
        "kernel": {
            "ignore_mask": scn.platform.kind == "xen-pv",
            "next_irq": FIRST_DYNAMIC_IRQ,
            "pci": {name: {"status": "not-probed", "msix_enabled": False, "msi_enabled": False,
                           "mode": None, "descs": [], "lock": -1, "enable_cnt": 0, "is_busmaster": False,
                           # dev->driver (a probe succeeded, no remove since) and dev->mutex (kernel/devlock.py)
                           "bound": False, "device_lock": {"owner": -1, "waiters": []}}
                    for name in scn.devices},
            "waiters": {},
            "vector_lock": -1,
            "hotplug": -1,           # the CPU running a cpu_down/cpu_up (cpu_hotplug_lock), or -1
            **_legacy_cursor(scn),
            "faults": [[f.call, f.dev, ERRNOS[f.errno], f.times] for f in scn.faults],
        },
        "actions": [],
    }
    w = as_world(w)     # a record (sim/rec.py): the hot paths read its fields as slots
    if w.platform["kind"].startswith("xen-"):
        from msidbg.model.platforms import load_xen
        load_xen()     # (its programs for the probes; its builders join PLATFORM_BUILDERS)
    legacy_irqs(w)
    probes.build(scn, w)
    for hook in PLATFORM_BUILDERS:
        hook(scn, w)
    _dev_irq(w)
    _timeline(scn, w)
    return w


def _dev_irq(w: World) -> None:
    """``pci_dev->irq`` of each function (``kernel.pci.D.irq``): the irq of the GSI its INTx# pin is routed to
    (pcibios_enable_device -> pcibios_enable_irq, acpi_pci_irq_enable; a PV guest's pcifront pirq irq), 0 for a
    function without ``intx:``. msi_capability_init replaces it with the MSI irq and pci_msi_shutdown restores it
    (reading ``kernel.msi.dev-irq``); pci_irq_vector reads it."""
    for name, p in w.kernel["pci"].items():
        ix = w.devices[name].get("intx")
        p["irq"] = int(ix.get("irq", ix["gsi"])) if ix is not None else 0


def _timeline(scn: Scenario, w: World) -> None:
    """Put the scenario's actions on the agenda: per-CPU queues, device signals."""
    def push(t: int, *item: Any) -> None:
        seq = w["seq"]
        w["agenda"][seq] = [t, seq, *item]
        w["seq"] = seq + 1

    for a in scn.run:
        args = {k: v for k, v in a.args.items()}
        w["actions"].append({"do": a.do, "at": a.at_ns, "on": a.on, "dev": a.dev, "args": args,
                             "state": "queued", "result": None})
        idx = len(w["actions"]) - 1
        if a.do == "fire":
            push(a.at_ns, "fire", a.dev, args["vector"], args["count"], args["every_ns"])
            w["actions"][idx]["state"] = "device"
        elif a.do == "vcpu_migrate":     # Xen's scheduler: [t, seq, "xen", "migrate", vcpu, pcpu, action]
            push(a.at_ns, "xen", "migrate", args["vcpu"], args["pcpu"], idx)
            w["actions"][idx]["state"] = "xen"
        else:
            w["cpus"][a.on]["queue"].append(idx)
    for c in w["cpus"]:
        if c["queue"]:
            first = c["queue"].pop(0)
            push(w["actions"][first]["at"], "act", c["id"], first)
