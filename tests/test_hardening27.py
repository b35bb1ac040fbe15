"""hardening27: the leads hardening26 left -- no default event cap for why, report, export and diff
given a scenario; the expression parser's messages out of the one-line form; a short binary file
named 'not valid UTF-8' when it looks like a snapshot cut short; GH-N and commit SHAs autolinking in
report --markdown."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"msidbg: {path}: ") and "Traceback" not in err, err
    assert "(expected " in lines[0], err
    return lines[0]


# --- (3) a short binary file that looks like a snapshot --------------------------------------------------
@pytest.mark.parametrize(("name", "data"), [("one.msgpack", b"\x85"), ("one.yaml", b"\x85"), ("cut", b"\x85\xa3abc"),
                                            ("map16", b"\xde\x00\x10\xa5"), ("named.msgpack", b"\xff\xfe\x00")])
def test_run_names_a_short_binary_file_as_a_snapshot_cut_short(tmp_path: Path, name: str, data: bytes) -> None:
    """One byte of a snapshot (a msgpack map) given to ``run`` said 'not valid UTF-8: byte 0x85'
    -- true, and no help: the file is a snapshot cut short, which replay diagnoses."""
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = cli("run", str(path), "--headless")
    assert (code, out) == (2, "")
    line = _one_line(err, str(path))
    assert "not valid UTF-8" not in line and "looks like a msidbg snapshot cut short" in line, line
    assert "not a scenario (expected a scenario YAML file" in line, line


def test_other_binary_text_is_still_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    code, _, err = cli("run", str(path), "--headless")
    assert code == 2 and "not valid UTF-8: byte 0xe9" in err and "snapshot" not in err, err
