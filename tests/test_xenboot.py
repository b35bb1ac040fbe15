"""xenboot: the Command register a Xen HVM guest's devices have before the guest kernel runs.

hvmloader's ``pci_setup`` (tools/firmware/hvmloader, the HVM guest's firmware) turns on Bus Master for
every function it finds (20553adcd9, Xen 3.4; RELEASE-4.0.0 .. 4.22.0) and Memory Space once it has
assigned a memory BAR. a8e0c228c7 (4.14) only moved the decode bits after every BAR assignment (and
clears them while it programs BARs); the end state is the same. Its config writes trap into QEMU like
the guest's: xen-pt keeps Memory Space in its emulated Command (so its MSI-X table region is mapped)
and passes Bus Master to the device. QEMU's own emulated devices take both bits. The guest kernel's
pci_enable_device / pci_set_master then find them set and write nothing.

On xen-pv nothing does: pciback hands the device over with Memory Space on and Bus Master off
(tests/test_pci_command.py::test_xen_pv_passthrough_device_starts_with_memory_space_and_gets_bus_master).
"""

from __future__ import annotations

import pytest

from msidbg.model import new_engine
from msidbg.model.hw import CMD_INTX_DISABLE, CMD_MASTER, CMD_MEMORY
from tests.conftest import events_of, run_to_end, scenario, totals

HVM = """
name: xenboot
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: {pt}, msix: {{table_size: 2}}}}
run:
{run}"""

PROBE = "  - {at: 1ms, do: probe, dev: eth0, mode: msix, vectors: 2}\n"


def _hvm(xen: str, run: str, pt: str = "true") -> str:
    return HVM.format(xen=xen, pt=pt, run=run)


@pytest.mark.parametrize("xen", ["4.5", "4.19"])
def test_a_raw_table_write_before_probe_reaches_qemus_table(xen: str) -> None:
    """hvmloader set the guest's Memory Space, so QEMU's table region is mapped before the guest runs:
    an address write before any probe traps into QEMU (qemu-xen 4.5 the default ioreq server, 4.19
    an ioreq server) and is latched -- not dropped by Xen's null handler or QEMU's unassigned memory."""
    run = "  - {at: 0, do: write, dev: eth0, target: msix-table, offset: 0, value: 0xfee01000}\n" + PROBE
    eng = run_to_end(scenario(_hvm(xen, run)))
    assert not events_of(eng, "xen.null_io")
    first = [str(e.fields["how"]) for e in events_of(eng, "qemu.msix_write")][0]
    assert "unmapped" not in first and "stored" in first
    assert events_of(eng, "ioreq.msix_write")[0].fields["value"] == 0xFEE01000


@pytest.mark.parametrize("xen", ["4.5", "4.13", "4.14", "4.19", "4.22"])
def test_the_guest_finds_memory_space_and_bus_master_on_at_its_first_probe(xen: str) -> None:
    """The Command the guest reads (QEMU's emulated decode bits over the device's register) is
    Memory | Master before and at probe in every release (a8e0c228c7 only reorders hvmloader's writes);
    pci_enable_device and pci_set_master write nothing, so the one Command write that traps into QEMU is
    msix_capability_init's pci_intx_for_msi(dev, 0) setting Interrupt Disable (intx36) over Memory | Master."""
    from msidbg.model.qemu import HvmAccessors

    eng = new_engine(scenario(_hvm(xen, PROBE)))

    class K:
        w = eng.w

    assert HvmAccessors.cfg_read(K, "eth0", "cmd") & (CMD_MEMORY | CMD_MASTER) == CMD_MEMORY | CMD_MASTER
    assert eng.w["devices"]["eth0"]["cmd"] & CMD_MASTER     # Bus Master passed through to the device
    while eng.step():
        pass
    writes = [e.fields["value"] for e in events_of(eng, "ioreq.cfg_write") if e.fields["offset"] == 0x4]
    assert writes == [CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE]
    assert eng.w["kernel"]["pci"]["eth0"]["is_busmaster"]


def test_a_first_probe_without_pci_set_master_still_gets_its_interrupts_on_xen_hvm() -> None:
    """Bus Master is hvmloader's, so a driver that forgets pci_set_master works until a remove clears it."""
    run = ("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}\n"
           "  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}\n")
    eng = run_to_end(scenario(_hvm("4.16", run)))
    assert totals(eng, "eth0")["delivered"] == 3 and not events_of(eng, "msi.dropped")


def test_an_emulated_device_on_xen_hvm_starts_with_memory_space_and_bus_master() -> None:
    """QEMU's own device model takes hvmloader's Command writes: the probe's only Command write is
    pci_intx_for_msi's Interrupt Disable (intx36), Memory | Master already set."""
    eng = run_to_end(scenario(_hvm("4.16", PROBE, pt="false")))
    assert eng.w["devices"]["eth0"]["cmd"] & (CMD_MEMORY | CMD_MASTER) == CMD_MEMORY | CMD_MASTER
    writes = [e.fields["value"] for e in events_of(eng, "cfg.write") if e.fields["offset"] == 0x4]
    assert writes == [CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE]

