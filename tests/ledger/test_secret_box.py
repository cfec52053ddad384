"""Credentials at rest: sealed with the server key, unreadable with another, rotatable, never printed."""
import pytest

from core.secret_box import SecretBox, SecretBoxError

KEY = "k" * 40


def test_round_trip_and_ciphertext_hides_the_values():
    box = SecretBox(KEY)
    token = box.seal({"app_secret": "s3cr3t-value", "app_key": "ak"})
    assert "s3cr3t" not in token
    assert box.open(token)["app_secret"] == "s3cr3t-value"


def test_another_key_or_a_tampered_token_cannot_open():
    token = SecretBox(KEY).seal({"a": 1})
    with pytest.raises(SecretBoxError):
        SecretBox("z" * 40).open(token)
    with pytest.raises(SecretBoxError):
        SecretBox(KEY).open(token[:-4] + "AAAA")


def test_rotation_keeps_old_tokens_readable_and_reseals_under_the_new_key():
    old = SecretBox(KEY).seal({"a": 1})
    rotated_box = SecretBox("n" * 40, previous_keys=(KEY,))
    assert rotated_box.open(old)["a"] == 1
    fresh = rotated_box.rotate(old)
    assert SecretBox("n" * 40).open(fresh)["a"] == 1


def test_opened_values_do_not_print():
    sealed = SecretBox(KEY).open(SecretBox(KEY).seal({"app_secret": "s3cr3t"}))
    assert "s3cr3t" not in repr(sealed) and "s3cr3t" not in str(sealed) and "s3cr3t" not in f"{sealed}"
