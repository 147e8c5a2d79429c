"""The Redis cache keeps one redis-py client per connection pool (myphong.rediscache) and still
behaves as Django's cache, from several threads at once."""

import threading

import pytest
from django.conf import settings
from django.core.cache import cache, caches

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the Redis cache is used only when REDIS_URL is set"
)


def test_one_client_per_pool_serves_every_operation():
    backend = caches["default"]
    assert type(backend).__module__ == "myphong.rediscache"
    first = backend._cache.get_client("a")
    assert backend._cache.get_client("b", write=True) is first
    cache.set("rediscache:text", "Mỹ Phong", 30)
    cache.set_many({"rediscache:n": 1, "rediscache:dict": {"số": 8000}}, 30)
    assert cache.incr("rediscache:n") == 2
    assert cache.get_many(["rediscache:text", "rediscache:dict", "rediscache:none"]) == {
        "rediscache:text": "Mỹ Phong",
        "rediscache:dict": {"số": 8000},
    }
    assert cache.add("rediscache:text", "khác", 30) is False
    cache.delete_many(["rediscache:text", "rediscache:n"])
    assert cache.get("rediscache:text") is None


def test_threads_each_read_and_write_their_own_keys():
    failures = []

    def work(number):
        try:
            for round_ in range(50):
                key = f"rediscache:thread:{number}"
                cache.set(key, (number, round_), 30)
                if cache.get(key) != (number, round_):
                    failures.append((number, round_))
        except Exception as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
