"""World records (sim/rec.py): the world's top level, CPUs, their contexts and irq descriptors are
slot objects for the hot path, and must stay, for everything else, exactly the dicts they replace:
the same packed bytes, the same answers to the dict operations, records again after any install."""

from __future__ import annotations

import random
from typing import Any

import msgpack

from msidbg.debugger import Session
from msidbg.model import new_engine
from msidbg.sim.rec import CpuRec, CtxRec, DescRec, Rec, WorldRec, as_world, plain
from msidbg.sim.world import canonical_bytes, pack_world, state_hash, unpack_world
from tests.conftest import shipped


def _records_in_place(w: Any) -> None:
    assert type(w) is WorldRec
    for c in w.cpus:
        assert type(c) is CpuRec and type(c.proc) is CtxRec and type(c.irq) is CtxRec
    for d in w.irqs.values():
        assert type(d) is DescRec


def _dicts(obj: Any) -> Any:
    """The world as the plain dicts it stands for (every record turned into a dict)."""
    return plain(obj)


def test_a_world_packs_to_the_bytes_of_the_dicts_it_stands_for() -> None:
    """Every shipped scenario at a few points of its run: the order-preserving pack (snapshots,
    checkpoints), the canonical one (the state hash) and a round trip are those of the dicts."""
    for name in ("msix-write-while-unmasked", "xen-pirq-reuse-nvme", "msi-torn-affinity-update"):
        eng = new_engine(shipped(name))
        for _ in range(6):
            _records_in_place(eng.w)
            as_dicts = _dicts(eng.w)
            assert type(as_dicts) is dict and type(as_dicts["cpus"][0]) is dict
            assert pack_world(eng.w) == msgpack.packb(as_dicts, use_bin_type=True)
            assert canonical_bytes(eng.w) == canonical_bytes(as_dicts)
            back = unpack_world(pack_world(eng.w))
            assert back == as_dicts and state_hash(as_world(back)) == state_hash(eng.w)
            if not eng.advance(40):
                break


def test_the_dict_face_answers_as_a_dict_does() -> None:
    """Random operations on a record and on a dict with the same contents give the same results,
    the same keys in the same order, the same errors."""
    r = random.Random(7)
    fields = list(CpuRec.KEYS[:6]) + ["esr", "vtimer", "x1"]
    for _ in range(300):
        d: dict[str, Any] = {k: i for i, k in enumerate(CpuRec.KEYS)}
        rec = CpuRec.of(d)
        for _ in range(12):
            k = r.choice(fields)
            op = r.randrange(7)
            if op == 0:
                d[k] = rec[k] = r.randrange(9)
            elif op == 1:
                assert (k in rec) == (k in d)
                assert rec.get(k, -5) == d.get(k, -5)
            elif op == 2:
                got = [None, None]
                for j, m in enumerate((d, rec)):
                    try:
                        got[j] = ("ok", m[k])
                    except KeyError as e:
                        got[j] = ("KeyError", e.args)
                assert got[0] == got[1]
            elif op == 3 and k not in CpuRec.KEYS:     # (the model never deletes a slot field)
                assert rec.pop(k, "none") == d.pop(k, "none")
            elif op == 4:
                assert rec.setdefault(k, 3) == d.setdefault(k, 3)
            elif op == 5:
                assert list(rec) == list(d) and rec.items() == list(d.items()) and len(rec) == len(d)
            else:
                assert rec == d and rec.to_dict() == d and repr(rec) == repr(d)


def test_a_hot_field_written_as_a_slot_is_what_every_reader_sees() -> None:
    """The hot path writes slots (``c.queued = True``); the dict face, the pack and the state hash
    read those same slots -- there is one copy of each field."""
    eng = new_engine(shipped("msix-write-while-unmasked"))
    c = eng.w.cpus[1]
    before = state_hash(eng.w)
    c.busy_until = 123_456_789
    assert c["busy_until"] == 123_456_789 and c.get("busy_until") == 123_456_789
    assert unpack_world(pack_world(eng.w))["cpus"][1]["busy_until"] == 123_456_789
    assert state_hash(eng.w) != before
    c["busy_until"] = 0
    assert c.busy_until == 0


def test_records_survive_every_way_a_world_is_installed() -> None:
    """Time travel restores worlds unpacked (dicts) or patched in place (``chunks.patch``), and a
    snapshot loads one: each install leaves records in place, with the same state as a fresh run."""
    scn = shipped("xen-pirq-reuse-nvme")
    s = Session(scn)
    s.run(400)
    mid = s.eng.cur
    s.run(400)
    end = s.eng.cur
    want = state_hash(s.eng.w)
    s.seek(mid // 2)
    _records_in_place(s.eng.w)
    s.step_back()
    _records_in_place(s.eng.w)
    s.seek(end)
    _records_in_place(s.eng.w)
    assert state_hash(s.eng.w) == want
    fresh = new_engine(scn)
    fresh.advance(end)
    assert state_hash(fresh.w) == want


def test_a_plain_dict_world_given_to_the_engine_becomes_records() -> None:
    """A world built, unpacked or written by hand as dicts (an older snapshot) runs as records."""
    eng = new_engine(shipped("msix-write-while-unmasked"))
    eng.advance(50)
    w = unpack_world(pack_world(eng.w))
    assert type(w) is dict and type(w["cpus"][0]) is dict
    r = as_world(w)
    _records_in_place(r)
    assert isinstance(r, Rec) and state_hash(r) == state_hash(eng.w)
