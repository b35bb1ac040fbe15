"""ux6: scenario messages that told a stranger something untrue about their file."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.errors import MsidbgError
from msidbg.scenario import load_scenario

BASE = ('name: t\ncpus: 2\ndevices:\n  eth0: {bdf: "00:03.0", msix: {table_size: 2}}\nrun:\n'
        '  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}\n')


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(MsidbgError) as e:
        load_scenario(str(path))
    return e.value.oneline()


@pytest.mark.parametrize("row", [
    "  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 5, every: 0us}\n",
    "  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 5, every: 0}\n",
])
def test_every_zero_is_not_called_missing(tmp_path: Path, row: str) -> None:
    """``every: 0us`` with ``count: 5`` was "run[1].every: required when count > 1": the file
    had the field; its value was the problem."""
    line = error_of(tmp_path, BASE + row)
    assert "run[1].every" in line and "required" not in line, line
    assert "0 is not a time between signals" in line and "count: 5" in line, line


def test_a_missing_every_is_still_required(tmp_path: Path) -> None:
    line = error_of(tmp_path, BASE + "  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 5}\n")
    assert "run[1].every: required when count > 1" in line, line


def test_a_probe_fire_with_every_zero_says_so_too(tmp_path: Path) -> None:
    text = BASE + ("probes:\n  - {at: pci_write_msi_msg.data, do: fire, dev: eth0, vector: 0, count: 3, "
                   "every: 0ns}\n")
    line = error_of(tmp_path, text)
    assert "probes[0].every: 0 is not a time between signals" in line, line
    text = BASE + "probes:\n  - {at: pci_write_msi_msg.data, do: fire, dev: eth0, vector: 0, count: 3}\n"
    assert "probes[0].every: required when count > 1" in error_of(tmp_path, text)
