"""The sim kernel: determinism, virtual time, policies, one event per step, plain data."""

import asyncio

import pytest

from msidbg.model import new_engine
from msidbg.sim import events as ev
from msidbg.sim.scheduler import Engine, EngineError
from msidbg.sim.world import canonical_bytes, check_plain, copy_world, state_hash
from tests.conftest import run_to_end, scenario, shipped

CHURN = """
name: churn
schedule: {schedule}
seed: {seed}
cpus: 3
devices:
  a: {{bdf: "00:01.0", msix: {{table_size: 2}}}}
  b: {{bdf: "00:02.0", msix: {{table_size: 2}}}}
run:
  - {{at: 0, on: 0, do: probe, dev: a, mode: msix, vectors: 2}}
  - {{at: 0, on: 1, do: probe, dev: b, mode: msix, vectors: 2}}
  - {{at: 50us, do: fire, dev: a, vector: 0, count: 20, every: 1us}}
  - {{at: 50us, do: fire, dev: b, vector: 1, count: 20, every: 1us}}
  - {{at: 51us, on: 2, do: set_affinity, dev: a, vector: 0, cpu: 2}}
"""


def test_same_scenario_and_seed_give_same_events_and_hash() -> None:
    scn = shipped("msix-write-while-unmasked")
    one, two = run_to_end(scn), run_to_end(scn)
    assert one.w["events"] == two.w["events"] > 50
    assert state_hash(one.w) == state_hash(two.w)
    assert one.log.rows_bytes(0, len(one.log)) == two.log.rows_bytes(0, len(two.log))


def test_random_policy_is_seeded_and_records_its_choices() -> None:
    a = run_to_end(scenario(CHURN.format(schedule="random", seed=7)))
    b = run_to_end(scenario(CHURN.format(schedule="random", seed=7)))
    assert state_hash(a.w) == state_hash(b.w) and a.choices == b.choices
    assert a.choices, "two CPUs probing at t=0 must have given the policy a choice"
    others = {state_hash(run_to_end(scenario(CHURN.format(schedule="random", seed=s))).w) for s in range(8)}
    assert len(others) > 1, "different seeds should explore different interleavings"


def test_ordered_policy_records_no_choices() -> None:
    eng = run_to_end(scenario(CHURN.format(schedule="ordered", seed=0)))
    assert eng.choices == {}


def test_time_never_goes_backwards_and_jumps_to_the_next_timed_event() -> None:
    eng = run_to_end(shipped("msix-write-while-unmasked"))
    times = [eng.log.time_at(i) for i in range(1, len(eng.log) + 1)]
    assert times == sorted(times)
    fires = [e for e in eng.log.events(1, len(eng.log) + 1) if e.kind == "msi.msg"]
    assert fires[0].time_ns == 1_000_000  # the first fire is at exactly 1ms, not later


def test_every_event_index_matches_the_world_counter() -> None:
    eng = new_engine(shipped("msix-write-while-unmasked"))
    for _ in range(30):
        eng.step()
        assert eng.w["events"] == len(eng.log)


def test_world_is_plain_data_and_hash_ignores_dict_order() -> None:
    eng = run_to_end(shipped("msix-write-while-unmasked"))
    check_plain(eng.w)
    w2 = copy_world(eng.w)
    w2["devices"] = dict(reversed(list(w2["devices"].items())))
    w2["kernel"] = dict(reversed(list(w2["kernel"].items())))
    assert canonical_bytes(w2) == canonical_bytes(eng.w)
    assert state_hash(w2) == state_hash(eng.w)
    w2["now"] += 1
    assert state_hash(w2) != state_hash(eng.w)


def test_check_plain_rejects_floats_and_tuples() -> None:
    with pytest.raises(TypeError, match="float"):
        check_plain({"a": [1, 2.5]})
    with pytest.raises(TypeError, match="tuple"):
        check_plain({"a": (1, 2)})


class _SilentModel:
    """A broken model whose handler emits nothing: the engine must refuse."""

    def __init__(self) -> None:
        self.handlers = {"x": lambda eng, item: None}

    def finish(self, eng: Engine) -> None:
        eng.w["ended"] = True


def test_a_step_that_emits_no_event_is_an_engine_error() -> None:
    w = {"now": 0, "seq": 1, "events": 0, "ended": False, "policy": "ordered", "rng": 0,
         "agenda": {0: [5, 0, "x"]}}
    with pytest.raises(EngineError, match="expected exactly 1"):
        Engine(w, _SilentModel()).step()


def test_async_run_stops_at_until_and_is_cancellable() -> None:
    scn = scenario(CHURN.format(schedule="ordered", seed=0))

    async def go() -> tuple[str, int]:
        eng = new_engine(scn)
        reason = await eng.run(until=50_000)
        assert reason == "until" and eng.w["now"] <= 50_000
        task = asyncio.create_task(eng.run())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return reason, eng.w["events"]

    reason, n = asyncio.run(go())
    assert n > 0


def test_event_records_are_readable() -> None:
    eng = run_to_end(shipped("msix-write-while-unmasked"))
    e = eng.log.event(4)    # after pci_enable_device's and pci_set_master's Command writes
    assert e.kind == "cfg.write" and e.dev == "eth0" and e.fields["offset"] == 0x72
    assert "cfg.write" in str(e) and "offset=0x72" in str(e)
    assert ev.kind_by_name("msix.write") is not None
