"""xen32: FIFO event-channel priorities (reading evtchn.fifo-one-priority).

Xen keeps one queue and one READY bit per priority (xen/common/event_fifo.c, RELEASE-4.4.0 and RELEASE-4.19.0:
evtchn_fifo_set_pending links into ``queue[evtchn->priority]`` and test_and_set's READY bit ``q->priority``;
every bind gives the port EVTCHN_FIFO_PRIORITY_DEFAULT 7 -- evtchn_port_init -> evtchn_fifo_init -- and only
EVTCHNOP_set_priority changes it). Linux's __evtchn_fifo_handle_events (3.18.140, 4.4.1, 4.9.154, 4.18,
5.15.24, 6.1 read) serves ``find_first_bit(ready)`` -- the highest-priority ready queue -- one event at a time,
re-reading READY after each. Linux's only EVTCHNOP_set_priority is xen_set_irq_priority, and its only caller
is xen_setup_timer (arch/x86/xen/time.c) for the per-CPU VIRQ_TIMER port, at XEN_IRQ_PRIORITY_MAX 0.

The model's ports are pirq ports only (evtchn.bind_pirq creates every one; the tick of kernel.guest_tick is a
wake-up, not a port), so they all sit at priority 7 and the model's single queue per vCPU is exact. These tests
pin that: (1) the one port constructor, (2) no model code changes a priority, (3) against a reference with
sixteen queues, READY bits and Linux's find_first_bit loop, the model's single queue serves the same ports in
the same order under random interleavings when all ports have priority 7 -- and (4) diverges as soon as one
port has another (the timer's 0): the equivalence rests on the uniform priority, which (1) and (2) guarantee.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path
from typing import Any

import pytest

from msidbg.model import evtchn_abi

ROOT = Path(__file__).resolve().parent.parent / "msidbg"
PRIORITY_MAX, PRIORITY_DEFAULT = 0, 7       # xen/include/public/event_channel.h (RELEASE-4.4.0)
MAX_QUEUES = 16                             # EVTCHN_FIFO_MAX_QUEUES = EVTCHN_FIFO_PRIORITY_MIN + 1


def _trees() -> list[tuple[str, ast.AST]]:
    return [(str(p.relative_to(ROOT.parent)), ast.parse(p.read_text(), str(p))) for p in sorted(ROOT.rglob("*.py"))]


def _is_ports(node: ast.AST) -> bool:
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "ports"


def test_the_only_port_constructor_is_bind_pirq() -> None:
    """Every ``...["ports"][port] = ...`` store in msidbg: one, in evtchn.bind_pirq, and its record names a pirq."""
    found = []
    for path, tree in _trees():
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign):
                    for t in node.targets:
                        if isinstance(t, ast.Subscript) and _is_ports(t.value):
                            keys = [k.value for k in node.value.keys if isinstance(k, ast.Constant)] \
                                if isinstance(node.value, ast.Dict) else []
                            found.append((path, fn.name, keys))
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                        and node.func.attr in ("setdefault", "update", "__setitem__") and _is_ports(node.func.value):
                    found.append((path, fn.name, ["<" + node.func.attr + ">"]))
    assert found == [("msidbg/model/evtchn.py", "bind_pirq", ["pirq", "vcpu", "pending", "masked", "src"])]


def test_no_model_code_sets_a_priority() -> None:
    """No function, name or attribute in msidbg speaks of a (set_)priority of an event channel: the only
    priority words in code are the local APIC's and the scheduler's (strings -- readings -- do not count)."""
    words = set()
    for _path, tree in _trees():
        for node in ast.walk(tree):
            name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
                node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else \
                node.arg if isinstance(node, ast.arg) else ""
            if "set_priority" in name.lower() or ("prio" in name.lower() and "evtchn" in name.lower()):
                words.add(name)
    assert words == set()


class _Fifo:
    """Xen's per-priority queues and READY bits (evtchn_fifo_set_pending) and Linux's
    __evtchn_fifo_handle_events / consume_one_event, one atomic step at a time, for one vCPU."""

    def __init__(self, prio: dict[int, int]) -> None:
        self.prio = prio
        self.q: list[list[int]] = [[] for _ in range(MAX_QUEUES)]
        self.ready = 0          # the control block's READY word
        self.local = 0          # the guest's local copy
        self.in_pass = self.xchg_next = False

    def set_pending(self, port: int) -> bool:
        if any(port in q for q in self.q):
            return False                        # LINKED: stays where it is
        q = self.q[self.prio[port]]
        q.append(port)
        if len(q) > 1:
            return False                        # linked behind the tail
        bit = 1 << self.prio[port]
        was = self.ready & bit
        self.ready |= bit                       # test_and_set_bit(q->priority, &control_block->ready)
        return not was

    def guest_step(self) -> int:
        if not self.in_pass:
            self.local, self.ready, self.in_pass = self.ready, 0, True
            return 0
        if self.xchg_next:                      # ready |= xchg(&control_block->ready, 0)
            self.local, self.ready, self.xchg_next = self.local | self.ready, 0, False
            return 0
        if not self.local:
            self.in_pass = False
            return 0
        prio = (self.local & -self.local).bit_length() - 1     # find_first_bit(ready, EVTCHN_FIFO_MAX_QUEUES)
        port = self.q[prio].pop(0)              # clear_linked: the head
        if not self.q[prio]:
            self.local &= ~(1 << prio)          # head == 0: clear_bit(priority, ready)
        self.xchg_next = True
        return port


def _model() -> dict[str, Any]:
    return {"abi": "fifo", "fifo": [[]], "linked": {},
            "ports": {p: {"pending": True, "masked": False} for p in range(1, 7)}}


def _drive(seed: int, prio: dict[int, int]) -> tuple[list[int], list[int]]:
    """Random interleaving of Xen linking ports and the guest's handler steps: the ports the reference
    serves and the ports the model's queue serves at the same points."""
    rnd = random.Random(seed)
    real, x = _Fifo(prio), _model()
    got, want = [], []
    for _ in range(400):
        if rnd.random() < 0.35:
            port = rnd.randrange(1, 7)
            ref_mark = real.set_pending(port)
            model_mark = evtchn_abi.mark(None, x, port, 0)
            if len(set(prio.values())) == 1:
                assert model_mark == ref_mark
        else:
            port = real.guest_step()
            if port:
                want.append(port)
                got.append(evtchn_abi.fifo_consume(x, 0))
    return got, want


@pytest.mark.parametrize("seed", range(30))
def test_one_queue_equals_per_priority_queues_at_the_default_priority(seed: int) -> None:
    got, want = _drive(seed, {p: PRIORITY_DEFAULT for p in range(1, 7)})
    assert len(want) >= 20
    assert got == want


def test_one_queue_is_not_exact_for_a_timer_port_at_priority_max() -> None:
    """The negative control: port 6 at XEN_IRQ_PRIORITY_MAX (as xen_setup_timer sets VIRQ_TIMER) is served
    ahead of older default-priority ports; the model's single queue would serve it in link order."""
    prio = {p: PRIORITY_DEFAULT for p in range(1, 7)}
    prio[6] = PRIORITY_MAX
    real, x = _Fifo(prio), _model()
    for port in (1, 2, 6):
        real.set_pending(port)
        evtchn_abi.mark(None, x, port, 0)
    served = [p for p in (real.guest_step() for _ in range(8)) if p]
    assert served == [6, 1, 2]
    assert [evtchn_abi.fifo_consume(x, 0) for _ in range(3)] == [1, 2, 6]
    runs = [_drive(seed, prio) for seed in range(30)]
    assert all(got != want for got, want in runs)
