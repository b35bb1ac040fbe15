"""Pure projections of the world for the panes (no app running): rows, grids, stacks, diffs."""

from __future__ import annotations

from pathlib import Path

from msidbg.tui import apicgrid, digest, stacks, table
from tests.tui.conftest import LATE, MASKED, session_at


def cells(w, dev, row):  # type: ignore[no-untyped-def]
    return [text for text, _ in table.row_cells(w, dev, row)]


def styles(w, dev, row):  # type: ignore[no-untyped-def]
    return {style for _, style in table.row_cells(w, dev, row) if style}


def test_vector_row_shows_address_destination_vector_and_kernel_view() -> None:
    w = session_at(MASKED, 38).world          # probe done: entries 0 and 1 live on CPU1
    row0 = cells(w, "eth0", 0)
    assert row0[:6] == ["0", "fee02004", "L02", "0x21", "·", "·"]   # 5.13 on 2 CPUs: apic_flat, CPU1 = 0x02
    assert row0[6] == "24" and row0[7] == "1/0x21"   # no latched column: eth0 does not latch
    assert cells(w, "eth0", 2)[4] == "M"     # never-used entries stay masked from reset
    assert "mismatch" not in styles(w, "eth0", 0)


def test_mask_and_pending_bits_from_the_device_registers() -> None:
    s = session_at(MASKED, 42)
    assert cells(s.world, "eth0", 1)[4:6] == ["M", "·"]
    s.seek(43)                               # msi.held: the signal sets the PBA bit
    row = cells(s.world, "eth0", 1)
    assert row[4:6] == ["M", "P"]
    assert {"masked", "pending"} <= styles(s.world, "eth0", 1)


def test_latched_message_and_mismatch_after_the_old_vector_is_freed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = session_at(LATE, 64)
    assert cells(s.world, "eth0", 0)[6] == "L02/0x21"   # latched the pre-move message (CPU1, apic_flat) on unmask
    assert "mismatch" not in styles(s.world, "eth0", 0)  # the old vector is still kept for the move
    s.seek(73)                                           # CPU1 offline on 5.13: CPU1 is not the irq's
    assert cells(s.world, "eth0", 0)[8] == "0/0x21 from 1/0x21"  # target, so the old vector leaks
    # a6c11c0a5235 (6.10, stable 4.19.316+) completes the move of every irq the dying CPU is
    # involved in: the old vector is freed and the latched message no longer maps
    text = Path(LATE).read_text().replace('version: "5.13"', 'version: "5.13"\n  hotplug_force_complete: involved')
    (tmp_path / "late.yaml").write_text(text)
    s = session_at(str(tmp_path / "late.yaml"), 73)
    assert cells(s.world, "eth0", 0)[8] == "0/0x21"
    assert "mismatch" in styles(s.world, "eth0", 0)


def test_pirq_messages_are_decoded() -> None:
    assert table.dest_vector(0xFEE00000 | (0x65 << 12), 0, 0x4300) == ("-", "pirq 101")
    assert table.pirq_of(0xFEE00000 | (0x12 << 12), 0x100) == 0x112


def test_digest_diff_names_the_rows_and_bits_that_changed() -> None:
    s = session_at(MASKED, 42)
    before = digest.take(s.world)
    s.step()                                 # 43: PBA bit of entry 1
    after = digest.take(s.world)
    ch = digest.diff(before, after)
    assert ch.rows == {"eth0": frozenset({1})} and not ch.irr
    s.step()                                 # 44: entry 0's message sets IRR 0x21 on CPU1
    ch = digest.diff(after, digest.take(s.world))
    assert ch.irr == {1: 1 << 0x21} and ch.cpus == frozenset({1}) and not ch.rows
    assert digest.diff(None, after) is digest.UNKNOWN and not digest.UNKNOWN.exact


def test_apic_grid_marks_set_bits_and_owned_vectors() -> None:
    s = session_at(MASKED, 44)
    line = "".join(t for t, _ in apicgrid.block_spans(s.world, 1, 2 + 2))  # class 2x
    irr = line[apicgrid.IRR_AT:apicgrid.IRR_AT + apicgrid.GRID]
    assert irr.startswith("○■")          # 0x20 cleanup owned, 0x21 pending (0x22 went to CPU0: fidvec2)
    spans = apicgrid.block_spans(s.world, 1, 4, changed_irr=1 << 0x21, cursor=0x22)
    styled = [st for t, st in spans if t in (apicgrid.SET, apicgrid.OWNED, apicgrid.FREE)]
    assert styled[0x21 - 0x20] == "changed" and styled[0x22 - 0x20] == "cursor"


def test_apic_vector_under_the_mouse_and_its_owner() -> None:
    assert apicgrid.vector_at(apicgrid.IRR_AT, 4) == 0x20
    assert apicgrid.vector_at(apicgrid.IRR_AT + 5, 4) == 0x24      # after the group gap
    assert apicgrid.vector_at(apicgrid.IRR_AT + 4, 4) is None      # the gap itself
    assert apicgrid.vector_at(apicgrid.ISR_AT + 18, 17) == 0xFF
    assert apicgrid.vector_at(apicgrid.IRR_AT, 1) is None          # column header line
    w = session_at(MASKED, 44).world
    assert "irq 24 PCI-MSIX eth0 #0" in apicgrid.owner(w, 1, 0x21)
    assert "[IRR]" in apicgrid.owner(w, 1, 0x21)
    assert "No irq handler" in apicgrid.owner(w, 1, 0x90)


def test_call_stacks_show_the_innermost_frame_first() -> None:
    w = session_at(LATE, 21).world            # inside request_irq -> ... -> pci_write_msi_msg
    lines = [t for _, t, _ in stacks.all_lines(w)]
    assert lines[0].startswith("CPU0 online")
    frames = [t.strip() for t in lines if t.strip().startswith("#")]
    assert frames[0].startswith("#0 pci_write_msi_msg")
    assert any("request_irq" in f for f in frames[1:])
    assert stacks.cpu_lines(w, 1)[-1] == ("  idle", "dim")


def test_msi_rows_follow_multiple_message_enable() -> None:
    from tests.tui.conftest import FIXTURES

    s = session_at(str(FIXTURES / "msi-and-msix.yaml"), 60)
    w = s.world
    assert table.row_count(w, "xhci0") == 4 and table.msi_enabled_count(w, "xhci0") == 1
    row0 = cells(w, "xhci0", 0)
    assert row0[0] == "msi0" and row0[6] == "24"
    assert cells(w, "xhci0", 1)[1] == "(beyond Multiple Message Enable)"
    assert table.row_count(w, "eth0") == 8 + 1                       # MSI-X entries, then MSI
    assert cells(w, "eth0", 2)[7] == "inactive"                      # reserved, not yet requested


def test_remapped_row_follows_the_irte_and_its_update_is_a_change() -> None:
    from msidbg.debugger import Session
    from tests.conftest import SCENARIOS

    s = Session.from_scenario(str(SCENARIOS / "msi-torn-affinity-update-remapped.yaml"))
    s.run()
    irte = [e.index for e in s.events(1, s.total + 1)
            if e.kind == "iommu.irte" and e.dev == "xhci" and e.fields["target"] not in (-1, 0)]
    move = irte[1]                                       # the first IRTE rewrite of a move
    s.seek(move - 1)
    before = digest.take(s.world)
    row = table.msix_count(s.world, "xhci")              # the MSI row comes after the MSI-X rows
    old = cells(s.world, "xhci", row)
    s.seek(move)
    new = cells(s.world, "xhci", row)
    assert old[1] == new[1]                              # the device's message did not change ...
    assert old[2:4] != new[2:4]                          # ... but where it goes did
    e = s.events(move, move + 1)[0]
    t = e.fields["target"]                               # x2APIC cluster mode (the default with remapping):
    assert new[2] == f"L{((t >> 4) << 16) | (1 << (t & 0xf)):x}"   # the IRTE holds the CPU's logical id
    assert new[3].startswith(f"{e.fields['vector']:#04x} i")
    assert row in digest.diff(before, digest.take(s.world)).rows["xhci"]
    assert "mismatch" not in styles(s.world, "xhci", row)


def test_pirq_rows_are_the_models_pirq_map_plus_qemus_view() -> None:
    """The pane shows the model's projection (the --json summary's ``pirqs``), not its own reading."""
    from msidbg.debugger import Session
    from msidbg.model.evtchn import pirq_map
    from msidbg.sim.world import copy_world
    from msidbg.tui import pirqmap
    from tests.conftest import ROOT

    s = Session.from_scenario(str(ROOT / "scenarios" / "xen-pirq-reuse-nvme.yaml"))
    assert s.continue_().breakpoint == "pirq-conflict"
    m = pirq_map(s.world)
    assert m is not None
    rows = {r.pirq: r for r in pirqmap.rows(s.world)}
    assert set(rows) >= {x["pirq"] for x in m["xen"]} | {g["pirq"] for g in m["guest"]}
    for x in m["xen"]:
        assert rows[x["pirq"]].xen_state.split()[0] == x["state"]
    bad = {d["pirq"]: d["why"] for d in m["disagreements"]}
    assert bad and all(rows[p].conflict.startswith(why) for p, why in bad.items())
    assert all(not r.conflict for p, r in rows.items() if p not in bad)
    r101 = rows[101]
    assert (r101.device, r101.guest_irq) == ("nvme1/0", "27,30")   # 4.9's nvme: 3 irqs per controller
    assert "qemu nvme1/0" in r101.guest_view and "read-back nvme0/0" in r101.guest_view
    # QEMU naming another entry than Xen is a disagreement of its own
    w = copy_world(s.world)
    w["qemu"]["devs"]["nvme1"]["msix"]["entries"][1]["pirq"] = 101
    assert "QEMU maps it for nvme1/1, Xen has nvme1/0" in pirqmap.rows(w)[0].conflict
    assert pirqmap.rows(session_at(MASKED, 36).world) == []   # bare metal
