"""ux7: a report's fixed-width sections (the state at the stop, how to reproduce) are cut at 72
columns; on an INTx run the cut fell on what the lines are there for -- ``(irq 16 disabled by
note_interrupt: "nobody cared")``, ``(INTx# asserted)`` -- and the report of a scenario stopped
past event 99,999 lost the end of its reproduce line."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg.bugio.report import WIDTH
from tests.test_cli import msidbg

DISABLED = """\
name: intx-disabled-with-a-long-device-name
seed: 1
cpus: 2
kernel: {version: "6.6"}
devices:
  ethernet_port_0: {bdf: "00:03.0", kind: nic, intx: {pin: A, gsi: 16}}
breakpoints: [irq-lost]
run:
  - {at: 0, do: probe, dev: ethernet_port_0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: ethernet_port_0, vector: 0, count: 2, every: 10us}
  - {at: 2ms, on: 0, do: disable_irq, dev: ethernet_port_0, vector: 0}
  - {at: 3ms, do: fire, dev: ethernet_port_0, vector: 0}
"""


@pytest.mark.parametrize("markdown", [False, True])
def test_the_intx_state_lines_are_whole(tmp_path: Path, markdown: bool) -> None:
    scn = tmp_path / "intx.yaml"
    scn.write_text(DISABLED)
    out = msidbg("report", str(scn), *(["--markdown"] if markdown else []))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    state = lines[next(i for i, ln in enumerate(lines) if "State at event" in ln):]
    assert not [ln for ln in state if ln.endswith("...")], state
    text = "\n".join(state)
    assert "(irq 16 disabled, depth 1)" in text
    # the device still asserts INTx# at the end: nothing serviced the last signal (fidfix)
    assert "(INTx# asserted, 1 signal(s) pending)" in text


def test_the_reproduce_lines_of_a_long_run_are_whole(tmp_path: Path) -> None:
    scn = tmp_path / "long.yaml"
    scn.write_text(DISABLED.replace("count: 2, every: 10us", "count: 40000, every: 1us"))
    out = msidbg("report", str(scn))
    assert out.returncode == 0, out.stderr
    repro = out.stdout.split("Reproduce", 1)[1].splitlines()
    assert not [ln for ln in repro if ln.endswith("...")], repro
    assert "prints" in out.stdout.split("Reproduce", 1)[1]
