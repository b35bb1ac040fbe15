"""Local APIC / delivery leads (apicleads, revision 12).

* A software-disabled local APIC (native_cpu_disable's apic_soft_disable) takes no Fixed message, whichever
  destination named it: each APIC of a logical or broadcast destination follows deliver_vector's rule
  (reading bus.soft-disabled-destinations: SDM 10.4.7.2; Xen f1d7aac1e3c3's message).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import run_to_end, scenario, totals

#: eth0's entry rewritten at 50us to a destination every APIC matches (xAPIC physical broadcast 0xFF, or flat
#: logical 0x0F on four CPUs); CPU2 is taken offline at 100us, and eth0 fires at {t}
WIDE = """
name: wide-soft
cpus: 4
kernel: {{version: "{v}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
  - {{at: 20us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: {own}}}
  - {{at: 30us, do: fire, dev: eth0, vector: 0}}
  - {{at: 50us, do: write, dev: eth0, target: msix-table, offset: 0, value: {addr}}}
  - {{at: 100us, on: 0, do: cpu_offline, cpu: 2}}
  - {{at: {t}, do: fire, dev: eth0, vector: 0}}
"""


def _spurious_cpus(eng: Any) -> list[str]:
    return sorted(h.detail.split()[0] for h in eng.hits if h.name == "irq-spurious" and "stale IRR bit" in h.detail)


@pytest.mark.parametrize("addr", ["0xfeeff000", "0xfee0f004"])
@pytest.mark.parametrize("version,cpu2_takes", [("5.3", True), ("5.5", False), ("5.4.61", False),
                                                ("5.4.62", True), ("6.6", True)])
def test_every_apic_of_a_wide_destination_follows_the_soft_disable(addr: str, version: str,
                                                                   cpu2_takes: bool) -> None:
    """eth0 (on CPU1) fires at 106.45us, after take_cpu_down began on CPU2 and before fixup_irqs' IRR scan. The
    message names every APIC: CPU1 takes the device's signal, CPU0 and CPU3 an IRR bit they have no irq for
    ('No irq handler for vector'). CPU2 takes one too only while its APIC is software-enabled: ..5.3
    (clear_local_APIC only) and from 52d6b926aabc (apic_soft_disable after fixup_irqs); 5.4 .. 5.4.61 (60dcaad5736f:
    apic_soft_disable before cpu_disable_common) refuse it there as they refuse a message to CPU2 alone."""
    eng = run_to_end(scenario(WIDE.format(v=version, own=1, addr=addr, t="106450ns")))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    want = ["CPU0", "CPU2", "CPU3"] if cpu2_takes else ["CPU0", "CPU3"]
    assert _spurious_cpus(eng) == want, version


def test_a_soft_disabled_apic_does_not_carry_the_signals_of_a_wide_message() -> None:
    """5.5: eth0's irq is on CPU2 when CPU2's APIC is soft-disabled (take_cpu_down, before fixup_irqs moves it) and
    eth0 fires to the broadcast at 100.15us. CPU2 refuses it; CPU0, CPU1 and CPU3 take the vector, none of them
    with an irq on it then: the device's signal is accounted on CPU0, the first CPU that took it, and lost there
    ('No irq handler for vector') -- not 'sent to CPU2, whose local APIC ... software-disabled' while the other
    APICs took the same message."""
    eng = run_to_end(scenario(WIDE.format(v="5.5", own=2, addr="0xfeeff000", t="100150ns")))
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 1, "lost": 1, "spurious": 1}
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["eth0 vector 0: 1 signal(s) hit CPU0 vector 0x21: No irq handler for vector"]
    assert _spurious_cpus(eng) == ["CPU3"]
