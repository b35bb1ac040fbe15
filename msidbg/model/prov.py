"""Provenance: which earlier event produced each value that a step used for a visible decision.

The model records, as it runs, small facts beside the event log (``provcodes`` has their
kinds, ``provkeys`` the values they are about):

* a **node**: at this event, this step set tracked value K (a table register, a latch, an IRR
  bit, a vector_irq slot, a pirq...) or something happened to it (a loss);
* its **dependencies**: the values it used, each resolved at that instant to the record that
  last wrote it.

``why`` (``msidbg.debugger.why``) walks these links; it never re-derives a story.

Where it lives: like the event log and the hit list, the store belongs to the engine
(``eng.prov``), is appended only when an event first executes (``eng.fresh``), and is rebuilt
by replaying the run (opening a snapshot replays its history). History is linear and
deterministic, so the "current writer" of a key is always the state after the last recorded
event -- exactly where new records are made.

Two logs, one numbering. **Cold** records (everything but the interrupt path) are four ints:
(event << 16 | kind, key, value or writer, previous writer of the key). **Hot** records -- a
message setting an IRR bit, an accept, an EOI, i.e. three per delivered interrupt -- are three
ints appended to a plain list (flushed into an array in blocks): (event << 24 | kind << 16 |
cpu << 8 | vector, previous writer of that IRR/ISR bit, the writer it consumed). A hot record's
number carries ``HOT``. Each key's history is the chain of "previous writer" links from ``cur``.
"""

from __future__ import annotations

from array import array
from operator import itemgetter
from typing import Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.cpu import executing
from msidbg.model.provkernel import HOT_PROGS, MOVE_PROGS, KernelDiff
from msidbg.model.provread import BIG, EV_SHIFT, HOT, Reader, _small
from msidbg.model.provstore import PAIR, QUAD, DepStore, Note, NoteStore, i64

__all__ = ["HOT", "HOT_PROGS", "NoProv", "Prov", "of"]

_CODES = C.CODES
_SHIFT, _IRR_SPACE, _ISR_SPACE = PK.SHIFT, PK.IRR, PK.ISR
_IRR = PK.IRR << 16      # hot keys in ``cur``: space << 16 | cpu << 8 | vector (small ints)
_ISR = PK.ISR << 16
_IRR_SET = C.IRR_SET << 16
_IRR_IPI = C.IRR_IPI << 16
_IRR_VMSI = C.IRR_VMSI << 16
_IRR_LEVEL = C.IRR_LEVEL << 16
_D_LINE = C.D_LINE
_ACCEPT = C.ACCEPT << 16
#: hot records are appended to a list (array.extend of a tuple costs four list extends) and moved
#: into the array in blocks of this many ints
HOT_BLOCK = 3 * 4096
#: a frame's (program, pc): a node's call stack is these, outermost first
_PROG_PC = itemgetter("prog", "pc")
#: per record kind: a node registered as its key's writer (``Code.writes``)
_WRITES = tuple(c.writes for c in _CODES)
_ACTION = PK.key(PK.ACTION, 0)
#: one cold record as the array's bytes (packing is cheaper than ``array.extend``'s per-item parse)
_REC = i64(4).pack
#: a node and one or two dependencies at once (Xen's interrupt path)
_REC2 = i64(8).pack
_REC3 = i64(12).pack
_UPCALL_KEY, _CALLBACK_KEY = PK.key(PK.UPCALL, 0), PK.key(PK.CALLBACK, 0)
_SPOLL_KEY = PK.key(PK.SPOLL, 0)
_UPCALL_CLEAR, _UPCALL_AGAIN = C.UPCALL_CLEAR, C.UPCALL_AGAIN


class Prov(Reader):
    """The provenance store of one engine's run (``eng.prov``)."""

    def __init__(self, eng: Any) -> None:
        self.eng = eng
        self.rec = array("q")
        self.hot: list[int] = []
        self.hot_arr = array("q")
        #: the number the next hot record gets
        self.nhot = HOT
        self.cur: dict[int, int] = {}
        #: irqs[n].pending_mask re-armed by irq_move_irq: key -> (the re-arm node, the request it applies)
        self.rearm: dict[int, tuple[int, int]] = {}
        self.dev_ids: dict[str, int] = {}
        self.dev_names: list[str] = []
        #: node record -> stack id (nodes made inside a kernel / QEMU program step)
        self.stacks: dict[int, int] = {}
        self.stack_ids: dict[tuple[Any, ...], int] = {}
        self.stack_list: list[tuple[Any, ...]] = []
        #: node record -> a note (a loss's reason, a fault, a kernel remark), or a (template, args)
        #: pair formatted when somebody reads it (``note``: the interrupt path's notes are lazy);
        #: packed and interned (``provstore``)
        self.notes = NoteStore()
        self._note_ids = self.notes.ids
        self._note_add = self.notes.rows.frombytes
        #: written key -> (what its last lazy note was checked by..., that note's id): ``message_write`` and
        #: ``cause_write`` (Xen's interrupt path) take a note's id from here without building its pair
        self._nids: dict[int, tuple[Any, ...]] = {}
        #: node record -> a value that does not fit the int64 array (a CPU mask of 64 CPUs or
        #: more: the array holds BIG there)
        self.big: dict[int, int] = {}
        #: hot record -> further dependencies (a route's remapping entry, a held signal), packed
        self.hot_deps = DepStore()
        self._hot_dep_add = self.hot_deps.rows.frombytes
        #: for each hit of ``eng.hits`` (same order), the last node recorded before it, or -1
        self.hit_nodes = array("q")
        self.last_node = -1
        self._pend: list[tuple[int, int, int]] = []
        self._pend_ev = -1
        #: the message the device sends in this step: (dependency kind, source key, its writer, the
        #: event, further dependencies or None)
        self.msg: tuple[int, int, int, int, list[tuple[int, int, int]] | None] = (0, 0, -1, -1, None)
        #: per CPU, the last node made in its process context (what an action returns after)
        self.proc_last: dict[int, int] = {}
        #: action -> the last node of its task while select_fallback_rq has placed it and it has not run yet
        self.task_last: dict[int, int] = {}
        #: action -> its nvme driver's vector-count node (``driver._chose``) until the probe binds
        self.chose: dict[int, int] = {}
        self.on = True
        #: the kernel state as of the last recorded step (``kernel_step_done`` diffs it)
        self.kdiff = KernelDiff(getattr(eng, "w", None))
        #: a program outside ``HOT_PROGS`` was entered since the last diff (``Model.on_push``)
        self.touched = False
        #: the frame of the step being diffed (``kernel_step_done``), for a handler's last step
        self.step_frame: dict[str, Any] | None = None
        #: the stack of a step that emitted no event, while its kernel changes are diffed
        self.step_stack: list[dict[str, Any]] | None = None
        #: event -> the number of cold records made by its steps before the one that emitted it, when
        #: such a step recorded kernel changes (``kernel_silent_step``): ``why`` of the event starts at
        #: the emitting step's nodes
        self.silent_upto: dict[int, int] = {}
        #: per vCPU, the guest program whose trapped read of Command QEMU answered last (``qemu.cfg_answer``): the
        #: same program's Command write is its read-modify-write (not a user-space raw write of a value)
        self.rmw_prog: dict[int, str] = {}
        #: the event in which Xen injects a vMSI (``evtchn.vmsi_deliver_pirq``): an IRR bit it sets is ``irr.vmsi``
        self.vmsi_ev = -1
        #: CPU -> the last expiry of poll_spurious_irq_timer there (``intx.on_spoll``): what its poll's steps run for
        self.poll_run: dict[int, int] = {}
        #: irq -> (its vector's writer as migrate_one_irq found it on the dying CPU, the deferred request
        #: irq_fixup_move_pending applied or -1): what the migration's steps link (``migrate_start``; whyheld12)
        self.migrating: dict[int, tuple[int, int]] = {}
        #: irq -> per entry of its ``pending_src``, the IRQS_PENDING node of the edge that added it (``entry.hand_over``)
        self.pend_src: dict[int, list[int]] = {}
        #: (cpu, irq) -> (the node of the first noted poll of that CPU's handle_fasteoi_irq on desc->lock, the writer of
        #: the interrupt it ran in then): the handler run after the release branches to it (``entry.spun_branch``)
        self.spun: dict[tuple[int, int], tuple[int, int]] = {}
        #: the IRR records of check_irq_resend's replay IPIs that carried a message msi_set_affinity retriggered
        #: (``disable.check_irq_resend``): a stray taken from such a bit links the IPI (``entry._sender_irr``; why30)
        self.stray_ipi: set[int] = set()
        #: irq -> note_interrupt's node that set its IRQS_SPURIOUS_DISABLED (``intx.note_window``): what a poll timer
        #: expiry links for it, whatever rewrote ``irqs[N].disabled`` since (why30)
        self.spur_off: dict[int, int] = {}
        #: an MSI-X entry's Vector Control key -> the last unmask of it the device did not decode (``xen.set_phys_mask``,
        #: Memory Space off): a signal its mask holds afterwards links it (why30)
        self.dropped_unmask: dict[int, int] = {}
        #: port -> the loss startup_pirq's eoi_pirq clear made of its pending events (``xen_events._startup_clear``): a
        #: remote vCPU's kicked upcall that finds the port cleared links it (why30)
        self.port_cleared: dict[int, int] = {}
        #: pCPU -> (the vCPU Xen's schedule() just switched in there, whose node the xen.sched event makes, and the
        #: (code, key, writer) links it takes: ``xensched._sched_deps``) (``xensched.on_item``; why31, why32)
        self.sched_in: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}
        #: the host pCPUs more than one vCPU shares (``xensched.migrate``): a vCPU woken on one while it is idle is a
        #: schedule-in node (``xensched._idle_in``; why32)
        self.shared: set[int] = set()
        #: pCPU -> the wake-up record whose tickle raised its next schedule() (``xensched._tickled``; why32)
        self.tickle: dict[int, int] = {}
        #: port -> remote vCPU kicks scheduled for it and not yet arrived (``evtchn.kick``): a clear_evtchn of the port
        #: meanwhile is a node the kicked upcall links (``evtchn.clear``; why32)
        self.kicks: dict[int, int] = {}
        #: device -> the action whose populate_msi_sysfs made its 'msi_irqs' group (before 5.17; ``msi.populate_sysfs``):
        #: another enable's -EEXIST links it (reconcile)
        self.sysfs_by: dict[int, int] = {}
        #: device -> the error node of a pci_disable_msix that stopped before 'dev->msix_enabled = 0' (pci_msix_shutdown's
        #: oops, ``msi.shutdown_mask``), until the flag is written again: an enable it refuses links it (why33)
        self.left_on: dict[int, int] = {}
        _hook_hits(eng, self)

    # -- keys ----------------------------------------------------------------------------------------
    def dev(self, name: str) -> int:
        i = self.dev_ids.get(name)
        if i is None:
            i = self.dev_ids[name] = len(self.dev_names)
            self.dev_names.append(name)
        return i

    def devname(self, i: int) -> str:
        return self.dev_names[i] if 0 <= i < len(self.dev_names) else f"dev{i}"

    def writer(self, key: int) -> int:
        """The current (last) writer record of ``key``, or -1."""
        return self.cur.get(_small(key), -1)

    def bit_writer(self, key: int, mask: int, walk: int = 64) -> int:
        """The write of register ``key`` that set the bits ``mask`` to the value they hold now: its last
        writer, or the earlier one whose write left those bits as they were (a Command write that
        changed Bus Master only did not decide Interrupt Disable). -1: none recorded."""
        w = self.writer(key)
        code = self.code(w) if 0 <= w < HOT else -1
        for _ in range(walk):
            prev = self.prev(w) if 0 <= w < HOT else -1
            if prev < 0 or prev >= HOT or self.code(prev) != code or (self.x(prev) ^ self.x(w)) & mask:
                break
            w = prev
        return w

    # -- recording (model side) -----------------------------------------------------------------------
    def dep(self, code: int, key: int) -> None:
        """The next node of this step used ``key`` (resolved to its writer now)."""
        eng = self.eng
        if eng.fresh and self.on:   # dep_writer with ``_small`` inlined (hot on Xen's interrupt path)
            s = key >> _SHIFT
            writer = self.cur.get(s << 16 | (key & 0xFFFF) if s == _IRR_SPACE or s == _ISR_SPACE else key, -1)
            if self._pend_ev != eng.cur:
                self._pend = []
                self._pend_ev = eng.cur
            self._pend.append((code, key, writer))

    def drop_pending(self) -> None:
        """Forget the dependencies noted so far for this step's next node (a node about something else comes
        first: ``xen.note_exhausted``'s refusal is about the pirq range, not the value its caller noted)."""
        self._pend = []

    def dep_writer(self, code: int, key: int, writer: int) -> None:
        """Like ``dep`` with the writer already known (e.g. captured earlier in the same step)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        if self._pend_ev != eng.cur:
            self._pend = []
            self._pend_ev = eng.cur
        self._pend.append((code, key, writer))

    def write(self, code: int, key: int, value: int = 0, *, ctx: bool = True, also: tuple[int, ...] = (),
              note: Note | None = None) -> int:
        """A node: this step set ``key`` (to ``value``). Pending dependencies attach to it, then the
        program context it ran in (its call stack, the action or interrupt it belongs to); ``also``
        are further keys the same step wrote (each gets an alias record pointing here); ``note``, a
        text or a ``(template, args)`` pair for ``str.format`` (formatted only when read).
        Returns the record number, or -1 when nothing is recorded (re-execution)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return -1
        s = key >> _SHIFT
        if s == _IRR_SPACE or s == _ISR_SPACE:
            return self._hot_write(code, key, value)
        now = eng.cur
        ev = now << EV_SHIFT
        rec, cur = self.rec, self.cur
        add = rec.frombytes
        r = len(rec) >> 2
        if not BIG < value < -BIG:
            self.big[r] = value
            value = BIG
        if _WRITES[code]:
            add(_REC(ev | code, key, value, cur.get(key, -1)))
            cur[key] = r
        else:
            add(_REC(ev | code, key, value, -1))
        self.last_node = r
        if self._pend_ev == now and self._pend:
            for dcode, dkey, w in self._pend:
                add(_REC(ev | dcode, dkey, w, -1))
            self._pend = []
        if ctx:
            self._context(now)
        for k in also:
            a = len(rec) >> 2
            add(_REC(ev | C.ALIAS, k, r, cur.get(k, -1)))
            cur[k] = a
        if note is not None:
            self.notes.add(r, note)
        return r

    def migrate_start(self, irq: int, applied: bool) -> None:
        """CPU offline is about to run migrate_one_irq for ``irq`` (``applied``: irq_fixup_move_pending handed it the
        deferred move): what its steps' nodes link -- the vector it moves off the dying CPU, the request it applies
        (pending_mask keeps no record of the clear: the request's node is still its key's writer)."""
        if self.eng.fresh and self.on:
            self.migrating[irq] = (self.cur.get(PK.key(PK.IRQVEC, irq), -1),
                                   self.cur.get(_small(PK.key(PK.MOVEPEND, irq)), -1) if applied else -1)

    def stack_only(self) -> None:
        """Attach the running call stack to the node just recorded (``write(..., ctx=False)``), no link to what the
        context runs for: an injected fault stays a root, shown where it fired (whyheld11)."""
        if self.eng.fresh and self.on:
            self._context(self.eng.cur, link=False)

    def _context(self, cur: int, link: bool = True) -> None:
        """Attach the running program context to the node just recorded: its call stack, and a link
        to what it runs for (the scenario action, the interrupt being handled, the guest's ioreq)."""
        k: Any = getattr(self.eng.model, "k", None)
        run = executing(k) if k is not None else None
        if run is None:
            return
        cpu, kind, stack = run
        if self.step_stack is not None:
            stack = self.step_stack     # a silent step's own stack (``kernel_silent_step``)
        elif not stack and kind == "irq" and self.step_frame is not None:
            stack = [self.step_frame]     # the handler's last step (``kernel_step_done``)
        sig = (cpu, kind, tuple(map(_PROG_PC, stack)))
        sid = self.stack_ids.get(sig)
        if sid is None:
            sid = self.stack_ids[sig] = len(self.stack_list)
            self.stack_list.append(sig)
        node = self.last_node
        self.stacks[node] = sid
        if not link:
            return
        if kind == "proc":
            self.proc_last[cpu] = node
            if self.migrating:
                self._migrated(cur, node, stack)
            action = k.cpu.proc.action
            if action is not None and action >= 0:   # (an action key is never a hot one)
                key = _ACTION | action
                self.rec.frombytes(_REC(cur << EV_SHIFT | C.D_ACTION, key, self.cur.get(key, -1), -1))
        elif kind == "irq" and stack:
            vector = stack[0]["locals"].get("vector")
            if isinstance(vector, int):   # the interrupt path's own step, or a routine it called
                code = C.D_IN_IRQ if stack[-1]["prog"] in HOT_PROGS else C.D_IN_IRQ_CTL
                self._link(cur, code, PK.key(PK.ISR, PK.cpu_vec(cpu, vector)))
            elif stack[0]["locals"].get("upcall"):     # xen-pv: the event callback Xen entered
                code = C.D_IN_IRQ if stack[-1]["prog"] in HOT_PROGS else C.D_IN_IRQ_CTL
                self._link(cur, code, PK.key(PK.CALLBACK, cpu))
            elif stack[0]["prog"] == "poll_spurious_irqs":     # the timer expiry this poll runs for (whyheld10)
                self.rec.frombytes(_REC(cur << EV_SHIFT | C.D_IN_POLL, _SPOLL_KEY, self.poll_run.get(cpu, -1), -1))
            for f in stack:     # a deferred move applied at ack time: the request behind it
                if f["prog"] in MOVE_PROGS and isinstance(f["locals"].get("irq"), int):
                    key = PK.key(PK.MOVEPEND, f["locals"]["irq"])
                    w = self.cur.get(_small(key), -1)
                    if w == node:
                        # the node re-arms the request (irq_move_irq's unmask_after after a refused move): it applies
                        # the request before it -- through any re-arms, the request itself (whyheld11: it linked
                        # itself, and a chain of re-arms would be one link per interrupt)
                        w = self.prev(node)
                        last = self.rearm.get(key)
                        if last is not None and last[0] == w:
                            w = last[1]
                        self.rearm[key] = (node, w)
                    self.rec.frombytes(_REC(cur << EV_SHIFT | C.D_MOVE, key, w, -1))
        elif kind == "qemu":
            serving = k.w.get("qemu", {}).get("serving")
            if serving is not None:
                self._link(cur, C.D_IOREQ, PK.key(PK.IOREQ, serving["cpu"]))

    def _migrated(self, cur: int, node: int, stack: list[dict[str, Any]]) -> None:
        """A node made inside migrate_one_irq: it links the irq's vector as the migration left it (the new vector a
        message write composes; not the vector node itself), the vector it moved off the dying CPU, and the deferred
        request it applies (whyheld12)."""
        for f in stack:
            irq = f["locals"].get("irq") if f["prog"] == "migrate_one_irq" else None
            if not isinstance(irq, int) or irq not in self.migrating:
                continue
            before, req = self.migrating[irq]
            add = self.rec.frombytes
            key = PK.key(PK.IRQVEC, irq)
            now = self.cur.get(key, -1)
            if now != before and now >= 0 and now != node:
                add(_REC(cur << EV_SHIFT | C.D_COMPOSED, key, now, -1))
            if before >= 0:
                add(_REC(cur << EV_SHIFT | C.D_MIGRATED, key, before, -1))
            if req >= 0:
                add(_REC(cur << EV_SHIFT | C.D_FIXUP_MOVE, PK.key(PK.MOVEPEND, irq), req, -1))
            return

    def _link(self, cur: int, code: int, key: int) -> None:
        """A dependency of the node just recorded (its dependencies are the last records)."""
        self.rec.frombytes(_REC(cur << EV_SHIFT | code, key, self.cur.get(_small(key), -1), -1))

    def kernel_step_done(self, w: Any, irq: bool, frame: dict[str, Any] | None = None, pc: int = -1,
                         stack: list[dict[str, Any]] | None = None) -> None:
        """After a kernel step: nodes for the kernel state it changed that no hook records
        (``provkernel``). An interrupt context that ran only the interrupt path's programs
        (``HOT_PROGS``) changed none of it and is not diffed. ``frame``: the frame the step ran in
        -- when it was the interrupt handler's last, the context's stack is empty by now and the
        nodes take their call stack and interrupt from it. With ``pc`` (the step that ran) and the
        context's ``stack``, the nodes take the step's own stack, as ``kernel_silent_step``'s do (a
        step that returned from its program -- ``clear_irq_vector`` in a deactivation -- is not
        shown as its caller's)."""
        if irq and not self.touched:
            return
        self.touched = False
        kd = self.kdiff
        if (kd.dirty_cpus or kd.dirty_irqs) and self.eng.fresh and self.on:
            if frame is not None and pc >= 0 and stack is not None:
                self.step_stack = _step_stack(stack, frame, pc)
            else:
                self.step_frame = frame
            try:
                kd.step(self, w)
            finally:
                self.step_frame = self.step_stack = None

    def kernel_silent_step(self, w: Any, stack: list[dict[str, Any]], frame: dict[str, Any], pc: int) -> None:
        """After a kernel step that emitted no event and marked kernel state dirty: its changes are
        diffed now, with the stack it ran in (``frame`` at ``pc``, under the frames below it) -- the
        event's later steps may have returned from its program (a deferred move refused in
        ``irq_move_irq``, diffed after the handler's EOI, took the EOI's stack). The marks are
        consumed; the event's last step is diffed as before (``kernel_step_done``)."""
        kd = self.kdiff
        if not (self.eng.fresh and self.on):
            # re-executed history (or no recording): nothing to record; the marks would only make
            # every later silent step call here
            kd.dirty_cpus.clear()
            kd.dirty_irqs.clear()
            kd.watch.clear()
            kd.mid.clear()
            return
        self.step_stack = _step_stack(stack, frame, pc)
        try:
            kd.step(self, w)
        finally:
            self.step_stack = None
        self.silent_upto[self.eng.cur] = len(self.rec) >> 2

    # -- the interrupt path (hot) ---------------------------------------------------------------------
    def sending(self, code: int, key: int, extra: tuple[tuple[int, int], ...] = ()) -> None:
        """The device puts a message on the bus, taken from ``key`` (a table entry, a latch, the MSI
        registers); ``extra`` are further (code, key) it depends on (e.g. a write the latch ignored)."""
        eng = self.eng
        if eng.fresh:
            cur = self.cur
            self.msg = (code, key, cur.get(key, -1), eng.cur,
                        [(c, k, cur.get(k, -1)) for c, k in extra] if extra else None)

    def message_dep(self) -> None:
        """Attach the message of this step (and what it depends on) to the next node."""
        code, key, _, ev, extra = self.msg
        if ev == self.eng.cur:
            self.dep(code, key)
            for dcode, dkey, dw in extra or ():
                self.dep_writer(dcode, dkey, dw)

    def add_to_message(self, code: int, key: int, writer: int) -> None:
        """One more dependency of the message of this step (a held signal it releases)."""
        m = self.msg
        if m[3] == self.eng.cur:
            self.msg = (*m[:4], [*(m[4] or ()), (code, key, writer)])

    def irr_set(self, cpu: int, vector: int) -> None:
        """The message of this step (or an IPI) set ``vector`` in ``cpu``'s IRR (hot path: the caller
        needs no check; ``NoProv`` replaces this with a no-op)."""
        eng = self.eng
        if not eng.fresh:
            return
        ev = eng.cur
        cur = self.cur
        cv = cpu << 8 | vector
        key = _IRR | cv
        r = self.nhot
        self.nhot = r + 1
        m = self.msg
        if m[3] == ev:
            self.hot.extend((ev << 24 | _IRR_SET | cv, cur.get(key, -1), m[1]))
            if m[4] or self._pend_ev == ev:
                self._hot_deps(r, ev, True)
        else:
            self.hot.extend((ev << 24 | (_IRR_VMSI if self.vmsi_ev == ev else _IRR_IPI) | cv, cur.get(key, -1), -1))
            if self._pend_ev == ev:
                self._hot_deps(r, ev)
        cur[key] = r

    def _hot_deps(self, r: int, ev: int, msg: bool = False) -> None:
        deps = list(self.msg[4] or ()) if msg and self.msg[3] == ev else []
        if self._pend_ev == ev:
            deps += self._pend
            self._pend = []
        if deps:
            self.hot_deps.add(r, deps)

    def accept(self, cpu: int, vector: int) -> None:
        """IRR -> ISR (and, implied, common_interrupt's lookup of the vector_irq slot). The ISR bit's
        clearing (EOI) is not recorded: ``why`` finds it by the bit's last change when asked."""
        eng = self.eng
        if not eng.fresh:
            return
        cur = self.cur
        cv = cpu << 8 | vector
        key = _ISR | cv
        r = self.nhot
        self.nhot = r + 1
        hot = self.hot
        hot.extend((eng.cur << 24 | _ACCEPT | cv, cur.get(key, -1), -1))
        cur[key] = r
        if len(hot) >= HOT_BLOCK:
            self.flush()

    # -- Xen's interrupt path (hot): the records ``dep``/``message_dep`` + ``write`` make, in one call ---
    # Preconditions (the callers' keys and kinds): ``key`` and the dependency keys are cold (not an
    # IRR/ISR bit), ``code`` writes its key (``Code.writes``), ``value`` fits the int64 array.
    def message_write(self, code: int, key: int, value: int, template: str, a: Any, b: int, c: int, d: int) -> None:
        """``message_dep()`` then ``write(code, key, value, ctx=False, note=(template, (a, b, c, d)))``. The
        note's id is cached by ``key`` (``_nids``): ``a`` and ``b`` must be the same for every write of a key
        (Xen's route: the device and entry its ``_XENQ`` key names); the pair is built and interned only when
        ``key`` was last noted with another template, ``c`` or ``d``."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        now = eng.cur
        cur = self.cur
        mcode, mkey, _, mev, extra = self.msg
        mw = cur.get(mkey, -1)      # (a message's key is a table entry, a latch or MSI registers: cold)
        rec = self.rec
        r = len(rec) >> 2
        ev = now << EV_SHIFT
        pend = self._pend_ev == now and self._pend
        if mev == now and not extra and not pend:
            rec.frombytes(_REC2(ev | code, key, value, cur.get(key, -1), ev | mcode, mkey, mw, -1))
        else:
            deps = list(self._pend) if pend else []
            if mev == now:
                deps.append((mcode, mkey, mw))
                deps += extra or ()
            self._records(ev, code, key, value, deps)
        cur[key] = r
        self.last_node = r
        n = self._nids.get(key)     # (the note's id, as ``NoteStore.add`` would find it: see ``_nid``)
        if n is not None and n[0] is template and n[1] == c and n[2] == d:
            nid = n[3]
        else:
            nid = self._nid(key, (template, (a, b, c, d)), (template, c, d))
        self._note_add(PAIR(r, nid))

    def _nid(self, key: int, note: Note, check: tuple[Any, ...]) -> int:
        """The id of ``note`` (interned as ``NoteStore.add`` does: a new one the first time it is seen),
        cached for ``key`` as ``(*check, id)``: ``message_write`` / ``cause_write`` compare their call's
        ``check`` with it before they take the id (the rest of the note is the key's own)."""
        nid = self._note_ids.get(note)
        if nid is None:
            nid = self.notes.intern(note)
        self._nids[key] = (*check, nid)
        return nid

    def cause_write(self, code: int, key: int, value: int, template: str, a: Any, b: int, c: int,
                    dcode: int, dkey: int, dcode2: int = 0, dkey2: int = 0) -> None:
        """``dep(dcode, dkey)`` [, ``dep(dcode2, dkey2)``] then ``write(code, key, value, ctx=False,
        note=(template, (a, b, c)))``. The note's id is cached by ``key`` as ``message_write``'s: ``c``
        must be the same for every write of a key (Xen's send: the port its ``_PORTPEND`` key names)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        now = eng.cur
        cur = self.cur
        rec = self.rec
        r = len(rec) >> 2
        ev = now << EV_SHIFT
        if self._pend_ev == now and self._pend:
            deps = [*self._pend, (dcode, dkey, cur.get(dkey, -1))]
            if dcode2:
                deps.append((dcode2, dkey2, cur.get(dkey2, -1)))
            self._records(ev, code, key, value, deps)
        elif dcode2:
            rec.frombytes(_REC3(ev | code, key, value, cur.get(key, -1), ev | dcode, dkey, cur.get(dkey, -1), -1,
                                ev | dcode2, dkey2, cur.get(dkey2, -1), -1))
        else:
            rec.frombytes(_REC2(ev | code, key, value, cur.get(key, -1), ev | dcode, dkey, cur.get(dkey, -1), -1))
        cur[key] = r
        self.last_node = r
        n = self._nids.get(key)     # (the note's id: see ``_nid``)
        if n is not None and n[0] is template and n[1] == a and n[2] == b:
            nid = n[3]
        else:
            nid = self._nid(key, (template, (a, b, c)), (template, a, b))
        self._note_add(PAIR(r, nid))

    def upcall_clear(self, cpu: int, again: bool) -> None:
        """A xen-pv upcall's ``evtchn_upcall_pending = 0`` (as it starts, or ``again`` in its loop): a node
        of ``cpus[cpu].upcall`` = 0 linked to the event callback Xen entered (what the upcall runs for).
        Once per delivered signal: one packed record pair, no note, no stack (the code has them)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        now = eng.cur
        cur = self.cur
        key, cb = _UPCALL_KEY | cpu, _CALLBACK_KEY | cpu
        code = _UPCALL_AGAIN if again else _UPCALL_CLEAR
        r = len(self.rec) >> 2
        ev = now << EV_SHIFT
        if self._pend_ev == now and self._pend:
            self._records(ev, code, key, 0, [*self._pend, (C.D_IN_IRQ, cb, cur.get(cb, -1))])
        else:
            self.rec.frombytes(_REC2(ev | code, key, 0, cur.get(key, -1), ev | C.D_IN_IRQ, cb, cur.get(cb, -1), -1))
        cur[key] = r
        self.last_node = r

    def _records(self, ev: int, code: int, key: int, value: int, deps: list[tuple[int, int, int]]) -> None:
        """A node's record and its dependencies' (the pending ones are taken)."""
        add = self.rec.frombytes
        add(_REC(ev | code, key, value, self.cur.get(key, -1)))
        for dcode, dkey, w in deps:
            add(_REC(ev | dcode, dkey, w, -1))
        self._pend = []

    def cause_ipi(self, dcode: int, dkey: int, cpu: int, vector: int, code: int = C.IRR_IPI) -> None:
        """``dep(dcode, dkey)`` then ``write(code, <cpu's IRR bit vector>, 1, ctx=False)`` (an IPI, or
        ``IRR_UPCALL``: Xen's event channel upcall vector)."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        ev = eng.cur
        cur = self.cur
        w = cur.get(dkey, -1)
        cv = (cpu << 8 | vector) & 0xFFFF
        r = self.nhot
        self.nhot = r + 1
        self.hot.extend((ev << 24 | code << 16 | cv, cur.get(_IRR | cv, -1), 1))
        cur[_IRR | cv] = r
        self.last_node = r
        if self._pend_ev == ev and self._pend:
            self.hot_deps.add(r, [*self._pend, (dcode, dkey, w)])
            self._pend = []
        else:
            self._hot_dep_add(QUAD(r, dcode, dkey, w))

    def level_irr(self, cpu: int, vector: int, keys: list[int]) -> None:
        """The IO-APIC's level entry set ``vector`` in ``cpu``'s IRR (``IRR_LEVEL``), linked to ``keys`` (the
        interrupt conditions driving the line, ``D_LINE``): ``cause_ipi``'s records, once per level interrupt."""
        eng = self.eng
        if not eng.fresh or not self.on:
            return
        ev = eng.cur
        cur = self.cur
        cv = (cpu << 8 | vector) & 0xFFFF
        r = self.nhot
        self.nhot = r + 1
        self.hot.extend((ev << 24 | _IRR_LEVEL | cv, cur.get(_IRR | cv, -1), 1))
        cur[_IRR | cv] = r
        self.last_node = r
        if len(keys) == 1 and not (self._pend_ev == ev and self._pend):
            k = keys[0]
            self._hot_dep_add(QUAD(r, _D_LINE, k, cur.get(k, -1)))
            return
        deps = [(_D_LINE, k, cur.get(k, -1)) for k in keys]
        if self._pend_ev == ev and self._pend:
            deps = [*self._pend, *deps]
            self._pend = []
        if deps:
            self.hot_deps.add(r, deps)

    def _hot_write(self, code: int, key: int, value: int) -> int:
        """A write of an IRR or ISR bit outside the interrupt path (an IPI, INIT, a retrigger)."""
        ev = self.eng.cur
        small = _small(key)
        r = self.nhot
        self.nhot = r + 1
        self.hot.extend((ev << 24 | code << 16 | (small & 0xFFFF), self.cur.get(small, -1), value))
        self.cur[small] = r
        self.last_node = r
        if self._pend_ev == ev and self._pend:
            self._hot_deps(r, ev)
        return r




def _step_stack(stack: list[dict[str, Any]], frame: dict[str, Any], pc: int) -> list[dict[str, Any]]:
    """The call stack a step ran in: ``frame`` at ``pc`` under the frames below it in ``stack`` (the
    context's stack after the step: frames it pushed are above ``frame``; if it returned, ``frame``
    is gone, and the callers that returned with it)."""
    here = {"prog": frame["prog"], "pc": pc, "locals": frame["locals"]}
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is frame:
            return [*stack[:i], here]
    return [*stack, here]


def _hook_hits(eng: Any, prov: Prov) -> None:
    """Note which node each hit belongs to: the model records a hit's node just before the hit."""
    plain = type(eng).hit

    def hit(name: str, detail: str) -> None:
        if eng.fresh:
            prov.hit_nodes.append(prov.last_node)
        plain(eng, name, detail)

    eng.hit = hit


class NoProv(Prov):
    """A store that records nothing (``new_engine(..., prov=False)``)."""

    def __init__(self, eng: Any) -> None:
        super().__init__(eng)
        self.on = False

    def sending(self, code: int, key: int, extra: tuple[tuple[int, int], ...] = ()) -> None:
        return

    def irr_set(self, cpu: int, vector: int) -> None:
        return

    def level_irr(self, cpu: int, vector: int, keys: list[int]) -> None:
        return

    def accept(self, cpu: int, vector: int) -> None:
        return

    def kernel_step_done(self, w: Any, irq: bool, frame: dict[str, Any] | None = None, pc: int = -1,
                         stack: list[dict[str, Any]] | None = None) -> None:
        return

    def upcall_clear(self, cpu: int, again: bool) -> None:
        return


def of(eng: Any) -> Prov:
    """The engine's provenance store."""
    p: Prov = eng.prov
    return p
