import logging

from celery import shared_task

from github.client import get_client
from github.credentials import credential_label, every_credential
from github.errors import GitHubError

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def track_rate_limits():
    """A snapshot per resource from GET /rate_limit (free of the limit) of every credential GitHub answers it
    for (the token, each installation); for celery beat. Returns the number of rows written."""
    client = get_client()
    written = 0
    for credential in every_credential(client.credentials):
        if not credential.asks_rate_limit:
            continue
        try:
            written += len(services.track_now(client, credential))
        except GitHubError as exc:
            # One credential GitHub will not answer for must not stop the others' snapshots.
            logger.warning("rate-limit snapshot of %s failed: %s", credential_label(credential.key), exc.message)
    return written
