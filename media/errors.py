from __future__ import annotations

from enum import Enum


class MediaErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    TOO_MANY_IMAGES = "TOO_MANY_IMAGES"  # a product holds at most media.images.MAX_IMAGES
