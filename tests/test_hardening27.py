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


# --- (4) report --markdown: GH-N and bare commit ids ------------------------------------------------------
SHAS_ABOUT = ("fixed by 826da771291f (GH-123, gh-45), reverts 9fb9eb4b59ac5e1f2b0a9c7d3e4f5a6b7c8d9e0f; "
              "see torvalds/linux@baedb87d1b53 and 1234567; not 0x12345678, defaced, abc123 or msix_1234567")


@pytest.fixture(scope="module")
def shas_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    import json

    folder = tmp_path_factory.mktemp("shas")
    lines = Path(SCN).read_text().split("\n")
    start = lines.index("about: |")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    scn = folder / "shas.yaml"
    scn.write_text("\n".join([*lines[:start], f"about: {json.dumps(SHAS_ABOUT)}", *lines[end:]]))
    code, out, err = cli("report", str(scn), "--markdown")
    assert code == 0, err
    return out


def test_report_markdown_links_no_issue_and_no_commit(shas_report: str) -> None:
    """GitHub links ``GH-123`` to an issue and a bare 7-40 digit hex word to a commit of the repository
    the report is pasted into: hardening26 broke ``@user`` and ``#123`` but not these. Read in the
    rendered text, no run of 7 hex digits and no ``GH-`` before a digit is left; without the zero-width
    spaces the text is as typed."""
    import html as htmlmod
    import re

    from markdown_it import MarkdownIt

    html = MarkdownIt("gfm-like").render(shas_report)
    prose = htmlmod.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<pre>.*?</pre>|<code>.*?</code>", " ", html, flags=re.S)))
    assert not re.search(r"(?<![0-9A-Za-z_])[0-9a-fA-F]{7,40}(?![0-9A-Za-z_])", prose.replace("defaced", "")), prose[:1500]
    assert not re.search(r"GH-[0-9]", prose, re.I), prose[:1500]
    plain = prose.replace("\u200b", "")
    for word in ("826da771291f", "GH-123", "gh-45", "9fb9eb4b59ac5e1f2b0a9c7d3e4f5a6b7c8d9e0f", "@baedb87d1b53",
                 "1234567", "0x12345678", "defaced", "abc123", "msix_1234567"):
        assert word in plain, (word, plain[:1500])
    assert "0x12345678" in prose and "defaced" in prose and "abc123" in prose   # not commit ids: untouched


def test_report_markdown_keeps_commit_ids_in_its_code_blocks(shas_report: str) -> None:
    """The behaviour table (a fenced block: code, which GitHub never links) keeps its commit ids whole."""
    import re

    fenced = "\n".join(re.findall(r"^```+\n(.*?)^```+$", shas_report, flags=re.S | re.M))
    ids = re.findall(r"\b[0-9a-f]{12}\b", fenced)
    assert len(ids) > 10 and "\u200b" not in fenced and "&#8203;" not in fenced, fenced[:800]
