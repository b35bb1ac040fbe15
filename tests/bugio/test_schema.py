"""`msidbg schema`: every shipped scenario validates; on malformed files it agrees with the loader.

Malformed variants are generated from the loader's own tables (every top key, every platform,
kernel and device key, every action kind and its fields), so a field added to the loader is
covered here without an edit. The schema may accept what only the loader can judge (device
references, CPU numbers below ``cpus``); it must never reject what the loader accepts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from msidbg import scenario as S
from msidbg import yamlsafe as ys
from msidbg.bugio.schema import schema
from msidbg.errors import ScenarioError
from tests.bugio.helpers import ROOT, cli

VALIDATOR = jsonschema.Draft202012Validator(schema())
SAMPLE = {"dev": "eth0", "mode": "msix", "vectors": 1, "affinity": 0, "hint": 0, "vector": 0, "cpu": 1, "cpus": [0], "count": 1,
          "every": "10us", "timeout": "1ms", "target": "config", "offset": 0, "value": 0, "size": 4}
WRONG = {"dev": "Nope!", "mode": "bogus", "vectors": 0, "affinity": "x", "hint": "x", "vector": -1, "cpu": -1, "cpus": [],
         "count": 0, "every": "10 parsecs", "timeout": "soon", "target": "bogus", "offset": -1, "value": -1,
         "size": 3, "at": "-5", "on": -1, "jitter": "lots"}


def plain(y: ys.Y | None) -> Any:
    """A parsed scenario as the JSON a YAML 1.2 language server sees (``00:03.0`` is a string)."""
    if y is None:
        return None
    if isinstance(y.value, dict):
        return {k: plain(v) for k, v in y.value.items()}
    if isinstance(y.value, list):
        return [plain(v) for v in y.value]
    if isinstance(y.value, float) and y.raw and ":" in y.raw:
        return y.raw
    return y.value


def loader_ok(doc: dict[str, Any]) -> bool:
    try:
        S.load_scenario_text(yaml.safe_dump(doc, sort_keys=False), "m.yaml")
    except ScenarioError:
        return False
    return True


def schema_ok(doc: dict[str, Any]) -> bool:
    return VALIDATOR.is_valid(plain(ys.parse(yaml.safe_dump(doc, sort_keys=False))))


def base() -> dict[str, Any]:
    run = []
    for do, fields in S.ACTION_FIELDS.items():
        if do in ("hypercall", "vcpu_migrate"):
            continue        # needs a Xen platform (the base document is bare metal)
        action: dict[str, Any] = {"do": do}
        action.update({f: SAMPLE[f] for f in fields if f in SAMPLE})
        if do == "cpu_offline":
            action["on"] = 0
        run.append(action)
    return {
        "name": "base", "cpus": 2, "platform": {"kind": "bare-metal", "interrupt_remapping": False},
        "kernel": {k: v for k, v in S.KERNEL_DEFAULTS.items()},
        "devices": {"eth0": {"bdf": "00:03.0", "kind": "nic", "msix": {"table_size": 4},
                             "msi": {"vectors": 1, "per_vector_mask": True, "addr64": True}, "quirks": []}},
        "run": run, "breakpoints": ["irq-lost", "if event.kind == \"msix.write\""],
        "expect": {"hit": ["irq-lost"], "lost": {"eth0": 0}, "probe": {"eth0": "ok"}},
        "faults": [{"call": "pci_msi_setup_msi_irqs", "dev": "eth0", "errno": "ENOSPC"}],
        "costs": {"trap": "12us"},
    }


def mutations() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []

    def m(label: str, fn: Any) -> None:
        doc = base()
        fn(doc)
        out.append((label, doc))

    m("unknown top key", lambda d: d.update(bogus=1))
    m("name pattern", lambda d: d.update(name="Bad Name"))
    m("cpus range", lambda d: d.update(cpus=0))
    m("seed type", lambda d: d.update(seed="x"))
    m("schedule enum", lambda d: d.update(schedule="bogus"))
    for key in S.TOP_KEYS:
        if key in ("platform", "kernel", "devices", "expect", "costs"):
            m(f"{key} as a list", lambda d, k=key: d.update({k: [1]}))
        if key in ("run", "breakpoints", "faults"):
            m(f"{key} as a mapping", lambda d, k=key: d.update({k: {"a": 1}}))
    m("platform unknown key", lambda d: d["platform"].update(bogus=1))
    m("platform kind", lambda d: d["platform"].update(kind="bogus"))
    for key in S.KERNEL_DEFAULTS:
        m(f"kernel.{key} value", lambda d, k=key: d["kernel"].update({k: "bogus"}))
    m("kernel unknown key", lambda d: d["kernel"].update(bogus=1))
    dev = lambda d: d["devices"]["eth0"]  # noqa: E731
    m("device name", lambda d: d["devices"].update({"Eth0": d["devices"].pop("eth0")}))
    m("device unknown key", lambda d: dev(d).update(bogus=1))
    m("device without bdf", lambda d: dev(d).pop("bdf"))
    m("device bdf", lambda d: dev(d).update(bdf="0:3.0"))
    m("device kind", lambda d: dev(d).update(kind="gpu"))
    m("device without msi or msix", lambda d: (dev(d).pop("msi"), dev(d).pop("msix")))
    m("msix table_size 0", lambda d: dev(d).update(msix={"table_size": 0}))
    m("msix table_size too big", lambda d: dev(d).update(msix={"table_size": S.MAX_TABLE_SIZE + 1}))
    m("msi vectors 3", lambda d: dev(d)["msi"].update(vectors=3))
    m("quirk", lambda d: dev(d).update(quirks=["bogus"]))
    m("action without do", lambda d: d["run"].append({"dev": "eth0"}))
    m("action kind", lambda d: d["run"].append({"do": "bogus"}))
    for i, (do, fields) in enumerate((do, f) for do, f in S.ACTION_FIELDS.items()
                                     if do not in ("hypercall", "vcpu_migrate")):
        m(f"{do} unknown field", lambda d, i=i: d["run"][i].update(bogus=1))
        for f in fields:
            if f in WRONG:
                m(f"{do}.{f} value", lambda d, i=i, f=f: d["run"][i].update({f: WRONG[f]}))
            if f in ("dev", "vector", "cpu", "target", "offset", "value"):
                m(f"{do} without {f}", lambda d, i=i, f=f: d["run"][i].pop(f))
        m(f"{do}.at value", lambda d, i=i: d["run"][i].update(at=WRONG["at"]))
    m("fire with on", lambda d: next(a for a in d["run"] if a["do"] == "fire").update(on=0))
    m("breakpoint name", lambda d: d.update(breakpoints=["no-such-breakpoint"]))
    m("expect unknown key", lambda d: d["expect"].update(bogus=1))
    m("expect hit name", lambda d: d["expect"].update(hit=["bogus"]))
    m("expect probe status", lambda d: d["expect"].update(probe={"eth0": "fine"}))
    m("fault program", lambda d: d["faults"][0].update(call="not a program name"))
    m("fault errno", lambda d: d["faults"][0].update(errno="EWHAT"))
    m("fault without errno", lambda d: d["faults"][0].pop("errno"))
    m("cost name", lambda d: d["costs"].update(bogus="1us"))
    m("cost value", lambda d: d["costs"].update(trap="fast"))
    return out


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates(path: Path) -> None:
    S.load_scenario(str(path))
    errors = [e.message for e in VALIDATOR.iter_errors(plain(ys.parse(path.read_text())))]
    assert errors == []


def test_the_base_document_is_valid_for_both() -> None:
    assert loader_ok(base()) and schema_ok(base())


@pytest.mark.parametrize("label, doc", mutations(), ids=[lbl for lbl, _ in mutations()])
def test_malformed_files_are_rejected_by_both(label: str, doc: dict[str, Any]) -> None:
    assert not loader_ok(doc), f"the loader accepts {label}: the mutation is not malformed"
    assert not schema_ok(doc), f"the schema accepts {label}, the loader does not"


LOADER_ONLY = {
    "undefined device": lambda d: d["run"][0].update(dev="eth9"),
    "cpu beyond cpus": lambda d: d.update(cpus=1),
    "vector beyond the table": lambda d: d["run"][9].update(vector=7),
    "quirk without its capability": lambda d: (d["devices"]["eth0"].pop("msi"),
                                               d["devices"]["eth0"].update(quirks=["msi-latch-on-enable"])),
}


@pytest.mark.parametrize("label", LOADER_ONLY)
def test_what_only_the_loader_can_judge_is_left_to_it(label: str) -> None:
    """References and ranges that depend on other fields: the schema accepts, the loader rejects."""
    doc = base()
    LOADER_ONLY[label](doc)
    assert schema_ok(doc) and not loader_ok(doc)


def test_cli_prints_and_writes_the_schema(tmp_path: Path) -> None:
    code, out, _ = cli("schema")
    assert code == 0 and json.loads(out) == schema()
    code, out, _ = cli("schema", "-o", str(tmp_path / "s.json"))
    assert code == 0 and out == "" and json.loads((tmp_path / "s.json").read_text()) == schema()
