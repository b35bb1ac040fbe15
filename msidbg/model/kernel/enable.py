"""The Command register as the PCI core drives it (drivers/pci/pci.c).

* ``pci_enable_device``: the first enable (``enable_cnt`` 0 -> 1) turns on decoding of the BARs the
  device has (``pci_enable_resources``: Memory Space for our devices, whose BARs -- the MSI-X table
  and PBA -- are memory), writing the Command register only when a bit changes; a further enable
  only counts.
* ``pci_set_master``: Bus Master Enable on (``__pci_set_master``: written only when it changes).
* ``pci_disable_device``: the last disable (``enable_cnt`` -> 0) clears Bus Master Enable only
  (``do_pci_disable_device``); Memory Space stays on.

Reads go through the platform's accessors: a Xen HVM guest reads QEMU's emulated Command register,
a PV guest pciback's.
"""

from __future__ import annotations

from typing import Any

from msidbg.model.hw import CMD_MASTER, CMD_MEMORY, PCI_COMMAND
from msidbg.model.kernel import pci
from msidbg.model.kernel import sources as S
from msidbg.sim.program import program

enable = program("pci_enable_device", "pci_enable_device: the first enable turns on Memory Space decoding",
                 source=S.PCI_ENABLE)


@enable.step
def enable_resources(k: Any, loc: dict[str, Any]) -> None:
    """pci_enable_device_flags: atomic_inc_return(&enable_cnt) > 1 -> already enabled; else
    do_pci_enable_device -> pcibios_enable_device -> pci_enable_resources."""
    p = pci.pdev(k, loc["dev"])
    if p["enable_cnt"] >= 1:
        p["enable_cnt"] += 1
        return
    cmd = pci.cmd_read(k, loc["dev"])   # (a trapped read runs this step again: nothing done before it)
    p["enable_cnt"] += 1
    if not cmd & CMD_MEMORY:
        pci.cfg_write(k, loc["dev"], PCI_COMMAND, cmd | CMD_MEMORY, 2)


@enable.step
def enabled(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


master = program("pci_set_master", "pci_set_master: Bus Master Enable on", source=S.PCI_ENABLE)


@master.step
def set_bme(k: Any, loc: dict[str, Any]) -> None:
    """__pci_set_master(dev, true): the Command register is written only if Bus Master changes."""
    cmd = pci.cmd_read(k, loc["dev"])
    pci.pdev(k, loc["dev"])["is_busmaster"] = True
    if not cmd & CMD_MASTER:
        pci.cfg_write(k, loc["dev"], PCI_COMMAND, cmd | CMD_MASTER, 2)


@master.step
def mastered(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)


disable = program("pci_disable_device", "pci_disable_device: the last disable clears Bus Master Enable",
                  source=S.PCI_ENABLE)


@disable.step
def clear_bme(k: Any, loc: dict[str, Any]) -> None:
    """atomic_dec_return(&enable_cnt) != 0 -> nothing more; else do_pci_disable_device clears Bus
    Master Enable (if set) and is_busmaster = 0. Memory Space is left on."""
    p = pci.pdev(k, loc["dev"])
    if p["enable_cnt"] <= 0:
        k.note("pci_disable_device on a device that is not enabled", 0, loc["dev"])
        return
    if p["enable_cnt"] > 1:
        p["enable_cnt"] -= 1
        return
    cmd = pci.cmd_read(k, loc["dev"])   # (a trapped read runs this step again: nothing done before it)
    p["enable_cnt"] -= 1
    p["is_busmaster"] = False
    if cmd & CMD_MASTER:
        pci.cfg_write(k, loc["dev"], PCI_COMMAND, cmd & ~CMD_MASTER, 2)


@disable.step
def disabled(k: Any, loc: dict[str, Any]) -> None:
    k.ret(0)
