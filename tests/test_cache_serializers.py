"""The default cache's serializer (config.cache_serializers), through django-redis's own encode/decode."""

import pytest
from django_redis.client import DefaultClient

from config.cache_serializers import JSONSerializer


@pytest.mark.parametrize("compressor", [None, "django_redis.compressors.zlib.ZlibCompressor"])
@pytest.mark.parametrize(
    "value", [b"", b"\x00raw bytes\n\xff", {"keys": ["a"]}, "text", ["x", 1], 0, 7, 2**40, True, None, 1.5]
)
def test_values_round_trip(value, compressor):
    options = {"SERIALIZER": "config.cache_serializers.JSONSerializer"}
    if compressor:
        options["COMPRESSOR"] = compressor
    # No connection is made: encode/decode are what get/set call.
    client = DefaultClient("redis://127.0.0.1:1/0", {"OPTIONS": options}, backend=None)
    decoded = client.decode(client.encode(value))
    assert decoded == value and type(decoded) is type(value)


def test_bytes_are_stored_as_they_are_and_json_stays_json():
    serializer = JSONSerializer({})
    assert serializer.dumps(b'{"a": 1}\nbody') == b'\x00{"a": 1}\nbody'
    assert serializer.dumps({"a": 1})[:1] == b"{"
    assert serializer.loads(b'"\\u0000not bytes"') == "\x00not bytes"
