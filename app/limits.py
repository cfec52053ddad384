"""Document limits: depth, aliases, size, duplicates and cost, in one pass linear in the document.

strawberry's depth and alias limiters (and our former cost rule) re-walk a fragment at every
spread, so `fragment F0 on Query {...F1 ...F1}` nested 18 deep costs 2^18 walks and blocks the
event loop. Here each fragment is measured once, bottom-up, and a spread adds the memoised
figures: the walk is linear in the document whatever the fragments expand to. It runs before
graphql-core's standard rules (app/validation.py), because OverlappingFieldsCanBeMerged
compares every pair of fields sharing a response name: 400 copies of `viewer { kind }` take a
second there. So a document is refused here when its fragment-expanded field count or the
number of fields sharing a response name in one selection set is over the bound.

Cost = 1 per field, with a connection's children multiplied by its page size, the way
Saleor's COST_MAP and Shopify's calculated cost work; list arguments cost one per element
(app/list_caps.py) and `nodes(ids:)` repeats its children per id. Validation does not
see variable values, so a page size given as a variable is charged at the maximum (100) and
a list given as a variable at its cap: a client that wants cheaper queries writes literals.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from app.list_caps import list_cap
from resolvers.pagination import MAX_PAGE

# Plain lists with a known typical size (not paginated): charge them for what they usually hold.
LIST_FIELD_MULTIPLIER = {"skus": 5, "lines": 20, "events": 10, "openingHours": 7, "addresses": 5}
# Fields whose result repeats once per element of a list argument.
LIST_ARGUMENT_MULTIPLIER = {"Query.nodes": "ids"}
# Types whose values are credentials: a response selecting them must never be cached.
SECRET_TYPES = frozenset({"AuthTokens"})
SECRET_FIELDS = frozenset({"ApiKeyCreatePayload.key"})
# Fragments spreading fragments: graphql-core and the executor follow spreads recursively, so a
# chain of hundreds (cheap in tokens) would reach Python's recursion limit.
MAX_FRAGMENT_NESTING = 50


@dataclass(frozen=True)
class DocumentLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 20000
    max_fields: int = 2000  # fields after expanding every fragment spread
    max_duplicates: int = 20  # fields sharing one response name in one selection set
    max_list_input: int = 100


@dataclass
class Shape:
    """What a selection set adds up to with its fragments expanded."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: int = 0
    duplicates: int = 0  # the most fields sharing a response name in any one selection set
    nesting: int = 0  # fragment spreads inside fragment spreads
    secrets: bool = False
    names: Counter = field(default_factory=Counter)  # this level's response names


@dataclass
class DocumentReport:
    errors: list[GraphQLError]
    variable_caps: dict[str, int]  # list variable -> the smallest cap of the places it is used
    carries_secrets: bool


def analyse(schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits) -> DocumentReport:
    return _Analysis(schema, document, limits).run()


class _Analysis:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, limits: DocumentLimits):
        self.schema = schema
        self.limits = limits
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self.memo: dict[str, Shape] = {}
        self.errors: list[GraphQLError] = []
        self.variable_caps: dict[str, int] = {}
        self._input_cost_memo: dict[str, int] = {}

    def run(self) -> DocumentReport:
        for name in self._fragments_bottom_up():
            fragment = self.fragments[name]
            self.memo[name] = self._selection_set(fragment.selection_set, self._type(fragment.type_condition.name.value), 0)
        secrets = False
        for operation in self.operations:
            root = self.schema.get_root_type(operation.operation)
            shape = self._selection_set(operation.selection_set, root, 0)
            secrets = secrets or shape.secrets
            self._check(operation, shape)
        return DocumentReport(self.errors, self.variable_caps, secrets)

    def _check(self, operation: OperationDefinitionNode, shape: Shape) -> None:
        limits = self.limits
        name = operation.name.value if operation.name else "anonymous"
        if shape.depth > limits.max_depth:
            self._error(f"'{name}' exceeds maximum operation depth of {limits.max_depth}", operation, "QUERY_TOO_DEEP")
        if shape.aliases > limits.max_aliases:
            self._error(f"{shape.aliases} aliases found. Allowed: {limits.max_aliases}", operation, "TOO_MANY_ALIASES")
        if shape.fields > limits.max_fields or shape.nesting > MAX_FRAGMENT_NESTING:
            self._error(
                f"'{name}' expands to {shape.fields} fields through {shape.nesting} levels of fragments; "
                f"at most {limits.max_fields} fields and {MAX_FRAGMENT_NESTING} levels",
                operation, "QUERY_TOO_LARGE", fields=shape.fields, maxFields=limits.max_fields,
            )
        if shape.duplicates > limits.max_duplicates:
            self._error(
                f"{shape.duplicates} fields share one response name in a selection set; at most {limits.max_duplicates}",
                operation, "QUERY_TOO_LARGE",
            )
        if shape.cost > limits.max_cost:
            self._error(
                f"query cost {shape.cost} exceeds the limit of {limits.max_cost}; ask for smaller pages or fewer fields",
                operation, "QUERY_TOO_COSTLY", cost=shape.cost, maxCost=limits.max_cost,
            )

    def _error(self, message: str, node, code: str, **extra) -> None:
        self.errors.append(GraphQLError(message, node, extensions={"code": code, **extra}))

    def _fragments_bottom_up(self) -> list[str]:
        """Fragments after the ones they spread (iterative DFS; a spread back into a cycle is left out)."""
        order: list[str] = []
        state: dict[str, str] = {}
        for start in self.fragments:
            if start in state:
                continue
            stack = [(start, iter(_spreads(self.fragments[start].selection_set)))]
            state[start] = "open"
            while stack:
                name, children = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    state[name] = "done"
                    order.append(name)
                elif child in self.fragments and child not in state:
                    state[child] = "open"
                    stack.append((child, iter(_spreads(self.fragments[child].selection_set))))
        return order

    def _type(self, name: str):
        return self.schema.get_type(name)

    def _selection_set(self, selection_set: SelectionSetNode | None, parent, level: int) -> Shape:
        shape = Shape()
        if selection_set is None:
            return shape
        if level > self.limits.max_depth:
            # Deeper than any accepted document: stop here so the walk never recurses far.
            shape.depth = level
            return shape
        spread_here: set[str] = set()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, level, shape)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type(condition.name.value) if condition else parent
                _add(shape, self._selection_set(selection.selection_set, inner, level), merge_names=True)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                child = self.memo.get(name)
                if child is None:
                    continue  # unknown or cyclic: the standard rules report it
                _add(shape, child, merge_names=name not in spread_here)
                shape.nesting = max(shape.nesting, child.nesting + 1)
                spread_here.add(name)
        shape.duplicates = max(shape.duplicates, max(shape.names.values(), default=0))
        return shape

    def _field(self, node: FieldNode, parent, level: int, shape: Shape) -> None:
        name = node.name.value
        shape.names[node.alias.value if node.alias else name] += 1
        shape.fields += 1
        if node.alias:
            shape.aliases += 1
        if name.startswith("__"):
            return  # introspection: free, and bounded by graphql-core's MaxIntrospectionDepthRule
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        owner = f"{parent.name}.{name}" if parent is not None else name
        child_type = get_named_type(definition.type) if definition else None
        argument_cost, counts = self._arguments(node, definition, owner)
        child = self._selection_set(node.selection_set, child_type, level + 1)
        multiplier = _page_size(node) or counts.get(LIST_ARGUMENT_MULTIPLIER.get(owner)) or LIST_FIELD_MULTIPLIER.get(name, 1)
        shape.cost += 1 + argument_cost + multiplier * child.cost
        shape.fields += child.fields
        shape.aliases += child.aliases
        shape.duplicates = max(shape.duplicates, child.duplicates)
        shape.nesting = max(shape.nesting, child.nesting)
        if node.selection_set is not None:
            shape.depth = max(shape.depth, 1 + child.depth)
        secret = owner in SECRET_FIELDS or (child_type is not None and child_type.name in SECRET_TYPES)
        shape.secrets = shape.secrets or child.secrets or secret

    def _arguments(self, node: FieldNode, definition, owner: str) -> tuple[int, dict[str, int]]:
        cost, counts = 0, {}
        if definition is None:
            return 0, counts
        for argument in node.arguments or ():
            arg_def = definition.args.get(argument.name.value)
            if arg_def is None:
                continue
            location = f"{owner}({argument.name.value})"
            value_cost, count = self._value(argument.value, arg_def.type, location, argument.name.value)
            cost += value_cost
            counts[argument.name.value] = count
        return cost, counts

    def _value(self, value, type_, location: str | None, path: str) -> tuple[int, int]:
        """(cost, element count) of an input value: one per list element, variables at the cap."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            cap = list_cap(location, self.limits.max_list_input)
            if isinstance(value, VariableNode):
                name = value.name.value
                self.variable_caps[name] = min(cap, self.variable_caps.get(name, cap))
                return cap * (1 + self._input_cost(type_.of_type)), cap
            items = value.values if isinstance(value, ListValueNode) else (value,)
            if len(items) > cap:
                self._error(
                    f"`{path}` has {len(items)} items; at most {cap}", value, "LIST_TOO_LONG",
                    field=path, maxItems=cap,
                )
            cost = sum(1 + self._value(item, type_.of_type, None, f"{path}.{i}")[0] for i, item in enumerate(items))
            return cost, len(items)
        if isinstance(type_, GraphQLInputObjectType):
            if isinstance(value, VariableNode):
                return self._input_cost(type_), 1
            if isinstance(value, ObjectValueNode):
                cost = 0
                for item in value.fields:
                    field_def = type_.fields.get(item.name.value)
                    if field_def is not None:
                        where = f"{type_.name}.{item.name.value}"
                        cost += self._value(item.value, field_def.type, where, f"{path}.{item.name.value}")[0]
                return cost, 1
        return 0, 1

    def _input_cost(self, type_) -> int:
        """The most a variable of this input type can cost: every list at its cap."""
        type_ = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(type_, GraphQLList):
            return self.limits.max_list_input * (1 + self._input_cost(type_.of_type))
        if not isinstance(type_, GraphQLInputObjectType):
            return 0
        if type_.name in self._input_cost_memo:
            return self._input_cost_memo[type_.name]
        self._input_cost_memo[type_.name] = 0  # a self-referencing input adds nothing more
        total = 0
        for name, field_def in type_.fields.items():
            inner = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
            if isinstance(inner, GraphQLList):
                cap = list_cap(f"{type_.name}.{name}", self.limits.max_list_input)
                total += cap * (1 + self._input_cost(inner.of_type))
            else:
                total += self._input_cost(inner)
        self._input_cost_memo[type_.name] = total
        return total


def _add(shape: Shape, child: Shape, *, merge_names: bool) -> None:
    shape.depth = max(shape.depth, child.depth)
    shape.aliases += child.aliases
    shape.fields += child.fields
    shape.cost += child.cost
    shape.duplicates = max(shape.duplicates, child.duplicates)
    shape.nesting = max(shape.nesting, child.nesting)
    shape.secrets = shape.secrets or child.secrets
    if merge_names:
        # graphql-core merges one fragment spread once per selection set, however often it repeats.
        shape.names.update(child.names)


def _spreads(selection_set: SelectionSetNode | None) -> list[str]:
    """Names of the fragments spread anywhere inside a selection set (iterative: no recursion)."""
    names, stack = [], [selection_set]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            else:
                stack.append(selection.selection_set)
    return names


def _page_size(node: FieldNode) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
    return None
