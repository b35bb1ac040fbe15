"""Xen behaviour rows (``platform.<name>``; ``platform.xen`` selects a release).

Releases checked in xen-project/xen (``git tag --contains``) unless marked unconfirmed.
"""

from __future__ import annotations

from msidbg.behaviour import Change, Switch

ROWS: tuple[Switch, ...] = (
    Switch(
        "xen_msi_mask", "xen", ("direct", "combined"), "combined",
        "how Xen applies a guest's mask write to a bound MSI-X entry: straight to the physical "
        "entry (direct), or as a guest mask bit ORed with Xen's own, cleared when an event channel "
        "is bound to the pirq (combined)",
        initial="direct", kinds=("xen-hvm", "xen-pv"),
        history=(
            Change("4.6", "combined", "ad28e42bd1d2 x86/MSI: track host and guest masking separately + "
                   "84d6add5593d x86/MSI: fix guest unmasking when handling IRQ via event channel",
                   note="both first in RELEASE-4.6.0 (4.6.0-rc1)"),
        ),
    ),
)
