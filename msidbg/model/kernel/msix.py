"""msix_capability_init (drivers/pci/msi.c, drivers/pci/msi/msi.c) in both of its orders.

``msix_enable_first`` (438553958ba1 "PCI/MSI: Enable and mask MSI-X early", 5.14 and the
5.10.60 / 5.4.142 stable releases):

* before it (``legacy``): MSI-X Enable is cleared, the descriptors are built, the irqs are set
  up (their messages written while MSI-X is disabled), then Enable | Function Mask is set,
  ``msix_program_entries`` reads each used entry's Vector Control and masks the entry, and
  Function Mask is cleared. An irq setup failure leaves the entries untouched.
* from it: Enable | Function Mask first; then (``msix_mask_all: early``, 7d5ec3d36123) every
  table entry is masked; the descriptors cache each entry's Vector Control (only when the
  entry can be masked, 9c8e9c9681a0, ``msix_ctrl_read_can_mask``; 5.17 .. 6.0 only when it cannot,
  71020a3c0dff's inverted test); the irqs are set up; then
  (``late``, 83dbf898a2d4) every entry is masked; Function Mask is cleared. The error path
  (``out_disable``) clears Enable -- and Function Mask too from 94185adbfad5
  (``msix_error_clears_maskall``) -- but leaves the entry masks as they are.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.hw import ENTRY_MASKBIT, MSIX_CTRL, MSIX_ENABLE, MSIX_MASKALL
from msidbg.model.kernel import pci
from msidbg.model.kernel import sources as S
from msidbg.model.kernel.msi import (
    EBUSY,
    cache_ctrl,
    ctrl_read,
    hwdev,
    lock_descs,
    lock_in_setup,
    msix_flag_written,
    new_pdesc,
    populate_sysfs,
    unlock_descs,
)
from msidbg.model.kernel.sw import sw
from msidbg.sim.program import program

EFAULT = 14

msix_init = program("msix_capability_init", "drivers/pci/msi: enable MSI-X and set up its irqs",
                    source=(S.MSIX_INIT, S.MSIX_CTRL_INVERTED, S.MSIX_MASK_ALL_PV, S.MSIX_INIT_OLD, S.PCI_FAIL_OLD,
                            S.AVAIL_LEGACY) + S.ENABLE_LOCK_LATE)


@msix_init.step
def ctrl_enable(k: Any, loc: dict[str, Any]) -> None:
    """Enable | Function Mask first (5.14+); before 438553958ba1: Enable cleared for the setup."""
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    loc["first"] = bool(sw(k, "msix_enable_first"))
    if loc["first"]:
        pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur | MSIX_ENABLE | MSIX_MASKALL, 2)
    else:
        pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~MSIX_ENABLE, 2)
    if sw(k, "msi_enabled_early"):       # c7ecb95ca6a8: 'Mark it enabled so setup functions can query it'
        pci.pdev(k, loc["dev"])["msix_enabled"] = True
        msix_flag_written(k, loc["dev"])


@msix_init.step
def mask_early(k: Any, loc: dict[str, Any]) -> None:
    if loc["first"] and sw(k, "msix_mask_all") == "early":
        _mask_all_step(k, loc)


@msix_init.step
def setup_entries(k: Any, loc: dict[str, Any]) -> None:
    """msix_setup_interrupts: msi_lock_descs (5.17+: here, after the Enable write and the early flag -- a
    concurrent enable that passed __pci_enable_msix_range's flag test sleeps here), then
    msix_setup_msi_descs: one descriptor per vector. From 5.14 each
    caches its entry's Vector Control (an MMIO read); from 9c8e9c9681a0 only when the entry can
    be masked (not under pci_msi_ignore_mask); 5.17 .. 6.0 (71020a3c0dff .. 2b96f92ca425) only when
    it cannot, so a maskable entry's cached Vector Control is 0 -- 'unmasked' to the masked-update
    of __pci_write_msi_msg and to pci_msix_unmask. Before 5.14 the read comes later.

    msi_add_msi_desc inserts each descriptor at its index (xa_insert, 5.17+; msi_insert_desc): an index
    already stored -- another enable's descriptors, set up while this one slept on the mutex -- is -EBUSY,
    and the error path (out_free) tears the device's irqs down (reading ``kernel.msi.enable-insert-busy``)."""
    p = pci.pdev(k, loc["dev"])
    i = loc.get("i", 0)
    if i == 0 and lock_in_setup(k) and "locked" not in loc:
        if not lock_descs(k, loc["dev"]):
            return      # sleeps on the mutex: this step runs again
        loc["locked"] = 1
    stored = lock_in_setup(k) and any(d["index"] == i for d in p["descs"])
    if i == 0 and not stored:
        if lock_in_setup(k):
            p["descs"] = []
        # before 5.17 msix_setup_entries' list_add_tail appends to dev->msi_list, beside any descriptors
        # another CPU's unserialised enable put there (reading kernel.msi.enable-unserialised)
        p["mode"] = "msix"
    if i < loc["nvec"]:
        ctrl = 0
        which = sw(k, "msix_ctrl_read_can_mask")
        can_mask = not pci.ignore_mask(k)
        if loc["first"] and (which is False or (can_mask if which is True else not can_mask)):
            if not stored:
                ctrl = pci.msix_read(k, loc["dev"], i, "ctrl")
                cache_ctrl(k, loc["dev"], i, ctrl, "msix_setup_msi_descs read Vector Control into the descriptor")
            elif loc.pop("read", None) != i:
                # 'desc.pci.msix_ctrl = readl(addr + PCI_MSIX_ENTRY_VECTOR_CTRL);' comes before
                # 'ret = msi_add_msi_desc(&dev->dev, &desc);': the read is this step, the insert's -EBUSY the
                # next (one event a step: both in one raised an EngineError -- tests/hardening31)
                pci.msix_read(k, loc["dev"], i, "ctrl")
                loc["read"] = i
                k.again()
                return
        if stored:
            k.note(f"msi_add_msi_desc: xa_insert(index {i}): the index is stored already (another enable's "
                   "descriptor): -EBUSY", -EBUSY, loc["dev"])
            loc.pop("i", None)
            loc["err"] = -EBUSY
            k.goto("out_free")
            return
        p["descs"].append(new_pdesc(i, ctrl, loc.get("masks")))
        loc["i"] = i + 1
        k.again()
        return
    loc.pop("i")


@msix_init.step
def setup_irqs(k: Any, loc: dict[str, Any]) -> None:
    k.call("pci_msi_setup_msi_irqs", dev=loc["dev"], nvec=loc["nvec"], type="msix")


@msix_init.step
def check_irqs(k: Any, loc: dict[str, Any]) -> None:
    """A failed setup goes to out_free with its answer: positive (how many vectors the domain could
    allocate) is passed up to the range helper's retry. Before 60bf9b33c82c (5.17,
    ``msix_avail_retry``) msix_capability_init turned any error into the number of descriptors that
    got an irq (out_avail) -- the count the irqdomain path returns itself, but also the pirqs Xen's
    xen_hvm_setup_msi_irqs bound before one failed, which from 5.17 fail the whole setup."""
    ret = loc["ret"]
    if ret != 0:
        if ret < 0 and sw(k, "msix_avail_retry"):
            avail = sum(1 for d in pci.pdev(k, loc["dev"])["descs"] if d["irq"])
            if avail:
                k.note(f"out_avail: {avail} descriptor(s) got an irq before the setup failed ({ret})", avail,
                       loc["dev"])
                ret = avail
        loc["err"] = ret
        k.goto("out_free")
        return
    if loc.pop("locked", None):
        unlock_descs(k, loc["dev"])     # msix_setup_interrupts' out_unlock
    if not loc["first"]:
        cur = ctrl_read(k, loc["dev"], "msix_ctrl")
        pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur | MSIX_ENABLE | MSIX_MASKALL, 2)


@msix_init.step
def program_entries(k: Any, loc: dict[str, Any]) -> None:
    """msix_program_entries (before 5.14): read each used entry's Vector Control into the
    descriptor, then mask the entry (no write under pci_msi_ignore_mask)."""
    if loc["first"]:
        return
    p = pci.pdev(k, loc["dev"])
    i = loc.get("i", 0)
    if i >= len(p["descs"]):
        loc.pop("i", None)
        return
    # for_each_pci_msi_entry: every descriptor on the list (another CPU's unserialised enable's too), each at
    # its entry (msi_attrib.entry_nr)
    d = p["descs"][i]
    e = d["index"]
    if loc.get("read", False):
        loc["read"] = False
        loc["i"] = i + 1
        if not pci.ignore_mask(k):
            if not d["msix_ctrl"] & ENTRY_MASKBIT:
                cache_ctrl(k, loc["dev"], e, d["msix_ctrl"] | ENTRY_MASKBIT, "msix_program_entries masked the entry",
                           update=True)
            d["msix_ctrl"] |= ENTRY_MASKBIT
            pci.msix_write(k, loc["dev"], e, "ctrl", d["msix_ctrl"])
    else:
        d["msix_ctrl"] = pci.msix_read(k, loc["dev"], e, "ctrl")    # (a trapped read may run this again)
        cache_ctrl(k, loc["dev"], e, d["msix_ctrl"], "msix_program_entries read Vector Control into the descriptor")
        loc["read"] = True
    k.again()


@msix_init.step
def sysfs(k: Any, loc: dict[str, Any]) -> None:
    """populate_msi_sysfs / msi_populate_sysfs before 5.17: -EEXIST when another CPU's enable made the device's
    'msi_irqs' group, and 'goto out_free' (msi.populate_sysfs, reading kernel.msi.sysfs-eexist)."""
    if not populate_sysfs(k, loc):
        k.goto("out_free")


@msix_init.step
def mask_late(k: Any, loc: dict[str, Any]) -> None:
    if loc["first"] and sw(k, "msix_mask_all") == "late":
        _mask_all_step(k, loc)


@msix_init.step
def intx_off(k: Any, loc: dict[str, Any]) -> None:
    """'pci_intx_for_msi(dev, 0);' before Function Mask is cleared (every release: the INTx Disable
    write of kernel/intx.py, bare metal and xen-hvm)."""
    k.call("pci_intx_for_msi", dev=loc["dev"], enable=0)


@msix_init.step
def clear_maskall(k: Any, loc: dict[str, Any]) -> None:
    cur = ctrl_read(k, loc["dev"], "msix_ctrl")
    p = pci.pdev(k, loc["dev"])
    if not sw(k, "msi_enabled_early"):      # (from c7ecb95ca6a8 the flag was set at the start, and only there)
        p["msix_enabled"] = True
        msix_flag_written(k, loc["dev"])
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~MSIX_MASKALL, 2)
    k.ret(0)


@msix_init.step
def out_free(k: Any, loc: dict[str, Any]) -> None:
    k.call("free_msi_irqs", dev=loc["dev"])


@msix_init.step
def out_disable(k: Any, loc: dict[str, Any]) -> None:
    """Clear Enable (and, from 94185adbfad5, Function Mask); the entries keep their masks.
    Before 5.14 Enable was never set, so there is nothing to undo."""
    if loc.pop("locked", None):
        unlock_descs(k, loc["dev"])     # msix_setup_interrupts' out_unlock, after out_free's teardown
    cur = ctrl_read(k, loc["dev"], "msix_ctrl") if loc["first"] else 0     # (read before the step acts)
    p = pci.pdev(k, loc["dev"])
    if sw(k, "msi_enabled_early"):
        # c7ecb95ca6a8's 'dev->msix_enabled = 0;'; before it the error path leaves the flag as it is (another
        # CPU's unserialised enable may have set it, kernel33)
        p["msix_enabled"] = False
        msix_flag_written(k, loc["dev"])
    p["mode"] = None
    if not loc["first"]:
        k.ret(loc["err"])
        return
    clear = MSIX_ENABLE | (MSIX_MASKALL if sw(k, "msix_error_clears_maskall") else 0)
    pci.cfg_write(k, loc["dev"], MSIX_CTRL, cur & ~clear, 2)
    k.ret(loc["err"])


def _mask_all_step(k: Any, loc: dict[str, Any]) -> None:
    """msix_mask_all: write Mask=1 to every table entry (a no-op with pci_msi_ignore_mask, from
    1a519dc7a73c). The stable releases that took 7d5ec3d36123 before it (``msix_mask_all_ignore_mask``
    false) wrote anyway: a Xen PV guest maps the MSI-X table read-only, and its first write there is a
    page fault the kernel cannot fix up -- the task oopses in msix_capability_init. msidbg says so and
    ends the call there (its -EFAULT is msidbg's: the real caller never returns)."""
    if pci.ignore_mask(k):
        if k.w.platform["kind"] == "xen-pv" and not sw(k, "msix_mask_all_ignore_mask"):
            k.eng.prov.dep(PC.D_IGNORE_MASK, PK.key(PK.IGNMASK, 0))     # provenance: the flag it ignores (whyheld12)
            k.note("BUG: unable to handle page fault (#PF: supervisor write access in kernel mode, permissions "
                   "violation) in msix_mask_all: a Xen PV guest has no write access to the MSI-X table; the task "
                   "oopses (msidbg ends msix_capability_init here)", -EFAULT, loc["dev"])
            k.ret(-EFAULT)
        return
    size = len(hwdev(k, loc["dev"])["msix"]["table"])
    j = loc.get("j", 0)
    pci.msix_write(k, loc["dev"], j, "ctrl", ENTRY_MASKBIT)
    if j + 1 < size:
        loc["j"] = j + 1
        k.again()
    else:
        loc.pop("j", None)
