"""smallfix: leftovers of red team 5. Each test here failed on the code before its fix."""

from __future__ import annotations

import pytest

from msidbg.debugger import Session
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario_text


def _run(text: str) -> Session:
    s = Session(load_scenario_text(text, "smallfix.yaml"))
    s.run()
    assert s.world["ended"]
    return s


OFFLINE_ON = """\
name: sf-offline-on
cpus: 3
kernel: {version: "6.6"}
devices:
  d0: {bdf: "00:03.0", kind: generic, msix: {table_size: 4}}
  d1: {bdf: "00:04.0", kind: generic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: cpu_offline, cpu: 2}
  - {at: AT, on: 2, do: probe, dev: d0, vectors: 1}
  - {at: 2us, on: 1, do: probe, dev: d1, vectors: 1}
  - {at: 5ms, on: 0, do: cpu_online, cpu: 2}
  - {at: 6ms, on: 2, do: probe, dev: d0, vectors: 1}
"""


def _actions(s: Session) -> list[tuple[str, object]]:
    return [(a["do"], a["result"]) for a in s.world["actions"]]


def test_an_action_on_an_offline_cpu_fails_with_einval_as_taskset_does() -> None:
    """taskset -c 2 on an offline CPU 2: sched_setaffinity fails with -EINVAL and the probe never
    runs (the device stays not-probed, nothing waits forever); once CPU2 is back, the next probe
    pinned to it runs."""
    s = _run(OFFLINE_ON.replace("AT", "1ms"))
    assert _actions(s) == [("cpu_offline", 0), ("probe", -22), ("probe", 0), ("cpu_online", 0), ("probe", 0)]
    assert s.summary()["devices"]["d0"]["probe"] == "ok"
    failed = s.summary()["failed_actions"]
    assert [(f["action"], f["error"], f["cpu"]) for f in failed] == [(1, "EINVAL", 2)]


STOPPED_ON = """\
name: sf-stopped-on
cpus: 3
kernel: {version: "6.6"}
devices:
  d0: {bdf: "00:03.0", kind: generic, msix: {table_size: 4}}
  d1: {bdf: "00:04.0", kind: generic, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: cpu_offline, cpu: 2}
  - {at: 2us, on: 2, do: probe, dev: d0, vectors: 1}
  - {at: 2us, on: 1, do: probe, dev: d1, vectors: 1}
"""


def test_an_action_due_while_its_cpu_is_stopped_to_go_offline_fails_too() -> None:
    """At 2 us CPU2 is in stop_machine for its own offline (already out of cpu_active_mask): the
    action pinned to it is refused, not started on the stopped CPU to freeze there; CPU1, stopped
    only for the duration, runs its probe after."""
    s = _run(STOPPED_ON)
    assert _actions(s) == [("cpu_offline", 0), ("probe", -22), ("probe", 0)]
    d0 = s.summary()["devices"]["d0"]
    assert (d0["probe"], d0["driver"]) == ("not-probed", "not-probed")


APICV = """\
name: sf-apicv
platform: {kind: xen-hvm, xen: "XEN", apic_virtualization: true}
devices:
  d0: {bdf: "00:03.0", kind: generic, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 0, do: probe, dev: d0}
"""


@pytest.mark.parametrize("xen", ["4.4", "4.4.4", "4.2"])
def test_apic_virtualization_before_xen_4_5_is_a_load_error(xen: str) -> None:
    """Xen advertises APIC virtualization in CPUID leaf 4 from 4.5.0 (3196856c65): one line naming the field
    and the version."""
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(APICV.replace("XEN", xen), "apicv.yaml")
    msg = e.value.oneline()
    assert "\n" not in msg and msg.startswith("msidbg: apicv.yaml:2: platform.apic_virtualization: ")
    assert f"Xen {xen} " in msg and "4.5" in msg
    load_scenario_text(APICV.replace("XEN", "4.5"), "apicv.yaml")
    load_scenario_text(APICV.replace("XEN", xen).replace("apic_virtualization: true", "xen_hvm_pirqs: false"), "a.yaml")
