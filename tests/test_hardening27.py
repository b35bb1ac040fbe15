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


# --- (1) the default event cap for why, report, export and diff ---------------------------------------------
STORM = """name: storm
cpus: 2
devices:
  eth0:
    bdf: "00:03.0"
    kind: nic
    msix: {table_size: 4}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 10000000, every: 1ns}
breakpoints: [irq-lost]
"""
CAP_LINE = ("the run did not end within 3,000 events, the default cap: stopped at virtual time 0.001002926s "
            "(expected a run that ends: --max-events N runs further)")


@pytest.fixture
def storm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A valid file whose run does not end for hours, and the default cap cut to 3,000 events (the real
    one, 20,000,000, is a minute of running)."""
    from msidbg.debugger import headless

    monkeypatch.setattr(headless, "DEFAULT_MAX_EVENTS", 3000)
    path = tmp_path / "storm.yaml"
    path.write_text(STORM)
    return str(path)


@pytest.mark.parametrize("args", [("why", "{f}", "--path", "cpu[0].irr"), ("report", "{f}"),
                                  ("report", "{f}", "--markdown"), ("export", "{f}", "--perfetto", "{out}")])
def test_why_report_export_stop_at_the_default_cap_and_say_so(storm: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    """They ran a scenario to its end with no cap, however long: a file of four such storms (hardening26's)
    runs for hours (run --headless and check stop at 20,000,000 since hardening26). They now stop there too,
    say so in run's one line on stderr, and do their work on the run so far (exit 0)."""
    out = tmp_path / "t.pftrace"
    code, stdout, err = cli(*(a.format(f=storm, out=out) for a in args))
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0] == f"msidbg: {storm}: {CAP_LINE}", err
    if args[0] == "export":
        assert lines[1].startswith(f"wrote {out}: 3000 events") and out.stat().st_size > 0, err
    elif args[0] == "report":
        assert len(lines) == 1 and "limit" in stdout and "3000" in stdout, stdout[:600]
    else:
        assert len(lines) == 1 and stdout, err


def test_why_names_the_cut_before_saying_the_run_has_no_hit(storm: str) -> None:
    code, _, err = cli("why", storm)
    assert code == 2 and err.splitlines()[0] == f"msidbg: {storm}: {CAP_LINE}", err
    assert "no armed breakpoint hit" in err.splitlines()[1]


def test_diff_stops_each_run_at_the_default_cap(storm: str) -> None:
    import json

    code, out, err = cli("diff", storm, SCN, "--json")
    assert code == 1 and err == f"msidbg: {storm}: {CAP_LINE}\n", err
    res = json.loads(out)
    assert res["events"] == {"a": 3000, "b": 122} and res["event_cap"] == 3000 and res["cut"] == ["a"]
    code, out, err = cli("diff", SCN, SCN, "--json")
    assert code == 0 and err == "" and "event_cap" not in json.loads(out)


@pytest.mark.parametrize("args", [("why", "{f}", "--max-events", "2000", "--path", "cpu[0].irr"),
                                  ("report", "{f}", "--max-events", "2000"),
                                  ("export", "{f}", "--perfetto", "{out}", "--max-events", "2000"),
                                  ("diff", "{f}", SCN, "--max-events", "2000")])
def test_max_events_replaces_the_cap_silently(storm: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    code, _, err = cli(*(a.format(f=storm, out=tmp_path / "t.pftrace") for a in args))
    assert code in (0, 1) and "default cap" not in err, err


@pytest.mark.parametrize(("args", "says"), [
    (("why", "{snap}", "--max-events", "5"), "--max-events: a snapshot is opened at its cursor"),
    (("report", "{snap}", "--max-events", "5"), "--max-events: a snapshot is reported at its cursor"),
    (("why", "{f}", "--max-events", "5", "--event", "3"), "--max-events: --event and --at stop the run"),
])
def test_max_events_where_it_means_nothing_is_refused(storm: str, args: tuple[str, ...], says: str) -> None:
    from tests.conftest import ROOT

    snap = str(ROOT / "snapshots" / "msix-write-while-unmasked.msgpack")
    argv = [a.format(f=storm, snap=snap) for a in args]
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert says in _one_line(err, argv[1]), err


# --- (2) the expression parser's messages in the one-line form ----------------------------------------------
BAD_SPECS = ["if 3 +", "if foo.bar ==", "if cpu[1].irr[0x21 == 1", 'if "abc', "if 0x == 1", "if 1 < 2 < 3",
             "if a && b", "if event.time > 1ms", "if 99999999999999999999999 == 1", "if event.dev == 3",
             "if event.kind == 5", "if event.fields.ret < 0", "if event.ret.x < 0", "if event", "watch cpus.irr",
             "watch cpu[1].irr[0x121]", "watch irqs.cpu", "watch cpu[1].tpr.x", "watch cpu[1].irr[0x21][0]",
             "irq-lost if", "watch", "if devices[[0]] == 1", "if " + "(" * 50 + "1" + ")" * 50]
FORM = r"column (\d+) of '.*': [^()].*\(expected [^\n]*\)$"


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_a_bad_break_spec_is_the_contracts_one_line_form(spec: str) -> None:
    """'msidbg: --break: expected a value (...), found the end of the expression at column 14 of
    'if foo.bar ==': the column trailed the message, after its '(expected ...)', and several messages
    had no '(expected ...)' at all ('unexpected character', 'unterminated string', 'chained comparisons
    are not supported; join them with 'and''). The line is now 'FILE/option: field: what is wrong
    (expected ...)', the column the field."""
    import re

    code, out, err = cli("run", SCN, "--headless", "--break", spec)
    assert (code, out) == (2, "") and err.count("\n") == 1, err
    m = re.fullmatch(r"msidbg: run: argument --break: " + FORM, err.rstrip("\n"))
    assert m, err
    assert " at column " not in err and ", found " not in err, err


@pytest.mark.parametrize("spec", ["if foo.bar ==", "watch cpus.irr", "if 3 +"])
def test_the_same_form_for_a_file_why_path_why_break_and_until(tmp_path: Path, spec: str) -> None:
    import re

    text = Path(SCN).read_text()
    assert "breakpoints: [" in text
    f = tmp_path / "bad.yaml"
    f.write_text(text.replace("breakpoints: [", f"breakpoints: [{spec!r}, ", 1))
    code, _, err = cli("run", str(f), "--headless")
    assert code == 2 and re.fullmatch(rf"msidbg: {re.escape(str(f))}:\d+: breakpoints\[0\]: " + FORM, err.rstrip()), err
    path = spec.split(" ", 1)[1]
    code, _, err = cli("why", SCN, "--path", path)
    assert code == 2 and re.fullmatch(rf"msidbg: {re.escape(SCN)}: why: argument --path: " + FORM, err.rstrip()), err
    code, _, err = cli("why", SCN, "--break", spec)
    assert code == 2 and re.fullmatch(rf"msidbg: {re.escape(SCN)}: why: argument --break: " + FORM, err.rstrip()), err
    code, _, err = cli("explore", SCN, "--runs", "1", "--jobs", "1", "--until", spec)
    assert code == 2 and re.fullmatch(r"msidbg: explore: argument --until: " + FORM, err.rstrip()), err


def test_a_person_gets_the_column_the_spec_and_a_caret(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from msidbg import cli as climod

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert climod.main(["run", SCN, "--headless", "--break", "if foo.bar =="]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == ["msidbg: run: argument --break: column 14: found the end of the expression (expected a value: a number, a "
                     "string, a path such as cpu[1].irr, or event.<field>)", "    if foo.bar ==", " " * 17 + "^"]
