"""audit16: the hypothetical readings read against upstream again, and a seeded sample of confirmed ones.

Verdicts: device.msi.latch-on-enable (f3b0946d629c's message: end-points may latch the MSI registers when MSI
is enabled), xen.intx.isa-link (Xen's vioapic_reset, hvmloader's APIC-mode _PRT, Linux's clear_IO_APIC) and
kernel.intx.remapped-fault (an IOxAPIC sets Remote IRR when it sends; the remapping unit blocks the request) are
confirmed; the other 17 stay hypothetical -- most are the model's own termination rules or abstractions
(kernel.spin-forever, kernel.intx.poll-bound, xen.intx.timer-bound, xen.host-abstract, ...), which no source
can confirm; xen.callback-vector-global now cites Xen's injection order it departs from, and
kernel.entry.exception-vector-effect records the SDM search that found no passage.

The sample: random.Random(16).sample(sorted confirmed keys, 15) over the 196 confirmed readings before audit16.
14 say what their citation says at the named tag or commit; kernel.entry.system-vector quoted
DECLARE_IDTENTRY_SYSVEC(IRQ_MOVE_CLEANUP_VECTOR, ...) as v6.6's, which has none (bdc1dad299bb removed it for
6.6): it now cites that commit for the 5.8 .. 6.5 line.
"""

from __future__ import annotations

import random

import msidbg.model.fidelity  # noqa: F401  (registers every reading)
from msidbg import behaviour as bh
from msidbg.behaviour import resolve
from msidbg.model import cite

#: what audit15 left hypothetical, less the three audit16 confirmed
STILL_HYPOTHETICAL = {
    "bus.x2apic-without-remapping", "kernel.actions.offline-cpu-waits",
    "kernel.entry.exception-vector-effect", "kernel.intx.not-modelled",
    "kernel.intx.poll-bound", "kernel.spin-forever", "linux.aws-version",
    "linux.pv-pciback-one-step", "qemu.bind-on-write", "qemu.emulated-register-access", "seed003.two-implied-calls",
    "xen.callback-vector-global", "xen.host-abstract", "xen.intx.pv-ack-type",
    "xen.intx.pv-bind-at-boot", "xen.intx.pv-not-modelled", "xen.intx.timer-bound",
}

#: the seeded sample re-verified by audit16 (drawn from the confirmed readings before it)
SAMPLE = [
    "kernel.irq.resend-hardware-first", "kernel.vector.legacy-flat-not-modelled", "kernel.vector.no-move-in-mask",
    "kernel.hotplug.stop-machine-rendezvous", "kernel.msi.range-retry", "kernel.entry.exception-vector",
    "kernel.vector.activation-mask", "amdvi.atomic-irte", "kernel.msi.multi-cap-mask", "xen.intx.assist",
    "xen.msixtbl.forward-after-address-change", "kernel.hotplug.dying-window", "kernel.entry.system-vector",
    "xen.host-physical-mode", "kernel.edge.inprogress-pending",
]


def _hypothetical() -> set[str]:
    return {k for k, r in cite.READINGS.items() if r.status == "hypothetical"}


def test_the_hypothetical_readings_after_audit16() -> None:
    assert _hypothetical() == STILL_HYPOTHETICAL


def test_msi_latch_on_enable_is_confirmed_by_f3b0946d629c() -> None:
    r = cite.READINGS["device.msi.latch-on-enable"]
    assert r.status == "confirmed"
    assert [(s.repo, s.ref) for s in r.sources] == [("torvalds/linux", "f3b0946d629c")]
    assert "allowed to latch the content of the MSI configuration registers as soon as MSIs are enabled" in r.quote


def test_isa_link_is_confirmed_on_both_halves() -> None:
    """The Xen half (the link's ISA irq is asserted too) and the guest half (that entry stays masked): Xen's
    reset state, hvmloader's APIC-mode routing table and Linux's boot-time masking are each cited."""
    r = cite.READINGS["xen.intx.isa-link"]
    assert r.status == "confirmed"
    paths = " ".join(s.path for s in r.sources)
    assert "tools/libacpi/mk_dsdt.c" in paths and "xen/arch/x86/hvm/vioapic.c" in paths
    assert "arch/x86/kernel/apic/io_apic.c" in paths
    assert "PRTA" in r.quote and ".fields.mask = 1" in r.quote and "except for the mask bit" in r.quote


def test_a_remapping_fault_leaves_remote_irr_set_by_the_ioxapic_datasheet() -> None:
    """The IOxAPIC sets Remote IRR when it sends (not when a local APIC accepts, the 82093AA's wording), so a
    message the remapping unit blocks leaves it set until an EOI no CPU will send."""
    r = cite.READINGS["kernel.intx.remapped-fault"]
    assert r.status == "confirmed"
    assert "This bit is set when IOxAPIC sends the level interrupt message to the CPU" in r.quote
    assert {s.repo for s in r.sources} == {"Intel Atom C2000 datasheet vol. 2", "Intel VT-d specification"}
    assert cite.READINGS["iommu.faults"].status == "confirmed"


def test_the_cleanup_vector_entry_is_not_cited_at_a_release_without_it() -> None:
    """v6.6 declares no IRQ_MOVE_CLEANUP_VECTOR entry (bdc1dad299bb, x86/apic for 6.6-rc1, removed it): the
    reading's quote of that line must come from a source whose range ends at 6.5."""
    r = cite.READINGS["kernel.entry.system-vector"]
    cleanup = [s for s in r.sources if "IRQ_MOVE_CLEANUP_VECTOR" in s.function]
    assert [s.ref for s in cleanup] == ["bdc1dad299bb"] and "..6.5" in cleanup[0].versions
    assert all("IRQ_MOVE_CLEANUP_VECTOR" not in s.function for s in r.sources if s.ref == "v6.6")
    # the behaviour table agrees: from 6.6 the cleanup is a timer, not that vector
    row = next(x for x in bh.rows() if x.name == "vector_cleanup")
    assert any(c.release == "6.6" and c.commit.startswith("bdc1dad299bb") for c in row.history)


def test_the_callback_vector_reading_cites_the_order_it_departs_from() -> None:
    r = cite.READINGS["xen.callback-vector-global"]
    assert r.status == "hypothetical"
    assert [s.function.split(" ")[0] for s in r.sources] == ["hvm_vcpu_has_pending_irq"]
    assert "vlapic_has_pending_irq" in r.quote


def test_the_sample_is_the_seeded_draw_and_stays_confirmed() -> None:
    """The draw is reproducible from the confirmed set before audit16 (today's confirmed readings less the three
    audit16 confirmed); every sampled reading is still confirmed with a source and a quote."""
    before = sorted(k for k, r in cite.READINGS.items() if r.status == "confirmed"
                    and k not in {"device.msi.latch-on-enable", "xen.intx.isa-link",
                                  "kernel.intx.remapped-fault"})
    assert len(before) == 196
    assert random.Random(16).sample(before, 15) == SAMPLE
    for key in SAMPLE:
        r = cite.READINGS[key]
        assert r.status == "confirmed" and r.sources and r.quote, key


def test_no_hypothetical_value_is_a_default_or_any_preset() -> None:
    """Re-checked for audit16 on every release a preset can name, per platform kind; and the one
    hypothetical value in the table is xen_pt_bind's on-write."""
    hyp = {r.name: set(r.hypothetical) for r in bh.rows() if r.hypothetical}
    assert hyp == {"xen_pt_bind": {"on-write"}}
    assert all(r.default not in r.hypothetical and r.initial not in r.hypothetical for r in bh.rows())
    for layer, version in bh.presets():
        for kind in ("bare-metal", "xen-hvm", "xen-pv"):
            args = {"kernel": {"kernel": version.text}, "xen": {"xen": version.text},
                    "qemu": {"qemu": version.text} if kind == "xen-hvm" else {}}[layer]
            for r in resolve(kind, **args).rows:
                assert r.value not in hyp.get(r.name, set()), (layer, version.text, kind, r.name)
