"""leads21: leftover leads of the session's lanes (docs/debugger.md, docs/model-baremetal.md).

1. An action queued on a CPU behind an action that never finished never starts; the run ended without a
   word about it (no event, no error, its device's signals never raised). The summary's ``not_started``
   (``--json``), the human summary's ``never started (N):`` and ``msidbg check``'s line now say so.
2. An IR-format IO-APIC entry (``platform.interrupt_remapping``) never has its ``cpu`` written: its message goes
   where the IRTE names, so synchronize_irq's "sent to CPU{N}" note named a stale CPU (the entry's initial 0).
3. cpu_up empties the CPU's cleanup list, which upstream lapic_online never touches: no run reaches it with an
   entry on the list (pinned here), so the behaviour stays.
4. A doorbell refused (-ENXIO) after ``free_vectors`` linked the earlier bind: pci_free_irq_vectors leaves
   dev->driver set and wrote no provenance; it now records the vectors it released (``kernel.pci.D.descs``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from msidbg.debugger import Session
from msidbg.model import iommu, new_engine
from msidbg.scenario import load_scenario_text
from tests.conftest import cpu_step_budget
from tests.test_leads19 import SOFT
from tests.test_leads20 import _notes, _run
from tests.why_helpers import links

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


# --- 3. cpu_up's cleanup-list reset is never reached with anything on the list --------------------------------------

CLEANUP = """name: cleanup-at-offline
cpus: 2
costs: {handler: 30us}
kernel: {version: "KERNEL"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 500us, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 1}
  - {at: 600us, on: 0, do: set_affinity, dev: eth0, vector: 1, cpu: 0}
  - {at: 700us, do: fire, dev: eth0, vector: 0}
  - {at: 1ms, on: 0, do: set_affinity, dev: eth0, vector: 0, cpu: 0}
  - {at: 1500us, do: fire, dev: eth0, vector: 0}
  - {at: 1990us, do: fire, dev: eth0, vector: 1}
  - {at: 1990us, do: fire, dev: eth0, vector: 0}
  - {at: 2ms, on: 0, do: cpu_offline, cpu: 1}
  - {at: 3ms, on: 0, do: cpu_online, cpu: 1}
"""


def test_an_offline_cpu_never_holds_a_cleanup_list_so_cpu_up_resets_nothing() -> None:
    """Upstream lapic_online (008f1d60fe25, 4.15; read in a 4.16.13 tree: irq_matrix_online and the vector_irq
    rewrite) never touches the per-CPU cleanup_list; cpu_up's ``target["cleanup"] = []`` (kernel/hotplug.py) would
    drop queued entries it keeps. It is never reached with one: an entry is queued only on an online CPU
    (__send_cleanup_vector / __vector_schedule_cleanup: cpu_online(prev_cpu)); from 6.6 lapic_offline's
    __vector_cleanup(cl, false) drains the dying CPU's list after fixup_irqs; before, its IRQ_MOVE_CLEANUP_VECTOR
    IPI is taken before stop_machine disables interrupts (multi_cpu_stop: MULTI_STOP_PREPARE with interrupts on),
    and the dying CPU is out of cpu_online_mask from take_cpu_down. Here a 6.6 move completes during the offline's
    stop_machine (CPU0 in a 30us handler holds MULTI_STOP_PREPARE): its cleanup waits on CPU1's list for the
    timer, and lapic_offline empties it; 6.5 takes the IPI. (redteam19's fuzz19 --hotplug, seeds 21 and 22, 257
    runs, and seed 23, 87 runs, found no CPU brought up with a non-empty list either.)"""
    for version, queued in (("6.6", True), ("6.5", False), ("5.10.60", False)):
        eng = new_engine(load_scenario_text(CLEANUP.replace("KERNEL", version), "cleanup.yaml"))
        seen_queued = False
        ups = 0
        while True:
            c = eng.w.cpus[1]
            if eng.w.kernel["hotplug"] >= 0 and c.online and list(c.cleanup):
                seen_queued = True
            assert c.online or not list(c.cleanup), (version, eng.cur)
            if not eng.step():
                break
            ups += eng.log.event(eng.cur).kind == "cpu.online"
        assert ups == 1 and seen_queued is queued, version


# --- 4. why: a doorbell refused after free_vectors names the free_vectors ----------------------------------------

FREED = """name: doorbell-after-free-vectors
cpus: 2
kernel: {version: "6.1"}
devices:
  eth0: {bdf: "00:03.0", kind: nic, msix: {table_size: 2}}
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 2}
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 0}
  - {at: 1ms, on: 0, do: free_irq, dev: eth0, vector: 1}
  - {at: 1ms, on: 0, do: free_vectors, dev: eth0}
  - {at: 2ms, on: 0, do: doorbell, dev: eth0, vector: 0, timeout: 1ms}
"""


def test_why_a_doorbell_refused_after_free_vectors_links_the_free_vectors(tmp_path: Path) -> None:
    """pci_free_irq_vectors is pci_disable_msix + pci_disable_msi (drivers/pci/msi/api.c): the driver stays bound
    (dev->driver untouched, kernel.pci.eth0.bound still true). The doorbell's -ENXIO linked the probe's
    driver_bound (kernel.pci.D.bound's last write); it now links the free_vectors that released the vectors."""
    p = tmp_path / "freed.yaml"
    p.write_text(FREED)
    s = Session.from_scenario(str(p))
    s.run()
    w = s.eng.w
    assert w["actions"][4]["result"] == -6 and w["kernel"]["pci"]["eth0"]["bound"] is True
    why = s.why("actions[4].result")
    assert links(why) == [("action.done", "actions[4].result"), ("kernel", "actions[4].error"),
                          ("vectors.freed", "kernel.pci.eth0.descs"), ("action.start", "actions[3]")]
    freed = why.chain[2]
    assert freed.relation == "the vectors its driver set up, as left by"
    assert freed.stack == ["driver_free_vectors+done"] and "dev->driver is untouched" in freed.reason


def test_a_later_alloc_vectors_is_what_a_doorbell_beyond_its_vectors_links(tmp_path: Path) -> None:
    """After the free, alloc_vectors gets one vector (kernel.pci.D.bound written again): a doorbell on vector 1
    links that allocation, not the earlier free."""
    p = tmp_path / "realloc.yaml"
    p.write_text(FREED.replace("  - {at: 2ms, on: 0, do: doorbell",
                               "  - {at: 1500us, on: 0, do: alloc_vectors, dev: eth0, mode: msix, vectors: 1}\n"
                               "  - {at: 2ms, on: 0, do: doorbell").replace("vector: 0, timeout", "vector: 1, timeout"))
    s = Session.from_scenario(str(p))
    s.run()
    assert s.eng.w["actions"][5]["result"] == -6
    why = s.why("actions[5].result")
    assert links(why)[2:] == [("driver", "kernel.pci.eth0.bound"), ("action.start", "actions[4]")]
