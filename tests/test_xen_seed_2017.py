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
    # 4.9 and 4.11 also differ in startup_reactivates (4.10), which a pirq guest's MSI irqs never
    # reach: their chip is Xen's, with no MSI domain activation for irq_startup to repeat
    assert comparable(with_kernel(fix, xen_reuse_cached_pirq=True, startup_reactivates=True)) == comparable(bug)
    kinds = [[(e.kind, e.fields) for e in events_of(run_to_end(with_kernel(fix, startup_reactivates=on)), "msix.write")]
             for on in (False, True)]
    assert kinds[0] and kinds[0] == kinds[1]


def test_without_reuse_it_works() -> None:
    assert all_ok(run_to_end(with_kernel(shipped(BUG), xen_reuse_cached_pirq=False)))


def test_without_qemus_unmap_no_pirq_changes_hands_and_every_reenable_is_dead() -> None:
    """Before c976437c7dba QEMU keeps each pirq mapped and bound on MSI-X disable: nobody else
    can get it, but no controller can re-enable either (finding 3): re-using the cached pirq
    needs a guest irq for it, which teardown destroyed, so each asks for a fresh one."""
    eng = run_to_end(with_platform(shipped(BUG), qemu_unmap_pirq_on_msi_disable=False))
    assert set(statuses(eng).values()) == {"failed: ETIMEDOUT"}
    got = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    first = got[:3]
    assert first == [101, 100, 99] and not set(got[3:]) & set(first)      # no pirq changes hands
    assert not [e for e in events_of(eng, "xen.irq") if e.fields["how"] == "re-used the cached pirq"]


def test_xen_44_preset_has_no_unmap_and_an_explicit_switch_wins() -> None:
    eng = run_to_end(with_platform(shipped(BUG), xen="4.4"))
    assert not eng.w["behaviour"]["qemu_unmap_pirq_on_msi_disable"]
    assert set(statuses(eng).values()) == {"failed: ETIMEDOUT"}
    forced = run_to_end(with_platform(shipped(BUG), xen="4.4", qemu_unmap_pirq_on_msi_disable=True))
    assert statuses(forced) == statuses(run_to_end(shipped(BUG)))


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


def test_a_single_controller_reprobing_fails_only_before_c976437() -> None:
    for xen in ("4.4", "4.5", "4.8"):
        scn = with_platform(shipped(BUG), xen=xen)
        scn = dataclasses.replace(scn, devices={"nvme0": scn.devices["nvme0"]},
                                  run=tuple(a for a in scn.run if a.dev == "nvme0"))
        eng = run_to_end(scn)
        firsts = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] ==
                  "PHYSDEVOP_get_free_pirq" and e.fields["arg"] == 0]
        if xen == "4.4":      # finding 3: 101 stays mapped and bound, the fresh 100 cannot be bound
            assert firsts == [101, 100] and statuses(eng) == {"nvme0": "failed: ETIMEDOUT"}
        else:                 # the freed pirq is free again: the fresh allocation returns it
            assert firsts == [101, 101] and all_ok(eng), xen


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


def test_the_revert_on_old_qemu_twins_differ_only_in_the_xen_release() -> None:
    """Seed 003: reverting af42b8d12f8a "break[s] the behavior on Xen 4.4 and older"."""
    bug, fix = shipped("xen-pirq-revert-old-qemu"), shipped("xen-pirq-revert-old-qemu-fixed")
    assert comparable(with_platform(fix, xen="4.4")) == comparable(bug)
    eng = run_to_end(bug)
    binds = [(e.fields["entry"], e.fields["pirq"], e.fields["rc"]) for e in events_of(eng, "qemu.bind_pirq")]
    unmaps = [(e.fields["entry"], e.fields["pirq"], e.fields["rc"]) for e in events_of(eng, "qemu.unmap_pirq")]
    assert (0, 100, -22) in binds and unmaps == [(0, 101, 0)]
    assert X.state(eng.w["xen"]["pirqs"][101]) == "stale"
    assert all_ok(run_to_end(fix))


def _grabbed_and_reused(eng) -> bool:
    """A controller re-used (af42b8d12f8a) a pirq that QEMU had unmapped for it and Xen had since
    handed to another controller."""
    log = eng.log.events(1, len(eng.log) + 1)
    freed = {}              # pirq -> (device, index) of its last QEMU unmap
    handed = {}             # pirq -> (device, index) of its last PHYSDEVOP_get_free_pirq
    for e in log:
        if e.kind == "qemu.unmap_pirq" and e.fields["rc"] == 0:
            freed[e.fields["pirq"]] = (e.dev, e.index)
        elif e.kind == "xen.hypercall" and e.fields["op"] == "PHYSDEVOP_get_free_pirq" and e.fields["ret"] > 0:
            handed[e.fields["ret"]] = (e.dev, e.index)
        elif e.kind == "xen.irq" and e.fields["how"] == "re-used the cached pirq":
            p = e.fields["pirq"]
            if p in freed and p in handed and freed[p][0] == e.dev != handed[p][0] and freed[p][1] < handed[p][1]:
                return True
    return False


def test_any_interleaving_that_hands_a_freed_pirq_to_another_controller_conflicts() -> None:
    """The 2017 mechanism is general: over start-time shifts and random schedules, a re-use of a
    pirq another controller was handed after the first freed it always gives pirq-conflict, and
    the conflict never comes without one."""
    import dataclasses

    bug = shipped(BUG)
    seen = {True: 0, False: 0}
    for d1, d2 in ((0, 0), (400_000, 800_000), (3_000_000, 6_000_000), (8_000_000, 16_000_000)):
        # every action of CPU1 (nvme1) starts d1 later, every action of CPU2 (nvme2) d2 later
        run = tuple(dataclasses.replace(a, at_ns=a.at_ns + (d1 if a.on == 1 else d2 if a.on == 2 else 0))
                    if a.at_ns else a for a in bug.run)
        for seed, schedule in ((1, "ordered"), (2, "random"), (3, "random")):
            eng = run_to_end(dataclasses.replace(bug, run=run, schedule=schedule), seed)
            grabbed = _grabbed_and_reused(eng)
            assert grabbed == (hits.PIRQ_CONFLICT in hit_names(eng)), (d1, d2, seed)
            seen[grabbed] += 1
    assert seen[True] and seen[False]         # both outcomes happen among these interleavings
