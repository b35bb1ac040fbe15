"""`msidbg new` reads a function's INTx pin and GSI (lspci's "Interrupt: pin A routed to IRQ 16",
dmesg's "PCI INT A -> GSI 16", /proc/interrupts' IO-APIC fasteoi rows) into `intx:` on bare metal,
and says in a comment why not elsewhere."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.bugio.helpers import DATA, cli

NIC = """\
00:03.0 Ethernet controller: Intel Corporation 82574L Gigabit Network Connection
\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-
\tInterrupt: pin A routed to IRQ 16
\tCapabilities: [d0] MSI: Enable- Count=1/1 Maskable- 64bit+
\tCapabilities: [a0] MSI-X: Enable- Count=5 Masked-
\tKernel driver in use: e1000e
"""
USB = """
00:1d.0 USB controller: Intel Corporation Device (prog-if 30 [XHCI])
\tControl: I/O+ Mem- BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx-
\tInterrupt: pin B routed to IRQ 17
"""


def new(tmp_path: Path, lspci: str, *args: str, **inputs: str) -> tuple[Path, str]:
    src = tmp_path / "lspci.txt"
    src.write_text(lspci)
    extra: list[str] = []
    for opt, text in inputs.items():
        p = tmp_path / f"{opt}.txt"
        p.write_text(text)
        extra += [f"--{opt}", str(p)]
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(src), *extra, *args, "-o", str(out))
    assert code == 0, err
    return out, out.read_text()


def test_lspci_interrupt_line_gives_intx_and_an_intx_only_function(tmp_path: Path) -> None:
    out, text = new(tmp_path, NIC + USB)
    scn = load_scenario(str(out))
    pins = {n: (d.intx.pin, d.intx.gsi) if d.intx else None for n, d in scn.devices.items()}
    assert pins == {"eth0": (1, 16), "xhci0": (2, 17)}
    assert "intx: {pin: A, gsi: 16}              # lspci.txt:3: Interrupt: pin A routed to IRQ 16" in text
    assert "do: probe, dev: xhci0, mode: intx, vectors: 1}" in text
    res = headless.run(scn)
    assert res.summary["devices"]["xhci0"]["probe"] == "ok"


def test_xen_says_why_the_pin_is_not_set(tmp_path: Path) -> None:
    """Slot 03's pin A is the HVM guest's GSI 28, outside the modelled 16..23: the loader's reason (it
    said 'INTx on xen-hvm is not modelled' before the HVM passthrough INTx was; test_ux9 has the slot
    whose pin is set)."""
    out, text = new(tmp_path, NIC + USB, "--platform", "xen-hvm")
    scn = load_scenario(str(out))
    assert list(scn.devices) == ["eth0"]  # an INTx-only function is nothing to a Xen scenario
    assert scn.devices["eth0"].intx is None
    assert "    # intx: {pin: A, gsi: 16} -- lspci.txt:3: Interrupt: pin A routed to IRQ 16" in text
    assert "#   not set: slot 0x3 pin A is the guest's GSI 28 (hvm_pci_intx_gsi)" in text


def test_mangled_interrupt_lines_are_listed(tmp_path: Path) -> None:
    lspci = NIC.replace("IRQ 16", "IRQ 300") + USB.replace("pin B", "pin ?") + (
        "\n00:05.0 Ethernet controller: X\n\tInterrupt: pin A routed to IRQ 130\n"
        "\tCapabilities: [d0] MSI: Enable+ Count=1/1 Maskable- 64bit+\n")
    out, text = new(tmp_path, lspci)
    scn = load_scenario(str(out))
    assert [d.intx for d in scn.devices.values()] == [None, None]
    assert "lspci.txt:3: Interrupt: pin A routed to IRQ 300 -- 00:03.0: IRQ 300 (expected a GSI of 16..23" in text
    assert "lspci.txt:10: Interrupt: pin ? routed to IRQ 17 -- 00:1d.0: INTx pin ? (expected A..D" in text
    # MSI enabled: pci_dev->irq is the MSI's irq (the capability comes after the Interrupt: line)
    assert "lspci.txt:13: Interrupt: pin A routed to IRQ 130 -- 00:05.0: IRQ 130 is the MSI's" in text


def test_dmesg_and_ioapic_rows_when_lspci_has_no_interrupt_line(tmp_path: Path) -> None:
    nic = NIC.replace("\tInterrupt: pin A routed to IRQ 16\n", "")
    nic2 = nic.replace("00:03.0", "00:04.0")
    dmesg = ("[    0.000000] Linux version 6.6.0 (x) #1 SMP\n"
             "[    1.000000] e1000e 0000:00:03.0: PCI INT C -> GSI 18 (level, low) -> IRQ 18\n"
             "[    1.100000] e1000e 0000:00:04.0 eth1: (PCI Express:2.5GT/s:Width x1)\n"
             "[   30.000000] irq 19: nobody cared (try booting with the \"irqpoll\" option)\n"
             "[   30.000001] Disabling IRQ #19\n")
    irqs = ("           CPU0       CPU1\n"
            "  0:         45          0   IO-APIC    2-edge      timer\n"
            " 19:     100000          0   IO-APIC   19-fasteoi   eth1, ehci_hcd:usb1\n")
    out, text = new(tmp_path, nic + "\n" + nic2, dmesg=dmesg, interrupts=irqs)
    scn = load_scenario(str(out))
    pins = {n: (d.intx.pin, d.intx.gsi) if d.intx else None for n, d in scn.devices.items()}
    assert pins == {"eth0": (3, 18), "eth1": (1, 19)}
    assert "# dmesg.txt:2: PCI INT C -> GSI 18" in text
    assert "# interrupts.txt:3: irq 19 IO-APIC fasteoi eth1, ehci_hcd:usb1 (the pin is not in the inputs: A)" in text
    assert "dmesg.txt:5: Disabling IRQ #19 -- irq 19 disabled by note_interrupt" in text


def test_remapping_keeps_intx_behind_intel_vtd(tmp_path: Path) -> None:
    """The workstation sample behind Intel VT-d remapping: INTx through the IR-IO-APIC loads (kernlock,
    reading kernel.intx.remapped), so the INTx-only SMBus controller is a device with its pin; the NVMe's pin
    (MSI-X on, pin A routed to IRQ 16) loads next to its vectors' set_affinity actions (fidvec2)."""
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(DATA / "workstation-lspci.txt"), "--interrupts",
                       str(DATA / "workstation-interrupts.txt"), "--dmesg", str(DATA / "workstation-dmesg.txt"),
                       "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    pins = {n: (d.bdf, d.intx.pin, d.intx.gsi) for n, d in load_scenario(str(out)).devices.items() if d.intx}
    assert pins == {"dev0": ("00:1f.4", 1, 16), "nvme0": ("02:00.0", 1, 16)}
    assert "    intx: {pin: A, gsi: 16}" in text and "do: set_affinity, dev: nvme0" in text
    assert "through interrupt remapping" not in text
    # the xHCI's IRQ 125 is its MSI's (MSI Enable+ below the Interrupt: line); the bridge's is not listed
    assert "workstation-lspci.txt:14: Interrupt: pin A routed to IRQ 125 -- 00:14.0: IRQ 125 is the MSI's" in text
    assert "workstation-lspci.txt:29: Interrupt" not in text


def test_observed_affinity_and_the_pin_load_together(tmp_path: Path) -> None:
    """fidvec2: a device whose MSI-X vectors /proc/interrupts shows on CPU1 keeps its intx: pin next to
    its set_affinity actions: the loader takes both on bare metal since a level IO-APIC irq's move is
    modelled (revision 9; behind interrupt remapping revision 10), so the pin is no longer a comment."""
    lspci = NIC.replace("MSI-X: Enable-", "MSI-X: Enable+")
    irqs = ("           CPU0       CPU1\n"
            " 24:          0        500   PCI-MSI 49152-edge      eth0-rx-0\n")   # 00:03.0 index 0
    out, text = new(tmp_path, lspci, interrupts=irqs)
    scn = load_scenario(str(out))
    intx = scn.devices["eth0"].intx
    assert intx is not None and (intx.pin, intx.gsi) == (1, 16)
    assert [a.args.get("cpu") for a in scn.run if a.do == "set_affinity"] == [1]
    assert "do not load together" not in text and "not set:" not in text
    assert headless.run(scn).summary["devices"]["eth0"]["probe"] == "ok"


def test_a_pin_that_cannot_be_used_is_still_a_property_line(tmp_path: Path) -> None:
    """lspci -vv of one function whose only property is an unusable Interrupt: line: not 'plain lspci'."""
    src = tmp_path / "lspci.txt"
    src.write_text("00:1f.3 SMBus: Intel Corporation Device\n\tInterrupt: pin ? routed to IRQ 255\n")
    code, _, err = cli("new", "--lspci", str(src), "-o", str(tmp_path / "o.yaml"))
    assert code == 2 and "no function with an MSI or MSI-X capability" in err
