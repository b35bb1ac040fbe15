"""Round 16 (docs/perf.md): the bare-metal storm's two small levers compute what they replaced.

* ``apic.acceptable``'s class table: the same vector as the shift-based code, on random IRR/ISR/TPR;
* ``on_cpu``'s inline unwind (the step's own ended frame not tested again): the same pops and ``ret``
  as ``program.unwind``.
"""

from __future__ import annotations

import ast
import inspect
import random
import textwrap
from typing import Any

from msidbg.model import apic, cpu
from msidbg.sim.program import NSTEPS, unwind


def _acceptable_old(c: Any) -> int:
    """apic.acceptable as it was before round 16 (``v >> 4``), kept to compare against."""
    irr = c.irr
    if irr == [0] * 8:
        return -1
    v = -1
    for i in range(7, -1, -1):
        if irr[i]:
            v = 32 * i + irr[i].bit_length() - 1
            break
    if v < 0:
        return -1
    cls = c.tpr >> 4
    top = -1
    for i in range(7, -1, -1):
        if c.isr[i]:
            top = 32 * i + c.isr[i].bit_length() - 1
            break
    if top >= 0 and top >> 4 > cls:
        cls = top >> 4
    return v if (v >> 4) > cls else -1


class _Cpu:
    __slots__ = ("irr", "isr", "tpr", "_extra")

    def __init__(self, irr: list[int], isr: list[int], tpr: int) -> None:
        self.irr, self.isr, self.tpr = irr, isr, tpr
        self._extra: dict[str, object] = {}     # (a CpuRec's other keys: acceptable tests vlapic_off there)


def _words(rng: random.Random) -> list[int]:
    w = [0] * 8
    for _ in range(rng.choice((0, 0, 1, 1, 2, 5))):
        v = rng.randrange(256)
        w[v >> 5] |= 1 << (v & 31)
    return w


def test_acceptable_matches_shift_code() -> None:
    rng = random.Random(16)
    taken = refused = 0
    for _ in range(20000):
        c = _Cpu(_words(rng), _words(rng), rng.choice((0, 0, rng.randrange(256))))
        got = apic.acceptable(c)    # type: ignore[arg-type]
        assert got == _acceptable_old(c), (c.irr, c.isr, c.tpr)
        taken += got >= 0
        refused += got < 0 and c.irr != [0] * 8
    assert taken > 1000 and refused > 1000
    # every vector alone, under every class of TPR and of a vector in service
    for v in range(256):
        for other in range(0, 256, 16):
            for c in (_Cpu(_words_of(v), [0] * 8, other), _Cpu(_words_of(v), _words_of(other), 0)):
                assert apic.acceptable(c) == _acceptable_old(c)    # type: ignore[arg-type]


def _words_of(v: int) -> list[int]:
    w = [0] * 8
    w[v >> 5] = 1 << (v & 31)
    return w


def test_class_table_is_the_shift() -> None:
    assert apic._CLASS == tuple(v >> 4 for v in range(256))


def _inline_unwind() -> str:
    """The statements of on_cpu's inline unwind, from ``i = n = len(stack)`` to the end of its ``if``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cpu.on_cpu)))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for j, st in enumerate(body):
            if (isinstance(st, ast.Assign) and len(st.targets) == 2
                    and ast.unparse(st.value) == "len(stack)"):
                end = next(k for k in range(j, len(body)) if ast.unparse(body[k]).startswith("if i != n"))
                return "\n".join(ast.unparse(s) for s in body[j:end + 1])
    raise AssertionError("on_cpu's inline unwind not found")


def test_inline_unwind_matches_program_unwind() -> None:
    code = compile(_inline_unwind(), "on_cpu-unwind", "exec")
    assert "stack[-1] is frame" in _inline_unwind()
    progs = sorted(NSTEPS)
    rng = random.Random(7)
    popped_some = popped_all = 0
    for _ in range(5000):
        stack = []
        for _ in range(rng.randint(1, 6)):
            p = rng.choice(progs)
            pc = NSTEPS[p] if rng.random() < 0.6 else rng.randrange(NSTEPS[p] + 1)
            loc: dict[str, Any] = {"x": rng.random()}
            if rng.random() < 0.5:
                loc["rv"] = rng.randrange(-5, 5)
            stack.append({"prog": p, "pc": pc, "locals": loc})
        frame = stack[-1]       # on_cpu runs it when the step's frame has ended ...
        frame["pc"] = NSTEPS[frame["prog"]]
        if rng.random() < 0.2:  # ... and the step may have pushed another frame over it
            p = rng.choice(progs)
            stack.append({"prog": p, "pc": rng.randrange(NSTEPS[p] + 1), "locals": {}})
        ref = [dict(f, locals=dict(f["locals"])) for f in stack]
        unwind(ref, 0)
        ns = {"stack": stack, "NSTEPS": NSTEPS, "frame": frame}
        exec(code, ns)  # noqa: S102 -- our own source, to run the shipped statements
        assert stack == ref
        popped_some += 0 < len(stack)
        popped_all += not stack
    assert popped_some > 500 and popped_all > 500
