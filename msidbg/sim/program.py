"""Code paths as data: named programs made of small steps, run on per-context frame stacks.

A frame is plain data ``{"prog": name, "pc": int, "locals": {...}}``; a context is
``{"stack": [frames...], "wait": None | {...}}``. A step is a Python function
``step(k, l)`` that reads and writes the world through the execution context ``k``
and the frame's locals ``l``, performs at most one architecturally visible action,
emits exactly one event, and says what happens next via ``k``:

* nothing         -- continue at the next step (falling off the end returns 0);
* ``k.call(p, ...)`` -- push program ``p``; on its return the caller continues at its next
  step (or at the step named by ``k.call_then(label, p, ...)``);
* ``k.ret(v)``      -- pop this frame and hand ``v`` to the caller as ``l["ret"]``;
* ``k.goto(label)`` -- continue at the named step;
* ``k.again()``     -- run this same step again next time (loops);
* ``k.wait(spec)``  -- block this context until somebody clears ``ctx["wait"]``;
* ``raise Replay``  -- the step stopped at an access it must wait for before it could act (it set
  ``ctx["wait"]`` and emitted the event): the step runs again from its start when the context resumes,
  and finds what it waited for then (a trapped read's value: ``model/qemu.py``). Everything the step
  did before the raise must be safe to do twice.

Generators or coroutines would be shorter to write but cannot be snapshotted; frames can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

StepFn = Callable[[Any, dict[str, Any]], None]
_Step = TypeVar("_Step", bound=StepFn)

NEXT, CALL, RET, GOTO, AGAIN, WAIT = range(6)


@dataclass
class Program:
    """A named list of steps; ``labels`` maps step names to their index."""

    name: str
    steps: list[StepFn] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    doc: str = ""
    #: the upstream source(s) this program follows (opaque here: the model's ``cite.Source`` objects)
    sources: tuple[Any, ...] = ()

    def step(self, fn: _Step) -> _Step:
        """Decorator: append ``fn`` as the next step, labelled by its function name."""
        label = fn.__name__.lstrip("_")
        if label in self.labels:
            raise ValueError(f"{self.name}: duplicate step {label}")
        self.labels[label] = len(self.steps)
        self.steps.append(fn)
        NSTEPS[self.name] = len(self.steps)
        STEPS[self.name] = self.steps
        LABELS[self.name] = self.labels
        return fn

    def label_of(self, pc: int) -> str:
        if pc >= len(self.steps):
            return "return"
        for name, i in self.labels.items():
            if i == pc:
                return name
        return f"pc{pc}"


PROGRAMS: dict[str, Program] = {}
#: number of steps per program (hot-path cache for the implicit-return check)
NSTEPS: dict[str, int] = {}
#: the step functions of each program (hot-path cache: ``PROGRAMS[name].steps``)
STEPS: dict[str, list[StepFn]] = {}
#: the step labels of each program (hot-path cache: ``PROGRAMS[name].labels``)
LABELS: dict[str, dict[str, int]] = {}


class Replay(Exception):
    """Raised by a step that waits before it acts: its frame stays at the same step (see the module doc)."""


class _Nothing:
    """``run_step``'s answer when no frame returned during the step."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()


def program(name: str, doc: str = "", source: Any = None) -> Program:
    """Create and register a program (idempotent per name is an error: names are global).

    ``source`` -- what the program follows upstream: one object or a tuple of them, stored as
    given (the engine does not interpret it)."""
    if name in PROGRAMS:
        raise ValueError(f"program {name} defined twice")
    sources = () if source is None else tuple(source) if isinstance(source, tuple) else (source,)
    p = Program(name, doc=doc, sources=sources)
    PROGRAMS[name] = p
    return p


def new_frame(prog: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"prog": prog, "pc": 0, "locals": dict(args)}


class Flow:
    """Control-flow request of the step being executed (reset before every step)."""

    __slots__ = ("op", "target", "args", "value", "wait", "then")

    def __init__(self) -> None:
        self.op = NEXT
        self.then: str | None = None
        self.target: str = ""
        self.args: dict[str, Any] = {}
        self.value: Any = 0
        self.wait: dict[str, Any] | None = None


def run_step(k: Any, ctx: Any, on_push: Callable[[dict[str, Any]], bool]) -> Any:
    """Run one step of the top frame of ``ctx`` and apply its control flow.

    ``on_push(frame)`` is called for every pushed frame; it returns False when the call
    was short-circuited (fault injection), in which case the frame is dropped and the
    caller sees ``ret`` already set in its locals.

    Returns the value returned by the last frame popped during this step (the context's
    root frame, when the stack became empty: callers use it for action results), or
    ``NOTHING`` when no frame returned.
    """
    stack = ctx.stack
    frame = stack[-1]
    flow: Flow = k.flow
    flow.op = NEXT
    k.frame = frame
    name = frame["prog"]
    pc = frame["pc"]
    try:
        STEPS[name][pc](k, frame["locals"])
    except Replay:
        return NOTHING  # the frame stays at this step; its context waits (ctx["wait"])
    op = flow.op
    if op == NEXT:
        frame["pc"] = pc = pc + 1
        if pc < NSTEPS[name]:
            return NOTHING  # the common case: on to the next step
        return unwind(stack, NOTHING)
    if op == GOTO:  # a label is always a step of the program: nothing to unwind
        frame["pc"] = LABELS[name][flow.target]
        return NOTHING
    return apply_flow(ctx, stack, frame, flow, on_push)


def apply_flow(ctx: Any, stack: list[dict[str, Any]], frame: dict[str, Any], flow: Flow,
               on_push: Callable[[dict[str, Any]], bool]) -> Any:
    """The control flow a step requested other than NEXT (see ``run_step``)."""
    op = flow.op
    last: Any = NOTHING
    if op == CALL:
        if flow.then is None:
            frame["pc"] += 1
        else:
            frame["pc"] = PROGRAMS[frame["prog"]].labels[flow.then]
            flow.then = None
        callee = {"prog": flow.target, "pc": 0, "locals": dict(flow.args)}
        if on_push(callee):
            stack.append(callee)
            return last
    elif op == GOTO:
        frame["pc"] = PROGRAMS[frame["prog"]].labels[flow.target]
    elif op == WAIT:
        frame["pc"] += 1
        ctx.wait = flow.wait
        return last
    elif op == RET:
        stack.pop()
        last = flow.value
        if stack:
            stack[-1]["locals"]["ret"] = last
    return unwind(stack, last)  # (AGAIN: the same step runs next time)


def unwind(stack: list[dict[str, Any]], last: Any) -> Any:
    """Falling off the end of a program is an implicit ``return 0``; chains of such returns
    unwind in the same step (a tail call's frame has nothing left to do). Returns the value
    the last popped frame returned (``last`` when none was popped). Only that value reaches a frame
    that stays (as its ``ret``): what each popped frame hands the next one up dies with it."""
    i = n = len(stack)
    while i and stack[i - 1]["pc"] >= NSTEPS[stack[i - 1]["prog"]]:
        i -= 1
    if i == n:
        return last
    loc = stack[i]["locals"]
    last = loc["rv"] if "rv" in loc else 0
    del stack[i:]
    if i:
        stack[-1]["locals"]["ret"] = last
    return last


def describe_frame(frame: dict[str, Any]) -> str:
    """``msix_capability_init+mask_all`` -- program and the step about to run."""
    prog = PROGRAMS.get(frame["prog"])
    if prog is None:
        return f"{frame['prog']}+?"
    return f"{frame['prog']}+{prog.label_of(frame['pc'])}"
