"""``why`` / ``diff`` on held-out scenarios over revision 11's mechanisms (whyheld7; tests/heldout_why7/): the
soft-disabled local APIC of a dying CPU (``kernel.cpu_disable_apic``), enable_irq of a pirq before 4.13
(``kernel.xen_enable_pirq_startup``). Each chain test pins a hop that was missing on main (the loss linked only
the message's registers, or only the port's pending bit); the diff tests pin the first divergence at the step
the switch changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import Session
from tests.why_helpers import first_hit

HELD = Path(__file__).resolve().parent / "heldout_why7"


def _run(name: str) -> Session:
    s = Session.from_scenario(str(HELD / f"{name}.yaml"))
    s.run()
    return s


def _links(why: Any) -> list[tuple[str, str | None]]:
    return [(lk.link, lk.path) for lk in why.chain]


# --- kernel.cpu_disable_apic: 60dcaad5736f's apic_soft_disable before fixup_irqs (5.4.0 .. 5.4.61) -----------------
def test_a_signal_refused_by_the_soft_disabled_apic_links_native_cpu_disable() -> None:
    """eth0's edge reaches CPU2 after take_cpu_down's apic_soft_disable and before fixup_irqs moved the irq: no IRR
    bit, lost. The loss linked the entry's registers (and the deferred move behind them), never what refused it."""
    s = _run("v08-soft-disable-5p4p61")
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.eth0.lost[0]"), ("apic.off", "cpus[2].apic_off"),
                           ("action.start", "actions[5]")]
    off = why.chain[1]
    assert off.stack == ["take_cpu_down+cpu_disable"] and off.cpu == 2 and off.value == 1
    assert off.relation == "refused by the APIC that was software-disabled by"
    assert "apic_soft_disable() before fixup_irqs" in off.reason
    assert "cpu_offline" in why.chain[2].reason
    # as a path, at the end: the same node
    assert s.why("cpus[2].apic_off").chain[0].event == off.event
    # diff against 5.4.62 (52d6b926aabc soft-disables after fixup_irqs): the runs part at that step
    r = s.diff(_run("v08-soft-disable-5p4p62"))
    first = r.first
    assert first is not None and first.context == "cpu2.proc" and first.a_info["event"] == off.event
    assert first.a_info["stack"][0] == first.b_info["stack"][0] == "take_cpu_down+cpu_disable"
    assert "apic_soft_disable" in first.a_info["text"] and "apic_soft_disable" not in first.b_info["text"]
    assert set(first.switches) == {"kernel.version", "cpu_disable_apic"} and not r.same_outcome


def test_both_signals_kept_from_fixup_irqs_retrigger_link_the_soft_disable() -> None:
    """retrig's r01 on 5.4: the two signals that 4.9 leaves in the IRR for fixup_irqs to retrigger are refused."""
    s = _run("v09-retrig-soft-5p4")
    losses = [h for h in s.armed_hits() if h.name == "irq-lost"]
    assert len(losses) == 2
    for h in losses:
        why = s.why(h)
        assert [lk.link for lk in why.chain] == ["lost", "apic.off", "action.start"]
        assert why.chain[1].path == "cpus[2].apic_off" and "cpu_offline" in why.chain[2].reason


def test_init_enables_the_apic_again_and_answers_the_path() -> None:
    """cpu_online's INIT and setup_local_APIC enable the APIC: ``cpus[2].apic_off`` is then answered by that step."""
    text = (HELD / "v08-soft-disable-5p4p61.yaml").read_text() + "  - {at: 2ms, on: 0, do: cpu_online, cpu: 2}\n"
    from msidbg.scenario import load_scenario_text
    s = Session(load_scenario_text(text, "v08-online.yaml"))
    s.run()
    ans = s.why("cpus[2].apic_off")
    assert ans.chain[0].value == 0 and "software-enabled again" in ans.chain[0].reason
    assert "cpu_online" in ans.chain[-1].reason


# --- kernel.xen_enable_pirq_startup: enable_irq of a pirq is startup_pirq before 4.13 -------------------------------
@pytest.mark.parametrize("kind", ["xen-pv", "xen-hvm"])
def test_an_event_cleared_by_enable_pirqs_startup_links_the_enable_irq(kind: str) -> None:
    """The event pending on the masked port is cleared by eoi_pirq in enable_irq's startup_pirq. The loss linked the
    pending bit (<- the mask <- disable_irq) and nothing of the enable_irq that cleared it."""
    s = _run(f"v11-enable-pirq-{kind}-4p12")
    why = s.why(first_hit(s, "irq-lost"))
    assert _links(why) == [("lost", "acct.eth0.lost[0]"), ("kernel", "irqs[24].disabled"),
                           ("action.start", "actions[3]")]
    assert why.chain[0].stack[0] == "startup_pirq+eoi"
    en = why.chain[1]
    assert en.value == 0 and en.relation == "cleared by the startup_pirq (enable_pirq before 4.13) of"
    assert "enable_irq" in why.chain[2].reason
    # the pending bit and the guest's mask behind it stay a branch
    pend = why.chain[0].branches[0]
    assert [(lk.link, lk.path) for lk in pend][:2] == [("xen", "xen.ports[1].pending"),
                                                      ("guest", "xen.ports[1].masked")]
    assert "disable_irq" in pend[-1].reason
    # diff against 4.13 (enable_dynirq): the runs part at startup_pirq's tail in enable_irq
    r = s.diff(_run(f"v11-enable-pirq-{kind}-4p13"))
    first = r.first
    assert first is not None and first.context == "cpu0.proc" and first.a_info["stack"][0].startswith("startup_pirq+")
    assert "startup_pirq" not in " ".join(first.b_info["stack"])
    assert first.switches["xen_enable_pirq_startup"] == {"a": True, "b": False} and not r.same_outcome
