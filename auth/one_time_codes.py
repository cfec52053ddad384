"""Customer login by mainland-China mobile number + 6-digit one-time code.

Pure logic over ``LoginCodeRecord``. The stored flow (auth.service.consume_login_code) does
not read, check and write back a record: concurrent guesses would all read the same count.
It takes the attempt first with one conditional UPDATE (core.attempts.take_attempt: only
below ``DEFAULT_MAX_ATTEMPTS``, only for an unconsumed, unexpired code), then compares with
``code_matches``, then consumes with a compare-and-set on ``consumed_at``; every refusal gets
the same ``CODE_REFUSED`` answer so no reply tells a guesser which guess was right.
``check_code`` is the same rule over an in-memory record.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from auth.errors import AuthError, AuthErrorCode

CODE_LENGTH = 6
DEFAULT_TTL = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 5
SEND_MIN_INTERVAL = timedelta(seconds=60)
SEND_WINDOW = timedelta(hours=1)
SEND_MAX_PER_WINDOW = 5  # per requesting network (auth.service.request_login_code)
# Texts to one phone per window from all networks together: bounds what outsiders with many
# networks can send to (and spend of) one number.
MOBILE_SENDS_CAP = 2 * SEND_MAX_PER_WINDOW
# One answer for a wrong, used, expired or locked code, and for a mobile without a code.
CODE_REFUSED = "wrong, used or expired code, or too many tries; check it or request a new code"

_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = re.compile(r"[\s\-().]")
_SYSTEM_RANDOM = random.SystemRandom()


def _aware(value: datetime, name: str = "datetime") -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


# -- mobile numbers --------------------------------------------------------


def normalize_mobile(raw: str) -> str:
    """Return the E.164 form ``+86XXXXXXXXXXX`` or raise AuthError(MOBILE_INVALID).

    Accepts spaces/hyphens/dots/parentheses, full-width digits, and the
    prefixes ``+86``, ``0086`` and ``86``.
    """
    invalid = AuthError(AuthErrorCode.MOBILE_INVALID, "not a valid mainland China mobile number")
    if not isinstance(raw, str) or len(raw) > 32:
        raise invalid
    s = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if s.startswith("+"):
        if not s.startswith("+86"):
            raise invalid
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif s.startswith("86") and len(s) == 13:
        s = s[2:]
    if not _MAINLAND_MOBILE.fullmatch(s):
        raise invalid
    return "+86" + s


# -- codes -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginCodeRecord:
    mobile: str  # E.164
    code_hash: str  # hex HMAC-SHA256(pepper, mobile ":" code); never the plain code
    expires_at: datetime
    attempts: int
    consumed_at: datetime | None
    created_at: datetime


class CodeCheckError(AuthError):
    """A failed check; ``record`` is the state to persist (attempts may have grown)."""

    def __init__(self, code: AuthErrorCode, message: str, record: LoginCodeRecord) -> None:
        super().__init__(code, message)
        self.record = record


def hash_code(mobile: str, plain_code: str, pepper: bytes) -> str:
    if not pepper:
        raise ValueError("pepper must be non-empty")
    return hmac.new(pepper, f"{mobile}:{plain_code}".encode(), hashlib.sha256).hexdigest()


def code_matches(mobile: str, code_hash: str, plain: str, pepper: bytes) -> bool:
    """Constant-time: does ``plain`` (full-width digits and spaces tolerated) hash to ``code_hash``?"""
    candidate = unicodedata.normalize("NFKC", plain).strip() if isinstance(plain, str) else ""
    well_formed = len(candidate) == CODE_LENGTH and candidate.isascii() and candidate.isdigit()
    actual = hash_code(mobile, candidate if well_formed else "", pepper)
    return hmac.compare_digest(actual, code_hash) and well_formed


def new_code(
    mobile: str,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
    rng: random.Random | None = None,
    *,
    pepper: bytes,
) -> tuple[str, LoginCodeRecord]:
    """Create a fresh code for ``mobile``. ``rng`` defaults to the OS CSPRNG."""
    _aware(now, "now")
    if ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    e164 = normalize_mobile(mobile)
    plain = f"{(rng or _SYSTEM_RANDOM).randrange(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    record = LoginCodeRecord(
        mobile=e164,
        code_hash=hash_code(e164, plain, pepper),
        expires_at=now + ttl,
        attempts=0,
        consumed_at=None,
        created_at=now,
    )
    return plain, record


def check_code(
    record: LoginCodeRecord,
    plain: str,
    now: datetime,
    *,
    pepper: bytes,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> LoginCodeRecord:
    """Return the record marked consumed, or raise CodeCheckError.

    Order: consumed -> CODE_INVALID; attempts exhausted -> TOO_MANY_ATTEMPTS;
    expired (now >= expires_at) -> CODE_EXPIRED; wrong code -> CODE_INVALID
    with attempts + 1. After ``max_attempts`` wrong codes even the right code
    is refused with TOO_MANY_ATTEMPTS.
    """
    _aware(now, "now")
    _aware(record.expires_at, "record.expires_at")
    if record.consumed_at is not None:
        raise CodeCheckError(AuthErrorCode.CODE_INVALID, "code already used", record)
    if record.attempts >= max_attempts:
        raise CodeCheckError(AuthErrorCode.TOO_MANY_ATTEMPTS, "too many attempts; request a new code", record)
    if now >= record.expires_at:
        raise CodeCheckError(AuthErrorCode.CODE_EXPIRED, "code expired; request a new code", record)
    if not code_matches(record.mobile, record.code_hash, plain, pepper):
        failed = replace(record, attempts=record.attempts + 1)
        raise CodeCheckError(AuthErrorCode.CODE_INVALID, "wrong code", failed)
    return replace(record, consumed_at=now)


# -- send rate limit -------------------------------------------------------


def next_send_at(
    previous_sends: Sequence[datetime],
    now: datetime,
    *,
    min_interval: timedelta = SEND_MIN_INTERVAL,
    window: timedelta = SEND_WINDOW,
    max_per_window: int = SEND_MAX_PER_WINDOW,
) -> datetime:
    """Earliest time another code may be sent to this mobile (``now`` if allowed).

    ``previous_sends`` are the send times for one mobile (any order). A send
    counts against the window while ``send > now - window``.
    """
    _aware(now, "now")
    sends = sorted(_aware(t, "previous_sends item") for t in previous_sends)
    earliest = now
    if sends:
        earliest = max(earliest, sends[-1] + min_interval)
    in_window = [t for t in sends if t > now - window]
    if len(in_window) >= max_per_window:
        earliest = max(earliest, in_window[len(in_window) - max_per_window] + window)
    return earliest


def may_send_code(
    previous_sends: Sequence[datetime],
    now: datetime,
    *,
    min_interval: timedelta = SEND_MIN_INTERVAL,
    window: timedelta = SEND_WINDOW,
    max_per_window: int = SEND_MAX_PER_WINDOW,
) -> bool:
    """At most one send per ``min_interval`` and ``max_per_window`` per ``window``."""
    return next_send_at(
        previous_sends, now, min_interval=min_interval, window=window, max_per_window=max_per_window
    ) <= now
