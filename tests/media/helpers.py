from __future__ import annotations

import struct

from demo.images import solid_png

E = "errors { field code message }"
IMAGE = "image { id url width height altText position }"
GALLERY = "images { id url position altText }"
ADD = f"""mutation($input: ProductImageAddInput!) {{ productImageAdd(input: $input) {{ {IMAGE} {GALLERY} {E} }} }}"""
UPDATE = f"""mutation($input: ProductImageUpdateInput!) {{ productImageUpdate(input: $input) {{ {IMAGE} {GALLERY} {E} }} }}"""
REMOVE = f"""mutation($input: ProductImageRemoveInput!) {{ productImageRemove(input: $input) {{ removedId {GALLERY} {E} }} }}"""
REORDER = f"""mutation($input: ProductImagesReorderInput!) {{ productImagesReorder(input: $input) {{ {GALLERY} {E} }} }}"""


def png(width: int = 3, height: int = 2) -> bytes:
    return solid_png(width, height, (10, 20, 30))


def jpeg(width: int, height: int) -> bytes:
    """SOI, an APP0 segment, then a baseline SOF0 frame header: all the sniffer reads."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    payload = b"\x2f" + bits.to_bytes(4, "little") + b"\x00" * 8
    chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


async def add(client, world, product="milk", staff="hq", **fields) -> dict:
    data = {"productId": world.gid("Product", world.product_ids[product]), "url": "https://cdn.example.com/a.jpg",
            "width": 800, "height": 600, **fields}
    body = await world.gql(client, ADD, {"input": data}, token=world.staff_token(staff))
    return body["data"]["productImageAdd"]
