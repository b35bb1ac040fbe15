"""hardening26: the leads hardening25 left (no default event cap for run and check, --time and --seed
accepting what they should not, tracker references in report --markdown, -o /dev/stdout, the TUI at
80 columns) and a fresh red team of the commands that read files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import ROOT, SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
SNAP = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")


def _one_line(err: str, path: str | None = None, usage: bool = False) -> str:
    """The one line of an error: ``msidbg: FILE: ... (expected ...)``, or an argument's ``msidbg: CMD:
    argument ...`` (``usage``)."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"msidbg: {path}: " if path else "msidbg: "), err
    assert ("(see 'msidbg " if usage else "(expected ") in lines[0], err
    assert "Traceback" not in err
    return lines[0]


# --- numbers on the command line -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["1_0", "1__0", "_1", "0x10", "1e3", "١"])
def test_a_seed_is_plain_decimal_digits(seed: str) -> None:
    """``--seed 1_0`` ran seed 10: Python's int() reads '_' as a digit separator. The snapshot and
    every re-run command then said 10, not what was typed."""
    code, out, err = cli("run", SCN, "--headless", "--seed", seed)
    assert code == 2 and out == "", err
    line = _one_line(err, usage=True)
    assert "argument --seed" in line and "is not an integer in 0..2^63-1" in line, line


@pytest.mark.parametrize("option", ["--max-events", "--seed"])
def test_underscores_are_refused_by_every_integer_option(option: str) -> None:
    code, _, err = cli("run", SCN, "--headless", option, "10_000")
    assert code == 2 and f"argument {option}: '10_000' is not an integer" in _one_line(err, usage=True), err


@pytest.mark.parametrize("budget", ["999999999999999999999", "8d", "169h", "10081m", "604801",
                                    "1" + "0" * 400, "0." + "1" * 30])
def test_explore_time_is_bounded(budget: str) -> None:
    """``explore --time 999999999999999999999`` (3e13 years) was accepted."""
    for option in ("--time", "--shrink-time"):
        code, out, err = cli("explore", SCN, option, budget, "--runs", "1")
        assert code == 2 and out == "", err
        line = _one_line(err)
        assert f"{option}: " in line and "at most 7 days" in line and len(line) < 300, line


@pytest.mark.parametrize(("budget", "seconds"), [("604800", 604800.0), ("168h", 604800.0), ("1.5h", 5400.0),
                                                  ("500ms", 0.5)])
def test_explore_time_up_to_a_week_is_accepted(budget: str, seconds: float) -> None:
    from msidbg.scenario_timing import duration_s

    assert duration_s(budget, "--time") == seconds


# --- report --markdown: no pings, no issue references ----------------------------------------------------
REFS_ABOUT = ("cc @torvalds and @tglx-x, see #123, owner/repo#45, GH-7 and !12; labels ~bug ~\"a b\", "
              "%v1.0, $99 and &5; mail tglx@linutronix.de; https://lore.kernel.org/r/1@x.org (#1 in it)")


@pytest.fixture(scope="module")
def refs_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    from msidbg.debugger import Session

    folder = tmp_path_factory.mktemp("refs")
    lines = Path(SCN).read_text().split("\n")
    start = lines.index("about: |")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  "))
    scn = folder / "refs.yaml"
    scn.write_text("\n".join([*lines[:start], f"about: {json.dumps(REFS_ABOUT)}", *lines[end:]]))
    s = Session.from_scenario(str(scn))
    s.continue_()
    s.bookmark("ping", "ask @gregkh about #4242")
    s.save(str(folder / "refs.msgpack"))
    code, out, err = cli("report", str(folder / "refs.msgpack"), "--markdown")
    assert code == 0, err
    return out


def test_report_markdown_pings_no_one_and_references_no_issue(refs_report: str) -> None:
    """``@torvalds`` in a scenario's ``about:`` (or a bookmark note) was passed through: a tracker
    notified that user when the report was pasted, and ``#123`` put a back-reference into issue 123.
    The trackers find them in the rendered text (a backslash does not stop them): the rendered text
    now has a zero-width space after each sign, and reads the same."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("gfm-like").render(refs_report)
    text = re.sub(r"<[^>]+>", " ", html)
    import html as htmlmod

    text = htmlmod.unescape(text)
    for ref in ("@torvalds", "@tglx", "@gregkh", "#123", "repo#45", "#4242", "!12", "~bug", "%v1", "$99", "&5"):
        assert ref not in text, (ref, text[:2000])
    plain = text.replace("\u200b", "")
    for ref in ("@torvalds", "@tglx-x", "@gregkh", "#123", "owner/repo#45", "#4242", "!12", "~bug", "%v1.0", "$99",
                "&5", "tglx@linutronix.de"):
        assert ref in plain, (ref, plain[:2000])
    # the URL is still a link to exactly itself
    assert '<a href="https://lore.kernel.org/r/1@x.org">' in html
    assert max(len(ln) for ln in refs_report.splitlines()) <= 72
