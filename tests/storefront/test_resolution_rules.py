"""The merge rules on their own (no database): order, replace in place, hide, lock."""
from __future__ import annotations

from datetime import datetime, timezone

from storefront.document import validate
from storefront.resolution import Layer, Source, resolve

NOW = datetime(2031, 1, 1, tzinfo=timezone.utc)


def _layer(level: str, node: int, raw: dict) -> Layer:
    document, problems = validate(raw)
    assert not problems, problems
    return Layer(Source(level, node, 1), document)


def _notice(key: str, text: str) -> dict:
    return {"key": key, "type": "NOTICE_BAR", "text": text}


def _page(*layers: Layer) -> list[tuple[str, str, str]]:
    return [(s.section.key, s.section.text, s.source.level) for s in resolve(list(layers), NOW).sections]


def test_an_override_replaces_in_place_and_new_keys_follow_the_inherited_ones():
    hq = _layer("HQ", 1, {"sections": [_notice("a", "hq a"), _notice("b", "hq b")]})
    store = _layer("STORE", 3, {"sections": [_notice("new", "store new"), _notice("a", "store a")]})
    assert _page(hq, store) == [("a", "store a", "STORE"), ("b", "hq b", "HQ"), ("new", "store new", "STORE")]


def test_a_hidden_section_can_be_given_again_below_unless_it_was_locked():
    hq = _layer("HQ", 1, {"sections": [_notice("a", "hq a"), _notice("b", "hq b")]})
    partner = _layer("PARTNER", 2, {"hidden_keys": ["a"]})
    store = _layer("STORE", 3, {"sections": [_notice("a", "store a")]})
    assert _page(hq, partner, store) == [("b", "hq b", "HQ"), ("a", "store a", "STORE")]
    locking = _layer("PARTNER", 2, {"hidden_keys": ["a"], "locked_keys": ["a"]})
    assert _page(hq, locking, store) == [("b", "hq b", "HQ")]


def test_a_lock_binds_the_nodes_below_not_the_node_itself():
    hq = _layer("HQ", 1, {"sections": [_notice("a", "hq a")]})
    partner = _layer("PARTNER", 2, {"sections": [_notice("a", "partner a")], "locked_keys": ["a"]})
    store = _layer("STORE", 3, {"sections": [_notice("a", "store a")], "hidden_keys": []})
    assert _page(hq, partner, store) == [("a", "partner a", "PARTNER")]
    assert resolve([hq, partner, store], NOW).sections[0].locked is True
