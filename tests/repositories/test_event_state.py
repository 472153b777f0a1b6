"""Repository state from real payloads: correct fields, idempotent, order-independent."""

import json

import pytest

from repositories.models import Issue, Label, PullRequest, Push, Repository
from tests.conftest import TEST_SECRET, post_delivery, sample_json
from webhooks import processing
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def global_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = TEST_SECRET


def process(client, event_name, payload):
    body = json.dumps(payload).encode()
    response = post_delivery(client, event_name, body)
    assert response.status_code == 202, response.content
    event = WebhookEvent.objects.get(delivery_id=response.json()["delivery_id"])
    processing.process_event(event.pk)
    event.refresh_from_db()
    assert event.status == "processed", event.last_error
    return event


def test_push_of_a_new_branch_records_push_and_commits(client):
    payload = sample_json("push/with-new-branch.payload.json")
    event = process(client, "push", payload)
    push = Push.objects.get()
    assert push.delivery_id == event.delivery_id
    assert (push.ref, push.created, push.deleted, push.forced) == ("refs/heads/master", True, False, False)
    assert push.after == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    assert (push.pusher_name, push.commit_count, push.distinct_count, push.commits_truncated) == (
        "Codertocat",
        1,
        1,
        False,
    )
    assert push.head_commit_message == "Initial commit"
    assert push.head_commit_timestamp.isoformat() == "2019-05-15T15:19:25+00:00"
    commit = push.commits.get()
    assert (commit.sha, commit.author_username, commit.url) == (
        "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "Codertocat",
        "https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    )
    # Push payloads give the repository's timestamps as epoch seconds.
    repository = Repository.objects.get()
    assert repository.github_created_at.isoformat() == "2019-05-15T15:19:25+00:00"
    assert repository.full_name == "Codertocat/Hello-World"


def test_tag_deletion_push_has_no_commits(client):
    process(client, "push", sample_json("push/payload.json"))
    push = Push.objects.get()
    assert (push.ref, push.deleted, push.commit_count, push.head_commit_id) == ("refs/tags/simple-tag", True, 0, "")


def test_a_push_with_twenty_commits_is_marked_truncated(client):
    payload = sample_json("push/with-new-branch.payload.json")
    payload["commits"] = [dict(payload["commits"][0], id=f"{i:040x}", distinct=i % 2 == 0) for i in range(20)]
    process(client, "push", payload)
    push = Push.objects.get()
    assert (push.commit_count, push.distinct_count, push.commits_truncated) == (20, 10, True)
    assert push.commits.count() == 20


def test_each_push_delivery_is_its_own_record(client):
    payload = sample_json("push/with-new-branch.payload.json")
    process(client, "push", payload)
    process(client, "push", payload)  # same push, another delivery: append-only
    assert Push.objects.count() == 2


def test_pull_request_fields(client):
    process(client, "pull_request", sample_json("pull_request/review_requested.payload.json"))
    pull = PullRequest.objects.get()
    source = sample_json("pull_request/review_requested.payload.json")["pull_request"]
    assert pull.github_id == source["id"]
    assert pull.requested_reviewers == [user["login"] for user in source["requested_reviewers"]]
    assert pull.head_sha == source["head"]["sha"] and pull.base_sha == source["base"]["sha"]
    assert pull.html_url == "https://github.com/Codertocat/Hello-World/pull/2"
    assert pull.last_action == "review_requested"


def test_closed_then_older_opened_stays_closed(client):
    process(client, "pull_request", sample_json("pull_request/closed.payload.json"))
    process(client, "pull_request", sample_json("pull_request/opened.payload.json"))  # older updated_at
    pull = PullRequest.objects.get()
    assert pull.state == "closed"
    assert pull.last_action == "closed"
    assert pull.closed_at is not None


def test_opened_then_labeled_in_order_applies_both(client):
    process(client, "pull_request", sample_json("pull_request/opened.payload.json"))
    process(client, "pull_request", sample_json("pull_request/labeled.payload.json"))
    pull = PullRequest.objects.get()
    assert pull.labels == [
        label["name"] for label in sample_json("pull_request/labeled.payload.json")["pull_request"]["labels"]
    ]
    assert pull.labels


def test_issue_closed_then_older_edited_stays_closed(client):
    closed = sample_json("issues/edited.payload.json")
    closed["action"] = "closed"
    closed["issue"].update(
        state="closed", state_reason="completed", updated_at="2019-05-15T16:00:00Z", closed_at="2019-05-15T16:00:00Z"
    )
    process(client, "issues", closed)
    process(client, "issues", sample_json("issues/edited.payload.json"))  # updated 15:20:18, older
    issue = Issue.objects.get()
    assert (issue.state, issue.state_reason, issue.last_action) == ("closed", "completed", "closed")


def test_deleted_issue_is_not_resurrected_by_a_late_edit(client):
    process(client, "issues", sample_json("issues/deleted.payload.json"))
    late_edit = sample_json("issues/edited.payload.json")
    late_edit["issue"]["updated_at"] = "2030-01-01T00:00:00Z"  # even one stamped later
    process(client, "issues", late_edit)
    issue = Issue.objects.get()
    assert issue.deleted is True
    assert issue.last_action == "deleted"


def test_edit_then_delete_marks_deleted(client):
    process(client, "issues", sample_json("issues/opened.payload.json"))
    process(client, "issues", sample_json("issues/deleted.payload.json"))
    assert Issue.objects.get().deleted is True


def test_issue_fields_including_milestone_and_pull_request_flag(client):
    process(client, "issues", sample_json("issues/milestoned.payload.json"))
    issue = Issue.objects.get()
    source = sample_json("issues/milestoned.payload.json")["issue"]
    assert issue.milestone_title == source["milestone"]["title"]
    assert issue.is_pull_request is True
    assert issue.comments == source["comments"]


def test_transferred_issue_points_at_its_new_home(client):
    process(client, "issues", sample_json("issues/transferred.payload.json"))
    old = Issue.objects.get(repository__full_name="octo-org/octo-repo")
    assert old.transferred_to == "Codertocat/Hello-World#1"
    assert Issue.objects.filter(repository__full_name="Codertocat/Hello-World", number=1).exists()


def test_label_created_edited_deleted(client):
    process(client, "label", sample_json("label/created.payload.json"))
    process(client, "label", sample_json("label/edited.payload.json"))
    label = Label.objects.get()
    assert label.color == sample_json("label/edited.payload.json")["label"]["color"]
    process(client, "label", sample_json("label/deleted.payload.json"))
    assert Label.objects.get().deleted is True
    process(client, "label", sample_json("label/edited.payload.json"))  # late edit
    assert Label.objects.get().deleted is True


def test_repository_edited_updates_default_branch(client):
    process(client, "repository", sample_json("repository/edited.with-default_branch-edit.payload.json"))
    repository = Repository.objects.get()
    source = sample_json("repository/edited.with-default_branch-edit.payload.json")["repository"]
    assert repository.default_branch == source["default_branch"]
    assert repository.full_name == "Octocoders/Hello-World"


def test_every_order_of_pull_request_events_ends_in_the_same_state(client):
    names = ["opened", "labeled", "locked", "closed"]
    payloads = [sample_json(f"pull_request/{name}.payload.json") for name in names]
    final_states = set()
    for order in ([0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]):
        PullRequest.objects.all().delete()
        for index in order:
            process(client, "pull_request", payloads[index])
        pull = PullRequest.objects.get()
        final_states.add((pull.state, pull.last_action, pull.github_updated_at))
    assert final_states == {("closed", "closed", PullRequest.objects.get().github_updated_at)}


def test_repositories_api(client, staff_client):
    process(client, "pull_request", sample_json("pull_request/opened.payload.json"))
    process(client, "issues", sample_json("issues/opened.payload.json"))
    process(client, "push", sample_json("push/with-new-branch.payload.json"))
    process(client, "issues", sample_json("issues/deleted.payload.json"))

    repositories = staff_client.get("/api/v1/repositories", {"full_name__iexact": "codertocat/hello-world"}).json()
    assert repositories["count"] == 1
    repository_id = repositories["results"][0]["id"]
    pulls = staff_client.get(f"/api/v1/repositories/{repository_id}/pulls", {"state": "open"}).json()
    assert [p["number"] for p in pulls["results"]] == [2]
    assert staff_client.get(f"/api/v1/repositories/{repository_id}/issues").json()["count"] == 0
    with_deleted = staff_client.get(f"/api/v1/repositories/{repository_id}/issues", {"include_deleted": "true"})
    assert with_deleted.json()["results"][0]["deleted"] is True
    pushes = staff_client.get(f"/api/v1/repositories/{repository_id}/pushes").json()
    assert pushes["results"][0]["commits"][0]["message"] == "Initial commit"
    assert staff_client.get("/api/v1/repositories/999999/pulls").status_code == 404


def test_repositories_api_is_staff_only(plain_user_client):
    assert plain_user_client.get("/api/v1/repositories").status_code == 403
