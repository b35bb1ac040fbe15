"""What mail clients do to a plain-text body: quote a reply, re-wrap at 72 columns, encode.

Used to check that an inline snapshot survives the trip through a mailing list.
"""

from __future__ import annotations

import re
import textwrap
from email.message import EmailMessage
from email.policy import SMTP

WIDTH = 72


def quote(body: str, who: str = "Reporter") -> str:
    """A reply quoting ``body`` once with "> " (a blank quoted line as ">")."""
    lines = [f"On Mon, 30 Nov 2026, {who} wrote:"]
    lines += [("> " + ln) if ln.strip() else ">" for ln in body.splitlines()]
    return "\n".join(lines) + "\n\nThanks, looking.\n"


def rewrap(body: str, width: int = WIDTH) -> str:
    """Thunderbird-style re-wrap: each paragraph of lines with the same quote prefix is re-filled
    (short lines joined, long lines broken at spaces, words longer than the width broken too)."""
    out: list[str] = []
    para: list[str] = []
    prefix = ""

    def flush() -> None:
        if para:
            out.extend(textwrap.wrap(" ".join(para), width, initial_indent=prefix, subsequent_indent=prefix,
                                     break_long_words=True))
            para.clear()

    for ln in body.splitlines():
        m = re.match(r"((?:> ?)*)(.*)", ln)
        assert m is not None
        pfx, text = m.group(1), m.group(2)
        pfx = pfx.rstrip() + " " if pfx else ""
        if not text.strip():
            flush()
            out.append(pfx.rstrip())
            prefix = pfx
            continue
        if pfx != prefix:
            flush()
            prefix = pfx
        para.append(text.strip())
    flush()
    return "\n".join(out) + "\n"


def hardwrap(body: str, width: int = WIDTH) -> str:
    """A client that cuts every line at the width, mid-word, continuing on the next line."""
    out = []
    for ln in body.splitlines():
        while len(ln) > width:
            out.append(ln[:width])
            ln = ln[width:]
        out.append(ln)
    return "\n".join(out) + "\n"


def mail(body: str, subject: str = "[BUG] lost MSI-X interrupts", cte: str | None = None) -> bytes:
    """An RFC 5322 message with ``body`` as its text/plain part (``cte``: force an encoding)."""
    msg = EmailMessage()
    msg["From"] = "Reporter <reporter@example.org>"
    msg["To"] = "linux-pci@vger.kernel.org"
    msg["Subject"] = subject
    msg.set_content(body, cte=cte) if cte else msg.set_content(body)
    return msg.as_bytes(policy=SMTP)


def mbox(*messages: bytes) -> bytes:
    """An mbox holding ``messages`` (mboxo: body lines starting with "From " are escaped)."""
    out = b""
    for m in messages:
        body = re.sub(rb"(?m)^From ", b">From ", m.replace(b"\r\n", b"\n"))
        out += b"From reporter@example.org Mon Nov 30 12:00:00 2026\n" + body + b"\n"
    return out
