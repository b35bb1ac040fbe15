"""Held-out round diffheld22: `msidbg diff` on one-version / one-switch pairs (tests/heldout_diff22, the
predictions in PREDICTIONS.md written before diff ran). Each pair's first divergence is the step the row
changes, ``switches`` names the row (and the version when the pair differs in it), and the outcome is the two
``run --headless --json`` summaries'. Pins two fixes: a step that leaves different state behind the same event
(note_interrupt_counts; 4.5's irq_move_irq mask against 4.6's ack) is the first divergence, and the state that
differs is named leaf by leaf (``irqs[24].vector``, not ``irqs[24]``)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.debugger.diff import diff_files, render
from msidbg.scenario import load_scenario
from tests.why_helpers import ROOT

HELD = ROOT / "tests" / "heldout_diff22"

#: (A, B, context, event (the same index in both: every pair parts with the same history), A's step, B's step,
#: state_only, every key of switches, same outcome; a state-only side: the step that wrote the state, whyheld12); context None: the runs never part (the row is not reached,
#: or the steps that read it leave the same state at every event)
PAIRS: list[tuple[str, str, str | None, int | None, str, str, bool, list[str], bool]] = [
    ("d01-cleanup-k65", "d01-cleanup-k66", "cpu1.proc", 5, "msi_domain_alloc_irqs+alloc_irq", "msi_domain_alloc_irqs+alloc_irq", False, ['kernel.version', 'vector_cleanup'], True),
    ("d02-offline-k58", "d02-offline-k59", "cpu3.proc", 43, "take_cpu_down+cpu_disable", "take_cpu_down+cpu_disable", False, ['amd_irte_cmpxchg', 'cpu_disable_apic', 'kernel.version'], True),
    ("d03-preaffinity-k57", "d03-preaffinity-k58", "cpu0.proc", 14, "irq_set_affinity+request_move", "irq_set_affinity+request_move", False, ['affinity_on_activate', 'kernel.version', 'spurious_apic_entry'], True),
    ("d04-intx-count-k512", "d04-intx-count-k513", "cpu1.irq", 14, "handle_fasteoi_irq+note", "handle_fasteoi_irq+eoi", True, ['kernel.version', 'note_interrupt_counts'], True),
    ("d05-reprobe-skip", "d05-reprobe-ebusy", "cpu1.proc", 39, "driver_probe+bound", "driver_probe+bound", False, ['bound_probe'], False),
    ("d06-nvme-online", "d06-nvme-present", "cpu0.proc", 14, "driver_probe+alloc", "driver_probe+alloc", False, ['nvme_queue_cpus'], True),
    ("d07-xen-eoi-k45", "d07-xen-eoi-k46", "cpu0.irq", 65, "irq_move_irq+mask_first", "xen_handle_edge_irq+ack", True, ['kernel.version', 'xen_eoi_clear_first'], True),
    ("d08-xen-ignoremask-k517", "d08-xen-ignoremask-k518", "cpu0.proc", 13, "xen_hvm_setup_msi_irqs+alloc", "msix_capability_init+setup_entries", False, ['affinity_online_filter', 'kernel.version', 'xen_hvm_msi_ignore_mask'], True),
    ("d09-xen-dmwrites-false", "d09-xen-dmwrites-true", "cpu1.proc", 53, "msix_capability_init+mask_late", "msix_capability_init+mask_late", False, ['xen_dm_msix_all_writes'], True),
    ("d10-qemu-latch-false", "d10-qemu-latch-true", None, None, "", "", False, ['qemu_msix_latch'], True),
    ("d11-qemu-unmap-false", "d11-qemu-unmap-true", "qemu", 60, "xen_pt_pci_write_config+write_through", "xen_pt_msi_disable+msi_unbind", False, ['qemu_unmap_pirq_on_msi_disable'], False),
    ("d12-xen-pirqcache-k410", "d12-xen-pirqcache-k411", "cpu0.proc", 13, "xen_hvm_setup_msi_irqs+read_back", "xen_hvm_setup_msi_irqs+alloc", False, ['kernel.version', 'xen_reuse_cached_pirq'], True),
    ("d13-xen-vlapic-x417", "d13-xen-vlapic-x418", None, None, "", "", False, ['platform.xen', 'xen_vlapic_disabled_refuses'], True),
    ("d14-amdvi-cmpxchg-false", "d14-amdvi-cmpxchg-true", "cpu0.proc", 18, "amd_modify_irte_ga+store", "amd_modify_irte_ga+store", False, ['amd_irte_cmpxchg'], True),
    ("d15-flat-k611", "d15-flat-k612", "cpu0.proc", 6, "pci_write_msi_msg+prepare", "pci_write_msi_msg+prepare", True, ['affinity_usr_errno', 'apic_flat_logical', 'kernel.version', 'platform.apic'], True),
    ("d16-managed-errno-eio", "d16-managed-errno-eperm", "cpu1.proc", 87, "write_irq_affinity+write_affinity", "write_irq_affinity+write_affinity", False, ['affinity_usr_errno'], False),
    ("d17-multimsi-none", "d17-multimsi-quirk", None, None, "", "", False, ['devices.sas2.quirks'], True),
    ("d18-dying-play-dead", "d18-dying-do-idle", "cpu1.proc", 37, "take_cpu_down+idle_dead", "take_cpu_down+idle_dead", False, ['dying_irqs_off'], True),
    ("d19-freeirq-shutdown", "d19-freeirq-delayed", None, None, "", "", False, ['free_irq_deactivate'], True),
    ("d20-xen-bindaff-false", "d20-xen-bindaff-true", "qemu", 44, "xen_pt_msix_update_one+bind", "xen_pt_msix_update_one+bind", False, ['xen_bind_affinity_first'], True),
    # (lockq25: CPU1 entered handle_edge_irq before free_irq came for desc->lock, so it takes the lock first and
    # handles the probe's signal -- the runs are two events shorter; 37 before)
    ("d21-shutslot-false", "d21-shutslot-true", "cpu0.proc", 38, "free_msi_irqs+release_irq", "free_msi_irqs+release_irq", False, ['vector_shutdown_slot'], True),
    ("d22-qemu-latch-nopirq-false", "d22-qemu-latch-nopirq-true", "qemu", 80, "pci_msix_write+latch", "pci_msix_write+latch", False, ['qemu_msix_latch'], True),
    ("d23-multimsi-ir-none", "d23-multimsi-ir-quirk", "dev.sas2", 20, "", "", False, ['devices.sas2.quirks'], False),
]


def _summary(path: str) -> dict[str, Any]:
    summ = headless.run(load_scenario(path)).summary
    return {name: {"probe": d["probe"], **{f: sum(int(v[f]) for v in d["vectors"])
                                            for f in ("raised", "delivered", "lost", "spurious")}}
            for name, d in summ["devices"].items()}


@pytest.mark.parametrize("a, b, ctx, event, step_a, step_b, state_only, switches, same", PAIRS, ids=[p[0][:3] for p in PAIRS])
def test_the_first_divergence_is_the_step_the_row_changes(a: str, b: str, ctx: str | None, event: int | None, step_a: str,
                                                          step_b: str, state_only: bool, switches: list[str],
                                                          same: bool) -> None:
    pa, pb = str(HELD / f"{a}.yaml"), str(HELD / f"{b}.yaml")
    r = diff_files(pa, pb)
    assert sorted(r.switches) == switches
    d = r.first
    if ctx is None:
        assert d is None and r.contexts == []
    else:
        assert d is not None
        assert (d.context, d.a, d.b, getattr(d, "state_only", False)) == (ctx, event, event, state_only)
        assert (d.a_info["stack"][:1] or [""])[0] == step_a and (d.b_info["stack"][:1] or [""])[0] == step_b
        assert sorted(d.switches) == switches
        # before it both runs executed the very same events, and it is the earliest divergence of every context
        assert [str(e) for e in r.a.session.events(1, event)] == [str(e) for e in r.b.session.events(1, event)]
        assert all(min(x for x in (c.a, c.b) if x is not None) >= event for c in r.contexts)
        assert d.paths or d.a_info.get("recorded") or d.a_info["text"] != d.b_info["text"]
    assert r.same_outcome is same
    for side, path in (("a", pa), ("b", pb)):
        got = {n: {k: v for k, v in dv.items() if k != "hits"} for n, dv in
               (r.outcome_a if side == "a" else r.outcome_b)["devices"].items()}
        assert got == _summary(path)


def test_a_switch_that_changes_only_state_parts_the_runs_where_it_does() -> None:
    """note_interrupt_counts: before 7c07012eb1be (5.13) every interrupt counts in irq_count, from it only once
    one went unhandled. Three handled interrupts emit the same events either way; on main diff said "no
    divergence ... no step of either run depends on it"."""
    r = diff_files(str(HELD / "d04-intx-count-k512.yaml"), str(HELD / "d04-intx-count-k513.yaml"))
    d = r.first
    assert d is not None and d.state_only and d.context == "cpu1.irq"
    assert [(p["path"], p["a"], p["b"]) for p in d.paths] == [("irqs[17].irq_count", 1, None)]
    doc = r.as_dict()["first_divergence"]
    assert doc["state_only"] is True and doc["paths"] == ["irqs[17].irq_count"]
    text = render(r)
    assert "first divergence: cpu1.irq, after 2 identical steps there (the same event in both; the state it left differs)" in text
    assert "    irqs[17].irq_count: A 1, B -" in text and "no divergence" not in text


def test_the_same_event_from_another_step_is_the_divergence() -> None:
    """4.5 / 4.6 (ff1e22e7a638): both emit evtchn.mask at event 65 (55 before kernel32, 60 before intx36), 4.5 from irq_move_irq (before clear_evtchn),
    4.6 from the ack; the desc's masked / move_pending differ after it. Main parted one event later."""
    r = diff_files(str(HELD / "d07-xen-eoi-k45.yaml"), str(HELD / "d07-xen-eoi-k46.yaml"))
    d = r.first
    assert d is not None and (d.a, d.b) == (65, 65) and d.state_only     # (kernel32: the MSI set-up write, 5 events on HVM; intx36: pci_intx_for_msi's read and write, 5 more)
    assert d.a_info["stack"][:2] == ["irq_move_irq+mask_first", "xen_handle_edge_irq+ack"]
    vals = {p["path"]: (p["a"], p["b"]) for p in d.paths}
    assert vals == {"irqs[24].masked": (True, False), "irqs[24].move_pending": (False, True)}


def test_state_that_differs_is_named_leaf_by_leaf() -> None:
    """An irq both steps created differs in its vector: ``irqs[24].vector: A 0x21, B 0x20``; main showed
    ``irqs[24]`` with two whole records (and --json the same)."""
    r = diff_files(str(HELD / "d01-cleanup-k65.yaml"), str(HELD / "d01-cleanup-k66.yaml"))
    d = r.first
    assert d is not None
    vals = {p["path"]: (p["a"], p["b"]) for p in d.paths}
    assert vals["irqs[24].vector"] == (0x21, 0x20) and "irqs[24]" not in vals
    assert vals["cpus[1].vector_irq[0x21]"] == (24, None)
    assert "    irqs[24].vector: A 0x21, B 0x20" in render(r)


def test_cli_json_carries_state_only() -> None:
    a, b = str(HELD / "d04-intx-count-k512.yaml"), str(HELD / "d04-intx-count-k513.yaml")
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "diff", a, b, "--json"], capture_output=True,
                         text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    fd = json.loads(out.stdout)["first_divergence"]
    assert fd["state_only"] is True and fd["a"]["event"] == fd["b"]["event"] == 14
    assert fd["values"] == [{"path": "irqs[17].irq_count", "a": 1, "b": None}]


def test_switches_name_the_costs_faults_and_probes_the_files_differ_in(tmp_path: Any) -> None:
    """Two files that differ only in ``costs:`` (benchmarks/why.py's pair: EOI 1 ns dearer) or ``faults:`` /
    ``probes:`` listed nothing under ``switches``: "no divergence" then read as two identical files."""
    src = (HELD / "d19-freeirq-delayed.yaml").read_text()
    a = tmp_path / "a.yaml"
    a.write_text(src)
    b = tmp_path / "b.yaml"
    b.write_text(src.replace("cpus: 2\n", "cpus: 2\ncosts: {eoi: 101}\n", 1).replace("times: 1}", "times: 2}", 1))
    c = tmp_path / "c.yaml"
    c.write_text(src.replace("cpus: 2\n", "cpus: 2\nfaults: [{call: pci_msi_setup_msi_irqs, dev: nic5, errno: ENOSPC}]\n", 1)
                 .replace("breakpoints: [irq-lost, irq-spurious]", "breakpoints: [irq-lost]"))
    r = diff_files(str(a), str(b))
    assert r.switches == {"costs.eoi": {"a": 100, "b": 101},
                          "probes": {"a": ["before free_irq: fire nic5 x1"], "b": ["before free_irq: fire nic5 x2"]}}
    r = diff_files(str(a), str(c))
    assert r.switches == {"breakpoints": {"a": ["irq-lost", "irq-spurious"], "b": ["irq-lost"]},
                          "faults": {"a": [], "b": ["pci_msi_setup_msi_irqs nic5 ENOSPC x1"]}}
    assert "    faults: A [], B [pci_msi_setup_msi_irqs nic5 ENOSPC x1]" in render(r)
