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
