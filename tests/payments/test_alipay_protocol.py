"""Alipay RSA2 golden vectors from the documented formulas (research note §2.3-2.6): the exact
sorted string signed, the fixed-key signature, notify verification (sign and sign_type
removed), the signed `<method>_response` substring, and yuan <-> fen exactly."""
from __future__ import annotations

import pytest

from payments.alipay import (
    fen_to_yuan, response_content, sign_content, sign_params, signed_response, verify_notify, verify_response, yuan_to_fen,
)
from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, MERCHANT_PUBLIC_PEM, PLATFORM_PRIVATE_PEM, PLATFORM_PUBLIC_PEM
from payments.wechatpay import load_private_key, load_public_key, rsa_sign, rsa_verify

PARAMS = {"app_id": "2021000000000001", "method": "alipay.trade.precreate", "format": "JSON", "charset": "utf-8",
          "sign_type": "RSA2", "timestamp": "2026-12-06 20:00:00", "version": "1.0", "notify_url": "",
          "biz_content": '{"out_trade_no":"QD000000000042","total_amount":"49.00","subject":"Order 42"}'}


def test_request_string_to_sign_sorted_raw_with_sign_type_without_empty_values():
    assert sign_content(PARAMS) == (
        'app_id=2021000000000001&biz_content={"out_trade_no":"QD000000000042","total_amount":"49.00","subject":"Order 42"}'
        "&charset=utf-8&format=JSON&method=alipay.trade.precreate&sign_type=RSA2&timestamp=2026-12-06 20:00:00&version=1.0")
    # order of insertion does not matter; `sign` itself is never signed
    assert sign_content(dict(reversed(list(PARAMS.items())), sign="x")) == sign_content(PARAMS)


def test_request_signature_golden_vector_and_round_trip():
    signature = sign_params(PARAMS, MERCHANT_PRIVATE_PEM)
    assert signature == (
        "LMP1pIyrDkqB2MalzJLi+bUzKl9EsejUHxYsxpBodKYaJlbFc/M/q2jy6saDTnM8+/LNGAUv/vyTvas8/shl17O4wL2vaQotPE/tfbq/niPFvtl6rZbJb3JwpFb8+U+wtrrKDGYJOYj1i2vpX3O2ncL1XdBWTzcdwKPqdp7f8L1B/OrP5yGD/1vIRMTeTyxCTMkefrGELgGaqCp1OGq7i80BuAP+97xmg2UAMD0P4WmkofGzkCJQFwW1cm1eEdk8z+msbcasOHBU8kay8sRP77WAobGmgk8ObyLCkmzhqCHn4Bu1obe1ubcYCK8vUDtuQN1by6uyoQ1+8XTywMFPbg==")
    assert rsa_verify(load_public_key(MERCHANT_PUBLIC_PEM), sign_content(PARAMS).encode(), signature)
    assert not rsa_verify(load_public_key(MERCHANT_PUBLIC_PEM), sign_content({**PARAMS, "version": "2.0"}).encode(), signature)


def _notify(**changes):
    params = {"notify_id": "ac05099524730693a8b330c5ecf72da9786", "app_id": "2021000000000001",
              "out_trade_no": "QD000000000042", "trade_status": "TRADE_SUCCESS", "total_amount": "49.00", "buyer_logon_id": ""}
    params["sign_type"] = "RSA2"
    params["sign"] = rsa_sign(load_private_key(PLATFORM_PRIVATE_PEM), sign_content(params, notify=True).encode())
    params.update(changes)
    return params


def test_notify_string_drops_sign_and_sign_type_and_verifies():
    assert sign_content(_notify(), notify=True) == (
        "app_id=2021000000000001&notify_id=ac05099524730693a8b330c5ecf72da9786&out_trade_no=QD000000000042"
        "&total_amount=49.00&trade_status=TRADE_SUCCESS")
    assert verify_notify(_notify(), PLATFORM_PUBLIC_PEM)


@pytest.mark.parametrize("changes", [
    {"total_amount": "4900.00"}, {"trade_status": "TRADE_CLOSED"}, {"extra": "added"}, {"sign": "AAAA"},
    {"sign_type": "RSA"}, {"sign": ""},
])
def test_tampered_notifies_are_refused(changes):
    assert not verify_notify(_notify(**changes), PLATFORM_PUBLIC_PEM)


def test_notify_signed_by_another_key_is_refused():
    assert not verify_notify(_notify(), MERCHANT_PUBLIC_PEM)


def test_response_signature_covers_the_raw_response_substring():
    raw = signed_response("alipay.trade.query", {"code": "10000", "msg": "Success", "trade_status": "TRADE_SUCCESS",
                                                 "total_amount": "49.00"}, PLATFORM_PRIVATE_PEM)
    content, body, signature = response_content(raw, "alipay.trade.query")
    assert content == '{"code":"10000","msg":"Success","trade_status":"TRADE_SUCCESS","total_amount":"49.00"}'
    assert signature.startswith("o5JpqoZBMAWM9WpQG5FEGSJG7CaSw2JsyOqN+TFfCWvuOrSZ")
    assert verify_response(raw, "alipay.trade.query", PLATFORM_PUBLIC_PEM)["total_amount"] == "49.00"
    with pytest.raises(ValueError):
        verify_response(raw.replace("49.00", "0.01"), "alipay.trade.query", PLATFORM_PUBLIC_PEM)


@pytest.mark.parametrize("yuan,fen", [("0.01", 1), ("12.3", 1230), ("12.30", 1230), ("49.00", 4900), ("100000000.00", 10**10)])
def test_yuan_to_fen_exact(yuan, fen):
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["1.005", "-1.00", "abc", "NaN", "1e3", " 1.00", "", "100000000.01", "0.1+0.2"])
def test_yuan_refused_unless_exact(bad):
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


def test_fen_to_yuan_two_decimals():
    assert [fen_to_yuan(f) for f in (0, 1, 10, 4900, 123456)] == ["0.00", "0.01", "0.10", "49.00", "1234.56"]
    assert all(yuan_to_fen(fen_to_yuan(f)) == f for f in range(0, 100_000, 37))
