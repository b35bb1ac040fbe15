"""QEMU device-model behaviour rows (``platform.<name>``; ``platform.qemu`` selects a release,
or ``platform.xen`` implies the device model that Xen release runs HVM guests with).

qemu-xen releases checked in xen-project/qemu-xen (``git tag --contains``); qemu-traditional
in its hw/pass-through.c and hw/pt-msi.c.
"""

from __future__ import annotations

from msidbg.behaviour import Change, Switch

ROWS: tuple[Switch, ...] = (
    Switch(
        "qemu_unmap_pirq_on_msi_disable", "qemu", (False, True), True,
        "clearing MSI or MSI-X Enable makes xen-pt unbind and unmap every pirq of the device",
        initial=False, kinds=("xen-hvm",),
        history=(
            Change("qemu-xen-4.5", True, "c976437c7dba qemu-xen: free all the pirqs for msi/msix when driver "
                   "unload (QEMU 2.1; in qemu-xen-4.5.0-rc1 as 5ecf46031c)"),
        ),
        traditional=Change("qemu-traditional", False, "hw/pass-through.c pt_msixctrl_reg_write only records "
                           "the Enable bit; pt_msix_disable runs at device unregister"),
    ),
    Switch(
        "xen_pt_bind", "qemu", ("on-unmask", "on-write"), "on-unmask",
        "when xen-pt binds a pirq: on-unmask = a Vector Control write unmasks an updated entry "
        "while MSI-X is enabled, or Message Control gets Enable=1 with Function Mask=0; on-write = "
        "on the address/data write itself (hypothetical: no QEMU source does this)",
        hypothetical=("on-write",), kinds=("xen-hvm",),
        traditional=Change("qemu-traditional", "on-unmask", "hw/pt-msi.c pci_msix_writel: a Vector Control "
                           "write that unmasks with MSI-X enabled calls pt_msix_update_one; "
                           "pt_msixctrl_reg_write binds on Enable=1 with Function Mask=0"),
    ),
)
