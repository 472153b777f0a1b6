"""Every route × every method × {anonymous, authenticated non-staff, staff}.

The routes come from Django's URL resolver, so an endpoint added later is in
the matrix without anyone remembering to add it. Only the receiver,
``/healthz``, ``/readyz`` and (unless ``METRICS_TOKEN`` is set) ``/metrics``
answer anyone; the admin's login page is where one signs in. Everything else
refuses anonymous and non-staff callers (401/403, or the admin's redirect to
its login page) and lets staff through.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OPEN = {"/api/v1/webhooks/github", "/healthz", "/readyz", "/metrics", "/admin/login/"}
DOCUMENTATION = {"/openapi.json", "/openapi.yaml", "/docs", "/redoc"}
# Values for the path parameters of the routes.
SAMPLE_VALUES = {
    "owner": "octocat",
    "repo": "hello-world",
    "name": "bug",
    "app_label": "webhooks",
    "url": "no-such-page/",
}


def concrete_path(route):
    """A request path that the route (path() or re_path() syntax) matches."""

    def converter(match):
        name = match.group("name")
        return SAMPLE_VALUES.get(name, "1")

    path = re.sub(r"\(\?P<(?P<name>\w+)>[^)]*\)", converter, route)  # re_path() groups
    path = re.sub(r"<(?:\w+:)?(?P<name>\w+)>", converter, path)  # path() converters
    path = path.replace("^", "").replace("$", "").replace("/?", "")
    assert not set(path) & set("()[]?*+\\"), f"cannot make a path from {route!r}"
    return "/" + path


def all_paths():
    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield concrete_path(prefix + str(pattern.pattern))

    return sorted(set(walk(get_resolver().url_patterns, "")))


def is_denied(response):
    if response.status_code in (401, 403):
        return True
    # The admin sends whoever is not staff to its login page (logout: to its index).
    location = response.get("Location", "")
    return response.status_code == 302 and (location.startswith("/admin/login/") or location == "/admin/")


def send(client, method, path):
    # A 500 is an answer to report in the matrix, not an exception to stop at.
    client.raise_request_exception = False
    return client.generic(method, path, b"{}", content_type="application/json")


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def non_staff(django_user_model):
    """Authenticated both ways: an API token and an admin session."""
    from accounts.models import ApiToken

    user = django_user_model.objects.create_user("plain", password="pw-plain-123456")
    _, raw_key = ApiToken.objects.issue(user, name="matrix")
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    return client


@pytest.fixture
def staff(django_user_model):
    from accounts.models import ApiToken

    user = django_user_model.objects.create_superuser("boss", password="pw-boss-123456")
    _, raw_key = ApiToken.objects.issue(user, name="matrix")
    client = APIClient()
    client.force_login(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
    return client


def test_the_matrix_covers_every_part_of_the_service():
    paths = all_paths()
    for expected in [
        "/api/v1/webhooks/configs",
        "/api/v1/webhooks/events/1/reprocess",
        "/api/v1/repositories/1/pulls",
        "/api/v1/rate-limits/status",
        "/admin/webhooks/webhookconfig/1/change/",
        *OPEN,
        *DOCUMENTATION,
    ]:
        assert expected in paths
    assert len(paths) > 80


@pytest.mark.parametrize("role", ["anonymous", "non_staff"])
def test_only_the_open_endpoints_answer_anonymous_and_non_staff_callers(request, role):
    client = request.getfixturevalue(role)
    opened = []
    for path in all_paths():
        if path in OPEN:
            continue
        for method in METHODS:
            response = send(client, method, path)
            if not is_denied(response):
                opened.append(f"{method} {path} -> {response.status_code}")
    assert not opened, "\n".join(opened)


@pytest.mark.parametrize("role", ["anonymous", "non_staff"])
def test_open_endpoints_answer_anyone(request, settings, role):
    settings.METRICS_TOKEN = ""
    client = request.getfixturevalue(role)
    for path in ["/healthz", "/readyz", "/metrics", "/admin/login/"]:
        assert send(client, "GET", path).status_code == 200, path
    # The receiver's signature is its authentication: unsigned is 401 for everyone, staff included.
    assert send(client, "POST", "/api/v1/webhooks/github").status_code in (400, 401)


def test_metrics_token_closes_the_scrape_to_everyone_without_it(anonymous, non_staff, staff, settings):
    settings.METRICS_TOKEN = "scrape-token-for-the-matrix"
    for client in (anonymous, non_staff, staff):
        assert send(client, "GET", "/metrics").status_code == 401
    assert anonymous.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-the-matrix"}).status_code == 200


def test_staff_get_through_everywhere(staff, fake_github):
    """Past authentication and permission: any answer but 401/403 and 5xx (a 404 for object 1 is fine).

    In the admin, 403 is what read-only model admins answer on add and delete
    pages for everyone; there only a redirect to the login page means "refused".
    """
    refused = []
    for path in all_paths():
        in_admin = path.startswith("/admin/")
        for method in ("GET",) if in_admin else METHODS:
            response = send(staff, method, path)
            to_login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
            denied = to_login or response.status_code == 401 or (response.status_code == 403 and not in_admin)
            if denied or response.status_code >= 500:
                refused.append(f"{method} {path} -> {response.status_code}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("role", ["anonymous", "non_staff"])
def test_api_documentation_is_staff_only(request, role):
    client = request.getfixturevalue(role)
    opened = [path for path in sorted(DOCUMENTATION) if not is_denied(send(client, "GET", path))]
    assert not opened, "\n".join(opened)
