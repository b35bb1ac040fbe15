"""hardening32: option errors found after parsing name the subcommand; bug-report readers take ASCII
digits only; ``replay --scenario --json`` names the refused line; what the CLI fuzzer (tests/fuzz32.py)
found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from msidbg.errors import MsidbgError
from tests.bugio.helpers import ROOT, cli

SCN = str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")


def _line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err and "(expected " in lines[0], err
    return lines[0]


# --- (1) option errors found after parsing name the subcommand ---------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (("why", SNAP, "--max-events", "5"),
     f"msidbg: {SNAP}: why: argument --max-events: a snapshot is opened at its cursor, never run further "
     "(expected a scenario file)"),
    (("report", SNAP, "--max-events", "5"),
     f"msidbg: {SNAP}: report: argument --max-events: a snapshot is reported at its cursor"),
    (("why", SNAP, "--seed", "3"), f"msidbg: {SNAP}: why: argument --seed: a snapshot replays its own run"),
    (("report", SCN, "--no-verify"), f"msidbg: {SCN}: report: argument --no-verify: only for a snapshot"),
    (("why", SNAP, "--path", "cpu[0].irr", "--at", "99"),
     f"msidbg: {SNAP}: why: argument --at: no event 99: the snapshot's history ends at event 26 (expected 0..26)"),
    (("why", SNAP, "--event", "99"),
     f"msidbg: {SNAP}: why: argument --event: no event 99: the run has 26 events (expected 1..26)"),
    (("why", SNAP, "--hit", "7"),
     f"msidbg: {SNAP}: why: argument --hit: no hit 7: the run has 1 armed breakpoint hit (expected 0..0)"),
    (("why", SCN, "--path", "irqs[77].vector"), f"msidbg: {SCN}: why: argument --path: irqs[77].vector: no irq 77 at the cursor"),
    (("why", SNAP, "--path", "cpu["), f"msidbg: {SNAP}: why: argument --path: column 5 of 'cpu[': found the end"),
    (("why", SNAP, "--break", "if ("), f"msidbg: {SNAP}: why: argument --break: column 5 of 'if ('"),
    (("why", SNAP, "--what-if", "--path", "cpu[0].irr"),
     f"msidbg: {SNAP}: why: argument --what-if: 'cpu[0].irr' is no symptom"),
    (("run", SCN, "--headless", "--break", "if ("), "msidbg: run: argument --break: column 5 of 'if ('"),
    (("run", SCN, "--depth", "2"), f"msidbg: {SCN}: run: argument --depth: the run's schedule is ordered"),
])
def test_an_option_error_after_parsing_names_the_subcommand_and_the_option(args: tuple[str, ...], says: str) -> None:
    code, out, err = cli(*args)
    assert (code, out) == (2, "") and _line(err).startswith(says), err


def test_export_seed_of_a_snapshot_names_export(tmp_path: Path) -> None:
    code, out, err = cli("export", SNAP, "--seed", "3", "--perfetto", str(tmp_path / "t.pftrace"))
    assert (code, out) == (2, "") and not (tmp_path / "t.pftrace").exists()
    assert _line(err).startswith(f"msidbg: {SNAP}: export: argument --seed: a snapshot replays its own run"), err


def test_explore_options_name_explore_from_the_library_too(tmp_path: Path) -> None:
    from msidbg.explore import explore

    (tmp_path / "f").write_text("")
    code, _, err = cli("explore", SCN, "--runs", "1", "--save-failing", str(tmp_path / "f"))
    assert code == 2 and _line(err) == (f"msidbg: {tmp_path / 'f'}: explore: argument --save-failing: not a folder "
                                        "(expected a folder for the snapshots, or a new name in an existing folder)")
    code, _, err = cli("explore", SCN, "--runs", "1", "--until", "bogus")
    assert code == 2 and _line(err).startswith("msidbg: explore: argument --until: column 1 of 'bogus': unknown ")
    with pytest.raises(MsidbgError) as e:       # explore() itself: no CLI subcommand set, still named
        explore(SCN, until=["bogus"], jobs=1)
    assert e.value.oneline().startswith("msidbg: explore: argument --until: column 1 of 'bogus'")


def test_the_subcommand_is_forgotten_after_the_command() -> None:
    """An error raised by library code after a CLI call does not name the last subcommand."""
    from msidbg import guard
    from msidbg.debugger.whyrun import seed_of_snapshot

    assert cli("why", SNAP, "--seed", "1")[0] == 2
    assert guard.command() is None
    assert seed_of_snapshot(SNAP).oneline().startswith(f"msidbg: {SNAP}: argument --seed: a snapshot replays")


def test_a_person_gets_the_subcommand_with_the_caret(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from msidbg import cli as climod

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert climod.main(["why", SNAP, "--path", "cpu["]) == 2
    # (a terminal gets the replay's progress line after 0.25 s -- a loaded machine -- cleared with '\r ESC[K'
    # before the error: what the person reads is what follows the last clear)
    lines = capsys.readouterr().err.rsplit("\r\033[K", 1)[-1].splitlines()
    assert lines[0].startswith(f"msidbg: {SNAP}: why: argument --path: column 5: found the end of the expression")
    assert lines[1:] == ["    cpu[", "        ^"]


# --- (2) bug-report readers: ASCII digits only --------------------------------------------------------------------
LSPCI = """\
02:00.0 Ethernet controller: Intel Corporation I210 Gigabit Network Connection (rev 03)
\tControl: I/O+ Mem+ BusMaster+ SpecCycle- MemWINV- VGASnoop- ParErr- Stepping- SERR- FastB2B- DisINTx+
\tInterrupt: pin A routed to IRQ 17
\tCapabilities: [70] MSI-X: Enable+ Count={n} Masked-
\tKernel driver in use: igb
"""
DMESG = ("[    0.000000] Linux version {v} (linux@archlinux) #1 SMP\n"
         "[    0.120000] smp: Brought up 1 node, {c} CPUs\n")


@pytest.mark.parametrize(("n", "v", "c"), [
    ("\u0665", "\u0666.\u0666.\u0668-arch1-1", "\u0664"),      # Arabic-Indic ٥, ٦.٦.٨, ٤
    ("\uff15", "\uff16.\uff16.\uff18-arch1-1", "\uff14"),      # fullwidth ５, ６.６.８, ４
    ("\u096b", "\u096c.\u096c.\u096e-arch1-1", "\u096a"),      # Devanagari ५, ६.६.८, ४
])
def test_new_reads_no_digit_other_than_0_9(tmp_path: Path, n: str, v: str, c: str) -> None:
    """lspci's 'Count=٥' made a 5-entry MSI-X table and dmesg's '４ CPUs' four CPUs: ``\\d`` is any
    Unicode decimal digit and ``int()`` reads them all; lspci and the kernel print 0-9 only."""
    (tmp_path / "l.txt").write_text(LSPCI.format(n=n), encoding="utf-8")
    (tmp_path / "d.txt").write_text(DMESG.format(v=v, c=c), encoding="utf-8")
    code, out, err = cli("new", "--lspci", str(tmp_path / "l.txt"), "--dmesg", str(tmp_path / "d.txt"), "-o", "-")
    assert code == 0, err
    assert "cpus: 2 " in out and "msix:" not in out and "kernel" not in out.split("devices:")[0], out
    assert f"MSI-X: Enable+ Count={n} Masked- -- 02:00.0: an MSI capability line this cannot read" in out
    # the same files in ASCII digits are read
    (tmp_path / "l.txt").write_text(LSPCI.format(n="5"), encoding="utf-8")
    (tmp_path / "d.txt").write_text(DMESG.format(v="6.6.8-arch1-1", c="4"), encoding="utf-8")
    code, out, err = cli("new", "--lspci", str(tmp_path / "l.txt"), "--dmesg", str(tmp_path / "d.txt"), "-o", "-")
    assert code == 0 and "cpus: 4 " in out and "msix: {table_size: 5}" in out and 'version: "6.6.8"' in out, out


def test_markdown_escapes_an_ordered_list_of_ascii_digits_only() -> None:
    """CommonMark's ordered list marker is 1-9 ASCII digits; '٣. x' is text and got a stray backslash."""
    from msidbg.bugio.report import _md_line

    assert _md_line("3. x") == "3\\. x"
    assert _md_line("\u0663. x") == "\u0663. x"


# --- (3) replay --scenario --json names the line a run of the text refuses ---------------------------------------
def test_replay_scenario_json_names_the_refused_line(tmp_path: Path) -> None:
    import json

    from msidbg.debugger import Session
    from msidbg.scenario import load_scenario_text

    text = Path(SCN).read_text().replace("\ndevices:", "\nplatform: {kind: bare-metal, interrupt_remapping: on}\n"
                                         "devices:", 1)
    line = text[:text.index("interrupt_remapping: on")].count("\n") + 1
    s = Session(load_scenario_text(text, "old.yaml", recorded=True))
    s.run(max_events=5)
    s.save(str(tmp_path / "old.msgpack"))
    code, out, err = cli("replay", str(tmp_path / "old.msgpack"), "--scenario", "--json")
    assert (code, err) == (0, ""), err
    got = json.loads(out)["refused"]
    assert got["line"] == line and got["message"].startswith("platform.interrupt_remapping: 'on' is a boolean (true) "
                                                             "to YAML 1.1"), got
    code, out, err = cli("replay", SNAP, "--scenario", "--json")
    assert code == 0 and json.loads(out)["refused"] is None
    code, _, err = cli("replay", str(tmp_path / "old.msgpack"), "--scenario", "-o", str(tmp_path / "o.yaml"))
    assert code == 0 and f"note: {tmp_path / 'o.yaml'}:{line}: platform.interrupt_remapping: 'on'" in err, err


# --- (4) what tests/fuzz32.py found -------------------------------------------------------------------------------
def test_diff_of_a_diverging_snapshot_is_bad_input_saying_what_was_expected(tmp_path: Path) -> None:
    """fuzz32 case 242 (seed 32): a re-sealed snapshot whose replay diverges was exit 2 for diff (nothing
    compared) in a line without '(expected ...)'; replay keeps exit 1 and its own words."""
    import msgpack

    from msidbg.debugger import snapshot as snap

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False, strict_map_key=False)
    doc["seed"] = 2     # resealed: only a replay can tell
    bad = tmp_path / "s.msgpack"
    bad.write_bytes(snap.seal(doc))
    code, out, err = cli("diff", str(bad), SNAP)
    assert (code, out) == (2, "") and _line(err) == (
        f"msidbg: {bad}: replay diverged from the recording at event 0; first differing world path at the cursor "
        "(event 26): rng (expected a snapshot whose replay matches its recording, as 'msidbg replay' checks: nothing "
        "was compared)")
    code, _, err = cli("replay", str(bad))
    assert code == 1 and err.strip().endswith("(event 26): rng")


@pytest.mark.parametrize("damage", ["drop", "swap", "bad-char", "no-checksum"])
def test_a_damaged_mail_block_says_what_was_expected(tmp_path: Path, damage: str) -> None:
    """fuzz32 (mails): 'the snapshot block is damaged: not zlib data (a line may be missing)' and its
    base64 / length siblings had no '(expected ...)'."""
    mail = tmp_path / "mail.txt"
    assert cli("report", SNAP, "--inline", "-o", str(mail))[0] == 0
    lines = mail.read_text().split("\n")
    begin = next(i for i, ln in enumerate(lines) if ln.startswith("-----BEGIN MSIDBG"))
    if damage == "drop":
        del lines[begin + 3]
    elif damage == "swap":
        lines[begin + 2], lines[begin + 5] = lines[begin + 5], lines[begin + 2]
    elif damage == "bad-char":
        lines[begin + 1] = "!" + lines[begin + 1][1:]
    else:
        lines = [ln for ln in lines if not ln.startswith("~ sha256")]
    mail.write_text("\n".join(lines))
    code, out, err = cli("replay", str(mail))
    assert (code, out) == (2, "") and _line(err).startswith(f"msidbg: {mail}: the snapshot block is damaged: ")


@pytest.mark.parametrize(("args", "option"), [
    (("run", SCN, "--headless", "--save", "O"), "--save"),
    (("replay", SNAP, "--scenario", "-o", "O"), "-o/--output"),
    (("report", SNAP, "-o", "O"), "-o/--output"),
    (("schema", "-o", "O"), "-o/--output"),
    (("export", SNAP, "--perfetto", "O"), "--perfetto"),
])
def test_an_output_path_refused_names_the_subcommand_and_the_option(tmp_path: Path, args: tuple[str, ...],
                                                                    option: str) -> None:
    out = str(tmp_path / "no" / "out")
    code, stdout, err = cli(*[out if a == "O" else a for a in args])
    assert (code, stdout) == (2, "") and _line(err) == (f"msidbg: {out}: {args[0]}: argument {option}: cannot write: "
                                                        "No such file or directory (expected a path in an existing "
                                                        "directory)")
    assert os.listdir(tmp_path) == []
