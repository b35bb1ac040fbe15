"""xen35: the Xen PV path's leads of xen33 / xen34 / why32 (tests/xen35/*.yaml).

c01 / c02: pciback's command_read and command_write by release (reading ``pciback.command-read``,
``kernel.pciback_cmd_emulated``): from af6fc858a35b (4.0) the guest reads back its own Interrupt Disable
(cmd->val), so pci_intx_for_msi writes it after dom0's enable set it in the device, and pciback drops the write;
before it the guest reads the device's register and its Command writes reach the device.

x01 / x02: the pirq message's data by release (reading ``xen.pirq-msi-data``, ``kernel.xen_pirq_msi_extint``):
XEN_PIRQ_MSI_DATA 0x4300 up to 5.10, delivery mode ExtINT 0x0700 from 41bb2115beec (5.11); both are pirq
messages (vector 0).

w01 / w02: pcifront's MSI-X walk (reading ``pcifront.msix-walk``, ``kernel.pciback_msi_enabled_check``): the op
carries nvec, pciback refuses an enable dom0 already has (-EALREADY), and before 5.17 the guest's bind walk past
nvec is an out-of-bounds read msidbg notes and does not simulate.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import xen as X
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.conftest import events_of, run_to_end, with_kernel

DIR = Path(__file__).resolve().parent / "xen35"
FILES = sorted(DIR.glob("*.yaml"))


@cache
def _run(prefix: str, **switches: Any) -> Any:
    (path,) = DIR.glob(f"{prefix}-*.yaml")
    scn = load_scenario(str(path))
    return run_to_end(with_kernel(scn, **switches) if switches else scn)


def _cmd_writes(eng: Any) -> list[tuple[str, int]]:
    """The guest's Command writes as they end: on the device (cfg.write) or dropped by pciback."""
    return [(e.kind, e.fields["value"]) for e in eng.log.events(1, len(eng.log) + 1)
            if e.kind in ("cfg.write", "pcifront.dropped") and e.fields["offset"] == 4]


def _hcalls(eng: Any, op: str) -> list[tuple[int, int]]:
    return [(e.fields["arg"], e.fields["ret"]) for e in events_of(eng, "xen.hypercall") if e.fields["op"] == op]


def test_before_af6fc858a35b_the_guest_reads_the_device_and_writes_through() -> None:
    """c01 (3.19 as dom0's pciback): pci_intx_for_msi(dev, 0) after pciback's enable reads the device's Interrupt
    Disable (dom0's pci_enable_msix set it): no write. The remove's pci_intx_for_msi(dev, 1) writes 0x6 and
    command_write's pci_write_config_word puts it in the device; pci_disable_device then clears Bus Master."""
    eng = _run("c01")
    assert eng.w["behaviour"]["pciback_cmd_emulated"] is False
    assert _cmd_writes(eng) == [("cfg.write", 0x6), ("cfg.write", 0x6), ("cfg.write", 0x2)]
    assert "pb_cmd" not in eng.w["devices"]["eth0"]
    assert eng.w["devices"]["eth0"]["cmd"] == 0x2


def test_from_af6fc858a35b_the_guest_reads_its_own_interrupt_disable() -> None:
    """c02 (6.1): the guest reads cmd->val (0x6, its probe's write), so pci_intx_for_msi(dev, 0) writes 0x406 --
    pciback makes no dom0 call and writes nothing (pcifront.dropped) -- and the remove's pci_intx_for_msi(dev, 1)
    reads 0x406 back and writes 0x6 (dropped too). msidbg answered the device's register, 0x406 at both."""
    eng = _run("c02")
    assert _cmd_writes(eng) == [("cfg.write", 0x6), ("pcifront.dropped", 0x406), ("pcifront.dropped", 0x6),
                                ("cfg.write", 0x2)]
    d = eng.w["devices"]["eth0"]
    assert (d["cmd"], d["pb_cmd"]) == (0x2, 0x2)
    # the same run with a pre-4.0 pciback: c01's pattern
    old = _run("c02", pciback_cmd_emulated=False)
    assert _cmd_writes(old) == [("cfg.write", 0x6), ("cfg.write", 0x6), ("cfg.write", 0x2)]


@pytest.mark.parametrize(("prefix", "data"), [("x01", X.XEN_PIRQ_MSI_DATA), ("x02", X.XEN_PIRQ_MSI_DATA_EXTINT)])
def test_the_pirq_message_data_follows_the_release(prefix: str, data: int) -> None:
    """x01 (5.10): XEN_PIRQ_MSI_DATA; x02 (5.11): ExtINT. QEMU latches the guest's message, sees vector 0 (a
    pirq message) either way, maps and binds; every signal arrives."""
    eng = _run(prefix)
    writes = [e.fields["value"] for e in events_of(eng, "ioreq.msix_write") if e.fields["reg"] == "data"]
    assert writes == [data, data]
    assert [e["latch"][2] for e in eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"]] == [data, data]
    assert [(e.fields["entry"], e.fields["pirq"]) for e in events_of(eng, "qemu.bind_pirq")] == [(0, 101), (1, 100)]
    assert eng.w["acct"]["eth0"]["delivered"] == [3, 3]


def test_pcifront_sends_nvec_and_pciback_refuses_a_second_enable() -> None:
    """w01 (5.10, two unserialised pci_alloc_irq_vectors(2) on one pcifront function): CPU1's op carries nvec 2
    (msidbg sent the list's 4 at the time), pciback enables; its bind walk reaches CPU0's descriptors past v[1]
    (an out-of-bounds read: noted, not simulated). CPU0's op finds dom0's MSI-X enabled: -EALREADY, and its
    error path's xen_pv_teardown_msi_irqs disables dom0's MSI-X and destroys CPU1's irqs."""
    eng = _run("w01")
    assert _hcalls(eng, "XEN_PCI_OP_enable_msix") == [(2, 101), (2, -114)]
    assert _hcalls(eng, "XEN_PCI_OP_disable_msix") == [(2, 0)]
    notes = [e.fields["what"] for e in events_of(eng, "kernel") if e.fields["prog"] == "xen_setup_msi_irqs"]
    assert notes == ["xen_setup_msi_irqs: descriptor 2 is past the 2 pirq(s) pcifront returned: v[i] is read out "
                     "of bounds (not simulated: this walk binds no irq for it or the descriptors after it)"]
    assert [(e.fields["irq"], e.fields["how"]) for e in events_of(eng, "xen.irq")] == [
        (24, "pirq from pciback"), (25, "pirq from pciback"), (24, "destroyed"), (25, "destroyed")]
    assert [(e.cpu, e.fields["result"]) for e in events_of(eng, "action.done")] == [(0, -114), (1, 2)]
    assert eng.w["devices"]["d0"]["msix"]["ctrl"] & 0x8000 == 0


def test_a_second_enable_before_xsa157_maps_new_pirqs() -> None:
    """w02 (4.19's enable twice on pcifront): pciback answers -EALREADY and the error path unmaps the first
    enable's pirqs; with a pciback before XSA-157 (explicit) the second op maps two more pirqs."""
    eng = _run("w02")
    assert _hcalls(eng, "XEN_PCI_OP_enable_msix") == [(2, 101), (2, -114)]
    assert [e.fields["result"] for e in events_of(eng, "action.done")] == [2, -114]
    old = _run("w02", pciback_msi_enabled_check=False)
    assert _hcalls(old, "XEN_PCI_OP_enable_msix") == [(2, 101), (2, 99)]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_file_replays_to_the_same_state(path: Path) -> None:
    a, b = run_to_end(load_scenario(str(path))), run_to_end(load_scenario(str(path)))
    assert len(a.log) == len(b.log) and state_hash(a.w) == state_hash(b.w)
