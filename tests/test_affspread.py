"""Managed affinity spread by kernel release (``kernel.affinity_spread_cpus``): before 4.13
irq_create_affinity_masks() spread the vectors over the CPUs online at probe time; from 4.13 over
the present CPUs (later possible CPUs, present ones first), offline ones included."""

from __future__ import annotations

from typing import Any

from msidbg.model.kernel import affinity
from tests.conftest import events_of, run_to_end, scenario

NVME = """
name: nvme-offline-at-probe
cpus: 10
kernel: {version: "VERSION"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
OFFLINE  - {at: 50000, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
"""


def _run(version: str, offline: tuple[int, ...]) -> Any:
    steps = "".join(f"  - {{at: {i * 10}, on: 0, do: cpu_offline, cpu: {c}}}\n" for i, c in enumerate(offline))
    return run_to_end(scenario(NVME.replace("VERSION", version).replace("OFFLINE", steps)))


def _io_masks(eng: Any, version: str) -> list[list[int]]:
    irqs = sorted(i for i, d in eng.w["irqs"].items() if d.get("dev") == "nvme0")
    # from 4.17 (nvme_irq_layout: pre-vector) the first vector is the admin queue's, not spread
    if tuple(int(x) for x in version.split(".")) >= (4, 17):
        irqs = irqs[1:]
    return [eng.w["irqs"][i]["affinity"] for i in irqs]


# CPU 9 offline at probe, four I/O queues: 4.12 spreads the 9 online CPUs, 4.13 all 10
ONLINE_9 = [[0, 1, 2], [3, 4], [5, 6], [7, 8]]
PRESENT_10 = [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]


#: the masks each release computes with CPU 9 offline at probe (the boundary is 4.12 | 4.13;
#: 84676c1f21e8 (possible CPUs), d3056812e7df (present first) and group_cpus_evenly give the same
#: masks when every CPU is present)
BY_RELEASE = {"4.10": ONLINE_9, "4.12": ONLINE_9, "4.13": PRESENT_10, "4.16": PRESENT_10, "4.17": PRESENT_10,
              "6.6": PRESENT_10}


def test_offline_cpu_at_probe_by_release() -> None:
    got = {v: _io_masks(_run(v, (9,)), v) for v in BY_RELEASE}
    assert got == BY_RELEASE
    # with every CPU online both sides spread the same ten CPUs
    assert _io_masks(_run("4.12", ()), "4.12") == _io_masks(_run("4.13", ()), "4.13") == PRESENT_10


def test_offline_cpus_get_a_queue_that_stays_down_from_4_13() -> None:
    """CPUs 8 and 9 offline at probe: 4.12 spreads the 8 online CPUs, every queue's irq starts on
    one of them; 4.13 gives {8, 9} a queue of its own whose managed irq stays shut down
    (IRQ_STARTUP_ABORT) until one of them comes online."""
    old, new = _run("4.12", (8, 9)), _run("4.13", (8, 9))
    assert _io_masks(old, "4.12") == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert _io_masks(new, "4.13") == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    down = {tuple(d["affinity"]): d.get("managed_shutdown") for d in new.w["irqs"].values() if d.get("dev") == "nvme0"}
    assert down[(8, 9)] is True and not down[(0, 1, 2)]
    assert not any(d.get("managed_shutdown") for d in old.w["irqs"].values() if d.get("dev") == "nvme0")


def test_vector_bound_counts_online_cpus_before_4_13() -> None:
    """irq_calc_affinity_vectors: min(cpus, maxvec - resv) + resv, cpus = cpu_online_mask's weight
    before 4.13, the present (then possible) CPUs after."""
    from msidbg.model.kernel.sw import CURRENT

    def world(value: str) -> dict[str, Any]:
        cpus = [{"id": i, "online": i < 6} for i in range(8)]
        return {"cpus": cpus, "behaviour": {**CURRENT, "affinity_spread_cpus": value}, "kernel": {}}

    affd = {"pre": 0, "post": 0, "calc_sets": False}
    assert affinity.calc_vectors(1, 8, affd, len(affinity.spread_cpus(world("online")))) == 6
    assert affinity.calc_vectors(1, 8, affd, len(affinity.spread_cpus(world("present")))) == 8


def test_more_vectors_than_cpus_rest_default_before_4_13() -> None:
    """The 4.10..4.12 loop stops at the last online CPU and fills the vectors after it from
    irq_default_affinity; later ones leave them empty (kcalloc)."""
    affd = {"pre": 0, "post": 0, "calc_sets": True}
    old = affinity.create_masks(3, affd, [0, 1], [0, 1, 2], rest_default=True)
    new = affinity.create_masks(3, affd, [0, 1], [0, 1, 2])
    assert old is not None and new is not None
    assert [m for m, _ in old] == [[0], [1], [0, 1, 2]]
    assert [m for m, _ in new] == [[0], [1], []]


# --- doorbells and signals on vectors the driver never set up -----------------------------------

NIC = """
name: nic-unset-vector
cpus: 2
devices:
  nic0: {bdf: "00:03.0", kind: nic, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nic0, mode: msix, vectors: 2}
STEPS"""


def _nic(steps: str) -> Any:
    return run_to_end(scenario(NIC.replace("STEPS", steps)))


def _results(eng: Any) -> list[Any]:
    return [a["result"] for a in eng.w["actions"]]


def test_doorbell_on_a_vector_never_set_up_fails_at_once() -> None:
    """A doorbell is the driver ringing one of its queues: vector 3 of a probe that got 2 vectors
    is a queue that does not exist. The action fails with -ENXIO and a note saying so, and the
    device is not rung (nothing raised, no timeout wait); vector 1 still rings and is handled."""
    eng = _nic("  - {at: 1ms, on: 0, do: doorbell, dev: nic0, vector: 3}\n"
               "  - {at: 2ms, on: 0, do: doorbell, dev: nic0, vector: 1}\n")
    assert _results(eng) == [0, -6, 0]
    a = eng.w["acct"]["nic0"]
    assert (a["raised"][3], a["raised"][1], a["delivered"][1]) == (0, 1, 1)
    notes = [e.fields["what"] for e in events_of(eng, "kernel") if e.fields["prog"] == "driver_doorbell"]
    assert notes == ["no queue for vector 3: the driver has set up 2: vectors 0-1; nothing rung"]
    assert not events_of(eng, "wait.timeout")


def test_doorbell_after_remove_fails_at_once() -> None:
    eng = _nic("  - {at: 1ms, on: 0, do: remove, dev: nic0}\n"
               "  - {at: 2ms, on: 0, do: doorbell, dev: nic0, vector: 0}\n")
    assert _results(eng) == [0, 0, -6]
    assert eng.w["acct"]["nic0"]["raised"][0] == 0


def test_fire_on_an_entry_never_set_up_says_why_it_is_lost() -> None:
    """The device signalling an entry nobody programmed is physically possible: the entry is
    masked (msix_mask_all / reset), so the signal waits in the PBA, and the run's end counts it
    lost -- saying the driver never set that entry up."""
    eng = _nic("  - {at: 1ms, do: fire, dev: nic0, vector: 5}\n")
    a = eng.w["acct"]["nic0"]
    assert (a["raised"][5], a["lost"][5]) == (1, 1)
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["nic0 vector 5: 1 signal(s) were held behind MSI-X entry 5's mask bit: the driver set up "
                    "2 vector(s), not this entry, so nothing ever unmasks it"]
    held = [e.fields for e in events_of(eng, "msi.held")]
    assert held and "not set up" in str(held[0])
