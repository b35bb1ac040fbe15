"""ux5: breakpoint specs as a user mistypes them, on a 16-CPU scenario nobody wrote them for."""

from __future__ import annotations

import pytest

from msidbg.debugger import Session
from msidbg.debugger.breakpoints import BreakpointError
from tests.test_ux5_values import HOTPLUG


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    p = tmp_path_factory.mktemp("ux5bp") / "hotplug.yaml"
    p.write_text(HOTPLUG)
    return Session.from_scenario(str(p))


@pytest.mark.parametrize(("spec", "message", "column"), [
    # a device the scenario does not have: the condition could never hold, the run ended quietly
    ('if event.kind == "msix.write" and event.dev == "nvme9"',
     "unknown device 'nvme9' (expected one of: nvme0, nvme1, or none for an event about no device)", 48),
    ('if event.dev in ["nvme0", "eth0"]', "unknown device 'eth0'", 27),
    ("if event.dev == 3", "event.dev compared with 3 (expected a device name or none)", 17),
    # a kind compared with a number or a boolean is never true either
    ("if event.kind == 5", 'event.kind compared with 5 (expected an event kind name such as "msix.write")', 18),
    ("if true != event.kind", "compared with true (expected", 4),
    # 'NAME if' / 'call PROG if' with no condition was "unknown breakpoint 'irq-lost if'" (or
    # "unknown kernel program 'msi_set_affinity if'" and all 90 program names)
    ("irq-lost if", "'if' with nothing after it (expected a condition, e.g. irq-lost if event.dev == \"eth0\")", 12),
    ("call msi_set_affinity if  ", "(expected a condition, e.g. call msi_set_affinity if", 25),
])
def test_a_condition_that_could_never_hold_is_refused_with_its_column(session: Session, spec: str, message: str,
                                                                      column: int) -> None:
    with pytest.raises(BreakpointError) as e:
        session.add_breakpoint(spec)
    assert message in e.value.message and e.value.oneline().startswith(f"msidbg: column {column} of {spec.strip()!r}: ")


@pytest.mark.parametrize("spec", [
    'if "msi" in event.kind',                 # a substring test: was refused as "unknown event kind 'msi'"
    'if event.kind in ["msi.msg", "msix.write"] and event.dev in ["nvme0", "nvme1"]',
    "if event.dev == none",
    'if "nvme" in event.dev',
    'irq-lost if event.dev == "nvme1"',
])
def test_conditions_that_can_hold_are_armed(session: Session, spec: str) -> None:
    bp = session.add_breakpoint(spec)
    session.remove_breakpoint(bp)


def test_a_substring_test_on_the_kind_stops_where_the_kind_first_contains_it(session: Session) -> None:
    bp = session.add_breakpoint('if "msi" in event.kind')
    session.seek(0)
    stop = session.continue_()
    session.remove_breakpoint(bp)
    first = next(e for e in session.events(1, session.total + 1) if "msi" in e.kind)
    assert stop.reason == "breakpoint" and stop.event == first.index


@pytest.mark.parametrize(("spec", "message", "column"), [
    # what a kernel engineer types first: the message named the character, not the fix
    ("if event.vector == 0x22 && event.cpu == 9", "'&&' is C (expected 'and'", 25),
    ('if event.kind == "msix.write" || event.kind == "msi.msg"', "'||' is C (expected 'or'", 31),
    ("if !cpu[1].online", "'!' is C (expected 'not'", 4),
    ('if event.kind = "msix.write"', "(expected '==' to compare)", 15),
    # a time with its unit: "expected an operator ..., found 'ms'"
    ("if event.time > 1ms", "a time unit in a condition: 1ms is 1000000 ns (expected an integer in ns", 17),
    ("if time >= 1_500us", "1_500us is 1500000 ns", 12),
])
def test_c_habits_and_time_units_say_what_to_write(session: Session, spec: str, message: str, column: int) -> None:
    with pytest.raises(BreakpointError) as e:
        session.add_breakpoint(spec)
    assert message in e.value.message and e.value.oneline().startswith(f"msidbg: column {column} of {spec!r}: ")


@pytest.mark.parametrize("spec", ["if event.cpu != 1", "if event.value & 1 == 0", "if event.value | 1",
                                  "if cpu[1].irr[0x22] >= 1 and time <= 1000000", "if event.dev != 'nvme0'",
                                  "if \"a&&b\" in event.kind or event.kind == \"msi.msg\""])
def test_the_operators_those_hints_resemble_still_work(session: Session, spec: str) -> None:
    session.remove_breakpoint(session.add_breakpoint(spec))
