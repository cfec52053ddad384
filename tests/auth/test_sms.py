import logging

from auth.sms import LoggingSmsSender, MemorySmsSender, SmsSender


async def test_memory_sender_keeps_last_code():
    sender = MemorySmsSender()
    assert isinstance(sender, SmsSender)
    assert sender.last_code("+8613800138000") is None
    await sender.send_login_code("+8613800138000", "111111")
    await sender.send_login_code("+8613800138000", "222222")
    await sender.send_login_code("+8613900139000", "333333")
    assert sender.last_code("+8613800138000") == "222222"
    assert sender.last_code("+8613900139000") == "333333"
    assert len(sender.sent) == 3


async def test_logging_sender_warns_with_dev_marker(caplog):
    sender = LoggingSmsSender()
    assert isinstance(sender, SmsSender)
    with caplog.at_level(logging.WARNING, logger="auth.sms"):
        await sender.send_login_code("+8613800138000", "123456")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "DEV LOGIN CODE" in record.getMessage() and "123456" in record.getMessage()
