"""QEMU device-model behaviour rows (``platform.<name>``; ``platform.qemu`` selects a release,
or ``platform.xen`` implies the device model that Xen release runs HVM guests with).

qemu-xen releases checked in xen-project/qemu-xen (``git tag --contains``); qemu-traditional
in its hw/pass-through.c and hw/pt-msi.c at the xen-X.Y.Z tags of qemu-xen-traditional (a fork
that carries upstream's history to xen-4.8.0 is mirrored; the upstream repository is not), by the
Xen release whose tree carries the change (``traditional_history``) where the scenario names one.
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
        traditional=Change("qemu-traditional", True, "d0395cc4 qemu-xen-trad: free all the pirqs for msi/msix "
                           "when driver unloads (the last tree: pt_msixctrl_reg_write -> pt_msix_disable)"),
        traditional_initial=False,
        traditional_history=(
            Change("4.5", True, "d0395cc4 qemu-xen-trad: free all the pirqs for msi/msix when driver unloads "
                   "(\"the qemu-xen-trad version of qemu-xen-upstream 1d4fd4f0e2fc\")",
                   backports=("4.3.3", "4.4.1"),
                   note="first in xen-4.5.0-rc1 (git tag --contains); stable-4.4 6ae4e588 (xen-4.4.1-rc2, so "
                        "xen-4.4.1) and stable-4.3 8a7abb16 (xen-4.3.3-rc2, so xen-4.3.3), cherry-picks with the "
                        "same diff; before them (xen-4.3.2, xen-4.4.0) pt_msixctrl_reg_write only records Enable. "
                        "audit18: the record had no backports and said xen-4.4.4 lacked it -- xen-4.4.4's "
                        "pt_msixctrl_reg_write calls pt_msix_disable; qemu-xen-traditional xen-X.Y.Z tags, read in "
                        "the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)"),
        ),
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
    Switch(
        "qemu_msix_latch", "qemu", (False, True), True,
        "xen-pt's latched MSI-X table: address/data written to an unmasked entry are kept and take "
        "effect at the next unmask or enable (true); before it (false) such a write to an entry whose "
        "physical Vector Control is unmasked while MSI-X is enabled is dropped, and a Vector Control "
        "unmask rebinds with what QEMU stored",
        initial=False, kinds=("xen-hvm",),
        history=(
            Change("qemu-xen-4.7", True, "f0ada3608ac1 xen/MSI-X: latch MSI-X table writes (qemu-xen "
                   "b324ef9654, first in qemu-xen-4.7.0-rc1)",
                   note="not in qemu-xen-4.6.0/4.6.1 nor on stable-4.6"),
        ),
        traditional=Change("qemu-traditional", False, "hw/pt-msi.c pci_msix_writel: \"Can't update entry %d "
                           "since MSI-X is already enabled\" when the physical vec_ctrl is unmasked",
                           note="the drop on the physical Vector Control in every xen-4.0.0 .. xen-4.8.0 tag "
                                "(qemu-xen-traditional xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)); later trees not read"),
    ),
    Switch(
        "qemu_writes_phys_mask", "qemu", (False, True), False,
        "after every guest Vector Control write the device model writes the guest's mask bit to the "
        "physical entry (mask_physical_msix_entry of the 2008 tools/ioemu hw/pt-msi.c, Xen 3.3): "
        "in no qemu-xen, and no longer in the last qemu-traditional (its table mapping is read-only)",
        initial=False, kinds=("xen-hvm",),
        traditional=Change("qemu-traditional", False, "hw/pt-msi.c pci_msix_writel stores the value and "
                           "calls pt_msix_update_one; the table is mmap()ed PROT_READ",
                           note="mask_physical_msix_entry is in xen-project/xen tools/ioemu/hw/pt-msi.c "
                                "(f9307cbb49, 2008) and qemu-traditional up to Xen 4.1"),
        traditional_initial=True,
        traditional_history=(
            Change("4.2", False, "56d7747a qemu: clean up MSI-X table handling (\"MSI-X table is mapped as "
                   "read-only to QEMU, as masking of MSI-X is already in Xen now\")",
                   note="first in xen-4.2.0-rc1; xen-4.0.0 .. 4.0.4 and 4.1.0 .. 4.1.6.1 call "
                        "mask_physical_msix_entry after every Vector Control write (PROT_WRITE mapping); qemu-xen-traditional xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)"),
        ),
    ),
    Switch(
        "qemu_msix_pirq_ignore_mask", "qemu", (False, True), True,
        "a QEMU-emulated device (not passed through) ignores its MSI / MSI-X mask bits when the "
        "message is a Xen pirq message (vector 0): the guest masks and unmasks the event channel",
        initial=False, kinds=("xen-hvm",),
        history=(
            Change("qemu-xen-4.7", True, "428c3ece97 fix MSI injection on Xen (hw/pci/msix.c msix_vector_masked, "
                   "hw/pci/msi.c msi_is_masked; qemu-xen 5d63cbb957, first in qemu-xen-4.7.0-rc1)",
                   backports=("qemu-xen-4.5.3", "qemu-xen-4.6.3"), unconfirmed=("qemu-xen-4.6.3",),
                   note="stable-4.5: df8471f739 in qemu-xen-4.5.3; stable-4.4 e288860213 comes after qemu-xen-4.4.4, "
                        "the last 4.4 release (RELEASE-4.4.4 pins it): no 4.4 release has it; stable-4.6 02879be230 "
                        "(2016-01-13) comes after qemu-xen-4.6.1, the last mirrored 4.6 tag (Xen 4.6.3 .. 4.6.6 pin "
                        "qemu-xen-4.6.3 .. 4.6.6, not mirrored). audit13: Xen's stable-4.6 Config.mk history (git log "
                        "RELEASE-4.6.1..RELEASE-4.6.3 -- Config.mk) moves QEMU_UPSTREAM_REVISION from qemu-xen-4.6.1 to "
                        "14a60f98e0 (426783e661, 2016-05-10: the mirrored stable-4.6 head, of which 02879be230 is an "
                        "ancestor), then to aa38966b6f (402c25dc12), 7a88f1257d (c68f2364d5) and, in 'update Xen version "
                        "to 4.6.3' (285248d91b, 2016-06-20), to qemu-xen-4.6.3; no revert of it up to 14a60f98e0. The "
                        "two later hashes and the tag are not in the mirror, so qemu-xen-4.6.3 (Xen 4.6.3 .. 4.6.6) "
                        "carries it by the pins, not read in its tree; 4.6.0 .. 4.6.2 (qemu-xen-4.6.1 pinned) lack it. audit15: still "
                        "unread -- fetch github:xen-project/qemu-xen brings the same snapshot (stable-4.6 ends at "
                        "14a60f98e0, 2016-05-09; no qemu-xen-4.6.2/4.6.3 tag, no aa38966b6f or 7a88f1257d), and the "
                        "search index stores no qemu-xen 4.6.3 tree (no xen-4.6.x repository, pages or code hit). What "
                        "the pins say: 402c25dc12 ('This commit id is equivalent to qemu-xen-4.6.2') and c68f2364d5 "
                        "('Includes XSA-180 fix and Ubuntu build fix'), and git log qemu-xen-4.6.1..14a60f98e0 -- hw/xen "
                        "hw/pci/msi.c hw/pci/msix.c xen-hvm.c is 02879be230 alone: its xen_pt_msi.c binds an MSI-X entry "
                        "only from an unmasking Vector Control write (drops a write to a live entry, no latch)"),
        ),
        traditional=Change("qemu-traditional", False, "qemu-traditional's emulated NICs have no MSI-X",
                           note="not checked beyond the absence of pirq handling in hw/pci.c"),
    ),
    Switch(
        "qemu_msi_mask_emulated", "qemu", (False, True), True,
        "xen-pt emulates a passed-through device's MSI Per-vector Masking: Message Control shows the guest a "
        "device without mask bits and the Mask Bits register is QEMU's own (writes never reach the device, "
        "whose mask bits Xen uses); before it (false) the guest sees the device's capability and its mask "
        "writes pass through",
        initial=False, kinds=("xen-hvm",), scoped=True,
        history=(
            Change("qemu-xen-4.6", True, "7611dae8a6 xen: don't allow guest to control MSI mask register "
                   "(XSA-129; qemu-xen 5ee7a3e24a, first in qemu-xen-4.6.0-rc1)",
                   backports=("qemu-xen-4.4.3", "qemu-xen-4.5.1"),
                   note="stable-4.4 392fa0de86 (qemu-xen-4.4.3), stable-4.5 1ad0eaf917 (qemu-xen-4.5.1): git tag "
                        "--contains; before it Message Control's emu_mask is 0x007F, after 0x017F with init 0 -- and 0x017E "
                        "with d1d35cf4ff (XSA-131 preparation, the same three releases: Enable no longer emulated)"),
        ),
        traditional=Change("qemu-traditional", True, "df0abbff XSA-129 for qemu-traditional (\"It's being used "
                           "by the hypervisor. For now simply mimic a device not capable of masking\"; "
                           "hw/pass-through.c Message Control emu_mask 0x017E)"),
        traditional_initial=False,
        traditional_history=(
            Change("4.6", True, "df0abbff XSA-129 (qemu-traditional hw/pass-through.c: Message Control emu_mask "
                   "0x007F -> 0x017E, the Mask Bits emulated)", backports=("4.4.3", "4.5.1"),
                   note="first in xen-4.6.0-rc1; stable-4.4 1e2a2be0 (xen-4.4.3), stable-4.5 7f99bb9c (xen-4.5.1): "
                        "git tag --contains; qemu-xen-traditional xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)"),
        ),
    ),
    Switch(
        "qemu_cmd_decode_emulated", "qemu", (False, True), True,
        "xen-pt keeps the guest's I/O and Memory Space bits in its emulated Command register (emu_mask 0x0743): "
        "the device keeps decoding whatever the guest writes; before it (false, emu_mask 0x0740) the guest's "
        "decode bits pass through to the device, so a guest that clears Memory Space switches off the device's "
        "MSI-X table for Xen's own accesses too (XSA-126)",
        initial=False, kinds=("xen-hvm",), scoped=True,
        history=(
            Change("qemu-xen-4.6", True, "727b998448 xen: limit guest control of PCI command register "
                   "(XSA-126, CVE-2015-2756; qemu/qemu 81b23ef82c; first in qemu-xen-4.6.0-rc1)",
                   backports=("qemu-xen-4.4.3", "qemu-xen-4.5.1"),
                   note="stable-4.4 32c5e5e70b (qemu-xen-4.4.3), stable-4.5 c9ac5f816b (qemu-xen-4.5.1): git tag "
                        "--contains; hw/xen/xen_pt_config_init.c Command emu_mask 0x0740 at qemu-xen-4.4.2 and 4.5.0, "
                        "0x0743 at 4.4.3, 4.5.1, 4.6.0 (xen_pt_cmd_reg_read / the is_virtfn Memory bit dropped); "
                        "qemu-xen-4.3.0 .. 4.3.4 (hw/xen_pt_config_init.c) keep 0x0740: no stable-4.3 copy"),
        ),
        traditional=Change("qemu-traditional", True, "ab42b440 xen: limit guest control of PCI command register "
                           "(qemu-traditional hw/pass-through.c: Command emu_mask 0x0743, res_mask 0xF880)"),
        traditional_initial=False,
        traditional_history=(
            Change("4.6", True, "ab42b440 XSA-126 (qemu-traditional hw/pass-through.c: Command emu_mask 0x0740 -> "
                   "0x0743, pt_cmd_reg_read dropped)", backports=("4.4.3", "4.5.1"),
                   note="first in xen-4.6.0-rc1; stable-4.4 a03c5a74 (xen-4.4.3), stable-4.5 62e41581 (xen-4.5.1): "
                        "git tag --contains; emu_mask 0x0740 at xen-4.0.0, 4.3.0, 4.4.2, 4.5.0; qemu-xen-traditional "
                        "xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional"),
        ),
    ),
    Switch(
        "qemu_ioreq_server", "qemu", (False, True), True,
        "QEMU registers with Xen as an ioreq server for the ranges its memory map has (xen_create_ioreq_server, "
        "xen_map_memory_section): a guest access to an address QEMU has not mapped -- a passed-through "
        "device's MSI-X table while the guest's emulated Memory Space bit is clear (pci_update_mappings "
        "removed the BAR) -- reaches no device model, and Xen's null handler drops the write (a read gives all "
        "ones). Before (false) QEMU is the domain's default ioreq server: every access comes to QEMU, whose "
        "unassigned_mem_write drops it (unassigned_mem_read answers 0) after the round trip. A qemu-xen-4.6 or "
        "later with a platform.xen before 4.5 is built against that Xen (xen_common.h stubs): its preset is false",
        initial=False, kinds=("xen-hvm",), scoped=True,
        xen_build=("4.5", False, "qemu-xen-4.6.0 include/hw/xen/xen_common.h: '/* Xen before 4.5 */ #if "
                   "CONFIG_XEN_CTRL_INTERFACE_VERSION < 450' -- xen_create_ioreq_server returns 0 and the "
                   "xen_map_*_section stubs map nothing, so QEMU stays the default ioreq server (configure sets "
                   "xen_ctrl_version 420 for Xen 4.2 .. 4.4 libraries); Xen's side: HVMOP_create_ioreq_server is "
                   "434ae6517a 'ioreq-server: add support for multiple servers', first in RELEASE-4.5.0 (git tag "
                   "--contains; RELEASE-4.4.0 hvm_op.h has no ioreq server op) (redteam18)"),
        initial_note="qemu-xen-4.5.0 xen-hvm.c has no xen_create_ioreq_server; memory.c unassigned_mem_read "
                     "returns 0",
        history=(
            Change("qemu-xen-4.6", True, "3996e85c18 Xen: Use the ioreq-server API when available (QEMU 2.3; "
                   "qemu-xen 7665d6ba98, first in qemu-xen-4.6.0-rc1)",
                   note="git log qemu-xen-4.6.0 -S xen_create_ioreq_server; git tag --contains 7665d6ba98; Xen's "
                        "side: RELEASE-4.6.0 hvmemul_do_io 'If there is no suitable backing DM, just ignore "
                        "accesses' (null_handler: null_read *data = ~0ul)"),
        ),
        traditional=Change("qemu-traditional", False, "qemu-traditional is the domain's default ioreq server "
                           "(hw/xen_machine_fv.c: xc_get_hvm_param(HVM_PARAM_IOREQ_PFN))",
                           note="xen-4.8.0 tag (qemu-xen-traditional xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)); its unassigned read value is taken to be 0 like "
                                "qemu-xen's (not read)"),
    ),
    Switch(
        "qemu_bind_unmask", "qemu", (False, True), True,
        "xen-pt asks Xen to unmask the MSI it binds (the XEN_DOMCTL_VMSI_X86_UNMASKED gflag, bit 16, in "
        "xc_domain_update_msi_irq) when the entry is unmasked at bind time: MSI-X with the Vector Control "
        "xen_pt_msix_update_one is given (the guest's latched bit at Enable, the physical bit on an unmask "
        "write), MSI with QEMU's emulated Mask Bit (0: from XSA-129 the guest sees no Per-vector Masking). "
        "Xen acts on it from 4.10 (platform.xen_bind_unmask); an older Xen ignores the bit",
        initial=False, kinds=("xen-hvm",), scoped=True,
        history=(
            Change("qemu-xen-4.10", True, "xen/pt: allow QEMU to request MSI unmasking at bind time (QEMU; "
                   "qemu-xen b79708a8ed)",
                   note="Xen 20ed7c8177 \"Config.mk: Update QEMU changeset\" (2017-11-13) moves "
                        "QEMU_UPSTREAM_REVISION to b79708a8ed, naming this commit among the new ones; RELEASE-4.10.0 "
                        "pins qemu-xen-4.10.0 after it. The msi_msix_update change itself was not read (no "
                        "stored xen_pt_msi.c after 2016); the msi->mask field it reads for MSI is in qemu/qemu "
                        "2d0ed5e642 (xen_pt_mask_reg_write); which bit it passes follows Xen 69d99d1b22's message"),
        ),
        traditional=Change("qemu-traditional", False, "hw/pt-msi.c pt_msi_update / pt_msix_update_one pass "
                           "__get_msi_gflags only", note="every xen-4.0.0 .. xen-4.8.0 tag (qemu-xen-traditional xen-X.Y.Z tags, read in the fork reinis-martinsons/frp-qemu-xen-traditional (upstream history to xen-4.8.0)); whether "
                           "a qemu-traditional after 4.8 took the flag was not checked"),
    ),
)
