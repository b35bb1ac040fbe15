"""What a cause-chain link says: its value, its actor, its one-line reason, and the text rendering.

Reasons are generated from the record's kind (``model/provcodes.py`` holds the templates) and the
facts of the record and its event; nothing is written per scenario.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Any

from msidbg.model import provcodes as C
from msidbg.model import provkeys as PK
from msidbg.model.prov import Prov
from msidbg.sim.events import Event, format_ns
from msidbg.sim.program import PROGRAMS
from msidbg.sim.rec import MAPS

if TYPE_CHECKING:
    from msidbg.debugger.why import Link, Why

SLOTS = {-1: "UNUSED", -2: "SHUTDOWN", -3: "RETRIGGERED", -4: "CLEANUP", -5: "CASCADE (irq 2)"}
_HEX_CODES = {C.TABLE, C.TABLE_LIVE, C.MSI_REG, C.MSIX_CTRL, C.MSI_LATCH}


def describe_frames(frames: tuple[tuple[str, int], ...] | list[Any]) -> list[str]:
    """``prog+step`` for each (program, pc), innermost first."""
    out = []
    for prog, pc in reversed(list(frames)):
        p = PROGRAMS.get(prog)
        out.append(f"{prog}+{p.label_of(pc)}" if p is not None else f"{prog}+?")
    return out


def _parts(p: Prov, key: int) -> dict[str, Any]:
    """Device / index / CPU / vector named by a key."""
    s, pl = key >> PK.SHIFT, key & PK.PAYLOAD
    if s == PK.REG:
        return {"dev": p.devname(pl >> 20), "idx": (pl >> 4) & 0xFFFF}
    if s in PK._DEV_ENTRY:
        return {"dev": p.devname(pl >> 16), "idx": pl & 0xFFFF}
    if s in PK._DEV:
        return {"dev": p.devname(pl)}
    if s == PK.MSIREG:
        return {"dev": p.devname(pl >> 4)}
    if s in PK._CPU_VEC:
        return {"cpu": pl >> 8, "vec": f"{pl & 0xFF:#x}"}
    if s == PK.ONLINE:
        return {"cpu_key": pl}
    if s in (PK.IRQVEC, PK.MOVEPEND, PK.IRQACT, PK.IRQPEND):
        return {"irq": pl}
    return {}


def value(p: Prov, r: int, ev: Event | None) -> Any:
    """The value the record set (or the outcome's count)."""
    code, x = p.code(r), p.x(r)
    if code in (C.IRR_SET, C.ACCEPT, C.IRR_IPI, C.IRR_VMSI, C.IRR_UPCALL, C.IRR_LEVEL, C.PBA_SET, C.MSI_PEND):
        return 1
    if code in (C.EOI, C.PBA_CLEAR, C.PBA_DROP):
        return 0
    if code == C.LATCH:
        pl = p.key(r) & PK.PAYLOAD
        d, e = pl >> 16, pl & 0xFFFF
        return [p.x(w) if (w := p.writer_at(PK.key(PK.REG, PK.reg_payload(d, e, i)), p.event(r))) >= 0 else 0
                for i in range(3)]
    if code == C.ONLINE:
        return bool(x)
    if code == C.VEC_SLOT:
        return SLOTS.get(x, x)
    if code == C.IRQ_VECTOR:
        return x & 0xFF
    if code == C.MOVE_PENDING:
        return [c for c in range(x.bit_length()) if x >> c & 1]
    if code == C.ACT_START:
        return _action(ev, x)
    if code in (C.STRAY, C.TORN):
        return None
    return x


def _dev_of(ev: Event) -> str | None:
    return ev.dev


def _action(ev: Event | None, idx: int) -> str:
    if ev is None:
        return f"action {idx}"
    do, dev = ev.fields.get("do"), ev.dev
    if do is None and ev.kind == "xen.migrate":   # Xen's scheduler runs the vcpu_migrate action
        do = f"vcpu_migrate vCPU{ev.fields['vcpu']} -> pCPU{ev.fields['pcpu']}"
    return f"action {idx} ({do}{' ' + dev if dev else ''})"


def actor(ev: Event | None, kind: str | None, cpu: int | None, code: int = 0) -> str:
    if code in C.DEVICE and ev is not None:
        return f"device {_dev_of(ev)}"
    if code == C.ACCEPT and ev is not None:
        return f"CPU{ev.cpu} APIC"
    if kind == "proc":
        return f"CPU{cpu} process"
    if kind == "irq":
        return f"CPU{cpu} interrupt"
    if kind == "qemu":
        return "QEMU"
    if ev is None:
        return "-"
    k = ev.kind
    if k.startswith(("msi.", "dev.")):
        return f"device {ev.dev}"
    if k.startswith("apic."):
        return f"CPU{ev.cpu} APIC"
    if k.startswith(("xen.", "evtchn.")):
        return "Xen"
    if k.startswith("qemu."):
        return "QEMU"
    if k == "action.start":
        return "scenario"
    if k == "run.end":
        return "end of run"
    if ev.cpu is not None:
        return f"CPU{ev.cpu}"
    return f"device {ev.dev}" if ev.dev else "-"


#: register writes whose note, when they have one, names who wrote the register (the step's context did
#: not: xen-pv's pciback writes for the guest's pcifront request)
_BY_NOTE = frozenset({C.MSIX_CTRL, C.MSI_REG, C.CMD_WRITE})


def fields(p: Prov, r: int, ev: Event | None, val: Any, kind: str | None, cpu: int | None) -> dict[str, Any]:
    """Everything a reason template may name."""
    code, key, x = p.code(r), p.key(r), p.x(r)
    f: dict[str, Any] = {"path": PK.path(key, p.devname), "value": val, "note": p.note(r) or "",
                         "who": actor(ev, kind, cpu, code), "cpu": ev.cpu if ev else None}
    f["hex"] = f"{x:#x}" if isinstance(x, int) else x
    f.update(_parts(p, key))
    if ev is not None:
        f.setdefault("dev", ev.dev)
        f.setdefault("idx", ev.fields.get("index"))
        if code in (C.ACT_START, C.ACT_DONE):
            f["act"] = _action(ev, ev.fields.get("action", x))
    if code == C.ONLINE:
        f["online"] = "came online" if x else "went offline"
    if code == C.VEC_SLOT:
        f["slot"] = p.note(r) or (f"irq {x}" if x >= 0 else SLOTS.get(x, x))
    if code == C.IRQ_VECTOR:
        f["vector_of"], f["cpu_of"], f["vec_note"] = f"vector {x & 0xFF:#x}", x >> 8, ""
        if f["note"] and not x & 0xFF:      # a Xen pirq irq (provkernel.XEN_PIRQ_CPU)
            f["vector_of"], f["vec_note"] = "no x86 vector", f" ({f['note']})"
        elif f["note"]:                     # activate_reserved's warning (kernel/irq.py)
            f["vec_note"] = f": {f['note']}"
    if code == C.MOVE_PENDING:
        f["pend"] = ",".join(str(c) for c in range(x.bit_length()) if x >> c & 1)
    if code in _BY_NOTE and f["note"]:
        # the register's real writer as the model recorded it (xen-pv: "pciback in dom0 (its function, the
        # guest's request)"): the reason names all of it, the link's actor the writer
        f["who"], f["actor"] = f["note"], f["note"].split(" (", 1)[0]
    if code == C.MSIX_CTRL:
        f["msixctrl"] = f"Enable {x >> 15 & 1}, Function Mask {x >> 14 & 1}"
    if code == C.CMD_WRITE:
        f["pcicmd"] = f"Memory Space {x >> 1 & 1}, Bus Master {x >> 2 & 1}"
    return f


class _Fmt(string.Formatter):
    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        v = kwargs.get(key) if isinstance(key, str) else None
        return "?" if v is None else v


_FMT = _Fmt()


def reason(code: C.Code, f: dict[str, Any], relation: str | None) -> str:
    text = _FMT.format(code.text, **f)
    text = " ".join(text.split())
    return f"{relation}: {text}" if relation else text


HEX_LINKS = frozenset(C.CODES[c].name for c in (C.TABLE, C.TABLE_LIVE, C.MSIX_CTRL, C.MSI_REG, C.LATCH, C.MSI_LATCH,
                                                C.CMD_WRITE))


def fmt_value(v: Any, hexa: bool = False) -> str:
    if isinstance(v, MAPS):
        return "{" + ", ".join(f"{k}: {fmt_value(x, hexa)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(fmt_value(x, hexa) for x in v) + "]"
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "-"
    if isinstance(v, int) and (hexa or v > 0xFFFF or v < -0xFFFF):
        return f"{v:#x}"
    return str(v)


# --- text ------------------------------------------------------------------------------------------------
def render(why: Why, width: int = 100) -> str:
    """The answer as indented text: one header and one reason line per link, branches below;
    lines longer than ``width`` end in ``…`` (``width`` 0: never cut)."""
    lines = [f"why {why.target.get('text', '')}".rstrip()]
    _chain(why.chain, lines, "", width, set())
    return "\n".join(lines)


def seen_mark(lk: Link, shown: set[int]) -> str:
    """A node shown once more: where its first showing is. The default chain is built first, so a
    branch printed before the rest of the chain may repeat a node the chain shows below it."""
    return " (shown below)" if lk.record >= 0 and lk.record not in shown else " (shown above)"


def link_hex(lk: Link) -> bool:
    """Whether a link's value reads in hex: register contents and vectors (a register write,
    ``irqs[n].vector``, a remapping entry's vector); counts, irq and pirq numbers read in decimal."""
    p = lk.path or ""
    return lk.link in HEX_LINKS or p.endswith(".vector") or p.startswith("iommu.irte")


def link_value(lk: Link) -> str:
    """A link's value as its kind reads (``link_hex``)."""
    return fmt_value(lk.value, link_hex(lk))


def path_value(path: str, value: Any, chain: list[Link]) -> str:
    """A path's value for the answer's title, as the chain's link of the same path shows it (a whole
    MSI-X entry's title read ``data: 55`` above its link's ``data: 0x37``); with no such link, as a
    link of the path would read by its path alone."""
    for lk in chain:
        if lk.path == path:
            return fmt_value(value, link_hex(lk))
    return fmt_value(value, path.endswith(".vector") or path.startswith("iommu.irte"))


def link_head(lk: Link) -> str:
    if lk.link == "initial":
        return f"(initial state) {lk.path or ''}".rstrip()
    val = "" if lk.value is None else f" = {link_value(lk)}"
    return f"#{lk.event} {format_ns(lk.time_ns)} {lk.actor}  {lk.path or ''}{val}"


def _clip(text: str, width: int) -> str:
    return text if width <= 0 or len(text) <= width else text[: max(width - 1, 1)] + "…"


def _chain(chain: list[Link], lines: list[str], indent: str, width: int, shown: set[int]) -> None:
    for i, lk in enumerate(chain):
        mark = "└" if i == len(chain) - 1 else "│"
        lines.append(_clip(f"{indent}{'●' if i == 0 else mark} {link_head(lk)}", width))
        body = indent + ("  " if i == len(chain) - 1 else "│ ")
        lines.append(_clip(f"{body}  {lk.reason}" + (seen_mark(lk, shown) if lk.seen else ""), width))
        if not lk.seen and lk.record >= 0:
            shown.add(lk.record)
        if lk.stack:
            lines.append(_clip(f"{body}  at {' < '.join(lk.stack)}", width))
        for br in lk.branches:
            lines.append(_clip(f"{body}  ⑂ branch:", width))
            _chain(br, lines, body + "    ", width, shown)
