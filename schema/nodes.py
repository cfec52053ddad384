"""A relay Node whose `id` attribute already holds the encoded global id.

The types below were built with `id=ids.encode("Rider", pk)` long before they implemented Node;
this base keeps every constructor as it is and only tells relay how to read the key back.
"""
from __future__ import annotations

from strawberry import relay
from strawberry.relay import GlobalID


class EncodedIdNode(relay.Node):
    @classmethod
    def resolve_id(cls, root, *, info) -> str:
        return GlobalID.from_id(str(root.id)).node_id
