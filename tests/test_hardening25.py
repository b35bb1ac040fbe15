"""hardening25: the leads hardening21 left (Markdown injection in reports, outputs that replaced
any file, watch paths keyed by the wrong type, a JSON key file's repeated key, negative times) and a
fresh red team of the commands that read files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msidbg.sim.events import format_ns
from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")


def _one_line(err: str, path: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: "), err
    assert "(expected " in lines[0], err
    return lines[0]


# --- format_ns -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("ns", "shown"), [
    (0, "0.000000000s"), (1, "0.000000001s"), (-1, "-0.000000001s"), (-1_500_000_000, "-1.500000000s"),
    (-999_999_999, "-0.999999999s"), (2_000_000_250, "2.000000250s")])
def test_format_ns_shows_a_negative_time_as_its_magnitude_with_a_sign(ns: int, shown: str) -> None:
    """divmod floors: -1 ns was '-1.999999999s' (a second and a bit earlier, not a nanosecond)."""
    assert format_ns(ns) == shown


# --- the JSON key bindings file ------------------------------------------------------------------
@pytest.mark.parametrize("text", ['{"keys": {"step": "n", "step": "x"}}', '{"keys": {"step": "n"}, "keys": {}}'])
def test_a_json_key_file_with_a_key_twice_is_refused(tmp_path: Path, text: str) -> None:
    """json.loads keeps a repeated key's last value: ``{"step": "n", "step": "x"}`` bound x while the
    file read n first. TOML refuses it itself; the snapshot's msgpack maps are refused the same way."""
    from msidbg.errors import MsidbgError
    from msidbg.tui.keys import load_keymap

    path = tmp_path / "keys.json"
    path.write_text(text)
    with pytest.raises(MsidbgError) as e:
        load_keymap(path)
    line = e.value.oneline()
    assert line.startswith(f"msidbg: {path}: the key ") and "twice (expected each key once)" in line, line


def test_a_json_key_file_without_a_repeated_key_still_loads(tmp_path: Path) -> None:
    from msidbg.tui.keys import load_keymap

    path = tmp_path / "keys.json"
    path.write_text('{"keys": {"step": "n", "step_back": "p"}}')
    assert load_keymap(path) == {"step": "n", "step_back": "p"}


# --- watch / break paths against the world's shape -------------------------------------------------
@pytest.mark.parametrize(("spec", "says"), [
    ('watch irqs["abc"]', "irqs is keyed by number: it has no ['abc'] (expected a number from 0"),
    ('watch irqs["abc"].vector', "irqs is keyed by number: it has no ['abc']"),
    ('if irqs["x1"].vector == 3', "irqs is keyed by number: it has no ['x1']"),
    ("watch irqs[true]", "irqs is keyed by number: it has no [true]"),
    ("watch irqs[none]", "irqs is keyed by number: it has no [none]"),
    ('watch devices["eth9"]', "devices has no device 'eth9' (expected one of: eth0; did you mean 'eth0'?)"),
    ("watch devices[0]", "devices is keyed by name: it has no [0] (expected one of: eth0)"),
    ('watch cpus[0]["irrr"]', "cpus[0] has no field 'irrr'"),
])
def test_a_watch_path_whose_key_is_of_the_wrong_type_or_missing_is_refused(spec: str, says: str) -> None:
    """Each was accepted and never fired: the path checker walked a wrong key into a template of the
    map's elements (and ``irqs[true]`` found irqs[1], True being 1 to a dict, while the run's lookup
    by type finds nothing)."""
    code, out, err = cli("run", SCN, "--headless", "--break", spec)
    assert code == 2 and out == "", err
    line = err.strip()
    assert err.count("\n") == 1 and line.startswith("msidbg: run: argument --break: ") and says in line, err


@pytest.mark.parametrize("spec", ['watch irqs["24"].vector', "watch irqs[24].vector", 'watch devices["eth0"].msix',
                                  'watch cpus[0]["irr"][0x31]', 'watch kernel.pci["eth0"]', "watch irqs[200].vector"])
def test_a_watch_path_keyed_as_the_world_is_still_accepted(spec: str) -> None:
    code, out, err = cli("run", SCN, "--headless", "--json", "--break", spec)
    assert code == 0 and err == "" and json.loads(out)["stopped"]["reason"] == "end", err


def test_why_path_keyed_by_the_wrong_type_is_refused() -> None:
    code, out, err = cli("why", SNAP, "--path", 'irqs["abc"].vector')
    assert code == 2 and out == "" and "irqs is keyed by number: it has no ['abc']" in err, err


# --- report --markdown: text from the files is text ------------------------------------------------
EVIL_ABOUT = ("<img src=x onerror=alert(1)> [click](javascript:alert(1)) ![x](http://e/x.png) *bold* `code` "
              "| a | b | ~~strike~~ &lt; __init__ see https://lore.kernel.org/r/a_b*c_d). x_y")
EVIL_NOTE = "```\n<script>alert(1)</script>\n# Title\n- item\n1. first\n=== [x](http://evil)"


@pytest.fixture(scope="module")
def evil_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2021 snapshot's scenario with a hostile ``about:``, run to its stop, a hostile bookmark note."""
    from msidbg.debugger import Session

    folder = tmp_path_factory.mktemp("evil")
    lines = Path(SCN).read_text().split("\n")
    start = lines.index("about: |")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    scn = folder / "evil.yaml"
    scn.write_text("\n".join([*lines[:start], f"about: {json.dumps(EVIL_ABOUT)}", *lines[end:]]))
    s = Session.from_scenario(str(scn))
    s.continue_()
    s.bookmark("evil", EVIL_NOTE)
    s.save(str(folder / "evil.msgpack"))
    return folder / "evil.msgpack"


def test_report_markdown_shows_a_hostile_about_and_note_as_text(evil_snapshot: Path) -> None:
    """``report --markdown`` passed the scenario's ``about:`` and the bookmark notes through raw: in a
    tracker they made an image, a link to javascript:, raw HTML, emphasis, code, a heading and lists.
    Rendered (markdown-it, GFM-like: tables, strikethrough, autolinks) they are now the text typed."""
    from markdown_it import MarkdownIt

    from msidbg.bugio.report import render

    md = render(str(evil_snapshot), markdown=True)
    html = MarkdownIt("gfm-like").render(md)
    for tag in ("<img", "<script", "javascript:alert(1)\"", "<em>", "<strong>", "<s>", "<del>", "<h1>", "<ul>",
                "<ol>", "<table>", "<pre><code>&lt;script"):
        assert tag not in html, (tag, html[:3000])
    assert html.count("<code>") == 1 + html.count("<pre><code>")   # the title's name and the tables only
    # (hardening26: a zero-width space follows a tracker reference's sign, here the second ~ of ~~strike)
    html = " ".join(html.replace("\u200b", "").split())
    assert "&lt;img src=x onerror=alert(1)&gt; [click](javascript:alert(1))" in html
    assert "*bold* `code` | a | b | ~~strike~~ &amp;lt; __init__" in html
    # the URL stays a link to exactly itself, the sentence's ')' and '.' outside it
    assert '<a href="https://lore.kernel.org/r/a_b*c_d">https://lore.kernel.org/r/a_b*c_d</a>).' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; # Title - item 1. first ===" in html
    assert max(len(ln) for ln in md.splitlines()) <= 72


def test_report_markdown_fence_is_longer_than_any_backtick_run_inside() -> None:
    """A fixed-width line holding ``` closed the fence, and what followed was Markdown."""
    from msidbg.bugio.report import _fence

    assert _fence(["plain"]) == "```"
    assert _fence(["a ``` b", "````"]) == "`````"


# --- --no-clobber: outputs never replace a file ------------------------------------------------------
LSPCI = ("03:00.0 Ethernet controller: Intel Corporation I350 Gigabit Network Connection (rev 01)\n"
         "\tCapabilities: [70] MSI-X: Enable+ Count=10 Masked-\n")


def _outputs(tmp: Path) -> list[tuple[str, list[str]]]:
    """Every command's file output, as (the path it writes, its command line without --no-clobber)."""
    lspci = tmp / "lspci.txt"
    lspci.write_text(LSPCI)
    return [
        ("new.yaml", ["new", "--lspci", str(lspci), "-o", "OUT"]),
        ("s.json", ["schema", "-o", "OUT"]),
        ("r.txt", ["report", SNAP, "-o", "OUT"]),
        ("r.md", ["report", SNAP, "--markdown", "-o", "OUT"]),
        ("t.pftrace", ["export", SCN, "--max-events", "20", "--perfetto", "OUT"]),
        ("s.msgpack", ["run", SCN, "--max-events", "20", "--save", "OUT"]),
        ("s.yaml", ["replay", SNAP, "--scenario", "-o", "OUT"]),
    ]


def test_every_output_with_no_clobber_refuses_an_existing_file(tmp_path: Path) -> None:
    """``new -o F``, ``schema -o F``, ``report -o F``, ``export --perfetto``, ``replay --scenario -o``
    and ``run --save`` replace an existing regular file atomically by default, as the contract's
    command lines always did (``run --save`` only a snapshot); with ``--no-clobber`` each refuses a
    file that is not empty before doing the work, in one line, and leaves it as it was; an empty
    file (mktemp's) is written either way."""
    for name, args in _outputs(tmp_path):
        out = tmp_path / name
        out.write_text("my notes: do not lose\n")
        argv = [str(out) if a == "OUT" else a for a in args]
        code, stdout, err = cli(*argv, "--no-clobber")
        assert code == 2 and stdout == "", (argv, err)
        line = _one_line(err, str(out))
        assert line.endswith("cannot write: it exists (22 bytes): not replaced (expected a new file name: "
                             "--no-clobber never replaces one)"), line
        assert out.read_text() == "my notes: do not lose\n"
        code, _, err = cli(*argv)
        if name == "s.msgpack":     # run --save replaces only a snapshot (test_ux5_cli)
            assert code == 2 and out.read_text() == "my notes: do not lose\n", (argv, err)
            out.unlink()
            assert cli(*argv)[0] in (0, 1)
            before = out.read_bytes()
            code, _, err = cli(*argv)     # a snapshot is replaced, as a re-run script expects
            assert code in (0, 1) and out.read_bytes() == before, (argv, err)
        else:
            assert code in (0, 1) and out.read_bytes() != b"my notes: do not lose\n" and out.stat().st_size > 0, (argv, err)
        empty = tmp_path / f"empty-{name}"
        empty.write_bytes(b"")
        code, _, err = cli(*[str(empty) if a == "OUT" else a for a in args], "--no-clobber")
        assert code in (0, 1) and empty.stat().st_size > 0, (argv, err)


def test_no_clobber_without_a_file_output_is_a_usage_error() -> None:
    for args in (["schema", "--no-clobber"], ["report", SNAP, "--no-clobber"], ["replay", SNAP, "--no-clobber"],
                 ["run", SCN, "--headless", "--no-clobber"], ["replay", SNAP, "--scenario", "--no-clobber"]):
        code, out, err = cli(*args)
        assert code == 2 and out == "" and err.count("\n") == 1 and "--no-clobber: only with" in err, (args, err)


def test_a_file_made_while_the_output_was_built_is_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check before the work and the write after it could be raced: a file made meanwhile was
    renamed over. With --no-clobber the new file is linked into place, which fails if one is there."""
    from msidbg import files

    out = tmp_path / "late.txt"
    real = files._write_replace

    def racing(tmp: str, target: str, data: bytes, old: object, clobber: bool = True) -> None:
        Path(target).write_text("made meanwhile\n")
        real(tmp, target, data, old, clobber)   # type: ignore[arg-type]

    monkeypatch.setattr(files, "_write_replace", racing)
    code, _, err = cli("schema", "-o", str(out), "--no-clobber")
    assert code == 2 and out.read_text() == "made meanwhile\n", err
    assert "it exists (15 bytes): not replaced" in _one_line(err, str(out))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(files.TMP_SUFFIX)]


# --- YAML 1.1's surprising integers ------------------------------------------------------------------
@pytest.mark.parametrize(("field", "written", "value"), [
    ("seed", "1:30", 90), ("seed", "190:20:30", 685230), ("seed", "017", 15), ("seed", "-017", -15),
    ("cpus", "02", 2)])
def test_an_integer_only_yaml_1_1_reads_as_a_number_is_refused(tmp_path: Path, field: str, written: str,
                                                                value: int) -> None:
    """PyYAML implements YAML 1.1: ``seed: 1:30`` ran seed 90 (base 60) and ``017`` seed 15 (octal) --
    numbers no reader of the file sees (YAML 1.2 reads both as strings; ``08`` was already refused)."""
    text = Path(SCN).read_text()
    lines = [ln for ln in text.split("\n") if not ln.startswith(f"{field}:")]
    scn = tmp_path / "s.yaml"
    scn.write_text("\n".join(lines) + f"\n{field}: {written}\n")
    code, out, err = cli("run", str(scn), "--headless")
    assert code == 2 and out == "", err
    line = _one_line(err, f"{scn}:{len(lines) + 1}")
    assert f"{field}: {written!r} is " in line and f"to YAML 1.1 ({value})" in line, line


@pytest.mark.parametrize(("written", "value"), [("0x10", 16), ("0", 0), ("10", 10), ("+7", 7)])
def test_decimal_and_hex_integers_are_still_numbers(tmp_path: Path, written: str, value: int) -> None:
    lines = [ln for ln in Path(SCN).read_text().split("\n") if not ln.startswith("seed:")]
    scn = tmp_path / "s.yaml"
    scn.write_text("\n".join(lines) + f"\nseed: {written}\n")
    from msidbg.scenario import load_scenario

    assert load_scenario(str(scn)).seed == value


# --- environment ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_an_output_encoding_without_every_character_escapes_them(encoding: str) -> None:
    """``PYTHONIOENCODING=ascii`` (or latin-1): the first '…' of a summary raised UnicodeEncodeError --
    'internal error' (exit 3) for ``run --headless``, ``replay`` and ``why``. What the encoding cannot
    hold is shown as an escape; the encoding stays the user's."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    for args in (["run", SCN, "--headless"], ["replay", SNAP]):
        done = subprocess.run([sys.executable, "-m", "msidbg.cli", *args], env=env, capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        assert b"\\u2026" in done.stdout and done.stderr == b""


def test_why_at_past_the_end_says_what_was_expected() -> None:
    """'--at 99999999: the snapshot's history ends at event 25' had no '(expected ...)'."""
    for source, end in ((SNAP, 26), (SCN, 122)):
        code, out, err = cli("why", source, "--path", "cpus[0].irr", "--at", "99999999")
        assert code == 2 and out == "" and _one_line(err, source).endswith(f"(expected 0..{end})"), err


def test_no_home_and_no_passwd_entry_means_no_key_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container run as an arbitrary uid has no $HOME and no passwd entry: Path.home() raised
    RuntimeError and 'msidbg run FILE' (the TUI checks the key file first) was an internal error."""
    import pwd

    from msidbg.tui import keys

    def no_entry(uid: int) -> None:
        raise KeyError(uid)

    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    assert keys.config_path({}) is None
    assert keys.config_path({"XDG_CONFIG_HOME": "/nonexistent-h25"}) is None


def _closed(fd: int, *args: str) -> tuple[int, bytes, bytes]:
    """``msidbg ARGS`` in a process started with descriptor ``fd`` closed (``>&-``, ``2>&-``, ``<&-``)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "msidbg.cli", *args], env=env, timeout=300,
                          stdin=subprocess.DEVNULL if fd != 0 else None, capture_output=fd == 0,
                          stdout=None if fd == 0 else subprocess.PIPE if fd == 2 else None,
                          stderr=None if fd == 0 else subprocess.PIPE if fd == 1 else None,
                          preexec_fn=lambda: os.close(fd))
    return done.returncode, done.stdout or b"", done.stderr or b""


def test_closed_standard_streams_are_a_closed_pipe_or_nothing_to_say_not_a_traceback(tmp_path: Path) -> None:
    """Started with standard output closed (``>&-``), Python made sys.stdout None and the first
    print raised AttributeError: a traceback and exit 1. It is a closed pipe now (quiet, exit 141,
    as ``| head``), and a command whose output is a file still writes it. With standard error
    closed a bad input exits 2 (it was 1); with standard input closed ``new --lspci -`` said
    'standard input is a terminal'."""
    code, _, err = _closed(1, "run", SCN, "--headless")
    assert (code, err) == (141, b""), err
    out = tmp_path / "s.json"
    code, _, err = _closed(1, "schema", "-o", str(out))
    assert (code, err) == (0, b"") and json.loads(out.read_text())["$schema"], err
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncpus: 0\n")
    code, out_bytes, _ = _closed(2, "run", str(bad), "--headless")
    assert (code, out_bytes) == (2, b"")
    code, _, err = _closed(0, "new", "--lspci", "-", "-o", "-")
    assert code == 2 and err.decode().startswith("msidbg: stdin: standard input is closed (expected "), err
