"""The 2021 bug (MSI-X entry rewritten while unmasked) emerges from the mechanism."""

import dataclasses

from msidbg.model import hits
from tests.conftest import comparable, hit_names, run_to_end, shipped, totals, with_kernel


def test_buggy_kernel_writes_live_entry_and_loses_interrupts() -> None:
    eng = run_to_end(shipped("msix-write-while-unmasked"))
    names = hit_names(eng)
    assert {hits.MSIX_WRITE_UNMASKED, hits.IRQ_LOST, hits.IRQ_SPURIOUS} <= names
    t = totals(eng, "eth0")
    assert t == {"raised": 30, "delivered": 10, "lost": 20, "spurious": 10}


def test_fixed_twin_delivers_everything() -> None:
    eng = run_to_end(shipped("msix-write-while-unmasked-fixed"))
    assert not hit_names(eng) & {hits.MSIX_WRITE_UNMASKED, hits.IRQ_LOST, hits.IRQ_SPURIOUS}
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 30, "lost": 0, "spurious": 0}



def test_the_twins_differ_only_in_kernel_switches() -> None:
    bug, fix = shipped("msix-write-while-unmasked"), shipped("msix-write-while-unmasked-fixed")
    assert bug.kernel != fix.kernel
    assert comparable(dataclasses.replace(fix, kernel=bug.kernel)) == comparable(bug)


def test_each_fix_alone_is_enough() -> None:
    bug = shipped("msix-write-while-unmasked")
    for switch in ("affinity_before_startup", "msix_masked_update"):
        eng = run_to_end(with_kernel(bug, **{switch: True}))
        assert totals(eng, "eth0")["lost"] == 0, switch
        assert hits.MSIX_WRITE_UNMASKED not in hit_names(eng), switch


def test_flipping_the_switches_on_the_fixed_file_breaks_it_again() -> None:
    fix = shipped("msix-write-while-unmasked-fixed")
    eng = run_to_end(with_kernel(fix, affinity_before_startup=False, msix_masked_update=False))
    assert totals(eng, "eth0")["lost"] == 20


def test_a_device_that_does_not_latch_survives_the_old_order() -> None:
    bug = shipped("msix-write-while-unmasked")
    dev = dataclasses.replace(bug.devices["eth0"], quirks=())
    eng = run_to_end(dataclasses.replace(bug, devices={"eth0": dev}))
    assert hits.MSIX_WRITE_UNMASKED in hit_names(eng)   # the rule is still broken ...
    assert totals(eng, "eth0")["lost"] == 0              # ... but this device uses the new message


def test_stale_message_works_until_the_old_vector_is_freed() -> None:
    bug = shipped("msix-write-while-unmasked")
    no_hotplug = tuple(a for a in bug.run if a.do not in ("cpu_offline", "cpu_online"))
    eng = run_to_end(dataclasses.replace(bug, run=no_hotplug))
    # The device keeps signalling the old vector on CPU1, which the move keeps mapped.
    assert totals(eng, "eth0") == {"raised": 30, "delivered": 30, "lost": 0, "spurious": 0}
    desc = eng.w["irqs"][24]
    assert desc["move_in_progress"] and desc["prev_cpu"] == 1
