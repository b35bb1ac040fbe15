"""sha256 for the command's start-up: small inputs hashed without loading OpenSSL.

``hashlib`` loads OpenSSL's ``_hashlib`` when it is imported (~2 ms, a fiftieth of a short headless
run) to hash three small things: the scenario's text, a checkpoint's fingerprint and the state
hash. CPython's built-in sha256 (``_sha256``; ``_sha2`` from 3.12) gives the same digest and loads
nothing, but is ~6x slower per byte, so it takes inputs below ``SMALL`` only; larger ones (a big
world's checkpoint) go to ``hashlib``, imported then.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import _Hash

#: inputs below this many bytes are hashed by the built-in sha256
SMALL = 1 << 16

try:
    from _sha256 import sha256 as _builtin  # type: ignore[import-not-found,unused-ignore]
except ImportError:   # pragma: no cover - Python 3.12+, or a build without it
    try:
        from _sha2 import sha256 as _builtin  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        _builtin = None


def sha256(data: bytes) -> _Hash:
    """``hashlib.sha256(data)``."""
    if _builtin is not None and len(data) < SMALL:
        return _builtin(data)  # type: ignore[no-any-return,unused-ignore]
    import hashlib

    return hashlib.sha256(data)
