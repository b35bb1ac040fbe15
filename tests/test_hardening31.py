"""hardening31: YAML 1.1 / 1.2 readings agree or are refused; a killed explore worker keeps the runs
found so far; every duration option's error names its subcommand; the TUI goto prompt's digits;
``msidbg new``'s suspend state."""

from __future__ import annotations

from pathlib import Path

import pytest

from msidbg import yamlsafe as ys
from msidbg.errors import ScenarioError
from msidbg.scenario import load_scenario_text
from tests.bugio.helpers import cli
from tests.conftest import SCENARIOS

SCN = str(SCENARIOS / "msix-write-while-unmasked.yaml")
BASE = Path(SCN).read_text()


def _with(line: str) -> str:
    return "\n".join(ln for ln in BASE.split("\n") if not ln.startswith(line.split(":")[0] + ":")) + f"\n{line}\n"


# --- lead 1: YAML 1.1 (the loader) and YAML 1.2 (a language server using `msidbg schema`) -------------------
@pytest.mark.parametrize(("written", "says"), [
    ("1_000", "'1_000' is an integer (1000) to YAML 1.1 and a string to YAML 1.2"),
    ("0b101", "'0b101' is an integer (5) to YAML 1.1 and a string to YAML 1.2"),
    ("0x1_F", "'0x1_F' is an integer (31) to YAML 1.1 and a string to YAML 1.2"),
    ("-0x1F", "'-0x1F' is an integer (-31) to YAML 1.1 and a string to YAML 1.2"),
    ("0o17", "'0o17' is a string to YAML 1.1 and 15 to YAML 1.2"),
    ("1e3", "'1e3' is a string to YAML 1.1 and 1000.0 to YAML 1.2"),
    ("yes", "'yes' is a boolean (true) to YAML 1.1 and a string to YAML 1.2"),
    ("OFF", "'OFF' is a boolean (false) to YAML 1.1 and a string to YAML 1.2"),
    ("010", "'010' is an octal number to YAML 1.1 (8) and 10 to YAML 1.2"),    # 1.2 reads it decimal, not text
    ("1:30", "'1:30' is a base-60 number to YAML 1.1 (90) and a string to YAML 1.2"),
])
def test_a_value_yaml_1_1_and_1_2_read_differently_is_refused_naming_both(written: str, says: str) -> None:
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(_with(f"seed: {written}"), "s.yaml")
    line = e.value.oneline()
    assert line.startswith(f"msidbg: s.yaml:{_with('seed: 0').count(chr(10))}: seed: {says}") and "(expected " in line, line
    assert "\n" not in line


@pytest.mark.parametrize(("field", "written", "value"), [
    ("seed", "0x10", 16), ("seed", "+7", 7), ("seed", "'1_000'", None), ("seed", "\"0o17\"", None),
    ("name", "\"yes\"", "yes"), ("name", "!!str on", "on"), ("name", "1.5e+3", None)])
def test_values_both_read_alike_or_quoted_still_load(field: str, written: str, value: object) -> None:
    """Decimal, unsigned hex, quoted or tagged text mean the same to both; ``1.5e+3`` is 1500.0 to both
    (name: refuses a float as not a string, as the schema does)."""
    if value is None:
        with pytest.raises(ScenarioError) as e:
            load_scenario_text(_with(f"{field}: {written}"), "s.yaml")
        assert "YAML 1.2" not in e.value.oneline() and "is not " in e.value.oneline()
        return
    scn = load_scenario_text(_with(f"{field}: {written}"), "s.yaml")
    assert getattr(scn, field) == value


def test_a_bdf_that_yaml_1_1_reads_as_base_60_is_still_read_as_written() -> None:
    """``bdf: 00:03.0`` is 3.0 to YAML 1.1 and a string to 1.2: the field reads it as written."""
    scn = load_scenario_text(BASE.replace('bdf: "00:03.0"', "bdf: 00:03.0"), "s.yaml")
    assert {d.bdf for d in scn.devices.values()} == {"00:03.0"}


def test_the_cli_refuses_it_in_one_line_and_a_recorded_text_still_replays(tmp_path: Path) -> None:
    """``interrupt_remapping: yes`` in a file is refused (exit 2, one line); the same text recorded in a
    snapshot before hardening31 is read as it ran (YAML 1.1: true) and replays."""
    from msidbg.debugger import Session

    text = _with("platform: {kind: bare-metal, interrupt_remapping: yes}")
    scn = tmp_path / "s.yaml"
    scn.write_text(text)
    code, out, err = cli("run", str(scn), "--headless")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "platform.interrupt_remapping: 'yes' is a boolean (true) to YAML 1.1 and a string to YAML 1.2" in err
    s = Session(load_scenario_text(text, str(scn), recorded=True))
    assert s.scenario.platform.interrupt_remapping is True
    s.run()
    snap = tmp_path / "old.msgpack"
    s.save(str(snap))
    code, out, err = cli("replay", str(snap))
    assert code == 0, err


def test_new_never_names_a_device_a_yaml_boolean() -> None:
    assert not ys.plain_is_text("on") and not ys.plain_is_text("no") and not ys.plain_is_text("1e3")
    assert ys.plain_is_text("eth0") and ys.plain_is_text("n") and ys.plain_is_text("enp3s0")


def test_the_schema_says_what_it_cannot() -> None:
    from msidbg.bugio.schema import schema

    assert "1_000" in schema()["$comment"] and "quote" in schema()["$comment"]
