"""Red-team round 4: affinity requests that meet a deferred move under way."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario

RACE = """
name: move-race
cpus: 10
# the old CPU's handle_edge_irq loop must end for its cleanup IPI to run: each edge that meets the
# action in progress costs an iteration (the action, the new CPU's mask_ack_irq under desc->lock, the
# unmask), so the stream leaves room for it (with 1.5us every 1us the loop never ends: -EBUSY forever)
costs: {handler: 500ns}
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: fire, dev: eth0, vector: 0, count: 200, every: 2us}
  - {at: 150us, on: 9, do: set_affinity, dev: eth0, vector: 0, cpu: 3}
  - {at: 151us, on: 9, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
"""


@pytest.mark.parametrize("version", ["4.14", "5.10"])
def test_a_request_made_while_a_move_runs_is_kept(version: str) -> None:
    """The second write lands while irq_move_irq applies the first (it masks the entry, writes the
    message, unmasks: several steps). In the kernel all of that runs under desc->lock, so the second
    irq_set_affinity waits and records its pending move afterwards; the move to CPU3 must not erase
    it. apic_ack_edge calls irq_move_irq once, so the request waits for the next interrupt (on CPU3,
    whose ack sends the first move's cleanup IPI and then applies it); here the old CPU has run that
    cleanup by then and the irq ends on CPU5 in both releases. (Before redteam8 the model retried
    the request inside the same ack, got the vector domain's -EBUSY, and 4.14 dropped it there;
    move_busy_rearm's release boundary is tests/test_legacy_vectors.py's.) Before the redteam4 fix
    the model erased the request itself ("pending affinity has no online CPU")."""
    eng = run_to_end(scenario(RACE.replace("VERSION", version)))
    notes = [e.fields.get("what", "") for e in events_of(eng, "kernel")]
    assert not any("no online CPU" in n for n in notes)
    assert [e.fields["target"] for e in events_of(eng, "vector.assign")][-2:] == [3, 5]
    irq = next(d for d in eng.w["irqs"].values() if d and d.get("dev") == "eth0")
    assert irq["cpu"] == 5 and not irq["move_pending"]


SELECT = """
name: select-busy
cpus: 12
kernel: {version: "VERSION"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 50us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 4}
  - {at: 60us, do: fire, dev: xhci, vector: 0}
  - {at: 100us, on: 0, do: cpu_offline, cpu: 7}
  - {at: 3100us, on: 0, do: set_affinity, dev: xhci, vector: 0, cpu: 7}
"""


@pytest.mark.parametrize(("version", "result"), [("4.12", 0), ("4.14", -22), ("5.5", 0)])
def test_an_offline_mask_write_fails_when_irq_setup_affinity_does(version: str, result: int) -> None:
    """echo <offline CPU7> > smp_affinity before cba6437a1854 (5.6): irq_select_affinity_usr()
    re-runs the affinity setup ({4}, the stored affinity). On the legacy allocator the irq's move to
    CPU4 is still under way (no interrupt on the new vector yet), so the vector domain says -EBUSY
    even though the irq is already on CPU4 (checked before "already there"). 4.13's
    irq_setup_affinity() returns that and the write fails with -EINVAL; 4.12's setup_affinity()
    returned 0, so the write succeeded. 5.5's matrix finds the irq already on CPU4 and succeeds."""
    eng = run_to_end(scenario(SELECT.replace("VERSION", version)))
    done = [e for e in events_of(eng, "action.done") if e.fields.get("action") == 4]
    assert len(done) == 1 and done[0].fields["result"] == result
