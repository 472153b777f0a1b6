"""The client's pure logic as tables: headers and bodies in, decisions out (no I/O, no clock)."""

from datetime import UTC, datetime

import pytest

from github import sansio
from github.sansio import PRIMARY, SECONDARY, RateLimitDecision, RateLimitState

NOW = 1_700_000_000


def headers(remaining="4999", reset=NOW + 600, **extra):
    values = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": remaining, "x-ratelimit-reset": str(reset)}
    values.update({name.replace("_", "-"): value for name, value in extra.items()})
    return values


@pytest.mark.parametrize(
    "given, expected",
    [
        (headers(), RateLimitState("core", 5000, 4999, 1, NOW + 600, NOW)),
        (headers(x_ratelimit_used="7"), RateLimitState("core", 5000, 4999, 7, NOW + 600, NOW)),
        (headers(x_ratelimit_resource="search"), RateLimitState("search", 5000, 4999, 1, NOW + 600, NOW)),
        # Recorded fixtures carry milliseconds.
        (headers(reset=(NOW + 600) * 1000), RateLimitState("core", 5000, 4999, 1, NOW + 600, NOW)),
        (headers(remaining="-1"), None),
        (headers(remaining="many"), None),
        ({"x-ratelimit-limit": "5000"}, None),
        ({}, None),
    ],
)
def test_rate_limit_state_from_headers(given, expected):
    assert sansio.rate_limit_state(given, NOW) == expected


def test_rate_limit_states_from_the_rate_limit_body():
    body = {
        "resources": {
            "core": {"limit": 5000, "remaining": 10, "reset": NOW + 60, "used": 4990},
            "search": {"limit": 30, "remaining": 30, "reset": NOW + 60},
            "broken": {"limit": "x"},
            "not-a-dict": 3,
        }
    }
    states = sansio.rate_limit_states(body, NOW)
    assert [(s.resource, s.remaining, s.used, s.source) for s in states] == [
        ("core", 10, 4990, sansio.FROM_RATE_LIMIT_ENDPOINT),
        ("search", 30, 0, sansio.FROM_RATE_LIMIT_ENDPOINT),
    ]
    assert sansio.rate_limit_states("not json", NOW) == []


@pytest.mark.parametrize(
    "template, resource",
    [
        ("/rate_limit", None),
        ("/search/code", "code_search"),
        ("/search/issues", "search"),
        ("/graphql", "graphql"),
        ("/repos/{owner}/{repo}/pulls", "core"),
    ],
)
def test_rate_limit_resource_of_a_template(template, resource):
    assert sansio.rate_limit_resource(template) == resource


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("30", 30),
        (" 5 ", 5),
        ("Tue, 14 Nov 2023 22:14:20 GMT", 60),  # NOW is 22:13:20 UTC
        ("Tue, 14 Nov 2023 22:00:00 GMT", 0),  # already past
        ("", None),
        (None, None),
        ("soon", None),
    ],
)
def test_retry_after_seconds(value, seconds):
    assert sansio.retry_after_seconds(value, NOW) == seconds


RESET = datetime.fromtimestamp(NOW + 600, tz=UTC)


@pytest.mark.parametrize(
    "status, given_headers, body, repeats, decision",
    [
        (200, headers(remaining="0"), None, 0, None),
        (404, {}, None, 0, None),
        # Primary: nothing left and no retry-after: wait until the reset.
        (
            403,
            headers(remaining="0"),
            {"message": "API rate limit exceeded"},
            0,
            RateLimitDecision(PRIMARY, 600, RESET),
        ),
        (429, headers(remaining="0"), None, 0, RateLimitDecision(PRIMARY, 600, RESET)),
        # Secondary: retry-after is honoured, doubled on repeats.
        (403, {"retry-after": "30", "x-ratelimit-remaining": "0"}, None, 0, RateLimitDecision(SECONDARY, 30)),
        (403, {"retry-after": "30"}, None, 2, RateLimitDecision(SECONDARY, 120)),
        # Secondary without retry-after: at least the minimum wait.
        (403, headers(), {"message": "You have exceeded a secondary rate limit"}, 0, RateLimitDecision(SECONDARY, 60)),
        (403, {}, "abuse detection mechanism", 1, RateLimitDecision(SECONDARY, 120)),
        (429, {}, None, 0, RateLimitDecision(SECONDARY, 60)),
        # A permission refusal is not a limit.
        (403, headers(), {"message": "Resource not accessible by integration"}, 0, None),
    ],
)
def test_rate_limit_decision(status, given_headers, body, repeats, decision):
    got = sansio.rate_limit_decision(status, given_headers, body, NOW, secondary_min_wait=60, repeats=repeats)
    assert got == decision


@pytest.mark.parametrize(
    "value, links",
    [
        (
            '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
            {"next": "https://api.github.com/x?page=2", "last": "https://api.github.com/x?page=5"},
        ),
        ('<https://a/1>; rel="prev first"', {"prev": "https://a/1", "first": "https://a/1"}),
        ("garbage; rel=next", {}),
        ("", {}),
        (None, {}),
    ],
)
def test_parse_link_header(value, links):
    assert sansio.parse_link_header(value) == links


@pytest.mark.parametrize(
    "content, content_type, body",
    [
        (b'{"a": 1}', "application/json; charset=utf-8", {"a": 1}),
        (b"[1]", "application/vnd.github+json", [1]),
        (b"not json", "application/json", "not json"),
        (b"<html>", "text/html", "<html>"),
        (b"", "application/json", None),
    ],
)
def test_parse_body(content, content_type, body):
    assert sansio.parse_body(content, content_type) == body


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"message": "Not Found"}, 404, "Not Found"),
        ({}, 502, "GitHub answered 502"),
        ("text", 400, "GitHub answered 400"),
    ],
)
def test_error_message(body, status, message):
    assert sansio.error_message(body, status) == message


def test_state_exhaustion_and_what_is_left_after_the_reset():
    state = RateLimitState("core", 5000, 0, 5000, NOW + 10, NOW)
    assert state.is_exhausted(NOW) and not state.is_exhausted(NOW + 10)
    assert state.effective_remaining(NOW) == 0 and state.effective_remaining(NOW + 10) == 5000
