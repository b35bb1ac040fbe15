"""The scenario loader: good files parse to the right values; every bad one is one precise line."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from msidbg import behaviour as bh
from msidbg.errors import ScenarioError
from msidbg.scenario import (
    Action,
    Device,
    Kernel,
    MsiCap,
    MsixCap,
    Platform,
    Scenario,
    load_scenario,
    load_scenario_text,
)

CONTRACT_EXAMPLE = """\
name: xen-hvm-msix-mask-late            # required; [a-z0-9-]+
about: |                                # optional, shown in the TUI header and reports
  NIC passed through to a Xen HVM guest; the kernel masks MSI-X entries after enabling.
seed: 1                                 # optional, default 0
schedule: ordered                       # ordered (default) | random
cpus: 2                                 # number of guest CPUs, 1..256
platform:
  kind: xen-hvm                         # bare-metal (default) | xen-hvm | xen-pv
  xen: "4.5"
  qemu: qemu-xen-4.5
  qemu_unmap_pirq_on_msi_disable: true
  xen_pt_bind: on-write
  interrupt_remapping: false
kernel:
  version: "5.15.30"
  msix_mask_all: late
  xen_hvm_msi_ignore_mask: true
  xen_reuse_cached_pirq: false
  msi_affinity_update: plug-race
  affinity_before_startup: true
  msix_masked_update: true
devices:
  eth0:
    bdf: "00:03.0"
    kind: nic
    passthrough: true
    msix: {table_size: 3}
    msi: {vectors: 1, per_vector_mask: false, addr64: true}
    quirks: [latch-on-unmask]
run:
  - {at: 0, on: 0, do: probe, dev: eth0, mode: msix, vectors: 3}
  - {at: 1ms, do: fire, dev: eth0, vector: 0, count: 10, every: 10us}
  - {at: 2ms, on: 1, do: set_affinity, dev: eth0, vector: 0, cpu: 1}
breakpoints: [msix-write-unmasked]
expect:
  hit: [msix-write-unmasked]
  not_hit: [irq-spurious]
  lost: {eth0: 0}
"""

# A small valid scenario the rejection tests modify: eth0 has 8 MSI-X entries, nvme0 4 MSI vectors.
BASE = """\
name: base
cpus: 2
devices:
  eth0:
    bdf: "00:03.0"
    msix: {table_size: 8}
  nvme0:
    bdf: "00:04.0"
    msi: {vectors: 4}
run:
  - {do: probe, dev: eth0}
  - {at: 1ms, do: fire, dev: eth0, vector: 7}
"""


# --- helpers ------------------------------------------------------------------------------


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def load(tmp_path: Path, text: str) -> Scenario:
    return load_scenario(write(tmp_path, textwrap.dedent(text)))


def error(tmp_path: Path, text: str | bytes) -> tuple[str, str]:
    """(oneline, path) of the error loading ``text``; checks the one-line shape."""
    path = write(tmp_path, textwrap.dedent(text) if isinstance(text, str) else text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    line = info.value.oneline()
    assert "\n" not in line
    assert line.startswith(f"msidbg: {path}:")
    return line, path


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line number of the ``nth`` line of ``text`` containing ``needle``."""
    hits = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line]
    return hits[nth - 1]


def assert_error(tmp_path: Path, text: str, field: str, needle: str, *parts: str, nth: int = 1) -> str:
    """Loading ``text`` fails at ``field`` on the line containing ``needle``."""
    message, path = error(tmp_path, text)
    assert message.startswith(f"msidbg: {path}:{line_of(text, needle, nth)}: {field}: "), message
    for part in parts:
        assert part in message, message
    return message


# --- good files ---------------------------------------------------------------------------


def test_contract_example_parses(tmp_path: Path) -> None:
    path = write(tmp_path, CONTRACT_EXAMPLE)
    s = load_scenario(path)
    assert s.path == path and s.text == CONTRACT_EXAMPLE
    assert s.sha256 == hashlib.sha256(CONTRACT_EXAMPLE.encode()).hexdigest()
    assert (s.name, s.seed, s.schedule, s.cpus) == ("xen-hvm-msix-mask-late", 1, "ordered", 2)
    assert s.about.startswith("NIC passed through")
    assert s.platform == Platform("xen-hvm", "4.5", "qemu-xen-4.5", False,
                                  switches={"qemu_unmap_pirq_on_msi_disable": True, "xen_pt_bind": "on-write"})
    assert s.kernel == Kernel("5.15.30", {"msix_mask_all": "late", "xen_hvm_msi_ignore_mask": True,
                                          "xen_reuse_cached_pirq": False, "msi_affinity_update": "plug-race",
                                          "affinity_before_startup": True, "msix_masked_update": True})
    assert s.devices == {
        "eth0": Device("eth0", "00:03.0", "nic", True, MsixCap(3), MsiCap(1, False, True), ("latch-on-unmask",))
    }
    assert s.run == (
        Action(0, 0, "probe", 0, "eth0", {"mode": "msix", "vectors": 3, "affinity": None}, 31),
        Action(1, 1_000_000, "fire", 0, "eth0", {"vector": 0, "count": 10, "every_ns": 10_000}, 32),
        Action(2, 2_000_000, "set_affinity", 1, "eth0", {"vector": 0, "cpu": 1}, 33),
    )
    assert s.breakpoints == ("msix-write-unmasked",)
    assert s.expect is not None
    assert (s.expect.hit, s.expect.not_hit, s.expect.lost) == (("msix-write-unmasked",), ("irq-spurious",), {"eth0": 0})
    assert s.faults == () and s.costs == {}


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, "name: minimal\n")
    assert (s.about, s.seed, s.schedule, s.cpus) == ("", 0, "ordered", 1)
    assert s.platform == Platform() and s.platform.xen is None and s.platform.switches == {}
    assert s.kernel == Kernel() and s.devices == {} and s.run == () and s.expect is None


def test_empty_sections_are_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, "name: x\nplatform:\nkernel:\ndevices:\nrun:\nexpect:\nfaults:\ncosts:\n")
    assert s.platform == Platform() and s.run == () and s.expect is None and s.costs == {}


@pytest.mark.parametrize(
    ("written", "ns"),
    [("0", 0), ("5", 5), ("'10us'", 10_000), ("'1.5ms'", 1_500_000), ("2s", 2_000_000_000),
     ("7ns", 7), ("0.5us", 500), ("'1.25s'", 1_250_000_000), ("1000", 1000), ("3600s", 3600 * 10**9)],
)
def test_times_convert_exactly(tmp_path: Path, written: str, ns: int) -> None:
    s = load(tmp_path, BASE + f"  - {{at: {written}, do: remove, dev: eth0}}\n")
    assert s.run[-1].at_ns == ns


def test_action_args_defaults(tmp_path: Path) -> None:
    s = load(tmp_path, BASE + """\
  - {do: alloc_vectors, dev: nvme0}
  - {do: doorbell, dev: nvme0, vector: 3}
  - {do: request_irq, dev: eth0, vector: 1, affinity: 1}
  - {do: write, dev: eth0, target: msix-table, offset: 12, value: 1}
  - {do: write, dev: nvme0, target: config, offset: 0x52, value: 0xffff, size: 2}
  - {do: cpu_offline, on: 0, cpu: 1}
  - {do: cpu_online, cpu: 1}
  - {do: free_irq, dev: eth0, vector: 1}
  - {do: free_vectors, dev: nvme0}
""")
    by_do = {a.do: a for a in s.run}
    assert by_do["probe"].args == {"mode": "any", "vectors": 1, "affinity": None}
    assert by_do["fire"].args == {"vector": 7, "count": 1, "every_ns": 0}
    assert by_do["fire"].line == 12 and by_do["fire"].index == 1
    assert by_do["alloc_vectors"].args == {"mode": "any", "vectors": 1}
    assert by_do["doorbell"].args == {"vector": 3, "timeout_ns": 10_000_000}
    assert by_do["request_irq"].args == {"vector": 1, "affinity": 1, "hint": None}
    assert s.run[5].args == {"target": "msix-table", "offset": 12, "value": 1, "size": 4}
    assert s.run[6].args == {"target": "config", "offset": 0x52, "value": 0xFFFF, "size": 2}
    assert by_do["cpu_offline"].args == {"cpu": 1} and by_do["cpu_offline"].dev is None
    assert by_do["free_vectors"].args == {} and by_do["free_vectors"].dev == "nvme0"


def test_probe_msix_on_msi_only_device_is_left_to_the_kernel(tmp_path: Path) -> None:
    s = load(tmp_path, BASE + "  - {do: probe, dev: nvme0, mode: msix, vectors: 4}\n")
    assert s.run[-1].args["mode"] == "msix"


def test_bdf_normalised_and_unquoted_accepted(tmp_path: Path) -> None:
    s = load(tmp_path, "name: x\ndevices:\n  a: {bdf: 0A:1F.7, msi: {}}\n  b: {bdf: 00:10.0, msix: {table_size: 1}}\n")
    assert s.devices["a"].bdf == "0a:1f.7" and s.devices["b"].bdf == "00:10.0"
    assert s.devices["a"].msi == MsiCap() and s.devices["a"].kind == "generic"


def test_xen_version_as_number_kept_as_written(tmp_path: Path) -> None:
    s = load(tmp_path, "name: x\nplatform: {kind: xen-pv, xen: 4.10, xen_pt_bind: on-unmask}\n")
    assert s.platform.xen == "4.10" and s.platform.switches == {"xen_pt_bind": "on-unmask"}


def test_kernel_switches(tmp_path: Path) -> None:
    s = load(tmp_path, "name: x\nkernel: {msix_mask_all: early, msi_affinity_update: plain, msix_masked_update: false}\n")
    assert s.kernel == Kernel(None, {"msix_mask_all": "early", "msi_affinity_update": "plain",
                                     "msix_masked_update": False})
    written = {"msix_mask_all": "early", "msi_affinity_update": "plain", "msix_masked_update": False}
    defaults = {r.name: r.default for r in bh.rows()}
    assert s.behaviour.plain() == {**defaults, **written}


def test_expect_faults_costs_breakpoints(tmp_path: Path) -> None:
    s = load(tmp_path, BASE + """\
breakpoints: [irq-lost, msix-write-unmasked]
expect:
  probe: {eth0: ok, nvme0: "failed: ETIMEDOUT"}
  delivered: {eth0: 1}
  spurious: {nvme0: 0}
faults: [{call: pci_msi_setup_msi_irqs, errno: ENOSPC}, {call: msi_capability_init, dev: nvme0, errno: EIO, times: 3}]
costs: {cfg_write: 2us, trap: 15000}
""")
    assert s.breakpoints == ("irq-lost", "msix-write-unmasked")
    assert s.expect is not None and s.expect.probe == {"eth0": "ok", "nvme0": "failed: ETIMEDOUT"}
    assert s.expect.delivered == {"eth0": 1} and s.expect.spurious == {"nvme0": 0}
    assert s.faults[0].dev is None and s.faults[0].times == 1
    assert (s.faults[1].dev, s.faults[1].errno, s.faults[1].times) == ("nvme0", "EIO", 3)
    assert s.costs == {"cfg_write": 2000, "trap": 15000}


def test_load_scenario_text_stores_path_as_given() -> None:
    s = load_scenario_text("name: x\n", "some/where.yaml")
    assert s.path == "some/where.yaml" and s.sha256 == hashlib.sha256(b"name: x\n").hexdigest()


def test_text_api_reports_the_given_path() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text("name: x\nbogus: 1\n", "given.yaml")
    assert info.value.oneline().startswith("msidbg: given.yaml:2: bogus: unknown key")


# --- the rejections the brief lists ---------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "colour: red\n", "colour", "colour:", "unknown key", "expected one of: name, about")


def test_unknown_nested_key(tmp_path: Path) -> None:
    text = BASE.replace("{table_size: 8}", "{table_size: 8, colour: red}")
    assert_error(tmp_path, text, "devices.eth0.msix.colour", "colour", "expected one of: table_size")


def test_unknown_action(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: reboot}\n", "run[2].do", "reboot", "unknown action 'reboot'", "probe")


def test_unknown_device(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: remove, dev: wlan0}\n", "run[2].dev", "wlan0",
                 "unknown device 'wlan0' (expected one of: eth0, nvme0)")


def test_vector_out_of_range(tmp_path: Path) -> None:
    text = BASE + "  - {do: fire, dev: eth0, vector: 9}\n"
    assert_error(tmp_path, text, "run[2].vector", "vector: 9", "9 is out of range (expected 0..7: eth0 has 8 vectors)")


@pytest.mark.parametrize("written", ["-5", "'-1ms'", "-1.5us"])
def test_negative_time(tmp_path: Path, written: str) -> None:
    assert_error(tmp_path, BASE + f"  - {{at: {written}, do: remove, dev: eth0}}\n", "run[2].at", "remove",
                 "is negative", "expected a time >= 0")


@pytest.mark.parametrize("written", ["10xs", "10 us", "1.5", "'1e3ns'", "1.5ns", "3601s", "true", "[1]"])
def test_bad_time(tmp_path: Path, written: str) -> None:
    assert_error(tmp_path, BASE + f"  - {{at: {written}, do: remove, dev: eth0}}\n", "run[2].at", "remove",
                 "(expected a time >= 0")


@pytest.mark.parametrize("size", ["0", "4096"])
def test_table_size_out_of_range(tmp_path: Path, size: str) -> None:
    text = BASE.replace("{table_size: 8}", "{table_size: " + size + "}")
    assert_error(tmp_path, text, "devices.eth0.msix.table_size", "table_size", f"{size} is out of range (expected 1..2048)")


@pytest.mark.parametrize("cpus", ["0", "300"])
def test_cpus_out_of_range(tmp_path: Path, cpus: str) -> None:
    assert_error(tmp_path, BASE.replace("cpus: 2", f"cpus: {cpus}"), "cpus", "cpus:", "(expected 1..256)")


def test_duplicate_key(tmp_path: Path) -> None:
    text = BASE.replace('    msix: {table_size: 8}\n', '    msix: {table_size: 8}\n    bdf: "00:05.0"\n')
    assert_error(tmp_path, text, "devices.eth0.bdf", "00:05.0", "duplicate key", "first at line 5")


def test_duplicate_top_level_key(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "name: again\n", "name", "again", "duplicate key")


def test_alias_bomb(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    text = "name: bomb\nabout:\n" + "\n".join("  " + row for row in rows) + "\n"
    message, _ = error(tmp_path, text)
    assert "(top level): more than 200000 YAML nodes, aliases counted at each use" in message
    line = int(message.split(":")[2])
    assert 3 <= line <= 11


def test_recursive_alias(tmp_path: Path) -> None:
    message, _ = error(tmp_path, "name: x\nabout: &a [*a]\n")
    assert "*a refers to a collection that contains it (expected no recursive aliases)" in message
    assert ":2: about[0]" in message


def test_file_too_large(tmp_path: Path) -> None:
    path = write(tmp_path, "name: big\nabout: '" + "x" * (1 << 20) + "'\n")
    size = Path(path).stat().st_size
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.oneline() == f"msidbg: {path}: file too large: {size} bytes (expected at most 1048576 bytes)"


def test_text_too_large() -> None:
    with pytest.raises(ScenarioError, match="file too large"):
        load_scenario_text("name: x\nabout: '" + "é" * (1 << 19) + "'\n", "t.yaml")


def test_not_utf8(tmp_path: Path) -> None:
    message, path = error(tmp_path, b"name: x\nabout: caf\xe9\n")
    assert message == f"msidbg: {path}:2: not valid UTF-8: byte 0xe9 (expected UTF-8 text)"


def test_yaml_syntax_error(tmp_path: Path) -> None:
    message, path = error(tmp_path, "name: x\nrun:\n  - {do: probe\nabout: y\n")
    assert message.startswith(f"msidbg: {path}:4: YAML syntax error: ")
    assert message.endswith("(expected valid YAML)")


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.oneline() == f"msidbg: {path}: cannot read: No such file or directory (expected a scenario file)"


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(str(tmp_path))


def test_top_level_list(tmp_path: Path) -> None:
    message, path = error(tmp_path, "- name: x\n")
    assert message.startswith(f"msidbg: {path}:1: (top level): a list is not a mapping (expected a mapping")


def test_empty_file(tmp_path: Path) -> None:
    message, path = error(tmp_path, "# nothing\n")
    assert message.startswith(f"msidbg: {path}:1: (top level): the file is empty")


def test_fire_with_on(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {on: 1, do: fire, dev: eth0, vector: 0}\n", "run[2].on", "on: 1",
                 "not allowed for fire")


def test_passthrough_on_bare_metal(tmp_path: Path) -> None:
    text = BASE.replace('    msix: {table_size: 8}\n', '    msix: {table_size: 8}\n    passthrough: true\n')
    assert_error(tmp_path, text, "devices.eth0.passthrough", "passthrough", "bare-metal")


def test_interrupt_remapping_on_xen(tmp_path: Path) -> None:
    text = BASE + "platform:\n  kind: xen-hvm\n  interrupt_remapping: true\n"
    assert_error(tmp_path, text, "platform.interrupt_remapping", "interrupt_remapping", "xen-hvm")


# --- more rejections -------------------------------------------------------------------------


def test_missing_name(tmp_path: Path) -> None:
    assert_error(tmp_path, "cpus: 1\n", "name", "cpus", "missing")


@pytest.mark.parametrize("name", ["Upper", "with space", "a" * 65, "1.5", "[x]"])
def test_bad_name(tmp_path: Path, name: str) -> None:
    assert_error(tmp_path, f"name: {name}\n", "name", "name")


@pytest.mark.parametrize(("key", "value"), [("xen", '"4.5"'), ("xen_pt_bind", "on-write"),
                                            ("qemu_unmap_pirq_on_msi_disable", "true")])
def test_xen_switches_rejected_on_bare_metal(tmp_path: Path, key: str, value: str) -> None:
    assert_error(tmp_path, f"name: x\nplatform:\n  {key}: {value}\n", f"platform.{key}", key, "xen-hvm or xen-pv")


@pytest.mark.parametrize("version", ["'4'", "'v4.5'", "4"])
def test_bad_xen_version(tmp_path: Path, version: str) -> None:
    assert_error(tmp_path, f"name: x\nplatform: {{kind: xen-hvm, xen: {version}}}\n", "platform.xen", "xen")


def test_platform_kind(tmp_path: Path) -> None:
    assert_error(tmp_path, "name: x\nplatform: {kind: kvm}\n", "platform.kind", "kvm", "unknown platform kind 'kvm'")


@pytest.mark.parametrize("value", ["'yes'", "1", "'true'"])
def test_kernel_booleans_must_be_booleans(tmp_path: Path, value: str) -> None:
    assert_error(tmp_path, f"name: x\nkernel:\n  msix_masked_update: {value}\n", "kernel.msix_masked_update",
                 "msix_masked_update", "is not a boolean (expected true or false)")


def test_kernel_choice(tmp_path: Path) -> None:
    assert_error(tmp_path, "name: x\nkernel: {msix_mask_all: never}\n", "kernel.msix_mask_all", "never",
                 "expected one of: early, late")


@pytest.mark.parametrize("bdf", ['"00:03"', '"000:03.0"', '"00:23.0"', '"00:03.8"', "3"])
def test_bad_bdf(tmp_path: Path, bdf: str) -> None:
    assert_error(tmp_path, BASE.replace('"00:03.0"', bdf), "devices.eth0.bdf", "bdf")


def test_duplicate_bdf(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE.replace('"00:04.0"', '"00:03.0"'), "devices.nvme0.bdf", "bdf", nth=2)


@pytest.mark.parametrize("name", ["Eth0", "0eth", "e" * 33])
def test_bad_device_name(tmp_path: Path, name: str) -> None:
    assert_error(tmp_path, BASE.replace("  eth0:", f"  {name}:"), f"devices.{name}", name, "bad device name")


def test_device_without_msi_or_msix(tmp_path: Path) -> None:
    text = "name: x\ndevices:\n  eth0:\n    bdf: '00:01.0'\n"
    assert_error(tmp_path, text, "devices.eth0", "eth0", "neither msi nor msix")


def test_too_many_devices(tmp_path: Path) -> None:
    rows = "".join(f"  d{i}: {{bdf: '01:{i // 8:02x}.{i % 8}', msi: {{}}}}\n" for i in range(65))
    assert_error(tmp_path, "name: x\ndevices:\n" + rows, "devices", "devices", "65 devices is too many")


@pytest.mark.parametrize(("quirks", "needs"), [
    ("[latch-on-unmask]", "msix"), ("[msix-mask-applies-when-disabled]", "msi and msix"),
])
def test_quirk_needs_capability(tmp_path: Path, quirks: str, needs: str) -> None:
    text = "name: x\ndevices:\n  nvme0:\n    bdf: '00:01.0'\n    msi: {}\n    quirks: " + quirks + "\n"
    assert_error(tmp_path, text, "devices.nvme0.quirks[0]", "quirks", f"needs a device with {needs}")


def test_quirk_unknown_and_duplicate(tmp_path: Path) -> None:
    base = "name: x\ndevices:\n  nvme0:\n    bdf: '00:01.0'\n    msi: {}\n    quirks: "
    assert_error(tmp_path, base + "[odd]\n", "devices.nvme0.quirks[0]", "quirks", "unknown quirk 'odd'")
    assert_error(tmp_path, base + "[msi-latch-on-enable, msi-latch-on-enable]\n", "devices.nvme0.quirks[1]",
                 "quirks", "duplicate quirk")


def test_msi_vectors_power_of_two(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE.replace("{vectors: 4}", "{vectors: 3}"), "devices.nvme0.msi.vectors", "vectors: 3",
                 "expected one of: 1, 2, 4, 8, 16, 32")


def test_msix_needs_table_size(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE.replace("{table_size: 8}", "{}"), "devices.eth0.msix.table_size", "msix: {}",
                 "missing")


def test_unknown_key_for_action(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: remove, dev: eth0, vector: 1}\n", "run[2].vector", "remove",
                 "unknown key for remove (expected one of: do, at, on, dev, jitter)")


def test_action_without_do(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {dev: eth0}\n", "run[2].do", "{dev: eth0}", "missing")


def test_missing_required_vector(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: set_affinity, dev: eth0, cpu: 1}\n", "run[2].vector", "set_affinity",
                 "missing")


def test_cpu_out_of_range(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {on: 2, do: remove, dev: eth0}\n", "run[2].on", "on: 2",
                 "2 is out of range (expected 0..1: the scenario has 2 cpus)")
    assert_error(tmp_path, BASE + "  - {do: probe, dev: eth0, affinity: 5}\n", "run[2].affinity", "affinity")


def test_cpu_offline_rules(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {on: 1, do: cpu_offline, cpu: 1}\n", "run[2].on", "cpu_offline",
                 "cannot run its own offline request")
    assert_error(tmp_path, BASE + "  - {do: cpu_offline, cpu: 0}\n", "run[2].on", "cpu_offline")
    one_cpu = BASE.replace("cpus: 2", "cpus: 1") + "  - {do: cpu_offline, cpu: 0}\n"
    assert_error(tmp_path, one_cpu, "run[2].do", "cpu_offline", "expected cpus: 2 or more")


def test_fire_count_needs_every(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: fire, dev: eth0, vector: 0, count: 5}\n", "run[2].every", "count: 5",
                 "required when count > 1")
    assert_error(tmp_path, BASE + "  - {do: fire, dev: eth0, vector: 0, count: 0}\n", "run[2].count", "count: 0")


def test_fire_total_bounded(tmp_path: Path) -> None:
    rows = "".join("  - {do: fire, dev: eth0, vector: 0, count: 10000000, every: 1ns}\n" for _ in range(6))
    assert_error(tmp_path, BASE + rows, "run", "run:", "60000001 fire signals in total is too many")


def test_doorbell_timeout_positive(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - {do: doorbell, dev: nvme0, vector: 0, timeout: 0}\n", "run[2].timeout",
                 "doorbell", "expected a time > 0")


@pytest.mark.parametrize(("fields", "field", "part"), [
    ("target: rom, offset: 0, value: 0", "target", "unknown write target"),
    ("target: config, offset: 2, value: 0", "offset", "not 4-byte aligned"),
    ("target: config, offset: 1, value: 0, size: 2", "offset", "not 2-byte aligned"),
    ("target: config, offset: 4094, value: 0", "offset", "expected 0..4092"),
    ("target: msix-table, offset: 128, value: 0", "offset", "expected 0..124"),
    ("target: config, offset: 0, value: 256, size: 1", "value", "expected 0..0xff"),
    ("target: config, offset: 0, value: -1", "value", "out of range"),
    ("target: config, offset: 0, value: 0, size: 3", "size", "expected one of: 1, 2, 4"),
    ("target: config, value: 0", "offset", "missing"),
])
def test_write_checks(tmp_path: Path, fields: str, field: str, part: str) -> None:
    assert_error(tmp_path, BASE + f"  - {{do: write, dev: eth0, {fields}}}\n", f"run[2].{field}", "write", part)


def test_write_msix_table_needs_msix(tmp_path: Path) -> None:
    text = BASE + "  - {do: write, dev: nvme0, target: msix-table, offset: 0, value: 0}\n"
    assert_error(tmp_path, text, "run[2].target", "write", "nvme0 has no MSI-X table")


def test_run_entry_must_be_mapping(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "  - probe\n", "run[2]", "- probe", "'probe' is not a mapping")


def test_breakpoints(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "breakpoints:\n  - irq-lost\n  - nope\n", "breakpoints[1]", "nope",
                 "unknown breakpoint 'nope'")


def test_breakpoint_conditions_are_checked_by_the_debugger_at_their_line(tmp_path: Path) -> None:
    """The scenario layer does not parse conditions (the debugger owns the language); arming them
    reports the same one-line error with the item's line."""
    from msidbg.debugger import Session

    text = BASE + "breakpoints:\n  - irq-lost\n  - 'if event.kind =='\n"
    scn = load_scenario(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        Session(scn)
    line = info.value.oneline()
    assert line.startswith(f"msidbg: {scn.path}:{line_of(text, 'event.kind')}: breakpoints[1]: "), line
    assert "\n" not in line


def test_expect_rejections(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "expect:\n  hit: [irq-nope]\n", "expect.hit[0]", "hit", "unknown breakpoint")
    assert_error(tmp_path, BASE + "expect:\n  lost: {wlan0: 1}\n", "expect.lost.wlan0", "lost", "unknown device")
    assert_error(tmp_path, BASE + "expect:\n  lost: {eth0: -1}\n", "expect.lost.eth0", "lost", "out of range")
    assert_error(tmp_path, BASE + "expect:\n  probe: {eth0: 'failed: EWHAT'}\n", "expect.probe.eth0", "EWHAT",
                 "is not a probe status")
    assert_error(tmp_path, BASE + "expect:\n  seen: []\n", "expect.seen", "seen", "unknown key")


def test_fault_rejections(tmp_path: Path) -> None:
    from msidbg.model import new_engine

    text = BASE + "faults:\n  - {call: no_such_fn, errno: EIO}\n"
    scn = load_scenario(write(tmp_path, text))      # the model owns the program names
    with pytest.raises(ScenarioError) as info:
        new_engine(scn)
    line = info.value.oneline()
    assert line.startswith(f"msidbg: {scn.path}:{line_of(text, 'no_such_fn')}: faults[0].call: "), line
    assert "unknown kernel program 'no_such_fn' (expected one of:" in line and "pci_msi_setup_msi_irqs" in line
    assert_error(tmp_path, BASE + "faults:\n  - {call: No-Such, errno: EIO}\n", "faults[0].call", "No-Such",
                 "a kernel program name")
    assert_error(tmp_path, BASE + "faults:\n  - {call: request_irq, errno: EWHAT}\n", "faults[0].errno", "EWHAT",
                 "unknown errno 'EWHAT'")
    assert_error(tmp_path, BASE + "faults:\n  - {call: request_irq, errno: EIO, dev: wlan0}\n", "faults[0].dev", "wlan0")
    assert_error(tmp_path, BASE + "faults:\n  - {errno: EIO}\n", "faults[0].call", "EIO", "missing")
    assert_error(tmp_path, BASE + "faults:\n  - {call: request_irq, errno: EIO, times: 1001}\n", "faults[0].times", "times")


def test_cost_rejections(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "costs: {warp: 1}\n", "costs.warp", "warp", "unknown cost", "cfg_write")
    assert_error(tmp_path, BASE + "costs: {eoi: 0}\n", "costs.eoi", "eoi", "expected a time > 0")
    assert_error(tmp_path, BASE + "costs: {eoi: 2s}\n", "costs.eoi", "eoi", "<= 1s")


def test_non_string_key(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + "expect:\n  lost: {1: 0}\n", "expect.lost", "lost", "a key must be a string, not 1")


def test_unsupported_tag(tmp_path: Path) -> None:
    text = "name: x\nabout: !!python/object:os.system ls\n"
    assert_error(tmp_path, text, "about", "about", "unsupported YAML type")
    assert_error(tmp_path, "name: x\nabout: 2020-01-02\n", "about", "about", "unsupported YAML type")


def test_on_key_is_a_name_not_a_boolean(tmp_path: Path) -> None:
    s = load(tmp_path, BASE + "  - {on: 1, do: remove, dev: eth0}\n  - {'on': 1, do: remove, dev: eth0}\n")
    assert s.run[-1].on == 1 and s.run[-2].on == 1


def test_long_values_are_truncated(tmp_path: Path) -> None:
    message = assert_error(tmp_path, BASE + f"  - {{do: remove, dev: {'w' * 200}}}\n", "run[2].dev", "remove")
    assert "w" * 41 not in message and "..." in message


def test_string_with_newline_stays_one_line(tmp_path: Path) -> None:
    assert_error(tmp_path, BASE + '  - {do: remove, dev: "a\\nb"}\n', "run[2].dev", "remove", "'a\\nb'")
