"""A preset value that rests on a release no source confirmed is flagged, for that version only.

The brief keeps unconfirmed readings out of presets; a Change whose release is unconfirmed (e.g. a
commit that reached 4.15 or 4.16) still gives the preset its value, so the run must say which
switch rests on a guess -- and only for the versions where the guess matters (the series of the
unconfirmed release): earlier series never carry the commit, later ones always do."""

from __future__ import annotations

import dataclasses
import json

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import kernel as kernel_rows
from msidbg.cli import main
from msidbg.debugger.headless import behaviour_lines


@pytest.fixture(autouse=True)
def _an_unconfirmed_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """audit14 confirmed the last unconfirmed kernel release (proc_affinity_result's 4.15, read in a 4.15.1
    tree): the flagging is tested on a copy of that row whose 4.15 is marked unconfirmed again."""
    def unconfirm(row: bh.Switch) -> bh.Switch:
        if row.name != "proc_affinity_result":
            return row
        history = tuple(dataclasses.replace(c, unconfirmed=(c.release,)) for c in row.history)
        return dataclasses.replace(row, history=history)
    monkeypatch.setattr(kernel_rows, "ROWS", tuple(unconfirm(r) for r in kernel_rows.ROWS))


def _flagged(kernel: str) -> dict[str, str]:
    return {r.name: r.unconfirmed for r in bh.resolve("bare-metal", kernel=kernel).rows if r.unconfirmed}


def test_only_the_series_of_an_unconfirmed_release_is_flagged():
    row = bh.by_name()["proc_affinity_result"]
    unconfirmed = [u for c in row.history for u in c.unconfirmed]
    assert unconfirmed, "the row this test relies on has been confirmed: pick another unconfirmed row"
    series = bh.parse_kernel(unconfirmed[0]).parts[:2]
    inside = f"{series[0]}.{series[1]}.3"
    before = f"{series[0]}.{series[1] - 1}"
    after = f"{series[0]}.{series[1] + 1}"
    assert "proc_affinity_result" in _flagged(inside)
    assert "proc_affinity_result" not in _flagged(before)
    assert "proc_affinity_result" not in _flagged(after)
    assert "proc_affinity_result" not in _flagged("6.6")
    resolved = {r.name: r for r in bh.resolve("bare-metal", kernel=after).rows}
    assert resolved["proc_affinity_result"].confirmed


def test_an_explicit_switch_is_not_flagged():
    row = bh.by_name()["proc_affinity_result"]
    version = next(u for c in row.history for u in c.unconfirmed)
    table = bh.resolve("bare-metal", kernel=version, explicit={"proc_affinity_result": False})
    r = next(r for r in table.rows if r.name == "proc_affinity_result")
    assert (r.origin, r.unconfirmed) == ("explicit", "")


def test_the_summary_and_the_text_say_what_is_unconfirmed(tmp_path, capsys):
    row = bh.by_name()["proc_affinity_result"]
    version = next(u for c in row.history for u in c.unconfirmed)
    path = tmp_path / "s.yaml"
    path.write_text(f"""name: unconfirmed-release
cpus: 2
kernel: {{version: "{version}"}}
devices:
  eth0: {{bdf: "00:03.0", kind: nic, msix: {{table_size: 1}}}}
run:
  - {{at: 0, do: probe, dev: eth0, mode: msix, vectors: 1}}
""")
    assert main(["run", str(path), "--headless", "--json"]) == 0
    b = json.loads(capsys.readouterr().out)["behaviour"]
    assert "kernel.proc_affinity_result explicitly" in b["proc_affinity_result"]["unconfirmed"]
    assert all("unconfirmed" not in v for k, v in b.items() if k != "proc_affinity_result")
    lines = behaviour_lines(b)
    at = next(i for i, line in enumerate(lines) if "proc_affinity_result" in line)
    assert lines[at + 1].strip().startswith("? whether kernel")
