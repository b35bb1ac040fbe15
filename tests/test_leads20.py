"""leads20: small leads closed from source (docs/why.md, docs/model-baremetal.md "INTx").

synchronize_irq's wait on an IO-APIC level entry's Remote IRR (62e0468650c3's sync_irq_chip_state) names the
CPU the interrupt in flight was sent to. The entry keeps Remote IRR across a rewrite (ioapic_configure_entry
writes vector and destination, Remote IRR is read-only), so after a move the entry's destination is no longer
where the message went: the note named the new destination.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.debugger.diff import diff_files, render
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from tests.test_leads19 import SOFT


def _run(text: str) -> Any:
    eng = new_engine(load_scenario_text(text, "s.yaml"))
    while eng.step():
        pass
    return eng


def _notes(eng: Any, start: str) -> list[str]:
    return [str(e.fields["what"]) for e in (eng.log.event(i) for i in range(1, eng.cur + 1))
            if e.kind == "kernel" and str(e.fields.get("what", "")).startswith(start)]


def test_synchronize_irq_names_the_cpu_the_level_message_went_to_after_a_move() -> None:
    """leads19's run (5.6, soft-first): eth0's level message goes to CPU1 after its APIC was soft-disabled and is
    refused, fixup_irqs moves the entry to CPU0 with Remote IRR still set; the remove's free_irq then waits on
    that Remote IRR for ever. The message went to CPU1 (on main the note said CPU0, the entry's new destination)."""
    eng = _run(SOFT.format(kernel="5.6") + "  - {at: 4ms, on: 0, do: remove, dev: eth0}\n")
    pin = eng.w["ioapic"][16]
    assert (pin["cpu"], pin["remote_irr"], pin["sent"]) == (0, True, [1, 0x21])
    notes = _notes(eng, "synchronize_irq: irq 16 in flight")
    assert notes and all(n.startswith("synchronize_irq: irq 16 in flight: Remote IRR set (irq_get_irqchip_state "
                                      "IRQCHIP_STATE_ACTIVE), sent to CPU1") for n in notes)


def test_an_eoi_that_clears_remote_irr_forgets_the_earlier_destination() -> None:
    """After 52d6b926aabc (5.4.62) the same line's interrupts are moved and EOId: no record is left behind."""
    eng = _run(SOFT.format(kernel="5.4.62"))
    pin = eng.w["ioapic"][16]
    assert pin["remote_irr"] is False and "sent" not in pin


# --- diff: a run: action's arguments under "differs between the files" ----------------------------------------

ARGS = """name: argdiff
cpus: 2
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
  - {{at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: {vector}, cpu: 1}}
  - {{at: 2ms, do: fire, dev: eth0, vector: 0}}
{extra}"""


def test_diff_lists_an_action_argument_that_differs_between_the_files(tmp_path: Path) -> None:
    """Both runs deliver the one interrupt and every action succeeds (the same outcome, no action result differs):
    on main nothing named the set_affinity's ``vector`` argument the files differ in."""
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(ARGS.format(vector=0, extra=""))
    b.write_text(ARGS.format(vector=1, extra="  - {at: 3ms, do: fire, dev: eth0, vector: 1}\n"))
    r = diff_files(str(a), str(b))
    assert r.outcome_a["actions"][:3] == r.outcome_b["actions"][:3]
    assert r.switches == {"run[1].args.vector": {"a": 0, "b": 1}, "run[3]": {"a": "absent", "b": "present"}}
    text = render(r)
    assert "  differs between the files:\n    run[1].args.vector: A 0, B 1\n    run[3]: A absent, B present" in text

