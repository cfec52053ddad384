"""Alipay OpenAPI v1 (gateway.do): the documented protocol on `cryptography` (no SDK).

Why not an SDK: the official `alipay-sdk-python` is a sync, generated client (RSA on the
pure-Python `rsa` package, no notify helper); `python-alipay-sdk` makes blocking `urlopen`
calls on `pycryptodomex`. The protocol is a few formulas (research note payments_cn.md §2):

- Request: every parameter but `sign` (so `sign_type` is included), empty values dropped,
  sorted by key, joined `k=v` with `&`, raw (not URL-encoded); RSA2 = SHA256withRSA
  PKCS#1 v1.5 with the app private key, base64.
- Synchronous response: the signature covers the raw JSON text of `<method>_response`,
  verified with the Alipay public key.
- Async notify: remove `sign` AND `sign_type`, drop empty values, sort, join, verify.
- Money: yuan strings with 2 decimals, converted from/to integer fen with Decimal, exactly.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from payments.wechatpay import load_private_key, load_public_key, rsa_sign, rsa_verify

DEFAULT_GATEWAY = "https://openapi.alipay.com/gateway.do"
MAX_YUAN = Decimal("100000000")
_YUAN = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")


@dataclass(frozen=True)
class AlipayMerchant:
    app_id: str
    app_private_key_pem: str = field(repr=False)
    alipay_public_key_pem: str = field(repr=False)
    notify_url: str = ""
    seller_id: str = ""
    gateway_url: str = DEFAULT_GATEWAY

    @classmethod
    def from_mapping(cls, values: Mapping) -> AlipayMerchant:
        return cls(**{k: str(values[k]) for k in cls.__dataclass_fields__ if k in values})


def sign_content(params: Mapping[str, object], *, notify: bool = False) -> str:
    """The string RSA2 covers: sorted `k=v&...` without `sign` (and without `sign_type` for a notify)."""
    skip = {"sign", "sign_type"} if notify else {"sign"}
    items = sorted((k, str(v)) for k, v in params.items() if k not in skip and v is not None and str(v) != "")
    return "&".join(f"{k}={v}" for k, v in items)


def sign_params(params: Mapping[str, object], private_key_pem: str) -> str:
    return rsa_sign(load_private_key(private_key_pem), sign_content(params).encode())


def verify_notify(params: Mapping[str, str], public_key_pem: str) -> bool:
    signature = params.get("sign")
    if not signature or params.get("sign_type", "RSA2") != "RSA2":
        return False
    return rsa_verify(load_public_key(public_key_pem), sign_content(params, notify=True).encode(), signature)


def response_content(raw: str, method: str) -> tuple[str, dict, str | None]:
    """The raw JSON text of `<method>_response` (what the signature covers), it parsed, and the sign."""
    key = method.replace(".", "_") + "_response"
    data = json.loads(raw)
    marker = f'"{key}"'
    start = raw.find(marker)
    if start < 0 or key not in data:
        raise ValueError("response key")
    index = raw.index(":", start + len(marker)) + 1
    while raw[index] in " \t\r\n":
        index += 1
    _, end = json.JSONDecoder().raw_decode(raw, index)
    return raw[index:end], data[key], data.get("sign")


def verify_response(raw: str, method: str, public_key_pem: str) -> dict:
    """The response object if its signature holds; raises ValueError otherwise."""
    content, body, signature = response_content(raw, method)
    if not signature or not rsa_verify(load_public_key(public_key_pem), content.encode(), signature):
        raise ValueError("signature")
    return body


def signed_response(method: str, body: dict, private_key_pem: str) -> str:
    """What Alipay's gateway answers (the simulator's side)."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    signature = rsa_sign(load_private_key(private_key_pem), content.encode())
    return '{"' + method.replace(".", "_") + '_response":' + content + ',"sign":' + json.dumps(signature) + "}"


def fen_to_yuan(fen: int) -> str:
    if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
        raise ValueError("fen must be a non-negative integer")
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def yuan_to_fen(yuan: str) -> int:
    """Exactly: '12.30' -> 1230; more than 2 decimals, negative, or not a number -> ValueError."""
    if not _YUAN.fullmatch(str(yuan)):
        raise ValueError(f"not an amount in yuan with at most 2 decimals: {yuan!r}")
    try:
        value = Decimal(str(yuan))
        if not value.is_finite() or value < 0 or value > MAX_YUAN:
            raise ValueError("yuan out of range")
        fen = value * 100
        if fen != fen.to_integral_value():
            raise ValueError("more than 2 decimals")
    except (InvalidOperation, ArithmeticError, ValueError):
        raise ValueError(f"not an amount in yuan with at most 2 decimals: {yuan!r}") from None
    return int(fen)
