"""``device.signal`` runs ``bus.deliver``'s common case inline (docs/perf.md, round 13): every message
it delivers itself must leave the world and the event log as ``bus.deliver`` would.

Two engines run the same scenario to its end; then the same random messages are signalled in both,
one through the inline path and the other forced through ``bus.deliver`` (``device._ROUTERS``
replaced by a map that claims every route, so the inline test always fails over). Messages go
to online, offline and absent CPUs, to APIC ids that do not match, in logical mode, to non-interrupt
addresses, with legal and illegal vectors, coalescing into pending bits or not; after each one the
two worlds (packed) and the two event logs must be equal.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from msidbg.model import device, new_engine
from msidbg.scenario import load_scenario
from msidbg.sim.rec import pack
from tests.conftest import SCENARIOS


class _EveryRoute:
    """A ROUTERS stand-in that claims every route (the inline path never runs)."""

    def __contains__(self, route: object) -> bool:
        return True


def _ended(name: str) -> Any:
    eng = new_engine(load_scenario(str(SCENARIOS / name)))
    while eng.advance(4096):
        pass
    return eng


def _signal(eng: Any, dev: str, idx: int, lo: int, data: int, forced: bool, monkeypatch: Any) -> None:
    e = eng.w.devices[dev]["msix"]["table"][idx]
    e["addr_lo"], e["addr_hi"], e["data"], e["ctrl"] = lo, 0, data, 0
    with monkeypatch.context() as m:
        if forced:
            m.setattr(device, "_ROUTERS", _EveryRoute())
        device.signal(eng, dev, idx)


def _log(eng: Any) -> list[Any]:
    return eng.log.events(max(1, len(eng.log) - 3), len(eng.log) + 1)


@pytest.mark.parametrize("name", ["msix-write-while-unmasked-fixed.yaml"])
def test_inline_delivery_leaves_what_bus_deliver_leaves(name: str, monkeypatch: Any) -> None:
    a, b = _ended(name), _ended(name)
    assert pack(a.w) == pack(b.w)
    dev = next(iter(a.w.devices))
    for eng in (a, b):
        eng.w.devices[dev]["quirks"] = []
        eng.w.devices[dev]["msix"]["ctrl"] |= device.MSIX_ENABLE
        eng.w.devices[dev]["cmd"] |= device.CMD_MASTER
    ncpu = len(a.w.cpus)
    rnd = random.Random(13)
    inline = 0
    for step in range(400):
        if step % 50 == 0:      # CPUs going offline and back, an APIC id that does not match its index
            for eng in (a, b):
                for i, c in enumerate(eng.w.cpus):
                    c.online = i == 0 or (step // 50 + i) % 3 != 0
                    c.apic_id = i + 1 if (step // 50 == 5 and i == 1) else i
        if step % 7 == 0:       # the IRR's pending signals taken (as an accept would), so bits are new again
            for eng in (a, b):
                for c in eng.w.cpus:
                    c.irr_src.clear()
                    c.irr[:] = [0] * 8
        dest = rnd.choice([0, 1, ncpu - 1, ncpu, ncpu + 3, 0xFF])
        lo = 0xFEE00000 | (dest & 0xFF) << 12
        r = rnd.random()
        if r < 0.1:
            lo |= 1 << 2        # logical destination mode
        elif r < 0.15:
            lo = 0xFED00000 | (dest & 0xFF) << 12     # not an interrupt address
        vector = rnd.choice([0x21, 0x41, 0x41, 0x41, 0xEF, 0x05, 0x10, rnd.randrange(256)])
        data = vector | (rnd.choice([0, 0, 0x4000]))
        idx = rnd.randrange(len(a.w.devices[dev]["msix"]["table"]))
        before = sum(len(c.irr_src) for c in a.w.cpus)
        _signal(a, dev, idx, lo, data, False, monkeypatch)
        _signal(b, dev, idx, lo, data, True, monkeypatch)
        if sum(len(c.irr_src) for c in a.w.cpus) > before:
            inline += 1
        assert pack(a.w) == pack(b.w), (step, hex(lo), hex(data))
        assert _log(a) == _log(b), (step, hex(lo), hex(data))
    assert inline > 50     # the inline path did run
