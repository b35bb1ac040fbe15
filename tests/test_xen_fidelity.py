"""Issue 10, the Xen/QEMU findings: each test names the finding it checks and follows the
upstream source the model cites (docs/model-xen.md)."""

from __future__ import annotations

from msidbg.model import new_engine
from msidbg.model import xen as X
from tests.conftest import events_of, run_to_end, scenario

NIC_LATE = """
name: t
cpus: 2
platform: {kind: xen-hvm%s}
kernel: {msix_mask_all: %s, xen_hvm_msi_ignore_mask: false}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 10, every: 10us}
  - {at: 2ms, do: fire, dev: eth0, vector: 1, count: 10, every: 10us}
  - {at: 2ms, do: fire, dev: eth0, vector: 2, count: 10, every: 10us}
"""


def nic(platform: str = "", mask: str = "late") -> str:
    return NIC_LATE % (platform, mask)


# --- finding 1 ------------------------------------------------------------------------------------------
def test_finding1_qemu_emulated_msix_table_starts_zero_filled() -> None:
    """xen_pt_msix_init allocates the emulated entries with g_malloc0 (qemu-xen) / memset
    (qemu-traditional): the guest reads Vector Control 0 (unmasked) before it writes it."""
    eng = new_engine(scenario(nic()))
    assert all(e["latch"] == [0, 0, 0, 0] for e in eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"])
    while eng.step():
        if len(events_of(eng, "qemu.msix_read")) == 3 and len(eng.w["kernel"]["pci"]["eth0"]["descs"]) == 3:
            break   # (QEMU answered the third read and the kernel's re-run took it)
    reads = events_of(eng, "qemu.msix_read")
    assert [(e.fields["entry"], e.fields["reg"], e.fields["value"]) for e in reads] == [
        (0, "ctrl", 0), (1, "ctrl", 0), (2, "ctrl", 0)]
    # the kernel caches what it read: msix_setup_msi_descs sees every entry unmasked
    assert [d["msix_ctrl"] for d in eng.w["kernel"]["pci"]["eth0"]["descs"]] == [0, 0, 0]
    # the physical entries still come out of reset masked (a real device)
    assert all(e["ctrl"] == 1 for e in eng.w["devices"]["eth0"]["msix"]["table"])


def test_finding1_the_early_mask_is_what_the_guest_reads_back() -> None:
    eng = run_to_end(scenario(nic(mask="early")))
    reads = [e.fields["value"] for e in events_of(eng, "qemu.msix_read") if e.fields["reg"] == "ctrl"]
    assert reads[:3] == [1, 1, 1]


# --- finding 2: the real xen-pt rule and the 2022 late mask -----------------------------------------------
TRACE_KINDS = ("qemu.msix_read", "ioreq.msix_write", "qemu.msix_write", "qemu.map_pirq", "qemu.bind_pirq",
               "msix.write", "xen.msixtbl", "ioreq.cfg_write", "xen.hypercall", "msi.held")


def trace(eng, dev: str = "eth0", kinds=TRACE_KINDS, upto: int | None = None) -> list[tuple]:
    """(kind, entry/op, value/how) per event of ``kinds``, as compact tuples."""
    out = []
    for e in eng.log.events(1, (upto or len(eng.log)) + 1):
        if e.kind not in kinds or e.dev != dev:
            continue
        f = e.fields
        if e.kind in ("qemu.msix_read", "ioreq.msix_write", "msix.write"):
            out.append((e.kind, f["entry"], f["reg"], f["value"]))
        elif e.kind in ("qemu.msix_write", "xen.msixtbl"):
            out.append((e.kind, f["entry"], f["how"]))
        elif e.kind in ("qemu.map_pirq", "qemu.bind_pirq", "qemu.unmap_pirq"):
            out.append((e.kind, f["entry"], f["pirq"], f["rc"]))
        elif e.kind == "xen.hypercall":
            if f["op"] not in ("EVTCHNOP_bind_vcpu", "EVTCHNOP_unmask"):    # (a rebind's hypercalls)
                out.append((e.kind, f["op"], f["ret"]))
        elif e.kind == "ioreq.cfg_write":       # the register too: Command (0x4) or MSI-X control
            out.append((e.kind, f["offset"], f["value"]))
        elif e.kind == "msi.held":
            out.append((e.kind, f["index"], f["why"]))
        else:
            out.append((e.kind, *f.values()))
    return out


def entry_writes(entry: int, pirq: int, qemu_owned: bool) -> list[tuple]:
    """da181dc974ad's masked update of one entry with the pirq message, as QEMU sees it."""
    lo = 0xFEE00000 | (pirq & 0xFF) << 12
    seq = [("xen.hypercall", "PHYSDEVOP_get_free_pirq", pirq),
           ("ioreq.msix_write", entry, "ctrl", 1), ("qemu.msix_write", entry, "ctrl stored"),
           ("ioreq.msix_write", entry, "addr_lo", lo), ("qemu.msix_write", entry, "addr_lo stored"),
           ("ioreq.msix_write", entry, "addr_hi", 0), ("qemu.msix_write", entry, "addr_hi unchanged"),
           # (no kernel.version: the current xen_msi_compose_msg, delivery mode ExtINT -- 41bb2115beec, 5.11)
           ("ioreq.msix_write", entry, "data", X.XEN_PIRQ_MSI_DATA_EXTINT), ("qemu.msix_write", entry, "data stored"),
           ("ioreq.msix_write", entry, "ctrl", 0), ("qemu.msix_write", entry, "ctrl stored, unmask: update"),
           ("qemu.map_pirq", entry, pirq, pirq), ("qemu.bind_pirq", entry, pirq, 0)]
    if not qemu_owned:      # Xen's intercept saw the address change: it re-applies the unmask itself
        seq.append(("msix.write", entry, "ctrl", 0))
    return seq


def test_finding2_the_2022_late_mask_step_by_step_on_xen_424() -> None:
    """With xen_pt_bind unset: msix_setup_msi_descs caches mask 0 (QEMU's zero table),
    da181dc974ad's masked update restores mask 0 and QEMU binds on that write, and the late
    msix_mask_all() goes through Xen's msixtbl intercept, which (a35137373a .. 4.5; 4.2.4 is the
    stable-4.2 release that has it and 74fd0036de, with qemu-traditional) writes the physical
    entry; nothing unmasks it, every signal sits in the PBA. (4.2.0 .. 4.2.3 discard the guest's
    mask writes: tests/test_auditxen_vmsi.py.)"""
    eng = run_to_end(scenario(nic(', xen: "4.2.4"')))
    assert eng.w["behaviour"]["xen_pt_bind"] == "on-unmask"
    # hvmloader's pci_setup left Memory Space and Bus Master on, so the probe's pci_enable_device and
    # pci_set_master write no Command; msix_capability_init sets Enable + Function Mask (control at 0x72)
    expect = [("ioreq.cfg_write", 0x72, 0xC002),
              ("qemu.msix_read", 0, "ctrl", 0), ("qemu.msix_read", 1, "ctrl", 0), ("qemu.msix_read", 2, "ctrl", 0)]
    # entry 0 is bound before Xen intercepts anything; entries 1 and 2 after: the intercept covers
    # the whole table from the first binding, passes their writes on and re-applies the unmask
    expect += entry_writes(0, 101, qemu_owned=True) + entry_writes(1, 100, False) + entry_writes(2, 99, False)
    # intx36: msix_capability_init's pci_intx_for_msi(dev, 0) sets Interrupt Disable (a trapped Command write,
    # 0x406) before Function Mask is cleared
    expect += [("msix.write", 0, "ctrl", 1), ("msix.write", 1, "ctrl", 1), ("msix.write", 2, "ctrl", 1),
               ("ioreq.cfg_write", 0x4, 0x406), ("ioreq.cfg_write", 0x72, 0x8002)]
    for port in (1, 2, 3):         # startup_pirq: Xen answers XENIRQSTAT_needs_eoi, eoi_pirq asks it
        expect += [("xen.hypercall", "EVTCHNOP_bind_pirq", port), ("xen.hypercall", "PHYSDEVOP_irq_status_query", 1),
                   ("xen.hypercall", "PHYSDEVOP_eoi", 0)]
    got = trace(eng)
    assert got[:len(expect)] == expect
    assert {t for t in got[len(expect):]} == {("msi.held", i, "PBA: entry masked") for i in range(3)}
    assert [e.cpu for e in events_of(eng, "msix.write") if e.fields["value"] == 1] == [0, 0, 0]
    assert eng.w["acct"]["eth0"]["lost"] == [10, 10, 10]


def test_finding2_xen_46_undoes_the_late_mask_when_the_event_channel_is_bound() -> None:
    """84d6add5593d: startup keeps the guest's MSI guest-masked, arch_evtchn_bind_pirq clears it."""
    eng = run_to_end(scenario(nic(', xen: "4.6"')))
    assert eng.w["acct"]["eth0"]["delivered"] == [10, 10, 10]
    got = trace(eng, kinds=("msix.write", "xen.hypercall", "qemu.bind_pirq"))
    # 4.6's intercept claims only entries with an msi_desc: entries 1 and 2 reach QEMU unseen
    assert ("msix.write", 1, "ctrl", 0) not in got
    # the late mask sets the guest bit, the physical bit follows (host or guest) ...
    i = got.index(("msix.write", 0, "ctrl", 1))
    assert got[i:i + 4] == [("msix.write", n, "ctrl", 1) for n in range(3)] + [
        ("xen.hypercall", "EVTCHNOP_bind_pirq", 1)]
    # ... and each EVTCHNOP_bind_pirq clears it (arch_evtchn_bind_pirq -> guest_mask_msi_irq(desc, 0))
    x = eng.w["xen"]
    assert all(not h["guest_masked"] and not h["host_masked"] for h in x["irqs"].values())
    assert [e["ctrl"] for e in eng.w["devices"]["eth0"]["msix"]["table"]] == [0, 0, 0]


def test_finding2_each_protection_alone_is_enough_and_on_unmask_is_the_preset() -> None:
    for platform, mask, ignore, delivered in (
            (', xen: "4.5"', "late", "false", 0),
            (', xen: "4.5"', "early", "false", 30),
            (', xen: "4.5"', "late", "true", 30),
            (', xen: "4.6"', "late", "false", 30),
            (', xen: "4.7"', "late", "false", 30),       # qemu-xen 4.7's latched table does not matter
            (', xen: "4.16"', "late", "false", 30)):
        text = nic(platform, mask).replace("xen_hvm_msi_ignore_mask: false", f"xen_hvm_msi_ignore_mask: {ignore}")
        eng = run_to_end(scenario(text))
        assert eng.w["behaviour"]["xen_pt_bind"] == "on-unmask"
        assert sum(eng.w["acct"]["eth0"]["delivered"]) == delivered, (platform, mask, ignore)


def guest_table_write(eng, dev: str, entry: int, reg: str, value: int) -> None:
    """Queue a guest MSI-X table write straight into QEMU (as if trapped) and run to the end."""
    from msidbg.model import qemu

    while eng.w["now"] < 1_500_000 and eng.step():
        pass
    q = eng.w["qemu"]
    q["queue"].append({"prog": "pci_msix_write", "dev": dev, "entry": entry, "reg": reg, "value": value,
                       "token": 10**6, "cpu": 0, "blocks": False, "complete": False})
    qemu._kick(eng)
    while eng.step():
        pass


def test_finding2_qemu_46_drops_address_writes_to_an_enabled_unmasked_entry() -> None:
    """Before the latched table (f0ada3608ac1, qemu-xen-4.7.0-rc1) an address/data write to an
    entry whose physical Vector Control is unmasked while MSI-X is enabled is dropped; the
    latched table keeps it (and takes it at the next unmask)."""
    for xen, how in (("4.6", "addr_lo dropped: MSI-X enabled and the entry unmasked"), ("4.7", "addr_lo stored")):
        eng = new_engine(scenario(nic(f', xen: "{xen}"', "early")))
        guest_table_write(eng, "eth0", 0, "addr_lo", 0xFEE63000)
        assert eng.w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] == 0       # live all along
        assert trace(eng, kinds=("qemu.msix_write",))[-1] == ("qemu.msix_write", 0, how), xen
        latch = eng.w["qemu"]["devs"]["eth0"]["msix"]["entries"][0]["latch"][0]
        assert latch == (0xFEE63000 if xen == "4.7" else 0xFEE65000)


# --- finding 3: before c976437c7dba clearing MSI-X Enable does nothing ---------------------------------
REPROBE = """
name: t
cpus: 1
platform: {kind: xen-hvm, xen: "%s"}
kernel: {xen_reuse_cached_pirq: %s, msix_mask_all: early, xen_hvm_msi_ignore_mask: %s}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}
  - {on: 0, do: doorbell, dev: nvme0, vector: 0}
  - {on: 0, do: remove, dev: nvme0}
  - {at: 1ms, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 2}
  - {on: 0, do: doorbell, dev: nvme0, vector: 0}
"""


def reprobe(xen: str, reuse: bool = False, ignore_mask: bool = False):
    text = REPROBE % (xen, str(reuse).lower(), str(ignore_mask).lower())
    return run_to_end(scenario(text))


def after_remove(eng, kinds: tuple[str, ...]) -> list[tuple]:
    done = next(e.index for e in events_of(eng, "action.done") if e.fields["do"] == "remove")
    got = trace(eng, "nvme0", kinds + ("wait.timeout",))
    n = len(trace(eng, "nvme0", kinds, upto=done))
    return got[n:]


def test_finding3_old_qemu_without_reuse_leaves_the_device_dead() -> None:
    """qemu-xen 4.4 (before c976437c7dba): the disable leaves pirq 101 mapped and bound and QEMU
    keeps it for entry 0. The re-enable gets pirq 100; QEMU binds 100 (not mapped: -EINVAL),
    unmaps its own 101 (Xen force-unbinds it: not free, 'stale') and forgets it. Nothing maps
    100: the entry stays masked, the admin command times out."""
    eng = reprobe("4.4")
    kinds = ("xen.hypercall", "qemu.msix_write", "qemu.map_pirq", "qemu.bind_pirq", "qemu.unmap_pirq", "msi.held")
    got = [t for t in after_remove(eng, kinds) if t[0] != "qemu.msix_write" or t[1] == 0 and "addr_lo" in t[2]]
    assert got[:2] == [("xen.hypercall", "PHYSDEVOP_get_free_pirq", 100), ("qemu.msix_write", 0, "addr_lo stored")]
    i = got.index(("qemu.bind_pirq", 0, 100, -22))
    assert got[i + 1] == ("qemu.unmap_pirq", 0, 101, 0)
    assert ("qemu.map_pirq", 0, 100, 100) not in got
    # the guest binds 100 and 99: Xen has not mapped 100 (irq_status_query -EINVAL: no EOIs), 99 is fine
    assert got[-7:] == [("xen.hypercall", "EVTCHNOP_bind_pirq", 1), ("xen.hypercall", "PHYSDEVOP_irq_status_query", -22),
                        ("xen.hypercall", "EVTCHNOP_bind_pirq", 2), ("xen.hypercall", "PHYSDEVOP_irq_status_query", 1),
                        ("xen.hypercall", "PHYSDEVOP_eoi", 0),
                        ("msi.held", 0, "PBA: entry masked"), ("wait.timeout", 4, 0)]
    assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "failed: ETIMEDOUT"
    pirqs = eng.w["xen"]["pirqs"]
    assert X.state(pirqs[101]) == "stale" and X.state(pirqs[100]) == "allocated"
    assert "pirq-conflict" in {h.name for h in eng.hits}      # the guest binds 100, which Xen never mapped


def test_finding3_the_device_is_dead_also_when_the_write_is_dropped() -> None:
    """With pci_msi_ignore_mask (7e0815b3e099) nobody masks entry 0 at shutdown: the re-enable's
    address write to the live entry is dropped, 101 stays bound, its events go nowhere."""
    eng = reprobe("4.4", ignore_mask=True)
    got = after_remove(eng, ("qemu.msix_write",))
    assert got[0] == ("qemu.msix_write", 0, "addr_lo dropped: MSI-X enabled and the entry unmasked")
    assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "failed: ETIMEDOUT"
    assert X.state(eng.w["xen"]["pirqs"][101]) == "bound"


def test_finding3_c976437_frees_the_pirq_and_the_reprobe_works() -> None:
    for xen in ("4.5", "4.6", "4.8"):
        for ignore in (False, True):
            eng = reprobe(xen, ignore_mask=ignore)
            assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "ok", (xen, ignore)
            got = [e.fields["ret"] for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
            assert got == [101, 101, 100]


def test_finding3_reuse_of_a_destroyed_irq_is_not_possible_on_list_kernels() -> None:
    """af42b8d12f8a re-uses only a pirq the guest still has an irq for (xen_irq_from_pirq walks
    the live irq list); teardown destroyed it, so on qemu-xen 4.4 re-use changes nothing."""
    eng = reprobe("4.4", reuse=True)
    assert eng.w["kernel"]["pci"]["nvme0"]["status"] == "failed: ETIMEDOUT"
    assert not [e for e in events_of(eng, "xen.irq") if e.fields["how"] == "re-used the cached pirq"]


# --- finding 5: Xen HVM guest details ------------------------------------------------------------------
def test_finding5_every_pirq_interrupt_costs_a_physdevop_eoi() -> None:
    """Xen answers XENIRQSTAT_needs_eoi (physdev.c, every release); an HVM Linux guest has no
    pirq_eoi_map, so eoi_pirq issues PHYSDEVOP_eoi after clear_evtchn, before the handler."""
    eng = run_to_end(scenario(nic(', xen: "4.6"')))
    total = 0
    for cpu in (0, 1):
        seq = [(e.kind, e.fields.get("op")) for e in eng.log.events(1, len(eng.log) + 1) if e.cpu == cpu and (
               e.kind in ("evtchn.clear", "irq.handler") or e.kind == "xen.hypercall" and e.fields["op"] == "PHYSDEVOP_eoi")
               and e.time_ns > 10**6]
        assert seq == [("evtchn.clear", None), ("xen.hypercall", "PHYSDEVOP_eoi"), ("irq.handler", None)] * (len(seq) // 3)
        total += len(seq) // 3
    assert total == 30 == sum(eng.w["acct"]["eth0"]["delivered"])


MSI_NIC = """
name: t
cpus: 1
platform: {kind: xen-hvm, xen: "4.6"}
devices:
  eth0: {bdf: "00:03.0", passthrough: true, msi: {vectors: 1, per_vector_mask: %s}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msi, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 2, every: 100ns}
"""


def test_finding5_an_msi_xen_cannot_mask_waits_for_the_guests_eoi() -> None:
    """pirq_acktype: an MSI without per-vector masking is ACKTYPE_EOI: the host vector stays in
    service until the guest's PHYSDEVOP_eoi, so the second signal waits (coalesced) and goes on
    at the EOI; a maskable MSI is ACKTYPE_NONE and the EOI changes nothing."""
    eng = run_to_end(scenario(MSI_NIC % "false"))
    hows = [e.fields["how"] for e in events_of(eng, "xen.pirq")]
    # (Xen 4.6: the global callback via -- the re-sent event is taken by the running upcall's loop, audit12)
    assert hows[:3] == ["upcall to vCPU0", "held: the host irq awaits the guest's EOI",
                        "pending: vCPU0's running upcall loops to it (global callback via)"]
    assert eng.w["acct"]["eth0"]["delivered"] == [2]
    first_eoi = next(e.index for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_eoi" and e.time_ns > 10**6)
    held = [e for e in events_of(eng, "xen.pirq") if e.fields["how"].startswith("held")][0]
    again = [e for e in events_of(eng, "xen.pirq")][2]
    assert held.index < first_eoi < again.index
    maskable = run_to_end(scenario(MSI_NIC % "true"))
    assert not [e for e in events_of(maskable, "xen.pirq") if e.fields["how"].startswith("held")]
    assert maskable.w["acct"]["eth0"]["delivered"] == [2]


def test_finding5_xen_acknowledges_itself_after_1ms_without_an_eoi() -> None:
    """irq_guest_eoi_timer_fn: a guest that never EOIs (no event channel: nothing runs eoi_pirq)
    does not hold the host irq forever."""
    from msidbg.model import evtchn

    eng = new_engine(scenario(MSI_NIC % "false"))
    while eng.w["now"] < 900_000 and eng.step():
        pass
    port = eng.w["kernel"]["xen"]["irqs"][24]["port"]
    evtchn.set_mask(eng, port, True)         # as disable_irq() would: the upcall never comes
    while eng.step():
        pass
    hows = [e.fields["how"] for e in events_of(eng, "xen.pirq")]
    assert "eoi_timer: no guest EOI in 1 ms, Xen acknowledges the irq" in hows


def test_finding5_xen_45_ignores_guest_mask_writes_while_xen_has_the_entry_masked() -> None:
    """msixtbl_write (<= 4.5): "Do not allow guest to modify MSI-X control bit if it is masked by
    Xen"; 4.6 records the guest's bit and keeps the physical bit masked (host OR guest)."""
    from msidbg.model import vmsi

    for xen, how in (("4.5", "ignored"), ("4.6", "recorded")):
        eng = run_to_end(scenario(nic(f', xen: "{xen}"', "early")))
        x = eng.w["xen"]
        irq = x["entry_irq"]["eth0#0"]
        x["irqs"][irq]["host_masked"] = True        # Xen masks the entry itself (as around a host move)
        x["irqs"][irq]["guest_masked"] = True
        eng.w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] = 1
        assert vmsi.covers(eng.w, "eth0", 0)
        assert vmsi.write(eng, 0, "eth0", 0, "ctrl", 0) == vmsi.HANDLED
        last = eng.log.events(len(eng.log), len(eng.log) + 1)[0]
        assert eng.w["devices"]["eth0"]["msix"]["table"][0]["ctrl"] == 1          # still masked either way
        if how == "ignored":
            assert last.kind == "xen.msixtbl" and "ignored" in last.fields["how"]
            assert x["irqs"][irq]["guest_masked"]
        else:
            assert last.kind == "msix.write" and not x["irqs"][irq]["guest_masked"]


def test_finding5_the_intercept_covers_the_whole_table_before_46_and_bound_entries_from_46() -> None:
    from msidbg.model import vmsi

    text = nic(', xen: "%s"', "early").replace("table_size: 3", "table_size: 8")
    for xen, covered in (("4.5", list(range(8))), ("4.6", [0, 1, 2])):
        eng = run_to_end(scenario(text % xen))
        assert [i for i in range(8) if vmsi.covers(eng.w, "eth0", i)] == covered, xen
        # reads of an entry nobody wrote since the binding: 4.5 answers 0 from the shadow
        served = vmsi.read(eng.w, "eth0", 0, "data")
        assert served == ((0, "shadow never written") if xen == "4.5" else None)


EMULATED = """
name: t
cpus: 2
platform: {kind: xen-hvm, xen: "%s"%s}
devices:
  vnet: {bdf: "00:05.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, do: probe, dev: vnet, mode: msix, vectors: 2}
  - {at: 1ms, do: fire, dev: vnet, vector: 1, count: 4, every: 10us}
"""


def test_finding5_an_emulated_device_uses_pirqs_too() -> None:
    """xen_hvm_msi_init -> xen_setup_pci_msi replaces the MSI domain for every PCI device: a
    QEMU-emulated NIC gets pirq messages; QEMU injects them (xen_hvm_inject_msi) and Xen's
    hvm_inject_msi maps the pirq's emuirq on the first one and sends it on the event channel.
    QEMU from 428c3ece97 (qemu-xen 4.7, 4.5.3) ignores the mask bits of a pirq message -- the
    guest's xen-pirq chip never clears them -- so the signals arrive."""
    eng = run_to_end(scenario(EMULATED % ("4.8", "")))
    binds = [(e.dev, e.fields["pirq"]) for e in events_of(eng, "xen.irq")]
    assert binds == [("vnet", 101), ("vnet", 100)]
    assert eng.w["devices"]["vnet"]["msix"]["table"][1]["data"] == X.XEN_PIRQ_MSI_DATA_EXTINT     # (no kernel.version: ExtINT, 41bb2115beec)
    assert eng.w["acct"]["vnet"]["delivered"] == [0, 4]
    rec = eng.w["xen"]["pirqs"][100]
    assert rec["emuirq"] and rec["irq"] == X.PIRQ_ALLOCATED       # never mapped, emulated
    assert "pirq-conflict" not in {h.name for h in eng.hits}


def test_finding5_an_emulated_device_before_428c3ece97_stays_masked() -> None:
    """Before "fix MSI injection on Xen" QEMU honoured its emulated mask bits for pirq messages;
    nothing in a pirq guest unmasks them (Stefano's commit message: virtio-net gets nothing)."""
    eng = run_to_end(scenario(EMULATED % ("4.6", "")))
    assert not eng.w["behaviour"]["qemu_msix_pirq_ignore_mask"]
    assert eng.w["acct"]["vnet"]["delivered"] == [0, 0] and eng.w["acct"]["vnet"]["lost"] == [0, 4]


def test_finding5_apic_virtualization_keeps_the_x86_msi_domain() -> None:
    """xen_hvm_msi_init returns early when Xen advertises (x2)APIC virtualization: no pirqs.
    The passthrough device gets a real vector; QEMU maps a pirq itself (auto-assigned) and
    binds it with that vector; Xen delivers it as the guest's vMSI to the vCPU's local APIC."""
    text = NIC_LATE.replace("platform: {kind: xen-hvm%s}", 'platform: {kind: xen-hvm, xen: "4.6"%s}')
    eng = run_to_end(scenario(text % (", apic_virtualization: true", "late")))
    assert not events_of(eng, "xen.irq")                          # no xen_bind_pirq_msi_to_irq
    assert not [e for e in events_of(eng, "xen.hypercall") if e.fields["op"] == "PHYSDEVOP_get_free_pirq"]
    binds = events_of(eng, "qemu.bind_pirq")
    assert sorted({e.fields["pirq"] for e in binds}) == [99, 100, 101] and all(e.fields["rc"] == 0 for e in binds)
    hows = {e.fields["how"] for e in events_of(eng, "xen.pirq")}
    assert all(h.startswith("vMSI: vector 0x") for h in hows)
    assert eng.w["acct"]["eth0"]["delivered"] == [10, 10, 10]
    assert "irq-spurious" not in {h.name for h in eng.hits}
