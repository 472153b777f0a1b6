"""Generations: a change made in one process is in force in every process before it returns.

Per-process caches (the receiver's configs, trusted API tokens) are tagged with
the generation they were loaded at, and every use reads the current one:

- from the shared cache (Redis, one GET), where ``bump`` copies each new value
  when its transaction commits, so the request that made a change returns only
  after every process on every host will see it;
- from the database when the shared cache has no copy (expired, Redis
  restarted) or cannot be reached: slower, never stale.

A copy lives ``COHERENCE_SHARED_TTL_SECONDS``. That bounds the one window left:
a change whose publish failed (Redis unreachable from the writer), seen late by
processes that still read the older copy from Redis.
"""

import functools
import logging
import os
import threading
import time

import redis
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import F

from .models import Generation

logger = logging.getLogger(__name__)


# After a failed read, readers ask the database for this long instead of
# paying a Redis timeout on every request (the database is never stale).
READ_RETRY_SECONDS = 5.0
_reader = threading.local()
_reads_unavailable_until = 0.0


def _forget_inherited_reader():
    # A forked child (Celery's prefork pool, a preloaded gunicorn) must not
    # share its parent's socket: it opens its own on first use.
    global _reader
    _reader = threading.local()


os.register_at_fork(after_in_child=_forget_inherited_reader)


def _shared_client():
    """The django-redis client of the default cache, or None when that cache is not shared (local memory)."""
    client = getattr(caches["default"], "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client


@functools.cache
def _shared_key(name):
    return caches["default"].make_key(f"coherence:{name}")


def _reader_connection():
    """A Redis client holding one connection of the cache's pool, for this thread.

    Every request reads a generation: checking a connection out of the pool
    and back costs twice the GET itself, so each thread keeps one.
    """
    reader = getattr(_reader, "redis", None)
    if reader is None:
        client = _shared_client()
        if client is None:
            return None
        pool = client.get_client(write=False).connection_pool
        reader = _reader.redis = redis.Redis(connection_pool=pool, single_connection_client=True)
    return reader


def current(name):
    """The generation in force now."""
    return current_with(name)[0]


def current_with(name, *cache_keys):
    """The generation in force now, and the raw values of ``cache_keys`` read in the same round trip.

    ``cache_keys`` are full keys of the default cache (``make_key``): a hot
    path that needs a cached value right after a generation check (a token
    check, then a cached page) pays one round trip for both. The values are
    None when the shared cache could not be read.
    """
    global _reads_unavailable_until
    if time.monotonic() < _reads_unavailable_until:
        return _stored(name), None
    try:
        reader = _reader_connection()
        if reader is None:
            return _stored(name), None
        key = _shared_key(name)
        if cache_keys:
            value, *values = reader.mget(key, *cache_keys)
        else:
            value, values = reader.get(key), []
    except Exception as exc:  # Redis unreachable: the database answers instead
        _reads_unavailable_until = time.monotonic() + READ_RETRY_SECONDS
        _drop_reader()
        logger.warning("shared generations unavailable (%s); reading them from the database", exc.__class__.__name__)
        return _stored(name), None
    if value is not None:
        return value.decode(), values
    value = _stored(name)
    try:
        # Only if higher: a bump published meanwhile must win over this older read.
        reader.eval(_SET_IF_HIGHER, 1, key, value, settings.COHERENCE_SHARED_TTL_SECONDS)
    except Exception:
        _drop_reader()
    return value, values


def _drop_reader():
    reader = getattr(_reader, "redis", None)
    _reader.redis = None
    if reader is not None:
        try:
            reader.close()
        except Exception:
            pass


def _stored(name):
    value = Generation.objects.filter(name=name).values_list("value", flat=True).first()
    if value is None:
        value, _created = Generation.objects.get_or_create(name=name)
        value = value.value
    return str(value)


def bump(name):
    """Declare ``name``'s data changed: every process reloads it from the next use on.

    Call it inside the transaction that makes the change (signals do): the
    database row changes with it, and the shared copy is replaced once it commits.
    """
    Generation.objects.get_or_create(name=name)
    # An increment in the database, under the row's lock until the commit: two
    # changes at once get two values, in commit order.
    Generation.objects.filter(name=name).update(value=F("value") + 1)
    value = str(Generation.objects.values_list("value", flat=True).get(name=name))
    # Until the commit, readers find no copy and ask the database (the old
    # value there until then, the new one after; either is right at that
    # moment). Publishing the new value before the commit would let another
    # process load the old data under the new generation and keep it.
    _publish(name, None)
    transaction.on_commit(lambda: _publish(name, value))


# SET key value EX ttl, only when the key holds no value or a lower one: copies
# published late (a slow process, a reader's write-back) never replace a newer one.
_SET_IF_HIGHER = """
local current = redis.call('GET', KEYS[1])
if (not current) or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""


def _publish(name, value):
    """Replace the shared copy with ``value`` if it is higher (``None``: remove it)."""
    client = _shared_client()
    if client is None:
        return
    try:
        redis = client.get_client(write=True)
        if value is None:
            redis.delete(_shared_key(name))
        else:
            redis.eval(_SET_IF_HIGHER, 1, _shared_key(name), value, settings.COHERENCE_SHARED_TTL_SECONDS)
    except Exception as exc:
        logger.warning(
            "could not publish generation %s (%s): processes that cannot see the change in Redis pick it up "
            "within COHERENCE_SHARED_TTL_SECONDS",
            name,
            exc.__class__.__name__,
        )
