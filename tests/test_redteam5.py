"""Red team 5: scenarios nobody had run (other topologies, version mixes, schedules), each
predicted from the source before it was run. Each test here failed on the code before its fix."""

from __future__ import annotations

from msidbg.debugger import Session
from msidbg.scenario import load_scenario_text
from msidbg.sim.world import state_hash

# pct with its 10 us window runs the device's 40 us signal before CPU2's 30 us step and
# CPU1's 35 us action: the clock must stay at 40 us for them, not go back
PCT_WINDOW = """\
name: rt5-pct-window
cpus: 12
seed: 60
schedule: pct
platform: {kind: xen-hvm, xen: "4.12"}
devices:
  d0: {bdf: "00:03.0", kind: generic, passthrough: true, msix: {table_size: 8}, msi: {vectors: 2, per_vector_mask: true, addr64: false}, quirks: [latch-on-unmask]}
  d1: {bdf: "00:04.0", kind: xhci, passthrough: true, msix: {table_size: 8}, msi: {vectors: 2, per_vector_mask: true, addr64: true}, quirks: [msi-latch-on-enable]}
  d2: {bdf: "00:05.0", kind: generic, passthrough: true, msix: {table_size: 8}}
run:
  - {at: 20000, on: 2, do: free_vectors, dev: d0}
  - {at: 30000, do: fire, dev: d2, vector: 4, count: 24, every: 10us}
  - {at: 35000, on: 1, do: request_irq, dev: d1, vector: 0, affinity: [3], hint: 0}
"""


def test_a_window_schedule_never_moves_the_clock_back() -> None:
    s = Session(load_scenario_text(PCT_WINDOW, "pct.yaml"))
    s.run()
    times = [e.time_ns for e in s.events(1, s.cursor + 1)]
    assert times == sorted(times)


def test_a_window_schedule_is_the_same_run_however_it_is_chunked() -> None:
    scn = load_scenario_text(PCT_WINDOW, "pct.yaml")
    whole = Session(scn)
    whole.run()
    for k in (3, 4):
        parts = Session(scn)
        parts.run(max_events=k)
        parts.run()
        assert state_hash(parts.world) == state_hash(whole.world), k
    back = Session(scn)
    back.run()
    back.seek(4)                       # time travel re-executes from a checkpoint: must agree
    back.run()
    assert state_hash(back.world) == state_hash(whole.world)


def _run(text: str) -> Session:
    s = Session(load_scenario_text(text, "rt5.yaml"))
    s.run()
    assert s.world["ended"]
    return s


def test_an_msi_message_beyond_the_msix_table_is_released_by_its_unmask() -> None:
    """A device with 2 MSI-X entries and 8 MSI messages, multi-MSI under remapping: message 3 is
    signalled while masked (pending bit), request_irq unmasks it. The release looked the index up in
    the MSI-X table first (IndexError); now the MSI pending bit sends it and the doorbell is answered."""
    s = _run("""\
name: rt5-msi-index
cpus: 3
platform: {interrupt_remapping: true}
devices:
  d0: {bdf: "00:03.0", kind: xhci, msix: {table_size: 2}, msi: {vectors: 8, per_vector_mask: true, addr64: true}}
run:
  - {at: 121000, on: 2, do: alloc_vectors, dev: d0, mode: msi, vectors: 4}
  - {at: 2732000, on: 2, do: doorbell, dev: d0, vector: 3, timeout: 100us}
  - {at: 2757000, on: 2, do: request_irq, dev: d0, vector: 3}
""")
    row = next(v for v in s.summary()["devices"]["d0"]["vectors"] if v["index"] == 3)
    assert (row["raised"], row["delivered"], row["lost"]) == (1, 1, 0)


def test_signals_held_behind_an_unmapped_host_irq_are_lost_not_in_flight_forever() -> None:
    """A non-maskable MSI on Xen is ACKTYPE_EOI: with no event channel (vectors allocated, no
    request_irq) nobody EOIs it and Xen holds later signals behind it. Disabling MSI makes QEMU
    unmap the pirq, which frees the host irq: those signals are lost. They stayed 'in flight'
    after the end of the run (raised != delivered + lost in the accounts)."""
    s = _run("""\
name: rt5-unmap-held
cpus: 16
platform: {kind: xen-hvm, xen: "4.22"}
devices:
  d1: {bdf: "00:04.0", kind: xhci, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
run:
  - {at: 606000, on: 12, do: alloc_vectors, dev: d1, mode: msi, vectors: 4}
  - {at: 706000, do: fire, dev: d1, vector: 0, count: 30, every: 100us}
  - {at: 2811000, on: 6, do: free_vectors, dev: d1}
""")
    a = s.world["acct"]["d1"]
    assert (a["raised"], a["delivered"], a["lost"]) == ([30], [0], [30])
    assert s.summary()["devices"]["d1"]["vectors"][0]["in_flight"] == 0


def test_a_xen_pv_device_must_be_passed_through() -> None:
    """A PV guest has no device model and no local APIC vector domain: a device that is not
    pciback's got the bare-metal x86 vector domain inside a PV guest (its entries stayed masked,
    every signal lost) -- a configuration no real guest has. Now a one-line load error."""
    import pytest

    from msidbg.errors import ScenarioError

    text = """\
name: rt5-pv-emulated
cpus: 2
platform: {kind: xen-pv, xen: "4.16"}
devices:
  virtio0: {bdf: "00:05.0", kind: generic, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: virtio0, mode: msix, vectors: 3}
"""
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(text, "pv.yaml")
    assert e.value.oneline().startswith("msidbg: pv.yaml:5: devices.virtio0.passthrough: a Xen PV guest")
    load_scenario_text(text.replace("kind: generic,", "kind: generic, passthrough: true,"), "pv.yaml")


# --- predicted outcomes of unseen scenarios (each written down from the source before it ran) ------
def _vec(s: Session, dev: str, idx: int) -> tuple[int, int, int, int]:
    row = next(v for v in s.summary()["devices"][dev]["vectors"] if v["index"] == idx)
    return row["raised"], row["delivered"], row["lost"], row["spurious"]


NVME7 = """\
name: rt5-nvme7
cpus: 7
kernel: {version: "5.10"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 16}}
run:
  - {at: 0, do: probe, dev: nvme0, mode: msix, vectors: 16}
  - {at: 1ms, on: 0, do: cpu_offline, cpu: 3}
  - {at: 2ms, do: fire, dev: nvme0, vector: 4, count: 3, every: 10us}
%s
"""


def test_a_managed_queue_whose_only_cpu_went_offline_waits_in_the_pba_until_it_is_back() -> None:
    """7 CPUs: min(16, 1 + 7) vectors, I/O queue 4 managed on CPU3 alone. Offline CPU3 shuts the irq
    down (masked); its signals wait in the PBA; cpu_online restarts it (irq_startup, IRQ_START_COND)
    and they are delivered. Without the online they are lost, and /proc/irq/N/smp_affinity of a
    managed irq fails with EIO (5.10, before eb29369fa543)."""
    s = _run(NVME7 % "  - {at: 3ms, on: 0, do: cpu_online, cpu: 3}\n  - {at: 4ms, do: fire, dev: nvme0, vector: 4, count: 2, every: 10us}")
    assert len(s.summary()["devices"]["nvme0"]["vectors"]) == 8
    assert _vec(s, "nvme0", 4) == (5, 5, 0, 0)
    s = _run(NVME7 % "  - {at: 2ms, on: 0, do: set_affinity, dev: nvme0, vector: 4, cpu: 2}")
    assert _vec(s, "nvme0", 4) == (3, 0, 3, 0)
    assert [f["error"] for f in s.summary()["failed_actions"]] == ["EIO"]


def test_smp_affinity_written_during_the_probe_finds_no_proc_entry() -> None:
    """register_irq_proc() runs at the end of __setup_irq(): a write while the driver is still
    probing (another CPU) gets ENOENT and the irq keeps the CPU activation chose."""
    s = _run("""\
name: rt5-affinity-during-probe
cpus: 4
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 8}
  - {at: 0, on: 1, do: set_affinity, dev: eth0, vector: 7, cpu: 3}
  - {at: 20us, on: 2, do: set_affinity, dev: eth0, vector: 6, cpu: 3}
  - {at: 2ms, do: fire, dev: eth0, vector: 7, count: 3, every: 10us}
""")
    assert [f["error"] for f in s.summary()["failed_actions"]] == ["ENOENT", "ENOENT"]
    assert _vec(s, "eth0", 7) == (3, 3, 0, 0)
    assert s.summary()["devices"]["eth0"]["probe"] == "ok"


MASK_LATE = """\
name: rt5-mask-late
cpus: 2
platform: {kind: xen-hvm, xen: "%s", qemu: qemu-xen-4.19}
kernel: {version: "5.15.30"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 3}}
run:
  - {at: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 2ms, do: fire, dev: eth0, vector: 0, count: 10, every: 10us}
"""


def test_the_2022_late_mask_follows_xen_not_a_newer_qemu() -> None:
    """Seed 000's kernel with a qemu-xen-4.19 device model: the late msix_mask_all() reaches the
    physical entry through Xen's vMSI-X intercept on Xen 4.5 (before ad28e42bd1d2) whatever QEMU
    runs; Xen 4.6 keeps the guest's mask bit apart and EVTCHNOP_bind_pirq clears it."""
    assert _vec(_run(MASK_LATE % "4.5"), "eth0", 0) == (10, 0, 10, 0)
    assert _vec(_run(MASK_LATE % "4.6"), "eth0", 0) == (10, 10, 0, 0)


def test_the_2022_late_mask_is_a_no_op_on_xen_pv() -> None:
    """'XEN_PV guests disable PCI/MSI[-X] completely which makes the invocation of msix_mask_all()
    a NOP' (seed 000): the same kernel and Xen 4.4, as a PV guest, loses nothing."""
    s = _run((MASK_LATE % "4.4").replace("kind: xen-hvm", "kind: xen-pv").replace(", qemu: qemu-xen-4.19", ""))
    assert _vec(s, "eth0", 0) == (10, 10, 0, 0)


def test_qemu_ignores_the_mask_of_an_emulated_devices_pirq_message() -> None:
    """An emulated (not passed-through) MSI-X device on the same late-mask kernel: hw/pci/msix.c's
    msix_vector_masked() returns false for a pirq message on Xen, so the late mask holds nothing."""
    s = _run((MASK_LATE % "4.16").replace("passthrough: true", "passthrough: false"))
    assert _vec(s, "eth0", 0) == (10, 10, 0, 0)


REPROBE = """\
name: rt5-reprobe
cpus: 1
platform: {kind: xen-hvm, xen: "%s"}
kernel: {version: "4.9"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, passthrough: true, msix: {table_size: 8}}
run:
  - {at: 0, do: probe, dev: nvme0, mode: msix, vectors: 1}
  - {do: doorbell, dev: nvme0, vector: 0}
  - {do: remove, dev: nvme0}
  - {do: probe, dev: nvme0, mode: msix, vectors: 2}
  - {do: doorbell, dev: nvme0, vector: 0}
"""
# (4.9's nvme asks one vector per online CPU and no admin-only one, kernel.nvme_irq_layout: shared-admin:
# on one CPU the re-probe has entry 0 alone, the admin queue's and I/O queue 1's)


def test_one_controller_reprobing_alone_on_a_cached_pirq_kernel() -> None:
    """Kernel 4.9 still has af42b8d12f8a, but after a full remove the guest has no irq for the cached
    pirq (xen_irq_from_pirq < 0), so it asks for a fresh one. Xen 4.4's QEMU kept the old pirq
    mapped and bound: the fresh pirq is never bound, the admin queue times out. Xen 4.5's QEMU
    unmapped it on MSI-X disable and Xen hands the same pirq back: every doorbell answered."""
    s = _run(REPROBE % "4.4")
    assert s.summary()["devices"]["nvme0"]["probe"] == "failed: ETIMEDOUT"
    s = _run(REPROBE % "4.5")
    assert s.summary()["devices"]["nvme0"]["probe"] == "ok"
    assert _vec(s, "nvme0", 0) == (2, 2, 0, 0)


def test_an_msi_that_latches_on_enable_latches_the_reservation_message() -> None:
    """A maskable MSI gets reservation mode (4.15+): msi_capability_init enables MSI while the
    message still names MANAGED_IRQ_SHUTDOWN_VECTOR on CPU0, and a device with msi-latch-on-enable
    keeps that message after request_irq() writes the real one: every signal is spurious."""
    s = _run("""\
name: rt5-msi-latch-reserve
cpus: 3
kernel: {version: "6.1"}
devices:
  ahci: {bdf: "00:1f.2", kind: generic, msi: {vectors: 1, per_vector_mask: true, addr64: true}, quirks: [msi-latch-on-enable]}
run:
  - {at: 0, do: probe, dev: ahci, mode: msi, vectors: 1}
  - {at: 2ms, do: fire, dev: ahci, vector: 0, count: 3, every: 10us}
""")
    assert _vec(s, "ahci", 0) == (3, 0, 3, 3)


def test_two_removes_of_one_device_on_two_cpus() -> None:
    """A remove on CPU1 walked the descriptors while CPU2's remove had freed their irqs in
    pci_free_irq_vectors (the descriptors not yet gone): KeyError. An irq that is gone has no
    action to free; the second remove then meets the first in pci_free_irq_vectors."""
    s = _run("""\
name: rt5-two-removes
cpus: 3
schedule: pct
devices:
  d1: {bdf: "00:04.0", kind: generic, msix: {table_size: 8}}
  d2: {bdf: "00:05.0", kind: nic, msi: {vectors: 8, per_vector_mask: true, addr64: true}}
run:
  - {at: 5000, on: 1, do: probe, dev: d1, mode: any, vectors: 64, affinity: 0}
  - {at: 6000~1006000, do: fire, dev: d2, vector: 3, count: 26, every: 100us}
  - {at: 106000, on: 2, do: remove, dev: d1}
  - {at: 126000, on: 1, do: remove, dev: d1}
""")
    assert not [i for i in s.world["irqs"].values() if i.get("dev") == "d1"]
    assert s.world["devices"]["d1"]["msix"]["ctrl"] & 0x8000 == 0      # MSI-X disabled
