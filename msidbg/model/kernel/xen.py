"""The guest's Xen PCI frontend (arch/x86/pci/xen.c): a pirq per MSI descriptor.

* ``xen_hvm_setup_msi_irqs``: per descriptor, PHYSDEVOP_get_free_pirq, compose the pirq message
  (``xen_msi_compose_msg``: data ``XEN_PIRQ_MSI_DATA``, from 5.11 ExtINT; pirq in the destination id bits), write
  it with ``__pci_write_msi_msg`` (trapped: QEMU's emulated entry), then bind the pirq to a new
  Linux irq on ``xen-pirq`` with no event channel yet. With ``kernel.xen_reuse_cached_pirq``
  (af42b8d12f8a) the entry is read back first and a pirq message whose pirq the guest still has
  an irq for (``xen_irq_from_pirq(pirq) >= 0``) is re-used without allocating or writing.
* ``xen_teardown_msi_irqs``: ``xen_destroy_irq`` for each irq -- an HVM domU unmaps nothing.
* The ``xen-pirq`` chip, the upcall and the scenario's hypercalls: ``kernel/xen_events.py``.
* ``xen-pv``: ``xen_setup_msi_irqs`` asks pciback (XEN_PCI_OP_enable_msi[x]) for the pirqs;
  teardown asks it to disable, which unmaps them.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model import qemu_pt as _qemu_pt  # noqa: F401  (registers QEMU's programs for `call` breakpoints)
from msidbg.model import xen as X
from msidbg.model import xencite as C
from msidbg.model.hw import CMD_INTX_DISABLE, CMD_MEMORY, MSI_ENABLE, MSIX_ENABLE, MSIX_MASKALL
from msidbg.model.kernel import msi, pci
from msidbg.model.kernel.sw import sw
from msidbg.sim.events import INT, STR, kind
from msidbg.sim.program import program

ENXIO, ENODEV, EINVAL, ENOSPC, EALREADY = 6, 19, 22, 28, 114
#: xen/interface/io/pciif.h: the MSI-X entries a pcifront op carries (pci_frontend_enable_msix refuses more)
SH_INFO_MAX_VEC = 128
CHIP = "xen-pirq"
#: a PV guest's pcifront GSI pirq irq: xen_pirq_chip with handle_fasteoi_irq (xen_bind_pirq_gsi_to_irq of a
#: shareable GSI, named "pcifront": /proc/interrupts' "xen-pirq-pcifront"; model/xen_intx.py)
CHIP_GSI = "xen-pirq-pcifront"

XEN_HCALL = kind("xen.hypercall", ("op", STR), ("arg", INT), ("ret", INT),
                 doc="the guest makes a hypercall (PHYSDEVOP_*, EVTCHNOP_*, a pcifront op)")
XEN_IRQ = kind("xen.irq", ("irq", INT), ("pirq", INT), ("how", STR),
               doc="the guest binds a pirq to a Linux irq, or destroys that irq")


def gx(k: Any) -> dict[str, Any]:
    return k.w.kernel["xen"]


def info_of(k: Any, irq_no: int) -> dict[str, Any]:
    return gx(k)["irqs"][irq_no]


def irq_from_pirq(k: Any, pirq: int) -> int:
    """``xen_irq_from_pirq``: the first guest irq bound to ``pirq``, or -1."""
    for irq_no in sorted(gx(k)["irqs"]):
        if gx(k)["irqs"][irq_no]["pirq"] == pirq:
            return irq_no
    return -1


def compose(pirq: int, extint: bool) -> list[int]:
    """``xen_msi_compose_msg``: vector 0 asks Xen for a pirq, passed in the destination id; the data is
    XEN_PIRQ_MSI_DATA (0x4300) before 41bb2115beec, delivery mode ExtINT (0x0700) from it
    (``kernel.xen_pirq_msi_extint``; reading xen.pirq-msi-data)."""
    return [0xFEE00000 | ((pirq & 0xFF) << 12), pirq & 0xFFFFFF00,
            X.XEN_PIRQ_MSI_DATA_EXTINT if extint else X.XEN_PIRQ_MSI_DATA]


def _bind(k: Any, loc: dict[str, Any], how: str) -> None:
    """``xen_bind_pirq_msi_to_irq``: the irq is on xen-pirq, with no event channel yet."""
    irq_no, dev, i = loc["irq"], loc["dev"], loc["i"]
    P = k.eng.prov
    P.dep(PC.D_VALUE, PK.key(PK.PIRQ, loc["pirq"]))
    P.write(PC.GUEST, PK.key(PK.GIRQ, irq_no), loc["pirq"],
            note=f"irq {irq_no} for {dev} vector {i} on pirq {loc['pirq']} ({how})")
    gx(k)["irqs"][irq_no] = {"pirq": loc["pirq"], "port": 0, "cpu": 0, "dev": dev, "index": k.w.irqs[irq_no].index}
    k.ev(XEN_IRQ, dev, irq_no, loc["pirq"], k.s(how))
    loc["i"] = i + 1
    k.goto("next_desc")


def _new_irq(k: Any, loc: dict[str, Any]) -> bool:
    """The next descriptor's irq (False when all are done)."""
    p = pci.pdev(k, loc["dev"])
    if loc["i"] >= len(p["descs"]):
        return False
    pd = p["descs"][loc["i"]]      # (before 5.17 the list may hold another CPU's enable's descriptors too)
    desc = msi.new_irq_desc(k, loc["dev"], pd["index"], CHIP)
    if pd["irq"]:
        pd.setdefault("old", []).append(pd["irq"])
    pd["irq"] = desc.irq
    loc["irq"] = desc.irq
    # provenance: the irq exists from here (HVM: before its pirq and its bind, some events on) with no
    # x86 vector -- what ``why irqs[n].vector`` answers until xen_bind_pirq_msi_to_irq's record
    k.eng.prov.write(PC.GUEST, PK.key(PK.IRQVEC, desc.irq), 0,
                     note=f"irq {desc.irq} allocated for {loc['dev']} vector {loc['i']}: a Xen pirq irq, no x86 "
                          "vector (Xen delivers it through an event channel)")
    return True


def _native(k: Any, loc: dict[str, Any], then: str) -> bool:
    """The x86 MSI domain instead of pirqs: on HVM for every device when Xen offers no
    XENFEAT_hvm_pirqs (pci_xen_hvm_init returns early: ``platform.xen_hvm_pirqs``) or advertises APIC
    virtualization (xen_hvm_msi_init returns early; otherwise xen_setup_pci_msi replaces the
    domain for every PCI device, emulated ones included); on PV for a device pciback does not
    own (no such device exists on a real PV guest)."""
    if k.w.platform["kind"] == "xen-hvm":
        if X.uses_pirqs(k.w):       # no XENFEAT_hvm_pirqs or APIC virtualization: the native domain
            return False
    elif k.w.devices[loc["dev"]]["passthrough"]:
        return False
    k.call_then(then, "msi_domain_alloc_irqs", dev=loc["dev"], nvec=loc["nvec"], type=loc["type"])
    return True


# --- HVM setup ------------------------------------------------------------------------------------
hvm = program("xen_hvm_setup_msi_irqs", "arch/x86/pci/xen.c: a pirq per MSI descriptor",
              source=(C.LINUX_PCI_XEN, C.LINUX_REUSE))


@hvm.step
def start(k: Any, loc: dict[str, Any]) -> None:
    if _native(k, loc, "native_done"):
        return
    if loc["type"] == "msi" and loc["nvec"] > 1:
        k.ret(1)
        return
    loc["i"] = 0


@hvm.step
def next_desc(k: Any, loc: dict[str, Any]) -> None:
    if not _new_irq(k, loc):
        k.ret(0)
    elif not k.w.behaviour["xen_reuse_cached_pirq"]:
        k.goto("alloc")


@hvm.step
def read_back(k: Any, loc: dict[str, Any]) -> None:
    """af42b8d12f8a: ``__pci_read_msi_msg`` -- three trapped reads of the emulated entry."""
    dev, i = loc["dev"], loc["i"]
    msg = loc.setdefault("msg", [0, 0, 0])
    j = loc.get("j", 0)
    name = ("addr_lo", "addr_hi", "data")[j]
    if pci.pdev(k, dev)["mode"] != "msix":
        # one config read per register the capability has (a trapped read each on a passed-through
        # device; a device QEMU emulates itself answers from its own registers)
        msg[j] = pci.cfg_read(k, dev, name) if name in _msi_regs(k, dev) else 0
        if j == 2:
            loc.pop("j", None)
            k.note("__pci_read_msi_msg", msg[2], dev)
            return
    else:
        msg[j] = pci.msix_read(k, dev, i, name)
    if j < 2:
        loc["j"] = j + 1
        k.again()
    else:
        loc.pop("j")


def _msi_regs(k: Any, dev: str) -> set[str]:
    return {reg for _, _, reg in device.cfg_layout(k.w.devices[dev])}


@hvm.step
def decide(k: Any, loc: dict[str, Any]) -> None:
    """Re-use the cached pirq if the entry holds a pirq message and the guest has an irq for it."""
    lo, hi, data = loc.pop("msg")
    pirq = (hi & 0xFFFFFF00) | ((lo >> 12) & 0xFF)
    # 'msg.data == XEN_PIRQ_MSI_DATA': the pirq message's data as this kernel composes it (af42b8d12f8a's
    # check lived in releases that compose 0x4300; with kernel.xen_reuse_cached_pirq set on a 5.11+ kernel,
    # which composes ExtINT, the same check of its own message)
    if data == compose(pirq, sw(k, "xen_pirq_msi_extint"))[2] and irq_from_pirq(k, pirq) >= 0:
        loc["pirq"] = pirq
        P = k.eng.prov
        for reg in (0, 2):   # the pirq in the address, XEN_PIRQ_MSI_DATA in the data
            P.dep(PC.D_READBACK, PK.key(PK.READBACK, k.cpu_id << 4 | reg))
        P.dep(PC.D_OWNER, PK.key(PK.GIRQ, irq_from_pirq(k, pirq)))
        _bind(k, loc, "re-used the cached pirq")


@hvm.step
def alloc(k: Any, loc: dict[str, Any]) -> None:
    pirq = X.alloc_pirq(k.w)
    X.note_alloc(k.eng, pirq)
    refused = X.note_exhausted(k.eng, "PHYSDEVOP_get_free_pirq") if pirq < 0 else -1
    k.ev(XEN_HCALL, loc["dev"], k.s("PHYSDEVOP_get_free_pirq"), loc["i"], pirq, cost="hypercall")
    if pirq < 0:
        # xen_bind_pirq_msi_to_irq allocates the irq after the pirq: this descriptor never gets one
        msi.drop_irq(k, loc["dev"], k.w.irqs[loc["irq"]], loc["i"])
        if refused >= 0:    # xen_hvm_setup_msi_irqs turns the refusal into -ENODEV: the error links it
            k.eng.prov.dep_writer(PC.D_CAUSE, PK.key(PK.PIRQ, k.w.xen["nr_irqs_gsi"]), refused)
        k.ret(-ENODEV)
        return
    loc["pirq"] = pirq


@hvm.step
def write(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_write_msi_msg", irq=loc["irq"], msg=compose(loc["pirq"], sw(k, "xen_pirq_msi_extint")),
           parts="all")


@hvm.step
def bind(k: Any, loc: dict[str, Any]) -> None:
    _bind(k, loc, "fresh pirq")


@hvm.step
def native_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


teardown = program("xen_teardown_msi_irqs", "xen_destroy_irq for each irq (an HVM domU unmaps nothing)",
                   source=C.LINUX_TEARDOWN)


@teardown.step
def destroy(k: Any, loc: dict[str, Any]) -> None:
    descs = pci.pdev(k, loc["dev"])["descs"]
    i = loc.get("i", 0)
    while i < len(descs) and (descs[i]["irq"] not in gx(k)["irqs"]
                              or getattr(k.w.irqs.get(descs[i]["irq"]), "chip", None) == CHIP_GSI):  # (not pcifront's)
        i += 1
    if i >= len(descs):
        k.ret(0)
        return
    loc["i"] = i + 1
    irq_no = descs[i]["irq"]
    info = gx(k)["irqs"].pop(irq_no)
    k.eng.prov.write(PC.GUEST, PK.key(PK.GIRQ, irq_no), -1, note=f"irq {irq_no} destroyed (pirq {info['pirq']})")
    k.ev(XEN_IRQ, loc["dev"], irq_no, info["pirq"], k.s("destroyed"))
    k.again()


# --- PV setup (pcifront) -------------------------------------------------------------------------
def pciback(k: Any, fn: str, op: str) -> str | None:
    """Who writes the device's registers for a PV guest's pcifront request: dom0's pciback (``fn``,
    which calls dom0's own pci_enable_msi[x] / pci_disable_msi[x]) -- not the guest's CPU, whose
    step only waits for the op (provenance: the node's writer, ``device._set_reg``'s ``by``)."""
    if not k.eng.fresh or not k.eng.prov.on:
        return None
    return f"pciback in dom0 ({fn}, for CPU{k.cpu_id}'s pcifront {op})"


pv = program("xen_setup_msi_irqs", "pcifront: pciback enables MSI/MSI-X and maps the pirqs",
             source=C.LINUX_PV_MSI)


@pv.step
def pv_enable(k: Any, loc: dict[str, Any]) -> None:
    if _native(k, loc, "native_done_pv"):
        return
    if loc["type"] == "msi" and loc["nvec"] > 1:
        k.ret(1)
        return
    dev = loc["dev"]
    descs = pci.pdev(k, dev)["descs"]
    # pci_frontend_enable_msix: 'op.value = nvec' -- this enable's count, not the list's -- and the entry
    # numbers of the listed descriptors (before 5.17 for_each_pci_msi_entry: the whole list, another enable's
    # first if it appended first; from 5.17 msi_for_each_desc(..., MSI_DESC_NOTASSOCIATED)); pciback's
    # xen_pcibk_enable_msix takes op->msix_entries[0 .. op->value) (reading pcifront.msix-walk)
    n = loc["nvec"] if loc["type"] == "msix" else 1
    msix = loc["type"] == "msix"
    if msix and n > SH_INFO_MAX_VEC:
        # pci_frontend_enable_msix: "too many vectors ... Increase SH_INFO_MAX_VEC", before any op
        k.note(f"pcifront: {n} MSI-X vectors > SH_INFO_MAX_VEC ({SH_INFO_MAX_VEC})", -EINVAL, dev)
        k.ret(-EINVAL)
        return
    op = "XEN_PCI_OP_enable_msix" if msix else "XEN_PCI_OP_enable_msi"
    refused = _pciback_refuses(k, dev, msix)
    if refused:
        # MSI-X: pcifront returns op->err as it is; MSI: XEN_PCI_ERR_op_failed, which
        # pci_frontend_enable_msi turns into -EINVAL
        err = -refused if msix else -EINVAL
        k.ev(XEN_HCALL, dev, k.s(op), n, err, cost="trap")
        k.ret(err)
        return
    # pciback (xen_pcibk_enable_msix: pci_enable_msix_exact; xen_pcibk_enable_msi: pci_enable_msi) in
    # dom0: dom0's setup maps a pirq per vector for this domain (PHYSDEVOP_map_pirq); when one fails, its
    # free_msi_irqs unmaps those already mapped (xen_destroy_irq) and the device is never enabled
    pirqs: list[int] = []
    refused = -1
    listed = _listed(k, descs)
    for i in range(min(n, len(listed))):
        pirq = X.map_pirq(k.eng, -1, dev, listed[i]["index"], loc["type"])
        if pirq < 0:
            refused = X.refusal(k.eng)
            break
        pirqs.append(pirq)
    if len(pirqs) < n:
        for pirq in pirqs:
            X.unmap_pirq(k.eng, pirq)
        # MSI-X: pciback passes dom0's -ENOSPC back (op->err); MSI: pciback answers
        # XEN_PCI_ERR_op_failed and pci_frontend_enable_msi turns any error into -EINVAL
        err = -ENOSPC if msix else -EINVAL
        k.ev(XEN_HCALL, dev, k.s(op), n, err, cost="trap")
        if refused >= 0:     # the error links Xen's refusal
            k.eng.prov.dep_writer(PC.D_CAUSE, PK.key(PK.PIRQ, k.w.xen["nr_irqs_gsi"]), refused)
        k.ret(err)
        return
    loc["pirqs"] = pirqs
    d = k.w.devices[dev]
    by = pciback(k, "xen_pcibk_enable_msix" if msix else "xen_pcibk_enable_msi", op)
    if msix:
        device._set_reg(k.eng, dev, d, "msix_ctrl",
                        X.dom0_msix_ctrl(k.w, dev, (d["msix"]["ctrl"] | MSIX_ENABLE) & ~MSIX_MASKALL), by)
    else:
        device._set_reg(k.eng, dev, d, "msi_ctrl", d["msi"]["ctrl"] | MSI_ENABLE, by)
    if not d["cmd"] & CMD_INTX_DISABLE:
        # dom0's msi[x]_capability_init: pci_intx_for_msi(dev, 0) -- every function, pin or not; pci_intx writes
        # only a change (reading kernel.intx.for-msi, xen.intx.pv-cmd)
        device._set_reg(k.eng, dev, d, "cmd", d["cmd"] | CMD_INTX_DISABLE, by)
    k.ev(XEN_HCALL, dev, k.s(op), n, pirqs[0] if pirqs else -1, cost="trap")
    loc["i"] = 0


def _pciback_refuses(k: Any, dev: str, msix: bool) -> int:
    """pciback's checks before dom0's enable (``kernel.pciback_msi_enabled_check``, XSA-157; reading
    pcifront.msix-walk): xen_pcibk_enable_msix 'if (dev->msix_enabled) return -EALREADY;' and 'if
    (dev->msi_enabled || !(cmd & PCI_COMMAND_MEMORY)) return -ENXIO;', xen_pcibk_enable_msi 'if
    (dev->msi_enabled) status = -EALREADY; else if (dev->msix_enabled) status = -ENXIO;' -- dom0's flags, which
    its own enable set with the Enable bits it owns (the device's). Before XSA-157 pciback calls dom0's
    pci_enable_msix / pci_enable_msi_block at once, which refuse only the other kind ('can't enable MSI-X (MSI
    IRQ already assigned)' / '(MSI-X already enabled)': -EINVAL) and WARN_ON the same kind and go on."""
    d = k.w.devices[dev]
    msix_on = d["msix"] is not None and bool(d["msix"]["ctrl"] & MSIX_ENABLE)
    msi_on = d["msi"] is not None and bool(d["msi"]["ctrl"] & MSI_ENABLE)
    if not sw(k, "pciback_msi_enabled_check"):
        return EINVAL if (msi_on if msix else msix_on) else 0
    if msix:
        return EALREADY if msix_on else ENXIO if msi_on or not d["cmd"] & CMD_MEMORY else 0
    return EALREADY if msi_on else ENXIO if msix_on else 0


def _listed(k: Any, descs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The descriptors pcifront walks: every one on the list before 5.17 (``kernel.msi_descs_lock`` none:
    for_each_pci_msi_entry), from it those without an irq (msi_for_each_desc(..., MSI_DESC_NOTASSOCIATED))."""
    if sw(k, "msi_descs_lock") == "none":
        return list(descs)
    return [pd for pd in descs if not pd["irq"]]


@pv.step
def pv_next(k: Any, loc: dict[str, Any]) -> None:
    descs = pci.pdev(k, loc["dev"])["descs"]
    while sw(k, "msi_descs_lock") != "none" and loc["i"] < len(descs) and descs[loc["i"]]["irq"]:
        loc["i"] += 1       # (5.17+: MSI_DESC_NOTASSOCIATED skips a descriptor that has an irq)
    j = loc.get("bound", 0)     # v[j]: the pirqs pcifront returned, in walk order
    if j >= len(loc["pirqs"]) and loc["i"] < len(descs):
        # before 5.17 the walk goes on over descriptors another enable listed: xen_setup_msi_irqs reads
        # v[j] past the max(1, nvec) ints it kcalloc'd -- a heap read msidbg cannot give a value to
        k.note(f"xen_setup_msi_irqs: descriptor {loc['i']} is past the {len(loc['pirqs'])} pirq(s) pcifront "
               "returned: v[i] is read out of bounds (not simulated: this walk binds no irq for it or the "
               "descriptors after it)", -EINVAL, loc["dev"])
        k.ret(0)
        return
    if not _new_irq(k, loc):
        k.ret(0)
        return
    loc["pirq"] = loc["pirqs"][j]
    loc["bound"] = j + 1
    # xen_bind_pirq_msi_to_irq on the pirq pciback mapped (provenance: as ``_bind`` records it)
    P = k.eng.prov
    P.dep(PC.D_VALUE, PK.key(PK.PIRQ, loc["pirq"]))
    P.write(PC.GUEST, PK.key(PK.GIRQ, loc["irq"]), loc["pirq"],
            note=f"irq {loc['irq']} for {loc['dev']} vector {loc['i']} on pirq {loc['pirq']} (pirq from pciback)")
    gx(k)["irqs"][loc["irq"]] = {"pirq": loc["pirq"], "port": 0, "cpu": 0, "dev": loc["dev"], "index": loc["i"]}
    k.ev(XEN_IRQ, loc["dev"], loc["irq"], loc["pirq"], k.s("pirq from pciback"))
    loc["i"] += 1
    k.again()


@pv.step
def native_done_pv(k: Any, loc: dict[str, Any]) -> None:
    k.ret(loc["ret"])


pv_teardown = program("xen_pv_teardown_msi_irqs", "pcifront: pciback disables and unmaps, then the irqs go",
                      source=C.LINUX_PV_MSI)


@pv_teardown.step
def pv_disable(k: Any, loc: dict[str, Any]) -> None:
    dev = loc["dev"]
    if not k.w.devices[dev]["passthrough"]:
        k.ret(0)
        return
    x = k.w.xen
    mine = [p for p in sorted(x["pirqs"]) if x["pirqs"][p]["dev"] == dev and x["pirqs"][p]["irq"] > 0
            and x["pirqs"][p]["type"] != "gsi"]     # (not the GSI pirq of its pcifront INTx)
    for p in mine:
        X.unmap_pirq(k.eng, p)
    d = k.w.devices[dev]
    # the first MSI descriptor's is_msix; descriptors another CPU's INTx fallback replaced meanwhile (the
    # model keeps INTx's dev->irq there) leave the capability pciback enabled to say it
    msix = pci.pdev(k, dev)["mode"] == "msix" or (pci.pdev(k, dev)["mode"] != "msi" and d["msix"] is not None
                                                  and bool(d["msix"]["ctrl"] & MSIX_ENABLE))
    if d["msi"] is None:
        msix = True
    elif d["msix"] is None:
        msix = False
    op = "XEN_PCI_OP_disable_msix" if msix else "XEN_PCI_OP_disable_msi"
    if msix:
        device._set_reg(k.eng, dev, d, "msix_ctrl", X.dom0_msix_ctrl(k.w, dev, d["msix"]["ctrl"] & ~MSIX_ENABLE),
                        pciback(k, "xen_pcibk_disable_msix", op))
    else:
        device._set_reg(k.eng, dev, d, "msi_ctrl", d["msi"]["ctrl"] & ~MSI_ENABLE,
                        pciback(k, "xen_pcibk_disable_msi", op))
    if d["cmd"] & CMD_INTX_DISABLE:    # dom0's pci_msi[x]_shutdown: pci_intx_for_msi(dev, 1) (every function)
        device._set_reg(k.eng, dev, d, "cmd", d["cmd"] & ~CMD_INTX_DISABLE, pciback(k, "pci_intx_for_msi", op))
    k.ev(XEN_HCALL, dev, k.s(op), len(mine), 0, cost="trap")
    k.call("xen_teardown_msi_irqs", dev=dev)


@pv_teardown.step
def pv_done(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


# --- registration ------------------------------------------------------------------------------------------
for _route, _setup, _teardown in (("xen-hvm", "xen_hvm_setup_msi_irqs", "xen_teardown_msi_irqs"),
                                  ("xen-pv", "xen_setup_msi_irqs", "xen_pv_teardown_msi_irqs")):
    msi.ARCH_SETUP[_route] = _setup
    msi.ARCH_TEARDOWN[_route] = _teardown
