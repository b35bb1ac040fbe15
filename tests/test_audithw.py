"""Audit of the hardware readings (docs/model-baremetal.md, "Audit of the hardware readings").

Each test pins a reading the audit corrected against the text it cites: the IRTE update is two
64-bit stores in Linux (cmpxchg16b only for posted entries), the SDM numbering matches the edition
named, PCIe permits a function to drop pending messages when MSI-X is disabled, and x2APIC
without remapping is a guest-only configuration.
"""

from __future__ import annotations

from msidbg.model import (
    cite,
    hwcite,  # noqa: F401  (registers the readings)
)


def _reading(key: str) -> cite.Reading:
    return cite.READINGS[key]


def test_the_irte_update_reading_is_linux_modify_irte_not_a_128_bit_cmpxchg() -> None:
    """Linux writes a remapped-format IRTE with two WRITE_ONCE()s and flushes the interrupt entry
    cache; the old reading claimed one 128-bit atomic update and quoted Xen's update_irte comment."""
    r = _reading("iommu.atomic-irte")
    assert "128-bit atomic update" not in r.text
    assert "two 64-bit stores" in r.text and "low quadword" in r.text and "posted" in r.text
    assert "WRITE_ONCE(irte->low" in r.quote and "qi_flush_iec" in r.quote
    assert any(s.repo == "torvalds/linux" and "modify_irte" in s.function for s in r.sources)
    assert any(s.path == "include/linux/dmar.h" for s in r.sources)


def test_sdm_citations_use_the_numbering_of_the_edition_they_name() -> None:
    """253668-032US numbers fixed-interrupt acceptance 10.9.4 and the MSI format 10.12.1; the
    10.8.x / 10.11.x numbers are those of the 2011-2022 editions (325384-059US read)."""
    for key in ("apic.coalesce", "apic.eoi", "apic.priority", "bus.msi-address"):
        for s in _reading(key).sources:
            if s.repo.startswith("Intel SDM"):
                assert "032US and later" not in s.ref, (key, s)
                assert "059US" in s.ref and "032US" in s.path, (key, s)


def test_the_apic_priority_reading_quotes_the_ppr_rule_it_runs() -> None:
    q = _reading("apic.priority").quote
    assert "PPR[7:4]" in q and "higher than the processor-priority class" in q


def test_dropping_the_pba_on_msix_disable_is_the_spec_permitted_reading() -> None:
    """PCIe 6.1.4.3: disabling MSI/MSI-X 'may result in the Function dropping pending interrupt
    conditions' -- the reading was hypothetical ('the specifications do not say')."""
    r = _reading("device.msix.disable-drops-pending")
    assert r.status == "confirmed"
    assert "dropping pending interrupt conditions" in r.quote
    assert "do not say" not in r.text and "QEMU" in r.text


def test_the_msix_reset_quote_is_the_spec_text() -> None:
    r = _reading("device.msix.reset-masked")
    assert "state after reset is 1 (entry is masked)" in r.quote
    assert "must be 1 after reset" not in r.quote


def test_x2apic_without_remapping_is_a_guest_configuration_and_hypothetical() -> None:
    r = _reading("bus.x2apic-without-remapping")
    assert r.status == "hypothetical"
    assert "x2apic_available" in r.text and "bare metal" in r.text


def test_the_rh_dm_and_multi_message_readings_exist() -> None:
    assert "DM bit is ignored" in _reading("bus.dm-without-rh").quote
    assert "low order bits of the message data" in _reading("device.msi.multi-message").quote
