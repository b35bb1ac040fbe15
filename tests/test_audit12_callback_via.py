"""audit12: the HVM upcall's delivery follows the releases (readings xen.callback-vector, -global).

Linux from b1c3497e604d (6.0) on a Xen that advertises XEN_HVM_CPUID_UPCALL_VECTOR (e2d2b9fd7a, 4.17)
registers a per-vCPU upcall vector: Xen raises 0xf3 in the vLAPIC (vlapic_set_irq) and the guest EOIs
it at entry. Before either, the domain's global callback via (HVMIRQ_callback_vector): Xen injects 0xf3
while evtchn_upcall_pending is set, outside the vLAPIC -- no EOI, and an event the running upcall's loop
consumes injects nothing more. msidbg used the per-vCPU vector for every release.
"""

from __future__ import annotations

from msidbg.behaviour import resolve
from tests.mech_helpers import engine, evs, finish, inject, until

SCN = """
name: audit12-callback
cpus: 1
platform: {kind: xen-hvm, xen: "%s"}
kernel: {version: "%s"}
devices:
  n0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
  n1: {bdf: "00:05.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 1}
  - {at: 200us, on: 0, do: probe, dev: n1, mode: msix, vectors: 1}
  - {at: 1ms, do: fire, dev: n0, vector: 0, count: 6, every: 300ns}
  - {at: 1ms, do: fire, dev: n1, vector: 0, count: 6, every: 300ns}
"""


def _run(xen: str, kernel: str):  # type: ignore[no-untyped-def]
    return finish(engine(SCN % (xen, kernel), era={}))


def _upcall_eois(eng) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for e in evs(eng, "apic.eoi") if e.fields["vector"] == 0xF3)


def _upcall_entries(eng) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for e in evs(eng, "apic.accept") if e.fields["vector"] == 0xF3)


def test_the_global_callback_via_writes_no_eoi() -> None:
    old = _run("4.9", "4.9")
    assert _upcall_entries(old) > 0 and _upcall_eois(old) == 0


def test_the_per_vcpu_upcall_vector_is_eoied_at_entry() -> None:
    new = _run("4.17", "6.6")
    assert _upcall_entries(new) > 0 and _upcall_eois(new) == _upcall_entries(new)


def _mark_during_upcall(xen: str, kernel: str):  # type: ignore[no-untyped-def]
    """n0 signals; as the vCPU enters the upcall for it, n1 signals: Xen sets n1's port pending while
    the upcall runs (a new selector bit / queue head on the same vCPU marks the upcall pending again)."""
    eng = engine(SCN2 % (xen, kernel), era={})
    until(eng, lambda e: e.kind == "apic.accept" and e.fields["vector"] == 0xF3)
    inject(eng, "n1", 0)
    return finish(eng)


def test_a_mark_the_running_upcall_consumes_injects_no_second_upcall() -> None:
    """The per-vCPU vector is raised again (an upcall that finds nothing, its loop having handled n1);
    the global via only sets the flag the running loop reads."""
    old, new = _mark_during_upcall("4.16", "6.6"), _mark_during_upcall("4.17", "6.6")
    for eng in (old, new):
        assert totals(eng, "n0")["delivered"] == 1 and totals(eng, "n1")["delivered"] == 1
    assert _upcall_entries(old) == 1 and _upcall_entries(new) == 2


SCN2 = """
name: audit12-callback-mark
cpus: 1
platform: {kind: xen-hvm, xen: "%s"}
kernel: {version: "%s"}
devices:
  n0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
  n1: {bdf: "00:05.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 1}
  - {at: 200us, on: 0, do: probe, dev: n1, mode: msix, vectors: 1}
  - {at: 1ms, do: fire, dev: n0, vector: 0}
"""


def totals(eng, dev: str):  # type: ignore[no-untyped-def]
    from tests.conftest import totals as t
    return t(eng, dev)


def test_the_rows_date_both_halves() -> None:
    def table(kernel: str, xen: str) -> dict:  # type: ignore[type-arg]
        return resolve("xen-hvm", kernel=kernel, xen=xen).plain("xen-hvm")
    assert table("5.19", "4.17")["xen_percpu_upcall"] is False
    assert table("6.0", "4.17")["xen_percpu_upcall"] is True
    assert table("6.0", "4.16")["xen_upcall_vector_cpuid"] is False
    assert table("6.0", "4.17")["xen_upcall_vector_cpuid"] is True
