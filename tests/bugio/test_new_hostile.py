"""``msidbg new`` on lspci text from a stranger with more functions than a scenario can hold."""

from __future__ import annotations

import time
from pathlib import Path

from tests.bugio.helpers import cli


def test_more_msi_functions_than_a_scenario_holds_is_one_line_at_once(tmp_path: Path) -> None:
    """20,000 functions took minutes (naming them is quadratic), then ended in "internal error: the
    skeleton does not load: file too large"."""
    text = "".join(f"{i // 256 % 256:02x}:{i // 8 % 32:02x}.{i % 8} Ethernet controller: x\n"
                   "\tCapabilities: [b0] MSI-X: Enable+ Count=4 Masked-\n" for i in range(20_000))
    lspci = tmp_path / "lspci.txt"
    lspci.write_text(text)
    out = tmp_path / "out.yaml"
    start = time.process_time()
    code, stdout, err = cli("new", "--lspci", str(lspci), "-o", str(out))
    assert time.process_time() - start < 5
    assert (code, stdout) == (2, "") and not out.exists()
    assert err == (f"msidbg: {lspci}: 20000 functions with an MSI or MSI-X capability is too many (expected at "
                   "most 64, a scenario's devices: keep the lspci sections of the devices involved)\n")
    # 64 still make a skeleton that loads
    lspci.write_text("".join(text.splitlines(keepends=True)[:128]))
    code, _, err = cli("new", "--lspci", str(lspci), "-o", str(out))
    assert code == 0 and out.read_text().count("bdf:") == 64, err
