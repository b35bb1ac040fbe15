"""Red-team round 4: where the 4.15 matrix allocator put a managed irq (the 4.14/4.15 boundary)."""

from __future__ import annotations

import pytest

from tests.conftest import events_of, run_to_end, scenario

NVME = """
name: nvme-managed
cpus: 12
kernel: {version: "VERSION"}
devices:
  nvme0: {bdf: "00:04.0", kind: nvme, msix: {table_size: 8}}
run:
  - {at: 0, on: 0, do: probe, dev: nvme0, mode: msix, vectors: 5}
"""


@pytest.mark.parametrize(("version", "targets"), [
    ("4.14", [0, 3, 6, 9]),     # legacy: __assign_irq_vector, first online CPU of the mask
    ("4.15", [0, 3, 6, 9]),     # matrix, before the spread: cpumask_first in assign_managed_vector
    ("5.0", [2, 5, 8, 11]),     # matrix_find_best_cpu_managed: the last of equals
])
def test_managed_queue_placement_by_release(version: str, targets: list[int]) -> None:
    """Four I/O queues spread over 12 CPUs ({0,1,2} {3,4,5} {6,7,8} {9,10,11}). 4.15's
    assign_managed_vector() took cpumask_first() of the online mask and irq_matrix_alloc_managed(m,
    cpu) a reserved vector there; the spread over the CPU with the fewest managed vectors came later
    (``managed_spread``). Before the fix every matrix release spread, 4.15 included."""
    eng = run_to_end(scenario(NVME.replace("VERSION", version)))
    got = {e.fields["irq"]: e.fields["target"] for e in events_of(eng, "vector.assign")}
    # from 22b5560195bd (4.17, kernel.nvme_irq_layout: pre-vector) irq 24 is the admin queue's own
    # vector; before, the driver asks one managed vector per I/O queue and vector 0 (irq 24) is
    # shared by the admin queue and I/O queue 1
    queues = sorted(got)[1:] if version >= "4.17" else sorted(got)
    assert [got[i] for i in queues] == targets
