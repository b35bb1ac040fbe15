"""hardening21: a fresh red team of the files strangers send -- text from a file never reaches the
TUI as Textual markup or the terminal raw, a mail's declared charset cannot pin the CPU, an error
line stays bounded, and a snapshot's duplicate keys are refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from msidbg.tui.app import make_app
from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS
from tests.test_hostile_snapshot import reshaped

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")
#: an OSC 52 clipboard write, a colour, a Textual closing tag and an action link
HOSTILE = "\x1b]52;c;aGk=\x07\x1b[31m[/][@click=app.quit]INJ[/]"
#: Textual markup only: a closing tag with nothing to close, and an action link
MARKUP = "[/][@click=app.quit]INJ[/]"


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: "), err
    return lines[0]


def _painted(app: Any) -> list[str]:
    from tests.tui.conftest import screen_text

    return screen_text(app)


async def test_a_stored_world_path_in_a_divergence_is_not_markup_in_the_tui(tmp_path: Path) -> None:
    """``open --no-verify`` of a snapshot whose world holds a key the replay does not make: loading
    the history diverges, and the error names that world path. It was shown by ``notify`` as Textual
    markup: '[/]' ended the TUI with a MarkupError traceback (exit status 0), '[@click=...]' made a
    link that runs an action. The notification and the status line show it as text."""
    from msidbg.tui.panes.status import StatusLine

    path = reshaped(tmp_path, lambda w: w["devices"]["eth0"].__setitem__(MARKUP, 1))
    app = make_app(str(path), verify=False, keymap={})
    shown = f"devices.eth0.{MARKUP}"
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        for _ in range(200):
            if any("replay diverged" in n.message for n in app._notifications) or app.return_code is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        toasts = [n.message for n in app._notifications]
        status = str(app.query_one(StatusLine).render())
    assert app.return_code is None and app.error is None, app.error
    assert any("replay diverged" in t and shown in t for t in toasts), toasts
    assert "replay diverged" in status and shown in status, status


@pytest.mark.parametrize(("change", "where"), [
    (lambda w: w["devices"]["eth0"].__setitem__("kind", HOSTILE), "devices.eth0.kind"),
    (lambda w: w["cpus"][0]["proc"]["stack"][0].__setitem__("prog", HOSTILE), "cpus[0].proc.stack[0].prog"),
    (lambda w: w["cpus"][0]["vector_irq"].__setitem__(32, HOSTILE), "cpus[0].vector_irq[32]"),
    (lambda w: w["platform"].__setitem__("kind", "bare\u202emetal"), "platform.kind"),
    (lambda w: w["devices"]["eth0"].__setitem__(HOSTILE, 1), "devices.eth0"),
], ids=["kind", "prog", "vector-irq", "bidi", "key"])
async def test_a_stored_world_text_a_terminal_acts_on_is_refused_without_verification(
        tmp_path: Path, change: Any, where: str) -> None:
    """A world this msidbg builds holds names and words only. Shown without verification, a stored
    world's text went to the TUI's panes as it was: an ESC in a device's ``kind`` (the vector table's
    title), a call stack's program, an APIC vector's owner or the platform (the status line) was
    painted raw, for the terminal to act on. Such a world is refused, in one line, by every reader."""
    path = reshaped(tmp_path, change)
    code, out, err = cli("replay", "--no-verify", str(path))
    line = _one_line(err, str(path))
    assert (code, out) == (2, "") and line.startswith(f"msidbg: {path}: world: {where}: "), err
    assert line.endswith(" holds a control or format character (expected printable text, as every world this "
                         "msidbg builds has; the file was modified: try without --no-verify)"), err
    app = make_app(str(path), verify=False, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.error is not None:
                break
            await pilot.pause(0.02)
    assert app.error is not None and app.error.oneline() == line and app.return_code == 2


async def test_an_event_filter_is_not_markup() -> None:
    """The events pane's title quoted the filter as Textual markup: typing '[/]' ended the TUI with a
    MarkupError, '[red]x' lost its '[red]'."""
    from textual.widgets import Input

    from msidbg.tui.panes.events import EventLog
    from tests.tui.conftest import idle, until

    app = make_app(SCN, keymap={})
    async with app.run_test(size=(160, 50)) as pilot:
        await idle(pilot, app)
        await pilot.press("slash")
        pane = app.query_one(EventLog)
        field = pane.query_one(Input)
        await until(pilot, lambda: field.has_focus)
        field.value = "[/][red]x"
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if str(pane._border_title).startswith("Filter ") and "events" in str(pane._border_title):
                break
        title = str(pane._border_title)
    assert app.return_code is None
    assert title == "Filter '[/][red]x': 0 events", title


async def test_diff_tui_titles_a_side_by_its_file_name_not_as_markup(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A side's title is the file's path: 'bug[red].yaml' (a name a stranger gives) showed as
    'bug.yaml', and '[/]x.yaml' (a file in a folder named '[') ended ``diff --tui`` with a MarkupError."""
    from textual.widgets import Static

    from msidbg.debugger.diff import diff_files
    from msidbg.tui.diffapp import DiffApp

    monkeypatch.chdir(tmp_path)
    (tmp_path / "[").mkdir()
    for name in ("bug[red].yaml", "[/]x.yaml"):
        (tmp_path / name).write_text(Path(SCN).read_text())
    app = DiffApp(diff_files("bug[red].yaml", "[/]x.yaml"))
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause(0.1)
        titles = [str(app.query_one(f"#side-{s}", Static)._border_title) for s in "ab"]
    assert app.return_code is None
    assert titles == ["A bug[red].yaml", "B [/]x.yaml"], titles


def _punycode_mail(payload: bytes) -> bytes:
    return (b"From: a@example.org\nSubject: bug\nContent-Type: text/plain; charset=punycode\n"
            b"Content-Transfer-Encoding: 8bit\n\n" + payload + b"\n")


def test_a_mail_part_declaring_punycode_is_read_as_utf8() -> None:
    """A text part is decoded in the charset its mail declares. CPython's punycode codec takes
    quadratic time: a 1 MB part declared ``charset=punycode`` held ``replay``/``open`` for minutes.
    A domain-name codec (punycode, idna) is no mail charset: such a part is read as UTF-8, as a
    charset Python does not know is."""
    from msidbg.debugger.armour import _texts

    payload = b"a" * 5000 + b"-" + b"b" * 5000
    texts = _texts(_punycode_mail(payload))
    assert texts[0] == payload.decode("ascii") + "\n", texts[0][:80]


def test_a_megabyte_punycode_mail_is_answered_at_once(tmp_path: Path) -> None:
    mail = tmp_path / "bug.eml"
    mail.write_bytes(_punycode_mail(b"a" * 200_000 + b"-" + b"b" * 200_000))
    start = time.monotonic()
    code, out, err = cli("replay", str(mail))
    took = time.monotonic() - start
    assert (code, out) == (2, "") and "no -----BEGIN MSIDBG SNAPSHOT----- ... -----END MSIDBG SNAPSHOT----- block" in \
        _one_line(err, str(mail)), err
    assert took < 10, f"{took:.1f}s"


@pytest.mark.parametrize(("text", "says"), [
    ("name: t\nabout: *" + "a" * 500_000 + "\n", "about: unknown alias *" + "a" * 40 + "... (expected an anchor defined above)"),
    ("name: t\nabout: &" + "a" * 500_000 + " [*" + "a" * 500_000 + "]\n",
     "about[0]: *" + "a" * 40 + "... refers to a collection that contains it (expected no recursive aliases)"),
], ids=["unknown", "recursive"])
def test_an_alias_of_a_huge_anchor_name_is_named_in_a_bounded_line(tmp_path: Path, text: str, says: str) -> None:
    """'unknown alias *NAME' quoted the whole name: a scenario of one 500,000-character alias made a
    one-line error of half a megabyte."""
    bad = tmp_path / "alias.yaml"
    bad.write_text(text)
    code, out, err = cli("run", str(bad), "--headless")
    assert (code, out) == (2, "") and _one_line(err, f"{bad}:2") == f"msidbg: {bad}:2: {says}", err[:300]


def _with_duplicate(tmp_path: Path, change: Any) -> Path:
    """The 2021 snapshot resealed after ``change(items)`` edited its top-level (key, value) msgpack
    byte pairs in place (a dict cannot hold a key twice)."""
    import hashlib
    import struct

    import msgpack

    from msidbg.debugger.snapshot import TRAILER

    doc = msgpack.unpackb(Path(SNAP).read_bytes(), raw=False)
    items = [(msgpack.packb(k), msgpack.packb(v, use_bin_type=True)) for k, v in doc.items() if k != "sha256"]
    change(items)
    count = len(items) + 1
    body = (bytes([0x80 | count]) if count < 16 else b"\xde" + struct.pack(">H", count)) + b"".join(
        k + v for k, v in items)
    bad = tmp_path / "dup.msgpack"
    bad.write_bytes(body + TRAILER + hashlib.sha256(body).digest())
    return bad


def _bookmarks_twice(items: list[tuple[bytes, bytes]]) -> None:
    import msgpack

    items.append((msgpack.packb("bookmarks"), msgpack.packb([{"name": "evil", "event": 1, "note": "not shown first"}])))


def _name_twice_in_a_bookmark(items: list[tuple[bytes, bytes]]) -> None:
    import msgpack

    i = [k for k, _ in items].index(msgpack.packb("bookmarks"))
    marks = msgpack.unpackb(items[i][1], raw=False)
    first = msgpack.packb(marks[0])  # a fixmap of 3: name, event, note
    marks_bytes = bytes([0x90 | len(marks)]) + bytes([first[0] + 1]) + first[1:] + msgpack.packb("name") + \
        msgpack.packb("other") + b"".join(msgpack.packb(m) for m in marks[1:])
    items[i] = (items[i][0], marks_bytes)


def _now_twice_in_the_world(items: list[tuple[bytes, bytes]]) -> None:
    import struct

    import msgpack

    i = [k for k, _ in items].index(msgpack.packb("world"))
    world = msgpack.unpackb(items[i][1], raw=False)
    assert world[0] == 0xDE
    count = struct.unpack(">H", world[1:3])[0]
    twice = b"\xde" + struct.pack(">H", count + 1) + world[3:] + msgpack.packb("now") + msgpack.packb(5)
    items[i] = (items[i][0], msgpack.packb(twice, use_bin_type=True))


@pytest.mark.parametrize(("change", "says"), [
    (_bookmarks_twice, "the file: the key 'bookmarks' twice (expected each key once)"),
    (_name_twice_in_a_bookmark, "bookmarks[0]: the key 'name' twice (expected each key once)"),
    (_now_twice_in_the_world, "world: the key 'now' twice (expected each key once)"),
], ids=["top", "bookmark", "world"])
def test_a_snapshot_map_with_a_key_twice_is_refused(tmp_path: Path, change: Any, says: str) -> None:
    """msgpack keeps a repeated key's last value: a snapshot with two ``bookmarks`` lists showed the
    second (another reader of the file may show the first), a world with ``now`` twice was read with
    the last. A scenario's YAML refuses a key written twice; a snapshot now does too, naming the map."""
    bad = _with_duplicate(tmp_path, change)
    for command in (["replay", str(bad)], ["replay", "--no-verify", str(bad)], ["report", "--no-verify", str(bad)]):
        code, out, err = cli(*command)
        assert (code, out) == (2, "") and _one_line(err, str(bad)) == f"msidbg: {bad}: {says}", (command, err)


def _at(tmp_path: Path, at: str) -> Path:
    bad = tmp_path / "at.yaml"
    bad.write_text(Path(SCN).read_text().replace("at: 100us", f'at: "{at}"', 1))
    return bad


@pytest.mark.parametrize("at", ["0~²", "²~3ms", "0~٣"])
def test_a_range_end_of_non_ascii_digits_is_not_a_time(tmp_path: Path, at: str) -> None:
    """A range's end was read with ``int()`` when ``str.isdigit`` said digits: '²' is one to isdigit and
    not to int (an internal error, exit 3), and '٣' (Arabic-Indic three) was read as 3 ns -- where
    ``at: ٣`` alone is refused as not a time. Times are ASCII."""
    bad = _at(tmp_path, at)
    code, out, err = cli("run", str(bad), "--headless")
    end = at.split("~")[1] if at.startswith("0~") else at.split("~")[0]
    assert (code, out) == (2, "") and _one_line(err, f"{bad}:27") == (
        f"msidbg: {bad}:27: run[1].at: {at!r}: {end!r} is not a time (expected a time like 1.5ms, or a range "
        "like 0~2ms (start ~ end, end >= start); each end a time >= 0 and <= 3600s)"), err


@pytest.mark.parametrize("window", ["²", "9" * 5000], ids=["superscript", "5000-digits"])
@pytest.mark.parametrize("command", [["run", SCN, "--headless", "--schedule", "random"],
                                     ["explore", SCN, "--runs", "1", "--jobs", "1"]], ids=["run", "explore"])
def test_a_window_of_odd_digits_is_refused_in_one_line(command: list[str], window: str) -> None:
    """``--window ²`` and ``--window`` of 5,000 digits (past int()'s 4,300) were internal errors."""
    code, out, err = cli(*command, "--window", window)
    shown = repr(window if len(window) <= 40 else window[:40] + "...")
    assert (code, out, err) == (2, "", f"msidbg: {command[0]}: argument --window: {shown} is not a time (expected "
                                       "a time >= 0 and <= 1s: integer ns, or like '10us', '1.5ms') (see 'msidbg "
                                       f"{command[0]} --help')\n")


def test_a_watch_keyed_by_a_superscript_digit_is_no_internal_error(tmp_path: Path) -> None:
    """``watch irqs["²"].vector`` in a scenario's breakpoints: the path checker read a string key of digits
    into a number-keyed map with ``int()`` when isdigit said digits -- '²' was an internal error (exit 3).
    It is a key like "abc": hardening25 refuses both in one line (the map's keys are numbers: a watch
    on either was accepted and never fired)."""
    results = []
    for key in ("abc", "²"):
        scn = tmp_path / "watch.yaml"
        scn.write_text(Path(SCN).read_text().replace(
            "breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]", f"breakpoints: ['watch irqs[\"{key}\"].vector']"))
        code, out, err = cli("run", str(scn), "--headless", "--json")
        results.append((code, err))
    assert [code for code, _ in results] == [2, 2], results
    for (_, err), key in zip(results, ("abc", "²"), strict=True):
        assert err.count("\n") == 1 and f"irqs is keyed by number: it has no [{key!r}]" in err, err


def test_a_proc_interrupts_count_that_is_no_ascii_number_is_an_unused_line(tmp_path: Path) -> None:
    """``msidbg new --interrupts``: a per-CPU count '²' passed str.isdigit and failed int() -- an internal
    error. Such a row is now listed with the lines not used, as any row of malformed counts."""
    data = ROOT / "tests" / "bugio" / "data"
    irqs = tmp_path / "interrupts.txt"
    irqs.write_text((data / "workstation-interrupts.txt").read_text().replace(
        "   8:          0 ", "   8:          ² ", 1))
    out_yaml = tmp_path / "bug.yaml"
    code, _, err = cli("new", "--lspci", str(data / "workstation-lspci.txt"), "--interrupts", str(irqs),
                       "-o", str(out_yaml))
    assert code == 0, err
    assert "interrupts.txt:4: 8: ² 1 0 0 IO-APIC 8-edge rtc0 -- expected 4 per-CPU counts" in out_yaml.read_text()


def test_a_report_whose_about_quotes_the_begin_line_still_opens(tmp_path: Path) -> None:
    """``report --inline`` of a snapshot whose scenario ``about`` quotes the armour's BEGIN line (a
    stranger's text, or a paste): that line paired with the block's own END, the real block inside the
    span was never read, and ``replay`` of the report said 'the snapshot block is damaged'. A BEGIN with
    another BEGIN after it, before any END, opens no block."""
    import re

    scn = tmp_path / "begin.yaml"
    scn.write_text(re.sub(r"about: \|\n(  .*\n)+", lambda m: "about: |\n  Logs below.\n"
                          "  -----BEGIN MSIDBG SNAPSHOT-----\n  (the paste was cut here)\n", Path(SCN).read_text()))
    snap, mail = tmp_path / "bug.msgpack", tmp_path / "mail.txt"
    assert cli("run", str(scn), "--headless", "--stop-at-break", "--save", str(snap))[0] == 1
    assert cli("report", str(snap), "--inline", "-o", str(mail))[0] == 0
    assert mail.read_text().count("-----BEGIN MSIDBG SNAPSHOT-----") == 2
    code, out, err = cli("replay", "--json", str(mail))
    _, direct, _ = cli("replay", "--json", str(snap))
    assert (code, err) == (0, "") and out == direct


def test_a_block_cut_short_before_a_whole_one_does_not_hide_it() -> None:
    from msidbg.debugger.armour import armour, bodies

    whole = armour(b"x" * 100)
    text = "-----BEGIN MSIDBG SNAPSHOT-----\nAAAA\n(cut)\n\n" + whole
    assert bodies(text) == bodies(whole) and len(bodies(text)) == 1
