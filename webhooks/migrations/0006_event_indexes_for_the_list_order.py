"""The events list's filters with its order as index ranges, built without locking out deliveries.

Indexes are created CONCURRENTLY on PostgreSQL (the receiver keeps storing
deliveries meanwhile), the new ones before the old ones are dropped.
"""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Upper

from bigtables.operations import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("webhooks", "0005_hook_sync_status"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="webhookevent",
            index=models.Index(fields=["event", "received_at"], name="webhook_event_event_recv_idx"),
        ),
        AddIndexConcurrently(
            model_name="webhookevent",
            index=models.Index(Upper("repository_full_name"), F("received_at"), name="webhook_event_repo_recv_idx"),
            # text_pattern_ops: the same index serves `UPPER(name) = …` and the admin's `UPPER(name) LIKE 'o/r%'`.
            postgresql_sql=(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_event_repo_recv_idx ON webhook_events "
                "(UPPER(repository_full_name) text_pattern_ops, received_at)"
            ),
        ),
        RemoveIndexConcurrently(model_name="webhookevent", name="webhook_event_event_idx"),
        RemoveIndexConcurrently(model_name="webhookevent", name="webhook_event_repo_idx"),
    ]
