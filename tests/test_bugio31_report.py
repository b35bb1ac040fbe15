"""bugio31: `msidbg report`'s state section at a stop between pm_suspend and pm_resume names the function's power
state and its Command with the saved one (pci_save_state's, which pci_restore_state writes back): a report of a
stop after pm_suspend (tests/resume30 r01: Memory Space cleared before the save) showed only the MSI-X table."""

from __future__ import annotations

from pathlib import Path

from tests.bugio.helpers import ROOT, cli

R01 = str(ROOT / "tests" / "resume30" / "r01-memoff-at-save-k66.yaml")
H01 = str(ROOT / "tests" / "resume30" / "h01-hvm-resume-k66.yaml")


def _state(tmp_path: Path, scn: str, cond: str, *extra: str) -> list[str]:
    snap = tmp_path / "s.msgpack"
    code, _, err = cli("run", scn, "--headless", "--stop-at-break", "--break", cond, "--save", str(snap))
    assert code in (0, 1) and snap.exists(), err
    code, out, err = cli("report", str(snap), *extra)
    assert code == 0, err
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip("# ").startswith("State at event"))
    return [ln.strip() for ln in lines[start + 1:start + 4]]


def test_report_state_after_pm_suspend(tmp_path: Path) -> None:
    got = _state(tmp_path, R01, 'if event.kind == "dev.power"')
    assert got == ["eth0 power: D3hot  (no request claimed, no message)",
                   "eth0 Control: Mem- BusMaster+  saved: Mem- BusMaster+",
                   "eth0 MSI-X: Enable+ Masked- Count=4"]


def test_report_state_on_xen_hvm_names_the_kernels_current_state(tmp_path: Path) -> None:
    """QEMU xen-pt's emulated PMCSR: the function stays in D0, the guest's current_state is D3hot."""
    got = _state(tmp_path, H01, 'if event.kind == "action.done" and event.do == "pm_suspend"')
    assert got[:2] == ["eth0 power: D0 (kernel: D3hot)", "eth0 Control: Mem+ BusMaster+  saved: Mem+ BusMaster+"], got
