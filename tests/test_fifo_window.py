"""kernel.xen_fifo_events: true names code that first appeared in 3.14 (1fe565517b57): with an older
kernel.version it is a one-line load error (an open-ended ``Switch.window``), as cpu0_hotplug's closed
window is; false, and any value from 3.14 on, load."""
from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text
from tests.test_scenario import error

FILE = """\
name: fifo-window
platform: {{kind: xen-hvm, xen: "4.6"}}
cpus: 2
kernel: {{version: "{kernel}"{extra}}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
"""


@pytest.mark.parametrize("kernel", ["3.0", "3.10", "3.13.11"])
def test_fifo_events_before_3_14_is_a_one_line_error(tmp_path: Path, kernel: str) -> None:
    message, path = error(tmp_path, FILE.format(kernel=kernel, extra=", xen_fifo_events: true"))
    assert message == (f"msidbg: {path}:4: kernel.xen_fifo_events: true does not exist in kernel {kernel} "
                       "(expected a kernel.version from 3.14 on, or false)")


@pytest.mark.parametrize(("kernel", "extra", "abi"), [
    ("3.10", ", xen_fifo_events: false", "2l"), ("3.10", "", "2l"),
    ("3.14", ", xen_fifo_events: true", "fifo"), ("6.6", "", "fifo")])
def test_fifo_events_inside_its_window_or_false_loads(kernel: str, extra: str, abi: str) -> None:
    eng = new_engine(load_scenario_text(FILE.format(kernel=kernel, extra=extra), "f.yaml"))
    while eng.step():
        pass
    assert eng.w["xen"]["abi"] == abi
