"""A ``remove`` of a device that has no driver does nothing (devremove).

drivers/base/dd.c (v4.19, v6.6): __device_release_driver runs the driver's remove, devres_release_all and
the unbind only "if (drv)" (``drv = dev->driver``). A device never probed, whose probe failed (really_probe
cleared dev->driver after unwinding) or already removed has nothing to release: no free_irq, no
pci_free_irq_vectors, no pci_disable_device. ``alloc_vectors`` is a driver's call (pci_alloc_irq_vectors has
no other caller): vectors it got mean the device has that driver, so ``remove`` still frees them.

And redteam16's reproducer tests/data/device_lock_crash251.yaml: after both removes Xen 4.13 keeps taking
machine GSI 17 every 1 ms. That is the source's: QEMU's INTx binding (xen_pt_realize ->
xc_domain_bind_pt_pci_irq) lives as long as the QEMU device (xc_domain_unbind_pt_irq only in
xen_pt_unregister_device / xen_pt_destroy), a guest driver's remove never unbinds it; d0's INTx condition
(its 2 ms signals, nobody's) asserts the line again once its MSI-X is disabled; d1 shares the machine GSI,
its guest irq 19 handler says IRQ_NONE and its EOI decrements ``pending`` once where hvm_dirq_assist
incremented it twice (d0's digl too), so hvm_pirq_eoi never reaches 0; irq_guest_eoi_timer_fn EOIs the host
irq every 1 ms and each new assist re-arms the 8 ms dpci timer (pt_irq_time_out) before it is due
(xen/drivers/passthrough/io.c, xen/arch/x86/irq.c at RELEASE-4.13.0).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from msidbg.model import new_engine
from msidbg.scenario import load_scenario_text

CRASH = Path(__file__).parent / "data" / "device_lock_crash251.yaml"

HEAD = """\
name: devremove
cpus: 2
kernel: {version: "6.6"}
devices:
  d0: {bdf: "00:03.0", passthrough: false, msix: {table_size: 2}}
run:
"""

NO_DRIVER = "has no driver (dev->driver == NULL): __device_release_driver does nothing"


def _run(text: str, max_events: int = 100_000) -> tuple[Any, list]:
    eng = new_engine(load_scenario_text(text, "devremove.yaml"), None)
    eng.run_sync(max_events=max_events)
    return eng, list(eng.log.events(1, len(eng.log) + 1))


def _in(evs: list, action: int) -> list:
    """The events of ``action`` (from its start to its done)."""
    s = next(i for i, e in enumerate(evs) if e.kind == "action.start" and e.get("action") == action)
    d = next(i for i, e in enumerate(evs) if e.kind == "action.done" and e.get("action") == action)
    return evs[s:d + 1]


def _what(evs: list) -> list[str]:
    return [str(e.get("what")) for e in evs if e.kind == "kernel"]


def test_remove_of_a_never_probed_device_does_nothing() -> None:
    """No driver: no pci_disable_device ("not enabled"), no config write, no vector freed; the remove
    returns 0 (device_release_driver is void: no probe-failed)."""
    eng, evs = _run(HEAD + "  - {at: 0, on: 0, do: remove, dev: d0}\n")
    rm = _in(evs, 0)
    assert [w for w in _what(rm) if NO_DRIVER in w] and not [w for w in _what(rm) if "not enabled" in w]
    assert [e.kind for e in rm] == ["action.start", "kernel", "action.done"]
    assert eng.w["actions"][0]["result"] == 0
    assert not str(eng.w["kernel"]["pci"]["d0"]["status"]).startswith("failed")


def test_remove_after_a_failed_probe_does_nothing() -> None:
    """The probe asks MSI of an MSI-X-only function (-EINVAL) and unwinds itself (pci_disable_device: Bus
    Master off, enable_cnt 0): the remove that follows finds no driver and does not disable it again."""
    _, evs = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msi, vectors: 1}\n"
                         "  - {at: 10us, on: 0, do: remove, dev: d0}\n")
    assert next(e for e in evs if e.kind == "action.done" and e.get("action") == 0).get("result") == -22
    rm = _in(evs, 1)
    assert [w for w in _what(rm) if NO_DRIVER in w]
    assert not [e for e in rm if e.kind == "cfg.write"] and not [w for w in _what(rm) if "not enabled" in w]


def test_a_second_remove_does_nothing_and_the_device_can_be_probed_again() -> None:
    """probe, remove (frees both irqs and vectors, disables the device), remove again: the second one finds
    dev->driver NULL (device_unbind_cleanup of the first) and does nothing; a probe after it binds again."""
    eng, evs = _run(HEAD + "  - {at: 0, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}\n"
                           "  - {at: 10us, on: 0, do: remove, dev: d0}\n"
                           "  - {at: 20us, on: 0, do: remove, dev: d0}\n"
                           "  - {at: 30us, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}\n")
    first, second = _in(evs, 1), _in(evs, 2)
    assert sum(e.kind == "irq.release" for e in first) == 2
    assert [w for w in _what(second) if NO_DRIVER in w]
    assert not [e for e in second if e.kind in ("irq.release", "cfg.write", "irq.free")]
    assert [eng.w["actions"][i]["result"] for i in range(4)] == [0, 0, 0, 0]
    assert eng.w["kernel"]["pci"]["d0"]["bound"] is True


def test_alloc_vectors_is_a_driver_s_and_remove_frees_them() -> None:
    """alloc_vectors + request_irq (a driver setting up its vectors) then remove: the device has that
    driver, so the remove runs free_irq, pci_free_irq_vectors (both irqs released) and pci_disable_device."""
    eng, evs = _run(HEAD + "  - {at: 0, on: 0, do: alloc_vectors, dev: d0, mode: msix, vectors: 2}\n"
                           "  - {at: 5us, on: 0, do: request_irq, dev: d0, vector: 0}\n"
                           "  - {at: 10us, on: 0, do: remove, dev: d0}\n")
    rm = _in(evs, 2)
    assert not [w for w in _what(rm) if NO_DRIVER in w]
    assert sum(e.kind == "irq.release" for e in rm) == 2 and sum(e.kind == "irq.free" for e in rm) == 1
    assert eng.w["kernel"]["pci"]["d0"]["bound"] is False and not eng.w["kernel"]["pci"]["d0"]["descs"]


def test_a_probe_after_alloc_vectors_finds_the_device_bound() -> None:
    """The driver that allocated the vectors has the device: a probe of it (6.6) returns -EBUSY from
    __driver_probe_device, the caller's error (no failed: status), instead of running a second driver's
    probe into pci_alloc_irq_vectors' -EINVAL (MSI-X already enabled)."""
    eng, evs = _run(HEAD + "  - {at: 0, on: 0, do: alloc_vectors, dev: d0, mode: msix, vectors: 2}\n"
                           "  - {at: 10us, on: 0, do: probe, dev: d0, mode: msix, vectors: 2}\n")
    assert eng.w["actions"][1]["result"] == -16
    assert [w for w in _what(_in(evs, 1)) if "already has a driver" in w]
    assert not str(eng.w["kernel"]["pci"]["d0"]["status"]).startswith("failed")


def test_crash251_intx_binding_outlives_the_removes_and_the_storm_is_xen_4_13_s() -> None:
    """After both removes (actions 9 and 11) the machine GSI 17 binding keeps both digls (nothing in the
    guest or QEMU unbinds it); every 1 ms cycle is the eoi_timer's host EOI, hvm_dirq_assist (pending +2: d0's
    and d1's digls), d1's guest irq 19 IRQ_NONE and its EOI (pending -1): pending rises by one per cycle and
    pt_irq_time_out never runs while the storm goes on (each assist re-arms it 8 ms ahead)."""
    eng, evs = _run(CRASH.read_text(), max_events=2_000)
    acts = eng.w["actions"]
    assert acts[9]["do"] == acts[11]["do"] == "remove" and acts[9]["state"] == acts[11]["state"] == "done"
    done = max(i for i, e in enumerate(evs) if e.kind == "action.done" and e.get("action") in (9, 11))
    assert eng.w["xen"]["intx"]["m"][17]["digl"] == ["d0", "d1"]
    after = evs[done:]
    assists = [e.get("pending") for e in after if e.kind == "xen.intx" and "hvm_dirq_assist" in str(e.get("what"))]
    timers = [e for e in after if e.kind == "xen.intx" and "eoi_timer: no guest EOI" in str(e.get("what"))]
    assert len(assists) > 100 and len(timers) >= len(assists) - 1
    assert all(b == a + 1 for a, b in zip(assists, assists[1:], strict=False))
    assert not [e for e in after if e.kind == "xen.intx" and "pt_irq_time_out" in str(e.get("what"))]
    nones = [e for e in after if e.kind == "irq.none" and e.get("irq") == 19]
    assert len(nones) >= len(assists) - 1
