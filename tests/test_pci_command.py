"""The PCI Command register: Bus Master Enable gates a device's messages, Memory Space its MSI-X table.

pci_enable_device sets Memory Space, pci_set_master Bus Master Enable, pci_disable_device clears
Bus Master only (drivers/pci/pci.c). A message with Bus Master clear is dropped (QEMU's reading,
``device.cmd.bus-master``); a table access with Memory Space clear is unclaimed (write dropped, read
all ones). On Xen, pciback hands the device over with Memory Space on and QEMU xen-pt keeps the
guest's decode bits emulated while Bus Master passes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.model import device, new_engine
from msidbg.model.hw import CMD_INTX_DISABLE, CMD_MASTER, CMD_MEMORY
from msidbg.scenario import ScenarioError
from tests.conftest import run_to_end, scenario

NIC = """
name: pcicmd
seed: 1
cpus: 2
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
"""


def _run(actions: str, head: str = NIC) -> object:
    return run_to_end(scenario(head + actions))


def _events(eng: object, kind: str) -> list[object]:
    log = eng.log  # type: ignore[attr-defined]
    return [e for e in (log.event(i) for i in range(1, eng.cur + 1)) if e.kind == kind]  # type: ignore[attr-defined]


def test_probe_enables_memory_space_then_bus_master() -> None:
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n")
    writes = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 0x4]
    # then msix_capability_init's pci_intx_for_msi(dev, 0): Interrupt Disable, pin or not (intx36)
    assert writes == [CMD_MEMORY, CMD_MEMORY | CMD_MASTER, CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE]
    assert eng.w["devices"]["eth0"]["cmd"] == CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE
    p = eng.w["kernel"]["pci"]["eth0"]
    assert p["enable_cnt"] == 1 and p["is_busmaster"]


def test_a_driver_that_forgets_pci_set_master_loses_every_interrupt() -> None:
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}\n"
               "  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}\n")
    assert eng.w["devices"]["eth0"]["cmd"] == CMD_MEMORY | CMD_INTX_DISABLE
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (3, 0, 3)
    dropped = _events(eng, "msi.dropped")
    assert [e.fields["why"] for e in dropped] == ["Bus Master Enable clear"] * 3  # type: ignore[attr-defined]
    assert not _events(eng, "msi.msg")


def test_doorbell_times_out_without_bus_master() -> None:
    eng = _run("  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}\n"
               "  - {on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 1ms}\n")
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "failed: ETIMEDOUT"


def test_clearing_bus_master_after_probe_drops_the_next_message() -> None:
    """A raw Command write (Memory Space only) switches bus mastering off under a working driver."""
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: fire, dev: eth0, vector: 0}\n"
               "  - {at: 2ms, do: write, dev: eth0, target: config, offset: 4, value: 2, size: 2}\n"
               "  - {at: 3ms, do: fire, dev: eth0, vector: 0}\n")
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (2, 1, 1)


def test_a_held_pba_signal_is_lost_when_released_without_bus_master() -> None:
    """Masked: held in the PBA (no bus transaction). Unmasked after Bus Master went off: the PBA bit
    clears and the message goes nowhere (QEMU: msix_clr_pending, then msi_send_message)."""
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 12, value: 1}\n"
               "  - {at: 2ms, do: fire, dev: eth0, vector: 0}\n"
               "  - {at: 3ms, do: write, dev: eth0, target: config, offset: 4, value: 2, size: 2}\n"
               "  - {at: 4ms, do: write, dev: eth0, target: msix-table, offset: 12, value: 0}\n")
    dev, a = eng.w["devices"]["eth0"], eng.w["acct"]["eth0"]
    assert dev["msix"]["pba"][0] == 0
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (1, 0, 1)


def test_remove_clears_bus_master_and_keeps_memory_space() -> None:
    eng = _run("  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, on: 0, do: remove, dev: eth0}\n")
    assert eng.w["devices"]["eth0"]["cmd"] == CMD_MEMORY
    p = eng.w["kernel"]["pci"]["eth0"]
    assert p["enable_cnt"] == 0 and not p["is_busmaster"]


def test_alloc_vectors_enables_a_device_no_action_enabled() -> None:
    eng = _run("  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}\n")
    writes = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 0x4]
    # the second call finds it enabled (and MSI-X enabled: -EINVAL before any write); the first's set-up wrote
    # Interrupt Disable
    assert writes == [CMD_MEMORY, CMD_MEMORY | CMD_MASTER, CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE]
    assert eng.w["kernel"]["pci"]["eth0"]["enable_cnt"] == 1


def test_msix_table_write_with_memory_space_clear_is_dropped() -> None:
    """Memory Space off: the device keeps its old message and goes on signalling it."""
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: write, dev: eth0, target: config, offset: 4, value: 4, size: 2}\n"
               "  - {at: 2ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x99}\n"
               "  - {at: 3ms, do: fire, dev: eth0, vector: 0}\n")
    entry = eng.w["devices"]["eth0"]["msix"]["table"][0]
    assert entry["data"] != 0x99
    assert len(_events(eng, "msix.unclaimed")) == 1
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0]) == (1, 1)


def test_msix_table_read_with_memory_space_clear_is_all_ones() -> None:
    eng = new_engine(scenario(NIC + "  - {at: 0, do: fire, dev: eth0, vector: 0}\n"))
    assert device.table_read(eng, 0, "eth0", 0, "ctrl") == 0xFFFFFFFF     # reset: nothing decoded yet
    eng.w["devices"]["eth0"]["cmd"] = CMD_MEMORY
    assert device.table_read(eng, 0, "eth0", 0, "ctrl") == 1              # the reset mask bit


def test_why_names_the_command_register(tmp_path: Path) -> None:
    text = NIC + ("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}\n"
                  "  - {at: 1ms, do: fire, dev: eth0, vector: 0}\n"
                  "breakpoints: [irq-lost]\n")
    path = tmp_path / "pcicmd.yaml"
    path.write_text(text)
    s = Session.from_scenario(str(path))
    s.run()
    hit = next(h for h in s.hits() if h.name == "irq-lost")
    answer = s.why(hit).text()
    assert "Bus Master Enable clear" in answer and "devices.eth0.cmd" in answer


HVM = """
name: pcicmd-hvm
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.16"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
run:
"""


def test_xen_hvm_bus_master_passes_through_qemu_and_memory_space_is_emulated() -> None:
    """hvmloader's pci_setup left Memory Space (QEMU's emulated bit) and Bus Master (the device's) on:
    the first probe writes no Command; remove's pci_disable_device clears Bus Master through QEMU and
    the re-probe's pci_set_master sets it again, while Memory Space stays emulated. Each MSI-X set-up's
    pci_intx_for_msi(dev, 0) sets Interrupt Disable (emulated by QEMU, passed through when set) and the shutdown's
    clears QEMU's copy only: without s->machine_irq (no pin) xen_pt_cmd_reg_write keeps the device's bit (intx36)."""
    eng = new_engine(scenario(HVM + "  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
                                    "  - {at: 1ms, do: remove, dev: eth0}\n"
                                    "  - {at: 2ms, do: probe, dev: eth0, mode: msix, vectors: 1}\n"))
    assert eng.w["devices"]["eth0"]["cmd"] == CMD_MEMORY | CMD_MASTER     # pciback + hvmloader
    assert eng.w["qemu"]["devs"]["eth0"]["cmd"] == CMD_MEMORY | CMD_MASTER
    while eng.step():
        pass
    on = CMD_MEMORY | CMD_MASTER
    assert eng.w["devices"]["eth0"]["cmd"] == on | CMD_INTX_DISABLE
    assert eng.w["qemu"]["devs"]["eth0"]["cmd"] == on | CMD_INTX_DISABLE
    traps = [(e.time_ns >= 1_000_000, e.fields["value"]) for e in _events(eng, "qemu.cfg_write")
             if e.fields["offset"] == 0x4]
    assert traps == [(False, on | CMD_INTX_DISABLE), (True, on), (True, CMD_MEMORY), (True, on),
                     (True, on | CMD_INTX_DISABLE)]
    device = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 0x4]
    assert device == [on | CMD_INTX_DISABLE, on | CMD_INTX_DISABLE, CMD_MEMORY | CMD_INTX_DISABLE,
                      on | CMD_INTX_DISABLE, on | CMD_INTX_DISABLE]


@pytest.mark.parametrize(("emu_mask", "device"), [(0x0743, CMD_MEMORY | CMD_MASTER), (0x0740, CMD_MASTER)])
def test_xen_hvm_guest_cannot_switch_off_memory_space_through_qemu(emu_mask: int, device: int) -> None:
    """xen_pt_cmd_reg_write: the decode bits stay in QEMU's register (emu_mask 0x0743, XSA-126); before
    it (0x0740) they reach the device. QEMU's register takes the guest's value either way."""
    from msidbg.model import qemu_pt

    d, e = {"cmd": CMD_MEMORY | CMD_MASTER}, {"cmd": CMD_MEMORY | CMD_MASTER}
    loc = {"offset": 0x4, "value": CMD_MASTER, "size": 2}
    qemu_pt._cmd(None, loc, d, e, emu_mask)
    assert loc["cmd"] == device and e["cmd"] == CMD_MASTER


def test_xen_hvm_driver_without_set_master_loses_its_interrupts_after_a_remove() -> None:
    """hvmloader turned Bus Master on, so a first probe without pci_set_master still gets its
    interrupts (tests/test_xenboot.py); once remove's pci_disable_device cleared it, it does not."""
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: remove, dev: eth0}\n"
               "  - {at: 2ms, do: probe, dev: eth0, mode: msix, vectors: 1, set_master: false}\n"
               "  - {at: 3ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}\n", HVM)
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (2, 0, 2)


def test_xen_pv_passthrough_device_starts_with_memory_space_and_gets_bus_master() -> None:
    head = HVM.replace('{kind: xen-hvm, xen: "4.16"}', "{kind: xen-pv}")
    eng = new_engine(scenario(head + "  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"))
    assert eng.w["devices"]["eth0"]["cmd"] == CMD_MEMORY
    while eng.step():
        pass
    # dom0's msix_capability_init (pciback's enable) set Interrupt Disable; the guest's own pci_intx_for_msi read
    # pciback's cmd->val (clear), wrote the bit there and command_write passed nothing: a dropped pcifront write
    d = eng.w["devices"]["eth0"]
    assert d["cmd"] == CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE and d["pb_cmd"] & CMD_INTX_DISABLE
    assert [(e.fields["offset"], e.fields["value"]) for e in _events(eng, "pcifront.dropped")] == [
        (0x72, 0xC003), (0x4, CMD_MEMORY | CMD_MASTER | CMD_INTX_DISABLE), (0x72, 0x8003)]


def test_set_master_must_be_a_boolean() -> None:
    with pytest.raises(ScenarioError) as err:
        scenario(NIC + "  - {at: 0, do: probe, dev: eth0, set_master: 3}\n")
    msg = str(err.value)
    assert "\n" not in msg and "set_master" in msg and "true" in msg


def test_set_master_is_an_alloc_vectors_field_kept_out_of_default_args() -> None:
    scn = scenario(NIC + "  - {at: 0, do: alloc_vectors, dev: eth0, set_master: false}\n"
                         "  - {at: 1ms, do: probe, dev: eth0}\n")
    assert scn.run[0].args["set_master"] is False
    assert "set_master" not in scn.run[1].args


def test_msix_shutdown_clears_interrupt_disable_and_pci_intx_writes_only_a_change() -> None:
    """intx36 (reading kernel.intx.for-msi): a function without a pin gets pci_intx_for_msi's writes too --
    Interrupt Disable set before Function Mask is cleared, cleared after Enable at shutdown; a Command that
    already has the bit (a raw write before the probe) is not written again by the enable."""
    eng = _run("  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}\n"
               "  - {at: 1ms, do: remove, dev: eth0}\n")
    on = CMD_MEMORY | CMD_MASTER
    order = [(e.fields["offset"], e.fields["value"]) for e in _events(eng, "cfg.write")]
    assert order == [(0x4, CMD_MEMORY), (0x4, on), (0x72, 0xC003), (0x4, on | CMD_INTX_DISABLE), (0x72, 0x8003),
                     (0x72, 0x0003), (0x4, on), (0x4, CMD_MEMORY)]
    eng = _run("  - {at: 0, do: write, dev: eth0, target: config, offset: 4, value: 0x400, size: 2}\n"
               "  - {at: 1ms, do: probe, dev: eth0, mode: msix, vectors: 1}\n")
    writes = [e.fields["value"] for e in _events(eng, "cfg.write") if e.fields["offset"] == 0x4]
    assert writes == [CMD_INTX_DISABLE, CMD_MEMORY | CMD_INTX_DISABLE, on | CMD_INTX_DISABLE]
