"""msidbg diff: the first divergence of each seed bug's buggy / fixed pair is the step the fix changed,
and the outcome difference is the one the two --json summaries show."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from msidbg.debugger import Session, headless
from msidbg.debugger.diff import diff_files
from msidbg.scenario import load_scenario
from tests.why_helpers import ROOT, SCN

#: (buggy, fixed, the program step each takes where they part, the switch the fix is)
PAIRS = [
    # the fixed twin is 5.14, whose fix series (SERIES_2021) also enables and masks MSI-X first
    # (438553958ba1): msix_capability_init's control write is the first step the fix changed
    ("msix-write-while-unmasked", "msix-write-while-unmasked-fixed",
     ("msix_capability_init+ctrl_enable", None), ("msix_capability_init+ctrl_enable", None), "msix_enable_first"),
    ("marvell-nvme-msi-blocked", "marvell-nvme-msi-blocked-late",
     ("msix_capability_init+mask_early", None), ("msix_capability_init+setup_entries", None), "msix_mask_all"),
    ("msi-torn-affinity-update", "msi-torn-affinity-update-plug-race",
     ("msi_domain_set_affinity+updated", "pci_write_msi_msg"), ("msi_set_affinity+updated", "msi_set_affinity_plug"),
     "msi_affinity_update"),
    ("xen-hvm-msix-mask-late", "xen-hvm-msix-mask-late-early",
     ("msix_capability_init+setup_entries", None), ("msix_capability_init+mask_early", None), "msix_mask_all"),
    ("xen-pirq-reuse-nvme", "xen-pirq-reuse-nvme-fixed",
     ("xen_hvm_setup_msi_irqs+read_back", None), ("xen_hvm_setup_msi_irqs+alloc", None), "xen_reuse_cached_pirq"),
]


def step_at(stack: list[str], under: str, callee: str | None) -> bool:
    """``under`` is on the stack (a frame's prog+step or just prog) and, when ``callee`` is given,
    the frame it called (the one just inside it) runs program ``callee``."""
    for i, frame in enumerate(stack):
        if frame == under or frame.split("+")[0] == under:
            return callee is None or (i > 0 and stack[i - 1].split("+")[0] == callee)
    return False


def summary_outcome(path: str) -> dict[str, dict[str, object]]:
    summ = headless.run(load_scenario(path)).summary
    out: dict[str, dict[str, object]] = {}
    for name, d in summ["devices"].items():
        out[name] = {"probe": d["probe"], **{f: sum(v[f] for v in d["vectors"])
                                              for f in ("raised", "delivered", "lost", "spurious")}}
    return out


@pytest.mark.parametrize("buggy, fixed, step_a, step_b, switch", PAIRS, ids=[p[0] for p in PAIRS])
def test_first_divergence_is_the_step_the_fix_changed(buggy: str, fixed: str, step_a: tuple[str, str | None],
                                                      step_b: tuple[str, str | None], switch: str) -> None:
    a, b = str(SCN / f"{buggy}.yaml"), str(SCN / f"{fixed}.yaml")
    r = diff_files(a, b)
    d = r.first
    assert d is not None
    assert step_at(d.a_info["stack"], *step_a), d.a_info
    assert step_at(d.b_info["stack"], *step_b), d.b_info
    assert d.a_info["context"] == d.b_info["context"] == d.context
    # it is the earliest divergence of every context, in both runs
    assert all(min(x for x in (c.a, c.b) if x is not None) >= min(d.a or 0, d.b or 0) for c in r.contexts)
    # before it both runs executed the very same events
    first = min(x for x in (d.a, d.b) if x is not None)
    assert [str(e) for e in r.a.session.events(1, first)] == [str(e) for e in r.b.session.events(1, first)]
    assert switch in d.switches
    assert d.paths, "the diverging steps leave some state different"
    # the outcome difference is the two --json summaries'
    for side, path in (("a", a), ("b", b)):
        got = {n: {k: v for k, v in dv.items() if k != "hits"} for n, dv in
               (r.outcome_a if side == "a" else r.outcome_b)["devices"].items()}
        assert got == summary_outcome(path)
    assert not r.same_outcome


def test_a_run_against_itself_has_no_divergence_and_exits_0() -> None:
    path = str(SCN / "msi-torn-affinity-update.yaml")
    r = diff_files(path, path)
    assert r.first is None and r.contexts == [] and r.same_outcome
    assert r.aligned(100) == 100 and r.aligned(100, from_b=True) == 100
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "diff", path, path, "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["first_divergence"] is None and doc["outcome"]["a"] == doc["outcome"]["b"]


def test_cli_json_names_both_events_and_exits_1_when_outcomes_differ() -> None:
    a, b = str(SCN / "xen-pirq-reuse-nvme.yaml"), str(SCN / "xen-pirq-reuse-nvme-fixed.yaml")
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "diff", a, b, "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    fd = doc["first_divergence"]
    assert fd["a"]["event"] == fd["b"]["event"] and fd["a"]["kind"] == "ioreq.msix_read"
    assert fd["b"]["kind"] == "xen.hypercall" and fd["switches"]["xen_reuse_cached_pirq"] == {"a": True, "b": False}
    assert doc["outcome"]["a"]["devices"]["nvme0"]["probe"] == "failed: ETIMEDOUT"
    assert doc["outcome"]["b"]["devices"]["nvme0"]["probe"] == "ok"
    text = subprocess.run([sys.executable, "-m", "msidbg.cli", "diff", a, b], capture_output=True, text=True, cwd=ROOT)
    assert text.returncode == 1 and "first divergence: cpu0.proc" in text.stdout


def test_a_snapshot_stands_for_its_run_and_cursors_link_per_context() -> None:
    snap = str(ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack")
    fixed = str(SCN / "xen-pirq-reuse-nvme-fixed.yaml")
    r = diff_files(snap, fixed)
    ref = diff_files(str(SCN / "xen-pirq-reuse-nvme.yaml"), fixed)
    assert r.first is not None and ref.first is not None
    assert (r.first.a, r.first.b, r.first.context) == (ref.first.a, ref.first.b, ref.first.context)
    # after the divergence, an event of A maps to B's event at the same place in the same context
    e = r.first.a + 40
    mapped = r.aligned(e)
    assert mapped is not None and r.b.context(mapped) == r.a.context(e)
    assert r.aligned(mapped, from_b=True) == e


def test_session_diff_keeps_both_cursors_and_the_armed_breakpoints() -> None:
    a = Session.from_scenario(str(SCN / "marvell-nvme-msi-blocked.yaml"))
    b = Session.from_scenario(str(SCN / "marvell-nvme-msi-blocked-late.yaml"))
    a.step(5)
    r = a.diff(b)
    assert a.cursor == 5 and b.cursor == 0
    assert r.first is not None and r.first.context == "cpu0.proc"
    assert r.outcome_a["hits"] and not r.outcome_b["hits"].get("probe-failed")
    assert r.as_dict()["first_divergence"]["a"]["event"] == r.first.a


def test_one_switch_of_the_2021_fix_alone_parts_at_irq_startup(tmp_path: object) -> None:
    """5.13 with only 826da771291f's order (affinity_before_startup): the runs part where
    irq_startup() unmasks the entry (A) or first runs irq_setup_affinity() (B), and nothing is lost."""
    src = (SCN / "msix-write-while-unmasked.yaml").read_text()
    assert '  version: "5.13"' in src
    b = tmp_path / "abs.yaml"  # type: ignore[operator]
    b.write_text(src.replace('  version: "5.13"', '  version: "5.13"\n  affinity_before_startup: true', 1))
    r = diff_files(str(SCN / "msix-write-while-unmasked.yaml"), str(b))
    d = r.first
    assert d is not None and d.context == "cpu0.proc" and d.a == d.b == 24
    assert (d.a_info["kind"], d.b_info["kind"]) == ("msix.write", "vector.assign")
    assert d.a_info["stack"][:2] == ["__irq_startup+enable", "irq_startup+startup_last"]
    assert d.b_info["stack"][2:4] == ["irq_setup_affinity+chosen", "irq_startup+startup_middle"]
    assert list(d.switches) == ["affinity_before_startup"]
    assert "devices.eth0.msix.latched[0]" in [p["path"] for p in d.paths]
    assert r.outcome_b["devices"]["eth0"]["lost"] == 0 and r.outcome_a["devices"]["eth0"]["lost"] == 20
