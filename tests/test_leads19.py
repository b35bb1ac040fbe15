"""leads19: fidelity leads closed from source.

FIFO event channels on an old Xen: Xen offers EVTCHNOP_init_control from 4.4.0 (88910061ec); RELEASE-4.3.4's
do_event_channel_op answers it -ENOSYS (the default case), and the guest's xen_init_IRQ then falls back to
the 2-level ABI ('if (fifo_events) ret = xen_evtchn_fifo_init(); if (ret < 0) xen_evtchn_2l_init();', every
kernel from 3.14). A kernel asking for FIFO on Xen 4.3 therefore runs 2-level (the versions resolve it); an
explicit ``platform.xen_evtchn_fifo: true`` with a Xen before 4.4 names a Xen that does not exist and is
refused at load, as ``apic_virtualization`` with a Xen before 4.5 is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg import behaviour as bh
from msidbg.debugger import Session
from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from tests.conftest import load_error


def _fifo_yaml(xen: str, extra: str = "", kernel: str = "4.4") -> str:
    return f"""name: fifo-old
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
"""


@pytest.mark.parametrize("xen", ["4.2", "4.3", "4.3.4", "4.0"])
def test_fifo_forced_on_a_xen_before_4_4_is_refused_naming_both_fields(tmp_path: Path, xen: str) -> None:
    line = load_error(tmp_path, _fifo_yaml(xen, ", xen_evtchn_fifo: true"))
    assert "s.yaml:2: platform.xen_evtchn_fifo: platform.xen " + xen + " has no FIFO event channel ABI" in line
    assert "(expected platform.xen 4.4 or newer, or no xen_evtchn_fifo)" in line


@pytest.mark.parametrize(("xen", "extra", "abi"), [
    ("4.4", ", xen_evtchn_fifo: true", "fifo"),     # the first Xen with EVTCHNOP_init_control
    ("4.3", ", xen_evtchn_fifo: false", "2l"),      # saying what 4.3 does is fine
    ("4.3", "", "2l"),                              # the kernel asks, Xen 4.3 lacks it: xen_init_IRQ falls back
])
def test_what_a_real_xen_does_still_loads_and_picks_its_abi(xen: str, extra: str, abi: str) -> None:
    eng = new_engine(load_scenario_text(_fifo_yaml(xen, extra, kernel="5.10"), "f.yaml"))
    while eng.step():
        pass
    assert eng.w["xen"]["abi"] == abi


def test_the_first_fifo_xen_is_the_rows_first_change() -> None:
    row = next(r for r in bh.rows() if r.name == "xen_evtchn_fifo")
    assert bh.parse_xen(row.history[0].release).series == bh.FIRST_FIFO_XEN
    assert row.history[0].value is True and row.initial is False


# --- an IO-APIC level message to a software-disabled local APIC --------------------------------------------
#
# 5.4 .. 5.9-rc2 (kernel.cpu_disable_apic: soft-first) native_cpu_disable soft-disables the dying CPU's APIC
# before fixup_irqs moves its irqs. eth0's INTx (GSI 16) targets CPU1; its line asserts 10 ns after CPU1's
# apic_soft_disable, before the entry is rewritten. The I/O xAPIC sets Remote IRR when it sends; the APIC
# refuses the message (no IRR, no TMR bit), so nothing EOIs it and the moved entry keeps Remote IRR: the line
# sends no more (reading ioapic.soft-disabled-destination). On main the disabled APIC's IRR took the vector
# and fixup_irqs' IRR scan forwarded it: all three delivered.

SOFT = """
name: level-to-soft-disabled
cpus: 2
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, intx: {{pin: A, gsi: 16}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}}
  - {{at: 1ms, do: fire, dev: eth0, vector: 0}}
  - {{at: 2ms, on: 0, do: cpu_offline, cpu: 1}}
  - {{at: 2000010ns, do: fire, dev: eth0, vector: 0}}
  - {{at: 3ms, do: fire, dev: eth0, vector: 0}}
"""


def _soft_run(kernel: str) -> Any:
    eng = new_engine(load_scenario_text(SOFT.format(kernel=kernel), "soft.yaml"))
    while eng.step():
        pass
    return eng


def test_a_level_message_a_soft_disabled_apic_refuses_leaves_remote_irr_set_and_the_line_dead() -> None:
    eng = _soft_run("5.6")
    kinds = [(e.kind, e.cpu, e.fields.get("what", "")) for e in (eng.log.event(i) for i in range(1, eng.cur + 1))]
    soft = next(i for i, (k, c, what) in enumerate(kinds) if k == "kernel" and "apic_soft_disable() before" in str(what))
    moved = next(i for i, (k, _, what) in enumerate(kinds) if k == "ioapic.rte" and "-> CPU0" in str(what))
    assert soft < moved
    accepts = [(e.cpu, e.time_ns) for e in (eng.log.event(i) for i in range(1, eng.cur + 1)) if e.kind == "apic.accept"]
    assert accepts == [(1, accepts[0][1])] and accepts[0][1] < 2_000_000     # only the 1 ms interrupt was taken
    pin = eng.w["ioapic"][16]
    assert (pin["cpu"], pin["remote_irr"], pin["masked"]) == (0, True, False)  # moved, Remote IRR kept
    assert 0x21 not in (eng.w.cpus[1].get("tmr") or [])
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (3, 1, 2)


def test_after_52d6b926aabc_the_same_interrupt_is_moved_and_delivered() -> None:
    eng = _soft_run("5.4.62")       # soft-after: fixup_irqs moved the irq before the APIC was disabled
    a = eng.w["acct"]["eth0"]
    assert (a["raised"][0], a["delivered"][0], a["lost"][0]) == (3, 3, 0)
    assert eng.w["ioapic"][16]["remote_irr"] is False


def test_the_lost_conditions_name_the_remote_irr_left_set(tmp_path: Path) -> None:
    path = tmp_path / "soft.yaml"
    path.write_text(SOFT.format(kernel="5.6") + "breakpoints: [irq-lost]\n")
    s = Session.from_scenario(str(path))
    stop = s.continue_()
    assert stop.breakpoint == "irq-lost"
    detail = s.summary()["hits"][-1]["detail"]
    assert "whose IO-APIC entry still had Remote IRR set at the end (a level interrupt sent and never EOId)" in detail
