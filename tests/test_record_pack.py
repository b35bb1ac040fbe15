"""Packing and installing world records (``sim/rec.py``: ``pack``, ``Rec.of``): every checkpoint,
snapshot and fingerprint is the msgpack of the dicts the records stand for, byte for byte, and
time travel installs unpacked worlds as records -- now without building those dicts or setting
fields one ``setattr`` at a time (docs/perf.md, round 11)."""

from __future__ import annotations

import random
from typing import Any

import msgpack
import pytest

from msidbg.debugger.timeline import fingerprint
from msidbg.model import new_engine
from msidbg.scenario import load_scenario
from msidbg.sim import chunks
from msidbg.sim.rec import CpuRec, CtxRec, DescRec, Rec, WorldRec, as_world, default, pack, plain
from msidbg.sim.world import pack_world, state_hash, unpack_world
from tests.conftest import ROOT, shipped

#: bare metal, interrupt remapping (a top-level ``iommu`` and CPU fields beyond the slots), Xen HVM
#: with QEMU's program context, Xen with pirqs
WORLDS = ("msix-write-while-unmasked", "msi-torn-affinity-update-remapped", "xen-hvm-msix-mask-late",
          "xen-pirq-reuse-nvme")


def _as_dicts(obj: Any) -> bytes:
    """The bytes the dicts a value stands for pack to (what snapshots and goldens hold)."""
    return msgpack.packb(plain(obj), use_bin_type=True)


def _hook(obj: Any) -> bytes:
    """The previous packing: msgpack's ``default`` hook turning each record into its dict."""
    return msgpack.packb(obj, use_bin_type=True, default=default)


def _of_reference(cls: type[Rec], d: dict[str, Any]) -> dict[str, Any]:
    """What a record made from ``d`` stands for: its slot fields present in ``KEYS`` order, then
    the other fields in ``d``'s order (as records have since round 10)."""
    out = {k: d[k] for k in cls.KEYS if k in d}
    out.update((k, v) for k, v in d.items() if k not in cls.KEYS)
    return out


@pytest.mark.parametrize("name", WORLDS)
def test_worlds_pack_to_the_bytes_of_their_dicts(name: str) -> None:
    """At points through each run: ``pack_world``, a split's digest (big-world checkpoints) and an
    unpack-install-pack round trip give the dicts' bytes, the hook's bytes, the same state hash."""
    eng = new_engine(shipped(name))
    for _ in range(8):
        w = eng.w
        blob = pack_world(w)
        assert blob == _as_dicts(w) == _hook(w)
        assert chunks.packed_digest(chunks.split(w)) == fingerprint(blob)
        back = as_world(unpack_world(blob))
        assert type(back) is WorldRec and pack_world(back) == blob and state_hash(back) == state_hash(w)
        if not eng.advance(60):
            break


def test_the_big_table_packs_to_the_bytes_of_its_dicts() -> None:
    """2,048 descriptors, 64 CPUs (``benchmarks/big-table.yaml``), whole and split into pages."""
    eng = new_engine(load_scenario(str(ROOT / "benchmarks" / "big-table.yaml")))
    eng.advance(12_000)
    assert len(eng.w.irqs) > 2048 and type(next(iter(eng.w.irqs.values()))) is DescRec
    blob = pack_world(eng.w)
    assert blob == _as_dicts(eng.w)
    split = chunks.split(eng.w)
    assert chunks.packed_digest(split) == fingerprint(blob)
    assert unpack_world(blob) == chunks.build(split)


def test_every_record_shape_packs_as_its_dict() -> None:
    """Records lacking slot fields (older worlds), with fields beyond the slots (a few, or enough
    to change the msgpack header's size), holding records and empty containers, in dicts and
    lists of every header size, below plain containers: always the dicts' bytes."""
    r = random.Random(11)

    def value(depth: int) -> Any:
        pick = r.randrange(9 if depth < 2 else 5)
        if pick < 5:
            return [0, 1, -7, True, None, "x", 2**40, "é" * 40][r.randrange(8)]
        if pick == 5:
            return [value(depth + 1) for _ in range(r.choice((0, 1, 3, 20)))]
        if pick == 6:
            return {r.choice(("a", "b", 3, 4)): value(depth + 1) for _ in range(r.randrange(4))}
        return record(depth + 1)

    def record(depth: int) -> Rec:
        cls = r.choice((CtxRec, CpuRec, DescRec))
        d = {k: value(depth + 1) for k in cls.KEYS if r.random() > 0.05}
        for i in range(r.choice((0, 0, 1, 3, 8, 12, 20))):
            d[f"extra{i}"] = value(depth + 1)
        return cls.of(d)

    for _ in range(120):
        n = r.choice((0, 1, 7, 8, 15, 16, 17, 20))
        shape = r.randrange(4)
        obj: Any = ({i * 3: record(0) for i in range(n)} if shape == 0 else [record(0) for _ in range(n)]
                    if shape == 1 else record(0) if shape == 2 else {"top": [record(0)], "n": n})
        assert pack(obj) == _as_dicts(obj) == _hook(obj)
    # a record of 33,000 fields: a 16-bit map header but a 32-bit one for the list it packs through
    big = CtxRec.of({**{k: 1 for k in CtxRec.KEYS}, **{f"f{i}": i for i in range(33_000)}})
    assert pack(big) == _as_dicts(big) and pack({5: big, 6: big}) == _as_dicts({5: big, 6: big})
    # the world's top level lacking its optional fields, or with fields beyond the slots
    w = as_world(unpack_world(pack_world(new_engine(shipped(WORLDS[1])).w)))
    assert "iommu" in w and "probes" not in w and "xen" not in w
    assert pack(w) == _as_dicts(w)


def test_packing_builds_no_dict_for_a_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The world's top level, its CPUs and irq descriptors pack without their dicts being built
    (the hook built one per record: ``to_dict``, a dict insert per field, each pack)."""
    eng = new_engine(shipped("msi-torn-affinity-update-remapped"))
    eng.advance(300)
    want = _as_dicts(eng.w)

    def refuse(self: Rec) -> dict[str, Any]:
        raise AssertionError(f"{type(self).__name__}.to_dict called while packing")

    for cls in (WorldRec, CpuRec, DescRec):
        monkeypatch.setattr(cls, "to_dict", refuse)
    assert pack_world(eng.w) == want


def test_an_unpacked_dict_installs_as_the_record_it_stands_for() -> None:
    """Dicts with the slot fields in order (what the builders make and msgpack gives back), in
    another order, with more fields, lacking some, or not dicts at all (another record): the
    record has the same fields in the same order as before, and packs as that dict."""
    r = random.Random(5)
    for _ in range(400):
        cls = r.choice((CtxRec, CpuRec, DescRec, WorldRec))
        keys = [k for k in cls.KEYS if r.random() > 0.1] if r.random() < 0.3 else list(cls.KEYS)
        if r.random() < 0.3:
            r.shuffle(keys)
        d: dict[str, Any] = {k: r.randrange(1000) for k in keys}
        for i in range(r.choice((0, 0, 2))):
            d[f"more{i}"] = [i]
        src: Any = cls.of(dict(d)) if r.random() < 0.1 else d
        rec = cls.of(src)
        want = _of_reference(cls, d)
        assert type(rec) is cls and list(rec) == list(want) and rec.to_dict() == want
        assert pack(rec) == msgpack.packb(want, use_bin_type=True)
        for k in cls.KEYS:
            assert (getattr(rec, k) if k in d else None) == d.get(k)


def test_record_fields_must_be_plain_identifiers() -> None:
    """A record's fields become generated code's attribute names: a keyword (which ``__slots__``
    accepts) is refused when the class is defined."""
    with pytest.raises(ValueError, match="lambda"):
        class Bad(Rec):
            KEYS = ("irq", "lambda")
            __slots__ = KEYS
