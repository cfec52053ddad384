"""Relay global IDs without strawberry: base64("TypeName:123"), byte for byte what
strawberry.relay.GlobalID prints. schema/ids.py encodes with it; domain code that must not
import strawberry (webhook payloads) uses it too."""
from __future__ import annotations

import base64


def encode(type_name: str, pk: int | str) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()
