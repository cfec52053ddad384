"""WeChat Pay API v3: the documented protocol, implemented on `cryptography` (no SDK).

Why not `wechatpayv3`: its client is built on `requests` (the async extra is a separate
client), it does not check the 5-minute timestamp window, and an unknown Wechatpay-Serial
makes it download platform certificates, a network call a forged callback could trigger.
The protocol is small (below), so it is implemented here against the documented formulas
(research note payments_cn.md §1.3-1.8) and tested with golden vectors.

- Requests: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,signature=..,
  timestamp=..,serial_no=..` where signature = base64(RSA-SHA256(merchant key,
  "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n")).
- Responses and callbacks: Wechatpay-Signature over "TIMESTAMP\\nNONCE\\nRAW_BODY\\n" with
  the WeChat Pay public key named by Wechatpay-Serial; refused when the timestamp is 5 min
  or more away from now. Verify first, then decrypt.
- Callback resource: AEAD_AES_256_GCM, key = the API v3 key (32 bytes), nonce and
  associated_data as UTF-8, ciphertext = base64(ct || 16-byte tag).

Merchant secrets live in WeChatMerchant fields with repr=False: never logged.
"""
from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
TOLERANCE_S = 300
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"


class WeChatSignatureError(Exception):
    """`code`: MISSING, SIGNTEST, SERIAL, STALE, BAD_SIGNATURE, DECRYPT."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class WeChatMerchant:
    mchid: str
    appid: str
    serial_no: str  # the merchant API certificate serial (Authorization serial_no)
    private_key_pem: str = field(repr=False)
    platform_key_id: str = ""  # PUB_KEY_ID_...: the Wechatpay-Serial of callbacks
    platform_public_key_pem: str = field(default="", repr=False)
    api_v3_key: str = field(default="", repr=False)
    notify_url: str = ""
    base_url: str = DEFAULT_BASE_URL

    @classmethod
    def from_mapping(cls, values: Mapping) -> WeChatMerchant:
        return cls(**{k: str(values[k]) for k in cls.__dataclass_fields__ if k in values})

    def private_key(self) -> rsa.RSAPrivateKey:
        return load_private_key(self.private_key_pem)

    def platform_key(self) -> rsa.RSAPublicKey:
        return load_public_key(self.platform_public_key_pem)


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    return serialization.load_pem_private_key(pem.encode(), password=None)


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    return serialization.load_pem_public_key(pem.encode())


def rsa_sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def request_message(method: str, url_path: str, timestamp: int | str, nonce: str, body: str | bytes) -> bytes:
    """The five-line string a request signature covers; `url_path` includes the query string."""
    raw = body if isinstance(body, bytes) else body.encode()
    return f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n".encode() + raw + b"\n"


def response_message(timestamp: int | str, nonce: str, body: bytes) -> bytes:
    """The three-line string a response / callback signature covers (raw body bytes)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(merchant: WeChatMerchant, method: str, url_path: str, body: str | bytes,
                  timestamp: int, nonce: str | None = None, private_key: rsa.RSAPrivateKey | None = None) -> str:
    nonce = nonce or secrets.token_hex(16).upper()
    signature = rsa_sign(private_key or merchant.private_key(), request_message(method, url_path, timestamp, nonce, body))
    return (f'{SCHEME} mchid="{merchant.mchid}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{merchant.serial_no}"')


def parse_authorization(header: str | None) -> dict[str, str]:
    """The fields of an Authorization header (the simulator's side); {} if not ours."""
    if not header or not header.startswith(SCHEME + " "):
        return {}
    out = {}
    for part in header[len(SCHEME) + 1:].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            return {}
        out[key] = value[1:-1]
    return out


def verify_signed(headers: Mapping[str, str], body: bytes, *, public_key: rsa.RSAPublicKey,
                  key_id: str, now: float, tolerance_s: int = TOLERANCE_S) -> None:
    """Check a WeChat Pay response or callback signature over the raw body. Raises
    WeChatSignatureError; returns nothing when it holds."""
    signature = headers.get("wechatpay-signature")
    timestamp = headers.get("wechatpay-timestamp")
    nonce = headers.get("wechatpay-nonce")
    serial = headers.get("wechatpay-serial")
    if not (signature and timestamp and nonce and serial):
        raise WeChatSignatureError("MISSING")
    if signature.startswith(SIGNTEST_PREFIX):
        raise WeChatSignatureError("SIGNTEST")  # a deliberate probe: answer 4XX, a signed retry follows
    if serial != key_id:
        raise WeChatSignatureError("SERIAL")
    try:
        ts = int(timestamp)
    except ValueError:
        raise WeChatSignatureError("STALE") from None
    if abs(now - ts) >= tolerance_s:
        raise WeChatSignatureError("STALE")
    if not rsa_verify(public_key, response_message(timestamp, nonce, body), signature):
        raise WeChatSignatureError("BAD_SIGNATURE")


def signed_headers(private_key: rsa.RSAPrivateKey, key_id: str, body: bytes, timestamp: int,
                   nonce: str | None = None) -> dict[str, str]:
    """Headers WeChat Pay sends with a response or callback (the simulator's side)."""
    nonce = nonce or secrets.token_hex(16)
    return {
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": rsa_sign(private_key, response_message(timestamp, nonce, body)),
        "Wechatpay-Serial": key_id,
        "Wechatpay-Signature-Type": SCHEME,
    }


def decrypt_resource(api_v3_key: str, resource: Mapping) -> dict:
    """Open a callback's `resource` (AEAD_AES_256_GCM). Raises WeChatSignatureError('DECRYPT')."""
    try:
        if resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise ValueError("algorithm")
        key = api_v3_key.encode()
        plain = AESGCM(key).decrypt(
            str(resource["nonce"]).encode(),
            base64.b64decode(resource["ciphertext"], validate=True),
            (resource.get("associated_data") or "").encode() or None,
        )
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise ValueError("resource")
        return data
    except (InvalidTag, ValueError, KeyError, TypeError, AttributeError):
        raise WeChatSignatureError("DECRYPT") from None


def encrypt_resource(api_v3_key: str, plain: dict, associated_data: str, original_type: str,
                     nonce: str | None = None) -> dict:
    """The simulator's side of decrypt_resource."""
    nonce = nonce or secrets.token_hex(6)  # 12 characters
    ct = AESGCM(api_v3_key.encode()).encrypt(nonce.encode(), json.dumps(plain).encode(), associated_data.encode() or None)
    return {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ct).decode(),
            "associated_data": associated_data, "nonce": nonce}


def jsapi_pay_sign(merchant: WeChatMerchant, prepay_id: str, timestamp: int, nonce: str) -> dict:
    """What wx.requestPayment / WeixinJSBridge needs: paySign over appId, timeStamp, nonceStr, package."""
    package = f"prepay_id={prepay_id}"
    message = f"{merchant.appid}\n{timestamp}\n{nonce}\n{package}\n".encode()
    return {"appId": merchant.appid, "timeStamp": str(timestamp), "nonceStr": nonce, "package": package,
            "signType": "RSA", "paySign": rsa_sign(merchant.private_key(), message)}
