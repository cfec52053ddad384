"""Query cost limit (strawberry has depth, alias and token limits built in, but no cost).

Cost = 1 per field, with a connection's children multiplied by its page size, the way
Saleor's COST_MAP and Shopify's calculated cost work. Validation does not see variable
values, so a page size given as a variable is charged at the maximum (100): a client that
wants cheaper queries writes the literal.
"""
from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

from resolvers.pagination import MAX_PAGE

# Plain lists with a known typical size (not paginated): charge them for what they usually hold.
LIST_FIELD_MULTIPLIER = {"skus": 5, "lines": 20, "events": 10, "openingHours": 7, "addresses": 5}


def _page_size(field: FieldNode) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
    return None


def selection_cost(selection_set: SelectionSetNode | None, fragments: dict, seen: frozenset = frozenset()) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            children = selection_cost(selection.selection_set, fragments, seen)
            multiplier = _page_size(selection) or LIST_FIELD_MULTIPLIER.get(selection.name.value, 1)
            total += 1 + multiplier * children
        elif isinstance(selection, InlineFragmentNode):
            total += selection_cost(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen or name not in fragments:
                continue  # cycles and unknown fragments are reported by the standard rules
            total += selection_cost(fragments[name].selection_set, fragments, seen | {name})
    return total


def cost_limit_rule(max_cost: int) -> type[ValidationRule]:
    class QueryCostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
            fragments = {f.name.value: f for f in self.context.document.definitions if hasattr(f, "type_condition")}
            cost = selection_cost(node.selection_set, fragments)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_cost}; ask for smaller pages or fewer fields",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "maxCost": max_cost},
                    )
                )

    return QueryCostLimit
