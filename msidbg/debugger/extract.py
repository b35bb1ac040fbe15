"""A snapshot's scenario back as the YAML it was recorded from (``msidbg replay FILE --scenario``).

The text is the snapshot's ``scenario.text`` exactly, after the whole file was read and checked
(``snapread.read``: digest, bounds, the text's own sha256, at most 1 MiB) and the text loaded as a
valid scenario (so it holds no control characters: YAML refuses them). A run of that file alone
reproduces the snapshot only when the snapshot used the file's own seed and schedule; otherwise
``rerun`` holds the ``msidbg run`` options that do, and a run that followed a recorded plan
(``msidbg explore``'s shrunk schedule) cannot be re-run from the YAML at all (``plan``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from msidbg.debugger.snapread import read, recorded_scenario
from msidbg.errors import MsidbgError
from msidbg.files import (
    FileProblem,
    check_new,
    check_not_input,
    check_not_snapshot,
    check_target,
    write_atomic,
)
from msidbg.guard import escape
from msidbg.model.revision import MODEL
from msidbg.scenario import Scenario


@dataclass(frozen=True)
class ScenarioCopy:
    """The scenario of a snapshot, and how to re-run it to the snapshot's run."""

    text: str
    file: str
    sha256: str
    seed: int
    #: ``msidbg run`` options beyond the file that re-run the snapshot's run (empty: none needed)
    rerun: list[str] = field(default_factory=list)
    #: decisions of the recorded plan the run followed (None: no plan; the YAML re-runs it)
    plan: int | None = None
    #: the model revision that wrote the snapshot (None: before format 5), and who
    model: int | None = MODEL
    writer: str = ""
    #: what this msidbg refuses in the text as a file, though the snapshot's run read it (a plain value
    #: YAML 1.1 and 1.2 read differently, hardening31: ``interrupt_remapping: yes``): (its line or None,
    #: what is wrong)
    refused: tuple[int | None, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` form. ``refused``: what a run of the text refuses, ``{"line", "message"}``, or
        None (hardening32: the text form's note on stderr had no counterpart in the JSON)."""
        refused = None if self.refused is None else {"line": self.refused[0], "message": self.refused[1]}
        return {"scenario": self.file, "sha256": self.sha256, "text": self.text, "seed": self.seed,
                "rerun": self.rerun, "plan": self.plan, "model": self.model, "refused": refused}

    def notes(self, out: str) -> list[str]:
        """Lines for stderr when the YAML alone does not re-run the snapshot's run (``out``: where
        the YAML went): another model wrote it, or it used other options, or a recorded plan."""
        lines = []
        if self.model != MODEL:
            which = "before model revisions were recorded" if self.model is None else f"model revision {self.model}"
            lines.append(f"note: the snapshot was written by msidbg {self.writer} ({which}; this msidbg has model "
                         f"revision {MODEL}): a run of the YAML here may differ from the recorded run")
        if self.plan is not None:
            lines.append(f"note: this run followed a recorded plan of {self.plan} scheduling decisions (msidbg "
                         "explore's shrunk schedule) that only the snapshot holds: the YAML runs the scenario, "
                         "'msidbg replay' / 'msidbg open' on the snapshot re-run that run")
        elif self.rerun:
            lines.append(f"note: this run used other options than the file's own; re-run it with: msidbg run {out} "
                         f"{' '.join(self.rerun)}")
        if self.refused:
            line, message = self.refused
            where = f"{out}:{line}" if line else out
            lines.append(f"note: {where}: {message}: the snapshot's run read it as YAML 1.1 does, and a run of "
                         "the YAML refuses it until it is written as expected")
        return lines


def scenario_of(path: str) -> ScenarioCopy:
    """The scenario stored in the snapshot ``path``. Raises SnapshotError (one line)."""
    rec = read(path)
    scn = recorded_scenario(rec)
    plan = None
    rerun = ["--seed", str(rec.seed)] if rec.seed != scn.seed else []
    sch = rec.schedule
    if sch is not None:
        rerun += _schedule_args(scn, sch.strategy, sch.depth, sch.window)
        plan = None if sch.plan is None else len(sch.plan.to_rows())
        if plan == 0 and sch.strategy == "ordered":
            # explore's ordered baseline, saved when it fails: a plan of no decisions over the
            # ordered schedule takes every default, as the ordered run does (it draws nothing), so
            # the YAML re-runs it -- the note said only the snapshot held it
            plan = None
    return ScenarioCopy(rec.scenario_text, rec.scenario_file, scn.sha256, rec.seed, rerun, plan, rec.model,
                        rec.msidbg, _refused(rec.scenario_text))


def _refused(text: str) -> tuple[int | None, str] | None:
    """What ``msidbg run`` refuses in ``text`` that the snapshot's (lenient) reading took, or None."""
    from msidbg import yamlsafe

    try:
        yamlsafe.parse(text)
    except yamlsafe.Invalid as e:
        return (e.line or None, e.message)
    return None


def _schedule_args(scn: Scenario, strategy: str, depth: int, window: int) -> list[str]:
    from msidbg.model import DEFAULT_WINDOW
    from msidbg.sim.strategy import DEFAULT_DEPTH

    out = [] if strategy == scn.schedule else ["--schedule", strategy]
    if strategy in ("pct", "delay") and depth != DEFAULT_DEPTH:
        out += ["--depth", str(depth)]
    default = scn.timing.window if scn.timing.window is not None else DEFAULT_WINDOW[strategy]
    if window != default:
        out += ["--window", str(window)]  # a bare number is ns
    return out


def check_output(out: str, source: str, force: bool = True) -> None:
    """Refuse an output path ``write`` would refuse, or the snapshot ``source`` itself, or (unless
    ``force``) a file that is not empty (MsidbgError, one line)."""
    try:
        check_target(out)
        check_not_input(out, source)
        check_not_snapshot(out)         # YAML over a snapshot: never
        if not force:
            check_new(out)
    except FileProblem as e:
        raise MsidbgError(e.message, out, option="-o/--output") from None


def write(copy: ScenarioCopy, out: str | None, stdout: TextIO | None = None, replace: bool = True) -> str | None:
    """Write the text to ``out`` atomically (None or ``-``: stdout: exact to a pipe or a file, with
    what a terminal would act on escaped to a terminal; ``replace`` False: never over a file that is
    not empty). Returns a note about escaping, or None."""
    if out is not None and out != "-":
        try:
            write_atomic(out, copy.text.encode("utf-8"), replace)
        except FileProblem as e:
            raise MsidbgError(e.message, out, option="-o/--output") from None
        return None
    stream = sys.stdout if stdout is None else stdout
    text, note = copy.text, None
    if stream.isatty():
        text = for_terminal(copy.text)
        if text != copy.text:
            note = ("note: characters a terminal would act on are shown escaped (a lone \\r, \\u202e, ...); "
                    "-o OUT.yaml or a pipe gets the exact text")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None and text is copy.text:
        stream.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        stream.write(text)
    return note


def for_terminal(text: str) -> str:
    """``text`` with what a terminal would act on escaped (``guard.escape``), line breaks, CRLF
    endings and tabs kept."""
    out = []
    for line in text.split("\n"):
        crlf = line.endswith("\r")
        out.append("\t".join(escape(part) for part in line.removesuffix("\r").split("\t")) + ("\r" if crlf else ""))
    return "\n".join(out)
