"""``why`` and ``diff`` over this session's mechanisms: each chain comes from links the mechanism
records (kinds and order asserted), and ``diff`` of a pair that differs in the one switch that
decides the outcome names the step that switch changed.

disable_irq / enable_irq and check_irq_resend (kernel/irq/resend.c), request_irq's replay of an
edge parked on a never-requested irq, Xen's retrigger_dynirq; x2APIC cluster IRTEs
(intel_irq_remapping prepare_irte); AMD-Vi's pre-e52d58d54a32 modify_irte_ga window; QEMU's stale
mask latch before Xen 4.19's Vector Control forwarding; Memory Space off in QEMU's emulated Command;
eoi_pirq's order before ff1e22e7a638; the VECTOR_UNUSED late hit before b7107a67f0d1; CPU hotplug
(select_fallback_rq, stop_machine's rendezvous with a CPU in hardirq, an exception vector).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session
from msidbg.debugger.diff import diff_files
from msidbg.debugger.why import Link

DISABLE = """
name: irq-disable
seed: 1
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1}}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msi, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0, affinity: 1}
  - {at: 200us, on: 0, do: disable_irq, dev: eth0, vector: 0}
  - {at: 300us, do: fire, dev: eth0, vector: 0, count: 3, every: 5us}
  - {at: 400us, on: 0, do: enable_irq, dev: eth0, vector: 0}
"""

NEVER = """
name: never-requested
seed: 1
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msi: {vectors: 1}}
run:
  - {at: 0, do: alloc_vectors, dev: eth0, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: eth0, vector: 0}
  - {at: 200us, on: 0, do: request_irq, dev: eth0, vector: 0}
"""

XEN_RETRIGGER = """
name: xen-retrigger
seed: 1
cpus: 3
costs: {handler: 20us}
platform: {kind: xen-hvm, xen: "4.16"}
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 5us}
  - {at: 2005us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 2012us, on: 0, do: disable_irq_nosync, dev: eth0, vector: 0}
  - {at: 3ms, on: 0, do: enable_irq, dev: eth0, vector: 0}
"""

CLUSTER = """
name: cluster
cpus: 32
platform: {{interrupt_remapping: true{routing}}}
kernel: {{version: "6.6"}}
devices:
  nic0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 1, affinity: 17}}
  - {{at: 2ms, do: fire, dev: nic0, vector: 0, count: 2, every: 3ms}}
"""

AMD = """
name: amdvi-move
cpus: 4
platform: {{interrupt_remapping: true, iommu: amd}}
kernel: {{version: "{kernel}"{extra}}}
devices:
  nic0: {{bdf: "00:03.0", msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 2}}
  - {{at: 90us, do: fire, dev: nic0, vector: 1, count: 300, every: 1us}}
  - {{at: 100us, on: 0, do: set_affinity, dev: nic0, vector: 1, cpu: 3}}
"""

STALE = """
name: stale-latch
cpus: 2
platform: {{kind: xen-hvm, xen: "4.18", xen_hvm_pirqs: false{extra}}}
kernel: {{version: "6.6"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 1, count: 3, every: 10us}}
  - {{at: 3ms, do: free_irq, dev: eth0, vector: 1}}
  - {{at: 4ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}}
  - {{at: 5ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0006, size: 2}}
  - {{at: 6ms, do: fire, dev: eth0, vector: 1, count: 3, every: 10us}}
"""

NULL_IO = """
name: memory-space-off
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 3ms, do: free_irq, dev: eth0, vector: 0}
  - {at: 4ms, do: write, dev: eth0, target: config, offset: 4, value: 0x0004, size: 2}
  - {at: 5ms, do: write, dev: eth0, target: msix-table, offset: 16, value: 0xfee01000}
"""

EOI = """
name: eoi-order
seed: 15
cpus: 2
platform: {{kind: xen-hvm, xen: "4.6"}}
kernel: {{version: "4.5"{extra}}}
schedule: random
timing: {{window: 5us, jitter: 30%}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0, count: 4, every: 10us}}
"""

LATE_HIT = """
name: late-hit
seed: 1
cpus: 4
costs: {{handler: 20us}}
kernel: {{version: "5.2"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 50us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}}
  - {{at: 60us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 1}}
  - {{at: 100us, do: fire, dev: eth0, vector: 0}}
  - {{at: 150us, do: fire, dev: eth0, vector: 1}}
  - {{at: 195us, do: fire, dev: eth0, vector: 1}}
  - {{at: 200us, do: fire, dev: eth0, vector: 0}}
  - {{at: 201us, on: 3, do: free_irq, dev: eth0, vector: 0}}
"""

MIGRATE = """
name: migrate
cpus: 3
kernel: {version: "6.6"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 1, do: probe, dev: nvme0, mode: msix, vectors: 8}
  - {at: 10us, on: 0, do: cpu_offline, cpu: 1}
  - {at: 100us, do: fire, dev: nvme0, vector: 0, count: 3, every: 10us}
"""

LIVELOCK = """
name: offline-waits-for-hardirq
costs: {handler: 1500ns}
cpus: 4
kernel: {version: "5.5"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 50us, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: xhci, vector: 0, count: 1200, every: 1us}
  - {at: 200us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 2}
  - {at: 300us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 3}
  - {at: 400us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 1}
  - {at: 600us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 0}
  - {at: 700us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 1}
  - {at: 900us, on: 0, do: cpu_offline, cpu: 1}
"""

EXCEPTION = """
name: exception-vector
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: 0x10}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 3, every: 100us}
"""


# --- helpers ----------------------------------------------------------------------------------------------
def _file(tmp: Any, text: str, name: str = "s.yaml") -> str:
    path = Path(str(tmp)) / name
    path.write_text(text)
    return str(path)


def _run(tmp: Any, text: str, name: str = "s.yaml") -> Session:
    s = Session.from_scenario(_file(tmp, text, name))
    s.run()
    return s


def _idx(s: Session, kind: str, **fields: Any) -> list[int]:
    return [e.index for e in s.events(1, s.total + 1)
            if e.kind == kind and all((e.cpu if k == "cpu" else e.fields.get(k)) == v for k, v in fields.items())]


def _kinds(chain: list[Link]) -> list[tuple[str, str]]:
    return [(lk.kind, lk.link) for lk in chain]


def _branch(link: Link, path: str) -> list[Link]:
    got = [b for b in link.branches if b and b[0].path == path]
    assert got, f"no branch on {path} at {link.kind} {link.path}: {[b[0].path for b in link.branches]}"
    return got[0]


def _diff(tmp: Any, a: str, b: str) -> Any:
    return diff_files(_file(tmp, a, "a.yaml"), _file(tmp, b, "b.yaml"))


# --- disable_irq / enable_irq, check_irq_resend ---------------------------------------------------------------
def test_the_replayed_handler_run_goes_through_check_irq_resend_to_the_parked_edge(tmp_path: Any) -> None:
    """handler <- its accept <- the IPI <- check_irq_resend in enable_irq's irq_startup (a node, with
    its stack) <- IRQS_PENDING as the disabled irq's edge set it <- that edge's accept <- the device's
    message; the disable_irq is IRQS_PENDING's branch."""
    s = _run(tmp_path, DISABLE)
    why = s.why(_idx(s, "irq.handler")[-1])
    assert _kinds(why.chain)[:7] == [
        ("irq.handler", "event"), ("apic.accept", "accept"), ("irq.resend", "irr.ipi"), ("irq.resend", "kernel"),
        ("irq.pending", "kernel"), ("apic.accept", "accept"), ("msi.msg", "irr.set")]
    resend, edge = why.chain[3], why.chain[4]
    assert (resend.path, resend.value, resend.stack[0]) == ("irqs[24].pending", 0, "irq_startup+started")
    assert "check_irq_resend" in resend.reason and "apic_retrigger_irq" in resend.reason
    assert edge.value == 1 and edge.event == _idx(s, "irq.pending")[-1]
    assert [b[0].stack[0] for b in edge.branches if b[0].path == "irqs[24].disabled"] == ["driver_disable_irq+disable"]


def test_an_edge_on_a_never_requested_irq_is_replayed_by_request_irq(tmp_path: Any) -> None:
    """The edge finds the irq shut down (no action): IRQS_PENDING, and the reason says so (it said
    'disabled'); request_irq's irq_startup replays it."""
    s = _run(tmp_path, NEVER)
    why = s.why(_idx(s, "irq.handler")[-1])
    assert _kinds(why.chain) == [
        ("irq.handler", "event"), ("apic.accept", "accept"), ("irq.resend", "irr.ipi"), ("irq.resend", "kernel"),
        ("irq.pending", "kernel"), ("apic.accept", "accept"), ("msi.msg", "irr.set"), ("cfg.write", "msi.reg"),
        ("action.start", "action.start")]
    resend = why.chain[3]
    assert resend.stack[0] == "irq_startup+started"
    assert any(f.startswith("request_irq+") for f in resend.stack), resend.stack
    assert "shut down (no action" in why.chain[4].reason


def test_xen_retrigger_dynirq_sets_the_port_pending_for_the_parked_event(tmp_path: Any) -> None:
    """Xen pirq: the replay is retrigger_dynirq's set_evtchn and the unmask that signals the upcall
    (irq_startup's step), then the IRQS_PENDING the rebound port's event left to the loop."""
    s = _run(tmp_path, XEN_RETRIGGER)
    why = s.why(_idx(s, "irq.handler")[-1])
    assert _kinds(why.chain)[:6] == [
        ("irq.handler", "event"), ("apic.accept", "accept"), ("xen.kick", "irr.upcall"), ("irq.resend", "guest"),
        ("irq.resend", "guest"), ("evtchn.clear", "kernel")]
    assert [lk.path for lk in why.chain[3:6]] == ["xen.ports[1]", "xen.ports[1].pending", "irqs[24].pending"]
    assert [lk.stack[0] for lk in why.chain[3:5]] == ["irq_startup+started"] * 2
    assert "retrigger_dynirq" in why.chain[4].reason and "unmasks event channel 1" in why.chain[3].reason


# --- x2APIC cluster under remapping --------------------------------------------------------------------
def test_a_cluster_delivery_links_the_irte_that_names_the_logical_id_and_the_vector_assignment(tmp_path: Any) -> None:
    s = _run(tmp_path, CLUSTER.format(routing=""))
    why = s.why(_idx(s, "irq.handler")[-1])
    assert _kinds(why.chain)[:3] == [("irq.handler", "event"), ("apic.accept", "accept"), ("msi.msg", "irr.set")]
    # the entry's registers hold the remappable message activation wrote first (the probe's later
    # rewrite of the same values did not produce it): the IRTE, written after it, is the default link
    irte = why.chain[3:]
    assert irte[0].path == "iommu.irte[0]"
    assert _kinds(irte)[:2] == [("iommu.irte", "irte"), ("vector.assign", "irq.vector")]
    assert "logical x2APIC id 0x10002 (CPU17)" in irte[0].reason
    assert irte[0].stack[0] == "intel_irq_remapping_activate+irte_present"
    assert irte[1].path == "irqs[24].vector" and "CPU17" in irte[1].reason


def test_diff_of_physical_and_cluster_x2apic_parts_at_the_irte_write(tmp_path: Any) -> None:
    """The two runs' events are the same (the IRTE event names the CPU, not the id): the entry's
    content differs, which diff finds in the steps' provenance (it reported no divergence)."""
    r = _diff(tmp_path, CLUSTER.format(routing=', apic_routing: "physical x2apic"'), CLUSTER.format(routing=""))
    assert r.first is not None
    assert (r.first.a_info["kind"], r.first.b_info["kind"]) == ("iommu.irte", "iommu.irte")
    assert r.first.a_info["stack"][0] == "intel_irq_remapping_activate+irte_present"
    assert r.first.switches["platform.apic"] == {"a": "x2apic", "b": "x2apic-cluster"}


# --- AMD-Vi before e52d58d54a32 ---------------------------------------------------------------------------
def test_the_io_page_fault_loss_reaches_the_cleared_entry_and_the_move(tmp_path: Any) -> None:
    """loss <- the entry with RemapEn cleared (modify_irte_ga's first store) <- the new vector
    assignment of the set_affinity it is part of <- that action; the message is a branch."""
    s = _run(tmp_path, AMD.format(kernel="5.4", extra=""))
    (lost,) = [h for h in s.hits() if h.name == "irq-lost"]
    why = s.why(lost)
    assert _kinds(why.chain) == [("msi.msg", "lost"), ("iommu.irte", "irte"), ("vector.assign", "irq.vector"),
                                 ("action.start", "action.start")]
    irte, move, action = why.chain[1:]
    assert (irte.path, irte.value, irte.stack[0]) == ("iommu.tables.nic0[1]", 0, "amd_modify_irte_ga+store")
    assert "RemapEn cleared" in irte.reason and "amd_irte_cmpxchg false" in irte.reason
    assert move.path == "irqs[25].vector" and "CPU3" in move.reason
    assert action.value == "action 2 (set_affinity nic0)"
    assert any(b[0].path == "devices.nic0.msix.table[1].data" for b in why.chain[0].branches)


def test_diff_with_cmpxchg_names_the_non_atomic_irte_update(tmp_path: Any) -> None:
    r = _diff(tmp_path, AMD.format(kernel="5.4", extra=""), AMD.format(kernel="5.4", extra=", amd_irte_cmpxchg: true"))
    assert r.first is not None and r.first.switches == {"amd_irte_cmpxchg": {"a": False, "b": True}}
    assert r.first.a_info["stack"][0] == r.first.b_info["stack"][0] == "amd_modify_irte_ga+store"
    assert (r.first.a_info["fields"]["target"], r.first.b_info["fields"]["target"]) == (-1, 1)
    assert not r.same_outcome


def test_diff_of_54_and_66_parts_at_the_first_switch_that_differs(tmp_path: Any) -> None:
    """(Regression pin, as main.) The versions differ in many switches; the first step that differs
    is msix_capability_init's control write (msix_enable_first), long before the move."""
    r = _diff(tmp_path, AMD.format(kernel="5.4", extra=""), AMD.format(kernel="6.6", extra=""))
    assert r.first is not None and r.first.a_info["stack"][0] == "msix_capability_init+ctrl_enable"
    assert "amd_irte_cmpxchg" in r.first.switches


# --- Xen 4.19 forwarding, QEMU's stale latch, Memory Space, eoi order --------------------------------------
def test_the_stale_latch_unmask_is_the_injections_binding(tmp_path: Any) -> None:
    """The signal to the freed vector: Xen's vMSI injection links the binding that gave it the guest
    vector -- the re-bind at the Memory Space toggle, whose unmask came from QEMU's latched Vector
    Control, still request_irq's 0 (free_irq's mask went to Xen only)."""
    s = _run(tmp_path, STALE.format(extra=""))
    why = s.why(_idx(s, "irq.unhandled")[0])
    assert _kinds(why.chain)[:4] == [("irq.unhandled", "lost"), ("apic.accept", "accept"), ("xen.pirq", "irr.vmsi"),
                                     ("msi.msg", "xen")]
    # (xenhost) the binding is also the last writer of the device's message -- pirq_guest_bind's
    # set_msi_affinity rewrites it -- so the main chain goes on through it to the action; the branch
    # (the binding's own record) stops where it meets the main chain
    assert _kinds(why.chain)[4:7] == [("qemu.bind_pirq", "xen"), ("ioreq.cfg_write", "guest"),
                                      ("action.start", "action.start")]
    bind = _branch(why.chain[2], "xen.pirqs[100].bound")
    assert _kinds(bind)[:2] == [("qemu.bind_pirq", "xen"), ("ioreq.cfg_write", "guest")]
    assert bind[0].event == why.chain[4].event
    assert "XEN_DOMCTL_VMSI_X86_UNMASKED" in bind[0].reason and bind[0].stack[0] == "xen_pt_msix_update_one+bind"
    assert bind[0].time_ns > 5_000_000 and why.chain[6].value == "action 4 (write eth0)"    # Memory Space on again
    latch = _branch(bind[0], "qemu.devs.eth0.msix.entries[1].latch[3]")
    assert latch[0].value == 0 and latch[0].time_ns < 3_000_000       # latched before free_irq's mask


def test_diff_with_vector_control_forwarding_parts_at_the_guest_write_xen_now_forwards(tmp_path: Any) -> None:
    """The first Vector Control write Xen handles (msix_mask_all, late): from 4.19 the same step
    also queues it to QEMU -- a trapped access the provenance records. (main named QEMU's latch of
    it, a step later in another context.)"""
    r = _diff(tmp_path, STALE.format(extra=""), STALE.format(extra=", xen_dm_msix_all_writes: true"))
    assert r.first is not None and r.first.context == "cpu0.proc"
    assert r.first.a_info["kind"] == r.first.b_info["kind"] == "msix.write"
    assert r.first.a_info["stack"][0] == "msix_capability_init+mask_late"
    assert "qemu.queue" in [p["path"] for p in r.first.paths]
    assert r.first.switches == {"xen_dm_msix_all_writes": {"a": False, "b": True}}


def test_a_table_write_dropped_with_memory_space_off_links_qemus_emulated_command(tmp_path: Any) -> None:
    s = _run(tmp_path, NULL_IO)
    why = s.why(_idx(s, "xen.null_io")[0])
    assert _kinds(why.chain) == [("xen.null_io", "dm.unclaimed"), ("qemu.cfg_write", "qemu"),
                                 ("ioreq.cfg_write", "guest"), ("action.start", "action.start")]
    assert why.chain[0].path == "qemu.devs.eth0.msix.entries[1].latch[0]"
    assert "Xen's null handler" in why.chain[0].reason
    assert (why.chain[1].path, why.chain[1].value) == ("qemu.devs.eth0.cmd", 4)
    assert "Memory Space off" in why.chain[1].reason
    assert why.chain[3].value == "action 2 (write eth0)"


def test_the_double_handler_run_before_ff1e22e7_reaches_the_unmask_before_the_clear(tmp_path: Any) -> None:
    """handler (no signal) <- the loop's rerun <- IRQS_PENDING set by vCPU1's upcall <- its accept <-
    the kick (xen.kick: vCPU1's VM entry after vcpu_kick) <- irq_move_irq's unmask of the still-pending port
    (before clear_evtchn)."""
    # the ordered schedule: the kick reaches vCPU1 costs.hypercall + costs.ipi after the EVTCHNOP_unmask, after
    # vCPU0's clear_evtchn (xen29, reading xen.evtchn.remote-kick): no double run. A random schedule within a
    # 1 us window can put the kick first (the latency race ff1e22e7a638 describes): seed 7 does (seed 5 did before
    # intx36: the probe's trapped pci_intx_for_msi read and write are more random-scheduled steps, so seed 5's draws
    # fall elsewhere and its run orders the kick after the clear; seeds 7, 9, 31 race, to the same chain)
    ordered = EOI.format(extra="").replace("schedule: random\n", "").replace("timing: {window: 5us, jitter: 30%}\n", "")
    s = _run(tmp_path, ordered)
    assert [e for e in s.events(1, s.total + 1) if e.kind == "irq.handler" and e.fields["signals"] == 0] == []
    raced = EOI.format(extra="").replace("seed: 15", "seed: 7").replace("window: 5us", "window: 1us")
    s = _run(tmp_path, raced)
    empty = [e.index for e in s.events(1, s.total + 1) if e.kind == "irq.handler" and e.fields["signals"] == 0]
    assert empty, "the raced run runs the action for an event already handled"
    why = s.why(empty[0])
    assert _kinds(why.chain)[:7] == [
        ("irq.handler", "event"), ("evtchn.mask", "kernel"), ("kernel", "kernel"), ("apic.accept", "accept"),
        ("xen.kick", "irr.upcall"), ("xen.hypercall", "guest"), ("xen.pirq", "xen")]
    assert [lk.stack[0] if lk.stack else None for lk in why.chain[1:3]] == ["xen_handle_edge_irq+rerun",
                                                                           "xen_handle_edge_irq+ack"]
    assert why.chain[1].cpu == 0 and why.chain[2].cpu == 1
    assert why.chain[5].stack[0] == "irq_move_irq+unmask_after" and why.chain[5].path == "xen.ports[1]"


def test_diff_of_the_eoi_order_parts_at_eoi_pirqs_first_step(tmp_path: Any) -> None:
    """Both orders mask the port first -- a (before ff1e22e7a638) in irq_move_irq, b in eoi_pirq's own
    test_and_set_mask (the same evtchn.mask event). That is where they part (diffheld22): a's mask is
    irq_move_irq's (the desc masked, the move taken), b's leaves the desc unmasked and the move pending. The
    diff used to compare events only and parted at the next step: a's rebind (EVTCHNOP_bind_vcpu inside the
    move) against b's clear_evtchn (xenev2)."""
    r = _diff(tmp_path, EOI.format(extra=""), EOI.format(extra=", xen_eoi_clear_first: true"))
    assert r.first is not None and r.first.switches == {"xen_eoi_clear_first": {"a": False, "b": True}}
    assert r.first.state_only and (r.first.a_info["kind"], r.first.b_info["kind"]) == ("evtchn.mask", "evtchn.mask")
    assert r.first.a_info["stack"][:2] == ["irq_move_irq+mask_first", "xen_handle_edge_irq+ack"]
    assert r.first.b_info["stack"][0] == "xen_handle_edge_irq+ack"
    assert {p["path"] for p in r.first.paths} >= {"irqs[24].masked", "irqs[24].move_pending"}
    nxt = r.contexts[1]     # the next step of that context: the rebind against clear_evtchn
    assert (r.a.session.event(nxt.a).kind, r.b.session.event(nxt.b).kind) == ("xen.hypercall", "evtchn.clear")


# --- vector_shutdown_slot --------------------------------------------------------------------------------
def test_the_late_hit_before_b7107a67f0d1_reaches_free_irqs_slot_and_the_signal_in_flight(tmp_path: Any) -> None:
    s = _run(tmp_path, LATE_HIT.format(extra=""))
    why = s.why(_idx(s, "irq.unhandled")[0])
    assert _kinds(why.chain) == [("irq.unhandled", "lost"), ("apic.accept", "accept"), ("vector.free", "vector_irq"),
                                 ("action.start", "action.start")]
    slot = why.chain[2]
    assert (slot.path, slot.value) == ("cpus[1].vector_irq[0x21]", "UNUSED")
    assert slot.stack[0] == "irq_domain_deactivate_irq+deactivate_vector" and why.chain[3].value == "action 7 (free_irq eth0)"
    in_flight = _branch(why.chain[1], "cpus[1].irr[0x21]")
    assert in_flight[0].kind == "msi.msg" and in_flight[0].time_ns == 200_000


def test_diff_with_the_shutdown_slot_names_the_slot_free_irq_leaves(tmp_path: Any) -> None:
    """Same events up to the late hit (the vector.free event does not show the slot): diff compares
    what the steps recorded and names clear_irq_vector's slot, not the hit it decides."""
    r = _diff(tmp_path, LATE_HIT.format(extra=""), LATE_HIT.format(extra=", vector_shutdown_slot: true"))
    assert r.first is not None and r.first.switches == {"vector_shutdown_slot": {"a": False, "b": True}}
    assert (r.first.a_info["kind"], r.first.b_info["kind"]) == ("vector.free", "vector.free")
    assert r.first.a_info["stack"][0] == "irq_domain_deactivate_irq+deactivate_vector"
    assert {p["path"]: (p["a"], p["b"]) for p in r.first.paths}["cpus[1].vector_irq[0x21]"] == (None, "SHUTDOWN")


# --- CPU hotplug ------------------------------------------------------------------------------------------
def test_a_migrated_tasks_steps_link_select_fallback_rq_and_the_offline(tmp_path: Any) -> None:
    s = _run(tmp_path, MIGRATE)
    first_request = min(i for i in _idx(s, "irq.request") if s.event(i).time_ns > 10_000)
    why = s.why(first_request)
    assert _kinds(why.chain) == [("irq.request", "irq.action"), ("kernel", "kernel"), ("action.start", "action.start")]
    moved = why.chain[1]
    assert (moved.path, moved.stack[0]) == ("actions[0]", "take_cpu_down+migrate_tasks")
    assert "no longer affine to cpu1: moved to CPU0" in moved.reason
    assert why.chain[2].value == "action 1 (cpu_offline)"
    assert _branch(moved, "actions[0]")[0].value == "action 0 (probe nvme0)"


def test_an_offline_that_waited_for_a_cpu_in_hardirq_links_the_rendezvous_and_the_edges(tmp_path: Any) -> None:
    """CPU1 offline <- stop_machine's rendezvous ended (CPU1 left hardirq) <- the edges that kept it
    in handle_edge_irq's loop (the last IRQS_PENDING, CPU2's); the wait begun in cpu_down is a branch."""
    s = _run(tmp_path, LIVELOCK)
    why = s.why(_idx(s, "cpu.offline")[0])
    # (redteam11) CPU1 takes what is still pending when its loop ends before its stopper acks (multi_cpu_stop
    # runs with interrupts on): the last is the vector cleanup IPI CPU2 sent when it found the irq in progress
    # (whyheld12) the cpu.offline flag links take_cpu_down's remove_cpu_from_maps, where CPU1 left cpu_online_mask
    assert _kinds(why.chain)[:6] == [("cpu.offline", "cpu.online"), ("kernel", "cpu.online"), ("kernel", "kernel"),
                                     ("apic.accept", "accept"), ("apic.ipi", "irr.ipi"), ("kernel", "kernel")]
    assert why.chain[1].stack == ["take_cpu_down+cpu_disable"]
    ack, last, ipi, edge = why.chain[2:6]
    assert ack.path == "cpus[0].proc.wait" and "CPU1 left hardirq" in ack.reason
    assert ack.time_ns > 1_299_000
    assert (last.path, last.cpu) == ("cpus[1].isr[0x20]", 1) and (ipi.path, ipi.cpu) == ("cpus[1].irr[0x20]", 2)
    assert (edge.path, edge.value, edge.cpu) == ("irqs[24].pending", 1, 2)
    wait = _branch(ack, "cpus[0].proc.wait")
    assert "waits in MULTI_STOP_PREPARE" in wait[0].reason and wait[0].stack[0] == "cpu_down+check"


def test_an_exception_vector_hit_reaches_the_raw_data_write(tmp_path: Any) -> None:
    """(Regression pin, as main.)"""
    s = _run(tmp_path, EXCEPTION)
    (lost, *_) = [h for h in s.hits() if h.name == "irq-lost"]
    why = s.why(lost)
    assert _kinds(why.chain) == [("kernel", "lost"), ("apic.accept", "accept"), ("msi.msg", "irr.set"),
                                 ("msix.write", "table.write.live"), ("action.start", "action.start")]
    assert why.chain[0].stack[0] == "exception_vector+exception_entry" and why.chain[3].value == 0x10


def test_the_new_records_change_nothing_the_model_does(tmp_path: Any) -> None:
    """Provenance on and off: the same event log and state for the scenarios above."""
    from msidbg.model import new_engine
    from msidbg.scenario import load_scenario
    from msidbg.sim.world import state_hash

    for text in (DISABLE, XEN_RETRIGGER, STALE.format(extra=""), NULL_IO, AMD.format(kernel="5.4", extra=""),
                 MIGRATE, EOI.format(extra="")):
        scn = load_scenario(_file(tmp_path, text))
        a, b = new_engine(scn, prov=True), new_engine(scn, prov=False)
        while a.step():
            pass
        while b.step():
            pass
        assert len(a.log) == len(b.log) and state_hash(a.w) == state_hash(b.w)
        assert len(a.prov) > 0
