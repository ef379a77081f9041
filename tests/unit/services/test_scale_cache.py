import threading

from bot.customers.value import build_scale
from bot.services.customers import _ScaleCache


def scale(n: int):
    return build_scale([n], [n], [n])


def test_the_first_call_builds_and_later_calls_reuse_it():
    calls = []
    cache = _ScaleCache(ttl_seconds=3600)
    build = lambda: calls.append(1) or scale(len(calls))  # noqa: E731
    assert cache.get(build) == scale(1)
    assert cache.get(build) == scale(1)
    assert len(calls) == 1


def test_a_stale_scale_is_served_while_one_background_rebuild_runs():
    release, built = threading.Event(), threading.Event()
    calls = []

    def slow_build():
        calls.append(1)
        if len(calls) > 1:
            release.wait(5)
            built.set()
        return scale(len(calls))

    cache = _ScaleCache(ttl_seconds=0)
    assert cache.get(slow_build) == scale(1)
    assert cache.get(slow_build) == scale(1)
    assert cache.get(slow_build) == scale(1)
    release.set()
    assert built.wait(5)
    assert len(calls) == 2
    for _ in range(50):
        if cache.get(lambda: scale(99)) != scale(1):
            break
        threading.Event().wait(0.01)
    assert cache.get(lambda: scale(99)) in (scale(2), scale(99))


def test_a_failed_rebuild_keeps_the_old_scale():
    cache = _ScaleCache(ttl_seconds=0)
    cache.get(lambda: scale(1))

    def broken():
        raise RuntimeError("database gone")

    assert cache.get(broken) == scale(1)
    assert cache.get(broken) == scale(1)
