import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from auth.errors import AuthError, AuthErrorCode
from auth.one_time_codes import (
    CodeCheckError,
    check_code,
    may_send_code,
    new_code,
    next_send_at,
    normalize_mobile,
)

PEPPER = b"pepper-for-tests"
T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
TTL = timedelta(minutes=5)


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+86 138 0013 8000",
        "+8613800138000",
        "86-13800138000",
        "8613800138000",
        "0086 138-0013-8000",
        "(+86) 138.0013.8000",
        " 138 0013 8000 ",
        "１３８００１３８０００",  # full-width digits from a Chinese IME
        "＋８６ 13800138000",
    ],
)
def test_normalize_mobile_accepts(raw):
    assert normalize_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize("ok", ["13000000000", "19912345678", "15500001111"])
def test_normalize_mobile_prefixes(ok):
    assert normalize_mobile(ok) == "+86" + ok


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12800138000",  # 12x is not a mobile range
        "10800138000",
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "+85213800138000",  # other country code
        "+1 13800138000",
        "8613800138000x",
        "+86+8613800138000",
        "861380013800",  # 86 + 10 digits
        "23800138000",
        "1380013800a",
        "138/0013/8000",
        "١٣٨٠٠١٣٨٠٠٠",  # non-ASCII digits
        "1" * 40,
        None,
        13800138000,
    ],
)
def test_normalize_mobile_rejects(raw):
    with pytest.raises(AuthError) as exc:
        normalize_mobile(raw)
    assert exc.value.code is AuthErrorCode.MOBILE_INVALID


def make(rng_seed=1):
    return new_code("138 0013 8000", T0, TTL, random.Random(rng_seed), pepper=PEPPER)


def fail_code(record, plain, now, **kw):
    with pytest.raises(CodeCheckError) as exc:
        check_code(record, plain, now, pepper=PEPPER, **kw)
    return exc.value.code, exc.value.record


def test_new_code_shape_and_no_plain_storage():
    plain, record = make()
    assert len(plain) == 6 and plain.isdigit()
    assert record.mobile == "+8613800138000"
    assert plain not in record.code_hash and len(record.code_hash) == 64
    assert (record.attempts, record.consumed_at, record.created_at, record.expires_at) == (0, None, T0, T0 + TTL)
    assert make(rng_seed=1)[0] == plain  # injected rng is deterministic
    codes = {new_code("13800138000", T0, TTL, pepper=PEPPER)[0] for _ in range(50)}
    assert len(codes) > 40  # default rng is the CSPRNG


def test_zero_padded_codes():
    class Zero(random.Random):
        def randrange(self, *a, **k):
            return 42

    plain, record = new_code("13800138000", T0, TTL, Zero(), pepper=PEPPER)
    assert plain == "000042"
    assert check_code(record, "000042", T0, pepper=PEPPER).consumed_at == T0


def test_hash_depends_on_pepper_and_mobile():
    plain, record = make()
    with pytest.raises(CodeCheckError):
        check_code(record, plain, T0, pepper=b"other-pepper")
    with pytest.raises(CodeCheckError):  # a hash cannot be moved to another mobile
        check_code(replace(record, mobile="+8613900139000"), plain, T0, pepper=PEPPER)


def test_success_consumes():
    plain, record = make()
    used = check_code(record, plain, T0 + timedelta(minutes=1), pepper=PEPPER)
    assert used.consumed_at == T0 + timedelta(minutes=1)
    assert used.attempts == 0
    code, same = fail_code(used, plain, T0 + timedelta(minutes=2))
    assert code is AuthErrorCode.CODE_INVALID and same == used


def test_full_width_and_whitespace_code_accepted():
    plain, record = make()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in plain)
    assert check_code(record, f" {full_width} ", T0, pepper=PEPPER).consumed_at == T0


def test_wrong_code_increments_then_locks():
    plain, record = make()
    wrong = "000000" if plain != "000000" else "111111"
    for i in range(1, 6):
        code, record = fail_code(record, wrong if i % 2 else "abc", T0)
        assert code is AuthErrorCode.CODE_INVALID and record.attempts == i
    code, after = fail_code(record, plain, T0)  # even the right code is refused now
    assert code is AuthErrorCode.TOO_MANY_ATTEMPTS and after == record


def test_custom_max_attempts():
    plain, record = make()
    _, record = fail_code(record, "12345", T0, max_attempts=1)
    assert fail_code(record, plain, T0, max_attempts=1)[0] is AuthErrorCode.TOO_MANY_ATTEMPTS


def test_expiry_boundary():
    plain, record = make()
    assert check_code(record, plain, T0 + TTL - timedelta(microseconds=1), pepper=PEPPER)
    code, same = fail_code(record, plain, T0 + TTL)
    assert code is AuthErrorCode.CODE_EXPIRED and same.attempts == 0


def test_naive_datetimes_rejected():
    with pytest.raises(ValueError):
        new_code("13800138000", datetime(2025, 1, 1), TTL, pepper=PEPPER)
    plain, record = make()
    with pytest.raises(ValueError):
        check_code(record, plain, datetime(2025, 1, 1), pepper=PEPPER)
    with pytest.raises(ValueError):
        may_send_code([], datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        may_send_code([datetime(2025, 1, 1)], T0)


def test_other_timezones_are_fine():
    plain, record = make()
    beijing = timezone(timedelta(hours=8))
    assert check_code(record, plain, T0.astimezone(beijing), pepper=PEPPER)


# -- send rate limit --------------------------------------------------------


def s(seconds):
    return T0 + timedelta(seconds=seconds)


def test_first_send_allowed():
    assert may_send_code([], T0)
    assert next_send_at([], T0) == T0


def test_min_interval():
    assert not may_send_code([s(0)], s(59))
    assert may_send_code([s(0)], s(60))
    assert next_send_at([s(0)], s(10)) == s(60)


def test_hourly_window():
    sends = [s(0), s(60), s(120), s(180), s(240)]
    assert not may_send_code(sends, s(600))
    assert next_send_at(sends, s(600)) == s(3600)
    assert not may_send_code(sends, s(3599))
    assert may_send_code(sends, s(3600))  # the first send has left the window
    assert may_send_code(list(reversed(sends)), s(3600))  # order does not matter
    spread = [s(0), s(1000), s(1100), s(1200), s(1300)]
    assert not may_send_code(spread, s(3599))  # interval fine, window full
    assert next_send_at(spread, s(2000)) == s(3600)
    assert may_send_code(spread, s(3600))  # s(0) has left the window
    later = spread + [s(3600)]  # sliding window: 1000..1300 and 3600 are all within the hour
    assert not may_send_code(later, s(3660))
    assert next_send_at(later, s(3660)) == s(4600)
    assert may_send_code(later, s(4600))


def test_old_sends_ignored():
    old = [s(-7200 + i * 60) for i in range(20)]
    assert may_send_code(old, T0)
