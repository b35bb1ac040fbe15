"""ux3: `msidbg report` on a run whose device dropped its messages with Bus Master Enable clear."""

from __future__ import annotations

from pathlib import Path

from tests.bugio.helpers import cli

SCN = """\
name: nomaster
seed: 1
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2{master}}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
breakpoints: [irq-lost]
"""


def report(tmp_path: Path, master: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(SCN.format(master=master))
    code, out, err = cli("report", str(path))
    assert code == 0, err
    return out


def test_the_state_at_the_stop_shows_bus_master_clear(tmp_path: Path) -> None:
    """The stop said 'Bus Master Enable was clear' but the state at the stop showed only the MSI-X
    table, where everything looked right; the register that explains the loss was not there."""
    out = report(tmp_path, ", set_master: false")
    state = out.split("State at event ", 1)[1].splitlines()
    assert state[1] == "  eth0 Control: Mem+ BusMaster-  (messages dropped)"
    assert state[2].startswith("  eth0 MSI-X: Enable+")


def test_a_device_with_both_bits_set_gets_no_control_line(tmp_path: Path) -> None:
    out = report(tmp_path, "")
    assert "Control:" not in out
