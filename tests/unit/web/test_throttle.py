"""The per-address login throttle."""

from bot.web.security import Throttle


def test_an_address_is_stopped_after_the_limit_of_failures(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("bot.web.security.time.monotonic", lambda: clock[0])
    throttle = Throttle(limit=3, window=300)
    for _ in range(3):
        assert throttle.allow("10.0.0.1")
        throttle.failed("10.0.0.1")
    assert not throttle.allow("10.0.0.1")
    assert throttle.allow("10.0.0.2")
    clock[0] += 301
    assert throttle.allow("10.0.0.1")


def test_successful_logins_do_not_count():
    throttle = Throttle(limit=1, window=300)
    for _ in range(5):
        assert throttle.allow("10.0.0.1")
