"""Hook the Xen platforms (hypervisor, QEMU xen-pt, the guest's Xen frontend) into the foundation.

Everything goes through the registries: agenda handlers, end-of-run hooks, bus routes, the
kernel's config/MMIO accessors and the world builder. Nothing here runs on bare metal: imported on first use
(model/platforms.py).
"""

from __future__ import annotations

from typing import Any

from msidbg.model import build, bus, evtchn, evtchn_abi, qemu
from msidbg.model import kernel as _kernel  # noqa: F401  (the guest's Xen frontend registers itself)
from msidbg.model import xen as X
from msidbg.model import xencite as _xencite  # noqa: F401  (citations of the Xen platforms)
from msidbg.model.kernel import pci


def register(agenda: dict[str, Any], finish: list[Any]) -> None:
    """Install the Xen platforms' hooks (idempotent)."""
    agenda["xen"] = evtchn.on_xen
    agenda["qemu"] = qemu.on_qemu
    if evtchn.finish not in finish:
        finish.append(evtchn.finish)
    for route in ("xen-hvm", "xen-pv"):
        bus.ROUTERS[route] = evtchn.route
    pci.ACCESSORS["xen-hvm"] = qemu.HvmAccessors
    pci.ACCESSORS["xen-pv"] = qemu.PvAccessors
    for hook in (X.build, evtchn_abi.build, qemu.build):
        if hook not in build.PLATFORM_BUILDERS:
            build.PLATFORM_BUILDERS.append(hook)
    # an HVM guest's passthrough INTx: its build after Xen's (w.xen) (its event kind's code is kinds.ORDER's)
    from msidbg.model import xen_intx
    xen_intx.register()
