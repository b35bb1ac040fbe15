"""Cause chains of the bare-metal seed bugs (2021 latch, 2020 torn MSI, Marvell early mask): the
events each chain passes, found in the log by what they are, link by link."""

from __future__ import annotations

from tests.why_helpers import events, first_hit, one, ran


def test_2021_loss_links_the_offline_cpu_with_the_latch_and_the_live_rewrite_as_branches() -> None:
    """The NIC latched CPU1's message when irq_startup() unmasked the entry; irq_setup_affinity()
    then rewrote the live entry for CPU0 (the latch ignores it). The first loss is a signal sent
    to CPU1 after CPU1 went offline: the offline is the most recent writer, the latch (and the
    unmask behind it) and the ignored rewrite are branches."""
    s = ran("msix-write-while-unmasked")
    loss = first_hit(s, "irq-lost")
    why = s.why(loss)
    off_start = one(s, "action.start", do="cpu_offline")
    # (whyheld12) CPU1 left cpu_online_mask in take_cpu_down's __cpu_disable (remove_cpu_from_maps), not at the
    # cpu.offline event cpu_down ends with
    disable = why.chain[1].event
    assert off_start < disable < one(s, "cpu.offline")
    assert why.events() == [loss.event, disable, off_start]
    assert why.chain[0].path == "acct.eth0.lost[0]" and "CPU1, which is offline" in why.chain[0].reason
    assert why.chain[1].path == "cpus[1].online" and why.chain[1].stack == ["take_cpu_down+cpu_disable"]
    unmask = one(s, "msix.write", entry=0, reg="ctrl", value=0)
    moved = [e.index for e in events(s, "vector.assign")][-1]
    rewrite = one(s, "msix.write", lambda e: e.index > moved, entry=0, reg="data")
    heads = {b[0].event: b for b in why.chain[0].branches}
    assert sorted(heads) == [unmask, rewrite]
    latch = heads[unmask]
    assert [(lk.event, lk.link) for lk in latch] == [(unmask, "latch"), (unmask, "table.write"),
                                                      (one(s, "action.start", do="request_irq"), "action.start")]
    assert latch[0].value == [0xFEE02004, 0, 0x21]    # CPU1 as apic_flat addresses it (logical id 0x02) and latch[0].relation == "sent from the message the device latched"
    assert latch[1].stack[:2] == ["__irq_startup+enable", "irq_startup+startup_last"]
    ignored = heads[rewrite]
    assert ignored[0].link == "table.write.live" and ignored[0].path == "devices.eth0.msix.table[0].data"
    assert ignored[0].stack[1:4] == ["msi_set_affinity+updated", "irq_do_set_affinity+record", "irq_setup_affinity+chosen"]


def test_2021_spurious_after_online_reaches_the_latch_and_the_slot_the_offline_emptied() -> None:
    s = ran("msix-write-while-unmasked")
    hit = first_hit(s, "irq-spurious")
    why = s.why(hit)
    msg = one(s, "msi.msg", lambda e: hit.event - 3 <= e.index < hit.event)
    unmask = one(s, "msix.write", entry=0, reg="ctrl", value=0)
    accept = one(s, "apic.accept", lambda e: msg < e.index < hit.event)
    assert why.events() == [hit.event, accept, msg, unmask, unmask, one(s, "action.start", do="request_irq")]
    assert [lk.link for lk in why.chain[:5]] == ["lost", "accept", "irr.set", "latch", "table.write"]
    assert why.chain[0].stack == ["common_interrupt+no_handler"]
    slot = [b for b in why.chain[0].branches if b[0].path == "cpus[1].vector_irq[0x21]"]
    # (dyingdrain) emptied by fixup_irqs' IRR scan in CPU1's take_cpu_down (recorded at its MULTI_STOP_EXIT note)
    exit_ = one(s, "kernel", lambda e: "MULTI_STOP_EXIT, CPU1" in str(e.fields.get("what")))
    assert slot and slot[0][0].event == exit_ and slot[0][0].value == "UNUSED"
    assert slot[0][0].stack == ["take_cpu_down+fixup_irr"] and exit_ < one(s, "cpu.offline")


def test_2020_torn_message_is_the_first_half_of_a_deferred_move_and_the_signal_between() -> None:
    """msi_set_affinity() on 5.5 writes the new address, then the new data, in irq_move_irq on the
    irq's current CPU (a move set_affinity deferred to the next interrupt). A signal between the
    halves carries the new CPU with the old vector: it reaches nvme0's handler there and is lost."""
    s = ran("msi-torn-affinity-update")
    loss = first_hit(s, "irq-lost")
    torn = first_hit(s, "msi-torn-message")
    why = s.why(loss)
    first_half = one(s, "cfg.write", lambda e: torn.event - 3 < e.index < torn.event, dev="xhci")
    second_half = [e.index for e in events(s, "cfg.write", dev="xhci", offset=92) if e.index > torn.event][0]
    request = one(s, "irq.affinity", lambda e: e.index < first_half and e.index > first_half - 10, how="pending")
    # the set_affinity action that made the request: the last one started before it, done after it
    # (CPU3's interrupt events interleave with CPU0's action, so the distance is not fixed)
    action_ev = [e for e in events(s, "action.start", do="set_affinity") if e.index < request][-1]
    action = action_ev.index
    one(s, "action.done", lambda e: e.index > request, action=action_ev.fields["action"])  # still running
    accept = one(s, "apic.accept", lambda e: torn.event < e.index < loss.event)
    assert why.events() == [loss.event, accept, torn.event, first_half, request, action]
    assert torn.event < loss.event < second_half
    assert [lk.link for lk in why.chain] == ["lost", "accept", "irr.set", "msi.reg", "irq.move_pending",
                                             "action.start"]
    half = why.chain[3]
    assert half.path == "devices.xhci.msi.addr_lo" and half.value == 0xFEE02004 and half.actor == "CPU3 interrupt"
    # 5.5's chip: msi_domain_set_affinity (msi_set_affinity exists from 6f1a4891a592)
    assert half.stack[:2] == ["pci_write_msi_msg+addr_lo", "msi_domain_set_affinity+updated"]
    assert any(f.startswith("irq_move_irq+") for f in half.stack)
    assert why.chain[4].path == "irqs[29].pending_mask" and why.chain[4].value == [1]
    assert why.chain[2].path == "cpus[1].irr[0x22]"
    # the signal between the halves: the torn-message hit explains itself by the first half first
    assert s.why(torn).events() == [torn.event, first_half, request, action]
    # the handler it reached: the slot nvme0's irq holds (a branch)
    owner = [b[0] for b in why.chain[0].branches if b[0].link == "vector_irq"]
    assert owner and owner[0].path == "cpus[1].vector_irq[0x22]" and owner[0].value == 24


def test_marvell_failed_probe_reaches_the_msi_fallback_and_the_early_mask_that_blocks_it() -> None:
    """msix_capability_init() masks every entry early (7d5ec3d36123), MSI-X setup fails, the driver
    falls back to MSI; the Marvell device still applies MSI-X entry 0's mask to its MSI message."""
    s = ran("marvell-nvme-msi-blocked")
    failed = first_hit(s, "probe-failed")
    why = s.why(failed)
    timeout = one(s, "wait.timeout")
    held = [e.index for e in events(s, "msi.held") if e.index < timeout][0]
    # msi_capability_init's enable, not __pci_write_msi_msg's rewrite of the same Message Control
    enable = [e.index for e in events(s, "cfg.write", dev="nvme0", offset=82, value=0x81)][0]
    probe = one(s, "action.start", do="probe")
    assert why.events() == [failed.event, timeout, held, enable, probe]
    assert why.chain[3].path == "devices.nvme0.msi.ctrl" and why.chain[3].relation == "MSI enabled"
    assert why.chain[3].stack[0] == "msi_capability_init+msi_enable"
    early = one(s, "msix.write", entry=0, reg="ctrl", value=1)
    mask = [b[0] for b in why.chain[2].branches]
    assert [(lk.event, lk.path, lk.relation) for lk in mask] == [
        (early, "devices.nvme0.msix.table[0].ctrl", "held by the mask")]
    assert mask[0].stack[0] == "msix_capability_init+mask_early"
    # the first loss: the same held signal, still blocked at the end of the run
    loss = first_hit(s, "irq-lost")
    assert s.why(loss).events() == [loss.event, one(s, "run.end") - 1, enable, probe]
