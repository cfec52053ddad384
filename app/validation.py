"""Validation in the order that keeps it cheap: our linear limits first, the standard rules after.

The linear pass (app/limits.py) refuses a document that is too deep, too costly or
too large before graphql-core's rules see it: some of those rules are quadratic in the fields
sharing a response name. With introspection off, no error suggests field, argument, type or
enum names ("Did you mean"), which would otherwise leak the schema piece by piece.

Per document, once: both results, and which variables can hold a list, are kept in a bounded
LRU (`DocumentChecks`, 256 documents) keyed by the query *text* with the schema, the rules,
the limits and the suggestion setting. A key is the text, not the parsed DocumentNode:
graphql-core's nodes are frozen dataclasses whose hash walks the whole tree (~30 us for a
small query, on every request); a str caches its own hash. What a document's text decides
never depends on the request, so a hit answers exactly what a fresh analysis would.

Per request: only what depends on the request, the list variables' lengths (LIST_TOO_LONG),
checked for the variables whose type holds a list anywhere (none for most queries).
"""
from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.limits import DocumentLimits, DocumentReport, analyse
from app.list_caps import ListVariable, list_variable_errors, list_variables

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
CACHED_DOCUMENTS = 256
# Longer texts are checked on every request rather than kept: the cache then holds at most
# 256 x 64 KiB of text whatever a client sends (real documents are a few KiB).
MAX_CACHED_TEXT = 64 * 1024


@dataclass(frozen=True)
class DocumentCheck:
    """What validation decided about one document text (shared by every request sending it)."""

    report: DocumentReport
    errors: tuple[GraphQLError, ...]
    list_variables: tuple[ListVariable, ...]  # checked against each request's variables


def check_document(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple, limits: DocumentLimits, hide_suggestions: bool
) -> DocumentCheck:
    """Uncached: the linear limits, then (if they pass) graphql-core's rules."""
    report = analyse(schema, document, limits)
    if report.errors:
        return DocumentCheck(report, tuple(report.errors), ())
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    errors = tuple(validate(schema, document, rules, hide_suggestions=hide_suggestions))
    if errors:
        return DocumentCheck(report, errors, ())
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return DocumentCheck(report, (), list_variables(schema, operations, report.variable_caps, limits.max_list_input))


class DocumentChecks:
    """A bounded LRU of DocumentCheck by (schema, query text, rules, limits, hide_suggestions)."""

    def __init__(self, maxsize: int = CACHED_DOCUMENTS):
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple, DocumentCheck] = OrderedDict()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, schema, text: str | None, document: DocumentNode, rules: tuple, limits: DocumentLimits,
            hide_suggestions: bool) -> DocumentCheck:
        if text is None or len(text) > MAX_CACHED_TEXT:  # (None: handed over already parsed)
            return check_document(schema, document, rules, limits, hide_suggestions)
        key = (schema, text, rules, limits, hide_suggestions)
        found = self._entries.get(key)
        if found is not None:
            self.hits += 1
            try:
                self._entries.move_to_end(key)
            except KeyError:  # evicted meanwhile by another thread's request
                pass
            return found
        self.misses += 1
        found = check_document(schema, document, rules, limits, hide_suggestions)
        self._entries[key] = found
        while len(self._entries) > self.maxsize:
            try:
                self._entries.popitem(last=False)
            except KeyError:
                break
        return found

    def clear(self) -> None:
        self._entries.clear()


DOCUMENT_CHECKS = DocumentChecks()


class GuardedValidation(SchemaExtension):
    def __init__(self, limits: DocumentLimits, hide_suggestions: bool):
        self.limits = limits
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        check = DOCUMENT_CHECKS.get(
            context.schema._schema, context.query, context.graphql_document, context.validation_rules, self.limits,
            self.hide_suggestions,
        )
        errors = list(check.errors)
        if not errors and check.list_variables:
            errors = list_variable_errors(check.list_variables, context.variables, self.limits.max_list_input)
        context.pre_execution_errors = errors
        _mark_secret_response(context.context, check.report)
        yield

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if self.hide_suggestions and result is not None and result.errors:
            # Variable coercion ("Field 'x' is not defined by type ...; Did you mean ...?") runs in
            # execution, where strawberry does not pass hide_suggestions to graphql-core.
            for error in result.errors:
                error.message = _SUGGESTION.sub("", error.message)


def _mark_secret_response(request_context, report: DocumentReport) -> None:
    headers = getattr(request_context, "response_headers", None)
    if report.carries_secrets and headers is not None:
        # Tokens and API keys must not stay in any browser, proxy or CDN cache.
        headers["Cache-Control"] = "no-store"
