"""A snapshot as armoured text in a mail body, and back, surviving what mail does to text.

Armour (``docs/bugio.md``)::

    -----BEGIN MSIDBG SNAPSHOT-----
    <base64 (RFC 4648, no padding) of zlib(snapshot file), 64 characters a line>
    ~ sha256:<first 32 hex digits of sha256(snapshot file)> bytes:<its length>
    -----END MSIDBG SNAPSHOT-----

Quoting (``> ``, once or more), re-wrapping (lines broken at any point, or joined with a space),
trailing blanks, CRLF, format=flowed space-stuffing all only add or remove whitespace and ``>``,
which are not in the payload's alphabet: decoding drops them between the markers and parses what
is left. No ``=`` anywhere, so a quoted-printable body cannot mistake the payload for escapes;
mails and mbox files are MIME-decoded first (``email``). Decoding is bounded: the text between
the markers, the decompressed size (the ``bytes:`` it claims, at most ``limit``) and the number
of blocks looked at. This module imports nothing from msidbg (the snapshot reader uses it).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.policy
import hashlib
import re
import zlib
from email.message import Message

BEGIN, END = "-----BEGIN MSIDBG SNAPSHOT-----", "-----END MSIDBG SNAPSHOT-----"
WIDTH = 64
MAX_BLOCK_CHARS = 96 << 20
MAX_BLOCKS = 16
MAX_PARTS = 256
#: multipart containers in a mail or an mbox, counted before it is parsed
MAX_MULTIPARTS = 4 * MAX_PARTS
_MULTIPART = re.compile(rb"(?im)^content-type:[ \t]*multipart/")
_SEP = r"[\s>]+"
_GAP = r"[\s>]*"
_BEGIN = re.compile(rf"-----{_GAP}BEGIN{_SEP}MSIDBG{_SEP}SNAPSHOT{_GAP}-----")
_END = re.compile(rf"-----{_GAP}END{_SEP}MSIDBG{_SEP}SNAPSHOT{_GAP}-----")
_NOISE = re.compile(r"[\s>]+")
_BODY = re.compile(r"(?P<b64>[A-Za-z0-9+/]*)~sha256:(?P<sha>[0-9a-f]{32})bytes:(?P<n>\d{1,20})")
#: how a mail or an mbox file starts (a header a mail client writes first), not a YAML "key: "
_HEADER = re.compile(rb"^(From |(?:Return-Path|Received|Delivered-To|From|To|Cc|Subject|Date|Message-ID|"
                     rb"MIME-Version|Reply-To|In-Reply-To|References|Content-Type|X-[A-Za-z0-9-]+): )", re.IGNORECASE)


class ArmourError(ValueError):
    """A block is damaged, too large or ambiguous; ``str()`` is one line for the user."""


def armour(snapshot: bytes) -> str:
    """The armoured block for a snapshot file's bytes (lines of at most 64 characters)."""
    b64 = base64.b64encode(zlib.compress(snapshot, 9)).decode("ascii").rstrip("=")
    lines = [b64[i:i + WIDTH] for i in range(0, len(b64), WIDTH)]
    digest = hashlib.sha256(snapshot).hexdigest()[:32]
    return "\n".join([BEGIN, *lines, f"~ sha256:{digest} bytes:{len(snapshot)}", END]) + "\n"


def is_snapshot_source(path: str) -> bool:
    """A snapshot by name or first byte (as the TUI decides), or a text file or mail holding one."""
    from msidbg.files import FileProblem, read_head, sniff

    if path.endswith((".msgpack", ".msidbg")):
        return True
    try:
        head = read_head(path, 1 << 20)  # a FIFO or a device: refused, never read (it could block)
    except FileProblem:
        return False
    if sniff(head[:256]) == "snapshot" or has_block(head):
        return True
    # a mail or an mbox whose block starts after its first MiB: a scenario is at most 1 MiB
    # (scenario.MAX_FILE_BYTES), so a larger file that is not named as one can only carry a
    # snapshot -- replay and open read such an mbox, where why, report, diff and export called it
    # a scenario "too large" (hardening26)
    if len(head) == 1 << 20 and not path.endswith((".yaml", ".yml")):
        return True
    return False


def has_block(data: bytes) -> bool:
    """Does ``data`` (a file's start or all of it) look like text holding an armoured block, or like
    a mail or an mbox (whose MIME-encoded parts may hold one)?"""
    if _HEADER.match(data):
        return True
    return b"BEGIN" in data and re.search(rb"BEGIN[\s>]+MSIDBG[\s>]+SNAPSHOT", data) is not None


def extract(data: bytes, limit: int) -> bytes:
    """The one snapshot armoured in ``data`` (a mail, an mbox, or plain text).

    Identical blocks (a reply quoting the original) count once; different ones are ambiguous.
    Raises ArmourError.
    """
    found: list[bytes] = []
    problems: list[str] = []
    blocks = 0
    cut = False      # a BEGIN line with no END line after it: a mail or a paste cut short
    for text in _texts(data):
        found_bodies = bodies(text)
        cut = cut or _cut_short(text, found_bodies)
        for body in found_bodies:
            blocks += 1
            if blocks > MAX_BLOCKS:
                raise ArmourError(f"more than {MAX_BLOCKS} snapshot blocks (expected one; save the message you mean)")
            try:
                snap = decode_block(body, limit)
            except ArmourError as e:
                problems.append(str(e))
                continue
            if snap not in found:
                found.append(snap)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ArmourError(f"{len(found)} different snapshot blocks (expected one; save the message you mean)")
    if problems:
        raise ArmourError(problems[0])
    if cut:
        raise ArmourError(f"no {BEGIN} ... {END} block: the BEGIN line has no END line after it (expected the "
                          "whole block; the mail or the copy was cut short)")
    raise ArmourError(f"no {BEGIN} ... {END} block (expected a msidbg snapshot or a mail holding one)")


def _cut_short(text: str, found: list[str]) -> bool:
    """Does ``text`` have a BEGIN marker after its last complete block?"""
    start = max((m.end() for m in _END.finditer(text)), default=0) if found else 0
    return _BEGIN.search(text, start) is not None


def bodies(text: str) -> list[str]:
    """The text between each END marker and the last BEGIN marker before it (after the previous
    END), in order. A BEGIN with another BEGIN after it before any END opens no block: a report
    whose scenario ``about`` (or a bookmark's note) quoted the BEGIN line paired that line with the
    block's END, and the real block, inside that span, was never read ('damaged'); so did a block
    cut short before a whole one. In linear time: the markers are found once each (a lazy
    ``BEGIN(.*?)END`` search scans to the end of the text from every BEGIN without an END: a
    megabyte of BEGIN lines took minutes)."""
    begins = [(m.start(), m.end()) for m in _BEGIN.finditer(text)]
    out: list[str] = []
    pos, i = 0, 0
    for e in _END.finditer(text):
        last = None
        while i < len(begins) and begins[i][1] <= e.start():
            if begins[i][0] >= pos:
                last = begins[i]
            i += 1
        if last is None:
            continue
        out.append(text[last[1]:e.start()])
        pos = e.end()
        if len(out) > MAX_BLOCKS:
            break   # the caller refuses that many
    return out


def decode_block(body: str, limit: int) -> bytes:
    """The snapshot file in one block's text (between the markers)."""
    if len(body) > MAX_BLOCK_CHARS:
        raise ArmourError(f"the snapshot block is larger than {MAX_BLOCK_CHARS} characters (expected at most "
                          f"{MAX_BLOCK_CHARS})")
    m = _BODY.fullmatch(_NOISE.sub("", body))
    if m is None:
        # (every damage says what was expected, in the contract's form: hardening32's fuzzer found
        # these four lines without it)
        raise ArmourError("the snapshot block is damaged: it is not base64 lines and a checksum line (expected "
                          "base64 lines, then '~ sha256:<32 hex> bytes:<n>'; was it edited, or wrapped with hyphens "
                          "added?)")
    n = int(m.group("n"))
    if n > limit:
        raise ArmourError(f"the snapshot block claims {n} bytes (expected at most {limit})")
    b64 = m.group("b64")
    try:
        packed = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ArmourError("the snapshot block is damaged: its base64 does not decode (expected the block as report --inline wrote it: a "
                          "character may have been changed)") from None
    snap = _inflate(packed, n)
    if len(snap) != n or hashlib.sha256(snap).hexdigest()[:32] != m.group("sha"):
        raise ArmourError(f"the snapshot block is damaged: checksum mismatch (expected {n} bytes with sha256 "
                          f"{m.group('sha')}...; the mail client may have changed it)")
    return snap


def _inflate(packed: bytes, n: int) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(packed, n + 1)
    except zlib.error:
        raise ArmourError("the snapshot block is damaged: not zlib data (expected the block as report --inline wrote it: a line may be "
                          "missing)") from None
    if len(out) > n or not d.eof:
        raise ArmourError(f"the snapshot block is damaged: its data is not {n} bytes long (expected the {n} bytes "
                          "its checksum line claims: a line may be missing or repeated)")
    return out


def _texts(data: bytes) -> list[str]:
    """The text to search: the MIME-decoded text parts of each message, then the raw text."""
    texts: list[str] = []
    if _HEADER.match(data):
        if len(_MULTIPART.findall(data)) > MAX_MULTIPARTS:  # before the email package parses them all
            raise ArmourError(f"the mail has more than {MAX_MULTIPARTS} multipart MIME parts (expected a mail or "
                              "an mbox as mail clients write them)")
        try:
            for msg in _messages(data):
                texts += _parts(msg)
        except RecursionError:  # the email package recurses once per nested MIME part
            raise ArmourError("the mail nests its MIME parts too deeply (expected a mail as a mail client "
                              "writes it)") from None
    texts.append(data.decode("utf-8", errors="replace"))
    return texts


def _messages(data: bytes) -> list[Message]:
    if not data.startswith(b"From "):
        return [email.message_from_bytes(data, policy=email.policy.compat32)]
    chunks = re.split(rb"(?m)^From (?=\S+ )", data)
    return [email.message_from_bytes(c.split(b"\n", 1)[1] if b"\n" in c else b"", policy=email.policy.compat32)
            for c in chunks if c.strip()][:MAX_PARTS]


def _parts(msg: Message) -> list[str]:
    out: list[str] = []
    for i, part in enumerate(msg.walk()):
        if i >= MAX_PARTS:
            break
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            out.append(_decode(payload, part.get_content_charset() or "utf-8"))
    return out


#: Python codecs that are no charset of a mail's text: domain-name encodings. CPython decodes
#: punycode in quadratic time -- a 1 MB text part declared ``charset=punycode`` held ``replay``
#: for minutes -- and idna decodes through it. A part declaring one is read as UTF-8.
_NOT_MAIL_CHARSETS = frozenset({"punycode", "idna"})


def _decode(payload: bytes, charset: str) -> str:
    """A text part in its declared charset; an unknown one (the mail's word, not Python's) as UTF-8."""
    try:
        if codecs.lookup(charset).name in _NOT_MAIL_CHARSETS:
            raise LookupError(charset)
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")
