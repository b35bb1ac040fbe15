"""redteam19's seeded random-scenario fuzz (bare metal, guest kernel side): random kernel releases
(legacy and matrix allocators, stables at the boundaries the held-out files pin), 1..16 CPUs, APIC
modes, VT-d / AMD-Vi / no remapping, MSI-X / MSI / INTx devices, hotplug, moves, disable/enable,
free/request. Each scenario that loads runs twice under the same seed; the run must end without an
internal error, account for every signal, and give the same events and state hash both times.

    python tests/heldout19/fuzz19.py --seed 19 --count 400

prints one line per problem and a summary line of counts. ``--hotplug`` (waits20) draws hotplug-heavy
runs instead: every CPU but the boot one taken offline and brought back, several times, around the
waits that depend on a CPU (doorbells with timeouts, moves whose cleanup goes to that CPU, the poll
timer, actions running on it); a run that hits the harness's bound names its agenda's kinds.

    python tests/heldout19/fuzz19.py --seed 20 --count 300 --hotplug"""

from __future__ import annotations

import argparse
import random
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from msidbg.errors import MsidbgError  # noqa: E402
from msidbg.model import new_engine  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402


def sleeper_lines(rng: random.Random, t: int, d: int, v: int, x: int,
                  back: list[tuple[int, int]]) -> list[str]:
    """The hotplug fuzzers' sleeper pattern: a driver asleep on CPU ``x`` (its irq disabled) while ``x``
    goes down; enable_irq wakes it, and ``x``'s next task is due later (waits20). Appends ``x``'s return to
    ``back`` (most of the time); the caller advances its time by 2 ms."""
    lines = [f"  - {{at: {t}, on: 0, do: disable_irq, dev: d{d}, vector: {v}}}",
             f"  - {{at: {t + 1000}, on: {x}, do: doorbell, dev: d{d}, vector: {v}, timeout: 3ms}}",
             f"  - {{at: {t + 2000}, on: 0, do: cpu_offline, cpu: {x}}}",
             f"  - {{at: {t + rng.choice([5000, 1_500_000])}, on: 0, do: enable_irq, dev: d{d}, vector: {v}}}",
             f"  - {{at: {t + 2_000_000}, on: {x}, do: doorbell, dev: d{d}, vector: {v}, timeout: 1ms}}"]
    if rng.random() < 0.7:
        back.append((t + rng.choice([1_000_000, 3_000_000]), x))
    return lines
from msidbg.sim.world import state_hash  # noqa: E402
from tests.conftest import cpu_step_budget  # noqa: E402

KERNELS = ["4.9", "4.9.226", "4.12", "4.13", "4.14.244", "4.14.245", "4.17", "4.18", "4.19.102", "4.19.316",
           "5.2.18", "5.4.60", "5.4.260", "5.8", "5.9", "5.10.59", "5.10.60", "5.13", "5.15", "5.16", "5.17",
           "6.1", "6.1.93", "6.5", "6.6", "6.11", "6.12", "6.15", "6.16"]
ROUTING = [None, None, "physical flat", "flat", "physical x2apic", "cluster x2apic"]
ACTIONS = ["probe", "probe", "fire", "fire", "fire", "set_affinity", "set_affinity", "cpu_offline", "cpu_online",
           "disable_irq", "enable_irq", "free_irq", "request_irq", "remove", "doorbell"]


#: --hotplug: offline / online drawn far more often (each offline of CPU N followed by its online, later)
HOTPLUG_ACTIONS = ["probe", "fire", "fire", "set_affinity", "cpu_offline", "cpu_offline", "cpu_online",
                   "disable_irq", "enable_irq", "request_irq", "free_irq", "doorbell", "doorbell"]


def scenario(rng: random.Random, hotplug: bool = False) -> str:
    cpus = rng.choice([2, 2, 3, 4, 4, 8] if hotplug else [1, 2, 2, 3, 4, 4, 6, 8, 12, 16])
    remap = rng.random() < 0.35
    plat = []
    if remap:
        plat.append("interrupt_remapping: true")
        if rng.random() < 0.4:
            plat.append("iommu: amd")
    routing = rng.choice(ROUTING)
    if routing:
        plat.append(f"apic_routing: {routing}")
    kern = [f'version: "{rng.choice(KERNELS)}"']
    if rng.random() < 0.1:
        kern.append(f"irqfixup: {rng.choice(['irqfixup', 'irqpoll'])}")
    lines = ["name: fuzz19", f"cpus: {cpus}", f"seed: {rng.randrange(100)}",
             f"schedule: {rng.choice(['ordered', 'ordered', 'random'])}"]
    if plat:
        lines.append("platform: {" + ", ".join(plat) + "}")
    lines.append("kernel: {" + ", ".join(kern) + "}")
    lines.append("devices:")
    ndev = rng.randint(1, 3)
    nvec = []
    intx_used = rng.random() < 0.25 and not remap
    for d in range(ndev):
        kind = rng.choice(["nic", "nic", "nvme", "generic", "xhci"])
        caps = []
        table = rng.choice([0, 1, 2, 4, 8, 17]) if d or rng.random() < 0.8 else 4
        msi = rng.choice([0, 0, 1, 2, 4, 8])
        if not table and not msi and not intx_used:
            table = 2
        if table:
            caps.append(f"msix: {{table_size: {table}}}")
        if msi:
            caps.append(f"msi: {{vectors: {msi}, per_vector_mask: {str(rng.random() < 0.5).lower()}}}")
        if intx_used:
            caps.append(f"intx: {{pin: A, gsi: {rng.choice([16, 17])}}}")
        if msi and rng.random() < 0.1:
            caps.append("quirks: [msi-message-low-bits]")
        lines.append(f'  d{d}: {{bdf: "00:{d + 3:02x}.0", kind: {kind}, {", ".join(caps)}}}')
        nvec.append(max(table, msi, 1))
    lines.append("run:")
    t = 0
    back: list[tuple[int, int]] = []     # --hotplug: (time, cpu) of the onlines owed
    for _ in range(rng.randint(6, 20) if hotplug else rng.randint(3, 14)):
        t += rng.choice([0, 1000, 10_000, 100_000, 500_000])
        act = rng.choice(HOTPLUG_ACTIONS if hotplug else ACTIONS)
        if hotplug and act == "cpu_offline" and cpus > 1:
            # mostly a non-boot CPU taken down by CPU0; sometimes any CPU (CPU0 too: refused before 6.5's
            # cpu0_hotplug) by any other
            gone = rng.randrange(1, cpus) if rng.random() < 0.7 else rng.randrange(cpus)
            by = 0 if gone else rng.randrange(1, cpus)
            if rng.random() < 0.3:
                by = rng.choice([c for c in range(cpus) if c != gone])
            lines.append(f"  - {{at: {t}, on: {by}, do: cpu_offline, cpu: {gone}}}")
            if rng.random() < 0.8:
                back.append((t + rng.choice([0, 1000, 50_000, 200_000, 1_000_000, 5_000_000]), gone))
            continue
        d = rng.randrange(ndev)
        on = rng.randrange(cpus)
        v = rng.randrange(nvec[d])
        if hotplug and act == "doorbell" and cpus > 1 and rng.random() < 0.3:
            # a driver asleep on CPU x (its irq disabled) while x goes down; enable_irq wakes it, x's next
            # task is due later
            x = rng.randrange(1, cpus)
            lines += sleeper_lines(rng, t, d, v, x, back)
            t += 2_000_000
            continue
        head = f"  - {{at: {t}, on: {on}, do: {act}"
        if act == "probe":
            mode = rng.choice(["msix", "msi", "any", "all"] + (["intx"] if intx_used else []))
            aff = f", affinity: {rng.randrange(cpus)}" if rng.random() < 0.3 else ""
            lines.append(f"{head}, dev: d{d}, mode: {mode}, vectors: {rng.randint(1, nvec[d] + 1)}{aff}}}")
        elif act == "fire":
            lines.append(f"  - {{at: {t}, do: fire, dev: d{d}, vector: {v}, count: {rng.randint(1, 30)}, "
                         f"every: {rng.choice([1, 3, 20])}us}}")
        elif act == "set_affinity":
            lines.append(f"{head}, dev: d{d}, vector: {v}, cpu: {rng.randrange(cpus)}}}")
        elif act in ("cpu_offline", "cpu_online"):
            if cpus > 1:
                lines.append(f"{head}, cpu: {rng.choice([c for c in range(cpus) if c != on] or [1])}}}")
        elif act in ("disable_irq", "enable_irq"):
            extra = ", unlazy: true" if act == "disable_irq" and rng.random() < 0.3 else ""
            lines.append(f"{head}, dev: d{d}, vector: {v}{extra}}}")
        elif act in ("free_irq", "request_irq"):
            lines.append(f"{head}, dev: d{d}, vector: {v}}}")
        elif act == "remove":
            lines.append(f"{head}, dev: d{d}}}")
        else:
            lines.append(f"{head}, dev: d{d}, vector: {v}, timeout: 1ms}}")
    for when, cpu in sorted(back):
        lines.append(f"  - {{at: {max(when, t)}, on: {1 if cpu == 0 else 0}, do: cpu_online, cpu: {cpu}}}")
    return "\n".join(lines) + "\n"


class EventCap(Exception):
    """The harness's own bound on one run's length (not an msidbg error)."""


def run_once(scn, seed: int):  # type: ignore[no-untyped-def]
    with cpu_step_budget(3_000_000):
        eng = new_engine(scn, seed)
        n = 0
        while eng.step():
            n += 1
            if n > 1_500_000:
                kinds = sorted({str(item[2]) for item in eng.agenda.values()})
                raise EventCap(f"more than 1,500,000 events at {eng.w.now} ns, agenda: {kinds}")
    return eng


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--hotplug", action="store_true", help="hotplug-heavy runs (waits20)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    counts = {"generated": 0, "rejected": 0, "ran": 0, "long": 0, "exceptions": 0, "accounting": 0,
              "nondeterministic": 0, "stuck": 0}
    for i in range(args.count):
        text = scenario(rng, args.hotplug)
        counts["generated"] += 1
        try:
            scn = load_scenario_text(text, "fuzz19.yaml")
        except MsidbgError:
            counts["rejected"] += 1
            continue
        try:
            a = run_once(scn, i)
            b = run_once(scn, i)
        except MsidbgError:
            counts["rejected"] += 1          # a world-build error (one line) is a refusal, not a crash
            continue
        except EventCap as e:
            counts["long"] += 1              # e.g. an INTx storm to "nobody cared": the harness's bound
            if args.hotplug:
                print(f"--- case {i}: {e}\n{text}")
            continue
        except Exception:  # noqa: BLE001
            counts["exceptions"] += 1
            print(f"--- case {i}: exception\n{text}{traceback.format_exc(limit=4)}")
            continue
        counts["ran"] += 1
        if any(act["state"] in ("queued", "running") for act in a.w["actions"]):
            counts["stuck"] += 1             # an action that never started or never ended (waits20)
            print(f"--- case {i}: an action left queued or running at the end\n{text}")
        for name, acct in a.w["acct"].items():
            if sum(acct["raised"]) != sum(acct["delivered"]) + sum(acct["lost"]):
                counts["accounting"] += 1
                print(f"--- case {i}: {name} raised != delivered + lost\n{text}")
        if (a.w["events"], state_hash(a.w)) != (b.w["events"], state_hash(b.w)):
            counts["nondeterministic"] += 1
            print(f"--- case {i}: two runs differ\n{text}")
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 1 if counts["exceptions"] or counts["accounting"] or counts["nondeterministic"] or counts["stuck"] else 0


if __name__ == "__main__":
    sys.exit(main())
