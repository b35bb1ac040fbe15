"""kernfid: an affinity request keeps the mask its caller gave (irq_set_affinity_locked /
irq_copy_pending / irq_set_affinity_pending), offline CPUs included; where an online CPU is
required is irq_do_set_affinity from 33de0aa4bae9 (``affinity_online_filter``, 5.18), the vector
domain's own search before it."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario, totals

OFFLINE_HINT = """
name: offline-hint
cpus: 4
kernel: {{version: "{kernel}"}}
platform: {{kind: bare-metal, interrupt_remapping: {remap}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: cpu_offline, cpu: 3}}
  - {{do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}}
  - {{do: request_irq, dev: eth0, vector: 0, {extra}hint: 3}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}}
"""


def desc(eng: object) -> dict:
    w = eng.w  # type: ignore[attr-defined]
    return w["irqs"][w["kernel"]["pci"]["eth0"]["descs"][0]["irq"]]


def test_an_offline_only_mask_replaces_a_pending_move_which_the_next_interrupt_drops() -> None:
    """5.4, no remapping: the driver's irq_set_affinity({2}) before request_irq is a pending move
    (before baedb87d1b53), still pending when irq_set_affinity_hint({3}) comes with CPU3 offline.
    irq_set_affinity_locked copies {3} over the pending mask and returns 0; irq_move_masked_irq
    finds no online CPU in it and clears it: the irq stays on CPU1. The model used to refuse {3}
    with -EINVAL up front, keep {2} pending and move the irq to CPU2 at its first interrupt."""
    eng = run_to_end(scenario(OFFLINE_HINT.format(kernel="5.4", remap="false", extra="affinity: 2, ")))
    assert [(e.fields["target"], e.fields["how"]) for e in events_of(eng, "irq.affinity")] == [
        (2, "pending"), (3, "pending")]
    d = desc(eng)
    assert (d["cpu"], d["move_pending"], d["pending_mask"]) == (1, False, [])
    assert [e.fields["target"] for e in events_of(eng, "vector.assign")] == [1]
    dropped = [e for e in events_of(eng, "kernel") if e.fields["prog"] == "irq_move_irq"]
    assert [e.fields["what"] for e in dropped] == ["pending affinity has no online CPU: dropped"]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


@pytest.mark.parametrize(("kernel", "err"), [("5.17", -28), ("5.18", -22)])
def test_an_offline_only_mask_moved_at_once_fails_in_the_vector_domain_then_in_the_core(kernel: str,
                                                                                         err: int) -> None:
    """Interrupt remapping moves at once (irq_try_set_affinity). Before 33de0aa4bae9 the chip got
    {3} and the vector domain found no online CPU in it (irq_matrix_alloc: -ENOSPC); from it
    irq_do_set_affinity refuses the mask itself (-EINVAL). The hint is best effort either way."""
    eng = run_to_end(scenario(OFFLINE_HINT.format(kernel=kernel, remap="true", extra="")))
    fails = [(e.fields["prog"], e.fields["value"]) for e in events_of(eng, "kernel")
             if e.dev == "eth0" and e.fields["value"] < 0]
    prog = "intel_ir_set_affinity" if err == -28 else "irq_do_set_affinity"
    assert fails == [(prog, err)]
    d = desc(eng)
    assert d["cpu"] != 3 and d["hint"] == [3] and not d["move_pending"]
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"  # type: ignore[attr-defined]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


PROC_DIR = """
name: proc-dir
cpus: 4
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {do: set_affinity, dev: eth0, vector: 0, cpu: 2}
  - {do: request_irq, dev: eth0, vector: 0}
  - {at: 1ms, do: set_affinity, dev: eth0, vector: 0, cpu: 3}
  - {at: 2ms, do: free_irq, dev: eth0, vector: 0}
  - {do: set_affinity, dev: eth0, vector: 0, cpu: 1}
  - {do: free_vectors, dev: eth0}
  - {do: set_affinity, dev: eth0, vector: 0, cpu: 1}
"""


def test_proc_irq_smp_affinity_exists_from_request_irq_until_the_descriptor_is_freed() -> None:
    """register_irq_proc() runs at the end of __setup_irq(): before request_irq there is no
    /proc/irq/N/smp_affinity to open (-ENOENT, and nothing moves); free_irq() leaves it (only
    free_desc() removes it), so a write then stores the mask on the shut-down irq."""
    eng = run_to_end(scenario(PROC_DIR))
    done = [(e.fields["do"], e.fields["result"]) for e in events_of(eng, "action.done")]
    assert done == [("set_affinity", -2), ("alloc_vectors", 1), ("set_affinity", -2), ("request_irq", 0),
                    ("set_affinity", 0), ("free_irq", 0), ("set_affinity", 0), ("free_vectors", 0),
                    ("set_affinity", -2)]
    assert [(e.fields["target"], e.fields["how"]) for e in events_of(eng, "irq.affinity")] == [
        (3, "pending"), (1, "stored")]
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"  # type: ignore[attr-defined]


OFFLINE_WRITE = """
name: offline-write
cpus: 4
kernel: {{version: "{kernel}"}}
devices:
  xhci: {{bdf: "00:14.0", kind: xhci, msi: {{vectors: 1, per_vector_mask: false, addr64: true}}}}
run:
  - {{at: 0, do: probe, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 1ms, do: cpu_offline, cpu: 3}}
  - {{at: 2ms, do: default_affinity, cpus: [2]}}
  - {{at: 3ms, do: set_affinity, dev: xhci, vector: 0, cpu: 3}}
  - {{at: 4ms, do: fire, dev: xhci, vector: 0, count: 2, every: 10us}}
"""


@pytest.mark.parametrize(("kernel", "result", "targets"), [("5.5", 0, [1, 2]), ("5.6", -22, [1])])
def test_a_proc_write_without_an_online_cpu_reran_irq_setup_affinity_until_cba6437a1854(
        kernel: str, result: int, targets: list[int]) -> None:
    """Before cba6437a1854 (5.6) the write called irq_select_affinity_usr(): irq_setup_affinity()
    under desc->lock -- here irq_default_affinity {2} -- moved the irq at once from process
    context (no pending move, although the MSI chip cannot move it there safely) and returned the
    count; from it, -EINVAL and nothing moves."""
    eng = run_to_end(scenario(OFFLINE_WRITE.format(kernel=kernel)))
    done = [(e.fields["do"], e.fields["result"]) for e in events_of(eng, "action.done")]
    assert done[-1] == ("set_affinity", result)
    moves = [(e.time_ns < 4_000_000, e.fields["target"]) for e in events_of(eng, "vector.assign")]
    assert [t for _, t in moves] == targets and all(before for before, _ in moves)
    assert not events_of(eng, "irq.affinity")
    assert totals(eng, "xhci") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


HOTPLUG = """
name: hotplug-affinity
cpus: 4
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 2, affinity: [1, 2]}
  - {at: 1ms, on: 0, do: cpu_offline, cpu: 1}
  - {at: 2ms, on: 0, do: cpu_offline, cpu: 2}
  - {at: 3ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
"""


def test_cpu_offline_keeps_the_stored_affinity_until_it_has_no_online_cpu_then_breaks_it() -> None:
    """migrate_one_irq hands irq_do_set_affinity the irq's affinity as it is, and that is what the
    irq keeps as its affinity: CPU1 going leaves {1,2} stored (the model stored {2}). When CPU2
    goes too, nothing of it is online: the affinity becomes cpu_online_mask ('IRQ N: no longer
    affine to CPU2')."""
    eng = run_to_end(scenario(HOTPLUG))
    irqs = [d["irq"] for d in eng.w["kernel"]["pci"]["eth0"]["descs"]]  # type: ignore[attr-defined]
    targets = [(e.fields["irq"], e.fields["target"]) for e in events_of(eng, "vector.assign")]
    assert targets[:3] == [(irqs[0], 1), (irqs[1], 2), (irqs[0], 2)]
    assert [i for i, _ in targets[3:]] == irqs and all(t in (0, 3) for _, t in targets[3:])
    notes = [e.fields["what"] for e in events_of(eng, "kernel") if "affine" in e.fields["what"]]
    assert notes == [f"IRQ {irqs[0]}: no longer affine to CPU2", f"IRQ {irqs[1]}: no longer affine to CPU2"]
    for irq in irqs:
        assert eng.w["irqs"][irq]["affinity"] == [0, 3]  # type: ignore[attr-defined]
    assert totals(eng, "eth0")["delivered"] == 2


def test_a_cpu_offline_that_leaves_an_online_cpu_keeps_the_requested_mask() -> None:
    eng = run_to_end(scenario(HOTPLUG.replace("  - {at: 2ms, on: 0, do: cpu_offline, cpu: 2}\n", "")))
    for d in eng.w["kernel"]["pci"]["eth0"]["descs"]:  # type: ignore[attr-defined]
        irq = eng.w["irqs"][d["irq"]]  # type: ignore[attr-defined]
        assert irq["affinity"] == [1, 2] and irq["cpu"] == 2
    assert not [e for e in events_of(eng, "kernel") if "no longer affine" in e.fields["what"]]


MULTI_MSI = """
name: multi-msi-early
cpus: 4
kernel: {{version: "{kernel}"}}
platform: {{interrupt_remapping: true}}
devices:
  ssd0: {{bdf: "00:05.0", msi: {{vectors: 4, per_vector_mask: false}}}}
run:
  - {{at: 0, on: 0, do: alloc_vectors, dev: ssd0, mode: msi, vectors: 4}}
  - {{at: 100us, do: fire, dev: ssd0, vector: 2}}
  - {{at: 200us, on: 0, do: request_irq, dev: ssd0, vector: 2}}
  - {{at: 300us, do: fire, dev: ssd0, vector: 2}}
"""


@pytest.mark.parametrize(("kernel", "early"), [("5.10", [0]), ("5.11", [0, 1, 2, 3])])
def test_multi_msi_irqs_after_the_first_are_activated_early_from_4c457e8cb75e(kernel: str, early: list[int]) -> None:
    """Before 4c457e8cb75e (5.11) __msi_domain_alloc_irqs activated only desc->irq of a Multi-MSI
    block: the other irqs got their vector and IRTE from request_irq, so a signal of vector 2
    before it found no IRTE (a remapping fault). From 5.11 it reaches the activated vector before
    request_irq: handle_edge_irq finds the irq disabled and without an action (IRQS_PENDING), and
    request_irq's irq_startup(IRQ_RESEND) replays it -- both signals are delivered."""
    eng = run_to_end(scenario(MULTI_MSI.format(kernel=kernel)))
    irte = [(e.time_ns < 100_000, e.fields["index"]) for e in events_of(eng, "iommu.irte")]
    assert [i for before, i in irte if before] == early
    assert [i for before, i in irte if not before] == ([] if len(early) == 4 else [2])
    assigned = [(e.time_ns < 100_000, e.fields["irq"]) for e in events_of(eng, "vector.assign")]
    assert len([a for a in assigned if a[0]]) == len(early) and len(assigned) == len(early) + (len(early) == 1)
    assert totals(eng, "ssd0")["delivered"] == (1 if len(early) == 1 else 2)


def test_a_xen_guest_irq_migrated_off_a_dying_cpu_never_picks_that_cpu() -> None:
    """5.17 (before 33de0aa4bae9 the chip gets the mask unfiltered): migrate_one_irq hands the pirq
    chip the irq's affinity {1,2} as it is; set_affinity_irq's
    select_target_cpu looks only at cpu_online_mask, which the dying CPU1 has already left --
    although CPU1 (eth0's channel) has fewer channels than CPU2 (eth1's and eth2's)."""
    eng = run_to_end(scenario("""
        name: xen-migrate
        cpus: 3
        kernel: {version: "5.17"}
        platform: {kind: xen-hvm, xen_hvm_pirqs: true}
        devices:
          eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 2}}
          eth1: {bdf: "00:04.0", passthrough: true, msix: {table_size: 2}}
          eth2: {bdf: "00:05.0", passthrough: true, msix: {table_size: 2}}
        run:
          - {at: 0, do: probe, dev: eth1, mode: msix, vectors: 1, affinity: 2}
          - {at: 500us, do: probe, dev: eth2, mode: msix, vectors: 1, affinity: 2}
          - {at: 1ms, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: [1, 2]}
          - {at: 3ms, on: 0, do: cpu_offline, cpu: 1}
          - {at: 4ms, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
    """))
    handlers = [e.cpu for e in events_of(eng, "irq.handler") if e.dev == "eth0"]
    assert handlers == [2, 2]
    irq = eng.w["kernel"]["pci"]["eth0"]["descs"][0]["irq"]  # type: ignore[attr-defined]
    assert eng.w["irqs"][irq]["affinity"] == [1, 2]  # type: ignore[attr-defined]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


LATCH_ON_ENABLE = """
name: latch-on-enable
cpus: 9
kernel: {{version: "{kernel}"}}
devices:
  xhci: {{bdf: "00:14.0", kind: xhci, msi: {{vectors: 1, per_vector_mask: false, addr64: true}},
          quirks: [msi-latch-on-enable]}}
run:
  - {{at: 0, do: probe, dev: xhci, mode: msi, vectors: 1}}
  - {{at: 1ms, do: fire, dev: xhci, vector: 0, count: 2, every: 10us}}
"""


@pytest.mark.parametrize(("kernel", "delivered"), [("4.6", 0), ("4.7", 0), ("4.7.3", 2), ("4.8", 2)])
def test_before_f3b0946d629c_msi_is_enabled_before_its_message_is_written_latch(kernel: str, delivered: int) -> None:
    """Before f3b0946d629c PCI/MSI irqs were activated -- their message written -- by irq_startup
    only, after msi_capability_init had enabled MSI: a device that latches the message on enable
    (Bharat Kumar Gogada's report in its message) keeps sending the all-zero message. f3b0946d629c
    is 4.8 with a 4.7.3 backport (auditkern2), so 4.7 itself still latches the zero message."""
    eng = run_to_end(scenario(LATCH_ON_ENABLE.format(kernel=kernel)))     # 9 CPUs: physflat before 4.15
    writes = [(e.fields["offset"], e.fields["value"]) for e in events_of(eng, "cfg.write")]
    enable = next(i for i, (off, val) in enumerate(writes) if off == 0x52 and val & 1)   # MSI Enable
    data = next(i for i, (off, _) in enumerate(writes) if off == 0x5C)                  # Message Data
    assert (data < enable) == (delivered > 0)
    assert totals(eng, "xhci")["delivered"] == delivered
    latched = eng.w["devices"]["xhci"]["msi"]["latched"]
    assert (latched == [0, 0, 0]) == (not delivered) and latched[0] in (0, *[0xFEE00000 | c << 12 for c in range(9)])
