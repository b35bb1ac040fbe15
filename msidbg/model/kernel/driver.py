"""Scenario actions as driver and sysfs code: the root programs of a process context.

Each action program's return value is the action's result (negative errno = failure,
which marks the device's driver status ``failed: E...`` and raises ``probe-failed``).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import ENTRY_REGS, ENTRY_SIZE
from msidbg.model.kernel import devlock, pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.sw import sw
from msidbg.sim.program import program

_EFAULT = 14

ETIMEDOUT, EIO, EPERM, EINVAL, ENOENT, EBUSY = 110, 5, 1, 22, 2, 16

#: scenario ``do:`` -> root program
ACTION_PROGRAMS: dict[str, str] = {}


def action(do: str, name: str, doc: str, source: Any) -> Any:
    ACTION_PROGRAMS[do] = name
    return program(name, doc, source=source)


probe = action("probe", "driver_probe",
               "pci_enable_device, pci_set_master, pci_alloc_irq_vectors, then request_irq for each vector",
               (S.NVME, S.NVME_SHARED, S.NVME_RANGE, S.NVME_QUEUE_CPUS, S.PCI_ENABLE, S.ALLOC_VECTORS, S.SETUP_IRQ, S.DEVRES,
                S.DEVICE_LOCK, S.MUTEX, S.BOUND_BUSY, S.BOUND_SKIP))

#: drivers/nvme/host/pci.c nvme_setup_irqs: one admin (pre) vector, the rest spread by the core
NVME_AFFD = {"pre": 1, "post": 0, "calc_sets": True}
#: before 22b5560195bd: PCI_IRQ_AFFINITY without a descriptor -- the PCI core's default one (no pre or
#: post vectors), every vector spread (nvme_irq_layout: shared-admin)
NVME_SHARED_AFFD = {"pre": 0, "post": 0, "calc_sets": False}


@probe.step
def lock(k: Any, loc: dict[str, Any]) -> None:
    """device_driver_attach: ``__device_driver_lock`` -- the device's device_lock, a sleeping mutex
    (``kernel/devlock.py``): free, it is taken at once (no event); held by another task's probe or
    remove, this task sleeps until that one returns."""
    devlock.acquire(k, loc["dev"])


@probe.step
def bound(k: Any, loc: dict[str, Any]) -> None:
    """Under the lock, a device that already has a driver (``dev->driver``: a probe that succeeded
    and no remove since) is not probed again (``kernel.bound_probe``): from 204db60c8357 (5.14)
    __driver_probe_device returns -EBUSY before really_probe ("if (dev->driver) return -EBUSY"),
    which device_driver_attach returns; before it device_driver_attach (and __driver_attach) skipped
    driver_probe_device under the lock ("if (!dev->p->dead && !dev->driver)") and returned 0. The
    driver's probe does not run and the device stays bound as it was: the error is the caller's (the
    bind's writer), not the device's -- no ``failed:`` status, no ``probe-failed``."""
    if not pci.pdev(k, loc["dev"]).get("bound"):
        return
    P = k.eng.prov
    P.dep(PC.D_BOUND, _bound_key(k, loc["dev"]))    # provenance: the bind the error (or the skip) comes from
    if sw(k, "bound_probe") == "EBUSY":
        k.note(f"{loc['dev']} already has a driver: __driver_probe_device returns -EBUSY", -EBUSY, loc["dev"])
        loc["busy"] = True
        k.ret(-EBUSY)
        return
    k.note(f"{loc['dev']} already has a driver: device_driver_attach skips driver_probe_device and returns 0",
           0, loc["dev"])
    P.write(PC.DRIVER_READ, _bound_key(k, loc["dev"]), 1,
            note=f"device_driver_attach: {loc['dev']} already has a driver: driver_probe_device skipped, returns 0")
    k.ret(0)


def _bound_key(k: Any, dev: str) -> int:
    return PK.key(PK.BOUND, k.eng.prov.dev(dev))


def _set_bound(k: Any, dev: str, bound: bool, note: str) -> None:
    """dev->driver set or cleared (``kernel.pci.D.bound``), and its provenance node."""
    pci.pdev(k, dev)["bound"] = bound
    P = k.eng.prov
    if P.on and k.eng.fresh:
        P.write(PC.DRIVER, _bound_key(k, dev), int(bound), note=note)


@probe.step
def enable(k: Any, loc: dict[str, Any]) -> None:
    """pci_enable_device (pcim_enable_device; nvme_pci_enable's pci_enable_device_mem): every PCI
    driver enables its device before it touches it."""
    k.call("pci_enable_device", dev=loc["dev"])


@probe.step
def master(k: Any, loc: dict[str, Any]) -> None:
    """pci_set_master, as every driver of a device that writes memory (DMA, MSI) calls it -- unless
    the scenario's driver forgets it (``set_master: false``)."""
    if loc["ret"] < 0:
        # every driver's probe returns pci_enable_device()'s error at once (e1000e_probe, nvme_pci_enable:
        # 'if (err) return err'); its failure path undid the enable (enable_cnt back to 0), nothing to
        # release (redteam20: the model went on with the probe)
        loc["err"] = loc["ret"]
        k.goto("unwound")
        return
    if loc.get("set_master", True):
        k.call("pci_set_master", dev=loc["dev"])


@probe.step
def alloc(k: Any, loc: dict[str, Any]) -> None:
    """A ``kind: nvme`` device asks the way its release's driver does (``kernel.nvme_irq_layout``),
    ``vectors`` being 1 + the controller's I/O queues:
    pre-vector (22b5560195bd) -- nvme_setup_irqs' pci_alloc_irq_vectors_affinity(1, 1 + I/O queues,
    PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY, {.pre_vectors = 1}), at most one I/O queue per possible CPU
    (nvme_max_io_queues); shared-admin (dca51e7892fa) -- nvme_setup_io_queues'
    pci_alloc_irq_vectors(1, I/O queues, PCI_IRQ_ALL_TYPES | PCI_IRQ_AFFINITY), at most one per
    CPU it counts (``kernel.nvme_queue_cpus``: online 4.7..4.12, present from 4.13): no admin-only
    vector, every vector managed, vector 0 shared by the admin queue and I/O queue 1; msix-range -- pci_enable_msix_range(1, I/O queues) (MSI
    fallback), the same count without affinity. ``vectors: 1`` before 22b5560195bd is
    nvme_pci_enable's admin-only pci_alloc_irq_vectors(1, 1, PCI_IRQ_ALL_TYPES) (pci_enable_msix(1)
    earlier): one ordinary irq. Other devices call plain pci_alloc_irq_vectors(1, vectors)."""
    if k.w.devices[loc["dev"]]["kind"] != "nvme":
        k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=loc["vectors"], mode=loc["mode"])
        return
    layout = sw(k, "nvme_irq_layout")
    ncpus, per = _queue_cpus(k)
    if layout == "pre-vector":
        top = min(loc["vectors"], 1 + ncpus)
        _chose(k, loc, top, "nvme_setup_irqs asks pci_alloc_irq_vectors_affinity for 1..{top} vectors, vector 0 "
                            "the admin queue's own (pre_vectors = 1), the rest spread (at most one I/O queue per "
                            f"{per} CPU)", layout)
        k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=top, mode=loc["mode"], affd=dict(NVME_AFFD))
        return
    if loc["vectors"] <= 1:
        _chose(k, loc, 1, "nvme_pci_enable asks for {top} admin-only vector (no affinity)", layout)
        k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=1, mode=loc["mode"])
        return
    top = max(1, min(loc["vectors"] - 1, ncpus))
    if layout == "shared-admin":
        _chose(k, loc, top, "nvme_setup_io_queues asks pci_alloc_irq_vectors for 1..{top} vectors (one per "
                            f"{per} CPU), every one spread, vector 0 shared by the admin queue and I/O queue 1", layout)
        k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=top, mode=loc["mode"],
               affd=dict(NVME_SHARED_AFFD))
    else:
        _chose(k, loc, top, "nvme_setup_io_queues asks pci_enable_msix_range for 1..{top} vectors (one per "
                            f"{per} CPU), no affinity", layout)
        k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=top, mode=loc["mode"])


def _queue_cpus(k: Any) -> tuple[int, str]:
    """The CPUs nvme_setup_io_queues counts for its I/O queues (``kernel.nvme_queue_cpus``, reading
    ``kernel.managed.nvme-queue-cpus``): num_online_cpus() from 2800b8e7d9df (4.7) until 4.13's
    num_present_cpus(); the possible CPUs before 4.7 and from 4.14 (nvme_max_io_queues later). Every
    modelled CPU is present and possible: ``present`` counts them all, offline ones included."""
    if sw(k, "nvme_queue_cpus") == "online":
        from msidbg.model.kernel.irq import online

        up = online(k)
        P = k.eng.prov
        for c in k.w.cpus:      # provenance: the offline CPUs num_online_cpus() leaves out (whyheld9)
            if c["id"] not in up:
                P.dep(PC.D_CAUSE, PK.key(PK.ONLINE, c["id"]))
        return len(up), "online"
    # 4.13's shared-admin driver counts the present CPUs; msix-range before 4.7, 4.14's and
    # nvme_max_io_queues the possible ones (the same CPUs here)
    return len(k.w.cpus), ("present" if sw(k, "nvme_irq_layout") == "shared-admin" else "possible")


def _chose(k: Any, loc: dict[str, Any], top: int, what: str, layout: str) -> None:
    """Provenance: the nvme driver's vector count and layout (``kernel.nvme_irq_layout``), which no event
    shows -- the allocation's events differ only later, in its loop -- recorded in this step so that
    ``diff`` of two runs that differ in it parts here."""
    P = k.eng.prov
    action = k.ctx.get("action", -1)
    if not k.eng.fresh or not P.on or action is None or action < 0:
        return
    r = P.write(PC.DRIVER_VECTORS, PK.key(PK.ACTION, action), top,
                note=f"{loc['dev']}: " + what.format(top=top) + f" (kernel.nvme_irq_layout: {layout})")
    if r >= 0:      # (not a state write: the probe's bind links it, ``request_next``)
        P.chose[action] = r


@probe.step
def got_vectors(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] < 0:
        loc["err"] = loc["ret"]
        k.goto("unwind_disable")
        return
    loc["n"], loc["i"] = loc["ret"], 0


@probe.step
def request_next(k: Any, loc: dict[str, Any]) -> None:
    if loc["i"] >= loc["n"]:
        P = k.eng.prov
        action = k.ctx.get("action", -1)
        if action is not None and action >= 0 and P.on and k.eng.fresh:
            # provenance: the vector count the driver chose (an nvme driver's ``_chose``), where one was recorded
            w = P.chose.pop(action, -1)
            if w >= 0:
                P.dep_writer(PC.D_DRIVER_VECTORS, PK.key(PK.ACTION, action), w)
        _set_bound(k, loc["dev"], True,      # really_probe -> driver_bound: dev->driver stays set
                   f"really_probe -> driver_bound: {loc['dev']}'s probe returned 0, dev->driver is set")
        k.ret(0)
        return
    k.call("driver_request_irq", dev=loc["dev"], vector=loc["i"], affinity=loc.get("affinity"))
    loc["i"] += 1


@probe.step
def requested(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] < 0:
        loc["err"], loc["i"] = loc["ret"], loc["i"] - 1
        k.goto("unwind")
        return
    k.goto("request_next")


@probe.step
def unwind(k: Any, loc: dict[str, Any]) -> None:
    """A failed probe releases what it acquired, last first: devres (really_probe ->
    devres_release_all) frees the devm_request_irq()s, then pcim_msi_release's
    pci_free_irq_vectors (a pcim-enabled device; unmanaged drivers unwind the same by hand)."""
    if loc["i"] > 0:
        loc["i"] -= 1
        k.call_then("unwind", "free_irq", dev=loc["dev"], index=loc["i"])
        return
    k.call("pci_free_irq_vectors", dev=loc["dev"])


@probe.step
def unwind_disable(k: Any, loc: dict[str, Any]) -> None:
    """... and last the enable (pcim_release / the driver's own error path: pci_disable_device)."""
    k.call("pci_disable_device", dev=loc["dev"])


@probe.step
def unwound(k: Any, loc: dict[str, Any]) -> None:
    """really_probe's failure path: devres_release_all (above), then 'dev->driver = NULL' (device_unbind_cleanup
    from 6.x): the device has no driver, as before the probe (the world's flag is unchanged; provenance records
    the write, which a later doorbell refused for want of vectors, or a remove, links)."""
    P = k.eng.prov
    if P.on and k.eng.fresh and not pci.pdev(k, loc["dev"]).get("bound"):
        from msidbg.model.cpu import errname
        P.write(PC.DRIVER, _bound_key(k, loc["dev"]), 0,
                note=f"really_probe: {loc['dev']}'s probe failed ({errname(loc['err'])}): its vectors released "
                "(devres_release_all), dev->driver = NULL")
    k.ret(loc["err"])


remove = action("remove", "driver_remove",
                "free_irq for each requested vector, free the vectors, then pci_disable_device",
                (S.FREE_IRQ, S.FREE_VECTORS, S.PCI_ENABLE, S.DEVICE_LOCK, S.MUTEX, S.RELEASE_UNBOUND))


@remove.step
def lock_remove(k: Any, loc: dict[str, Any]) -> None:
    """device_release_driver_internal: ``__device_driver_lock`` (``lock``): a remove waits for the
    device's probe, or another remove, to return."""
    devlock.acquire(k, loc["dev"])


@remove.step
def unbound(k: Any, loc: dict[str, Any]) -> None:
    """Under the lock, __device_release_driver runs the driver's remove only "if (drv)" (``dev->driver``):
    a device with no driver -- never probed, its probe failed (really_probe unwound it and cleared
    dev->driver), or already removed -- has nothing to release. No free_irq, no pci_free_irq_vectors,
    no pci_disable_device: whatever is allocated or enabled stays so. The remove returns 0 (the
    driver core's device_release_driver is void)."""
    if pci.pdev(k, loc["dev"]).get("bound"):
        return
    k.note(f"{loc['dev']} has no driver (dev->driver == NULL): __device_release_driver does nothing", 0, loc["dev"])
    P = k.eng.prov
    P.dep(PC.D_UNBOUND, _bound_key(k, loc["dev"]))
    P.write(PC.DRIVER_READ, _bound_key(k, loc["dev"]), 0,
            note=f"__device_release_driver: {loc['dev']} has no driver (dev->driver == NULL): nothing to release")
    k.ret(0)


@remove.step
def free_next(k: Any, loc: dict[str, Any]) -> None:
    descs = pci.pdev(k, loc["dev"])["descs"]
    irqs = k.w.irqs
    i = loc.get("i", 0)
    # an irq another CPU's pci_free_irq_vectors already freed (its descriptor not gone yet) has no action;
    # a shared INTx irq may have others' actions but not this device's (kernel/intx.py)
    while i < len(descs) and (descs[i]["irq"] not in irqs or not _holds(irqs[descs[i]["irq"]], loc["dev"], i)):
        i += 1
    if i >= len(descs):
        k.call("pci_free_irq_vectors", dev=loc["dev"])
        return
    loc["i"] = i + 1
    k.call_then("free_next", "free_irq", dev=loc["dev"], index=i)


def _holds(desc: Any, dev: str, index: int) -> bool:
    """Does the device's vector ``index`` have an action on this irq (a shared INTx irq lists them)?"""
    acts = desc.get("actions")
    return [dev, index] in acts if acts is not None else desc["action"] is not None


@remove.step
def disable_device(k: Any, loc: dict[str, Any]) -> None:
    """pci_disable_device (the driver's remove, or pcim_release): Bus Master Enable off."""
    loc["freed"] = loc["ret"]
    k.call("pci_disable_device", dev=loc["dev"])


@remove.step
def removed(k: Any, loc: dict[str, Any]) -> None:
    """__device_release_driver -> device_unbind_cleanup: dev->driver = NULL (the device can be probed
    again)."""
    _set_bound(k, loc["dev"], False, f"device_unbind_cleanup: {loc['dev']}'s dev->driver = NULL")
    k.ret(loc["freed"])


def _wrapper(do: str, name: str, target: str, doc: str, source: Any, extra: dict[str, Any] | None = None,
             **rename: str) -> None:
    """An action that just calls one kernel program and returns its result."""
    prog = action(do, name, doc, source)

    def call(k: Any, loc: dict[str, Any]) -> None:
        args = {rename.get(key, key): v for key, v in loc.items() if key != "action"}
        k.call(target, **(extra or {}), **args)

    def done(k: Any, loc: dict[str, Any]) -> None:
        k.ret(loc["ret"])

    call.__name__, done.__name__ = "call", "done"
    prog.step(call)
    prog.step(done)


alloc_only = action("alloc_vectors", "driver_alloc_vectors",
                    "pci_alloc_irq_vectors (after pci_enable_device and pci_set_master if no action enabled the "
                    "device yet)", (S.PCI_ENABLE, S.ALLOC_VECTORS))


@alloc_only.step
def enable_first(k: Any, loc: dict[str, Any]) -> None:
    """A driver calls pci_alloc_irq_vectors on a device it enabled in its probe: if no earlier action
    enabled this one, the driver's pci_enable_device and pci_set_master come first."""
    if pci.pdev(k, loc["dev"])["enable_cnt"] == 0:
        loc["first"] = True
        enable(k, loc)


@alloc_only.step
def master_first(k: Any, loc: dict[str, Any]) -> None:
    if loc.get("first"):
        if loc["ret"] < 0:     # the enable failed: the driver returns its error (redteam20)
            k.ret(loc["ret"])
            return
        master(k, loc)


@alloc_only.step
def alloc_call(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_alloc_irq_vectors", dev=loc["dev"], min=1, max=loc["vectors"], mode=loc["mode"])


@alloc_only.step
def alloc_done(k: Any, loc: dict[str, Any]) -> None:
    """pci_alloc_irq_vectors has no caller but a driver of the device (in its probe, or later, as a
    network driver's ndo_open): vectors it got mean the device has that driver (``dev->driver`` set when
    the probe that allocated them returned 0), so a later ``remove`` releases them
    (__device_release_driver -> the driver's remove). A failed allocation leaves the driver state as it
    was."""
    if loc["ret"] > 0:
        _set_bound(k, loc["dev"], True, f"pci_alloc_irq_vectors got {loc['ret']} vector(s): {loc['dev']} has the "
                   "driver that asked for them")
    k.ret(loc["ret"])


free_only = action("free_vectors", "driver_free_vectors", "pci_free_irq_vectors only", S.FREE_VECTORS)


def _free_call(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_free_irq_vectors", dev=loc["dev"])


def _free_done(k: Any, loc: dict[str, Any]) -> None:
    """pci_free_irq_vectors is pci_disable_msix and pci_disable_msi: the vectors go, dev->driver stays (the
    driver is still bound: a later ``remove`` runs its remove). Provenance: the vectors it left
    (``kernel.pci.D.descs``), what a doorbell refused for want of a queue links (leads21: it linked the bind)."""
    dev = loc["dev"]
    P = k.eng.prov
    if loc["ret"] == 0 and P.on and k.eng.fresh:
        P.write(PC.VECTORS_FREED, _descs_key(k, dev), set_up(k.w, dev),
                note=f"pci_free_irq_vectors: {dev}'s vectors released (set up now: {vectors_text(set_up(k.w, dev))}); "
                "dev->driver is untouched")
    k.ret(loc["ret"])


_free_call.__name__, _free_done.__name__ = "call", "done"     # (the steps' names, as _wrapper's)
free_only.step(_free_call)
free_only.step(_free_done)


def _descs_key(k: Any, dev: str) -> int:
    return PK.key(PK.DESCS, k.eng.prov.dev(dev))


def as_mask(cpus: int | list[int]) -> list[int]:
    """``affinity:`` / ``hint:`` as written: one CPU or a list of them."""
    return list(cpus) if isinstance(cpus, list) else [cpus]


request_one = action("request_irq", "driver_request_irq",
                     "irq_set_affinity (affinity:), request_irq, irq_set_affinity_hint (hint:)",
                     (S.SET_AFFINITY, S.SETUP_IRQ, S.HINT))


@request_one.step
def stored_affinity(k: Any, loc: dict[str, Any]) -> None:
    """``affinity:`` -- the driver's irq_set_affinity() before request_irq() (its result is
    not checked, as drivers do not)."""
    if loc.get("affinity") is not None:
        k.call("irq_set_affinity", dev=loc["dev"], index=loc["vector"], mask=as_mask(loc["affinity"]))


@request_one.step
def request(k: Any, loc: dict[str, Any]) -> None:
    k.call("request_irq", dev=loc["dev"], index=loc["vector"])


@request_one.step
def hint(k: Any, loc: dict[str, Any]) -> None:
    """``hint:`` -- irq_set_affinity_hint() right after a successful request_irq()."""
    if loc["ret"] < 0:
        k.ret(loc["ret"])
        return
    if loc.get("hint") is not None:
        k.call("irq_set_affinity_hint", dev=loc["dev"], index=loc["vector"], mask=as_mask(loc["hint"]))
    else:
        k.ret(0)


@request_one.step
def request_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"] if loc["ret"] < 0 else 0)


_wrapper("free_irq", "driver_free_irq", "free_irq", "free one vector's irq", S.FREE_IRQ, vector="index")
_wrapper("cpu_offline", "cpu_offline", "cpu_down", "echo 0 > /sys/devices/system/cpu/cpuN/online", S.FIXUP_IRQS)
_wrapper("cpu_online", "cpu_online", "cpu_up", "echo 1 > /sys/devices/system/cpu/cpuN/online", S.RESTORE)

affinity = action("set_affinity", "write_irq_affinity", "echo CPU > /proc/irq/N/smp_affinity_list",
                  (S.PROC_IRQ, S.PROC_IRQ_OLD, S.PROC_IRQ_EPERM, S.PROC_IRQ_DIR, S.PROC_IRQ_REJECT))


@affinity.step
def write_affinity(k: Any, loc: dict[str, Any]) -> None:
    """/proc/irq/N/smp_affinity exists once __setup_irq() ran register_irq_proc() for the irq
    (request_irq; the boot-time init_irq_proc() only covers irqs that existed then) until the
    descriptor is freed (free_desc -> unregister_irq_proc): before request_irq, or with no irq
    allocated, the open fails with -ENOENT. Then write_irq_affinity: a managed irq's affinity
    cannot be changed from user space (irq_can_set_affinity_usr: -EIO, -EPERM from eb29369fa543,
    ``affinity_usr_errno``); a mask without an online CPU is -EINVAL from cba6437a1854
    (``proc_offline_mask``), before which irq_select_affinity_usr() re-ran irq_setup_affinity()
    (desc->lock held: the stored or default affinity, applied at once even to an irq that moves
    only at its next interrupt) and the write returned the count unless that failed; else
    irq_set_affinity()."""
    from msidbg.model.kernel.irq import irq_of, online

    desc = irq_of(k, loc["dev"], loc["vector"])
    if desc is None or not desc["proc"]:
        what = "no irq" if desc is None else f"irq {desc['irq']} was never requested"
        k.note(f"{what}: /proc/irq/N/smp_affinity does not exist (register_irq_proc runs in __setup_irq)",
               -ENOENT, loc["dev"])
        k.ret(-ENOENT)
        return
    if desc["is_managed"]:
        err = EPERM if sw(k, "affinity_usr_errno") == "EPERM" else EIO
        k.note("managed irq: affinity not writable from user space", -err, loc["dev"])
        k.ret(-err)
        return
    if loc["cpu"] not in online(k):
        if sw(k, "proc_offline_mask") == "select":
            k.note(f"CPU{loc['cpu']} is offline: irq_select_affinity_usr -> irq_setup_affinity", desc.irq,
                   loc["dev"])
            loc["select"] = True
            k.irq_save(loc)
            k.call("irq_setup_affinity", irq=desc.irq)
            return
        k.note(f"CPU{loc['cpu']} is offline: the mask has no online CPU", -EINVAL, loc["dev"])
        P = k.eng.prov      # provenance: the error links that CPU's offline
        if loc["cpu"] == vec.dying_cpu(k.w):
            # (dyingdrain) out of cpu_online_mask since its take_cpu_down, not yet marked offline: the
            # offline's request (the other CPUs run again from MULTI_STOP_EXIT)
            act = k.w.cpus[k.w.kernel["hotplug"]].proc.action
            if act is not None and act >= 0:
                P.dep(PC.D_CAUSE, PK.key(PK.ACTION, act))
        elif P.writer(PK.key(PK.ONLINE, loc["cpu"])) >= 0:
            P.dep(PC.D_CAUSE, PK.key(PK.ONLINE, loc["cpu"]))
        k.ret(-EINVAL)
        return
    k.call("irq_set_affinity", dev=loc["dev"], index=loc["vector"], mask=[loc["cpu"]])


@affinity.step
def written(k: Any, loc: dict[str, Any]) -> None:
    """The writer gets irq_set_affinity()'s error only from 4.15 (``proc_affinity_result``);
    before, the write returned the byte count whatever it did. irq_select_affinity_usr()'s
    failure was -EINVAL in every release that had it."""
    ret = loc["ret"]
    if loc.get("select"):
        k.irq_restore(loc)
        k.ret(-EINVAL if ret < 0 else 0)
        return
    if ret < 0 and not sw(k, "proc_affinity_result"):
        k.note(f"irq_set_affinity returned {ret}; write_irq_affinity returns the count all the same", 0,
               loc["dev"])
        ret = 0
    k.ret(ret)


default_aff = action("default_affinity", "write_default_affinity",
                     "echo MASK > /proc/irq/default_smp_affinity", S.PROC_IRQ)


@default_aff.step
def write_default(k: Any, loc: dict[str, Any]) -> None:
    """irq_default_affinity changes; irqs already allocated keep the copy they took (a later
    irq_setup_affinity of an irq without a stored affinity uses the new one)."""
    mask = sorted(set(loc["cpus"]))
    k.kernel["default_affinity"] = mask
    k.note(f"irq_default_affinity = {{{','.join(str(c) for c in mask)}}}", len(mask))
    k.ret(0)


doorbell = action("doorbell", "driver_doorbell", "ring the device, wait for its interrupt or time out", S.CONTRACT)


ENXIO = 6


def set_up(w: dict[str, Any], dev: str) -> int:
    """How many vectors ``dev``'s driver has set up now (pci_alloc_irq_vectors' descriptors)."""
    return len(w["kernel"]["pci"][dev]["descs"])


def vectors_text(n: int) -> str:
    return "none" if not n else f"{n}: vector 0" if n == 1 else f"{n}: vectors 0-{n - 1}"


@doorbell.step
def ring(k: Any, loc: dict[str, Any]) -> None:
    """An MMIO write to the device's doorbell; the device will signal ``vector`` once. A driver
    rings only a queue it set up: a ``vector`` beyond the vectors it has now (a probe that got
    fewer than the scenario names, a removed device) is a queue that does not exist, and the
    action fails at once with -ENXIO, the device untouched (a ``fire`` is how a device signals an
    entry nobody programmed)."""
    dev, idx = loc["dev"], loc["vector"]
    n = set_up(k.w, dev)
    if idx >= n:
        # provenance: what last changed the vector count -- the driver state (its probe, a failed probe's unwind, a
        # remove, alloc_vectors) or a free_vectors after it, which leaves dev->driver set (``kernel.pci.D.descs``)
        P = k.eng.prov
        bound, descs = _bound_key(k, dev), _descs_key(k, dev)
        P.dep(PC.D_DRIVER_VECTORS, descs if P.writer(descs) > P.writer(bound) else bound)
        k.note(f"no queue for vector {idx}: the driver has set up {vectors_text(n)}; nothing rung", -ENXIO, dev)
        k.ret(-ENXIO)
        return
    target = k.w.acct[dev]["handled"][idx] + 1
    token = k.w.seq
    k.eng.schedule(k.now + k.w.costs["device_response"], "fire", dev, idx, 1, 0)
    k.eng.schedule(k.now + loc["timeout_ns"], "timeout", k.cpu_id, token)
    k.w.kernel["waiters"].setdefault(f"{dev}#{idx}", []).append(k.cpu_id)
    k.ev(K.DOORBELL, dev, idx, cost="mmio_write")
    k.wait({"dev": dev, "index": idx, "target": target, "token": token})


@doorbell.step
def woken(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


raw = action("write", "raw_write", "a raw config space or MSI-X table write", S.CONTRACT)


@raw.step
def raw_write(k: Any, loc: dict[str, Any]) -> None:
    if not pci.direct(k, loc["dev"]):
        _routed(k, loc)
        return
    if loc["target"] == "config":
        device.cfg_write(k.eng, k.cpu_id, loc["dev"], loc["offset"], loc["value"], loc["size"])
        k.touched("cfg_write")
        if k.w.devices[loc["dev"]]["msi"] is not None:
            from msidbg.model.acct import intend

            intend(k.w.acct[loc["dev"]]["msi_intended"], device.msi_programmed(k.w.devices[loc["dev"]]))
    else:
        device.table_write_raw(k.eng, k.cpu_id, loc["dev"], loc["offset"], loc["value"], loc["size"])
        k.touched("mmio_write")
        _intend_raw(k, loc)
    k.ret(0)


def _routed(k: Any, loc: dict[str, Any]) -> None:
    """A passed-through device on Xen: the guest's access goes where the kernel's own do -- on
    xen-hvm a config write traps into QEMU (xen_pt_pci_write_config) and a table write into Xen's
    vMSI-X intercept or QEMU (pci_msix_write); on xen-pv a config write goes through pcifront to
    pciback, and a table store is a page fault: Xen keeps the table's pages read-only in every PV
    guest's mappings (mmio_ro_ranges), and pv_ro_page_fault emulates such a store (mmio_ro_emulated_write,
    which discards it) only for the hardware domain -- a domU's #PF is reflected to it, and a store in
    kernel mode has no fixup: the task oopses (reading ``xen.pv.msix-table-fault``; kernel26: msidbg
    dropped the store). A table write narrower than 4 bytes on xen-hvm reaches QEMU (msixtbl_write
    handles only 4- and 8-byte accesses) and is dropped there: pci_msix_ops' valid.min_access_size is
    4. The vCPU waits for QEMU in ``raw_written``."""
    dev, offset, value, size = loc["dev"], loc["offset"], loc["value"], loc["size"]
    if loc["target"] != "config" and k.w.platform["kind"] == "xen-pv":
        k.note("BUG: unable to handle page fault (#PF: supervisor write access in kernel mode, permissions "
               f"violation) at MSI-X table offset {offset:#x}: the table is read-only to a Xen PV domU and Xen "
               "emulates such a store only for the hardware domain; the task oopses (msidbg ends the write here)",
               -_EFAULT, dev)
        k.ret(-_EFAULT)
        return
    k.goto("raw_written")
    if loc["target"] == "config":
        pci.cfg_write(k, dev, offset, value, size)
        return
    entry, within = divmod(offset, ENTRY_SIZE)
    reg = ENTRY_REGS[within // 4]
    if size < 4:
        pci.msix_write_narrow(k, dev, entry, reg, value, size)
        return
    pci.msix_write(k, dev, entry, reg, value)


@raw.step
def raw_written(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


def _intend_raw(k: Any, loc: dict[str, Any]) -> None:
    """A raw table write counts as programming the entry's resulting message as a whole."""
    from msidbg.model.acct import intend

    entry = loc["offset"] // 16
    e = k.w.devices[loc["dev"]]["msix"]["table"][entry]
    intend(k.w.acct[loc["dev"]]["intended"][entry], [e["addr_lo"], e["addr_hi"], e["data"]])
