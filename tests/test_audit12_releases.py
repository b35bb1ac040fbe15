"""audit12: release boundaries read in stable review shortlogs."""

from __future__ import annotations

from msidbg.behaviour import resolve


def _kernel(version: str) -> dict:  # type: ignore[type-arg]
    return resolve("bare-metal", kernel=version).plain("bare-metal")


def test_a6c11c0a5235_is_in_6_9_4() -> None:
    """'[PATCH 6.9 000/368] 6.9.4-rc2 review' (2024-06-09) lists 'genirq/cpuhotplug, x86/vector: Prevent
    vector leak during CPU offline' (Dongli Zhang)."""
    assert _kernel("6.9.3")["hotplug_force_complete"] == "migrated"
    assert _kernel("6.9.4")["hotplug_force_complete"] == "involved"


def test_9fb9eb4b59ac_is_mainline_5_17_only() -> None:
    assert _kernel("5.16")["free_msi_busy"] == "bug"
    assert _kernel("5.15.200")["free_msi_busy"] == "bug"
    assert _kernel("5.17")["free_msi_busy"] == "frees"
