"""Provenance and Session.why: recorded links, never a change of behaviour; rebuilt by replay;
targets (hits, events, paths); the summary's cause; msidbg why."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.debugger.why import WhyError
from msidbg.model import new_engine
from msidbg.model import provcodes as C
from msidbg.scenario import load_scenario
from msidbg.sim.world import state_hash
from tests.why_helpers import ROOT, SCN, first_hit, one, ran

SCENARIOS = sorted(p.stem for p in SCN.glob("*.yaml"))


def run_engine(name: str, prov: bool) -> object:
    eng = new_engine(load_scenario(str(SCN / f"{name}.yaml")), prov=prov)
    eng.run_sync()
    return eng


@pytest.mark.parametrize("name", SCENARIOS)
def test_recording_provenance_changes_nothing_the_model_does(name: str) -> None:
    on, off = run_engine(name, True), run_engine(name, False)
    lon, loff = on.log, off.log                                   # type: ignore[attr-defined]
    assert (lon.times, lon.ids, lon.cols) == (loff.times, loff.ids, loff.cols)
    assert on.hits == off.hits                                    # type: ignore[attr-defined]
    assert state_hash(on.w) == state_hash(off.w)                  # type: ignore[attr-defined]
    assert len(on.prov) > 0 and len(off.prov) == 0                # type: ignore[attr-defined]


def test_replaying_a_snapshot_rebuilds_the_same_records(tmp_path: Path) -> None:
    s = Session.from_scenario(str(SCN / "xen-pirq-reuse-nvme.yaml"))
    s.run(500)
    s.save(str(tmp_path / "s.msgpack"))
    o = Session.open(str(tmp_path / "s.msgpack"))
    p, q = s.eng.prov, o.eng.prov
    p.flush()
    q.flush()
    assert p.rec == q.rec and p.hot_arr == q.hot_arr and p.notes == q.notes and p.stacks == q.stacks
    assert s.why(480).as_dict() == o.why(480).as_dict()


def test_going_back_and_forth_records_nothing_twice() -> None:
    s = ran("msix-write-while-unmasked")
    before = len(s.eng.prov)
    hit = first_hit(s, "irq-lost")
    answer = s.why(hit).as_dict()
    s.seek(10)
    s.step(30)
    s.seek(s.total)
    assert len(s.eng.prov) == before
    assert s.why(hit).as_dict() == answer


def test_every_loss_hit_maps_to_the_loss_node_of_its_device() -> None:
    s = ran("xen-pirq-reuse-nvme")
    p = s.eng.prov
    p.flush()
    for j, h in enumerate(s.eng.hits):
        r = p.hit_node(j, h.event)
        assert r >= 0, h
        if h.name == "irq-lost":
            assert C.CODES[p.code(r)].name == "lost" and h.detail.startswith(s.why(h).chain[0].path.split(".")[1])


def test_summary_gains_each_hits_cause() -> None:
    s = ran("xen-hvm-msix-mask-late")
    hits = s.summary()["hits"]
    assert hits and all(h["cause"][0] == h["event"] for h in hits)
    assert hits[0]["cause"] == s.why(s.armed_hits()[0]).events()


def test_a_path_at_the_cursor_aliases_and_errors() -> None:
    s = ran("msix-write-while-unmasked")
    a = s.why("cpu[1].irr[0x21]")
    assert a.as_dict() == s.why("cpus[1].irr[0x21]").as_dict()
    assert a.target["path"] == "cpus[1].irr[0x21]" and a.chain[0].value == s.world["cpus"][1]["irr"][1] >> 1 & 1
    w = s.why("dev.eth0.msix.table[0].data")
    # the last writer: irq_setup_affinity's rewrite of the live entry (after the second vector.assign)
    moved = [e.index for e in s.events(1, s.total + 1) if e.kind == "vector.assign"][-1]
    assert w.chain[0].event == one(s, "msix.write", lambda e: e.index > moved, entry=0, reg="data")
    assert w.chain[0].link == "table.write.live"
    with pytest.raises(WhyError, match="no device 'eth9'"):
        s.why("devices.eth9.msix.table[0].data")
    with pytest.raises(WhyError, match="no event 5000"):
        s.why(5000)
    # an untracked path: its last change, found by replaying history
    u = s.why("kernel.pci.eth0.status")
    assert u.target["path"] == "kernel.pci.eth0.status" and u.chain[0].kind == "action.done"


def test_an_irqs_cpu_path_is_answered_about_the_cpu() -> None:
    """irqs[n].cpu shares its writer with irqs[n].vector (the vector domain assigns both at once) but
    the answer names the CPU and shows the CPU's value (it answered as irqs[n].vector with the vector)."""
    s = ran("msi-torn-affinity-update")
    irq = 25
    cpu, vector = s.world["irqs"][irq]["cpu"], s.world["irqs"][irq]["vector"]
    assert cpu != vector
    w, v = s.why(f"irqs[{irq}].cpu"), s.why(f"irq[{irq}].vector")
    assert w.target["path"] == f"irqs[{irq}].cpu" and w.target["value"] == cpu
    assert w.chain[0].path == f"irqs[{irq}].cpu" and w.chain[0].value == cpu
    assert w.chain[0].reason.startswith(f"last wrote irqs[{irq}].cpu: ")
    assert w.events() == v.events() and v.target["path"] == f"irqs[{irq}].vector" and v.target["value"] == vector
    assert s.why(f"irq[{irq}].cpu").as_dict() == w.as_dict()


def test_an_event_without_a_recorded_value_shows_its_step_and_what_it_ran_for() -> None:
    # (irq.request was the example until request_irq recorded irqs[N].action; msix_program_entries' msix.read until
    # why31 recorded the descriptor's cached Vector Control it stores the value in: now the write_default_affinity
    # note, which records nothing)
    s = ran("msix-write-while-unmasked")
    note = one(s, "kernel", prog="write_default_affinity")
    why = s.why(note)
    assert why.chain[0].link == "event" and why.chain[0].stack == ["write_default_affinity+write_default"]
    start = one(s, "action.start", do="default_affinity")
    assert why.events() == [note, start] and why.chain[-1].kind == "action.start"
    # the read is the node of the cache it fills (entry->masked, msix_program_entries before 5.14), in the same step
    read = one(s, "msix.read")
    cached = s.why(read)
    assert cached.chain[0].link == "kernel" and cached.chain[0].path == "kernel.pci.eth0.descs[0].msix_ctrl"
    assert cached.chain[0].stack == ["msix_capability_init+program_entries", "pci_enable_msix_range+msix_done",
                                     "pci_alloc_irq_vectors+after_msix", "driver_alloc_vectors+alloc_done"]
    assert cached.events() == [read, one(s, "action.start", do="alloc_vectors")]


def test_vector_irq_slots_and_online_flags_are_recorded_by_the_step_that_changed_them() -> None:
    """The kernel's vector code has no hook: the store diffs each CPU's vector_irq and online flag
    after a kernel step. 2021: activation puts irq 24 on CPU1 0x21, irq_setup_affinity moves it to
    CPU0 0x21 (CPU1's slot stays until cleanup), CPU1's take_cpu_down (fixup_irqs) empties it."""
    s = ran("msix-write-while-unmasked")
    assigns = [e.index for e in s.events(1, s.total + 1) if e.kind == "vector.assign"]
    start = one(s, "action.start", do="request_irq")
    off_start = one(s, "action.start", do="cpu_offline")
    offline = one(s, "cpu.offline")
    first = s.why(assigns[0])
    assert first.chain[0].path == "cpus[1].vector_irq[0x21]" and first.chain[0].value == 24
    assert first.chain[0].stack == ["irq_domain_activate_irq+assign", "irq_activate+activated", "request_irq+startup",
                                    "driver_request_irq+hint"]
    assert first.events() == [assigns[0], start]
    assert s.why("cpus[0].vector_irq[0x21]").events() == [assigns[1], start]
    gone = s.why("cpu[1].vector_irq[0x21]")
    # (dyingdrain) emptied by fixup_irqs' IRR scan in CPU1's take_cpu_down (VECTOR_UNUSED), recorded at that
    # context's next event: its MULTI_STOP_EXIT note, before the offline
    exit_ = next(e.index for e in s.events(1, s.total + 1) if e.kind == "kernel" and "MULTI_STOP_EXIT, CPU1" in str(e))
    assert exit_ < offline
    assert gone.events() == [exit_, off_start] and gone.chain[0].value == "UNUSED"
    assert gone.chain[0].stack == ["take_cpu_down+fixup_irr"]
    # the first loss: sent to CPU1 while it was offline -- the offline is the most recent writer (whyheld12: where
    # take_cpu_down's remove_cpu_from_maps took CPU1 out of cpu_online_mask, before the cpu.offline event);
    # the latch and the live rewrite it ignored are the branches
    loss = first_hit(s, "irq-lost")
    why = s.why(loss)
    disable = why.chain[1].event
    assert off_start < disable < exit_ < offline and why.chain[1].stack == ["take_cpu_down+cpu_disable"]
    assert why.events() == [loss.event, disable, off_start]
    assert why.chain[1].path == "cpus[1].online" and why.chain[1].value is False


def msidbg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "msidbg.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_why_json_text_and_errors() -> None:
    path = str(SCN / "xen-hvm-msix-mask-late.yaml")
    out = msidbg("why", path, "--hit", "0", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["target"]["kind"] == "hit" and doc["target"]["breakpoint"] == "irq-lost"
    for link in doc["chain"]:
        assert {"event", "time_ns", "kind", "cpu", "dev", "path", "value", "stack", "reason"} <= set(link)
    assert doc["chain"][0]["event"] == doc["target"]["event"] and doc["chain"][-1]["kind"] == "action.start"
    text = msidbg("why", path, "--path", "devices.eth0.msix.table[0].ctrl")
    assert text.returncode == 0 and "msix_capability_init+mask_late" in text.stdout
    bad = msidbg("why", path, "--hit", "99")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "argument --hit: no hit 99: the run has " in bad.stderr
    bad = msidbg("why", path, "--path", "devices.nope.msix.ctrl")
    assert bad.returncode == 2 and "no device 'nope'" in bad.stderr


@pytest.mark.parametrize("args, says", [
    (("--path", "cpus[9].irr[0x21]"), "cpus[9].irr[0x21]: no CPU 9 (expected 0..1)"),
    (("--path", "cpu[1].isr[0x100]"), "no vector 0x100 (expected 0x0..0xff)"),
    (("--path", "dev.eth0.msix.table[9].data"), "eth0 has no MSI-X entry 9 (expected 0..3)"),
    (("--path", "devices.eth0.msi.data"), "eth0 has no MSI capability"),
    (("--path", "irqs[77].vector"), "no irq 77 at the cursor (expected one of: 24)"),
    (("--path", "irqs[77].disabled"), "no irq 77 at the cursor (expected one of: 24)"),
    # (ux9: these answered "(initial state)" for an entry the run does not have)
    (("--path", "ioapic[16].masked"), "no IO-APIC entry 16 in this run (expected a device with an intx: pin"),
    (("--path", "xen.intx.m[20].pending"), "no machine GSI 20 bound to the guest (expected a Xen guest's"),
    (("--path", "foo.bar"), "--path: column 1 of 'foo.bar': unknown name 'foo' (expected "),
    # 115 + the enable's 2 Command writes + take_cpu_down's 2 (offdying) + MULTI_STOP_EXIT's and do_idle's (dyingdrain)
    (("--event", "123"), "argument --event: no event 123: the run has 122 events (expected 1..122)"),
])
def test_cli_why_bad_targets_are_one_line_naming_the_file(args: tuple[str, ...], says: str) -> None:
    path = str(SCN / "msix-write-while-unmasked.yaml")
    bad = msidbg("why", path, *args)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith(f"msidbg: {path}: ") and says in bad.stderr


def test_cli_why_on_a_snapshot_explains_its_stop() -> None:
    snap = str(ROOT / "snapshots" / "xen-pirq-reuse-nvme.msgpack")
    doc = json.loads(msidbg("why", snap, "--json").stdout)
    s = Session.open(snap)
    assert doc["target"]["event"] == s.cursor and doc["target"]["breakpoint"] == s.last_stop.breakpoint
