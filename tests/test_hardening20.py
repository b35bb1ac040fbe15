"""hardening20: the leads hardening19 left -- each input answered in the contract's one line,
``msidbg: FILE: field: what is wrong (expected ...)``, exit 2, and nothing that blocks."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from msidbg.errors import MsidbgError
from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")
LSPCI = str(ROOT / "tests" / "bugio" / "data" / "workstation-lspci.txt")


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: "), err
    return lines[0]


def test_new_does_not_block_on_an_input_swapped_for_a_fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``new`` checked its inputs with os.stat, then read them with open(): a path swapped for a
    FIFO in between (here: the stat answers for a regular file) blocked in open() until a writer
    came. Every other reader opens non-blocking and checks with fstat (files.read_regular)."""
    from msidbg.bugio.textin import read_lines

    fifo = tmp_path / "lspci.txt"
    os.mkfifo(fifo)
    real_stat, regular = os.stat, os.stat(LSPCI)

    def swapped(path: Any, *a: Any, **k: Any) -> os.stat_result:
        return regular if os.fspath(path) == str(fifo) else real_stat(path, *a, **k)

    monkeypatch.setattr(os, "stat", swapped)
    said: list[str] = []

    def read() -> None:
        try:
            read_lines(str(fifo), "lspci -vv text")
        except MsidbgError as e:
            said.append(e.oneline())

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(10)
    blocked = t.is_alive()
    if blocked:   # let the reader go: a writer opens the FIFO and closes it (EOF)
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        t.join(10)
    assert not blocked, "read_lines blocked on a FIFO"
    assert said == [f"msidbg: {fifo}: cannot read: not a regular file (expected lspci -vv text)"]


@pytest.mark.parametrize("budget", ["0", "0s"])
def test_a_what_if_budget_of_zero_is_refused_as_runs_and_as_seconds(budget: str) -> None:
    """``--what-if-budget 0`` was accepted and ran no flipped run ('budget exhausted', every candidate
    not run, exit 0), while ``0s`` was refused: both are now refused, in the contract's form."""
    from msidbg.debugger.whatif import MAX_RUNS, MAX_SECONDS

    code, out, err = cli("why", SNAP, "--what-if", "--what-if-budget", budget)
    assert (code, out) == (2, "")
    assert err == (   # (hardening31: argparse's form, naming the subcommand)
        f"msidbg: why: argument --what-if-budget: '{budget}' runs no flipped run (expected 1..{MAX_RUNS} "
        f"runs (\"40\") or 1s..{int(MAX_SECONDS)}s (\"90s\"); for the cause chain alone drop --what-if) (see 'msidbg "
        "why --help')\n")
    code, text, _ = cli("why", "--help")
    said = " ".join(text.split())
    # (hardening28: the bound given replaces both defaults, as parse_budget does)
    assert f"at most N flipped runs (1..{MAX_RUNS}) however long they take (up to a day), or N seconds (\"90s\", " \
        f"1s..{int(MAX_SECONDS)}s) of up to {MAX_RUNS} runs;" in said, said
    assert "0 is refused: for no flipped run drop --what-if" in said, said


def test_why_without_a_target_says_what_was_expected(tmp_path: Path) -> None:
    """'no armed breakpoint hit in this run: arm one with --break NAME, ...' had no '(expected ...)'
    (test_hardening18 pinned it so); a scenario run to its end without a hit gets the same line."""
    bare = tmp_path / "quiet.yaml"
    bare.write_text(Path(SCN).read_text().replace("breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]",
                                                  "breakpoints: []"))
    code, out, err = cli("why", str(bare))
    assert (code, out) == (2, "")
    assert _one_line(err, str(bare)).endswith(
        ": no armed breakpoint hit in this run (expected a run that stopped at a breakpoint or hit an armed one: "
        "arm one with --break NAME, or ask --event N or --path P)"), err


def test_diff_tui_off_a_terminal_tells_a_bad_file_first_as_run_and_open_do(tmp_path: Path) -> None:
    """``diff --tui A B`` off a terminal said 'the TUI needs a terminal' for a missing or broken B,
    where ``run`` and ``open`` name the bad file first (fixing the terminal then only met the file
    error); the files are still checked without running them."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: t\ncpus: lots\n")
    _, _, run_says = cli("run", str(bad))
    code, out, err = cli("diff", "--tui", SCN, str(bad))
    assert (code, out) == (2, "") and err == run_says and "the TUI needs a terminal" not in err, err
    damaged = tmp_path / "damaged.msgpack"
    damaged.write_bytes(Path(SNAP).read_bytes()[:-40])
    _, _, open_says = cli("open", str(damaged))
    code, _, err = cli("diff", "--tui", str(damaged), SCN)
    assert code == 2 and err == open_says and "the TUI needs a terminal" not in err, err
    code, _, err = cli("diff", "--tui", SNAP, SCN)
    assert code == 2 and "the TUI needs a terminal" in _one_line(err, SNAP), err


XEN_SCN = str(SCENARIOS / "xen-hvm-msix-mask-late-early.yaml")
XEN_SNAP = str(ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack")
NEG_KEY = "has no [-1] (expected a key from 0: a map keyed by number has no negative key)"


@pytest.mark.parametrize(("scn", "snap", "path"), [
    (SCN, SNAP, "irqs[-1].affinity"), (XEN_SCN, XEN_SNAP, "xen.pirqs[-1].port"), (XEN_SCN, XEN_SNAP, "xen.ports[-2]"),
    (SCN, SNAP, "cpus[0].vector_irq[-1]"),
])
def test_a_negative_key_into_a_map_keyed_by_number_is_refused(scn: str, snap: str, path: str) -> None:
    """``--break 'watch irqs[-1].affinity'`` was accepted and never fired, ``why --path xen.pirqs[-1]``
    answered 'the initial state': an irq, pirq, port or vector is never negative, but the map (empty at
    event 0) was walked into as a template. ``cpu[-1]`` was refused by hardening19; these are too."""
    shown = path[:path.index("[-")]
    key = path[len(shown):path.index("]", len(shown)) + 1]
    says = f"{shown} {NEG_KEY.replace('[-1]', key)}"
    code, _, err = cli("run", scn, "--headless", "--break", f"watch {path}")
    assert code == 2 and err == f"msidbg: run: argument --break: column {len(shown) + 7} of 'watch {path}': {says}\n", err
    for source in (scn, snap):
        code, out, err = cli("why", "--path", path, source)
        assert (code, out) == (2, "") and _one_line(err, source) == (
            f"msidbg: {source}: why: argument --path: column {len(shown) + 1} of {path!r}: {says}"), err


def test_a_non_negative_key_into_a_map_keyed_by_number_is_still_a_template() -> None:
    """An irq allocated later (irqs[200]) is still accepted: the map grows."""
    code, _, err = cli("run", SCN, "--headless", "--break", "watch irqs[200].affinity")
    assert code == 0, err


def test_every_map_keyed_by_number_is_known_and_has_no_negative_key() -> None:
    """NUMBER_MAPS lists every number-keyed map of the shipped snapshots' worlds (a map empty when a
    breakpoint is armed is known only from the list), and none of them has a negative key."""
    from msidbg.debugger import Session
    from msidbg.debugger.schema import _by_number
    from msidbg.sim.rec import MAPS

    found: set[tuple[str, ...]] = set()

    def walk(value: Any, pattern: tuple[str, ...]) -> None:
        if isinstance(value, MAPS):
            if value and all(type(k) is int for k in value):
                assert min(value) >= 0, pattern
                assert _by_number({}, pattern), f"{'.'.join(pattern)} is keyed by number: list it in NUMBER_MAPS"
                found.add(pattern)
            for k, v in value.items():
                walk(v, pattern + ("*" if type(k) is int or pattern[-1:] == ("cpus",) else k,))
        elif isinstance(value, list):
            for v in value:
                walk(v, pattern + ("*",))

    for snap in sorted((ROOT / "snapshots").glob("*.msgpack")):
        walk(Session.open(str(snap), verify=False).world, ())
    assert {("irqs",), ("xen", "pirqs"), ("xen", "ports")} <= found, found


def _resealed(tmp_path: Path, change: Any) -> Path:
    import msgpack

    from msidbg.debugger.snapshot import seal

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False)
    change(doc)
    bad = tmp_path / "bad.msgpack"
    bad.write_bytes(seal(doc))
    return bad


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d.update(bookmarks=[{"name": "b", "event": 1, "note": ""}] * 100_006),
     "bookmarks: a list of 100006 entries (expected at most 8192)"),
    (lambda d: d["bookmarks"][2].update(event=1.5),
     "bookmarks[2].event: a floating-point value (expected ints, strings, booleans and null only)"),
    (lambda d: d.update(breakpoints=[{"spec": {7: 1}}]), "breakpoints[0].spec: a map key of type int (expected a string)"),
], ids=["size", "float", "key"])
def test_a_snapshot_structure_error_names_the_field_not_the_file(tmp_path: Path, change: Any, says: str) -> None:
    """A bookmarks list of 100,006 entries was 'the file: a list of 100006 entries (expected at most
    8192)': the whole document is decoded at once, so every structural error inside it (a float, an
    int key) named 'the file'. The error names the field path now."""
    bad = _resealed(tmp_path, change)
    for command in (["replay", str(bad)], ["replay", "--no-verify", str(bad)], ["open", "--no-verify", str(bad)]):
        code, out, err = cli(*command)
        assert (code, out) == (2, "") and _one_line(err, str(bad)) == f"msidbg: {bad}: {says}", (command, err)


def test_a_field_path_in_an_error_is_bounded() -> None:
    """Forty-odd levels of megabyte keys would name a path of megabytes: a key is cut at 32
    characters and the path at 160, its start and its end kept."""
    import msgpack

    from msidbg.debugger.bounded import Bad, Budget, decode

    value: Any = 1.5
    for level in range(40):
        value = {f"k{level}-" + "x" * 100_000: value}
    with pytest.raises(Bad) as e:
        decode(msgpack.packb({"cpus": [0, value]}), "world", Budget())
    line = str(e.value)
    assert line.startswith("world.cpus[1].k39-xxxxxxxxxxxxxxxxxxxxxxxxxxxx….k38-") and len(line) < 300, line
    assert line.endswith("….k0-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx…: a floating-point value (expected ints, strings, booleans "
                         "and null only)"), line


OLD_MODEL = str(ROOT / "tests" / "fixtures" / "v4-msix-write-while-unmasked.msgpack")


def test_serve_no_verify_serves_a_snapshot_of_another_model_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot of another model revision diverges on replay: ``serve`` refused it with '...
    --no-verify shows the recorded world', an option serve did not have (open, replay, report and
    why have it). ``serve --no-verify`` checks the file without replaying it and has each tab open
    it as ``open --no-verify`` does."""
    import textual_serve.server

    from msidbg.bugio import served

    started: list[tuple[str, str]] = []

    class Server:
        def __init__(self, command: str, host: str, port: int, title: str) -> None:
            started.append((command, title))

        def serve(self) -> None:
            pass

    monkeypatch.setattr(textual_serve.server, "Server", Server)
    port = "8765"
    code, _, err = cli("serve", OLD_MODEL, "--port", port)
    assert code == 1 and "replay diverged" in _one_line(err, OLD_MODEL) and not started, err   # as open
    code, _, err = cli("serve", "--no-verify", OLD_MODEL, "--port", port)
    assert code == 0 and err == "", err
    ((command, title),) = started
    assert command.split()[-2:] == ["--no-verify", os.path.abspath(OLD_MODEL)] and title.endswith(
        "msix-write-while-unmasked"), command
    opened: list[tuple[str, bool]] = []
    monkeypatch.setattr(served, "run_app", lambda path, verify=True: opened.append((path, verify)))
    assert served.main(command.split()[-2:]) == 0 and opened == [(os.path.abspath(OLD_MODEL), False)]
    assert served.main([SNAP]) == 0 and opened[-1] == (SNAP, True)
    assert served.main(["--no-verify"]) == 2


def test_served_no_verify_opens_the_snapshot_as_open_no_verify_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each tab's TUI comes from the one factory with open --no-verify's arguments (the App opens the
    file without replaying it), and a file the App could not open ends the tab with its one line."""
    from msidbg.bugio import serve
    from msidbg.tui import app as tui_app

    made: list[tuple[Any, dict[str, Any]]] = []

    class App:
        error: MsidbgError | None = None

        def run(self, auto_pilot: Any = None) -> None:
            pass

    def make_app(source: Any, **kw: Any) -> App:
        made.append((source, kw))
        return App()

    monkeypatch.setattr(tui_app, "make_app", make_app)
    serve.run_app(OLD_MODEL, verify=False)
    assert made == [(OLD_MODEL, {"verify": False, "snapshot": True})]
    App.error = MsidbgError("replay diverged", OLD_MODEL)
    with pytest.raises(MsidbgError):
        serve.run_app(OLD_MODEL, verify=False)


def test_serve_no_verify_of_a_scenario_is_refused() -> None:
    code, _, err = cli("serve", "--no-verify", SCN, "--port", "8765")
    assert code == 2 and _one_line(err, SCN).endswith(
        "--no-verify: only for a snapshot, whose recording it skips comparing (expected a snapshot file; a scenario "
        "file is run, there is nothing to verify)"), err
