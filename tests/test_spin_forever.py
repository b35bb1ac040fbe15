"""A kernel spin wait that nothing left to run can end (reading ``kernel.spin-forever``): the run ends
with the context left waiting at its poll and one note saying so, instead of polling without end.

The example (whatif's finding): a 5.2 kernel, whose free_irq deactivates at once, given 5.3's
``sync_irq_chip_state`` by hand: the level interrupt's EOI matches no entry, Remote IRR stays set, and
synchronize_irq waits for it on CPU3 for ever. Before this rule ``msidbg run`` of the file hung with no
output (--max-events did not help: one event per 100,000 polls)."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.model.cpu import SPIN_WAIT
from msidbg.sim.world import state_hash
from tests.conftest import cpu_step_budget

HELD = Path(__file__).resolve().parent / "heldout_why6" / "w01-freesync-5p2.yaml"


def _stuck_text() -> str:
    text = HELD.read_text()
    assert 'kernel: {version: "5.2"}' in text
    return text.replace('kernel: {version: "5.2"}', 'kernel: {version: "5.2", sync_irq_chip_state: true}')


def test_a_spin_nothing_can_end_ends_the_run_with_the_context_waiting_at_its_poll(tmp_path: Path) -> None:
    p = tmp_path / "stuck.yaml"
    p.write_text(_stuck_text())
    with cpu_step_budget(5_000):
        s = Session.from_scenario(str(p))
        s.run()
    w = s.eng.w
    proc = w.cpus[3].proc
    assert proc.wait == {SPIN_WAIT: "synchronize_irq: irq 20 in flight: Remote IRR set (irq_get_irqchip_state "
                         "IRQCHIP_STATE_ACTIVE), sent to CPU2"}
    assert proc.stack and proc.stack[-1]["prog"] == "free_irq"     # still inside free_irq, at the poll
    assert not w.cpus[3].queued and w.agenda == {}
    last = s.events(s.total - 1, s.total + 1)
    assert last[0].kind == "kernel" and last[0].cpu == 3
    assert str(last[0].fields["what"]).endswith("spins for ever (nothing left to run can end the wait)")
    assert last[1].kind == "run.end"


def test_the_same_run_is_deterministic_and_replays_from_a_snapshot(tmp_path: Path) -> None:
    p = tmp_path / "stuck.yaml"
    p.write_text(_stuck_text())
    hashes = []
    for _ in range(2):
        with cpu_step_budget(5_000):
            s = Session.from_scenario(str(p))
            s.run()
        hashes.append((s.total, state_hash(s.eng.w)))
    assert hashes[0] == hashes[1]
    # time travel over the stuck poll: back to before it and forward again lands on the same state
    end = s.total
    s.seek(end - 5)
    s.seek(end)
    assert state_hash(s.eng.w) == hashes[0][1]
    # and a saved snapshot reopens there, verified by replay
    snap = tmp_path / "stuck.msgpack"
    s.save(str(snap))
    with cpu_step_budget(5_000):
        o = Session.open(str(snap))
    assert o.cursor == end and state_hash(o.eng.w) == hashes[0][1]


def test_a_spin_that_an_agenda_item_can_end_still_waits_for_it(tmp_path: Path) -> None:
    """The shipped 5.3+ behaviour (delayed deactivation with the chip check): free_irq waits for the EOI
    and finishes, no context is left stuck."""
    text = HELD.read_text().replace('kernel: {version: "5.2"}', 'kernel: {version: "5.3"}')
    p = tmp_path / "w01-53.yaml"
    p.write_text(text)
    with cpu_step_budget(50_000):
        s = Session.from_scenario(str(p))
        s.run()
    assert all(not (c.proc.wait or {}).get(SPIN_WAIT) for c in s.eng.w.cpus)
