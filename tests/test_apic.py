"""Local APIC: priority classes, coalescing, EOI order, provenance."""

from msidbg.model import apic
from msidbg.model.build import new_cpu
from msidbg.model.hw import words_test


def test_highest_vector_is_accepted_first() -> None:
    c = new_cpu(0)
    apic.receive(c, 0x31, ["a", 0, 1])
    apic.receive(c, 0x61, ["b", 0, 1])
    assert apic.acceptable(c) == 0x61


def test_in_service_class_blocks_same_and_lower_classes() -> None:
    c = new_cpu(0)
    apic.receive(c, 0x65, ["a", 0, 1])
    apic.take(c, 0x65)
    apic.receive(c, 0x61, ["b", 0, 1])  # same class 6: must wait for the EOI
    apic.receive(c, 0x41, ["c", 0, 1])  # lower class: must wait too
    assert apic.acceptable(c) == -1
    apic.receive(c, 0x71, ["d", 0, 1])  # higher class preempts
    assert apic.acceptable(c) == 0x71
    apic.take(c, 0x71)
    assert apic.eoi(c) == 0x71         # EOI clears the highest in-service vector
    assert apic.eoi(c) == 0x65
    assert apic.acceptable(c) == 0x61


def test_tpr_masks_lower_classes() -> None:
    c = new_cpu(0)
    c["tpr"] = 0x50
    apic.receive(c, 0x41, None)
    assert apic.acceptable(c) == -1
    apic.receive(c, 0x61, None)
    assert apic.acceptable(c) == 0x61


def test_second_message_coalesces_and_keeps_provenance() -> None:
    c = new_cpu(0)
    assert apic.receive(c, 0x40, ["eth0", 2, 1]) is False
    assert apic.receive(c, 0x40, ["eth0", 2, 1]) is True
    assert apic.receive(c, 0x40, ["nvme0", 0, 1]) is True
    src = apic.take(c, 0x40)
    assert sorted(map(tuple, src)) == [("eth0", 2, 2), ("nvme0", 0, 1)]
    assert words_test(c["isr"], 0x40) and not words_test(c["irr"], 0x40)


def test_one_pending_plus_one_in_service() -> None:
    c = new_cpu(0)
    apic.receive(c, 0x40, ["x", 0, 1])
    apic.take(c, 0x40)
    apic.receive(c, 0x40, ["x", 0, 1])
    assert words_test(c["isr"], 0x40) and words_test(c["irr"], 0x40)
    assert apic.acceptable(c) == -1
    apic.eoi(c)
    assert apic.acceptable(c) == 0x40


def test_init_reset_drops_everything() -> None:
    c = new_cpu(0)
    apic.receive(c, 0x40, ["x", 1, 3])
    dropped = apic.reset(c)
    assert dropped == [["x", 1, 3]] and apic.acceptable(c) == -1
