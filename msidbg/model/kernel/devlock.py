"""The driver core's device_lock: a sleeping mutex around a device's probe and remove.

drivers/base/dd.c (v6.6): device_driver_attach takes ``__device_driver_lock(dev, dev->parent)`` around
``__driver_probe_device``, and device_release_driver_internal around ``__device_release_driver``
(``driver_attach``'s ``__driver_attach`` and ``__device_attach`` likewise): a second probe, or a remove, of
a device whose probe is running waits for that probe to return. ``device_lock`` is ``mutex_lock(&dev->mutex)``
(include/linux/device.h): a task that finds it held is put on the mutex's wait list and sleeps
(``__mutex_lock_common``: ``schedule_preempt_disabled``); its CPU runs on (its interrupts, other work).
``mutex_unlock`` clears the owner and wakes the first waiter (``__mutex_unlock_slowpath``: ``wake_up_q``),
which takes the lock when it runs -- unless a task that came meanwhile took it first (``__mutex_trylock``
succeeds on an unowned mutex), in which case it sleeps again at the head of the list. (The HANDOFF flag
a woken waiter sets after losing such a race, so that the next unlock hands it the lock, is not modelled:
the waiter retries at the next unlock. Nor is the optimistic spin before the sleep,
``mutex_optimistic_spin`` while the owner is on a CPU: preemptible, interrupts on, it ends when the owner
sleeps or the spinner must reschedule -- the model's waiter goes to sleep at once.)

The model's holder is the task of a scenario action (``w.actions[n]``, the task's ``proc.action``): the
lock follows the task when it migrates, and is released when the action's root program returns
(``release``, called from ``cpu._finish_action``: every way an action ends goes through it -- its
return, an error from any step, a fault injected on a callee). A task asleep on it has
``proc.wait = {"device_lock": dev}``: it has no agenda item, so a lock that is never released leaves
the waiter asleep and the run ends (never a spinning CPU: redteam16's first version polled the lock as a
spin wait, and two probes that started together each waited for the other's frame for ever).

World: ``kernel.pci.<dev>.device_lock = {"owner": action or -1, "waiters": [actions, first first]}``.
"""

from __future__ import annotations

from typing import Any

from msidbg.model import provcodes as PC
from msidbg.model import provkeys as PK
from msidbg.model.kernel.hotplug import fallback_wake, task_of, woken_behind_stopper
from msidbg.sim.program import Replay

#: the wait spec of a task asleep on a device's device_lock
WAIT_KEY = "device_lock"


def lock_of(w: Any, dev: str) -> dict[str, Any] | None:
    """The device's ``device_lock`` record (None in a world without one)."""
    p = w.kernel["pci"].get(dev)
    return None if p is None else p.get("device_lock")


def acquire(k: Any, dev: str) -> None:
    """``device_lock(dev)`` in the running task (a step of its root program). Returns when the task
    holds the lock -- a pure step when it was free. Held by another task: the task joins the wait
    list, notes it and sleeps (``raise Replay``: the step runs again when ``release`` wakes it)."""
    lk = lock_of(k.w, dev)
    if lk is None:
        return
    me = k.ctx.action
    owner = lk["owner"]
    waiters = lk["waiters"]
    if owner < 0 or owner == me:
        lk["owner"] = me
        if me in waiters:       # woken by the last unlock: it takes the lock now
            waiters.remove(me)
            k.note(f"device_lock({dev}): taken (woken by the unlock)", me, dev)
        return
    if me not in waiters:
        waiters.append(me)
    act = k.w.actions[owner]
    P = k.eng.prov      # provenance: the task's wait, caused by the holder's action
    P.dep(PC.D_CAUSE, PK.key(PK.ACTION, owner))
    P.write(PC.KERNEL, PK.key(PK.WAIT, k.cpu_id), owner, note=f"device_lock({dev}) held by action {owner}")
    k.note(f"device_lock({dev}): held by action {owner} ({act['do']}); this task sleeps on the mutex "
           f"(waiter {waiters.index(me) + 1} of {len(waiters)})", owner, dev)
    k.ctx.wait = {WAIT_KEY: dev}
    raise Replay


def release(eng: Any, action: int, dev: str | None) -> None:
    """The task of ``action`` returns from the driver core: ``device_unlock(dev)`` if it holds it
    (``mutex_unlock``: the owner cleared, the first waiter woken). Idempotent."""
    if dev is None:
        return
    lk = lock_of(eng.w, dev)
    if lk is None:
        return
    waiters = lk["waiters"]
    if action in waiters:       # (cannot end while asleep; kept consistent all the same)
        waiters.remove(action)
    if lk["owner"] != action:
        return
    lk["owner"] = -1
    if waiters:
        wake_task(eng, waiters[0], dev)


def wake_task(eng: Any, action: int, dev: str) -> None:
    """``wake_up_q`` for the task of ``action`` asleep on ``dev``'s device_lock: wherever the task is
    (a CPU's process context, or kept aside while take_cpu_down runs on its CPU, or migrating), its
    wait ends; on a CPU it is scheduled -- on an inactive (going down or offline) one, select_fallback_rq
    places it on an active CPU (``hotplug.fallback_wake``)."""
    w = eng.w
    for c in w.cpus:
        t = task_of(c)
        if t["action"] == action:
            _unwait(t, dev)
            woke = (PC.D_CAUSE, PK.key(PK.WAIT, c.id))     # (provenance: the lock wait it leaves)
            if t is c.proc and not fallback_wake(eng, c, woke) and not woken_behind_stopper(eng, c):
                eng.model.wake(eng, c)      # (an inactive CPU's: select_fallback_rq; behind a stopper: waits)
            return
    for entry in w.kernel.get("migrating", ()):
        if entry[2]["action"] == action:
            _unwait(entry[2], dev)
            return


def _unwait(task: Any, dev: str) -> None:
    wait = task["wait"]
    if wait is not None and wait.get(WAIT_KEY) == dev:
        task["wait"] = None

