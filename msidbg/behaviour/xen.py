"""Xen behaviour rows (``platform.<name>``; ``platform.xen`` selects a release).

Releases checked in xen-project/xen (``git tag --contains``, and the RELEASE-4.5.x tags for
backports) unless marked unconfirmed.
"""

from __future__ import annotations

from msidbg.behaviour import Change, Switch

BOOL = (False, True)

ROWS: tuple[Switch, ...] = (
    Switch(
        "xen_msi_mask", "xen", ("unchecked", "ignored", "direct", "combined"), "combined",
        "how Xen's vMSI-X intercept (hvm/vmsi.c msixtbl_*) handles a guest's Vector Control write to a bound "
        "MSI-X table, and whose mask bit the physical entry carries. unchecked (before 74c213c506): the guest's "
        "value is written to the physical entry as it is, even while Xen has the entry masked. ignored "
        "(74c213c506, 4.2): the write is discarded (\"Do not allow the mask bit to be changed\"); the physical "
        "bit stays Xen's. direct (a35137373a, 4.4): the guest's mask bit goes to the physical entry unless Xen "
        "itself has the entry masked (then it is ignored). In all three any Vector Control write after an "
        "address/data change goes to QEMU, Vector Control reads return the physical bit, address/data reads "
        "of entries 0-2 the shadow (0 if not written since the binding), and the whole table is claimed once "
        "Xen has any entry of the device set up (unchecked and ignored also claim Vector Control of an entry "
        "without an msi_desc; direct passes it to QEMU). combined: a guest mask bit ORed with Xen's own, the "
        "guest MSI starts guest-masked at startup and an event channel bind clears it, only an unmask after "
        "an address/data change goes to QEMU, reads return the guest's bit and only shadowed words, and only "
        "entries with an msi_desc are claimed",
        initial="unchecked", kinds=("xen-hvm", "xen-pv"),
        initial_note="RELEASE-4.0.0 / 4.1.0 msixtbl_write: 'writel(val, virt);' for any Vector Control write "
                     "to a mapped table page without a pending address/data change",
        history=(
            Change("4.2", "ignored", "74c213c506af x86/vMSI: miscellaneous fixes (\"the interrupt mask bit was "
                   "permitted to be written by the guest\")", backports=("4.0.4", "4.1.3"),
                   note="first in RELEASE-4.2.0; stable-4.0 860192ce0d (RELEASE-4.0.4), stable-4.1 abb045f48c "
                        "(RELEASE-4.1.3): git tag --contains (audit 2026-12)"),
            Change("4.4", "direct", "a35137373aa9 x86: allow guest to set/clear MSI-X mask bit (try 2)",
                   backports=("4.2.4", "4.3.1"),
                   note="first in RELEASE-4.4.0; stable-4.2 61823f5ebc (RELEASE-4.2.4), stable-4.3 e1d767acd8 "
                        "(RELEASE-4.3.1); not on stable-4.0/4.1: git tag --contains (audit 2026-12)"),
            Change("4.6", "combined", "ad28e42bd1d2 x86/MSI: track host and guest masking separately + "
                   "84d6add5593d x86/MSI: fix guest unmasking when handling IRQ via event channel + "
                   "70a3cbb8c9 x86/vMSI-X: honor all mask requests + "
                   "df9f5676b3 x86/vMSI-X: add valid bits for read acceleration",
                   note="all four first in RELEASE-4.6.0 (4.6.0-rc1); none in RELEASE-4.5.1..4.5.5"),
        ),
    ),
    Switch(
        "xen_dm_unmap_needs_emuirq", "xen", BOOL, False,
        "PHYSDEVOP_unmap_pirq for an HVM domain -- the device model's, and the guest's own (DOMID_SELF) -- fails "
        "-EINVAL when the pirq has no emuirq: physdev_unmap_pirq calls unmap_domain_pirq_emuirq unconditionally "
        "and gives up on its error, so the device model's unmap leaves the pirq mapped. 4.1.0 .. 4.1.2: on 4.1.0 / "
        "4.1.1 QEMU's map gives every mapped pirq its IRQ_PT emuirq (platform.xen_pt_emuirq_at_map), so only a pirq "
        "whose emuirq the guest's own unmap cleared fails there; on 4.1.2 (0596edb27f: the emuirq set at "
        "EVTCHNOP_bind_pirq, cleared at EVTCHNOP_close) QEMU's unmap of a pirq whose event channel the guest "
        "closed (or never bound) fails and the pirq leaks (get_free_pirq skips it). 49f9d2493c (4.2; 3237652624, "
        "4.1.3) clears the emuirq only when there is one: the guest's unmap answers 0, QEMU's goes on",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.0.0 physdev_unmap_pirq has no emuirq (0b469cd687, 4.1, brought HVM pirqs)",
        history=(
            Change("4.1", True, "0b469cd687 Interrupt remapping to PIRQs in HVM guests",
                   note="first in RELEASE-4.1.0 (git tag --contains); RELEASE-4.1.0 / 4.1.1 / 4.1.2 "
                        "physdev_unmap_pirq: 'ret = unmap_domain_pirq_emuirq(d, unmap->pirq); ... if ( "
                        "unmap->domid == DOMID_SELF || ret ) goto free_domain;' (xen412; xenleads22)"),
            Change("4.2", False, "49f9d2493c x86/passthrough: don't leak guest IRQs (stable-4.1: 3237652624)",
                   backports=("4.1.3",),
                   note="RELEASE-4.1.3 physdev_unmap_pirq: 'if ( domain_pirq_to_emuirq(d, unmap->pirq) != "
                        "IRQ_UNBOUND ) ret = unmap_domain_pirq_emuirq(...)'; 3237652624 first in RELEASE-4.1.3"),
        ),
    ),
    Switch(
        "xen_pt_emuirq_at_map", "xen", BOOL, False,
        "the IRQ_PT emuirq of a passthrough pirq is set by the device model's PHYSDEVOP_map_pirq and kept until a "
        "PHYSDEVOP_unmap_pirq clears it; the guest's EVTCHNOP_bind_pirq and EVTCHNOP_close leave it alone. Xen "
        "sends the pirq on its event channel while it has the emuirq and the guest has a port on it "
        "(hvm_domain_use_pirq: 'emuirq != IRQ_UNBOUND && d->pirq_to_evtchn[pirq] != 0'); PHYSDEVOP_eoi acknowledges "
        "the host irq and PHYSDEVOP_irq_status_query answers XENIRQSTAT_needs_eoi only for an IRQ_PT pirq "
        "(otherwise flags 0). From 0596edb27f (4.1.2) EVTCHNOP_bind_pirq sets the emuirq of a mapped pirq and "
        "EVTCHNOP_close clears it, and PHYSDEVOP_eoi / irq_status_query look at the mapping instead: a pirq the "
        "device model maps again under a port the guest kept is delivered as a vMSI until the guest binds again",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.0.0 has no emuirq (no HVM pirqs: 0b469cd687 is 4.1)",
        history=(
            Change("4.1", True, "0b469cd687 Interrupt remapping to PIRQs in HVM guests",
                   note="first in RELEASE-4.1.0 (git tag --contains); RELEASE-4.1.0 / 4.1.1 physdev_map_pirq: "
                        "'if ( !ret && is_hvm_domain(d) ) map_domain_emuirq_pirq(d, pirq, IRQ_PT);', no emuirq in "
                        "event_channel.c (xenleads22)"),
            Change("4.2", False, "79858fee30 xen: fix hvm_domain_use_pirq's behavior (stable-4.1: 0596edb27f)",
                   backports=("4.1.2",),
                   note="79858fee30 first in RELEASE-4.2.0, 0596edb27f first in RELEASE-4.1.2 (4.1.2-rc2; git tag "
                        "--contains); RELEASE-4.1.2 / 4.2.0 evtchn_bind_pirq: 'if ( is_hvm_domain(d) && "
                        "domain_pirq_to_irq(d, pirq) > 0 ) map_domain_emuirq_pirq(d, pirq, IRQ_PT);' (xenleads22)"),
        ),
    ),
    Switch(
        "xen_irq_status_query_einval", "xen", BOOL, True,
        "PHYSDEVOP_irq_status_query for an HVM pirq Xen has neither mapped nor given an emuirq fails -EINVAL; "
        "before b96a29f785 (4.2; 94b5cd3155, 4.1.3) it answered 0 with no flags (4.1.0 / 4.1.1: any pirq without "
        "the IRQ_PT emuirq; 4.1.2: any unmapped pirq). The guest's pirq_query_unmask takes either as 'no "
        "PHYSDEVOP_eoi'; the hypercall's answer differs",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.1.0 / 4.1.1 / 4.1.2 PHYSDEVOP_irq_status_query: 'if ( is_hvm_domain(v->domain) && "
                     "domain_pirq_to_emuirq(v->domain, irq) != IRQ_PT ) { ret = copy_to_guest(arg, "
                     "&irq_status_query, 1) ? -EFAULT : 0; break; }' (4.1.2: 'domain_pirq_to_irq(v->domain, irq) "
                     "<= 0')",
        history=(
            Change("4.2", True, "b96a29f785 x86: re-inject emulated level pirqs in PV on HVM guests if still "
                   "asserted (stable-4.1: 94b5cd3155)", backports=("4.1.3",),
                   note="b96a29f785 first in RELEASE-4.2.0, 94b5cd3155 first in RELEASE-4.1.3 (git tag "
                        "--contains): 'domain_pirq_to_irq(v->domain, irq) <= 0 && domain_pirq_to_emuirq(v->domain, "
                        "irq) == IRQ_UNBOUND ) { ret = -EINVAL; break; }' (xenleads22)"),
        ),
    ),
    Switch(
        "xen_upcall_vector_cpuid", "xen", BOOL, True,
        "Xen's HVM CPUID leaf 4 advertises XEN_HVM_CPUID_UPCALL_VECTOR (per-vCPU event channel upcall "
        "vectors that work with pirqs), which a 6.0+ guest needs to use them (kernel.xen_percpu_upcall); without "
        "it the guest uses the domain's global callback via",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="HVMOP_set_evtchn_upcall_vector exists from 04447f4453 (4.6) but no CPUID bit says so: "
        "Linux uses the per-vCPU vector only when the bit is set",
        history=(
            Change("4.17", True, "e2d2b9fd7a x86/hvm: widen condition for is_hvm_pv_evtchn_domain() and report "
                   "fix in CPUID",
                   note="first in RELEASE-4.17.0; no RELEASE-4.16.x carries it: git tag --contains (audit12)"),
        ),
    ),
    Switch(
        "xen_msix_unmask_completion", "xen", BOOL, True,
        "an unmask of a bound entry whose address/data the guest changed goes to QEMU (which re-binds it) and "
        "Xen applies the unmask itself once QEMU is done (msix_write_completion, msix_unmask_address); before "
        "74fd0036de the unmask reached QEMU only and the physical entry kept the mask it had",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.2.0 / 4.3.0 msixtbl_write: 'if ( test_and_clear_bit(nr_entry, "
                     "&entry->table_flags) ) goto out;' and no msix_write_completion",
        history=(
            Change("4.4", True, "74fd0036deb5 x86: properly handle MSI-X unmask operation from guests",
                   backports=("4.2.4", "4.3.2"),
                   note="first in RELEASE-4.4.0 (4.4.0-rc1); stable-4.2 ac58c24866 (RELEASE-4.2.4), stable-4.3 "
                        "3014b79dcd (RELEASE-4.3.2): git tag --contains (audit 2026-12)"),
        ),
    ),
    Switch(
        "xen_sched", "xen", ("credit", "credit2"), "credit2",
        "the host's default scheduler (sched= unset; Kconfig 'Default Scheduler?'), which decides which of two "
        "runnable vCPUs on one pCPU runs (msidbg/model/xensched.py). credit (sched_credit.c): a waking vCPU with "
        "UNDER priority is BOOSTed and preempts an UNDER one, the runqueue is in priority order, a running vCPU "
        "keeps the pCPU for a 30 ms time slice. credit2 (sched_credit2.c): credits (10 ms at the start, one per "
        "ns run), a waking vCPU with more credit than the running one preempts it, the runqueue is in credit "
        "order, the slice runs until the credits meet (0.5 .. 10 ms)",
        initial="credit", kinds=("xen-hvm", "xen-pv"), scoped=True, window=("4.1", ""),
        initial_note="RELEASE-4.11.0 xen/common/Kconfig: 'prompt \"Default Scheduler?\" default SCHED_CREDIT_DEFAULT' "
                     "(Kconfig from 4.7; RELEASE-4.0.0 .. 4.6.0 schedule.c: 'static char __initdata opt_sched[10] = "
                     "\"credit\";', audit25)",
        history=(
            # (credit2 itself: 0dd76d3d20 'credit2: Add credit2 scheduler to hypervisor', first in RELEASE-4.1.0;
            # RELEASE-4.0.0 has no sched_credit2.c: an explicit credit2 with an earlier platform.xen is an error)
            Change("4.12", "credit2", "dafd936ddd Make credit2 the default scheduler",
                   note="RELEASE-4.12.0 xen/common/Kconfig: 'default SCHED_CREDIT2_DEFAULT'; no RELEASE-4.11.x "
                        "carries it (git tag --contains)"),
        ),
    ),
    Switch(
        "xen_sched_ratelimit", "xen", BOOL, True,
        "schedule() lets a running vCPU that has run less than sched_ratelimit_us (1000 us by default) continue "
        "when another would preempt it (credit: csched_schedule; credit2 only from 2615485905, RELEASE-4.8.0: row "
        "xen_credit2_ratelimit, xen34). "
        "How long credit's continuation lasts is xen_credit_ratelimit_rest, whether a yield is rate-limited "
        "xen_credit_yield_no_ratelimit (audit25)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.1.0 xen/common/sched_credit.c has no ratelimit: csched_schedule picks the "
                     "runqueue's head at once",
        history=(
            Change("4.2", True, "64908a0466 sched_credit: Use delay to control scheduling frequency",
                   note="first in RELEASE-4.2.0 (git tag --contains); SCHED_DEFAULT_RATELIMIT_US 1000 "
                        "(558ab89512, also first in 4.2.0-rc1: audit25)"),
        ),
    ),
    Switch(
        "xen_credit_ratelimit_rest", "xen", BOOL, True,
        "credit: how long csched_schedule's rate-limit continuation (the running vCPU has run less than the "
        "ratelimit and keeps the pCPU) lasts before the pCPU's next schedule(): true (0053127890) -- until the "
        "vCPU has run the ratelimit ('tslice = MICROSECS(prv->ratelimit_us) - runtime'), at least CSCHED_MIN_TIMER "
        "(100 us) ahead when it has run less than that; false -- a whole ratelimit from the decision ('tslice = "
        "MICROSECS(prv->ratelimit_us)'), so a waiting vCPU waits up to twice as long. Read with "
        "xen_sched_ratelimit true only",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.2.0 .. 4.6.3 and 4.7.0 xen/common/sched_credit.c csched_schedule: 'snext = scurr; "
                     "snext->start_time += now; perfc_incr(delay_ms); tslice = MICROSECS(prv->ratelimit_us); "
                     "ret.migrated = 0; goto out;' (RELEASE-4.5.0, 4.6.3 and 4.7.0 read; audit25)",
        history=(
            Change("4.8", True, "0053127890 xen: credit1: return the 'time remaining to the limit' as next "
                   "timeslice.", backports=("4.6.4", "4.7.1"),
                   note="first in 4.8.0-rc1 / RELEASE-4.8.0; stable-4.6 92848cf990 (RELEASE-4.6.4), stable-4.7 "
                        "c26fc22704 (RELEASE-4.7.1): git tag --contains, and the sched_credit.c of RELEASE-4.6.3 / "
                        "4.6.4, 4.7.0 / 4.7.1 / 4.7.2 and 4.8.0 read (audit25)"),
        ),
    ),
    Switch(
        "xen_credit_yield_no_ratelimit", "xen", BOOL, True,
        "credit: whether a yielding vCPU (SCHEDOP_yield: an HVM vCPU's PAUSE-loop exit, reading xen.sched.ple-yield) "
        "escapes the ratelimit. true (9fdd2f3c9c) -- csched_schedule's ratelimit test skips a vCPU with "
        "CSCHED_FLAG_VCPU_YIELD: the yield lets a waiting vCPU run at once; false -- the yield is rate-limited like "
        "any decision: the vCPU continues (its next PAUSE-loop exit comes one ple_window later and yields again), "
        "and its YIELD flag stays set until a decision past the ratelimit, whose __runq_insert then puts it behind "
        "one lower-priority vCPU. Read with xen_sched_ratelimit true only",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.5.0 .. 4.7.2 csched_schedule: 'if ( !tasklet_work_scheduled && prv->ratelimit_us "
                     "&& vcpu_runnable(current) && !is_idle_vcpu(current) && runtime < "
                     "MICROSECS(prv->ratelimit_us) ) { snext = scurr; ... goto out; }' before 'clear_bit("
                     "CSCHED_FLAG_VCPU_YIELD, &scurr->flags);' (RELEASE-4.5.0, 4.6.4, 4.7.1, 4.7.2 read; audit25)",
        history=(
            Change("4.8", True, "9fdd2f3c9c xen: credit1: don't rate limit context switches in case of yields",
                   note="first in 4.8.0-rc1 / RELEASE-4.8.0 (git tag --contains); no stable-4.6 or stable-4.7 copy "
                        "(git log --grep on both branches; RELEASE-4.6.6 and 4.7.2 lack the flag test): audit25"),
        ),
    ),
    Switch(
        "xen_msix_memory_decoded", "xen", BOOL, True,
        "Xen reads the device's Memory Space before it touches an MSI-X table (memory_decoded): msi_set_mask_bit's "
        "mask of a device that does not decode falls back to the Function Mask and sets host_maskall, which "
        "stays ORed into dom0's Message Control writes; an unmask writes nothing; write_msi_msg needs decoding and "
        "MSI-X Enable; msix_capability_init fails PHYSDEVOP_map_pirq with -ENXIO. Before, a plain writel the "
        "device drops (reading xen.msix-memory-decoded)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.5.0 xen/arch/x86/msi.c has no memory_decoded: msi_set_mask_bit and write_msi_msg "
                     "writel the table unconditionally",
        history=(
            Change("4.6", True, "082fdc6ce8 x86/MSI-X: be more careful during teardown + 0dba393db0 x86/MSI-X: "
                   "access MSI-X table only after having enabled MSI-X + 484d7c852e x86/MSI-X: track host and "
                   "guest mask-all requests separately",
                   note="all three first in RELEASE-4.6.0 (git tag --contains); none in RELEASE-4.5.1 .. 4.5.5 "
                        "(4.5.5's msi.c has no memory_decoded)"),
        ),
    ),
    Switch(
        "xen_credit_migrate_noboost", "xen", BOOL, True,
        "credit: a vCPU woken by vcpu_migrate (csched_cpu_pick set CSCHED_FLAG_VCPU_MIGRATING) is not BOOSTed, "
        "so it does not preempt the UNDER vCPU running on its new pCPU; a blocked vCPU keeps the flag until its "
        "next wake-up, which is then not boosted either. Before, every wake-up of an UNDER vCPU was boosted",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.6.0 csched_vcpu_wake: 'if ( svc->pri == CSCHED_PRI_TS_UNDER && "
                     "!test_bit(CSCHED_FLAG_VCPU_PARKED, &svc->flags) )'",
        history=(
            Change("4.7", True, "66c7449a4d credit1: avoid boosting vCPUs being \"just\" migrated",
                   note="first in RELEASE-4.7.0; no RELEASE-4.6.x carries it (git tag --contains)"),
        ),
    ),
    Switch(
        "xen_credit_yield_flag", "xen", BOOL, True,
        "credit: SCHEDOP_yield (an HVM vCPU's PAUSE-loop exit, reading xen.sched.ple-yield) sets "
        "CSCHED_FLAG_VCPU_YIELD, and csched_schedule's __runq_insert puts the yielding vCPU behind one "
        "lower-priority runnable vCPU. Before, do_yield only raised SCHEDULE_SOFTIRQ: the vCPU goes back after "
        "every vCPU of its own or a higher priority and keeps the pCPU when the waiters' priority is lower "
        "(xen34)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.0.0 xen/common/schedule.c do_yield: 'raise_softirq(SCHEDULE_SOFTIRQ); return 0;'; "
                     "sched_credit.c has no CSCHED_FLAG_VCPU_YIELD and csched_schedule does 'if ( "
                     "vcpu_runnable(current) ) __runq_insert(cpu, scurr);' (vmx.c EXIT_REASON_PAUSE_INSTRUCTION: "
                     "do_sched_op_compat(SCHEDOP_yield, 0); read, xen34)",
        history=(
            Change("4.1", True, "5fc9f5ef6c scheduler: Implement yield for credit1",
                   note="first in RELEASE-4.1.0 (git tag --contains; xen34)"),
        ),
    ),
    Switch(
        "xen_credit2_ratelimit", "xen", BOOL, True,
        "credit2 (a scenario's platform.xen_sched: credit2 before 4.12, the default from 4.12): runq_candidate "
        "keeps a running vCPU that has run less than sched_ratelimit_us (1000 us) and csched2_runtime arms "
        "the pCPU's timer for at least what is left of it. Before 2615485905 credit2 had no ratelimit: a waker "
        "with more credit preempts at once and the timer is never shorter than CSCHED2_MIN_TIMER (xen34; "
        "audit25 found msidbg running 4.12's)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.7.0 / 4.7.6 xen/common/sched_credit2.c: no ratelimit_us (runq_candidate takes "
                     "the runqueue's head when it has more credit; csched2_runtime's floor is CSCHED2_MIN_TIMER); "
                     "read, xen34",
        history=(
            Change("4.8", True, "2615485905 ratelimit: Implement rate limit for credit2 scheduler",
                   note="first in RELEASE-4.8.0 (git tag --contains); RELEASE-4.7.6 lacks it (no stable copy): "
                        "xen34"),
        ),
    ),
    Switch(
        "xen_credit2_yield", "xen", BOOL, True,
        "credit2: SCHEDOP_yield sets __CSFLAG_vcpu_yield and runq_candidate picks the runqueue's head even with "
        "less credit, past the ratelimit (a7fa4d5f53). Before, csched2 had no yield hook: do_yield only raised "
        "SCHEDULE_SOFTIRQ and the yielder keeps the pCPU while its credit is higher than the head's (xen34)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.7.0 sched_credit2.c: no .yield in the scheduler ops, runq_candidate: 'if ( "
                     "svc->credit > snext->credit ) snext = svc;' (read, xen34)",
        history=(
            Change("4.8", True, "a7fa4d5f53 xen: credit2: implement yield()",
                   note="first in RELEASE-4.8.0 (git tag --contains); RELEASE-4.7.6 lacks it: xen34"),
        ),
    ),
    Switch(
        "xen_credit2_tickle_tolerance", "xen", BOOL, True,
        "credit2: runq_tickle preempts the running vCPU only when is_preemptable -- it has run more than the "
        "ratelimit less CSCHED2_RATELIMIT_TICKLE_TOLERANCE (50 us) -- so a waker within the ratelimit waits for "
        "the runner's timer (4b6923acff). Before, the tickle preempted on credit alone, and with a ratelimit "
        "(4.8, 4.9) the schedule() it raised kept the runner until its ratelimit's end, then switched (xen34)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.9.0 / 4.9.4 runq_tickle: 'burn_credits(rqd, cur, now); if ( cur->credit < "
                     "new->credit ) { ... goto tickle; }' (read, xen34)",
        history=(
            Change("4.10", True, "4b6923acff xen: credit2: try to avoid tickling cpus subject to ratelimiting",
                   note="first in RELEASE-4.10.0 (git tag --contains); RELEASE-4.9.4 lacks it: xen34"),
        ),
    ),
    Switch(
        "xen_credit2_max_timer_10ms", "xen", BOOL, True,
        "credit2: CSCHED2_MAX_TIMER, the longest csched2_runtime slice, is CSCHED2_CREDIT_INIT (10 ms; "
        "da92ec5bd1); before, MILLISECS(2)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.1.0 .. 4.7.6: '#define CSCHED2_MAX_TIMER MILLISECS(2)' (CSCHED_MAX_TIMER in "
                     "4.1 .. 4.3; read, xen34)",
        history=(
            Change("4.8", True, "da92ec5bd1 xen: credit2: \"relax\" CSCHED2_MAX_TIMER",
                   note="first in RELEASE-4.8.0 (git tag --contains): xen34"),
        ),
    ),
    Switch(
        "xen_msix_completion_at_resume", "xen", BOOL, True,
        "where msix_write_completion runs: in handle_hvm_io_completion, which hvm_do_resume calls at every "
        "schedule-in of the vCPU (vmx_do_resume / svm_do_resume, the context-switch tail), so an unmask a failed "
        "completion armed again is applied at the vCPU's next schedule-in; before f7039ee41b only hvm_io_assist "
        "called it, at the end of the vCPU's next device-model round trip. msidbg's schedule-ins: the end of a "
        "round trip, an action starting on an idle (halted) vCPU, a vcpu_migrate of a running vCPU to another pCPU, an "
        "interrupt for a halted vCPU and its periodic tick (kernel.guest_tick)",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.13.0 / 4.12.3 hvm_io_assist: 'msix_write_completion(v); "
                     "vcpu_end_shutdown_deferral(v);' -- its only caller",
        history=(
            Change("4.14", True, "f7039ee41b ioreq: handle pending emulation racing with ioreq server destruction",
                   backports=("4.12.4", "4.13.2"),
                   note="first in RELEASE-4.14.0 (git tag --contains); stable-4.12 436ec68ea2 (RELEASE-4.12.4), "
                        "stable-4.13 05ba427181 (RELEASE-4.13.2, not 4.13.1). RELEASE-4.19.2 common/ioreq.c "
                        "vcpu_ioreq_handle_completion, called by hvm_do_resume, keeps it"),
        ),
    ),
    Switch(
        "xen_dm_msix_all_writes", "xen", BOOL, True,
        "every guest MSI-X Vector Control write Xen's vMSI-X intercept handled itself is also passed on to the "
        "device model (_msixtbl_write returns X86EMUL_UNHANDLEABLE after msixtbl_write; XENFEAT_dm_msix_all_writes): "
        "the vCPU waits for QEMU's round trip and QEMU's emulated Vector Control follows the guest's writes. "
        "Before, QEMU saw only the writes Xen could not claim and the unmask after an address/data change, "
        "so its emulated Vector Control kept whatever the guest wrote before Xen claimed the entry",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.18.0 _msixtbl_write: 'return msixtbl_write(current, address, len, val);' "
                     "(X86EMUL_OKAY once handled)",
        history=(
            Change("4.19", True, "64b21662b1 x86/msi: passthrough all MSI-X vector ctrl writes to device model",
                   note="first in 4.19.0-rc1 / RELEASE-4.19.0 (git tag --contains); no stable backport "
                        "(git log --all --grep). The QEMU side that reads the feature (\"Do not access /dev/mem "
                        "in MSI-X PCI passthrough on Xen\": the unmask's update uses the latched Vector Control "
                        "instead of the physical one) was read only as a posted patch: not modelled"),
        ),
    ),
    Switch(
        "xen_vlapic_disabled_refuses", "xen", BOOL, True,
        "a Fixed MSI (vmsi_deliver: an emulated device's message, a passthrough one injected without an event "
        "channel) or vIOAPIC message (vioapic_deliver) to a software-disabled vLAPIC (the guest's "
        "apic_soft_disable: kernel.cpu_disable_apic) sets no IRR bit and is lost, as on a real APIC (vlapic_enabled "
        "is tested before vlapic_match_dest); before f1d7aac1e3c3 vlapic_set_irq set its IRR (and TMR for a level "
        "message) all the same -- nothing is offered to the vCPU while the vLAPIC is disabled "
        "(vlapic_has_pending_irq), so the bit waits: the guest's fixup_irqs IRR scan retriggers it, or the offline "
        "finds it pending. Event channels (the upcall) do not pass through here",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.17.0 vmsi_deliver dest_Fixed: 'if ( vlapic_match_dest(vcpu_vlapic(v), NULL, 0, dest, "
                     "dest_mode) ) vmsi_inj_irq(...)'; vioapic_deliver the same with ioapic_inj_irq; vlapic_set_irq "
                     "sets TMR / IRR with no enable test; vlapic_has_pending_irq: 'if ( !vlapic_enabled(vlapic) ) "
                     "return -1;'",
        history=(
            Change("4.18", True, "f1d7aac1e3c3 x86/HVM: don't mark external IRQs as pending when vLAPIC is disabled",
                   backports=("4.16.3", "4.17.1"),
                   note="first in 4.18.0-rc1 (git tag --contains); stable-4.17 54bb56e128 (RELEASE-4.17.1 has "
                        "'vlapic_enabled(target)' in vmsi_deliver, RELEASE-4.17.0 not), stable-4.16 07bbac08b5 "
                        "(RELEASE-4.16.3, not 4.16.2)"),
        ),
    ),
    Switch(
        "xen_msixtbl_refcount", "xen", ("inverted", "fixed"), "fixed",
        "msixtbl_pt_unregister's test on the device's reference count: inverted (the vMSI-X entry "
        "is deleted while other bindings still hold it, and kept when the last one goes) or fixed",
        initial="inverted", kinds=("xen-hvm",),
        initial_note="if ( !atomic_dec_and_test(&entry->refcnt) ) since 34097f0d3080 (hvm: passthrough "
                     "MSI-X mask bit acceleration); read in RELEASE-4.2.0..4.16.0",
        history=(
            Change("4.22", "fixed", "ea87662c77 x86/msix: fix incorrect refcount decrease in msixtlb",
                   backports=("4.19.4", "4.20.3", "4.21.1"),
                   note="first in 4.22.0-rc1; stable-4.19 3d932ff970 (RELEASE-4.19.4), stable-4.20 9fb2b66c60 "
                        "(RELEASE-4.20.3), stable-4.21 747d10b76f (RELEASE-4.21.1); not on stable-4.17/4.18"),
        ),
    ),
    Switch(
        "xen_msix_snoop_unmask", "xen", BOOL, True,
        "Xen's vMSI-X intercept snoops a guest unmask of a Vector Control it cannot claim yet (the entry has "
        "no msi_desc: msixtbl_range) and, when QEMU's handling of that very write binds the entry "
        "(pt_irq_create_bind -> msixtbl_pt_register), applies the unmask itself once QEMU is done "
        "(msix_write_completion); before, that first unmask reached QEMU only and the entry stayed "
        "guest-masked in Xen until the guest unmasked it again (or bound an event channel)",
        initial=False, kinds=("xen-hvm",), scoped=True,
        history=(
            Change("4.7", True, "3a6222bd57 x86/vMSI-X: avoid missing first unmask of vectors (with 9772c480a7 "
                   "write snoops should ignore hvm_mmio_internal() requests, de86277679 add further checks to "
                   "snoop logic, d5016eaee6 also snoop qword writes, 854c6aab46 also snoop REP MOVS)",
                   backports=("4.6.3",),
                   note="all five first in RELEASE-4.7.0 (git tag --contains); stable-4.6 3b412a9afd (folding in "
                   "the first three), 12b48cf1d3, 90d7212e3b: first in RELEASE-4.6.3; nothing on stable-4.5"),
        ),
    ),
    Switch(
        "xen_bind_unmask", "xen", BOOL, True,
        "pt_irq_create_bind honours the device model's XEN_DOMCTL_VMSI_X86_UNMASKED gflag (VMSI_UNMASKED, "
        "0x10000): when QEMU binds an entry the guest has unmasked, Xen clears the guest mask bit of the pirq's "
        "MSI (guest_mask_msi_irq(desc, false)), on the first binding and on every update. Before it, an MSI "
        "from 4.6 on (startup_msi_irq: guest-masked) stays guest-masked until the guest unmasks it through the "
        "vMSI-X intercept or binds an event channel -- which a guest MSI (no intercept) or a guest without "
        "pirqs (platform.apic_virtualization) never does",
        initial=False, kinds=("xen-hvm",), scoped=True,
        history=(
            Change("4.10", True, "69d99d1b22 x86/pt: add a MSI unmask flag to XEN_DOMCTL_bind_pt_irq",
                   note="first in RELEASE-4.10.0 (git tag --contains); not on stable-4.8 nor stable-4.9 "
                        "(no XEN_DOMCTL_VMSI_X86_UNMASKED / VMSI_UNMASKED in their io.c)"),
        ),
    ),
    Switch(
        "apic_virtualization", "xen", (False, True), False,
        "the host has APIC-register (or x2APIC) virtualization and Xen says so in CPUID leaf 4 "
        "(XEN_HVM_CPUID_APIC_ACCESS_VIRT / _X2APIC_VIRT): the HVM guest's xen_hvm_msi_init returns "
        "early and every device keeps the native x86 MSI domain -- no pirqs, QEMU binds the guest's "
        "real vectors, Xen injects them into the vCPU's local APIC. A property of the host, not of a "
        "release: no version sets it; Xen advertises it from 4.5.0 (3196856c65), so with a platform.xen "
        "before 4.5 it is a load error (a guest with native MSIs there: xen_hvm_pirqs: false)",
        initial=False, kinds=("xen-hvm",),
    ),
    Switch(
        "xen_hvm_pirqs", "xen", BOOL, False,
        "Xen offers the HVM guest XENFEAT_hvm_pirqs (xl.cfg hvm_pirq; the domain's XEN_X86_EMU_USE_PIRQ): "
        "its Linux routes every PCI device's MSIs over pirqs and event channels (xen_hvm_msi_init -> "
        "xen_setup_pci_msi). Without it pci_xen_hvm_init returns early and every device keeps the native x86 "
        "MSI domain, as with platform.apic_virtualization: QEMU binds the guest's vectors, Xen injects them "
        "into the vCPU's local APIC. Xen 4.0 has no such feature; from 4.19 libxl no longer exposes it "
        "unless the domain's config sets hvm_pirq=1 (set this true for such a guest)",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.0.0 xen/include/public/features.h has no XENFEAT_hvm_pirqs (10)",
        history=(
            Change("4.1", True, "0b469cd68708 Interrupt remapping to PIRQs in HVM guests",
                   note="first in RELEASE-4.1.0 (git tag --contains; audit 2026-12)"),
            Change("4.19", False, "024e7131be5c tools: don't expose XENFEAT_hvm_pirqs by default",
                   note="first in RELEASE-4.19.0 (git tag --contains), not on stable-4.18 or older; xl.cfg "
                        "hvm_pirq=BOOLEAN, \"This option is disabled by default\" (docs/man/xl.cfg.5.pod.in, "
                        "RELEASE-4.22.0); a resumed domain without a selection keeps it (audit 2026-12)"),
        ),
    ),
    Switch(
        "xen_evtchn_fifo", "xen", BOOL, True,
        "Xen offers the FIFO-based event channel ABI (EVTCHNOP_init_control, common/event_fifo.c): a guest "
        "that asks for it (kernel.xen_fifo_events) gets per-vCPU event queues, served in the order events "
        "were linked; otherwise the 2-level pending/mask bitmaps with a per-vCPU selector word. A Xen 4.21+ "
        "built without CONFIG_EVTCHN_FIFO (cfe15a473d, an EXPERT option, default y) offers none: set it false",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="before 4.4 event_channel.c has the 2-level bitmaps only (no EVTCHNOP_init_control)",
        history=(
            Change("4.4", True, "88910061ec evtchn: add FIFO-based event channel hypercalls and port ops "
                   "(with 70ccddb14a only set READY for new heads, e33d4257fc don't corrupt queues if an "
                   "old tail is linked)", note="all three first in RELEASE-4.4.0 (git tag --contains)"),
        ),
    ),
    Switch(
        "xen_evtchn_skip_busy", "xen", BOOL, True,
        "get_free_port() skips a free port that is still LINKED on a FIFO queue (evtchn_port_is_busy), so a "
        "port closed while linked is not handed out again until the guest has consumed it; before, a "
        "re-bound port's first events went to the queue it was still linked on. Only the FIFO ABI has busy "
        "ports",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        history=(
            Change("4.7", True, "78e24c269b evtchn: don't reuse ports that are still \"busy\"",
                   backports=("4.4.4", "4.5.3", "4.6.1"),
                   note="first in RELEASE-4.7.0 (git tag --contains); stable-4.4 c3049fad2b (RELEASE-4.4.4), stable-4.5 "
                        "74b7f4631e (RELEASE-4.5.3), stable-4.6 8e07a0dc58 (RELEASE-4.6.1): the same event_channel.c "
                        "hunk (audit 2026-12)"),
        ),
    ),
    Switch(
        "xen_hvm_inject_msi", "xen", BOOL, True,
        "Xen has HVMOP_inject_msi, the hypercall through which the device model (QEMU's xen_apic_mem_write -> "
        "xen_hvm_inject_msi) delivers an emulated device's MSI to an HVM guest (hvm_inject_msi: a pirq message "
        "to the pirq's event channel, any other through vmsi_deliver). Before it the call fails (-ENOSYS; a "
        "qemu-xen built against Xen 4.0 / 4.1 compiles xen_xc_hvm_inject_msi as 'return -ENOSYS;') and the "
        "message is dropped: an emulated (not passed through) device's MSI / MSI-X signals are lost",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.1.6.1 xen/include/public/hvm/hvm_op.h has no HVMOP_inject_msi (nor inj_msi); "
                     "qemu-xen-4.6.0 include/hw/xen/xen_common.h: '/* Xen before 4.2 */ #if "
                     "CONFIG_XEN_CTRL_INTERFACE_VERSION < 420 static inline int xen_xc_hvm_inject_msi(...) { return "
                     "-ENOSYS; }' (redteam18)",
        history=(
            Change("4.2", True, "080bc64070 x86: Add a new operation in HVMOP to inject emulated MSI. (renamed "
                   "inj_msi -> inject_msi by 5d6e4fe28b)",
                   note="first in RELEASE-4.2.0 (git tag --contains; committed 2011-05-26, after the 4.1 branch): "
                        "no 4.1.y release carries it (RELEASE-4.1.6.1 hvm_op.h read) (redteam18)"),
        ),
    ),
    Switch(
        "xen_pirq_eoi_v2", "xen", BOOL, True,
        "Xen knows PHYSDEVOP_pirq_eoi_gmfn_v2, the only form a Linux PV guest registers its pirq_eoi_map with "
        "(xen_init_IRQ): the guest then EOIs a pirq only when Xen's pirq_guest_bind set its bit (an ack type "
        "other than ACKTYPE_NONE: an MSI Xen cannot mask). Before it the hypercall fails, the guest keeps "
        "pirq_needs_eoi_flag, and PHYSDEVOP_irq_status_query's XENIRQSTAT_needs_eoi -- set for every PV pirq "
        "in every release -- makes it issue PHYSDEVOP_eoi for every interrupt of every pirq",
        initial=False, kinds=("xen-pv",), scoped=True,
        initial_note="RELEASE-4.0.0 / 4.1.0 physdev.c: only 'case PHYSDEVOP_pirq_eoi_gmfn:' (the v1 semantics, "
                     "which make PHYSDEVOP_eoi unmask the event channel; Linux never registers it)",
        history=(
            Change("4.2", True, "0057a949de xen: introduce PHYSDEVOP_pirq_eoi_gmfn_v2", backports=("4.1.3",),
                   note="first in 4.2.0-rc1 / RELEASE-4.2.0; stable-4.1 1d0c9fbb14 first in RELEASE-4.1.3 "
                        "(git tag --contains; RELEASE-4.1.2 physdev.c has only PHYSDEVOP_pirq_eoi_gmfn)"),
        ),
    ),
    Switch(
        "xen_pirq_follows_vcpu", "xen", BOOL, True,
        "a pirq's host irq follows the vCPU its event channel is bound to: EVTCHNOP_bind_vcpu of a pirq port to "
        "another vCPU asks a move of the host irq to that vCPU's pCPU (evtchn_bind_vcpu, case ECS_PIRQ: "
        "pirq_set_affinity), and Xen's scheduler moving a vCPU asks the same for the pirq of every port bound "
        "to it (vcpu_migrate -> evtchn_move_pirqs); each move is applied at the host irq's next interrupt. "
        "Before it bind_vcpu only sets notify_vcpu_id and a pirq's host irq stays where pirq_guest_bind put it "
        "(an HVM guest's bound MSI still follows its guest destination: hvm_migrate_pirqs, every release)",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.0.0 .. 4.0.4 event_channel.c evtchn_bind_vcpu: 'case ECS_UNBOUND: case "
                     "ECS_INTERDOMAIN: case ECS_PIRQ: chn->notify_vcpu_id = vcpu_id; break;' and no "
                     "evtchn_move_pirqs (schedule.c)",
        history=(
            Change("4.1", True, "38b998cfb6 x86: IRQ affinity should track vCPU affinity",
                   note="first in 4.1.0-rc1 / RELEASE-4.1.0 (git tag --contains); not on stable-4.0: "
                        "RELEASE-4.0.1 .. 4.0.4 event_channel.c have neither pirq_set_affinity nor "
                        "evtchn_move_pirqs (redteam13)"),
        ),
    ),
    Switch(
        "xen_bind_moves_one_pirq", "xen", BOOL, True,
        "the end of pt_irq_create_bind (an HVM guest's MSI binding, first or update) asks a move toward the "
        "pCPU of the vCPU the guest destination names for the pirq it binds only (hvm_migrate_pirq); before "
        "782cf8ba46 it ran hvm_migrate_pirqs for that vCPU: a move (irq_set_affinity) for every bound MSI pirq "
        "whose guest destination is that vCPU, each applied at its host irq's next interrupt (set_msi_affinity: "
        "write_msi_msg, whether or not the message changes)",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.5.0 / 4.11.0 drivers/passthrough/io.c pt_irq_create_bind: 'if ( dest_vcpu_id >= 0 ) "
                     "hvm_migrate_pirqs(d->vcpu[dest_vcpu_id]);' (the same in RELEASE-4.9.4, 4.10.4, 4.11.4)",
        history=(
            Change("4.12", True, "782cf8ba46 pass-through: adjust pIRQ migration",
                   note="first in RELEASE-4.12.0 (git tag --contains); RELEASE-4.9.4, 4.10.4 and 4.11.4 io.c still "
                        "call hvm_migrate_pirqs (xen28)"),
        ),
    ),
    Switch(
        "xen_bind_affinity_first", "xen", BOOL, True,
        "pirq_guest_bind (the first binding of a host irq: pt_irq_create_bind, a PV guest's EVTCHNOP_bind_pirq) "
        "sets the irq's affinity to the binding vCPU's pCPU (set_msi_affinity: write_msi_msg, whether or not the "
        "message changes) before startup unmasks the entry; before 1aeb1156fa it did so after startup, "
        "rewriting an unmasked entry ('address and data can't be updated atomically and may - at least for "
        "MSI-X - be cached while unmasked')",
        initial=False, kinds=("xen-hvm", "xen-pv"), scoped=True,
        initial_note="RELEASE-4.5.0 irq.c pirq_guest_bind: 'desc->handler->startup(desc); /* Attempt to bind the "
                     "interrupt target to the correct CPU. */ ... desc->handler->set_affinity(desc, "
                     "cpumask_of(v->processor));' (the same order in RELEASE-4.0.0 and 4.4.0)",
        history=(
            Change("4.6", True, "1aeb1156fa x86: don't change affinity with interrupt unmasked",
                   backports=("4.4.3", "4.5.1"),
                   note="first in 4.6.0-rc1 / RELEASE-4.6.0; stable-4.4 718f183bf4 (RELEASE-4.4.3), stable-4.5 "
                        "ddfe333aef (RELEASE-4.5.1): git tag --contains (xenhost)"),
        ),
    ),
    Switch(
        "xen_dpci_eoi_timer", "xen", BOOL, False,
        "hvm_dirq_assist arms the pirq's dpci EOI timer (pt_irq_time_out, PT_IRQ_TIME_OUT = 8 ms) after asserting "
        "an HVM guest's passthrough INTx lines, and hvm_pirq_eoi stops it when pending reaches 0. When it fires, "
        "every girq on the guest GSI of each of the pirq's digls is latched and the digls' guest lines deasserted; "
        "every latched pirq gets pending = 0 and pirq_guest_eoi (model/xen_intx.py; an HVM intx: pin is modelled "
        "from Xen 4.13)",
        initial=True, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.13.0 xen/drivers/passthrough/io.c hvm_dirq_assist: 'set_timer(&pirq_dpci->timer, "
                     "NOW() + PT_IRQ_TIME_OUT);' (RELEASE-4.15.0: xen/drivers/passthrough/x86/hvm.c)",
        history=(
            Change("4.16", False, "730d0f6082 x86/dpci: remove the dpci EOI timer",
                   note="first in RELEASE-4.16.0; no other commit of that subject on any branch: git log --all "
                        "--grep, git tag --contains (intxpv)"),
        ),
    ),
    Switch(
        "xen_dpci_eoi_masked", "xen", BOOL, True,
        "hvm_pirq_eoi EOIs the host irq (pirq_guest_eoi, and stops the dpci EOI timer) when pending reaches 0 "
        "whether or not the guest's vIOAPIC entry is masked; before eb298f32fa it returned without either for a "
        "masked entry, leaving the host irq to the 1 ms eoi_timer",
        initial=False, kinds=("xen-hvm",), scoped=True,
        initial_note="RELEASE-4.13.0 io.c hvm_pirq_eoi: 'if ( --pirq_dpci->pending || (ent && ent->fields.mask) "
                     "|| !pt_irq_need_timer(pirq_dpci->flags) ) return;'",
        history=(
            Change("4.15", True, "eb298f32fa x86/dpci: EOI interrupt regardless of its masking status",
                   backports=("4.13.3", "4.14.2"),
                   note="first in RELEASE-4.15.0; stable-4.13 dc36f72d2a (RELEASE-4.13.3), stable-4.14 a3509dcd0f "
                        "(RELEASE-4.14.2): git log --all --grep, git tag --contains (intxpv)"),
        ),
    ),
)
