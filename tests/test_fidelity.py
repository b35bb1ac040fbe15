"""docs/fidelity.md is generated and current; every program, module and reading has its source."""

from __future__ import annotations

import subprocess
import sys

import msidbg.model  # noqa: F401  (registers everything)
from msidbg import behaviour as bh
from msidbg.model import cite, fidelity
from msidbg.sim.program import PROGRAMS
from tests.conftest import ROOT

#: programs that do not cite their upstream source yet. fid-kernel and fid-xen shrink this to
#: nothing: delete a name when its program gets source=... (the test fails if a cited one stays).
UNCITED: set[str] = set()
HARDWARE = ("msidbg.model.device", "msidbg.model.apic", "msidbg.model.iommu", "msidbg.model.bus",
            "msidbg.model.acct")


def test_docs_fidelity_md_is_current() -> None:
    out = subprocess.run([sys.executable, "-m", "msidbg.model.fidelity", "--check"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr + "(run: python -m msidbg.model.fidelity)"


def test_every_program_cites_its_source_or_is_on_the_shrinking_list() -> None:
    uncited = {n for n, p in PROGRAMS.items() if not p.sources}
    assert uncited - UNCITED == set(), f"new programs without source=: {sorted(uncited - UNCITED)}"
    assert UNCITED - uncited == set(), f"cited now, delete from UNCITED: {sorted(UNCITED - uncited)}"
    for p in PROGRAMS.values():
        assert all(isinstance(s, cite.Source) for s in p.sources), p.name


def test_every_reading_is_quoted_or_hypothetical_and_hardware_modules_cite() -> None:
    assert cite.problems() == []
    assert all(cite.MODULES.get(m) for m in HARDWARE)
    for r in cite.READINGS.values():
        assert r.status in cite.STATUSES and r.module, r.key
        assert r.status == "hypothetical" or (r.sources and r.quote), r.key


def test_the_page_lists_every_row_reading_and_program() -> None:
    text = fidelity.render()
    for row in bh.rows():
        assert f"| `{row.key}` |" in text
    for key in cite.READINGS:
        assert f"| `{key}` |" in text
    for name in PROGRAMS:
        assert f"| `{name}` |" in text
    # (device.msi.latch-on-enable stood here until audit16 confirmed it in f3b0946d629c's message)
    hyp = [line for line in text.splitlines() if line.startswith("| `kernel.spin-forever`")]
    assert hyp and "*hypothetical*" in hyp[0]


def test_the_open_section_counts_the_unconfirmed_releases() -> None:
    """xenleads22: the page said nothing of how many releases rest on an unconfirmed reading; its Open section
    now counts them from the behaviour table (two: nvme_queue_cpus' 4.13, qemu-xen-4.6.3)."""
    text = fidelity.render()
    open_part = text[text.index("## Open"):]
    line = next(ln for ln in open_part.splitlines() if ln.startswith("- Unconfirmed releases"))
    # audit20: three stable boundaries whose first release no source names (the value read in later trees)
    # resume30: pm_thaw_restores' 4.13 (e60514bd4485 read absent in 4.12.0, present in 4.13.9)
    # kernel35: msi_enable_twice_einval's 4.20 (4c1ef72e9b71 read absent in 4.19, present in 5.2)
    # audit26: those two and nvme_queue_cpus' 4.13 confirmed in the 4.13.0 and 4.20.0 trees
    # xen35: af6fc858a35b's 4.0 / 3.19.2 and XSA-157's 4.4 (read in 4.13.9, absent in a 3.4 tree)
    assert line.endswith("): 7 (`kernel.managed_spread` 4.19.37, "
                         "`kernel.pciback_cmd_emulated` 3.19.2, "
                         "`kernel.pciback_cmd_emulated` 4.0, `kernel.pciback_msi_enabled_check` 4.4, "
                         "`kernel.xen_eoi_clear_first` 3.18.63, `kernel.xen_eoi_clear_first` 4.1.52, "
                         "`platform.qemu_msix_pirq_ignore_mask` qemu-xen-4.6.3).")
    assert "- Unconfirmed values before a row's first change: 0." in open_part
