"""``max_per_second`` over every worker: a counter per subscription and second in the shared cache."""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def take(subscription, now):
    """True when one more attempt fits this second. The cache down: False (messages wait, none is lost)."""
    limit = subscription.max_per_second
    if not limit:
        return True
    key = f"sub:rate:{subscription.pk}:{int(now)}"
    try:
        cache.add(key, 0, timeout=5)
        return cache.incr(key) <= limit
    except Exception:  # the shared counter is out of reach: hold rather than exceed the limit
        logger.warning("subscription rate counter unavailable; holding its messages", exc_info=True)
        return False
