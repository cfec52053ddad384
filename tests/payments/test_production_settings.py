"""Production refuses to start with secrets anyone can read in the source, and does not
mount the sandbox payment provider unless told to (hardening issue, item 1)."""
from __future__ import annotations

import time

import httpx
import pytest

from core.settings import DEV_PAYMENT_SECRET, DEV_SECRET, Settings, load_settings
from payments.provider import CallbackEvent, SandboxProvider
from app.services import build_services

STRONG = "s" * 40
STRONG_PAYMENT = "p" * 40


def production(**overrides) -> Settings:
    values = {"environment": "production", "secret_key": STRONG, "payment_callback_secret": STRONG_PAYMENT}
    values.update(overrides)
    return Settings(**values)


@pytest.mark.parametrize("environment", ["production", "staging"])
@pytest.mark.parametrize("secret", [DEV_PAYMENT_SECRET, DEV_SECRET, "", "x" * 31])
def test_production_refuses_a_default_or_short_payment_secret(environment, secret):
    with pytest.raises(RuntimeError, match="QIANDIAN_PAYMENT_SECRET"):
        production(environment=environment, payment_callback_secret=secret)


def test_production_from_the_environment_needs_the_payment_secret(monkeypatch):
    monkeypatch.setenv("QIANDIAN_ENV", "production")
    monkeypatch.setenv("QIANDIAN_SECRET_KEY", STRONG)
    monkeypatch.delenv("QIANDIAN_PAYMENT_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="QIANDIAN_PAYMENT_SECRET must be set"):
        load_settings()
    monkeypatch.setenv("QIANDIAN_PAYMENT_SECRET", STRONG_PAYMENT)
    settings = load_settings()
    assert settings.is_production and not settings.sandbox_enabled


def test_production_still_needs_its_own_secret_key():
    with pytest.raises(RuntimeError, match="QIANDIAN_SECRET_KEY"):
        production(secret_key=DEV_SECRET)


@pytest.mark.parametrize("value", ["prod", "Production-EU", "dev", ""])
def test_an_unknown_environment_is_an_error_naming_the_allowed_ones(monkeypatch, value):
    monkeypatch.setenv("QIANDIAN_ENV", value)
    with pytest.raises(RuntimeError, match="development, test, staging, production"):
        load_settings()
    with pytest.raises(RuntimeError, match="development, test, staging, production"):
        Settings(environment=value)


def test_development_and_test_keep_their_defaults(monkeypatch):
    for value in ("development", "test"):
        monkeypatch.setenv("QIANDIAN_ENV", value)
        monkeypatch.delenv("QIANDIAN_PAYMENT_SECRET", raising=False)
        monkeypatch.delenv("QIANDIAN_SANDBOX_PAYMENTS", raising=False)
        settings = load_settings()
        assert not settings.is_production and settings.sandbox_enabled
        assert settings.payment_callback_secret == DEV_PAYMENT_SECRET


def test_staging_behaves_like_production():
    staging = production(environment="staging")
    assert staging.is_production and not staging.sandbox_enabled


async def _post_sandbox(settings: Settings, path: str) -> httpx.Response:
    from asgi import create_app

    app = create_app(settings, build_services(settings))
    sandbox = SandboxProvider(settings.payment_callback_secret)
    body, signature = sandbox.signed_callback(CallbackEvent("evt-prod", "no-such-ref", "SUCCEEDED", 1), int(time.time()))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            if path.endswith("simulate"):
                return await http.post(path, json={"providerRef": "no-such-ref", "amountFen": 1})
            return await http.post(path, content=body, headers={"Qiandian-Signature": signature})
    finally:
        await app.state.services.database.dispose()


@pytest.mark.parametrize("path", ["/payments/sandbox/callback", "/payments/sandbox/simulate"])
async def test_production_app_has_no_sandbox_routes(path, database_url):
    response = await _post_sandbox(production(database_url=database_url), path)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/payments/sandbox/callback", "/payments/sandbox/simulate"])
async def test_the_sandbox_can_be_enabled_in_production_explicitly(path, database_url):
    response = await _post_sandbox(production(database_url=database_url, sandbox_payments=True), path)
    assert response.status_code == 200
    assert response.json()["outcome"] == "UNKNOWN_PAYMENT"
