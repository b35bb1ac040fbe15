"""Red team 2: vector exhaustion on one CPU -- request_irq's activation failure and a failed
probe's unwinding, as the named kernel code does them."""

from __future__ import annotations

from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

EXHAUST = """
name: exhaust
cpus: 1
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 256}}
  eth1: {bdf: "00:04.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 256}
  - {on: 0, do: probe, dev: eth1, mode: msix, vectors: 4}
  - {at: 5ms, do: fire, dev: eth1, vector: 3}
"""


def test_an_exhausted_cpu_fails_request_irq_and_the_probe_gives_its_vectors_back() -> None:
    """Reservation mode overcommits (reserve_irq_vector_locked ignores irq_matrix_reserve's
    -ENOSPC), so all 256 vectors allocate; the request_irq that finds no free vector fails
    (__setup_irq: ``ret = irq_activate(desc); if (ret) goto out_unlock``; irq_activate returns
    irq_domain_activate_irq's error). The model dropped that error: every request "succeeded"
    without a vector and eth1, probed next, got none either (its signal lost). A failed probe
    releases what it took (devres: devm_request_irq, then pcim_msi_release), so eth1 works."""
    eng = run_to_end(scenario(EXHAUST))
    done = {e.dev: e.fields["result"] for e in events_of(eng, "action.done")}
    assert done == {"eth0": -28, "eth1": 0}
    assigned = [e for e in events_of(eng, "vector.assign") if e.dev == "eth0"]
    requested = [e for e in events_of(eng, "irq.request") if e.dev == "eth0"]
    assert len(requested) == len(assigned) + 1            # the last request found no vector
    assert not [d for d in eng.w["irqs"].values() if d["dev"] == "eth0"]
    assert totals(eng, "eth1") == {"raised": 1, "delivered": 1, "lost": 0, "spurious": 0}
    assert hit_names(eng) == {"probe-failed"}
