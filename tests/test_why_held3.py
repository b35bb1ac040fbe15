"""``why`` on held-out topologies (whyheld3): xen-pv's event callback, the ports' pending bits,
multi-MSI, CPU hotplug of managed irqs. Each test pins one gap found there.

A PV guest's irq had no record of its pirq (its vector answered "initial"); a port's pending bit
that the guest had cleared was answered by Xen's set (value 1 while it read false), a port bound
after the start by "initial"; ``cpus[n].upcall`` at 0 by the last set; a signal beyond the enabled
MSI messages, and one pending in an offlined CPU's IRR, were lost with no link to what decided it;
a guest unmask of a pending port showed the port as 0 (closed).
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import events, first_hit

# eth0's irq 24 moves to vCPU2 (deferred), eth0 vector 0 signals across the move; free_irq closes its port
PV_FIFO = """
name: pv-fifo
seed: 1
cpus: 3
platform: {kind: xen-pv, xen: "4.12"}
kernel: {version: "4.19"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 1, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 4, every: 3us}
  - {at: 1ms, on: 2, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {at: 2ms, on: 0, do: free_irq, dev: eth0, vector: 0}
breakpoints: [irq-lost]
"""

# the 2-level ABI; irq 25 disabled while eth0 vector 1 signals, then enabled (the unmask signals the port)
PV_2L = """
name: pv-2l
seed: 2
cpus: 2
platform: {kind: xen-pv, xen: "4.8"}
kernel: {version: "4.9", xen_fifo_events: false}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, on: 1, do: disable_irq, dev: eth0, vector: 1}
  - {at: 1100us, do: fire, dev: eth0, vector: 1, count: 3, every: 4us}
  - {at: 2ms, on: 1, do: enable_irq, dev: eth0, vector: 1}
  - {at: 3ms, do: fire, dev: eth0, vector: 1, count: 1}
"""

# multi-MSI under VT-d: 4 of 8 messages granted, the device signals message 6
MULTI_MSI = """
name: multi-msi
seed: 1
cpus: 4
platform: {interrupt_remapping: true}
kernel: {version: "6.1"}
devices:
  ahci: {bdf: "00:1f.2", kind: generic, msi: {vectors: 8, per_vector_mask: true, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: ahci, mode: msi, vectors: 4}
  - {at: 100us, do: fire, dev: ahci, vector: 2, count: 3, every: 2us}
  - {at: 500us, do: fire, dev: ahci, vector: 6, count: 1}
breakpoints: [irq-lost]
"""

# a managed nvme irq on CPU2 signals as CPU2 goes offline (stop_machine: it stays in the IRR)
MANAGED_OFFLINE = """
name: managed-offline
seed: 1
cpus: 4
kernel: {version: "5.4"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
  - {at: 1ms, do: fire, dev: nvme0, vector: 3, count: 6, every: 2us}
  - {at: 1004us, on: 0, do: cpu_offline, cpu: 2}
  - {at: 1012050ns, do: fire, dev: nvme0, vector: 3}
breakpoints: [irq-lost]
"""
# (stopmach: the 1004 us signal, pending as the offline starts, is now taken in MULTI_STOP_PREPARE --
# interrupts stay on until multi_cpu_stop's MULTI_STOP_DISABLE_IRQ -- and CPU2 acks at 1012 us once
# the stream is done; the 1012.05 us signal lands in its IRR with interrupts off, before
# take_cpu_down's shutdown masks the entry and frees the vector, and is the one lost)


def _run(tmp: Path, text: str) -> Session:
    p = tmp / "s.yaml"
    p.write_text(text)
    s = Session.from_scenario(str(p))
    s.run()
    return s


def test_pv_pirq_irq_vector_is_explained_by_its_allocation(tmp_path: Path) -> None:
    """On xen-pv, xen_setup_msi_irqs binds each irq to the pirq pciback mapped
    (xen_bind_pirq_msi_to_irq) and recorded nothing: irqs[n].vector / .cpu of a Xen pirq irq
    answered "still had its initial value" though the irq did not exist at the start (the HVM
    path had the record). Now the step that made the irq answers, as on HVM."""
    s = _run(tmp_path, PV_FIFO)
    made = [e for e in events(s, "xen.irq") if e.fields["how"] == "pirq from pciback"]
    assert len(made) == 3
    s.seek(made[-1].index + 1)
    for ev in made:
        irq = ev.fields["irq"]
        for part in ("vector", "cpu"):
            head = s.why(f"irqs[{irq}].{part}").chain[0]
            assert head.link != "initial", (irq, part)
            assert head.event == ev.index and "since the irq was allocated" in head.reason
            assert head.stack[0] == "xen_setup_msi_irqs+pv_next"
        # and the guest's record of the pirq links the map that made it
        why = s.why(f"kernel.xen.irqs[{irq}]")
        assert why.chain[0].event == ev.index and why.chain[0].value == ev.fields["pirq"]
        assert why.chain[1].path == f"xen.pirqs[{ev.fields['pirq']}]"


def test_cleared_port_pending_bit_is_explained_by_the_clear(tmp_path: Path) -> None:
    """The guest's clear_evtchn records nothing (the interrupt path): why xen.ports[n].pending
    where it reads false answered with Xen's send, value 1. Now the clear (the port's evtchn.clear
    event, with the handler's stack) is the first link and the send follows it."""
    s = _run(tmp_path, PV_FIFO)
    clears = events(s, "evtchn.clear", port=1)
    assert clears
    clear = clears[-1]
    s.seek(clear.index)
    why = s.why("xen.ports[1].pending")
    head = why.chain[0]
    assert why.target["value"] is False
    assert head.event == clear.index and head.value is False and "clear_evtchn(1)" in head.reason
    assert head.stack[0] == "xen_handle_edge_irq+ack"
    sends = [e.index for e in events(s, "xen.pirq", port=1) if e.index < clear.index]
    assert why.chain[1].event == sends[-1] and why.chain[1].value == 1
    assert why.chain[1].reason.startswith("pending since: Xen: send_guest_pirq")
    # while it is still pending the send answers, as before
    s.seek(sends[-1])
    assert s.why("xen.ports[1].pending").chain[0].event == sends[-1]


def test_port_bound_after_the_start_is_not_initial(tmp_path: Path) -> None:
    """A port the guest bound during the run whose pending bit never changed answered "still had
    its initial value"; a port closed since was answered by its last send. The bind (or the
    close) now answers."""
    s = _run(tmp_path, PV_FIFO)
    binds = events(s, "xen.hypercall", op="EVTCHNOP_bind_pirq")
    bind3 = next(e for e in binds if e.fields["ret"] == 3)
    why = s.why("xen.ports[3].pending")
    head = why.chain[0]
    assert head.event == bind3.index and head.link == "xen"
    assert "since the event channel was bound" in head.reason and head.value is False
    close = next(e for e in events(s, "xen.hypercall", op="EVTCHNOP_close") if e.fields["arg"] == 1)
    why = s.why("xen.ports[1].pending")
    assert why.chain[0].event == close.index and "since the event channel was closed" in why.chain[0].reason


def test_pv_upcall_flag_cleared_by_the_upcall(tmp_path: Path) -> None:
    """cpus[n].upcall (vcpu_info's evtchn_upcall_pending) at 0 answered with Xen's last set (value
    1). The guest's upcall now records its clear, in its step (xen_evtchn_do_upcall+ack_upcall),
    linked to the callback Xen entered, which links the set."""
    s = _run(tmp_path, PV_2L)
    cb = events(s, "xen.callback", cpu=0)
    assert len(cb) == 2
    s.seek(cb[0].index + 1)     # (the callback is a remote EVTCHNOP_unmask's kick: the upcall finds nothing, xen29)
    assert s.world["cpus"][0]["upcall"] == 0
    why = s.why("cpus[0].upcall")
    head = why.chain[0]
    assert head.value == 0 and head.stack == ["xen_evtchn_do_upcall+ack_upcall"]
    assert head.event > cb[0].index and "evtchn_upcall_pending = 0" in head.reason
    assert why.chain[1].event == cb[0].index and why.chain[1].path == "cpus[0].callback"
    assert why.chain[2].path == "cpus[0].upcall" and why.chain[2].value == 1
    assert "vcpu_mark_events_pending" in why.chain[2].reason


def test_unmask_of_a_pending_port_keeps_the_port_value(tmp_path: Path) -> None:
    """A guest unmask that signals a still-pending port wrote the port's key with value 0, which a
    chain shows as "xen.ports[2] = 0" -- what a close shows. It keeps the port's pirq now."""
    s = _run(tmp_path, PV_2L)
    unmask = events(s, "xen.hypercall", op="EVTCHNOP_unmask")[0]
    s.seek(unmask.index)
    head = s.why("xen.ports[2]").chain[0]
    assert head.event == unmask.index and "unmasks event channel 2 while it is pending" in head.reason
    assert head.value == s.world["xen"]["ports"][2]["pirq"] == 100


def test_msi_message_not_enabled_links_the_control_write(tmp_path: Path) -> None:
    """A multi-MSI function signalling a message beyond Multiple Message Enable loses it; the loss
    was a root of its own. It now links the Message Control write that enabled fewer messages."""
    s = _run(tmp_path, MULTI_MSI)
    hit = first_hit(s, "irq-lost", "ahci")
    why = s.why(hit)
    assert why.chain[0].link == "lost" and "only 4 are enabled" in why.chain[0].reason
    ctrl = why.chain[1]
    assert ctrl.path == "devices.ahci.msi.ctrl" and ctrl.link == "msi.reg"
    assert (ctrl.value >> 4) & 7 == 2 and ctrl.value & 1     # MME 010b (4 messages), MSI Enable
    assert ctrl.stack[0] == "msi_capability_init+msi_enable"
    assert why.chain[-1].link == "action.start"


def test_offline_irr_loss_links_the_bit_and_the_slot(tmp_path: Path) -> None:
    """A signal still in the dying CPU's IRR at its offline (its vector freed by the managed irq's
    shutdown, so fixup_irqs does not retrigger it) was lost with no link but the action. It now
    links the slot that held no irq (the shutdown's free) and, through the accept, the IRR bit the
    message set (dyingdrain: the dying CPU takes it when interrupts come back on)."""
    s = _run(tmp_path, MANAGED_OFFLINE)
    hit = first_hit(s, "irq-lost", "nvme0")
    why = s.why(hit)
    # (dyingdrain) the signal is no longer lost at the offline: CPU2 takes it at MULTI_STOP_EXIT, before
    # do_idle disables interrupts, and common_interrupt swallows a VECTOR_SHUTDOWN slot (EOI, VECTOR_UNUSED)
    assert "marked SHUTDOWN (swallowed)" in why.chain[0].reason and why.chain[0].cpu == 2
    assert why.chain[0].stack == ["common_interrupt+no_handler"]
    dead = [e.index for e in events(s, "kernel") if "do_idle: CPU2 is offline" in str(e)]
    assert len(dead) == 1 and hit.event < dead[0]
    free = events(s, "vector.free", target=2)[-1]
    slot = why.chain[0].branches[0][0]
    assert slot.event == free.index and slot.path == "cpus[2].vector_irq[0x21]" and slot.value == "SHUTDOWN"
    accept = why.chain[1]
    assert accept.link == "accept" and accept.path == "cpus[2].isr[0x21]"
    branch = accept.branches[0]
    assert branch[0].path == "cpus[2].irr[0x21]" and branch[0].link == "irr.set"
    assert branch[0].event == [e.index for e in events(s, "msi.msg", cpu=2) if e.index < free.index][-1]


# legacy allocator (4.14): irq 25's second move is refused -EBUSY in irq_move_irq (the first move's
# cleanup is outstanding); a33a5d2d16cb (move_busy_rearm) keeps it pending, before it it is dropped
BUSY = """
name: busy-{flag}
seed: 1
cpus: 10
kernel: {{version: "4.14", move_busy_rearm: {flag}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 100us, on: 1, do: set_affinity, dev: eth0, vector: 1, cpu: 4}}
  - {{at: 110us, do: fire, dev: eth0, vector: 1}}
  - {{at: 111us, on: 2, do: set_affinity, dev: eth0, vector: 1, cpu: 6}}
  - {{at: 112us, do: fire, dev: eth0, vector: 1}}
  - {{at: 300us, do: fire, dev: eth0, vector: 1, count: 2, every: 5us}}
"""


def test_a_step_without_an_event_records_its_kernel_changes_in_its_own_step(tmp_path: Path) -> None:
    """The kernel diff ran once per event, after the step that emitted it: a change made by an
    earlier step of the same event that emitted nothing -- irq_move_irq's unmask_after re-arming the
    refused move -- took the emitting step's stack (handle_edge_irq's EOI), and ``diff`` of the
    move_busy_rearm pair named the EOI as the step the runs part at. It is diffed in its own step
    now, and the diff names it (the event's own step stays in ``event_stack``)."""
    from msidbg.debugger.diff import diff_files

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(BUSY.format(flag="false"))
    b.write_text(BUSY.format(flag="true"))
    s = Session.from_scenario(str(b))
    s.run()
    refused = next(e for e in events(s, "kernel", prog="msi_domain_set_affinity") if e.fields["value"] == -16)
    rearm = next(lk for e in range(refused.index + 1, s.total + 1) for lk in s.why(e).chain[:1]
                 if lk.path == "irqs[25].pending_mask")
    assert rearm.stack[:2] == ["irq_move_irq+unmask_after", "handle_edge_irq+eoi"]
    assert s.event(rearm.event).kind == "apic.eoi"      # the event the step belongs to
    r = diff_files(str(a), str(b))
    assert r.first is not None and r.first.a == r.first.b == rearm.event
    assert r.first.b_info["stack"][0] == "irq_move_irq+unmask_after"
    assert r.first.b_info["event_stack"][0] == "handle_edge_irq+eoi"
    assert r.first.a_info["stack"][0] == "handle_edge_irq+eoi"       # A recorded nothing there


def test_a_kernel_change_names_the_step_that_made_it_not_the_next(tmp_path: Path) -> None:
    """The diff after an event's last step took the stack as the step left it: the program counter
    already on the next step, the frames it returned from gone. The activation's vector assignment
    (the ``assign`` step, which emits ``vector.assign``) was shown at ``+write``; the offline's
    online flag at ``cpu_offline+done`` (cpu_down returned)."""
    s = _run(tmp_path, MANAGED_OFFLINE)
    assign = events(s, "vector.assign")[0]
    head = s.why(assign.index).chain[0]
    assert head.link == "vector_irq" and head.stack[0] == "irq_domain_activate_irq+assign"
    offline = events(s, "cpu.offline")[0]
    head = s.why("cpus[2].online").chain[0]
    # (whyheld12: the CPU leaves cpu_online_mask in take_cpu_down's __cpu_disable, before the cpu.offline event)
    assert head.event < offline.index and head.value == 0
    assert head.stack == ["take_cpu_down+cpu_disable"]


# legacy 4.9: eth0 vector 1 moved to CPU4, signals as free_irq runs; B is the same file under a seeded
# random schedule (the strategy keeps its counters in the world: w["sched"])
FREE_RACE = """
name: free-race
seed: 1
{schedule}cpus: 10
kernel: {{version: "4.9"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 100us, on: 1, do: set_affinity, dev: eth0, vector: 1, cpu: 4}}
  - {{at: 110us~130us, do: fire, dev: eth0, vector: 1, count: 2, every: 1us}}
  - {{at: 115us~125us, on: 2, do: free_irq, dev: eth0, vector: 1}}
breakpoints: [irq-spurious, irq-lost]
"""


def test_diff_paths_name_apic_vectors_and_leave_out_the_strategy(tmp_path: Path) -> None:
    """``diff``'s state paths showed a local APIC's IRR word (``cpus[0].irr[2]: A 0x20000``), which
    reads as vector 2's bit where why and the expressions say ``cpus[0].irr[0x51]``, and listed
    the random strategy's counters (``sched.seen.eth0``) as state the diverging steps left
    different. The bits that differ are named by vector now; the strategy's state is left out."""
    from msidbg.debugger.diff import diff_files

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(FREE_RACE.format(schedule=""))
    b.write_text(FREE_RACE.format(schedule="schedule: random\n"))
    r = diff_files(str(a), str(b))
    assert r.first is not None and r.first.context == "dev.eth0"
    got = {p["path"]: (p["a"], p["b"]) for p in r.first.paths}
    assert not [p for p in got if p.startswith("sched")]
    assert got["cpus[0].irr[0x51]"] == (1, 0)      # A's message set vector 0x51; B's was held (PBA)
    assert got["devices.eth0.msix.pba[1]"] == (0, 1)
    assert r.as_dict()["first_divergence"]["paths"] == list(got)


def test_a_field_of_an_irq_made_during_the_run_is_explained_by_its_allocation(tmp_path: Path) -> None:
    """irqs[n].pending (or .action, .disabled, .pending_mask) that nothing set answered "still had
    its initial value", though the irq was allocated during the run: its allocation answers now
    (the irq.alloc event; a Xen pirq irq's xen.irq)."""
    s = _run(tmp_path, MULTI_MSI)
    allocs = events(s, "irq.alloc")
    assert allocs
    for ev in allocs:
        irq = ev.fields["irq"]
        head = s.why(f"irqs[{irq}].pending").chain[0]
        assert head.link != "initial" and head.event == ev.index
        assert head.path == f"irqs[{irq}].pending" and head.value is False
        assert f"since irq {irq} was allocated" in head.reason
    pv = _run(tmp_path, PV_FIFO)
    made = [e for e in events(pv, "xen.irq") if e.fields["how"] == "pirq from pciback"]
    head = pv.why(f"irqs[{made[1].fields['irq']}].pending").chain[0]
    assert head.event == made[1].index and "was allocated" in head.reason
