"""SVG snapshots of the main screen (pytest-textual-snapshot). Approve with --snapshot-update,
after looking at the images (tests/tui/__snapshots__/).

Every seed snapshot as ``msidbg open`` shows it, in the dark and the light theme, at 80x24 and
160x48 (issue 15 item 1: the light theme hid headers, labels and dimmed events); then a few
stories that need keys.
"""

from __future__ import annotations

from typing import Any

import pytest

from msidbg.tui.app import make_app
from tests.tui.conftest import MASKED, ROOT, footer_ready, idle, until

SEEDS = ("msix-write-while-unmasked", "msi-torn-affinity-update", "marvell-nvme-msi-blocked",
         "xen-hvm-msix-mask-late", "xen-pirq-reuse-nvme")


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("seed", SEEDS)
def test_seed_snapshot_opened(snap_compare: Any, seed: str, size: tuple[int, int], theme: str) -> None:
    """`msidbg open snapshots/<seed>.msgpack`: the stopping device's table, its CPU's APIC block,
    the stop's whole explanation in the status line; every label readable in both themes."""
    async def run_before(pilot: Any) -> None:
        pilot.app.theme = theme
        await idle(pilot, pilot.app, 60)
        await until(pilot, lambda: footer_ready(pilot.app))   # the footer comes last

    app = make_app(str(ROOT / "snapshots" / f"{seed}.msgpack"), keymap={})
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_pending_bit_and_irr_after_stepping(snap_compare: Any) -> None:
    """Goto 44 on the masked-entry fixture: entry 1 masked with its pending bit set, CPU1's
    IRR bit 0x21 just set (highlighted, selected) by entry 0's message."""
    async def run_before(pilot: Any) -> None:
        await pilot.press("g", *"44", "enter")
        await idle(pilot, pilot.app)
        await until(pilot, lambda: footer_ready(pilot.app))

    assert snap_compare(make_app(MASKED, keymap={}), terminal_size=(160, 48), run_before=run_before)


def test_breakpoint_error_shown_inline(snap_compare: Any) -> None:
    """A mistyped watch path: the check's message and a caret under the bad segment, in the dialog."""
    async def run_before(pilot: Any) -> None:
        await until(pilot, lambda: footer_ready(pilot.app))
        await pilot.press("W", *"cpu[1].irrr", "enter")

    assert snap_compare(make_app(MASKED, keymap={}), terminal_size=(120, 32), run_before=run_before)


def test_timeline_of_the_2021_bug(snap_compare: Any) -> None:
    """The timeline after the whole 2021 run: eth0 vector 0's signals lost (✕) while CPU1 is
    offline and again at the end, the hits marked above the lanes, the cursor's column."""
    async def run_before(pilot: Any) -> None:
        await pilot.press("g", *"200", "enter")
        await idle(pilot, pilot.app)
        await pilot.press("v")
        await until(pilot, lambda: footer_ready(pilot.app))
        timeline = pilot.app.query_one("#timeline")
        await until(pilot, lambda: timeline.index.indexed == pilot.app.session.total)
        await pilot.pause(0.2)

    app = make_app(str(ROOT / "scenarios" / "msix-write-while-unmasked.yaml"), keymap={})
    assert snap_compare(app, terminal_size=(160, 48), run_before=run_before)


def test_intx_shared_line_at_80x24(snap_compare: Any) -> None:
    """Goto 33 (32 before kernel32's MSI set-up write) in intx-nobody-cared at 80x24: CPU1 accepts IO-APIC vector 0x20 for the USB
    controller's leftover condition; `d d` brings the vector table on screen (usb0: no MSI, no rows),
    headed by its INTx pin (pending, asserted) and GSI 16's entry (0x20 -> CPU1, Remote IRR)."""
    async def run_before(pilot: Any) -> None:
        await pilot.press("g", *"33", "enter")
        await idle(pilot, pilot.app)
        await pilot.press("d", "d")        # round the two devices: the vector table on screen, usb0's
        await idle(pilot, pilot.app)
        await until(pilot, lambda: footer_ready(pilot.app))

    app = make_app(str(ROOT / "scenarios" / "intx-nobody-cared.yaml"), keymap={})
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
