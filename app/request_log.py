"""Request ids and logging: quiet for client mistakes, loud (with a traceback and an id) for our own.

* Every HTTP request and WebSocket connection gets a request id (app/front_door.py): a
  well-formed incoming `X-Request-Id` (from our own proxy) is kept, otherwise a fresh one is made.
  It is returned as the `X-Request-Id` response header, attached to every log record written while
  the request runs (`request_id`), and put in the masked GraphQL error's `extensions.requestId`,
  so a client can quote it and an operator can find the traceback.
* GraphQL errors are logged once, by `QiandianSchema.process_errors`: client errors (parse and
  validation errors, refused documents, malformed arguments) at INFO without a traceback;
  anything unexpected at ERROR with the traceback.
* `configure_logging(settings)` installs one root handler, as text or one JSON object per line
  (`QIANDIAN_LOG_FORMAT=json`), both carrying the request id.
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
from datetime import datetime, timezone

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from resolvers.errors import is_client_error

log = logging.getLogger("qiandian.graphql")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("qiandian_request_id", default=None)
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
LOG_FORMATS = ("text", "json")


def new_request_id() -> str:
    # 32 hex digits like uuid4().hex, without building a UUID object on every request.
    return os.urandom(16).hex()


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) to every record that passes a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key in ("event", "mobile", "code"):
            if key in record.__dict__:
                entry[key] = record.__dict__[key]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


# A courier webhook URL carries the account's secret token as its last segment.
_SECRET_PATH = re.compile(r"(/webhooks/couriers/[^/\s?\"]+/)[^/\s?\"]+")


class SecretPathFilter(logging.Filter):
    """Redacts courier webhook tokens from every record (uvicorn's access log prints the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_SECRET_PATH.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str) and "/webhooks/couriers/" in record.msg:
            record.msg = _SECRET_PATH.sub(r"\1***", record.msg)
        return True


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """One stderr handler on the root logger (replacing earlier ones); uvicorn's loggers propagate to it."""
    if log_format not in LOG_FORMATS:
        raise RuntimeError(f"QIANDIAN_LOG_FORMAT is {log_format!r}; use one of {', '.join(LOG_FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(SecretPathFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def log_graphql_errors(errors: list[GraphQLError]) -> None:
    for error in errors:
        original = error.original_error
        if is_client_error(error):
            # The client's own mistake: worth a line for whoever debugs the client, never a traceback.
            log.info("client error: %s", error.message)
        else:
            log.error("unexpected error (request %s): %s", request_id_var.get() or "-", error.message,
                      exc_info=(type(original), original, original.__traceback__) if original else None)


class QiandianSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        log_graphql_errors(errors)


class RequestIdMaskErrors(MaskErrors):
    """"Unexpected error." for anything that is not a client error, with the request id to quote."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_client_error(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id_var.get()}
        return masked
