"""Seeded fuzz of Xen scenarios (xenred19): random xen-hvm / xen-pv worlds over Xen 4.0 .. 4.21, qemu-xen and
qemu-traditional, Linux 3.10 .. 6.12, native MSIs (APIC virtualization, 4.19+ without hvm pirqs) and pirqs,
several passthrough and emulated devices, driver / hotplug / vCPU-migration / instrumentation actions.

Each case is loaded (a refusal must be a one-line ``MsidbgError``), run to the end twice, and checked: no other
exception, every signal accounted for (raised == delivered + lost), the world plain data, and the same events
and state hash both times (determinism).

    python tests/heldout_xen19/fuzz_xen.py --cases 200 --seed 19

prints the counts and the first failures (their scenario text is written to /tmp/xenfuzz-*.yaml).
``--hotplug`` (waits20) draws hotplug-heavy runs: 2..4 vCPUs, vCPUs other than 0 taken offline (by vCPU0) and
mostly brought back later, around doorbells, moves, vCPU migrations and Xen's pirq paths; a run past the step
bound counts as ``bound`` and names its agenda's kinds.

    python tests/heldout_xen19/fuzz_xen.py --cases 200 --seed 20 --hotplug
"""

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
from msidbg.sim.world import check_plain, state_hash  # noqa: E402
from tests.heldout19.fuzz19 import sleeper_lines  # noqa: E402

XEN = ["4.0", "4.1", "4.1.3", "4.2", "4.3", "4.4", "4.4.3", "4.5", "4.6", "4.7", "4.8", "4.10", "4.12", "4.13",
       "4.14", "4.16", "4.17", "4.18", "4.19", "4.21"]
KERNEL = ["3.10", "3.14", "3.16", "4.4", "4.9", "4.14", "4.19", "5.4", "5.10", "5.11", "5.15", "6.1", "6.6", "6.12"]
HCALLS = ["PHYSDEVOP_get_free_pirq", "PHYSDEVOP_unmap_pirq", "EVTCHNOP_close"]


class Bound(Exception):
    """The harness's bound on one run's length (not an msidbg error)."""


HOTPLUG_ACTS = ["probe", "probe", "fire", "fire", "fire", "set_affinity", "request_irq", "disable_irq", "enable_irq",
                "cpu_offline", "cpu_offline", "cpu_online", "vcpu_migrate", "doorbell", "doorbell"]


def scenario(r: random.Random, n: int, hotplug: bool = False) -> str:
    kind = r.choice(["xen-hvm", "xen-hvm", "xen-pv"])
    xen = r.choice(XEN)
    cpus = r.randint(2, 4) if hotplug else r.randint(1, 4)
    plat = [f"kind: {kind}", f'xen: "{xen}"']
    major = tuple(int(p) for p in xen.split(".")[:2])
    if kind == "xen-hvm" and major >= (4, 5) and r.random() < 0.25:
        plat.append("apic_virtualization: true")
    if kind == "xen-hvm" and major >= (4, 19) and r.random() < 0.4:
        plat.append("xen_hvm_pirqs: true")
    lines = [f"name: xenfuzz{n}", f"cpus: {cpus}", f"seed: {r.randint(0, 999)}",
             f"schedule: {r.choice(['ordered', 'ordered', 'random'])}",
             "platform: {" + ", ".join(plat) + "}", f'kernel: {{version: "{r.choice(KERNEL)}"}}', "devices:"]
    ndev = r.randint(1, 3)
    nvec = []
    for d in range(ndev):
        caps = []
        table = r.randint(1, 4) if r.random() < 0.7 or d == 0 else 0
        msi = r.choice([1, 2, 4]) if r.random() < 0.5 or not table else 0
        if table:
            caps.append(f"msix: {{table_size: {table}}}")
        if msi:
            caps.append(f"msi: {{vectors: {msi}, per_vector_mask: {str(r.random() < 0.5).lower()}, "
                        f"addr64: {str(r.random() < 0.7).lower()}}}")
        pt = kind == "xen-pv" or r.random() < 0.8
        lines.append(f'  d{d}: {{bdf: "00:0{d + 4}.0", kind: nic, passthrough: {str(pt).lower()}, {", ".join(caps)}}}')
        nvec.append(max(table, msi))
    lines.append("run:")
    t = 0
    back: list[tuple[int, int]] = []
    for _ in range(r.randint(6, 20) if hotplug else r.randint(3, 16)):
        t += r.choice([0, 20_000, 100_000, 500_000])
        d = r.randint(0, ndev - 1)
        on = r.randint(0, cpus - 1)
        if hotplug:
            act = r.choice(HOTPLUG_ACTS)
            if act == "cpu_offline":
                gone = r.randint(1, cpus - 1)
                by = 0 if r.random() < 0.7 else r.choice([c for c in range(cpus) if c != gone])
                lines.append(f"  - {{at: {t}, on: {by}, do: cpu_offline, cpu: {gone}}}")
                if r.random() < 0.8:
                    back.append((t + r.choice([0, 1000, 50_000, 200_000, 1_000_000, 5_000_000]), gone))
                continue
        else:
            act = r.choice(["probe", "probe", "probe", "fire", "fire", "fire", "remove", "set_affinity", "free_irq",
                            "request_irq", "disable_irq", "enable_irq", "cpu_offline", "cpu_online", "vcpu_migrate",
                            "hypercall", "doorbell"])
        head = f"  - {{at: {t}, on: {on}, do: {act}"
        v = r.randint(0, nvec[d] - 1)
        if hotplug and act == "doorbell" and r.random() < 0.3:
            # a driver asleep on vCPU x (its irq disabled) while x goes down; enable_irq wakes it, x's next task later
            x = r.randint(1, cpus - 1)
            lines += sleeper_lines(r, t, d, v, x, back)
            t += 2_000_000
            continue
        if act == "probe":
            lines.append(f"{head}, dev: d{d}, mode: {r.choice(['msix', 'msi', 'any'])}, vectors: {r.randint(1, 4)}}}")
        elif act == "remove":
            lines.append(f"{head}, dev: d{d}}}")
        elif act == "fire":
            lines.append(f"  - {{at: {t}, do: fire, dev: d{d}, vector: {v}, count: {r.randint(1, 30)}, "
                         f"every: {r.choice(['700ns', '2us', '10us'])}}}")
        elif act == "doorbell":
            lines.append(f"{head}, dev: d{d}, vector: {v}, timeout: 1ms}}")
        elif act == "set_affinity":
            lines.append(f"{head}, dev: d{d}, vector: {v}, cpu: {r.randint(0, cpus - 1)}}}")
        elif act in ("free_irq", "request_irq", "disable_irq", "enable_irq"):
            lines.append(f"{head}, dev: d{d}, vector: {v}}}")
        elif act == "vcpu_migrate":
            lines.append(f"  - {{at: {t}, do: vcpu_migrate, vcpu: {r.randint(0, cpus - 1)}, pcpu: {r.randint(0, 7)}}}")
        elif act == "hypercall":
            op = r.choice(HCALLS)
            arg = "" if op == "PHYSDEVOP_get_free_pirq" else f", arg: {r.choice([1, 2, 100, 101])}"
            lines.append(f"{head}, op: {op}{arg}}}")
        elif cpus > 1:
            others = [c for c in range(cpus) if act == "cpu_online" or c != on]
            lines.append(f"{head}, cpu: {r.choice(others)}}}")
    for when, cpu in sorted(back):
        lines.append(f"  - {{at: {max(when, t)}, on: 0, do: cpu_online, cpu: {cpu}}}")
    return "\n".join(lines) + "\n"


def run(scn: object) -> tuple[int, str, object]:
    eng = new_engine(scn)
    n = 0
    while eng.step():
        n += 1
        if n > 300_000:
            kinds = sorted({str(item[2]) + (f" {item[3]}" if item[2] == "xen" else "") for item in eng.agenda.values()})
            raise Bound(f"more than 300,000 steps at {eng.w.now} ns, agenda: {kinds}")
    return eng.w["events"], state_hash(eng.w), eng.w


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--hotplug", action="store_true", help="hotplug-heavy runs (waits20)")
    a = ap.parse_args()
    r = random.Random(a.seed)
    tally = {"cases": 0, "refused": 0, "ran": 0, "bound": 0, "exceptions": 0, "nondeterministic": 0, "unaccounted": 0, "stuck": 0}
    fails: list[str] = []
    for n in range(a.cases):
        text = scenario(r, n, a.hotplug)
        tally["cases"] += 1
        try:
            scn = load_scenario_text(text, f"xenfuzz{n}.yaml")
        except MsidbgError as e:
            line = e.oneline()
            if "\n" in line or not line.startswith("msidbg: "):
                tally["exceptions"] += 1
                fails.append(f"{n}: bad refusal {line!r}")
            tally["refused"] += 1
            continue
        try:
            ev1, h1, w = run(scn)
            check_plain(w)
            if any(act["state"] in ("queued", "running") for act in w["actions"]):
                tally["stuck"] += 1      # an action that never started or never ended (waits20)
                fails.append(f"{n}: an action left queued or running at the end")
            for name, acc in w["acct"].items():
                if sum(acc["raised"]) != sum(acc["delivered"]) + sum(acc["lost"]):
                    tally["unaccounted"] += 1
                    fails.append(f"{n}: {name} raised != delivered + lost")
            ev2, h2, _ = run(load_scenario_text(text, f"xenfuzz{n}.yaml"))
            tally["ran"] += 1
            if (ev1, h1) != (ev2, h2):
                tally["nondeterministic"] += 1
                fails.append(f"{n}: two runs differ ({ev1} {h1} / {ev2} {h2})")
        except MsidbgError:
            tally["refused"] += 1      # a name checked when the world is built
        except Bound as e:
            tally["bound"] += 1
            fails.append(f"{n}: {e}")
            Path(f"/tmp/xenfuzz-{n}.yaml").write_text(text)
        except Exception:  # noqa: BLE001 -- the point: any other exception is a finding
            tally["exceptions"] += 1
            fails.append(f"{n}: {traceback.format_exc().strip().splitlines()[-1]}")
            Path(f"/tmp/xenfuzz-{n}.yaml").write_text(text)
    print(" ".join(f"{k}={v}" for k, v in tally.items()))
    for f in fails[:20]:
        print(" ", f)
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
