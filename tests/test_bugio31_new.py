"""bugio31: `msidbg new` reads the power-management state of a bug report.

lspci -vv's Power Management capability (pciutils ls-caps.c cap_pm: ``Status: D0 NoSoftRst+ PME-Enable- ...``)
sets quirk ``pm-no-soft-reset`` for NoSoftRst+ only; dmesg's suspend / hibernation lines (kernel/power/suspend.c
pm_suspend "PM: suspend entry (deep)" / "PM: suspend exit", drivers/acpi/sleep.c "ACPI: PM: Preparing to enter /
Waking up from system sleep state S3", kernel/power/hibernate.c "PM: hibernation: hibernation entry" / "exit")
become the pm_suspend / pm_resume (pm_freeze / pm_thaw) actions of docs/scenario.md, each device, then a fire
of every vector."""

from __future__ import annotations

from pathlib import Path

from msidbg.bugio import dmesg as dm
from msidbg.bugio.textin import read_lines
from msidbg.debugger import Session
from msidbg.scenario import load_scenario
from tests.bugio.helpers import cli

LSPCI = """\
02:00.0 Ethernet controller: Intel Corporation I210 Gigabit Network Connection (rev 03)
\tSubsystem: Intel Corporation Device 0000
\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-
\tLatency: 0, Cache Line Size: 64 bytes
\tInterrupt: pin A routed to IRQ 17
\tRegion 0: Memory at f7c00000 (32-bit, non-prefetchable) [size=128K]
\tCapabilities: [40] Power Management version 3
\t\tFlags: PMEClk- DSI+ D1- D2- AuxCurrent=0mA PME(D0+,D1-,D2-,D3hot+,D3cold+)
\t\tStatus: D0 NoSoftRst{A} PME-Enable- DSel=0 DScale=1 PME-
\tCapabilities: [50] MSI: Enable- Count=1/1 Maskable+ 64bit+
\t\tAddress: 0000000000000000  Data: 0000
\t\tMasking: 00000000  Pending: 00000000
\tCapabilities: [70] MSI-X: Enable+ Count=5 Masked-
\t\tVector table: BAR=3 offset=00000000
\t\tPBA: BAR=3 offset=00002000
\tKernel driver in use: igb

03:00.0 Non-Volatile memory controller: Samsung Electronics Co Ltd NVMe SSD Controller SM981/PM981/PM983
\tControl: I/O- Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tInterrupt: pin A routed to IRQ 16
\tCapabilities: [40] Power Management version 3
\t\tFlags: PMEClk- DSI- D1- D2- AuxCurrent=0mA PME(D0-,D1-,D2-,D3hot-,D3cold-)
\t\tStatus: D0 NoSoftRst{B} PME-Enable- DSel=0 DScale=0 PME-
\tCapabilities: [b0] MSI-X: Enable+ Count=33 Masked-
\tKernel driver in use: nvme
"""

BANNER = ("[    0.000000] Linux version 6.6.8-arch1-1 (linux@archlinux) (gcc (GCC) 13.2.1 20230801, GNU ld "
          "(GNU Binutils) 2.41.0) #1 SMP PREEMPT_DYNAMIC Thu, 21 Dec 2023 19:01:01 +0000\n"
          "[    0.120000] smp: Brought up 1 node, 2 CPUs\n")
#: a 6.6 S3 cycle as printed (PM: entry, ACPI: PM: prepare / wake, PM: exit)
SUSPEND = """\
[ 5123.456789] PM: suspend entry (deep)
[ 5123.460001] Filesystems sync: 0.003 seconds
[ 5123.470011] Freezing user space processes
[ 5123.480022] Freezing user space processes completed (elapsed 0.001 seconds)
[ 5123.700001] ACPI: PM: Preparing to enter system sleep state S3
[ 5123.710001] ACPI: PM: Saving platform NVS memory
[ 5123.720001] Disabling non-boot CPUs ...
[ 5130.100001] ACPI: PM: Low-level resume complete
[ 5130.120001] ACPI: PM: Restoring platform NVS memory
[ 5130.300001] ACPI: PM: Waking up from system sleep state S3
[ 5130.910001] Restarting tasks ... done.
[ 5130.920001] PM: suspend exit
"""
HIBERNATE = """\
[  812.100000] PM: hibernation: hibernation entry
[  812.300000] Freezing user space processes ... (elapsed 0.001 seconds) done.
[  813.600000] ACPI: PM: Preparing to enter system sleep state S4
[  813.900000] PM: hibernation: Creating image:
[  814.000000] PM: hibernation: Need to copy 398765 pages
[  814.000000] PM: hibernation: Image created (398765 pages copied, 1234 zero pages)
[  814.100000] ACPI: PM: Waking up from system sleep state S4
[  815.200000] ACPI: PM: Preparing to enter system sleep state S4
[  816.000000] PM: Image restored successfully.
[  816.300000] PM: hibernation: hibernation exit
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def new(tmp_path: Path, lspci: str, dmesg: str | None = None, *args: str) -> tuple[str, str]:
    out = tmp_path / "scn.yaml"
    argv = ["new", "--lspci", _write(tmp_path, "lspci.txt", lspci)]
    if dmesg is not None:
        argv += ["--dmesg", _write(tmp_path, "dmesg.txt", dmesg)]
    code, _, err = cli(*argv, *args, "-o", str(out))
    assert code == 0, err
    return str(out), out.read_text()


def cycles(tmp_path: Path, text: str) -> list[tuple[str, int | None, int | None]]:
    got = dm.parse(read_lines(_write(tmp_path, "d.txt", text), "dmesg text"))
    return [(c.kind, c.entry.line if c.entry else None, c.exit.line if c.exit else None) for c in got.cycles]


def test_nosoftrst_plus_sets_the_quirk_and_minus_leaves_it_off(tmp_path: Path) -> None:
    path, text = new(tmp_path, LSPCI.replace("{A}", "+").replace("{B}", "-"))
    scn = load_scenario(path)
    assert {n: list(d.quirks) for n, d in scn.devices.items()} == {"eth0": ["pm-no-soft-reset"], "nvme0": []}
    assert "quirks: [pm-no-soft-reset]           # lspci.txt:10: Status: D0 NoSoftRst+" in text
    assert "#   pm-no-soft-reset not set: lspci.txt:24: Status: D0 NoSoftRst- PME-Enable- DSel=0 DScale=0 PME- " \
           "-- NoSoftRst-: D3hot -> D0 resets the function" in text


def test_an_old_pciutils_status_line_without_the_bit_sets_nothing(tmp_path: Path) -> None:
    """pciutils before NoSoftRst printed 'Status: D0 PME-Enable- ...'; a function in D3 when lspci ran says so."""
    old = LSPCI.replace(" NoSoftRst{A}", "").replace("Status: D0 NoSoftRst{B}", "Status: D3 NoSoftRst+")
    path, text = new(tmp_path, old)
    scn = load_scenario(path)
    assert {n: list(d.quirks) for n, d in scn.devices.items()} == {"eth0": [], "nvme0": ["pm-no-soft-reset"]}
    assert "this lspci prints no NoSoftRst bit" in text
    assert "the function was in D3 when lspci ran" in text


def test_dmesg_cycles_from_each_format(tmp_path: Path) -> None:
    # one 6.6 S3 cycle: four lines of it, one cycle, entry at the PM: line, exit at ACPI's wake
    assert cycles(tmp_path, BANNER + SUSPEND) == [("suspend", 3, 12)]
    # 4.x: "ACPI: Preparing to enter system sleep state S3" (no PM: entry line)
    old = "[ 10.0] PM: Syncing filesystems ... done.\n[ 10.1] ACPI: Preparing to enter system sleep state S3\n" \
          "[ 10.2] ACPI: Waking up from system sleep state S3\n[ 10.3] Restarting tasks ... done.\n"
    assert cycles(tmp_path, old) == [("suspend", 2, 3)]
    # a hibernation: its image made (line 6) while frozen; ACPI's S4 lines after it (the power-down's
    # hibernation_platform_enter) are the same cycle
    assert cycles(tmp_path, HIBERNATE) == [("hibernate", 1, 6)]
    # an entry with no return; a return whose entry was cut (then a full cycle)
    assert cycles(tmp_path, "PM: suspend entry (s2idle)\n") == [("suspend", 1, None)]
    assert cycles(tmp_path, "PM: suspend exit\nPM: suspend entry (deep)\nPM: suspend exit\n") == [
        ("suspend", None, 1), ("suspend", 2, 3)]
    # bounded: 4 kept, the rest counted
    many = dm.parse(read_lines(_write(tmp_path, "m.txt", "PM: suspend entry (deep)\nPM: suspend exit\n" * 1000), "dmesg text"))
    assert (len(many.cycles), many.cycles_dropped) == (dm.MAX_CYCLES, 1000 - dm.MAX_CYCLES)


def _kinds(path: str) -> list[tuple[str, str]]:
    s = Session.from_scenario(path)
    s.run()
    out = []
    for i in range(1, s.cursor + 1):
        ev = s.eng.log.event(i)
        if ev.kind in ("dev.reset", "dev.power"):
            out.append((ev.kind, ev.dev))
    return out


def test_a_suspend_becomes_pm_suspend_and_pm_resume_and_no_soft_reset_keeps_the_config(tmp_path: Path) -> None:
    path, text = new(tmp_path, LSPCI.replace("{A}", "+").replace("{B}", "-"), BANNER + SUSPEND)
    scn = load_scenario(path)
    pm = [(a.at_ns, a.do, a.dev) for a in scn.run if a.do.startswith("pm_")]
    assert pm == [(3_000_000, "pm_suspend", "eth0"), (3_000_000, "pm_suspend", "nvme0"),
                  (4_000_000, "pm_resume", "eth0"), (4_000_000, "pm_resume", "nvme0")]
    fires = [(a.at_ns, a.dev) for a in scn.run if a.do == "fire" and a.at_ns == 5_000_000]
    assert fires == [(5_000_000, "eth0")] * 3 + [(5_000_000, "nvme0")] * 3
    assert "  # dmesg.txt:3: PM: suspend entry (deep): a suspend" in text
    assert "do: pm_resume, dev: eth0} # dmesg.txt:12: ACPI: PM: Waking up from system sleep state S3" in text
    # the run: both go to D3hot and back; only nvme0 (NoSoftRst-) is reset on the way up
    assert _kinds(path) == [("dev.power", "eth0"), ("dev.power", "nvme0"), ("dev.power", "eth0"),
                            ("dev.power", "nvme0"), ("dev.reset", "nvme0")]
    s = Session.from_scenario(path)
    s.run()
    # both restored: every vector delivered twice (before and after the cycle)
    for name in ("eth0", "nvme0"):
        vectors = s.summary()["devices"][name]["vectors"]
        assert [(v["raised"], v["delivered"]) for v in vectors] == [(2, 2)] * 3, (name, vectors)


def test_a_suspend_with_no_return_leaves_the_functions_in_d3hot(tmp_path: Path) -> None:
    path, text = new(tmp_path, LSPCI.replace("{A}", "+").replace("{B}", "+"),
                     BANNER + SUSPEND.split("[ 5130.100001]")[0])
    scn = load_scenario(path)
    assert [a.do for a in scn.run if a.do.startswith("pm_")] == ["pm_suspend", "pm_suspend"]
    assert "  # no return from it in dmesg.txt: no pm_resume" in text
    s = Session.from_scenario(path)
    s.run()
    lost = [v["lost"] for v in s.summary()["devices"]["eth0"]["vectors"]]
    assert lost == [1, 1, 1]      # the fires after the suspend: "function in D3hot", no message


def test_a_hibernation_is_freeze_and_thaw_on_bare_metal_and_a_comment_on_xen(tmp_path: Path) -> None:
    lspci = LSPCI.replace("{A}", "-").replace("{B}", "-")
    path, text = new(tmp_path, lspci, BANNER + HIBERNATE)
    scn = load_scenario(path)
    assert [(a.at_ns, a.do, a.dev) for a in scn.run if a.do.startswith("pm_")] == [
        (3_000_000, "pm_freeze", "eth0"), (3_000_000, "pm_freeze", "nvme0"),
        (4_000_000, "pm_thaw", "eth0"), (4_000_000, "pm_thaw", "nvme0")]
    assert "the restore after the power-off is not modelled" in text
    path, text = new(tmp_path, lspci, BANNER + HIBERNATE, "--platform", "xen-hvm")
    scn = load_scenario(path)
    assert not [a for a in scn.run if a.do.startswith("pm_")]
    assert ("  #   pm_freeze / pm_thaw not added: this msidbg says pm_freeze (the hibernation's freeze / thaw) "
            "is modelled on bare metal only (expected platform.kind: bare-metal)") in text
    # a suspend on xen-hvm loads (QEMU's emulated PMCSR: pm_suspend / pm_resume of a passthrough function)
    path, _ = new(tmp_path, lspci, BANNER + SUSPEND, "--platform", "xen-hvm")
    assert [a.do for a in load_scenario(path).run if a.do.startswith("pm_")] == ["pm_suspend"] * 2 + ["pm_resume"] * 2


def test_many_cycles_are_bounded_and_counted(tmp_path: Path) -> None:
    path, text = new(tmp_path, LSPCI.replace("{A}", "-").replace("{B}", "-"), BANNER + SUSPEND * 6)
    scn = load_scenario(path)
    assert len([a for a in scn.run if a.do == "pm_suspend"]) == 2 * dm.MAX_CYCLES
    assert "  # 2 more sleep cycles in dmesg.txt: not added (the first 4 are)" in text
