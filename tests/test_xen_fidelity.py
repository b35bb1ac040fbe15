"""Issue 10, the Xen/QEMU findings: each test names the finding it checks and follows the
upstream source the model cites (docs/model-xen.md)."""

from __future__ import annotations

from msidbg.model import new_engine
from tests.conftest import events_of, run_to_end, scenario

NIC_LATE = """
name: t
cpus: 2
platform: {kind: xen-hvm%s}
kernel: {msix_mask_all: %s, xen_hvm_msi_ignore_mask: false}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 10, every: 10us}
  - {at: 2ms, do: fire, dev: eth0, vector: 1, count: 10, every: 10us}
  - {at: 2ms, do: fire, dev: eth0, vector: 2, count: 10, every: 10us}
"""


def nic(platform: str = "", mask: str = "late") -> str:
    return NIC_LATE % (platform, mask)


# --- finding 1 ------------------------------------------------------------------------------------------
def test_finding1_qemu_emulated_msix_table_starts_zero_filled() -> None:
    """xen_pt_msix_init allocates the emulated entries with g_malloc0 (qemu-xen) / memset
    (qemu-traditional): the guest reads Vector Control 0 (unmasked) before it writes it."""
    eng = new_engine(scenario(nic()))
    assert all(e["latch"] == [0, 0, 0, 0] for e in eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"])
    while eng.step():
        if len(events_of(eng, "ioreq.msix_read")) == 3:
            break
    reads = events_of(eng, "ioreq.msix_read")
    assert [(e.fields["entry"], e.fields["reg"], e.fields["value"]) for e in reads] == [
        (0, "ctrl", 0), (1, "ctrl", 0), (2, "ctrl", 0)]
    # the kernel caches what it read: msix_setup_msi_descs sees every entry unmasked
    assert [d["msix_ctrl"] for d in eng.w["kernel"]["pci"]["eth0"]["descs"]] == [0, 0, 0]
    # the physical entries still come out of reset masked (a real device)
    assert all(e["ctrl"] == 1 for e in eng.w["devices"]["eth0"]["msix"]["table"])


def test_finding1_the_early_mask_is_what_the_guest_reads_back() -> None:
    eng = run_to_end(scenario(nic(mask="early")))
    reads = [e.fields["value"] for e in events_of(eng, "ioreq.msix_read") if e.fields["reg"] == "ctrl"]
    assert reads[:3] == [1, 1, 1]
