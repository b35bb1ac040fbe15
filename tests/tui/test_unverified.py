"""The TUI on a snapshot opened without verification whose stored world a pane cannot read: the
App ends with the one-line snapshot error (exit 2), not a Textual traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.tui.app import make_app
from tests.test_hostile_snapshot import SHAPE, reshaped


@pytest.mark.parametrize("change, where", [
    (lambda w: w["cpus"][0]["isr"].__setitem__(3, [1, 2]), "cpus[0].isr[3] is a list, not a number: "),  # APIC grid
    (lambda w: w["devices"]["eth0"].__setitem__("quirks", True),                         # the quirk line
     "devices.eth0.quirks is a number, not a list: "),
    # a list longer than the fresh world's is not compared (lists grow): no path to name
    (lambda w: w["cpus"][0]["proc"]["stack"].append({"a": 1}), ""),                      # the call stacks pane
], ids=["isr-word-a-list", "quirks-a-bool", "a-frame-without-a-program"])
async def test_a_pane_that_cannot_read_the_stored_world_ends_the_app_in_one_line(tmp_path: Path, change: Any,
                                                                               where: str) -> None:
    path = reshaped(tmp_path, change)
    app = make_app(str(path), verify=False, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.error is not None:
                break
            await pilot.pause(0.02)
    assert app.error is not None and app.error.oneline() == f"msidbg: {path}: world: {where}{SHAPE}"
    assert app.return_code == 2
