"""SMS delivery of login codes. Real providers implement ``SmsSender``."""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

_log = logging.getLogger(__name__)


@runtime_checkable
class SmsSender(Protocol):
    async def send_login_code(self, mobile: str, code: str) -> None: ...


class LoggingSmsSender:
    """Development only: writes the code to the log instead of sending an SMS."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or _log

    async def send_login_code(self, mobile: str, code: str) -> None:
        # Its own marked line, easy to find (grep 'DEV LOGIN CODE') in an otherwise quiet log.
        self._logger.warning("=== DEV LOGIN CODE === %s: %s (development SMS sender; no SMS was sent)", mobile, code,
                             extra={"event": "dev_login_code", "mobile": mobile, "code": code})


class MemorySmsSender:
    """Tests: remembers every send and the last code per mobile."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self._last: dict[str, str] = {}

    async def send_login_code(self, mobile: str, code: str) -> None:
        self.sent.append((mobile, code))
        self._last[mobile] = code

    def last_code(self, mobile: str) -> str | None:
        return self._last.get(mobile)
