"""SVG snapshots of the main screen (pytest-textual-snapshot). Approve with --snapshot-update.

Each test tells the user story it pins; keys are driven through ``run_before``.
"""

from __future__ import annotations

from typing import Any

from msidbg.tui.app import make_app
from tests.tui.conftest import LATE, MASKED, ROOT, idle


async def _continue(pilot: Any) -> None:
    await pilot.press("c")
    await idle(pilot, pilot.app)


def test_bare_metal_stopped_at_msix_write_unmasked(snap_compare: Any) -> None:
    """`msidbg run` on the 2021 bug, continue: stopped where the live entry 0 is rewritten;
    row 0 highlighted, the latched message 1/0x21 beside the kernel's view, the call stack
    inside request_irq -> msi_set_affinity, the breakpoint marked in the list."""
    assert snap_compare(make_app(LATE, keymap={}), terminal_size=(160, 48), run_before=_continue)


def test_bare_metal_light_theme_narrow(snap_compare: Any) -> None:
    """The same stop in a light theme on an 80x24 terminal: panes stack and the screen scrolls."""
    async def run_before(pilot: Any) -> None:
        pilot.app.theme = "textual-light"
        await _continue(pilot)

    assert snap_compare(make_app(LATE, keymap={}), terminal_size=(80, 24), run_before=run_before)


def test_pending_bit_and_irr_after_stepping(snap_compare: Any) -> None:
    """Goto 41 on the masked-entry fixture: entry 1 masked with its pending bit set, CPU1's
    IRR bit 0x21 just set (highlighted) by entry 0's message."""
    async def run_before(pilot: Any) -> None:
        await pilot.press("g", *"41", "enter")
        await idle(pilot, pilot.app)

    assert snap_compare(make_app(MASKED, keymap={}), terminal_size=(160, 48), run_before=run_before)


def test_breakpoint_error_shown_inline(snap_compare: Any) -> None:
    """A mistyped condition: the parser's message and a caret under the bad column, in the dialog."""
    async def run_before(pilot: Any) -> None:
        await pilot.press("a", *"if event.kind = 3", "enter")

    assert snap_compare(make_app(MASKED, keymap={}), terminal_size=(120, 32), run_before=run_before)


XEN_LATE = str(ROOT / "scenarios" / "xen-hvm-msix-mask-late.yaml")
XEN_REUSE = str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml")


def test_xen_late_mask_stopped_at_irq_lost(snap_compare: Any) -> None:
    """Xen HVM, the 2022 late msix_mask_all(): continue stops at irq-lost with every physical
    entry masked and pending beside the guest's view (pirq messages, QEMU's pirqs); the pirq
    map shows Xen and the guest agreeing on pirqs 101..99 -- the mask, not the pirqs, is wrong."""
    assert snap_compare(make_app(XEN_LATE, keymap={}), terminal_size=(160, 48), run_before=_continue)


def test_xen_pirq_reuse_stopped_at_pirq_conflict(snap_compare: Any) -> None:
    """Xen HVM, the 2017 cached-pirq re-use: stopped at pirq-conflict; the pirq map marks pirq 101
    claimed by two guest irqs while Xen holds it for nvme1, and the stale read-back in nvme0."""
    assert snap_compare(make_app(XEN_REUSE, keymap={}), terminal_size=(160, 48), run_before=_continue)
