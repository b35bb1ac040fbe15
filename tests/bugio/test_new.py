"""`msidbg new`: scenario skeletons from lspci / /proc/interrupts / dmesg samples.

The samples under data/ follow the real formats: lspci's header and ``ls-caps.c`` capability
lines, ``kernel/irq/proc.c``'s /proc/interrupts rows (hwirq = index | dev_id << 11), and dmesg.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.bugio.new import _refusal
from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.bugio.helpers import DATA, cli


def new(tmp_path: Path, *args: str) -> tuple[Path, str]:
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", *args, "-o", str(out))
    assert code == 0, err
    return out, out.read_text()


def test_seed_82599_vf_line_loads_and_runs(tmp_path: Path) -> None:
    """The seed thread quotes only `Capabilities: [70] MSI-X: Enable+ Count=3 Masked-`."""
    out, text = new(tmp_path, "--lspci", str(DATA / "seed-82599vf.txt"), "--platform", "xen-hvm")
    scn = load_scenario(str(out))
    assert scn.platform.kind == "xen-hvm"
    (dev,) = scn.devices.values()
    assert (dev.bdf, dev.passthrough, dev.msix and dev.msix.table_size, dev.msi) == ("00:03.0", True, 3, None)
    assert [(a.do, a.args.get("vectors")) for a in scn.run if a.do == "probe"] == [("probe", 3)]
    res = headless.run(scn)
    vectors = res.summary["devices"][dev.name]["vectors"]
    assert res.summary["devices"][dev.name]["probe"] == "ok"
    assert [(v["raised"], v["delivered"]) for v in vectors] == [(1, 1)] * 3
    # the mail's prose line mentions MSI: it is listed, not dropped
    assert "#   seed-82599vf.txt:1: The guest uses MSI-X on that NIC:" in text


def test_workstation_gives_one_device_each_with_its_capabilities(tmp_path: Path) -> None:
    d = DATA
    out, text = new(tmp_path, "--lspci", str(d / "workstation-lspci.txt"),
                    "--interrupts", str(d / "workstation-interrupts.txt"), "--dmesg", str(d / "workstation-dmesg.txt"))
    scn = load_scenario(str(out))
    got = {n: (x.bdf, x.kind, x.msix and x.msix.table_size, x.msi and (x.msi.vectors, x.msi.per_vector_mask,
                                                                        x.msi.addr64)) for n, x in scn.devices.items()}
    assert got == {
        "xhci0": ("00:14.0", "xhci", None, (8, False, True)),
        # the SMBus controller has only its pin: behind Intel VT-d remapping INTx loads (kernlock), so it is a
        # device probed with mode: intx
        "dev0": ("00:1f.4", "generic", None, None),
        "enp0s31f6": ("00:1f.6", "nic", None, (1, False, True)),
        "nvme0": ("02:00.0", "nvme", 33, (1, False, True)),
    }
    assert scn.cpus == 4 and scn.platform.interrupt_remapping is True
    probes = [(a.dev, a.args["mode"], a.args["vectors"]) for a in scn.run if a.do == "probe"]
    assert probes == [("xhci0", "msi", 1), ("dev0", "intx", 1), ("enp0s31f6", "msi", 1), ("nvme0", "msix", 5)]
    moves = [(a.dev, a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"]
    assert moves == [("xhci0", 0, 2), ("enp0s31f6", 0, 1), ("nvme0", 0, 3), ("nvme0", 1, 0), ("nvme0", 2, 1),
                     ("nvme0", 3, 2), ("nvme0", 4, 3)]
    # the root port has MSI but is a bridge; its irq row names its function: both listed
    assert "#   workstation-lspci.txt:25: 00:1c.0 PCI bridge: not added: a bridge" in text
    assert "workstation-interrupts.txt:7: irq 122 IR-PCI-MSI PCIe PME -- 00:1c.0 is not a device here" in text
    assert "rows not for a PCI MSI irq: 0 1 8 9 16 NMI LOC SPU ERR MIS PIN" in text
    assert "Linux version 6.1.0-18-amd64, based on 6.1.76" in text  # not gcc's "Debian 12.2.0-14"
    res = headless.run(scn)
    assert all(v["delivered"] == v["raised"] == 1 for dev in res.summary["devices"].values() for v in dev["vectors"])


def test_xen_guest_matches_pirq_rows_by_the_names_dmesg_gave(tmp_path: Path) -> None:
    d = DATA
    out, text = new(tmp_path, "--lspci", str(d / "seed-82599vf.txt"),
                    "--interrupts", str(d / "aws-m4-interrupts.txt"), "--dmesg", str(d / "aws-m4-dmesg.txt"))
    scn = load_scenario(str(out))
    assert (scn.platform.kind, scn.platform.xen, scn.cpus) == ("xen-hvm", "4.2", 2)
    assert list(scn.devices) == ["eth0"] and scn.devices["eth0"].kind == "nic"
    moves = [(a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"]
    assert moves == [(0, 0), (1, 1), (2, 0)]
    assert "aws-m4-dmesg.txt:10: xen:events: creating evtchn using pirq 101 irq 290" in text
    # Ubuntu's 5.15.0-1019-aws is based on the stable release 5.15.39 (its banner says so)
    probe = _refusal('kernel: {version: "5.15.39"}')
    assert ('  version: "5.15.39"' in text) == (probe is None)
    assert ("# kernel.version: \"5.15.39\"" in text) == (probe is not None)
    assert "Linux version 5.15.0-1019-aws, based on 5.15.39" in text


def test_msi_count_is_capable_over_enabled_and_bad_counts_are_listed(tmp_path: Path) -> None:
    lspci = tmp_path / "l.txt"
    lspci.write_text(
        "0000:05:00.0 Ethernet controller [0200]: Intel Corporation I350 [8086:1521] (rev 01)\n"
        "\tCapabilities: [50] MSI: Enable- Count=1/4 Maskable+ 64bit+\n"
        "\tCapabilities: [70] MSI-X: Enable- Count=0 Masked-\n"
        "\tCapabilities: [a0] MSI-X: Enable+ Count=10 Maskd-\n"
        "\tKernel driver in use: igb\n")
    out, text = new(tmp_path, "--lspci", str(lspci))
    dev = load_scenario(str(out)).devices["eth0"]
    assert (dev.bdf, dev.kind, dev.msix, dev.msi and (dev.msi.vectors, dev.msi.per_vector_mask)) == \
        ("05:00.0", "nic", None, (4, True))
    assert "l.txt:3: Capabilities: [70] MSI-X: Enable- Count=0 Masked- -- 05:00.0: MSI-X Count=0" in text
    assert "l.txt:4: Capabilities: [a0] MSI-X: Enable+ Count=10 Maskd- -- 05:00.0: an MSI capability line" in text


@pytest.mark.parametrize("content, expected", [
    (b"00:00.0 Host bridge: Intel\n\tControl: I/O-\n", "no function with an MSI or MSI-X capability"),
    (b"\x7fELF\x00\x01", "l.txt:1: a NUL byte: this is a binary file (expected lspci -vv text)"),
    (b"00:02.0 VGA: x\n\tCapabilities: <access denied>\n", "no function with an MSI or MSI-X"),
])
def test_bad_input_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    f = tmp_path / "l.txt"
    f.write_bytes(content)
    code, out, err = cli("new", "--lspci", str(f), "-o", str(tmp_path / "o.yaml"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("msidbg: ") and expected in err
    assert not (tmp_path / "o.yaml").exists()


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    code, _, err = cli("new", "--lspci", str(tmp_path / "nope"), "-o", "-")
    assert code == 2 and "nope: cannot read: No such file or directory" in err
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate((8 << 20) + 1)
    code, _, err = cli("new", "--lspci", str(DATA / "seed-82599vf.txt"), "--dmesg", str(big), "-o", "-")
    assert code == 2 and "big.txt: file too large" in err and err.count("\n") == 1


def test_interrupts_rows_before_the_header_and_short_rows_are_listed(tmp_path: Path) -> None:
    irq = tmp_path / "i.txt"
    irq.write_text(" 24: 1 2 PCI-MSI 0-edge x\n           CPU0       CPU1\n 25:   7\n"
                   " 26:  0  5  PCI-MSI 49152-edge  eth0\n")
    out, text = new(tmp_path, "--lspci", str(DATA / "seed-82599vf.txt"), "--interrupts", str(irq))
    assert "i.txt:1: 24: 1 2 PCI-MSI 0-edge x -- before the CPU header line" in text
    assert "i.txt:3: 25: 7 -- expected 2 per-CPU counts" in text
    # hwirq 49152 = 00:03.0 index 0 (dev_id 0x18 << 11): the headerless function got that slot
    scn = load_scenario(str(out))
    assert [(a.args["vector"], a.args["cpu"]) for a in scn.run if a.do == "set_affinity"] == [(0, 1)]


@pytest.mark.parametrize("cmd, words", [
    ("new", ["--lspci", "--interrupts", "--dmesg", "--platform", "-o"]),
    ("schema", ["JSON Schema", "-o"]),
    ("report", ["--markdown", "--inline", "72 columns"]),
    ("export", ["--perfetto", "--max-events", "Perfetto"]),
    ("serve", ["--host", "--port", "127.0.0.1"]),
])
def test_every_bugio_command_has_help(cmd: str, words: list[str]) -> None:
    code, out, _ = cli(cmd, "--help")
    assert code == 0 and all(w in " ".join(out.split()) for w in words)
    code, out, _ = cli("--help")
    assert cmd in out
