"""Step keys straight to their action, when nothing on the way would take them.

Textual routes a key through the widget tree: the App checks its priority bindings, forwards
the key to the focused widget, which passes it up to its parent, and so on (one message-queue
hop per level: eight from the event log), until the App, which checks the bindings of every
node from the focused widget up and runs the first that matches. On big-table that is ~1.2 ms
of a step's latency before the step starts.

``direct_action`` decides the same outcome up front, without the hops, for the App's
step / step-back bindings only: it answers an action only when no node between the focused
widget and the App could take the key first -- no binding for it (keymap applied), no
``key_<name>`` method, no handler of key events of its own -- and no binding for it is a
priority one; otherwise None, and Textual routes the key as usual. (An Input, which consumes
printable keys, has its own key handler: its keys never take this path.)

It reads Textual's binding chain (``Screen._binding_chain``, private); with a Textual without
it every key takes Textual's route.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.dom import DOMNode
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widget import Widget

#: App actions that may skip the trip through the widget tree
DIRECT = frozenset({"step", "step_back"})
#: classes whose key handling is Textual's default (``key_<name>`` methods, then the parent)
_BASES = frozenset({Widget, Screen, DOMNode, MessagePump, object})
_KEY_EVENTS = (events.Key, events.InputEvent, events.Event, Message)
_HANDLERS = ("on_key", "_on_key", "handle_key", "on_event", "_on_message", "dispatch_key")
_plain: dict[type, bool] = {}


def plain(cls: type) -> bool:
    """True when instances of ``cls`` do nothing with a key event beyond Textual's default
    (``key_<name>`` methods, checked per key): no key or event handler of their own."""
    got = _plain.get(cls)
    if got is None:
        got = True
        for c in cls.__mro__:
            if c in _BASES or c.__module__ == "typing":
                continue
            handlers = c.__dict__.get("_decorated_handlers") or {}
            if any(name in c.__dict__ for name in _HANDLERS) or any(k in handlers for k in _KEY_EVENTS):
                got = False
                break
        _plain[cls] = got
    return got


def direct_action(app: Any, event: events.Key) -> str | None:
    """The App's action for ``event`` when Textual's routing would end there and it is one of
    ``DIRECT``; None when the key must take Textual's route."""
    screen = app.screen
    chain = getattr(screen, "_binding_chain", None)
    if not chain or chain[-1][0] is not app or screen.maximized is not None:
        return None
    if getattr(app, "keys_back", 0) or any(not node._message_queue.empty() for node, _ in chain[:-1]):
        # a key read before this one is still on its way (in a pane's queue, bubbling up, or back
        # in the App's queue behind this one): this one must not overtake it -- "as" typed at once
        # stepped before the a opened the breakpoint dialog the s was typed into
        return None
    key = event.key
    for _node, bindings in chain:
        if any(b.priority for b in bindings.key_to_bindings.get(key, ())):
            return None
    for node, bindings in chain[:-1]:
        if (node.is_modal or key in bindings.key_to_bindings or not plain(type(node))
                or any(hasattr(node, f"key_{a}") or hasattr(node, f"_key_{a}") for a in event.name_aliases)):
            return None
    for binding in chain[-1][1].key_to_bindings.get(key, ()):
        return binding.action if binding.action in DIRECT else None
    return None
