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
    ('watch devices["eth9"]', "devices has no device 'eth9' (did you mean 'eth0'? expected one of: eth0)"),
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
    assert err.count("\n") == 1 and line.startswith("msidbg: --break: ") and says in line, err


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
    html = " ".join(html.split())
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
