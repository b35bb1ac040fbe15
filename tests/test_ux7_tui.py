"""ux7: the TUI on a Xen host move. Xen moves a passed-through device's host irq between pCPUs
(IRQ_MOVE_PENDING applied at the next interrupt, the old vector kept until irq_complete_move): the
pirq map showed only "bound h56", so the screen at a torn message did not say where Xen's irq was,
where it was going, or that its old vector was still held."""

from __future__ import annotations

from pathlib import Path

from msidbg.debugger import Session
from msidbg.tui import pirqmap
from msidbg.tui.app import make_app
from msidbg.tui.panes.pirqs import PirqMap
from tests.tui.conftest import idle

MOVE = """\
name: xenhost-move
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.16"}
kernel: {version: "5.15"}
devices:
  dev0: {bdf: "00:05.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: false}}
breakpoints: [msi-torn-message]
run:
  - {at: 0, do: probe, dev: dev0, mode: msi, vectors: 1}
  - {at: 1ms, do: set_affinity, dev: dev0, vector: 0, cpu: 1}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 3, every: 1400ns}
  - {at: 3ms, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}
"""


def _hosts(path: Path) -> list[str]:
    """The pirq's host column at each event where it changes."""
    s = Session.from_scenario(str(path))
    s.run()
    seen: list[str] = []
    for i in range(s.cursor + 1):
        s.seek(i)
        (row,) = pirqmap.rows(s.world) or [None]
        host = row.host if row else ""
        if not seen or seen[-1] != host:
            seen.append(host)
    return seen


def test_the_pirq_map_shows_the_host_irqs_move(tmp_path: Path) -> None:
    path = tmp_path / "move.yaml"
    path.write_text(MOVE)
    # mapped on pCPU0; the guest's bind_vcpu asks for pCPU1; the next interrupt moves it, keeping
    # 0x31 on pCPU0 until a signal arrives on pCPU1's 0x39
    assert _hosts(path) == ["", "p0/0x31", "p0/0x31 >p1", "p1/0x39 +p0/0x31", "p1/0x39"]


async def test_the_pane_shows_the_host_column_at_the_torn_message(tmp_path: Path) -> None:
    path = tmp_path / "move.yaml"
    path.write_text(MOVE)
    app = make_app(str(path), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("c")
        await idle(pilot, app)
        assert app.session.last_stop.breakpoint == "msi-torn-message"
        pane = app.query_one(PirqMap)
        header, row = (pane.render_line(y).text for y in range(2))
        at = header.index("host vector")
        assert row[at:].startswith("p1/0x39 +p0/0x31 ")
        assert row.split()[:3] == ["101", "bound", "h56"]
        assert header.index("evt") > at + len("p1/0x39 +p0/0x31")   # the columns after it move right


async def test_an_intx_only_device_shows_no_empty_column_titles() -> None:
    """usb0 of the INTx scenario has only a pin: the vector table showed the MSI-X column titles
    over no rows; it says why there are none."""
    from msidbg.tui.panes.vectors import VectorTable
    from tests.conftest import SCENARIOS

    app = make_app(str(SCENARIOS / "intx-nobody-cared-claimed.yaml"), keymap={})
    async with app.run_test(size=(80, 24)) as pilot:
        await idle(pilot, app)
        await pilot.press("d")
        await idle(pilot, app)
        assert app.view is not None and app.view.device == "usb0"
        pane = app.query_one(VectorTable)
        text = [pane.render_line(y).text.rstrip() for y in range(pane.header_lines)]
        assert text[0].startswith("INTx A, GSI 16")
        assert text[-1] == "no MSI or MSI-X capability: the INTx pin is its interrupt"
        assert not any("kernel cpu/vec" in t for t in text)
