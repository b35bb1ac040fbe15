"""ux7: ``msidbg new`` on lspci -vv run without root (the Interrupt: pin line, no capabilities) with
a /proc/interrupts whose PCI-MSI row names that function. The row became a set_affinity; an intx:
pin and a set_affinity do not load together, so the pin was commented out and the INTx-only
device was left with nothing: "internal error: the skeleton does not load"."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.bugio.helpers import cli

LSPCI = """\
01:00.0 VGA compatible controller: NVIDIA Corporation Device 1eb8 (rev a1)
\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tInterrupt: pin A routed to IRQ 16
\tCapabilities: <access denied>
\tKernel driver in use: nvidia
"""
INTERRUPTS = """\
            CPU0       CPU1       CPU2       CPU3
  16:          0          0          0          0   IO-APIC   16-fasteoi   i801_smbus
 130:          0          0          0     123456   PCI-MSI 524288-edge      nvidia
"""


def test_an_msi_row_for_a_function_lspci_shows_only_a_pin_for(tmp_path: Path) -> None:
    (tmp_path / "lspci.txt").write_text(LSPCI)
    (tmp_path / "interrupts.txt").write_text(INTERRUPTS)
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(tmp_path / "lspci.txt"), "--interrupts", str(tmp_path / "interrupts.txt"),
                       "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    scn = load_scenario(str(out))
    (dev,) = scn.devices.values()
    assert dev.intx is not None and (dev.intx.pin, dev.intx.gsi) == (1, 16)
    assert "do: set_affinity" not in text
    assert "interrupts.txt:3: irq 130 nvidia -- an MSI row, but lspci shows no MSI or MSI-X capability" in text
    assert headless.run(scn).summary["devices"][dev.name]["probe"] == "ok"
