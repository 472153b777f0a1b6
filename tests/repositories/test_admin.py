"""The repository state in the admin: under its own app, for looking only."""

import pytest
from django.utils import timezone

from repositories.models import Commit, Push, Repository

pytestmark = pytest.mark.django_db

MODELS = ["repository", "pullrequest", "issue", "label", "push"]


@pytest.fixture
def push():
    repository = Repository.objects.create(
        github_id=1, full_name="octocat/hello-world", owner_login="octocat", name="hello-world"
    )
    push = Push.objects.create(
        repository=repository,
        delivery_id="d-1",
        ref="refs/heads/main",
        before="a" * 40,
        after="b" * 40,
        received_at=timezone.now(),
    )
    Commit.objects.create(push=push, sha="b" * 40, message="First commit")
    return push


def test_state_is_listed_under_repositories_and_read_only(admin_client, push):
    index = admin_client.get("/admin/")
    assert b"Repositories" in index.content
    assert b"/admin/repositories/pullrequest/" in index.content
    for model in MODELS:
        assert admin_client.get(f"/admin/repositories/{model}/").status_code == 200
        assert admin_client.get(f"/admin/repositories/{model}/add/").status_code == 403
    detail = admin_client.get(f"/admin/repositories/push/{push.pk}/change/")
    assert detail.status_code == 200
    assert b"First commit" in detail.content  # the commits inline
    assert admin_client.post(f"/admin/repositories/push/{push.pk}/delete/").status_code == 403
    assert Push.objects.filter(pk=push.pk).exists()
