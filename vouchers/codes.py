"""Voucher codes: short codes people can read out, their lookup digest, and the signed QR payload.

A code is 12 characters from a 31-letter alphabet without look-alikes (0/O, 1/I/L): about 59
bits, shown as XXXX-XXXX-XXXX. The database keeps an HMAC of it (for lookup) and a sealed copy
(to show the owner again), never the code itself. The QR payload carries the code signed with
a key derived from the server key, so a scanner's input cannot be forged or altered.
The keys are installed once at start-up from the server key (app.services.build_services).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

from core.secret_box import SecretBox

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12
QR_PREFIX = "QDV1."


class _Keys:
    digest: bytes = b""
    qr: bytes = b""
    box: SecretBox | None = None


_KEYS = _Keys()


def use_secret(server_key: str, previous_keys: tuple[str, ...] = ()) -> None:
    _KEYS.digest = hashlib.sha256(("voucher-code:" + server_key).encode()).digest()
    _KEYS.qr = hashlib.sha256(("voucher-qr:" + server_key).encode()).digest()
    _KEYS.box = SecretBox(server_key, previous_keys)


def _require() -> _Keys:
    if _KEYS.box is None:
        raise RuntimeError("vouchers.codes.use_secret was not called at start-up")
    return _KEYS


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(raw: str) -> str | None:
    """Upper-case, without spaces and dashes; None if it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    code = raw.replace("-", "").replace(" ", "").upper()
    return code if len(code) == LENGTH and all(c in ALPHABET for c in code) else None


def display(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, LENGTH, 4))


def digest(code: str) -> str:
    return hmac.new(_require().digest, code.encode(), hashlib.sha256).hexdigest()


def seal(code: str) -> str:
    return _require().box.seal({"code": code})


def unseal(sealed: str) -> str:
    return _require().box.open(sealed)["code"]


def qr_payload(tenant_id: int, voucher_id: int, code: str) -> str:
    body = base64.urlsafe_b64encode(json.dumps({"t": tenant_id, "v": voucher_id, "c": code}, separators=(",", ":")).encode()).decode().rstrip("=")
    mac = hmac.new(_require().qr, body.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{QR_PREFIX}{body}.{mac}"


def code_from_qr(payload: str, tenant_id: int) -> str | None:
    """The code inside a QR payload signed by this server for this brand; None otherwise."""
    if not isinstance(payload, str) or not payload.startswith(QR_PREFIX) or len(payload) > 300:
        return None
    body, _, mac = payload[len(QR_PREFIX):].partition(".")
    expected = hmac.new(_require().qr, body.encode(), hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(expected.encode(), mac.encode()):  # bytes: non-ASCII str raises
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeError):
        return None
    if not isinstance(data, dict) or data.get("t") != tenant_id:
        return None
    return normalise(data.get("c", ""))
