"""Managed interrupt affinity (kernel/irq/affinity.c, lib/group_cpus.c).

``irq_calc_affinity_vectors`` bounds how many vectors an affinity request may ask for;
``irq_create_affinity_masks`` gives the pre and post vectors a copy of irq_default_affinity
(not managed) and spreads the CPUs over the vectors in between (managed): group_cpus_evenly
on one NUMA node, every CPU present, no SMT siblings -- the first groups get one CPU more
when the CPUs do not divide evenly, consecutive CPU ids per group, CPUs offline at the time
included (from 4.13; before, ``kernel.affinity_spread_cpus: online``, only the CPUs online at
probe time are spread and counted, and vectors left over get irq_default_affinity). An affinity descriptor here is ``{"pre": n, "post": n, "calc_sets": bool}``;
``calc_sets`` marks a driver with its own set calculation (NVMe), which lifts the bound to
the number of possible CPUs.
"""

from __future__ import annotations

from typing import Any


def calc_vectors(minvec: int, maxvec: int, affd: dict[str, Any], ncpus: int) -> int:
    """irq_calc_affinity_vectors: 0 if the pre/post vectors do not fit ``minvec``."""
    resv = affd["pre"] + affd["post"]
    if resv > minvec:
        return 0
    set_vecs = maxvec - resv if affd["calc_sets"] else ncpus
    return resv + min(set_vecs, maxvec - resv)


def group_cpus_evenly(ngroups: int, cpus: list[int]) -> list[list[int]]:
    """One node, no siblings: ``ngroups`` groups over ``cpus`` in order; the first
    ``len(cpus) % ngroups`` groups take one CPU more; with more groups than CPUs the rest
    stay empty."""
    groups: list[list[int]] = [[] for _ in range(ngroups)]
    used = min(ngroups, len(cpus))
    if not used:
        return groups
    per, extra = divmod(len(cpus), used)
    pos = 0
    for g in range(used):
        take = per + (1 if g < extra else 0)
        groups[g] = cpus[pos:pos + take]
        pos += take
    return groups


def spread_cpus(w: dict[str, Any]) -> list[int]:
    """The CPUs the spread (and irq_calc_affinity_vectors) counts: every modelled CPU (present and
    possible), or before 4.13 (``affinity_spread_cpus: online``) cpu_online_mask at the time."""
    from msidbg.model.kernel.sw import sw_w

    if sw_w(w, "affinity_spread_cpus") == "online":
        return [c["id"] for c in w["cpus"] if c["online"]]
    return [c["id"] for c in w["cpus"]]


def create_masks(nvecs: int, affd: dict[str, Any], cpus: list[int], default: list[int],
                 rest_default: bool = False) -> list[list[Any]] | None:
    """irq_create_affinity_masks: ``[mask, is_managed]`` per vector, or None when nothing is
    left to spread after the pre and post vectors. More vectors than CPUs: the rest stay empty
    (kcalloc'ed masks), or with ``rest_default`` (4.8..4.12, whose loop stops at the last CPU and
    fills every vector after it from irq_default_affinity) get ``default``."""
    pre, post = affd["pre"], affd["post"]
    affvecs = nvecs - pre - post if nvecs > pre + post else 0
    if not affvecs:
        return None
    masks: list[list[Any]] = [[list(default), False] for _ in range(nvecs)]
    for j, group in enumerate(group_cpus_evenly(affvecs, cpus)):
        masks[pre + j] = [group if group or not rest_default else list(default), True]
    return masks


def default_affinity(w: Any) -> list[int]:
    """irq_default_affinity (/proc/irq/default_smp_affinity): every CPU unless changed."""
    mask = w.kernel.get("default_affinity")
    return list(mask) if mask is not None else [c.id for c in w.cpus]
