"""Red team 8: held-out bare-metal scenarios checked against the kernel source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger import Session

ROOT = Path(__file__).resolve().parent.parent

# disable_irq (lazy), an affinity change left pending (no remapping), an edge parked on the disabled
# irq, enable_irq. kernel/irq/migration.c: __irq_move_irq returns while irqd_irq_disabled(), so the
# edge's mask_ack_irq -> apic_ack_edge -> irq_move_irq moves nothing; check_irq_resend retriggers the
# vector on the irq's current CPU (CPU1), whose ack then applies the move.
DISABLED_MOVE = """\
name: rt8-disabled-move
cpus: 16
kernel: {version: "5.10"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: disable_irq, dev: eth0, vector: 0}
  - {at: 200us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
  - {at: 300us, do: fire, dev: eth0, vector: 0}
  - {at: 400us, on: 0, do: enable_irq, dev: eth0, vector: 0}
  - {at: 600us, do: fire, dev: eth0, vector: 0}
"""


def _run(tmp_path: Any, text: str) -> Session:
    path = Path(str(tmp_path)) / "s.yaml"
    path.write_text(text)
    s = Session.from_scenario(str(path))
    s.run()
    return s


def test_a_pending_move_waits_while_the_irq_is_disabled(tmp_path: Any) -> None:
    s = _run(tmp_path, DISABLED_MOVE)
    evs = list(s.events(0, s.total))
    enable = next(e.index for e in evs if e.kind == "irq.enable")
    parked = next(e.index for e in evs if e.kind == "irq.pending")
    # nothing rewrites the entry's address between the parked edge and enable_irq
    assert not [e for e in evs if parked < e.index < enable and e.kind == "msix.write"
                and e.fields.get("reg") == "addr_lo"]
    resend = next(e for e in evs if e.kind == "irq.resend")
    assert resend.fields["target"] == 1          # the irq is still on CPU1 when enable_irq resends
    handlers = [e for e in evs if e.kind == "irq.handler"]
    assert [e.cpu for e in handlers] == [1, 5]   # the resent edge on CPU1; its ack moved the irq to CPU5
    assert s.summary()["devices"]["eth0"]["vectors"][0]["lost"] == 0


def test_one_irq_move_irq_per_ack(tmp_path: Any) -> None:
    """apic_ack_edge calls irq_move_irq once. A move left pending by the ack itself (a newer
    irq_set_affinity made meanwhile, or -EBUSY re-armed by a33a5d2d16cb) waits for the next
    interrupt: no second try (mask, -EBUSY, unmask) inside the same ack. kernel32: the xHCI's MSI set-up
    starts with an Enable-clear write now: its vector, assigned 1 us later, lands on CPU3 (was CPU1) and no move
    of the shipped file meets a busy vector; nvme0's probe 1 us later gave back the run that re-arms them.
    intx36: its set-up also writes Interrupt Disable (1 us more): the shipped file re-arms them again as it is
    (99 acks with a failed assignment, one each), and the 1 us offset now gives the run without."""
    text = (ROOT / "scenarios" / "explore-msi-torn-maskable.yaml").read_text()
    s = _run(tmp_path, text)
    per_ack: dict[tuple[int, int], int] = {}
    last_accept: dict[int, int] = {}
    for e in s.events(0, s.total):
        if e.kind == "apic.accept":
            last_accept[e.cpu] = e.index
        elif e.kind == "kernel" and e.fields.get("what") == "vector assignment failed":
            key = (e.cpu, last_accept.get(e.cpu, -1))
            per_ack[key] = per_ack.get(key, 0) + 1
    assert per_ack, "the scenario re-arms a busy move"
    assert max(per_ack.values()) == 1


# disable_irq on an nvme I/O queue (a managed irq), its only CPU offline and back, a completion, then
# the driver's enable_irq. 788019eb559f (6.16): irq_shutdown increments the disable depth and
# irq_startup_managed starts the irq only when it drops to 0, so it stays disabled (the completion
# waits in the PBA) until enable_irq; before, irq_restore_affinity_of_irq's irq_startup reset the
# depth to 0: the irq ran the handler while the driver had it disabled, and enable_irq WARNed.
MANAGED_DISABLED = """\
name: rt8-managed-disabled
cpus: 4
kernel: {version: "VERSION"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
  - {at: 200us, on: 0, do: disable_irq, dev: nvme0, vector: 3}
  - {at: 300us, on: 0, do: cpu_offline, cpu: 2}
  - {at: 2ms, on: 0, do: cpu_online, cpu: 2}
  - {at: 3ms, do: fire, dev: nvme0, vector: 3}
  - {at: 4ms, on: 0, do: enable_irq, dev: nvme0, vector: 3}
"""


def test_a_disabled_managed_irq_stays_disabled_across_hotplug_from_6_16(tmp_path: Any) -> None:
    old = _run(tmp_path, MANAGED_DISABLED.replace("VERSION", "6.15"))
    new = _run(tmp_path, MANAGED_DISABLED.replace("VERSION", "6.16"))
    for s, warn, after_enable in ((old, True, False), (new, False, True)):
        evs = list(s.events(0, s.total))
        enable = next(e for e in evs if e.kind == "irq.enable")
        assert ("Unbalanced" in enable.fields["how"]) is warn
        handler = next(e for e in evs if e.kind == "irq.handler" and e.dev == "nvme0")
        assert (handler.index > enable.index) is after_enable
        assert s.summary()["devices"]["nvme0"]["vectors"][3]["delivered"] == 1
    assert new.summary()["behaviour"]["managed_disable_depth"]["value"] is True
    assert old.summary()["behaviour"]["managed_disable_depth"]["value"] is False


# an affinity change left pending (no remapping), then free_irq and request_irq before any interrupt:
# irq_shutdown does not clear IRQD_SETAFFINITY_PENDING (only irq_move_masked_irq and
# irq_fixup_move_pending do), so the first interrupt after the new request_irq applies the move.
PENDING_ACROSS_FREE = """\
name: rt8-pending-free-request
cpus: 16
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
  - {at: 100us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 5}
  - {at: 200us, on: 0, do: free_irq, dev: eth0, vector: 0}
  - {at: 300us, on: 0, do: request_irq, dev: eth0, vector: 0}
  - {at: 400us, do: fire, dev: eth0, vector: 0, count: 2, every: 10us}
"""


def test_a_pending_move_survives_free_irq_and_request_irq(tmp_path: Any) -> None:
    s = _run(tmp_path, PENDING_ACROSS_FREE)
    handlers = [e.cpu for e in s.events(0, s.total) if e.kind == "irq.handler"]
    assert handlers == [1, 5]        # the first interrupt's ack applied the old pending move
    assert s.summary()["devices"]["eth0"]["vectors"][0]["lost"] == 0
