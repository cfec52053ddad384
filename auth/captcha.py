"""A hook for a captcha check before a login code is sent (SMS pumping costs real money).

Deployments plug in their provider (Tencent, GeeTest, hCaptcha...) as a `CaptchaVerifier`;
the default accepts every request, so nothing changes until one is configured.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from auth.errors import AuthErrorCode
from core.errors import DomainError


@runtime_checkable
class CaptchaVerifier(Protocol):
    async def verify(self, token: str | None, client_address: str | None) -> bool:
        """True if `token` (None when the client sent none) proves a human at `client_address`."""
        ...


class AcceptAnyCaptcha:
    """The default: no captcha is asked for."""

    async def verify(self, token: str | None, client_address: str | None) -> bool:
        return True


async def require_human(verifier: CaptchaVerifier, token: str | None, client_address: str | None) -> None:
    """Raise DomainError(CAPTCHA_REQUIRED) without a token, CAPTCHA_FAILED with a refused one."""
    token = token or None
    if await verifier.verify(token, client_address):
        return
    if token is None:
        raise DomainError(AuthErrorCode.CAPTCHA_REQUIRED, "solve the captcha and send its captchaToken", "captchaToken")
    raise DomainError(AuthErrorCode.CAPTCHA_FAILED, "the captcha was not solved; try again", "captchaToken")
