"""Each controlled attribute has its own lock: a refusal names the attribute that was locked."""
from __future__ import annotations

import pytest

E = "errors { code field }"
CONTROL_SET = f"""mutation($id: ID!, $prices: ControlLevel, $storefront: ControlLevel, $promotions: ControlLevel) {{
  networkNodeControlSet(input: {{nodeId: $id, prices: $prices, storefront: $storefront, promotions: $promotions}}) {{
    node {{ control {{ prices storefront promotions }} }} {E} }} }}"""


async def _control_set(client, world, node_id: int, staff: str, **levels) -> dict:
    variables = {"id": world.gid("NetworkNode", node_id), "prices": None, "storefront": None, "promotions": None, **levels}
    body = await world.gql(client, CONTROL_SET, variables, token=world.staff_token(staff))
    return body["data"]["networkNodeControlSet"]


@pytest.mark.parametrize(
    "attribute, code",
    [("prices", "PRICE_LOCKED_BY_HQ"), ("storefront", "STOREFRONT_LOCKED_BY_HQ"), ("promotions", "PROMOTIONS_LOCKED_BY_HQ")],
)
async def test_a_partner_cannot_loosen_what_hq_locked_and_is_told_which_lock(client, world, attribute, code):
    west = world.partner_ids["west"]
    assert (await _control_set(client, world, world.hq_node_id, "hq", **{attribute: "STRONG"}))["errors"] == []
    refused = await _control_set(client, world, west, "west", **{attribute: "WEAK"})
    assert refused == {"node": None, "errors": [{"code": code, "field": attribute}]}
    # STRONG below STRONG is no loosening, and HQ itself may loosen the partner.
    assert (await _control_set(client, world, west, "west", **{attribute: "STRONG"}))["errors"] == []
    loosened = await _control_set(client, world, west, "hq", **{attribute: "WEAK"})
    assert loosened["errors"] == [] and loosened["node"]["control"][attribute] == "WEAK"


async def test_one_locked_attribute_refuses_the_whole_call(client, world):
    west = world.partner_ids["west"]
    await _control_set(client, world, world.hq_node_id, "hq", promotions="STRONG")
    refused = await _control_set(client, world, west, "west", prices="STRONG", promotions="WEAK")
    assert [e["code"] for e in refused["errors"]] == ["PROMOTIONS_LOCKED_BY_HQ"]
    unchanged = await _control_set(client, world, west, "hq")  # no levels: reads the node back
    assert unchanged["node"]["control"] == {"prices": None, "storefront": None, "promotions": None}
