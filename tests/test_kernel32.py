"""kernel32: bare-metal PCI/MSI and irq-core details read in 4.13.9, 5.15.24, 5.17 and 6.12.19 trees.

- pci_free_irq_vectors is pci_disable_msix(dev) THEN pci_disable_msi(dev), each with its own flag test and
  (5.17+) its own msi_lock_descs (reading kernel.msi.free-vectors-both; the race it opens: tests/test_kernel29
  c04, reading kernel.msi.shutdown-no-desc);
- msi_capability_init starts with pci_msi_set_enable(dev, 0) (kernel.msi.disable-during-setup);
- handle_edge_irq parks an edge of an irq without an action as it parks one of a disabled irq
  (kernel.entry.edge-no-action);
- pci_intx_for_msi writes Interrupt Disable of every function, with an INTx pin or not (kernel.intx.for-msi; read,
  not modelled: msidbg still leaves the write out for a function without intx:, a lead);
- poll_spurious_irqs re-arms for ever, and the polls msidbg does not run would change nothing
  (kernel.intx.poll-idempotent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msidbg.debugger import headless
from msidbg.model import cite
from msidbg.scenario import load_scenario, load_scenario_text
from tests.conftest import new_engine, run_to_end, with_kernel

HERE = Path(__file__).parent / "kernel32"
ROOT = Path(__file__).parent.parent


def _run(name: str, **kernel: Any) -> tuple[Any, list[Any]]:
    scn = load_scenario(str(HERE / f"{name}.yaml"))
    if kernel:
        scn = with_kernel(scn, **kernel)
    eng = run_to_end(scn)
    return eng, list(eng.log.events(1, len(eng.log) + 1))


@pytest.mark.parametrize("path", sorted(HERE.glob("*.yaml")), ids=lambda p: p.stem)
def test_kernel32_expect_blocks(path: Path) -> None:
    assert headless.check(load_scenario(str(path))) == []


# --- msi_capability_init: 'pci_msi_set_enable(dev, 0); /* Disable MSI during set up */' ----------------------
@pytest.mark.parametrize("version", ["5.15", "6.6"])
def test_msi_setup_clears_an_enable_left_set_before_anything_else(version: str) -> None:
    """Firmware left MSI Enable set (the raw write at 0, when the latching function took the zero message): the
    probe's first MSI Message Control write clears Enable before the message is written, so the last write is a
    0 -> 1 transition and the function latches the kernel's message -- all 3 delivered."""
    eng, evs = _run("d01-msi-enable-left-set-k66", version=version)
    ctrl = [(e.time_ns, e.fields["value"] & 1) for e in evs if e.kind == "cfg.write" and e.fields["offset"] == 0x52]
    msg = [e.time_ns for e in evs if e.kind == "cfg.write" and e.fields["offset"] in (0x54, 0x58)]
    assert ctrl[0] == (0, 1)                                # the firmware's
    assert ctrl[1][1] == 0 and ctrl[1][0] < min(msg)        # msi_capability_init's first statement
    first_on = next(t for t, en in ctrl[2:] if en)
    assert min(msg) < first_on                              # Enable goes 0 -> 1 after the message
    d = eng.w.devices["d0"]["msi"]
    assert d["latched"] == [d["addr_lo"], d["addr_hi"], d["data"]] and d["data"] != 0
    assert (eng.w.acct["d0"]["delivered"][0], eng.w.acct["d0"]["lost"][0]) == (3, 0)


def test_every_msi_setup_writes_enable_clear_once_first() -> None:
    """One unconditional read-modify-write per set-up, Enable clear already or not (a plain probe)."""
    text = (HERE / "d01-msi-enable-left-set-k66.yaml").read_text()
    text = text.replace("  - {at: 0, on: 0, do: write, dev: d0, target: config, offset: 0x52, value: 0x1, size: 2}\n", "")
    eng = run_to_end(load_scenario_text(text, "d01-plain"))
    ctrl = [(e.time_ns, e.fields["value"]) for e in eng.log.events(1, len(eng.log) + 1)
            if e.kind == "cfg.write" and e.fields["offset"] == 0x52]
    assert ctrl[0] == (12_000, 0x0)     # after the two Command writes of pci_enable_device / pci_set_master
    assert [v & 1 for _, v in ctrl] == [0, 0, 1, 1]     # clear, the message's Multiple Message Enable, Enable, startup


# --- handle_edge_irq: 'if (irqd_irq_disabled(&desc->irq_data) || !desc->action)' -----------------------------
def test_an_edge_of_an_irq_started_without_an_action_is_parked() -> None:
    """4.14: enable_irq after free_irq starts the irq (activated again, a vector) with no action: the edge is
    IRQS_PENDING ('no action'), mask_ack_irq masks the entry and EOIs, no handler event; request_irq's
    irq_startup replays it to the new action."""
    eng, evs = _run("a01-edge-no-action-k414")
    at = [(e.time_ns, e.kind, e.fields.get("why", e.fields.get("value", ""))) for e in evs
          if 300_000 <= e.time_ns < 400_000]
    assert at == [(300_000, "msi.msg", ""), (300_000, "apic.accept", ""), (300_400, "irq.pending", "no action"),
                  (300_500, "msix.write", 1), (300_700, "apic.eoi", "")]
    handlers = [(e.time_ns, e.fields["signals"]) for e in evs if e.kind == "irq.handler"]
    assert handlers == [(401_700, 1)]
    assert [e.time_ns for e in evs if e.kind == "irq.resend"] == [400_900]
    assert (eng.w.acct["d0"]["delivered"][0], eng.w.acct["d0"]["lost"][0]) == (1, 0)


def test_edge_no_action_reading_quotes_the_test() -> None:
    r = cite.READINGS["kernel.entry.edge-no-action"]
    assert r.status == "confirmed" and "|| !desc->action)" in r.quote
    assert [s.ref for s in r.sources] == ["v4.13.9", "v5.15.24", "v6.12.19"]


# --- pci_intx_for_msi: pci_intx whatever the pin (read; not modelled: a lead) -----------------------------------
def test_intx_for_msi_reading_says_the_pinless_write_is_the_models_omission() -> None:
    r = cite.READINGS["kernel.intx.for-msi"]
    # (kernel32 found the model's omission; intx36 made the write for every function)
    assert r.status == "confirmed" and "Every function, pin or not" in r.text and "intx36 made the write" in r.text
    assert {s.ref for s in r.sources} >= {"v4.13.9", "v5.15.24", "v6.12.19"}


# --- pci_free_irq_vectors: both disables ------------------------------------------------------------------------
def test_free_of_msi_goes_through_the_msix_flag_test_first() -> None:
    """MSI on: pci_disable_msix returns at its flag test, pci_disable_msi tears MSI down; nothing waits, the lock
    is free after it."""
    text = (HERE / "d01-msi-enable-left-set-k66.yaml").read_text() + \
        "  - {at: 200us, on: 1, do: remove, dev: d0}\n"
    text = text[:text.index("expect:")] + text[text.index("  - {at: 200us"):]
    eng = run_to_end(load_scenario_text(text, "d01-free"))
    evs = list(eng.log.events(1, len(eng.log) + 1))
    free = [(e.kind, e.fields.get("offset"), e.fields.get("value")) for e in evs
            if e.cpu == 1 and e.time_ns >= 200_000 and e.kind != "action.start"]
    msi = [x for x in free if x[0] == "cfg.write" and x[1] == 0x52]
    # free_irq's deactivation writes the zero message (Multiple Message Enable first, Enable kept), then
    # pci_msi_shutdown clears Enable
    assert msi == [("cfg.write", 0x52, 0x1), ("cfg.write", 0x52, 0x0)]
    assert ("irq.release", None, None) in free and free[-1][0] == "action.done"
    assert not [e for e in evs if e.kind == "kernel"]
    p = eng.w.kernel["pci"]["d0"]
    assert (p["lock"], p["msi_enabled"], p["descs"]) == (-1, False, [])


def test_free_vectors_readings_name_the_trees() -> None:
    both = cite.READINGS["kernel.msi.free-vectors-both"]
    assert "pci_disable_msix(dev); pci_disable_msi(dev);" in both.quote
    assert {s.ref for s in both.sources} == {"v4.13.9", "v5.15.24", "v5.17", "v6.12.19"}
    nodesc = cite.READINGS["kernel.msi.shutdown-no-desc"]
    assert "WARN_ON_ONCE(!desc)" in nodesc.quote and "5.17-rc5" in nodesc.sources[0].versions


# --- poll_spurious_irqs: re-armed for ever; the model's stop is a fixed point ------------------------------------
def test_the_polls_msidbg_does_not_run_change_nothing() -> None:
    """intx-nobody-cared ends at 302 ms with a poll that found nothing to re-arm for. Keep the agenda busy until
    2 s (a config write to an unrelated register): 16 more polls run (try_one_irq: each handler finds its
    condition clear, note_interrupt returns under IRQS_POLL_INPROGRESS) and every outcome is what it was when
    the shipped run ends."""
    base = (ROOT / "scenarios" / "intx-nobody-cared.yaml").read_text()
    extra = base.replace("breakpoints:", "  - {at: 2s, on: 1, do: write, dev: usb0, target: config, offset: 0x3c, "
                         "value: 0, size: 1}\nbreakpoints:")
    eng = new_engine(load_scenario_text(extra, "b"))

    def state() -> Any:
        w = eng.w
        keep = ("count", "pending", "masked", "disabled", "depth", "action", "actions", "spurious_disabled")
        return ({d: repr(w.acct[d]) for d in ("eth0", "usb0")}, {k: repr(w.irqs[16].get(k)) for k in keep},
                repr(w["ioapic"]), {d: (w.devices[d]["cmd"], repr(w.devices[d].get("intx"))) for d in ("eth0", "usb0")})

    eng.advance(10**7, after=lambda: eng.w.now >= 302_001_400)
    n = len(eng.log)
    stop = eng.log.events(n, n + 1)[0]      # the shipped run's last poll (302 ms): there it was not re-armed
    assert (stop.kind, stop.time_ns, stop.fields["how"]) == ("irq.poll", 302_001_400, "mod_timer(jiffies + HZ/10)")
    at_stop = state()
    while eng.step():
        pass
    later = [e for e in eng.log.events(n + 1, len(eng.log) + 1) if e.kind == "irq.poll"]
    assert len([e for e in later if e.fields["how"] == "mod_timer(jiffies + HZ/10)"]) == 16
    assert all(e.fields["handled"] == 0 for e in later)
    end = state()
    assert end[1:] == at_stop[1:], (end, at_stop)
    assert end[0]["eth0"] == at_stop[0]["eth0"], (end[0], at_stop[0])
    # usb0's condition (no driver) is held at the stop and counted lost at the end of the run, as in the shipped one
    assert "'lost': [0]" in at_stop[0]["usb0"] and "'lost': [1]" in end[0]["usb0"]


def test_poll_readings() -> None:
    bound = cite.READINGS["kernel.intx.poll-bound"]
    assert bound.status == "hypothetical" and "kernel.intx.poll-idempotent" in bound.text
    idem = cite.READINGS["kernel.intx.poll-idempotent"]
    assert idem.status == "confirmed" and "IRQS_POLL_INPROGRESS" in idem.quote
