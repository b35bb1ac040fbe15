"""Shared pieces of the benchmarks: storm scenarios, the perfanchor reference runs, interleaving.

Every speed figure is a ratio measured in one run, interleaved with its reference
(reference A, msidbg, reference C, A, msidbg, C, ...), each run in a fresh process, so that
load on the shared machine affects both sides alike.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from msidbg.model.hits import IMPLEMENTED

HERE = Path(__file__).resolve().parent


def storm_yaml(devices: int, vectors: int, cpus: int, seconds: float, period_us: float,
               platform: str = "", passthrough: bool = False, first_fire_ns: int = 1_000_000,
               spread: bool = False, stagger_ns: int = 1500, costs: dict[str, int] | None = None) -> str:
    """A storm scenario: every vector of every NIC fires every ``period_us`` for ``seconds``.

    ``spread``: entry i of every device is requested with affinity CPU i (mod ``cpus``), as in
    the perfanchor workload; otherwise each device is probed on CPU d and the kernel's vector
    allocator places the vectors.
    """
    period_ns = round(period_us * 1000)
    count = int(seconds * 1e9 // period_ns)
    # a Xen HVM storm goes through pirqs and event channels: XENFEAT_hvm_pirqs, off by default from Xen 4.19
    pirqs = ", xen_hvm_pirqs: true" if platform == "xen-hvm" else ""
    lines = ["name: storm", f"cpus: {cpus}", *([f"platform: {{kind: {platform}{pirqs}}}"] if platform else [])]
    if costs:
        lines.append("costs: {" + ", ".join(f"{k}: {v}" for k, v in sorted(costs.items())) + "}")
    lines.append("devices:")
    pt = "passthrough: true, " if passthrough else ""
    for d in range(devices):
        lines.append(f'  nic{d}: {{bdf: "{d // 32:02x}:{d % 32:02x}.0", kind: nic, {pt}msix: {{table_size: {vectors}}}}}')
    lines.append("run:")
    for d in range(devices):
        if spread:
            lines.append(f"  - {{at: 0, on: {d % cpus}, do: alloc_vectors, dev: nic{d}, mode: msix, vectors: {vectors}}}")
            for v in range(vectors):
                lines.append(f"  - {{at: 0, on: {d % cpus}, do: request_irq, dev: nic{d}, vector: {v}, "
                             f"affinity: {v % cpus}}}")
        else:
            lines.append(f"  - {{at: 0, on: {d % cpus}, do: probe, dev: nic{d}, mode: msix, vectors: {vectors}}}")
    for d in range(devices):
        for v in range(vectors):
            start_ns = first_fire_ns + (d * vectors + v) * stagger_ns
            lines.append(f"  - {{at: {start_ns}, do: fire, dev: nic{d}, vector: {v}, count: {count}, "
                         f"every: {period_ns}ns}}")
    lines.append(f"breakpoints: [{', '.join(sorted(IMPLEMENTED))}]")
    return "\n".join(lines) + "\n"


def anchor_yaml(interrupts: int, platform: str = "") -> str:
    """The perfanchor workload in msidbg: 8 devices x 4 MSI-X vectors, 4 CPUs, entry i on CPU i,
    a signal every 4 us per device on average (each vector every 16 us), staggered so the 32
    vectors take turns every 0.5 us; the CPU's service time is 1 us as in the reference
    (interrupt entry 400 ns + EOI 100 ns + handler 500 ns), so CPUs are half busy."""
    per_vector = max(1, interrupts // 32)
    xen = platform.startswith("xen")
    return storm_yaml(8, 4, 4, per_vector * 16e-6, 16, platform=platform, passthrough=xen,
                      first_fire_ns=5_000_000 if xen else 1_000_000, spread=True, stagger_ns=500,
                      costs={"handler": 500})


def perfanchor() -> tuple[Path, str] | None:
    """(the perfanchor directory, the Python with SimPy) or None when not found.

    ``MSIDBG_PERFANCHOR`` and ``MSIDBG_ANCHOR_PYTHON`` override; otherwise the directory is
    ``shared/bench/perfanchor`` next to a parent of this checkout, the Python ``venv-anchor``.
    """
    env_dir, env_py = os.environ.get("MSIDBG_PERFANCHOR"), os.environ.get("MSIDBG_ANCHOR_PYTHON")
    found: Path | None = Path(env_dir) if env_dir else None
    py: str | None = env_py
    for parent in HERE.parents:
        if found is None and (parent / "shared/bench/perfanchor/bench.py").is_file():
            found = parent / "shared/bench/perfanchor"
        if py is None and (parent / "venv-anchor/bin/python").is_file():
            py = str(parent / "venv-anchor/bin/python")
    if found is None or py is None or not (found / "bench.py").is_file():
        return None
    return found, py


#: what the reference's ``bench.py IMPL instr N`` runs, timed in CPU seconds too (``cpu``: the
#: run's ``time.process_time``, as ``engine.measure`` times msidbg's; ``seconds`` stays wall)
REFERENCE = """
import json, sys, time
impl, n = sys.argv[1], int(sys.argv[2])
run = __import__({"A": "impl_a_simpy", "C": "impl_c_heapq"}[impl]).run
t0, c0 = time.perf_counter(), time.process_time()
res = run(n, True)
res.update(impl=impl, mode="instr", N=n, seconds=time.perf_counter() - t0, cpu=time.process_time() - c0)
print(json.dumps(res))
"""


def run_reference(impl: str, events: int) -> dict[str, Any]:
    """One perfanchor run (``A`` SimPy, ``C`` heapq) with instrumentation, in a fresh process:
    ``bench.py``'s run, timed in wall and CPU seconds."""
    where = perfanchor()
    assert where is not None
    out = subprocess.run([where[1], "-c", REFERENCE, impl, str(events)], cwd=where[0],
                         capture_output=True, text=True, check=True)
    res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    res["int_per_s"] = res["counts"]["ACCEPT"] / res["seconds"]
    res["int_per_cpu_s"] = res["counts"]["ACCEPT"] / res["cpu"]
    return res


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run ``benchmarks/<script> --child ARGS`` in a fresh process; it prints one JSON line."""
    out = subprocess.run([sys.executable, str(HERE / script), "--child", *args],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{script} --child {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def interleave(rounds: int, runs: Sequence[tuple[str, Callable[[], dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    """Run each of ``runs`` once per round, in order (A, msidbg, C, A, msidbg, C, ...)."""
    got: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in runs}
    for r in range(rounds):
        for name, fn in runs:
            got[name].append(fn())
            print(f"  round {r + 1}/{rounds} {name}: {got[name][-1].get('int_per_s', 0):,.0f} interrupts/s",
                  file=sys.stderr, flush=True)
    return got


def ratio_line(label: str, mine: list[float], theirs: list[float]) -> str:
    """Median ratio of per-round pairs (and the range), the honest summary of an interleaved run."""
    pairs = [m / t for m, t in zip(mine, theirs, strict=True)]
    return (f"{label}: {statistics.median(pairs):.2f}x (rounds {', '.join(f'{p:.2f}' for p in pairs)}; "
            f"medians {statistics.median(mine):,.0f} vs {statistics.median(theirs):,.0f} /s)")


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). ``ru_maxrss`` is not: after fork and exec a child
    starts with its parent's high-water mark, so a small child reports its parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
