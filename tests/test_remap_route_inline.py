"""iommu.route runs bus.deliver_vector's common case inline (perf9): every other case must still
take deliver_vector's path, with its loss and its message (an offline CPU, an illegal vector)."""

from msidbg.model import hits, iommu
from tests.conftest import run_to_end, scenario
from tests.test_remap import BASE


def _route(mutate):
    eng = run_to_end(scenario(BASE))
    w = eng.w
    entry = w["devices"]["nic0"]["msix"]["table"][1]
    irte = w["iommu"]["irte"][iommu.handle_of(entry["addr_lo"], entry["data"])]
    desc = next(d for d in w["irqs"].values() if d["dev"] == "nic0" and d["index"] == 1)
    cpu = desc["cpu"]
    mutate(w, irte, cpu)
    lost = w["acct"]["nic0"]["lost"][1]
    irr = list(w["cpus"][cpu]["irr"])
    got = iommu.route(eng, "nic0", 1, entry["addr_lo"], entry["addr_hi"], entry["data"], 1)
    losses = [h.detail for h in eng.hits if h.name == hits.IRQ_LOST]
    return eng, cpu, got, w["acct"]["nic0"]["lost"][1] - lost, irr, losses


def test_a_remapped_message_to_an_offline_cpu_is_lost_there() -> None:
    def offline(w, irte, cpu):
        w["cpus"][cpu]["online"] = False
    eng, cpu, got, lost, irr, losses = _route(offline)
    assert (got, lost) == (cpu, 1)
    assert eng.w["cpus"][cpu]["irr"] == irr     # no IRR bit set on the offline CPU
    assert losses and losses[-1].endswith(f"were sent to CPU{cpu}, which is offline")


def test_a_remapped_illegal_vector_is_not_delivered() -> None:
    def illegal(w, irte, cpu):
        irte["vector"] = 3
    eng, cpu, got, lost, irr, losses = _route(illegal)
    assert (got, lost) == (cpu, 1)
    assert "carried illegal vector 0x03" in losses[-1]


def test_the_common_case_sets_the_irr_bit() -> None:
    eng, cpu, got, lost, irr, losses = _route(lambda w, irte, cpu: None)
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "nic0" and d["index"] == 1)
    v = desc["vector"]
    assert (got, lost) == (cpu, 0)
    assert not irr[v >> 5] >> (v & 31) & 1 and eng.w["cpus"][cpu]["irr"][v >> 5] >> (v & 31) & 1
