"""Typed authentication errors shared by every auth primitive."""

from __future__ import annotations

from enum import StrEnum


class AuthErrorCode(StrEnum):
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_INVALID = "TOKEN_INVALID"
    WRONG_TOKEN_KIND = "WRONG_TOKEN_KIND"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    MOBILE_INVALID = "MOBILE_INVALID"
    PASSWORD_INVALID = "PASSWORD_INVALID"  # rejected by policy (empty / too long)
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    CAPTCHA_REQUIRED = "CAPTCHA_REQUIRED"
    CAPTCHA_FAILED = "CAPTCHA_FAILED"


class AuthError(Exception):
    """An authentication/authorization failure with a machine-readable code.

    ``message`` is safe to show to API clients (it never contains secrets).
    """

    def __init__(self, code: AuthErrorCode, message: str | None = None) -> None:
        self.code = AuthErrorCode(code)
        self.message = message or self.code.value.replace("_", " ").lower()
        super().__init__(f"{self.code.value}: {self.message}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"
