"""The storefront document and its validation: one pydantic model per section type.

The same document shape serves every level. HQ's is the template; a partner's or a store's is
an override: a section whose key the template has replaces that section whole, a new key adds
one, `hiddenKeys` hides inherited ones, theme fields that are set replace the inherited ones,
and `navigation` (when set) replaces the inherited menu. `lockedKeys` stops every node below
from changing those sections.

Validation errors come back as (path, message) pairs whose path is the GraphQL input's own
(camelCase, list indexes as numbers: `sections.2.slides.0.imageUrl`), so a client can point at
the field. Ids arrive as Relay global IDs and are stored as integers.
"""
from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError, model_validator

MAX_SECTIONS = 20
MAX_SLIDES = 10
MAX_PICKED_PRODUCTS = 20
MAX_RULE_LIMIT = 20
MAX_CATEGORIES = 24
MAX_COUPONS = 10
MAX_NAV_ITEMS = 12
MAX_URL = 500

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


def _http_url(value: str) -> str:
    # http(s) only: a javascript: or data: URL in a storefront would run in every visitor's app.
    lowered = value.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")) or len(value) <= len("https://"):
        raise ValueError("must be an http(s) URL")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain backslashes or control characters")
    return value


def _link(value: str) -> str:
    """A link is an http(s) URL or an in-app path such as /category/fruit."""
    if value.startswith("/") and not value.startswith("//"):
        if any(c.isspace() for c in value):
            raise ValueError("must not contain spaces")
        # Browsers read a backslash as "/" in a URL: /\evil.example is //evil.example, another
        # site, in a link a client routes as in-app because it starts with "/".
        if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("an in-app path must not contain backslashes or control characters")
        return value
    return _http_url(value)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must be timezone-aware")
    return value


HttpUrl = Annotated[str, StringConstraints(max_length=MAX_URL), AfterValidator(_http_url)]
Link = Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL), AfterValidator(_link)]


def _global_id(type_name: str):
    def decode(value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # already decoded (a stored document read back)
        if not isinstance(value, str):
            raise ValueError(f"must be a {type_name} ID")
        try:
            kind, _, pk = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValueError(f"not a valid {type_name} ID") from None
        if kind != type_name or not pk.isdigit() or len(pk) > 18:
            raise ValueError(f"not a {type_name} ID")
        return int(pk)

    return Annotated[int, BeforeValidator(decode)]


ProductId = _global_id("Product")
CategoryId = _global_id("Category")
PromotionId = _global_id("Promotion")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Theme(_Model):
    primary_color: Color | None = None
    accent_color: Color | None = None
    logo_url: HttpUrl | None = None


class NavItem(_Model):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    target: Link


class Slide(_Model):
    image_url: HttpUrl
    link: Link | None = None
    alt: Annotated[str, StringConstraints(max_length=100)] = ""


class _Section(_Model):
    key: Key
    title: Title | None = None


class BannerCarousel(_Section):
    type: Literal["BANNER_CAROUSEL"]
    slides: list[Slide] = Field(min_length=1, max_length=MAX_SLIDES)


class ProductRule(_Model):
    category_id: CategoryId | None = None
    sort: Literal["BEST_SELLING", "NEWEST", "PRICE_ASC"] = "BEST_SELLING"
    limit: int = Field(default=10, ge=1, le=MAX_RULE_LIMIT)


class ProductCarousel(_Section):
    type: Literal["PRODUCT_CAROUSEL"]
    rule: ProductRule | None = None
    product_ids: list[ProductId] | None = Field(default=None, min_length=1, max_length=MAX_PICKED_PRODUCTS)

    @model_validator(mode="after")
    def _rule_or_picks(self):
        if (self.rule is None) == (self.product_ids is None):
            raise ValueError("give either rule or productIds")
        return self


class CategoryGrid(_Section):
    type: Literal["CATEGORY_GRID"]
    category_ids: list[CategoryId] = Field(min_length=1, max_length=MAX_CATEGORIES)


class NoticeBar(_Section):
    type: Literal["NOTICE_BAR"]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    until: Annotated[datetime, AfterValidator(_aware)] | None = None


class CouponStrip(_Section):
    type: Literal["COUPON_STRIP"]
    coupon_ids: list[PromotionId] = Field(min_length=1, max_length=MAX_COUPONS)


Section = Annotated[
    Union[BannerCarousel, ProductCarousel, CategoryGrid, NoticeBar, CouponStrip], Field(discriminator="type")
]


class Document(_Model):
    theme: Theme | None = None  # None (or a field left None): inherit
    navigation: list[NavItem] | None = Field(default=None, max_length=MAX_NAV_ITEMS)  # None: inherit
    sections: list[Section] = Field(default_factory=list, max_length=MAX_SECTIONS)
    hidden_keys: list[Key] = Field(default_factory=list, max_length=MAX_SECTIONS)
    locked_keys: list[Key] = Field(default_factory=list, max_length=MAX_SECTIONS)


_PATTERN_MESSAGES = {
    Key.__metadata__[0].pattern: "a key is 1 to 40 of a-z, 0-9, _ and -, starting with a letter or digit",
    Color.__metadata__[0].pattern: "must be a colour written #RRGGBB",
}


class Problem(BaseModel):
    path: str
    message: str

    @property
    def in_section(self) -> bool:
        return self.path.startswith("sections.")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _path(loc: tuple) -> str:
    # The discriminated union adds the tag ('sections', 2, 'BANNER_CAROUSEL', 'slides', ...): drop it.
    parts = [str(p) if isinstance(p, int) else _camel(p) for p in loc if not (isinstance(p, str) and p.isupper())]
    return ".".join(parts)


def validate(raw: dict) -> tuple[Document | None, list[Problem]]:
    """The document, or every problem found (path and message)."""
    try:
        document = Document.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            path = _path(error["loc"])
            if error["type"] == "union_tag_invalid":
                path, message = f"{path}.type", "unknown section type"
            elif error["type"] == "union_tag_not_found":
                path, message = f"{path}.type", "a section needs a type"
            elif error["type"] == "string_pattern_mismatch":
                message = _PATTERN_MESSAGES.get(error["ctx"]["pattern"], message)
            problems.append(Problem(path=path, message=message))
        return None, problems + _consistency(raw)
    return document, _consistency(raw)


def _consistency(raw: dict) -> list[Problem]:
    """Rules across fields, read from the raw input so they are reported with the field errors:
    keys unique, and a section is not both given and hidden."""
    problems, seen = [], set()
    sections = raw.get("sections") if isinstance(raw, dict) else None
    for i, section in enumerate(sections if isinstance(sections, list) else []):
        key = section.get("key") if isinstance(section, dict) else None
        if not isinstance(key, str):
            continue
        if key in seen:
            problems.append(Problem(path=f"sections.{i}.key", message=f"key {key!r} appears twice"))
        seen.add(key)
    hidden = raw.get("hidden_keys") if isinstance(raw, dict) else None
    for i, key in enumerate(hidden if isinstance(hidden, list) else []):
        if key in seen:
            problems.append(Problem(path=f"hiddenKeys.{i}", message=f"section {key!r} is both given and hidden"))
    return problems


_ID_TYPES = {"product_ids": "Product", "category_ids": "Category", "coupon_ids": "Promotion", "category_id": "Category"}


def to_input_shape(document: Document) -> dict:
    """The document as a client sends it (camelCase, Relay global IDs): read, edit, save back."""

    def convert(value, key=None):
        if isinstance(value, dict):
            return {_camel(k): convert(v, k) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [convert(v, key) for v in value]
        if key in _ID_TYPES and isinstance(value, int):
            return base64.b64encode(f"{_ID_TYPES[key]}:{value}".encode()).decode()
        return value

    return convert(document.model_dump(mode="json"))


def load(stored: dict) -> Document:
    """A document read back from the database (validated when it was saved)."""
    return Document.model_validate(stored)


def dump(document: Document) -> dict:
    return document.model_dump(mode="json", exclude_none=False)
