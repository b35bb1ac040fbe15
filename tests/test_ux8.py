"""ux8: defects the session's red teams reported, as a debugger user would want them fixed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS


def test_why_to_a_file_or_pipe_keeps_every_line_whole() -> None:
    """`msidbg why X > file` cut reasons at 100 columns ("whose IO-APIC entry was ma…"): stdout
    was not a terminal, so there was no width to fit; the whole reason is what a reader needs."""
    code, out, err = cli("why", str(SCENARIOS / "intx-nobody-cared.yaml"))
    assert code == 0, err
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) > 100
    assert "(Status.Interrupt Status; INTx# asserted unless Interrupt Disable is set)" in out


_HVM_INTX = """name: hvm-intx
cpus: 2
platform: {kind: xen-hvm, xen: "4.19"}
devices:
  eth0: {bdf: "00:08.0", kind: nic, passthrough: true, intx: {pin: B, gsi: 16}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - %s
"""
_BARE = """name: bare
cpus: %s
kernel: {version: "%s"}
devices:
  eth0:
    bdf: "00:03.0"
    kind: nic
    msix: {table_size: 4}
    intx: {pin: A, gsi: 16}
faults: [{call: %s, dev: eth0, errno: ENOSPC}]
probes:
  - {at: %s, when: after, do: fire, dev: eth0, vector: 0, times: 1}
run:
  - {at: 0, on: 0, do: probe, dev: eth0}
  - %s
"""
_OK = ("2", "6.6", "pci_msi_setup_msi_irqs", "free_irq", "{at: 1ms, on: 0, do: remove, dev: eth0}")


@pytest.mark.parametrize("text", [
    _HVM_INTX % "{at: 2ms, on: 0, do: cpu_offline, cpu: 1}",
    _HVM_INTX % "{at: 2ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}",
    _BARE % ("9", "4.9", *_OK[2:]),                                   # devices.eth0.intx (legacy allocator)
    _BARE % (*_OK[:2], "no_such_call", *_OK[3:]),                     # faults[0].call
    _BARE % (*_OK[:3], "no_such_program", _OK[4]),                    # probes[0].at
    _BARE % (*_OK[:4], "{at: 1ms, on: 1, do: fire, dev: eth0}"),      # run[1].on
    _BARE % ("1", *_OK[1:4], "{at: 1ms, on: 0, do: cpu_offline, cpu: 0}"),  # run[1].do
    _BARE % (*_OK[:4], "{at: 1ms, do: fire, dev: eth0, vector: 0, count: 3}"),  # run[1].every
], ids=["hvm-offline", "hvm-affinity", "legacy-intx", "fault", "probe", "fire-on", "offline-only", "every"])
def test_a_load_error_names_the_line_of_the_field_it_names(tmp_path: Path, text: str) -> None:
    """`FILE:LINE: FIELD: ...`: LINE is where FIELD is written. The HVM guest's refused level-irq move
    said `hvm.yaml:5: run[1].do` -- line 5 is devices.eth0, the action is on line 8."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    code, _out, err = cli("check", str(path))
    assert code == 2, err
    m = re.match(rf"msidbg: {re.escape(str(path))}:(\d+): ([\w.\[\]-]+): ", err)
    assert m, err
    line, field = int(m.group(1)), m.group(2)
    shown = text.splitlines()[line - 1]
    key = re.sub(r"\[\d+\]$", "", field.rsplit(".", 1)[-1])
    index = re.findall(r"\[(\d+)\]", field)
    if key in ("do", "on", "every", "at", "call") and index:   # an entry of a list: its own line
        section = field.split("[", 1)[0]
        start = text.splitlines().index(f"{section}:") if f"{section}:" in text.splitlines() else None
        if start is not None:
            assert line == start + 2 + int(index[0]), (err, shown)
    assert f"{key}:" in shown or key == "every", (err, shown)


def test_a_torn_message_xen_wrote_names_xen() -> None:
    """Xen's move_native_irq rewrites a live plain MSI (address, then data a config write later): the hit
    said "a pair the kernel never programmed together", though the kernel never wrote those registers."""
    from tests.conftest import run_to_end, scenario
    from tests.test_xenhost_affinity import MOVE, PLAIN

    eng = run_to_end(scenario(MOVE.format(cap=PLAIN, mode="msi")))
    (torn,) = [h for h in eng.hits if h.name == "msi-torn-message"]
    assert torn.detail.endswith("a pair Xen never programmed together"), torn.detail


def test_shrinking_cut_short_keeps_the_smallest_failing_list() -> None:
    """A tester that runs out of time ends delta debugging with the best found so far, said as such."""
    from msidbg.explore.shrink import OutOfTime, ddmin

    devs: list = list(range(16))   # deviations are opaque to ddmin: any hashables do
    calls = [0]

    def test(cands: list[list]) -> tuple[int | None, int]:
        calls[0] += 1
        if calls[0] > 3:
            raise OutOfTime(1)
        for i, c in enumerate(cands):
            if 5 in c and 11 in c:
                return i, i + 1
        return None, len(cands)

    shrunk = ddmin(devs, test)
    assert (shrunk.complete, shrunk.stopped) == (False, "time")
    assert 5 in shrunk.deviations and 11 in shrunk.deviations and len(shrunk.deviations) < 16
    assert shrunk.tests >= 3
    whole = ddmin(devs, lambda cands: next(((i, i + 1) for i, c in enumerate(cands) if 5 in c and 11 in c),
                                           (None, len(cands))))
    assert (whole.deviations, whole.complete, whole.stopped) == ([5, 11], True, None)


def test_explore_shrink_time_bounds_shrinking_and_says_so(tmp_path: Path) -> None:
    """`--time 12s` bounded only the search: 141 deviations were still shrinking after 100 s. The
    shrinking time (here: over before shrinking starts, so no clock is read in the assertion) ends it
    with what was found, `"shrink_complete": false, "shrink_stopped": "time"`, and a line in the text."""
    import json

    pirq = str(SCENARIOS / "explore-xen-pirq-reuse.yaml")
    code, out, err = cli("explore", pirq, "--runs", "300", "--strategy", "random", "--jobs", "1",
                         "--shrink-time", "0.000001", "--json")
    assert code == 1, err
    res = json.loads(out)
    (f,) = res["failures"]
    assert f["run"] > 0 and f["deviations_found"] >= 2
    assert (f["shrink_complete"], f["shrink_stopped"], f["deviations"]) == (False, "time", f["deviations_found"])
    assert res["shrink_time"] == 0.000001
    code, out, err = cli("explore", pirq, "--runs", "300", "--strategy", "random", "--jobs", "1",
                         "--shrink-time", "0.000001")
    assert code == 1, err
    assert (f"shrinking stopped early: the shrinking time ran out (1e-06s: --shrink-time, by default --time); "
            f"{f['deviations']} deviations left") in out
    code, out, err = cli("explore", pirq, "--runs", "300", "--strategy", "random", "--jobs", "1", "--json")
    f = json.loads(out)["failures"][0]
    assert (f["shrink_complete"], f["shrink_stopped"]) == (True, None) and f["deviations"] < f["deviations_found"]
    code, _out, err = cli("explore", pirq, "--shrink-time", "0")
    assert code == 2 and "--shrink-time" in err


def test_save_failing_from_several_strategies_keeps_each_snapshot(tmp_path: Path) -> None:
    """Group 1 of `--strategy pct` and of `--strategy delay` were both SCENARIO-1-SLUG.msgpack: the
    second exploration replaced the first's snapshot."""
    from msidbg.explore import explore

    pirq = str(SCENARIOS / "explore-xen-pirq-reuse.yaml")
    got = [explore(pirq, runs=300, strategy=s, jobs=1, save_failing=str(tmp_path))["failures"][0]["snapshot"]
           for s in ("pct", "delay")]
    assert len(set(got)) == 2 and all(Path(p).exists() for p in got)
    assert [Path(p).name for p in got] == ["explore-xen-pirq-reuse-1-pirq-conflict-nvme2-pct-1.msgpack",
                                           "explore-xen-pirq-reuse-1-pirq-conflict-nvme2-delay-1.msgpack"]


_INTX = """name: intx-pin
cpus: 2
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, intx: {pin: B, gsi: 17}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: intx, vectors: 1}
  - {at: 1ms, do: fire, dev: eth0, vector: 0}
"""


@pytest.mark.parametrize("pin", [0, 5, "B"])
def test_a_hand_edited_intx_pin_is_refused_unverified_not_shown_as_another_pin(tmp_path: Path, pin: object) -> None:
    """`intx.pin: 0` in a --no-verify world showed as pin D ("ABCD"[pin - 1]) in the TUI and report."""
    import msgpack

    from msidbg.debugger import Session
    from msidbg.debugger import snapshot as snap
    from msidbg.sim.world import pack_world, state_hash, unpack_world

    scn = tmp_path / "intx.yaml"
    scn.write_text(_INTX)
    s = Session.from_scenario(str(scn))
    s.continue_()
    path = tmp_path / "intx.msgpack"
    s.save(str(path))
    doc = msgpack.unpackb(path.read_bytes(), raw=False)
    w = unpack_world(doc["world"])
    assert w["devices"]["eth0"]["intx"]["pin"] == 2
    w["devices"]["eth0"]["intx"]["pin"] = pin
    doc["world"], doc["state_hash"] = pack_world(w), state_hash(w)
    path.write_bytes(snap.seal(doc))
    code, out, err = cli("report", str(path), "--no-verify")
    assert (code, out) == (2, "")
    assert err.startswith(f"msidbg: {path}: world: devices.eth0.intx.pin: {pin!r} is not an INTx pin"), err
