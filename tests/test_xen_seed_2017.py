"""The 2017 pirq re-use bug needs all three: the cached-pirq re-use, QEMU's unmap on disable,
and another controller taking the freed pirq in between. Plus the seed's pirq order."""

import dataclasses

from msidbg.model import hits
from msidbg.model import xen as X
from tests.conftest import (
    comparable,
    events_of,
    hit_names,
    run_to_end,
    scenario,
    shipped,
    totals,
    with_kernel,
    with_platform,
)

BUG = "xen-pirq-reuse-nvme"
NVMES = ("nvme0", "nvme1", "nvme2")


def statuses(eng):
    return {d: eng.w["kernel"]["pci"][d]["status"] for d in eng.w["devices"]}


def all_ok(eng) -> bool:
    return all(s == "ok" for s in statuses(eng).values()) and not hit_names(eng) & {
        hits.PIRQ_CONFLICT, hits.PROBE_FAILED, hits.IRQ_LOST}




def test_reuse_unmap_and_a_grab_in_between_fail_the_late_controllers() -> None:
    eng = run_to_end(shipped(BUG))
    assert statuses(eng) == {"nvme0": "failed: ETIMEDOUT", "nvme1": "ok", "nvme2": "failed: ETIMEDOUT"}
    how = [(e.dev, e.fields["pirq"], e.fields["how"]) for e in events_of(eng, "xen.irq")]
    assert ("nvme0", 101, "re-used the cached pirq") in how
    # nvme1 got 101 after nvme0 freed it, and before nvme0 came back
    grab = next(i for i, h in enumerate(how) if h[0] == "nvme1" and h[1] == 101 and h[2] == "fresh pirq" and i > 2)
    reuse = how.index(("nvme0", 101, "re-used the cached pirq"))
    assert grab < reuse
    conflicts = [h.detail for h in eng.hits if h.name == hits.PIRQ_CONFLICT]
    assert any("pirq 101 for nvme0" in d and "nvme1" in d for d in conflicts)


def test_the_pirq_map_shows_two_guest_irqs_on_one_pirq() -> None:
    from msidbg.model.evtchn import pirq_map

    eng = run_to_end(shipped(BUG))
    m = pirq_map(eng.w)
    bad = {d["pirq"]: d for d in m["disagreements"]}
    assert 101 in bad and len(bad[101]["guest_irqs"]) == 2
    row = next(r for r in m["xen"] if r["pirq"] == 101)
    assert row["dev"] == "nvme1" and row["state"] == "bound" and row["port"]


def test_fixed_twin_always_allocates_and_works() -> None:
    eng = run_to_end(shipped(f"{BUG}-fixed"))
    assert all_ok(eng)
    assert not [e for e in events_of(eng, "xen.irq") if e.fields["how"] == "re-used the cached pirq"]
    for dev in NVMES:
        t = totals(eng, dev)
        assert t["raised"] == t["delivered"] == 3


def test_twins_differ_only_in_the_reuse_switch() -> None:
    bug, fix = shipped(BUG), shipped(f"{BUG}-fixed")
    assert comparable(with_kernel(fix, xen_reuse_cached_pirq=True)) == comparable(bug)


def test_without_reuse_it_works() -> None:
    assert all_ok(run_to_end(with_kernel(shipped(BUG), xen_reuse_cached_pirq=False)))


def test_without_qemus_unmap_it_works() -> None:
    """Before c976437c7dba the freed pirq stays mapped: nobody else can get it."""
    eng = run_to_end(with_platform(shipped(BUG), qemu_unmap_pirq_on_msi_disable=False))
    assert all_ok(eng)
    assert not events_of(eng, "qemu.unmap_pirq")


def test_xen_44_preset_has_no_unmap_and_an_explicit_switch_wins() -> None:
    assert all_ok(run_to_end(with_platform(shipped(BUG), xen="4.4")))
    forced = run_to_end(with_platform(shipped(BUG), xen="4.4", qemu_unmap_pirq_on_msi_disable=True,
                                      xen_pt_bind="on-unmask"))
    assert not all_ok(forced)


SEQUENTIAL = """
name: t
cpus: 2
platform: {kind: xen-hvm, xen: "4.6"}
kernel: {xen_reuse_cached_pirq: true}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 8}}
  nvme1: {bdf: "00:05.0", kind: nvme, passthrough: true, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}
  - {on: 0, do: doorbell, dev: nvme0, vector: 0}
  - {on: 0, do: remove, dev: nvme0}
  - {on: 0, do: probe, dev: nvme0, mode: msix, vectors: 4}
  - {on: 0, do: doorbell, dev: nvme0, vector: 0}
  - {at: %s, on: 1, do: probe, dev: nvme1, mode: msix, vectors: 1}
  - {on: 1, do: doorbell, dev: nvme1, vector: 0}
  - {on: 1, do: remove, dev: nvme1}
  - {on: 1, do: probe, dev: nvme1, mode: msix, vectors: 4}
  - {on: 1, do: doorbell, dev: nvme1, vector: 0}
"""


def test_without_a_grab_in_between_it_works() -> None:
    """nvme1 starts only after nvme0 has re-enabled: no pirq changes hands in between."""
    eng = run_to_end(scenario(SEQUENTIAL % "5ms"))
    assert all_ok(eng)
    reused = [e for e in events_of(eng, "xen.irq") if e.fields["how"] == "re-used the cached pirq"]
    assert not reused


def test_the_same_pair_interleaved_fails() -> None:
    """Same two controllers, nvme1 re-enabling between nvme0's disable and re-enable."""
    text = (SEQUENTIAL % "20us").replace(
        "  - {on: 0, do: probe, dev: nvme0, mode: msix, vectors: 4}",
        "  - {at: 1ms, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 4}")
    eng = run_to_end(scenario(text))
    assert statuses(eng)["nvme0"] == "failed: ETIMEDOUT"
    assert hits.PIRQ_CONFLICT in hit_names(eng)


def test_a_single_controller_reprobing_never_fails() -> None:
    for xen in ("4.4", "4.5", "4.8"):
        scn = with_platform(shipped(BUG), xen=xen)
        scn = dataclasses.replace(scn, devices={"nvme0": scn.devices["nvme0"]},
                                  run=tuple(a for a in scn.run if a.dev == "nvme0"))
        eng = run_to_end(scn)
        assert all_ok(eng), xen
        if xen != "4.4":      # the freed pirq is free again: the fresh allocation returns it
            firsts = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] ==
                      "PHYSDEVOP_get_free_pirq" and e.fields["arg"] == 0]
            assert firsts == [101, 101], xen


def test_old_qemu_leaks_a_pirq_per_reprobe_without_reuse() -> None:
    """Konrad's starvation worry: with the pirq left mapped, each re-enable takes a new one."""
    scn = with_kernel(with_platform(shipped(BUG), xen="4.4"), xen_reuse_cached_pirq=False)
    scn = dataclasses.replace(scn, devices={"nvme0": scn.devices["nvme0"]},
                              run=tuple(a for a in scn.run if a.dev == "nvme0"))
    eng = run_to_end(scn)
    assert all_ok(eng)
    assert X.state(eng.w["xen"]["pirqs"].get(101)) == "mapped"     # leaked by the first enable


# --- the seed's pirq order ------------------------------------------------------------------------
def test_pirqs_are_handed_out_top_down_and_the_freed_high_ones_first() -> None:
    eng = run_to_end(shipped("xen-sriov-pirq-order"))
    got = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    assert got == [101, 100, 99, 98, 97, 96, 101, 100, 99]


def _run_until(eng, pred):
    while eng.step():
        if pred(eng):
            return
    raise AssertionError("condition never met")


def test_pirqs_are_freed_only_when_the_device_is_fully_shut_down() -> None:
    from msidbg.model import new_engine

    eng = new_engine(shipped("xen-sriov-pirq-order"))
    done = lambda e, i: e.w["actions"][i]["state"] == "done"   # noqa: E731
    _run_until(eng, lambda e: done(e, 7))     # nic4's three free_irq: event channels closed
    pirqs = eng.w["xen"]["pirqs"]
    assert [X.state(pirqs.get(p)) for p in (98, 97, 96)] == ["bound"] * 3
    assert all(pirqs[p]["port"] == 0 for p in (98, 97, 96))
    assert X.get_free_pirq(eng.w["xen"]) == 95
    _run_until(eng, lambda e: done(e, 8))     # pci_free_irq_vectors: MSI-X disabled, QEMU unmaps
    assert [X.state(pirqs.get(p)) for p in (98, 97, 96)] == ["free"] * 3
    assert X.get_free_pirq(eng.w["xen"]) == 98


def test_when_the_reuser_binds_first_the_owners_interrupts_reach_its_handler() -> None:
    """nvme1 holds pirq 101 but requests its irq late; nvme0 re-uses 101 and binds the event
    channel first: nvme1's signals arrive at nvme0's handler (spurious), nvme1 times out."""
    eng = run_to_end(scenario("""
        name: t
        cpus: 2
        platform: {kind: xen-hvm, xen: "4.6"}
        kernel: {xen_reuse_cached_pirq: true}
        devices:
          nvme0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
          nvme1: {bdf: "00:05.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
        run:
          - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}
          - {on: 0, do: remove, dev: nvme0}
          - {at: 500us, on: 1, do: alloc_vectors, dev: nvme1, mode: msix, vectors: 1}
          - {at: 1ms, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}
          - {at: 2ms, on: 1, do: request_irq, dev: nvme1, vector: 0}
          - {on: 1, do: doorbell, dev: nvme1, vector: 0}
    """))
    assert statuses(eng) == {"nvme0": "ok", "nvme1": "failed: ETIMEDOUT"}
    assert totals(eng, "nvme1") == {"raised": 1, "delivered": 0, "lost": 1, "spurious": 1}
    assert hits.IRQ_SPURIOUS in hit_names(eng) and hits.PIRQ_CONFLICT in hit_names(eng)
    handler = [e for e in events_of(eng, "irq.handler")][-1]
    assert handler.dev == "nvme0"
