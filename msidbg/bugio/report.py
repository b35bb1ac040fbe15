"""``msidbg report``: a plain-text (or Markdown) bug report of a snapshot, at most 72 columns.

Sections: the stop and its detail, versions and the resolved behaviour switches, what happened
per device (raised / delivered / lost / spurious), the hits, the actions that returned an error (the
summary's ``failed_actions``), the actions a finished run never started (the summary's ``not_started``),
the cause chain (when the session
can tell one: ``Session.why``, issue 13; the section is left out while it cannot), the state at
the stop (the MSI-X / MSI registers of the devices involved, each CPU's IRR/ISR vectors, the
pirq rows on Xen), the bookmarks with their notes, and how to reproduce. ``--inline`` appends the
snapshot as an armoured block (``msidbg.armour``) that ``msidbg open``/``replay`` read back out of
the mail, even quoted and re-wrapped.
"""

from __future__ import annotations

import os
import re
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from msidbg import __version__
from msidbg.debugger import Session
from msidbg.debugger.snapformat import Origin
from msidbg.debugger.summary import RECORDED, UNKNOWN, failed_action_line, not_started_line
from msidbg.errors import MsidbgError
from msidbg.guard import escape, escape_lines
from msidbg.model.revision import MODEL
from msidbg.sim.events import format_ns

WIDTH = 72
MAX_HITS, MAX_ENTRIES, MAX_VECTORS, MAX_STATE_DEVICES, MAX_PIRQS = 8, 16, 16, 4, 16


@dataclass
class Section:
    """A titled block: ``text`` lines are prose (wrapped), ``pre`` lines are fixed-width."""

    title: str
    lines: list[str] = field(default_factory=list)
    pre: bool = True


def report(s: Session, source: str, writer: Origin | None = None) -> list[Section]:
    """The report's sections for a session at its cursor (``source``: the file it came from)."""
    summ = s.summary()
    out = [_stop(s, summ), _versions(s, summ, writer), _switches(s, summ), _happened(summ), _hits(summ),
           _failed(summ), _never_started(summ)]
    out += [_cause(s), _state(s, summ), _bookmarks(s), _reproduce(s, source)]
    return [sec for sec in out if sec.lines]


def render_text(s: Session, sections: list[Section]) -> str:
    title = [f"msidbg report: {s.scenario.name}"]
    if len(title[0]) > WIDTH:          # a long name (up to 64) on a line of its own
        title = ["msidbg report:", s.scenario.name]
    lines = [*title, "=" * max(len(t) for t in title), ""]
    if s.scenario.about:
        lines += _wrap(s.scenario.about.strip(), "") + [""]
    for sec in sections:
        lines.append(sec.title)
        lines += [_clip("  " + ln) for ln in sec.lines] if sec.pre else _wrap_all(sec.lines, "  ")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(s: Session, sections: list[Section]) -> str:
    """The report as Markdown (CommonMark / GFM) for a tracker. Prose from the files -- the
    scenario's ``about``, bookmark notes, a condition breakpoint's string literal in a hit -- is
    text, never markup: ``_md_line`` escapes what would make a link, an image, raw HTML, emphasis,
    a code span, a table or a heading, and a URL becomes an autolink. Tables are fenced with
    more backticks than any run of them inside (``_fence``)."""
    head = f"## msidbg report: `{s.scenario.name}`"
    lines = [head, ""] if len(head) <= WIDTH else ["## msidbg report", "", f"`{s.scenario.name}`", ""]
    if s.scenario.about:
        lines += _wrap(s.scenario.about.strip(), "", md=True) + [""]
    for sec in sections:
        lines += [f"### {sec.title}", ""]
        if sec.pre:
            shown = [_clip(ln) for ln in sec.lines]
            lines += [_fence(shown), *shown, _fence(shown)]
        else:
            lines += _wrap_all(sec.lines, "", md=True)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _fence(lines: list[str]) -> str:
    """A code fence no line inside can close: longer than the longest run of backticks in them (a
    line of ``` from a file ended the fence and turned the rest into Markdown)."""
    longest = max((len(run) for ln in lines for run in re.findall(r"`+", ln)), default=0)
    return "`" * max(3, longest + 1)


#: what Markdown gives a meaning anywhere in a line (``_`` only at a word's edge: CommonMark's
#: intraword ``_`` is text, so ``msix_capability_init`` stays readable)
_MD_ALWAYS = frozenset("\\`*[]<>&|~")
#: a URL made an autolink (``<URL>``: nothing inside it is markup); other schemes stay text
_MD_URL = re.compile(r"(?:https?|ftp)://[^\s<>`\\\x00-\x1f\x7f]+")
#: what starts a block at the start of a line: a heading, a quote, a list item, a setext underline
_MD_BLOCK = re.compile(r"#{1,6}(?:\s|$)|[>+=-]")
_MD_ORDERED = re.compile(r"([0-9]{1,9})([.)])(?:\s|$)")
#: what a tracker turns into a reference when a word follows it: GitHub's and GitLab's ``@user``
#: (a mention: a notification to that user), ``#123`` and ``owner/repo#123`` (a link to, and a
#: back-reference in, another issue), and GitLab's ``!123`` (merge request), ``$123`` (snippet),
#: ``%milestone``, ``~label`` and ``&123`` (epic). The trackers find them in the rendered text,
#: so a backslash escape does not stop them; a zero-width space after the sign does (the
#: ``@&#8203;user`` of Renovate's sanitizeMarkdown): the reader sees ``@user``, no one is pinged
#: and no issue gets a reference from a stranger's ``about:`` (hardening26)
_MD_REF_SIGNS = frozenset("@#!$%&~")
_MD_ZWSP = "&#8203;"
#: what GitHub also links without a sign (hardening27): ``GH-123`` (an issue of the repository the
#: report is pasted into) and a bare commit id, 7 to 40 hex digits standing alone (a link to that
#: repository's commit, or a wrong one: an upstream Linux commit named in an ``about:``). A zero-width
#: space after ``GH-``, and after every 6th digit of a commit id (each piece too short to be one),
#: breaks them. A hex word with no digit (``defaced``) is English, left as typed; commit ids in the
#: report's own code blocks (the behaviour table) are code, never linked, and stay untouched.
_MD_GH = re.compile(r"(?<![0-9A-Za-z_])GH-(?=[0-9])", re.IGNORECASE)
_MD_SHA = re.compile(r"(?<![0-9A-Za-z_])(?=[a-fA-F]*[0-9])[0-9a-fA-F]{7,40}(?![0-9A-Za-z_])")


def _md_breaks(body: str) -> set[int]:
    """The positions of ``body`` after which ``_md_line`` puts a zero-width space to break a
    ``GH-N`` or a commit id (``_MD_GH``, ``_MD_SHA``)."""
    at = {m.end() - 1 for m in _MD_GH.finditer(body)}
    for m in _MD_SHA.finditer(body):
        at.update(range(m.start() + 5, m.end() - 1, 6))
    return at


def _md_ref(body: str, i: int) -> bool:
    """Does the character at ``i`` start a tracker reference: ``@`` before a name, ``# ! $ &``
    before a number, ``% ~`` before a name or a quoted one (``~"needs info"``)? (``&lt;`` is no
    reference and stays as typed.)"""
    sign = body[i]
    if sign not in _MD_REF_SIGNS or i + 1 >= len(body):
        return False
    after = body[i + 1]
    if sign in "#!$&":
        return after.isascii() and after.isdigit()
    return after.isalnum() or after == "_" or (sign in "%~" and after == '"')


def _md_cells(text: str) -> int:
    """The columns ``text`` takes once ``_md_line`` has escaped it, at most: a backslash for each
    character it may escape, ``<>`` around each URL, and a zero-width space's entity after each
    reference sign."""
    refs = sum(1 for i in range(len(text)) if _md_ref(text, i)) + len(_md_breaks(text))
    return (_cells(text) + sum(c in _MD_ALWAYS or c == "_" for c in text) + 2 * len(_MD_URL.findall(text))
            + len(_MD_ZWSP) * refs)


def _md_line(line: str) -> str:
    """One wrapped line of prose as Markdown text: its markup characters backslash-escaped, a URL
    as an autolink, a tracker reference (``@user``, ``#123``, ``GH-1``, a commit id) broken by a zero-width space, and a line that would start a block (``# x``, ``> x``, ``- x``, ``1. x``, ``===``)
    escaped at its start. Leading spaces are kept (a continuation line's indent)."""
    body = line.lstrip(" ")
    urls = {m.start(): _url_end(m.group()) for m in _MD_URL.finditer(body)}
    breaks = _md_breaks(body)
    out: list[str] = []
    i = 0
    while i < len(body):
        url = urls.get(i)
        if url:
            out.append(f"<{url}>")
            i += len(url)
            continue
        c = body[i]
        inner = c == "_" and 0 < i < len(body) - 1 and body[i - 1].isalnum() and body[i + 1].isalnum()
        out.append("\\" + c if c in _MD_ALWAYS or (c == "_" and not inner) else c)
        if _md_ref(body, i) or i in breaks:
            out.append(_MD_ZWSP)
        i += 1
    text = "".join(out)
    ordered = _MD_ORDERED.match(text)
    if ordered:
        text = f"{ordered.group(1)}\\{text[len(ordered.group(1)):]}"
    elif _MD_BLOCK.match(text):
        text = "\\" + text
    return line[:len(line) - len(body)] + text


def _url_end(url: str) -> str:
    """``url`` without the punctuation that ends the sentence around it (``(see https://x/y).``)."""
    while url and (url[-1] in ".,;:!?'\"*_~" or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url = url[:-1]
    return url


# --- helpers ---------------------------------------------------------------------------------------
#: a URL (a lore.kernel.org link in a scenario's about, a tracker in a bookmark's note): broken
#: across lines it no longer opens, so one longer than a line keeps a line of its own, whole
_URL = re.compile(r"<?[a-z][a-z0-9+.-]*://\S+|<\S+@\S+>", re.ASCII)


def _wrap(text: str, indent: str, hang: str | None = None, md: bool = False) -> list[str]:
    """``text`` wrapped at the width. ``md``: as Markdown prose (``_md_line``), measured as escaped,
    with a column kept for a backslash at the start of a line."""
    hang = indent if hang is None else hang
    if md:
        lines = _wrap_cells(" ".join(text.split()), indent, hang, WIDTH - 1, _md_cells)
        return [_md_line(ln) for ln in lines]
    if not _narrow(text):
        return _wrap_cells(" ".join(text.split()), indent, hang)
    lines = textwrap.wrap(" ".join(text.split()), WIDTH, initial_indent=indent, subsequent_indent=hang,
                          break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]
    out: list[str] = []
    for i, ln in enumerate(lines):
        if len(ln) <= WIDTH or _URL.fullmatch(ln.strip()):
            out.append(ln)
        else:  # a long word that is not a URL is cut at the width, as before
            out += textwrap.wrap(ln.strip(), WIDTH, initial_indent=indent if i == 0 else hang,
                                 subsequent_indent=hang, break_long_words=True, break_on_hyphens=False)
    return out


def _cells(text: str) -> int:
    """The columns ``text`` takes on a terminal: East Asian wide and fullwidth characters (CJK,
    most emoji) two, combining marks none, the rest one."""
    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _narrow(text: str) -> bool:
    """Does every character of ``text`` take one column (so ``len`` is its width)?"""
    return text.isascii() or _cells(text) == len(text)


def _wrap_cells(text: str, indent: str, hang: str, width: int = WIDTH,
                measure: Callable[[str], int] | None = None) -> list[str]:
    """``_wrap`` by columns rather than characters (``textwrap`` counts characters: a note in
    Chinese or with emoji ran to twice the width). Words longer than a line -- CJK text has no
    spaces -- are cut at the width, except a URL, which keeps a line of its own, whole.
    ``measure`` gives a string's columns (default ``_cells``)."""
    cells = measure or _cells
    lines: list[str] = []
    line, used, empty = indent, cells(indent), True
    for word in text.split():
        size = cells(word)
        if used + (0 if empty else 1) + size <= width:
            line, used, empty = (line + word, used + size, False) if empty else (f"{line} {word}", used + 1 + size, False)
            continue
        if not empty:
            lines.append(line)
            line, used, empty = hang, cells(hang), True
        if _URL.fullmatch(word):
            lines.append(line + word)
            line, used = hang, cells(hang)
            continue
        while used + size > width:
            take, got = 0, 0
            while take < len(word) and used + got + cells(word[take]) <= width:
                got += cells(word[take])
                take += 1
            take = max(take, 1)
            lines.append(line + word[:take])
            word = word[take:]
            size = cells(word)
            line, used = hang, cells(hang)
        if word:
            line, used, empty = line + word, used + size, False
    if not empty or not lines:
        lines.append(line if not empty else line.rstrip())
    return lines


def _wrap_all(lines: list[str], indent: str, md: bool = False) -> list[str]:
    out: list[str] = []
    for ln in lines:
        lead = len(ln) - len(ln.lstrip(" "))
        out += _wrap(ln, indent + " " * lead, indent + " " * (lead + 2), md)
    return out


def _clip(line: str) -> str:
    """A fixed-width line, escaped (a line break from a file, e.g. in a stranger's switch value or
    pirq note, shows as ``\\n``, never starts a line of its own) and cut at the width (in columns)."""
    line = escape(line)
    if _cells(line) <= WIDTH:
        return line
    used = 0
    for i, c in enumerate(line):
        used += _cells(c)
        if used > WIDTH - 3:
            return line[:i] + "..."
    return line


def _vectors(mask_words: list[int]) -> str:
    """IRR/ISR words -> ``0x31 0x41``; ``-`` when empty."""
    vs = [f"{w * 32 + b:#04x}" for w, word in enumerate(mask_words) for b in range(32) if word >> b & 1]
    return " ".join(vs) if vs else "-"


def _flag(on: bool) -> str:
    return "+" if on else "-"


# --- sections --------------------------------------------------------------------------------------
def _stop(s: Session, summ: dict[str, Any]) -> Section:
    st = s.last_stop
    where = f"event {st.event} of {s.total}, {format_ns(st.time_ns)}"
    head = f"{st.breakpoint} at {where}" if st.breakpoint else f"{st.reason} at {where}"
    sec = Section("Stopped", [head], pre=False)
    if st.detail:
        sec.lines.append(f"  {st.detail}")
    return sec


def _versions(s: Session, summ: dict[str, Any], writer: Origin | None) -> Section:
    scn = s.scenario
    p = scn.platform
    kernel = scn.kernel.version
    versions = dict(scn.behaviour.versions)
    platform = p.kind + (f", Xen {versions['xen']}" if "xen" in versions else "")
    if "qemu" in versions:
        platform += f", {versions['qemu']}" + ("" if p.qemu else " (implied)")
    other = writer is not None and (writer.msidbg != __version__ or writer.model != MODEL)
    # the model revision always: a reader's msidbg of another revision replays the run differently
    # (model/revision.py), and the version string alone does not say which model ran
    rows = [("msidbg", f"{__version__}, model revision {MODEL}"),
            ("platform", platform),
            ("kernel", f"Linux {kernel}" if kernel else "no version given (current upstream switches)"),
            ("cpus", str(scn.cpus)),
            ("schedule", f"{summ.get('schedule', scn.schedule)}, seed {summ.get('seed', s.seed)}")]
    if writer is not None and other:
        model = "none recorded" if writer.model is None else str(writer.model)
        rows.insert(1, ("written by", f"msidbg {writer.msidbg}, model revision {model} (format {writer.version})"))
    if not s.history_ready:
        rows.append(("verified", "no (--no-verify): the file's world, as recorded"))
    return Section("Versions", [f"{k:<10} {v}" for k, v in rows])


def behaviour(s: Session, summ: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(``kernel.<name>``/``platform.<name>``/``unknown.<name>``, value, where it came from and the
    commit behind it, this msidbg's differing resolution or ""): the summary's ``behaviour`` object
    (the switches the run used: a snapshot opened unverified, as its writer resolved them) when it
    has one, else the scenario's resolved table."""
    from msidbg import behaviour as bh

    shown = summ.get("behaviour")
    if not isinstance(shown, dict) or not shown:
        shown = s.scenario.behaviour.shown(s.scenario.platform.kind, s.scenario.platform.iommu)
    keys = {r.name: r.key for r in bh.rows()}
    rows = []
    for name, v in shown.items():
        value, origin, commit = (v.get("value"), v.get("from", ""), v.get("commit", "")) if isinstance(v, dict) \
            else (v, "", "")
        here = v.get("this_msidbg") if isinstance(v, dict) else None
        mine = (f"this msidbg: {_show(here['value'])}, {_origin(str(here['from']), str(here['commit']))}"
                if isinstance(here, dict) else "")
        if origin == UNKNOWN:
            origin, mine = RECORDED, "this msidbg: no such switch"
        rows.append((keys.get(name, f"unknown.{name}"), _show(value), _origin(str(origin), str(commit)), mine))
    return rows


def _origin(origin: str, commit: str) -> str:
    """``default, 826da771291f``: where a value came from and the first commit id behind it."""
    if commit.startswith("hypothetical"):
        return f"{origin}, HYPOTHETICAL: in no upstream source"
    ids = re.findall(r"\b[0-9a-f]{12}\b", commit)
    lead = "before " if commit.startswith("before") else ""
    return ", ".join(x for x in (origin, lead + ids[0] if ids else "") if x)


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "-" if v is None else str(v)


def _switches(s: Session, summ: dict[str, Any]) -> Section:
    rows = behaviour(s, summ)
    if s.scenario.platform.interrupt_remapping:
        rows.append(("platform.interrupt_remapping", "true", "explicit", ""))
    if s.scenario.platform.lowest_priority is not None:
        # the lowest-priority pick is msidbg's rule (reading bus.lowest-priority-first), not the platform's
        rows.append(("platform.lowest_priority", s.scenario.platform.lowest_priority,
                     "explicit, HYPOTHETICAL: in no upstream source", ""))
    nw = max((len(k.split(".", 1)[-1]) for k, _, _, _ in rows), default=0)
    vw = max((len(v) for _, v, _, _ in rows), default=0)
    other = sum(1 for *_, here in rows if here)
    lines: list[str] = []
    if other:
        lines.append(f"! {other} switch(es) this msidbg would resolve differently")
    for section, head in (("kernel", "kernel:"), ("platform", "platform:"),
                          ("unknown", "recorded, unknown to this msidbg:")):
        mine = [(k.split(".", 1)[-1], v, o, h) for k, v, o, h in rows if k.split(".", 1)[0] == section]
        # the origin most rows share ("kernel 4.9"): said once in the section's head, not on each row
        lead = Counter(o.split(", ", 1)[0] for _, _, o, _ in mine if o).most_common(1)
        common = lead[0][0] if lead and lead[0][1] > 1 else ""
        if mine:
            lines.append(f"{head[:-1]} ({common} unless said):" if common else head)
        for name, value, origin, here in mine:
            mark = "!" if here else " "
            if common and origin.startswith(common + ", "):
                origin = origin[len(common) + 2:]
            elif origin == common:
                origin = ""
            line = f" {mark}{name:<{nw}}  {value:<{vw}}  {origin}".rstrip()
            if len(line) + 2 > WIDTH:
                lines += [f" {mark}{name:<{nw}}  {value}", f"      {origin}"]
            else:
                lines.append(line)
            if here:
                lines.append(f"      {here}")
    title = "as the file recorded them" if other else "resolved"
    return Section(f"Behaviour switches ({title}: value, where from)", lines)


def _happened(summ: dict[str, Any]) -> Section:
    lines = [f"{'device':<12} {'vector':>6} {'raised':>7} {'delivered':>9} {'lost':>6} {'spurious':>8}"]
    for name, d in summ["devices"].items():
        vecs = d["vectors"]
        active = [v for v in vecs if v["raised"] or v["spurious"]]
        for v in active[:MAX_VECTORS]:
            lines.append(f"{name[:12]:<12} {v['index']:>6} {v['raised']:>7} {v['delivered']:>9} {v['lost']:>6} "
                         f"{v['spurious']:>8}")
        quiet = len(vecs) - len(active[:MAX_VECTORS])
        note = f"probe {d['probe']}" + (f"; {quiet} more vector(s) not shown" if quiet and active else "")
        if not active:
            note += "; no signals" if vecs else "; no vectors"
        lines.append(f"{'' if active else name[:12]:<12} {note}")
    return Section("What happened", lines)


def _hits(summ: dict[str, Any]) -> Section:
    hits = summ["hits"]
    lines = []
    for h in hits[:MAX_HITS]:
        lines.append(f"#{h['event']} {format_ns(h['time_ns'])} {h['breakpoint']}:")
        lines.append(f"  {h['detail']}")
    if len(hits) > MAX_HITS:
        lines.append(f"... {len(hits) - MAX_HITS} more (msidbg replay FILE --json lists all)")
    return Section(f"Hits of armed breakpoints ({len(hits)})", lines, pre=False)


def _failed(summ: dict[str, Any]) -> Section:
    """The actions that ran and returned an error, up to the cursor (the summary's ``failed_actions``):
    a driver's (its device's ``probe`` says only the first) and an administrator's (``set_affinity``,
    ``cpu_offline``: shown nowhere else but its ``action.done`` event). Left out when there are none."""
    failed = summ.get("failed_actions") or []
    lines = [failed_action_line(a) for a in failed[:MAX_HITS]]
    if len(failed) > MAX_HITS:
        lines.append(f"... {len(failed) - MAX_HITS} more (msidbg replay FILE --json lists all)")
    return Section(f"Failed actions ({len(failed)})", lines, pre=False)


def _never_started(summ: dict[str, Any]) -> Section:
    """The actions a finished run never started (the summary's ``not_started``: queued behind an
    action that never finished, so no event, error or signal of theirs shows anywhere else). Left
    out when there are none, and at a stop before the end (``not_started`` is then ``[]``)."""
    never = summ.get("not_started") or []
    lines = [not_started_line(a) for a in never[:MAX_HITS]]
    if len(never) > MAX_HITS:
        lines.append(f"... {len(never) - MAX_HITS} more (msidbg replay FILE --json lists all)")
    return Section(f"Actions never started ({len(never)})", lines, pre=False)


def cause_chain(s: Session) -> list[dict[str, Any]]:
    """The cause chain of the stop (``Session.why`` of the hit the run stopped at, else of the stop's
    event): the default chain, symptom first, each link with the first link of its branches."""
    stop = s.last_stop
    if stop.event <= 0:
        return []
    target: Any = next((h for h in reversed(s.armed_hits()) if h.event == stop.event and h.name == stop.breakpoint),
                       stop.event)
    out = []
    for link in s.why(target, stacks=False).chain[:24]:
        out.append({"event": link.event, "time_ns": link.time_ns, "kind": link.kind, "reason": link.reason,
                    "branches": [{"event": b[0].event, "kind": b[0].kind, "reason": b[0].reason}
                                 for b in link.branches if b]})
    return out


def _cause(s: Session) -> Section:
    if not s.history_ready:
        return Section("Cause chain (symptom first)", [
            "not shown: the snapshot was opened without verification (--no-verify), and the cause "
            "chain needs its history replayed"], pre=False)
    lines = []
    for link in cause_chain(s):
        lines.append(f"#{link['event']} {format_ns(int(link['time_ns'] or 0))} {link['kind']}:")
        lines.append(f"  {link['reason']}")
        for b in link["branches"]:
            lines.append(f"  branch #{b['event']} {b['kind']}: {b['reason']}")
    if lines:
        lines.append("(msidbg why FILE prints the whole tree with call stacks)")
    return Section("Cause chain (symptom first)", lines, pre=False)


def involved(s: Session, summ: dict[str, Any]) -> list[str]:
    """Devices named by the stop or the hits; all devices when none is named."""
    text = " ".join([s.last_stop.detail or ""] + [h["detail"] for h in summ["hits"]])
    names = [n for n in s.scenario.devices if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]
    return (names or list(s.scenario.devices))[:MAX_STATE_DEVICES]


def _state(s: Session, summ: dict[str, Any]) -> Section:
    w = s.world
    lines: list[str] = []
    for name in involved(s, summ):
        dev = w["devices"][name]
        pm = (w["kernel"]["pci"].get(name) or {}).get("pm")
        lines += _power(name, dev, pm)
        lines += _command(name, dev.get("cmd")) if not (pm or dev.get("power")) else []
        lines += _msix(name, dev["msix"], w["kernel"]["pci"][name]["descs"]) if dev["msix"] else []
        lines += _msi(name, dev["msi"]) if dev["msi"] else []
        lines += _intx(name, dev)
    intx = [ix for n in involved(s, summ) if (ix := w["devices"][n].get("intx"))]
    chip = "vIOAPIC" if any(ix.get("mgsi") is not None for ix in intx) else "IO-APIC"
    for g in sorted({ix["gsi"] for ix in intx}):
        if g in (w.get("ioapic") or {}):
            lines += _ioapic(g, w["ioapic"][g], w["irqs"].get(g), chip)
    machine = (((w.get("xen") or {}).get("intx") or {}).get("m")) or {}
    for g in sorted({ix["mgsi"] for ix in intx if ix.get("mgsi") is not None}):
        if g in machine:
            lines += _xen_intx(g, machine[g])
    for c in w["cpus"]:
        state = "" if c["online"] else " (offline)"
        lines.append(f"CPU{c['id']}{state}: IRR {_vectors(c['irr'])}  ISR {_vectors(c['isr'])}")
    lines += _pirqs(summ.get("pirqs"))
    return Section(f"State at event {s.cursor}", lines)


def _dest(addr_lo: int) -> str:
    """The destination field: an APIC id, or (Destination Mode logical, address bit 2) a logical
    id mask shown as L<hex>."""
    dest = (addr_lo >> 12) & 0xFF
    return f"L{dest:02x}" if addr_lo & 4 else str(dest)


def _command(name: str, cmd: int | None) -> list[str]:
    """The PCI Command register as lspci -vv shows it (``Control:``), when Memory Space or Bus
    Master Enable is clear: then the MSI-X table is not decoded, or every message is dropped
    (a driver without ``pci_set_master``, a device disabled or never enabled). None: a world
    from before the register was modelled."""
    from msidbg.model.hw import CMD_MASTER, CMD_MEMORY

    if cmd is None or cmd & (CMD_MEMORY | CMD_MASTER) == CMD_MEMORY | CMD_MASTER:
        return []
    return [f"{name} Control: Mem{_flag(bool(cmd & CMD_MEMORY))} BusMaster{_flag(bool(cmd & CMD_MASTER))}"
            + ("  (messages dropped)" if not cmd & CMD_MASTER else "")]


def _power(name: str, dev: dict[str, Any], pm: dict[str, Any] | None) -> list[str]:
    """Once ``pm_suspend`` / ``pm_freeze`` saved the function's state (pci_save_state; docs/scenario.md): its
    power state, the kernel's current_state when that differs (QEMU's emulated PMCSR on xen-hvm, a freeze's
    PCI_UNKNOWN), the Command now and the one pci_restore_state will write back. Nothing otherwise."""
    from msidbg.model.hw import CMD_MASTER, CMD_MEMORY

    power = dev.get("power")
    if power is None and pm is None:
        return []

    def bits(cmd: int) -> str:
        return f"Mem{_flag(bool(cmd & CMD_MEMORY))} BusMaster{_flag(bool(cmd & CMD_MASTER))}"

    state = power or "D0"
    kernel = (pm or {}).get("state")
    line = f"{name} power: {state}" + (f" (kernel: {kernel})" if kernel and kernel != state else "")
    if power is not None:
        line += "  (no request claimed, no message)"
    lines = [line]
    if dev.get("cmd") is not None:
        saved = (pm or {}).get("saved_cmd")
        lines.append(f"{name} Control: {bits(dev['cmd'])}" + (f"  saved: {bits(saved)}" if saved is not None else ""))
    return lines


def _msix(name: str, msix: dict[str, Any], descs: list[dict[str, Any]]) -> list[str]:
    ctrl = msix["ctrl"]
    lines = [f"{name} MSI-X: Enable{_flag(bool(ctrl & 0x8000))} Masked{_flag(bool(ctrl & 0x4000))} "
             f"Count={(ctrl & 0x7FF) + 1}",
             "  entry  address     data    dest  vec   mask  pba  latched"]
    table = msix["table"]
    shown = [i for i in range(len(table)) if i < len(descs) or msix["pba"][i] or table[i]["data"]]
    for i in shown[:MAX_ENTRIES]:
        e = table[i]
        latched = msix["latched"][i]
        lat = f"{latched[2] & 0xFF:#04x}@{(latched[0] >> 12) & 0xFF}" if latched else "-"
        lines.append(f"  {i:>5}  {e['addr_lo']:#010x}  {e['data']:#06x}  {_dest(e['addr_lo']):>4}  "
                     f"{e['data'] & 0xFF:#04x}  {e['ctrl'] & 1:>4}  {msix['pba'][i]:>3}  {lat}")
    if len(shown) > MAX_ENTRIES:
        lines.append(f"  ... {len(shown) - MAX_ENTRIES} more entries")
    return lines


def _msi(name: str, msi: dict[str, Any]) -> list[str]:
    ctrl = msi["ctrl"]
    line = (f"{name} MSI: Enable{_flag(bool(ctrl & 1))} Maskable{_flag(bool(ctrl & 0x100))} "
            f"64bit{_flag(bool(ctrl & 0x80))}")
    lines = [line, f"  address {msi['addr_lo']:#010x} (dest {_dest(msi['addr_lo'])})  "
                   f"data {msi['data']:#06x} (vector {msi['data'] & 0xFF:#04x})"]
    if ctrl & 0x100:
        lines.append(f"  mask {msi['mask']:#x}  pending {msi['pending']:#x}")
    return lines


def _intx(name: str, dev: dict[str, Any]) -> list[str]:
    """A function's INTx pin (bare metal): its interrupt condition (Status.Interrupt Status) and
    Command.Interrupt Disable, as lspci -vv shows them (``Status: ... INTx+``, ``Control: ... DisINTx+``)."""
    from msidbg.model import ioapic
    from msidbg.model.hw import CMD_INTX_DISABLE

    ix = dev.get("intx")
    if not ix:
        return []
    drives = "INTx# asserted" if ioapic.asserting(dev) else "INTx# not driven"
    held = f", {ix['cond']} signal(s) pending" if ix["cond"] else ""
    # a Xen HVM guest's passthrough function (model/xen_intx.py): ``gsi`` is the guest's GSI on Xen's
    # vIOAPIC, ``mgsi`` the machine GSI the file names
    gsi = f"guest GSI {ix['gsi']} (machine GSI {ix['mgsi']})" if ix.get("mgsi") is not None else f"GSI {ix['gsi']}"
    return _fit(f"{name} INTx: pin {'ABCD'[ix['pin'] - 1]} -> {gsi}  Status.INTx{_flag(bool(ix['cond']))}"
                f"  DisINTx{_flag(bool(dev['cmd'] & CMD_INTX_DISABLE))}", f"({drives}{held})")


def _xen_intx(mgsi: int, rec: dict[str, Any]) -> list[str]:
    """Xen's machine line of an HVM guest's passthrough INTx: the host IO-APIC entry's Remote IRR (set
    until Xen EOIs the host irq), the guest pirq's ``masked`` (do_IRQ_guest) and pirq_dpci->pending."""
    return [f"machine GSI {mgsi} (Xen pirq {rec['pirq']}): Remote IRR{_flag(bool(rec.get('rirr')))}  "
            f"masked{_flag(bool(rec.get('masked')))}  pending {rec.get('pending', 0)}"]


def _ioapic(gsi: int, pin: dict[str, Any], irq: dict[str, Any] | None, chip: str = "IO-APIC") -> list[str]:
    """The IO-APIC redirection entry of a GSI (``chip``: "vIOAPIC", Xen's, for an HVM guest) and what
    the kernel's irq on it says."""
    line = (f"{chip} GSI {gsi}: vector {pin['vector']:#04x} -> CPU{pin['cpu']}  masked{_flag(pin['masked'])}  "
            f"Remote IRR{_flag(pin['remote_irr'])}")
    if irq is not None and irq.get("spurious_disabled"):
        return _fit(line, f"(irq {gsi} disabled by note_interrupt: \"nobody cared\")")
    if irq is not None and irq.get("disabled"):
        return _fit(line, f"(irq {gsi} disabled, depth {irq.get('depth')})")
    return [line]


def _fit(line: str, tail: str) -> list[str]:
    """``line`` and its parenthesised ``tail`` on one line of a fixed-width section (indented by 2),
    else the tail on an indented line of its own: a fixed-width line is cut at the width, and the
    tail is what the line is there for (the irq "nobody cared" disabled, INTx# asserted)."""
    one = f"{line}  {tail}"
    return [one] if _cells(one) + 2 <= WIDTH else [line, f"    {tail}"]


def _pirqs(pirqs: dict[str, Any] | None) -> list[str]:
    if not pirqs:
        return []
    guests: dict[int, list[str]] = {}
    for g in pirqs["guest"]:
        guests.setdefault(g["pirq"], []).append(f"{g['irq']}:{g['dev']}#{g['index']}")
    bad = {d["pirq"]: d for d in pirqs.get("disagreements", [])}
    lines = ["pirq  Xen state  Xen owner   port  guest irq:owner"]
    rows = pirqs["xen"]
    for r in rows[:MAX_PIRQS]:
        owner = f"{r['dev']}#{r['entry']}" if r["dev"] else "-"
        mark = "  !" if r["pirq"] in bad else ""
        lines.append(f"{r['pirq']:>4}  {r['state']:<9}  {owner:<10}  {r['port']:>4}  "
                     f"{', '.join(guests.get(r['pirq'], [])) or '-'}{mark}")
    if len(rows) > MAX_PIRQS:
        lines.append(f"... {len(rows) - MAX_PIRQS} more pirqs")
    for d in bad.values():
        lines.append(f"! pirq {d['pirq']}: {d.get('why') or d.get('what') or d}")
    return lines


def _bookmarks(s: Session) -> Section:
    lines = []
    for b in s.bookmarks:
        lines.append(f"#{b.event} {b.name}")
        if b.note:
            lines.append(f"    {b.note}")
    return Section("Bookmarks", lines, pre=False)


def _reproduce(s: Session, source: str) -> Section:
    name = os.path.basename(source) or "bug.msgpack"
    if not is_snapshot_source(source):
        return Section("Reproduce", [
            f"msidbg run {name} --headless --stop-at-break",
            f"    runs the scenario to this stop (event {s.cursor}) and prints",
            "    the summary",
            f"msidbg run {name}",
            "    the debugger (TUI) at event 0; c continues to the stop",
        ])
    return Section("Reproduce", [
        f"msidbg replay {name}",
        f"    re-runs the scenario to event {s.cursor} and compares (exit 1 if",
        "    it diverges), then prints the summary",
        f"msidbg open {name}",
        f"    the debugger (TUI) at event {s.cursor}, with the bookmarks",
    ])


INLINE_NOTE = ("The snapshot is below. Save this mail (or only the block) to a file and run "
               "`msidbg open FILE`: quoting and re-wrapping do not harm it.")


def open_source(path: str, verify: bool = True, max_events: int | None = None,
                cut: list[tuple[int, int]] | None = None) -> tuple[Session, Origin | None]:
    """A session for a snapshot (or a mail holding one: verified by replay unless ``verify`` is
    False) or a scenario (run to its first armed hit, at most ``max_events`` events, by default
    ``headless.DEFAULT_MAX_EVENTS``: hardening27), with who wrote the snapshot. A run the default
    cap cut appends (the cap, the virtual time) to ``cut``."""
    if is_snapshot_source(path):
        if max_events is not None:
            raise MsidbgError("a snapshot is reported at its cursor, never run further (expected a scenario file)",
                              path, option="--max-events")
        s = Session.open(path, verify=verify)
        return s, s.origin
    if not verify:
        from msidbg.debugger.whyrun import no_verify_of_scenario

        raise no_verify_of_scenario(path)
    from msidbg.debugger.headless import forward_capped

    s = Session.from_scenario(path)
    stop, cap = forward_capped(s, max_events, stop_at_break=True)
    if cap is not None and cut is not None:
        cut.append((cap, stop.time_ns))
    return s, None


def is_snapshot_source(path: str) -> bool:
    """A snapshot by name or first byte, or a text file or mail holding one (``debugger.armour``)."""
    from msidbg.debugger.armour import is_snapshot_source as sniffed

    return sniffed(path)


def render(path: str, markdown: bool = False, inline: bool = False, verify: bool = True,
           max_events: int | None = None, cut: list[tuple[int, int]] | None = None) -> str:
    """The report of ``path`` as text; ``inline`` appends the armoured snapshot. Text from the file
    (notes, details, the scenario's about) has its control characters escaped (``guard.escape``).
    ``verify`` False (a snapshot only): the file's world as recorded, not replayed (the cause chain,
    which needs the replay, is left out; ``inline`` appends the file's own bytes)."""
    from msidbg.debugger import armour
    from msidbg.debugger.snapread import snapshot_bytes
    from msidbg.debugger.snapshot import pack_session
    from msidbg.debugger.verify import recorded_world

    s, writer = open_source(path, verify, max_events, cut)
    with recorded_world(path, s) if not s.history_ready else nullcontext():
        sections = report(s, path, writer)
        text = escape_lines((render_markdown if markdown else render_text)(s, sections))
    if inline:
        block = armour.armour(pack_session(s) if s.history_ready else snapshot_bytes(path))
        note = "\n".join(_wrap(INLINE_NOTE, ""))
        text += f"\n{note}\n\n" + (f"```\n{block}```\n" if markdown else block)
    return text
