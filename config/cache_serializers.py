"""The django-redis serializer of the default cache."""

from django_redis.serializers.json import JSONSerializer as DjangoRedisJSONSerializer

# JSON text never starts with a NUL byte, so this prefix cannot be mistaken for JSON.
BYTES_PREFIX = b"\x00"


class JSONSerializer(DjangoRedisJSONSerializer):
    """django-redis's JSON serializer, plus ``bytes`` stored as they are.

    JSON has no bytes type, so nothing that worked before changes meaning. It
    lets a value that already is text (a GitHub body, as GitHub sent it) be
    cached without being escaped into a JSON string and unescaped on every read.
    """

    def dumps(self, value):
        if isinstance(value, bytes):
            return BYTES_PREFIX + value
        return super().dumps(value)

    def loads(self, value):
        if value[:1] == BYTES_PREFIX:
            return bytes(value[1:])
        return super().loads(value)
