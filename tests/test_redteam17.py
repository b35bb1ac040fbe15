"""redteam17: held-out scenarios on new topologies and version boundaries (tests/heldout17/*.yaml), each
pinned to what the upstream source at the named release predicts, and the mechanisms they found wrong.
Each test of a fix failed on the code before it (see the report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.debugger import headless
from msidbg.scenario import load_scenario, load_scenario_text
from tests.conftest import events_of, run_to_end, scenario

HELD = Path(__file__).parent / "heldout17"


def _run(name: str):  # type: ignore[no-untyped-def]
    return run_to_end(load_scenario(str(HELD / f"{name}.yaml")))


def _done(eng, do: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [e.fields["result"] for e in events_of(eng, "action.done") if e.fields.get("do") == do]


def _notes(eng, prog: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(e.fields.get("what")) for e in events_of(eng, "kernel") if e.fields.get("prog") == prog]


def _acct(eng, dev: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    a = eng.w.acct[dev]
    return sum(a["raised"]), sum(a["delivered"]), sum(a["lost"])


# --- the IA32 syscall gate 0x80 is a system vector of the matrix (4.15+) ------------------------------------

def test_matrix_never_hands_out_the_ia32_syscall_vector() -> None:
    """arch/x86/kernel/idt.c: def_idts has SYSG(IA32_SYSCALL_VECTOR, ...) under CONFIG_IA32_EMULATION and
    idt_setup_traps() installs it with sys=true (set_bit(t->vector, system_vectors)); apic/vector.c
    lapic_assign_system_vectors() makes every bit of system_vectors a system vector of the matrix
    (irq_matrix_assign_system), and idt_setup_apic_and_irq_gates() gives 0x80 no irq entry. So 150 vectors
    pinned to CPU1 go 0x7f, 0x81: the model used to hand 0x80 to a device."""
    eng = run_to_end(scenario("""
        name: gate
        cpus: 2
        platform: {apic_routing: physical flat}
        kernel: {version: "6.6"}
        devices:
          big: {bdf: "00:03.0", kind: nic, msix: {table_size: 256}}
        run:
          - {at: 0, on: 0, do: probe, dev: big, mode: msix, vectors: 150, affinity: 1}
        """))
    vectors = [e.fields["vector"] for e in events_of(eng, "vector.assign")]
    assert len(vectors) == 150 and 0x80 not in vectors
    assert 0x7F in vectors and 0x81 in vectors


@pytest.mark.parametrize(("name", "refused", "note"), [
    # 6.6 (bdc1dad299bb: 0x20 is a device vector): CPU1 holds up to 202 (0x20..0xeb without 0x32, 0x80),
    # CPU0 one fewer (the timer's 0x30): 201 moves, 202 do not fit
    ("r06-unplug-boundary-k66-n201", False, ""),
    ("r06-unplug-boundary-k66-n202", True, "CPU 1 has 202 vectors, 201 available"),
    # 6.5: 0x20 is IRQ_MOVE_CLEANUP_VECTOR, a system vector: 201 / 200
    ("r06-unplug-boundary-k65-n200", False, ""),
    ("r06-unplug-boundary-k65-n201", True, "CPU 1 has 201 vectors, 200 available"),
])
def test_unplug_boundary_counts_the_system_vectors(name: str, refused: bool, note: str) -> None:
    """lapic_can_unplug_cpu(): 'if (avl < tomove) { pr_warn("CPU %u has %u vectors, %u available. Cannot
    disable CPU\\n", ...); ret = -ENOSPC; }' with tomove = irq_matrix_allocated() on CPU1 and avl =
    irq_matrix_available(m, true), CPU0's free vectors. With 0x80 allocatable the model let the 6.6/202
    and 6.5/201 offlines through (and piled 202 irqs into CPU0's 201 free vectors)."""
    eng = _run(name)
    assert _done(eng, "cpu_offline") == ([-28] if refused else [0])
    assert eng.w.cpus[1].online is refused
    cannot = [s for s in _notes(eng, "take_cpu_down") if "Cannot disable CPU" in s]
    assert cannot == ([f"lapic_can_unplug_cpu: {note}. Cannot disable CPU"] if refused else [])
    assert _acct(eng, "big") == (7, 7, 0)


# --- the held-out scenarios: expect blocks and what the source predicts at each version boundary ------------

@pytest.mark.parametrize("path", sorted(HELD.glob("*.yaml")), ids=lambda p: p.stem)
def test_heldout17_expect_blocks(path: Path) -> None:
    """Each file's expect block is the outcome the upstream source predicts (the table in the report)."""
    assert headless.check(load_scenario(str(path))) == []


def _fields(eng, kind: str, **match: object) -> list[dict]:  # type: ignore[no-untyped-def]
    return [dict(e.fields) for e in events_of(eng, kind) if all(e.fields.get(k) == v for k, v in match.items())]


@pytest.mark.parametrize(("version", "torn"), [("5.4.18", True), ("5.4.19", False)])
def test_plain_msi_tears_until_the_5_4_19_backport(version: str, torn: bool) -> None:
    """6f1a4891a592 (5.6; 5.4.19): msi_set_affinity's two-step update for a non-maskable MSI. Before it
    msi_domain_set_affinity writes address then data: an xHCI signal in between carries the new CPU with
    the old vector, which on CPU5 is the NVMe's managed queue vector (its handler gets it)."""
    eng = _run(f"r02-mixed-xhci-msi-k{version.replace('.', '')}")
    assert bool([h for h in eng.hits if h.name == "msi-torn-message"]) is torn
    raised, delivered, lost = _acct(eng, "xhci")
    assert (raised, lost) == (600, 2 if torn else 0) and delivered == raised - lost


@pytest.mark.parametrize(("version", "addr"), [("6.11.2", 0xFEE20004), ("6.11.3", 0xFEE05000)])
def test_flat_logical_until_the_6_11_3_backport(version: str, addr: int) -> None:
    """838ba7733e4e (6.12; 6.11.3, 6.10.14): no flat logical APIC driver on 64-bit. 8 CPUs without
    remapping: 6.11.2 runs apic_flat (destination 1 << 5, Destination Mode logical: bit 2), 6.11.3
    physflat (APIC id 5)."""
    eng = _run(f"r08-flat8-k{version.replace('.', '')}")
    assert {f["addr"] for f in _fields(eng, "msi.msg")} == {addr}


@pytest.mark.parametrize(("version", "how", "first"), [("5.7.9", "pending", 2), ("5.7.10", "stored", 7),
                                                      ("5.7.16", "stored", 7), ("5.7.17", "stored", 7)])
def test_affinity_before_request_irq_until_the_5_7_10_backport(version: str, how: str, first: int) -> None:
    """baedb87d1b53 (5.8; 5.7.10 -- audit20: the 5.7.10-rc1 review carries it; this said 5.7.17, where its
    opt-in 6615d75d56f1 came, which changes nothing for the x86 vector domain): irq_set_affinity() on a not
    yet activated irq only stores the mask, request_irq activates it on CPU7. Before: a pending move
    (IRQD_SETAFFINITY_PENDING), the irq activated where the allocation-time mask puts it, moved masked at its
    first interrupt. (heldout17's r09 k5716 says 5.7.17 in its 'about'; its expectations hold either way.)"""
    text = (HELD / "r09-affinity-activate-k5716.yaml").read_text().replace('version: "5.7.16"', f'version: "{version}"')
    eng = run_to_end(load_scenario_text(text, "r09.yaml"))
    assert [f["how"] for f in _fields(eng, "irq.affinity", irq=25)] == [how]
    assert [f["target"] for f in _fields(eng, "vector.assign", irq=25)] == ([first, 7] if first != 7 else [7])


@pytest.mark.parametrize(("version", "result"), [("5.4.22", 0), ("5.4.23", -22)])
def test_offline_mask_write_until_the_5_4_23_backport(version: str, result: int) -> None:
    """cba6437a1854 (5.6; 5.4.23): write_irq_affinity returns -EINVAL for a mask without an online CPU.
    Before, irq_select_affinity_usr() re-ran irq_setup_affinity(): the probe's stored mask is still pending
    (pre-5.8) and AFFINITY_SET points at the allocation-time copy, so nothing moves and the write succeeds."""
    eng = _run(f"r10-proc-offline-k{version.replace('.', '')}")
    assert _done(eng, "set_affinity") == [result]
    assert [f["target"] for f in _fields(eng, "vector.assign", irq=25)] == [2, 4]


@pytest.mark.parametrize(("version", "final"), [("4.12", 3), ("4.13", 5)])
def test_x86_fixup_irqs_moves_an_irq_not_on_the_dying_cpu_before_4_13(version: str, final: int) -> None:
    """4.12's arch/x86 fixup_irqs re-sets every irq whose affinity is not all online ({3,5,7} without
    CPU7), and the legacy __assign_irq_vector takes the first online CPU of the mask: CPU3. From 4.13
    (irq_migrate_all_off_this_cpu) only irqs targeting the dying CPU move: it stays on CPU5."""
    eng = _run(f"r11-legacy-fixup-k{version.replace('.', '')}")
    assert eng.w.irqs[25].cpu == final
    assert {f["target"] for f in _fields(eng, "vector.assign", irq=25) if f["target"] != 0} == (
        {5, 3} if final == 3 else {5})


@pytest.mark.parametrize(("version", "unbalanced"), [("6.15", True), ("6.16", False)])
def test_managed_disable_depth_across_a_two_cpu_mask(version: str, unbalanced: bool) -> None:
    """788019eb559f (6.16): a managed irq the driver disabled stays shut down across the offline of both
    CPUs of its mask and the return of one (irq_startup_managed: depth 2 -> 1); its 3 edges wait in the PBA
    until enable_irq starts it. 6.15: irq_startup at the return sets depth 0, the handler runs while the
    driver holds it disabled, and enable_irq WARNs 'Unbalanced enable for IRQ 26'."""
    eng = _run(f"r12-managed-disable-2cpu-k{version.replace('.', '')}")
    hows = [f["how"] for f in _fields(eng, "irq.enable", irq=26)]
    assert hows == (["WARN: Unbalanced enable for IRQ 26"] if unbalanced else ["irq_startup"])
    runs = [f["signals"] for f in _fields(eng, "irq.handler", irq=26)]
    assert runs == ([1, 1, 1] if unbalanced else [3])


@pytest.mark.parametrize(("version", "conflict"), [("3.10.105", True), ("3.10.106", False)])
def test_cached_pirq_reuse_until_the_3_10_106_backport(version: str, conflict: bool) -> None:
    """c74fd80f2f41 (4.11; 3.10.106, 4.10.7): xen_hvm_setup_msi_irqs no longer re-uses the pirq read back
    from the entry. On 3.10.105 the seed's three-NVMe race conflicts (EVTCHNOP_bind_pirq) and two admin
    commands time out."""
    eng = _run(f"x04-reuse-x46-k{version.replace('.', '')}")
    assert bool([h for h in eng.hits if h.name == "pirq-conflict"]) is conflict
    assert _done(eng, "doorbell").count(-110) == (2 if conflict else 0)


@pytest.mark.parametrize(("xen", "how"), [("4.0", "no pirq follows it"), ("4.1", "pending moves of pirq 100 to pCPU6")])
def test_pv_vcpu_migrate_moves_pirqs_from_xen_4_1(xen: str, how: str) -> None:
    """38b998cfb6 (Xen 4.1): sched_move_irqs -> evtchn_move_pirqs moves the pirqs bound to the vCPU's event
    channels; Xen 4.0 moves nothing for a PV guest (only an HVM guest's hvm_migrate_pirqs)."""
    eng = _run(f"x05-pv-x{xen.replace('.', '')}-k34-vcpu-migrate")
    assert [f["how"] for f in _fields(eng, "xen.migrate")] == [how]


def test_managed_shutdown_drops_a_signal_pending_in_the_dying_vcpus_irr() -> None:
    """Xen 4.19 HVM guest with native MSIs (6.12): queue 3's managed irq (mask {2}) is shut down when vCPU2
    goes offline; a signal already in vCPU2's IRR meets fixup_irqs' scan with vector_irq[] at
    VECTOR_SHUTDOWN (IS_ERR_OR_NULL: not retriggered, the slot stays SHUTDOWN) and is lost -- the irq layer
    gives no guarantee here (blk-mq drains a hctx before its last CPU goes, not modelled). Since dyingdrain
    (revision 11) a bare-metal CPU takes such a bit itself after MULTI_STOP_EXIT, before do_idle; vCPU2's vLAPIC
    is software-disabled by then (6.12's native_cpu_disable) and Xen's vlapic_has_pending_irq offers nothing
    (xenleads22: the model let vCPU2 take it and drop it on the SHUTDOWN slot), so the bit is still in vCPU2's
    IRR when it goes offline. The other 60 arrive once vCPU2 is back."""
    eng = _run("x03-hvm-x419-native-k612-nvme-hotplug")
    assert _acct(eng, "nvme0") == (61, 60, 1)
    assert [h for h in eng.hits if h.name == "irq-lost" and "pending in CPU2's IRR when it went offline" in h.detail]


@pytest.mark.parametrize(("version", "warned"), [("4.19.76", False), ("4.19.77", True)])
def test_affinity_broken_warning_from_4_19_77(version: str, warned: bool) -> None:
    """743dac494d61 (5.4; 4.19.77): activate_reserved warns 'irq N: Affinity broken due to vector space
    exhaustion.' when assign_irq_vector_any_locked found no vector in the mask ({1}, full: 0x21..0xeb
    without 0x32 and 0x80 is 201 vectors) and took CPU0. The queue works either way."""
    eng = _run(f"r13-affinity-broken-k{version.replace('.', '')}")
    assert [f["target"] for f in _fields(eng, "vector.assign", irq=225)] == [0]
    assert bool([n for n in _notes(eng, "irq_domain_activate_irq") if "Affinity broken" in n]) is warned
    assert _acct(eng, "eth1") == (3, 3, 0)


def test_second_offline_of_a_chain_is_refused_once_cpu0_took_the_first() -> None:
    """6.1, 3 CPUs: CPU1's 120 irqs ({1}, no online CPU left: cpu_online_mask) go one by one to the CPU
    with the most available vectors (matrix_find_best_cpu; CPU0 wins every round and the tie), leaving CPU0
    80; CPU2's 120 then do not fit: 'CPU 2 has 120 vectors, 80 available. Cannot disable CPU', ENOSPC."""
    eng = _run("r14-offline-chain-fill-k61")
    assert _done(eng, "cpu_offline") == [0, -28]
    assert "lapic_can_unplug_cpu: CPU 2 has 120 vectors, 80 available. Cannot disable CPU" in _notes(
        eng, "take_cpu_down")
    assert _acct(eng, "a") == (12, 12, 0) and _acct(eng, "b") == (12, 12, 0)


@pytest.mark.parametrize(("version", "how"), [("5.10", "pending"), ("5.11", "direct")])
def test_xen_irqbalance_moves_deferred_until_5_11(version: str, how: str) -> None:
    """1ca1b4e2c0cb (5.11): Xen's irqs are IRQ_MOVE_PCNTXT, an smp_affinity write rebinds the event channel at
    once; 5.10 leaves each as a pending move for eoi_pirq at the next event. Every signal arrives either way."""
    eng = _run(f"x08-hvm-x416-k{version.replace('.', '')}-irqbalance")
    assert {f["how"] for f in _fields(eng, "irq.affinity")} == {how}
    assert _acct(eng, "eth0") == (300, 300, 0)


def test_xen_pv_guest_cannot_take_cpu0_down() -> None:
    """arch/x86/xen/smp_pv.c xen_pv_cpu_disable() (xen_cpu_disable in 3.x arch/x86/xen/smp.c), a PV guest's
    __cpu_disable in take_cpu_down: 'if (cpu == 0) return -EBUSY;'. With cpu0_hotplug the write reaches it:
    -EBUSY, stop_machine rolls back, vCPU0 stays online with its event channels; vCPU1 goes and comes
    back as any other. The model used to take vCPU0 down."""
    eng = _run("x09-pv-x410-k510-cpu0-offline")
    assert _done(eng, "cpu_offline") == [-16, 0]
    assert eng.w.cpus[0].online and eng.w.cpus[1].online
    assert "xen_pv_cpu_disable: CPU0 cannot be taken down (-EBUSY)" in _notes(eng, "take_cpu_down")
    assert [f["target"] for f in _fields(eng, "cpu.offline")] == [1]
    assert _acct(eng, "eth0") == (23, 23, 0)


@pytest.mark.parametrize(("version", "nic_eois"), [("3.3", 7), ("3.4", 0)])
def test_pv_pirq_eoi_map_spares_the_maskable_msix_eois(version: str, nic_eois: int) -> None:
    """xen: support pirq_eoi_map (3.4 by the reading): with Xen 4.2's PHYSDEVOP_pirq_eoi_gmfn_v2 the guest asks
    the map whether a pirq needs PHYSDEVOP_eoi; Xen sets the bit only for an MSI it cannot mask, so the
    maskable NIC's 5 events (and its 2 startups' eoi_pirq) make no hypercall, the non-maskable MSI's still
    do (5 + 1). 3.3 reads XENIRQSTAT_needs_eoi, which Xen sets for every PV pirq: 7 for the NIC."""
    eng = _run(f"x10-pv-x42-k{version.replace('.', '')}-eoi")

    def eois(dev: str) -> int:
        return len([e for e in events_of(eng, "xen.hypercall")
                    if e.fields.get("op") == "PHYSDEVOP_eoi" and e.dev == dev])
    assert (eois("eth0"), eois("dev0")) == (nic_eois, 6)
    assert _acct(eng, "eth0") == (5, 5, 0) and _acct(eng, "dev0") == (5, 5, 0)


@pytest.mark.parametrize(("version", "blocked"), [("4.19.204", False), ("4.19.205", True), ("4.19.221", True),
                                                  ("4.19.222", False)])
def test_marvell_fallback_between_the_4_19_backports(version: str, blocked: bool) -> None:
    """4.19.205 took 438553958ba1 + 7d5ec3d36123 (MSI-X enabled and every entry masked before the irqs are set
    up); 4.19.222 took 83dbf898a2d4 (mask only on success). In between a failed MSI-X setup leaves the masks
    that the Marvell function applies to its MSI as well: the admin command times out. Before 4.19.205
    msix_capability_init set the irqs up with MSI-X disabled and masked nothing on failure."""
    eng = _run(f"r16-marvell-k{version.replace('.', '')}")
    assert bool([h for h in eng.hits if h.name == "msi-blocked-by-msix-mask"]) is blocked
    assert _done(eng, "doorbell") == ([-110] if blocked else [0])
    assert _acct(eng, "eth0") == (5, 5, 0)
