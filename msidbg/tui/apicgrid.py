"""Local APIC state per CPU as 16 x 16 vector grids of IRR and ISR, as styled spans. No Textual.

A CPU is a block of ``BLOCK`` lines: a header (TPR, PPR, highest IRR/ISR), a column header,
then one line per priority class (vector >> 4) with the IRR grid and the ISR grid side by
side. Spans carry style names ("set", "owned", "changed", "cursor", ...); the pane maps
them to its component classes.
"""

from __future__ import annotations

from typing import Any

from msidbg.model.hw import words_highest, words_test

World = dict[str, Any]
Span = tuple[str, str]
BLOCK = 18
LABEL = "    "
SET, OWNED, FREE = "■", "○", "·"


def ppr(cpu: dict[str, Any]) -> int:
    """Processor priority: the higher of the TPR and the highest in-service class."""
    top = words_highest(cpu["isr"])
    return max(cpu["tpr"] & 0xF0, top & 0xF0 if top >= 0 else 0)


def _hex(v: int) -> str:
    return f"{v:#04x}" if v >= 0 else "-"


def header(w: World, cpu: int) -> str:
    c = w["cpus"][cpu]
    state = 'online' if c['online'] else 'OFFLINE'
    if "upcall" in c:   # xen-pv: the upcall is vcpu_info's flag, taken at the event callback, no vector
        return (f"vCPU{cpu} {state}  xen-pv: evtchn_upcall_pending {c['upcall']} "
                f"mask {int(bool(c['proc']['irqs_off']))}  (no APIC vector)")
    return (f"CPU{cpu} apic {c['apic_id']} {state}  TPR {c['tpr']:#04x} "
            f"PPR {ppr(c):#04x}  top IRR {_hex(words_highest(c['irr']))} ISR {_hex(words_highest(c['isr']))}")


def _grouped(cells: str) -> str:
    return " ".join(cells[i:i + 4] for i in range(0, 16, 4))


GRID = len(_grouped("0" * 16))  # 19 columns: 16 vectors in groups of 4
IRR_AT = len(LABEL) + 4         # column where the IRR grid starts ("2x  " precedes it)
ISR_AT = IRR_AT + GRID + 6      # "  2x  " separates the grids


def column_header() -> str:
    digits = _grouped("".join(f"{i:x}" for i in range(16)))
    return f"{LABEL}IRR {digits}  ISR {digits}"


def grid_spans(w: World, cpu: int, cls: int, changed_irr: int, changed_isr: int,
               cursor: int | None) -> list[Span]:
    """Spans of one grid line: vectors cls*16 .. cls*16+15 in IRR, then in ISR."""
    c = w["cpus"][cpu]
    owners = c["vector_irq"]
    spans: list[Span] = [(f"{LABEL}{cls:x}x  ", "label")]
    for reg, changed, owned in (("irr", changed_irr, True), ("isr", changed_isr, False)):
        if reg == "isr":
            spans.append((f"  {cls:x}x  ", "label"))
        for v in range(cls * 16, cls * 16 + 16):
            if v & 3 == 0 and v & 15:
                spans.append((" ", ""))
            on = words_test(c[reg], v)
            glyph = SET if on else (OWNED if owned and v in owners else FREE)
            style = "set" if on else ("owned" if glyph == OWNED else "")
            if changed >> v & 1:
                style = "changed"
            if cursor == v:
                style = "cursor"
            spans.append((glyph, style))
    return spans


def block_spans(w: World, cpu: int, line: int, changed_irr: int = 0, changed_isr: int = 0,
                cursor: int | None = None, cpu_changed: bool = False) -> list[Span]:
    """Line ``line`` (0 .. BLOCK-1) of a CPU's block."""
    if line == 0:
        return [(header(w, cpu), "header-changed" if cpu_changed else "header")]
    if line == 1:
        return [(column_header(), "label")]
    return grid_spans(w, cpu, line - 2, changed_irr, changed_isr, cursor)


def vector_at(x: int, line: int) -> int | None:
    """The vector under column ``x`` of grid line ``line`` of a block (mouse hover), or None."""
    if line < 2:
        return None
    cls = line - 2
    for start in (IRR_AT, ISR_AT):
        off = x - start
        if 0 <= off < GRID and off % 5 != 4:
            return cls * 16 + (off // 5) * 4 + off % 5
    return None


def owner(w: World, cpu: int, vector: int) -> str:
    """What ``vector_irq[vector]`` on this CPU says, in words."""
    c = w["cpus"][cpu]
    slot = c["vector_irq"].get(vector)
    where = f"CPU{cpu} vector {vector:#04x}"
    bits = [n for n, reg in (("IRR", "irr"), ("ISR", "isr")) if words_test(c[reg], vector)]
    state = f" [{' '.join(bits)}]" if bits else ""
    if slot is None:
        return f"{where}{state}: unused (an arrival here is 'No irq handler for vector')"
    if slot == "CASCADE":
        return f"{where}{state}: irq 2 XT-PIC (the PIC cascade), no handler (an arrival is never EOI'd)"
    if isinstance(slot, str):
        return f"{where}{state}: {slot}"
    desc = w["irqs"].get(slot)
    if desc is None:
        return f"{where}{state}: irq {slot} (freed)"
    who = f"{desc['dev']} #{desc['index']}" if desc.get("dev") else "system"
    handler = desc.get("action") or "no handler"
    return f"{where}{state}: irq {slot} {desc['chip']} {who}, handler {handler}"
