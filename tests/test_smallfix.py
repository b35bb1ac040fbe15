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


MME = """\
name: sf-mme
cpus: 2
devices:
  d0: {bdf: "00:03.0", kind: generic, msi: {vectors: 8, per_vector_mask: true, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 8}
  - {at: 1ms, do: fire, dev: d0, vector: 5}
  - {at: 2ms, do: fire, dev: d0, vector: 0}
"""


def test_a_single_message_msi_function_signals_every_condition_with_its_one_message() -> None:
    """x86 without remapping grants one MSI message to a probe asking 8 (Multiple Message Enable 000b).
    The function may not modify its message data: queue 5's condition goes out as message 0 and the
    driver's one handler gets it. The model dropped it ("MSI message not enabled") and counted it lost."""
    s = _run(MME)
    w = s.world
    assert (w["devices"]["d0"]["msi"]["ctrl"] >> 4) & 7 == 0            # one message enabled
    assert not [e for e in s.events(1, s.cursor + 1) if e.kind == "msi.dropped"]
    msgs = [e for e in s.events(1, s.cursor + 1) if e.kind == "msi.msg"]
    assert [e.fields["index"] for e in msgs] == [0, 0]
    assert len({e.fields["data"] for e in msgs}) == 1                   # the unmodified data, twice
    rows = {v["index"]: v for v in s.summary()["devices"]["d0"]["vectors"]}
    assert (rows[0]["raised"], rows[0]["delivered"], rows[0]["lost"]) == (2, 2, 0)
    assert all(v["lost"] == 0 for v in rows.values())
    assert not [h for h in s.hits() if h.name == "irq-lost"]


def test_why_on_a_pirq_beyond_the_domains_range_is_an_error_naming_the_range() -> None:
    """xen.pirqs[999] names no pirq of a domain with nr_pirqs pirqs: a one-line error with the expected
    range (as cpus[99] is), not 'still had its initial value'; an unmapped pirq in range keeps that answer."""
    from pathlib import Path

    from msidbg.debugger.why import WhyError
    from msidbg.scenario import load_scenario

    scenarios = Path(__file__).resolve().parent.parent / "scenarios"
    s = Session(load_scenario(str(scenarios / "xen-pirq-reuse-nvme.yaml")))
    s.run()
    n = s.world["xen"]["nr_pirqs"]
    for path in ("xen.pirqs[999]", f"xen.pirqs[{n}]", "xen.pirqs[999].bound", "xen.pirqs[999].port"):
        with pytest.raises(WhyError) as e:
            s.why(path)
        msg = str(e.value)
        assert "\n" not in msg and msg.startswith(path + ": ") and f"0..{n - 1}" in msg, msg
    unmapped = next(p for p in range(n - 1, 0, -1) if p not in s.world["xen"]["pirqs"])
    assert s.why(f"xen.pirqs[{unmapped}]").chain[-1].reason.endswith("still had its initial value")
    bare = Session(load_scenario(str(scenarios / "msi-torn-affinity-update.yaml")))
    bare.run()
    with pytest.raises(WhyError, match=r"^xen\.pirqs\[60\]: this run has no Xen pirqs"):
        bare.why("xen.pirqs[60]")


def test_with_several_messages_a_condition_beyond_them_needs_the_low_bits_quirk() -> None:
    """Remapping grants 2 of 8 messages: vector 5 has no message of its own. Which enabled message a
    function uses for it is device-specific: the generic device drops it; with msi-message-low-bits it
    goes out as message 5 mod 2 = 1 and reaches that vector's handler (request_irq for vector 1)."""
    text = """\
name: sf-mme2
cpus: 2
platform: {interrupt_remapping: true}
devices:
  d0: {bdf: "00:03.0", kind: generic, msi: {vectors: 8, per_vector_mask: true, addr64: true}QUIRK}
run:
  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 2}
  - {at: 1ms, do: fire, dev: d0, vector: 5}
"""
    plain = _run(text.replace("QUIRK", ""))
    assert (plain.world["devices"]["d0"]["msi"]["ctrl"] >> 4) & 7 == 1      # two messages enabled
    assert [e.fields["why"] for e in plain.events(1, plain.cursor + 1) if e.kind == "msi.dropped"] == [
        "MSI message not enabled"]
    quirk = _run(text.replace("QUIRK", ", quirks: [msi-message-low-bits]"))
    assert [e.fields["index"] for e in quirk.events(1, quirk.cursor + 1) if e.kind == "msi.msg"] == [1]
    rows = {v["index"]: v for v in quirk.summary()["devices"]["d0"]["vectors"]}
    assert (rows[1]["raised"], rows[1]["delivered"], rows[1]["lost"]) == (1, 1, 0)
