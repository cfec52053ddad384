"""WeChat Pay API v3 golden vectors from the documented formulas (research note §1.3-1.6):
the exact strings signed, signatures with a fixed test key (PKCS#1 v1.5 is deterministic),
verify round trips, and every way a callback must be refused."""
from __future__ import annotations

import base64
import json

import pytest

from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, MERCHANT_PUBLIC_PEM, PLATFORM_PRIVATE_PEM, PLATFORM_PUBLIC_PEM
from payments.wechatpay import (
    WeChatMerchant, WeChatSignatureError, authorization, decrypt_resource, encrypt_resource, jsapi_pay_sign,
    load_private_key, load_public_key, parse_authorization, request_message, response_message, rsa_verify, signed_headers,
    verify_signed,
)

MERCHANT = WeChatMerchant(mchid="1900000001", appid="wx2421b1c4370ec43b", serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
                          private_key_pem=MERCHANT_PRIVATE_PEM)
BODY = '{"mchid":"1900000001","out_trade_no":"QD000000000042","amount":{"total":1999,"currency":"CNY"}}'
TS, NONCE = 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242"
API_V3_KEY = "0123456789abcdef0123456789ABCDEF"  # 32 bytes


def test_request_string_to_sign_is_five_lines_each_ending_in_newline():
    assert request_message("POST", "/v3/pay/transactions/native", TS, NONCE, BODY) == (
        b"POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" + BODY.encode() + b"\n")
    # GET: the query string is part of the URL, the empty body still ends in \n
    assert request_message("get", "/v3/pay/transactions/out-trade-no/QD1?mchid=1900000001", TS, NONCE, "") == (
        b"GET\n/v3/pay/transactions/out-trade-no/QD1?mchid=1900000001\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n")


def test_authorization_header_golden_vector_and_round_trip():
    header = authorization(MERCHANT, "POST", "/v3/pay/transactions/native", BODY, TS, NONCE)
    assert header == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        'signature="bPitne0XEd/YBFEthrnhF3Ftdai/1XPqm0vb7ydbpirWFLL2nlGUWekCMwrXOp1LLaZIXd8tK+hW9HTkJi+ibVuuLgjtKny0HO8IDgqcqFIuyoK5tq8zowKddoDHB7gwl/wh6KPQhUzm9obckPdOHz3lUkJn+yFe5BZWotrC1z0qNRWlClYF15VO1KuBe1pwzcuFeUX6eC1jU6m6urdziooa62yjTMAJnnIiHvzW7qurKsNiFbgGu8SLsaZfDAe8Z6O0lhmc+HwwkJHI8vihM8vrAkjmtbUUe/qw3sWYUDvyAGgC6b9phzOghV1KVQmNNNqHjKkXMQTPpjtpEbyP4w==",'
        'timestamp="1554208460",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"')
    fields = parse_authorization(header)
    public = load_public_key(MERCHANT_PUBLIC_PEM)
    message = request_message("POST", "/v3/pay/transactions/native", fields["timestamp"], fields["nonce_str"], BODY)
    assert rsa_verify(public, message, fields["signature"])
    assert not rsa_verify(public, message.replace(b"1999", b"1"), fields["signature"])  # body changed
    assert not rsa_verify(public, message.replace(b"\n", b"\r\n"), fields["signature"])  # \r\n line ends


def test_response_signature_golden_vector():
    message = response_message(TS, "c5ac7061fccab6bf3e254dcf98995b8c", b'{"code_url":"weixin://x"}')
    assert message == b'1554208460\nc5ac7061fccab6bf3e254dcf98995b8c\n{"code_url":"weixin://x"}\n'
    headers = {k.lower(): v for k, v in signed_headers(load_private_key(PLATFORM_PRIVATE_PEM), "PUB_KEY_ID_test",
                                                        b'{"code_url":"weixin://x"}', TS, "c5ac7061fccab6bf3e254dcf98995b8c").items()}
    assert headers["wechatpay-signature"] == (
        "xFlb95BOxYMaQQdEjwHisEsGaporzdpPYfxBKXL3wBdtCKTypdWo2KkhE4QQgAGC1wlDpZot2sgI2IA/QA66h7Y/aXWd8BQx6SockawHjluOro4P3FEBzckfX55oACXUSUXgd/ABt+ODJof41FlBctsrES+NOAPDInOG6asASCEbdqEdjHjc3+jAkwUzyRyDrZfJ83SemhDe/3M9TXeGFhcspRXBzRUoVYMN2AN8Lxmom7kZOjyvu5bH/Ai9sNYFb1t4J8nDBGW+sLCdd1nTj6QMvdg0CIHRp/pkZdmf/RxVGOWh+j1qfGFpdgvYBK2u8OMq0jre/ol+mwCuLnYlxw==")
    verify_signed(headers, b'{"code_url":"weixin://x"}', public_key=load_public_key(PLATFORM_PUBLIC_PEM),
                  key_id="PUB_KEY_ID_test", now=TS + 299)


def test_jsapi_pay_sign_covers_appid_timestamp_nonce_package():
    signed = jsapi_pay_sign(MERCHANT, "wx201410272009395522657a690389285100", TS, NONCE)
    assert signed["package"] == "prepay_id=wx201410272009395522657a690389285100" and signed["signType"] == "RSA"
    message = b"wx2421b1c4370ec43b\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\nprepay_id=wx201410272009395522657a690389285100\n"
    assert rsa_verify(load_public_key(MERCHANT_PUBLIC_PEM), message, signed["paySign"])
    assert signed["paySign"].startswith("E51W8Lqqft9NpHr4PS3iuZCfB4fDdSpleducL+DFfVo")


def _signed(body: bytes, ts=TS, key_id="PUB_KEY_ID_test"):
    return {k.lower(): v for k, v in signed_headers(load_private_key(PLATFORM_PRIVATE_PEM), key_id, body, ts).items()}


@pytest.mark.parametrize("case,code", [
    ("stale", "STALE"), ("future", "STALE"), ("serial", "SERIAL"), ("tampered", "BAD_SIGNATURE"),
    ("missing", "MISSING"), ("signtest", "SIGNTEST"), ("wrong_key", "BAD_SIGNATURE"),
])
def test_bad_callbacks_are_refused(case, code):
    body = b'{"id":"EV-1"}'
    headers = _signed(body, ts=TS - 300 if case == "stale" else TS + 300 if case == "future" else TS,
                      key_id="PUB_KEY_ID_other" if case == "serial" else "PUB_KEY_ID_test")
    if case == "tampered":
        body = b'{"id":"EV-2"}'
    if case == "missing":
        del headers["wechatpay-nonce"]
    if case == "signtest":
        headers["wechatpay-signature"] = "WECHATPAY/SIGNTEST/" + headers["wechatpay-signature"]
    key = load_public_key(MERCHANT_PUBLIC_PEM if case == "wrong_key" else PLATFORM_PUBLIC_PEM)
    with pytest.raises(WeChatSignatureError) as refused:
        verify_signed(headers, body, public_key=key, key_id="PUB_KEY_ID_test", now=TS)
    assert refused.value.code == code


def test_resource_decryption_round_trip_and_tampering():
    plain = {"out_trade_no": "QD000000000042", "trade_state": "SUCCESS", "amount": {"total": 1999}}
    resource = encrypt_resource(API_V3_KEY, plain, "transaction", "transaction", nonce="fdasflkja484")
    assert resource["algorithm"] == "AEAD_AES_256_GCM" and len(base64.b64decode(resource["ciphertext"])) == len(json.dumps(plain)) + 16
    assert decrypt_resource(API_V3_KEY, resource) == plain
    raw = bytearray(base64.b64decode(resource["ciphertext"]))
    raw[3] ^= 1
    for bad in ({**resource, "ciphertext": base64.b64encode(bytes(raw)).decode()},  # tampered ciphertext
                {**resource, "associated_data": "refund"},  # AAD changed
                {**resource, "nonce": "fdasflkja485"}):
        with pytest.raises(WeChatSignatureError):
            decrypt_resource(API_V3_KEY, bad)
    with pytest.raises(WeChatSignatureError):
        decrypt_resource("X" * 32, resource)  # another merchant's key


def test_merchant_repr_hides_secrets():
    shown = repr(WeChatMerchant(mchid="1", appid="a", serial_no="s", private_key_pem=MERCHANT_PRIVATE_PEM, api_v3_key=API_V3_KEY))
    assert "PRIVATE" not in shown and API_V3_KEY not in shown
