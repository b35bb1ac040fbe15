"""``why`` leftovers from the held-out run (whyheld): each test pins one gap found there.

A Xen pirq irq's vector answered "initial"; a pirq entry made again after an unbind answered with
the old unbind; the refused binding of QEMU's pirq -1 had no path; the "no irq N" error listed every
irq; a raw data write to an MSI capability (a message the kernel never programmed) is spurious
but not torn, and its chain names the write.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from msidbg.debugger import Session
from tests.test_why_held import ENOSPC
from tests.why_helpers import ROOT, events, first_hit

# eth0 probed and removed, then eth1 probed on the same pirqs (Xen makes their entries again),
# then eth0 probed again on the pirqs it read back from QEMU
TWO_NICS = """
name: two-nics
seed: 4
cpus: 2
platform: {kind: xen-hvm, xen: "4.7"}
kernel: {version: "4.4"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, passthrough: true, msix: {table_size: 4}}
  eth1: {bdf: "00:08.0", kind: nic, passthrough: true, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {on: 0, do: remove, dev: eth0}
  - {at: 400us, on: 1, do: probe, dev: eth1, mode: msix, vectors: 2}
  - {at: 1ms, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
breakpoints: [pirq-conflict]
"""

# QEMU's stale latch on Xen 4.19: after free_irq and a Memory Space toggle, QEMU binds pirq -1
STALE_419 = """
name: stale-419
cpus: 3
platform: {kind: xen-hvm, xen: "4.19", xen_hvm_pirqs: false}
kernel: {version: "6.1"}
devices:
  nvme0: {bdf: "00:04.0", kind: generic, passthrough: true, msix: {table_size: 4}}
run:
  - {at: 0, on: 1, do: probe, dev: nvme0, mode: msix, vectors: 3}
  - {at: 3ms, on: 1, do: free_irq, dev: nvme0, vector: 2}
  - {at: 4ms, on: 1, do: write, dev: nvme0, target: config, offset: 4, value: 0x0004, size: 2}
  - {at: 5ms, on: 1, do: write, dev: nvme0, target: config, offset: 4, value: 0x0006, size: 2}
breakpoints: [pirq-conflict]
"""


RAW_MSI = """
name: raw-msi
seed: 1
cpus: 1
kernel: {version: "6.1"}
devices:
  xhci: {bdf: "00:14.0", kind: xhci, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, on: 0, do: probe, dev: xhci, mode: msi, vectors: 1}
  - {at: 100us, do: fire, dev: xhci, vector: 0, count: 6, every: 5us}
  - {at: 110us, do: write, dev: xhci, target: config, offset: 0x5c, value: 0x0022, size: 2}
breakpoints: [msi-torn-message, irq-spurious, irq-lost]
"""


def _run(tmp: Path, text: str, name: str = "s.yaml") -> Session:
    p = tmp / name
    p.write_text(text)
    s = Session.from_scenario(str(p))
    s.run()
    return s


def test_xen_pirq_irq_vector_is_explained_by_the_irq_allocation(tmp_path: Path) -> None:
    """A Xen pirq irq gets no x86 vector (Xen delivers it through an event channel): its
    irqs[n].vector / .cpu read 0 and why said 'still had its initial value', though the irq did
    not exist at the start. The answer is now the guest step that made the irq (its xen.irq event
    in xen_hvm_setup_msi_irqs), for a fresh pirq and for one re-used from the read-back."""
    s = _run(tmp_path, TWO_NICS)
    for ev in events(s, "xen.irq"):
        if ev.fields["how"] == "destroyed":
            continue
        irq = ev.fields["irq"]
        if irq not in s.world["irqs"]:
            continue
        for part in ("vector", "cpu"):
            why = s.why(f"irqs[{irq}].{part}")
            head = why.chain[0]
            assert head.link != "initial", (irq, part, why.text())
            assert head.event == ev.index and head.path == f"irqs[{irq}].{part}" and head.value == 0
            assert "since the irq was allocated" in head.reason
            assert head.stack and head.stack[0].startswith("xen_hvm_setup_msi_irqs+")


def test_recreated_pirq_entry_is_explained_by_its_creation_not_the_old_unbind(tmp_path: Path) -> None:
    """eth0's removal unbinds and unmaps pirq 101 (its entry goes), eth1's probe gets it again
    from PHYSDEVOP_get_free_pirq. Before QEMU binds it, xen.pirqs[101].bound and .port were
    answered with eth0's pt_irq_destroy_bind / EVTCHNOP_close: an entry that no longer existed.
    The answer is now the step that made the current entry."""
    s = _run(tmp_path, TWO_NICS)
    allocs = [e for e in events(s, "xen.hypercall", op="PHYSDEVOP_get_free_pirq")]
    first = allocs[0].fields["ret"]
    again = next(e for e in allocs[1:] if e.fields["ret"] == first)
    unbind = next(e for e in events(s, "qemu.unbind_pirq", pirq=first))
    assert unbind.index < again.index
    s.seek(again.index + 1)
    for part, value in (("bound", False), ("port", 0)):
        why = s.why(f"xen.pirqs[{first}].{part}")
        head = why.chain[0]
        assert head.event == again.index, why.text()
        assert head.value == value and "since the pirq's entry was made" in head.reason
    # before the entry went, the unbind still answers
    s.seek(unbind.index + 1)
    assert s.why(f"xen.pirqs[{first}].bound").chain[0].event == unbind.index


def test_refused_bind_of_pirq_minus_one_names_qemus_entry(tmp_path: Path) -> None:
    """QEMU binds pirq -1 ('unassigned') for an entry: pt_irq_create_bind refuses it. The refusal
    was recorded on key xen.pirqs[-1].bound, which is no key at all: its link had no path (and a
    dependency on 'the initial state' of nothing). It now names what was refused: the pirq of
    QEMU's entry, qemu.devs.D.msix.entries[i].pirq."""
    s = _run(tmp_path, STALE_419)
    bad = next(e for e in events(s, "qemu.bind_pirq") if e.fields["pirq"] < 0)
    hit = next(h for h in s.hits() if h.event == bad.index)
    why = s.why(hit)
    head = why.chain[0]
    assert head.link == "xen.refused"
    assert head.path == f"qemu.devs.nvme0.msix.entries[{bad.fields['entry']}].pirq", why.text()
    assert all(lk.path is not None or lk.link not in ("initial",) for lk in why.links()), why.text()


def test_no_irq_error_is_one_bounded_line(tmp_path: Path) -> None:
    """why --path 'irqs[N].vector' for an irq the run does not have listed every allocated irq:
    139 numbers after an ENOSPC run. It stays one line naming the field and what was expected:
    the count, the range and the few nearest irqs."""
    p = tmp_path / "enospc.yaml"
    p.write_text(ENOSPC)
    out = subprocess.run([sys.executable, "-c", "import sys; from msidbg._boot import main; sys.exit(main())", "why", str(p),
                          "--path", "irqs[9999].vector"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    err = out.stderr.strip()
    # (bounded whatever the temporary directory is called: the path is the caller's, the rest the message)
    assert "\n" not in err and len(err) - len(str(p)) < 240, err
    assert "irqs[9999].vector: no irq 9999" in err and "139 allocated irqs" in err and "..." in err
    assert "162" in err      # the nearest ones are named


def test_raw_msi_data_write_is_spurious_not_torn_and_why_names_the_write(tmp_path: Path) -> None:
    """A raw 2-byte write of MSI data 0x22 on a 1-CPU run: the device then sends (address, 0x22),
    the very pair the write left -- one config write, nothing half-updated, so not
    msi-torn-message (a pair nobody wrote together). The kernel sees what it prints: 'No irq
    handler for vector' (irq-spurious, irq-lost), and why's chain for it ends at the raw write."""
    s = _run(tmp_path, RAW_MSI)
    assert not [h for h in s.hits() if h.name == "msi-torn-message"]
    hit = first_hit(s, "irq-spurious")
    assert "No irq handler for vector" in hit.detail and "0x22" in hit.detail
    why = s.why(hit)
    raw = [lk for lk in why.chain if lk.stack and lk.stack[0].startswith("raw_write")]
    assert raw and raw[0].path == "devices.xhci.msi.data" and raw[0].value == 0x22, why.text()


# --- the cleanup that frees nothing --------------------------------------------------------------------
# 6.6: the irq moves CPU2 -> CPU3; the move completes on CPU3 (CPU2's cleanup timer armed), then CPU3
# goes offline: irq_force_complete_move frees the old vector on CPU2 and takes it off CPU2's list
TIMER_EMPTIED = """
name: timer-emptied
cpus: 4
kernel: {version: "6.6"}
devices:
  eth0: {bdf: "00:03.0", kind: generic, msix: {table_size: 4}}
run:
  - {at: 0, on: 1, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 50us, on: 1, do: set_affinity, dev: eth0, vector: 1, cpu: 3}
  - {at: 100us, do: fire, dev: eth0, vector: 1, count: 2, every: 50us}
  - {at: 200us, on: 0, do: cpu_offline, cpu: 3}
"""

# 4.19: free_irq releases the moved vector before the cleanup IPI it sent is taken
IPI_EMPTIED = """
name: ipi-emptied
seed: 1
cpus: 3
costs: {handler: 20us}
kernel: {version: "4.19"}
devices:
  sas0: {bdf: "00:05.0", kind: generic, msix: {table_size: 6}}
run:
  # (fidvec2) from 4.15 CPU0 keeps only the timer's ISA vector: irq_default_affinity keeps sas0 on CPU1 and CPU2
  - {at: 0, on: 1, do: default_affinity, cpus: [1, 2]}
  - {at: 0, on: 1, do: probe, dev: sas0, mode: msix, vectors: 4}
  - {at: 50us, on: 1, do: set_affinity, dev: sas0, vector: 2, cpu: 2}
  - {at: 100us, do: fire, dev: sas0, vector: 2}
  - {at: 105us, do: fire, dev: sas0, vector: 2}
  - {at: 106us, on: 0, do: free_irq, dev: sas0, vector: 2}
"""


def test_a_cleanup_with_nothing_queued_frees_no_vector(tmp_path: Path) -> None:
    """6.6's vector_cleanup_callback on a CPU whose list hotplug emptied (irq_force_complete_move on
    the dying new target freed the old vector), and 4.19's cleanup IPI after free_irq released the
    moved vector: __vector_cleanup / smp_irq_move_cleanup_interrupt walk an empty list and free
    nothing. The model emitted 'vector.free irq=-1 vector=0', a release that did not happen; it now
    notes the empty list, and every vector.free names a vector."""
    for text, prog, cpu in ((TIMER_EMPTIED, "vector_cleanup_callback", 2),
                            (IPI_EMPTIED, "irq_move_cleanup_interrupt", 1)):
        s = _run(tmp_path, text)
        assert all(e.fields["vector"] for e in events(s, "vector.free")), text
        notes = [e for e in events(s, "kernel", prog=prog) if "cleanup list is empty" in e.fields["what"]]
        assert len(notes) == 1 and notes[0].cpu == cpu, [str(e) for e in events(s, "kernel", prog=prog)]
        # the cleanup really had nothing left: the moved irq's vectors were released before, by the
        # other path (hotplug's force-complete, free_irq), and none is queued on the CPU now
        assert [e for e in events(s, "vector.free") if e.index < notes[0].index and e.fields["irq"] >= 0], text
        assert notes[0].fields["value"] == 0 and not s.world["cpus"][cpu]["cleanup"]
