"""`msidbg serve`: the TUI in a browser. Headless Chromium loads the served page; its screenshot
must show each pane's border where the served app laid the pane out.

Needs Debian's ``chromium`` (``.ci/run`` installs it); skipped when it is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from msidbg.bugio.serve import LAYOUT_ENV, PANES
from tests.bugio.browser import Page, chromium, decode_png
from tests.bugio.helpers import ROOT, cli

SNAPSHOT = ROOT / "snapshots" / "xen-hvm-msix-mask-late.msgpack"
needs_chromium = pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the server and the TUI processes it started (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            os.killpg(proc.pid, signal.SIGKILL)  # the served TUI may outlive the server
        except (subprocess.TimeoutExpired, ProcessLookupError):
            continue
        return


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, "msidbg serve exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("msidbg serve did not listen")


async def load(port: int, layout: Path) -> tuple[bytes, dict[str, Any], dict[str, Any]]:
    async with Page(1400, 900) as page:
        await page.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
        doc: dict[str, Any] = {}
        for _ in range(300):
            ready = await page.js("document.body !== null && document.body.classList.contains('-first-byte')")
            if ready and layout.exists():
                doc = json.loads(layout.read_text())
                if doc["size"][0] > 80:  # the browser's resize has reached the app
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # let the last frame paint
        doc = json.loads(layout.read_text())
        rect = json.loads(await page.js("JSON.stringify(document.querySelector('.xterm-screen').getBoundingClientRect())"))
        return await page.screenshot(), doc, rect


@needs_chromium
def test_served_tui_shows_the_panes_in_chromium(tmp_path: Path) -> None:
    port = free_port()
    layout = tmp_path / "layout.json"
    env = {**os.environ, LAYOUT_ENV: str(layout)}
    srv = subprocess.Popen([sys.executable, "-m", "msidbg.cli", "serve", str(SNAPSHOT), "--port", str(port)],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                           start_new_session=True)
    try:
        wait_listening(port, srv)
        png, doc, rect = asyncio.run(asyncio.wait_for(load(port, layout), 120))
    finally:
        stop_group(srv)
    (tmp_path / "served.png").write_bytes(png)
    width, height, rows = decode_png(png)
    cols, lines = doc["size"]
    cw, ch = rect["width"] / cols, rect["height"] / lines
    assert cols >= 100 and lines >= 30 and abs(cw - round(cw, 1)) < 0.5

    def px(x: float, y: float) -> tuple[int, int, int]:
        i = int(x) * 3
        r = rows[int(y)]
        return r[i], r[i + 1], r[i + 2]

    bg = Counter(px(x, y) for y in range(0, height, 7) for x in range(0, int(rect["width"]), 7)).most_common(1)[0][0]

    def ink(x: float, y: float) -> bool:
        return max(abs(a - b) for a, b in zip(px(x, y), bg, strict=True)) > 40

    def column(cx: int, y0: int, y1: int) -> float:
        """How much of the cell column cx (its centre pixel line), rows y0..y1, is drawn."""
        x = rect["left"] + (cx + 0.5) * cw
        ys = [rect["top"] + (row + part) * ch for row in range(y0, y1 + 1) for part in (0.25, 0.75)]
        return sum(ink(x, y) for y in ys) / len(ys)

    for pane in PANES:
        x, y, w, h = doc["panes"][pane]
        assert w > 4 and h >= 1, pane
        if pane == "status":
            inside = [ink(rect["left"] + (x + i + 0.5) * cw, rect["top"] + (y + 0.5) * ch) for i in range(w)]
            assert sum(inside) > 10, "the status line shows text"
            continue
        left, right = column(x, y + 1, y + h - 2), column(x + w - 1, y + 1, y + h - 2)
        middle = column(x + w // 2, y + 1, y + h - 2)
        assert left > 0.9 and right > 0.9, f"{pane}: borders drawn {left:.2f} {right:.2f}"
        assert middle < 0.9, f"{pane}: its middle is not a border"


def test_serve_refuses_bad_input_before_serving(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\n")
    code, out, err = cli("serve", str(bad), "--port", str(free_port()))
    assert code == 2 and err.count("\n") == 1 and "bad.yaml:1: name:" in err
    code, _, err = cli("serve", str(SNAPSHOT), "--port", "70000")
    assert code == 2 and "--port: 70000 is out of range (expected a TCP port in 1..65535)" in err
