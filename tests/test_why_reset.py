"""``why`` on an IRR bit a CPU's offline cleared (ux5 found it): the local APIC's reset at offline
(and INIT at online) cleared the bits without a provenance record, so ``why cpus[c].irr[v]`` after
the offline explained the message that had set the bit -- a chain whose first value (1) was not
the value at the cursor (0). The reset now records ``irr.reset`` / ``isr.reset`` for each bit it
clears (``provkernel.apic_reset_dirty``), in the offlining step's context. (dyingdrain: in this run the dying
CPU takes the bit at MULTI_STOP_EXIT before the offline; what the reset clears is whatever lands after do_idle.)"""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session

# nvme0's managed vector 1 lands on CPU1; CPU1 goes offline while it fires every 3 us
OFFLINE = """
name: offline-with-irr
seed: 3
cpus: 4
kernel: {version: "6.1"}
devices:
  nvme0: {bdf: "01:00.0", kind: nvme, msix: {table_size: 5}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 4}
  - {at: 1ms, do: fire, dev: nvme0, vector: 1, count: 100, every: 3us}
  - {at: 1100us, on: 0, do: cpu_offline, cpu: 1}
"""


def test_an_irr_bit_cleared_by_the_offline_is_explained_by_the_reset(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(OFFLINE)
    s = Session.from_scenario(str(p))
    s.run()
    evs = list(s.eng.log.events(1, len(s.eng.log) + 1))
    offline = next(e.index for e in evs if e.kind == "cpu.offline")
    exit_ = next(e.index for e in evs if "MULTI_STOP_EXIT, CPU1" in str(e.fields.get("what")))
    y = s.why("cpu[1].irr[0x21]")
    head = y.chain[0]
    # (dyingdrain) the bit fixup_irqs left behind (the signal it retriggered to CPU0) is no longer cleared by
    # the offline's reset: CPU1 takes it at MULTI_STOP_EXIT, before do_idle disables interrupts for good
    assert (head.link, head.value, head.path, head.cpu) == ("accept", 0, "cpus[1].irr[0x21]", 1)
    assert exit_ < head.event < offline
    # every bit the reset cleared has its record: none of CPU1's IRR bits is explained by a value it no longer has
    for v in range(0x20, 0x100):
        link = s.why(f"cpu[1].irr[{v:#x}]").chain[0]
        assert link.value in (0, None), (hex(v), link.link, link.value)
