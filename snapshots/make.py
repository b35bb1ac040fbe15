"""Regenerate the example snapshots: one per seed bug, stopped at the breakpoint that shows it.

Each snapshot is what a reporter would attach to a bug: the cursor on the moment that shows the
bug, the scenario's breakpoints armed, and bookmarks (with notes) on the other moments worth
seeing. Scenarios that do not exist yet are skipped. Run after any model change (snapshots
are verified by replay, so a changed model makes the old files diverge):

    python snapshots/make.py [--check]

``--check`` only verifies the existing files (exit 1 if one is missing, stale or diverges).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from msidbg.debugger import Session
from msidbg.errors import MsidbgError
from msidbg.scenario import load_scenario

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE.parent / "scenarios"


@dataclass(frozen=True)
class Plan:
    """Where to stop (a breakpoint spec) and what to say there; ``marks`` are (name, spec, note)."""

    stop: str
    name: str
    note: str
    marks: tuple[tuple[str, str, str], ...] = field(default=())


PLANS: dict[str, Plan] = {
    "msix-write-while-unmasked": Plan(
        "msix-write-unmasked", "live-rewrite",
        "request_irq() -> irq_startup() unmasked entry 0 first (5.13); irq_setup_affinity() -> "
        "msi_set_affinity() now moves the irq to CPU0, the default affinity written after the vector was "
        "allocated, and rewrites the live entry (addr_lo first). The NIC latched the old message (CPU1, "
        "vector 0x21) when the entry went live and keeps using it.",
        (("default-affinity", "call write_default_affinity",
          "/proc/irq/default_smp_affinity becomes CPU0 after the driver allocated its vector: the irq keeps "
          "the affinity it copied at allocation (all CPUs), which activation will use"),
         ("entry-live", 'if event.kind == "msix.write" and event.reg == "ctrl" and event.value == 0',
          "irq_startup() clears the mask bit of entry 0: the latch-on-unmask device captures addr/data now"),
         ("cpu1-goes", "call cpu_down",
          "cpu_down for CPU1 starts (suspend does this): the old vector 0x21 the device still targets goes "
          "with it (5.13 does not even free it: irq_force_complete_move() only runs for irqs migrated off "
          "CPU1, and this one already targets CPU0)"))),
    "msi-torn-affinity-update": Plan(
        "msi-torn-message", "torn-message",
        "An affinity change wrote the address and the data of a non-maskable MSI as two separate writes; "
        "the device signalled between them with half the old and half the new message.",
        (("move-starts", "call irq_move_irq",
          "irq_move_irq() on the current target CPU applies the pending affinity: msi_set_affinity() "
          "assigns the new vector on the new CPU, then writes address and data as separate config writes"),)),
    "marvell-nvme-msi-blocked": Plan(
        "msi-blocked-by-msix-mask", "msi-blocked",
        "MSI-X setup failed after the early msix_mask_all(); the driver fell back to MSI, but this NVMe "
        "device honours the MSI-X mask bits while MSI-X is disabled, so its MSI message is suppressed.",
        (("early-mask", 'if event.kind == "msix.write" and event.reg == "ctrl" and event.value == 1',
          "msix_capability_init() masks every MSI-X entry before the irqs are set up (the early order)"),
         ("setup-fails", "call pci_msi_setup_msi_irqs",
          "setting up the MSI-X irqs fails (fault injected); the error path clears MSI-X Enable, "
          "the mask bits stay"))),
    "xen-hvm-msix-mask-late": Plan(
        "irq-lost", "signal-lost",
        "The late msix_mask_all() reached the device after QEMU had bound the pirq, and the guest's "
        "xen_pirq_chip unmask only unmasks the event channel: nothing clears the MSI-X mask bit again.",
        (("bind-on-restore", 'if event.kind == "qemu.bind_pirq"',
          "QEMU binds pirq 101 when da181dc974ad's masked update restores Vector Control 0: the entry "
          "was updated and is unmasked while MSI-X is enabled (QEMU's emulated table starts unmasked)"),
         ("late-mask", 'if event.kind == "msix.write" and event.reg == "ctrl" and event.value == 1',
          "the late msix_mask_all() goes through Xen's vMSI-X intercept, which (Xen <= 4.5) writes the "
          "guest's mask bit to the physical entry"))),
    "xen-pirq-reuse-nvme": Plan(
        "pirq-conflict", "pirq-conflict",
        "The guest re-used the pirq it read back from the emulated MSI-X entry (af42b8d12f8a); QEMU had "
        "unmapped it when MSI-X was disabled and Xen handed it to the other NVMe controller."),
}


def first_stop(s: Session, spec: str) -> int | None:
    """Arm ``spec`` (if needed), run from event 0 to its first stop; the event, or None."""
    armed = {b.spec: b.id for b in s.breakpoints}
    bp_id = armed.get(spec) or s.add_breakpoint(spec)
    s.seek(0)
    while (stop := s.continue_()).reason == "breakpoint":
        if stop.bp_id == bp_id:
            break
    if spec not in armed:
        s.remove_breakpoint(bp_id)
    return stop.event if stop.reason == "breakpoint" else None


def build(name: str, plan: Plan) -> Session:
    """The session for ``name`` at its stop, with bookmarks; raises MsidbgError if it never stops."""
    scn = load_scenario(str(SCENARIOS / f"{name}.yaml"))
    s = Session(scn)
    s.run()
    expected = list(scn.expect.hit) if scn.expect else []
    for hit in expected:
        h = next((h for h in s.eng.hits if h.name == hit), None) if hit != plan.stop else None
        if h is not None:
            s.seek(h.event)
            s.bookmark(f"first-{hit}", h.detail)
    for mark, spec, note in plan.marks:
        at = first_stop(s, spec)
        if at is not None:
            s.seek(at)
            s.bookmark(mark, note)
    spec = plan.stop
    if first_stop(s, spec) is None:
        fallback = next((h for h in expected if any(x.name == h for x in s.eng.hits)), None)
        if fallback is None or first_stop(s, fallback) is None:
            raise MsidbgError(f"{name}: breakpoint {spec!r} never fires (expected it to show the bug)")
        spec = fallback
    stop_id = next((b.id for b in s.breakpoints if b.spec == spec), None) or s.add_breakpoint(spec)
    s.seek(0)
    while s.continue_().bp_id != stop_id:
        pass
    s.bookmark(plan.name, plan.note)
    return s


def readme_line(name: str, s: Session) -> str:
    stop = s.last_stop
    marks = ", ".join(f"`{b.name}` (#{b.event})" for b in s.bookmarks)
    return f"| `{name}.msgpack` | `{stop.breakpoint}` at event {stop.event} | {PLANS[name].note} | {marks} |"


def update_readme(rows: dict[str, str]) -> None:
    """Rewrite the table between the README's markers: one row per snapshot that exists."""
    readme = HERE / "README.md"
    text = readme.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    old = {line.split("`")[1].removesuffix(".msgpack"): line for line in rest.partition(END)[0].splitlines()
           if line.startswith("| `")}
    old.update(rows)
    table = "\n".join(old[n] for n in PLANS if n in old and (HERE / f"{n}.msgpack").exists())
    readme.write_text(f"{head}{BEGIN}\n{TABLE_HEAD}\n{table}\n{END}{tail}")


BEGIN, END = "<!-- snapshots: written by make.py -->", "<!-- end of snapshots -->"
TABLE_HEAD = "| file | stopped at | what it shows | bookmarks |\n| --- | --- | --- | --- |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only verify the existing snapshots")
    args = ap.parse_args()
    bad = 0
    rows: dict[str, str] = {}
    for name, plan in PLANS.items():
        out = HERE / f"{name}.msgpack"
        if not (SCENARIOS / f"{name}.yaml").exists():
            print(f"skip {name}: scenarios/{name}.yaml does not exist yet")
            continue
        try:
            if args.check:
                s = Session.open(str(out))
                print(f"ok   {out.name}: verified at event {s.cursor}")
                continue
            s = build(name, plan)
            s.save(str(out))
            print(f"wrote {out.name}: stopped at {s.last_stop.breakpoint} (event {s.cursor})")
            rows[name] = readme_line(name, s)
        except MsidbgError as e:
            print(e.oneline(), file=sys.stderr)
            bad = 1
    if not args.check:
        update_readme(rows)
    return bad


if __name__ == "__main__":
    sys.exit(main())
