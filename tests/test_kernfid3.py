"""kernfid3: small kernel fidelity items.

1. __pci_enable_msix_range / __pci_enable_msi_range retry a setup that answers a positive count
   (drivers/pci/msi/msi.c, every modelled release): the x86 vector domain answers the number of
   MSI-X descriptors it allocated before one failed (msi_handle_pci_fail, 5.17+; before,
   msix_capability_init's out_avail counted them), and a Xen HVM guest's bound pirqs were counted
   the same way only before 60bf9b33c82c (5.17, ``kernel.msix_avail_retry``).
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario

LEGACY_FULL = """
name: legacy-full
cpus: 1
platform: {apic_routing: physical flat}
kernel: {version: "4.14"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 256}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 256}
"""


def _notes(eng: object, prog: str) -> list[str]:
    return [e.fields["what"] for e in events_of(eng, "kernel") if e.fields["prog"] == prog]


def test_a_partly_allocated_msix_setup_is_retried_with_what_the_vector_domain_allocated() -> None:
    """4.14's allocator assigns the vector at allocation: one CPU runs out after N MSI-X
    descriptors. The domain answers N (pci_msi_domain_handle_error / out_avail), the range helper
    frees everything and sets MSI-X up again with N vectors, which all get one: the probe works
    with N irqs. The model failed the probe with -ENOSPC."""
    eng = run_to_end(scenario(LEGACY_FULL))
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"
    descs = eng.w["kernel"]["pci"]["eth0"]["descs"]
    n = len(descs)
    assert 150 < n < 256
    assert _notes(eng, "pci_enable_msix_range") == [f"setup could have {n} of 256 vectors: retry with {n}"]
    # the first attempt's n irqs were released, the failing descriptor's irq never existed
    released = [e for e in events_of(eng, "irq.release") if e.dev == "eth0"]
    assert len(released) == n
    assert all(eng.w["irqs"][d["irq"]]["vector"] for d in descs)
    assert len([e for e in events_of(eng, "irq.request") if e.dev == "eth0"]) == n


FULL_THEN_SMALL = LEGACY_FULL.replace(
    "devices:\n", "devices:\n  eth1: {bdf: \"00:04.0\", kind: nic, msix: {table_size: 4}}\n") + \
    "  - {on: 0, do: probe, dev: eth1, mode: msix, vectors: 4}\n"


def test_nothing_allocated_is_enospc_without_a_retry() -> None:
    """A second device finds the CPU full: its first descriptor gets no vector, the domain answers
    -ENOSPC (msi_handle_pci_fail: nothing allocated), and the helper does not retry."""
    eng = run_to_end(scenario(FULL_THEN_SMALL))
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "ok"
    assert eng.w["kernel"]["pci"]["eth1"]["status"] == "failed: ENOSPC"
    retries = [e for e in events_of(eng, "kernel") if e.fields["prog"] == "pci_enable_msix_range"]
    assert [e.dev for e in retries] == ["eth0"]


WIDE = """
name: wide
cpus: 2
platform: {kind: xen-hvm, xen: "4.14"}
kernel: {version: "%s"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 40}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 40}
"""


@pytest.mark.parametrize(("kernel", "retried"), [("5.10", True), ("5.17", False), ("6.6", False)])
def test_xen_hvm_pirqs_bound_before_a_failure_are_retried_only_before_5_17(kernel: str, retried: bool) -> None:
    """An HVM domU has 32 MSI pirqs; 40 MSI-X vectors: the 33rd PHYSDEVOP_get_free_pirq fails and
    xen_hvm_setup_msi_irqs answers -ENODEV. Before 60bf9b33c82c msix_capability_init counts the 32
    descriptors that got an irq and the helper retries with 32 -- whose pirqs an HVM teardown never
    unmapped, so the first get_free_pirq of the retry fails and the probe fails after all. From 5.17
    the -ENODEV fails the setup at once."""
    eng = run_to_end(scenario(WIDE % kernel))
    got = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    assert got == list(range(101, 69, -1)) + [-28] + ([-28] if retried else [])
    assert eng.w["kernel"]["pci"]["eth0"]["status"] == "failed: ENODEV"
    notes = _notes(eng, "pci_enable_msix_range")
    assert notes == (["setup could have 32 of 40 vectors: retry with 32"] if retried else [])
    assert eng.w["behaviour"]["msix_avail_retry"] is retried


def test_the_failed_pirq_descriptor_gets_no_irq() -> None:
    """xen_bind_pirq_msi_to_irq allocates the Linux irq after the pirq: the descriptor whose pirq
    failed never had one, so the teardown destroys 32 irqs and releases 32 descriptors' irqs."""
    eng = run_to_end(scenario(WIDE % "6.6"))
    destroyed = [e for e in events_of(eng, "xen.irq") if e.fields["how"] == "destroyed"]
    assert len(destroyed) == 32
    assert len([e for e in events_of(eng, "irq.release") if e.dev == "eth0"]) == 32


# --- 3. device vectors 0x00-0x1f at the local APIC -----------------------------------------------------
ILLEGAL = """
name: illegal-vector
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1, affinity: 1}
  - {at: 1ms, do: write, dev: eth0, target: msix-table, offset: 8, value: %s}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: %d, every: 100us}
"""


def test_a_vector_below_16_sets_esr_and_raises_the_apic_error_interrupt() -> None:
    """Data 0x05: CPU1's local APIC does not deliver it, sets ESR Received Illegal Vector and
    signals the LVT Error entry (0xfe); Linux's error interrupt writes/reads the ESR (clearing it),
    EOIs and reports the bit. The model only counted the signal lost."""
    eng = run_to_end(scenario(ILLEGAL % ("0x05", 1)))
    assert [e.fields["vector"] for e in events_of(eng, "apic.accept") if e.cpu == 1][-1] == 0xFE
    assert _notes(eng, "error_interrupt") == ["APIC error on CPU1: 40 : Received illegal vector"]
    assert eng.w["cpus"][1]["esr"] == 0                       # cleared by the handler's ESR write
    assert eng.w["kernel"]["irq_err_count"] == 1
    assert not [e for e in events_of(eng, "irq.handler") if e.fields["signals"]]
    lost = [h for h in eng.hits if h.name == "irq-lost"]
    assert [h.detail for h in lost] == ["eth0 vector 0: 1 signal(s) carried illegal vector 0x05: CPU1's local APIC "
                                     "does not deliver it (ESR Received Illegal Vector)"]


def test_repeated_illegal_vectors_before_the_handler_raise_one_error_interrupt() -> None:
    """Three messages 10 ns apart: the second and third find the ESR bit already set, so no new
    error interrupt; one report of the bit, three signals lost."""
    eng = run_to_end(scenario(ILLEGAL.replace("every: 100us", "every: 10ns") % ("0x05", 3)))
    assert len(_notes(eng, "error_interrupt")) == 1
    assert eng.w["acct"]["eth0"]["lost"][0] == 3


# --- 2. the Marvell quirk's suppressed MSI signals --------------------------------------------------
MARVELL_PVM = """
name: marvell-pvm
seed: 1
cpus: 2
kernel: {version: "5.15"}
devices:
  nvme0:
    bdf: "02:00.0"
    kind: generic
    msix: {table_size: 2}
    msi: {vectors: 1, per_vector_mask: true, addr64: true}
    quirks: [msix-mask-applies-when-disabled]
run:
  - {at: 0, on: 0, do: write, dev: nvme0, target: config, offset: 4, value: 2, size: 2}   # Memory Space on
  - {at: 0, on: 0, do: write, dev: nvme0, target: msix-table, offset: 12, value: 1}
  - {at: 10us, on: 0, do: probe, dev: nvme0, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: nvme0, vector: 0, count: 3, every: 10us}
  - {at: 200us, on: 0, do: write, dev: nvme0, target: msix-table, offset: 12, value: 0}
  - {at: 300us, on: 0, do: write, dev: nvme0, target: config, offset: %s, value: 1, size: 4}
  - {at: 310us, do: fire, dev: nvme0, vector: 0}
  - {at: 400us, on: 0, do: write, dev: nvme0, target: config, offset: %s, value: 0, size: 4}
"""


def test_quirk_suppressed_signals_are_not_sent_by_a_later_pending_bit_release() -> None:
    """Entry 0 masked while MSI-X is disabled: the 3 MSI signals are suppressed by the quirk and
    held for good. Later (entry unmasked, MSI vector masked) one signal sets the MSI pending bit
    and the unmask releases it: ONE message goes out. The model kept both in one held counter, so
    that release sent 4 signals -- the 3 suppressed ones delivered by a pending bit they never
    set. The 3 are lost at the end, with the quirk named."""
    from msidbg.model.hw import msi_layout

    mask = msi_layout(True)["mask"]
    eng = run_to_end(scenario(MARVELL_PVM % (mask, mask)))
    held = [e.fields["why"] for e in events_of(eng, "msi.held")]
    assert held == ["MSI-X entry mask (quirk): nothing releases it"] * 3 + ["MSI pending bit: vector masked"]
    a = eng.w["acct"]["nvme0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (4, 1, 3)
    lost = [h.detail for h in eng.hits if h.name == "irq-lost"]
    assert lost == ["nvme0 vector 0: 3 signal(s) were suppressed by MSI-X entry 0's mask bit while MSI-X was "
                    "disabled (quirk) and never released: in MSI mode the kernel never clears an MSI-X entry mask"]


# --- 4. names and duplicate notes ---------------------------------------------------------------------
def _entered(name: str, watch: tuple[str, ...]) -> set[str]:
    from msidbg.model import new_engine
    from tests.conftest import shipped

    eng = new_engine(shipped(name))
    eng.call_watch = set(watch)
    seen: set[str] = set()
    while eng.step():
        seen.update(eng.step_calls)
    return seen


def test_the_pci_msi_chip_s_set_affinity_has_its_kernel_s_name() -> None:
    """5.5's PCI-MSI chip has no irq_set_affinity of its own (MSI_FLAG_USE_DEF_CHIP_OPS installs
    msi_domain_set_affinity); 6f1a4891a592 (5.6) added msi_set_affinity. A `call msi_set_affinity`
    breakpoint on 5.5 used to fire on a function that kernel does not have."""
    both = ("msi_set_affinity", "msi_domain_set_affinity")
    assert _entered("msi-torn-affinity-update", both) == {"msi_domain_set_affinity"}
    assert _entered("msi-torn-affinity-update-plug-race", both) == {"msi_set_affinity"}


LEGACY_46 = """
name: legacy-46
cpus: 9
kernel: {version: "%s"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
"""


def test_one_legacy_assignment_is_one_vector_assign() -> None:
    """Before 4.15 the vector is assigned at allocation and the vector domain has no activate
    callback: 4.6's activation at request_irq (before f3b0946d629c activated at allocation) only
    writes the message. The model logged a second vector.assign for the same assignment there."""
    eng = run_to_end(scenario(LEGACY_46 % "4.6"))
    assigned = [(e.fields["irq"], e.fields["vector"]) for e in events_of(eng, "vector.assign")]
    assert len(assigned) == 2 and len(set(assigned)) == 2
