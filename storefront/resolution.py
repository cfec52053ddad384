"""What a store's home page is made of: HQ's template, then each published override below it.

Pure functions over the layers (root first, the store last); storefront.service loads them.
A section a lower node gives with an inherited key replaces that section whole, in its place;
a new key is added after the inherited ones; a hidden key is removed. A key locked by a node is
final for every node below it, whatever they published before or after the lock, so a lock
also undoes overrides already in place. Everything not locked follows the nearest node: when
HQ changes a section a store overrode, the store's version still wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storefront.document import Document, NavItem, NoticeBar

THEME_FIELDS = ("primary_color", "accent_color", "logo_url")


@dataclass(frozen=True, slots=True)
class Source:
    level: str  # HQ | PARTNER | STORE (the node's kind)
    node_id: int
    version: int


@dataclass(frozen=True, slots=True)
class Layer:
    """One node's live published document (None: the node publishes nothing)."""

    source: Source
    document: Document


@dataclass(frozen=True, slots=True)
class ResolvedSection:
    section: object  # one of storefront.document's section models
    source: Source
    locked: bool  # a node of the chain locked this key: nodes below it cannot change it


@dataclass
class Resolved:
    theme: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(THEME_FIELDS))
    theme_source: Source | None = None  # the lowest node that set a theme field
    navigation: list[NavItem] = field(default_factory=list)
    navigation_source: Source | None = None
    sections: list[ResolvedSection] = field(default_factory=list)


def resolve(layers: list[Layer], at: datetime) -> Resolved:
    """Merge root-first layers; a notice bar past its `until` is left out."""
    result = Resolved()
    order: list[str] = []
    current: dict[str, ResolvedSection] = {}
    locked: set[str] = set()
    for layer in layers:
        doc = layer.document
        if doc.theme is not None:
            for name in THEME_FIELDS:
                value = getattr(doc.theme, name)
                if value is not None:
                    result.theme[name] = value
                    result.theme_source = layer.source
        if doc.navigation is not None:
            result.navigation, result.navigation_source = list(doc.navigation), layer.source
        for section in doc.sections:
            if section.key in locked:
                continue
            if section.key not in current:
                order.append(section.key)
            current[section.key] = ResolvedSection(section, layer.source, False)
        for key in doc.hidden_keys:
            if key not in locked and current.pop(key, None) is not None:
                order.remove(key)
        locked.update(doc.locked_keys)
    for key in order:
        item = current[key]
        if isinstance(item.section, NoticeBar) and item.section.until is not None and item.section.until <= at:
            continue
        result.sections.append(ResolvedSection(item.section, item.source, key in locked))
    return result


def locked_keys(layers_above: list[Layer]) -> set[str]:
    """Keys a node may not give or hide: those locked by any node above it."""
    keys: set[str] = set()
    for layer in layers_above:
        keys.update(layer.document.locked_keys)
    return keys
