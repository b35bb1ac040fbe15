"""Pure TUI logic with no app running: the event filter, the key file, times, the Driver."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.sim.events import Event
from msidbg.tui import digest, eventfilter, keys
from msidbg.tui.driver import Driver, parse_time
from tests.tui.conftest import LATE, MASKED


def ev(kind: str, dev: str | None = "eth0", cpu: int | None = 0, **fields: int) -> Event:
    return Event(7, 1000, kind, cpu, dev, dict(fields))


def test_filter_words_negation_and_fields() -> None:
    write, msg = ev("msix.write", entry=1), ev("msi.msg", cpu=1, index=0)
    f = eventfilter.parse("eth0 msix")
    assert f.match(write) and not f.match(msg)
    assert eventfilter.parse("-msix").match(msg) and not eventfilter.parse("-msix").match(write)
    assert eventfilter.parse("kind=msi.msg").match(msg) and not eventfilter.parse("kind=msi").match(msg)
    assert eventfilter.parse("cpu=1").match(msg) and not eventfilter.parse("cpu=1").match(write)
    assert eventfilter.parse("  ").match(write) and not eventfilter.parse("  ").active


def test_key_file_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "keys.toml"
    toml.write_text('[keys]\nstep = "n, f10"\nstep_back = ["p"]\n')
    assert keys.load_keymap(toml) == {"step": "n,f10", "step_back": "p"}
    js = tmp_path / "keys.json"
    js.write_text('{"continue": "f5"}')
    assert keys.load_keymap(js) == {"continue": "f5"}
    assert keys.config_path({"XDG_CONFIG_HOME": str(tmp_path)}) is None
    (tmp_path / "msidbg").mkdir()
    (tmp_path / "msidbg" / "keys.toml").write_text("")
    assert keys.config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "msidbg" / "keys.toml"
    assert keys.config_path({"MSIDBG_KEYS": "/x/y.json"}) == Path("/x/y.json")


@pytest.mark.parametrize("text, expected", [
    ('stepp = "n"', "keys.stepp: unknown action"),
    ('step = "ctrl+"', "keys.step: 'ctrl+' is not a key name"),
    ("step = 3", "keys.step: expected a string"),
    ("step = [", "not valid TOML"),
])
def test_key_file_errors_name_the_field(tmp_path: Path, text: str, expected: str) -> None:
    p = tmp_path / "keys.toml"
    p.write_text(text)
    with pytest.raises(MsidbgError) as e:
        keys.load_keymap(p)
    assert expected in e.value.oneline() and str(p) in e.value.oneline()
    assert "\n" not in e.value.oneline()


def test_every_action_has_a_bound_app_method() -> None:
    from msidbg.tui.app import MsidbgApp

    for a in keys.ACTIONS:
        assert hasattr(MsidbgApp, f"action_{a.action}"), a.name


def test_parse_time_is_exact() -> None:
    assert parse_time("2ms") == 2_000_000
    assert parse_time("1.5us") == 1500
    assert parse_time("1200") == 1200
    assert parse_time(" 0.000001s ") == 1000
    assert parse_time("1.5ns") is None and parse_time("2 parsecs") is None and parse_time("") is None


def test_driver_changes_at_cursor_agree_with_a_straight_run() -> None:
    """Whatever way the cursor arrives at n (step, back, goto), the changes are those of event n."""
    ref = Session.from_scenario(MASKED)
    want = {}
    prev = digest.take(ref.world)
    while not ref.ended:
        ref.step()
        cur = digest.take(ref.world)
        want[ref.cursor] = digest.diff(prev, cur)
        prev = cur
    d = Driver(Session.from_scenario(MASKED))
    for _ in range(45):
        d.step()
        assert d.changes() == want[d.s.cursor]
    for _ in range(6):
        d.arrive(d.s.cursor - 1)
        assert d.changes() == want[d.s.cursor]
    for target in (40, 12, 51, 1, 41):
        d.arrive(target)
        assert d.s.cursor == target and d.changes() == want[target]
    for _ in range(4):      # back and forth over events whose changes are kept: the same answers
        d.step()
        assert d.changes() == want[d.s.cursor]
        d.arrive(d.s.cursor - 1)
        assert d.changes() == want[d.s.cursor] and d.s.cursor in d._changes


def test_driver_settle_keeps_the_stop_and_digests_the_event_before() -> None:
    d = Driver(Session.from_scenario(LATE))
    stop = asyncio.run(d.continue_())
    assert stop.reason == "breakpoint" and stop.event == 26
    d.settle()
    assert d.s.cursor == 26 and d.s.last_stop == stop
    assert d.changes().rows == {"eth0": frozenset({0})}


def test_run_to_time_forward_and_back() -> None:
    d = Driver(Session.from_scenario(MASKED))
    d.s.remove_breakpoint(d.s.breakpoints[0].id)
    asyncio.run(d.run_to_time(2_000_000))
    assert d.s.world["now"] <= 2_000_000
    nxt = d.s.event(d.s.cursor + 1)
    assert nxt is not None and nxt.time_ns > 2_000_000
    assert d.s.event(d.s.cursor).time_ns == 2_000_000  # type: ignore[union-attr]
    asyncio.run(d.run_to_time(1_000_000))                # backwards: the last event at or before 1ms
    assert d.s.event(d.s.cursor).time_ns <= 1_000_000 < d.s.event(d.s.cursor + 1).time_ns  # type: ignore[union-attr]


def test_breakpoint_rows_count_hits_up_to_the_cursor() -> None:
    d = Driver(Session.from_scenario(LATE))
    d.s.run()
    d.arrive(26)
    rows = d.breakpoint_rows()
    assert [(r.spec, r.hits) for r in rows][:1] == [("msix-write-unmasked", 1)]
    d.arrive(25)
    assert d.breakpoint_rows()[0].hits == 0


def test_add_breakpoint_returns_the_parsers_error_with_a_caret() -> None:
    d = Driver(Session.from_scenario(MASKED))
    bp, err = d.add_breakpoint("if event.kind == ")
    assert bp is None and err is not None and "^" in err and "if event.kind ==" in err
    bp, err = d.add_breakpoint("watch cpu[1].irr")
    assert err is None and isinstance(bp, int)


def test_make_app_refuses_a_bad_break_with_the_parsers_caret() -> None:
    from msidbg.tui.app import make_app

    with pytest.raises(MsidbgError) as e:
        make_app(MASKED, breaks=["if cpu[1].irr[0x21 == 1"], keymap={})
    lines = e.value.lines(interactive=True)  # the caret is for a person on a terminal (guard.run)
    assert "--break: column 24: found the end of the expression (expected ']')" in lines[0] and lines[2].strip() == "^"
    assert e.value.oneline().endswith("--break: column 24 of 'if cpu[1].irr[0x21 == 1': found the end of the expression "
                                      "(expected ']')")
    app = make_app(MASKED, breaks=["watch cpu[1].irr"], keymap={})
    assert [b.spec for b in app.session.breakpoints] == ["msix-write-unmasked", "watch cpu[1].irr"]
