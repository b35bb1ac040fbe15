"""Breakpoint forms and the expression language: what stops where, and how mistakes are reported."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msidbg.debugger import BreakpointError, Session
from msidbg.debugger.breakpoints import problem as validate_breakpoint
from msidbg.debugger.expr import ExprError, compile_expr
from msidbg.scenario import ScenarioError
from tests.conftest import SCENARIOS, scenario, shipped

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")


def session(*specs: str) -> Session:
    """The 2021 scenario with only ``specs`` armed."""
    s = Session(shipped("msix-write-while-unmasked"))
    for b in s.breakpoints:
        s.remove_breakpoint(b.id)
    for spec in specs:
        s.add_breakpoint(spec)
    return s


def stops(s: Session, limit: int = 50) -> list[tuple[int, str | None]]:
    out = []
    while len(out) < limit:
        stop = s.continue_()
        if stop.reason != "breakpoint":
            break
        out.append((stop.event, stop.detail))
    return out


# --- each form stops where the mechanism says ---------------------------------------------------------
def test_builtin_name_stops_at_each_hit_of_that_name_only() -> None:
    s = session("msix-write-unmasked")
    events = [e for e, _ in stops(s)]
    assert events == [h.event for h in s.eng.hits if h.name == "msix-write-unmasked"]
    assert events and all(s.events(e, e + 1)[0].kind == "msix.write" for e in events)


def test_contract_condition_example_stops_on_every_msix_write_of_eth0() -> None:
    s = session('if event.kind == "msix.write" and event.dev == "eth0"')
    got = [e for e, _ in stops(s, 200)]
    s.run()
    want = [e.index for e in s.events(1, s.total + 1) if e.kind == "msix.write" and e.dev == "eth0"]
    assert got == want and len(want) > 5


def test_watch_stops_when_the_value_changes_and_says_from_what_to_what() -> None:
    s = session("watch devices.eth0.msix.table[0].data")
    got = stops(s)
    assert [e for e, _ in got] == [8, 23]  # the reservation's 0xef, then the real vector 0x21
    assert got[0][1] == "devices.eth0.msix.table[0].data: 0 -> 0xef"
    assert got[1][1] == "devices.eth0.msix.table[0].data: 0xef -> 0x21"


def test_watch_of_a_whole_irr_and_of_one_vector_bit() -> None:
    whole = [e for e, _ in stops(session("watch cpu[1].irr"), 5)]
    bit = [e for e, _ in stops(session("watch cpu[1].irr[0x21]"), 5)]
    assert bit[:2] == [30, 31]  # the message sets IRR bit 0x21, acceptance moves it to ISR
    assert whole[:2] == [30, 31]


def test_call_stops_on_entry_to_the_kernel_program() -> None:
    s = session("call msi_set_affinity")
    stop = s.continue_()
    assert (stop.event, stop.breakpoint, stop.detail) == (25, "call msi_set_affinity", "entered msi_set_affinity")
    assert "msi_set_affinity" in [f["prog"] for f in s.world["cpus"][0]["proc"]["stack"]]
    assert s.continue_().reason == "end"


def test_builtin_with_a_condition() -> None:
    # (79: dyingdrain's two notes in the offline; intx36: +1, msix_capability_init's INTx Disable write)
    assert [e for e, _ in stops(session('irq-lost if event.dev == "eth0"'), 3)] == [79, 80, 81]
    assert stops(session('irq-lost if event.dev == "eth0" and event.cpu == 7')) == []
    with pytest.raises(BreakpointError, match="unknown device 'nvme9'"):   # could never hold (ux5)
        session('irq-lost if event.dev == "nvme9"')


def test_call_with_a_condition_on_the_world() -> None:
    assert stops(session("call cpu_down if cpu[1].online")) == [(71, "entered cpu_down")]
    assert stops(session("call cpu_down if not cpu[1].online")) == []


def test_condition_prefilter_by_kind_does_not_change_results() -> None:
    a = [e for e, _ in stops(session('if event.kind == "apic.eoi"'), 100)]
    b = [e for e, _ in stops(session('if event.kind == "apic.eoi" or event.kind == "apic.eoi"'), 100)]
    assert a == b and a


def test_first_breakpoint_in_id_order_is_reported_and_watches_stay_in_step() -> None:
    s = session("watch devices.eth0.msix.table[0].data", 'if event.kind == "msix.write"')
    assert s.continue_().event == 6  # only the condition fires at event 6
    stop = s.continue_()
    assert stop.event == 7
    s.seek(7)
    stop = s.continue_()
    assert (stop.event, stop.breakpoint) == (8, "watch devices.eth0.msix.table[0].data")


def test_continue_over_known_history_stops_at_every_hit() -> None:
    s = session("irq-lost")
    s.run()
    lost = [h.event for h in s.eng.hits if h.name == "irq-lost"]
    s.seek(lost[0])
    assert [e for e, _ in stops(s, 100)] == lost[1:]  # the very next event, and each after it
    s.seek(lost[0] - 1)
    assert s.continue_(max_events=1).event == lost[0]
    s.seek(lost[0] - 2)
    assert s.continue_(max_events=1).reason == "limit"


def test_remove_and_disable() -> None:
    s = session()
    a = s.add_breakpoint("irq-lost")
    b = s.add_breakpoint("irq-spurious")
    s.enable_breakpoint(a, False)
    assert s.continue_().breakpoint == "irq-spurious"
    s.remove_breakpoint(b)
    assert s.continue_().reason == "end"
    with pytest.raises(BreakpointError, match="no breakpoint 99"):
        s.remove_breakpoint(99)
    assert [bp.id for bp in s.breakpoints] == [a]


def test_disabled_builtins_are_not_listed_in_summary_hits() -> None:
    s = session("irq-lost", "irq-spurious")
    s.enable_breakpoint(s.breakpoints[0].id, False)
    s.run()
    assert {h["breakpoint"] for h in s.summary()["hits"]} == {"irq-spurious"}


# --- mistakes: one clear error, with a caret under the column ----------------------------------------------
@pytest.mark.parametrize(("spec", "column", "words"), [
    ('if event.kind == "msix.write" and', 33, "expected a value"),
    ("if cpu[1].irr[0x21", 18, "expected ']'"),
    ("watch nosuch.path", 6, "unknown name 'nosuch'"),
    ("call no_such_program", 5, "unknown kernel program 'no_such_program'"),
    ("if event.nofield == 1", 9, "unknown event field 'nofield'"),
    ('if event.kind == "msix.wrte"', 17, "unknown event kind 'msix.wrte'"),
    ("if 1 < 2 < 3", 9, "a chained comparison (expected comparisons joined with 'and')"),
    ("if cpu[1] $ 2", 10, "unexpected character '$'"),
    ("if 'open", 3, "unterminated string (expected its closing ')"),
    ("if 0x_", 3, "bad number"),
    ("nope", 0, "unknown breakpoint 'nope'"),
    ("irq-lost if", 11, "'if' with nothing after it (expected a condition"),
    ("watch", 5, "'watch' with nothing after it (expected an expression"),
])
def test_malformed_specs_point_at_the_column(spec: str, column: int, words: str) -> None:
    s = session()
    with pytest.raises(BreakpointError) as info:
        s.add_breakpoint(spec)
    e = info.value
    assert words in e.message, e.message
    assert e.column == column, (e.column, str(e))
    lines = str(e).split("\n")
    assert lines[1].strip() == spec.strip() and lines[2].index("^") - 4 == column


def test_every_contract_breakpoint_name_is_modelled_and_armable() -> None:
    from msidbg.model import hits

    assert hits.IMPLEMENTED == set(hits.CONTRACT)
    s = session()
    ids = [s.add_breakpoint(name) for name in sorted(hits.CONTRACT)]
    assert len(set(ids)) == len(hits.CONTRACT)
    with pytest.raises(BreakpointError):
        s.add_breakpoint("msi-torn")                # a near miss is still refused


def test_scenario_files_arm_conditions_through_the_same_parser(tmp_path: Any) -> None:
    text = shipped("msix-write-while-unmasked").text.replace(
        "breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]",
        "breakpoints: ['if event.kind == \"apic.eoi\" and event.cpu == 1', 'watch cpu[1].isr', "
        "'call cpu_down']")
    s = Session(scenario(text))
    assert [b.form for b in s.breakpoints] == ["if", "watch", "call"]
    assert s.continue_().event == 31  # acceptance sets ISR bit 0x21 on CPU1
    assert validate_breakpoint("if event.kind ==") is not None
    assert "column 17" in (validate_breakpoint("if event.kind ==") or "")
    assert validate_breakpoint("watch cpu[1].irr[0x31]") is None
    bad = text.replace("'watch cpu[1].isr'", "'watch cpu[1].isr['")
    with pytest.raises(ScenarioError, match=r"breakpoints\[1\]"):
        Session(scenario(bad))                      # the debugger parses conditions when it arms them


def test_unknown_world_root_in_a_scenario_file_is_a_scenario_error() -> None:
    text = shipped("msix-write-while-unmasked").text.replace(
        "breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]", "breakpoints: ['watch nosuch.x']")
    with pytest.raises(ScenarioError, match=r"breakpoints\[0\]: unknown name 'nosuch'"):
        Session(scenario(text))


# --- the expression language itself ---------------------------------------------------------------------------
WORLD: dict[str, Any] = {
    "now": 5000, "events": 0,
    "cpus": [{"irr": [0, 0x2, 0, 0, 0, 0, 0, 0], "online": True, "vector_irq": {0x21: 24}},
             {"irr": [0] * 8, "online": False, "vector_irq": {}}],
    "devices": {"eth0": {"msix": {"table": [{"ctrl": 1, "data": 0x21}]}}, "nvme-a": {"msix": None}},
    "irqs": {24: {"vector": 0x21, "cpu": 0}},
    "kernel": {"pci": {"eth0": {"status": "ok"}}},
}
ENV = SimpleNamespace(w=WORLD, cur=0, log=None)


def ev(text: str) -> Any:
    return compile_expr(text, set(WORLD)).fn(ENV)


@pytest.mark.parametrize(("text", "value"), [
    ("cpu[0].irr[0x21]", 1), ("cpu[0].irr[0x22]", 0), ("cpu[0].irr[1]", 0), ("cpu[0].irr[300]", None),
    ("cpus[0].irr[0x21] == 1", True), ("cpu[0].vector_irq[0x21]", 24), ("irq[24].vector == 0x21", True),
    ("irqs['24'].cpu", 0), ("pci.eth0.status == 'ok'", True), ("devices['nvme-a'].msix", None),
    ("dev.nvme-a.msix == none", True), ("devices.eth0.msix.table[0].ctrl & 1", 1),
    ("devices.eth0.msix.table[0].data >> 4 | 1", 3), ("~0 & 0xff", 0xFF), ("-1 < 0", True),
    ("1 << 70", None), ("'a' < 1", False), ("len(cpus) == 2", True), ("len(now)", None),
    ("not cpu[1].online and cpu[0].online", True), ("cpu[1].online or now > 4999", True),
    ("now in [1, 5000]", True), ("now not in [1, 2]", True), ("'ok' in 'looks ok'", True),
    ("time == 5_000", True), ("world.now", 5000), ("nosuch_key_in_path.x", None),
    ("devices.eth0.missing.deeper[3]", None), ("true == 1", False), ("0b101", 5), ('"a\\"b"', 'a"b'),
    ("event.kind", None), ("(1 == 1) == true", True),
])
def test_expression_values(text: str, value: Any) -> None:
    if text == "nosuch_key_in_path.x":
        assert compile_expr(text, None).fn(ENV) is None  # roots unchecked: a missing path is None
        return
    got = ev(text)
    assert got == value and type(got) is type(value), (text, got)


def test_an_expression_is_parsed_once_into_closures() -> None:
    c = compile_expr('event.kind == "apic.eoi" and cpu[1].irr[0x21]', {"cpus"})
    assert c.uses_world and c.uses_event and c.kinds is not None and len(c.kinds) == 1
    assert compile_expr("cpu[0].irr", {"cpus"}).kinds is None


TOKENS = ["event", ".", "kind", "dev", "cpu", "[", "]", "(", ")", "0x31", "1", "-", "~", "==", "!=", "<", ">=",
          "and", "or", "not", "in", "'eth0'", '"msix.write"', "irr", "len", ",", "&", "|", "<<", "true", " ",
          "devices", "msix", "table", "world", "'", "\\", "$", "0b2", "9" * 30]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
                 st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join)))
def test_parser_fuzz_only_raises_expr_error_and_evaluation_never_raises(text: str) -> None:
    try:
        c = compile_expr(text, set(WORLD))
    except ExprError as e:
        assert 0 <= e.column <= len(text)
        assert "\n" not in e.message
        return
    c.fn(ENV)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_breakpoint_spec_fuzz_only_raises_breakpoint_error(spec: str) -> None:
    try:
        session_for_fuzz().add_breakpoint(spec)
    except BreakpointError as e:
        assert e.column is None or 0 <= e.column <= len(spec)
    assert validate_breakpoint(spec) is None or "\n" not in validate_breakpoint(spec)  # type: ignore[operator]


_FUZZ: list[Session] = []


def session_for_fuzz() -> Session:
    if not _FUZZ:
        _FUZZ.append(session())
    s = _FUZZ[0]
    for b in s.breakpoints:
        s.remove_breakpoint(b.id)
    return s


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExprError, match="nested deeper"):
        compile_expr("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExprError, match="nested deeper"):
        compile_expr("not " * 200 + "1")
    with pytest.raises(ExprError, match="too long"):
        compile_expr("1 == " * 1000 + "1")
