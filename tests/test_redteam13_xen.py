"""redteam13: held-out Xen scenarios checked against the source at their tags.

* ``platform.xen_pirq_follows_vcpu`` (38b998cfb6 "x86: IRQ affinity should track vCPU affinity", first in
  RELEASE-4.1.0, not on stable-4.0): from Xen 4.1 EVTCHNOP_bind_vcpu of a pirq port asks a move of the
  pirq's host irq to the vCPU's pCPU (evtchn_bind_vcpu, case ECS_PIRQ: pirq_set_affinity) and Xen's
  scheduler moving a vCPU asks the same for every pirq port bound to it (vcpu_migrate -> evtchn_move_pirqs).
  RELEASE-4.0.0 .. 4.0.4 evtchn_bind_vcpu only sets notify_vcpu_id, and schedule.c has no
  evtchn_move_pirqs: the host irq stays where pirq_guest_bind put it. hvm_migrate_pirqs (an HVM guest's
  bound MSI following its guest destination) is in RELEASE-4.0.0 (hvm.c, vmx_do_resume) already.
* QEMU xen-pt's MSI Message Control: Multiple Message Capable is emulated at init_val 0 in every tree
  (qemu-xen-4.3.0 .. 4.7.0-rc4 and qemu/qemu hw/xen/xen_pt_config_init.c: emu_mask 0x007F / 0x017E,
  xen_pt_msgctrl_reg_init returns init_val; qemu-traditional hw/pass-through.c xen-4.0.0 .. xen-4.8.0):
  a passed-through MSI function shows an HVM guest one message.
"""

from __future__ import annotations

import pytest

from msidbg.behaviour import resolve
from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

PV_PLAIN = """
name: rt13-pv-bindvcpu
seed: 1
cpus: 2
platform: {{kind: xen-pv, xen: "{xen}"{extra}}}
kernel: {{version: "3.2"}}
devices:
  d0: {{bdf: "00:05.0", kind: generic, passthrough: true, msi: {{vectors: 1, per_vector_mask: false, addr64: false}}}}
breakpoints: [msi-torn-message, irq-lost]
run:
  - {{at: 0, do: probe, dev: d0, mode: msi, vectors: 1}}
  - {{at: 1ms, {move}}}
  - {{at: 2ms, do: fire, dev: d0, vector: 0, count: 30, every: 300ns}}
  - {{at: 3ms, do: fire, dev: d0, vector: 0, count: 2, every: 10us}}
"""
BIND = "do: set_affinity, dev: d0, vector: 0, cpu: 1"
MIGRATE = "do: vcpu_migrate, vcpu: 0, pcpu: 3"


def _pv(xen: str, move: str, extra: str = "") -> object:
    return run_to_end(scenario(PV_PLAIN.format(xen=xen, move=move, extra=extra)))


def _host_cpu(eng) -> int:
    (hirq,) = eng.w["xen"]["irqs"].values()
    return int(hirq["cpu"])


def test_the_row_follows_38b998cfb6() -> None:
    def value(xen: str) -> bool:
        return bool(resolve(kind="xen-pv", xen=xen).plain("xen-pv")["xen_pirq_follows_vcpu"])
    assert [value(x) for x in ("4.0", "4.0.4", "4.1", "4.1.0", "4.4", "4.22")] == [False, False, True, True, True, True]


@pytest.mark.parametrize("move", [BIND, MIGRATE])
def test_xen_40_leaves_a_pirq_where_pirq_guest_bind_put_it(move: str) -> None:
    """Xen 4.0.4: the guest's rebind of the port to vCPU1 (EVTCHNOP_bind_vcpu) and Xen's scheduler moving
    vCPU0 to pCPU3 ask nothing of the host irq: no rewrite of the live plain MSI, nothing torn or lost."""
    eng = _pv("4.0.4", move)
    assert totals(eng, "d0") == {"raised": 32, "delivered": 32, "lost": 0, "spurious": 0}
    assert not {"msi-torn-message", "irq-lost"} & hit_names(eng)
    assert not events_of(eng, "xen.msi")
    assert _host_cpu(eng) == 0
    if move == MIGRATE:
        assert "no pirq follows it" in str(events_of(eng, "xen.migrate")[0])


@pytest.mark.parametrize(("move", "pcpu"), [(BIND, 1), (MIGRATE, 3)])
def test_xen_41_moves_the_host_irq_and_tears_the_live_plain_msi(move: str, pcpu: int) -> None:
    """Xen 4.1.0 (38b998cfb6): the same requests record a move that the next interrupt applies
    (move_native_irq): a plain MSI is rewritten live, the signals between the address and the data
    write reach the new pCPU on the old vector and are lost."""
    eng = _pv("4.1.0", move)
    t = totals(eng, "d0")
    assert t["raised"] == 32 and t["lost"] > 0 and t["delivered"] + t["lost"] == 32
    assert {"msi-torn-message", "irq-lost"} <= hit_names(eng)
    assert events_of(eng, "xen.msi")
    assert _host_cpu(eng) == pcpu


def test_the_explicit_switch_gives_xen_40_the_41_move() -> None:
    eng = _pv("4.0.4", BIND, extra=", xen_pirq_follows_vcpu: true")
    assert totals(eng, "d0")["lost"] > 0 and _host_cpu(eng) == 1


def test_hvm_migrate_pirqs_is_older_than_the_row() -> None:
    """Xen 4.0 has no XENFEAT_hvm_pirqs: the HVM guest's native MSI is bound with its destination and
    hvm_migrate_pirqs (RELEASE-4.0.0 hvm.c, vmx_do_resume) moves it with vCPU0 to pCPU2 all the same -- at the
    halted vCPU0's next schedule-in, the first signal's wake-up (hvmmig27)."""
    eng = run_to_end(scenario("""
name: rt13-hvm40
seed: 1
cpus: 2
platform: {kind: xen-hvm, xen: "4.0"}
kernel: {version: "4.9"}
devices:
  d0: {bdf: "00:05.0", kind: generic, passthrough: true, msi: {vectors: 1, per_vector_mask: false, addr64: true}}
run:
  - {at: 0, do: probe, dev: d0, mode: msi, vectors: 1}
  - {at: 1ms, do: vcpu_migrate, vcpu: 0, pcpu: 2}
  - {at: 2ms, do: fire, dev: d0, vector: 0, count: 30, every: 300ns}
"""))
    mig, resumed = events_of(eng, "xen.migrate")
    assert "pending moves of pirq" not in str(mig) and "pending moves of pirq 101" in str(resumed)
    assert _host_cpu(eng) == 2


MMC = """
name: rt13-mmc
seed: 1
cpus: 2
platform: {{kind: xen-hvm, xen: "{xen}"{extra}}}
kernel: {{version: "{kernel}"}}
devices:
  d0: {{bdf: "00:05.0", kind: generic, passthrough: true, msi: {{vectors: 4, per_vector_mask: true, addr64: true}}}}
run:
  - {{at: 0, do: probe, dev: d0, mode: msi, vectors: 4}}
  - {{at: 1ms, do: fire, dev: d0, vector: 0, count: 2, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "kernel", "extra"), [("4.19", "6.6", ""), ("4.10", "5.4", ", apic_virtualization: true"),
                                                      ("4.7", "4.4", ""), ("4.2", "3.18", "")])
def test_qemu_shows_the_guest_a_one_message_msi(xen: str, kernel: str, extra: str) -> None:
    """The guest reads Message Control through QEMU, whose Multiple Message Capable is 0: its writes carry
    no MMC bits (the device's 4-message capability, 0x4, stays in the device's register only)."""
    eng = run_to_end(scenario(MMC.format(xen=xen, kernel=kernel, extra=extra)))
    writes = [e for e in events_of(eng, "qemu.cfg_write") if "reg=msi_ctrl" in str(e)]
    assert writes and all(e.fields["value"] & 0xE == 0 for e in writes), writes
    assert eng.w["devices"]["d0"]["msi"]["ctrl"] & 0xE == 0x4        # the device's own capability
    assert totals(eng, "d0")["delivered"] == 2


def test_a_migration_to_the_same_pcpu_moves_nothing() -> None:
    """vcpu_migrate: 'if ( old_cpu != new_cpu ) evtchn_move_pirqs(v)' (sched_move_irqs in 4.5 .. 4.22) and
    vmx_do_resume's hvm_migrate_pirqs only on another pCPU: Xen rewrites no message (it asked a move to the
    same pCPU, which the next interrupt applied as a live rewrite of the same message)."""
    eng = _pv("4.16", "do: vcpu_migrate, vcpu: 0, pcpu: 0")
    assert "nothing moves" in str(events_of(eng, "xen.migrate")[0])
    assert not events_of(eng, "xen.msi")
    assert totals(eng, "d0")["lost"] == 0
