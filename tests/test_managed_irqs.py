"""Managed interrupts as NVMe uses them: irq_create_affinity_masks spreading behind one pre
vector, reserve_managed_vector on every CPU of a mask, IRQ_STARTUP_MANAGED, shutdown when the
last CPU of the mask goes offline and restart when it comes back."""

from __future__ import annotations

from msidbg.model.hw import MANAGED_IRQ_SHUTDOWN_VECTOR, words_test
from msidbg.model.kernel import affinity
from tests.conftest import totals
from tests.mech_helpers import desc_of, engine, evs, finish, is_, until

NVME = """
name: managed
cpus: 4
kernel: {%s}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: %d}
%s
"""


def nvme(vectors: int = 16, actions: str = "", kernel: str = ""):  # type: ignore[no-untyped-def]
    return engine(NVME % (kernel, vectors, actions))


def test_group_cpus_evenly_gives_the_first_groups_the_remainder() -> None:
    assert affinity.group_cpus_evenly(3, [0, 1, 2, 3]) == [[0, 1], [2], [3]]
    assert affinity.group_cpus_evenly(2, [0, 1, 2, 3]) == [[0, 1], [2, 3]]
    assert affinity.group_cpus_evenly(4, [0, 1]) == [[0], [1], [], []]


def test_nvme_probe_asks_one_admin_vector_plus_one_per_cpu_and_spreads_them() -> None:
    eng = finish(nvme())
    descs = eng.w["kernel"]["pci"]["nvme0"]["descs"]
    assert [d["affinity"] for d in descs] == [
        [[0, 1, 2, 3], False], [[0], True], [[1], True], [[2], True], [[3], True]]
    irqs = [desc_of(eng, "nvme0", i) for i in range(5)]
    assert [d["is_managed"] for d in irqs] == [False, True, True, True, True]
    # each managed irq starts on the one CPU of its mask
    assert [d["cpu"] for d in irqs[1:]] == [0, 1, 2, 3]
    assert irqs[0]["affinity"] == [0, 1, 2, 3] and not irqs[0]["affinity_set"]


def test_reserve_managed_vector_takes_a_vector_on_every_cpu_of_the_mask() -> None:
    eng = nvme(3)                 # admin + 2 I/O queues: masks {0,1} and {2,3}
    until(eng, is_("irq.alloc", "nvme0"))
    until(eng, is_("irq.alloc", "nvme0"))
    managed = until(eng, is_("irq.alloc", "nvme0"))
    d = desc_of(eng, "nvme0", 1)
    assert d["affinity"] == [0, 1] and d["vector"] == MANAGED_IRQ_SHUTDOWN_VECTOR and not d["activated"]
    assert [words_test(eng.w["cpus"][c].get("managed", [0] * 8), 0x21) for c in range(4)] == [True, True, True, True]
    assert managed.fields["index"] == 2
    finish(eng)
    # at startup each takes a reserved vector on the CPU of its mask with the fewest in use; on a tie
    # matrix_find_best_cpu_managed keeps the last CPU it looked at
    assert [(desc_of(eng, "nvme0", i)["cpu"], desc_of(eng, "nvme0", i)["vector"]) for i in (1, 2)] == [(1, 0x21), (3, 0x21)]


def test_managed_startup_applies_the_mask_first_even_in_the_old_order() -> None:
    """IRQ_STARTUP_MANAGED: irq_do_set_affinity() and then __irq_startup(), whatever
    IRQCHIP_AFFINITY_PRE_STARTUP says."""
    eng = finish(nvme(2, kernel="affinity_before_startup: false"))
    req = [e for e in evs(eng, "irq.request", "nvme0") if e.fields["index"] == 1][0]
    after = [e for e in evs(eng, "msix.write", "nvme0") if e.index > req.index and e.fields["entry"] == 1]
    regs = [(e.fields["reg"], e.fields["value"]) for e in after]
    assert regs[-1] == ("ctrl", 0)                       # the unmask comes last
    assert all(r != "ctrl" for r, _ in regs[:-1])


def test_a_managed_irq_is_shut_down_with_its_last_cpu_and_restarted_when_it_returns() -> None:
    eng = nvme(5, """  - {at: 200us, on: 0, do: cpu_offline, cpu: 3}
  - {at: 2ms, do: fire, dev: nvme0, vector: 4}
  - {at: 3ms, on: 0, do: cpu_online, cpu: 3}
  - {at: 5ms, do: fire, dev: nvme0, vector: 4}""")
    until(eng, is_("cpu.offline"))
    d = desc_of(eng, "nvme0", 4)
    assert d["managed_shutdown"] and not d["started"] and not d["activated"]
    assert d["affinity"] == [3]                           # "leave the affinity untouched"
    entry = eng.w["devices"]["nvme0"]["msix"]["table"][4]
    assert entry["ctrl"] & 1 and (entry["addr_lo"], entry["data"]) == (0, 0)
    until(eng, is_("msi.held", "nvme0"))                  # masked: the signal waits in the PBA
    until(eng, is_("cpu.online"))
    finish(eng)
    d = desc_of(eng, "nvme0", 4)
    assert d["started"] and not d["managed_shutdown"] and d["cpu"] == 3
    assert totals(eng, "nvme0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_user_space_cannot_move_a_managed_irq() -> None:
    eng = finish(nvme(2, "  - {at: 200us, on: 0, do: set_affinity, dev: nvme0, vector: 1, cpu: 3}"))
    act = [a for a in eng.w["actions"] if a["do"] == "set_affinity"][0]
    assert act["result"] == -1          # irq_can_set_affinity_usr(): -EPERM from eb29369fa543 (6.12), -EIO before


def test_the_admin_vector_alone_is_not_managed() -> None:
    """With one vector nothing is left to spread after the pre vector: no masks at all."""
    eng = finish(nvme(1))
    d = desc_of(eng, "nvme0", 0)
    assert not d["is_managed"] and eng.w["kernel"]["pci"]["nvme0"]["descs"][0]["affinity"] is None
