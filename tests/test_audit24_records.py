"""audit24: the stored trees that readings cite as releases, checked against independent imports; audit23's
two leads (LINUX_APIC_FLAT, evtchn_move_pirqs at vcpu_migrate).

Method: the trees on the fetched mirrors (git show / ls-tree / rev-parse of the tree or blob ids) compared with a
second, unrelated import of the same (or a neighbouring) release; a cited directory or file whose id is the same
in both is taken for the release's, a difference is read (diff) and explained by the releases in between.

Trees checked (a):
* dunli/linux-5.17 ('initial commit with eth working', then Rock 3A dts/defconfig commits): its Makefile says
  5.17.0-rc5, not 5.17.0, and it carries phy-rockchip-naneng-combphy.c, which 5.17.0 lacks -- a board port.
  WRONG label: the readings said 'a 5.17.0 tree'. Its drivers/pci/msi/, kernel/irq/, include/linux/{msi,irq,pci,
  interrupt}.h are identical (tree ids) to the 5.17.0 import of kuangfei2019/linux-5.17-mini2440-dt (an s3c2440
  board port; its later commits touch no such file); the differences (arch/x86 spectre-BHB / kvm, pci quirks.c,
  vmd.c, dwc rockchip, drivers/xen grant tables) are rc5 -> 5.17 fixes in files no reading cites. The values
  stand (msix_restore_per_entry, msi_enabled_early, msi_descs_lock at 5.17); the sources say what the tree is.
* yashlala/fastswap-linux-5.16.16 (a research kernel; the root 'Copy in Linux 5.16.16 codebase' has Makefile
  5.15.16; its later commits change mm/, frontswap and .config only): drivers/pci/msi.c against
  yhuan416/linux-5.15.24's import differs only in pci_irq_vector / pci_irq_get_affinity (MSI-X looked up by
  entry_nr, a later stable fix); __pci_restore_msix_state, include/linux/msi.h and kernel/irq/ are the same. Holds.
* SaumyaSachdev/linux-4.17 (student syscall commits; LakshK98/linux-4.17 shares its history): its first commit's
  arch/x86, kernel/irq, drivers/pci, drivers/xen, include/linux, drivers/nvme/host/pci.c, kernel/cpu.c and
  kernel/sched/idle.c are identical to the 4.17 import of cgw201410/linux-4.17_jz2440 (2018, a jz2440 port); the
  local commits touch syscall tables and new files only. Holds.
* kinmax/linux-4.13.19 (Makefile 4.13.9): against shizukanaskytree/linux-4.13.4's import the cited x86 files
  (irqinit.c, vector.c, io_apic.c, irq.c, irq_64.c, i8259.c, apic_flat_64.c, msi.c, irq_vectors.h), qspinlock.h,
  spinlock.h and events_base.c are identical; chip.c, manage.c, apic.c and nvme pci.c differ by 4.13.y stable
  fixes (managed startup order, the irq_do_set_affinity chip check, the TSC deadline errata check, nvme's CMB
  bus address / HMB chunk retry). 'nr_io_queues = num_present_cpus()' is in 4.13.4 as well (audit22's lead,
  still not 4.13.0).
* lizuobin/linux-4.16.13_tiny4412 (an Exynos 4412 board port): kernel/irq/manage.c and kernel/irq/msi.c are the
  kernel.org 4.15.0 import's (sndrzt/linux-4.15 6ea062648) blobs, vector.c / events_base.c / spinlock.h the 4.17.0
  import's; irq_vectors.h is 4.15.0's plus HYPERV_REENLIGHTENMENT_VECTOR 0xee and LOCAL_TIMER_VECTOR 0xed, 4.16's.
  WRONG range: free_irq's 'if (!action) return NULL' was read as 4.16's; the 4.15.0 import has the same manage.c,
  the 4.14.5 import of monkeygq/linux-4.14.5 has it too, 4.13.4 / 4.13.9 lack it (range now 4.14..; not modelled).
* jason50123/linux-4.12 (a Zqos research kernel on 4.12.0): its nvme pci.c commits add a pr_info in
  nvme_queue_rq; the import's nvme pci.c, events_base.c, affinity.c, manage.c and vector.c are identical to the
  4.12.3 import of yeyunfeng/linux-4.12 (num_online_cpus(), enable_pirq -> startup_pirq). Holds.
* ThunderStorms21th/S7-Linux-3.18.140, cited 'a public copy of the stable release': a custom Galaxy S7 kernel
  (Exynos 8890 herolte dts, Android ramdisks, its own hotplug drivers). WRONG tree: hint_sets_affinity's initial
  is re-cited to junan76/linux-3.18.140's import, whose irq_set_affinity_hint is the same store-only body.
* 0wnerDied/Neptune_kernel_sm8150_oneplus (OnePlus 4.14 vendor kernel), behind 'num_possible_cpus() from 4.14':
  WRONG -- the 4.14.5 import, the 4.13.4 import and the kernel.org 4.15.0 import have num_present_cpus(); the
  4.16.13 and 4.17.0 trees num_possible_cpus(). nvme_queue_cpus keeps 'present' (both counts are every modelled
  CPU): text, reading, docs/model-baremetal.md.
* kdrag0n/proton_bluecross (Pixel 3, 4.9.137) behind nvme_irq_layout's 4.9: sh1rataki/linux-4.9.154's import has
  the same pci_alloc_irq_vectors(pdev, 1, nr_io_queues, ... | PCI_IRQ_AFFINITY), cq_vector = qid - 1 and
  num_online_cpus(). Holds. xiaojimmychen/linux-4.4 (Android common, SUBLEVEL 0) behind the 4.4 FIFO drain and
  4.4's enable_pirq: zanpocc/linux-4.4.1's import has consume_one_event(..., bool drop), CPU_DEAD's
  __evtchn_fifo_handle_events(cpu, true) and enable_pirq -> startup_pirq. Holds. Kent-Hu's 4.15.1 behind
  proc_affinity_result 4.15: the kernel.org 4.15.0 import has 'err = irq_set_affinity(...); if (!err) err =
  count;', the 4.14.5 import the old form. Holds, now on a pristine import. weilaidb/PythonExample's linux-3.0.8
  copy (LINUX_2L_30): cjheres/linux-3.0.8's 'stock kernel' import has the same upcall loop ('Next caller starts
  at last processed + 1'), unmask_evtchn without the HVM clause and pirq_needs_eoi without pirq_eoi_map. Holds.
  nine7nine/linux-4.1.18-xenomai (an I-pipe kernel) behind msi_activate_early's 'not in 4.1': mincepi/linux-4.1.19's
  import has the same pre-hierarchy arch/x86/kernel/apic/msi.c. Holds. (zfruc/linux-4.2.0 is 4.2.8-ckt12,
  Canonical's extended stable, with the hierarchical msi.c.) bhi768/msm-4.14 (Android) behind 4.14's enable_pirq ->
  enable_dynirq: the 4.14.5 import has it. reinis-martinsons/frp-qemu-xen-traditional: the xen-X.Y.Z tags read are
  upstream commits; the fork's one commit after xen-4.8.0 changes xenstore.c only. Holds.

Leads (b):
* LINUX_APIC_FLAT (01ccf9bbd25f): the stored torvalds text is a 6.x one (.delivery_mode, .dest_mode_logical,
  physflat_probe's one-line return). The release trees: 4.13.9 'if (apic == &apic_physflat ||
  num_possible_cpus() > 8) return 1;' with dest_LowestPrio; 4.15.0 the same test with dest_Fixed; 4.16.13 /
  4.17.0 add '|| jailhouse_paravirt()'; 5.15.16 / 5.17.0 the if-form with APIC_DELIVERY_MODE_FIXED and
  .dest_mode_logical = true; apic_flat_calc_apicid 'return 1U << cpu;' in 4.15.0, 4.17.0, 5.17.0. The quote and
  the range hold; the source now says so. The 6.10.14 / 6.11.3 cut-offs are audit18's (unchanged).
* evtchn_move_pirqs at vcpu_migrate: the model (xen.vcpu_migrate) relied on it under xen.pirq-follows-vcpu's
  38b998cfb6 diff only. New reading xen.sched.migrate-evtchn-pirqs, read at RELEASE-4.1.0 / 4.5.0 schedule.c
  (vcpu_migrate, schedule()'s next_slice.migrated, sched_move_domain; sched_move_irqs from 4.5), 4.14.0 / 4.19.0
  sched/core.c (sched_unit_migrate_finish, sched_context_switch's ->migrated: vcpu_move_irqs), event_channel.c
  evtchn_move_pirqs (the v->pirq_evtchn_head list; read_lock from 4.19), x86 irq.c pirq_set_affinity ->
  irq_set_affinity (pending_mask, IRQ_MOVE_PENDING), asm-x86 irq.h's empty arch_move_irqs.
No run changes: text, sources, one new reading (model revision unchanged).
"""

from __future__ import annotations

import pytest

from msidbg.behaviour import resolve
from tests.conftest import events_of, run_to_end, scenario, totals


def _registry():  # type: ignore[no-untyped-def]
    import msidbg.model.fidelity  # noqa: F401  (registers every reading)
    from msidbg.model import cite

    return cite


def _source(key: str, ref: str):  # type: ignore[no-untyped-def]
    got = [s for s in _registry().READINGS[key].sources if s.ref == ref]
    assert len(got) == 1, (key, ref, [s.ref for s in _registry().READINGS[key].sources])
    return got[0]


def _note(row: str, release: str) -> str:
    from msidbg import behaviour as bh
    return [c for c in bh.by_name()[row].history if c.release == release][0].note


# --- (a) the trees, named as what they are ----------------------------------------------------------------
def test_no_source_calls_the_rc5_board_port_a_5_17_0_tree() -> None:
    cite = _registry()
    for key, r in cite.READINGS.items():
        for s in r.sources:
            assert "read in a 5.17.0 tree" not in s.versions, key
    s = _source("kernel.pm.restore-msix-order", "v5.17")
    assert "5.17-rc5" in s.versions and "kuangfei2019/linux-5.17-mini2440-dt" in s.versions
    note = _note("msix_restore_per_entry", "5.17")
    assert "a 5.17.0 tree (dunli" not in note and "not 5.17.0" in note


def test_the_5_15_16_source_names_the_research_kernel_and_its_check() -> None:
    s = _source("kernel.pm.restore-msix-order", "v5.15.16")
    assert "fastswap research kernel" in s.versions and "yhuan416/linux-5.15.24" in s.versions


def test_free_irq_null_check_is_dated_by_the_kernel_org_import() -> None:
    r = _registry().READINGS["kernel.free-irq.already-free"]
    assert [s.ref for s in r.sources] == ["v4.13.9", "v4.15"]
    s = _source("kernel.free-irq.already-free", "v4.15")
    assert s.versions.startswith("4.14..") and "sndrzt/linux-4.15 6ea062648" in s.versions
    assert "4.16.." not in s.versions and "(4.15.0 free_irq:)" in r.quote


def test_the_hint_store_only_source_is_not_the_s7_vendor_kernel() -> None:
    r = _registry().READINGS["kernel.affinity.hint-sets-affinity"]
    (s,) = [s for s in r.sources if s.ref.startswith("v3.18.140")]
    assert "junan76/linux-3.18.140" in s.ref and "ThunderStorms" not in s.ref
    assert "custom Galaxy S7 kernel" in s.versions
    from msidbg import behaviour as bh
    initial = bh.by_name()["hint_sets_affinity"].initial_note
    assert "a public copy of the stable release, ThunderStorms" not in initial and "junan76" in initial


def test_nvme_queue_cpus_says_possible_from_4_16() -> None:
    r = _registry().READINGS["kernel.managed.nvme-queue-cpus"]
    assert "4.16.13: 'nr_io_queues = num_possible_cpus();'" in r.quote and "4.14: 'nr_io_queues" not in r.quote
    assert "and from 4.16" in r.text and "and from 4.14" not in r.text and "not from 4.14" in r.text
    from msidbg import behaviour as bh
    sw = bh.by_name()["nvme_queue_cpus"]
    assert "again from 4.16" in sw.doc and "again from 4.14" not in sw.doc
    assert "OnePlus vendor kernel" in _note("nvme_queue_cpus", "4.13")


def test_the_4_9_nvme_layout_names_the_vendor_tree_and_the_import() -> None:
    s = _source("kernel.managed.nvme-shared-admin", "dca51e7892fa")
    assert "Pixel 3 vendor kernel" in s.versions and "sh1rataki/linux-4.9.154" in s.versions


def test_the_3_0_8_copy_is_checked_against_a_stock_import() -> None:
    s = _source("evtchn.2l-round-robin", "f505d5230209")
    assert s.versions.startswith("3.0..3.13 (audit24:") and "cjheres/linux-3.0.8" in s.versions


def test_apic_flat_source_names_the_release_forms() -> None:
    s = _source("bus.flat-logical", "01ccf9bbd25f")
    assert s.versions.startswith("4.15..6.11 (6.10.0..6.10.13, 6.11.0..6.11.2: apic_flat_logical;")
    assert "4.15.0, 4.16.13, 4.17.0, 5.15.16 and 5.17.0" in s.versions


# --- (b) evtchn_move_pirqs has a reading of its own --------------------------------------------------------
def test_evtchn_move_pirqs_reading() -> None:
    r = _registry().READINGS["xen.sched.migrate-evtchn-pirqs"]
    assert r.status == "confirmed" and r.module == "msidbg.model.xen"
    assert [s.ref for s in r.sources] == ["RELEASE-4.5.0", "RELEASE-4.19.0"]
    assert "sched_move_irqs(struct vcpu *v) { arch_move_irqs(v); evtchn_move_pirqs(v); }" in r.quote
    assert "desc->status |= IRQ_MOVE_PENDING;" in r.quote
    from msidbg.model import xen
    assert "xen.sched.migrate-evtchn-pirqs" in (xen.vcpu_migrate.__doc__ or "")


PVHVM = """
name: a24-evtchn-move
seed: 1
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"}}
kernel: {{version: "6.6"}}
devices:
  n0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: n0, mode: msix, vectors: 2}}
  - {{at: 2ms, do: vcpu_migrate, vcpu: 1, pcpu: 5}}
  - {{at: 3ms, do: fire, dev: n0, vector: 0, count: 3, every: 10us}}
"""


def test_a_pv_on_hvm_pirq_follows_a_halted_vcpu_at_the_migration() -> None:
    """Xen 4.18, Linux 6.6 with XENFEAT_hvm_pirqs: n0's vector 0 is pirq 101 on port 1, bound to vCPU 1.
    Moving the halted vCPU 1 to pCPU 5 runs evtchn_move_pirqs at the migration (sched_unit_migrate_finish's
    sched_move_irqs, whatever the vCPU's state): the move of pirq 101 is pending at once and the next
    interrupt applies it; the schedule-in's hvm_migrate_pirqs has no gmsi binding to move."""
    eng = run_to_end(scenario(PVHVM.format(xen="4.18")))
    at_migration, at_resume = (str(e) for e in events_of(eng, "xen.migrate"))
    assert "pending moves of pirq 101 to pCPU5" in at_migration and "halted (blocked)" in at_migration
    assert "hvm_migrate_pirqs: no pirq follows it" in at_resume
    hirq = [h for h in eng.w["xen"]["irqs"].values() if h["pirq"] == 101]
    assert [h["cpu"] for h in hirq] == [5]
    assert eng.w["xen"]["ports"][1]["vcpu"] == 1 and eng.w["xen"]["ports"][1]["pirq"] == 101
    assert totals(eng, "n0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}


# --- the rows the checked trees stand behind, pinned -------------------------------------------------------
@pytest.mark.parametrize(("version", "cpus"), [("4.12", "online"), ("4.13", "present"), ("4.14", "present"),
                                               ("4.15", "present"), ("4.16", "present"), ("4.17", "present")])
def test_nvme_queue_cpus(version: str, cpus: str) -> None:
    assert resolve("bare-metal", kernel=version).plain()["nvme_queue_cpus"] == cpus


@pytest.mark.parametrize(("version", "layout"), [("4.8", "msix-range"), ("4.9", "shared-admin"),
                                                 ("4.16", "shared-admin")])
def test_nvme_irq_layout(version: str, layout: str) -> None:
    assert resolve("bare-metal", kernel=version).plain()["nvme_irq_layout"] == layout


@pytest.mark.parametrize(("version", "value"), [("3.18", False), ("3.19", False), ("4.0", True), ("6.6", True)])
def test_hint_sets_affinity(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["hint_sets_affinity"] is value


@pytest.mark.parametrize(("version", "value"), [("4.14", False), ("4.15", True), ("6.6", True)])
def test_proc_affinity_result(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["proc_affinity_result"] is value


@pytest.mark.parametrize(("version", "value"), [("4.12", "online"), ("4.13", "present"), ("4.15", "present")])
def test_affinity_spread_cpus(version: str, value: str) -> None:
    assert resolve("bare-metal", kernel=version).plain()["affinity_spread_cpus"] == value


@pytest.mark.parametrize(("version", "value"), [("4.15", True), ("5.17", True), ("6.10.13", True),
                                                ("6.10.14", False), ("6.11.2", True), ("6.11.3", False),
                                                ("6.12", False)])
def test_apic_flat_logical(version: str, value: bool) -> None:
    assert resolve("bare-metal", kernel=version).plain()["apic_flat_logical"] is value


@pytest.mark.parametrize(("version", "value"), [("4.4", True), ("4.12", True), ("4.13", False)])
def test_xen_enable_pirq_startup(version: str, value: bool) -> None:
    assert resolve("xen-hvm", kernel=version).plain("xen-hvm")["xen_enable_pirq_startup"] is value


@pytest.mark.parametrize(("version", "value"), [("4.1", "all"), ("4.2", "none"), ("4.7.3", "first"), ("4.8", "first")])
def test_msi_activate_early(version: str, value: str) -> None:
    assert resolve("xen-hvm", kernel=version).plain("xen-hvm")["msi_activate_early"] == value
    if version == "4.2":
        assert "mincepi/linux-4.1.19" in _note("msi_activate_early", "4.2")
