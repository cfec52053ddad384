"""How many elements each list argument and list input field of the schema may carry.

Every list in the schema's inputs is named here; tests/attacks/test_query_shapes.py walks the
schema and fails on one that is not, so a new list cannot arrive uncapped. A literal list over
its cap is refused in validation (app/limits.py, which also charges one cost unit per
element); a list sent as a variable is checked against the same cap before execution
(`list_variable_errors`). Either way the answer is a top-level error with
`extensions.code = LIST_TOO_LONG`, before anything is coerced or resolved.
"""
from __future__ import annotations

from typing import NamedTuple

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    type_from_ast,
)

# None: settings.max_list_input (100). A number: that cap, where the domain already answers a
# smaller limit with a payload error (TOO_MANY_LINES at 100 cart lines) that clients rely on;
# there the cap only stops a hostile list from being coerced at all.
LIST_CAPS: dict[str, int | None] = {
    "Query.nodes(ids)": None,
    "Query.servingStore(lines)": None,
    "ProductCreateInput.skus": None,
    "CartLinesAddInput.lines": 1000,
    "CartLinesUpdateInput.lines": 1000,
    "CartLinesRemoveInput.skuIds": 1000,
    "FeeRuleInput.bands": None,
    "DeliverySettingsSetInput.expressTiers": None,
    "DeliverySettingsSetInput.tierWeights": None,
    "DeliverySettingsSetInput.closures": None,
    "RiderPositionReportInput.positions": None,
    "CourierAccountAddInput.credentials": None,  # the domain answers INVALID above 12
    "CourierPolicySetInput.providers": None,  # the domain answers INVALID above 8
    "WebhookEndpointCreateInput.eventTypes": None,
    "StoreStockSyncInput.rows": 2000,  # POS batches; larger files go to POST /pos/stores/{id}/stock (CSV/JSON)
    "StorePriceSyncInput.rows": 2000,
    "StoreListingSyncInput.rows": 2000,
    # per-store assortment and product media (issue 12 item 4); the domain answers TOO_MANY above 100
    "StoreListingSetInput.skuIds": None,
    "StoreListingSetInput.productIds": None,
    "NetworkListingSetInput.skuIds": None,
    "NetworkListingSetInput.productIds": None,
    "ProductMandatorySetInput.productIds": None,
    "ProductImagesReorderInput.imageIds": 20,  # a gallery holds at most 20 images (media.images.MAX_IMAGES)
    "VoucherProductCreateInput.acceptedStoreIds": None,
    # Real payments and after-sales (issue 20): the domain also answers over 100 lines / 9 photos.
    "OrderRefundPartialInput.lines": None,
    "AfterSalesRequestInput.lines": None,
    "AfterSalesRequestInput.photos": 9,
    # promotions (the domain refuses more with a payload error: MAX_RULES, MAX_COUPONS_PER_ORDER)
    "PromotionCreateInput.conditions": 10,
    "PromotionCreateInput.actions": 10,
    "PromotionUpdateInput.conditions": 10,
    "PromotionUpdateInput.actions": 10,
    "ConfigurableOperationInput.arguments": 10,
    "PromotionScopeInput.skuIds": 50,
    "PromotionScopeInput.productIds": 50,
    "PromotionScopeInput.categoryIds": 50,
    "CouponIssueInput.customerIds": None,
    "CheckoutCompleteInput.couponIds": 5,
    "Query.priceBreakdown(couponIds)": 5,
    "SalesReportInput.storeIds": 100,  # reports: the domain also answers TOO_MANY_STORES above 100
    # storefront: twice the domain's caps (storefront/document.py), which it answers with a payload
    # error at the element's path (INVALID_SECTION sections.3.slides); a variable costs these caps
    "StorefrontDocumentInput.navigation": 24,
    "StorefrontDocumentInput.sections": 40,
    "StorefrontDocumentInput.hiddenKeys": 40,
    "StorefrontDocumentInput.lockedKeys": 40,
    "StorefrontSectionInput.slides": 20,
    "StorefrontSectionInput.productIds": 40,
    "StorefrontSectionInput.categoryIds": 48,
    "StorefrontSectionInput.couponIds": 20,
    # store administration (#12 item 1): at most 6 spans a day, 3 fulfilment types
    "StoreCreateInput.openingHours": 42,
    "StoreCreateInput.fulfilmentTypes": 10,
    "StoreUpdateInput.openingHours": 42,
    "StoreUpdateInput.fulfilmentTypes": 10,
}


def list_cap(location: str | None, default: int) -> int:
    cap = LIST_CAPS.get(location) if location else None
    return default if cap is None else cap


class ListVariable(NamedTuple):
    """A variable whose type holds a list somewhere, with the cap of the place it goes."""

    name: str
    type: GraphQLInputType
    cap: int


def list_variables(
    schema: GraphQLSchema, operations: list[OperationDefinitionNode], variable_caps: dict[str, int], default: int,
) -> tuple[ListVariable, ...]:
    """The variables of these operations that can carry a list (the only ones that can be too
    long): found once per document, checked per request by `list_variable_errors`."""
    found = []
    for operation in operations:
        for definition in operation.variable_definitions or ():
            type_ = type_from_ast(schema, definition.type)
            if type_ is not None and _holds_list(type_, set()):
                name = definition.variable.name.value
                found.append(ListVariable(name, type_, variable_caps.get(name, default)))
    return tuple(found)


def list_variable_errors(variables_to_check: tuple[ListVariable, ...], variables: dict | None, default: int) -> list[GraphQLError]:
    """LIST_TOO_LONG for every list in the variables longer than the place it goes allows."""
    errors: list[GraphQLError] = []
    if not isinstance(variables, dict):
        return errors
    for name, type_, cap in variables_to_check:
        if name in variables:
            _check(variables[name], type_, cap, f"${name}", default, errors)
    return errors


def _holds_list(type_, seen: set[str]) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return True
    if isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
        seen.add(type_.name)  # a self-referencing input is walked once
        return any(_holds_list(field.type, seen) for field in type_.fields.values())
    return False


def _check(value, type_, cap: int, path: str, default: int, errors: list[GraphQLError]) -> None:
    # Recursion follows the input type, not the value, so it is as deep as the schema's inputs.
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList) and isinstance(value, list):
        if len(value) > cap:
            errors.append(GraphQLError(
                f"`{path}` has {len(value)} items; at most {cap}",
                extensions={"code": "LIST_TOO_LONG", "field": path, "maxItems": cap},
            ))
            return
        for index, item in enumerate(value):
            _check(item, type_.of_type, default, f"{path}.{index}", default, errors)
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for field_name, field_def in type_.fields.items():
            if field_name in value:
                field_cap = list_cap(f"{type_.name}.{field_name}", default)
                _check(value[field_name], field_def.type, field_cap, f"{path}.{field_name}", default, errors)
