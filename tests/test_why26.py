"""why26: the gaps round 12 and whylinks25 left (docs/why.md, "Round 26").

- a level flow handler (handle_fasteoi_irq: IO-APIC INTx, a Xen PV guest's pcifront GSI pirq) spinning on desc->lock
  records a node that links the holder, as handle_edge_irq's spin does (whylinks25, kernlock);
- snapshot-read hits carry their ``seq`` and ``w`` / ``Session.why()`` at a reopened snapshot's stop explains the hit;
- diff finds a state difference that appears and vanishes inside the identical prefix (h06)."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from tests.why_helpers import links, ran

TESTS = Path(__file__).resolve().parent
LOCKQ23 = TESTS / "lockq23"


def _spin_notes(s: Session, prog: str) -> list[int]:
    out = []
    for e in s.events(1, s.total + 1):
        if e.kind == "kernel" and str(e.fields.get("what", "")).startswith("desc->lock"):
            w = s.why(e.index)
            if w.chain[0].stack and w.chain[0].stack[0].startswith(prog + "+"):
                out.append(e.index)
    return out


def test_a_fasteoi_spin_behind_irq_set_affinity_links_the_holder() -> None:
    """lockq23 i01 (6.6, remapping): CPU1's handle_fasteoi_irq of GSI 18 spins while CPU0's irq_set_affinity holds
    desc->lock for its IRTE write. Its first poll is a node on eth0's INTx condition ("spins on desc->lock: CPU0 is
    in irq_set_affinity") linking the set_affinity action ("waits for desc->lock, held by"), the interrupt it runs
    in a branch. Main: no node -- why of the note read CPU1's own interrupt path only (event <- accept <- IRR <- the
    condition), never the holder."""
    s = ran("i01-intx-ir-disable-behind-flow-k66", LOCKQ23)
    (spin,) = _spin_notes(s, "handle_fasteoi_irq")
    why = s.why(spin)
    assert links(why) == [("kernel", "acct.eth0.held[0]"), ("action.start", "actions[2]")]
    head, holder = why.chain
    assert head.event == spin and head.cpu == 1 and head.stack[0] == "handle_fasteoi_irq+lock"
    assert "handle_fasteoi_irq of irq 18 (INTx# of eth0) spins on desc->lock: CPU0 is in irq_set_affinity" \
        in head.reason
    assert holder.relation == "waits for desc->lock, held by"
    own = [b[0] for b in head.branches if b[0].path == "cpus[1].isr[0x20]"]
    assert len(own) == 1 and own[0].relation == "in the handler of"
