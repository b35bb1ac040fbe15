"""``last_change`` from the provenance store's write index (issue 14): the same answer as the full
backward scan and as a brute-force forward replay, on bare-metal, MSI and Xen scenarios; it
re-executes only the segments that hold a write; and an index that lies is caught."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from msidbg.debugger import Session
from msidbg.debugger.changes import write_events
from msidbg.debugger.expr import compile_expr
from msidbg.model import new_engine
from msidbg.model import provkeys as PK
from msidbg.scenario import Scenario
from tests.conftest import scenario, shipped
from tests.test_history_bound import storm


def indexed_paths(world: dict[str, Any]) -> list[str]:
    """Every path ``changes.INDEXED`` covers in this world."""
    out = []
    for name, dev in sorted(world["devices"].items()):
        if dev.get("msix"):
            for i in range(len(dev["msix"]["table"])):
                out += [f"devices.{name}.msix.table[{i}].{r}" for r in PK.MSIX_REGS]
                out.append(f"devices.{name}.msix.pba[{i}]")
        out += [f"acct.{name}.lost[{i}]" for i in range(len(world["acct"][name]["lost"]))]
        if dev.get("msi"):
            out += [f"devices.{name}.msi.{r}" for r in PK.MSI_REGS[:4]]
    return out


def replay_values(scn: Scenario, paths: list[str], seed: int | None = None) -> dict[str, list[Any]]:
    """Each path's value after every event (index 0: before the first), by a plain forward run."""
    eng = new_engine(scn, seed)
    fns = {p: compile_expr(p).fn for p in paths}
    vals: dict[str, list[Any]] = {p: [fn(eng)] for p, fn in fns.items()}
    while eng.step():
        for p, fn in fns.items():
            vals[p].append(fn(eng))
    return vals


def brute(values: list[Any], cursor: int, floor: int) -> int | None:
    return next((e for e in range(cursor, floor, -1) if values[e] != values[e - 1]), None)


def full_scan(s: Session, path: str, floor: int) -> int | None:
    """The answer without an index (the backward scan over every segment)."""
    fn = s._compile(path).fn
    return s._drive(s.motion.last_change(fn, floor, None))  # type: ignore[no-any-return]


SCENARIOS = ["msix-write-while-unmasked", "msi-torn-affinity-update", "marvell-nvme-msi-blocked",
             "xen-hvm-msix-mask-late", "xen-pirq-reuse-nvme", "xen-pirq-revert-old-qemu"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_indexed_last_change_matches_the_full_scan_and_a_forward_replay(name: str) -> None:
    scn = shipped(name)
    s = Session(scn, spacing=80)
    s.run()
    total = s.total
    rng = random.Random(name)
    every = indexed_paths(s.world)
    written = [p for p in every if write_events(s.eng, p, total)]
    never = [p for p in every if p not in written]
    assert written
    paths = sorted(rng.sample(written, min(len(written), 16)) + rng.sample(never, min(len(never), 3)))
    vals = replay_values(scn, paths, s.seed)
    assert all(len(v) == total + 1 for v in vals.values())
    cursors = sorted({total, total // 2, 1, *(rng.randrange(1, total + 1) for _ in range(3))})
    changed = 0
    for cursor in cursors:
        s.seek(cursor)
        for path in paths:
            for limit in (None, rng.randrange(1, 40)):
                floor = 0 if limit is None else max(cursor - limit, 0)
                want = brute(vals[path], cursor, floor)
                s._changes.clear()              # no remembered answer: the index decides
                assert write_events(s.eng, path, cursor) is not None
                assert s.last_change(path, limit) == want, (path, cursor, limit)
                if limit is not None or cursor in (total, total // 2):   # (a whole replay each)
                    assert full_scan(s, path, floor) == want, (path, cursor, limit)
                assert s.cursor == cursor
                changed += want is not None
    assert changed > 0
    assert s.motion.index_misses == 0


def _count_scans(s: Session) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    plain = s.motion.scan

    def scan(lo: int, blob: bytes, hi: int, make_test: Callable[[], Callable[[], bool]]) -> Any:
        calls.append((lo, hi))
        return plain(lo, blob, hi, make_test)

    s.motion.scan = scan  # type: ignore[method-assign]
    return calls


def test_a_value_written_at_probe_time_is_found_without_replaying_the_run() -> None:
    """nic1's entry 1 is written while the driver probes and never again: its last change is found
    by re-executing the one segment that holds the write (and the answer is the full scan's)."""
    s = Session(scenario(storm()), spacing=80)
    s.run()
    total = s.total
    assert total > 9000
    path = "devices.nic1.msix.table[1].data"
    writes = write_events(s.eng, path, total)
    assert writes and writes[-1] < 200
    calls = _count_scans(s)
    got = s.last_change(path)
    assert got in writes
    # one segment, up to the latest write (a later write of the same value is not a change)
    assert len(calls) == 1 and calls[0][0] < got <= calls[0][1] == writes[-1] and s.motion.index_misses == 0
    assert s.cursor == total
    calls.clear()
    assert full_scan(s, path, 0) == got
    assert len(calls) > 8     # the scan without an index walks back over the whole run
    # nic0's entry 0 was rewritten by the two affinity moves: the latest one is found, from any cursor
    moved = "devices.nic0.msix.table[0].data"
    vals = replay_values(scenario(storm()), [moved], s.seed)[moved]
    for cursor in (total, total // 2, total // 4, 300):
        s.seek(cursor)
        s._changes.clear()
        assert s.last_change(moved) == brute(vals, cursor, 0) == full_scan(s, moved, 0)
    assert s.motion.index_misses == 0


def test_an_index_that_misses_a_write_is_caught_and_the_full_scan_answers() -> None:
    s = Session(scenario(storm()), spacing=80)
    s.run()
    total = s.total
    path = "devices.nic0.msix.table[0].addr_lo"    # the second move's write changes it back
    fn = s._compile(path).fn
    writes = write_events(s.eng, path, total)
    assert writes is not None and len(writes) >= 3
    want = full_scan(s, path, 0)
    assert want == writes[-1]
    # the latest write left out: its change is seen as a value that differs from the index's
    assert s._drive(s.motion.last_change(fn, 0, writes[:-1])) == want
    assert s.motion.index_misses == 1
    # no write at all: the value at event 0 is not the value at the cursor
    assert s._drive(s.motion.last_change(fn, 0, [])) == want
    assert s.motion.index_misses == 2
    # extra candidates where nothing changed cost a segment each, never the answer
    extra = sorted({*writes, total // 3, total // 2, total - 5})
    assert s._drive(s.motion.last_change(fn, 0, extra)) == want
    assert s.motion.index_misses == 2


def test_paths_without_a_complete_index_take_the_full_scan() -> None:
    s = Session(shipped("msix-write-while-unmasked"), spacing=80)
    s.run()
    for path in ("devices.eth0.msix.ctrl", "cpu[0].online", "cpus[0].irr[0x21]", "devices.eth0.msi.ctrl",
                 "devices.eth0.msix.table[0].data + 1"):
        assert write_events(s.eng, path, s.total) is None, path
    assert write_events(s.eng, "devices.eth0.msix.table[0].data", s.total) is not None


def test_a_session_opened_from_a_snapshot_answers_from_its_rebuilt_index(tmp_path: Any) -> None:
    s = Session(scenario(storm()), spacing=80)
    s.run()
    s.seek(s.total - 10)
    path = tmp_path / "s.msgpack"
    s.save(str(path))
    for verify in (True, False):
        o = Session.open(str(path), verify=verify)
        calls = _count_scans(o)
        for p in ("devices.nic1.msix.table[1].data", "devices.nic0.msix.table[0].addr_lo"):
            o._changes.clear()
            s._changes.clear()
            calls.clear()
            got = o.last_change(p)
            assert len(calls) == 1 and o.motion.index_misses == 0
            assert got == s.last_change(p) == full_scan(o, p, 0)
