"""Breakpoint expressions never raise when evaluated (issue 11 item 3): every reproducer from the
adversarial run, through the API, the CLI and a snapshot."""

from __future__ import annotations

from pathlib import Path

import msgpack
import pytest

from msidbg.debugger import BreakpointError, Session
from msidbg.debugger.expr import compile_expr
from msidbg.model import new_engine
from tests.conftest import SCENARIOS, shipped
from tests.test_cli import msidbg

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")

#: (condition, its value at every event: none of these can be true)
NEVER_TRUE = ["[1] in devices", "world[world] == 1", "irqs[cpus] == 1", "devices[world] == 1",
              "{} in devices".replace("{}", "cpus"), "irqs['²'] == 1", "irqs['" + "9" * 30 + "'] == 1",
              "[world] in [[world]] and 1 == 2", "len(world[irqs]) == 0", "cpu[1].irr[devices] == 1"]


@pytest.mark.parametrize("cond", NEVER_TRUE)
def test_evaluation_is_false_not_an_exception(cond: str) -> None:
    eng = new_engine(shipped("msix-write-while-unmasked"))
    c = compile_expr(cond, set(eng.w))
    for _ in range(200):
        assert not c.raw(eng) and not c.fn(eng)  # the unguarded closure too: total by construction
        eng.step()


def test_membership_and_keys_are_strict_about_types() -> None:
    eng = new_engine(shipped("msix-write-while-unmasked"))
    assert compile_expr("'eth0' in devices", set(eng.w)).raw(eng) is True
    assert compile_expr("[1] in [[1]]").raw(eng) is True and compile_expr("1 in [true]").raw(eng) is False


@pytest.mark.parametrize("spec", ["if devices[[0]] == 1", "watch devices[[]]", "if irqs[[1, 2]]"])
def test_a_list_as_an_index_is_refused_when_parsed(spec: str) -> None:
    s = Session.from_scenario(BUG)
    with pytest.raises(BreakpointError, match="a list cannot be an index") as e:
        s.add_breakpoint(spec)
    assert e.value.column == spec.index("[[") + 1


def test_the_cli_and_a_snapshot_with_such_breakpoints_run_to_the_end(tmp_path: Path) -> None:
    args = [a for c in NEVER_TRUE[:4] for a in ("--break", f"if {c}")]
    out = msidbg("run", BUG, "--headless", "--stop-at-break", *args, "--save", str(tmp_path / "s.msgpack"))
    assert out.returncode == 1 and "stopped: breakpoint at event 26 on breakpoint msix-write-unmasked" in out.stdout
    s = Session.open(str(tmp_path / "s.msgpack"))
    assert [b.spec for b in s.breakpoints][-4:] == [f"if {c}" for c in NEVER_TRUE[:4]]
    assert s.step().reason in ("breakpoint", "limit")  # the API: no TypeError on the first step
    doc = msgpack.unpackb((tmp_path / "s.msgpack").read_bytes(), raw=False)
    assert len(doc["breakpoints"]) == 7
