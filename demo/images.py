"""Demo product images: one small PNG per category, generated (no binary files in the repo),
stored through the configured media storage at seed time, so the storefront shows pictures."""
from __future__ import annotations

import struct
import zlib

SIZE = 256
# Per category slug; anything else is grey.
COLOURS = {
    "fruit": (0xF2, 0x8C, 0x28), "vegetables": (0x4C, 0xAF, 0x50), "meat-poultry": (0xC6, 0x28, 0x28),
    "seafood": (0x29, 0x79, 0xFF), "dairy-eggs": (0xFA, 0xFA, 0xF0), "bakery": (0xD7, 0xA8, 0x6E),
    "snacks": (0xFF, 0xC1, 0x07), "drinks": (0x00, 0xAC, 0xC1), "grain-oil": (0xBC, 0xAA, 0xA4),
    "household": (0x9E, 0x9E, 0x9E),
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid RGB PNG of one colour with a darker band across the middle (so it is not a flat swatch)."""
    dark = bytes(max(0, c - 40) for c in rgb)
    plain, banded = b"\x00" + bytes(rgb) * width, b"\x00" + dark * width
    rows = b"".join(banded if height // 3 <= y < 2 * height // 3 else plain for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows, 9)) + _chunk(b"IEND", b"")


def category_png(slug: str) -> bytes:
    return solid_png(SIZE, SIZE, COLOURS.get(slug, (0x9E, 0x9E, 0x9E)))
