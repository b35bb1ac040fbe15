"""The Xen model's plumbing: accounting through event channels, determinism, snapshots of
QEMU's context, presets, the pirq map in the summary, and the guest/QEMU/Xen units."""

import glob
import json
import os
import subprocess
import sys

import pytest

from msidbg.debugger.headless import run
from msidbg.model import new_engine
from msidbg.scenario import load_scenario
from msidbg.sim.world import check_plain, state_hash
from tests.conftest import ROOT, events_of, finish_copy, run_to_end, scenario, shipped, totals

XEN_SCENARIOS = sorted(glob.glob(str(ROOT / "scenarios" / "xen-*.yaml")))


@pytest.mark.parametrize("path", XEN_SCENARIOS, ids=os.path.basename)
def test_raised_is_delivered_plus_lost_and_the_world_stays_plain(path: str) -> None:
    eng = run_to_end(load_scenario(path))
    check_plain(eng.w)
    for dev in eng.w["devices"]:
        t = totals(eng, dev)
        assert t["raised"] == t["delivered"] + t["lost"], dev
    assert not eng.w["xen"]["ports"] or all(not ch["src"] for ch in eng.w["xen"]["ports"].values())


@pytest.mark.parametrize("path", XEN_SCENARIOS, ids=os.path.basename)
def test_same_scenario_same_hash(path: str) -> None:
    a, b = run_to_end(load_scenario(path)), run_to_end(load_scenario(path))
    assert state_hash(a.w) == state_hash(b.w) and len(a.log) == len(b.log)


def test_a_copied_world_mid_qemu_ioreq_continues_identically() -> None:
    """QEMU's in-flight work is frames in the world: a snapshot taken while QEMU maps a pirq
    (and a vCPU waits for it) replays to the same end."""
    scn = shipped("xen-pirq-reuse-nvme")
    ref = run_to_end(scn)
    eng = new_engine(scn)
    while not eng.w["qemu"]["ctx"]["stack"] or eng.w["qemu"]["ctx"]["stack"][-1]["prog"] != "xen_pt_msix_update_one":
        assert eng.step()
    stack = [f["prog"] for f in eng.w["qemu"]["ctx"]["stack"]]
    assert stack[0] in ("xen_pt_pci_write_config", "pci_msix_write")      # QEMU's call stack
    assert any(c["proc"]["wait"] and "ioreq" in c["proc"]["wait"] for c in eng.w["cpus"])
    assert state_hash(finish_copy(eng).w) == state_hash(ref.w)


def test_random_schedule_is_reproducible_and_accounts_everything() -> None:
    scn = shipped("xen-pirq-reuse-nvme-fixed")
    import dataclasses

    for seed in (1, 2, 3):
        rnd = dataclasses.replace(scn, schedule="random")
        a, b = run_to_end(rnd, seed), run_to_end(rnd, seed)
        assert state_hash(a.w) == state_hash(b.w)
        for dev in a.w["devices"]:
            t = totals(a, dev)
            assert t["raised"] == t["delivered"] + t["lost"]


def test_presets_table() -> None:
    """platform.xen: each switch flips at the release that carries its commit (docs/model-xen.md);
    the Xen release implies its device model (qemu-traditional before 4.3)."""
    from msidbg.behaviour import resolve

    def row(xen: str | None, qemu: str | None = None) -> tuple[object, ...]:
        b = resolve("xen-hvm", xen=xen, qemu=qemu).plain()
        return (b["qemu_unmap_pirq_on_msi_disable"], b["qemu_msix_latch"], b["xen_msi_mask"], b["xen_msixtbl_refcount"])

    assert row("4.2") == (False, False, "ignored", "inverted")         # qemu-traditional; 74c213c506
    assert row("4.4") == (False, False, "direct", "inverted")
    assert row("4.5") == (True, False, "direct", "inverted")
    assert row("4.6") == (True, False, "combined", "inverted")
    assert row("4.7") == (True, True, "combined", "inverted")
    assert row("4.5", "qemu-xen-4.7") == (True, True, "direct", "inverted")
    assert row("4.21") == (True, True, "combined", "inverted")
    assert row("4.22") == (True, True, "combined", "fixed")
    assert row(None) == row("4.22")
    # never a preset's choice: the hypothetical on-write binding, the 2008 ioemu's physical mask writes
    for xen in ("4.2", "4.4", "4.5", "4.6", "4.16", None):
        b = resolve("xen-hvm", xen=xen).plain()
        assert b["xen_pt_bind"] == "on-unmask" and not b["qemu_writes_phys_mask"], xen


def test_json_summary_has_the_pirq_map_on_xen_only() -> None:
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "run", str(ROOT / "scenarios" / "xen-sriov-pirq-order.yaml"),
                          "--headless", "--json"], capture_output=True, text=True, cwd=ROOT)
    summ = json.loads(out.stdout)
    pirqs = summ["pirqs"]
    assert [r["pirq"] for r in pirqs["xen"]] == [99, 100, 101]
    assert all(r["state"] == "bound" and r["dev"] == "nic4" and r["port"] for r in pirqs["xen"])
    assert {g["pirq"] for g in pirqs["guest"]} == {99, 100, 101}
    assert pirqs["disagreements"] == []
    bare = run(shipped("msix-write-while-unmasked")).summary
    assert "pirqs" not in bare


def test_pirq_conflict_can_be_armed_and_stops_a_run() -> None:
    scn = shipped("xen-pirq-reuse-nvme")
    res = run(scn, stop_at_break=True)
    assert res.reason == "breakpoint" and res.summary["stopped"]["breakpoint"] == "pirq-conflict"


def test_xen_pv_guest_gets_pirqs_from_pciback_and_never_touches_the_table() -> None:
    eng = run_to_end(scenario("""
        name: t
        cpus: 2
        platform: {kind: xen-pv}
        kernel: {msix_mask_all: late}
        devices:
          eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 3}}
        run:
          - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
          - {at: 1ms, do: fire, dev: eth0, vector: 2, count: 3, every: 10us}
          - {at: 2ms, do: remove, dev: eth0}
    """))
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    assert not events_of(eng, "ioreq.msix_write")
    assert not [e for e in events_of(eng, "pcifront.dropped") if e.fields["space"] == "msix-table"]
    ops = [e.fields["op"] for e in events_of(eng, "xen.hypercall")]
    assert "XEN_PCI_OP_enable_msix" in ops and "XEN_PCI_OP_disable_msix" in ops
    assert eng.w["xen"]["pirqs"] == {}       # pciback unmapped them at the disable


def test_event_channel_follows_affinity_and_survives_cpu_offline() -> None:
    eng = run_to_end(scenario("""
        name: t
        cpus: 3
        platform: {kind: xen-hvm, xen_hvm_pirqs: true}
        devices:
          eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
        run:
          - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
          - {at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
          - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
          - {at: 3ms, on: 0, do: cpu_offline, cpu: 2}
          - {at: 4ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}
    """))
    handlers = [e.cpu for e in events_of(eng, "irq.handler")]
    assert handlers[:3] == [2, 2, 2] and 2 not in handlers[3:]
    assert totals(eng, "eth0") == {"raised": 6, "delivered": 6, "lost": 0, "spurious": 0}


def test_a_masked_event_channel_holds_signals_and_they_are_lost_at_the_end() -> None:
    """free_irq masks and closes the port; signals raised while it is bound but masked wait."""
    from msidbg.model import evtchn

    eng = new_engine(scenario("""
        name: t
        platform: {kind: xen-hvm, xen_hvm_pirqs: true}
        devices:
          eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 1}}
        run:
          - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
          - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
    """))
    while eng.w["now"] < 900_000 and eng.step():
        pass
    port = eng.w["kernel"]["xen"]["irqs"][24]["port"]
    evtchn.set_mask(eng, port, True)        # as disable_irq() would
    while eng.step():
        pass
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 0, "lost": 2, "spurious": 0}
    assert any("event channel" in h.detail for h in eng.hits)


def test_guest_irq_with_a_stale_pirq_has_no_event_channel() -> None:
    """Xen refuses a second event channel on a pirq (-EEXIST); the guest only warns."""
    from msidbg.model import evtchn

    eng = run_to_end(shipped("xen-pirq-reuse-nvme"))
    bad = [e for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "EVTCHNOP_bind_pirq"
           and e.fields["ret"] == -evtchn.EEXIST]
    assert {e.dev for e in bad} == {"nvme0", "nvme2"}


def test_reuse_read_back_of_a_device_qemu_does_not_pass_through_reads_its_own_registers() -> None:
    """af42b8d12f8a's read-back on an MSI device without xen-pt state (not passthrough): the
    device's own registers answer (was a KeyError in QEMU's emulated state; found by the fuzz test)."""
    scn = scenario("""\
        name: reuse-emulated
        platform: {kind: xen-hvm, xen: "4.4"}
        kernel: {xen_reuse_cached_pirq: true}
        devices:
          d1: {bdf: "00:04.0", msi: {vectors: 1}}
        run:
          - {at: 0, do: probe, dev: d1, mode: msi}
          - {at: 1ms, do: fire, dev: d1, vector: 0}
        """)
    eng = run_to_end(scn)
    notes = [e for e in events_of(eng, "kernel") if "__pci_read_msi_msg" in str(e)]
    assert len(notes) == 1
    assert eng.w["kernel"]["pci"]["d1"]["status"] == "ok"
