"""The behaviour table: which kernel / Xen / QEMU release behaves how, as plain data.

Every behaviour switch the model reads is one ``Switch`` row (``kernel.py``, ``xen.py``,
``qemu.py`` hold the rows, one module per layer). A row says which values exist, which of them
are *hypothetical* (found in no source: accepted when written explicitly, never chosen by a
version or the default), the current-upstream default, and its history: the release (and the
stable backports) in which the value changed, with the commit behind it.

``resolve()`` turns a scenario's versions (``kernel.version``, ``platform.xen``, ``platform.qemu``)
and explicit switches into a ``Table``: explicit switch > version > current-upstream default.
``Table.plain()`` is what the world carries as ``w["behaviour"]``; the model reads only that,
never a version string. This package sits beside ``msidbg.scenario``, below the model: it
imports nothing from ``msidbg``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LAYERS = ("kernel", "xen", "qemu", "platform")
#: the YAML section a layer's switches are written in
SECTION = {"kernel": "kernel", "xen": "platform", "qemu": "platform", "platform": "platform"}

# ---------------------------------------------------------------------------------------
# Versions
# ---------------------------------------------------------------------------------------

#: mainline kernel series this table knows (major -> last minor)
KERNEL_SERIES = {3: 19, 4: 20, 5: 19, 6: 19}
MAX_STABLE_PATCH = 999
#: Xen release series -> last point release (RELEASE-X.Y.Z tags of xen-project/xen)
XEN_SERIES = {
    (4, 0): 4, (4, 1): 6, (4, 2): 5, (4, 3): 4, (4, 4): 4, (4, 5): 5, (4, 6): 6, (4, 7): 6,
    (4, 8): 5, (4, 9): 4, (4, 10): 4, (4, 11): 4, (4, 12): 4, (4, 13): 5, (4, 14): 6, (4, 15): 7,
    (4, 16): 7, (4, 17): 7, (4, 18): 6, (4, 19): 6, (4, 20): 4, (4, 21): 2, (4, 22): 0,
}
#: qemu-xen (the upstream-QEMU device model) ships from Xen 4.2 on (tag qemu-xen-4.2.0)
FIRST_QEMU_XEN = (4, 2)
#: qemu-xen gains PCI passthrough (hw/xen_pt*.c, eaab4d60d3 "Introduce Xen PCI Passthrough, qdevice") in
#: qemu-xen-4.3.0; qemu-xen-4.2.0 .. 4.2.5 have no xen-pt (git ls-tree of the tags in xen-project/qemu-xen)
FIRST_QEMU_XEN_PT = (4, 3)
#: libxl's default HVM device model became qemu-xen in Xen 4.3 (RELEASE-4.3.0
#: tools/libxl/libxl_linux.c libxl__default_device_model); 4.2 defaulted to qemu-traditional
FIRST_QEMU_XEN_DEFAULT = (4, 3)
#: qemu-traditional was removed from the Xen tools in 4.21 (1eb944f650 "tools: remove qemu-traditional")
LAST_QEMU_TRADITIONAL_XEN = (4, 20)
QEMU_TRADITIONAL = "qemu-traditional"
#: Xen tells an HVM guest about APIC-register / x2APIC virtualization (CPUID leaf 4,
#: XEN_HVM_CPUID_APIC_ACCESS_VIRT / _X2APIC_VIRT) from 4.5.0 on (3196856c65 "x86/hvm: indicate
#: avaliability of HW support of APIC virtualization to HVM guests"; first in RELEASE-4.5.0, git tag --contains)
FIRST_APIC_VIRT_XEN = (4, 5)
#: Xen offers the FIFO-based event channel ABI (EVTCHNOP_init_control) from 4.4.0 on (88910061ec, first in
#: RELEASE-4.4.0); RELEASE-4.3.4's do_event_channel_op has no such op and answers -ENOSYS (its default case),
#: so a guest's xen_evtchn_fifo_init fails and xen_init_IRQ falls back to the 2-level ABI (leads19)
FIRST_FIFO_XEN = (4, 4)

_KERNEL = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{1,4}))?", re.ASCII)
_XEN = re.compile(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{1,3}))?", re.ASCII)
_QEMU = re.compile(r"qemu-xen-(\d{1,2})\.(\d{1,2})(?:\.(\d{1,3}))?", re.ASCII)


class VersionError(ValueError):
    """An unknown version or an impossible combination; ``str()`` is one line with (expected ...)."""


@dataclass(frozen=True, order=True)
class Version:
    """A parsed release: ``family`` linux | xen | qemu-xen | qemu-traditional; ``parts`` (major,
    minor[, patch]); ``text`` as written."""

    family: str
    parts: tuple[int, ...]
    text: str

    @property
    def series(self) -> tuple[int, ...]:
        return self.parts[:2]

    def __str__(self) -> str:
        return self.text


def _numbers(m: re.Match[str]) -> tuple[int, ...]:
    return tuple(int(g) for g in m.groups() if g is not None)


def parse_kernel(text: str) -> Version:
    """``"5.15"`` (the mainline release) or ``"5.15.30"`` (a stable release of that series)."""
    m = _KERNEL.fullmatch(text)
    known = ", ".join(f"{major}.0..{major}.{last}" for major, last in KERNEL_SERIES.items())
    if m is None:
        raise VersionError(f"{text!r} is not a kernel release (expected a release like \"5.10\" or \"5.15.30\")")
    parts = _numbers(m)
    if KERNEL_SERIES.get(parts[0], -1) < parts[1]:
        raise VersionError(f"unknown kernel release {text!r} (expected a series from {known})")
    if len(parts) == 3 and parts[2] > MAX_STABLE_PATCH:
        raise VersionError(f"unknown kernel release {text!r} (expected a stable patch level up to {MAX_STABLE_PATCH})")
    return Version("linux", parts, text)


def _xen_parts(text: str, m: re.Match[str] | None, what: str, example: str) -> tuple[int, ...]:
    if m is None:
        raise VersionError(f"{text!r} is not a {what} (expected a release like {example})")
    parts = _numbers(m)
    last = XEN_SERIES.get((parts[0], parts[1]))
    if last is None:
        first, newest = min(XEN_SERIES), max(XEN_SERIES)
        raise VersionError(f"unknown {what} {text!r} (expected a series from "
                           f"{first[0]}.{first[1]} to {newest[0]}.{newest[1]})")
    if len(parts) == 3 and parts[2] > last:
        raise VersionError(f"unknown {what} {text!r} (expected {parts[0]}.{parts[1]}.0 to {parts[0]}.{parts[1]}.{last})")
    return parts


def parse_xen(text: str) -> Version:
    """``"4.5"`` or ``"4.5.0"``: a Xen release (``4.5`` = ``4.5.0``)."""
    return Version("xen", _xen_parts(text, _XEN.fullmatch(text), "Xen release", '"4.5" or "4.5.0"'), text)


def parse_qemu(text: str) -> Version:
    """``"qemu-xen-4.5"`` (the qemu-xen tree of that Xen release) or ``"qemu-traditional"``."""
    if text == QEMU_TRADITIONAL:
        return Version(QEMU_TRADITIONAL, (), text)
    parts = _xen_parts(text, _QEMU.fullmatch(text), "QEMU device model", '"qemu-xen-4.5" or "qemu-traditional"')
    if parts[:2] < FIRST_QEMU_XEN:
        raise VersionError(f"there is no {text} (expected qemu-xen-4.2 or newer: qemu-xen first shipped "
                           "with Xen 4.2, or qemu-traditional)")
    return Version("qemu-xen", parts, text)


#: Xen point releases whose Config.mk (QEMU_UPSTREAM_REVISION) pins an older qemu-xen point
#: release than their own number; every other RELEASE-X.Y.Z from 4.2 on pins qemu-xen-X.Y.Z
#: (read in xen-project/xen for every RELEASE-4.2.0 .. RELEASE-4.21.2 tag)
QEMU_XEN_PINNED: dict[tuple[int, int, int], int] = {
    (4, 7, 6): 5, (4, 14, 6): 5, (4, 15, 5): 4, (4, 15, 6): 4, (4, 15, 7): 4, (4, 16, 6): 5,
    (4, 16, 7): 5, (4, 17, 4): 3, (4, 17, 5): 3, (4, 17, 6): 3, (4, 17, 7): 3, (4, 18, 2): 1,
    (4, 18, 3): 1, (4, 18, 5): 4, (4, 18, 6): 4, (4, 19, 2): 1, (4, 19, 3): 1, (4, 19, 4): 1,
    (4, 19, 5): 1, (4, 19, 6): 1, (4, 20, 2): 1, (4, 20, 3): 1, (4, 20, 4): 1, (4, 21, 1): 0,
    (4, 21, 2): 0,
}


def implied_qemu(xen: Version) -> Version:
    """The device model a Xen release runs HVM guests with by default: qemu-traditional before
    4.3, else the qemu-xen release that Xen release's Config.mk pins (``QEMU_UPSTREAM_REVISION``:
    RELEASE-4.5.3 builds qemu-xen-4.5.3, which carries the stable-4.5 backports; ``"4.5"`` is
    4.5.0 and builds qemu-xen-4.5.0)."""
    if xen.series < FIRST_QEMU_XEN_DEFAULT:
        return Version(QEMU_TRADITIONAL, xen.parts, QEMU_TRADITIONAL)    # the tree of that Xen release
    major, minor = xen.series
    if len(xen.parts) < 3 or xen.parts[2] == 0:
        return Version("qemu-xen", xen.series, f"qemu-xen-{major}.{minor}")
    point = QEMU_XEN_PINNED.get((major, minor, xen.parts[2]), xen.parts[2])
    return Version("qemu-xen", (major, minor, point), f"qemu-xen-{major}.{minor}.{point}")


def check_combination(xen: Version | None, qemu: Version | None) -> None:
    """Reject a device model that cannot run with that Xen (documented in docs/scenario.md)."""
    if xen is None or qemu is None:
        return
    if qemu.family == QEMU_TRADITIONAL:
        if xen.series > LAST_QEMU_TRADITIONAL_XEN:
            raise VersionError(f"Xen {xen} has no qemu-traditional (removed in 4.21; expected qemu-xen-"
                               f"{xen.series[0]}.{xen.series[1]} or newer, or Xen 4.20 or older)")
        return
    if qemu.series < xen.series:
        raise VersionError(f"{qemu} is older than the qemu-xen-{xen.series[0]}.{xen.series[1]} that Xen {xen} "
                           "ships; a qemu-xen tree is built against its own Xen release's libraries "
                           f"(expected qemu-xen-{xen.series[0]}.{xen.series[1]} or newer, or qemu-traditional)")


# ---------------------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """The value a switch takes from ``release`` on (and in the stable releases in ``backports``).

    ``release``: the mainline release the commit first shipped in ("5.14"; Xen "4.6"; QEMU
    "qemu-xen-4.5"); ``backports``: the first release of each stable series that carries it
    ("5.15.11"); ``unconfirmed``: those of ``release`` / ``backports`` not checked in a primary
    source; ``note``: how they were checked."""

    release: str
    value: Any
    commit: str
    backports: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    note: str = ""

    @property
    def confirmed(self) -> bool:
        return not self.unconfirmed


@dataclass(frozen=True)
class Switch:
    """One behaviour switch. ``initial`` is the value before the first change in ``history``
    (``initial_note`` says what is known about it, ``initial_confirmed`` whether a source shows it);
    ``traditional`` (QEMU rows) the value in
    qemu-xen-traditional, as a Change whose release is "qemu-traditional"."""

    name: str
    layer: str
    values: tuple[Any, ...]
    default: Any
    doc: str
    initial: Any = None
    initial_note: str = ""
    initial_confirmed: bool = True
    history: tuple[Change, ...] = ()
    hypothetical: tuple[Any, ...] = ()
    traditional: Change | None = None
    #: the platform kinds the switch means something on (the others show and account it as moot)
    kinds: tuple[str, ...] = ("bare-metal", "xen-hvm", "xen-pv")
    #: the world carries the switch only on ``kinds`` (``Table.plain(kind)``). Rows added after model
    #: revision 1 set it, so that a row for one platform leaves the others' worlds -- and the
    #: snapshots recorded with them -- as they were; older rows stay in every world (their snapshots
    #: carry them).
    scoped: bool = False
    #: (first, end): a value other than ``initial`` exists only in releases of the row's layer (kernel, xen)
    #: first <= v < end (an option a release range had; end "" = no end: code that first appeared in
    #: ``first``); written explicitly with a ``kernel.version`` / ``platform.xen`` outside it, it is an error
    window: tuple[str, str] | None = None
    #: the row exists only in worlds with this interrupt remapping unit (``platform.iommu``): like ``scoped``,
    #: other worlds -- and their state hashes, snapshots and summaries -- are as if it were not there
    iommu: str | None = None
    #: QEMU rows: how qemu-traditional changed, by the Xen release whose tree (xen-X.Y.Z tags of
    #: qemu-xen-traditional) carries it; ``traditional_initial`` before the first. Used when the scenario
    #: names the Xen release; ``traditional`` (the last tree's value) otherwise
    traditional_history: tuple[Change, ...] = ()
    traditional_initial: Any = None
    #: QEMU rows: a qemu-xen feature that needs the libraries of a Xen release -- (that first Xen release,
    #: the value of a qemu-xen tree built against an older Xen, the source): a qemu-xen tree is built
    #: against the libraries of the Xen it runs with (configure's xen_ctrl_version), so with a
    #: ``platform.xen`` before that release its preset takes the older value (redteam18)
    xen_build: tuple[str, Any, str] | None = None
    #: the world carries the switch only when its value is not ``default`` (kernel34: a configuration row added
    #: after revision 18; at its default every world, state hash and snapshot is as it was without the row, and
    #: ``sw.CURRENT`` answers for it)
    sparse: bool = False

    @property
    def key(self) -> str:
        """The YAML key: ``kernel.<name>`` or ``platform.<name>``."""
        return f"{SECTION[self.layer]}.{self.name}"

    def before(self) -> Any:
        return self.default if not self.history else self.initial


def _family(layer: str) -> str:
    return {"kernel": "linux", "xen": "xen", "qemu": "qemu-xen"}.get(layer, layer)


def _release(change: Change, layer: str) -> tuple[int, ...]:
    if layer == "kernel":
        return parse_kernel(change.release).parts
    if layer == "qemu":
        return parse_qemu(change.release).parts
    return parse_xen(change.release).parts


def _pad(parts: tuple[int, ...]) -> tuple[int, ...]:
    return parts + (0,) * (3 - len(parts))


def contains(version: Version, change: Change, layer: str) -> bool:
    """True when ``version`` carries ``change``: any later series than the mainline release, or a
    stable release at or after the change's backport into that series (``"5.15"`` = 5.15.0)."""
    v = _pad(version.parts)
    if v >= _pad(_release(change, layer)):
        return True
    for text in change.backports:
        b = _pad(parse_kernel(text).parts if layer == "kernel" else parse_xen(text).parts
                 if layer == "xen" else parse_qemu(text).parts)
        if v[:2] == b[:2] and v >= b:
            return True
    return False


def at(row: Switch, version: Version) -> tuple[Any, Change | None]:
    """The row's value in ``version`` and the change behind it (None: the initial value)."""
    if version.family == QEMU_TRADITIONAL:
        if row.traditional is None:
            raise VersionError(f"{row.key} has no qemu-traditional value in the behaviour table")
        if version.parts and row.traditional_history:
            xen = Version("xen", version.parts, version.text)
            found = Change(QEMU_TRADITIONAL, row.traditional_initial, f"before {row.traditional_history[0].commit}")
            for change in row.traditional_history:
                if contains(xen, change, "xen"):
                    found = change
            return found.value, found
        return row.traditional.value, row.traditional
    value, why = row.before(), None
    for change in row.history:
        if contains(version, change, row.layer):
            value, why = change.value, change
    return value, why


# ---------------------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """One switch of a resolved table: its value, where it came from, the commit behind it."""

    name: str
    layer: str
    value: Any
    origin: str
    commit: str
    confirmed: bool = True
    #: set when the value rests on a release reading not confirmed for this very version (the
    #: version is in the series of a Change's unconfirmed release or backport): what is uncertain
    unconfirmed: str = ""

    def shown(self) -> dict[str, Any]:
        """The ``--json`` summary's form: ``{value, from, commit}``, plus ``unconfirmed`` (extension)
        when the preset's value for this version rests on an unconfirmed release."""
        out = {"value": self.value, "from": self.origin, "commit": self.commit}
        if self.unconfirmed:
            out["unconfirmed"] = self.unconfirmed
        return out


@dataclass(frozen=True)
class Table:
    """A resolved behaviour table; ``rows`` in table order (layer, then name)."""

    rows: tuple[Resolved, ...]
    versions: tuple[tuple[str, str], ...] = ()

    def plain(self, kind: str | None = None, iommu: str | None = None) -> dict[str, Any]:
        """``{switch: value}``: what the world carries as ``w["behaviour"]``; with ``kind``, without the
        ``scoped`` switches that mean nothing on that platform, nor the rows of another ``iommu``."""
        if kind is None:
            return {r.name: r.value for r in self.rows}
        table = by_name()
        return {r.name: r.value for r in self.rows
                if not (table[r.name].scoped and kind not in table[r.name].kinds)
                and table[r.name].iommu in (None, iommu)
                and not (table[r.name].sparse and r.value == table[r.name].default)}

    def shown(self, kind: str | None = None, iommu: str | None = None) -> dict[str, dict[str, Any]]:
        """``{switch: {value, from, commit}}``; with ``kind``, only the switches that mean something there."""
        return {r.name: r.shown() for r in self.relevant(kind, iommu)}

    def relevant(self, kind: str | None = None, iommu: str | None = None) -> tuple[Resolved, ...]:
        if kind is None:
            return self.rows
        names = {row.name for row in rows() if kind in row.kinds and row.iommu in (None, iommu)}
        return tuple(r for r in self.rows if r.name in names)


def rows() -> tuple[Switch, ...]:
    """Every row, in table order (kernel, xen, qemu, platform; by name within a layer)."""
    from msidbg.behaviour import kernel, qemu, xen

    table = (*kernel.ROWS, *xen.ROWS, *qemu.ROWS)
    return tuple(sorted(table, key=lambda r: (LAYERS.index(r.layer), r.name)))


def by_name() -> dict[str, Switch]:
    return {r.name: r for r in rows()}


def _commit_of(row: Switch, value: Any) -> tuple[str, bool]:
    """The commit behind an explicitly chosen value: the latest change to it, or before the first."""
    if value in row.hypothetical:
        return "hypothetical: found in no upstream source", False
    for change in reversed(row.history):
        if change.value == value:
            return change.commit, change.confirmed
    if row.history and value == row.initial:
        return f"before {row.history[0].commit}", True
    return "", True


def uncertain(row: Switch, version: Version) -> str:
    """What is unconfirmed about ``row``'s value in ``version`` ("" when nothing): ``version`` lies in
    the series of a change's unconfirmed release or backport, at or after it, so whether that
    release carries the change -- hence the preset's value -- is a reading no source confirmed.
    Other versions are certain either way: an earlier series never has the commit, a later one
    always does (e.g. a commit that reached 4.15 or 4.16 is certain from 4.16 on)."""
    if version.family == QEMU_TRADITIONAL:
        return ""
    parse = {"kernel": parse_kernel, "xen": parse_xen, "qemu": parse_qemu}[row.layer]
    v = _pad(version.parts)
    for change in row.history:
        for text in change.unconfirmed:
            u = _pad(parse(text).parts)
            if v[:2] == u[:2] and v >= u:
                first = change.commit.split(" ")[0]
                label = first if len(first) >= 7 and all(c in "0123456789abcdef" for c in first) else \
                    f"'{change.commit.split(' (')[0]}'"
                value = str(change.value).lower() if isinstance(change.value, bool) else change.value
                return (f"whether {row.layer} {version} carries {label} is unconfirmed (the preset assumes it does: "
                        f"{row.key} = {value}); set {row.key} explicitly to choose")
    return ""


def _by_version(row: Switch, version: Version, origin: str) -> Resolved:
    value, change = at(row, version)
    doubt = uncertain(row, version)
    if change is None:
        first = row.history[0].commit if row.history else ""
        return Resolved(row.name, row.layer, value, origin, f"before {first}" if first else "",
                        row.initial_confirmed and not doubt, doubt)
    return Resolved(row.name, row.layer, value, origin, change.commit, not doubt, doubt)


def _default(row: Switch) -> Resolved:
    commit = row.history[-1].commit if row.history else ""
    confirmed = row.history[-1].confirmed if row.history else True
    return Resolved(row.name, row.layer, row.default, "default", commit, confirmed)


def _xen_build(row: Switch, got: Resolved, versions: Mapping[str, tuple[Version, str]]) -> Resolved:
    """A qemu-xen preset built against the named Xen release: a feature whose Xen interface that release
    lacks is compiled as its stub (``Switch.xen_build``)."""
    if row.xen_build is None or "xen" not in versions or versions["qemu"][0].family != "qemu-xen":
        return got
    first, value, source = row.xen_build
    xen = versions["xen"][0]
    if _pad(xen.parts) >= _pad(parse_xen(first).parts) or got.value == value:
        return got
    return Resolved(row.name, row.layer, value, f"{got.origin}, built against xen {xen} (before {first})", source)


def resolve(kind: str = "bare-metal", kernel: str | None = None, xen: str | None = None,
            qemu: str | None = None, explicit: Mapping[str, Any] | None = None) -> Table:
    """Explicit switch > version preset > current-upstream default, for every row.

    On ``xen-hvm`` the QEMU rows follow ``qemu``, else the device model ``xen`` implies; on
    ``xen-pv`` (pciback, no device model) and bare metal they keep the default. Raises
    VersionError for an unknown version or an impossible combination."""
    explicit = explicit or {}
    versions: dict[str, tuple[Version, str]] = {}
    if kernel is not None:
        versions["kernel"] = (parse_kernel(kernel), f"kernel {kernel}")
    if xen is not None and kind.startswith("xen-"):
        versions["xen"] = (parse_xen(xen), f"xen {xen}")
    q = parse_qemu(qemu) if qemu is not None else None
    check_combination(versions["xen"][0] if "xen" in versions else None, q)
    if kind == "xen-hvm":
        if q is not None and q.family == QEMU_TRADITIONAL and "xen" in versions:
            # qemu-traditional ships in the Xen tree: the xen-X.Y.Z tag of that release
            versions["qemu"] = (Version(QEMU_TRADITIONAL, versions["xen"][0].parts, q.text), str(q))
        elif q is not None:
            versions["qemu"] = (q, str(q))
        elif "xen" in versions:
            implied = implied_qemu(versions["xen"][0])
            versions["qemu"] = (implied, f"{implied} (xen {xen})")
    out = []
    for row in rows():
        if row.name in explicit:
            check_window(row, explicit[row.name], versions[row.layer][0] if row.layer in versions else None)
            commit, confirmed = _commit_of(row, explicit[row.name])
            out.append(Resolved(row.name, row.layer, explicit[row.name], "explicit", commit, confirmed))
        elif row.layer in versions:
            version, origin = versions[row.layer]
            out.append(_xen_build(row, _by_version(row, version, origin), versions))
        else:
            out.append(_default(row))
    shown = tuple((layer, str(v)) for layer, (v, _) in sorted(versions.items(), key=lambda kv: LAYERS.index(kv[0])))
    return Table(tuple(out), shown)


def check_window(row: Switch, value: Any, version: Version | None) -> None:
    """VersionError for an explicit value that only a range of releases had, with a release of the row's
    layer (kernel.version, platform.xen) outside that range (``Switch.window``)."""
    if row.window is None or version is None or value == row.initial:
        return
    parse = parse_xen if row.layer == "xen" else parse_kernel
    first = parse(row.window[0]).parts
    end = parse(row.window[1]).parts if row.window[1] else None
    if not (_pad(first) <= _pad(version.parts) and (end is None or _pad(version.parts) < _pad(end))):
        def yaml(v: Any) -> str:
            return str(v).lower() if isinstance(v, bool) else repr(v)

        name, key = ("xen", "platform.xen") if row.layer == "xen" else ("kernel", "kernel.version")
        upto = f" up to, not including, {row.window[1]}" if row.window[1] else " on"
        raise VersionError(f"{yaml(value)} does not exist in {name} {version} (expected a {key} from "
                           f"{row.window[0]}{upto}, or {yaml(row.initial)})")


def presets() -> list[tuple[str, Version]]:
    """Every release a preset can name, per layer (the mainline series, the Xen releases, the
    qemu-xen trees and qemu-traditional, and each history entry's releases and backports)."""
    out: list[tuple[str, Version]] = []
    for major, last in KERNEL_SERIES.items():
        out += [("kernel", parse_kernel(f"{major}.{minor}")) for minor in range(last + 1)]
    for (major, minor) in XEN_SERIES:
        out.append(("xen", parse_xen(f"{major}.{minor}")))
        if (major, minor) >= FIRST_QEMU_XEN:
            out.append(("qemu", parse_qemu(f"qemu-xen-{major}.{minor}")))
    out.append(("qemu", parse_qemu(QEMU_TRADITIONAL)))
    parse = {"kernel": parse_kernel, "xen": parse_xen, "qemu": parse_qemu}
    for row in rows():
        for change in row.history:
            out += [(row.layer, parse[row.layer](r)) for r in (change.release, *change.backports)]
    return out


__all__ = [
    "LAYERS", "Change", "Resolved", "Switch", "Table", "Version", "VersionError", "at", "by_name",
    "check_combination", "check_window", "contains", "implied_qemu", "parse_kernel", "parse_qemu",
    "parse_xen", "presets", "resolve", "rows", "uncertain",
]
