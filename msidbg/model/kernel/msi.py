"""The PCI/MSI core (drivers/pci/msi/): allocating vectors, MSI, writing messages, masking.

``pci_alloc_irq_vectors`` tries MSI-X, then MSI; with an affinity descriptor (NVMe's
``pci_alloc_irq_vectors_affinity(PCI_IRQ_AFFINITY)``) the vectors past the pre vectors get
managed masks from ``irq_create_affinity_masks`` (``affinity.py``). ``msix_capability_init``
lives in ``msix.py``. ``msi_capability_init`` masks every vector the device is capable of
(the multi_cap bits), ``pci_msi_shutdown`` unmasks them again. ``pci_write_msi_msg`` is
``__pci_write_msi_msg``: with ``msix_masked_update`` (da181dc974ad) an unmasked MSI-X entry is
masked around the address/data writes.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import acct
from msidbg.model import kinds as K
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.cite import Source, reading
from msidbg.model.hw import (
    ENTRY_MASKBIT,
    MSI_64BIT,
    MSI_CTRL,
    MSI_ENABLE,
    MSI_PVM,
    MSIX_CTRL,
    MSIX_ENABLE,
    msi_layout,
)
from msidbg.model.kernel import affinity, pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel import vector as vec
from msidbg.model.kernel.sw import sw
from msidbg.model.provkernel import desc_dirty, irq_dirty, rsvd_warning
from msidbg.sim.program import program
from msidbg.sim.rec import DescRec

EINVAL, ENOSPC, EBUSY, EFAULT, EEXIST = 22, 28, 16, 14, 17

#: platform route -> program that sets up the irqs of a device (arch_setup_msi_irqs)
ARCH_SETUP: dict[str, str] = {}
#: platform route -> program run by free_msi_irqs before the irqs go (arch teardown)
ARCH_TEARDOWN: dict[str, str] = {}
#: platform route -> compose(k, desc) -> message, replacing the x86 vector domain's
COMPOSE: dict[str, Any] = {}


def hwdev(k: Any, dev: str) -> dict[str, Any]:
    return k.w.devices[dev]


def reg(k: Any, dev: str, name: str) -> int:
    """A register value as the guest would read it, without a guest access: what the kernel cached
    from an earlier read (msi_attrib.can_mask, multi_cap). The guest's own reads are ``ctrl_read``."""
    acc = pci.ACCESSORS.get(k.w.platform["route"])
    if acc is not None and acc.interposes(k, dev):
        return int(acc.cfg_read(k, dev, name))
    d = hwdev(k, dev)
    return int(d["msix"]["ctrl"] if name == "msix_ctrl" else d["msi"]["ctrl"])


def ctrl_read(k: Any, dev: str, name: str) -> int:
    """The guest reads Message Control (pci_read_config_word): on xen-hvm passthrough a trapped read
    QEMU serves in turn (``pci.cfg_read``: the step runs again with the value)."""
    return pci.cfg_read(k, dev, name)


def new_irq_desc(k: Any, dev: str | None, index: int, chip: str, aff: list[Any] | None = None) -> Any:
    """A new irq number and descriptor; ``aff`` = ``[mask, is_managed]`` from the MSI descriptor."""
    irq = k.w.kernel["next_irq"]
    k.w.kernel["next_irq"] = irq + 1
    desc = new_desc(k.w, irq, dev, index, chip, None if aff is None else aff[0], bool(aff and aff[1]))
    k.w.irqs[irq] = desc
    irq_dirty(k, irq)   # provenance: a new irq's vector / CPU
    return desc


def new_desc(w: Any, irq: int, dev: str | None, index: int, chip: str,
             mask: list[int] | None = None, managed: bool = False) -> Any:
    """An irq descriptor. Its affinity is the mask the MSI descriptor brought (managed or a
    pre/post vector's), else a copy of irq_default_affinity (desc_smp_init)."""
    if mask is None:
        mask = affinity.default_affinity(w)
    return DescRec.of({     # a record (sim/rec.py): the hot path reads its fields as slots
        "irq": irq, "chip": chip, "dev": dev, "index": index, "action": None, "count": 0,
        "vector": 0, "cpu": 0, "effective": 0, "prev_vector": 0, "prev_cpu": 0,
        "move_in_progress": False, "cleanup_pending": False,
        "can_reserve": False, "has_reserved": False, "resv_mode": False,
        "is_managed": managed, "managed_shutdown": managed,
        "activated": False, "started": False, "masked": True,
        "affinity": list(mask), "affinity_set": False, "hint": None,
        "move_pending": False, "pending_mask": [], "msg": [0, 0, 0],
        "proc": False,      # /proc/irq/N exists: register_irq_proc ran (__setup_irq)
        # handle_edge_irq's state: the CPU that last ran the action (IRQD_IRQ_INPROGRESS while that
        # CPU's ``handling`` says so), the CPU holding desc->lock in the flow handler (-1: none),
        # IRQS_PENDING and the signals of the edges it stands for
        "inprogress": -1, "lock": -1, "pending": False, "pending_src": [],
        # disable_irq / enable_irq (kernel/irq/manage.c): the disable depth (1 until irq_startup, as
        # desc_set_defaults leaves it), IRQD_IRQ_DISABLED, IRQ_DISABLE_UNLAZY, and IRQS_REPLAY as the
        # ``count`` the replayed interrupt finds (-1: clear; see disable.replaying)
        "depth": 1, "disabled": True, "unlazy": False, "replay": -1,
    })


def cache_ctrl(k: Any, dev: str, entry: int, value: int, note: str, update: bool = False) -> None:
    """Provenance (why31): a write of an MSI-X descriptor's cached Vector Control (``kernel.pci.D.descs[i].msix_ctrl``:
    msix_ctrl, entry->masked before 5.15), which __pci_restore_msix_state writes back (``pm.msix_entries``)."""
    P = k.eng.prov
    if P.on and k.eng.fresh:
        # a node beside the step's own: the dependencies noted for the step's next node stay for it
        pend, pev, last = P._pend, P._pend_ev, P.last_node
        P._pend = []
        key = PK.key(PK.KCTRL, PK.dev_entry(P.dev(dev), entry))
        if update and value & ~ENTRY_MASKBIT:
            # a mask / unmask of the cached word keeps its other bits: the write that put them there
            w = P.bit_writer(key, ~ENTRY_MASKBIT & 0xFFFFFFFF)
            if w >= 0:
                P.dep_writer(PC.D_CACHED_CTRL, key, w)
        P.write(PC.KERNEL, key, value, note=note)
        P._pend, P._pend_ev, P.last_node = pend, pev, last


def new_pdesc(index: int, msix_ctrl: int, masks: list[Any] | None) -> dict[str, Any]:
    """A ``struct msi_desc`` of the PCI layer: entry, irq, cached Vector Control, and the
    affinity descriptor ``irq_create_affinity_masks`` gave it (``[mask, is_managed]``)."""
    aff = masks[index] if masks is not None and index < len(masks) else None
    return {"index": index, "irq": 0, "msix_ctrl": msix_ctrl, "masked": 0, "affinity": aff}


def compose(k: Any, desc: Any) -> list[int]:
    """irq_chip_compose_msi_msg: the x86 vector domain's, or the platform's (remapping)."""
    hook = COMPOSE.get(k.w.platform["route"])
    if hook is not None:
        return list(hook(k, desc))
    return vec.desc_msg(k.w, desc)


# --- pci_alloc_irq_vectors ------------------------------------------------------------------
alloc_vectors = program("pci_alloc_irq_vectors", "pci_alloc_irq_vectors_affinity: try MSI-X, then MSI, per the flags", source=S.ALLOC_VECTORS)


#: the scenario's ``mode`` -> pci_alloc_irq_vectors' flags (MSI-X, MSI, INTx): ``any`` is PCI_IRQ_MSIX |
#: PCI_IRQ_MSI, ``all`` PCI_IRQ_ALL_TYPES, ``intx`` PCI_IRQ_INTX (the same bit as PCI_IRQ_LEGACY, which api.c tests through 6.9.0)
MODE_FLAGS = {"msix": (True, False, False), "msi": (False, True, False), "any": (True, True, False),
              "intx": (False, False, True), "all": (True, True, True)}


@alloc_vectors.step
def try_msix(k: Any, loc: dict[str, Any]) -> None:
    """``affd`` (optional): the PCI_IRQ_AFFINITY descriptor, ``{"pre", "post", "calc_sets"}``."""
    loc["err"] = -ENOSPC
    if MODE_FLAGS[loc["mode"]][0]:
        k.call("pci_enable_msix_range", dev=loc["dev"], min=loc["min"], max=loc["max"], affd=loc.get("affd"))


@alloc_vectors.step
def after_msix(k: Any, loc: dict[str, Any]) -> None:
    msix, msi_, _ = MODE_FLAGS[loc["mode"]]
    if msix:
        if loc["ret"] > 0:
            k.ret(loc["ret"])
            return
        loc["err"] = loc["ret"]
    if msi_:
        k.call("pci_enable_msi_range", dev=loc["dev"], min=loc["min"], max=loc["max"], affd=loc.get("affd"))
    else:
        loc["ret"] = loc["err"]


@alloc_vectors.step
def after_msi(k: Any, loc: dict[str, Any]) -> None:
    if loc["ret"] > 0:
        k.ret(loc["ret"])
        return
    err = loc["ret"] or loc["err"]
    if MODE_FLAGS[loc["mode"]][2]:      # PCI_IRQ_INTX: the pin (kernel/intx.py)
        k.call("pci_alloc_irq_vectors_intx", dev=loc["dev"], min=loc["min"], err=err)
        return
    k.ret(err)


@alloc_vectors.step
def after_intx(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


def _refuse_enable(k: Any, p: dict[str, Any], dev: str) -> bool:
    """-EINVAL when MSI/MSI-X is on, or descriptors survive a teardown that failed.

    Before 5.17 ``free_msi_irqs`` BUG()s on an irq that still has an action (``kernel.free_msi_busy``:
    bug); the model then keeps the descriptors as the oops leaves them, so a later enable must not
    build new ones over irqs that still exist (``stale_descs``: not the descriptors of another CPU's
    enable still running -- before 5.17 those share dev->msi_list with this one's, kernel33).
    """
    if p["msix_enabled"] or p["msi_enabled"]:
        why = "MSI or MSI-X already enabled"
    elif stale_descs(k, p, dev):
        why = "MSI descriptors still allocated (an earlier teardown failed)"
    else:
        return False
    k.note(why, -EINVAL, dev)
    _enabling_dep(k, p)
    P = k.eng.prov
    if p["msix_enabled"] and P.left_on:
        r = P.left_on.get(P.dev(dev), -1)
        if r >= 0:      # (why33) the disable that stopped before clearing the flag
            P.dep_writer(PC.D_LEFT_ENABLED, P.key(r), r)
    k.ret(-EINVAL)
    return True


def msix_flag_written(k: Any, dev: str) -> None:
    """Provenance (why33): dev->msix_enabled written again -- what a disable that stopped left is no longer the flag's
    state (``Prov.left_on``)."""
    P = k.eng.prov
    if P.left_on and P.on and k.eng.fresh:
        P.left_on.pop(P.dev(dev), None)


def _enabling_dep(k: Any, p: dict[str, Any]) -> None:
    """Provenance of a refused enable (why30, heldout_why15 e01): the action whose enable or disable of the device's
    MSI state runs on another CPU (the descriptors' lock it holds, and the msix_enabled / msi_enabled it has set --
    5.17's msix_capability_init sets the flag at its start, c7ecb95ca6a8). The error linked nothing but its own
    action."""
    holder = p["lock"]
    if holder in (-1, k.cpu_id) or not 0 <= holder < len(k.w.cpus):
        return
    action = k.w.cpus[holder].proc.get("action", -1)
    if action is not None and action >= 0:
        k.eng.prov.dep(PC.D_ENABLING, PK.key(PK.ACTION, action))


def lock_descs(k: Any, dev: str) -> bool:
    """msi_lock_descs: one enable or disable of a device's MSI state at a time.

    From 5512c5eaf533 (5.17, ``kernel.msi_descs_lock: mutex``) it is a mutex: a second CPU that finds it
    held sleeps until the holder unlocks (reading ``kernel.msi.lock-descs-waits``, kernel31). The model
    polls it as a wait (``Ctx.spin``: one note, then silent polls; the step runs again and False is
    returned), interrupts on, as hotplug's lock wait does. Before 5512c5eaf533 (``none``) there is no
    lock at all and this takes none (True, ``p["lock"]`` untouched): a concurrent enable runs unserialised
    against the first -- both build descriptors on dev->msi_list, both allocate irqs for every descriptor
    on it, the second populate_msi_sysfs fails and frees the list (reading ``kernel.msi.enable-unserialised``,
    kernel33; msidbg refused the second with -EBUSY before). False: the step waits (mutex).
    """
    p = pci.pdev(k, dev)
    if sw(k, "msi_descs_lock") != "mutex":
        return True
    if p["lock"] not in (-1, k.cpu_id):
        # (the holder may be a pm_resume's __pci_restore_msix_state, which takes the mutex too: kernel35)
        holder = k.w.cpus[p["lock"]].proc if 0 <= p["lock"] < len(k.w.cpus) else None
        doing = ("is restoring MSI-X on this device (__pci_restore_msix_state)"
                 if holder is not None and any(f["prog"] == "pci_restore_msix" for f in holder.stack)
                 else "is enabling or disabling MSI on this device")
        from msidbg.model.kernel.hotplug import sleeps  # (hotplug's imports lead back here)
        sleeps(k, True)     # (asleep on the mutex: kernel.preempt none's stopper runs now -- kernel34)
        k.spin(f"msi_lock_descs: CPU{p['lock']} {doing}: this task sleeps on the mutex", p["lock"], dev)
        return False
    p["lock"] = k.cpu_id
    if "_asleep" in k.frame["locals"]:      # (hotplug.ASLEEP: woken, it holds the mutex)
        del k.frame["locals"]["_asleep"]
    return True


#: the programs of an enable in progress (another CPU's running one shares dev->msi_list before 5.17)
ENABLE_PROGS = ("pci_enable_msix_range", "pci_enable_msi_range")


def enabling_elsewhere(k: Any, dev: str) -> bool:
    """Is another CPU inside an enable of ``dev`` (a frame of pci_enable_msi[x]_range for it)?"""
    for c in k.w.cpus:
        ctx = c.proc
        if ctx is k.ctx:
            continue
        for frame in ctx.stack:
            if frame["prog"] in ENABLE_PROGS and frame["locals"].get("dev") == dev:
                return True
    return False


def stale_descs(k: Any, p: dict[str, Any], dev: str) -> bool:
    """Descriptors left by a teardown msidbg stopped (free_msi_irqs' BUG, a refused teardown), which the model
    does not build new ones beside: some are stored, they are not an INTx 'allocation', and no other CPU's
    enable of the device is running (whose own descriptors they would be: before 5.17 two enables share
    dev->msi_list, reading ``kernel.msi.enable-unserialised``)."""
    return bool(p["descs"]) and p["mode"] != "intx" and not enabling_elsewhere(k, dev)


def unlock_descs(k: Any, dev: str) -> None:
    """msi_unlock_descs (a CPU that does not hold the lock leaves it as it is)."""
    p = pci.pdev(k, dev)
    if p["lock"] == k.cpu_id:
        p["lock"] = -1


def lock_in_setup(k: Any) -> bool:
    """Is msi_lock_descs taken inside the capability set-up (msix_setup_interrupts / msi_capability_init,
    after the Enable write and the early flag)? From 5512c5eaf533 (5.17) it is (``kernel.msi_descs_lock:
    mutex``), and the descriptors live in an xarray indexed by entry; before there is no lock at all and
    they are appended to dev->msi_list (``unserialised``)."""
    return sw(k, "msi_descs_lock") == "mutex"


def unserialised(k: Any) -> bool:
    """Before 5512c5eaf533 (``kernel.msi_descs_lock: none``): dev->msi_list, no lock, populate_msi_sysfs."""
    return sw(k, "msi_descs_lock") != "mutex"


def unlock_ret(k: Any, dev: str, value: int) -> None:
    """msi_unlock_descs, then return ``value``."""
    unlock_descs(k, dev)
    k.ret(value)


enable_msix = program("pci_enable_msix_range", "__pci_enable_msix_range", source=(S.ALLOC_VECTORS, S.RANGE_RETRY, S.AFFINITY_MASKS, S.AFFINITY_MASKS_ONLINE) + S.ENABLE_TWICE)


@enable_msix.step
def check_msix(k: Any, loc: dict[str, Any]) -> None:
    if not _begin_enable(k, loc, "msix"):
        return
    dev = loc["dev"]
    # pci_msix_vec_count: Table Size from Message Control (a trapped read on xen-hvm passthrough: QEMU
    # shows the device's size; the lock _begin_enable took is this CPU's, so a re-run takes it again)
    size = len(hwdev(k, dev)["msix"]["table"]) if pci.direct(k, dev) else (ctrl_read(k, dev, "msix_ctrl") & 0x7FF) + 1
    nvec = _affinity_nvec(k, loc, min(loc["max"], size))
    if nvec < loc["min"]:
        unlock_ret(k, loc["dev"], -ENOSPC)
        return
    loc["nvec"] = nvec


@enable_msix.step
def msix_try(k: Any, loc: dict[str, Any]) -> None:
    k.call("msix_capability_init", dev=loc["dev"], nvec=loc["nvec"], masks=_masks(k, loc, loc["nvec"]))


def _begin_enable(k: Any, loc: dict[str, Any], cap: str) -> bool:
    """What both enables start with: the capability (-EINVAL without it), the refusal of a device
    already enabled, then (before 5.17) the model's refusal of descriptors a failed teardown left. The
    flag tests come first in every release: __pci_enable_msix_range / __pci_enable_msi_range test
    msix_enabled / msi_enabled before msi_capability_init / msix_setup_interrupts take the lock
    (5512c5eaf533), so an enable during another CPU's disable, before its shutdown clears the flag, is
    -EINVAL, not a wait for the lock. Before 5512c5eaf533 nothing else guards the enable: a second CPU's
    that passes the tests before the first sets its flag (at the end of its set-up) runs beside it
    (reading kernel.msi.enable-unserialised). False: the program returned."""
    d, p = hwdev(k, loc["dev"]), pci.pdev(k, loc["dev"])
    if loc.get("_tested"):
        return True     # the step again after a trapped read (pci_msi_vec_count): the flag was tested before it
    if d[cap] is None:
        k.ret(-EINVAL)
        return False
    if p["msix_enabled"] or p["msi_enabled"]:
        if p["lock"] == k.cpu_id:
            p["lock"] = -1
        other = p["msi_enabled"] if cap == "msix" else p["msix_enabled"]
        if other or sw(k, "msi_enable_twice_einval"):
            return not _refuse_enable(k, p, loc["dev"])
        # before 4c1ef72e9b71 (kernel.msi_enable_twice_einval false): 'WARN_ON(!!dev->msix_enabled);' and the
        # set-up goes on against the enabled one's descriptors (reading kernel.msi.enable-twice); they are not a
        # failed teardown's (stale_descs)
        flag = "msix_enabled" if cap == "msix" else "msi_enabled"
        k.note(f"WARN_ON(!!dev->{flag}): {'MSI-X' if cap == 'msix' else 'MSI'} is enabled already; the enable goes "
               "on (no return before 4c1ef72e9b71)", 0, loc["dev"])
        if not pci.direct(k, loc["dev"]):
            loc["_tested"] = 1
        return True
    if lock_in_setup(k):
        # 5.17+: msi_lock_descs comes later, in msix_setup_interrupts (msix.setup_entries) / msi_capability_init
        # (msi_setup_desc), after the Enable write and the early flag; descriptors still stored there (another
        # enable's, or a teardown msidbg refused) are msi_add_msi_desc's -EBUSY, not a refusal here
        loc["_tested"] = 1
        return True
    if _refuse_enable(k, p, loc["dev"]):     # descriptors a failed teardown left (stale_descs)
        return False
    if not pci.direct(k, loc["dev"]):
        loc["_tested"] = 1      # (a trapped read follows in the step: it runs again)
    return True


def _affinity_nvec(k: Any, loc: dict[str, Any], nvec: int) -> int:
    """With an affinity descriptor, irq_calc_affinity_vectors bounds the request."""
    affd = loc.get("affd")
    if affd is None:
        return nvec
    return affinity.calc_vectors(loc["min"], nvec, affd, len(affinity.spread_cpus(k.w)))


def _masks(k: Any, loc: dict[str, Any], nvec: int) -> list[Any] | None:
    """irq_create_affinity_masks for the vectors being set up (None without a descriptor)."""
    affd = loc.get("affd")
    if affd is None:
        return None
    return affinity.create_masks(nvec, affd, affinity.spread_cpus(k.w), affinity.default_affinity(k.w),
                                 rest_default=sw(k, "affinity_spread_cpus") == "online")


@enable_msix.step
def msix_done(k: Any, loc: dict[str, Any]) -> None:
    _range_result(k, loc, "msix_try")


def _range_result(k: Any, loc: dict[str, Any], again: str) -> None:
    """The loop of __pci_enable_msix_range / __pci_enable_msi_range (every modelled release): 0 is
    success with ``nvec`` vectors, a negative value the error; a positive one is how many vectors
    the setup could have had (the descriptors that got an irq before the allocation failed, 1 for a
    Multi-MSI block) -- fewer than ``minvec`` is -ENOSPC, else the capability is set up again with
    that many (irq_calc_affinity_vectors bounding it again under PCI_IRQ_AFFINITY)."""
    rc, dev = loc["ret"], loc["dev"]
    if rc <= 0:
        unlock_ret(k, dev, loc["nvec"] if rc == 0 else rc)
        return
    nvec = _affinity_nvec(k, loc, rc) if rc < loc["nvec"] else 0
    if nvec < loc["min"]:
        k.note(f"setup could have {rc} of {loc['nvec']} vectors, fewer than minvec {loc['min']}", -ENOSPC, dev)
        unlock_ret(k, dev, -ENOSPC)
        return
    if stale_descs(k, pci.pdev(k, dev), dev):
        # the failed attempt's teardown was refused (free_msi_irqs: -EBUSY, see _refuse_enable): the
        # model does not build new descriptors over irqs that still exist
        k.note("MSI descriptors still allocated (an earlier teardown failed)", -EBUSY, dev)
        unlock_ret(k, dev, -EBUSY)
        return
    k.note(f"setup could have {rc} of {loc['nvec']} vectors: retry with {nvec}", nvec, dev)
    loc["nvec"] = nvec
    k.goto(again)


# --- MSI ---------------------------------------------------------------------------------------
enable_msi = program("pci_enable_msi_range", "__pci_enable_msi_range", source=(S.MSI_CORE, S.RANGE_RETRY, S.AFFINITY_MASKS, S.AFFINITY_MASKS_ONLINE) + S.ENABLE_TWICE)


@enable_msi.step
def check_msi(k: Any, loc: dict[str, Any]) -> None:
    if not _begin_enable(k, loc, "msi"):
        return
    # pci_msi_vec_count: Multiple Message Capable as the guest reads it (through QEMU on xen-hvm: 0)
    cap = 1 << ((ctrl_read(k, loc["dev"], "msi_ctrl") >> 1) & 7)
    nvec = _affinity_nvec(k, loc, min(loc["max"], cap))
    if not k.w.platform["interrupt_remapping"]:
        nvec = min(nvec, 1)  # x86 cannot allocate contiguous vectors without remapping (-ENOSYS, retry with 1)
    if nvec < loc["min"]:
        unlock_ret(k, loc["dev"], -ENOSPC)
        return
    loc["nvec"] = nvec


@enable_msi.step
def msi_try(k: Any, loc: dict[str, Any]) -> None:
    k.call("msi_capability_init", dev=loc["dev"], nvec=loc["nvec"], masks=_masks(k, loc, loc["nvec"]))


@enable_msi.step
def msi_done(k: Any, loc: dict[str, Any]) -> None:
    _range_result(k, loc, "msi_try")


msi_init = program("msi_capability_init", "drivers/pci/msi: set up MSI, then set Enable",
                   source=(S.MSI_CORE,) + S.ENABLE_LOCK_LATE)


def msi_multiple(nvec: int) -> int:
    """msi_attrib.multiple = ilog2(__roundup_pow_of_two(nvec)) (msi_setup_msi_desc): the Multiple
    Message Enable field; 3 vectors enable 4 messages."""
    return (nvec - 1).bit_length()


def multi_mask(k: Any, dev: str) -> int:
    """msi_multi_mask: a bit for every vector the device is capable of (Multiple Message
    Capable), not just the ones enabled."""
    multi_cap = (reg(k, dev, "msi_ctrl") >> 1) & 7
    return 0xFFFFFFFF if multi_cap >= 5 else (1 << (1 << multi_cap)) - 1


def msi_can_mask(k: Any, dev: str) -> bool:
    """msi_attrib.can_mask: per-vector masking capable, and masking not disabled (Xen)."""
    return bool(reg(k, dev, "msi_ctrl") & MSI_PVM) and not pci.ignore_mask(k)


def msi_mask_writes(k: Any, dev: str) -> bool:
    """Whether pci_msi_update_mask writes the Mask Bits: only with can_mask (9c8e9c9681a0: 5.16, 5.15.3, and
    the old __pci_msi_desc_mask_irq before 5.15); on 5.15 .. 5.15.2 always (``msi_update_mask_can_mask``,
    reading ``kernel.msi.update-mask-unchecked``)."""
    return msi_can_mask(k, dev) or not sw(k, "msi_update_mask_can_mask")


def msi_update_mask(k: Any, dev: str, clear: int, set_: int) -> None:
    """pci_msi_update_mask: the cached mask register, written whole (nothing without can_mask, but on 5.15 ..
    5.15.2: a dword at the mask offset -- past the capability when it has no Mask Bits -- and through pcifront
    on Xen PV, where pciback drops it)."""
    if not msi_mask_writes(k, dev):
        return
    p = pci.pdev(k, dev)
    p["msi_mask"] = (p.get("msi_mask", 0) & ~clear) | set_
    lay = msi_layout(bool(hwdev(k, dev)["msi"]["ctrl"] & MSI_64BIT))
    pci.cfg_write(k, dev, lay["mask"], p["msi_mask"], 4)


@msi_init.step
def msi_disable_setup(k: Any, loc: dict[str, Any]) -> None:
    """'pci_msi_set_enable(dev, 0); /* Disable MSI during set up */' -- msi_capability_init's first statement in
    every release read (4.13.9, 5.15.24; 5.17-rc5 and 6.12.19 after the multi-MSI early reject, which msidbg
    makes in __pci_enable_msi_range): read Message Control, clear Enable, write it back, whatever Enable was
    (reading ``kernel.msi.disable-during-setup``). An Enable that firmware, a previous driver or a failed
    teardown left set goes off here, so the function signals no MSI with a half-written message during the
    set-up, and the final Enable write is a 0 -> 1 transition again (``msi-latch-on-enable`` latches the new
    message). From c7ecb95ca6a8 (``msi_enabled_early``) msi_enabled is set right after, once: before
    msi_lock_descs, which a concurrent enable or disable may make this task sleep on (the step after)."""
    cur = ctrl_read(k, loc["dev"], "msi_ctrl")
    pci.cfg_write(k, loc["dev"], MSI_CTRL, cur & ~MSI_ENABLE, 2)
    if sw(k, "msi_enabled_early"):       # c7ecb95ca6a8: 'mark it enabled so that setup code can evaluate it'
        pci.pdev(k, loc["dev"])["msi_enabled"] = True


@msi_init.step
def msi_setup_desc(k: Any, loc: dict[str, Any]) -> None:
    """msi_setup_msi_desc, then 'all MSIs are unmasked by default; mask them all' -- every
    vector the device is capable of. msi_setup_msi_desc reads Message Control first (a trapped read
    on xen-hvm passthrough; what it caches, can_mask and multi_cap, are ``reg`` reads after it)."""
    p = pci.pdev(k, loc["dev"])
    if lock_in_setup(k):
        # 5.17+: msi_lock_descs after the flag (a concurrent enable that passed the flag test sleeps here);
        # then msi_setup_msi_desc's msi_add_msi_desc inserts index 0 (xa_insert): stored already -- another
        # enable's descriptor -- is -EBUSY, and 'goto fail' clears msi_enabled without a teardown
        # (reading kernel.msi.enable-insert-busy)
        if not lock_descs(k, loc["dev"]):
            return
        if any(d["index"] == 0 for d in p["descs"]):
            # msi_setup_msi_desc reads Message Control before its msi_add_msi_desc (5.17-rc5, 6.12.19): a trapped
            # read on xen-hvm is served first (this step runs again with it), then the insert's -EBUSY
            if not pci.direct(k, loc["dev"]):
                ctrl_read(k, loc["dev"], "msi_ctrl")
            k.note("msi_add_msi_desc: xa_insert(index 0): the index is stored already (another enable's "
                   "descriptor): -EBUSY", -EBUSY, loc["dev"])
            loc["err"] = -EBUSY
            k.goto("msi_fail")
            return
    if not pci.direct(k, loc["dev"]):
        ctrl_read(k, loc["dev"], "msi_ctrl")
    new = [new_pdesc(i, 0, loc.get("masks")) for i in range(loc["nvec"])]
    # 'msi_attrib.default_irq = dev->irq;' -- what pci_msi_shutdown restores dev->irq to (reading
    # kernel.msi.dev-irq): the INTx irq, unless an enabled MSI made dev->irq its own (the WARN path before
    # 4c1ef72e9b71)
    new[0]["default_irq"] = p.get("irq", 0)
    loc["entry_at"] = len(p["descs"]) if unserialised(k) else 0
    if unserialised(k):
        # 'list_add_tail(&entry->list, dev_to_msi_list(&dev->dev));': beside any descriptors another CPU's
        # enable has put there (reading kernel.msi.enable-unserialised)
        p["descs"].extend(new)
    else:
        p["descs"] = new
    p["mode"] = "msi"
    if msi_can_mask(k, loc["dev"]):
        for dsc in new:
            dsc["masked"] = 1
        p["msi_mask"] = _read_msi_mask(k, loc["dev"])
        msi_update_mask(k, loc["dev"], 0, multi_mask(k, loc["dev"]))
    elif msi_mask_writes(k, loc["dev"]):
        # 5.15 .. 5.15.2: the mask-all goes out anyway; msi_setup_entry read the initial Mask Bits only with
        # msi_attrib.maskbit (the capability's), pci_msi_ignore_mask notwithstanding
        p["msi_mask"] = _read_msi_mask(k, loc["dev"]) if reg(k, loc["dev"], "msi_ctrl") & MSI_PVM else 0
        msi_update_mask(k, loc["dev"], 0, multi_mask(k, loc["dev"]))


def _read_msi_mask(k: Any, dev: str) -> int:
    """'Save the initial mask status': the device's Mask Bits register."""
    return int(hwdev(k, dev)["msi"].get("mask", 0))


@msi_init.step
def msi_setup_irqs(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_msi_setup_msi_irqs", dev=loc["dev"], nvec=loc["nvec"], type="msi")


@msi_init.step
def msi_check(k: Any, loc: dict[str, Any]) -> None:
    """A positive answer (1: a Multi-MSI block the domain could not allocate) is passed up."""
    if loc["ret"] != 0:
        loc["err"] = loc["ret"]
        k.goto("msi_out_free")


@msi_init.step
def msi_sysfs(k: Any, loc: dict[str, Any]) -> None:
    """populate_msi_sysfs (before 5.17): the 'msi_irqs' group; a second one is -EEXIST ('err:')."""
    if not populate_sysfs(k, loc):
        k.goto("msi_out_free")


def populate_sysfs(k: Any, loc: dict[str, Any]) -> bool:
    """populate_msi_sysfs / msi_populate_sysfs (before 5.17, ``kernel.msi_descs_lock: none``): sysfs_create_groups
    makes the device's 'msi_irqs' directory, one attribute per irq on dev->msi_list. The directory exists already
    when another CPU's unserialised enable made it (``p["sysfs"]``, until free_msi_irqs removes it):
    internal_create_group's kernfs_create_dir fails with -EEXIST (sysfs_warn_dup) and the set-up goes to its error
    path, whose free_msi_irqs frees every descriptor on the list (reading ``kernel.msi.sysfs-eexist``). From 5.17 the
    group is msi_device_populate_sysfs's, under msi_lock_descs (not modelled: nothing can meet it there). False: the
    -EEXIST (``loc["err"]``)."""
    if not unserialised(k):
        return True
    p = pci.pdev(k, loc["dev"])
    P = k.eng.prov
    action = k.ctx.get("action", -1)
    if p.get("sysfs"):
        if P.on and k.eng.fresh and action is not None and action >= 0:
            # provenance (reconcile): the error starts here -- the out_free / out_disable steps after it only hand it
            # on -- and links the action whose enable made the group, what 5.17's serialisation keeps apart
            maker = P.sysfs_by.get(P.dev(loc["dev"]), -1)
            if maker >= 0 and maker != action:
                P.dep(PC.D_SYSFS_MADE, PK.key(PK.ACTION, maker))
            P.write(PC.KERNEL, PK.key(PK.ACTERR, action), -EEXIST,
                    note="populate_msi_sysfs returns -EEXIST: the 'msi_irqs' group exists")
        k.note("populate_msi_sysfs: sysfs: cannot create duplicate filename '.../msi_irqs' (another enable made "
               "it): -EEXIST", -EEXIST, loc["dev"])
        loc["err"] = -EEXIST
        return False
    p["sysfs"] = 1
    if P.on and k.eng.fresh and action is not None and action >= 0:
        P.sysfs_by[P.dev(loc["dev"])] = action
    return True


@msi_init.step
def msi_intx_off(k: Any, loc: dict[str, Any]) -> None:
    """'/* Set MSI enabled bits */ pci_intx_for_msi(dev, 0);' (kernel/intx.py: bare metal and xen-hvm)."""
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=0)


@msi_init.step
def msi_enable(k: Any, loc: dict[str, Any]) -> None:
    cur = ctrl_read(k, loc["dev"], "msi_ctrl")    # (pci_msi_set_enable reads it first)
    p = pci.pdev(k, loc["dev"])
    if not sw(k, "msi_enabled_early"):      # (from c7ecb95ca6a8 the flag was set at the start, and only there)
        p["msi_enabled"] = True
    mme = msi_multiple(loc["nvec"]) << 4
    pci.cfg_write(k, loc["dev"], MSI_CTRL, (cur & ~(0x7 << 4)) | mme | MSI_ENABLE, 2)
    # 'pcibios_free_irq(dev); dev->irq = entry->irq;' (x86: the weak, empty pcibios_free_irq). The entry is this
    # set-up's; another CPU's unserialised error path may have freed it meanwhile (msi_domain_free_irqs sets
    # 'desc->irq = 0' before the entry is freed): 0 (reading kernel.msi.dev-irq)
    at = loc.get("entry_at", 0)
    descs = p["descs"]
    p["irq"] = descs[at]["irq"] if at < len(descs) and descs[at]["index"] == 0 else 0
    if lock_in_setup(k):
        unlock_descs(k, loc["dev"])     # msi_capability_init's 'unlock:'
    k.ret(0)


@msi_init.step
def msi_out_free(k: Any, loc: dict[str, Any]) -> None:
    """err: unmask what was masked (the multi_cap bits), then free the irqs."""
    if not loc.get("unmasked"):
        loc["unmasked"] = True
        if msi_mask_writes(k, loc["dev"]):
            msi_update_mask(k, loc["dev"], multi_mask(k, loc["dev"]), 0)
            k.again()
            return
    pci.pdev(k, loc["dev"])["mode"] = None
    k.call("free_msi_irqs", dev=loc["dev"])


@msi_init.step
def msi_fail(k: Any, loc: dict[str, Any]) -> None:
    """'fail: dev->msi_enabled = 0;' (c7ecb95ca6a8; before it the error path does not touch the flag -- which
    another CPU's unserialised enable may have set, kernel33)."""
    if sw(k, "msi_enabled_early"):
        pci.pdev(k, loc["dev"])["msi_enabled"] = False
    if lock_in_setup(k):
        unlock_descs(k, loc["dev"])     # msi_capability_init's 'unlock:'
    k.ret(loc["err"])


# --- irq setup (arch) -----------------------------------------------------------------------
setup_irqs_prog = program("pci_msi_setup_msi_irqs", "arch_setup_msi_irqs: the platform's MSI irq domain", source=S.MSI_DOMAIN)


@setup_irqs_prog.step
def arch_setup(k: Any, loc: dict[str, Any]) -> None:
    prog = ARCH_SETUP.get(k.w.platform["route"], "msi_domain_alloc_irqs")
    k.call(prog, dev=loc["dev"], nvec=loc["nvec"], type=loc["type"])


@setup_irqs_prog.step
def arch_setup_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


domain_alloc = program("msi_domain_alloc_irqs", "kernel/irq/msi.c with the x86 vector domain",
                       source=(S.MSI_DOMAIN, S.VECTOR, S.LEGACY_VECTOR, S.PCI_FAIL, S.PCI_FAIL_OLD,
                               S.MATRIX_RESERVE, *S.ACTIVATE_EARLY_CALL))


@domain_alloc.step
def alloc_irq(k: Any, loc: dict[str, Any]) -> None:
    """One irq per descriptor, with the descriptor's affinity mask. A managed irq reserves a
    vector on every CPU of its mask (reserve_managed_vector); any other gets only a global
    reservation in reservation mode, else a vector now (assign_irq_vector_policy). Before 4.15
    (``vector_allocator: legacy``) every irq gets its vector now, on the first online CPU."""
    p = pci.pdev(k, loc["dev"])
    i = loc.get("i", 0)
    if i >= len(p["descs"]):
        k.ret(0)
        return
    chip = "PCI-MSIX" if loc["type"] == "msix" else "PCI-MSI"
    pd = p["descs"][i]
    if pd["irq"] and not loc.pop("leak", 0):
        # before 5.17 for_each_msi_entry walks every descriptor on dev->msi_list: one another CPU's enable put
        # there and gave an irq gets a new one, and irq_set_msi_desc_off overwrites entry->irq -- the old irq
        # stays allocated (its vector too) and still names this descriptor (reading kernel.msi.enable-unserialised)
        k.note(f"msi_domain_alloc_irqs: descriptor {i} on the list (entry {pd['index']}) has irq {pd['irq']} "
               "already: it gets a new one and irq " + str(pd["irq"]) + " leaks", pd["irq"], loc["dev"])
        loc["leak"] = 1
        k.again()
        return
    desc = new_irq_desc(k, loc["dev"], pd["index"], chip, pd.get("affinity"))
    if pd["irq"]:
        pd.setdefault("old", []).append(pd["irq"])
    pd["irq"] = desc.irq
    loc["irq"] = desc.irq
    desc["resv_mode"] = _can_reserve(k, loc)
    if vec.legacy(k.w):                    # before 4.15: the vector now, on the mask's first online CPU
        _assigned(k, loc, desc, vec.legacy_alloc(k.w, desc))
        return
    if desc["is_managed"]:
        ret = vec.reserve_managed(k.w, desc)
        desc_dirty(k, desc)
        if ret < 0:
            k.note("no vector to reserve on a CPU of the managed mask", ret, loc["dev"])
            alloc_failed(k, loc, desc)
            return
        k.ev(K.IRQ_ALLOC, loc["dev"], desc.irq, desc.index)     # (its entry, not its list position)
        return
    if desc["resv_mode"] or late_activation(k, loc, desc):
        # reserve_irq_vector: only a global reservation (late_activation: the vector when request_irq
        # activates it); irq_matrix_reserve's warning is the next step's note (one event a step)
        vec.reserve(k.w, desc)
        if vec.reserve_warned(k.w):
            loc["rsvd_warn"] = 1
        desc_dirty(k, desc)
        k.ev(K.IRQ_ALLOC, loc["dev"], desc.irq, desc.index)     # (its entry, not its list position)
        return
    _assigned(k, loc, desc, vec.assign_any(k.w, desc))


def _assigned(k: Any, loc: dict[str, Any], desc: Any, ret: int) -> None:
    """The end of an allocation that assigned a vector at once (``ret`` the vector domain's result)."""
    desc_dirty(k, desc)
    if ret < 0:
        k.note("no vector available", ret, loc["dev"])
        alloc_failed(k, loc, desc)
        return
    desc["activated"] = True
    k.ev(K.VECTOR_ASSIGN, loc["dev"], desc.irq, desc.vector, desc.cpu)


def alloc_failed(k: Any, loc: dict[str, Any], desc: Any) -> None:
    """__irq_domain_alloc_irqs failed for descriptor ``loc["i"]``: its irq is freed again (the
    descriptor keeps irq 0) and msi_handle_pci_fail answers -- 1 for a Multi-MSI block (the range
    helper retries with one vector), the number of descriptors allocated before it for MSI-X,
    else -ENOSPC. Before 5.17 the same numbers came from pci_msi_domain_handle_error (Multi-MSI)
    and msix_capability_init's count of descriptors with an irq (out_avail)."""
    if desc is not None:
        drop_irq(k, loc["dev"], desc, loc.get("i", 0))
    k.ret(pci_fail_answer(loc["type"], loc["nvec"], loc.get("i", 0)))


def pci_fail_answer(kind: str, nvec: int, allocated: int) -> int:
    """msi_handle_pci_fail for a PCI device's failed allocation (see :func:`alloc_failed`)."""
    if kind == "msi" and nvec > 1:
        return 1
    return allocated if allocated else -ENOSPC


def drop_irq(k: Any, dev: str, desc: Any, pos: int) -> None:
    """Free an irq whose allocation failed (it holds no vector): the descriptor at list position ``pos``
    keeps irq 0."""
    desc_dirty(k, desc)
    k.w.irqs.pop(desc.irq, None)
    irq_dirty(k, desc.irq)
    pd = pci.pdev(k, dev)["descs"][pos]
    if pd["irq"] == desc.irq:
        pd["irq"] = 0


def late_activation(k: Any, loc: dict[str, Any], desc: Any) -> bool:
    """A Multi-MSI irq after the block's first, before 4c457e8cb75e (``msi_activate_early``):
    __msi_domain_alloc_irqs activated only desc->irq, so the others stay reserved (IRQD_CAN_RESERVE
    kept) and are activated -- vector, IRTE, message -- by request_irq."""
    return loc["type"] == "msi" and desc.index > 0 and sw(k, "msi_activate_early") == "first"


def _can_reserve(k: Any, loc: dict[str, Any]) -> bool:
    """msi_check_reservation_mode: MSI-X, or MSI with per-vector masking, and masking on."""
    if pci.ignore_mask(k):
        return False
    if loc["type"] == "msix":
        return True
    return bool(reg(k, loc["dev"], "msi_ctrl") & MSI_PVM)


@domain_alloc.step
def activate_early(k: Any, loc: dict[str, Any]) -> None:
    """MSI_FLAG_ACTIVATE_EARLY: the message is programmed at allocation (f3b0946d629c) -- for
    every irq of a Multi-MSI block from 4c457e8cb75e, only the first before (``late_activation``);
    before f3b0946d629c (``msi_activate_early: none``) by no irq: irq_startup activates them.
    (First, alone in a step: the warning irq_matrix_reserve printed for this irq's reservation.)"""
    if loc.pop("rsvd_warn", 0):
        k.note(vec.RESERVE_WARNING, k.w.kernel["vec_rsvd"], loc["dev"])
        rsvd_warning(k, vec.RESERVE_WARNING)
        k.again()
        return
    desc = k.w.irqs[loc["irq"]]
    loc["ret"] = 0
    if late_activation(k, loc, desc) or sw(k, "msi_activate_early") == "none":
        desc["activated"] = False
        return
    # msi_init_virq (6.2+; the activation loop of __msi_domain_alloc_irqs before): irq_domain_activate_irq,
    # a call a ``faults:`` entry or a ``call`` breakpoint on that program meets here first (reading
    # kernel.msi.activate-early-call)
    k.call("irq_domain_activate_irq", irq=loc["irq"], early=True)


@domain_alloc.step
def early_activated(k: Any, loc: dict[str, Any]) -> None:
    """An activation at allocation that failed fails the allocation with its own error: every irq of
    the device is freed (msi_domain_free_locked from 6.2, the cleanup label's msi_domain_free_irqs
    before) and the error is returned as it is -- not msi_handle_pci_fail's count."""
    if loc["ret"] < 0:
        loc["err"], loc["j"] = loc["ret"], 0
        k.goto("cleanup")


@domain_alloc.step
def next_irq(k: Any, loc: dict[str, Any]) -> None:
    loc["i"] = loc.get("i", 0) + 1
    k.goto("alloc_irq")


@domain_alloc.step
def cleanup(k: Any, loc: dict[str, Any]) -> None:
    """The failed activation's cleanup, one irq at a time: an irq still activated (one whose vector came
    at allocation: reservation mode clears the activated bit after its activation) is deactivated first
    -- msi_domain_deactivate's zero message --, then freed (vectors, reservations); at the end the error."""
    descs = pci.pdev(k, loc["dev"])["descs"]
    j = loc["j"]
    while j < len(descs) and not descs[j]["irq"]:
        j += 1
    if j >= len(descs):
        k.ret(loc["err"])
        return
    loc["j"] = j
    # (the irq whose activation failed never became IRQD_ACTIVATED, whatever vector alloc_irq gave it)
    if descs[j]["irq"] != loc["irq"] and k.w.irqs[descs[j]["irq"]]["activated"]:
        k.call("irq_domain_deactivate_irq", irq=descs[j]["irq"])


@domain_alloc.step
def cleanup_free(k: Any, loc: dict[str, Any]) -> None:
    d = pci.pdev(k, loc["dev"])["descs"][loc["j"]]
    desc = k.w.irqs.pop(d["irq"])
    d["irq"] = 0
    loc["j"] += 1
    release_vectors(k, desc)
    k.ev(K.IRQ_RELEASE, loc["dev"], desc.irq, desc.index)
    k.goto("cleanup")


# --- __pci_write_msi_msg -------------------------------------------------------------------
write_msg = program("pci_write_msi_msg", "__pci_write_msi_msg: program one vector's message", source=(S.WRITE_MSG, S.MSI_DOMAIN_WRITE))


def _pdesc(k: Any, desc: Any) -> Any:
    """The msi_desc an irq names (irq_get_msi_desc): the one at the irq's entry index -- the list position
    when one enable built the list --, else the one that has (or had, before another CPU's unserialised
    enable gave it a new irq: ``old``) this irq; None when the descriptor is gone (freed by another CPU's
    free_msi_irqs under the irq, kernel33: the real kernel's msi_desc pointer dangles)."""
    descs = pci.pdev(k, desc.dev)["descs"]
    irq = desc.irq
    if desc.index < len(descs) and descs[desc.index]["irq"] == irq:
        return descs[desc.index]
    for d in descs:
        if d["irq"] == irq or irq in d.get("old", ()):
            return d
    return None


def _pos(k: Any, desc: Any) -> int:
    """The list position of the descriptor an irq names (-1: none)."""
    pd = _pdesc(k, desc)
    if pd is None:
        return -1
    for i, d in enumerate(pci.pdev(k, desc.dev)["descs"]):
        if d is pd:
            return i
    return -1


def msi_set_nvec(p: dict[str, Any], pos: int) -> int:
    """How many MSI descriptors the enable that built the one at ``pos`` built (its index 0 .. n-1 run)."""
    descs = p["descs"]
    start = pos - descs[pos]["index"]
    n = 0
    while start + n < len(descs) and descs[start + n]["index"] == n:
        n += 1
    return n


def is_msix(k: Any, desc: Any) -> bool:
    """Does this irq's descriptor stand for an MSI-X entry (whatever its irq chip)?"""
    return desc.chip == "PCI-MSIX" or (desc.chip != "PCI-MSI" and pci.pdev(k, desc.dev)["mode"] == "msix")


@write_msg.step
def prepare(k: Any, loc: dict[str, Any]) -> None:
    """Declare the message as programmed-as-a-whole; mask an unmasked MSI-X entry first."""
    desc = k.w.irqs[loc["irq"]]
    msix = is_msix(k, desc)
    if not msix and desc.index != 0:
        # pci_msi_domain_write_msg: "For MSI only the first interrupt of MULTI MSI passes the
        # test" (desc->irq == irq_data->irq): the others share its one message register.
        k.note("multi-MSI: only the first irq writes the device's message", desc.index, desc.dev)
        k.ret(0)
        return
    pm = pci.pdev(k, desc.dev).get("pm")
    if pm is not None and pm["state"] != "D0":
        # 'if (dev->current_state != PCI_D0 ...) { /* Don't touch the hardware now */ }': the message is only
        # cached, for pci_restore_msi_state (reading kernel.pm.msg-cached-out-of-d0; kernel/pm.py)
        desc["msg"] = list(loc["msg"])
        k.note(f"__pci_write_msi_msg: {desc.dev} is in {pm['state']}: the message is cached, not written",
               desc.index, desc.dev)
        P = k.eng.prov
        if P.on and k.eng.fresh:    # provenance (why32): what a loss of the device's older message links
            P.write(PC.KERNEL, PK.key(PK.KCMSG, PK.dev_entry(P.dev(desc.dev), desc.index if msix else 0)),
                    loc["msg"][2], note=f"__pci_write_msi_msg: {desc.dev} is in {pm['state']}: the message (data "
                    f"{loc['msg'][2]:#x}) is cached for pci_restore_state, not written")
        k.ret(0)
        return
    if pci.direct(k, desc.dev):
        # what the device's registers will hold as a whole. On an interposed device (xen-hvm
        # passthrough) the message only reaches QEMU's emulated registers: the device holds the
        # host message Xen wrote (setup_msi_irq / write_msi_msg, ``xen._program``), which is
        # what its signals are compared with; a guest message there is not one the device can send.
        a = k.w.acct[desc.dev]
        acct.intend(a["intended"][desc.index] if msix else a["msi_intended"], loc["msg"])
    loc["unmasked"] = False
    if msix and sw(k, "msix_masked_update") and not pci.ignore_mask(k):
        pd = _pdesc(k, desc)
        ctrl = ENTRY_MASKBIT if pd is None else pd["msix_ctrl"]     # (no descriptor: nothing to follow)
        if not ctrl & ENTRY_MASKBIT:
            loc["unmasked"] = True
            pci.msix_write(k, desc.dev, desc.index, "ctrl", ctrl | ENTRY_MASKBIT)
    elif not msix:
        _write_mme(k, desc)


def _write_mme(k: Any, desc: Any) -> None:
    """MSI: the Multiple Message Enable field is rewritten with every message."""
    cur = ctrl_read(k, desc.dev, "msi_ctrl")
    p = pci.pdev(k, desc.dev)
    pos = _pos(k, desc)
    nvec = msi_set_nvec(p, pos) if pos >= 0 else len(p["descs"])
    new = (cur & ~(0x7 << 4)) | (msi_multiple(nvec or 1) << 4)
    pci.cfg_write(k, desc.dev, MSI_CTRL, new, 2)


def _msi_write(k: Any, desc: Any, name: str, value: int) -> None:
    if is_msix(k, desc):
        pci.msix_write(k, desc.dev, desc.index, name, value)
        return
    lay = msi_layout(bool(hwdev(k, desc.dev)["msi"]["ctrl"] & MSI_64BIT))
    pci.cfg_write(k, desc.dev, lay[name], value, 2 if name == "data" else 4)


@write_msg.step
def addr_lo(k: Any, loc: dict[str, Any]) -> None:
    if loc["parts"] in ("all", "addr"):
        _msi_write(k, k.w.irqs[loc["irq"]], "addr_lo", loc["msg"][0])


@write_msg.step
def addr_hi(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    if loc["parts"] not in ("all", "addr"):
        return
    if is_msix(k, desc) or hwdev(k, desc.dev)["msi"]["ctrl"] & MSI_64BIT:
        _msi_write(k, desc, "addr_hi", loc["msg"][1])


@write_msg.step
def data(k: Any, loc: dict[str, Any]) -> None:
    if loc["parts"] in ("all", "data"):
        _msi_write(k, k.w.irqs[loc["irq"]], "data", loc["msg"][2])


@write_msg.step
def restore(k: Any, loc: dict[str, Any]) -> None:
    desc = k.w.irqs[loc["irq"]]
    desc["msg"] = list(loc["msg"])
    if loc["unmasked"]:
        pci.msix_write(k, desc.dev, desc.index, "ctrl", _pdesc(k, desc)["msix_ctrl"])


# --- mask / unmask (the PCI-MSI irq chips) ---------------------------------------------------------
def chip_mask(k: Any, desc: Any, masked: bool) -> None:
    """pci_msi_mask / pci_msi_unmask: the entry's Mask bit, or the MSI mask register."""
    if pci.ignore_mask(k):
        return
    pd = _pdesc(k, desc)
    if pd is None:
        return      # its msi_desc was freed (another CPU's free_msi_irqs, kernel33): the dangling pointer is not followed
    if is_msix(k, desc):
        ctrl = pd["msix_ctrl"] | ENTRY_MASKBIT if masked else pd["msix_ctrl"] & ~ENTRY_MASKBIT
        if ctrl != pd["msix_ctrl"]:
            cache_ctrl(k, desc.dev, desc.index, ctrl, f"{'pci_msi_mask' if masked else 'pci_msi_unmask'} updated the "
                       "cached Vector Control", update=True)
        pd["msix_ctrl"] = ctrl
        pci.msix_write(k, desc.dev, desc.index, "ctrl", ctrl)
        return
    if not msi_can_mask(k, desc.dev):
        return  # nothing to write: this MSI cannot be masked
    pd["masked"] = 1 if masked else 0
    bit = 1 << desc.index
    msi_update_mask(k, desc.dev, 0 if masked else bit, bit if masked else 0)


def unchecked_pv_ctrl_write(k: Any) -> bool:
    """5.15 .. 5.15.2 (``msix_vector_ctrl_ignore_mask`` false): pci_msix_shutdown's pci_msix_mask writes the
    entry's Vector Control even under pci_msi_ignore_mask -- on a Xen PV guest, a store to the table page Xen
    maps read-only. pv_ro_page_fault emulates (drops) such a store only for the hardware domain
    (mmio_ro_do_page_fault); a domU's is a page fault the kernel cannot fix up. The irq chip callbacks
    (__pci_msi_mask_desc) kept the check, so only this teardown path writes."""
    return pci.ignore_mask(k) and k.w.platform["kind"] == "xen-pv" and not sw(k, "msix_vector_ctrl_ignore_mask")


reading("kernel.msi.update-mask-unchecked",
        "(kernel26) 446a98b19fd6 (5.15) routed msi_capability_init's 'mask them all', its error path's unmask and "
        "pci_msi_shutdown's unmask through fcacdfbef5a1's pci_msi_update_mask(), which checks neither "
        "pci_msi_ignore_mask nor msi_attrib.maskbit (those stayed in __pci_msi_mask_desc / __pci_msi_unmask_desc, "
        "the irq chip callbacks); msi_setup_entry sets mask_pos (cap + 0x10 with 64-bit addresses, cap + 0x0C "
        "without) whether or not the capability has Mask Bits. So on 5.15 .. 5.15.2 every MSI probe writes "
        "msi_multi_mask at mask_pos and every teardown writes 0 there: past the capability of a function without "
        "per-vector masking (a register of whatever follows it: msidbg's device has none there and ignores the "
        "write), and on Xen PV through pcifront to pciback, which drops it (pciback.cap-read-only). 9c8e9c9681a0 "
        "(5.16, 5.15.3) made pci_msi_update_mask return without can_mask ('also violates ... the "
        "msi_attrib.maskbit protections'). __pci_restore_msi_state's pci_msi_update_mask(entry, 0, 0) follows the "
        "same rule in the pm_resume action (kernel/pm.py, bare metal; kernel28); a Xen PV guest's resume is not "
        "modelled.",
        source=(Source("torvalds/linux", "9c8e9c9681a0", "drivers/pci/msi.c",
                       "pci_msi_update_mask ('if (!desc->msi_attrib.can_mask) return;' added), msi_setup_entry "
                       "(can_mask = !pci_msi_ignore_mask && maskbit)", "5.16.., 5.15.3.. (msi_update_mask_can_mask)"),
                Source("torvalds/linux", "446a98b19fd6", "drivers/pci/msi.c",
                       "msi_capability_init ('pci_msi_mask(entry, msi_multi_mask(entry));', err: pci_msi_unmask), "
                       "pci_msi_shutdown (pci_msi_unmask(desc, msi_multi_mask(desc)))",
                       "5.15 .. 5.15.2 (msi_update_mask_can_mask: false)")),
        quote="This missed the fact that these accessors can be invoked from other places as well. The missing "
        "checks break XEN-PV which sets pci_msi_ignore_mask and also violates the virtual MSIX and the "
        "msi_attrib.maskbit protections. ... +\tif (!desc->msi_attrib.can_mask) +\t\treturn;",
        module=__name__)


reading("kernel.msix.shutdown-mask-pv",
        "leads23: 446a98b19fd6 (PCI/MSI: Use new mask/unmask functions, 5.15) made pci_msix_shutdown mask each "
        "entry with fcacdfbef5a1's pci_msix_mask(), which has no pci_msi_ignore_mask check (that stayed in "
        "__pci_msi_mask_desc / __pci_msi_unmask_desc, the irq chip callbacks); 9c8e9c9681a0 (5.16, 5.15.3) moved "
        "the check into pci_msix_write_vector_ctrl (can_mask = !pci_msi_ignore_mask && !is_virtual). On 5.15 .. "
        "5.15.2 a Xen PV domU's pci_disable_msix therefore stores to the MSI-X table, which Xen maps read-only "
        "(mmio_ro_ranges); Xen's pv_ro_page_fault emulates such a store only for the hardware domain, so the "
        "domU's task oopses, as in msix_mask_all before 1a519dc7a73c (5.14; 5.13.19, 5.10.67, 5.4.148, 4.19.207, "
        "4.14.247, 4.9.283, 4.4.284: kernel.msix.mask-all-pv). The masked "
        "message update of __pci_write_msi_msg lost its check too, but no modelled PV path writes a message, and "
        "an HVM guest sets pci_msi_ignore_mask only from 7e0815b3e099 (5.18; 5.17.6, 5.15.38, 5.10.114, 5.4.197, "
        "4.19.246, 4.14.282), after the fix.",
        source=(Source("torvalds/linux", "9c8e9c9681a0", "drivers/pci/msi.c",
                       "pci_msix_write_vector_ctrl ('if (desc->msi_attrib.can_mask)' added), __pci_msi_mask_desc",
                       "5.16.., 5.15.3.. (msix_vector_ctrl_ignore_mask)"),
                Source("torvalds/linux", "fcacdfbef5a1", "drivers/pci/msi.c",
                       "pci_msix_write_vector_ctrl, pci_msix_mask (no pci_msi_ignore_mask check)",
                       "5.15 .. 5.15.2 (msix_vector_ctrl_ignore_mask: false)"),
                Source("xen-project/xen", "RELEASE-4.14.0", "xen/arch/x86/pv/ro-page-fault.c",
                       "pv_ro_page_fault ('mmio_ro = is_hardware_domain(currd) && ...')", "4.14")),
        quote="The missing checks break XEN-PV which sets pci_msi_ignore_mask ... -\twritel(ctrl, desc_addr + "
        "PCI_MSIX_ENTRY_VECTOR_CTRL); +\tif (desc->msi_attrib.can_mask) +\t\twritel(ctrl, ...) / Moving checks "
        "pci_msix_mask/pci_msix_unmask to ensure that init/shutdown gets the checks as well (Josef Johansson)",
        module=__name__)


# --- teardown ---------------------------------------------------------------------------------
free_vectors = program("pci_free_irq_vectors", "pci_disable_msix / pci_disable_msi", source=S.FREE_VECTORS)


@free_vectors.step
def which(k: Any, loc: dict[str, Any]) -> None:
    """pci_free_irq_vectors is 'pci_disable_msix(dev); pci_disable_msi(dev);' in every release read (4.13.9, 5.15.24,
    5.17-rc5, 6.12.19): two calls, each of which tests its own flag ('if (!pci_msi_enable || !dev ||
    !dev->msix_enabled) return;') BEFORE msi_lock_descs (5.17+; before 5512c5eaf533 there is no lock at all) and
    takes and drops the lock itself (reading ``kernel.msi.free-vectors-both``; kernel32: msidbg called the one
    whose flag was set under one lock held across both). With neither flag set -- an INTx 'allocation', or
    another CPU's enable that has not set its flag yet -- both return at once, whoever holds the lock (reading
    ``kernel.msi.free-vectors-flag-first``)."""
    p = pci.pdev(k, loc["dev"])
    if not (p["msix_enabled"] or p["msi_enabled"]) and p["mode"] == "intx" and p["lock"] in (-1, k.cpu_id):
        p["mode"], p["descs"] = None, []    # an INTx 'allocation' holds nothing: INTx stays enabled
    k.call("pci_disable_msix", dev=loc["dev"])


@free_vectors.step
def then_msi(k: Any, loc: dict[str, Any]) -> None:
    """pci_disable_msi after pci_disable_msix has returned (and, 5.17+, unlocked): its flag is tested now. MSI-X
    was on: MSI is off (__pci_enable_msi_range refuses MSI while MSI-X is enabled), unless another CPU's
    msi_capability_init set msi_enabled meanwhile (c7ecb95ca6a8's early flag, while it sleeps on the mutex this
    CPU held): then this CPU takes the lock first and shuts down an MSI with no descriptor (``msi_begin``)."""
    loc["first"] = loc["ret"]
    k.call("pci_disable_msi", dev=loc["dev"])


@free_vectors.step
def freed(k: Any, loc: dict[str, Any]) -> None:
    """void in the kernel; msidbg's value is the first refusal (-EBUSY) or oops (-EFAULT) of the two, else 0."""
    k.ret(loc["first"] or loc["ret"])


disable_msix = program("pci_disable_msix", "flag test, msi_lock_descs, pci_msix_shutdown, free_msi_irqs, unlock",
                       source=(S.MSIX_INIT, S.FREE_VECTORS))
disable_msi = program("pci_disable_msi", "flag test, msi_lock_descs, pci_msi_shutdown, free_msi_irqs, unlock",
                      source=(S.MSI_CORE, S.FREE_VECTORS))


def _disable_begin(k: Any, loc: dict[str, Any], flag: str) -> bool:
    """pci_disable_msix / pci_disable_msi up to pci_msi[x]_shutdown's own flag test: 'if (!pci_msi_enable || !dev
    || !dev->msi[x]_enabled) return;' (tested once: a CPU that then sleeps on the mutex does not test it again),
    msi_lock_descs (5.17+: sleeps while another CPU holds it; before 5.17 there is none and a concurrent caller
    runs unserialised, kernel.msi.enable-unserialised / kernel33), msidbg's refusal of a teardown under another CPU's use of an irq,
    then pci_msi[x]_shutdown's test of the flag under the lock. True: go on with the shutdown."""
    dev = loc["dev"]
    p = pci.pdev(k, dev)
    if "tested" not in loc:
        if not p[flag]:
            k.ret(0)
            return False
        loc["tested"] = 1
    if not lock_descs(k, dev) or refuse_in_use(k, p, dev, unlock=True):
        return False
    if not p[flag]:
        # the flag went while this CPU slept on the mutex (another CPU's failed set-up cleared it):
        # pci_msi[x]_shutdown returns at once, and free_msi_irqs frees whatever descriptors are left
        if p["descs"] and p["mode"] != "intx":
            k.goto("shutdown_free")
        else:
            unlock_ret(k, dev, 0)
        return False
    return True


@disable_msix.step
def msix_begin(k: Any, loc: dict[str, Any]) -> None:
    _disable_begin(k, loc, "msix_enabled")


@disable_msix.step
def shutdown_mask(k: Any, loc: dict[str, Any]) -> None:
    """Return the device with MSI-X masked as initial states: mask each descriptor's entry."""
    p = pci.pdev(k, loc["dev"])
    i = loc.get("i", 0)
    if i < len(p["descs"]):
        desc = k.w.irqs.get(p["descs"][i]["irq"])
        if desc is not None:
            if unchecked_pv_ctrl_write(k):
                k.eng.prov.dep(PC.D_IGNORE_MASK, PK.key(PK.IGNMASK, 0))     # provenance: the flag it ignores
                k.note("BUG: unable to handle page fault (#PF: supervisor write access in kernel mode, permissions "
                       "violation) in pci_msix_shutdown: pci_msix_mask writes Vector Control without the "
                       "pci_msi_ignore_mask check (446a98b19fd6 .. 9c8e9c9681a0) and a Xen PV guest has no write "
                       "access to the MSI-X table; the task oopses (msidbg ends pci_disable_msix here)",
                       -EFAULT, loc["dev"])
                unlock_ret(k, loc["dev"], -EFAULT)
                P = k.eng.prov
                action = k.ctx.get("action", -1)
                if P.on and k.eng.fresh and action is not None and action >= 0:
                    # provenance (why33): the task never reaches 'dev->msix_enabled = 0' (nor free_msi_irqs'
                    # xen_pci_frontend_disable_msix): an enable the flag refuses links this error
                    r = P.writer(PK.key(PK.ACTERR, action))
                    if r >= 0 and P.event(r) == k.eng.cur:
                        P.left_on[P.dev(loc["dev"])] = r
                return
            chip_mask(k, desc, True)
        loc["i"] = i + 1
        k.again()
        return


@disable_msix.step
def shutdown_disable(k: Any, loc: dict[str, Any]) -> None:
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~MSIX_ENABLE, 2)
    pci.pdev(k, loc["dev"])["msix_enabled"] = False
    msix_flag_written(k, loc["dev"])


@disable_msix.step
def msix_intx_on(k: Any, loc: dict[str, Any]) -> None:
    """pci_msix_shutdown: 'pci_intx_for_msi(dev, 1);' after Enable is cleared."""
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=1)


@disable_msi.step
def msi_begin(k: Any, loc: dict[str, Any]) -> None:
    _disable_begin(k, loc, "msi_enabled")


@disable_msi.step
def msi_shutdown(k: Any, loc: dict[str, Any]) -> None:
    """Before 5.17 pci_msi_shutdown starts with 'BUG_ON(list_empty(dev_to_msi_list(&dev->dev)));' (4.13.9,
    5.15.24): msi_enabled without a descriptor -- the list a failed second set-up's free_msi_irqs emptied,
    the flag staying set (the WARN path before 4c1ef72e9b71, kernel.msi.enable-twice; a concurrent set-up's,
    kernel33) -- is an oops before Enable, INTx or the flag are touched (reading kernel.msi.shutdown-empty-bug;
    from 5.17 the check is msi_first_desc's WARN after them, msi_shutdown_unmask)."""
    p = pci.pdev(k, loc["dev"])
    if unserialised(k) and not p["descs"]:
        k.note("kernel BUG at drivers/pci/msi.c: pci_msi_shutdown: BUG_ON(list_empty(dev_to_msi_list(&dev->dev))) "
               "-- msi_enabled is set and dev->msi_list is empty; the task oopses (msidbg ends pci_disable_msi here)",
               -EFAULT, loc["dev"])
        unlock_ret(k, loc["dev"], -EFAULT)
        return
    cur = ctrl_read(k, loc["dev"], "msi_ctrl")
    pci.cfg_write(k, loc["dev"], MSI_CTRL, cur & ~MSI_ENABLE, 2)
    pci.pdev(k, loc["dev"])["msi_enabled"] = False


@disable_msi.step
def msi_intx_on(k: Any, loc: dict[str, Any]) -> None:
    """pci_msi_shutdown: 'pci_msi_set_enable(dev, 0); pci_intx_for_msi(dev, 1);'."""
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=1)


@disable_msi.step
def msi_shutdown_unmask(k: Any, loc: dict[str, Any]) -> None:
    """'Return the device with MSI unmasked as initial states': every capable vector. From 5.17 the descriptor is
    msi_first_desc(): none -- another CPU's msi_capability_init set msi_enabled (c7ecb95ca6a8) and sleeps on the
    mutex before msi_setup_msi_desc -- is 'if (!WARN_ON_ONCE(!desc))', then 'dev->irq =
    desc->pci.msi_attrib.default_irq' dereferences NULL: the task oopses holding msi_lock_descs, which the
    sleeping enable then waits for for ever (reading ``kernel.msi.shutdown-no-desc``)."""
    dev = loc["dev"]
    if not pci.pdev(k, dev)["descs"]:
        k.note("WARNING in pci_msi_shutdown: WARN_ON_ONCE(!desc); then BUG: kernel NULL pointer dereference "
               "(dev->irq = desc->pci.msi_attrib.default_irq): msi_enabled was another CPU's msi_capability_init's "
               "early flag, its descriptor not set up yet; the task oopses holding msi_lock_descs (msidbg ends "
               "pci_disable_msi here)", -EFAULT, dev)
        k.ret(-EFAULT)
        return
    msi_update_mask(k, dev, multi_mask(k, dev), 0)
    # '/* Restore dev->irq to its default pin-assertion IRQ */ dev->irq = desc->msi_attrib.default_irq;' (the
    # first descriptor's; reading kernel.msi.dev-irq)
    p = pci.pdev(k, dev)
    p["irq"] = p["descs"][0].get("default_irq", p.get("irq", 0))


def shutdown_free(k: Any, loc: dict[str, Any]) -> None:
    k.call("free_msi_irqs", dev=loc["dev"])


def shutdown_done(k: Any, loc: dict[str, Any]) -> None:
    unlock_ret(k, loc["dev"], loc["ret"])


for _prog in (disable_msix, disable_msi):  # both end the same way: free the irqs, return
    _prog.step(shutdown_free)
    _prog.step(shutdown_done)


free_irqs = program("free_msi_irqs", "tear down the irqs of a device's MSI descriptors", source=(S.FREE_VECTORS, S.VECTOR, S.SHUTDOWN_SLOT))


reading("kernel.msi.teardown-in-use",
        "pci_free_irq_vectors while another CPU's kernel code still holds one of the device's irqs (its free_irq, "
        "an affinity update, a handler) is a driver bug the kernel does not catch: free_msi_irqs only checks "
        "irq_has_action(), which free_irq has already cleared, and frees the descriptor under the other CPU. "
        "The model refuses such a teardown with -EBUSY before MSI is shut down (a note names the CPU and "
        "program): it does not follow a use-after-free (kernel.msi.free-busy is the case with an action).",
        source=Source("torvalds/linux", "v5.15", "drivers/pci/msi.c", "free_msi_irqs", "..5.16"),
        quote="BUG_ON(irq_has_action(entry->irq + i));", module=__name__)


def refuse_in_use(k: Any, p: dict[str, Any], dev: str, unlock: bool) -> bool:
    """-EBUSY (and a note) when another CPU's kernel code holds one of the device's irqs."""
    user = irq_user(k, {d["irq"] for d in p["descs"] if d["irq"]})
    if user is None:
        return False
    k.note(f"{user} (the kernel would free the irq under it)", -EBUSY, dev)
    if unlock:
        unlock_ret(k, dev, -EBUSY)
    else:
        k.ret(-EBUSY)
    return True


def irq_user(k: Any, irqs: set[int]) -> str | None:
    """Another CPU running kernel code on one of ``irqs`` (its frames hold the irq), described.

    Freeing the descriptors then is a driver bug the real kernel does not catch: the
    BUG_ON(irq_has_action()) in free_msi_irqs passes once free_irq has cleared the action,
    and the other CPU's __free_irq, affinity update or handler runs on a freed descriptor.
    The model refuses the teardown with -EBUSY instead (it does not follow a use-after-free).
    """
    for c in k.w.cpus:
        for ctx in (c.proc, c.irq):
            if ctx is k.ctx:
                continue
            for frame in ctx.stack:
                if frame["locals"].get("irq") in irqs:
                    return f"irq {frame['locals']['irq']} is in use by CPU{c['id']} in {frame['prog']}"
    return None


def _busy_teardown(k: Any, dev: str, busy: list[int]) -> bool:
    """free_msi_irqs with irqs that still have an action (``kernel.free_msi_busy``; reading
    kernel.msi.free-busy). Before 9fb9eb4b59ac (5.17): BUG_ON(irq_has_action()) -- the caller oopses
    (invalid_op, die) with MSI already shut down and nothing freed; msidbg names the BUG, keeps the
    descriptors as the oops leaves them and ends the call (its value, -EBUSY, is msidbg's: the real
    caller never returns). From 9fb9eb4b59ac nothing checks: the teardown goes on and frees the irqs
    under their actions (True: stopped here)."""
    irqs = ", ".join(str(i) for i in busy)
    if sw(k, "free_msi_busy") == "bug":
        k.note(f"kernel BUG at drivers/pci/msi.c: free_msi_irqs: BUG_ON(irq_has_action({busy[0]})) -- irq "
               f"{irqs} still requested; the task oopses (msidbg keeps the descriptors and goes on)", -EBUSY, dev)
        k.ret(-EBUSY)
        return True
    if k.w.platform["route"] in XEN_ROUTES:
        # xen_free_irq would drop the irq_info under a bound event channel (evtchn_to_irq still names the
        # irq): the guest's later upcalls run on freed state, which the model does not follow
        k.note(f"irq {irqs} still requested: 5.17+ frees it under its bound event channel (not modelled on "
               "Xen: msidbg stops the teardown here)", -EBUSY, dev)
        k.ret(-EBUSY)
        return True
    if irq_user(k, {d["irq"] for d in pci.pdev(k, dev)["descs"] if d["irq"]}) is not None:
        return False        # another CPU holds one of them: refuse_in_use refuses the teardown, with its note
    k.note(f"irq {irqs} still requested: freed with its action attached (no check since 9fb9eb4b59ac; "
           f"remove_proc_entry: removing non-empty directory 'irq/{busy[0]}', leaking the action's entry)", 0, dev)
    return False


#: the routes whose teardown (xen_teardown_msi_irqs) drops the guest's irq_info
XEN_ROUTES = ("xen-hvm", "xen-pv")


@free_irqs.step
def arch_teardown(k: Any, loc: dict[str, Any]) -> None:
    p = pci.pdev(k, loc["dev"])
    busy = [d["irq"] for d in p["descs"] if d["irq"] and k.w.irqs[d["irq"]]["action"] is not None]
    if busy and _busy_teardown(k, loc["dev"], busy):
        return
    if refuse_in_use(k, p, loc["dev"], unlock=False):
        return
    prog = ARCH_TEARDOWN.get(k.w.platform["route"])
    if prog:
        k.call(prog, dev=loc["dev"])


@free_irqs.step
def release_irq(k: Any, loc: dict[str, Any]) -> None:
    """msi_domain_free_irqs: vectors back to the matrix, descriptors freed."""
    p = pci.pdev(k, loc["dev"])
    i = loc.get("i", 0)
    if i >= len(p["descs"]):
        p["descs"] = []
        p["mode"] = None
        p.pop("sysfs", None)    # (before 5.17) free_msi_irqs' sysfs_remove_groups of dev->msi_irq_groups
        P = k.eng.prov
        if P.on and k.eng.fresh:    # (why33: a re-executed release -- a step back, why's stack -- keeps the side table)
            P.sysfs_by.pop(P.dev(loc["dev"]), None)
        k.ret(0)
        return
    loc["i"] = i + 1
    k.again()
    irq = p["descs"][i]["irq"]
    desc = k.w.irqs.pop(irq, None) if irq else None  # 0: setup failed before this one got an irq
    if desc is None:
        return
    from msidbg.model.kernel.entry import pending_edges  # (entry imports this module's callers)

    for d, i, n, w in pending_edges(k.eng.prov, desc):    # IRQS_PENDING edges no resend will replay now
        k.eng.prov.dep_writer(PC.D_PENDING, PK.key(PK.IRQPEND, irq), w)     # (each its own edge: whyheld12)
        k.eng.prov.dep(PC.D_NO_ACTION, PK.key(PK.IRQACT, irq))     # (free_irq's removal)
        acct.lost(k.eng, d, i, n, f"were IRQS_PENDING on irq {irq} when its descriptor was freed")
    release_vectors(k, desc)
    k.ev(K.IRQ_RELEASE, loc["dev"], irq, desc.index)


def release_vectors(k: Any, desc: Any) -> None:
    """x86_vector_free_irqs for a freed irq: its vector back to the matrix, its reservations dropped."""
    desc_dirty(k, desc)     # provenance: the slots it frees, the irq gone
    vec.clear_vector(k.w, desc)
    vec.remove_reserved(k.w, desc)     # vector_free_reserved_and_managed: irq_matrix_remove_reserved
    if desc["is_managed"]:
        vec.remove_managed(k.w, desc)  # vector_free_reserved_and_managed
