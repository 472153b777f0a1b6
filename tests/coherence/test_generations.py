"""Generations in one process: the database is the truth, Redis a copy, forks get their own socket."""

import os

import pytest

from coherence import generations
from coherence.models import Generation
from tests.conftest import requires_redis

pytestmark = pytest.mark.django_db


def test_bump_changes_the_generation_every_reader_sees():
    before = generations.current("example")
    generations.bump("example")
    after = generations.current("example")
    assert after != before
    assert after == str(Generation.objects.get(name="example").value)


@requires_redis
def test_the_shared_copy_follows_the_database_and_is_rebuilt_when_lost():
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    key = generations._shared_key("example")
    value = generations.current("example")
    assert redis.get(key).decode() == value  # copied on first read
    redis.delete(key)  # expired, or Redis restarted empty
    assert generations.current("example") == value  # the database answers, and the copy is back
    assert redis.get(key).decode() == value


@requires_redis
def test_a_forked_child_opens_its_own_redis_connection():
    parent = generations._reader_connection()
    pid = os.fork()
    if pid == 0:  # the child: a socket of its own, and a working read
        try:
            child = generations._reader_connection()
            child.ping()
            os._exit(0 if child is not parent else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert generations._reader_connection() is parent
    parent.ping()  # the parent's connection was not disturbed


@requires_redis
def test_a_late_copy_of_an_older_generation_never_replaces_a_newer_one():
    """Two changes at once, published out of order: Redis keeps the higher value."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    key = generations._shared_key("example")
    generations.current("example")
    generations.bump("example")
    older = generations.current("example")  # read back from the database: no copy since the bump
    generations.bump("example")
    newer = str(Generation.objects.get(name="example").value)
    generations._publish("example", newer)
    generations._publish("example", older)  # the first change's publish, arriving last
    assert redis.get(key).decode() == newer == generations.current("example")
