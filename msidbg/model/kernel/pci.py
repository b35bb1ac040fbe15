"""The guest kernel's accessors for config space and the MSI-X table.

Kernel programs never touch device registers directly: they go through these, so a
platform can interpose (Xen HVM passthrough traps every access into QEMU).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import device

#: platform interposers: platform route -> module with cfg_write/msix_write/msix_read
ACCESSORS: dict[str, Any] = {}


def _direct(k: Any, dev: str) -> bool:
    acc = ACCESSORS.get(k.w.platform["route"])
    return acc is None or not acc.interposes(k, dev)


def direct(k: Any, dev: str) -> bool:
    """The guest's accesses reach the device itself (nothing on the platform interposes)."""
    return _direct(k, dev)


def msix_write_narrow(k: Any, dev: str, entry: int, reg: str, value: int, size: int) -> None:
    """A 1- or 2-byte table write to an interposed device (the ``write`` action)."""
    ACCESSORS[k.w.platform["route"]].msix_write_narrow(k, dev, entry, reg, value, size)


def cfg_write(k: Any, dev: str, offset: int, value: int, size: int) -> None:
    if _direct(k, dev):
        device.cfg_write(k.eng, k.cpu_id, dev, offset, value, size)
        k.touched("cfg_write")
    else:
        ACCESSORS[k.w.platform["route"]].cfg_write(k, dev, offset, value, size)


def cmd_read(k: Any, dev: str) -> int:
    """The Command register as the kernel reads it (QEMU's or pciback's view on Xen)."""
    if _direct(k, dev):
        return int(k.w.devices[dev]["cmd"])
    return int(ACCESSORS[k.w.platform["route"]].cfg_read_io(k, dev, "cmd"))


def cfg_read(k: Any, dev: str, name: str) -> int:
    """A config read the guest makes (pci_read_config_*): the device's register, or on an
    interposed device the platform's answer -- on xen-hvm an ioreq QEMU serves in turn, so the
    calling step stops and runs again with the value (``sim.program.Replay``): at most one such read
    per run of a step, and nothing before it in the step that cannot run twice."""
    if _direct(k, dev):
        d = k.w.devices[dev]
        return int(d["cmd"] if name == "cmd" else d["msix"]["ctrl"] if name == "msix_ctrl" else d["msi"]["ctrl"]
                   if name == "msi_ctrl" else d["msi"][name])
    return int(ACCESSORS[k.w.platform["route"]].cfg_read_io(k, dev, name))


def msix_write(k: Any, dev: str, entry: int, reg: str, value: int) -> None:
    if _direct(k, dev):
        device.table_write(k.eng, k.cpu_id, dev, entry, reg, value)
        k.touched("mmio_write")
    else:
        ACCESSORS[k.w.platform["route"]].msix_write(k, dev, entry, reg, value)


def msix_read(k: Any, dev: str, entry: int, reg: str) -> int:
    """A table read (readl): on xen-hvm passthrough an ioreq QEMU serves unless Xen's vMSI-X
    intercept answers it -- the same rules as ``cfg_read``."""
    if _direct(k, dev):
        value = device.table_read(k.eng, k.cpu_id, dev, entry, reg)
        k.touched("mmio_read")
        return value
    return int(ACCESSORS[k.w.platform["route"]].msix_read(k, dev, entry, reg))


def pdev(k: Any, dev: str) -> dict[str, Any]:
    """The kernel's ``struct pci_dev`` view of a device (MSI state, descriptors, status)."""
    return k.w.kernel["pci"][dev]


def ignore_mask(k: Any) -> bool:
    """``pci_msi_ignore_mask``: set on Xen PV, and on Xen HVM with 7e0815b3e099."""
    return bool(k.w.kernel["ignore_mask"])
