"""leads21: leftover leads of the session's lanes (docs/debugger.md, docs/model-baremetal.md).

1. An action queued on a CPU behind an action that never finished never starts; the run ended without a
   word about it (no event, no error, its device's signals never raised). The summary's ``not_started``
   (``--json``), the human summary's ``never started (N):`` and ``msidbg check``'s line now say so.
2. An IR-format IO-APIC entry (``platform.interrupt_remapping``) never has its ``cpu`` written: its message goes
   where the IRTE names, so synchronize_irq's "sent to CPU{N}" note named a stale CPU (the entry's initial 0).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from msidbg.debugger import Session
from msidbg.model import iommu
from tests.conftest import cpu_step_budget
from tests.test_leads19 import SOFT
from tests.test_leads20 import _notes, _run

HERE = Path(__file__).resolve().parent
HELD = HERE / "heldout_why6" / "w01-freesync-5p2.yaml"


def _stuck(tmp_path: Path, expect: str = "") -> Path:
    """test_spin_forever's run (5.2 given sync_irq_chip_state: free_irq on CPU3 spins on Remote IRR for ever),
    with one more action queued on CPU3 behind it."""
    text = HELD.read_text()
    assert 'kernel: {version: "5.2"}' in text
    text = text.replace('kernel: {version: "5.2"}', 'kernel: {version: "5.2", sync_irq_chip_state: true}')
    p = tmp_path / "stuck.yaml"
    p.write_text(text + "  - {at: 600us, on: 3, do: request_irq, dev: usb1, vector: 0}\n" + expect)
    return p


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "msidbg.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=HERE.parent)


def test_an_action_queued_behind_a_spin_for_ever_is_listed_as_never_started(tmp_path: Path) -> None:
    with cpu_step_budget(5_000):
        s = Session.from_scenario(str(_stuck(tmp_path)))
        stop = s.run()
    assert stop.reason == "end"
    summ = s.summary()
    assert summ["not_started"] == [{"action": 11, "do": "request_irq", "dev": "usb1", "cpu": 3, "at_ns": 600_000,
                                    "behind": 8}]
    assert s.world["actions"][8]["state"] == "running"     # free_irq, at its poll for ever
    # mid-run nothing is "never started": an action still queued there may yet start
    s.seek(10)
    assert s.summary()["not_started"] == []


def test_a_run_that_starts_every_action_lists_none(tmp_path: Path) -> None:
    with cpu_step_budget(50_000):
        s = Session.from_scenario(str(HELD))
        s.run()
    assert s.summary()["not_started"] == []


def test_the_headless_summary_and_check_say_so(tmp_path: Path) -> None:
    p = _stuck(tmp_path, "expect:\n  hit: [irq-lost]\n")
    line = "action 11 (do: request_irq on CPU3) never started (dev usb1; queued behind action 8, still running)"
    r = _cli("run", str(p), "--headless")
    assert r.returncode == 0, r.stderr
    assert f"never started (1):\n  {line}\n" in r.stdout
    j = _cli("run", str(p), "--headless", "--json")
    assert json.loads(j.stdout)["not_started"][0]["action"] == 11
    c = _cli("check", str(p))
    # the expect: matches (exit 0, the contract's meaning), and the line names the action that never ran
    assert c.returncode == 0, c.stdout + c.stderr
    assert c.stdout.strip() == f"ok   {p}; note: {line}"


# --- 2. a remapped level entry's message went where its IRTE named ----------------------------------------------

REMAPPED = "cpus: 2\nplatform: {interrupt_remapping: true}\n"


def test_synchronize_irq_names_the_cpu_the_remapped_level_message_went_to() -> None:
    """leads20's run behind VT-d: the level message goes through IRTE 0 to CPU1, whose APIC was soft-disabled
    (refused, Remote IRR left set); fixup_irqs moves the irq (intel_ir_set_affinity rewrites the IRTE to CPU0,
    not the entry); the remove's free_irq waits on Remote IRR for ever. On main the note said CPU0 (the IR-format
    entry's never-written ``cpu``)."""
    text = SOFT.format(kernel="5.6").replace("cpus: 2\n", REMAPPED)
    eng = _run(text + "  - {at: 4ms, on: 0, do: remove, dev: eth0}\n")
    notes = _notes(eng, "synchronize_irq: irq 16 in flight")
    assert notes and all(n.startswith("synchronize_irq: irq 16 in flight: Remote IRR set (irq_get_irqchip_state "
                                      "IRQCHIP_STATE_ACTIVE), sent to CPU1") for n in notes)
    pin = eng.w["ioapic"][16]
    assert "irte" in pin and pin["remote_irr"] and pin["sent"] == [1, 0x21]
    assert iommu.entry_cpu(eng.w, eng.w["iommu"]["irte"][pin["irte"]]) == 0     # the IRTE was moved to CPU0


def test_the_remapped_entrys_eoi_forgets_where_the_message_went() -> None:
    """ioapic_ir_ack_level's eoi_ioapic_pin (the pin number) clears Remote IRR and the record with it."""
    eng = _run(SOFT.format(kernel="5.4.62").replace("cpus: 2\n", REMAPPED))
    pin = eng.w["ioapic"][16]
    assert "irte" in pin and pin["remote_irr"] is False and "sent" not in pin
