"""The behaviour table: versions, stable backports, resolution order, hypothetical values, YAML errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.behaviour import Change, Switch, VersionError, resolve
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario_text

ROW = Switch(
    "toy", "kernel", ("old", "new"), "new", "a toy switch", initial="old",
    history=(Change("5.17", "new", "c0ffee toy: change", backports=("5.15.16", "5.10.93")),),
)


@pytest.mark.parametrize(("version", "value"), [
    ("5.10", "old"), ("5.10.92", "old"), ("5.10.93", "new"), ("5.10.200", "new"),
    ("5.15", "old"), ("5.15.15", "old"), ("5.15.16", "new"), ("5.16", "old"), ("5.16.20", "old"),
    ("5.17", "new"), ("6.1", "new"), ("4.19.300", "old"),
])
def test_a_stable_series_gets_a_backport_from_its_release_on(version: str, value: str) -> None:
    got, change = bh.at(ROW, bh.parse_kernel(version))
    assert got == value
    assert (change is None) == (value == "old")


def test_resolution_order_explicit_then_version_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bh, "rows", lambda: (ROW,))
    assert resolve().plain() == {"toy": "new"}
    assert resolve(kernel="5.15.2").plain() == {"toy": "old"}
    assert resolve(kernel="5.15.2", explicit={"toy": "new"}).plain() == {"toy": "new"}
    shown = resolve(kernel="5.15.30").shown()["toy"]
    assert shown == {"value": "new", "from": "kernel 5.15.30", "commit": "c0ffee toy: change"}
    assert resolve(kernel="5.15").shown()["toy"] == {"value": "old", "from": "kernel 5.15",
                                                     "commit": "before c0ffee toy: change"}
    assert resolve().shown()["toy"]["from"] == "default"
    assert resolve(kernel="4.14", explicit={"toy": "new"}).shown()["toy"]["from"] == "explicit"


def test_adding_a_row_is_all_it_takes_for_a_new_yaml_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    import msidbg.behaviour.kernel as kernel_rows
    import msidbg.scenario as scenario_mod

    monkeypatch.setattr(kernel_rows, "ROWS", (*kernel_rows.ROWS, ROW))
    monkeypatch.setattr(scenario_mod, "KERNEL_SWITCHES", {r.name: r for r in bh.rows() if r.layer == "kernel"})
    scn = load_scenario_text("name: x\nkernel: {version: '5.10.93'}\n", "x.yaml")
    assert scn.behaviour.plain()["toy"] == "new"
    scn = load_scenario_text("name: x\nkernel: {version: '5.10.93', toy: old}\n", "x.yaml")
    assert scn.behaviour.plain()["toy"] == "old"


def test_current_upstream_defaults_are_the_last_history_value() -> None:
    for row in bh.rows():
        assert row.default in row.values and row.default not in row.hypothetical, row.name
        if row.history:
            assert row.history[-1].value == row.default, row.name
            releases = [bh.contains(v, c, row.layer) for c in row.history for v in [_release(row, c)]]
            assert all(releases), row.name


def _release(row: Switch, change: Change) -> bh.Version:
    return {"kernel": bh.parse_kernel, "xen": bh.parse_xen, "qemu": bh.parse_qemu}[row.layer](change.release)


def test_hypothetical_values_are_never_a_default_or_a_preset() -> None:
    """Every release any preset can name resolves, on every platform, to no hypothetical value."""
    hypothetical = {r.name: set(r.hypothetical) for r in bh.rows()}
    assert hypothetical["xen_pt_bind"] == {"on-write"}
    for layer, version in bh.presets():
        for kind in ("bare-metal", "xen-hvm", "xen-pv"):
            args = {"kernel": {"kernel": version.text}, "xen": {"xen": version.text},
                    "qemu": {"qemu": version.text} if kind == "xen-hvm" else {}}[layer]
            for r in resolve(kind, **args).rows:
                assert r.value not in hypothetical[r.name], (layer, version, kind, r)


def test_a_hypothetical_value_written_explicitly_is_accepted_and_marked() -> None:
    t = resolve("xen-hvm", xen="4.4", explicit={"xen_pt_bind": "on-write"})
    row = {r.name: r for r in t.rows}["xen_pt_bind"]
    assert (row.value, row.origin, row.confirmed) == ("on-write", "explicit", False)
    assert row.commit.startswith("hypothetical")


def test_xen_implies_its_device_model() -> None:
    assert bh.implied_qemu(bh.parse_xen("4.2")).text == "qemu-traditional"     # libxl's default in 4.2
    # RELEASE-4.3.1 Config.mk: QEMU_UPSTREAM_REVISION ?= qemu-xen-4.3.1 (the point release, not the series)
    assert bh.implied_qemu(bh.parse_xen("4.3.1")).text == "qemu-xen-4.3.1"
    t = {r.name: r for r in resolve("xen-hvm", xen="4.4").rows}
    assert t["qemu_unmap_pirq_on_msi_disable"].value is False
    assert t["qemu_unmap_pirq_on_msi_disable"].origin == "qemu-xen-4.4 (xen 4.4)"
    t = {r.name: r for r in resolve("xen-hvm", xen="4.5.0").rows}
    assert t["qemu_unmap_pirq_on_msi_disable"].value is True                  # c976437c7dba, qemu-xen-4.5
    assert t["xen_msi_mask"].value == "direct" and t["xen_msi_mask"].origin == "xen 4.5.0"
    assert resolve("xen-hvm", xen="4.6").plain()["xen_msi_mask"] == "combined"
    # an explicit device model overrides the implied one; on xen-pv there is none (pciback)
    assert resolve("xen-hvm", xen="4.4", qemu="qemu-xen-4.6").plain()["qemu_unmap_pirq_on_msi_disable"] is True
    assert resolve("xen-pv", xen="4.4").shown()["qemu_unmap_pirq_on_msi_disable"]["from"] == "default"
    # versions mean nothing on bare metal: the Xen rows keep the default
    assert resolve("bare-metal", xen="4.4").plain()["xen_msi_mask"] == "combined"


@pytest.mark.parametrize(("xen", "qemu", "words"), [
    ("4.6", "qemu-xen-4.5", "older than the qemu-xen-4.6 that Xen 4.6 ships"),
    ("4.21", "qemu-traditional", "has no qemu-traditional"),
])
def test_impossible_combinations(xen: str, qemu: str, words: str) -> None:
    with pytest.raises(VersionError, match=words):
        resolve("xen-hvm", xen=xen, qemu=qemu)
    resolve("xen-hvm", xen="4.5", qemu="qemu-xen-4.6")        # a newer device model is fine
    resolve("xen-hvm", xen="4.20", qemu="qemu-traditional")


@pytest.mark.parametrize(("text", "words"), [
    ("5.25", "unknown kernel release '5.25'"), ("7.0", "unknown kernel release"), ("5", "not a kernel release"),
    ("5.15.1000", "patch level"), ("v5.15", "not a kernel release"),
])
def test_bad_kernel_versions(text: str, words: str) -> None:
    with pytest.raises(VersionError, match=words):
        bh.parse_kernel(text)


def test_version_parsing() -> None:
    assert bh.parse_kernel("5.15.30").parts == (5, 15, 30) and bh.parse_kernel("4.14").parts == (4, 14)
    assert bh.parse_xen("4.5").parts == (4, 5) and bh.parse_xen("4.5.0").parts == (4, 5, 0)
    with pytest.raises(VersionError, match=r"expected 4\.5\.0 to 4\.5\.5"):
        bh.parse_xen("4.5.9")
    with pytest.raises(VersionError, match="unknown Xen release"):
        bh.parse_xen("3.4")
    assert bh.parse_qemu("qemu-xen-4.17").parts == (4, 17)
    assert bh.parse_qemu("qemu-traditional").family == "qemu-traditional"
    with pytest.raises(VersionError, match="qemu-xen first shipped with Xen 4.2"):
        bh.parse_qemu("qemu-xen-4.1")
    with pytest.raises(VersionError, match="not a QEMU device model"):
        bh.parse_qemu("qemu-2.1")


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, str(path))
    line = info.value.oneline()
    assert "\n" not in line
    return line


@pytest.mark.parametrize(("platform", "kernel", "where", "words"), [
    ("{kind: xen-hvm}", "{version: '5.99'}", "3: kernel.version", "unknown kernel release '5.99' (expected"),
    ("{kind: xen-hvm, xen: '4.6', qemu: qemu-xen-4.4}", "{}", "2: platform.qemu", "older than"),
    ("{kind: xen-pv, qemu: qemu-xen-4.6}", "{}", "2: platform.qemu", "pcifront/pciback"),
    ("{qemu: qemu-xen-4.6}", "{}", "2: platform.qemu", "only meaningful on Xen"),
    ("{xen_msi_mask: direct}", "{}", "2: platform.xen_msi_mask", "only meaningful on Xen"),
    ("{kind: xen-hvm, qemu: qemu-5.0}", "{}", "2: platform.qemu", "not a QEMU device model"),
    ("{kind: xen-hvm, xen_msi_mask: both}", "{}", "2: platform.xen_msi_mask", "expected"),
    ("{kind: xen-hvm}", "{msix_mask_all: never}", "3: kernel.msix_mask_all", "expected"),
])
def test_scenario_errors_name_the_line_and_field(tmp_path: Path, platform: str, kernel: str, where: str,
                                                 words: str) -> None:
    line = _error(tmp_path, f"name: x\nplatform: {platform}\nkernel: {kernel}\n")
    assert f"s.yaml:{where}: " in line and words in line, line


def test_scenario_resolves_versions_and_switches() -> None:
    text = ("name: x\nplatform: {kind: xen-hvm, xen: '4.5', xen_pt_bind: on-write}\n"
            "kernel: {version: '5.15.30', xen_hvm_msi_ignore_mask: false}\n")
    scn = load_scenario_text(text, "x.yaml")
    b = scn.behaviour.plain()
    assert b["msix_mask_all"] == "late"                 # 83dbf898a2d4 in 5.15.11
    assert b["xen_hvm_msi_ignore_mask"] is False        # explicit (7e0815b3e099 only from 5.15.38)
    assert b["xen_pt_bind"] == "on-write" and b["xen_msi_mask"] == "direct"
    assert b["qemu_unmap_pirq_on_msi_disable"] is True  # the qemu-xen-4.5 of Xen 4.5
    later = dataclasses.replace(scn, kernel=dataclasses.replace(scn.kernel, version="5.15.38", switches={}))
    assert later.behaviour.plain()["xen_hvm_msi_ignore_mask"] is True
    old = load_scenario_text("name: x\nkernel: {version: '5.13'}\n", "x.yaml").behaviour.plain()
    assert {k: old[k] for k in ("xen_hvm_msi_ignore_mask", "affinity_before_startup", "msix_masked_update",
                                "xen_pt_bind", "xen_msi_mask")} == {
        "xen_hvm_msi_ignore_mask": False, "affinity_before_startup": False, "msix_masked_update": False,
        "xen_pt_bind": "on-unmask", "xen_msi_mask": "combined"}       # bare metal: Xen rows at the default


def test_the_world_carries_the_plain_table() -> None:
    from msidbg.model import new_engine

    scn = load_scenario_text("name: x\nplatform: {kind: xen-hvm, xen: '4.4'}\nkernel: {version: '5.10'}\n", "x.yaml")
    w = new_engine(scn).w
    assert w["behaviour"] == scn.behaviour.plain("xen-hvm")      # (apic_flat_logical is bare-metal only)
    assert set(w["platform"]) == {"kind", "route", "interrupt_remapping", "apic"}
    assert "switches" not in w["kernel"]


XEN_SCN = """\
name: shown
platform: {kind: xen-hvm, xen: "4.2", xen_pt_bind: on-write}
kernel: {msix_mask_all: late}
devices:
  eth0: {bdf: "00:03.0", passthrough: true, msix: {table_size: 1}}
run:
  - {do: probe, dev: eth0, mode: msix}
"""


def test_summary_and_headless_show_the_resolved_set_with_commits() -> None:
    from msidbg.debugger import headless

    xen = headless.run(load_scenario_text(XEN_SCN, "x.yaml")).summary
    b = xen["behaviour"]
    layer = {r.name: r.layer for r in bh.rows()}
    assert list(b) == [r.name for r in bh.rows() if "xen-hvm" in r.kinds]      # every row, in table order
    assert [layer[n] for n in b] == sorted((layer[n] for n in b), key=bh.LAYERS.index)
    # auditxen: 74c213c506 (RELEASE-4.2.0) discards a guest's Vector Control write; a35137373a (4.4) allows it
    assert b["xen_msi_mask"]["value"] == "ignored" and b["xen_msi_mask"]["from"] == "xen 4.2"
    assert b["xen_msi_mask"]["commit"].startswith("74c213c506af x86/vMSI: miscellaneous fixes")
    assert b["qemu_unmap_pirq_on_msi_disable"]["from"] == "qemu-traditional (xen 4.2)"
    assert b["xen_pt_bind"]["from"] == "explicit" and b["xen_pt_bind"]["commit"].startswith("hypothetical")
    text = headless.human(xen)
    assert "  xen_msi_mask                   = ignored   xen 4.2; 74c213c506af\n" in text
    assert "  msix_mask_all                  = late      explicit; 83dbf898a2d4\n" in text
    bare_text = XEN_SCN.replace("platform:", "#").replace("passthrough: true", "passthrough: false")
    bare = headless.run(load_scenario_text(bare_text, "x.yaml")).summary["behaviour"]
    assert {"affinity_before_startup", "msi_affinity_update", "msix_mask_all", "msix_masked_update"} <= set(bare)
    assert all(layer[n] == "kernel" for n in bare)      # no Xen / QEMU rows
    assert not {"xen_hvm_msi_ignore_mask", "xen_reuse_cached_pirq"} & set(bare)    # Xen-HVM-only kernel switches
    pv = resolve("xen-pv", xen="4.4").shown("xen-pv")
    assert "xen_msi_mask" in pv and "xen_pt_bind" not in pv and "xen_hvm_msi_ignore_mask" not in pv
    assert bare["affinity_before_startup"] == {
        "value": True, "from": "default", "commit": "826da771291f genirq: Provide "
        "IRQCHIP_AFFINITY_PRE_STARTUP + ff363f480e59 x86/msi: Force affinity setup before startup"}


def test_check_reports_a_bad_fault_name_in_one_file_and_goes_on(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    bad = tmp_path / "bad.yaml"
    bad.write_text(XEN_SCN + "expect: {lost: {eth0: 0}}\nfaults:\n  - {call: no_such_fn, errno: EIO}\n")
    good = ROOT / "scenarios" / "marvell-nvme-msi-blocked-late.yaml"
    out = subprocess.run([sys.executable, "-m", "msidbg.cli", "check", str(bad), str(good)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.startswith(f"msidbg: {bad}:10: faults[0].call: unknown kernel program 'no_such_fn'")
    assert out.stdout.startswith("ok ")


def test_every_row_is_well_formed() -> None:
    """Catches a row typo before it resolves silently: release order, backport series, values, layers."""
    parse = {"kernel": bh.parse_kernel, "xen": bh.parse_xen, "qemu": bh.parse_qemu}
    names = [r.name for r in bh.rows()]
    assert len(names) == len(set(names))
    for row in bh.rows():
        assert row.layer in bh.LAYERS and row.doc and row.kinds, row.name
        assert set(row.hypothetical) <= set(row.values) and row.initial in (*row.values, None), row.name
        releases = [parse[row.layer](c.release).parts for c in row.history]
        assert releases == sorted(releases), f"{row.name}: history out of release order"
        for c in row.history:
            assert c.value in row.values and c.value not in row.hypothetical and c.commit, (row.name, c)
            mainline = parse[row.layer](c.release)
            for b in c.backports:
                back = parse[row.layer](b)
                assert len(back.parts) == 3 and back.series < mainline.series, (row.name, b)
            assert set(c.unconfirmed) <= {c.release, *c.backports}, (row.name, c.unconfirmed)
        if row.layer == "qemu":
            assert row.traditional is not None and row.traditional.value in row.values, row.name
            assert row.traditional.value not in row.hypothetical, row.name
