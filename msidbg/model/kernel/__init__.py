"""The guest Linux kernel as programs: PCI/MSI core, irq core, x86 vector domain, hotplug.

Importing this package registers every kernel program (``msidbg.sim.program.PROGRAMS``).
"""

from . import (  # noqa: F401,E501  (register programs)
    driver,
    enable,
    entry,
    hotplug,
    irq,
    move,
    msi,
    msix,
    plug,
    remap,
    traps,
    vector,
)

# (the guest's Xen frontend, xen and xen_events, is imported with the Xen platforms: model/platforms.py)

# isort: split
from . import disable  # noqa: F401  (last: its event kinds are numbered after the others')

# isort: split
from . import amd_remap  # noqa: F401  (after disable, for the same reason)

# isort: split
from . import intx  # noqa: F401  (after amd_remap: its event kinds, and model/ioapic.py's, are numbered last)

# isort: split
from . import pm  # noqa: F401  (its event kind is registered by msidbg.model, after every other)
