"""World paths are checked segment by segment when a breakpoint is armed (issue 15, item 4).

A typo such as ``watch cpus[1].irrr`` used to be armed and never fire (a missing path is
``none`` at every event). Every way of arming goes through the same check: the TUI's dialog
(tests/tui), ``--break``, a scenario's ``breakpoints:``, ``Session.add_breakpoint``, snapshot
breakpoints, ``last_change``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import BreakpointError, Session
from msidbg.debugger.expr import ExprError, compile_expr
from msidbg.scenario import ScenarioError
from tests.conftest import SCENARIOS, scenario, shipped
from tests.test_cli import msidbg

BUG = str(SCENARIOS / "msix-write-while-unmasked.yaml")
NAME = re.compile(r"[A-Za-z_](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_]))*\Z")


def refused(spec: str, s: Session | None = None) -> BreakpointError:
    s = s or Session(shipped("msix-write-while-unmasked"))
    with pytest.raises(BreakpointError) as e:
        s.add_breakpoint(spec)
    return e.value


@pytest.mark.parametrize(("spec", "message", "column"), [
    ("watch cpus[1].irrr", "cpus[1] has no field 'irrr' (expected one of: alloc, apic_id,", 14),
    ("watch devices.eth9.msix", "devices has no device 'eth9' (expected one of: eth0; did you mean 'eth0'?)", 14),
    ("if cpu[1].irrr[0x21]", "cpu[1] has no field 'irrr' (expected one of: alloc,", 10),
    ("watch cpu[1].irr[0x121]", "cpu[1].irr is a 256-bit vector bitmap: it has no [0x121] (expected a vector 0..0xff)",
     16),
    ("watch cpu[1].irr[0x21].x", "cpu[1].irr[0x21] is one bit (0 or 1); it has no field 'x'", 23),
    ("watch cpus.irr", "cpus is a list of 2: it has no field 'irr' (expected an index, e.g. cpus[0])", 11),
    ("watch cpu[1].tpr.x", "cpu[1].tpr is a number (0); it has no field 'x'", 17),
    ("watch irqs.cpu", "irqs is keyed by number: it has no field 'cpu' (expected an index, e.g. irqs[0])", 11),
    ("watch cpu[1].ir", "cpu[1] has no field 'ir' (expected one of: alloc,", 13),
    ("watch irq[24].cpuu", "irq[24] has no field 'cpuu' (expected one of: action,", 14),
    ("irq-lost if dev.eth0.msix.ctl == 1", "dev.eth0.msix has no field 'ctl' (expected one of: ctrl, latched, pba, releasing, table; did you mean 'ctrl'?)", 26),
    ("call msi_set_affinity if pci.eth9.status", "pci has no device 'eth9'", 29),
])
def test_a_bad_segment_is_refused_naming_it_and_what_was_expected(spec: str, message: str, column: int) -> None:
    e = refused(spec)
    assert e.message.startswith(message), e.message
    if "has no field" in message or "has no device" in message:   # the contract's "(expected ...)", hint last
        hint = {"irrr": "'irr'", "ir": "one of 'irq', 'irr', 'irr_src'", "cpuu": "'cpu'"}.get(spec.split(".")[-1]
                                                                                         .split("[")[0], "")
        assert not hint or e.message.endswith(f"; did you mean {hint}?)"), e.message
    assert "\n" not in e.message and e.column == column, (e.column, spec[e.column:])


@pytest.mark.parametrize("spec", [
    "watch cpu[1].irr", "watch cpu[1].irr[0x21]", "watch devices.eth0.msix.table[2].ctrl",
    "watch pci.eth0.status", "watch irq[24].cpu",             # irq 24 is allocated later: a template irq
    "watch irq[24]", "watch irqs[\"24\"].vector", "watch cpu[0].proc.wait.token",   # none now, a record later
    "watch cpu[0].proc.stack[0].locals.irq", "watch kernel.pci.eth0.irte",   # added by remapping (LATE_FIELDS)
    "watch world.cpus[0].irr", "watch acct.eth0.lost[0]", "if len(cpu[1].vector_irq) > 3",
    "if event.kind == \"msix.write\" and cpu[event.cpu].irr[event.value & 0xff]",
])
def test_paths_that_can_exist_are_armed(spec: str) -> None:
    Session(shipped("msix-write-while-unmasked")).add_breakpoint(spec)


def test_scenario_breakpoints_are_checked_against_the_world_at_event_0() -> None:
    text = shipped("msix-write-while-unmasked").text.replace(
        "breakpoints: [msix-write-unmasked, irq-lost, irq-spurious]", "breakpoints: ['watch cpus[1].irrr']")
    with pytest.raises(ScenarioError, match=r"breakpoints\[0\]: cpus\[1\] has no field 'irrr'"):
        Session(scenario(text))


def test_break_option_is_refused_naming_the_segment_and_its_column() -> None:
    out = msidbg("run", BUG, "--headless", "--break", "watch devices.eth9.msix")
    assert out.returncode == 2
    assert out.stderr.strip() == ("msidbg: run: argument --break: column 15 of 'watch devices.eth9.msix': devices has no device "
                                  "'eth9' (expected one of: eth0; did you mean 'eth0'?)")


def test_last_change_checks_its_path_too() -> None:
    s = Session(shipped("msix-write-while-unmasked"))
    with pytest.raises(BreakpointError, match="has no field 'ctl'"):
        s.last_change("devices.eth0.msix.table[0].ctl")


def test_without_a_world_only_the_root_is_checked() -> None:
    compile_expr("cpus[1].irrr", {"cpus"})              # scenario-file syntax checks have no world
    with pytest.raises(ExprError):
        compile_expr("cpus[1].irrr", world={"cpus": [{"irr": [0] * 8}] * 2})


def _paths(v: Any, path: str, out: dict[str, str]) -> None:
    """Every field path in ``v`` as an expression, one per pattern (map keys and indexes as *)."""
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(k, int):
                p = f"{path}[{k}]"
            elif NAME.match(k):
                p = f"{path}.{k}"
            else:
                p = f'{path}["{k}"]'
            key = re.sub(r"\[[^\]]*\]", "[*]", p)
            out.setdefault(key, p)
            _paths(x, p, out)
    elif isinstance(v, list):
        for i, x in enumerate(v[:4]):
            _paths(x, f"{path}[{i}]", out)


def test_every_field_a_run_ever_has_is_accepted_at_event_0() -> None:
    """The shape the check uses is the world at the cursor plus ``schema.LATE_FIELDS``: a field the
    model adds after event 0 must be listed there, or breakpoints on it would be refused."""
    files = sorted(SCENARIOS.glob("*.yaml")) + [Path(__file__).parent / "tui" / "fixtures" / "msi-and-msix.yaml"]
    for f in files:
        s = Session.from_scenario(str(f))
        w0 = s.world_at(0)
        seen: dict[str, str] = {}
        s.run()
        for i in sorted({s.total * k // 24 for k in range(25)}):
            s.seek(i)
            _paths(s.world, "", seen)
        for path in seen.values():
            expr = path[1:] if path.startswith(".") else "world" + path
            try:
                compile_expr(expr, world=w0)
            except ExprError as e:
                raise AssertionError(f"{f.name}: {expr} is refused at event 0: {e.what}") from None


def test_a_cpus_managed_map_is_a_vector_bitmap_armed_before_it_exists() -> None:
    """``cpus[i].managed`` (the managed_map, created when a managed irq first reserves a vector on
    the CPU) is accepted at event 0 and read bit by bit like ``alloc``: the condition fires at the
    event that reserves the vector, not before."""
    path = str(SCENARIOS / "msi-torn-affinity-update-maskable.yaml")
    s = Session.from_scenario(path)
    s.run()
    first = None
    for i in range(1, s.total + 1):
        s.seek(i)
        for c, cpu in enumerate(s.world["cpus"]):
            words = cpu.get("managed") or []
            bits = [w * 32 + b for w, word in enumerate(words) for b in range(32) if word >> b & 1]
            if bits:
                first = (i, c, bits[0])
                break
        if first:
            break
    assert first is not None, "the scenario reserves a managed vector"
    event, cpu, vector = first
    fresh = Session.from_scenario(path)
    fresh.breakpoints.clear()
    fresh.add_breakpoint(f"if cpu[{cpu}].managed[{vector:#x}] == 1")
    assert fresh.continue_().event == event
    e = refused("watch cpu[0].managed[0x100]")
    assert e.message.startswith("cpu[0].managed is a 256-bit vector bitmap")
