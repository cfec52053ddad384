"""Settings read once from environment variables.

Every knob has a development default so `qiandian serve` works on a fresh clone;
production deployments set QIANDIAN_ENV=production (or staging, which behaves the same),
which turns GraphiQL and introspection off and refuses to start with any development
secret. An unknown QIANDIAN_ENV is an error: a typo must not fall back to development.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from core.client_address import Network, parse_networks

DEV_SECRET = "dev-only-secret-change-me-in-production-0123456789"
DEV_PAYMENT_SECRET = "dev-sandbox-payment-secret"
MIN_SECRET_LENGTH = 32
DEVELOPMENT_ENVIRONMENTS = ("development", "test")
PRODUCTION_ENVIRONMENTS = ("staging", "production")
ENVIRONMENTS = DEVELOPMENT_ENVIRONMENTS + PRODUCTION_ENVIRONMENTS
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_NAMESPACE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


def _pairs(name: str, value_type: type) -> dict:
    """"a=1,b=2" -> {"a": value_type("1"), ...}; an empty or missing variable is {}."""
    out = {}
    for item in (os.environ.get(name) or "").split(","):
        if item.strip():
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise RuntimeError(f"{name}: expected key=value pairs separated by commas, got {item!r}")
            out[key.strip()] = value_type(value.strip())
    return out


def default_database_url() -> str:
    return f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'qiandian.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        url = "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = field(default_factory=default_database_url)
    secret_key: str = DEV_SECRET
    graphiql: bool = True
    introspection: bool = True
    # GraphQL hardening: on by default, tuned so real storefront pages pass.
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_query_cost: int = 20000
    max_query_fields: int = 2000  # fields after expanding fragment spreads (app/limits.py)
    max_body_bytes: int = 256 * 1024
    max_list_input: int = 100
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600
    login_code_ttl_s: int = 5 * 60
    unpaid_order_ttl_s: int = 15 * 60
    sweeper_interval_s: int = 30
    payment_callback_secret: str = DEV_PAYMENT_SECRET
    payment_callback_tolerance_s: int = 300
    # The sandbox payment provider (callback, simulator). None: on in development, off in
    # production; True in production only for a staging-like deployment paid with fake money.
    sandbox_payments: bool | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    sql_echo: bool = False
    anonymous_cache_ttl_ms: int = 1000
    # Background dispatch: seconds between engine runs per city partition (0 = off; load_settings defaults to 30).
    dispatch_interval_s: int = 0
    rider_position_interval_ms: int = 2000  # one position batch per rider per this long
    # Login codes sent per client address and per brand in a fixed window (0 = no budget).
    sms_budget_per_client: int = 30
    sms_budget_per_client_window_s: int = 3600
    sms_budget_per_brand: int = 2000
    sms_budget_per_brand_window_s: int = 3600
    # Comma-separated addresses/CIDRs of our own reverse proxies; X-Forwarded-For is believed only from them.
    trusted_proxies: str = ""

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def sms_budgets(self):
        from auth.sms_budgets import SmsBudgets  # local: core does not depend on auth at import time

        return SmsBudgets(
            per_client=self.sms_budget_per_client,
            per_client_window=timedelta(seconds=self.sms_budget_per_client_window_s),
            per_brand=self.sms_budget_per_brand,
            per_brand_window=timedelta(seconds=self.sms_budget_per_brand_window_s),
        )

    def __post_init__(self) -> None:
        # Checked on construction, so no code path can build (and serve with) unsafe settings.
        self.validate()
    # Road distance = straight line x detour factor, per city where calibrated (geo.distance).
    detour_factor: float = 1.3
    detour_factor_by_city: dict[str, float] = field(default_factory=dict)
    # Courier partner adapter per tenant id, by registered name (delivery.board.courier); others: record-only.
    courier_by_tenant: dict[int, str] = field(default_factory=dict)
    # Old server keys that may still open credentials sealed before a key change (core.secret_box).
    previous_secret_keys: tuple[str, ...] = ()
    # --- Courier partners (delivery.couriers, issue 11) ---
    # Partner API base URL overrides by provider (sandbox hosts, the local partner simulator).
    courier_base_urls: dict[str, str] = field(default_factory=dict)
    # This API's public base URL, for the callback URLs handed to partners at create.
    courier_callback_base_url: str = "http://127.0.0.1:8000"
    # Signed callback timestamps older/newer than this are refused (replay window).
    courier_callback_max_age_s: int = 900
    # Non-final deliveries with no news for this long are re-queried (reconciliation); 0 = off.
    courier_reconcile_after_s: int = 600
    # How often the courier loop runs (book hand-offs, cascade, reconcile, poll rider positions);
    # 0 = off. Off unless configured (load_settings: 15), so Settings() in tests calls no partner.
    courier_loop_interval_s: int = 0
    # --- Front door (issue 18): logs, tracking namespace ---
    log_format: str = "text"  # "text" or "json" (one object per line); app.request_log
    # Prefix of live-tracking Redis channels, so deployments sharing one Redis never see each
    # other's events. None: derived from a hash of the database URL (tracking_namespace).
    deployment_namespace: str | None = None
    # A STORE_PICKUP checkout without a slot while the store is closed: on (default), the customer
    # collects after opening; off, it is STORE_UNAVAILABLE (field slotId) and a pickup slot is needed.
    pickup_when_closed: bool = True

    @property
    def tracking_namespace(self) -> str:
        if self.deployment_namespace:
            return self.deployment_namespace
        import hashlib

        return hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
    # Store systems (webhooks/, store_sync/): outbound webhook dispatch and POS/ERP bulk sync.
    webhook_timeout_s: float = 5.0  # per delivery request
    webhook_batch: int = 100  # events per endpoint per dispatcher round
    webhook_lease_s: int = 60  # how long a dispatcher holds an endpoint; a dead one's lease expires after this
    webhook_retry_base_s: float = 10.0  # first retry after ~this, doubling per failure (with jitter)
    webhook_retry_cap_s: float = 3600.0
    webhook_max_failures: int = 8  # failures in a row before the endpoint is disabled (brand told)
    webhook_concurrency: int = 10  # requests in flight per endpoint; one aggregate's events always go one at a time
    sync_max_body_bytes: int = 8 * 1024 * 1024  # POST /pos/stores/{id}/stock|prices|listing files (CSV/JSON)
    # --- Store systems gaps (issue 16 follow-up): voucher guess budget ---
    voucher_guess_limit: int = 30  # voucher redemption attempts per store per window (wrong codes count)
    voucher_guess_window_s: int = 600
    # --- Real payment providers and after-sales (payments/wechatpay*, payments/alipay*, issue 20) ---
    # Which remote providers this process runs (merchant accounts per brand: paymentMerchantSet).
    remote_payment_providers: tuple[str, ...] = ()
    payment_http_timeout_s: float = 10.0
    payment_reconcile_after_s: int = 300  # PENDING payments this old are queried (callback never came)
    after_sales_auto_confirm_s: int = 7 * 24 * 3600  # receipt confirmed automatically this long after handover
    # --- Product media (media/, issue 12 item 4) ---
    media_storage: str = "local"  # "local" (files under media_dir, served at /media/{key}) or "s3"
    media_dir: str = ""  # "" = var/media in the project
    media_public_base_url: str = ""  # prefix of image URLs handed out; "" = relative /media/{key} (local) or endpoint/bucket (s3)
    media_upload_enabled: bool | None = None  # POST /media/upload; None = only with local storage
    media_max_upload_bytes: int = 5 * 1024 * 1024
    s3_endpoint: str = ""  # e.g. https://oss-cn-hangzhou.aliyuncs.com (path-style PUT)
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""

    @property
    def media_root(self) -> Path:
        return Path(self.media_dir) if self.media_dir else PROJECT_ROOT / "var" / "media"

    @property
    def media_upload_allowed(self) -> bool:
        return self.media_storage == "local" if self.media_upload_enabled is None else self.media_upload_enabled

    @property
    def is_production(self) -> bool:
        return self.environment in PRODUCTION_ENVIRONMENTS

    @property
    def sandbox_enabled(self) -> bool:
        return (not self.is_production) if self.sandbox_payments is None else self.sandbox_payments

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def validate(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise RuntimeError(f"QIANDIAN_ENV is {self.environment!r}; use one of {', '.join(ENVIRONMENTS)}")
        if self.is_production and self.secret_key == DEV_SECRET:
            raise RuntimeError("QIANDIAN_SECRET_KEY must be set in production")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise RuntimeError(f"QIANDIAN_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        if self.is_production:
            # Anyone who knows the development secret (it is in the source) could sign a
            # payment callback and mark orders PAID.
            if self.payment_callback_secret in (DEV_PAYMENT_SECRET, DEV_SECRET, ""):
                raise RuntimeError("QIANDIAN_PAYMENT_SECRET must be set in production")
            if len(self.payment_callback_secret) < MIN_SECRET_LENGTH:
                raise RuntimeError(f"QIANDIAN_PAYMENT_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if self.media_storage not in ("local", "s3"):
            raise RuntimeError(f"QIANDIAN_MEDIA_STORAGE is {self.media_storage!r}; use local or s3")
        if self.media_storage == "s3":
            if not self.s3_endpoint.startswith(("https://", "http://")) or not self.s3_bucket:
                raise RuntimeError("QIANDIAN_S3_ENDPOINT (http(s)://...) and QIANDIAN_S3_BUCKET must be set for s3 media storage")
            if self.is_production and not (self.s3_access_key and self.s3_secret_key):
                raise RuntimeError("QIANDIAN_S3_ACCESS_KEY and QIANDIAN_S3_SECRET_KEY must be set in production")
        if self.log_format not in ("text", "json"):
            raise RuntimeError(f"QIANDIAN_LOG_FORMAT is {self.log_format!r}; use text or json")
        if self.deployment_namespace is not None and not _NAMESPACE.match(self.deployment_namespace):
            raise RuntimeError("QIANDIAN_DEPLOYMENT_NAMESPACE: 1-64 letters, digits, '.', '_' or '-'")
        try:
            parse_networks(self.trusted_proxies)
        except ValueError as exc:
            raise RuntimeError(f"QIANDIAN_TRUSTED_PROXIES: {exc}") from exc


def load_settings() -> Settings:
    env = os.environ.get("QIANDIAN_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"QIANDIAN_ENV is {env!r}; use one of {', '.join(ENVIRONMENTS)}")
    production = env in PRODUCTION_ENVIRONMENTS
    settings = Settings(
        environment=env,
        database_url=normalise_database_url(os.environ.get("DATABASE_URL") or default_database_url()),
        secret_key=os.environ.get("QIANDIAN_SECRET_KEY", DEV_SECRET),
        graphiql=_bool("QIANDIAN_GRAPHIQL", not production),
        introspection=_bool("QIANDIAN_INTROSPECTION", not production),
        max_query_depth=_int("QIANDIAN_MAX_QUERY_DEPTH", 12),
        max_aliases=_int("QIANDIAN_MAX_ALIASES", 30),
        max_tokens=_int("QIANDIAN_MAX_TOKENS", 4000),
        max_query_cost=_int("QIANDIAN_MAX_QUERY_COST", 20000),
        max_query_fields=_int("QIANDIAN_MAX_QUERY_FIELDS", 2000),
        unpaid_order_ttl_s=_int("QIANDIAN_UNPAID_ORDER_TTL_S", 15 * 60),
        sweeper_interval_s=_int("QIANDIAN_SWEEPER_INTERVAL_S", 30),
        payment_callback_secret=os.environ.get("QIANDIAN_PAYMENT_SECRET", DEV_PAYMENT_SECRET),
        sandbox_payments=_bool("QIANDIAN_SANDBOX_PAYMENTS", not production),
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        sql_echo=_bool("QIANDIAN_SQL_ECHO", False),
        anonymous_cache_ttl_ms=_int("QIANDIAN_ANONYMOUS_CACHE_TTL_MS", 1000),
        dispatch_interval_s=_int("QIANDIAN_DISPATCH_INTERVAL_S", 30),
        rider_position_interval_ms=_int("QIANDIAN_RIDER_POSITION_INTERVAL_MS", 2000),
        sms_budget_per_client=_int("QIANDIAN_SMS_BUDGET_PER_CLIENT", 30),
        sms_budget_per_client_window_s=_int("QIANDIAN_SMS_BUDGET_PER_CLIENT_WINDOW_S", 3600),
        sms_budget_per_brand=_int("QIANDIAN_SMS_BUDGET_PER_BRAND", 2000),
        sms_budget_per_brand_window_s=_int("QIANDIAN_SMS_BUDGET_PER_BRAND_WINDOW_S", 3600),
        trusted_proxies=os.environ.get("QIANDIAN_TRUSTED_PROXIES", ""),
        detour_factor=float(os.environ.get("QIANDIAN_DETOUR_FACTOR") or 1.3),
        detour_factor_by_city=_pairs("QIANDIAN_DETOUR_FACTORS", float),  # e.g. "上海=1.25,杭州=1.35"
        courier_by_tenant={int(k): v for k, v in _pairs("QIANDIAN_COURIER_BY_TENANT", str).items()},  # e.g. "12=dada"
        log_format=(os.environ.get("QIANDIAN_LOG_FORMAT") or "text").strip().lower(),
        pickup_when_closed=_bool("QIANDIAN_PICKUP_WHEN_CLOSED", True),
        deployment_namespace=(os.environ.get("QIANDIAN_DEPLOYMENT_NAMESPACE") or "").strip() or None,
        webhook_timeout_s=float(os.environ.get("QIANDIAN_WEBHOOK_TIMEOUT_S") or 5.0),
        webhook_batch=_int("QIANDIAN_WEBHOOK_BATCH", 100),
        webhook_lease_s=_int("QIANDIAN_WEBHOOK_LEASE_S", 60),
        webhook_retry_base_s=float(os.environ.get("QIANDIAN_WEBHOOK_RETRY_BASE_S") or 10.0),
        webhook_retry_cap_s=float(os.environ.get("QIANDIAN_WEBHOOK_RETRY_CAP_S") or 3600.0),
        webhook_max_failures=_int("QIANDIAN_WEBHOOK_MAX_FAILURES", 8),
        webhook_concurrency=_int("QIANDIAN_WEBHOOK_CONCURRENCY", 10),
        sync_max_body_bytes=_int("QIANDIAN_SYNC_MAX_BODY_BYTES", 8 * 1024 * 1024),
        voucher_guess_limit=_int("QIANDIAN_VOUCHER_GUESS_LIMIT", 30),
        voucher_guess_window_s=_int("QIANDIAN_VOUCHER_GUESS_WINDOW_S", 600),
        previous_secret_keys=tuple(k.strip() for k in (os.environ.get("QIANDIAN_PREVIOUS_SECRET_KEYS") or "").split(",") if k.strip()),
        # Courier partners (delivery.couriers)
        courier_base_urls=_pairs("QIANDIAN_COURIER_BASE_URLS", str),  # e.g. "dada=http://127.0.0.1:8700/dada"
        courier_callback_base_url=os.environ.get("QIANDIAN_COURIER_CALLBACK_BASE_URL", "http://127.0.0.1:8000"),
        courier_callback_max_age_s=_int("QIANDIAN_COURIER_CALLBACK_MAX_AGE_S", 900),
        courier_reconcile_after_s=_int("QIANDIAN_COURIER_RECONCILE_AFTER_S", 600),
        courier_loop_interval_s=_int("QIANDIAN_COURIER_LOOP_INTERVAL_S", 15),
        # Real payment providers (issue 20)
        remote_payment_providers=tuple(k.strip().upper() for k in (os.environ.get("QIANDIAN_PAYMENT_PROVIDERS") or "").split(",") if k.strip()),
        payment_http_timeout_s=float(os.environ.get("QIANDIAN_PAYMENT_HTTP_TIMEOUT_S") or 10),
        payment_reconcile_after_s=_int("QIANDIAN_PAYMENT_RECONCILE_AFTER_S", 300),
        after_sales_auto_confirm_s=_int("QIANDIAN_AFTER_SALES_AUTO_CONFIRM_S", 7 * 24 * 3600),
        # Product media (media/)
        media_storage=(os.environ.get("QIANDIAN_MEDIA_STORAGE") or "local").strip().lower(),
        media_dir=os.environ.get("QIANDIAN_MEDIA_DIR", ""),
        media_public_base_url=os.environ.get("QIANDIAN_MEDIA_PUBLIC_BASE_URL", ""),
        media_upload_enabled=_bool("QIANDIAN_MEDIA_UPLOAD", False) if os.environ.get("QIANDIAN_MEDIA_UPLOAD") else None,
        media_max_upload_bytes=_int("QIANDIAN_MEDIA_MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        s3_endpoint=os.environ.get("QIANDIAN_S3_ENDPOINT", ""),
        s3_bucket=os.environ.get("QIANDIAN_S3_BUCKET", ""),
        s3_region=os.environ.get("QIANDIAN_S3_REGION", "us-east-1"),
        s3_access_key=os.environ.get("QIANDIAN_S3_ACCESS_KEY", ""),
        s3_secret_key=os.environ.get("QIANDIAN_S3_SECRET_KEY", ""),
    )
    return settings  # validated on construction
