"""ux8: defects the session's red teams reported, as a debugger user would want them fixed."""

from __future__ import annotations

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
