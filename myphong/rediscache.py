"""Django's Redis cache, keeping one redis-py client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every operation, and redis-py 8 fills a
table of ~170 reply handlers each time it makes one: 0.3 ms of Python per operation, more than
the operation's own round trip, on every page read from the page or work cache. A client is
thread-safe and holds no connection itself (the pool does), so one per pool serves them all.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
