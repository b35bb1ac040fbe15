"""redteam31's random-combination fuzzer (on demand, not in the suite): valid bare-metal scenarios built at random
from revision 18's PM actions (pm_suspend to D3hot / D3cold, pm_resume, pm_freeze, pm_thaw, quirk
pm-no-soft-reset), CPU hotplug, affinity moves, free / request / disable / enable of irqs, free / alloc of
vectors and signal streams, over kernel releases 4.5 .. 6.17, 1 .. 40 CPUs, VT-d / AMD-Vi / no remapping, MSI-X,
multi-MSI and shared INTx devices. Each run must end (no event cap, no wall-clock limit), raise nothing but a
one-line ``MsidbgError`` (a refused file), and -- for every tenth seed -- give the same events twice.

    PYTHONPATH=. python tests/combo31.py --seeds 0:2000 [--out DIR] [--wall 20] [--events 400000]

Prints one line per failure (seed, kind, what) and a table at the end; a failing scenario is written to DIR.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from msidbg.errors import MsidbgError  # noqa: E402
from msidbg.model import new_engine  # noqa: E402
from msidbg.scenario import load_scenario_text  # noqa: E402

VERSIONS = ["4.5", "4.9", "4.12", "4.13", "4.14", "4.14.159", "4.14.160", "4.19", "4.19.90", "4.19.91", "5.4",
            "5.10", "5.15", "5.15.138", "5.15.139", "5.16", "5.16.20", "5.17", "5.17.1", "6.1", "6.6", "6.12",
            "6.16", "6.17"]
CPUS = [1, 2, 3, 6, 12, 40]


def _ver(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def scenario(seed: int) -> str:
    """One random valid-looking scenario as YAML text (flow style; the loader may still refuse it)."""
    r = random.Random(seed)
    ver = r.choice(VERSIONS)
    cpus = r.choice(CPUS)
    matrix = _ver(ver) >= (4, 15)
    ir = r.choice([None, None, "intel", "amd"]) if matrix else None
    plat: list[str] = []
    if ir:
        plat.append("interrupt_remapping: true")
        if ir == "amd":
            plat.append("iommu: amd")
    elif not matrix and cpus < 9:
        plat.append("apic_routing: physical flat")
    intx_ok = matrix and not ir
    devs: list[tuple[str, str, str, int]] = []            # (name, yaml, probe mode, vectors)
    n = r.randint(1, 3)
    for i in range(n):
        kind = r.choice(["nic", "nic", "nvme", "msi", "intx"] if intx_ok else ["nic", "nic", "nvme", "msi"])
        bdf = f"00:{5 + i:02x}.0"
        quirks = [q for q in ("pm-no-soft-reset", "msix-ctrl-reserved-bits") if r.random() < 0.2]
        q = f", quirks: [{', '.join(quirks)}]" if quirks else ""
        if kind == "nic":
            pin = f", intx: {{pin: A, gsi: {r.choice([16, 17])}}}" if intx_ok and r.random() < 0.3 else ""
            devs.append((f"eth{i}", f"{{bdf: \"{bdf}\", kind: nic, msix: {{table_size: 8}}{pin}{q}}}", "msix",
                         r.randint(1, 4)))
        elif kind == "nvme":
            qs = [x for x in quirks if x != "msix-ctrl-reserved-bits"] + (
                ["msix-ctrl-reserved-bits"] if "msix-ctrl-reserved-bits" in quirks else [])
            qq = f", quirks: [{', '.join(qs)}]" if qs else ""
            devs.append((f"nvme{i}", f"{{bdf: \"{bdf}\", kind: nvme, msix: {{table_size: 8}}{qq}}}", "", r.randint(2, 5)))
        elif kind == "msi":
            nv = r.choice([1, 2, 4])
            pvm = r.choice(["true", "false"])
            qq = ", quirks: [pm-no-soft-reset]" if "pm-no-soft-reset" in quirks else ""
            devs.append((f"d{i}", f"{{bdf: \"{bdf}\", kind: generic, msi: {{vectors: {nv}, per_vector_mask: {pvm}}}{qq}}}",
                         "msi", nv))
        else:
            devs.append((f"usb{i}", f"{{bdf: \"{bdf}\", kind: xhci, intx: {{pin: A, gsi: {r.choice([16, 17])}}}}}",
                         "intx", 1))
    run: list[str] = []
    for i, (name, _, mode, nv) in enumerate(devs):
        m = f", mode: {mode}" if mode else ""
        run.append(f"{{at: {i * 20}us, on: 0, do: probe, dev: {name}{m}, vectors: {nv}}}")
    for _ in range(r.randint(3, 10)):
        name, _, mode, nv = r.choice(devs)
        at = f"{r.randint(200, 6000)}us"
        on = r.randrange(cpus)
        vec = r.randrange(max(nv, 1))
        what = r.choice(["pm_suspend", "pm_resume", "pm_freeze", "pm_thaw", "cpu_offline", "cpu_online",
                         "set_affinity", "free_irq", "request_irq", "disable_irq", "disable_irq_nosync",
                         "enable_irq", "free_vectors", "alloc_vectors", "fire", "fire", "fire", "fire"])
        if what == "pm_suspend":
            st = r.choice(["d3hot", "d3cold"])
            run.append(f"{{at: {at}, on: {on}, do: pm_suspend, dev: {name}, state: {st}}}")
        elif what in ("pm_resume", "pm_freeze", "pm_thaw", "free_vectors"):
            run.append(f"{{at: {at}, on: {on}, do: {what}, dev: {name}}}")
        elif what in ("cpu_offline", "cpu_online"):
            if cpus > 1:
                run.append(f"{{at: {at}, on: 0, do: {what}, cpu: {r.randrange(1, cpus)}}}")
        elif what == "set_affinity":
            run.append(f"{{at: {at}, on: {on}, do: set_affinity, dev: {name}, vector: {vec}, cpu: {r.randrange(cpus)}}}")
        elif what == "alloc_vectors":
            m = f", mode: {mode}" if mode else ""
            run.append(f"{{at: {at}, on: {on}, do: alloc_vectors, dev: {name}{m}, vectors: {nv}}}")
        elif what == "fire":
            cnt, every = r.randint(1, 30), r.choice(["1us", "2us", "3us", "5us", "50us"])
            run.append(f"{{at: {at}, do: fire, dev: {name}, vector: {vec}, count: {cnt}, every: {every}}}")
        else:
            run.append(f"{{at: {at}, on: {on}, do: {what}, dev: {name}, vector: {vec}}}")
    lines = [f"name: combo31-{seed}", f"cpus: {cpus}", f"kernel: {{version: \"{ver}\"}}"]
    if plat:
        lines.append(f"platform: {{{', '.join(plat)}}}")
    lines.append("devices:")
    lines += [f"  {name}: {y}" for name, y, _, _ in devs]
    lines.append("run:")
    lines += [f"  - {a}" for a in run]
    return "\n".join(lines) + "\n"


def run_one(text: str, max_events: int, wall: float) -> tuple[str, Any]:
    """("refused", message) / ("ok", (events, acct)) / ("limit", why) / ("crash", traceback line)."""
    try:
        scn = load_scenario_text(text, "combo31.yaml")
    except MsidbgError as e:
        return "refused", str(e)
    try:
        eng = new_engine(scn, None)
        t0 = time.monotonic()
        n = 0
        while eng.step():
            n += 1
            if n >= max_events:
                return "limit", f"{n} events (virtual {eng.now if hasattr(eng, 'now') else '?'})"
            if n % 2000 == 0 and time.monotonic() - t0 > wall:
                return "limit", f"wall {wall}s at {n} events"
        return "ok", (len(eng.log), repr(eng.w.acct))
    except MsidbgError as e:
        return "refused", str(e)
    except Exception as e:  # noqa: BLE001 -- the point: any other exception is a finding
        return "crash", f"{type(e).__name__}: {e}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="0:500", help="A:B, the seeds A .. B-1")
    ap.add_argument("--out", default=None, help="where a failing scenario is written")
    ap.add_argument("--wall", type=float, default=20.0)
    ap.add_argument("--events", type=int, default=400_000)
    a = ap.parse_args(argv)
    lo, hi = (int(x) for x in a.seeds.split(":"))
    out = Path(a.out) if a.out else None
    counts: dict[str, int] = {}
    for seed in range(lo, hi):
        text = scenario(seed)
        kind, what = run_one(text, a.events, a.wall)
        if kind == "ok" and seed % 10 == 0:
            again = run_one(text, a.events, a.wall)
            if again != (kind, what):
                kind, what = "nondeterministic", f"{what[0]} vs {again[1][0] if again[0] == 'ok' else again}"
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("crash", "limit", "nondeterministic"):
            print(f"seed {seed}: {kind}: {what}", flush=True)
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                (out / f"combo31-{seed}.yaml").write_text(text)
    print(" ".join(f"{k} {v}" for k, v in sorted(counts.items())), flush=True)
    return 1 if any(k in counts for k in ("crash", "limit", "nondeterministic")) else 0


if __name__ == "__main__":
    sys.exit(main())
