"""Scenario files from strangers: huge numbers are refused by length before any conversion
(issue 11 item 4), nodes are counted while the file is parsed (item 13), strings that cannot
be written back are refused (item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from msidbg import yamlsafe as ys
from msidbg.debugger import Session
from msidbg.errors import MsidbgError, ScenarioError
from msidbg.scenario import load_scenario_text
from tests.test_cli import GOOD, msidbg

NUMBERS = {
    "hex_seed": (GOOD + "seed: 0x" + "f" * 3600 + "\n", "seed: a number of 3602 characters"),
    "binary_cpus": (GOOD.replace("cpus: 2", "cpus: 0b" + "1" * 15000), "cpus: a number of 15002 characters"),
    "hex_at": (GOOD + "  - {at: 0x" + "f" * 5000 + ", do: remove, dev: eth0}\n", "run[2].at: a number of 5002"),
    "expect_count": (GOOD + "expect: {lost: {eth0: " + "9" * 5000 + "}}\n", "expect.lost.eth0: a number of 5000"),
    "base60_seed": (GOOD + "seed: 1:" + ":".join(["59"] * 300) + "\n", "seed: a number of 901 characters"),
    # hardening25: refused as base 60 (a YAML 1.1-only integer) before its range is looked at
    "base60_short": (GOOD + "seed: 1:" + ":".join(["59"] * 30) + "\n",
                     "is a base-60 number to YAML 1.1 (an integer of 179 bits)"),
    "megabyte_int": (GOOD + "seed: " + "9" * 1_040_000 + "\n", "seed: a number of 1040000 characters"),
    "huge_but_short": (GOOD + "seed: 0x" + "f" * 90 + "\n", "seed: an integer of 360 bits is out of range"),
    "float_overflow": (GOOD + "seed: 1e999999\n", "seed: '1e999999' is a string to YAML 1.1 and inf to YAML 1.2"),
}


@pytest.mark.parametrize("case", sorted(NUMBERS))
def test_huge_numbers_are_refused_by_length_in_one_line(case: str) -> None:
    text, says = NUMBERS[case]
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(text, "s.yaml")
    line = e.value.oneline()
    assert says in line and "\n" not in line and len(line) < 400, line


def test_a_huge_seed_on_the_command_line_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(GOOD)
    out = msidbg("run", str(f), "--headless", "--seed", "18446744073709551616")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "out of range" in out.stderr


class CountingLoader(ys._LOADER):  # type: ignore[misc, name-defined]
    events = 0

    def get_event(self) -> object:
        CountingLoader.events += 1
        return super().get_event()


def test_nodes_are_counted_while_parsing_not_after(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 500_000
    text = "name: t\nabout: [" + ",".join(["1"] * n) + "]\n"
    monkeypatch.setattr(ys, "_LOADER", CountingLoader)
    CountingLoader.events = 0
    with pytest.raises(ys.Invalid, match="more than 200000 YAML nodes"):
        ys.parse(text)
    assert ys.MAX_NODES < CountingLoader.events < ys.MAX_NODES + 10  # stopped at the limit, not at 500,000


def test_aliases_count_every_use_and_recursion_is_refused() -> None:
    rows = ["a0: &a0 [" + ", ".join(["x"] * 100) + "]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 5)]
    with pytest.raises(ys.Invalid, match="more than 200000 YAML nodes"):
        ys.parse("about:\n" + "\n".join("  " + r for r in rows) + "\n")
    with pytest.raises(ys.Invalid, match="refers to a collection that contains it"):
        ys.parse("about: &a {b: *a}\n")


def test_aliases_keep_their_values_and_lines() -> None:
    y = ys.parse("a: &x {b: [1, 2]}\nc: *x\n")
    assert y is not None and y.value["c"].value["b"].value[1].value == 2
    assert (y.value["a"].key_line, y.value["c"].key_line) == (1, 2)


@pytest.mark.parametrize(("text", "says"), [
    ("a: 1\n---\nb: 2\n", "a second YAML document"),
    ("a: !!python/object:os.system {}\n", "unsupported YAML type"),
    ("a: !!binary aGVsbG8=\n", "unsupported YAML type"),
    ("? [1, 2]\n: x\n", "a key must be a string, not a collection"),
    ("<<: {a: 1}\n", "merge keys"),
    ("a: *nope\n", "unknown alias *nope"),
    ("a: \"\\udc80\"\n", "found invalid Unicode character escape code"),  # libyaml refuses it
])
def test_hostile_yaml_is_one_line(text: str, says: str) -> None:
    with pytest.raises(ys.Invalid) as e:
        ys.parse(text)
    assert says in e.value.message and "\n" not in e.value.message


def test_a_lone_surrogate_in_a_scenario_breakpoint_is_refused_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ys, "_LOADER", yaml.SafeLoader)  # pure-Python PyYAML reads "\udc80" escapes
    with pytest.raises(ScenarioError, match="holds a lone surrogate"):
        load_scenario_text(GOOD + 'breakpoints: ["if event.dev == \\"\\udc80\\""]\n', "s.yaml")


def test_a_non_utf8_break_spec_is_refused_before_the_run_and_save_works(tmp_path: Path) -> None:
    """Item 8: a non-UTF-8 byte in --break arrives as a lone surrogate (surrogateescape)."""
    f = tmp_path / "s.yaml"
    f.write_text(GOOD)
    s = Session(load_scenario_text(GOOD, str(f)))
    with pytest.raises(MsidbgError, match="not valid UTF-8"):
        s.add_breakpoint('if event.dev == "\udcff"')
    bad_name = tmp_path / "s\udcff.yaml"
    bad_name.write_text(GOOD)
    out = msidbg("run", str(f), "--headless", "--break", 'if event.dev == "\udcff"', "--save", str(tmp_path / "o.msgpack"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not valid UTF-8" in out.stderr
    out = msidbg("run", str(bad_name), "--headless", "--save", str(tmp_path / "o.msgpack"))
    assert out.returncode == 0, out.stderr
    assert Session.open(str(tmp_path / "o.msgpack")).scenario.path.startswith("s")


def test_libyaml_and_pure_python_parsers_build_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import SCENARIOS

    for path in sorted(SCENARIOS.glob("*.yaml")):
        text = path.read_text()
        fast = ys.parse(text)
        monkeypatch.setattr(ys, "_LOADER", yaml.SafeLoader)
        slow = ys.parse(text)
        monkeypatch.undo()
        assert fast == slow, path
