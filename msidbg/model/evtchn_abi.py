"""The event channel ABI: which pending port a vCPU's upcall serves next.

The guest picks the ABI once, at boot (``xen_init_IRQ``): FIFO when it asks for it
(``kernel.xen_fifo_events``, Linux 3.14+, unless booted with ``xen.fifo_events=0``) and Xen offers
EVTCHNOP_init_control (``platform.xen_evtchn_fifo``, Xen 4.4+); the 2-level ABI otherwise. The
world carries the choice as ``w.xen["abi"]`` and each ABI's state:

* 2-level (Xen ``common/event_2l.c``, Linux ``events_2l.c``): the pending and mask bits are the
  ports' own (``ch["pending"]``, ``ch["masked"]``); ``w.xen["sel"][v]`` is vCPU v's
  ``evtchn_pending_sel``: Xen sets a port's word bit there when the port becomes pending unmasked
  (or is unmasked pending), and marks the upcall only when that bit was clear. The guest's
  ``evtchn_2l_handle_events`` takes the selector with ``xchg`` and scans from the per-CPU position
  after the last port it served (``w.kernel["xen"]["rr"][cpu]`` = current_word_idx * 64 +
  current_bit_idx): the start word from that bit, the other selected words once, then the start
  word again from bit 0; each word's pending & unmasked & bound-here bits are read once when the
  scan reaches it (a port in that snapshot is handed to its irq even if it was cleared or masked
  since, as ``handle_irq_for_port`` does).
* FIFO (Xen ``common/event_fifo.c``, Linux ``events_fifo.c``): ``w.xen["fifo"][v]`` is vCPU v's
  queue. Xen keeps a queue and a READY bit per priority and Linux serves the highest-priority ready
  queue first; one queue is exact here because every port the model binds is a pirq port at
  EVTCHN_FIFO_PRIORITY_DEFAULT (7) -- the guest's only EVTCHNOP_set_priority is for its VIRQ_TIMER
  port, which the model does not bind (reading ``evtchn.fifo-one-priority``; tests/test_xen32.py) -- and
  ``w.xen["linked"]`` maps a LINKED port to the vCPU whose queue holds it.
  ``evtchn_fifo_set_pending`` links a pending, unmasked, unlinked port at the tail of its notify
  vCPU's queue (also when it was already pending: the guest unlinked it and has not cleared it yet)
  and marks the upcall only when the queue was empty (READY is set for a new head only; Xen's
  test_and_set of READY always finds it clear there, as the guest's handle_events xchg's it to 0
  before consuming and after each event -- so no READY bit is kept; tests/test_xen31.py). A port
  still linked stays where it is -- also when it was re-bound to another vCPU or closed. The
  guest's ``consume_one_event`` unlinks the head and hands it to its irq if it is pending and
  unmasked.

The per-vCPU pending index (``evtchn.pending_ports``) stays a derivation of the ports' bits; the
selector, the queues and the round-robin positions are world state (snapshots and time travel
carry them).
"""

from __future__ import annotations

from typing import Any

from msidbg.model.kernel.sw import sw_w

World = Any     # a world record (sim/rec.py WorldRec)
BITS_PER_WORD = 64            # BITS_PER_EVTCHN_WORD on x86-64
NR_2L = BITS_PER_WORD * BITS_PER_WORD   # EVTCHN_2L_NR_CHANNELS
_WORD = (1 << BITS_PER_WORD) - 1


def build(scn: Any, w: World) -> None:
    """PLATFORM_BUILDERS hook (after Xen's): the ABI the guest's xen_init_IRQ settles on."""
    x = w.get("xen")
    if x is None:
        return
    b = w["behaviour"]
    n = len(w.cpus)
    x["abi"] = "fifo" if sw_w(w, "xen_fifo_events") and b["xen_evtchn_fifo"] else "2l"
    x["sel"] = [0] * n                  # 2-level: each vCPU's evtchn_pending_sel
    x["fifo"] = [[] for _ in range(n)]  # FIFO: each vCPU's queue (EVTCHN_FIFO_PRIORITY_DEFAULT)
    x["linked"] = {}                    # FIFO: LINKED port -> the vCPU whose queue holds it
    w.kernel["xen"]["rr"] = [0] * n  # 2-level: per-CPU current_word_idx * 64 + current_bit_idx


def is_fifo(x: World) -> bool:
    return x["abi"] == "fifo"


# --- Xen's side: a port becomes deliverable -----------------------------------------------------------
def mark(eng: Any, x: World, port: int, vcpu: int) -> bool:
    """A pending, unmasked port is signalled to ``vcpu`` (the 2-level selector bit, or a FIFO
    link). Returns whether Xen marks the upcall pending (``vcpu_mark_events_pending``)."""
    if x["abi"] == "fifo":
        if port in x["linked"]:
            return False        # still LINKED (maybe on another vCPU's queue): it stays there
        q = x["fifo"][vcpu]
        q.append(port)
        x["linked"][port] = vcpu
        return len(q) == 1      # linked to an empty queue: a new head sets READY
    bit = 1 << (port // BITS_PER_WORD)
    sel = x["sel"]
    if sel[vcpu] & bit:
        return False
    sel[vcpu] |= bit
    return True


def busy(x: World, port: int) -> bool:
    """``evtchn_port_is_busy``: the port is still LINKED on a FIFO queue."""
    return port in x["linked"]


# --- the guest's side: what the upcall serves next -------------------------------------------------------
def signalled(x: World, vcpu: int) -> bool:
    """Whether ``vcpu``'s upcall has anything to look at: a selector bit (2-level) or a non-empty
    queue (FIFO). The upcall loops while this holds (``evtchn_upcall_pending``, which Xen sets
    exactly when it sets a selector bit or a new head)."""
    return bool(x["fifo"][vcpu] if x["abi"] == "fifo" else x["sel"][vcpu])


def l2_start(w: World, vcpu: int, loc: dict[str, Any]) -> None:
    """``evtchn_2l_handle_events``' entry: ``xchg`` the selector, read the round-robin position."""
    x = w.xen
    loc["words"] = x["sel"][vcpu]
    x["sel"][vcpu] = 0
    start = w.kernel["xen"]["rr"][vcpu]
    loc["start"] = start
    loc["w"] = start // BITS_PER_WORD
    loc["i"] = 0
    loc["bits"] = 0
    loc["inword"] = False


def l2_next(w: World, mine: set[int], vcpu: int, loc: dict[str, Any]) -> int:
    """The next port ``evtchn_2l_handle_events`` hands to ``handle_irq_for_port`` (0: it returns).
    Resumable: the loop's variables live in the frame's locals ``loc`` (read once into Python
    locals, written back when the scan stops: the frame holds the same values as a step-by-step
    update would leave)."""
    bits = loc["bits"]
    word = loc["w"]
    if not bits:
        start_word, start_bit = divmod(loc["start"], BITS_PER_WORD)
        words = loc["words"]
        inword = loc["inword"]
        i = loc["i"]
        ports = w.xen["ports"]
        while not bits:
            if inword:      # the inner loop of ``word`` ended: scan the start word twice, all others once
                inword = False
                if word != start_word or i:
                    words &= ~(1 << word)
                word = (word + 1) % BITS_PER_WORD
                i += 1
            if not words:
                loc["words"], loc["w"], loc["i"], loc["inword"] = words, word, i, inword
                return 0
            ahead = words & (_WORD << word) & _WORD
            if not ahead:   # nothing selected from here on: wrap to the beginning
                word = 0
                i += 1
                continue
            word = (ahead & -ahead).bit_length() - 1
            inword = True
            for port in mine:   # ``active_evtchns``: this word's pending, unmasked ports bound here
                if port // BITS_PER_WORD == word and not ports[port]["masked"]:
                    bits |= 1 << (port % BITS_PER_WORD)
            if word == start_word and not i:
                bits &= (_WORD << start_bit) & _WORD
        loc["words"], loc["w"], loc["i"], loc["inword"] = words, word, i, inword
    low = bits & -bits
    bit = low.bit_length() - 1
    loc["bits"] = bits & ~((low << 1) - 1)      # MASK_LSBS(pending_bits, bit + 1); none after bit 63
    nxt = (bit + 1) % BITS_PER_WORD             # next caller starts at last processed + 1
    w.kernel["xen"]["rr"][vcpu] = (word * BITS_PER_WORD + nxt) if nxt else \
        ((word + 1) % BITS_PER_WORD) * BITS_PER_WORD
    return word * BITS_PER_WORD + bit


def l2_more(x: World, mine: set[int], vcpu: int, loc: dict[str, Any]) -> bool:
    """Whether ``evtchn_2l_handle_events`` (and the upcall's loop around it) would hand any port to
    an irq if it went on: the rest of the word being scanned, an active port in a selected word not
    yet done, or a selector bit set since the ``xchg``."""
    if loc.get("bits") or x["sel"][vcpu]:
        return True
    words = loc.get("words", 0)
    if words:
        ports = x["ports"]
        for port in mine:
            if words >> (port // BITS_PER_WORD) & 1 and not ports[port]["masked"]:
                return True
    return False


def fifo_consume(x: World, vcpu: int) -> int:
    """``consume_one_event`` until one is handed to its irq: unlink the head of ``vcpu``'s queue;
    a port no longer pending, masked or closed is dropped from the queue and skipped. Returns the
    port to handle, 0 when the queue is empty."""
    q = x["fifo"][vcpu]
    linked, ports = x["linked"], x["ports"]
    while q:
        port = q.pop(0)
        del linked[port]        # clear_linked
        ch = ports.get(port)
        if ch is not None and ch["pending"] and not ch["masked"]:
            return port
    return 0


def next_port(x: World, mine: set[int], rr: list[int], vcpu: int) -> int:
    """The port ``vcpu``'s upcall would hand to an irq first if it ran now (0: none): the head of
    its queue that is pending and unmasked (FIFO), or the first selected, active port at or after
    the round-robin position, cyclically (2-level)."""
    ports = x["ports"]
    if x["abi"] == "fifo":
        for port in x["fifo"][vcpu]:
            ch = ports.get(port)
            if ch is not None and ch["pending"] and not ch["masked"]:
                return port
        return 0
    sel = x["sel"][vcpu]
    if not sel or not mine:
        return 0
    start = rr[vcpu]
    best, dist = 0, NR_2L
    for port in mine:
        if sel >> (port // BITS_PER_WORD) & 1 and not ports[port]["masked"]:
            d = (port - start) % NR_2L
            if d < dist:
                best, dist = port, d
    return best

