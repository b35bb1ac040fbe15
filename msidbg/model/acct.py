"""Signal accounting: raised, delivered, lost and spurious, counted from what happened.

Every device signal is followed through the model (PBA, IRR, ISR, handler). It is
*delivered* when the device's own handler for that vector runs after it was raised
(coalesced signals are delivered by the same handler run); it is *lost* when the
mechanism can no longer deliver it (wrong vector, wrong handler, no CPU, a mask nobody
clears before the end of the run). So raised == delivered + lost + still in flight.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import hits
from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK

World = Any     # a world record (sim/rec.py WorldRec)


def new_acct(nvec: int) -> dict[str, Any]:
    zeros = [0] * nvec
    return {
        "raised": list(zeros),
        "delivered": list(zeros),
        "lost": list(zeros),
        "spurious": list(zeros),
        "handled": list(zeros),  # handler runs that delivered at least one signal (doorbell waits)
        "held": list(zeros),     # signals held behind a mask (PBA or MSI pending bit)
        # messages written as a whole into the device's own registers, per MSI-X entry: by the kernel
        # when its writes reach the device, else by Xen (the host message); never a guest message
        # held only in QEMU's emulated registers (xentorn)
        "intended": [[] for _ in range(nvec)],
        "msi_intended": [],      # ... and for the MSI capability's single address/data pair
    }


def intend(entry_list: list[list[int]], msg: list[int]) -> None:
    """Remember that the kernel programmed ``msg`` as a whole (the last 4 distinct ones are kept).

    A message programmed again becomes the newest: it may be what the device holds now. (It was
    left where it first came, so three later messages evicted it while the device still held
    it, and a signal sending it whole was reported torn: 6f1a4891a592's two writes per move
    program four messages in two moves, e.g. CPU2/0x22 -> CPU3 -> CPU2/0x23 then a hotplug move.)"""
    if msg in entry_list:
        entry_list.remove(msg)
    entry_list.append(list(msg))
    if len(entry_list) > 4:
        del entry_list[0]


def lost(eng: Any, dev: str, idx: int, n: int, why: str, spurious: bool = False) -> None:
    """``n`` signals of ``dev`` vector ``idx`` can no longer reach their handler."""
    a = eng.w.acct[dev]
    a["lost"][idx] += n
    P = eng.prov
    if P.on and eng.fresh:
        de = PK.dev_entry(P.dev(dev), idx)
        _cached_msg(eng, P, dev, de)
        P.write(PC.LOST, PK.key(PK.LOST, de), n, also=(PK.key(PK.SIG, de),), note=why)
    if spurious:
        a["spurious"][idx] += n
        eng.hit(hits.IRQ_SPURIOUS, f"{dev} vector {idx}: {why}")
    eng.hit(hits.IRQ_LOST, f"{dev} vector {idx}: {n} signal(s) {why}")


def _cached_msg(eng: Any, P: Any, dev: str, de: int) -> None:
    """(why32) The kernel's message for this vector was only cached (the function out of D0) after the device's last
    message write, and never written since: the loss links that cache (or the thaw that left it unwritten)."""
    p = eng.w.kernel.get("pci", {}).get(dev)
    if p is None or p.get("mode") not in ("msix", "msi"):
        return
    msix = p["mode"] == "msix"
    d = de >> 16
    ck = PK.key(PK.KCMSG, de if msix else PK.dev_entry(d, 0))
    c = P.writer(ck)
    if c < 0:
        return
    m = P.writer(PK.key(PK.MSG, de) if msix else PK.key(PK.MSIMSG, d))
    if m < 0 or P.event(c) > P.event(m):
        P.dep(PC.D_CACHED_MSG, ck)


def settle(eng: Any, srcs: list[list[Any]], irq_dev: str | None, irq_index: int, where: str,
           owner_key: int = -1) -> int:
    """A handler for (irq_dev, irq_index) ran for signals with provenance ``srcs``.

    Signals from that device and vector are delivered; any others reached the wrong
    handler (spurious for them, and lost). Returns the number delivered. ``owner_key`` is the
    provenance key of what made the handler the one that ran (the vector_irq slot, a port).
    """
    delivered = 0
    acct = eng.w.acct
    for dev, idx, n in srcs:
        if dev == irq_dev and idx == irq_index:
            a = acct[dev]
            a["delivered"][idx] += n
            delivered += n
        else:
            owner = f"{irq_dev} vector {irq_index}" if irq_dev else "another irq"
            if owner_key >= 0:
                eng.prov.dep(PC.D_OWNER, owner_key)
            lost(eng, dev, idx, n, f"reached the handler of {owner} ({where})", spurious=True)
    return delivered


def in_flight(w: World) -> dict[tuple[str, int], int]:
    """Signals raised but neither delivered nor lost yet, by (device, vector)."""
    out: dict[tuple[str, int], int] = {}
    for dev, a in w.acct.items():
        for i, r in enumerate(a["raised"]):
            n = r - a["delivered"][i] - a["lost"][i]
            if n:
                out[(dev, i)] = n
    return out


def total_lost(w: World) -> int:
    """Every signal raised and not delivered, over all devices and vectors: the summary's ``lost``
    (``raised == delivered + lost``), which ``run.end`` reports."""
    return sum(r - d for a in w.acct.values() for r, d in zip(a["raised"], a["delivered"], strict=True))
