"""Where a value may have changed: the provenance store's write records as an index for ``last_change``.

``last_change`` is exact by re-execution: it restores saved worlds and evaluates the path after
every event. Without an index it must scan history backwards until it finds the change, which
for a value written once at probe time is the whole run (tens of seconds at a million events).

For some paths the model records every write: the provenance store (``msidbg.model.prov``)
keeps, per tracked key, the chain of records that wrote it. When *every* step that changes the
path's value leaves such a record, the value cannot change at an event without one, so
``last_change`` need only re-execute the saved segments that hold a recorded write, and
checks on the way that the index told the truth (``Motion.last_change``).

Only key spaces whose writers were audited are used (``INDEXED``); the rest answer ``None``
(no index) and take the full backward scan. Audited (every assignment to these world fields
in ``msidbg/model``):

* ``devices.D.msix.table[i].{addr_lo,addr_hi,data,ctrl}`` (``REG``): ``device.table_write``
  (the guest's and QEMU's MMIO writes; Xen's vMSI-X intercept goes through it too), Xen's
  ``setup_msi_irq`` (``xen._program``) and its physical mask (``xen.set_phys_mask``). Each
  records the write before it makes it.
* ``devices.D.msi.{addr_lo,addr_hi,data,mask}`` (``MSIREG`` 0..3): config writes
  (``device._set_reg``) and the same two Xen paths. Not ``msi.ctrl``: the Xen guest's
  ``pci_enable_msi`` shortcut (``model/kernel/xen.py``) sets its Enable bit with no record.

A record whose write left the value as it was is only a candidate; the re-execution decides.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import provkeys as PK

#: key space -> the register indexes whose every write is recorded (None: all of them)
INDEXED: dict[int, frozenset[int] | None] = {PK.REG: None, PK.MSIREG: frozenset(range(4))}


def write_events(eng: Any, path: str, upto: int) -> list[int] | None:
    """Events <= ``upto`` at which the model recorded a write of ``path``, ascending (empty:
    never written); None when ``path`` has no complete write index (or nothing was recorded)."""
    prov = getattr(eng, "prov", None)
    if prov is None or not getattr(prov, "on", False):
        return None
    parsed = PK.parse(path)
    if parsed is None:
        return None
    space, devname, a, b = parsed
    if space not in INDEXED:
        return None
    regs = INDEXED[space]
    reg = b if space == PK.REG else a
    if regs is not None and reg not in regs:
        return None
    dev = prov.dev_ids.get(devname) if devname is not None else 0
    if dev is None:
        return []   # the store never saw the device: nothing wrote it
    key = PK.key(space, PK.payload(space, dev, a, b))
    out: list[int] = []
    r = prov.cur.get(key, -1)
    while r >= 0:
        ev = prov.event(r)
        if ev <= upto and (not out or out[-1] != ev):
            out.append(ev)
        r = prov.prev(r)
    out.reverse()
    return out
