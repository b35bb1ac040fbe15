"""Cause chains: ``Session.why(target)`` walks the provenance the model recorded back to a root.

A *link* is one recorded node (an event that set a tracked value, or an outcome such as a
loss) shown with its event, time, actor, CPU, call stack, state path, value and a one-line
reason generated from its kind. The chain starts at the symptom (a hit, an event, or the
value of a state path at the cursor) and follows, at each node, the dependency whose writer is
the most recent; the other dependencies are kept as *branches* (each a chain of its own).
A node reached twice is shown once; the second time the branch stops with ``seen``.
Roots are scenario actions, device signals, faults, or values from the initial state.

Nothing here re-derives a story: every step back is a recorded link (``model/prov.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from msidbg.debugger import whytext
from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.prov import HOT, Prov
from msidbg.sim.events import Event
from msidbg.sim.scheduler import Hit

#: at most this many links in one answer (the default chain plus every branch)
MAX_LINKS = 400
#: a chain (or branch) longer than this stops with a note
MAX_DEPTH = 200


#: register keys (an MSI-X entry's, an MSI capability's) and the nodes whose value is what they wrote
_REG_SPACES = frozenset({PK.REG, PK.MSIREG})
_REG_WRITES = frozenset({C.TABLE, C.TABLE_LIVE, C.MSI_REG})
#: at most this many same-value rewrites are walked back (a register rewritten in a loop)
SETTER_WALK = 4096
#: events after an accept read for its EOI before falling back to a backward replay
EOI_SCAN = 20_000


class WhyError(ValueError):
    """A ``why`` target the session cannot explain (a bad path, an event out of range). ``option``:
    the command-line option it is about (``--event``), which ``str()`` names first (the TUI's why
    screen) and the CLI's one line names as argparse does (``why: argument --event: ...``)."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(f"{option}: {message}" if option else message)
        self.message, self.option = message, option


@dataclass
class Link:
    """One step of a cause chain (see the module docstring)."""

    event: int
    time_ns: int
    kind: str                       # the event's kind (msix.write, msi.msg, ...)
    link: str                       # the record's kind (table.write.live, latch, lost, ...)
    cpu: int | None
    dev: str | None
    actor: str
    path: str | None
    value: Any
    stack: list[str]
    reason: str
    #: how the link before this one (closer to the symptom) used this one; None for the symptom
    relation: str | None = None
    record: int = -1
    branches: list[list[Link]] = field(default_factory=list)
    #: this node was already shown elsewhere in the answer (the branch stops here)
    seen: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event, "time_ns": self.time_ns, "kind": self.kind, "cpu": self.cpu,
            "dev": self.dev, "path": self.path, "value": self.value, "stack": list(self.stack),
            "reason": self.reason, "link": self.link, "actor": self.actor, "relation": self.relation,
            "seen": self.seen, "branches": [[b.as_dict() for b in br] for br in self.branches],
        }


@dataclass
class Why:
    """The answer: ``target`` (what was asked) and ``chain`` (symptom first, root last)."""

    target: dict[str, Any]
    chain: list[Link]
    #: ``why(target, what_if=True)``: the counterfactual re-runs (``whatif.WhatIf``); None without
    what_if: Any = None

    def events(self) -> list[int]:
        """The events of the default chain, symptom first."""
        return [lk.event for lk in self.chain]

    def tree_events(self) -> list[int]:
        """Every event in the answer (default chain and branches), in tree order."""
        out: list[int] = []

        def walk(links: list[Link]) -> None:
            for lk in links:
                out.append(lk.event)
                for br in lk.branches:
                    walk(br)
        walk(self.chain)
        return out

    def links(self) -> list[Link]:
        """Every link of the answer, in tree order (default chain first at each node)."""
        out: list[Link] = []

        def walk(links: list[Link]) -> None:
            for lk in links:
                out.append(lk)
                for br in lk.branches:
                    walk(br)
        walk(self.chain)
        return out

    def as_dict(self) -> dict[str, Any]:
        """The ``msidbg why --json`` object."""
        out = {"target": self.target, "chain": [lk.as_dict() for lk in self.chain]}
        if self.what_if is not None:    # an extension (why --what-if): the rows whose flip removes the symptom
            out["what_if"] = self.what_if.as_list()
            out["what_if_run"] = self.what_if.info()
        return out

    def text(self, width: int = 100) -> str:
        out = whytext.render(self, width)
        return out if self.what_if is None else f"{out}\n{self.what_if.text()}"


# --- building ------------------------------------------------------------------------------------------
#: a node's dependencies on the message it carried (``deps``: after the mask that held it)
_MSG_DEPS = frozenset({C.D_MSG_TABLE, C.D_MSG_LATCH, C.D_MSG_MSI, C.D_MSG_HELD, C.D_LINE})


#: what kept a held signal from ever being released (the driver never set the entry up; its managed irq was left shut
#: down), and a lock's holder: before the other links (``Builder.deps``)
#: (why28: a retriggered message taken on its old CPU -- the sender's own IRR set before the accept, which links the
#: bit's last writer, another device's message)
#: (why30: an access the device did not decode -- the Command that stopped the decoding before the guest access a QEMU
#: step served, heldout_why15 q01's re-bind)
_NEVER_RELEASED = frozenset({C.D_LOCK, C.D_LOCK_QUEUED, C.D_DRIVER_VECTORS, C.D_SHUTDOWN, C.D_RETRIG,
                             C.D_RETRIG_IPI, C.D_NO_MEMORY})


class Builder:
    """Makes links from records; ``event_of`` reads the event log, ``stack_at`` (optional) reads a
    call stack back from the world for nodes that did not record one."""

    def __init__(self, prov: Prov, event_of: Callable[[int], Event | None],
                 stack_at: Callable[[int, int | None], list[str]] | None = None,
                 max_links: int = MAX_LINKS) -> None:
        self.p = prov
        self.event_of = event_of
        self.stack_at = stack_at
        self.budget = max_links
        self.seen: set[int] = set()
        #: the heads of branches still to be built of a node that links what holds something (``D_OWNER``: a refusal's
        #: held pirqs): a walk from one of them stops at another (shown as its own branch), so the tree stays flat
        self.reserved: set[int] = set()

    # -- the walk ---------------------------------------------------------------------------------------
    def chain(self, r: int, relation: str | None = None, depth: int = 0) -> list[Link]:
        """The chain from node ``r`` back to a root, following the most recent writer; the other
        dependencies become branches once the whole chain is known (so the chain itself is never
        cut short by a branch that reached one of its nodes first)."""
        links: list[Link] = []
        later: list[tuple[Link, list[tuple[int, int, int]]]] = []
        while self.budget > 0 and len(links) < MAX_DEPTH:
            r = self.p.resolve(r)
            link = self.link(r, relation)
            links.append(link)
            if r in self.seen or r in self.reserved:
                link.seen = True
                break
            self.seen.add(r)
            deps = self.deps(r)
            if not deps:
                break
            (code, key, w), others = deps[0], deps[1:]
            if others:
                later.append((link, others))
            if w < 0:
                links.append(self.initial(key, self.relation(code, r), link.event))
                break
            relation, r = self.relation(code, r), w
        for link, others in later:
            heads = {ow for ocode, _, ow in others if ow >= 0} if any(o[0] == C.D_OWNER for o in others) else set()
            heads -= self.reserved      # (an enclosing node's heads stay reserved until its own loop ends)
            self.reserved |= heads
            for ocode, okey, ow in others:
                if self.budget <= 0:
                    break
                if ow in heads:
                    self.reserved.discard(ow)
                link.branches.append(self.follow(ocode, okey, ow, depth + 1))
            self.reserved -= heads
        return links

    def follow(self, code: int, key: int, w: int, depth: int) -> list[Link]:
        rel = C.CODES[code].text if not C.CODES[code].node else C.CODES[code].inline
        if w < 0:
            return [self.initial(key, rel, None)]
        return self.chain(w, rel, depth)

    def deps(self, r: int) -> list[tuple[int, int, int]]:
        """Node ``r``'s dependencies, the default one first: the most recent writer among the values
        it used (control links only when nothing else explains it; annotations never), then the
        rest as branches, one per writer. Values still from the initial state are kept only when
        nothing else explains the node."""
        p = self.p
        deps = [(c, k, self.setter(k, p.resolve(w))) for c, k, w in self.expand(r, p.deps(r))]
        best: dict[int, tuple[int, int, int]] = {}
        for d in deps:
            if d[2] not in best or best[d[2]][0] in C.SIDE:
                best[d[2]] = d
        real = [d for w, d in best.items() if w >= 0]
        # most recent first: by event, then by record within an event (hot records -- the interrupt
        # path's -- are numbered apart from cold ones, so a record number alone does not order them)
        def recent(d: tuple[int, int, int]) -> tuple[int, int]:
            return (-p.event(d[2]), -d[2])
        strong = sorted((d for d in real if d[0] not in C.WEAK and d[0] not in C.SIDE), key=recent)
        # a value boot code set (pci_msi_ignore_mask): no writer, yet what the node used -- the root, after the rest
        strong += [d for d in deps if d[2] < 0 and d[0] in C.BOOT][:1]
        if len(strong) > 1:
            own = p.key(r) if 0 <= r < HOT else -1
            held = any(d[0] == C.D_MASKED_BY or d[0] == C.D_IN_SERVICE for d in strong)
            # a pending bit set again while set (a coalesced event): the send that set it explains it; a signal
            # held (a pending event channel): the mask that held it comes before the message it carried, however
            # recent the message (the rest stay most recent first)
            # (a flow handler spinning on desc->lock: the lock's holder before the interrupt it handles; a signal held
            # on an entry its driver never set up: the vectors the driver set up -- what left the entry at its reset
            # mask for good -- before the held signal, whose mask had no writer at all: whyheld10)
            # (a vector still pending in IRR behind one in service: the one in service before the message: whyheld11;
            # and before the INTx condition whose level message it is: why30, heldout_why15 s01)
            # (an edge left IRQS_PENDING and lost when no action came back for it -- the loop found free_irq's removal
            # and ended, the descriptor was freed: the edge is the signal and the default, the removal why nothing
            # replayed it, a branch however recent: whylinks25)
            behind = any(d[0] == C.D_IN_SERVICE for d in strong)
            pend = any(d[0] == C.D_PENDING for d in strong)
            strong.sort(key=lambda d: 0 if d[0] == C.D_PENDING and d[1] == own else
                        1 if d[0] in _NEVER_RELEASED else 3 if held and d[0] in _MSG_DEPS
                        or behind and (d[0] == C.D_PENDING or d[0] == C.D_HELD) or pend and d[0] == C.D_NO_ACTION
                        else 2)
        side = sorted((d for d in real if d[0] in C.SIDE), key=recent)
        weak = sorted((d for d in real if d[0] in C.WEAK), key=recent)
        if strong:   # the interrupt a step ran in stays a branch; the action it ran for is implied
            return strong + side + [d for d in weak if d[0] != C.D_ACTION]
        if weak:
            return weak[:1] + side
        if side:
            return side
        return [d for d in deps if d[2] < 0][:1]

    def setter(self, key: int, w: int) -> int:
        """For a device register, the write that set the value writer ``w`` left: a driver that
        rewrites a register with the value it already holds (``__pci_write_msi_msg`` rewriting MSI
        Message Control, a move rewriting an unchanged address half) did not produce it, and the
        chain follows the write before it. Other keys: ``w``. The walk does not go back to the function's reset
        (``dev.reset``, pm_resume's D3hot -> D0): the kernel's restore after it rewrites the value from its own cache,
        a decision the reset did not make -- heldout_why15 p01, where e045fa29e893 changed exactly that Vector Control
        write (why30: the mask's writer read "the function's reset")."""
        p = self.p
        if w < 0 or w >= HOT or key >> PK.SHIFT not in _REG_SPACES:
            return w
        for _ in range(SETTER_WALK):
            if p.code(w) not in _REG_WRITES:
                break
            prev = p.prev(w)
            if prev < 0 or p.code(prev) not in _REG_WRITES or p.x(prev) != p.x(w):
                break
            if p.event(prev) != p.event(w) and self._is_reset(p.event(prev)):
                break
            w = prev
        return w

    def _is_reset(self, ev: int) -> bool:
        e = self.event_of(ev)
        return e is not None and e.kind == "dev.reset"

    def expand(self, r: int, deps: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """A message used as a whole depends on each register it is made of, as of the use."""
        out = []
        p = self.p
        for code, key, w in deps:
            if code in C.MESSAGE:
                k = key if key >= 0 else -1
                s = k >> PK.SHIFT
                pl = k & PK.PAYLOAD
                if s == PK.REG and (pl & 0xF) < 3:
                    s, pl = PK.MSG, PK.dev_entry(pl >> 20, (pl >> 4) & 0xFFFF)
                if s == PK.MSG:
                    d, e = pl >> 16, pl & 0xFFFF
                    regs = [PK.key(PK.REG, PK.reg_payload(d, e, i)) for i in range(3)]
                elif s == PK.MSIMSG:
                    regs = [PK.key(PK.MSIREG, pl << 4 | i) for i in range(3)]
                else:
                    regs = []
                if regs:
                    out += [(code, rk, p.writer_before(rk, r)) for rk in regs]
                    continue
            out.append((code, key, w))
        return out

    def relation(self, code: int, r: int) -> str:
        c = C.CODES[code]
        return c.inline if c.node else c.text

    # -- one link ------------------------------------------------------------------------------------------
    def link(self, r: int, relation: str | None) -> Link:
        self.budget -= 1
        p = self.p
        ev_i = p.event(r)
        ev = self.event_of(ev_i)
        code = C.CODES[p.code(r)]
        key = p.key(r)
        path = PK.path(key, p.devname) if key >= 0 else None
        frames, kind, cpu = self.frames(r, ev)
        value = whytext.value(p, r, ev)
        fields = whytext.fields(p, r, ev, value, kind, cpu)
        reason = whytext.reason(code, fields, relation)
        return Link(ev_i, ev.time_ns if ev else 0, ev.kind if ev else "?", code.name,
                    ev.cpu if ev else None, ev.dev if ev else None, fields.get("actor", fields["who"]), path, value, frames,
                    reason, relation, r)

    def frames(self, r: int, ev: Event | None) -> tuple[list[str], str | None, int | None]:
        """(stack strings innermost first, context kind, cpu) of node ``r``."""
        st = self.p.stack(r)
        if st is not None:
            cpu, kind, frames = st
            return whytext.describe_frames(frames), kind, cpu
        code = C.CODES[self.p.code(r)]
        if code.frames:     # a node always made by one step of the interrupt path (its stack is its code's)
            return list(code.frames), "irq", ev.cpu if ev is not None else None
        if code.lazy_stack and self.stack_at is not None and ev is not None and ev.cpu is not None:
            return self.stack_at(ev.index, ev.cpu), "irq", ev.cpu
        return [], None, None

    def initial(self, key: int, relation: str | None, event: int | None) -> Link:
        """A leaf: ``key`` still had its value from the initial state (device reset, boot)."""
        self.budget -= 1
        path = PK.path(key, self.p.devname) if key >= 0 else None
        what = f"{path} still had its initial value" if path else "the initial state"
        if key >= 0 and key >> PK.SHIFT == PK.IGNMASK:
            what = f"{path} = {int(bool(self.p.eng.w.kernel.get('ignore_mask')))}: {_ignore_mask_origin(self.p.eng.w)}"
        reason = f"{relation}: {what}" if relation else what
        return Link(0, 0, "initial", "initial", None, None, "initial state", path, None, [], reason, relation)


def _ignore_mask_origin(w: Any) -> str:
    """Where the guest kernel set pci_msi_ignore_mask, at boot (arch/x86/pci/xen.c; no step records it)."""
    kind = w.platform.get("kind")
    if kind == "xen-pv":
        return ("pci_msi_ignore_mask, set at boot by pci_xen_init (a Xen PV domU's PCI frontend stub; through "
                "xen_setup_pci_msi from the 2020 XEN-MSI consolidation; pci_xen_initial_domain in dom0)")
    if kind == "xen-hvm":
        return ("pci_msi_ignore_mask, set at boot by xen_hvm_msi_init's xen_setup_pci_msi (7e0815b3e099; xen_msi_init "
                "in the 4.14 backport) for a guest using pirqs")
    return "pci_msi_ignore_mask, clear (not a Xen guest)"


def explain_node(b: Builder, r: int, extra: list[int] | None = None) -> list[Link]:
    """The chain from node ``r``; other nodes of the same event become branches of its first link."""
    chain = b.chain(r)
    for o in extra or []:
        if b.budget <= 0:
            break
        chain[0].branches.append(b.chain(o, "also at this event"))
    return chain


def hit_index(hits: list[Hit], hit: Hit) -> int:
    """The position of ``hit`` in the engine's hit list: the one it was read as (``Hit.seq``) or the very object
    (whyheld12: two hits with the same event, name and detail -- two IRQS_PENDING entries lost at the run's end --
    both explained the later one), else the last equal one (a hit rebuilt from a snapshot's recording)."""
    j = getattr(hit, "seq", -1)
    if 0 <= j < len(hits) and hits[j] == hit:
        return j
    for j in range(len(hits) - 1, -1, -1):
        if hits[j] is hit:
            return j
    for j in range(len(hits) - 1, -1, -1):
        h = hits[j]
        if h.event == hit.event and h.name == hit.name and h.detail == hit.detail:
            return j
    return -1


def cause_events(prov: Prov, r: int, limit: int = MAX_DEPTH) -> list[int]:
    """The events of the default chain from node ``r`` (the summary's ``cause``), no stacks or text.

    The walk is ``Builder.chain``'s, link for link, so the list is ``Why.events()`` of ``why`` on
    the same node: a node reached again ends it (listed once more, as the chain's ``seen`` link),
    and a value still from the initial state ends it with event 0 (the chain's initial leaf)."""
    prov.flush()
    b = Builder(prov, lambda i: None, None, limit)
    out: list[int] = []
    seen: set[int] = set()
    while len(out) < limit:
        r = prov.resolve(r)
        out.append(prov.event(r))
        if r in seen:
            break
        seen.add(r)
        deps = b.deps(r)
        if not deps:
            break
        if deps[0][2] < 0:
            out.append(0)
            break
        r = deps[0][2]
    return out


# --- targets ---------------------------------------------------------------------------------------------
def explain(s: Any, target: Hit | int | str, stacks: bool = True, max_links: int = MAX_LINKS) -> Why:
    """``Session.why``: ``target`` is a ``Hit`` (from ``s.hits()``), an event index, or a state
    path whose value at the cursor is explained."""
    p: Prov = s.eng.prov
    if not p.on:
        raise WhyError("this session records no provenance (its engine was built with prov=False)")
    p.flush()
    stack_at = _stack_reader(s) if stacks else None
    b = Builder(p, s.event, stack_at, max_links)
    if isinstance(target, Hit):
        return _why_hit(s, b, target)
    if isinstance(target, bool) or not isinstance(target, (int, str)):
        raise WhyError(f"why what? {target!r} (expected a hit, an event index or a state path)")
    if isinstance(target, int):
        return _why_event(s, b, target, {"kind": "event", "event": target, "text": f"event {target}"})
    w = _why_path(s, b, target)
    t = w.target
    if t.get("kind") == "path" and isinstance(t.get("text"), str):
        # the title's value as the links show the same fields (hex where they read hex)
        path, val = t["path"], t.get("value")
        plain = f"{path} = {whytext.fmt_value(val)} "
        if t["text"].startswith(plain):
            t["text"] = f"{path} = {whytext.path_value(path, val, w.chain)} " + t["text"][len(plain):]
    return w


def _why_hit(s: Any, b: Builder, hit: Hit) -> Why:
    j = hit_index(s.eng.hits, hit)
    info = {"kind": "hit", "event": hit.event, "breakpoint": hit.name, "detail": hit.detail,
            "text": f"hit {hit.name} at event {hit.event}: {hit.detail}"}
    r = b.p.hit_node(j, hit.event)
    if r < 0:
        return _why_event(s, b, hit.event, info)
    return Why(info, explain_node(b, r))


def _why_event(s: Any, b: Builder, e: int, info: dict[str, Any]) -> Why:
    if not 1 <= e <= s.total:
        raise WhyError(f"no event {e} (expected 1..{s.total})")
    nodes = event_nodes(b.p, e)
    if nodes:
        return Why(info, explain_node(b, nodes[0], nodes[1:]))
    return Why(info, _event_link(s, b, e))


def event_nodes(p: Prov, e: int) -> list[int]:
    """The nodes event ``e`` recorded, the default one (``why --event e`` follows it) first."""
    nodes = p.nodes_at(e)
    cut = p.silent_upto.get(e)
    if cut is not None:     # the emitting step's nodes first (a step before it, silent, made the others)
        nodes = [r for r in nodes if r >= cut] + [r for r in nodes if r < cut]
    return nodes


def _event_link(s: Any, b: Builder, e: int) -> list[Link]:
    """An event that recorded no node: the event itself, its call stack, and what its context ran for."""
    ev = s.event(e)
    got = s.executed(e) if ev.cpu is not None or ev.kind.startswith("qemu.") else None
    frames: list[str] = []
    kind = None
    follow = -1
    if got is not None:
        cpu, kind = got["cpu"], got["kind"]
        frames = whytext.describe_frames(got["frames"])
        if kind == "proc" and got["action"] >= 0:
            follow = b.p.writer_at(PK.key(PK.ACTION, got["action"]), e)
        elif kind == "irq" and got["vector"] is not None:
            follow = b.p.writer_at(PK.key(PK.ISR, PK.cpu_vec(cpu, got["vector"])), e)
            loop = _loop_rerun(b.p, ev, cpu, e, follow)
            if loop >= 0:
                follow, kind = loop, "loop"
        elif kind == "irq" and got.get("upcall"):  # xen-pv: what Xen entered the event callback for
            follow = b.p.writer_at(PK.key(PK.CALLBACK, cpu), e)
            # (a handler run of xen_handle_edge_irq's loop: the IRQS_PENDING it took, as on an APIC vector)
            loop = _loop_rerun(b.p, ev, cpu, e, follow)
            if loop >= 0:
                follow, kind = loop, "loop"
        elif kind == "qemu":    # QEMU's step: the guest's trapped access it serves (or completes)
            vcpu = got.get("serving")
            if vcpu is None and ev.kind == "qemu.ioreq_done":
                vcpu = ev.fields.get("cpu")
            if isinstance(vcpu, int):
                follow = b.p.writer_at(PK.key(PK.IOREQ, vcpu), e)
    who = whytext.actor(ev, kind, ev.cpu)
    head = Link(e, ev.time_ns, ev.kind, "event", ev.cpu, ev.dev, who, None, None, frames,
                f"{ev.kind} {ev.describe()}".strip() + " (no tracked value recorded here)")
    b.budget -= 1
    flag = _needs_eoi(s, b, ev, e)
    if follow < 0 and flag < 0:
        return [head]
    rel = C.CODES[C.D_ACTION if kind == "proc" else C.D_CAUSE if kind == "loop" else
                  C.D_IOREQ if kind == "qemu" else C.D_IN_IRQ].text
    if flag < 0:
        return [head, *b.chain(follow, rel)]
    if follow >= 0:     # what the context ran for (the interrupt, the action) stays a branch
        head.branches.append(b.chain(follow, rel))
    return [head, *b.chain(flag, "made because of")]


def _needs_eoi(s: Any, b: Builder, ev: Event, e: int) -> int:
    """A guest's PHYSDEVOP_eoi: the record of the pirq_needs_eoi flag that made eoi_pirq ask (startup_pirq's
    PHYSDEVOP_irq_status_query), found through the guest irq holding the pirq at the event; else -1."""
    if ev.kind != "xen.hypercall" or ev.fields.get("op") != "PHYSDEVOP_eoi":
        return -1
    pirq = ev.fields.get("arg")
    irqs = ((s.world_at(e).get("kernel") or {}).get("xen") or {}).get("irqs") or {}
    for n, info in irqs.items():
        if isinstance(info, dict) and info.get("pirq") == pirq:
            r = b.p.writer_at(PK.key(PK.NEEDSEOI, int(n)), e)
            if r >= 0:
                return r
    return -1


def _loop_rerun(p: Prov, ev: Event, cpu: int, e: int, accept: int) -> int:
    """A handler run of handle_edge_irq's do/while (``entry.rerun_loop``) runs for IRQS_PENDING, not
    for the interrupt it is nested in: the loop's recorded rerun (IRQS_PENDING taken, value 0) on
    this CPU after that interrupt's accept, or -1."""
    irq = ev.fields.get("irq") if ev.kind == "irq.handler" else None
    if not isinstance(irq, int):
        return -1
    r = p.writer_at(PK.key(PK.IRQPEND, irq), e)
    if r < 0 or r >= HOT or p.x(r) != 0 or p.code(r) != C.KERNEL:
        return -1
    st = p.stack(r)
    if st is None or st[0] != cpu or st[1] != "irq" or (accept >= 0 and p.event(r) < p.event(accept)):
        return -1
    return r


def _why_path(s: Any, b: Builder, text: str) -> Why:
    parsed = PK.parse(text)
    cursor = s.cursor
    if parsed is None:
        e = s.last_change(text)
        info = {"kind": "path", "path": text, "cursor": cursor, "value": _value_at(s, text),
                "text": f"{text} at event {cursor} (untracked: its last change)"}
        if e is None:
            return Why(info, [b.initial(-1, None, None)])
        return _why_event(s, b, e, info)
    space, devname, a, c = parsed
    if devname is not None and devname not in s.world["devices"]:
        raise WhyError(f"no device {devname!r} (have: {', '.join(sorted(s.world['devices']))})")
    _check_path(s.world, text, space, devname, a, c)
    dev = b.p.dev_ids.get(devname, -1) if devname is not None else 0
    key = PK.key(space, PK.payload(space, dev, a, c)) if dev >= 0 else -1
    # irqs[n].cpu: the vector domain assigns an irq's vector and CPU together (one IRQVEC key,
    # one writer); the answer names the CPU and shows its value
    cpu_half = space == PK.IRQVEC and c == PK.IRQ_CPU_PART
    path = f"irqs[{a}].cpu" if cpu_half else PK.path(key, b.p.devname) if key >= 0 else text
    val = _value_at(s, path)
    if space == PK.APICOFF and val is None:
        val = False     # the world has the flag only while the APIC is software-disabled (hotplug's apic_off)
    info = {"kind": "path", "path": path, "cursor": cursor, "value": val,
            "text": f"{path} = {whytext.fmt_value(val)} at event {cursor}"}
    r = b.p.writer_at(key, cursor) if key >= 0 else -1
    if space == PK.IOAPICRIRR and (r < 0 or bool(b.p.x(r)) != bool(val)):
        # only a Remote IRR left set with nothing to clear it (and its clearing after that) is recorded: every
        # other value is answered as an untracked path is, by its last change
        e = s.last_change(path)
        info["text"] = f"{path} = {whytext.fmt_value(val)} at event {cursor} (its last change)"
        if e is None:
            leaf = b.initial(key, None, None)
            leaf.value = val
            return Why(info, [leaf])
        return _why_event(s, b, e, info)
    if space in (PK.PTBIND, PK.PIRQPORT):
        # never bound / given a port since Xen (re)created the pirq's entry: the entry's creation
        # (an unbind or close of an earlier entry of the same pirq number does not explain it)
        made = _pirq_made(b.p, a, cursor)
        if made < 0 and r < 0:
            made = b.p.writer_at(PK.key(PK.PIRQ, a), cursor)
        if made >= 0 and _later(b.p, made, r):
            chain = explain_node(b, made)
            chain[0].reason = f"{path} = {whytext.fmt_value(val)} since the pirq's entry was made: {chain[0].reason}"
            chain[0].path, chain[0].value = path, val
            return Why(info, chain)
    if space == PK.PORTPEND:
        # a port bound (or closed) after its pending bit last changed: the bind or the close answers
        made = _port_made(b.p, a, cursor)
        if made >= 0 and _later(b.p, made, r):
            chain = explain_node(b, made)
            what = "bound" if b.p.x(made) else "closed"
            chain[0].reason = f"{path} = {whytext.fmt_value(val)} since the event channel was {what}: {chain[0].reason}"
            chain[0].path, chain[0].value = path, val
            return Why(info, chain)
        if not val and r >= 0 and r < HOT and b.p.x(r):
            # set since, clear now: the guest's clear_evtchn (the interrupt path records no clear)
            clr = _port_cleared(s, b, r, a, path)
            if clr is not None:
                return Why(info, [clr, *b.chain(r, "pending since")])
    if space == PK.IRQVEC:
        # a Xen pirq irq has no x86 vector (Xen delivers it through an event channel): its vector
        # and CPU are what the irq's allocation left, the guest's xen_bind_pirq_msi_to_irq
        made = _xen_irq_made(s, b.p, a, cursor)
        if made >= 0 and _later(b.p, made, r):
            chain = explain_node(b, made)
            chain[0].reason = (f"{path} = {whytext.fmt_value(val)} since the irq was allocated (a Xen pirq irq "
                               f"gets no x86 vector: Xen delivers it through an event channel): {chain[0].reason}")
            chain[0].path, chain[0].value = path, val
            return Why(info, chain)
    if space in (PK.IRQVEC, *_IRQ_FIELDS):
        # a Xen pirq irq made but not bound to its pirq yet (HVM: from its descriptor to
        # xen_bind_pirq_msi_to_irq, a few events): the allocation's record answers
        made = _xen_irq_pending(s, b.p, a, cursor)
        if made >= 0 and (r < 0 or r == made):
            chain = explain_node(b, made)
            chain[0].reason = (f"{path} = {whytext.fmt_value(val)} since the irq was allocated (its descriptor's "
                               f"initial state): {chain[0].reason}")
            chain[0].path, chain[0].value = path, val
            return Why(info, chain)
    if r < 0 and space in _IRQ_FIELDS:
        # nothing set it since the irq's descriptor was made (during the run): the allocation answers
        alloc = _irq_allocated(s, b.p, a, cursor)
        if alloc is not None:
            chain = _why_event(s, b, alloc, info).chain
            chain[0].reason = (f"{path} = {whytext.fmt_value(val)} since irq {a} was allocated (its descriptor's "
                               f"initial state): {chain[0].reason}")
            chain[0].path, chain[0].value = path, val
            return Why(info, chain)
    if r < 0:
        leaf = b.initial(key, None, None)
        leaf.value = val
        if cpu_half:
            leaf.path, leaf.reason = path, f"{path} still had its initial value"
        return Why(info, [leaf])
    if space == PK.ISR and not val and b.p.code(r) == C.ACCEPT:
        eoi = _isr_cleared(s, b, r, path)
        if eoi is not None:
            return Why(info, [eoi, *b.chain(r, C.CODES[C.EOI].inline)])
    chain = explain_node(b, r)
    if chain[0].path != path:
        chain[0].reason = f"last wrote {path}: {chain[0].reason}"
        chain[0].path, chain[0].value = path, val
    return Why(info, chain)


def _later(p: Prov, a: int, b: int) -> bool:
    """Record ``a`` was made after record ``b`` (-1: none)."""
    return b < 0 or (p.event(a), a) > (p.event(b), b)


def _pirq_made(p: Prov, pirq: int, cursor: int) -> int:
    """The step that made pirq ``pirq``'s entry as it stands at ``cursor``: Xen's
    ``PHYSDEVOP_get_free_pirq`` (value PIRQ_ALLOCATED, -1), or ``map_domain_pirq`` of a pirq that had
    no entry (nothing before it, or freed: unmapped to 0 or force-unbound); -1 if none is recorded."""
    w = p.writer_at(PK.key(PK.PIRQ, pirq), cursor)
    for _ in range(SETTER_WALK):
        if w < 0:
            return -1
        x, prev = p.x(w), p.prev(w)
        if x == -1:
            return w
        if x > 0:
            before = p.x(prev) if prev >= 0 else 0
            if before == 0 or before < -1:
                return w
        w = prev
    return -1


def _port_made(p: Prov, port: int, cursor: int) -> int:
    """Xen's last ``EVTCHNOP_bind_pirq`` (value: the pirq) or ``EVTCHNOP_close`` (0) of event channel
    ``port`` at ``cursor`` -- a guest unmask of the port (``C.GUEST``) is skipped -- or -1."""
    w = p.writer_at(PK.key(PK.PORT, port), cursor)
    for _ in range(SETTER_WALK):
        if w < 0 or p.code(w) == C.XEN:
            return w
        w = p.prev(w)
    return -1


def _scan_forward(s: Any, at: int, match: Callable[[Any], bool]) -> int | None:
    """The index of the first event after ``at`` (up to the cursor, at most ``EOI_SCAN`` events on)
    that ``match`` accepts, read forward in pages of 512; None if there is none."""
    for start in range(at + 1, min(s.cursor, at + EOI_SCAN) + 1, 512):
        for ev in s.events(start, min(start + 512, s.cursor + 1, at + EOI_SCAN + 1)):
            if match(ev):
                return int(ev.index)
    return None


def _port_cleared(s: Any, b: Builder, setter: int, port: int, path: str) -> Link | None:
    """The port's pending bit that ``setter`` set reads clear at the cursor: the guest's
    ``clear_evtchn`` (an ``evtchn.clear`` event of the port, read forward from the set), else the
    bit's last change (``startup_pirq``'s ``eoi_pirq``, the run's end dropping what is left)."""
    at = b.p.event(setter)
    e = _scan_forward(s, at, lambda ev: ev.kind == "evtchn.clear" and ev.fields.get("port") == port)
    if e is None:
        e = s.last_change(path, limit=max(s.cursor - at, 1))
    if e is None or e <= at:
        return None
    ev = s.event(e)
    b.budget -= 1
    cpu = ev.cpu
    got = s.executed(e) if cpu is not None else None
    stack = whytext.describe_frames(got["frames"]) if got is not None and b.stack_at is not None else []
    if ev.kind == "evtchn.clear":
        reason = f"clear_evtchn({port}): {path} cleared"
    else:
        reason = f"{ev.kind} {ev.describe()}".strip() + f": {path} cleared"
    return Link(e, ev.time_ns, ev.kind, "event", cpu, ev.dev, whytext.actor(ev, got["kind"] if got else None, cpu),
                path, False, stack, reason)


def _xen_irq_made(s: Any, p: Prov, irq: int, cursor: int) -> int:
    """The guest's ``xen_bind_pirq_msi_to_irq`` record that made Xen pirq irq ``irq`` (its
    ``kernel.xen.irqs[n]`` write in the step that emits ``xen.irq``), or -1 (not a Xen irq now)."""
    gx = (s.world.get("kernel") or {}).get("xen") or {}
    if irq not in (gx.get("irqs") or {}):
        return -1
    w = p.writer_at(PK.key(PK.GIRQ, irq), cursor)
    for _ in range(SETTER_WALK):
        if w < 0:
            return -1
        ev = s.event(p.event(w))
        if ev is not None and ev.kind == "xen.irq" and ev.fields.get("irq") == irq:
            return -1 if ev.fields.get("how") == "destroyed" else w
        w = p.prev(w)
    return -1


def _xen_irq_pending(s: Any, p: Prov, irq: int, cursor: int) -> int:
    """The record of Xen pirq irq ``irq``'s allocation (``kernel/xen.py`` ``_new_irq``) while the guest
    has not bound it to its pirq yet (no ``kernel.xen.irqs[n]``), or -1."""
    gx = (s.world.get("kernel") or {}).get("xen") or {}
    if irq in (gx.get("irqs") or {}) or irq not in s.world.get("irqs", {}):
        return -1
    w = p.writer_at(PK.key(PK.IRQVEC, irq), cursor)
    return w if 0 <= w < HOT and p.code(w) == C.GUEST else -1


#: irq descriptor fields an irq's allocation sets (what ``_irq_allocated`` answers when nothing wrote them)
_IRQ_FIELDS = frozenset({PK.IRQPEND, PK.IRQDIS, PK.IRQACT, PK.MOVEPEND})
#: events read back from an irq's first vector assignment for its allocation
ALLOC_SCAN = 20_000
_ALLOC_KINDS = frozenset({"irq.alloc", "vector.assign", "xen.irq"})


def _irq_allocated(s: Any, p: Prov, irq: int, cursor: int) -> int | None:
    """The event that made irq ``irq``'s descriptor during the run: a Xen pirq irq's ``xen.irq``; else
    its ``irq.alloc`` (before 4.15 the allocation's ``vector.assign``, the irq's earliest), read back
    from the irq's first recorded vector assignment (or the cursor), at most ``ALLOC_SCAN`` events.
    None when nothing is found (an irq of the initial state)."""
    x = _xen_irq_made(s, p, irq, cursor)
    if x >= 0:
        return p.event(x)
    w = p.writer_at(PK.key(PK.IRQVEC, irq), cursor)
    first = -1
    for _ in range(SETTER_WALK):
        if w < 0:
            break
        first, w = w, p.prev(w)
    hi = p.event(first) if first >= 0 else cursor
    stop = max(1, hi - ALLOC_SCAN)
    earliest = None
    while hi >= stop:
        lo = max(stop, hi - 511)
        for ev in reversed(s.events(lo, hi + 1)):
            if ev.kind in _ALLOC_KINDS and ev.fields.get("irq") == irq:
                if ev.kind == "irq.alloc":
                    return int(ev.index)
                earliest = int(ev.index)
        hi = lo - 1
    return earliest


def _isr_cleared(s: Any, b: Builder, accept: int, path: str) -> Link | None:
    """The ISR bit ``accept`` set is clear at the cursor: the interrupt path records no EOI (it
    would cost a record per delivered interrupt), so the event that cleared it is the bit's last
    change (``last_change``), shown as the answer's first link; the accept follows."""
    at = b.p.event(accept)
    cpu, vector = (b.p.key(accept) & PK.PAYLOAD) >> 8, b.p.key(accept) & 0xFF
    # the handler's EOI usually follows the accept closely: read the log forward first (cheap),
    # then let last_change (a backward replay, never past the accept) find any other clearing
    e = _scan_forward(s, at, lambda ev: ev.kind == "apic.eoi" and ev.cpu == cpu and ev.fields.get("vector") == vector)
    if e is None:
        e = s.last_change(path, limit=max(s.cursor - at, 1))
    if e is None or e <= at:
        return None
    ev = s.event(e)
    b.budget -= 1
    cpu = ev.cpu
    stack = b.stack_at(e, cpu) if b.stack_at is not None and cpu is not None else []
    if ev.kind == "apic.eoi":
        link, reason = "eoi", f"CPU{cpu} EOI: {path} cleared"
    else:
        link, reason = "event", f"{ev.kind} {ev.describe()}".strip() + f": {path} cleared"
    return Link(e, ev.time_ns, ev.kind, link, cpu, ev.dev, whytext.actor(ev, "irq", cpu), path, 0, stack, reason)


_CPU_SPACES = frozenset({PK.IRR, PK.ISR, PK.VECIRQ, PK.ONLINE, PK.WAIT, PK.IOREQ, PK.READBACK, PK.UPCALL,
                         PK.CALLBACK, PK.APICOFF})
_MSIX_SPACES = frozenset({PK.REG, PK.MSG, PK.LATCH, PK.PBA, PK.QENTRY, PK.QPIRQ, PK.HOSTMASK, PK.MSIXCTRL,
                          PK.MSIXMASKS, PK.MSIXTBL})
_MSI_SPACES = frozenset({PK.MSIREG, PK.MSIMSG, PK.MSILATCH, PK.MSIPEND})


def _check_path(w: dict[str, Any], text: str, space: int, devname: str | None, a: int, c: int) -> None:
    """A tracked path that names something the world does not have is an error, not 'initial'."""
    if space in _CPU_SPACES:
        n = len(w["cpus"])
        if not 0 <= a < n:
            raise WhyError(f"{text}: no CPU {a} (expected 0..{n - 1})")
        if space in (PK.IRR, PK.ISR, PK.VECIRQ) and not 0 <= c < 256:
            raise WhyError(f"{text}: no vector {c:#x} (expected 0x0..0xff)")
        if space in (PK.UPCALL, PK.CALLBACK) and "upcall" not in w["cpus"][a]:
            raise WhyError(f"{text}: only a xen-pv vCPU has an event callback (expected a xen-pv platform)")
        if space in (PK.IRR, PK.ISR) and "upcall" in w["cpus"][a]:
            raise WhyError(f"{text}: a xen-pv vCPU takes its event channel upcall at the event callback, not "
                           f"through a local APIC vector (expected cpus[{a}].upcall)")
    elif space in (PK.PIRQ, PK.PTBIND, PK.PIRQPORT):
        x = w.get("xen")
        if not isinstance(x, dict):
            raise WhyError(f"{text}: this run has no Xen pirqs (expected a xen-hvm or xen-pv platform)")
        n = x["nr_pirqs"]
        if not 0 <= a < n:
            raise WhyError(f"{text}: no pirq {a} in the domain (expected 0..{n - 1}: xen.nr_pirqs is {n})")
    elif space in (PK.IOAPICMASK, PK.IOAPICRIRR) and a not in (w.get("ioapic") or {}):
        pins = sorted(w.get("ioapic") or {})
        raise WhyError(f"{text}: no IO-APIC entry {a} in this run (expected "
                       + (f"one of: {', '.join(map(str, pins))})" if pins else "a device with an intx: pin on bare metal)"))
    elif space == PK.INTXPEND:
        x = w.get("xen")
        m = sorted(((x.get("intx") or {}).get("m") or {}) if isinstance(x, dict) else {})
        if a not in m:
            raise WhyError(f"{text}: no machine GSI {a} bound to the guest (expected "
                           + (f"one of: {', '.join(map(str, m))})" if m else "a Xen guest's passthrough INTx pin)"))
    elif space in (PK.IRQVEC, PK.MOVEPEND, PK.IRQACT, PK.IRQPEND, PK.IRQDIS, PK.MSHUT) and a not in w["irqs"]:
        raise WhyError(f"{text}: no irq {a} at the cursor (expected {_irqs_near(w['irqs'], a)})")
    elif devname is not None:
        dev = w["devices"][devname]
        if space in _MSIX_SPACES:
            table = (dev.get("msix") or {}).get("table")
            if table is None:
                raise WhyError(f"{text}: {devname} has no MSI-X capability")
            if space not in (PK.MSIXCTRL, PK.MSIXMASKS, PK.MSIXTBL) and not 0 <= a < len(table):
                raise WhyError(f"{text}: {devname} has no MSI-X entry {a} (expected 0..{len(table) - 1})")
        elif space in _MSI_SPACES and not dev.get("msi"):
            raise WhyError(f"{text}: {devname} has no MSI capability")


#: at most this many irq numbers are named by a "no irq N" error
IRQS_NAMED = 6


def _irqs_near(irqs: Any, a: int) -> str:
    """The allocated irqs (from 16) for a "no irq N" error, one short line: all of them when few,
    else how many there are, their range and the few nearest ``a``."""
    have = sorted(i for i in irqs if i >= 16)
    if not have:
        return "an allocated irq: none allocated"
    if len(have) <= IRQS_NAMED:
        return "one of: " + ", ".join(map(str, have))
    near = sorted(sorted(have, key=lambda i: (abs(i - a), i))[:IRQS_NAMED])
    return (f"one of {len(have)} allocated irqs, {have[0]}..{have[-1]}; nearest: "
            + ", ".join(map(str, near)) + ", ...")


def _value_at(s: Any, path: str) -> Any:
    try:
        return s._compile(path).fn(s.eng)
    except Exception:  # noqa: BLE001 - a path the expression language cannot read shows no value
        return None


def _stack_reader(s: Any) -> Callable[[int, int | None], list[str]]:
    cache: dict[int, list[str]] = s.__dict__.setdefault("_why_stacks", {})

    def stack_at(e: int, cpu: int | None) -> list[str]:
        got = cache.get(e)
        if got is None:
            run = s.executed(e)
            got = whytext.describe_frames(run["frames"]) if run else []
            if len(cache) > 4096:
                cache.clear()
            cache[e] = got
        return got
    return stack_at


def causes(s: Any, hits: list[Hit]) -> list[list[int] | None]:
    """For each hit (from ``s.hits()``), the events of its default cause chain (None while a
    no-verify snapshot's history is not replayed, or without provenance)."""
    p: Prov = s.eng.prov
    if not s.history_ready or not p.on:
        return [None] * len(hits)
    p.flush()
    pos = _hit_positions(s)
    out: list[list[int] | None] = []
    for h in hits:
        r = p.hit_node(pos.get((h.event, h.name, h.detail), -1), h.event)
        if r < 0:       # no node of its own: the hit's event, as `why --hit` then explains it
            nodes = event_nodes(p, h.event) if 1 <= h.event <= s.total else []
            r = nodes[0] if nodes else -1
        # (an event without any node: `why` re-executes it to find what its context ran for; the
        # summary does not, and its cause is that one event -- docs/why.md)
        out.append(cause_events(p, r) if r >= 0 else [h.event])
    return out


def _hit_positions(s: Any) -> dict[tuple[int, str, str], int]:
    """(event, name, detail) -> position in the engine's hit log (which hands out fresh Hit records)."""
    pos: dict[tuple[int, str, str], int] = {}
    for j, h in enumerate(s.eng.hits):
        pos.setdefault((h.event, h.name, h.detail), j)
    return pos


def hit_devices(s: Any, hits: list[Hit]) -> list[str | None]:
    """The device each hit is about: its recorded node's key, else its event's device."""
    p: Prov = s.eng.prov
    ready = p.on and s.history_ready
    if ready:
        p.flush()
    pos = _hit_positions(s)
    out: list[str | None] = []
    for h in hits:
        r = p.hit_node(pos.get((h.event, h.name, h.detail), -1), h.event) if ready else -1
        dev = whytext._parts(p, p.key(r)).get("dev") if r >= 0 else None
        if dev is None and s.history_ready:
            ev = s.event(h.event)
            dev = ev.dev if ev is not None else None
        out.append(None if dev is None else str(dev))
    return out
