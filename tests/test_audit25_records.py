"""audit25: ~30 readings and behaviour rows of revisions 17 and 18 (resume30, xen30, kernel30, kernel31, hvmmig27,
qemu29, locks2x) checked against the source at the releases they name; the corrected values pinned here.

Trees read: xen-project/xen and xen-project/qemu-xen mirrors (git tag --contains, branch logs, git show of the
RELEASE-* / qemu-xen-* trees), reinis-martinsons/frp-qemu-xen-traditional (xen-X.Y.Z tags),
kuangfei2019/linux-5.17-mini2440-dt (Makefile 5.17.0, the import commit), shizukanaskytree/linux-4.13.4 (Makefile
4.13.4; drivers/ and kernel/ are the import's), and the stored tip / lkml mails of 8d39d6ec4db5.

Wrong (corrected):
* xen_sched_ratelimit said 'credit2 from its introduction': credit2 is in Xen from 0dd76d3d20 (RELEASE-4.1.0)
  with no ratelimit; 2615485905 gave it one in RELEASE-4.8.0 (4.7.0's sched_credit2.c has none).
* xen.sched.credit-boost: the continuation 'until it has run the ratelimit, at least CSCHED_MIN_TIMER' is
  0053127890 (4.8; stable-4.6 92848cf990 = 4.6.4, stable-4.7 c26fc22704 = 4.7.1); 4.2.0 .. 4.6.3 and 4.7.0 arm
  'tslice = MICROSECS(prv->ratelimit_us)', a whole ratelimit from the decision. The model ran the 4.8 form for
  every release: new row xen_credit_ratelimit_rest.
* xen.sched.ple-yield: a yield escapes credit's ratelimit only from 9fdd2f3c9c (4.8, no stable copy); before,
  the ratelimit test comes first and keeps CSCHED_FLAG_VCPU_YIELD set for the next decision past it. New row
  xen_credit_yield_no_ratelimit. And (every release) a spinning vCPU kept by the ratelimit after a tickle had no
  PAUSE-loop exit armed, so it was never made to yield before the ratelimit's end.
* kernel.pm.hvm-pmcsr-emulated: 'consolidate PM capability emu_mask' is in qemu-xen from 369baec3d1
  (qemu-xen-4.6.0-rc1) and its stable copies 2b2be89d17 (4.4.3) / c77c4991ed (4.5.1); d61bb2482d, the id cited,
  is qemu's and reaches qemu-xen only at 4.7.0-rc1. ro_mask is 0xE10C at 4.4.3 / 4.5.1 / 4.6.0, 0x610C at 4.7.0-rc4.
* msi_descs_lock's description still said msidbg refuses a second caller with -EBUSY 'either way'; kernel31 made
  the mutex sleep.
* kernel.msi.enable-insert-busy: msi_capability_init starts with pci_msi_set_enable(dev, 0) (5.17.0 tree, line
  441; every release) -- a Message Control read and write msidbg's msi_capability_init does not make (a lead).

Right: platform.xen_sched (RELEASE-4.11.0 / 4.11.4 Kconfig credit, 4.12.0 credit2; before Kconfig (4.7)
schedule.c's opt_sched "credit"), xen.sched.default, xen_credit_migrate_noboost (66c7449a4d: 4.7.0-rc1, on no
stable-4.6), xen.sched.credit2 (4.12.0 constants, is_preemptable, csched2_runtime), kernel.edge.wait-new-target /
edge_wait_new_target (8d39d6ec4db5 pushed to tip irq/core 2025-07-22, irq_can_handle_pm's cpumask_first test;
backports: none found -- unconfirmable), kernel.msi.lock-descs-waits, kernel.msi.free-vectors-flag-first,
msi_enabled_early, msix_restore_per_entry (5.17.0), kernel.pm.freeze-thaw / pm_thaw_restores (now also read in
4.13.4; 4.13.0 itself unconfirmable), kernel.pm.save-at-suspend, .msg-cached-out-of-d0 (4.13.4, 5.17),
.pv-pciback-resume (5.17), qemu_cmd_decode_emulated (qemu-xen 727b998448 4.6.0, 32c5e5e70b 4.4.3, c9ac5f816b
4.5.1, 0x0740 at 4.3.4 / 4.4.2 / 4.5.0; qemu-traditional ab42b440 / 62e41581 / a03c5a74), qemu_msi_mask_emulated's
qemu-traditional history, qemu.msi-mask-write-keeps-device-bits (xen_pt_mask_reg_write), xen_bind_moves_one_pirq
(782cf8ba46: 4.12.0-rc1; 4.11.4 io.c hvm_migrate_pirqs), xen.msix-mask-undecoded (4.5.0 writel),
xen_msix_completion_at_resume (f7039ee41b 4.14.0; 436ec68ea2 4.12.4, 05ba427181 4.13.2), xen.msixtbl.first-unmask
(3a6222bd57 4.7.0, 3b412a9afd 4.6.3), xen_msix_unmask_completion (74fd0036deb5 4.4.0, 4.2.4, 4.3.2),
xen_pirq_follows_vcpu (38b998cfb6 4.1.0), qemu.bind-unmask-flag (69d99d1b22 / 20ed7c8177: 4.10.0),
kernel.lock.edge-relock and kernel.lock.sync-double-check-held (handle_irq_event / __synchronize_hardirq the same
in 4.13.4 and 5.17.0).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

import msidbg.behaviour as bh
from msidbg.behaviour import resolve
from msidbg.model import cite
from msidbg.scenario import load_scenario
from tests.conftest import run_to_end, totals

DIR = Path(__file__).resolve().parent / "audit25"


def _row(name: str, kind: str = "xen-hvm", **versions: str) -> Any:
    return next(r.value for r in resolve(kind, **versions).rows if r.name == name)


def _sched(eng: Any) -> list[tuple[int, int, str]]:
    return [(e.time_ns, e.fields["vcpu"], e.fields["how"]) for e in eng.log.events(1, len(eng.log) + 1)
            if e.kind == "xen.sched"]


def _done(eng: Any, do: str) -> list[int]:
    return [e.time_ns for e in eng.log.events(1, len(eng.log) + 1)
            if e.kind == "action.done" and e.fields["do"] == do]


def _on(path: Path, xen: str) -> Any:
    scn = load_scenario(str(path))
    return run_to_end(dataclasses.replace(scn, platform=dataclasses.replace(scn.platform, xen=xen)))


# --- the rows, by release -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("xen", "rest", "yld"), [
    ("4.1.0", False, False), ("4.2.0", False, False), ("4.6.3", False, False), ("4.6.4", True, False),
    ("4.6.6", True, False), ("4.7.0", False, False), ("4.7.1", True, False), ("4.7.2", True, False),
    ("4.8.0", True, True), ("4.11.4", True, True), ("4.19.2", True, True)])
def test_credit_ratelimit_rows_by_release(xen: str, rest: bool, yld: bool) -> None:
    assert _row("xen_credit_ratelimit_rest", xen=xen) is rest
    assert _row("xen_credit_yield_no_ratelimit", xen=xen) is yld
    assert _row("xen_credit_yield_no_ratelimit", "xen-pv", xen=xen) is yld


def test_the_rows_audit25_confirmed() -> None:
    pins = {
        ("xen_sched", "4.11.4"): "credit", ("xen_sched", "4.12.0"): "credit2", ("xen_sched", "4.6.0"): "credit",
        ("xen_sched_ratelimit", "4.1.6"): False, ("xen_sched_ratelimit", "4.2.0"): True,
        ("xen_credit_migrate_noboost", "4.6.6"): False, ("xen_credit_migrate_noboost", "4.7.0"): True,
        ("xen_bind_moves_one_pirq", "4.11.4"): False, ("xen_bind_moves_one_pirq", "4.12.0"): True,
        ("xen_msix_completion_at_resume", "4.12.3"): False, ("xen_msix_completion_at_resume", "4.12.4"): True,
        ("xen_msix_completion_at_resume", "4.13.1"): False, ("xen_msix_completion_at_resume", "4.13.2"): True,
        ("xen_msix_completion_at_resume", "4.14.0"): True,
        ("xen_msix_snoop_unmask", "4.6.2"): False, ("xen_msix_snoop_unmask", "4.6.3"): True,
        ("xen_msix_snoop_unmask", "4.7.0"): True,
    }
    assert {k: _row(k[0], xen=k[1]) for k in pins} == pins
    qemu = {"qemu-xen-4.3.4": False, "qemu-xen-4.4.2": False, "qemu-xen-4.4.3": True, "qemu-xen-4.5.0": False,
            "qemu-xen-4.5.1": True, "qemu-xen-4.6.0": True}
    assert {q: _row("qemu_cmd_decode_emulated", qemu=q) for q in qemu} == qemu
    kern = {("edge_wait_new_target", "6.16"): False, ("edge_wait_new_target", "6.17"): True,
            ("msi_descs_lock", "5.16"): "none", ("msi_descs_lock", "5.17"): "mutex",
            ("msi_enabled_early", "5.16"): False, ("msi_enabled_early", "5.17"): True,
            ("msix_restore_per_entry", "5.16"): False, ("msix_restore_per_entry", "5.17"): True,
            ("pm_thaw_restores", "4.12"): False, ("pm_thaw_restores", "4.13.4"): True}
    assert {k: _row(k[0], "bare-metal", kernel=k[1]) for k in kern} == kern


def test_the_corrected_texts() -> None:
    R = cite.READINGS
    boost = R["xen.sched.credit-boost"]
    assert "0053127890" in boost.text and "4.2.0 .. 4.6.3, 4.7.0" in boost.text
    assert any(s.ref == "0053127890" for s in boost.sources) and "row xen_credit_ratelimit_rest" in boost.text
    ple = R["xen.sched.ple-yield"]
    assert "9fdd2f3c9c (4.8, no 4.6.y / 4.7.y copy)" in ple.text
    assert any(s.ref == "9fdd2f3c9c" for s in ple.sources) and "row xen_credit_yield_no_ratelimit" in ple.text
    c2 = R["xen.sched.credit2"]
    assert "2615485905's (4.8" in c2.text and any(s.ref == "2615485905" for s in c2.sources)
    pm = R["kernel.pm.hvm-pmcsr-emulated"].sources[0]
    assert "369baec3d1 (qemu-xen-4.6.0-rc1)" in pm.versions and "qemu-xen 4.4.3, 4.5.1, 4.7" not in pm.versions
    busy = R["kernel.msi.enable-insert-busy"]
    assert "pci_msi_set_enable(dev, 0)" in busy.text and "makes neither access" in busy.text
    rows = bh.by_name()
    assert "simulates neither the sleep on the mutex" not in rows["msi_descs_lock"].doc
    assert "sleeps on it (kernel31" in rows["msi_descs_lock"].doc
    assert "credit2 only from 2615485905" in rows["xen_sched_ratelimit"].doc
    assert "4.13.4" in rows["pm_thaw_restores"].history[0].note
    assert rows["pm_thaw_restores"].history[0].unconfirmed == ()     # audit26 read 4.13.0 (was ("4.13",))
    assert rows["edge_wait_new_target"].history[0].backports == ()


# --- the runs -------------------------------------------------------------------------------------------------
def test_a01_before_0053127890_the_continuation_is_a_whole_ratelimit() -> None:
    path = next(DIR.glob("a01-*.yaml"))
    old = run_to_end(load_scenario(str(path)))
    assert _sched(old) == [
        (6_100_800, 1, "schedule (a waking vCPU's tickle): vCPU1 has run 100000 ns, less than the ratelimit "
                       "(1000 us): it continues; vCPU0 waits"),
        (7_100_800, 0, "schedule (the ratelimit's end): vCPU1 preempted (back on the runqueue), vCPU0 scheduled "
                       "in on pCPU0; vCPU1 waits"),
        (7_101_400, 1, "schedule (the running vCPU blocked): vCPU1 scheduled in on pCPU0")]
    assert totals(old, "n0")["delivered"] == 8000 and totals(old, "n1")["delivered"] == 1
    # 4.7.1 (stable-4.7's c26fc22704) switches when vCPU 1 has run 1 ms: 7.0008 ms, as 4.11 (xensched30 s03)
    new = _on(path, "4.7.1")
    assert [t for t, _, _ in _sched(new)] == [6_100_800, 7_000_800, 7_001_400]


def test_a02_from_4_8_a_spinner_kept_by_the_ratelimit_yields_at_its_next_pause_exit() -> None:
    eng = run_to_end(load_scenario(str(next(DIR.glob("a02-*.yaml")))))
    sched = _sched(eng)
    assert sched[2:4] == [
        (7_115_000, 1, "schedule (a waking vCPU's tickle): vCPU1 has run 12000 ns, less than the ratelimit "
                       "(1000 us): it continues; vCPU0 waits"),
        (7_117_048, 0, "schedule (a PAUSE-loop exit: the spinning vCPU yields): vCPU1 yields (back on the "
                       "runqueue), vCPU0 scheduled in on pCPU0; vCPU1 waits")]
    assert len(sched) == 12
    assert _done(eng, "free_irq") == [7_145_500]     # (before audit25: 10,105,300 -- vCPU 1 spun to 8.103 ms)
    assert eng.w["xen"]["sched"].get("yld") is None  # (no YIELD flag kept from 4.8)


def test_a03_before_9fdd2f3c9c_a_yield_is_rate_limited() -> None:
    eng = run_to_end(load_scenario(str(next(DIR.glob("a03-*.yaml")))))
    sched = _sched(eng)
    limited = [t for t, _, how in sched if "its yield is rate-limited" in how]
    assert limited[:3] == [7_117_048, 7_119_096, 7_121_144]     # one ple_window (2048 ns) apart
    assert len(sched) == 1952 and len(limited) == 1940
    # the decision past the ratelimit reads the flag the rate-limited yields left
    assert (8_103_000, 0, "schedule (the ratelimit's end): vCPU1 yields (back on the runqueue), vCPU0 scheduled "
                          "in on pCPU0; vCPU1 waits") in sched
    assert _done(eng, "free_irq") == [11_103_100]
    assert eng.w["xen"]["sched"]["yld"] == [False, False]
    # 4.7.0 (no 0053127890 either): every rate-limited yield re-arms a whole ratelimit
    assert _done(_on(next(DIR.glob("a03-*.yaml")), "4.7.0"), "free_irq") == [11_108_600]


# --- hypothetical values and readings -------------------------------------------------------------------------
def test_no_hypothetical_value_is_a_default_or_chosen_by_any_preset() -> None:
    """Re-checked after audit25's two rows (neither has a hypothetical value): the one hypothetical behaviour value
    is still xen_pt_bind's on-write, the default of no row and chosen by no preset of any layer on any platform."""
    hyp = {r.name: set(r.hypothetical) for r in bh.rows() if r.hypothetical}
    assert hyp == {"xen_pt_bind": {"on-write"}}
    assert all(r.default not in set(r.hypothetical) for r in bh.rows())
    for layer, version in bh.presets():
        for kind in ("bare-metal", "xen-hvm", "xen-pv"):
            args = {"kernel": {"kernel": version.text}, "xen": {"xen": version.text},
                    "qemu": {"qemu": version.text} if kind == "xen-hvm" else {}}[layer]
            for r in resolve(kind, **args).rows:
                assert r.value not in hyp.get(r.name, set()), (layer, version.text, kind, r.name)


def test_the_hypothetical_readings_and_no_shipped_scenario_chooses_one() -> None:
    hyp = sorted(k for k, r in cite.READINGS.items() if r.status == "hypothetical")
    # redteam32 added two (kernel.pm.restore-msi-freed-desc, kernel.irq.freed-under-call: use-after-frees not followed)
    assert len(hyp) == 20 and "qemu.bind-on-write" in hyp and "bus.lowest-priority-first" in hyp
    # the readings tied to a scenario's choice: xen_pt_bind on-write, platform.lowest_priority first; neither is a
    # default, and no shipped scenario names one
    from msidbg.scenario import Platform
    assert Platform.__dataclass_fields__["lowest_priority"].default is None
    for path in sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml")):
        scn = load_scenario(str(path))
        assert scn.platform.lowest_priority is None, path.name
        t = scn.behaviour       # (the scenario's versions and explicit switches)
        hyp_values = {r.name: set(r.hypothetical) for r in bh.rows()}
        assert all(r.value not in hyp_values[r.name] for r in t.rows), path.name
