"""``msidbg serve FILE``: the TUI in a web browser, through textual-serve.

The server validates FILE first (a scenario loads, a snapshot or a mail holding one opens and
verifies, a progress line on a terminal's stderr while it replays), so bad input is a one-line
error rather than a broken page. Each browser tab then starts its own
``python -m msidbg.bugio.served FILE`` (the TUI, on textual's web driver); a snapshot's tab shows
the TUI's opening screen at once and replays in the background with a progress bar, as
``msidbg open`` does (it replayed the whole snapshot before the page showed anything).
``--no-verify`` (a snapshot only) is ``open --no-verify``'s: the server checks the file's structure
and state hash without replaying it, and each tab (``served --no-verify FILE``) opens it as
``open --no-verify`` does (``make_app(verify=False)``: the stored world at once, the history
replayed when first needed, the TUI saying when that replay diverges).
It listens on 127.0.0.1 by default: a debugger session runs code paths of your choosing, so
serving it beyond this machine is an explicit ``--host``.
"""

from __future__ import annotations

import os
import shlex
import sys
from typing import Any

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000


def check_source(path: str, verify: bool = True) -> str:
    """Open ``path`` once as the browser's TUI will; returns the scenario's name."""
    from msidbg.bugio.report import is_snapshot_source
    from msidbg.debugger import Session
    from msidbg.scenario import load_scenario

    if is_snapshot_source(path):
        from msidbg.debugger import progress

        with progress.for_cli():        # the verifying replay of a long snapshot: say how far
            return Session.open(path, verify=verify).scenario.name
    if not verify:
        from msidbg.debugger.whyrun import no_verify_of_scenario

        raise no_verify_of_scenario(path)
    return load_scenario(path).name


def command(path: str, verify: bool = True) -> str:
    """The shell command textual-serve runs for each browser session."""
    return shlex.join([sys.executable, "-m", "msidbg.bugio.served", *([] if verify else ["--no-verify"]),
                       os.path.abspath(path)])


def check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` once and let it go: an unknown host or a port in use is a one-line
    error (exit 2) before the server prints its banner; it was an 'internal error' (exit 3)."""
    import socket

    from msidbg.errors import MsidbgError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as e:
        raise MsidbgError(f"{host!r} is not an address of this machine: {getattr(e, 'strerror', None) or e} "
                          "(expected e.g. 127.0.0.1, ::1, 0.0.0.0 or a host name)", option="--host", command="serve") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # as the server's own listener
        try:
            sock.bind(addr)
        except OSError as e:
            import errno

            if e.errno == errno.EADDRNOTAVAIL:
                raise MsidbgError(f"cannot listen on {host!r}: {e.strerror} (expected an address "
                                  "of this machine, e.g. 127.0.0.1 or 0.0.0.0)", option="--host", command="serve") from None
            raise MsidbgError(f"cannot listen on {host}:{port}: {e.strerror or e} (expected a "
                              "free port)", option="--port", command="serve") from None


def serve(path: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, verify: bool = True) -> None:
    from textual_serve.server import Server

    name = check_source(path, verify)
    check_listen(host, port)
    Server(command(path, verify), host=host, port=port, title=f"msidbg: {name}").serve()


#: panes whose place on the screen ``LAYOUT_ENV`` reports (ids in ``msidbg.tui.app``)
PANES = ("vectors", "apic", "pirqs", "events", "stacks", "breakpoints", "status")
#: if set, the served TUI keeps writing its size and pane regions (cells) to this JSON file:
#: how a test checks a browser screenshot against the layout
LAYOUT_ENV = "MSIDBG_SERVE_LAYOUT"


def run_app(path: str, verify: bool = True) -> Any:
    """What the served process runs: the TUI on ``path`` (a mail is opened as a snapshot);
    ``verify`` False: a snapshot opened as ``open --no-verify`` opens it. A snapshot is opened
    by the App, as ``msidbg open`` does: its opening screen (a progress bar, escape cancels) is
    the first page the browser shows, the replay that verifies it runs in the background. The
    tab replayed it all (``Session.open``) before the App started: a blank page meanwhile."""
    from msidbg.bugio.report import is_snapshot_source
    from msidbg.tui.app import make_app

    if not verify or is_snapshot_source(path):
        app = make_app(path, verify=verify, snapshot=True)
    else:
        app = make_app(path)
    out = os.environ.get(LAYOUT_ENV)
    result = app.run(auto_pilot=_layout_writer(out) if out else None)
    if app.error is not None:
        raise app.error     # a snapshot the App opened itself (--no-verify) and could not: one line, as open
    return result


def _layout_writer(out: str) -> Any:
    import asyncio
    import json

    from msidbg.files import write_atomic

    async def pilot(p: Any) -> None:
        while True:
            app = p.app
            panes = {}
            for pane in PANES:
                found = app.query(f"#{pane}")
                if not found:       # a snapshot's opening screen: no panes yet
                    break
                r = found.first().region
                panes[pane] = [r.x, r.y, r.width, r.height]
            else:
                doc = {"size": [app.size.width, app.size.height], "panes": panes}
                write_atomic(out, json.dumps(doc).encode())
            await asyncio.sleep(0.3)

    return pilot
