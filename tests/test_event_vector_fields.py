"""Every event field that holds an interrupt vector is shown in hex, as the kernel, Xen and the SDM write
vectors: ux9 found ``ioapic.rte`` printing ``vector=33`` beside its own ``what=vector 0x21``."""
from __future__ import annotations

import msidbg.model  # noqa: F401 - registers every model's event kinds
from msidbg.sim import events


def test_every_vector_field_is_hex() -> None:
    fields = [(k.name, n, f) for k in events.all_kinds() for n, f in k.fields if n == "vector"]
    assert len(fields) > 5
    assert [(name, f) for name, _, f in fields if f != events.HEX] == []
