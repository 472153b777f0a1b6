"""Processed events pushed to a real local subscriber, as Standard Webhooks: signed, retried, held, replayed."""

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from subscriptions.models import Attempt, Message, Subscription
from tests.conftest import is_postgres, sample_json
from tests.subscriptions.conftest import SUBSCRIPTIONS, Reply
from webhooks.models import WebhookEvent


def verified(received, secret):
    """The body as the standardwebhooks package verifies it (raises when the signature does not hold)."""
    return Webhook(secret).verify(received.body, received.headers)


def test_a_processed_event_reaches_the_subscriber_signed_as_standard_webhooks(
    subscriber, subscribe, deliver, staff_client
):
    subscription = subscribe(events=["pull_request"])
    receipt = deliver("pull_request", "pull_request/opened.payload.json")

    [received] = subscriber.received
    body = verified(received, subscription["secret"])
    assert body["type"] == "pull_request.opened"
    assert body["data"]["delivery_id"] == receipt["delivery_id"]
    assert body["data"]["event"] == "pull_request" and body["data"]["action"] == "opened"
    assert body["data"]["repository"] == "Codertocat/Hello-World"
    assert body["data"]["payload"] == sample_json("pull_request/opened.payload.json")
    assert body["timestamp"].endswith("Z")
    assert received.headers["X-GitHub-Event"] == "pull_request"
    assert received.headers["X-GitHub-Delivery"] == receipt["delivery_id"]
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["webhook-id"].startswith("msg_")
    assert len(received.headers["webhook-signature"].split(" ")) == 1

    messages = staff_client.get(f"{SUBSCRIPTIONS}/{subscription['id']}/messages").json()["results"]
    [message] = messages
    assert message["msg_id"] == received.headers["webhook-id"] and message["status"] == "delivered"
    assert message["delivery_id"] == receipt["delivery_id"] and message["attempt_count"] == 1
    [attempt] = message["attempts"]
    assert attempt["succeeded"] and attempt["status_code"] == 200 and attempt["response_body"] == '{"ok": true}'
    assert attempt["duration_ms"] > 0


def test_only_what_the_filters_want_is_sent(subscriber, subscribe, deliver):
    opened_only = subscribe(events=["pull_request", "push"], actions=["pull_request.opened"])
    elsewhere = subscribe(events=["*"], repositories=["octo-org/*"])
    on_main = subscribe(events=["push", "pull_request"], branches=["main", "release/*"])
    deliver("pull_request", "pull_request/closed.payload.json")  # not opened
    deliver("pull_request", "pull_request/opened.payload.json")  # base "master"
    push = copy.deepcopy(sample_json("push/payload.json"))
    push["ref"] = "refs/heads/release/1.0"
    deliver("push", push)
    deliver("push", "push/payload.json")  # a tag: no branch

    sent = {}
    for received in subscriber.received:
        for subscription in (opened_only, elsewhere, on_main):
            try:
                body = verified(received, subscription["secret"])
            except Exception:
                continue
            sent.setdefault(subscription["id"], []).append((body["type"], body["data"]["payload"].get("ref")))
    assert sent[opened_only["id"]] == [
        ("pull_request.opened", None),
        ("push", "refs/heads/release/1.0"),
        ("push", "refs/tags/simple-tag"),
    ]
    assert elsewhere["id"] not in sent
    assert sent[on_main["id"]] == [("push", "refs/heads/release/1.0")]


def test_a_failed_attempt_is_retried_with_the_same_webhook_id_then_delivered(subscriber, subscribe, deliver, run_due):
    subscription = subscribe()
    subscriber.answer(Reply(503), Reply(500, body=b"x" * 5000))
    deliver("issues", "issues/opened.payload.json")
    run_due()
    run_due()

    assert len(subscriber.received) == 3
    assert len({received.headers["webhook-id"] for received in subscriber.received}) == 1
    for received in subscriber.received:
        verified(received, subscription["secret"])
    message = Message.objects.get(subscription_id=subscription["id"])
    assert message.status == Message.Status.DELIVERED and message.attempts == 3
    bodies = [attempt.response_body for attempt in message.attempt_set.all()]
    assert len(bodies[1]) == 1024  # the first 1 KB of the answer
    assert Subscription.objects.get(pk=subscription["id"]).failing_since is None


def test_an_exhausted_schedule_fails_the_message_and_a_replay_sends_it_again(
    subscriber, subscribe, deliver, run_due, staff_client, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    subscriber.default = Reply(500)
    deliver("issues", "issues/opened.payload.json")
    run_due()
    run_due()
    message = Message.objects.get(subscription_id=subscription["id"])
    assert message.status == Message.Status.FAILED and message.attempts == 3

    subscriber.default = Reply(204)
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        replay = staff_client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/replay", {"since": since}, format="json")
    assert replay.status_code == 202 and replay.json() == {"replayed": 1}
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert subscriber.received[-1].headers["webhook-id"] == message.msg_id


def test_replay_all_sends_stored_events_again_and_creates_missing_messages(
    subscriber, subscribe, deliver, staff_client, django_capture_on_commit_callbacks
):
    deliver("issues", "issues/opened.payload.json")  # before the subscription existed
    subscription = subscribe()
    deliver("issues", "issues/edited.payload.json")
    assert len(subscriber.received) == 1
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{SUBSCRIPTIONS}/{subscription['id']}/replay", {"since": since, "status": "all"}, format="json"
        )
    assert response.json() == {"replayed": 2}
    replayed = sorted(verified(r, subscription["secret"])["type"] for r in subscriber.received[1:])
    assert replayed == ["issues.edited", "issues.opened"]
    # The replayed "edited" is the same message: the same webhook-id.
    assert subscriber.received[0].headers["webhook-id"] in {r.headers["webhook-id"] for r in subscriber.received[1:]}


def test_410_gone_disables_at_once_and_enabling_resumes(subscriber, subscribe, deliver, staff_client, run_due):
    subscription = subscribe()
    subscriber.answer(Reply(410))
    deliver("issues", "issues/opened.payload.json")
    detail = staff_client.get(f"{SUBSCRIPTIONS}/{subscription['id']}").json()
    assert detail["active"] is False and "410" in detail["disabled_reason"]
    run_due()
    assert len(subscriber.received) == 1  # held while disabled

    response = staff_client.patch(f"{SUBSCRIPTIONS}/{subscription['id']}", {"active": True}, format="json")
    assert response.status_code == 200 and response.json()["disabled_reason"] == ""
    run_due()
    assert len(subscriber.received) == 2
    assert Message.objects.get(subscription_id=subscription["id"]).status == Message.Status.DELIVERED


def test_failing_for_too_long_disables_with_a_reason(subscriber, subscribe, deliver, staff_client, settings):
    settings.SUBSCRIPTION_DISABLE_AFTER_HOURS = 0
    subscription = subscribe()
    subscriber.default = Reply(502)
    deliver("issues", "issues/opened.payload.json")
    detail = staff_client.get(f"{SUBSCRIPTIONS}/{subscription['id']}").json()
    assert detail["active"] is False and detail["disabled_reason"] == "Every message failed for 0 hours."
    assert detail["failing_since"] is not None


def test_retry_after_is_honoured_up_to_the_cap(subscriber, subscribe, deliver, settings):
    settings.SUBSCRIPTION_RETRY_AFTER_MAX_SECONDS = 600
    subscription = subscribe()
    subscriber.answer(Reply(429, headers={"Retry-After": "120"}))
    before = timezone.now()
    deliver("issues", "issues/opened.payload.json")
    message = Message.objects.get(subscription_id=subscription["id"])
    assert message.status == Message.Status.PENDING
    assert message.next_attempt_at >= before + timedelta(seconds=120)

    subscriber.answer(Reply(503, headers={"Retry-After": "86400"}))
    message.next_attempt_at = timezone.now()
    message.save()
    from subscriptions.tasks import send_due_messages

    send_due_messages()
    message.refresh_from_db()
    assert timezone.now() + timedelta(seconds=590) < message.next_attempt_at < timezone.now() + timedelta(seconds=610)


def test_a_timeout_or_a_redirect_is_a_failed_attempt(subscriber, subscribe, deliver, settings, run_due):
    settings.SUBSCRIPTION_TIMEOUT_SECONDS = 0.3
    subscription = subscribe()
    subscriber.answer(Reply(200, delay=1.0), Reply(302, headers={"Location": "http://127.0.0.1:9/elsewhere"}))
    deliver("issues", "issues/opened.payload.json")
    run_due()
    message = Message.objects.get(subscription_id=subscription["id"])
    timeout, redirect = message.attempt_set.all()[:2]
    assert not timeout.succeeded and "no answer within 0.3 s" in timeout.error
    assert not redirect.succeeded and redirect.status_code == 302
    run_due()
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert {received.path for received in subscriber.received} == {"/hooks"}


def test_a_message_is_created_once_per_event_however_often_it_is_processed(
    subscriber, subscribe, deliver, staff_client, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    receipt = deliver("issues", "issues/opened.payload.json")
    events = staff_client.get("/api/v1/webhooks/events", {"delivery_id": receipt["delivery_id"]}).json()["results"]
    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(f"/api/v1/webhooks/events/{events[0]['id']}/reprocess").status_code == 202
    assert Message.objects.filter(subscription_id=subscription["id"]).count() == 1
    assert len(subscriber.received) == 1


def test_a_worker_that_died_mid_attempt_leaves_the_message_to_another_with_the_same_id(subscriber, subscribe, run_due):
    from subscriptions import delivery

    subscription = subscribe()
    message = Message.objects.create(
        msg_id="msg_dead_worker_0001", subscription_id=subscription["id"], type="ping", next_attempt_at=timezone.now()
    )
    assert delivery.claim(message.pk, timezone.now()) is not None  # a worker takes it, then dies
    run_due()
    assert subscriber.received == []  # its claim still stands
    # The claim runs out (timeout plus margin later).
    Message.objects.filter(pk=message.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    run_due()
    [received] = subscriber.received
    assert received.headers["webhook-id"] == "msg_dead_worker_0001"
    assert verified(received, subscription["secret"])["type"] == "ping"
    assert Message.objects.get(pk=message.pk).status == Message.Status.DELIVERED


def test_ping_sends_a_verified_test_message(subscriber, subscribe, staff_client, django_capture_on_commit_callbacks):
    subscription = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/ping")
    assert response.status_code == 202
    body = verified(subscriber.received[0], subscription["secret"])
    assert body["type"] == "ping" and body["data"]["subscription"] == "team tools"
    assert subscriber.received[0].headers["X-GitHub-Event"] == "ping"


def test_a_rotated_secret_signs_beside_the_previous_one_for_a_day(
    subscriber, subscribe, staff_client, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    rotated = staff_client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/rotate-secret")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != subscription["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/ping")
    [received] = subscriber.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    verified(received, new_secret)
    verified(received, subscription["secret"])

    Subscription.objects.filter(pk=subscription["id"]).update(previous_secret_expires_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"{SUBSCRIPTIONS}/{subscription['id']}/ping")
    assert len(subscriber.received[-1].headers["webhook-signature"].split(" ")) == 1
    verified(subscriber.received[-1], new_secret)


def test_the_url_is_checked_again_at_each_attempt(subscriber, subscribe, deliver, settings):
    subscription = subscribe()
    settings.SUBSCRIPTION_ALLOWED_NETWORKS = []  # as if its host now resolved somewhere private
    deliver("issues", "issues/opened.payload.json")
    assert subscriber.received == []
    [attempt] = Message.objects.get(subscription_id=subscription["id"]).attempt_set.all()
    assert "non-public address (127.0.0.1)" in attempt.error


def test_retrying_one_message(subscriber, subscribe, deliver, staff_client, django_capture_on_commit_callbacks):
    subscription = subscribe()
    other = subscribe(name="other")
    subscriber.default = Reply(500)
    deliver("issues", "issues/opened.payload.json")
    message = Message.objects.get(subscription_id=subscription["id"])
    subscriber.default = Reply(200)
    base = f"{SUBSCRIPTIONS}/{subscription['id']}/messages"
    with django_capture_on_commit_callbacks(execute=True):
        retried = staff_client.post(f"{base}/{message.pk}/retry")
    assert retried.status_code == 202 and retried.json()["status"] == "pending"  # sent after the answer
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED and message.attempts == 1  # a fresh schedule
    again = staff_client.post(f"{base}/{message.pk}/retry")
    assert again.status_code == 409 and again.json()["detail"] == "Only a failed or pending message can be retried."
    mine = Message.objects.get(subscription_id=other["id"])
    assert staff_client.post(f"{base}/{mine.pk}/retry").status_code == 404
    listed = staff_client.get(base, {"status": "delivered"}).json()
    assert [row["id"] for row in listed["results"]] == [message.pk]
    assert staff_client.get(base, {"status": "nope"}).status_code == 400


@pytest.mark.parametrize("ordered", [True, False])
def test_an_ordered_subscription_holds_a_repositorys_messages_behind_a_failing_one(
    subscriber, subscribe, deliver, run_due, ordered, settings
):
    settings.SUBSCRIPTION_RETRY_SCHEDULE = [0, 3600]
    subscription = subscribe(ordered=ordered)
    subscriber.answer(Reply(503))
    deliver("issues", "issues/opened.payload.json")
    deliver("issues", "issues/edited.payload.json")
    elsewhere = copy.deepcopy(sample_json("issues/labeled.payload.json"))
    elsewhere["repository"]["full_name"] = "octo-org/other"
    deliver("issues", elsewhere)
    types = [json.loads(r.body)["type"] for r in subscriber.received]
    if ordered:
        # Hello-World's "edited" waits behind its failed "opened"; the other repository does not wait.
        assert types == ["issues.opened", "issues.labeled"]
        run_due()
        assert len(subscriber.received) == 2  # "opened" is not due yet: "edited" still waits
        Message.objects.filter(type="issues.opened").update(next_attempt_at=timezone.now())
        run_due()
        types = [json.loads(r.body)["type"] for r in subscriber.received]
        assert types == ["issues.opened", "issues.labeled", "issues.opened", "issues.edited"]
        assert Message.objects.filter(subscription_id=subscription["id"], status="delivered").count() == 3
    else:
        # Best effort: the retry of "opened" comes after the others.
        assert types == ["issues.opened", "issues.edited", "issues.labeled"]
        Message.objects.filter(type="issues.opened").update(next_attempt_at=timezone.now())
        run_due()
        types = [json.loads(r.body)["type"] for r in subscriber.received]
        assert types == ["issues.opened", "issues.edited", "issues.labeled", "issues.opened"]


def test_the_command_sends_what_is_due(subscriber, subscribe, deliver):
    from io import StringIO

    from django.core.management import call_command

    subscribe()
    subscriber.answer(Reply(503))
    deliver("issues", "issues/opened.payload.json")
    out = StringIO()
    call_command("send_due_messages", stdout=out)
    assert "sent or handed to the workers: 1" in out.getvalue()
    assert len(subscriber.received) == 2


def test_a_failed_event_is_sent_once_it_is_reprocessed_successfully(
    subscriber, subscribe, deliver, staff_client, settings, django_capture_on_commit_callbacks
):
    from webhooks import handlers
    from webhooks.models import WebhookEvent

    settings.WEBHOOK_PROCESSING_MAX_ATTEMPTS = 1

    def explode(event):
        raise RuntimeError("a handler failed")

    subscribe()
    handlers.on("star")(explode)
    try:
        receipt = deliver("star", "star/created.payload.json")
    finally:
        handlers._registry["star"].remove(explode)
    event = WebhookEvent.objects.get(delivery_id=receipt["delivery_id"])
    assert event.status == WebhookEvent.Status.FAILED
    assert subscriber.received == [] and not Message.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert staff_client.post(f"/api/v1/webhooks/events/{event.pk}/reprocess").status_code == 202
    [received] = subscriber.received
    assert json.loads(received.body)["data"]["delivery_id"] == receipt["delivery_id"]


def test_an_event_skipped_at_intake_is_not_sent(subscriber, subscribe, client, settings):
    from tests.conftest import post_delivery, sample_bytes
    from webhooks.models import WebhookConfig

    subscribe()
    WebhookConfig.objects.create(
        repository="Codertocat/Hello-World", url="https://h.example.test/x", secret="s" * 20, events=["push"]
    )
    response = post_delivery(client, "issues", sample_bytes("issues/opened.payload.json"), secret="s" * 20)
    assert response.status_code in (200, 202) and response.json()["status"] == "skipped"
    assert subscriber.received == [] and not Message.objects.exists()


@pytest.mark.parametrize("whole_day", [False, True], ids=["in-batches", "day-dropped"])
def test_retention_takes_an_events_messages_and_attempts_with_it(subscriber, subscribe, deliver, settings, whole_day):
    from bigtables import partitions
    from webhooks.retention import prune_events

    if whole_day and not is_postgres():
        pytest.skip("days are partitions on PostgreSQL only")
    settings.WEBHOOK_EVENT_RETENTION_DAYS = 30
    subscribe()
    old = deliver("issues", "issues/opened.payload.json")["delivery_id"]
    kept = deliver("issues", "issues/opened.payload.json")["delivery_id"]
    long_ago = timezone.now() - timedelta(days=31)
    if whole_day:  # its day is a partition of its own, dropped whole
        partitions.make_days("webhook_events", "received_at", long_ago, long_ago)
    WebhookEvent.objects.filter(delivery_id=old).update(received_at=long_ago)
    assert Message.objects.count() == 2 and Attempt.objects.count() == 2

    assert prune_events() == 1
    assert list(WebhookEvent.objects.values_list("delivery_id", flat=True)) == [kept]
    assert list(Message.objects.values_list("event__delivery_id", flat=True)) == [kept]
    assert Attempt.objects.get().message.event.delivery_id == kept
