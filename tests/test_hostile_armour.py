"""A mail or text file claiming to hold an armoured snapshot (``debugger/armour.py``), from a
stranger: markers without an end, MIME nested without limit, charsets nobody knows. Each is a
one-line error within the hostile limits, never a hang or an internal error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from msidbg.debugger import armour
from msidbg.debugger.armour import ArmourError, bodies, extract
from tests.bugio.helpers import ROOT, cli

SNAP = ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack"
NO_BLOCK = "no -----BEGIN MSIDBG SNAPSHOT----- ... -----END MSIDBG SNAPSHOT----- block"


def test_a_megabyte_of_begin_markers_without_an_end_is_refused_in_linear_time() -> None:
    text = armour.BEGIN + "\n"
    data = (text * ((1 << 20) // len(text))).encode()
    start = time.process_time()
    with pytest.raises(ArmourError, match="no -----BEGIN"):
        extract(data, 1 << 20)
    assert time.process_time() - start < 2.0   # the lazy BEGIN(.*?)END search took minutes here


def test_blocks_are_each_end_and_the_last_begin_before_it() -> None:
    """(hardening21: a BEGIN followed by another BEGIN before any END opens no block -- the second
    block was ' BEGIN two', a body that never decodes, hiding the block after a quoted BEGIN line.)"""
    b, e = armour.BEGIN, armour.END
    assert bodies(f"x {b}one{e} {b} {b}two{e} tail {e} {b}three") == ["one", "two"]
    assert bodies(f"{e}{b}>> quoted{e}") == [">> quoted"]
    assert bodies("nothing") == []


def test_an_armoured_snapshot_still_opens_after_text_and_markers(tmp_path: Path) -> None:
    block = armour.armour(SNAP.read_bytes())
    mail = tmp_path / "mail.txt"
    mail.write_text(f"{armour.END}\nhello\n{block}\nbye {armour.BEGIN}\n")
    assert extract(mail.read_bytes(), 1 << 26) == SNAP.read_bytes()


@pytest.mark.parametrize("levels, says", [
    (1000, "the mail nests its MIME parts too deeply (expected a mail as a mail client writes it)"),
    (3000, "the mail has more than 1024 multipart MIME parts (expected a mail or an mbox as mail clients write them)"),
])
def test_mime_parts_nested_without_limit_are_one_line(tmp_path: Path, levels: int, says: str) -> None:
    nested = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(levels))
    mail = tmp_path / "deep.eml"
    mail.write_text("From: a@example.org\nSubject: bug\nMIME-Version: 1.0\n" + nested + "Content-Type: text/plain\n\nhi\n")
    code, out, err = cli("replay", str(mail))
    assert (code, out, err) == (2, "", f"msidbg: {mail}: {says}\n")


def test_a_charset_nobody_knows_is_read_as_utf8(tmp_path: Path) -> None:
    block = armour.armour(SNAP.read_bytes())
    mail = tmp_path / "odd.eml"
    mail.write_text('From: a@example.org\nSubject: bug\nContent-Type: text/plain; charset="x-no-such-charset"\n\n'
                    + block)
    assert extract(mail.read_bytes(), 1 << 26) == SNAP.read_bytes()
    mail.write_text('From: a@example.org\nContent-Type: text/plain; charset="x-no-such-charset"\n\nno block\n')
    code, _, err = cli("replay", str(mail))
    assert code == 2 and err == f"msidbg: {mail}: {NO_BLOCK} (expected a msidbg snapshot or a mail holding one)\n"
