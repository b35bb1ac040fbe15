"""`msidbg new` on held-out inputs: lspci and dmesg in the shapes users paste them
(tests/bugio/data/held/README.md says where each came from)."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.bugio.helpers import DATA, cli

HELD = DATA / "held"


def new(tmp_path: Path, *args: str, out: str = "scn.yaml") -> tuple[Path, str]:
    path = tmp_path / out
    code, _, err = cli("new", *args, "-o", str(path))
    assert code == 0, err
    return path, path.read_text()


def probes(path: Path) -> list[tuple[str, str, int, bool]]:
    scn = load_scenario(str(path))
    return [(a.dev or "", a.args["mode"], a.args["vectors"], a.args.get("set_master", True))
            for a in scn.run if a.do == "probe"]


def test_lspci_whose_indentation_a_tracker_stripped_is_one_function(tmp_path: Path) -> None:
    """Every line at the left margin: the capability lines are the header's function's, not
    functions of their own at made-up addresses (main: dev0 00:03.0 MSI and dev1 00:04.0 MSI-X,
    both generic)."""
    out, text = new(tmp_path, "--lspci", str(HELD / "acrn-unindented-lspci.txt"))
    scn = load_scenario(str(out))
    (dev,) = scn.devices.values()
    assert (dev.name, dev.bdf, dev.kind, dev.msix and dev.msix.table_size) == ("eth0", "03:00.0", "nic", 4)
    assert dev.msi is not None and (dev.msi.vectors, dev.msi.per_vector_mask) == (1, False)
    # MSI is the enabled one (Enable+ Count=1/1; MSI-X Enable-): the driver's mode
    assert probes(out) == [("eth0", "msi", 1, True)]
    assert "(driver r8169)" in text


def test_capability_lines_quoted_alone_are_one_function_until_one_repeats(tmp_path: Path) -> None:
    """Lines quoted together from one lspci block are one function; a second MSI-X line is another."""
    lspci = tmp_path / "l.txt"
    lspci.write_text("Capabilities: [50] MSI: Enable- Count=1/8 Maskable+ 64bit+\n"
                     "Capabilities: [70] MSI-X: Enable+ Count=3 Masked-\n"
                     "Capabilities: [70] MSI-X: Enable+ Count=5 Masked-\n")
    out, _ = new(tmp_path, "--lspci", str(lspci))
    devs = load_scenario(str(out)).devices
    assert [(d.bdf, d.msix and d.msix.table_size, d.msi and d.msi.vectors) for d in devs.values()] == \
        [("00:03.0", 3, 8), ("00:04.0", 5, None)]


def test_a_device_block_without_its_bus_address_keeps_its_class(tmp_path: Path) -> None:
    """``Non-Volatile memory controller: <name omitted> ...`` starts the function (an NVMe), at the
    first free slot, said so; main made two generic devices of its two capability lines."""
    out, text = new(tmp_path, "--lspci", str(HELD / "qubes-no-address-lspci.txt"))
    (dev,) = load_scenario(str(out)).devices.values()
    assert (dev.name, dev.kind, dev.bdf, dev.msix and dev.msix.table_size) == ("nvme0", "nvme", "00:03.0", 65)
    assert "the device block had no bus address; a guest's first free slot" in text
    assert probes(out) == [("nvme0", "msix", 3, True)]


def test_lspci_path_headers_name_the_function_at_the_end_of_the_path(tmp_path: Path) -> None:
    """``lspci -PP``: ``0000:00:00.0/01:00.1`` is 01:00.1 (pciutils show_slot_path); ``-P`` prints
    no bus below a bridge (``00:1c.0/00.0``): the bus is a guess, said in a comment."""
    out, _ = new(tmp_path, "--lspci", str(HELD / "x520-path-lspci.txt"))
    (dev,) = load_scenario(str(out)).devices.values()
    assert (dev.name, dev.bdf, dev.kind, dev.msix and dev.msix.table_size) == ("eth0", "01:00.1", "nic", 64)
    lspci = tmp_path / "p.txt"
    lspci.write_text("00:1c.0/00.0 Non-Volatile memory controller: Samsung NVMe SSD Controller\n"
                     "\tCapabilities: [b0] MSI-X: Enable+ Count=33 Masked-\n")
    out, text = new(tmp_path, "--lspci", str(lspci), out="p.yaml")
    (dev,) = load_scenario(str(out)).devices.values()
    assert (dev.bdf, dev.kind) == ("01:00.0", "nvme")
    assert "prints no bus number below a bridge: bus 01 is a guess" in text


def test_lspci_n_class_codes_give_the_kind(tmp_path: Path) -> None:
    """``lspci -n`` prints the class as a code (``24:00.0 0200: 8086:1533``): 0200 is a NIC."""
    out, _ = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"))
    devs = load_scenario(str(out)).devices
    assert [(d.name, d.bdf, d.kind) for d in devs.values()] == [("nvme0", "22:00.0", "nvme"), ("eth0", "24:00.0", "nic")]


def test_busmaster_clear_under_a_stub_driver_is_not_a_driver_that_forgot_set_master(tmp_path: Path) -> None:
    """xen-pciback (xen_pcibk_reset_device) and vfio-pci (vfio_pci_core_disable) clear Bus Master
    while no guest has the function: that says nothing of the guest's driver, so the probe sets it
    (main wrote set_master: false, which drops every message)."""
    out, text = new(tmp_path, "--lspci", str(HELD / "pciback-gpu-lspci.txt"))
    assert probes(out) == [("dev0", "msi", 1, True)]
    assert "BusMaster- under pciback, a stub that clears it" in text
    assert "# held by pciback for a guest: lspci ran on the host" in text
    res = headless.run(load_scenario(str(out)))
    assert [(v["raised"], v["delivered"]) for v in res.summary["devices"]["dev0"]["vectors"]] == [(1, 1)]


def test_kernel_hint_is_checked_with_the_skeletons_cpus(tmp_path: Path) -> None:
    """Linux 4.14 is refused on one CPU (the flat logical APIC driver) but not on the two this
    journal's ``smp: Brought up 1 node, 2 CPUs`` gives: main checked the hint alone (one CPU) and
    left the kernel out."""
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"),
                    "--dmesg", str(HELD / "qubes-journal-dmesg.txt"))
    scn = load_scenario(str(out))
    assert (scn.cpus, scn.platform.kind, scn.kernel.version) == (2, "xen-hvm", "4.14.41")
    assert "not set: this msidbg says" not in text


def test_line_numbers_count_newlines_only(tmp_path: Path) -> None:
    """A form feed or U+2028 inside a pasted line does not end it (str.splitlines would, and every
    cited line number after it would be off by one); a lone-CR file is split at its CRs."""
    lspci = tmp_path / "l.txt"
    lspci.write_bytes("note: see\x0cpage 2 \u2028 here\n"
                      "05:00.0 Ethernet controller: Intel Corporation I350\n"
                      "\tCapabilities: [70] MSI-X: Enable+ Count=10 Maskd-\n"
                      "\tCapabilities: [50] MSI: Enable+ Count=1/1 Maskable+ 64bit+\n".encode())
    _, text = new(tmp_path, "--lspci", str(lspci))
    assert "#   l.txt:3: Capabilities: [70] MSI-X: Enable+ Count=10 Maskd-" in text
    assert "# l.txt:4: MSI: Count=1/1 Maskable+ 64bit+" in text
    mac = tmp_path / "m.txt"
    mac.write_bytes(b"05:00.0 Ethernet controller: Intel\r\tCapabilities: [70] MSI-X: Enable+ Count=4 Masked-\r")
    out, _ = new(tmp_path, "--lspci", str(mac), out="m.yaml")
    (dev,) = load_scenario(str(out)).devices.values()
    assert (dev.bdf, dev.msix and dev.msix.table_size) == ("05:00.0", 4)


def test_a_numeric_output_name_and_a_block_pasted_twice_still_load(tmp_path: Path) -> None:
    """``-o 61.yaml`` named the scenario 61 (a YAML integer) and a device block pasted twice gave
    two devices at one address: both were "internal error: the skeleton does not load"."""
    lspci = tmp_path / "l.txt"
    block = "03:00.0 Ethernet controller: Realtek RTL8111\n\tCapabilities: [50] MSI: Enable+ Count=1/1 Maskable- 64bit+\n"
    lspci.write_text(block + "\n" + block)
    out, text = new(tmp_path, "--lspci", str(lspci), out="61.yaml")
    scn = load_scenario(str(out))
    assert scn.name == "61" and [d.bdf for d in scn.devices.values()] == ["03:00.0"]
    assert "l.txt:4: 0000:03:00.0 Ethernet controller -- the same bus address as l.txt:1" in text
    assert "not added: no MSI or MSI-X" not in text  # listed once, for what it is


def test_dmesg_distro_base_with_a_suffix_and_dev_info_netdev_names(tmp_path: Path) -> None:
    """Ubuntu's banner ends ``(Ubuntu 3.13.0-44.73-generic 3.13.11-ckt12)``: the base is 3.13.11;
    igb prints ``igb 0000:24:00.0: eth3: (PCIe:2.5Gb/s:Width x1)`` (dev_info with the netdev's name)."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text(
        "[    0.000000] Linux version 3.13.0-44-generic (buildd@lamiak) #73-Ubuntu SMP "
        "(Ubuntu 3.13.0-44.73-generic 3.13.11-ckt12)\n"
        "[    1.736617] igb 0000:24:00.0: eth3: (PCIe:2.5Gb/s:Width x1) fa:16:3e:25:bc:df\n")
    _, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    assert "Linux version 3.13.0-44-generic, based on 3.13.11" in text
    assert "\n  eth3:" in text and "\n  eth0:" not in text


def test_free_slots_run_on_to_the_next_bus_after_device_31(tmp_path: Path) -> None:
    """Thirty lone capability lines (a mail quoting one line per VF) need slots past 00:1f.0:
    main wrote 00:20.0, which the loader refuses ("internal error: the skeleton does not load")."""
    lspci = tmp_path / "l.txt"
    lspci.write_text("Capabilities: [70] MSI-X: Enable+ Count=3 Masked-\n" * 30)
    out, _ = new(tmp_path, "--lspci", str(lspci))
    bdfs = [d.bdf for d in load_scenario(str(out)).devices.values()]
    assert len(bdfs) == 30 and bdfs[:2] == ["00:03.0", "00:04.0"]
    assert bdfs[28:] == ["00:1f.0", "01:00.0"]


def test_what_lspci_shows_that_a_scenario_cannot_hold_is_said(tmp_path: Path) -> None:
    """The table's BAR and offset, and a Function Mask left set (``Masked+`` on an enabled table),
    were counted as "property lines not needed": the skeleton now says them where the device is."""
    lspci = tmp_path / "l.txt"
    lspci.write_text("05:00.0 Ethernet controller: Intel Corporation I350 Gigabit Network Connection\n"
                     "\tCapabilities: [70] MSI-X: Enable+ Count=10 Masked+\n"
                     "\t\tVector table: BAR=3 offset=00000000\n"
                     "\t\tPBA: BAR=3 offset=00002000\n"
                     "\tKernel driver in use: igb\n")
    _, text = new(tmp_path, "--lspci", str(lspci))
    assert "    # table at BAR3+0x0, PBA at BAR3+0x2000: not modelled" in text
    assert "    # Masked+ on an enabled table: the Function Mask was set when lspci ran" in text
    lspci.write_text("05:00.0 Ethernet controller: Intel Corporation I350 Gigabit Network Connection\n"
                     "\tCapabilities: [70] MSI-X: Enable+ Count=10 Masked-\n"
                     "\t\tVector table: BAR=3 offset=00000000\n\t\tPBA: BAR=3 offset=00000800\n")
    _, text = new(tmp_path, "--lspci", str(lspci), out="b.yaml")
    assert "PBA at BAR3+0x800 (one 4 KiB page): not modelled" in text and "Masked+" not in text


def test_a_vendor_kernel_release_says_its_backports_are_not_its_base(tmp_path: Path) -> None:
    """RHEL's 4.18.0-513.5.1.el8_9 is not upstream 4.18.0 (and names no base, unlike Ubuntu's and
    Debian's banners): the release is used, and the comment says the switches may differ."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text("[    0.000000] Linux version 4.18.0-513.5.1.el8_9.x86_64 (mockbuild@x86-vm-07) "
                     "(gcc version 8.5.0 20210514 (Red Hat 8.5.0-20) (GCC)) #1 SMP\n")
    _, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    assert ('  version: "4.18.0"                      # d.txt:1: Linux version 4.18.0-513.5.1.el8_9.x86_64: '
            "a distro build; its backports may differ from 4.18.0's switches") in text
    dmesg.write_text("[    0.000000] Linux version 6.6.0-rc3-00136-g25e684fb22df-dirty (me@box) #1 SMP\n")
    _, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg), out="b.yaml")
    assert "# d.txt:1: Linux version 6.6.0-rc3-00136-g25e684fb22df-dirty\n" in text


def test_the_trouble_dmesg_reports_is_named_with_its_breakpoint(tmp_path: Path) -> None:
    """microsoft/azure-linux-kernel#27's ``do_IRQ: 10.232 No irq handler for vector`` (CPU 10,
    vector 232), an nvme completion polled after a timeout, Xen's own ``CPU1: No irq handler for
    vector 4f`` and ixgbe's failed MSI-X allocation were listed as lines with "nothing this skeleton
    sets"; now each says what it reports and which armed breakpoint stops there, and the CPU the
    guest names sizes ``cpus`` when nothing else does (main: 2)."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text(
        "[74530.686555] do_IRQ: 10.232 No irq handler for vector\n"
        "[74532.832221] nvme nvme1: I/O 206 QID 6 timeout, completion polled\n"
        "(XEN) CPU1: No irq handler for vector 4f (IRQ -22, LAPIC)\n"
        "[    3.107050] ixgbe 0000:24:00.0: Failed to allocate MSI-X interrupts. Err: -22\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    assert load_scenario(str(out)).cpus == 11
    assert "cpus: 11                                 # d.txt:1: names CPU10, so at least 11 online" in text
    after = text.split("# The trouble as dmesg reported it", 1)[1].splitlines()[1:]
    trouble = [ln for ln in after[:next(i for i, ln in enumerate(after) if not ln.startswith("#   "))]]
    assert [ln.rsplit(" -- ", 1)[1] for ln in trouble] == [
        "CPU10 took vector 0xe8 with no irq behind it (irq-spurious)",
        "nvme1: a completion whose interrupt never came (irq-lost)",
        "Xen: CPU1 took vector 0x4f with no irq behind it (irq-spurious, on Xen's side)",
        "a driver could not get its vectors (probe-failed)"]


def test_a_tree_or_a_plain_listing_is_told_apart_from_a_missing_capability(tmp_path: Path) -> None:
    """Users paste ``lspci -t`` or plain ``lspci`` when asked for lspci: the one-line error says which
    (main: "no function with an MSI or MSI-X capability ... run lspci as root" for both)."""
    tree = tmp_path / "t.txt"
    tree.write_text("-[0000:00]-+-00.0  Intel Corporation Device 9b61\n"
                    "           +-01.0-[01]----00.0  NVIDIA Corporation TU117M\n"
                    "           \\-1f.6  Intel Corporation Ethernet Connection (10) I219-V\n")
    plain = tmp_path / "p.txt"
    plain.write_text("00:00.0 Host bridge: Intel Corporation Device 9b61\n"
                     "03:00.0 Ethernet controller: Intel Corporation I350 Gigabit Network Connection\n")
    for path, expected in ((tree, "t.txt: an lspci -t tree (3 lines) shows no capabilities (expected lspci -vv"),
                           (plain, "p.txt: 2 functions listed without their properties (expected lspci -vv")):
        code, out, err = cli("new", "--lspci", str(path), "-o", str(tmp_path / "o.yaml"))
        assert (code, out, err.count("\n")) == (2, "", 1) and expected in err, err
        assert not (tmp_path / "o.yaml").exists()


def test_a_pvh_guest_is_said_not_modelled(tmp_path: Path) -> None:
    """A PVH guest prints "Hypervisor detected: Xen HVM" too; default_banner's "Booting
    paravirtualized kernel on Xen PVH" tells it apart (init_hvm_pv_info names it): said, not
    silently modelled as an HVM guest with QEMU."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text("[    0.000000] Hypervisor detected: Xen HVM\n[    0.000000] Xen version 4.17.\n"
                     "[    0.010000] Booting paravirtualized kernel on Xen PVH\n")
    _, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    assert ("# d.txt:3: Booting paravirtualized kernel on Xen PVH: a PVH guest (no QEMU device model): "
            "its passthrough path is neither xen-hvm's nor xen-pv's; not modelled") in text


def test_the_apic_driver_dmesg_names_is_the_platforms_apic_routing(tmp_path: Path) -> None:
    """``platform.apic_routing`` is "the x86 APIC driver as dmesg names it" (docs/scenario.md), and
    it sets the MSI address format, but main never read it: ``Switched APIC routing to flat.`` on a
    4-CPU 6.1 kernel is logical destination mode (CPU1's address 0xfee02004), checked with the
    kernel release (6.12 removed flat); the later switch wins; a refused one is a comment."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text("[    0.000000] Linux version 6.1.0 (x)\n[    0.100000] smp: Brought up 1 node, 4 CPUs\n"
                     "[    0.150000] Switched APIC routing to physical flat.\n"
                     "[    0.200000] Switched APIC routing to flat.\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    scn = load_scenario(str(out))
    assert (scn.platform.apic_routing, scn.kernel.version) == ("flat", "6.1.0")
    assert "  apic_routing: flat                     # d.txt:4: Switched APIC routing to flat." in text
    dmesg.write_text("[    0.000000] Linux version 6.12.1 (x)\n"
                     "[    0.200000] APIC: Switched APIC routing to: cluster x2apic\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg), out="b.yaml")
    assert load_scenario(str(out)).platform.apic_routing is None
    assert "# platform.apic_routing: cluster x2apic -- d.txt:2:" in text
    assert "#   not set: this msidbg says platform.apic_routing: x2APIC cluster mode needs interrupt remapping" in text


def test_the_event_channel_abi_dmesg_names_is_the_one_the_run_uses(tmp_path: Path) -> None:
    """``xen:events: Using 2-level ABI`` (xen_evtchn_2l_init) on a 5.10 guest of Xen 4.17, whose
    versions resolve FIFO: the skeleton sets kernel.xen_fifo_events: false so the run serves its
    ports in the 2-level order, as the guest did (main ran FIFO); FIFO where the versions cannot
    have it is a comment."""
    dmesg = tmp_path / "d.txt"
    head = ("[    0.000000] Linux version {v} (x)\n[    0.000000] Hypervisor detected: Xen HVM\n"
            "[    0.000000] Xen version 4.17.\n[    0.100000] smp: Brought up 1 node, 2 CPUs\n")
    dmesg.write_text(head.format(v="5.10.0") + "[    0.200000] xen:events: Using 2-level ABI\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg))
    plain = load_scenario(str(out)).behaviour.plain()
    assert (plain["xen_fifo_events"], plain["xen_evtchn_fifo"]) == (False, True)
    assert "  xen_fifo_events: false                 # d.txt:5: xen:events: Using 2-level ABI" in text
    dmesg.write_text(head.format(v="5.10.0") + "[    0.200000] xen:events: Using FIFO-based ABI\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg), out="b.yaml")
    assert load_scenario(str(out)).behaviour.plain()["xen_fifo_events"] is True and "ABI" not in text
    dmesg.write_text(head.format(v="3.13.0") + "[    0.200000] xen:events: Using FIFO-based ABI\n")
    _, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg), out="c.yaml")
    assert "# d.txt:5: xen:events: Using FIFO-based ABI: the versions above resolve the 2-level ABI" in text
    # without a Linux version line the kernel block is opened for the switch alone
    dmesg.write_text(head.split("\n", 1)[1] + "[    0.200000] xen:events: Using 2-level ABI\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "numeric-lspci.txt"), "--dmesg", str(dmesg), out="d.yaml")
    assert load_scenario(str(out)).behaviour.plain()["xen_fifo_events"] is False
    assert "not set" not in text


def test_xen_pirq_rows_of_a_3x_kernel_with_the_flow_joined_to_the_chip(tmp_path: Path) -> None:
    """Before show_interrupts padded a domain-less irq's hwirq column, the flow name followed the
    chip: ``xen-pirq-msi-x     eth0-TxRx-0`` (the joined form of ``xen-percpu-virq`` in a 2015
    XenServer guest's /proc/interrupts, mikaku/Monitorix#77): main read no MSI row in it."""
    irq = tmp_path / "i.txt"
    irq.write_text("           CPU0       CPU1\n"
                   " 16:  837307248          0  xen-percpu-virq      timer0\n"
                   "290:         12          0  xen-pirq-msi-x     eth0-TxRx-0\n"
                   "291:          0          9  xen-pirq-msi-x     eth0-TxRx-1\n"
                   "292:          3          0  xen-pirq-msi-x     eth0\n")
    out, text = new(tmp_path, "--lspci", str(DATA / "seed-82599vf.txt"), "--interrupts", str(irq),
                    "--dmesg", str(DATA / "aws-m4-dmesg.txt"))
    scn = load_scenario(str(out))
    assert [(a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"] == [(0, 0), (1, 1), (2, 0)]
    assert "rows not for a PCI MSI irq: 16\n" in text


def test_msi_rows_of_a_kernel_that_printed_no_hwirq_are_matched_by_name(tmp_path: Path) -> None:
    """3.x kernels (RHEL 7's 3.10) print ``IR-PCI-MSI-edge      eth0-TxRx-0``: no hwirq, so no
    function; main counted them as "rows not for a PCI MSI irq" and lost the CPUs they ran on.
    They are matched by name, like Xen's pirq rows, and say interrupt remapping."""
    irq = tmp_path / "i.txt"
    irq.write_text("           CPU0       CPU1       CPU2       CPU3\n"
                   "  0:        150          0          0          0   IO-APIC-edge      timer\n"
                   " 46:         12        300          0          0   IR-PCI-MSI-edge      eth0-TxRx-0\n"
                   " 47:          0          0       4000          0   IR-PCI-MSI-edge      eth0-TxRx-1\n"
                   " 48:          3          0          0          0   IR-PCI-MSI-edge      eth0\n")
    out, text = new(tmp_path, "--lspci", str(HELD / "x520-path-lspci.txt"), "--interrupts", str(irq))
    scn = load_scenario(str(out))
    assert scn.platform.interrupt_remapping and scn.cpus == 4
    assert [(a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"] == [(0, 1), (1, 2), (2, 0)]
    assert "rows not for a PCI MSI irq: 0\n" in text


def test_a_netdev_name_with_capitals_names_the_device_and_its_pirq_rows(tmp_path: Path) -> None:
    """systemd names a NIC in PCI domain 1 ``enP1s15`` (intel/nemu#82's ``renamed from eth0``):
    main's dmesg pattern had no capitals, so the device was eth0 and Xen pirq rows named after
    it matched nothing; the device is ``enp1s15`` and its ``enP1s15-TxRx-N`` rows are its vectors."""
    dmesg = tmp_path / "d.txt"
    dmesg.write_text("[    0.000000] Hypervisor detected: Xen HVM\n"
                     "[   47.304194] ixgbevf 0000:00:03.0 enP1s15: renamed from eth0\n")
    irq = tmp_path / "i.txt"
    irq.write_text("           CPU0       CPU1\n"
                   "290:         12          0  xen-pirq     -msi-x     enP1s15-TxRx-0\n"
                   "291:          0          9  xen-pirq     -msi-x     enP1s15-TxRx-1\n")
    out, _ = new(tmp_path, "--lspci", str(DATA / "seed-82599vf.txt"), "--interrupts", str(irq), "--dmesg", str(dmesg))
    scn = load_scenario(str(out))
    assert list(scn.devices) == ["enp1s15"]
    assert [(a.dev, a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"] == \
        [("enp1s15", 0, 0), ("enp1s15", 1, 1)]
