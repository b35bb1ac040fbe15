"""Finding 4 (issue 10): activation and affinity, as the real request_irq() path does them.

An affinity stored before request_irq() is where activation places the vector; the affinity hint
plays no part in irq_setup_affinity(); a hint or an smp_affinity write on a running irq is a
deferred, masked move; managed irqs start with their mask applied first. The live rewrite of the
2021 thread needs irq_setup_affinity() to compute a mask without the activation CPU: the default
affinity changed between allocation and request_irq().
"""

from __future__ import annotations

from msidbg.model import hits
from tests.conftest import hit_names, run_to_end, scenario, totals
from tests.mech_helpers import desc_of, engine, evs, finish, is_, until

OLD = "kernel: {affinity_before_startup: false, msix_masked_update: false}"

NIC = """
name: f4
cpus: 2
%s
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}, quirks: [latch-on-unmask]}
run:
%s
"""


def nic(actions: str, kernel: str = OLD):  # type: ignore[no-untyped-def]
    return engine(NIC % (kernel, actions))


def entry_msg(eng, dev: str = "eth0", i: int = 0) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    e = eng.w["devices"][dev]["msix"]["table"][i]
    return e["addr_lo"], e["data"]


def test_stored_affinity_before_request_irq_is_where_activation_puts_the_vector() -> None:
    """irq_set_affinity() on an irq not activated yet only stores the mask
    (irq_set_affinity_deactivated); activation assigns inside it; startup has nothing to move."""
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0, affinity: 0}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}""")
    e = until(eng, is_("irq.affinity", "eth0"))
    assert e.fields["how"] == "stored" and e.fields["target"] == 0
    finish(eng)
    assert [(a.fields["vector"], a.fields["target"]) for a in evs(eng, "vector.assign", "eth0")] == [(0x21, 0)]
    d = desc_of(eng, "eth0")
    assert (d["cpu"], d["move_in_progress"], d["affinity"]) == (0, False, [0])
    # the old order still rewrites the entry after the unmask, but with the message it holds
    assert eng.w["devices"]["eth0"]["msix"]["latched"][0][::2] == list(entry_msg(eng))
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_before_baedb87d1b53_a_stored_affinity_is_a_pending_move_applied_masked() -> None:
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0, affinity: 0}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}""",
              "kernel: {affinity_before_startup: false, msix_masked_update: false, affinity_on_activate: false}")
    e = until(eng, is_("irq.affinity", "eth0"))
    assert e.fields["how"] == "pending"
    finish(eng)
    # activated on CPU1 (default affinity), moved to CPU0 at the first interrupt, masked
    assert [(a.fields["vector"], a.fields["target"]) for a in evs(eng, "vector.assign", "eth0")] == [(0x21, 1), (0x21, 0)]
    assert totals(eng, "eth0")["lost"] == 0


def test_setup_affinity_ignores_the_hint_and_the_hint_moves_later_masked() -> None:
    """irq_setup_affinity() never reads affinity_hint; irq_set_affinity_hint() after request_irq()
    sets the affinity like /proc/irq/N/smp_affinity: pending, applied at the next interrupt with
    the entry masked -- no write to a live entry."""
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0, hint: 0}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}""",
              "kernel: {affinity_before_startup: true}")
    finish(eng)
    d = desc_of(eng, "eth0")
    assert d["hint"] == [0]
    how = [e.fields["how"] for e in evs(eng, "irq.affinity", "eth0")]
    assert how == ["pending"]
    assert [(a.fields["vector"], a.fields["target"]) for a in evs(eng, "vector.assign", "eth0")] == [(0x21, 1), (0x21, 0)]
    assert hits.MSIX_WRITE_UNMASKED not in hit_names(eng)
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


def test_default_affinity_changed_after_allocation_moves_a_live_entry_before_5_14() -> None:
    """The real path of the 2021 bug: activation uses the affinity copied at allocation,
    irq_setup_affinity() the new irq_default_affinity; before 826da771291f the move is written
    after the unmask, and the latching NIC keeps the old message."""
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: default_affinity, cpus: [0]}
  - {at: 200us, do: request_irq, dev: eth0, vector: 0}""")
    finish(eng)
    assert [(a.fields["vector"], a.fields["target"]) for a in evs(eng, "vector.assign", "eth0")] == [(0x21, 1), (0x21, 0)]
    assert hits.MSIX_WRITE_UNMASKED in hit_names(eng)
    latched = eng.w["devices"]["eth0"]["msix"]["latched"][0]
    assert (latched[0], latched[2]) == (0xFEE01000, 0x21) and entry_msg(eng) == (0xFEE00000, 0x21)


def test_the_same_default_change_is_safe_with_affinity_before_startup() -> None:
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: default_affinity, cpus: [0]}
  - {at: 200us, do: request_irq, dev: eth0, vector: 0}""", "kernel: {affinity_before_startup: true, msix_masked_update: false}")
    finish(eng)
    assert hits.MSIX_WRITE_UNMASKED not in hit_names(eng)
    latched = eng.w["devices"]["eth0"]["msix"]["latched"][0]
    assert (latched[0], latched[2]) == (0xFEE00000, 0x21)


def test_irqbalance_smp_affinity_write_is_a_masked_move() -> None:
    eng = nic("""  - {at: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, do: request_irq, dev: eth0, vector: 0}
  - {at: 500us, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 10us}""", "kernel: {affinity_before_startup: true}")
    finish(eng)
    assert hits.MSIX_WRITE_UNMASKED not in hit_names(eng)
    assert totals(eng, "eth0")["lost"] == 0 and desc_of(eng, "eth0")["cpu"] == 0


def test_irq_default_affinity_also_shapes_activation_of_irqs_allocated_after_the_change() -> None:
    eng = nic("""  - {at: 0, do: default_affinity, cpus: [0]}
  - {at: 100us, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}
  - {at: 200us, do: request_irq, dev: eth0, vector: 0}""")
    finish(eng)
    assert [(a.fields["vector"], a.fields["target"]) for a in evs(eng, "vector.assign", "eth0")] == [(0x21, 0)]
    assert desc_of(eng, "eth0")["affinity"] == [0]


def test_the_shipped_2021_scenario_comes_from_the_default_affinity_path() -> None:
    eng = run_to_end(scenario(open("scenarios/msix-write-while-unmasked.yaml").read()))
    assert [e.fields["how"] for e in evs(eng, "irq.affinity")] == []     # nobody set an affinity
    kinds = [e.fields["what"] for e in evs(eng, "kernel") if e.fields["prog"] == "write_default_affinity"]
    assert kinds == ["irq_default_affinity = {0}"]
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 10, "lost": 20, "spurious": 10}
