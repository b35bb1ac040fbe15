"""irq_startup re-activating an irq already activated at allocation (``kernel.startup_reactivates``).

Before 'irqdomain: Avoid activating interrupts more than once' (4.10; 4.9.9 as e02136282296)
irq_domain_activate_irq() kept no activated state and irq_startup() called it unconditionally, so
a PCI/MSI irq activated at allocation (MSI_FLAG_ACTIVATE_EARLY, f3b0946d629c) had its message
composed and written again by request_irq. Read in unnamed public 4.x copies of kernel/irq/chip.c
and kernel/irq/irqdomain.c; the stable backport in a public bisect log of 4.9.9.
"""

from __future__ import annotations

import pytest

from tests.conftest import run_to_end, scenario

MSIX = """
name: reactivate
cpus: 10
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 4}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
"""


def _data_writes_before_unmask(kernel: str) -> tuple[int, int, bool]:
    """(message writes of entry 0 before request_irq, after it but before the entry is
    unmasked, the behaviour switch)."""
    eng = run_to_end(scenario(MSIX.format(kernel=kernel)))
    before = during = 0
    requested = False
    for e in eng.log.events(1, len(eng.log) + 1):
        if e.kind == "irq.request":
            requested = True
        elif e.kind == "msix.write" and e.fields["entry"] == 0:
            if e.fields["reg"] == "ctrl" and requested and not e.fields["value"] & 1:
                break
            if e.fields["reg"] == "data":
                if requested:
                    during += 1
                else:
                    before += 1
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"
    return before, during, eng.w["behaviour"].get("startup_reactivates")


@pytest.mark.parametrize(("kernel", "again"), [("4.9", 1), ("4.9.8", 1), ("4.9.9", 0), ("4.10", 0)])
def test_request_irq_writes_an_early_activated_msix_message_again_before_4_10(kernel: str, again: int) -> None:
    """4.9 (physflat, vectors at allocation): the MSI-X entry's message is written at allocation
    (activated early) and again by request_irq's irq_startup, before the entry is unmasked;
    from 4.10 (and 4.9.9) irq_domain_activate_irq returns for an activated irq."""
    before, during, switch = _data_writes_before_unmask(kernel)
    assert (before, during) == (1, again)
    assert switch is bool(again)


def test_a_first_activation_at_startup_writes_once() -> None:
    """4.6, before f3b0946d629c (msi_activate_early: none): nothing is activated at allocation,
    so irq_startup's activation is the first and only one -- the message is written once."""
    before, during, switch = _data_writes_before_unmask("4.6")
    assert (before, during) == (0, 1)
    assert switch is True
