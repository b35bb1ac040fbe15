"""ux5: the command line on scenarios nobody wrote for it (a 16-CPU hotplug run, AMD-Vi remapping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.files import sniff
from tests.bugio.helpers import cli
from tests.test_ux5_values import HOTPLUG


@pytest.fixture(scope="module")
def hotplug(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("ux5cli") / "hotplug.yaml"
    p.write_text(HOTPLUG)
    return p


def test_a_headless_stop_at_a_watch_says_what_changed_and_replay_says_it_too(hotplug: Path, tmp_path: Path) -> None:
    snap = str(tmp_path / "w.msgpack")
    code, out, _ = cli("run", str(hotplug), "--break", "watch cpu[5].online", "--stop-at-break", "--save", snap)
    lines = out.splitlines()
    assert code == 1 and lines[1].startswith("stopped: breakpoint at event ") and lines[1].endswith(
        " on breakpoint watch cpu[5].online")
    assert lines[2] == "  cpu[5].online: True -> False"      # the watch's old -> new (the TUI's status line)
    for extra in ((), ("--no-verify",)):
        code, out, _ = cli("replay", snap, *extra)
        assert code == 0 and out.splitlines()[1:3] == lines[1:3]


def test_a_headless_stop_at_a_call_names_the_program(hotplug: Path) -> None:
    code, out, _ = cli("run", str(hotplug), "--break", "call cpu_down", "--stop-at-break")
    assert code == 1 and out.splitlines()[2] == "  entered cpu_down"


def test_a_built_in_stop_is_told_once_in_its_hits(hotplug: Path) -> None:
    code, out, _ = cli("run", str(hotplug), "--stop-at-break")
    lines = out.splitlines()
    assert code == 1 and lines[1].endswith("on breakpoint irq-lost") and lines[2].startswith("state hash ")
    assert sum("66 signal(s)" in ln for ln in lines) == 1


def test_run_save_never_replaces_a_scenario_or_other_file_that_is_not_a_snapshot(hotplug: Path,
                                                                                 tmp_path: Path) -> None:
    """`--save bug2.yaml` typed for bug2.msgpack replaced a hand-written scenario by a snapshot
    (the TUI's save dialog refuses that; the CLI did not)."""
    victim = tmp_path / "bug2.yaml"
    victim.write_text(HOTPLUG)
    notes = tmp_path / "notes.txt"
    notes.write_text("what I saw on the box\n")
    for target in (victim, notes):
        before = target.read_bytes()
        code, out, err = cli("run", str(hotplug), "--headless", "--save", str(target))
        assert code == 2 and out == "" and target.read_bytes() == before
        assert err == (f"msidbg: {target}: run: argument --save: cannot write: it exists and is not a msidbg snapshot: not replaced "
                       "(expected a new file name, or a snapshot to replace)\n")
    snap, empty = tmp_path / "s.msgpack", tmp_path / "empty.msgpack"
    empty.write_bytes(b"")
    for target in (snap, snap, empty):                      # new, then a snapshot replaced; an empty file
        code, _, err = cli("run", str(hotplug), "--max-events", "10", "--save", str(target))
        assert code == 0 and err == "" and sniff(target.read_bytes()) == "snapshot"
    # --no-clobber (docs/debugger.md "Output files") refuses the snapshot too
    code, _, err = cli("run", str(hotplug), "--max-events", "10", "--save", str(snap), "--no-clobber")
    assert code == 2 and err.endswith("not replaced (expected a new file name: --no-clobber never replaces one)\n")


def test_a_mail_cut_inside_its_snapshot_block_says_so(hotplug: Path, tmp_path: Path) -> None:
    """A report mail pasted without its last lines (the END marker and the checksum line gone)
    was 'no BEGIN ... END block (expected a msidbg snapshot or a mail holding one)' -- while the
    BEGIN line is right there."""
    snap, mail, cut = tmp_path / "s.msgpack", tmp_path / "mail.txt", tmp_path / "cut.txt"
    assert cli("run", str(hotplug), "--max-events", "50", "--save", str(snap))[0] == 0
    assert cli("report", str(snap), "--inline", "-o", str(mail))[0] == 0
    lines = mail.read_text().splitlines(keepends=True)
    begin = next(i for i, ln in enumerate(lines) if ln.startswith("-----BEGIN MSIDBG SNAPSHOT"))
    cut.write_text("".join(lines[:begin + 3]))
    for cmd in ("replay", "open"):
        code, out, err = cli(cmd, str(cut))
        assert code == 2 and out == "" and err == (
            f"msidbg: {cut}: no -----BEGIN MSIDBG SNAPSHOT----- ... -----END MSIDBG SNAPSHOT----- block: the BEGIN "
            "line has no END line after it (expected the whole block; the mail or the copy was cut short)\n")
    assert cli("replay", str(mail))[0] == 0


BIG = """\
name: ux5-big-table
cpus: 8
devices:
  mlx0: {bdf: "03:00.0", kind: nic, msix: {table_size: 512}}
run:
  - {at: 0, on: 0, do: probe, dev: mlx0, mode: msix, vectors: 128}
  - {at: 5ms, do: fire, dev: mlx0, vector: 0, count: 20, every: 1us}
  - {at: 5ms, do: fire, dev: mlx0, vector: 127, count: 20, every: 1us}
"""


def test_the_human_summary_folds_runs_of_quiet_vectors(tmp_path: Path) -> None:
    """A 128-vector NIC with two busy vectors printed 128 vector lines, the two that mattered
    buried among 126 of zeros; --json still lists every vector."""
    big = tmp_path / "big.yaml"
    big.write_text(BIG)
    code, out, _ = cli("run", str(big), "--headless")
    dev = out.split("\nmlx0: probe ok\n", 1)[1].splitlines()
    assert code == 0 and dev == ["  vector 0: raised 20 delivered 20 lost 0 spurious 0",
                                 "  vectors 1-126: raised 0 delivered 0 lost 0 spurious 0 (each)",
                                 "  vector 127: raised 20 delivered 20 lost 0 spurious 0"]
    import json

    code, out, _ = cli("run", str(big), "--json")
    assert [v["index"] for v in json.loads(out)["devices"]["mlx0"]["vectors"]] == list(range(128))


def test_version_names_the_model_revision() -> None:
    """msidbg 0.1.0 spans every model revision; a bug report's `msidbg --version` must say which."""
    from msidbg import __version__
    from msidbg.model.revision import MODEL

    code, out, _ = cli("--version")
    assert code == 0 and out == f"msidbg {__version__} (model revision {MODEL})\n"
