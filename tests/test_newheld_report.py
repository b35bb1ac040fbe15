"""`msidbg report` pasted into a mail: the reader's msidbg must be able to tell which model ran."""

from __future__ import annotations

from pathlib import Path

from msidbg import __version__
from msidbg.bugio.report import render
from msidbg.model.revision import MODEL
from tests.bugio.helpers import ROOT, cli


def test_versions_name_the_model_revision_of_a_run_this_msidbg_made(tmp_path: Path) -> None:
    """The version string stayed 0.1.0 through many model revisions (model/revision.py), and a
    snapshot replays only under the revision that wrote it: main named the revision only for a
    file another revision wrote, so a report of a fresh run did not say which model produced it."""
    snap = tmp_path / "bug.msgpack"
    code, _, err = cli("run", str(ROOT / "scenarios" / "marvell-nvme-msi-blocked.yaml"), "--headless",
                       "--stop-at-break", "--save", str(snap))
    assert code == 1, err
    for text in (render(str(snap)), render(str(ROOT / "scenarios" / "marvell-nvme-msi-blocked.yaml"))):
        versions = text.split("\nVersions\n", 1)[1].split("\n\n", 1)[0]
        assert f"  msidbg     {__version__}, model revision {MODEL}" in versions.splitlines()
        assert "written by" not in versions


def test_a_url_in_the_about_stays_whole_and_other_long_words_are_still_cut(tmp_path: Path) -> None:
    """A scenario's about cites its thread (a lore.kernel.org link longer than a line): main cut it
    at column 72, which no mail client opens; it keeps a line of its own, the rest stays in 72."""
    url = ("https://lore.kernel.org/all/20220613131542.1234567-1-averyveryveryveryverylongmessageid."
           "abcdefghijklmnop@some.host.example.org/T/#u")
    word = "x" * 100
    src = (ROOT / "scenarios" / "marvell-nvme-msi-blocked.yaml").read_text()
    scn = tmp_path / "s.yaml"
    kept, in_about = [], False
    for ln in src.splitlines():  # drop the about block (its head and its indented lines)
        in_about = ln.startswith("about:") or (in_about and ln[:1] in (" ", ""))
        if not in_about:
            kept.append(ln)
    scn.write_text(f'about: "See {url} for the thread; {word} end"\n' + "\n".join(kept) + "\n")
    # Markdown (hardening25): the URL as an autolink, prose wrapped at 71 (a column kept for a
    # backslash that escapes a line's start)
    for text, shown, width in ((render(str(scn)), url, 72), (render(str(scn), markdown=True), f"<{url}>", 71)):
        lines = text.splitlines()
        assert shown in lines
        assert [ln for ln in lines if len(ln) > 72] == [shown]
        rest = 100 - width
        assert "x" * width in lines and any(ln.startswith("x" * rest) and "x" * (rest + 1) not in ln for ln in lines)
