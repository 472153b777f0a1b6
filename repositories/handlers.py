"""Webhook handlers that turn events into repository state (registered at app load)."""

from webhooks.handlers import on

from . import services


def _repository(event):
    return services.upsert_repository(event.payload.get("repository"))


@on("push")
def handle_push(event):
    repository = _repository(event)
    if repository is not None:
        services.record_push(repository, event.payload, delivery_id=event.delivery_id, received_at=event.received_at)


@on("pull_request")
def handle_pull_request(event):
    repository = _repository(event)
    pull_request = event.payload.get("pull_request")
    if repository is not None and isinstance(pull_request, dict) and "number" in pull_request:
        services.upsert_pull_request(repository, pull_request, action=event.action, delivery_id=event.delivery_id)


@on("issues")
def handle_issue(event):
    repository = _repository(event)
    issue = event.payload.get("issue")
    if repository is None or not isinstance(issue, dict) or "number" not in issue:
        return
    services.upsert_issue(repository, issue, action=event.action, delivery_id=event.delivery_id)
    if event.action == "transferred" and isinstance(event.payload.get("changes"), dict):
        services.record_transfer(repository, issue, event.payload["changes"], delivery_id=event.delivery_id)


@on("label")
def handle_label(event):
    repository = _repository(event)
    label = event.payload.get("label")
    if repository is not None and isinstance(label, dict) and isinstance(label.get("id"), int):
        services.upsert_label(repository, label, deleted=event.action == "deleted")


@on("repository")
def handle_repository(event):
    if event.action == "deleted":
        services.mark_repository_deleted(event.payload.get("repository"))
    else:
        _repository(event)
