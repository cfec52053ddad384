"""The payment providers this deployment runs, by name, and which of them each tenant uses.

The registry is built once per process (app/services.py) from the settings: the
sandbox is in it in development, and in production only when QIANDIAN_SANDBOX_PAYMENTS is
on. A provider that is not in the registry does not exist for this process: its callback
URL answers 404 and no payment can be started with it.

A tenant picks among the registered providers with `tenant.payment_providers`, a
comma-separated list of names whose first entry is the tenant's default; NULL means every
registered provider, the first registered being the default. Names a tenant lists that
this deployment does not run are skipped.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.settings import Settings
from payments.errors import PaymentErrorCode
from payments.provider import PaymentProvider, SandboxProvider
from store_network.models import Tenant


class PaymentProviders:
    def __init__(self, providers: Iterable[PaymentProvider]):
        self._by_name: dict[str, PaymentProvider] = {}
        for provider in providers:
            if provider.name in self._by_name:
                raise ValueError(f"payment provider {provider.name} registered twice")
            self._by_name[provider.name] = provider

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def get(self, name: str) -> PaymentProvider | None:
        return self._by_name.get(name)

    def for_url(self, segment: str) -> PaymentProvider | None:
        """The provider whose callback URL is /payments/<segment>/callback (its name in lower case)."""
        provider = self._by_name.get(segment.upper())
        return provider if provider is not None and provider.name.lower() == segment else None

    def enabled(self, tenant_choice: str | None) -> list[str]:
        """The providers a tenant may use, its default first."""
        if tenant_choice is None:
            return list(self._by_name)
        wanted = [name.strip().upper() for name in tenant_choice.split(",") if name.strip()]
        return [name for name in dict.fromkeys(wanted) if name in self._by_name]


def build_payment_providers(settings: Settings, database=None, box=None) -> PaymentProviders:
    providers: list[PaymentProvider] = []
    if settings.sandbox_enabled:
        providers.append(SandboxProvider(settings.payment_callback_secret, settings.payment_callback_tolerance_s))
    if settings.remote_payment_providers:
        # Real providers read each brand's sealed merchant account (payments.merchants).
        from core.secret_box import SecretBox
        from payments.merchants import MerchantStore

        merchants = MerchantStore(database, box or SecretBox(settings.secret_key, settings.previous_secret_keys))
        for name in settings.remote_payment_providers:
            providers.append(_remote_provider(name, merchants, settings))
    return PaymentProviders(providers)


def _remote_provider(name: str, merchants, settings: Settings) -> PaymentProvider:
    if name == "WECHATPAY":
        from payments.wechatpay_provider import WeChatPayProvider

        return WeChatPayProvider(merchants, timeout_s=settings.payment_http_timeout_s, production=settings.is_production)
    if name == "ALIPAY":
        from payments.alipay_provider import AlipayProvider

        return AlipayProvider(merchants, timeout_s=settings.payment_http_timeout_s, production=settings.is_production)
    raise ValueError(f"QIANDIAN_PAYMENT_PROVIDERS: unknown provider {name!r} (WECHATPAY, ALIPAY)")


async def choose_provider(
    session: AsyncSession, providers: PaymentProviders, tenant_id: int, requested: str | None
) -> PaymentProvider:
    """The provider a new payment of this tenant goes through: the one asked for if the
    tenant has it enabled, else the tenant's default."""
    choice = await session.scalar(select(Tenant.payment_providers).where(Tenant.id == tenant_id))
    enabled = providers.enabled(choice)
    if requested is not None:
        name = requested.strip().upper()
        if name not in enabled:
            raise DomainError(
                PaymentErrorCode.PROVIDER_NOT_AVAILABLE,
                f"this store does not take {requested[:32]!r}; it takes {', '.join(enabled) or 'no online payment'}",
                "provider",
            )
        return providers.get(name)
    if not enabled:
        raise DomainError(PaymentErrorCode.PROVIDER_NOT_AVAILABLE, "this store takes no online payment", "provider")
    return providers.get(enabled[0])


async def set_tenant_providers(session: AsyncSession, tenant_id: int, names: list[str] | None) -> None:
    """Choose the tenant's providers, default first (None: every provider the deployment runs)."""
    value = None if names is None else ",".join(name.strip().upper() for name in names)
    if value is not None and (not all(name.strip() for name in names) or len(value) > 200):
        raise ValueError("provider names must be non-empty and fit 200 characters together")
    await session.execute(update(Tenant).where(Tenant.id == tenant_id).values(payment_providers=value))
