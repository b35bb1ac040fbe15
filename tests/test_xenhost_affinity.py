"""xenhost: Xen moves a passed-through device's host irq between pCPUs by rewriting its physical message.

Xen 4.x, physical destination mode (RELEASE-4.5.0 .. 4.22.0 xen/arch/x86/irq.c, msi.c):

* ``irq_set_affinity`` only records a move (IRQ_MOVE_PENDING); EVTCHNOP_bind_vcpu of a pirq port
  (``pirq_set_affinity`` toward the vCPU's pCPU) and ``pt_irq_create_bind``'s ``hvm_migrate_pirqs`` ask for
  one. The host irq's next interrupt applies it in its ack (``move_native_irq``): ``set_msi_affinity``
  picks a vector on the new pCPU (``__assign_irq_vector``, keeping the old one until an interrupt arrives
  on the new: ``irq_complete_move``) and ``write_msi_msg`` rewrites the entry -- masked around it for a
  maskable MSI / MSI-X (``mask_msi_irq`` / ``unmask_msi_irq``), live for an MSI without Per-vector
  Masking (``irq_disable_none``): address first, data one config write later. A signal in between
  carries the new destination with the old vector: "No irq handler for vector" on the new pCPU.
* ``pirq_guest_bind`` sets the affinity at once, toward vCPU 0's pCPU, writing the message whether or
  not it changes: before 1aeb1156fa (4.6; 4.4.3, 4.5.1) after ``startup`` unmasked the entry.
"""

from __future__ import annotations

import pytest

from tests.conftest import events_of, hit_names, run_to_end, scenario, totals

MOVE = """
name: xenhost-move
seed: 1
cpus: 2
platform: {{kind: xen-hvm, xen: "4.16"}}
kernel: {{version: "5.15"}}
devices:
  dev0: {{bdf: "00:05.0", kind: generic, passthrough: true, {cap}}}
breakpoints: [msi-torn-message, irq-lost, msix-write-unmasked]
run:
  - {{at: 0, do: probe, dev: dev0, mode: {mode}, vectors: 1}}
  - {{at: 1ms, do: set_affinity, dev: dev0, vector: 0, cpu: 1}}
  - {{at: 2ms, do: fire, dev: dev0, vector: 0, count: 3, every: 1400ns}}
  - {{at: 3ms, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}}
"""
PLAIN = "msi: {vectors: 1, per_vector_mask: false, addr64: false}"


def _msgs(eng) -> list[str]:
    return [str(e).split("index=0 ", 1)[1] for e in events_of(eng, "msi.msg")]


def test_a_plain_msi_moved_by_xen_sends_a_torn_message() -> None:
    """The guest rebinds the port to vCPU1 (EVTCHNOP_bind_vcpu): Xen's next interrupt of the pirq moves the
    host irq to pCPU1, rewriting the live MSI's address and then its data; the signal 1.4 us after the first
    reaches pCPU1 on the old vector and is lost there; the ones after go whole to pCPU1's new vector."""
    eng = run_to_end(scenario(MOVE.format(cap=PLAIN, mode="msi")))
    assert totals(eng, "dev0") == {"raised": 5, "delivered": 4, "lost": 1, "spurious": 0}
    assert {"msi-torn-message", "irq-lost"} <= hit_names(eng)
    msgs = _msgs(eng)
    assert msgs[0] == "addr=0xfee00000 data=0x31"          # pCPU0, the vector create_irq gave it
    assert msgs[1] == "addr=0xfee01000 data=0x31"          # torn: pCPU1's address, the old vector
    assert set(msgs[2:]) == {"addr=0xfee01000 data=0x39"}  # whole: pCPU1, its new vector
    x = eng.w["xen"]
    hirq = next(iter(x["irqs"].values()))
    assert (hirq["cpu"], hirq["vector"], hirq["old"]) == (1, 0x39, -1)   # irq_complete_move freed 0x31
    assert x["vector_irq"] == {1 << 8 | 0x39: next(iter(x["irqs"]))}
    assert any("host vector 0x31 on pCPU1" in h.detail for h in eng.hits if h.name == "irq-lost")


@pytest.mark.parametrize(("cap", "mode"), [("msi: {vectors: 1, per_vector_mask: true, addr64: true}", "msi"),
                                           ("msix: {table_size: 2}", "msix")])
def test_a_maskable_entry_is_masked_while_xen_moves_it(cap: str, mode: str) -> None:
    """The same move of a maskable MSI or an MSI-X entry: mask_msi_irq, the rewrite, unmask_msi_irq -- the
    device holds the signal meanwhile and sends it whole; every signal after the first goes to pCPU1."""
    eng = run_to_end(scenario(MOVE.format(cap=cap, mode=mode)))
    assert totals(eng, "dev0") == {"raised": 5, "delivered": 5, "lost": 0, "spurious": 0}
    assert not {"msi-torn-message", "irq-lost", "msix-write-unmasked"} & hit_names(eng)
    msgs = _msgs(eng)
    assert msgs[0].startswith("addr=0xfee00000") and all(m.startswith("addr=0xfee01000") for m in msgs[1:])


PV = """
name: xenhost-bind-pv
seed: 1
cpus: 2
platform: {{kind: xen-pv, xen: "{xen}"}}
kernel: {{version: "5.10"}}
devices:
  dev0: {{bdf: "00:05.0", kind: generic, passthrough: true, msix: {{table_size: 2}}}}
breakpoints: [msix-write-unmasked]
run:
  - {{at: 0, do: probe, dev: dev0, mode: msix, vectors: 2}}
  - {{at: 1ms, do: fire, dev: dev0, vector: 0, count: 3, every: 10us}}
"""


@pytest.mark.parametrize(("xen", "unmasked"), [("4.4", True), ("4.4.3", False), ("4.5", True), ("4.5.1", False),
                                               ("4.6", False), ("4.16", False)])
def test_pirq_guest_bind_rewrites_an_unmasked_entry_before_1aeb1156fa(xen: str, unmasked: bool) -> None:
    """A PV guest's EVTCHNOP_bind_pirq is pirq_guest_bind: dom0's pciback enabled MSI-X without Function
    Mask, so before 1aeb1156fa startup's unmask comes before set_msi_affinity's write_msi_msg: each entry's
    address and data are written live (msix-write-unmasked), even with nothing to change."""
    eng = run_to_end(scenario(PV.format(xen=xen)))
    assert totals(eng, "dev0") == {"raised": 3, "delivered": 3, "lost": 0, "spurious": 0}
    hits = [h for h in eng.hits if h.name == "msix-write-unmasked"]
    assert len(hits) == (2 if unmasked else 0)
    assert all("set_msi_affinity" in h.detail for h in hits)


MIGRATE = """
name: xenhost-vcpu-migrate
seed: 1
cpus: 2
platform: {{kind: {kind}, xen: "{xen}"}}
kernel: {{version: "5.15"}}
devices:
  dev0: {{bdf: "00:05.0", kind: generic, passthrough: true, {cap}}}
breakpoints: [msi-torn-message, irq-lost, msix-write-unmasked]
run:
{run}
"""


def _migrate(cap: str, run: str, kind: str = "xen-hvm", xen: str = "4.16"):
    return run_to_end(scenario(MIGRATE.format(kind=kind, xen=xen, cap=cap, run=run)))


def test_xens_scheduler_moving_a_vcpu_moves_the_pirqs_bound_to_it() -> None:
    """vcpu_migrate (Xen's vcpu_migrate -> sched_move_irqs -> evtchn_move_pirqs): the pirq whose port the
    guest bound to vCPU1 gets a pending move to vCPU1's new pCPU (replacing the bind_vcpu's, still pending),
    applied at its next interrupt: the live MSI is torn there too, on the 64-bit address's two writes."""
    eng = _migrate("msi: {vectors: 1, per_vector_mask: false, addr64: true}", """\
  - {at: 0, do: probe, dev: dev0, mode: msi, vectors: 1}
  - {at: 1ms, do: vcpu_migrate, vcpu: 1, pcpu: 5}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 3, every: 2400ns}""")
    # vCPU1 was halted: evtchn_move_pirqs at the migration, vmx_do_resume's hvm_migrate_pirqs at the upcall's
    # wake-up (hvmmig27), where no bound MSI's guest destination is vCPU1
    (mig, resumed) = events_of(eng, "xen.migrate")
    assert "pending moves of pirq 101 to pCPU5" in str(mig)
    assert resumed.time_ns > 2_000_000 and "schedule-in on pCPU5" in str(resumed) and "no pirq" in str(resumed)
    assert _msgs(eng) == ["addr=0xfee00000 data=0x31", "addr=0xfee05000 data=0x31", "addr=0xfee05000 data=0x39"]
    assert totals(eng, "dev0") == {"raised": 3, "delivered": 2, "lost": 1, "spurious": 0}
    (data,) = events_of(eng, "xen.msi")
    assert data.time_ns == 2_000_000 + 800 + 2 * 1000      # the upcall's delay, then two config writes
    assert eng.w["xen"]["pcpu"] == [0, 5]


def test_a_migration_nothing_is_bound_to_asks_for_nothing() -> None:
    eng = _migrate("msix: {table_size: 2}", """\
  - {at: 0, do: probe, dev: dev0, mode: msix, vectors: 1}
  - {at: 1ms, do: vcpu_migrate, vcpu: 0, pcpu: 3}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}""")
    (mig,) = events_of(eng, "xen.migrate")
    assert "no pirq follows it" in str(mig)       # 5.15 bound the only port to vCPU1 (least loaded)
    # the first interrupt applies the bind_vcpu's move to vCPU1's pCPU (masked: the MSI-X entry)
    assert _msgs(eng) == ["addr=0xfee00000 data=0x31", "addr=0xfee01000 data=0x39"]


def test_a_migrated_vcpu0_gets_the_first_binding_written_live_before_1aeb1156fa() -> None:
    """pirq_guest_bind targets vCPU 0's pCPU: after a migration before the probe, the first binding moves the
    host irq there at once (a new vector); on 4.5 after startup's unmask, on 4.5.1 before it."""
    run = """\
  - {at: 0, do: vcpu_migrate, vcpu: 0, pcpu: 2}
  - {at: 10us, do: probe, dev: dev0, mode: msix, vectors: 1}
  - {at: 2ms, do: fire, dev: dev0, vector: 0, count: 2, every: 10us}"""
    for xen, live in (("4.5", True), ("4.5.1", False)):
        eng = _migrate("msix: {table_size: 2}", run, kind="xen-pv", xen=xen)
        assert totals(eng, "dev0") == {"raised": 2, "delivered": 2, "lost": 0, "spurious": 0}
        # 0x31 on pCPU0 at map, 0x39 on pCPU2 at the binding; the port's bind to vCPU1 moves it on
        assert _msgs(eng) == ["addr=0xfee02000 data=0x39", "addr=0xfee01000 data=0x41"]
        assert ("msix-write-unmasked" in hit_names(eng)) is live, xen


@pytest.mark.parametrize(("run", "error"), [
    ("  - {at: 0, on: 1, do: vcpu_migrate, vcpu: 1, pcpu: 2}", "run[0].on: not allowed for vcpu_migrate"),
    ("  - {at: 0, do: vcpu_migrate, vcpu: 2, pcpu: 2}", "run[0].vcpu"),
    ("  - {at: 0, do: vcpu_migrate, vcpu: 1, pcpu: 255}", "run[0].pcpu"),
    ("  - {at: 0, do: vcpu_migrate, vcpu: 1}", "run[0].pcpu"),
])
def test_vcpu_migrate_is_checked_at_load(run: str, error: str) -> None:
    from msidbg.errors import ScenarioError
    with pytest.raises(ScenarioError) as e:
        scenario(MIGRATE.format(kind="xen-hvm", xen="4.16", cap="msix: {table_size: 2}", run=run))
    assert error in str(e.value) and "\n" not in str(e.value)


def test_vcpu_migrate_needs_xen() -> None:
    from msidbg.errors import ScenarioError
    text = MIGRATE.format(kind="xen-hvm", xen="4.16", cap="msix: {table_size: 2}",
                          run="  - {at: 0, do: vcpu_migrate, vcpu: 1, pcpu: 2}")
    text = text.replace('{kind: xen-hvm, xen: "4.16"}', "{kind: bare-metal}").replace("passthrough: true, ", "")
    with pytest.raises(ScenarioError, match="vcpu_migrate moves a Xen guest's vCPU"):
        scenario(text)


def test_the_schema_knows_vcpu_migrate() -> None:
    """The editor schema (msidbg schema) agrees with the loader: no on:, vcpu and pcpu required."""
    import jsonschema

    from msidbg.bugio.schema import schema
    v = jsonschema.Draft202012Validator(schema())
    doc = {"name": "m", "cpus": 2, "platform": {"kind": "xen-hvm"},
           "devices": {"eth0": {"bdf": "00:03.0", "kind": "nic", "msix": {"table_size": 2}}},
           "run": [{"at": 0, "do": "vcpu_migrate", "vcpu": 1, "pcpu": 3}]}
    assert v.is_valid(doc)
    for bad in ({"on": 0}, {"pcpu": 255}, {"vcpu": None}):
        act = dict(doc["run"][0], **bad)
        if bad.get("vcpu", 0) is None:
            del act["vcpu"]
        assert not v.is_valid(dict(doc, run=[act])), bad


def test_why_a_torn_xen_move_names_the_move_and_what_asked_for_it(tmp_path) -> None:
    """why of the torn message: the address Xen's set_msi_affinity wrote <- the pending move of the host irq
    (xen.irqs[N].move) <- the EVTCHNOP_bind_vcpu that asked for it."""
    from tests.test_why_new import _kinds, _run
    s = _run(tmp_path, MOVE.format(cap=PLAIN, mode="msi"))
    (torn,) = [h for h in s.hits() if h.name == "msi-torn-message"]
    why = s.why(torn)
    assert _kinds(why.chain)[:3] == [("msi.msg", "torn"), ("xen.pirq", "xen"), ("xen.hypercall", "xen")]
    addr, move = why.chain[1:3]
    assert addr.path == "devices.dev0.msi.addr_lo" and "set_msi_affinity writes the address 0xfee01000" in addr.reason
    assert move.path.startswith("xen.irqs[") and move.path.endswith("].move")
    assert "EVTCHNOP_bind_vcpu of port 1 to vCPU1" in move.reason and "IRQ_MOVE_PENDING" in move.reason
