"""Reading files from strangers and writing files atomically: one implementation for every command.

``read_regular(path, limit)`` reads a regular file of at most ``limit`` bytes. A FIFO, a
device (``/dev/zero``), a directory or a socket is refused at once, without reading from it or
blocking on it (the file is opened non-blocking and checked with ``fstat`` before any read).

``write_atomic(path, data)`` replaces ``path`` so that a reader sees the old file or the new one,
never half: a temporary file in the target's directory, fsync, rename, fsync of the directory.
Its rules:

* an existing target that is not a regular file (a device such as ``/dev/null``, a FIFO, a
  directory) is refused -- it is never replaced by a regular file;
* a symbolic link is followed: the file it points to is replaced, the link stays;
* a replaced file keeps its permission bits and its owner and group. When the owner cannot be
  kept (the file belongs to another user) the write is refused rather than done in place or
  with a changed owner;
* ``replace=False`` (every command's output with ``--no-clobber``): an existing file that is not
  empty is refused (``check_new``), and a new file is linked into place, never renamed over one
  that appeared meanwhile -- the check and the write cannot be raced into replacing a file;
* SIGINT waits until the replacement is done (``guard.deferred_interrupts``);
* temporary files are named ``.NAME.PID-RANDOM.msidbg-tmp``. One left behind by a writer that
  was killed (SIGKILL, power loss) is removed by the next write into that directory: ours
  (same user), and either its process is gone or it is more than an hour old. Files of the
  older naming ``.NAME.XXXXXXXX.tmp`` are removed when more than an hour old.

Every problem is a ``FileProblem`` with a one-line message in the ``what is wrong (expected
...)`` form; callers attach the file name.
"""

from __future__ import annotations

import os
import re
import stat
import time

from msidbg.guard import deferred_interrupts

TMP_SUFFIX = ".msidbg-tmp"
STALE_AFTER_S = 3600
_OURS = re.compile(r"\..+\.(\d+)-[0-9a-f]{8}" + re.escape(TMP_SUFFIX))
_LEGACY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


class FileProblem(Exception):
    """A file that cannot be read or written as asked; ``message`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- reading ------------------------------------------------------------------------------------
def read_regular(path: str, limit: int, expected: str = "a regular file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise FileProblem(f"cannot read: not a regular file (expected {expected})")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except OSError as e:
        raise FileProblem(f"cannot read: {e.strerror or e} (expected {expected})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped for something else after the stat
            raise FileProblem(f"cannot read: not a regular file (expected {expected})")
        check_size(info.st_size, limit)
        # the size fstat gave in one read (a regular file returns it whole): a 250 MB snapshot read
        # a megabyte at a time and joined took 540 MB, the chunks and their join (hardening26)
        chunks = []
        left = limit + 1
        want = min(left, info.st_size + 1)
        while left > 0:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            want = min(left, 1 << 20)       # more than fstat said: the file grew meanwhile
    except OSError as e:
        raise FileProblem(f"cannot read: {e.strerror or e} (expected {expected})") from None
    finally:
        os.close(fd)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    check_size(len(data), limit)
    return data


def read_head(path: str, size: int) -> bytes:
    """The first ``size`` bytes of the regular file ``path`` (for telling what kind of file it is);
    a FIFO or a device is refused without reading or blocking, like ``read_regular``."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise FileProblem("cannot read: not a regular file (expected a regular file)")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise FileProblem(f"cannot read: {e.strerror or e} (expected a regular file)") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileProblem("cannot read: not a regular file (expected a regular file)")
        return os.read(fd, size)
    except OSError as e:
        raise FileProblem(f"cannot read: {e.strerror or e} (expected a regular file)") from None
    finally:
        os.close(fd)


def check_size(size: int, limit: int) -> None:
    if size > limit:
        raise FileProblem(f"file too large: {size} bytes (expected at most {limit} bytes)")


def sniff(data: bytes) -> str | None:
    """What a file's bytes look like: ``"snapshot"`` (a msgpack map tagged msidbg-snapshot),
    ``"text"`` (UTF-8 without NUL bytes, such as a scenario), or None."""
    head = data[:256]
    if head[:1] and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF)) and b"msidbg-snapshot" in head:
        return "snapshot"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text" if b"\0" not in data else None


# --- writing ------------------------------------------------------------------------------------
_STREAMS = {0: "standard input", 1: "standard output", 2: "standard error"}


def descriptor(path: str) -> int | None:
    """The descriptor of this process that ``path`` names (``/dev/stdout``, ``/dev/stderr``,
    ``/dev/fd/N``, ``/proc/self/fd/N``, ``/proc/PID/fd/N`` of this process; bash's ``>(cmd)``
    is one), else None. Such a path is a stream msidbg already holds open, not a file: replacing
    it atomically made a new file beside the one the shell opened (``schema -o /dev/stdout >> log``
    replaced the log) or could not (a pipe: "cannot create a file in /proc/N/fd")."""
    here = f"/proc/{os.getpid()}"
    p = path
    for _ in range(3):     # /dev/stdout -> /proc/self/fd/1 (a link to the stream itself)
        name = os.path.basename(p)
        try:
            folder = os.path.realpath(os.path.dirname(p) or ".")
        except (OSError, ValueError):
            return None
        if name.isascii() and name.isdigit() and len(name) < 10 and re.fullmatch(
                re.escape(here) + r"(?:/task/\d+)?/fd", folder):
            return int(name)
        try:
            link = os.readlink(p)
        except (OSError, ValueError):
            return None
        p = os.path.join(os.path.dirname(p), link)
    return None


def stdout_alias(path: str | None) -> str | None:
    """``path``, or ``-`` when it names this process's standard output (``-o /dev/stdout``): the
    text outputs (``new``, ``schema``, ``report``, ``replay --scenario``) write it as ``-o -`` does,
    where the shell opened it (appending to ``>> log``, into a pipe), never replacing a file."""
    return "-" if path not in (None, "-") and descriptor(path) == 1 else path


def check_target(path: str) -> tuple[str, os.stat_result | None]:
    """Where ``write_atomic(path)`` would write, and what is there now; refuses what it would refuse.

    Commands call this before long work, so that a bad output path fails at once.
    """
    if not path:
        raise FileProblem("an empty path (expected a file name)")
    fd = descriptor(path)
    if fd is not None:
        stream = _STREAMS.get(fd, f"descriptor {fd}")
        raise FileProblem(f"cannot write: it names msidbg's {stream}, a stream, not a file (expected a file "
                          "name: the file is written beside it and renamed into place; a text output takes "
                          "-o - or /dev/stdout for standard output)")
    # the folder as named, before realpath: realpath drops 'nodir/..' and 'file/..' by their
    # spelling, where open() refuses them -- 'schema -o nodir/../s.json' wrote ./s.json
    try:
        named = os.stat(os.path.dirname(path) or ".")
    except OSError as e:
        raise FileProblem(f"cannot write: {e.strerror or e} (expected a path in an existing directory)") from None
    if not stat.S_ISDIR(named.st_mode):
        raise FileProblem("cannot write: Not a directory (expected a path in an existing directory)")
    target = os.path.realpath(path)
    try:
        old: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        old = None
    except OSError as e:   # a loop of symbolic links, a file where a directory should be
        raise FileProblem(f"cannot write: {e.strerror or e} (expected a path for a new file or an existing "
                          "regular file, in an existing directory)") from None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise FileProblem("cannot write: not a regular file (expected a path for a new file or an existing "
                          "regular file; it is never replaced)")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileProblem("cannot write: No such file or directory (expected a path in an existing directory)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileProblem("cannot write: Permission denied (expected a directory you can write to)")
    return target, old


#: what every command's refusal to replace a file says (docs/debugger.md "Output files")
EXISTS = "cannot write: it exists ({size} bytes): not replaced (expected a new file name: --no-clobber never replaces one)"


def check_new(path: str) -> None:
    """Refuse an output path where a file that is not empty exists (the commands' rule with
    ``--no-clobber``: ``new -o bug.yaml`` replaced a hand-edited scenario, ``report -o notes.txt`` the
    notes, silently). An empty file is no loss (``mktemp``'s). Call after ``check_target``."""
    try:
        old = os.stat(os.path.realpath(path))
    except OSError:
        return
    if stat.S_ISREG(old.st_mode) and old.st_size > 0:
        raise FileProblem(EXISTS.format(size=old.st_size))


def check_snapshot_target(path: str) -> None:
    """Refuse to replace an existing file that is not a msidbg snapshot with one (``run --save``):
    ``--save bug2.yaml`` for ``bug2.msgpack`` replaced a scenario file. The TUI's save dialog
    never replaces such a file either (``tui/commands.replace_problem``); a snapshot is replaced,
    and so is an empty file."""
    try:
        head = read_head(path, 256) if os.path.lexists(path) else b""
    except FileProblem:
        return                   # a directory, unreadable: check_target's and the write's own errors
    if head and sniff(head) != "snapshot":
        raise FileProblem("cannot write: it exists and is not a msidbg snapshot: not replaced (expected a new "
                          "file name, or a snapshot to replace)")


def check_not_snapshot(path: str) -> None:
    """Refuse to replace an existing msidbg snapshot with anything else (the text outputs and
    ``export --perfetto``): the mirror of ``check_snapshot_target``. ``replay bug.msgpack --scenario
    -o bug2.msgpack`` (meant: bug2.yaml) replaced another bug report's snapshot with YAML, and
    ``report``/``new``/``schema``/``export`` would have too -- a snapshot from a stranger cannot be
    made again (hardening30). Only a snapshot writer (``run --save``, the TUI, ``explore
    --save-failing``) replaces a snapshot."""
    try:
        head = read_head(path, 256) if os.path.lexists(path) else b""
    except FileProblem:
        return                   # a directory, unreadable: check_target's and the write's own errors
    if head and sniff(head) == "snapshot":
        raise FileProblem("cannot write: it is a msidbg snapshot: not replaced (expected a new file name, or a file "
                          "that is no snapshot: only run --save replaces a snapshot)")


def check_not_input(out: str, source: str) -> None:
    """Refuse an output path that is the input file itself (``report bug.msgpack -o bug.msgpack``
    would replace the snapshot by its report)."""
    try:
        same = os.path.samefile(out, source)
    except OSError:
        return   # one of them does not exist (yet): not the same file
    if same:
        raise FileProblem(f"cannot write: it is the input file {source} (expected another path: writing "
                          "would replace it)")


def write_atomic(path: str, data: bytes, replace: bool = True) -> None:
    """Replace ``path`` (after following symbolic links) with ``data``; see the module docstring.
    ``replace`` False: never replace a file that is not empty (``check_new``), even one made
    while ``data`` was written."""
    target, old = check_target(path)
    if not replace:
        check_new(path)
    folder = os.path.dirname(target)
    clean_stale(folder)
    import secrets  # (only when writing: random and hashlib's HMAC cost a millisecond at start-up)

    tmp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}-{secrets.token_hex(4)}{TMP_SUFFIX}")
    try:
        with deferred_interrupts():
            _write_replace(tmp, target, data, old, replace or old is not None)
    except OSError as e:
        raise FileProblem(f"cannot write: {e.strerror or e} (expected {len(data)} bytes written beside the "
                          "target and renamed over it)") from None
    _sync_dir(folder)


def _write_replace(tmp: str, target: str, data: bytes, old: os.stat_result | None, clobber: bool = True) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o600)
    except OSError as e:
        # /proc/version exists and its folder is a directory: only creating the file beside it
        # fails ('cannot write: No such file or directory' named nothing that was missing)
        raise FileProblem(f"cannot write: cannot create a file in {os.path.dirname(tmp)}: {e.strerror or e} "
                          "(expected a directory that holds regular files: the new file is written "
                          "beside the target, then renamed over it)") from None
    try:
        try:
            if old is not None:
                _keep_owner(fd, old)
                os.fchmod(fd, stat.S_IMODE(old.st_mode) & 0o777)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.fchmod(fd, 0o666 & ~umask)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if clobber:
            os.replace(tmp, target)
        else:
            _link_new(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _link_new(tmp: str, target: str) -> None:
    """Put ``tmp`` at ``target`` only if nothing is there: ``link`` fails when a file appeared since
    ``check_new`` (a rename would replace it). A file system without hard links gets the rename
    after a last look."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        size = os.stat(target).st_size if os.path.isfile(target) else 0
        raise FileProblem(EXISTS.format(size=size)) from None
    except OSError:
        if os.path.lexists(target):
            raise FileProblem(EXISTS.format(size=0)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _keep_owner(fd: int, old: os.stat_result) -> None:
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        if old.st_uid != os.geteuid():
            raise FileProblem(f"cannot write: the file belongs to user {old.st_uid} and replacing it would make "
                              "it yours (expected a file you own, or a new path)") from None
        try:
            os.fchown(fd, -1, old.st_gid)
        except PermissionError:  # a group we are not in: the file stays ours, in our group
            pass


def _sync_dir(folder: str) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems cannot fsync a directory; the rename is still atomic


def clean_stale(folder: str) -> list[str]:
    """Remove our temporary files that a killed writer left in ``folder``; returns their names."""
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        ours = _OURS.fullmatch(name)
        if ours is None and _LEGACY.fullmatch(name) is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            continue
        old = now - info.st_mtime > STALE_AFTER_S
        if old or (ours is not None and not _alive(int(ours.group(1)))):
            try:
                os.unlink(entry.path)
                removed.append(name)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True
