"""sha256 for the command's start-up: small inputs hashed without loading OpenSSL.

``hashlib`` loads OpenSSL's ``_hashlib`` when it is imported (~2 ms, a fiftieth of a short headless
run) to hash three small things: the scenario's text, a checkpoint's fingerprint and the state
hash. CPython's built-in sha256 (``_sha256``; ``_sha2`` from 3.12) gives the same digest and loads
nothing, but is ~6x slower per byte: it takes the first ``BUDGET`` bytes a process hashes (at
most ~0.25 ms more in all), and only until ``hashlib`` is loaded (by an input past the budget,
or by anything else); from then on every digest is OpenSSL's (a long run's checkpoints).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from hashlib import _Hash

#: how many bytes in all the built-in sha256 may hash in one process
BUDGET = 64 << 10

try:
    from _sha256 import sha256 as _builtin  # type: ignore[import-not-found,unused-ignore]
except ImportError:   # pragma: no cover - Python 3.12+, or a build without it
    try:
        from _sha2 import sha256 as _builtin  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:
        _builtin = None

#: ``hashlib.sha256`` once hashlib is loaded
_openssl: Callable[[bytes], _Hash] | None = None
_left = BUDGET


def sha256(data: bytes) -> _Hash:
    """``hashlib.sha256(data)``."""
    global _openssl, _left
    if _openssl is None:
        if _builtin is not None and len(data) <= _left and "hashlib" not in sys.modules:
            _left -= len(data)
            return _builtin(data)  # type: ignore[no-any-return,unused-ignore]
        import hashlib

        _openssl = hashlib.sha256
    return _openssl(data)
