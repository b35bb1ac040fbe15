"""Debugger key bindings, and the user's rebinding file.

Every debugger command is a ``KeyAction``: a stable name (used in the config file, the help
screen and the command palette), the App action it runs, its default keys and a
description. Users rebind in ``$XDG_CONFIG_HOME/msidbg/keys.toml`` (or ``keys.json``;
``$MSIDBG_KEYS`` names another file)::

    # ~/.config/msidbg/keys.toml
    [keys]
    step = "n,f10"          # comma-separated Textual key names
    step_back = "p,f9"

Unknown names and malformed keys are reported as one line naming the file and the field.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.binding import Binding

from msidbg.errors import MsidbgError
from msidbg.files import FileProblem, read_regular

MAX_CONFIG_BYTES = 64 * 1024
MAX_KEYS_CHARS = 200
_KEY = re.compile(r"^((ctrl|shift|alt|meta|super|hyper)\+)*([a-z0-9_]+|[!-~])$", re.ASCII)


@dataclass(frozen=True, slots=True)
class KeyAction:
    """One rebindable debugger command."""

    name: str
    action: str
    keys: str
    description: str
    help: str
    show: bool = True


ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("step", "step", "s", "Step", "execute the next event"),
    KeyAction("step_back", "step_back", "b", "Back", "go back one event (re-executes from a checkpoint)"),
    KeyAction("continue", "continue", "c", "Continue", "run to the next breakpoint hit or the end; any key stops it"),
    KeyAction("reverse_continue", "reverse_continue", "C", "Rev-cont",
              "run backwards to the previous breakpoint hit, or event 0"),
    KeyAction("goto", "goto", "g", "Goto", "go to an event number"),
    KeyAction("run_to_time", "run_to_time", "t", "To time",
              "run to a virtual time such as 2ms or 1500us, backwards too (stops at breakpoints either way)"),
    KeyAction("add_breakpoint", "add_breakpoint", "a", "Break",
              "arm a breakpoint: a built-in name, 'if <cond>', 'watch <path>' or 'call <program>'"),
    KeyAction("watch", "watch", "W", "Watch", "arm a watchpoint on a state path, e.g. cpu[1].irr", show=False),
    KeyAction("why", "why", "w", "Why", "why: the cause chain of the stop, or of what is selected in the focused "
              "pane: an event row, an APIC vector, a vector-table row, a pirq (enter in the chain goes to a "
              "link's event)"),
    KeyAction("bookmark", "bookmark", "m", "Mark", "bookmark the cursor's event (name: note)", show=False),
    KeyAction("bookmarks", "bookmarks", "M", "Marks", "list the bookmarks and jump to one"),
    KeyAction("next_device", "next_device", "d", "Device", "show the next device's vector table"),
    KeyAction("next_cpu", "next_cpu", "right_square_bracket", "CPU+", "select the next CPU", show=False),
    KeyAction("prev_cpu", "prev_cpu", "left_square_bracket", "CPU-", "select the previous CPU", show=False),
    KeyAction("filter", "filter", "slash", "Filter", "filter the event log", show=False),
    KeyAction("next_view", "next_view", "v", "View", "switch the tabbed pane: event log, timeline"),
    KeyAction("save", "save", "ctrl+s", "Save", "save a snapshot file at the cursor"),
    KeyAction("help", "help", "question_mark,f1", "Help", "show every key"),
    KeyAction("quit", "quit", "q", "Quit", "leave msidbg"),
)
BY_NAME = {a.name: a for a in ACTIONS}


def bindings() -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The App's BINDINGS; each binding's id is its action's name (what ``keys.toml`` rebinds)."""
    return [Binding(a.keys, a.action, a.description, show=a.show, id=a.name) for a in ACTIONS]


def config_path(env: dict[str, str] | None = None) -> Path | None:
    """Where the user's key file is: ``$MSIDBG_KEYS``, else keys.toml / keys.json in the config dir."""
    env = dict(os.environ) if env is None else env
    if env.get("MSIDBG_KEYS"):
        return Path(env["MSIDBG_KEYS"])
    if env.get("XDG_CONFIG_HOME"):
        base = Path(env["XDG_CONFIG_HOME"])
    else:
        home = env.get("HOME") or os.path.expanduser("~")
        if not os.path.isabs(home):
            # no $HOME and no passwd entry (a container run as an arbitrary uid): no config folder,
            # so no key file -- Path.home() raised RuntimeError, 'msidbg run' an internal error
            return None
        base = Path(home) / ".config"
    for name in ("keys.toml", "keys.json"):
        if (base / "msidbg" / name).is_file():
            return base / "msidbg" / name
    return None


def load_keymap(path: Path | None) -> dict[str, str]:
    """The keymap (action name -> keys) in ``path``; {} for None. Raises MsidbgError on bad input."""
    if path is None:
        return {}
    file = str(path)
    try:   # bounded, a regular file only: MSIDBG_KEYS=/dev/zero read until memory ran out, a FIFO hung
        raw = read_regular(file, MAX_CONFIG_BYTES, "a TOML or JSON key bindings file")
    except FileProblem as e:
        raise MsidbgError(f"key bindings file: {e.message}", file) from None
    return parse_keymap(raw, file)


def parse_keymap(raw: bytes, file: str) -> dict[str, str]:
    """Parse a TOML or JSON key file (by suffix) into {action name: "key,key"}."""
    kind = "JSON" if file.endswith(".json") else "TOML"
    expected = f"(expected {kind} text: a table of action = \"keys\")"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:   # was "not valid TOML: 'utf-8' codec can't decode byte 0xff in position 0: ..."
        line = raw.count(b"\n", 0, e.start) + 1
        raise MsidbgError(f"not valid UTF-8: byte {raw[e.start]:#04x} {expected}", file, line) from None
    try:
        data: Any = json.loads(text, object_pairs_hook=_once) if kind == "JSON" else tomllib.loads(text)
    except _Twice as e:
        raise MsidbgError(f"{e.args[0]} (expected each key once)", file) from None
    except ValueError as e:
        raise MsidbgError(f"not valid {kind}: {e} {expected}", file) from None
    except RecursionError:   # both parsers recurse per nested array or table: '[' * 60000 was an internal error
        raise MsidbgError(f"not valid {kind}: nested too deeply (expected a table of action = \"keys\")",
                          file) from None
    if isinstance(data, dict) and isinstance(data.get("keys"), dict):
        data = data["keys"]
    elif isinstance(data, dict) and "keys" in data:   # was "keys.keys: unknown action" for keys = 3 or [[keys]]
        raise MsidbgError("keys: expected a table of action = \"keys\" ([keys] in TOML, an object in JSON)", file)
    if not isinstance(data, dict):
        raise MsidbgError("expected a table of action = \"keys\" (under [keys])", file)
    keymap = {name: _keys(name, value, file) for name, value in data.items()}
    _no_shared_keys(keymap, file)
    return keymap


class _Twice(ValueError):
    """A JSON object holding a key twice; ``args[0]`` names it."""


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice. ``json.loads`` keeps the last
    value silently, so ``{"step": "n", "step": "x"}`` bound x while the user read n (TOML refuses a
    repeated key itself; a snapshot's msgpack maps are refused the same way)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Twice(f"the key {key[:32]!r} twice")
        out[key] = value
    return out


def _no_shared_keys(keymap: dict[str, str], file: str) -> None:
    """One key, one action: a key the file gives an action must not still run another one
    (the file's own or a default it leaves alone). Refused naming both actions."""
    owner: dict[str, str] = {}
    for a in ACTIONS:
        for key in keymap.get(a.name, a.keys).split(","):
            other = owner.setdefault(key, a.name)
            if other != a.name:
                name, clash = (a.name, other) if a.name in keymap else (other, a.name)
                hint = f" (rebind {clash} too)" if clash not in keymap else ""
                raise MsidbgError(f"keys.{name}: {key!r} is also the key of {clash}{hint}", file)


def _keys(name: str, value: Any, file: str) -> str:
    if name not in BY_NAME:
        raise MsidbgError(f"keys.{name}: unknown action (expected one of: {', '.join(BY_NAME)})", file)
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEYS_CHARS:
        raise MsidbgError(f"keys.{name}: expected a string of comma-separated key names", file)
    keys = [k.strip() for k in value.split(",")]
    for k in keys:
        if not _KEY.match(k):
            raise MsidbgError(f"keys.{name}: {k!r} is not a key name (e.g. 's', 'f10', 'ctrl+s', 'shift+left')",
                              file)
    return ",".join(keys)
