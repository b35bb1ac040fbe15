"""Red team: cause chains and first divergences on topologies the shipped scenarios do not have.

The 2017 re-use with a 3-vector NIC as the pirq thief (not another NVMe) on 4 vCPUs: nvme0
probes with one vector (pirq 101), removes (QEMU unmaps 101: c976437c7dba), the NIC probes and
Xen hands it 101 again (top-down), nvme0 re-probes and re-uses the 101 it reads back.
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files, render
from tests.why_helpers import SCN, events, first_hit, one, tree

NIC_THIEF = """\
name: nic-thief
seed: 5
cpus: 4
platform: {{kind: xen-hvm, xen: "4.8"}}
kernel: {{version: "{kernel}"}}
devices:
  nvme0: {{bdf: "00:04.0", kind: nvme, passthrough: true, msix: {{table_size: 8}}}}
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 3}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}}
  - {{on: 0, do: doorbell, dev: nvme0, vector: 0}}
  - {{on: 0, do: remove, dev: nvme0}}
  - {{at: 500us, on: 3, do: probe, dev: eth0, mode: msix, vectors: 3}}
  - {{at: 1500us, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 4}}
  - {{on: 0, do: doorbell, dev: nvme0, vector: 0}}
  - {{on: 0, do: doorbell, dev: nvme0, vector: 1}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
breakpoints: [pirq-conflict, probe-failed, irq-lost]
"""


def _ran(tmp_path: Path, kernel: str) -> Session:
    path = tmp_path / f"nic-thief-{kernel}.yaml"
    path.write_text(NIC_THIEF.format(kernel=kernel))
    s = Session.from_scenario(str(path))
    s.run()
    return s


def test_the_thief_gets_the_pirq_and_the_victim_times_out(tmp_path: Path) -> None:
    s = _ran(tmp_path, "4.10")
    summary = s.summary()
    nvme0, eth0 = summary["devices"]["nvme0"], summary["devices"]["eth0"]
    assert nvme0["probe"] == "failed: ETIMEDOUT"
    assert [(v["raised"], v["delivered"], v["lost"]) for v in nvme0["vectors"][:2]] == [(2, 1, 1), (1, 1, 0)]
    assert (eth0["probe"], eth0["vectors"][0]["delivered"], eth0["vectors"][0]["lost"]) == ("ok", 3, 0)
    assert [h["breakpoint"] for h in summary["hits"]] == ["pirq-conflict", "probe-failed", "irq-lost"]
    assert first_hit(s, "pirq-conflict").detail.endswith("Xen holds that pirq for eth0 entry 0")
    fixed = _ran(tmp_path, "4.11").summary()       # c74fd80f2f41: always a fresh pirq
    assert fixed["hits"] == [] and fixed["devices"]["nvme0"]["probe"] == "ok"


def test_why_the_thief_holds_the_pirq_reaches_the_victims_remove(tmp_path: Path) -> None:
    """The conflict's branch "what holds it" explains eth0's pirq 101: PHYSDEVOP_get_free_pirq
    handed it out because QEMU's unmap at nvme0's MSI-X disable had freed it. The chain used to
    stop at the NIC's probe (the allocation had no cause), short of the action that freed it."""
    s = _ran(tmp_path, "4.10")
    hit = first_hit(s, "pirq-conflict")
    t = tree(s.why(hit))
    alloc = one(s, "xen.hypercall", dev="eth0", op="PHYSDEVOP_get_free_pirq", ret=101)
    unmap = one(s, "qemu.unmap_pirq", dev="nvme0", pirq=101)
    remove = one(s, "action.start", do="remove", dev="nvme0")
    disable = [e.index for e in events(s, "ioreq.cfg_write", dev="nvme0") if e.index < unmap][-1]
    links = {(lk.event, lk.path): lk for lk in s.why(hit).links()}
    assert links[(alloc, "xen.pirqs[101]")].value == -1          # PIRQ_ALLOCATED, by the NIC's probe
    freed = links[(unmap, "xen.pirqs[101]")]                     # unmap_domain_pirq: free again
    assert (freed.actor, freed.value) == ("QEMU", 0)
    assert disable in t and remove in t
    assert t[remove] == ["action.start"]


RELOAD = """\
name: xen-reload
cpus: 2
platform: {{kind: xen-hvm, xen: "4.5"{extra}}}
kernel: {{version: "5.15.10"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
  - {{at: 2ms, on: 0, do: remove, dev: eth0}}
  - {{at: 3ms, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 5ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}}
"""


def test_diff_of_files_whose_switch_no_step_reaches_names_the_switch(tmp_path: Path) -> None:
    """Xen 4.5's inverted msixtbl refcount against ea87662c77's fix, on a driver reload that the
    refcount never decides: the runs execute the same steps. The diff used to print only "no
    divergence", as if the files were the same; it now names what differs between them."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(RELOAD.format(extra=""))
    b.write_text(RELOAD.format(extra=", xen_msixtbl_refcount: fixed"))
    r = diff_files(str(a), str(b))
    assert r.same_outcome
    assert r.switches == {"xen_msixtbl_refcount": {"a": "inverted", "b": "fixed"}}
    assert r.as_dict()["switches"] == r.switches
    # why26: the steps are the same, the state is not for a while -- the remove's msixtbl_pt_unregister keeps 4.5's
    # entry (the inverted refcount) and frees the fixed one's, and the re-probe registers it again in both. The
    # fingerprints taken after the steps that read the row find it (it read "the same state after each")
    d = r.first
    assert d is not None and d.state_only and d.a_info["kind"] == "qemu.unbind_pirq"
    assert [p["path"] for p in d.paths] == ["xen.msixtbl.eth0"]
    assert r.a.session.world["xen"]["msixtbl"]["eth0"] == r.b.session.world["xen"]["msixtbl"]["eth0"]
    text = render(r).splitlines()
    assert text[2].startswith("first divergence: qemu") and "    xen_msixtbl_refcount: A inverted, B fixed" in text


def test_a_diff_cut_by_max_events_does_not_claim_the_switch_is_never_reached() -> None:
    """The late and the early msix_mask_all() part at msix_capability_init's mask step; cut at 3
    events neither run has got there, so the text must not say no step depends on the switch."""
    a, b = str(SCN / "xen-hvm-msix-mask-late.yaml"), str(SCN / "xen-hvm-msix-mask-late-early.yaml")
    r = diff_files(a, b, max_events=3)
    assert r.first is None and r.switches["msix_mask_all"] == {"a": "late", "b": "early"}
    assert "  the files differ in (the runs do not part before the event limit):" in render(r).splitlines()
    full = render(diff_files(a, b)).splitlines()
    assert full[2].startswith("first divergence:") and not any("the files differ in (" in x for x in full)
