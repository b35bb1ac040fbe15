"""lowprio25: apic_flat before 4.15 -- Lowest Priority messages to several CPUs.

Read in a 4.13.9 tree (reading ``kernel.vector.legacy-flat-not-modelled``): flat_vector_allocation_domain
gives every irq the domain APIC_ALL_CPUS, so __assign_irq_vector searches a vector free on every online CPU
and maps it on each; flat_cpu_mask_to_apicid makes the destination the OR of the logical bits of mask &
online; irq_msi_compose_msg sends DM logical, RH 1, Delivery Mode Lowest Priority. Every later assignment
finds the domain equal and only recomputes the destination: no move_in_progress, no cleanup IPI.
Which APIC of the destination takes a Lowest Priority message is the platform's (SDM: the chipset
chooses; reading ``bus.lowest-priority``): msidbg models it only when the scenario names a rule
(``platform.lowest_priority: first``, hypothetical), and refuses the kernel otherwise, as before.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.errors import ScenarioError
from msidbg.model import cite
from tests.conftest import run_to_end, scenario, totals

FLAT = """
name: lp25
cpus: {cpus}
platform: {{kind: bare-metal{platform}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 1}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1{affinity}}}
{run}"""

RULE = ", lowest_priority: first"


def _run(run: str = "", cpus: int = 3, platform: str = RULE, kernel: str = "4.14", affinity: str = "") -> Any:
    return run_to_end(scenario(FLAT.format(cpus=cpus, platform=platform, kernel=kernel, affinity=affinity, run=run)))


def _entry(eng: Any) -> dict[str, int]:
    return dict(eng.w["devices"]["eth0"]["msix"]["table"][0])


def _events(eng: Any, kind: str) -> list[Any]:
    return [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind == kind]


def test_without_a_rule_a_pre_4_15_flat_kernel_is_still_refused() -> None:
    """The pick is the platform's: no default rule (the hypothetical one stays out of defaults)."""
    with pytest.raises(ScenarioError, match="flat logical APIC driver.*platform.lowest_priority: first"):
        _run(platform="")
    with pytest.raises(ScenarioError, match="platform.apic_routing: the flat APIC driver before 4.15"):
        _run(platform=", apic_routing: flat")
    assert cite.READINGS["bus.lowest-priority-first"].status == "hypothetical"


@pytest.mark.parametrize("platform", [", interrupt_remapping: true" + RULE, ""])
def test_the_rule_is_a_bare_metal_chipset_fact(platform: str) -> None:
    text = FLAT.format(cpus=2, platform=platform, kernel="5.10", affinity="", run="")
    if not platform:
        text = text.replace("kind: bare-metal", "kind: xen-hvm, lowest_priority: first")
    with pytest.raises(ScenarioError, match="platform.lowest_priority: the lowest-priority pick is modelled for a "
                                            "bare-metal platform without interrupt remapping only"):
        scenario(text)


def test_the_message_names_every_online_cpu_with_lowest_priority_delivery() -> None:
    """4.14 on 3 CPUs: the vector (0x41, the cursor's first) is mapped on all three, the entry holds
    destination 0x07 (CPUs 0-2), DM logical (bit 2), RH (bit 3), and data 0x141 (Delivery Mode 001).
    On main this kernel was refused at load."""
    eng = _run()
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "eth0")
    assert desc["vector"] == 0x41
    assert [c["vector_irq"].get(0x41) for c in eng.w["cpus"]] == [desc["irq"]] * 3
    assert _entry(eng)["addr_lo"] == 0xFEE0700C and _entry(eng)["data"] == 0x141


def test_one_cpu_takes_each_message() -> None:
    """A Fixed message to 0x07 would set the vector in all three IRRs (bus.logical-match: three handler
    runs, two without a signal). Lowest Priority: one CPU takes it -- under ``first`` CPU0 -- and
    the handler runs once per signal."""
    eng = _run("  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 3, every: 100us}\n")
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    accepts = _events(eng, "apic.accept")
    assert len(accepts) == 3 and {e.cpu for e in accepts} == {0}


def test_a_move_rewrites_only_the_destination() -> None:
    """irq_set_affinity to CPU1 (applied masked at the next interrupt: MSI without remapping): the domain
    is already every CPU, so the vector stays 0x41 on every CPU, the address becomes 0x02, and no
    cleanup IPI is sent (the physflat legacy model moves the vector and cleans the old one up)."""
    eng = _run("  - {at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}\n"
               "  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 2, every: 1ms}\n")
    desc = next(d for d in eng.w["irqs"].values() if d["dev"] == "eth0")
    assert desc["vector"] == 0x41 and not desc["move_in_progress"] and not desc["cleanup_pending"]
    assert _entry(eng)["addr_lo"] == 0xFEE0200C and _entry(eng)["data"] == 0x141
    assert [c["vector_irq"].get(0x41) for c in eng.w["cpus"]] == [desc["irq"]] * 3
    assert not [e for e in eng.log.events(1, len(eng.log) + 1) if "cleanup" in e.describe().lower()]
    assert [e.cpu for e in _events(eng, "apic.accept")] == [0, 1]   # the move applies at the first one
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


def test_a_storm_across_the_offline_of_a_cpu_the_destination_names() -> None:
    """Affinity {1, 2} (applied at the first interrupt): destination 0x06, CPU1 takes the storm. Its offline migrates the irq (its
    effective mask names the dying CPU: irq_needs_fixup) to 0x04 -- no vector change, nothing lost;
    CPU1's vector_irq slot goes with it, CPU0 and CPU2 keep theirs."""
    eng = _run("  - {at: 1ms, do: fire, dev: eth0, vector: 0}\n"
               "  - {at: 2ms, on: 0, do: cpu_offline, cpu: 1}\n"
               "  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 30, every: 1us}\n"
               "  - {at: 4ms, do: fire, dev: eth0, vector: 0}\n", affinity=", affinity: [1, 2]")
    assert totals(eng, "eth0") == {"raised": 32, "delivered": 32, "lost": 0, "spurious": 0}
    assert _entry(eng)["addr_lo"] == 0xFEE0400C and _entry(eng)["data"] == 0x141
    # the first signal finds request_irq's destination 0x07 (CPU0 takes it and applies the pending move)
    cpus = [e.cpu for e in _events(eng, "apic.accept")]
    assert cpus[0] == 0 and 1 in cpus and cpus[-1] == 2 and cpus == sorted(cpus)
    assert [0x41 in c["vector_irq"] for c in eng.w["cpus"]] == [True, False, True]


def test_a_cpu_brought_back_maps_the_vector_again() -> None:
    """__setup_vector_irq: the irq's domain holds every CPU, so CPU2 coming back gets the slot; a
    later move to CPU2 is taken there."""
    eng = _run("  - {at: 1ms, on: 0, do: cpu_offline, cpu: 2}\n"
               "  - {at: 2ms, on: 0, do: cpu_online, cpu: 2}\n"
               "  - {at: 3ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 2}\n"
               "  - {at: 4ms, do: fire, dev: eth0, vector: 0, count: 2, every: 1ms}\n")
    assert [0x41 in c["vector_irq"] for c in eng.w["cpus"]] == [True, True, True]
    assert [e.cpu for e in _events(eng, "apic.accept")] == [0, 2]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


RAW = "  - {{at: 1ms, do: write, dev: eth0, target: msix-table, offset: {offset}, value: {value}}}\n"


@pytest.mark.parametrize(("platform", "handled_on"), [(RULE, [1]), ("", [1, 2])])
def test_a_raw_lowest_priority_message_follows_the_rule_only_when_named(platform: str, handled_on: list[int]) -> None:
    """5.15 (Fixed from 4.15): a raw write of destination 0x06 with Delivery Mode 001. With the rule one
    APIC takes it (CPU1); without, the message is read as Fixed (bus.dm-without-rh) and both take it,
    as before -- the shipped runs' reading."""
    eng = _run(RAW.format(offset=0, value="0xfee0600c") + RAW.format(offset=8, value="0x141")
               + "  - {at: 2ms, do: fire, dev: eth0, vector: 0}\n", platform=platform, kernel="5.15")
    assert sorted(e.cpu for e in _events(eng, "apic.accept") if e.fields["vector"] == 0x41) == handled_on
