"""Validation in the order that keeps it cheap: our linear limits first, the standard rules after.

The linear pass (app/limits.py) refuses a document that is too deep, too costly or
too large before graphql-core's rules see it: some of those rules are quadratic in the fields
sharing a response name. Both results are cached per parsed document (ParserCache hands back
the same DocumentNode for the same text). List variables are checked per request. With
introspection off, no error suggests field, argument, type or enum names ("Did you mean"),
which would otherwise leak the schema piece by piece.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, GraphQLSchema, OperationDefinitionNode, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.limits import DocumentLimits, DocumentReport, analyse
from app.list_caps import variable_list_errors

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


@lru_cache(maxsize=256)
def _checked(schema: GraphQLSchema, document: DocumentNode, rules: tuple, limits: DocumentLimits, hide_suggestions: bool):
    report = analyse(schema, document, limits)
    if report.errors:
        return report, report.errors
    rules = (*rules, MaybeNullValidationRule, OneOfInputValidationRule)
    return report, validate(schema, document, rules, hide_suggestions=hide_suggestions)


class GuardedValidation(SchemaExtension):
    def __init__(self, limits: DocumentLimits, hide_suggestions: bool):
        self.limits = limits
        self.hide_suggestions = hide_suggestions

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema = context.schema._schema
        document = context.graphql_document
        report, errors = _checked(schema, document, tuple(context.validation_rules), self.limits, self.hide_suggestions)
        if not errors:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            errors = variable_list_errors(schema, operations, context.variables, report.variable_caps, self.limits.max_list_input)
        context.pre_execution_errors = list(errors)
        _mark_secret_response(context.context, report)
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
