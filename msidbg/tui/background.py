"""Work the App hands to a thread: opening a snapshot (reading, unpacking and checking a
megabyte of msgpack is pure Python that would freeze the screen for seconds). No Textual here.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def in_daemon_thread(fn: Callable[[], T]) -> tuple[threading.Thread, asyncio.Future[T]]:
    """Start ``fn()`` in a daemon thread; its result arrives in the returned future. The screen
    keeps painting meanwhile, and quitting does not wait for it (``asyncio.to_thread``'s pool
    would hold the process until it ends)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(value)

    def run() -> None:
        try:
            value, error = fn(), None
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting task
            value, error = None, e
        try:
            loop.call_soon_threadsafe(settle, value, error)
        except RuntimeError:
            pass    # the App has already quit

    thread = threading.Thread(target=run, name="msidbg-open", daemon=True)
    thread.start()
    return thread, done


class _Stopped(BaseException):
    """Raised inside the opening thread to end its work (nobody waits for its result)."""


def stop_thread(thread: threading.Thread | None) -> None:
    """End a daemon thread's pure-Python work at its next bytecode: while it runs it holds the
    interpreter lock most of the time, which would slow the App's own shutdown to a crawl."""
    if thread is not None and thread.is_alive() and thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Stopped))
