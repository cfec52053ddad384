"""Error codes of storefront configuration (payload `errors { field code message }`)."""
from __future__ import annotations

from enum import Enum


class StorefrontErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_SECTION = "INVALID_SECTION"  # a section failed validation; `field` is its path (sections.2.slides.0.imageUrl)
    SECTION_LOCKED = "SECTION_LOCKED"  # a node above locked this section key
    STOREFRONT_LOCKED_BY_HQ = "STOREFRONT_LOCKED_BY_HQ"  # the storefront control policy is STRONG above this node
    ALREADY_PUBLISHED = "ALREADY_PUBLISHED"  # a published version cannot be re-scheduled; save a new draft
    NOT_PUBLISHED = "NOT_PUBLISHED"  # rollback needs a version that was published
    CONFLICT = "CONFLICT"  # a concurrent save took the version number; retry
