"""ux6: ``msidbg report`` promises at most 72 columns; a bookmark note (or a scenario's about)
in Chinese, Japanese or with emoji took two columns a character and ran to 138."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from msidbg.bugio.report import WIDTH, _wrap
from msidbg.debugger import Session
from tests.conftest import SCENARIOS
from tests.test_cli import msidbg

NOTE = ("设备在条目未屏蔽时被重写地址，导致中断丢失。这是一个很长的说明，用于测试七十二列的换行是否按照显示宽度计算"
        "而不是按字符数计算。")


def columns(line: str) -> int:
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in line)


@pytest.mark.parametrize("markdown", [False, True])
def test_a_report_with_wide_characters_stays_within_72_columns(tmp_path: Path, markdown: bool) -> None:
    s = Session.from_scenario(str(SCENARIOS / "msix-write-while-unmasked.yaml"))
    s.continue_()
    s.bookmark("中断丢失", NOTE * 2)
    s.bookmark("fire", "🔥" * 60 + " then ascii words after the flames " + "ＡＢＣ" * 30)
    s.save(str(tmp_path / "cjk.msgpack"))
    out = msidbg("report", str(tmp_path / "cjk.msgpack"), *(["--markdown"] if markdown else []))
    assert out.returncode == 0, out.stderr
    wide = [line for line in out.stdout.splitlines() if columns(line) > WIDTH and "://" not in line]
    assert not wide, wide
    text = "".join(out.stdout.split())
    assert "".join(NOTE.split()) in text and "🔥" * 60 in text   # cut into lines, nothing lost


def test_wrap_keeps_ascii_as_it_was() -> None:
    text = "the quick brown fox jumps over the lazy dog " * 5
    lines = _wrap(text, "  ", "    ")
    assert all(len(line) <= WIDTH for line in lines) and lines[0].startswith("  the quick")
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())


def test_wrap_mixed_text_fills_lines_by_columns() -> None:
    lines = _wrap("中断 " * 40, "  ", "    ")
    assert all(columns(line) <= WIDTH for line in lines)
    assert columns(lines[0]) >= WIDTH - 5, lines[0]      # filled, not cut at half the width
