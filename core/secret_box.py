"""Partner credentials encrypted at rest (courier app secrets, payment merchant keys).

Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package) rather than hand-rolled
AES: it authenticates the ciphertext, carries its own version and timestamp, and MultiFernet
rotates keys. The key is derived from QIANDIAN_SECRET_KEY with HKDF and a purpose label, so
the server key is never used directly and a database dump alone decrypts nothing.

Rotation: set QIANDIAN_PREVIOUS_SECRET_KEYS (comma-separated) to the old server keys after
changing QIANDIAN_SECRET_KEY; values encrypted with an old key still open, and `rotate`
re-encrypts one under the current key.

Decrypted values never go to logs: `Sealed.__repr__` hides them.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"qiandian partner credentials v1"


class SecretBoxError(Exception):
    code = "CREDENTIALS_UNREADABLE"


def _fernet(server_key: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(server_key.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


@dataclass(frozen=True)
class Sealed:
    """Decrypted credentials: a dict that does not print itself."""

    values: dict

    def __getitem__(self, key: str):
        return self.values[key]

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def __repr__(self) -> str:
        return f"Sealed(keys={sorted(self.values)})"

    __str__ = __repr__


class SecretBox:
    def __init__(self, server_key: str, previous_keys: tuple[str, ...] = ()):
        self._box = MultiFernet([_fernet(server_key), *(_fernet(k) for k in previous_keys)])

    def seal(self, values: dict) -> str:
        return self._box.encrypt(json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).decode()

    def open(self, token: str) -> Sealed:
        try:
            return Sealed(json.loads(self._box.decrypt(token.encode())))
        except (InvalidToken, ValueError) as exc:
            raise SecretBoxError("stored credentials cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self._box.rotate(token.encode()).decode()
