"""why30: the leads round 28 left (docs/why.md, "Round 30"): a stray that check_irq_resend's replay IPI carried links
that IPI (and through it the IRQS_PENDING the message was parked in), the 2021 seed's default chain is decided against
issue 13's acceptance, and a try_one_irq holder run by poll_spurious_irqs is reached by a file."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_prov_neutral
from tests.why_helpers import cli, first_hit, one, ran

TESTS = Path(__file__).resolve().parent
WHY30 = TESTS / "why30"
KERNEL26 = TESTS / "kernel26"


def _chain(why: object) -> list[tuple[int, str, str | None]]:
    return [(lk.event, lk.link, lk.path) for lk in why.chain]     # type: ignore[attr-defined]


def test_an_ipi_only_stray_links_the_replay_ipi_and_the_parked_edge() -> None:
    """b01 (5.6): r04 with CPU1 offline between the park and enable_irq. The xHCI message msi_set_affinity retriggered
    is taken on CPU1's 0x22 while the NVMe admin irq 24 is disabled: IRQS_PENDING (290, a new node: nothing was recorded
    for a park that carried only the stray). fixup_irqs moves irq 24 to CPU2's 0x22 (303); enable_irq's check_irq_resend
    replays it there by IPI (321), and CPU2 runs the NVMe handler for it (325). No xHCI message set CPU2's 0x22 since
    its move off CPU2 at 300 us: the walk for the sender's message found that older one (the probe's message
    to CPU2) and the chain ended at the xHCI probe. Now: stray <- the replay IPI <- check_irq_resend (in enable_irq's
    irq_startup) <- the parked IRQS_PENDING <- CPU1's accept <- the message in CPU1's IRR <- the plug update's data
    write (redirect_target) <- the deferred move <- set_affinity(9). Indices +2 since intx36: the NVMe and xHCI
    probes' Interrupt Disable writes (84, 213)."""
    s = ran("b01-plug-stray-parked-offline-k56", WHY30)
    hit = s.armed_hits()[0]
    assert hit.event == 325 and "xhci vector 0's message stayed" in hit.detail
    why = s.why(hit)
    assert _chain(why) == [
        (325, "stray.retriggered", "cpus[2].irr[0x22]"), (321, "irr.ipi", "cpus[2].irr[0x22]"),
        (321, "kernel", "irqs[24].pending"), (291, "kernel", "irqs[24].pending"), (290, "accept", "cpus[1].isr[0x22]"),
        (271, "irr.set", "cpus[1].irr[0x22]"), (269, "msi.reg", "devices.xhci.msi.data"),
        (257, "irq.move_pending", "irqs[37].pending_mask"), (256, "action.start", "actions[4]")]
    assert why.chain[1].relation == "carried by the replay IPI of the IRQS_PENDING it was parked in (check_irq_resend)"
    assert why.chain[2].stack[:2] == ["irq_startup+started", "driver_enable_irq+enabled"]
    assert why.chain[3].stack[:1] == ["handle_edge_irq+ack"] and why.chain[3].value == 1
    assert why.chain[6].stack[:2] == ["pci_write_msi_msg+data", "msi_set_affinity_plug+redirect_target"]
    assert s.event(321).fields == {"irq": 24, "target": 2, "how": "apic_retrigger_irq: IPI vector 0x22"}
    assert s.event(303).kind == "vector.assign" and s.event(303).fields["target"] == 2
    assert s.event(291).fields == {"irq": 24, "signals": 0, "why": "disabled"}
    # the disable_irq that left irq 24 disabled is the parked edge's branch; CPU2's own accept the stray's
    assert [(b[0].event, b[0].link) for b in why.chain[3].branches] == [(260, "kernel")]
    assert [(b[0].event, b[0].link) for b in why.chain[0].branches] == [(322, "accept"), (303, "vector_irq")]


def test_a_stray_replayed_to_the_same_cpu_goes_through_the_replay_too() -> None:
    """kernel26 r04 (5.6): the replay goes back to CPU1's 0x22, where the xHCI message once sat: the chain linked that
    message (271; +2 since intx36) directly, skipping enable_irq's replay and the park; now it passes both, to the same message."""
    s = ran("r04-plug-stray-parked-k56", KERNEL26)
    why = s.why(s.armed_hits()[0])
    assert _chain(why) == [
        (307, "stray.retriggered", "cpus[1].irr[0x22]"), (303, "irr.ipi", "cpus[1].irr[0x22]"),
        (303, "kernel", "irqs[24].pending"), (291, "kernel", "irqs[24].pending"), (290, "accept", "cpus[1].isr[0x22]"),
        (271, "irr.set", "cpus[1].irr[0x22]"), (269, "msi.reg", "devices.xhci.msi.data"),
        (257, "irq.move_pending", "irqs[37].pending_mask"), (256, "action.start", "actions[4]")]


def test_the_2021_default_follows_the_offline_and_the_tree_reaches_both_fix_steps() -> None:
    """why28's lead (c), decided: issue 13 says the default view follows the most recent writer and marks the branches;
    its acceptance asks that ``why`` reach, through recorded links, the two steps the fix changed -- the latch at
    irq_startup's unmask and the MSI-X entry written while unmasked. The write the latch ignored did not produce the
    lost message (an annotation, never a default), and it is not an ancestor of the latch (24 < 28), so no single
    chain can hold both: the acceptance is the tree's. The default stays loss <- CPU1's __cpu_disable <- cpu_offline
    (the latest writer: the destination's online state), both fix steps are the loss's branches, each reaching
    request_irq, and the --json summary's ``cause`` is the default chain. (Indices +1 since intx36: the set-up's Interrupt
    Disable write, event 12.)"""
    s = ran("msix-write-while-unmasked")
    loss = first_hit(s, "irq-lost")
    why = s.why(loss)
    assert why.events() == [79, 72, 70]
    assert [lk.relation for lk in why.chain[1:]] == ["the destination CPU", "run by"]
    latch, ignored = why.chain[0].branches
    unmask = one(s, "msix.write", entry=0, reg="ctrl", value=0)
    assert [(lk.event, lk.link, lk.relation) for lk in latch] == [
        (unmask, "latch", "sent from the message the device latched"), (unmask, "table.write", "released by the unmask"),
        (18, "action.start", "run by")]
    assert [(lk.event, lk.link, lk.relation) for lk in ignored] == [
        (28, "table.write.live", "the entry's registers hold a newer message the latch ignores"),
        (18, "action.start", "run by")]
    assert unmask < 28 and 28 not in [lk.event for lk in latch]
    assert latch[1].stack[:2] == ["__irq_startup+enable", "irq_startup+startup_last"]
    assert s.event(18).fields == {"action": 2, "do": "request_irq"}
    code, out, _ = cli("run", str(TESTS.parent / "scenarios" / "msix-write-while-unmasked.yaml"), "--headless",
                       "--json")
    hits = json.loads(out)["hits"]
    lost = next(h for h in hits if h["breakpoint"] == "irq-lost")
    assert lost["cause"] == [79, 72, 70]


def test_a_task_behind_the_polls_try_one_irq_names_the_poll_run() -> None:
    """a01 (6.6): why28 left the poll_spurious_irqs holder linked but unreached. usb3's unclaimed condition storms GSI 16
    on CPU1 until note_interrupt disables irq 16 and arms the poll timer there (event 300012); eth3's driver moves the
    irq to CPU2 and enable_irq's it (IRQS_SPURIOUS_DISABLED stays set), so the storm goes on on CPU2. At the expiry
    (300999.9 us) CPU1's try_one_irq finds irq 16's action in progress on CPU2: IRQS_PENDING under desc->lock to the
    poll's next step; CPU0's disable_irq_nosync, 50 ns later, spins behind it. The spin <- "held by" the timer expiry
    (the poll run) <- the arm <- note_interrupt's "nobody cared" disable <- its interrupt <- the level IRR <- usb3's
    condition. The expiry linked ``irqs[16].disabled``'s latest writer, enable_irq ("enabled"), as what it polls."""
    s = ran("a01-task-behind-poll-try-one-irq-k66", WHY30)
    spins = [e.index for e in s.events(361530, 361545)
             if e.kind == "kernel" and str(e.fields.get("what", "")).startswith("desc->lock")]
    assert spins == [361536]
    assert s.event(361536).fields["what"] == "desc->lock: CPU1 is in try_one_irq of irq 16"
    assert s.event(361534).fields["how"] == "in progress on another CPU: IRQS_PENDING"
    why = s.why(361536)
    assert _chain(why) == [
        (361536, "lock.wait", "cpus[0].proc.wait"), (361533, "irq.poll", "irqs[16].disabled"),
        (300012, "irq.poll_timer", "kernel.spoll"), (300012, "kernel", "irqs[16].disabled"),
        (300010, "accept", "cpus[1].isr[0x20]"), (300009, "irr.level", "cpus[1].irr[0x20]"),
        (12, "intx.cond", "acct.usb3.held[0]"), (0, "initial", "devices.usb3.cmd")]
    assert why.chain[0].reason.endswith("driver_disable_irq_nosync of irq 16 spins on desc->lock: CPU1 is in "
                                        "try_one_irq")
    assert why.chain[1].relation == "waits for desc->lock, held by"
    assert "nobody cared (100000 of 100000 unhandled); Disabling IRQ #16" in why.chain[3].reason
    assert why.chain[3].stack[:1] == ["handle_fasteoi_irq+note"]
    assert 300021 not in why.events()       # enable_irq (the action) is not what the poll polls for
    assert s.event(300021).fields == {"action": 3, "do": "enable_irq"}


def test_the_new_records_change_nothing_the_model_does() -> None:
    """Provenance on and off: the same events, hits and state hash."""
    assert_prov_neutral(sorted(WHY30.glob("*.yaml")) + [KERNEL26 / "r04-plug-stray-parked-k56.yaml"])
