"""Process-wide services the resolvers share (built once in asgi.create_app)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from auth.captcha import AcceptAnyCaptcha, CaptchaVerifier
from auth.sms import LoggingSmsSender, SmsSender
from auth.tokens import TokenSigner
from core.secret_box import SecretBox
from core.settings import Settings
from db.session import Database
from delivery import tracking
from delivery.board.courier import CourierRegistry
from delivery.couriers.service import CourierPartners
from delivery.tracking import TrackingHub
from events.wiring import register_listeners
from geo import zone_lookup
from media.storage import MediaStorage, storage_from_settings
from geo.distance import DetourFactorDistance, RoadDistanceProvider
from payments.registry import PaymentProviders, build_payment_providers
from store_network.models import Tenant
from vouchers import codes as voucher_codes


@dataclass
class Services:
    settings: Settings
    database: Database
    signer: TokenSigner
    sms: SmsSender
    payments: PaymentProviders  # every payment provider this process runs, by name
    code_pepper: bytes
    tracking: TrackingHub | None = None  # live tracking events (Redis pub/sub, in-process fallback)
    captcha: CaptchaVerifier = field(default_factory=AcceptAnyCaptcha)  # asked before a login code is sent
    # Non-payment providers. Couriers: adapters by name, one per tenant (delivery.board.courier).
    # Road distance: the one provider fees, ETAs, slots, nearbyStores and dispatch read
    # (installed as geo.zone_lookup.ROAD_DISTANCE, where domain code reads it per call).
    couriers: CourierRegistry = field(default_factory=CourierRegistry)
    road: RoadDistanceProvider = field(default_factory=DetourFactorDistance)
    # Seals and opens partner credentials stored in the database (courier, payment merchants).
    secret_box: SecretBox | None = None
    # Courier partner adapters' transport, base URLs and callback settings (delivery.couriers).
    courier_partners: CourierPartners | None = None
    # Where uploaded product images go (media.storage: local disk or an S3-compatible bucket).
    media: MediaStorage | None = None
    _tenant_ids: dict[str, int] = field(default_factory=dict)

    async def tenant_id_for_slug(self, slug: str) -> int | None:
        # Slugs never change, so a per-process cache is safe and saves a query per anonymous request.
        cached = self._tenant_ids.get(slug)
        if cached is not None:
            return cached
        async with self.database.read() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        if tenant_id is not None:
            self._tenant_ids[slug] = tenant_id
        return tenant_id


def road_from_settings(settings: Settings) -> RoadDistanceProvider:
    return DetourFactorDistance(settings.detour_factor, dict(settings.detour_factor_by_city))


def couriers_from_settings(settings: Settings) -> CourierRegistry:
    """The registry with the adapters this build knows and each configured tenant's choice.
    Tenants not named go through their stores' courier policy (delivery.couriers.policy),
    which records the hand-off only, like record-only, until a policy enables partners."""
    from delivery.couriers.policy import PolicyCourier

    registry = CourierRegistry(settings.courier_by_tenant, adapters=(PolicyCourier(),))
    registry.set_default(PolicyCourier.name)
    return registry


def build_services(
    settings: Settings, database: Database | None = None, sms: SmsSender | None = None, captcha: CaptchaVerifier | None = None
) -> Services:
    secret = settings.secret_key
    road = road_from_settings(settings)
    zone_lookup.use_road_provider(road)
    register_listeners()  # domain events (events.wiring); idempotent
    voucher_codes.use_secret(secret, settings.previous_secret_keys)  # voucher code digests, sealed codes, QR signatures
    database = database or Database(settings.database_url, echo=settings.sql_echo)
    box = SecretBox(secret, settings.previous_secret_keys)
    hub = TrackingHub(settings.redis_url, namespace=settings.tracking_namespace)  # per deployment on a shared Redis
    # Order transitions queue their tracking messages in the transaction; they leave after it commits.
    database.set_commit_hook(tracking.TOPIC, hub.publish_many)
    return Services(
        settings=settings,
        database=database,
        signer=TokenSigner(
            secret,
            issuer="qiandian",
            access_ttl=timedelta(seconds=settings.access_token_ttl_s),
            refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_s),
        ),
        sms=sms or LoggingSmsSender(),
        payments=build_payment_providers(settings, database, box),
        code_pepper=hashlib.sha256(("login-code:" + secret).encode()).digest(),
        tracking=hub,
        captcha=captcha or AcceptAnyCaptcha(),
        couriers=couriers_from_settings(settings),
        road=road,
        secret_box=box,
        courier_partners=CourierPartners(
            box, base_urls=dict(settings.courier_base_urls),
            callback_base_url=settings.courier_callback_base_url, max_age_s=settings.courier_callback_max_age_s),
        media=storage_from_settings(settings),
    )
