"""leads19: fidelity leads closed from source.

FIFO event channels on an old Xen: Xen offers EVTCHNOP_init_control from 4.4.0 (88910061ec); RELEASE-4.3.4's
do_event_channel_op answers it -ENOSYS (the default case), and the guest's xen_init_IRQ then falls back to
the 2-level ABI ('if (fifo_events) ret = xen_evtchn_fifo_init(); if (ret < 0) xen_evtchn_2l_init();', every
kernel from 3.14). A kernel asking for FIFO on Xen 4.3 therefore runs 2-level (the versions resolve it); an
explicit ``platform.xen_evtchn_fifo: true`` with a Xen before 4.4 names a Xen that does not exist and is
refused at load, as ``apic_virtualization`` with a Xen before 4.5 is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.errors import ScenarioError
from msidbg.model import new_engine
from msidbg.scenario import load_scenario, load_scenario_text


def _fifo_yaml(xen: str, extra: str = "", kernel: str = "4.4") -> str:
    return f"""name: fifo-old
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "{kernel}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, passthrough: true, msix: {{table_size: 2}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 2}}
"""


def _load_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    line = info.value.oneline()
    assert "\n" not in line
    return line


@pytest.mark.parametrize("xen", ["4.2", "4.3", "4.3.4", "4.0"])
def test_fifo_forced_on_a_xen_before_4_4_is_refused_naming_both_fields(tmp_path: Path, xen: str) -> None:
    line = _load_error(tmp_path, _fifo_yaml(xen, ", xen_evtchn_fifo: true"))
    assert "s.yaml:2: platform.xen_evtchn_fifo: platform.xen " + xen + " has no FIFO event channel ABI" in line
    assert "(expected platform.xen 4.4 or newer, or no xen_evtchn_fifo)" in line


@pytest.mark.parametrize(("xen", "extra", "abi"), [
    ("4.4", ", xen_evtchn_fifo: true", "fifo"),     # the first Xen with EVTCHNOP_init_control
    ("4.3", ", xen_evtchn_fifo: false", "2l"),      # saying what 4.3 does is fine
    ("4.3", "", "2l"),                              # the kernel asks, Xen 4.3 lacks it: xen_init_IRQ falls back
])
def test_what_a_real_xen_does_still_loads_and_picks_its_abi(xen: str, extra: str, abi: str) -> None:
    eng = new_engine(load_scenario_text(_fifo_yaml(xen, extra, kernel="5.10"), "f.yaml"))
    while eng.step():
        pass
    assert eng.w["xen"]["abi"] == abi


def test_the_first_fifo_xen_is_the_rows_first_change() -> None:
    row = next(r for r in bh.rows() if r.name == "xen_evtchn_fifo")
    assert bh.parse_xen(row.history[0].release).series == bh.FIRST_FIFO_XEN
    assert row.history[0].value is True and row.initial is False
