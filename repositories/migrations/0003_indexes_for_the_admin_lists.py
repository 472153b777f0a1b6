"""The admin's lists of pushes, pull requests and issues as index ranges, built without locking writers out."""

from django.db import migrations, models

from bigtables.operations import AddIndexConcurrently, TrigramIndexIfAvailable


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("repositories", "0002_content_types_from_githubfeatures"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="push", index=models.Index(fields=["received_at"], name="push_received_idx")
        ),
        AddIndexConcurrently(
            model_name="push",
            index=models.Index(fields=["repository", "received_at"], name="push_repository_recv_idx"),
        ),
        AddIndexConcurrently(model_name="push", index=models.Index(fields=["after"], name="push_after_idx")),
        TrigramIndexIfAvailable(table="pull_requests", column="title", name="pull_request_title_trgm_idx"),
        TrigramIndexIfAvailable(table="issues", column="title", name="issue_title_trgm_idx"),
    ]
