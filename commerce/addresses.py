"""A customer's address book: create, edit, delete their own delivery addresses.

Coordinates arrive in the map SDK's system and are stored as WGS-84 (geo.coordinates);
mobile numbers are normalised like login numbers. Orders keep their own copy of the
address, so editing or deleting one never rewrites an order. Another customer's address,
or another brand's, is NOT_FOUND.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import AuthError
from auth.one_time_codes import normalize_mobile
from auth.roles import Principal, PrincipalKind
from auth.service import AccountErrorCode as Codes
from commerce.models import Address
from core.errors import DomainError
from geo.coordinates import CoordinateSystem, LonLat, check_lon_lat, to_wgs84
from geo.errors import GeoInputError

MAX_TEXT = 400
MAX_LABEL = 50


@dataclass
class AddressInput:
    """A create's fields, or an update's (None = unchanged; longitude and latitude together)."""

    label: str | None = None
    recipient: str | None = None
    mobile: str | None = None
    line: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    system: CoordinateSystem = CoordinateSystem.GCJ02


async def address_point(session: AsyncSession, principal: Principal, address_id: int, field: str = "addressId") -> LonLat:
    """The WGS-84 point of the signed-in customer's own saved address: what every query
    that takes `addressId` instead of a location (deliveryOptions, servingStore,
    deliverySlots) resolves it to. UNAUTHENTICATED for anyone but a customer, NOT_FOUND for
    another customer's or brand's address; both on `field`."""
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer to use a saved address", field)
    row = (
        await session.execute(
            select(Address.lon, Address.lat).where(
                Address.id == address_id, Address.tenant_id == principal.tenant_id, Address.customer_id == principal.customer_id
            )
        )
    ).first()
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "address not found", field)
    return LonLat(row.lon, row.lat)


def _customer(principal: Principal) -> None:
    if principal.kind is not PrincipalKind.CUSTOMER:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer first", None)


async def create_address(session: AsyncSession, principal: Principal, data: AddressInput) -> Address:
    _customer(principal)
    for name in ("recipient", "mobile", "line", "longitude", "latitude"):
        if getattr(data, name) is None:
            raise DomainError(Codes.REQUIRED, f"{name} is required", name)
    address = Address(tenant_id=principal.tenant_id, customer_id=principal.customer_id, label="")
    _apply(address, data)
    session.add(address)
    await session.flush()
    return address


async def update_address(session: AsyncSession, principal: Principal, address_id: int, data: AddressInput) -> Address:
    _customer(principal)
    address = await session.scalar(
        select(Address).where(
            Address.id == address_id, Address.customer_id == principal.customer_id, Address.tenant_id == principal.tenant_id
        )
    )
    if address is None:
        raise DomainError(Codes.NOT_FOUND, "address not found", "id")
    _apply(address, data)
    await session.flush()
    return address


async def delete_address(session: AsyncSession, principal: Principal, address_id: int) -> None:
    _customer(principal)
    deleted = await session.execute(
        delete(Address).where(
            Address.id == address_id, Address.customer_id == principal.customer_id, Address.tenant_id == principal.tenant_id
        )
    )
    if deleted.rowcount != 1:
        raise DomainError(Codes.NOT_FOUND, "address not found", "id")


def _apply(address: Address, data: AddressInput) -> None:
    for name in ("recipient", "line"):
        value = getattr(data, name)
        if value is None:
            continue
        value = value.strip()
        if not value:
            raise DomainError(Codes.REQUIRED, f"{name} is required", name)
        if len(value) > MAX_TEXT:
            raise DomainError(Codes.INVALID, f"{name} is longer than {MAX_TEXT} characters", name)
        setattr(address, name, value)
    if data.label is not None:
        address.label = data.label.strip()[:MAX_LABEL]
    if data.mobile is not None:
        try:
            address.mobile = normalize_mobile(data.mobile)
        except AuthError as exc:
            raise DomainError(Codes.MOBILE_INVALID, exc.message, "mobile") from None
    if (data.longitude is None) != (data.latitude is None):
        raise DomainError(Codes.REQUIRED, "send longitude and latitude together", "latitude" if data.latitude is None else "longitude")
    if data.longitude is not None:
        try:
            check_lon_lat(data.longitude, data.latitude)
            point = to_wgs84(LonLat(data.longitude, data.latitude), data.system)
        except GeoInputError as exc:
            field = {"lon": "longitude", "lat": "latitude"}.get(exc.field or "", exc.field)
            raise DomainError(Codes.INVALID, exc.message, field) from None
        address.lon, address.lat = point.lon, point.lat
