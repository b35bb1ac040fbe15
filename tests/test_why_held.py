"""``why`` on held-out scenarios (issue 13's reviewer clause): chains come from the mechanism on
topologies and versions the shipped scenarios do not have.

Each test pins a gap found by running ``why`` / ``diff`` on such scenarios and checking the chain
against the mechanism: a failed probe whose chain stopped at devres' cleanup instead of the step
that returned the error; an ISR bit cleared by EOI explained by the accept that set it; IPIs
(the move cleanup, the 2020 plug's retrigger) that set an IRR bit without a record; a message
register rewritten with the value it already held, followed instead of the write that set it.
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import events, first_hit, one


def _run(tmp: Path, text: str, name: str = "s.yaml") -> Session:
    p = tmp / name
    p.write_text(text)
    s = Session.from_scenario(str(p))
    s.run()
    return s


# --- a failed probe: the step that returned the error --------------------------------------------------
ENOSPC = """
name: enospc
cpus: 1
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 128}}
  eth1: {bdf: "00:08.0", kind: nic, msix: {table_size: 64}}
  eth2: {bdf: "00:09.0", kind: nic, msix: {table_size: 64}}
run:
  # (fidvec2) 75: from 4.15 CPU0 has 202 free vectors (only the timer's ISA vector is kept)
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 75}
  - {on: 0, do: probe, dev: eth1, mode: msix, vectors: 64}
  - {on: 0, do: probe, dev: eth2, mode: msix, vectors: 64}
breakpoints: [probe-failed]
"""

FAULT = """
name: ebusy
cpus: 2
kernel: {version: "5.4"}
faults: [{call: pci_msi_setup_msi_irqs, dev: eth0, errno: EBUSY, times: 1}]
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}, msi: {vectors: 1}}
run:
  - {at: 0, on: 1, do: probe, dev: eth0, mode: msix, vectors: 2}
breakpoints: [probe-failed]
"""


def test_enospc_probe_reaches_the_activation_that_found_no_vector(tmp_path: Path) -> None:
    """One CPU, NICs of 75, 64 and 64 vectors: the third's request_irq activation finds no free vector
    (x86_vector_activate: -ENOSPC) and devres releases what the probe took. The chain went from
    the probe's -28 to its last step, pci_disable_device's Command write, then the action: the
    failing activation was nowhere. It is now the link the result depends on."""
    s = _run(tmp_path, ENOSPC)
    hit = first_hit(s, "probe-failed")
    why = s.why(hit)
    origin = one(s, "kernel", what="no vector available", dev="eth2")
    probe = one(s, "action.start", do="probe", dev="eth2")
    assert why.events() == [hit.event, origin, probe]
    assert [lk.link for lk in why.chain] == ["action.done", "kernel", "action.start"]
    err = why.chain[1]
    assert err.path == "actions[2].error" and err.value == -28 and err.relation == "failed with"
    assert err.stack[0] == "irq_domain_activate_irq+assign"
    assert any(f.startswith("request_irq+") for f in err.stack) and err.stack[-1].startswith("driver_probe+")
    assert "-ENOSPC" in err.reason
    # the cleanup that followed is no longer taken for the cause
    assert not any(lk.path == "devices.eth2.cmd" for lk in why.links())


def test_fault_injected_ebusy_probe_reaches_the_fault(tmp_path: Path) -> None:
    """An injected EBUSY in pci_msi_setup_msi_irqs (mode msix: no fallback): the chain reached
    pci_disable_device's write and the action, never the fault that made the probe fail."""
    s = _run(tmp_path, FAULT)
    hit = first_hit(s, "probe-failed")
    why = s.why(hit)
    fault = one(s, "kernel", lambda e: str(e.fields.get("what", "")).startswith("fault injected"))
    assert why.events() == [hit.event, fault]
    assert [lk.link for lk in why.chain] == ["action.done", "fault"]
    assert why.chain[1].path == "kernel.faults[0]" and why.chain[1].value == -16
    assert s.summary()["hits"][0]["cause"] == [hit.event, fault]


# --- an ISR bit an EOI cleared -------------------------------------------------------------------------
SIMPLE = """
name: simple
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
"""


def test_isr_bit_cleared_by_eoi_is_explained_by_the_eoi(tmp_path: Path) -> None:
    """At a cursor after the handler's EOI, cpus[1].isr[v] is 0; why answered with the accept
    (value 1) as if the bit were still in service. The EOI is not recorded on the interrupt path:
    the answer finds it as the bit's last change, and the accept follows as 'in service since'."""
    s = _run(tmp_path, SIMPLE)
    acc = events(s, "apic.accept", cpu=1)[-1]
    eoi = [e for e in events(s, "apic.eoi", cpu=1) if e.index > acc.index][0]
    v = acc.fields["vector"]
    s.seek(s.total)
    why = s.why(f"cpus[1].isr[{v:#x}]")
    assert why.target["value"] in (0, False)
    assert why.events()[:2] == [eoi.index, acc.index]
    head = why.chain[0]
    assert head.link == "eoi" and head.value == 0 and head.path == f"cpus[1].isr[{v:#x}]"
    assert why.chain[1].relation == "in service since"
    # while in service the accept is still the answer
    s.seek(acc.index)
    assert s.why(f"cpus[1].isr[{v:#x}]").events()[0] == acc.index


# --- IPIs that set an IRR bit --------------------------------------------------------------------------
MOVE = """
name: move-cleanup
cpus: 3
costs: {{handler: 20us}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: generic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 1, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 50us, on: 1, do: set_affinity, dev: eth0, vector: 1, cpu: 0}}
  - {{at: 100us, do: fire, dev: eth0, vector: 1, count: 2, every: 50us}}
"""


def test_move_cleanup_ipi_sets_its_irr_bit_with_a_record(tmp_path: Path) -> None:
    """send_cleanup_vector's IPI (IRQ_MOVE_CLEANUP_VECTOR, before 6.6) set the old CPU's IRR bit
    without a record: why on that bit, or on the cleanup's accept, ended at 'the initial state'.
    It now links the IPI, which depends on the vector assignment of the move it completes."""
    s = _run(tmp_path, MOVE.format(kernel="5.15"))
    ipi = one(s, "apic.ipi", vector=0x20)
    target = s.event(ipi).fields["target"]
    acc = [e.index for e in events(s, "apic.accept", cpu=target, vector=0x20) if e.index > ipi][0]
    why = s.why(acc)
    assert why.events()[:2] == [acc, ipi]
    assert [lk.link for lk in why.chain[:2]] == ["accept", "irr.ipi"]
    move = [e.index for e in events(s, "vector.assign", dev="eth0") if e.index < ipi][-1]
    assert move in why.events()
    assert why.chain[-1].event == one(s, "action.start", do="set_affinity")
    assert why.chain[-2].path == "irqs[25].pending_mask"     # the deferred move irq_move_irq applied


PLUG = """
name: plug
seed: 2
costs: {handler: 400ns}
cpus: 8
kernel: {version: "5.6"}
devices:
  ahci: {bdf: "00:1f.2", kind: generic, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 4}
  - {at: 30us, on: 0, do: probe, dev: ahci, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: ahci, vector: 0, count: 700, every: 1us}
  - {at: 200us, on: 0, do: set_affinity, dev: ahci, vector: 0, cpu: 5}
  - {at: 300us, on: 0, do: set_affinity, dev: ahci, vector: 0, cpu: 7}
  - {at: 400us, on: 0, do: set_affinity, dev: ahci, vector: 0, cpu: 6}
  - {at: 500us, on: 0, do: set_affinity, dev: ahci, vector: 0, cpu: 4}
"""


def test_plug_retrigger_ipi_links_the_signal_it_moves(tmp_path: Path) -> None:
    """6f1a4891a592 (5.6): a signal sent on the new vector to the old CPU during the update is
    retriggered on the new CPU by an IPI (msi_set_affinity's irr check). The IPI set the new
    CPU's IRR bit without a record; it now depends on the stranded signal's IRR bit on the old CPU."""
    s = _run(tmp_path, PLUG)
    ipi = [e for e in events(s, "apic.ipi", dev="ahci")][0]
    target, vec = ipi.fields["target"], ipi.fields["vector"]
    s.seek(ipi.index)
    why = s.why(f"cpus[{target}].irr[{vec:#x}]")
    assert why.chain[0].event == ipi.index and why.chain[0].link == "irr.ipi"
    old = why.chain[1]
    assert old.link == "irr.set" and old.path == f"cpus[{ipi.cpu}].irr[{vec:#x}]" and old.dev == "ahci"


# --- a register rewritten with the value it held ----------------------------------------------------
HOTPLUG_TORN = """
name: hotplug-torn
seed: 1
cpus: 3
kernel: {version: "4.9"}
platform: {apic_routing: "physical flat"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 200us, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
  - {at: 400us, on: 1, do: cpu_offline, cpu: 2}
  # (redteam11) every 4us: a 1us stream kept CPU2 in interrupts until it ended (its stopper acks only
  # once no edge is pending), so the move came after the last signal
  - {at: 400us, do: fire, dev: eth0, vector: 0, count: 200, every: 4us}
breakpoints: [irq-spurious]
"""


def test_torn_msi_at_hotplug_follows_the_half_that_changed(tmp_path: Path) -> None:
    """4.9, no remapping, MSI without masking: CPU2 goes offline and migrate_one_irq moves the irq
    to CPU0 with separate address and data writes; a signal between them carries the new address
    and the old vector (no handler on CPU0). The IRR bit's default link was the most recent
    register write, addr_hi -- rewritten with the 0 it already held -- instead of addr_lo, the
    half that changed. A rewrite of the same value is followed back to the write that set it."""
    s = _run(tmp_path, HOTPLUG_TORN)
    hit = first_hit(s, "irq-spurious")
    why = s.why(hit)
    assert [lk.link for lk in why.chain[:4]] == ["lost", "accept", "irr.set", "msi.reg"]
    half = why.chain[3]
    assert half.path == "devices.eth0.msi.addr_lo" and half.value == 0xFEE00000
    assert half.stack[:3] == ["pci_write_msi_msg+addr_lo", "msi_set_affinity+updated", "migrate_one_irq+migrate_unmask"]
    assert why.chain[-1].event == one(s, "action.start", do="cpu_offline")
    # the unchanged address half is the write at probe, a branch (not the migration's rewrite)
    hi = [b[0] for b in why.chain[2].branches if b[0].path == "devices.eth0.msi.addr_hi"]
    assert hi and hi[0].stack[-1].startswith("driver_probe+")


REMAP_MOVE = """
name: remap-move
cpus: 6
platform: {interrupt_remapping: true}
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 4}
"""


def test_slot_the_cleanup_handler_frees_links_its_interrupt(tmp_path: Path) -> None:
    """Under remapping the move is immediate and the cleanup IPI frees the old vector on the old
    CPU in irq_move_cleanup_interrupt's only step. The slot's node is recorded after that step,
    when the handler's frames are gone: it had no call stack and no link (a chain of one). It now
    takes them from the step's frame: the cleanup's accept, the IPI, the move, the action."""
    s = _run(tmp_path, REMAP_MOVE)
    free = one(s, "vector.free", irq=-1)
    why = s.why(free)
    ipi = one(s, "apic.ipi", vector=0x20)
    assert [lk.link for lk in why.chain] == ["vector_irq", "accept", "irr.ipi", "irq.vector", "action.start"]
    assert why.chain[0].value == "UNUSED" and why.chain[0].stack == ["irq_move_cleanup_interrupt+return"]
    assert why.chain[2].event == ipi
    assert why.chain[-1].event == one(s, "action.start", do="set_affinity")


XEN_LATE = """
name: xen-late
seed: 2
cpus: 3
platform: {kind: xen-hvm, xen: "4.5"}
kernel: {version: "5.17"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 2, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 2ms, do: fire, dev: eth0, vector: 1, count: 3, every: 10us}
breakpoints: [irq-lost]
"""


def test_qemu_event_without_a_node_links_the_access_it_serves(tmp_path: Path) -> None:
    """QEMU's emulated Message Control write and its ioreq completion record no value: why on
    them showed the event alone. Like a CPU's step links what its context runs for, QEMU's links
    the guest's trapped access it serves (the vCPU's ioreq), and from there the guest's action."""
    s = _run(tmp_path, XEN_LATE)
    cfg = events(s, "qemu.cfg_write", dev="eth0")[0].index
    why = s.why(cfg)
    assert [lk.link for lk in why.chain] == ["event", "guest", "action.start"]
    assert why.chain[1].path == "cpus[2].ioreq" and why.chain[1].relation == "serving the guest's trapped access"
    done = events(s, "qemu.ioreq_done")[0].index
    chain = s.why(done).chain
    assert [lk.link for lk in chain][:2] == ["event", "guest"] and chain[1].path == "cpus[2].ioreq"
    # and the Xen-HVM late-mask loss still reaches the late msix_mask_all() write through QEMU's bind
    loss = s.why(first_hit(s, "irq-lost"))
    late = [lk for lk in loss.chain if lk.stack[:1] == ["msix_capability_init+mask_late"]]
    assert late and late[0].path == "devices.eth0.msix.table[1].ctrl"


LATCHED = """
name: latched
seed: 3
cpus: 4
kernel: {version: "5.10"}
devices:
  nvme0: {bdf: "00:04.0", kind: nic, msix: {table_size: 16}, quirks: [latch-on-unmask]}
run:
  - {at: 0, on: 2, do: alloc_vectors, dev: nvme0, mode: msix, vectors: 3}
  - {at: 100us, on: 2, do: default_affinity, cpus: [3]}
  - {at: 200us, on: 2, do: request_irq, dev: nvme0, vector: 2}
  - {at: 1ms, do: fire, dev: nvme0, vector: 2, count: 4, every: 10us}
  - {at: 2ms, on: 0, do: cpu_offline, cpu: 1}
  - {at: 4ms, do: fire, dev: nvme0, vector: 2, count: 4, every: 10us}
"""


def test_diff_text_shows_a_vector_slot_as_why_does(tmp_path: Path) -> None:
    """The diff text printed a vector_irq slot as 'cpus[3].vector_irq[33]: A -, B 0x1a' -- the
    vector in decimal, the irq in hex, the reverse of why's 'cpus[3].vector_irq[0x21] := irq 26'."""
    from msidbg.debugger.diff import diff_files, render

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(LATCHED)
    b.write_text(LATCHED.replace('version: "5.10"', 'version: "5.10", affinity_before_startup: true'))
    r = diff_files(str(a), str(b))
    text = render(r)
    raw = [p for p in r.first.paths if ".vector_irq[" in p["path"]] if r.first else []
    assert raw, text
    p = raw[0]
    idx = int(p["path"].rsplit("[", 1)[1].rstrip("]"), 16)
    shown = [ln for ln in text.splitlines() if f".vector_irq[{idx:#x}]:" in ln]
    assert shown, text
    irq = p["b"] if isinstance(p["b"], int) else p["a"]
    assert f"irq {irq}" in shown[0]
    assert p["path"].endswith(f"[{idx:#x}]")     # --json: the form why --path takes (whyfix4; was decimal)


def test_link_values_read_as_their_kind_in_the_text_and_the_why_pane(tmp_path: Path) -> None:
    """The Why pane printed every int above 9 in hex: Xen's host irq 58 as 'xen.pirqs[101] = 0x3a'
    under a reason saying 'host irq 58', a pirq 101 as 0x65. The pane and the CLI text now format
    a link's value by its kind: vectors and register contents in hex, irq and pirq numbers not."""
    from msidbg.debugger.whytext import link_head
    from msidbg.tui.screens.why import line

    s = _run(tmp_path, XEN_LATE)
    links = s.why(first_hit(s, "irq-lost")).links()
    pirq = next(lk for lk in links if lk.link == "xen" and lk.path and lk.path.startswith("xen.pirqs[")
                and not lk.path.endswith(".bound"))
    host = pirq.value
    assert isinstance(host, int) and host > 9 and f"host irq {host}" in pirq.reason
    assert f"{pirq.path} = {host}" in line(0, pirq) and f"{pirq.path} = {host}" in link_head(pirq)
    reg = next(lk for lk in links if lk.link == "table.write")
    assert f"= {reg.value:#x}" in line(0, reg) or reg.value <= 9


def test_pirq_binding_never_made_is_explained_by_the_pirq_entry(tmp_path: Path) -> None:
    """xen.pirqs[p].bound read false right after PHYSDEVOP_get_free_pirq made the pirq's entry, and
    why answered 'still had its initial value' (the entry did not exist at the start). It now
    names the step that made the entry, with its value."""
    s = _run(tmp_path, XEN_LATE)
    alloc = events(s, "xen.hypercall", op="PHYSDEVOP_get_free_pirq")[0]
    pirq = alloc.fields["ret"]
    s.seek(alloc.index + 1)
    why = s.why(f"xen.pirqs[{pirq}].bound")
    assert why.target["value"] is False
    assert why.chain[0].event == alloc.index and why.chain[0].value is False
    assert "since the pirq's entry was made" in why.chain[0].reason
    assert why.chain[-1].link == "action.start"
