"""What an uploaded file really is, from its first bytes (never from the Content-Type header),
and its pixel size, read from the PNG, JPEG or WebP header itself: no imaging library needed
to read two numbers, and nothing decodes the pixels of a hostile file."""
from __future__ import annotations

import struct
from typing import NamedTuple


class Sniffed(NamedTuple):
    content_type: str
    extension: str
    width: int
    height: int


CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
# JPEG start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def sniff(data: bytes) -> Sniffed | None:
    """The image's type and size, or None when it is not a well-formed PNG, JPEG or WebP header."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return _sized("png", width, height)
        if data[:3] == b"\xff\xd8\xff":
            return _jpeg(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
    except (struct.error, IndexError):
        return None
    return None


def _sized(extension: str, width: int, height: int) -> Sniffed | None:
    if width <= 0 or height <= 0:
        return None
    return Sniffed(CONTENT_TYPES[extension], extension, width, height)


def _jpeg(data: bytes) -> Sniffed | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return _sized("jpg", width, height)
        if marker == 0xDA or length < 2:  # scan data before any frame header: malformed
            return None
        i += 2 + length
    return None


def _webp(data: bytes) -> Sniffed | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return _sized("webp", width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return _sized("webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X" and len(data) >= 30:
        return _sized("webp", int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
    return None
