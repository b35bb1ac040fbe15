"""ux3: `msidbg new` reads lspci's Control: line (the Command register's Bus Master Enable)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario
from tests.bugio.helpers import cli

HEADER = "03:00.0 Ethernet controller [0200]: Intel Corporation 82599 Virtual Function [8086:10ed] (rev 01)\n"
CONTROL = ("\tControl: I/O- Mem+ BusMaster{bm} SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- "
           "FastB2B- DisINTx+\n")
STATUS = "\tStatus: Cap+ 66MHz- UDF- FastB2B- ParErr- DEVSEL=fast >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n"


def skeleton(tmp_path: Path, bm: str, enabled: str = "+", driver: bool = True) -> tuple[str, list[dict]]:
    lspci = tmp_path / "lspci.txt"
    lspci.write_text(HEADER + CONTROL.format(bm=bm) + STATUS
                     + f"\tCapabilities: [70] MSI-X: Enable{enabled} Count=3 Masked-\n"
                     + ("\tKernel driver in use: ixgbevf\n" if driver else ""))
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", str(lspci), "-o", str(out))
    assert code == 0, err
    scn = load_scenario(str(out))
    res = headless.run(scn)
    return out.read_text(), res.summary["devices"]["eth0"]["vectors"]


def test_busmaster_off_on_a_bound_function_is_a_probe_without_pci_set_master(tmp_path: Path) -> None:
    """lspci -vv showed `BusMaster-` on a NIC whose driver had MSI-X on -- the driver never called
    pci_set_master() -- and the skeleton probed it as a driver that did: every signal delivered."""
    text, vectors = skeleton(tmp_path, "-")
    probe = next(line for line in text.splitlines() if "do: probe" in line)
    assert "set_master: false" in probe
    assert "  # eth0: lspci.txt:2: Control: BusMaster-: the driver never called pci_set_master()" in text
    assert [(v["raised"], v["delivered"], v["lost"]) for v in vectors] == [(1, 0, 1)] * 3
    assert "1 property line not needed (Status:" in text     # Control: is used now, Status: is not


@pytest.mark.parametrize(("bm", "enabled", "driver"), [("+", "+", True), ("-", "-", False)])
def test_busmaster_on_or_an_unbound_function_probes_as_drivers_do(tmp_path: Path, bm: str, enabled: str,
                                                                  driver: bool) -> None:
    text, vectors = skeleton(tmp_path, bm, enabled, driver)
    assert "set_master" not in text
    assert [(v["raised"], v["delivered"]) for v in vectors] == [(1, 1)] * 3
    assert ("no driver bound" in text) == (bm == "-")


class Pipe:
    """A standard input that is a pipe holding ``data`` (or a terminal)."""

    def __init__(self, data: bytes, tty: bool = False) -> None:
        import io

        self.buffer = io.BytesIO(data)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_lspci_from_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`lspci -vv | msidbg new --lspci - -o bug.yaml` read a file named '-': 'cannot read: No such
    file or directory'."""
    lspci = HEADER + CONTROL.format(bm="+") + "\tCapabilities: [70] MSI-X: Enable+ Count=3 Masked-\n"
    monkeypatch.setattr("sys.stdin", Pipe(lspci.encode()))
    out = tmp_path / "scn.yaml"
    code, _, err = cli("new", "--lspci", "-", "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    assert "from stdin." in text and "# stdin:1: 03:00.0 Ethernet controller" in text
    assert load_scenario(str(out)).devices["eth0"].msix.table_size == 3  # type: ignore[union-attr]


@pytest.mark.parametrize(("args", "stdin", "says"), [
    (["--lspci", "-"], Pipe(b"", tty=True), "msidbg: stdin: standard input is a terminal (expected lspci -vv "
                                             "text piped in"),
    (["--lspci", "-"], Pipe(b"hello\n"), "msidbg: stdin: no function with an MSI or MSI-X capability"),
    (["--lspci", "-", "--dmesg", "-"], Pipe(b""), "msidbg: new: argument --dmesg: '-' (standard input) given to --lspci and --dmesg: one stream cannot be both"),
])
def test_standard_input_errors_are_one_line(args: list[str], stdin: Pipe, says: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", stdin)
    code, out, err = cli("new", *args, "-o", "-")
    assert code == 2 and out == ""
    assert err.startswith(says) and err.count("\n") == 1, err
