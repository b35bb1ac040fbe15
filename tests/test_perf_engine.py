"""The fast paths of the engine give the same answers as the plain ones.

The compact event log reads back every field and hashes to the 7-column layout the snapshot
format digests; batched stepping stops exactly where single steps would; the unrolled APIC
bit scans agree with a plain scan on random registers.
"""

from __future__ import annotations

import random
from array import array
from pathlib import Path

import pytest

from msidbg.debugger import Session
from msidbg.model import apic, new_engine
from msidbg.sim import events as ev
from msidbg.sim.events import EventLog
from msidbg.sim.rec import CpuRec
from tests.conftest import run_to_end, shipped


def test_the_log_reads_back_every_field_and_keeps_the_digested_row_layout() -> None:
    log = EventLog()
    rows = [(5, 3, 1, "eth0", 0x31, -1, 2**62), (9, 4, -1, None, 0, 0, 0), (9, 3, 1, "eth0", 0x31, -1, 2**62),
            (12, 7, 0, "nvme0", 1, 2, 3)]
    for t, k, cpu, dev, a, b, c in rows:
        log.append(t, k, cpu, dev, a, b, c)
    assert len(log) == 4 and len(log.cols[0]) == 3, "a repeated record is stored once"
    want = array("q")
    for i, (t, k, cpu, dev, a, b, c) in enumerate(rows, start=1):
        d = -1 if dev is None else log.strings.lookup(dev)
        assert log.raw(i) == (t, k, cpu, d, a, b, c)
        assert log.kind_at(i) == k and log.time_at(i) == t and log.field(i, 6) == c
        want.extend((t, k, cpu, -1 if d is None else d, a, b, c))
    assert log.rows_bytes(0, 4) == want.tobytes()
    assert log.rows_bytes(1, 3) == want[7:21].tobytes()
    assert log.rows_bytes(2, 3) == want[14:21].tobytes()


def test_the_record_table_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev, "RECORD_CACHE", 4)
    log = EventLog()
    for i in range(12):
        log.append(i, 1, 0, None, i % 6)
    assert len(log.cache) <= 4
    assert [log.raw(i + 1)[4] for i in range(12)] == [i % 6 for i in range(12)]


def test_a_windowed_log_keeps_counting_and_only_the_latest_events(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ev, "WINDOW", 8)
    log = EventLog(window=True)
    for i in range(100):
        log.append(i, 1, 0, None, i)
        log.trim()
    assert len(log) == 100 and len(log.ids) <= 16
    assert log.raw(100)[4] == 99 and log.time_at(95) == 94
    try:
        log.raw(10)
    except IndexError:
        pass
    else:
        raise AssertionError("a dropped event must not be readable")


def test_batched_stepping_gives_the_same_log_and_world_as_single_steps() -> None:
    scn = shipped("msi-torn-affinity-update")
    one = run_to_end(scn)
    two = new_engine(scn)
    while two.advance(97):
        pass
    assert two.w == one.w
    assert two.log.rows_bytes(0, len(two.log)) == one.log.rows_bytes(0, len(one.log))


def test_continue_stops_at_a_call_at_the_end_of_what_was_recorded() -> None:
    """Regression: re-execution that reached the end of the recorded history exactly at an
    event with a call breakpoint ran on into new events and lost the stop."""
    s = Session(shipped("msix-write-while-unmasked"), spacing=3)
    for b in list(s.breakpoints):
        s.remove_breakpoint(b.id)
    s.add_breakpoint("call msi_set_affinity")
    first = s.continue_()
    assert first.reason == "breakpoint" and s.total == first.event
    assert s.reverse_continue().event == 0
    again = s.continue_()
    assert (again.reason, again.event, again.detail) == ("breakpoint", first.event, "entered msi_set_affinity")


def _highest(words: list[int]) -> int:
    for i in range(7, -1, -1):
        if words[i]:
            return (i << 5) + words[i].bit_length() - 1
    return -1


def test_the_unrolled_apic_scans_agree_with_a_plain_scan() -> None:
    r = random.Random(5)
    for _ in range(20_000):
        def reg() -> list[int]:
            words = [0] * 8
            for _ in range(r.randrange(0, 4)):
                v = r.randrange(256)
                words[v >> 5] |= 1 << (v & 31)
            return words
        cpu = CpuRec.of({"irr": reg(), "isr": reg(), "tpr": r.choice([0, 0, 0x20, 0x45, 0xF0]), "irr_src": {}})
        v, top = _highest(cpu["irr"]), _highest(cpu["isr"])
        cls = max(cpu["tpr"] >> 4, top >> 4 if top >= 0 else 0)
        assert apic.acceptable(cpu) == (v if v >= 0 and (v >> 4) > cls else -1)
        isr = list(cpu["isr"])
        assert apic.eoi(cpu) == top
        if top >= 0:
            isr[top >> 5] &= ~(1 << (top & 31))
        assert cpu["isr"] == isr


def test_a_headless_run_loads_no_asyncio_and_no_expression_compiler() -> None:
    """Start-up time: sim and model never import asyncio; the debugger loads it (and the
    expression compiler) only when a command needs it."""
    import subprocess
    import sys

    code = ("import sys, msidbg.cli, msidbg.model, msidbg.sim\n"
            "from msidbg.debugger import headless\n"
            "from msidbg.scenario import load_scenario\n"
            "headless.run(load_scenario('scenarios/msix-write-while-unmasked.yaml'))\n"
            "print(sorted(m for m in ('asyncio', 'msidbg.debugger.expr', 'textual', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_command_caches_bytecode_outside_the_tree_when_writing_it_is_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from msidbg import _boot

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("MSIDBG_NO_BYTECODE_CACHE", raising=False)
    assert _boot.bytecode_cache() == str(tmp_path / "msidbg" / "pycache")
    assert sys.pycache_prefix == str(tmp_path / "msidbg" / "pycache") and not sys.dont_write_bytecode
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setattr(sys, "pycache_prefix", "/elsewhere")
    assert _boot.bytecode_cache() is None and sys.pycache_prefix == "/elsewhere", "the user's own prefix wins"
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("MSIDBG_NO_BYTECODE_CACHE", "1")
    assert _boot.bytecode_cache() is None and sys.dont_write_bytecode
