"""Red team Xen: why a signal that reached an event channel while startup_pirq ran was lost.

Linux __startup_pirq binds the channel, queries, unmasks, then eoi_pirq() clears it: a device
signal Xen set pending on the still-masked channel is wiped (request_irq runs with the descriptor
lock held, interrupts off, so the upcall cannot take it first). The why chain of that loss ended
at the probe action; it now names the pending bit Xen set and the device's signal behind it.
"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import first_hit, one, tree

RACE = """
name: startup-race
cpus: 1
platform: {kind: xen-hvm, xen: "4.16"}
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 1}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 1}
probes:
  - {at: startup_pirq.bind_pirq, when: after, do: fire, dev: eth0, vector: 0, times: 1}
breakpoints: [irq-lost]
"""


def test_the_loss_at_startup_names_the_pending_channel(tmp_path: Path) -> None:
    path = tmp_path / "race.yaml"
    path.write_text(RACE)
    s = Session.from_scenario(str(path))
    s.run()
    hit = first_hit(s, "irq-lost")
    assert "when startup_pirq cleared it" in hit.detail
    pending = one(s, "xen.pirq", pirq=101, test=lambda e: e.fields["how"] == "pending, masked")
    links = {(lk.event, lk.path) for lk in s.why(hit).links()}
    assert (pending, "xen.ports[1].pending") in links
    assert pending in tree(s.why(hit))
