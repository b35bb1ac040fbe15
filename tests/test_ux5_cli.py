"""ux5: the command line on scenarios nobody wrote for it (a 16-CPU hotplug run, AMD-Vi remapping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.test_ux5_values import HOTPLUG


@pytest.fixture(scope="module")
def hotplug(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("ux5cli") / "hotplug.yaml"
    p.write_text(HOTPLUG)
    return p


def test_a_headless_stop_at_a_watch_says_what_changed_and_replay_says_it_too(hotplug: Path, tmp_path: Path) -> None:
    snap = str(tmp_path / "w.msgpack")
    code, out, _ = cli("run", str(hotplug), "--break", "watch cpu[5].online", "--stop-at-break", "--save", snap)
    lines = out.splitlines()
    assert code == 1 and lines[1].startswith("stopped: breakpoint at event ") and lines[1].endswith(
        " on breakpoint watch cpu[5].online")
    assert lines[2] == "  cpu[5].online: True -> False"      # the watch's old -> new (the TUI's status line)
    for extra in ((), ("--no-verify",)):
        code, out, _ = cli("replay", snap, *extra)
        assert code == 0 and out.splitlines()[1:3] == lines[1:3]


def test_a_headless_stop_at_a_call_names_the_program(hotplug: Path) -> None:
    code, out, _ = cli("run", str(hotplug), "--break", "call cpu_down", "--stop-at-break")
    assert code == 1 and out.splitlines()[2] == "  entered cpu_down"


def test_a_built_in_stop_is_told_once_in_its_hits(hotplug: Path) -> None:
    code, out, _ = cli("run", str(hotplug), "--stop-at-break")
    lines = out.splitlines()
    assert code == 1 and lines[1].endswith("on breakpoint irq-lost") and lines[2].startswith("state hash ")
    assert sum("66 signal(s)" in ln for ln in lines) == 1
