"""The x86 vector allocator before 4.15 (``kernel.vector_allocator: legacy``, 4.5..4.14).

Read in arch/x86/kernel/apic/vector.c of 4.13/4.14 (__assign_irq_vector, assign_irq_vector_policy,
apic_set_affinity, __send_cleanup_vector, smp_irq_move_cleanup_interrupt, irq_force_complete_move)
and kernel/irq/migration.c before a33a5d2d16cb. The matrix allocator (69cde0004a4b) replaced it in
4.15. Only the physflat allocation domain (one CPU) is modelled; the rest is refused at load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.model.hw import IRQ_MOVE_CLEANUP_VECTOR
from tests.conftest import events_of, hit_names, load_error, run_to_end, scenario, shipped, totals

ALLOC = """
name: legacy-alloc
cpus: 10
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
"""


def _assigned(eng: object) -> list[tuple[str, int, int]]:
    return [(e.dev, e.fields["vector"], e.fields["target"]) for e in events_of(eng, "vector.assign")]  # type: ignore[arg-type]


def _kinds(eng: object, *kinds: str) -> list[str]:
    return [e.kind for e in eng.log.events(1, len(eng.log) + 1) if e.kind in kinds]  # type: ignore[attr-defined]


def test_4_14_assigns_at_allocation_on_cpu0_in_strides_of_16() -> None:
    """4.14: x86_vector_alloc_irqs assigns every MSI its vector when it is allocated (no
    reservation), from the node's CPUs: the first online CPU, CPU0. The search starts from the
    cursor 0x21 in steps of 16: 0x31 belongs to ISA irq 1 on CPU0, so 0x41, 0x51, 0x61, then
    the xHCI's 0x71 -- all before any request_irq. (4.15: the next test.)"""
    eng = run_to_end(scenario(ALLOC.replace("VERSION", "4.14")))
    assert _assigned(eng) == [("eth0", 0x41, 0), ("eth0", 0x51, 0), ("eth0", 0x61, 0), ("xhci", 0x71, 0)]
    kinds = _kinds(eng, "vector.assign", "irq.request")
    assert kinds[:4] == ["vector.assign"] * 3 + ["irq.request"]   # eth0's three before its first request
    assert eng.w["kernel"]["vec_cursor"] == [0x71, 1]
    assert [eng.w["cpus"][0]["vector_irq"].get(v) for v in (0x41, 0x51, 0x61, 0x71)] == [24, 25, 26, 27]


def test_4_15_reserves_and_assigns_at_activation_on_the_emptiest_cpu() -> None:
    """The same devices on 4.15 (69cde0004a4b): MSI-X irqs only reserve at allocation and get
    their vector at request_irq's activation, each on the CPU with the most free vectors
    (CPU0 holds the ISA vectors), lowest vector 0x21; the non-maskable MSI, which has no
    reservation mode, is assigned at allocation."""
    eng = run_to_end(scenario(ALLOC.replace("VERSION", "4.15")))
    assert _assigned(eng) == [("eth0", 0x21, 1), ("eth0", 0x21, 2), ("eth0", 0x21, 3), ("xhci", 0x21, 4)]
    assert _kinds(eng, "vector.assign", "irq.request")[:2] == ["irq.request", "vector.assign"]
    assert "vec_cursor" not in eng.w["kernel"]
    assert eng.w["behaviour"]["vector_allocator"] == "matrix"


MOVE = """
name: legacy-move
cpus: 10
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, on: 9, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
  - {at: 200us, do: fire, dev: eth0, vector: 0}
  - {at: 300us, do: fire, dev: eth0, vector: 0}
"""


def test_4_14_move_and_its_cleanup() -> None:
    """A deferred move on 4.14: the interrupt on CPU0 applies it (next stride vector 0x51 on
    CPU5, the message rewritten); the first interrupt on 0x51 at CPU5 completes the move and
    sends IRQ_MOVE_CLEANUP_VECTOR to CPU0, whose handler frees 0x41 (slot back to UNUSED)."""
    eng = run_to_end(scenario(MOVE.replace("VERSION", "4.14")))
    assert _assigned(eng) == [("eth0", 0x41, 0), ("eth0", 0x51, 5)]
    ipis = [(e.fields["target"], e.fields["vector"]) for e in events_of(eng, "apic.ipi")]
    assert ipis == [(0, IRQ_MOVE_CLEANUP_VECTOR)]
    freed = [(e.fields["vector"], e.fields["target"]) for e in events_of(eng, "vector.free")]
    assert freed == [(0x41, 0)]
    assert 0x41 not in eng.w["cpus"][0]["vector_irq"]
    assert eng.w["cpus"][5]["vector_irq"][0x51] == 24
    d = eng.w["irqs"][24]
    assert (d["vector"], d["cpu"], d["prev_vector"], d["move_in_progress"], d["cleanup_pending"]) == (0x51, 5, 0, False, False)
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}


BUSY = """
name: legacy-busy
cpus: 10
kernel: {version: "4.14"REARM}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 100us, on: 9, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
  - {at: 200us, do: fire, dev: eth0, vector: 0}
  - {at: 300us, on: 9, do: set_affinity, dev: eth0, vector: 0, cpu: 3}
  - {at: 340us, do: fire, dev: xhci, vector: 0, count: 100, every: 1us}
  - {at: 350us, do: fire, dev: eth0, vector: 0}
  - {at: 900us, do: fire, dev: eth0, vector: 0}
"""


@pytest.mark.parametrize("rearm", [False, True])
def test_4_14_a_move_refused_busy_is_dropped_before_a33a5d2d16cb(rearm: bool) -> None:
    """eth0 moved CPU0 -> CPU5; an xHCI storm on CPU0 keeps the cleanup IPI (vector 0x20, the
    lowest priority) waiting there. The next eth0 interrupt, on CPU5, completes the move and then
    applies the pending move to CPU3: __assign_irq_vector says -EBUSY (old_domain still holds
    online CPU0). 4.14's irq_move_masked_irq clears pending_mask anyway: eth0 stays on CPU5 for
    good. With a33a5d2d16cb (4.18, ``move_busy_rearm``) the move stays pending and the interrupt
    at 900us applies it."""
    eng = run_to_end(scenario(BUSY.replace("REARM", ", move_busy_rearm: true" if rearm else "")))
    notes = [e.fields["value"] for e in events_of(eng, "kernel") if e.fields["what"] == "vector assignment failed"]
    assert notes == [-16]
    eth0 = [a for a in _assigned(eng) if a[0] == "eth0"]
    if rearm:
        assert eth0 == [("eth0", 0x41, 0), ("eth0", 0x61, 5), ("eth0", 0x71, 3)]
        assert eng.w["irqs"][24]["cpu"] == 3
    else:
        assert eth0 == [("eth0", 0x41, 0), ("eth0", 0x61, 5)]
        d = eng.w["irqs"][24]
        assert (d["cpu"], d["move_pending"], d["pending_mask"]) == (5, False, [])


def test_4_14_cpu_offline_moves_to_the_first_online_cpu() -> None:
    """CPU5 goes offline under eth0 (affinity {5}): migrate_one_irq breaks the affinity to the
    online CPUs and 4.14's __assign_irq_vector takes the first, CPU0, with the cursor's next
    vector 0x61; the old vector on the dying CPU is not moved (it leaves with the CPU). The
    matrix (4.15) picks the emptiest CPU, CPU1, at 0x21."""
    offline = MOVE + """  - {at: 400us, on: 9, do: cpu_offline, cpu: 5}
  - {at: 2ms, do: fire, dev: eth0, vector: 0}
"""
    eng = run_to_end(scenario(offline.replace("VERSION", "4.14")))
    assert _assigned(eng)[-1] == ("eth0", 0x61, 0)
    assert eng.w["cpus"][0]["vector_irq"][0x61] == 24
    assert totals(eng, "eth0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    eng = run_to_end(scenario(offline.replace("VERSION", "4.15")))
    assert _assigned(eng)[-1] == ("eth0", 0x21, 1)


def test_4_14_cpu_online_gives_a_shut_down_managed_irq_its_slot_back() -> None:
    """A managed irq whose only CPU goes offline is shut down and keeps its vector on 4.14 (no
    x86_vector_deactivate); when the CPU comes back, __setup_vector_irq puts the irq back in that
    CPU's vector_irq, and the restarted irq stays on its vector (its domain is that CPU)."""
    text = """
    name: legacy-managed
    cpus: 10
    kernel: {version: "4.14", nvme_irq_layout: pre-vector}   # the layout of 22b5560195bd: index 10 on CPU9
    devices:
      nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
    run:
      - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 11}
      - {at: 1ms, on: 0, do: cpu_offline, cpu: 9}
      - {at: 3ms, on: 0, do: cpu_online, cpu: 9}
      - {at: 4ms, do: fire, dev: nvme0, vector: 10}
    """
    eng = run_to_end(scenario(text))
    last = [d for d in eng.w["irqs"].values() if d["dev"] == "nvme0" and d["index"] == 10][0]
    assert last["is_managed"] and last["affinity"] == [9]
    # allocated on CPU0 at 0xe1 (the eleventh stride), moved to its CPU at startup (0xb2: the
    # cursor wrapped to offset 2; 0x32 is irq 2's on every CPU before 4.15 -- redteam20, reading
    # kernel.vector.legacy-cascade -- so the stride skips it: 0xa2 before), the move force-completed at the offline (0xe1 freed on CPU0);
    # the restarted irq's activation assigns nothing (4.14's vector domain has no activate
    # callback), so no third vector.assign (kernfid3: the model used to report 0xa2 again)
    mine = [(e.fields["vector"], e.fields["target"]) for e in events_of(eng, "vector.assign") if e.fields["irq"] == last["irq"]]
    assert mine == [(0xE1, 0), (0xB2, 9)]
    freed = [(e.fields["vector"], e.fields["target"]) for e in events_of(eng, "vector.free")]
    assert freed == [(0xE1, 0)]
    assert last["cpu"] == 9 and eng.w["cpus"][9]["vector_irq"][0xB2] == last["irq"]
    assert totals(eng, "nvme0")["delivered"] == 1


def test_the_2020_seed_is_unchanged_and_a_4_14_variant_still_tears() -> None:
    """The 2020 seed (5.5, 4 CPUs) runs the matrix as before. On 4.14 the same mechanism is
    there -- msi_set_affinity writes address then data, 6f1a4891a592 is not in 4.14 -- and every
    legacy move changes the vector (the cursor moves on), so each one can tear. 4.14 on 4 CPUs is
    flat logical (refused at load), so the variant has 10 CPUs; the writes run on CPU9, since on
    4.14 the xHCI starts on CPU0 and its storm would starve CPU0's process context."""
    seed = shipped("msi-torn-affinity-update")
    assert seed.behaviour.plain()["vector_allocator"] == "matrix"
    eng = run_to_end(seed)
    assert totals(eng, "xhci")["lost"] == 8
    text = Path(seed.path).read_text()
    text = text.replace('version: "5.5"', 'version: "4.14"').replace("cpus: 4", "cpus: 10")
    text = text.replace("on: 0, do: set_affinity", "on: 9, do: set_affinity").replace("on: 0, do: cpu_o", "on: 9, do: cpu_o")
    eng = run_to_end(scenario(text))
    assert {"msi-torn-message", "irq-spurious"} <= hit_names(eng)
    # (redteam11: 14, was 16 -- CPU2 takes the edges pending at the end of each handler before its stopper
    # acks, so cpu_offline's move comes after the stream instead of during it)
    assert totals(eng, "xhci") == {"raised": 1200, "delivered": 1186, "lost": 14, "spurious": 14}


BARE = """name: legacy-refused
cpus: CPUS
platform: {interrupt_remapping: REMAP}
kernel:
  version: "VERSION"
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
"""


@pytest.mark.parametrize(("cpus", "remap", "version", "needle"), [
    (4, "false", "4.14", "flat logical APIC driver"),
    (8, "false", "4.9", "flat logical APIC driver"),
    (16, "true", "4.14", "the vector domain under interrupt remapping is not modelled"),
    (16, "false", "3.10", "before the 4.5 vector cleanup series"),
    (16, "false", "4.4", "before the 4.5 vector cleanup series"),
])
def test_what_the_legacy_model_does_not_cover_is_refused_at_load(
        tmp_path: Path, cpus: int, remap: str, version: str, needle: str) -> None:
    text = BARE.replace("CPUS", str(cpus)).replace("REMAP", remap).replace("VERSION", version)
    line = load_error(tmp_path, text)
    assert "kernel.version" in line and needle in line and ":5:" in line    # the version's line


def test_an_explicit_legacy_allocator_is_checked_too(tmp_path: Path) -> None:
    text = BARE.replace("CPUS", "4").replace("REMAP", "false").replace('version: "VERSION"', 'version: "4.9"\n  vector_allocator: legacy')
    line = load_error(tmp_path, text)
    assert "kernel.vector_allocator" in line and "flat logical APIC driver" in line


def test_an_explicit_legacy_allocator_on_a_matrix_kernel_is_refused(tmp_path: Path) -> None:
    """legacy models 4.14's vector.c; 4.15 and later have the matrix's reservation, activation and
    cleanup (6.6's timer on what was the cleanup vector), which the legacy model would clash with."""
    text = BARE.replace("CPUS", "16").replace("REMAP", "false").replace(
        'version: "VERSION"', 'version: "6.6"\n  vector_allocator: legacy')
    line = load_error(tmp_path, text)
    assert "kernel.vector_allocator" in line and "Linux 6.6 has the matrix allocator" in line and ":6:" in line


def test_pirq_guests_on_old_kernels_still_load() -> None:
    """Xen HVM guests with pirqs (the 2017 seeds: 4.9 / 4.11 on 3 vCPUs) never allocate a guest
    vector for their MSIs: nothing to refuse, and no vector is assigned."""
    scn = shipped("xen-pirq-reuse-nvme")
    assert scn.behaviour.plain()["vector_allocator"] == "legacy"
    assert not events_of(run_to_end(scn), "vector.assign")


def test_an_apic_virtualised_4_14_guest_runs_the_legacy_allocator() -> None:
    """A Xen HVM guest with APIC virtualization uses the native x86 MSI domain, so a 4.14 guest
    on 10 vCPUs assigns as 4.14 does (at allocation, CPU0, 0x41 then 0x51), and QEMU binds the
    passed-through MSI with that vector and destination."""
    eng = run_to_end(scenario("""
        name: apicv-legacy
        cpus: 10
        platform: {kind: xen-hvm, xen: "4.16", apic_virtualization: true}
        kernel: {version: "4.14"}
        devices:
          xhci: {bdf: "00:14.0", kind: xhci, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
          eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
        run:
          - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
          - {on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
          - {at: 1ms, do: fire, dev: xhci, vector: 0, count: 3, every: 3ms}
        """))
    assert _assigned(eng) == [("xhci", 0x41, 0), ("eth0", 0x51, 0)]
    assert totals(eng, "xhci") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    pirq = next(p for p, r in eng.w["xen"]["pirqs"].items() if r["dev"] == "xhci")
    assert (eng.w["xen"]["pirqs"][pirq]["gvec"], eng.w["xen"]["pirqs"][pirq]["gdest"]) == (0x41, 0)


FIXUP = """
name: legacy-fixup
cpus: 10
kernel: {version: "VERSION"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: default_affinity, cpus: [3, 5, 7]}
  - {on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: cpu_offline, cpu: 3}
  - {at: 2ms, do: fire, dev: eth0, vector: 0}
  - {at: 3ms, on: 0, do: cpu_online, cpu: 3}
  - {at: 4ms, on: 0, do: cpu_offline, cpu: 7}
  - {at: 6ms, do: fire, dev: eth0, vector: 0}
"""


def test_before_4_13_offlining_any_cpu_of_the_mask_re_sets_the_irq() -> None:
    """eth0 (affinity {3,5,7}) starts on CPU0, moves to CPU3 at startup, to CPU5 when CPU3 goes
    offline; CPU3 comes back. Offlining CPU7 -- not eth0's CPU -- on 4.9: x86 fixup_irqs re-sets
    every irq whose mask is no longer all online, so __assign_irq_vector takes the first online
    CPU of {3,5}: eth0 moves to CPU3 (0x71) and CPU5's 0x61 is cleaned up after the next
    interrupt; the mask stays {3,5,7}. On 4.14 (irq_migrate_all_off_this_cpu) only irqs targeting
    the dying CPU move: eth0 stays on CPU5."""
    eng = run_to_end(scenario(FIXUP.replace("VERSION", "4.9")))
    assert _assigned(eng) == [("eth0", 0x41, 0), ("eth0", 0x51, 3), ("eth0", 0x61, 5), ("eth0", 0x71, 3)]
    d = eng.w["irqs"][24]
    assert (d["cpu"], d["vector"], d["affinity"]) == (3, 0x71, [3, 5, 7])
    assert (0x61, 5) in [(e.fields["vector"], e.fields["target"]) for e in events_of(eng, "vector.free")]
    assert totals(eng, "eth0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
    eng = run_to_end(scenario(FIXUP.replace("VERSION", "4.14")))
    assert _assigned(eng) == [("eth0", 0x41, 0), ("eth0", 0x51, 3), ("eth0", 0x61, 5)]
    assert eng.w["irqs"][24]["cpu"] == 5


ROUTED = """name: legacy-routed
cpus: 4
platform: {apic_routing: ROUTING}
kernel:
  version: "VERSION"
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
"""


@pytest.mark.parametrize("routing", ['"physical flat"'])
def test_a_physical_apic_driver_on_few_cpus_runs_the_legacy_allocator(routing: str) -> None:
    """4 CPUs would be flat logical, unless dmesg says otherwise (the FADT physical flag gives
    physflat): the one-CPU allocation domain. (Physical x2APIC without remapping is refused before
    6.1 on bare metal: try_to_enable_x2apic turns x2APIC off there; tests/test_apicmode.py.)"""
    eng = run_to_end(scenario(ROUTED.replace("ROUTING", routing).replace("VERSION", "4.14")))
    assert _assigned(eng) == [("eth0", 0x41, 0), ("eth0", 0x51, 0)]


@pytest.mark.parametrize(("routing", "version", "needle"), [
    ('"flat"', "4.14", "the flat APIC driver before 4.15"),
    ('"cluster x2apic"', "4.9", "the cluster x2apic APIC driver before 4.15"),
    # apicaddr: from 4.15 on the field is read too (it sets the message's destination format); a
    # routing that cannot be is still refused
    ('"cluster x2apic"', "5.4", "x2APIC cluster mode"),
])
def test_apic_routing_that_is_not_modelled_or_not_read_is_refused(
        tmp_path: Path, routing: str, version: str, needle: str) -> None:
    line = load_error(tmp_path, ROUTED.replace("ROUTING", routing).replace("VERSION", version))
    assert "platform.apic_routing" in line and needle in line and ":3:" in line
