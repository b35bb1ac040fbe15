"""Split worlds: patching the live world into a saved one gives exactly the saved world."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from msidbg.sim import chunks
from msidbg.sim.world import pack_world

scalars = st.one_of(st.integers(-5, 2**40), st.text(max_size=3), st.booleans(), st.none())
keys = st.one_of(st.text(max_size=2), st.integers(0, 9))
plain = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=9),
                                                         st.dictionaries(keys, inner, max_size=9)),
                     max_leaves=40)
worlds = st.dictionaries(st.text(max_size=3), plain, max_size=8)


def mutate(w: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """A nearby world: the same with some values replaced (like one event's changes)."""
    other = {k: v for k, v in w.items()}
    for k in list(other):
        if data.draw(st.booleans()):
            other[k] = data.draw(plain)
    return other


@settings(max_examples=300, deadline=None)
@given(worlds, st.data())
def test_patch_turns_the_live_world_into_the_saved_one(live: dict[str, Any], data: st.DataObject) -> None:
    saved = data.draw(st.one_of(worlds, st.just(None)))
    saved = mutate(live, data) if saved is None else saved
    want = pack_world(saved)
    node = chunks.split(saved)
    out = chunks.patch(live, chunks.split(live), node)
    assert pack_world(out) == want                      # same content, same key order
    assert chunks.fingerprint(chunks.split(out)) == chunks.fingerprint(node)
    assert pack_world(chunks.build(node)) == want


def test_unchanged_pieces_keep_their_objects_and_changed_ones_are_fresh() -> None:
    live = {"irqs": {i: {"vector": 0x21 + i, "count": 0} for i in range(20)}, "now": 5}
    saved = {"irqs": {i: {"vector": 0x21 + i, "count": 1 if i == 3 else 0} for i in range(20)}, "now": 4}
    node = chunks.split(saved)
    kept = live["irqs"][7]
    out = chunks.patch(live, chunks.split(live), node)
    assert out is live and out["irqs"][7] is kept       # untouched pieces are not rebuilt
    assert out["irqs"][3] == {"vector": 0x24, "count": 1} and out["now"] == 4
    out["irqs"][3]["count"] = 9                         # nothing is shared with the saved split
    assert chunks.build(node)["irqs"][3]["count"] == 1


def test_fingerprints_differ_when_content_or_order_differs() -> None:
    a, b = {"x": 1, "y": [1, 2]}, {"y": [1, 2], "x": 1}
    assert chunks.fingerprint(chunks.split(a)) != chunks.fingerprint(chunks.split(b))
    assert chunks.fingerprint(chunks.split(a)) != chunks.fingerprint(chunks.split({"x": 1, "y": [1, 3]}))
